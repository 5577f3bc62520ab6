// SPDX-License-Identifier: GPL-2.0-only
/*
 * The object table of an iommufd context: ID reservation, publication,
 * lookup with short-term references, and the destroy protocol that
 * object.h describes.
 */
#include <linux/bug.h>
#include <linux/cleanup.h>
#include <linux/err.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"
#include "iommufd_trace.h"

/**
 * iommufd_object_alloc_raw() - allocate an object and reserve its ID
 * @ictx: the owning context
 * @size: size of the containing structure, which starts with the object
 * @type: the object's type
 * @ops: the behaviour of objects of @type
 *
 * The object is invisible to lookups until iommufd_object_finalize(); until
 * then its creator owns it outright and undoes it with one of the abort
 * functions.  Use the iommufd_object_alloc() macro rather than this.
 *
 * Return: the zeroed object, or an ERR_PTR on allocation failure.
 */
struct iommufd_object *
iommufd_object_alloc_raw(struct iommufd_ctx *ictx, size_t size,
			 enum iommufd_object_type type,
			 const struct iommufd_object_ops *ops)
{
	struct iommufd_object *new_obj __free(kfree) =
		kzalloc(size, GFP_KERNEL_ACCOUNT);
	int rc;

	if (!new_obj)
		return ERR_PTR(-ENOMEM);
	*new_obj = (struct iommufd_object) {
		.short_users = REFCOUNT_INIT(1),
		.long_users = REFCOUNT_INIT(1),
		.type = type,
		.ops = ops,
	};
	/* Storing NULL in an allocating xarray reserves the index */
	rc = xa_alloc(&ictx->objects, &new_obj->id, NULL, xa_limit_31b,
		      GFP_KERNEL_ACCOUNT);
	if (rc)
		return ERR_PTR(rc);
	return no_free_ptr(new_obj);
}

/**
 * iommufd_object_finalize() - make a fully built object reachable by its ID
 * @ictx: the owning context
 * @obj: an object from iommufd_object_alloc() that was not yet finalized
 *
 * After this the object may be destroyed by user space at any time, so the
 * creator must not touch it again except through a reference it took before.
 */
void iommufd_object_finalize(struct iommufd_ctx *ictx,
			     struct iommufd_object *obj)
{
	XA_STATE(xas, &ictx->objects, obj->id);

	/*
	 * The xa_*() helpers report a reserved entry as NULL, which would hide
	 * publishing into a slot that was never reserved; look at the raw one.
	 * The slot exists already, so storing into it allocates nothing.
	 */
	xa_lock(&ictx->objects);
	if (!WARN_ON(xas_load(&xas) != XA_ZERO_ENTRY)) {
		xas_store(&xas, obj);
		/* Under the lock: once it is dropped a destroy may free @obj */
		trace_iommufd_object_alloc(obj);
	}
	xa_unlock(&ictx->objects);
}

/**
 * iommufd_object_abort() - give back the ID and memory of an unfinalized object
 * @ictx: the owning context
 * @obj: the object; whatever it holds must already have been released
 */
void iommufd_object_abort(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	void *prev;

	/* A reserved entry reads back as NULL; anything else was published */
	prev = xa_erase(&ictx->objects, obj->id);
	WARN_ON(prev);
	kfree(obj);
}

/**
 * iommufd_object_abort_and_destroy() - undo a creation that failed part way
 * @ictx: the owning context
 * @obj: the object, not yet finalized
 *
 * Runs the type's destroy callback to release what the object had gathered
 * so far, then frees it as iommufd_object_abort() does.
 */
void iommufd_object_abort_and_destroy(struct iommufd_ctx *ictx,
				      struct iommufd_object *obj)
{
	obj->ops->destroy(obj);
	iommufd_object_abort(ictx, obj);
}

/**
 * iommufd_object_publish_to_user() - finish an object-creating ioctl
 * @ucmd: the ioctl, whose struct already holds the new object's ID
 * @obj: the new object, fully built but not yet finalized
 * @cmd_len: the kernel's size of the command struct
 *
 * Tells user space the ID first and publishes the object only once that
 * worked: an object whose ID never reached user space is undone instead of
 * being left behind where nobody could name it.
 *
 * Return: 0, or -EFAULT after the object was destroyed.
 */
