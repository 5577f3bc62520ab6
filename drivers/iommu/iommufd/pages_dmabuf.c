// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device MMIO in an IOAS: pages objects made from a dma-buf, mapped into
 * domains as one physically contiguous range, and taken out of every
 * domain the moment the exporter revokes the buffer.  pages_dmabuf.h
 * states the contract.
 *
 * The domains a mapping is in are known to its page table, but the
 * exporter notifies under the buffer's reservation lock, where taking a
 * page table's iova_rwsem would invert the order the unmap path takes them
 * in (it drops the last reference of a pages object, and so detaches, with
 * iova_rwsem held).  So the object keeps its own list of placements, one
 * per mapping and domain, changed only under its mutex together with the
 * domain itself: a revoke walks it and misses nothing.
 */
#include <linux/cleanup.h>
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio_pci_core.h>

#include "io_pagetable.h"
#include "iommufd_private.h"
#include "pages.h"
#include "pages_dmabuf.h"
#include "selftest.h"

/**
 * struct pages_dmabuf_placement - one mapping in one domain
 * @node: in struct pages_dmabuf.placements
 * @mapping: the mapping
 * @domain: a domain it is in (mapped there unless the buffer is revoked)
 */
struct pages_dmabuf_placement {
	struct list_head node;
	struct iopt_mapping *mapping;
	struct iommu_domain *domain;
};

/**
 * struct pages_dmabuf - the dma-buf side of a pages object
 * @dmabuf: the buffer, one reference held
 * @attach: iommufd's attachment to it, NULL until attached
 * @paddr: physical address of page 0 of the pages object; meaningful
 *         only while not @revoked
 * @revoked: the exporter took the memory away (or it has not been located
 *           yet): no placement is mapped
 * @placements: struct pages_dmabuf_placement of every mapping in domains
 *
 * @paddr, @revoked and @placements are protected by the pages object's
 * mutex.
 */
struct pages_dmabuf {
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	phys_addr_t paddr;
	bool revoked;
	struct list_head placements;
};

/* The exporters iommufd can ask for a physical range */
static int pages_dmabuf_ask_vfio(struct dma_buf_attachment *attach,
				 phys_addr_t *paddr, size_t *len)
{
#if IS_ENABLED(CONFIG_VFIO_PCI_DMABUF)
	/* vfio-pci depends on iommufd, so it is found at run time */
	int (*range_of)(struct dma_buf_attachment *attach, phys_addr_t *paddr,
			size_t *len);
	int rc;

	range_of = symbol_get(vfio_pci_dma_buf_iommufd_map);
	if (!range_of)
		return -EOPNOTSUPP;
	rc = range_of(attach, paddr, len);
	symbol_put(vfio_pci_dma_buf_iommufd_map);
	return rc;
#else
	return -EOPNOTSUPP;
#endif
}

/*
 * Where the exporter keeps the memory of @pages now, as the physical
 * address of its page 0, asked through @attach (the notification can
 * come before the attach call has returned it).  The reservation lock is
 * held.
 *
 * Return: 0; -ENODEV while revoked, -EOPNOTSUPP for a buffer iommufd
 * cannot ask, -EINVAL if the buffer no longer covers the object.
 */
static int pages_dmabuf_locate(struct iommufd_pages *pages,
			       struct dma_buf_attachment *attach,
			       phys_addr_t *paddr)
{
	phys_addr_t base;
	size_t len;
	int rc;

	dma_resv_assert_held(attach->dmabuf->resv);
	rc = iommufd_test_dmabuf_range(attach, &base, &len);
	if (rc == -EOPNOTSUPP)
		rc = pages_dmabuf_ask_vfio(attach, &base, &len);
	if (rc)
		return rc;
	if (pages->file_offset > len ||
	    pages->npages > (len - pages->file_offset) >> PAGE_SHIFT)
		return -EINVAL;
	*paddr = base + pages->file_offset;
	return 0;
}

/* Map @mapping into @domain at the memory's current place */
static int pages_dmabuf_map_one(struct iommufd_pages *pages,
				struct iopt_mapping *mapping,
				struct iommu_domain *domain)
{
	unsigned long iova = mapping->iova_node.start;

