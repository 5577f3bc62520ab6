/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The I/O page table of an IOAS: which IOVA ranges map which memory, which
 * IOVA ranges must never be mapped, and which ones user space wants kept
 * free for its own choices.
 *
 * Contract
 * --------
 * - Mappings never overlap each other or a reserved range.  A mapping is
 *   created and removed whole: an unmap that would cut one fails and leaves
 *   everything as it was.
 * - Reserved ranges (owned by whoever reserved them) never overlap an
 *   allowed range; IOMMU_IOAS_IOVA_RANGES reports the holes between them.
 * - Automatically placed IOVAs are never 0, stay inside the allowed ranges
 *   when there are any, and copy the alignment of the memory behind them
 *   (up to a PMD) so that large pages can back large IOMMU pages.
 * - iova_alignment is the granule every IOVA and length must respect; it is
 *   1 while nothing restricts it, else the largest of the smallest page size
 *   of every linked domain and the alignment every access asked for.
 * - Every linked domain maps every mapping, always ("a paging HWPT mirrors
 *   one IOAS for life", iommufd_private.h): a
 *   domain is filled when it is linked and emptied when it is unlinked, a
 *   new mapping is put into every domain before the call returns, and an
 *   unmap takes it out of every domain before its pages are unpinned.
 *   IOVA outside a domain's aperture is reserved (owner: the domain) while
 *   it is linked.
 * - Memory is pinned only while a domain or an access needs it.
 * - A mapping that an access has pinned pages of is not removed until the
 *   access has unpinned them: the unmap first asks every access, through
 *   iommufd_access_notify_unmap(), to let go of the range.
 *
 * Locking: iova_rwsem protects the three interval trees, the domains,
 * iova_alignment and large_pages_disabled; lookups and pins take it for
 * read, changes for write.  It is taken before any pages object's mutex.
 * unmap_lock is held across a whole unmap, outside iova_rwsem and across
 * the access unmap callbacks it waits for: unmaps of one page table run
 * one at a time, so the mappings marked as being removed are exactly those
 * of the one unmap that holds it, and a failing unmap can never let pins
 * in on a mapping another unmap is waiting for.
 */
#ifndef __IOMMUFD_IO_PAGETABLE_H
#define __IOMMUFD_IO_PAGETABLE_H

#include <linux/bits.h>
#include <linux/interval_tree.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include <asm/page.h>

struct iommu_domain;
struct iommufd_pages;
struct iommufd_pages_move;
struct page;

/**
 * struct iopt_mapping - an IOVA range backed by part of a pages object
 * @iova_node: [first, last] IOVA, in io_pagetable.mappings
 * @pages: the memory, one reference held
 * @start_byte: offset of the first mapped byte from the start of the pages
 *              object's page 0
 * @iommu_prot: IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE
 * @pages_node: [first, last] page index inside @pages, in the pages
 *              object's tree of domain users while the mapping is in the
 *              domains (under the pages object's mutex)
 * @storage_domain: a domain the mapping is in, from which the physical
 *                  addresses of its pinned pages are read back; NULL
 *                  while the page table has no domain
 * @pfn_breaks: while the mapping is in domains, the bitwise OR of every
 *              IOVA at which a page of it starts that is not physically
 *              contiguous with the page before (0: none is).  The IOVAs
 *              between two multiples of its lowest set bit are thus
 *              physically contiguous, and are read back from the storage
 *              domain with one lookup (under the pages object's mutex)
 * @access_pins: ranges of the mapping accesses have pinned now (under the
 *               pages object's mutex)
 * @fixed_pins: how many of @access_pins are fixed pins, which nobody can
 *              be told to give back, so the mapping cannot be removed
 *              (under the pages object's mutex)
 * @map_call: the number of the MAP or COPY call that created the mapping
 *            (both halves of a split keep it), so that undoing that call
 *            removes its own mappings and nothing another call put there
 * @removing: the unmap holding the page table's unmap_lock is waiting for
 *            the accesses to unpin; new pins fail.  Only that unmap sets
 *            or clears it.
 */
struct iopt_mapping {
	struct interval_tree_node iova_node;
	struct iommufd_pages *pages;
	unsigned long start_byte;
	int iommu_prot;
	struct interval_tree_node pages_node;
	struct iommu_domain *storage_domain;
	unsigned long pfn_breaks;
	unsigned int access_pins;
	unsigned int fixed_pins;
	u64 map_call;
	bool removing;
};

/*
 * Where a mapping's IOVAs and the page indexes of its pages object meet.
 * Only the first and the last page of a mapping can be mapped in part.
 */

/* The index, inside the pages object, of the page holding byte @iova */
static inline unsigned long
iopt_mapping_iova_index(struct iopt_mapping *mapping, unsigned long iova)
{
	return (mapping->start_byte + iova - mapping->iova_node.start) >>
	       PAGE_SHIFT;
}

/* The index of the page holding the first byte @mapping maps */
static inline unsigned long
iopt_mapping_first_index(struct iopt_mapping *mapping)
{
	return mapping->start_byte >> PAGE_SHIFT;
}

/* The index of the page holding the last byte @mapping maps */
static inline unsigned long
iopt_mapping_last_index(struct iopt_mapping *mapping)
{
	return (mapping->start_byte + mapping->iova_node.last -
		mapping->iova_node.start) >> PAGE_SHIFT;
}

/*
 * The IOVA page index 0 would have, had @mapping mapped its pages object
 * from its start: page @index, past the first, starts at this plus
 * @index << PAGE_SHIFT.  Loops over many pages keep it at hand.
 */
static inline unsigned long
iopt_mapping_index0_iova(struct iopt_mapping *mapping)
{
	return mapping->iova_node.start - mapping->start_byte;
}

/* The first byte of page @index that @mapping maps, as an IOVA */
static inline unsigned long
iopt_mapping_index_iova(struct iopt_mapping *mapping, unsigned long index)
{
	unsigned long byte = max(index << PAGE_SHIFT, mapping->start_byte);

	return iopt_mapping_index0_iova(mapping) + byte;
}

/* The last byte of page @index that @mapping maps, as an IOVA */
static inline unsigned long
iopt_mapping_index_last_iova(struct iopt_mapping *mapping, unsigned long index)
{
	unsigned long last_byte = mapping->start_byte +
				  (mapping->iova_node.last -
				   mapping->iova_node.start);
	unsigned long byte = min(((index + 1) << PAGE_SHIFT) - 1, last_byte);

	return mapping->iova_node.start + byte - mapping->start_byte;
}

/**
 * struct iopt_reservation - IOVA that must never be mapped
 * @iova_node: [first, last] IOVA, in io_pagetable.reserved
 * @owner: who reserved it; removed together by owner
 */
struct iopt_reservation {
	struct interval_tree_node iova_node;
	const void *owner;
};

/**
 * struct iopt_allowed_range - IOVA user space wants usable
 * @iova_node: [first, last] IOVA, in io_pagetable.allowed
 */
struct iopt_allowed_range {
	struct interval_tree_node iova_node;
};

/**
 * struct io_pagetable - the I/O page table of one IOAS
 * @iova_rwsem: see the locking rules above
 * @mappings: struct iopt_mapping by IOVA
 * @reserved: struct iopt_reservation by IOVA
 * @allowed: struct iopt_allowed_range by IOVA
 * @domains: array of the linked domains
 * @ndomains: how many entries @domains has
 * @accesses: the attached accesses, managed by access.c: index -> the
 *            access, plus the IOVA alignment each one asked for
 * @unmap_lock: serialises unmaps (see the locking rules above)
 * @map_calls: how many MAP or COPY calls created mappings so far; the
 *             number of the latest one (under @iova_rwsem)
 * @iova_alignment: power of two every IOVA and length must be a multiple of
 * @large_pages_disabled: IOMMU_OPTION_HUGE_PAGES is 0: fill domains one
 *                        CPU page per IOMMU mapping call instead of
 *                        combining contiguous runs into larger IOMMU pages
 * @nmappings: how many mappings @mappings holds
 * @mapped_bytes: the bytes they map together
 *
 * @nmappings, @mapped_bytes and @ndomains change under @iova_rwsem held
 * for write and are read without it by fdinfo (fdinfo.c), which must not
 * wait behind a long map.
 */
struct io_pagetable {
	struct rw_semaphore iova_rwsem;
	struct mutex unmap_lock; /* one unmap at a time, see above */
	struct rb_root_cached mappings;
	struct rb_root_cached reserved;
	struct rb_root_cached allowed;
	struct iommu_domain **domains;
	unsigned int ndomains;
	struct xarray accesses;
	u64 map_calls;
	unsigned long iova_alignment;
	bool large_pages_disabled;
	unsigned long nmappings;
	u64 mapped_bytes;
};

/**
 * struct iopt_access_slot - what the page table keeps of one access
 * @access: the access, opaque here (struct iommufd_access)
 * @iova_alignment: power of two the access needs IOVAs aligned to
 */
struct iopt_access_slot {
	void *access;
	unsigned long iova_alignment;
};

void iopt_init(struct io_pagetable *iopt);
void iopt_destroy(struct io_pagetable *iopt);
long iopt_pinned_pages(struct io_pagetable *iopt);

int iopt_check_range(unsigned long iova, unsigned long length,
		     unsigned long *last);
int iopt_map_pages(struct io_pagetable *iopt, struct iommufd_pages *pages,
		   unsigned long start_byte, unsigned long length,
		   unsigned long *iova, int iommu_prot, bool fixed_iova,
		   u64 *map_call);
int iopt_copy(struct io_pagetable *dst, unsigned long *dst_iova,
	      struct io_pagetable *src, unsigned long src_iova,
	      unsigned long length, int iommu_prot, bool fixed_iova,
	      u64 *map_call);
int iopt_unmap(struct io_pagetable *iopt, unsigned long iova,
	       unsigned long length, unsigned long *unmapped);
void iopt_undo_map(struct io_pagetable *iopt, unsigned long iova,
		   unsigned long length, u64 map_call);
int iopt_unmap_all(struct io_pagetable *iopt, unsigned long *unmapped);
int iopt_split(struct io_pagetable *iopt, unsigned long iova);

int iopt_add_to_move(struct io_pagetable *iopt,
		     struct iommufd_pages_move *move);

int iopt_set_allowed(struct io_pagetable *iopt,
		     struct rb_root_cached *new_allowed);
int iopt_add_allowed_range(struct rb_root_cached *ranges, u64 first, u64 last);
void iopt_free_ranges(struct rb_root_cached *ranges);
int iopt_reserve(struct io_pagetable *iopt, unsigned long first,
		 unsigned long last, const void *owner);
void iopt_unreserve(struct io_pagetable *iopt, const void *owner);

int iopt_add_domain(struct io_pagetable *iopt, struct iommu_domain *domain);
void iopt_remove_domain(struct io_pagetable *iopt,
			struct iommu_domain *domain);
int iopt_set_large_pages(struct io_pagetable *iopt, bool enable);

int iopt_add_access(struct io_pagetable *iopt, void *access,
		    unsigned long iova_alignment, u32 *slot_id);
void iopt_remove_access(struct io_pagetable *iopt, u32 slot_id);

bool iopt_range_fully_mapped(struct io_pagetable *iopt, unsigned long first,
			     unsigned long last);

/*
 * Flags of iopt_pin_pages(): pin for writing; a fixed pin, which makes
 * unmapping the mapping fail (-EBUSY) rather than ask accesses to unpin.
 * iopt_unpin_pages() takes IOPT_PIN_FIXED as given to the pin.
 */
#define IOPT_PIN_WRITE		BIT(0)
#define IOPT_PIN_FIXED		BIT(1)

int iopt_pin_pages(struct io_pagetable *iopt, unsigned long iova,
		   unsigned long length, struct page **out_pages,
		   unsigned int flags);
void iopt_unpin_pages(struct io_pagetable *iopt, unsigned long iova,
		      unsigned long length, unsigned int flags);

/* Flags of iopt_rw(), the same bits as iommufd_access_rw()'s */
int iopt_rw(struct io_pagetable *iopt, unsigned long iova, void *data,
	    size_t length, unsigned int flags);

/* Dirty tracking of linked domains (io_pagetable_dirty.c) */
int iopt_set_dirty_tracking(struct io_pagetable *iopt,
			    struct iommu_domain *domain, bool enable);
int iopt_check_dirty_range(struct io_pagetable *iopt, unsigned long iova,
			   unsigned long length, unsigned long page_size);
int iopt_read_and_clear_dirty(struct io_pagetable *iopt,
			      struct iommu_domain *domain, unsigned long iova,
			      unsigned long length, unsigned long page_size,
			      u64 __user *user_bitmap, unsigned long flags);

/*
 * Implemented by access.c: ask every access attached to @iopt to unpin
 * what it pinned inside [iova, iova + length).  Called with no lock held.
 */
void iommufd_access_notify_unmap(struct io_pagetable *iopt,
				 unsigned long iova, unsigned long length);

#endif
