// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mock IOMMU driver.  mock_iommu.h states what it offers and to whom.
 *
 * The "hardware" is an xarray per paging domain, read by nobody but the
 * test handlers: there is no real DMA, so attaching needs no programming
 * and no TLB needs flushing.  What the driver does check, with WARNs, is
 * that iommufd drives it the way a real driver would need: unmaps that cut
 * only where maps began and ended, no map over a live IO page, no domain
 * freed with mappings left.
 *
 * Page requests are delivered the way hardware's are: from the driver's
 * fault thread (here, a work item on the mock IOMMU's iopf queue), which
 * nothing orders against the device's domain changing.  Whoever frees
 * what a delivery may use flushes that queue first.
 *
 * Locking
 * -------
 * mock_paging_domain::ptes
 *	The xarray's own spinlock makes each PTE update atomic, so setting a
 *	dirty bit never races with an unmap of the same IO page.  Maps and
 *	unmaps of one IOVA range are never concurrent: iommufd orders them.
 * mock_paging_domain::enforce_cc
 *	Set by enforce_cache_coherency, which iommufd serialises and calls
 *	with the domain's mappings held still.
 * mock_paging_domain::dirty_tracking
 *	Written only by set_dirty_tracking, which iommufd serialises per
 *	domain; read without a lock.
 * mock_nested_domain::iotlb, mock_dev::cache
 *	Each entry is a u32 written whole, as in a real IOTLB or ATC:
 *	concurrent invalidations may land in any order.
 * mock_dev::viommu, mock_dev::vdev_id
 *	Written under mock_dev::viommu_rwsem by attach_dev, which the iommu
 *	core serialises per group; read under it by mock_dev_report_vevent().
 *	The vIOMMU outlives the attachment: the nested HWPT attached holds it.
 * mock_dev_ida
 *	Has its own lock.
 */
#include <linux/bitmap.h>
#include <linux/bits.h>
#include <linux/cleanup.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/fault-inject.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/irqdomain.h>
#include <linux/overflow.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "../iommu-priv.h"
#include "iommufd_test.h"
#include "mock_iommu.h"

/*
 * A mock PTE is an xarray value entry, stored at index
 * iova >> MOCK_IO_PAGE_SHIFT: the frame number of the physical IO page in
 * the low bits, flags in the top bits a value entry can hold.
 */
#define MOCK_PTE_FRAME		GENMASK(BITS_PER_LONG - 6, 0)
/* The IO page was the first, or the last, of one map_pages() call */
#define MOCK_PTE_MAP_FIRST	BIT(BITS_PER_LONG - 5)
#define MOCK_PTE_MAP_LAST	BIT(BITS_PER_LONG - 4)
/* The device wrote to the IO page since its dirty state was last cleared */
#define MOCK_PTE_DIRTY		BIT(BITS_PER_LONG - 3)
/*
 * The IO page is part of a MOCK_HUGE_PAGE_SIZE mapping.  Such a mapping
 * stands for one hardware PTE, so it is dirty as a whole or not at all.
 */
#define MOCK_PTE_HUGE		BIT(BITS_PER_LONG - 2)

static_assert((MOCK_PTE_FRAME | MOCK_PTE_MAP_FIRST | MOCK_PTE_MAP_LAST |
	       MOCK_PTE_DIRTY | MOCK_PTE_HUGE) <= LONG_MAX);

#define MOCK_IO_PAGES_PER_HUGE	(MOCK_HUGE_PAGE_SIZE / MOCK_IO_PAGE_SIZE)

/**
 * struct mock_dev - a device on the mock bus
 * @dev: the device; the bus notifier has the iommu core probe it
 * @group_peer: while the device is being probed, a mock device whose IOMMU
 *              group it joins, or NULL for a group of its own
 * @flags: MOCK_FLAGS_DEVICE_*, fixed at creation
 * @id: instance number, from mock_dev_ida
 * @cache: the modelled device cache (an ATC, say), which a vIOMMU's
 *         invalidation naming the device clears
 * @viommu_rwsem: protects @viommu and @vdev_id
 * @viommu: the vIOMMU whose nested domain the device is attached to, or
 *          NULL
 * @vdev_id: the device's virtual ID on @viommu
 */
struct mock_dev {
	struct device dev;
	struct mock_dev *group_peer;
	u32 flags;
	int id;
	u32 cache[MOCK_DEV_CACHE_NUM];
	struct rw_semaphore viommu_rwsem;
	struct iommufd_viommu *viommu;
	unsigned long vdev_id;
};

/**
 * struct mock_paging_domain - a paging domain and its page table
 * @domain: what the iommu core sees
 * @ptes: IO page index -> mock PTE
 * @dirty_tracking: the device records writes in the PTEs' dirty bits
 * @nest_parent: allocated with IOMMU_HWPT_ALLOC_NEST_PARENT, so nested
 *               domains may be built on it
 * @enforce_cc: every PTE makes DMA snoop the CPU caches
 */
struct mock_paging_domain {
	struct iommu_domain domain;
	struct xarray ptes;
	bool dirty_tracking;
	bool nest_parent;
	bool enforce_cc;
};

/**
 * struct mock_nested_domain - a stage-1 domain nested on a paging domain
 * @domain: what the iommu core sees
 * @s2_parent: the paging domain its output goes through; iommufd keeps it
 *             alive for as long as this domain
 * @viommu: the vIOMMU it was allocated through, or NULL; iommufd keeps it
 *          alive for as long as this domain
 * @iotlb: the modelled IOTLB; an invalidation request zeroes entries
 */
struct mock_nested_domain {
	struct iommu_domain domain;
	struct mock_paging_domain *s2_parent;
	struct iommufd_viommu *viommu;
	u32 iotlb[MOCK_NESTED_DOMAIN_IOTLB_NUM];
};

static const struct bus_type mock_bus = {
	.name = "iommufd_mock",
};

/* Lets the iommu core probe every device added to mock_bus */
static struct notifier_block mock_bus_nb;

/* The mock IOMMU instance that mock devices sit behind by default */
static struct iommu_device mock_iommu = {
	.max_pasids = 1U << MOCK_PASID_WIDTH,
};

/*
 * A second instance with the same ops, for MOCK_FLAGS_DEVICE_SECOND_IOMMU
 * devices.  The core learns of it only from probe_device(): it needs no
 * bus of its own, and no firmware node ever names it.
 */
static struct iommu_device mock_iommu_second = {
	.max_pasids = 1U << MOCK_PASID_WIDTH,
};

/* NULL exactly when the kernel has no I/O page fault support */
static struct iopf_queue *mock_iopf_queue;

/*
 * The MSI domain every mock device sits behind.  It hands out no
 * interrupts (mock devices raise none); like an interrupt remapping unit
 * or a GICv3 ITS, it tells the iommu core that a device's DMA writes
 * cannot raise interrupts that belong to others, so mock devices bind to
 * iommufd like isolated hardware.
 */
static struct irq_domain *mock_msi_domain;
static const struct irq_domain_ops mock_msi_domain_ops = {};

static DEFINE_IDA(mock_dev_ida);

/*
 * Lets fail-nth tests fail a map_pages() call outright, so that iommufd's
 * undoing of a half-filled domain gets exercised; failing the xarray's
 * node allocations is no dependable way to get there.
 */
static DECLARE_FAULT_ATTR(mock_map_fault);
static struct dentry *mock_map_fault_dir;

static struct mock_dev *to_mock_dev(struct device *dev)
{
	return container_of(dev, struct mock_dev, dev);
}

static struct mock_paging_domain *to_mock_paging(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_paging_domain, domain);
}

