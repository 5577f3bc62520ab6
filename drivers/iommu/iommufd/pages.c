// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pages objects: where the memory behind a mapping comes from.  This file
 * creates and frees them, pins and unpins their pages from the source
 * (user memory or a file), charges what is pinned against RLIMIT_MEMLOCK,
 * bounds the temporary memory of a batch, and answers who pins which page;
 * pages_domains.c and pages_access.c build on it.  pages.h states the
 * contract.
 *
 * Locking: pinning, unpinning, charging and the questions about pins run
 * under the object's mutex, taken by the callers in the other two files.
 * Creation and the last reference need no lock.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/sched/user.h>
#include <linux/shmem_fs.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "io_pagetable.h"
#include "iommufd_private.h"
#include "pages.h"

/* Everything common to both sources; the caller fills in the source */
static struct iommufd_pages *iommufd_pages_alloc(struct iommufd_ctx *ictx,
						 unsigned long first_byte,
						 unsigned long length,
						 bool writable,
						 unsigned long *start_byte)
{
	struct iommufd_pages *pages;
	unsigned long end_byte;

	if (!length)
		return ERR_PTR(-EINVAL);
	*start_byte = offset_in_page(first_byte);
	if (check_add_overflow(first_byte, length, &end_byte) ||
	    end_byte > ULONG_MAX - PAGE_SIZE)
		return ERR_PTR(-EOVERFLOW);

	pages = kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	kref_init(&pages->kref);
	mutex_init(&pages->mutex);
	pages->domain_users = RB_ROOT_CACHED;
	pages->access_users = RB_ROOT_CACHED;
	xa_init_flags(&pages->access_pfns, XA_FLAGS_ACCOUNT);
	pages->writable = writable;
	/* Whoever may lock memory without limit is not charged at all */
	if (capable(CAP_IPC_LOCK))
		pages->account_mode = IOMMUFD_ACCOUNT_NONE;
	else
		pages->account_mode = READ_ONCE(ictx->account_mode);
	pages->npages = DIV_ROUND_UP(*start_byte + length, PAGE_SIZE);

	/* Charges and limits belong to whoever created the mapping */
	pages->source_task = get_task_struct(current->group_leader);
	pages->source_user = get_uid(current_user());
	pages->source_mm = current->mm;
	mmgrab(pages->source_mm);
	return pages;
}

/**
 * iommufd_pages_alloc_user() - describe a range of the caller's memory
 * @ictx: the context the mapping is made in (its accounting mode is kept)
 * @uptr: first byte
 * @length: bytes, at least one
 * @writable: whether DMA may write the memory
 * @start_byte: returns the offset of @uptr inside page 0
 *
 * Nothing is pinned or even looked at yet: the memory only has to exist
 * once a domain or an access needs it.
 *
 * Return: the object, or ERR_PTR(-EINVAL) for a zero length,
 * ERR_PTR(-EOVERFLOW) for a range that wraps, ERR_PTR(-ENOMEM).
 */
struct iommufd_pages *iommufd_pages_alloc_user(struct iommufd_ctx *ictx,
					       void __user *uptr,
					       unsigned long length,
					       bool writable,
					       unsigned long *start_byte)
{
	struct iommufd_pages *pages;

	pages = iommufd_pages_alloc(ictx, (unsigned long)uptr, length,
				    writable, start_byte);
	if (IS_ERR(pages))
		return pages;
	pages->source = IOMMUFD_PAGES_USER;
	pages->uptr = uptr - *start_byte;
	return pages;
}

/**
 * iommufd_pages_alloc_file() - describe a range of a shmem or hugetlbfs file
 * @ictx: the context the mapping is made in
 * @file: the file; the object takes its own reference
 * @start: file offset of the first byte
 * @length: bytes, at least one
 * @writable: whether DMA may write the memory
 * @start_byte: returns the offset of @start inside page 0
 *
 * Return: the object; ERR_PTR(-EINVAL) for a zero length, a range reaching
 * past the end of the file or a file whose pages cannot be pinned (only
 * shmem and hugetlbfs files can); ERR_PTR(-EPERM) for write access to a
 * file that was not opened for writing; ERR_PTR(-ENOMEM).
 */
