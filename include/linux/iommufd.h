/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommufd as seen from the rest of the kernel.
 *
 * The functions declared here are documented where they are defined, under
 * drivers/iommu/iommufd/ (main.c, device.c, access.c, vfio_compat.c), with
 * their context, locking and every return value; this header documents the
 * rules that span several of them, and the types.
 */

/**
 * DOC: The in-kernel iommufd API
 *
 * Three groups of functions let another subsystem (today VFIO) build on an
 * iommufd context, the state behind one open file of /dev/iommu:
 *
 * - Contexts.  iommufd_ctx_from_fd() and iommufd_ctx_from_file() turn a file
 *   user space handed over into a context, iommufd_ctx_get() and
 *   iommufd_ctx_put() keep and release it.  A reference on a context is a
 *   reference on its file, so the context, and every object in it, lives
 *   at least as long as the reference.  iommufd_ctx_has_group() tells
 *   whether a device of an IOMMU group is bound to a context.
 * - Devices.  iommufd_device_bind() makes a device with an IOMMU an object
 *   of the context, iommufd_device_attach(), iommufd_device_replace() and
 *   iommufd_device_detach() choose the I/O page table its DMA goes through,
 *   and iommufd_device_unbind() ends it.
 * - Emulated accesses.  A driver whose device has no DMA of its own (a VFIO
 *   mediated device) creates an access with iommufd_access_create(),
 *   attaches it to an IOAS, and then pins the pages behind an IOVA range
 *   (iommufd_access_pin_pages()) or copies to and from it
 *   (iommufd_access_rw()).  See struct iommufd_access_ops for the promise
 *   an owner that pins pages must keep.
 *
 * In addition iommufd_vfio_compat_ioas_create(),
 * iommufd_vfio_compat_ioas_get_id() and iommufd_vfio_compat_set_no_iommu()
 * serve VFIO's legacy group interface, whose ioctls name no IOAS.
 *
 * Every function is exported GPL-only in the IOMMUFD symbol namespace,
 * except the three iommufd_vfio_compat_*() functions, which are in the
 * IOMMUFD_VFIO namespace.
 *
 * Devices and accesses are owned by the caller that created them: user
 * space sees their object IDs, but IOMMU_DESTROY of such an ID fails with
 * -EBUSY.  Each holds a reference on its context until it is unbound or
 * destroyed, so a context that VFIO still uses outlives the closing of
 * its file descriptor by user space.
 *
 * Without CONFIG_IOMMUFD only iommufd_ctx_from_file(), iommufd_ctx_put(),
 * iommufd_access_pin_pages(), iommufd_access_unpin_pages(),
 * iommufd_access_rw(), iommufd_vfio_compat_ioas_create() and
 * iommufd_vfio_compat_set_no_iommu() have stubs: the first fails with
 * -EOPNOTSUPP, so no caller can get hold of a context, and the others do
 * nothing or fail with -EOPNOTSUPP.  Every other function may only be
 * called from code that depends on CONFIG_IOMMUFD.
 */

/**
 * DOC: Calling context and locking
 *
 * iommufd_ctx_get(), iommufd_ctx_from_file(), iommufd_ctx_has_group(),
 * iommufd_device_to_ictx(), iommufd_device_to_id() and
 * iommufd_vfio_compat_set_no_iommu() may be called in any context; they
 * take at most a spinlock.  iommufd_ctx_put() may be called wherever
 * fput() may.  Every other function may sleep and must be called in
 * process context (iommufd_access_rw() also from a kernel thread, with
 * IOMMUFD_ACCESS_RW_KTHREAD).
 *
 * iommufd takes only locks of its own and of the IOMMU core and memory
 * management below it, and calls back into the caller in one place only:
 * the unmap callback of an emulated access.  That callback runs with no
 * iommufd lock held.  iommufd_access_detach(), iommufd_access_replace() and
 * iommufd_access_destroy() call it themselves, so the owner must not hold
 * a lock that its unmap callback takes while it calls one of them.
 *
 * iommufd serialises the attach, replace and detach of the devices of one
 * IOMMU group, and the attach, replace and detach of one access.  Unbinding
 * a device, or destroying an access, must not race with any other call on
 * it, nor be followed by one.  Pinning, unpinning and copying through an
 * access may run concurrently with each other and with unmaps of the IOAS.
 */

