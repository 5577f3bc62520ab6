// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOAS pinning engine seen through mock domains: memory mapped into an
 * IOAS reaches every linked domain and is pinned once for all of them, a
 * domain linked later is filled, unlinking the last one unpins, and the
 * pins are charged to RLIMIT_MEMLOCK.  IOMMU_TEST_OP_MD_CHECK_MAP asks a
 * mock domain what it translates each IOVA to; IOMMU_TEST_OP_MD_CHECK_REFS
 * reads the pin count of the user pages.  One behaviour per test.
 *
 * Each test runs in a process of its own (the harness forks for it), so a
 * test may drop capabilities or lower its rlimits without affecting others.
 * State shared by the whole system (the temporary memory limit of the test
 * ioctl, the hugetlb pool size) is put back by a teardown in the parent.
 */
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

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

/* ==== Huge pages: THP and hugetlbfs into domains with large IO pages ===== */

#define HUGE_BUF_SIZE (2 * SZ_2M)
#define HUGETLB_PAGES_WANTED 2
#define NR_HUGEPAGES_PATH "/proc/sys/vm/nr_hugepages"

static long read_long_file(const char *path)
{
	char text[32] = {};
	int fd = open(path, O_RDONLY);
	ssize_t len;

	if (fd < 0)
		return -1;
	len = read(fd, text, sizeof(text) - 1);
	close(fd);
	return len > 0 ? strtol(text, NULL, 10) : -1;
}

static int write_long_file(const char *path, long value)
{
	char text[32];

	snprintf(text, sizeof(text), "%ld", value);
	return iommufd_write_file(path, text);
}

enum huge_kind {
	HUGE_THP,
	HUGE_HUGETLB,
};

FIXTURE(huge)
{
	int fd;
	struct iommufd_domain_set domains;
	__u8 *buf;
	/* nr_hugepages before the test raised it, -1 if it did not */
	long saved_nr_hugepages;
};

FIXTURE_VARIANT(huge)
{
	enum huge_kind kind;
	/* IOMMU_OPTION_HUGE_PAGES of the IOAS */
	__u64 huge_pages;
};

FIXTURE_VARIANT_ADD(huge, thp)
{
	.kind = HUGE_THP,
	.huge_pages = 1,
};

FIXTURE_VARIANT_ADD(huge, hugetlb)
{
	.kind = HUGE_HUGETLB,
	.huge_pages = 1,
};

FIXTURE_VARIANT_ADD(huge, thp_huge_pages_off)
{
	.kind = HUGE_THP,
	.huge_pages = 0,
};

FIXTURE_VARIANT_ADD(huge, hugetlb_huge_pages_off)
{
	.kind = HUGE_HUGETLB,
	.huge_pages = 0,
};

/*
 * Grow the hugetlb pool by what the test needs.  On success *saved holds
 * the old size for the parent's teardown; on failure the pool is already
 * back to it.
 */
static int reserve_hugetlb_pages(long *saved)
{
	long before = read_long_file(NR_HUGEPAGES_PATH);

	*saved = -1;
	if (before < 0)
		return -1;
	if (write_long_file(NR_HUGEPAGES_PATH, before + HUGETLB_PAGES_WANTED))
		return -1;
	if (iommufd_proc_kb("/proc/meminfo", "HugePages_Free") <
	    HUGETLB_PAGES_WANTED) {
		write_long_file(NR_HUGEPAGES_PATH, before);
		return -1;
	}
	*saved = before;
	return 0;
}

static void *alloc_hugetlb(void)
{
	void *va = mmap(NULL, HUGE_BUF_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	return va == MAP_FAILED ? NULL : va;
}

/*
 * 2 MiB aligned memory that asked for transparent huge pages; NULL unless
 * the kernel backed at least one of its halves with one (AnonHugePages of
 * /proc/meminfo grew by one)
 */
static void *alloc_thp(void)
{
	long before = iommufd_proc_kb("/proc/meminfo", "AnonHugePages");
	void *va;

	va = iommufd_mmap_aligned(HUGE_BUF_SIZE, SZ_2M, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS);
	if (va == MAP_FAILED)
		return NULL;
	if (madvise(va, HUGE_BUF_SIZE, MADV_HUGEPAGE))
		goto out_unmap;
	iommufd_stamp_pages(va, HUGE_BUF_SIZE, 0);
	if (before < 0 || iommufd_proc_kb("/proc/meminfo", "AnonHugePages") <
				  before + SZ_2M / 1024)
		goto out_unmap;
	return va;

out_unmap:
	munmap(va, HUGE_BUF_SIZE);
	return NULL;
}

FIXTURE_SETUP(huge)
{
	self->saved_nr_hugepages = -1;
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &self->domains.ioas_id));
	ASSERT_EQ(0, iommufd_set_huge_pages_err(self->fd, self->domains.ioas_id,
						variant->huge_pages));
	if (variant->kind == HUGE_THP) {
		self->buf = alloc_thp();
		if (!self->buf)
			SKIP(return, "no transparent huge page to be had");
		return;
	}
	if (reserve_hugetlb_pages(&self->saved_nr_hugepages))
		SKIP(return, "cannot reserve %d hugetlb pages",
		     HUGETLB_PAGES_WANTED);
	self->buf = alloc_hugetlb();
	if (!self->buf) {
		write_long_file(NR_HUGEPAGES_PATH, self->saved_nr_hugepages);
		self->saved_nr_hugepages = -1;
	}
	ASSERT_NE(NULL, self->buf);
	iommufd_stamp_pages(self->buf, HUGE_BUF_SIZE, 0);
}

FIXTURE_TEARDOWN_PARENT(huge)
{
	/* The test process is gone with its memory; give the pool back */
	if (self->saved_nr_hugepages >= 0)
		write_long_file(NR_HUGEPAGES_PATH, self->saved_nr_hugepages);
}

