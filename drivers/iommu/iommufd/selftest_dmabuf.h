/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The mock dma-buf exporter of the test build (selftest_dmabuf.c): a
 * revocable buffer of kernel memory that IOMMU_IOAS_MAP_FILE takes like a
 * vfio-pci BAR, so that the import and revoke paths run without a device.
 */
#ifndef __IOMMUFD_SELFTEST_DMABUF_H
#define __IOMMUFD_SELFTEST_DMABUF_H

struct iommu_test_cmd;
struct iommufd_ucmd;

int iommufd_test_dmabuf_get(struct iommufd_ucmd *ucmd,
			    struct iommu_test_cmd *cmd);
int iommufd_test_dmabuf_revoke(struct iommufd_ucmd *ucmd,
			       struct iommu_test_cmd *cmd);
int iommufd_test_md_check_dmabuf(struct iommufd_ucmd *ucmd,
				 struct iommu_test_cmd *cmd);

#endif
