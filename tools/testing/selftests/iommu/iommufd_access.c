// SPDX-License-Identifier: GPL-2.0-only
/*
 * Emulated accesses, driven through IOMMU_TEST_CMD the way a mediated
 * device driver uses them: creating one on an IOAS, pinning and unpinning
 * IOVA ranges, copying to and from them, being told to unpin when user
 * space unmaps, moving to another IOAS, and all of that racing with
 * unmaps.  Each test runs on an IOAS without domains and on one with one
 * and two mock domains.  One behaviour per test, named after the behaviour.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "../kselftest_harness.h"
#include "iommufd_helpers.h"
#include "iommufd_uffd.h"

#define BUF_PAGES 16
#define FIXED_RO (IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE)
#define PIN MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES

/* The IOAS's out_iova_alignment, or 0 if IOMMU_IOAS_IOVA_RANGES failed */
static __u64 ioas_alignment(int fd, __u32 ioas_id)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
	};

	/* No room for ranges: EMSGSIZE, with the alignment filled in */
	if (ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd) && errno != EMSGSIZE)
		return 0;
	return cmd.out_iova_alignment;
}

static void fill_pattern(__u8 *buf, size_t size, unsigned int seed)
{
	size_t i;

	for (i = 0; i != size; i++)
		buf[i] = (__u8)(i * 7 + seed);
}

FIXTURE(access)
{
	int fd;
	__u32 ioas_id;
	__u8 *buf;
	/* Other memory, for mappings that must not be confused with buf */
	__u8 *other;
	/*
	 * How often a page that is mapped but that no access pinned is
	 * pinned: once if domains map it.  Domains and accesses share one
	 * pin of each page, so a page an access pinned is pinned once.
	 */
	__u32 unpinned_refs;
};

FIXTURE_VARIANT(access)
{
	unsigned int mock_domains;
};

FIXTURE_VARIANT_ADD(access, no_domain)
{
	.mock_domains = 0,
};

FIXTURE_VARIANT_ADD(access, one_mock_domain)
{
	.mock_domains = 1,
};

FIXTURE_VARIANT_ADD(access, two_mock_domains)
{
	.mock_domains = 2,
};

FIXTURE_SETUP(access)
{
	unsigned int i;

	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &self->ioas_id));
	for (i = 0; i != variant->mock_domains; i++)
		ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
						     NULL, NULL, NULL));
	self->buf = iommufd_alloc_small_pages(BUF_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, self->buf);
	self->other = iommufd_alloc_small_pages(BUF_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, self->other);
	fill_pattern(self->buf, BUF_SIZE, 1);
	fill_pattern(self->other, BUF_SIZE, 99);
	self->unpinned_refs = variant->mock_domains ? 1 : 0;
}

FIXTURE_TEARDOWN(access)
{
	munmap(self->buf, BUF_SIZE);
	munmap(self->other, BUF_SIZE);
	close(self->fd);
}

/* ---- creating and destroying -------------------------------------------- */

TEST_F(access, creating_an_access_gives_a_new_descriptor)
{
	int access_fd = -1;

	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, PIN,
					       &access_fd));
	EXPECT_LE(0, access_fd);
	EXPECT_NE(self->fd, access_fd);
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, a_copying_access_can_be_created_too)
{
	int access_fd = -1;

	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, 0,
					       &access_fd));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, create_on_an_unknown_ioas_is_enoent)
{
	int access_fd = -1;

	EXPECT_EQ(ENOENT, iommufd_create_access_err(self->fd, NO_SUCH_ID, PIN,
						    &access_fd));
	EXPECT_EQ(-1, access_fd);
}

TEST_F(access, create_with_unknown_flags_is_eopnotsupp)
{
	int access_fd = -1;

	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_create_access_err(self->fd, self->ioas_id, 1 << 1,
					    &access_fd));
}

TEST_F(access, an_ioas_with_an_access_cannot_be_destroyed)
{
	int access_fd;

	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, PIN,
					       &access_fd));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->ioas_id));
	ASSERT_EQ(0, close(access_fd));
	/* With mock domains, their devices still hold the IOAS */
	if (!variant->mock_domains)
		EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->ioas_id));
}

TEST_F(access, the_object_id_of_an_access_cannot_be_destroyed)
{
	__u32 before_id, after_id;
	int fd, access_fd;

	/*
	 * The access's ID is not reported, but IDs are handed out in order
	 * in a new context, so it is the one between two IOASes.
	 */
	fd = iommufd_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(fd, &before_id));
	ASSERT_EQ(0, iommufd_create_access_err(fd, before_id, PIN,
					       &access_fd));
	ASSERT_EQ(0, iommufd_ioas_alloc_err(fd, &after_id));
	ASSERT_EQ(before_id + 2, after_id);

	EXPECT_EQ(EBUSY, iommufd_destroy_err(fd, before_id + 1));
	ASSERT_EQ(0, close(access_fd));
	EXPECT_EQ(ENOENT, iommufd_destroy_err(fd, before_id + 1));
	EXPECT_EQ(0, iommufd_destroy_err(fd, before_id));
	EXPECT_EQ(0, close(fd));
}

TEST_F(access, ops_on_a_descriptor_that_is_not_an_access_are_ebadfd)
{
	__u8 byte;
	int fds[] = { self->fd, 0x7ffffff0 };
	unsigned int i;

	for (i = 0; i != ARRAY_SIZE(fds); i++) {
		EXPECT_EQ(EBADFD,
			  iommufd_access_pin_err(self->fd, fds[i],
						 APERTURE_IOVA, PAGE_SIZE, NULL,
						 0, NULL));
		EXPECT_EQ(EBADFD,
			  iommufd_access_unpin_err(self->fd, fds[i], 0));
		EXPECT_EQ(EBADFD,
			  iommufd_access_rw_err(self->fd, fds[i], APERTURE_IOVA,
						&byte, 1, 0));
		EXPECT_EQ(EBADFD, iommufd_access_replace_err(self->fd, fds[i],
							     self->ioas_id));
	}
}

TEST_F(access, an_access_of_another_context_is_ebadfd)
{
	__u32 other_ioas_id;
	int other_fd, access_fd;
	__u8 byte;

	other_fd = iommufd_open();
	ASSERT_LE(0, other_fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(other_fd, &other_ioas_id));
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(other_fd, other_ioas_id, self->buf,
					     BUF_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_create_access_err(other_fd, other_ioas_id, PIN,
					       &access_fd));

	EXPECT_EQ(EBADFD,
		  iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					 PAGE_SIZE, NULL, 0, NULL));
	EXPECT_EQ(EBADFD, iommufd_access_rw_err(self->fd, access_fd,
						APERTURE_IOVA, &byte, 1, 0));
	EXPECT_EQ(0, iommufd_access_rw_err(other_fd, access_fd, APERTURE_IOVA,
					   &byte, 1, 0));
	EXPECT_EQ(0, close(access_fd));
	EXPECT_EQ(0, close(other_fd));
}

