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
 *   iommufd_device_detach() choose the I/O page table its DMA goes through
 *   (that of its RID with IOMMU_NO_PASID, or that of one PASID), and
 *   iommufd_device_unbind() ends it.
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
 * The signatures are those of upstream Linux 6.12, except the PASID
 * argument of iommufd_device_attach(), iommufd_device_replace() and
 * iommufd_device_detach(), which is upstream 6.15's (VFIO is patched to
 * pass it).  A few calls that upstream accepts are refused here:
 *
 * - iommufd_access_create() fails with -EINVAL for ops that set
 *   needs_pin_pages without an unmap callback.
 * - iommufd_access_pin_pages() fails with -EINVAL for an IOVA that is not
 *   PAGE_SIZE aligned (VFIO aligns down before calling it).
 * - iommufd_device_bind() of a device already bound to the same context
 *   fails with -EBUSY, and iommufd_device_attach() of an attached RID or
 *   PASID fails with -EBUSY: a device has one attachment per PASID, moved
 *   with iommufd_device_replace().
 *
 * Misuse is caught where it is cheap to do so:
 *
 * - iommufd_access_unpin_pages() must be given the IOVA and length of an
 *   earlier successful pin; a range that matches no pin triggers a warning
 *   and is not unpinned.
 * - iommufd_device_detach() of a RID that is not attached, and
 *   iommufd_access_detach() of an access that is not attached, warn and do
 *   nothing (a PASID that is not attached is detached silently, as
 *   upstream); iommufd_access_attach() of an attached access warns and fails
 *   with -EINVAL; iommufd_access_replace() of an access that is not
 *   attached fails with -ENOENT.
 * - iommufd_device_unbind() of a device that is still attached (RID or any
 *   PASID) warns and detaches it first.
 */

#ifndef __LINUX_IOMMUFD_H
#define __LINUX_IOMMUFD_H

#include <linux/bug.h>
#include <linux/build_bug.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <uapi/linux/iommufd.h>

struct device;
struct file;
struct iommu_device;
struct iommu_domain;
struct iommu_group;
struct iommu_user_data;
struct iommu_user_data_array;
struct iommufd_access;
struct iommufd_ctx;
struct iommufd_device;
struct iommufd_hwpt_paging;
struct iommufd_object_ops;
struct iommufd_viommu_ops;
struct page;

/*
 * The kinds of objects in an iommufd context.  Drivers see objects because
 * the vIOMMU family is allocated by iommufd with room for the driver's own
 * structure around the core one (see VIOMMU_STRUCT_SIZE()).
 */
enum iommufd_object_type {
	IOMMUFD_OBJ_NONE,
	/* Lookups that accept an object of any type pass this */
	IOMMUFD_OBJ_ANY = IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_IOAS,
	IOMMUFD_OBJ_HWPT_PAGING,
	IOMMUFD_OBJ_HWPT_NESTED,
	IOMMUFD_OBJ_DEVICE,
	IOMMUFD_OBJ_ACCESS,
	IOMMUFD_OBJ_FAULT,
	IOMMUFD_OBJ_VIOMMU,
	IOMMUFD_OBJ_VDEVICE,
	IOMMUFD_OBJ_VEVENTQ,
	IOMMUFD_OBJ_HW_QUEUE,
	/* A mock device of the test ABI, only with CONFIG_IOMMUFD_TEST */
	IOMMUFD_OBJ_SELFTEST,
	IOMMUFD_OBJ_MAX,
};

/**
 * struct iommufd_object - header embedded first in every iommufd object
 * @short_users: code paths working on the object now
 * @long_users: objects depending on this one, plus one for the table;
 *              while above one, the object cannot be destroyed (-EBUSY)
 * @type: what the containing structure is
 * @id: the user-visible ID, stable for the object's life
 * @ops: the behaviour of objects of @type
 *
 * drivers/iommu/iommufd/object.h states the rules of both counts.
 */
struct iommufd_object {
	refcount_t short_users;
	refcount_t long_users;
	enum iommufd_object_type type;
	u32 id;
	const struct iommufd_object_ops *ops;
};

struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev, u32 *id);
void iommufd_device_unbind(struct iommufd_device *idev);

int iommufd_device_attach(struct iommufd_device *idev, ioasid_t pasid,
			  u32 *pt_id);
int iommufd_device_replace(struct iommufd_device *idev, ioasid_t pasid,
			   u32 *pt_id);
void iommufd_device_detach(struct iommufd_device *idev, ioasid_t pasid);

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

/**
 * struct iommufd_viommu - a virtual IOMMU: a physical IOMMU's slice for a VM
 * @obj: the object header; the driver's structure embeds this struct first
 * @ictx: the context
 * @iommu_dev: the physical IOMMU instance; fixed for the vIOMMU's life
 * @hwpt: the nesting parent, on which the vIOMMU holds a long-term
 *        reference
 * @ops: the driver's operations, set by its viommu_init op
 * @vdevs: virtual ID -> struct iommufd_vdevice; its lock protects it
 * @veventqs: the vEVENTQs (struct iommufd_veventq), one per type
 * @veventqs_rwsem: protects @veventqs; held for reading while an event is
 *                  reported, so that a queue stays while it is filled
 * @type: one of enum iommu_viommu_type
 */
struct iommufd_viommu {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommu_device *iommu_dev;
	struct iommufd_hwpt_paging *hwpt;

	const struct iommufd_viommu_ops *ops;

	struct xarray vdevs;
	struct list_head veventqs;
	struct rw_semaphore veventqs_rwsem;

	enum iommu_viommu_type type;
};

/**
 * struct iommufd_vdevice - a device as a VM sees it through a vIOMMU
 * @obj: the object header; a driver's structure embeds this struct first
 * @viommu: the vIOMMU; a long-term reference is held
 * @idev: the physical device; valid for the vDEVICE's whole life (the
 *        device cannot finish unbinding before its vDEVICE is gone)
 * @virt_id: the ID the VM knows the device by on @viommu
 * @destroy: set by the driver's vdevice_init op if it has anything to undo
 */
struct iommufd_vdevice {
	struct iommufd_object obj;
	struct iommufd_viommu *viommu;
	struct iommufd_device *idev;
	u64 virt_id;
	void (*destroy)(struct iommufd_vdevice *vdev);
};

/**
 * struct iommufd_hw_queue - a queue the hardware reads from guest memory
 * @obj: the object header; the driver's structure embeds this struct first
 * @viommu: the vIOMMU; a long-term reference is held
 * @access: the internal access that keeps the queue's memory pinned, or
 *          NULL
 * @base_addr: where the queue is, in the nesting parent's IOVA space (the
 *             guest physical address space)
 * @length: the queue's length in bytes
 * @type: one of enum iommu_hw_queue_type
 * @destroy: set by the driver's hw_queue_init_phys op if it has anything
 *           to undo
 */
struct iommufd_hw_queue {
	struct iommufd_object obj;
	struct iommufd_viommu *viommu;
	struct iommufd_access *access;
	u64 base_addr;
	size_t length;
	enum iommu_hw_queue_type type;
	void (*destroy)(struct iommufd_hw_queue *hw_queue);
};

/**
 * struct iommufd_viommu_ops - what an IOMMU driver does for its vIOMMUs
 * @destroy: Undo the driver's part of the vIOMMU; iommufd frees the memory
 *           afterwards.  Optional.
 * @alloc_domain_nested: Make an IOMMU_DOMAIN_NESTED domain from
 *                       @user_data (a type of include/uapi/linux/iommufd.h)
 *                       on the vIOMMU's nesting parent, fully set up, or
 *                       return an ERR_PTR.  @flags are IOMMU_HWPT_ALLOC_*.
 * @cache_invalidate: Carry out the invalidation requests in @array (any
 *                    cache the driver's format names: IOTLB, device
 *                    caches, descriptor caches) in order, and set
 *                    @array->entry_num to the number carried out.
 * @vdevice_size: Size of the driver's vDEVICE structure, with struct
 *                iommufd_vdevice first in it (VDEVICE_STRUCT_SIZE()); 0
 *                for the core structure alone.
 * @vdevice_init: Set up the driver's part of a vDEVICE whose core part is
 *                filled in (@viommu, @idev, @virt_id); required with
 *                @vdevice_size.  Sets @vdev->destroy if anything is to be
 *                undone.
 * @get_hw_queue_size: Size of the driver's HW queue structure of
 *                     @queue_type, with struct iommufd_hw_queue first in it
 *                     (HW_QUEUE_STRUCT_SIZE()); 0 if there is no such type.
 * @hw_queue_init_phys: Set up a HW queue that the hardware reads at
 *                      physical address @base_addr_pa (iommufd pinned the
 *                      memory and checked that it is contiguous), as queue
 *                      @index of the vIOMMU.  Sets @hw_queue->destroy if
 *                      anything is to be undone.
 *
 * Every op runs in process context and may sleep.
 */
