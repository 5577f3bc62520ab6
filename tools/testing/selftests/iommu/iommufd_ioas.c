// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOAS page table without any device: IOMMU_IOAS_MAP, MAP_FILE, UNMAP,
 * COPY, IOVA_RANGES and ALLOW_IOVAS, their argument checks, and how
 * IOVAs are placed.  One behaviour per test, named after the behaviour.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "iommufd_helpers.h"
#include "iommufd_uffd.h"

/* 4 MiB: two 2 MiB aligned halves */
#define BUF_PAGES 1024

FIXTURE(ioas)
{
	int fd;
	__u32 ioas_id;
	/* BUF_SIZE bytes, 2 MiB aligned */
	__u8 *buf;
};

FIXTURE_SETUP(ioas)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &self->ioas_id));
	self->buf = iommufd_mmap_aligned(BUF_SIZE, SZ_2M,
					 PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(ioas)
{
	munmap(self->buf, BUF_SIZE);
	close(self->fd);
}

/* ---- IOMMU_IOAS_MAP ------------------------------------------------------ */

TEST_F(ioas, map_at_a_fixed_iova_and_unmap_it)
{
	__u64 iova = 0x100000, unmapped = 0;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					  self->buf, 0x4000, &iova));
	EXPECT_EQ(0x100000, iova);
	ASSERT_EQ(0, iommufd_ioas_unmap_count_err(self->fd, self->ioas_id, iova,
						  0x4000, &unmapped));
	EXPECT_EQ(0x4000, unmapped);
}

TEST_F(ioas, automatic_iova_is_never_zero)
{
	__u64 iova = 0;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, RW,
					  self->buf, PAGE_SIZE, &iova));
	EXPECT_NE(0, iova);
}

TEST_F(ioas, automatic_iova_copies_a_2m_alignment)
{
	__u64 iova = 0;

	/* Occupy a low range so the next fit is not trivially aligned */
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, RW,
					  self->buf + 0x3000, 0x1000, &iova));
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, RW,
					  self->buf, SZ_2M, &iova));
	EXPECT_EQ(0, iova % SZ_2M);
}

TEST_F(ioas, automatic_iova_keeps_the_offset_in_the_page)
{
	__u64 iova = 0;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, RW,
					  self->buf + 0x800, 0x2000, &iova));
	EXPECT_EQ(0x800, iova % PAGE_SIZE);
}

TEST_F(ioas, map_without_read_or_write_is_einval)
{
	__u64 iova = 0x100000;

	EXPECT_EQ(EINVAL, iommufd_ioas_map_err(self->fd, self->ioas_id,
					       IOMMU_IOAS_MAP_FIXED_IOVA,
					       self->buf, PAGE_SIZE, &iova));
}

TEST_F(ioas, map_with_unknown_flags_is_eopnotsupp)
{
	unsigned int bit;
	__u64 iova = 0;

	for (bit = 3; bit != 32; bit++)
		EXPECT_EQ(EOPNOTSUPP,
			  iommufd_ioas_map_err(self->fd, self->ioas_id,
					       RW | (1u << bit), self->buf,
					       PAGE_SIZE, &iova));
}

TEST_F(ioas, map_with_reserved_field_set_is_eopnotsupp)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = RW,
		.ioas_id = self->ioas_id,
		.__reserved = 1,
		.user_va = (__u64)(uintptr_t)self->buf,
		.length = PAGE_SIZE,
	};

	EXPECT_EQ(EOPNOTSUPP, iommufd_ioctl_err(self->fd, IOMMU_IOAS_MAP,
						&cmd));
}

TEST_F(ioas, map_of_zero_bytes_is_einval)
{
	__u64 iova = 0x100000;

	EXPECT_EQ(EINVAL, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					       self->buf, 0, &iova));
}

TEST_F(ioas, map_lengths_and_iovas_that_overflow_are_eoverflow)
{
	__u64 iova = 0x100000;

	EXPECT_EQ(EOVERFLOW,
		  iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
				       self->buf, (__u64)-1, &iova));
	iova = (__u64)-1;
	EXPECT_EQ(EOVERFLOW,
		  iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
				       self->buf, PAGE_SIZE, &iova));
	/* The IOVA range itself wraps */
	iova = (__u64)-PAGE_SIZE;
	EXPECT_EQ(EOVERFLOW,
		  iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
				       self->buf, 2 * PAGE_SIZE, &iova));
	/* So does the user range */
	iova = 0x100000;
	EXPECT_EQ(EOVERFLOW,
		  iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
				       (void *)(uintptr_t)-PAGE_SIZE,
				       2 * PAGE_SIZE, &iova));
}