TEST_F(access, an_access_keeps_its_context_after_the_iommufd_is_closed)
{
	__u32 other_ioas_id, pin_id;
	int other_fd, access_fd;

	other_fd = iommufd_open();
	ASSERT_LE(0, other_fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(other_fd, &other_ioas_id));
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(other_fd, other_ioas_id, self->buf,
					     BUF_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_create_access_err(other_fd, other_ioas_id, PIN,
					       &access_fd));
	ASSERT_EQ(0, iommufd_access_pin_err(other_fd, access_fd, APERTURE_IOVA,
					    BUF_SIZE, self->buf, 0, &pin_id));
	ASSERT_EQ(0, close(other_fd));
	/* The context goes only now; kmemleak checks that all of it did */
	EXPECT_EQ(0, close(access_fd));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
}

/* ---- what an access asks of its IOAS ------------------------------------ */

TEST_F(access, a_pinning_access_makes_the_ioas_page_aligned)
{
	__u64 alignment = ioas_alignment(self->fd, self->ioas_id);
	int access_fd;

	ASSERT_NE(0, alignment);
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, PIN,
					       &access_fd));
	EXPECT_EQ(PAGE_SIZE, ioas_alignment(self->fd, self->ioas_id));
	ASSERT_EQ(0, close(access_fd));
	EXPECT_EQ(alignment, ioas_alignment(self->fd, self->ioas_id));
}

TEST_F(access, a_copying_access_asks_for_no_alignment)
{
	__u64 alignment = ioas_alignment(self->fd, self->ioas_id);
	int access_fd;

	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, 0,
					       &access_fd));
	EXPECT_EQ(alignment, ioas_alignment(self->fd, self->ioas_id));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, sub_page_mappings_are_refused_while_a_pinning_access_is_on)
{
	int access_fd;

	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, PIN,
					       &access_fd));
	EXPECT_EQ(EINVAL,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     PAGE_SIZE / 2, APERTURE_IOVA));
	EXPECT_EQ(EINVAL,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     PAGE_SIZE,
					     APERTURE_IOVA + PAGE_SIZE / 2));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, a_pinning_access_cannot_join_an_ioas_with_a_sub_page_mapping)
{
	int access_fd = -1;

	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     PAGE_SIZE / 2, APERTURE_IOVA));
	EXPECT_EQ(EADDRINUSE,
		  iommufd_create_access_err(self->fd, self->ioas_id, PIN,
					    &access_fd));
	/* An access that only copies does not mind */
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, 0,
					       &access_fd));
	EXPECT_EQ(0, close(access_fd));
}

/* ---- pinning ------------------------------------------------------------ */

/* Map @buf at APERTURE_IOVA and create a pinning access; its fd, or -1 */
static int mapped_pinning_access(int fd, __u32 ioas_id, __u8 *buf)
{
	int access_fd = -1;

	if (iommufd_ioas_map_fixed_err(fd, ioas_id, buf, BUF_SIZE,
				       APERTURE_IOVA) ||
	    iommufd_create_access_err(fd, ioas_id, PIN, &access_fd))
		return -1;
	return access_fd;
}

TEST_F(access, pin_and_unpin_a_range)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);
	__u32 pin_id;

	ASSERT_LE(0, access_fd);
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					    BUF_SIZE, self->buf, 0, &pin_id));
	EXPECT_EQ(0, iommufd_access_unpin_err(self->fd, access_fd, pin_id));
	EXPECT_EQ(ENOENT, iommufd_access_unpin_err(self->fd, access_fd,
						   pin_id));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, pin_for_writing_and_unpin)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);
	__u32 pin_id;

	ASSERT_LE(0, access_fd);
	ASSERT_EQ(0,
		  iommufd_access_pin_err(self->fd, access_fd,
					 APERTURE_IOVA + PAGE_SIZE,
					 3 * PAGE_SIZE, self->buf + PAGE_SIZE,
					 MOCK_FLAGS_ACCESS_WRITE, &pin_id));
	EXPECT_EQ(0, iommufd_access_unpin_err(self->fd, access_fd, pin_id));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, every_length_from_one_page_to_the_whole_buffer_pins)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);
	unsigned int npages;
	__u32 pin_id;

	ASSERT_LE(0, access_fd);
	for (npages = 1; npages <= BUF_PAGES; npages++) {
		ASSERT_EQ(0, iommufd_access_pin_err(self->fd, access_fd,
						    APERTURE_IOVA,
						    npages * PAGE_SIZE,
						    self->buf, 0, &pin_id));
		ASSERT_EQ(0, iommufd_access_unpin_err(self->fd, access_fd,
						      pin_id));
	}
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, a_partial_last_page_is_pinned)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);
	__u32 pin_id;

	ASSERT_LE(0, access_fd);
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					    PAGE_SIZE + 100, self->buf, 0,
					    &pin_id));
	EXPECT_EQ(0, iommufd_access_unpin_err(self->fd, access_fd, pin_id));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, pin_checks_the_pages_against_user_memory)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);

	ASSERT_LE(0, access_fd);
	EXPECT_EQ(EBADE,
		  iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					 PAGE_SIZE, self->other, 0, NULL));
	/* Pinning the wrong pages left nothing pinned behind */
	ASSERT_EQ(0, close(access_fd));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    self->unpinned_refs));
}

TEST_F(access, pin_needs_an_access_made_for_pinning)
{
	int access_fd;

	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     BUF_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, 0,
					       &access_fd));
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					 PAGE_SIZE, NULL, 0, NULL));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, pin_with_unknown_flags_is_eopnotsupp)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);

	ASSERT_LE(0, access_fd);
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					 PAGE_SIZE, NULL, 1 << 1, NULL));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, pin_argument_errors)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);

	ASSERT_LE(0, access_fd);
	EXPECT_EQ(EINVAL,
		  iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA, 0,
					 NULL, 0, NULL));
	EXPECT_EQ(EINVAL,
		  iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA + 8,
					 PAGE_SIZE, NULL, 0, NULL));
	EXPECT_EQ(EOVERFLOW,
		  iommufd_access_pin_err(self->fd, access_fd,
					 (__u64)-1 & ~(PAGE_SIZE - 1),
					 2 * PAGE_SIZE, NULL, 0, NULL));
	/* Refused before the kernel sizes anything for it */
	EXPECT_EQ(ENOMEM,
		  iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					 (16UL << 20) + PAGE_SIZE, NULL, 0,
					 NULL));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, pin_of_unmapped_iova_is_enoent)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);

	ASSERT_LE(0, access_fd);
	/* Entirely outside, then running off either end */
	EXPECT_EQ(ENOENT, iommufd_access_pin_err(self->fd, access_fd,
						 APERTURE_IOVA + BUF_SIZE,
						 PAGE_SIZE, NULL, 0, NULL));
	EXPECT_EQ(ENOENT,
		  iommufd_access_pin_err(self->fd, access_fd,
					 APERTURE_IOVA + BUF_SIZE - PAGE_SIZE,
					 2 * PAGE_SIZE, NULL, 0, NULL));
	EXPECT_EQ(ENOENT, iommufd_access_pin_err(self->fd, access_fd,
						 APERTURE_IOVA - PAGE_SIZE,
						 2 * PAGE_SIZE, NULL, 0, NULL));
	ASSERT_EQ(0, close(access_fd));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    self->unpinned_refs));
}

