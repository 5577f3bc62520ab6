// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hardware page tables beyond plain paging, driven through the mock IOMMU:
 * nested HWPTs on a nesting parent and their life cycle, cache
 * invalidation of nested HWPTs (IOMMU_HWPT_INVALIDATE), the hardware
 * information of a device (IOMMU_GET_HW_INFO), and dirty tracking
 * (IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_GET_DIRTY_BITMAP and the
 * IOMMU_TEST_OP_DIRTY stand-in for a device writing).  One behaviour per
 * test, named after the behaviour.
 */
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "iommufd_helpers.h"

#define BUF_PAGES 64
#define IO_PAGES (BUF_SIZE / IO_PAGE_SIZE)
/* u64 words of a bitmap with one bit per IO page of the buffer */
#define BITMAP_WORDS ((IO_PAGES + 63) / 64)
#define IOTLB_ENTRIES (MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1)
#define INV_TYPE IOMMU_HWPT_INVALIDATE_DATA_SELFTEST
#define INV_LEN sizeof(struct iommu_hwpt_invalidate_selftest)
#define NO_CLEAR IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR

static bool bit_is_set(const __u64 *bitmap, unsigned int bit)
{
	return bitmap[bit / 64] & (1ULL << (bit % 64));
}

static void set_bit_in(__u64 *bitmap, unsigned int bit)
{
	bitmap[bit / 64] |= 1ULL << (bit % 64);
}

static unsigned int count_bits(const __u64 *bitmap, unsigned int nbits)
{
	unsigned int bit, count = 0;

	for (bit = 0; bit != nbits; bit++)
		count += bit_is_set(bitmap, bit);
	return count;
}

/*
 * ---- nested HWPTs ---------------------------------------------------------
 *
 * A mock device attached to the IOAS (through its automatic HWPT) names
 * the IOMMU; parent_id is a nesting parent made for it on the IOAS.
 */

/* What nested HWPTs are made from: a context, a device and a parent */
struct nest_parent {
	int fd;
	__u32 idev_id;
	__u32 hwpt_id;
};

static int nested_err(const struct nest_parent *parent, __u32 iotlb,
		      __u32 *nested_id)
{
	return iommufd_hwpt_alloc_nested_err(parent->fd, parent->idev_id,
					     parent->hwpt_id, iotlb, nested_id);
}

FIXTURE(nesting)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 idev_id;
	struct nest_parent parent;
	__u8 *buf;
};

FIXTURE_SETUP(nesting)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0,
		  iommufd_mock_device_hwpt_err(self->fd,
					       IOMMU_HWPT_ALLOC_NEST_PARENT,
					       &self->ioas_id, &self->stdev_id,
					       &self->idev_id,
					       &self->parent.hwpt_id));
	self->parent.fd = self->fd;
	self->parent.idev_id = self->idev_id;
	self->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0x5a, BUF_SIZE);
}

FIXTURE_TEARDOWN(nesting)
{
	munmap(self->buf, BUF_SIZE);
	close(self->fd);
}

/* 0 if every IOTLB entry of @hwpt_id holds @value, else the first error */
static int check_all_iotlb_err(int fd, __u32 hwpt_id, __u32 value)
{
	unsigned int i;
	int err;

	for (i = 0; i != IOTLB_ENTRIES; i++) {
		err = iommufd_check_iotlb_err(fd, hwpt_id, i, value);
		if (err)
			return err;
	}
	return 0;
}

TEST_F(nesting, nested_hwpt_on_a_nest_parent_gets_a_new_id)
{
	__u32 nested_id = 0;

	ASSERT_EQ(0, nested_err(&self->parent, IOMMU_TEST_IOTLB_DEFAULT,
				&nested_id));
	EXPECT_NE(0, nested_id);
	EXPECT_NE(self->parent.hwpt_id, nested_id);
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
}

TEST_F(nesting, driver_data_seeds_every_iotlb_entry)
{
	__u32 nested_id;

	ASSERT_EQ(0, nested_err(&self->parent, 0x1234, &nested_id));
	EXPECT_EQ(0, check_all_iotlb_err(self->fd, nested_id, 0x1234));
	EXPECT_EQ(EINVAL, iommufd_check_iotlb_err(self->fd, nested_id, 0,
						  IOMMU_TEST_IOTLB_DEFAULT));
}

TEST_F(nesting, parent_without_the_nest_parent_flag_is_einval)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };
	__u32 plain_id;

	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id, 0, &plain_id));
	EXPECT_EQ(EINVAL,
		  iommufd_hwpt_alloc_data_err(self->fd, self->idev_id,
					      plain_id, 0,
					      IOMMU_HWPT_DATA_SELFTEST, &data,
					      sizeof(data), NULL));
}

TEST_F(nesting, automatic_hwpt_as_parent_is_einval)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };
	__u32 stdev_id, auto_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &stdev_id, &auto_id, NULL));
	EXPECT_EQ(EINVAL,
		  iommufd_hwpt_alloc_data_err(self->fd, self->idev_id,
					      auto_id, 0,
					      IOMMU_HWPT_DATA_SELFTEST, &data,
					      sizeof(data), NULL));
}

TEST_F(nesting, nested_hwpt_as_parent_is_einval)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };
	__u32 nested_id;

	ASSERT_EQ(0, nested_err(&self->parent, 1, &nested_id));
	EXPECT_EQ(EINVAL,
		  iommufd_hwpt_alloc_data_err(self->fd, self->idev_id,
					      nested_id, 0,
					      IOMMU_HWPT_DATA_SELFTEST, &data,
					      sizeof(data), NULL));
}

/* A fault queue is the one option of a nested HWPT (iommufd_pgfault.c) */
TEST_F(nesting, other_allocation_flags_on_a_nested_hwpt_are_eopnotsupp)
{
	static const __u32 flags[] = {
		IOMMU_HWPT_ALLOC_NEST_PARENT,
		IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		1U << 30,
	};
	struct iommu_hwpt_selftest data = { .iotlb = 1 };
	unsigned int i;

	for (i = 0; i != ARRAY_SIZE(flags); i++)
		EXPECT_EQ(EOPNOTSUPP,
			  iommufd_hwpt_alloc_data_err(self->fd, self->idev_id,
						      self->parent.hwpt_id,
						      flags[i],
						      IOMMU_HWPT_DATA_SELFTEST,
						      &data, sizeof(data),
						      NULL));
}

TEST_F(nesting, data_type_the_driver_does_not_know_is_eopnotsupp)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };

	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_hwpt_alloc_data_err(self->fd, self->idev_id,
					      self->parent.hwpt_id, 0,
					      IOMMU_HWPT_DATA_VTD_S1, &data,
					      sizeof(data), NULL));
}

TEST_F(nesting, data_shorter_than_the_driver_struct_is_einval)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };

	EXPECT_EQ(EINVAL,
		  iommufd_hwpt_alloc_data_err(self->fd, self->idev_id,
					      self->parent.hwpt_id, 0,
					      IOMMU_HWPT_DATA_SELFTEST, &data,
					      sizeof(data) - 1, NULL));
}