static struct mock_nested_domain *to_mock_nested(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_nested_domain, domain);
}

static bool mock_dev_tracks_dirty(struct mock_dev *mdev)
{
	return !(mdev->flags & MOCK_FLAGS_DEVICE_NO_DIRTY);
}

/* The vIOMMU a nested domain was allocated through, or NULL */
static struct iommufd_viommu *mock_domain_viommu(struct iommu_domain *domain)
{
	if (domain->type != IOMMU_DOMAIN_NESTED)
		return NULL;
	return to_mock_nested(domain)->viommu;
}

/*
 * Only mock devices are ever probed by this driver, so every device the
 * iommu core hands to an op below is one.  Attaching programs nothing but
 * the device's vIOMMU, by which it reports events.  Refused are a device
 * that cannot record the dirty pages a dirty tracking domain promises, and
 * one without a virtual ID on the vIOMMU of a nested domain, whose stage 1
 * the guest could not have given it, unless the domain is the one the
 * device is on already.
 */
static int mock_domain_attach_dev(struct iommu_domain *domain,
				  struct device *dev)
{
	struct iommufd_viommu *viommu = mock_domain_viommu(domain);
	struct mock_dev *mdev = to_mock_dev(dev);
	unsigned long vdev_id = 0;
	int rc;

	if (domain->dirty_ops && !mock_dev_tracks_dirty(mdev))
		return -EINVAL;
	if (viommu) {
		rc = iommufd_viommu_get_vdev_id(viommu, dev, &vdev_id);
		/*
		 * When a replace fails, the iommu core attaches the group's
		 * domain again and a driver must accept that, although the
		 * device's vDEVICE may have gone since it first attached: it
		 * then stays on the domain without a virtual ID.
		 */
		if (rc && iommu_get_domain_for_dev(dev) != domain)
			return rc;
	}
	guard(rwsem_write)(&mdev->viommu_rwsem);
	mdev->viommu = viommu;
	mdev->vdev_id = vdev_id;
	return 0;
}

/*
 * A PASID's translation is programmed, like the RID's, into nothing but
 * the iommu core's records: the mock keeps no PASID table.  Refused are a
 * device that cannot record dirty pages, as for the RID, and, so that the
 * core's undoing of a failed replace gets exercised, moving
 * IOMMU_TEST_PASID_RESERVED from another domain onto a nested one.
 */
static int mock_domain_set_dev_pasid(struct iommu_domain *domain,
				     struct device *dev, ioasid_t pasid,
				     struct iommu_domain *old)
{
	if (domain->dirty_ops && !mock_dev_tracks_dirty(to_mock_dev(dev)))
		return -EINVAL;
	if (pasid == IOMMU_TEST_PASID_RESERVED && old &&
	    domain->type == IOMMU_DOMAIN_NESTED)
		return -ENOMEM;
	return 0;
}

/* Nothing to undo: see mock_domain_set_dev_pasid() */
static void mock_iommu_remove_dev_pasid(struct device *dev, ioasid_t pasid,
					struct iommu_domain *domain)
{
}

static struct iommu_domain mock_blocked_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &(const struct iommu_domain_ops) {
		.attach_dev = mock_domain_attach_dev,
	},
};

/* Paging domains: the page table */

static void mock_ptes_erase(struct mock_paging_domain *mock,
			    unsigned long first, unsigned long last)
{
	XA_STATE(xas, &mock->ptes, first);
	void *entry;

	xas_lock(&xas);
	xas_for_each(&xas, entry, last)
		xas_store(&xas, NULL);
	xas_unlock(&xas);
}

static int mock_paging_map_pages(struct iommu_domain *domain,
				 unsigned long iova, phys_addr_t paddr,
				 size_t pgsize, size_t pgcount, int prot,
				 gfp_t gfp, size_t *mapped)
{
	struct mock_paging_domain *mock = to_mock_paging(domain);
	unsigned long npages = pgcount * (pgsize >> MOCK_IO_PAGE_SHIFT);
	unsigned long first = iova >> MOCK_IO_PAGE_SHIFT;
	unsigned long frame = paddr >> MOCK_IO_PAGE_SHIFT;
	unsigned long size_flag = 0;
	unsigned long i;
	int rc;

	/* The iommu core aligns everything to our smallest page size */
	if (WARN_ON_ONCE((iova | paddr | pgsize) & (MOCK_IO_PAGE_SIZE - 1)) ||
	    WARN_ON_ONCE(frame + npages - 1 > MOCK_PTE_FRAME))
		return -EINVAL;
	if (should_fail(&mock_map_fault, 1))
		return -ENOENT;

	if (pgsize == MOCK_HUGE_PAGE_SIZE)
		size_flag = MOCK_PTE_HUGE;
	for (i = 0; i != npages; i++) {
		unsigned long pte = (frame + i) | size_flag;

		if (i == 0)
			pte |= MOCK_PTE_MAP_FIRST;
		if (i == npages - 1)
			pte |= MOCK_PTE_MAP_LAST;
		rc = xa_insert(&mock->ptes, first + i, xa_mk_value(pte), gfp);
		if (rc)
			goto err_unmap;
	}
	*mapped += npages << MOCK_IO_PAGE_SHIFT;
	return 0;

err_unmap:
	/* Mapping over a live IO page: iommufd lost track of this IOVA */
	WARN_ON_ONCE(rc == -EBUSY);
	/*
	 * Undo our own stores and report nothing mapped.  The core's undo
	 * would unmap just the stored part, ending inside this map: the very
	 * cut the boundary check flags.
	 */
	if (i)
		mock_ptes_erase(mock, first, first + i - 1);
	return rc;
}