TEST_F(access, pin_across_a_hole_is_enoent_and_pins_nothing)
{
	int access_fd;

	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     PAGE_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
						self->buf + 2 * PAGE_SIZE,
						PAGE_SIZE,
						APERTURE_IOVA + 2 * PAGE_SIZE));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, PIN,
					       &access_fd));
	EXPECT_EQ(ENOENT,
		  iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					 3 * PAGE_SIZE, NULL, 0, NULL));
	/* The first page was given back: nothing blocks its unmap */
	EXPECT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
					    APERTURE_IOVA, PAGE_SIZE));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, PAGE_SIZE, 0));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, pin_after_the_range_was_unmapped_is_enoent)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);

	ASSERT_LE(0, access_fd);
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
					    APERTURE_IOVA, BUF_SIZE));
	EXPECT_EQ(ENOENT,
		  iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					 PAGE_SIZE, NULL, 0, NULL));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, pin_for_writing_of_a_read_only_mapping_is_eperm)
{
	__u64 iova = APERTURE_IOVA;
	int access_fd;
	__u32 pin_id;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED_RO,
					  self->buf, BUF_SIZE, &iova));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, PIN,
					       &access_fd));
	EXPECT_EQ(EPERM, iommufd_access_pin_err(self->fd, access_fd,
						APERTURE_IOVA, PAGE_SIZE, NULL,
						MOCK_FLAGS_ACCESS_WRITE, NULL));
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					    PAGE_SIZE, self->buf, 0, &pin_id));
	EXPECT_EQ(0, iommufd_access_unpin_err(self->fd, access_fd, pin_id));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, a_pin_may_span_adjacent_mappings)
{
	size_t half = BUF_SIZE / 2;
	struct iommufd_pin_unmap op = {
		.pin_iova = APERTURE_IOVA + PAGE_SIZE,
		.pin_length = BUF_SIZE - 2 * PAGE_SIZE,
		.uptr = self->buf + PAGE_SIZE,
		.ioas_id = self->ioas_id,
		.unmap_iova = APERTURE_IOVA + half,
		.unmap_length = half,
	};
	int access_fd;

	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     half, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
						self->buf + half, half,
						APERTURE_IOVA + half));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, PIN,
					       &access_fd));
	ASSERT_EQ(0, iommufd_pin_unmap_unpin_err(self->fd, access_fd, &op));
	EXPECT_EQ(0, op.unmap_err);
	/* Unmapping either half revokes the pin that spans both */
	EXPECT_EQ(ENOENT, op.unpin_err);
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, the_same_range_may_be_pinned_twice)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);
	__u32 first_id, second_id;

	ASSERT_LE(0, access_fd);
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					    BUF_SIZE, self->buf, 0, &first_id));
	ASSERT_EQ(0,
		  iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					 BUF_SIZE, self->buf, 0, &second_id));
	EXPECT_NE(first_id, second_id);
	EXPECT_EQ(0, iommufd_access_unpin_err(self->fd, access_fd, first_id));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 1));
	EXPECT_EQ(0, iommufd_access_unpin_err(self->fd, access_fd, second_id));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    self->unpinned_refs));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, md_check_refs_follows_the_pins)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);
	__u32 pin_id;

	ASSERT_LE(0, access_fd);
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    self->unpinned_refs));
	ASSERT_EQ(0,
		  iommufd_access_pin_err(self->fd, access_fd,
					 APERTURE_IOVA + PAGE_SIZE, PAGE_SIZE,
					 self->buf + PAGE_SIZE, 0, &pin_id));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf + PAGE_SIZE,
					    PAGE_SIZE, 1));
	/* Only the page asked for */
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, PAGE_SIZE,
					    self->unpinned_refs));
	EXPECT_EQ(0, iommufd_access_unpin_err(self->fd, access_fd, pin_id));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    self->unpinned_refs));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, closing_the_access_releases_its_pins)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);
	unsigned int i;

	ASSERT_LE(0, access_fd);
	for (i = 0; i != BUF_PAGES; i++)
		ASSERT_EQ(0,
			  iommufd_access_pin_err(self->fd, access_fd,
						 APERTURE_IOVA + i * PAGE_SIZE,
						 PAGE_SIZE,
						 self->buf + i * PAGE_SIZE, 0,
						 NULL));
	ASSERT_EQ(0, close(access_fd));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    self->unpinned_refs));
	EXPECT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
					    APERTURE_IOVA, BUF_SIZE));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
}

TEST_F(access, syz_flag_names_the_iova_by_mapping_number)
{
	/* Mapping 1 at offset PAGE_SIZE, in the field's memory layout */
	__u32 syz_iova[2] = { 1, PAGE_SIZE };
	__u64 iova;
	int access_fd;
	__u32 pin_id;

	memcpy(&iova, syz_iova, sizeof(iova));
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     BUF_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
						self->other, BUF_SIZE,
						APERTURE_IOVA + 2 * BUF_SIZE));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, PIN,
					       &access_fd));
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, access_fd, iova,
					    PAGE_SIZE, self->other + PAGE_SIZE,
					    MOCK_FLAGS_ACCESS_SYZ, &pin_id));
	EXPECT_EQ(0, iommufd_access_unpin_err(self->fd, access_fd, pin_id));
	EXPECT_EQ(0, close(access_fd));
}

/* ---- unmapping what an access pinned ------------------------------------ */

TEST_F(access, unmap_of_a_pinned_range_revokes_the_pin)
{
	struct iommufd_pin_unmap op = {
		.pin_iova = APERTURE_IOVA,
		.pin_length = BUF_SIZE,
		.uptr = self->buf,
		.ioas_id = self->ioas_id,
		.unmap_iova = APERTURE_IOVA,
		.unmap_length = BUF_SIZE,
	};
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);

	ASSERT_LE(0, access_fd);
	ASSERT_EQ(0, iommufd_pin_unmap_unpin_err(self->fd, access_fd, &op));
	EXPECT_EQ(0, op.unmap_err);
	/* The unmap callback unpinned it and forgot it */
	EXPECT_EQ(ENOENT, op.unpin_err);
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, unmap_all_revokes_every_pin)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);
	__u32 pin_ids[BUF_PAGES];
	unsigned int i;

	ASSERT_LE(0, access_fd);
	for (i = 0; i != BUF_PAGES; i++)
		ASSERT_EQ(0,
			  iommufd_access_pin_err(self->fd, access_fd,
						 APERTURE_IOVA + i * PAGE_SIZE,
						 PAGE_SIZE, NULL, 0,
						 &pin_ids[i]));
	EXPECT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->ioas_id, 0,
					    (__u64)-1));
	for (i = 0; i != BUF_PAGES; i++)
		EXPECT_EQ(ENOENT, iommufd_access_unpin_err(self->fd, access_fd,
							   pin_ids[i]));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
	EXPECT_EQ(0, close(access_fd));
}

/*
 * More pinned mappings in one unmap than an unmap may ever need rounds of
 * unmap notifications for a single mapping
 */
#define MANY_PINNED_MAPPINGS 150

