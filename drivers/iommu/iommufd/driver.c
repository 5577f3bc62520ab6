// SPDX-License-Identifier: GPL-2.0-only
/*
 * What IOMMU drivers call from their vIOMMU code: dependencies between
 * their objects, hardware pages user space may map, the devices behind
 * virtual IDs, and reporting events to vEVENTQs.
 *
 * This file is built into the kernel whenever iommufd or an iommufd-aware
 * driver is (CONFIG_IOMMUFD_DRIVER_CORE), so that a built-in IOMMU driver
 * links against it while iommufd itself is a module.  It therefore calls
 * no function of the rest of iommufd: it works on the structures alone,
 * under the locks viommu.h names.
 */
#include <linux/err.h>
#include <linux/export.h>
#include <linux/iommufd.h>
#include <linux/maple_tree.h>
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

#include "device.h"
#include "viommu.h"

/**
 * _iommufd_object_depend() - make one driver object depend on another
 * @obj_dependent: the object that needs @obj_depended
 * @obj_depended: an object of the same type, which the caller knows to be
 *                alive (its driver state is protected by the caller's
 *                lock, which its destroy takes)
 *
 * Use iommufd_hw_queue_depend().  @obj_depended cannot be destroyed
 * (-EBUSY) until _iommufd_object_undepend().
 *
 * Context: any context.
 * Return: 0; -EINVAL for an object depending on itself or on one of
 * another type; -ENOENT if @obj_depended is being destroyed already.
 */
