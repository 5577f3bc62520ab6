// SPDX-License-Identifier: GPL-2.0-only
/*
 * Moving a mapping's pages into and out of IOMMU domains a batch at a time:
 * the pfns of consecutive pages are gathered into runs of physically
 * contiguous pages (pinning the pages nobody pins yet), and each full batch
 * of runs is mapped into every domain; pages just pinned that are many
 * runs are mapped straight from their list.  Emptying reads the pfns back
 * from the storage domain into runs, unmaps them and unpins what nobody
 * else pins.  pages_domains.h states the contract.
 *
 * Locking: everything here runs under the pages object's mutex, which the
 * entry points at the end take, inside the page table's iova_rwsem.
 */
#include <linux/cleanup.h>
#include <linux/interval_tree.h>
#include <linux/iommu.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "io_pagetable.h"
#include "pages.h"
#include "pages_access.h"
#include "pages_dmabuf.h"
#include "pages_domains.h"

/* ---- pfns read back from a domain --------------------------------------- */

/**
 * pages_domains_read_pfn() - the pfn of one page of a mapping in domains
 * @mapping: the mapping, in domains, pages object's mutex held
 * @index: a page index of @mapping
 *
 * Return: the pfn, read back from @mapping's storage domain.
 */
unsigned long pages_domains_read_pfn(struct iopt_mapping *mapping,
				     unsigned long index)
{
	phys_addr_t phys;

	phys = iommu_iova_to_phys(mapping->storage_domain,
				  iopt_mapping_index_iova(mapping, index));
	return PHYS_PFN(phys);
}

/**
 * pages_domains_reader_init() - start reading pfns back from a domain
 * @reader: the reader
 * @mapping: the mapping, pages object's mutex held
 * @domain: a domain @mapping is in
 * @index: the first page index of @mapping to read
 * @last: the last page index of @mapping to read
 */
void pages_domains_reader_init(struct pages_domains_reader *reader,
			       struct iopt_mapping *mapping,
			       struct iommu_domain *domain, unsigned long index,
			       unsigned long last)
{
	unsigned long breaks = mapping->pfn_breaks;

	reader->domain = domain;
	reader->index = index;
	reader->last = last;
	reader->iova = iopt_mapping_index_iova(mapping, index);
	reader->index0_iova = iopt_mapping_index0_iova(mapping);
	reader->last_iova = mapping->iova_node.last;
	reader->stretch_mask = breaks ? (breaks & -breaks) - 1 : ULONG_MAX;
}

/* ---- batches of pfn runs ------------------------------------------------ */

/*
 * Physically contiguous runs of consecutive page indexes, starting at
 * first_index, on their way into or out of the domains.
 */
struct pages_domains_batch {
	struct iommufd_pages_run *runs;
	unsigned int nruns;
	unsigned int max_runs;
	unsigned long first_index;
	unsigned long npages;
	/* Scratch space for pinning, max_pages entries */
	struct page **pages;
	unsigned int max_pages;
};

/*
 * Each array gets the whole temporary budget: fewer, larger pin calls and
 * fewer flushes make a batch cheaper, and the pinning array is only needed
 * while pages are pinned.
 */
static int pages_domains_batch_init(struct pages_domains_batch *batch,
				    unsigned long npages, bool with_pages)
{
	size_t bytes = iommufd_pages_temp_bytes();

	memset(batch, 0, sizeof(*batch));
	/* Never more runs than pages, never fewer than two */
	batch->max_runs = clamp_t(unsigned long, bytes / sizeof(*batch->runs),
				  2, max(npages, 2UL));
	batch->runs = kmalloc_array(batch->max_runs, sizeof(*batch->runs),
				    GFP_KERNEL);
	if (!batch->runs)
		return -ENOMEM;
	if (!with_pages)
		return 0;
	batch->max_pages = clamp_t(unsigned long,
				   bytes / sizeof(*batch->pages), 1, npages);
	batch->pages = kmalloc_array(batch->max_pages, sizeof(*batch->pages),
				     GFP_KERNEL);
	if (!batch->pages) {
		kfree(batch->runs);
		return -ENOMEM;
	}
	return 0;
}

