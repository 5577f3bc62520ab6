// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO's type1 container ioctls made on /dev/iommu: the version and
 * extension queries, VFIO_SET_IOMMU, VFIO_IOMMU_GET_INFO with its
 * capability chain, and DMA map and unmap, including the unmap rules that
 * tell the original TYPE1 from TYPE1v2.  Devices are mock devices on an
 * IOAS made the compatibility IOAS with IOMMU_VFIO_IOAS.
 */
#include <stddef.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include "../kselftest_harness.h"
#include "iommufd_helpers.h"

#define BUF_PAGES 8
#define INFO_BUF_SIZE 4096
/* A byte the kernel never writes into an info reply of ours */
#define POISON 0xa5

static int vfio_map_err(int fd, __u64 iova, void *va, __u64 size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (__u64)(uintptr_t)va,
		.iova = iova,
		.size = size,
	};

	return iommufd_ioctl_err(fd, VFIO_IOMMU_MAP_DMA, &map);
}

/* VFIO_IOMMU_UNMAP_DMA; *size is the range in and the unmapped bytes out */
static int vfio_unmap_err(int fd, __u32 flags, __u64 iova, __u64 *size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.flags = flags,
		.iova = iova,
		.size = *size,
	};
	int err = iommufd_ioctl_err(fd, VFIO_IOMMU_UNMAP_DMA, &unmap);

	*size = unmap.size;
	return err;
}

/* ---- a context without a compatibility IOAS --------------------------- */

FIXTURE(no_container)
{
	int fd;
};

FIXTURE_SETUP(no_container)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(no_container)
{
	close(self->fd);
}

TEST_F(no_container, api_version_and_type1_extensions_are_reported)
{
	ASSERT_EQ(VFIO_API_VERSION, ioctl(self->fd, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));
	ASSERT_EQ(1, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(1, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
}

TEST_F(no_container, vaddr_update_and_nesting_are_not_offered)
{
	ASSERT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	ASSERT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION,
			   VFIO_TYPE1_NESTING_IOMMU));
	ASSERT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION, 0x7fff));
}

TEST_F(no_container, cache_coherency_needs_a_container)
{
	ASSERT_EQ(-1, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
	ASSERT_EQ(ENODEV, errno);
}

TEST_F(no_container, set_iommu_rejects_unknown_types_first)
{
	ASSERT_EQ(-1, ioctl(self->fd, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, ioctl(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(ENODEV, errno);
}

TEST_F(no_container, dirty_pages_ioctl_is_unknown)
{
	struct vfio_iommu_type1_dirty_bitmap dirty = {
		.argsz = sizeof(dirty),
		.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
	};

	ASSERT_EQ(ENOTTY,
		  iommufd_ioctl_err(self->fd, VFIO_IOMMU_DIRTY_PAGES, &dirty));
}

TEST_F(no_container, dma_ioctls_check_arguments_before_the_container)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = offsetof(struct vfio_iommu_type1_dma_unmap, size),
	};
	__u64 size = PAGE_SIZE;

	ASSERT_EQ(EINVAL,
		  iommufd_ioctl_err(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	ASSERT_EQ(EINVAL,
		  vfio_unmap_err(self->fd, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
				 APERTURE_IOVA, &size));
	ASSERT_EQ(ENODEV, vfio_unmap_err(self->fd, 0, APERTURE_IOVA, &size));
	ASSERT_EQ(ENODEV, vfio_map_err(self->fd, APERTURE_IOVA, &size,
				       PAGE_SIZE));
}

/* ---- a container with one mock device, TYPE1v2 or TYPE1 --------------- */

FIXTURE(container)
{
	int fd;
	__u32 ioas_id;
	__u32 hwpt_id;
	__u8 *buf;
};

FIXTURE_VARIANT(container)
{
	unsigned long iommu_type;
};

FIXTURE_VARIANT_ADD(container, type1v2)
{
	.iommu_type = VFIO_TYPE1v2_IOMMU,
};

FIXTURE_VARIANT_ADD(container, type1)
{
	.iommu_type = VFIO_TYPE1_IOMMU,
};

FIXTURE_SETUP(container)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &self->ioas_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id, NULL,
					     &self->hwpt_id, NULL));
	ASSERT_EQ(0, iommufd_vfio_ioas_err(self->fd, IOMMU_VFIO_IOAS_SET,
					   &self->ioas_id));
	ASSERT_EQ(0, ioctl(self->fd, VFIO_SET_IOMMU, variant->iommu_type));

	self->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0x3c, BUF_SIZE);
}

