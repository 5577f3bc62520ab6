/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The I/O address space object (IOAS): a set of IOVA -> user memory
 * mappings that domains and emulated accesses are attached to.
 */
#ifndef __IOMMUFD_IOAS_H
#define __IOMMUFD_IOAS_H

#include "iommufd_private.h"

/**
 * struct iommufd_ioas - an I/O address space
 * @obj: the object header; the ID user space names the IOAS by
 * @large_pages_disabled: IOMMU_OPTION_HUGE_PAGES was set to 0: map every
 *                        page on its own instead of combining contiguous
 *                        runs into larger IOMMU pages
 */
struct iommufd_ioas {
	struct iommufd_object obj;
	bool large_pages_disabled;
};

static_assert(offsetof(struct iommufd_ioas, obj) == 0);

int iommufd_ioas_alloc_cmd(struct iommufd_ucmd *ucmd);
int iommufd_ioas_option_huge_pages(struct iommufd_ucmd *ucmd);
void iommufd_ioas_destroy(struct iommufd_object *obj);

#endif