/**
 * DOC: Restrictions and misuse
 *
 * The signatures are those of upstream Linux 6.12, which VFIO is compiled
 * against unchanged.  A few calls that upstream accepts are refused here:
 *
 * - iommufd_access_create() fails with -EINVAL for ops that set
 *   needs_pin_pages without an unmap callback.
 * - iommufd_access_pin_pages() fails with -EINVAL for an IOVA that is not
 *   PAGE_SIZE aligned (VFIO aligns down before calling it).
 * - iommufd_device_bind() of a device already bound to the same context
 *   fails with -EBUSY, and iommufd_device_attach() of an attached device
 *   fails with -EBUSY: a device has one attachment, moved with
 *   iommufd_device_replace().
 *
 * Misuse is caught where it is cheap to do so:
 *
 * - iommufd_access_unpin_pages() must be given the IOVA and length of an
 *   earlier successful pin; a range that matches no pin triggers a warning
 *   and is not unpinned.
 * - iommufd_device_detach() of a device that is not attached, and
 *   iommufd_access_detach() of an access that is not attached, warn and do
 *   nothing; iommufd_access_attach() of an attached access warns and fails
 *   with -EINVAL; iommufd_access_replace() of an access that is not
 *   attached fails with -ENOENT.
 * - iommufd_device_unbind() of a device that is still attached warns and
 *   detaches it first.
 */

#ifndef __LINUX_IOMMUFD_H
#define __LINUX_IOMMUFD_H

#include <linux/err.h>
#include <linux/errno.h>
#include <linux/types.h>

struct device;
struct file;
struct iommu_group;
struct iommufd_access;
struct iommufd_ctx;
struct iommufd_device;
struct page;

struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev, u32 *id);
void iommufd_device_unbind(struct iommufd_device *idev);

int iommufd_device_attach(struct iommufd_device *idev, u32 *pt_id);
int iommufd_device_replace(struct iommufd_device *idev, u32 *pt_id);
void iommufd_device_detach(struct iommufd_device *idev);

struct iommufd_ctx *iommufd_device_to_ictx(struct iommufd_device *idev);
u32 iommufd_device_to_id(struct iommufd_device *idev);

/**
 * struct iommufd_access_ops - what the owner of an emulated access provides
 * @needs_pin_pages: The owner will call iommufd_access_pin_pages().  It must
 *                   then provide @unmap as well, or iommufd_access_create()
 *                   fails with -EINVAL.  While such an access is attached
 *                   to an IOAS, every mapping of that IOAS must be
 *                   PAGE_SIZE aligned in IOVA, length and memory, so that
 *                   whole struct pages can be handed out.  An owner that
 *                   leaves it clear may only copy, with
 *                   iommufd_access_rw(), and pinning fails with -EINVAL.
 * @unmap: Tells the owner to give up the pages it pinned inside the IOVA
 *         range [@iova, @iova + @length).  @data is the pointer given to
 *         iommufd_access_create().  Optional for an owner that does not
 *         pin pages; if it is set anyway, it is called the same way.
 *
 * @unmap is called in two situations:
 *
 * - Before a mapping of the attached IOAS is removed (by IOMMU_IOAS_UNMAP,
 *   or by VFIO_IOMMU_UNMAP_DMA on /dev/iommu) while pages of it are pinned
 *   by any access.  The range is that whole mapping, and every access
 *   attached to the IOAS with an @unmap is called, one after the other,
 *   not only the ones that pinned something there.  A call may therefore
 *   cover a range in which this owner pinned nothing; it then just
 *   returns.  The unmap proceeds once no access has a page of the mapping
 *   pinned; while it waits, new pins and copies in that mapping fail with
 *   -EINVAL.
 * - With @iova 0 and @length ULONG_MAX, when the access leaves an IOAS:
 *   from iommufd_access_detach(), from iommufd_access_replace() for the
 *   IOAS being left (new pins fail with -ENOENT meanwhile), and from
 *   iommufd_access_destroy() of an attached access.  This happens even if
 *   nothing is pinned.
 *
 * Context of @unmap: process context of the thread that caused it (the
 * caller of the ioctl, or of the detach, replace or destroy); it may sleep.
 * No lock of iommufd is held.  It may run concurrently with itself (for two
 * unmaps running at once) and with the owner's own calls to pin, unpin and
 * copy.  During a replace it may be called for either IOAS.
 *
 * What @unmap must do: before it returns, stop using, and unpin with
 * iommufd_access_unpin_pages(), every pin it holds that overlaps the range,
 * giving the same IOVA and length the pin was made with even where they
 * reach outside the range.  It may also call iommufd_access_rw().  It must
 * not call iommufd_access_attach(), iommufd_access_replace(),
 * iommufd_access_detach() or iommufd_access_destroy() for the access:
 * they take a lock that is held while the callback runs, or wait for every
 * running callback to return, and would deadlock.  If pins
 * remain after it returns, the unmap calls it again; an owner that never
 * lets go is a bug, which the unmap reports with a kernel warning and by
 * failing with -EDEADLOCK, having removed nothing.
 */
