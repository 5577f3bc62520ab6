// SPDX-License-Identifier: GPL-2.0-only
/*
 * Devices and paging HWPTs, driven through mock devices: binding and
 * attaching (IOMMU_TEST_OP_MOCK_DOMAIN), automatic and explicit HWPTs
 * (IOMMU_HWPT_ALLOC), moving a device (MOCK_DOMAIN_REPLACE), what may be
 * destroyed when, reserved IOVA, and the mock page table checks.  One
 * behaviour per test, named after the behaviour.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "iommufd_helpers.h"

#define BUF_PAGES 16

FIXTURE(devices)
{
	int fd;
	__u32 ioas_id;
	/* BUF_PAGES small pages, faulted in */
	__u8 *buf;
};

FIXTURE_SETUP(devices)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &self->ioas_id));
	self->buf = iommufd_alloc_small_pages(BUF_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, self->buf);
	memset(self->buf, 0xa5, BUF_SIZE);
}

FIXTURE_TEARDOWN(devices)
{
	munmap(self->buf, BUF_SIZE);
	close(self->fd);
}

/* ---- mock devices on an IOAS ------------------------------------------- */

TEST_F(devices, mock_domain_returns_three_distinct_ids)
{
	__u32 stdev_id = 0, hwpt_id = 0, idev_id = 0;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &stdev_id, &hwpt_id, &idev_id));
	EXPECT_NE(0, stdev_id);
	EXPECT_NE(0, hwpt_id);
	EXPECT_NE(0, idev_id);
	EXPECT_NE(stdev_id, hwpt_id);
	EXPECT_NE(stdev_id, idev_id);
	EXPECT_NE(hwpt_id, idev_id);
	EXPECT_NE(self->ioas_id, hwpt_id);
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, stdev_id));
}

TEST_F(devices, mock_domain_flags_accepts_every_device_flag)
{
	static const __u32 flags[] = {
		0,
		MOCK_FLAGS_DEVICE_NO_DIRTY,
		MOCK_FLAGS_DEVICE_HUGE_IOVA,
		MOCK_FLAGS_DEVICE_PASID,
	};
	__u32 stdev_id;
	unsigned int i;

	for (i = 0; i != ARRAY_SIZE(flags); i++) {
		ASSERT_EQ(0, iommufd_mock_domain_flags_err(self->fd,
							   self->ioas_id,
							   flags[i], &stdev_id,
							   NULL, NULL));
		EXPECT_EQ(0, iommufd_destroy_err(self->fd, stdev_id));
	}
}

TEST_F(devices, mock_domain_flags_with_an_unknown_flag_is_einval)
{
	EXPECT_EQ(EINVAL, iommufd_mock_domain_flags_err(self->fd,
							self->ioas_id, 1U << 31,
							NULL, NULL, NULL));
	/* Nothing was left attached to the IOAS */
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->ioas_id));
}

TEST_F(devices, mock_domain_on_an_unknown_id_is_enoent)
{
	EXPECT_EQ(ENOENT, iommufd_mock_domain_err(self->fd, NO_SUCH_ID, NULL,
						  NULL, NULL));
}

TEST_F(devices, mock_domain_on_a_device_id_is_einval)
{
	__u32 stdev_id, idev_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &stdev_id, NULL, &idev_id));
	EXPECT_EQ(EINVAL, iommufd_mock_domain_err(self->fd, idev_id, NULL,
						  NULL, NULL));
	EXPECT_EQ(EINVAL, iommufd_mock_domain_err(self->fd, stdev_id, NULL,
						  NULL, NULL));
}

TEST_F(devices, two_devices_on_an_ioas_share_one_automatic_hwpt)
{
	__u32 stdev_a, stdev_b, hwpt_a, hwpt_b;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &stdev_a, &hwpt_a, NULL));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &stdev_b, &hwpt_b, NULL));
	EXPECT_EQ(hwpt_a, hwpt_b);
}

TEST_F(devices, automatic_hwpt_outlives_all_but_its_last_device)
{
	__u32 stdev_a, stdev_b, hwpt_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &stdev_a, &hwpt_id, NULL));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &stdev_b, NULL, NULL));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, stdev_a));
	/* Still there, and still in use */
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, hwpt_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, stdev_b));
	EXPECT_EQ(ENOENT, iommufd_destroy_err(self->fd, hwpt_id));
}

TEST_F(devices, device_attached_to_an_explicit_hwpt_reports_its_id)
{
	__u32 idev_id, hwpt_id, attached_hwpt, stdev_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id, NULL,
					     NULL, &idev_id));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, idev_id, self->ioas_id,
					    0, &hwpt_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, hwpt_id, &stdev_id,
					     &attached_hwpt, NULL));
	EXPECT_EQ(hwpt_id, attached_hwpt);
	/* An explicit HWPT is never chosen for a device attached to the IOAS */
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id, NULL,
					     &attached_hwpt, NULL));
	EXPECT_NE(hwpt_id, attached_hwpt);
}

/* ---- what may be destroyed when ---------------------------------------- */

TEST_F(devices, ioas_with_a_hwpt_is_busy)
{
	__u32 stdev_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &stdev_id, NULL, NULL));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->ioas_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, stdev_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->ioas_id));
}

TEST_F(devices, hwpt_with_a_device_is_busy)
{
	__u32 idev_id, hwpt_id, stdev_id, first_stdev;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &first_stdev, NULL, &idev_id));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, idev_id, self->ioas_id,
					    0, &hwpt_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, hwpt_id, &stdev_id,
					     NULL, NULL));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, hwpt_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, stdev_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, hwpt_id));
}

TEST_F(devices, unused_explicit_hwpt_keeps_its_ioas_busy)
{
	__u32 idev_id, hwpt_id, stdev_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &stdev_id, NULL, &idev_id));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, idev_id, self->ioas_id,
					    0, &hwpt_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, stdev_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->ioas_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, hwpt_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->ioas_id));
}