int iommufd_object_publish_to_user(struct iommufd_ucmd *ucmd,
				   struct iommufd_object *obj, size_t cmd_len)
{
	int rc = iommufd_ucmd_respond(ucmd, cmd_len);

	if (rc) {
		iommufd_object_abort_and_destroy(ucmd->ictx, obj);
		return rc;
	}
	iommufd_object_finalize(ucmd->ictx, obj);
	return 0;
}

/**
 * iommufd_get_object() - look up an object and take a short-term reference
 * @ictx: the context
 * @id: the user-supplied ID
 * @type: the type the caller needs, or IOMMUFD_OBJ_ANY
 *
 * Context: process context; takes the table's spinlock.
 * Return: the object, or ERR_PTR(-ENOENT) if @id names nothing live or
 * names an object of another type.  Release with iommufd_put_object().
 */
struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, u32 id,
					  enum iommufd_object_type type)
{
	struct iommufd_object *obj;

	xa_lock(&ictx->objects);
	obj = xa_load(&ictx->objects, id);
	if (obj && (type == IOMMUFD_OBJ_ANY || obj->type == type))
		/* Published, so the table's own reference keeps this above 0 */
		refcount_inc(&obj->short_users);
	else
		obj = ERR_PTR(-ENOENT);
	xa_unlock(&ictx->objects);
	return obj;
}

/**
 * iommufd_put_object() - drop a short-term reference
 * @ictx: the context the object lives in
 * @obj: the object
 *
 * The object must not be touched afterwards: a destroyer may be waiting for
 * exactly this reference and frees the object as soon as it is gone.
 */
void iommufd_put_object(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	/* Only an unpublished object can get to zero; wake its destroyer */
	if (refcount_dec_and_test(&obj->short_users))
		wake_up_all(&ictx->destroy_wait);
}

/*
 * Remove @id from the lookup table while keeping the ID reserved.  Only an
 * object with no dependents may go; whether that is still so once the short
 * users are gone is checked again by the caller.
 */
static struct iommufd_object *iommufd_object_unpublish(struct iommufd_ctx *ictx,
						       u32 id)
{
	struct iommufd_object *obj;

	xa_lock(&ictx->objects);
	obj = xa_load(&ictx->objects, id);
	if (!obj) {
		obj = ERR_PTR(-ENOENT);
	} else if (refcount_read(&obj->long_users) != 1) {
		obj = ERR_PTR(-EBUSY);
	} else {
		/* NULL in an allocating xarray leaves a reserved entry */
		__xa_store(&ictx->objects, id, NULL, 0);
	}
	xa_unlock(&ictx->objects);
	return obj;
}

/* Undo iommufd_object_unpublish(); the caller holds the table's lock */
static void __iommufd_object_republish(struct iommufd_ctx *ictx,
				       struct iommufd_object *obj)
{
	/*
	 * Restore the table's short reference.  Nobody can take a new one while
	 * the object is unpublished, so a count already at zero stays there
	 * until we set it.
	 */
	if (!refcount_inc_not_zero(&obj->short_users))
		refcount_set(&obj->short_users, 1);
	__xa_store(&ictx->objects, obj->id, obj, 0);
}

/* Undo iommufd_object_unpublish() after a destroy that could not finish */
static void iommufd_object_republish(struct iommufd_ctx *ictx,
				     struct iommufd_object *obj)
{
	xa_lock(&ictx->objects);
	__iommufd_object_republish(ictx, obj);
	xa_unlock(&ictx->objects);
	/* Someone waiting for the destroy to end may try again now */
	wake_up_all(&ictx->destroy_wait);
}

/*
 * Take the table's long-term reference if it is the last one; otherwise
 * publish @obj again.  Both under the table's lock, which
 * iommufd_object_unref_destroy() holds to look at an object and drop its
 * reference: a dependent that goes while we decide either finds the object
 * published again and destroys it itself, or has dropped its reference
 * before we look.  Deciding unlocked, the two could each leave the destroy
 * to the other.
 */