TEST_F(ioas, map_on_an_unknown_ioas_is_enoent)
{
	__u64 iova = 0;

	EXPECT_EQ(ENOENT, iommufd_ioas_map_err(self->fd, NO_SUCH_ID, RW,
					       self->buf, PAGE_SIZE, &iova));
}

/*
 * With several things wrong, the errno is upstream's: unknown flags, then
 * IOVA or length too large, then no access, then the IOAS, then the
 * memory.
 */
TEST_F(ioas, map_reports_the_first_problem_in_upstreams_order)
{
	const __u32 no_access = IOMMU_IOAS_MAP_FIXED_IOVA;
	__u64 iova = (__u64)-1;

	EXPECT_EQ(EOVERFLOW,
		  iommufd_ioas_map_err(self->fd, NO_SUCH_ID, no_access,
				       self->buf, PAGE_SIZE, &iova));
	iova = 0x100000;
	EXPECT_EQ(EINVAL, iommufd_ioas_map_err(self->fd, NO_SUCH_ID, no_access,
					       self->buf, PAGE_SIZE, &iova));
	EXPECT_EQ(ENOENT, iommufd_ioas_map_err(self->fd, NO_SUCH_ID, FIXED,
					       self->buf, 0, &iova));
	EXPECT_EQ(ENOENT, iommufd_ioas_map_err(self->fd, NO_SUCH_ID, FIXED,
					       (void *)(uintptr_t)-PAGE_SIZE,
					       2 * PAGE_SIZE, &iova));
}

TEST_F(ioas, copy_reports_a_bad_source_range_before_a_bad_destination)
{
	__u64 dst_iova = 0x100000;

	EXPECT_EQ(EINVAL,
		  iommufd_ioas_copy_err(self->fd, NO_SUCH_ID, self->ioas_id,
					FIXED, 0x100000, 0, &dst_iova));
	EXPECT_EQ(EOVERFLOW,
		  iommufd_ioas_copy_err(self->fd, NO_SUCH_ID, self->ioas_id,
					FIXED, (__u64)-PAGE_SIZE, 2 * PAGE_SIZE,
					&dst_iova));
}

TEST_F(ioas, fixed_map_over_an_existing_mapping_is_eexist)
{
	static const struct { __u64 iova, length; } overlaps[] = {
		{ 0x100000, 0x4000 },	/* the same */
		{ 0x0ff000, 0x2000 },	/* its head */
		{ 0x103000, 0x2000 },	/* its tail */
		{ 0x101000, 0x1000 },	/* inside */
		{ 0x0f0000, 0x20000 },	/* around it */
	};
	__u64 iova = 0x100000;
	size_t i;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					  self->buf, 0x4000, &iova));
	for (i = 0; i != ARRAY_SIZE(overlaps); i++) {
		iova = overlaps[i].iova;
		EXPECT_EQ(EEXIST,
			  iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					       self->buf, overlaps[i].length,
					       &iova));
	}
}

TEST_F(ioas, fixed_maps_may_touch_on_both_sides)
{
	__u64 iova = 0x100000;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					  self->buf, 0x4000, &iova));
	iova = 0x0fc000;
	EXPECT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					  self->buf, 0x4000, &iova));
	iova = 0x104000;
	EXPECT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					  self->buf, 0x4000, &iova));
}

TEST_F(ioas, the_same_memory_may_be_mapped_many_times)
{
	__u64 iova;
	int i;

	for (i = 0; i != 16; i++) {
		iova = 0;
		ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, RW,
						  self->buf, BUF_SIZE, &iova));
	}
}

/* ---- IOMMU_IOAS_UNMAP ---------------------------------------------------- */

TEST_F(ioas, unmap_of_nothing_is_enoent)
{
	EXPECT_EQ(ENOENT, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
						 0x100000, PAGE_SIZE));
}

TEST_F(ioas, unmap_of_zero_bytes_is_einval)
{
	EXPECT_EQ(EINVAL,
		  iommufd_ioas_unmap_err(self->fd, self->ioas_id, 0x100000, 0));
}

TEST_F(ioas, unmap_of_overflowing_ranges_is_eoverflow)
{
	EXPECT_EQ(EOVERFLOW, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
						    PAGE_SIZE, (__u64)-1));
	EXPECT_EQ(EOVERFLOW,
		  iommufd_ioas_unmap_err(self->fd, self->ioas_id,
					 (__u64)-PAGE_SIZE, 2 * PAGE_SIZE));
}

