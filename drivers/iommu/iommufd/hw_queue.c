// SPDX-License-Identifier: GPL-2.0-only
/*
 * HW queues: IOMMU_HW_QUEUE_ALLOC, and the guest memory a queue lives in,
 * pinned for the queue's life.  viommu.h states the rules.
 */
#include <linux/err.h>
#include <linux/io.h>
#include <linux/iommufd.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <uapi/linux/iommufd.h>

#include "access.h"
#include "hw_pagetable.h"
#include "ioas.h"
#include "viommu.h"

/*
 * The whole pages the queue's memory touches, in the nesting parent's IOVA
 * space: pins are made by page.  The caller checked that the queue itself
 * does not wrap.
 */
static int iommufd_hw_queue_pages(const struct iommufd_hw_queue *hw_queue,
				  unsigned long *first, unsigned long *length)
{
	u64 start = ALIGN_DOWN(hw_queue->base_addr, PAGE_SIZE);
	u64 last = hw_queue->base_addr + hw_queue->length - 1;
	u64 npages = (last - start) / PAGE_SIZE + 1;
	u64 bytes;

	if (check_mul_overflow(npages, (u64)PAGE_SIZE, &bytes) ||
	    bytes > ULONG_MAX || start > ULONG_MAX - (bytes - 1))
		return -ERANGE;
	*first = start;
	*length = bytes;
	return 0;
}

/* Whether @pages are one physically contiguous run */
static bool iommufd_pages_contiguous(struct page **pages, size_t npages)
{
	size_t i;

	for (i = 1; i < npages; i++)
		if (page_to_pfn(pages[i]) != page_to_pfn(pages[i - 1]) + 1)
			return false;
	return true;
}

/*
 * Pin the pages of the queue through @access and check that the hardware
 * can read them as one run; *@base_pa is where the queue starts.
 */
static int iommufd_hw_queue_pin(struct iommufd_hw_queue *hw_queue,
				struct iommufd_access *access,
				unsigned long first, unsigned long length,
				phys_addr_t *base_pa)
{
	size_t npages = length / PAGE_SIZE;
	struct page **pages;
	int rc;

	/* A user-sized array: no warning when it cannot be had */
	pages = kvcalloc(npages, sizeof(*pages),
			 GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!pages)
		return -ENOMEM;
	rc = iommufd_access_pin_pages(access, first, length, pages, 0);
	if (rc)
		goto out_free;
	if (!iommufd_pages_contiguous(pages, npages)) {
		iommufd_access_unpin_pages(access, first, length);
		rc = -EFAULT;
		goto out_free;
	}
	*base_pa = page_to_phys(pages[0]) + offset_in_page(hw_queue->base_addr);
out_free:
	kvfree(pages);
	return rc;
}

/*
 * Pin the queue's memory, mapped in the IOAS of the vIOMMU's nesting
 * parent, for the life of @hw_queue, whose access it becomes.
 */
static int iommufd_hw_queue_take_memory(struct iommufd_hw_queue *hw_queue,
					phys_addr_t *base_pa)
{
	struct iommufd_viommu *viommu = hw_queue->viommu;
	struct iommufd_access *access;
	unsigned long first, length;
	int rc;

	rc = iommufd_hw_queue_pages(hw_queue, &first, &length);
	if (rc)
		return rc;
	access = iommufd_access_create_internal(viommu->ictx);
	if (IS_ERR(access))
		return PTR_ERR(access);
	rc = iommufd_access_attach_internal(access, viommu->hwpt->ioas);
	if (rc)
		goto err_destroy;
	rc = iommufd_hw_queue_pin(hw_queue, access, first, length, base_pa);
	if (rc)
		goto err_destroy;
	hw_queue->access = access;
	return 0;

err_destroy:
	iommufd_access_destroy_internal(viommu->ictx, access);
	return rc;
}

/* Give back what iommufd_hw_queue_take_memory() pinned */
static void iommufd_hw_queue_release_memory(struct iommufd_hw_queue *hw_queue)
{
	unsigned long first, length;

	if (!WARN_ON(iommufd_hw_queue_pages(hw_queue, &first, &length)))
		iommufd_access_unpin_pages(hw_queue->access, first, length);
	iommufd_access_destroy_internal(hw_queue->viommu->ictx,
					hw_queue->access);
}

/**
 * iommufd_hw_queue_destroy() - release what a HW queue holds
 * @obj: the queue's object; nothing depends on it any more
 *
 * The hardware stops reading the queue before its memory is unpinned.
 * Also undoes a creation that failed part way.
 */
