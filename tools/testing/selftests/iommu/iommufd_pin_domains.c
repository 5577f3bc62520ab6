// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOAS pinning engine seen through mock domains: memory mapped into an
 * IOAS reaches every linked domain and is pinned once for all of them, a
 * domain linked later is filled, unlinking the last one unpins, and a
 * domain refuses what lies outside its aperture or is finer than its IO
 * pages; IOMMU_OPTION_HUGE_PAGES with and without domains.
 * IOMMU_TEST_OP_MD_CHECK_MAP asks a mock domain what it translates each
 * IOVA to; IOMMU_TEST_OP_MD_CHECK_REFS reads the pin count of the user
 * pages.  One behaviour per test.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "iommufd_helpers.h"

/* First IOVA past the mock aperture */
#define APERTURE_END ((__u64)MOCK_APERTURE_LAST + 1)

/* ==== Mappings and 0, 1 or 2 linked domains ============================= */

#define BUF_PAGES 256
#define HALF (BUF_SIZE / 2)

FIXTURE(pinning)
{
	int fd;
	struct iommufd_domain_set domains;
	/* BUF_SIZE bytes of small pages, all faulted in */
	__u8 *buf;
};

FIXTURE_VARIANT(pinning)
{
	unsigned int mock_domains;
};

FIXTURE_VARIANT_ADD(pinning, no_domain)
{
	.mock_domains = 0,
};

FIXTURE_VARIANT_ADD(pinning, one_domain)
{
	.mock_domains = 1,
};

FIXTURE_VARIANT_ADD(pinning, two_domains)
{
	.mock_domains = 2,
};

FIXTURE_SETUP(pinning)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_with_domains_err(self->fd, &self->domains,
						   variant->mock_domains, 0));
	self->buf = iommufd_alloc_small_pages(BUF_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(pinning)
{
	munmap(self->buf, BUF_SIZE);
	close(self->fd);
}

TEST_F(pinning, map_reaches_every_domain_and_pins_once)
{
	__u64 iova = APERTURE_IOVA;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, BUF_SIZE, &iova));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, iova,
					   BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    iommufd_pins_with(&self->domains)));
}

TEST_F(pinning, automatic_iova_is_mapped_in_every_domain)
{
	__u64 iova = 0;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id, RW,
					  self->buf, BUF_SIZE, &iova));
	if (self->domains.count) {
		EXPECT_LE(MOCK_APERTURE_START, iova);
		EXPECT_GE(MOCK_APERTURE_LAST, iova + BUF_SIZE - 1);
	}
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, iova,
					   BUF_SIZE, self->buf));
}

TEST_F(pinning, unmap_leaves_every_domain_and_unpins)
{
	__u64 iova = APERTURE_IOVA, unmapped = 0;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, BUF_SIZE, &iova));
	ASSERT_EQ(0,
		  iommufd_ioas_unmap_count_err(self->fd, self->domains.ioas_id,
					       iova, BUF_SIZE, &unmapped));
	EXPECT_EQ(BUF_SIZE, unmapped);
	EXPECT_TRUE(iommufd_domains_map_none_of(self->fd, &self->domains, iova,
						BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
}

TEST_F(pinning, domain_linked_after_mappings_is_filled)
{
	struct iommufd_domain_set later =
		iommufd_more_domains_for(&self->domains);
	__u64 iova = APERTURE_IOVA, next_iova = APERTURE_IOVA + SZ_1M;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, HALF, &iova));
	ASSERT_EQ(0,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf + HALF, HALF, &next_iova));
	ASSERT_EQ(0, iommufd_link_domain(self->fd, &later, 0));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &later, iova, HALF,
					   self->buf));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &later, next_iova, HALF,
					   self->buf + HALF));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 1));

	/* Unlinking it again leaves the pins of the fixture's domains */
	ASSERT_EQ(0, iommufd_unlink_domain(self->fd, &later));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    iommufd_pins_with(&self->domains)));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, iova, HALF,
					   self->buf));
}

