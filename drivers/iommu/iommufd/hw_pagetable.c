// SPDX-License-Identifier: GPL-2.0-only
/*
 * HWPTs: paging HWPTs (created by IOMMU_HWPT_ALLOC and for automatic
 * domains, linked to their IOAS) and nested HWPTs on them, their
 * destruction, and the ioctls that work on an existing HWPT: cache
 * invalidation and dirty tracking.  hw_pagetable.h states the rules.
 */
#include <linux/cleanup.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <uapi/linux/iommufd.h>

#include "../iommu-priv.h"
#include "device.h"
#include "fault.h"
#include "hw_pagetable.h"
#include "ioas.h"
#include "viommu.h"

#define IOMMUFD_HWPT_PAGING_FLAGS                                              \
	(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING |      \
	 IOMMU_HWPT_ALLOC_PASID)

/* What a nested HWPT may be asked for; only PASID use concerns the driver */
#define IOMMUFD_HWPT_NESTED_FLAGS                                              \
	(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID)

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
 * iommufd_hwpt_paging_destroy() - release what a paging HWPT holds
 * @obj: the HWPT's object; no device is attached any more
 *
 * Also undoes a creation that failed part way, so every step checks
 * whether it was reached.
 */
static void iommufd_hwpt_paging_destroy(struct iommufd_object *obj)
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

/*
 * Everything shown is fixed at creation or, like the coherency and the
 * count of attachments, read as a snapshot without a lock.
 */
static void iommufd_hwpt_paging_show(struct iommufd_object *obj,
				     struct seq_file *m)
{
	struct iommufd_hwpt_paging *hwpt_paging =
		container_of(obj, struct iommufd_hwpt_paging, common.obj);
	struct iommufd_hwpt *hwpt = &hwpt_paging->common;

	seq_printf(m,
		   " ioas=%u auto=%d nest_parent=%d dirty_tracking=%d pasid=%d coherent=%d attachments=%d",
		   hwpt_paging->ioas->obj.id, hwpt_paging->auto_domain,
		   hwpt_paging->nest_parent, !!hwpt->domain->dirty_ops,
		   hwpt->pasid_compat,
		   READ_ONCE(hwpt_paging->enforce_cache_coherency),
		   atomic_read(&hwpt->attachments));
}

static const struct iommufd_object_ops iommufd_hwpt_paging_ops = {
	.destroy = iommufd_hwpt_paging_destroy,
	.show = iommufd_hwpt_paging_show,
};

/**
 * iommufd_hwpt_paging_alloc() - create a paging HWPT for a device
 * @ioas: the IOAS the HWPT will mirror; the caller holds a reference
 * @idev: the device whose IOMMU makes the domain
 * @flags: IOMMU_HWPT_ALLOC_* flags from user space, 0 for automatic HWPTs
 *
 * The HWPT is created unlinked and unpublished, in @idev's context.  The
 * caller links it with iommufd_hwpt_paging_link() (before any device can
 * see it, except on the automatic path of a first attach: "replace moves
 * to a filled domain" in iommufd_private.h), then finalizes it, or undoes
 * everything with iommufd_object_abort_and_destroy().
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

	hwpt_paging = iommufd_object_alloc(idev->ictx,
					   struct iommufd_hwpt_paging,
					   IOMMUFD_OBJ_HWPT_PAGING,
					   &iommufd_hwpt_paging_ops);
	if (IS_ERR(hwpt_paging))
		return hwpt_paging;
	INIT_LIST_HEAD(&hwpt_paging->auto_link);
	hwpt_paging->ioas = ioas;
	iommufd_object_ref(&ioas->obj);
	hwpt_paging->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	hwpt_paging->common.pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;

	domain = iommufd_paging_domain_new(idev, flags);
	if (IS_ERR(domain)) {
		rc = PTR_ERR(domain);
		goto err_destroy;
	}
	hwpt_paging->common.domain = domain;

	/*
	 * An IOMMU that offers enforcement for the device but refuses it on a
	 * fresh domain is broken.  The domain may still serve devices that
	 * do not ask for it.
	 */
	if (idev->enforce_cache_coherency &&
	    WARN_ON(iommufd_hwpt_paging_enforce_cc(hwpt_paging))) {
		rc = -EINVAL;
		goto err_destroy;
	}
	return hwpt_paging;