static void iommufd_hw_queue_destroy(struct iommufd_object *obj)
{
	struct iommufd_hw_queue *hw_queue =
		container_of(obj, struct iommufd_hw_queue, obj);

	if (hw_queue->destroy)
		hw_queue->destroy(hw_queue);
	if (hw_queue->access)
		iommufd_hw_queue_release_memory(hw_queue);
	iommufd_object_unref(&hw_queue->viommu->obj);
}

static void iommufd_hw_queue_show(struct iommufd_object *obj,
				  struct seq_file *m)
{
	struct iommufd_hw_queue *hw_queue =
		container_of(obj, struct iommufd_hw_queue, obj);

	seq_printf(m, " viommu=%u queue_type=%u base_addr=0x%llx length=%zu",
		   hw_queue->viommu->obj.id, hw_queue->type,
		   hw_queue->base_addr, hw_queue->length);
}

static const struct iommufd_object_ops iommufd_hw_queue_ops = {
	.destroy = iommufd_hw_queue_destroy,
	.show = iommufd_hw_queue_show,
};

/* The size of a HW queue of @type on @viommu, or 0 if there is none */
static size_t iommufd_hw_queue_size(struct iommufd_viommu *viommu,
				    enum iommu_hw_queue_type type)
{
	size_t size;

	if (!viommu->ops || !viommu->ops->get_hw_queue_size ||
	    !viommu->ops->hw_queue_init_phys)
		return 0;
	size = viommu->ops->get_hw_queue_size(viommu, type);
	/* A driver structure must have the core one inside */
	if (size && WARN_ON_ONCE(size < sizeof(struct iommufd_hw_queue)))
		return 0;
	return size;
}

/* IOMMU_HW_QUEUE_ALLOC once the vIOMMU is known */
static int iommufd_hw_queue_alloc_on(struct iommufd_ucmd *ucmd,
				     struct iommufd_viommu *viommu)
{
	struct iommu_hw_queue_alloc *cmd = ucmd->cmd;
	size_t size = iommufd_hw_queue_size(viommu, cmd->type);
	struct iommufd_hw_queue *hw_queue;
	struct iommufd_object *obj;
	phys_addr_t base_pa;
	int rc;

	if (!size)
		return -EOPNOTSUPP;
	/* Room for the driver's structure, which has ours first */
	obj = iommufd_object_alloc_raw(ucmd->ictx, size, IOMMUFD_OBJ_HW_QUEUE,
				       &iommufd_hw_queue_ops);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	hw_queue = container_of(obj, struct iommufd_hw_queue, obj);
	hw_queue->viommu = viommu;
	iommufd_object_ref(&viommu->obj);
	hw_queue->type = cmd->type;
	hw_queue->base_addr = cmd->nesting_parent_iova;
	hw_queue->length = cmd->length;

	rc = iommufd_hw_queue_take_memory(hw_queue, &base_pa);
	if (rc)
		goto err_abort;
	rc = viommu->ops->hw_queue_init_phys(hw_queue, cmd->index, base_pa);
	if (rc) {
		/* A failed init undoes itself */
		hw_queue->destroy = NULL;
		goto err_abort;
	}

	cmd->out_hw_queue_id = hw_queue->obj.id;
	return iommufd_object_publish_to_user(ucmd, &hw_queue->obj,
					      sizeof(*cmd));

err_abort:
	iommufd_object_abort_and_destroy(ucmd->ictx, &hw_queue->obj);
	return rc;
}

/**
 * iommufd_hw_queue_alloc() - IOMMU_HW_QUEUE_ALLOC
 * @ucmd: the ioctl, holding a struct iommu_hw_queue_alloc
 *
 * Context: process context; may sleep.
 * Return: 0; -EOPNOTSUPP for non-zero flags, the default type, or a type
 * the vIOMMU's driver does not implement; -EINVAL for a length of 0;
 * -EOVERFLOW for a range that wraps; -ERANGE for one whose pages do not
 * fit the address space; -ENOENT if viommu_id names no vIOMMU or the range
 * is not mapped; -EFAULT for memory that is not physically contiguous;
 * -ENOMEM; the driver's error.
 */
int iommufd_hw_queue_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_hw_queue_alloc *cmd = ucmd->cmd;
	struct iommufd_viommu *viommu;
	u64 last;
	int rc;

	if (cmd->flags || cmd->type == IOMMU_HW_QUEUE_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->length)
		return -EINVAL;
	if (check_add_overflow(cmd->nesting_parent_iova, cmd->length - 1,
			       &last))
		return -EOVERFLOW;

	viommu = iommufd_get_viommu(ucmd->ictx, cmd->viommu_id);
	if (IS_ERR(viommu))
		return PTR_ERR(viommu);
	rc = iommufd_hw_queue_alloc_on(ucmd, viommu);
	iommufd_put_object(ucmd->ictx, &viommu->obj);
	return rc;
}