/*
 * Every unmap must remove whole earlier maps: a real page table may have
 * installed a map as one large PTE that cannot be cut.  With a single page
 * size the iommu core passes each iommu_map() and iommu_unmap() to the
 * driver in one call, so the first IO page of an unmap must have begun a
 * map and its last must have ended one.  An IO page that was never mapped
 * has no boundary to check.
 */
static void mock_check_unmap_bounds(struct mock_paging_domain *mock,
				    unsigned long first, unsigned long last)
{
	void *head = xa_load(&mock->ptes, first);
	void *tail = xa_load(&mock->ptes, last);

	WARN_ON_ONCE(head && !(xa_to_value(head) & MOCK_PTE_MAP_FIRST));
	WARN_ON_ONCE(tail && !(xa_to_value(tail) & MOCK_PTE_MAP_LAST));
}

static size_t mock_paging_unmap_pages(struct iommu_domain *domain,
				      unsigned long iova, size_t pgsize,
				      size_t pgcount,
				      struct iommu_iotlb_gather *gather)
{
	struct mock_paging_domain *mock = to_mock_paging(domain);
	size_t length = pgcount * pgsize;
	unsigned long first = iova >> MOCK_IO_PAGE_SHIFT;
	unsigned long last = (iova + length - 1) >> MOCK_IO_PAGE_SHIFT;

	WARN_ON_ONCE((iova | pgsize) & (MOCK_IO_PAGE_SIZE - 1));
	/*
	 * With the huge size on offer the core picks page sizes by alignment
	 * and splits both maps and unmaps where it likes, so the calls no
	 * longer line up with iommufd's requests.
	 */
	if (!(domain->pgsize_bitmap & MOCK_HUGE_PAGE_SIZE))
		mock_check_unmap_bounds(mock, first, last);
	mock_ptes_erase(mock, first, last);
	return length;
}

/**
 * mock_domain_lookup_phys() - read the translation of one IOVA
 * @domain: a mock paging domain (see mock_domain_is_paging())
 * @iova: the IOVA
 * @phys: set to the physical address @iova translates to
 *
 * Context: any context.
 * Return: 0, or -ENOENT if no IO page is mapped at @iova.
 */
int mock_domain_lookup_phys(struct iommu_domain *domain, unsigned long iova,
			    phys_addr_t *phys)
{
	void *entry = xa_load(&to_mock_paging(domain)->ptes,
			      iova >> MOCK_IO_PAGE_SHIFT);

	if (!entry)
		return -ENOENT;
	*phys = ((phys_addr_t)(xa_to_value(entry) & MOCK_PTE_FRAME)
		 << MOCK_IO_PAGE_SHIFT) | (iova & (MOCK_IO_PAGE_SIZE - 1));
	return 0;
}

static phys_addr_t mock_paging_iova_to_phys(struct iommu_domain *domain,
					    dma_addr_t iova)
{
	phys_addr_t phys;

	/* iommufd reads back only IO pages it mapped, one at a time */
	WARN_ON_ONCE(iova & (MOCK_IO_PAGE_SIZE - 1));
	if (WARN_ON_ONCE(mock_domain_lookup_phys(domain, iova, &phys)))
		return 0;
	return phys;
}

/*
 * Like a VT-d second stage table, the mock chooses snooping per PTE, so it
 * can promise it for all DMA only while nothing is mapped yet.
 */
static bool mock_paging_enforce_cc(struct iommu_domain *domain)
{
	struct mock_paging_domain *mock = to_mock_paging(domain);

	if (!mock->enforce_cc && !xa_empty(&mock->ptes))
		return false;
	mock->enforce_cc = true;
	return true;
}

static void mock_paging_free(struct iommu_domain *domain)
{
	struct mock_paging_domain *mock = to_mock_paging(domain);

	/* iommufd empties a domain before it lets go of it */
	WARN_ON(!xa_empty(&mock->ptes));
	xa_destroy(&mock->ptes);
	kfree(mock);
}

static const struct iommu_domain_ops mock_paging_ops = {
	.attach_dev = mock_domain_attach_dev,
	.set_dev_pasid = mock_domain_set_dev_pasid,
	.map_pages = mock_paging_map_pages,
	.unmap_pages = mock_paging_unmap_pages,
	.iova_to_phys = mock_paging_iova_to_phys,
	.enforce_cache_coherency = mock_paging_enforce_cc,
	.free = mock_paging_free,
};

/**
 * mock_domain_is_paging() - tell whether a domain is a mock paging domain
 * @domain: any domain
 *
 * Context: any context.
 * Return: true if @domain was allocated by this driver as a paging domain.
 */
bool mock_domain_is_paging(const struct iommu_domain *domain)
{
	return domain->ops == &mock_paging_ops;
}

/* Paging domains: dirty tracking */

static int mock_paging_set_dirty_tracking(struct iommu_domain *domain,
					  bool enable)
{
	WRITE_ONCE(to_mock_paging(domain)->dirty_tracking, enable);
	return 0;
}

/* Whether any of the IO pages was dirty; clears them too if @clear */
static bool mock_ptes_test_dirty(struct mock_paging_domain *mock,
				 unsigned long first, unsigned long npages,
				 bool clear)
{
	XA_STATE(xas, &mock->ptes, first);
	bool found_dirty = false;
	void *entry;

	xas_lock(&xas);
	xas_for_each(&xas, entry, first + npages - 1) {
		unsigned long pte = xa_to_value(entry);

		if (!(pte & MOCK_PTE_DIRTY))
			continue;
		found_dirty = true;
		if (clear)
			xas_store(&xas, xa_mk_value(pte & ~MOCK_PTE_DIRTY));
	}
	xas_unlock(&xas);
	return found_dirty;
}