struct iommufd_viommu_ops {
	void (*destroy)(struct iommufd_viommu *viommu);
	struct iommu_domain *(*alloc_domain_nested)(struct iommufd_viommu *viommu,
						    u32 flags,
						    const struct iommu_user_data *user_data);
	int (*cache_invalidate)(struct iommufd_viommu *viommu,
				struct iommu_user_data_array *array);
	const size_t vdevice_size;
	int (*vdevice_init)(struct iommufd_vdevice *vdev);
	size_t (*get_hw_queue_size)(struct iommufd_viommu *viommu,
				    enum iommu_hw_queue_type queue_type);
	int (*hw_queue_init_phys)(struct iommufd_hw_queue *hw_queue, u32 index,
				  phys_addr_t base_addr_pa);
};

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

/*
 * What IOMMU drivers call from their vIOMMU code.  It is built into the
 * kernel (CONFIG_IOMMUFD_DRIVER_CORE) even when iommufd is a module, so
 * that a built-in driver can use it; see drivers/iommu/iommufd/driver.c.
 */
#if IS_ENABLED(CONFIG_IOMMUFD_DRIVER_CORE)
int _iommufd_object_depend(struct iommufd_object *obj_dependent,
			   struct iommufd_object *obj_depended);
void _iommufd_object_undepend(struct iommufd_object *obj_dependent,
			      struct iommufd_object *obj_depended);
int _iommufd_alloc_mmap(struct iommufd_ctx *ictx, struct iommufd_object *owner,
			phys_addr_t mmio_addr, size_t length,
			unsigned long *offset);
void _iommufd_destroy_mmap(struct iommufd_ctx *ictx,
			   struct iommufd_object *owner, unsigned long offset);
struct device *iommufd_vdevice_to_device(struct iommufd_vdevice *vdev);
struct device *iommufd_viommu_find_dev(struct iommufd_viommu *viommu,
				       unsigned long vdev_id);
int iommufd_viommu_get_vdev_id(struct iommufd_viommu *viommu,
			       struct device *dev, unsigned long *vdev_id);
int iommufd_viommu_report_event(struct iommufd_viommu *viommu,
				enum iommu_veventq_type type, void *event_data,
				size_t data_len);
#else /* !CONFIG_IOMMUFD_DRIVER_CORE */
/* Without iommufd there are no vIOMMUs to serve */
static inline int _iommufd_object_depend(struct iommufd_object *obj_dependent,
					 struct iommufd_object *obj_depended)
{
	return -EOPNOTSUPP;
}

static inline void
_iommufd_object_undepend(struct iommufd_object *obj_dependent,
			 struct iommufd_object *obj_depended)
{
}

static inline int _iommufd_alloc_mmap(struct iommufd_ctx *ictx,
				      struct iommufd_object *owner,
				      phys_addr_t mmio_addr, size_t length,
				      unsigned long *offset)
{
	return -EOPNOTSUPP;
}

static inline void _iommufd_destroy_mmap(struct iommufd_ctx *ictx,
					 struct iommufd_object *owner,
					 unsigned long offset)
{
}

static inline struct device *
iommufd_vdevice_to_device(struct iommufd_vdevice *vdev)
{
	return NULL;
}

static inline struct device *
iommufd_viommu_find_dev(struct iommufd_viommu *viommu, unsigned long vdev_id)
{
	return NULL;
}

