// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pages pinned for emulated accesses, and copies to and from the memory of
 * a pages object for them.  An access pin takes each page from whoever
 * already has it pinned (another access pin: access_pfns; a mapping in
 * domains: its storage domain) and pins the rest, a stretch of one kind at
 * a time, recording every pfn in access_pfns.  pages_access.h states the
 * contract.
 *
 * Locking: everything here but the copies through the creator's address
 * space runs under the pages object's mutex, which the entry points take.
 * access_pfns is written only here, under the mutex (and its own lock).
 */
#include <linux/cleanup.h>
#include <linux/highmem.h>
#include <linux/interval_tree.h>
#include <linux/iommufd.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "io_pagetable.h"
#include "pages.h"
#include "pages_access.h"
#include "pages_domains.h"

/* ---- access pins --------------------------------------------------------- */

/**
 * struct pages_access_range - pages pinned by accesses for one index range
 * @node: [first, last] page index, in iommufd_pages.access_users
 * @users: pins of exactly this range not yet unpinned
 */
struct pages_access_range {
	struct interval_tree_node node;
	unsigned int users;
};

static struct pages_access_range *
pages_access_range_find(struct iommufd_pages *pages, unsigned long first,
			unsigned long last)
{
	struct interval_tree_node *node;

	for (node = interval_tree_iter_first(&pages->access_users, first, last);
	     node; node = interval_tree_iter_next(node, first, last))
		if (node->start == first && node->last == last)
			return container_of(node, struct pages_access_range,
					    node);
	return NULL;
}

/*
 * The pages of [index, last], every one of which an access pins, from
 * their recorded pfns: one walk of access_pfns.  Writers hold the mutex
 * too, so the walk meets no concurrent change.
 */
static void pages_access_pfns_load(struct iommufd_pages *pages,
				   unsigned long index, unsigned long last,
				   struct page **out)
{
	XA_STATE(xas, &pages->access_pfns, index);

	rcu_read_lock();
	while (index <= last) {
		void *entry = xas_next(&xas);

		if (xas_retry(&xas, entry))
			continue;
		WARN_ON_ONCE(!xa_is_value(entry));
		*out++ = pfn_to_page(xa_to_value(entry));
		index++;
	}
	rcu_read_unlock();
}

/*
 * Record the pfns of the @npages pages of @list for the page indexes from
 * @index on, in one walk of access_pfns.  *@stored says how many were
 * recorded: all of them unless this fails.
 */
static int pages_access_pfns_store(struct iommufd_pages *pages,
				   unsigned long index, struct page **list,
				   unsigned long npages, unsigned long *stored)
{
	XA_STATE(xas, &pages->access_pfns, index);
	unsigned long done = 0;

	do {
		xas_lock(&xas);
		for (; done < npages; done++) {
			xas_store(&xas, xa_mk_value(page_to_pfn(list[done])));
			if (xas_error(&xas))
				break;
			xas_next(&xas);
		}
		xas_unlock(&xas);
		/* Allocates the node that was missing, without the lock */
	} while (xas_nomem(&xas, GFP_KERNEL_ACCOUNT));
	*stored = done;
	return xas_error(&xas);
}

/*
 * The pages of [index, last] that @holder, a mapping in domains, has
 * pinned, read back from its storage domain a known contiguous stretch at a
 * time
 */
static void pages_access_read_domain(struct iopt_mapping *holder,
				     unsigned long index, unsigned long last,
				     struct page **out)
{
	struct pages_domains_reader reader;
	unsigned long pfn, npages;

	pages_domains_reader_init(&reader, holder, holder->storage_domain,
				  index, last);
	while (pages_domains_reader_next(&reader, &pfn, &npages))
		while (npages--)
			*out++ = pfn_to_page(pfn++);
}

/*
 * Forget the recorded pfns of [index, last], and unpin their pages if
 * @unpin, a walk of access_pfns per few physically contiguous runs:
 * unpinning may sleep, so it is done outside the xarray's lock.  (Each
 * walk starts afresh; xas_pause() of this kernel can skip entries after a
 * store of NULL freed a node.)  Returns how many pages were unpinned; the
 * caller gives their charge back.
 */
static unsigned long pages_access_pfns_forget(struct iommufd_pages *pages,
					      unsigned long index,
					      unsigned long last, bool unpin)
{
	XA_STATE(xas, &pages->access_pfns, index);
	struct iommufd_pages_run runs[16];
	unsigned long unpinned = 0;
	unsigned int nruns, i;
	void *entry;

	while (index <= last) {
		unsigned long end = last;

		nruns = 0;
		xas_set(&xas, index);
		xas_lock(&xas);
		xas_for_each(&xas, entry, last) {
			unsigned long pfn = xa_to_value(entry);
			struct iommufd_pages_run *run = runs + nruns;

			if (unpin && nruns &&
			    run[-1].pfn + run[-1].npages == pfn) {
				run[-1].npages++;
			} else if (unpin) {
				/* Left for the next walk */
				if (nruns == ARRAY_SIZE(runs)) {
					end = xas.xa_index - 1;
					break;
				}
				run->pfn = pfn;
				run->npages = 1;
				nruns++;
			}
			xas_store(&xas, NULL);
		}
		xas_unlock(&xas);

		for (i = 0; i < nruns; i++) {
			iommufd_pages_unpin_run(pages, runs[i].pfn,
						runs[i].npages);
			unpinned += runs[i].npages;
		}
		index = end + 1;
	}
	return unpinned;
}

