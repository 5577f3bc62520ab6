/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IOMMU_TEST_CMD: the test-only ioctl of /dev/iommu, present when the
 * kernel is built with CONFIG_IOMMUFD_TEST.
 *
 * It drives the mock IOMMU driver (mock devices, their domains and their
 * page tables) and pokes at iommufd internals, so that the selftests in
 * tools/testing/selftests/iommu can cover every path without hardware.
 * This is not a stable interface for applications, but the selftests are
 * built from this very file, so every number, name and layout below must
 * stay binary compatible with the upstream Linux 6.12 definition (plus
 * MOCK_FLAGS_DEVICE_PASID and MOCK_PASID_WIDTH, which later kernels added
 * with the values used here).
 *
 * The header is shared by the kernel and by user space programs that
 * include it by its path in the source tree.
 */
#ifndef _UAPI_IOMMUFD_TEST_H
#define _UAPI_IOMMUFD_TEST_H

#ifdef __KERNEL__
/* Inside the kernel <linux/iommufd.h> is the in-kernel API, not the uAPI */
#include <uapi/linux/iommufd.h>
#else
#include <linux/iommufd.h>
#endif
#include <linux/types.h>

/*
 * Values of iommu_test_cmd::op; each selects one member of the union.
 * Written out: they are ABI, shared with upstream's selftests, and a
 * reordering must not move one silently.
 */
enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,
	IOMMU_TEST_OP_MOCK_DOMAIN = 2,
	IOMMU_TEST_OP_MD_CHECK_MAP = 3,
	IOMMU_TEST_OP_MD_CHECK_REFS = 4,
	IOMMU_TEST_OP_CREATE_ACCESS = 5,
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES = 6,
	IOMMU_TEST_OP_ACCESS_PAGES = 7,
	IOMMU_TEST_OP_ACCESS_RW = 8,
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT = 9,
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE = 10,
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS = 11,
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS = 12,
	IOMMU_TEST_OP_DIRTY = 13,
	IOMMU_TEST_OP_MD_CHECK_IOTLB = 14,
	IOMMU_TEST_OP_TRIGGER_IOPF = 15,
	IOMMU_TEST_OP_DEV_CHECK_CACHE = 16,
	IOMMU_TEST_OP_TRIGGER_VEVENT = 17,
	IOMMU_TEST_OP_PASID_ATTACH = 18,
	IOMMU_TEST_OP_PASID_REPLACE = 19,
	IOMMU_TEST_OP_PASID_DETACH = 20,
	IOMMU_TEST_OP_PASID_CHECK_HWPT = 21,
	IOMMU_TEST_OP_DMABUF_GET = 22,
	IOMMU_TEST_OP_DMABUF_REVOKE = 23,
	IOMMU_TEST_OP_MD_CHECK_DMABUF = 24,
};

/*
 * Ops of our own, absent upstream: numbered far above upstream's so that
 * the ones upstream adds later keep their numbers here too.
 */
enum {
	IOMMU_TEST_OP_MOCK_DOMAIN_IN_GROUP = 0x1000,
};

/*
 * mock_domain_flags.dev_flags, properties of the mock device to create.
 * The bits of our own sit high, so that flags upstream adds later do not
 * collide with them.
 */
enum {
	/* The device's IOMMU cannot track dirty pages */
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,
	/* Its domains also offer a large IO page size */
	MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,
	/* The device issues PASID tagged DMA, MOCK_PASID_WIDTH bits wide */
	MOCK_FLAGS_DEVICE_PASID = 1 << 2,
	/*
	 * Ours: the device sits behind a second mock IOMMU instance, so that
	 * what must stay within one physical IOMMU (a vIOMMU's devices) can
	 * be shown to be refused across two.
	 */
	MOCK_FLAGS_DEVICE_SECOND_IOMMU = 1 << 29,
	/*
	 * Ours: the device's IOMMU can force its DMA to snoop the CPU caches
	 * (IOMMU_CAP_ENFORCE_CACHE_COHERENCY), and its domains can only be
	 * made to while they map nothing.
	 */
	MOCK_FLAGS_DEVICE_ENFORCE_CC = 1 << 30,
};

