/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IOMMU_TEST_CMD ops about emulated accesses, served by
 * selftest_access.c for selftest.c's dispatcher: one function per op, each
 * called with the whole command after the dispatcher has checked
 * __reserved.
 */
#ifndef __IOMMUFD_SELFTEST_ACCESS_H
#define __IOMMUFD_SELFTEST_ACCESS_H

#include "iommufd_private.h"

struct iommu_test_cmd;

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

#endif
