/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small helpers shared by the iommufd selftests.  Each one turns an ioctl
 * into "0 or the errno it failed with", so a test states the outcome it
 * expects in one assertion.
 */
#ifndef __SELFTEST_IOMMUFD_HELPERS_H
#define __SELFTEST_IOMMUFD_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/iommufd.h>

#include "../../../../drivers/iommu/iommufd/iommufd_test.h"

#define IOMMUFD_DEV_PATH "/dev/iommu"

#ifndef PAGE_SIZE
#define PAGE_SIZE 4096UL
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))
#endif

#define SZ_1M 0x100000UL
#define SZ_2M 0x200000UL

/*
 * A program's test buffer: its tests are sized to it, so each program that
 * uses BUF_SIZE defines BUF_PAGES itself
 */
#define BUF_SIZE (BUF_PAGES * PAGE_SIZE)

/* Flags of IOMMU_IOAS_MAP and COPY, at an automatic IOVA and at a fixed one */
#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED (IOMMU_IOAS_MAP_FIXED_IOVA | RW)

/* An ID far above any a test's context hands out */
#define NO_SUCH_ID 0x7ffffff0u

/* The IO page of mock domains (MOCK_IO_PAGE_SIZE in the kernel) */
#define IO_PAGE_SIZE (PAGE_SIZE / 2)

/*
 * The first IOVA every mock domain translates: a test that may have one
 * maps from here on
 */
#define APERTURE_IOVA ((__u64)MOCK_APERTURE_START)

/* Run an ioctl; 0 on success, otherwise the errno it set */
static inline int iommufd_ioctl_err(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg) ? errno : 0;
}

static inline int iommufd_open(void)
{
	return open(IOMMUFD_DEV_PATH, O_RDWR | O_CLOEXEC);
}

static inline int iommufd_ioas_alloc_err(int fd, __u32 *ioas_id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int err;

	err = iommufd_ioctl_err(fd, IOMMU_IOAS_ALLOC, &cmd);
	if (!err)
		*ioas_id = cmd.out_ioas_id;
	return err;
}

static inline int iommufd_destroy_err(int fd, __u32 id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return iommufd_ioctl_err(fd, IOMMU_DESTROY, &cmd);
}

/* IOMMU_OPTION; on success with IOMMU_OPTION_OP_GET *val receives the value */
static inline int iommufd_option_err(int fd, __u32 option_id, __u16 op,
				     __u32 object_id, __u64 *val)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.val64 = *val,
		.option_id = option_id,
		.op = op,
		.object_id = object_id,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_OPTION, &cmd);

	if (!err)
		*val = cmd.val64;
	return err;
}

/* IOMMU_OPTION_HUGE_PAGES of IOAS @ioas_id: 1 on, 0 off */
static inline int iommufd_set_huge_pages_err(int fd, __u32 ioas_id,
					     __u64 enable)
{
	return iommufd_option_err(fd, IOMMU_OPTION_HUGE_PAGES,
				  IOMMU_OPTION_OP_SET, ioas_id, &enable);
}

/* IOMMU_OPTION_HUGE_PAGES of IOAS @ioas_id, or UINT64_MAX */
static inline __u64 iommufd_get_huge_pages(int fd, __u32 ioas_id)
{
	__u64 val = UINT64_MAX;

	if (iommufd_option_err(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET,
			       ioas_id, &val))
		return UINT64_MAX;
	return val;
}

/* Write @value to the file at @path; 0 or -1 */
static inline int iommufd_write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY);
	ssize_t len = strlen(value);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, value, len) == len;
	close(fd);
	return ok ? 0 : -1;
}

/* The number on the "Name:  N [kB]" line of a /proc status file, or -1 */
static inline long iommufd_proc_kb(const char *path, const char *name)
{
	size_t name_len = strlen(name);
	char line[256];
	long kb = -1;
	FILE *file;

	file = fopen(path, "r");
	if (!file)
		return -1;
	while (fgets(line, sizeof(line), file)) {
		if (!strncmp(line, name, name_len) && line[name_len] == ':') {
			kb = strtol(line + name_len + 1, NULL, 10);
			break;
		}
	}
	fclose(file);
	return kb;
}

/*
 * Remove capability @cap from the calling thread's effective, permitted
 * and inheritable sets; 0 or the errno
 */
static inline int iommufd_drop_capability(int cap)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &header, data))
		return errno;
	data[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	data[CAP_TO_INDEX(cap)].permitted &= ~CAP_TO_MASK(cap);
	data[CAP_TO_INDEX(cap)].inheritable &= ~CAP_TO_MASK(cap);
	return syscall(SYS_capset, &header, data) ? errno : 0;
}

/*
 * Let fail-nth (/proc/thread-self/fail-nth) reach sleeping allocations,
 * without logging every injected fault; 0 or -1
 */
static inline int iommufd_fail_nth_setup(void)
{
	static const char *const knobs[][2] = {
		{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/failslab/verbose", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/min-order", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/verbose", "0" },
		{ "/sys/kernel/debug/fail_usercopy/verbose", "0" },
	};
	size_t i;

	for (i = 0; i != ARRAY_SIZE(knobs); i++)
		if (iommufd_write_file(knobs[i][0], knobs[i][1]))
			return -1;
	return 0;
}

/* Make the calling thread's @nth fault site from now on fail; 0 or -1 */
static inline int iommufd_fail_nth_arm(unsigned int nth)
{
	char value[16];

	snprintf(value, sizeof(value), "%u", nth);
	return iommufd_write_file("/proc/thread-self/fail-nth", value);
}

/* Disarm fail-nth; true if the armed fault was injected */
static inline bool iommufd_fail_nth_disarm(void)
{
	char value[16] = {};
	int fd = open("/proc/thread-self/fail-nth", O_RDWR);
	bool injected;

	if (fd < 0)
		return false;
	injected = read(fd, value, sizeof(value) - 1) > 0 &&
		   atoi(value) == 0;
	if (write(fd, "0", 1) != 1)
		injected = false;
	close(fd);
	return injected;
}

/* IOMMU_IOAS_MAP; *iova is the fixed IOVA in, where it was mapped out */
static inline int iommufd_ioas_map_err(int fd, __u32 ioas_id, __u32 flags,
				       void *va, __u64 length, __u64 *iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.iova = *iova,
		.ioas_id = ioas_id,
		.user_va = (__u64)(uintptr_t)va,
		.length = length,
		.flags = flags,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_IOAS_MAP, &cmd);

	if (!err)
		*iova = cmd.iova;
	return err;
}