static int mock_paging_read_and_clear_dirty(struct iommu_domain *domain,
					    unsigned long iova, size_t size,
					    unsigned long flags,
					    struct iommu_dirty_bitmap *dirty)
{
	struct mock_paging_domain *mock = to_mock_paging(domain);
	bool clear = !(flags & IOMMU_DIRTY_NO_CLEAR);
	unsigned long index = iova >> MOCK_IO_PAGE_SHIFT;
	unsigned long last;
	void *entry;

	/*
	 * Reading needs tracking on.  Clearing without a bitmap is allowed
	 * either way: that is how iommufd starts tracking from a clean state.
	 */
	if (dirty->bitmap && !READ_ONCE(mock->dirty_tracking))
		return -EINVAL;
	if (!size)
		return 0;

	last = (iova + size - 1) >> MOCK_IO_PAGE_SHIFT;
	while ((entry = xa_find(&mock->ptes, &index, last, XA_PRESENT))) {
		unsigned long first = index;
		unsigned long npages = 1;

		if (xa_to_value(entry) & MOCK_PTE_HUGE) {
			first = ALIGN_DOWN(index, MOCK_IO_PAGES_PER_HUGE);
			npages = MOCK_IO_PAGES_PER_HUGE;
		}
		if (mock_ptes_test_dirty(mock, first, npages, clear))
			iommu_dirty_bitmap_record(dirty,
						  first << MOCK_IO_PAGE_SHIFT,
						  npages << MOCK_IO_PAGE_SHIFT);
		index = first + npages;
	}
	return 0;
}

static const struct iommu_dirty_ops mock_dirty_ops = {
	.set_dirty_tracking = mock_paging_set_dirty_tracking,
	.read_and_clear_dirty = mock_paging_read_and_clear_dirty,
};

/* Sets the dirty bit of one IO page; false if nothing is mapped there */
static bool mock_pte_set_dirty(struct mock_paging_domain *mock,
			       unsigned long index)
{
	XA_STATE(xas, &mock->ptes, index);
	void *entry;

	xas_lock(&xas);
	entry = xas_load(&xas);
	if (entry)
		xas_store(&xas,
			  xa_mk_value(xa_to_value(entry) | MOCK_PTE_DIRTY));
	xas_unlock(&xas);
	return entry;
}

/**
 * mock_domain_set_dirty() - play a device writing to IOVAs
 * @domain: a mock paging domain (see mock_domain_is_paging())
 * @iova: the IOVA bit 0 of @bitmap stands for
 * @page_size: the IOVA distance between two bits
 * @bitmap: for every set bit, the IO page at its IOVA gets dirty
 * @nbits: the number of bits in @bitmap
 * @nr_marked: set to the number of set bits whose IOVA was mapped
 *
 * Only the IO page at each bit's IOVA is marked, whatever @page_size.  A
 * MOCK_HUGE_PAGE_SIZE mapping is then reported dirty as a whole.
 *
 * Context: process context; takes the page table's spinlock.
 * Return: 0, or -EINVAL if dirty tracking is not enabled on @domain.
 */
int mock_domain_set_dirty(struct iommu_domain *domain, unsigned long iova,
			  unsigned long page_size, const unsigned long *bitmap,
			  unsigned long nbits, unsigned long *nr_marked)
{
	struct mock_paging_domain *mock = to_mock_paging(domain);
	unsigned long bit;

	if (!READ_ONCE(mock->dirty_tracking))
		return -EINVAL;

	*nr_marked = 0;
	for_each_set_bit(bit, bitmap, nbits) {
		unsigned long offset, bit_iova;

		if (check_mul_overflow(bit, page_size, &offset) ||
		    check_add_overflow(iova, offset, &bit_iova))
			break;
		if (mock_pte_set_dirty(mock, bit_iova >> MOCK_IO_PAGE_SHIFT))
			(*nr_marked)++;
	}
	return 0;
}

/* Paging domains: allocation */

/* @mdev is NULL when the legacy iommu_domain_alloc() asks for the bus */
static struct mock_paging_domain *mock_paging_domain_new(struct mock_dev *mdev)
{
	struct mock_paging_domain *mock;

	mock = kzalloc(sizeof(*mock), GFP_KERNEL_ACCOUNT);
	if (!mock)
		return NULL;
	/*
	 * The page table is charged to whoever maps, as a driver's tables
	 * are through the gfp of iommu_map(): an xarray allocates its nodes
	 * with its own flags first, and only this one makes that charged.
	 */
	xa_init_flags(&mock->ptes, XA_FLAGS_ACCOUNT);
	mock->domain.type = IOMMU_DOMAIN_UNMANAGED;
	mock->domain.ops = &mock_paging_ops;
	mock->domain.pgsize_bitmap = MOCK_IO_PAGE_SIZE;
	if (mdev && (mdev->flags & MOCK_FLAGS_DEVICE_HUGE_IOVA))
		mock->domain.pgsize_bitmap |= MOCK_HUGE_PAGE_SIZE;
	mock->domain.geometry = (struct iommu_domain_geometry) {
		.aperture_start = MOCK_APERTURE_START,
		.aperture_end = MOCK_APERTURE_LAST,
		.force_aperture = true,
	};
	return mock;
}

static struct iommu_domain *mock_iommu_domain_alloc_paging(struct device *dev)
{
	struct mock_paging_domain *mock;

	mock = mock_paging_domain_new(dev ? to_mock_dev(dev) : NULL);
	if (!mock)
		return ERR_PTR(-ENOMEM);
	return &mock->domain;
}

static struct iommu_domain *
mock_paging_domain_alloc_user(struct mock_dev *mdev, u32 flags,
			      const struct iommu_user_data *user_data)
{
	const u32 supported_flags = IOMMU_HWPT_ALLOC_NEST_PARENT |
				    IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				    IOMMU_HWPT_ALLOC_PASID;
	bool wants_dirty = flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	struct mock_paging_domain *mock;

	/* A mock paging domain has nothing for user space to configure */
	if ((flags & ~supported_flags) || user_data)
		return ERR_PTR(-EOPNOTSUPP);
	if (wants_dirty && !mock_dev_tracks_dirty(mdev))
		return ERR_PTR(-EOPNOTSUPP);

	mock = mock_paging_domain_new(mdev);
	if (!mock)
		return ERR_PTR(-ENOMEM);
	mock->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	if (wants_dirty)
		mock->domain.dirty_ops = &mock_dirty_ops;
	return &mock->domain;
}