TEST_F(huge, huge_memory_maps_into_a_huge_iova_domain)
{
	__u64 iova = APERTURE_IOVA, unmapped = 0;

	ASSERT_EQ(0, iommufd_link_domain(self->fd, &self->domains,
					 MOCK_FLAGS_DEVICE_HUGE_IOVA));
	ASSERT_EQ(0,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf, HUGE_BUF_SIZE, &iova));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, iova,
					   HUGE_BUF_SIZE, self->buf));
	ASSERT_EQ(0,
		  iommufd_ioas_unmap_count_err(self->fd, self->domains.ioas_id,
					       iova, HUGE_BUF_SIZE, &unmapped));
	EXPECT_EQ(HUGE_BUF_SIZE, unmapped);
	EXPECT_TRUE(iommufd_domains_map_none_of(self->fd, &self->domains, iova,
						HUGE_BUF_SIZE, self->buf));
}

TEST_F(huge, huge_iova_domain_linked_after_the_map_is_filled)
{
	__u64 iova = APERTURE_IOVA;

	ASSERT_EQ(0,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf, HUGE_BUF_SIZE, &iova));
	ASSERT_EQ(0, iommufd_link_domain(self->fd, &self->domains,
					 MOCK_FLAGS_DEVICE_HUGE_IOVA));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, iova,
					   HUGE_BUF_SIZE, self->buf));
}

TEST_F(huge, slice_across_huge_pages_at_an_unaligned_iova)
{
	const __u64 offset = SZ_1M + 3 * PAGE_SIZE;
	const __u64 length = SZ_2M + 5 * PAGE_SIZE;
	__u64 iova = APERTURE_IOVA + 7 * PAGE_SIZE;

	ASSERT_EQ(0, iommufd_link_domain(self->fd, &self->domains,
					 MOCK_FLAGS_DEVICE_HUGE_IOVA));
	ASSERT_EQ(0,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf + offset, length, &iova));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, iova,
					   length, self->buf + offset));
}

TEST_F(huge, huge_and_small_iova_domains_map_the_same_memory)
{
	__u32 plain_stdev, plain_idev, small_hwpt;
	__u64 iova = 0;

	ASSERT_EQ(0, iommufd_link_domain(self->fd, &self->domains,
					 MOCK_FLAGS_DEVICE_HUGE_IOVA));
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id, RW,
					  self->buf, HUGE_BUF_SIZE, &iova));
	/*
	 * A plain mock device joins the automatic domain of the IOAS; a HWPT
	 * allocated for it is a domain of small IO pages only.
	 */
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->domains.ioas_id,
					     &plain_stdev, NULL, &plain_idev));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, plain_idev,
					    self->domains.ioas_id, 0,
					    &small_hwpt));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, iova,
					   HUGE_BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_map_err(self->fd, small_hwpt, iova,
					   HUGE_BUF_SIZE, self->buf));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    iova, HUGE_BUF_SIZE));
	EXPECT_EQ(EINVAL, iommufd_check_map_err(self->fd, small_hwpt, iova,
						PAGE_SIZE, self->buf));
	EXPECT_TRUE(iommufd_domains_map_none_of(self->fd, &self->domains, iova,
						HUGE_BUF_SIZE, self->buf));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, small_hwpt));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, plain_stdev));
}

/* ==== Memory of a file: IOMMU_IOAS_MAP_FILE ============================== */

/*
 * The file's pages are the page cache's: the fixture maps the whole file
 * shared, so that the checks that look at user memory see those very pages.
 */

#define FILE_SIZE (2 * SZ_2M)
#define FILE_SEED 0x66696c6500000000ull
#define FILE_ACCESS MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES

FIXTURE(file_pinning)
{
	int fd;
	struct iommufd_domain_set domains;
	int memfd;
	/* All of the file, mapped shared */
	__u8 *view;
};

FIXTURE_VARIANT(file_pinning)
{
	unsigned int mock_domains;
	/* MFD_HUGETLB for a hugetlbfs file, 0 for shmem */
	unsigned int memfd_flags;
	/* MOCK_FLAGS_DEVICE_* of the mock device the domains are made for */
	__u32 dev_flags;
};

FIXTURE_VARIANT_ADD(file_pinning, shmem_no_domain)
{
	.mock_domains = 0,
};

FIXTURE_VARIANT_ADD(file_pinning, shmem_one_domain)
{
	.mock_domains = 1,
};

FIXTURE_VARIANT_ADD(file_pinning, shmem_two_domains)
{
	.mock_domains = 2,
};

FIXTURE_VARIANT_ADD(file_pinning, hugetlb_no_domain)
{
	.mock_domains = 0,
	.memfd_flags = MFD_HUGETLB,
};

FIXTURE_VARIANT_ADD(file_pinning, hugetlb_one_domain)
{
	.mock_domains = 1,
	.memfd_flags = MFD_HUGETLB,
};

FIXTURE_VARIANT_ADD(file_pinning, hugetlb_two_huge_iova_domains)
{
	.mock_domains = 2,
	.memfd_flags = MFD_HUGETLB,
	.dev_flags = MOCK_FLAGS_DEVICE_HUGE_IOVA,
};

FIXTURE_SETUP(file_pinning)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_with_domains_err(self->fd, &self->domains,
						   variant->mock_domains,
						   variant->dev_flags));
	/* The guest reserves 2 MiB huge pages for hugetlbfs files */
	self->memfd = iommufd_memfd(FILE_SIZE, variant->memfd_flags);
	ASSERT_LE(0, self->memfd);
	self->view = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->memfd, 0);
	ASSERT_NE(MAP_FAILED, self->view);
	iommufd_stamp_pages(self->view, FILE_SIZE, FILE_SEED);
}

FIXTURE_TEARDOWN(file_pinning)
{
	munmap(self->view, FILE_SIZE);
	close(self->memfd);
	close(self->fd);
}