TEST_F(devices, bound_device_cannot_be_destroyed_by_its_id)
{
	__u32 idev_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id, NULL,
					     NULL, &idev_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, idev_id));
}

TEST_F(devices, destroying_the_selftest_device_removes_everything)
{
	__u32 stdev_id, hwpt_id, idev_id, unused;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &stdev_id, &hwpt_id, &idev_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, stdev_id));
	/* Every ID is stale now */
	EXPECT_EQ(ENOENT, iommufd_destroy_err(self->fd, stdev_id));
	EXPECT_EQ(ENOENT, iommufd_destroy_err(self->fd, hwpt_id));
	EXPECT_EQ(ENOENT, iommufd_destroy_err(self->fd, idev_id));
	EXPECT_EQ(ENOENT, iommufd_hwpt_alloc_err(self->fd, idev_id,
						 self->ioas_id, 0, &unused));
	unused = self->ioas_id;
	EXPECT_EQ(ENOENT, iommufd_mock_domain_replace_err(self->fd, stdev_id,
							  &unused));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->ioas_id));
}

TEST_F(devices, closing_the_context_releases_devices_and_hwpts)
{
	__u32 ioas_id, idev_id, hwpt_id;
	int fd = iommufd_open();

	/* Leaks here show up in the debug profile's kmemleak scan */
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(fd, &ioas_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(fd, ioas_id, NULL, NULL,
					     &idev_id));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(fd, idev_id, ioas_id, 0,
					    &hwpt_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(fd, hwpt_id, NULL, NULL, NULL));
	ASSERT_EQ(0, iommufd_mock_domain_err(fd, ioas_id, NULL, NULL, NULL));
	EXPECT_EQ(0, close(fd));
}

/* ---- IDs of the wrong type --------------------------------------------- */

TEST_F(devices, hwpt_id_where_an_ioas_is_expected_is_enoent)
{
	__u32 hwpt_id, count = 1;
	struct iommu_iova_range range;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id, NULL,
					     &hwpt_id, NULL));
	EXPECT_EQ(ENOENT,
		  iommufd_ioas_map_fixed_err(self->fd, hwpt_id, self->buf,
					     PAGE_SIZE, APERTURE_IOVA));
	EXPECT_EQ(ENOENT, iommufd_iova_ranges_err(self->fd, hwpt_id, &range,
						  &count));
	EXPECT_EQ(ENOENT, iommufd_add_reserved_err(self->fd, hwpt_id,
						   APERTURE_IOVA, PAGE_SIZE));
}

TEST_F(devices, ioas_id_where_a_hwpt_is_expected_is_enoent)
{
	__u32 stdev_id, pt_id = self->ioas_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &stdev_id, NULL, NULL));
	EXPECT_EQ(ENOENT, iommufd_check_map_err(self->fd, self->ioas_id,
						APERTURE_IOVA, IO_PAGE_SIZE,
						self->buf));
	/* Nor is an IOAS a selftest device */
	EXPECT_EQ(ENOENT, iommufd_mock_domain_replace_err(self->fd,
							  self->ioas_id,
							  &pt_id));
}

TEST_F(devices, device_id_where_a_selftest_device_is_expected_is_enoent)
{
	__u32 idev_id, pt_id = self->ioas_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id, NULL,
					     NULL, &idev_id));
	EXPECT_EQ(ENOENT, iommufd_mock_domain_replace_err(self->fd, idev_id,
							  &pt_id));
}

/* ---- IOMMU_HWPT_ALLOC ------------------------------------------------- */

FIXTURE(hwpt_alloc)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 idev_id;
};

FIXTURE_SETUP(hwpt_alloc)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &self->ioas_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &self->stdev_id, NULL,
					     &self->idev_id));
}

FIXTURE_TEARDOWN(hwpt_alloc)
{
	close(self->fd);
}

TEST_F(hwpt_alloc, paging_hwpt_on_an_ioas)
{
	__u32 hwpt_id = 0;

	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id, 0, &hwpt_id));
	EXPECT_NE(0, hwpt_id);
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, hwpt_id));
}

TEST_F(hwpt_alloc, nest_parent_flag_is_accepted)
{
	__u32 hwpt_id;

	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id,
					    IOMMU_HWPT_ALLOC_NEST_PARENT,
					    &hwpt_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, hwpt_id));
}

TEST_F(hwpt_alloc, dirty_tracking_flag_is_accepted)
{
	__u32 hwpt_id;

	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id,
					    IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
					    &hwpt_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, hwpt_id));
}

TEST_F(hwpt_alloc, dirty_tracking_without_iommu_support_is_eopnotsupp)
{
	__u32 idev_id, hwpt_id;

	ASSERT_EQ(0, iommufd_mock_domain_flags_err(self->fd, self->ioas_id,
						   MOCK_FLAGS_DEVICE_NO_DIRTY,
						   NULL, NULL, &idev_id));
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_hwpt_alloc_err(self->fd, idev_id, self->ioas_id,
					 IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
					 &hwpt_id));
}

TEST_F(hwpt_alloc, device_that_cannot_track_dirty_pages_is_refused)
{
	__u32 hwpt_id;

	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id,
					    IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
					    &hwpt_id));
	EXPECT_EQ(EINVAL,
		  iommufd_mock_domain_flags_err(self->fd, hwpt_id,
						MOCK_FLAGS_DEVICE_NO_DIRTY,
						NULL, NULL, NULL));
	/* The refused device left no reference behind */
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, hwpt_id));
}

TEST_F(hwpt_alloc, unknown_flags_are_eopnotsupp)
{
	__u32 hwpt_id;

	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					 self->ioas_id, 1U << 31, &hwpt_id));
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					 self->ioas_id,
					 ~IOMMU_HWPT_ALLOC_NEST_PARENT,
					 &hwpt_id));
}

TEST_F(hwpt_alloc, fault_queue_on_a_paging_hwpt_is_eopnotsupp)
{
	__u32 hwpt_id;

	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					 self->ioas_id,
					 IOMMU_HWPT_FAULT_ID_VALID, &hwpt_id));
}

