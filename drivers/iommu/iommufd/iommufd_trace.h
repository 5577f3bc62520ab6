/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The trace events of iommufd (events/iommufd/ in tracefs): objects coming
 * and going, the IOAS mapping calls, devices moving between HWPTs, page
 * requests raised and answered, and every error an ioctl returns.
 * Documentation/userspace-api/iommufd.rst lists each event and its fields.
 *
 * Each event records IDs and numbers only, never pointers, so that a trace
 * reads like the calls user space made.  A disabled event costs a static
 * branch that is not taken; the arguments are not even computed.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM iommufd

#if !defined(__IOMMUFD_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define __IOMMUFD_TRACE_H

#include <linux/tracepoint.h>
#include <linux/types.h>

#include "object.h"

DECLARE_EVENT_CLASS(iommufd_object_class,
		    TP_PROTO(const struct iommufd_object *obj),
		    TP_ARGS(obj),
		    TP_STRUCT__entry(__field(u32, id)
				     __string(type, iommufd_object_type_name(obj->type))),
		    TP_fast_assign(__entry->id = obj->id;
				   __assign_str(type);),
		    TP_printk("id=%u type=%s", __entry->id, __get_str(type))
);

/* An object became visible under its ID (aborted creations never do) */
DEFINE_EVENT(iommufd_object_class, iommufd_object_alloc,
	     TP_PROTO(const struct iommufd_object *obj),
	     TP_ARGS(obj)
);

/* An object was destroyed, by user space, its owner or the file's release */
DEFINE_EVENT(iommufd_object_class, iommufd_object_destroy,
	     TP_PROTO(const struct iommufd_object *obj),
	     TP_ARGS(obj)
);

/* IOMMU_IOAS_MAP and IOMMU_IOAS_MAP_FILE that succeeded */
TRACE_EVENT(iommufd_ioas_map,
	    TP_PROTO(u32 ioas_id, u64 iova, u64 length, u32 flags),
	    TP_ARGS(ioas_id, iova, length, flags),
	    TP_STRUCT__entry(__field(u32, ioas_id)
			     __field(u64, iova)
			     __field(u64, length)
			     __field(u32, flags)),
	    TP_fast_assign(__entry->ioas_id = ioas_id;
			   __entry->iova = iova;
			   __entry->length = length;
			   __entry->flags = flags;),
	    TP_printk("ioas=%u iova=0x%llx length=0x%llx flags=0x%x",
		      __entry->ioas_id, __entry->iova, __entry->length,
		      __entry->flags)
);

/* IOMMU_IOAS_UNMAP that succeeded: what was asked, and what went */
TRACE_EVENT(iommufd_ioas_unmap,
	    TP_PROTO(u32 ioas_id, u64 iova, u64 length, u64 unmapped),
	    TP_ARGS(ioas_id, iova, length, unmapped),
	    TP_STRUCT__entry(__field(u32, ioas_id)
			     __field(u64, iova)
			     __field(u64, length)
			     __field(u64, unmapped)),
	    TP_fast_assign(__entry->ioas_id = ioas_id;
			   __entry->iova = iova;
			   __entry->length = length;
			   __entry->unmapped = unmapped;),
	    TP_printk("ioas=%u iova=0x%llx length=0x%llx unmapped=0x%llx",
		      __entry->ioas_id, __entry->iova, __entry->length,
		      __entry->unmapped)
);

/* IOMMU_IOAS_COPY that succeeded */
TRACE_EVENT(iommufd_ioas_copy,
	    TP_PROTO(u32 src_ioas_id, u64 src_iova, u32 dst_ioas_id,
		     u64 dst_iova, u64 length, u32 flags),
	    TP_ARGS(src_ioas_id, src_iova, dst_ioas_id, dst_iova, length,
		    flags),
	    TP_STRUCT__entry(__field(u32, src_ioas_id)
			     __field(u64, src_iova)
			     __field(u32, dst_ioas_id)
			     __field(u64, dst_iova)
			     __field(u64, length)
			     __field(u32, flags)),
	    TP_fast_assign(__entry->src_ioas_id = src_ioas_id;
			   __entry->src_iova = src_iova;
			   __entry->dst_ioas_id = dst_ioas_id;
			   __entry->dst_iova = dst_iova;
			   __entry->length = length;
			   __entry->flags = flags;),
	    TP_printk("src_ioas=%u src_iova=0x%llx dst_ioas=%u dst_iova=0x%llx length=0x%llx flags=0x%x",
		      __entry->src_ioas_id, __entry->src_iova,
		      __entry->dst_ioas_id, __entry->dst_iova, __entry->length,
		      __entry->flags)
);

