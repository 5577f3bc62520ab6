/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Putting a mapping's pages into IOMMU domains and taking them out again,
 * a batch at a time (pages_domains.c).
 *
 * Contract
 * --------
 * - A mapping is in domains from pages_domains_map() of its first domains
 *   to pages_domains_unmap_all(); meanwhile it is a domain user of its
 *   pages object (struct iommufd_pages.domain_users) and its pages stay
 *   pinned.  The first map pins what nobody pins yet and takes the pfns of
 *   the rest from whoever has them; a later one copies the mapping from
 *   its storage domain.  A map that fails changes nothing.
 * - pages_domains_unmap_all() and pages_domains_unmap_one() cannot fail.
 *   A page is unpinned (and uncharged) only once it is unmapped from every
 *   domain and no other mapping in domains or access pins it.
 * - Physical addresses are not stored anywhere: they are read back from
 *   the storage domain, one lookup per stretch of pages that the mapping's
 *   pfn_breaks prove physically contiguous (struct pages_domains_reader).
 *   Runs are mapped with one IOMMU call each and the IOMMU is synced once
 *   per batch and domain; most pages of a list just pinned that is many
 *   runs (memory of small pages) are mapped the same way straight from
 *   the list, in the same sync as the batch, without becoming runs first.
 *   No IOMMU page spans a physical discontinuity, so unmapping up to one
 *   never cuts a large IOMMU page.
 * - Every temporary array holds at most iommufd_pages_temp_bytes().
 * - A dma-buf's mapping is handed to pages_dmabuf.c, which maps it whole
 *   and pins nothing; it is a domain user all the same.
 *
 * Locking: the four entry points take the pages object's mutex; their
 * caller holds its page table's iova_rwsem for write, so the domains it
 * passes stay linked.  The reader and pages_domains_read_pfn() want the
 * mutex held: it protects storage_domain and pfn_breaks.
 */
#ifndef __IOMMUFD_PAGES_DOMAINS_H
#define __IOMMUFD_PAGES_DOMAINS_H

#include <linux/iommu.h>
#include <linux/minmax.h>
#include <linux/pfn.h>
#include <linux/types.h>

struct iommu_domain;
struct iommufd_pages;
struct iopt_mapping;

int pages_domains_map(struct iommufd_pages *pages, struct iopt_mapping *mapping,
		      struct iommu_domain *const *domains,
		      unsigned int ndomains, bool small_pages);
void pages_domains_unmap_all(struct iommufd_pages *pages,
			     struct iopt_mapping *mapping,
			     struct iommu_domain *const *domains,
			     unsigned int ndomains);
void pages_domains_unmap_one(struct iommufd_pages *pages,
			     struct iopt_mapping *mapping,
			     struct iommu_domain *domain,
			     struct iommu_domain *new_storage);
void pages_domains_split(struct iommufd_pages *pages, struct iopt_mapping *head,
			 struct iopt_mapping *tail);

/* ---- reading pfns back from a domain ------------------------------------ */

/**
 * struct pages_domains_reader - reads a mapping's pfns back from a domain
 * @domain: a domain the mapping is in
 * @index: the page index to read next
 * @last: the last page index to read
 * @iova: IOVA of the first byte of page @index
 * @index0_iova: the mapping's iopt_mapping_index0_iova()
 * @last_iova: the mapping's last IOVA
 * @stretch_mask: a stretch ends at the next IOVA with all of these bits set
 *
 * Every IOVA in the mapping's pfn_breaks is a multiple of its lowest set
 * bit, so no page that starts after the first of a stretch and before the
 * next such multiple starts a new physically contiguous run.  With memory
 * of 2 MiB pages (and IOVA aligned like it) that is a lookup per 2 MiB;
 * with no break at all, one per mapping.
 */
struct pages_domains_reader {
	struct iommu_domain *domain;
	unsigned long index;
	unsigned long last;
	unsigned long iova;
	unsigned long index0_iova;
	unsigned long last_iova;
	unsigned long stretch_mask;
};

void pages_domains_reader_init(struct pages_domains_reader *reader,
			       struct iopt_mapping *mapping,
			       struct iommu_domain *domain, unsigned long index,
			       unsigned long last);

/**
 * pages_domains_reader_next() - read the next physically contiguous stretch
 * @reader: a reader pages_domains_reader_init() started
 * @pfn: returns the pfn of the next page
 * @npages: returns how many pages, from that one on, follow it physically
 *
 * Return: false once the whole range was read.
 */
static __always_inline bool
pages_domains_reader_next(struct pages_domains_reader *reader,
			  unsigned long *pfn, unsigned long *npages)
{
	unsigned long block_last = reader->iova | reader->stretch_mask;
	unsigned long stretch_last = reader->last;

	if (reader->index > reader->last)
		return false;
	/*
	 * Called once per page for memory of small pages (hence inline): the
	 * index and IOVA arithmetic is done here, not through the mapping's
	 * helpers.
	 */
	if (block_last < reader->last_iova)
		stretch_last = min((block_last - reader->index0_iova) >>
				   PAGE_SHIFT, stretch_last);
	*pfn = PHYS_PFN(iommu_iova_to_phys(reader->domain, reader->iova));
	*npages = stretch_last - reader->index + 1;
	reader->index = stretch_last + 1;
	/* Only the mapping's first page can start mid-page */
	reader->iova = reader->index0_iova + (reader->index << PAGE_SHIFT);
	return true;
}

unsigned long pages_domains_read_pfn(struct iopt_mapping *mapping,
				     unsigned long index);

#endif