err_destroy:
	iommufd_object_abort_and_destroy(idev->ictx, &hwpt_paging->common.obj);
	return ERR_PTR(rc);
}

/* Serialises turning on cache coherency enforcement of any HWPT */
static DEFINE_MUTEX(iommufd_hwpt_cc_lock);

/**
 * iommufd_hwpt_paging_enforce_cc() - make a paging HWPT's DMA snoop caches
 * @hwpt_paging: the HWPT
 *
 * Some IOMMUs choose snooping per PTE, so a driver may only agree while
 * its domain maps nothing yet: a domain filled without enforcement stays
 * without it.  Mappings enter and leave the domain only with the IOAS page
 * table's iova_rwsem held for writing, so holding it for reading keeps the
 * domain's contents still while the driver decides.  Once on, enforcement
 * is never turned off.
 *
 * Context: process context; may sleep.  Takes the IOAS's iova_rwsem.
 * Return: 0 if the domain enforces coherency now; -EINVAL if its driver
 * refuses.
 */
int iommufd_hwpt_paging_enforce_cc(struct iommufd_hwpt_paging *hwpt_paging)
{
	struct iommu_domain *domain = hwpt_paging->common.domain;

	guard(mutex)(&iommufd_hwpt_cc_lock);
	guard(rwsem_read)(&hwpt_paging->ioas->iopt.iova_rwsem);
	if (hwpt_paging->enforce_cache_coherency)
		return 0;
	if (!domain->ops->enforce_cache_coherency ||
	    !domain->ops->enforce_cache_coherency(domain))
		return -EINVAL;
	WRITE_ONCE(hwpt_paging->enforce_cache_coherency, true);
	return 0;
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
	/* Linked before anyone can attach to it: no replace finds it empty */
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

/**
 * iommufd_hwpt_nested_destroy() - release what a nested HWPT holds
 * @obj: the HWPT's object; no device is attached any more
 *
 * Also undoes a creation that failed after the parent was referenced.
 */
static void iommufd_hwpt_nested_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_nested *hwpt_nested =
		container_of(obj, struct iommufd_hwpt_nested, common.obj);

	if (hwpt_nested->common.domain)
		iommu_domain_free(hwpt_nested->common.domain);
	if (hwpt_nested->common.fault)
		iommufd_object_unref(&hwpt_nested->common.fault->obj);
	if (hwpt_nested->viommu)
		iommufd_object_unref(&hwpt_nested->viommu->obj);
	iommufd_object_unref(&hwpt_nested->parent->common.obj);
}

/* Parent, vIOMMU and fault queue are fixed and referenced for life */
static void iommufd_hwpt_nested_show(struct iommufd_object *obj,
				     struct seq_file *m)
{
	struct iommufd_hwpt_nested *hwpt_nested =
		container_of(obj, struct iommufd_hwpt_nested, common.obj);
	struct iommufd_hwpt *hwpt = &hwpt_nested->common;

	seq_printf(m, " parent=%u viommu=%u fault=%u pasid=%d attachments=%d",
		   hwpt_nested->parent->common.obj.id,
		   hwpt_nested->viommu ? hwpt_nested->viommu->obj.id : 0,
		   hwpt->fault ? hwpt->fault->obj.id : 0, hwpt->pasid_compat,
		   atomic_read(&hwpt->attachments));
}

static const struct iommufd_object_ops iommufd_hwpt_nested_ops = {
	.destroy = iommufd_hwpt_nested_destroy,
	.show = iommufd_hwpt_nested_show,
};

/*
 * Whether @parent may carry a nested HWPT for @idev: it was made for
 * nesting, explicitly (a nesting parent is never an automatic HWPT, whose
 * life devices decide), by the device's own IOMMU driver.
 */