DECLARE_EVENT_CLASS(iommufd_device_class,
		    TP_PROTO(u32 dev_id, u32 pasid, u32 pt_id),
		    TP_ARGS(dev_id, pasid, pt_id),
		    TP_STRUCT__entry(__field(u32, dev_id)
				     __field(u32, pasid)
				     __field(u32, pt_id)),
		    TP_fast_assign(__entry->dev_id = dev_id;
				   __entry->pasid = pasid;
				   __entry->pt_id = pt_id;),
		    TP_printk("device=%u pasid=%u hwpt=%u", __entry->dev_id,
			      __entry->pasid, __entry->pt_id)
);

/*
 * A device's RID (pasid IOMMU_NO_PASID, 0) or PASID was attached to, or
 * moved to, the HWPT of ID hwpt, or detached from it
 */
DEFINE_EVENT(iommufd_device_class, iommufd_device_attach,
	     TP_PROTO(u32 dev_id, u32 pasid, u32 pt_id),
	     TP_ARGS(dev_id, pasid, pt_id)
);

DEFINE_EVENT(iommufd_device_class, iommufd_device_replace,
	     TP_PROTO(u32 dev_id, u32 pasid, u32 pt_id),
	     TP_ARGS(dev_id, pasid, pt_id)
);

DEFINE_EVENT(iommufd_device_class, iommufd_device_detach,
	     TP_PROTO(u32 dev_id, u32 pasid, u32 pt_id),
	     TP_ARGS(dev_id, pasid, pt_id)
);

/* A group of page requests was queued for user space on a fault queue */
TRACE_EVENT(iommufd_fault_raise,
	    TP_PROTO(u32 fault_id, u32 dev_id, u32 pasid, u32 grpid, u64 addr),
	    TP_ARGS(fault_id, dev_id, pasid, grpid, addr),
	    TP_STRUCT__entry(__field(u32, fault_id)
			     __field(u32, dev_id)
			     __field(u32, pasid)
			     __field(u32, grpid)
			     __field(u64, addr)),
	    TP_fast_assign(__entry->fault_id = fault_id;
			   __entry->dev_id = dev_id;
			   __entry->pasid = pasid;
			   __entry->grpid = grpid;
			   __entry->addr = addr;),
	    TP_printk("fault=%u device=%u pasid=%u grpid=%u addr=0x%llx",
		      __entry->fault_id, __entry->dev_id, __entry->pasid,
		      __entry->grpid, __entry->addr)
);

/* A queued group was answered, by user space or by the kernel */
TRACE_EVENT(iommufd_fault_answer,
	    TP_PROTO(u32 fault_id, u32 dev_id, u32 grpid, u32 code,
		     bool by_kernel),
	    TP_ARGS(fault_id, dev_id, grpid, code, by_kernel),
	    TP_STRUCT__entry(__field(u32, fault_id)
			     __field(u32, dev_id)
			     __field(u32, grpid)
			     __field(u32, code)
			     __field(bool, by_kernel)),
	    TP_fast_assign(__entry->fault_id = fault_id;
			   __entry->dev_id = dev_id;
			   __entry->grpid = grpid;
			   __entry->code = code;
			   __entry->by_kernel = by_kernel;),
	    TP_printk("fault=%u device=%u grpid=%u code=%u by=%s",
		      __entry->fault_id, __entry->dev_id, __entry->grpid,
		      __entry->code, __entry->by_kernel ? "kernel" : "user")
);

/* An ioctl of /dev/iommu returned an error to user space */
TRACE_EVENT(iommufd_ioctl_error,
	    TP_PROTO(unsigned int cmd, int err),
	    TP_ARGS(cmd, err),
	    TP_STRUCT__entry(__field(unsigned int, cmd)
			     __field(int, err)),
	    TP_fast_assign(__entry->cmd = cmd;
			   __entry->err = err;),
	    TP_printk("ioctl=0x%x nr=0x%x errno=%d", __entry->cmd,
		      _IOC_NR(__entry->cmd), -__entry->err)
);

#endif /* __IOMMUFD_TRACE_H */

/* Outside the guard: read again by <trace/define_trace.h> */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE iommufd_trace
#include <trace/define_trace.h>
