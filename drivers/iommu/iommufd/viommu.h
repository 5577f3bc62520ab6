/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The vIOMMU family: vIOMMUs, vDEVICEs, vEVENTQs and HW queues.  The
 * structures drivers see are in <linux/iommufd.h>; this header adds what
 * only iommufd sees, and the part of the vEVENTQ that driver.c fills.
 *
 * Contract
 * --------
 * - A vIOMMU is one physical IOMMU instance's slice for a VM ("a vIOMMU
 *   holds the IOMMU instance, not the device that named it",
 *   iommufd_private.h).  It depends on its nesting parent, a paging HWPT
 *   made with IOMMU_HWPT_ALLOC_NEST_PARENT, which several vIOMMUs may
 *   share.  Its driver allocates it, with room for the driver's structure
 *   around struct iommufd_viommu, except for IOMMU_VIOMMU_TYPE_DEFAULT,
 *   which iommufd keeps alone and which has no ops.
 * - Everything else of the family depends on a vIOMMU: nested HWPTs made
 *   through it, vDEVICEs, vEVENTQs and HW queues each hold a long-term
 *   reference on it, so it is destroyed last (-EBUSY before).  Each of
 *   them works only with devices behind the vIOMMU's IOMMU instance.
 * - A vDEVICE ties one bound device to one virtual ID of one vIOMMU: a
 *   device has at most one vDEVICE (struct iommufd_device::vdev), a
 *   virtual ID at most one device per vIOMMU (the vIOMMU's vdevs).  It
 *   holds no reference on its device: unbinding the device destroys the
 *   vDEVICE first and leaves a tombstone under its ID (object.h).
 * - A vEVENTQ receives the events of one type that the vIOMMU's driver
 *   reports, until it holds its depth of them; later ones are lost until
 *   user space reads.  Its file descriptor holds a long-term reference on
 *   it and a reference on the context, as a fault queue's does.
 * - A HW queue pins the guest memory it lives in through an internal
 *   access (access.h) for its whole life: unmapping that memory fails with
 *   -EBUSY meanwhile.
 *
 * Locking
 * -------
 * - viommu->vdevs: its own spinlock.  Insertion and removal of a vDEVICE
 *   also hold the group lock of the vDEVICE's device (device.h), which
 *   protects struct iommufd_device::vdev.  Drivers read it under the
 *   spinlock (iommufd_viommu_find_dev(), iommufd_viommu_get_vdev_id()).
 * - viommu->veventqs_rwsem: held for writing while a vEVENTQ is added or
 *   removed, for reading while an event is reported, so that the queue
 *   found stays while it is filled.
 * - veventq->lock: a spinlock protecting the queue's list and counters;
 *   taken from the driver's event path, which may be atomic, and never
 *   held across a user copy or an allocation that may sleep.
 *
 * Order: the group lock -> viommu->vdevs' spinlock; veventqs_rwsem ->
 * veventq->lock.
 */
#ifndef __IOMMUFD_VIOMMU_H
#define __IOMMUFD_VIOMMU_H

#include <linux/iommufd.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "iommufd_private.h"

static_assert(offsetof(struct iommufd_viommu, obj) == 0);
static_assert(offsetof(struct iommufd_vdevice, obj) == 0);
static_assert(offsetof(struct iommufd_hw_queue, obj) == 0);

/**
 * struct iommufd_vevent - one event waiting in a vEVENTQ
 * @header: what user space reads first; the sequence number is given when
 *          the event is queued
 * @node: entry in the queue's list
 * @data_len: bytes of @event_data; 0 for the queue's lost-events marker
 * @event_data: the event in the format of the queue's type
 */
struct iommufd_vevent {
	struct iommufd_vevent_header header;
	struct list_head node;
	size_t data_len;
	u8 event_data[] __counted_by(data_len);
};

/**
 * struct iommufd_veventq - a vEVENTQ
 * @obj: the object header
 * @ictx: the context; the descriptor holds a reference on it
 * @viommu: the vIOMMU, on which a long-term reference is held
 * @node: entry in @viommu->veventqs
 * @type: one of enum iommu_veventq_type, unique per vIOMMU
 * @depth: how many events the queue holds before it loses new ones
 * @memcg: the memory cgroup of the task that made the queue, which its
 *         events are charged to although the driver queues them from its
 *         own context
 * @lock: protects the members below
 * @events: struct iommufd_vevent by node, oldest first
 * @num_events: events on @events, not counting @lost_events
 * @sequence: the number the next event gets
 * @readers: pollers wait here for @events to fill
 * @lost_events: a header-only event, with IOMMU_VEVENTQ_FLAG_LOST_EVENTS,
 *               that sits at the end of @events while the events lost
 *               last have no later event to show the gap in the sequence;
 *               last in the structure, as it ends in a flexible array
 */
struct iommufd_veventq {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommufd_viommu *viommu;
	struct list_head node;
	enum iommu_veventq_type type;
	unsigned int depth;
	struct mem_cgroup *memcg;

	/* Protects the members below */
	spinlock_t lock;
	struct list_head events;
	unsigned int num_events;
	u32 sequence;
	wait_queue_head_t readers;
	struct iommufd_vevent lost_events;
};

static_assert(offsetof(struct iommufd_veventq, obj) == 0);

/* Sequence numbers count from 0 to INT_MAX and wrap */
static inline u32 iommufd_vevent_sequence_next(u32 sequence)
{
	return (sequence + 1) & INT_MAX;
}

/*
 * Look up a vIOMMU by ID with a short-term reference; ERR_PTR(-ENOENT) if
 * @id names no vIOMMU.
 */
static inline struct iommufd_viommu *
iommufd_get_viommu(struct iommufd_ctx *ictx, u32 id)
{
	return container_of(iommufd_get_object(ictx, id, IOMMUFD_OBJ_VIOMMU),
			    struct iommufd_viommu, obj);
}

/* The vEVENTQ of @type on @viommu, or NULL; veventqs_rwsem held */
static inline struct iommufd_veventq *
iommufd_viommu_find_veventq(struct iommufd_viommu *viommu,
			    enum iommu_veventq_type type)
{
	struct iommufd_veventq *veventq;

	lockdep_assert_held(&viommu->veventqs_rwsem);
	list_for_each_entry(veventq, &viommu->veventqs, node)
		if (veventq->type == type)
			return veventq;
	return NULL;
}

struct iommufd_device;

void iommufd_vdevice_remove_for_unbind(struct iommufd_device *idev);

int iommufd_viommu_alloc(struct iommufd_ucmd *ucmd);
int iommufd_vdevice_alloc(struct iommufd_ucmd *ucmd);
int iommufd_veventq_alloc(struct iommufd_ucmd *ucmd);
int iommufd_hw_queue_alloc(struct iommufd_ucmd *ucmd);

#endif
