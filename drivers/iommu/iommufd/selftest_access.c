// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU_TEST_CMD ops that drive an emulated access the way a mediated
 * device driver would.
 *
 * CREATE_ACCESS makes an access, attached to an IOAS, owned by a new file
 * descriptor: the access lives until that descriptor is closed.  The other
 * ops name the access by that descriptor.  Like a real owner, the
 * descriptor remembers what it pinned, by pin ID, so that its unmap
 * callback can unpin whatever an unmap or a move to another IOAS revokes;
 * a revoked pin's ID is gone afterwards.
 */
#include <linux/anon_inodes.h>
#include <linux/cleanup.h>
#include <linux/file.h>
#include <linux/iommufd.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "access.h"
#include "ioas.h"
#include "iommufd_test.h"
#include "selftest_access.h"

/* Larger pins and copies are refused before any kernel memory is sized */
#define TEST_ACCESS_MAX_BYTES SZ_16M

/**
 * struct test_access - the owner behind an access file descriptor
 * @access: the access, owned; NULL until created
 * @ictx: the context the access lives in; only its ioctls may use it
 * @file: the anonymous file the descriptor refers to
 * @pins_pages: created with MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES
 * @pins_lock: held across pinning and recording a pin, so the unmap
 *             callback always finds every pin that exists
 * @pins: pin ID -> struct test_access_pin
 * @next_pin_id: where the cyclic allocation of pin IDs goes on, so that a
 *               revoked pin's ID does not name a new pin right away
 */
struct test_access {
	struct iommufd_access *access;
	struct iommufd_ctx *ictx;
	struct file *file;
	bool pins_pages;
	/* Orders pins against the unmap callback, see above */
	struct mutex pins_lock;
	struct xarray pins;
	u32 next_pin_id;
};

/**
 * struct test_access_pin - one successful ACCESS_PAGES
 * @iova: first IOVA pinned
 * @length: bytes pinned
 */
struct test_access_pin {
	unsigned long iova;
	unsigned long length;
};

static bool test_access_pin_overlaps(struct test_access_pin *pin,
				     unsigned long first, unsigned long last)
{
	return pin->iova <= last && pin->iova + (pin->length - 1) >= first;
}

/* The owner's unmap callback: unpin every pin touching the range */
static void test_access_unmap(void *data, unsigned long iova,
			      unsigned long length)
{
	struct test_access *staccess = data;
	struct test_access_pin *pin;
	unsigned long last;
	unsigned long id;

	if (check_add_overflow(iova, length - 1, &last))
		last = ULONG_MAX;

	guard(mutex)(&staccess->pins_lock);
	xa_for_each(&staccess->pins, id, pin) {
		if (!test_access_pin_overlaps(pin, iova, last))
			continue;
		xa_erase(&staccess->pins, id);
		iommufd_access_unpin_pages(staccess->access, pin->iova,
					   pin->length);
		kfree(pin);
	}
}

static const struct iommufd_access_ops test_access_pinning_ops = {
	.needs_pin_pages = 1,
	.unmap = test_access_unmap,
};

static const struct iommufd_access_ops test_access_copying_ops = {
	.unmap = test_access_unmap,
};

/* Closing the descriptor destroys the access, which revokes every pin */
static int test_access_release(struct inode *inode, struct file *file)
{
	struct test_access *staccess = file->private_data;

	if (staccess->access)
		iommufd_access_destroy(staccess->access);
	WARN_ON(!xa_empty(&staccess->pins));
	xa_destroy(&staccess->pins);
	mutex_destroy(&staccess->pins_lock);
	kfree(staccess);
	return 0;
}

static const struct file_operations test_access_fops = {
	.owner = THIS_MODULE,
	.release = test_access_release,
};

/*
 * The owner behind access descriptor @file, if it is one and belongs to
 * @ictx.  The caller holds the file for as long as it uses the owner.
 */
static struct test_access *test_access_from_file(struct file *file,
						 struct iommufd_ctx *ictx)
{
	struct test_access *staccess;

	if (!file || file->f_op != &test_access_fops)
		return ERR_PTR(-EBADFD);
	staccess = file->private_data;
	if (staccess->ictx != ictx)
		return ERR_PTR(-EBADFD);
	return staccess;
}

/* Unpin and forget one pin */
static int test_access_drop_pin(struct test_access *staccess, u32 pin_id)
{
	struct test_access_pin *pin;

	guard(mutex)(&staccess->pins_lock);
	pin = xa_erase(&staccess->pins, pin_id);
	if (!pin)
		return -ENOENT;
	iommufd_access_unpin_pages(staccess->access, pin->iova, pin->length);
	kfree(pin);
	return 0;
}

