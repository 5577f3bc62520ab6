// SPDX-License-Identifier: GPL-2.0-only
/*
 * The I/O page table of an IOAS: placing, checking, creating and removing
 * mappings, and the reserved and allowed IOVA ranges.  io_pagetable.h
 * states the rules.
 */
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "io_pagetable.h"
#include "pages.h"

/*
 * One piece of memory on its way into a page table: COPY produces one per
 * source mapping it crosses, MAP exactly one.
 */
struct iopt_slice {
	struct list_head link;
	struct iommufd_pages *pages;
	unsigned long start_byte;
	unsigned long length;
	/* Allocated before the page table is locked, so inserting cannot fail */
	struct iopt_mapping *mapping;
};

void iopt_init(struct iommufd_iopt *iopt)
{
	init_rwsem(&iopt->iova_rwsem);
	iopt->mappings = RB_ROOT_CACHED;
	iopt->reserved = RB_ROOT_CACHED;
	iopt->allowed = RB_ROOT_CACHED;
	xa_init_flags(&iopt->domains, XA_FLAGS_ACCOUNT);
	xa_init_flags(&iopt->accesses, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	iopt->iova_alignment = 1;
}

static struct iopt_mapping *iopt_first_mapping(struct iommufd_iopt *iopt,
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

/* ---- placing IOVAs ------------------------------------------------------ */

/*
 * Of the first mapping and the first reservation that [first, last] runs
 * into, the one that ends last, so a search can skip past both.
 */
static struct interval_tree_node *iopt_first_obstacle(struct iommufd_iopt *iopt,
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
static bool iopt_find_free(struct iommufd_iopt *iopt, unsigned long lo,
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
static int iopt_place(struct iommufd_iopt *iopt, unsigned long hint,
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
static int iopt_check_fixed(struct iommufd_iopt *iopt, unsigned long iova,
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

static void iopt_free_slices(struct list_head *slices)
{
	struct iopt_slice *slice, *next;

	list_for_each_entry_safe(slice, next, slices, link) {
		if (slice->pages)
			iommufd_pages_put(slice->pages);
		kfree(slice->mapping);
		kfree(slice);
	}
}

/* Takes over the caller's reference on @pages, also on failure */
static int iopt_add_slice(struct list_head *slices,
			  struct iommufd_pages *pages,
			  unsigned long start_byte, unsigned long length)
{
	struct iopt_slice *slice;

	slice = kzalloc(sizeof(*slice), GFP_KERNEL_ACCOUNT);
	if (!slice) {
		iommufd_pages_put(pages);
		return -ENOMEM;
	}
	list_add_tail(&slice->link, slices);
	slice->pages = pages;
	slice->start_byte = start_byte;
	slice->length = length;
	slice->mapping = kzalloc(sizeof(*slice->mapping), GFP_KERNEL_ACCOUNT);
	return slice->mapping ? 0 : -ENOMEM;
}

/* Whether every slice can go into @iopt with @iommu_prot */
static int iopt_check_slices(struct iommufd_iopt *iopt,
			     struct list_head *slices, int iommu_prot)
{
	struct iopt_slice *slice;

	list_for_each_entry(slice, slices, link) {
		if ((iommu_prot & IOMMU_WRITE) && !slice->pages->writable)
			return -EPERM;
		/* The IOMMU maps whole granules of each page */
		if ((slice->length | offset_in_page(slice->start_byte)) &
		    (iopt->iova_alignment - 1))
			return -EINVAL;
	}
	return 0;
}

/*
 * Put @slices into @iopt back to back from *@iova (placed automatically
 * unless @fixed_iova).  On success the mappings own the slices' pages
 * references and mapping memory.
 */
static int iopt_insert_slices(struct iommufd_iopt *iopt,
			      struct list_head *slices, unsigned long length,
			      unsigned long *iova, int iommu_prot,
			      bool fixed_iova)
{
	struct iopt_slice *first = list_first_entry(slices, struct iopt_slice,
						    link);
	unsigned long next_iova;
	struct iopt_slice *slice;
	int rc;

	guard(rwsem_write)(&iopt->iova_rwsem);

	rc = iopt_check_slices(iopt, slices, iommu_prot);
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
	list_for_each_entry(slice, slices, link) {
		struct iopt_mapping *mapping = slice->mapping;

		mapping->iova_node.start = next_iova;
		mapping->iova_node.last = next_iova + slice->length - 1;
		mapping->pages = slice->pages;
		mapping->start_byte = slice->start_byte;
		mapping->iommu_prot = iommu_prot;
		interval_tree_insert(&mapping->iova_node, &iopt->mappings);
		next_iova += slice->length;
		/* Owned by the page table now */
		slice->pages = NULL;
		slice->mapping = NULL;
	}
	return 0;
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
 *
 * Return: 0; -EINVAL for a misaligned IOVA or length, or a fixed range
 * touching reserved IOVA; -EEXIST if a fixed range touches a mapping;
 * -ENOSPC if no free IOVA range fits; -EPERM for write access to memory
 * that is not writable; -EOVERFLOW; -ENOMEM.
 */
int iopt_map_pages(struct iommufd_iopt *iopt, struct iommufd_pages *pages,
		   unsigned long start_byte, unsigned long length,
		   unsigned long *iova, int iommu_prot, bool fixed_iova)
{
	LIST_HEAD(slices);
	int rc;

	rc = iopt_add_slice(&slices, pages, start_byte, length);
	if (!rc)
		rc = iopt_insert_slices(iopt, &slices, length, iova,
					iommu_prot, fixed_iova);
	iopt_free_slices(&slices);
	return rc;
}

/* Take references on the memory behind [first, last] of @src, in order */
static int iopt_collect_slices(struct iommufd_iopt *src, unsigned long first,
			       unsigned long last, struct list_head *slices)
{
	unsigned long next = first;
	struct iopt_mapping *mapping;
	int rc;

	guard(rwsem_read)(&src->iova_rwsem);

	for (mapping = iopt_first_mapping(src, first, last); mapping;
	     mapping = iopt_next_mapping(mapping, first, last)) {
		unsigned long slice_last = min(last, mapping->iova_node.last);
		unsigned long skip;

		/* A hole inside the range: there is nothing to copy there */
		if (mapping->iova_node.start > next)
			return -ENOENT;
		skip = next - mapping->iova_node.start;
		iommufd_pages_get(mapping->pages);
		rc = iopt_add_slice(slices, mapping->pages,
				    mapping->start_byte + skip,
				    slice_last - next + 1);
		if (rc)
			return rc;
		if (slice_last == last)
			return 0;
		next = slice_last + 1;
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
 *
 * The new mappings share the source's memory objects, so memory is pinned
 * (and charged) once however often it is copied.
 *
 * Return: as iopt_map_pages(), plus -ENOENT when the source range is not
 * fully mapped.
 */
int iopt_copy(struct iommufd_iopt *dst, unsigned long *dst_iova,
	      struct iommufd_iopt *src, unsigned long src_iova,
	      unsigned long length, int iommu_prot, bool fixed_iova)
{
	unsigned long src_last;
	LIST_HEAD(slices);
	int rc;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(src_iova, length - 1, &src_last))
		return -EOVERFLOW;

	rc = iopt_collect_slices(src, src_iova, src_last, &slices);
	if (!rc)
		rc = iopt_insert_slices(dst, &slices, length, dst_iova,
					iommu_prot, fixed_iova);
	iopt_free_slices(&slices);
	return rc;
}

/* ---- removing mappings -------------------------------------------------- */

static void iopt_remove_mapping(struct iommufd_iopt *iopt,
				struct iopt_mapping *mapping)
{
	interval_tree_remove(&mapping->iova_node, &iopt->mappings);
	iommufd_pages_put(mapping->pages);
	kfree(mapping);
}

/*
 * Remove every mapping inside [first, last].  Nothing is removed when a
 * mapping sticks out of the range, so a failed unmap changes nothing.
 */
static int iopt_unmap_range(struct iommufd_iopt *iopt, unsigned long first,
			    unsigned long last, unsigned long *unmapped)
{
	struct iopt_mapping *mapping, *next;
	unsigned long unmapped_bytes = 0;

	guard(rwsem_write)(&iopt->iova_rwsem);

	for (mapping = iopt_first_mapping(iopt, first, last); mapping;
	     mapping = iopt_next_mapping(mapping, first, last))
		if (mapping->iova_node.start < first ||
		    mapping->iova_node.last > last)
			return -ENOENT;

	for (mapping = iopt_first_mapping(iopt, first, last); mapping;
	     mapping = next) {
		next = iopt_next_mapping(mapping, first, last);
		unmapped_bytes += iopt_mapping_length(mapping);
		iopt_remove_mapping(iopt, mapping);
	}
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
 * Return: 0; -ENOENT if a mapping is only partly inside the range (then
 * nothing is unmapped); -EINVAL for a zero length; -EOVERFLOW.
 */
int iopt_unmap(struct iommufd_iopt *iopt, unsigned long iova,
	       unsigned long length, unsigned long *unmapped)
{
	unsigned long last;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	return iopt_unmap_range(iopt, iova, last, unmapped);
}

/**
 * iopt_unmap_all() - remove every mapping
 * @iopt: the page table
 * @unmapped: returns the number of bytes unmapped, possibly 0
 *
 * Return: 0.
 */
int iopt_unmap_all(struct iommufd_iopt *iopt, unsigned long *unmapped)
{
	return iopt_unmap_range(iopt, 0, ULONG_MAX, unmapped);
}

/* ---- reserved and allowed ranges ---------------------------------------- */

/**
 * iopt_add_allowed_range() - add a range to a tree of allowed ranges
 * @ranges: a tree being built for iopt_set_allowed()
 * @first: first IOVA
 * @last: last IOVA, above @first
 *
 * Return: 0; -EINVAL if @last is not above @first or the range overlaps one
 * already in the tree; -ENOMEM.
 */
int iopt_add_allowed_range(struct rb_root_cached *ranges, u64 first, u64 last)
{
	struct iopt_allowed_range *range;

	if (first >= last || last > ULONG_MAX ||
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
int iopt_set_allowed(struct iommufd_iopt *iopt,
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

/**
 * iopt_reserve() - forbid mappings in an IOVA range
 * @iopt: the page table
 * @first: first IOVA
 * @last: last IOVA
 * @owner: tag that iopt_unreserve() removes the range by
 *
 * Return: 0; -EADDRINUSE if the range is mapped or allowed; -ENOMEM.
 */
int iopt_reserve(struct iommufd_iopt *iopt, unsigned long first,
		 unsigned long last, const void *owner)
{
	struct iopt_reservation *reservation;

	guard(rwsem_write)(&iopt->iova_rwsem);

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

/**
 * iopt_unreserve() - remove every reserved range of one owner
 * @iopt: the page table
 * @owner: the tag given to iopt_reserve()
 */
void iopt_unreserve(struct iommufd_iopt *iopt, const void *owner)
{
	struct interval_tree_node *node, *next;

	guard(rwsem_write)(&iopt->iova_rwsem);

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
 * iopt_destroy() - release everything a page table holds
 * @iopt: the page table; nothing else may use it any more
 */
void iopt_destroy(struct iommufd_iopt *iopt)
{
	struct interval_tree_node *node;

	iopt_unmap_all(iopt, NULL);
	iopt_free_ranges(&iopt->allowed);

	guard(rwsem_write)(&iopt->iova_rwsem);
	while ((node = interval_tree_iter_first(&iopt->reserved, 0,
						ULONG_MAX))) {
		interval_tree_remove(node, &iopt->reserved);
		kfree(container_of(node, struct iopt_reservation, iova_node));
	}
}

/* ---- interim: domains and accesses (replaced by the pinning engine) ---- */

int iopt_add_domain(struct iommufd_iopt *iopt, struct iommu_domain *domain)
{
	int rc;

	guard(rwsem_write)(&iopt->iova_rwsem);
	if (!RB_EMPTY_ROOT(&iopt->mappings.rb_root))
		return -EOPNOTSUPP;
	rc = xa_err(xa_store(&iopt->domains, iopt->ndomains, domain,
			     GFP_KERNEL));
	if (!rc)
		iopt->ndomains++;
	return rc;
}

void iopt_remove_domain(struct iommufd_iopt *iopt, struct iommu_domain *domain)
{
	unsigned int i;

	guard(rwsem_write)(&iopt->iova_rwsem);
	for (i = 0; i < iopt->ndomains; i++) {
		if (xa_load(&iopt->domains, i) != domain)
			continue;
		iopt->ndomains--;
		xa_store(&iopt->domains, i,
			 xa_load(&iopt->domains, iopt->ndomains), GFP_KERNEL);
		xa_erase(&iopt->domains, iopt->ndomains);
		return;
	}
}

int iopt_set_large_pages(struct iommufd_iopt *iopt, bool enable)
{
	guard(rwsem_write)(&iopt->iova_rwsem);
	iopt->large_pages_disabled = !enable;
	return 0;
}

int iopt_add_access(struct iommufd_iopt *iopt, void *access,
		    unsigned long iova_alignment, u32 *slot_id)
{
	return -EOPNOTSUPP;
}

void iopt_remove_access(struct iommufd_iopt *iopt, u32 slot_id)
{
}

int iopt_pin_pages(struct iommufd_iopt *iopt, unsigned long iova,
		   unsigned long length, struct page **out_pages,
		   unsigned int flags)
{
	return -EOPNOTSUPP;
}

void iopt_unpin_pages(struct iommufd_iopt *iopt, unsigned long iova,
		      unsigned long length)
{
}

int iopt_rw(struct iommufd_iopt *iopt, unsigned long iova, void *data,
	    size_t length, unsigned int flags)
{
	return -EOPNOTSUPP;
}

void __weak iommufd_access_notify_unmap(struct iommufd_iopt *iopt,
					unsigned long iova,
					unsigned long length)
{
}