TEST_F(hwpt_alloc, unknown_dev_id_is_enoent)
{
	__u32 hwpt_id;

	EXPECT_EQ(ENOENT, iommufd_hwpt_alloc_err(self->fd, NO_SUCH_ID,
						 self->ioas_id, 0, &hwpt_id));
}

TEST_F(hwpt_alloc, dev_id_of_another_type_is_enoent)
{
	__u32 hwpt_id;

	EXPECT_EQ(ENOENT, iommufd_hwpt_alloc_err(self->fd, self->ioas_id,
						 self->ioas_id, 0, &hwpt_id));
	EXPECT_EQ(ENOENT, iommufd_hwpt_alloc_err(self->fd, self->stdev_id,
						 self->ioas_id, 0, &hwpt_id));
}

TEST_F(hwpt_alloc, unknown_pt_id_is_einval)
{
	__u32 hwpt_id;

	EXPECT_EQ(EINVAL, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
						 NO_SUCH_ID, 0, &hwpt_id));
}

TEST_F(hwpt_alloc, pt_id_of_a_device_is_einval)
{
	__u32 hwpt_id;

	EXPECT_EQ(EINVAL, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
						 self->idev_id, 0, &hwpt_id));
	EXPECT_EQ(EINVAL, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
						 self->stdev_id, 0, &hwpt_id));
}

TEST_F(hwpt_alloc, on_a_paging_hwpt_without_data_is_eopnotsupp)
{
	__u32 parent_id, hwpt_id;

	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id,
					    IOMMU_HWPT_ALLOC_NEST_PARENT,
					    &parent_id));
	EXPECT_EQ(EOPNOTSUPP, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
						     parent_id, 0, &hwpt_id));
}

TEST_F(hwpt_alloc, reserved_fields_are_eopnotsupp)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = self->idev_id,
		.pt_id = self->ioas_id,
		.__reserved = 1,
	};

	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_ioctl_err(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.__reserved = 0;
	cmd.__reserved2 = 1;
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_ioctl_err(self->fd, IOMMU_HWPT_ALLOC, &cmd));
}

TEST_F(hwpt_alloc, data_length_without_a_data_type_is_einval)
{
	__u32 data = 0;
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = self->idev_id,
		.pt_id = self->ioas_id,
		.data_type = IOMMU_HWPT_DATA_NONE,
		.data_len = sizeof(data),
		.data_uptr = (__u64)(uintptr_t)&data,
	};

	EXPECT_EQ(EINVAL, iommufd_ioctl_err(self->fd, IOMMU_HWPT_ALLOC, &cmd));
}

TEST_F(hwpt_alloc, data_type_without_data_is_einval)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = self->idev_id,
		.pt_id = self->ioas_id,
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
	};

	EXPECT_EQ(EINVAL, iommufd_ioctl_err(self->fd, IOMMU_HWPT_ALLOC, &cmd));
}

TEST_F(hwpt_alloc, driver_data_for_a_paging_hwpt_is_eopnotsupp)
{
	struct iommu_hwpt_selftest data = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
	};
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = self->idev_id,
		.pt_id = self->ioas_id,
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data),
		.data_uptr = (__u64)(uintptr_t)&data,
	};

	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_ioctl_err(self->fd, IOMMU_HWPT_ALLOC, &cmd));
}

TEST_F(hwpt_alloc, size_below_the_first_version_is_einval)
{
	struct iommu_hwpt_alloc cmd = {
		.size = offsetof(struct iommu_hwpt_alloc, __reserved),
		.dev_id = self->idev_id,
		.pt_id = self->ioas_id,
	};

	EXPECT_EQ(EINVAL, iommufd_ioctl_err(self->fd, IOMMU_HWPT_ALLOC, &cmd));
}

TEST_F(hwpt_alloc, first_version_size_is_accepted)
{
	struct iommu_hwpt_alloc cmd = {
		.size = offsetof(struct iommu_hwpt_alloc, data_type),
		.dev_id = self->idev_id,
		.pt_id = self->ioas_id,
		/* Past the declared size: must not be read */
		.__reserved2 = 1,
	};

	ASSERT_EQ(0, iommufd_ioctl_err(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, cmd.out_hwpt_id));
}

TEST_F(hwpt_alloc, longer_struct_with_zero_tail_is_accepted)
{
	struct {
		struct iommu_hwpt_alloc cmd;
		__u64 tail;
	} big = {
		.cmd = {
			.size = sizeof(big),
			.dev_id = self->idev_id,
			.pt_id = self->ioas_id,
		},
	};

	ASSERT_EQ(0, iommufd_ioctl_err(self->fd, IOMMU_HWPT_ALLOC, &big));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, big.cmd.out_hwpt_id));
}

TEST_F(hwpt_alloc, longer_struct_with_non_zero_tail_is_e2big)
{
	struct {
		struct iommu_hwpt_alloc cmd;
		__u64 tail;
	} big = {
		.cmd = {
			.size = sizeof(big),
			.dev_id = self->idev_id,
			.pt_id = self->ioas_id,
		},
		.tail = 1,
	};

	EXPECT_EQ(E2BIG, iommufd_ioctl_err(self->fd, IOMMU_HWPT_ALLOC, &big));
}

TEST_F(hwpt_alloc, failed_allocation_leaves_the_ioas_free)
{
	__u32 ioas_id, hwpt_id;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	EXPECT_EQ(EOPNOTSUPP, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
						     ioas_id, 1U << 31,
						     &hwpt_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, ioas_id));
}

/* ---- MOCK_DOMAIN_REPLACE ----------------------------------------------- */

TEST_F(hwpt_alloc, replace_moves_a_device_between_explicit_hwpts)
{
	__u32 hwpt_a, hwpt_b, pt_id;

	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id, 0, &hwpt_a));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id, 0, &hwpt_b));
	pt_id = hwpt_a;
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &pt_id));
	EXPECT_EQ(hwpt_a, pt_id);
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, hwpt_a));

	pt_id = hwpt_b;
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &pt_id));
	EXPECT_EQ(hwpt_b, pt_id);
	/* The device let go of the first one */
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, hwpt_a));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, hwpt_b));
}