TEST_F(access, unmap_over_more_than_a_hundred_pinned_mappings_revokes_all)
{
	const size_t size = MANY_PINNED_MAPPINGS * PAGE_SIZE;
	__u32 pin_ids[MANY_PINNED_MAPPINGS], outside_pin;
	__u64 unmapped = 0;
	unsigned int i;
	int access_fd;
	__u8 *many;

	many = iommufd_alloc_small_pages(size, MAP_PRIVATE);
	ASSERT_NE(NULL, many);
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, PIN,
					       &access_fd));
	/* One page per mapping, each pinned on its own */
	for (i = 0; i != MANY_PINNED_MAPPINGS; i++) {
		ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
							many + i * PAGE_SIZE,
							PAGE_SIZE,
							APERTURE_IOVA +
								i * PAGE_SIZE));
		ASSERT_EQ(0,
			  iommufd_access_pin_err(self->fd, access_fd,
						 APERTURE_IOVA + i * PAGE_SIZE,
						 PAGE_SIZE,
						 many + i * PAGE_SIZE, 0,
						 &pin_ids[i]));
	}
	/* And one more right after the range, which must keep its pin */
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     PAGE_SIZE, APERTURE_IOVA + size));
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, access_fd,
					    APERTURE_IOVA + size, PAGE_SIZE,
					    self->buf, 0, &outside_pin));

	ASSERT_EQ(0,
		  iommufd_ioas_unmap_count_err(self->fd, self->ioas_id,
					       APERTURE_IOVA, size, &unmapped));
	EXPECT_EQ(size, unmapped);
	for (i = 0; i != MANY_PINNED_MAPPINGS; i++)
		EXPECT_EQ(ENOENT, iommufd_access_unpin_err(self->fd, access_fd,
							   pin_ids[i]));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, many, size, 0));
	/* Nothing of the range is left mapped */
	EXPECT_EQ(ENOENT, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
						 APERTURE_IOVA, size));
	EXPECT_EQ(0, iommufd_access_unpin_err(self->fd, access_fd,
					      outside_pin));
	EXPECT_EQ(0, close(access_fd));
	munmap(many, size);
}

TEST_F(access, unmap_elsewhere_leaves_the_pin_alone)
{
	struct iommufd_pin_unmap op = {
		.pin_iova = APERTURE_IOVA,
		.pin_length = PAGE_SIZE,
		.uptr = self->buf,
		.ioas_id = self->ioas_id,
		.unmap_iova = APERTURE_IOVA + BUF_SIZE,
		.unmap_length = BUF_SIZE,
	};
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);

	ASSERT_LE(0, access_fd);
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
						self->other, BUF_SIZE,
						APERTURE_IOVA + BUF_SIZE));
	ASSERT_EQ(0, iommufd_pin_unmap_unpin_err(self->fd, access_fd, &op));
	EXPECT_EQ(0, op.unmap_err);
	EXPECT_EQ(0, op.unpin_err);
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, a_failed_unmap_keeps_the_pin)
{
	struct iommufd_pin_unmap op = {
		.pin_iova = APERTURE_IOVA,
		.pin_length = PAGE_SIZE,
		.uptr = self->buf,
		.ioas_id = self->ioas_id,
		.unmap_iova = APERTURE_IOVA,
		.unmap_length = PAGE_SIZE,
	};
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);

	ASSERT_LE(0, access_fd);
	ASSERT_EQ(0, iommufd_pin_unmap_unpin_err(self->fd, access_fd, &op));
	/* Cuts the mapping: refused before anyone is told to unpin */
	EXPECT_EQ(ENOENT, op.unmap_err);
	EXPECT_EQ(0, op.unpin_err);
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, every_access_of_the_ioas_is_told_to_unpin)
{
	int first_fd = mapped_pinning_access(self->fd, self->ioas_id,
					     self->buf);
	__u32 first_pin, second_pin;
	int second_fd;

	ASSERT_LE(0, first_fd);
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, PIN,
					       &second_fd));
	ASSERT_EQ(0,
		  iommufd_access_pin_err(self->fd, first_fd, APERTURE_IOVA,
					 BUF_SIZE, self->buf, 0, &first_pin));
	ASSERT_EQ(0,
		  iommufd_access_pin_err(self->fd, second_fd, APERTURE_IOVA,
					 PAGE_SIZE, self->buf, 0, &second_pin));
	EXPECT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
					    APERTURE_IOVA, BUF_SIZE));
	EXPECT_EQ(ENOENT, iommufd_access_unpin_err(self->fd, first_fd,
						   first_pin));
	EXPECT_EQ(ENOENT, iommufd_access_unpin_err(self->fd, second_fd,
						   second_pin));
	EXPECT_EQ(0, close(first_fd));
	EXPECT_EQ(0, close(second_fd));
}

TEST_F(access, an_ioas_whose_pins_were_revoked_can_be_destroyed)
{
	__u32 ioas_id, pin_id;
	int access_fd;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, ioas_id, self->buf,
						BUF_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, ioas_id, PIN,
					       &access_fd));
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					    BUF_SIZE, self->buf, 0, &pin_id));
	ASSERT_EQ(0, close(access_fd));
	/* Destroying unmaps everything; nothing is pinned any more */
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, ioas_id));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
}

/* ---- copying ------------------------------------------------------------ */

/*
 * Copy [off, off + len) of @buf, mapped at APERTURE_IOVA, out through the
 * access and then new contents in, comparing with @buf each time
 */
static void check_rw_at(struct __test_metadata *_metadata, int fd,
			int access_fd, __u8 *buf, size_t off, size_t len,
			__u32 flags)
{
	__u8 tmp[3 * PAGE_SIZE];

	ASSERT_LE(len, sizeof(tmp));
	memset(tmp, 0xaa, len);
	ASSERT_EQ(0, iommufd_access_rw_err(fd, access_fd, APERTURE_IOVA + off,
					   tmp, len, flags));
	ASSERT_EQ(0, memcmp(tmp, buf + off, len));

	fill_pattern(tmp, len, (unsigned int)(off + len));
	ASSERT_EQ(0,
		  iommufd_access_rw_err(fd, access_fd, APERTURE_IOVA + off, tmp,
					len, flags | MOCK_ACCESS_RW_WRITE));
	ASSERT_EQ(0, memcmp(tmp, buf + off, len));
}

/* Lengths and offsets around page boundaries, in both directions */
static void check_rw_around_boundaries(struct __test_metadata *_metadata,
				       int fd, int access_fd, __u8 *buf,
				       __u32 flags)
{
	static const size_t lengths[] = {
		1, 2, 7, 63, 64, 100, PAGE_SIZE - 1, PAGE_SIZE,
		PAGE_SIZE + 1, 2 * PAGE_SIZE + 3,
	};
	size_t off, i;

	for (off = PAGE_SIZE - 40; off < PAGE_SIZE + 40; off += 3)
		for (i = 0; i != ARRAY_SIZE(lengths); i++)
			check_rw_at(_metadata, fd, access_fd, buf, off,
				    lengths[i], flags);
}