TEST_F(ioas, unmap_that_cuts_a_mapping_fails_and_keeps_it)
{
	__u64 iova = 0x100000, unmapped = 0;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					  self->buf, 0x4000, &iova));
	EXPECT_EQ(ENOENT, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
						 0x100000, 0x1000));
	EXPECT_EQ(ENOENT, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
						 0x103000, 0x2000));
	ASSERT_EQ(0, iommufd_ioas_unmap_count_err(self->fd, self->ioas_id,
						  0x100000, 0x4000, &unmapped));
	EXPECT_EQ(0x4000, unmapped);
}

TEST_F(ioas, unmap_of_a_range_removes_every_mapping_inside)
{
	__u64 iova, unmapped = 0;
	int i;

	for (i = 0; i != 3; i++) {
		iova = 0x100000 + i * 0x10000;
		ASSERT_EQ(0,
			  iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					       self->buf, 0x2000, &iova));
	}
	ASSERT_EQ(0,
		  iommufd_ioas_unmap_count_err(self->fd, self->ioas_id,
					       0x0f0000, 0x40000, &unmapped));
	EXPECT_EQ(3 * 0x2000, unmapped);
	EXPECT_EQ(ENOENT, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
						 0x0f0000, 0x40000));
}

TEST_F(ioas, failed_unmap_removes_nothing_at_all)
{
	__u64 iova, unmapped = 0;

	iova = 0x100000;
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					  self->buf, 0x2000, &iova));
	iova = 0x110000;
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					  self->buf, 0x4000, &iova));
	/* Covers the first mapping whole but only half of the second */
	EXPECT_EQ(ENOENT, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
						 0x100000, 0x12000));
	ASSERT_EQ(0, iommufd_ioas_unmap_count_err(self->fd, self->ioas_id,
						  0x100000, 0x2000, &unmapped));
	EXPECT_EQ(0x2000, unmapped);
}

TEST_F(ioas, unmap_all_reports_every_byte)
{
	__u64 iova, unmapped = 0;
	int i;

	for (i = 0; i != 5; i++) {
		iova = 0;
		ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, RW,
						  self->buf, 0x3000, &iova));
	}
	ASSERT_EQ(0, iommufd_ioas_unmap_count_err(self->fd, self->ioas_id, 0,
						  (__u64)-1, &unmapped));
	EXPECT_EQ(5 * 0x3000, unmapped);
}

TEST_F(ioas, unmap_all_of_an_empty_ioas_succeeds)
{
	__u64 unmapped = 1;

	ASSERT_EQ(0, iommufd_ioas_unmap_count_err(self->fd, self->ioas_id, 0,
						  (__u64)-1, &unmapped));
	EXPECT_EQ(0, unmapped);
}

/* ---- IOMMU_IOAS_IOVA_RANGES ---------------------------------------------- */

TEST_F(ioas, new_ioas_offers_all_iova_with_no_alignment)
{
	struct iommu_iova_range ranges[4] = {};
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.num_iovas = ARRAY_SIZE(ranges),
		.allowed_iovas = (__u64)(uintptr_t)ranges,
	};

	ASSERT_EQ(0, iommufd_ioctl_err(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	EXPECT_EQ(1, cmd.num_iovas);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ((__u64)-1, ranges[0].last);
	EXPECT_EQ(1, cmd.out_iova_alignment);
}

TEST_F(ioas, iova_ranges_into_a_short_array_is_emsgsize_with_the_count)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
	};

	EXPECT_EQ(EMSGSIZE, iommufd_ioctl_err(self->fd, IOMMU_IOAS_IOVA_RANGES,
					      &cmd));
	EXPECT_EQ(1, cmd.num_iovas);
}

TEST_F(ioas, iova_ranges_with_reserved_field_set_is_eopnotsupp)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.__reserved = 1,
	};

	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_ioctl_err(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
}

TEST_F(ioas, iova_ranges_into_unwritable_memory_is_efault)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.num_iovas = 1,
		.allowed_iovas = 8,
	};

	EXPECT_EQ(EFAULT, iommufd_ioctl_err(self->fd, IOMMU_IOAS_IOVA_RANGES,
					    &cmd));
}

/* ---- IOMMU_IOAS_ALLOW_IOVAS ---------------------------------------------- */