	return iommu_map(domain, iova, pages->dmabuf->paddr + mapping->start_byte,
			 mapping->iova_node.last - iova + 1,
			 mapping->iommu_prot | IOMMU_MMIO, GFP_KERNEL_ACCOUNT);
}

static void pages_dmabuf_unmap_one(struct iopt_mapping *mapping,
				   struct iommu_domain *domain)
{
	unsigned long iova = mapping->iova_node.start;

	iommu_unmap(domain, iova, mapping->iova_node.last - iova + 1);
}

/* Take every placement out of its domain: the memory is going away */
static void pages_dmabuf_revoke(struct iommufd_pages *pages)
{
	struct pages_dmabuf *db = pages->dmabuf;
	struct pages_dmabuf_placement *place;

	list_for_each_entry(place, &db->placements, node)
		pages_dmabuf_unmap_one(place->mapping, place->domain);
	db->revoked = true;
}

/*
 * Put every placement back at @paddr.  If a domain refuses, the buffer
 * stays revoked as a whole: half a mapping would be worse than none.
 */
static void pages_dmabuf_restore(struct iommufd_pages *pages,
				 phys_addr_t paddr)
{
	struct pages_dmabuf *db = pages->dmabuf;
	struct pages_dmabuf_placement *place, *failed;
	int rc = 0;

	db->paddr = paddr;
	list_for_each_entry(place, &db->placements, node) {
		rc = pages_dmabuf_map_one(pages, place->mapping, place->domain);
		if (rc)
			break;
	}
	if (!rc) {
		db->revoked = false;
		return;
	}
	failed = place;
	list_for_each_entry(place, &db->placements, node) {
		if (place == failed)
			break;
		pages_dmabuf_unmap_one(place->mapping, place->domain);
	}
	pr_warn_ratelimited("iommufd: MMIO mapping not restored: %d\n", rc);
}

/*
 * The exporter's notification, under the reservation lock: the memory
 * moved, went away or came back.  Find out which, and make the domains
 * agree before returning.
 */
static void pages_dmabuf_move_notify(struct dma_buf_attachment *attach)
{
	struct iommufd_pages *pages = attach->importer_priv;
	struct pages_dmabuf *db = pages->dmabuf;
	phys_addr_t paddr;
	int rc;

	guard(mutex)(&pages->mutex);
	rc = pages_dmabuf_locate(pages, attach, &paddr);
	if (!db->revoked && (rc || paddr != db->paddr))
		pages_dmabuf_revoke(pages);
	if (!rc && db->revoked)
		pages_dmabuf_restore(pages, paddr);
}

static const struct dma_buf_attach_ops pages_dmabuf_importer = {
	.allow_peer2peer = true,
	.move_notify = pages_dmabuf_move_notify,
};

/*
 * Attach to the buffer and find its memory.  Until this succeeds the
 * object is revoked, so a notification meanwhile has nothing to do.
 */
static int pages_dmabuf_attach(struct iommufd_pages *pages)
{
	struct pages_dmabuf *db = pages->dmabuf;
	struct dma_buf_attachment *attach;
	phys_addr_t paddr;
	int rc;

	attach = dma_buf_dynamic_attach(db->dmabuf, iommufd_misc_device(),
					&pages_dmabuf_importer, pages);
	if (IS_ERR(attach))
		return PTR_ERR(attach);
	db->attach = attach;

	dma_resv_lock(db->dmabuf->resv, NULL);
	mutex_lock(&pages->mutex);
	rc = pages_dmabuf_locate(pages, attach, &paddr);
	if (!rc && db->revoked) {
		db->paddr = paddr;
		db->revoked = false;
	}
	mutex_unlock(&pages->mutex);
	dma_resv_unlock(db->dmabuf->resv);
	return rc;
}

/**
 * iommufd_pages_alloc_dmabuf() - describe a range of a dma-buf
 * @ictx: the context the mapping is made in
 * @dmabuf: the buffer; the object takes its own reference
 * @start: byte offset of the first byte in the buffer
 * @length: bytes, at least one
 * @writable: whether DMA may write the memory
 * @start_byte: returns the offset of @start inside page 0
 *
 * Return: the object, attached to the buffer; ERR_PTR(-EINVAL) for an
 * empty range or one reaching past the buffer, ERR_PTR(-EOPNOTSUPP) for a
 * buffer iommufd cannot revoke or locate, ERR_PTR(-ENODEV) for a revoked
 * one, ERR_PTR(-ENOMEM).
 */
