// SPDX-License-Identifier: GPL-2.0-only
/*
 * A mock dma-buf exporter for IOMMU_TEST_CMD: physically contiguous kernel
 * memory behaving like a vfio-pci BAR towards iommufd (dynamic, refuses to
 * be pinned, can be revoked and restored at will), and a check that mock
 * domains map it where they should.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "hw_pagetable.h"
#include "iommufd_private.h"
#include "iommufd_test.h"
#include "mock_iommu.h"
#include "selftest.h"
#include "selftest_dmabuf.h"

/* The largest mock buffer: enough for several mock IO pages per CPU page */
#define MOCK_DMABUF_MAX_BYTES (512 * PAGE_SIZE)

/**
 * struct mock_dmabuf - what the mock exporter exports
 * @memory: the buffer's memory, physically contiguous
 * @length: its size in bytes, whole pages
 * @revoked: taken away (under the buffer's reservation lock)
 */
struct mock_dmabuf {
	void *memory;
	size_t length;
	bool revoked;
};

static int mock_dmabuf_attach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attach)
{
	struct mock_dmabuf *mock = dmabuf->priv;

	/* Like vfio-pci: a revoked buffer takes no new importer */
	return READ_ONCE(mock->revoked) ? -ENODEV : 0;
}

/* Revocable memory cannot be pinned: importers must follow move_notify */
static int mock_dmabuf_pin(struct dma_buf_attachment *attach)
{
	return -EOPNOTSUPP;
}

static void mock_dmabuf_unpin(struct dma_buf_attachment *attach)
{
}

/* iommufd reads the physical range instead; nobody else imports these */
static struct sg_table *mock_dmabuf_map(struct dma_buf_attachment *attach,
					enum dma_data_direction dir)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static void mock_dmabuf_unmap(struct dma_buf_attachment *attach,
			      struct sg_table *sgt,
			      enum dma_data_direction dir)
{
}

static void mock_dmabuf_release(struct dma_buf *dmabuf)
{
	struct mock_dmabuf *mock = dmabuf->priv;

	free_pages_exact(mock->memory, mock->length);
	kfree(mock);
}

static const struct dma_buf_ops mock_dmabuf_ops = {
	.attach = mock_dmabuf_attach,
	.pin = mock_dmabuf_pin,
	.unpin = mock_dmabuf_unpin,
	.map_dma_buf = mock_dmabuf_map,
	.unmap_dma_buf = mock_dmabuf_unmap,
	.release = mock_dmabuf_release,
};

/**
 * iommufd_test_dmabuf_range() - the physical range of a mock dma-buf
 * @attach: an attachment, its buffer's reservation lock held
 * @paddr: returns the physical address of the first byte
 * @len: returns the length in bytes
 *
 * Return: 0; -EOPNOTSUPP if the buffer is not the mock's, -ENODEV while
 * it is revoked.
 */
int iommufd_test_dmabuf_range(struct dma_buf_attachment *attach,
			      phys_addr_t *paddr, size_t *len)
{
	struct mock_dmabuf *mock = attach->dmabuf->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (attach->dmabuf->ops != &mock_dmabuf_ops)
		return -EOPNOTSUPP;
	if (mock->revoked)
		return -ENODEV;
	*paddr = virt_to_phys(mock->memory);
	*len = mock->length;
	return 0;
}

/* The mock dma-buf behind @fd, referenced, or an ERR_PTR */
static struct dma_buf *mock_dmabuf_get(int fd)
{
	struct dma_buf *dmabuf = dma_buf_get(fd);

	if (IS_ERR(dmabuf))
		return dmabuf;
	if (dmabuf->ops != &mock_dmabuf_ops) {
		dma_buf_put(dmabuf);
		return ERR_PTR(-EOPNOTSUPP);
	}
	return dmabuf;
}

/* IOMMU_TEST_OP_DMABUF_GET: a new mock buffer, returned as a new fd */
int iommufd_test_dmabuf_get(struct iommufd_ucmd *ucmd,
			    struct iommu_test_cmd *cmd)
{
	size_t length = PAGE_ALIGN((size_t)cmd->dmabuf_get.length);
	unsigned int open_flags = cmd->dmabuf_get.open_flags;
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct mock_dmabuf *mock;
	struct dma_buf *dmabuf;
	int fd;

