// SPDX-License-Identifier: GPL-2.0-only
/*
 * The bad-input matrix: every iommufd ioctl, and every IOMMU_TEST_CMD op of
 * the mock driver, called once with a valid argument and then once per
 * class of bad input (unknown flag bits, non-zero reserved fields, short
 * and long sizes, bad ranges, bad IDs, bad user pointers).  Each cell
 * expects one errno, and a refused call must leave the context as it was:
 * the same objects, mappings and pinned pages in its fdinfo, the same
 * VmPin of the process and the same open descriptors.
 *
 * A row is one table entry: the ioctl, the offsets of the fields each class
 * changes, a setup function that builds a valid argument in a new context,
 * and the expected errno of each class.  Every cell runs in a context of
 * its own and is one TAP result; the whole matrix is printed at the end,
 * with --rst as the table of Documentation/userspace-api/iommufd.rst.
 */
#include <stddef.h>
#include <dirent.h>

#include "iommufd_helpers.h"
#include "../kselftest.h"

#define BUF_PAGES 16

/* The bytes a "long" argument has beyond the struct */
#define TAIL_BYTES 8

/* Size of the argument buffer: the largest struct plus its tail */
#define ARG_BYTES 256

/*
 * Where a member of @type sits, from a member access through a null
 * pointer that is never made: the classic offsetof(), which names the
 * member once, so that it can be measured in the same breath
 */
#define NULL_OF(type) ((type *)0)
#define END_AT(lval) ((unsigned long)&(lval) + sizeof(lval))
#define offsetofend(type, member) END_AT((*NULL_OF(type)).member)

enum bad_class {
	C_VALID,
	C_SIZE_SHORT,
	C_SIZE_JUNK,
	C_SIZE_ZERO,
	C_FLAG_LOW,
	C_FLAG_MID,
	C_FLAG_HIGH,
	C_RESERVED,
	C_ID_ZERO,
	C_ID_UNKNOWN,
	C_ID_DESTROYED,
	C_ID_WRONG_TYPE,
	C_RANGE_WRAP,
	C_RANGE_EMPTY,
	C_RANGE_HUGE,
	C_UNALIGNED,
	C_ARG_NULL,
	C_PTR_NULL,
	C_PTR_UNMAPPED,
	C_RO_ARG,
	C_RO_DATA,
	NR_CLASSES
};

/* Column headings of the printed matrix, at most 9 characters */
static const char *const class_names[NR_CLASSES] = {
	[C_VALID] = "valid",
	[C_SIZE_SHORT] = "size<min",
	[C_SIZE_JUNK] = "size+junk",
	[C_SIZE_ZERO] = "size+zero",
	[C_FLAG_LOW] = "flag-low",
	[C_FLAG_MID] = "flag-mid",
	[C_FLAG_HIGH] = "flag-high",
	[C_RESERVED] = "reserved",
	[C_ID_ZERO] = "id-zero",
	[C_ID_UNKNOWN] = "id-none",
	[C_ID_DESTROYED] = "id-dead",
	[C_ID_WRONG_TYPE] = "id-type",
	[C_RANGE_WRAP] = "wrap",
	[C_RANGE_EMPTY] = "len-zero",
	[C_RANGE_HUGE] = "len-huge",
	[C_UNALIGNED] = "unaligned",
	[C_ARG_NULL] = "arg-null",
	[C_PTR_NULL] = "ptr-null",
	[C_PTR_UNMAPPED] = "ptr-hole",
	[C_RO_ARG] = "ro-arg",
	[C_RO_DATA] = "ro-data",
};

/*
 * A cell's expectation: an errno, OK for "accepted", or 0 for "does not
 * apply" (the default of a designated initializer)
 */
#define OK (-1)

/* What a cell got when its context could not be built */
#define SETUP_FAILED (-2)

/* The kinds of object a row's ID field can name, for the ID classes */
enum obj_kind {
	K_NONE,
	K_IOAS,
	K_DEVICE,	/* the iommufd device of the mock device */
	K_STDEV,	/* the selftest object owning the mock device */
	K_HWPT,		/* the mock device's automatic paging HWPT */
	K_PARENT,	/* a nesting parent HWPT */
	K_NESTED,	/* a nested HWPT on the parent */
	K_DIRTY,	/* a paging HWPT with dirty tracking */
	K_VIOMMU,
	K_FAULT,
	NR_KINDS
};

struct field {
	unsigned short off;
	unsigned short len;	/* 0: the row has no such field */
};

#define FIELD_AT(lval) { (unsigned short)(unsigned long)&(lval), sizeof(lval) }
#define FIELD(type, member) FIELD_AT((*NULL_OF(type)).member)

struct bad_ctx;

struct bad_row {
	const char *name;
	unsigned long request;
	unsigned int size;
	/* offsetofend of the last member every caller must pass */
	unsigned int min_size;
	struct field flags;
	__u32 known_flags;
	struct field reserved[3];
	struct field id;
	enum obj_kind id_kind;
	enum obj_kind wrong_kind;
	struct field iova;
	struct field length;
	/* What the unaligned class adds to; 1 is added */
	struct field unaligned;
	/* A user pointer the kernel follows; ptr-null and ptr-hole */
	struct field uptr;
	/* A user pointer the kernel writes through; ro-data */
	struct field out_uptr;
	/* The struct has out members; ro-arg */
	bool writes_arg;
	/*
	 * The call's effect stays when its result cannot be written back:
	 * what is unmapped or replaced is not put back (as upstream)
	 */
	bool ro_arg_done;
	int (*setup)(struct bad_ctx *ctx, void *arg);
	/* Upstream's errno for each class: the contract */
	int expect[NR_CLASSES];
	/* Where our kernel is known to answer otherwise, what it answers */
	int ours[NR_CLASSES];
};

/*
 * A new context per cell: a mock device attached to an IOAS (its automatic
 * HWPT), a nesting parent on that IOAS and a mock vIOMMU on the parent;
 * setup functions add what their row needs.
 */
struct bad_ctx {
	int fd;
	__u32 ids[NR_KINDS];
	__u32 ioas2_id;
	int access_fd;
	int memfd;
};

/* Buffers shared by every cell */
static void *buf;		/* BUF_SIZE, read-write, populated */
static void *ro_buf;		/* BUF_SIZE, read-only */
static void *hole;		/* BUF_SIZE with no access allowed */
static void *ro_page;		/* one page, read-only after the argument is copied */
/*
 * Two pages of address space backed by the same page of a memfd: a range
 * over both is never physically contiguous, whatever the allocator did
 */
static void *one_page_twice;

static __u64 uptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

static int ctx_open_err(struct bad_ctx *ctx)
{
	__u32 *ids = ctx->ids;
	int err;

	memset(ctx, 0, sizeof(*ctx));
	ctx->access_fd = -1;
	ctx->memfd = -1;
	ctx->fd = iommufd_open();
	if (ctx->fd < 0)
		return errno;
	err = iommufd_ioas_alloc_err(ctx->fd, &ids[K_IOAS]);
	if (!err)
		err = iommufd_mock_domain_err(ctx->fd, ids[K_IOAS],
					      &ids[K_STDEV], &ids[K_HWPT],
					      &ids[K_DEVICE]);
	if (!err)
		err = iommufd_hwpt_alloc_err(ctx->fd, ids[K_DEVICE],
					     ids[K_IOAS],
					     IOMMU_HWPT_ALLOC_NEST_PARENT,
					     &ids[K_PARENT]);
	if (!err)
		err = iommufd_viommu_alloc_err(ctx->fd, ids[K_DEVICE],
					       ids[K_PARENT],
					       IOMMU_VIOMMU_TYPE_SELFTEST,
					       &ids[K_VIOMMU]);
	return err;
}

/* Close everything a cell opened: the context and the descriptors it got */
static void ctx_close(int fd_floor)
{
	int fd;

	for (fd = fd_floor; fd < fd_floor + 64; fd++)
		close(fd);
}

/* ---- objects that setups add ------------------------------------------ */

static int add_nested_err(struct bad_ctx *ctx)
{
	return iommufd_nested_flags_err(ctx->fd, ctx->ids[K_DEVICE],
					ctx->ids[K_PARENT], 0, 0,
					&ctx->ids[K_NESTED]);
}

static int add_dirty_err(struct bad_ctx *ctx)
{
	return iommufd_hwpt_alloc_err(ctx->fd, ctx->ids[K_DEVICE],
				      ctx->ids[K_IOAS],
				      IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				      &ctx->ids[K_DIRTY]);
}

static int add_fault_err(struct bad_ctx *ctx)
{
	int fault_fd;

	return iommufd_fault_queue_err(ctx->fd, &ctx->ids[K_FAULT], &fault_fd);
}

/* Four pages of buf at the start of the mock aperture */
static int add_mapping_err(struct bad_ctx *ctx)
{
	return iommufd_ioas_map_fixed_err(ctx->fd, ctx->ids[K_IOAS], buf,
					  4 * PAGE_SIZE, APERTURE_IOVA);
}

static int add_access_err(struct bad_ctx *ctx, __u32 flags)
{
	return iommufd_create_access_err(ctx->fd, ctx->ids[K_IOAS], flags,
					 &ctx->access_fd);
}

/*
 * An ID of @kind that existed and was destroyed.  Made last, just before
 * the call, since the next object of the context would get it again.
 */
static int dead_id_err(struct bad_ctx *ctx, enum obj_kind kind, __u32 *id)
{
	__u32 *ids = ctx->ids, stdev_id;
	int err;

	switch (kind) {
	case K_DEVICE:
		err = iommufd_mock_domain_err(ctx->fd, ids[K_IOAS], &stdev_id,
					      NULL, id);
		if (!err)
			err = iommufd_destroy_err(ctx->fd, stdev_id);
		return err;
	case K_STDEV:
		err = iommufd_mock_domain_err(ctx->fd, ids[K_IOAS], id, NULL,
					      NULL);
		break;
	case K_HWPT:
	case K_DIRTY:
		err = iommufd_hwpt_alloc_err(ctx->fd, ids[K_DEVICE],
					     ids[K_IOAS], 0, id);
		break;
	case K_PARENT:
		err = iommufd_hwpt_alloc_err(ctx->fd, ids[K_DEVICE],
					     ids[K_IOAS],
					     IOMMU_HWPT_ALLOC_NEST_PARENT, id);
		break;
	case K_NESTED:
		err = iommufd_nested_flags_err(ctx->fd, ids[K_DEVICE],
					       ids[K_PARENT], 0, 0, id);
		break;
	case K_VIOMMU:
		err = iommufd_viommu_alloc_err(ctx->fd, ids[K_DEVICE],
					       ids[K_PARENT],
					       IOMMU_VIOMMU_TYPE_SELFTEST, id);
		break;
	default:
		err = iommufd_ioas_alloc_err(ctx->fd, id);
		break;
	}
	if (!err)
		err = iommufd_destroy_err(ctx->fd, *id);
	return err;
}

