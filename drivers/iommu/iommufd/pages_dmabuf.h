/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Pages objects whose memory is device MMIO handed over as a dma-buf
 * (pages_dmabuf.c): a vfio-pci BAR range, or the mock exporter's memory in
 * the test build.
 *
 * Contract
 * --------
 * - Only revocable buffers are taken: the exporter must be dynamic (it can
 *   tell its importers that the memory moved or went away) and must be one
 *   whose physical range iommufd knows how to ask for.  Anything else is
 *   refused with -EOPNOTSUPP before iommufd attaches.
 * - Nothing is pinned or charged: the exporter owns the memory.  Emulated
 *   accesses cannot reach it (-EINVAL), and a mapping of it is removed whole
 *   (no split).
 * - When the exporter revokes the buffer (the BAR stops decoding: memory
 *   decode off, reset, low power, device closed) every IOMMU domain that
 *   maps part of it is unmapped before the exporter's notification
 *   returns, so no DMA reaches MMIO that is gone.  The mappings stay in
 *   their IOAS; when the exporter makes the buffer usable again they are
 *   put back into the same domains by themselves (upstream leaves them
 *   empty until user space maps again; both orders of user space work).
 *   A new map of a revoked buffer fails with -ENODEV.
 *
 * Locking: the exporter notifies with the buffer's reservation lock held;
 * the pages object's mutex nests inside it.  Entry points other than
 * creation and release want the mutex held, like pages_domains.c's.
 */
#ifndef __IOMMUFD_PAGES_DMABUF_H
#define __IOMMUFD_PAGES_DMABUF_H

#include <linux/types.h>

struct dma_buf;
struct iommu_domain;
struct iommufd_ctx;
struct iommufd_pages;
struct iopt_mapping;

struct iommufd_pages *iommufd_pages_alloc_dmabuf(struct iommufd_ctx *ictx,
						 struct dma_buf *dmabuf,
						 unsigned long start,
						 unsigned long length,
						 bool writable,
						 unsigned long *start_byte);
struct iommufd_pages *iommufd_pages_alloc_vfio_bar(struct iommufd_ctx *ictx,
						   void __user *uptr,
						   unsigned long length,
						   bool writable,
						   unsigned long *start_byte);
void pages_dmabuf_release(struct iommufd_pages *pages);

int pages_dmabuf_map(struct iommufd_pages *pages, struct iopt_mapping *mapping,
		     struct iommu_domain *const *domains,
		     unsigned int ndomains);
void pages_dmabuf_unmap(struct iommufd_pages *pages,
			struct iopt_mapping *mapping,
			struct iommu_domain *domain);

#endif
