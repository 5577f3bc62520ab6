// SPDX-License-Identifier: GPL-2.0-only
/*
 * The I/O page table of an IOAS: placing, checking, creating and removing
 * mappings, and the reserved and allowed IOVA ranges.  io_pagetable.h
 * states the rules.
 */
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "io_pagetable.h"
#include "pages.h"
#include "pages_access.h"
#include "pages_domains.h"

/*
 * A piece of memory on its way to becoming a mapping: its pages object, the
 * byte range of it to map, and the mapping allocated for it in advance.
 * COPY produces one per source mapping it crosses, MAP exactly one.
 */
struct iopt_pending_mapping {
	struct list_head link;
	struct iommufd_pages *pages;
	unsigned long start_byte;
	unsigned long length;
	/* Allocated before the page table is locked, so inserting cannot fail */
	struct iopt_mapping *mapping;
};

void iopt_init(struct io_pagetable *iopt)
{
	init_rwsem(&iopt->iova_rwsem);
	mutex_init(&iopt->unmap_lock);
	iopt->mappings = RB_ROOT_CACHED;
	iopt->reserved = RB_ROOT_CACHED;
	iopt->allowed = RB_ROOT_CACHED;
	xa_init_flags(&iopt->accesses, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	iopt->iova_alignment = 1;
}

static struct iopt_mapping *iopt_first_mapping(struct io_pagetable *iopt,
					       unsigned long first,
					       unsigned long last)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_first(&iopt->mappings, first, last);
	return node ? container_of(node, struct iopt_mapping, iova_node) : NULL;
}

static struct iopt_mapping *iopt_next_mapping(struct iopt_mapping *mapping,
					      unsigned long first,
					      unsigned long last)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_next(&mapping->iova_node, first, last);
	return node ? container_of(node, struct iopt_mapping, iova_node) : NULL;
}

static unsigned long iopt_mapping_length(struct iopt_mapping *mapping)
{
	return mapping->iova_node.last - mapping->iova_node.start + 1;
}

/*
 * Every change of the mappings tree goes through these two, which keep the
 * counts that fdinfo reads without iova_rwsem (written under it for write).
 */
static void iopt_insert_mapping(struct io_pagetable *iopt,
				struct iopt_mapping *mapping)
{
	interval_tree_insert(&mapping->iova_node, &iopt->mappings);
	WRITE_ONCE(iopt->nmappings, iopt->nmappings + 1);
	WRITE_ONCE(iopt->mapped_bytes,
		   iopt->mapped_bytes + (mapping->iova_node.last -
					 mapping->iova_node.start + 1));
}

static void iopt_remove_mapping_node(struct io_pagetable *iopt,
				     struct iopt_mapping *mapping)
{
	interval_tree_remove(&mapping->iova_node, &iopt->mappings);
	WRITE_ONCE(iopt->nmappings, iopt->nmappings - 1);
	WRITE_ONCE(iopt->mapped_bytes,
		   iopt->mapped_bytes - (mapping->iova_node.last -
					 mapping->iova_node.start + 1));
}

/* ---- placing IOVAs ------------------------------------------------------ */

/*
 * Of the first mapping and the first reservation that [first, last] runs
 * into, the one that ends last, so a search can skip past both.
 */
static struct interval_tree_node *iopt_first_obstacle(struct io_pagetable *iopt,
						      unsigned long first,
						      unsigned long last)
{
	struct interval_tree_node *mapped, *reserved;

	mapped = interval_tree_iter_first(&iopt->mappings, first, last);
	reserved = interval_tree_iter_first(&iopt->reserved, first, last);
	if (!mapped)
		return reserved;
	if (!reserved)
		return mapped;
	return mapped->last >= reserved->last ? mapped : reserved;
}

/*
 * The lowest IOVA >= @from that is congruent to @residue modulo @modulus,
 * or false when there is none below ULONG_MAX.
 */
static bool iopt_next_candidate(unsigned long from, unsigned long modulus,
				unsigned long residue, unsigned long *iova)
{
	unsigned long candidate = round_down(from, modulus) + residue;

	if (candidate < from &&
	    check_add_overflow(candidate, modulus, &candidate))
		return false;
	*iova = candidate;
	return true;
}

/* First fit for @length bytes inside [lo, hi] with the given congruence */
static bool iopt_find_free(struct io_pagetable *iopt, unsigned long lo,
			   unsigned long hi, unsigned long length,
			   unsigned long modulus, unsigned long residue,
			   unsigned long *iova)
{
	unsigned long candidate;

	if (!iopt_next_candidate(lo, modulus, residue, &candidate))
		return false;
	while (candidate >= lo && candidate <= hi &&
	       hi - candidate >= length - 1) {
		struct interval_tree_node *obstacle;

		obstacle = iopt_first_obstacle(iopt, candidate,
					       candidate + length - 1);
		if (!obstacle) {
			*iova = candidate;
			return true;
		}
		/* Every start up to the obstacle's end would still hit it */
		if (obstacle->last == ULONG_MAX ||
		    !iopt_next_candidate(obstacle->last + 1, modulus, residue,
					 &candidate))
			return false;
	}
	return false;
}

/*
 * Choose an IOVA for @length bytes whose memory starts at @hint (a user
 * address or file offset).  The IOVA copies the alignment of @hint up to
 * the size of the mapping and at most a PMD, and always its offset in the
 * page, so that the IOMMU can use the same page sizes the memory has.
 */
static int iopt_place(struct io_pagetable *iopt, unsigned long hint,
		      unsigned long length, unsigned long *iova)
{
	unsigned long max_align = IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) ?
				  PMD_SIZE : PAGE_SIZE;
	struct interval_tree_node *allowed;
	unsigned long align, modulus;

	lockdep_assert_held(&iopt->iova_rwsem);

	if (length > max_align)
		align = max_align;
	else
		align = roundup_pow_of_two(length);
	if (hint)
		align = min(align, 1UL << __ffs(hint));
	if (align < iopt->iova_alignment)
		return -EINVAL;
	modulus = max(align, PAGE_SIZE);

	/* IOVA 0 is never handed out: too many programs treat it as "none" */
	if (RB_EMPTY_ROOT(&iopt->allowed.rb_root))
		return iopt_find_free(iopt, PAGE_SIZE, ULONG_MAX, length,
				      modulus, hint & (modulus - 1), iova) ?
			       0 : -ENOSPC;

	for (allowed = interval_tree_iter_first(&iopt->allowed, 0, ULONG_MAX);
	     allowed;
	     allowed = interval_tree_iter_next(allowed, 0, ULONG_MAX)) {
		if (allowed->last < PAGE_SIZE)
			continue;
		if (iopt_find_free(iopt, max(allowed->start, PAGE_SIZE),
				   allowed->last, length, modulus,
				   hint & (modulus - 1), iova))
			return 0;
	}
	return -ENOSPC;
}

