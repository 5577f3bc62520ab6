// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOAS object: creation, the ioctls that change and query its I/O page
 * table, its options, and destruction.
 */
#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/iommufd.h>

#include "ioas.h"
#include "pages.h"
#include "pages_dmabuf.h"
#include "iommufd_trace.h"

#define IOMMUFD_IOAS_MAP_FLAGS                                                 \
	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |                \
	 IOMMU_IOAS_MAP_READABLE)

/**
 * iommufd_get_ioas() - look up an IOAS by ID
 * @ictx: the context
 * @id: the user-supplied ID
 *
 * Return: the IOAS with a short-term reference (iommufd_put_object()), or
 * ERR_PTR(-ENOENT) if @id names no IOAS.
 */
struct iommufd_ioas *iommufd_get_ioas(struct iommufd_ctx *ictx, u32 id)
{
	return container_of(iommufd_get_object(ictx, id, IOMMUFD_OBJ_IOAS),
			    struct iommufd_ioas, obj);
}

/*
 * The IOAS an ioctl names, once the struct's reserved field is checked:
 * -EOPNOTSUPP before any lookup when it is not zero.
 */
static struct iommufd_ioas *iommufd_ioas_for_cmd(struct iommufd_ucmd *ucmd,
						 u32 ioas_id, u32 reserved)
{
	if (reserved)
		return ERR_PTR(-EOPNOTSUPP);
	return iommufd_get_ioas(ucmd->ictx, ioas_id);
}

static void iommufd_ioas_destroy(struct iommufd_object *obj)
{
	struct iommufd_ioas *ioas = container_of(obj, struct iommufd_ioas, obj);

	/* While the ID is still reserved: no lookup can find the IOAS now */
	iommufd_vfio_compat_forget_ioas(ioas);
	iopt_destroy(&ioas->iopt);
	mutex_destroy(&ioas->mutex);
}

/*
 * Counts kept for lock-free reading; only the pinned pages are added up,
 * and only when no command holds the locks that needs
 */
static void iommufd_ioas_show(struct iommufd_object *obj, struct seq_file *m)
{
	struct iommufd_ioas *ioas = container_of(obj, struct iommufd_ioas, obj);
	struct io_pagetable *iopt = &ioas->iopt;
	unsigned int accesses = 0;
	unsigned long index;
	long pinned;
	void *slot;

	xa_for_each(&iopt->accesses, index, slot)
		accesses++;
	seq_printf(m, " mappings=%lu mapped_bytes=%llu domains=%u accesses=%u",
		   READ_ONCE(iopt->nmappings), READ_ONCE(iopt->mapped_bytes),
		   READ_ONCE(iopt->ndomains), accesses);
	pinned = iopt_pinned_pages(iopt);
	if (pinned < 0)
		seq_puts(m, " pinned_pages=-");
	else
		seq_printf(m, " pinned_pages=%ld", pinned);
}

static const struct iommufd_object_ops iommufd_ioas_ops = {
	.destroy = iommufd_ioas_destroy,
	.show = iommufd_ioas_show,
};

/**
 * iommufd_ioas_alloc() - make an empty IOAS
 * @ictx: the context it will live in
 *
 * Return: the IOAS with its ID reserved but not yet finalized, or an
 * ERR_PTR (-ENOMEM, or -EBUSY when the context is out of IDs).
 */
struct iommufd_ioas *iommufd_ioas_alloc(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *new_ioas;

	new_ioas = iommufd_object_alloc(ictx, struct iommufd_ioas,
					IOMMUFD_OBJ_IOAS, &iommufd_ioas_ops);
	if (IS_ERR(new_ioas))
		return new_ioas;
	new_ioas->ictx = ictx;
	iopt_init(&new_ioas->iopt);
	mutex_init(&new_ioas->mutex);
	INIT_LIST_HEAD(&new_ioas->auto_hwpts);
	return new_ioas;
}

int iommufd_ioas_alloc_cmd(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	struct iommufd_ioas *new_ioas;

	/* No flags are defined for IOAS creation */
	if (cmd->flags)
		return -EOPNOTSUPP;

	new_ioas = iommufd_ioas_alloc(ucmd->ictx);
	if (IS_ERR(new_ioas))
		return PTR_ERR(new_ioas);
	cmd->out_ioas_id = new_ioas->obj.id;
	return iommufd_object_publish_to_user(ucmd, &new_ioas->obj,
					      sizeof(*cmd));
}

