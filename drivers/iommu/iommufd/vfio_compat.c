// SPDX-License-Identifier: GPL-2.0-only
/*
 * The compatibility IOAS of a context.
 *
 * VFIO's legacy group path (a group file handed an iommufd through
 * VFIO_GROUP_SET_CONTAINER) names no IOAS: its devices are attached to one
 * IOAS per context that VFIO creates on demand and that user space can
 * learn, choose or forget with IOMMU_VFIO_IOAS.  A context that VFIO used
 * for a device without any IOMMU protection (no-IOMMU mode) can never have
 * one, and the other way round.
 *
 * ictx->vfio_ioas and ictx->vfio_no_iommu are read and written under the
 * spinlock of the context's object table, which also orders them against
 * the IOAS being unpublished: a pointer read there is either cleared
 * before its IOAS is freed, or names an IOAS that is still in the table.
 */
#include <linux/capability.h>
#include <linux/cleanup.h>
#include <linux/err.h>
#include <linux/interval_tree.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <uapi/linux/iommufd.h>
#include <uapi/linux/vfio.h>

#include "hw_pagetable.h"
#include "ioas.h"
#include "iommufd_private.h"
#include "pages.h"
#include "pages_dmabuf.h"

/*
 * The compatibility IOAS with a short-term reference, or ERR_PTR(-ENODEV)
 * when there is none, or it is being destroyed.  The lookup goes by ID;
 * holding the reference, the pointer is compared again, so an IOAS that
 * got the ID of a destroyed compatibility IOAS is never mistaken for it.
 */
static struct iommufd_ioas *iommufd_compat_ioas_get(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas;
	bool still_compat;
	u32 id;

	xa_lock(&ictx->objects);
	id = ictx->vfio_ioas ? ictx->vfio_ioas->obj.id : 0;
	xa_unlock(&ictx->objects);
	if (!id)
		return ERR_PTR(-ENODEV);

	ioas = iommufd_get_ioas(ictx, id);
	if (IS_ERR(ioas))
		return ERR_PTR(-ENODEV);

	xa_lock(&ictx->objects);
	still_compat = ictx->vfio_ioas == ioas;
	xa_unlock(&ictx->objects);
	if (!still_compat) {
		iommufd_put_object(ictx, &ioas->obj);
		return ERR_PTR(-ENODEV);
	}
	return ioas;
}

/* Make @ioas (or nothing, for NULL) the compatibility IOAS */
static void iommufd_compat_ioas_set(struct iommufd_ctx *ictx,
				    struct iommufd_ioas *ioas)
{
	xa_lock(&ictx->objects);
	ictx->vfio_ioas = ioas;
	xa_unlock(&ictx->objects);
}

/**
 * iommufd_vfio_compat_forget_ioas() - an IOAS is being destroyed
 * @ioas: the IOAS, already unreachable by its ID
 *
 * Stops it from being the compatibility IOAS before its memory and ID are
 * given back.
 */
void iommufd_vfio_compat_forget_ioas(struct iommufd_ioas *ioas)
{
	struct iommufd_ctx *ictx = ioas->ictx;

	xa_lock(&ictx->objects);
	if (ictx->vfio_ioas == ioas)
		ictx->vfio_ioas = NULL;
	xa_unlock(&ictx->objects);
}

/**
 * iommufd_vfio_compat_ioas_get_id() - the ID of the compatibility IOAS
 * @ictx: the context
 * @out_ioas_id: set to the IOAS's ID, which other iommufd functions accept
 *
 * Context: process context.
 * Return: 0, or -ENODEV if the context has no compatibility IOAS.
 */
int iommufd_vfio_compat_ioas_get_id(struct iommufd_ctx *ictx, u32 *out_ioas_id)
{
	struct iommufd_ioas *compat = iommufd_compat_ioas_get(ictx);

	/* The reference only makes sure the ID is read from the right IOAS */
	if (!IS_ERR(compat)) {
		*out_ioas_id = compat->obj.id;
		iommufd_put_object(ictx, &compat->obj);
	}
	return PTR_ERR_OR_ZERO(compat);
}
EXPORT_SYMBOL_NS_GPL(iommufd_vfio_compat_ioas_get_id, IOMMUFD_VFIO);