/* A fixed IOVA must be aligned, and land where nothing is or may be */
/**
 * iopt_check_range() - validate an IOVA range given by start and length
 * @iova: first IOVA
 * @length: bytes
 * @last: returns the last IOVA of the range
 *
 * Return: 0; -EINVAL for a zero length; -EOVERFLOW if the range wraps.
 */
int iopt_check_range(unsigned long iova, unsigned long length,
		     unsigned long *last)
{
	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, last))
		return -EOVERFLOW;
	return 0;
}

static int iopt_check_fixed(struct io_pagetable *iopt, unsigned long iova,
			    unsigned long length)
{
	unsigned long last;

	lockdep_assert_held(&iopt->iova_rwsem);

	if (iova & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	if (interval_tree_iter_first(&iopt->reserved, iova, last))
		return -EINVAL;
	if (interval_tree_iter_first(&iopt->mappings, iova, last))
		return -EEXIST;
	return 0;
}

/* ---- creating mappings -------------------------------------------------- */

/* Drop what a pending mapping still owns: nothing once a page table has it */
static void iopt_release_pending(struct iopt_pending_mapping *pending)
{
	if (pending->pages)
		iommufd_pages_put(pending->pages);
	kfree(pending->mapping);
}

static void iopt_free_pending(struct list_head *to_map)
{
	struct iopt_pending_mapping *pending, *next;

	list_for_each_entry_safe(pending, next, to_map, link) {
		iopt_release_pending(pending);
		kfree(pending);
	}
}

/* Takes over the caller's reference on @pages, also on failure */
static int iopt_add_pending(struct list_head *to_map,
			    struct iommufd_pages *pages,
			    unsigned long start_byte, unsigned long length)
{
	struct iopt_pending_mapping *pending;

	pending = kzalloc(sizeof(*pending), GFP_KERNEL_ACCOUNT);
	if (!pending) {
		iommufd_pages_put(pages);
		return -ENOMEM;
	}
	list_add_tail(&pending->link, to_map);
	pending->pages = pages;
	pending->start_byte = start_byte;
	pending->length = length;
	pending->mapping = kzalloc(sizeof(*pending->mapping),
				   GFP_KERNEL_ACCOUNT);
	return pending->mapping ? 0 : -ENOMEM;
}

/* Whether every pending mapping can go into @iopt with @iommu_prot */
static int iopt_check_pending(struct io_pagetable *iopt,
			      struct list_head *to_map, int iommu_prot)
{
	struct iopt_pending_mapping *pending;

	list_for_each_entry(pending, to_map, link) {
		if ((iommu_prot & IOMMU_WRITE) && !pending->pages->writable)
			return -EPERM;
		/* The IOMMU maps whole granules of each page */
		if ((pending->length | offset_in_page(pending->start_byte)) &
		    (iopt->iova_alignment - 1))
			return -EINVAL;
	}
	return 0;
}

/* Put new mappings into every linked domain, all or none */
static int iopt_fill_new_mappings(struct io_pagetable *iopt,
				  struct list_head *to_map)
{
	struct iopt_pending_mapping *pending, *done;
	int rc;

	if (!iopt->ndomains)
		return 0;
	list_for_each_entry(pending, to_map, link) {
		rc = pages_domains_map(pending->pages, pending->mapping,
				       iopt->domains, iopt->ndomains,
				       iopt->large_pages_disabled);
		if (rc)
			goto undo;
	}
	return 0;

undo:
	list_for_each_entry(done, to_map, link) {
		if (done == pending)
			break;
		pages_domains_unmap_all(done->pages, done->mapping,
					iopt->domains, iopt->ndomains);
	}
	return rc;
}

/*
 * Put the pending mappings of @to_map into @iopt back to back from *@iova
 * (placed automatically unless @fixed_iova).  On success the mappings own
 * their pages references and mapping memory.
 */
static int iopt_insert_pending(struct io_pagetable *iopt,
			       struct list_head *to_map, unsigned long length,
			       unsigned long *iova, int iommu_prot,
			       bool fixed_iova, u64 *map_call)
{
	struct iopt_pending_mapping *first =
		list_first_entry(to_map, struct iopt_pending_mapping, link);
	unsigned long next_iova;
	struct iopt_pending_mapping *pending;
	int rc;

	guard(rwsem_write)(&iopt->iova_rwsem);

	rc = iopt_check_pending(iopt, to_map, iommu_prot);
	if (rc)
		return rc;
	if (fixed_iova)
		rc = iopt_check_fixed(iopt, *iova, length);
	else
		rc = iopt_place(iopt,
				iommufd_pages_alignment_hint(first->pages,
							     first->start_byte),
				length, iova);
	if (rc)
		return rc;

	next_iova = *iova;
	iopt->map_calls++;
	list_for_each_entry(pending, to_map, link) {
		struct iopt_mapping *mapping = pending->mapping;

		mapping->map_call = iopt->map_calls;
		mapping->iova_node.start = next_iova;
		mapping->iova_node.last = next_iova + pending->length - 1;
		mapping->pages = pending->pages;
		mapping->start_byte = pending->start_byte;
		mapping->iommu_prot = iommu_prot;
		iopt_insert_mapping(iopt, mapping);
		next_iova += pending->length;
	}
	if (map_call)
		*map_call = iopt->map_calls;

	rc = iopt_fill_new_mappings(iopt, to_map);
	list_for_each_entry(pending, to_map, link) {
		if (rc) {
			iopt_remove_mapping_node(iopt, pending->mapping);
			continue;
		}
		/* Owned by the page table now */
		pending->pages = NULL;
		pending->mapping = NULL;
	}
	return rc;
}

/**
 * iopt_map_pages() - map a new pages object
 * @iopt: the page table
 * @pages: the memory; the caller's reference passes to the page table, or
 *         is dropped on failure
 * @start_byte: offset of the first byte to map inside @pages
 * @length: bytes
 * @iova: in: the IOVA if @fixed_iova; out: where the mapping was placed
 * @iommu_prot: IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE
 * @fixed_iova: use *@iova instead of choosing one
 * @map_call: if not NULL, returns the number that iopt_undo_map() takes to
 *            remove this call's mapping again
 *
 * Return: 0; -EINVAL for a misaligned IOVA or length, or a fixed range
 * touching reserved IOVA; -EEXIST if a fixed range touches a mapping;
 * -ENOSPC if no free IOVA range fits; -EPERM for write access to memory
 * that is not writable; -EOVERFLOW; -ENOMEM.
 */
int iopt_map_pages(struct io_pagetable *iopt, struct iommufd_pages *pages,
		   unsigned long start_byte, unsigned long length,
		   unsigned long *iova, int iommu_prot, bool fixed_iova,
		   u64 *map_call)
{
	/* Only COPY needs a list of them: MAP's one lives on the stack */
	struct iopt_pending_mapping pending = {
		.pages = pages,
		.start_byte = start_byte,
		.length = length,
	};
	LIST_HEAD(to_map);
	int rc = -ENOMEM;

	pending.mapping = kzalloc(sizeof(*pending.mapping), GFP_KERNEL_ACCOUNT);
	if (pending.mapping) {
		list_add_tail(&pending.link, &to_map);
		rc = iopt_insert_pending(iopt, &to_map, length, iova,
					 iommu_prot, fixed_iova, map_call);
	}
	iopt_release_pending(&pending);
	return rc;
}

/* Take references on the memory behind [first, last] of @src, in order */
static int iopt_collect_pending(struct io_pagetable *src, unsigned long first,
				unsigned long last, struct list_head *to_map)
{
	unsigned long next = first;
	struct iopt_mapping *mapping;
	int rc;

	guard(rwsem_read)(&src->iova_rwsem);

	for (mapping = iopt_first_mapping(src, first, last); mapping;
	     mapping = iopt_next_mapping(mapping, first, last)) {
		unsigned long part_last = min(last, mapping->iova_node.last);
		unsigned long skip;

		/* A hole inside the range: there is nothing to copy there */
		if (mapping->iova_node.start > next)
			return -ENOENT;
		skip = next - mapping->iova_node.start;
		iommufd_pages_get(mapping->pages);
		rc = iopt_add_pending(to_map, mapping->pages,
				      mapping->start_byte + skip,
				      part_last - next + 1);
		if (rc)
			return rc;
		if (part_last == last)
			return 0;
		next = part_last + 1;
	}
	return -ENOENT;
}

/**
 * iopt_copy() - map memory that is already mapped elsewhere
 * @dst: the page table to map into
 * @dst_iova: in: the IOVA if @fixed_iova; out: where the copy was placed
 * @src: the page table the memory is mapped in (may be @dst)
 * @src_iova: start of the range in @src
 * @length: bytes; [@src_iova, @src_iova + @length) must be mapped without
 *          holes, by one or several mappings
 * @iommu_prot: protection of the new mapping
 * @fixed_iova: use *@dst_iova instead of choosing one
 * @map_call: as for iopt_map_pages()
 *
 * The new mappings share the source's memory objects, so memory is pinned
 * (and charged) once however often it is copied.
 *
 * Return: as iopt_map_pages(), plus -ENOENT when the source range is not
 * fully mapped.
 */
int iopt_copy(struct io_pagetable *dst, unsigned long *dst_iova,
	      struct io_pagetable *src, unsigned long src_iova,
	      unsigned long length, int iommu_prot, bool fixed_iova,
	      u64 *map_call)
{
	unsigned long src_last;
	LIST_HEAD(to_map);
	int rc;

	rc = iopt_check_range(src_iova, length, &src_last);
	if (rc)
		return rc;
	rc = iopt_collect_pending(src, src_iova, src_last, &to_map);
	if (!rc)
		rc = iopt_insert_pending(dst, &to_map, length, dst_iova,
					 iommu_prot, fixed_iova, map_call);
	iopt_free_pending(&to_map);
	return rc;
}

/* ---- removing mappings -------------------------------------------------- */

static void iopt_remove_mapping(struct io_pagetable *iopt,
				struct iopt_mapping *mapping)
{
	if (iopt->ndomains)
		pages_domains_unmap_all(mapping->pages, mapping, iopt->domains,
					iopt->ndomains);
	iopt_remove_mapping_node(iopt, mapping);
	iommufd_pages_put(mapping->pages);
	kfree(mapping);
}

/*
 * Whether an unmap of the mappings created by call @map_call (0: of every
 * mapping) covers @mapping, which lies at least partly inside its range.
 */
static bool iopt_unmap_takes(const struct iopt_mapping *mapping, u64 map_call)
{
	return !map_call || mapping->map_call == map_call;
}

/*
 * Let accesses pin from the mappings inside [first, last] again.  Only the
 * holder of unmap_lock marks mappings, so every mark there is its own.
 */
static void iopt_allow_pins(struct io_pagetable *iopt, unsigned long first,
			    unsigned long last)
{
	struct iopt_mapping *mapping;

	lockdep_assert_held(&iopt->unmap_lock);

	for (mapping = iopt_first_mapping(iopt, first, last); mapping;
	     mapping = iopt_next_mapping(mapping, first, last))
		mapping->removing = false;
}

/*
 * The first mapping the unmap takes inside [first, last] that accesses
 * still pin, after refusing new pins on it.  Any mapping it takes sticking
 * out of the range makes the unmap fail with -ENOENT, and one with a fixed
 * pin with -EBUSY.
 */
static int iopt_check_unmap(struct io_pagetable *iopt, unsigned long first,
			    unsigned long last, u64 map_call,
			    struct iopt_mapping **pinned)
{
	struct iopt_mapping *mapping;

	*pinned = NULL;
	for (mapping = iopt_first_mapping(iopt, first, last); mapping;
	     mapping = iopt_next_mapping(mapping, first, last)) {
		if (!iopt_unmap_takes(mapping, map_call))
			continue;
		if (mapping->iova_node.start < first ||
		    mapping->iova_node.last > last)
			return -ENOENT;
		if (mapping->fixed_pins)
			return -EBUSY;
		if (mapping->access_pins && !*pinned) {
			mapping->removing = true;
			*pinned = mapping;
		}
	}
	return 0;
}

/*
 * Remove the mappings inside [first, last] (only those created by call
 * @map_call, unless it is 0).  Nothing is removed when a mapping sticks out
 * of the range, so a failed unmap changes nothing.  Mappings that accesses
 * pin are first given back by the accesses, whose unmap callbacks run
 * without iova_rwsem held.
 */
static int iopt_unmap_range(struct io_pagetable *iopt, unsigned long first,
			    unsigned long last, u64 map_call,
			    unsigned long *unmapped)
{
	struct iopt_mapping *mapping, *next;
	unsigned long unmapped_bytes = 0;
	unsigned long pinned_first = 0;
	unsigned int tries = 0;
	int rc;

	guard(mutex)(&iopt->unmap_lock);
	for (;;) {
		unsigned long pinned_length;

		down_write(&iopt->iova_rwsem);
		rc = iopt_check_unmap(iopt, first, last, map_call, &mapping);
		if (rc || !mapping)
			break;
		/* Each pinned mapping gets its own rounds of notifications */
		if (mapping->iova_node.start != pinned_first)
			tries = 0;
		pinned_first = mapping->iova_node.start;
		pinned_length = iopt_mapping_length(mapping);
		up_write(&iopt->iova_rwsem);

		iommufd_access_notify_unmap(iopt, pinned_first, pinned_length);
		/* An access that does not unpin when told is broken */
		if (WARN_ON_ONCE(++tries > 100)) {
			guard(rwsem_write)(&iopt->iova_rwsem);
			iopt_allow_pins(iopt, first, last);
			return -EDEADLOCK;
		}
	}
	if (rc) {
		iopt_allow_pins(iopt, first, last);
		up_write(&iopt->iova_rwsem);
		return rc;
	}

	for (mapping = iopt_first_mapping(iopt, first, last); mapping;
	     mapping = next) {
		next = iopt_next_mapping(mapping, first, last);
		if (!iopt_unmap_takes(mapping, map_call))
			continue;
		unmapped_bytes += iopt_mapping_length(mapping);
		iopt_remove_mapping(iopt, mapping);
	}
	up_write(&iopt->iova_rwsem);
	if (unmapped)
		*unmapped = unmapped_bytes;
	return 0;
}

/**
 * iopt_unmap() - remove the mappings inside an IOVA range
 * @iopt: the page table
 * @iova: first IOVA
 * @length: bytes
 * @unmapped: returns the number of bytes unmapped, possibly 0
 *
 * Return: 0; -ENOENT if a mapping is only partly inside the range, or
 * -EBUSY if iommufd itself pins one (a HW queue), and then nothing is
 * unmapped; -EINVAL for a zero length; -EOVERFLOW.
 */
int iopt_unmap(struct io_pagetable *iopt, unsigned long iova,
	       unsigned long length, unsigned long *unmapped)
{
	unsigned long last;
	int rc;

	rc = iopt_check_range(iova, length, &last);
	if (rc)
		return rc;
	return iopt_unmap_range(iopt, iova, last, 0, unmapped);
}

/**
 * iopt_unmap_all() - remove every mapping
 * @iopt: the page table
 * @unmapped: returns the number of bytes unmapped, possibly 0
 *
 * Return: 0, or -EBUSY (nothing unmapped) if iommufd itself pins a mapping.
 */
int iopt_unmap_all(struct io_pagetable *iopt, unsigned long *unmapped)
{
	return iopt_unmap_range(iopt, 0, ULONG_MAX, 0, unmapped);
}

/**
 * iopt_undo_map() - take back what one MAP or COPY call mapped
 * @iopt: the page table
 * @iova: the IOVA the call placed its memory at
 * @length: the length the call mapped
 * @map_call: the number iopt_map_pages() or iopt_copy() returned
 *
 * Removes whichever of that call's mappings are still there, and nothing
 * else: since the call returned, other threads may have unmapped its
 * mappings and mapped their own memory in the same range.
 */
void iopt_undo_map(struct io_pagetable *iopt, unsigned long iova,
		   unsigned long length, u64 map_call)
{
	/* The call's own mappings never stick out of its range */
	WARN_ON(iopt_unmap_range(iopt, iova, iova + length - 1, map_call,
				 NULL));
}

/**
 * iopt_split() - cut the mapping that spans an IOVA into two
 * @iopt: the page table
 * @iova: the first IOVA of the second half
 *
 * Lets VFIO's original type1 interface unmap part of a mapping.  Only
 * possible while large IOMMU pages are off: then no IOMMU page spans the
 * cut, and the domains need no change.  Nothing happens if no mapping has
 * IOVA on both sides of @iova.
 *
 * Return: 0; -EINVAL if large pages are on, the cut is not on a CPU page
 * of the memory or not on the IOVA granule, accesses pin the mapping or it
 * maps a dma-buf (removed whole: see pages_dmabuf.h);
 * -EBUSY while the mapping is being unmapped; -ENOMEM.
 */
int iopt_split(struct io_pagetable *iopt, unsigned long iova)
{
	struct iopt_mapping *tail __free(kfree) = NULL;
	struct iopt_mapping *head;
	unsigned long head_length;

	if (!iova)
		return 0;
	tail = kzalloc(sizeof(*tail), GFP_KERNEL_ACCOUNT);
	if (!tail)
		return -ENOMEM;

	guard(rwsem_write)(&iopt->iova_rwsem);
	head = iopt_first_mapping(iopt, iova - 1, iova);
	if (!head || head->iova_node.start == iova ||
	    head->iova_node.last == iova - 1)
		return 0;
	head_length = iova - head->iova_node.start;
	if (!iopt->large_pages_disabled || (iova & (iopt->iova_alignment - 1)) ||
	    offset_in_page(head->start_byte + head_length) ||
	    head->access_pins || head->pages->source == IOMMUFD_PAGES_DMABUF)
		return -EINVAL;
	if (head->removing)
		return -EBUSY;

	iopt_remove_mapping_node(iopt, head);
	tail->iova_node.start = iova;
	tail->iova_node.last = head->iova_node.last;
	head->iova_node.last = iova - 1;
	tail->start_byte = head->start_byte + head_length;
	tail->iommu_prot = head->iommu_prot;
	iommufd_pages_get(head->pages);
	tail->pages = head->pages;
	pages_domains_split(head->pages, head, tail);
	iopt_insert_mapping(iopt, head);
	iopt_insert_mapping(iopt, no_free_ptr(tail));
	return 0;
}

/**
 * iopt_add_to_move() - add the memory of every mapping to a change of owner
 * @iopt: the page table, its iova_rwsem held for write until the move ends
 * @move: the move (IOMMU_IOAS_CHANGE_PROCESS)
 *
 * Return: 0, or -EINVAL if a mapping maps user memory, which cannot move.
 */
int iopt_add_to_move(struct io_pagetable *iopt,
		     struct iommufd_pages_move *move)
{
	struct iopt_mapping *mapping;

	lockdep_assert_held_write(&iopt->iova_rwsem);
	for (mapping = iopt_first_mapping(iopt, 0, ULONG_MAX); mapping;
	     mapping = iopt_next_mapping(mapping, 0, ULONG_MAX)) {
		int rc = iommufd_pages_move_add(move, mapping->pages);

		if (rc)
			return rc;
	}
	return 0;
}

/* ---- reserved and allowed ranges ---------------------------------------- */

/**
 * iopt_add_allowed_range() - add a range to a tree of allowed ranges
 * @ranges: a tree being built for iopt_set_allowed()
 * @first: first IOVA
 * @last: last IOVA, at or above @first (a range may be a single byte)
 *
 * Return: 0; -EINVAL if @last is below @first or the range overlaps one
 * already in the tree; -ENOMEM.
 */
int iopt_add_allowed_range(struct rb_root_cached *ranges, u64 first, u64 last)
{
	struct iopt_allowed_range *range;

	if (first > last || last > ULONG_MAX ||
	    interval_tree_iter_first(ranges, first, last))
		return -EINVAL;

	range = kzalloc(sizeof(*range), GFP_KERNEL_ACCOUNT);
	if (!range)
		return -ENOMEM;
	range->iova_node.start = first;
	range->iova_node.last = last;
	interval_tree_insert(&range->iova_node, ranges);
	return 0;
}

/**
 * iopt_free_ranges() - free a tree of struct iopt_allowed_range
 * @ranges: the tree; empty afterwards
 */
void iopt_free_ranges(struct rb_root_cached *ranges)
{
	struct interval_tree_node *node;

	while ((node = interval_tree_iter_first(ranges, 0, ULONG_MAX))) {
		interval_tree_remove(node, ranges);
		kfree(container_of(node, struct iopt_allowed_range, iova_node));
	}
}

/**
 * iopt_set_allowed() - replace the allowed ranges
 * @iopt: the page table
 * @new_allowed: a tree of struct iopt_allowed_range; on success it
 *               receives the old ranges, on failure it is left as it was.
 *               The caller frees it with iopt_free_ranges() either way.
 *
 * Return: 0, or -EADDRINUSE if a new range overlaps reserved IOVA.
 */
int iopt_set_allowed(struct io_pagetable *iopt,
		     struct rb_root_cached *new_allowed)
{
	struct interval_tree_node *node;

	guard(rwsem_write)(&iopt->iova_rwsem);

	for (node = interval_tree_iter_first(new_allowed, 0, ULONG_MAX); node;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX))
		if (interval_tree_iter_first(&iopt->reserved, node->start,
					     node->last))
			return -EADDRINUSE;
	swap(*new_allowed, iopt->allowed);
	return 0;
}

