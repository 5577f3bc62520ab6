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
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/iommufd.h>

#include "device.h"
#include "fault.h"
#include "hw_pagetable.h"
#include "iommufd_trace.h"

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

/* Answer a group that is on one of @fault's queues, just taken off it */
static void iommufd_fault_answer_queued(struct iommufd_fault *fault,
					struct iopf_group *group,
					enum iommu_page_response_code code)
{
	lockdep_assert_held(&fault->lock);
	fault->depth--;
	iommufd_fault_answer(group, code);
}

/* The ID user space knows the device that raised @group by */
static u32 iommufd_fault_dev_id(struct iopf_group *group)
{
	return iommufd_attach_from_handle(group->attach_handle)->idev->obj.id;
}

/* Before the answer frees @group; the attachment is alive until retired */
static void iommufd_fault_trace_answer(struct iommufd_fault *fault,
				       struct iopf_group *group, u32 code,
				       bool by_kernel)
{
	trace_iommufd_fault_answer(fault->obj.id, iommufd_fault_dev_id(group),
				   group->last_fault.fault.prm.grpid, code,
				   by_kernel);
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
 * Most bytes one read() stages in kernel memory, unless the oldest group
 * alone is larger: a read returns whole groups, at least one.
 */
#define IOMMUFD_FAULT_READ_BATCH PAGE_SIZE

/* Messages a read() for @user_msgs messages should make room for */
static size_t iommufd_fault_batch_msgs(struct iommufd_fault *fault,
				       size_t user_msgs)
{
	const size_t msg_size = sizeof(struct iommu_hwpt_pgfault);
	struct iopf_group *oldest;

	guard(mutex)(&fault->lock);
	oldest = list_first_entry_or_null(&fault->unread, struct iopf_group,
					  node);
	if (!oldest)
		return 0;
	return max(oldest->fault_count,
		   min(user_msgs, IOMMUFD_FAULT_READ_BATCH / msg_size));
}

/*
 * Move the oldest unread groups that fit both in @room staged messages and
 * in @user_msgs to the awaiting answers, writing their messages to @msgs.
 * Returns how many messages were staged: 0 when nothing is queued,
 * -EINVAL if the oldest group is larger than @user_msgs, -EAGAIN if it is
 * larger than @room only (it changed since the room was sized).
 */
static ssize_t iommufd_fault_stage(struct iommufd_fault *fault,
				   struct iommu_hwpt_pgfault *msgs,
				   size_t room, size_t user_msgs)
{
	size_t limit = min(room, user_msgs);
	struct iopf_group *group;
	size_t staged = 0;
	int rc = 0;

	guard(mutex)(&fault->lock);
	while ((group = list_first_entry_or_null(&fault->unread,
						 struct iopf_group, node))) {
		u32 dev_id = iommufd_fault_dev_id(group);
		struct iopf_fault *iopf;
		u32 cookie;

		if (group->fault_count > limit - staged) {
			if (!staged)
				rc = group->fault_count > user_msgs ? -EINVAL :
								      -EAGAIN;
			break;
		}
		rc = xa_alloc(&fault->awaiting, &cookie, group, xa_limit_32b,
			      GFP_KERNEL_ACCOUNT);
		if (rc)
			break;
		group->cookie = cookie;
		list_del(&group->node);
		list_for_each_entry(iopf, &group->faults, list)
			iommufd_fault_message(&iopf->fault, dev_id, cookie,
					      &msgs[staged++]);
	}
	return staged ? staged : rc;
}

/* Whether @msgs[@i] is the first message of its group */
static bool iommufd_fault_group_starts(const struct iommu_hwpt_pgfault *msgs,
				       size_t i)
{
	return !i || msgs[i - 1].cookie != msgs[i].cookie;
}

/*
 * Give the groups of the staged @msgs[@first..@nr - 1], which never fully
 * reached user space, back to the front of the unread queue in their
 * order.  A group that was answered meanwhile (retired, or a guessed
 * cookie) is gone already and stays gone.
 */
static void iommufd_fault_unstage(struct iommufd_fault *fault,
				  const struct iommu_hwpt_pgfault *msgs,
				  size_t first, size_t nr)
{
	struct iopf_group *group;
	size_t i;

	guard(mutex)(&fault->lock);
	for (i = nr; i-- > first;) {
		if (!iommufd_fault_group_starts(msgs, i))
			continue;
		group = xa_erase(&fault->awaiting, msgs[i].cookie);
		if (group)
			list_add(&group->node, &fault->unread);
	}
}

/*
 * Stage up to @user_msgs messages in @msgs (allocated here, freed by the
 * caller).  Returns the number staged, 0, or a negative errno.
 */
static ssize_t iommufd_fault_stage_batch(struct iommufd_fault *fault,
					 size_t user_msgs,
					 struct iommu_hwpt_pgfault **msgs)
{
	ssize_t staged;
	size_t room;

	do {
		kvfree(*msgs);
		*msgs = NULL;
		room = iommufd_fault_batch_msgs(fault, user_msgs);
		if (!room)
			return 0;
		*msgs = kvcalloc(room, sizeof(**msgs), GFP_KERNEL_ACCOUNT);
		if (!*msgs)
			return -ENOMEM;
		staged = iommufd_fault_stage(fault, *msgs, room, user_msgs);
	} while (staged == -EAGAIN);
	return staged;
}

/*
 * read(): whole groups of struct iommu_hwpt_pgfault, oldest first, as many
 * as fit (up to a batch); -EINVAL if not even the first one does.  Never
 * blocks; 0 bytes means nothing is queued (poll() for EPOLLIN to wait).
 * The messages are staged under the lock and copied out after it is
 * dropped.  Each group read is kept under its cookie until written back;
 * a group that could not be copied whole stays unread.
 */
static ssize_t fault_queue_read(struct file *filep, char __user *buf,
				size_t count, loff_t *ppos)
{
	const size_t msg_size = sizeof(struct iommu_hwpt_pgfault);
	struct iommufd_fault *fault = filep->private_data;
	struct iommu_hwpt_pgfault *msgs __free(kvfree) = NULL;
	size_t copied;
	ssize_t staged;

	if (*ppos || count % msg_size)
		return -ESPIPE;

	staged = iommufd_fault_stage_batch(fault, count / msg_size, &msgs);
	if (staged <= 0)
		return staged;

	copied = staged - DIV_ROUND_UP(copy_to_user(buf, msgs,
						    staged * msg_size),
				       msg_size);
	if (copied == staged)
		return copied * msg_size;
	/* A group copied in part counts as not read */
	while (!iommufd_fault_group_starts(msgs, copied))
		copied--;
	iommufd_fault_unstage(fault, msgs, copied, staged);
	return copied ? copied * msg_size : -EFAULT;
}

/* The codes user space may answer with, both of them the PCI ones */
static bool iommufd_fault_code_valid(u32 code)
{
	switch (code) {
	case IOMMUFD_PAGE_RESP_SUCCESS:
	case IOMMUFD_PAGE_RESP_INVALID:
		return true;
	default:
		return false;
	}
}

/*
 * Answer the groups that the @nr @answers name, in order; stops at the
 * first bad answer.  Returns how many answers were good.  Answering
 * happens under the lock: a group leaves the queue only answered, so that
 * retiring an attachment (and then turning the device's faults off, which
 * frees what is still pending) never races with an answer.
 */
static size_t iommufd_fault_answer_batch(struct iommufd_fault *fault,
					 const struct iommu_hwpt_page_response *answers,
					 size_t nr)
{
	struct iopf_group *group;
	size_t i;

	guard(mutex)(&fault->lock);
	for (i = 0; i != nr; i++) {
		if (!iommufd_fault_code_valid(answers[i].code))
			break;
		group = xa_erase(&fault->awaiting, answers[i].cookie);
		if (!group)
			break;
		iommufd_fault_trace_answer(fault, group, answers[i].code, false);
		iommufd_fault_answer_queued(fault, group, answers[i].code);
	}
	return i;
}

/* Answers copied from user space per round; each round locks once */
#define IOMMUFD_FAULT_WRITE_BATCH 16

/*
 * write(): struct iommu_hwpt_page_response, each answering the group read
 * with its cookie.  Stops at the first bad answer; what was written before
 * it counts.  Answers are copied in before the lock is taken.
 */
static ssize_t fault_queue_write(struct file *filep, const char __user *buf,
				 size_t count, loff_t *ppos)
{
	const size_t answer_size = sizeof(struct iommu_hwpt_page_response);
	struct iommu_hwpt_page_response answers[IOMMUFD_FAULT_WRITE_BATCH];
	struct iommufd_fault *fault = filep->private_data;
	size_t done = 0;
	int rc = 0;

	if (*ppos || count % answer_size)
		return -ESPIPE;

	while (done < count) {
		size_t nr = min((count - done) / answer_size,
				ARRAY_SIZE(answers));
		size_t good;

		if (copy_from_user(answers, buf + done, nr * answer_size)) {
			rc = -EFAULT;
			break;
		}
		good = iommufd_fault_answer_batch(fault, answers, nr);
		done += good * answer_size;
		if (good != nr) {
			rc = -EINVAL;
			break;
		}
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
 * Answer as invalid every group of @attach, or every group at all for a
 * NULL @attach, whether user space has read it or not.
 */
static void iommufd_fault_answer_from(struct iommufd_fault *fault,
				      const struct iommufd_attach *attach)
{
	struct iopf_group *group, *next;
	unsigned long cookie;

	lockdep_assert_held(&fault->lock);

	list_for_each_entry_safe(group, next, &fault->unread, node) {
		if (attach && group->attach_handle != &attach->handle)
			continue;
		list_del(&group->node);
		iommufd_fault_trace_answer(fault, group,
					   IOMMU_PAGE_RESP_INVALID, true);
		iommufd_fault_answer_queued(fault, group,
					    IOMMU_PAGE_RESP_INVALID);
	}
	xa_for_each(&fault->awaiting, cookie, group) {
		if (attach && group->attach_handle != &attach->handle)
			continue;
		xa_erase(&fault->awaiting, cookie);
		iommufd_fault_trace_answer(fault, group,
					   IOMMU_PAGE_RESP_INVALID, true);
		iommufd_fault_answer_queued(fault, group,
					    IOMMU_PAGE_RESP_INVALID);
	}
}

/* Nobody can answer any more: answer everything, now and from now on */
static int fault_queue_release(struct inode *inode, struct file *filep)
{
	struct iommufd_fault *fault = filep->private_data;
	struct iommufd_ctx *ictx;

	scoped_guard(mutex, &fault->lock) {
		fault->closed = true;
		iommufd_fault_answer_from(fault, NULL);
	}
	/* The unref may free the queue; the context outlives it until put */
	ictx = fault->ictx;
	iommufd_object_unref(&fault->obj);
	iommufd_ctx_put(ictx);
	return 0;
}

/**
 * iommufd_fault_destroy() - release what a fault queue holds
 * @obj: the queue's object; its descriptor is closed and no HWPT uses it,
 *       so every group it ever got was answered
 */
static void iommufd_fault_destroy(struct iommufd_object *obj)
{
	struct iommufd_fault *fault =
		container_of(obj, struct iommufd_fault, obj);

	WARN_ON(!list_empty(&fault->unread) || !xa_empty(&fault->awaiting));
	xa_destroy(&fault->awaiting);
	mutex_destroy(&fault->lock);
}

/* fault->lock is only ever held briefly (fault.h) */
static void iommufd_fault_show(struct iommufd_object *obj, struct seq_file *m)
{
	struct iommufd_fault *fault =
		container_of(obj, struct iommufd_fault, obj);
	unsigned int unread = 0, awaiting = 0;
	struct iopf_group *group;
	unsigned long cookie;

	mutex_lock(&fault->lock);
	list_for_each_entry(group, &fault->unread, node)
		unread++;
	xa_for_each(&fault->awaiting, cookie, group)
		awaiting++;
	mutex_unlock(&fault->lock);
	seq_printf(m, " depth=%u unread=%u awaiting=%u", unread + awaiting,
		   unread, awaiting);
}

static const struct iommufd_object_ops iommufd_fault_ops = {
	.destroy = iommufd_fault_destroy,
	.show = iommufd_fault_show,
};

/* An empty queue, allocated but not yet visible under its ID */
static struct iommufd_fault *fault_queue_create(struct iommufd_ctx *ictx)
{
	struct iommufd_fault *fault;

	fault = iommufd_object_alloc(ictx, struct iommufd_fault,
				     IOMMUFD_OBJ_FAULT, &iommufd_fault_ops);
	if (IS_ERR(fault))
		return fault;
	fault->ictx = ictx;
	mutex_init(&fault->lock);
	INIT_LIST_HEAD(&fault->unread);
	xa_init_flags(&fault->awaiting, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	init_waitqueue_head(&fault->readers);
	return fault;
}

static const struct file_operations fault_queue_fops = {
	.owner = THIS_MODULE,
	.read = fault_queue_read,
	.write = fault_queue_write,
	.poll = fault_queue_poll,
	.release = fault_queue_release,
};

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

/*
 * Gives a queue that exists but has no ID yet its descriptor and makes both
 * visible.  The descriptor number is reserved and the reply written before
 * the file is made, and the file before anything is published, so on any
 * error the caller only has to destroy the queue: user space has seen
 * nothing it could use or close.
 */
static int fault_queue_publish(struct iommufd_ucmd *ucmd,
			       struct iommufd_fault *fault)
{
	struct iommu_fault_alloc *cmd = ucmd->cmd;
	struct file *filep;
	int rc;

	/* Given back by the class unless take_fd() hands it to the file */
	CLASS(get_unused_fd, fdno)(O_CLOEXEC);
	if (fdno < 0)
		return fdno;
	cmd->out_fault_fd = fdno;
	cmd->out_fault_id = fault->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		return rc;
	filep = fault_queue_open_file(fault);
	if (IS_ERR(filep))
		return PTR_ERR(filep);
	iommufd_object_finalize(ucmd->ictx, &fault->obj);
	fd_install(take_fd(fdno), filep);
	return 0;
}

/**
 * iommufd_fault_alloc() - IOMMU_FAULT_QUEUE_ALLOC
 * @ucmd: the ioctl, holding a struct iommu_fault_alloc
 *
 * Creates the queue, then its descriptor (see fault_queue_publish()).
 *
 * Context: process context; may sleep.
 * Return: 0; -EOPNOTSUPP for non-zero flags; -EMFILE, -ENFILE, -ENOMEM;
 * -EFAULT if the reply cannot be written.
 */
int iommufd_fault_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_fault_alloc *cmd = ucmd->cmd;
	struct iommufd_fault *fault;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	fault = fault_queue_create(ucmd->ictx);
	if (IS_ERR(fault))
		return PTR_ERR(fault);
	rc = fault_queue_publish(ucmd, fault);
	if (rc)
		iommufd_object_abort_and_destroy(ucmd->ictx, &fault->obj);
	return rc;
}

/**
 * iommufd_fault_iopf_handler() - take a group of page requests
 * @group: from the iommu core; its attach handle is one of device.c's
 *
 * Installed as the iopf_handler of the domains of HWPTs with a fault
 * queue.  Re-points @group at the attachment of the device that faulted
 * (see fault.h) and queues it for user space, or answers it at once when
 * the queue's descriptor is closed, the queue holds its most
 * (IOMMUFD_FAULT_MAX_DEPTH) or the device is no longer attached.
 * Never waits for user space.
 *
 * Context: process context: a worker of the IOMMU's iopf queue, which
 * the mock driver's IOMMU_TEST_OP_TRIGGER_IOPF reports through as well,
 * never the thread that raised the request.
 * Return: 0: the group is taken care of either way.
 */
int iommufd_fault_iopf_handler(struct iopf_group *group)
{
	struct iommufd_attach *raised_through =
		iommufd_attach_from_handle(group->attach_handle);
	struct iommufd_attach *source;
	struct iommufd_fault *fault;

	source = iommufd_attach_of_faulting_device(raised_through,
						   group->fault_param->dev);
	/*
	 * Queued where the device's current attachment retires it from: in
	 * the middle of a replace that may be another HWPT's queue than the
	 * one the request was raised through, or none at all.
	 */
	fault = source ? source->hwpt->fault : NULL;
	if (fault) {
		guard(mutex)(&fault->lock);
		if (!fault->closed && fault->depth < IOMMUFD_FAULT_MAX_DEPTH) {
			fault->depth++;
			/* The core does not look at the handle again */
			group->attach_handle = &source->handle;
			list_add_tail(&group->node, &fault->unread);
			trace_iommufd_fault_raise(fault->obj.id,
						  source->idev->obj.id,
						  group->last_fault.fault.prm.pasid,
						  group->last_fault.fault.prm.grpid,
						  group->last_fault.fault.prm.addr);
			wake_up_interruptible(&fault->readers);
			return 0;
		}
	}
	iommufd_fault_answer(group, IOMMU_PAGE_RESP_INVALID);
	return 0;
}

/**
 * iommufd_fault_retire_attach() - answer the groups of an attachment
 * @fault: the fault queue of the HWPT @attach attached its device to
 * @attach: an attachment the iommu core no longer delivers faults for,
 *          and whose in-flight deliveries have been flushed
 *
 * Every group of @attach that user space has not answered, read or not,
 * is answered as invalid, so the device does not wait and the attachment
 * can be freed.
 *
 * Context: process context; may sleep.
 */
void iommufd_fault_retire_attach(struct iommufd_fault *fault,
				 struct iommufd_attach *attach)
{
	guard(mutex)(&fault->lock);
	iommufd_fault_answer_from(fault, attach);
}