static bool iommufd_object_take_last_or_republish(struct iommufd_ctx *ictx,
						  struct iommufd_object *obj)
{
	bool last;

	xa_lock(&ictx->objects);
	last = refcount_dec_if_one(&obj->long_users);
	if (!last)
		__iommufd_object_republish(ictx, obj);
	xa_unlock(&ictx->objects);
	if (!last)
		wake_up_all(&ictx->destroy_wait);
	return last;
}

/*
 * Drop the table's short reference and wait until nobody else holds one.
 * Only a destroy that user space asked for may give up when killed.
 */
static int iommufd_object_drain_short_users(struct iommufd_ctx *ictx,
					    struct iommufd_object *obj,
					    bool killable)
{
	if (refcount_dec_and_test(&obj->short_users))
		return 0;
	if (killable)
		return wait_event_killable(ictx->destroy_wait,
					   !refcount_read(&obj->short_users));
	wait_event(ictx->destroy_wait, !refcount_read(&obj->short_users));
	return 0;
}

/*
 * Release an object that has no users of either kind left.  Its ID is
 * handed out again, unless @keep_id leaves it reserved for good.
 */
static void iommufd_object_free(struct iommufd_ctx *ictx,
				struct iommufd_object *obj, bool keep_id)
{
	trace_iommufd_object_destroy(obj);
	obj->ops->destroy(obj);
	/* The ID is handed out again only once the object is really gone */
	if (!keep_id)
		xa_erase(&ictx->objects, obj->id);
	kfree(obj);
}

/* Finish destroying an unpublished object, or publish it again and fail */
static int iommufd_object_destroy_unpublished(struct iommufd_ctx *ictx,
					      struct iommufd_object *obj,
					      bool killable, bool keep_id)
{
	int rc;

	rc = iommufd_object_drain_short_users(ictx, obj, killable);
	if (rc) {
		iommufd_object_republish(ictx, obj);
		return rc;
	}
	/* A short user may have become a dependent while we waited */
	if (!iommufd_object_take_last_or_republish(ictx, obj))
		return -EBUSY;
	iommufd_object_free(ictx, obj, keep_id);
	return 0;
}

/**
 * iommufd_object_destroy_id() - destroy the object with a given ID
 * @ictx: the context
 * @id: the ID
 *
 * Waits for ioctls and kernel callers that are using the object right now
 * to finish, rather than failing because of them.
 *
 * Context: process context; may sleep.
 * Return: 0 on success; -ENOENT if @id names no live object; -EBUSY if
 * another object depends on it; -ERESTARTSYS if the caller was killed while
 * waiting, in which case the object is left as it was.
 */
int iommufd_object_destroy_id(struct iommufd_ctx *ictx, u32 id)
{
	struct iommufd_object *obj;

	obj = iommufd_object_unpublish(ictx, id);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	return iommufd_object_destroy_unpublished(ictx, obj, true, false);
}

/**
 * iommufd_object_unref_destroy() - drop a long-term reference and destroy
 *                                  the object if nothing else depends on it
 * @ictx: the context
 * @obj: a published object the caller holds a long-term reference on
 *
 * For objects whose life ends with their holder: a bound device when its
 * in-kernel owner unbinds it, an automatic HWPT when its last device
 * leaves.  Dropping the reference and then destroying by ID would leave a
 * window in which user space could destroy the object first and its ID be
 * handed to a new object, which the destroy by ID would then hit.
 *
 * Short-term users are waited for even if the caller is killed: its
 * reference is gone by then, and nobody else would destroy the object.
 *
 * Context: process context; may sleep.
 * Return: 0 if the object was destroyed; -EBUSY if another object still
 * depends on it, which then keeps it alive (the reference is dropped
 * either way).
 */
int iommufd_object_unref_destroy(struct iommufd_ctx *ictx,
				 struct iommufd_object *obj)
{
	bool unpublished = false;