/* ---- setups: each builds a valid argument of its row --------------------- */

static int setup_destroy(struct bad_ctx *ctx, void *arg)
{
	struct iommu_destroy *cmd = arg;

	cmd->size = sizeof(*cmd);
	return iommufd_ioas_alloc_err(ctx->fd, &cmd->id);
}

static int setup_ioas_alloc(struct bad_ctx *ctx, void *arg)
{
	struct iommu_ioas_alloc *cmd = arg;

	cmd->size = sizeof(*cmd);
	return 0;
}

static int setup_iova_ranges(struct bad_ctx *ctx, void *arg)
{
	struct iommu_ioas_iova_ranges *cmd = arg;

	cmd->size = sizeof(*cmd);
	cmd->ioas_id = ctx->ids[K_IOAS];
	cmd->num_iovas = 4;
	cmd->allowed_iovas = uptr(buf);
	return 0;
}

static struct iommu_iova_range allowed_range = {
	.start = APERTURE_IOVA,
	.last = APERTURE_IOVA + BUF_SIZE - 1,
};

static int setup_allow_iovas(struct bad_ctx *ctx, void *arg)
{
	struct iommu_ioas_allow_iovas *cmd = arg;

	cmd->size = sizeof(*cmd);
	cmd->ioas_id = ctx->ids[K_IOAS];
	cmd->num_iovas = 1;
	cmd->allowed_iovas = uptr(&allowed_range);
	return 0;
}

static int setup_map(struct bad_ctx *ctx, void *arg)
{
	struct iommu_ioas_map *cmd = arg;

	cmd->size = sizeof(*cmd);
	cmd->flags = FIXED;
	cmd->ioas_id = ctx->ids[K_IOAS];
	cmd->user_va = uptr(buf);
	cmd->length = 4 * PAGE_SIZE;
	cmd->iova = APERTURE_IOVA;
	return 0;
}

static int setup_map_file(struct bad_ctx *ctx, void *arg)
{
	struct iommu_ioas_map_file *cmd = arg;

	ctx->memfd = iommufd_memfd(BUF_SIZE, 0);
	if (ctx->memfd < 0)
		return errno;
	cmd->size = sizeof(*cmd);
	cmd->flags = FIXED;
	cmd->ioas_id = ctx->ids[K_IOAS];
	cmd->fd = ctx->memfd;
	cmd->start = 0;
	cmd->length = 4 * PAGE_SIZE;
	cmd->iova = APERTURE_IOVA;
	return 0;
}

static int setup_copy(struct bad_ctx *ctx, void *arg)
{
	struct iommu_ioas_copy *cmd = arg;
	int err = iommufd_ioas_alloc_err(ctx->fd, &ctx->ioas2_id);

	if (!err)
		err = iommufd_ioas_map_fixed_err(ctx->fd, ctx->ioas2_id, buf,
						 4 * PAGE_SIZE, APERTURE_IOVA);
	/* Into the IOAS with domains, where the IOVA alignment matters */
	cmd->size = sizeof(*cmd);
	cmd->flags = FIXED;
	cmd->dst_ioas_id = ctx->ids[K_IOAS];
	cmd->src_ioas_id = ctx->ioas2_id;
	cmd->length = 4 * PAGE_SIZE;
	cmd->dst_iova = APERTURE_IOVA;
	cmd->src_iova = APERTURE_IOVA;
	return err;
}

static int setup_unmap(struct bad_ctx *ctx, void *arg)
{
	struct iommu_ioas_unmap *cmd = arg;

	cmd->size = sizeof(*cmd);
	cmd->ioas_id = ctx->ids[K_IOAS];
	cmd->iova = APERTURE_IOVA;
	cmd->length = 4 * PAGE_SIZE;
	return add_mapping_err(ctx);
}

static int setup_option(struct bad_ctx *ctx, void *arg)
{
	struct iommu_option *cmd = arg;

	cmd->size = sizeof(*cmd);
	cmd->option_id = IOMMU_OPTION_HUGE_PAGES;
	cmd->op = IOMMU_OPTION_OP_GET;
	cmd->object_id = ctx->ids[K_IOAS];
	return 0;
}

static int setup_vfio_ioas(struct bad_ctx *ctx, void *arg)
{
	struct iommu_vfio_ioas *cmd = arg;

	cmd->size = sizeof(*cmd);
	cmd->ioas_id = ctx->ids[K_IOAS];
	cmd->op = IOMMU_VFIO_IOAS_SET;
	return 0;
}

static int setup_hwpt_alloc(struct bad_ctx *ctx, void *arg)
{
	struct iommu_hwpt_alloc *cmd = arg;

	cmd->size = sizeof(*cmd);
	cmd->dev_id = ctx->ids[K_DEVICE];
	cmd->pt_id = ctx->ids[K_IOAS];
	return 0;
}

static struct iommu_hwpt_selftest nested_data = {
	.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
};

static int setup_hwpt_alloc_nested(struct bad_ctx *ctx, void *arg)
{
	struct iommu_hwpt_alloc *cmd = arg;

	cmd->size = sizeof(*cmd);
	cmd->dev_id = ctx->ids[K_DEVICE];
	cmd->pt_id = ctx->ids[K_PARENT];
	cmd->data_type = IOMMU_HWPT_DATA_SELFTEST;
	cmd->data_len = sizeof(nested_data);
	cmd->data_uptr = uptr(&nested_data);
	return 0;
}

static int setup_hw_info(struct bad_ctx *ctx, void *arg)
{
	struct iommu_hw_info *cmd = arg;

	cmd->size = sizeof(*cmd);
	cmd->dev_id = ctx->ids[K_DEVICE];
	cmd->data_len = sizeof(struct iommu_test_hw_info);
	cmd->data_uptr = uptr(buf);
	return 0;
}

static int setup_set_dirty(struct bad_ctx *ctx, void *arg)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = arg;

	int err = add_dirty_err(ctx);

	cmd->size = sizeof(*cmd);
	cmd->flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	cmd->hwpt_id = ctx->ids[K_DIRTY];
	return err;
}

static int setup_get_dirty(struct bad_ctx *ctx, void *arg)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = arg;
	int err = add_dirty_err(ctx);

	if (!err)
		err = iommufd_set_dirty_tracking_err(ctx->fd,
						     ctx->ids[K_DIRTY], true);
	if (!err)
		err = add_mapping_err(ctx);
	cmd->size = sizeof(*cmd);
	cmd->hwpt_id = ctx->ids[K_DIRTY];
	cmd->iova = APERTURE_IOVA;
	cmd->length = 4 * PAGE_SIZE;
	cmd->page_size = PAGE_SIZE;
	cmd->data = uptr(buf);
	return err;
}

static struct iommu_hwpt_invalidate_selftest inv_entry;

static int setup_invalidate(struct bad_ctx *ctx, void *arg)
{
	struct iommu_hwpt_invalidate *cmd = arg;
	int err = add_nested_err(ctx);

	cmd->size = sizeof(*cmd);
	cmd->hwpt_id = ctx->ids[K_NESTED];
	cmd->data_uptr = uptr(&inv_entry);
	cmd->data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
	cmd->entry_len = sizeof(inv_entry);
	cmd->entry_num = 1;
	return err;
}

static int setup_fault_alloc(struct bad_ctx *ctx, void *arg)
{
	struct iommu_fault_alloc *cmd = arg;

	cmd->size = sizeof(*cmd);
	return 0;
}

static struct iommu_viommu_selftest viommu_data;

static int setup_viommu_alloc(struct bad_ctx *ctx, void *arg)
{
	struct iommu_viommu_alloc *cmd = arg;

	cmd->size = sizeof(*cmd);
	cmd->type = IOMMU_VIOMMU_TYPE_SELFTEST;
	cmd->dev_id = ctx->ids[K_DEVICE];
	cmd->hwpt_id = ctx->ids[K_PARENT];
	cmd->data_len = sizeof(viommu_data);
	cmd->data_uptr = uptr(&viommu_data);
	return 0;
}

static int setup_vdevice_alloc(struct bad_ctx *ctx, void *arg)
{
	struct iommu_vdevice_alloc *cmd = arg;

	cmd->size = sizeof(*cmd);
	cmd->viommu_id = ctx->ids[K_VIOMMU];
	cmd->dev_id = ctx->ids[K_DEVICE];
	cmd->virt_id = 0x10;
	return 0;
}

static int setup_change_process(struct bad_ctx *ctx, void *arg)
{
	struct iommu_ioas_change_process *cmd = arg;

	cmd->size = sizeof(*cmd);
	return 0;
}

static int setup_veventq_alloc(struct bad_ctx *ctx, void *arg)
{
	struct iommu_veventq_alloc *cmd = arg;

	cmd->size = sizeof(*cmd);
	cmd->viommu_id = ctx->ids[K_VIOMMU];
	cmd->type = IOMMU_VEVENTQ_TYPE_SELFTEST;
	cmd->veventq_depth = 2;
	return 0;
}

static int setup_hw_queue_alloc(struct bad_ctx *ctx, void *arg)
{
	struct iommu_hw_queue_alloc *cmd = arg;

	cmd->size = sizeof(*cmd);
	cmd->viommu_id = ctx->ids[K_VIOMMU];
	cmd->type = IOMMU_HW_QUEUE_TYPE_SELFTEST;
	cmd->index = 0;
	cmd->nesting_parent_iova = APERTURE_IOVA;
	cmd->length = PAGE_SIZE;
	/* The unaligned queue spans both pages, so it gets EFAULT every time */
	return iommufd_ioas_map_fixed_err(ctx->fd, ctx->ids[K_IOAS],
					  one_page_twice, 2 * PAGE_SIZE,
					  APERTURE_IOVA);
}

/* ---- setups of the IOMMU_TEST_CMD ops ------------------------------------ */

static struct iommu_test_cmd *test_cmd(void *arg, __u32 op, __u32 id)
{
	struct iommu_test_cmd *cmd = arg;

	cmd->size = sizeof(*cmd);
	cmd->op = op;
	cmd->id = id;
	return cmd;
}

static int setup_t_add_reserved(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd = test_cmd(arg, IOMMU_TEST_OP_ADD_RESERVED,
					      ctx->ids[K_IOAS]);

	cmd->add_reserved.start = APERTURE_IOVA + BUF_SIZE;
	cmd->add_reserved.length = PAGE_SIZE;
	return 0;
}