static bool iommufd_hwpt_can_nest_on(struct iommufd_hwpt_paging *parent,
				     struct iommufd_device *idev)
{
	return parent->nest_parent && !parent->auto_domain &&
	       parent->common.domain->owner == dev_iommu_ops(idev->dev);
}

/* The driver's nested domain on @parent, described by @user_data */
static struct iommu_domain *
iommufd_nested_domain_new(struct iommufd_device *idev,
			  struct iommufd_hwpt_paging *parent, u32 flags,
			  const struct iommu_user_data *user_data)
{
	const struct iommu_ops *ops = dev_iommu_ops(idev->dev);
	struct iommu_domain *domain;

	/* The fault queue is iommufd's business, not the driver's */
	domain = ops->domain_alloc_user(idev->dev,
					flags & ~IOMMU_HWPT_FAULT_ID_VALID,
					parent->common.domain, user_data);
	if (IS_ERR(domain))
		return domain;
	domain->owner = ops;
	/*
	 * Whatever the driver made must behave as a nested domain: user
	 * space can only keep its caches coherent through invalidation.
	 */
	if (WARN_ON_ONCE(domain->type != IOMMU_DOMAIN_NESTED ||
			 !domain->ops->cache_invalidate_user)) {
		iommu_domain_free(domain);
		return ERR_PTR(-EINVAL);
	}
	return domain;
}

/*
 * Send the I/O page faults of devices attached to @hwpt to fault queue
 * @fault_id, which @hwpt then depends on.
 */
static int iommufd_hwpt_use_fault(struct iommufd_ctx *ictx,
				  struct iommufd_hwpt *hwpt, u32 fault_id)
{
	struct iommufd_fault *fault = iommufd_get_fault(ictx, fault_id);

	if (IS_ERR(fault))
		return PTR_ERR(fault);
	iommufd_object_ref(&fault->obj);
	hwpt->fault = fault;
	hwpt->domain->iopf_handler = iommufd_fault_iopf_handler;
	iommufd_put_object(ictx, &fault->obj);
	return 0;
}

/*
 * The domain of a nested HWPT made through @viommu, by its driver; for
 * iommufd's own default type, by @idev's driver on the vIOMMU's parent.
 */
static struct iommu_domain *
iommufd_viommu_domain_new(struct iommufd_viommu *viommu,
			  struct iommufd_device *idev, u32 flags,
			  const struct iommu_user_data *user_data)
{
	struct iommu_domain *domain;

	if (viommu->type == IOMMU_VIOMMU_TYPE_DEFAULT)
		return iommufd_nested_domain_new(idev, viommu->hwpt, flags,
						 user_data);
	if (!viommu->ops->alloc_domain_nested)
		return ERR_PTR(-EOPNOTSUPP);

	/* The fault queue is iommufd's business, not the driver's */
	domain = viommu->ops->alloc_domain_nested(viommu,
						  flags & ~IOMMU_HWPT_FAULT_ID_VALID,
						  user_data);
	if (IS_ERR(domain))
		return domain;
	domain->owner = viommu->iommu_dev->ops;
	/* Its invalidation goes through the vIOMMU, if not the domain */
	if (WARN_ON_ONCE(domain->type != IOMMU_DOMAIN_NESTED)) {
		iommu_domain_free(domain);
		return ERR_PTR(-EINVAL);
	}
	return domain;
}

/*
 * IOMMU_HWPT_ALLOC of a nested HWPT on @parent, or through @viommu (whose
 * nesting parent @parent then is).  Nothing is linked to an IOAS: the
 * parent's linkage already gives the nested domain its stage 2.
 */
