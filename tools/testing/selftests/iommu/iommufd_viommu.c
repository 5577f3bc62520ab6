// SPDX-License-Identifier: GPL-2.0-only
/*
 * vIOMMUs, driven through the mock IOMMU's IOMMU_VIOMMU_TYPE_SELFTEST and
 * iommufd's own IOMMU_VIOMMU_TYPE_DEFAULT: allocation and the order things
 * are torn down in, nested HWPTs made through a vIOMMU, vDEVICEs and the
 * tombstones their unbound devices leave, and cache invalidation that
 * names devices by their virtual IDs (IOMMU_HWPT_INVALIDATE on a vIOMMU,
 * read back through IOMMU_TEST_OP_DEV_CHECK_CACHE).  vEVENTQs, HW queues
 * and mmap() have programs of their own; this one only checks that they
 * keep the vIOMMU alive.  One behaviour per test, named after it.
 */
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "iommufd_helpers.h"

#define MOCK_TYPE IOMMU_VIOMMU_TYPE_SELFTEST
#define INV_TYPE IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST
#define INV_LEN sizeof(struct iommu_viommu_invalidate_selftest)
#define CACHE_ENTRIES (MOCK_DEV_CACHE_ID_MAX + 1)
/* The first struct iommu_viommu_alloc ended with out_viommu_id */
#define VIOMMU_ALLOC_MIN_SIZE offsetof(struct iommu_viommu_alloc, data_len)
/* The mock's data starts with in_data and out_data, which it needs */
#define MOCK_DATA_MIN_LEN \
	offsetof(struct iommu_viommu_selftest, out_mmap_offset)
#define VIRT_ID_A 0x10
#define VIRT_ID_B 0x20

/* IOMMU_VIOMMU_ALLOC of exactly the command given, whatever it holds */
static int viommu_alloc_cmd_err(int fd, struct iommu_viommu_alloc *cmd)
{
	return iommufd_ioctl_err(fd, IOMMU_VIOMMU_ALLOC, cmd);
}

/* A second mock device attached to @ioas_id, behind the same mock IOMMU */
static int another_device_err(int fd, __u32 ioas_id, __u32 *stdev_id,
			      __u32 *idev_id)
{
	return iommufd_mock_domain_err(fd, ioas_id, stdev_id, NULL, idev_id);
}

/* A nested HWPT through (or on) @pt_id for @idev_id, IOTLB seeded with 1 */
static int nested_err(int fd, __u32 idev_id, __u32 pt_id, __u32 *hwpt_id)
{
	return iommufd_hwpt_alloc_nested_err(fd, idev_id, pt_id, 1, hwpt_id);
}

/*
 * ---- allocation -----------------------------------------------------------
 *
 * A mock device attached to a new IOAS and a nesting parent made for it;
 * the vIOMMU is the test's to allocate.
 */

FIXTURE(viommu_alloc)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 idev_id;
	__u32 parent_id;
};

FIXTURE_SETUP(viommu_alloc)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0,
		  iommufd_mock_device_hwpt_err(self->fd,
					       IOMMU_HWPT_ALLOC_NEST_PARENT,
					       &self->ioas_id, &self->stdev_id,
					       &self->idev_id,
					       &self->parent_id));
}

FIXTURE_TEARDOWN(viommu_alloc)
{
	close(self->fd);
}

/* A command that would allocate a vIOMMU of @type without data */
static struct iommu_viommu_alloc viommu_cmd(__u32 idev_id, __u32 parent_id,
					    __u32 type)
{
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd),
		.type = type,
		.dev_id = idev_id,
		.hwpt_id = parent_id,
	};

	return cmd;
}

TEST_F(viommu_alloc, mock_viommu_answers_its_data)
{
	struct iommu_viommu_selftest data = { .in_data = 0xcafe1234 };
	__u32 viommu_id = 0;

	ASSERT_EQ(0, iommufd_mock_viommu_alloc_err(self->fd, self->idev_id,
						   self->parent_id, &data,
						   &viommu_id));
	EXPECT_NE(0, viommu_id);
	EXPECT_NE(self->parent_id, viommu_id);
	EXPECT_EQ(0xcafe1234, data.out_data);
	EXPECT_NE(0, data.out_mmap_offset);
	EXPECT_EQ(0, data.out_mmap_offset % PAGE_SIZE);
	EXPECT_EQ(2 * PAGE_SIZE, data.out_mmap_length);
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, viommu_id));
}

TEST_F(viommu_alloc, mock_viommu_without_data_is_allocated)
{
	__u32 viommu_id = 0;

	ASSERT_EQ(0, iommufd_viommu_alloc_err(self->fd, self->idev_id,
					      self->parent_id, MOCK_TYPE,
					      &viommu_id));
	EXPECT_NE(0, viommu_id);
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, viommu_id));
}

TEST_F(viommu_alloc, data_is_written_back_only_within_its_length)
{
	struct iommu_viommu_selftest data = {
		.in_data = 7,
		.out_mmap_offset = 0x1111,
		.out_mmap_length = 0x2222,
	};
	__u32 viommu_id;

	ASSERT_EQ(0, iommufd_viommu_alloc_data_err(self->fd, self->idev_id,
						   self->parent_id, MOCK_TYPE,
						   &data, MOCK_DATA_MIN_LEN,
						   &viommu_id));
	EXPECT_EQ(7, data.out_data);
	EXPECT_EQ(0x1111, data.out_mmap_offset);
	EXPECT_EQ(0x2222, data.out_mmap_length);
}

TEST_F(viommu_alloc, data_shorter_than_in_and_out_data_is_einval)
{
	struct iommu_viommu_selftest data = { .in_data = 1 };

	EXPECT_EQ(EINVAL,
		  iommufd_viommu_alloc_data_err(self->fd, self->idev_id,
						self->parent_id, MOCK_TYPE,
						&data, sizeof(data.in_data),
						NULL));
}

TEST_F(viommu_alloc, data_longer_than_the_driver_struct_is_einval)
{
	/* Zeros past the driver's struct are refused all the same */
	__u8 data[sizeof(struct iommu_viommu_selftest) + 8] = {};

	EXPECT_EQ(EINVAL,
		  iommufd_viommu_alloc_data_err(self->fd, self->idev_id,
						self->parent_id, MOCK_TYPE,
						data, sizeof(data), NULL));
}

TEST_F(viommu_alloc, unreadable_data_is_efault)
{
	const __u32 len = sizeof(struct iommu_viommu_selftest);

	EXPECT_EQ(EFAULT,
		  iommufd_viommu_alloc_data_err(self->fd, self->idev_id,
						self->parent_id, MOCK_TYPE,
						(void *)8, len, NULL));
}

TEST_F(viommu_alloc, unwritable_data_is_efault_and_allocates_nothing)
{
	struct iommu_viommu_selftest *data;
	__u32 probe_id, before_id;

	data = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, data);
	data->in_data = 3;
	ASSERT_EQ(0, mprotect(data, PAGE_SIZE, PROT_READ));
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &before_id));

	EXPECT_EQ(EFAULT,
		  iommufd_mock_viommu_alloc_err(self->fd, self->idev_id,
						self->parent_id, data, NULL));
	/* The vIOMMU's ID was handed back, and no vIOMMU holds the parent */
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &probe_id));
	EXPECT_EQ(before_id + 1, probe_id);
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->parent_id));
	munmap(data, PAGE_SIZE);
}

TEST_F(viommu_alloc, unknown_flags_are_eopnotsupp)
{
	struct iommu_viommu_alloc cmd =
		viommu_cmd(self->idev_id, self->parent_id, MOCK_TYPE);

	cmd.flags = 1;
	EXPECT_EQ(EOPNOTSUPP, viommu_alloc_cmd_err(self->fd, &cmd));
	cmd.flags = 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, viommu_alloc_cmd_err(self->fd, &cmd));
}

TEST_F(viommu_alloc, nonzero_reserved_is_eopnotsupp)
{
	struct iommu_viommu_alloc cmd =
		viommu_cmd(self->idev_id, self->parent_id, MOCK_TYPE);

	cmd.__reserved = 1;
	EXPECT_EQ(EOPNOTSUPP, viommu_alloc_cmd_err(self->fd, &cmd));
}