TEST_F(file_pinning, file_mapping_reaches_every_domain_and_pins_once)
{
	ASSERT_EQ(0, iommufd_ioas_map_file_fixed_err(self->fd,
						     self->domains.ioas_id,
						     self->memfd, 0, FILE_SIZE,
						     APERTURE_IOVA));
	EXPECT_EQ(0,
		  iommufd_check_domains(self->fd, &self->domains, APERTURE_IOVA,
					FILE_SIZE, self->view));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->view, FILE_SIZE,
					    iommufd_pins_with(&self->domains)));
}

TEST_F(file_pinning, file_pages_never_written_are_made_when_pinned)
{
	int memfd = iommufd_memfd(FILE_SIZE, variant->memfd_flags);
	__u8 *view;
	size_t i;

	ASSERT_LE(0, memfd);
	ASSERT_EQ(0,
		  iommufd_ioas_map_file_fixed_err(self->fd,
						  self->domains.ioas_id, memfd,
						  0, FILE_SIZE, APERTURE_IOVA));
	/* Mapped only now: it finds the pages the pinning put in the file */
	view = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd,
		    0);
	ASSERT_NE(MAP_FAILED, view);
	for (i = 0; i != FILE_SIZE; i += PAGE_SIZE)
		ASSERT_EQ(0, view[i]);
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains,
					   APERTURE_IOVA, FILE_SIZE, view));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, view, FILE_SIZE,
					    iommufd_pins_with(&self->domains)));
	munmap(view, FILE_SIZE);
	close(memfd);
}

TEST_F(file_pinning, file_mapping_from_an_offset_maps_the_pages_there)
{
	const __u64 start = 5 * PAGE_SIZE, length = SZ_2M + 3 * PAGE_SIZE;

	ASSERT_EQ(0, iommufd_ioas_map_file_fixed_err(self->fd,
						     self->domains.ioas_id,
						     self->memfd, start, length,
						     APERTURE_IOVA));
	EXPECT_EQ(0,
		  iommufd_check_domains(self->fd, &self->domains, APERTURE_IOVA,
					length, self->view + start));
	EXPECT_EQ(0,
		  iommufd_check_refs_err(self->fd, self->view + start, length,
					 iommufd_pins_with(&self->domains)));
	/* Only the pages asked for */
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->view, start, 0));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd,
					    self->view + start + length,
					    FILE_SIZE - start - length, 0));
}

TEST_F(file_pinning, unmapping_a_file_mapping_unpins_its_pages)
{
	__u64 unmapped = 0;

	ASSERT_EQ(0, iommufd_ioas_map_file_fixed_err(self->fd,
						     self->domains.ioas_id,
						     self->memfd, 0, FILE_SIZE,
						     APERTURE_IOVA));
	ASSERT_EQ(0,
		  iommufd_ioas_unmap_count_err(self->fd, self->domains.ioas_id,
					       APERTURE_IOVA, FILE_SIZE,
					       &unmapped));
	EXPECT_EQ(FILE_SIZE, unmapped);
	EXPECT_TRUE(iommufd_domains_map_none_of(self->fd, &self->domains,
						APERTURE_IOVA, FILE_SIZE,
						self->view));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->view, FILE_SIZE,
					    0));
}

TEST_F(file_pinning, domain_linked_after_a_file_mapping_is_filled)
{
	struct iommufd_domain_set later =
		iommufd_more_domains_for(&self->domains);

	ASSERT_EQ(0, iommufd_ioas_map_file_fixed_err(self->fd,
						     self->domains.ioas_id,
						     self->memfd, 0, FILE_SIZE,
						     APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_link_domain(self->fd, &later, variant->dev_flags));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &later, APERTURE_IOVA,
					   FILE_SIZE, self->view));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->view, FILE_SIZE,
					    1));
	ASSERT_EQ(0, iommufd_unlink_domain(self->fd, &later));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->view, FILE_SIZE,
					    iommufd_pins_with(&self->domains)));
}

TEST_F(file_pinning, an_access_pins_the_pages_of_the_file)
{
	const __u64 start = 3 * PAGE_SIZE, length = 8 * PAGE_SIZE;
	int access_fd;
	__u32 pin_id;

	ASSERT_EQ(0, iommufd_ioas_map_file_fixed_err(self->fd,
						     self->domains.ioas_id,
						     self->memfd, 0, FILE_SIZE,
						     APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->domains.ioas_id,
					       FILE_ACCESS, &access_fd));
	/* The kernel checks each pinned page against the view's page */
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, access_fd,
					    APERTURE_IOVA + start, length,
					    self->view + start,
					    MOCK_FLAGS_ACCESS_WRITE, &pin_id));
	/* Domains and the access share one pin of each page */
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->view + start,
					    length, 1));
	ASSERT_EQ(0, iommufd_access_unpin_err(self->fd, access_fd, pin_id));
	EXPECT_EQ(0,
		  iommufd_check_refs_err(self->fd, self->view + start, length,
					 iommufd_pins_with(&self->domains)));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(file_pinning, an_access_reads_and_writes_the_file)
{
	static const __u32 rw_flags[] = { 0, MOCK_ACCESS_RW_SLOW_PATH };
	const __u64 offset = SZ_2M - 100, length = 200;
	__u8 bytes[200], from_file[200];
	unsigned int i;
	int access_fd;

	ASSERT_EQ(0, iommufd_ioas_map_file_fixed_err(self->fd,
						     self->domains.ioas_id,
						     self->memfd, 0, FILE_SIZE,
						     APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->domains.ioas_id,
					       0, &access_fd));
	for (i = 0; i != ARRAY_SIZE(rw_flags); i++) {
		ASSERT_EQ(0, iommufd_access_rw_err(self->fd, access_fd,
						   APERTURE_IOVA + offset,
						   bytes, length, rw_flags[i]));
		EXPECT_EQ(0, memcmp(bytes, self->view + offset, length));

		memset(bytes, 0x40 + i, length);
		ASSERT_EQ(0,
			  iommufd_access_rw_err(self->fd, access_fd,
						APERTURE_IOVA + offset, bytes,
						length,
						rw_flags[i] |
							MOCK_ACCESS_RW_WRITE));
		/* Through the file itself, not only through the view */
		ASSERT_EQ(length, pread(self->memfd, from_file, length,
					offset));
		EXPECT_EQ(0, memcmp(bytes, from_file, length));
	}
	EXPECT_EQ(0, close(access_fd));
}