/**
 * iommufd_vfio_compat_set_no_iommu() - the context serves a no-IOMMU device
 * @ictx: the context
 *
 * Called by VFIO when a group of a device without IOMMU protection is
 * attached to the context.  From then on the context will not get a
 * compatibility IOAS.
 *
 * Context: any context.
 * Return: 0, or -EINVAL if the context has a compatibility IOAS already.
 */
int iommufd_vfio_compat_set_no_iommu(struct iommufd_ctx *ictx)
{
	/* The lock that also orders this against a compat IOAS being set */
	xa_lock(&ictx->objects);
	if (ictx->vfio_ioas) {
		xa_unlock(&ictx->objects);
		return -EINVAL;
	}
	ictx->vfio_no_iommu = true;
	xa_unlock(&ictx->objects);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iommufd_vfio_compat_set_no_iommu, IOMMUFD_VFIO);

/**
 * iommufd_vfio_compat_ioas_create() - make sure a compatibility IOAS exists
 * @ictx: the context
 *
 * Called by VFIO when a group is attached to the context.  If the context
 * has a compatibility IOAS already (made earlier, or chosen by user space
 * with IOMMU_VFIO_IOAS_SET) nothing changes; otherwise a new, empty IOAS
 * becomes it.  A new one is an ordinary object of the context: user space
 * can learn its ID with IOMMU_VFIO_IOAS_GET and destroy it, and it goes
 * with the context otherwise.
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL if the context serves a no-IOMMU device; -ENOMEM.
 */
int iommufd_vfio_compat_ioas_create(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *new_ioas, *current_ioas;
	bool keep_new = false;
	int rc = 0;

	/* Allocating may sleep, so it happens before taking the spinlock */
	new_ioas = iommufd_ioas_alloc(ictx);
	if (IS_ERR(new_ioas))
		return PTR_ERR(new_ioas);

	xa_lock(&ictx->objects);
	current_ioas = ictx->vfio_ioas;
	if (ictx->vfio_no_iommu) {
		rc = -EINVAL;
	} else if (!current_ioas ||
		   xa_load(&ictx->objects, current_ioas->obj.id) !=
			   current_ioas) {
		/* None, or one being destroyed: the new one takes over */
		ictx->vfio_ioas = new_ioas;
		keep_new = true;
	}
	xa_unlock(&ictx->objects);

	if (!keep_new) {
		iommufd_object_abort_and_destroy(ictx, &new_ioas->obj);
		return rc;
	}
	/* Until here lookups by its ID failed, as for any unfinished object */
	iommufd_object_finalize(ictx, &new_ioas->obj);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iommufd_vfio_compat_ioas_create, IOMMUFD_VFIO);

/* IOMMU_VFIO_IOAS_GET: the compatibility IOAS's ID, made on first use */
static int iommufd_vfio_ioas_report(struct iommufd_ucmd *ucmd,
				    struct iommu_vfio_ioas *cmd)
{
	struct iommufd_ioas *ioas = iommufd_compat_ioas_get(ucmd->ictx);

	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	cmd->ioas_id = ioas->obj.id;
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return iommufd_ucmd_respond(ucmd, sizeof(*cmd));
}

/* IOMMU_VFIO_IOAS_SET: make IOAS ioas_id the compatibility IOAS */
static int iommufd_vfio_ioas_choose(struct iommufd_ucmd *ucmd,
				    struct iommu_vfio_ioas *cmd)
{
	struct iommufd_ioas *ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);

	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	iommufd_compat_ioas_set(ucmd->ictx, ioas);
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return 0;
}

/* IOMMU_VFIO_IOAS_CLEAR: no compatibility IOAS until the next GET or SET */
static int iommufd_vfio_ioas_forget(struct iommufd_ucmd *ucmd,
				    struct iommu_vfio_ioas *cmd)
{
	iommufd_compat_ioas_set(ucmd->ictx, NULL);
	return 0;
}