static int iommufd_hwpt_alloc_nested(struct iommufd_ucmd *ucmd,
				     struct iommufd_hwpt_paging *parent,
				     struct iommufd_viommu *viommu,
				     struct iommufd_device *idev)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	const struct iommu_user_data user_data = {
		.type = cmd->data_type,
		.uptr = u64_to_user_ptr(cmd->data_uptr),
		.len = cmd->data_len,
	};
	struct iommufd_hwpt_nested *hwpt_nested;
	struct iommu_domain *domain;
	int rc;

	hwpt_nested = iommufd_object_alloc(ucmd->ictx,
					   struct iommufd_hwpt_nested,
					   IOMMUFD_OBJ_HWPT_NESTED,
					   &iommufd_hwpt_nested_ops);
	if (IS_ERR(hwpt_nested))
		return PTR_ERR(hwpt_nested);
	hwpt_nested->parent = parent;
	iommufd_object_ref(&parent->common.obj);
	if (viommu) {
		hwpt_nested->viommu = viommu;
		iommufd_object_ref(&viommu->obj);
		domain = iommufd_viommu_domain_new(viommu, idev, cmd->flags,
						   &user_data);
	} else {
		domain = iommufd_nested_domain_new(idev, parent, cmd->flags,
						   &user_data);
	}
	if (IS_ERR(domain)) {
		rc = PTR_ERR(domain);
		goto err_abort;
	}
	hwpt_nested->common.domain = domain;
	hwpt_nested->common.pasid_compat = cmd->flags & IOMMU_HWPT_ALLOC_PASID;

	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		rc = iommufd_hwpt_use_fault(ucmd->ictx, &hwpt_nested->common,
					    cmd->fault_id);
		if (rc)
			goto err_abort;
	}

	cmd->out_hwpt_id = hwpt_nested->common.obj.id;
	return iommufd_object_publish_to_user(ucmd, &hwpt_nested->common.obj,
					      sizeof(*cmd));

err_abort:
	iommufd_object_abort_and_destroy(ucmd->ictx, &hwpt_nested->common.obj);
	return rc;
}

/*
 * IOMMU_HWPT_ALLOC of a nested HWPT on paging HWPT @parent, made by
 * @idev's driver
 */
static int iommufd_hwpt_alloc_on_parent(struct iommufd_ucmd *ucmd,
					struct iommufd_hwpt_paging *parent,
					struct iommufd_device *idev)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;

	/* The driver data is mandatory */
	if ((cmd->flags & ~IOMMUFD_HWPT_NESTED_FLAGS) || !cmd->data_len ||
	    !dev_iommu_ops(idev->dev)->domain_alloc_user)
		return -EOPNOTSUPP;
	if (!iommufd_hwpt_can_nest_on(parent, idev))
		return -EINVAL;
	return iommufd_hwpt_alloc_nested(ucmd, parent, NULL, idev);
}

/* IOMMU_HWPT_ALLOC of a nested HWPT through @viommu, for @idev */
static int iommufd_hwpt_alloc_on_viommu(struct iommufd_ucmd *ucmd,
					struct iommufd_viommu *viommu,
					struct iommufd_device *idev)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;

	if ((cmd->flags & ~IOMMUFD_HWPT_NESTED_FLAGS) || !cmd->data_len)
		return -EOPNOTSUPP;
	/* Whatever is attached through a vIOMMU sits behind its IOMMU */
	if (viommu->iommu_dev != __iommu_get_iommu_dev(idev->dev))
		return -EINVAL;
	return iommufd_hwpt_alloc_nested(ucmd, viommu->hwpt, viommu, idev);
}

/* IOMMU_HWPT_ALLOC once both IDs named something; dispatch on @pt_obj */
static int iommufd_hwpt_alloc_on(struct iommufd_ucmd *ucmd,
				 struct iommufd_object *pt_obj,
				 struct iommufd_device *idev)
{
	struct iommufd_hwpt_paging *parent;