/* ==== RLIMIT_MEMLOCK accounting ========================================== */

/*
 * Every pinned page shows in VmPin.  A process without CAP_IPC_LOCK is
 * also charged against its RLIMIT_MEMLOCK: per user (IOMMU_OPTION_RLIMIT_MODE
 * 0) in the user's locked page count, which /proc does not show, or per mm
 * (mode 1) in VmLck.  Pinning happens only while a domain (or an access)
 * needs the memory, so mapping without one charges nothing.
 */

#define LIMIT_PAGES 16
#define LIMIT_BYTES (LIMIT_PAGES * PAGE_SIZE)
#define MEMLOCK_BUF_SIZE (4 * LIMIT_BYTES)

/* What the pins of this process show in /proc/self/status */
struct pin_charge {
	/* VmPin and VmLck when the test started */
	long base_pin_kb;
	long base_lck_kb;
	/* Whether VmLck follows the pins too */
	bool in_vmlck;
};

FIXTURE(memlock)
{
	int fd;
	struct iommufd_domain_set domains;
	__u8 *buf;
	struct pin_charge charge;
};

FIXTURE_VARIANT(memlock)
{
	/* IOMMU_OPTION_RLIMIT_MODE: 0 per user, 1 per mm */
	__u64 rlimit_mode;
	/*
	 * Whether VmLck moves with the pins of a process without
	 * CAP_IPC_LOCK in this mode
	 */
	bool charges_vmlck;
};

FIXTURE_VARIANT_ADD(memlock, per_user)
{
	.rlimit_mode = 0,
	.charges_vmlck = false,
};

FIXTURE_VARIANT_ADD(memlock, per_mm)
{
	.rlimit_mode = 1,
	.charges_vmlck = true,
};

static int drop_capability(int cap)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &header, data))
		return errno;
	data[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	data[CAP_TO_INDEX(cap)].permitted &= ~CAP_TO_MASK(cap);
	data[CAP_TO_INDEX(cap)].inheritable &= ~CAP_TO_MASK(cap);
	return syscall(SYS_capset, &header, data) ? errno : 0;
}

/* Become a process whose pins are charged against a limit of @bytes */
static int limit_memlock(size_t bytes)
{
	struct rlimit limit = { .rlim_cur = bytes, .rlim_max = bytes };
	int err = drop_capability(CAP_IPC_LOCK);

	if (err)
		return err;
	return setrlimit(RLIMIT_MEMLOCK, &limit) ? errno : 0;
}

static long pinned_kb(void)
{
	return iommufd_proc_kb("/proc/self/status", "VmPin");
}

static long locked_kb(void)
{
	return iommufd_proc_kb("/proc/self/status", "VmLck");
}

FIXTURE_SETUP(memlock)
{
	__u64 mode = variant->rlimit_mode;

	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_SET, 0, &mode));
	ASSERT_EQ(0, iommufd_ioas_with_domains_err(self->fd, &self->domains, 1,
						   0));
	self->buf = iommufd_alloc_small_pages(MEMLOCK_BUF_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, self->buf);
	self->charge.base_pin_kb = pinned_kb();
	self->charge.base_lck_kb = locked_kb();
	self->charge.in_vmlck = variant->charges_vmlck;
	ASSERT_LE(0, self->charge.base_pin_kb);
	ASSERT_LE(0, self->charge.base_lck_kb);
}

FIXTURE_TEARDOWN(memlock)
{
	munmap(self->buf, MEMLOCK_BUF_SIZE);
	close(self->fd);
}

/* @pages pinned pages show in VmPin, and in VmLck if the charge goes there */
static bool charged(const struct __test_metadata *_metadata,
		    const struct pin_charge *charge, long pages)
{
	long pin_kb = pinned_kb() - charge->base_pin_kb;
	long lck_kb = locked_kb() - charge->base_lck_kb;
	long want_kb = pages * (long)(PAGE_SIZE / 1024);

	if (pin_kb != want_kb || lck_kb != (charge->in_vmlck ? want_kb : 0)) {
		TH_LOG("VmPin +%ld kB, VmLck +%ld kB for %ld pinned pages",
		       pin_kb, lck_kb, pages);
		return false;
	}
	return true;
}

TEST_F(memlock, rlimit_mode_reads_back)
{
	__u64 mode = UINT64_MAX;

	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_GET, 0, &mode));
	EXPECT_EQ(variant->rlimit_mode, mode);
}

TEST_F(memlock, rlimit_mode_cannot_change_once_objects_exist)
{
	__u64 mode = !variant->rlimit_mode;

	EXPECT_EQ(EBUSY, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					    IOMMU_OPTION_OP_SET, 0, &mode));
}

TEST_F(memlock, rlimit_mode_needs_cap_sys_resource)
{
	__u64 mode = variant->rlimit_mode;
	int fd;

	ASSERT_EQ(0, drop_capability(CAP_SYS_RESOURCE));
	fd = iommufd_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(EPERM, iommufd_option_err(fd, IOMMU_OPTION_RLIMIT_MODE,
					    IOMMU_OPTION_OP_SET, 0, &mode));
	mode = 2;
	EXPECT_EQ(EPERM, iommufd_option_err(fd, IOMMU_OPTION_RLIMIT_MODE,
					    IOMMU_OPTION_OP_SET, 0, &mode));
	close(fd);
}

TEST_F(memlock, rlimit_mode_beyond_1_is_einval)
{
	__u64 mode = 2;
	int fd = iommufd_open();

	ASSERT_LE(0, fd);
	EXPECT_EQ(EINVAL, iommufd_option_err(fd, IOMMU_OPTION_RLIMIT_MODE,
					     IOMMU_OPTION_OP_SET, 0, &mode));
	close(fd);
}