TEST_F(viommu_alloc, type_the_iommu_does_not_implement_is_eopnotsupp)
{
	static const __u32 types[] = {
		0xdead,
		IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
		IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV,
	};
	unsigned int i;

	for (i = 0; i != ARRAY_SIZE(types); i++)
		EXPECT_EQ(EOPNOTSUPP,
			  iommufd_viommu_alloc_err(self->fd, self->idev_id,
						   self->parent_id, types[i],
						   NULL));
}

TEST_F(viommu_alloc, default_type_with_data_is_eopnotsupp)
{
	struct iommu_viommu_selftest data = { .in_data = 1 };

	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_viommu_alloc_data_err(self->fd, self->idev_id,
						self->parent_id,
						IOMMU_VIOMMU_TYPE_DEFAULT,
						&data, sizeof(data), NULL));
}

TEST_F(viommu_alloc, default_type_without_data_is_allocated)
{
	__u32 viommu_id = 0;

	ASSERT_EQ(0, iommufd_viommu_alloc_err(self->fd, self->idev_id,
					      self->parent_id,
					      IOMMU_VIOMMU_TYPE_DEFAULT,
					      &viommu_id));
	EXPECT_NE(0, viommu_id);
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->parent_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, viommu_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->parent_id));
}

TEST_F(viommu_alloc, dev_id_naming_no_device_is_enoent)
{
	static const __u32 types[] = { MOCK_TYPE, IOMMU_VIOMMU_TYPE_DEFAULT };
	unsigned int i;

	for (i = 0; i != ARRAY_SIZE(types); i++) {
		EXPECT_EQ(ENOENT, iommufd_viommu_alloc_err(self->fd, NO_SUCH_ID,
							   self->parent_id,
							   types[i], NULL));
		/* The selftest object is not the device */
		EXPECT_EQ(ENOENT,
			  iommufd_viommu_alloc_err(self->fd, self->stdev_id,
						   self->parent_id, types[i],
						   NULL));
	}
}

TEST_F(viommu_alloc, hwpt_id_naming_no_paging_hwpt_is_enoent)
{
	const __u32 ids[] = { 0, NO_SUCH_ID, self->ioas_id, self->idev_id };
	unsigned int i;

	for (i = 0; i != ARRAY_SIZE(ids); i++)
		EXPECT_EQ(ENOENT,
			  iommufd_viommu_alloc_err(self->fd, self->idev_id,
						   ids[i], MOCK_TYPE, NULL));
}

TEST_F(viommu_alloc, nested_hwpt_as_parent_is_enoent)
{
	__u32 nested_id;

	ASSERT_EQ(0, nested_err(self->fd, self->idev_id, self->parent_id,
				&nested_id));
	EXPECT_EQ(ENOENT, iommufd_viommu_alloc_err(self->fd, self->idev_id,
						   nested_id, MOCK_TYPE, NULL));
}

TEST_F(viommu_alloc, paging_hwpt_that_is_no_nest_parent_is_einval)
{
	__u32 plain_id, auto_id;

	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id, 0, &plain_id));
	EXPECT_EQ(EINVAL, iommufd_viommu_alloc_err(self->fd, self->idev_id,
						   plain_id, MOCK_TYPE, NULL));
	EXPECT_EQ(EINVAL,
		  iommufd_viommu_alloc_err(self->fd, self->idev_id, plain_id,
					   IOMMU_VIOMMU_TYPE_DEFAULT, NULL));
	/* Nor is the automatic HWPT the device got on the IOAS */
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id, NULL,
					     &auto_id, NULL));
	EXPECT_EQ(EINVAL, iommufd_viommu_alloc_err(self->fd, self->idev_id,
						   auto_id, MOCK_TYPE, NULL));
}

TEST_F(viommu_alloc, several_viommus_share_one_nest_parent)
{
	static const __u32 types[] = { IOMMU_VIOMMU_TYPE_DEFAULT, MOCK_TYPE,
				       MOCK_TYPE };
	__u32 ids[ARRAY_SIZE(types)];
	unsigned int i;

	for (i = 0; i != ARRAY_SIZE(ids); i++)
		ASSERT_EQ(0, iommufd_viommu_alloc_err(self->fd, self->idev_id,
						      self->parent_id, types[i],
						      &ids[i]));
	EXPECT_NE(ids[0], ids[1]);
	EXPECT_NE(ids[1], ids[2]);
	EXPECT_NE(ids[0], ids[2]);
	for (i = 0; i != ARRAY_SIZE(ids); i++) {
		EXPECT_EQ(EBUSY,
			  iommufd_destroy_err(self->fd, self->parent_id));
		EXPECT_EQ(0, iommufd_destroy_err(self->fd, ids[i]));
	}
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->parent_id));
}

TEST_F(viommu_alloc, nest_parent_is_busy_while_a_viommu_uses_it)
{
	__u32 viommu_id;

	ASSERT_EQ(0, iommufd_viommu_alloc_err(self->fd, self->idev_id,
					      self->parent_id, MOCK_TYPE,
					      &viommu_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->parent_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, viommu_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->parent_id));
	EXPECT_EQ(ENOENT, iommufd_destroy_err(self->fd, viommu_id));
}

TEST_F(viommu_alloc, failed_allocations_leave_the_parent_free)
{
	struct iommu_viommu_selftest data = { .in_data = 1 };

	EXPECT_EQ(EINVAL,
		  iommufd_viommu_alloc_data_err(self->fd, self->idev_id,
						self->parent_id, MOCK_TYPE,
						&data, 1, NULL));
	EXPECT_EQ(EFAULT,
		  iommufd_viommu_alloc_data_err(self->fd, self->idev_id,
						self->parent_id, MOCK_TYPE,
						(void *)8, sizeof(data), NULL));
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_viommu_alloc_err(self->fd, self->idev_id,
					   self->parent_id, 0xdead, NULL));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->parent_id));
}

TEST_F(viommu_alloc, struct_shorter_than_its_first_version_is_einval)
{
	struct iommu_viommu_alloc cmd =
		viommu_cmd(self->idev_id, self->parent_id, MOCK_TYPE);

	cmd.size = VIOMMU_ALLOC_MIN_SIZE - 1;
	EXPECT_EQ(EINVAL, viommu_alloc_cmd_err(self->fd, &cmd));
}

TEST_F(viommu_alloc, struct_of_its_first_version_is_enough)
{
	struct iommu_viommu_alloc cmd =
		viommu_cmd(self->idev_id, self->parent_id, MOCK_TYPE);

	/* data_len and data_uptr read as 0: no data */
	cmd.size = VIOMMU_ALLOC_MIN_SIZE;
	cmd.data_len = 8;
	ASSERT_EQ(0, viommu_alloc_cmd_err(self->fd, &cmd));
	EXPECT_NE(0, cmd.out_viommu_id);
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, cmd.out_viommu_id));
}

TEST_F(viommu_alloc, longer_struct_takes_zeros_but_not_other_bytes)
{
	struct {
		struct iommu_viommu_alloc cmd;
		__u64 tail;
	} big = { .cmd = viommu_cmd(self->idev_id, self->parent_id,
				    MOCK_TYPE) };

	big.cmd.size = sizeof(big);
	big.tail = 1ULL << 40;
	EXPECT_EQ(E2BIG, viommu_alloc_cmd_err(self->fd, &big.cmd));
	big.tail = 0;
	ASSERT_EQ(0, viommu_alloc_cmd_err(self->fd, &big.cmd));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, big.cmd.out_viommu_id));
}

/*
 * A vIOMMU holds the IOMMU instance, not the device named at allocation:
 * with that device unbound it still serves another device of the IOMMU.
 */