TEST_F(ioas, allowed_range_must_not_end_before_it_starts)
{
	struct iommu_iova_range range = { .start = 0x5000, .last = 0x4fff };

	EXPECT_EQ(EINVAL, iommufd_ioas_allow_iovas_err(self->fd, self->ioas_id,
						       &range, 1));
}

TEST_F(ioas, allowed_range_of_a_single_byte_is_taken)
{
	struct iommu_iova_range range = { .start = 0x5000, .last = 0x5000 };
	__u64 iova = 0;

	ASSERT_EQ(0, iommufd_ioas_allow_iovas_err(self->fd, self->ioas_id,
						  &range, 1));
	/* Nothing of a page fits in it */
	EXPECT_EQ(ENOSPC, iommufd_ioas_map_err(self->fd, self->ioas_id, RW,
					       self->buf, 0x1000, &iova));
}

TEST_F(ioas, overlapping_allowed_ranges_are_einval)
{
	struct iommu_iova_range ranges[] = {
		{ .start = 0x100000, .last = 0x1fffff },
		{ .start = 0x180000, .last = 0x2fffff },
	};

	EXPECT_EQ(EINVAL, iommufd_ioas_allow_iovas_err(self->fd, self->ioas_id,
						       ranges, 2));
}

TEST_F(ioas, allowed_ranges_from_unreadable_memory_are_efault)
{
	EXPECT_EQ(EFAULT,
		  iommufd_ioas_allow_iovas_err(self->fd, self->ioas_id,
					       (struct iommu_iova_range *)8,
					       1));
}

TEST_F(ioas, many_allowed_ranges_are_all_taken)
{
	struct iommu_iova_range ranges[40];
	__u64 iova;
	int i;

	for (i = 0; i != 40; i++) {
		ranges[i].start = 0x10000000 + i * 0x100000;
		ranges[i].last = ranges[i].start + 0xfff;
	}
	ASSERT_EQ(0, iommufd_ioas_allow_iovas_err(self->fd, self->ioas_id,
						  ranges, 40));
	/* One page fits each range, so the 41st map has nowhere to go */
	for (i = 0; i != 40; i++) {
		iova = 0;
		ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, RW,
						  self->buf, PAGE_SIZE, &iova));
		EXPECT_EQ(0, (iova - 0x10000000) % 0x100000);
	}
	iova = 0;
	EXPECT_EQ(ENOSPC, iommufd_ioas_map_err(self->fd, self->ioas_id, RW,
					       self->buf, PAGE_SIZE, &iova));
}

TEST_F(ioas, overlap_found_in_a_later_batch_of_ranges_is_einval)
{
	struct iommu_iova_range ranges[40];
	__u64 iova = 0;
	int i;

	for (i = 0; i != 40; i++) {
		ranges[i].start = 0x10000000 + i * 0x100000;
		ranges[i].last = ranges[i].start + 0xfff;
	}
	ranges[39] = ranges[2];
	EXPECT_EQ(EINVAL, iommufd_ioas_allow_iovas_err(self->fd, self->ioas_id,
						       ranges, 40));
	/* Nothing of the rejected list took effect */
	EXPECT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, RW,
					  self->buf, 0x4000, &iova));
	EXPECT_GT(0x10000000, iova);
}

TEST_F(ioas, huge_range_count_from_a_short_array_is_efault)
{
	struct iommu_iova_range *last_in_page;
	__u8 *pages;

	/* One valid range right before memory that is not there */
	pages = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	ASSERT_EQ(0, munmap(pages + PAGE_SIZE, PAGE_SIZE));
	last_in_page = (void *)(pages + PAGE_SIZE - sizeof(*last_in_page));
	last_in_page->start = 0x100000;
	last_in_page->last = 0x1fffff;
	EXPECT_EQ(EFAULT,
		  iommufd_ioas_allow_iovas_err(self->fd, self->ioas_id,
					       last_in_page, 0xffffffff));
	munmap(pages, PAGE_SIZE);
}

TEST_F(ioas, automatic_iova_stays_inside_the_allowed_ranges)
{
	struct iommu_iova_range ranges[] = {
		{ .start = 0x10000000, .last = 0x1000ffff },
		{ .start = 0x20000000, .last = 0x2fffffff },
	};
	__u64 iova = 0;
	int i;

	ASSERT_EQ(0, iommufd_ioas_allow_iovas_err(self->fd, self->ioas_id,
						  ranges, 2));
	for (i = 0; i != 20; i++) {
		iova = 0;
		ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, RW,
						  self->buf, 0x4000, &iova));
		EXPECT_TRUE((iova >= ranges[0].start &&
			     iova + 0x4000 - 1 <= ranges[0].last) ||
			    (iova >= ranges[1].start &&
			     iova + 0x4000 - 1 <= ranges[1].last));
	}
}