TEST_F(access, rw_copies_both_ways_around_page_boundaries)
{
	int access_fd;

	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     BUF_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, 0,
					       &access_fd));
	check_rw_around_boundaries(_metadata, self->fd, access_fd,
				   self->buf, 0);
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, rw_slow_path_copies_both_ways_around_page_boundaries)
{
	int access_fd;

	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     BUF_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, 0,
					       &access_fd));
	check_rw_around_boundaries(_metadata, self->fd, access_fd,
				   self->buf, MOCK_ACCESS_RW_SLOW_PATH);
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, rw_of_pinned_pages_copies_both_ways)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);
	__u32 pin_id;

	ASSERT_LE(0, access_fd);
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					    BUF_SIZE, self->buf, 0, &pin_id));
	check_rw_at(_metadata, self->fd, access_fd, self->buf, PAGE_SIZE - 5,
		    10, 0);
	check_rw_at(_metadata, self->fd, access_fd, self->buf, PAGE_SIZE - 5,
		    10, MOCK_ACCESS_RW_SLOW_PATH);
	EXPECT_EQ(0, iommufd_access_unpin_err(self->fd, access_fd, pin_id));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, rw_of_the_whole_buffer_at_once)
{
	int access_fd;
	__u8 *tmp;

	tmp = iommufd_alloc_small_pages(BUF_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, tmp);
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     BUF_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, 0,
					       &access_fd));
	ASSERT_EQ(0, iommufd_access_rw_err(self->fd, access_fd, APERTURE_IOVA,
					   tmp, BUF_SIZE, 0));
	EXPECT_EQ(0, memcmp(tmp, self->buf, BUF_SIZE));
	fill_pattern(tmp, BUF_SIZE, 5);
	ASSERT_EQ(0,
		  iommufd_access_rw_err(self->fd, access_fd, APERTURE_IOVA, tmp,
					BUF_SIZE, MOCK_ACCESS_RW_WRITE));
	EXPECT_EQ(0, memcmp(tmp, self->buf, BUF_SIZE));
	EXPECT_EQ(0, close(access_fd));
	munmap(tmp, BUF_SIZE);
}

TEST_F(access, rw_spans_adjacent_mappings_of_different_memory)
{
	__u8 tmp[2 * 64];
	int access_fd;

	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     PAGE_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
						self->other, PAGE_SIZE,
						APERTURE_IOVA + PAGE_SIZE));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, 0,
					       &access_fd));
	ASSERT_EQ(0, iommufd_access_rw_err(self->fd, access_fd,
					   APERTURE_IOVA + PAGE_SIZE - 64, tmp,
					   sizeof(tmp), 0));
	EXPECT_EQ(0, memcmp(tmp, self->buf + PAGE_SIZE - 64, 64));
	EXPECT_EQ(0, memcmp(tmp + 64, self->other, 64));

	memset(tmp, 0x5c, sizeof(tmp));
	ASSERT_EQ(0, iommufd_access_rw_err(self->fd, access_fd,
					   APERTURE_IOVA + PAGE_SIZE - 64, tmp,
					   sizeof(tmp), MOCK_ACCESS_RW_WRITE));
	EXPECT_EQ(0x5c, self->buf[PAGE_SIZE - 1]);
	EXPECT_EQ(0x5c, self->other[63]);
	EXPECT_NE(0x5c, self->other[64]);
	EXPECT_EQ(0, close(access_fd));
}

/* Only a bare IOAS maps less than a mock domain's page; there, rw works */
TEST_F(access, rw_of_a_sub_page_mapping_where_one_can_be_made)
{
	__u8 tmp[100];
	int access_fd;

	if (variant->mock_domains) {
		EXPECT_EQ(EINVAL,
			  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
						     self->buf + 7, sizeof(tmp),
						     APERTURE_IOVA + 7));
		return;
	}
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
						self->buf + 7, sizeof(tmp),
						APERTURE_IOVA + 7));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, 0,
					       &access_fd));
	ASSERT_EQ(0,
		  iommufd_access_rw_err(self->fd, access_fd, APERTURE_IOVA + 7,
					tmp, sizeof(tmp), 0));
	EXPECT_EQ(0, memcmp(tmp, self->buf + 7, sizeof(tmp)));
	EXPECT_EQ(ENOENT, iommufd_access_rw_err(self->fd, access_fd,
						APERTURE_IOVA + 6, tmp, 2, 0));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, rw_of_unmapped_iova_is_enoent)
{
	__u8 tmp[16];
	int access_fd;

	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     BUF_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, 0,
					       &access_fd));
	EXPECT_EQ(ENOENT,
		  iommufd_access_rw_err(self->fd, access_fd,
					APERTURE_IOVA + BUF_SIZE, tmp, 1, 0));
	EXPECT_EQ(ENOENT,
		  iommufd_access_rw_err(self->fd, access_fd,
					APERTURE_IOVA + BUF_SIZE - 8, tmp,
					sizeof(tmp), MOCK_ACCESS_RW_WRITE));
	EXPECT_EQ(ENOENT,
		  iommufd_access_rw_err(self->fd, access_fd, APERTURE_IOVA - 8,
					tmp, sizeof(tmp), 0));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, rw_writing_a_read_only_mapping_is_eperm)
{
	__u64 iova = APERTURE_IOVA;
	__u8 tmp[16];
	int access_fd;

	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->ioas_id, FIXED_RO,
					  self->buf, BUF_SIZE, &iova));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, 0,
					       &access_fd));
	memset(tmp, 0x33, sizeof(tmp));
	EXPECT_EQ(EPERM,
		  iommufd_access_rw_err(self->fd, access_fd, APERTURE_IOVA, tmp,
					sizeof(tmp), MOCK_ACCESS_RW_WRITE));
	EXPECT_NE(0x33, self->buf[1]);
	EXPECT_EQ(0, iommufd_access_rw_err(self->fd, access_fd, APERTURE_IOVA,
					   tmp, sizeof(tmp), 0));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, rw_argument_errors)
{
	int access_fd;
	__u8 tmp[16];

	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     BUF_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, 0,
					       &access_fd));
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_access_rw_err(self->fd, access_fd, APERTURE_IOVA, tmp,
					1, 1 << 1));
	EXPECT_EQ(EINVAL, iommufd_access_rw_err(self->fd, access_fd,
						APERTURE_IOVA, tmp, 0, 0));
	EXPECT_EQ(EOVERFLOW, iommufd_access_rw_err(self->fd, access_fd,
						   (__u64)-4, tmp, 8, 0));
	EXPECT_EQ(ENOMEM,
		  iommufd_access_rw_err(self->fd, access_fd, APERTURE_IOVA, tmp,
					(16UL << 20) + 1, 0));
	/* User memory that cannot be read or written */
	EXPECT_EQ(EFAULT,
		  iommufd_access_rw_err(self->fd, access_fd, APERTURE_IOVA,
					NULL, 8, MOCK_ACCESS_RW_WRITE));
	EXPECT_EQ(EFAULT, iommufd_access_rw_err(self->fd, access_fd,
						APERTURE_IOVA, NULL, 8, 0));
	EXPECT_EQ(0, close(access_fd));
}

/* ---- moving to another IOAS --------------------------------------------- */