TEST_F(viommu_alloc, viommu_outlives_the_device_that_named_it)
{
	__u32 viommu_id, stdev2_id, idev2_id, nested_id, vdev_id;

	ASSERT_EQ(0, iommufd_viommu_alloc_err(self->fd, self->idev_id,
					      self->parent_id, MOCK_TYPE,
					      &viommu_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->stdev_id));
	ASSERT_EQ(0, another_device_err(self->fd, self->ioas_id, &stdev2_id,
					&idev2_id));

	ASSERT_EQ(0, iommufd_viommu_attach_err(self->fd, viommu_id, stdev2_id,
					       idev2_id, VIRT_ID_B, &vdev_id,
					       &nested_id));
	/* Its events reach the vIOMMU, which has no queue for them */
	EXPECT_EQ(EOPNOTSUPP, iommufd_trigger_vevent_err(self->fd, idev2_id));

	ASSERT_EQ(0, iommufd_destroy_err(self->fd, stdev2_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
	EXPECT_EQ(ENOENT, iommufd_destroy_err(self->fd, vdev_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, viommu_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->parent_id));
}

TEST_F(viommu_alloc, default_viommu_outlives_the_device_that_named_it)
{
	__u32 viommu_id, stdev2_id, idev2_id, nested_id, vdev_id;

	ASSERT_EQ(0, iommufd_viommu_alloc_err(self->fd, self->idev_id,
					      self->parent_id,
					      IOMMU_VIOMMU_TYPE_DEFAULT,
					      &viommu_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->stdev_id));
	ASSERT_EQ(0, another_device_err(self->fd, self->ioas_id, &stdev2_id,
					&idev2_id));
	ASSERT_EQ(0, iommufd_viommu_attach_err(self->fd, viommu_id, stdev2_id,
					       idev2_id, VIRT_ID_B, &vdev_id,
					       &nested_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, viommu_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, stdev2_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, viommu_id));
}

/*
 * ---- the vIOMMU and what is built on it ----------------------------------
 *
 * The allocation fixture's state plus a mock vIOMMU with data, whose mmap
 * region is described in @data.
 */

FIXTURE(viommu)
{
	int fd;
	struct iommufd_viommu_base base;
	struct iommu_viommu_selftest data;
};

FIXTURE_SETUP(viommu)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	self->data.in_data = 0x5eed;
	ASSERT_EQ(0,
		  iommufd_viommu_base_err(self->fd, &self->base, &self->data));
}

FIXTURE_TEARDOWN(viommu)
{
	close(self->fd);
}

TEST_F(viommu, viommu_is_busy_while_a_nested_hwpt_uses_it)
{
	__u32 nested_id;

	ASSERT_EQ(0, nested_err(self->fd, self->base.idev_id,
				self->base.viommu_id, &nested_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
}

TEST_F(viommu, viommu_is_busy_while_a_vdevice_uses_it)
{
	__u32 vdev_id;

	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->base.idev_id, VIRT_ID_A,
					       &vdev_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, vdev_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
}

TEST_F(viommu, viommu_is_busy_while_a_veventq_uses_it)
{
	__u32 veventq_id;
	int veventq_fd;

	ASSERT_EQ(0, iommufd_veventq_alloc_err(self->fd, self->base.viommu_id,
					       IOMMU_VEVENTQ_TYPE_SELFTEST, 4,
					       &veventq_id, &veventq_fd));
	ASSERT_EQ(0, close(veventq_fd));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, veventq_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
}

TEST_F(viommu, viommu_is_busy_while_a_hw_queue_uses_it)
{
	__u32 hw_queue_id;
	void *page;

	page = iommufd_alloc_small_pages(PAGE_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, page);
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->base.ioas_id, page,
					     PAGE_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
						0, APERTURE_IOVA, PAGE_SIZE,
						&hw_queue_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, hw_queue_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
	munmap(page, PAGE_SIZE);
}

TEST_F(viommu, viommu_is_busy_while_its_region_is_mapped)
{
	void *region;

	region = mmap(NULL, self->data.out_mmap_length, PROT_READ, MAP_SHARED,
		      self->fd, self->data.out_mmap_offset);
	ASSERT_NE(MAP_FAILED, region);
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));
	ASSERT_EQ(0, munmap(region, self->data.out_mmap_length));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
}

/*
 * Everything a vIOMMU carries at once: each part keeps it (and so its
 * nesting parent) busy until the last one goes, in reverse order.
 */
TEST_F(viommu, whole_tree_tears_down_in_reverse_order)
{
	__u32 vdev_id, nested_id, veventq_id, hw_queue_id, pt_id;
	int veventq_fd;
	void *region, *page;

	page = iommufd_alloc_small_pages(PAGE_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, page);
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->base.ioas_id, page,
					     PAGE_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_viommu_attach_err(self->fd, self->base.viommu_id,
					       self->base.stdev_id,
					       self->base.idev_id, VIRT_ID_A,
					       &vdev_id, &nested_id));
	ASSERT_EQ(0, iommufd_veventq_alloc_err(self->fd, self->base.viommu_id,
					       IOMMU_VEVENTQ_TYPE_SELFTEST, 2,
					       &veventq_id, &veventq_fd));
	ASSERT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
						0, APERTURE_IOVA, PAGE_SIZE,
						&hw_queue_id));
	region = mmap(NULL, self->data.out_mmap_length, PROT_READ, MAP_SHARED,
		      self->fd, self->data.out_mmap_offset);
	ASSERT_NE(MAP_FAILED, region);

	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.parent_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, hw_queue_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));
	ASSERT_EQ(0, munmap(region, self->data.out_mmap_length));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));
	ASSERT_EQ(0, close(veventq_fd));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, veventq_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));
	pt_id = self->base.ioas_id;
	ASSERT_EQ(0,
		  iommufd_mock_domain_replace_err(self->fd, self->base.stdev_id,
						  &pt_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, vdev_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.parent_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.parent_id));
	/* The queue's memory is free again */
	EXPECT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->base.ioas_id,
					    APERTURE_IOVA, PAGE_SIZE));
	munmap(page, PAGE_SIZE);
}

TEST_F(viommu, closing_the_context_releases_a_whole_tree)
{
	__u32 veventq_id, hw_queue_id;
	int veventq_fd;
	void *page;

	page = iommufd_alloc_small_pages(PAGE_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, page);
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->base.ioas_id, page,
					     PAGE_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_viommu_attach_err(self->fd, self->base.viommu_id,
					       self->base.stdev_id,
					       self->base.idev_id, VIRT_ID_A,
					       NULL, NULL));
	ASSERT_EQ(0, iommufd_veventq_alloc_err(self->fd, self->base.viommu_id,
					       IOMMU_VEVENTQ_TYPE_SELFTEST, 2,
					       &veventq_id, &veventq_fd));
	ASSERT_EQ(0, iommufd_trigger_vevent_err(self->fd, self->base.idev_id));
	ASSERT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
						0, APERTURE_IOVA, PAGE_SIZE,
						&hw_queue_id));
	/* The queue's descriptor goes last, with an event still queued */
	ASSERT_EQ(0, close(self->fd));
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, close(veventq_fd));
	/* Nothing of the old context pins the page any more */
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, page, PAGE_SIZE, 0));
	munmap(page, PAGE_SIZE);
}

/* ---- nested HWPTs made through a vIOMMU ---------------------------------- */

TEST_F(viommu, nested_hwpt_through_the_viommu_is_allocated)
{
	__u32 nested_id = 0;

	ASSERT_EQ(0, iommufd_hwpt_alloc_nested_err(self->fd, self->base.idev_id,
						   self->base.viommu_id, 0x77,
						   &nested_id));
	EXPECT_NE(0, nested_id);
	EXPECT_NE(self->base.viommu_id, nested_id);
	/* A mock nested domain, seeded by the data like one on a parent */
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, nested_id, 0, 0x77));
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, nested_id,
					     MOCK_NESTED_DOMAIN_IOTLB_ID_MAX,
					     0x77));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
}

TEST_F(viommu, destroyed_nested_hwpt_lets_go_of_viommu_and_parent)
{
	__u32 nested_id;

	ASSERT_EQ(0, nested_err(self->fd, self->base.idev_id,
				self->base.viommu_id, &nested_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
	ASSERT_EQ(0, nested_err(self->fd, self->base.idev_id,
				self->base.viommu_id, &nested_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.parent_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.parent_id));
}

/*
 * A nested HWPT takes a fault queue and may be made for PASIDs; the flags
 * of paging HWPTs mean nothing to it
 */
TEST_F(viommu, allocation_flags_of_paging_hwpts_are_eopnotsupp)
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
			  iommufd_hwpt_alloc_data_err(self->fd,
						      self->base.idev_id,
						      self->base.viommu_id,
						      flags[i],
						      IOMMU_HWPT_DATA_SELFTEST,
						      &data, sizeof(data),
						      NULL));
}

