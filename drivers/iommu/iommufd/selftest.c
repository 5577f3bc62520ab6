// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU_TEST_CMD: the dispatcher, and the ops about mock devices, their
 * domains and the IOAS.  selftest.h says how the work is split.
 */
#include <linux/cleanup.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fault-inject.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "../iommu-priv.h"
#include "device.h"
#include "hw_pagetable.h"
#include "ioas.h"
#include "iommufd_test.h"
#include "mock_iommu.h"
#include "pages.h"
#include "selftest.h"
#include "selftest_access.h"
#include "selftest_dmabuf.h"

/**
 * struct iommufd_selftest_dev - a mock device bound and attached for a test
 * @obj: the object header; destroying it unbinds and removes the device
 * @mdev: the mock device, or NULL before it exists
 * @idev: its binding to the context, or NULL before it exists
 *
 * The members are filled in one by one as the device is set up, so that
 * the destroy callback can also undo a setup that failed half way.
 */
struct iommufd_selftest_dev {
	struct iommufd_object obj;
	struct mock_dev *mdev;
	struct iommufd_device *idev;
};

static_assert(offsetof(struct iommufd_selftest_dev, obj) == 0);

static DECLARE_FAULT_ATTR(fail_iommufd);
static struct dentry *fail_iommufd_dir;

/**
 * iommufd_should_fail() - whether a fault point of iommufd should fail now
 *
 * Context: any context.
 * Return: true when fault injection (the "fail_iommufd" knobs, or the
 * calling task's fail-nth) picks this call.
 */
bool iommufd_should_fail(void)
{
	return should_fail(&fail_iommufd, 1);
}

/**
 * iommufd_test_init() - bring up the test build
 *
 * Sets up the debugfs knobs of the fault point (without debugfs fail-nth
 * still reaches it, so failing there is not fatal) and the mock IOMMU, so
 * that it exists before anyone can ask for a mock device.
 *
 * Context: module init.
 * Return: 0, or the error of the mock IOMMU's setup.
 */
int __init iommufd_test_init(void)
{
	int rc;

	fail_iommufd_dir = fault_create_debugfs_attr("fail_iommufd", NULL,
						     &fail_iommufd);
	rc = mock_iommu_init();
	if (rc)
		debugfs_remove_recursive(fail_iommufd_dir);
	return rc;
}

/**
 * iommufd_test_exit() - take down what iommufd_test_init() set up
 *
 * Context: module exit.
 */
void iommufd_test_exit(void)
{
	mock_iommu_exit();
	debugfs_remove_recursive(fail_iommufd_dir);
}

/* Owner of the IOVA that IOMMU_TEST_OP_ADD_RESERVED reserves */
static const u8 iommufd_test_reservation_owner;

/**
 * iommufd_selftest_destroy() - remove the mock device of a selftest object
 * @obj: the selftest object
 */
static void iommufd_selftest_destroy(struct iommufd_object *obj)
{
	struct iommufd_selftest_dev *stdev =
		container_of(obj, struct iommufd_selftest_dev, obj);

	/* Tests may leave PASIDs attached; the RID is detached with them */
	if (stdev->idev)
		iommufd_device_detach_all(stdev->idev);
	if (stdev->idev)
		iommufd_device_unbind(stdev->idev);
	if (stdev->mdev)
		mock_dev_destroy(stdev->mdev);
}

static const struct iommufd_object_ops iommufd_selftest_ops = {
	.destroy = iommufd_selftest_destroy,
};

static struct iommufd_selftest_dev *
iommufd_get_selftest_dev(struct iommufd_ctx *ictx, u32 id)
{
	return container_of(iommufd_get_object(ictx, id, IOMMUFD_OBJ_SELFTEST),
			    struct iommufd_selftest_dev, obj);
}

/*
 * A new mock device with @dev_flags, in the IOMMU group of @group_peer or
 * in one of its own, bound to the context and attached to @pt_id; its IDs
 * are written to @cmd's mock_domain members.
 */
static int iommufd_test_new_mock_device(struct iommufd_ucmd *ucmd,
					struct iommu_test_cmd *cmd,
					u32 dev_flags,
					struct mock_dev *group_peer)
{
	struct iommufd_selftest_dev *stdev;
	u32 pt_id = cmd->id;
	u32 idev_id;
	int rc;