	switch (pt_obj->type) {
	case IOMMUFD_OBJ_IOAS:
		return iommufd_hwpt_alloc_paging(ucmd,
						 container_of(pt_obj,
							      struct iommufd_ioas,
							      obj),
						 idev);
	case IOMMUFD_OBJ_HWPT_PAGING:
		parent = container_of(pt_obj, struct iommufd_hwpt_paging,
				      common.obj);
		return iommufd_hwpt_alloc_on_parent(ucmd, parent, idev);
	case IOMMUFD_OBJ_VIOMMU:
		return iommufd_hwpt_alloc_on_viommu(ucmd,
						    container_of(pt_obj,
								 struct iommufd_viommu,
								 obj),
						    idev);
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

/*
 * Far more invalidation requests than any real batch holds: a bound on how
 * long one call keeps the CPU, with each request at most a page long.
 */
#define IOMMUFD_INVALIDATE_MAX_ENTRIES BIT(19)

/*
 * Have the driver behind @pt_obj, a nested HWPT or a vIOMMU, carry out
 * @requests; it sets entry_num to the number it carried out.  Without a
 * driver to ask, none is.
 */
static int iommufd_invalidate_on(struct iommufd_object *pt_obj,
				 struct iommu_user_data_array *requests)
{
	struct iommufd_viommu *viommu;
	struct iommu_domain *domain;
	int rc = -EINVAL;

	if (pt_obj->type == IOMMUFD_OBJ_HWPT_NESTED) {
		domain = container_of(pt_obj, struct iommufd_hwpt_nested,
				      common.obj)->common.domain;
		if (domain->ops->cache_invalidate_user)
			return domain->ops->cache_invalidate_user(domain,
								  requests);
		rc = -EOPNOTSUPP;
	} else if (pt_obj->type == IOMMUFD_OBJ_VIOMMU) {
		viommu = container_of(pt_obj, struct iommufd_viommu, obj);
		if (viommu->ops && viommu->ops->cache_invalidate)
			return viommu->ops->cache_invalidate(viommu, requests);
		rc = -EOPNOTSUPP;
	}
	requests->entry_num = 0;
	return rc;
}

/* Carry out @requests on what @id names; entry_num says how many were */
static int iommufd_invalidate_id(struct iommufd_ctx *ictx, u32 id,
				 struct iommu_user_data_array *requests)
{
	struct iommufd_object *pt_obj;
	int rc;

	pt_obj = iommufd_get_object(ictx, id, IOMMUFD_OBJ_ANY);
	if (IS_ERR(pt_obj)) {
		requests->entry_num = 0;
		return PTR_ERR(pt_obj);
	}
	rc = iommufd_invalidate_on(pt_obj, requests);
	iommufd_put_object(ictx, pt_obj);
	return rc;
}

/**
 * iommufd_hwpt_invalidate() - IOMMU_HWPT_INVALIDATE
 * @ucmd: the ioctl, holding a struct iommu_hwpt_invalidate
 *
 * Whatever the outcome, entry_num is written back with the number of
 * requests the driver carried out, in order from the first, so user space
 * knows where a failed batch stopped.
 *
 * Context: process context; may sleep.
 * Return: 0; -EOPNOTSUPP for a non-zero __reserved; -EINVAL for requests
 * without a buffer, a zero or larger than a page entry_len, or more than
 * IOMMUFD_INVALIDATE_MAX_ENTRIES of them, or a hwpt_id naming neither a
 * nested HWPT nor a vIOMMU; -ENOENT if it names nothing; -EOPNOTSUPP if
 * its driver has no user invalidation (a vIOMMU of the default type);
 * -EFAULT; or the driver's error about a request.
 */
int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	struct iommu_user_data_array requests = {
		.type = cmd->data_type,
		.uptr = u64_to_user_ptr(cmd->data_uptr),
		.entry_len = cmd->entry_len,
		.entry_num = cmd->entry_num,
	};
	u32 nr_done = 0;
	int rc;

	if (cmd->__reserved) {
		rc = -EOPNOTSUPP;
	} else if (cmd->entry_num &&
		   (!cmd->data_uptr || !cmd->entry_len ||
		    cmd->entry_len > PAGE_SIZE ||
		    cmd->entry_num > IOMMUFD_INVALIDATE_MAX_ENTRIES)) {
		rc = -EINVAL;
	} else {
		rc = iommufd_invalidate_id(ucmd->ictx, cmd->hwpt_id,
					   &requests);
		nr_done = min(requests.entry_num, cmd->entry_num);
	}

	cmd->entry_num = nr_done;
	if (iommufd_ucmd_respond(ucmd, sizeof(*cmd)))
		return -EFAULT;
	return rc;
}

/**
 * iommufd_hwpt_set_dirty_tracking() - IOMMU_HWPT_SET_DIRTY_TRACKING
 * @ucmd: the ioctl, holding a struct iommu_hwpt_set_dirty_tracking
 *
 * Context: process context; may sleep.
 * Return: 0; -EOPNOTSUPP for unknown flags, a non-zero __reserved, or a
 * HWPT not allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING; -ENOENT if
 * hwpt_id names no paging HWPT; or the driver's error.
 */
int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = ucmd->cmd;
	bool enable = cmd->flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	struct iommufd_hwpt_paging *hwpt_paging;
	int rc;