/*
 * The IOVA @offset bytes into mapping number @nth (in IOVA order, from 0)
 * of the IOAS @access is attached to, or 0 if it is detached or there is
 * no such mapping.  For MOCK_FLAGS_ACCESS_SYZ, where a fuzzer names IOVAs
 * it could not otherwise guess.
 */
static unsigned long test_access_nth_iova(struct iommufd_access *access,
					  unsigned int nth,
					  unsigned long offset)
{
	struct interval_tree_node *node;
	struct io_pagetable *iopt;

	guard(rwsem_read)(&access->ioas_rwsem);
	if (!access->ioas)
		return 0;
	iopt = &access->ioas->iopt;

	guard(rwsem_read)(&iopt->iova_rwsem);
	for (node = interval_tree_iter_first(&iopt->mappings, 0, ULONG_MAX);
	     node; node = interval_tree_iter_next(node, 0, ULONG_MAX))
		if (!nth--)
			return node->start + offset;
	return 0;
}

/*
 * With MOCK_FLAGS_ACCESS_SYZ an IOVA field holds, in its memory layout, a
 * u32 mapping number and then a u32 offset into that mapping.
 */
static unsigned long test_access_syz_iova(struct test_access *staccess,
					  const void *field)
{
	struct {
		u32 nth_mapping;
		u32 offset;
	} syz;

	BUILD_BUG_ON(sizeof(syz) != sizeof(u64));
	memcpy(&syz, field, sizeof(syz));
	return test_access_nth_iova(staccess->access, syz.nth_mapping,
				    syz.offset);
}

int iommufd_test_create_access(struct iommufd_ucmd *ucmd,
			       struct iommu_test_cmd *cmd)
{
	u32 flags = cmd->create_access.flags;
	struct test_access *staccess;
	struct iommufd_access *access;
	u32 access_id;
	int fdno;
	int rc;