struct iommufd_pages *iommufd_pages_alloc_file(struct iommufd_ctx *ictx,
					       struct file *file,
					       unsigned long start,
					       unsigned long length,
					       bool writable,
					       unsigned long *start_byte)
{
	struct iommufd_pages *pages;
	u64 file_size;

	if (!shmem_file(file) && !is_file_hugepages(file))
		return ERR_PTR(-EINVAL);
	if (writable && !(file->f_mode & FMODE_WRITE))
		return ERR_PTR(-EPERM);
	/* Unsigned: an offset too large for loff_t is past the end too */
	file_size = i_size_read(file_inode(file));
	if (start > file_size || length > file_size - start)
		return ERR_PTR(-EINVAL);

	pages = iommufd_pages_alloc(ictx, start, length, writable, start_byte);
	if (IS_ERR(pages))
		return pages;
	pages->source = IOMMUFD_PAGES_FILE;
	pages->file = get_file(file);
	pages->file_offset = start - *start_byte;
	return pages;
}

/**
 * iommufd_pages_alignment_hint() - the address whose alignment an IOVA
 *                                  should copy
 * @pages: the object
 * @start_byte: offset of the first mapped byte from the start of page 0
 *
 * An IOVA that is aligned like the memory behind it lets the IOMMU use the
 * same large pages the memory is made of.
 *
 * Return: the user address or file offset of the first mapped byte.
 */
unsigned long iommufd_pages_alignment_hint(struct iommufd_pages *pages,
					   unsigned long start_byte)
{
	if (pages->source == IOMMUFD_PAGES_FILE)
		return pages->file_offset + start_byte;
	return (unsigned long)pages->uptr + start_byte;
}

static void iommufd_pages_release(struct kref *kref)
{
	struct iommufd_pages *pages =
		container_of(kref, struct iommufd_pages, kref);

	WARN_ON(pages->npinned);
	WARN_ON(!RB_EMPTY_ROOT(&pages->domain_users.rb_root));
	WARN_ON(!RB_EMPTY_ROOT(&pages->access_users.rb_root));
	xa_destroy(&pages->access_pfns);
	mutex_destroy(&pages->mutex);
	if (pages->file)
		fput(pages->file);
	mmdrop(pages->source_mm);
	free_uid(pages->source_user);
	put_task_struct(pages->source_task);
	kfree(pages);
}

void iommufd_pages_put(struct iommufd_pages *pages)
{
	kref_put(&pages->kref, iommufd_pages_release);
}

/* ---- charging ----------------------------------------------------------- */

static int iommufd_pages_charge_user(struct iommufd_pages *pages,
				     unsigned long npages)
{
	unsigned long limit = task_rlimit(pages->source_task, RLIMIT_MEMLOCK) >>
			      PAGE_SHIFT;
	atomic_long_t *locked = &pages->source_user->locked_vm;
	unsigned long now = atomic_long_read(locked);

	do {
		if (npages > limit || now > limit - npages)
			return -ENOMEM;
	} while (!atomic_long_try_cmpxchg(locked, &now, now + npages));
	return 0;
}

/* The VFIO type1 way: the mm's locked_vm, under its mmap lock */
static int iommufd_pages_charge_mm(struct iommufd_pages *pages,
				   unsigned long npages, bool charge)
{
	struct mm_struct *mm = pages->source_mm;
	int rc;

	if (!mmget_not_zero(mm))
		return charge ? -EINVAL : 0;
	mmap_write_lock(mm);
	rc = __account_locked_vm(mm, npages, charge, pages->source_task, false);
	mmap_write_unlock(mm);
	mmput(mm);
	return rc;
}

/* Charge @npages about to be pinned against the creator's limit */
static int iommufd_pages_charge(struct iommufd_pages *pages,
				unsigned long npages)
{
	int rc = 0;

	if (pages->account_mode == IOMMUFD_ACCOUNT_USER)
		rc = iommufd_pages_charge_user(pages, npages);
	else if (pages->account_mode == IOMMUFD_ACCOUNT_MM)
		rc = iommufd_pages_charge_mm(pages, npages, true);
	if (rc)
		return rc;
	atomic64_add(npages, &pages->source_mm->pinned_vm);
	pages->npinned += npages;
	return 0;
}

