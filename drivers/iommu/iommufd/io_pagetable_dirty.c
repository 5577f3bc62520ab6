// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty tracking in the domains linked to an I/O page table: switching it
 * on and off, and harvesting dirty IOVA into a bitmap in user memory.
 *
 * The IOMMU driver keeps the dirty state in its page table entries, so it
 * can only be asked about IOVA that is mapped.  Both operations therefore
 * walk the page table's mappings under iova_rwsem, which keeps every
 * mapping they see present in every linked domain (io_pagetable.h).
 * Changing the tracking state takes iova_rwsem for writing, so it is
 * serialised per page table, and so per domain, as drivers expect, and a
 * harvest (for reading) never sees a domain half way through the switch.
 */
#include <linux/cleanup.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/iova_bitmap.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/sched.h>

#include "io_pagetable.h"

/* iova_bitmap_*(), a module of its own when iommufd is one */
MODULE_IMPORT_NS(IOMMUFD);

/*
 * Ask the driver about the mapped parts of [first, last] of @domain,
 * recording into @dirty (whose bitmap may be NULL to only clear).
 */
static int iopt_dirty_read_range(struct io_pagetable *iopt,
				 struct iommu_domain *domain,
				 unsigned long first, unsigned long last,
				 unsigned long flags,
				 struct iommu_dirty_bitmap *dirty)
{
	const struct iommu_dirty_ops *ops = domain->dirty_ops;
	struct interval_tree_node *node;
	int rc;

	lockdep_assert_held(&iopt->iova_rwsem);

	for (node = interval_tree_iter_first(&iopt->mappings, first, last);
	     node; node = interval_tree_iter_next(node, first, last)) {
		unsigned long start = max(first, node->start);
		unsigned long end = min(last, node->last);

		rc = ops->read_and_clear_dirty(domain, start, end - start + 1,
					       flags, dirty);
		if (rc)
			return rc;
		cond_resched();
	}
	return 0;
}

/**
 * iopt_set_dirty_tracking() - start or stop dirty tracking in a domain
 * @iopt: the page table @domain is linked to
 * @domain: a linked domain
 * @enable: start (true) or stop (false)
 *
 * Starting first clears whatever dirty state the domain's entries hold, so
 * the first harvest reports only writes made after this call.
 *
 * Context: process context; may sleep.  Takes iova_rwsem for writing.
 * Return: 0; -EOPNOTSUPP if @domain cannot track dirty pages; or the
 * driver's error, after which the tracking state is unchanged.
 */
int iopt_set_dirty_tracking(struct io_pagetable *iopt,
			    struct iommu_domain *domain, bool enable)
{
	const struct iommu_dirty_ops *ops = domain->dirty_ops;
	struct iommu_iotlb_gather gather;
	struct iommu_dirty_bitmap dirty;
	int rc;

	if (!ops || !ops->set_dirty_tracking || !ops->read_and_clear_dirty)
		return -EOPNOTSUPP;

	guard(rwsem_write)(&iopt->iova_rwsem);
	if (enable) {
		iommu_dirty_bitmap_init(&dirty, NULL, &gather);
		rc = iopt_dirty_read_range(iopt, domain, 0, ULONG_MAX, 0,
					   &dirty);
		iommu_iotlb_sync(domain, &gather);
		if (rc)
			return rc;
	}
	return ops->set_dirty_tracking(domain, enable);
}

/**
 * iopt_check_dirty_range() - validate a range to harvest dirty bits of
 * @iopt: the page table
 * @iova: first IOVA
 * @length: bytes, at least one, with @iova + @length not wrapping
 * @page_size: IOVA bytes one bit of the bitmap stands for
 *
 * Context: process context.  Takes iova_rwsem for reading.
 * Return: 0, or -EINVAL if @page_size is not a power of two or @iova or
 * the end of the range is not aligned to both @page_size and the IOVA
 * alignment of the page table.
 */