TEST_F(memlock, pins_of_a_privileged_process_show_in_vmpin_only)
{
	__u64 iova = APERTURE_IOVA;

	/* With CAP_IPC_LOCK nothing is charged against a limit */
	self->charge.in_vmlck = false;
	ASSERT_EQ(0,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf, MEMLOCK_BUF_SIZE, &iova));
	EXPECT_TRUE(charged(_metadata, &self->charge,
			    MEMLOCK_BUF_SIZE / PAGE_SIZE));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    iova, MEMLOCK_BUF_SIZE));
	EXPECT_TRUE(charged(_metadata, &self->charge, 0));
}

TEST_F(memlock, map_past_the_limit_is_enomem_and_charges_nothing)
{
	__u64 iova = APERTURE_IOVA;

	ASSERT_EQ(0, limit_memlock(LIMIT_BYTES));
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf,
					  LIMIT_BYTES - PAGE_SIZE, &iova));
	EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES - 1));

	/* Two more pages do not fit, nor does a much bigger map */
	iova = APERTURE_IOVA + SZ_1M;
	EXPECT_EQ(ENOMEM, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					       FIXED, self->buf + LIMIT_BYTES,
					       2 * PAGE_SIZE, &iova));
	EXPECT_EQ(ENOMEM, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					       FIXED, self->buf + LIMIT_BYTES,
					       2 * LIMIT_BYTES, &iova));
	EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES - 1));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf + LIMIT_BYTES,
					    2 * LIMIT_BYTES, 0));
	EXPECT_EQ(ENOENT,
		  iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id, iova,
					 2 * PAGE_SIZE));

	/* The last page does */
	EXPECT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf + LIMIT_BYTES,
					  PAGE_SIZE, &iova));
	EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES));
}

TEST_F(memlock, unmap_gives_the_charge_back_exactly)
{
	unsigned int round;
	__u64 iova;

	ASSERT_EQ(0, limit_memlock(LIMIT_BYTES));
	for (round = 0; round != 8; round++) {
		/* Different memory each round, exactly the limit */
		__u8 *va = self->buf + (round % 4) * LIMIT_BYTES;

		iova = 0;
		ASSERT_EQ(0,
			  iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					       RW, va, LIMIT_BYTES, &iova));
		EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES));
		ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd,
						    self->domains.ioas_id, iova,
						    LIMIT_BYTES));
		EXPECT_TRUE(charged(_metadata, &self->charge, 0));
	}
}

TEST_F(memlock, copy_shares_the_charge_of_its_source)
{
	__u64 iova = APERTURE_IOVA, copy_iova = 0;

	ASSERT_EQ(0, limit_memlock(LIMIT_BYTES));
	ASSERT_EQ(0,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf, LIMIT_BYTES, &iova));
	ASSERT_EQ(0, iommufd_ioas_copy_err(self->fd, self->domains.ioas_id,
					   self->domains.ioas_id, RW, iova,
					   LIMIT_BYTES, &copy_iova));
	EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    iova, LIMIT_BYTES));
	EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    copy_iova, LIMIT_BYTES));
	EXPECT_TRUE(charged(_metadata, &self->charge, 0));
}

TEST_F(memlock, nothing_is_charged_without_a_domain)
{
	__u32 lazy_ioas;
	__u64 iova = APERTURE_IOVA;

	ASSERT_EQ(0, limit_memlock(LIMIT_BYTES));
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &lazy_ioas));
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, lazy_ioas, FIXED, self->buf,
					  MEMLOCK_BUF_SIZE, &iova));
	EXPECT_TRUE(charged(_metadata, &self->charge, 0));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf,
					    MEMLOCK_BUF_SIZE, 0));

	/* A domain would have to pin all of it: refused, nothing kept */
	EXPECT_EQ(ENOMEM, iommufd_mock_domain_err(self->fd, lazy_ioas, NULL,
						  NULL, NULL));
	EXPECT_TRUE(charged(_metadata, &self->charge, 0));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf,
					    MEMLOCK_BUF_SIZE, 0));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, lazy_ioas, iova,
					    MEMLOCK_BUF_SIZE));
}

TEST_F(memlock, closing_the_context_gives_the_charge_back)
{
	__u64 iova = APERTURE_IOVA;

	ASSERT_EQ(0, limit_memlock(LIMIT_BYTES));
	ASSERT_EQ(0,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf, LIMIT_BYTES, &iova));
	EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_TRUE(charged(_metadata, &self->charge, 0));
}

TEST_F(memlock, map_over_a_hole_in_memory_is_efault_and_charges_nothing)
{
	const __u64 hole = LIMIT_BYTES / 2;
	__u64 iova = APERTURE_IOVA;

	ASSERT_EQ(0, limit_memlock(LIMIT_BYTES));
	ASSERT_EQ(0, munmap(self->buf + hole, PAGE_SIZE));
	EXPECT_EQ(EFAULT,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf, LIMIT_BYTES, &iova));
	EXPECT_TRUE(charged(_metadata, &self->charge, 0));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, hole, 0));
	/* The whole limit is still there to be used */
	EXPECT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf + LIMIT_BYTES,
					  LIMIT_BYTES, &iova));
	EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES));
}

TEST_F(memlock, file_pins_are_charged_and_given_back)
{
	int memfd = iommufd_memfd(LIMIT_BYTES, 0);

	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, limit_memlock(LIMIT_BYTES));
	ASSERT_EQ(0, iommufd_ioas_map_file_fixed_err(self->fd,
						     self->domains.ioas_id,
						     memfd, 0, LIMIT_BYTES,
						     APERTURE_IOVA));
	EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    APERTURE_IOVA, LIMIT_BYTES));
	EXPECT_TRUE(charged(_metadata, &self->charge, 0));
	close(memfd);
}