static int setup_t_mock_domain(struct bad_ctx *ctx, void *arg)
{
	test_cmd(arg, IOMMU_TEST_OP_MOCK_DOMAIN, ctx->ids[K_IOAS]);
	return 0;
}

static int setup_t_mock_domain_flags(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd =
		test_cmd(arg, IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
			 ctx->ids[K_IOAS]);

	cmd->mock_domain_flags.dev_flags = MOCK_FLAGS_DEVICE_PASID;
	return 0;
}

static int setup_t_mock_domain_in_group(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd =
		test_cmd(arg, IOMMU_TEST_OP_MOCK_DOMAIN_IN_GROUP,
			 ctx->ids[K_IOAS]);

	cmd->mock_domain_in_group.group_peer_id = ctx->ids[K_STDEV];
	return 0;
}

static int setup_t_check_map(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd = test_cmd(arg, IOMMU_TEST_OP_MD_CHECK_MAP,
					      ctx->ids[K_HWPT]);

	cmd->check_map.iova = APERTURE_IOVA;
	cmd->check_map.length = 4 * PAGE_SIZE;
	cmd->check_map.uptr = uptr(buf);
	return add_mapping_err(ctx);
}

static int setup_t_check_refs(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd = test_cmd(arg, IOMMU_TEST_OP_MD_CHECK_REFS,
					      0);

	cmd->check_refs.length = 4 * PAGE_SIZE;
	cmd->check_refs.uptr = uptr(buf);
	cmd->check_refs.refs = 1;
	return add_mapping_err(ctx);
}

static int setup_t_check_iotlb(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd =
		test_cmd(arg, IOMMU_TEST_OP_MD_CHECK_IOTLB, 0);
	int err = add_nested_err(ctx);

	cmd->id = ctx->ids[K_NESTED];
	cmd->check_iotlb.id = 0;
	cmd->check_iotlb.iotlb = IOMMU_TEST_IOTLB_DEFAULT;
	return err;
}

static int setup_t_create_access(struct bad_ctx *ctx, void *arg)
{
	test_cmd(arg, IOMMU_TEST_OP_CREATE_ACCESS, ctx->ids[K_IOAS]);
	return 0;
}

static int setup_t_access_replace(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd;
	int err = add_access_err(ctx, 0);

	if (!err)
		err = iommufd_ioas_alloc_err(ctx->fd, &ctx->ioas2_id);
	cmd = test_cmd(arg, IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, ctx->access_fd);
	cmd->access_replace_ioas.ioas_id = ctx->ioas2_id;
	return err;
}

