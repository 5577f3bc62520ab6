/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A pages object: a run of memory that an IOAS maps, described by where it
 * comes from (a range of a process's address space, or of a memfd-like
 * file), shared by every mapping that refers to it (IOMMU_IOAS_COPY makes
 * several), and freed when the last one lets go.
 *
 * Contract
 * --------
 * The object is immutable after creation except for its reference count, so
 * readers need no lock.  Page index 0 is the page holding the first byte the
 * creator asked for; a mapping refers to a byte range inside the object by
 * an offset from the start of page 0.
 */
#ifndef __IOMMUFD_PAGES_H
#define __IOMMUFD_PAGES_H

#include <linux/kref.h>
#include <linux/types.h>

struct file;
struct iommufd_ctx;
struct mm_struct;
struct task_struct;
struct user_struct;

enum iommufd_pages_source {
	IOMMUFD_PAGES_USER,
	IOMMUFD_PAGES_FILE,
};

/**
 * struct iommufd_pages - memory that mappings refer to
 * @kref: one reference per mapping (or other holder)
 * @source: enum iommufd_pages_source
 * @writable: the memory may be written by DMA; mappings asking for write
 *            access to memory created without it are refused
 * @account_mode: enum iommufd_account_mode of the creating context, fixed
 *                so that charges are given back the way they were taken
 * @npages: number of PAGE_SIZE pages the object spans
 * @uptr: page-aligned user address of page 0 (IOMMUFD_PAGES_USER)
 * @file: the file, referenced (IOMMUFD_PAGES_FILE)
 * @file_offset: page-aligned file offset of page 0 (IOMMUFD_PAGES_FILE)
 * @source_mm: the address space @uptr belongs to (mmgrab'd)
 * @source_task: the task that created the object, whose RLIMIT_MEMLOCK
 *               limits pinning (referenced)
 * @source_user: the user charged in IOMMUFD_ACCOUNT_USER mode (referenced)
 */
struct iommufd_pages {
	struct kref kref;
	u8 source;
	bool writable;
	u8 account_mode;
	unsigned long npages;

	void __user *uptr;
	struct file *file;
	unsigned long file_offset;

	struct mm_struct *source_mm;
	struct task_struct *source_task;
	struct user_struct *source_user;
};

struct iommufd_pages *iommufd_pages_alloc_user(struct iommufd_ctx *ictx,
					       void __user *uptr,
					       unsigned long length,
					       bool writable,
					       unsigned long *start_byte);
struct iommufd_pages *iommufd_pages_alloc_file(struct iommufd_ctx *ictx,
					       struct file *file,
					       unsigned long start,
					       unsigned long length,
					       bool writable,
					       unsigned long *start_byte);
unsigned long iommufd_pages_alignment_hint(struct iommufd_pages *pages,
					   unsigned long start_byte);

static inline void iommufd_pages_get(struct iommufd_pages *pages)
{
	kref_get(&pages->kref);
}

void iommufd_pages_put(struct iommufd_pages *pages);

/*
 * Bytes of temporary memory one pinning batch may use; 0 restores the
 * default.  IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT makes it small so that the
 * tests cross batch boundaries.
 */
void iommufd_pages_set_temp_limit(unsigned int bytes);

#endif