TEST_F(nesting, data_longer_than_the_driver_struct_is_einval)
{
	/* The iommu core takes no more than the driver's struct, even zeros */
	__u32 data[4] = { 0x77 };

	EXPECT_EQ(EINVAL, iommufd_hwpt_alloc_data_err(self->fd, self->idev_id,
						      self->parent.hwpt_id, 0,
						      IOMMU_HWPT_DATA_SELFTEST,
						      data, sizeof(data),
						      NULL));
}

TEST_F(nesting, unreadable_data_is_efault)
{
	const __u32 len = sizeof(struct iommu_hwpt_selftest);

	EXPECT_EQ(EFAULT,
		  iommufd_hwpt_alloc_data_err(self->fd, self->idev_id,
					      self->parent.hwpt_id, 0,
					      IOMMU_HWPT_DATA_SELFTEST,
					      (void *)8, len, NULL));
}

TEST_F(nesting, failed_nested_allocations_leave_the_parent_free)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };

	EXPECT_EQ(EINVAL,
		  iommufd_hwpt_alloc_data_err(self->fd, self->idev_id,
					      self->parent.hwpt_id, 0,
					      IOMMU_HWPT_DATA_SELFTEST, &data,
					      1, NULL));
	EXPECT_EQ(EFAULT,
		  iommufd_hwpt_alloc_data_err(self->fd, self->idev_id,
					      self->parent.hwpt_id, 0,
					      IOMMU_HWPT_DATA_SELFTEST,
					      (void *)8, sizeof(data), NULL));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->parent.hwpt_id));
}

TEST_F(nesting, parent_with_a_nested_hwpt_is_busy)
{
	__u32 nested_id;

	ASSERT_EQ(0, nested_err(&self->parent, 1, &nested_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->parent.hwpt_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->parent.hwpt_id));
}

TEST_F(nesting, nested_hwpt_with_a_device_is_busy)
{
	__u32 nested_id, stdev_id, hwpt_id;

	ASSERT_EQ(0, nested_err(&self->parent, 1, &nested_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, nested_id, &stdev_id,
					     &hwpt_id, NULL));
	EXPECT_EQ(nested_id, hwpt_id);
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, nested_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->parent.hwpt_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, stdev_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->parent.hwpt_id));
}

TEST_F(nesting, parent_keeps_mapping_the_ioas_across_nested_users)
{
	__u32 nested_id, stdev_id;

	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     PAGE_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, nested_err(&self->parent, 1, &nested_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, nested_id, &stdev_id,
					     NULL, NULL));
	/* A mapping made while a device sits on the nested HWPT */
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
					     self->buf + PAGE_SIZE, PAGE_SIZE,
					     APERTURE_IOVA + PAGE_SIZE));
	EXPECT_EQ(0, iommufd_check_map_err(self->fd, self->parent.hwpt_id,
					   APERTURE_IOVA, 2 * PAGE_SIZE,
					   self->buf));

	/* Neither the device leaving nor the nested HWPT going unlinks it */
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, stdev_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
						self->buf + 2 * PAGE_SIZE,
						PAGE_SIZE,
						APERTURE_IOVA + 2 * PAGE_SIZE));
	EXPECT_EQ(0, iommufd_check_map_err(self->fd, self->parent.hwpt_id,
					   APERTURE_IOVA, 3 * PAGE_SIZE,
					   self->buf));
	/* The parent, still linked, keeps the IOAS busy */
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->ioas_id));
}

TEST_F(nesting, replace_moves_a_device_between_nested_hwpts_and_back)
{
	__u32 nested1_id, nested2_id, stdev_id, pt_id;

	ASSERT_EQ(0, nested_err(&self->parent, 1, &nested1_id));
	ASSERT_EQ(0, nested_err(&self->parent, 2, &nested2_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, nested1_id, &stdev_id,
					     NULL, NULL));

	pt_id = nested2_id;
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, stdev_id,
						     &pt_id));
	EXPECT_EQ(nested2_id, pt_id);
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, nested1_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, nested2_id));

	/* Back to the parent itself: plain stage-2 translation */
	pt_id = self->parent.hwpt_id;
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, stdev_id,
						     &pt_id));
	EXPECT_EQ(self->parent.hwpt_id, pt_id);
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, nested2_id));

	/* And onto a new nested HWPT again */
	ASSERT_EQ(0, nested_err(&self->parent, 3, &nested1_id));
	pt_id = nested1_id;
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, stdev_id,
						     &pt_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, nested1_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, stdev_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, nested1_id));
}

TEST_F(nesting, replace_from_a_nested_hwpt_to_the_ioas)
{
	__u32 nested_id, stdev_id, pt_id;

	ASSERT_EQ(0, nested_err(&self->parent, 1, &nested_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, nested_id, &stdev_id,
					     NULL, NULL));
	pt_id = self->ioas_id;
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, stdev_id,
						     &pt_id));
	EXPECT_NE(nested_id, pt_id);
	EXPECT_NE(self->ioas_id, pt_id);
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
}

TEST_F(nesting, attaching_a_second_device_to_a_nested_hwpt)
{
	__u32 nested_id, stdev1_id, stdev2_id;

	ASSERT_EQ(0, nested_err(&self->parent, 1, &nested_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, nested_id, &stdev1_id,
					     NULL, NULL));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, nested_id, &stdev2_id,
					     NULL, NULL));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, stdev1_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, nested_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, stdev2_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
}

TEST_F(nesting, closing_the_context_releases_nested_hwpts_in_use)
{
	__u32 nested_id;
	int fd;

	ASSERT_EQ(0, nested_err(&self->parent, 1, &nested_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, nested_id, NULL, NULL,
					     NULL));
	/* Device, nested HWPT, parent and IOAS go in dependency order */
	close(self->fd);
	fd = iommufd_open();
	ASSERT_LE(0, fd);
	self->fd = fd;
}

TEST_F(nesting, check_iotlb_errors)
{
	__u32 nested_id;

	ASSERT_EQ(0, nested_err(&self->parent, 1, &nested_id));
	EXPECT_EQ(EINVAL, iommufd_check_iotlb_err(self->fd, nested_id,
						  IOTLB_ENTRIES, 1));
	EXPECT_EQ(ENOENT, iommufd_check_iotlb_err(self->fd,
						  self->parent.hwpt_id,
						  0, 1));
	EXPECT_EQ(ENOENT, iommufd_check_iotlb_err(self->fd, NO_SUCH_ID, 0, 1));
}

/* ---- IOMMU_HWPT_INVALIDATE ----------------------------------------------- */

FIXTURE(invalidate)
{
	int fd;
	__u32 idev_id;
	__u32 parent_id;
	__u32 nested_id;
};

FIXTURE_SETUP(invalidate)
{
	__u32 ioas_id;

	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0,
		  iommufd_mock_device_hwpt_err(self->fd,
					       IOMMU_HWPT_ALLOC_NEST_PARENT,
					       &ioas_id, NULL, &self->idev_id,
					       &self->parent_id));
	ASSERT_EQ(0, iommufd_hwpt_alloc_nested_err(self->fd, self->idev_id,
						   self->parent_id,
						   IOMMU_TEST_IOTLB_DEFAULT,
						   &self->nested_id));
}