static void pages_domains_batch_destroy(struct pages_domains_batch *batch)
{
	kfree(batch->runs);
	kfree(batch->pages);
}

/* Forget the first @nruns runs, keeping the rest */
static void pages_domains_batch_consume(struct pages_domains_batch *batch,
					unsigned int nruns)
{
	unsigned int i;

	for (i = 0; i < nruns; i++) {
		batch->first_index += batch->runs[i].npages;
		batch->npages -= batch->runs[i].npages;
	}
	memmove(batch->runs, batch->runs + nruns,
		(batch->nruns - nruns) * sizeof(*batch->runs));
	batch->nruns -= nruns;
}

/*
 * Unpin the pages of @runs (the first at page index @index, the last at
 * @last) that nobody has pinned any more, and give their charge back.  Who
 * pins what changes only at the ends of users, so that is looked up once
 * per stretch, not per page.
 */
static void pages_domains_unpin_unused(struct iommufd_pages *pages,
				       unsigned long index, unsigned long last,
				       const struct iommufd_pages_run *runs,
				       unsigned int nruns)
{
	unsigned long seg_last, unpinned = 0;
	bool unused;
	unsigned int i;

	unused = iommufd_pages_unpinned_at(pages, index, last, &seg_last);
	for (i = 0; i < nruns; i++) {
		unsigned long run_last = index + runs[i].npages - 1;
		unsigned long pfn = runs[i].pfn;

		/* Usually one stretch covers everything: a run per page */
		if (run_last <= seg_last) {
			if (unused) {
				iommufd_pages_unpin_run(pages, pfn,
							runs[i].npages);
				unpinned += runs[i].npages;
			}
			index = run_last + 1;
			continue;
		}
		while (index <= run_last) {
			unsigned long end;

			if (index > seg_last)
				unused = iommufd_pages_unpinned_at(pages, index,
								   last,
								   &seg_last);
			end = min(seg_last, run_last);
			if (unused) {
				iommufd_pages_unpin_run(pages, pfn,
							end - index + 1);
				unpinned += end - index + 1;
			}
			pfn += end - index + 1;
			index = end + 1;
		}
	}
	iommufd_pages_uncharge(pages, unpinned);
}

/* ---- filling domains ---------------------------------------------------- */

/*
 * A mapping on its way into @domains: the pfns of its pages are gathered
 * into @batch (pinning the pages nobody has pinned yet), and what the batch
 * holds is mapped into every domain whenever it runs out of room.
 */
struct pages_domains_fill {
	struct iommufd_pages *pages;
	struct iopt_mapping *mapping;
	struct iommu_domain *const *domains;
	unsigned int ndomains;
	bool small_pages;
	struct pages_domains_batch batch;
	/* The mapping's iopt_mapping_index0_iova(), used once per page */
	unsigned long index0_iova;
	/* What becomes the mapping's pfn_breaks */
	unsigned long pfn_breaks;
};

/* iommu_map_nosync() page by page: no IOMMU page larger than a CPU page */
static int pages_domains_map_small(struct iommu_domain *domain,
				   unsigned long iova, phys_addr_t phys,
				   size_t size, int prot)
{
	size_t done = 0;
	int rc;

	while (done < size) {
		size_t chunk = min_t(size_t, size - done,
				     PAGE_SIZE - offset_in_page(phys + done));

		rc = iommu_map_nosync(domain, iova + done, phys + done, chunk,
				      prot, GFP_KERNEL_ACCOUNT);
		if (rc) {
			if (done)
				iommu_unmap(domain, iova, done);
			return rc;
		}
		done += chunk;
	}
	return 0;
}

/*
 * Map [iova, iova + size) to @phys in one domain, page by page if asked.
 * The IOMMU is not synced: the caller does that once for a whole batch.
 * Called per page for memory of small pages, hence always inline.
 */
static __always_inline int
pages_domains_fill_map_range(struct pages_domains_fill *fill,
			     struct iommu_domain *domain, unsigned long iova,
			     phys_addr_t phys, size_t size)
{
	int prot = fill->mapping->iommu_prot;

	if (unlikely(fill->small_pages))
		return pages_domains_map_small(domain, iova, phys, size, prot);
	return iommu_map_nosync(domain, iova, phys, size, prot,
				GFP_KERNEL_ACCOUNT);
}

