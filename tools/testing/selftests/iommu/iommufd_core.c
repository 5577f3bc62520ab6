// SPDX-License-Identifier: GPL-2.0-only
/*
 * The core of /dev/iommu: opening and closing contexts, the object table
 * (IOMMU_DESTROY and IDs), the ioctl dispatcher's size and number rules,
 * and IOMMU_OPTION.  One behaviour per test, named after the behaviour.
 */
#include <linux/capability.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "iommufd_helpers.h"

/* ---- contexts ---------------------------------------------------------- */

TEST(dev_iommu_is_a_char_device)
{
	struct stat st;

	ASSERT_EQ(0, stat(IOMMUFD_DEV_PATH, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
}

TEST(many_contexts_open_and_close)
{
	int fds[64];
	int i;

	for (i = 0; i != 64; i++) {
		fds[i] = iommufd_open();
		ASSERT_LE(0, fds[i]);
	}
	for (i = 0; i != 64; i++)
		ASSERT_EQ(0, close(fds[i]));
}

TEST(contexts_are_independent)
{
	int fd_a = iommufd_open();
	int fd_b = iommufd_open();
	__u64 val = 0;
	__u32 ioas_id;

	ASSERT_LE(0, fd_a);
	ASSERT_LE(0, fd_b);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(fd_a, &ioas_id));
	/* An ID means nothing in another context */
	EXPECT_EQ(ENOENT, iommufd_option_err(fd_b, IOMMU_OPTION_HUGE_PAGES,
					     IOMMU_OPTION_OP_GET, ioas_id,
					     &val));
	EXPECT_EQ(ENOENT, iommufd_destroy_err(fd_b, ioas_id));
	EXPECT_EQ(0, iommufd_destroy_err(fd_a, ioas_id));
	close(fd_a);
	close(fd_b);
}

TEST(close_destroys_every_object)
{
	__u32 ioas_id;
	int fd;
	int i;

	/* Leaks here show up in the debug profile's kmemleak scan */
	fd = iommufd_open();
	ASSERT_LE(0, fd);
	for (i = 0; i != 500; i++)
		ASSERT_EQ(0, iommufd_ioas_alloc_err(fd, &ioas_id));
	ASSERT_EQ(0, close(fd));
}

/* ---- ioctl numbers ------------------------------------------------------ */

FIXTURE(context)
{
	int fd;
};

FIXTURE_SETUP(context)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(context)
{
	close(self->fd);
}

TEST_F(context, number_below_the_command_base_is_enotty)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd) };

	EXPECT_EQ(ENOTTY, iommufd_ioctl_err(self->fd,
					    _IO(IOMMUFD_TYPE, 0x7f), &cmd));
	EXPECT_EQ(ENOTTY, iommufd_ioctl_err(self->fd,
					    _IO(IOMMUFD_TYPE, 0), &cmd));
}

TEST_F(context, number_past_every_command_is_enotty)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd) };

	EXPECT_EQ(ENOTTY, iommufd_ioctl_err(self->fd,
					    _IO(IOMMUFD_TYPE, 0x9f), &cmd));
	EXPECT_EQ(ENOTTY, iommufd_ioctl_err(self->fd,
					    _IO(IOMMUFD_TYPE, 0xff), &cmd));
}

TEST_F(context, known_number_with_another_type_is_enotty)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd) };

	EXPECT_EQ(ENOTTY,
		  iommufd_ioctl_err(self->fd, _IO('x', IOMMUFD_CMD_DESTROY),
				    &cmd));
}

TEST_F(context, known_number_with_size_and_direction_bits_is_enotty)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd) };

	/* iommufd ioctls carry their size in the struct, never in the number */
	EXPECT_EQ(ENOTTY,
		  iommufd_ioctl_err(self->fd,
				    _IOWR(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY,
					  struct iommu_destroy),
				    &cmd));
}

/* ---- the extensible-struct rules, for every ioctl that exists ----------- */

/*
 * Builds a valid command in @buf (zeroed, with room to spare) for the
 * variant's ioctl; the size field is set by the test.
 */
typedef void (*build_cmd_fn)(struct __test_metadata *_metadata, int fd,
			     void *buf);

/* A member the kernel writes back */
struct output_member {
	size_t offset;
	size_t size;
};

#define SIZED_BUF_BYTES 4096

FIXTURE(sized_ioctl)
{
	int fd;
	/* A page with an unmapped page right after it */
	__u8 *buf;
};

FIXTURE_VARIANT(sized_ioctl)
{
	unsigned long request;
	size_t struct_size;
	size_t first_version_size;
	struct output_member outputs[4];
	build_cmd_fn build;
};

#define SIZED_TARGET_BYTES (4 * 4096)
static struct iommu_iova_range sized_ranges[4];

/* Page-aligned memory for the commands that map something */
static void *sized_target(void)
{
	static void *target;

	if (!target)
		target = mmap(NULL, SIZED_TARGET_BYTES, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return target;
}

static __u32 build_ioas(struct __test_metadata *_metadata, int fd)
{
	__u32 ioas_id = 0;

	EXPECT_EQ(0, iommufd_ioas_alloc_err(fd, &ioas_id));
	return ioas_id;
}

static void build_fixed_map(struct __test_metadata *_metadata, int fd,
			    __u32 ioas_id, __u64 iova)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		.ioas_id = ioas_id,
		.user_va = (__u64)(uintptr_t)sized_target(),
		.length = SIZED_TARGET_BYTES,
		.iova = iova,
	};

	ASSERT_EQ(0, iommufd_ioctl_err(fd, IOMMU_IOAS_MAP, &map));
}