FIXTURE_TEARDOWN(invalidate)
{
	close(self->fd);
}

static int invalidate_err(int fd, __u32 nested_id,
			  const struct iommu_hwpt_invalidate_selftest *reqs,
			  __u32 *entry_num)
{
	return iommufd_hwpt_invalidate_err(fd, nested_id,
					   INV_TYPE,
					   reqs, sizeof(*reqs), entry_num);
}

TEST_F(invalidate, zero_entries_succeed_and_report_zero)
{
	__u32 entry_num = 0;

	EXPECT_EQ(0, iommufd_hwpt_invalidate_err(self->fd, self->nested_id,
						 INV_TYPE,
						 NULL, 0, &entry_num));
	EXPECT_EQ(0, entry_num);
	EXPECT_EQ(0, check_all_iotlb_err(self->fd, self->nested_id,
					 IOMMU_TEST_IOTLB_DEFAULT));
}

TEST_F(invalidate, one_entry_clears_one_iotlb_entry)
{
	struct iommu_hwpt_invalidate_selftest req = { .iotlb_id = 2 };
	__u32 entry_num = 1;

	ASSERT_EQ(0, invalidate_err(self->fd, self->nested_id, &req,
				    &entry_num));
	EXPECT_EQ(1, entry_num);
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, self->nested_id, 0,
					     IOMMU_TEST_IOTLB_DEFAULT));
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, self->nested_id, 1,
					     IOMMU_TEST_IOTLB_DEFAULT));
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, self->nested_id, 2, 0));
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, self->nested_id, 3,
					     IOMMU_TEST_IOTLB_DEFAULT));
}

TEST_F(invalidate, every_entry_of_a_batch_is_carried_out)
{
	struct iommu_hwpt_invalidate_selftest reqs[] = {
		{ .iotlb_id = 0 }, { .iotlb_id = 3 }, { .iotlb_id = 0 },
	};
	__u32 entry_num = ARRAY_SIZE(reqs);

	ASSERT_EQ(0, invalidate_err(self->fd, self->nested_id, reqs,
				    &entry_num));
	EXPECT_EQ(ARRAY_SIZE(reqs), entry_num);
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, self->nested_id, 0, 0));
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, self->nested_id, 1,
					     IOMMU_TEST_IOTLB_DEFAULT));
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, self->nested_id, 2,
					     IOMMU_TEST_IOTLB_DEFAULT));
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, self->nested_id, 3, 0));
}

TEST_F(invalidate, flag_all_clears_every_entry)
{
	struct iommu_hwpt_invalidate_selftest req = {
		.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL,
	};
	__u32 entry_num = 1;

	ASSERT_EQ(0, invalidate_err(self->fd, self->nested_id, &req,
				    &entry_num));
	EXPECT_EQ(1, entry_num);
	EXPECT_EQ(0, check_all_iotlb_err(self->fd, self->nested_id, 0));
}

TEST_F(invalidate, bad_entry_stops_the_batch_and_reports_where)
{
	struct iommu_hwpt_invalidate_selftest reqs[] = {
		{ .iotlb_id = 0 },
		{ .iotlb_id = 1 },
		{ .iotlb_id = IOTLB_ENTRIES },
		{ .iotlb_id = 3 },
	};
	__u32 entry_num = ARRAY_SIZE(reqs);

	EXPECT_EQ(EINVAL, invalidate_err(self->fd, self->nested_id, reqs,
					 &entry_num));
	EXPECT_EQ(2, entry_num);
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, self->nested_id, 0, 0));
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, self->nested_id, 1, 0));
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, self->nested_id, 3,
					     IOMMU_TEST_IOTLB_DEFAULT));
}

TEST_F(invalidate, unknown_entry_flag_is_eopnotsupp_and_counted)
{
	struct iommu_hwpt_invalidate_selftest reqs[] = {
		{ .iotlb_id = 1 },
		{ .flags = 1U << 5, .iotlb_id = 2 },
	};
	__u32 entry_num = ARRAY_SIZE(reqs);

	EXPECT_EQ(EOPNOTSUPP, invalidate_err(self->fd, self->nested_id, reqs,
					     &entry_num));
	EXPECT_EQ(1, entry_num);
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, self->nested_id, 1, 0));
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, self->nested_id, 2,
					     IOMMU_TEST_IOTLB_DEFAULT));
}

TEST_F(invalidate, out_of_range_id_is_refused_even_with_flag_all)
{
	struct iommu_hwpt_invalidate_selftest req = {
		.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL,
		.iotlb_id = IOTLB_ENTRIES,
	};
	__u32 entry_num = 1;

	EXPECT_EQ(EINVAL, invalidate_err(self->fd, self->nested_id, &req,
					 &entry_num));
	EXPECT_EQ(0, entry_num);
	EXPECT_EQ(0, check_all_iotlb_err(self->fd, self->nested_id,
					 IOMMU_TEST_IOTLB_DEFAULT));
}

TEST_F(invalidate, zero_entry_len_is_einval)
{
	struct iommu_hwpt_invalidate_selftest req = { .iotlb_id = 0 };
	__u32 entry_num = 1;

	EXPECT_EQ(EINVAL, iommufd_hwpt_invalidate_err(self->fd,
						      self->nested_id,
						      INV_TYPE,
						      &req, 0, &entry_num));
	EXPECT_EQ(0, entry_num);
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, self->nested_id, 0,
					     IOMMU_TEST_IOTLB_DEFAULT));
}

TEST_F(invalidate, entries_without_a_buffer_are_einval)
{
	__u32 entry_num = 1;

	EXPECT_EQ(EINVAL, iommufd_hwpt_invalidate_err(self->fd,
						      self->nested_id,
						      INV_TYPE,
						      NULL,
						      INV_LEN,
						      &entry_num));
	EXPECT_EQ(0, entry_num);
}

TEST_F(invalidate, entry_longer_than_a_page_is_einval)
{
	struct iommu_hwpt_invalidate_selftest req = { .iotlb_id = 0 };
	__u32 entry_num = 1;

	EXPECT_EQ(EINVAL, iommufd_hwpt_invalidate_err(self->fd,
						      self->nested_id,
						      INV_TYPE,
						      &req, PAGE_SIZE + 1,
						      &entry_num));
	EXPECT_EQ(0, entry_num);
}

TEST_F(invalidate, absurd_entry_count_is_einval)
{
	struct iommu_hwpt_invalidate_selftest req = { .iotlb_id = 0 };
	__u32 entry_num = (1U << 19) + 1;

	EXPECT_EQ(EINVAL, invalidate_err(self->fd, self->nested_id, &req,
					 &entry_num));
	EXPECT_EQ(0, entry_num);
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, self->nested_id, 0,
					     IOMMU_TEST_IOTLB_DEFAULT));
}

