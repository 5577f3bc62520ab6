// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap() of /dev/iommu: user space maps a page of hardware that a driver
 * registered for one of its objects (a vIOMMU's virtual interface, say)
 * with iommufd_viommu_alloc_mmap(), at the offset the driver reported.
 *
 * A region is mapped whole or not at all, shared, uncached and never
 * executable.  Every VMA that maps it holds a long-term reference on the
 * owner, so the owner cannot be destroyed (-EBUSY), and with it the
 * region cannot go, while user space can still reach the hardware.
 */
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/maple_tree.h>
#include <linux/mm.h>

#include "iommufd_private.h"

/* A copy of a VMA (fork, a split by munmap or mprotect) holds the owner */
static void iommufd_vma_open(struct vm_area_struct *vma)
{
	struct iommufd_mmap *immap = vma->vm_private_data;

	iommufd_object_ref(immap->owner);
}

static void iommufd_vma_close(struct vm_area_struct *vma)
{
	struct iommufd_mmap *immap = vma->vm_private_data;

	iommufd_object_unref(immap->owner);
}

static const struct vm_operations_struct iommufd_vma_ops = {
	.open = iommufd_vma_open,
	.close = iommufd_vma_close,
};

/*
 * The region registered at exactly page offset @pgoff with exactly
 * @length bytes, with a long-term reference taken on its owner; NULL if
 * there is none.  The tree's lock keeps the region from being freed while
 * it is looked at; an owner already past its last check of the destroy
 * cannot be held any more and is as good as gone.
 */
static struct iommufd_mmap *iommufd_mmap_get(struct iommufd_ctx *ictx,
					     unsigned long pgoff,
					     size_t length)
{
	struct iommufd_mmap *immap;

	if (pgoff > ULONG_MAX >> PAGE_SHIFT)
		return NULL;

	mtree_lock(&ictx->mt_mmap);
	immap = mtree_load(&ictx->mt_mmap, pgoff << PAGE_SHIFT);
	if (immap && (immap->vm_pgoff != pgoff || immap->length != length ||
		      !refcount_inc_not_zero(&immap->owner->long_users)))
		immap = NULL;
	mtree_unlock(&ictx->mt_mmap);
	return immap;
}

/**
 * iommufd_fops_mmap() - mmap() of a /dev/iommu file
 * @filp: the file
 * @vma: the new mapping; vm_pgoff is the offset the driver reported
 *
 * Context: process context, mmap_lock held for writing.
 * Return: 0; -EINVAL for a private mapping; -EPERM for an executable one;
 * -ENXIO if no region starts at that offset with that length, or its
 * owner is being destroyed; the error of io_remap_pfn_range().
 */
int iommufd_fops_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct iommufd_ctx *ictx = filp->private_data;
	size_t length = vma->vm_end - vma->vm_start;
	struct iommufd_mmap *immap;
	int rc;

	/* Hardware registers are never copied on write, nor run */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;

	immap = iommufd_mmap_get(ictx, vma->vm_pgoff, length);
	if (!immap)
		return -ENXIO;

	vm_flags_clear(vma, VM_MAYEXEC);
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	rc = io_remap_pfn_range(vma, vma->vm_start,
				PHYS_PFN(immap->mmio_addr), length,
				vma->vm_page_prot);
	if (rc) {
		/* A failed mmap() closes nothing: the reference is ours */
		iommufd_object_unref(immap->owner);
		return rc;
	}
	vma->vm_private_data = immap;
	vma->vm_ops = &iommufd_vma_ops;
	return 0;
}