static void build_destroy(struct __test_metadata *_metadata, int fd,
			  void *buf)
{
	struct iommu_destroy *cmd = buf;

	cmd->id = build_ioas(_metadata, fd);
}

static void build_ioas_alloc(struct __test_metadata *_metadata, int fd,
			     void *buf)
{
}

static void build_option_get(struct __test_metadata *_metadata, int fd,
			     void *buf)
{
	struct iommu_option *cmd = buf;

	cmd->option_id = IOMMU_OPTION_RLIMIT_MODE;
	cmd->op = IOMMU_OPTION_OP_GET;
}

static void build_map(struct __test_metadata *_metadata, int fd, void *buf)
{
	struct iommu_ioas_map *cmd = buf;

	cmd->flags = IOMMU_IOAS_MAP_READABLE;
	cmd->ioas_id = build_ioas(_metadata, fd);
	cmd->user_va = (__u64)(uintptr_t)sized_target();
	cmd->length = SIZED_TARGET_BYTES;
}

static void build_map_file(struct __test_metadata *_metadata, int fd,
			   void *buf)
{
	struct iommu_ioas_map_file *cmd = buf;
	int memfd = syscall(SYS_memfd_create, "sized", 0);

	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, 4096));
	cmd->flags = IOMMU_IOAS_MAP_READABLE;
	cmd->ioas_id = build_ioas(_metadata, fd);
	cmd->fd = memfd;
	cmd->length = 4096;
}

static void build_unmap(struct __test_metadata *_metadata, int fd, void *buf)
{
	struct iommu_ioas_unmap *cmd = buf;

	cmd->ioas_id = build_ioas(_metadata, fd);
	build_fixed_map(_metadata, fd, cmd->ioas_id, 0x100000);
	cmd->iova = 0x100000;
	cmd->length = SIZED_TARGET_BYTES;
}

static void build_copy(struct __test_metadata *_metadata, int fd, void *buf)
{
	struct iommu_ioas_copy *cmd = buf;

	cmd->flags = IOMMU_IOAS_MAP_READABLE;
	cmd->src_ioas_id = build_ioas(_metadata, fd);
	cmd->dst_ioas_id = cmd->src_ioas_id;
	build_fixed_map(_metadata, fd, cmd->src_ioas_id, 0x100000);
	cmd->src_iova = 0x100000;
	cmd->length = SIZED_TARGET_BYTES;
}

static void build_iova_ranges(struct __test_metadata *_metadata, int fd,
			      void *buf)
{
	struct iommu_ioas_iova_ranges *cmd = buf;

	cmd->ioas_id = build_ioas(_metadata, fd);
	cmd->num_iovas = ARRAY_SIZE(sized_ranges);
	cmd->allowed_iovas = (__u64)(uintptr_t)sized_ranges;
}

static void build_allow_iovas(struct __test_metadata *_metadata, int fd,
			      void *buf)
{
	struct iommu_ioas_allow_iovas *cmd = buf;

	sized_ranges[0].start = 0x100000;
	sized_ranges[0].last = 0x1fffff;
	cmd->ioas_id = build_ioas(_metadata, fd);
	cmd->num_iovas = 1;
	cmd->allowed_iovas = (__u64)(uintptr_t)sized_ranges;
}

FIXTURE_VARIANT_ADD(sized_ioctl, destroy)
{
	.request = IOMMU_DESTROY,
	.struct_size = sizeof(struct iommu_destroy),
	.first_version_size = 8,
	.build = build_destroy,
};

FIXTURE_VARIANT_ADD(sized_ioctl, ioas_alloc)
{
	.request = IOMMU_IOAS_ALLOC,
	.struct_size = sizeof(struct iommu_ioas_alloc),
	.first_version_size = 12,
	.outputs = { { offsetof(struct iommu_ioas_alloc, out_ioas_id), 4 } },
	.build = build_ioas_alloc,
};

FIXTURE_VARIANT_ADD(sized_ioctl, option)
{
	.request = IOMMU_OPTION,
	.struct_size = sizeof(struct iommu_option),
	.first_version_size = 24,
	.outputs = { { offsetof(struct iommu_option, val64), 8 } },
	.build = build_option_get,
};

FIXTURE_VARIANT_ADD(sized_ioctl, ioas_map)
{
	.request = IOMMU_IOAS_MAP,
	.struct_size = sizeof(struct iommu_ioas_map),
	.first_version_size = 40,
	.outputs = { { offsetof(struct iommu_ioas_map, iova), 8 } },
	.build = build_map,
};

FIXTURE_VARIANT_ADD(sized_ioctl, ioas_map_file)
{
	.request = IOMMU_IOAS_MAP_FILE,
	.struct_size = sizeof(struct iommu_ioas_map_file),
	.first_version_size = 40,
	.outputs = { { offsetof(struct iommu_ioas_map_file, iova), 8 } },
	.build = build_map_file,
};

