// SPDX-License-Identifier: GPL-2.0-only
/*
 * What of the hardware a vIOMMU hands to the VM directly: HW queues that
 * the IOMMU reads from guest memory (IOMMU_HW_QUEUE_ALLOC, the memory
 * pinned and unmapping it refused meanwhile), and the pages of the vIOMMU
 * that user space maps with mmap() on the iommufd.
 *
 * The mock vIOMMU's queues (IOMMU_HW_QUEUE_TYPE_SELFTEST) are made from
 * index 0 up, each one needing the one below; its region is two pages
 * whose first u32 holds the in_data of the vIOMMU's allocation.
 */
#include <stddef.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "iommufd_helpers.h"

#define BUF_PAGES 8
/* The fixture's buffer maps here; the IOVA after it stays free */
#define BUF_IOVA APERTURE_IOVA
#define NEXT_IOVA (BUF_IOVA + BUF_SIZE)
#define IN_DATA 0xfeed5eed

/*
 * ---- HW queues --------------------------------------------------------------
 *
 * The vIOMMU fixture's state, and BUF_PAGES small pages of memory mapped
 * read-write at BUF_IOVA in the nesting parent's IOAS.  Two of them are
 * physically contiguous only by chance, so a queue in the buffer stays
 * inside one page.
 */

FIXTURE(hw_queue)
{
	int fd;
	struct iommufd_viommu_base base;
	__u8 *buf;
};

FIXTURE_SETUP(hw_queue)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_viommu_base_err(self->fd, &self->base, NULL));
	self->buf = iommufd_alloc_small_pages(BUF_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->base.ioas_id,
						self->buf, BUF_SIZE, BUF_IOVA));
}

FIXTURE_TEARDOWN(hw_queue)
{
	close(self->fd);
	munmap(self->buf, BUF_SIZE);
}

/* IOMMU_HW_QUEUE_ALLOC of a command that is right but for @type, @flags */
static int queue_cmd_err(int fd, __u32 viommu_id, __u32 type, __u32 flags)
{
	struct iommu_hw_queue_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.viommu_id = viommu_id,
		.type = type,
		.nesting_parent_iova = BUF_IOVA,
		.length = PAGE_SIZE,
	};

	return iommufd_ioctl_err(fd, IOMMU_HW_QUEUE_ALLOC, &cmd);
}

/* The buffer at BUF_IOVA unmaps, and then nothing pins it */
static int buf_unmaps_unpinned_err(int fd, __u32 ioas_id, void *buf)
{
	int err = iommufd_ioas_unmap_err(fd, ioas_id, BUF_IOVA, BUF_SIZE);

	if (err)
		return err;
	return iommufd_check_refs_err(fd, buf, BUF_SIZE, 0);
}

TEST_F(hw_queue, queue_over_mapped_memory_is_allocated)
{
	__u32 hw_queue_id = 0;

	ASSERT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
						0, BUF_IOVA, PAGE_SIZE,
						&hw_queue_id));
	EXPECT_NE(0, hw_queue_id);
	EXPECT_NE(self->base.viommu_id, hw_queue_id);
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, hw_queue_id));
	EXPECT_EQ(ENOENT, iommufd_destroy_err(self->fd, hw_queue_id));
}

TEST_F(hw_queue, unknown_flags_are_eopnotsupp)
{
	EXPECT_EQ(EOPNOTSUPP, queue_cmd_err(self->fd, self->base.viommu_id,
					    IOMMU_HW_QUEUE_TYPE_SELFTEST, 1));
	EXPECT_EQ(EOPNOTSUPP,
		  queue_cmd_err(self->fd, self->base.viommu_id,
				IOMMU_HW_QUEUE_TYPE_SELFTEST, 1U << 31));
}

TEST_F(hw_queue, default_type_or_one_the_driver_lacks_is_eopnotsupp)
{
	EXPECT_EQ(EOPNOTSUPP, queue_cmd_err(self->fd, self->base.viommu_id,
					    IOMMU_HW_QUEUE_TYPE_DEFAULT, 0));
	EXPECT_EQ(EOPNOTSUPP,
		  queue_cmd_err(self->fd, self->base.viommu_id,
				IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, 0));
	EXPECT_EQ(EOPNOTSUPP,
		  queue_cmd_err(self->fd, self->base.viommu_id, 0xdead, 0));
}

TEST_F(hw_queue, length_of_zero_is_einval)
{
	EXPECT_EQ(EINVAL,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     BUF_IOVA, 0, NULL));
}