TEST_F(pinning, unlinking_the_last_domain_unpins_but_keeps_the_mapping)
{
	__u64 iova = APERTURE_IOVA, unmapped = 0;

	if (!self->domains.count)
		ASSERT_EQ(0, iommufd_link_domain(self->fd, &self->domains, 0));
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, BUF_SIZE, &iova));
	while (self->domains.count > 1) {
		ASSERT_EQ(0, iommufd_unlink_domain(self->fd, &self->domains));
		EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf,
						    BUF_SIZE, 1));
		EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains,
						   iova, BUF_SIZE, self->buf));
	}
	ASSERT_EQ(0, iommufd_unlink_domain(self->fd, &self->domains));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(0,
		  iommufd_ioas_unmap_count_err(self->fd, self->domains.ioas_id,
					       iova, BUF_SIZE, &unmapped));
	EXPECT_EQ(BUF_SIZE, unmapped);
}

TEST_F(pinning, adjacent_maps_translate_as_one_range)
{
	__u64 iova = APERTURE_IOVA, unmapped = 0;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, HALF, &iova));
	iova = APERTURE_IOVA + HALF;
	ASSERT_EQ(0,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf + HALF, HALF, &iova));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains,
					   APERTURE_IOVA, BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    iommufd_pins_with(&self->domains)));
	ASSERT_EQ(0,
		  iommufd_ioas_unmap_count_err(self->fd, self->domains.ioas_id,
					       APERTURE_IOVA, BUF_SIZE,
					       &unmapped));
	EXPECT_EQ(BUF_SIZE, unmapped);
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
}

TEST_F(pinning, overlapping_map_is_refused_and_pins_nothing)
{
	static const __s64 shifts[] = {
		-(__s64)HALF / 2, HALF / 2, 0, PAGE_SIZE, -(__s64)PAGE_SIZE,
	};
	const __u64 first = APERTURE_IOVA + HALF;
	__u64 iova = first;
	unsigned int i;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, HALF, &iova));
	for (i = 0; i != ARRAY_SIZE(shifts); i++) {
		iova = first + shifts[i];
		EXPECT_EQ(EEXIST,
			  iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					       FIXED, self->buf + HALF, HALF,
					       &iova));
	}
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, first,
					   HALF, self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, HALF,
					    iommufd_pins_with(&self->domains)));
	EXPECT_EQ(0,
		  iommufd_check_refs_err(self->fd, self->buf + HALF, HALF, 0));
}

/*
 * An unmap range whose first mapping is not inside it whole is refused
 * before anything is removed.
 */
TEST_F(pinning, unmap_cutting_a_mapping_is_enoent_and_removes_nothing)
{
	static const struct {
		__u64 offset, length;
	} cuts[] = {
		{ PAGE_SIZE, HALF - PAGE_SIZE }, /* its head stays */
		{ 0, HALF - PAGE_SIZE }, /* its tail stays */
		{ PAGE_SIZE, PAGE_SIZE }, /* inside it */
		{ PAGE_SIZE, BUF_SIZE }, /* into the next one */
	};
	__u64 iova = APERTURE_IOVA, unmapped = 0;
	unsigned int i;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, HALF, &iova));
	iova = APERTURE_IOVA + HALF;
	ASSERT_EQ(0,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf + HALF, HALF, &iova));
	for (i = 0; i != ARRAY_SIZE(cuts); i++)
		EXPECT_EQ(ENOENT,
			  iommufd_ioas_unmap_err(self->fd,
						 self->domains.ioas_id,
						 APERTURE_IOVA + cuts[i].offset,
						 cuts[i].length));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains,
					   APERTURE_IOVA, BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    iommufd_pins_with(&self->domains)));
	ASSERT_EQ(0,
		  iommufd_ioas_unmap_count_err(self->fd, self->domains.ioas_id,
					       APERTURE_IOVA, BUF_SIZE,
					       &unmapped));
	EXPECT_EQ(BUF_SIZE, unmapped);
}

