/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The mock IOMMU driver: the contract between it and the rest of iommufd.
 * Each function is documented where it is defined, in mock_iommu.c.
 */
#ifndef __IOMMUFD_MOCK_IOMMU_H
#define __IOMMUFD_MOCK_IOMMU_H

#include <linux/bits.h>
#include <linux/types.h>
#include <asm/page.h>
#include <uapi/linux/iommufd.h>

/**
 * DOC: The mock IOMMU driver
 *
 * A software IOMMU on a bus of its own, built only with CONFIG_IOMMUFD_TEST,
 * through which the selftests drive every iommufd path (paging, nested and
 * dirty tracking domains, hardware information, I/O page faults) without
 * hardware.
 *
 * Its only users are the files of the test build: selftest.c brings it up
 * and down with mock_iommu_init() and mock_iommu_exit(), and the
 * IOMMU_TEST_CMD handlers call everything else.  iommufd's core knows
 * nothing of it: mock devices look to the core like any device behind an
 * IOMMU whose platform isolates MSIs.  The driver knows nothing of iommufd
 * objects either: the handlers look up devices and HWPTs themselves and
 * pass in the mock device or the iommu_domain.
 *
 * Mock devices are opaque.  mock_dev_create() adds one to the mock bus, and
 * the iommu core probes it into an IOMMU group of its own, attached to the
 * driver's blocking domain.  Domains come from the iommu core: paging
 * domains from iommu_paging_domain_alloc() or the domain_alloc_user op,
 * nested domains from domain_alloc_user with IOMMU_HWPT_DATA_SELFTEST data.
 * A handler must check a domain with mock_domain_is_paging() or
 * mock_domain_is_nested() before passing it to the other mock_domain_*()
 * or mock_nested_domain_*() functions, which assume that kind of domain.
 *
 * The caller keeps the mock device or the domain alive across each call.
 * The driver locks its own state.  Page requests are delivered from the
 * mock IOMMU's iopf queue, like a hardware IOMMU's from its fault thread,
 * with nothing holding the device's domain still: flushing the device's
 * iopf queue (iopf_queue_flush_dev()) waits for deliveries in flight.
 *
 * mock_dev_create() can put a device into the IOMMU group of another mock
 * device, so that groups of several devices can be tested.
 *
 * The driver serves vIOMMUs of type IOMMU_VIOMMU_TYPE_SELFTEST, through the
 * driver API of <linux/iommufd.h> as a hardware driver would: that part
 * lives in mock_viommu.c.  Each mock device models a device cache that
 * the vIOMMU's invalidation clears, and reports events to the vIOMMU whose
 * nested domain it is attached to.
 *
 * Paging domains translate in IO pages of MOCK_IO_PAGE_SIZE, half a CPU
 * page, so that IOVAs and lengths that are not CPU page aligned get
 * exercised; devices made with MOCK_FLAGS_DEVICE_HUGE_IOVA get domains that
 * also map MOCK_HUGE_PAGE_SIZE pages.  The aperture is MOCK_APERTURE_START
 * to MOCK_APERTURE_LAST.
 */

struct device;
struct iommu_domain;
struct iommu_user_data;
struct iommufd_viommu;
struct mock_dev;

/* The IO page sizes of mock paging domains */
#define MOCK_IO_PAGE_SHIFT	(PAGE_SHIFT - 1)
#define MOCK_IO_PAGE_SIZE	BIT(MOCK_IO_PAGE_SHIFT)
#define MOCK_HUGE_PAGE_SIZE	(512 * MOCK_IO_PAGE_SIZE)

int mock_iommu_init(void);
void mock_iommu_exit(void);
struct mock_dev *mock_dev_from_device(struct device *dev);

struct mock_dev *mock_dev_create(u32 dev_flags, struct mock_dev *group_peer);
void mock_dev_destroy(struct mock_dev *mdev);
struct device *mock_dev_device(struct mock_dev *mdev);

int mock_dev_report_page_request(struct mock_dev *mdev, u32 pasid, u32 grpid,
				 u32 perm, u64 addr);
int mock_dev_check_cache(struct mock_dev *mdev, u32 cache_id, u32 expected);
void mock_dev_invalidate_cache(struct mock_dev *mdev, u32 cache_id, bool all);
int mock_dev_report_vevent(struct mock_dev *mdev);

bool mock_domain_is_paging(const struct iommu_domain *domain);
int mock_domain_lookup_phys(struct iommu_domain *domain, unsigned long iova,
			    phys_addr_t *phys);
int mock_domain_set_dirty(struct iommu_domain *domain, unsigned long iova,
			  unsigned long page_size, const unsigned long *bitmap,
			  unsigned long nbits, unsigned long *nr_marked);

bool mock_domain_is_nest_parent(const struct iommu_domain *domain);
bool mock_domain_is_nested(const struct iommu_domain *domain);
int mock_nested_domain_check_iotlb(struct iommu_domain *domain, u32 iotlb_id,
				   u32 expected);

/* Between the driver's two files: mock_iommu.c and mock_viommu.c */
struct iommu_domain *
mock_nested_domain_alloc(struct iommu_domain *parent,
			 struct iommufd_viommu *viommu, u32 flags,
			 const struct iommu_user_data *user_data);
size_t mock_viommu_size(struct device *dev, enum iommu_viommu_type type);
int mock_viommu_init(struct iommufd_viommu *viommu,
		     struct iommu_domain *parent_domain,
		     const struct iommu_user_data *user_data);

#endif
