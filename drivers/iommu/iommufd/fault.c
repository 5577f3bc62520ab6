// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault queues: IOMMU_FAULT_QUEUE_ALLOC, the descriptor user space reads
 * page requests from and writes answers to, and the iommu core's handler
 * that fills it.  fault.h states the rules.
 */
#include <linux/anon_inodes.h>
#include <linux/cleanup.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/iommufd.h>

#include "device.h"
#include "fault.h"
#include "hw_pagetable.h"

/* The answer codes user space may write are the PCI ones the core uses */
static_assert((int)IOMMUFD_PAGE_RESP_SUCCESS == (int)IOMMU_PAGE_RESP_SUCCESS);
static_assert((int)IOMMUFD_PAGE_RESP_INVALID == (int)IOMMU_PAGE_RESP_INVALID);

/* So are the access permissions of a request */
static_assert(IOMMU_PGFAULT_PERM_READ == IOMMU_FAULT_PERM_READ);
static_assert(IOMMU_PGFAULT_PERM_WRITE == IOMMU_FAULT_PERM_WRITE);
static_assert(IOMMU_PGFAULT_PERM_EXEC == IOMMU_FAULT_PERM_EXEC);
static_assert(IOMMU_PGFAULT_PERM_PRIV == IOMMU_FAULT_PERM_PRIV);

/* Answer @group and let it go; it is on none of the queues any more */
static void iommufd_fault_answer(struct iopf_group *group,
				 enum iommu_page_response_code code)
{
	iopf_group_response(group, code);
	iopf_free_group(group);
}

/* The device the page requests of @group came from, through its handle */
static struct iommufd_device *iommufd_fault_device(struct iopf_group *group)
{
	return iommufd_attach_from_handle(group->attach_handle)->idev;
}

/* One page request of a group as user space reads it */
static void iommufd_fault_message(const struct iommu_fault *fault, u32 dev_id,
				  u32 cookie, struct iommu_hwpt_pgfault *msg)
{
	const struct iommu_fault_page_request *prm = &fault->prm;

	*msg = (struct iommu_hwpt_pgfault){
		.dev_id = dev_id,
		.pasid = prm->pasid,
		.grpid = prm->grpid,
		.perm = prm->perm,
		.addr = prm->addr,
		.cookie = cookie,
	};
	if (prm->flags & IOMMU_FAULT_PAGE_REQUEST_PASID_VALID)
		msg->flags |= IOMMU_PGFAULT_FLAGS_PASID_VALID;
	if (prm->flags & IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE)
		msg->flags |= IOMMU_PGFAULT_FLAGS_LAST_PAGE;
}

/*
 * Copy the page requests of @group to @buf with @cookie; on failure
 * nothing of the group counts as read.
 */
static int iommufd_fault_copy_group(struct iopf_group *group, u32 cookie,
				    char __user *buf)
{
	u32 dev_id = iommufd_fault_device(group)->obj.id;
	struct iommu_hwpt_pgfault msg;
	struct iopf_fault *iopf;

	list_for_each_entry(iopf, &group->faults, list) {
		iommufd_fault_message(&iopf->fault, dev_id, cookie, &msg);
		if (copy_to_user(buf, &msg, sizeof(msg)))
			return -EFAULT;
		buf += sizeof(msg);
	}
	return 0;
}

/*
 * read(): whole groups of struct iommu_hwpt_pgfault, oldest first, as many
 * as fit; -EINVAL if not even the first one does.  Never blocks; 0 bytes
 * means nothing is queued (poll() for EPOLLIN to wait).  Each group read
 * is kept under its cookie until written back.
 */
static ssize_t fault_queue_read(struct file *filep, char __user *buf,
				size_t count, loff_t *ppos)
{
	const size_t msg_size = sizeof(struct iommu_hwpt_pgfault);
	struct iommufd_fault *fault = filep->private_data;
	struct iopf_group *group;
	size_t done = 0;
	int rc = 0;

	if (*ppos || count % msg_size)
		return -ESPIPE;

	guard(mutex)(&fault->lock);
	while ((group = list_first_entry_or_null(&fault->unread,
						 struct iopf_group, node))) {
		size_t group_size = group->fault_count * msg_size;
		u32 cookie;

		if (group_size > count - done) {
			rc = -EINVAL;
			break;
		}
		rc = xa_alloc(&fault->awaiting, &cookie, group, xa_limit_32b,
			      GFP_KERNEL_ACCOUNT);
		if (rc)
			break;
		rc = iommufd_fault_copy_group(group, cookie, buf + done);
		if (rc) {
			xa_erase(&fault->awaiting, cookie);
			break;
		}
		group->cookie = cookie;
		list_del(&group->node);
		done += group_size;
	}
	return done ? done : rc;
}

