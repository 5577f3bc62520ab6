// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device MMIO in an IOAS through IOMMU_IOAS_MAP_FILE of a dma-buf, with the
 * test build's mock exporter standing in for a vfio-pci BAR: the buffer is
 * mapped into every domain of the IOAS, taken out of all of them when the
 * exporter revokes it and put back when it returns; new maps of a revoked
 * buffer, emulated accesses and exporters that cannot revoke are refused.
 * The domains are read back with IOMMU_TEST_OP_MD_CHECK_DMABUF, which fails
 * unless the whole range maps the buffer.
 */
#include <fcntl.h>
#include <linux/udmabuf.h>

#include "iommufd_helpers.h"
#include "../kselftest_harness.h"

#define BUF_PAGES 4

/* IOMMU_TEST_OP_DMABUF_GET: a mock buffer of @length bytes, as a new fd */
static int mock_dmabuf_new(int fd, __u32 length, __u32 open_flags)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_DMABUF_GET,
		.dmabuf_get = { .length = length, .open_flags = open_flags },
	};

	/* The op's result is the descriptor itself */
	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

/* IOMMU_TEST_OP_DMABUF_REVOKE: take the buffer away (or give it back) */
static int mock_dmabuf_revoke_err(int fd, int dmabuf_fd, bool revoked)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DMABUF_REVOKE,
		.dmabuf_revoke = { .dmabuf_fd = dmabuf_fd, .revoked = revoked },
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

/* MD_CHECK_DMABUF: HWPT @hwpt_id maps @length at @iova to byte @offset on */
static int mock_dmabuf_check_err(int fd, __u32 hwpt_id, int dmabuf_fd,
				 __u64 iova, __u64 length, __u64 offset)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_DMABUF,
		.id = hwpt_id,
		.check_dmabuf = {
			.dmabuf_fd = dmabuf_fd,
			.iova = iova,
			.length = length,
			.offset = offset,
		},
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

FIXTURE(dmabuf)
{
	int fd;
	int dmabuf_fd;
	__u32 ioas_id;
	__u32 idev_id;
	__u32 hwpt_id;
};

FIXTURE_SETUP(dmabuf)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &self->ioas_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id, NULL,
					     &self->hwpt_id, &self->idev_id));
	self->dmabuf_fd = mock_dmabuf_new(self->fd, BUF_SIZE, O_CLOEXEC);
	ASSERT_LE(0, self->dmabuf_fd);
}

FIXTURE_TEARDOWN(dmabuf)
{
	close(self->dmabuf_fd);
	close(self->fd);
}

/* Map [start, start + length) of the fixture's buffer; returns the IOVA */
#define MAP_DMABUF(start, length)                                           \
	({                                                                  \
		__u64 __iova = 0;                                           \
		ASSERT_EQ(0, iommufd_ioas_map_file_err(self->fd,            \
						       self->ioas_id, RW,   \
						       self->dmabuf_fd,     \
						       start, length,       \
						       &__iova));           \
		__iova;                                                     \
	})

#define MAPS(hwpt, iova, length, offset)                                    \
	(mock_dmabuf_check_err(self->fd, hwpt, self->dmabuf_fd, iova, length, \
			       offset) == 0)

TEST_F(dmabuf, whole_buffer_and_a_slice_are_mapped_where_asked)
{
	__u64 whole = MAP_DMABUF(0, BUF_SIZE);
	__u64 slice = MAP_DMABUF(PAGE_SIZE, 2 * PAGE_SIZE);

	EXPECT_TRUE(MAPS(self->hwpt_id, whole, BUF_SIZE, 0));
	EXPECT_TRUE(MAPS(self->hwpt_id, slice, 2 * PAGE_SIZE, PAGE_SIZE));
	/* The check itself tells a wrong offset apart */
	EXPECT_FALSE(MAPS(self->hwpt_id, slice, 2 * PAGE_SIZE, 0));
}

TEST_F(dmabuf, ranges_outside_the_buffer_are_einval)
{
	__u64 iova = 0;

	EXPECT_EQ(EINVAL, iommufd_ioas_map_file_err(self->fd, self->ioas_id,
						    RW, self->dmabuf_fd, 0, 0,
						    &iova));
	EXPECT_EQ(EINVAL, iommufd_ioas_map_file_err(self->fd, self->ioas_id,
						    RW, self->dmabuf_fd,
						    BUF_SIZE, BUF_SIZE,
						    &iova));
	EXPECT_EQ(EINVAL, iommufd_ioas_map_file_err(self->fd, self->ioas_id,
						    RW, self->dmabuf_fd, 0,
						    BUF_SIZE + 1, &iova));
	EXPECT_EQ(EINVAL, iommufd_ioas_map_file_err(self->fd, self->ioas_id,
						    RW, self->dmabuf_fd,
						    BUF_SIZE - PAGE_SIZE,
						    2 * PAGE_SIZE, &iova));
}