/* Nested domains */

static int
mock_nested_invalidate_one(struct mock_nested_domain *nested,
			   const struct iommu_user_data_array *requests,
			   u32 index)
{
	struct iommu_hwpt_invalidate_selftest request;
	unsigned int i;
	int rc;

	rc = iommu_copy_struct_from_user_array(&request, requests,
					       IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					       index, iotlb_id);
	if (rc)
		return rc;
	if (request.flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL)
		return -EOPNOTSUPP;
	if (request.iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX)
		return -EINVAL;

	if (!(request.flags & IOMMU_TEST_INVALIDATE_FLAG_ALL)) {
		WRITE_ONCE(nested->iotlb[request.iotlb_id], 0);
		return 0;
	}
	for (i = 0; i != ARRAY_SIZE(nested->iotlb); i++)
		WRITE_ONCE(nested->iotlb[i], 0);
	return 0;
}

/*
 * Requests are carried out in order up to the first one that fails, and
 * entry_num tells user space how many were.
 */
static int
mock_nested_cache_invalidate_user(struct iommu_domain *domain,
				  struct iommu_user_data_array *requests)
{
	struct mock_nested_domain *nested = to_mock_nested(domain);
	u32 nr_done;
	int rc = 0;

	if (requests->type != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST) {
		requests->entry_num = 0;
		return -EINVAL;
	}
	for (nr_done = 0; nr_done != requests->entry_num; nr_done++) {
		rc = mock_nested_invalidate_one(nested, requests, nr_done);
		if (rc)
			break;
	}
	requests->entry_num = nr_done;
	return rc;
}

static void mock_nested_free(struct iommu_domain *domain)
{
	kfree(to_mock_nested(domain));
}

static const struct iommu_domain_ops mock_nested_ops = {
	.attach_dev = mock_domain_attach_dev,
	.set_dev_pasid = mock_domain_set_dev_pasid,
	.cache_invalidate_user = mock_nested_cache_invalidate_user,
	.free = mock_nested_free,
};

/**
 * mock_domain_is_nested() - tell whether a domain is a mock nested domain
 * @domain: any domain
 *
 * Context: any context.
 * Return: true if @domain was allocated by this driver as a nested domain.
 */
bool mock_domain_is_nested(const struct iommu_domain *domain)
{
	return domain->ops == &mock_nested_ops;
}

/**
 * mock_domain_is_nest_parent() - whether a domain may carry nested domains
 * @domain: any domain
 *
 * Context: any context.
 * Return: true for a mock paging domain made with
 * IOMMU_HWPT_ALLOC_NEST_PARENT.
 */
bool mock_domain_is_nest_parent(const struct iommu_domain *domain)
{
	const struct mock_paging_domain *mock;

	if (!mock_domain_is_paging(domain))
		return false;
	mock = container_of_const(domain, struct mock_paging_domain, domain);
	return mock->nest_parent;
}

/**
 * mock_nested_domain_check_iotlb() - compare one modelled IOTLB entry
 * @domain: a mock nested domain (see mock_domain_is_nested())
 * @iotlb_id: the entry, up to MOCK_NESTED_DOMAIN_IOTLB_ID_MAX
 * @expected: the value it should hold
 *
 * Context: any context.
 * Return: 0 if the entry holds @expected; -EINVAL if it does not, or if
 * @iotlb_id is out of range.
 */
int mock_nested_domain_check_iotlb(struct iommu_domain *domain, u32 iotlb_id,
				   u32 expected)
{
	struct mock_nested_domain *nested = to_mock_nested(domain);

	if (iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX)
		return -EINVAL;
	if (READ_ONCE(nested->iotlb[iotlb_id]) != expected)
		return -EINVAL;
	return 0;
}

/**
 * mock_nested_domain_alloc() - make a nested domain
 * @parent: the domain it nests on, a mock paging domain made as a nesting
 *          parent
 * @viommu: the vIOMMU it is made through, or NULL
 * @flags: IOMMU_HWPT_ALLOC_* flags; only IOMMU_HWPT_ALLOC_PASID is supported
 * @user_data: struct iommu_hwpt_selftest, type IOMMU_HWPT_DATA_SELFTEST
 *
 * Devices attach to it only with a vDEVICE on @viommu.
 *
 * Context: process context; may sleep.
 * Return: the domain, or an ERR_PTR: -EOPNOTSUPP for other flags, data of
 * another type, -EINVAL for a parent that is no nesting parent, or the
 * error of copying the data.
 */
struct iommu_domain *
mock_nested_domain_alloc(struct iommu_domain *parent,
			 struct iommufd_viommu *viommu, u32 flags,
			 const struct iommu_user_data *user_data)
{
	struct iommu_hwpt_selftest config;
	struct mock_nested_domain *nested;
	unsigned int i;
	int rc;

	/* Every mock domain can serve PASIDs: the flag changes nothing */
	if ((flags & ~IOMMU_HWPT_ALLOC_PASID) || !user_data ||
	    user_data->type != IOMMU_HWPT_DATA_SELFTEST)
		return ERR_PTR(-EOPNOTSUPP);
	if (!mock_domain_is_nest_parent(parent))
		return ERR_PTR(-EINVAL);
	rc = iommu_copy_struct_from_user(&config, user_data,
					 IOMMU_HWPT_DATA_SELFTEST, iotlb);
	if (rc)
		return ERR_PTR(rc);

	nested = kzalloc(sizeof(*nested), GFP_KERNEL_ACCOUNT);
	if (!nested)
		return ERR_PTR(-ENOMEM);
	nested->domain.type = IOMMU_DOMAIN_NESTED;
	nested->domain.ops = &mock_nested_ops;
	nested->s2_parent = to_mock_paging(parent);
	nested->viommu = viommu;
	for (i = 0; i != ARRAY_SIZE(nested->iotlb); i++)
		nested->iotlb[i] = config.iotlb;
	return &nested->domain;
}