TEST_F(hw_queue, range_that_wraps_is_eoverflow)
{
	EXPECT_EQ(EOVERFLOW,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     UINT64_MAX - PAGE_SIZE + 1,
					     2 * PAGE_SIZE, NULL));
	EXPECT_EQ(EOVERFLOW,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     UINT64_MAX, 2, NULL));
	EXPECT_EQ(EOVERFLOW,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     BUF_IOVA, UINT64_MAX, NULL));
}

TEST_F(hw_queue, range_ending_at_the_top_of_the_iova_space_is_enoent)
{
	/* It does not wrap; nothing is mapped there */
	EXPECT_EQ(ENOENT,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     UINT64_MAX, 1, NULL));
	EXPECT_EQ(ENOENT,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     UINT64_MAX - PAGE_SIZE + 1,
					     PAGE_SIZE, NULL));
}

TEST_F(hw_queue, viommu_id_naming_no_viommu_is_enoent)
{
	const __u32 ids[] = { 0, NO_SUCH_ID, self->base.parent_id,
			      self->base.ioas_id };
	unsigned int i;

	for (i = 0; i != ARRAY_SIZE(ids); i++)
		EXPECT_EQ(ENOENT, iommufd_hw_queue_alloc_err(self->fd, ids[i],
							     0, BUF_IOVA,
							     PAGE_SIZE, NULL));
}

TEST_F(hw_queue, memory_not_mapped_in_the_ioas_is_enoent)
{
	EXPECT_EQ(ENOENT,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     NEXT_IOVA, PAGE_SIZE, NULL));
	/* Partly mapped: from the last page of the buffer on */
	EXPECT_EQ(ENOENT,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     NEXT_IOVA - PAGE_SIZE,
					     2 * PAGE_SIZE, NULL));
	EXPECT_EQ(ENOENT,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     BUF_IOVA - PAGE_SIZE / 2,
					     PAGE_SIZE, NULL));
	EXPECT_EQ(0, buf_unmaps_unpinned_err(self->fd, self->base.ioas_id,
					     self->buf));
}

TEST_F(hw_queue, index_above_the_drivers_last_is_einval)
{
	EXPECT_EQ(EINVAL,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
					     IOMMU_TEST_HW_QUEUE_MAX, BUF_IOVA,
					     PAGE_SIZE, NULL));
	EXPECT_EQ(EINVAL,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
					     UINT32_MAX, BUF_IOVA, PAGE_SIZE,
					     NULL));
	EXPECT_EQ(0, buf_unmaps_unpinned_err(self->fd, self->base.ioas_id,
					     self->buf));
}

TEST_F(hw_queue, queue_before_the_one_below_it_is_eio)
{
	EXPECT_EQ(EIO,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 1,
					     BUF_IOVA, PAGE_SIZE, NULL));
	EXPECT_EQ(0, buf_unmaps_unpinned_err(self->fd, self->base.ioas_id,
					     self->buf));
}

TEST_F(hw_queue, index_taken_is_eexist)
{
	__u32 q0_id, q1_id;

	ASSERT_EQ(0,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     BUF_IOVA, PAGE_SIZE, &q0_id));
	EXPECT_EQ(EEXIST,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     BUF_IOVA + PAGE_SIZE, PAGE_SIZE,
					     NULL));
	ASSERT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
						1, BUF_IOVA + PAGE_SIZE,
						PAGE_SIZE, &q1_id));
	EXPECT_EQ(EEXIST,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 1,
					     BUF_IOVA + 2 * PAGE_SIZE,
					     PAGE_SIZE, NULL));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, q1_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, q0_id));
	/* The refused ones pinned nothing either */
	EXPECT_EQ(0, buf_unmaps_unpinned_err(self->fd, self->base.ioas_id,
					     self->buf));
}

TEST_F(hw_queue, queue_is_busy_while_the_next_index_needs_it)
{
	__u32 q0_id, q1_id;

	ASSERT_EQ(0,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     BUF_IOVA, PAGE_SIZE, &q0_id));
	ASSERT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
						1, BUF_IOVA + PAGE_SIZE,
						PAGE_SIZE, &q1_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, q0_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, q1_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, q0_id));
	/* Index 1 needs index 0 again */
	EXPECT_EQ(EIO,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 1,
					     BUF_IOVA, PAGE_SIZE, NULL));
}