int _iommufd_object_depend(struct iommufd_object *obj_dependent,
			   struct iommufd_object *obj_depended)
{
	if (obj_dependent == obj_depended ||
	    obj_dependent->type != obj_depended->type)
		return -EINVAL;
	/* Past the last check of its destroy, it cannot be held any more */
	if (!refcount_inc_not_zero(&obj_depended->long_users))
		return -ENOENT;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(_iommufd_object_depend, IOMMUFD);

/**
 * _iommufd_object_undepend() - undo _iommufd_object_depend()
 * @obj_dependent: the object that needed @obj_depended
 * @obj_depended: the object it depended on
 *
 * Context: any context.
 */
void _iommufd_object_undepend(struct iommufd_object *obj_dependent,
			      struct iommufd_object *obj_depended)
{
	if (WARN_ON_ONCE(obj_dependent == obj_depended ||
			 obj_dependent->type != obj_depended->type))
		return;
	refcount_dec(&obj_depended->long_users);
}
EXPORT_SYMBOL_NS_GPL(_iommufd_object_undepend, IOMMUFD);

/* mmap() offsets must stay positive as an off_t */
#define IOMMUFD_MMAP_OFFSET_MAX ((unsigned long)LONG_MAX)

/**
 * _iommufd_alloc_mmap() - let user space map a region of hardware
 * @ictx: the context of @owner
 * @owner: the object the region belongs to; each mapping of the region
 *         holds a long-term reference on it
 * @mmio_addr: physical address of the region, page aligned
 * @length: bytes, page aligned
 * @offset: set to the offset user space passes to mmap() on the iommufd,
 *          never 0
 *
 * Use iommufd_viommu_alloc_mmap().  The region is mapped uncached, whole
 * or not at all.
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL for an unaligned or empty region; -ENOMEM; -EBUSY if
 * the offset space is full.
 */
int _iommufd_alloc_mmap(struct iommufd_ctx *ictx, struct iommufd_object *owner,
			phys_addr_t mmio_addr, size_t length,
			unsigned long *offset)
{
	struct iommufd_mmap *immap;
	unsigned long start;
	int rc;

	if (WARN_ON_ONCE(!offset))
		return -EINVAL;
	if (!length || !PAGE_ALIGNED(length) || !PAGE_ALIGNED(mmio_addr))
		return -EINVAL;

	immap = kzalloc(sizeof(*immap), GFP_KERNEL_ACCOUNT);
	if (!immap)
		return -ENOMEM;
	immap->owner = owner;
	immap->mmio_addr = mmio_addr;
	immap->length = length;
	/* Offsets start at PAGE_SIZE: an offset of 0 is never a region */
	rc = mtree_alloc_range(&ictx->mt_mmap, &start, immap, length,
			       PAGE_SIZE, IOMMUFD_MMAP_OFFSET_MAX,
			       GFP_KERNEL_ACCOUNT);
	if (rc) {
		kfree(immap);
		return rc;
	}
	immap->vm_pgoff = start >> PAGE_SHIFT;
	*offset = start;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(_iommufd_alloc_mmap, IOMMUFD);

/**
 * _iommufd_destroy_mmap() - take back a region from _iommufd_alloc_mmap()
 * @ictx: the context of @owner
 * @owner: the object that registered it
 * @offset: the offset _iommufd_alloc_mmap() gave
 *
 * Use iommufd_viommu_destroy_mmap(), from the destroy op of @owner: only
 * then can no mapping of the region be left.
 *
 * Context: process context; may sleep.
 */
void _iommufd_destroy_mmap(struct iommufd_ctx *ictx,
			   struct iommufd_object *owner, unsigned long offset)
{
	struct iommufd_mmap *immap;

	immap = mtree_erase(&ictx->mt_mmap, offset);
	if (WARN_ON_ONCE(!immap || immap->owner != owner))
		return;
	/* Lookups find regions under the tree's lock: none holds it now */
	kfree(immap);
}
EXPORT_SYMBOL_NS_GPL(_iommufd_destroy_mmap, IOMMUFD);

/**
 * iommufd_vdevice_to_device() - the physical device behind a vDEVICE
 * @vdev: the vDEVICE
 *
 * Context: any context.
 * Return: the device; valid for as long as @vdev is.
 */
struct device *iommufd_vdevice_to_device(struct iommufd_vdevice *vdev)
{
	return vdev->idev->dev;
}
EXPORT_SYMBOL_NS_GPL(iommufd_vdevice_to_device, IOMMUFD);

/**
 * iommufd_viommu_find_dev() - the device a VM names by a virtual ID
 * @viommu: the vIOMMU
 * @vdev_id: the virtual ID
 *
 * Context: the caller holds @viommu->vdevs' lock (xa_lock()), which keeps
 * the device's vDEVICE, and so the device, from going while it is used.
 * Return: the device, or NULL if no vDEVICE has @vdev_id.
 */
struct device *iommufd_viommu_find_dev(struct iommufd_viommu *viommu,
				       unsigned long vdev_id)
{
	struct iommufd_vdevice *vdev;

	lockdep_assert_held(&viommu->vdevs.xa_lock);

	vdev = xa_load(&viommu->vdevs, vdev_id);
	return vdev ? iommufd_vdevice_to_device(vdev) : NULL;
}
EXPORT_SYMBOL_NS_GPL(iommufd_viommu_find_dev, IOMMUFD);

/**
 * iommufd_viommu_get_vdev_id() - the virtual ID of a device on a vIOMMU
 * @viommu: the vIOMMU
 * @dev: a device
 * @vdev_id: set to the virtual ID
 *
 * Context: any context; takes @viommu->vdevs' lock.
 * Return: 0; -ENOENT if @dev has no vDEVICE on @viommu; -EINVAL for a NULL
 * @vdev_id.
 */
int iommufd_viommu_get_vdev_id(struct iommufd_viommu *viommu,
			       struct device *dev, unsigned long *vdev_id)
{
	struct iommufd_vdevice *vdev;
	unsigned long index;
	int rc = -ENOENT;

	if (WARN_ON_ONCE(!vdev_id))
		return -EINVAL;

	xa_lock(&viommu->vdevs);
	xa_for_each(&viommu->vdevs, index, vdev) {
		if (iommufd_vdevice_to_device(vdev) == dev) {
			*vdev_id = vdev->virt_id;
			rc = 0;
			break;
		}
	}
	xa_unlock(&viommu->vdevs);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(iommufd_viommu_get_vdev_id, IOMMUFD);

/*
 * Queue @vevent, or the lost-events marker.  A marker still at the end of
 * the queue goes first: the new event's sequence number shows the gap.  A
 * marker queued again moves to the end with the newest number.
 */
static void iommufd_veventq_queue(struct iommufd_veventq *veventq,
				  struct iommufd_vevent *vevent)
{
	struct list_head *marker = &veventq->lost_events.node;

	lockdep_assert_held(&veventq->lock);

	if (vevent == &veventq->lost_events ||
	    list_is_last(marker, &veventq->events))
		list_del_init(marker);
	vevent->header.sequence = veventq->sequence;
	veventq->sequence = iommufd_vevent_sequence_next(veventq->sequence);
	list_add_tail(&vevent->node, &veventq->events);
	wake_up_interruptible(&veventq->readers);
}

/*
 * A copy of the driver's event, or NULL if memory is short.  Charged to
 * the queue owner's memory cgroup, as if the owner had made it: its depth
 * is the owner's choice, and so is leaving the events unread.
 */
static struct iommufd_vevent *
iommufd_vevent_new(struct iommufd_veventq *veventq, const void *event_data,
		   size_t data_len)
{
	struct iommufd_vevent *vevent;
	struct mem_cgroup *caller_memcg;

	caller_memcg = set_active_memcg(veventq->memcg);
	/* The event path must not wait for reclaim: a lost event is fine */
	vevent = kzalloc(struct_size(vevent, event_data, data_len),
			 GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN);
	set_active_memcg(caller_memcg);
	if (!vevent)
		return NULL;
	vevent->data_len = data_len;
	memcpy(vevent->event_data, event_data, data_len);
	return vevent;
}

/**
 * iommufd_viommu_report_event() - report an event to user space
 * @viommu: the vIOMMU the event is about
 * @type: the vEVENTQ type, which fixes the format of @event_data
 * @event_data: the event; copied
 * @data_len: its length in bytes
 *
 * Queues the event in the vEVENTQ of @type of @viommu.  If the queue holds
 * its depth of events already, or no memory is at hand, the event is lost,
 * which user space learns from the sequence numbers.
 *
 * Context: process context (a threaded interrupt handler, say); takes a
 * read-write semaphore and does not wait for memory.
 * Return: 0 if the event was queued or counted as lost; -EOPNOTSUPP if
 * @viommu has no vEVENTQ of @type; -EINVAL for an empty event.
 */
int iommufd_viommu_report_event(struct iommufd_viommu *viommu,
				enum iommu_veventq_type type, void *event_data,
				size_t data_len)
{
	struct iommufd_vevent *vevent, *dropped = NULL;
	struct iommufd_veventq *veventq;
	int rc = 0;

	if (WARN_ON_ONCE(!data_len || !event_data))
		return -EINVAL;

	down_read(&viommu->veventqs_rwsem);
	veventq = iommufd_viommu_find_veventq(viommu, type);
	if (!veventq) {
		rc = -EOPNOTSUPP;
		goto out_unlock;
	}
	vevent = iommufd_vevent_new(veventq, event_data, data_len);

	spin_lock(&veventq->lock);
	if (vevent && veventq->num_events < veventq->depth) {
		veventq->num_events++;
	} else {
		dropped = vevent;
		vevent = &veventq->lost_events;
	}
	iommufd_veventq_queue(veventq, vevent);
	spin_unlock(&veventq->lock);
	kfree(dropped);
out_unlock:
	up_read(&viommu->veventqs_rwsem);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(iommufd_viommu_report_event, IOMMUFD);