/* The IOMMU instance */

static struct iommu_domain *
mock_iommu_domain_alloc_user(struct device *dev, u32 flags,
			     struct iommu_domain *parent,
			     const struct iommu_user_data *user_data)
{
	if (parent)
		return mock_nested_domain_alloc(parent, NULL, flags, user_data);
	return mock_paging_domain_alloc_user(to_mock_dev(dev), flags,
					     user_data);
}

/*
 * The iommu core may offer this driver any device that has no firmware
 * description of its IOMMU, not only those on the mock bus.
 */
static struct iommu_device *mock_iommu_probe_device(struct device *dev)
{
	if (dev->bus != &mock_bus)
		return ERR_PTR(-ENODEV);
	if (to_mock_dev(dev)->flags & MOCK_FLAGS_DEVICE_SECOND_IOMMU)
		return &mock_iommu_second;
	return &mock_iommu;
}

static bool mock_iommu_capable(struct device *dev, enum iommu_cap cap)
{
	switch (cap) {
	case IOMMU_CAP_CACHE_COHERENCY:
		/* iommufd binds no device without it */
		return true;
	case IOMMU_CAP_DIRTY_TRACKING:
		return mock_dev_tracks_dirty(to_mock_dev(dev));
	case IOMMU_CAP_ENFORCE_CACHE_COHERENCY:
		return to_mock_dev(dev)->flags & MOCK_FLAGS_DEVICE_ENFORCE_CC;
	default:
		return false;
	}
}

/* What the mock IOMMU's registers read; user space checks test_reg */
static const struct iommu_test_hw_info mock_iommu_registers = {
	.test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL,
};

static void *mock_iommu_hw_info(struct device *dev, u32 *length, u32 *type)
{
	void *hw_info = kmemdup(&mock_iommu_registers,
				sizeof(mock_iommu_registers), GFP_KERNEL);

	if (!hw_info)
		return ERR_PTR(-ENOMEM);
	*length = sizeof(mock_iommu_registers);
	*type = IOMMU_HW_INFO_TYPE_SELFTEST;
	return hw_info;
}

/*
 * I/O page faults are the only feature.  Without CONFIG_IOMMU_IOPF the
 * iopf queue calls are stubs that refuse, which is the right answer then.
 */
static int mock_iommu_dev_enable_feat(struct device *dev,
				      enum iommu_dev_features feature)
{
	if (feature != IOMMU_DEV_FEAT_IOPF)
		return -ENODEV;
	return iopf_queue_add_device(mock_iopf_queue, dev);
}

static int mock_iommu_dev_disable_feat(struct device *dev,
				       enum iommu_dev_features feature)
{
	if (feature != IOMMU_DEV_FEAT_IOPF)
		return -ENODEV;
	iopf_queue_remove_device(mock_iopf_queue, dev);
	return 0;
}

/*
 * The PASID width of a mock device is the driver's knowledge, not the
 * firmware's: set it once the core has probed the device (and found no
 * "pasid-num-bits" property).  A software node carrying that property
 * would do too, but its sysfs links may fail to appear under fault
 * injection, and removing the device then drops a reference that was
 * never taken.
 */
static void mock_iommu_probe_finalize(struct device *dev)
{
	if (to_mock_dev(dev)->flags & MOCK_FLAGS_DEVICE_PASID)
		dev->iommu->max_pasids = mock_iommu.max_pasids;
}

/*
 * A device made with a group peer joins the peer's IOMMU group, as the
 * functions of a multi-function device without ACS would; any other gets
 * a group of its own.
 */
static struct iommu_group *mock_device_group(struct device *dev)
{
	struct mock_dev *peer = to_mock_dev(dev)->group_peer;
	struct iommu_group *group;

	if (!peer)
		return generic_device_group(dev);
	group = iommu_group_get(&peer->dev);
	return group ?: ERR_PTR(-ENODEV);
}

/* Mock devices do not wait for the answer to a page request */
static void mock_iommu_page_response(struct device *dev,
				     struct iopf_fault *evt,
				     struct iommu_page_response *msg)
{
}

static const struct iommu_ops mock_ops = {
	.owner = THIS_MODULE,
	.capable = mock_iommu_capable,
	.hw_info = mock_iommu_hw_info,
	.domain_alloc_paging = mock_iommu_domain_alloc_paging,
	.domain_alloc_user = mock_iommu_domain_alloc_user,
	.probe_device = mock_iommu_probe_device,
	.probe_finalize = mock_iommu_probe_finalize,
	.device_group = mock_device_group,
	.dev_enable_feat = mock_iommu_dev_enable_feat,
	.dev_disable_feat = mock_iommu_dev_disable_feat,
	.page_response = mock_iommu_page_response,
	.remove_dev_pasid = mock_iommu_remove_dev_pasid,
	.get_viommu_size = mock_viommu_size,
	.viommu_init = mock_viommu_init,
	.default_domain_ops = &mock_paging_ops,
	.pgsize_bitmap = MOCK_IO_PAGE_SIZE,
	/*
	 * A mock device does no DMA until a test attaches it somewhere, so
	 * it starts out blocked rather than on a DMA API domain.
	 */
	.default_domain = &mock_blocked_domain,
	.blocked_domain = &mock_blocked_domain,
	/*
	 * Nested domains stand for a guest-owned PASID table: a page request
	 * on any PASID is for the nested domain attached to the RID.
	 */
	.user_pasid_table = true,
};

/* Mock devices */

static void mock_dev_release(struct device *dev)
{
	struct mock_dev *mdev = to_mock_dev(dev);

	ida_free(&mock_dev_ida, mdev->id);
	kfree(mdev);
}

/**
 * mock_dev_create() - add a device to the mock bus
 * @dev_flags: MOCK_FLAGS_DEVICE_* properties of the device
 * @group_peer: a mock device whose IOMMU group the new one joins, or NULL
 *
 * The iommu core probes the new device into @group_peer's IOMMU group, or
 * into one of its own attached to the blocking domain.  With
 * MOCK_FLAGS_DEVICE_PASID the device supports 1 << MOCK_PASID_WIDTH
 * PASIDs; otherwise none.
 *
 * Context: process context; may sleep.  The caller keeps @group_peer alive
 * across the call.
 * Return: the device, or an ERR_PTR: -EINVAL for unknown flags or a
 * @group_peer behind the other mock IOMMU instance, -ENOMEM,
 * or -ENODEV if the iommu core did not put the device behind the mock
 * IOMMU (another IOMMU driver claimed devices without firmware nodes).
 */
