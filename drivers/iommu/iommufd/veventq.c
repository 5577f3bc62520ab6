// SPDX-License-Identifier: GPL-2.0-only
/*
 * vEVENTQs: IOMMU_VEVENTQ_ALLOC and the file descriptor user space reads a
 * vIOMMU's events from.  Drivers fill the queue through
 * iommufd_viommu_report_event() (driver.c).  viommu.h states the rules.
 */
#include <linux/anon_inodes.h>
#include <linux/cleanup.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommufd.h>
#include <linux/memcontrol.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <uapi/linux/iommufd.h>

#include "viommu.h"

/*
 * Take the oldest event off the queue if it fits in @room bytes, with its
 * header copied to @header.  The event is the caller's until it is given
 * back, except the lost-events marker, which the caller must not touch
 * (the queue may reuse it at once): @header is all there is of it.
 */
static struct iommufd_vevent *iommufd_veventq_take(struct iommufd_veventq *veventq,
						   size_t room,
						   struct iommufd_vevent_header *header)
{
	struct iommufd_vevent *vevent;

	spin_lock(&veventq->lock);
	vevent = list_first_entry_or_null(&veventq->events,
					  struct iommufd_vevent, node);
	if (vevent && room >= sizeof(*header) &&
	    vevent->data_len <= room - sizeof(*header)) {
		list_del_init(&vevent->node);
		*header = vevent->header;
	} else {
		vevent = NULL;
	}
	spin_unlock(&veventq->lock);
	return vevent;
}

/* An event that reached user space whole is gone from the queue */
static void iommufd_veventq_consumed(struct iommufd_veventq *veventq,
				     struct iommufd_vevent *vevent)
{
	if (vevent == &veventq->lost_events)
		return;
	spin_lock(&veventq->lock);
	veventq->num_events--;
	spin_unlock(&veventq->lock);
	kfree(vevent);
}

/*
 * Put back at the head of the queue an event that did not reach user
 * space.  The marker goes back only if it was not queued again meanwhile.
 */
static void iommufd_veventq_give_back(struct iommufd_veventq *veventq,
				      struct iommufd_vevent *vevent)
{
	spin_lock(&veventq->lock);
	if (list_empty(&vevent->node))
		list_add(&vevent->node, &veventq->events);
	spin_unlock(&veventq->lock);
}

/* Copy one event, header and @data_len bytes of @data, to @buf */
static int iommufd_vevent_copy_out(char __user *buf,
				   const struct iommufd_vevent_header *header,
				   const void *data, size_t data_len)
{
	if (copy_to_user(buf, header, sizeof(*header)))
		return -EFAULT;
	if (data_len && copy_to_user(buf + sizeof(*header), data, data_len))
		return -EFAULT;
	return 0;
}

/*
 * read(): whole events, oldest first, as many as fit; 0 bytes if none is
 * queued or the oldest does not fit.  Never blocks (poll() for EPOLLIN to
 * wait).  Each event is taken off the queue under the lock and copied with
 * no lock held; one that could not be copied goes back to the head.
 */
static ssize_t veventq_read(struct file *filep, char __user *buf,
			    size_t count, loff_t *ppos)
{
	struct iommufd_veventq *veventq = filep->private_data;
	size_t done = 0;
	int rc = 0;

	if (*ppos)
		return -ESPIPE;

	while (done < count) {
		struct iommufd_vevent_header header;
		struct iommufd_vevent *vevent;
		const void *data = NULL;
		size_t data_len = 0;

		vevent = iommufd_veventq_take(veventq, count - done, &header);
		if (!vevent)
			break;
		/* The marker has no data, and may be queued again already */
		if (vevent != &veventq->lost_events) {
			data = vevent->event_data;
			data_len = vevent->data_len;
		}
		rc = iommufd_vevent_copy_out(buf + done, &header, data,
					     data_len);
		if (rc) {
			iommufd_veventq_give_back(veventq, vevent);
			break;
		}
		iommufd_veventq_consumed(veventq, vevent);
		done += sizeof(header) + data_len;
	}
	return done ? done : rc;
}

