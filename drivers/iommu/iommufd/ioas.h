/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The I/O address space object (IOAS): an I/O page table that user space
 * fills with IOMMU_IOAS_MAP and friends, and that domains and emulated
 * accesses are attached to.
 */
#ifndef __IOMMUFD_IOAS_H
#define __IOMMUFD_IOAS_H

#include <linux/list.h>
#include <linux/mutex.h>

#include "io_pagetable.h"
#include "iommufd_private.h"

/**
 * struct iommufd_ioas - an I/O address space
 * @obj: the object header; the ID user space names the IOAS by
 * @ictx: the context it lives in
 * @iopt: its mappings, IOVA ranges, linked domains and accesses
 * @mutex: serialises finding or creating an automatic domain for a device
 *         attached straight to the IOAS
 * @auto_hwpts: the automatic paging HWPTs of the IOAS (struct
 *              iommufd_hwpt_paging, linked by auto_link), under @mutex
 */
struct iommufd_ioas {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct io_pagetable iopt;
	struct mutex mutex; /* protects auto_hwpts */
	struct list_head auto_hwpts;
};

static_assert(offsetof(struct iommufd_ioas, obj) == 0);

struct iommufd_ioas *iommufd_get_ioas(struct iommufd_ctx *ictx, u32 id);
struct iommufd_ioas *iommufd_ioas_alloc(struct iommufd_ctx *ictx);
int iommufd_ioas_alloc_cmd(struct iommufd_ucmd *ucmd);
int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd);
int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map_file(struct iommufd_ucmd *ucmd);
int iommufd_ioas_copy(struct iommufd_ucmd *ucmd);
int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd);
int iommufd_ioas_change_process(struct iommufd_ucmd *ucmd);
int iommufd_ioas_option_huge_pages(struct iommufd_ucmd *ucmd);

/* vfio_compat.c: the IOAS VFIO's legacy container path works on */
void iommufd_vfio_compat_forget_ioas(struct iommufd_ioas *ioas);

#endif