/**
 * iommufd_pages_uncharge() - give back the charge of unpinned pages
 * @pages: the pages object
 * @npages: how many of its pages were unpinned
 */
void iommufd_pages_uncharge(struct iommufd_pages *pages, unsigned long npages)
{
	if (!npages || WARN_ON(npages > pages->npinned))
		return;
	pages->npinned -= npages;
	atomic64_sub(npages, &pages->source_mm->pinned_vm);
	if (pages->account_mode == IOMMUFD_ACCOUNT_USER)
		atomic_long_sub(npages, &pages->source_user->locked_vm);
	else if (pages->account_mode == IOMMUFD_ACCOUNT_MM)
		iommufd_pages_charge_mm(pages, npages, false);
}

/* ---- pinning and unpinning ---------------------------------------------- */

/* Bytes each temporary array of a batch may use; 0 means the default */
static unsigned int iommufd_pages_temp_limit;
#define IOMMUFD_PAGES_DEFAULT_TEMP_LIMIT SZ_64K

void iommufd_pages_set_temp_limit(unsigned int bytes)
{
	WRITE_ONCE(iommufd_pages_temp_limit, bytes);
}

/**
 * iommufd_pages_temp_bytes() - bytes one temporary array may use
 *
 * Return: the limit iommufd_pages_set_temp_limit() set, or the default.
 */
size_t iommufd_pages_temp_bytes(void)
{
	return READ_ONCE(iommufd_pages_temp_limit) ?:
	       IOMMUFD_PAGES_DEFAULT_TEMP_LIMIT;
}

static unsigned int iommufd_pages_gup_flags(struct iommufd_pages *pages)
{
	return FOLL_LONGTERM | (pages->writable ? FOLL_WRITE : 0);
}

static long iommufd_pages_pin_user(struct iommufd_pages *pages,
				   unsigned long index, unsigned long npages,
				   struct page **out)
{
	unsigned long uaddr = (unsigned long)pages->uptr + index * PAGE_SIZE;
	struct mm_struct *mm = pages->source_mm;
	int locked = 1;
	long rc;

	npages = min_t(unsigned long, npages, INT_MAX);
	if (current->mm == mm)
		return pin_user_pages_fast(uaddr, npages,
					   iommufd_pages_gup_flags(pages), out);

	/* Another task (an access owner, a kthread) pins for the creator */
	if (!mmget_not_zero(mm))
		return -EFAULT;
	mmap_read_lock(mm);
	rc = pin_user_pages_remote(mm, uaddr, npages,
				   iommufd_pages_gup_flags(pages), out, &locked);
	if (locked)
		mmap_read_unlock(mm);
	mmput(mm);
	return rc;
}

/*
 * memfd_pin_folios() pins each folio once; give every page used from it a
 * pin of its own so that pages are unpinned one by one like user pages.
 */
static long iommufd_pages_pin_file(struct iommufd_pages *pages,
				   unsigned long index, unsigned long npages,
				   struct page **out)
{
	loff_t start = pages->file_offset + (loff_t)index * PAGE_SIZE;
	unsigned long done = 0;
	struct folio **folios;
	unsigned int max;
	pgoff_t offset;
	long nfolios;
	long i;

	max = clamp_t(unsigned long, npages, 1,
		      iommufd_pages_temp_bytes() / sizeof(*folios));
	folios = kcalloc(max, sizeof(*folios), GFP_KERNEL);
	if (!folios)
		return -ENOMEM;
	nfolios = memfd_pin_folios(pages->file, start,
				   start + npages * PAGE_SIZE - 1, folios, max,
				   &offset);
	for (i = 0; i < nfolios; i++) {
		struct folio *folio = folios[i];
		unsigned long first = i ? 0 : offset >> PAGE_SHIFT;
		unsigned long page_nr;

		for (page_nr = first;
		     page_nr < folio_nr_pages(folio) && done < npages;
		     page_nr++, done++) {
			if (page_nr != first)
				folio_add_pin(folio);
			out[done] = folio_page(folio, page_nr);
		}
		/* Pages of a folio past the requested range are not used */
		if (page_nr == first)
			unpin_folio(folio);
	}
	kfree(folios);
	if (nfolios < 0)
		return nfolios;
	return done;
}