/*
 * Forget the pfns of [first, last] that no access pin in the tree covers,
 * and unpin those no mapping in domains has either, giving their charge back at
 * once.
 */
static void pages_access_release(struct iommufd_pages *pages,
				 unsigned long first, unsigned long last)
{
	unsigned long index = first, unpinned = 0;

	while (index <= last) {
		unsigned long seg_last;
		bool in_domain;

		if (iommufd_pages_access_pinned_at(pages, index, last,
						   &seg_last)) {
			index = seg_last + 1;
			continue;
		}
		in_domain = iommufd_pages_domain_mapping_at(pages, index,
							    seg_last,
							    &seg_last);
		unpinned += pages_access_pfns_forget(pages, index, seg_last,
						     !in_domain);
		index = seg_last + 1;
	}
	iommufd_pages_uncharge(pages, unpinned);
}

/*
 * Make [index, last] pinned for an access and fill @out with its pages,
 * a stretch of one kind at a time: pages other access pins have, pages
 * mappings in domains have, and pages nobody has, which get pinned.  On
 * failure the pfns of [index, *@reached) are recorded, and nothing else.
 */
static int pages_access_gather(struct iommufd_pages *pages, unsigned long index,
			       unsigned long last, struct page **out,
			       unsigned long *reached)
{
	unsigned int batches = 0;
	int rc;

	while (index <= last) {
		unsigned long seg_last, npages, stored;
		struct iopt_mapping *holder;
		long pinned;

		*reached = index;
		if (iommufd_pages_access_pinned_at(pages, index, last,
						   &seg_last)) {
			pages_access_pfns_load(pages, index, seg_last, out);
			goto next;
		}

		holder = iommufd_pages_domain_mapping_at(pages, index, seg_last,
							 &seg_last);
		if (holder) {
			pages_access_read_domain(holder, index, seg_last, out);
		} else {
			pinned = iommufd_pages_pin_batch(pages, index,
							 seg_last - index + 1,
							 out, &batches);
			if (pinned < 0)
				return pinned;
			seg_last = index + pinned - 1;
		}
		npages = seg_last - index + 1;
		rc = pages_access_pfns_store(pages, index, out, npages,
					     &stored);
		if (rc) {
			/* Pinned just now and not recorded: nobody knows them */
			if (!holder)
				iommufd_pages_unpin_pages(pages, out + stored,
							  npages - stored);
			*reached = index + stored;
			return rc;
		}
next:
		out += seg_last - index + 1;
		index = seg_last + 1;
	}
	*reached = index;
	return 0;
}

/**
 * pages_access_pin() - pin pages for an access
 * @pages: the memory
 * @mapping: the mapping the pages are reached through
 * @first_index: first page index
 * @last_index: last page index
 * @out_pages: receives last_index - first_index + 1 page pointers
 * @fixed: a fixed pin, which also blocks unmapping @mapping
 *
 * Return: 0; on failure nothing changed: -ENOMEM, -EFAULT; -EINVAL for a
 * dma-buf (MMIO).
 */
int pages_access_pin(struct iommufd_pages *pages, struct iopt_mapping *mapping,
		     unsigned long first_index, unsigned long last_index,
		     struct page **out_pages, bool fixed)
{
	struct pages_access_range *range;
	unsigned long reached;
	int rc;

	/* MMIO has no struct page to hand out */
	if (pages->source == IOMMUFD_PAGES_DMABUF)
		return -EINVAL;

	guard(mutex)(&pages->mutex);

	range = pages_access_range_find(pages, first_index, last_index);
	if (range) {
		pages_access_pfns_load(pages, first_index, last_index,
				       out_pages);
		range->users++;
		mapping->access_pins++;
		mapping->fixed_pins += fixed;
		return 0;
	}

	range = kzalloc(sizeof(*range), GFP_KERNEL_ACCOUNT);
	if (!range)
		return -ENOMEM;
	rc = pages_access_gather(pages, first_index, last_index, out_pages,
				 &reached);
	if (rc) {
		if (reached != first_index)
			pages_access_release(pages, first_index, reached - 1);
		kfree(range);
		return rc;
	}
	range->node.start = first_index;
	range->node.last = last_index;
	range->users = 1;
	interval_tree_insert(&range->node, &pages->access_users);
	mapping->access_pins++;
	mapping->fixed_pins += fixed;
	return 0;
}

/**
 * pages_access_unpin() - undo one pages_access_pin()
 * @pages: the memory
 * @mapping: the mapping given when pinning
 * @first_index: first page index given when pinning
 * @last_index: last page index given when pinning
 * @fixed: given when pinning
 */