struct iommufd_access_ops {
	u8 needs_pin_pages : 1;
	void (*unmap)(void *data, unsigned long iova, unsigned long length);
};

/**
 * enum - flags of iommufd_access_rw() and iommufd_access_pin_pages()
 * @IOMMUFD_ACCESS_RW_READ: Read: iommufd_access_rw() copies from the IOAS
 *                          into the kernel buffer.  The value is 0, the
 *                          default.
 * @IOMMUFD_ACCESS_RW_WRITE: Write: iommufd_access_rw() copies from the kernel
 *                           buffer into the IOAS, and
 *                           iommufd_access_pin_pages() pins pages that the
 *                           owner will write to.  Either fails with -EPERM
 *                           on memory mapped without
 *                           IOMMU_IOAS_MAP_WRITEABLE.
 * @IOMMUFD_ACCESS_RW_KTHREAD: The caller of iommufd_access_rw() is a kernel
 *                             thread without an mm.  iommufd_access_rw()
 *                             copies directly when it runs in the address
 *                             space the memory was mapped from; with this
 *                             flag a kernel thread borrows that address
 *                             space with kthread_use_mm() to do the same.
 *                             Otherwise, and always for memory mapped from
 *                             a file, the copy goes page by page through
 *                             struct pages.  Ignored by
 *                             iommufd_access_pin_pages().
 * @__IOMMUFD_ACCESS_RW_SLOW_PATH: For the selftests only: make
 *                                 iommufd_access_rw() copy page by page even
 *                                 where a direct copy is possible.
 */
enum {
	IOMMUFD_ACCESS_RW_READ = 0,
	IOMMUFD_ACCESS_RW_WRITE = 1 << 0,
	IOMMUFD_ACCESS_RW_KTHREAD = 1 << 1,

	__IOMMUFD_ACCESS_RW_SLOW_PATH = 1 << 2,
};

struct iommufd_access *
iommufd_access_create(struct iommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data, u32 *id);
void iommufd_access_destroy(struct iommufd_access *access);
int iommufd_access_attach(struct iommufd_access *access, u32 ioas_id);
int iommufd_access_replace(struct iommufd_access *access, u32 ioas_id);
void iommufd_access_detach(struct iommufd_access *access);

void iommufd_ctx_get(struct iommufd_ctx *ictx);

#if IS_ENABLED(CONFIG_IOMMUFD)
struct iommufd_ctx *iommufd_ctx_from_file(struct file *file);
struct iommufd_ctx *iommufd_ctx_from_fd(int fd);
void iommufd_ctx_put(struct iommufd_ctx *ictx);
bool iommufd_ctx_has_group(struct iommufd_ctx *ictx, struct iommu_group *group);

int iommufd_access_pin_pages(struct iommufd_access *access, unsigned long iova,
			     unsigned long length, struct page **out_pages,
			     unsigned int flags);
void iommufd_access_unpin_pages(struct iommufd_access *access,
				unsigned long iova, unsigned long length);
int iommufd_access_rw(struct iommufd_access *access, unsigned long iova,
		      void *data, size_t len, unsigned int flags);
int iommufd_vfio_compat_ioas_get_id(struct iommufd_ctx *ictx, u32 *out_ioas_id);
int iommufd_vfio_compat_ioas_create(struct iommufd_ctx *ictx);
int iommufd_vfio_compat_set_no_iommu(struct iommufd_ctx *ictx);
#else /* !CONFIG_IOMMUFD */
/*
 * Without iommufd no file can be an iommufd, and nothing can have been
 * pinned or attached through one; callers see "not supported".
 */
static inline struct iommufd_ctx *iommufd_ctx_from_file(struct file *file)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void iommufd_ctx_put(struct iommufd_ctx *ictx)
{
}

static inline int iommufd_access_pin_pages(struct iommufd_access *access,
					   unsigned long iova,
					   unsigned long length,
					   struct page **out_pages,
					   unsigned int flags)
{
	return -EOPNOTSUPP;
}

static inline void iommufd_access_unpin_pages(struct iommufd_access *access,
					      unsigned long iova,
					      unsigned long length)
{
}

static inline int iommufd_access_rw(struct iommufd_access *access,
				    unsigned long iova, void *data, size_t len,
				    unsigned int flags)
{
	return -EOPNOTSUPP;
}

static inline int iommufd_vfio_compat_ioas_create(struct iommufd_ctx *ictx)
{
	return -EOPNOTSUPP;
}

static inline int iommufd_vfio_compat_set_no_iommu(struct iommufd_ctx *ictx)
{
	return -EOPNOTSUPP;
}
#endif /* CONFIG_IOMMUFD */
#endif