static int setup_t_access_pages(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd;
	int err = add_mapping_err(ctx);

	if (!err)
		err = add_access_err(ctx,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	cmd = test_cmd(arg, IOMMU_TEST_OP_ACCESS_PAGES, ctx->access_fd);
	cmd->access_pages.iova = APERTURE_IOVA;
	/* Half the mapping, so that a shifted range is still mapped */
	cmd->access_pages.length = 2 * PAGE_SIZE;
	cmd->access_pages.uptr = uptr(buf);
	return err;
}

static int setup_t_destroy_access_pages(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd;
	int err = add_mapping_err(ctx);

	if (!err)
		err = add_access_err(ctx,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	cmd = test_cmd(arg, IOMMU_TEST_OP_ACCESS_PAGES, ctx->access_fd);
	cmd->access_pages.iova = APERTURE_IOVA;
	cmd->access_pages.length = PAGE_SIZE;
	cmd->access_pages.uptr = uptr(buf);
	if (!err)
		err = iommufd_test_cmd_err(ctx->fd, cmd);
	if (!err) {
		__u32 pages_id = cmd->access_pages.out_access_pages_id;

		memset(cmd, 0, sizeof(*cmd));
		cmd = test_cmd(arg, IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
			       ctx->access_fd);
		cmd->destroy_access_pages.access_pages_id = pages_id;
	}
	return err;
}

static int setup_t_access_rw(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd;
	int err = add_mapping_err(ctx);

	if (!err)
		err = add_access_err(ctx, 0);
	cmd = test_cmd(arg, IOMMU_TEST_OP_ACCESS_RW, ctx->access_fd);
	cmd->access_rw.iova = APERTURE_IOVA;
	cmd->access_rw.length = 64;
	cmd->access_rw.uptr = uptr((char *)buf + BUF_SIZE - PAGE_SIZE);
	return err;
}

static int setup_t_memory_limit(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd =
		test_cmd(arg, IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, 0);

	cmd->memory_limit.limit = IOMMUFD_TEST_DEFAULT_MEMORY_LIMIT;
	return 0;
}

static int setup_t_domain_replace(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd =
		test_cmd(arg, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
			 ctx->ids[K_STDEV]);
	int err = add_dirty_err(ctx);

	cmd->mock_domain_replace.pt_id = ctx->ids[K_DIRTY];
	return err;
}

static int setup_t_dirty(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd;
	int err = add_dirty_err(ctx);

	if (!err)
		err = iommufd_set_dirty_tracking_err(ctx->fd,
						     ctx->ids[K_DIRTY], true);
	if (!err)
		err = add_mapping_err(ctx);
	cmd = test_cmd(arg, IOMMU_TEST_OP_DIRTY, ctx->ids[K_DIRTY]);
	cmd->dirty.iova = APERTURE_IOVA;
	cmd->dirty.length = 4 * PAGE_SIZE;
	cmd->dirty.page_size = PAGE_SIZE;
	cmd->dirty.uptr = uptr((char *)buf + BUF_SIZE - PAGE_SIZE);
	return err;
}

/* The mock device moved onto a nested HWPT that reports to a fault queue */
static int setup_t_trigger_iopf(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd;
	__u32 nested_id;
	int err = add_fault_err(ctx);

	if (!err)
		err = iommufd_nested_flags_err(ctx->fd, ctx->ids[K_DEVICE],
					       ctx->ids[K_PARENT], 0,
					       ctx->ids[K_FAULT], &nested_id);
	if (!err)
		err = iommufd_mock_domain_replace_err(ctx->fd,
						      ctx->ids[K_STDEV],
						      &nested_id);
	cmd = test_cmd(arg, IOMMU_TEST_OP_TRIGGER_IOPF, 0);
	cmd->trigger_iopf.dev_id = ctx->ids[K_DEVICE];
	cmd->trigger_iopf.perm = IOMMU_PGFAULT_PERM_READ;
	cmd->trigger_iopf.addr = 0x40000000;
	return err;
}

static int setup_t_dev_check_cache(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd =
		test_cmd(arg, IOMMU_TEST_OP_DEV_CHECK_CACHE, ctx->ids[K_DEVICE]);

	cmd->check_dev_cache.id = 0;
	cmd->check_dev_cache.cache = IOMMU_TEST_DEV_CACHE_DEFAULT;
	return 0;
}

static int setup_t_trigger_vevent(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd;
	__u32 veventq_id;
	int veventq_fd;
	int err = iommufd_viommu_attach_err(ctx->fd, ctx->ids[K_VIOMMU],
					    ctx->ids[K_STDEV],
					    ctx->ids[K_DEVICE], 0x10, NULL,
					    NULL);

	if (!err)
		err = iommufd_veventq_alloc_err(ctx->fd, ctx->ids[K_VIOMMU],
						IOMMU_VEVENTQ_TYPE_SELFTEST, 2,
						&veventq_id, &veventq_fd);
	cmd = test_cmd(arg, IOMMU_TEST_OP_TRIGGER_VEVENT, 0);
	cmd->trigger_vevent.dev_id = ctx->ids[K_DEVICE];
	return err;
}

/*
 * A PASID-capable mock device on the IOAS, its RID moved onto a HWPT made
 * for PASIDs (the rule for PASIDs beside it), and another such HWPT for a
 * PASID; the device replaces the fixture's one as K_STDEV and K_DEVICE
 */
static int add_pasid_device_err(struct bad_ctx *ctx, __u32 *hwpt_id)
{
	__u32 *ids = ctx->ids, rid_hwpt_id;
	int err;

	err = iommufd_mock_domain_flags_err(ctx->fd, ids[K_IOAS],
					    MOCK_FLAGS_DEVICE_PASID,
					    &ids[K_STDEV], NULL, &ids[K_DEVICE]);
	if (!err)
		err = iommufd_hwpt_alloc_err(ctx->fd, ids[K_DEVICE],
					     ids[K_IOAS],
					     IOMMU_HWPT_ALLOC_PASID,
					     &rid_hwpt_id);
	if (!err)
		err = iommufd_mock_domain_replace_err(ctx->fd, ids[K_STDEV],
						      &rid_hwpt_id);
	if (!err)
		err = iommufd_hwpt_alloc_err(ctx->fd, ids[K_DEVICE],
					     ids[K_IOAS],
					     IOMMU_HWPT_ALLOC_PASID, hwpt_id);
	return err;
}

static int setup_t_pasid_attach(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd;
	__u32 hwpt_id;
	int err = add_pasid_device_err(ctx, &hwpt_id);

	cmd = test_cmd(arg, IOMMU_TEST_OP_PASID_ATTACH, ctx->ids[K_STDEV]);
	cmd->pasid_attach.pasid = 1;
	cmd->pasid_attach.pt_id = hwpt_id;
	return err;
}

static int setup_t_pasid_replace(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd;
	__u32 hwpt_id, hwpt2_id = 0, attached_id;
	int err = add_pasid_device_err(ctx, &hwpt_id);

	attached_id = hwpt_id;

	if (!err)
		err = iommufd_hwpt_alloc_err(ctx->fd, ctx->ids[K_DEVICE],
					     ctx->ids[K_IOAS],
					     IOMMU_HWPT_ALLOC_PASID, &hwpt2_id);
	if (!err)
		err = iommufd_pasid_attach_err(ctx->fd, ctx->ids[K_STDEV], 1,
					       &attached_id);
	cmd = test_cmd(arg, IOMMU_TEST_OP_PASID_REPLACE, ctx->ids[K_STDEV]);
	cmd->pasid_replace.pasid = 1;
	cmd->pasid_replace.pt_id = hwpt2_id;
	return err;
}

static int setup_t_pasid_detach(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd;
	__u32 hwpt_id, attached_id;
	int err = add_pasid_device_err(ctx, &hwpt_id);

	attached_id = hwpt_id;
	if (!err)
		err = iommufd_pasid_attach_err(ctx->fd, ctx->ids[K_STDEV], 1,
					       &attached_id);
	cmd = test_cmd(arg, IOMMU_TEST_OP_PASID_DETACH, ctx->ids[K_STDEV]);
	cmd->pasid_detach.pasid = 1;
	return err;
}

static int setup_t_pasid_check(struct bad_ctx *ctx, void *arg)
{
	struct iommu_test_cmd *cmd;
	__u32 hwpt_id, attached_id;
	int err = add_pasid_device_err(ctx, &hwpt_id);

	attached_id = hwpt_id;
	if (!err)
		err = iommufd_pasid_attach_err(ctx->fd, ctx->ids[K_STDEV], 1,
					       &attached_id);
	cmd = test_cmd(arg, IOMMU_TEST_OP_PASID_CHECK_HWPT, ctx->ids[K_STDEV]);
	cmd->pasid_check.pasid = 1;
	cmd->pasid_check.hwpt_id = hwpt_id;
	return err;
}

/* ---- the table ------------------------------------------------------------ */

/* What every row shares: the dispatcher's size rules and a NULL argument */
#define SIZE_RULES \
	[C_VALID] = OK, [C_SIZE_SHORT] = EINVAL, [C_SIZE_JUNK] = E2BIG, \
	[C_SIZE_ZERO] = OK, [C_ARG_NULL] = EFAULT

#define ROW(_name, _request, _type, _last) \
	.name = _name, .request = _request, .size = sizeof(_type), \
	.min_size = offsetofend(_type, _last)

/* An unknown flag bit, a non-zero reserved field */
#define FLAGS(_type, _known) \
	.flags = FIELD(_type, flags), .known_flags = _known

#define ID(_type, _member, _kind, _wrong) \
	.id = FIELD(_type, _member), .id_kind = _kind, .wrong_kind = _wrong

/* The ID classes where every bad ID is ENOENT */
#define ID_ENOENT \
	[C_ID_ZERO] = ENOENT, [C_ID_UNKNOWN] = ENOENT, \
	[C_ID_DESTROYED] = ENOENT, [C_ID_WRONG_TYPE] = ENOENT

#define FLAGS_EOPNOTSUPP \
	[C_FLAG_LOW] = EOPNOTSUPP, [C_FLAG_MID] = EOPNOTSUPP, \
	[C_FLAG_HIGH] = EOPNOTSUPP

#define FLAGS_EINVAL \
	[C_FLAG_LOW] = EINVAL, [C_FLAG_MID] = EINVAL, [C_FLAG_HIGH] = EINVAL

#define TCMD(_name) ROW(_name, IOMMU_TEST_CMD, struct iommu_test_cmd, last)

#define TEST_ID(_kind, _wrong) ID(struct iommu_test_cmd, id, _kind, _wrong)
/* Upstream's test command ignores __reserved; ours refuses it */
#define TEST_RESERVED \
	.reserved = { FIELD(struct iommu_test_cmd, __reserved) }, \
	.ours[C_RESERVED] = EOPNOTSUPP

static struct bad_row rows[] = {
	{
		ROW("DESTROY", IOMMU_DESTROY, struct iommu_destroy, id),
		ID(struct iommu_destroy, id, K_IOAS, K_NONE),
		.setup = setup_destroy,
		.expect = { SIZE_RULES, [C_ID_ZERO] = ENOENT,
			    [C_ID_UNKNOWN] = ENOENT,
			    [C_ID_DESTROYED] = ENOENT },
	},
	{
		ROW("IOAS_ALLOC", IOMMU_IOAS_ALLOC, struct iommu_ioas_alloc,
		    out_ioas_id),
		FLAGS(struct iommu_ioas_alloc, 0),
		.writes_arg = true,
		.setup = setup_ioas_alloc,
		.expect = { SIZE_RULES, FLAGS_EOPNOTSUPP,
			    [C_RO_ARG] = EFAULT },
	},
	{
		ROW("IOAS_IOVA_RANGES", IOMMU_IOAS_IOVA_RANGES,
		    struct iommu_ioas_iova_ranges, out_iova_alignment),
		.reserved = { FIELD(struct iommu_ioas_iova_ranges,
				    __reserved) },
		ID(struct iommu_ioas_iova_ranges, ioas_id, K_IOAS, K_HWPT),
		.uptr = FIELD(struct iommu_ioas_iova_ranges, allowed_iovas),
		.out_uptr = FIELD(struct iommu_ioas_iova_ranges,
				  allowed_iovas),
		.writes_arg = true,
		.setup = setup_iova_ranges,
		.expect = { SIZE_RULES, [C_RESERVED] = EOPNOTSUPP, ID_ENOENT,
			    [C_PTR_NULL] = EFAULT, [C_PTR_UNMAPPED] = EFAULT,
			    [C_RO_ARG] = EFAULT, [C_RO_DATA] = EFAULT },
	},
	{
		ROW("IOAS_ALLOW_IOVAS", IOMMU_IOAS_ALLOW_IOVAS,
		    struct iommu_ioas_allow_iovas, allowed_iovas),
		.reserved = { FIELD(struct iommu_ioas_allow_iovas,
				    __reserved) },
		ID(struct iommu_ioas_allow_iovas, ioas_id, K_IOAS, K_HWPT),
		.uptr = FIELD(struct iommu_ioas_allow_iovas, allowed_iovas),
		.setup = setup_allow_iovas,
		.expect = { SIZE_RULES, [C_RESERVED] = EOPNOTSUPP, ID_ENOENT,
			    [C_PTR_NULL] = EFAULT, [C_PTR_UNMAPPED] = EFAULT },
	},
	{
		ROW("IOAS_MAP", IOMMU_IOAS_MAP, struct iommu_ioas_map, iova),
		FLAGS(struct iommu_ioas_map, 0x7),
		.reserved = { FIELD(struct iommu_ioas_map, __reserved) },
		ID(struct iommu_ioas_map, ioas_id, K_IOAS, K_HWPT),
		.iova = FIELD(struct iommu_ioas_map, iova),
		.length = FIELD(struct iommu_ioas_map, length),
		.unaligned = FIELD(struct iommu_ioas_map, iova),
		.uptr = FIELD(struct iommu_ioas_map, user_va),
		.out_uptr = FIELD(struct iommu_ioas_map, user_va),
		.writes_arg = true,
		.setup = setup_map,
		.expect = { SIZE_RULES, FLAGS_EOPNOTSUPP,
			    [C_RESERVED] = EOPNOTSUPP, ID_ENOENT,
			    [C_RANGE_WRAP] = EOVERFLOW,
			    [C_RANGE_EMPTY] = EINVAL,
			    [C_RANGE_HUGE] = EINVAL,
			    [C_UNALIGNED] = EINVAL, [C_PTR_NULL] = EFAULT,
			    [C_PTR_UNMAPPED] = EFAULT, [C_RO_ARG] = EFAULT,
			    [C_RO_DATA] = EFAULT },
	},
	{
		ROW("IOAS_MAP_FILE", IOMMU_IOAS_MAP_FILE,
		    struct iommu_ioas_map_file, iova),
		FLAGS(struct iommu_ioas_map_file, 0x7),
		ID(struct iommu_ioas_map_file, ioas_id, K_IOAS, K_HWPT),
		.iova = FIELD(struct iommu_ioas_map_file, iova),
		.length = FIELD(struct iommu_ioas_map_file, length),
		.unaligned = FIELD(struct iommu_ioas_map_file, iova),
		.writes_arg = true,
		.setup = setup_map_file,
		.expect = { SIZE_RULES, FLAGS_EOPNOTSUPP, ID_ENOENT,
			    [C_RANGE_WRAP] = EOVERFLOW,
			    [C_RANGE_EMPTY] = EINVAL,
			    [C_RANGE_HUGE] = EINVAL,
			    [C_UNALIGNED] = EINVAL, [C_RO_ARG] = EFAULT },
	},
	{
		ROW("IOAS_COPY", IOMMU_IOAS_COPY, struct iommu_ioas_copy,
		    src_iova),
		FLAGS(struct iommu_ioas_copy, 0x7),
		ID(struct iommu_ioas_copy, dst_ioas_id, K_IOAS, K_HWPT),
		.iova = FIELD(struct iommu_ioas_copy, src_iova),
		.length = FIELD(struct iommu_ioas_copy, length),
		.unaligned = FIELD(struct iommu_ioas_copy, dst_iova),
		.writes_arg = true,
		.setup = setup_copy,
		.expect = { SIZE_RULES, FLAGS_EOPNOTSUPP, ID_ENOENT,
			    [C_RANGE_WRAP] = EOVERFLOW,
			    [C_RANGE_EMPTY] = EINVAL,
			    [C_RANGE_HUGE] = ENOENT,
			    [C_UNALIGNED] = EINVAL, [C_RO_ARG] = EFAULT },
	},
	{
		ROW("IOAS_COPY[src_ioas_id]", IOMMU_IOAS_COPY,
		    struct iommu_ioas_copy, src_iova),
		ID(struct iommu_ioas_copy, src_ioas_id, K_IOAS, K_HWPT),
		.setup = setup_copy,
		.expect = { [C_VALID] = OK, ID_ENOENT },
	},
	{
		ROW("IOAS_UNMAP", IOMMU_IOAS_UNMAP, struct iommu_ioas_unmap,
		    length),
		ID(struct iommu_ioas_unmap, ioas_id, K_IOAS, K_HWPT),
		.iova = FIELD(struct iommu_ioas_unmap, iova),
		.length = FIELD(struct iommu_ioas_unmap, length),
		.unaligned = FIELD(struct iommu_ioas_unmap, iova),
		.writes_arg = true,
		.ro_arg_done = true,
		.setup = setup_unmap,
		.expect = { SIZE_RULES, ID_ENOENT,
			    [C_RANGE_WRAP] = EOVERFLOW,
			    [C_RANGE_EMPTY] = EINVAL,
			    [C_RANGE_HUGE] = OK,
			    [C_UNALIGNED] = ENOENT, [C_RO_ARG] = EFAULT },
	},
	{
		ROW("OPTION", IOMMU_OPTION, struct iommu_option, val64),
		.reserved = { FIELD(struct iommu_option, __reserved) },
		ID(struct iommu_option, object_id, K_IOAS, K_HWPT),
		.writes_arg = true,
		.setup = setup_option,
		.expect = { SIZE_RULES, [C_RESERVED] = EOPNOTSUPP, ID_ENOENT,
			    [C_RO_ARG] = EFAULT },
	},
	{
		ROW("VFIO_IOAS", IOMMU_VFIO_IOAS, struct iommu_vfio_ioas,
		    __reserved),
		.reserved = { FIELD(struct iommu_vfio_ioas, __reserved) },
		ID(struct iommu_vfio_ioas, ioas_id, K_IOAS, K_HWPT),
		.setup = setup_vfio_ioas,
		.expect = { SIZE_RULES, [C_RESERVED] = EOPNOTSUPP, ID_ENOENT },
	},
	{
		ROW("HWPT_ALLOC", IOMMU_HWPT_ALLOC, struct iommu_hwpt_alloc,
		    __reserved),
		FLAGS(struct iommu_hwpt_alloc, 0xf),
		.reserved = { FIELD(struct iommu_hwpt_alloc, __reserved) },
		ID(struct iommu_hwpt_alloc, dev_id, K_DEVICE, K_IOAS),
		.writes_arg = true,
		.setup = setup_hwpt_alloc,
		.expect = { SIZE_RULES, FLAGS_EOPNOTSUPP,
			    [C_RESERVED] = EOPNOTSUPP, ID_ENOENT,
			    [C_RO_ARG] = EFAULT },
	},
	{
		/* Upstream does not look at __reserved2; ours refuses it */
		ROW("HWPT_ALLOC[__reserved2]", IOMMU_HWPT_ALLOC,
		    struct iommu_hwpt_alloc, __reserved),
		.reserved = { FIELD(struct iommu_hwpt_alloc, __reserved2) },
		.setup = setup_hwpt_alloc,
		.expect = { [C_VALID] = OK, [C_RESERVED] = OK },
		.ours[C_RESERVED] = EOPNOTSUPP,
	},
	{
		ROW("HWPT_ALLOC[pt_id]", IOMMU_HWPT_ALLOC,
		    struct iommu_hwpt_alloc, __reserved),
		ID(struct iommu_hwpt_alloc, pt_id, K_IOAS, K_DEVICE),
		.setup = setup_hwpt_alloc,
		.expect = { [C_VALID] = OK, [C_ID_ZERO] = EINVAL,
			    [C_ID_UNKNOWN] = EINVAL,
			    [C_ID_DESTROYED] = EINVAL,
			    [C_ID_WRONG_TYPE] = EINVAL },
	},
	{
		ROW("HWPT_ALLOC[nested]", IOMMU_HWPT_ALLOC,
		    struct iommu_hwpt_alloc, __reserved),
		ID(struct iommu_hwpt_alloc, pt_id, K_PARENT, K_HWPT),
		.uptr = FIELD(struct iommu_hwpt_alloc, data_uptr),
		.setup = setup_hwpt_alloc_nested,
		.expect = { [C_VALID] = OK, [C_ID_ZERO] = EINVAL,
			    [C_ID_UNKNOWN] = EINVAL,
			    [C_ID_DESTROYED] = EINVAL,
			    [C_ID_WRONG_TYPE] = EINVAL,
			    [C_PTR_NULL] = EFAULT, [C_PTR_UNMAPPED] = EFAULT },
	},
	{
		ROW("GET_HW_INFO", IOMMU_GET_HW_INFO, struct iommu_hw_info,
		    __reserved),
		FLAGS(struct iommu_hw_info, IOMMU_HW_INFO_FLAG_INPUT_TYPE),
		.reserved = { { offsetof(struct iommu_hw_info, __reserved), 1 },
			      { offsetof(struct iommu_hw_info, __reserved) + 2,
				1 } },
		ID(struct iommu_hw_info, dev_id, K_DEVICE, K_IOAS),
		.uptr = FIELD(struct iommu_hw_info, data_uptr),
		.out_uptr = FIELD(struct iommu_hw_info, data_uptr),
		.writes_arg = true,
		.setup = setup_hw_info,
		.expect = { SIZE_RULES, FLAGS_EOPNOTSUPP,
			    [C_RESERVED] = EOPNOTSUPP, ID_ENOENT,
			    [C_PTR_NULL] = EFAULT, [C_PTR_UNMAPPED] = EFAULT,
			    [C_RO_ARG] = EFAULT, [C_RO_DATA] = EFAULT },
	},
	{
		ROW("HWPT_SET_DIRTY_TRACKING", IOMMU_HWPT_SET_DIRTY_TRACKING,
		    struct iommu_hwpt_set_dirty_tracking, __reserved),
		FLAGS(struct iommu_hwpt_set_dirty_tracking,
		      IOMMU_HWPT_DIRTY_TRACKING_ENABLE),
		.reserved = { FIELD(struct iommu_hwpt_set_dirty_tracking,
				    __reserved) },
		ID(struct iommu_hwpt_set_dirty_tracking, hwpt_id, K_DIRTY,
		   K_IOAS),
		.setup = setup_set_dirty,
		/* Upstream does not look at __reserved; ours refuses it */
		.expect = { SIZE_RULES, FLAGS_EOPNOTSUPP,
			    [C_RESERVED] = OK, ID_ENOENT },
		.ours[C_RESERVED] = EOPNOTSUPP,
	},
	{
		ROW("HWPT_GET_DIRTY_BITMAP", IOMMU_HWPT_GET_DIRTY_BITMAP,
		    struct iommu_hwpt_get_dirty_bitmap, data),
		FLAGS(struct iommu_hwpt_get_dirty_bitmap,
		      IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR),
		.reserved = { FIELD(struct iommu_hwpt_get_dirty_bitmap,
				    __reserved) },
		ID(struct iommu_hwpt_get_dirty_bitmap, hwpt_id, K_DIRTY,
		   K_IOAS),
		.iova = FIELD(struct iommu_hwpt_get_dirty_bitmap, iova),
		.length = FIELD(struct iommu_hwpt_get_dirty_bitmap, length),
		.unaligned = FIELD(struct iommu_hwpt_get_dirty_bitmap, iova),
		.uptr = FIELD(struct iommu_hwpt_get_dirty_bitmap, data),
		.out_uptr = FIELD(struct iommu_hwpt_get_dirty_bitmap, data),
		.setup = setup_get_dirty,
		.expect = { SIZE_RULES, FLAGS_EOPNOTSUPP,
			    [C_RESERVED] = EOPNOTSUPP, ID_ENOENT,
			    [C_RANGE_WRAP] = EOVERFLOW,
			    [C_RANGE_EMPTY] = EINVAL,
			    [C_RANGE_HUGE] = EINVAL,
			    [C_UNALIGNED] = EINVAL, [C_PTR_NULL] = EFAULT,
			    [C_PTR_UNMAPPED] = EFAULT, [C_RO_DATA] = EFAULT },
	},
	{
		ROW("HWPT_INVALIDATE", IOMMU_HWPT_INVALIDATE,
		    struct iommu_hwpt_invalidate, __reserved),
		.reserved = { FIELD(struct iommu_hwpt_invalidate,
				    __reserved) },
		ID(struct iommu_hwpt_invalidate, hwpt_id, K_NESTED, K_IOAS),
		.uptr = FIELD(struct iommu_hwpt_invalidate, data_uptr),
		.writes_arg = true,
		.setup = setup_invalidate,
		.expect = { SIZE_RULES, [C_RESERVED] = EOPNOTSUPP,
			    [C_ID_ZERO] = ENOENT, [C_ID_UNKNOWN] = ENOENT,
			    [C_ID_DESTROYED] = ENOENT,
			    [C_ID_WRONG_TYPE] = EINVAL,
			    [C_PTR_NULL] = EINVAL, [C_PTR_UNMAPPED] = EFAULT,
			    [C_RO_ARG] = EFAULT },
	},
	{
		ROW("FAULT_QUEUE_ALLOC", IOMMU_FAULT_QUEUE_ALLOC,
		    struct iommu_fault_alloc, out_fault_fd),
		FLAGS(struct iommu_fault_alloc, 0),
		.writes_arg = true,
		.setup = setup_fault_alloc,
		.expect = { SIZE_RULES, FLAGS_EOPNOTSUPP,
			    [C_RO_ARG] = EFAULT },
	},
	{
		ROW("VIOMMU_ALLOC", IOMMU_VIOMMU_ALLOC,
		    struct iommu_viommu_alloc, out_viommu_id),
		FLAGS(struct iommu_viommu_alloc, 0),
		.reserved = { FIELD(struct iommu_viommu_alloc, __reserved) },
		ID(struct iommu_viommu_alloc, dev_id, K_DEVICE, K_IOAS),
		.uptr = FIELD(struct iommu_viommu_alloc, data_uptr),
		.writes_arg = true,
		.setup = setup_viommu_alloc,
		/* Upstream does not look at __reserved; ours refuses it */
		.expect = { SIZE_RULES, FLAGS_EOPNOTSUPP,
			    [C_RESERVED] = OK, ID_ENOENT,
			    [C_PTR_NULL] = EFAULT, [C_PTR_UNMAPPED] = EFAULT,
			    [C_RO_ARG] = EFAULT },
		.ours[C_RESERVED] = EOPNOTSUPP,
	},
	{
		ROW("VIOMMU_ALLOC[hwpt_id]", IOMMU_VIOMMU_ALLOC,
		    struct iommu_viommu_alloc, out_viommu_id),
		ID(struct iommu_viommu_alloc, hwpt_id, K_PARENT, K_IOAS),
		.setup = setup_viommu_alloc,
		.expect = { [C_VALID] = OK, ID_ENOENT },
	},
	{
		ROW("VDEVICE_ALLOC", IOMMU_VDEVICE_ALLOC,
		    struct iommu_vdevice_alloc, virt_id),
		ID(struct iommu_vdevice_alloc, viommu_id, K_VIOMMU, K_HWPT),
		.writes_arg = true,
		.setup = setup_vdevice_alloc,
		.expect = { SIZE_RULES, ID_ENOENT, [C_RO_ARG] = EFAULT },
	},
	{
		ROW("VDEVICE_ALLOC[dev_id]", IOMMU_VDEVICE_ALLOC,
		    struct iommu_vdevice_alloc, virt_id),
		ID(struct iommu_vdevice_alloc, dev_id, K_DEVICE, K_IOAS),
		.setup = setup_vdevice_alloc,
		.expect = { [C_VALID] = OK, ID_ENOENT },
	},
	{
		ROW("IOAS_CHANGE_PROCESS", IOMMU_IOAS_CHANGE_PROCESS,
		    struct iommu_ioas_change_process, __reserved),
		.reserved = { FIELD(struct iommu_ioas_change_process,
				    __reserved) },
		.setup = setup_change_process,
		.expect = { SIZE_RULES, [C_RESERVED] = EOPNOTSUPP },
	},
	{
		ROW("VEVENTQ_ALLOC", IOMMU_VEVENTQ_ALLOC,
		    struct iommu_veventq_alloc, out_veventq_fd),
		FLAGS(struct iommu_veventq_alloc, 0),
		.reserved = { FIELD(struct iommu_veventq_alloc, __reserved) },
		ID(struct iommu_veventq_alloc, viommu_id, K_VIOMMU, K_HWPT),
		.length = FIELD(struct iommu_veventq_alloc, veventq_depth),
		.writes_arg = true,
		.setup = setup_veventq_alloc,
		.expect = { SIZE_RULES, FLAGS_EOPNOTSUPP,
			    [C_RESERVED] = EOPNOTSUPP, ID_ENOENT,
			    [C_RANGE_EMPTY] = EINVAL, [C_RANGE_HUGE] = OK,
			    [C_RO_ARG] = EFAULT },
	},
	{
		ROW("HW_QUEUE_ALLOC", IOMMU_HW_QUEUE_ALLOC,
		    struct iommu_hw_queue_alloc, length),
		FLAGS(struct iommu_hw_queue_alloc, 0),
		ID(struct iommu_hw_queue_alloc, viommu_id, K_VIOMMU, K_HWPT),
		.iova = FIELD(struct iommu_hw_queue_alloc,
			      nesting_parent_iova),
		.length = FIELD(struct iommu_hw_queue_alloc, length),
		.unaligned = FIELD(struct iommu_hw_queue_alloc,
				   nesting_parent_iova),
		.writes_arg = true,
		.setup = setup_hw_queue_alloc,
		.expect = { SIZE_RULES, FLAGS_EOPNOTSUPP, ID_ENOENT,
			    [C_RANGE_WRAP] = EOVERFLOW,
			    [C_RANGE_EMPTY] = EINVAL,
			    [C_RANGE_HUGE] = ENOMEM,
			    [C_UNALIGNED] = EFAULT, [C_RO_ARG] = EFAULT },
	},

	/* IOMMU_TEST_CMD: cmd->id names the object each op works on */
	{
		TCMD("T_ADD_RESERVED"),
		TEST_RESERVED, TEST_ID(K_IOAS, K_HWPT),
		.iova = FIELD(struct iommu_test_cmd, add_reserved.start),
		.length = FIELD(struct iommu_test_cmd, add_reserved.length),
		.setup = setup_t_add_reserved,
		.expect = { SIZE_RULES, [C_RESERVED] = OK, ID_ENOENT,
			    [C_RANGE_WRAP] = EOVERFLOW,
			    [C_RANGE_EMPTY] = EINVAL,
			    [C_RANGE_HUGE] = OK },
	},
	{
		TCMD("T_MOCK_DOMAIN"),
		TEST_RESERVED, TEST_ID(K_IOAS, K_DEVICE),
		.writes_arg = true,
		.setup = setup_t_mock_domain,
		.expect = { SIZE_RULES, [C_RESERVED] = OK,
			    [C_ID_ZERO] = ENOENT, [C_ID_UNKNOWN] = ENOENT,
			    [C_ID_DESTROYED] = ENOENT,
			    [C_ID_WRONG_TYPE] = EINVAL, [C_RO_ARG] = EFAULT },
	},
	{
		TCMD("T_MOCK_DOMAIN_FLAGS"),
		TEST_RESERVED, TEST_ID(K_IOAS, K_DEVICE),
		.flags = FIELD(struct iommu_test_cmd,
			       mock_domain_flags.dev_flags),
		.known_flags = MOCK_FLAGS_DEVICE_NO_DIRTY |
			       MOCK_FLAGS_DEVICE_HUGE_IOVA |
			       MOCK_FLAGS_DEVICE_PASID |
			       MOCK_FLAGS_DEVICE_SECOND_IOMMU |
			       MOCK_FLAGS_DEVICE_ENFORCE_CC,
		.writes_arg = true,
		.setup = setup_t_mock_domain_flags,
		.expect = { SIZE_RULES, FLAGS_EINVAL,
			    [C_RESERVED] = OK,
			    [C_ID_ZERO] = ENOENT, [C_ID_UNKNOWN] = ENOENT,
			    [C_ID_DESTROYED] = ENOENT,
			    [C_ID_WRONG_TYPE] = EINVAL, [C_RO_ARG] = EFAULT },
	},
	{
		TCMD("T_MOCK_DOMAIN_IN_GROUP"),
		TEST_RESERVED,
		ID(struct iommu_test_cmd, mock_domain_in_group.group_peer_id,
		   K_STDEV, K_IOAS),
		.writes_arg = true,
		.setup = setup_t_mock_domain_in_group,
		.expect = { SIZE_RULES, [C_RESERVED] = OK, ID_ENOENT,
			    [C_RO_ARG] = EFAULT },
	},
	{
		TCMD("T_MOCK_DOMAIN_REPLACE"),
		TEST_RESERVED, TEST_ID(K_STDEV, K_IOAS),
		.writes_arg = true,
		.ro_arg_done = true,
		.setup = setup_t_domain_replace,
		.expect = { SIZE_RULES, [C_RESERVED] = OK, ID_ENOENT,
			    [C_RO_ARG] = EFAULT },
	},
	{
		TCMD("T_MD_CHECK_MAP"),
		TEST_RESERVED, TEST_ID(K_HWPT, K_IOAS),
		.iova = FIELD(struct iommu_test_cmd, check_map.iova),
		.length = FIELD(struct iommu_test_cmd, check_map.length),
		.unaligned = FIELD(struct iommu_test_cmd, check_map.iova),
		.uptr = FIELD(struct iommu_test_cmd, check_map.uptr),
		.setup = setup_t_check_map,
		.expect = { SIZE_RULES, [C_RESERVED] = OK, ID_ENOENT,
			    [C_RANGE_WRAP] = EINVAL, [C_RANGE_EMPTY] = OK,
			    [C_RANGE_HUGE] = EINVAL, [C_UNALIGNED] = EINVAL,
			    [C_PTR_NULL] = EFAULT, [C_PTR_UNMAPPED] = EFAULT },
	},
	{
		TCMD("T_MD_CHECK_REFS"),
		TEST_RESERVED,
		.length = FIELD(struct iommu_test_cmd, check_refs.length),
		.uptr = FIELD(struct iommu_test_cmd, check_refs.uptr),
		.setup = setup_t_check_refs,
		.expect = { SIZE_RULES, [C_RESERVED] = OK,
			    [C_RANGE_EMPTY] = OK, [C_RANGE_HUGE] = EIO,
			    [C_PTR_NULL] = EFAULT, [C_PTR_UNMAPPED] = EFAULT },
	},
	{
		TCMD("T_MD_CHECK_IOTLB"),
		TEST_RESERVED, TEST_ID(K_NESTED, K_HWPT),
		.setup = setup_t_check_iotlb,
		.expect = { SIZE_RULES, [C_RESERVED] = OK,
			    ID_ENOENT },
	},
	{
		TCMD("T_CREATE_ACCESS"),
		TEST_RESERVED, TEST_ID(K_IOAS, K_HWPT),
		.flags = FIELD(struct iommu_test_cmd, create_access.flags),
		.known_flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
		.writes_arg = true,
		.setup = setup_t_create_access,
		.expect = { SIZE_RULES, FLAGS_EOPNOTSUPP,
			    [C_RESERVED] = OK, ID_ENOENT,
			    [C_RO_ARG] = EFAULT },
	},
	{
		TCMD("T_ACCESS_REPLACE_IOAS"),
		TEST_RESERVED,
		ID(struct iommu_test_cmd, access_replace_ioas.ioas_id, K_IOAS,
		   K_HWPT),
		.setup = setup_t_access_replace,
		.expect = { SIZE_RULES, [C_RESERVED] = OK, ID_ENOENT },
	},
	{
		TCMD("T_ACCESS_PAGES"),
		TEST_RESERVED,
		.flags = FIELD(struct iommu_test_cmd, access_pages.flags),
		.known_flags = MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ,
		.iova = FIELD(struct iommu_test_cmd, access_pages.iova),
		.length = FIELD(struct iommu_test_cmd, access_pages.length),
		.unaligned = FIELD(struct iommu_test_cmd, access_pages.iova),
		.uptr = FIELD(struct iommu_test_cmd, access_pages.uptr),
		.writes_arg = true,
		.setup = setup_t_access_pages,
		.expect = { SIZE_RULES, FLAGS_EOPNOTSUPP,
			    [C_RESERVED] = OK,
			    [C_RANGE_WRAP] = EOVERFLOW,
			    [C_RANGE_EMPTY] = EINVAL,
			    [C_RANGE_HUGE] = ENOMEM,
			    [C_UNALIGNED] = OK, [C_PTR_NULL] = OK,
			    [C_PTR_UNMAPPED] = EFAULT, [C_RO_ARG] = EFAULT },
		.ours[C_UNALIGNED] = EINVAL,
	},
	{
		TCMD("T_DESTROY_ACCESS_PAGES"),
		TEST_RESERVED,
		.setup = setup_t_destroy_access_pages,
		.expect = { SIZE_RULES, [C_RESERVED] = OK },
	},
	{
		TCMD("T_ACCESS_RW"),
		TEST_RESERVED,
		.flags = FIELD(struct iommu_test_cmd, access_rw.flags),
		.known_flags = MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH |
			       MOCK_FLAGS_ACCESS_SYZ,
		.iova = FIELD(struct iommu_test_cmd, access_rw.iova),
		.length = FIELD(struct iommu_test_cmd, access_rw.length),
		.uptr = FIELD(struct iommu_test_cmd, access_rw.uptr),
		.out_uptr = FIELD(struct iommu_test_cmd, access_rw.uptr),
		.setup = setup_t_access_rw,
		.expect = { SIZE_RULES, FLAGS_EOPNOTSUPP,
			    [C_RESERVED] = OK,
			    [C_RANGE_WRAP] = EOVERFLOW,
			    [C_RANGE_EMPTY] = EINVAL,
			    [C_RANGE_HUGE] = ENOMEM,
			    [C_PTR_NULL] = EFAULT,
			    [C_PTR_UNMAPPED] = EFAULT, [C_RO_DATA] = EFAULT },
	},
	{
		TCMD("T_SET_TEMP_MEMORY_LIMIT"),
		TEST_RESERVED,
		.setup = setup_t_memory_limit,
		.expect = { SIZE_RULES, [C_RESERVED] = OK },
	},
	{
		TCMD("T_DIRTY"),
		TEST_RESERVED, TEST_ID(K_DIRTY, K_IOAS),
		.iova = FIELD(struct iommu_test_cmd, dirty.iova),
		.length = FIELD(struct iommu_test_cmd, dirty.length),
		.unaligned = FIELD(struct iommu_test_cmd, dirty.iova),
		.uptr = FIELD(struct iommu_test_cmd, dirty.uptr),
		.writes_arg = true,
		.setup = setup_t_dirty,
		/* Upstream's mock does not check for a wrapping range */
		.expect = { SIZE_RULES, [C_RESERVED] = OK, ID_ENOENT,
			    [C_RANGE_WRAP] = OK, [C_RANGE_EMPTY] = EINVAL,
			    [C_RANGE_HUGE] = EOVERFLOW, [C_UNALIGNED] = EINVAL,
			    [C_PTR_NULL] = EINVAL, [C_PTR_UNMAPPED] = EFAULT,
			    [C_RO_ARG] = EFAULT },
		.ours[C_RANGE_WRAP] = EINVAL,
	},
	{
		TCMD("T_TRIGGER_IOPF"),
		TEST_RESERVED,
		ID(struct iommu_test_cmd, trigger_iopf.dev_id, K_DEVICE,
		   K_IOAS),
		.setup = setup_t_trigger_iopf,
		.expect = { SIZE_RULES, [C_RESERVED] = OK, ID_ENOENT },
	},
	{
		TCMD("T_DEV_CHECK_CACHE"),
		TEST_RESERVED, TEST_ID(K_DEVICE, K_IOAS),
		.setup = setup_t_dev_check_cache,
		.expect = { SIZE_RULES, [C_RESERVED] = OK, ID_ENOENT },
	},
	{
		TCMD("T_TRIGGER_VEVENT"),
		TEST_RESERVED,
		ID(struct iommu_test_cmd, trigger_vevent.dev_id, K_DEVICE,
		   K_IOAS),
		.setup = setup_t_trigger_vevent,
		.expect = { SIZE_RULES, [C_RESERVED] = OK, ID_ENOENT },
	},
	{
		TCMD("T_PASID_ATTACH"),
		TEST_RESERVED, TEST_ID(K_STDEV, K_IOAS),
		.writes_arg = true,
		.setup = setup_t_pasid_attach,
		.expect = { SIZE_RULES, [C_RESERVED] = OK, ID_ENOENT,
			    [C_RO_ARG] = EFAULT },
	},
	{
		TCMD("T_PASID_REPLACE"),
		TEST_RESERVED, TEST_ID(K_STDEV, K_IOAS),
		.writes_arg = true,
		.ro_arg_done = true,
		.setup = setup_t_pasid_replace,
		.expect = { SIZE_RULES, [C_RESERVED] = OK, ID_ENOENT,
			    [C_RO_ARG] = EFAULT },
	},
	{
		TCMD("T_PASID_DETACH"),
		TEST_RESERVED, TEST_ID(K_STDEV, K_IOAS),
		.setup = setup_t_pasid_detach,
		.expect = { SIZE_RULES, [C_RESERVED] = OK, ID_ENOENT },
	},
	{
		TCMD("T_PASID_CHECK_HWPT"),
		TEST_RESERVED, TEST_ID(K_STDEV, K_IOAS),
		.setup = setup_t_pasid_check,
		.expect = { SIZE_RULES, [C_RESERVED] = OK, ID_ENOENT },
	},
};

/* ---- the classes ------------------------------------------------------ */

static bool has(struct field f)
{
	return f.len != 0;
}

static void put(void *arg, struct field f, __u64 value)
{
	memcpy((char *)arg + f.off, &value, f.len);
}

static __u64 get(const void *arg, struct field f)
{
	__u64 value = 0;

	memcpy(&value, (const char *)arg + f.off, f.len);
	return value;
}

/* Whether @class has something to change in @row */
static bool applies(const struct bad_row *row, enum bad_class class)
{
	switch (class) {
	case C_FLAG_LOW:
	case C_FLAG_MID:
	case C_FLAG_HIGH:
		return has(row->flags);
	case C_RESERVED:
		return has(row->reserved[0]);
	case C_ID_ZERO:
	case C_ID_UNKNOWN:
	case C_ID_DESTROYED:
		return has(row->id);
	case C_ID_WRONG_TYPE:
		return has(row->id) && row->wrong_kind != K_NONE;
	case C_RANGE_WRAP:
		return has(row->iova) && has(row->length);
	case C_RANGE_EMPTY:
	case C_RANGE_HUGE:
		return has(row->length);
	case C_UNALIGNED:
		return has(row->unaligned);
	case C_PTR_NULL:
	case C_PTR_UNMAPPED:
		return has(row->uptr);
	case C_RO_ARG:
		return row->writes_arg;
	case C_RO_DATA:
		return has(row->out_uptr);
	case C_SIZE_SHORT:
	case C_SIZE_JUNK:
	case C_SIZE_ZERO:
	case C_ARG_NULL:
		/* Rows that only add ID columns to another row leave these */
		return row->expect[class] != 0;
	default:
		return true;
	}
}

/* The undefined flag bit that @class sets: lowest, middle or highest */
static unsigned int flag_bit(const struct bad_row *row, enum bad_class class)
{
	unsigned int high = row->flags.len * 8 - 1;
	unsigned int low = __builtin_ctz(~row->known_flags);

	unsigned int mid = (low + high + 1) / 2;

	if (class == C_FLAG_LOW)
		return low;
	if (class == C_FLAG_HIGH)
		return high;
	while (row->known_flags & (1U << mid))
		mid++;
	return mid;
}

/* The huge value of a length field of this width */
static __u64 huge_length(struct field f)
{
	return f.len == 8 ? 1ULL << 62 : (1ULL << (f.len * 8)) - 1;
}

/*
 * Change @arg as @class says; @sub picks one of several fields for the
 * classes that have several (reserved).  *@call_arg is the pointer the
 * ioctl gets.  0, or an errno when the context could not be prepared.
 */
static int apply(struct bad_ctx *ctx, const struct bad_row *row,
		 enum bad_class class, unsigned int sub, void *arg,
		 void **call_arg)
{
	__u32 id;
	int err;

	*call_arg = arg;
	switch (class) {
	case C_SIZE_SHORT:
		*(__u32 *)arg = row->min_size - 1;
		break;
	case C_SIZE_JUNK:
		*(__u32 *)arg = row->size + TAIL_BYTES;
		((__u8 *)arg)[row->size + TAIL_BYTES - 1] = 0xa5;
		break;
	case C_SIZE_ZERO:
		*(__u32 *)arg = row->size + TAIL_BYTES;
		break;
	case C_FLAG_LOW:
	case C_FLAG_MID:
	case C_FLAG_HIGH:
		put(arg, row->flags,
		    get(arg, row->flags) | 1ULL << flag_bit(row, class));
		break;
	case C_RESERVED:
		put(arg, row->reserved[sub], 1);
		break;
	case C_ID_ZERO:
		put(arg, row->id, 0);
		break;
	case C_ID_UNKNOWN:
		put(arg, row->id, NO_SUCH_ID);
		break;
	case C_ID_DESTROYED:
		err = dead_id_err(ctx, row->id_kind, &id);
		if (err)
			return err;
		put(arg, row->id, id);
		break;
	case C_ID_WRONG_TYPE:
		put(arg, row->id, ctx->ids[row->wrong_kind]);
		break;
	case C_RANGE_WRAP:
		put(arg, row->iova, -PAGE_SIZE);
		put(arg, row->length, 2 * PAGE_SIZE);
		break;
	case C_RANGE_EMPTY:
		put(arg, row->length, 0);
		break;
	case C_RANGE_HUGE:
		put(arg, row->length, huge_length(row->length));
		break;
	case C_UNALIGNED:
		put(arg, row->unaligned, get(arg, row->unaligned) + 1);
		break;
	case C_ARG_NULL:
		*call_arg = NULL;
		break;
	case C_PTR_NULL:
		put(arg, row->uptr, 0);
		break;
	case C_PTR_UNMAPPED:
		put(arg, row->uptr, uptr(hole));
		break;
	case C_RO_DATA:
		put(arg, row->out_uptr, uptr(ro_buf));
		break;
	case C_RO_ARG:
		if (mprotect(ro_page, PAGE_SIZE, PROT_READ | PROT_WRITE))
			return errno;
		memcpy(ro_page, arg, ARG_BYTES);
		if (mprotect(ro_page, PAGE_SIZE, PROT_READ))
			return errno;
		*call_arg = ro_page;
		break;
	default:
		break;
	}
	return 0;
}

/* ---- what must not change ------------------------------------------------ */

struct snapshot {
	struct iommufd_fdinfo info;
	long vm_pin_kb;
	int open_fds;
};

static int count_open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int count = 0;

	if (!dir)
		return -1;
	while (readdir(dir))
		count++;
	closedir(dir);
	return count;
}

static int snapshot_err(int fd, struct snapshot *snap)
{
	snap->vm_pin_kb = iommufd_proc_kb("/proc/self/status", "VmPin");
	snap->open_fds = count_open_fds();
	return iommufd_fdinfo_read_err(fd, &snap->info);
}

/*
 * Object lines without their "dev=" field: mock devices are named from a
 * global counter, so two contexts that did the same differ only there
 */
static void strip_device_names(struct iommufd_fdinfo *info)
{
	unsigned int i;

	for (i = 0; i != info->nobjects; i++) {
		char *field = strstr(info->objects[i], " dev=");
		char *end;

		if (!field)
			continue;
		end = strchr(field + 1, ' ');
		memmove(field, end ? end : field + strlen(field),
			strlen(end ? end : field + strlen(field)) + 1);
	}
}

static bool snapshot_same(const struct snapshot *a, const struct snapshot *b)
{
	return iommufd_fdinfo_same(&a->info, &b->info) &&
	       a->vm_pin_kb == b->vm_pin_kb && a->open_fds == b->open_fds;
}

/* ---- running the cells ---------------------------------------------------- */

/* What each cell returned, for the matrix: an errno, OK, or 0 (n/a) */
static int results[ARRAY_SIZE(rows)][NR_CLASSES];

/* Each row's state after its valid call, for the size+zero cell */
static struct iommufd_fdinfo valid_after[ARRAY_SIZE(rows)];

static const char *errno_name(int err)
{
	static char unknown[16];

	switch (err) {
	case OK: return "ok";
	case 0: return "-";
	case SETUP_FAILED: return "setup";
	case EIO: return "EIO";
	case EINVAL: return "EINVAL";
	case E2BIG: return "E2BIG";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOENT: return "ENOENT";
	case EFAULT: return "EFAULT";
	case EOVERFLOW: return "EOVERFLOW";
	case ENOMEM: return "ENOMEM";
	case EBUSY: return "EBUSY";
	case EPERM: return "EPERM";
	case ENODEV: return "ENODEV";
	case ENOSPC: return "ENOSPC";
	case EEXIST: return "EEXIST";
	case EADDRINUSE: return "EADDRINUSE";
	case ERANGE: return "ERANGE";
	case EBADF: return "EBADF";
	case ENOTTY: return "ENOTTY";
	case EMSGSIZE: return "EMSGSIZE";
	}
	snprintf(unknown, sizeof(unknown), "E%d", err);
	return unknown;
}

static unsigned int nr_subcases(const struct bad_row *row,
				enum bad_class class)
{
	unsigned int n = 0;

	if (class != C_RESERVED)
		return 1;
	while (n < ARRAY_SIZE(row->reserved) && has(row->reserved[n]))
		n++;
	return n;
}

/*
 * One call of row @r with @class applied, in a new context.  Returns what
 * the call returned (OK or an errno), or SETUP_FAILED; *@changed tells
 * whether a refused call changed the context, or an accepted size+zero
 * call did something else than the exact size did.
 */
static int run_call(unsigned int r, enum bad_class class, unsigned int sub,
		    bool *changed)
{
	const struct bad_row *row = &rows[r];
	struct snapshot before, after;
	__u64 arg_words[ARG_BYTES / 8] = {};
	int fd_floor = dup(0);
	struct bad_ctx ctx;
	void *call_arg;
	int err;

	close(fd_floor);
	*changed = false;
	err = ctx_open_err(&ctx);
	if (!err)
		err = row->setup(&ctx, arg_words);
	if (!err)
		err = apply(&ctx, row, class, sub, arg_words, &call_arg);
	if (!err)
		err = snapshot_err(ctx.fd, &before);
	if (err) {
		ksft_print_msg("%s.%s: setup failed: %s\n", row->name,
			       class_names[class], strerror(err));
		ctx_close(fd_floor);
		return SETUP_FAILED;
	}

	err = iommufd_ioctl_err(ctx.fd, row->request, call_arg);

	if (snapshot_err(ctx.fd, &after)) {
		*changed = true;
	} else if (err) {
		*changed = !snapshot_same(&before, &after) &&
			   !(class == C_RO_ARG && row->ro_arg_done);
	} else if (class == C_VALID) {
		valid_after[r] = after.info;
		strip_device_names(&valid_after[r]);
	} else if (class == C_SIZE_ZERO) {
		strip_device_names(&after.info);
		*changed = !iommufd_fdinfo_same(&valid_after[r], &after.info);
	}
	ctx_close(fd_floor);
	return err ? err : OK;
}

/* Whether the cell's call answered as our kernel is known to, not upstream */
static bool deviates(const struct bad_row *row, enum bad_class class, int got)
{
	return row->ours[class] && got == row->ours[class];
}

static void run_cell(unsigned int r, enum bad_class class)
{
	const struct bad_row *row = &rows[r];
	int want = row->expect[class], got = OK;
	unsigned int sub, nsub = nr_subcases(row, class);
	bool pass = true, deviation = false, changed;

	for (sub = 0; sub != nsub; sub++) {
		got = run_call(r, class, sub, &changed);
		if (deviates(row, class, got)) {
			deviation = true;
		} else if (got != want) {
			ksft_print_msg("%s.%s[%u]: got %s, want %s\n",
				       row->name, class_names[class], sub,
				       errno_name(got), errno_name(want));
			pass = false;
		} else if (row->ours[class]) {
			ksft_print_msg("%s.%s: answers as upstream now; drop its entry in .ours\n",
				       row->name, class_names[class]);
			pass = false;
		}
		if (changed) {
			ksft_print_msg("%s.%s[%u]: %s\n", row->name,
				       class_names[class], sub,
				       class == C_SIZE_ZERO ?
				       "did not do what the exact size did" :
				       "the refused call changed the context");
			pass = false;
		}
	}
	results[r][class] = got;
	if (pass && deviation)
		ksft_test_result_xfail("%s.%s: our kernel answers %s, upstream %s\n",
				       row->name, class_names[class],
				       errno_name(row->ours[class]),
				       errno_name(want));
	else
		ksft_test_result(pass, "%s.%s\n", row->name,
				 class_names[class]);
}

/*
 * A cell of the matrix: upstream's answer, marked "*" where our kernel
 * answers otherwise and "+" where the call took effect although its
 * result could not be written back; "!" and what came back when the cell
 * failed
 */
static const char *cell_text(unsigned int r, enum bad_class class)
{
	const struct bad_row *row = &rows[r];
	int got = results[r][class], want = row->expect[class];
	static char text[16];

	if (!applies(row, class))
		return "-";
	if (deviates(row, class, got))
		snprintf(text, sizeof(text), "%s*", errno_name(want));
	else if (got != want)
		snprintf(text, sizeof(text), "!%s", errno_name(got));
	else if (class == C_RO_ARG && row->ro_arg_done)
		snprintf(text, sizeof(text), "%s+", errno_name(want));
	else
		snprintf(text, sizeof(text), "%s", errno_name(want));
	return text;
}

/* Width of each column of the matrix: its longest cell or heading */
static void column_widths(int widths[NR_CLASSES + 1], bool rst)
{
	unsigned int r, c;
	int len;

	widths[0] = strlen("ioctl");
	for (c = 0; c != NR_CLASSES; c++)
		widths[c + 1] = strlen(class_names[c]);
	for (r = 0; r != ARRAY_SIZE(rows); r++) {
		/* RST shows the row names as literals: ``NAME`` */
		len = strlen(rows[r].name) + (rst ? 4 : 0);
		if (len > widths[0])
			widths[0] = len;
		for (c = 0; c != NR_CLASSES; c++) {
			len = strlen(cell_text(r, c));
			if (len > widths[c + 1])
				widths[c + 1] = len;
		}
	}
}

/* The "=====  ====" line that starts, splits and ends an RST simple table */
static void print_rst_border(const int widths[NR_CLASSES + 1])
{
	char line[1024];
	unsigned int c;
	int len = 0;

	for (c = 0; c != NR_CLASSES + 1; c++)
		len += snprintf(line + len, sizeof(line) - len, "%s%.*s",
				c ? "  " : "", widths[c],
				"================================================");
	ksft_print_msg("%s\n", line);
}

/*
 * The matrix as TAP comments: rows are the ioctls, columns the classes.
 * With @rst it is an RST simple table (what iommufd.rst carries, after
 * the "# " of each line is taken off).
 */
static void print_matrix(bool rst)
{
	int widths[NR_CLASSES + 1], len, gap = rst ? 2 : 1;
	char line[1024], name[64];
	unsigned int r, c;

	ksft_print_msg("The bad-input matrix: upstream's errno for each call,\n");
	ksft_print_msg("ok where it is accepted, - where the class does not apply,\n");
	ksft_print_msg("* where our kernel answers otherwise (its XFAIL line says what),\n");
	ksft_print_msg("+ where the call took effect but could not write back its result\n");
	column_widths(widths, rst);
	if (rst)
		print_rst_border(widths);
	len = snprintf(line, sizeof(line), "%-*s", widths[0], "ioctl");
	for (c = 0; c != NR_CLASSES; c++)
		len += snprintf(line + len, sizeof(line) - len, "%*s%-*s", gap,
				"", widths[c + 1], class_names[c]);
	ksft_print_msg("%s\n", line);
	if (rst)
		print_rst_border(widths);
	for (r = 0; r != ARRAY_SIZE(rows); r++) {
		snprintf(name, sizeof(name), rst ? "``%s``" : "%s",
			 rows[r].name);
		len = snprintf(line, sizeof(line), "%-*s", widths[0], name);
		for (c = 0; c != NR_CLASSES; c++)
			len += snprintf(line + len, sizeof(line) - len,
					"%*s%-*s", gap, "", widths[c + 1],
					cell_text(r, c));
		/* RST wants no trailing blanks */
		while (len && line[len - 1] == ' ')
			line[--len] = 0;
		ksft_print_msg("%s\n", line);
	}
	if (rst)
		print_rst_border(widths);
}

/* An expectation for a class that does not apply is a table mistake */
static bool table_is_consistent(void)
{
	bool consistent = true;
	unsigned int r, c;

	for (r = 0; r != ARRAY_SIZE(rows); r++)
		for (c = 0; c != NR_CLASSES; c++)
			if (applies(&rows[r], c) != !!rows[r].expect[c]) {
				ksft_print_msg("row %s, class %s: %s\n",
					       rows[r].name, class_names[c],
					       rows[r].expect[c] ?
					       "expectation for a class that does not apply" :
					       "no expectation");
				consistent = false;
			}
	return consistent;
}

static void *map_one_page_twice(void)
{
	int memfd = iommufd_memfd(PAGE_SIZE, 0);
	void *va;

	if (memfd < 0)
		return MAP_FAILED;
	va = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		  memfd, 0);
	if (va != MAP_FAILED &&
	    mmap(va + PAGE_SIZE, PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, memfd, 0) == MAP_FAILED) {
		munmap(va, 2 * PAGE_SIZE);
		va = MAP_FAILED;
	}
	close(memfd);
	return va;
}