	stdev = iommufd_object_alloc(ucmd->ictx, struct iommufd_selftest_dev,
				     IOMMUFD_OBJ_SELFTEST,
				     &iommufd_selftest_ops);
	if (IS_ERR(stdev))
		return PTR_ERR(stdev);

	stdev->mdev = mock_dev_create(dev_flags, group_peer);
	if (IS_ERR(stdev->mdev)) {
		rc = PTR_ERR(stdev->mdev);
		stdev->mdev = NULL;
		goto err_destroy;
	}
	/* The selftest object is inside the context: see the binding's doc */
	stdev->idev = iommufd_device_bind_owned(ucmd->ictx,
						mock_dev_device(stdev->mdev),
						&idev_id);
	if (IS_ERR(stdev->idev)) {
		rc = PTR_ERR(stdev->idev);
		stdev->idev = NULL;
		goto err_destroy;
	}
	rc = iommufd_device_attach(stdev->idev, IOMMU_NO_PASID, &pt_id);
	if (rc)
		goto err_destroy;

	/* mock_domain_flags and mock_domain_in_group share this layout */
	cmd->mock_domain.out_stdev_id = stdev->obj.id;
	cmd->mock_domain.out_hwpt_id = pt_id;
	cmd->mock_domain.out_idev_id = idev_id;
	return iommufd_object_publish_to_user(ucmd, &stdev->obj, sizeof(*cmd));

err_destroy:
	iommufd_object_abort_and_destroy(ucmd->ictx, &stdev->obj);
	return rc;
}

/* IOMMU_TEST_OP_MOCK_DOMAIN and _FLAGS: a new mock device attached to @id */
static int iommufd_test_mock_domain(struct iommufd_ucmd *ucmd,
				    struct iommu_test_cmd *cmd)
{
	u32 dev_flags = 0;

	if (cmd->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
		dev_flags = cmd->mock_domain_flags.dev_flags;
	return iommufd_test_new_mock_device(ucmd, cmd, dev_flags, NULL);
}

/*
 * IOMMU_TEST_OP_MOCK_DOMAIN_IN_GROUP: the same, the new device joining the
 * IOMMU group of selftest device group_peer_id.  Holding the peer's object
 * keeps its mock device alive until the new one is probed.
 */
static int iommufd_test_mock_domain_in_group(struct iommufd_ucmd *ucmd,
					     struct iommu_test_cmd *cmd)
{
	struct iommufd_selftest_dev *peer;
	int rc;

	peer = iommufd_get_selftest_dev(ucmd->ictx,
					cmd->mock_domain_in_group.group_peer_id);
	if (IS_ERR(peer))
		return PTR_ERR(peer);
	rc = iommufd_test_new_mock_device(ucmd, cmd,
					  cmd->mock_domain_in_group.dev_flags,
					  peer->mdev);
	iommufd_put_object(ucmd->ictx, &peer->obj);
	return rc;
}

/* IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: move selftest device @id to @pt_id */
static int iommufd_test_mock_domain_replace(struct iommufd_ucmd *ucmd,
					    struct iommu_test_cmd *cmd)
{
	u32 pt_id = cmd->mock_domain_replace.pt_id;
	struct iommufd_selftest_dev *stdev;
	int rc;

	/*
	 * Through the selftest object rather than the device ID: while we
	 * hold it, its destroy (which detaches) has to wait for us.
	 */
	stdev = iommufd_get_selftest_dev(ucmd->ictx, cmd->id);
	if (IS_ERR(stdev))
		return PTR_ERR(stdev);

