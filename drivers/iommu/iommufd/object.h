/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The object table of an iommufd context: typed, ID-addressed objects and
 * the two kinds of references that keep them alive.
 *
 * Contract
 * --------
 * Every object lives in exactly one context and is reachable by its ID from
 * the moment it is finalized until it is destroyed.
 *
 * short_users counts the code paths that are working on the object right
 * now: an ioctl that looked the object up, or a kernel caller that holds it
 * for the length of one operation.  While the object is published the table
 * itself owns one short reference; a destroyer drops that one and then
 * waits for the count to reach zero.  Short references are never held
 * across a return to user space.
 *
 * long_users counts other objects (or in-kernel owners) that depend on this
 * object for their whole life, plus one owned by the table.  An object
 * whose long_users is above one cannot be destroyed (-EBUSY).  A new long
 * reference may only be taken by someone already holding a short or long
 * reference, so the count can never come back from zero.
 *
 * Destroying an object first unpublishes it (its ID stays reserved, so no
 * new lookup can find it and the ID cannot be handed out again), then waits
 * out the short users, then checks that no short user turned into a
 * dependent in the meantime.  If one did, the object is published again and
 * the destroy fails with -EBUSY, which is the truth at that point.
 *
 * An object that goes because another one went (a vDEVICE whose device is
 * unbound) leaves a tombstone: its ID stays reserved until the context is
 * released, so user space holding the ID can neither destroy something
 * else by it nor mistake a new object for the old one.
 */
#ifndef __IOMMUFD_OBJECT_H
#define __IOMMUFD_OBJECT_H

#include <linux/iommufd.h>
#include <linux/refcount.h>
#include <linux/stddef.h>
#include <linux/types.h>

struct iommufd_ctx;
struct seq_file;

/**
 * struct iommufd_object_ops - per-type behaviour of objects
 * @destroy: release everything the object holds.  Called once: with no
 *           short or long users left, or on a creation that failed after
 *           the object was allocated but before it was finalized (so it
 *           checks what it got to).  The core frees the memory afterwards.
 * @show: optional; append the kind's own " key=value" fields to the
 *        object's line in the context's fdinfo (fdinfo.c).  Called with a
 *        short-term reference held and no lock; it may sleep, but must not
 *        wait for a lock an ioctl can hold for long (a page table's
 *        iova_rwsem, a group lock), and prints the same fields every time.
 *
 * Each object kind keeps its ops in the file that creates its objects and
 * hands them to iommufd_object_alloc(), so that the object table needs to
 * know no kind.
 */
struct iommufd_object_ops {
	void (*destroy)(struct iommufd_object *obj);
	void (*show)(struct iommufd_object *obj, struct seq_file *m);
};

struct iommufd_object *
iommufd_object_alloc_raw(struct iommufd_ctx *ictx, size_t size,
			 enum iommufd_object_type type,
			 const struct iommufd_object_ops *ops);

/*
 * Allocate a zeroed object of type _struct and reserve an ID for it.  The
 * structure must start with its struct iommufd_object (named obj), which its
 * header asserts, so the cast below also carries error pointers unchanged.
 */
#define iommufd_object_alloc(ictx, _struct, type, ops)                         \
	((typeof(_struct) *)iommufd_object_alloc_raw(ictx, sizeof(_struct),    \
						     type, ops))

void iommufd_object_finalize(struct iommufd_ctx *ictx,
			     struct iommufd_object *obj);
void iommufd_object_abort(struct iommufd_ctx *ictx,
			  struct iommufd_object *obj);
void iommufd_object_abort_and_destroy(struct iommufd_ctx *ictx,
				      struct iommufd_object *obj);

struct iommufd_ucmd;
int iommufd_object_publish_to_user(struct iommufd_ucmd *ucmd,
				   struct iommufd_object *obj, size_t cmd_len);

struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, u32 id,
					  enum iommufd_object_type type);
void iommufd_put_object(struct iommufd_ctx *ictx, struct iommufd_object *obj);

/**
 * iommufd_object_ref() - take a long-term reference on an object
 * @obj: an object the caller already holds a short or long reference on
 *
 * Used when one object starts to depend on another; the target then refuses
 * to be destroyed until iommufd_object_unref() is called.
 */
static inline void iommufd_object_ref(struct iommufd_object *obj)
{
	refcount_inc(&obj->long_users);
}

/**
 * iommufd_object_unref() - drop a long-term reference
 * @obj: the object
 *
 * Never frees: the table's own reference outlives every dependent, and only
 * a destroy releases the object.
 */
static inline void iommufd_object_unref(struct iommufd_object *obj)
{
	refcount_dec(&obj->long_users);
}

/* fdinfo.c: the name fdinfo and the trace events give @type */
const char *iommufd_object_type_name(enum iommufd_object_type type);

int iommufd_object_destroy_id(struct iommufd_ctx *ictx, u32 id);
int iommufd_object_unref_destroy(struct iommufd_ctx *ictx,
				 struct iommufd_object *obj);
bool iommufd_object_tombstone_begin(struct iommufd_ctx *ictx,
				    struct iommufd_object *obj);
int iommufd_object_tombstone_end(struct iommufd_ctx *ictx,
				 struct iommufd_object *obj);
void iommufd_object_destroy_all(struct iommufd_ctx *ictx);

#endif