TEST_F(access, replace_moves_the_access_to_the_other_ioas)
{
	__u32 new_ioas_id;
	int access_fd;
	__u8 byte;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &new_ioas_id));
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     PAGE_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, new_ioas_id, self->other,
					     PAGE_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, PIN,
					       &access_fd));
	ASSERT_EQ(0, iommufd_access_rw_err(self->fd, access_fd,
					   APERTURE_IOVA + 3, &byte, 1, 0));
	EXPECT_EQ(self->buf[3], byte);

	ASSERT_EQ(0, iommufd_access_replace_err(self->fd, access_fd,
						new_ioas_id));
	ASSERT_EQ(0, iommufd_access_rw_err(self->fd, access_fd,
					   APERTURE_IOVA + 3, &byte, 1, 0));
	EXPECT_EQ(self->other[3], byte);
	/* The old IOAS is free to go, the new one is held */
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, new_ioas_id));
	EXPECT_EQ(PAGE_SIZE, ioas_alignment(self->fd, new_ioas_id));
	if (!variant->mock_domains)
		EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->ioas_id));
	EXPECT_EQ(0, close(access_fd));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, new_ioas_id));
}

TEST_F(access, replace_revokes_the_pins_of_the_old_ioas)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);
	__u32 new_ioas_id, pin_id;

	ASSERT_LE(0, access_fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &new_ioas_id));
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, new_ioas_id, self->other,
					     BUF_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					    BUF_SIZE, self->buf, 0, &pin_id));

	ASSERT_EQ(0, iommufd_access_replace_err(self->fd, access_fd,
						new_ioas_id));
	EXPECT_EQ(ENOENT, iommufd_access_unpin_err(self->fd, access_fd,
						   pin_id));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    self->unpinned_refs));
	/* Pins now come from the new IOAS */
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					    BUF_SIZE, self->other, 0, &pin_id));
	EXPECT_EQ(0,
		  iommufd_check_refs_err(self->fd, self->other, BUF_SIZE, 1));
	EXPECT_EQ(0, close(access_fd));
	EXPECT_EQ(0,
		  iommufd_check_refs_err(self->fd, self->other, BUF_SIZE, 0));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, new_ioas_id));
}

TEST_F(access, replace_to_an_unknown_ioas_fails_and_changes_nothing)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);
	__u32 pin_id;

	ASSERT_LE(0, access_fd);
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					    PAGE_SIZE, self->buf, 0, &pin_id));
	EXPECT_EQ(ENOENT, iommufd_access_replace_err(self->fd, access_fd,
						     NO_SUCH_ID));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->ioas_id));
	EXPECT_EQ(0, iommufd_access_unpin_err(self->fd, access_fd, pin_id));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, replace_to_the_same_ioas_keeps_the_pins)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);
	__u32 pin_id;

	ASSERT_LE(0, access_fd);
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					    PAGE_SIZE, self->buf, 0, &pin_id));
	EXPECT_EQ(0, iommufd_access_replace_err(self->fd, access_fd,
						self->ioas_id));
	EXPECT_EQ(0, iommufd_access_unpin_err(self->fd, access_fd, pin_id));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, replace_into_an_ioas_with_a_sub_page_mapping_fails_cleanly)
{
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);
	__u32 new_ioas_id, pin_id;

	ASSERT_LE(0, access_fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &new_ioas_id));
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, new_ioas_id, self->other,
					     PAGE_SIZE / 2, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, access_fd, APERTURE_IOVA,
					    PAGE_SIZE, self->buf, 0, &pin_id));

	EXPECT_EQ(EADDRINUSE, iommufd_access_replace_err(self->fd, access_fd,
							 new_ioas_id));
	/* Still attached where it was, pins and all */
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, new_ioas_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->ioas_id));
	EXPECT_EQ(0, iommufd_access_unpin_err(self->fd, access_fd, pin_id));
	EXPECT_EQ(0, close(access_fd));
}

TEST_F(access, a_replaced_access_stops_hearing_of_the_old_ioas)
{
	/* The same IOVA, unmapped in the old IOAS: none of its business */
	struct iommufd_pin_unmap op = {
		.pin_iova = APERTURE_IOVA,
		.pin_length = BUF_SIZE,
		.uptr = self->other,
		.ioas_id = self->ioas_id,
		.unmap_iova = APERTURE_IOVA,
		.unmap_length = BUF_SIZE,
	};
	int access_fd = mapped_pinning_access(self->fd, self->ioas_id,
					      self->buf);
	__u32 new_ioas_id;

	ASSERT_LE(0, access_fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &new_ioas_id));
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, new_ioas_id, self->other,
					     BUF_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_access_replace_err(self->fd, access_fd,
						new_ioas_id));
	ASSERT_EQ(0, iommufd_pin_unmap_unpin_err(self->fd, access_fd, &op));
	EXPECT_EQ(0, op.unmap_err);
	EXPECT_EQ(0, op.unpin_err);
	EXPECT_EQ(0, close(access_fd));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, new_ioas_id));
}

/* ---- IOMMU_IOAS_COPY ---------------------------------------------------- */

TEST_F(access, copies_of_a_mapping_share_its_pins)
{
	__u64 dst_iova = APERTURE_IOVA + BUF_SIZE;
	__u32 src_ioas_id, src_pin, dst_pin;
	int src_fd, dst_fd;

	/* The source has no domains; the copy lands in the fixture's IOAS */
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &src_ioas_id));
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, src_ioas_id, self->buf,
					     BUF_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, src_ioas_id, PIN,
					       &src_fd));
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, src_fd, APERTURE_IOVA,
					    BUF_SIZE, self->buf, 0, &src_pin));
	ASSERT_EQ(0, iommufd_ioas_copy_err(self->fd, self->ioas_id, src_ioas_id,
					   FIXED, APERTURE_IOVA, BUF_SIZE,
					   &dst_iova));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, PIN,
					       &dst_fd));
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, dst_fd,
					    APERTURE_IOVA + BUF_SIZE, BUF_SIZE,
					    self->buf, 0, &dst_pin));
	/* Two accesses and maybe domains: each page is still pinned once */
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 1));

	/* Unmapping the source revokes only the source's pin */
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, src_ioas_id,
					    APERTURE_IOVA, BUF_SIZE));
	EXPECT_EQ(ENOENT, iommufd_access_unpin_err(self->fd, src_fd,
						   src_pin));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 1));
	EXPECT_EQ(0, iommufd_access_unpin_err(self->fd, dst_fd, dst_pin));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE,
					    self->unpinned_refs));

	EXPECT_EQ(0, close(src_fd));
	EXPECT_EQ(0, close(dst_fd));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, src_ioas_id));
}

TEST_F(access, unmapping_a_copy_leaves_the_source_pin)
{
	__u64 dst_iova = APERTURE_IOVA;
	__u32 src_ioas_id, src_pin;
	int src_fd;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &src_ioas_id));
	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, src_ioas_id, self->buf,
					     BUF_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, src_ioas_id, PIN,
					       &src_fd));
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, src_fd, APERTURE_IOVA,
					    BUF_SIZE, self->buf, 0, &src_pin));
	ASSERT_EQ(0, iommufd_ioas_copy_err(self->fd, self->ioas_id, src_ioas_id,
					   FIXED, APERTURE_IOVA, BUF_SIZE,
					   &dst_iova));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
					    APERTURE_IOVA, BUF_SIZE));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 1));
	EXPECT_EQ(0, iommufd_access_unpin_err(self->fd, src_fd, src_pin));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
	EXPECT_EQ(0, close(src_fd));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, src_ioas_id));
}

