// SPDX-License-Identifier: GPL-2.0-only
/*
 * vDEVICEs: IOMMU_VDEVICE_ALLOC, their destruction, and their end when
 * their device is unbound first.  viommu.h states the rules.
 */
#include <linux/cleanup.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <uapi/linux/iommufd.h>

#include "device.h"
#include "viommu.h"

/*
 * Take @vdev out of its vIOMMU and its device, under the device's group
 * lock.  Drivers stop finding it before their part of it goes.
 */
static void iommufd_vdevice_unlink(struct iommufd_vdevice *vdev)
{
	struct iommufd_device *idev = vdev->idev;

	guard(mutex)(&idev->igroup->lock);
	xa_cmpxchg(&vdev->viommu->vdevs, vdev->virt_id, vdev, NULL, 0);
	if (vdev->destroy)
		vdev->destroy(vdev);
	WRITE_ONCE(idev->vdev, NULL);
}

/**
 * iommufd_vdevice_destroy() - release what a vDEVICE holds
 * @obj: the vDEVICE's object
 *
 * Also undoes a creation that failed part way.  Wakes an unbind of the
 * device that may be waiting for a destroy by user space to end.
 */
static void iommufd_vdevice_destroy(struct iommufd_object *obj)
{
	struct iommufd_vdevice *vdev =
		container_of(obj, struct iommufd_vdevice, obj);
	struct iommufd_viommu *viommu = vdev->viommu;

	if (vdev->idev) {
		iommufd_vdevice_unlink(vdev);
		wake_up_all(&viommu->ictx->destroy_wait);
	}
	iommufd_object_unref(&viommu->obj);
}

/*
 * The device outlives the vDEVICE: unbinding makes a tombstone of it
 * first, which waits for our short-term reference.
 */
static void iommufd_vdevice_show(struct iommufd_object *obj,
				 struct seq_file *m)
{
	struct iommufd_vdevice *vdev =
		container_of(obj, struct iommufd_vdevice, obj);

	seq_printf(m, " viommu=%u device=%u virt_id=0x%llx",
		   vdev->viommu->obj.id, vdev->idev->obj.id, vdev->virt_id);
}

static const struct iommufd_object_ops iommufd_vdevice_ops = {
	.destroy = iommufd_vdevice_destroy,
	.show = iommufd_vdevice_show,
};

/*
 * Give @vdev its device and virtual ID, and let the driver set up its
 * part.  A device has one vDEVICE, a virtual ID one device per vIOMMU.
 */
static int iommufd_vdevice_link(struct iommufd_vdevice *vdev,
				struct iommufd_device *idev)
{
	struct iommufd_viommu *viommu = vdev->viommu;
	void *curr;

	guard(mutex)(&idev->igroup->lock);
	if (idev->vdev)
		return -EEXIST;
	/*
	 * Whole before it is in vdevs: a driver may find it there (under the
	 * xarray's lock, which orders it after this store) at once.
	 */
	vdev->idev = idev;
	curr = xa_cmpxchg(&viommu->vdevs, vdev->virt_id, NULL, vdev,
			  GFP_KERNEL_ACCOUNT);
	if (curr) {
		/* Not linked: the destroy must not unlink another's device */
		vdev->idev = NULL;
		return xa_is_err(curr) ? xa_err(curr) : -EEXIST;
	}
	WRITE_ONCE(idev->vdev, vdev);
	if (viommu->ops && viommu->ops->vdevice_init) {
		int rc = viommu->ops->vdevice_init(vdev);

		/* A failed init undoes itself */
		if (rc) {
			vdev->destroy = NULL;
			return rc;
		}
	}
	return 0;
}

/* The size of a vDEVICE of @viommu's driver, or 0 for a broken driver */
static size_t iommufd_vdevice_size(struct iommufd_viommu *viommu)
{
	size_t size = sizeof(struct iommufd_vdevice);

	if (viommu->ops && viommu->ops->vdevice_size) {
		size = viommu->ops->vdevice_size;
		/* The driver's part is set up by its init op, or by nothing */
		if (WARN_ON_ONCE(size < sizeof(struct iommufd_vdevice) ||
				 !viommu->ops->vdevice_init))
			return 0;
	}
	return size;
}

/* IOMMU_VDEVICE_ALLOC once the vIOMMU and the device are known */
static int iommufd_vdevice_alloc_on(struct iommufd_ucmd *ucmd,
				    struct iommufd_viommu *viommu,
				    struct iommufd_device *idev)
{
	struct iommu_vdevice_alloc *cmd = ucmd->cmd;
	size_t vdev_size = iommufd_vdevice_size(viommu);
	struct iommufd_vdevice *vdev;
	struct iommufd_object *obj;
	int rc;

