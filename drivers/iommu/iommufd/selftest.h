/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IOMMU_TEST_CMD, the test-only ioctl of CONFIG_IOMMUFD_TEST.
 *
 * selftest.c owns the ioctl: it checks the command, dispatches on its op
 * and serves the ops about mock devices, domains and the IOAS.  The ops
 * about emulated accesses live in selftest_access.c, one function per op,
 * each called with the whole command after the dispatcher has checked
 * __reserved.
 *
 * iommufd_should_fail() is the fault point "fail_iommufd" (debugfs, and
 * fail-nth), placed where iommufd calls things that can fail for reasons
 * no allocation failure reproduces: pinning memory part way.  (The mock
 * driver has its own point for mapping into a domain.)  Without
 * CONFIG_IOMMUFD_TEST it is always false.
 */
#ifndef __IOMMUFD_SELFTEST_H
#define __IOMMUFD_SELFTEST_H

#include "iommufd_private.h"

struct iommu_test_cmd;

#if IS_ENABLED(CONFIG_IOMMUFD_TEST)
void iommufd_test_init(void);
void iommufd_test_exit(void);
bool iommufd_should_fail(void);

int iommufd_test(struct iommufd_ucmd *ucmd);
void iommufd_selftest_destroy(struct iommufd_object *obj);

int iommufd_test_create_access(struct iommufd_ucmd *ucmd,
			       struct iommu_test_cmd *cmd);
int iommufd_test_access_replace_ioas(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd);
int iommufd_test_access_pages(struct iommufd_ucmd *ucmd,
			      struct iommu_test_cmd *cmd);
int iommufd_test_destroy_access_pages(struct iommufd_ucmd *ucmd,
				      struct iommu_test_cmd *cmd);
int iommufd_test_access_rw(struct iommufd_ucmd *ucmd,
			   struct iommu_test_cmd *cmd);
#else
static inline void iommufd_test_init(void)
{
}

static inline void iommufd_test_exit(void)
{
}

static inline bool iommufd_should_fail(void)
{
	return false;
}
#endif

#endif