/*
 * How many pages of @list, from @done on, are physically contiguous.
 * Called per page for memory of small pages, hence always inline.
 */
static __always_inline unsigned long
pages_domains_list_stretch(struct page **list, unsigned long done,
			   unsigned long npages)
{
	unsigned long pfn = page_to_pfn(list[done]);
	unsigned long n = 1;

	while (done + n < npages && page_to_pfn(list[done + n]) == pfn + n)
		n++;
	return n;
}

/*
 * Map the first @nruns runs of the batch into one domain from *@end, the
 * IOVA of batch.first_index, each run with its own call so that it can
 * become large IOMMU pages.  Neither synced nor undone here: *@end tells
 * how far the domain got.
 */
static int pages_domains_fill_map_runs(struct pages_domains_fill *fill,
				       struct iommu_domain *domain,
				       unsigned int nruns, unsigned long *end)
{
	unsigned long mapping_last_iova = fill->mapping->iova_node.last;
	unsigned long index = fill->batch.first_index;
	unsigned long iova = *end;
	unsigned int i;
	int rc = 0;

	for (i = 0; i < nruns; i++) {
		struct iommufd_pages_run *run = &fill->batch.runs[i];
		unsigned long last_iova;
		phys_addr_t phys;

		/*
		 * A run per page for memory of small pages: the IOVAs come
		 * from index0_iova.  Only the first page of the mapping can
		 * start mid-page, only its last can end early.
		 */
		index += run->npages;
		last_iova = min(fill->index0_iova + (index << PAGE_SHIFT) - 1,
				mapping_last_iova);
		phys = PFN_PHYS(run->pfn) +
		       ((iova - fill->index0_iova) & ~PAGE_MASK);
		rc = pages_domains_fill_map_range(fill, domain, iova, phys,
						  last_iova - iova + 1);
		if (rc)
			break;
		iova = last_iova + 1;
	}
	*end = iova;
	return rc;
}

/*
 * Map whole pages of @list into one domain from *@end on, each physically
 * contiguous stretch with one call, and OR the IOVA of every stretch into
 * *@breaks.  Neither synced nor undone here: *@end tells how far the
 * domain got.
 */
static int pages_domains_fill_map_stretches(struct pages_domains_fill *fill,
					    struct iommu_domain *domain,
					    struct page **list,
					    unsigned long npages,
					    unsigned long *end,
					    unsigned long *breaks)
{
	unsigned long iova = *end, done = 0, found = 0;
	int rc = 0;

	while (done < npages) {
		unsigned long n = pages_domains_list_stretch(list, done, npages);

		found |= iova;
		rc = pages_domains_fill_map_range(fill, domain, iova,
						  page_to_phys(list[done]),
						  n << PAGE_SHIFT);
		if (rc)
			break;
		iova += n << PAGE_SHIFT;
		done += n;
	}
	*breaks |= found;
	*end = iova;
	return rc;
}

/*
 * Map the first @nruns runs of the batch, and then @npages whole pages of
 * @list that follow them, into one domain from @start, and sync the IOMMU
 * once for all of them: on VT-d in caching mode every sync is an IOTLB
 * invalidation, on virtio-iommu a request to the host, and memory of
 * small pages is a run (or a stretch) per page.  On failure the domain is
 * left as it was.
 */
static int pages_domains_fill_domain(struct pages_domains_fill *fill,
				     struct iommu_domain *domain,
				     unsigned int nruns, struct page **list,
				     unsigned long npages, unsigned long start,
				     unsigned long *breaks)
{
	unsigned long end = start;
	int rc;

	rc = pages_domains_fill_map_runs(fill, domain, nruns, &end);
	if (!rc && npages)
		rc = pages_domains_fill_map_stretches(fill, domain, list,
						      npages, &end, breaks);
	if (!rc)
		rc = iommu_sync_map(domain, start, end - start);
	/* Unmapping syncs the IOMMU itself */
	if (rc && end != start)
		iommu_unmap(domain, start, end - start);
	return rc;
}