/* ---- allocation failures ------------------------------------------------ */

struct access_sequence {
	int fd;
	__u32 ioas_id;
	__u32 other_ioas_id;
	__u8 *buf;
	/* -1 until made */
	int access_fd;
};

/* An access's life; 0 or the errno of the first call that failed */
static int run_access_sequence(struct access_sequence *seq)
{
	__u8 bytes[64];
	__u32 pin_id;
	int err;

	err = iommufd_create_access_err(seq->fd, seq->ioas_id, PIN,
					&seq->access_fd);
	if (!err)
		err = iommufd_access_pin_err(seq->fd, seq->access_fd,
					     APERTURE_IOVA, BUF_SIZE, seq->buf,
					     MOCK_FLAGS_ACCESS_WRITE, &pin_id);
	if (!err)
		err = iommufd_access_rw_err(seq->fd, seq->access_fd,
					    APERTURE_IOVA + PAGE_SIZE - 32,
					    bytes, sizeof(bytes), 0);
	if (!err)
		err = iommufd_access_rw_err(seq->fd, seq->access_fd,
					    APERTURE_IOVA + PAGE_SIZE - 32,
					    bytes, sizeof(bytes),
					    MOCK_ACCESS_RW_WRITE |
						    MOCK_ACCESS_RW_SLOW_PATH);
	if (!err)
		err = iommufd_access_replace_err(seq->fd, seq->access_fd,
						 seq->other_ioas_id);
	if (!err)
		err = iommufd_access_pin_err(seq->fd, seq->access_fd,
					     APERTURE_IOVA, PAGE_SIZE, seq->buf,
					     0, &pin_id);
	if (!err)
		err = iommufd_ioas_unmap_err(seq->fd, seq->other_ioas_id,
					     APERTURE_IOVA, BUF_SIZE);
	if (!err)
		err = iommufd_access_replace_err(seq->fd, seq->access_fd,
						 seq->ioas_id);
	return err;
}

/*
 * The sequence with its 1st, 2nd, 3rd ... fault site failing, until it
 * runs through.  Whatever failed, closing the access must release every
 * pin and leave the other IOAS free; leaks show up in the debug profile's
 * kmemleak scan.
 */
TEST_F(access, every_failure_on_the_access_paths_unwinds)
{
	unsigned int nth;

	ASSERT_EQ(0,
		  iommufd_ioas_map_fixed_err(self->fd, self->ioas_id, self->buf,
					     BUF_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_fail_nth_setup());
	for (nth = 1; nth != 5000; nth++) {
		struct access_sequence seq = {
			.fd = self->fd,
			.ioas_id = self->ioas_id,
			.buf = self->buf,
			.access_fd = -1,
		};
		bool injected;
		int err;

		ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd,
						    &seq.other_ioas_id));
		ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd,
							seq.other_ioas_id,
							self->buf, BUF_SIZE,
							APERTURE_IOVA));
		ASSERT_EQ(0, iommufd_fail_nth_arm(nth));
		err = run_access_sequence(&seq);
		injected = iommufd_fail_nth_disarm();
		if (!injected)
			ASSERT_EQ(0, err);

		if (seq.access_fd >= 0)
			ASSERT_EQ(0, close(seq.access_fd));
		ASSERT_EQ(0, iommufd_destroy_err(self->fd, seq.other_ioas_id));
		ASSERT_EQ(0, iommufd_check_refs_err(self->fd, self->buf,
						    BUF_SIZE,
						    self->unpinned_refs));
		if (!injected)
			return;
	}
	ASSERT_TRUE(false && "too many fault sites");
}

/* ---- races -------------------------------------------------------------- */

#define RACE_ROUNDS 400
#define RACE_PINNERS 3

struct pin_race {
	int fd;
	int access_fd;
	int stop;
	/* Failures other than the ones the concurrent changes explain */
	int unexpected;
};

static void count(int *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

/*
 * Pin, copy and unpin again and again.  While the range comes and goes,
 * a pin finds it unmapped (ENOENT) or being unmapped (EINVAL), and an
 * unpin finds the pin already revoked (ENOENT).
 */
static void *pin_loop(void *arg)
{
	struct pin_race *race = arg;

	while (!__atomic_load_n(&race->stop, __ATOMIC_RELAXED)) {
		__u32 pin_id;
		__u8 byte;
		int err;

		err = iommufd_access_rw_err(race->fd, race->access_fd,
					    APERTURE_IOVA + 5, &byte, 1, 0);
		if (err && err != ENOENT && err != EINVAL)
			count(&race->unexpected);
		err = iommufd_access_pin_err(race->fd, race->access_fd,
					     APERTURE_IOVA, BUF_SIZE, NULL,
					     MOCK_FLAGS_ACCESS_WRITE, &pin_id);
		if (err == ENOENT || err == EINVAL)
			continue;
		if (err) {
			count(&race->unexpected);
			continue;
		}
		err = iommufd_access_unpin_err(race->fd, race->access_fd,
					       pin_id);
		if (err && err != ENOENT)
			count(&race->unexpected);
	}
	return NULL;
}

static void stop_pinners(struct pin_race *race, pthread_t *threads,
			 unsigned int nthreads)
{
	unsigned int i;

	__atomic_store_n(&race->stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i != nthreads; i++)
		pthread_join(threads[i], NULL);
}

TEST_F(access, pins_racing_with_unmaps_never_block_an_unmap)
{
	struct pin_race race = { .fd = self->fd };
	pthread_t threads[RACE_PINNERS];
	unsigned int i;
	int failures = 0;

	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, PIN,
					       &race.access_fd));
	for (i = 0; i != RACE_PINNERS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, pin_loop,
					    &race));
	for (i = 0; i != RACE_ROUNDS; i++) {
		if (iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
					       self->buf, BUF_SIZE,
					       APERTURE_IOVA) ||
		    iommufd_ioas_unmap_err(self->fd, self->ioas_id,
					   APERTURE_IOVA, BUF_SIZE))
			failures++;
	}
	stop_pinners(&race, threads, RACE_PINNERS);

	EXPECT_EQ(0, failures);
	EXPECT_EQ(0, race.unexpected);
	EXPECT_EQ(0, close(race.access_fd));
	/* Every pin was given back: nothing of buf is pinned any more */
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
}

TEST_F(access, pins_racing_with_replace_are_all_revoked)
{
	struct pin_race race = { .fd = self->fd };
	pthread_t threads[RACE_PINNERS];
	__u32 ioas_ids[2];
	unsigned int i;
	int failures = 0;

	ioas_ids[0] = self->ioas_id;
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_ids[1]));
	for (i = 0; i != ARRAY_SIZE(ioas_ids); i++)
		ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, ioas_ids[i],
							self->buf, BUF_SIZE,
							APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, PIN,
					       &race.access_fd));
	for (i = 0; i != RACE_PINNERS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, pin_loop,
					    &race));
	for (i = 0; i != RACE_ROUNDS; i++)
		if (iommufd_access_replace_err(self->fd, race.access_fd,
					       ioas_ids[(i + 1) % 2]))
			failures++;
	stop_pinners(&race, threads, RACE_PINNERS);

	EXPECT_EQ(0, failures);
	EXPECT_EQ(0, race.unexpected);
	EXPECT_EQ(0, close(race.access_fd));
	/* Both IOASes can go: nothing pinned and nothing attached remains */
	EXPECT_EQ(0, iommufd_ioas_unmap_err(self->fd, ioas_ids[0],
					    APERTURE_IOVA, BUF_SIZE));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, ioas_ids[1]));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
}

