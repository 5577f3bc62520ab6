/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Emulated accesses: how a kernel driver with no DMA of its own (a VFIO
 * mediated device, for instance) reads, writes and pins the memory of an
 * IOAS by IOVA, with the CPU.  The in-kernel API is declared in
 * <linux/iommufd.h> and documented in access.c.
 *
 * Contract
 * --------
 * Ownership.  An access belongs to the kernel caller of
 * iommufd_access_create() until it calls iommufd_access_destroy().
 * iommufd's own objects may have an internal access
 * (iommufd_access_create_internal()), which user space never sees, which
 * holds no reference on the context, and whose pins are fixed: it has no
 * unmap callback, so unmapping what it pinned fails with -EBUSY.  Its
 * object ID is visible to user space (VFIO reports it as the device ID of
 * an emulated device), but the owner holds a long-term reference on it, so
 * IOMMU_DESTROY of that ID fails with -EBUSY and never frees the access
 * under its owner.  The access holds a reference on its context, so the
 * context outlives it.
 *
 * Attachment.  An access is attached to at most one IOAS, on which it holds
 * a long-term reference (so destroying that IOAS fails with -EBUSY), and it
 * is registered in that IOAS's page table with the IOVA alignment it needs:
 * PAGE_SIZE for an access that pins pages, since it hands out whole struct
 * pages, and 1 for one that only copies.
 *
 * The unmap promise.  Before a mapping under pages the owner pinned is
 * removed, the owner's ops->unmap() is called for a range covering them and
 * must unpin them before it returns.  The same callback, for all of the IOVA
 * space, revokes every pin when the access leaves an IOAS (detach, replace,
 * destroy).  The callback runs with no lock of iommufd held, may sleep, and
 * may call iommufd_access_unpin_pages() and iommufd_access_rw(); it must
 * not attach, replace, detach or destroy the access, and the owner must not
 * hold a lock the callback takes while it calls any of those four.
 *
 * Locking
 * -------
 * @change_lock serialises attach, replace, detach and destroy, and is held
 * across their unmap callback.
 *
 * @ioas_rwsem protects @ioas, @pinned_ioas, @pins_blocked and @slot_id,
 * which change only with both it (for write) and @change_lock held, so
 * either is enough to read them.  Pinning, unpinning and copying hold it
 * for read across the page table call, so an IOAS cannot be left while one
 * of them uses it; a change holds it for write only to flip those fields,
 * never across a callback.
 *
 * @notifying counts unmap callbacks running for this access.  It is raised
 * under the lock of the page table's accesses xarray, which removing the
 * access from the page table also takes, so once the access is out of that
 * xarray and the count has drained, no callback from that IOAS runs or can
 * start.
 *
 * Order: owner's locks -> @change_lock -> @ioas_rwsem -> the page table's
 * iova_rwsem -> its pages locks.  Nothing here is taken under a page table
 * lock: the page table calls iommufd_access_notify_unmap() with none held.
 */
#ifndef __IOMMUFD_ACCESS_H
#define __IOMMUFD_ACCESS_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/types.h>

#include "iommufd_private.h"

struct iommufd_access_ops;
struct iommufd_ioas;

/**
 * struct iommufd_access - an emulated access to the memory of an IOAS
 * @obj: the object header; its ID is reported to user space
 * @ictx: the context, referenced for the access's whole life
 * @ops: the owner's callbacks
 * @owner_data: passed back to @ops
 * @iova_alignment: what the access asks of the IOAS it is attached to
 * @change_lock: see the locking rules above
 * @ioas_rwsem: see the locking rules above
 * @ioas: the attached IOAS, where copies and new pins go; NULL if detached
 * @pinned_ioas: the IOAS the owner's existing pins live in, which unpinning
 *               uses.  Equal to @ioas except during a change, while the
 *               owner is told to drop its pins in the IOAS being left.
 * @pins_blocked: a change is revoking the pins of @pinned_ioas, so new pins
 *                are refused until it is done
 * @slot_id: the access's entry in the registry of @ioas's page table
 * @notifying: unmap callbacks in flight, see the locking rules above
 */
struct iommufd_access {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	const struct iommufd_access_ops *ops;
	void *owner_data;
	unsigned long iova_alignment;

	/* Serialises attach, replace, detach and destroy */
	struct mutex change_lock;
	struct rw_semaphore ioas_rwsem;
	struct iommufd_ioas *ioas;
	struct iommufd_ioas *pinned_ioas;
	bool pins_blocked;
	u32 slot_id;

	atomic_t notifying;
};

static_assert(offsetof(struct iommufd_access, obj) == 0);

struct iommufd_access *iommufd_access_create_internal(struct iommufd_ctx *ictx);
int iommufd_access_attach_internal(struct iommufd_access *access,
				   struct iommufd_ioas *ioas);
void iommufd_access_destroy_internal(struct iommufd_ctx *ictx,
				     struct iommufd_access *access);

#endif