	if (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		return -EOPNOTSUPP;

	staccess = kzalloc(sizeof(*staccess), GFP_KERNEL_ACCOUNT);
	if (!staccess)
		return -ENOMEM;
	staccess->ictx = ucmd->ictx;
	staccess->pins_pages = flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
	mutex_init(&staccess->pins_lock);
	xa_init_flags(&staccess->pins, XA_FLAGS_ALLOC | XA_FLAGS_ACCOUNT);

	staccess->file = anon_inode_getfile("[iommufd_test_access]",
					    &test_access_fops, staccess,
					    O_RDWR);
	if (IS_ERR(staccess->file)) {
		rc = PTR_ERR(staccess->file);
		mutex_destroy(&staccess->pins_lock);
		kfree(staccess);
		return rc;
	}
	/* From here on releasing the file undoes everything */

	fdno = get_unused_fd_flags(O_CLOEXEC);
	if (fdno < 0) {
		rc = fdno;
		goto out_put_file;
	}

	access = iommufd_access_create(ucmd->ictx,
				       staccess->pins_pages ?
					       &test_access_pinning_ops :
					       &test_access_copying_ops,
				       staccess, &access_id);
	if (IS_ERR(access)) {
		rc = PTR_ERR(access);
		goto out_put_fd;
	}
	/* Before attaching: unmap callbacks may come as soon as it is */
	staccess->access = access;
	rc = iommufd_access_attach(access, cmd->id);
	if (rc)
		goto out_put_fd;

	cmd->create_access.out_access_fd = fdno;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_put_fd;
	fd_install(fdno, staccess->file);
	return 0;

out_put_fd:
	put_unused_fd(fdno);
out_put_file:
	fput(staccess->file);
	return rc;
}

int iommufd_test_access_replace_ioas(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	struct test_access *staccess;

	CLASS(fd, access_fd)(cmd->id);
	staccess = test_access_from_file(fd_file(access_fd), ucmd->ictx);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	return iommufd_access_replace(staccess->access,
				      cmd->access_replace_ioas.ioas_id);
}

/* Each pinned page must be the page the user address maps now */
static int test_access_check_pages(unsigned long uaddr, struct page **pages,
				   unsigned long npages)
{
	unsigned long i;

	for (i = 0; i != npages; i++, uaddr += PAGE_SIZE) {
		struct page *user_page;
		int got;

		got = get_user_pages_fast(uaddr, 1, 0, &user_page);
		if (got < 0)
			return got;
		if (got != 1)
			return -EFAULT;
		put_page(user_page);
		if (user_page != pages[i])
			return -EBADE;
	}
	return 0;
}

/*
 * Pin, check and record under pins_lock, so that an unmap callback waits
 * until the pin can be found and released.
 */
static int test_access_pin(struct test_access *staccess, unsigned long iova,
			   unsigned long length, unsigned long uaddr,
			   unsigned int access_flags, u32 *pin_id)
{
	unsigned long npages = DIV_ROUND_UP(offset_in_page(iova) + length,
					    PAGE_SIZE);
	struct page **pages __free(kvfree) =
		kvcalloc(npages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	struct test_access_pin *pin __free(kfree) =
		kzalloc(sizeof(*pin), GFP_KERNEL_ACCOUNT);
	int rc;

	if (!pages || !pin)
		return -ENOMEM;
	pin->iova = iova;
	pin->length = length;

	guard(mutex)(&staccess->pins_lock);
	rc = iommufd_access_pin_pages(staccess->access, iova, length, pages,
				      access_flags);
	if (rc)
		return rc;
	/* user space may pass no address to skip the check */
	if (uaddr)
		rc = test_access_check_pages(uaddr - offset_in_page(iova),
					     pages, npages);
	if (!rc)
		rc = xa_alloc_cyclic(&staccess->pins, pin_id, pin, xa_limit_32b,
				     &staccess->next_pin_id,
				     GFP_KERNEL_ACCOUNT);
	if (rc < 0) {
		iommufd_access_unpin_pages(staccess->access, iova, length);
		return rc;
	}
	/* The xarray owns it now */
	retain_and_null_ptr(pin);
	return 0;
}

int iommufd_test_access_pages(struct iommufd_ucmd *ucmd,
			      struct iommu_test_cmd *cmd)
{
	unsigned long length = cmd->access_pages.length;
	unsigned long iova = cmd->access_pages.iova;
	u32 flags = cmd->access_pages.flags;
	struct test_access *staccess;
	u32 pin_id;
	int rc;

	if (length > TEST_ACCESS_MAX_BYTES)
		return -ENOMEM;
	if (flags & ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;

	CLASS(fd, access_fd)(cmd->id);
	staccess = test_access_from_file(fd_file(access_fd), ucmd->ictx);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	if (!staccess->pins_pages)
		return -EOPNOTSUPP;

	if (flags & MOCK_FLAGS_ACCESS_SYZ)
		iova = test_access_syz_iova(staccess, &cmd->access_pages.iova);

	rc = test_access_pin(staccess, iova, length, cmd->access_pages.uptr,
			     flags & MOCK_FLAGS_ACCESS_WRITE ?
				     IOMMUFD_ACCESS_RW_WRITE : 0,
			     &pin_id);
	if (rc)
		return rc;

	cmd->access_pages.out_access_pages_id = pin_id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	/* User space cannot name the pin: take it back (unless revoked) */
	if (rc)
		test_access_drop_pin(staccess, pin_id);
	return rc;
}

int iommufd_test_destroy_access_pages(struct iommufd_ucmd *ucmd,
				      struct iommu_test_cmd *cmd)
{
	struct test_access *staccess;

	CLASS(fd, access_fd)(cmd->id);
	staccess = test_access_from_file(fd_file(access_fd), ucmd->ictx);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	return test_access_drop_pin(staccess,
				    cmd->destroy_access_pages.access_pages_id);
}

/* MOCK_ACCESS_RW_* flags as iommufd_access_rw() flags */
static unsigned int test_access_rw_flags(u32 flags)
{
	unsigned int rw_flags = 0;

	if (flags & MOCK_ACCESS_RW_WRITE)
		rw_flags |= IOMMUFD_ACCESS_RW_WRITE;
	if (flags & MOCK_ACCESS_RW_SLOW_PATH)
		rw_flags |= __IOMMUFD_ACCESS_RW_SLOW_PATH;
	return rw_flags;
}

int iommufd_test_access_rw(struct iommufd_ucmd *ucmd,
			   struct iommu_test_cmd *cmd)
{
	void __user *ubuf = u64_to_user_ptr(cmd->access_rw.uptr);
	unsigned long length = cmd->access_rw.length;
	unsigned long iova = cmd->access_rw.iova;
	u32 flags = cmd->access_rw.flags;
	bool to_ioas = flags & MOCK_ACCESS_RW_WRITE;
	struct test_access *staccess;
	int rc;

	if (length > TEST_ACCESS_MAX_BYTES)
		return -ENOMEM;
	if (flags & ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH |
		      MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;

	CLASS(fd, access_fd)(cmd->id);
	staccess = test_access_from_file(fd_file(access_fd), ucmd->ictx);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);

	void *bounce __free(kvfree) = kvzalloc(length, GFP_KERNEL_ACCOUNT);
	if (!bounce)
		return -ENOMEM;
	if (to_ioas && copy_from_user(bounce, ubuf, length))
		return -EFAULT;

	if (flags & MOCK_FLAGS_ACCESS_SYZ)
		iova = test_access_syz_iova(staccess, &cmd->access_rw.iova);
	rc = iommufd_access_rw(staccess->access, iova, bounce, length,
			       test_access_rw_flags(flags));
	if (rc)
		return rc;
	if (!to_ioas && copy_to_user(ubuf, bounce, length))
		return -EFAULT;
	return 0;
}