	rc = iommufd_device_replace(stdev->idev, IOMMU_NO_PASID, &pt_id);
	if (!rc) {
		cmd->mock_domain_replace.pt_id = pt_id;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(ucmd->ictx, &stdev->obj);
	return rc;
}

/* IOMMU_TEST_OP_ADD_RESERVED: reserve an IOVA range in IOAS @id */
static int iommufd_test_add_reserved(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	u64 start = cmd->add_reserved.start;
	u64 length = cmd->add_reserved.length;
	struct iommufd_ioas *ioas;
	u64 last;
	int rc;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(start, length - 1, &last))
		return -EOVERFLOW;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iopt_reserve(&ioas->iopt, start, last,
			  &iommufd_test_reservation_owner);
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

/* The IO page at @iova must translate to the byte at user address @uptr */
static int iommufd_test_check_io_page(struct iommu_domain *domain,
				      unsigned long iova, unsigned long uptr)
{
	phys_addr_t user_phys, io_phys;
	struct page *page;
	int npages;

	npages = get_user_pages_fast(uptr & PAGE_MASK, 1, 0, &page);
	if (npages < 0)
		return npages;
	if (WARN_ON(npages != 1))
		return -EFAULT;
	user_phys = page_to_phys(page) + offset_in_page(uptr);
	put_page(page);

	if (mock_domain_lookup_phys(domain, iova, &io_phys) ||
	    io_phys != user_phys)
		return -EINVAL;
	return 0;
}

/*
 * IOMMU_TEST_OP_MD_CHECK_MAP: the mock paging HWPT @id maps the IOVA range
 * onto the memory behind the user range, IO page by IO page.
 */
static int iommufd_test_md_check_map(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	u64 iova = cmd->check_map.iova;
	u64 uptr = cmd->check_map.uptr;
	u64 length = cmd->check_map.length;
	struct iommufd_hwpt_paging *hwpt_paging;
	struct iommu_domain *domain;
	u64 end;
	int rc = 0;

	if ((iova | uptr | length) % MOCK_IO_PAGE_SIZE ||
	    check_add_overflow(uptr, length, &end) ||
	    check_add_overflow(iova, length, &end))
		return -EINVAL;

	hwpt_paging = iommufd_get_hwpt_paging(ucmd->ictx, cmd->id);
	if (IS_ERR(hwpt_paging))
		return PTR_ERR(hwpt_paging);
	domain = hwpt_paging->common.domain;
	if (!mock_domain_is_paging(domain))
		rc = -EINVAL;

	for (; !rc && length; length -= MOCK_IO_PAGE_SIZE) {
		rc = iommufd_test_check_io_page(domain, iova, uptr);
		iova += MOCK_IO_PAGE_SIZE;
		uptr += MOCK_IO_PAGE_SIZE;
		cond_resched();
	}
	iommufd_put_object(ucmd->ictx, &hwpt_paging->common.obj);
	return rc;
}

/*
 * A pin (FOLL_PIN) counts as GUP_PIN_COUNTING_BIAS references on a small
 * folio, so while fewer plain references exist than the bias, the
 * reference count divided by the bias is the number of pins.  A large
 * folio counts the pins of all its pages together, which says nothing
 * about one page: like upstream, those pass unchecked.
 */
static int iommufd_test_check_page_pins(unsigned long uptr,
					unsigned int expected_pins)
{
	struct folio *folio;
	struct page *page;
	int npages, rc = 0;

	npages = get_user_pages_fast(uptr, 1, 0, &page);
	if (npages < 0)
		return npages;
	if (WARN_ON(npages != 1))
		return -EFAULT;
	folio = page_folio(page);
	if (!folio_test_large(folio) &&
	    folio_ref_count(folio) / GUP_PIN_COUNTING_BIAS != expected_pins)
		rc = -EIO;
	put_page(page);
	return rc;
}

/* IOMMU_TEST_OP_MD_CHECK_REFS: every page of the user range has @refs pins */
static int iommufd_test_md_check_refs(struct iommufd_ucmd *ucmd,
				      struct iommu_test_cmd *cmd)
{
	u64 uptr = cmd->check_refs.uptr;
	u64 length = cmd->check_refs.length;
	u64 end;
	int rc;

	if ((uptr | length) % PAGE_SIZE ||
	    check_add_overflow(uptr, length, &end))
		return -EINVAL;

