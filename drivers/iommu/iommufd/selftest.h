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
 * knows any of them; the core's only other hooks for tests are the fault
 * point iommufd_should_fail() of iommufd_private.h and the mock dma-buf
 * exporter's iommufd_test_dmabuf_range() (selftest_dmabuf.c), which
 * pages_dmabuf.c asks like it asks vfio-pci.
 */
#ifndef __IOMMUFD_SELFTEST_H
#define __IOMMUFD_SELFTEST_H

#include "iommufd_private.h"

struct dma_buf_attachment;

#if IS_ENABLED(CONFIG_IOMMUFD_TEST)
#include "iommufd_test.h"

int __init iommufd_test_init(void);
void iommufd_test_exit(void);
int iommufd_test(struct iommufd_ucmd *ucmd);
int iommufd_test_dmabuf_range(struct dma_buf_attachment *attach,
			      phys_addr_t *paddr, size_t *len);
#else
static inline int iommufd_test_init(void)
{
	return 0;
}

static inline void iommufd_test_exit(void)
{
}

static inline int iommufd_test_dmabuf_range(struct dma_buf_attachment *attach,
					    phys_addr_t *paddr, size_t *len)
{
	return -EOPNOTSUPP;
}
#endif

#endif