struct iommufd_pages *iommufd_pages_alloc_dmabuf(struct iommufd_ctx *ictx,
						 struct dma_buf *dmabuf,
						 unsigned long start,
						 unsigned long length,
						 bool writable,
						 unsigned long *start_byte)
{
	static struct lock_class_key pages_dmabuf_mutex_key;
	struct iommufd_pages *pages;
	struct pages_dmabuf *db;
	int rc;

	/* Without pin/move_notify the exporter cannot take the memory back */
	if (!dma_buf_is_dynamic(dmabuf))
		return ERR_PTR(-EOPNOTSUPP);
	if (!length || start >= dmabuf->size || length > dmabuf->size - start)
		return ERR_PTR(-EINVAL);

	db = kzalloc(sizeof(*db), GFP_KERNEL_ACCOUNT);
	if (!db)
		return ERR_PTR(-ENOMEM);
	pages = iommufd_pages_alloc(ictx, start, length, writable, start_byte);
	if (IS_ERR(pages)) {
		kfree(db);
		return pages;
	}
	/*
	 * This mutex nests inside a reservation lock, which may be taken with
	 * mmap_lock held; user memory's pages mutex nests outside mmap_lock.
	 * The two never meet, so lockdep must not think them one lock.
	 */
	lockdep_set_class(&pages->mutex, &pages_dmabuf_mutex_key);
	get_dma_buf(dmabuf);
	db->dmabuf = dmabuf;
	db->revoked = true;
	INIT_LIST_HEAD(&db->placements);
	pages->dmabuf = db;
	pages->source = IOMMUFD_PAGES_DMABUF;
	pages->file_offset = start - *start_byte;

	rc = pages_dmabuf_attach(pages);
	if (rc) {
		iommufd_pages_put(pages);
		return ERR_PTR(rc);
	}
	return pages;
}

/*
 * The vfio-pci BAR range behind [uptr, uptr + length) as a new dma-buf, or
 * ERR_PTR(-EOPNOTSUPP) when that is not a vfio-pci BAR mapping.
 */
static struct dma_buf *iommufd_vfio_bar_dmabuf(void __user *uptr,
					       unsigned long length)
{
#if IS_ENABLED(CONFIG_VFIO_PCI_DMABUF)
	struct dma_buf *(*bar_dmabuf)(struct vm_area_struct *vma,
				      unsigned long uaddr,
				      unsigned long length);
	unsigned long start = (unsigned long)uptr;
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct dma_buf *dmabuf;

	if (!mm || !PAGE_ALIGNED(start) || !PAGE_ALIGNED(length))
		return ERR_PTR(-EOPNOTSUPP);
	bar_dmabuf = symbol_get(vfio_pci_core_vma_dma_buf);
	if (!bar_dmabuf)
		return ERR_PTR(-EOPNOTSUPP);
	/* Dropped before any page table lock: those nest outside mmap_lock */
	mmap_read_lock(mm);
	vma = vma_lookup(mm, start);
	/*
	 * A range reaching past the mapping is left to the pinning path,
	 * which fails it with -EFAULT, as VFIO's own container does.
	 */
	if (vma && (vma->vm_flags & VM_PFNMAP) &&
	    length <= vma->vm_end - start)
		dmabuf = bar_dmabuf(vma, start, length);
	else
		dmabuf = ERR_PTR(-EOPNOTSUPP);
	mmap_read_unlock(mm);
	symbol_put(vfio_pci_core_vma_dma_buf);
	return dmabuf;
#else
	return ERR_PTR(-EOPNOTSUPP);
#endif
}