static inline int iommufd_viommu_get_vdev_id(struct iommufd_viommu *viommu,
					     struct device *dev,
					     unsigned long *vdev_id)
{
	return -ENOENT;
}

static inline int iommufd_viommu_report_event(struct iommufd_viommu *viommu,
					      enum iommu_veventq_type type,
					      void *event_data, size_t data_len)
{
	return -EOPNOTSUPP;
}
#endif /* CONFIG_IOMMUFD_DRIVER_CORE */

/*
 * The size a driver returns for its structure around a core one: the
 * core structure must be its first member, named by the last argument, so
 * that iommufd's pointer to the core structure is the driver's too.  (The
 * member is the variadic argument only because it is named twice.)
 */
#define __IOMMUFD_DRIVER_STRUCT_SIZE(core_struct, drv_struct, ...)             \
	(sizeof(drv_struct) +                                                  \
	 BUILD_BUG_ON_ZERO(offsetof(drv_struct, __VA_ARGS__) != 0) +           \
	 BUILD_BUG_ON_ZERO(!__same_type(core_struct,                           \
					typeof_member(drv_struct,              \
						      __VA_ARGS__))))

#define VIOMMU_STRUCT_SIZE(drv_struct, member)                                 \
	__IOMMUFD_DRIVER_STRUCT_SIZE(struct iommufd_viommu, drv_struct, member)
#define VDEVICE_STRUCT_SIZE(drv_struct, member)                                \
	__IOMMUFD_DRIVER_STRUCT_SIZE(struct iommufd_vdevice, drv_struct, member)
#define HW_QUEUE_STRUCT_SIZE(drv_struct, member)                               \
	__IOMMUFD_DRIVER_STRUCT_SIZE(struct iommufd_hw_queue, drv_struct, member)

static inline int _iommufd_hw_queue_depend(struct iommufd_hw_queue *dependent,
					   struct iommufd_hw_queue *depended)
{
	if (WARN_ON_ONCE(dependent->viommu != depended->viommu))
		return -EINVAL;
	return _iommufd_object_depend(&dependent->obj, &depended->obj);
}

static inline void
_iommufd_hw_queue_undepend(struct iommufd_hw_queue *dependent,
			   struct iommufd_hw_queue *depended)
{
	WARN_ON_ONCE(dependent->viommu != depended->viommu);
	_iommufd_object_undepend(&dependent->obj, &depended->obj);
}

/*
 * A HW queue of a driver that needs another queue of the same vIOMMU to
 * stay (queue n on queue n - 1, say) makes it depend on it: the other
 * cannot be destroyed (-EBUSY) until the dependency is dropped.  Both are
 * the driver's structures around a struct iommufd_hw_queue member, named
 * by the last argument (dependent, depended, member).
 */
#define iommufd_hw_queue_depend(dependent, depended, ...)                      \
	_iommufd_hw_queue_depend(&(dependent)->__VA_ARGS__,                    \
				 &(depended)->__VA_ARGS__)

#define iommufd_hw_queue_undepend(dependent, depended, ...)                    \
	_iommufd_hw_queue_undepend(&(dependent)->__VA_ARGS__,                  \
				   &(depended)->__VA_ARGS__)

/*
 * A driver that lets user space map a page of its hardware (a virtual
 * interface's registers, say) registers it with the vIOMMU during
 * viommu_init and reports the @offset and length it gets; user space
 * passes both to mmap() on the iommufd.  The vIOMMU cannot be destroyed
 * while the page is mapped.  The driver takes the registration back in
 * its destroy op.
 */
static inline int iommufd_viommu_alloc_mmap(struct iommufd_viommu *viommu,
					    phys_addr_t mmio_addr,
					    size_t length,
					    unsigned long *offset)
{
	return _iommufd_alloc_mmap(viommu->ictx, &viommu->obj, mmio_addr,
				   length, offset);
}

static inline void iommufd_viommu_destroy_mmap(struct iommufd_viommu *viommu,
					       unsigned long offset)
{
	_iommufd_destroy_mmap(viommu->ictx, &viommu->obj, offset);
}

#endif