TEST_F(dmabuf, revoke_empties_every_domain_and_restore_refills_them)
{
	__u64 iova = MAP_DMABUF(0, BUF_SIZE);
	__u32 second_hwpt;

	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id, 0, &second_hwpt));
	ASSERT_NE(self->hwpt_id, second_hwpt);
	EXPECT_TRUE(MAPS(second_hwpt, iova, BUF_SIZE, 0));

	ASSERT_EQ(0, mock_dmabuf_revoke_err(self->fd, self->dmabuf_fd, true));
	EXPECT_FALSE(MAPS(self->hwpt_id, iova, IO_PAGE_SIZE, 0));
	EXPECT_FALSE(MAPS(second_hwpt, iova, IO_PAGE_SIZE, 0));
	EXPECT_FALSE(MAPS(second_hwpt, iova + BUF_SIZE - IO_PAGE_SIZE,
			  IO_PAGE_SIZE, BUF_SIZE - IO_PAGE_SIZE));

	ASSERT_EQ(0, mock_dmabuf_revoke_err(self->fd, self->dmabuf_fd, false));
	EXPECT_TRUE(MAPS(self->hwpt_id, iova, BUF_SIZE, 0));
	EXPECT_TRUE(MAPS(second_hwpt, iova, BUF_SIZE, 0));
}

TEST_F(dmabuf, revoked_buffer_cannot_be_mapped_again_until_restored)
{
	__u64 iova = 0;

	ASSERT_EQ(0, mock_dmabuf_revoke_err(self->fd, self->dmabuf_fd, true));
	EXPECT_EQ(ENODEV, iommufd_ioas_map_file_err(self->fd, self->ioas_id,
						    RW, self->dmabuf_fd, 0,
						    BUF_SIZE, &iova));
	ASSERT_EQ(0, mock_dmabuf_revoke_err(self->fd, self->dmabuf_fd, false));
	iova = MAP_DMABUF(0, BUF_SIZE);
	EXPECT_TRUE(MAPS(self->hwpt_id, iova, BUF_SIZE, 0));
}

TEST_F(dmabuf, domain_linked_while_revoked_is_filled_on_restore)
{
	__u64 iova = MAP_DMABUF(0, BUF_SIZE);
	__u32 late_hwpt;

	ASSERT_EQ(0, mock_dmabuf_revoke_err(self->fd, self->dmabuf_fd, true));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id, 0, &late_hwpt));
	EXPECT_FALSE(MAPS(late_hwpt, iova, IO_PAGE_SIZE, 0));
	ASSERT_EQ(0, mock_dmabuf_revoke_err(self->fd, self->dmabuf_fd, false));
	EXPECT_TRUE(MAPS(late_hwpt, iova, BUF_SIZE, 0));
	EXPECT_TRUE(MAPS(self->hwpt_id, iova, BUF_SIZE, 0));
}

TEST_F(dmabuf, domain_linked_after_the_map_gets_it)
{
	__u64 iova = APERTURE_IOVA;
	__u32 ioas_id, hwpt_id;

	/* Inside the mock aperture, which the domain reserves around */
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	ASSERT_EQ(0, iommufd_ioas_map_file_fixed_err(self->fd, ioas_id,
						     self->dmabuf_fd, 0,
						     BUF_SIZE, iova));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, ioas_id, NULL, &hwpt_id,
					     NULL));
	EXPECT_TRUE(MAPS(hwpt_id, iova, BUF_SIZE, 0));
}

TEST_F(dmabuf, unmapped_while_revoked_stays_unmapped_after_restore)
{
	__u64 iova = MAP_DMABUF(0, BUF_SIZE);
	__u64 unmapped = 0;

	ASSERT_EQ(0, mock_dmabuf_revoke_err(self->fd, self->dmabuf_fd, true));
	ASSERT_EQ(0, iommufd_ioas_unmap_count_err(self->fd, self->ioas_id,
						  iova, BUF_SIZE, &unmapped));
	EXPECT_EQ(BUF_SIZE, unmapped);
	ASSERT_EQ(0, mock_dmabuf_revoke_err(self->fd, self->dmabuf_fd, false));
	EXPECT_FALSE(MAPS(self->hwpt_id, iova, IO_PAGE_SIZE, 0));
}

