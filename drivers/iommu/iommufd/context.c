// SPDX-License-Identifier: GPL-2.0-only
/*
 * The iommufd context: what one open /dev/iommu file owns, from the open
 * that creates it to the release that destroys every object in it, and
 * the references that other subsystems and iommufd's own objects hold on
 * it.  A reference on the context is a reference on its file.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommufd.h>
#include <linux/slab.h>

#include "iommufd_private.h"

/**
 * iommufd_ctx_create() - the context of a newly opened file
 * @file: the file being opened
 * @as_vfio_container: it is /dev/vfio/vfio, served by iommufd; pinned
 *                     memory is then charged to the process, as VFIO's
 *                     own container does
 *
 * Context: process context; may sleep.
 * Return: the context, or ERR_PTR(-ENOMEM).
 */
struct iommufd_ctx *iommufd_ctx_create(struct file *file,
				       bool as_vfio_container)
{
	struct iommufd_ctx *ictx;

	ictx = kzalloc(sizeof(*ictx), GFP_KERNEL_ACCOUNT);
	if (!ictx)
		return ERR_PTR(-ENOMEM);
	xa_init_flags(&ictx->objects, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	init_waitqueue_head(&ictx->destroy_wait);
	xa_init_flags(&ictx->groups, XA_FLAGS_ACCOUNT);
	mt_init_flags(&ictx->mt_mmap, MT_FLAGS_ALLOC_RANGE);
	mutex_init(&ictx->move_lock);
	ictx->account_mode = as_vfio_container ? IOMMUFD_ACCOUNT_MM :
						 IOMMUFD_ACCOUNT_USER;
	ictx->file = file;
	return ictx;
}

/**
 * iommufd_ctx_destroy() - destroy the context of a file being released
 * @ictx: the context; no reference on its file is left
 *
 * Context: process context; may sleep.
 */
void iommufd_ctx_destroy(struct iommufd_ctx *ictx)
{
	iommufd_object_destroy_all(ictx);
	/* A group record goes with the last of its devices */
	WARN_ON(!xa_empty(&ictx->groups));
	/* A region goes with its owner */
	WARN_ON(!mtree_empty(&ictx->mt_mmap));
	mtree_destroy(&ictx->mt_mmap);
	mutex_destroy(&ictx->move_lock);
	kfree(ictx);
}

/**
 * iommufd_ctx_get() - take another reference on a context
 * @ictx: a context the caller already holds a reference on
 *
 * A reference on the context is a reference on its file: the context lives
 * until the last one is dropped with iommufd_ctx_put().
 *
 * Context: any context.
 */
void iommufd_ctx_get(struct iommufd_ctx *ictx)
{
	get_file(ictx->file);
}
EXPORT_SYMBOL_NS_GPL(iommufd_ctx_get, IOMMUFD);

/**
 * iommufd_ctx_put() - drop a reference on a context
 * @ictx: the context
 *
 * Dropping the last reference (once user space has closed its descriptors
 * too) destroys every object of the context.
 *
 * Context: process context, or any context where fput() may be called.
 */
void iommufd_ctx_put(struct iommufd_ctx *ictx)
{
	fput(ictx->file);
}
EXPORT_SYMBOL_NS_GPL(iommufd_ctx_put, IOMMUFD);