FIXTURE_VARIANT_ADD(sized_ioctl, ioas_unmap)
{
	.request = IOMMU_IOAS_UNMAP,
	.struct_size = sizeof(struct iommu_ioas_unmap),
	.first_version_size = 24,
	.outputs = { { offsetof(struct iommu_ioas_unmap, length), 8 } },
	.build = build_unmap,
};

FIXTURE_VARIANT_ADD(sized_ioctl, ioas_copy)
{
	.request = IOMMU_IOAS_COPY,
	.struct_size = sizeof(struct iommu_ioas_copy),
	.first_version_size = 40,
	.outputs = { { offsetof(struct iommu_ioas_copy, dst_iova), 8 } },
	.build = build_copy,
};

FIXTURE_VARIANT_ADD(sized_ioctl, ioas_iova_ranges)
{
	.request = IOMMU_IOAS_IOVA_RANGES,
	.struct_size = sizeof(struct iommu_ioas_iova_ranges),
	.first_version_size = 32,
	.outputs = { { offsetof(struct iommu_ioas_iova_ranges, num_iovas), 4 },
		     { offsetof(struct iommu_ioas_iova_ranges, out_iova_alignment), 8 } },
	.build = build_iova_ranges,
};

FIXTURE_VARIANT_ADD(sized_ioctl, ioas_allow_iovas)
{
	.request = IOMMU_IOAS_ALLOW_IOVAS,
	.struct_size = sizeof(struct iommu_ioas_allow_iovas),
	.first_version_size = 24,
	.build = build_allow_iovas,
};

FIXTURE_SETUP(sized_ioctl)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	self->buf = mmap(NULL, 2 * SIZED_BUF_BYTES, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	ASSERT_EQ(0, munmap(self->buf + SIZED_BUF_BYTES, SIZED_BUF_BYTES));
	variant->build(_metadata, self->fd, self->buf);
}

FIXTURE_TEARDOWN(sized_ioctl)
{
	munmap(self->buf, SIZED_BUF_BYTES);
	close(self->fd);
}

static int sized_call(int fd, unsigned long request, __u8 *buf, __u32 size)
{
	memcpy(buf, &size, sizeof(size));
	return iommufd_ioctl_err(fd, request, buf);
}

/* GET succeeds only once an IOAS has been chosen for VFIO compatibility */
static void build_vfio_ioas_get(struct __test_metadata *_metadata, int fd,
				void *buf)
{
	struct iommu_vfio_ioas *cmd = buf;
	__u32 ioas_id = build_ioas(_metadata, fd);

	ASSERT_EQ(0, iommufd_vfio_ioas_err(fd, IOMMU_VFIO_IOAS_SET, &ioas_id));
	cmd->op = IOMMU_VFIO_IOAS_GET;
}

FIXTURE_VARIANT_ADD(sized_ioctl, vfio_ioas)
{
	.request = IOMMU_VFIO_IOAS,
	.struct_size = sizeof(struct iommu_vfio_ioas),
	.first_version_size = 12,
	.outputs = { { offsetof(struct iommu_vfio_ioas, ioas_id), 4 } },
	.build = build_vfio_ioas_get,
};

/* The commands on devices and HWPTs, which need a mock device */

/* A new IOAS with a mock device attached; the device's iommufd ID */
static __u32 build_device(struct __test_metadata *_metadata, int fd,
			  __u32 *ioas_id)
{
	__u32 idev_id = 0;

	*ioas_id = build_ioas(_metadata, fd);
	EXPECT_EQ(0, iommufd_mock_domain_err(fd, *ioas_id, NULL, NULL,
					     &idev_id));
	return idev_id;
}

static void build_hw_info(struct __test_metadata *_metadata, int fd,
			  void *buf)
{
	struct iommu_hw_info *cmd = buf;
	__u32 ioas_id;

	/* No room for the data: only its type and length are reported */
	cmd->dev_id = build_device(_metadata, fd, &ioas_id);
}

static void build_hwpt_alloc(struct __test_metadata *_metadata, int fd,
			     void *buf)
{
	struct iommu_hwpt_alloc *cmd = buf;

	cmd->dev_id = build_device(_metadata, fd, &cmd->pt_id);
}

/* A dirty tracking HWPT with the target mapped and tracking on */
static __u32 build_tracking_hwpt(struct __test_metadata *_metadata, int fd)
{
	__u32 ioas_id, idev_id, hwpt_id = 0;

	idev_id = build_device(_metadata, fd, &ioas_id);
	EXPECT_EQ(0, iommufd_hwpt_alloc_err(fd, idev_id, ioas_id,
					    IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
					    &hwpt_id));
	build_fixed_map(_metadata, fd, ioas_id, MOCK_APERTURE_START);
	EXPECT_EQ(0, iommufd_set_dirty_tracking_err(fd, hwpt_id, true));
	return hwpt_id;
}

static void build_set_dirty_tracking(struct __test_metadata *_metadata,
				     int fd, void *buf)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = buf;

	cmd->flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	cmd->hwpt_id = build_tracking_hwpt(_metadata, fd);
}

static __u64 sized_dirty_bitmap[SIZED_TARGET_BYTES / 4096 / 64 + 1];

static void build_get_dirty_bitmap(struct __test_metadata *_metadata,
				   int fd, void *buf)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = buf;

	cmd->hwpt_id = build_tracking_hwpt(_metadata, fd);
	cmd->iova = MOCK_APERTURE_START;
	cmd->length = SIZED_TARGET_BYTES;
	cmd->page_size = 4096;
	cmd->data = (__u64)(uintptr_t)sized_dirty_bitmap;
}

