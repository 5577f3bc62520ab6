// SPDX-License-Identifier: GPL-2.0-only
/*
 * Devices: binding to a context, the record of each IOMMU group, and
 * attaching devices to HWPTs, moving them and detaching them.  device.h
 * states the rules.
 */
#include <linux/cleanup.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/log2.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/iommufd.h>

#include "../iommu-priv.h"
#include "device.h"
#include "fault.h"
#include "hw_pagetable.h"
#include "ioas.h"
#include "viommu.h"
#include "iommufd_trace.h"

/* iommu_{attach,replace,detach}_group_handle() */
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);

static bool allow_unsafe_interrupts;
module_param(allow_unsafe_interrupts, bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Bind devices even when the platform cannot keep their MSI writes from raising interrupts that belong to others (insecure)");

/*
 * Serialises creating, joining, leaving and freeing group records in
 * every context.  Binding and unbinding are rare enough for one lock.
 */
static DEFINE_MUTEX(iommufd_group_table_lock);

/* Guards iommufd_hwpt_paging::msi_cookie of every HWPT */
static DEFINE_MUTEX(iommufd_msi_cookie_lock);

/* ---- Group records ------------------------------------------------------ */

static struct iommufd_group *iommufd_group_new(struct iommufd_ctx *ictx,
					       struct iommu_group *group)
{
	struct iommufd_group *igroup;

	igroup = kzalloc(sizeof(*igroup), GFP_KERNEL_ACCOUNT);
	if (!igroup)
		return NULL;
	igroup->group = iommu_group_ref_get(group);
	igroup->ictx = ictx;
	INIT_LIST_HEAD(&igroup->devices);
	mutex_init(&igroup->lock);
	INIT_LIST_HEAD(&igroup->rid_attachments);
	return igroup;
}

static void iommufd_group_free(struct iommufd_group *igroup)
{
	mutex_destroy(&igroup->lock);
	iommu_group_put(igroup->group);
	kfree(igroup);
}

/* Add @idev to the record of @group in its context, making one if needed */
static int iommufd_group_join(struct iommufd_device *idev,
			      struct iommu_group *group)
{
	unsigned long group_id = iommu_group_id(group);
	struct xarray *groups = &idev->ictx->groups;
	struct iommufd_group *igroup;
	struct iommufd_device *bound;
	int rc;

	guard(mutex)(&iommufd_group_table_lock);
	igroup = xa_load(groups, group_id);
	if (igroup) {
		/* Two bindings of one device would share one attachment */
		list_for_each_entry(bound, &igroup->devices, group_link)
			if (bound->dev == idev->dev)
				return -EBUSY;
	} else {
		igroup = iommufd_group_new(idev->ictx, group);
		if (!igroup)
			return -ENOMEM;
		rc = xa_insert(groups, group_id, igroup, GFP_KERNEL_ACCOUNT);
		if (rc) {
			iommufd_group_free(igroup);
			return rc;
		}
	}
	list_add_tail(&idev->group_link, &igroup->devices);
	idev->igroup = igroup;
	return 0;
}

static void iommufd_group_leave(struct iommufd_device *idev)
{
	struct iommufd_group *igroup = idev->igroup;

	guard(mutex)(&iommufd_group_table_lock);
	list_del(&idev->group_link);
	if (!list_empty(&igroup->devices))
		return;
	/* Each device was detached before it was unbound */
	WARN_ON(igroup->hwpt || !list_empty(&igroup->rid_attachments) ||
		igroup->pasid_users);
	xa_erase(&igroup->ictx->groups, iommu_group_id(igroup->group));
	iommufd_group_free(igroup);
}

/* ---- Binding ------------------------------------------------------------ */

/*
 * Without MSI isolation a device's DMA write to the MSI doorbell could
 * raise any interrupt of the system.  As with VFIO, the administrator may
 * accept that risk.
 */
static int iommufd_device_check_msi(struct device *dev,
				    struct iommu_group *group)
{
	if (iommu_group_has_isolated_msi(group))
		return 0;
	if (!allow_unsafe_interrupts)
		return -EPERM;
	dev_warn(dev,
		 "MSIs of this device cannot be isolated (is interrupt remapping on?); bound anyway because of iommufd.allow_unsafe_interrupts\n");
	return 0;
}

/**
 * iommufd_device_destroy() - release what a device object holds
 * @obj: the device's object
 */
static void iommufd_device_destroy(struct iommufd_object *obj)
{
	struct iommufd_device *idev =
		container_of(obj, struct iommufd_device, obj);

	/* Its vDEVICE names it: it goes first, leaving its ID taken */
	iommufd_vdevice_remove_for_unbind(idev);
	/* The owner detaches first; clean up after it if it did not */
	if (WARN_ON(!xa_empty(&idev->attachments)))
		iommufd_device_detach_all(idev);
	iommu_device_release_dma_owner(idev->dev);
	iommufd_group_leave(idev);
	xa_destroy(&idev->attachments);
}

/*
 * The group lock is held across attaches that fill domains, so the
 * attachments are read under RCU, which keeps each record (not its HWPT)
 * alive; a record is never changed once it is in the xarray.
 */
static void iommufd_device_show(struct iommufd_object *obj,
				struct seq_file *m)
{
	struct iommufd_device *idev =
		container_of(obj, struct iommufd_device, obj);
	struct iommufd_attach *attach;
	unsigned long pasid;
	bool first = true;

	seq_printf(m, " bus=%s dev=%s", dev_bus_name(idev->dev) ?: "-",
		   dev_name(idev->dev));
	rcu_read_lock();
	attach = xa_load(&idev->attachments, IOMMU_NO_PASID);
	seq_printf(m, " rid=%u pasids=", attach ? attach->hwpt_id : 0);
	xa_for_each(&idev->attachments, pasid, attach) {
		if (pasid == IOMMU_NO_PASID)
			continue;
		seq_printf(m, "%s%lu:%u", first ? "" : ",", pasid,
			   attach->hwpt_id);
		first = false;
	}
	rcu_read_unlock();
	if (first)
		seq_putc(m, '-');
}

static const struct iommufd_object_ops iommufd_device_ops = {
	.destroy = iommufd_device_destroy,
	.show = iommufd_device_show,
};

/*
 * Bind @dev to @ictx.  With @ref_ictx the new device holds a reference on
 * the context for its owner; see iommufd_device_bind_owned() for when it
 * must not.
 */
static struct iommufd_device *iommufd_device_do_bind(struct iommufd_ctx *ictx,
						     struct device *dev,
						     u32 *id, bool ref_ictx)
{
	struct iommufd_device *idev;
	struct iommu_group *group;
	int rc;

	/* Every mapping is made with IOMMU_CACHE; nothing else is offered */
	if (!device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY))
		return ERR_PTR(-EINVAL);

	group = iommu_group_get(dev);
	if (!group)
		return ERR_PTR(-ENODEV);
	rc = iommufd_device_check_msi(dev, group);
	if (rc)
		goto out_put_group;

	idev = iommufd_object_alloc(ictx, struct iommufd_device,
				    IOMMUFD_OBJ_DEVICE, &iommufd_device_ops);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto out_put_group;
	}
	idev->ictx = ictx;
	idev->dev = dev;
	xa_init_flags(&idev->attachments, XA_FLAGS_ACCOUNT);
	idev->enforce_cache_coherency =
		device_iommu_capable(dev, IOMMU_CAP_ENFORCE_CACHE_COHERENCY);

	rc = iommu_device_claim_dma_owner(dev, ictx);
	if (rc)
		goto err_abort;
	rc = iommufd_group_join(idev, group);
	if (rc)
		goto err_release_owner;
	iommu_group_put(group);

	idev->ictx_referenced = ref_ictx;
	if (ref_ictx)
		iommufd_ctx_get(ictx);
	/* The caller's, until iommufd_device_unbind() */
	iommufd_object_ref(&idev->obj);
	*id = idev->obj.id;
	iommufd_object_finalize(ictx, &idev->obj);
	return idev;