static __poll_t veventq_poll(struct file *filep, struct poll_table_struct *wait)
{
	struct iommufd_veventq *veventq = filep->private_data;
	bool empty;

	poll_wait(filep, &veventq->readers, wait);
	spin_lock(&veventq->lock);
	empty = list_empty(&veventq->events);
	spin_unlock(&veventq->lock);
	return empty ? 0 : EPOLLIN | EPOLLRDNORM;
}

/* Queued events stay until the queue is destroyed */
static int veventq_release(struct inode *inode, struct file *filep)
{
	struct iommufd_veventq *veventq = filep->private_data;
	struct iommufd_ctx *ictx = veventq->ictx;

	iommufd_object_unref(&veventq->obj);
	iommufd_ctx_put(ictx);
	return 0;
}

static const struct file_operations veventq_fops = {
	.owner = THIS_MODULE,
	.read = veventq_read,
	.poll = veventq_poll,
	.release = veventq_release,
};

/**
 * iommufd_veventq_destroy() - release what a vEVENTQ holds
 * @obj: the queue's object; its descriptor is closed
 *
 * The driver stops finding the queue before its events are freed.  Also
 * undoes a creation that failed part way.
 */
static void iommufd_veventq_destroy(struct iommufd_object *obj)
{
	struct iommufd_veventq *veventq =
		container_of(obj, struct iommufd_veventq, obj);
	struct iommufd_viommu *viommu = veventq->viommu;
	struct iommufd_vevent *vevent, *next;

	scoped_guard(rwsem_write, &viommu->veventqs_rwsem)
		list_del_init(&veventq->node);
	list_for_each_entry_safe(vevent, next, &veventq->events, node) {
		list_del(&vevent->node);
		if (vevent != &veventq->lost_events)
			kfree(vevent);
	}
	mem_cgroup_put(veventq->memcg);
	iommufd_object_unref(&viommu->obj);
}

static void iommufd_veventq_show(struct iommufd_object *obj,
				 struct seq_file *m)
{
	struct iommufd_veventq *veventq =
		container_of(obj, struct iommufd_veventq, obj);
	unsigned int unread;
	bool lost;

	spin_lock(&veventq->lock);
	unread = veventq->num_events;
	lost = !list_empty(&veventq->lost_events.node);
	spin_unlock(&veventq->lock);
	seq_printf(m, " viommu=%u event_type=%u depth=%u unread=%u lost=%d",
		   veventq->viommu->obj.id, veventq->type, veventq->depth,
		   unread, lost);
}

static const struct iommufd_object_ops iommufd_veventq_ops = {
	.destroy = iommufd_veventq_destroy,
	.show = iommufd_veventq_show,
};

/*
 * An empty queue on @viommu, allocated but not yet visible under its ID,
 * holding a long-term reference on @viommu.
 */
static struct iommufd_veventq *
iommufd_veventq_create(struct iommufd_ctx *ictx, struct iommufd_viommu *viommu,
		       const struct iommu_veventq_alloc *cmd)
{
	struct iommufd_veventq *veventq;

	veventq = iommufd_object_alloc(ictx, struct iommufd_veventq,
				       IOMMUFD_OBJ_VEVENTQ,
				       &iommufd_veventq_ops);
	if (IS_ERR(veventq))
		return veventq;
	veventq->ictx = ictx;
	veventq->viommu = viommu;
	iommufd_object_ref(&viommu->obj);
	INIT_LIST_HEAD(&veventq->node);
	veventq->type = cmd->type;
	veventq->depth = cmd->veventq_depth;
	veventq->memcg = get_mem_cgroup_from_mm(current->mm);
	spin_lock_init(&veventq->lock);
	INIT_LIST_HEAD(&veventq->events);
	init_waitqueue_head(&veventq->readers);
	INIT_LIST_HEAD(&veventq->lost_events.node);
	veventq->lost_events.header.flags = IOMMU_VEVENTQ_FLAG_LOST_EVENTS;
	return veventq;
}