TEST_F(invalidate, entry_shorter_than_the_driver_struct_is_einval)
{
	struct iommu_hwpt_invalidate_selftest req = { .iotlb_id = 0 };
	__u32 entry_num = 1;

	EXPECT_EQ(EINVAL, iommufd_hwpt_invalidate_err(self->fd,
						      self->nested_id,
						      INV_TYPE,
						      &req, sizeof(req) - 1,
						      &entry_num));
	EXPECT_EQ(0, entry_num);
}

TEST_F(invalidate, entry_longer_than_the_driver_struct_is_einval)
{
	/* Entries of four u32: flags, iotlb_id, then a zero tail */
	__u32 reqs[2][4] = {
		{ 0, 1, 0, 0 },
		{ 0, 2, 0, 0 },
	};
	__u32 entry_num = 2;

	EXPECT_EQ(EINVAL, iommufd_hwpt_invalidate_err(self->fd,
						      self->nested_id,
						      INV_TYPE, reqs,
						      sizeof(reqs[0]),
						      &entry_num));
	EXPECT_EQ(0, entry_num);
	EXPECT_EQ(0, check_all_iotlb_err(self->fd, self->nested_id,
					 IOMMU_TEST_IOTLB_DEFAULT));
}

TEST_F(invalidate, unknown_data_type_is_einval)
{
	struct iommu_hwpt_invalidate_selftest req = { .iotlb_id = 0 };
	__u32 entry_num = 1;

	EXPECT_EQ(EINVAL,
		  iommufd_hwpt_invalidate_err(self->fd, self->nested_id,
					      IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
					      &req, sizeof(req), &entry_num));
	EXPECT_EQ(0, entry_num);
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, self->nested_id, 0,
					     IOMMU_TEST_IOTLB_DEFAULT));
}

TEST_F(invalidate, unreadable_entries_are_efault)
{
	__u32 entry_num = 2;

	EXPECT_EQ(EFAULT, iommufd_hwpt_invalidate_err(self->fd,
						      self->nested_id,
						      INV_TYPE,
						      (void *)8,
						      INV_LEN,
						      &entry_num));
	EXPECT_EQ(0, entry_num);
}

TEST_F(invalidate, non_zero_reserved_is_eopnotsupp)
{
	struct iommu_hwpt_invalidate_selftest req = { .iotlb_id = 0 };
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = self->nested_id,
		.data_uptr = (__u64)(uintptr_t)&req,
		.data_type = INV_TYPE,
		.entry_len = sizeof(req),
		.entry_num = 1,
		.__reserved = 1,
	};

	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_ioctl_err(self->fd, IOMMU_HWPT_INVALIDATE, &cmd));
	EXPECT_EQ(0, cmd.entry_num);
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, self->nested_id, 0,
					     IOMMU_TEST_IOTLB_DEFAULT));
}

/*
 * Invalidation takes a nested HWPT or a vIOMMU; a paging HWPT is an object
 * of the wrong kind (EINVAL) and an ID nobody holds is ENOENT.
 */
TEST_F(invalidate, paging_hwpt_is_einval_unknown_is_enoent)
{
	struct iommu_hwpt_invalidate_selftest req = { .iotlb_id = 0 };
	__u32 entry_num = 1;

	EXPECT_EQ(EINVAL, iommufd_hwpt_invalidate_err(self->fd,
						      self->parent_id,
						      INV_TYPE,
						      &req, sizeof(req),
						      &entry_num));
	EXPECT_EQ(0, entry_num);
	entry_num = 1;
	EXPECT_EQ(ENOENT, iommufd_hwpt_invalidate_err(self->fd, NO_SUCH_ID,
						      INV_TYPE,
						      &req, sizeof(req),
						      &entry_num));
	EXPECT_EQ(0, entry_num);
}

/* ---- IOMMU_GET_HW_INFO -------------------------------------------------- */

FIXTURE(hw_info)
{
	int fd;
	__u32 ioas_id;
	__u32 idev_id;
};

FIXTURE_SETUP(hw_info)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &self->ioas_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id, NULL,
					     NULL, &self->idev_id));
}

FIXTURE_TEARDOWN(hw_info)
{
	close(self->fd);
}

TEST_F(hw_info, exact_buffer_gets_the_mock_registers)
{
	struct iommu_test_hw_info regs;
	struct iommu_hw_info info;

	memset(&regs, 0xff, sizeof(regs));
	ASSERT_EQ(0, iommufd_get_hw_info_err(self->fd, self->idev_id, &regs,
					     sizeof(regs), &info));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, info.out_data_type);
	EXPECT_EQ(sizeof(regs), info.data_len);
	EXPECT_EQ(0, regs.flags);
	EXPECT_EQ(IOMMU_HW_INFO_SELFTEST_REGVAL, regs.test_reg);
}

TEST_F(hw_info, short_buffer_gets_a_prefix_and_the_full_length)
{
	struct iommu_test_hw_info regs;
	struct iommu_hw_info info;

	memset(&regs, 0xff, sizeof(regs));
	ASSERT_EQ(0, iommufd_get_hw_info_err(self->fd, self->idev_id, &regs,
					     offsetof(struct iommu_test_hw_info,
						      test_reg),
					     &info));
	EXPECT_EQ(sizeof(regs), info.data_len);
	EXPECT_EQ(0, regs.flags);
	/* Past data_len nothing is written */
	EXPECT_EQ(0xffffffff, regs.test_reg);
}

TEST_F(hw_info, long_buffer_is_zero_filled_past_the_data)
{
	struct iommu_test_hw_info *regs;
	__u8 buf[64];
	unsigned int i;
	struct iommu_hw_info info;

	memset(buf, 0xff, sizeof(buf));
	ASSERT_EQ(0, iommufd_get_hw_info_err(self->fd, self->idev_id, buf,
					     sizeof(buf) - 8, &info));
	EXPECT_EQ(sizeof(*regs), info.data_len);
	regs = (struct iommu_test_hw_info *)buf;
	EXPECT_EQ(IOMMU_HW_INFO_SELFTEST_REGVAL, regs->test_reg);
	for (i = sizeof(*regs); i != sizeof(buf) - 8; i++)
		EXPECT_EQ(0, buf[i]);
	for (; i != sizeof(buf); i++)
		EXPECT_EQ(0xff, buf[i]);
}

TEST_F(hw_info, empty_buffer_learns_the_type_and_length)
{
	struct iommu_hw_info info;

	ASSERT_EQ(0, iommufd_get_hw_info_err(self->fd, self->idev_id, NULL, 0,
					     &info));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, info.out_data_type);
	EXPECT_EQ(sizeof(struct iommu_test_hw_info), info.data_len);
}

TEST_F(hw_info, dirty_tracking_capability_follows_the_device)
{
	struct iommu_hw_info info;
	__u32 no_dirty_idev_id;

	ASSERT_EQ(0, iommufd_get_hw_info_err(self->fd, self->idev_id, NULL, 0,
					     &info));
	EXPECT_EQ(IOMMU_HW_CAP_DIRTY_TRACKING, info.out_capabilities);

	ASSERT_EQ(0, iommufd_mock_domain_flags_err(self->fd, self->ioas_id,
						   MOCK_FLAGS_DEVICE_NO_DIRTY,
						   NULL, NULL,
						   &no_dirty_idev_id));
	ASSERT_EQ(0, iommufd_get_hw_info_err(self->fd, no_dirty_idev_id, NULL,
					     0, &info));
	EXPECT_EQ(0, info.out_capabilities);
}