/*
 * IOMMU_IOAS_MAP_FILE of [start, start + length) of @file_fd; *iova is the
 * fixed IOVA in, where it was mapped out
 */
static inline int iommufd_ioas_map_file_err(int fd, __u32 ioas_id,
					    __u32 flags, int file_fd,
					    __u64 start, __u64 length,
					    __u64 *iova)
{
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.fd = file_fd,
		.start = start,
		.length = length,
		.iova = *iova,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_IOAS_MAP_FILE, &cmd);

	if (!err)
		*iova = cmd.iova;
	return err;
}

/*
 * IOMMU_IOAS_CHANGE_PROCESS: charge everything pinned through @fd to the
 * calling process
 */
static inline int iommufd_change_process_err(int fd)
{
	struct iommu_ioas_change_process cmd = { .size = sizeof(cmd) };

	return iommufd_ioctl_err(fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd);
}

/* Map @va read-write at the fixed IOVA @iova */
static inline int iommufd_ioas_map_fixed_err(int fd, __u32 ioas_id, void *va,
					     __u64 length, __u64 iova)
{
	return iommufd_ioas_map_err(fd, ioas_id, FIXED, va, length, &iova);
}

/* Map [start, start + length) of @file_fd read-write at the fixed @iova */
static inline int iommufd_ioas_map_file_fixed_err(int fd, __u32 ioas_id,
						  int file_fd, __u64 start,
						  __u64 length, __u64 iova)
{
	return iommufd_ioas_map_file_err(fd, ioas_id, FIXED, file_fd, start,
					 length, &iova);
}

/*
 * A memfd of @size bytes made with MFD_* @memfd_flags (MFD_HUGETLB for
 * hugetlbfs); its descriptor, or -1
 */
static inline int iommufd_memfd(size_t size, unsigned int memfd_flags)
{
	int memfd = syscall(SYS_memfd_create, "iommufd-test", memfd_flags);

	if (memfd < 0)
		return -1;
	if (ftruncate(memfd, size)) {
		close(memfd);
		return -1;
	}
	return memfd;
}

/*
 * @size bytes of fresh memory aligned to @align (a power of two, at least
 * a page), or MAP_FAILED.  The surplus of the bigger reservation is given
 * back so that a plain munmap(ptr, size) releases it all.
 */
static inline void *iommufd_mmap_aligned(size_t size, size_t align, int prot,
					 int flags)
{
	size_t span = size + align;
	__u8 *raw, *start;

	raw = mmap(NULL, span, prot, flags, -1, 0);
	if (raw == MAP_FAILED)
		return MAP_FAILED;
	start = (__u8 *)(((uintptr_t)raw + align - 1) &
			 ~(uintptr_t)(align - 1));
	if (start != raw)
		munmap(raw, start - raw);
	if (start + size != raw + span)
		munmap(start + size, raw + span - (start + size));
	return start;
}

/*
 * Write a value identifying (@seed, page index) into every page, which also
 * faults each page in for writing
 */
static inline void iommufd_stamp_pages(void *va, size_t size, __u64 seed)
{
	__u8 *bytes = va;
	size_t off;

	for (off = 0; off < size; off += PAGE_SIZE)
		*(__u64 *)(bytes + off) = seed ^ (off / PAGE_SIZE);
}

static inline bool iommufd_pages_carry_stamp(const void *va, size_t size,
					     __u64 seed)
{
	const __u8 *bytes = va;
	size_t off;

	for (off = 0; off < size; off += PAGE_SIZE)
		if (*(const __u64 *)(bytes + off) != (seed ^ (off / PAGE_SIZE)))
			return false;
	return true;
}

/*
 * @size bytes of anonymous memory, MAP_PRIVATE or MAP_SHARED as @share says,
 * every page faulted in; NULL on failure.  Small pages only: MD_CHECK_REFS
 * does not look into compound pages.
 */
static inline void *iommufd_alloc_small_pages(size_t size, int share)
{
	void *va = iommufd_mmap_aligned(size, SZ_2M, PROT_READ | PROT_WRITE,
					share | MAP_ANONYMOUS);

	if (va == MAP_FAILED)
		return NULL;
	if (madvise(va, size, MADV_NOHUGEPAGE)) {
		munmap(va, size);
		return NULL;
	}
	iommufd_stamp_pages(va, size, 0);
	return va;
}

/* A page of a buffer and its pfn, for iommufd_alloc_scattered_pages() */
struct iommufd_page_pfn {
	__u64 pfn;
	size_t index;
};

static inline int iommufd_page_pfn_descending(const void *a, const void *b)
{
	const struct iommufd_page_pfn *left = a, *right = b;

	return left->pfn < right->pfn ? 1 : left->pfn > right->pfn ? -1 : 0;
}

/* The pfn of every page of @va (root only: others read pfn 0) */
static inline int iommufd_read_pfns(const void *va, size_t npages,
				    struct iommufd_page_pfn *pfns)
{
	const __u64 present = 1ULL << 63, pfn_mask = (1ULL << 55) - 1;
	off_t first = (uintptr_t)va / PAGE_SIZE * sizeof(__u64);
	int fd = open("/proc/self/pagemap", O_RDONLY);
	size_t i;

	if (fd < 0)
		return -1;
	for (i = 0; i != npages; i++) {
		__u64 entry;

		if (pread(fd, &entry, sizeof(entry),
			  first + i * sizeof(entry)) != sizeof(entry) ||
		    !(entry & present) || !(entry & pfn_mask))
			break;
		pfns[i].pfn = entry & pfn_mask;
		pfns[i].index = i;
	}
	close(fd);
	return i == npages ? 0 : -1;
}

/*
 * @size bytes of small pages, MAP_PRIVATE, of which no two neighbours are
 * neighbours in physical memory: the pages of a buffer of small pages are
 * moved (mremap) into a new range in descending order of their pfns, so
 * that every page is a physically contiguous stretch of its own, whatever
 * the page allocator handed out.  Stamped like iommufd_alloc_small_pages()
 * with seed 0.  Reading pfns wants root.  NULL on failure.
 */