void pages_access_unpin(struct iommufd_pages *pages,
			struct iopt_mapping *mapping, unsigned long first_index,
			unsigned long last_index, bool fixed)
{
	struct pages_access_range *range;

	guard(mutex)(&pages->mutex);

	range = pages_access_range_find(pages, first_index, last_index);
	if (WARN_ON(!range) || WARN_ON(!mapping->access_pins) ||
	    WARN_ON(fixed && !mapping->fixed_pins))
		return;
	mapping->access_pins--;
	mapping->fixed_pins -= fixed;
	if (--range->users)
		return;
	interval_tree_remove(&range->node, &pages->access_users);
	kfree(range);
	pages_access_release(pages, first_index, last_index);
}

/**
 * pages_access_pfn() - the pfn an access pin recorded for a page
 * @pages: the pages object, its mutex held
 * @index: a page index that an access pin covers
 *
 * Return: the pfn.
 */
unsigned long pages_access_pfn(struct iommufd_pages *pages, unsigned long index)
{
	return xa_to_value(xa_load(&pages->access_pfns, index));
}

/* ---- reading and writing ------------------------------------------------- */

static int pages_access_rw_user(struct iommufd_pages *pages,
				unsigned long offset, void *data, size_t length,
				unsigned int flags)
{
	void __user *uptr = pages->uptr + offset;
	unsigned long left;

	if (flags & IOMMUFD_ACCESS_RW_WRITE)
		left = copy_to_user(uptr, data, length);
	else
		left = copy_from_user(data, uptr, length);
	return left ? -EFAULT : 0;
}

/* A kthread borrows the creator's address space to copy directly */
static int pages_access_rw_kthread(struct iommufd_pages *pages,
				   unsigned long offset, void *data,
				   size_t length, unsigned int flags)
{
	int rc;

	if (!mmget_not_zero(pages->owner.mm))
		return -EFAULT;
	kthread_use_mm(pages->owner.mm);
	rc = pages_access_rw_user(pages, offset, data, length, flags);
	kthread_unuse_mm(pages->owner.mm);
	mmput(pages->owner.mm);
	return rc;
}

/* Copy through the struct page, pinning it for the copy if needed */
static int pages_access_rw_page(struct iommufd_pages *pages,
				unsigned long offset, void *data, size_t length,
				unsigned int flags)
{
	unsigned long index = offset >> PAGE_SHIFT;
	struct iopt_mapping *holder;
	unsigned long seg_last;
	struct page *page;
	bool temporary = false;
	void *vaddr;
	long pinned;

	switch (iommufd_pages_pinned_by(pages, index, index, &seg_last,
					&holder)) {
	case IOMMUFD_PINNED_BY_DOMAIN:
		page = pfn_to_page(pages_domains_read_pfn(holder, index));
		break;
	case IOMMUFD_PINNED_BY_ACCESS:
		page = pfn_to_page(pages_access_pfn(pages, index));
		break;
	default:
		pinned = iommufd_pages_pin(pages, index, 1, &page);
		if (pinned < 0)
			return pinned;
		temporary = true;
		break;
	}

	vaddr = kmap_local_page(page) + offset_in_page(offset);
	if (flags & IOMMUFD_ACCESS_RW_WRITE)
		memcpy(vaddr, data, length);
	else
		memcpy(data, vaddr, length);
	kunmap_local(vaddr);

	if (temporary)
		iommufd_pages_unpin(pages, page_to_pfn(page), 1);
	else if (flags & IOMMUFD_ACCESS_RW_WRITE)
		set_page_dirty_lock(page);
	return 0;
}

/**
 * pages_access_rw() - copy between a kernel buffer and the memory
 * @pages: the memory
 * @offset: byte offset from the start of page 0
 * @data: the kernel buffer
 * @length: bytes
 * @flags: IOMMUFD_ACCESS_RW_* flags
 *
 * User memory is copied through the creator's address space when the
 * caller runs in it (or is a kthread that may borrow it); anything else is
 * copied page by page through the pinned (or briefly pinned) pages.
 *
 * Return: 0, -EFAULT, -ENOMEM; -EINVAL for a dma-buf (MMIO).
 */
int pages_access_rw(struct iommufd_pages *pages, unsigned long offset,
		    void *data, size_t length, unsigned int flags)
{
	if (pages->source == IOMMUFD_PAGES_DMABUF)
		return -EINVAL;
	if (pages->source == IOMMUFD_PAGES_USER &&
	    !(flags & __IOMMUFD_ACCESS_RW_SLOW_PATH)) {
		if (current->mm == pages->owner.mm)
			return pages_access_rw_user(pages, offset, data, length,
						    flags);
		if ((flags & IOMMUFD_ACCESS_RW_KTHREAD) && !current->mm)
			return pages_access_rw_kthread(pages, offset, data,
						       length, flags);
	}

	guard(mutex)(&pages->mutex);
	while (length) {
		size_t chunk = min_t(size_t, length,
				     PAGE_SIZE - offset_in_page(offset));
		int rc;

		rc = pages_access_rw_page(pages, offset, data, chunk, flags);
		if (rc)
			return rc;
		offset += chunk;
		data += chunk;
		length -= chunk;
	}
	return 0;
}