err_release_owner:
	iommu_device_release_dma_owner(dev);
err_abort:
	iommufd_object_abort(ictx, &idev->obj);
out_put_group:
	iommu_group_put(group);
	return ERR_PTR(rc);
}

/**
 * iommufd_device_bind() - bind a device to an iommufd context
 * @ictx: the context
 * @dev: the device; the caller is its driver, has driver_managed_dma set,
 *       and lets the device do no DMA before this succeeds
 * @id: set to the ID of the new device object, for user space
 *
 * Claims DMA ownership of @dev for @ictx (for a PCI device, of its whole
 * RID); the device's DMA stays blocked until it is attached.  The caller
 * owns the returned device, and through it a reference on @ictx, until
 * iommufd_device_unbind(); user space cannot destroy it meanwhile.
 *
 * Context: process context; may sleep.
 * Return: the device, or an ERR_PTR: -EINVAL if the IOMMU cannot make the
 * device's DMA cache coherent; -ENODEV if the device has no IOMMU group;
 * -EPERM if its MSIs cannot be isolated (see the allow_unsafe_interrupts
 * parameter) or another owner claimed the DMA of its group; -EBUSY if it
 * is bound to @ictx already, or the group's DMA is in use by the kernel;
 * -ENOMEM.
 */
struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev, u32 *id)
{
	return iommufd_device_do_bind(ictx, dev, id, true);
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_bind, IOMMUFD);

/**
 * iommufd_device_bind_owned() - bind a device for an owner inside the context
 * @ictx: the context
 * @dev: the device, as for iommufd_device_bind()
 * @id: set to the ID of the new device object
 *
 * As iommufd_device_bind(), for an owner that is itself an object of @ictx
 * (the selftest's mock device objects).  The device takes no reference on
 * the context: one held from inside the context would keep it from ever
 * being released, and the owner goes with the context anyway.
 *
 * Context: process context; may sleep.
 * Return: as iommufd_device_bind().
 */
struct iommufd_device *iommufd_device_bind_owned(struct iommufd_ctx *ictx,
						 struct device *dev, u32 *id)
{
	return iommufd_device_do_bind(ictx, dev, id, false);
}

/**
 * iommufd_device_to_id() - the object ID of a bound device
 * @idev: a bound device
 *
 * Context: any context.
 * Return: the ID user space names the device by.
 */
u32 iommufd_device_to_id(struct iommufd_device *idev)
{
	return idev->obj.id;
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_to_id, IOMMUFD);

/**
 * iommufd_device_unbind() - undo iommufd_device_bind()
 * @idev: the device, detached already
 *
 * Gives DMA ownership of the device back to the kernel and destroys the
 * device object, after waiting for ioctls that are using it right now.
 * Nothing else may be called on @idev concurrently, or afterwards.
 *
 * Context: process context; may sleep.
 */
void iommufd_device_unbind(struct iommufd_device *idev)
{
	struct iommufd_ctx *ictx = idev->ictx;
	bool ictx_referenced = idev->ictx_referenced;

	WARN_ON(iommufd_object_unref_destroy(ictx, &idev->obj));
	/* Last, so the context outlives the destroy of its object */
	if (ictx_referenced)
		iommufd_ctx_put(ictx);
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_unbind, IOMMUFD);

/**
 * iommufd_device_to_ictx() - the context a device is bound to
 * @idev: a bound device
 *
 * Context: any context.
 * Return: the context; valid while @idev is bound.
 */
struct iommufd_ctx *iommufd_device_to_ictx(struct iommufd_device *idev)
{
	return idev->ictx;
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_to_ictx, IOMMUFD);

/**
 * iommufd_ctx_has_group() - tell whether a context owns an IOMMU group
 * @ictx: a context, or NULL
 * @group: an IOMMU group the caller holds a reference on, or NULL
 *
 * A context owns a group once any device of the group is bound to it.
 *
 * Context: any context.
 * Return: true if a device of @group is bound to @ictx.
 */
bool iommufd_ctx_has_group(struct iommufd_ctx *ictx, struct iommu_group *group)
{
	if (!ictx || !group)
		return false;
	/* Group IDs are unique among live groups, and ours hold theirs */
	return xa_load(&ictx->groups, iommu_group_id(group));
}
EXPORT_SYMBOL_NS_GPL(iommufd_ctx_has_group, IOMMUFD);

/* ---- Reserved IOVA and MSI ------------------------------------------------ */

/*
 * Reserve in @ioas the IOVA that @idev's platform claims (MSI doorbells,
 * firmware owned ranges), so that no mapping covers it while the device
 * translates through a domain of @ioas.  On failure nothing of @idev stays
 * reserved in @ioas.
 */
static int iommufd_device_reserve_regions(struct iommufd_device *idev,
					  struct iommufd_ioas *ioas)
{
	struct iommu_resv_region *region;
	LIST_HEAD(regions);
	int rc = 0;

	lockdep_assert_held(&idev->igroup->lock);

	iommu_get_resv_regions(idev->dev, &regions);
	list_for_each_entry(region, &regions, list) {
		/*
		 * Relaxable direct regions (RMRRs for USB and graphics) only
		 * serve the kernel's own DMA domain, which a device owned by
		 * user space is not using.
		 */
		if (region->type == IOMMU_RESV_DIRECT_RELAXABLE ||
		    !region->length)
			continue;
		rc = iopt_reserve(&ioas->iopt, region->start,
				  region->start + region->length - 1, idev);
		if (rc)
			break;
	}
	iommu_put_resv_regions(idev->dev, &regions);