/* Copy the usable IOVA ranges out, as many as fit; count them all */
static int iommufd_ioas_report_ranges(struct io_pagetable *iopt,
				      struct iommu_iova_range __user *uranges,
				      u32 capacity, u32 *total)
{
	struct interval_tree_span_iter span;

	*total = 0;
	/* Usable IOVA is whatever no reservation covers */
	interval_tree_for_each_span(&span, &iopt->reserved, 0, ULONG_MAX) {
		struct iommu_iova_range range = {
			.start = span.start_hole,
			.last = span.last_hole,
		};

		if (!span.is_hole)
			continue;
		if (*total < capacity &&
		    copy_to_user(&uranges[*total], &range, sizeof(range)))
			return -EFAULT;
		(*total)++;
	}
	return 0;
}

int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_iova_ranges *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	u32 capacity = cmd->num_iovas;
	int rc;

	ioas = iommufd_ioas_for_cmd(ucmd, cmd->ioas_id, cmd->__reserved);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	scoped_guard(rwsem_read, &ioas->iopt.iova_rwsem) {
		rc = iommufd_ioas_report_ranges(&ioas->iopt,
						u64_to_user_ptr(cmd->allowed_iovas),
						capacity, &cmd->num_iovas);
		cmd->out_iova_alignment = ioas->iopt.iova_alignment;
	}
	if (!rc)
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	/* num_iovas now tells user space how big an array to come back with */
	if (!rc && cmd->num_iovas > capacity)
		rc = -EMSGSIZE;
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

/*
 * Build a tree of allowed ranges from the user's array, copied a bounded
 * batch at a time: the count is user controlled, the tree nodes are charged
 * to the caller.
 */
static int iommufd_ioas_read_ranges(struct rb_root_cached *ranges,
				    struct iommu_iova_range __user *uranges,
				    u32 count)
{
	struct iommu_iova_range batch[16];
	u32 done, in_batch, i;

	for (done = 0; done != count; done += in_batch) {
		in_batch = min_t(u32, count - done, ARRAY_SIZE(batch));
		if (copy_from_user(batch, &uranges[done],
				   in_batch * sizeof(batch[0])))
			return -EFAULT;
		for (i = 0; i != in_batch; i++) {
			int rc = iopt_add_allowed_range(ranges, batch[i].start,
							batch[i].last);

			if (rc)
				return rc;
		}
	}
	return 0;
}

int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_allow_iovas *cmd = ucmd->cmd;
	struct rb_root_cached ranges = RB_ROOT_CACHED;
	struct iommufd_ioas *ioas;
	int rc;

	ioas = iommufd_ioas_for_cmd(ucmd, cmd->ioas_id, cmd->__reserved);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	rc = iommufd_ioas_read_ranges(&ranges,
				      u64_to_user_ptr(cmd->allowed_iovas),
				      cmd->num_iovas);
	if (!rc)
		rc = iopt_set_allowed(&ioas->iopt, &ranges);
	/* Either the rejected new ranges or the replaced old ones */
	iopt_free_ranges(&ranges);
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

/* IOVAs and lengths travel as u64; the page table works in unsigned long */
static bool iommufd_ioas_u64_fits(u64 value)
{
	return value < ULONG_MAX;
}

/*
 * Checks shared by MAP, MAP_FILE and COPY, in the order that picks the
 * errno (upstream's): unknown flags, then values too large, then no access
 * at all.  The IOAS is looked up after these and before the memory is
 * described.  Memory is always mapped cache coherent where the IOMMU can
 * enforce it.
 */
static int iommufd_ioas_map_args(u32 flags, u64 iova, u64 length,
				 int *iommu_prot)
{
	if (flags & ~IOMMUFD_IOAS_MAP_FLAGS)
		return -EOPNOTSUPP;
	if (!iommufd_ioas_u64_fits(iova) || !iommufd_ioas_u64_fits(length))
		return -EOVERFLOW;
	if (!(flags & (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)))
		return -EINVAL;

	*iommu_prot = IOMMU_CACHE;
	if (flags & IOMMU_IOAS_MAP_READABLE)
		*iommu_prot |= IOMMU_READ;
	if (flags & IOMMU_IOAS_MAP_WRITEABLE)
		*iommu_prot |= IOMMU_WRITE;
	return 0;
}