TEST_F(pinning, unmap_of_a_range_spanning_several_mappings_removes_them_all)
{
	const __u64 quarter = BUF_SIZE / 4;
	__u64 iova, unmapped = 0;
	unsigned int i;

	/* Four mappings with a gap of one page before each */
	for (i = 0; i != 4; i++) {
		iova = APERTURE_IOVA + i * (quarter + PAGE_SIZE) + PAGE_SIZE;
		ASSERT_EQ(0,
			  iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					       FIXED, self->buf + i * quarter,
					       quarter, &iova));
	}
	/* The middle two and the gaps around them */
	iova = APERTURE_IOVA + quarter + PAGE_SIZE;
	ASSERT_EQ(0, iommufd_ioas_unmap_count_err(self->fd,
						  self->domains.ioas_id, iova,
						  2 * (quarter + PAGE_SIZE),
						  &unmapped));
	EXPECT_EQ(2 * quarter, unmapped);
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf + quarter,
					    2 * quarter, 0));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, quarter,
					    iommufd_pins_with(&self->domains)));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains,
					   APERTURE_IOVA + PAGE_SIZE, quarter,
					   self->buf));
	EXPECT_TRUE(iommufd_domains_map_none_of(self->fd, &self->domains,
						APERTURE_IOVA + quarter +
							2 * PAGE_SIZE,
						quarter, self->buf + quarter));
	iova = APERTURE_IOVA + 3 * (quarter + PAGE_SIZE) + PAGE_SIZE;
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, iova,
					   quarter, self->buf + 3 * quarter));
}

TEST_F(pinning, unmap_all_empties_every_domain)
{
	const __u64 piece = BUF_SIZE / 8;
	__u64 iovas[8], unmapped = 0;
	unsigned int i;

	for (i = 0; i != ARRAY_SIZE(iovas); i++) {
		iovas[i] = 0;
		ASSERT_EQ(0,
			  iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					       RW, self->buf + i * piece,
					       piece, &iovas[i]));
	}
	ASSERT_EQ(0,
		  iommufd_ioas_unmap_count_err(self->fd, self->domains.ioas_id,
					       0, UINT64_MAX, &unmapped));
	EXPECT_EQ(BUF_SIZE, unmapped);
	for (i = 0; i != ARRAY_SIZE(iovas); i++)
		EXPECT_TRUE(iommufd_domains_map_none_of(self->fd,
							&self->domains,
							iovas[i], piece,
							self->buf + i * piece));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
	/* Unmapping all of nothing is no error */
	EXPECT_EQ(0,
		  iommufd_ioas_unmap_count_err(self->fd, self->domains.ioas_id,
					       0, UINT64_MAX, &unmapped));
	EXPECT_EQ(0, unmapped);
}

TEST_F(pinning, memory_mapped_twice_is_pinned_twice)
{
	__u64 iova_a = APERTURE_IOVA, iova_b = APERTURE_IOVA + BUF_SIZE;
	__u32 pins = iommufd_pins_with(&self->domains);

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, BUF_SIZE, &iova_a));
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, BUF_SIZE, &iova_b));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, iova_a,
					   BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, iova_b,
					   BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    2 * pins));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    iova_a, BUF_SIZE));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    pins));
}

TEST_F(pinning, copy_within_the_ioas_shares_the_pin)
{
	__u64 iova = APERTURE_IOVA, copy_iova = APERTURE_IOVA + 2 * BUF_SIZE;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, BUF_SIZE, &iova));
	ASSERT_EQ(0, iommufd_ioas_copy_err(self->fd, self->domains.ioas_id,
					   self->domains.ioas_id, FIXED, iova,
					   BUF_SIZE, &copy_iova));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, copy_iova,
					   BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    iommufd_pins_with(&self->domains)));

	/* The copy keeps the memory after the source is gone */
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    iova, BUF_SIZE));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, copy_iova,
					   BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    iommufd_pins_with(&self->domains)));
}