TEST_F(ioas, automatic_iova_that_fits_no_allowed_range_is_enospc)
{
	struct iommu_iova_range range = { .start = 0x100000,
					  .last = 0x101fff };
	__u64 iova = 0;

	ASSERT_EQ(0, iommufd_ioas_allow_iovas_err(self->fd, self->ioas_id,
						  &range, 1));
	EXPECT_EQ(ENOSPC, iommufd_ioas_map_err(self->fd, self->ioas_id, RW,
					       self->buf, 0x4000, &iova));
	/* A fixed IOVA does not care about allowed ranges */
	iova = 0x400000;
	EXPECT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					  self->buf, 0x4000, &iova));
}

TEST_F(ioas, an_empty_allowed_list_lifts_the_restriction)
{
	struct iommu_iova_range range = { .start = 0x100000,
					  .last = 0x101fff };
	__u64 iova = 0;

	ASSERT_EQ(0, iommufd_ioas_allow_iovas_err(self->fd, self->ioas_id,
						  &range, 1));
	ASSERT_EQ(0, iommufd_ioas_allow_iovas_err(self->fd, self->ioas_id, NULL,
						  0));
	EXPECT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, RW,
					  self->buf, 0x4000, &iova));
}

/* ---- IOMMU_IOAS_COPY ------------------------------------------------------ */

TEST_F(ioas, copy_within_one_ioas_outlives_the_source)
{
	__u64 src = 0x100000, dst = 0, unmapped = 0;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					  self->buf, 0x8000, &src));
	ASSERT_EQ(0,
		  iommufd_ioas_copy_err(self->fd, self->ioas_id, self->ioas_id,
					RW, src, 0x8000, &dst));
	EXPECT_NE(src, dst);
	ASSERT_EQ(0,
		  iommufd_ioas_unmap_err(self->fd, self->ioas_id, src, 0x8000));
	ASSERT_EQ(0, iommufd_ioas_unmap_count_err(self->fd, self->ioas_id, dst,
						  0x8000, &unmapped));
	EXPECT_EQ(0x8000, unmapped);
}

TEST_F(ioas, copy_into_another_ioas_at_a_fixed_iova)
{
	__u64 src = 0x100000, dst = 0x900000;
	__u32 other_ioas;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &other_ioas));
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					  self->buf, 0x8000, &src));
	ASSERT_EQ(0, iommufd_ioas_copy_err(self->fd, other_ioas, self->ioas_id,
					   FIXED, src, 0x8000, &dst));
	EXPECT_EQ(0x900000, dst);
	/* The source IOAS can go; the copy keeps the memory */
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->ioas_id));
	EXPECT_EQ(0, iommufd_ioas_unmap_err(self->fd, other_ioas, dst, 0x8000));
}

TEST_F(ioas, copy_of_part_of_a_mapping)
{
	__u64 src = 0x100000, dst = 0x900000;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					  self->buf, 0x8000, &src));
	ASSERT_EQ(0,
		  iommufd_ioas_copy_err(self->fd, self->ioas_id, self->ioas_id,
					FIXED, 0x102000, 0x3000, &dst));
	EXPECT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->ioas_id, 0x900000,
					    0x3000));
}

TEST_F(ioas, copy_across_adjacent_mappings_makes_one_range)
{
	__u64 iova, dst = 0x900000, unmapped = 0;

	iova = 0x100000;
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					  self->buf, 0x4000, &iova));
	iova = 0x104000;
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					  self->buf + SZ_2M, 0x4000, &iova));
	ASSERT_EQ(0,
		  iommufd_ioas_copy_err(self->fd, self->ioas_id, self->ioas_id,
					FIXED, 0x102000, 0x4000, &dst));
	ASSERT_EQ(0, iommufd_ioas_unmap_count_err(self->fd, self->ioas_id,
						  0x900000, 0x4000, &unmapped));
	EXPECT_EQ(0x4000, unmapped);
}