static int __iopt_reserve(struct io_pagetable *iopt, unsigned long first,
			  unsigned long last, const void *owner)
{
	struct iopt_reservation *reservation;

	lockdep_assert_held_write(&iopt->iova_rwsem);

	if (interval_tree_iter_first(&iopt->mappings, first, last) ||
	    interval_tree_iter_first(&iopt->allowed, first, last))
		return -EADDRINUSE;

	reservation = kzalloc(sizeof(*reservation), GFP_KERNEL_ACCOUNT);
	if (!reservation)
		return -ENOMEM;
	reservation->iova_node.start = first;
	reservation->iova_node.last = last;
	reservation->owner = owner;
	interval_tree_insert(&reservation->iova_node, &iopt->reserved);
	return 0;
}

static void __iopt_unreserve(struct io_pagetable *iopt, const void *owner)
{
	struct interval_tree_node *node, *next;

	lockdep_assert_held_write(&iopt->iova_rwsem);

	for (node = interval_tree_iter_first(&iopt->reserved, 0, ULONG_MAX);
	     node; node = next) {
		struct iopt_reservation *reservation =
			container_of(node, struct iopt_reservation, iova_node);

		next = interval_tree_iter_next(node, 0, ULONG_MAX);
		if (reservation->owner != owner)
			continue;
		interval_tree_remove(node, &iopt->reserved);
		kfree(reservation);
	}
}

