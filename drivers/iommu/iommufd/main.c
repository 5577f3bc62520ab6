// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/iommu, the top of iommufd: the device files, the ioctl dispatcher
 * that applies the extensible-struct rules once for every command and
 * hands each to the file of the object it serves, the in-kernel API that
 * hands the context behind a /dev/iommu file to other subsystems, and
 * module init.  Nothing below calls up into this file.
 */
#define pr_fmt(fmt) "iommufd: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <linux/iommufd.h>
#include <uapi/linux/iommufd.h>

#include "access.h"
#include "device.h"
#include "fault.h"
#include "hw_pagetable.h"
#include "ioas.h"
#include "selftest.h"
#include "viommu.h"

#define CREATE_TRACE_POINTS
#include "iommufd_trace.h"

/* Large enough for the kernel's version of every command struct */
union iommufd_cmd_buffer {
	struct iommu_destroy destroy;
	struct iommu_fault_alloc fault_alloc;
	struct iommu_hw_info hw_info;
	struct iommu_hwpt_alloc hwpt_alloc;
	struct iommu_hwpt_get_dirty_bitmap get_dirty_bitmap;
	struct iommu_hwpt_invalidate hwpt_invalidate;
	struct iommu_hwpt_set_dirty_tracking set_dirty_tracking;
	struct iommu_hw_queue_alloc hw_queue;
	struct iommu_ioas_alloc ioas_alloc;
	struct iommu_ioas_allow_iovas allow_iovas;
	struct iommu_ioas_change_process change_process;
	struct iommu_ioas_copy ioas_copy;
	struct iommu_ioas_iova_ranges iova_ranges;
	struct iommu_ioas_map map;
	struct iommu_ioas_map_file map_file;
	struct iommu_ioas_unmap unmap;
	struct iommu_option option;
	struct iommu_vdevice_alloc vdev;
	struct iommu_veventq_alloc veventq;
	struct iommu_vfio_ioas vfio_ioas;
	struct iommu_viommu_alloc viommu;
#if IS_ENABLED(CONFIG_IOMMUFD_TEST)
	struct iommu_test_cmd test;
#endif
};

/**
 * struct iommufd_ioctl_op - how the dispatcher treats one command
 * @ioctl_num: the full ioctl number; anything else with the same _IOC_NR
 *             is not this command
 * @size: the kernel's size of the command struct
 * @min_size: the size of the struct when the command was introduced; user
 *            space may never pass less
 * @execute: the handler
 */
struct iommufd_ioctl_op {
	unsigned int ioctl_num;
	unsigned int size;
	unsigned int min_size;
	int (*execute)(struct iommufd_ucmd *ucmd);
};

/*
 * One table entry per command: its number, its ioctl, its handler, its
 * struct and the last member of the struct's first version.
 */
#define IOMMUFD_IOCTL_OP(_nr, _ioctl, _handler, _struct, _first_version_end) \
	[(_nr) - IOMMUFD_CMD_BASE] = {                                        \
		.ioctl_num = _ioctl,                                           \
		.size = sizeof(_struct) +                                      \
			BUILD_BUG_ON_ZERO(sizeof(_struct) >                    \
					  sizeof(union iommufd_cmd_buffer)),   \
		.min_size = offsetofend(_struct, _first_version_end),          \
		.execute = _handler,                                           \
	}