TEST_F(memlock, map_file_past_the_limit_is_enomem_and_charges_nothing)
{
	int memfd = iommufd_memfd(2 * LIMIT_BYTES, 0);
	__u8 *view;

	ASSERT_LE(0, memfd);
	view = mmap(NULL, 2 * LIMIT_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
		    memfd, 0);
	ASSERT_NE(MAP_FAILED, view);
	iommufd_stamp_pages(view, 2 * LIMIT_BYTES, 0);
	ASSERT_EQ(0, limit_memlock(LIMIT_BYTES));
	EXPECT_EQ(ENOMEM,
		  iommufd_ioas_map_file_fixed_err(self->fd,
						  self->domains.ioas_id, memfd,
						  0, 2 * LIMIT_BYTES,
						  APERTURE_IOVA));
	EXPECT_TRUE(charged(_metadata, &self->charge, 0));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, view, 2 * LIMIT_BYTES,
					    0));
	EXPECT_EQ(ENOENT,
		  iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					 APERTURE_IOVA, 2 * LIMIT_BYTES));
	munmap(view, 2 * LIMIT_BYTES);
	close(memfd);
}

/* ==== Small temporary memory: every batch boundary is crossed ============ */

#define BATCH_BUF_SIZE (1024 * PAGE_SIZE)

FIXTURE(small_batches)
{
	int fd;
	struct iommufd_domain_set domains;
	__u8 *buf;
};

FIXTURE_VARIANT(small_batches)
{
	__u32 memory_limit;
	unsigned int mock_domains;
};

/* The smallest limit the kernel takes: one batch entry */
FIXTURE_VARIANT_ADD(small_batches, limit_16_one_domain)
{
	.memory_limit = 16,
	.mock_domains = 1,
};

FIXTURE_VARIANT_ADD(small_batches, limit_64_two_domains)
{
	.memory_limit = 64,
	.mock_domains = 2,
};

FIXTURE_VARIANT_ADD(small_batches, limit_4k_one_domain)
{
	.memory_limit = 4096,
	.mock_domains = 1,
};

/*
 * Fault the pages in from the last to the first, so that consecutive
 * virtual pages tend to get physical pages that are not consecutive.
 */
static void fault_in_backwards(__u8 *va, size_t size)
{
	size_t off = size;

	while (off) {
		off -= PAGE_SIZE;
		*(__u64 *)(va + off) = off;
	}
}

FIXTURE_SETUP(small_batches)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_with_domains_err(self->fd, &self->domains,
						   variant->mock_domains, 0));
	self->buf = iommufd_mmap_aligned(BATCH_BUF_SIZE, SZ_2M,
					 PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(MAP_FAILED, self->buf);
	ASSERT_EQ(0, madvise(self->buf, BATCH_BUF_SIZE, MADV_NOHUGEPAGE));
	fault_in_backwards(self->buf, BATCH_BUF_SIZE);
	ASSERT_EQ(0, iommufd_set_temp_memory_limit_err(self->fd,
						       variant->memory_limit));
}

FIXTURE_TEARDOWN_PARENT(small_batches)
{
	const __u32 limit = IOMMUFD_TEST_DEFAULT_MEMORY_LIMIT;
	int fd = iommufd_open();

	/* Whatever happened to the test process, the default comes back */
	if (fd >= 0) {
		iommufd_set_temp_memory_limit_err(fd, limit);
		close(fd);
	}
}

TEST_F(small_batches, memory_limit_below_one_batch_entry_is_einval)
{
	EXPECT_EQ(EINVAL, iommufd_set_temp_memory_limit_err(self->fd, 0));
	EXPECT_EQ(EINVAL, iommufd_set_temp_memory_limit_err(self->fd, 11));
}

TEST_F(small_batches, large_map_reaches_every_domain)
{
	__u64 iova = APERTURE_IOVA;

	ASSERT_EQ(0,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf, BATCH_BUF_SIZE, &iova));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, iova,
					   BATCH_BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BATCH_BUF_SIZE,
					    1));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    iova, BATCH_BUF_SIZE));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BATCH_BUF_SIZE,
					    0));
}

TEST_F(small_batches, large_file_mapping_reaches_every_domain)
{
	int memfd = iommufd_memfd(BATCH_BUF_SIZE, 0);
	__u8 *view;

	ASSERT_LE(0, memfd);
	view = mmap(NULL, BATCH_BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		    memfd, 0);
	ASSERT_NE(MAP_FAILED, view);
	fault_in_backwards(view, BATCH_BUF_SIZE);
	ASSERT_EQ(0, iommufd_ioas_map_file_fixed_err(self->fd,
						     self->domains.ioas_id,
						     memfd, 0, BATCH_BUF_SIZE,
						     APERTURE_IOVA));
	EXPECT_EQ(0,
		  iommufd_check_domains(self->fd, &self->domains, APERTURE_IOVA,
					BATCH_BUF_SIZE, view));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, view, BATCH_BUF_SIZE, 1));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    APERTURE_IOVA, BATCH_BUF_SIZE));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, view, BATCH_BUF_SIZE, 0));
	munmap(view, BATCH_BUF_SIZE);
	close(memfd);
}

TEST_F(small_batches, fragments_fill_a_domain_linked_later)
{
	struct iommufd_domain_set later =
		iommufd_more_domains_for(&self->domains);
	__u64 offset = 0, iova = APERTURE_IOVA;
	unsigned int n = 1;

	/* Mappings of 1, 2, 3 ... pages, each with a one page hole after */
	while (offset + n * PAGE_SIZE <= BATCH_BUF_SIZE) {
		ASSERT_EQ(0,
			  iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					       FIXED, self->buf + offset,
					       n * PAGE_SIZE, &iova));
		offset += n * PAGE_SIZE;
		iova += (n + 1) * PAGE_SIZE;
		n++;
	}
	ASSERT_EQ(0, iommufd_link_domain(self->fd, &later, 0));

	offset = 0;
	iova = APERTURE_IOVA;
	for (n = 1; offset + n * PAGE_SIZE <= BATCH_BUF_SIZE; n++) {
		EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains,
						   iova, n * PAGE_SIZE,
						   self->buf + offset));
		EXPECT_EQ(0, iommufd_check_domains(self->fd, &later, iova,
						   n * PAGE_SIZE,
						   self->buf + offset));
		offset += n * PAGE_SIZE;
		iova += (n + 1) * PAGE_SIZE;
	}
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, offset, 1));
	ASSERT_EQ(0, iommufd_unlink_domain(self->fd, &later));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id, 0,
					    UINT64_MAX));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BATCH_BUF_SIZE,
					    0));
}

