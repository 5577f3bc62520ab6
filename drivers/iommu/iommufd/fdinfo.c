// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/<pid>/fdinfo/<fd> of an iommufd: what the context holds, for an
 * operator and for tests that compare it before and after a call.
 *
 * The format (Documentation/userspace-api/iommufd.rst, "fdinfo") is one
 * "key:\tvalue" line per fact: the context's account mode and pinned
 * pages, then one "iommufd-object:" line per published object in ID order,
 * made of space-separated key=value fields: id, type, users, refs, and
 * what the object's kind adds through its ops' show.  Fields are never
 * removed or reordered; new ones are added at the end of a line.
 *
 * Objects are visited one at a time, each with a short-term reference
 * taken under the table's lock as a lookup does, so nothing is shown that
 * is being created or destroyed, and a destroyer waits only for the one
 * line being printed.  No lock of the table is held while a kind prints.
 */
#include <linux/minmax.h>
#include <linux/refcount.h>
#include <linux/seq_file.h>
#include <linux/xarray.h>

#include "iommufd_private.h"

static const char *const iommufd_object_type_names[IOMMUFD_OBJ_MAX] = {
	[IOMMUFD_OBJ_IOAS] = "ioas",
	[IOMMUFD_OBJ_HWPT_PAGING] = "hwpt_paging",
	[IOMMUFD_OBJ_HWPT_NESTED] = "hwpt_nested",
	[IOMMUFD_OBJ_DEVICE] = "device",
	[IOMMUFD_OBJ_ACCESS] = "access",
	[IOMMUFD_OBJ_FAULT] = "fault",
	[IOMMUFD_OBJ_VIOMMU] = "viommu",
	[IOMMUFD_OBJ_VDEVICE] = "vdevice",
	[IOMMUFD_OBJ_VEVENTQ] = "veventq",
	[IOMMUFD_OBJ_HW_QUEUE] = "hw_queue",
#if IS_ENABLED(CONFIG_IOMMUFD_TEST)
	[IOMMUFD_OBJ_SELFTEST] = "selftest",
#endif
};

/**
 * iommufd_object_type_name() - the name of an object type
 * @type: the type
 *
 * Return: the name fdinfo and the trace events use, "unknown" for a type
 * that has none.
 */
const char *iommufd_object_type_name(enum iommufd_object_type type)
{
	const char *name = NULL;

	if (type < IOMMUFD_OBJ_MAX)
		name = iommufd_object_type_names[type];
	return name ?: "unknown";
}

static const char *const iommufd_account_mode_names[] = {
	[IOMMUFD_ACCOUNT_NONE] = "none",
	[IOMMUFD_ACCOUNT_USER] = "user",
	[IOMMUFD_ACCOUNT_MM] = "mm",
};

/*
 * The published object with the lowest ID at or above *@index, with a
 * short-term reference, or NULL.  Reserved IDs (objects being created or
 * destroyed, tombstones) are skipped by the xarray's search.
 */
static struct iommufd_object *iommufd_fdinfo_next(struct iommufd_ctx *ictx,
						  unsigned long *index)
{
	struct iommufd_object *obj;

	xa_lock(&ictx->objects);
	obj = xa_find(&ictx->objects, index, ULONG_MAX, XA_PRESENT);
	/* Published, so the table's own reference keeps this above 0 */
	if (obj)
		refcount_inc(&obj->short_users);
	xa_unlock(&ictx->objects);
	return obj;
}

static void iommufd_fdinfo_show_object(struct seq_file *m,
				       struct iommufd_object *obj)
{
	/*
	 * users leaves out the table's reference and ours; refs the table's.
	 * Both are a snapshot: ioctls and dependents come and go, and a
	 * destroyer may have taken the table's reference meanwhile.
	 */
	seq_printf(m, "iommufd-object:\tid=%u type=%s users=%d refs=%d",
		   obj->id, iommufd_object_type_name(obj->type),
		   max(refcount_read(&obj->short_users) - 2, 0),
		   max(refcount_read(&obj->long_users) - 1, 0));
	if (obj->ops->show)
		obj->ops->show(obj, m);
	seq_putc(m, '\n');
}

/**
 * iommufd_ctx_show_fdinfo() - describe a context in its file's fdinfo
 * @ictx: the context of a file the caller holds a reference on
 * @m: the fdinfo file
 *
 * Context: process context; may sleep for short, bounded locks only.
 */
void iommufd_ctx_show_fdinfo(struct iommufd_ctx *ictx, struct seq_file *m)
{
	u8 account_mode = READ_ONCE(ictx->account_mode);
	struct iommufd_object *obj;
	unsigned long index = 0;

	seq_printf(m, "iommufd-account-mode:\t%s\n",
		   account_mode < ARRAY_SIZE(iommufd_account_mode_names) ?
			   iommufd_account_mode_names[account_mode] :
			   "unknown");
	seq_printf(m, "iommufd-pinned-pages:\t%ld\n",
		   atomic_long_read(&ictx->pinned_pages));
	while ((obj = iommufd_fdinfo_next(ictx, &index))) {
		iommufd_fdinfo_show_object(m, obj);
		iommufd_put_object(ictx, obj);
		index++;
	}
}
