// SPDX-License-Identifier: GPL-2.0-only
/*
 * A first look at /dev/iommu from the point of view of a VMM: open it, find
 * out which commands this kernel serves, create an I/O address space, read
 * and change its options, and tear it down again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/iommufd.h>

struct command {
	const char *name;
	unsigned long request;
	const char *purpose;
};

static const struct command commands[] = {
	{ "IOMMU_DESTROY", IOMMU_DESTROY, "destroy any object by ID" },
	{ "IOMMU_IOAS_ALLOC", IOMMU_IOAS_ALLOC, "create an I/O address space" },
	{ "IOMMU_IOAS_ALLOW_IOVAS", IOMMU_IOAS_ALLOW_IOVAS,
	  "reserve IOVA ranges for the VMM" },
	{ "IOMMU_IOAS_COPY", IOMMU_IOAS_COPY,
	  "share a mapping with another IOAS" },
	{ "IOMMU_IOAS_IOVA_RANGES", IOMMU_IOAS_IOVA_RANGES,
	  "list usable IOVA ranges" },
	{ "IOMMU_IOAS_MAP", IOMMU_IOAS_MAP, "map user memory at an IOVA" },
#ifdef IOMMU_IOAS_MAP_FILE
	/* Upstream added it after 6.12: only kernels with the backport have it */
	{ "IOMMU_IOAS_MAP_FILE", IOMMU_IOAS_MAP_FILE,
	  "map a file (memfd) at an IOVA" },
#endif
	{ "IOMMU_IOAS_UNMAP", IOMMU_IOAS_UNMAP, "unmap an IOVA range" },
	{ "IOMMU_OPTION", IOMMU_OPTION, "get and set options" },
	{ "IOMMU_VFIO_IOAS", IOMMU_VFIO_IOAS,
	  "pick the IOAS for VFIO compatibility" },
	{ "IOMMU_HWPT_ALLOC", IOMMU_HWPT_ALLOC,
	  "allocate a hardware page table" },
	{ "IOMMU_GET_HW_INFO", IOMMU_GET_HW_INFO,
	  "describe the IOMMU behind a device" },
	{ "IOMMU_HWPT_SET_DIRTY_TRACKING", IOMMU_HWPT_SET_DIRTY_TRACKING,
	  "start or stop dirty tracking" },
	{ "IOMMU_HWPT_GET_DIRTY_BITMAP", IOMMU_HWPT_GET_DIRTY_BITMAP,
	  "read the dirty bitmap" },
	{ "IOMMU_HWPT_INVALIDATE", IOMMU_HWPT_INVALIDATE,
	  "flush caches of a nested page table" },
	{ "IOMMU_FAULT_QUEUE_ALLOC", IOMMU_FAULT_QUEUE_ALLOC,
	  "create an I/O page fault queue" },
};

/*
 * A command the kernel knows rejects a struct of size 0 with EINVAL; one it
 * does not know fails with ENOTTY before looking at the struct at all.
 */
static const char *probe(int fd, unsigned long request)
{
	__u32 size_zero[16] = {};

	if (!ioctl(fd, request, size_zero))
		return "yes (accepted an empty struct?)";
	switch (errno) {
	case EINVAL:
		return "yes";
	case ENOTTY:
		return "not in this kernel";
	default:
		return strerror(errno);
	}
}

static int get_option(int fd, __u32 option_id, __u32 object_id,
		      __u64 *val)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = option_id,
		.op = IOMMU_OPTION_OP_GET,
		.object_id = object_id,
	};

	if (ioctl(fd, IOMMU_OPTION, &cmd))
		return -errno;
	*val = cmd.val64;
	return 0;
}

static int set_option(int fd, __u32 option_id, __u32 object_id,
		      __u64 val)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = option_id,
		.op = IOMMU_OPTION_OP_SET,
		.object_id = object_id,
		.val64 = val,
	};

	return ioctl(fd, IOMMU_OPTION, &cmd) ? -errno : 0;
}

static int unmap_range(int fd, __u32 ioas_id, __u64 iova, __u64 length,
		       __u64 *unmapped)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = length,
	};

	if (ioctl(fd, IOMMU_IOAS_UNMAP, &cmd))
		return -errno;
	*unmapped = cmd.length;
	return 0;
}

#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))

/* Say what went wrong; returns the exit status for main() to return */
static int fail(const char *what)
{
	fprintf(stderr, "iommufd_demo: %s failed: %s\n", what, strerror(errno));
	return 1;
}