TEST_F(hw_queue, index_freed_by_a_destroy_can_be_taken_again)
{
	__u32 q0_id;

	ASSERT_EQ(0,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     BUF_IOVA, PAGE_SIZE, &q0_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, q0_id));
	ASSERT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
						0, BUF_IOVA + PAGE_SIZE,
						PAGE_SIZE, &q0_id));
	EXPECT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
						1, BUF_IOVA, PAGE_SIZE, NULL));
}

TEST_F(hw_queue, each_viommu_numbers_its_own_queues)
{
	__u32 viommu2_id, q_id;

	ASSERT_EQ(0, iommufd_viommu_alloc_err(self->fd, self->base.idev_id,
					      self->base.parent_id,
					      IOMMU_VIOMMU_TYPE_SELFTEST,
					      &viommu2_id));
	ASSERT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
						0, BUF_IOVA, PAGE_SIZE, NULL));
	/* The same memory too: pins are counted */
	ASSERT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, viommu2_id, 0,
						BUF_IOVA, PAGE_SIZE, &q_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, viommu2_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, q_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, viommu2_id));
	EXPECT_EQ(EBUSY, iommufd_ioas_unmap_err(self->fd, self->base.ioas_id,
						BUF_IOVA, BUF_SIZE));
}

TEST_F(hw_queue, unmapping_queue_memory_is_ebusy_and_keeps_the_mapping)
{
	__u32 q_id;

	ASSERT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
						0, BUF_IOVA + PAGE_SIZE,
						PAGE_SIZE, &q_id));
	EXPECT_EQ(EBUSY, iommufd_ioas_unmap_err(self->fd, self->base.ioas_id,
						BUF_IOVA, BUF_SIZE));
	/* Still mapped, in the IOAS and in the domain */
	EXPECT_EQ(0, iommufd_check_map_err(self->fd, self->base.parent_id,
					   BUF_IOVA, BUF_SIZE, self->buf));
	EXPECT_EQ(EEXIST,
		  iommufd_ioas_map_fixed_err(self->fd, self->base.ioas_id,
					     self->buf, PAGE_SIZE,
					     BUF_IOVA + PAGE_SIZE));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, q_id));
	EXPECT_EQ(0, buf_unmaps_unpinned_err(self->fd, self->base.ioas_id,
					     self->buf));
}

TEST_F(hw_queue, unmapping_everything_is_ebusy_and_unmaps_nothing)
{
	__u8 *other;
	__u32 q_id;

	other = iommufd_alloc_small_pages(PAGE_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, other);
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->base.ioas_id,
						other, PAGE_SIZE, NEXT_IOVA));
	ASSERT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
						0, BUF_IOVA, PAGE_SIZE, &q_id));
	EXPECT_EQ(EBUSY, iommufd_ioas_unmap_err(self->fd, self->base.ioas_id, 0,
						UINT64_MAX));
	EXPECT_EQ(0, iommufd_check_map_err(self->fd, self->base.parent_id,
					   NEXT_IOVA, PAGE_SIZE, other));
	EXPECT_EQ(0, iommufd_check_map_err(self->fd, self->base.parent_id,
					   BUF_IOVA, BUF_SIZE, self->buf));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, q_id));
	EXPECT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->base.ioas_id, 0,
					    UINT64_MAX));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
	munmap(other, PAGE_SIZE);
}

TEST_F(hw_queue, mapping_next_to_queue_memory_unmaps)
{
	__u8 *other;
	__u32 q_id;

	other = iommufd_alloc_small_pages(PAGE_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, other);
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->base.ioas_id,
						other, PAGE_SIZE, NEXT_IOVA));
	/* The queue's last page is the buffer's, right before the other */
	ASSERT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
						0, NEXT_IOVA - PAGE_SIZE,
						PAGE_SIZE, &q_id));
	EXPECT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->base.ioas_id,
					    NEXT_IOVA, PAGE_SIZE));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, other, PAGE_SIZE, 0));
	EXPECT_EQ(EBUSY, iommufd_ioas_unmap_err(self->fd, self->base.ioas_id,
						BUF_IOVA, BUF_SIZE));
	munmap(other, PAGE_SIZE);
}

