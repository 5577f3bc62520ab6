// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mock IOMMU driver's vIOMMU (IOMMU_VIOMMU_TYPE_SELFTEST), written
 * against the driver API of <linux/iommufd.h> the way a hardware driver
 * would be: nested domains made through the vIOMMU, invalidation of the
 * device caches of mock devices named by virtual ID, a page of "hardware"
 * user space maps, and HW queues that must be made in index order, each
 * depending on the one before.
 *
 * Locking
 * -------
 * mock_viommu::hw_queues
 *	Under mock_viommu::queue_lock.
 * The device caches are cleared under the vIOMMU's vdevs lock, which
 * keeps the device named by a virtual ID bound meanwhile.
 */
#include <linux/cleanup.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "iommufd_test.h"
#include "mock_iommu.h"

struct mock_hw_queue;

/*
 * The "hardware" of a mock vIOMMU is two pages, so that a mapping of part
 * of it can be tried
 */
#define MOCK_VIOMMU_MMIO_ORDER	1
#define MOCK_VIOMMU_MMIO_SIZE	(PAGE_SIZE << MOCK_VIOMMU_MMIO_ORDER)

/**
 * struct mock_viommu - a vIOMMU of the mock IOMMU
 * @core: what iommufd sees
 * @s2_parent: the nesting parent domain, which iommufd keeps alive for as
 *             long as the vIOMMU
 * @page: the MOCK_VIOMMU_MMIO_SIZE bytes of "hardware" user space may
 *        map, or NULL without struct iommu_viommu_selftest data; its first
 *        u32 holds in_data
 * @mmap_offset: the mmap() offset of @page
 * @queue_lock: protects @hw_queues
 * @hw_queues: the HW queue of each index, or NULL
 */
struct mock_viommu {
	struct iommufd_viommu core;
	struct iommu_domain *s2_parent;
	u32 *page;
	unsigned long mmap_offset;
	/* Protects hw_queues */
	struct mutex queue_lock;
	struct mock_hw_queue *hw_queues[IOMMU_TEST_HW_QUEUE_MAX];
};

/**
 * struct mock_hw_queue - a HW queue of a mock vIOMMU
 * @core: what iommufd sees
 * @mock_viommu: the vIOMMU
 * @prev: the queue of the index below, which this one depends on, or NULL
 *        for index 0
 * @index: the queue's index
 */
struct mock_hw_queue {
	struct iommufd_hw_queue core;
	struct mock_viommu *mock_viommu;
	struct mock_hw_queue *prev;
	u32 index;
};

static struct mock_viommu *to_mock_viommu(struct iommufd_viommu *viommu)
{
	return container_of(viommu, struct mock_viommu, core);
}

static struct mock_hw_queue *to_mock_hw_queue(struct iommufd_hw_queue *hw_queue)
{
	return container_of(hw_queue, struct mock_hw_queue, core);
}

static void mock_viommu_destroy(struct iommufd_viommu *viommu)
{
	struct mock_viommu *mock_viommu = to_mock_viommu(viommu);

	if (mock_viommu->page) {
		iommufd_viommu_destroy_mmap(viommu, mock_viommu->mmap_offset);
		free_pages((unsigned long)mock_viommu->page,
			   MOCK_VIOMMU_MMIO_ORDER);
	}
	mutex_destroy(&mock_viommu->queue_lock);
}

static struct iommu_domain *
mock_viommu_alloc_domain_nested(struct iommufd_viommu *viommu, u32 flags,
				const struct iommu_user_data *user_data)
{
	return mock_nested_domain_alloc(to_mock_viommu(viommu)->s2_parent,
					viommu, flags, user_data);
}

/* Carry out one request: clear cache entries of the device it names */
static int mock_viommu_invalidate_one(struct iommufd_viommu *viommu,
				      const struct iommu_viommu_invalidate_selftest *request)
{
	bool all = request->flags & IOMMU_TEST_INVALIDATE_FLAG_ALL;
	struct device *dev;
	struct mock_dev *mdev;

	if (request->flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL)
		return -EOPNOTSUPP;
	if (request->cache_id > MOCK_DEV_CACHE_ID_MAX)
		return -EINVAL;

	xa_lock(&viommu->vdevs);
	dev = iommufd_viommu_find_dev(viommu, request->vdev_id);
	mdev = dev ? mock_dev_from_device(dev) : NULL;
	if (mdev)
		mock_dev_invalidate_cache(mdev, request->cache_id, all);
	xa_unlock(&viommu->vdevs);
	return mdev ? 0 : -EINVAL;
}