static const struct iommu_hwpt_invalidate_selftest sized_invalidation = {
	.iotlb_id = 1,
};

static void build_hwpt_invalidate(struct __test_metadata *_metadata, int fd,
				  void *buf)
{
	struct iommu_hwpt_invalidate *cmd = buf;
	__u32 ioas_id, idev_id, parent_id = 0;

	idev_id = build_device(_metadata, fd, &ioas_id);
	EXPECT_EQ(0, iommufd_hwpt_alloc_err(fd, idev_id, ioas_id,
					    IOMMU_HWPT_ALLOC_NEST_PARENT,
					    &parent_id));
	EXPECT_EQ(0, iommufd_hwpt_alloc_nested_err(fd, idev_id, parent_id,
						   IOMMU_TEST_IOTLB_DEFAULT,
						   &cmd->hwpt_id));
	cmd->data_uptr = (__u64)(uintptr_t)&sized_invalidation;
	cmd->data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
	cmd->entry_len = sizeof(sized_invalidation);
	cmd->entry_num = 1;
}

/* IOMMU_TEST_CMD, by one op that answers with IDs: a new mock device */
static void build_test_cmd(struct __test_metadata *_metadata, int fd,
			   void *buf)
{
	struct iommu_test_cmd *cmd = buf;

	cmd->op = IOMMU_TEST_OP_MOCK_DOMAIN;
	cmd->id = build_ioas(_metadata, fd);
}

FIXTURE_VARIANT_ADD(sized_ioctl, get_hw_info)
{
	.request = IOMMU_GET_HW_INFO,
	.struct_size = sizeof(struct iommu_hw_info),
	.first_version_size = 32,
	.outputs = { { offsetof(struct iommu_hw_info, data_len), 4 },
		     { offsetof(struct iommu_hw_info, out_data_type), 4 },
		     { offsetof(struct iommu_hw_info, out_max_pasid_log2), 1 },
		     { offsetof(struct iommu_hw_info, out_capabilities), 8 } },
	.build = build_hw_info,
};

FIXTURE_VARIANT_ADD(sized_ioctl, hwpt_alloc)
{
	.request = IOMMU_HWPT_ALLOC,
	.struct_size = sizeof(struct iommu_hwpt_alloc),
	.first_version_size = 24,
	.outputs = { { offsetof(struct iommu_hwpt_alloc, out_hwpt_id), 4 } },
	.build = build_hwpt_alloc,
};

FIXTURE_VARIANT_ADD(sized_ioctl, hwpt_invalidate)
{
	.request = IOMMU_HWPT_INVALIDATE,
	.struct_size = sizeof(struct iommu_hwpt_invalidate),
	.first_version_size = 32,
	.outputs = { { offsetof(struct iommu_hwpt_invalidate, entry_num), 4 } },
	.build = build_hwpt_invalidate,
};

FIXTURE_VARIANT_ADD(sized_ioctl, hwpt_set_dirty_tracking)
{
	.request = IOMMU_HWPT_SET_DIRTY_TRACKING,
	.struct_size = sizeof(struct iommu_hwpt_set_dirty_tracking),
	.first_version_size = 16,
	.build = build_set_dirty_tracking,
};

FIXTURE_VARIANT_ADD(sized_ioctl, hwpt_get_dirty_bitmap)
{
	.request = IOMMU_HWPT_GET_DIRTY_BITMAP,
	.struct_size = sizeof(struct iommu_hwpt_get_dirty_bitmap),
	.first_version_size = 48,
	.build = build_get_dirty_bitmap,
};

FIXTURE_VARIANT_ADD(sized_ioctl, test_cmd)
{
	.request = IOMMU_TEST_CMD,
	.struct_size = sizeof(struct iommu_test_cmd),
	.first_version_size = 68,
	.outputs = { { offsetof(struct iommu_test_cmd, mock_domain), 12 } },
	.build = build_test_cmd,
};

TEST_F(sized_ioctl, first_version_size_is_what_we_expect)
{
	/* The uAPI may grow, but never below the size it was born with */
	ASSERT_LE(variant->first_version_size, variant->struct_size);
}

TEST_F(sized_ioctl, size_zero_is_einval)
{
	EXPECT_EQ(EINVAL, sized_call(self->fd, variant->request, self->buf, 0));
}

TEST_F(sized_ioctl, size_below_first_version_is_einval)
{
	EXPECT_EQ(EINVAL, sized_call(self->fd, variant->request, self->buf,
				     variant->first_version_size - 1));
}

TEST_F(sized_ioctl, exact_size_is_accepted)
{
	EXPECT_EQ(0, sized_call(self->fd, variant->request, self->buf,
				variant->struct_size));
}

TEST_F(sized_ioctl, larger_size_with_zero_tail_is_accepted)
{
	EXPECT_EQ(0, sized_call(self->fd, variant->request, self->buf,
				variant->struct_size + 256));
}

TEST_F(sized_ioctl, larger_size_with_nonzero_tail_is_e2big)
{
	self->buf[variant->struct_size + 255] = 1;
	EXPECT_EQ(E2BIG, sized_call(self->fd, variant->request, self->buf,
				    variant->struct_size + 256));
}

