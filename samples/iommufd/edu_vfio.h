/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the samples that drive QEMU's edu device (PCI 1234:11e8) share:
 * finding it, handing it to vfio-pci and back, opening its VFIO cdev, the
 * VFIO and iommufd calls a VMM makes on the way to DMA, and the device
 * itself: BAR0, bus mastering and its DMA engine; and the kernel log lines
 * in which an IOMMU reports the device's DMA it refused.
 *
 * The helpers print nothing: each returns what the kernel answered (a file
 * descriptor, or 0, or -1 with errno set; a helper of several steps
 * returns NULL, or the step that failed with errno set), so that every
 * program reports in its own words.
 */
#ifndef _SAMPLES_IOMMUFD_EDU_VFIO_H
#define _SAMPLES_IOMMUFD_EDU_VFIO_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(array)	(sizeof(array) / sizeof((array)[0]))
#endif

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8

#define SYSFS_PCI		"/sys/bus/pci/devices"

static inline int write_sysfs(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY);
	ssize_t written;

	if (fd < 0)
		return -1;
	written = write(fd, value, strlen(value));
	close(fd);
	return written == (ssize_t)strlen(value) ? 0 : -1;
}

static inline unsigned long read_sysfs_hex(const char *path)
{
	char text[32] = "";
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	if (read(fd, text, sizeof(text) - 1) < 0)
		text[0] = 0;
	close(fd);
	return strtoul(text, NULL, 16);
}

/* scandir() filter: the PCI devices that are edu */
static inline int edu_select(const struct dirent *entry)
{
	char path[1024];

	if (entry->d_name[0] == '.')
		return 0;
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/vendor", entry->d_name);
	if (read_sysfs_hex(path) != EDU_VENDOR)
		return 0;
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/device", entry->d_name);
	return read_sysfs_hex(path) == EDU_DEVICE;
}

/*
 * The PCI address ("0000:00:03.0") of edu device number @index, counted
 * in the order of their addresses, into @bdf
 */
static inline bool edu_find_nth(unsigned int index, char *bdf,
				size_t bdf_size)
{
	struct dirent **entries;
	int nr_entries, i;

	nr_entries = scandir(SYSFS_PCI, &entries, edu_select, alphasort);
	if (nr_entries < 0)
		return false;
	if (index < (unsigned int)nr_entries)
		snprintf(bdf, bdf_size, "%s", entries[index]->d_name);
	for (i = 0; i < nr_entries; i++)
		free(entries[i]);
	free(entries);
	return index < (unsigned int)nr_entries;
}

/* The PCI address of the first edu device, into @bdf */
static inline bool edu_find(char *bdf, size_t bdf_size)
{
	return edu_find_nth(0, bdf, bdf_size);
}

/*
 * Where the sysfs link @link of PCI device @bdf points, by the last
 * component of its target ("vfio-pci" for "driver"), into @name
 */
static inline bool pci_link_name(const char *bdf, const char *link,
				 char *name, size_t name_size)
{
	char path[1024], target[256];
	ssize_t len;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/%s", bdf, link);
	len = readlink(path, target, sizeof(target) - 1);
	if (len <= 0)
		return false;
	target[len] = 0;
	snprintf(name, name_size, "%s", strrchr(target, '/') + 1);
	return true;
}

/* The name of @bdf's IOMMU group (its /dev/vfio/<name>), into @group */
static inline bool pci_iommu_group(const char *bdf, char *group,
				   size_t group_size)
{
	return pci_link_name(bdf, "iommu_group", group, group_size);
}

/* The IOMMU unit @bdf sits behind ("dmar0"), into @unit */
static inline bool pci_iommu_unit(const char *bdf, char *unit,
				  size_t unit_size)
{
	return pci_link_name(bdf, "iommu", unit, unit_size);
}

/*
 * driver_override makes vfio-pci the only driver that may take the
 * device; an explicit bind then attaches it right away.  Returns NULL, or
 * the step that failed.
 */
static inline const char *vfio_pci_take(const char *bdf)
{
	char path[1024];

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver/unbind", bdf);
	if (!access(path, F_OK) && write_sysfs(path, bdf))
		return "unbind the device from its current driver";
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver_override", bdf);
	if (write_sysfs(path, "vfio-pci"))
		return "write \"vfio-pci\" to driver_override";
	if (write_sysfs("/sys/bus/pci/drivers/vfio-pci/bind", bdf))
		return "bind the device to vfio-pci";
	return NULL;
}

