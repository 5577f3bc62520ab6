// SPDX-License-Identifier: GPL-2.0-only
/*
 * Emulated accesses: creation and destruction for their kernel owner,
 * attaching to and moving between IOASes, pinning, unpinning and copying
 * by IOVA, and telling owners to unpin before their pages are unmapped.
 * access.h states the rules.
 */
#include <linux/cleanup.h>
#include <linux/err.h>
#include <linux/iommufd.h>
#include <linux/mm.h>
#include <linux/wait_bit.h>

#include "access.h"
#include "ioas.h"

static struct iommufd_ioas *iommufd_access_get_ioas(struct iommufd_ctx *ictx,
						    u32 ioas_id)
{
	return container_of(iommufd_get_object(ictx, ioas_id, IOMMUFD_OBJ_IOAS),
			    struct iommufd_ioas, obj);
}

/*
 * Make the owner give back every page it pinned in @old_ioas, then take
 * the access out of that IOAS's page table.  Copies keep going to
 * @old_ioas meanwhile; only new pins are refused.  On return no unmap
 * callback from @old_ioas is running or can start.
 */
static void iommufd_access_revoke(struct iommufd_access *access,
				  struct iommufd_ioas *old_ioas)
{
	scoped_guard(rwsem_write, &access->ioas_rwsem)
		access->pins_blocked = true;

	if (access->ops->unmap)
		access->ops->unmap(access->owner_data, 0, ULONG_MAX);

	iopt_remove_access(&old_ioas->iopt, access->slot_id);
	wait_var_event(&access->notifying, !atomic_read(&access->notifying));
}

/*
 * Move the access from the IOAS it is on (if any) to @new_ioas (if any).
 * The caller holds a reference on @new_ioas.  Only joining @new_ioas can
 * fail, and it is done first, so a failure leaves everything as it was.
 */
static int iommufd_access_change_ioas(struct iommufd_access *access,
				      struct iommufd_ioas *new_ioas)
{
	struct iommufd_ioas *old_ioas = access->ioas;
	u32 new_slot_id = 0;
	int rc;

	lockdep_assert_held(&access->change_lock);

	if (new_ioas == old_ioas)
		return 0;

	if (new_ioas) {
		rc = iopt_add_access(&new_ioas->iopt, access,
				     access->iova_alignment, &new_slot_id);
		if (rc)
			return rc;
		iommufd_object_ref(&new_ioas->obj);
	}

	if (old_ioas)
		iommufd_access_revoke(access, old_ioas);

	scoped_guard(rwsem_write, &access->ioas_rwsem) {
		access->ioas = new_ioas;
		access->pinned_ioas = new_ioas;
		access->pins_blocked = false;
		access->slot_id = new_slot_id;
	}

	/* Nobody can be using it through the access any more */
	if (old_ioas)
		iommufd_object_unref(&old_ioas->obj);
	return 0;
}

static int iommufd_access_change_ioas_id(struct iommufd_access *access,
					 u32 ioas_id)
{
	struct iommufd_ioas *new_ioas;
	int rc;

	new_ioas = iommufd_access_get_ioas(access->ictx, ioas_id);
	if (IS_ERR(new_ioas))
		return PTR_ERR(new_ioas);
	rc = iommufd_access_change_ioas(access, new_ioas);
	iommufd_put_object(access->ictx, &new_ioas->obj);
	return rc;
}

/* The object's destroy callback; iommufd_access_destroy() did the work */
static void iommufd_access_destroy_object(struct iommufd_object *obj)
{
	struct iommufd_access *access =
		container_of(obj, struct iommufd_access, obj);

	WARN_ON(access->ioas);
	mutex_destroy(&access->change_lock);
}

static const struct iommufd_object_ops iommufd_access_ops = {
	.destroy = iommufd_access_destroy_object,
};

/*
 * An access of iommufd's own: it pins, and nobody can be told to give its
 * pins back, so they are fixed pins that make unmapping fail instead.
 */
static const struct iommufd_access_ops iommufd_access_internal_ops = {
	.needs_pin_pages = 1,
};

static bool iommufd_access_is_internal(struct iommufd_access *access)
{
	return access->ops == &iommufd_access_internal_ops;
}