	for (; length; length -= PAGE_SIZE, uptr += PAGE_SIZE) {
		rc = iommufd_test_check_page_pins(uptr, cmd->check_refs.refs);
		if (rc)
			return rc;
		cond_resched();
	}
	return 0;
}

/* IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT */
static int iommufd_test_set_temp_memory_limit(struct iommufd_ucmd *ucmd,
					      struct iommu_test_cmd *cmd)
{
	/* The ABI refuses less than one batch entry: a PFN and a run length */
	if (cmd->memory_limit.limit < sizeof(unsigned long) + sizeof(u32))
		return -EINVAL;
	iommufd_pages_set_temp_limit(cmd->memory_limit.limit);
	return 0;
}

/* Most bits one DIRTY call may carry: a 16 MiB bitmap */
#define IOMMUFD_TEST_DIRTY_MAX_BITS (SZ_16M * BITS_PER_BYTE)

/* A kernel copy of the @nbits bits of the user bitmap at @uptr */
static unsigned long *iommufd_test_copy_bitmap(u64 uptr, unsigned long nbits)
{
	unsigned long *bitmap;

	bitmap = kvcalloc(BITS_TO_LONGS(nbits), sizeof(*bitmap),
			  GFP_KERNEL_ACCOUNT);
	if (!bitmap)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(bitmap, u64_to_user_ptr(uptr),
			   DIV_ROUND_UP(nbits, BITS_PER_BYTE))) {
		kvfree(bitmap);
		return ERR_PTR(-EFAULT);
	}
	return bitmap;
}

/*
 * IOMMU_TEST_OP_DIRTY: play the device of mock paging HWPT @id writing to
 * the IOVA of every bit set in the user bitmap, one bit per page_size.
 */
static int iommufd_test_dirty(struct iommufd_ucmd *ucmd,
			      struct iommu_test_cmd *cmd)
{
	u64 page_size = cmd->dirty.page_size;
	u64 length = cmd->dirty.length;
	u64 iova = cmd->dirty.iova;
	struct iommufd_hwpt_paging *hwpt_paging;
	unsigned long nbits, nr_marked;
	unsigned long *written;
	u64 end;
	int rc;

	if (!page_size || !length || iova % page_size || length % page_size ||
	    !cmd->dirty.uptr || check_add_overflow(iova, length, &end))
		return -EINVAL;
	if (length / page_size > IOMMUFD_TEST_DIRTY_MAX_BITS)
		return -EOVERFLOW;
	nbits = length / page_size;

	hwpt_paging = iommufd_get_hwpt_paging(ucmd->ictx, cmd->id);
	if (IS_ERR(hwpt_paging))
		return PTR_ERR(hwpt_paging);
	written = iommufd_test_copy_bitmap(cmd->dirty.uptr, nbits);
	if (IS_ERR(written))
		rc = PTR_ERR(written);
	else if (!mock_domain_is_paging(hwpt_paging->common.domain))
		rc = -EINVAL;
	else
		rc = mock_domain_set_dirty(hwpt_paging->common.domain, iova,
					   page_size, written, nbits,
					   &nr_marked);
	iommufd_put_object(ucmd->ictx, &hwpt_paging->common.obj);
	if (!IS_ERR(written))
		kvfree(written);
	if (rc)
		return rc;

	cmd->dirty.out_nr_dirty = nr_marked;
	return iommufd_ucmd_respond(ucmd, sizeof(*cmd));
}

/*
 * IOMMU_TEST_OP_MD_CHECK_IOTLB: entry check_iotlb.id of the IOTLB of mock
 * nested HWPT @id holds check_iotlb.iotlb
 */
static int iommufd_test_md_check_iotlb(struct iommufd_ucmd *ucmd,
				       struct iommu_test_cmd *cmd)
{
	struct iommufd_hwpt_nested *hwpt_nested;
	struct iommu_domain *domain;
	int rc = -EINVAL;

	hwpt_nested = iommufd_get_hwpt_nested(ucmd->ictx, cmd->id);
	if (IS_ERR(hwpt_nested))
		return PTR_ERR(hwpt_nested);
	domain = hwpt_nested->common.domain;
	if (mock_domain_is_nested(domain))
		rc = mock_nested_domain_check_iotlb(domain,
						    cmd->check_iotlb.id,
						    cmd->check_iotlb.iotlb);
	iommufd_put_object(ucmd->ictx, &hwpt_nested->common.obj);
	return rc;
}

/* The mock device behind device @dev_id, with a short-term reference */
static struct iommufd_device *iommufd_test_get_mock_idev(struct iommufd_ctx *ictx,
							 u32 dev_id,
							 struct mock_dev **mdev)
{
	struct iommufd_device *idev = iommufd_get_device(ictx, dev_id);