	xa_lock(&ictx->objects);
	/* Ours and the table's: unpublish it before anyone else can depend */
	if (xa_load(&ictx->objects, obj->id) == obj &&
	    refcount_read(&obj->long_users) == 2) {
		__xa_store(&ictx->objects, obj->id, NULL, 0);
		unpublished = true;
	}
	/*
	 * If a destroyer has it unpublished already, dropping our reference
	 * is what lets that destroy succeed.
	 */
	refcount_dec(&obj->long_users);
	xa_unlock(&ictx->objects);

	if (!unpublished)
		return -EBUSY;
	return iommufd_object_destroy_unpublished(ictx, obj, false, false);
}

/**
 * iommufd_object_tombstone_begin() - take an object out of user space's
 *                                    reach for good
 * @ictx: the context
 * @obj: an object nothing depends on, which the caller knows to be alive
 *       (it holds a lock the object's destroy takes)
 *
 * For an object whose life ends because another one goes, where user space
 * still holds its ID: a vDEVICE whose device is unbound.  The ID stays
 * reserved until the context is released, so it never comes to name a new
 * object that user space would mistake for the old one, and IOMMU_DESTROY
 * of it fails with -ENOENT.  Finish with iommufd_object_tombstone_end().
 *
 * Context: any context; takes the table's spinlock.
 * Return: true if @obj was published and is not any more; false if it was
 * not published: a destroy by user space is running, which either finishes
 * or publishes the object again, and wakes the context's destroy_wait
 * either way.
 */
bool iommufd_object_tombstone_begin(struct iommufd_ctx *ictx,
				    struct iommufd_object *obj)
{
	bool unpublished = false;

	xa_lock(&ictx->objects);
	if (xa_load(&ictx->objects, obj->id) == obj) {
		__xa_store(&ictx->objects, obj->id, NULL, 0);
		unpublished = true;
	}
	xa_unlock(&ictx->objects);
	return unpublished;
}

/**
 * iommufd_object_tombstone_end() - destroy an object taken out of reach
 * @ictx: the context
 * @obj: an object iommufd_object_tombstone_begin() returned true for
 *
 * Waits for the object's short-term users, whatever happens to the
 * caller, and destroys it, keeping its ID reserved.
 *
 * Context: process context; may sleep.
 * Return: 0; -EBUSY if a short user made another object depend on it
 * meanwhile, after which it is published again.
 */
int iommufd_object_tombstone_end(struct iommufd_ctx *ictx,
				 struct iommufd_object *obj)
{
	return iommufd_object_destroy_unpublished(ictx, obj, false, true);
}

/**
 * iommufd_object_destroy_all() - empty the table of a context being released
 * @ictx: the context
 *
 * Objects nothing depends on go first; each one destroyed drops its long
 * references on others, so repeated passes reach every object.  No short
 * users can exist: no ioctl runs on a file being released, and in-kernel
 * users hold a reference on the file.
 */
void iommufd_object_destroy_all(struct iommufd_ctx *ictx)
{
	struct iommufd_object *obj;
	unsigned long id;

	for (;;) {
		unsigned int destroyed_this_pass = 0;
		bool any_left = false;

		/* Reserved IDs (tombstones) are not visited */
		xa_for_each(&ictx->objects, id, obj) {
			any_left = true;
			if (!refcount_dec_if_one(&obj->long_users))
				continue;
			WARN_ON(refcount_read(&obj->short_users) != 1);
			iommufd_object_free(ictx, obj, false);
			destroyed_this_pass++;
		}
		if (!any_left)
			break;
		/* A leaked long reference: better to leak than to loop forever */
		if (WARN_ON(!destroyed_this_pass))
			break;
	}
	/* Only the IDs of tombstones are left */
	xa_destroy(&ictx->objects);
}

int iommufd_destroy(struct iommufd_ucmd *ucmd)
{
	struct iommu_destroy *cmd = ucmd->cmd;

	return iommufd_object_destroy_id(ucmd->ictx, cmd->id);
}