/**
 * iommufd_vfio_ioas() - IOMMU_VFIO_IOAS
 * @ucmd: the ioctl, holding a struct iommu_vfio_ioas
 *
 * Context: process context; may sleep.
 * Return: 0; -EOPNOTSUPP for an unknown op or a non-zero __reserved;
 * -ENOENT if ioas_id names no IOAS (SET); the errors of creating the
 * compatibility IOAS (GET); -EFAULT.
 */
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd)
{
	static int (*const op_handlers[])(struct iommufd_ucmd *ucmd,
					  struct iommu_vfio_ioas *cmd) = {
		[IOMMU_VFIO_IOAS_GET] = iommufd_vfio_ioas_report,
		[IOMMU_VFIO_IOAS_SET] = iommufd_vfio_ioas_choose,
		[IOMMU_VFIO_IOAS_CLEAR] = iommufd_vfio_ioas_forget,
	};
	struct iommu_vfio_ioas *cmd = ucmd->cmd;

	if (cmd->__reserved || cmd->op >= ARRAY_SIZE(op_handlers) ||
	    !op_handlers[cmd->op])
		return -EOPNOTSUPP;
	return op_handlers[cmd->op](ucmd, cmd);
}

/*
 * ---- The VFIO type1 container ioctls, served on /dev/iommu itself ----
 *
 * A program written for VFIO's type1 IOMMU backend opens a container,
 * picks the IOMMU type, then maps and unmaps DMA by fixed IOVA.  All of it
 * works on the compatibility IOAS, so such a program can use an iommufd
 * as its container unchanged.  The two type1 flavours differ in what an
 * unmap may do: TYPE1v2 only removes whole mappings, while the original
 * TYPE1 may cut a mapping at any page.  Choosing TYPE1 therefore turns the
 * IOAS's large IOMMU pages off, so that no IOMMU page spans a cut.
 */

/* VFIO reports the DMA mapping budget; iommufd's is memlock, so no limit */
#define IOMMUFD_VFIO_DMA_AVAIL U32_MAX

static bool iommufd_vfio_is_no_iommu(struct iommufd_ctx *ictx)
{
	bool no_iommu;

	xa_lock(&ictx->objects);
	no_iommu = ictx->vfio_no_iommu;
	xa_unlock(&ictx->objects);
	return no_iommu;
}

/*
 * VFIO_DMA_CC_IOMMU: 1 when every domain of the compatibility IOAS makes
 * device DMA snoop the CPU caches (trivially so without domains).  VFIO
 * attaches its group devices straight to the IOAS, so their domains are
 * the IOAS's automatic HWPTs.
 */
static int iommufd_vfio_cc_iommu(struct iommufd_ctx *ictx)
{
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommufd_ioas *ioas;
	int coherent = 1;

	ioas = iommufd_compat_ioas_get(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	scoped_guard(mutex, &ioas->mutex) {
		list_for_each_entry(hwpt_paging, &ioas->auto_hwpts, auto_link) {
			if (!READ_ONCE(hwpt_paging->enforce_cache_coherency)) {
				coherent = 0;
				break;
			}
		}
	}
	iommufd_put_object(ictx, &ioas->obj);
	return coherent;
}

/* VFIO_CHECK_EXTENSION: 1 for what is supported, 0 for what is not */
static long iommufd_vfio_check_extension(struct iommufd_ctx *ictx,
					 unsigned long extension)
{
	switch (extension) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return !iommufd_vfio_is_no_iommu(ictx);
	case VFIO_NOIOMMU_IOMMU:
		return IS_ENABLED(CONFIG_VFIO_NOIOMMU);
	case VFIO_DMA_CC_IOMMU:
		return iommufd_vfio_cc_iommu(ictx);
	default:
		/*
		 * Among others: nesting (obsolete in VFIO as well) and
		 * VFIO_UPDATE_VADDR, which cannot be done safely here.
		 */
		return 0;
	}
}

/*
 * VFIO_SET_IOMMU.  VFIO refuses it while the container has no group; the
 * equivalent here is a context without a compatibility IOAS.  No-IOMMU
 * mode is accepted without any state: the other ioctls then fail for lack
 * of an IOAS, much as VFIO blocks them.
 */
