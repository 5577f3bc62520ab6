/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one way into the test build of CONFIG_IOMMUFD_TEST from the core:
 * main.c brings it up and down with iommufd_test_init() and
 * iommufd_test_exit() and dispatches the test-only ioctl, IOMMU_TEST_CMD,
 * to iommufd_test().  Without CONFIG_IOMMUFD_TEST these compile away and
 * the ioctl does not exist.
 *
 * Behind it: selftest.c owns the ioctl (it checks the command, dispatches
 * on its op and serves the ops about mock devices, domains and the IOAS),
 * selftest_access.c serves the ops about emulated accesses, and
 * mock_iommu.c is the mock IOMMU driver both of them drive.  No core file
 * knows any of them; the core's only other hook for tests is the fault
 * point iommufd_should_fail() of iommufd_private.h.
 */
#ifndef __IOMMUFD_SELFTEST_H
#define __IOMMUFD_SELFTEST_H

#include "iommufd_private.h"

#if IS_ENABLED(CONFIG_IOMMUFD_TEST)
#include "iommufd_test.h"

int __init iommufd_test_init(void);
void iommufd_test_exit(void);
int iommufd_test(struct iommufd_ucmd *ucmd);
#else
static inline int iommufd_test_init(void)
{
	return 0;
}

static inline void iommufd_test_exit(void)
{
}
#endif

#endif
