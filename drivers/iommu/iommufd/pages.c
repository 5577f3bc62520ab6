// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pages objects: where the memory behind a mapping comes from.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/sched/user.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>

#include "iommufd_private.h"
#include "pages.h"

/* Everything common to both sources; the caller fills in the source */
static struct iommufd_pages *iommufd_pages_alloc(struct iommufd_ctx *ictx,
						 unsigned long first_byte,
						 unsigned long length,
						 bool writable,
						 unsigned long *start_byte)
{
	struct iommufd_pages *pages;
	unsigned long end_byte;

	if (!length)
		return ERR_PTR(-EINVAL);
	*start_byte = offset_in_page(first_byte);
	if (check_add_overflow(first_byte, length, &end_byte) ||
	    end_byte > ULONG_MAX - PAGE_SIZE)
		return ERR_PTR(-EOVERFLOW);

	pages = kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	kref_init(&pages->kref);
	pages->writable = writable;
	pages->account_mode = READ_ONCE(ictx->account_mode);
	pages->npages = DIV_ROUND_UP(*start_byte + length, PAGE_SIZE);

	/* Charges and limits belong to whoever created the mapping */
	pages->source_task = get_task_struct(current->group_leader);
	pages->source_user = get_uid(current_user());
	pages->source_mm = current->mm;
	mmgrab(pages->source_mm);
	return pages;
}

/**
 * iommufd_pages_alloc_user() - describe a range of the caller's memory
 * @ictx: the context the mapping is made in (its accounting mode is kept)
 * @uptr: first byte
 * @length: bytes, at least one
 * @writable: whether DMA may write the memory
 * @start_byte: returns the offset of @uptr inside page 0
 *
 * Nothing is pinned or even looked at yet: the memory only has to exist
 * once a domain or an access needs it.
 *
 * Return: the object, or ERR_PTR(-EINVAL) for a zero length,
 * ERR_PTR(-EOVERFLOW) for a range that wraps, ERR_PTR(-ENOMEM).
 */
struct iommufd_pages *iommufd_pages_alloc_user(struct iommufd_ctx *ictx,
					       void __user *uptr,
					       unsigned long length,
					       bool writable,
					       unsigned long *start_byte)
{
	struct iommufd_pages *pages;

	pages = iommufd_pages_alloc(ictx, (unsigned long)uptr, length,
				    writable, start_byte);
	if (IS_ERR(pages))
		return pages;
	pages->source = IOMMUFD_PAGES_USER;
	pages->uptr = uptr - *start_byte;
	return pages;
}

/**
 * iommufd_pages_alloc_file() - describe a range of a shmem or hugetlbfs file
 * @ictx: the context the mapping is made in
 * @file: the file; the object takes its own reference
 * @start: file offset of the first byte
 * @length: bytes, at least one
 * @writable: whether DMA may write the memory
 * @start_byte: returns the offset of @start inside page 0
 *
 * Return: the object; ERR_PTR(-EINVAL) for a zero length, a range past the
 * end of the file or a file whose pages cannot be pinned (only shmem and
 * hugetlbfs files can); ERR_PTR(-EPERM) for write access to a file that
 * was not opened for writing; ERR_PTR(-EOVERFLOW); ERR_PTR(-ENOMEM).
 */
struct iommufd_pages *iommufd_pages_alloc_file(struct iommufd_ctx *ictx,
					       struct file *file,
					       unsigned long start,
					       unsigned long length,
					       bool writable,
					       unsigned long *start_byte)
{
	struct iommufd_pages *pages;
	loff_t end;

	if (!shmem_file(file) && !is_file_hugepages(file))
		return ERR_PTR(-EINVAL);
	if (writable && !(file->f_mode & FMODE_WRITE))
		return ERR_PTR(-EPERM);
	if (check_add_overflow((loff_t)start, (loff_t)length, &end))
		return ERR_PTR(-EOVERFLOW);
	if (end > i_size_read(file_inode(file)))
		return ERR_PTR(-EINVAL);

	pages = iommufd_pages_alloc(ictx, start, length, writable, start_byte);
	if (IS_ERR(pages))
		return pages;
	pages->source = IOMMUFD_PAGES_FILE;
	pages->file = get_file(file);
	pages->file_offset = start - *start_byte;
	return pages;
}

/**
 * iommufd_pages_alignment_hint() - the address whose alignment an IOVA
 *                                  should copy
 * @pages: the object
 * @start_byte: offset of the first mapped byte from the start of page 0
 *
 * An IOVA that is aligned like the memory behind it lets the IOMMU use the
 * same large pages the memory is made of.
 *
 * Return: the user address or file offset of the first mapped byte.
 */
unsigned long iommufd_pages_alignment_hint(struct iommufd_pages *pages,
					   unsigned long start_byte)
{
	if (pages->source == IOMMUFD_PAGES_FILE)
		return pages->file_offset + start_byte;
	return (unsigned long)pages->uptr + start_byte;
}

static void iommufd_pages_release(struct kref *kref)
{
	struct iommufd_pages *pages =
		container_of(kref, struct iommufd_pages, kref);

	if (pages->file)
		fput(pages->file);
	mmdrop(pages->source_mm);
	free_uid(pages->source_user);
	put_task_struct(pages->source_task);
	kfree(pages);
}

void iommufd_pages_put(struct iommufd_pages *pages)
{
	kref_put(&pages->kref, iommufd_pages_release);
}

static unsigned int iommufd_pages_temp_limit;

void iommufd_pages_set_temp_limit(unsigned int bytes)
{
	WRITE_ONCE(iommufd_pages_temp_limit, bytes);
}
