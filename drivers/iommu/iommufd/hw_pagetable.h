/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hardware page tables (HWPTs): the iommu_domains that devices attach to.
 *
 * Contract
 * --------
 * - A paging HWPT owns one paging domain and depends on exactly one IOAS
 *   (a long-term reference).  Its domain is linked to that IOAS's page
 *   table, and so maps every mapping of the IOAS, from the moment the HWPT
 *   becomes visible until it is destroyed ("a paging HWPT mirrors one IOAS
 *   for life", iommufd_private.h).  Attaching and detaching devices never
 *   links or unlinks it.
 * - Every device attached to a HWPT holds a long-term reference on it, so
 *   a HWPT in use cannot be destroyed (-EBUSY).
 * - An automatic HWPT is one the kernel created because a device was
 *   attached straight to an IOAS.  It sits on the IOAS's auto_hwpts list,
 *   is shared by every compatible device attached to that IOAS, and is
 *   destroyed when its last device leaves.  A HWPT made with
 *   IOMMU_HWPT_ALLOC is never automatic and lives until user space
 *   destroys it.
 * - Properties fixed at creation (nesting parent, dirty tracking
 *   capability) never change afterwards.  Cache coherency enforcement is
 *   decided at creation for the device the HWPT is made for, and may be
 *   turned on later, never off, when a device that needs it attaches.
 * - A nested HWPT owns a domain that user space describes in the IOMMU
 *   driver's own format (a stage-1 table living in guest memory), which
 *   translates on top of its parent's domain.  Its parent is a paging HWPT
 *   made with IOMMU_HWPT_ALLOC_NEST_PARENT, never an automatic one, on
 *   which it holds a long-term reference.  A nested HWPT is linked to no
 *   IOAS: the parent's linkage alone puts the IOAS under it, and devices
 *   coming and going on the nested HWPT leave that linkage alone.  The
 *   IOVA that attached devices reserve is
 *   reserved in the parent's IOAS, because that is where their DMA ends.
 * - A nested HWPT may send the I/O page faults of its devices to a fault
 *   queue (fault.h), named at allocation and referenced for its life.
 * - A nested HWPT allocated through a vIOMMU (viommu.h) depends on the
 *   vIOMMU as well as on its nesting parent; the vIOMMU's driver makes its
 *   domain, and only devices behind the vIOMMU's IOMMU instance can have
 *   one made.
 * - Dirty tracking is a property of paging domains only: it is switched
 *   on and read through the paging HWPT, walking the mappings of its IOAS.
 */
#ifndef __IOMMUFD_HW_PAGETABLE_H
#define __IOMMUFD_HW_PAGETABLE_H

#include <linux/list.h>
#include <linux/types.h>

#include "iommufd_private.h"

struct iommu_domain;
struct iommufd_device;
struct iommufd_fault;
struct iommufd_ioas;

/**
 * struct iommufd_hwpt - what every kind of HWPT has
 * @obj: the object header; the ID devices are attached by
 * @domain: the domain the IOMMU translates through; owned
 * @fault: the fault queue the I/O page faults of attached devices go to,
 *         with a long-term reference, or NULL (only nested HWPTs have one)
 * @pasid_compat: allocated with IOMMU_HWPT_ALLOC_PASID: the driver made the
 *                domain so that it can serve PASIDs, and a device with
 *                PASIDs attached may have it on its RID (device.h)
 * @attachments: how many attachment records (device.h) name the HWPT, of
 *               RIDs and PASIDs; for fdinfo only, which reads it without
 *               the group locks that change it
 */
struct iommufd_hwpt {
	struct iommufd_object obj;
	struct iommu_domain *domain;
	struct iommufd_fault *fault;
	bool pasid_compat;
	atomic_t attachments;
};

static_assert(offsetof(struct iommufd_hwpt, obj) == 0);

/**
 * struct iommufd_hwpt_paging - a HWPT whose domain mirrors an IOAS
 * @common: the HWPT
 * @ioas: the IOAS it mirrors; a long-term reference is held
 * @auto_link: entry in @ioas->auto_hwpts while @auto_domain, under
 *             @ioas->mutex; empty otherwise
 * @auto_domain: created for a device attached straight to @ioas
 * @linked: @common.domain is linked to @ioas's page table
 * @enforce_cache_coherency: the domain forces DMA to snoop CPU caches; set
 *                           once under hw_pagetable.c's coherency lock,
 *                           read without it
 * @nest_parent: allocated with IOMMU_HWPT_ALLOC_NEST_PARENT
 * @msi_cookie: the software MSI window of the attached devices is set up
 *              in the domain (under device.c's MSI cookie lock)
 */
struct iommufd_hwpt_paging {
	struct iommufd_hwpt common;
	struct iommufd_ioas *ioas;
	struct list_head auto_link;
	bool auto_domain;
	bool linked;
	bool enforce_cache_coherency;
	bool nest_parent;
	bool msi_cookie;
};

static_assert(offsetof(struct iommufd_hwpt_paging, common.obj) == 0);

/**
 * struct iommufd_hwpt_nested - a HWPT translating on top of a paging HWPT
 * @common: the HWPT; its domain is of type IOMMU_DOMAIN_NESTED
 * @parent: the paging HWPT it nests on; a long-term reference is held
 * @viommu: the vIOMMU it was allocated through, with a long-term
 *          reference, or NULL
 */
struct iommufd_hwpt_nested {
	struct iommufd_hwpt common;
	struct iommufd_hwpt_paging *parent;
	struct iommufd_viommu *viommu;
};

static_assert(offsetof(struct iommufd_hwpt_nested, common.obj) == 0);

/* The paging HWPT @hwpt is, or NULL if it is of another kind */
static inline struct iommufd_hwpt_paging *
iommufd_hwpt_to_paging(struct iommufd_hwpt *hwpt)
{
	if (hwpt->obj.type != IOMMUFD_OBJ_HWPT_PAGING)
		return NULL;
	return container_of(hwpt, struct iommufd_hwpt_paging, common);
}

/* The nested HWPT @hwpt is, or NULL if it is of another kind */
static inline struct iommufd_hwpt_nested *
iommufd_hwpt_to_nested(struct iommufd_hwpt *hwpt)
{
	if (hwpt->obj.type != IOMMUFD_OBJ_HWPT_NESTED)
		return NULL;
	return container_of(hwpt, struct iommufd_hwpt_nested, common);
}

/*
 * The paging HWPT whose IOAS the DMA through @hwpt ends up in: @hwpt
 * itself, or the parent of a nested HWPT.  Reserved IOVA and the MSI
 * window of attached devices belong there.
 */
static inline struct iommufd_hwpt_paging *
iommufd_hwpt_base_paging(struct iommufd_hwpt *hwpt)
{
	struct iommufd_hwpt_nested *hwpt_nested = iommufd_hwpt_to_nested(hwpt);

	if (hwpt_nested)
		return hwpt_nested->parent;
	return iommufd_hwpt_to_paging(hwpt);
}

/*
 * Look up a paging HWPT by ID with a short-term reference; ERR_PTR(-ENOENT)
 * if @id names no paging HWPT.
 */
static inline struct iommufd_hwpt_paging *
iommufd_get_hwpt_paging(struct iommufd_ctx *ictx, u32 id)
{
	return container_of(iommufd_get_object(ictx, id,
					       IOMMUFD_OBJ_HWPT_PAGING),
			    struct iommufd_hwpt_paging, common.obj);
}

struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_ioas *ioas,
			  struct iommufd_device *idev, u32 flags);
int iommufd_hwpt_paging_link(struct iommufd_hwpt_paging *hwpt_paging);
int iommufd_hwpt_paging_enforce_cc(struct iommufd_hwpt_paging *hwpt_paging);
void iommufd_hwpt_drop_device(struct iommufd_ctx *ictx,
			      struct iommufd_hwpt *hwpt);

/*
 * Look up a nested HWPT by ID with a short-term reference; ERR_PTR(-ENOENT)
 * if @id names no nested HWPT.
 */
static inline struct iommufd_hwpt_nested *
iommufd_get_hwpt_nested(struct iommufd_ctx *ictx, u32 id)
{
	return container_of(iommufd_get_object(ictx, id,
					       IOMMUFD_OBJ_HWPT_NESTED),
			    struct iommufd_hwpt_nested, common.obj);
}

int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd);

#endif
