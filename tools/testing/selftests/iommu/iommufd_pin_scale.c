// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pinning engine with many pages and many areas: mapping, filling a
 * domain and copying through temporary memory so small that every batch
 * boundary is crossed, and thousands of mappings at automatic IOVAs in two
 * narrow windows.  One behaviour per test.
 *
 * Each test runs in a process of its own (the harness forks for it); the
 * temporary memory limit of the test ioctl, which the whole system shares,
 * is put back by a teardown in the parent.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "iommufd_helpers.h"

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

/* The whole buffer is one batch, mapped page by page */
FIXTURE_VARIANT_ADD(small_batches, default_limit_two_domains)
{
	.memory_limit = IOMMUFD_TEST_DEFAULT_MEMORY_LIMIT,
	.mock_domains = 2,
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
	/*
	 * Every page a physical stretch of its own: each is a run, or is
	 * mapped straight from the pinned list, and none merges with the next
	 */
	self->buf = iommufd_alloc_scattered_pages(BATCH_BUF_SIZE);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(BATCH_BUF_SIZE / PAGE_SIZE,
		  iommufd_count_stretches(self->buf, BATCH_BUF_SIZE));
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

/*
 * Half a page in at either end: the partial first and last pages take the
 * batch's runs, the whole pages between them may be mapped from the pinned
 * list, and every byte must land where it belongs either way
 */
TEST_F(small_batches, map_from_mid_page_to_mid_page)
{
	const __u64 length = BATCH_BUF_SIZE - PAGE_SIZE;
	const __u64 iova = APERTURE_IOVA + PAGE_SIZE / 2;
	__u64 mapped_iova = iova;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf + PAGE_SIZE / 2,
					  length, &mapped_iova));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, iova,
					   length, self->buf + PAGE_SIZE / 2));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BATCH_BUF_SIZE,
					    1));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    iova, length));
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