/**
 * iommufd_pages_pin() - pin pages from the source and charge them
 * @pages: the pages object, its mutex held
 * @index: index of the first page
 * @npages: how many pages to pin at most
 * @out: receives a page pointer per page pinned
 *
 * Return: how many pages were pinned from @index on, at least one; or
 * -ENOMEM (also past RLIMIT_MEMLOCK) or -EFAULT, with nothing left pinned
 * or charged.
 */
long iommufd_pages_pin(struct iommufd_pages *pages, unsigned long index,
		       unsigned long npages, struct page **out)
{
	long pinned;
	int rc;

	lockdep_assert_held(&pages->mutex);

	rc = iommufd_pages_charge(pages, npages);
	if (rc)
		return rc;
	if (pages->source == IOMMUFD_PAGES_FILE)
		pinned = iommufd_pages_pin_file(pages, index, npages, out);
	else
		pinned = iommufd_pages_pin_user(pages, index, npages, out);
	if (pinned <= 0) {
		iommufd_pages_uncharge(pages, npages);
		return pinned ?: -EFAULT;
	}
	iommufd_pages_uncharge(pages, npages - pinned);
	return pinned;
}

/**
 * iommufd_pages_unpin_run() - unpin physically contiguous pages
 * @pages: the pages object, its mutex held
 * @pfn: the first page
 * @npages: how many
 *
 * The caller gives the charge back with iommufd_pages_uncharge(), once for
 * everything it unpins.
 */
void iommufd_pages_unpin_run(struct iommufd_pages *pages, unsigned long pfn,
			     unsigned long npages)
{
	lockdep_assert_held(&pages->mutex);

	/* DMA may have written any page it could write */
	unpin_user_page_range_dirty_lock(pfn_to_page(pfn), npages,
					 pages->writable);
}

/**
 * iommufd_pages_unpin() - unpin physically contiguous pages and uncharge them
 * @pages: the pages object, its mutex held
 * @pfn: the first page
 * @npages: how many
 */
void iommufd_pages_unpin(struct iommufd_pages *pages, unsigned long pfn,
			 unsigned long npages)
{
	iommufd_pages_unpin_run(pages, pfn, npages);
	iommufd_pages_uncharge(pages, npages);
}

/**
 * iommufd_pages_unpin_pages() - unpin and uncharge pages just pinned
 * @pages: the pages object, its mutex held
 * @list: pages iommufd_pages_pin() returned, not yet mapped or recorded
 *        anywhere
 * @npages: how many
 */
void iommufd_pages_unpin_pages(struct iommufd_pages *pages, struct page **list,
			       unsigned long npages)
{
	unpin_user_pages(list, npages);
	iommufd_pages_uncharge(pages, npages);
}

/**
 * iommufd_pages_pin_batch() - iommufd_pages_pin() for one batch of a gather
 * @pages: the pages object, its mutex held
 * @index: index of the first page
 * @npages: how many pages to pin at most
 * @out: receives a page pointer per page pinned
 * @batches: the gather's count of batches, 0 before its first
 *
 * Fault injection (fail_iommufd) fails the second batch of pages a gather
 * pins, as GUP fails for memory unmapped part way: what the first batch
 * did must then be undone.  One fault site per gather, not per batch,
 * keeps fail-nth sweeps of small batches short.
 *
 * Return: as iommufd_pages_pin().
 */
long iommufd_pages_pin_batch(struct iommufd_pages *pages, unsigned long index,
			     unsigned long npages, struct page **out,
			     unsigned int *batches)
{
	if (++*batches == 2 && iommufd_should_fail())
		return -EFAULT;
	return iommufd_pages_pin(pages, index, npages, out);
}

/* ---- who has a page pinned ---------------------------------------------- */

/*
 * Who pins what changes only at the ends of the nodes of the two trees, so
 * every question below is answered for a stretch of page indexes at once,
 * up to the index it returns in *seg_last.
 */