/**
 * iopt_reserve() - forbid mappings in an IOVA range
 * @iopt: the page table
 * @first: first IOVA
 * @last: last IOVA
 * @owner: tag that iopt_unreserve() removes the range by
 *
 * Return: 0; -EADDRINUSE if the range is mapped or allowed; -ENOMEM.
 */
int iopt_reserve(struct io_pagetable *iopt, unsigned long first,
		 unsigned long last, const void *owner)
{
	guard(rwsem_write)(&iopt->iova_rwsem);
	return __iopt_reserve(iopt, first, last, owner);
}

/**
 * iopt_unreserve() - remove every reserved range of one owner
 * @iopt: the page table
 * @owner: the tag given to iopt_reserve()
 */
void iopt_unreserve(struct io_pagetable *iopt, const void *owner)
{
	guard(rwsem_write)(&iopt->iova_rwsem);
	__iopt_unreserve(iopt, owner);
}

/*
 * Pinned pages, by anybody, among those @mapping maps; -EBUSY if its pages
 * object is being worked on
 */
static long iopt_mapping_pinned_pages(struct iopt_mapping *mapping)
{
	unsigned long last = iopt_mapping_last_index(mapping);
	unsigned long index = iopt_mapping_first_index(mapping);
	struct iommufd_pages *pages = mapping->pages;
	unsigned long seg_last;
	long pinned = 0;

	if (!mutex_trylock(&pages->mutex))
		return -EBUSY;
	for (; index <= last; index = seg_last + 1) {
		if (!iommufd_pages_unpinned_at(pages, index, last, &seg_last))
			pinned += seg_last - index + 1;
	}
	mutex_unlock(&pages->mutex);
	return pinned;
}