static inline void *iommufd_alloc_scattered_pages(size_t size)
{
	size_t npages = size / PAGE_SIZE, i;
	struct iommufd_page_pfn *pfns;
	__u8 *source, *va;

	source = iommufd_alloc_small_pages(size, MAP_PRIVATE);
	if (!source)
		return NULL;
	va = iommufd_mmap_aligned(size, SZ_2M, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS);
	pfns = calloc(npages, sizeof(*pfns));
	if (va == MAP_FAILED || !pfns ||
	    iommufd_read_pfns(source, npages, pfns))
		goto fail;
	qsort(pfns, npages, sizeof(*pfns), iommufd_page_pfn_descending);
	for (i = 0; i != npages; i++)
		if (mremap(source + pfns[i].index * PAGE_SIZE, PAGE_SIZE,
			   PAGE_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED,
			   va + i * PAGE_SIZE) == MAP_FAILED)
			goto fail;
	free(pfns);
	munmap(source, size);
	iommufd_stamp_pages(va, size, 0);
	return va;

fail:
	free(pfns);
	munmap(source, size);
	if (va != MAP_FAILED)
		munmap(va, size);
	return NULL;
}

/*
 * How many physically contiguous stretches the @size bytes at @va are, or
 * -1 when their pfns cannot be read
 */
static inline long iommufd_count_stretches(const void *va, size_t size)
{
	size_t npages = size / PAGE_SIZE, i;
	struct iommufd_page_pfn *pfns = calloc(npages, sizeof(*pfns));
	long stretches = -1;

	if (pfns && !iommufd_read_pfns(va, npages, pfns)) {
		stretches = 1;
		for (i = 1; i != npages; i++)
			if (pfns[i].pfn != pfns[i - 1].pfn + 1)
				stretches++;
	}
	free(pfns);
	return stretches;
}

/*
 * IOMMU_IOAS_UNMAP; on success *unmapped (unless NULL) receives how many
 * bytes went
 */
static inline int iommufd_ioas_unmap_count_err(int fd, __u32 ioas_id,
					       __u64 iova, __u64 length,
					       __u64 *unmapped)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.length = length,
		.ioas_id = ioas_id,
		.iova = iova,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_IOAS_UNMAP, &cmd);

	if (!err && unmapped)
		*unmapped = cmd.length;
	return err;
}

static inline int iommufd_ioas_unmap_err(int fd, __u32 ioas_id, __u64 iova,
					 __u64 length)
{
	return iommufd_ioas_unmap_count_err(fd, ioas_id, iova, length, NULL);
}

/* IOMMU_IOAS_ALLOW_IOVAS of the @count ranges at @ranges */
static inline int iommufd_ioas_allow_iovas_err(int fd, __u32 ioas_id,
					       struct iommu_iova_range *ranges,
					       __u32 count)
{
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = count,
		.allowed_iovas = (__u64)(uintptr_t)ranges,
	};

	return iommufd_ioctl_err(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

/*
 * IOMMU_VFIO_IOAS with IOMMU_VFIO_IOAS_* @op; *ioas_id is the IOAS in and,
 * on success, the compatibility IOAS out
 */
static inline int iommufd_vfio_ioas_err(int fd, __u16 op, __u32 *ioas_id)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.ioas_id = *ioas_id,
		.op = op,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_VFIO_IOAS, &cmd);

	if (!err)
		*ioas_id = cmd.ioas_id;
	return err;
}

/*
 * IOMMU_IOAS_IOVA_RANGES into @ranges, which holds *@count entries; on
 * success (or EMSGSIZE) *@count is the number of usable ranges
 */
static inline int iommufd_iova_ranges_err(int fd, __u32 ioas_id,
					  struct iommu_iova_range *ranges,
					  __u32 *count)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = *count,
		.allowed_iovas = (__u64)(uintptr_t)ranges,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_IOAS_IOVA_RANGES, &cmd);

	if (!err || err == EMSGSIZE)
		*count = cmd.num_iovas;
	return err;
}

/* IOMMU_HWPT_ALLOC of a paging HWPT on IOAS @pt_id */
static inline int iommufd_hwpt_alloc_err(int fd, __u32 dev_id, __u32 pt_id,
					 __u32 flags, __u32 *hwpt_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!err && hwpt_id)
		*hwpt_id = cmd.out_hwpt_id;
	return err;
}

/* IOMMU_TEST_CMD with cmd->size filled in */
static inline int iommufd_test_cmd_err(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return iommufd_ioctl_err(fd, IOMMU_TEST_CMD, cmd);
}

/*
 * Run one of the test ops that create a mock device (MOCK_DOMAIN, _FLAGS,
 * _IN_GROUP: their outputs share one layout) and hand out its IDs; any of
 * the output IDs may be NULL.
 */
static inline int iommufd_new_mock_device_err(int fd,
					      struct iommu_test_cmd *cmd,
					      __u32 *stdev_id, __u32 *hwpt_id,
					      __u32 *idev_id)
{
	int err = iommufd_test_cmd_err(fd, cmd);

	if (err)
		return err;
	if (stdev_id)
		*stdev_id = cmd->mock_domain.out_stdev_id;
	if (hwpt_id)
		*hwpt_id = cmd->mock_domain.out_hwpt_id;
	if (idev_id)
		*idev_id = cmd->mock_domain.out_idev_id;
	return 0;
}

/*
 * IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS: a new mock device with @dev_flags,
 * bound and attached to @pt_id.  Any of the output IDs may be NULL.
 */
static inline int iommufd_mock_domain_flags_err(int fd, __u32 pt_id,
						__u32 dev_flags,
						__u32 *stdev_id,
						__u32 *hwpt_id, __u32 *idev_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
		.id = pt_id,
		.mock_domain_flags = { .dev_flags = dev_flags },
	};

	return iommufd_new_mock_device_err(fd, &cmd, stdev_id, hwpt_id,
					   idev_id);
}

/* IOMMU_TEST_OP_MOCK_DOMAIN: the same for a device without flags */
static inline int iommufd_mock_domain_err(int fd, __u32 pt_id,
					  __u32 *stdev_id, __u32 *hwpt_id,
					  __u32 *idev_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = pt_id,
	};

	return iommufd_new_mock_device_err(fd, &cmd, stdev_id, hwpt_id,
					   idev_id);
}

/*
 * A new IOAS with a mock device attached to it, and a HWPT allocated for
 * the device on the IOAS with IOMMU_HWPT_ALLOC_* @flags: where the tests
 * of nesting parents and of dirty tracking start.  @stdev_id may be NULL.
 */
