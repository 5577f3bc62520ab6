/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every part of iommufd shares: the per-file context and the shape of
 * an ioctl as the dispatcher hands it to a command handler.  Each object
 * kind states its own contract in its own header.
 */
#ifndef __IOMMUFD_PRIVATE_H
#define __IOMMUFD_PRIVATE_H

#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "object.h"

struct iommufd_ioas;

/*
 * How pinned pages are charged against RLIMIT_MEMLOCK.  USER charges the
 * user_struct of the caller (what iommufd does by default); MM charges the
 * mm's locked_vm (what the VFIO type1 container does).  NONE is for kernel
 * internal users that are not subject to the limit.
 */
enum iommufd_account_mode {
	IOMMUFD_ACCOUNT_NONE,
	IOMMUFD_ACCOUNT_USER,
	IOMMUFD_ACCOUNT_MM,
};

/**
 * struct iommufd_ctx - one open file of /dev/iommu
 * @file: the file; a reference on it is a reference on the context
 * @objects: ID -> object.  Reserved (zero) entries are IDs of objects being
 *           created or destroyed.  Its spinlock orders every lookup against
 *           unpublishing, so a lookup either finds a live object or nothing.
 * @destroy_wait: destroyers sleep here until the last short user is gone
 * @groups: IOMMU group ID -> struct iommufd_group, for the groups that have
 *          a device bound to this context (managed by device.c)
 * @account_mode: enum iommufd_account_mode for pages pinned by this context;
 *                changes only while @objects is empty, under its lock
 * @vfio_ioas: the IOAS that VFIO's legacy container path uses, which carries
 *             no IOAS ID of its own (see vfio_compat.c), or NULL.  Read and
 *             written under the lock of @objects; cleared before that IOAS
 *             is freed, so it never points at freed memory.
 * @vfio_no_iommu: VFIO bound a device without IOMMU protection through this
 *                 context, so it may never get a @vfio_ioas; under the lock
 *                 of @objects
 */
struct iommufd_ctx {
	struct file *file;
	struct xarray objects;
	wait_queue_head_t destroy_wait;
	struct xarray groups;
	u8 account_mode;
	bool vfio_no_iommu;
	struct iommufd_ioas *vfio_ioas;
};

/**
 * struct iommufd_ucmd - one ioctl call as seen by its handler
 * @ictx: the context the ioctl was issued on
 * @ubuffer: the user's struct
 * @user_size: the size user space declared in the struct's first u32
 * @cmd: kernel copy of the struct; bytes the user did not supply are zero
 */
struct iommufd_ucmd {
	struct iommufd_ctx *ictx;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t cmd_len);

/* Command handlers, one per ioctl, each in the file of the object it serves */
int iommufd_destroy(struct iommufd_ucmd *ucmd);
int iommufd_option(struct iommufd_ucmd *ucmd);
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd);
long iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned int cmd,
			unsigned long arg);

/* Per-type object behaviour, indexed by enum iommufd_object_type */
extern const struct iommufd_object_ops iommufd_object_ops[IOMMUFD_OBJ_MAX];

#endif