/**
 * iopt_pinned_pages() - pinned pages among those @iopt maps
 * @iopt: the page table
 *
 * Adds up, mapping by mapping, the pages that are pinned now, whoever
 * pinned them: a page that IOMMU_IOAS_COPY shares with another page table
 * counts in both, a page mapped at two IOVAs twice.  A snapshot for
 * fdinfo, which must not wait for a map, unmap or attach that holds the
 * locks for long: then there is no answer.
 *
 * Context: any process context; only tries the locks.
 * Return: the number of pages, or -EBUSY.
 */
long iopt_pinned_pages(struct io_pagetable *iopt)
{
	struct iopt_mapping *mapping;
	long pinned = 0, more;

	if (!down_read_trylock(&iopt->iova_rwsem))
		return -EBUSY;
	for (mapping = iopt_first_mapping(iopt, 0, ULONG_MAX); mapping;
	     mapping = iopt_next_mapping(mapping, 0, ULONG_MAX)) {
		more = iopt_mapping_pinned_pages(mapping);
		if (more < 0) {
			pinned = more;
			break;
		}
		pinned += more;
	}
	up_read(&iopt->iova_rwsem);
	return pinned;
}

/**
 * iopt_destroy() - release everything a page table holds
 * @iopt: the page table; nothing else may use it any more
 */