static inline int iommufd_mock_device_hwpt_err(int fd, __u32 flags,
					       __u32 *ioas_id, __u32 *stdev_id,
					       __u32 *idev_id, __u32 *hwpt_id)
{
	int err = iommufd_ioas_alloc_err(fd, ioas_id);

	if (!err)
		err = iommufd_mock_domain_err(fd, *ioas_id, stdev_id, NULL,
					      idev_id);
	if (!err)
		err = iommufd_hwpt_alloc_err(fd, *idev_id, *ioas_id, flags,
					     hwpt_id);
	return err;
}

/* IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE; *pt_id receives the new HWPT's ID */
static inline int iommufd_mock_domain_replace_err(int fd, __u32 stdev_id,
						  __u32 *pt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev_id,
		.mock_domain_replace = { .pt_id = *pt_id },
	};
	int err = iommufd_test_cmd_err(fd, &cmd);

	if (!err)
		*pt_id = cmd.mock_domain_replace.pt_id;
	return err;
}

static inline int iommufd_add_reserved_err(int fd, __u32 ioas_id,
					   __u64 start, __u64 length)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ADD_RESERVED,
		.id = ioas_id,
		.add_reserved = { .start = start, .length = length },
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

/* IOMMU_TEST_OP_MD_CHECK_MAP: mock HWPT @hwpt_id maps @iova onto @uptr */
static inline int iommufd_check_map_err(int fd, __u32 hwpt_id, __u64 iova,
					__u64 length, void *uptr)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt_id,
		.check_map = {
			.iova = iova,
			.length = length,
			.uptr = (__u64)(uintptr_t)uptr,
		},
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

/*
 * Mock HWPT @hwpt_id translates no IO page of [iova, iova + length), which
 * is aligned to the mock IO page size; @va is any memory of that length
 */
static inline bool iommufd_hwpt_maps_none_of(int fd, __u32 hwpt_id,
					     __u64 iova, __u64 length,
					     void *va)
{
	__u8 *bytes = va;
	__u64 done;

	for (done = 0; done < length; done += IO_PAGE_SIZE)
		if (iommufd_check_map_err(fd, hwpt_id, iova + done,
					  IO_PAGE_SIZE, bytes + done) != EINVAL)
			return false;
	return true;
}

/* IOMMU_TEST_OP_MD_CHECK_REFS: each page at @uptr is pinned @refs times */
static inline int iommufd_check_refs_err(int fd, void *uptr, __u64 length,
					 __u32 refs)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = {
			.length = length,
			.uptr = (__u64)(uintptr_t)uptr,
			.refs = refs,
		},
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

/* ---- IOMMU_TEST_CMD: emulated accesses ---------------------------------- */

/* CREATE_ACCESS on IOAS @ioas_id; *access_fd receives the new descriptor */
static inline int iommufd_create_access_err(int fd, __u32 ioas_id,
					    __u32 flags, int *access_fd)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.id = ioas_id,
		.create_access = { .flags = flags },
	};
	int err = iommufd_test_cmd_err(fd, &cmd);

	if (!err)
		*access_fd = cmd.create_access.out_access_fd;
	return err;
}

/*
 * ACCESS_PAGES: pin [iova, iova + length) through the access; the kernel
 * checks the pages against the user memory at @uptr unless it is NULL.
 * *pin_id (if not NULL) receives the ID that DESTROY_ACCESS_PAGES takes.
 */
static inline int iommufd_access_pin_err(int fd, int access_fd, __u64 iova,
					 __u64 length, const void *uptr,
					 __u32 flags, __u32 *pin_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_PAGES,
		.id = access_fd,
		.access_pages = {
			.flags = flags,
			.iova = iova,
			.length = length,
			.uptr = (__u64)(uintptr_t)uptr,
		},
	};
	int err = iommufd_test_cmd_err(fd, &cmd);

	if (!err && pin_id)
		*pin_id = cmd.access_pages.out_access_pages_id;
	return err;
}

/* DESTROY_ACCESS_PAGES: unpin what one ACCESS_PAGES pinned */
static inline int iommufd_access_unpin_err(int fd, int access_fd,
					   __u32 pin_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
		.id = access_fd,
		.destroy_access_pages = { .access_pages_id = pin_id },
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

/*
 * ACCESS_RW: copy @length bytes between @buf and the IOVA range, into the
 * IOAS with MOCK_ACCESS_RW_WRITE, out of it otherwise
 */
static inline int iommufd_access_rw_err(int fd, int access_fd, __u64 iova,
					void *buf, __u64 length, __u32 flags)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_RW,
		.id = access_fd,
		.access_rw = {
			.iova = iova,
			.length = length,
			.uptr = (__u64)(uintptr_t)buf,
			.flags = flags,
		},
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

/* ACCESS_REPLACE_IOAS: move the access to IOAS @ioas_id */
static inline int iommufd_access_replace_err(int fd, int access_fd,
					     __u32 ioas_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
		.id = access_fd,
		.access_replace_ioas = { .ioas_id = ioas_id },
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

/*
 * A pin that an access holds while its IOAS, or another one, unmaps a
 * range: what is pinned, what is unmapped, and what the unmap and the
 * unpin after it returned
 */
struct iommufd_pin_unmap {
	__u64 pin_iova;
	__u64 pin_length;
	/* The user memory the kernel checks the pinned pages against */
	void *uptr;
	__u32 ioas_id;
	__u64 unmap_iova;
	__u64 unmap_length;
	int unmap_err;
	/* ENOENT when the unmap revoked the pin */
	int unpin_err;
};

/* Pin, unmap and unpin as @op says; 0 or the errno of the pin */
static inline int iommufd_pin_unmap_unpin_err(int fd, int access_fd,
					      struct iommufd_pin_unmap *op)
{
	__u32 pin_id;
	int err;

	err = iommufd_access_pin_err(fd, access_fd, op->pin_iova,
				     op->pin_length, op->uptr, 0, &pin_id);
	if (err)
		return err;
	op->unmap_err = iommufd_ioas_unmap_err(fd, op->ioas_id, op->unmap_iova,
					       op->unmap_length);
	op->unpin_err = iommufd_access_unpin_err(fd, access_fd, pin_id);
	return 0;
}

/* IOMMU_IOAS_COPY; *dst_iova is the fixed IOVA in, where it was copied out */
static inline int iommufd_ioas_copy_err(int fd, __u32 dst_ioas_id,
					__u32 src_ioas_id, __u32 flags,
					__u64 src_iova, __u64 length,
					__u64 *dst_iova)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = dst_ioas_id,
		.src_ioas_id = src_ioas_id,
		.length = length,
		.dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_IOAS_COPY, &cmd);

	if (!err)
		*dst_iova = cmd.dst_iova;
	return err;
}

