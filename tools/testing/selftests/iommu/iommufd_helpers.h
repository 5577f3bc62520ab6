/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small helpers shared by the iommufd selftests.  Each one turns an ioctl
 * into "0 or the errno it failed with", so a test states the outcome it
 * expects in one assertion.
 */
#ifndef __SELFTEST_IOMMUFD_HELPERS_H
#define __SELFTEST_IOMMUFD_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/iommufd.h>

#include "../../../../drivers/iommu/iommufd/iommufd_test.h"

#define IOMMUFD_DEV_PATH "/dev/iommu"

#ifndef PAGE_SIZE
#define PAGE_SIZE 4096UL
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))
#endif

/* Run an ioctl; 0 on success, otherwise the errno it set */
static inline int iommufd_ioctl_err(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg) ? errno : 0;
}

static inline int iommufd_open(void)
{
	return open(IOMMUFD_DEV_PATH, O_RDWR | O_CLOEXEC);
}

static inline int iommufd_ioas_alloc_err(int fd, __u32 *ioas_id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int err;

	err = iommufd_ioctl_err(fd, IOMMU_IOAS_ALLOC, &cmd);
	if (!err)
		*ioas_id = cmd.out_ioas_id;
	return err;
}

static inline int iommufd_destroy_err(int fd, __u32 id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return iommufd_ioctl_err(fd, IOMMU_DESTROY, &cmd);
}

/* IOMMU_OPTION; on success with IOMMU_OPTION_OP_GET *val receives the value */
static inline int iommufd_option_err(int fd, __u32 option_id, __u16 op,
				     __u32 object_id, __u64 *val)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = option_id,
		.op = op,
		.object_id = object_id,
		.val64 = *val,
	};
	int err;

	err = iommufd_ioctl_err(fd, IOMMU_OPTION, &cmd);
	if (!err)
		*val = cmd.val64;
	return err;
}

/* IOMMU_IOAS_MAP; on success *iova receives the IOVA that was used */
static inline int iommufd_map_err(int fd, __u32 ioas_id, __u32 flags,
				  const void *va, __u64 length, __u64 *iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.user_va = (__u64)(uintptr_t)va,
		.length = length,
		.iova = *iova,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_IOAS_MAP, &cmd);

	if (!err)
		*iova = cmd.iova;
	return err;
}

/* IOMMU_IOAS_UNMAP; on success *unmapped (if given) receives the byte count */
static inline int iommufd_unmap_err(int fd, __u32 ioas_id, __u64 iova,
				    __u64 length, __u64 *unmapped)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = length,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_IOAS_UNMAP, &cmd);

	if (!err && unmapped)
		*unmapped = cmd.length;
	return err;
}

/* IOMMU_IOAS_COPY; on success *dst_iova receives the IOVA that was used */
static inline int iommufd_copy_err(int fd, __u32 dst_ioas_id, __u32 src_ioas_id,
				   __u32 flags, __u64 src_iova, __u64 length,
				   __u64 *dst_iova)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = dst_ioas_id,
		.src_ioas_id = src_ioas_id,
		.length = length,
		.dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_IOAS_COPY, &cmd);

	if (!err)
		*dst_iova = cmd.dst_iova;
	return err;
}

/*
 * IOMMU_HWPT_ALLOC of a plain paging HWPT for device @dev_id, linked to IOAS
 * @pt_id; on success *hwpt_id receives its ID
 */
static inline int iommufd_hwpt_alloc_err(int fd, __u32 dev_id, __u32 pt_id,
					 __u32 flags, __u32 *hwpt_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!err)
		*hwpt_id = cmd.out_hwpt_id;
	return err;
}

/* ---- IOMMU_TEST_CMD (CONFIG_IOMMUFD_TEST) -------------------------------- */

static inline int iommufd_test_cmd_err(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return iommufd_ioctl_err(fd, IOMMU_TEST_CMD, cmd);
}

/*
 * A new mock device with MOCK_FLAGS_DEVICE_* @dev_flags, bound and attached
 * to IOAS (or HWPT) @pt_id.  Each output pointer may be NULL.  Destroying
 * *stdev_id detaches, unbinds and removes the device again.
 */
static inline int iommufd_mock_domain_err(int fd, __u32 pt_id, __u32 dev_flags,
					  __u32 *stdev_id, __u32 *hwpt_id,
					  __u32 *idev_id)
{
	struct iommu_test_cmd cmd = {
		.op = dev_flags ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS :
				  IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = pt_id,
		.mock_domain_flags = { .dev_flags = dev_flags },
	};
	int err = iommufd_test_cmd_err(fd, &cmd);

	if (err)
		return err;
	if (stdev_id)
		*stdev_id = cmd.mock_domain.out_stdev_id;
	if (hwpt_id)
		*hwpt_id = cmd.mock_domain.out_hwpt_id;
	if (idev_id)
		*idev_id = cmd.mock_domain.out_idev_id;
	return 0;
}