TEST_F(hw_info, pasid_width_is_reported_for_pasid_devices_only)
{
	struct iommu_hw_info info;
	__u32 pasid_idev_id;

	ASSERT_EQ(0, iommufd_get_hw_info_err(self->fd, self->idev_id, NULL, 0,
					     &info));
	EXPECT_EQ(0, info.out_max_pasid_log2);

	ASSERT_EQ(0, iommufd_mock_domain_flags_err(self->fd, self->ioas_id,
						   MOCK_FLAGS_DEVICE_PASID,
						   NULL, NULL, &pasid_idev_id));
	ASSERT_EQ(0, iommufd_get_hw_info_err(self->fd, pasid_idev_id, NULL, 0,
					     &info));
	EXPECT_EQ(MOCK_PASID_WIDTH, info.out_max_pasid_log2);
}

/* IOMMU_GET_HW_INFO with IOMMU_HW_INFO_FLAG_INPUT_TYPE asking for @type */
static int hw_info_of_type_err(int fd, __u32 dev_id, __u32 type,
			       struct iommu_hw_info *info)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE,
		.dev_id = dev_id,
		.in_data_type = type,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_GET_HW_INFO, &cmd);

	if (!err)
		*info = cmd;
	return err;
}

TEST_F(hw_info, input_type_default_or_the_drivers_own_is_served)
{
	struct iommu_hw_info info;

	ASSERT_EQ(0, hw_info_of_type_err(self->fd, self->idev_id,
					 IOMMU_HW_INFO_TYPE_DEFAULT, &info));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, info.out_data_type);
	ASSERT_EQ(0, hw_info_of_type_err(self->fd, self->idev_id,
					 IOMMU_HW_INFO_TYPE_SELFTEST, &info));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, info.out_data_type);
	EXPECT_EQ(sizeof(struct iommu_test_hw_info), info.data_len);
}

TEST_F(hw_info, input_type_the_driver_lacks_is_eopnotsupp)
{
	struct iommu_hw_info info;

	EXPECT_EQ(EOPNOTSUPP,
		  hw_info_of_type_err(self->fd, self->idev_id,
				      IOMMU_HW_INFO_TYPE_INTEL_VTD, &info));
	EXPECT_EQ(EOPNOTSUPP,
		  hw_info_of_type_err(self->fd, self->idev_id,
				      IOMMU_HW_INFO_TYPE_SELFTEST + 1, &info));
}

TEST_F(hw_info, input_type_is_ignored_without_its_flag)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = self->idev_id,
		.in_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD,
	};

	ASSERT_EQ(0, iommufd_ioctl_err(self->fd, IOMMU_GET_HW_INFO, &cmd));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, cmd.out_data_type);
}

TEST_F(hw_info, unknown_flags_or_reserved_bytes_are_eopnotsupp)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE << 1,
		.dev_id = self->idev_id,
	};

	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_ioctl_err(self->fd, IOMMU_GET_HW_INFO, &cmd));
	cmd.flags = 0;
	cmd.__reserved[2] = 1;
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_ioctl_err(self->fd, IOMMU_GET_HW_INFO, &cmd));
}

TEST_F(hw_info, id_that_is_no_device_is_enoent)
{
	EXPECT_EQ(ENOENT, iommufd_get_hw_info_err(self->fd, NO_SUCH_ID, NULL, 0,
						  NULL));
	EXPECT_EQ(ENOENT, iommufd_get_hw_info_err(self->fd, self->ioas_id,
						  NULL, 0, NULL));
}

TEST_F(hw_info, unwritable_buffer_is_efault)
{
	__u8 *pages;

	EXPECT_EQ(EFAULT, iommufd_get_hw_info_err(self->fd, self->idev_id,
						  (void *)8, 8, NULL));

	/* Room for the data, but not for the zero fill behind it */
	pages = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	ASSERT_EQ(0, munmap(pages + PAGE_SIZE, PAGE_SIZE));
	EXPECT_EQ(EFAULT,
		  iommufd_get_hw_info_err(self->fd, self->idev_id,
					  pages + PAGE_SIZE -
					  sizeof(struct iommu_test_hw_info),
					  64, NULL));
	munmap(pages, PAGE_SIZE);
}

TEST_F(hw_info, first_version_struct_gets_no_capabilities_written)
{
	__u8 buf[sizeof(struct iommu_hw_info)];
	struct iommu_hw_info *cmd = (struct iommu_hw_info *)buf;
	size_t first = offsetof(struct iommu_hw_info, out_capabilities);
	size_t i;

	memset(buf, 0xee, sizeof(buf));
	memset(buf, 0, first);
	cmd->size = first;
	cmd->dev_id = self->idev_id;
	ASSERT_EQ(0, iommufd_ioctl_err(self->fd, IOMMU_GET_HW_INFO, buf));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, cmd->out_data_type);
	for (i = first; i != sizeof(buf); i++)
		EXPECT_EQ(0xee, buf[i]);
	cmd->size = first - 1;
	EXPECT_EQ(EINVAL, iommufd_ioctl_err(self->fd, IOMMU_GET_HW_INFO, buf));
}

/* ---- dirty tracking ------------------------------------------------------ */

/*
 * A mock device on the IOAS, a dirty tracking HWPT made for it, and the
 * buffer mapped at the start of the aperture.
 */
FIXTURE(dirty)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 idev_id;
	__u32 hwpt_id;
	__u8 *buf;
};

FIXTURE_SETUP(dirty)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0,
		  iommufd_mock_device_hwpt_err(self->fd,
					       IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
					       &self->ioas_id, &self->stdev_id,
					       &self->idev_id, &self->hwpt_id));
	self->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0x3c, BUF_SIZE);
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     BUF_SIZE, APERTURE_IOVA));
}

FIXTURE_TEARDOWN(dirty)
{
	munmap(self->buf, BUF_SIZE);
	close(self->fd);
}

/* Mark the IO pages of the bits set in @written, from the aperture start */
static int write_io_pages_err(int fd, __u32 hwpt_id, const __u64 *written,
			      unsigned int nbits, __u64 *nr_dirty)
{
	return iommufd_test_dirty_err(fd, hwpt_id, APERTURE_IOVA,
				      (__u64)nbits * IO_PAGE_SIZE,
				      IO_PAGE_SIZE, written, nr_dirty);
}

TEST_F(dirty, tracking_hwpt_for_a_device_that_cannot_is_eopnotsupp)
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