TEST_F(pinning, copy_into_an_ioas_with_its_own_domain)
{
	struct iommufd_domain_set dst = {};
	__u64 iova = APERTURE_IOVA, dst_iova = APERTURE_IOVA + SZ_1M;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &dst.ioas_id));
	ASSERT_EQ(0, iommufd_link_domain(self->fd, &dst, 0));
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, BUF_SIZE, &iova));
	/* Part of the source mapping */
	ASSERT_EQ(0, iommufd_ioas_copy_err(self->fd, dst.ioas_id,
					   self->domains.ioas_id, FIXED,
					   iova + PAGE_SIZE, HALF, &dst_iova));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &dst, dst_iova, HALF,
					   self->buf + PAGE_SIZE));
	/* One pages object behind both IOAS: pinned once */
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf + PAGE_SIZE,
					    HALF, 1));
	/* The rest of the source is pinned by its own domains only */
	EXPECT_EQ(0,
		  iommufd_check_refs_err(self->fd, self->buf + PAGE_SIZE + HALF,
					 HALF - PAGE_SIZE,
					 iommufd_pins_with(&self->domains)));

	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    iova, BUF_SIZE));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf + PAGE_SIZE,
					    HALF, 1));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &dst, dst_iova, HALF,
					   self->buf + PAGE_SIZE));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, dst.ioas_id, dst_iova,
					    HALF));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
}

TEST_F(pinning, copy_into_an_unknown_ioas_is_enoent_and_pins_nothing)
{
	__u64 iova = APERTURE_IOVA, dst_iova = APERTURE_IOVA;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, BUF_SIZE, &iova));
	EXPECT_EQ(ENOENT, iommufd_ioas_copy_err(self->fd, NO_SUCH_ID,
						self->domains.ioas_id, FIXED,
						iova, BUF_SIZE, &dst_iova));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    iommufd_pins_with(&self->domains)));
}

TEST_F(pinning, check_map_tells_wrong_memory_and_holes_apart)
{
	__u64 iova = APERTURE_IOVA;
	unsigned int i;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, HALF, &iova));
	for (i = 0; i != self->domains.count; i++) {
		__u32 hwpt_id = self->domains.hwpt_id[i];

		/* Other memory, a hole after the mapping, a misaligned IOVA */
		EXPECT_EQ(EINVAL,
			  iommufd_check_map_err(self->fd, hwpt_id, iova, HALF,
						self->buf + HALF));
		EXPECT_EQ(EINVAL,
			  iommufd_check_map_err(self->fd, hwpt_id, iova,
						HALF + PAGE_SIZE, self->buf));
		EXPECT_EQ(EINVAL,
			  iommufd_check_map_err(self->fd, hwpt_id, iova + 1,
						PAGE_SIZE, self->buf));
	}
	/* Only HWPTs of the mock driver translate */
	EXPECT_EQ(ENOENT, iommufd_check_map_err(self->fd, self->domains.ioas_id,
						iova, PAGE_SIZE, self->buf));
	EXPECT_EQ(ENOENT, iommufd_check_map_err(self->fd, NO_SUCH_ID, iova,
						PAGE_SIZE, self->buf));
}

TEST_F(pinning, check_refs_rejects_misaligned_arguments)
{
	EXPECT_EQ(EINVAL, iommufd_check_refs_err(self->fd, self->buf + 1,
						 PAGE_SIZE, 0));
	EXPECT_EQ(EINVAL, iommufd_check_refs_err(self->fd, self->buf,
						 PAGE_SIZE + 1, 0));
	EXPECT_EQ(EIO,
		  iommufd_check_refs_err(self->fd, self->buf, PAGE_SIZE, 5));
}

TEST_F(pinning, copy_outlives_its_destroyed_source_ioas)
{
	__u32 ioas_id;
	__u64 iova = APERTURE_IOVA;

	/* A source IOAS without devices, which could not be destroyed */
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, ioas_id, FIXED, self->buf,
					  BUF_SIZE, &iova));
	ASSERT_EQ(0,
		  iommufd_ioas_copy_err(self->fd, self->domains.ioas_id,
					ioas_id, FIXED, iova, BUF_SIZE, &iova));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    iommufd_pins_with(&self->domains)));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, ioas_id));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, iova,
					   BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    iommufd_pins_with(&self->domains)));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    iova, BUF_SIZE));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
}