TEST_F(hwpt_alloc, replace_to_the_current_hwpt_changes_nothing)
{
	__u32 hwpt_id, pt_id;

	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id, 0, &hwpt_id));
	pt_id = hwpt_id;
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &pt_id));
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &pt_id));
	EXPECT_EQ(hwpt_id, pt_id);
	/* One attachment, so one detach frees it */
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->stdev_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, hwpt_id));
}

TEST_F(hwpt_alloc, replace_to_the_same_ioas_keeps_the_automatic_hwpt)
{
	__u32 hwpt_id, pt_id = self->ioas_id;

	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &pt_id));
	hwpt_id = pt_id;
	pt_id = self->ioas_id;
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &pt_id));
	EXPECT_EQ(hwpt_id, pt_id);
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, hwpt_id));
}

TEST_F(hwpt_alloc, replace_to_another_ioas_frees_the_automatic_hwpt)
{
	__u32 old_hwpt, new_ioas, pt_id;

	/* The fixture's device sits on the IOAS's automatic HWPT */
	pt_id = self->ioas_id;
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &pt_id));
	old_hwpt = pt_id;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &new_ioas));
	pt_id = new_ioas;
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &pt_id));
	EXPECT_NE(old_hwpt, pt_id);
	EXPECT_NE(new_ioas, pt_id);
	EXPECT_EQ(ENOENT, iommufd_destroy_err(self->fd, old_hwpt));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->ioas_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, new_ioas));
}

TEST_F(hwpt_alloc, replace_from_an_explicit_hwpt_back_to_the_ioas)
{
	__u32 hwpt_id, pt_id;

	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id, 0, &hwpt_id));
	pt_id = hwpt_id;
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &pt_id));
	pt_id = self->ioas_id;
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &pt_id));
	EXPECT_NE(hwpt_id, pt_id);
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, hwpt_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, pt_id));
}

TEST_F(hwpt_alloc, replace_to_a_refused_hwpt_keeps_the_old_one)
{
	__u32 idev_id, stdev_id, old_hwpt, dirty_hwpt, pt_id;

	ASSERT_EQ(0, iommufd_mock_domain_flags_err(self->fd, self->ioas_id,
						   MOCK_FLAGS_DEVICE_NO_DIRTY,
						   &stdev_id, &old_hwpt,
						   &idev_id));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id,
					    IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
					    &dirty_hwpt));
	pt_id = dirty_hwpt;
	EXPECT_EQ(EINVAL, iommufd_mock_domain_replace_err(self->fd, stdev_id,
							  &pt_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, dirty_hwpt));
	/* Still attached where it was */
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, old_hwpt));
	pt_id = old_hwpt;
	EXPECT_EQ(0, iommufd_mock_domain_replace_err(self->fd, stdev_id,
						     &pt_id));
}

TEST_F(hwpt_alloc, replace_to_an_unknown_id_is_enoent)
{
	__u32 pt_id = NO_SUCH_ID;

	EXPECT_EQ(ENOENT, iommufd_mock_domain_replace_err(self->fd,
							  self->stdev_id,
							  &pt_id));
}

TEST_F(hwpt_alloc, replace_to_a_device_id_is_einval)
{
	__u32 pt_id = self->idev_id;

	EXPECT_EQ(EINVAL, iommufd_mock_domain_replace_err(self->fd,
							  self->stdev_id,
							  &pt_id));
}

/* ---- replace while the IOAS is being changed ---------------------------- */

/*
 * Mapper threads map and unmap slots of their own, again and again, while
 * the test moves a mock device back and forth between two targets.  The
 * device's domain must end up holding exactly what its IOAS maps.
 */
#define RACE_MAPPERS 4
#define RACE_ROUNDS 500
#define RACE_REPLACES 500
#define RACE_SLOT_SIZE (4 * PAGE_SIZE)
/* A page apart, so that no two mappings touch */
#define RACE_SLOT_IOVA(slot) \
	(APERTURE_IOVA + (slot) * (RACE_SLOT_SIZE + PAGE_SIZE))
/* Mapped once the race is over: the even slots of every IOAS */
#define RACE_SLOT_ENDS_MAPPED(slot) ((slot) % 2 == 0)

FIXTURE(replace_race)
{
	int fd;
	/* The IOASes being changed; one or two */
	__u32 ioas_ids[2];
	unsigned int nr_ioas;
	/* Where the device goes in turn, and the IOAS behind each */
	__u32 targets[2];
	unsigned int target_ioas[2];
	__u32 stdev_id;
	/* Memory of slot s of IOAS i: race_slot_memory() */
	__u8 *buf;
};

FIXTURE_VARIANT(replace_race)
{
	/* Two IOASes, or a HWPT of the device's IOAS and that IOAS itself */
	bool two_ioas;
};

FIXTURE_VARIANT_ADD(replace_race, hwpt_and_its_ioas)
{
	.two_ioas = false,
};

FIXTURE_VARIANT_ADD(replace_race, two_ioas)
{
	.two_ioas = true,
};

#define RACE_BUF_SIZE (2 * RACE_MAPPERS * RACE_SLOT_SIZE)

static __u8 *race_slot_memory(__u8 *buf, unsigned int ioas, unsigned int slot)
{
	return buf + (ioas * RACE_MAPPERS + slot) * RACE_SLOT_SIZE;
}

FIXTURE_SETUP(replace_race)
{
	__u32 idev_id, hwpt_id;

	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &self->ioas_ids[0]));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_ids[0],
					     &self->stdev_id, NULL, &idev_id));
	self->targets[1] = self->ioas_ids[0];
	self->target_ioas[1] = 0;
	if (variant->two_ioas) {
		ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd,
						    &self->ioas_ids[1]));
		self->nr_ioas = 2;
		self->targets[0] = self->ioas_ids[1];
		self->target_ioas[0] = 1;
	} else {
		ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, idev_id,
						    self->ioas_ids[0], 0,
						    &hwpt_id));
		self->nr_ioas = 1;
		self->targets[0] = hwpt_id;
		self->target_ioas[0] = 0;
	}
	self->buf = iommufd_alloc_small_pages(RACE_BUF_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, self->buf);
	memset(self->buf, 0x3c, RACE_BUF_SIZE);
}