/* Default of IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, to restore after a test */
#define IOMMUFD_TEST_DEFAULT_MEMORY_LIMIT 65536

/* Bound the kernel's temporary buffers (system wide) to @limit bytes */
static inline int iommufd_set_temp_memory_limit_err(int fd, __u32 limit)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
		.memory_limit = { .limit = limit },
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

#define IOMMUFD_MAX_DOMAINS 4

/*
 * The domains linked to one IOAS.  Without a device, linking one creates a
 * mock device attached to the IOAS, which gets an automatic domain (every
 * further mock device on that IOAS would share it), unlinked by destroying
 * the device.  With a device, linking allocates a HWPT for it, linked to
 * the IOAS at allocation and unlinked by destroying the HWPT.
 */
struct iommufd_domain_set {
	unsigned int count;
	__u32 ioas_id;
	/* The mock device HWPTs are allocated for, 0 while there is none */
	__u32 idev_id;
	__u32 stdev_id;
	__u32 hwpt_id[IOMMUFD_MAX_DOMAINS];
	/* The object whose destruction unlinks hwpt_id[i] */
	__u32 owner_id[IOMMUFD_MAX_DOMAINS];
};

/*
 * Link one more domain; a new mock device gets MOCK_FLAGS_DEVICE_*
 * @dev_flags.  0, the errno, or -1 when the set is full.
 */
static inline int
iommufd_link_domain(int fd, struct iommufd_domain_set *domains, __u32 dev_flags)
{
	unsigned int slot = domains->count;
	__u32 hwpt_id, owner_id;
	int err;

	if (slot == IOMMUFD_MAX_DOMAINS)
		return -1;
	if (domains->idev_id) {
		err = iommufd_hwpt_alloc_err(fd, domains->idev_id,
					     domains->ioas_id, 0, &hwpt_id);
		owner_id = hwpt_id;
	} else if (dev_flags) {
		err = iommufd_mock_domain_flags_err(fd, domains->ioas_id,
						    dev_flags,
						    &domains->stdev_id,
						    &hwpt_id,
						    &domains->idev_id);
		owner_id = domains->stdev_id;
	} else {
		err = iommufd_mock_domain_err(fd, domains->ioas_id,
					      &domains->stdev_id, &hwpt_id,
					      &domains->idev_id);
		owner_id = domains->stdev_id;
	}
	if (err)
		return err;
	domains->hwpt_id[slot] = hwpt_id;
	domains->owner_id[slot] = owner_id;
	domains->count++;
	return 0;
}

/* Unlink the newest domain; 0, the errno, or -1 when there is none */
static inline int iommufd_unlink_domain(int fd,
					struct iommufd_domain_set *domains)
{
	__u32 owner_id;
	int err;

	if (!domains->count)
		return -1;
	owner_id = domains->owner_id[domains->count - 1];
	err = iommufd_destroy_err(fd, owner_id);
	if (err)
		return err;
	if (owner_id == domains->stdev_id)
		domains->idev_id = 0;
	domains->count--;
	return 0;
}

/*
 * A new IOAS for @domains, linked to @count domains; new mock devices get
 * MOCK_FLAGS_DEVICE_* @dev_flags.  0, the errno, or -1 when the set is full.
 */
static inline int
iommufd_ioas_with_domains_err(int fd, struct iommufd_domain_set *domains,
			      unsigned int count, __u32 dev_flags)
{
	int err = iommufd_ioas_alloc_err(fd, &domains->ioas_id);
	unsigned int i;

	for (i = 0; !err && i != count; i++)
		err = iommufd_link_domain(fd, domains, dev_flags);
	return err;
}

/* Another set of domains for the IOAS of @domains, using its device */
static inline struct iommufd_domain_set
iommufd_more_domains_for(const struct iommufd_domain_set *domains)
{
	struct iommufd_domain_set more = {
		.ioas_id = domains->ioas_id,
		.idev_id = domains->idev_id,
		.stdev_id = domains->stdev_id,
	};

	return more;
}

/* 0 if every domain translates [iova, iova + length) to @va, else the error */
static inline int
iommufd_check_domains(int fd, const struct iommufd_domain_set *domains,
		      __u64 iova, __u64 length, void *va)
{
	unsigned int i;
	int err;

	for (i = 0; i != domains->count; i++) {
		err = iommufd_check_map_err(fd, domains->hwpt_id[i], iova,
					    length, va);
		if (err)
			return err;
	}
	return 0;
}

/* No domain translates any IOVA of the page aligned range */
static inline bool
iommufd_domains_map_none_of(int fd, const struct iommufd_domain_set *domains,
			    __u64 iova, __u64 length, void *va)
{
	unsigned int i;

	for (i = 0; i != domains->count; i++)
		if (!iommufd_hwpt_maps_none_of(fd, domains->hwpt_id[i], iova,
					       length, va))
			return false;
	return true;
}

/* Pin count of memory mapped once into an IOAS with these domains */
static inline __u32
iommufd_pins_with(const struct iommufd_domain_set *domains)
{
	return domains->count ? 1 : 0;
}

/* ---- HWPTs: nesting, invalidation, hardware info, dirty tracking -------- */

/*
 * IOMMU_HWPT_ALLOC with driver data: a nested HWPT when @pt_id is a paging
 * HWPT.  @hwpt_id may be NULL.
 */
static inline int iommufd_hwpt_alloc_data_err(int fd, __u32 dev_id,
					      __u32 pt_id, __u32 flags,
					      __u32 data_type, void *data,
					      __u32 data_len, __u32 *hwpt_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = data_type,
		.data_len = data_len,
		.data_uptr = (__u64)(uintptr_t)data,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!err && hwpt_id)
		*hwpt_id = cmd.out_hwpt_id;
	return err;
}

/* A mock nested HWPT on @parent_id whose IOTLB entries all start at @iotlb */
static inline int iommufd_hwpt_alloc_nested_err(int fd, __u32 dev_id,
						__u32 parent_id, __u32 iotlb,
						__u32 *hwpt_id)
{
	struct iommu_hwpt_selftest data = { .iotlb = iotlb };

	return iommufd_hwpt_alloc_data_err(fd, dev_id, parent_id, 0,
					   IOMMU_HWPT_DATA_SELFTEST, &data,
					   sizeof(data), hwpt_id);
}