	if (rc)
		iopt_unreserve(&ioas->iopt, idev);
	return rc;
}

/*
 * Where the IOMMU of @idev wants the software MSI window in its domains,
 * or PHYS_ADDR_MAX if it needs none.  Read from the platform each time it
 * is needed, so no attach that failed can leave a stale value behind.
 */
static phys_addr_t iommufd_device_sw_msi_start(struct iommufd_device *idev)
{
	phys_addr_t sw_msi_start = PHYS_ADDR_MAX;
	struct iommu_resv_region *region;
	LIST_HEAD(regions);

	iommu_get_resv_regions(idev->dev, &regions);
	list_for_each_entry(region, &regions, list) {
		if (region->type == IOMMU_RESV_SW_MSI) {
			sw_msi_start = region->start;
			break;
		}
	}
	iommu_put_resv_regions(idev->dev, &regions);
	return sw_msi_start;
}

static void iommufd_group_unreserve_regions(struct iommufd_group *igroup,
					    struct iommufd_ioas *ioas)
{
	struct iommufd_attach *attach;

	list_for_each_entry(attach, &igroup->rid_attachments, rid_link)
		iopt_unreserve(&ioas->iopt, attach->idev);
}

/* Reserve the regions of every attached device of the group in @ioas */
static int iommufd_group_reserve_regions(struct iommufd_group *igroup,
					 struct iommufd_ioas *ioas)
{
	struct iommufd_attach *attach;
	int rc;

	list_for_each_entry(attach, &igroup->rid_attachments, rid_link) {
		rc = iommufd_device_reserve_regions(attach->idev, ioas);
		if (rc) {
			iommufd_group_unreserve_regions(igroup, ioas);
			return rc;
		}
	}
	return 0;
}

/*
 * An IOMMU with a software MSI window needs the DMA API's MSI cookie in
 * each domain its devices translate through, so that the IRQ layer can map
 * the MSI doorbell there when the device's interrupts are requested.  A
 * domain gets one cookie, for the first group that needs it.  For a nested
 * HWPT that is its parent's domain, which maps the IOVA the doorbell is at.
 * All devices of a group sit behind one IOMMU, so @idev speaks for all.
 */
static int iommufd_group_setup_msi(struct iommufd_device *idev,
				   struct iommufd_hwpt *hwpt)
{
	struct iommufd_hwpt_paging *hwpt_paging =
		iommufd_hwpt_base_paging(hwpt);
	phys_addr_t sw_msi_start;
	int rc;

	if (!hwpt_paging)
		return 0;
	sw_msi_start = iommufd_device_sw_msi_start(idev);
	if (sw_msi_start == PHYS_ADDR_MAX)
		return 0;

	guard(mutex)(&iommufd_msi_cookie_lock);
	if (hwpt_paging->msi_cookie)
		return 0;
	rc = iommu_get_msi_cookie(hwpt_paging->common.domain, sw_msi_start);
	if (rc)
		return rc;
	hwpt_paging->msi_cookie = true;
	return 0;
}

/* ---- Attachments of a group ---------------------------------------------- */

/*
 * Page requests reach the fault queue of a HWPT only while the device has
 * I/O page faults enabled: from before its first attachment to such a HWPT
 * until after its last one is gone.
 */
static int iommufd_device_get_iopf(struct iommufd_device *idev)
{
	int rc;

	lockdep_assert_held(&idev->igroup->lock);
	/* A VF shares PRI with its PF: one VF's answers would affect all */
	if (dev_is_pci(idev->dev) && to_pci_dev(idev->dev)->is_virtfn)
		return -EINVAL;
	if (!idev->iopf_users) {
		rc = iommu_dev_enable_feature(idev->dev, IOMMU_DEV_FEAT_IOPF);
		if (rc)
			return rc;
	}
	idev->iopf_users++;
	return 0;
}

static void iommufd_device_put_iopf(struct iommufd_device *idev)
{
	lockdep_assert_held(&idev->igroup->lock);
	if (!--idev->iopf_users)
		iommu_dev_disable_feature(idev->dev, IOMMU_DEV_FEAT_IOPF);
}

/* A new attachment record; the caller holds the group lock */
static struct iommufd_attach *iommufd_attach_new(struct iommufd_device *idev,
						 struct iommufd_hwpt *hwpt,
						 ioasid_t pasid)
{
	struct iommufd_attach *attach;
	int rc;

	attach = kzalloc(sizeof(*attach), GFP_KERNEL_ACCOUNT);
	if (!attach)
		return ERR_PTR(-ENOMEM);
	attach->idev = idev;
	attach->hwpt = hwpt;
	attach->hwpt_id = hwpt->obj.id;
	attach->pasid = pasid;
	INIT_LIST_HEAD(&attach->rid_link);
	if (hwpt->fault) {
		rc = iommufd_device_get_iopf(idev);
		if (rc) {
			kfree(attach);
			return ERR_PTR(rc);
		}
		attach->iopf_enabled = true;
	}
	atomic_inc(&hwpt->attachments);
	return attach;
}

/*
 * Free an attachment record the iommu core does not know (any more).  If
 * its handle was ever the core's, iommufd_attach_retire() ran first.
 */
static void iommufd_attach_free(struct iommufd_attach *attach)
{
	if (attach->iopf_enabled)
		iommufd_device_put_iopf(attach->idev);
	/* The caller still holds a reference on the HWPT */
	atomic_dec(&attach->hwpt->attachments);
	kfree_rcu(attach, rcu);
}

/*
 * @attach is off its group's list and the core no longer delivers faults
 * through it.  A delivery that looked the core's handle up (or walked the
 * list) before that may still be running: wait for the device's fault
 * queue to drain, then answer the page requests still queued with the
 * attachment, before I/O page faults may be turned off for the device and
 * the record freed.
 */
static void iommufd_attach_retire(struct iommufd_attach *attach)
{
	if (!attach->iopf_enabled)
		return;
	iopf_queue_flush_dev(attach->idev->dev);
	iommufd_fault_retire_attach(attach->hwpt->fault, attach);
}

