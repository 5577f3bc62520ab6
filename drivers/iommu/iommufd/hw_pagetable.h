/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hardware page tables (HWPTs): the iommu_domains that devices attach to.
 *
 * Contract
 * --------
 * - A paging HWPT owns one paging domain and depends on exactly one IOAS
 *   (a long-term reference).  Its domain is linked to that IOAS's page
 *   table, and so maps every mapping of the IOAS, from the moment the HWPT
 *   becomes visible until it is destroyed (maintainer rule 1).  Attaching
 *   and detaching devices never links or unlinks it.
 * - Every device attached to a HWPT holds a long-term reference on it, so
 *   a HWPT in use cannot be destroyed (-EBUSY).
 * - An automatic HWPT is one the kernel created because a device was
 *   attached straight to an IOAS.  It sits on the IOAS's auto_hwpts list,
 *   is shared by every compatible device attached to that IOAS, and is
 *   destroyed when its last device leaves.  A HWPT made with
 *   IOMMU_HWPT_ALLOC is never automatic and lives until user space
 *   destroys it.
 * - Properties fixed at creation (cache coherency enforcement, nesting
 *   parent) never change afterwards.
 */
#ifndef __IOMMUFD_HW_PAGETABLE_H
#define __IOMMUFD_HW_PAGETABLE_H

#include <linux/list.h>
#include <linux/types.h>

#include "iommufd_private.h"

struct iommu_domain;
struct iommufd_device;
struct iommufd_ioas;

/**
 * struct iommufd_hwpt - what every kind of HWPT has
 * @obj: the object header; the ID devices are attached by
 * @domain: the domain the IOMMU translates through; owned
 */
struct iommufd_hwpt {
	struct iommufd_object obj;
	struct iommu_domain *domain;
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
 * @enforce_cache_coherency: the domain forces DMA to snoop CPU caches
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

/* The paging HWPT @hwpt is, or NULL if it is of another kind */
static inline struct iommufd_hwpt_paging *
iommufd_hwpt_to_paging(struct iommufd_hwpt *hwpt)
{
	if (hwpt->obj.type != IOMMUFD_OBJ_HWPT_PAGING)
		return NULL;
	return container_of(hwpt, struct iommufd_hwpt_paging, common);
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
void iommufd_hwpt_paging_destroy(struct iommufd_object *obj);
void iommufd_hwpt_drop_device(struct iommufd_ctx *ictx,
			      struct iommufd_hwpt *hwpt);

int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd);

#endif
