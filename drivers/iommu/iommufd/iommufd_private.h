/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every part of iommufd shares: the per-file context, the shape of an
 * ioctl as the dispatcher hands it to a command handler, and the design
 * rules below.  Each object kind states its own contract in its own
 * header.
 */
#ifndef __IOMMUFD_PRIVATE_H
#define __IOMMUFD_PRIVATE_H

/**
 * DOC: Map of the subsystem
 *
 * One line per file, from the top down; the headers state each part's
 * contract and locking.
 *
 * - main.c: /dev/iommu (and /dev/vfio/vfio): the ioctl table and dispatch,
 *   the in-kernel API that finds the context of a /dev/iommu file, and
 *   module init.  Nothing calls up into it.
 * - context.c: a context's life from open to release, and the references
 *   other subsystems and objects hold on it.
 * - object.c, object.h: the object table of a context: IDs, short and
 *   long references, publishing, and destroying.
 * - option.c: IOMMU_OPTION.
 * - fdinfo.c: /proc/<pid>/fdinfo of /dev/iommu: the context and one line
 *   per object, each kind describing itself (its ops' show).
 * - iommufd_trace.h: the trace events (events/iommufd/), created in main.c.
 * - ioas.c, ioas.h: the IOAS object and its ioctls.
 * - io_pagetable.c, io_pagetable.h: the page table of an IOAS: placing,
 *   creating and removing mappings, reserved and allowed IOVA, linked
 *   domains and the registry of accesses.
 * - io_pagetable_dirty.c: dirty tracking through a page table's domains.
 * - pages.c, pages.h: the memory a mapping refers to: where it comes
 *   from, pinning it, and charging it against RLIMIT_MEMLOCK.
 * - pages_domains.c, pages_domains.h: moving a mapping's pages into and
 *   out of IOMMU domains a batch at a time.
 * - pages_access.c, pages_access.h: pages pinned for emulated accesses, and
 *   copies through a pages object.
 * - access.c, access.h: emulated accesses, the in-kernel API of mediated
 *   devices.
 * - hw_pagetable.c, hw_pagetable.h: paging and nested HWPTs, and the
 *   ioctls that act on one (invalidation, dirty tracking).
 * - device.c, device.h: binding devices, the records of their IOMMU
 *   groups, attaching, replacing and detaching them, IOMMU_GET_HW_INFO.
 * - fault.c, fault.h: fault queues and the I/O page fault handler.
 * - viommu.c, viommu.h: vIOMMUs, and what the vIOMMU family shares: the
 *   lookups of its objects and the vEVENTQ structure drivers report to.
 * - vdevice.c: vDEVICEs, the virtual IDs of bound devices on a vIOMMU.
 * - veventq.c: vEVENTQs, the event queues of a vIOMMU, and their file.
 * - hw_queue.c: HW queues, guest memory a vIOMMU's hardware reads.
 * - mmap.c: mmap() of /dev/iommu, for the hardware pages of a vIOMMU.
 * - driver.c: what IOMMU drivers call from their vIOMMU code; built into
 *   the kernel (CONFIG_IOMMUFD_DRIVER_CORE) even when iommufd is a module,
 *   so it calls nothing of the rest and only works on the structures.
 * - vfio_compat.c: what VFIO's legacy container path needs: the
 *   compatibility IOAS and the type1 container ioctls.
 * - iova_bitmap.c: the dirty bitmap helper of CONFIG_IOMMUFD_DRIVER, for
 *   VFIO drivers.
 * - selftest.h: the test build's one entry point into the core.  Behind
 *   it, only with CONFIG_IOMMUFD_TEST: selftest.c (IOMMU_TEST_CMD and
 *   mock device objects), selftest_access.c/.h (its emulated access ops),
 *   mock_iommu.c/.h (the mock IOMMU driver), mock_viommu.c (its vIOMMU,
 *   a driver of the API of driver.c), iommufd_test.h (the test ABI,
 *   shared with the selftests).
 */