TEST_F(viommu, nested_hwpt_for_pasids_is_allocated)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };
	__u32 nested_id;

	ASSERT_EQ(0, iommufd_hwpt_alloc_data_err(self->fd, self->base.idev_id,
						 self->base.viommu_id,
						 IOMMU_HWPT_ALLOC_PASID,
						 IOMMU_HWPT_DATA_SELFTEST,
						 &data, sizeof(data),
						 &nested_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
}

TEST_F(viommu, nested_hwpt_without_data_is_eopnotsupp)
{
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_hwpt_alloc_data_err(self->fd, self->base.idev_id,
					      self->base.viommu_id, 0,
					      IOMMU_HWPT_DATA_NONE, NULL, 0,
					      NULL));
}

TEST_F(viommu, data_type_and_data_length_must_come_together)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };

	/* The generic check of IOMMU_HWPT_ALLOC, before any object is found */
	EXPECT_EQ(EINVAL,
		  iommufd_hwpt_alloc_data_err(self->fd, self->base.idev_id,
					      self->base.viommu_id, 0,
					      IOMMU_HWPT_DATA_SELFTEST, &data,
					      0, NULL));
	EXPECT_EQ(EINVAL,
		  iommufd_hwpt_alloc_data_err(self->fd, self->base.idev_id,
					      self->base.viommu_id, 0,
					      IOMMU_HWPT_DATA_NONE, &data,
					      sizeof(data), NULL));
}

TEST_F(viommu, data_type_the_driver_does_not_know_is_eopnotsupp)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };

	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_hwpt_alloc_data_err(self->fd, self->base.idev_id,
					      self->base.viommu_id, 0,
					      IOMMU_HWPT_DATA_VTD_S1, &data,
					      sizeof(data), NULL));
	/* Nothing failed half way: the vIOMMU is free */
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
}

TEST_F(viommu, pt_id_of_a_vdevice_is_einval)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };
	__u32 vdev_id;

	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->base.idev_id, VIRT_ID_A,
					       &vdev_id));
	EXPECT_EQ(EINVAL,
		  iommufd_hwpt_alloc_data_err(self->fd, self->base.idev_id,
					      vdev_id, 0,
					      IOMMU_HWPT_DATA_SELFTEST, &data,
					      sizeof(data), NULL));
}

TEST_F(viommu, fault_id_naming_no_fault_queue_is_enoent)
{
	EXPECT_EQ(ENOENT, iommufd_nested_flags_err(self->fd, self->base.idev_id,
						   self->base.viommu_id, 0,
						   NO_SUCH_ID, NULL));
	EXPECT_EQ(ENOENT, iommufd_nested_flags_err(self->fd, self->base.idev_id,
						   self->base.viommu_id, 0,
						   self->base.viommu_id, NULL));
	/* The failures dropped what they held of the vIOMMU */
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
}

TEST_F(viommu, nested_hwpt_sends_its_faults_to_a_fault_queue)
{
	struct iommu_fault_alloc fault = { .size = sizeof(fault) };
	__u32 nested_id;

	ASSERT_EQ(0,
		  iommufd_ioctl_err(self->fd, IOMMU_FAULT_QUEUE_ALLOC, &fault));
	ASSERT_EQ(0, iommufd_nested_flags_err(self->fd, self->base.idev_id,
					      self->base.viommu_id, 0,
					      fault.out_fault_id, &nested_id));
	ASSERT_EQ(0, close(fault.out_fault_fd));
	/* The nested HWPT depends on the queue */
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, fault.out_fault_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, fault.out_fault_id));
}

TEST_F(viommu, attach_waits_for_a_vdevice_on_that_viommu)
{
	__u32 nested_id, pt_id, vdev_id;

	ASSERT_EQ(0, nested_err(self->fd, self->base.idev_id,
				self->base.viommu_id, &nested_id));
	pt_id = nested_id;
	EXPECT_EQ(ENOENT,
		  iommufd_mock_domain_replace_err(self->fd, self->base.stdev_id,
						  &pt_id));
	/* A new device cannot have a vDEVICE yet */
	EXPECT_EQ(ENOENT, iommufd_mock_domain_err(self->fd, nested_id, NULL,
						  NULL, NULL));

	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->base.idev_id, VIRT_ID_A,
					       &vdev_id));
	pt_id = nested_id;
	ASSERT_EQ(0,
		  iommufd_mock_domain_replace_err(self->fd, self->base.stdev_id,
						  &pt_id));
	EXPECT_EQ(nested_id, pt_id);
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, nested_id));
}

TEST_F(viommu, vdevice_on_another_viommu_does_not_let_a_device_attach)
{
	__u32 other_viommu_id, nested_id, pt_id;

	ASSERT_EQ(0, iommufd_viommu_alloc_err(self->fd, self->base.idev_id,
					      self->base.parent_id, MOCK_TYPE,
					      &other_viommu_id));
	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, other_viommu_id,
					       self->base.idev_id, VIRT_ID_A,
					       NULL));
	ASSERT_EQ(0, nested_err(self->fd, self->base.idev_id,
				self->base.viommu_id, &nested_id));
	pt_id = nested_id;
	EXPECT_EQ(ENOENT,
		  iommufd_mock_domain_replace_err(self->fd, self->base.stdev_id,
						  &pt_id));
}

TEST_F(viommu, failed_attach_leaves_the_device_where_it_was)
{
	__u32 nested_id, pt_id;

	ASSERT_EQ(0, nested_err(self->fd, self->base.idev_id,
				self->base.viommu_id, &nested_id));
	pt_id = nested_id;
	ASSERT_EQ(ENOENT,
		  iommufd_mock_domain_replace_err(self->fd, self->base.stdev_id,
						  &pt_id));
	/* Still on the IOAS: its automatic HWPT keeps the IOAS busy */
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->base.parent_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.ioas_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->base.stdev_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.ioas_id));
}

/*
 * A replace that the driver refuses makes the iommu core attach the old
 * domain again, which must work although the device's vDEVICE went after
 * the device got there: a refusal then was a WARN in the iommu core.
 */
TEST_F(viommu, failed_replace_returns_to_a_nested_hwpt_whose_vdevice_went)
{
	__u32 first_id, second_id, vdev_id, pt_id;

	ASSERT_EQ(0, iommufd_viommu_attach_err(self->fd, self->base.viommu_id,
					       self->base.stdev_id,
					       self->base.idev_id, VIRT_ID_A,
					       &vdev_id, &first_id));
	ASSERT_EQ(0, nested_err(self->fd, self->base.idev_id,
				self->base.viommu_id, &second_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, vdev_id));
	/* No vDEVICE: the new domain is refused, the old one taken back */
	pt_id = second_id;
	EXPECT_EQ(ENOENT,
		  iommufd_mock_domain_replace_err(self->fd, self->base.stdev_id,
						  &pt_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, first_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, second_id));
	/* And it can leave it normally */
	pt_id = self->base.ioas_id;
	EXPECT_EQ(0,
		  iommufd_mock_domain_replace_err(self->fd, self->base.stdev_id,
						  &pt_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, first_id));
}

TEST_F(viommu, nested_hwpt_through_a_viommu_has_its_own_iotlb)
{
	const __u32 inv_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
	struct iommu_hwpt_invalidate_selftest request = { .iotlb_id = 2 };
	__u32 nested_id, num = 1;

	ASSERT_EQ(0, iommufd_hwpt_alloc_nested_err(self->fd, self->base.idev_id,
						   self->base.viommu_id, 9,
						   &nested_id));
	ASSERT_EQ(0,
		  iommufd_hwpt_invalidate_err(self->fd, nested_id, inv_type,
					      &request, sizeof(request), &num));
	EXPECT_EQ(1, num);
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, nested_id, 2, 0));
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, nested_id, 1, 9));
}