/* Map a buffer, look at the address space, copy and unmap the mapping */
static int show_mappings(int fd, __u32 ioas_id)
{
	static const size_t length = 64 * 1024;
	struct iommu_iova_range ranges[8];
	struct iommu_ioas_iova_ranges query = {
		.size = sizeof(query),
		.ioas_id = ioas_id,
		.num_iovas = ARRAY_SIZE(ranges),
		.allowed_iovas = (uintptr_t)ranges,
	};
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.length = length,
	};
	struct iommu_ioas_copy copy = {
		.size = sizeof(copy),
		.flags = IOMMU_IOAS_MAP_READABLE,
		.dst_ioas_id = ioas_id,
		.src_ioas_id = ioas_id,
		.length = length,
	};
	__u64 unmapped = 0;
	void *buffer;
	__u32 i;

	if (ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &query))
		return fail("IOMMU_IOAS_IOVA_RANGES");
	printf("   Usable IOVA (no device restricts it yet), alignment %llu:\n",
	       (unsigned long long)query.out_iova_alignment);
	for (i = 0; i != query.num_iovas && i != ARRAY_SIZE(ranges); i++)
		printf("     0x%llx - 0x%llx\n", (unsigned long long)ranges[i].start,
		       (unsigned long long)ranges[i].last);

	buffer = mmap(NULL, length, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buffer == MAP_FAILED)
		return fail("mmap");
	map.user_va = (uintptr_t)buffer;
	if (ioctl(fd, IOMMU_IOAS_MAP, &map))
		return fail("IOMMU_IOAS_MAP");
	printf("   IOMMU_IOAS_MAP put %zu KiB of its memory at IOVA 0x%llx\n"
	       "   (chosen by the kernel; nothing is pinned until a device or\n"
	       "   an emulated access needs the pages).\n",
	       length / 1024, (unsigned long long)map.iova);

	copy.src_iova = map.iova;
	if (ioctl(fd, IOMMU_IOAS_COPY, &copy))
		return fail("IOMMU_IOAS_COPY");
	printf("   IOMMU_IOAS_COPY mapped the same memory again, read-only, at\n"
	       "   IOVA 0x%llx; both mappings share one set of pages.\n",
	       (unsigned long long)copy.dst_iova);

	if (unmap_range(fd, ioas_id, 0, UINT64_MAX, &unmapped))
		return fail("IOMMU_IOAS_UNMAP");
	printf("   IOMMU_IOAS_UNMAP of everything removed %llu KiB.\n\n",
	       (unsigned long long)unmapped / 1024);
	munmap(buffer, length);
	return 0;
}

int main(void)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_destroy destroy = { .size = sizeof(destroy) };
	__u64 val;
	size_t i;
	int fd;

	printf("== iommufd: what /dev/iommu offers on this kernel ==\n\n");
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail("open(/dev/iommu)");
	printf("1. A VMM opens /dev/iommu: fd %d, a private context that holds\n"
	       "   every object it creates and frees them all on close.\n\n",
	       fd);

	printf("2. Commands this kernel serves (probed with an empty struct):\n");
	for (i = 0; i != ARRAY_SIZE(commands); i++)
		printf("   %-30s %-20s %s\n", commands[i].name,
		       probe(fd, commands[i].request), commands[i].purpose);
	printf("\n");

	if (get_option(fd, IOMMU_OPTION_RLIMIT_MODE, 0, &val))
		return fail("IOMMU_OPTION(RLIMIT_MODE)");
	printf("3. Pinned memory is charged to RLIMIT_MEMLOCK %s (mode %llu).\n\n",
	       val ? "of the process (like VFIO type1)" : "of the user",
	       (unsigned long long)val);

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc))
		return fail("IOMMU_IOAS_ALLOC");
	printf("4. It creates an I/O address space: IOAS id %u.\n",
	       alloc.out_ioas_id);

	if (get_option(fd, IOMMU_OPTION_HUGE_PAGES, alloc.out_ioas_id, &val))
		return fail("IOMMU_OPTION(HUGE_PAGES)");
	printf("   Its huge-pages option is %llu: contiguous memory %s.\n",
	       (unsigned long long)val,
	       val ? "may be mapped with large IOMMU pages" :
		     "is mapped page by page");
	if (set_option(fd, IOMMU_OPTION_HUGE_PAGES, alloc.out_ioas_id, 0) ||
	    get_option(fd, IOMMU_OPTION_HUGE_PAGES, alloc.out_ioas_id, &val))
		return fail("setting IOMMU_OPTION(HUGE_PAGES)");
	printf("   After setting it to 0 it reads back %llu.\n\n5. Mappings:\n",
	       (unsigned long long)val);

	if (show_mappings(fd, alloc.out_ioas_id))
		return 1;

	destroy.id = alloc.out_ioas_id;
	if (ioctl(fd, IOMMU_DESTROY, &destroy))
		return fail("IOMMU_DESTROY");
	printf("6. IOMMU_DESTROY(%u) removes it; ", destroy.id);
	if (!ioctl(fd, IOMMU_DESTROY, &destroy) || errno != ENOENT)
		return fail("a second IOMMU_DESTROY (expecting ENOENT)");
	printf("a second destroy fails with ENOENT.\n\n");

	close(fd);
	printf("== done: the context is closed and everything in it is gone ==\n");
	return 0;
}