/* A new access of @ictx, detached, its object not yet visible */
static struct iommufd_access *
iommufd_access_new(struct iommufd_ctx *ictx,
		   const struct iommufd_access_ops *ops, void *data)
{
	struct iommufd_access *access;

	access = iommufd_object_alloc(ictx, struct iommufd_access,
				      IOMMUFD_OBJ_ACCESS, &iommufd_access_ops);
	if (IS_ERR(access))
		return access;

	access->ictx = ictx;
	access->ops = ops;
	access->owner_data = data;
	/* struct pages are handed out whole, so mappings must be too */
	access->iova_alignment = ops->needs_pin_pages ? PAGE_SIZE : 1;
	mutex_init(&access->change_lock);
	init_rwsem(&access->ioas_rwsem);
	atomic_set(&access->notifying, 0);
	return access;
}

/**
 * iommufd_access_create() - create an emulated access
 * @ictx: the context to create it in
 * @ops: the owner's callbacks.  An owner that pins pages sets
 *       needs_pin_pages and must provide unmap.
 * @data: passed back to @ops
 * @id: returns the access's object ID, which the owner may report to user
 *      space; IOMMU_DESTROY of it fails with -EBUSY
 *
 * The access is not attached to any IOAS yet.  It belongs to the caller
 * until iommufd_access_destroy(), and keeps @ictx alive until then.
 *
 * Context: process context; may sleep.
 * Return: the access, ERR_PTR(-EINVAL) for pinning @ops without an unmap
 * callback, or ERR_PTR(-ENOMEM).
 */
struct iommufd_access *
iommufd_access_create(struct iommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data, u32 *id)
{
	struct iommufd_access *access;

	if (ops->needs_pin_pages && !ops->unmap)
		return ERR_PTR(-EINVAL);

	access = iommufd_access_new(ictx, ops, data);
	if (IS_ERR(access))
		return access;

	iommufd_ctx_get(ictx);
	/* The owner's reference, given up in iommufd_access_destroy() */
	iommufd_object_ref(&access->obj);
	*id = access->obj.id;
	iommufd_object_finalize(ictx, &access->obj);
	return access;
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_create, IOMMUFD);

/**
 * iommufd_access_destroy() - destroy an emulated access
 * @access: the access; the caller must not use it any more
 *
 * Detaches the access first if it is attached, which calls the unmap
 * callback for the whole IOVA space.  Once this returns no callback is
 * running or will run, and the owner's data may be freed.
 *
 * Context: process context; may sleep.  The caller must not hold a lock its
 * unmap callback takes.
 */
void iommufd_access_destroy(struct iommufd_access *access)
{
	struct iommufd_ctx *ictx = access->ictx;

	scoped_guard(mutex, &access->change_lock)
		iommufd_access_change_ioas(access, NULL);
	/* Nothing else can depend on an access, so it goes now */
	if (WARN_ON(iommufd_object_unref_destroy(ictx, &access->obj)))
		return;
	/* Last, so the context is still there while the object goes */
	iommufd_ctx_put(ictx);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_destroy, IOMMUFD);

/**
 * iommufd_access_create_internal() - an access for iommufd's own use
 * @ictx: the context
 *
 * For memory an object of @ictx keeps pinned for its whole life (a HW
 * queue).  The access is never visible to user space and holds no
 * reference on @ictx: its owner, an object of @ictx, goes before the
 * context does.  Its pins are fixed: unmapping pinned memory fails with
 * -EBUSY.  Attach it with iommufd_access_attach_internal(), pin with
 * iommufd_access_pin_pages(), and undo everything in reverse, ending with
 * iommufd_access_destroy_internal().
 *
 * Context: process context; may sleep.
 * Return: the access, or ERR_PTR(-ENOMEM).
 */
struct iommufd_access *iommufd_access_create_internal(struct iommufd_ctx *ictx)
{
	return iommufd_access_new(ictx, &iommufd_access_internal_ops, NULL);
}

/**
 * iommufd_access_attach_internal() - attach an internal access to an IOAS
 * @access: a detached access from iommufd_access_create_internal()
 * @ioas: the IOAS; the caller holds a reference on it
 *
 * Context: process context; may sleep.
 * Return: as iommufd_access_attach().
 */
int iommufd_access_attach_internal(struct iommufd_access *access,
				   struct iommufd_ioas *ioas)
{
	guard(mutex)(&access->change_lock);
	if (WARN_ON(access->ioas))
		return -EINVAL;
	return iommufd_access_change_ioas(access, ioas);
}