TEST_F(pinning, ioas_can_be_destroyed_only_without_devices)
{
	int expected = self->domains.count ? EBUSY : 0;

	EXPECT_EQ(expected,
		  iommufd_destroy_err(self->fd, self->domains.ioas_id));
}

/* Where the tests that pull memory out from under a mapping make a hole */
#define HOLE_OFFSET HALF
#define HOLE_SIZE (4 * PAGE_SIZE)
#define PAST_HOLE (HOLE_OFFSET + HOLE_SIZE)

/* No page around the hole of @buf is pinned */
static int hole_neighbours_refs_err(int fd, __u8 *buf, size_t size)
{
	int err = iommufd_check_refs_err(fd, buf, HOLE_OFFSET, 0);

	if (!err)
		err = iommufd_check_refs_err(fd, buf + PAST_HOLE,
					     size - PAST_HOLE, 0);
	return err;
}

/*
 * With domains to fill, the map pins every page before the hole, fails
 * at the hole and gives all of it back.  Without one it pins nothing, so
 * it cannot notice (the memory only has to exist once it is needed).
 */
TEST_F(pinning, map_over_a_hole_in_memory_is_efault_when_domains_pin_it)
{
	int expected = self->domains.count ? EFAULT : 0;
	__u64 iova = APERTURE_IOVA, unmapped = 0;

	ASSERT_EQ(0, munmap(self->buf + HOLE_OFFSET, HOLE_SIZE));
	EXPECT_EQ(expected,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf, BUF_SIZE, &iova));
	EXPECT_EQ(0, hole_neighbours_refs_err(self->fd, self->buf, BUF_SIZE));
	EXPECT_TRUE(iommufd_domains_map_none_of(self->fd, &self->domains,
						APERTURE_IOVA, HOLE_OFFSET,
						self->buf));
	EXPECT_TRUE(iommufd_domains_map_none_of(self->fd, &self->domains,
						APERTURE_IOVA + PAST_HOLE,
						BUF_SIZE - PAST_HOLE,
						self->buf + PAST_HOLE));
	if (expected) {
		EXPECT_EQ(ENOENT,
			  iommufd_ioas_unmap_err(self->fd,
						 self->domains.ioas_id,
						 APERTURE_IOVA, BUF_SIZE));
	} else {
		EXPECT_EQ(0, iommufd_ioas_unmap_count_err(self->fd,
							  self->domains.ioas_id,
							  APERTURE_IOVA,
							  BUF_SIZE, &unmapped));
		EXPECT_EQ(BUF_SIZE, unmapped);
	}
}

TEST_F(pinning, closing_the_context_unpins_everything)
{
	__u64 iova = APERTURE_IOVA;
	int probe_fd;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, BUF_SIZE, &iova));
	/* MD_CHECK_REFS needs a context of its own once ours is closed */
	probe_fd = iommufd_open();
	ASSERT_LE(0, probe_fd);
	ASSERT_EQ(0, close(self->fd));
	self->fd = probe_fd;
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
}

/* ==== Single IOAS, domains added per test =============================== */

FIXTURE(single)
{
	int fd;
	struct iommufd_domain_set domains;
	__u8 *buf;
};

FIXTURE_SETUP(single)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &self->domains.ioas_id));
	self->buf = iommufd_alloc_small_pages(BUF_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(single)
{
	munmap(self->buf, BUF_SIZE);
	close(self->fd);
}

TEST_F(single, two_mock_devices_on_one_ioas_share_its_automatic_domain)
{
	__u32 hwpt_a, hwpt_b, stdev_b;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->domains.ioas_id,
					     NULL, &hwpt_a, NULL));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->domains.ioas_id,
					     &stdev_b, &hwpt_b, NULL));
	EXPECT_EQ(hwpt_a, hwpt_b);
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, stdev_b));
}

TEST_F(single, mock_domain_on_an_unknown_ioas_is_enoent)
{
	EXPECT_EQ(ENOENT, iommufd_mock_domain_err(self->fd, NO_SUCH_ID, NULL,
						  NULL, NULL));
}