TEST_F(sized_ioctl, nonzero_byte_right_after_the_struct_is_e2big)
{
	self->buf[variant->struct_size] = 0x80;
	EXPECT_EQ(E2BIG, sized_call(self->fd, variant->request, self->buf,
				    variant->struct_size + 1));
}

TEST_F(sized_ioctl, tail_running_into_unmapped_memory_is_efault)
{
	EXPECT_EQ(EFAULT, sized_call(self->fd, variant->request, self->buf,
				     SIZED_BUF_BYTES + 8));
}

TEST_F(sized_ioctl, struct_in_unmapped_memory_is_efault)
{
	EXPECT_EQ(EFAULT, iommufd_ioctl_err(self->fd, variant->request,
					    self->buf + SIZED_BUF_BYTES));
	EXPECT_EQ(EFAULT, iommufd_ioctl_err(self->fd, variant->request, NULL));
}

TEST_F(sized_ioctl, nothing_is_written_past_the_user_size)
{
	size_t size = variant->struct_size;

	memset(self->buf + size, 0xa5, 64);
	/* Bytes past the size are not part of the struct, so any value is ok */
	ASSERT_EQ(0, sized_call(self->fd, variant->request, self->buf, size));
	for (size_t i = size; i != size + 64; i++)
		ASSERT_EQ(0xa5, self->buf[i]);
}

static bool is_output_byte(const struct output_member *outputs, size_t byte)
{
	for (size_t i = 0; i != 4; i++)
		if (outputs[i].size && byte >= outputs[i].offset &&
		    byte < outputs[i].offset + outputs[i].size)
			return true;
	return false;
}

TEST_F(sized_ioctl, only_output_members_change)
{
	size_t size = variant->struct_size;
	__u8 before[128];
	size_t i;

	ASSERT_LE(size, sizeof(before));
	*(__u32 *)self->buf = size;
	memcpy(&before, self->buf, size);
	ASSERT_EQ(0, iommufd_ioctl_err(self->fd, variant->request, self->buf));
	for (i = 0; i != size; i++) {
		if (is_output_byte(variant->outputs, i))
			continue;
		ASSERT_EQ(before[i], self->buf[i]);
	}
}

/* ---- IOMMU_DESTROY and IDs ---------------------------------------------- */

TEST_F(context, destroy_of_never_allocated_ids_is_enoent)
{
	static const __u32 ids[] = { 0, 1, 2, 12345, NO_SUCH_ID,
					0x7fffffff, 0x80000000, 0xffffffff };
	size_t i;

	for (i = 0; i != ARRAY_SIZE(ids); i++)
		EXPECT_EQ(ENOENT, iommufd_destroy_err(self->fd, ids[i]));
}

TEST_F(context, destroy_twice_is_enoent)
{
	__u32 ioas_id;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, ioas_id));
	EXPECT_EQ(ENOENT, iommufd_destroy_err(self->fd, ioas_id));
}

TEST_F(context, destroyed_id_cannot_be_used)
{
	__u64 val = 0;
	__u32 ioas_id;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, ioas_id));
	EXPECT_EQ(ENOENT, iommufd_option_err(self->fd, IOMMU_OPTION_HUGE_PAGES,
					     IOMMU_OPTION_OP_GET, ioas_id,
					     &val));
}

TEST_F(context, live_ids_are_nonzero_and_unique)
{
	__u32 ids[100];
	int i, j;

	for (i = 0; i != 100; i++) {
		ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ids[i]));
		ASSERT_NE(0, ids[i]);
		for (j = 0; j != i; j++)
			ASSERT_NE(ids[j], ids[i]);
	}
}

TEST_F(context, destroying_one_object_leaves_the_others)
{
	__u32 ids[3];
	__u64 val;
	int i;

	for (i = 0; i != 3; i++)
		ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ids[i]));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, ids[1]));
	for (i = 0; i < 3; i += 2) {
		val = 0;
		EXPECT_EQ(0, iommufd_option_err(self->fd,
						IOMMU_OPTION_HUGE_PAGES,
						IOMMU_OPTION_OP_GET, ids[i],
						&val));
		EXPECT_EQ(0, iommufd_destroy_err(self->fd, ids[i]));
	}
}

/* ---- IOMMU_IOAS_ALLOC --------------------------------------------------- */

TEST_F(context, ioas_alloc_with_unknown_flags_is_eopnotsupp)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	unsigned int bit;

	for (bit = 0; bit != 32; bit++) {
		cmd.flags = 1u << bit;
		EXPECT_EQ(EOPNOTSUPP,
			  iommufd_ioctl_err(self->fd, IOMMU_IOAS_ALLOC, &cmd));
	}
}

/* ---- IOMMU_OPTION ------------------------------------------------------- */

static int option_cmd_err(int fd, struct iommu_option *cmd)
{
	cmd->size = sizeof(*cmd);
	return iommufd_ioctl_err(fd, IOMMU_OPTION, cmd);
}

TEST_F(context, option_with_reserved_field_set_is_eopnotsupp)
{
	struct iommu_option cmd = {
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
		.__reserved = 1,
	};

	EXPECT_EQ(EOPNOTSUPP, option_cmd_err(self->fd, &cmd));
}