/* How many PASID bits a MOCK_FLAGS_DEVICE_PASID device (and the IOMMU) has */
#define MOCK_PASID_WIDTH 20

/*
 * A PASID the mock refuses to move to a nested domain with -ENOMEM, so
 * that a replace failing part way can be tested
 */
#define IOMMU_TEST_PASID_RESERVED 1024

/*
 * Each mock device models a device cache (an ATC, say) of this many u32
 * entries, which a vIOMMU's invalidation clears and DEV_CHECK_CACHE reads
 */
enum {
	MOCK_DEV_CACHE_ID_MAX = 3,
	MOCK_DEV_CACHE_NUM = 4,
};

/* What every entry of a mock device's cache holds until invalidated */
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad

/*
 * The IOVA window every mock paging domain translates (first and last
 * byte); IOVAs outside it are reserved in any IOAS such a domain joins.
 */
enum {
	MOCK_APERTURE_START = 1UL << 24,
	MOCK_APERTURE_LAST = (1UL << 31) - 1,
};

/* Each nested mock domain models an IOTLB of this many u32 entries */
enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM = 4,
};

/* A recognisable value for user space to seed the IOTLB with */
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef

/*
 * Flags of the emulated access ops, one set per op; their values overlap.
 */
enum {
	/* create_access.flags: the access pins pages, so it must implement unmap */
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
	/*
	 * access_rw.flags: copy towards the IOAS rather than out of it; force
	 * the page by page path.  The bits of in-kernel iommufd_access_rw().
	 */
	MOCK_ACCESS_RW_WRITE = 1 << 0,
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,
	/*
	 * access_pages.flags: pin for writing; and, for the fuzzer, read the
	 * IOVA as a (n-th area, offset) pair instead of as an address.
	 */
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,
};

/**
 * struct iommu_test_cmd - argument of IOMMU_TEST_CMD
 * @size: sizeof(struct iommu_test_cmd)
 * @op: one of the IOMMU_TEST_OP_* values; it says which member of the
 *      union below is read and written
 * @id: the object the operation works on (an IOAS, HWPT, mock device or
 *      access ID, or an access file descriptor, depending on @op)
 * @__reserved: must be 0
 * @dirty: DIRTY: mark IOVAs of mock domain @id dirty, one bit per
 *         page_size; returns how many were mapped and got marked
 * @add_reserved: ADD_RESERVED: IOVA range to reserve in IOAS @id
 * @memory_limit: SET_TEMP_MEMORY_LIMIT: bytes of temporary memory the
 *                kernel may use per batch
 * @check_refs: MD_CHECK_REFS: check the pin count of the user pages
 * @check_map: MD_CHECK_MAP: check that mock domain @id maps the IOVA range
 *             to the memory behind the user pointer
 * @check_iotlb: MD_CHECK_IOTLB: check one IOTLB entry of nested domain @id
 *
 * @mock_domain_flags: MOCK_DOMAIN_FLAGS: create a mock device with
 *                     MOCK_FLAGS_DEVICE_* flags, bind it and attach it to
 *                     @id; returns the IDs of the selftest device object,
 *                     of the HWPT it got attached to and of its iommufd
 *                     device
 * @mock_domain: MOCK_DOMAIN: the same without flags; its outputs lie where
 *               @mock_domain_flags has them
 * @trigger_iopf: TRIGGER_IOPF: make the mock device behind iommufd device
 *                @dev_id raise a page request
 * @trigger_vevent: TRIGGER_VEVENT: the mock device behind iommufd device
 *                  @dev_id reports an event to the vEVENTQ of type
 *                  IOMMU_VEVENTQ_TYPE_SELFTEST of the vIOMMU it is attached
 *                  through, naming the device by its virtual ID
 * @check_dev_cache: DEV_CHECK_CACHE: entry @id of the device cache of the
 *                   mock device behind iommufd device @id (the command's)
 *                   holds @cache
 *
 * @create_access: CREATE_ACCESS: create an emulated access on IOAS @id;
 *                 returns a file descriptor standing for it
 * @access_pages: ACCESS_PAGES: pin an IOVA range through access @id
 * @destroy_access_pages: DESTROY_ACCESS_PAGES: unpin one earlier pin
 *                        of access @id
 * @access_rw: ACCESS_RW: copy between an IOVA range and user memory
 *             through access @id
 *
 * @mock_domain_replace: MOCK_DOMAIN_REPLACE: move selftest device @id to
 *                       the HWPT or IOAS @pt_id; returns the HWPT ID
 * @access_replace_ioas: ACCESS_REPLACE_IOAS: move access @id to another IOAS
 *
 * @pasid_attach: PASID_ATTACH: attach @pasid of selftest device @id to
 *                @pt_id
 * @pasid_replace: PASID_REPLACE: move @pasid of selftest device @id to
 *                 @pt_id
 * @pasid_detach: PASID_DETACH: detach @pasid of selftest device @id
 * @pasid_check: PASID_CHECK_HWPT: @pasid of selftest device @id is
 *               attached to the domain of @hwpt_id (0: to none)
 *
 * @dmabuf_get: DMABUF_GET: export a dma-buf of @length bytes of kernel
 *              pages (rounded up to pages), revocable like vfio-pci's;
 *              returns its new file descriptor, opened with @open_flags
 * @dmabuf_revoke: DMABUF_REVOKE: revoke (@revoked 1) or restore (0) the
 *                 dma-buf @dmabuf_fd made by DMABUF_GET, telling importers
 * @check_dmabuf: MD_CHECK_DMABUF: every mock domain of IOAS/HWPT @id maps
 *                @length bytes at @iova to the pages of dma-buf @dmabuf_fd
 *                from byte @offset on
 *
 * @mock_domain_in_group: MOCK_DOMAIN_IN_GROUP (ours): as MOCK_DOMAIN_FLAGS,
 *                        the new device joining the IOMMU group of
 *                        selftest device @group_peer_id
 * @last: end marker; never read
 *
 * The union holds one member per op, grouped by subject rather than by op
 * number: what an IOAS or a mock domain holds, mock devices, emulated
 * accesses (as a kernel driver such as an mdev would make them), moving a
 * device or an access elsewhere, PASIDs, mock dma-bufs, and last the ops
 * of our own.  The order does not change the layout, which only depends
 * on the largest member; that one comes first, so that an initializer
 * naming no member of the union zeroes all of it even in strict C.
 */
struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;
			__aligned_u64 out_nr_dirty;
		} dirty;
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		struct {
			__u32 limit;
		} memory_limit;
		struct {
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;
		} check_refs;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			/* MOCK_FLAGS_DEVICE_*; the outputs share mock_domain's */
			__u32 dev_flags;
		} mock_domain_flags;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			/* The ID user space passes to the regular iommufd ioctls */
			__u32 out_idev_id;
		} mock_domain;
		struct {
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__u64 addr;
		} trigger_iopf;
		struct {
			__u32 dev_id;
		} trigger_vevent;
		struct {
			__u32 id;
			__u32 cache;
		} check_dev_cache;
		struct {
			__u32 out_access_fd;
			__u32 flags;
		} create_access;
		struct {
			__u32 flags;
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} access_pages;
		struct {
			__u32 access_pages_id;
		} destroy_access_pages;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;
		} access_rw;
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		struct {
			__u32 ioas_id;
		} access_replace_ioas;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_attach;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_replace;
		struct {
			__u32 pasid;
		} pasid_detach;
		struct {
			__u32 pasid;
			__u32 hwpt_id;
		} pasid_check;
		struct {
			__u32 length;
			__u32 open_flags;
		} dmabuf_get;
		struct {
			__s32 dmabuf_fd;
			__u32 revoked;
		} dmabuf_revoke;
		struct {
			__s32 dmabuf_fd;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 offset;
		} check_dmabuf;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;
			__u32 group_peer_id;
		} mock_domain_in_group;
	};
	__u32 last;
};

#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

/*
 * What the mock driver exchanges through the regular ioctls, in the order
 * of those commands' numbers.
 */

/*
 * IOMMU_HWPT_ALLOC data type for a nested mock domain.  Chosen far away
 * from the values of enum iommu_hwpt_data_type so that it never collides.
 */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead

/**
 * struct iommu_hwpt_selftest - data of type IOMMU_HWPT_DATA_SELFTEST
 * @iotlb: value every IOTLB entry of the new nested domain starts with
 *         (normally IOMMU_TEST_IOTLB_DEFAULT)
 */