void iopt_destroy(struct io_pagetable *iopt)
{
	struct interval_tree_node *node;

	iopt_unmap_all(iopt, NULL);
	iopt_free_ranges(&iopt->allowed);
	/* Domains and accesses hold the IOAS, so they are all gone */
	WARN_ON(iopt->ndomains);
	WARN_ON(!xa_empty(&iopt->accesses));
	kfree(iopt->domains);
	xa_destroy(&iopt->accesses);
	mutex_destroy(&iopt->unmap_lock);

	guard(rwsem_write)(&iopt->iova_rwsem);
	while ((node = interval_tree_iter_first(&iopt->reserved, 0,
						ULONG_MAX))) {
		interval_tree_remove(node, &iopt->reserved);
		kfree(container_of(node, struct iopt_reservation, iova_node));
	}
}

/* ---- domains ------------------------------------------------------------- */

static unsigned long iopt_domain_granule(struct iommu_domain *domain)
{
	return 1UL << __ffs(domain->pgsize_bitmap);
}

/* The alignment the linked domains and the attached accesses need */
static unsigned long iopt_calc_alignment(struct io_pagetable *iopt)
{
	struct iopt_access_slot *slot;
	unsigned long align = 1;
	unsigned long index;
	unsigned int i;

	lockdep_assert_held(&iopt->iova_rwsem);

	/* Without large pages every IOMMU page is a CPU page */
	if (iopt->large_pages_disabled)
		align = PAGE_SIZE;
	for (i = 0; i < iopt->ndomains; i++)
		align = max(align, iopt_domain_granule(iopt->domains[i]));
	xa_for_each(&iopt->accesses, index, slot)
		align = max(align, slot->iova_alignment);
	return align;
}

/* Whether every existing mapping fits a stricter alignment */
static int iopt_check_alignment(struct io_pagetable *iopt, unsigned long align)
{
	struct iopt_mapping *mapping;

	lockdep_assert_held(&iopt->iova_rwsem);

	if (align <= iopt->iova_alignment)
		return 0;
	for (mapping = iopt_first_mapping(iopt, 0, ULONG_MAX); mapping;
	     mapping = iopt_next_mapping(mapping, 0, ULONG_MAX))
		if ((mapping->iova_node.start | iopt_mapping_length(mapping) |
		     offset_in_page(mapping->start_byte)) & (align - 1))
			return -EADDRINUSE;
	return 0;
}

/* IOVA the domain cannot translate must never be mapped while it is linked */
static int iopt_reserve_aperture(struct io_pagetable *iopt,
				 struct iommu_domain *domain)
{
	const struct iommu_domain_geometry *geometry = &domain->geometry;
	int rc;

	if (geometry->aperture_start) {
		rc = __iopt_reserve(iopt, 0, geometry->aperture_start - 1,
				    domain);
		if (rc)
			return rc;
	}
	if (geometry->aperture_end != ULONG_MAX) {
		rc = __iopt_reserve(iopt, geometry->aperture_end + 1,
				    ULONG_MAX, domain);
		if (rc) {
			__iopt_unreserve(iopt, domain);
			return rc;
		}
	}
	return 0;
}

/* Take one mapping out of @domain, which may be the last domain it is in */
static void iopt_unfill_mapping(struct io_pagetable *iopt,
				struct iopt_mapping *mapping,
				struct iommu_domain *domain)
{
	if (iopt->ndomains)
		pages_domains_unmap_one(mapping->pages, mapping, domain,
					iopt->domains[0]);
	else
		pages_domains_unmap_all(mapping->pages, mapping, &domain, 1);
}

/* Map every mapping into @domain, which is not in iopt->domains yet */
static int iopt_fill_domain(struct io_pagetable *iopt,
			    struct iommu_domain *domain)
{
	struct iopt_mapping *mapping, *done;
	int rc;

	for (mapping = iopt_first_mapping(iopt, 0, ULONG_MAX); mapping;
	     mapping = iopt_next_mapping(mapping, 0, ULONG_MAX)) {
		rc = pages_domains_map(mapping->pages, mapping, &domain, 1,
				       iopt->large_pages_disabled);
		if (rc)
			goto undo;
	}
	return 0;

undo:
	for (done = iopt_first_mapping(iopt, 0, ULONG_MAX); done != mapping;
	     done = iopt_next_mapping(done, 0, ULONG_MAX))
		iopt_unfill_mapping(iopt, done, domain);
	return rc;
}

/**
 * iopt_add_domain() - link a domain to the page table
 * @iopt: the page table
 * @domain: a paging domain with its final geometry and page sizes
 *
 * The domain gets every existing mapping (pinning memory that only now
 * becomes needed), the IOVA outside its aperture is reserved, and the IOVA
 * alignment grows to its smallest page size.
 *
 * Return: 0; on failure nothing changed: -EADDRINUSE if a mapping lies
 * outside the aperture or does not fit the domain's page size, or an
 * allowed range lies outside the aperture; -EEXIST if already linked;
 * -EINVAL for a domain without page sizes; -ENOMEM; or errors from
 * pinning and from the IOMMU driver.
 */