/*
 * ---- the default vIOMMU --------------------------------------------------
 *
 * iommufd's own type: it carries nested HWPTs and vDEVICEs, and has no
 * driver for anything else.
 */

FIXTURE(default_viommu)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 idev_id;
	__u32 parent_id;
	__u32 viommu_id;
	__u8 *page;
};

FIXTURE_SETUP(default_viommu)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0,
		  iommufd_mock_device_hwpt_err(self->fd,
					       IOMMU_HWPT_ALLOC_NEST_PARENT,
					       &self->ioas_id, &self->stdev_id,
					       &self->idev_id,
					       &self->parent_id));
	ASSERT_EQ(0, iommufd_viommu_alloc_err(self->fd, self->idev_id,
					      self->parent_id,
					      IOMMU_VIOMMU_TYPE_DEFAULT,
					      &self->viommu_id));
	self->page = iommufd_alloc_small_pages(PAGE_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, self->page);
}

FIXTURE_TEARDOWN(default_viommu)
{
	munmap(self->page, PAGE_SIZE);
	close(self->fd);
}

TEST_F(default_viommu, nested_hwpt_through_it_serves_a_device)
{
	__u32 nested_id, vdev_id;

	ASSERT_EQ(0,
		  iommufd_viommu_attach_err(self->fd, self->viommu_id,
					    self->stdev_id, self->idev_id,
					    VIRT_ID_A, &vdev_id, &nested_id));
	EXPECT_EQ(0, iommufd_check_iotlb_err(self->fd, nested_id, 0,
					     IOMMU_TEST_IOTLB_DEFAULT));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, nested_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->viommu_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->stdev_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->viommu_id));
}

TEST_F(default_viommu, vdevice_on_it_is_allocated)
{
	__u32 vdev_id = 0;

	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->viommu_id,
					       self->idev_id, VIRT_ID_A,
					       &vdev_id));
	EXPECT_NE(0, vdev_id);
	EXPECT_EQ(EEXIST,
		  iommufd_vdevice_alloc_err(self->fd, self->viommu_id,
					    self->idev_id, VIRT_ID_B, NULL));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, vdev_id));
}

TEST_F(default_viommu, invalidation_is_eopnotsupp_and_carries_out_nothing)
{
	struct iommu_viommu_invalidate_selftest request = { .vdev_id = 1 };
	__u32 num = 1;

	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_hwpt_invalidate_err(self->fd, self->viommu_id,
					      INV_TYPE, &request, INV_LEN,
					      &num));
	EXPECT_EQ(0, num);
	num = 0;
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_hwpt_invalidate_err(self->fd, self->viommu_id,
					      INV_TYPE, NULL, INV_LEN, &num));
}

TEST_F(default_viommu, hw_queue_is_eopnotsupp)
{
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
						self->page, PAGE_SIZE,
						APERTURE_IOVA));
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_hw_queue_alloc_err(self->fd, self->viommu_id, 0,
					     APERTURE_IOVA, PAGE_SIZE, NULL));
	/* Nothing was left pinned */
	EXPECT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
					    APERTURE_IOVA, PAGE_SIZE));
}

TEST_F(default_viommu, device_events_have_nowhere_to_go)
{
	__u32 veventq_id;
	int veventq_fd;

	ASSERT_EQ(0, iommufd_viommu_attach_err(self->fd, self->viommu_id,
					       self->stdev_id, self->idev_id,
					       VIRT_ID_A, NULL, NULL));
	ASSERT_EQ(0, iommufd_veventq_alloc_err(self->fd, self->viommu_id,
					       IOMMU_VEVENTQ_TYPE_SELFTEST, 2,
					       &veventq_id, &veventq_fd));
	/* No driver reports through a default vIOMMU */
	EXPECT_EQ(ENOENT, iommufd_trigger_vevent_err(self->fd, self->idev_id));
	close(veventq_fd);
}

/*
 * ---- vDEVICEs --------------------------------------------------------------
 *
 * The vIOMMU fixture, with device A (the base's) and a second device B of
 * the same mock IOMMU on the same IOAS.
 */

FIXTURE(vdevice)
{
	int fd;
	struct iommufd_viommu_base base;
	__u32 stdev2_id;
	__u32 idev2_id;
};

FIXTURE_SETUP(vdevice)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_viommu_base_err(self->fd, &self->base, NULL));
	ASSERT_EQ(0, another_device_err(self->fd, self->base.ioas_id,
					&self->stdev2_id, &self->idev2_id));
}

FIXTURE_TEARDOWN(vdevice)
{
	close(self->fd);
}

/*
 * Allocate IOASes until one gets an ID above @id; whether any got @id.
 * IDs are handed out lowest free first, so a free @id would be taken.
 */
static bool id_handed_out_again(int fd, __u32 id)
{
	unsigned int i;

	for (i = 0; i != 64; i++) {
		__u32 new_id;

		if (iommufd_ioas_alloc_err(fd, &new_id))
			return true;
		if (new_id == id)
			return true;
		if (new_id > id)
			return false;
	}
	return true;
}

TEST_F(vdevice, vdevice_gets_an_id_of_its_own)
{
	__u32 vdev_a_id = 0, vdev_b_id = 0;

	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->base.idev_id, VIRT_ID_A,
					       &vdev_a_id));
	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->idev2_id, VIRT_ID_B,
					       &vdev_b_id));
	EXPECT_NE(0, vdev_a_id);
	EXPECT_NE(vdev_a_id, vdev_b_id);
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, vdev_a_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, vdev_b_id));
	EXPECT_EQ(ENOENT, iommufd_destroy_err(self->fd, vdev_a_id));
}

TEST_F(vdevice, virt_id_spans_an_unsigned_long)
{
	__u32 vdev_id;

	/*
	 * A virt_id above ULONG_MAX is EINVAL, which only a 32-bit kernel
	 * can show: on 64-bit every __u64 fits.  Virtual ID 0 is an ID like
	 * any other.
	 */
	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->base.idev_id, UINT64_MAX,
					       &vdev_id));
	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->idev2_id, 0, NULL));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, vdev_id));
	EXPECT_EQ(EEXIST,
		  iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					    self->base.idev_id, 0, NULL));
	EXPECT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->base.idev_id, 1ULL << 63,
					       NULL));
}

TEST_F(vdevice, viommu_id_naming_no_viommu_is_enoent)
{
	const __u32 ids[] = { 0, NO_SUCH_ID, self->base.parent_id,
			      self->base.idev_id };
	unsigned int i;

	for (i = 0; i != ARRAY_SIZE(ids); i++)
		EXPECT_EQ(ENOENT, iommufd_vdevice_alloc_err(self->fd, ids[i],
							    self->base.idev_id,
							    VIRT_ID_A, NULL));
}

TEST_F(vdevice, dev_id_naming_no_device_is_enoent)
{
	const __u32 ids[] = { 0, NO_SUCH_ID, self->base.stdev_id,
			      self->base.viommu_id };
	unsigned int i;

	for (i = 0; i != ARRAY_SIZE(ids); i++)
		EXPECT_EQ(ENOENT,
			  iommufd_vdevice_alloc_err(self->fd,
						    self->base.viommu_id,
						    ids[i], VIRT_ID_A, NULL));
	/* None of the failures kept a hold on the vIOMMU */
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
}

TEST_F(vdevice, second_vdevice_of_a_device_is_eexist)
{
	__u32 other_viommu_id;

	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->base.idev_id, VIRT_ID_A,
					       NULL));
	EXPECT_EQ(EEXIST,
		  iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					    self->base.idev_id, VIRT_ID_A,
					    NULL));
	EXPECT_EQ(EEXIST,
		  iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					    self->base.idev_id, VIRT_ID_A + 1,
					    NULL));
	/* One vDEVICE per device, whatever vIOMMU the second would be on */
	ASSERT_EQ(0, iommufd_viommu_alloc_err(self->fd, self->base.idev_id,
					      self->base.parent_id, MOCK_TYPE,
					      &other_viommu_id));
	EXPECT_EQ(EEXIST, iommufd_vdevice_alloc_err(self->fd, other_viommu_id,
						    self->base.idev_id,
						    VIRT_ID_A, NULL));
	/* The refused ones hold no part of the other vIOMMU */
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, other_viommu_id));
}