/*
 * Report a new mapping's IOVA.  When user space cannot be told where the
 * mapping went, it could never unmap it by IOVA, so the mappings this call
 * made are taken down again (and only those: the range may have been
 * unmapped and mapped again by another thread meanwhile), and the call
 * fails as if it had never happened.
 */
static int iommufd_ioas_respond_mapped(struct iommufd_ucmd *ucmd,
				       size_t cmd_len,
				       struct io_pagetable *iopt,
				       unsigned long iova, unsigned long length,
				       u64 map_call)
{
	int rc = iommufd_ucmd_respond(ucmd, cmd_len);

	if (rc)
		iopt_undo_map(iopt, iova, length, map_call);
	return rc;
}

/*
 * The second half of MAP and MAP_FILE: place the memory they described in
 * @ioas and report where it went.  Consumes the reference on @pages,
 * which may also be the error their description failed with.
 */
static int iommufd_ioas_map_new_pages(struct iommufd_ucmd *ucmd,
				      struct iommufd_ioas *ioas, u32 flags,
				      int iommu_prot,
				      struct iommufd_pages *pages,
				      unsigned long start_byte,
				      unsigned long length, __u64 *iova,
				      size_t cmd_len)
{
	unsigned long placed_iova = *iova;
	u64 map_call;
	int rc;

	if (IS_ERR(pages))
		return PTR_ERR(pages);
	rc = iopt_map_pages(&ioas->iopt, pages, start_byte, length,
			    &placed_iova, iommu_prot,
			    flags & IOMMU_IOAS_MAP_FIXED_IOVA, &map_call);
	if (rc)
		return rc;
	*iova = placed_iova;
	rc = iommufd_ioas_respond_mapped(ucmd, cmd_len, &ioas->iopt,
					 placed_iova, length, map_call);
	if (!rc)
		trace_iommufd_ioas_map(ioas->obj.id, placed_iova, length, flags);
	return rc;
}