TEST_F(ioas, copy_over_a_hole_is_enoent)
{
	__u64 iova, dst = 0x900000;

	iova = 0x100000;
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					  self->buf, 0x4000, &iova));
	iova = 0x105000;
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					  self->buf, 0x4000, &iova));
	EXPECT_EQ(ENOENT,
		  iommufd_ioas_copy_err(self->fd, self->ioas_id, self->ioas_id,
					FIXED, 0x100000, 0x9000, &dst));
	EXPECT_EQ(ENOENT,
		  iommufd_ioas_copy_err(self->fd, self->ioas_id, self->ioas_id,
					FIXED, 0x200000, 0x1000, &dst));
	/* Nothing was left behind at the destination */
	EXPECT_EQ(ENOENT, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
						 0x900000, 0x9000));
}

TEST_F(ioas, writable_copy_of_read_only_memory_is_eperm)
{
	__u64 src = 0x100000, dst = 0x900000;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id,
					  IOMMU_IOAS_MAP_FIXED_IOVA |
						  IOMMU_IOAS_MAP_READABLE,
					  self->buf, 0x4000, &src));
	EXPECT_EQ(EPERM,
		  iommufd_ioas_copy_err(self->fd, self->ioas_id, self->ioas_id,
					FIXED, src, 0x4000, &dst));
	EXPECT_EQ(0,
		  iommufd_ioas_copy_err(self->fd, self->ioas_id, self->ioas_id,
					IOMMU_IOAS_MAP_FIXED_IOVA |
						IOMMU_IOAS_MAP_READABLE,
					src, 0x4000, &dst));
}

TEST_F(ioas, copy_argument_errors)
{
	__u64 src = 0x100000, dst = 0x900000;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED,
					  self->buf, 0x4000, &src));
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_ioas_copy_err(self->fd, self->ioas_id, self->ioas_id,
					FIXED | (1u << 8), src, 0x4000, &dst));
	EXPECT_EQ(EINVAL,
		  iommufd_ioas_copy_err(self->fd, self->ioas_id, self->ioas_id,
					IOMMU_IOAS_MAP_FIXED_IOVA, src, 0x4000,
					&dst));
	EXPECT_EQ(EINVAL,
		  iommufd_ioas_copy_err(self->fd, self->ioas_id, self->ioas_id,
					FIXED, src, 0, &dst));
	EXPECT_EQ(EOVERFLOW,
		  iommufd_ioas_copy_err(self->fd, self->ioas_id, self->ioas_id,
					FIXED, src, (__u64)-1, &dst));
	EXPECT_EQ(ENOENT,
		  iommufd_ioas_copy_err(self->fd, self->ioas_id, NO_SUCH_ID,
					FIXED, src, 0x4000, &dst));
	EXPECT_EQ(ENOENT,
		  iommufd_ioas_copy_err(self->fd, NO_SUCH_ID, self->ioas_id,
					FIXED, src, 0x4000, &dst));
	/* The destination is taken by the source itself */
	dst = src;
	EXPECT_EQ(EEXIST,
		  iommufd_ioas_copy_err(self->fd, self->ioas_id, self->ioas_id,
					FIXED, src, 0x4000, &dst));
}

/* ---- IOMMU_IOAS_MAP_FILE -------------------------------------------------- */

TEST_F(ioas, memfd_maps_and_unmaps)
{
	int memfd = iommufd_memfd(SZ_2M, 0);
	__u64 iova = 0, unmapped = 0;

	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, iommufd_ioas_map_file_err(self->fd, self->ioas_id, RW,
					       memfd, 0, SZ_2M, &iova));
	EXPECT_EQ(0, iova % SZ_2M);
	/* The mapping holds the file, not the descriptor */
	close(memfd);
	ASSERT_EQ(0, iommufd_ioas_unmap_count_err(self->fd, self->ioas_id, iova,
						  SZ_2M, &unmapped));
	EXPECT_EQ(SZ_2M, unmapped);
}

TEST_F(ioas, map_file_of_a_bad_descriptor_is_ebadf)
{
	__u64 iova = 0;

	EXPECT_EQ(EBADF, iommufd_ioas_map_file_err(self->fd, self->ioas_id, RW,
						   -1, 0, PAGE_SIZE, &iova));
}

TEST_F(ioas, map_file_of_a_file_that_cannot_be_pinned_is_einval)
{
	int pipe_fds[2];
	__u64 iova = 0;

	ASSERT_EQ(0, pipe(pipe_fds));
	EXPECT_EQ(EINVAL,
		  iommufd_ioas_map_file_err(self->fd, self->ioas_id, RW,
					    pipe_fds[0], 0, PAGE_SIZE, &iova));
	close(pipe_fds[0]);
	close(pipe_fds[1]);
}