TEST_F(vdevice, virt_id_of_another_device_on_the_viommu_is_eexist)
{
	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->base.idev_id, VIRT_ID_A,
					       NULL));
	EXPECT_EQ(EEXIST,
		  iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					    self->idev2_id, VIRT_ID_A, NULL));
	/* The refusal did not use up device B's one vDEVICE */
	EXPECT_EQ(0,
		  iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					    self->idev2_id, VIRT_ID_B, NULL));
}

/*
 * Everything attached through a vIOMMU sits behind the physical IOMMU the
 * vIOMMU was made for: a device of the second mock IOMMU instance gets
 * neither a vDEVICE nor a nested HWPT on it, and the vIOMMU made for that
 * device refuses the first one.
 */
TEST_F(vdevice, device_behind_another_iommu_is_einval)
{
	__u32 far_stdev_id, far_idev_id, far_viommu_id, far_nested_id;

	ASSERT_EQ(0, iommufd_mock_domain_flags_err(self->fd,
						   self->base.ioas_id,
						   MOCK_FLAGS_DEVICE_SECOND_IOMMU,
						   &far_stdev_id, NULL,
						   &far_idev_id));
	EXPECT_EQ(EINVAL, iommufd_vdevice_alloc_err(self->fd,
						    self->base.viommu_id,
						    far_idev_id, VIRT_ID_A,
						    NULL));
	EXPECT_EQ(EINVAL, nested_err(self->fd, far_idev_id,
				     self->base.viommu_id, NULL));

	/* A vIOMMU of its own on the same parent serves it, and only it */
	ASSERT_EQ(0, iommufd_viommu_alloc_err(self->fd, far_idev_id,
					      self->base.parent_id, MOCK_TYPE,
					      &far_viommu_id));
	EXPECT_EQ(EINVAL, iommufd_vdevice_alloc_err(self->fd, far_viommu_id,
						    self->base.idev_id,
						    VIRT_ID_A, NULL));
	EXPECT_EQ(EINVAL, nested_err(self->fd, self->base.idev_id,
				     far_viommu_id, NULL));
	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, far_viommu_id,
					       far_idev_id, VIRT_ID_A, NULL));
	ASSERT_EQ(0, nested_err(self->fd, far_idev_id, far_viommu_id,
				&far_nested_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, far_nested_id));
}

/* A group never spans two IOMMU instances */
TEST_F(vdevice, group_peer_behind_another_iommu_is_einval)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_IN_GROUP,
		.id = self->base.ioas_id,
	};

	cmd.mock_domain_in_group.dev_flags = MOCK_FLAGS_DEVICE_SECOND_IOMMU;
	cmd.mock_domain_in_group.group_peer_id = self->base.stdev_id;
	EXPECT_EQ(EINVAL, iommufd_ioctl_err(self->fd, IOMMU_TEST_CMD, &cmd));
}

TEST_F(vdevice, same_virt_id_on_another_viommu_is_allowed)
{
	__u32 other_viommu_id, vdev_b_id;

	ASSERT_EQ(0, iommufd_viommu_alloc_err(self->fd, self->base.idev_id,
					      self->base.parent_id, MOCK_TYPE,
					      &other_viommu_id));
	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->base.idev_id, VIRT_ID_A,
					       NULL));
	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, other_viommu_id,
					       self->idev2_id, VIRT_ID_A,
					       &vdev_b_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, other_viommu_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, vdev_b_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, other_viommu_id));
}

TEST_F(vdevice, destroyed_vdevice_frees_the_device_and_the_virt_id)
{
	__u32 vdev_id;

	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->base.idev_id, VIRT_ID_A,
					       &vdev_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, vdev_id));
	/* The same device and virtual ID again */
	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->base.idev_id, VIRT_ID_A,
					       &vdev_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, vdev_id));
	/* The virtual ID for another device, the device under another ID */
	EXPECT_EQ(0,
		  iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					    self->idev2_id, VIRT_ID_A, NULL));
	EXPECT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->base.idev_id, VIRT_ID_B,
					       NULL));
}

TEST_F(vdevice, id_of_a_destroyed_vdevice_is_handed_out_again)
{
	__u32 vdev_id;

	/* What makes the tombstone tests below meaningful */
	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->base.idev_id, VIRT_ID_A,
					       &vdev_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, vdev_id));
	EXPECT_TRUE(id_handed_out_again(self->fd, vdev_id));
}

/*
 * ---- tombstones: a vDEVICE whose device is unbound first -----------------
 */

TEST_F(vdevice, unbinding_the_device_leaves_the_vdevice_id_taken)
{
	__u32 vdev_id;

	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->idev2_id, VIRT_ID_B,
					       &vdev_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->stdev2_id));
	EXPECT_EQ(ENOENT, iommufd_destroy_err(self->fd, vdev_id));
	EXPECT_FALSE(id_handed_out_again(self->fd, vdev_id));
	/* Still not: IDs freed later do not bring it back either */
	EXPECT_EQ(ENOENT, iommufd_destroy_err(self->fd, vdev_id));
	EXPECT_FALSE(id_handed_out_again(self->fd, vdev_id));
}

TEST_F(vdevice, unbinding_the_device_releases_the_viommu)
{
	ASSERT_EQ(0,
		  iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					    self->idev2_id, VIRT_ID_B, NULL));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->stdev2_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
}

TEST_F(vdevice, unbinding_the_device_frees_its_virt_id)
{
	__u32 stdev3_id, idev3_id;

	ASSERT_EQ(0,
		  iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					    self->idev2_id, VIRT_ID_B, NULL));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->stdev2_id));
	EXPECT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->base.idev_id, VIRT_ID_B,
					       NULL));
	ASSERT_EQ(0, another_device_err(self->fd, self->base.ioas_id,
					&stdev3_id, &idev3_id));
	EXPECT_EQ(EEXIST,
		  iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					    idev3_id, VIRT_ID_B, NULL));
}

TEST_F(vdevice, unbinding_a_device_attached_through_the_viommu)
{
	__u32 vdev_id, nested_id;

	ASSERT_EQ(0,
		  iommufd_viommu_attach_err(self->fd, self->base.viommu_id,
					    self->stdev2_id, self->idev2_id,
					    VIRT_ID_B, &vdev_id, &nested_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->stdev2_id));
	EXPECT_EQ(ENOENT, iommufd_destroy_err(self->fd, vdev_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
	EXPECT_FALSE(id_handed_out_again(self->fd, vdev_id));
}

TEST_F(vdevice, invalidation_naming_an_unbound_devices_virt_id_is_einval)
{
	struct iommu_viommu_invalidate_selftest request = {
		.vdev_id = VIRT_ID_B,
	};
	__u32 num = 1;

	ASSERT_EQ(0,
		  iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					    self->idev2_id, VIRT_ID_B, NULL));
	ASSERT_EQ(0, iommufd_hwpt_invalidate_err(self->fd, self->base.viommu_id,
						 INV_TYPE, &request, INV_LEN,
						 &num));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->stdev2_id));
	num = 1;
	EXPECT_EQ(EINVAL,
		  iommufd_hwpt_invalidate_err(self->fd, self->base.viommu_id,
					      INV_TYPE, &request, INV_LEN,
					      &num));
	EXPECT_EQ(0, num);
}

TEST_F(vdevice, closing_the_context_with_tombstones)
{
	__u32 stdev_id, idev_id;
	unsigned int i;

	ASSERT_EQ(0,
		  iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					    self->idev2_id, VIRT_ID_B, NULL));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->stdev2_id));
	for (i = 0; i != 3; i++) {
		ASSERT_EQ(0, another_device_err(self->fd, self->base.ioas_id,
						&stdev_id, &idev_id));
		ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd,
						       self->base.viommu_id,
						       idev_id, 100 + i, NULL));
		ASSERT_EQ(0, iommufd_destroy_err(self->fd, stdev_id));
	}
	/* A live vDEVICE among the tombstones */
	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->base.idev_id, VIRT_ID_A,
					       NULL));
	ASSERT_EQ(0, close(self->fd));
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
}