TEST_F(context, unknown_option_is_eopnotsupp)
{
	struct iommu_option cmd = { .op = IOMMU_OPTION_OP_GET };

	cmd.option_id = 2;
	EXPECT_EQ(EOPNOTSUPP, option_cmd_err(self->fd, &cmd));
	cmd.option_id = 0xffffffff;
	EXPECT_EQ(EOPNOTSUPP, option_cmd_err(self->fd, &cmd));
}

TEST_F(context, unknown_option_op_is_eopnotsupp)
{
	struct iommu_option cmd = {
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = 2,
	};
	__u32 ioas_id;

	EXPECT_EQ(EOPNOTSUPP, option_cmd_err(self->fd, &cmd));
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	cmd.option_id = IOMMU_OPTION_HUGE_PAGES;
	cmd.object_id = ioas_id;
	EXPECT_EQ(EOPNOTSUPP, option_cmd_err(self->fd, &cmd));
}

TEST_F(context, option_get_writes_only_val64)
{
	struct iommu_option cmd = {
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
		.val64 = 77,
	};

	ASSERT_EQ(0, option_cmd_err(self->fd, &cmd));
	EXPECT_EQ(0, cmd.val64);
	EXPECT_EQ(IOMMU_OPTION_RLIMIT_MODE, cmd.option_id);
	EXPECT_EQ(IOMMU_OPTION_OP_GET, cmd.op);
	EXPECT_EQ(0, cmd.object_id);
}

TEST_F(context, rlimit_mode_defaults_to_per_user)
{
	__u64 val = 99;

	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_GET, 0, &val));
	EXPECT_EQ(0, val);
}

TEST_F(context, rlimit_mode_with_an_object_id_is_eopnotsupp)
{
	__u64 val = 0;
	__u32 ioas_id;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
				     IOMMU_OPTION_OP_GET, ioas_id, &val));
}

TEST_F(context, rlimit_mode_set_and_get_back)
{
	__u64 val;

	val = 1;
	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_SET, 0, &val));
	val = 0;
	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_GET, 0, &val));
	EXPECT_EQ(1, val);

	val = 0;
	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_SET, 0, &val));
	val = 1;
	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_GET, 0, &val));
	EXPECT_EQ(0, val);
}

TEST_F(context, rlimit_mode_is_per_context)
{
	int other_fd = iommufd_open();
	__u64 val = 1;

	ASSERT_LE(0, other_fd);
	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_SET, 0, &val));
	val = 5;
	ASSERT_EQ(0, iommufd_option_err(other_fd, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_GET, 0, &val));
	EXPECT_EQ(0, val);
	close(other_fd);
}

TEST_F(context, rlimit_mode_value_above_one_is_einval)
{
	__u64 val = 2;

	EXPECT_EQ(EINVAL, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					     IOMMU_OPTION_OP_SET, 0, &val));
	val = (__u64)-1;
	EXPECT_EQ(EINVAL, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					     IOMMU_OPTION_OP_SET, 0, &val));
}

TEST_F(context, rlimit_mode_cannot_change_once_objects_exist)
{
	__u64 val = 1;
	__u32 ioas_id;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	EXPECT_EQ(EBUSY, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					    IOMMU_OPTION_OP_SET, 0, &val));
	/* ... and can again once they are gone */
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, ioas_id));
	EXPECT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_SET, 0, &val));
}

/* Leave only the capabilities in @keep effective, permitted and inheritable */
static int drop_capabilities_except(__u32 keep)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {
		{ .effective = keep, .permitted = keep, .inheritable = keep },
	};

	return syscall(SYS_capset, &header, data);
}

TEST_F(context, rlimit_mode_set_needs_cap_sys_resource)
{
	__u64 val;
	pid_t child;
	int status;

	if (geteuid())
		SKIP(return, "needs root to have CAP_SYS_RESOURCE to drop");

	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		if (drop_capabilities_except(0))
			_exit(10);
		val = 1;
		if (iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
				       IOMMU_OPTION_OP_SET, 0, &val) != EPERM)
			_exit(11);
		/* Reading the mode needs no privilege */
		val = 9;
		if (iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
				       IOMMU_OPTION_OP_GET, 0, &val) || val)
			_exit(12);
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(context, huge_pages_is_enabled_by_default)
{
	__u64 val = 0;
	__u32 ioas_id;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_HUGE_PAGES,
					IOMMU_OPTION_OP_GET, ioas_id, &val));
	EXPECT_EQ(1, val);
}

TEST_F(context, huge_pages_set_and_get_back_per_ioas)
{
	__u32 ioas_a, ioas_b;
	__u64 val;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_a));
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_b));
	val = 0;
	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_HUGE_PAGES,
					IOMMU_OPTION_OP_SET, ioas_a, &val));
	val = 7;
	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_HUGE_PAGES,
					IOMMU_OPTION_OP_GET, ioas_a, &val));
	EXPECT_EQ(0, val);
	val = 7;
	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_HUGE_PAGES,
					IOMMU_OPTION_OP_GET, ioas_b, &val));
	EXPECT_EQ(1, val);

	val = 1;
	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_HUGE_PAGES,
					IOMMU_OPTION_OP_SET, ioas_a, &val));
	val = 7;
	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_HUGE_PAGES,
					IOMMU_OPTION_OP_GET, ioas_a, &val));
	EXPECT_EQ(1, val);
}

