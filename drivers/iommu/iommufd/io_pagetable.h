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
 *   1 while nothing restricts it.
 *
 * Locking: iova_rwsem protects the three interval trees and iova_alignment;
 * lookups take it for read, changes for write.
 */
#ifndef __IOMMUFD_IO_PAGETABLE_H
#define __IOMMUFD_IO_PAGETABLE_H

#include <linux/interval_tree.h>
#include <linux/rwsem.h>
#include <linux/types.h>

struct iommufd_pages;

/**
 * struct iopt_mapping - an IOVA range backed by a slice of a pages object
 * @iova_node: [first, last] IOVA, in iommufd_iopt.mappings
 * @pages: the memory, one reference held
 * @start_byte: offset of the first mapped byte from the start of the pages
 *              object's page 0
 * @iommu_prot: IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE
 */
struct iopt_mapping {
	struct interval_tree_node iova_node;
	struct iommufd_pages *pages;
	unsigned long start_byte;
	int iommu_prot;
};

/**
 * struct iopt_reservation - IOVA that must never be mapped
 * @iova_node: [first, last] IOVA, in iommufd_iopt.reserved
 * @owner: who reserved it; removed together by owner
 */
struct iopt_reservation {
	struct interval_tree_node iova_node;
	const void *owner;
};

/**
 * struct iopt_allowed_range - IOVA user space wants usable
 * @iova_node: [first, last] IOVA, in iommufd_iopt.allowed
 */
struct iopt_allowed_range {
	struct interval_tree_node iova_node;
};

/**
 * struct iommufd_iopt - the I/O page table of one IOAS
 * @iova_rwsem: see the locking rules above
 * @mappings: struct iopt_mapping by IOVA
 * @reserved: struct iopt_reservation by IOVA
 * @allowed: struct iopt_allowed_range by IOVA
 * @iova_alignment: power of two every IOVA and length must be a multiple of
 */
struct iommufd_iopt {
	struct rw_semaphore iova_rwsem;
	struct rb_root_cached mappings;
	struct rb_root_cached reserved;
	struct rb_root_cached allowed;
	unsigned long iova_alignment;
};

void iopt_init(struct iommufd_iopt *iopt);
void iopt_destroy(struct iommufd_iopt *iopt);

int iopt_map_pages(struct iommufd_iopt *iopt, struct iommufd_pages *pages,
		   unsigned long start_byte, unsigned long length,
		   unsigned long *iova, int iommu_prot, bool fixed_iova);
int iopt_copy(struct iommufd_iopt *dst, unsigned long *dst_iova,
	      struct iommufd_iopt *src, unsigned long src_iova,
	      unsigned long length, int iommu_prot, bool fixed_iova);
int iopt_unmap(struct iommufd_iopt *iopt, unsigned long iova,
	       unsigned long length, unsigned long *unmapped);
int iopt_unmap_all(struct iommufd_iopt *iopt, unsigned long *unmapped);

int iopt_set_allowed(struct iommufd_iopt *iopt,
		     struct rb_root_cached *new_allowed);
int iopt_add_allowed_range(struct rb_root_cached *ranges, u64 first, u64 last);
void iopt_free_ranges(struct rb_root_cached *ranges);
int iopt_reserve(struct iommufd_iopt *iopt, unsigned long first,
		 unsigned long last, const void *owner);
void iopt_unreserve(struct iommufd_iopt *iopt, const void *owner);

#endif