TEST_F(dirty, device_that_cannot_track_is_refused_by_a_tracking_hwpt)
{
	__u32 stdev_id, pt_id;

	EXPECT_EQ(EINVAL,
		  iommufd_mock_domain_flags_err(self->fd, self->hwpt_id,
						MOCK_FLAGS_DEVICE_NO_DIRTY,
						NULL, NULL, NULL));
	ASSERT_EQ(0, iommufd_mock_domain_flags_err(self->fd, self->ioas_id,
						   MOCK_FLAGS_DEVICE_NO_DIRTY,
						   &stdev_id, NULL, NULL));
	pt_id = self->hwpt_id;
	EXPECT_EQ(EINVAL, iommufd_mock_domain_replace_err(self->fd, stdev_id,
							  &pt_id));
}

TEST_F(dirty, tracking_can_be_switched_on_and_off)
{
	EXPECT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	EXPECT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	EXPECT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    false));
	EXPECT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    false));
}

TEST_F(dirty, set_tracking_with_unknown_flags_or_reserved_is_eopnotsupp)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE | 2,
		.hwpt_id = self->hwpt_id,
	};

	EXPECT_EQ(EOPNOTSUPP, iommufd_ioctl_err(self->fd,
						IOMMU_HWPT_SET_DIRTY_TRACKING,
						&cmd));
	cmd.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	cmd.__reserved = 1;
	EXPECT_EQ(EOPNOTSUPP, iommufd_ioctl_err(self->fd,
						IOMMU_HWPT_SET_DIRTY_TRACKING,
						&cmd));
}

TEST_F(dirty, set_tracking_on_a_hwpt_without_it_is_eopnotsupp)
{
	__u32 plain_id;

	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id, 0, &plain_id));
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_set_dirty_tracking_err(self->fd, plain_id, true));
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_set_dirty_tracking_err(self->fd, plain_id, false));
}

TEST_F(dirty, set_tracking_on_what_is_no_paging_hwpt_is_enoent)
{
	EXPECT_EQ(ENOENT,
		  iommufd_set_dirty_tracking_err(self->fd, NO_SUCH_ID, true));
	EXPECT_EQ(ENOENT,
		  iommufd_set_dirty_tracking_err(self->fd, self->ioas_id,
						 true));
}

TEST_F(dirty, device_writes_need_tracking_on)
{
	__u64 written[1] = { 1 };

	EXPECT_EQ(EINVAL, write_io_pages_err(self->fd, self->hwpt_id, written,
					     64, NULL));
}

TEST_F(dirty, device_writes_count_only_mapped_iova)
{
	__u64 written[BITMAP_WORDS + 1] = {};
	__u64 nr_dirty = 0;

	ASSERT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	set_bit_in(written, 0);
	set_bit_in(written, 5);
	set_bit_in(written, IO_PAGES - 1);
	/* One past the end of the mapping */
	set_bit_in(written, IO_PAGES);
	ASSERT_EQ(0, write_io_pages_err(self->fd, self->hwpt_id, written,
					IO_PAGES + 1,
					&nr_dirty));
	EXPECT_EQ(3, nr_dirty);
}

TEST_F(dirty, harvest_reports_written_pages_and_clears_them)
{
	__u64 written[BITMAP_WORDS] = {}, bitmap[BITMAP_WORDS] = {};

	ASSERT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	set_bit_in(written, 1);
	set_bit_in(written, 2);
	set_bit_in(written, 30);
	ASSERT_EQ(0, write_io_pages_err(self->fd, self->hwpt_id, written,
					IO_PAGES, NULL));

	ASSERT_EQ(0, iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
						  APERTURE_IOVA, BUF_SIZE,
						  IO_PAGE_SIZE, bitmap, 0));
	EXPECT_EQ(0, memcmp(written, bitmap, sizeof(bitmap)));

	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
						  APERTURE_IOVA, BUF_SIZE,
						  IO_PAGE_SIZE, bitmap, 0));
	EXPECT_EQ(0, count_bits(bitmap, IO_PAGES));
}

TEST_F(dirty, no_clear_leaves_the_dirty_state)
{
	__u64 written[BITMAP_WORDS] = {}, bitmap[BITMAP_WORDS] = {};
	unsigned int round;

	ASSERT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	set_bit_in(written, 7);
	ASSERT_EQ(0, write_io_pages_err(self->fd, self->hwpt_id, written,
					IO_PAGES, NULL));
	for (round = 0; round != 2; round++) {
		memset(bitmap, 0, sizeof(bitmap));
		ASSERT_EQ(0,
			  iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
						       APERTURE_IOVA, BUF_SIZE,
						       IO_PAGE_SIZE, bitmap,
						       NO_CLEAR));
		EXPECT_EQ(0, memcmp(written, bitmap, sizeof(bitmap)));
	}
	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
						  APERTURE_IOVA, BUF_SIZE,
						  IO_PAGE_SIZE, bitmap, 0));
	EXPECT_EQ(1, count_bits(bitmap, IO_PAGES));
	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
						  APERTURE_IOVA, BUF_SIZE,
						  IO_PAGE_SIZE, bitmap, 0));
	EXPECT_EQ(0, count_bits(bitmap, IO_PAGES));
}

TEST_F(dirty, switching_tracking_on_starts_from_a_clean_state)
{
	__u64 written[BITMAP_WORDS] = {}, bitmap[BITMAP_WORDS] = {};

	ASSERT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	set_bit_in(written, 3);
	ASSERT_EQ(0, write_io_pages_err(self->fd, self->hwpt_id, written,
					IO_PAGES, NULL));
	ASSERT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    false));
	ASSERT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	ASSERT_EQ(0, iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
						  APERTURE_IOVA, BUF_SIZE,
						  IO_PAGE_SIZE, bitmap, 0));
	EXPECT_EQ(0, count_bits(bitmap, IO_PAGES));
}

TEST_F(dirty, harvest_of_an_odd_length_touches_no_bit_past_its_end)
{
	const unsigned int nbits = 37;
	__u64 written[BITMAP_WORDS] = {}, bitmap[BITMAP_WORDS] = {};
	unsigned int bit;

	ASSERT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	for (bit = 0; bit < IO_PAGES; bit += 3)
		set_bit_in(written, bit);
	ASSERT_EQ(0, write_io_pages_err(self->fd, self->hwpt_id, written,
					IO_PAGES, NULL));

	ASSERT_EQ(0, iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
						  APERTURE_IOVA,
						  (__u64)nbits * IO_PAGE_SIZE,
						  IO_PAGE_SIZE, bitmap, 0));
	for (bit = 0; bit != IO_PAGES; bit++)
		EXPECT_EQ(bit < nbits && bit % 3 == 0, bit_is_set(bitmap, bit));

	/* The pages past the range kept their dirty state */
	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
						  APERTURE_IOVA, BUF_SIZE,
						  IO_PAGE_SIZE, bitmap, 0));
	for (bit = 0; bit != IO_PAGES; bit++)
		EXPECT_EQ(bit >= nbits && bit % 3 == 0,
			  bit_is_set(bitmap, bit));
}