	if (IS_ERR(idev))
		return idev;
	*mdev = mock_dev_from_device(idev->dev);
	if (!*mdev) {
		iommufd_put_object(ictx, &idev->obj);
		return ERR_PTR(-EINVAL);
	}
	return idev;
}

/*
 * IOMMU_TEST_OP_TRIGGER_IOPF: the mock device behind device @dev_id raises
 * a page request.  As upstream's, it succeeds whether a fault queue took
 * the request or the core answered it as invalid for want of a handler.
 */
static int iommufd_test_trigger_iopf(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	struct iommufd_device *idev;
	struct mock_dev *mdev;

	idev = iommufd_test_get_mock_idev(ucmd->ictx, cmd->trigger_iopf.dev_id,
					  &mdev);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	mock_dev_report_page_request(mdev, cmd->trigger_iopf.pasid,
				     cmd->trigger_iopf.grpid,
				     cmd->trigger_iopf.perm,
				     cmd->trigger_iopf.addr);
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return 0;
}

/*
 * IOMMU_TEST_OP_DEV_CHECK_CACHE: entry check_dev_cache.id of the device
 * cache of the mock device behind device @id holds check_dev_cache.cache
 */
static int iommufd_test_dev_check_cache(struct iommufd_ucmd *ucmd,
					struct iommu_test_cmd *cmd)
{
	struct iommufd_device *idev;
	struct mock_dev *mdev;
	int rc;

	idev = iommufd_test_get_mock_idev(ucmd->ictx, cmd->id, &mdev);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	rc = mock_dev_check_cache(mdev, cmd->check_dev_cache.id,
				  cmd->check_dev_cache.cache);
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}

/*
 * IOMMU_TEST_OP_TRIGGER_VEVENT: the mock device behind device @dev_id
 * reports an event to its vIOMMU
 */
static int iommufd_test_trigger_vevent(struct iommufd_ucmd *ucmd,
				       struct iommu_test_cmd *cmd)
{
	struct iommufd_device *idev;
	struct mock_dev *mdev;
	int rc;

	idev = iommufd_test_get_mock_idev(ucmd->ictx,
					  cmd->trigger_vevent.dev_id, &mdev);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	rc = mock_dev_report_vevent(mdev);
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}

/*
 * IOMMU_TEST_OP_PASID_ATTACH and _REPLACE: attach, or move, PASID @pasid
 * of selftest device @id to @pt_id, and report the HWPT it got
 */
static int iommufd_test_pasid_change(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd, bool replace)
{
	/* The two ops share this layout */
	u32 pasid = cmd->pasid_attach.pasid;
	u32 pt_id = cmd->pasid_attach.pt_id;
	struct iommufd_selftest_dev *stdev;
	int rc;

	stdev = iommufd_get_selftest_dev(ucmd->ictx, cmd->id);
	if (IS_ERR(stdev))
		return PTR_ERR(stdev);
	/* The RID has its own ops: these are for PASIDs only */
	if (pasid == IOMMU_NO_PASID)
		rc = -EINVAL;
	else if (replace)
		rc = iommufd_device_replace(stdev->idev, pasid, &pt_id);
	else
		rc = iommufd_device_attach(stdev->idev, pasid, &pt_id);
	if (!rc) {
		cmd->pasid_attach.pt_id = pt_id;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
		/* An attach user space never heard of is undone */
		if (rc && !replace)
			iommufd_device_detach(stdev->idev, pasid);
	}
	iommufd_put_object(ucmd->ictx, &stdev->obj);
	return rc;
}

/* IOMMU_TEST_OP_PASID_DETACH: detach PASID @pasid of selftest device @id */
static int iommufd_test_pasid_detach(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	struct iommufd_selftest_dev *stdev;

	if (cmd->pasid_detach.pasid == IOMMU_NO_PASID)
		return -EINVAL;
	stdev = iommufd_get_selftest_dev(ucmd->ictx, cmd->id);
	if (IS_ERR(stdev))
		return PTR_ERR(stdev);
	iommufd_device_detach(stdev->idev, cmd->pasid_detach.pasid);
	iommufd_put_object(ucmd->ictx, &stdev->obj);
	return 0;
}

/*
 * IOMMU_TEST_OP_PASID_CHECK_HWPT: what the iommu core has for PASID
 * @pasid of selftest device @id is the domain of HWPT @hwpt_id, or nothing
 * for @hwpt_id 0.  Asks the core, not iommufd's own records, so that it
 * also catches the two disagreeing.
 */
static int iommufd_test_pasid_check_hwpt(struct iommufd_ucmd *ucmd,
					 struct iommu_test_cmd *cmd)
{
	struct iommu_domain *expected = NULL, *found = NULL;
	struct iommufd_selftest_dev *stdev;
	struct iommu_attach_handle *handle;
	struct iommufd_object *pt_obj = NULL;
	struct iommu_group *group;
	int rc = 0;