TEST_F(hw_queue, unaligned_queue_inside_one_page)
{
	__u32 q_id;

	ASSERT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
						0, BUF_IOVA + PAGE_SIZE / 2,
						PAGE_SIZE / 2, &q_id));
	EXPECT_EQ(EBUSY, iommufd_ioas_unmap_err(self->fd, self->base.ioas_id,
						BUF_IOVA, BUF_SIZE));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, q_id));
	/* Odd sizes and offsets too: the queue is pinned by whole pages */
	ASSERT_EQ(0,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     BUF_IOVA + 3 * PAGE_SIZE + 100,
					     200, &q_id));
	EXPECT_EQ(EBUSY, iommufd_ioas_unmap_err(self->fd, self->base.ioas_id,
						BUF_IOVA, BUF_SIZE));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, q_id));
	EXPECT_EQ(0, buf_unmaps_unpinned_err(self->fd, self->base.ioas_id,
					     self->buf));
}

TEST_F(hw_queue, queue_on_read_only_memory)
{
	__u64 iova = NEXT_IOVA;
	__u8 *other;
	__u32 q_id;

	other = iommufd_alloc_small_pages(PAGE_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, other);
	/* The IOMMU only reads its queues */
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->base.ioas_id,
					  IOMMU_IOAS_MAP_FIXED_IOVA |
						  IOMMU_IOAS_MAP_READABLE,
					  other, PAGE_SIZE, &iova));
	ASSERT_EQ(0,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     NEXT_IOVA, PAGE_SIZE, &q_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, q_id));
	EXPECT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->base.ioas_id,
					    NEXT_IOVA, PAGE_SIZE));
	munmap(other, PAGE_SIZE);
}

TEST_F(hw_queue, queue_over_two_pages_of_one_huge_page)
{
	__u64 iova = NEXT_IOVA + SZ_2M;
	__u8 *huge;
	__u32 q_id;

	huge = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (huge == MAP_FAILED)
		SKIP(return, "no 2 MiB hugetlb page: %s", strerror(errno));
	memset(huge, 0x3c, SZ_2M);
	iova &= ~(SZ_2M - 1);
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->base.ioas_id,
						huge, SZ_2M, iova));
	/* Physically contiguous, being one page of the CPU */
	ASSERT_EQ(0,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     iova + 5 * PAGE_SIZE +
						     PAGE_SIZE / 2,
					     PAGE_SIZE, &q_id));
	EXPECT_EQ(EBUSY, iommufd_ioas_unmap_err(self->fd, self->base.ioas_id,
						iova, SZ_2M));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, q_id));
	ASSERT_EQ(0,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     iova, 16 * PAGE_SIZE, &q_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, q_id));
	EXPECT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->base.ioas_id, iova,
					    SZ_2M));
	munmap(huge, SZ_2M);
}

TEST_F(hw_queue, queue_over_pages_that_are_not_contiguous_is_efault)
{
	/*
	 * The same page twice, at consecutive IOVAs: certainly not one
	 * physical run
	 */
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->base.ioas_id,
					     self->buf, PAGE_SIZE, NEXT_IOVA));
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->base.ioas_id,
						self->buf, PAGE_SIZE,
						NEXT_IOVA + PAGE_SIZE));
	EXPECT_EQ(EFAULT,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     NEXT_IOVA + PAGE_SIZE / 2,
					     PAGE_SIZE, NULL));
	EXPECT_EQ(EFAULT,
		  iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id, 0,
					     NEXT_IOVA, 2 * PAGE_SIZE, NULL));
	/* Either page alone will do */
	EXPECT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
						0, NEXT_IOVA + PAGE_SIZE,
						PAGE_SIZE, NULL));
	/* The refused queues left no pin behind */
	EXPECT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->base.ioas_id,
					    NEXT_IOVA, PAGE_SIZE));
}

TEST_F(hw_queue, closing_the_context_unpins_queue_memory)
{
	int fd;

	ASSERT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
						0, BUF_IOVA, PAGE_SIZE, NULL));
	ASSERT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, self->base.viommu_id,
						1, BUF_IOVA + 2 * PAGE_SIZE,
						PAGE_SIZE, NULL));
	ASSERT_EQ(0, close(self->fd));
	fd = iommufd_open();
	ASSERT_LE(0, fd);
	self->fd = fd;
	EXPECT_EQ(0, iommufd_check_refs_err(fd, self->buf, BUF_SIZE, 0));
}