FIXTURE_TEARDOWN(replace_race)
{
	munmap(self->buf, RACE_BUF_SIZE);
	close(self->fd);
}

struct race_mapper {
	int fd;
	const __u32 *ioas_ids;
	unsigned int nr_ioas;
	__u8 *buf;
	unsigned int slot;
	pthread_barrier_t *start;
	/* Mappers still at work, shared by all */
	unsigned int *running;
	/* Maps or unmaps that did not do exactly what they were asked */
	unsigned int failures;
};

static void *race_map_loop(void *arg)
{
	struct race_mapper *mapper = arg;
	__u64 iova = RACE_SLOT_IOVA(mapper->slot);
	unsigned int round, i;

	pthread_barrier_wait(mapper->start);
	for (round = 0; round <= RACE_ROUNDS; round++) {
		for (i = 0; i != mapper->nr_ioas; i++) {
			__u8 *va = race_slot_memory(mapper->buf, i,
						    mapper->slot);
			__u64 unmapped = 0;

			if (iommufd_ioas_map_fixed_err(mapper->fd,
						       mapper->ioas_ids[i], va,
						       RACE_SLOT_SIZE, iova))
				mapper->failures++;
			/* The last round leaves the even slots mapped */
			if (round == RACE_ROUNDS &&
			    RACE_SLOT_ENDS_MAPPED(mapper->slot))
				continue;
			if (iommufd_ioas_unmap_count_err(mapper->fd,
							 mapper->ioas_ids[i],
							 iova, RACE_SLOT_SIZE,
							 &unmapped) ||
			    unmapped != RACE_SLOT_SIZE)
				mapper->failures++;
		}
	}
	__atomic_sub_fetch(mapper->running, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* HWPT @hwpt_id holds exactly what the race left mapped in IOAS @ioas */
static void check_race_leftovers(struct __test_metadata *_metadata, int fd,
				 __u32 hwpt_id, __u8 *buf, unsigned int ioas)
{
	unsigned int slot;

	for (slot = 0; slot != RACE_MAPPERS; slot++) {
		__u8 *va = race_slot_memory(buf, ioas, slot);
		__u64 iova = RACE_SLOT_IOVA(slot);

		if (RACE_SLOT_ENDS_MAPPED(slot)) {
			EXPECT_EQ(0, iommufd_check_map_err(fd, hwpt_id, iova,
							   RACE_SLOT_SIZE,
							   va));
		} else {
			EXPECT_TRUE(iommufd_hwpt_maps_none_of(fd, hwpt_id,
							      iova,
							      RACE_SLOT_SIZE,
							      va));
		}
	}
}

TEST_F(replace_race, replace_while_the_ioas_maps_and_unmaps)
{
	struct race_mapper mappers[RACE_MAPPERS];
	pthread_t threads[RACE_MAPPERS];
	unsigned int i, failed_replaces = 0, raced_replaces = 0;
	unsigned int running = RACE_MAPPERS;
	pthread_barrier_t start;
	__u32 pt_id = 0;

	ASSERT_EQ(0, pthread_barrier_init(&start, NULL, RACE_MAPPERS + 1));
	for (i = 0; i != RACE_MAPPERS; i++) {
		mappers[i] = (struct race_mapper){
			.fd = self->fd,
			.ioas_ids = self->ioas_ids,
			.nr_ioas = self->nr_ioas,
			.buf = self->buf,
			.slot = i,
			.start = &start,
			.running = &running,
		};
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, race_map_loop,
					    &mappers[i]));
	}
	pthread_barrier_wait(&start);
	for (i = 0; i != RACE_REPLACES; i++) {
		pt_id = self->targets[i % 2];
		if (iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						    &pt_id))
			failed_replaces++;
		if (__atomic_load_n(&running, __ATOMIC_RELAXED))
			raced_replaces++;
	}
	for (i = 0; i != RACE_MAPPERS; i++) {
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
		EXPECT_EQ(0, mappers[i].failures);
	}
	EXPECT_EQ(0, failed_replaces);
	/* How much actually overlapped depends on the scheduler */
	TH_LOG("%u of %u replaces while mappers were at work", raced_replaces,
	       RACE_REPLACES);

	/* RACE_REPLACES is even: the device is on targets[1] */
	check_race_leftovers(_metadata, self->fd, pt_id, self->buf,
			     self->target_ioas[1]);
	if (!variant->two_ioas)
		check_race_leftovers(_metadata, self->fd, self->targets[0],
				     self->buf, 0);
	/* A domain made or joined now is filled with the same */
	pt_id = self->targets[0];
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &pt_id));
	check_race_leftovers(_metadata, self->fd, pt_id, self->buf,
			     self->target_ioas[0]);

	/* Every pin goes with the device and the mappings */
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->stdev_id));
	for (i = 0; i != self->nr_ioas; i++)
		EXPECT_EQ(0, iommufd_ioas_unmap_err(self->fd,
						    self->ioas_ids[i], 0,
						    UINT64_MAX));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf,
					    RACE_BUF_SIZE, 0));
	pthread_barrier_destroy(&start);
}

/* ---- reserved IOVA and IOVA ranges -------------------------------------- */

TEST_F(devices, mapping_into_reserved_iova_fails)
{
	ASSERT_EQ(0, iommufd_add_reserved_err(self->fd, self->ioas_id,
					      APERTURE_IOVA, BUF_SIZE));
	EXPECT_EQ(EINVAL,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     PAGE_SIZE,
					     APERTURE_IOVA + PAGE_SIZE));
	/* Right after it is fine */
	EXPECT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
						self->buf, PAGE_SIZE,
						APERTURE_IOVA + BUF_SIZE));
}