TEST_F(ioas, map_file_past_the_end_of_the_file_is_einval)
{
	int memfd = iommufd_memfd(SZ_2M, 0);
	__u64 iova = 0;

	ASSERT_LE(0, memfd);
	EXPECT_EQ(EINVAL, iommufd_ioas_map_file_err(self->fd, self->ioas_id,
						    RW, memfd, PAGE_SIZE,
						    SZ_2M, &iova));
	/* Even where the end wraps around */
	EXPECT_EQ(EINVAL,
		  iommufd_ioas_map_file_err(self->fd, self->ioas_id, RW, memfd,
					    (__u64)-PAGE_SIZE, SZ_2M, &iova));
	close(memfd);
}

/*
 * Offsets from 2^63 on are negative as a loff_t: they are past the end of
 * any file all the same, and nothing gets mapped
 */
TEST_F(ioas, map_file_at_an_offset_of_2_63_or_more_is_einval)
{
	static const __u64 starts[] = {
		1ULL << 63,
		(1ULL << 63) + SZ_2M,
		(__u64)-4 * SZ_2M,
	};
	int memfd = iommufd_memfd(SZ_2M, 0);
	__u64 iova, unmapped = 1;
	unsigned int i;

	ASSERT_LE(0, memfd);
	for (i = 0; i != ARRAY_SIZE(starts); i++) {
		iova = 0;
		EXPECT_EQ(EINVAL,
			  iommufd_ioas_map_file_err(self->fd, self->ioas_id,
						    RW, memfd, starts[i],
						    PAGE_SIZE, &iova));
	}
	ASSERT_EQ(0, iommufd_ioas_unmap_count_err(self->fd, self->ioas_id, 0,
						  (__u64)-1, &unmapped));
	EXPECT_EQ(0, unmapped);
	close(memfd);
}

TEST_F(ioas, writable_map_of_a_read_only_file_is_eperm)
{
	int memfd = iommufd_memfd(SZ_2M, 0);
	char path[64];
	__u64 iova = 0;
	int ro_fd;

	ASSERT_LE(0, memfd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	ro_fd = open(path, O_RDONLY);
	ASSERT_LE(0, ro_fd);
	EXPECT_EQ(EPERM, iommufd_ioas_map_file_err(self->fd, self->ioas_id, RW,
						   ro_fd, 0, SZ_2M, &iova));
	EXPECT_EQ(0, iommufd_ioas_map_file_err(self->fd, self->ioas_id,
					       IOMMU_IOAS_MAP_READABLE, ro_fd,
					       0, SZ_2M, &iova));
	close(ro_fd);
	close(memfd);
}

/* ---- placement under load ------------------------------------------------- */

#define MANY_MAPS 4000

struct placed_range {
	__u64 iova;
	__u64 length;
};

static int compare_placed(const void *a, const void *b)
{
	const struct placed_range *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

TEST_F(ioas, thousands_of_automatic_iovas_never_overlap)
{
	struct placed_range *placed = calloc(MANY_MAPS, sizeof(*placed));
	__u64 total = 0, unmapped = 0;
	int i;

	ASSERT_NE(NULL, placed);
	for (i = 0; i != MANY_MAPS; i++) {
		placed[i].length = PAGE_SIZE * (1 + i % 3);
		total += placed[i].length;
		ASSERT_EQ(0,
			  iommufd_ioas_map_err(self->fd, self->ioas_id, RW,
					       self->buf + (i % 16) * PAGE_SIZE,
					       placed[i].length,
					       &placed[i].iova));
	}
	qsort(placed, MANY_MAPS, sizeof(*placed), compare_placed);
	for (i = 1; i != MANY_MAPS; i++)
		ASSERT_LE(placed[i - 1].iova + placed[i - 1].length,
			  placed[i].iova);
	ASSERT_EQ(0, iommufd_ioas_unmap_count_err(self->fd, self->ioas_id, 0,
						  (__u64)-1, &unmapped));
	EXPECT_EQ(total, unmapped);
	free(placed);
}

struct map_race {
	int fd;
	__u32 ioas_id;
	__u8 *buf;
	int failures;
};

static void *map_unmap_loop(void *arg)
{
	struct map_race *race = arg;
	int i;

	for (i = 0; i != 2000; i++) {
		__u64 iova = 0, unmapped = 0;

		if (iommufd_ioas_map_err(race->fd, race->ioas_id, RW, race->buf,
					 0x3000, &iova) ||
		    iommufd_ioas_unmap_count_err(race->fd, race->ioas_id, iova,
						 0x3000, &unmapped) ||
		    unmapped != 0x3000)
			__atomic_add_fetch(&race->failures, 1,
					   __ATOMIC_RELAXED);
	}
	return NULL;
}

TEST_F(ioas, concurrent_map_and_unmap_keep_the_table_consistent)
{
	struct map_race race = {
		.fd = self->fd,
		.ioas_id = self->ioas_id,
		.buf = self->buf,
	};
	pthread_t threads[4];
	__u64 unmapped = 1;
	int i;

	for (i = 0; i != 4; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, map_unmap_loop,
					    &race));
	for (i = 0; i != 4; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
	EXPECT_EQ(0, race.failures);
	ASSERT_EQ(0, iommufd_ioas_unmap_count_err(self->fd, self->ioas_id, 0,
						  (__u64)-1, &unmapped));
	EXPECT_EQ(0, unmapped);
}

TEST_F(ioas, destroying_an_ioas_with_mappings_releases_them)
{
	__u64 iova;
	int i;

	for (i = 0; i != 64; i++) {
		iova = 0;
		ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, RW,
						  self->buf, SZ_2M, &iova));
	}
	/* kmemleak in the debug profile catches anything left behind */
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->ioas_id));
}