/**
 * iommufd_attach_of_faulting_device() - the attachment a page request is for
 * @raised_through: the attachment whose handle the iommu core delivered the
 *                  request through; the core keeps one per IOMMU group and
 *                  PASID
 * @dev: the device that raised the request
 *
 * Called by the fault handler.  Attachments change under the group lock,
 * which a fault delivery must not wait for (detach flushes the deliveries
 * while holding it), so they are looked up under RCU, and records taken
 * out are freed after a grace period.
 *
 * A PASID attachment is its device's own: the current attachment of that
 * PASID of the device answers for the request, which is the one raised
 * through unless a replace is under way.  Another device of the group
 * reusing the PASID has no attachment of its own to be answered through.
 *
 * Context: any context the iommu core delivers faults in.
 * Return: the attachment of @dev's RID, or of its PASID when raised
 * through a PASID attachment; NULL if @dev is not attached (any more).
 */
struct iommufd_attach *
iommufd_attach_of_faulting_device(struct iommufd_attach *raised_through,
				  struct device *dev)
{
	struct iommufd_group *igroup = raised_through->idev->igroup;
	struct iommufd_attach *attach;

	if (raised_through->pasid != IOMMU_NO_PASID) {
		if (raised_through->idev->dev != dev)
			return NULL;
		return xa_load(&raised_through->idev->attachments,
			       raised_through->pasid);
	}

	guard(rcu)();
	list_for_each_entry_rcu(attach, &igroup->rid_attachments, rid_link) {
		if (attach->idev->dev == dev)
			return attach;
	}
	return NULL;
}

/* A domain serves only devices behind the IOMMU driver that made it */
static bool iommufd_domain_fits(struct iommufd_device *idev,
				struct iommufd_hwpt *hwpt)
{
	return hwpt->domain->owner == dev_iommu_ops(idev->dev);
}

/*
 * A device whose DMA the IOMMU can force to snoop only goes on a domain
 * that does so: VFIO reports such a device as coherent, and KVM then
 * stops emulating WBINVD for the guest.  A domain that does not enforce
 * yet is asked to; one that cannot does not fit the device.
 */
static int iommufd_hwpt_fits_coherency(struct iommufd_device *idev,
				       struct iommufd_hwpt *hwpt)
{
	struct iommufd_hwpt_paging *hwpt_paging =
		iommufd_hwpt_base_paging(hwpt);

	if (!idev->enforce_cache_coherency || !hwpt_paging)
		return 0;
	return iommufd_hwpt_paging_enforce_cc(hwpt_paging);
}

static bool iommufd_device_is_attached(struct iommufd_device *idev,
				       ioasid_t pasid)
{
	guard(mutex)(&idev->igroup->lock);
	return xa_load(&idev->attachments, pasid);
}

/*
 * The rule between a device's RID and its PASIDs: while any PASID of the
 * group is attached, the RID's HWPT, if there is one, must have been made
 * PASID-compatible too, for drivers that set the PASID table up through
 * the RID's domain.  Moving the RID to @hwpt must keep it.
 */
static int iommufd_rid_fits_pasids(struct iommufd_group *igroup,
				   struct iommufd_hwpt *hwpt)
{
	lockdep_assert_held(&igroup->lock);
	if (igroup->pasid_users && !hwpt->pasid_compat)
		return -EINVAL;
	return 0;
}

/*
 * Attach the RID of @idev to @hwpt.  The first device of the group attaches
 * the group in the iommu core; later ones join the group's HWPT, and no
 * other.  The device's reserved regions are reserved before its DMA can
 * reach the domain.
 */
static int iommufd_group_attach(struct iommufd_device *idev,
				struct iommufd_hwpt *hwpt)
{
	struct iommufd_hwpt_paging *hwpt_paging =
		iommufd_hwpt_base_paging(hwpt);
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_attach *attach;
	int rc;

	guard(mutex)(&igroup->lock);
	if (xa_load(&idev->attachments, IOMMU_NO_PASID))
		return -EBUSY;
	if ((igroup->hwpt && igroup->hwpt != hwpt) ||
	    !iommufd_domain_fits(idev, hwpt))
		return -EINVAL;
	rc = iommufd_rid_fits_pasids(igroup, hwpt);
	if (rc)
		return rc;
	rc = iommufd_hwpt_fits_coherency(idev, hwpt);
	if (rc)
		return rc;

	attach = iommufd_attach_new(idev, hwpt, IOMMU_NO_PASID);
	if (IS_ERR(attach))
		return PTR_ERR(attach);
	rc = xa_insert(&idev->attachments, IOMMU_NO_PASID, attach,
		       GFP_KERNEL_ACCOUNT);
	if (rc)
		goto err_free;

	if (hwpt_paging) {
		rc = iommufd_device_reserve_regions(idev, hwpt_paging->ioas);
		if (rc)
			goto err_erase;
	}
	if (!igroup->hwpt) {
		rc = iommufd_group_setup_msi(idev, hwpt);
		if (!rc)
			rc = iommu_attach_group_handle(hwpt->domain,
						       igroup->group,
						       &attach->handle);
		if (rc)
			goto err_unreserve;
		igroup->hwpt = hwpt;
	}
	list_add_tail_rcu(&attach->rid_link, &igroup->rid_attachments);
	iommufd_object_ref(&hwpt->obj);
	return 0;

err_unreserve:
	if (hwpt_paging)
		iopt_unreserve(&hwpt_paging->ioas->iopt, idev);
err_erase:
	xa_erase(&idev->attachments, IOMMU_NO_PASID);
err_free:
	iommufd_attach_free(attach);
	return rc;
}

/* Whether any attached device of @igroup needs cache coherency enforced */
static int iommufd_group_fits_coherency(struct iommufd_group *igroup,
					struct iommufd_hwpt *hwpt)
{
	struct iommufd_attach *attach;
	int rc;