TEST_F(single, linked_domain_narrows_the_iova_ranges_to_its_aperture)
{
	struct iommu_iova_range ranges[4];
	__u32 count = ARRAY_SIZE(ranges);

	ASSERT_EQ(0, iommufd_link_domain(self->fd, &self->domains, 0));
	ASSERT_EQ(0, iommufd_iova_ranges_err(self->fd, self->domains.ioas_id,
					     ranges, &count));
	ASSERT_EQ(1, count);
	EXPECT_EQ(MOCK_APERTURE_START, ranges[0].start);
	EXPECT_EQ(MOCK_APERTURE_LAST, ranges[0].last);

	/* Unlinking it gives the IOVA back */
	ASSERT_EQ(0, iommufd_unlink_domain(self->fd, &self->domains));
	count = ARRAY_SIZE(ranges);
	ASSERT_EQ(0, iommufd_iova_ranges_err(self->fd, self->domains.ioas_id,
					     ranges, &count));
	ASSERT_EQ(1, count);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(UINT64_MAX, ranges[0].last);
}

TEST_F(single, map_outside_the_aperture_of_a_domain_is_einval)
{
	static const struct {
		__u64 iova, length;
	} outside[] = {
		{ PAGE_SIZE, PAGE_SIZE },
		{ MOCK_APERTURE_START - PAGE_SIZE, 2 * PAGE_SIZE },
		{ APERTURE_END, PAGE_SIZE },
		{ APERTURE_END - PAGE_SIZE, 2 * PAGE_SIZE },
	};
	__u64 iova;
	unsigned int i;

	ASSERT_EQ(0, iommufd_link_domain(self->fd, &self->domains, 0));
	for (i = 0; i != ARRAY_SIZE(outside); i++) {
		iova = outside[i].iova;
		EXPECT_EQ(EINVAL,
			  iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					       FIXED, self->buf,
					       outside[i].length, &iova));
	}
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
	/* Its first and last pages are usable */
	iova = MOCK_APERTURE_START;
	EXPECT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, PAGE_SIZE, &iova));
	iova = APERTURE_END - PAGE_SIZE;
	EXPECT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, PAGE_SIZE, &iova));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, iova,
					   PAGE_SIZE, self->buf));
}

TEST_F(single, domain_is_refused_while_a_mapping_lies_outside_its_aperture)
{
	__u64 iova = PAGE_SIZE, unmapped = 0;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, PAGE_SIZE, &iova));
	EXPECT_EQ(EADDRINUSE, iommufd_link_domain(self->fd, &self->domains, 0));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(0,
		  iommufd_ioas_unmap_count_err(self->fd, self->domains.ioas_id,
					       iova, PAGE_SIZE, &unmapped));
	EXPECT_EQ(PAGE_SIZE, unmapped);
	EXPECT_EQ(0, iommufd_link_domain(self->fd, &self->domains, 0));
}

TEST_F(single, mock_domain_sets_the_iova_alignment_to_its_page_size)
{
	const __u64 half_page = IO_PAGE_SIZE;
	__u64 iova;

	ASSERT_EQ(0, iommufd_link_domain(self->fd, &self->domains, 0));

	/* Half a page, from the middle of a page, at a matching IOVA */
	iova = APERTURE_IOVA + half_page;
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf + half_page,
					  half_page, &iova));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, iova,
					   half_page, self->buf + half_page));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, PAGE_SIZE, 1));

	/* Finer than the mock page size: IOVA, length, memory offset */
	iova = APERTURE_IOVA + PAGE_SIZE + half_page / 2;
	EXPECT_EQ(EINVAL, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					       FIXED, self->buf + PAGE_SIZE,
					       half_page, &iova));
	iova = APERTURE_IOVA + PAGE_SIZE;
	EXPECT_EQ(EINVAL, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					       FIXED, self->buf + PAGE_SIZE,
					       half_page / 2, &iova));
	EXPECT_EQ(EINVAL,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf + PAGE_SIZE + half_page / 2,
				       half_page, &iova));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf + PAGE_SIZE,
					    PAGE_SIZE, 0));
}