TEST_F(dirty, harvest_from_the_middle_of_the_mapping)
{
	const unsigned int first = 9, nbits = 13;
	__u64 written[BITMAP_WORDS] = {}, bitmap[1] = {};
	unsigned int bit;

	ASSERT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	set_bit_in(written, first - 1);
	set_bit_in(written, first);
	set_bit_in(written, first + nbits - 1);
	set_bit_in(written, first + nbits);
	ASSERT_EQ(0, write_io_pages_err(self->fd, self->hwpt_id, written,
					IO_PAGES, NULL));

	ASSERT_EQ(0, iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
						  APERTURE_IOVA +
							  first * IO_PAGE_SIZE,
						  (__u64)nbits * IO_PAGE_SIZE,
						  IO_PAGE_SIZE, bitmap, 0));
	for (bit = 0; bit != 64; bit++)
		EXPECT_EQ(bit == 0 || bit == nbits - 1,
			  bit_is_set(bitmap, bit));
}

TEST_F(dirty, larger_bitmap_pages_cover_several_io_pages)
{
	const __u64 page_size = 4 * IO_PAGE_SIZE;
	__u64 written[BITMAP_WORDS] = {}, bitmap[1] = {};
	unsigned int bit;

	ASSERT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	/* IO pages 5 and 6 share bitmap page 1; 13 is in bitmap page 3 */
	set_bit_in(written, 5);
	set_bit_in(written, 6);
	set_bit_in(written, 13);
	ASSERT_EQ(0, write_io_pages_err(self->fd, self->hwpt_id, written,
					IO_PAGES, NULL));
	ASSERT_EQ(0, iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
						  APERTURE_IOVA, BUF_SIZE,
						  page_size, bitmap, 0));
	for (bit = 0; bit != BUF_SIZE / page_size; bit++)
		EXPECT_EQ(bit == 1 || bit == 3, bit_is_set(bitmap, bit));
}

/* Replace the fixture's mapping by two, @gap bytes apart, @seam bytes in */
static int remap_in_two_err(int fd, __u32 ioas_id, __u8 *buf, __u64 seam,
			    __u64 gap)
{
	int err = iommufd_ioas_unmap_err(fd, ioas_id, APERTURE_IOVA, BUF_SIZE);

	if (!err)
		err = iommufd_ioas_map_fixed_err(fd, ioas_id, buf, seam,
						 APERTURE_IOVA);
	if (!err)
		err = iommufd_ioas_map_fixed_err(fd, ioas_id, buf + seam + gap,
						 BUF_SIZE - seam - gap,
						 APERTURE_IOVA + seam + gap);
	return err;
}

TEST_F(dirty, harvest_across_adjacent_mappings_reports_both)
{
	const unsigned int seam_bit = 4 * PAGE_SIZE / IO_PAGE_SIZE;
	__u64 written[BITMAP_WORDS] = {}, bitmap[BITMAP_WORDS] = {};

	ASSERT_EQ(0, remap_in_two_err(self->fd, self->ioas_id, self->buf,
				      4 * PAGE_SIZE, 0));
	ASSERT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	set_bit_in(written, 0);
	set_bit_in(written, seam_bit - 1);
	set_bit_in(written, seam_bit);
	set_bit_in(written, IO_PAGES - 1);
	ASSERT_EQ(0, write_io_pages_err(self->fd, self->hwpt_id, written,
					IO_PAGES, NULL));

	ASSERT_EQ(0, iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
						  APERTURE_IOVA, BUF_SIZE,
						  IO_PAGE_SIZE, bitmap, 0));
	EXPECT_EQ(0, memcmp(written, bitmap, sizeof(bitmap)));
}

/* A hole of HOLE_SIZE, HOLE bytes into the buffer's mapping */
#define HOLE (4 * PAGE_SIZE)
#define HOLE_SIZE (2 * PAGE_SIZE)

/* Punch the hole, turn tracking on, and write every IO page still mapped */
static int write_around_a_hole_err(int fd, __u32 ioas_id, __u32 hwpt_id,
				   __u8 *buf)
{
	__u64 written[BITMAP_WORDS];
	int err;

	memset(written, 0xff, sizeof(written));
	err = remap_in_two_err(fd, ioas_id, buf, HOLE, HOLE_SIZE);
	if (!err)
		err = iommufd_set_dirty_tracking_err(fd, hwpt_id, true);
	if (!err)
		err = write_io_pages_err(fd, hwpt_id, written, IO_PAGES, NULL);
	return err;
}

TEST_F(dirty, range_with_an_unmapped_hole_is_einval_and_clears_nothing)
{
	__u64 bitmap[BITMAP_WORDS] = {}, after_hole[BITMAP_WORDS] = {};
	unsigned int bit, hole_first = HOLE / IO_PAGE_SIZE;
	unsigned int hole_bits = HOLE_SIZE / IO_PAGE_SIZE;

	ASSERT_EQ(0, write_around_a_hole_err(self->fd, self->ioas_id,
					     self->hwpt_id, self->buf));
	EXPECT_EQ(EINVAL,
		  iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
					       APERTURE_IOVA, BUF_SIZE,
					       IO_PAGE_SIZE, bitmap, 0));
	for (bit = 0; bit != IO_PAGES; bit++)
		EXPECT_FALSE(bit_is_set(bitmap, bit));

	/* Both mapped sides still hold every write */
	ASSERT_EQ(0, iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
						  APERTURE_IOVA, HOLE,
						  IO_PAGE_SIZE, bitmap, 0));
	for (bit = 0; bit != hole_first; bit++)
		EXPECT_TRUE(bit_is_set(bitmap, bit));
	ASSERT_EQ(0,
		  iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
					       APERTURE_IOVA + HOLE + HOLE_SIZE,
					       BUF_SIZE - HOLE - HOLE_SIZE,
					       IO_PAGE_SIZE, after_hole, 0));
	for (bit = 0; bit != IO_PAGES - hole_first - hole_bits; bit++)
		EXPECT_TRUE(bit_is_set(after_hole, bit));
}

/* A range must be mapped from its first to its last byte */
TEST_F(dirty, range_reaching_into_unmapped_iova_is_einval)
{
	__u64 bitmap[BITMAP_WORDS] = {};

	ASSERT_EQ(0, write_around_a_hole_err(self->fd, self->ioas_id,
					     self->hwpt_id, self->buf));
	/* The hole alone, past the end, before the start */
	EXPECT_EQ(EINVAL,
		  iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
					       APERTURE_IOVA + HOLE, HOLE_SIZE,
					       IO_PAGE_SIZE, bitmap, 0));
	EXPECT_EQ(EINVAL,
		  iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
					       APERTURE_IOVA + BUF_SIZE -
						       PAGE_SIZE,
					       2 * PAGE_SIZE, IO_PAGE_SIZE,
					       bitmap, 0));
	EXPECT_EQ(EINVAL,
		  iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
					       APERTURE_IOVA - PAGE_SIZE,
					       2 * PAGE_SIZE, IO_PAGE_SIZE,
					       bitmap, 0));
}