TEST_F(devices, reserved_iova_is_a_hole_in_the_iova_ranges)
{
	struct iommu_iova_range ranges[4];
	__u32 count = ARRAY_SIZE(ranges);

	ASSERT_EQ(0, iommufd_add_reserved_err(self->fd, self->ioas_id,
					      0x100000, 0x10000));
	ASSERT_EQ(0, iommufd_iova_ranges_err(self->fd, self->ioas_id, ranges,
					     &count));
	ASSERT_EQ(2, count);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(0xfffff, ranges[0].last);
	EXPECT_EQ(0x110000, ranges[1].start);
	EXPECT_EQ(UINT64_MAX, ranges[1].last);
}

TEST_F(devices, reserving_over_a_mapping_is_eaddrinuse)
{
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     PAGE_SIZE, APERTURE_IOVA));
	EXPECT_EQ(EADDRINUSE, iommufd_add_reserved_err(self->fd, self->ioas_id,
						       APERTURE_IOVA,
						       PAGE_SIZE));
}

TEST_F(devices, reserving_nothing_is_einval)
{
	EXPECT_EQ(EINVAL, iommufd_add_reserved_err(self->fd, self->ioas_id,
						   APERTURE_IOVA, 0));
}

TEST_F(devices, reserving_past_the_end_of_the_iova_space_is_eoverflow)
{
	EXPECT_EQ(EOVERFLOW, iommufd_add_reserved_err(self->fd, self->ioas_id,
						      UINT64_MAX, 2));
}

TEST_F(devices, reserving_in_an_unknown_ioas_is_enoent)
{
	EXPECT_EQ(ENOENT, iommufd_add_reserved_err(self->fd, NO_SUCH_ID,
						   APERTURE_IOVA, PAGE_SIZE));
}

TEST_F(devices, iova_ranges_follow_the_mock_aperture_while_linked)
{
	struct iommu_iova_range ranges[4];
	__u32 count = ARRAY_SIZE(ranges);
	__u32 stdev_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &stdev_id, NULL, NULL));
	ASSERT_EQ(0, iommufd_iova_ranges_err(self->fd, self->ioas_id, ranges,
					     &count));
	ASSERT_EQ(1, count);
	EXPECT_EQ(MOCK_APERTURE_START, ranges[0].start);
	EXPECT_EQ(MOCK_APERTURE_LAST, ranges[0].last);

	/* The automatic HWPT goes with the device, and so does the limit */
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, stdev_id));
	count = ARRAY_SIZE(ranges);
	ASSERT_EQ(0, iommufd_iova_ranges_err(self->fd, self->ioas_id, ranges,
					     &count));
	ASSERT_EQ(1, count);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(UINT64_MAX, ranges[0].last);
}

TEST_F(devices, mapping_outside_the_aperture_keeps_a_mock_device_out)
{
	__u32 stdev_id;

	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     PAGE_SIZE, PAGE_SIZE));
	EXPECT_EQ(EADDRINUSE, iommufd_mock_domain_err(self->fd, self->ioas_id,
						      &stdev_id, NULL, NULL));
	/* The IOAS is as it was: its mapping is there, nothing holds it */
	EXPECT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->ioas_id, PAGE_SIZE,
					    PAGE_SIZE));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->ioas_id));
}

/* ---- mock page tables ------------------------------------------------- */

TEST_F(devices, domain_maps_what_was_mapped_before_the_device_came)
{
	__u32 hwpt_id;

	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     BUF_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id, NULL,
					     &hwpt_id, NULL));
	EXPECT_EQ(0, iommufd_check_map_err(self->fd, hwpt_id, APERTURE_IOVA,
					   BUF_SIZE, self->buf));
}

TEST_F(devices, domain_maps_what_is_mapped_after_the_device_came)
{
	__u32 hwpt_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id, NULL,
					     &hwpt_id, NULL));
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     BUF_SIZE, APERTURE_IOVA));
	EXPECT_EQ(0, iommufd_check_map_err(self->fd, hwpt_id, APERTURE_IOVA,
					   BUF_SIZE, self->buf));
	/* Half a CPU page in, IO page granular */
	EXPECT_EQ(0, iommufd_check_map_err(self->fd, hwpt_id,
					   APERTURE_IOVA + IO_PAGE_SIZE,
					   IO_PAGE_SIZE,
					   self->buf + IO_PAGE_SIZE));
}

TEST_F(devices, unmapped_iova_is_gone_from_the_domain)
{
	__u32 hwpt_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id, NULL,
					     &hwpt_id, NULL));
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     BUF_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
					    APERTURE_IOVA, BUF_SIZE));
	EXPECT_EQ(EINVAL, iommufd_check_map_err(self->fd, hwpt_id,
						APERTURE_IOVA, IO_PAGE_SIZE,
						self->buf));
}

TEST_F(devices, replaced_device_finds_its_new_ioas_mapped)
{
	__u32 stdev_id, other_ioas, pt_id;
	__u8 *other_buf = self->buf + BUF_SIZE / 2;

	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     BUF_SIZE / 2, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &other_ioas));
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, other_ioas, other_buf,
						BUF_SIZE / 2, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &stdev_id, NULL, NULL));
	pt_id = other_ioas;
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, stdev_id,
						     &pt_id));
	EXPECT_EQ(0, iommufd_check_map_err(self->fd, pt_id, APERTURE_IOVA,
					   BUF_SIZE / 2, other_buf));
}

TEST_F(devices, pages_are_pinned_once_while_domains_map_them)
{
	__u32 idev_id, hwpt_id;

	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id, NULL,
					     NULL, &idev_id));
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     BUF_SIZE, APERTURE_IOVA));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 1));
	/* A second domain of the IOAS shares the pin */
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, idev_id, self->ioas_id,
					    0, &hwpt_id));
	EXPECT_EQ(0, iommufd_check_map_err(self->fd, hwpt_id, APERTURE_IOVA,
					   BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 1));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
					    APERTURE_IOVA, BUF_SIZE));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
}

