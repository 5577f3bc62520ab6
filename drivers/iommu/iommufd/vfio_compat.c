// SPDX-License-Identifier: GPL-2.0-only
/*
 * The compatibility IOAS of a context.
 *
 * VFIO's legacy group path (a group file handed an iommufd through
 * VFIO_GROUP_SET_CONTAINER) names no IOAS: its devices are attached to one
 * IOAS per context that VFIO creates on demand and that user space can
 * learn, choose or forget with IOMMU_VFIO_IOAS.  A context that VFIO used
 * for a device without any IOMMU protection (no-IOMMU mode) can never have
 * one, and the other way round.
 *
 * ictx->vfio_ioas and ictx->vfio_no_iommu are read and written under the
 * spinlock of the context's object table, which also orders them against
 * the IOAS being unpublished: a pointer read there is either cleared
 * before its IOAS is freed, or names an IOAS that is still in the table.
 */
#include <linux/err.h>
#include <linux/iommufd.h>
#include <linux/xarray.h>
#include <uapi/linux/iommufd.h>

#include "ioas.h"
#include "iommufd_private.h"

/*
 * The compatibility IOAS with a short-term reference, or ERR_PTR(-ENODEV)
 * when there is none, or it is being destroyed.  The lookup goes by ID;
 * holding the reference, the pointer is compared again, so an IOAS that
 * got the ID of a destroyed compatibility IOAS is never mistaken for it.
 */
static struct iommufd_ioas *iommufd_compat_ioas_get(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas;
	bool still_compat;
	u32 id;

	xa_lock(&ictx->objects);
	id = ictx->vfio_ioas ? ictx->vfio_ioas->obj.id : 0;
	xa_unlock(&ictx->objects);
	if (!id)
		return ERR_PTR(-ENODEV);

	ioas = iommufd_get_ioas(ictx, id);
	if (IS_ERR(ioas))
		return ERR_PTR(-ENODEV);

	xa_lock(&ictx->objects);
	still_compat = ictx->vfio_ioas == ioas;
	xa_unlock(&ictx->objects);
	if (!still_compat) {
		iommufd_put_object(ictx, &ioas->obj);
		return ERR_PTR(-ENODEV);
	}
	return ioas;
}

/* Make @ioas (or nothing, for NULL) the compatibility IOAS */
static void iommufd_compat_ioas_set(struct iommufd_ctx *ictx,
				    struct iommufd_ioas *ioas)
{
	xa_lock(&ictx->objects);
	ictx->vfio_ioas = ioas;
	xa_unlock(&ictx->objects);
}

/**
 * iommufd_vfio_compat_forget_ioas() - an IOAS is being destroyed
 * @ioas: the IOAS, already unreachable by its ID
 *
 * Stops it from being the compatibility IOAS before its memory and ID are
 * given back.
 */
void iommufd_vfio_compat_forget_ioas(struct iommufd_ioas *ioas)
{
	struct iommufd_ctx *ictx = ioas->ictx;

	xa_lock(&ictx->objects);
	if (ictx->vfio_ioas == ioas)
		ictx->vfio_ioas = NULL;
	xa_unlock(&ictx->objects);
}

/**
 * iommufd_vfio_compat_ioas_get_id() - the ID of the compatibility IOAS
 * @ictx: the context
 * @out_ioas_id: set to the IOAS's ID, which other iommufd functions accept
 *
 * Context: process context.
 * Return: 0, or -ENODEV if the context has no compatibility IOAS.
 */
int iommufd_vfio_compat_ioas_get_id(struct iommufd_ctx *ictx, u32 *out_ioas_id)
{
	struct iommufd_ioas *ioas = iommufd_compat_ioas_get(ictx);

	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	*out_ioas_id = ioas->obj.id;
	iommufd_put_object(ictx, &ioas->obj);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iommufd_vfio_compat_ioas_get_id, IOMMUFD_VFIO);

/**
 * iommufd_vfio_compat_set_no_iommu() - the context serves a no-IOMMU device
 * @ictx: the context
 *
 * Called by VFIO when a group of a device without IOMMU protection is
 * attached to the context.  From then on the context will not get a
 * compatibility IOAS.
 *
 * Context: any context.
 * Return: 0, or -EINVAL if the context has a compatibility IOAS already.
 */
int iommufd_vfio_compat_set_no_iommu(struct iommufd_ctx *ictx)
{
	int rc = 0;

	xa_lock(&ictx->objects);
	if (ictx->vfio_ioas)
		rc = -EINVAL;
	else
		ictx->vfio_no_iommu = true;
	xa_unlock(&ictx->objects);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(iommufd_vfio_compat_set_no_iommu, IOMMUFD_VFIO);

/**
 * iommufd_vfio_compat_ioas_create() - make sure a compatibility IOAS exists
 * @ictx: the context
 *
 * Called by VFIO when a group is attached to the context.  If the context
 * has a compatibility IOAS already (made earlier, or chosen by user space
 * with IOMMU_VFIO_IOAS_SET) nothing changes; otherwise a new, empty IOAS
 * becomes it.  A new one is an ordinary object of the context: user space
 * can learn its ID with IOMMU_VFIO_IOAS_GET and destroy it, and it goes
 * with the context otherwise.
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL if the context serves a no-IOMMU device; -ENOMEM.
 */
int iommufd_vfio_compat_ioas_create(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *new_ioas, *current_ioas;
	bool keep_new = false;
	int rc = 0;

	/* Allocating may sleep, so it happens before taking the spinlock */
	new_ioas = iommufd_ioas_alloc(ictx);
	if (IS_ERR(new_ioas))
		return PTR_ERR(new_ioas);

	xa_lock(&ictx->objects);
	current_ioas = ictx->vfio_ioas;
	if (ictx->vfio_no_iommu) {
		rc = -EINVAL;
	} else if (!current_ioas ||
		   xa_load(&ictx->objects, current_ioas->obj.id) !=
			   current_ioas) {
		/* None, or one being destroyed: the new one takes over */
		ictx->vfio_ioas = new_ioas;
		keep_new = true;
	}
	xa_unlock(&ictx->objects);

	if (!keep_new) {
		iommufd_object_abort_and_destroy(ictx, &new_ioas->obj);
		return rc;
	}
	/* Until here lookups by its ID failed, as for any unfinished object */
	iommufd_object_finalize(ictx, &new_ioas->obj);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iommufd_vfio_compat_ioas_create, IOMMUFD_VFIO);

/* IOMMU_VFIO_IOAS: read, choose or forget the compatibility IOAS */
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd)
{
	struct iommu_vfio_ioas *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		ioas = iommufd_compat_ioas_get(ucmd->ictx);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		cmd->ioas_id = ioas->obj.id;
		iommufd_put_object(ucmd->ictx, &ioas->obj);
		return iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	case IOMMU_VFIO_IOAS_SET:
		ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		iommufd_compat_ioas_set(ucmd->ictx, ioas);
		iommufd_put_object(ucmd->ictx, &ioas->obj);
		return 0;
	case IOMMU_VFIO_IOAS_CLEAR:
		iommufd_compat_ioas_set(ucmd->ictx, NULL);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}