int iopt_add_domain(struct io_pagetable *iopt, struct iommu_domain *domain)
{
	struct iommu_domain **domains;
	unsigned long align;
	unsigned int i;
	int rc;

	if (!domain->pgsize_bitmap)
		return -EINVAL;

	guard(rwsem_write)(&iopt->iova_rwsem);

	for (i = 0; i < iopt->ndomains; i++)
		if (WARN_ON(iopt->domains[i] == domain))
			return -EEXIST;
	align = max(iopt->iova_alignment, iopt_domain_granule(domain));
	rc = iopt_check_alignment(iopt, align);
	if (rc)
		return rc;

	domains = krealloc_array(iopt->domains, iopt->ndomains + 1,
				 sizeof(*domains), GFP_KERNEL_ACCOUNT);
	if (!domains)
		return -ENOMEM;
	iopt->domains = domains;

	rc = iopt_reserve_aperture(iopt, domain);
	if (rc)
		return rc;
	rc = iopt_fill_domain(iopt, domain);
	if (rc) {
		__iopt_unreserve(iopt, domain);
		return rc;
	}
	iopt->domains[iopt->ndomains++] = domain;
	iopt->iova_alignment = align;
	return 0;
}

/**
 * iopt_remove_domain() - unlink a domain from the page table
 * @iopt: the page table
 * @domain: a domain added with iopt_add_domain()
 *
 * Every mapping is unmapped from the domain; memory no other domain or
 * access needs is unpinned.
 */
void iopt_remove_domain(struct io_pagetable *iopt, struct iommu_domain *domain)
{
	struct iopt_mapping *mapping;
	unsigned int i;

	guard(rwsem_write)(&iopt->iova_rwsem);

	for (i = 0; i < iopt->ndomains; i++)
		if (iopt->domains[i] == domain)
			break;
	if (WARN_ON(i == iopt->ndomains))
		return;
	iopt->domains[i] = iopt->domains[--iopt->ndomains];

	for (mapping = iopt_first_mapping(iopt, 0, ULONG_MAX); mapping;
	     mapping = iopt_next_mapping(mapping, 0, ULONG_MAX))
		iopt_unfill_mapping(iopt, mapping, domain);
	__iopt_unreserve(iopt, domain);
	iopt->iova_alignment = iopt_calc_alignment(iopt);
}

/**
 * iopt_set_large_pages() - allow or forbid large IOMMU pages
 * @iopt: the page table
 * @enable: whether runs of contiguous memory may be mapped as large pages
 *
 * Forbidding them also makes CPU pages the smallest IOVA granule, so that
 * no IOMMU page ever covers parts of two CPU pages.
 *
 * Return: 0; -EINVAL to forbid them while domains already map memory
 * (possibly with large pages, which would then stay); -EADDRINUSE if an
 * existing mapping is not aligned to a CPU page.
 */
int iopt_set_large_pages(struct io_pagetable *iopt, bool enable)
{
	unsigned long align;
	int rc;

	guard(rwsem_write)(&iopt->iova_rwsem);

	if (enable || iopt->large_pages_disabled) {
		iopt->large_pages_disabled = !enable;
		iopt->iova_alignment = iopt_calc_alignment(iopt);
		return 0;
	}
	if (iopt->ndomains && !RB_EMPTY_ROOT(&iopt->mappings.rb_root))
		return -EINVAL;
	align = max(iopt->iova_alignment, PAGE_SIZE);
	rc = iopt_check_alignment(iopt, align);
	if (rc)
		return rc;
	iopt->large_pages_disabled = true;
	iopt->iova_alignment = align;
	return 0;
}

/* ---- accesses ------------------------------------------------------------ */

/**
 * iopt_add_access() - register an access with the page table
 * @iopt: the page table
 * @access: the access, opaque here
 * @iova_alignment: power of two the access needs IOVAs aligned to
 * @slot_id: returns the id iopt_remove_access() takes
 *
 * Return: 0; -EADDRINUSE if an existing mapping is not aligned enough;
 * -ENOMEM.
 */
int iopt_add_access(struct io_pagetable *iopt, void *access,
		    unsigned long iova_alignment, u32 *slot_id)
{
	struct iopt_access_slot *slot;
	int rc;

	slot = kzalloc(sizeof(*slot), GFP_KERNEL_ACCOUNT);
	if (!slot)
		return -ENOMEM;
	slot->access = access;
	slot->iova_alignment = iova_alignment;

	guard(rwsem_write)(&iopt->iova_rwsem);
	rc = iopt_check_alignment(iopt, iova_alignment);
	if (!rc)
		rc = xa_alloc(&iopt->accesses, slot_id, slot, xa_limit_32b,
			      GFP_KERNEL_ACCOUNT);
	if (rc) {
		kfree(slot);
		return rc;
	}
	iopt->iova_alignment = max(iopt->iova_alignment, iova_alignment);
	return 0;
}

/**
 * iopt_remove_access() - undo iopt_add_access()
 * @iopt: the page table
 * @slot_id: what iopt_add_access() returned
 */
void iopt_remove_access(struct io_pagetable *iopt, u32 slot_id)
{
	guard(rwsem_write)(&iopt->iova_rwsem);
	kfree(xa_erase(&iopt->accesses, slot_id));
	iopt->iova_alignment = iopt_calc_alignment(iopt);
}

/*
 * Walks the mappings that cover [first, last] in order, without holes.
 * iopt_range_next() gives each mapping and the part of the range inside it
 * as [*seg_first, *seg_last]; -ENOENT marks a hole or an unmapped end.
 */
struct iopt_range_walk {
	struct io_pagetable *iopt;
	unsigned long next;
	unsigned long last;
	struct iopt_mapping *mapping;
	bool done;
};

static int iopt_range_next(struct iopt_range_walk *walk,
			   unsigned long *seg_first, unsigned long *seg_last)
{
	struct iopt_mapping *mapping;

	if (walk->done)
		return 0;
	mapping = walk->mapping ?
			  iopt_next_mapping(walk->mapping, walk->next,
					    walk->last) :
			  iopt_first_mapping(walk->iopt, walk->next, walk->last);
	if (!mapping || mapping->iova_node.start > walk->next)
		return -ENOENT;
	walk->mapping = mapping;
	*seg_first = walk->next;
	*seg_last = min(walk->last, mapping->iova_node.last);
	if (*seg_last == walk->last)
		walk->done = true;
	else
		walk->next = *seg_last + 1;
	return 1;
}