	stdev = iommufd_get_selftest_dev(ucmd->ictx, cmd->id);
	if (IS_ERR(stdev))
		return PTR_ERR(stdev);
	if (cmd->pasid_check.hwpt_id) {
		pt_obj = iommufd_get_object(ucmd->ictx, cmd->pasid_check.hwpt_id,
					    IOMMUFD_OBJ_ANY);
		if (IS_ERR(pt_obj)) {
			rc = PTR_ERR(pt_obj);
			goto out_put_stdev;
		}
		if (pt_obj->type != IOMMUFD_OBJ_HWPT_PAGING &&
		    pt_obj->type != IOMMUFD_OBJ_HWPT_NESTED) {
			rc = -EINVAL;
			goto out_put_pt;
		}
		expected = container_of(pt_obj, struct iommufd_hwpt, obj)->domain;
	}

	group = stdev->idev->dev->iommu_group;
	/* Attach and detach are serialised with the lookup by the group lock */
	scoped_guard(mutex, &stdev->idev->igroup->lock) {
		handle = iommu_attach_handle_get(group, cmd->pasid_check.pasid,
						 0);
		if (!IS_ERR(handle))
			found = handle->domain;
	}
	if (found != expected)
		rc = -EINVAL;
out_put_pt:
	if (pt_obj)
		iommufd_put_object(ucmd->ictx, pt_obj);
out_put_stdev:
	iommufd_put_object(ucmd->ictx, &stdev->obj);
	return rc;
}

/**
 * iommufd_test() - the IOMMU_TEST_CMD ioctl
 * @ucmd: the ioctl, holding a struct iommu_test_cmd
 *
 * Context: process context; may sleep.
 * Return: 0 or the op's result; -EOPNOTSUPP for a non-zero __reserved or
 * an unknown op.
 */
int iommufd_test(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	switch (cmd->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return iommufd_test_add_reserved(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN:
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		return iommufd_test_mock_domain(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		return iommufd_test_mock_domain_replace(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN_IN_GROUP:
		return iommufd_test_mock_domain_in_group(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return iommufd_test_md_check_map(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return iommufd_test_md_check_refs(ucmd, cmd);
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		return iommufd_test_set_temp_memory_limit(ucmd, cmd);
	case IOMMU_TEST_OP_CREATE_ACCESS:
		return iommufd_test_create_access(ucmd, cmd);
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		return iommufd_test_access_replace_ioas(ucmd, cmd);
	case IOMMU_TEST_OP_ACCESS_PAGES:
		return iommufd_test_access_pages(ucmd, cmd);
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		return iommufd_test_destroy_access_pages(ucmd, cmd);
	case IOMMU_TEST_OP_ACCESS_RW:
		return iommufd_test_access_rw(ucmd, cmd);
	case IOMMU_TEST_OP_DIRTY:
		return iommufd_test_dirty(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		return iommufd_test_md_check_iotlb(ucmd, cmd);
	case IOMMU_TEST_OP_TRIGGER_IOPF:
		return iommufd_test_trigger_iopf(ucmd, cmd);
	case IOMMU_TEST_OP_DEV_CHECK_CACHE:
		return iommufd_test_dev_check_cache(ucmd, cmd);
	case IOMMU_TEST_OP_TRIGGER_VEVENT:
		return iommufd_test_trigger_vevent(ucmd, cmd);
	case IOMMU_TEST_OP_PASID_ATTACH:
		return iommufd_test_pasid_change(ucmd, cmd, false);
	case IOMMU_TEST_OP_PASID_REPLACE:
		return iommufd_test_pasid_change(ucmd, cmd, true);
	case IOMMU_TEST_OP_PASID_DETACH:
		return iommufd_test_pasid_detach(ucmd, cmd);
	case IOMMU_TEST_OP_PASID_CHECK_HWPT:
		return iommufd_test_pasid_check_hwpt(ucmd, cmd);
	case IOMMU_TEST_OP_DMABUF_GET:
		return iommufd_test_dmabuf_get(ucmd, cmd);
	case IOMMU_TEST_OP_DMABUF_REVOKE:
		return iommufd_test_dmabuf_revoke(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_DMABUF:
		return iommufd_test_md_check_dmabuf(ucmd, cmd);
	default:
		return -EOPNOTSUPP;
	}
}
