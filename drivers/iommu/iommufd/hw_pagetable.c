// SPDX-License-Identifier: GPL-2.0-only
/*
 * Paging HWPTs: creation (for IOMMU_HWPT_ALLOC and for automatic domains),
 * linking to their IOAS, and destruction.  hw_pagetable.h states the rules.
 */
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/mutex.h>
#include <uapi/linux/iommufd.h>

#include "../iommu-priv.h"
#include "device.h"
#include "hw_pagetable.h"
#include "ioas.h"

#define IOMMUFD_HWPT_PAGING_FLAGS                                              \
	(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING)

/* Refuse what the device's IOMMU could not honour before allocating */
static int iommufd_hwpt_paging_check_flags(struct iommufd_device *idev,
					   u32 flags)
{
	const struct iommu_ops *ops = dev_iommu_ops(idev->dev);

	if (flags & ~IOMMUFD_HWPT_PAGING_FLAGS)
		return -EOPNOTSUPP;
	/* Only the user allocation op can be told about flags */
	if (flags && !ops->domain_alloc_user)
		return -EOPNOTSUPP;
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    !device_iommu_capable(idev->dev, IOMMU_CAP_DIRTY_TRACKING))
		return -EOPNOTSUPP;
	return 0;
}

static struct iommu_domain *iommufd_paging_domain_new(struct iommufd_device *idev,
						      u32 flags)
{
	const struct iommu_ops *ops = dev_iommu_ops(idev->dev);
	struct iommu_domain *domain;

	if (!ops->domain_alloc_user)
		return iommu_paging_domain_alloc(idev->dev);

	domain = ops->domain_alloc_user(idev->dev, flags, NULL, NULL);
	if (IS_ERR(domain))
		return domain;
	/*
	 * The core records the owning driver only for domains it allocates;
	 * attaching checks it.
	 */
	domain->owner = ops;
	return domain;
}

/**
 * iommufd_hwpt_paging_alloc() - create a paging HWPT for a device
 * @ioas: the IOAS the HWPT will mirror; the caller holds a reference
 * @idev: the device whose IOMMU makes the domain
 * @flags: IOMMU_HWPT_ALLOC_* flags from user space, 0 for automatic HWPTs
 *
 * The HWPT is created unlinked and unpublished, in @idev's context.  The
 * caller links it with iommufd_hwpt_paging_link() (maintainer rule 2 says
 * when), then finalizes it, or undoes everything with
 * iommufd_object_abort_and_destroy().
 *
 * Context: process context; may sleep.
 * Return: the new HWPT; ERR_PTR(-EOPNOTSUPP) for flags the device's IOMMU
 * does not support, -ENOMEM, or the driver's error.
 */
struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_ioas *ioas,
			  struct iommufd_device *idev, u32 flags)
{
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommu_domain *domain;
	int rc;

	rc = iommufd_hwpt_paging_check_flags(idev, flags);
	if (rc)
		return ERR_PTR(rc);

	hwpt_paging = iommufd_object_alloc(idev->ictx, struct iommufd_hwpt_paging,
					   IOMMUFD_OBJ_HWPT_PAGING);
	if (IS_ERR(hwpt_paging))
		return hwpt_paging;
	INIT_LIST_HEAD(&hwpt_paging->auto_link);
	hwpt_paging->ioas = ioas;
	iommufd_object_ref(&ioas->obj);
	hwpt_paging->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;

	domain = iommufd_paging_domain_new(idev, flags);
	if (IS_ERR(domain)) {
		rc = PTR_ERR(domain);
		goto err_destroy;
	}
	hwpt_paging->common.domain = domain;

	/*
	 * Some IOMMUs choose snooping per PTE, so this must be settled before
	 * the first mapping and never change.  The domain may still serve
	 * devices that do not ask for it.  An IOMMU that offers enforcement
	 * for the device but refuses it on a fresh domain is broken.
	 */
	if (idev->enforce_cache_coherency) {
		if (WARN_ON(!domain->ops->enforce_cache_coherency ||
			    !domain->ops->enforce_cache_coherency(domain))) {
			rc = -EINVAL;
			goto err_destroy;
		}
		hwpt_paging->enforce_cache_coherency = true;
	}
	return hwpt_paging;

err_destroy:
	iommufd_object_abort_and_destroy(idev->ictx, &hwpt_paging->common.obj);
	return ERR_PTR(rc);
}

/**
 * iommufd_hwpt_paging_link() - make a new HWPT's domain mirror its IOAS
 * @hwpt_paging: a HWPT from iommufd_hwpt_paging_alloc(), not yet linked
 *
 * Maps every mapping of the IOAS into the domain; from now on the IOAS
 * keeps the domain in sync until the HWPT is destroyed.
 *
 * Context: process context; may sleep.
 * Return: 0, or the error of iopt_add_domain(), after which nothing is
 * linked.
 */