/* Undo vfio_pci_take(): any driver may claim the device again */
static inline void vfio_pci_release(const char *bdf)
{
	char path[1024];

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver/unbind", bdf);
	write_sysfs(path, bdf);
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver_override", bdf);
	write_sysfs(path, "\n");
}

/*
 * vfio-pci registers one cdev per device, listed in sysfs as
 * vfio-dev/vfioN.  devtmpfs normally creates /dev/vfio/devices/vfioN; if
 * it is missing the node is made from the dev file.  The node's path goes
 * to @node; returns the open file descriptor.
 */
static inline int vfio_cdev_open(const char *bdf, char *node,
				 size_t node_size)
{
	unsigned int major_nr, minor_nr;
	struct dirent *entry;
	char path[1024];
	DIR *dir;
	FILE *dev;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir)
		return -1;
	do {
		entry = readdir(dir);
	} while (entry && strncmp(entry->d_name, "vfio", 4));
	if (!entry) {
		closedir(dir);
		return -1;
	}
	snprintf(node, node_size, "/dev/vfio/devices/%s", entry->d_name);
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/vfio-dev/%s/dev", bdf,
		 entry->d_name);
	closedir(dir);

	if (access(node, F_OK)) {
		dev = fopen(path, "r");
		if (!dev)
			return -1;
		if (fscanf(dev, "%u:%u", &major_nr, &minor_nr) != 2)
			major_nr = 0;
		fclose(dev);
		mkdir("/dev/vfio", 0755);
		mkdir("/dev/vfio/devices", 0755);
		if (!major_nr ||
		    mknod(node, S_IFCHR | 0600, makedev(major_nr, minor_nr)))
			return -1;
	}
	return open(node, O_RDWR);
}

/* ---- VFIO device cdev ---------------------------------------------------- */

static inline int vfio_bind_iommufd(int device_fd, int iommufd,
				    __u32 *dev_id)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = iommufd,
	};
	int rc = ioctl(device_fd, VFIO_DEVICE_BIND_IOMMUFD, &bind);

	*dev_id = bind.out_devid;
	return rc;
}

/* Attach to (or replace with) IOAS or HWPT *@pt_id; returns the HWPT there */
static inline int vfio_attach_pt(int device_fd, __u32 *pt_id)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
		.pt_id = *pt_id,
	};
	int rc = ioctl(device_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);

	*pt_id = attach.pt_id;
	return rc;
}

static inline int vfio_detach_pt(int device_fd)
{
	struct vfio_device_detach_iommufd_pt detach = {
		.argsz = sizeof(detach),
	};

	return ioctl(device_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);
}

/* ---- VFIO's legacy type1 container ---------------------------------------- */

/*
 * Open /dev/vfio/vfio, check that it speaks VFIO's API with type1v2, put
 * the group @group_fd in it and make it a type1v2 container.  Returns the
 * container's file descriptor, or -1 with errno set and *@failed naming
 * the step.
 */