TEST_F(context, huge_pages_value_above_one_is_einval)
{
	__u32 ioas_id;
	__u64 val = 2;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	EXPECT_EQ(EINVAL, iommufd_option_err(self->fd, IOMMU_OPTION_HUGE_PAGES,
					     IOMMU_OPTION_OP_SET, ioas_id,
					     &val));
}

TEST_F(context, huge_pages_on_something_not_an_ioas_is_enoent)
{
	__u64 val = 0;

	/* Object 0 is "no object"; the option needs one */
	EXPECT_EQ(ENOENT, iommufd_option_err(self->fd, IOMMU_OPTION_HUGE_PAGES,
					     IOMMU_OPTION_OP_GET, 0, &val));
	EXPECT_EQ(ENOENT, iommufd_option_err(self->fd, IOMMU_OPTION_HUGE_PAGES,
					     IOMMU_OPTION_OP_GET, NO_SUCH_ID,
					     &val));
}

/* ---- concurrency -------------------------------------------------------- */

#define RACE_SLOTS 16
#define RACE_OWNERS 2
#define RACE_USERS 3
#define RACE_ITERATIONS 20000

struct race_state {
	int fd;
	/* ID currently published in each slot, 0 while an owner replaces it */
	atomic_uint slot_ids[RACE_SLOTS];
	/* Outcomes that must never happen; counted, then asserted zero */
	atomic_uint unexpected;
	atomic_uint user_hits;
	atomic_uint user_misses;
};

static void note_unexpected(struct race_state *race, const char *what, int err)
{
	if (atomic_fetch_add(&race->unexpected, 1) < 5)
		fprintf(stderr, "# unexpected %s: %s\n", what, strerror(err));
}

/*
 * Owners take a slot's ID exclusively, destroy it and publish a new object.
 * Because nothing depends on these objects and nobody else destroys them,
 * every destroy must succeed, however many users hold them at that moment.
 */
static void *race_owner(void *arg)
{
	struct race_state *race = arg;
	unsigned int seed = (unsigned int)(uintptr_t)&seed;
	int i;

	for (i = 0; i != RACE_ITERATIONS; i++) {
		unsigned int slot = rand_r(&seed) % RACE_SLOTS;
		__u32 id = atomic_exchange(&race->slot_ids[slot], 0);
		__u32 new_id;
		int err;

		if (!id)
			continue;
		err = iommufd_destroy_err(race->fd, id);
		if (err)
			note_unexpected(race, "destroy", err);
		err = iommufd_ioas_alloc_err(race->fd, &new_id);
		if (err) {
			note_unexpected(race, "alloc", err);
			continue;
		}
		atomic_store(&race->slot_ids[slot], new_id);
	}
	return NULL;
}

/* Users look objects up by whatever ID they last saw; ENOENT is fair */
static void *race_user(void *arg)
{
	struct race_state *race = arg;
	unsigned int seed = (unsigned int)(uintptr_t)&seed;
	int i;

	for (i = 0; i != RACE_ITERATIONS; i++) {
		__u32 id = race->slot_ids[rand_r(&seed) % RACE_SLOTS];
		__u16 op = (i & 1) ? IOMMU_OPTION_OP_SET :
					IOMMU_OPTION_OP_GET;
		__u64 val = 1;
		int err;

		err = iommufd_option_err(race->fd, IOMMU_OPTION_HUGE_PAGES, op,
					 id, &val);
		if (!err)
			atomic_fetch_add(&race->user_hits, 1);
		else if (err == ENOENT)
			atomic_fetch_add(&race->user_misses, 1);
		else
			note_unexpected(race, "option", err);
	}
	return NULL;
}

/*
 * 16 s alone in the debug kernel under TCG, over the default 30 s when the
 * host is busy: give it room.
 */
TEST_F_TIMEOUT(context, destroy_waits_for_concurrent_users_instead_of_failing,
	       180)
{
	pthread_t threads[RACE_OWNERS + RACE_USERS];
	struct race_state *race;
	int i;

	race = calloc(1, sizeof(*race));
	ASSERT_NE(NULL, race);
	race->fd = self->fd;
	for (i = 0; i != RACE_SLOTS; i++) {
		__u32 id;

		ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &id));
		race->slot_ids[i] = id;
	}

	for (i = 0; i != RACE_OWNERS + RACE_USERS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL,
					    i < RACE_OWNERS ? race_owner :
							      race_user,
					    race));
	for (i = 0; i != RACE_OWNERS + RACE_USERS; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));

	TH_LOG("users found %u objects and missed %u",
	       atomic_load(&race->user_hits), atomic_load(&race->user_misses));
	EXPECT_EQ(0, atomic_load(&race->unexpected));
	/* Every object left is whole and destroyable */
	for (i = 0; i != RACE_SLOTS; i++)
		EXPECT_EQ(0, iommufd_destroy_err(self->fd, race->slot_ids[i]));
	free(race);
}

#define SAME_ID_THREADS 4
#define SAME_ID_ROUNDS 300

struct same_id_state {
	int fd;
	pthread_barrier_t start;
	pthread_barrier_t done;
	atomic_uint target;
	atomic_uint successes;
	atomic_uint other_errors;
};