/*
 * IOMMU_HWPT_INVALIDATE of *@entry_num entries of @entry_len bytes at
 * @entries; *@entry_num receives the number handled, also on failure
 */
static inline int iommufd_hwpt_invalidate_err(int fd, __u32 hwpt_id,
					      __u32 data_type,
					      const void *entries,
					      __u32 entry_len,
					      __u32 *entry_num)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.entry_num = *entry_num,
		.hwpt_id = hwpt_id,
		.data_type = data_type,
		.data_uptr = (__u64)(uintptr_t)entries,
		.entry_len = entry_len,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_HWPT_INVALIDATE, &cmd);

	*entry_num = cmd.entry_num;
	return err;
}

/* IOMMU_TEST_OP_MD_CHECK_IOTLB: entry @iotlb_id of nested @hwpt_id holds @value */
static inline int iommufd_check_iotlb_err(int fd, __u32 hwpt_id,
					  __u32 iotlb_id, __u32 value)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_IOTLB,
		.id = hwpt_id,
		.check_iotlb = { .id = iotlb_id, .iotlb = value },
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

/*
 * IOMMU_GET_HW_INFO of @dev_id into the @data_len bytes at @data; *@info
 * (may be NULL) receives the command as the kernel returned it
 */
static inline int iommufd_get_hw_info_err(int fd, __u32 dev_id, void *data,
					  __u32 data_len,
					  struct iommu_hw_info *info)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.data_len = data_len,
		.data_uptr = (__u64)(uintptr_t)data,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_GET_HW_INFO, &cmd);

	if (!err && info)
		*info = cmd;
	return err;
}

static inline int iommufd_set_dirty_tracking_err(int fd, __u32 hwpt_id,
						 bool enable)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = enable ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
		.hwpt_id = hwpt_id,
	};

	return iommufd_ioctl_err(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

/* IOMMU_HWPT_GET_DIRTY_BITMAP of [iova, iova + length) into @bitmap */
static inline int iommufd_get_dirty_bitmap_err(int fd, __u32 hwpt_id,
					       __u64 iova, __u64 length,
					       __u64 page_size, void *bitmap,
					       __u32 flags)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.data = (__u64)(uintptr_t)bitmap,
		.hwpt_id = hwpt_id,
		.iova = iova,
		.length = length,
		.page_size = page_size,
		.flags = flags,
	};

	return iommufd_ioctl_err(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
}

/*
 * IOMMU_TEST_OP_DIRTY: the mock device writes to the IOVA of each bit set
 * in @bitmap; *@nr_dirty (may be NULL) receives how many were mapped
 */
static inline int iommufd_test_dirty_err(int fd, __u32 hwpt_id, __u64 iova,
					 __u64 length, __u64 page_size,
					 const void *bitmap, __u64 *nr_dirty)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DIRTY,
		.id = hwpt_id,
		.dirty = {
			.uptr = (__u64)(uintptr_t)bitmap,
			.iova = iova,
			.length = length,
			.page_size = page_size,
		},
	};
	int err = iommufd_test_cmd_err(fd, &cmd);

	if (!err && nr_dirty)
		*nr_dirty = cmd.dirty.out_nr_dirty;
	return err;
}

/*
 * IOMMU_TEST_OP_MOCK_DOMAIN_IN_GROUP (ours): a new mock device with
 * @dev_flags in the IOMMU group of selftest device @peer_stdev_id, bound
 * and attached to @pt_id.  Any of the output IDs may be NULL.
 */
static inline int iommufd_mock_domain_in_group_err(int fd, __u32 peer_stdev_id,
						   __u32 pt_id, __u32 dev_flags,
						   __u32 *stdev_id,
						   __u32 *hwpt_id,
						   __u32 *idev_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_IN_GROUP,
		.id = pt_id,
		.mock_domain_in_group = {
			.dev_flags = dev_flags,
			.group_peer_id = peer_stdev_id,
		},
	};

	return iommufd_new_mock_device_err(fd, &cmd, stdev_id, hwpt_id,
					   idev_id);
}

/* ---- vIOMMUs and what is built on them ---------------------------------- */

/*
 * IOMMU_VIOMMU_ALLOC of @type on nesting parent @hwpt_id, naming the IOMMU
 * by @dev_id, with the @data_len bytes at @data (NULL, 0: none).
 * @viommu_id may be NULL.
 */
static inline int iommufd_viommu_alloc_data_err(int fd, __u32 dev_id,
						__u32 hwpt_id, __u32 type,
						void *data, __u32 data_len,
						__u32 *viommu_id)
{
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd),
		.type = type,
		.dev_id = dev_id,
		.hwpt_id = hwpt_id,
		.data_len = data_len,
		.data_uptr = (__u64)(uintptr_t)data,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_VIOMMU_ALLOC, &cmd);

	if (!err && viommu_id)
		*viommu_id = cmd.out_viommu_id;
	return err;
}

/* The same without type specific data */
static inline int iommufd_viommu_alloc_err(int fd, __u32 dev_id,
					   __u32 hwpt_id, __u32 type,
					   __u32 *viommu_id)
{
	return iommufd_viommu_alloc_data_err(fd, dev_id, hwpt_id, type, NULL,
					     0, viommu_id);
}

/*
 * A mock vIOMMU (IOMMU_VIOMMU_TYPE_SELFTEST) with @data, whose in_data the
 * caller sets and whose out members the kernel fills
 */
static inline int
iommufd_mock_viommu_alloc_err(int fd, __u32 dev_id, __u32 hwpt_id,
			      struct iommu_viommu_selftest *data,
			      __u32 *viommu_id)
{
	return iommufd_viommu_alloc_data_err(fd, dev_id, hwpt_id,
					     IOMMU_VIOMMU_TYPE_SELFTEST, data,
					     sizeof(*data), viommu_id);
}

/* IOMMU_VDEVICE_ALLOC; @vdev_id may be NULL */
static inline int iommufd_vdevice_alloc_err(int fd, __u32 viommu_id,
					    __u32 dev_id, __u64 virt_id,
					    __u32 *vdev_id)
{
	struct iommu_vdevice_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.dev_id = dev_id,
		.virt_id = virt_id,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_VDEVICE_ALLOC, &cmd);

	if (!err && vdev_id)
		*vdev_id = cmd.out_vdevice_id;
	return err;
}