/*
 * Does mock domain (HWPT) @hwpt_id translate [iova, iova + length) to the
 * memory user space sees at @va?  EINVAL when it does not.
 */
static inline int iommufd_md_check_map_err(int fd, __u32 hwpt_id, __u64 iova,
					   __u64 length, const void *va)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt_id,
		.check_map = {
			.iova = iova,
			.length = length,
			.uptr = (__u64)(uintptr_t)va,
		},
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

/*
 * Is every small page of [va, va + length) pinned exactly @refs times?
 * EIO when one is not; pages of a compound (huge) page are not checked.
 */
static inline int iommufd_md_check_refs_err(int fd, const void *va,
					    __u64 length, __u32 refs)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = {
			.length = length,
			.uptr = (__u64)(uintptr_t)va,
			.refs = refs,
		},
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

#define IOMMUFD_MAX_DOMAINS 4

/*
 * The domains linked to one IOAS.  Without a device, linking one creates a
 * mock device attached to the IOAS, which gets an automatic domain (every
 * further mock device on that IOAS would share it), unlinked by destroying
 * the device.  With a device, linking allocates a HWPT for it, linked to
 * the IOAS at allocation and unlinked by destroying the HWPT.
 */
struct iommufd_domain_set {
	unsigned int count;
	__u32 ioas_id;
	/* The mock device HWPTs are allocated for, 0 while there is none */
	__u32 idev_id;
	__u32 stdev_id;
	__u32 hwpt_id[IOMMUFD_MAX_DOMAINS];
	/* The object whose destruction unlinks hwpt_id[i] */
	__u32 owner_id[IOMMUFD_MAX_DOMAINS];
};

static inline int
iommufd_link_domain(int fd, struct iommufd_domain_set *domains, __u32 dev_flags)
{
	unsigned int slot = domains->count;
	__u32 hwpt_id, owner_id;
	int err;

	if (slot == IOMMUFD_MAX_DOMAINS)
		return -1;
	if (!domains->idev_id) {
		err = iommufd_mock_domain_err(fd, domains->ioas_id, dev_flags,
					      &domains->stdev_id, &hwpt_id,
					      &domains->idev_id);
		owner_id = domains->stdev_id;
	} else {
		err = iommufd_hwpt_alloc_err(fd, domains->idev_id,
					     domains->ioas_id, 0, &hwpt_id);
		owner_id = hwpt_id;
	}
	if (err)
		return err;
	domains->hwpt_id[slot] = hwpt_id;
	domains->owner_id[slot] = owner_id;
	domains->count++;
	return 0;
}

/* Unlink the newest domain */
static inline int iommufd_unlink_domain(int fd,
					struct iommufd_domain_set *domains)
{
	__u32 owner_id;
	int err;

	if (!domains->count)
		return -1;
	owner_id = domains->owner_id[domains->count - 1];
	err = iommufd_destroy_err(fd, owner_id);
	if (err)
		return err;
	if (owner_id == domains->stdev_id)
		domains->idev_id = 0;
	domains->count--;
	return 0;
}

/* Another set of domains for the IOAS of @domains, using its device */
static inline struct iommufd_domain_set
iommufd_more_domains_for(const struct iommufd_domain_set *domains)
{
	struct iommufd_domain_set more = {
		.ioas_id = domains->ioas_id,
		.idev_id = domains->idev_id,
		.stdev_id = domains->stdev_id,
	};

	return more;
}

/* 0 if every domain translates [iova, iova + length) to @va, else the error */
static inline int
iommufd_check_domains(int fd, const struct iommufd_domain_set *domains,
		      __u64 iova, __u64 length, const void *va)
{
	unsigned int i;
	int err;

	for (i = 0; i != domains->count; i++) {
		err = iommufd_md_check_map_err(fd, domains->hwpt_id[i], iova,
					       length, va);
		if (err)
			return err;
	}
	return 0;
}

/* Default of IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, to restore after a test */
#define IOMMUFD_TEST_DEFAULT_MEMORY_LIMIT 65536

/* Bound the kernel's temporary buffers (system wide) to @limit bytes */
static inline int iommufd_set_temp_memory_limit_err(int fd, __u32 limit)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
		.memory_limit = { .limit = limit },
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

#endif