TEST_F(devices, check_map_of_another_buffer_is_einval)
{
	__u32 hwpt_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id, NULL,
					     &hwpt_id, NULL));
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     PAGE_SIZE, APERTURE_IOVA));
	EXPECT_EQ(EINVAL, iommufd_check_map_err(self->fd, hwpt_id,
						APERTURE_IOVA, PAGE_SIZE,
						self->buf + PAGE_SIZE));
}

TEST_F(devices, check_map_of_unmapped_iova_is_einval)
{
	__u32 hwpt_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id, NULL,
					     &hwpt_id, NULL));
	EXPECT_EQ(EINVAL, iommufd_check_map_err(self->fd, hwpt_id,
						APERTURE_IOVA, IO_PAGE_SIZE,
						self->buf));
}

TEST_F(devices, check_map_with_misaligned_arguments_is_einval)
{
	__u32 hwpt_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id, NULL,
					     &hwpt_id, NULL));
	EXPECT_EQ(EINVAL, iommufd_check_map_err(self->fd, hwpt_id,
						APERTURE_IOVA + 1,
						IO_PAGE_SIZE, self->buf));
	EXPECT_EQ(EINVAL, iommufd_check_map_err(self->fd, hwpt_id,
						APERTURE_IOVA,
						IO_PAGE_SIZE - 1, self->buf));
	EXPECT_EQ(EINVAL, iommufd_check_map_err(self->fd, hwpt_id,
						APERTURE_IOVA, IO_PAGE_SIZE,
						self->buf + 1));
}

TEST_F(devices, check_map_wrapping_around_is_einval)
{
	__u32 hwpt_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id, NULL,
					     &hwpt_id, NULL));
	EXPECT_EQ(EINVAL, iommufd_check_map_err(self->fd, hwpt_id,
						APERTURE_IOVA,
						UINT64_MAX - IO_PAGE_SIZE + 1,
						self->buf));
}

TEST_F(devices, check_map_of_an_unknown_hwpt_is_enoent)
{
	EXPECT_EQ(ENOENT, iommufd_check_map_err(self->fd, NO_SUCH_ID,
						APERTURE_IOVA, IO_PAGE_SIZE,
						self->buf));
}

TEST_F(devices, check_refs_of_unpinned_pages_is_zero)
{
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
	EXPECT_EQ(EIO, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					      1));
}

TEST_F(devices, check_refs_with_misaligned_arguments_is_einval)
{
	EXPECT_EQ(EINVAL, iommufd_check_refs_err(self->fd, self->buf + 1,
						 PAGE_SIZE, 0));
	EXPECT_EQ(EINVAL, iommufd_check_refs_err(self->fd, self->buf,
						 PAGE_SIZE - 1, 0));
}

/* ---- the IOMMU_TEST_CMD dispatcher -------------------------------------- */

TEST_F(devices, test_cmd_with_reserved_field_is_eopnotsupp)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ADD_RESERVED,
		.id = self->ioas_id,
		.__reserved = 1,
		.add_reserved = { .start = APERTURE_IOVA, .length = PAGE_SIZE },
	};

	EXPECT_EQ(EOPNOTSUPP, iommufd_test_cmd_err(self->fd, &cmd));
}

TEST_F(devices, test_cmd_with_an_unknown_op_is_eopnotsupp)
{
	struct iommu_test_cmd cmd = { .op = 0 };

	EXPECT_EQ(EOPNOTSUPP, iommufd_test_cmd_err(self->fd, &cmd));
	cmd.op = 0xffff;
	EXPECT_EQ(EOPNOTSUPP, iommufd_test_cmd_err(self->fd, &cmd));
}

TEST_F(devices, temp_memory_limit_below_one_batch_entry_is_einval)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
		.memory_limit = { .limit = 4 },
	};

	EXPECT_EQ(EINVAL, iommufd_test_cmd_err(self->fd, &cmd));
}

/* ---- allocation failures ---------------------------------------------- */

struct device_sequence {
	int fd;
	__u32 ioas_id;
	__u32 other_ioas_id;
	void *buf;
	/* 0 until made */
	__u32 stdev_id;
	__u32 hwpt_id;
};

/* A device's whole life; 0 or the errno of the first call that failed */
static int run_device_sequence(struct device_sequence *seq)
{
	__u64 iova = APERTURE_IOVA;
	__u32 idev_id, pt_id;
	int err;

	err = iommufd_ioas_map_err(seq->fd, seq->ioas_id, FIXED, seq->buf,
				   BUF_SIZE, &iova);
	if (!err)
		err = iommufd_mock_domain_err(seq->fd, seq->ioas_id,
					      &seq->stdev_id, NULL, &idev_id);
	if (!err)
		err = iommufd_hwpt_alloc_err(seq->fd, idev_id, seq->ioas_id, 0,
					     &seq->hwpt_id);
	if (!err) {
		pt_id = seq->hwpt_id;
		err = iommufd_mock_domain_replace_err(seq->fd, seq->stdev_id,
						      &pt_id);
	}
	if (!err) {
		pt_id = seq->other_ioas_id;
		err = iommufd_mock_domain_replace_err(seq->fd, seq->stdev_id,
						      &pt_id);
	}
	if (!err) {
		pt_id = seq->ioas_id;
		err = iommufd_mock_domain_replace_err(seq->fd, seq->stdev_id,
						      &pt_id);
	}
	return err;
}

/*
 * The sequence with its 1st, 2nd, 3rd ... fault site failing (allocations,
 * user copies, the mock driver's maps), until it runs through.  Whatever
 * failed, destroying what did get made must leave both IOAS free; leaks
 * show up in the debug profile's kmemleak scan.
 */