int iommufd_hwpt_paging_link(struct iommufd_hwpt_paging *hwpt_paging)
{
	int rc;

	rc = iopt_add_domain(&hwpt_paging->ioas->iopt,
			     hwpt_paging->common.domain);
	if (rc)
		return rc;
	hwpt_paging->linked = true;
	return 0;
}

/**
 * iommufd_hwpt_paging_destroy() - release what a paging HWPT holds
 * @obj: the HWPT's object; no device is attached any more
 *
 * Also undoes a creation that failed part way, so every step checks
 * whether it was reached.
 */
void iommufd_hwpt_paging_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt_paging =
		container_of(obj, struct iommufd_hwpt_paging, common.obj);
	struct iommufd_ioas *ioas = hwpt_paging->ioas;

	/* Only a finalized automatic HWPT is on the list */
	if (!list_empty(&hwpt_paging->auto_link)) {
		scoped_guard(mutex, &ioas->mutex)
			list_del(&hwpt_paging->auto_link);
	}
	if (hwpt_paging->linked)
		iopt_remove_domain(&ioas->iopt, hwpt_paging->common.domain);
	if (hwpt_paging->common.domain)
		iommu_domain_free(hwpt_paging->common.domain);
	iommufd_object_unref(&ioas->obj);
}

/**
 * iommufd_hwpt_drop_device() - a device attachment let go of a HWPT
 * @ictx: the context of the HWPT
 * @hwpt: the HWPT, on which the attachment held a long-term reference
 *
 * An automatic HWPT goes with its last device, unless user space has
 * started to depend on it in another way meanwhile.
 *
 * Context: process context; may sleep.  No iommufd lock may be held: the
 * destroy takes the IOAS mutex.
 */
void iommufd_hwpt_drop_device(struct iommufd_ctx *ictx,
			      struct iommufd_hwpt *hwpt)
{
	struct iommufd_hwpt_paging *hwpt_paging = iommufd_hwpt_to_paging(hwpt);

	if (hwpt_paging && hwpt_paging->auto_domain)
		iommufd_object_unref_destroy(ictx, &hwpt->obj);
	else
		iommufd_object_unref(&hwpt->obj);
}

/* IOMMU_HWPT_ALLOC of a paging HWPT mirroring @ioas */
static int iommufd_hwpt_alloc_paging(struct iommufd_ucmd *ucmd,
				     struct iommufd_ioas *ioas,
				     struct iommufd_device *idev)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt_paging;
	int rc;

	/* The kernel builds a paging table from the IOAS: nothing to describe */
	if (cmd->data_type != IOMMU_HWPT_DATA_NONE)
		return -EOPNOTSUPP;

	hwpt_paging = iommufd_hwpt_paging_alloc(ioas, idev, cmd->flags);
	if (IS_ERR(hwpt_paging))
		return PTR_ERR(hwpt_paging);
	/* Linked before anyone can attach to it (maintainer rule 2) */
	rc = iommufd_hwpt_paging_link(hwpt_paging);
	if (rc) {
		iommufd_object_abort_and_destroy(ucmd->ictx,
						 &hwpt_paging->common.obj);
		return rc;
	}
	cmd->out_hwpt_id = hwpt_paging->common.obj.id;
	return iommufd_object_publish_to_user(ucmd, &hwpt_paging->common.obj,
					      sizeof(*cmd));
}

/* IOMMU_HWPT_ALLOC once both IDs named something; dispatch on @pt_obj */
static int iommufd_hwpt_alloc_on(struct iommufd_ucmd *ucmd,
				 struct iommufd_object *pt_obj,
				 struct iommufd_device *idev)
{
	switch (pt_obj->type) {
	case IOMMUFD_OBJ_IOAS:
		return iommufd_hwpt_alloc_paging(ucmd,
						 container_of(pt_obj,
							      struct iommufd_ioas,
							      obj),
						 idev);
	case IOMMUFD_OBJ_HWPT_PAGING:
		/* Nested HWPTs on a parent are not supported yet */
		return -EOPNOTSUPP;
	default:
		return -EINVAL;
	}
}

int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	bool has_data_type = cmd->data_type != IOMMU_HWPT_DATA_NONE;
	struct iommufd_object *pt_obj;
	struct iommufd_device *idev;
	int rc;

	if (cmd->__reserved || cmd->__reserved2)
		return -EOPNOTSUPP;
	/* Driver data comes with a type and a type with driver data */
	if (has_data_type != !!cmd->data_len)
		return -EINVAL;

	idev = iommufd_get_device(ucmd->ictx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	pt_obj = iommufd_get_object(ucmd->ictx, cmd->pt_id, IOMMUFD_OBJ_ANY);
	if (!IS_ERR(pt_obj)) {
		rc = iommufd_hwpt_alloc_on(ucmd, pt_obj, idev);
		iommufd_put_object(ucmd->ictx, pt_obj);
	} else {
		/* A pt_id naming nothing is as unsuitable as a wrong one */
		rc = -EINVAL;
	}
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}