static int iopt_range_walk_init(struct iopt_range_walk *walk,
				struct io_pagetable *iopt, unsigned long iova,
				unsigned long length)
{
	*walk = (struct iopt_range_walk){ .iopt = iopt, .next = iova };
	return iopt_check_range(iova, length, &walk->last);
}

/**
 * iopt_range_fully_mapped() - whether mappings cover a range without holes
 * @iopt: the page table
 * @first: first IOVA of the range
 * @last: last IOVA of the range, not below @first
 *
 * Context: iova_rwsem held, so the answer stays true while it is.
 * Return: true if every IOVA of the range is mapped.
 */
bool iopt_range_fully_mapped(struct io_pagetable *iopt, unsigned long first,
			     unsigned long last)
{
	struct iopt_range_walk walk = {
		.iopt = iopt, .next = first, .last = last
	};
	unsigned long seg_first, seg_last;
	int rc;

	lockdep_assert_held(&iopt->iova_rwsem);
	do {
		rc = iopt_range_next(&walk, &seg_first, &seg_last);
	} while (rc > 0);
	return !rc;
}

/* Whether an access may pin or copy through @mapping now */
static int iopt_mapping_check_use(struct iopt_mapping *mapping, bool write)
{
	if (mapping->removing)
		return -EINVAL;
	if (write && !(mapping->iommu_prot & IOMMU_WRITE))
		return -EPERM;
	return 0;
}

/* Unpin what iopt_pin_pages() pinned in [first, last] */
static void iopt_unpin_range(struct io_pagetable *iopt, unsigned long first,
			     unsigned long last, unsigned int flags)
{
	struct iopt_range_walk walk = { .iopt = iopt, .next = first,
					.last = last };
	unsigned long seg_first, seg_last;
	int rc;

	while ((rc = iopt_range_next(&walk, &seg_first, &seg_last)) > 0) {
		struct iopt_mapping *mapping = walk.mapping;

		pages_access_unpin(mapping->pages, mapping,
				   iopt_mapping_iova_index(mapping, seg_first),
				   iopt_mapping_iova_index(mapping, seg_last),
				   flags & IOPT_PIN_FIXED);
	}
	WARN_ON(rc);
}

/**
 * iopt_pin_pages() - pin the memory behind an IOVA range for an access
 * @iopt: the page table
 * @iova: first IOVA
 * @length: bytes
 * @out_pages: receives one page pointer per CPU page the range touches
 * @flags: IOPT_PIN_WRITE to pin for writing, IOPT_PIN_FIXED for a pin
 *         that unmapping does not wait for but fails on
 *
 * Return: 0; -ENOENT if part of the range is not mapped; -EPERM to write
 * to memory mapped read-only; -EINVAL for a zero length or a mapping that
 * is being unmapped; -EOVERFLOW; -ENOMEM (also past RLIMIT_MEMLOCK);
 * -EFAULT.  Nothing is left pinned on failure.
 */
int iopt_pin_pages(struct io_pagetable *iopt, unsigned long iova,
		   unsigned long length, struct page **out_pages,
		   unsigned int flags)
{
	unsigned long seg_first, seg_last;
	unsigned long pinned_end = iova;
	struct iopt_range_walk walk;
	int rc;

	rc = iopt_range_walk_init(&walk, iopt, iova, length);
	if (rc)
		return rc;

	guard(rwsem_read)(&iopt->iova_rwsem);
	while ((rc = iopt_range_next(&walk, &seg_first, &seg_last)) > 0) {
		struct iopt_mapping *mapping = walk.mapping;
		unsigned long first_index, last_index;

		rc = iopt_mapping_check_use(mapping, flags & IOPT_PIN_WRITE);
		if (rc)
			break;
		first_index = iopt_mapping_iova_index(mapping, seg_first);
		last_index = iopt_mapping_iova_index(mapping, seg_last);
		rc = pages_access_pin(mapping->pages, mapping, first_index,
				      last_index, out_pages,
				      flags & IOPT_PIN_FIXED);
		if (rc)
			break;
		out_pages += last_index - first_index + 1;
		pinned_end = seg_last + 1;
	}
	if (rc && pinned_end != iova)
		iopt_unpin_range(iopt, iova, pinned_end - 1, flags);
	return rc;
}

/**
 * iopt_unpin_pages() - undo iopt_pin_pages()
 * @iopt: the page table
 * @iova: the IOVA given to iopt_pin_pages()
 * @length: the length given to iopt_pin_pages()
 * @flags: IOPT_PIN_FIXED if given to iopt_pin_pages()
 */
void iopt_unpin_pages(struct io_pagetable *iopt, unsigned long iova,
		      unsigned long length, unsigned int flags)
{
	unsigned long last;

	if (WARN_ON(iopt_check_range(iova, length, &last)))
		return;
	guard(rwsem_read)(&iopt->iova_rwsem);
	iopt_unpin_range(iopt, iova, last, flags);
}

/**
 * iopt_rw() - copy between a kernel buffer and the memory behind IOVA
 * @iopt: the page table
 * @iova: first IOVA
 * @data: the kernel buffer
 * @length: bytes
 * @flags: IOMMUFD_ACCESS_RW_* flags
 *
 * Return: 0; -ENOENT if part of the range is not mapped; -EPERM to write
 * to memory mapped read-only; -EINVAL; -EOVERFLOW; -EFAULT; -ENOMEM.
 */
int iopt_rw(struct io_pagetable *iopt, unsigned long iova, void *data,
	    size_t length, unsigned int flags)
{
	unsigned long seg_first, seg_last;
	struct iopt_range_walk walk;
	int rc;

	rc = iopt_range_walk_init(&walk, iopt, iova, length);
	if (rc)
		return rc;

	guard(rwsem_read)(&iopt->iova_rwsem);
	while ((rc = iopt_range_next(&walk, &seg_first, &seg_last)) > 0) {
		struct iopt_mapping *mapping = walk.mapping;
		unsigned long bytes = seg_last - seg_first + 1;

		rc = iopt_mapping_check_use(mapping,
					    flags & IOMMUFD_ACCESS_RW_WRITE);
		if (rc)
			return rc;
		rc = pages_access_rw(mapping->pages,
				     mapping->start_byte + seg_first -
				     mapping->iova_node.start,
				     data, bytes, flags);
		if (rc)
			return rc;
		data += bytes;
	}
	return rc;
}