TEST_F(dmabuf, copy_into_another_ioas_is_revoked_with_the_original)
{
	__u64 iova = MAP_DMABUF(0, BUF_SIZE);
	__u32 dst_ioas, dst_hwpt;
	__u64 dst_iova = 0;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &dst_ioas));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, dst_ioas, NULL,
					     &dst_hwpt, NULL));
	ASSERT_EQ(0, iommufd_ioas_copy_err(self->fd, dst_ioas, self->ioas_id,
					   RW, iova, BUF_SIZE, &dst_iova));
	EXPECT_TRUE(MAPS(dst_hwpt, dst_iova, BUF_SIZE, 0));

	ASSERT_EQ(0, mock_dmabuf_revoke_err(self->fd, self->dmabuf_fd, true));
	EXPECT_FALSE(MAPS(dst_hwpt, dst_iova, IO_PAGE_SIZE, 0));
	EXPECT_FALSE(MAPS(self->hwpt_id, iova, IO_PAGE_SIZE, 0));
	ASSERT_EQ(0, mock_dmabuf_revoke_err(self->fd, self->dmabuf_fd, false));
	EXPECT_TRUE(MAPS(dst_hwpt, dst_iova, BUF_SIZE, 0));
	EXPECT_TRUE(MAPS(self->hwpt_id, iova, BUF_SIZE, 0));
}

TEST_F(dmabuf, emulated_accesses_cannot_reach_mmio)
{
	__u64 iova = MAP_DMABUF(0, BUF_SIZE);
	char data[64];
	int access_fd;

	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id,
					       MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
					       &access_fd));
	EXPECT_EQ(EINVAL, iommufd_access_pin_err(self->fd, access_fd, iova,
						 PAGE_SIZE, NULL, 0, NULL));
	EXPECT_EQ(EINVAL, iommufd_access_rw_err(self->fd, access_fd, iova,
						data, sizeof(data), 0));
	EXPECT_EQ(EINVAL, iommufd_access_rw_err(self->fd, access_fd, iova,
						data, sizeof(data),
						MOCK_ACCESS_RW_WRITE));
	close(access_fd);
}

TEST_F(dmabuf, mapping_outlives_the_buffer_fd)
{
	__u64 iova = MAP_DMABUF(0, BUF_SIZE);
	int again = dup(self->dmabuf_fd);

	/* The mapping holds its own reference: the memory stays mapped */
	ASSERT_LE(0, again);
	close(self->dmabuf_fd);
	self->dmabuf_fd = again;
	EXPECT_TRUE(MAPS(self->hwpt_id, iova, BUF_SIZE, 0));
	/* The teardown closes the context with the mapping still in it */
}

/* A udmabuf has no way to take its memory back: refused before attaching */
TEST_F(dmabuf, exporter_that_cannot_revoke_is_eopnotsupp)
{
	struct udmabuf_create create = { .size = PAGE_SIZE };
	int dev_fd, mem_fd, other_fd;
	__u64 iova = 0;

	dev_fd = open("/dev/udmabuf", O_RDWR);
	ASSERT_LE(0, dev_fd);
	mem_fd = memfd_create("udmabuf", MFD_ALLOW_SEALING);
	ASSERT_LE(0, mem_fd);
	ASSERT_EQ(0, ftruncate(mem_fd, PAGE_SIZE));
	ASSERT_EQ(0, fcntl(mem_fd, F_ADD_SEALS, F_SEAL_SHRINK));
	create.memfd = mem_fd;
	other_fd = ioctl(dev_fd, UDMABUF_CREATE, &create);
	ASSERT_LE(0, other_fd);

	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_ioas_map_file_err(self->fd, self->ioas_id, RW,
					    other_fd, 0, PAGE_SIZE, &iova));
	close(other_fd);
	close(mem_fd);
	close(dev_fd);
}

TEST_F(dmabuf, mock_exporter_rejects_bad_arguments)
{
	EXPECT_EQ(-1, mock_dmabuf_new(self->fd, 0, O_CLOEXEC));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mock_dmabuf_new(self->fd, PAGE_SIZE, O_CREAT));
	EXPECT_EQ(EINVAL, errno);
	/* Revoking something that is not a dma-buf */
	EXPECT_EQ(EINVAL, mock_dmabuf_revoke_err(self->fd, self->fd, true));
}

TEST_HARNESS_MAIN