	list_for_each_entry(attach, &igroup->rid_attachments, rid_link) {
		rc = iommufd_hwpt_fits_coherency(attach->idev, hwpt);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * Put the attachments in @moved, made in the order of the group's current
 * ones, in their place, retiring and freeing each current one, which the
 * core has just stopped using.  Storing over existing xarray entries
 * allocates nothing, so this cannot fail.
 */
static void iommufd_group_swap_attachments(struct list_head *moved)
{
	struct iommufd_attach *attach, *next;

	list_for_each_entry_safe(attach, next, moved, rid_link) {
		struct iommufd_attach *retired;

		retired = xa_store(&attach->idev->attachments, attach->pasid,
				   attach, GFP_KERNEL);
		if (WARN_ON(xa_is_err(retired) || !retired))
			continue;
		list_del(&attach->rid_link);
		/* A fault delivery may be on the retired one: see _retire() */
		list_replace_rcu(&retired->rid_link, &attach->rid_link);
		iommufd_attach_retire(retired);
		iommufd_attach_free(retired);
	}
}

/*
 * Move the RID of the group of @idev, which must be attached, to @hwpt in
 * one step of the iommu core, so that DMA is never unblocked or lost in
 * between.  The whole group moves: every attached device of it gets a new
 * attachment, and its references move to @hwpt.  On success *@released is
 * the HWPT left behind (NULL if @hwpt was the group's already), on which
 * the caller drops one reference once it holds no lock.
 */
static int iommufd_group_replace(struct iommufd_device *idev,
				 struct iommufd_hwpt *hwpt,
				 struct iommufd_hwpt **released)
{
	struct iommufd_hwpt_paging *new_paging = iommufd_hwpt_base_paging(hwpt);
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_hwpt_paging *old_paging;
	struct iommufd_attach *attach, *next;
	LIST_HEAD(moved);
	struct iommufd_hwpt *old;
	unsigned int nr_moved = 0, i;
	bool new_ioas, old_ioas_left;
	int rc;

	guard(mutex)(&igroup->lock);
	if (!xa_load(&idev->attachments, IOMMU_NO_PASID))
		return -EINVAL;
	old = igroup->hwpt;
	if (hwpt == old)
		return 0;
	if (!iommufd_domain_fits(idev, hwpt))
		return -EINVAL;
	/* Replace moves to a filled domain: the target maps its IOAS */
	if (WARN_ON(new_paging && !new_paging->linked))
		return -EINVAL;
	rc = iommufd_rid_fits_pasids(igroup, hwpt);
	if (rc)
		return rc;
	rc = iommufd_group_fits_coherency(igroup, hwpt);
	if (rc)
		return rc;

	list_for_each_entry(attach, &igroup->rid_attachments, rid_link) {
		struct iommufd_attach *successor =
			iommufd_attach_new(attach->idev, hwpt, IOMMU_NO_PASID);

		if (IS_ERR(successor)) {
			rc = PTR_ERR(successor);
			goto err_free;
		}
		list_add_tail(&successor->rid_link, &moved);
		nr_moved++;
	}

	/* Within one IOAS the reservations are in place already */
	old_paging = iommufd_hwpt_base_paging(old);
	new_ioas = new_paging &&
		   (!old_paging || old_paging->ioas != new_paging->ioas);
	old_ioas_left = old_paging &&
			(!new_paging || old_paging->ioas != new_paging->ioas);
	if (new_ioas) {
		rc = iommufd_group_reserve_regions(igroup, new_paging->ioas);
		if (rc)
			goto err_free;
	}
	rc = iommufd_group_setup_msi(idev, hwpt);
	if (rc)
		goto err_unreserve;
	attach = list_first_entry(&moved, struct iommufd_attach, rid_link);
	rc = iommu_replace_group_handle(igroup->group, hwpt->domain,
					&attach->handle);
	if (rc)
		goto err_unreserve;

	if (old_ioas_left)
		iommufd_group_unreserve_regions(igroup, old_paging->ioas);
	iommufd_group_swap_attachments(&moved);
	igroup->hwpt = hwpt;
	for (i = 0; i != nr_moved; i++)
		iommufd_object_ref(&hwpt->obj);
	/* One per moved device; the last is the caller's to drop, unlocked */
	for (i = 1; i != nr_moved; i++)
		iommufd_object_unref(&old->obj);
	*released = old;
	return 0;

err_unreserve:
	if (new_ioas)
		iommufd_group_unreserve_regions(igroup, new_paging->ioas);
err_free:
	list_for_each_entry_safe(attach, next, &moved, rid_link)
		iommufd_attach_free(attach);
	return rc;
}

/*
 * Detach the RID of @idev.  The last device of the group to go puts the
 * group back to blocking DMA.  Returns the HWPT, on which the caller drops
 * the attachment's reference once it holds no lock.
 */
static struct iommufd_hwpt *iommufd_group_detach(struct iommufd_device *idev)
{
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommufd_attach *attach, *head;
	struct iommufd_hwpt *hwpt;

	guard(mutex)(&igroup->lock);
	attach = xa_erase(&idev->attachments, IOMMU_NO_PASID);
	if (WARN_ON(!attach))
		return NULL;
	hwpt = attach->hwpt;

	head = list_first_entry(&igroup->rid_attachments, struct iommufd_attach,
				rid_link);
	/* Fault deliveries may be walking the list: see _retire() */
	list_del_rcu(&attach->rid_link);
	if (list_empty(&igroup->rid_attachments)) {
		iommu_detach_group_handle(hwpt->domain, igroup->group);
		igroup->hwpt = NULL;
	} else if (attach == head) {
		/*
		 * The core's handle has to lead to a device that is still
		 * attached.  Storing a new handle for the domain the group is
		 * on already changes no translation and allocates nothing.
		 */
		head = list_first_entry(&igroup->rid_attachments,
					struct iommufd_attach, rid_link);
		WARN_ON(iommu_replace_group_handle(igroup->group, hwpt->domain,
						   &head->handle));
	}
	iommufd_attach_retire(attach);

	hwpt_paging = iommufd_hwpt_base_paging(hwpt);
	if (hwpt_paging)
		iopt_unreserve(&hwpt_paging->ioas->iopt, idev);
	iommufd_attach_free(attach);
	return hwpt;
}

/* ---- Attachments of a PASID ---------------------------------------------- */

/*
 * Whether @pasid of @idev may translate through @hwpt.  A PASID is the
 * device's own: no reserved region or MSI window concerns it, since
 * interrupts and the platform's ranges are reached by DMA without a PASID.
 */
static int iommufd_pasid_fits(struct iommufd_device *idev,
			      struct iommufd_hwpt *hwpt, ioasid_t pasid)
{
	struct iommufd_group *igroup = idev->igroup;

	lockdep_assert_held(&igroup->lock);
	/* Also refuses every PASID of a device without PASID support */
	if (pasid >= idev->dev->iommu->max_pasids)
		return -EINVAL;
	if (!iommufd_domain_fits(idev, hwpt) || !hwpt->pasid_compat)
		return -EINVAL;
	if (igroup->hwpt && !igroup->hwpt->pasid_compat)
		return -EINVAL;
	return iommufd_hwpt_fits_coherency(idev, hwpt);
}

/*
 * Attach @pasid of @idev to @hwpt.  The attachment's handle is what the
 * iommu core stores for the (group, PASID), so a page request on the
 * PASID leads straight to it.
 */
static int iommufd_pasid_attach(struct iommufd_device *idev,
				struct iommufd_hwpt *hwpt, ioasid_t pasid)
{
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_attach *attach;
	int rc;

	guard(mutex)(&igroup->lock);
	if (xa_load(&idev->attachments, pasid))
		return -EBUSY;
	rc = iommufd_pasid_fits(idev, hwpt, pasid);
	if (rc)
		return rc;

	attach = iommufd_attach_new(idev, hwpt, pasid);
	if (IS_ERR(attach))
		return PTR_ERR(attach);
	rc = xa_insert(&idev->attachments, pasid, attach, GFP_KERNEL_ACCOUNT);
	if (rc)
		goto err_free;
	rc = iommu_attach_device_pasid(hwpt->domain, idev->dev, pasid,
				       &attach->handle);
	if (rc)
		goto err_erase;
	igroup->pasid_users++;
	iommufd_object_ref(&hwpt->obj);
	return 0;

err_erase:
	xa_erase(&idev->attachments, pasid);
err_free:
	iommufd_attach_free(attach);
	return rc;
}

/*
 * Move @pasid of @idev, which must be attached, to @hwpt in one step of
 * the iommu core.  On success *@released is the HWPT left behind (NULL if
 * @hwpt was the PASID's already), on which the caller drops the old
 * attachment's reference once it holds no lock.
 */
static int iommufd_pasid_replace(struct iommufd_device *idev,
				 struct iommufd_hwpt *hwpt, ioasid_t pasid,
				 struct iommufd_hwpt **released)
{
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_attach *old, *attach;
	int rc;

	guard(mutex)(&igroup->lock);
	old = xa_load(&idev->attachments, pasid);
	if (!old)
		return -EINVAL;
	if (old->hwpt == hwpt)
		return 0;
	rc = iommufd_pasid_fits(idev, hwpt, pasid);
	if (rc)
		return rc;

	/* Made before the switch: the old record serves until it is done */
	attach = iommufd_attach_new(idev, hwpt, pasid);
	if (IS_ERR(attach))
		return PTR_ERR(attach);
	rc = iommu_replace_device_pasid(hwpt->domain, idev->dev, pasid,
					&attach->handle);
	if (rc) {
		iommufd_attach_free(attach);
		return rc;
	}
	/* Over an existing entry: allocates nothing, cannot fail */
	WARN_ON(xa_is_err(xa_store(&idev->attachments, pasid, attach,
				   GFP_KERNEL)));
	iommufd_attach_retire(old);
	iommufd_object_ref(&hwpt->obj);
	*released = old->hwpt;
	iommufd_attach_free(old);
	return 0;
}

/*
 * Detach @pasid of @idev and return its HWPT, on which the caller drops
 * the attachment's reference once it holds no lock; NULL if the PASID was
 * not attached.  Every page request of the PASID still unanswered is
 * answered before this returns.
 */
static struct iommufd_hwpt *iommufd_pasid_detach(struct iommufd_device *idev,
						 ioasid_t pasid)
{
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_attach *attach;
	struct iommufd_hwpt *hwpt;

	guard(mutex)(&igroup->lock);
	attach = xa_erase(&idev->attachments, pasid);
	if (!attach)
		return NULL;
	hwpt = attach->hwpt;
	iommu_detach_device_pasid(hwpt->domain, idev->dev, pasid);
	iommufd_attach_retire(attach);
	iommufd_attach_free(attach);
	igroup->pasid_users--;
	return hwpt;
}

static int iommufd_device_connect(struct iommufd_device *idev,
				  struct iommufd_hwpt *hwpt, ioasid_t pasid,
				  bool replace, struct iommufd_hwpt **released)
{
	if (pasid != IOMMU_NO_PASID) {
		if (replace)
			return iommufd_pasid_replace(idev, hwpt, pasid,
						     released);
		return iommufd_pasid_attach(idev, hwpt, pasid);
	}
	if (replace)
		return iommufd_group_replace(idev, hwpt, released);
	return iommufd_group_attach(idev, hwpt);
}

/* ---- Automatic HWPTs ---------------------------------------------------- */

static int iommufd_device_try_auto_hwpt(struct iommufd_device *idev,
					struct iommufd_hwpt_paging *hwpt_paging,
					ioasid_t pasid, bool replace,
					struct iommufd_hwpt **released)
{
	struct iommufd_hwpt *hwpt = &hwpt_paging->common;
	struct iommufd_object *obj;
	int rc;

	/*
	 * One being destroyed is unpublished, waiting for the IOAS mutex to
	 * leave the list: skip it like one that does not fit.  A published
	 * one cannot lose its last dependent while we hold the lookup.
	 */
	obj = iommufd_get_object(idev->ictx, hwpt->obj.id,
				 IOMMUFD_OBJ_HWPT_PAGING);
	if (IS_ERR(obj))
		return -EINVAL;
	rc = iommufd_device_connect(idev, hwpt, pasid, replace, released);
	iommufd_put_object(idev->ictx, obj);
	return rc;
}

static int iommufd_device_new_auto_hwpt(struct iommufd_device *idev,
					struct iommufd_ioas *ioas, bool replace,
					u32 *pt_id,
					struct iommufd_hwpt **released,
					struct iommufd_hwpt **created)
{
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommufd_hwpt *hwpt;
	int rc;

	lockdep_assert_held(&ioas->mutex);

	hwpt_paging = iommufd_hwpt_paging_alloc(ioas, idev, 0);
	if (IS_ERR(hwpt_paging))
		return PTR_ERR(hwpt_paging);
	hwpt = &hwpt_paging->common;
	/*
	 * Once attached, the HWPT can be reached through the device's group
	 * before it is published, and another thread may move the device
	 * away again at once.  The HWPT is automatic from the start, so that
	 * such a move drops its reference as an automatic HWPT's; and a
	 * reference of our own keeps it until it is published, which the
	 * caller then drops like a device's, destroying the HWPT if no
	 * device is left on it.
	 */
	hwpt_paging->auto_domain = true;
	iommufd_object_ref(&hwpt->obj);

	if (replace) {
		/* Replace moves to a filled domain: link it first */
		rc = iommufd_hwpt_paging_link(hwpt_paging);
		if (!rc)
			rc = iommufd_group_replace(idev, hwpt, released);
	} else {
		/*
		 * The one path that attaches a domain before filling it: some
		 * drivers settle a domain's aperture and page sizes at its
		 * first attach, and no device can be on it yet for a replace.
		 */
		rc = iommufd_group_attach(idev, hwpt);
		if (!rc) {
			rc = iommufd_hwpt_paging_link(hwpt_paging);
			if (rc) {
				iommufd_group_detach(idev);
				/* Unpublished: the abort below frees it */
				iommufd_object_unref(&hwpt->obj);
			}
		}
	}
	if (rc) {
		iommufd_object_abort_and_destroy(idev->ictx, &hwpt->obj);
		return rc;
	}

	list_add_tail(&hwpt_paging->auto_link, &ioas->auto_hwpts);
	*pt_id = hwpt->obj.id;
	iommufd_object_finalize(idev->ictx, &hwpt->obj);
	*created = hwpt;
	return 0;
}

/*
 * Every automatic HWPT of an IOAS mirrors the same mappings, so any one the
 * device's IOMMU accepts will do; only when none does is a new one made.
 * An attach refused with -EINVAL means the domain does not fit the device
 * (see iommu.h), so the next one is tried; other errors are final.
 */
static int iommufd_device_auto_domain(struct iommufd_device *idev,
				      struct iommufd_ioas *ioas, ioasid_t pasid,
				      bool replace, u32 *pt_id,
				      struct iommufd_hwpt **released,
				      struct iommufd_hwpt **created)
{
	struct iommufd_hwpt_paging *hwpt_paging;
	int rc;

	guard(mutex)(&ioas->mutex);
	list_for_each_entry(hwpt_paging, &ioas->auto_hwpts, auto_link) {
		rc = iommufd_device_try_auto_hwpt(idev, hwpt_paging, pasid,
						  replace, released);
		if (rc == -EINVAL)
			continue;
		if (!rc)
			*pt_id = hwpt_paging->common.obj.id;
		return rc;
	}
	/*
	 * Automatic HWPTs are made without IOMMU_HWPT_ALLOC_PASID, so a new
	 * one could never take a PASID: refuse before allocating it.
	 */
	if (pasid != IOMMU_NO_PASID)
		return -EINVAL;
	return iommufd_device_new_auto_hwpt(idev, ioas, replace, pt_id,
					    released, created);
}

/* ---- Attach, replace, detach ---------------------------------------------- */

static int iommufd_device_change_pt(struct iommufd_device *idev,
				    ioasid_t pasid, u32 *pt_id, bool replace)
{
	struct iommufd_hwpt *released = NULL, *created = NULL;
	struct iommufd_object *pt_obj;
	int rc;

	/* Refuse early, before an automatic domain is made for nothing */
	if (iommufd_device_is_attached(idev, pasid) != replace)
		return replace ? -EINVAL : -EBUSY;

	pt_obj = iommufd_get_object(idev->ictx, *pt_id, IOMMUFD_OBJ_ANY);
	if (IS_ERR(pt_obj))
		return PTR_ERR(pt_obj);

	switch (pt_obj->type) {
	case IOMMUFD_OBJ_HWPT_PAGING:
	case IOMMUFD_OBJ_HWPT_NESTED:
		rc = iommufd_device_connect(idev,
					    container_of(pt_obj,
							 struct iommufd_hwpt,
							 obj),
					    pasid, replace, &released);
		break;
	case IOMMUFD_OBJ_IOAS:
		rc = iommufd_device_auto_domain(idev,
						container_of(pt_obj,
							     struct iommufd_ioas,
							     obj),
						pasid, replace, pt_id,
						&released, &created);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	iommufd_put_object(idev->ictx, pt_obj);

	/* With every lock dropped: an automatic HWPT may go with it */
	if (released)
		iommufd_hwpt_drop_device(idev->ictx, released);
	/* The new automatic HWPT is published: its device may be gone */
	if (created)
		iommufd_hwpt_drop_device(idev->ictx, created);
	return rc;
}

/**
 * iommufd_device_attach() - attach a device, or one of its PASIDs, to a HWPT
 * @idev: a bound device
 * @pasid: IOMMU_NO_PASID for the device's RID (its DMA without a PASID),
 *         or a PASID below the device's PASID width
 * @pt_id: in: the ID of a paging or nested HWPT, or of an IOAS for which
 *         the kernel picks, or makes, an automatic HWPT the device's IOMMU
 *         accepts; out: the ID of the HWPT that got attached
 *
 * From here on the DMA of the RID, or of @pasid, is translated by the
 * HWPT's domain.  For the RID the IOVA the device's platform reserves is
 * reserved in the HWPT's IOAS (for a nested HWPT, its parent's), which
 * stays linked as it was, and devices of one IOMMU group can only be
 * attached to the same HWPT.  A PASID can only be attached to a HWPT
 * allocated with IOMMU_HWPT_ALLOC_PASID, while the RID is detached or on
 * such a HWPT too; automatic HWPTs never are.  Each (device, PASID) has
 * at most one attachment.  Undone by iommufd_device_detach().
 *
 * Context: process context; may sleep.
 * Return: 0; -ENOENT if @pt_id names nothing; -EINVAL if it names neither
 * a HWPT nor an IOAS, or a HWPT the device cannot use (its IOMMU refuses
 * the domain, another device of its group is attached elsewhere, or the
 * PASID rules above are broken), or @pasid is beyond the device's PASID
 * width; -EBUSY if the RID or @pasid is attached already (or @pasid is
 * attached through another device of the IOMMU group); -EOPNOTSUPP if the
 * IOMMU driver cannot attach PASIDs; -EADDRINUSE if IOVA reserved for the
 * device is mapped in the IOAS; -ENOMEM; or another error of the IOMMU
 * driver.
 */
int iommufd_device_attach(struct iommufd_device *idev, ioasid_t pasid,
			  u32 *pt_id)
{
	int rc = iommufd_device_change_pt(idev, pasid, pt_id, false);

	if (!rc)
		trace_iommufd_device_attach(idev->obj.id, pasid, *pt_id);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_attach, IOMMUFD);

/**
 * iommufd_device_replace() - move an attachment to another HWPT
 * @idev: a bound device
 * @pasid: the attached RID (IOMMU_NO_PASID) or PASID to move
 * @pt_id: in: a HWPT or an IOAS, as for iommufd_device_attach();
 *         out: the ID of the HWPT attached now
 *
 * Does what a detach followed by an attach would, but the IOMMU switches
 * domains in one step, so DMA is never unblocked or lost in between; for
 * the RID the other attached devices of the IOMMU group move along.  The
 * page requests of the attachment left behind that user space has not
 * answered are answered as invalid.  On failure nothing changed.  A HWPT
 * left without devices that was made automatically is destroyed.
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL if the RID or @pasid is not attached; otherwise the
 * errors of iommufd_device_attach() except -EBUSY.
 */
int iommufd_device_replace(struct iommufd_device *idev, ioasid_t pasid,
			   u32 *pt_id)
{
	int rc = iommufd_device_change_pt(idev, pasid, pt_id, true);

	if (!rc)
		trace_iommufd_device_replace(idev->obj.id, pasid, *pt_id);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_replace, IOMMUFD);

/**
 * iommufd_device_detach() - undo iommufd_device_attach()
 * @idev: a bound device
 * @pasid: the attached RID (IOMMU_NO_PASID) or PASID to detach
 *
 * The DMA of @pasid is blocked again; for the RID, once no device of its
 * IOMMU group is attached any more.  Every page request of the attachment
 * that user space has not answered is answered as invalid before this
 * returns.  A HWPT left without devices that was made automatically is
 * destroyed.  Detaching a PASID that is not attached does nothing.
 *
 * Context: process context; may sleep.
 */
void iommufd_device_detach(struct iommufd_device *idev, ioasid_t pasid)
{
	struct iommufd_hwpt *hwpt;

	if (pasid == IOMMU_NO_PASID)
		hwpt = iommufd_group_detach(idev);
	else
		hwpt = iommufd_pasid_detach(idev, pasid);
	if (!hwpt)
		return;
	/* Before the drop, which may destroy an automatic HWPT */
	trace_iommufd_device_detach(idev->obj.id, pasid, hwpt->obj.id);
	iommufd_hwpt_drop_device(idev->ictx, hwpt);
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_detach, IOMMUFD);

/* The lowest attached PASID (or the RID) of @idev in *@pasid, if any */
static bool iommufd_device_first_attached(struct iommufd_device *idev,
					  unsigned long *pasid)
{
	guard(mutex)(&idev->igroup->lock);
	*pasid = 0;
	return xa_find(&idev->attachments, pasid, ULONG_MAX, XA_PRESENT);
}

/**
 * iommufd_device_detach_all() - detach the RID and every PASID of a device
 * @idev: a bound device
 *
 * For owners that leave the bookkeeping of their device's PASIDs to
 * iommufd (the selftest), and for cleaning up after an owner that did not
 * detach before unbinding.
 *
 * Context: process context; may sleep.
 */
void iommufd_device_detach_all(struct iommufd_device *idev)
{
	unsigned long pasid;

	while (iommufd_device_first_attached(idev, &pasid))
		iommufd_device_detach(idev, pasid);
}

/* ---- IOMMU_GET_HW_INFO ------------------------------------------------- */

/*
 * The capabilities iommufd reports for @dev besides the driver's own data;
 * sets *@pasid_log2 when PASIDs are enabled for the device.
 */
static u64 iommufd_device_capabilities(struct device *dev, u8 *pasid_log2)
{
	u64 caps = 0;
	int pasid_ctrl;

	if (device_iommu_capable(dev, IOMMU_CAP_DIRTY_TRACKING))
		caps |= IOMMU_HW_CAP_DIRTY_TRACKING;

	/*
	 * IOMMU drivers enable PASIDs while probing a device that can use
	 * them, so a non-zero max_pasids means supported and enabled.
	 */
	*pasid_log2 = 0;
	if (!dev->iommu->max_pasids)
		return caps;
	*pasid_log2 = ilog2(dev->iommu->max_pasids);
	if (!dev_is_pci(dev))
		return caps;
	pasid_ctrl = pci_pasid_status(to_pci_dev(dev));
	if (WARN_ON_ONCE(pasid_ctrl < 0 ||
			 !(pasid_ctrl & PCI_PASID_CTRL_ENABLE)))
		return caps;
	if (pasid_ctrl & PCI_PASID_CTRL_EXEC)
		caps |= IOMMU_HW_CAP_PCI_PASID_EXEC;
	if (pasid_ctrl & PCI_PASID_CTRL_PRIV)
		caps |= IOMMU_HW_CAP_PCI_PASID_PRIV;
	return caps;
}

/*
 * Fill @len bytes at @ubuf with the @data_len bytes at @data (NULL when
 * there are none), then zeros: user space sizes its buffer for the largest
 * struct it knows, and must not read stale bytes past what we have.
 */
static int iommufd_copy_hw_info(void __user *ubuf, u32 len, const void *data,
				u32 data_len)
{
	u32 copied = min(len, data_len);

	if (copy_to_user(ubuf, data, copied))
		return -EFAULT;
	if (len > copied && clear_user(ubuf + copied, len - copied))
		return -EFAULT;
	return 0;
}

/**
 * iommufd_get_hw_info() - IOMMU_GET_HW_INFO
 * @ucmd: the ioctl, holding a struct iommu_hw_info
 *
 * Copies the driver's description of the IOMMU behind device dev_id into
 * the user's data_len bytes at data_uptr (truncated, or zero-filled past
 * its end) and reports its type and its full length in data_len.  A
 * device whose IOMMU describes nothing reports IOMMU_HW_INFO_TYPE_NONE and
 * length 0.  With IOMMU_HW_INFO_FLAG_INPUT_TYPE the caller names the type
 * it wants in in_data_type.
 *
 * Context: process context; may sleep.
 * Return: 0; -EOPNOTSUPP for an unknown flag, non-zero __reserved or a
 * type the driver does not report; -ENOENT if dev_id names no device;
 * -EFAULT; -ENOMEM; -ENODEV if the driver describes its IOMMU without a
 * type.
 */
int iommufd_get_hw_info(struct iommufd_ucmd *ucmd)
{
	struct iommu_hw_info *cmd = ucmd->cmd;
	u32 wanted_type = IOMMU_HW_INFO_TYPE_DEFAULT;
	const struct iommu_ops *ops;
	struct iommufd_device *idev;
	void *data = NULL;
	u32 data_len = 0;
	int rc;

	if (cmd->flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE ||
	    memchr_inv(cmd->__reserved, 0, sizeof(cmd->__reserved)))
		return -EOPNOTSUPP;
	if (cmd->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		wanted_type = cmd->in_data_type;

	idev = iommufd_get_device(ucmd->ictx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);

	ops = dev_iommu_ops(idev->dev);
	cmd->out_data_type = IOMMU_HW_INFO_TYPE_NONE;
	if (ops->hw_info) {
		data = ops->hw_info(idev->dev, &data_len, &cmd->out_data_type);
		if (IS_ERR(data)) {
			rc = PTR_ERR(data);
			data = NULL;
			goto out_put;
		}
		/* NONE is what drivers without the op report */
		if (WARN_ON_ONCE(cmd->out_data_type ==
				 IOMMU_HW_INFO_TYPE_NONE)) {
			rc = -ENODEV;
			goto out_put;
		}
		/*
		 * 6.12's drivers know one format each and do not read the
		 * requested one, so the choice is checked here.
		 */
		if (wanted_type != IOMMU_HW_INFO_TYPE_DEFAULT &&
		    wanted_type != cmd->out_data_type) {
			rc = -EOPNOTSUPP;
			goto out_put;
		}
	}

	rc = iommufd_copy_hw_info(u64_to_user_ptr(cmd->data_uptr),
				  cmd->data_len, data, data_len);
	if (rc)
		goto out_put;
	/* The whole length, so user space learns what it could get */
	cmd->data_len = data_len;
	cmd->out_capabilities =
		iommufd_device_capabilities(idev->dev,
					    &cmd->out_max_pasid_log2);
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	kfree(data);
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}