/**
 * DOC: Design rules
 *
 * Decisions the whole subsystem relies on.  Comments elsewhere name the
 * rule they lean on by its title.
 *
 * **A paging HWPT mirrors one IOAS for life.**  A paging HWPT's domain is
 * linked to its IOAS when the HWPT is created (by IOMMU_HWPT_ALLOC, or
 * automatically for a device attached straight to an IOAS) and unlinked
 * only when it is destroyed.  Attaching and detaching devices never link
 * or unlink anything; a nested HWPT links nothing (its parent's linkage
 * puts the IOAS under it); a nesting parent is only ever made explicitly.
 * So what a domain maps never depends on who is attached, and the count of
 * attached devices only decides whether a HWPT may be destroyed.
 *
 * **Replace moves to a filled domain.**  Replacing moves an attached device
 * to a HWPT that exists and is linked already, so that its DMA is never
 * blocked or let through untranslated in between.  Only the automatic path
 * of a first attach attaches a domain while it is empty and fills it
 * afterwards, for drivers that settle a domain's aperture and page sizes at
 * its first attach.  The IOVA a device's platform reserves (MSI doorbells,
 * firmware ranges) is reserved in the target IOAS before the device can
 * reach it, and the group lock alone protects attach, replace and detach.
 *
 * **Detach answers the faults it leaves behind.**  Each attachment of a
 * device (its RID, or a PASID) embeds the attach handle the iommu core
 * keeps, so a fault leads back to the device without a search; the record
 * needs no reference count of its own.  Before it is freed, fault
 * deliveries that might still use it are flushed and every page request of
 * that attachment user space has not answered is answered by the kernel,
 * so a device never waits for an answer nobody can give.
 *
 * **A vIOMMU holds the IOMMU instance, not the device that named it.**
 * User space names a physical IOMMU by one of its devices; the device is
 * only needed while allocating.  Devices come and go under a vIOMMU (they
 * can be hot-unplugged), and whatever is attached through it must sit
 * behind the same IOMMU instance.
 *
 * **One attachment per device and PASID.**  Attaching a device (or one of
 * its PASIDs) that is attached already is -EBUSY; moving it is a replace.
 * Nothing counts duplicate attachments, so no detach can undo somebody
 * else's.  Sub-devices that share hardware are objects of their own (an
 * emulated access, or a device).
 *
 * **No lock the fault path needs is held across user copies.**  Fault
 * delivery runs in the IOMMU's fault thread for every device behind it;
 * user memory may take forever to fault in.
 */

/**
 * DOC: Lock order
 *
 * Outermost first; each header says what its locks protect.
 *
 * - ioas->mutex (finding or making an automatic HWPT), then the group lock
 *   of device.c, then hw_pagetable.c's coherency lock or device.c's MSI
 *   cookie lock, then the IOAS page table's iova_rwsem, then a pages
 *   object's mutex, then mmap_lock.
 * - The group lock, then a fault queue's lock, then the iommu core's fault
 *   parameter lock (answering a page request).
 * - An access owner's locks, then the access's change_lock, then its
 *   ioas_rwsem, then iova_rwsem and the pages mutex (access.h).
 * - The page table's unmap_lock outside all of those: an unmap holds it
 *   across the access unmap callbacks it waits for.
 * - The group lock, then a vIOMMU's vdevs xarray lock (viommu.h); a
 *   vIOMMU's veventqs_rwsem, then a vEVENTQ's spinlock.
 * - mmap_lock (mmap() of /dev/iommu), then the context's mt_mmap lock.
 * - The context's move_lock (IOMMU_IOAS_CHANGE_PROCESS), then the
 *   iova_rwsem of every IOAS of the context, taken for write in ascending
 *   object ID order and held together: nowhere else are two iova_rwsems
 *   held at once.  Then a pages object's mutex, then the mmap_lock of the
 *   old owner's mm or of the new one's, never both.
 */

#include <linux/maple_tree.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "object.h"

struct file;
struct seq_file;
struct vm_area_struct;
struct iommufd_ioas;

/*
 * How pinned pages are charged against RLIMIT_MEMLOCK.  USER charges the
 * user_struct of the caller (what iommufd does by default); MM charges the
 * mm's locked_vm (what the VFIO type1 container does).  NONE is for kernel
 * internal users that are not subject to the limit.
 */
enum iommufd_account_mode {
	IOMMUFD_ACCOUNT_NONE,
	IOMMUFD_ACCOUNT_USER,
	IOMMUFD_ACCOUNT_MM,
};