static bool buffers_ok(void)
{
	buf = iommufd_alloc_small_pages(BUF_SIZE, MAP_PRIVATE);
	ro_buf = mmap(NULL, BUF_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	/* Address space no access may use, and that nothing else gets */
	hole = mmap(NULL, BUF_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ro_page = mmap(NULL, PAGE_SIZE, PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	one_page_twice = map_one_page_twice();
	return buf && ro_buf != MAP_FAILED && hole != MAP_FAILED &&
	       ro_page != MAP_FAILED && one_page_twice != MAP_FAILED;
}

int main(int argc, char **argv)
{
	bool rst = argc > 1 && !strcmp(argv[1], "--rst");
	unsigned int r, c, cells = 0;

	ksft_print_header();
	if (access(IOMMUFD_DEV_PATH, R_OK | W_OK))
		ksft_exit_skip("%s is not there\n", IOMMUFD_DEV_PATH);
	if (!buffers_ok())
		ksft_exit_fail_msg("no buffers\n");
	if (!table_is_consistent())
		ksft_exit_fail_msg("the table is inconsistent\n");
	for (r = 0; r != ARRAY_SIZE(rows); r++)
		for (c = 0; c != NR_CLASSES; c++)
			cells += applies(&rows[r], c);
	ksft_set_plan(cells);
	for (r = 0; r != ARRAY_SIZE(rows); r++)
		for (c = 0; c != NR_CLASSES; c++)
			if (applies(&rows[r], c))
				run_cell(r, c);
	print_matrix(rst);
	ksft_finished();
	return 0;
}