/*
 * Map the first @nruns runs of the batch, and then @npages whole pages of
 * @list that follow them, into every domain; then drop the runs from the
 * batch and move its first_index past @list.  On failure the domains are
 * left as they were before.
 */
static int pages_domains_fill_domains(struct pages_domains_fill *fill,
				      unsigned int nruns, struct page **list,
				      unsigned long npages)
{
	unsigned long first = fill->batch.first_index;
	unsigned long start = iopt_mapping_index_iova(fill->mapping, first);
	unsigned long breaks = 0, last_iova, total = npages;
	unsigned int i;
	int rc;

	for (i = 0; i < fill->ndomains; i++) {
		rc = pages_domains_fill_domain(fill, fill->domains[i], nruns,
					       list, npages, start, &breaks);
		if (rc)
			goto undo;
	}
	fill->pfn_breaks |= breaks;
	pages_domains_batch_consume(&fill->batch, nruns);
	fill->batch.first_index += npages;
	return 0;

undo:
	/* What the domains before the failed one got */
	while (nruns--)
		total += fill->batch.runs[nruns].npages;
	last_iova = iopt_mapping_index_last_iova(fill->mapping,
						 first + total - 1);
	while (i--)
		iommu_unmap(fill->domains[i], start, last_iova - start + 1);
	return rc;
}

/*
 * Map the complete runs of the batch (all of them when @all, else all but
 * the last, which may still grow) into every domain, then drop them from
 * the batch.  On failure the domains are left as they were before.
 */
static int pages_domains_fill_flush(struct pages_domains_fill *fill, bool all)
{
	unsigned int nruns = all ? fill->batch.nruns : fill->batch.nruns - 1;

	if (!nruns)
		return 0;
	return pages_domains_fill_domains(fill, nruns, NULL, 0);
}

/*
 * Append @npages physically contiguous pages, from @pfn on, for the next
 * page indexes; when a new run is needed and there is no room for it,
 * what the batch holds is mapped first.  On failure nothing was appended.
 */
static int pages_domains_fill_add(struct pages_domains_fill *fill,
				  unsigned long pfn, unsigned long npages)
{
	struct pages_domains_batch *batch = &fill->batch;
	struct iommufd_pages_run *run;
	int rc;

	if (batch->nruns) {
		run = &batch->runs[batch->nruns - 1];
		if (run->pfn + run->npages == pfn) {
			run->npages += npages;
			batch->npages += npages;
			return 0;
		}
		/* A break is never at the mapping's first page */
		fill->pfn_breaks |= fill->index0_iova +
				    ((batch->first_index + batch->npages) <<
				     PAGE_SHIFT);
		if (batch->nruns == batch->max_runs) {
			rc = pages_domains_fill_flush(fill, false);
			if (rc)
				return rc;
		}
	}
	run = &batch->runs[batch->nruns++];
	run->pfn = pfn;
	run->npages = npages;
	batch->npages += npages;
	return 0;
}

/*
 * Append pages just pinned, a physically contiguous stretch at a time.
 * *@added says how many were appended: all of them unless this fails.
 */
static int pages_domains_fill_add_pages(struct pages_domains_fill *fill,
					struct page **list,
					unsigned long npages,
					unsigned long *added)
{
	unsigned long done = 0;
	int rc = 0;

	while (done < npages) {
		unsigned long n = pages_domains_list_stretch(list, done, npages);

		rc = pages_domains_fill_add(fill, page_to_pfn(list[done]), n);
		if (rc)
			break;
		done += n;
	}
	*added = done;
	return rc;
}

/*
 * Append pages just pinned, or map them.  Memory of small pages is a
 * physically contiguous stretch per page, and a run per page costs a
 * store and a load more than mapping the page right from the list.  So
 * the pages after the list's first stretch are mapped straight from the
 * list, together with what the batch holds (the first stretch included),
 * except the last stretch when the mapping goes on (or ends in part of a
 * page): that one goes into the batch like any pages, as the next list may
 * continue it into a larger IOMMU page.  A list with nothing between those
 * two stretches is appended as it is.
 * @ends_mapping says that the list ends the mapping.  *@added says how
 * many are in the batch or mapped: all of them unless this fails.
 */
