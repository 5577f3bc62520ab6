// SPDX-License-Identifier: GPL-2.0-only
/*
 * vIOMMUs: IOMMU_VIOMMU_ALLOC and the life of a vIOMMU.  viommu.h states
 * the rules of the whole family.
 */
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/rwsem.h>
#include <linux/seq_file.h>
#include <linux/xarray.h>
#include <uapi/linux/iommufd.h>

#include "../iommu-priv.h"
#include "device.h"
#include "hw_pagetable.h"
#include "viommu.h"

/**
 * iommufd_viommu_destroy() - release what a vIOMMU holds
 * @obj: the vIOMMU's object; nothing depends on it any more
 *
 * Also undoes a creation that failed part way.
 */
static void iommufd_viommu_destroy(struct iommufd_object *obj)
{
	struct iommufd_viommu *viommu =
		container_of(obj, struct iommufd_viommu, obj);

	if (viommu->ops && viommu->ops->destroy)
		viommu->ops->destroy(viommu);
	if (viommu->hwpt)
		iommufd_object_unref(&viommu->hwpt->common.obj);
	/* Every vDEVICE held the vIOMMU, so all of them are gone */
	WARN_ON(!xa_empty(&viommu->vdevs));
	xa_destroy(&viommu->vdevs);
}

static void iommufd_viommu_show(struct iommufd_object *obj,
				struct seq_file *m)
{
	struct iommufd_viommu *viommu =
		container_of(obj, struct iommufd_viommu, obj);
	unsigned int vdevices = 0;
	unsigned long virt_id;
	void *vdev;

	xa_for_each(&viommu->vdevs, virt_id, vdev)
		vdevices++;
	seq_printf(m, " viommu_type=%u hwpt=%u vdevices=%u", viommu->type,
		   viommu->hwpt ? viommu->hwpt->common.obj.id : 0, vdevices);
}

static const struct iommufd_object_ops iommufd_viommu_ops = {
	.destroy = iommufd_viommu_destroy,
	.show = iommufd_viommu_show,
};

/*
 * How large a vIOMMU of @type on @idev's IOMMU is, or 0 if that IOMMU has
 * no such type.  The default type is iommufd's own and needs only an IOMMU
 * that makes nested domains.
 */
static size_t iommufd_viommu_size(struct iommufd_device *idev,
				  enum iommu_viommu_type type)
{
	const struct iommu_ops *ops = dev_iommu_ops(idev->dev);
	size_t size;

	if (type == IOMMU_VIOMMU_TYPE_DEFAULT)
		return ops->domain_alloc_user ? sizeof(struct iommufd_viommu) :
						0;
	if (!ops->get_viommu_size || !ops->viommu_init)
		return 0;
	size = ops->get_viommu_size(idev->dev, type);
	/* A driver structure must have the core one inside */
	if (size && WARN_ON_ONCE(size < sizeof(struct iommufd_viommu)))
		return 0;
	return size;
}

/*
 * Have the driver set up its part of @viommu from the user's @data.  A
 * failed setup leaves nothing for the driver's destroy op to undo.
 */
static int iommufd_viommu_driver_init(struct iommufd_viommu *viommu,
				      struct iommufd_device *idev,
				      const struct iommu_user_data *data)
{
	const struct iommu_ops *ops = dev_iommu_ops(idev->dev);
	int rc;

	rc = ops->viommu_init(viommu, viommu->hwpt->common.domain,
			      data->len ? data : NULL);
	if (rc) {
		viommu->ops = NULL;
		return rc;
	}
	/* Every vIOMMU of a driver has ops, or its destroy could not run */
	if (WARN_ON_ONCE(!viommu->ops))
		return -EOPNOTSUPP;
	return 0;
}