FIXTURE_TEARDOWN(container)
{
	munmap(self->buf, BUF_SIZE);
	close(self->fd);
}

TEST_F(container, type1_turns_large_pages_off)
{
	__u64 large_pages = 2;

	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_HUGE_PAGES,
					IOMMU_OPTION_OP_GET, self->ioas_id,
					&large_pages));
	ASSERT_EQ(variant->iommu_type == VFIO_TYPE1v2_IOMMU, large_pages);
}

TEST_F(container, mapped_memory_reaches_the_device_domain)
{
	__u64 size = BUF_SIZE;

	ASSERT_EQ(0, vfio_map_err(self->fd, APERTURE_IOVA, self->buf,
				  BUF_SIZE));
	ASSERT_EQ(0, iommufd_check_map_err(self->fd, self->hwpt_id,
					   APERTURE_IOVA, BUF_SIZE, self->buf));
	ASSERT_EQ(EEXIST, vfio_map_err(self->fd, APERTURE_IOVA + PAGE_SIZE,
				       self->buf, PAGE_SIZE));
	ASSERT_EQ(0, vfio_unmap_err(self->fd, 0, APERTURE_IOVA, &size));
	ASSERT_EQ(BUF_SIZE, size);
}

TEST_F(container, unmapping_nothing_succeeds_with_size_zero)
{
	__u64 size = BUF_SIZE;

	ASSERT_EQ(0, vfio_unmap_err(self->fd, 0, APERTURE_IOVA, &size));
	ASSERT_EQ(0, size);
}

TEST_F(container, unmap_all_reports_every_mapping)
{
	__u64 size = 0;

	ASSERT_EQ(0, vfio_map_err(self->fd, APERTURE_IOVA, self->buf,
				  PAGE_SIZE));
	ASSERT_EQ(0, vfio_map_err(self->fd, APERTURE_IOVA + 4 * PAGE_SIZE,
				  self->buf + PAGE_SIZE, 2 * PAGE_SIZE));
	size = PAGE_SIZE;
	ASSERT_EQ(EINVAL, vfio_unmap_err(self->fd, VFIO_DMA_UNMAP_FLAG_ALL,
					 0, &size));
	size = 0;
	ASSERT_EQ(0, vfio_unmap_err(self->fd, VFIO_DMA_UNMAP_FLAG_ALL, 0,
				    &size));
	ASSERT_EQ(3 * PAGE_SIZE, size);
}

TEST_F(container, partial_unmap_cuts_only_for_type1)
{
	__u64 size = PAGE_SIZE;
	int err;

	ASSERT_EQ(0, vfio_map_err(self->fd, APERTURE_IOVA, self->buf,
				  4 * PAGE_SIZE));
	/* The second of four pages */
	err = vfio_unmap_err(self->fd, 0, APERTURE_IOVA + PAGE_SIZE, &size);
	if (variant->iommu_type == VFIO_TYPE1v2_IOMMU) {
		ASSERT_EQ(ENOENT, err);
		ASSERT_EQ(0, iommufd_check_map_err(self->fd, self->hwpt_id,
						   APERTURE_IOVA,
						   4 * PAGE_SIZE, self->buf));
		return;
	}
	ASSERT_EQ(0, err);
	ASSERT_EQ(PAGE_SIZE, size);
	/* What is left on both sides still maps the same memory */
	ASSERT_EQ(0, iommufd_check_map_err(self->fd, self->hwpt_id,
					   APERTURE_IOVA, PAGE_SIZE,
					   self->buf));
	ASSERT_EQ(0, iommufd_check_map_err(self->fd, self->hwpt_id,
					   APERTURE_IOVA + 2 * PAGE_SIZE,
					   2 * PAGE_SIZE,
					   self->buf + 2 * PAGE_SIZE));
	ASSERT_NE(0, iommufd_check_map_err(self->fd, self->hwpt_id,
					   APERTURE_IOVA + PAGE_SIZE,
					   PAGE_SIZE, self->buf + PAGE_SIZE));
	/* The hole can be mapped again, the pieces unmapped one by one */
	ASSERT_EQ(0, vfio_map_err(self->fd, APERTURE_IOVA + PAGE_SIZE,
				  self->buf + PAGE_SIZE, PAGE_SIZE));
	size = 3 * PAGE_SIZE;
	ASSERT_EQ(0, vfio_unmap_err(self->fd, 0, APERTURE_IOVA + PAGE_SIZE,
				    &size));
	ASSERT_EQ(3 * PAGE_SIZE, size);
	size = PAGE_SIZE;
	ASSERT_EQ(0, vfio_unmap_err(self->fd, 0, APERTURE_IOVA, &size));
	ASSERT_EQ(PAGE_SIZE, size);
}