struct iommu_hwpt_selftest {
	__u32 iotlb;
};

/*
 * IOMMU_GET_HW_INFO on a mock device reports data of this type, a
 * struct iommu_test_hw_info whose test_reg holds the REGVAL constant.
 */
#define IOMMU_HW_INFO_TYPE_SELFTEST	0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL	0xdeadbeef

/**
 * struct iommu_test_hw_info - hardware information of the mock IOMMU
 * @flags: always 0
 * @test_reg: IOMMU_HW_INFO_SELFTEST_REGVAL
 */
struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;
};

/* flags of both invalidation requests below: clear every entry */
#define IOMMU_TEST_INVALIDATE_FLAG_ALL	0x1

/*
 * IOMMU_HWPT_INVALIDATE data types of nested mock domains: entries of
 * struct iommu_hwpt_invalidate_selftest, and a value the driver must turn
 * down, to test that unknown types are refused.  Both are kept clear of
 * enum iommu_hwpt_invalidate_data_type.
 */
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/**
 * struct iommu_hwpt_invalidate_selftest - one invalidation request of type
 *                                         IOMMU_HWPT_INVALIDATE_DATA_SELFTEST
 * @flags: 0 or IOMMU_TEST_INVALIDATE_FLAG_ALL
 * @iotlb_id: the IOTLB entry to clear, at most
 *            MOCK_NESTED_DOMAIN_IOTLB_ID_MAX; out of range values are
 *            refused even when IOMMU_TEST_INVALIDATE_FLAG_ALL makes the
 *            entry irrelevant
 *
 * A cleared entry reads back as 0 through IOMMU_TEST_OP_MD_CHECK_IOTLB.
 */
struct iommu_hwpt_invalidate_selftest {
	__u32 flags;
	__u32 iotlb_id;
};

/* IOMMU_VIOMMU_ALLOC type of the mock driver's vIOMMU */
#define IOMMU_VIOMMU_TYPE_SELFTEST 0xdeadbeef

/**
 * struct iommu_viommu_selftest - data of IOMMU_VIOMMU_TYPE_SELFTEST
 * @in_data: In.  Any value.
 * @out_data: Out.  @in_data back.
 * @out_mmap_offset: Out.  Offset to mmap() on the iommufd: two pages of
 *                   the vIOMMU, whose first u32 holds @in_data.
 * @out_mmap_length: Out.  The length of that mmap(): two pages.
 */
struct iommu_viommu_selftest {
	__u32 in_data;
	__u32 out_data;
	__aligned_u64 out_mmap_offset;
	__aligned_u64 out_mmap_length;
};

/*
 * IOMMU_HWPT_INVALIDATE data types of a mock vIOMMU: entries of struct
 * iommu_viommu_invalidate_selftest, and a value the driver refuses.
 */
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/**
 * struct iommu_viommu_invalidate_selftest - one request to a mock vIOMMU
 * @flags: 0 or IOMMU_TEST_INVALIDATE_FLAG_ALL
 * @vdev_id: The virtual ID of the device whose cache is meant
 * @cache_id: The entry to clear, at most MOCK_DEV_CACHE_ID_MAX; every entry
 *            with IOMMU_TEST_INVALIDATE_FLAG_ALL
 */
struct iommu_viommu_invalidate_selftest {
	__u32 flags;
	__u32 vdev_id;
	__u32 cache_id;
};

/* vEVENTQ type of the mock vIOMMU's events */
#define IOMMU_VEVENTQ_TYPE_SELFTEST 0xbeefbeef

/**
 * struct iommu_viommu_event_selftest - event of IOMMU_VEVENTQ_TYPE_SELFTEST
 * @virt_id: The virtual ID of the device that reported it
 */
struct iommu_viommu_event_selftest {
	__u32 virt_id;
};

/*
 * HW queue type of the mock vIOMMU, and how many queues (by index) it has.
 * Queue n > 0 can only be made while queue n - 1 exists, and depends on it.
 */
#define IOMMU_HW_QUEUE_TYPE_SELFTEST 0xdeadbeef
#define IOMMU_TEST_HW_QUEUE_MAX 2

#endif