/*
 * write(): struct iommu_hwpt_page_response, each answering the group read
 * with its cookie.  Stops at the first bad answer; what was written before
 * it counts.
 */
static ssize_t fault_queue_write(struct file *filep, const char __user *buf,
				 size_t count, loff_t *ppos)
{
	const size_t answer_size = sizeof(struct iommu_hwpt_page_response);
	struct iommufd_fault *fault = filep->private_data;
	struct iommu_hwpt_page_response answer;
	struct iopf_group *group;
	size_t done = 0;
	int rc = 0;

	if (*ppos || count % answer_size)
		return -ESPIPE;

	guard(mutex)(&fault->lock);
	while (done < count) {
		if (copy_from_user(&answer, buf + done, answer_size)) {
			rc = -EFAULT;
			break;
		}
		if (answer.code != IOMMUFD_PAGE_RESP_SUCCESS &&
		    answer.code != IOMMUFD_PAGE_RESP_INVALID) {
			rc = -EINVAL;
			break;
		}
		group = xa_erase(&fault->awaiting, answer.cookie);
		if (!group) {
			rc = -EINVAL;
			break;
		}
		iommufd_fault_answer(group, answer.code);
		done += answer_size;
	}
	return done ? done : rc;
}

static __poll_t fault_queue_poll(struct file *filep, struct poll_table_struct *wait)
{
	struct iommufd_fault *fault = filep->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(filep, &fault->readers, wait);
	guard(mutex)(&fault->lock);
	if (!list_empty(&fault->unread))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

/*
 * Answer as invalid every group raised through @handle, or every group at
 * all for a NULL @handle, whether user space has read it or not.
 */
static void iommufd_fault_answer_from(struct iommufd_fault *fault,
				      const struct iommu_attach_handle *handle)
{
	struct iopf_group *group, *next;
	unsigned long cookie;

	lockdep_assert_held(&fault->lock);

	list_for_each_entry_safe(group, next, &fault->unread, node) {
		if (handle && group->attach_handle != handle)
			continue;
		list_del(&group->node);
		iommufd_fault_answer(group, IOMMU_PAGE_RESP_INVALID);
	}
	xa_for_each(&fault->awaiting, cookie, group) {
		if (handle && group->attach_handle != handle)
			continue;
		xa_erase(&fault->awaiting, cookie);
		iommufd_fault_answer(group, IOMMU_PAGE_RESP_INVALID);
	}
}

/* Nobody can answer any more: answer everything, now and from now on */
static int fault_queue_release(struct inode *inode, struct file *filep)
{
	struct iommufd_fault *fault = filep->private_data;
	struct iommufd_ctx *ictx = fault->ictx;

	scoped_guard(mutex, &fault->lock) {
		fault->closed = true;
		iommufd_fault_answer_from(fault, NULL);
	}
	iommufd_object_unref(&fault->obj);
	iommufd_ctx_put(ictx);
	return 0;
}

static const struct file_operations fault_queue_fops = {
	.owner = THIS_MODULE,
	.read = fault_queue_read,
	.write = fault_queue_write,
	.poll = fault_queue_poll,
	.release = fault_queue_release,
};

/* An empty queue, allocated but not yet visible under its ID */
static struct iommufd_fault *fault_queue_create(struct iommufd_ctx *ictx)
{
	struct iommufd_fault *fault;

	fault = iommufd_object_alloc(ictx, struct iommufd_fault,
				     IOMMUFD_OBJ_FAULT);
	if (IS_ERR(fault))
		return fault;
	fault->ictx = ictx;
	mutex_init(&fault->lock);
	INIT_LIST_HEAD(&fault->unread);
	xa_init_flags(&fault->awaiting, XA_FLAGS_ALLOC1);
	init_waitqueue_head(&fault->readers);
	return fault;
}

/*
 * The queue's descriptor.  It owns a long-term reference on the queue and
 * a reference on the context, both dropped by fault_queue_release().
 */
static struct file *fault_queue_open_file(struct iommufd_fault *fault)
{
	struct file *filep;

	filep = anon_inode_getfile("[iommufd-pgfault]", &fault_queue_fops,
				   fault, O_RDWR);
	if (IS_ERR(filep))
		return filep;
	iommufd_object_ref(&fault->obj);
	iommufd_ctx_get(fault->ictx);
	return filep;
}

/**
 * iommufd_fault_alloc() - IOMMU_FAULT_QUEUE_ALLOC
 * @ucmd: the ioctl, holding a struct iommu_fault_alloc
 *
 * Creates the queue and its descriptor.  The file descriptor number is
 * reserved and the IDs are written back before the file exists, so every
 * step that can fail comes before anything user space could see or close.
 *
 * Context: process context; may sleep.
 * Return: 0; -EOPNOTSUPP for non-zero flags; -EMFILE, -ENFILE, -ENOMEM;
 * -EFAULT if the reply cannot be written.
 */
int iommufd_fault_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_fault_alloc *cmd = ucmd->cmd;
	struct iommufd_fault *fault;
	struct file *filep;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	fault = fault_queue_create(ucmd->ictx);
	if (IS_ERR(fault))
		return PTR_ERR(fault);

	/* Given back by the class unless take_fd() hands it to the file */
	CLASS(get_unused_fd, fdno)(O_CLOEXEC);
	if (fdno < 0) {
		rc = fdno;
		goto out_abort;
	}
	cmd->out_fault_id = fault->obj.id;
	cmd->out_fault_fd = fdno;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_abort;
	filep = fault_queue_open_file(fault);
	if (IS_ERR(filep)) {
		rc = PTR_ERR(filep);
		goto out_abort;
	}
	iommufd_object_finalize(ucmd->ictx, &fault->obj);
	fd_install(take_fd(fdno), filep);
	return 0;

out_abort:
	iommufd_object_abort_and_destroy(ucmd->ictx, &fault->obj);
	return rc;
}