static inline int vfio_type1_container(int group_fd, const char **failed)
{
	int container_fd = open("/dev/vfio/vfio", O_RDWR);
	int saved_errno;

	*failed = "open /dev/vfio/vfio";
	if (container_fd < 0)
		return -1;
	*failed = "VFIO_GET_API_VERSION";
	if (ioctl(container_fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		goto err_close;
	*failed = "VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU)";
	if (ioctl(container_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		goto err_close;
	*failed = "VFIO_GROUP_SET_CONTAINER";
	if (ioctl(group_fd, VFIO_GROUP_SET_CONTAINER, &container_fd))
		goto err_close;
	*failed = "VFIO_SET_IOMMU(VFIO_TYPE1v2_IOMMU)";
	if (ioctl(container_fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		goto err_close;
	*failed = NULL;
	return container_fd;

err_close:
	saved_errno = errno;
	close(container_fd);
	errno = saved_errno;
	return -1;
}

/* VFIO_IOMMU_MAP_DMA of @size bytes at @vaddr, readable and writeable */
static inline int vfio_type1_map(int container_fd, void *vaddr, __u64 iova,
				 __u64 size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (__u64)(unsigned long)vaddr,
		.iova = iova,
		.size = size,
	};

	return ioctl(container_fd, VFIO_IOMMU_MAP_DMA, &map);
}

/* VFIO_IOMMU_UNMAP_DMA; *@unmapped: the bytes the container removed */
static inline int vfio_type1_unmap(int container_fd, __u64 iova, __u64 size,
				   __u64 *unmapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};
	int rc = ioctl(container_fd, VFIO_IOMMU_UNMAP_DMA, &unmap);

	*unmapped = unmap.size;
	return rc;
}

/* ---- iommufd --------------------------------------------------------------- */

static inline int iommufd_ioas_alloc(int iommufd, __u32 *ioas_id)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	int rc = ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc);

	*ioas_id = alloc.out_ioas_id;
	return rc;
}

/*
 * A paging HWPT for device @dev_id, linked to IOAS @ioas_id at once, with
 * IOMMU_HWPT_ALLOC_* @flags
 */
static inline int iommufd_hwpt_alloc_flags(int iommufd, __u32 dev_id,
					   __u32 ioas_id, __u32 flags,
					   __u32 *hwpt_id)
{
	struct iommu_hwpt_alloc alloc = {
		.size = sizeof(alloc),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = ioas_id,
		.data_type = IOMMU_HWPT_DATA_NONE,
	};
	int rc = ioctl(iommufd, IOMMU_HWPT_ALLOC, &alloc);

	*hwpt_id = alloc.out_hwpt_id;
	return rc;
}

static inline int iommufd_hwpt_alloc(int iommufd, __u32 dev_id,
				     __u32 ioas_id, __u32 *hwpt_id)
{
	return iommufd_hwpt_alloc_flags(iommufd, dev_id, ioas_id, 0, hwpt_id);
}

static inline int iommufd_destroy(int iommufd, __u32 id)
{
	struct iommu_destroy destroy = { .size = sizeof(destroy), .id = id };

	return ioctl(iommufd, IOMMU_DESTROY, &destroy);
}

/* Map @length bytes at @buffer, readable and writeable, at exactly @iova */
static inline int iommufd_map_fixed(int iommufd, __u32 ioas_id, void *buffer,
				    __u64 length, __u64 iova)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.user_va = (__u64)(unsigned long)buffer,
		.length = length,
		.iova = iova,
	};

	return ioctl(iommufd, IOMMU_IOAS_MAP, &map);
}

/* Unmap the areas in [@iova, @iova + @length); *@unmapped: bytes removed */
static inline int iommufd_unmap(int iommufd, __u32 ioas_id, __u64 iova,
				__u64 length, __u64 *unmapped)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = length,
	};
	int rc = ioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap);

	*unmapped = unmap.length;
	return rc;
}

/* ---- The device, through its VFIO device fd ------------------------------ */

/*
 * edu, as emulated by QEMU: BAR0 holds an ID register, a liveness register
 * that returns the inverse of what was written, and a DMA engine that
 * copies between bus addresses (here: IOVAs) and a 4 KiB buffer inside the
 * device at device address 0x40000.  Its DMA mask is 28 bits, and a
 * transfer that reaches exactly the end of its buffer stops QEMU.
 */
#define EDU_REG_ID		0x00
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_START		0x1
#define EDU_DMA_TO_RAM		0x2
#define EDU_ID_MAGIC		0xed	/* low byte of the ID register */
/* Where the device's own buffer sits in its DMA address space */
#define EDU_BUFFER_ADDR		0x40000

/* One transfer: well inside the device's buffer, never up to its end */
#define EDU_TRANSFER_BYTES	2048
/* A buffer of the VMM that the device copies from or to: one page */
#define EDU_VMM_BUFFER_BYTES	4096
#define EDU_DMA_TIMEOUT_MS	10000

/* A device the VMM drives through its VFIO device fd */
struct edu_dev {
	int device_fd;
	__u8 *bar0;		/* BAR0 mmapped, or NULL */
	size_t bar0_size;
	__u64 bar0_offset;	/* of BAR0 in the device fd */
	__u64 config_offset;	/* of the config space in the device fd */
};

static inline void sleep_ms(unsigned int ms)
{
	struct timespec delay = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	nanosleep(&delay, NULL);
}