TEST_F(single, domain_is_refused_while_a_mapping_is_finer_than_its_pages)
{
	__u64 iova = APERTURE_IOVA + IO_PAGE_SIZE / 2;

	/* Without a domain any byte alignment goes */
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf + IO_PAGE_SIZE / 2,
					  PAGE_SIZE, &iova));
	EXPECT_EQ(EADDRINUSE, iommufd_link_domain(self->fd, &self->domains, 0));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, 2 * PAGE_SIZE,
					    0));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    iova, PAGE_SIZE));
	EXPECT_EQ(0, iommufd_link_domain(self->fd, &self->domains, 0));
}

/*
 * A domain linked to an IOAS has to pin what is mapped there; when part of
 * that memory is gone, linking fails and the IOAS stays as it was.
 */
static void check_unlinked_ioas_as_it_was(struct __test_metadata *_metadata,
					  int fd, __u32 ioas_id, __u64 iova,
					  __u64 length)
{
	struct iommu_iova_range ranges[2];
	__u32 count = ARRAY_SIZE(ranges);
	__u64 unmapped = 0;

	/* No aperture of a mock domain is left reserved */
	ASSERT_EQ(0, iommufd_iova_ranges_err(fd, ioas_id, ranges, &count));
	EXPECT_EQ(1, count);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(UINT64_MAX, ranges[0].last);
	/* The mapping is still there, whole */
	EXPECT_EQ(0, iommufd_ioas_unmap_count_err(fd, ioas_id, iova, length,
						  &unmapped));
	EXPECT_EQ(length, unmapped);
	/* Nothing else was left behind that would keep a domain away */
	EXPECT_EQ(0, iommufd_mock_domain_err(fd, ioas_id, NULL, NULL, NULL));
}

TEST_F(single, mock_device_on_an_ioas_whose_memory_is_gone_is_efault)
{
	__u64 iova = APERTURE_IOVA;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, BUF_SIZE, &iova));
	ASSERT_EQ(0, munmap(self->buf + HOLE_OFFSET, HOLE_SIZE));
	EXPECT_EQ(EFAULT, iommufd_link_domain(self->fd, &self->domains, 0));
	EXPECT_EQ(0, hole_neighbours_refs_err(self->fd, self->buf, BUF_SIZE));
	check_unlinked_ioas_as_it_was(_metadata, self->fd,
				      self->domains.ioas_id, iova, BUF_SIZE);
}

TEST_F(single, hwpt_on_an_ioas_whose_memory_is_gone_is_efault)
{
	__u64 iova = APERTURE_IOVA;
	__u32 other_ioas;

	/* A device attached elsewhere, to allocate the HWPT for */
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &other_ioas));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, other_ioas,
					     &self->domains.stdev_id, NULL,
					     &self->domains.idev_id));
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, BUF_SIZE, &iova));
	ASSERT_EQ(0, munmap(self->buf + HOLE_OFFSET, HOLE_SIZE));
	EXPECT_EQ(EFAULT, iommufd_link_domain(self->fd, &self->domains, 0));
	EXPECT_EQ(0, self->domains.count);
	EXPECT_EQ(0, hole_neighbours_refs_err(self->fd, self->buf, BUF_SIZE));
	check_unlinked_ioas_as_it_was(_metadata, self->fd,
				      self->domains.ioas_id, iova, BUF_SIZE);
}

/* The same for a file that shrank since it was mapped */
TEST_F(single, mock_device_on_a_file_mapping_past_its_end_is_einval)
{
	int memfd = iommufd_memfd(BUF_SIZE, 0);
	__u64 iova = APERTURE_IOVA;
	__u8 *view;

	ASSERT_LE(0, memfd);
	view = mmap(NULL, HALF, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, view);
	iommufd_stamp_pages(view, HALF, 0);
	ASSERT_EQ(0, iommufd_ioas_map_file_err(self->fd,
					       self->domains.ioas_id, FIXED,
					       memfd, 0, BUF_SIZE, &iova));
	ASSERT_EQ(0, ftruncate(memfd, HALF));
	EXPECT_EQ(EINVAL, iommufd_link_domain(self->fd, &self->domains, 0));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, view, HALF, 0));
	check_unlinked_ioas_as_it_was(_metadata, self->fd,
				      self->domains.ioas_id, APERTURE_IOVA,
				      BUF_SIZE);
	munmap(view, HALF);
	close(memfd);
}