struct mock_dev *mock_dev_create(u32 dev_flags, struct mock_dev *group_peer)
{
	const u32 supported_flags = MOCK_FLAGS_DEVICE_NO_DIRTY |
				    MOCK_FLAGS_DEVICE_HUGE_IOVA |
				    MOCK_FLAGS_DEVICE_PASID |
				    MOCK_FLAGS_DEVICE_SECOND_IOMMU |
				    MOCK_FLAGS_DEVICE_ENFORCE_CC;
	struct mock_dev *mdev;
	unsigned int i;
	int rc;

	if (dev_flags & ~supported_flags)
		return ERR_PTR(-EINVAL);
	/* A group never spans two IOMMU instances */
	if (group_peer &&
	    ((group_peer->flags ^ dev_flags) & MOCK_FLAGS_DEVICE_SECOND_IOMMU))
		return ERR_PTR(-EINVAL);

	mdev = kzalloc(sizeof(*mdev), GFP_KERNEL_ACCOUNT);
	if (!mdev)
		return ERR_PTR(-ENOMEM);
	mdev->id = ida_alloc(&mock_dev_ida, GFP_KERNEL);
	if (mdev->id < 0) {
		rc = mdev->id;
		kfree(mdev);
		return ERR_PTR(rc);
	}
	mdev->flags = dev_flags;
	init_rwsem(&mdev->viommu_rwsem);
	for (i = 0; i != ARRAY_SIZE(mdev->cache); i++)
		mdev->cache[i] = IOMMU_TEST_DEV_CACHE_DEFAULT;

	/* From here on mock_dev_release() undoes everything above */
	device_initialize(&mdev->dev);
	mdev->dev.bus = &mock_bus;
	mdev->dev.release = mock_dev_release;
	rc = dev_set_name(&mdev->dev, "iommufd_mock%u", mdev->id);
	if (rc)
		goto err_put;
	dev_set_msi_domain(&mdev->dev, mock_msi_domain);
	/* Read by mock_device_group() while device_add() probes */
	mdev->group_peer = group_peer;
	rc = device_add(&mdev->dev);
	mdev->group_peer = NULL;
	if (rc)
		goto err_put;
	if (!device_iommu_mapped(&mdev->dev)) {
		rc = -ENODEV;
		goto err_del;
	}
	return mdev;

err_del:
	device_del(&mdev->dev);
err_put:
	put_device(&mdev->dev);
	return ERR_PTR(rc);
}

/**
 * mock_dev_destroy() - remove a device made by mock_dev_create()
 * @mdev: the device; nobody may still have it bound or attached
 *
 * Context: process context; may sleep.
 */
void mock_dev_destroy(struct mock_dev *mdev)
{
	device_unregister(&mdev->dev);
}

/**
 * mock_dev_device() - the struct device of a mock device
 * @mdev: the mock device
 *
 * Context: any context.
 * Return: the device to bind to iommufd; valid until mock_dev_destroy().
 */
struct device *mock_dev_device(struct mock_dev *mdev)
{
	return &mdev->dev;
}

/**
 * mock_dev_from_device() - the mock device behind a struct device
 * @dev: any device
 *
 * iommufd's core uses this to tell mock devices apart from real ones.
 *
 * Context: any context.
 * Return: the mock device, or NULL if @dev is not on the mock bus.
 */
struct mock_dev *mock_dev_from_device(struct device *dev)
{
	if (dev->bus != &mock_bus)
		return NULL;
	return to_mock_dev(dev);
}

/**
 * mock_dev_check_cache() - compare one entry of a mock device's cache
 * @mdev: the mock device
 * @cache_id: the entry, up to MOCK_DEV_CACHE_ID_MAX
 * @expected: the value it should hold
 *
 * Context: any context.
 * Return: 0 if the entry holds @expected; -EINVAL if it does not, or if
 * @cache_id is out of range.
 */
int mock_dev_check_cache(struct mock_dev *mdev, u32 cache_id, u32 expected)
{
	if (cache_id > MOCK_DEV_CACHE_ID_MAX)
		return -EINVAL;
	return READ_ONCE(mdev->cache[cache_id]) == expected ? 0 : -EINVAL;
}

/**
 * mock_dev_invalidate_cache() - clear entries of a mock device's cache
 * @mdev: the mock device
 * @cache_id: the entry, up to MOCK_DEV_CACHE_ID_MAX; ignored with @all
 * @all: clear every entry
 *
 * Context: any context.
 */
void mock_dev_invalidate_cache(struct mock_dev *mdev, u32 cache_id, bool all)
{
	unsigned int i;

	if (!all) {
		if (!WARN_ON(cache_id > MOCK_DEV_CACHE_ID_MAX))
			WRITE_ONCE(mdev->cache[cache_id], 0);
		return;
	}
	for (i = 0; i != ARRAY_SIZE(mdev->cache); i++)
		WRITE_ONCE(mdev->cache[i], 0);
}

/**
 * mock_dev_report_vevent() - have a mock device report an event
 * @mdev: the mock device
 *
 * Reports a struct iommu_viommu_event_selftest, with the device's virtual
 * ID, to the vEVENTQ of type IOMMU_VEVENTQ_TYPE_SELFTEST of the vIOMMU
 * whose nested domain the device is attached to.
 *
 * Context: process context; may sleep.
 * Return: 0 if the event was queued or counted as lost; -ENOENT if the
 * device is attached to no vIOMMU's nested domain, or its virtual ID is 0;
 * -EOPNOTSUPP if the vIOMMU has no such queue.
 */
int mock_dev_report_vevent(struct mock_dev *mdev)
{
	struct iommu_viommu_event_selftest event;

	guard(rwsem_read)(&mdev->viommu_rwsem);
	if (!mdev->viommu || !mdev->vdev_id)
		return -ENOENT;
	event.virt_id = mdev->vdev_id;
	return iommufd_viommu_report_event(mdev->viommu,
					   IOMMU_VEVENTQ_TYPE_SELFTEST, &event,
					   sizeof(event));
}