TEST_F(small_batches, map_over_a_hole_in_memory_unwinds_every_batch)
{
	const __u64 hole = BATCH_BUF_SIZE - 64 * PAGE_SIZE;
	__u64 iova = APERTURE_IOVA;

	ASSERT_EQ(0, munmap(self->buf + hole, PAGE_SIZE));
	EXPECT_EQ(EFAULT,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf, BATCH_BUF_SIZE, &iova));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, hole, 0));
	EXPECT_TRUE(iommufd_domains_map_none_of(self->fd, &self->domains,
						APERTURE_IOVA, hole,
						self->buf));
	EXPECT_EQ(ENOENT,
		  iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					 APERTURE_IOVA, BATCH_BUF_SIZE));
}

TEST_F(small_batches, copy_of_a_range_over_many_sources)
{
	struct iommufd_domain_set dst = {};
	const __u64 chunk = 7 * PAGE_SIZE;
	__u64 offset, iova, copied, dst_iova = APERTURE_IOVA;
	__u8 *copied_va = self->buf + PAGE_SIZE;

	/* Back to back mappings, each of different memory than the last */
	for (offset = 0; offset + chunk <= BATCH_BUF_SIZE; offset += chunk) {
		iova = APERTURE_IOVA + offset;
		ASSERT_EQ(0,
			  iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					       FIXED, self->buf + offset, chunk,
					       &iova));
	}
	/* All but the first and the last page */
	copied = offset - 2 * PAGE_SIZE;
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &dst.ioas_id));
	ASSERT_EQ(0, iommufd_link_domain(self->fd, &dst, 0));
	ASSERT_EQ(0, iommufd_ioas_copy_err(self->fd, dst.ioas_id,
					   self->domains.ioas_id, FIXED,
					   APERTURE_IOVA + PAGE_SIZE, copied,
					   &dst_iova));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &dst, dst_iova, copied,
					   copied_va));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, offset, 1));

	/* The copy holds the memory of all the sources it spans */
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id, 0,
					    UINT64_MAX));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &dst, dst_iova, copied,
					   copied_va));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, copied_va, copied, 1));
	ASSERT_EQ(0,
		  iommufd_ioas_unmap_err(self->fd, dst.ioas_id, 0, UINT64_MAX));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BATCH_BUF_SIZE,
					    0));
}

/* ==== fork() ============================================================= */

#define FORK_BUF_SIZE (64 * PAGE_SIZE)
#define PARENT_SEED 0x706172656e740000ull
#define CHILD_SEED 0x6368696c64000000ull

FIXTURE(after_fork)
{
	int fd;
	struct iommufd_domain_set domains;
	__u8 *buf;
	__u64 iova;
};

FIXTURE_VARIANT(after_fork)
{
	int share;
};

FIXTURE_VARIANT_ADD(after_fork, shared)
{
	.share = MAP_SHARED,
};

FIXTURE_VARIANT_ADD(after_fork, private)
{
	.share = MAP_PRIVATE,
};

FIXTURE_SETUP(after_fork)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_with_domains_err(self->fd, &self->domains, 1,
						   0));
	self->buf = iommufd_alloc_small_pages(FORK_BUF_SIZE, variant->share);
	ASSERT_NE(NULL, self->buf);
	iommufd_stamp_pages(self->buf, FORK_BUF_SIZE, PARENT_SEED);
	self->iova = APERTURE_IOVA;
	ASSERT_EQ(0,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf, FORK_BUF_SIZE, &self->iova));
}

FIXTURE_TEARDOWN(after_fork)
{
	munmap(self->buf, FORK_BUF_SIZE);
	close(self->fd);
}

/*
 * In a child: write our own stamp, then ask the domain whether it still
 * translates @iova to what this process sees at @buf.  The exit code is
 * that answer.
 */
static void child_writes_and_checks(int fd, __u32 hwpt_id, __u64 iova,
				    __u8 *buf)
{
	iommufd_stamp_pages(buf, FORK_BUF_SIZE, CHILD_SEED);
	_exit(iommufd_check_map_err(fd, hwpt_id, iova, FORK_BUF_SIZE, buf));
}

static int wait_exit_code(pid_t child)
{
	int status;

	if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(after_fork, mapping_stays_with_the_parent_after_the_child_exits)
{
	pid_t child = fork();

	ASSERT_LE(0, child);
	if (!child)
		_exit(0);
	ASSERT_EQ(0, wait_exit_code(child));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, self->iova,
					   FORK_BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, FORK_BUF_SIZE,
					    1));
	EXPECT_TRUE(iommufd_pages_carry_stamp(self->buf, FORK_BUF_SIZE,
					      PARENT_SEED));
}

TEST_F(after_fork, child_writes_reach_the_domain_only_through_shared_memory)
{
	pid_t child = fork();
	int child_check;

	ASSERT_LE(0, child);
	if (!child)
		child_writes_and_checks(self->fd, self->domains.hwpt_id[0],
					self->iova, self->buf);
	child_check = wait_exit_code(child);

	/* The domain still translates to the parent's memory */
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, self->iova,
					   FORK_BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, FORK_BUF_SIZE,
					    1));
	if (variant->share == MAP_SHARED) {
		/* One memory for both: the child saw the domain's pages */
		EXPECT_EQ(0, child_check);
		EXPECT_TRUE(iommufd_pages_carry_stamp(self->buf, FORK_BUF_SIZE,
						      CHILD_SEED));
	} else {
		/* The child got copies; the parent's pages are untouched */
		EXPECT_EQ(EINVAL, child_check);
		EXPECT_TRUE(iommufd_pages_carry_stamp(self->buf, FORK_BUF_SIZE,
						      PARENT_SEED));
	}
}