/*
 * IOMMU_VEVENTQ_ALLOC of @type and @depth on @viommu_id; @veventq_id may
 * be NULL, *@veventq_fd receives the descriptor to read events from
 */
static inline int iommufd_veventq_alloc_err(int fd, __u32 viommu_id,
					    __u32 type, __u32 depth,
					    __u32 *veventq_id, int *veventq_fd)
{
	struct iommu_veventq_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.type = type,
		.veventq_depth = depth,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_VEVENTQ_ALLOC, &cmd);

	if (err)
		return err;
	if (veventq_id)
		*veventq_id = cmd.out_veventq_id;
	*veventq_fd = cmd.out_veventq_fd;
	return 0;
}

/*
 * IOMMU_HW_QUEUE_ALLOC of a mock queue (IOMMU_HW_QUEUE_TYPE_SELFTEST) of
 * @index over [iova, iova + length) of the nesting parent's IOAS;
 * @hw_queue_id may be NULL
 */
static inline int iommufd_hw_queue_alloc_err(int fd, __u32 viommu_id,
					     __u32 index, __u64 iova,
					     __u64 length, __u32 *hw_queue_id)
{
	struct iommu_hw_queue_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.type = IOMMU_HW_QUEUE_TYPE_SELFTEST,
		.index = index,
		.nesting_parent_iova = iova,
		.length = length,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_HW_QUEUE_ALLOC, &cmd);

	if (!err && hw_queue_id)
		*hw_queue_id = cmd.out_hw_queue_id;
	return err;
}

/*
 * IOMMU_TEST_OP_TRIGGER_VEVENT: the mock device behind @idev_id reports
 * an event, naming itself by its virtual ID
 */
static inline int iommufd_trigger_vevent_err(int fd, __u32 idev_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_TRIGGER_VEVENT,
		.trigger_vevent = { .dev_id = idev_id },
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

/*
 * IOMMU_TEST_OP_DEV_CHECK_CACHE: entry @cache_id of the device cache of
 * the mock device behind @idev_id holds @value
 */
static inline int iommufd_check_dev_cache_err(int fd, __u32 idev_id,
					      __u32 cache_id, __u32 value)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DEV_CHECK_CACHE,
		.id = idev_id,
		.check_dev_cache = { .id = cache_id, .cache = value },
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

/*
 * Where the vIOMMU tests start: a mock device attached to a new IOAS, a
 * nesting parent allocated for it on that IOAS, and a mock vIOMMU on the
 * parent named through the device.  @data (may be NULL) is the vIOMMU's
 * struct iommu_viommu_selftest.
 */
struct iommufd_viommu_base {
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 idev_id;
	__u32 parent_id;
	__u32 viommu_id;
};

static inline int
iommufd_viommu_base_err(int fd, struct iommufd_viommu_base *base,
			struct iommu_viommu_selftest *data)
{
	int err = iommufd_mock_device_hwpt_err(fd,
					       IOMMU_HWPT_ALLOC_NEST_PARENT,
					       &base->ioas_id, &base->stdev_id,
					       &base->idev_id,
					       &base->parent_id);

	if (err)
		return err;
	return iommufd_viommu_alloc_data_err(fd, base->idev_id,
					     base->parent_id,
					     IOMMU_VIOMMU_TYPE_SELFTEST, data,
					     data ? sizeof(*data) : 0,
					     &base->viommu_id);
}

/*
 * Give the bound mock device @idev_id a vDEVICE with @virt_id on
 * @viommu_id and move it (selftest object @stdev_id) onto a new nested
 * HWPT made through the vIOMMU: the state in which its events reach the
 * vIOMMU.  @vdev_id and @nested_id may be NULL.
 */
static inline int iommufd_viommu_attach_err(int fd, __u32 viommu_id,
					    __u32 stdev_id, __u32 idev_id,
					    __u64 virt_id, __u32 *vdev_id,
					    __u32 *nested_id)
{
	__u32 hwpt_id;
	int err;

	err = iommufd_vdevice_alloc_err(fd, viommu_id, idev_id, virt_id,
					vdev_id);
	if (!err)
		err = iommufd_hwpt_alloc_nested_err(fd, idev_id, viommu_id,
						    IOMMU_TEST_IOTLB_DEFAULT,
						    &hwpt_id);
	if (!err)
		err = iommufd_mock_domain_replace_err(fd, stdev_id, &hwpt_id);
	if (!err && nested_id)
		*nested_id = hwpt_id;
	return err;
}

/* ---- PASIDs ------------------------------------------------------------- */

/* IOMMU_TEST_OP_PASID_ATTACH; *@pt_id receives the HWPT that got attached */
static inline int iommufd_pasid_attach_err(int fd, __u32 stdev_id,
					   __u32 pasid, __u32 *pt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_PASID_ATTACH,
		.id = stdev_id,
		.pasid_attach = { .pasid = pasid, .pt_id = *pt_id },
	};
	int err = iommufd_test_cmd_err(fd, &cmd);

	if (!err)
		*pt_id = cmd.pasid_attach.pt_id;
	return err;
}

/* IOMMU_TEST_OP_PASID_REPLACE; *@pt_id receives the HWPT attached now */
static inline int iommufd_pasid_replace_err(int fd, __u32 stdev_id,
					    __u32 pasid, __u32 *pt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_PASID_REPLACE,
		.id = stdev_id,
		.pasid_replace = { .pasid = pasid, .pt_id = *pt_id },
	};
	int err = iommufd_test_cmd_err(fd, &cmd);

	if (!err)
		*pt_id = cmd.pasid_replace.pt_id;
	return err;
}

/* IOMMU_TEST_OP_PASID_DETACH */
static inline int iommufd_pasid_detach_err(int fd, __u32 stdev_id,
					   __u32 pasid)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_PASID_DETACH,
		.id = stdev_id,
		.pasid_detach = { .pasid = pasid },
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

/*
 * IOMMU_TEST_OP_PASID_CHECK_HWPT: 0 if the iommu core has @pasid of the
 * device on the domain of @hwpt_id (0: on none), EINVAL if not
 */
