/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Devices bound to an iommufd context, and their attachments to HWPTs.
 *
 * Contract
 * --------
 * - A device is bound by an in-kernel owner (VFIO, or the selftest), which
 *   holds a long-term reference on the device object until it unbinds: user
 *   space can name the device by its ID but cannot destroy it (-EBUSY).
 *   Binding claims DMA ownership of the device for the context.
 * - The IOMMU core attaches whole IOMMU groups, so the bound devices of one
 *   group in one context share a struct iommufd_group, and all devices of
 *   a group that are attached are attached to the same HWPT: the group's.
 *   The first device to attach attaches the group; the last to detach puts
 *   it back to blocking DMA.
 * - Each attachment of a device, of its RID or of one of its PASIDs, is a
 *   struct iommufd_attach carrying the iommu core's attach handle, so that
 *   the core's handle, which it keeps per (group, PASID), leads back to
 *   the device in O(1).  A device has at most one attachment per PASID;
 *   attaching again is -EBUSY, moving it is a replace ("one attachment
 *   per device and PASID").
 * - PASIDs are attached per device, not per group: the RID rules about
 *   the group's one HWPT, reserved regions and MSI windows do not apply
 *   to them.  A PASID only goes on a HWPT allocated with
 *   IOMMU_HWPT_ALLOC_PASID, and while any PASID of the group is attached
 *   the RID may only be on such a HWPT (or detached).  Detaching or
 *   replacing a PASID answers its unanswered page requests, never those
 *   of the RID or of another PASID.
 * - A device may have a vDEVICE on a vIOMMU; it holds nothing on the
 *   device, whose destroy destroys it first (viommu.h).
 * - While a device is attached to a paging HWPT, the IOVA its platform
 *   reserves (MSI doorbells, firmware ranges) is reserved in that HWPT's
 *   IOAS, owned by the struct iommufd_device.
 *
 * Locking, outermost first: the IOAS mutex (finding or creating an
 * automatic HWPT), then iommufd_group::lock, then the IOAS page table's and
 * the iommu core's own locks.  The group lock may be held while the DMA API
 * MSI cookie of a domain is set up, never while a HWPT is destroyed.
 */
#ifndef __IOMMUFD_DEVICE_H
#define __IOMMUFD_DEVICE_H

#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/xarray.h>

#include "iommufd_private.h"

struct iommufd_hwpt;

/**
 * struct iommufd_group - the devices of one IOMMU group bound to a context
 * @group: the IOMMU group; a reference is held
 * @ictx: the context, not referenced: the group record goes with the last
 *        of its devices, before the context can go
 * @devices: the bound struct iommufd_device, by group_link; changed only
 *           under device.c's group table lock
 * @lock: serialises attaching, replacing and detaching the devices of the
 *        group; protects the members below and each device's attachments
 * @hwpt: the HWPT the group's RID is attached to, or NULL while DMA is
 *        blocked
 * @rid_attachments: the RID attachments of the group's devices (struct
 *                   iommufd_attach, by rid_link) in the order they were
 *                   made; the first one's handle is the one the iommu core
 *                   holds for the group.  Changed under @lock with the RCU
 *                   list primitives, because fault deliveries walk it
 *                   without @lock.
 * @pasid_users: PASID attachments of the group's devices, under @lock
 */
struct iommufd_group {
	struct iommu_group *group;
	struct iommufd_ctx *ictx;
	struct list_head devices;
	/* Serialises attach, replace and detach in the group */
	struct mutex lock;
	struct iommufd_hwpt *hwpt;
	struct list_head rid_attachments;
	unsigned int pasid_users;
};

/**
 * struct iommufd_device - a device bound to an iommufd context
 * @obj: the object header; the ID user space names the device by
 * @ictx: the context
 * @dev: the device
 * @igroup: the record of the device's IOMMU group
 * @group_link: entry in @igroup->devices
 * @attachments: PASID (IOMMU_NO_PASID for the RID) -> struct
 *               iommufd_attach, under @igroup->lock
 * @iopf_users: attachments to HWPTs with a fault queue, which need the
 *              device's I/O page faults enabled; under @igroup->lock
 * @enforce_cache_coherency: the IOMMU can force the device's DMA to snoop,
 *                           so the domains made for it do
 * @ictx_referenced: a reference on @ictx is held for the owner; not for an
 *                   owner inside @ictx (iommufd_device_bind_owned())
 * @vdev: the device's vDEVICE (viommu.h), or NULL; under @igroup->lock,
 *        and read without it only to see whether it went
 */
struct iommufd_device {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct device *dev;
	struct iommufd_group *igroup;
	struct list_head group_link;
	struct xarray attachments;
	unsigned int iopf_users;
	bool enforce_cache_coherency;
	bool ictx_referenced;
	struct iommufd_vdevice *vdev;
};

static_assert(offsetof(struct iommufd_device, obj) == 0);

/**
 * struct iommufd_attach - one attachment of a device to a HWPT
 * @handle: what the iommu core stores for the attachment; its domain is
 *          set by the core
 * @idev: the attached device
 * @hwpt: the HWPT; the attachment holds a long-term reference on it
 * @hwpt_id: @hwpt's object ID, which fdinfo reads under RCU: the record
 *           is freed after a grace period, the HWPT may not be
 * @pasid: IOMMU_NO_PASID for the RID
 * @rid_link: entry in the group's rid_attachments (RID only; a PASID
 *            attachment is found through its device's attachments)
 * @iopf_enabled: counted in @idev->iopf_users, because @hwpt has a fault
 *                queue
 * @rcu: fault deliveries walk the group's list under RCU, so the record is
 *       freed after a grace period
 *
 * The core holds the handle of one attachment per group and PASID, but
 * page requests are queued in the HWPT's fault queue with the attachment
 * of the device that raised them (fault.h).  Before an attachment is freed
 * the deliveries that might still use it are flushed and its queued
 * requests are all answered ("detach answers the faults it leaves
 * behind").
 */
struct iommufd_attach {
	struct iommu_attach_handle handle;
	struct iommufd_device *idev;
	struct iommufd_hwpt *hwpt;
	u32 hwpt_id;
	ioasid_t pasid;
	struct list_head rid_link;
	bool iopf_enabled;
	struct rcu_head rcu;
};

/* The attachment behind an attach handle that iommufd gave the core */
static inline struct iommufd_attach *
iommufd_attach_from_handle(struct iommu_attach_handle *handle)
{
	return container_of(handle, struct iommufd_attach, handle);
}

/*
 * Look up a device by ID with a short-term reference; ERR_PTR(-ENOENT) if
 * @id names no device.
 */
static inline struct iommufd_device *
iommufd_get_device(struct iommufd_ctx *ictx, u32 id)
{
	return container_of(iommufd_get_object(ictx, id, IOMMUFD_OBJ_DEVICE),
			    struct iommufd_device, obj);
}

struct iommufd_device *iommufd_device_bind_owned(struct iommufd_ctx *ictx,
						 struct device *dev, u32 *id);
struct iommufd_attach *
iommufd_attach_of_faulting_device(struct iommufd_attach *raised_through,
				  struct device *dev);
void iommufd_device_detach_all(struct iommufd_device *idev);
int iommufd_get_hw_info(struct iommufd_ucmd *ucmd);

#endif