/* ---- a reply that cannot be written ------------------------------------ */

/* An ioctl whose struct lives in memory the test controls */
struct background_ioctl {
	pthread_t thread;
	int fd;
	unsigned long request;
	void *arg;
	int err;
};

static void *background_ioctl_run(void *arg)
{
	struct background_ioctl *call = arg;

	call->err = iommufd_ioctl_err(call->fd, call->request, call->arg);
	return NULL;
}

TEST_F(ioas, map_whose_reply_cannot_be_written_maps_nothing)
{
	struct iommu_ioas_map *cmd;
	__u64 unmapped = 1;

	cmd = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, cmd);
	*cmd = (struct iommu_ioas_map){
		.size = sizeof(*cmd),
		.flags = RW,
		.ioas_id = self->ioas_id,
		.user_va = (__u64)(uintptr_t)self->buf,
		.length = 0x4000,
	};
	ASSERT_EQ(0, mprotect(cmd, PAGE_SIZE, PROT_READ));
	EXPECT_EQ(EFAULT, iommufd_ioctl_err(self->fd, IOMMU_IOAS_MAP, cmd));
	EXPECT_EQ(0, iommufd_ioas_unmap_count_err(self->fd, self->ioas_id, 0,
						  UINT64_MAX, &unmapped));
	EXPECT_EQ(0, unmapped);
	munmap(cmd, PAGE_SIZE);
}

/*
 * Undoing a map whose reply could not be written must remove that call's
 * mapping only: meanwhile another thread unmapped it and mapped its own
 * memory at the same IOVA.  The reply is held back with a write-protected
 * userfaultfd page, then made to fail by taking the page away.
 */
TEST_F(ioas, failed_map_reply_leaves_another_threads_mapping_alone)
{
	struct iommu_ioas_map request = {
		.size = sizeof(request),
		.flags = FIXED,
		.ioas_id = self->ioas_id,
		.user_va = (__u64)(uintptr_t)self->buf,
		.length = 0x4000,
		.iova = 0x100000,
	};
	struct background_ioctl map = {
		.fd = self->fd,
		.request = IOMMU_IOAS_MAP,
	};
	struct uffd_page page = { .uffd = -1 };
	__u64 unmapped = 0;

	ASSERT_EQ(0, uffd_page_write_protected_err(&page, &request,
						   sizeof(request)));
	map.arg = page.addr;
	ASSERT_EQ(0, pthread_create(&map.thread, NULL, background_ioctl_run,
				    &map));
	/* Mapped, and now writing the reply */
	ASSERT_EQ(0, uffd_page_wait_blocked_err(&page, 10000));

	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->ioas_id, 0x100000,
					    0x4000));
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
						self->buf + 0x10000, 0x4000,
						0x100000));

	ASSERT_EQ(0, uffd_page_fail_err(&page));
	ASSERT_EQ(0, pthread_join(map.thread, NULL));
	EXPECT_EQ(EFAULT, map.err);
	/* The second mapping is still there, whole */
	EXPECT_EQ(0, iommufd_ioas_unmap_count_err(self->fd, self->ioas_id,
						  0x100000, 0x4000, &unmapped));
	EXPECT_EQ(0x4000, unmapped);
	uffd_page_close(&page);
}

TEST_HARNESS_MAIN