static void *same_id_destroyer(void *arg)
{
	struct same_id_state *state = arg;
	int round;

	for (round = 0; round != SAME_ID_ROUNDS; round++) {
		int err;

		pthread_barrier_wait(&state->start);
		err = iommufd_destroy_err(state->fd, state->target);
		if (!err)
			atomic_fetch_add(&state->successes, 1);
		else if (err != ENOENT)
			atomic_fetch_add(&state->other_errors, 1);
		pthread_barrier_wait(&state->done);
	}
	return NULL;
}

TEST_F(context, racing_destroys_of_one_id_succeed_exactly_once)
{
	pthread_t threads[SAME_ID_THREADS];
	struct same_id_state state = { .fd = self->fd };
	int round, i;

	ASSERT_EQ(0, pthread_barrier_init(&state.start, NULL,
					  SAME_ID_THREADS + 1));
	ASSERT_EQ(0, pthread_barrier_init(&state.done, NULL,
					  SAME_ID_THREADS + 1));
	for (i = 0; i != SAME_ID_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL,
					    same_id_destroyer, &state));

	for (round = 0; round != SAME_ID_ROUNDS; round++) {
		__u32 id;

		ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &id));
		state.target = id;
		pthread_barrier_wait(&state.start);
		pthread_barrier_wait(&state.done);
		ASSERT_EQ(round + 1, atomic_load(&state.successes));
	}
	for (i = 0; i != SAME_ID_THREADS; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
	EXPECT_EQ(0, atomic_load(&state.other_errors));
}

/* ---- IOMMU_VFIO_IOAS ----------------------------------------------------- */

TEST_F(context, vfio_ioas_get_without_one_is_enodev)
{
	__u32 ioas_id = 0;

	EXPECT_EQ(ENODEV, iommufd_vfio_ioas_err(self->fd, IOMMU_VFIO_IOAS_GET,
						&ioas_id));
}

TEST_F(context, vfio_ioas_set_then_get_returns_it)
{
	__u32 first, second, got = 0;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &first));
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &second));
	ASSERT_EQ(0,
		  iommufd_vfio_ioas_err(self->fd, IOMMU_VFIO_IOAS_SET, &first));
	ASSERT_EQ(0,
		  iommufd_vfio_ioas_err(self->fd, IOMMU_VFIO_IOAS_GET, &got));
	EXPECT_EQ(first, got);
	/* SET again moves the designation */
	ASSERT_EQ(0, iommufd_vfio_ioas_err(self->fd, IOMMU_VFIO_IOAS_SET,
					   &second));
	ASSERT_EQ(0,
		  iommufd_vfio_ioas_err(self->fd, IOMMU_VFIO_IOAS_GET, &got));
	EXPECT_EQ(second, got);
}

TEST_F(context, vfio_ioas_set_of_something_else_is_enoent)
{
	__u32 ioas_id = NO_SUCH_ID;

	EXPECT_EQ(ENOENT, iommufd_vfio_ioas_err(self->fd, IOMMU_VFIO_IOAS_SET,
						&ioas_id));
	ioas_id = 0;
	EXPECT_EQ(ENOENT, iommufd_vfio_ioas_err(self->fd, IOMMU_VFIO_IOAS_SET,
						&ioas_id));
}

TEST_F(context, vfio_ioas_clear_forgets_but_keeps_the_ioas)
{
	__u32 ioas_id, got = 0;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	got = ioas_id;
	ASSERT_EQ(0,
		  iommufd_vfio_ioas_err(self->fd, IOMMU_VFIO_IOAS_SET, &got));
	ASSERT_EQ(0,
		  iommufd_vfio_ioas_err(self->fd, IOMMU_VFIO_IOAS_CLEAR, &got));
	EXPECT_EQ(ENODEV,
		  iommufd_vfio_ioas_err(self->fd, IOMMU_VFIO_IOAS_GET, &got));
	/* Clearing twice is fine */
	EXPECT_EQ(0,
		  iommufd_vfio_ioas_err(self->fd, IOMMU_VFIO_IOAS_CLEAR, &got));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, ioas_id));
}

TEST_F(context, vfio_ioas_destroyed_is_forgotten)
{
	__u32 ioas_id, reused, got;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	got = ioas_id;
	ASSERT_EQ(0,
		  iommufd_vfio_ioas_err(self->fd, IOMMU_VFIO_IOAS_SET, &got));
	/* The designation is no dependency: destroying it is allowed */
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, ioas_id));
	EXPECT_EQ(ENODEV,
		  iommufd_vfio_ioas_err(self->fd, IOMMU_VFIO_IOAS_GET, &got));
	/* Not even an IOAS that gets the same ID again is the compat one */
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &reused));
	EXPECT_EQ(ENODEV,
		  iommufd_vfio_ioas_err(self->fd, IOMMU_VFIO_IOAS_GET, &got));
}

TEST_F(context, vfio_ioas_unknown_op_is_eopnotsupp)
{
	__u32 ioas_id = 0;

	EXPECT_EQ(EOPNOTSUPP, iommufd_vfio_ioas_err(self->fd, 3, &ioas_id));
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_vfio_ioas_err(self->fd, 0xffff, &ioas_id));
}

TEST_F(context, vfio_ioas_reserved_field_set_is_eopnotsupp)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_VFIO_IOAS_CLEAR,
		.__reserved = 1,
	};

	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_ioctl_err(self->fd, IOMMU_VFIO_IOAS, &cmd));
}

TEST_HARNESS_MAIN