/*
 * Requests are carried out in order up to the first one that fails, and
 * entry_num tells user space how many were.  An empty array checks the
 * type only.
 */
static int mock_viommu_cache_invalidate(struct iommufd_viommu *viommu,
					struct iommu_user_data_array *requests)
{
	struct iommu_viommu_invalidate_selftest request;
	u32 nr_done;
	int rc = 0;

	if (requests->type != IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST) {
		requests->entry_num = 0;
		return -EINVAL;
	}
	for (nr_done = 0; nr_done != requests->entry_num; nr_done++) {
		rc = iommu_copy_struct_from_user_array(&request, requests,
						       IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
						       nr_done, cache_id);
		if (!rc)
			rc = mock_viommu_invalidate_one(viommu, &request);
		if (rc)
			break;
	}
	requests->entry_num = nr_done;
	return rc;
}

static size_t mock_viommu_hw_queue_size(struct iommufd_viommu *viommu,
					enum iommu_hw_queue_type queue_type)
{
	if (queue_type != IOMMU_HW_QUEUE_TYPE_SELFTEST)
		return 0;
	return HW_QUEUE_STRUCT_SIZE(struct mock_hw_queue, core);
}

static void mock_hw_queue_destroy(struct iommufd_hw_queue *hw_queue)
{
	struct mock_hw_queue *mock_hw_queue = to_mock_hw_queue(hw_queue);
	struct mock_viommu *mock_viommu = mock_hw_queue->mock_viommu;

	guard(mutex)(&mock_viommu->queue_lock);
	mock_viommu->hw_queues[mock_hw_queue->index] = NULL;
	if (mock_hw_queue->prev)
		iommufd_hw_queue_undepend(mock_hw_queue, mock_hw_queue->prev,
					  core);
}

/*
 * Queue @index of the vIOMMU.  Indexes are taken from 0 up: queue n needs
 * queue n - 1 (-EIO without it), and that queue cannot go before it.
 */
static int mock_hw_queue_init_phys(struct iommufd_hw_queue *hw_queue,
				   u32 index, phys_addr_t base_addr_pa)
{
	struct mock_viommu *mock_viommu = to_mock_viommu(hw_queue->viommu);
	struct mock_hw_queue *mock_hw_queue = to_mock_hw_queue(hw_queue);
	struct mock_hw_queue *prev = NULL;
	int rc;

	if (index >= IOMMU_TEST_HW_QUEUE_MAX)
		return -EINVAL;

	guard(mutex)(&mock_viommu->queue_lock);
	if (mock_viommu->hw_queues[index])
		return -EEXIST;
	if (index) {
		prev = mock_viommu->hw_queues[index - 1];
		if (!prev)
			return -EIO;
		rc = iommufd_hw_queue_depend(mock_hw_queue, prev, core);
		if (rc)
			return rc;
	}
	mock_hw_queue->mock_viommu = mock_viommu;
	mock_hw_queue->prev = prev;
	mock_hw_queue->index = index;
	mock_viommu->hw_queues[index] = mock_hw_queue;
	hw_queue->destroy = mock_hw_queue_destroy;
	return 0;
}

static const struct iommufd_viommu_ops mock_viommu_ops = {
	.destroy = mock_viommu_destroy,
	.alloc_domain_nested = mock_viommu_alloc_domain_nested,
	.cache_invalidate = mock_viommu_cache_invalidate,
	.get_hw_queue_size = mock_viommu_hw_queue_size,
	.hw_queue_init_phys = mock_hw_queue_init_phys,
};

/**
 * mock_viommu_size() - the get_viommu_size op of the mock IOMMU
 * @dev: a mock device
 * @type: the vIOMMU type asked for
 *
 * Context: process context.
 * Return: the size of struct mock_viommu for IOMMU_VIOMMU_TYPE_SELFTEST,
 * 0 for any other type.
 */
