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
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/iommufd.h>

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

#endif