static const struct iommufd_ioctl_op iommufd_ioctl_ops[] = {
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_DESTROY, IOMMU_DESTROY, iommufd_destroy,
			 struct iommu_destroy, id),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_FAULT_QUEUE_ALLOC, IOMMU_FAULT_QUEUE_ALLOC,
			 iommufd_fault_alloc, struct iommu_fault_alloc,
			 out_fault_fd),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_GET_HW_INFO, IOMMU_GET_HW_INFO,
			 iommufd_get_hw_info, struct iommu_hw_info,
			 __reserved),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_HWPT_ALLOC, IOMMU_HWPT_ALLOC,
			 iommufd_hwpt_alloc, struct iommu_hwpt_alloc,
			 __reserved),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP,
			 IOMMU_HWPT_GET_DIRTY_BITMAP,
			 iommufd_hwpt_get_dirty_bitmap,
			 struct iommu_hwpt_get_dirty_bitmap, data),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_HWPT_INVALIDATE, IOMMU_HWPT_INVALIDATE,
			 iommufd_hwpt_invalidate, struct iommu_hwpt_invalidate,
			 __reserved),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING,
			 IOMMU_HWPT_SET_DIRTY_TRACKING,
			 iommufd_hwpt_set_dirty_tracking,
			 struct iommu_hwpt_set_dirty_tracking, __reserved),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_HW_QUEUE_ALLOC, IOMMU_HW_QUEUE_ALLOC,
			 iommufd_hw_queue_alloc, struct iommu_hw_queue_alloc,
			 length),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_IOAS_ALLOC, IOMMU_IOAS_ALLOC,
			 iommufd_ioas_alloc_cmd, struct iommu_ioas_alloc,
			 out_ioas_id),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_IOAS_ALLOW_IOVAS, IOMMU_IOAS_ALLOW_IOVAS,
			 iommufd_ioas_allow_iovas,
			 struct iommu_ioas_allow_iovas, allowed_iovas),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_IOAS_CHANGE_PROCESS,
			 IOMMU_IOAS_CHANGE_PROCESS, iommufd_ioas_change_process,
			 struct iommu_ioas_change_process, __reserved),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_IOAS_COPY, IOMMU_IOAS_COPY,
			 iommufd_ioas_copy, struct iommu_ioas_copy, src_iova),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_IOAS_IOVA_RANGES, IOMMU_IOAS_IOVA_RANGES,
			 iommufd_ioas_iova_ranges,
			 struct iommu_ioas_iova_ranges, out_iova_alignment),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_IOAS_MAP, IOMMU_IOAS_MAP,
			 iommufd_ioas_map, struct iommu_ioas_map, iova),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_IOAS_MAP_FILE, IOMMU_IOAS_MAP_FILE,
			 iommufd_ioas_map_file, struct iommu_ioas_map_file,
			 iova),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_IOAS_UNMAP, IOMMU_IOAS_UNMAP,
			 iommufd_ioas_unmap, struct iommu_ioas_unmap, length),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_OPTION, IOMMU_OPTION, iommufd_option,
			 struct iommu_option, val64),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_VDEVICE_ALLOC, IOMMU_VDEVICE_ALLOC,
			 iommufd_vdevice_alloc, struct iommu_vdevice_alloc,
			 virt_id),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_VEVENTQ_ALLOC, IOMMU_VEVENTQ_ALLOC,
			 iommufd_veventq_alloc, struct iommu_veventq_alloc,
			 out_veventq_fd),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_VFIO_IOAS, IOMMU_VFIO_IOAS,
			 iommufd_vfio_ioas, struct iommu_vfio_ioas, __reserved),
	IOMMUFD_IOCTL_OP(IOMMUFD_CMD_VIOMMU_ALLOC, IOMMU_VIOMMU_ALLOC,
			 iommufd_viommu_alloc, struct iommu_viommu_alloc,
			 out_viommu_id),
#if IS_ENABLED(CONFIG_IOMMUFD_TEST)
	IOMMUFD_IOCTL_OP(_IOC_NR(IOMMU_TEST_CMD), IOMMU_TEST_CMD, iommufd_test,
			 struct iommu_test_cmd, last),
#endif
};

static long iommufd_fops_dispatch(struct file *filp, unsigned int cmd,
				  unsigned long arg)
{
	union iommufd_cmd_buffer kernel_copy;
	struct iommufd_ucmd ucmd = {
		.ictx = filp->private_data,
		.ubuffer = (void __user *)arg,
		.cmd = &kernel_copy,
	};
	const struct iommufd_ioctl_op *op;
	/* Numbers below the base wrap around and fail the bound check */
	unsigned int index = _IOC_NR(cmd) - IOMMUFD_CMD_BASE;
	int rc;

	/*
	 * VFIO's container ioctls have iommufd's type and numbers below its
	 * own: a VFIO type1 program can use /dev/iommu as its container.
	 */
	if (_IOC_TYPE(cmd) == IOMMUFD_TYPE && _IOC_NR(cmd) < IOMMUFD_CMD_BASE)
		return iommufd_vfio_ioctl(ucmd.ictx, cmd, arg);
	if (index >= ARRAY_SIZE(iommufd_ioctl_ops))
		return -ENOTTY;
	op = &iommufd_ioctl_ops[index];
	/* Catches holes in the table and a known number with another type */
	if (op->ioctl_num != cmd)
		return -ENOTTY;

	rc = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (rc)
		return rc;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	/* Zero-fills what user space did not pass, E2BIG on unknown bytes */
	rc = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				   ucmd.user_size);
	if (rc)
		return rc;
	return op->execute(&ucmd);
}

static long iommufd_fops_ioctl(struct file *filp, unsigned int cmd,
			       unsigned long arg)
{
	long rc = iommufd_fops_dispatch(filp, cmd, arg);

	if (rc < 0)
		trace_iommufd_ioctl_error(cmd, rc);
	return rc;
}

static struct miscdevice vfio_misc_dev;

static int iommufd_fops_open(struct inode *inode, struct file *filp)
{
	/* The misc core left the miscdevice that was opened here */
	bool as_vfio_container = filp->private_data == &vfio_misc_dev;
	struct iommufd_ctx *ictx;

	ictx = iommufd_ctx_create(filp, as_vfio_container);
	if (IS_ERR(ictx))
		return PTR_ERR(ictx);
	if (as_vfio_container)
		pr_info_once("/dev/vfio/vfio is served by iommufd\n");
	filp->private_data = ictx;
	return 0;
}