/* IOMMU_VIOMMU_ALLOC once the device and the nesting parent are known */
static int iommufd_viommu_alloc_on(struct iommufd_ucmd *ucmd,
				   struct iommufd_device *idev,
				   struct iommufd_hwpt_paging *parent,
				   size_t viommu_size)
{
	struct iommu_viommu_alloc *cmd = ucmd->cmd;
	const struct iommu_user_data data = {
		.type = cmd->type,
		.uptr = u64_to_user_ptr(cmd->data_uptr),
		.len = cmd->data_len,
	};
	struct iommufd_viommu *viommu;
	struct iommufd_object *obj;
	int rc;

	/* Room for the driver's structure, which has ours first */
	obj = iommufd_object_alloc_raw(ucmd->ictx, viommu_size,
				       IOMMUFD_OBJ_VIOMMU, &iommufd_viommu_ops);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	viommu = container_of(obj, struct iommufd_viommu, obj);
	viommu->ictx = ucmd->ictx;
	viommu->type = cmd->type;
	xa_init_flags(&viommu->vdevs, XA_FLAGS_ACCOUNT);
	INIT_LIST_HEAD(&viommu->veventqs);
	init_rwsem(&viommu->veventqs_rwsem);
	/*
	 * The IOMMU instance, not the device: it outlives the device's
	 * binding, and a hot-pluggable IOMMU would keep its own count.
	 */
	viommu->iommu_dev = __iommu_get_iommu_dev(idev->dev);
	viommu->hwpt = parent;
	iommufd_object_ref(&parent->common.obj);

	if (cmd->type != IOMMU_VIOMMU_TYPE_DEFAULT) {
		rc = iommufd_viommu_driver_init(viommu, idev, &data);
		if (rc)
			goto err_abort;
	}

	cmd->out_viommu_id = viommu->obj.id;
	return iommufd_object_publish_to_user(ucmd, &viommu->obj,
					      sizeof(*cmd));

err_abort:
	iommufd_object_abort_and_destroy(ucmd->ictx, &viommu->obj);
	return rc;
}

/*
 * Whether @parent may carry the vIOMMUs of @idev's IOMMU: a nesting parent
 * that IOMMU's driver made.
 */
static bool iommufd_viommu_parent_fits(struct iommufd_hwpt_paging *parent,
				       struct iommufd_device *idev)
{
	return parent->nest_parent &&
	       parent->common.domain->owner == dev_iommu_ops(idev->dev);
}

/**
 * iommufd_viommu_alloc() - IOMMU_VIOMMU_ALLOC
 * @ucmd: the ioctl, holding a struct iommu_viommu_alloc
 *
 * The device only names the IOMMU instance; no reference on it is kept.
 *
 * Context: process context; may sleep.
 * Return: 0; -EOPNOTSUPP for unknown flags, a non-zero __reserved, a type
 * the device's IOMMU does not implement, or data for the default type;
 * -ENOENT if dev_id names no device or hwpt_id no paging HWPT; -EINVAL if
 * that HWPT is no nesting parent of the device's IOMMU driver; the
 * driver's error; -EFAULT; -ENOMEM.
 */
int iommufd_viommu_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_viommu_alloc *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *parent;
	struct iommufd_device *idev;
	size_t viommu_size;
	int rc;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	/* iommufd's own type has nothing to configure */
	if (cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT && cmd->data_len)
		return -EOPNOTSUPP;

	idev = iommufd_get_device(ucmd->ictx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	viommu_size = iommufd_viommu_size(idev, cmd->type);
	if (!viommu_size) {
		rc = -EOPNOTSUPP;
		goto out_put_idev;
	}

	parent = iommufd_get_hwpt_paging(ucmd->ictx, cmd->hwpt_id);
	if (IS_ERR(parent)) {
		rc = PTR_ERR(parent);
		goto out_put_idev;
	}
	if (iommufd_viommu_parent_fits(parent, idev))
		rc = iommufd_viommu_alloc_on(ucmd, idev, parent, viommu_size);
	else
		rc = -EINVAL;
	iommufd_put_object(ucmd->ictx, &parent->common.obj);
out_put_idev:
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}