/*
 * BAR0 accesses must reach the device exactly as written, one access of
 * the register's width each: relaxed atomics are never merged, split or
 * left out by the compiler, and on x86 they are plain moves.  The DMA
 * registers are 64 bits wide and take one 8-byte access.
 */
static inline __u32 edu_read32(struct edu_dev *edu, unsigned int reg)
{
	return __atomic_load_n((__u32 *)(edu->bar0 + reg), __ATOMIC_RELAXED);
}

static inline void edu_write32(struct edu_dev *edu, unsigned int reg,
			       __u32 value)
{
	__atomic_store_n((__u32 *)(edu->bar0 + reg), value, __ATOMIC_RELAXED);
}

static inline __u64 edu_read64(struct edu_dev *edu, unsigned int reg)
{
	return __atomic_load_n((__u64 *)(edu->bar0 + reg), __ATOMIC_RELAXED);
}

static inline void edu_write64(struct edu_dev *edu, unsigned int reg,
			       __u64 value)
{
	__atomic_store_n((__u64 *)(edu->bar0 + reg), value, __ATOMIC_RELAXED);
}

static inline int vfio_region_info(int device_fd, __u32 index,
				   struct vfio_region_info *region)
{
	*region = (struct vfio_region_info) {
		.argsz = sizeof(*region),
		.index = index,
	};
	return ioctl(device_fd, VFIO_DEVICE_GET_REGION_INFO, region);
}

