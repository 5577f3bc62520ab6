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
 *   handle it was raised through, to iommufd_fault_iopf_handler().  The
 *   core keeps one handle per IOMMU group, which may belong to another
 *   device of the group than the one that faulted, so the handler
 *   re-points the group at the faulting device's own attachment (named by
 *   the core's fault parameter): from then on that attachment is what the
 *   group is reported with and retired by.  A request on a PASID that is
 *   attached belongs to that PASID's attachment; one on a PASID that is
 *   not, which the core routes to the RID's nested domain, to the RID's.
 *   read() gives a group to user space with a cookie and keeps it until
 *   write() answers that cookie.
 * - Every group is answered exactly once: by user space, or by the kernel
 *   (as invalid) when the attachment it belongs to goes away (detach,
 *   replace: iommufd_fault_retire_attach(), which the caller runs before
 *   freeing the attachment, so that the device is never left waiting), or
 *   when the descriptor is closed.  After the close, new groups are
 *   answered as invalid at once, so a device never waits for an answer
 *   nobody can give.
 * - A queue holds at most IOMMUFD_FAULT_MAX_DEPTH groups that are not
 *   answered yet, read or not: beyond that a new group is answered as
 *   invalid at once.  Groups are the iommu core's memory, not charged to
 *   anybody, so a queue user space never reads must not grow without end.
 *
 * Locking: fault->lock protects the queues and is only ever held for a
 * short, bounded time: never across a copy from or to user space, so that
 * a reader whose buffer never faults in stalls neither the IOMMU's fault
 * path nor a detach.  Groups are answered under it, so that a group is on
 * a queue until the moment it is answered: retiring an attachment, after
 * which the device's faults may be turned off (which frees every group
 * still pending), then never races with an answer in flight.  It is taken
 * inside the group lock of device.c and outside the iommu core's fault
 * parameter lock, which answering takes.
 */
#ifndef __IOMMUFD_FAULT_H
#define __IOMMUFD_FAULT_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "iommufd_private.h"

struct iommufd_attach;
struct iopf_group;

/*
 * Groups a fault queue holds at most; above any hardware's page-request
 * queue (VT-d's holds 2048 requests), so only a queue nobody reads fills
 */
#define IOMMUFD_FAULT_MAX_DEPTH 4096

/**
 * struct iommufd_fault - a fault queue
 * @obj: the object header
 * @ictx: the context; the descriptor holds a reference on it
 * @lock: protects the members below; see the locking rules above
 * @unread: struct iopf_group (by node) not yet read by user space, oldest
 *          first
 * @awaiting: cookie -> struct iopf_group handed to user space and waiting
 *            for its answer
 * @depth: groups on @unread and @awaiting: not answered yet; at most
 *         IOMMUFD_FAULT_MAX_DEPTH
 * @readers: pollers wait here for @unread to fill
 * @closed: the descriptor is gone; new groups are answered at once
 */
struct iommufd_fault {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	/* Protects the members below */
	struct mutex lock;
	struct list_head unread;
	struct xarray awaiting;
	unsigned int depth;
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
int iommufd_fault_iopf_handler(struct iopf_group *group);
void iommufd_fault_retire_attach(struct iommufd_fault *fault,
				 struct iommufd_attach *attach);

#endif
