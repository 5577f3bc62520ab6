// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pinning memory that is not small anonymous pages: transparent huge pages
 * and hugetlbfs pages mapped into mock domains with large IO pages, and the
 * pages of shmem and hugetlbfs files mapped with IOMMU_IOAS_MAP_FILE, into
 * 0, 1 and 2 domains and through an access.  One behaviour per test.
 *
 * Each test runs in a process of its own (the harness forks for it); the
 * hugetlb pool, which the whole system shares, is put back by a teardown
 * in the parent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "iommufd_helpers.h"

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

TEST_HARNESS_MAIN