static inline const char *edu_map_regions(struct edu_dev *edu)
{
	struct vfio_region_info region;
	void *bar;

	if (vfio_region_info(edu->device_fd, VFIO_PCI_BAR0_REGION_INDEX,
			     &region))
		return "VFIO_DEVICE_GET_REGION_INFO for BAR0";
	if (!(region.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		errno = EOPNOTSUPP;
		return "VFIO offers BAR0 for mmap()";
	}
	bar = mmap(NULL, region.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   edu->device_fd, region.offset);
	if (bar == MAP_FAILED)
		return "mmap BAR0 into the VMM";
	edu->bar0 = bar;
	edu->bar0_size = region.size;
	edu->bar0_offset = region.offset;

	if (vfio_region_info(edu->device_fd, VFIO_PCI_CONFIG_REGION_INDEX,
			     &region))
		return "VFIO_DEVICE_GET_REGION_INFO for the config space";
	edu->config_offset = region.offset;
	return NULL;
}

/*
 * Turn the bits @set of the PCI command register on and the bits @clear
 * off, through the VFIO config region; the value it reads back afterwards
 * goes to *@command.  Returns NULL, or the step that failed with errno set.
 */
static inline const char *edu_update_command(struct edu_dev *edu, __u16 set,
					     __u16 clear, __u16 *command)
{
	off_t where = edu->config_offset + PCI_COMMAND;
	__u16 value;

	errno = EIO;	/* for a short read or write */
	if (pread(edu->device_fd, &value, sizeof(value), where) !=
	    sizeof(value))
		return "read the PCI command register";
	value = (value | set) & ~clear;
	if (pwrite(edu->device_fd, &value, sizeof(value), where) !=
	    sizeof(value))
		return "write the PCI command register";
	if (pread(edu->device_fd, command, sizeof(*command), where) !=
	    sizeof(*command))
		return "read the PCI command register back";
	return NULL;
}

/* Through the VFIO config region: the device may then master the bus */
static inline const char *edu_enable_bus_master(struct edu_dev *edu)
{
	const char *failed;
	__u16 command = 0;

	failed = edu_update_command(edu, PCI_COMMAND_MEMORY |
				    PCI_COMMAND_MASTER, 0, &command);
	if (failed)
		return failed;
	errno = EIO;
	if (!(command & PCI_COMMAND_MASTER))
		return "PCI_COMMAND_MASTER reads back as set";
	return NULL;
}

/* BAR0 answers as edu's does; its ID register's value into *@id */
static inline const char *edu_check_alive(struct edu_dev *edu, __u32 *id)
{
	__u32 probe = 0x5a5aa5a5;

	errno = ENODEV;
	*id = edu_read32(edu, EDU_REG_ID);
	if ((*id & 0xff) != EDU_ID_MAGIC)
		return "BAR0 answers with edu's ID";
	edu_write32(edu, EDU_REG_LIVENESS, probe);
	if (edu_read32(edu, EDU_REG_LIVENESS) != ~probe)
		return "the liveness register inverts what was written";
	return NULL;
}

/*
 * Make the device behind @device_fd ready for DMA: BAR0 mmapped, bus
 * mastering on, and BAR0 answering as edu's does (its ID into *@id).
 * Returns NULL, or the step that failed with errno set; edu_close()
 * undoes what was done either way.
 */
static inline const char *edu_open(struct edu_dev *edu, int device_fd,
				   __u32 *id)
{
	const char *failed;

	*edu = (struct edu_dev) { .device_fd = device_fd };
	failed = edu_map_regions(edu);
	if (!failed)
		failed = edu_enable_bus_master(edu);
	if (!failed)
		failed = edu_check_alive(edu, id);
	return failed;
}

static inline void edu_close(struct edu_dev *edu)
{
	if (edu->bar0)
		munmap(edu->bar0, edu->bar0_size);
	edu->bar0 = NULL;
}

/*
 * One transfer of @count bytes by the DMA engine.  Returns false if it did
 * not finish in time; edu reports no error for a transfer the IOMMU
 * refused, which is why callers check the data itself.
 */
static inline bool edu_dma(struct edu_dev *edu, __u64 src, __u64 dst,
			   __u32 count, bool to_ram)
{
	unsigned int waited_ms;

	edu_write64(edu, EDU_REG_DMA_SRC, src);
	edu_write64(edu, EDU_REG_DMA_DST, dst);
	edu_write64(edu, EDU_REG_DMA_COUNT, count);
	edu_write64(edu, EDU_REG_DMA_CMD,
		    EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
	for (waited_ms = 0; waited_ms < EDU_DMA_TIMEOUT_MS; waited_ms += 5) {
		if (!(edu_read64(edu, EDU_REG_DMA_CMD) & EDU_DMA_START))
			return true;
		sleep_ms(5);
	}
	return false;
}

/* ---- Round trips through the device ---------------------------------------- */

/* Two buffers of the VMM, EDU_VMM_BUFFER_BYTES each, and their IOVAs */
struct edu_buffers {
	__u8 *src;
	__u8 *dst;
	__u64 src_iova;
	__u64 dst_iova;
};

/* What edu_round_trip() saw */
struct edu_round_trip {
	bool read_done;		/* the device read the source in time */
	bool write_done;	/* and wrote it out to the destination */
	unsigned int differ;	/* bytes of the transfer that did not arrive */
	unsigned int spilled;	/* bytes written past the transfer */
};

static inline void *vmm_buffer_alloc(void)
{
	void *buffer = mmap(NULL, EDU_VMM_BUFFER_BYTES, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return buffer == MAP_FAILED ? NULL : buffer;
}

/* Both buffers of @buffers, at the given IOVAs; false if out of memory */
static inline bool edu_buffers_alloc(struct edu_buffers *buffers,
				     __u64 src_iova, __u64 dst_iova)
{
	buffers->src = vmm_buffer_alloc();
	buffers->dst = vmm_buffer_alloc();
	buffers->src_iova = src_iova;
	buffers->dst_iova = dst_iova;
	return buffers->src && buffers->dst;
}

/* How many of the @len bytes at @buffer are not @value */
static inline unsigned int bytes_not(const __u8 *buffer, size_t len,
				     __u8 value)
{
	unsigned int bad = 0;
	size_t i;

	for (i = 0; i < len; i++)
		bad += buffer[i] != value;
	return bad;
}

/*
 * The round trip a VMM's device model would see: the device reads the
 * source buffer, filled with a pattern made from @seed, through the IOMMU
 * into its own memory, then writes it out to the zeroed destination
 * buffer, again through the IOMMU.
 */
static inline void edu_round_trip(struct edu_dev *edu,
				  const struct edu_buffers *buffers,
				  unsigned int seed,
				  struct edu_round_trip *seen)
{
	unsigned int i;

	for (i = 0; i < EDU_VMM_BUFFER_BYTES; i++)
		buffers->src[i] = (__u8)(i * 7 + seed * 31 + (i >> 8));
	memset(buffers->dst, 0, EDU_VMM_BUFFER_BYTES);
	*seen = (struct edu_round_trip) {};

	seen->read_done = edu_dma(edu, buffers->src_iova, EDU_BUFFER_ADDR,
				  EDU_TRANSFER_BYTES, false);
	if (!seen->read_done)
		return;
	seen->write_done = edu_dma(edu, EDU_BUFFER_ADDR, buffers->dst_iova,
				   EDU_TRANSFER_BYTES, true);
	if (!seen->write_done)
		return;
	for (i = 0; i < EDU_TRANSFER_BYTES; i++)
		seen->differ += buffers->src[i] != buffers->dst[i];
	seen->spilled = bytes_not(buffers->dst + EDU_TRANSFER_BYTES,
				  EDU_VMM_BUFFER_BYTES - EDU_TRANSFER_BYTES, 0);
}

/* ---- The kernel log: DMA the IOMMU refused ------------------------------- */

/* How long a fault interrupt, handled asynchronously, may take to be logged */
#define FAULT_WAIT_MS		3000
/* printk's rate limit interval, with a margin */
#define FAULT_RATELIMIT_S	5.5

/* What an IOMMU driver's kernel log line about a refused DMA holds */
struct fault_marks {
	const char *text;	/* where the line's text starts */
	const char *also;	/* also in the line, after it, if not NULL */
};

static inline int kernel_log_size(void)
{
	return klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
}

/* The text of @line from @marks->text on, if it reports a fault; else NULL */
static inline const char *fault_text(const struct fault_marks *marks,
				     const char *line)
{
	const char *text = strstr(line, marks->text);

	if (text && marks->also && !strstr(text, marks->also))
		return NULL;
	return text;
}

/* The time stamp of a kernel log line ("<3>[   12.345678] ..."), or 0 */
static inline double log_line_seconds(const char *line)
{
	const char *stamp = strchr(line, '[');

	return stamp ? strtod(stamp + 1, NULL) : 0;
}

/*
 * The lines of the kernel log that report a fault as @marks describe; the
 * last one, from its mark on, is copied to @last_fault (of @last_size
 * bytes), and its time stamp to *@last_seconds if that is not NULL.
 */
static inline unsigned int fault_lines(const struct fault_marks *marks,
				       char *last_fault, size_t last_size,
				       double *last_seconds)
{
	int size = kernel_log_size();
	unsigned int faults = 0;
	const char *text;
	char *log, *line;
	int len;

	if (size <= 0)
		return 0;
	log = calloc(1, size + 1);
	if (!log)
		return 0;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, size);
	if (len > 0) {
		log[len] = 0;
		for (line = strtok(log, "\n"); line;
		     line = strtok(NULL, "\n")) {
			text = fault_text(marks, line);
			if (!text)
				continue;
			snprintf(last_fault, last_size, "%s", text);
			if (last_seconds)
				*last_seconds = log_line_seconds(line);
			faults++;
		}
	}
	free(log);
	return faults;
}

/*
 * IOMMU drivers rate-limit their fault lines (10 in 5 s), and one refused
 * transfer can use them all up: when a fault was logged moments ago, the
 * next one may go unsaid for a while.  Returns how many milliseconds to
 * wait before a refused DMA is sure to be logged (0: none).
 */
static inline unsigned int fault_ratelimit_ms(const struct fault_marks *marks)
{
	double last = 0, now;
	struct timespec ts;
	char line[512];

	if (!fault_lines(marks, line, sizeof(line), &last))
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec + ts.tv_nsec / 1e9;
	if (now - last >= FAULT_RATELIMIT_S)
		return 0;
	return (unsigned int)((FAULT_RATELIMIT_S - (now - last)) * 1000);
}

/*
 * Wait up to FAULT_WAIT_MS for more than @before fault lines.  Returns
 * their count; the last one goes to @last_fault as for fault_lines().
 */
static inline unsigned int fault_lines_wait(const struct fault_marks *marks,
					    unsigned int before,
					    char *last_fault, size_t last_size)
{
	unsigned int faults = before, waited_ms;

	for (waited_ms = 0; waited_ms < FAULT_WAIT_MS; waited_ms += 50) {
		if (faults != before)
			break;
		sleep_ms(50);
		faults = fault_lines(marks, last_fault, last_size, NULL);
	}
	return faults;
}

#endif