/**
 * iommufd_access_destroy_internal() - destroy an internal access
 * @ictx: its context
 * @access: the access; every pin of it was undone
 *
 * Context: process context; may sleep.
 */
void iommufd_access_destroy_internal(struct iommufd_ctx *ictx,
				     struct iommufd_access *access)
{
	scoped_guard(mutex, &access->change_lock)
		iommufd_access_change_ioas(access, NULL);
	iommufd_object_abort_and_destroy(ictx, &access->obj);
}

/**
 * iommufd_access_attach() - attach an access to an IOAS
 * @access: an access that is not attached
 * @ioas_id: the IOAS, in the access's context
 *
 * The IOAS cannot be destroyed while the access is attached.  An access
 * that pins pages makes every mapping of the IOAS PAGE_SIZE aligned.
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL if the access is already attached; -ENOENT if
 * @ioas_id is not an IOAS; an error of the page table refusing the access
 * (for instance -EADDRINUSE when an existing mapping is not aligned as the
 * access needs); -ENOMEM.
 */
int iommufd_access_attach(struct iommufd_access *access, u32 ioas_id)
{
	guard(mutex)(&access->change_lock);
	if (WARN_ON(access->ioas))
		return -EINVAL;
	return iommufd_access_change_ioas_id(access, ioas_id);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_attach, IOMMUFD);

/**
 * iommufd_access_replace() - move an attached access to another IOAS
 * @access: an attached access
 * @ioas_id: the IOAS to move to; the current one is a no-op
 *
 * The access joins the new IOAS before it leaves the old one, so a failure
 * leaves it attached where it was.  On success every pin in the old IOAS
 * was revoked through the unmap callback, which the owner sees as an unmap
 * of the whole IOVA space; copies never see the access detached, pins fail
 * with -ENOENT while the callback runs.
 *
 * Context: process context; may sleep.  The caller must not hold a lock its
 * unmap callback takes.
 * Return: 0; -ENOENT if the access is not attached or @ioas_id is not an
 * IOAS; as iommufd_access_attach() for the new IOAS refusing the access.
 */
int iommufd_access_replace(struct iommufd_access *access, u32 ioas_id)
{
	guard(mutex)(&access->change_lock);
	if (!access->ioas)
		return -ENOENT;
	return iommufd_access_change_ioas_id(access, ioas_id);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_replace, IOMMUFD);

/**
 * iommufd_access_detach() - detach an access from its IOAS
 * @access: an attached access
 *
 * Every pin is revoked through the unmap callback first.
 *
 * Context: process context; may sleep.  The caller must not hold a lock its
 * unmap callback takes.
 */
void iommufd_access_detach(struct iommufd_access *access)
{
	guard(mutex)(&access->change_lock);
	if (WARN_ON(!access->ioas))
		return;
	iommufd_access_change_ioas(access, NULL);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_detach, IOMMUFD);

/**
 * iommufd_access_notify_unmap() - tell accesses to unpin inside a range
 * @iopt: the page table of an IOAS about to unmap the range
 * @iova: first IOVA
 * @length: bytes
 *
 * Calls the unmap callback of every access attached to @iopt, one at a
 * time.  The page table calls it, with none of its locks held, when a
 * mapping it is removing still has pages pinned by an access, and tries
 * again once this returns.  Each access stays alive (its destroy and any
 * move to another IOAS wait) until its callback has returned.
 *
 * Context: process context; may sleep.
 */
void iommufd_access_notify_unmap(struct io_pagetable *iopt,
				 unsigned long iova, unsigned long length)
{
	struct iopt_access_slot *slot;
	unsigned long index;

	xa_lock(&iopt->accesses);
	xa_for_each(&iopt->accesses, index, slot) {
		struct iommufd_access *access = slot->access;

		if (!access->ops->unmap)
			continue;
		/* Holding the registry lock, so the access is not gone yet */
		atomic_inc(&access->notifying);
		xa_unlock(&iopt->accesses);

		access->ops->unmap(access->owner_data, iova, length);

		/* wake_up_var() only hashes the address: a freed access is fine */
		if (atomic_dec_and_test(&access->notifying))
			wake_up_var(&access->notifying);
		xa_lock(&iopt->accesses);
	}
	xa_unlock(&iopt->accesses);
}