TEST_F(access, closing_an_access_races_with_unmaps)
{
	unsigned int round;

	for (round = 0; round != 50; round++) {
		struct pin_race race = { .fd = self->fd };
		pthread_t thread;

		ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
							self->buf, BUF_SIZE,
							APERTURE_IOVA));
		ASSERT_EQ(0, iommufd_create_access_err(self->fd,
						       self->ioas_id, PIN,
						       &race.access_fd));
		ASSERT_EQ(0, pthread_create(&thread, NULL, pin_loop, &race));
		usleep(100);
		ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
						    APERTURE_IOVA, BUF_SIZE));
		stop_pinners(&race, &thread, 1);
		EXPECT_EQ(0, race.unexpected);
		ASSERT_EQ(0, close(race.access_fd));
	}
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, BUF_SIZE, 0));
}

/* ---- concurrent unmaps waiting for accesses ------------------------------ */

/* An ioctl on another thread, and whether it has returned */
struct background_call {
	pthread_t thread;
	int fd;
	__u32 ioas_id;
	int access_fd;
	__u64 iova;
	__u64 length;
	const void *uptr;
	int err;
	bool returned;
};

static void background_call_done(struct background_call *call, int err)
{
	call->err = err;
	__atomic_store_n(&call->returned, true, __ATOMIC_RELEASE);
}

static bool background_call_returned(struct background_call *call)
{
	return __atomic_load_n(&call->returned, __ATOMIC_ACQUIRE);
}

static void *background_unmap_run(void *arg)
{
	struct background_call *call = arg;

	background_call_done(call, iommufd_ioas_unmap_err(call->fd,
							  call->ioas_id,
							  call->iova,
							  call->length));
	return NULL;
}

static void *background_pin_run(void *arg)
{
	struct background_call *call = arg;
	__u32 pin_id;

	background_call_done(call, iommufd_access_pin_err(call->fd,
							  call->access_fd,
							  call->iova,
							  call->length,
							  call->uptr, 0,
							  &pin_id));
	return NULL;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec pause = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	nanosleep(&pause, NULL);
}

/*
 * Pin [iova, iova + length) through @access_fd and let go at once; the
 * error of the pin.  Once an unmap waits for the range, pins are EINVAL.
 */
static int probe_pin_err(int fd, int access_fd, __u64 iova, __u64 length)
{
	__u32 pin_id;
	int err;

	err = iommufd_access_pin_err(fd, access_fd, iova, length, NULL, 0,
				     &pin_id);
	if (!err)
		iommufd_access_unpin_err(fd, access_fd, pin_id);
	return err;
}

/*
 * While one unmap waits for an access to unpin a mapping, new pins of it
 * are refused.  Another unmap that fails (here: its range cuts a mapping)
 * must not lift that refusal, or an access that keeps pinning starves the
 * waiting unmap.  The test holds the access's unmap callback back by
 * having the access busy in a pin whose page check waits on a userfaultfd
 * page: the callback waits for the same lock.
 */
TEST_F(access, failed_unmap_keeps_pins_off_a_mapping_another_unmap_waits_for)
{
	struct background_call stuck_pin = { .fd = self->fd };
	struct background_call waiting = { .fd = self->fd };
	struct background_call failing = { .fd = self->fd };
	struct uffd_page page = { .uffd = -1 };
	const __u64 m_iova = APERTURE_IOVA;
	const __u64 q_iova = m_iova + 4 * PAGE_SIZE;
	const __u64 p_iova = m_iova + 8 * PAGE_SIZE;
	int holder_fd, prober_fd;
	__u32 pin_id;
	unsigned int waited;
	int err;

	/* M at m_iova, Q four pages on, P (two pages) eight pages on */
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
						self->buf, PAGE_SIZE, m_iova));
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
						self->buf + 4 * PAGE_SIZE,
						PAGE_SIZE, q_iova));
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->ioas_id,
						self->buf + 8 * PAGE_SIZE,
						2 * PAGE_SIZE, p_iova));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, PIN,
					       &holder_fd));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, self->ioas_id, PIN,
					       &prober_fd));
	ASSERT_EQ(0, iommufd_access_pin_err(self->fd, holder_fd, m_iova,
					    PAGE_SIZE, NULL, 0, &pin_id));
	ASSERT_EQ(0, uffd_page_missing_err(&page));

	/* The holder stays busy (its lock held) in a pin of Q */
	stuck_pin.access_fd = holder_fd;
	stuck_pin.iova = q_iova;
	stuck_pin.length = PAGE_SIZE;
	stuck_pin.uptr = page.addr;
	ASSERT_EQ(0, pthread_create(&stuck_pin.thread, NULL,
				    background_pin_run, &stuck_pin));
	ASSERT_EQ(0, uffd_page_wait_blocked_err(&page, 10000));

	/* Unmapping M waits in the holder's unmap callback */
	waiting.ioas_id = self->ioas_id;
	waiting.iova = m_iova;
	waiting.length = PAGE_SIZE;
	ASSERT_EQ(0, pthread_create(&waiting.thread, NULL,
				    background_unmap_run, &waiting));
	for (waited = 0; waited < 10000; waited++) {
		err = probe_pin_err(self->fd, prober_fd, m_iova, PAGE_SIZE);
		if (err)
			break;
		sleep_ms(1);
	}
	ASSERT_EQ(EINVAL, err);

	/* An unmap whose range cuts P fails... */
	failing.ioas_id = self->ioas_id;
	failing.iova = m_iova;
	failing.length = 9 * PAGE_SIZE;
	ASSERT_EQ(0, pthread_create(&failing.thread, NULL,
				    background_unmap_run, &failing));
	for (waited = 0; waited < 1000; waited++) {
		if (background_call_returned(&failing))
			break;
		sleep_ms(1);
	}
	/* ...and M stays closed to new pins while the first unmap waits */
	EXPECT_EQ(EINVAL, probe_pin_err(self->fd, prober_fd, m_iova, PAGE_SIZE));
	EXPECT_FALSE(background_call_returned(&waiting));

	ASSERT_EQ(0, uffd_page_release_err(&page));
	ASSERT_EQ(0, pthread_join(stuck_pin.thread, NULL));
	ASSERT_EQ(0, pthread_join(waiting.thread, NULL));
	ASSERT_EQ(0, pthread_join(failing.thread, NULL));
	/* The zero page is not what Q maps */
	EXPECT_EQ(EBADE, stuck_pin.err);
	EXPECT_EQ(0, waiting.err);
	EXPECT_EQ(ENOENT, failing.err);
	/* M is gone, Q and P are still there */
	EXPECT_EQ(ENOENT, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
						 m_iova, PAGE_SIZE));
	EXPECT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->ioas_id,
					    m_iova, 10 * PAGE_SIZE));
	close(prober_fd);
	close(holder_fd);
	uffd_page_close(&page);
}

TEST_HARNESS_MAIN