static inline int iommufd_pasid_check_err(int fd, __u32 stdev_id,
					  __u32 pasid, __u32 hwpt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_PASID_CHECK_HWPT,
		.id = stdev_id,
		.pasid_check = { .pasid = pasid, .hwpt_id = hwpt_id },
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

/* IOMMU_FAULT_QUEUE_ALLOC */
static inline int iommufd_fault_queue_err(int fd, __u32 *fault_id,
					  int *fault_fd)
{
	struct iommu_fault_alloc cmd = { .size = sizeof(cmd) };
	int err = iommufd_ioctl_err(fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd);

	if (err)
		return err;
	*fault_fd = cmd.out_fault_fd;
	*fault_id = cmd.out_fault_id;
	return 0;
}

/*
 * A mock nested HWPT on @parent_id (a nesting parent or a vIOMMU) with
 * IOMMU_HWPT_ALLOC_* @flags, sending its page faults to @fault_id unless
 * that is 0; @hwpt_id may be NULL
 */
static inline int iommufd_nested_flags_err(int fd, __u32 dev_id,
					   __u32 parent_id, __u32 flags,
					   __u32 fault_id, __u32 *hwpt_id)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags | (fault_id ? IOMMU_HWPT_FAULT_ID_VALID : 0),
		.dev_id = dev_id,
		.pt_id = parent_id,
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data),
		.data_uptr = (__u64)(uintptr_t)&data,
		.fault_id = fault_id,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!err && hwpt_id)
		*hwpt_id = cmd.out_hwpt_id;
	return err;
}

/* The mock device behind @idev_id raises a page request on @pasid */
static inline int iommufd_trigger_iopf_err(int fd, __u32 idev_id,
					   __u32 pasid, __u32 grpid)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = {
			.dev_id = idev_id,
			.pasid = pasid,
			.grpid = grpid,
			.perm = IOMMU_PGFAULT_PERM_READ,
			.addr = 0x40000000,
		},
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

/* ---- fdinfo ------------------------------------------------------------- */

#define IOMMUFD_FDINFO_MAX_OBJECTS 64
#define IOMMUFD_FDINFO_LINE 384

/*
 * What /proc/self/fdinfo/<fd> of an iommufd says (the format is in
 * Documentation/userspace-api/iommufd.rst): the context's two lines, and
 * each "iommufd-object:" line's fields ("id=1 type=ioas ...") in ID order.
 */
struct iommufd_fdinfo {
	char account_mode[16];
	long pinned_pages;
	unsigned int nobjects;
	char objects[IOMMUFD_FDINFO_MAX_OBJECTS][IOMMUFD_FDINFO_LINE];
};

/* Read the fdinfo of @fd into @info: 0, or an errno */
static inline int iommufd_fdinfo_read_err(int fd, struct iommufd_fdinfo *info)
{
	char path[64], line[IOMMUFD_FDINFO_LINE + 32];
	FILE *file;
	int err = 0;

	memset(info, 0, sizeof(*info));
	info->pinned_pages = -1;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	file = fopen(path, "r");
	if (!file)
		return errno;
	while (fgets(line, sizeof(line), file)) {
		char *value = strstr(line, ":\t");

		if (!value)
			continue;
		*value = 0;
		value += 2;
		value[strcspn(value, "\n")] = 0;
		if (!strcmp(line, "iommufd-account-mode")) {
			snprintf(info->account_mode,
				 sizeof(info->account_mode), "%s", value);
		} else if (!strcmp(line, "iommufd-pinned-pages")) {
			info->pinned_pages = strtol(value, NULL, 10);
		} else if (!strcmp(line, "iommufd-object")) {
			if (info->nobjects == IOMMUFD_FDINFO_MAX_OBJECTS ||
			    strlen(value) >= IOMMUFD_FDINFO_LINE) {
				err = E2BIG;
				break;
			}
			snprintf(info->objects[info->nobjects++],
				 IOMMUFD_FDINFO_LINE, "%s", value);
		}
	}
	fclose(file);
	if (!err && (!info->account_mode[0] || info->pinned_pages < 0))
		err = ENODATA;
	return err;
}

/*
 * The value of field @key in the object line @fields, copied to @value
 * (@size bytes); false if the line has no such field
 */
static inline bool iommufd_fdinfo_field(const char *fields, const char *key,
					char *value, size_t size)
{
	size_t key_len = strlen(key);
	const char *pos = fields;

	while (*pos) {
		size_t len = strcspn(pos, " ");

		if (len > key_len && !strncmp(pos, key, key_len) &&
		    pos[key_len] == '=') {
			len -= key_len + 1;
			if (len >= size)
				return false;
			memcpy(value, pos + key_len + 1, len);
			value[len] = 0;
			return true;
		}
		pos += len;
		pos += strspn(pos, " ");
	}
	return false;
}

/* The object line of ID @id, or NULL */
static inline const char *iommufd_fdinfo_object(const struct iommufd_fdinfo *info,
						__u32 id)
{
	char want[16], have[16];
	unsigned int i;

	snprintf(want, sizeof(want), "%u", id);
	for (i = 0; i != info->nobjects; i++)
		if (iommufd_fdinfo_field(info->objects[i], "id", have,
					 sizeof(have)) &&
		    !strcmp(have, want))
			return info->objects[i];
	return NULL;
}

/*
 * Numeric field @key (decimal or 0x hex) of object @id; -1 when the object
 * or the field is missing, -2 when the value is not a number
 */
static inline long long iommufd_fdinfo_num(const struct iommufd_fdinfo *info,
					   __u32 id, const char *key)
{
	const char *fields = iommufd_fdinfo_object(info, id);
	char value[64], *end;
	long long num;

	if (!fields || !iommufd_fdinfo_field(fields, key, value, sizeof(value)))
		return -1;
	num = strtoll(value, &end, 0);
	return *end || end == value ? -2 : num;
}

/* Text field @key of object @id, or "" when it is missing */
static inline const char *iommufd_fdinfo_str(const struct iommufd_fdinfo *info,
					     __u32 id, const char *key,
					     char *value, size_t size)
{
	const char *fields = iommufd_fdinfo_object(info, id);

	if (!fields || !iommufd_fdinfo_field(fields, key, value, size))
		value[0] = 0;
	return value;
}

/*
 * Whether two readings describe the same state: used to check that a
 * refused call changed nothing
 */
static inline bool iommufd_fdinfo_same(const struct iommufd_fdinfo *a,
				       const struct iommufd_fdinfo *b)
{
	unsigned int i;

	if (strcmp(a->account_mode, b->account_mode) ||
	    a->pinned_pages != b->pinned_pages || a->nobjects != b->nobjects)
		return false;
	for (i = 0; i != a->nobjects; i++)
		if (strcmp(a->objects[i], b->objects[i]))
			return false;
	return true;
}

#endif