	if (!length || length > MOCK_DMABUF_MAX_BYTES ||
	    (open_flags & ~(O_CLOEXEC | O_ACCMODE)))
		return -EINVAL;

	mock = kzalloc(sizeof(*mock), GFP_KERNEL);
	if (!mock)
		return -ENOMEM;
	mock->length = length;
	mock->memory = alloc_pages_exact(length, GFP_KERNEL | __GFP_ZERO);
	if (!mock->memory) {
		kfree(mock);
		return -ENOMEM;
	}

	info.ops = &mock_dmabuf_ops;
	info.size = length;
	info.flags = open_flags;
	info.priv = mock;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		free_pages_exact(mock->memory, length);
		kfree(mock);
		return PTR_ERR(dmabuf);
	}
	/* From here the release op frees the memory */
	fd = dma_buf_fd(dmabuf, open_flags);
	if (fd < 0)
		dma_buf_put(dmabuf);
	return fd;
}

/*
 * IOMMU_TEST_OP_DMABUF_REVOKE: take a mock buffer away or give it back,
 * and tell its importers, as vfio-pci does when a BAR stops or starts
 * decoding.
 */
int iommufd_test_dmabuf_revoke(struct iommufd_ucmd *ucmd,
			       struct iommu_test_cmd *cmd)
{
	struct mock_dmabuf *mock;
	struct dma_buf *dmabuf;

	dmabuf = mock_dmabuf_get(cmd->dmabuf_revoke.dmabuf_fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	mock = dmabuf->priv;

	dma_resv_lock(dmabuf->resv, NULL);
	WRITE_ONCE(mock->revoked, cmd->dmabuf_revoke.revoked);
	dma_buf_move_notify(dmabuf);
	dma_resv_unlock(dmabuf->resv);
	dma_buf_put(dmabuf);
	return 0;
}

/* Every mock IO page of [iova, iova + length) maps the buffer at @phys on */
static int mock_dmabuf_check_domain(struct iommu_domain *domain, u64 iova,
				    u64 length, phys_addr_t phys)
{
	phys_addr_t io_phys;

	if (!mock_domain_is_paging(domain))
		return -EINVAL;
	for (; length; length -= MOCK_IO_PAGE_SIZE) {
		if (mock_domain_lookup_phys(domain, iova, &io_phys) ||
		    io_phys != phys)
			return -EINVAL;
		iova += MOCK_IO_PAGE_SIZE;
		phys += MOCK_IO_PAGE_SIZE;
	}
	return 0;
}

/*
 * IOMMU_TEST_OP_MD_CHECK_DMABUF: the mock paging HWPT @id maps @length
 * bytes at @iova onto the mock buffer from byte @offset on.  A revoked
 * buffer fails the check: it must not be mapped anywhere.
 */
int iommufd_test_md_check_dmabuf(struct iommufd_ucmd *ucmd,
				 struct iommu_test_cmd *cmd)
{
	u64 iova = cmd->check_dmabuf.iova;
	u64 length = cmd->check_dmabuf.length;
	u64 offset = cmd->check_dmabuf.offset;
	struct iommufd_hwpt_paging *hwpt_paging;
	struct mock_dmabuf *mock;
	struct dma_buf *dmabuf;
	u64 end;
	int rc;

	if ((iova | length | offset) % MOCK_IO_PAGE_SIZE ||
	    check_add_overflow(iova, length, &end) ||
	    check_add_overflow(offset, length, &end))
		return -EINVAL;
	dmabuf = mock_dmabuf_get(cmd->check_dmabuf.dmabuf_fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	mock = dmabuf->priv;
	if (end > mock->length) {
		rc = -EINVAL;
		goto out_put;
	}

	hwpt_paging = iommufd_get_hwpt_paging(ucmd->ictx, cmd->id);
	if (IS_ERR(hwpt_paging)) {
		rc = PTR_ERR(hwpt_paging);
		goto out_put;
	}
	rc = mock_dmabuf_check_domain(hwpt_paging->common.domain, iova, length,
				      virt_to_phys(mock->memory) + offset);
	iommufd_put_object(ucmd->ictx, &hwpt_paging->common.obj);
out_put:
	dma_buf_put(dmabuf);
	return rc;
}