/**
 * struct mock_page_request - a page request on its way to the iommu core
 * @work: runs on the mock IOMMU's iopf queue, the mock's fault thread
 * @mdev: the device raising it
 * @fault: the request
 * @rc: what iommu_report_device_fault() returned
 */
struct mock_page_request {
	struct work_struct work;
	struct mock_dev *mdev;
	struct iopf_fault fault;
	int rc;
};

static void mock_page_request_deliver(struct work_struct *work)
{
	struct mock_page_request *request =
		container_of(work, struct mock_page_request, work);

	request->rc = iommu_report_device_fault(&request->mdev->dev,
						&request->fault);
}

/**
 * mock_dev_report_page_request() - have a mock device raise a page request
 * @mdev: the mock device
 * @pasid: the PASID of the request, or IOMMU_NO_PASID for the RID
 * @grpid: the page request group; each request is the last of its group
 * @perm: IOMMU_FAULT_PERM_* access the device asked for
 * @addr: the faulting address
 *
 * Delivers the request from the mock's fault thread to the fault handler
 * of the domain attached to @pasid, or for a PASID without a domain of its
 * own, to the nested domain attached to the RID, and waits until it was
 * delivered.  Nothing holds the device's domain still meanwhile, as with
 * hardware.
 *
 * Context: process context; may sleep.
 * Return: 0 if a fault handler took the request; otherwise the error of
 * iommu_report_device_fault(), after which the request was already
 * answered as invalid; -ENODEV without CONFIG_IOMMU_IOPF.  Upstream's
 * IOMMU_TEST_OP_TRIGGER_IOPF reports success to user space either way.
 */
int mock_dev_report_page_request(struct mock_dev *mdev, u32 pasid, u32 grpid,
				 u32 perm, u64 addr)
{
	struct mock_page_request request = {
		.mdev = mdev,
		.fault.fault = {
			.type = IOMMU_FAULT_PAGE_REQ,
			.prm = {
				.flags = IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE,
				.pasid = pasid,
				.grpid = grpid,
				.perm = perm,
				.addr = addr,
			},
		},
	};

	if (!mock_iopf_queue)
		return -ENODEV;
	if (pasid != IOMMU_NO_PASID)
		request.fault.fault.prm.flags |=
			IOMMU_FAULT_PAGE_REQUEST_PASID_VALID;

	INIT_WORK_ONSTACK(&request.work, mock_page_request_deliver);
	queue_work(mock_iopf_queue->wq, &request.work);
	flush_work(&request.work);
	destroy_work_on_stack(&request.work);
	return request.rc;
}

static int __init mock_msi_domain_create(void)
{
	struct fwnode_handle *fwnode;

	fwnode = irq_domain_alloc_named_fwnode("iommufd-mock-msi");
	if (!fwnode)
		return -ENOMEM;
	mock_msi_domain = irq_domain_create_linear(fwnode, 0,
						   &mock_msi_domain_ops, NULL);
	if (!mock_msi_domain) {
		irq_domain_free_fwnode(fwnode);
		return -ENOMEM;
	}
	mock_msi_domain->flags |= IRQ_DOMAIN_FLAG_ISOLATED_MSI;
	return 0;
}

static void mock_msi_domain_remove(void)
{
	struct fwnode_handle *fwnode = mock_msi_domain->fwnode;

	irq_domain_remove(mock_msi_domain);
	irq_domain_free_fwnode(fwnode);
	mock_msi_domain = NULL;
}

/**
 * mock_iommu_init() - register the mock bus and the mock IOMMU
 *
 * Called once when the test build comes up.  Undoes itself on failure.
 *
 * Context: process context; may sleep.
 * Return: 0, or a negative errno.
 */
int __init mock_iommu_init(void)
{
	int rc;

	/* Without the debugfs knobs fail-nth still reaches the point */
	mock_map_fault_dir = fault_create_debugfs_attr("fail_iommufd_mock_map",
						       NULL, &mock_map_fault);

	rc = mock_msi_domain_create();
	if (rc)
		goto err_debugfs;

	rc = bus_register(&mock_bus);
	if (rc)
		goto err_msi_domain;

	mock_iopf_queue = iopf_queue_alloc("mock-iopfq");
	if (IS_ENABLED(CONFIG_IOMMU_IOPF) && !mock_iopf_queue) {
		rc = -ENOMEM;
		goto err_bus;
	}

	rc = iommu_device_sysfs_add(&mock_iommu, NULL, NULL, "%s",
				    "iommufd_mock_iommu");
	if (rc)
		goto err_iopf_queue;

	mock_iommu_second.ops = &mock_ops;
	rc = iommu_device_sysfs_add(&mock_iommu_second, NULL, NULL, "%s",
				    "iommufd_mock_iommu_second");
	if (rc)
		goto err_sysfs;

	rc = iommu_device_register_bus(&mock_iommu, &mock_ops, &mock_bus,
				       &mock_bus_nb);
	if (rc)
		goto err_sysfs_second;
	return 0;

err_sysfs_second:
	iommu_device_sysfs_remove(&mock_iommu_second);
err_sysfs:
	iommu_device_sysfs_remove(&mock_iommu);
err_iopf_queue:
	iopf_queue_free(mock_iopf_queue);
	mock_iopf_queue = NULL;
err_bus:
	bus_unregister(&mock_bus);
err_msi_domain:
	mock_msi_domain_remove();
err_debugfs:
	debugfs_remove_recursive(mock_map_fault_dir);
	return rc;
}

/**
 * mock_iommu_exit() - unregister what mock_iommu_init() registered
 *
 * Every mock device must have been destroyed before.
 *
 * Context: process context; may sleep.
 */
void mock_iommu_exit(void)
{
	iommu_device_unregister_bus(&mock_iommu, &mock_bus, &mock_bus_nb);
	iommu_device_sysfs_remove(&mock_iommu_second);
	iommu_device_sysfs_remove(&mock_iommu);
	iopf_queue_free(mock_iopf_queue);
	mock_iopf_queue = NULL;
	bus_unregister(&mock_bus);
	mock_msi_domain_remove();
	debugfs_remove_recursive(mock_map_fault_dir);
}