/* The node of @root that covers @index, if any */
static struct interval_tree_node *
iommufd_pages_node_at(struct rb_root_cached *root, unsigned long index,
		      unsigned long last, unsigned long *seg_last)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_first(root, index, last);
	if (node && node->start <= index) {
		*seg_last = min(node->last, last);
		return node;
	}
	*seg_last = node ? node->start - 1 : last;
	return NULL;
}

/**
 * iommufd_pages_domain_mapping_at() - the mapping in domains covering a page
 * @pages: the pages object, its mutex held
 * @index: the page index
 * @last: the last page index the answer is wanted for
 * @seg_last: returns up to which index, at most @last, the answer holds
 *
 * Return: the mapping, whose storage domain holds the pfn of the page, or
 * NULL.
 */
struct iopt_mapping *
iommufd_pages_domain_mapping_at(struct iommufd_pages *pages,
				unsigned long index, unsigned long last,
				unsigned long *seg_last)
{
	struct interval_tree_node *node;

	lockdep_assert_held(&pages->mutex);

	node = iommufd_pages_node_at(&pages->domain_users, index, last,
				     seg_last);
	return node ? container_of(node, struct iopt_mapping, pages_node) :
		      NULL;
}

/**
 * iommufd_pages_access_pinned_at() - whether an access pin covers a page
 * @pages: the pages object, its mutex held
 * @index: the page index
 * @last: the last page index the answer is wanted for
 * @seg_last: returns up to which index, at most @last, the answer holds
 *
 * Return: true if one does; access_pfns then holds the pfn of the page.
 */
bool iommufd_pages_access_pinned_at(struct iommufd_pages *pages,
				    unsigned long index, unsigned long last,
				    unsigned long *seg_last)
{
	lockdep_assert_held(&pages->mutex);

	return iommufd_pages_node_at(&pages->access_users, index, last,
				     seg_last);
}

/**
 * iommufd_pages_pinned_by() - who has a page pinned
 * @pages: the pages object, its mutex held
 * @index: the page index
 * @last: the last page index the answer is wanted for
 * @seg_last: returns up to which index, at most @last, the answer holds
 * @holder: returns the mapping to read the pfns from for
 *          IOMMUFD_PINNED_BY_DOMAIN, else NULL
 *
 * Return: enum iommufd_pages_pinner
 */
enum iommufd_pages_pinner
iommufd_pages_pinned_by(struct iommufd_pages *pages, unsigned long index,
			unsigned long last, unsigned long *seg_last,
			struct iopt_mapping **holder)
{
	*holder = iommufd_pages_domain_mapping_at(pages, index, last, seg_last);
	if (*holder)
		return IOMMUFD_PINNED_BY_DOMAIN;
	if (iommufd_pages_access_pinned_at(pages, index, *seg_last, seg_last))
		return IOMMUFD_PINNED_BY_ACCESS;
	return IOMMUFD_PINNED_BY_NONE;
}

/**
 * iommufd_pages_unpinned_at() - whether nobody has a page pinned
 * @pages: the pages object, its mutex held
 * @index: the page index
 * @last: the last page index the answer is wanted for
 * @seg_last: returns up to which index, at most @last, the answer holds
 *
 * Return: true if nobody has.
 */
bool iommufd_pages_unpinned_at(struct iommufd_pages *pages, unsigned long index,
			       unsigned long last, unsigned long *seg_last)
{
	struct iopt_mapping *holder;

	return iommufd_pages_pinned_by(pages, index, last, seg_last,
				       &holder) == IOMMUFD_PINNED_BY_NONE;
}

/**
 * iommufd_pages_any_unpinned() - whether nobody has some page of a range
 *                                pinned
 * @pages: the pages object, its mutex held
 * @index: the first page index of the range
 * @last: the last page index of the range
 *
 * Return: true if some page of [@index, @last] is pinned by nobody.
 */
bool iommufd_pages_any_unpinned(struct iommufd_pages *pages,
				unsigned long index, unsigned long last)
{
	while (index <= last) {
		unsigned long seg_last;

		if (iommufd_pages_unpinned_at(pages, index, last, &seg_last))
			return true;
		index = seg_last + 1;
	}
	return false;
}