/*
 * ---- IOMMU_HWPT_INVALIDATE on a vIOMMU ------------------------------------
 *
 * Device A has virtual ID VIRT_ID_A and device B VIRT_ID_B on the
 * vIOMMU; each device cache starts with IOMMU_TEST_DEV_CACHE_DEFAULT in
 * every entry, and a request clears entries of the device it names.
 */

FIXTURE(invalidate)
{
	int fd;
	struct iommufd_viommu_base base;
	__u32 stdev2_id;
	__u32 idev2_id;
	__u32 vdev_a_id;
};

FIXTURE_SETUP(invalidate)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_viommu_base_err(self->fd, &self->base, NULL));
	ASSERT_EQ(0, another_device_err(self->fd, self->base.ioas_id,
					&self->stdev2_id, &self->idev2_id));
	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       self->base.idev_id, VIRT_ID_A,
					       &self->vdev_a_id));
	ASSERT_EQ(0,
		  iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					    self->idev2_id, VIRT_ID_B, NULL));
}

FIXTURE_TEARDOWN(invalidate)
{
	close(self->fd);
}

/*
 * Bit i of @cleared says entry i of the device's cache must read 0, and
 * the others the default; 0 if so, else the first error
 */
static int check_cache_err(int fd, __u32 idev_id, unsigned int cleared)
{
	unsigned int i;
	int err;

	for (i = 0; i != CACHE_ENTRIES; i++) {
		__u32 value = IOMMU_TEST_DEV_CACHE_DEFAULT;

		if (cleared & (1U << i))
			value = 0;
		err = iommufd_check_dev_cache_err(fd, idev_id, i, value);
		if (err)
			return err;
	}
	return 0;
}

/* Invalidate @count selftest requests; *@num receives how many were done */
static int invalidate_err(int fd, __u32 viommu_id,
			  const struct iommu_viommu_invalidate_selftest *reqs,
			  __u32 count, __u32 *num)
{
	*num = count;
	return iommufd_hwpt_invalidate_err(fd, viommu_id, INV_TYPE, reqs,
					   INV_LEN, num);
}

TEST_F(invalidate, device_caches_start_full)
{
	EXPECT_EQ(0, check_cache_err(self->fd, self->base.idev_id, 0));
	EXPECT_EQ(0, check_cache_err(self->fd, self->idev2_id, 0));
	EXPECT_EQ(EINVAL,
		  iommufd_check_dev_cache_err(self->fd, self->base.idev_id, 0,
					      0));
}

TEST_F(invalidate, empty_batch_of_the_right_type_does_nothing)
{
	__u32 num;

	EXPECT_EQ(0, invalidate_err(self->fd, self->base.viommu_id, NULL, 0,
				    &num));
	EXPECT_EQ(0, num);
	EXPECT_EQ(0, check_cache_err(self->fd, self->base.idev_id, 0));
}

TEST_F(invalidate, one_request_clears_one_entry_of_one_device)
{
	struct iommu_viommu_invalidate_selftest req = {
		.vdev_id = VIRT_ID_A,
		.cache_id = 2,
	};
	__u32 num;

	ASSERT_EQ(0, invalidate_err(self->fd, self->base.viommu_id, &req, 1,
				    &num));
	EXPECT_EQ(1, num);
	EXPECT_EQ(0, check_cache_err(self->fd, self->base.idev_id, 1U << 2));
	EXPECT_EQ(0, check_cache_err(self->fd, self->idev2_id, 0));
}

TEST_F(invalidate, batch_serves_each_device_by_its_virt_id)
{
	struct iommu_viommu_invalidate_selftest reqs[] = {
		{ .vdev_id = VIRT_ID_B, .cache_id = 0 },
		{ .vdev_id = VIRT_ID_A, .cache_id = 1 },
		{ .vdev_id = VIRT_ID_B, .cache_id = MOCK_DEV_CACHE_ID_MAX },
	};
	__u32 num;

	ASSERT_EQ(0, invalidate_err(self->fd, self->base.viommu_id, reqs,
				    ARRAY_SIZE(reqs), &num));
	EXPECT_EQ(ARRAY_SIZE(reqs), num);
	EXPECT_EQ(0, check_cache_err(self->fd, self->base.idev_id, 1U << 1));
	EXPECT_EQ(0, check_cache_err(self->fd, self->idev2_id,
				     1U << 0 | 1U << MOCK_DEV_CACHE_ID_MAX));
}

TEST_F(invalidate, flag_all_clears_every_entry)
{
	struct iommu_viommu_invalidate_selftest req = {
		.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL,
		.vdev_id = VIRT_ID_B,
	};
	__u32 num;

	ASSERT_EQ(0, invalidate_err(self->fd, self->base.viommu_id, &req, 1,
				    &num));
	EXPECT_EQ(1, num);
	EXPECT_EQ(0, check_cache_err(self->fd, self->idev2_id,
				     (1U << CACHE_ENTRIES) - 1));
	EXPECT_EQ(0, check_cache_err(self->fd, self->base.idev_id, 0));
}

TEST_F(invalidate, wrong_data_type_is_einval)
{
	static const __u32 types[] = {
		IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID,
		IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
	};
	struct iommu_viommu_invalidate_selftest req = { .vdev_id = VIRT_ID_A };
	unsigned int i;
	__u32 num;

	for (i = 0; i != ARRAY_SIZE(types); i++) {
		num = 1;
		EXPECT_EQ(EINVAL,
			  iommufd_hwpt_invalidate_err(self->fd,
						      self->base.viommu_id,
						      types[i], &req, INV_LEN,
						      &num));
		EXPECT_EQ(0, num);
		/* Even with nothing to do, the type is checked */
		num = 0;
		EXPECT_EQ(EINVAL,
			  iommufd_hwpt_invalidate_err(self->fd,
						      self->base.viommu_id,
						      types[i], NULL, INV_LEN,
						      &num));
	}
	EXPECT_EQ(0, check_cache_err(self->fd, self->base.idev_id, 0));
}

TEST_F(invalidate, unknown_request_flags_are_eopnotsupp)
{
	struct iommu_viommu_invalidate_selftest req = {
		.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL << 1,
		.vdev_id = VIRT_ID_A,
	};
	__u32 num;

	EXPECT_EQ(EOPNOTSUPP, invalidate_err(self->fd, self->base.viommu_id,
					     &req, 1, &num));
	EXPECT_EQ(0, num);
	EXPECT_EQ(0, check_cache_err(self->fd, self->base.idev_id, 0));
}

TEST_F(invalidate, cache_id_above_the_last_entry_is_einval)
{
	struct iommu_viommu_invalidate_selftest req = {
		.vdev_id = VIRT_ID_A,
		.cache_id = MOCK_DEV_CACHE_ID_MAX + 1,
	};
	__u32 num;

	EXPECT_EQ(EINVAL, invalidate_err(self->fd, self->base.viommu_id, &req,
					 1, &num));
	EXPECT_EQ(0, num);
	/* Also with the flag that would clear everything */
	req.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	EXPECT_EQ(EINVAL, invalidate_err(self->fd, self->base.viommu_id, &req,
					 1, &num));
	EXPECT_EQ(0, check_cache_err(self->fd, self->base.idev_id, 0));
}

TEST_F(invalidate, virt_id_naming_no_vdevice_is_einval)
{
	struct iommu_viommu_invalidate_selftest req = { .vdev_id = 0x7777 };
	__u32 num;

	EXPECT_EQ(EINVAL, invalidate_err(self->fd, self->base.viommu_id, &req,
					 1, &num));
	EXPECT_EQ(0, num);
	/* The vDEVICE's object ID is not its virtual ID */
	req.vdev_id = self->vdev_a_id;
	EXPECT_EQ(EINVAL, invalidate_err(self->fd, self->base.viommu_id, &req,
					 1, &num));
}