TEST_F(single, mapping_through_an_access_and_a_domain_pins_once)
{
	const __u32 access_flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
	__u64 iova = APERTURE_IOVA;
	__u32 pin_id;
	int access_fd;

	ASSERT_EQ(0, iommufd_link_domain(self->fd, &self->domains, 0));
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, HALF, &iova));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->domains.ioas_id,
					       access_flags, &access_fd));
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, access_fd, iova, HALF,
					    self->buf, 0, &pin_id));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, HALF, 1));

	/* The domain goes, the access keeps the pages pinned */
	ASSERT_EQ(0, iommufd_unlink_domain(self->fd, &self->domains));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, HALF, 1));

	ASSERT_EQ(0, iommufd_access_unpin_err(self->fd, access_fd, pin_id));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, HALF, 0));
	close(access_fd);
}

/* ==== IOMMU_OPTION_HUGE_PAGES ============================================ */

TEST_F(single, huge_pages_off_is_refused_while_a_domain_maps_memory)
{
	__u64 iova = APERTURE_IOVA;

	ASSERT_EQ(0, iommufd_link_domain(self->fd, &self->domains, 0));
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, HALF, &iova));
	EXPECT_EQ(EINVAL, iommufd_set_huge_pages_err(self->fd,
						     self->domains.ioas_id, 0));
	EXPECT_EQ(1, iommufd_get_huge_pages(self->fd, self->domains.ioas_id));
	/* Turning it on is always fine */
	EXPECT_EQ(0, iommufd_set_huge_pages_err(self->fd, self->domains.ioas_id,
						1));

	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    iova, HALF));
	EXPECT_EQ(0, iommufd_set_huge_pages_err(self->fd, self->domains.ioas_id,
						0));
	EXPECT_EQ(0, iommufd_get_huge_pages(self->fd, self->domains.ioas_id));
}

TEST_F(single, huge_pages_off_is_accepted_with_mappings_but_no_domain)
{
	__u64 iova = APERTURE_IOVA;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf, HALF, &iova));
	EXPECT_EQ(0, iommufd_set_huge_pages_err(self->fd, self->domains.ioas_id,
						0));
	/* A domain linked now is filled one page at a time */
	ASSERT_EQ(0, iommufd_link_domain(self->fd, &self->domains, 0));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, iova, HALF,
					   self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, HALF, 1));
}

TEST_F(single, huge_pages_off_requires_page_aligned_iova)
{
	__u64 iova = APERTURE_IOVA + IO_PAGE_SIZE;

	ASSERT_EQ(0, iommufd_set_huge_pages_err(self->fd, self->domains.ioas_id,
						0));
	ASSERT_EQ(0, iommufd_link_domain(self->fd, &self->domains, 0));
	EXPECT_EQ(EINVAL, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					       FIXED, self->buf + IO_PAGE_SIZE,
					       IO_PAGE_SIZE, &iova));
	/* Back on, the mock page size is the granule again */
	ASSERT_EQ(0, iommufd_set_huge_pages_err(self->fd, self->domains.ioas_id,
						1));
	EXPECT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf + IO_PAGE_SIZE,
					  IO_PAGE_SIZE, &iova));
}

TEST_F(single, huge_pages_off_refused_while_a_mapping_is_finer_than_a_page)
{
	__u64 iova = APERTURE_IOVA + IO_PAGE_SIZE;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf + IO_PAGE_SIZE,
					  PAGE_SIZE, &iova));
	EXPECT_EQ(EADDRINUSE,
		  iommufd_set_huge_pages_err(self->fd, self->domains.ioas_id,
					     0));
	EXPECT_EQ(1, iommufd_get_huge_pages(self->fd, self->domains.ioas_id));
}

TEST_HARNESS_MAIN