/**
 * iommufd_access_pin_pages() - pin the pages under an IOVA range
 * @access: an access created with needs_pin_pages
 * @iova: first IOVA, PAGE_SIZE aligned
 * @length: bytes; the last page may be partial
 * @out_pages: receives one struct page per page of the range
 * @flags: IOMMUFD_ACCESS_RW_WRITE if the pages will be written
 *
 * The pages stay pinned until iommufd_access_unpin_pages() with the same
 * range, which the owner must call at the latest from its unmap callback.
 * The range may span several mappings if they are contiguous in IOVA.
 *
 * An internal access (iommufd_access_create_internal()) makes fixed pins.
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL for an access that does not pin pages, an IOVA that
 * is not PAGE_SIZE aligned, a zero length, or a mapping being unmapped;
 * -EOVERFLOW; -ENOENT if the access is detached (or its pins are being
 * revoked) or the range is not fully mapped; -EPERM for writing memory
 * mapped without IOMMU_IOAS_MAP_WRITEABLE; -ENOMEM (also past
 * RLIMIT_MEMLOCK); -EFAULT if the memory cannot be pinned.
 */
int iommufd_access_pin_pages(struct iommufd_access *access, unsigned long iova,
			     unsigned long length, struct page **out_pages,
			     unsigned int flags)
{
	unsigned int pin_flags = 0;

	/*
	 * The mappings of an IOAS with a pinning access are PAGE_SIZE aligned
	 * in IOVA and in memory, so this makes out_pages[0] start at @iova.
	 */
	if (!access->ops->needs_pin_pages || !PAGE_ALIGNED(iova))
		return -EINVAL;
	if (flags & IOMMUFD_ACCESS_RW_WRITE)
		pin_flags |= IOPT_PIN_WRITE;
	if (iommufd_access_is_internal(access))
		pin_flags |= IOPT_PIN_FIXED;

	guard(rwsem_read)(&access->ioas_rwsem);
	if (!access->ioas || access->pins_blocked)
		return -ENOENT;
	return iopt_pin_pages(&access->ioas->iopt, iova, length, out_pages,
			      pin_flags);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_pin_pages, IOMMUFD);

/**
 * iommufd_access_unpin_pages() - undo iommufd_access_pin_pages()
 * @access: the access
 * @iova: the same first IOVA the pages were pinned with
 * @length: the same length
 *
 * The caller must have stopped using the pages.
 *
 * Context: process context; may sleep.
 */
void iommufd_access_unpin_pages(struct iommufd_access *access,
				unsigned long iova, unsigned long length)
{
	guard(rwsem_read)(&access->ioas_rwsem);
	/* Nothing can be pinned without an IOAS: the caller is confused */
	if (WARN_ON(!access->pinned_ioas))
		return;
	iopt_unpin_pages(&access->pinned_ioas->iopt, iova, length,
			 iommufd_access_is_internal(access) ? IOPT_PIN_FIXED :
							      0);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_unpin_pages, IOMMUFD);

/**
 * iommufd_access_rw() - copy between a kernel buffer and an IOVA range
 * @access: the access
 * @iova: first IOVA, any alignment
 * @data: the kernel buffer
 * @len: bytes
 * @flags: IOMMUFD_ACCESS_RW_WRITE to copy into the IOAS (otherwise out of
 *         it); IOMMUFD_ACCESS_RW_KTHREAD when called from a kernel thread,
 *         so that the memory's owning mm is borrowed
 *
 * Works whether or not the IOAS has domains and whether or not the memory
 * is pinned right now.  The range may span several contiguous mappings.
 *
 * Context: process context (or a kthread with IOMMUFD_ACCESS_RW_KTHREAD);
 * may sleep.
 * Return: 0; -EINVAL for a zero length or a mapping being unmapped;
 * -EOVERFLOW; -ENOENT if the access is detached or the range is not fully
 * mapped; -EPERM for writing memory mapped without
 * IOMMU_IOAS_MAP_WRITEABLE; -EFAULT if the memory is gone; -ENOMEM.
 */
int iommufd_access_rw(struct iommufd_access *access, unsigned long iova,
		      void *data, size_t len, unsigned int flags)
{
	guard(rwsem_read)(&access->ioas_rwsem);
	if (!access->ioas)
		return -ENOENT;
	return iopt_rw(&access->ioas->iopt, iova, data, len, flags);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_rw, IOMMUFD);