TEST_F(devices, every_failure_on_the_device_paths_unwinds)
{
	unsigned int nth;

	ASSERT_EQ(0, iommufd_fail_nth_setup());
	for (nth = 1; nth != 5000; nth++) {
		struct device_sequence seq = {
			.fd = self->fd,
			.ioas_id = self->ioas_id,
			.buf = self->buf,
		};
		bool injected;
		int err;

		ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd,
						    &seq.other_ioas_id));
		ASSERT_EQ(0, iommufd_fail_nth_arm(nth));
		err = run_device_sequence(&seq);
		injected = iommufd_fail_nth_disarm();
		if (!injected)
			ASSERT_EQ(0, err);

		if (seq.stdev_id)
			ASSERT_EQ(0, iommufd_destroy_err(self->fd, seq.stdev_id));
		if (seq.hwpt_id)
			ASSERT_EQ(0, iommufd_destroy_err(self->fd, seq.hwpt_id));
		ASSERT_EQ(0, iommufd_destroy_err(self->fd,
						 seq.other_ioas_id));
		/* Unmapping all of it also proves no domain is left */
		iommufd_ioas_unmap_err(self->fd, self->ioas_id, 0, UINT64_MAX);
		ASSERT_EQ(0,
			  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
						     self->buf, BUF_SIZE, 0));
		ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->ioas_id, 0,
						    BUF_SIZE));
		if (!injected)
			return;
	}
	ASSERT_TRUE(false && "too many fault sites");
}

/* ---- cache coherency enforcement ---------------------------------------- */

/*
 * A device that does not need coherency enforced, on the fixture's IOAS
 * with a page mapped, so that its automatic domain is filled without
 * enforcement
 */
static int plain_device_on_a_filled_ioas_err(int fd, __u32 ioas_id, void *buf,
					     __u32 *hwpt_id)
{
	int err = iommufd_ioas_map_fixed_err(fd, ioas_id, buf, PAGE_SIZE,
					     APERTURE_IOVA);

	if (err)
		return err;
	return iommufd_mock_domain_err(fd, ioas_id, NULL, hwpt_id, NULL);
}

/*
 * A device whose IOMMU can force its DMA to snoop must only go on domains
 * that do: VFIO tells KVM such a device is coherent.  A mock domain can be
 * made to enforce only while it maps nothing, as a VT-d second stage.
 */
TEST_F(devices, coherent_device_refuses_a_filled_domain_that_does_not_snoop)
{
	__u32 plain_hwpt_id, stdev_id;

	ASSERT_EQ(0, plain_device_on_a_filled_ioas_err(self->fd, self->ioas_id,
						       self->buf,
						       &plain_hwpt_id));
	EXPECT_EQ(EINVAL,
		  iommufd_mock_domain_flags_err(self->fd, plain_hwpt_id,
						MOCK_FLAGS_DEVICE_ENFORCE_CC,
						&stdev_id, NULL, NULL));
}

TEST_F(devices, coherent_device_on_the_ioas_gets_its_own_automatic_domain)
{
	__u32 plain_hwpt_id, coherent_hwpt_id, again_hwpt_id;

	ASSERT_EQ(0, plain_device_on_a_filled_ioas_err(self->fd, self->ioas_id,
						       self->buf,
						       &plain_hwpt_id));
	ASSERT_EQ(0, iommufd_mock_domain_flags_err(self->fd, self->ioas_id,
						   MOCK_FLAGS_DEVICE_ENFORCE_CC,
						   NULL, &coherent_hwpt_id,
						   NULL));
	EXPECT_NE(plain_hwpt_id, coherent_hwpt_id);
	/* That one snoops: plain and coherent devices may both share it */
	ASSERT_EQ(0, iommufd_mock_domain_flags_err(self->fd, self->ioas_id,
						   MOCK_FLAGS_DEVICE_ENFORCE_CC,
						   NULL, &again_hwpt_id, NULL));
	EXPECT_EQ(coherent_hwpt_id, again_hwpt_id);
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, coherent_hwpt_id, NULL,
					     NULL, NULL));
	/* The mapping is in the new domain too */
	EXPECT_EQ(0, iommufd_check_map_err(self->fd, coherent_hwpt_id,
					   APERTURE_IOVA, PAGE_SIZE,
					   self->buf));
}

TEST_F(devices, empty_domain_is_made_to_snoop_for_a_coherent_device)
{
	__u32 plain_stdev_id, plain_idev_id, hwpt_id, coherent_stdev_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &plain_stdev_id, NULL,
					     &plain_idev_id));
	/* Allocated for a device that does not need it, still empty */
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, plain_idev_id,
					    self->ioas_id, 0, &hwpt_id));
	ASSERT_EQ(0, iommufd_mock_domain_flags_err(self->fd, hwpt_id,
						   MOCK_FLAGS_DEVICE_ENFORCE_CC,
						   &coherent_stdev_id, NULL,
						   NULL));
	/* Enforcement stays: mapping afterwards is fine */
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
						self->buf, PAGE_SIZE,
						APERTURE_IOVA));
	EXPECT_EQ(0, iommufd_check_map_err(self->fd, hwpt_id, APERTURE_IOVA,
					   PAGE_SIZE, self->buf));
}

TEST_F(devices, replace_onto_a_filled_domain_that_does_not_snoop_is_einval)
{
	__u32 coherent_stdev_id, coherent_hwpt_id, plain_hwpt_id, pt_id;

	ASSERT_EQ(0, plain_device_on_a_filled_ioas_err(self->fd, self->ioas_id,
						       self->buf,
						       &plain_hwpt_id));
	ASSERT_EQ(0, iommufd_mock_domain_flags_err(self->fd, self->ioas_id,
						   MOCK_FLAGS_DEVICE_ENFORCE_CC,
						   &coherent_stdev_id,
						   &coherent_hwpt_id, NULL));
	pt_id = plain_hwpt_id;
	EXPECT_EQ(EINVAL, iommufd_mock_domain_replace_err(self->fd,
							  coherent_stdev_id,
							  &pt_id));
	/* Still where it was: the domain it had keeps mapping */
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, coherent_hwpt_id));
}

TEST_HARNESS_MAIN