size_t mock_viommu_size(struct device *dev, enum iommu_viommu_type type)
{
	if (type != IOMMU_VIOMMU_TYPE_SELFTEST)
		return 0;
	return VIOMMU_STRUCT_SIZE(struct mock_viommu, core);
}

/* Write the members the kernel fills back to the user's data */
static int mock_viommu_data_respond(const struct iommu_user_data *user_data,
				    const struct iommu_viommu_selftest *data)
{
	if (copy_to_user(user_data->uptr, data,
			 min_t(size_t, user_data->len, sizeof(*data))))
		return -EFAULT;
	return 0;
}

/*
 * The "hardware" behind the vIOMMU, user space's to map: it reads back the
 * in_data of @data there, and learns where it is in @data.
 */
static int mock_viommu_setup_page(struct mock_viommu *mock_viommu,
				  struct iommu_viommu_selftest *data)
{
	int rc;

	mock_viommu->page = (u32 *)__get_free_pages(GFP_KERNEL_ACCOUNT |
						    __GFP_ZERO,
						    MOCK_VIOMMU_MMIO_ORDER);
	if (!mock_viommu->page)
		return -ENOMEM;
	mock_viommu->page[0] = data->in_data;
	rc = iommufd_viommu_alloc_mmap(&mock_viommu->core,
				       virt_to_phys(mock_viommu->page),
				       MOCK_VIOMMU_MMIO_SIZE,
				       &mock_viommu->mmap_offset);
	if (rc) {
		free_pages((unsigned long)mock_viommu->page,
			   MOCK_VIOMMU_MMIO_ORDER);
		mock_viommu->page = NULL;
		return rc;
	}
	data->out_data = data->in_data;
	data->out_mmap_offset = mock_viommu->mmap_offset;
	data->out_mmap_length = MOCK_VIOMMU_MMIO_SIZE;
	return 0;
}

/*
 * Undo mock_viommu_setup_page(): a failed init leaves nothing behind for
 * the destroy op.
 */
static void mock_viommu_teardown_page(struct mock_viommu *mock_viommu)
{
	iommufd_viommu_destroy_mmap(&mock_viommu->core,
				    mock_viommu->mmap_offset);
	free_pages((unsigned long)mock_viommu->page, MOCK_VIOMMU_MMIO_ORDER);
	mock_viommu->page = NULL;
}

/* Act on the optional struct iommu_viommu_selftest of the allocation */
static int mock_viommu_init_data(struct mock_viommu *mock_viommu,
				 const struct iommu_user_data *user_data)
{
	struct iommu_viommu_selftest data;
	int rc;

	rc = iommu_copy_struct_from_user(&data, user_data,
					 IOMMU_VIOMMU_TYPE_SELFTEST, out_data);
	if (rc)
		return rc;
	rc = mock_viommu_setup_page(mock_viommu, &data);
	if (rc)
		return rc;
	rc = mock_viommu_data_respond(user_data, &data);
	if (rc)
		mock_viommu_teardown_page(mock_viommu);
	return rc;
}

/**
 * mock_viommu_init() - the viommu_init op of the mock IOMMU
 * @viommu: a vIOMMU of mock_viommu_size() bytes
 * @parent_domain: its nesting parent
 * @user_data: a struct iommu_viommu_selftest, or NULL
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL for a parent that is not a mock nesting parent; the
 * error of reading or answering @user_data; -ENOMEM.
 */
int mock_viommu_init(struct iommufd_viommu *viommu,
		     struct iommu_domain *parent_domain,
		     const struct iommu_user_data *user_data)
{
	struct mock_viommu *mock_viommu = to_mock_viommu(viommu);
	int rc;

	if (!mock_domain_is_nest_parent(parent_domain))
		return -EINVAL;
	mock_viommu->s2_parent = parent_domain;
	mutex_init(&mock_viommu->queue_lock);
	if (user_data) {
		rc = mock_viommu_init_data(mock_viommu, user_data);
		if (rc) {
			mutex_destroy(&mock_viommu->queue_lock);
			return rc;
		}
	}
	viommu->ops = &mock_viommu_ops;
	return 0;
}