TEST_F(hw_queue, struct_size_rules)
{
	struct {
		struct iommu_hw_queue_alloc cmd;
		__u64 tail;
	} big = {
		.cmd = {
			.viommu_id = self->base.viommu_id,
			.type = IOMMU_HW_QUEUE_TYPE_SELFTEST,
			.nesting_parent_iova = BUF_IOVA,
			.length = PAGE_SIZE,
		},
	};

	big.cmd.size = sizeof(big.cmd) - 1;
	EXPECT_EQ(EINVAL,
		  iommufd_ioctl_err(self->fd, IOMMU_HW_QUEUE_ALLOC, &big.cmd));
	big.cmd.size = sizeof(big);
	big.tail = 1;
	EXPECT_EQ(E2BIG,
		  iommufd_ioctl_err(self->fd, IOMMU_HW_QUEUE_ALLOC, &big.cmd));
	big.tail = 0;
	ASSERT_EQ(0,
		  iommufd_ioctl_err(self->fd, IOMMU_HW_QUEUE_ALLOC, &big.cmd));
	EXPECT_NE(0, big.cmd.out_hw_queue_id);
}

/*
 * ---- mmap() of a vIOMMU's region ------------------------------------------
 *
 * The vIOMMU fixture's state; the vIOMMU's data gave the region's offset
 * and length.
 */

FIXTURE(viommu_mmap)
{
	int fd;
	struct iommufd_viommu_base base;
	struct iommu_viommu_selftest data;
	off_t offset;
	size_t length;
};

FIXTURE_SETUP(viommu_mmap)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	self->data.in_data = IN_DATA;
	ASSERT_EQ(0,
		  iommufd_viommu_base_err(self->fd, &self->base, &self->data));
	self->offset = self->data.out_mmap_offset;
	self->length = self->data.out_mmap_length;
	ASSERT_EQ(2 * PAGE_SIZE, self->length);
}

FIXTURE_TEARDOWN(viommu_mmap)
{
	close(self->fd);
}

/* mmap() of the iommufd: the address, or MAP_FAILED with errno set */
static void *map_region(int fd, off_t offset, size_t length, int prot,
			int flags)
{
	return mmap(NULL, length, prot, flags, fd, offset);
}

/* The errno of a mmap() that must fail, or 0 if it did not */
static int map_region_err(int fd, off_t offset, size_t length, int prot,
			  int flags)
{
	void *va = map_region(fd, offset, length, prot, flags);

	if (va != MAP_FAILED) {
		munmap(va, length);
		return 0;
	}
	return errno;
}

TEST_F(viommu_mmap, region_maps_shared_and_holds_in_data)
{
	__u32 *region;
	size_t i;

	region = map_region(self->fd, self->offset, self->length,
			    PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, region);
	EXPECT_EQ(IN_DATA, region[0]);
	for (i = 1; i != self->length / sizeof(*region); i++)
		if (region[i])
			break;
	EXPECT_EQ(self->length / sizeof(*region), i);
	ASSERT_EQ(0, munmap(region, self->length));
}

TEST_F(viommu_mmap, any_other_offset_or_length_is_enxio)
{
	const struct {
		off_t offset;
		size_t length;
	} tries[] = {
		{ self->offset + PAGE_SIZE, PAGE_SIZE },
		{ self->offset + PAGE_SIZE, self->length },
		{ self->offset + self->length, self->length },
		{ self->offset - PAGE_SIZE, self->length },
		{ 0, self->length },
		{ self->offset, self->length / 2 },
		{ self->offset, 2 * self->length },
		{ self->offset + 64 * PAGE_SIZE, self->length },
	};
	unsigned int i;

	for (i = 0; i != ARRAY_SIZE(tries); i++) {
		EXPECT_EQ(ENXIO, map_region_err(self->fd, tries[i].offset,
						tries[i].length, PROT_READ,
						MAP_SHARED));
	}
	/* Nothing was left holding the vIOMMU */
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
}

TEST_F(viommu_mmap, private_mapping_is_einval)
{
	EXPECT_EQ(EINVAL, map_region_err(self->fd, self->offset, self->length,
					 PROT_READ, MAP_PRIVATE));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
}

TEST_F(viommu_mmap, executable_mapping_is_eperm)
{
	EXPECT_EQ(EPERM, map_region_err(self->fd, self->offset, self->length,
					PROT_READ | PROT_EXEC, MAP_SHARED));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
}

TEST_F(viommu_mmap, region_cannot_be_made_executable_later)
{
	void *region;

	region = map_region(self->fd, self->offset, self->length, PROT_READ,
			    MAP_SHARED);
	ASSERT_NE(MAP_FAILED, region);
	EXPECT_EQ(-1, mprotect(region, self->length, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	ASSERT_EQ(0, munmap(region, self->length));
}

TEST_F(viommu_mmap, viommu_is_busy_until_the_region_is_unmapped)
{
	void *first, *second;

	/* Each mapping holds the vIOMMU on its own */
	first = map_region(self->fd, self->offset, self->length, PROT_READ,
			   MAP_SHARED);
	ASSERT_NE(MAP_FAILED, first);
	second = map_region(self->fd, self->offset, self->length, PROT_READ,
			    MAP_SHARED);
	ASSERT_NE(MAP_FAILED, second);
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));
	ASSERT_EQ(0, munmap(first, self->length));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));
	ASSERT_EQ(0, munmap(second, self->length));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
}