	if (!vdev_size)
		return -EOPNOTSUPP;
	/* Room for the driver's structure, which has ours first */
	obj = iommufd_object_alloc_raw(ucmd->ictx, vdev_size,
				       IOMMUFD_OBJ_VDEVICE, &iommufd_vdevice_ops);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	vdev = container_of(obj, struct iommufd_vdevice, obj);
	vdev->viommu = viommu;
	iommufd_object_ref(&viommu->obj);
	vdev->virt_id = cmd->virt_id;

	rc = iommufd_vdevice_link(vdev, idev);
	if (rc) {
		iommufd_object_abort_and_destroy(ucmd->ictx, &vdev->obj);
		return rc;
	}
	cmd->out_vdevice_id = vdev->obj.id;
	return iommufd_object_publish_to_user(ucmd, &vdev->obj, sizeof(*cmd));
}

/**
 * iommufd_vdevice_alloc() - IOMMU_VDEVICE_ALLOC
 * @ucmd: the ioctl, holding a struct iommu_vdevice_alloc
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL for a virtual ID wider than an unsigned long, or a
 * device behind another IOMMU instance than the vIOMMU's; -ENOENT if
 * viommu_id names no vIOMMU or dev_id no device (also one being unbound);
 * -EEXIST if the device has a vDEVICE or the virtual ID is taken; the
 * driver's error; -EFAULT; -ENOMEM.
 */
int iommufd_vdevice_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_vdevice_alloc *cmd = ucmd->cmd;
	struct iommufd_viommu *viommu;
	struct iommufd_device *idev;
	int rc;

	/* The vIOMMU's table of virtual IDs is indexed by unsigned long */
	if (cmd->virt_id > ULONG_MAX)
		return -EINVAL;

	viommu = iommufd_get_viommu(ucmd->ictx, cmd->viommu_id);
	if (IS_ERR(viommu))
		return PTR_ERR(viommu);
	/*
	 * A device being unbound is unpublished before its vDEVICE is
	 * removed, so it cannot get a new one behind the removal's back.
	 */
	idev = iommufd_get_device(ucmd->ictx, cmd->dev_id);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto out_put_viommu;
	}
	if (viommu->iommu_dev == __iommu_get_iommu_dev(idev->dev))
		rc = iommufd_vdevice_alloc_on(ucmd, viommu, idev);
	else
		rc = -EINVAL;
	iommufd_put_object(ucmd->ictx, &idev->obj);
out_put_viommu:
	iommufd_put_object(ucmd->ictx, &viommu->obj);
	return rc;
}

/*
 * Whether the destroy of the vDEVICE with ID @vdev_id, which @idev had,
 * ended: the device has no vDEVICE any more, or the destroy gave up and
 * published the vDEVICE again.
 */
static bool iommufd_vdevice_destroy_ended(struct iommufd_device *idev,
					  u32 vdev_id)
{
	return !READ_ONCE(idev->vdev) ||
	       xa_load(&idev->ictx->objects, vdev_id);
}

/**
 * iommufd_vdevice_remove_for_unbind() - destroy the vDEVICE of a device
 *                                       that goes
 * @idev: a device being destroyed: unpublished, with no short-term users,
 *        so nothing can give it a new vDEVICE
 *
 * The vDEVICE leaves a tombstone: its ID stays taken, and IOMMU_DESTROY of
 * it fails with -ENOENT.  If user space is destroying the vDEVICE right
 * now, that destroy is waited for; should it give up, the vDEVICE is taken
 * here after all.
 *
 * Context: process context; may sleep.  Takes the device's group lock.
 */
void iommufd_vdevice_remove_for_unbind(struct iommufd_device *idev)
{
	struct iommufd_ctx *ictx = idev->ictx;
	struct iommufd_vdevice *vdev;
	bool unpublished;
	u32 vdev_id;

	for (;;) {
		scoped_guard(mutex, &idev->igroup->lock) {
			vdev = idev->vdev;
			if (!vdev)
				return;
			/* Alive: its destroy needs the lock we hold */
			vdev_id = vdev->obj.id;
			unpublished = iommufd_object_tombstone_begin(ictx,
								     &vdev->obj);
		}
		if (unpublished) {
			/* Nothing can depend on a vDEVICE */
			WARN_ON(iommufd_object_tombstone_end(ictx, &vdev->obj));
			return;
		}
		wait_event(ictx->destroy_wait,
			   iommufd_vdevice_destroy_ended(idev, vdev_id));
	}
}