static long iommufd_vfio_set_iommu(struct iommufd_ctx *ictx, unsigned long type)
{
	bool no_iommu = iommufd_vfio_is_no_iommu(ictx);
	struct iommufd_ioas *ioas;
	int rc = 0;

	if (IS_ENABLED(CONFIG_VFIO_NOIOMMU) && type == VFIO_NOIOMMU_IOMMU &&
	    no_iommu)
		return capable(CAP_SYS_RAWIO) ? 0 : -EPERM;
	if (no_iommu || (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU))
		return -EINVAL;

	ioas = iommufd_compat_ioas_get(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	if (type == VFIO_TYPE1_IOMMU)
		rc = iopt_set_large_pages(&ioas->iopt, false);
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

/*
 * The IOMMU page sizes VFIO_IOMMU_GET_INFO reports: those every domain
 * supports, with anything below the CPU page size folded into the CPU page
 * (VFIO maps no less), and nothing below the IOAS's IOVA granule.
 */
static u64 iommufd_vfio_pgsizes(struct io_pagetable *iopt)
{
	unsigned long pgsizes = ULONG_MAX;
	unsigned int i;

	lockdep_assert_held(&iopt->iova_rwsem);
	for (i = 0; i != iopt->ndomains; i++)
		pgsizes &= iopt->domains[i]->pgsize_bitmap;
	if (pgsizes & ~PAGE_MASK)
		pgsizes = (pgsizes & PAGE_MASK) | PAGE_SIZE;
	return max(pgsizes, iopt->iova_alignment);
}

/* How many usable IOVA ranges (holes between reservations) there are */
static u32 iommufd_vfio_count_ranges(struct io_pagetable *iopt)
{
	struct interval_tree_span_iter span;
	u32 count = 0;

	interval_tree_for_each_span(&span, &iopt->reserved, 0, ULONG_MAX)
		count += span.is_hole;
	return count;
}

/*
 * Lay out the capability chain of VFIO_IOMMU_GET_INFO in @chain, which
 * starts at byte @base of the reply: the DMA budget, then the usable IOVA
 * ranges (@nr_ranges of them).  Each capability starts on 8 bytes and
 * names the next one by its offset from the start of the reply.
 */
static void iommufd_vfio_fill_caps(struct io_pagetable *iopt, void *chain,
				   size_t base, size_t avail_size,
				   u32 nr_ranges)
{
	struct vfio_iommu_type1_info_cap_iova_range *ranges_cap;
	struct vfio_iommu_type1_info_dma_avail *avail_cap = chain;
	struct interval_tree_span_iter span;
	u32 i = 0;

	avail_cap->header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
	avail_cap->header.version = 1;
	avail_cap->header.next = base + avail_size;
	avail_cap->avail = IOMMUFD_VFIO_DMA_AVAIL;

	ranges_cap = chain + avail_size;
	ranges_cap->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
	ranges_cap->header.version = 1;
	ranges_cap->nr_iovas = nr_ranges;
	interval_tree_for_each_span(&span, &iopt->reserved, 0, ULONG_MAX) {
		if (!span.is_hole)
			continue;
		ranges_cap->iova_ranges[i].start = span.start_hole;
		ranges_cap->iova_ranges[i].end = span.last_hole;
		i++;
	}
}

/* Bytes of one capability in the chain, whose entries start on 8 bytes */
static size_t iommufd_vfio_cap_size(size_t size)
{
	return ALIGN(size, sizeof(u64));
}

static size_t iommufd_vfio_ranges_cap_size(u32 nr_ranges)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;

	return iommufd_vfio_cap_size(struct_size(cap, iova_ranges, nr_ranges));
}

/*
 * Answer VFIO_IOMMU_GET_INFO from @iopt into @info: the page sizes, and
 * the size of the whole reply in argsz.  Returns the capability chain if
 * the user's argsz had room for all of it, NULL if not, or an ERR_PTR.
 */
static void *iommufd_vfio_query(struct io_pagetable *iopt,
				struct vfio_iommu_type1_info *info)
{
	struct vfio_iommu_type1_info_dma_avail *avail_cap;
	const size_t avail_size = iommufd_vfio_cap_size(sizeof(*avail_cap));
	size_t chain_size;
	u32 nr_ranges;
	void *chain;

	guard(rwsem_read)(&iopt->iova_rwsem);
	info->iova_pgsizes = iommufd_vfio_pgsizes(iopt);
	nr_ranges = iommufd_vfio_count_ranges(iopt);
	chain_size = avail_size + iommufd_vfio_ranges_cap_size(nr_ranges);
	if (info->argsz < sizeof(*info) + chain_size) {
		info->argsz = sizeof(*info) + chain_size;
		return NULL;
	}
	info->argsz = sizeof(*info) + chain_size;

	chain = kzalloc(chain_size, GFP_KERNEL);
	if (!chain)
		return ERR_PTR(-ENOMEM);
	iommufd_vfio_fill_caps(iopt, chain, sizeof(*info), avail_size,
			       nr_ranges);
	return chain;
}

/*
 * VFIO_IOMMU_GET_INFO.  The fixed part is answered in as many bytes as
 * user space's argsz covers (at least up to iova_pgsizes).  The capability
 * chain follows it only when argsz leaves room for all of it; otherwise
 * cap_offset is 0 and argsz tells user space how large to come back.
 */
static long iommufd_vfio_get_info(struct iommufd_ctx *ictx, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	const size_t min_size =
		offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	struct vfio_iommu_type1_info info = {};
	struct iommufd_ioas *ioas;
	size_t reply_size;
	void *chain;
	int rc = 0;

	if (copy_from_user(&info, uarg, min_size))
		return -EFAULT;
	if (info.argsz < min_size)
		return -EINVAL;
	/* The fixed part is written back no further than user space has it */
	reply_size = min_t(size_t, info.argsz, sizeof(info));

	ioas = iommufd_compat_ioas_get(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	chain = iommufd_vfio_query(&ioas->iopt, &info);
	iommufd_put_object(ictx, &ioas->obj);
	if (IS_ERR(chain))
		return PTR_ERR(chain);

	info.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	if (chain) {
		info.cap_offset = sizeof(info);
		if (copy_to_user(uarg + sizeof(info), chain,
				 info.argsz - sizeof(info)))
			rc = -EFAULT;
		kfree(chain);
	}
	if (!rc && copy_to_user(uarg, &info, reply_size))
		rc = -EFAULT;
	return rc;
}

/*
 * VFIO_IOMMU_MAP_DMA: map user memory, or an mmap()ed vfio-pci BAR, at the
 * IOVA user space chose
 */
static long iommufd_vfio_map_dma(struct iommufd_ctx *ictx, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	const size_t min_size =
		offsetofend(struct vfio_iommu_type1_dma_map, size);
	const u32 known_flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	struct vfio_iommu_type1_dma_map map;
	int iommu_prot = IOMMU_CACHE;
	struct iommufd_pages *pages;
	struct iommufd_ioas *ioas;
	unsigned long start_byte = 0;
	unsigned long iova;
	int rc;

	if (copy_from_user(&map, uarg, min_size))
		return -EFAULT;
	if (map.argsz < min_size || (map.flags & ~known_flags))
		return -EINVAL;
	if (map.iova > ULONG_MAX || map.size > ULONG_MAX)
		return -EOVERFLOW;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		iommu_prot |= IOMMU_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		iommu_prot |= IOMMU_WRITE;

	ioas = iommufd_compat_ioas_get(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	/* A vfio-pci BAR becomes a revocable dma-buf mapping (P2P DMA) */
	pages = iommufd_pages_alloc_vfio_bar(ictx, u64_to_user_ptr(map.vaddr),
					     map.size, iommu_prot & IOMMU_WRITE,
					     &start_byte);
	if (pages == ERR_PTR(-EOPNOTSUPP))
		pages = iommufd_pages_alloc_user(ictx,
						 u64_to_user_ptr(map.vaddr),
						 map.size,
						 iommu_prot & IOMMU_WRITE,
						 &start_byte);
	if (IS_ERR(pages)) {
		rc = PTR_ERR(pages);
	} else {
		iova = map.iova;
		rc = iopt_map_pages(&ioas->iopt, pages, start_byte, map.size,
				    &iova, iommu_prot, true, NULL);
	}
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

/*
 * The unmap of VFIO_IOMMU_UNMAP_DMA without flags.  With large IOMMU pages
 * turned off (TYPE1 chose that) a mapping that reaches over either end of
 * the range is first cut there, as TYPE1 allowed; otherwise such a mapping
 * fails the call with -ENOENT.  An empty range unmaps nothing and is fine.
 */
static int iommufd_vfio_unmap_range(struct io_pagetable *iopt,
				    unsigned long iova, unsigned long size,
				    unsigned long *unmapped)
{
	unsigned long end;
	int rc;

	rc = iopt_check_range(iova, size, &end);
	if (rc)
		return rc;
	/* @end is 0 for a range up to the top of IOVA: nothing to cut there */
	end++;

	if (READ_ONCE(iopt->large_pages_disabled)) {
		rc = iopt_split(iopt, iova);
		if (!rc)
			rc = iopt_split(iopt, end);
		if (rc)
			return rc;
	}
	return iopt_unmap(iopt, iova, size, unmapped);
}

/*
 * VFIO_IOMMU_UNMAP_DMA: unmap an IOVA range, or everything with
 * VFIO_DMA_UNMAP_FLAG_ALL, and report how many bytes went in size.
 * Reading dirty bits while unmapping (VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)
 * is not offered: iommufd's dirty tracking replaced it.
 */
static long iommufd_vfio_unmap_dma(struct iommufd_ctx *ictx, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	const size_t min_size =
		offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	unsigned long unmapped = 0;
	struct iommufd_ioas *ioas;
	int rc;

	if (copy_from_user(&unmap, uarg, min_size))
		return -EFAULT;
	if (unmap.argsz < min_size || (unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL))
		return -EINVAL;
	if ((unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) &&
	    (unmap.iova || unmap.size))
		return -EINVAL;
	if (unmap.iova > ULONG_MAX || unmap.size > ULONG_MAX)
		return -EOVERFLOW;

	ioas = iommufd_compat_ioas_get(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL)
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	else
		rc = iommufd_vfio_unmap_range(&ioas->iopt, unmap.iova,
					      unmap.size, &unmapped);
	iommufd_put_object(ictx, &ioas->obj);

	unmap.size = unmapped;
	if (copy_to_user(uarg, &unmap, min_size))
		return -EFAULT;
	return rc;
}

/* VFIO_GET_API_VERSION: the one version VFIO has ever had */
static long iommufd_vfio_api_version(struct iommufd_ctx *ictx,
				     unsigned long arg)
{
	return VFIO_API_VERSION;
}

/*
 * The container ioctls answered here.  Each handler gets the argument as
 * it came: a value, or a user pointer it converts itself.  Anything else,
 * VFIO_IOMMU_DIRTY_PAGES among them (iommufd's HWPT dirty tracking
 * replaced it), is -ENOTTY.
 */
static const struct {
	unsigned int cmd;
	long (*handler)(struct iommufd_ctx *ictx, unsigned long arg);
} iommufd_vfio_cmds[] = {
	{ VFIO_GET_API_VERSION, iommufd_vfio_api_version },
	{ VFIO_CHECK_EXTENSION, iommufd_vfio_check_extension },
	{ VFIO_SET_IOMMU, iommufd_vfio_set_iommu },
	{ VFIO_IOMMU_GET_INFO, iommufd_vfio_get_info },
	{ VFIO_IOMMU_MAP_DMA, iommufd_vfio_map_dma },
	{ VFIO_IOMMU_UNMAP_DMA, iommufd_vfio_unmap_dma },
};

/**
 * iommufd_vfio_ioctl() - a VFIO container ioctl made on /dev/iommu
 * @ictx: the context
 * @cmd: the ioctl number, of VFIO's type and below iommufd's own numbers
 * @arg: its argument: a value or a user pointer, depending on @cmd
 *
 * Return: what VFIO's type1 backend returns for @cmd (a value or 0), a
 * negative errno, or -ENOTTY for anything else.
 */
long iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned int cmd,
			unsigned long arg)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(iommufd_vfio_cmds); i++)
		if (iommufd_vfio_cmds[i].cmd == cmd)
			return iommufd_vfio_cmds[i].handler(ictx, arg);
	return -ENOTTY;
}