int iommufd_ioas_map(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map *cmd = ucmd->cmd;
	struct iommufd_pages *pages;
	unsigned long start_byte = 0;
	struct iommufd_ioas *ioas;
	int iommu_prot;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	rc = iommufd_ioas_map_args(cmd->flags, cmd->iova, cmd->length,
				   &iommu_prot);
	if (rc)
		return rc;
	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	pages = iommufd_pages_alloc_user(ucmd->ictx,
					 u64_to_user_ptr(cmd->user_va),
					 cmd->length, iommu_prot & IOMMU_WRITE,
					 &start_byte);
	rc = iommufd_ioas_map_new_pages(ucmd, ioas, cmd->flags, iommu_prot,
					pages, start_byte, cmd->length,
					&cmd->iova, sizeof(*cmd));
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

/*
 * The memory MAP_FILE names: a range of a memfd-like file, or of a
 * dma-buf (device MMIO, revocable: pages_dmabuf.h).
 */
static struct iommufd_pages *
iommufd_ioas_pages_of_file(struct iommufd_ctx *ictx,
			   struct iommu_ioas_map_file *cmd, struct file *file,
			   bool writable, unsigned long *start_byte)
{
	struct iommufd_pages *pages;
	struct dma_buf *dmabuf;

	/* Fails with -EINVAL for anything but a dma-buf */
	dmabuf = dma_buf_get(cmd->fd);
	if (IS_ERR(dmabuf))
		return iommufd_pages_alloc_file(ictx, file, cmd->start,
						cmd->length, writable,
						start_byte);
	pages = iommufd_pages_alloc_dmabuf(ictx, dmabuf, cmd->start,
					   cmd->length, writable, start_byte);
	dma_buf_put(dmabuf);
	return pages;
}

/* MAP_FILE once its arguments are known good and @ioas is found */
static int iommufd_ioas_map_file_into(struct iommufd_ucmd *ucmd,
				      struct iommufd_ioas *ioas,
				      int iommu_prot)
{
	struct iommu_ioas_map_file *cmd = ucmd->cmd;
	struct iommufd_pages *pages;
	unsigned long start_byte = 0;

	if (!iommufd_ioas_u64_fits(cmd->start))
		return -EOVERFLOW;

	CLASS(fd, file_ref)(cmd->fd);
	if (fd_empty(file_ref))
		return -EBADF;
	pages = iommufd_ioas_pages_of_file(ucmd->ictx, cmd, fd_file(file_ref),
					   iommu_prot & IOMMU_WRITE,
					   &start_byte);
	return iommufd_ioas_map_new_pages(ucmd, ioas, cmd->flags, iommu_prot,
					  pages, start_byte, cmd->length,
					  &cmd->iova, sizeof(*cmd));
}

int iommufd_ioas_map_file(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map_file *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int iommu_prot;
	int rc;

	rc = iommufd_ioas_map_args(cmd->flags, cmd->iova, cmd->length,
				   &iommu_prot);
	if (rc)
		return rc;
	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iommufd_ioas_map_file_into(ucmd, ioas, iommu_prot);
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

int iommufd_ioas_copy(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_copy *cmd = ucmd->cmd;
	struct iommufd_ioas *src_ioas, *dst_ioas;
	unsigned long dst_iova = cmd->dst_iova;
	unsigned long src_last;
	u64 map_call;
	int iommu_prot;
	int rc;

	rc = iommufd_ioas_map_args(cmd->flags, cmd->dst_iova, cmd->length,
				   &iommu_prot);
	if (rc)
		return rc;
	if (!iommufd_ioas_u64_fits(cmd->src_iova))
		return -EOVERFLOW;

	src_ioas = iommufd_get_ioas(ucmd->ictx, cmd->src_ioas_id);
	if (IS_ERR(src_ioas))
		return PTR_ERR(src_ioas);
	/* A bad source range is reported before a bad destination */
	rc = iopt_check_range(cmd->src_iova, cmd->length, &src_last);
	if (rc)
		goto out_put_src;
	dst_ioas = iommufd_get_ioas(ucmd->ictx, cmd->dst_ioas_id);
	if (IS_ERR(dst_ioas)) {
		rc = PTR_ERR(dst_ioas);
		goto out_put_src;
	}

	rc = iopt_copy(&dst_ioas->iopt, &dst_iova, &src_ioas->iopt,
		       cmd->src_iova, cmd->length, iommu_prot,
		       cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA, &map_call);
	if (!rc) {
		cmd->dst_iova = dst_iova;
		rc = iommufd_ioas_respond_mapped(ucmd, sizeof(*cmd),
						 &dst_ioas->iopt, dst_iova,
						 cmd->length, map_call);
	}
	if (!rc)
		trace_iommufd_ioas_copy(src_ioas->obj.id, cmd->src_iova,
					dst_ioas->obj.id, dst_iova,
					cmd->length, cmd->flags);
	iommufd_put_object(ucmd->ictx, &dst_ioas->obj);
out_put_src:
	iommufd_put_object(ucmd->ictx, &src_ioas->obj);
	return rc;
}

int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_unmap *cmd = ucmd->cmd;
	/* iova 0 with length U64_MAX is the documented "everything" */
	bool unmap_all = !cmd->iova && cmd->length == U64_MAX;
	unsigned long unmapped = 0;
	struct iommufd_ioas *ioas;
	int rc;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (unmap_all) {
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else if (!iommufd_ioas_u64_fits(cmd->iova) ||
		   !iommufd_ioas_u64_fits(cmd->length)) {
		rc = -EOVERFLOW;
	} else {
		rc = iopt_unmap(&ioas->iopt, cmd->iova, cmd->length,
				&unmapped);
		/* Unmapping nothing is an error unless all was asked for */
		if (!rc && !unmapped)
			rc = -ENOENT;
	}
	if (!rc) {
		u64 asked = cmd->length;

		cmd->length = unmapped;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
		if (!rc)
			trace_iommufd_ioas_unmap(ioas->obj.id, cmd->iova, asked,
						 unmapped);
	}
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

/* ---- IOMMU_IOAS_CHANGE_PROCESS ------------------------------------------ */

/*
 * A pages object can be mapped in several IOAS of a context (after
 * IOMMU_IOAS_COPY), and any of them may pin or unpin it, so its owner is
 * changed with the page table of every IOAS locked for write.  They are
 * locked in ascending ID order under the context's move_lock, the only
 * place where two page tables are ever locked together.  An IOAS created
 * meanwhile is not included: whatever it maps is mapped after the move,
 * and charged to whoever maps it.
 */
struct iommufd_ioas_locked_set {
	struct iommufd_ioas **ioas;
	unsigned int count;
	unsigned int capacity;
};

static void iommufd_ioas_unlock_all(struct iommufd_ctx *ictx,
				    struct iommufd_ioas_locked_set *set)
{
	while (set->count) {
		struct iommufd_ioas *ioas = set->ioas[--set->count];

		up_write(&ioas->iopt.iova_rwsem);
		iommufd_put_object(ictx, &ioas->obj);
	}
	kfree(set->ioas);
	set->ioas = NULL;
}

/* Room for one more IOAS in @set */
static int iommufd_ioas_locked_set_grow(struct iommufd_ioas_locked_set *set)
{
	unsigned int capacity = max(2 * set->capacity, 8U);
	struct iommufd_ioas **bigger;

	if (set->count < set->capacity)
		return 0;
	bigger = krealloc_array(set->ioas, capacity, sizeof(*bigger),
				GFP_KERNEL_ACCOUNT);
	if (!bigger)
		return -ENOMEM;
	set->ioas = bigger;
	set->capacity = capacity;
	return 0;
}

static int iommufd_ioas_lock_all(struct iommufd_ctx *ictx,
				 struct iommufd_ioas_locked_set *set)
{
	unsigned long id = 0;

	lockdep_assert_held(&ictx->move_lock);
	*set = (struct iommufd_ioas_locked_set){};
	for (; xa_find(&ictx->objects, &id, U32_MAX, XA_PRESENT); id++) {
		struct iommufd_ioas *ioas = iommufd_get_ioas(ictx, id);
		int rc;

		/* Another kind of object, or one on its way out */
		if (IS_ERR(ioas))
			continue;
		rc = iommufd_ioas_locked_set_grow(set);
		if (rc) {
			iommufd_put_object(ictx, &ioas->obj);
			iommufd_ioas_unlock_all(ictx, set);
			return rc;
		}
		down_write_nest_lock(&ioas->iopt.iova_rwsem, &ictx->move_lock);
		set->ioas[set->count++] = ioas;
	}
	return 0;
}

/**
 * iommufd_ioas_change_process() - IOMMU_IOAS_CHANGE_PROCESS
 * @ucmd: the ioctl, holding a struct iommu_ioas_change_process
 *
 * Charges every pinned page of every IOAS to the calling process and
 * gives the old owners their charges back, whole or not at all.
 *
 * Return: 0; -EOPNOTSUPP if __reserved is set; -EINVAL if some IOAS maps
 * user memory (only files can move); -ENOMEM if the pinned pages do not
 * fit under the caller's RLIMIT_MEMLOCK, or for lack of memory.
 */
int iommufd_ioas_change_process(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_change_process *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct iommufd_ioas_locked_set set;
	struct iommufd_pages_move move;
	unsigned int i;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	rc = iommufd_pages_move_begin(&move, ictx);
	if (rc)
		return rc;

	scoped_guard(mutex, &ictx->move_lock) {
		rc = iommufd_ioas_lock_all(ictx, &set);
		for (i = 0; !rc && i != set.count; i++)
			rc = iopt_add_to_move(&set.ioas[i]->iopt, &move);
		if (!rc)
			rc = iommufd_pages_move_commit(&move);
		/* The move's list is only stable while the IOAS are locked */
		iommufd_pages_move_end(&move);
		iommufd_ioas_unlock_all(ictx, &set);
	}
	return rc;
}

/**
 * iommufd_ioas_option_huge_pages() - IOMMU_OPTION_HUGE_PAGES on an IOAS
 * @ucmd: the ioctl; its object_id names the IOAS
 *
 * Return: 0 with val64 filled in for a get; -ENOENT if object_id is not an
 * IOAS; -EOPNOTSUPP for an unknown op; -EINVAL for a value other than 0
 * or 1, or for turning large pages off while domains already map memory
 * with them.
 */
int iommufd_ioas_option_huge_pages(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc = 0;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->object_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (cmd->op == IOMMU_OPTION_OP_GET)
		cmd->val64 = !READ_ONCE(ioas->iopt.large_pages_disabled);
	else if (cmd->op != IOMMU_OPTION_OP_SET)
		rc = -EOPNOTSUPP;
	else if (cmd->val64 > 1)
		rc = -EINVAL;
	else
		rc = iopt_set_large_pages(&ioas->iopt, cmd->val64);

	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}