TEST_F(invalidate, virt_id_of_a_destroyed_vdevice_is_einval)
{
	struct iommu_viommu_invalidate_selftest req = { .vdev_id = VIRT_ID_A };
	__u32 num;

	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->vdev_a_id));
	EXPECT_EQ(EINVAL, invalidate_err(self->fd, self->base.viommu_id, &req,
					 1, &num));
	EXPECT_EQ(0, num);
	EXPECT_EQ(0, check_cache_err(self->fd, self->base.idev_id, 0));
}

TEST_F(invalidate, batch_stops_at_the_first_bad_request)
{
	struct iommu_viommu_invalidate_selftest reqs[] = {
		{ .vdev_id = VIRT_ID_A, .cache_id = 0 },
		{ .vdev_id = VIRT_ID_A, .cache_id = MOCK_DEV_CACHE_ID_MAX + 1 },
		{ .vdev_id = VIRT_ID_A, .cache_id = 2 },
		{ .vdev_id = VIRT_ID_B, .cache_id = 3 },
	};
	__u32 num;

	EXPECT_EQ(EINVAL, invalidate_err(self->fd, self->base.viommu_id, reqs,
					 ARRAY_SIZE(reqs), &num));
	EXPECT_EQ(1, num);
	EXPECT_EQ(0, check_cache_err(self->fd, self->base.idev_id, 1U << 0));
	EXPECT_EQ(0, check_cache_err(self->fd, self->idev2_id, 0));
}

TEST_F(invalidate, batch_stopping_at_an_unknown_device_reports_the_done_ones)
{
	struct iommu_viommu_invalidate_selftest reqs[] = {
		{ .vdev_id = VIRT_ID_B, .cache_id = 1 },
		{ .vdev_id = VIRT_ID_A, .cache_id = 3 },
		{ .vdev_id = 0x7777, .cache_id = 0 },
		{ .vdev_id = VIRT_ID_A, .cache_id = 0 },
	};
	__u32 num;

	EXPECT_EQ(EINVAL, invalidate_err(self->fd, self->base.viommu_id, reqs,
					 ARRAY_SIZE(reqs), &num));
	EXPECT_EQ(2, num);
	EXPECT_EQ(0, check_cache_err(self->fd, self->base.idev_id, 1U << 3));
	EXPECT_EQ(0, check_cache_err(self->fd, self->idev2_id, 1U << 1));
}

TEST_F(invalidate, batch_stopping_at_bad_flags_reports_the_done_ones)
{
	struct iommu_viommu_invalidate_selftest reqs[] = {
		{ .vdev_id = VIRT_ID_A, .cache_id = 1 },
		{ .flags = 0x80, .vdev_id = VIRT_ID_A, .cache_id = 2 },
	};
	__u32 num;

	EXPECT_EQ(EOPNOTSUPP, invalidate_err(self->fd, self->base.viommu_id,
					     reqs, ARRAY_SIZE(reqs), &num));
	EXPECT_EQ(1, num);
	EXPECT_EQ(0, check_cache_err(self->fd, self->base.idev_id, 1U << 1));
}

TEST_F(invalidate, entries_without_a_buffer_or_a_length_are_einval)
{
	struct iommu_viommu_invalidate_selftest req = {
		.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL,
		.vdev_id = VIRT_ID_A,
	};
	__u32 num = 1;

	EXPECT_EQ(EINVAL,
		  iommufd_hwpt_invalidate_err(self->fd, self->base.viommu_id,
					      INV_TYPE, NULL, INV_LEN, &num));
	EXPECT_EQ(0, num);
	num = 1;
	EXPECT_EQ(EINVAL,
		  iommufd_hwpt_invalidate_err(self->fd, self->base.viommu_id,
					      INV_TYPE, &req, 0, &num));
	EXPECT_EQ(0, num);
	num = 1;
	EXPECT_EQ(EINVAL,
		  iommufd_hwpt_invalidate_err(self->fd, self->base.viommu_id,
					      INV_TYPE, &req, PAGE_SIZE + 1,
					      &num));
	EXPECT_EQ(0, num);
	EXPECT_EQ(0, check_cache_err(self->fd, self->base.idev_id, 0));
}

TEST_F(invalidate, entry_length_other_than_the_driver_struct_is_einval)
{
	struct {
		struct iommu_viommu_invalidate_selftest req;
		__u32 zero;
	} longer = {
		.req = {
			.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL,
			.vdev_id = VIRT_ID_A,
		},
	};
	__u32 num = 1;

	EXPECT_EQ(EINVAL,
		  iommufd_hwpt_invalidate_err(self->fd, self->base.viommu_id,
					      INV_TYPE, &longer, INV_LEN - 4,
					      &num));
	EXPECT_EQ(0, num);
	num = 1;
	EXPECT_EQ(EINVAL,
		  iommufd_hwpt_invalidate_err(self->fd, self->base.viommu_id,
					      INV_TYPE, &longer, sizeof(longer),
					      &num));
	EXPECT_EQ(0, num);
	EXPECT_EQ(0, check_cache_err(self->fd, self->base.idev_id, 0));
}

TEST_F(invalidate, unreadable_request_is_efault_after_the_readable_ones)
{
	struct iommu_viommu_invalidate_selftest *reqs;
	__u8 *pages;
	__u32 num;

	pages = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	ASSERT_EQ(0, mprotect(pages + PAGE_SIZE, PAGE_SIZE, PROT_NONE));
	/* The second request starts on the inaccessible page */
	reqs = (void *)(pages + PAGE_SIZE - INV_LEN);
	reqs[0].flags = 0;
	reqs[0].vdev_id = VIRT_ID_A;
	reqs[0].cache_id = 3;

	EXPECT_EQ(EFAULT, invalidate_err(self->fd, self->base.viommu_id, reqs,
					 2, &num));
	EXPECT_EQ(1, num);
	EXPECT_EQ(0, check_cache_err(self->fd, self->base.idev_id, 1U << 3));
	munmap(pages, 2 * PAGE_SIZE);
}

TEST_F(invalidate, nonzero_reserved_is_eopnotsupp)
{
	struct iommu_viommu_invalidate_selftest req = { .vdev_id = VIRT_ID_A };
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = self->base.viommu_id,
		.data_uptr = (__u64)(uintptr_t)&req,
		.data_type = INV_TYPE,
		.entry_len = INV_LEN,
		.entry_num = 1,
		.__reserved = 1,
	};

	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_ioctl_err(self->fd, IOMMU_HWPT_INVALIDATE, &cmd));
	EXPECT_EQ(0, cmd.entry_num);
	EXPECT_EQ(0, check_cache_err(self->fd, self->base.idev_id, 0));
}

TEST_F(invalidate, id_of_a_paging_hwpt_or_a_vdevice_is_einval)
{
	struct iommu_viommu_invalidate_selftest req = { .vdev_id = VIRT_ID_A };
	const __u32 ids[] = { self->base.parent_id, self->vdev_a_id,
			      self->base.ioas_id, self->base.idev_id };
	unsigned int i;
	__u32 num;

	for (i = 0; i != ARRAY_SIZE(ids); i++) {
		num = 1;
		EXPECT_EQ(EINVAL, iommufd_hwpt_invalidate_err(self->fd, ids[i],
							      INV_TYPE, &req,
							      INV_LEN, &num));
		EXPECT_EQ(0, num);
	}
	EXPECT_EQ(0, check_cache_err(self->fd, self->base.idev_id, 0));
}

TEST_F(invalidate, id_naming_nothing_is_enoent)
{
	struct iommu_viommu_invalidate_selftest req = { .vdev_id = VIRT_ID_A };
	__u32 num = 1;

	EXPECT_EQ(ENOENT,
		  iommufd_hwpt_invalidate_err(self->fd, NO_SUCH_ID, INV_TYPE,
					      &req, INV_LEN, &num));
	EXPECT_EQ(0, num);
}

TEST_F(invalidate, destroyed_viommu_is_enoent)
{
	struct iommu_viommu_invalidate_selftest req = { .vdev_id = VIRT_ID_A };
	__u32 num;

	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->vdev_a_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->stdev2_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
	EXPECT_EQ(ENOENT, invalidate_err(self->fd, self->base.viommu_id, &req,
					 1, &num));
	EXPECT_EQ(0, num);
}

TEST_HARNESS_MAIN
