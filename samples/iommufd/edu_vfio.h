/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the samples that drive QEMU's edu device (PCI 1234:11e8) share:
 * finding it, handing it to vfio-pci and back, opening its VFIO cdev, and
 * the VFIO and iommufd calls a VMM makes on the way to DMA.
 *
 * The helpers print nothing: each returns what the kernel answered (a file
 * descriptor, or 0, or -1 with errno set), so that every program reports
 * in its own words.
 */
#ifndef _SAMPLES_IOMMUFD_EDU_VFIO_H
#define _SAMPLES_IOMMUFD_EDU_VFIO_H

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

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

/* The PCI address ("0000:00:03.0") of the first edu device, into @bdf */
static inline bool edu_find(char *bdf, size_t bdf_size)
{
	struct dirent *entry;
	bool found = false;
	DIR *dir;

	dir = opendir(SYSFS_PCI);
	if (!dir)
		return false;
	while (!found && (entry = readdir(dir))) {
		char path[1024];

		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), SYSFS_PCI "/%s/vendor",
			 entry->d_name);
		if (read_sysfs_hex(path) != EDU_VENDOR)
			continue;
		snprintf(path, sizeof(path), SYSFS_PCI "/%s/device",
			 entry->d_name);
		if (read_sysfs_hex(path) != EDU_DEVICE)
			continue;
		snprintf(bdf, bdf_size, "%s", entry->d_name);
		found = true;
	}
	closedir(dir);
	return found;
}

/* The name of @bdf's IOMMU group (its /dev/vfio/<name>), into @group */
static inline bool pci_iommu_group(const char *bdf, char *group,
				   size_t group_size)
{
	char path[1024], target[256];
	ssize_t len;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/iommu_group", bdf);
	len = readlink(path, target, sizeof(target) - 1);
	if (len <= 0)
		return false;
	target[len] = 0;
	snprintf(group, group_size, "%s", strrchr(target, '/') + 1);
	return true;
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

/* A paging HWPT for device @dev_id, linked to IOAS @ioas_id at once */
static inline int iommufd_hwpt_alloc(int iommufd, __u32 dev_id,
				     __u32 ioas_id, __u32 *hwpt_id)
{
	struct iommu_hwpt_alloc alloc = {
		.size = sizeof(alloc),
		.dev_id = dev_id,
		.pt_id = ioas_id,
		.data_type = IOMMU_HWPT_DATA_NONE,
	};
	int rc = ioctl(iommufd, IOMMU_HWPT_ALLOC, &alloc);

	*hwpt_id = alloc.out_hwpt_id;
	return rc;
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

#endif