static int pages_domains_fill_add_list(struct pages_domains_fill *fill,
				       struct page **list,
				       unsigned long npages, bool ends_mapping,
				       unsigned long *added)
{
	unsigned long first_end = pages_domains_list_stretch(list, 0, npages);
	/* Where the pages mapped straight from the list end */
	unsigned long direct_end = npages;
	int rc;

	if (!ends_mapping) {
		direct_end = npages - 1;
		while (direct_end > first_end &&
		       page_to_pfn(list[direct_end - 1]) + 1 ==
		       page_to_pfn(list[direct_end]))
			direct_end--;
	}
	if (direct_end <= first_end)
		return pages_domains_fill_add_pages(fill, list, npages, added);

	*added = 0;
	rc = pages_domains_fill_add(fill, page_to_pfn(list[0]), first_end);
	if (rc)
		return rc;
	*added = first_end;
	rc = pages_domains_fill_domains(fill, fill->batch.nruns,
					list + first_end, direct_end - first_end);
	if (rc)
		return rc;
	*added = direct_end;
	if (direct_end < npages) {
		/* The batch is empty: the append does not see this break */
		fill->pfn_breaks |= fill->index0_iova +
				    (fill->batch.first_index << PAGE_SHIFT);
		rc = pages_domains_fill_add(fill,
					    page_to_pfn(list[direct_end]),
					    npages - direct_end);
		if (rc)
			return rc;
	}
	*added = npages;
	return 0;
}

/*
 * Append the pages of [index, last] that @holder, a mapping in domains, has
 * pinned, read back from its storage domain a known contiguous stretch at
 * a time.
 */