/*
 * Make @veventq the one queue of its type on its vIOMMU.  From here on the
 * driver may report into it; the events wait for the descriptor.
 */
static int iommufd_veventq_install(struct iommufd_veventq *veventq)
{
	struct iommufd_viommu *viommu = veventq->viommu;

	guard(rwsem_write)(&viommu->veventqs_rwsem);
	if (iommufd_viommu_find_veventq(viommu, veventq->type))
		return -EEXIST;
	list_add_tail(&veventq->node, &viommu->veventqs);
	return 0;
}

/*
 * The queue's descriptor.  It owns a long-term reference on the queue and
 * a reference on the context, both dropped by veventq_release().
 */
static struct file *iommufd_veventq_open_file(struct iommufd_veventq *veventq)
{
	struct file *filep;

	filep = anon_inode_getfile("[iommufd-vevent]", &veventq_fops, veventq,
				   O_RDONLY);
	if (IS_ERR(filep))
		return filep;
	iommufd_object_ref(&veventq->obj);
	iommufd_ctx_get(veventq->ictx);
	return filep;
}

/* IOMMU_VEVENTQ_ALLOC once the vIOMMU is known */
static int iommufd_veventq_alloc_on(struct iommufd_ucmd *ucmd,
				    struct iommufd_viommu *viommu)
{
	struct iommu_veventq_alloc *cmd = ucmd->cmd;
	struct iommufd_veventq *veventq;
	struct file *filep;
	int rc;

	/* Given back by the class unless take_fd() hands it to the file */
	CLASS(get_unused_fd, fdno)(O_CLOEXEC);
	if (fdno < 0)
		return fdno;

	veventq = iommufd_veventq_create(ucmd->ictx, viommu, cmd);
	if (IS_ERR(veventq))
		return PTR_ERR(veventq);
	rc = iommufd_veventq_install(veventq);
	if (rc)
		goto out_abort;

	cmd->out_veventq_id = veventq->obj.id;
	cmd->out_veventq_fd = fdno;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_abort;
	filep = iommufd_veventq_open_file(veventq);
	if (IS_ERR(filep)) {
		rc = PTR_ERR(filep);
		goto out_abort;
	}
	iommufd_object_finalize(ucmd->ictx, &veventq->obj);
	fd_install(take_fd(fdno), filep);
	return 0;

out_abort:
	iommufd_object_abort_and_destroy(ucmd->ictx, &veventq->obj);
	return rc;
}

/**
 * iommufd_veventq_alloc() - IOMMU_VEVENTQ_ALLOC
 * @ucmd: the ioctl, holding a struct iommu_veventq_alloc
 *
 * The file descriptor number is reserved and the IDs are written back
 * before the file exists, so every step that can fail comes before
 * anything user space could see or close.
 *
 * Context: process context; may sleep.
 * Return: 0; -EOPNOTSUPP for non-zero flags or __reserved, or the default
 * type; -EINVAL for a depth of 0; -ENOENT if viommu_id names no vIOMMU;
 * -EEXIST if it has a queue of the type; -EMFILE, -ENFILE, -ENOMEM;
 * -EFAULT if the reply cannot be written.
 */
int iommufd_veventq_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_veventq_alloc *cmd = ucmd->cmd;
	struct iommufd_viommu *viommu;
	int rc;

	if (cmd->flags || cmd->__reserved ||
	    cmd->type == IOMMU_VEVENTQ_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->veventq_depth)
		return -EINVAL;

	viommu = iommufd_get_viommu(ucmd->ictx, cmd->viommu_id);
	if (IS_ERR(viommu))
		return PTR_ERR(viommu);
	rc = iommufd_veventq_alloc_on(ucmd, viommu);
	iommufd_put_object(ucmd->ictx, &viommu->obj);
	return rc;
}