/**
 * iommufd_pages_alloc_vfio_bar() - describe an mmap()ed vfio-pci BAR range
 * @ictx: the context the mapping is made in
 * @uptr: first byte, inside a vfio-pci BAR mapping of the caller
 * @length: bytes
 * @writable: whether DMA may write the memory
 * @start_byte: returns 0: the range is page aligned
 *
 * VFIO's type1 container mapped such ranges by following the page table,
 * and could never take them back when the BAR went away.  The compat
 * container asks vfio-pci for a dma-buf of the same BAR range instead, so
 * the mapping is revocable like one made with IOMMU_IOAS_MAP_FILE.
 *
 * Return: the object; ERR_PTR(-EOPNOTSUPP) when the range is not a
 * page-aligned part of one vfio-pci BAR mapping (the caller treats it as
 * user memory, whose pinning then fails with -EFAULT for anything but
 * memory), or the errors of iommufd_pages_alloc_dmabuf().
 */
struct iommufd_pages *iommufd_pages_alloc_vfio_bar(struct iommufd_ctx *ictx,
						   void __user *uptr,
						   unsigned long length,
						   bool writable,
						   unsigned long *start_byte)
{
	struct iommufd_pages *pages;
	struct dma_buf *dmabuf;

	dmabuf = iommufd_vfio_bar_dmabuf(uptr, length);
	if (IS_ERR(dmabuf))
		return ERR_CAST(dmabuf);
	pages = iommufd_pages_alloc_dmabuf(ictx, dmabuf, 0, length, writable,
					   start_byte);
	dma_buf_put(dmabuf);
	return pages;
}

/**
 * pages_dmabuf_release() - let go of the buffer of a dying pages object
 * @pages: the object, whose last reference is gone
 *
 * Called before the object's mutex is destroyed: until the detach returns
 * the exporter may still notify, and finds no placement to change.
 */
void pages_dmabuf_release(struct iommufd_pages *pages)
{
	struct pages_dmabuf *db = pages->dmabuf;

	WARN_ON(!list_empty(&db->placements));
	if (db->attach)
		dma_buf_detach(db->dmabuf, db->attach);
	dma_buf_put(db->dmabuf);
	kfree(db);
}

/**
 * pages_dmabuf_map() - map a mapping of the buffer into more domains
 * @pages: the mapping's memory, its mutex held
 * @mapping: the mapping
 * @domains: the domains
 * @ndomains: how many
 *
 * While the buffer is revoked the placements are only recorded: the
 * mapping enters the domains when the exporter brings the memory back.
 *
 * Return: 0; on failure nothing changed: -ENOMEM, or the IOMMU driver's.
 */
int pages_dmabuf_map(struct iommufd_pages *pages, struct iopt_mapping *mapping,
		     struct iommu_domain *const *domains,
		     unsigned int ndomains)
{
	struct pages_dmabuf *db = pages->dmabuf;
	unsigned int i;
	int rc = 0;

	lockdep_assert_held(&pages->mutex);
	for (i = 0; i < ndomains; i++) {
		struct pages_dmabuf_placement *place;

		place = kzalloc(sizeof(*place), GFP_KERNEL_ACCOUNT);
		if (!place) {
			rc = -ENOMEM;
			break;
		}
		if (!db->revoked) {
			rc = pages_dmabuf_map_one(pages, mapping, domains[i]);
			if (rc) {
				kfree(place);
				break;
			}
		}
		place->mapping = mapping;
		place->domain = domains[i];
		list_add_tail(&place->node, &db->placements);
	}
	if (rc)
		while (i--)
			pages_dmabuf_unmap(pages, mapping, domains[i]);
	return rc;
}

/**
 * pages_dmabuf_unmap() - take a mapping of the buffer out of one domain
 * @pages: the mapping's memory, its mutex held
 * @mapping: the mapping
 * @domain: a domain pages_dmabuf_map() put it in
 */
void pages_dmabuf_unmap(struct iommufd_pages *pages,
			struct iopt_mapping *mapping,
			struct iommu_domain *domain)
{
	struct pages_dmabuf *db = pages->dmabuf;
	struct pages_dmabuf_placement *place;

	lockdep_assert_held(&pages->mutex);
	list_for_each_entry(place, &db->placements, node) {
		if (place->mapping != mapping || place->domain != domain)
			continue;
		if (!db->revoked)
			pages_dmabuf_unmap_one(mapping, domain);
		list_del(&place->node);
		kfree(place);
		return;
	}
	WARN_ON_ONCE(1);
}