static int pages_domains_fill_add_mapped(struct pages_domains_fill *fill,
					 struct iopt_mapping *holder,
					 unsigned long index,
					 unsigned long last)
{
	struct pages_domains_reader reader;
	unsigned long pfn, npages;
	int rc;

	pages_domains_reader_init(&reader, holder, holder->storage_domain,
				  index, last);
	while (pages_domains_reader_next(&reader, &pfn, &npages)) {
		rc = pages_domains_fill_add(fill, pfn, npages);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * Gather the pfns of [index, last], pinning the pages nobody has pinned,
 * and map them batch by batch.  On failure the pages before
 * batch.first_index are mapped in every domain and those in the batch in
 * none.
 */
static int pages_domains_fill_gather(struct pages_domains_fill *fill,
				     unsigned long index, unsigned long last)
{
	struct iommufd_pages *pages = fill->pages;
	struct iopt_mapping *mapping = fill->mapping;
	/* The last page index, when the mapping ends with a whole page */
	unsigned long mapping_last =
		(mapping->iova_node.last - fill->index0_iova + 1) & ~PAGE_MASK ?
		ULONG_MAX : iopt_mapping_last_index(mapping);
	unsigned int batches = 0;
	int rc;

	while (index <= last) {
		struct page **list = fill->batch.pages;
		unsigned long seg_last, added;
		struct iopt_mapping *holder;
		long pinned;

		switch (iommufd_pages_pinned_by(pages, index, last, &seg_last,
						&holder)) {
		case IOMMUFD_PINNED_BY_DOMAIN:
			rc = pages_domains_fill_add_mapped(fill, holder, index,
							   seg_last);
			if (rc)
				return rc;
			index = seg_last + 1;
			break;
		case IOMMUFD_PINNED_BY_ACCESS:
			for (; index <= seg_last; index++) {
				unsigned long pfn =
					pages_access_pfn(pages, index);

				rc = pages_domains_fill_add(fill, pfn, 1);
				if (rc)
					return rc;
			}
			break;
		case IOMMUFD_PINNED_BY_NONE:
			seg_last = min(seg_last,
				       index + fill->batch.max_pages - 1);
			pinned = iommufd_pages_pin_batch(pages, index,
							 seg_last - index + 1,
							 list, &batches);
			if (pinned < 0)
				return pinned;
			rc = pages_domains_fill_add_list(fill, list, pinned,
							 index + pinned - 1 ==
							 mapping_last,
							 &added);
			if (rc) {
				/* Not in the batch: nobody else knows them */
				iommufd_pages_unpin_pages(pages, list + added,
							  pinned - added);
				return rc;
			}
			index += pinned;
			break;
		}
	}
	return pages_domains_fill_flush(fill, true);
}

/* ---- emptying domains --------------------------------------------------- */

/*
 * A range of a mapping on its way out of @domains.  Pages nobody else uses
 * are unpinned, but only after they are unmapped everywhere, so their pfns
 * are read from the storage domain first and kept as runs of physically
 * contiguous pages, whoever pins them.  When the runs fill up, what has
 * been read is unmapped up to the latest physical discontinuity: no IOMMU
 * page can span one, so a partial unmap never cuts a large IOMMU page.
 * Every run after the first starts at a discontinuity, so full runs always
 * have one to flush at.  Which pages of a run to unpin is decided at the
 * flush, from who else pins them.
 */
struct pages_domains_empty {
	struct iommufd_pages *pages;
	struct iopt_mapping *mapping;
	struct iommu_domain *storage;
	struct iommu_domain *const *domains;
	unsigned int ndomains;
	struct pages_domains_batch batch;
	/* Pages before this index are unmapped and unpinned already */
	unsigned long unmapped_index;
	/* The latest discontinuity, and how many runs lie before it */
	unsigned long cut_index;
	unsigned int cut_runs;
};

static void pages_domains_empty_unmap(struct pages_domains_empty *empty,
				      unsigned long first, unsigned long last)
{
	unsigned long iova = iopt_mapping_index_iova(empty->mapping, first);
	unsigned long last_iova =
		iopt_mapping_index_last_iova(empty->mapping, last);
	unsigned int i;

	for (i = 0; i < empty->ndomains; i++)
		iommu_unmap(empty->domains[i], iova, last_iova - iova + 1);
}

/* Unmap up to the latest discontinuity and unpin the runs before it */
static void pages_domains_empty_flush(struct pages_domains_empty *empty)
{
	struct pages_domains_batch *batch = &empty->batch;

	pages_domains_empty_unmap(empty, empty->unmapped_index,
				  empty->cut_index - 1);
	pages_domains_unpin_unused(empty->pages, empty->unmapped_index,
				   empty->cut_index - 1, batch->runs,
				   empty->cut_runs);
	memmove(batch->runs, batch->runs + empty->cut_runs,
		(batch->nruns - empty->cut_runs) * sizeof(*batch->runs));
	batch->nruns -= empty->cut_runs;
	empty->unmapped_index = empty->cut_index;
	empty->cut_runs = 0;
}

/*
 * Record @npages physically contiguous pages, the first at @index and
 * @pfn, in the runs
 */
static void pages_domains_empty_add(struct pages_domains_empty *empty,
				    unsigned long index, unsigned long pfn,
				    unsigned long npages)
{
	struct pages_domains_batch *batch = &empty->batch;
	struct iommufd_pages_run *prev =
		batch->nruns ? &batch->runs[batch->nruns - 1] : NULL;

	if (prev && pfn == prev->pfn + prev->npages) {
		prev->npages += npages;
		return;
	}
	if (index != empty->unmapped_index) {
		empty->cut_index = index;
		empty->cut_runs = batch->nruns;
	}
	if (batch->nruns == batch->max_runs)
		pages_domains_empty_flush(empty);
	batch->runs[batch->nruns].pfn = pfn;
	batch->runs[batch->nruns].npages = npages;
	batch->nruns++;
}

/*
 * Unmap [first, last] of the mapping from the domains and unpin the pages
 * of it that no other user has, reading their pfns from @storage a known
 * contiguous stretch (see the mapping's pfn_breaks) at a time.  The
 * mapping itself must not be in the domain users tree.
 */
static void pages_domains_empty_range(struct pages_domains_empty *empty,
				      unsigned long first, unsigned long last)
{
	struct iommufd_pages_run backup[2];
	struct pages_domains_reader reader;
	unsigned long index, pfn, npages;

	if (!iommufd_pages_any_unpinned(empty->pages, first, last)) {
		pages_domains_empty_unmap(empty, first, last);
		return;
	}

	/* Two runs always make progress; more only make it faster */
	if (pages_domains_batch_init(&empty->batch, last - first + 1, false)) {
		empty->batch.runs = backup;
		empty->batch.max_runs = ARRAY_SIZE(backup);
	}
	empty->unmapped_index = first;
	empty->cut_runs = 0;

	pages_domains_reader_init(&reader, empty->mapping, empty->storage,
				  first, last);
	for (index = first; pages_domains_reader_next(&reader, &pfn, &npages);
	     index += npages)
		pages_domains_empty_add(empty, index, pfn, npages);

	/* Everything left: unmap it all, then unpin every run */
	empty->cut_index = last + 1;
	empty->cut_runs = empty->batch.nruns;
	pages_domains_empty_flush(empty);
	if (empty->batch.runs != backup)
		pages_domains_batch_destroy(&empty->batch);
}

/* ---- mappings entering and leaving domains ------------------------------ */

/* A failed fill: unpin what sits in the batch and nobody else has */
static void pages_domains_fill_unpin_batch(struct pages_domains_fill *fill)
{
	struct pages_domains_batch *batch = &fill->batch;

	if (!batch->nruns)
		return;
	pages_domains_unpin_unused(fill->pages, batch->first_index,
				   batch->first_index + batch->npages - 1,
				   batch->runs, batch->nruns);
}

/* The mapping is in other domains already: copy it from its storage */
static int pages_domains_fill_from_storage(struct pages_domains_fill *fill,
					   unsigned long first,
					   unsigned long last)
{
	unsigned long start = fill->mapping->iova_node.start;
	unsigned int i;
	int rc;

	rc = pages_domains_fill_add_mapped(fill, fill->mapping, first, last);
	if (!rc)
		rc = pages_domains_fill_flush(fill, true);
	if (rc && fill->batch.first_index != first)
		for (i = 0; i < fill->ndomains; i++)
			iommu_unmap(fill->domains[i], start,
				    iopt_mapping_index_iova(fill->mapping,
							    fill->batch.first_index) -
				    start);
	return rc;
}

/* The mapping entered its first domains, @storage among them */
static void pages_domains_add_user(struct iommufd_pages *pages,
				   struct iopt_mapping *mapping,
				   struct iommu_domain *storage)
{
	mapping->storage_domain = storage;
	mapping->pages_node.start = iopt_mapping_first_index(mapping);
	mapping->pages_node.last = iopt_mapping_last_index(mapping);
	interval_tree_insert(&mapping->pages_node, &pages->domain_users);
}

/**
 * pages_domains_map() - map a mapping into more domains
 * @pages: the mapping's memory
 * @mapping: the mapping; if it is in no domain yet, its pages get pinned
 * @domains: the domains to map it into
 * @ndomains: how many, at least one
 * @small_pages: map each CPU page with its own call, so that no IOMMU page
 *               is larger than a CPU page
 *
 * Return: 0; on failure nothing changed: -ENOMEM past RLIMIT_MEMLOCK or
 * without memory, -EFAULT for memory that cannot be pinned, or what the
 * IOMMU driver returned.
 */
int pages_domains_map(struct iommufd_pages *pages, struct iopt_mapping *mapping,
		      struct iommu_domain *const *domains,
		      unsigned int ndomains, bool small_pages)
{
	unsigned long first = iopt_mapping_first_index(mapping);
	unsigned long last = iopt_mapping_last_index(mapping);
	bool already_in_domains = mapping->storage_domain;
	struct pages_domains_fill fill = {
		.pages = pages,
		.mapping = mapping,
		.domains = domains,
		.ndomains = ndomains,
		.small_pages = small_pages,
		.index0_iova = iopt_mapping_index0_iova(mapping),
	};
	int rc;

	guard(mutex)(&pages->mutex);

	if (pages->source == IOMMUFD_PAGES_DMABUF) {
		rc = pages_dmabuf_map(pages, mapping, domains, ndomains);
		if (!rc && !already_in_domains)
			pages_domains_add_user(pages, mapping, domains[0]);
		return rc;
	}

	rc = pages_domains_batch_init(&fill.batch, last - first + 1,
				      !already_in_domains);
	if (rc)
		return rc;
	fill.batch.first_index = first;

	if (already_in_domains) {
		rc = pages_domains_fill_from_storage(&fill, first, last);
		goto out;
	}

	rc = pages_domains_fill_gather(&fill, first, last);
	/* Also what the undo below reads the mapped part back by */
	mapping->pfn_breaks = fill.pfn_breaks;
	if (rc) {
		struct pages_domains_empty empty = {
			.pages = pages,
			.mapping = mapping,
			.storage = domains[0],
			.domains = domains,
			.ndomains = ndomains,
		};

		pages_domains_fill_unpin_batch(&fill);
		if (fill.batch.first_index != first)
			pages_domains_empty_range(&empty, first,
						  fill.batch.first_index - 1);
		goto out;
	}
	pages_domains_add_user(pages, mapping, domains[0]);
out:
	pages_domains_batch_destroy(&fill.batch);
	return rc;
}

/**
 * pages_domains_unmap_all() - take a mapping out of every domain
 * @pages: the mapping's memory
 * @mapping: a mapping that is in @domains (and in no other domain)
 * @domains: every domain of its page table
 * @ndomains: how many
 *
 * Pages that no other mapping or access uses are unpinned and uncharged.
 */
void pages_domains_unmap_all(struct iommufd_pages *pages,
			     struct iopt_mapping *mapping,
			     struct iommu_domain *const *domains,
			     unsigned int ndomains)
{
	struct pages_domains_empty empty = {
		.pages = pages,
		.mapping = mapping,
		.storage = mapping->storage_domain,
		.domains = domains,
		.ndomains = ndomains,
	};

	guard(mutex)(&pages->mutex);

	interval_tree_remove(&mapping->pages_node, &pages->domain_users);
	if (pages->source == IOMMUFD_PAGES_DMABUF) {
		while (ndomains--)
			pages_dmabuf_unmap(pages, mapping, domains[ndomains]);
	} else {
		pages_domains_empty_range(&empty,
					  iopt_mapping_first_index(mapping),
					  iopt_mapping_last_index(mapping));
	}
	mapping->storage_domain = NULL;
}

/**
 * pages_domains_unmap_one() - take a mapping out of one of its domains
 * @pages: the mapping's memory
 * @mapping: the mapping, which stays in at least one other domain
 * @domain: the domain to remove it from
 * @new_storage: another domain the mapping is in, to read pfns from if
 *               @domain was its storage domain
 */
void pages_domains_unmap_one(struct iommufd_pages *pages,
			     struct iopt_mapping *mapping,
			     struct iommu_domain *domain,
			     struct iommu_domain *new_storage)
{
	guard(mutex)(&pages->mutex);

	if (pages->source == IOMMUFD_PAGES_DMABUF)
		pages_dmabuf_unmap(pages, mapping, domain);
	else
		iommu_unmap(domain, mapping->iova_node.start,
			    mapping->iova_node.last -
			    mapping->iova_node.start + 1);
	if (mapping->storage_domain == domain)
		mapping->storage_domain = new_storage;
}

/**
 * pages_domains_split() - let two mappings take over one's pages
 * @pages: the memory of @head
 * @head: a mapping just shortened to end where @tail starts
 * @tail: the rest of what @head mapped, with its own reference on @pages
 *
 * When @head is in domains, its entry among the domain users of @pages is
 * replaced by one for each half.  The halves together cover the same page
 * indexes the whole did, so nothing is pinned or unpinned.
 */
void pages_domains_split(struct iommufd_pages *pages, struct iopt_mapping *head,
			 struct iopt_mapping *tail)
{
	guard(mutex)(&pages->mutex);

	tail->storage_domain = head->storage_domain;
	if (!head->storage_domain)
		return;
	/* The breaks of the whole include those of either half */
	tail->pfn_breaks = head->pfn_breaks;
	interval_tree_remove(&head->pages_node, &pages->domain_users);
	head->pages_node.last = iopt_mapping_last_index(head);
	tail->pages_node.start = iopt_mapping_first_index(tail);
	tail->pages_node.last = iopt_mapping_last_index(tail);
	interval_tree_insert(&head->pages_node, &pages->domain_users);
	interval_tree_insert(&tail->pages_node, &pages->domain_users);
}