TEST_F(container, type1_is_refused_once_a_domain_maps_memory)
{
	ASSERT_EQ(0, vfio_map_err(self->fd, APERTURE_IOVA, self->buf,
				  PAGE_SIZE));
	if (variant->iommu_type == VFIO_TYPE1_IOMMU) {
		/* Already off: nothing changes */
		ASSERT_EQ(0, ioctl(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
		return;
	}
	ASSERT_EQ(-1, ioctl(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(container, cache_coherency_is_a_yes_or_no)
{
	int coherent = ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU);

	ASSERT_TRUE(coherent == 0 || coherent == 1);
}

/* Walk the chain in @reply, checking each capability we know */
static void check_caps(struct __test_metadata *_metadata, const __u8 *reply)
{
	const struct vfio_iommu_type1_info *info = (const void *)reply;
	const struct vfio_info_cap_header *cap;
	__u32 offset = info->cap_offset;
	bool seen_avail = false, seen_ranges = false;

	ASSERT_EQ(sizeof(*info), offset);
	while (offset) {
		ASSERT_LE(offset + sizeof(*cap), info->argsz);
		ASSERT_EQ(0, offset % 8);
		cap = (const void *)(reply + offset);
		ASSERT_EQ(1, cap->version);
		if (cap->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
			const struct vfio_iommu_type1_info_dma_avail *avail =
				(const void *)cap;

			ASSERT_LT(0, avail->avail);
			seen_avail = true;
		} else if (cap->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			const struct vfio_iommu_type1_info_cap_iova_range *r =
				(const void *)cap;

			ASSERT_EQ(1, r->nr_iovas);
			ASSERT_EQ(MOCK_APERTURE_START, r->iova_ranges[0].start);
			ASSERT_EQ(MOCK_APERTURE_LAST, r->iova_ranges[0].end);
			seen_ranges = true;
		} else {
			ASSERT_TRUE(false);
		}
		/* The chain only goes forward */
		ASSERT_TRUE(!cap->next || cap->next > offset);
		offset = cap->next;
	}
	ASSERT_TRUE(seen_avail);
	ASSERT_TRUE(seen_ranges);
}

/* GET_INFO into a poisoned buffer; nothing past @argsz may change */
static int get_info_err(struct __test_metadata *_metadata, int fd,
			__u8 *reply, __u32 argsz)
{
	struct vfio_iommu_type1_info *info = (void *)reply;
	unsigned int i;
	int err;

	memset(reply, POISON, INFO_BUF_SIZE);
	memset(reply, 0, argsz);
	info->argsz = argsz;
	err = iommufd_ioctl_err(fd, VFIO_IOMMU_GET_INFO, info);
	for (i = argsz; i < INFO_BUF_SIZE; i++)
		EXPECT_EQ(POISON, reply[i]);
	return err;
}

TEST_F(container, info_reports_page_sizes_and_grows_argsz_for_caps)
{
	const __u32 fixed_size = offsetof(struct vfio_iommu_type1_info,
					  cap_offset);
	static __u8 reply[INFO_BUF_SIZE];
	struct vfio_iommu_type1_info *info = (void *)reply;
	__u32 full_size;

	ASSERT_EQ(EINVAL, get_info_err(_metadata, self->fd, reply,
				       fixed_size - 1));

	/* Callers from before capabilities */
	ASSERT_EQ(0, get_info_err(_metadata, self->fd, reply, fixed_size));
	ASSERT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS,
		  info->flags);
	ASSERT_TRUE(info->iova_pgsizes & PAGE_SIZE);
	ASSERT_EQ(0, info->iova_pgsizes & (PAGE_SIZE - 1));
	ASSERT_LT(sizeof(*info), info->argsz);
	full_size = info->argsz;

	/* Room for the fixed part only: told how much to come back with */
	ASSERT_EQ(0, get_info_err(_metadata, self->fd, reply, sizeof(*info)));
	ASSERT_EQ(0, info->cap_offset);
	ASSERT_EQ(full_size, info->argsz);
	ASSERT_EQ(0, get_info_err(_metadata, self->fd, reply, full_size - 1));
	ASSERT_EQ(0, info->cap_offset);

	ASSERT_EQ(0, get_info_err(_metadata, self->fd, reply, full_size));
	ASSERT_EQ(full_size, info->argsz);
	check_caps(_metadata, reply);
}

TEST_HARNESS_MAIN
