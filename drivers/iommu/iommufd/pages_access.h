/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Pins for emulated accesses through a pages object, and copies to and
 * from its memory for them (pages_access.c).  The page table calls these
 * for iommufd_access_pin_pages(), _unpin_pages() and _rw() of access.c.
 *
 * Contract
 * --------
 * - pages_access_pin() pins a range of page indexes and returns its
 *   struct pages; one pages_access_unpin() of the same range and mapping
 *   undoes it.  Pins of exactly the same range share one struct
 *   pages_access_range, which counts them, and the mapping counts every
 *   pin made through it (access_pins) so that its page table does not
 *   remove it while any is left.  Fixed pins, which iommufd itself makes
 *   for as long as an object lives (a HW queue's memory), are counted
 *   also in fixed_pins: no access can be told to give those back, so
 *   unmapping them is refused.  A pin that fails changes nothing.
 * - Every page an access pins has its pfn recorded in access_pfns: an
 *   access is handed struct pages, and a page that only accesses pin is in
 *   no domain to read its pfn back from.  A page that a mapping in domains
 *   or another access already pins is not pinned again.  When the last pin
 *   covering a page goes, its pfn is forgotten, and the page is unpinned
 *   and uncharged unless a mapping in domains still has it.
 * - pages_access_rw() copies through the creator's address space when it
 *   can (the caller runs in it, or is a kthread allowed to borrow it), and
 *   otherwise page by page, pinning a page nobody has pinned only for the
 *   copy.
 *
 * Locking: pin, unpin and the page-by-page copy take the pages object's
 * mutex; their caller holds its page table's iova_rwsem for read, so the
 * mapping stays.  A copy through the address space takes no lock of
 * iommufd.  pages_access_pfn() wants the mutex held.
 */
#ifndef __IOMMUFD_PAGES_ACCESS_H
#define __IOMMUFD_PAGES_ACCESS_H

#include <linux/types.h>

struct iommufd_pages;
struct iopt_mapping;
struct page;

int pages_access_pin(struct iommufd_pages *pages, struct iopt_mapping *mapping,
		     unsigned long first_index, unsigned long last_index,
		     struct page **out_pages, bool fixed);
void pages_access_unpin(struct iommufd_pages *pages,
			struct iopt_mapping *mapping, unsigned long first_index,
			unsigned long last_index, bool fixed);
int pages_access_rw(struct iommufd_pages *pages, unsigned long offset,
		    void *data, size_t length, unsigned int flags);

/* For pages_domains.c */
unsigned long pages_access_pfn(struct iommufd_pages *pages,
			       unsigned long index);

#endif