TEST_F(after_fork, parent_writes_after_fork_keep_the_pinned_pages)
{
	int to_child[2];
	pid_t child;
	char go = 0;

	ASSERT_EQ(0, pipe(to_child));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		/* Live on, sharing what fork shares, till the parent wrote */
		close(to_child[1]);
		if (read(to_child[0], &go, 1) != 1)
			_exit(2);
		_exit(iommufd_pages_carry_stamp(self->buf, FORK_BUF_SIZE,
						variant->share == MAP_SHARED ?
							CHILD_SEED :
							PARENT_SEED) ?
			      0 :
			      1);
	}
	close(to_child[0]);
	iommufd_stamp_pages(self->buf, FORK_BUF_SIZE, CHILD_SEED);
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, self->iova,
					   FORK_BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, FORK_BUF_SIZE,
					    1));
	ASSERT_EQ(1, write(to_child[1], &go, 1));
	close(to_child[1]);
	/* The child saw our writes only through shared memory */
	EXPECT_EQ(0, wait_exit_code(child));
}

/* ==== Automatic IOVA allocation with many areas ========================== */

#define WINDOW_PAGES 1024
#define MANY_MAPS (2 * WINDOW_PAGES)

FIXTURE(many_areas)
{
	int fd;
	struct iommufd_domain_set domains;
	__u8 *buf;
	__u64 iovas[MANY_MAPS];
	struct iommu_iova_range windows[2];
};

FIXTURE_VARIANT(many_areas)
{
	unsigned int mock_domains;
};

FIXTURE_VARIANT_ADD(many_areas, no_domain)
{
	.mock_domains = 0,
};

FIXTURE_VARIANT_ADD(many_areas, one_domain)
{
	.mock_domains = 1,
};

FIXTURE_SETUP(many_areas)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_with_domains_err(self->fd, &self->domains,
						   variant->mock_domains, 0));
	/* Two windows of exactly WINDOW_PAGES pages, apart */
	self->windows[0].start = APERTURE_IOVA + 16 * SZ_1M;
	self->windows[0].last =
		self->windows[0].start + WINDOW_PAGES * PAGE_SIZE - 1;
	self->windows[1].start = APERTURE_IOVA + 64 * SZ_1M + PAGE_SIZE;
	self->windows[1].last =
		self->windows[1].start + WINDOW_PAGES * PAGE_SIZE - 1;
	ASSERT_EQ(0,
		  iommufd_ioas_allow_iovas_err(self->fd, self->domains.ioas_id,
					       self->windows,
					       ARRAY_SIZE(self->windows)));
	self->buf =
		iommufd_alloc_small_pages(MANY_MAPS * PAGE_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(many_areas)
{
	munmap(self->buf, MANY_MAPS * PAGE_SIZE);
	close(self->fd);
}

static int compare_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Does the page at @iova lie inside one of the two windows? */
static bool in_a_window(const struct iommu_iova_range *windows, __u64 iova)
{
	unsigned int i;

	for (i = 0; i != 2; i++)
		if (iova >= windows[i].start &&
		    iova + PAGE_SIZE - 1 <= windows[i].last)
			return true;
	return false;
}

TEST_F(many_areas, thousands_of_automatic_iovas_fill_the_windows_exactly)
{
	__u64 spare, unmapped = 0;
	unsigned int i, outside = 0, overlaps = 0;

	for (i = 0; i != MANY_MAPS; i++) {
		self->iovas[i] = 0;
		ASSERT_EQ(0,
			  iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					       RW, self->buf + i * PAGE_SIZE,
					       PAGE_SIZE, &self->iovas[i]));
	}
	/* Every page of both windows is taken now */
	spare = 0;
	EXPECT_EQ(ENOSPC,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, RW,
				       self->buf, PAGE_SIZE, &spare));

	qsort(self->iovas, MANY_MAPS, sizeof(self->iovas[0]), compare_u64);
	for (i = 0; i != MANY_MAPS; i++) {
		if (!in_a_window(self->windows, self->iovas[i]))
			outside++;
		if (i && self->iovas[i - 1] + PAGE_SIZE > self->iovas[i])
			overlaps++;
	}
	EXPECT_EQ(0, outside);
	EXPECT_EQ(0, overlaps);
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf,
					    MANY_MAPS * PAGE_SIZE,
					    iommufd_pins_with(&self->domains)));

	ASSERT_EQ(0,
		  iommufd_ioas_unmap_count_err(self->fd, self->domains.ioas_id,
					       0, UINT64_MAX, &unmapped));
	EXPECT_EQ(MANY_MAPS * PAGE_SIZE, unmapped);
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf,
					    MANY_MAPS * PAGE_SIZE, 0));
}

TEST_F(many_areas, holes_left_by_unmaps_are_found_again)
{
	unsigned int i, reused = 0;
	__u64 iova;

	for (i = 0; i != MANY_MAPS; i++) {
		self->iovas[i] = 0;
		ASSERT_EQ(0,
			  iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					       RW, self->buf + i * PAGE_SIZE,
					       PAGE_SIZE, &self->iovas[i]));
	}
	/* Every eighth mapping goes; the same number of new ones fit */
	for (i = 0; i < MANY_MAPS; i += 8)
		ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd,
						    self->domains.ioas_id,
						    self->iovas[i], PAGE_SIZE));
	for (i = 0; i < MANY_MAPS; i += 8) {
		iova = 0;
		ASSERT_EQ(0, iommufd_ioas_map_err(self->fd,
						  self->domains.ioas_id, RW,
						  self->buf, PAGE_SIZE, &iova));
		reused += in_a_window(self->windows, iova);
		EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains,
						   iova, PAGE_SIZE, self->buf));
	}
	EXPECT_EQ(MANY_MAPS / 8, reused);
	iova = 0;
	EXPECT_EQ(ENOSPC,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, RW,
				       self->buf, PAGE_SIZE, &iova));
}

TEST_HARNESS_MAIN