	if ((cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE) || cmd->__reserved)
		return -EOPNOTSUPP;

	hwpt_paging = iommufd_get_hwpt_paging(ucmd->ictx, cmd->hwpt_id);
	if (IS_ERR(hwpt_paging))
		return PTR_ERR(hwpt_paging);
	rc = iopt_set_dirty_tracking(&hwpt_paging->ioas->iopt,
				     hwpt_paging->common.domain, enable);
	iommufd_put_object(ucmd->ictx, &hwpt_paging->common.obj);
	return rc;
}

/* The IOVA range of a bitmap request, as the kernel's unsigned longs */
static int
iommufd_dirty_bitmap_range(const struct iommu_hwpt_get_dirty_bitmap *cmd,
			   unsigned long *iova, unsigned long *length)
{
	u64 last;

	if (!cmd->length || !cmd->page_size || cmd->page_size > ULONG_MAX)
		return -EINVAL;
	if (check_add_overflow(cmd->iova, cmd->length - 1, &last) ||
	    last > ULONG_MAX)
		return -EOVERFLOW;
	*iova = cmd->iova;
	*length = cmd->length;
	return 0;
}

/**
 * iommufd_hwpt_get_dirty_bitmap() - IOMMU_HWPT_GET_DIRTY_BITMAP
 * @ucmd: the ioctl, holding a struct iommu_hwpt_get_dirty_bitmap
 *
 * Sets, straight in the user's bitmap, the bit of every page_size page of
 * the range that the device wrote since the dirty state was last cleared;
 * other bits are left as they are.  Unless
 * IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, the reported state is cleared.
 *
 * Context: process context; may sleep.
 * Return: 0; -EOPNOTSUPP for unknown flags, a non-zero __reserved, or a
 * HWPT that cannot track dirty pages; -ENOENT if hwpt_id names no paging
 * HWPT; -EINVAL for an empty range, a page_size that is not a power of
 * two, or an iova or end not aligned to page_size and to the IOAS's IOVA
 * alignment, or (from the driver) while tracking is off; -EOVERFLOW for a
 * range that wraps; -EFAULT for a bitmap that is not writable; -ENOMEM.
 */
int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt_paging;
	unsigned long dirty_flags = 0;
	unsigned long iova, length;
	struct io_pagetable *iopt;
	int rc;

	if (cmd->flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR)
		dirty_flags |= IOMMU_DIRTY_NO_CLEAR;
	if ((cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) ||
	    cmd->__reserved)
		return -EOPNOTSUPP;

	hwpt_paging = iommufd_get_hwpt_paging(ucmd->ictx, cmd->hwpt_id);
	if (IS_ERR(hwpt_paging))
		return PTR_ERR(hwpt_paging);
	iopt = &hwpt_paging->ioas->iopt;

	rc = iommufd_dirty_bitmap_range(cmd, &iova, &length);
	if (!rc)
		rc = iopt_check_dirty_range(iopt, iova, length,
					    cmd->page_size);
	if (!rc)
		rc = iopt_read_and_clear_dirty(iopt, hwpt_paging->common.domain,
					       iova, length, cmd->page_size,
					       u64_to_user_ptr(cmd->data),
					       dirty_flags);
	iommufd_put_object(ucmd->ictx, &hwpt_paging->common.obj);
	return rc;
}