/**
 * iommufd_fault_destroy() - release what a fault queue holds
 * @obj: the queue's object; its descriptor is closed and no HWPT uses it,
 *       so every group it ever got was answered
 */
void iommufd_fault_destroy(struct iommufd_object *obj)
{
	struct iommufd_fault *fault =
		container_of(obj, struct iommufd_fault, obj);

	WARN_ON(!list_empty(&fault->unread) || !xa_empty(&fault->awaiting));
	xa_destroy(&fault->awaiting);
	mutex_destroy(&fault->lock);
}

/**
 * iommufd_fault_iopf_handler() - take a group of page requests
 * @group: from the iommu core; its attach handle is one of device.c's
 *
 * Installed as the iopf_handler of the domains of HWPTs with a fault
 * queue.  Queues @group for user space and wakes the readers, or answers
 * it at once when the queue's descriptor is closed.
 *
 * Context: process context (the IOMMU driver's fault thread, or the
 * selftest's IOMMU_TEST_OP_TRIGGER_IOPF).
 * Return: 0: the group is taken care of either way.
 */
int iommufd_fault_iopf_handler(struct iopf_group *group)
{
	struct iommufd_attach *attach =
		iommufd_attach_from_handle(group->attach_handle);
	struct iommufd_fault *fault = attach->hwpt->fault;

	scoped_guard(mutex, &fault->lock) {
		if (!fault->closed) {
			list_add_tail(&group->node, &fault->unread);
			wake_up_interruptible(&fault->readers);
			return 0;
		}
		iommufd_fault_answer(group, IOMMU_PAGE_RESP_INVALID);
	}
	return 0;
}

/**
 * iommufd_fault_retire_handle() - answer the groups raised through a handle
 * @fault: the fault queue of the HWPT @handle attached a device to
 * @handle: an attach handle the iommu core no longer uses
 *
 * Every group raised through @handle that user space has not answered,
 * read or not, is answered as invalid, so the device does not wait and the
 * handle can be freed.
 *
 * Context: process context; may sleep.
 */
void iommufd_fault_retire_handle(struct iommufd_fault *fault,
				 struct iommu_attach_handle *handle)
{
	guard(mutex)(&fault->lock);
	iommufd_fault_answer_from(fault, handle);
}