TEST_F(dirty, bitmap_straddling_a_page_boundary)
{
	__u64 written[BITMAP_WORDS] = {};
	__u8 *pages;
	__u64 *bitmap;
	unsigned int bit;

	pages = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	/* IO_PAGES bits: the first 64 in one page, the rest in the next */
	bitmap = (__u64 *)(pages + PAGE_SIZE - sizeof(__u64));

	ASSERT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	set_bit_in(written, 63);
	set_bit_in(written, 64);
	set_bit_in(written, IO_PAGES - 1);
	ASSERT_EQ(0, write_io_pages_err(self->fd, self->hwpt_id, written,
					IO_PAGES, NULL));
	ASSERT_EQ(0, iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
						  APERTURE_IOVA, BUF_SIZE,
						  IO_PAGE_SIZE, bitmap, 0));
	for (bit = 0; bit != IO_PAGES; bit++)
		EXPECT_EQ(bit_is_set(written, bit), bit_is_set(bitmap, bit));
	munmap(pages, 2 * PAGE_SIZE);
}

TEST_F(dirty, harvest_while_tracking_is_off_is_einval)
{
	__u64 bitmap[BITMAP_WORDS] = {};

	EXPECT_EQ(EINVAL,
		  iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
					       APERTURE_IOVA, BUF_SIZE,
					       IO_PAGE_SIZE, bitmap, 0));
}

TEST_F(dirty, harvest_of_a_misaligned_range_is_einval)
{
	__u64 bitmap[BITMAP_WORDS] = {};

	ASSERT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	/* Start or end off the IOAS's IO page granule */
	EXPECT_EQ(EINVAL,
		  iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
					       APERTURE_IOVA + 512,
					       BUF_SIZE - 512, 512, bitmap, 0));
	EXPECT_EQ(EINVAL,
		  iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
					       APERTURE_IOVA, BUF_SIZE - 512,
					       512, bitmap, 0));
	/* Start or end off the bitmap's page size */
	EXPECT_EQ(EINVAL,
		  iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
					       APERTURE_IOVA + IO_PAGE_SIZE,
					       BUF_SIZE - IO_PAGE_SIZE,
					       2 * IO_PAGE_SIZE, bitmap, 0));
	EXPECT_EQ(EINVAL,
		  iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
					       APERTURE_IOVA,
					       BUF_SIZE - IO_PAGE_SIZE,
					       2 * IO_PAGE_SIZE, bitmap, 0));
}

TEST_F(dirty, harvest_with_bad_sizes_is_einval_or_eoverflow)
{
	__u64 bitmap[BITMAP_WORDS] = {};

	ASSERT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	EXPECT_EQ(EINVAL,
		  iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
					       APERTURE_IOVA, 0, IO_PAGE_SIZE,
					       bitmap, 0));
	EXPECT_EQ(EINVAL, iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
						       APERTURE_IOVA, BUF_SIZE,
						       0, bitmap, 0));
	EXPECT_EQ(EINVAL,
		  iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
					       APERTURE_IOVA, BUF_SIZE,
					       3 * IO_PAGE_SIZE, bitmap, 0));
	EXPECT_EQ(EOVERFLOW,
		  iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
					       ~0ULL - IO_PAGE_SIZE + 1,
					       2 * IO_PAGE_SIZE, IO_PAGE_SIZE,
					       bitmap, 0));
}

TEST_F(dirty, harvest_flags_or_reserved_are_eopnotsupp)
{
	__u64 bitmap[BITMAP_WORDS] = {};
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = self->hwpt_id,
		.flags = 2,
		.iova = APERTURE_IOVA,
		.length = BUF_SIZE,
		.page_size = IO_PAGE_SIZE,
		.data = (__u64)(uintptr_t)bitmap,
	};

	ASSERT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	EXPECT_EQ(EOPNOTSUPP, iommufd_ioctl_err(self->fd,
						IOMMU_HWPT_GET_DIRTY_BITMAP,
						&cmd));
	cmd.flags = 0;
	cmd.__reserved = 1;
	EXPECT_EQ(EOPNOTSUPP, iommufd_ioctl_err(self->fd,
						IOMMU_HWPT_GET_DIRTY_BITMAP,
						&cmd));
}

TEST_F(dirty, harvest_of_a_hwpt_without_tracking_is_eopnotsupp)
{
	__u64 bitmap[BITMAP_WORDS] = {};
	__u32 plain_id;

	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id, 0, &plain_id));
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_get_dirty_bitmap_err(self->fd, plain_id,
					       APERTURE_IOVA, BUF_SIZE,
					       IO_PAGE_SIZE, bitmap, 0));
}

TEST_F(dirty, harvest_of_what_is_no_paging_hwpt_is_enoent)
{
	__u64 bitmap[BITMAP_WORDS] = {};

	EXPECT_EQ(ENOENT,
		  iommufd_get_dirty_bitmap_err(self->fd, NO_SUCH_ID,
					       APERTURE_IOVA, BUF_SIZE,
					       IO_PAGE_SIZE, bitmap, 0));
	EXPECT_EQ(ENOENT,
		  iommufd_get_dirty_bitmap_err(self->fd, self->idev_id,
					       APERTURE_IOVA, BUF_SIZE,
					       IO_PAGE_SIZE, bitmap, 0));
}

TEST_F(dirty, harvest_into_unwritable_memory_is_efault)
{
	ASSERT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	EXPECT_EQ(EFAULT,
		  iommufd_get_dirty_bitmap_err(self->fd, self->hwpt_id,
					       APERTURE_IOVA, BUF_SIZE,
					       IO_PAGE_SIZE, (__u64 *)8, 0));
}

TEST_F(dirty, dirty_op_with_bad_arguments)
{
	__u64 written[1] = { 1 };

	ASSERT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	EXPECT_EQ(EINVAL, iommufd_test_dirty_err(self->fd, self->hwpt_id,
						 APERTURE_IOVA, IO_PAGE_SIZE,
						 0, written, NULL));
	EXPECT_EQ(EINVAL, iommufd_test_dirty_err(self->fd, self->hwpt_id,
						 APERTURE_IOVA, IO_PAGE_SIZE,
						 IO_PAGE_SIZE, NULL, NULL));
	EXPECT_EQ(EINVAL, iommufd_test_dirty_err(self->fd, self->hwpt_id,
						 APERTURE_IOVA + 1,
						 IO_PAGE_SIZE, IO_PAGE_SIZE,
						 written, NULL));
	EXPECT_EQ(EFAULT, iommufd_test_dirty_err(self->fd, self->hwpt_id,
						 APERTURE_IOVA, IO_PAGE_SIZE,
						 IO_PAGE_SIZE, (void *)8,
						 NULL));
	EXPECT_EQ(ENOENT, iommufd_test_dirty_err(self->fd, NO_SUCH_ID,
						 APERTURE_IOVA, IO_PAGE_SIZE,
						 IO_PAGE_SIZE, written, NULL));
}

TEST_F(dirty, closing_the_context_with_tracking_on)
{
	__u64 written[BITMAP_WORDS] = { ~0ULL };

	ASSERT_EQ(0, iommufd_set_dirty_tracking_err(self->fd, self->hwpt_id,
						    true));
	ASSERT_EQ(0, write_io_pages_err(self->fd, self->hwpt_id, written,
					IO_PAGES, NULL));
}

TEST_HARNESS_MAIN