static int iommufd_fops_release(struct inode *inode, struct file *filp)
{
	iommufd_ctx_destroy(filp->private_data);
	return 0;
}

static void iommufd_fops_show_fdinfo(struct seq_file *m, struct file *filp)
{
	iommufd_ctx_show_fdinfo(filp->private_data, m);
}

static const struct file_operations iommufd_fops = {
	.owner = THIS_MODULE,
	.open = iommufd_fops_open,
	.release = iommufd_fops_release,
	.unlocked_ioctl = iommufd_fops_ioctl,
	/* Every struct has the same layout for 32 and 64 bit callers */
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = iommufd_fops_mmap,
	.show_fdinfo = iommufd_fops_show_fdinfo,
};

/* The context behind @file, or NULL when @file is not /dev/iommu */
static struct iommufd_ctx *iommufd_file_ctx(struct file *file)
{
	return file->f_op == &iommufd_fops ? file->private_data : NULL;
}

/**
 * iommufd_ctx_from_file() - get the context behind an open /dev/iommu file
 * @file: a file the caller holds a reference on, and keeps holding
 *
 * Context: any context.
 * Return: the context with a new reference the caller must drop with
 * iommufd_ctx_put(), or ERR_PTR(-EBADFD) if @file is not /dev/iommu.
 */
struct iommufd_ctx *iommufd_ctx_from_file(struct file *file)
{
	struct iommufd_ctx *ictx = iommufd_file_ctx(file);

	if (!ictx)
		return ERR_PTR(-EBADFD);
	iommufd_ctx_get(ictx);
	return ictx;
}
EXPORT_SYMBOL_NS_GPL(iommufd_ctx_from_file, IOMMUFD);

/**
 * iommufd_ctx_from_fd() - get the context behind a file descriptor
 * @fd: a descriptor of the calling process
 *
 * Context: process context.
 * Return: the context with a new reference the caller must drop with
 * iommufd_ctx_put(); ERR_PTR(-EBADF) if @fd is not open, or
 * ERR_PTR(-EBADFD) if it is not /dev/iommu.
 */
struct iommufd_ctx *iommufd_ctx_from_fd(int fd)
{
	CLASS(fd, fd_ref)(fd);

	if (fd_empty(fd_ref))
		return ERR_PTR(-EBADF);
	/* The descriptor's reference goes away at return; take our own */
	return iommufd_ctx_from_file(fd_file(fd_ref));
}
EXPORT_SYMBOL_NS_GPL(iommufd_ctx_from_fd, IOMMUFD);

static struct miscdevice iommufd_misc_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "iommu",
	.nodename = "iommu",
	.fops = &iommufd_fops,
	.mode = 0660,
};

/*
 * With CONFIG_IOMMUFD_VFIO_CONTAINER (VFIO built without its own container)
 * iommufd is /dev/vfio/vfio too: each open is a context like /dev/iommu's,
 * and VFIO's type1 container ioctls work on its compatibility IOAS.  The
 * node is as open as VFIO's was: the groups guard the devices.
 */
static struct miscdevice vfio_misc_dev = {
	.minor = VFIO_MINOR,
	.name = "vfio",
	.nodename = "vfio/vfio",
	.fops = &iommufd_fops,
	.mode = 0666,
};

/*
 * The device iommufd attaches to dma-bufs as: importers need one, though
 * iommufd never asks the exporter for a DMA mapping (it maps the physical
 * range into its own domains).
 */
struct device *iommufd_misc_device(void)
{
	return iommufd_misc_dev.this_device;
}

static int __init iommufd_init(void)
{
	int rc;

	/* The test build's mock IOMMU exists before anyone can ask for it */
	rc = iommufd_test_init();
	if (rc)
		return rc;
	rc = misc_register(&iommufd_misc_dev);
	if (rc)
		goto err_test;
	if (IS_ENABLED(CONFIG_IOMMUFD_VFIO_CONTAINER)) {
		rc = misc_register(&vfio_misc_dev);
		if (rc)
			goto err_iommu_dev;
	}
	return 0;

err_iommu_dev:
	misc_deregister(&iommufd_misc_dev);
err_test:
	iommufd_test_exit();
	return rc;
}

static void __exit iommufd_exit(void)
{
	if (IS_ENABLED(CONFIG_IOMMUFD_VFIO_CONTAINER))
		misc_deregister(&vfio_misc_dev);
	misc_deregister(&iommufd_misc_dev);
	iommufd_test_exit();
}

module_init(iommufd_init);
module_exit(iommufd_exit);

#if IS_ENABLED(CONFIG_IOMMUFD_VFIO_CONTAINER)
MODULE_ALIAS_MISCDEV(VFIO_MINOR);
MODULE_ALIAS("devname:vfio/vfio");
#endif
MODULE_IMPORT_NS(DMA_BUF);
MODULE_DESCRIPTION("iommufd: user space ownership of IOMMU page tables");
MODULE_LICENSE("GPL");