int iopt_check_dirty_range(struct io_pagetable *iopt, unsigned long iova,
			   unsigned long length, unsigned long page_size)
{
	unsigned long granule;

	if (!is_power_of_2(page_size))
		return -EINVAL;
	scoped_guard(rwsem_read, &iopt->iova_rwsem)
		granule = max(iopt->iova_alignment, page_size);
	/* With @iova aligned, the end is aligned exactly when @length is */
	if ((iova | length) & (granule - 1))
		return -EINVAL;
	return 0;
}

/* What every window of the user bitmap needs to know */
struct iopt_dirty_harvest {
	struct io_pagetable *iopt;
	struct iommu_domain *domain;
	struct iommu_dirty_bitmap *dirty;
	unsigned long flags;
};

static int iopt_dirty_harvest_window(struct iova_bitmap *bitmap,
				     unsigned long iova, size_t length,
				     void *opaque)
{
	struct iopt_dirty_harvest *harvest = opaque;

	return iopt_dirty_read_range(harvest->iopt, harvest->domain, iova,
				     iova + length - 1, harvest->flags,
				     harvest->dirty);
}

/**
 * iopt_read_and_clear_dirty() - harvest dirty IOVA into a user bitmap
 * @iopt: the page table @domain is linked to
 * @domain: a linked domain tracking dirty pages
 * @iova: first IOVA, checked with iopt_check_dirty_range()
 * @length: bytes; @iova + @length - 1 does not wrap
 * @page_size: IOVA bytes per bit, a power of two
 * @user_bitmap: bit N stands for IOVA @iova + N * @page_size; bits of
 *               dirty pages are set, the others are left alone
 * @flags: IOMMU_DIRTY_NO_CLEAR to leave the dirty state in the domain
 *
 * The whole range must be mapped: the driver only knows the dirty state
 * of IOVA it maps.  The dirty state the driver reports is cleared as it
 * is read unless @flags says otherwise, so a failure part way may leave
 * pages cleared that were not reported.
 *
 * Context: process context; may sleep.  Takes iova_rwsem for reading.
 * Return: 0; -EINVAL if part of the range is not mapped (nothing is read
 * or cleared then); -EOPNOTSUPP if @domain cannot track dirty pages;
 * -EFAULT if the bitmap is not writable user memory; -ENOMEM; or the
 * driver's error (the mock driver refuses with -EINVAL while tracking is
 * off).
 */
int iopt_read_and_clear_dirty(struct io_pagetable *iopt,
			      struct iommu_domain *domain, unsigned long iova,
			      unsigned long length, unsigned long page_size,
			      u64 __user *user_bitmap, unsigned long flags)
{
	const struct iommu_dirty_ops *ops = domain->dirty_ops;
	struct iommu_iotlb_gather gather;
	struct iommu_dirty_bitmap dirty;
	struct iopt_dirty_harvest harvest = {
		.iopt = iopt,
		.domain = domain,
		.dirty = &dirty,
		.flags = flags,
	};
	struct iova_bitmap *bitmap;
	int rc;

	if (!ops || !ops->read_and_clear_dirty)
		return -EOPNOTSUPP;
	bitmap = iova_bitmap_alloc(iova, length, page_size, user_bitmap);
	/* NULL: built without CONFIG_IOMMUFD_DRIVER, no driver tracks */
	if (IS_ERR_OR_NULL(bitmap))
		return bitmap ? PTR_ERR(bitmap) : -EOPNOTSUPP;

	iommu_dirty_bitmap_init(&dirty, bitmap, &gather);
	scoped_guard(rwsem_read, &iopt->iova_rwsem) {
		if (iopt_range_fully_mapped(iopt, iova, iova + length - 1))
			rc = iova_bitmap_for_each(bitmap, &harvest,
						  iopt_dirty_harvest_window);
		else
			rc = -EINVAL;
	}
	/* Cleared entries must not stay cached as dirty in the IOTLB */
	if (!(flags & IOMMU_DIRTY_NO_CLEAR))
		iommu_iotlb_sync(domain, &gather);
	iova_bitmap_free(bitmap);
	return rc;
}
