/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fault queues: I/O page faults of the devices attached to a HWPT, handed
 * to user space through a file descriptor and answered through it.
 *
 * Contract
 * --------
 * - A fault queue is an object (IOMMU_FAULT_QUEUE_ALLOC) with a file
 *   descriptor of its own.  The descriptor holds a long-term reference on
 *   the object and a reference on the context, so the object cannot be
 *   destroyed while the descriptor is open (-EBUSY), and the context lives
 *   until it is closed.
 * - A nested HWPT may be given a fault queue when it is allocated
 *   (IOMMU_HWPT_FAULT_ID_VALID); it holds a long-term reference on it.
 *   Devices attached to such a HWPT have I/O page faults enabled for as
 *   long as they are attached.
 * - The iommu core hands each group of page requests, with the attach
 *   handle it was raised through, to iommufd_fault_iopf_handler(), which
 *   queues it.  read() gives it to user space with a cookie and keeps it
 *   until write() answers that cookie.
 * - Every group is answered exactly once: by user space, or by the kernel
 *   (as invalid) when the attach handle it came through stops being used
 *   (detach, replace: iommufd_fault_retire_handle(), which the caller must
 *   run before freeing the handle, maintainer rule 3), or when the
 *   descriptor is closed.  After the close, new groups are answered as
 *   invalid at once, so a device never waits for an answer nobody can
 *   give.
 *
 * Locking: fault->lock protects the queues; it is taken inside the locks
 * of device.c and outside the iommu core's fault parameter lock, which
 * answering a group takes.
 */
#ifndef __IOMMUFD_FAULT_H
#define __IOMMUFD_FAULT_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "iommufd_private.h"

struct iommu_attach_handle;
struct iopf_group;

/**
 * struct iommufd_fault - a fault queue
 * @obj: the object header
 * @ictx: the context; the descriptor holds a reference on it
 * @lock: protects the members below
 * @unread: struct iopf_group (by node) not yet read by user space, oldest
 *          first
 * @awaiting: cookie -> struct iopf_group read by user space and waiting for
 *            its answer
 * @readers: readers and pollers wait here for @unread to fill
 * @closed: the descriptor is gone; new groups are answered at once
 */
struct iommufd_fault {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	/* Protects the members below */
	struct mutex lock;
	struct list_head unread;
	struct xarray awaiting;
	wait_queue_head_t readers;
	bool closed;
};

static_assert(offsetof(struct iommufd_fault, obj) == 0);

/*
 * Look up a fault queue by ID with a short-term reference; ERR_PTR(-ENOENT)
 * if @id names no fault queue.
 */
static inline struct iommufd_fault *iommufd_get_fault(struct iommufd_ctx *ictx,
						      u32 id)
{
	return container_of(iommufd_get_object(ictx, id, IOMMUFD_OBJ_FAULT),
			    struct iommufd_fault, obj);
}

int iommufd_fault_alloc(struct iommufd_ucmd *ucmd);
void iommufd_fault_destroy(struct iommufd_object *obj);
int iommufd_fault_iopf_handler(struct iopf_group *group);
void iommufd_fault_retire_handle(struct iommufd_fault *fault,
				 struct iommu_attach_handle *handle);

#endif