TEST_F(viommu_mmap, partly_unmapped_region_holds_until_the_last_piece_goes)
{
	__u8 *region;

	region = map_region(self->fd, self->offset, self->length, PROT_READ,
			    MAP_SHARED);
	ASSERT_NE(MAP_FAILED, region);
	/* Splits the mapping; the second page stays */
	ASSERT_EQ(0, munmap(region, PAGE_SIZE));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));
	EXPECT_EQ(0, *(__u32 *)(region + PAGE_SIZE));
	ASSERT_EQ(0, munmap(region + PAGE_SIZE, PAGE_SIZE));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
}

TEST_F(viommu_mmap, mapping_split_by_mprotect_holds_until_both_go)
{
	__u8 *region;

	region = map_region(self->fd, self->offset, self->length,
			    PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, region);
	ASSERT_EQ(0, mprotect(region + PAGE_SIZE, PAGE_SIZE, PROT_READ));
	ASSERT_EQ(0, munmap(region + PAGE_SIZE, PAGE_SIZE));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));
	ASSERT_EQ(0, munmap(region, PAGE_SIZE));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
}

TEST_F(viommu_mmap, forked_child_keeps_the_viommu_busy_until_it_exits)
{
	int to_child[2], from_child[2];
	__u32 *region;
	int status;
	pid_t pid;
	char byte;

	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(from_child));
	region = map_region(self->fd, self->offset, self->length, PROT_READ,
			    MAP_SHARED);
	ASSERT_NE(MAP_FAILED, region);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* The child's copy of the mapping reads the vIOMMU too */
		byte = region[0] == IN_DATA ? 'y' : 'n';
		if (write(from_child[1], &byte, 1) != 1 ||
		    read(to_child[0], &byte, 1) != 1)
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(1, read(from_child[0], &byte, 1));
	EXPECT_EQ('y', byte);
	ASSERT_EQ(0, munmap(region, self->length));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));

	ASSERT_EQ(1, write(to_child[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
	close(to_child[0]);
	close(to_child[1]);
	close(from_child[0]);
	close(from_child[1]);
}

TEST_F(viommu_mmap, each_viommu_maps_its_own_region)
{
	struct iommu_viommu_selftest data2 = { .in_data = 0x2222 };
	__u32 viommu2_id, *region2;

	ASSERT_EQ(0, iommufd_mock_viommu_alloc_err(self->fd, self->base.idev_id,
						   self->base.parent_id, &data2,
						   &viommu2_id));
	EXPECT_NE(self->offset, data2.out_mmap_offset);
	region2 = map_region(self->fd, data2.out_mmap_offset,
			     data2.out_mmap_length, PROT_READ, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, region2);
	EXPECT_EQ(0x2222, region2[0]);
	/* It holds its own vIOMMU only */
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, viommu2_id));
	ASSERT_EQ(0, munmap(region2, data2.out_mmap_length));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, viommu2_id));
}

TEST_F(viommu_mmap, region_of_a_destroyed_viommu_is_gone)
{
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
	EXPECT_EQ(ENXIO, map_region_err(self->fd, self->offset, self->length,
					PROT_READ, MAP_SHARED));
}

TEST_F(viommu_mmap, another_context_cannot_map_the_region)
{
	int other_fd = iommufd_open();

	ASSERT_LE(0, other_fd);
	EXPECT_EQ(ENXIO, map_region_err(other_fd, self->offset, self->length,
					PROT_READ, MAP_SHARED));
	close(other_fd);
}

TEST_F(viommu_mmap, mapping_outlives_the_closed_iommufd)
{
	__u32 *region;

	region = map_region(self->fd, self->offset, self->length, PROT_READ,
			    MAP_SHARED);
	ASSERT_NE(MAP_FAILED, region);
	/* The mapping's file keeps the context and the vIOMMU */
	ASSERT_EQ(0, close(self->fd));
	EXPECT_EQ(IN_DATA, region[0]);
	ASSERT_EQ(0, munmap(region, self->length));
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
}

TEST_HARNESS_MAIN
