// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU_TEST_CMD ops that drive an emulated access (interim: not yet
 * implemented).
 */
#include "iommufd_test.h"
#include "selftest.h"

int iommufd_test_create_access(struct iommufd_ucmd *ucmd,
			       struct iommu_test_cmd *cmd)
{
	return -EOPNOTSUPP;
}

int iommufd_test_access_replace_ioas(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	return -EOPNOTSUPP;
}

int iommufd_test_access_pages(struct iommufd_ucmd *ucmd,
			      struct iommu_test_cmd *cmd)
{
	return -EOPNOTSUPP;
}

int iommufd_test_destroy_access_pages(struct iommufd_ucmd *ucmd,
				      struct iommu_test_cmd *cmd)
{
	return -EOPNOTSUPP;
}

int iommufd_test_access_rw(struct iommufd_ucmd *ucmd,
			   struct iommu_test_cmd *cmd)
{
	return -EOPNOTSUPP;
}