/**
 * struct iommufd_ctx - one open file of /dev/iommu
 * @file: the file; a reference on it is a reference on the context
 * @objects: ID -> object.  Reserved (zero) entries are IDs of objects being
 *           created or destroyed.  Its spinlock orders every lookup against
 *           unpublishing, so a lookup either finds a live object or nothing.
 * @destroy_wait: destroyers sleep here until the last short user is gone
 * @groups: IOMMU group ID -> struct iommufd_group, for the groups that have
 *          a device bound to this context (managed by device.c)
 * @account_mode: enum iommufd_account_mode for pages pinned by this context;
 *                changes only while @objects is empty, under its lock
 * @vfio_ioas: the IOAS that VFIO's legacy container path uses, which carries
 *             no IOAS ID of its own (see vfio_compat.c), or NULL.  Read and
 *             written under the lock of @objects; cleared before that IOAS
 *             is freed, so it never points at freed memory.
 * @vfio_no_iommu: VFIO bound a device without IOMMU protection through this
 *                 context, so it may never get a @vfio_ioas; under the lock
 *                 of @objects
 * @mt_mmap: mmap() offset range -> struct iommufd_mmap, the regions that
 *           drivers registered for user space to map (driver.c, mmap.c);
 *           its own lock protects it
 * @move_lock: serialises IOMMU_IOAS_CHANGE_PROCESS, which holds every
 *             IOAS's iova_rwsem under it at once (ioas.c)
 * @pinned_pages: pages the pages objects of this context have pinned and
 *                charged now (pages.c), whoever they are charged to; read
 *                by fdinfo
 */
struct iommufd_ctx {
	struct file *file;
	struct xarray objects;
	wait_queue_head_t destroy_wait;
	struct xarray groups;
	u8 account_mode;
	bool vfio_no_iommu;
	struct iommufd_ioas *vfio_ioas;
	struct maple_tree mt_mmap;
	struct mutex move_lock; /* see above */
	atomic_long_t pinned_pages;
};

/**
 * struct iommufd_mmap - a region of hardware user space may mmap()
 * @owner: the object that registered it, which cannot be destroyed while
 *         the region is mapped: each mapping holds a long-term reference
 * @vm_pgoff: the mmap() offset of the region, in pages; fixed
 * @mmio_addr: the physical address of the region; page aligned
 * @length: its length in bytes; page aligned
 *
 * A region is mapped whole, at exactly its offset, or not at all.
 */
struct iommufd_mmap {
	struct iommufd_object *owner;
	unsigned long vm_pgoff;
	phys_addr_t mmio_addr;
	size_t length;
};

/**
 * struct iommufd_ucmd - one ioctl call as seen by its handler
 * @ictx: the context the ioctl was issued on
 * @ubuffer: the user's struct
 * @user_size: the size user space declared in the struct's first u32
 * @cmd: kernel copy of the struct; bytes the user did not supply are zero
 */
struct iommufd_ucmd {
	struct iommufd_ctx *ictx;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

/**
 * iommufd_ucmd_respond() - copy a command struct back to user space
 * @ucmd: the ioctl
 * @cmd_len: the kernel's size of the struct
 *
 * Writes no more than user space declared, so an older, shorter struct
 * never has memory past its end overwritten.
 *
 * Return: 0, or -EFAULT.
 */
static inline int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd,
				       size_t cmd_len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, cmd_len)))
		return -EFAULT;
	return 0;
}

/* context.c: the life of a context (see also <linux/iommufd.h>) */
struct iommufd_ctx *iommufd_ctx_create(struct file *file,
				       bool as_vfio_container);
void iommufd_ctx_destroy(struct iommufd_ctx *ictx);

/*
 * A fault point ("fail_iommufd": debugfs, and fail-nth) where iommufd
 * calls something that can fail in a way no allocation failure reproduces,
 * such as pinning memory part way.  Always false without the test build.
 */
#if IS_ENABLED(CONFIG_IOMMUFD_TEST)
bool iommufd_should_fail(void);
#else
static inline bool iommufd_should_fail(void)
{
	return false;
}
#endif

/* Command handlers, one per ioctl, each in the file of the object it serves */
int iommufd_destroy(struct iommufd_ucmd *ucmd);
int iommufd_option(struct iommufd_ucmd *ucmd);
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd);
int iommufd_fops_mmap(struct file *filp, struct vm_area_struct *vma);
struct device *iommufd_misc_device(void);
void iommufd_ctx_show_fdinfo(struct iommufd_ctx *ictx, struct seq_file *m);
long iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned int cmd,
			unsigned long arg);

#endif
