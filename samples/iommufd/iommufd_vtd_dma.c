// SPDX-License-Identifier: GPL-2.0-only
/*
 * Real DMA through iommufd, the way a VMM does it.
 *
 * Run in a guest that has an Intel VT-d IOMMU and QEMU's "edu" PCI device
 * (1234:11e8).  The program hands edu to vfio-pci, opens the device's VFIO
 * cdev, binds it to /dev/iommu, maps two buffers of its own memory into an
 * I/O address space (IOAS) and lets the device's DMA engine copy one buffer
 * into the other through the IOMMU.  It then moves the device to a HWPT it
 * allocated itself (a replace, with no window of unblocked DMA), copies
 * again, and finally unmaps the destination to show that the IOMMU refuses
 * the device's DMA.  It exits 0 only if every check passes.
 *
 * With --group it takes VFIO's older path instead: the device's IOMMU group
 * file gets /dev/iommu as its "container", VFIO makes the context's
 * compatibility IOAS, and the device fd comes from the group, attached to
 * that IOAS already.  The copies and the unmap are the same.
 *
 * With --container it is a program written for VFIO's legacy type1
 * container, unaware of iommufd: /dev/vfio/vfio, VFIO_SET_IOMMU and
 * VFIO_IOMMU_MAP_DMA/UNMAP_DMA.  Whether VFIO's own container or iommufd
 * (CONFIG_IOMMUFD_VFIO_CONTAINER) serves /dev/vfio/vfio, the DMA must work
 * the same; --container=vfio or --container=iommufd also checks which one
 * it was.
 *
 * edu, as emulated by QEMU: BAR0 holds an ID register, a liveness register
 * that returns the inverse of what was written, and a DMA engine that
 * copies between bus addresses (here: IOVAs) and a 4 KiB buffer inside the
 * device at device address 0x40000.  Its DMA mask is 28 bits, and a
 * transfer that reaches exactly the end of its buffer stops QEMU, so the
 * transfers here stay well inside both.
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <time.h>
#include <linux/pci_regs.h>

#include "edu_vfio.h"

/* BAR0 registers */
#define EDU_REG_ID		0x00
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_START		0x1
#define EDU_DMA_TO_RAM		0x2
/* Where the device's own buffer sits in its DMA address space */
#define EDU_BUFFER_ADDR		0x40000
#define EDU_ID_MAGIC		0xed	/* low byte of the ID register */

/* One transfer: inside the 4 KiB buffer without reaching its end */
#define TRANSFER_BYTES		2048
#define BUFFER_BYTES		4096
/* IOVAs the VMM picks for its two buffers: below edu's 28-bit DMA mask */
#define IOVA_SRC		0x100000ULL
#define IOVA_DST		0x200000ULL

#define DMA_TIMEOUT_MS		10000
#define FAULT_WAIT_MS		3000

/* How the VMM gets its device and its address space */
enum vfio_path {
	PATH_CDEV,	/* the device cdev bound to /dev/iommu */
	PATH_GROUP,	/* the group, with /dev/iommu as its container */
	PATH_CONTAINER,	/* the group, in a /dev/vfio/vfio type1 container */
};

struct vmm {
	char bdf[256];
	char group_name[32];
	enum vfio_path path;
	/* PATH_CONTAINER: "vfio" or "iommufd" if that must serve it */
	const char *expected_server;
	int group_fd;
	int container_fd;
	int iommufd;
	int device_fd;
	__u32 dev_id;
	__u32 ioas_id;
	__u32 auto_hwpt_id;
	__u32 hwpt_id;
	__u8 *bar0;
	size_t bar0_size;
	__u64 config_offset;
	__u8 *src;
	__u8 *dst;
};

static unsigned int checks_failed;

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void step(const char *title)
{
	say("\n== %s\n", title);
}

/* Record one check; the program's exit code is the sum of them */
static bool check(bool passed, const char *what)
{
	say("   [%s] %s\n", passed ? " ok " : "FAIL", what);
	if (!passed)
		checks_failed++;
	return passed;
}

static bool check_ioctl(int rc, const char *what)
{
	if (rc) {
		say("   [FAIL] %s: %s\n", what, strerror(errno));
		checks_failed++;
		return false;
	}
	say("   [ ok ] %s\n", what);
	return true;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec delay = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	nanosleep(&delay, NULL);
}

/* ---- Finding the device and handing it to vfio-pci ----------------------- */

static void show_iommu_of(struct vmm *vmm)
{
	char path[1024], target[256];
	bool grouped;
	ssize_t len;

	grouped = pci_iommu_group(vmm->bdf, vmm->group_name,
				  sizeof(vmm->group_name));
	say("   IOMMU group: %s\n", grouped ? vmm->group_name : "none");
	check(grouped, "the device sits behind an IOMMU (it has an IOMMU group)");

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/iommu", vmm->bdf);
	len = readlink(path, target, sizeof(target) - 1);
	target[len > 0 ? len : 0] = 0;
	say("   IOMMU: %s\n", len > 0 ? strrchr(target, '/') + 1 : "none");
	check(len > 0 && strstr(target, "dmar"),
	      "that IOMMU is an Intel VT-d unit (dmarN)");
}

/* ---- iommufd ------------------------------------------------------------- */

/*
 * Optional: IOMMU_GET_HW_INFO tells a VMM what the IOMMU behind the device
 * can do (for VT-d its capability registers), which it needs before it
 * offers the guest a virtual IOMMU.  Kernels without it answer ENOTTY.
 */
static void show_hw_info(struct vmm *vmm)
{
	struct iommu_hw_info_vtd vtd = {};
	struct iommu_hw_info info = {
		.size = sizeof(info),
		.dev_id = vmm->dev_id,
		.data_len = sizeof(vtd),
		.data_uptr = (__u64)(unsigned long)&vtd,
	};

	step("Optional: ask iommufd what the IOMMU can do (IOMMU_GET_HW_INFO)");
	if (ioctl(vmm->iommufd, IOMMU_GET_HW_INFO, &info)) {
		if (errno == ENOTTY) {
			say("   [skip] %s\n",
			    "this kernel's iommufd has no IOMMU_GET_HW_INFO yet");
			return;
		}
		check_ioctl(-1, "IOMMU_GET_HW_INFO");
		return;
	}
	check(info.out_data_type == IOMMU_HW_INFO_TYPE_INTEL_VTD,
	      "IOMMU_GET_HW_INFO reports an Intel VT-d IOMMU");
	say("   VT-d cap 0x%016llx ecap 0x%016llx\n",
	    (unsigned long long)vtd.cap_reg, (unsigned long long)vtd.ecap_reg);
}

/* ---- The device: config space, BAR0, its DMA engine ------------------------ */

static bool map_bar0(struct vmm *vmm)
{
	struct vfio_region_info region = {
		.argsz = sizeof(region),
		.index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	void *bar;

	if (!check_ioctl(ioctl(vmm->device_fd, VFIO_DEVICE_GET_REGION_INFO,
			       &region),
			 "VFIO_DEVICE_GET_REGION_INFO for BAR0"))
		return false;
	say("   BAR0: %llu bytes at offset 0x%llx of the device fd, flags 0x%x\n",
	    (unsigned long long)region.size,
	    (unsigned long long)region.offset, region.flags);
	if (!check(region.flags & VFIO_REGION_INFO_FLAG_MMAP,
		   "BAR0 can be mmap()ed"))
		return false;
	bar = mmap(NULL, region.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vmm->device_fd, region.offset);
	if (!check(bar != MAP_FAILED, "mmap BAR0 into the VMM"))
		return false;
	vmm->bar0 = bar;
	vmm->bar0_size = region.size;

	region = (struct vfio_region_info) {
		.argsz = sizeof(region),
		.index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	if (!check_ioctl(ioctl(vmm->device_fd, VFIO_DEVICE_GET_REGION_INFO,
			       &region),
			 "VFIO_DEVICE_GET_REGION_INFO for the config space"))
		return false;
	vmm->config_offset = region.offset;
	return true;
}

/*
 * BAR0 accesses must reach the device exactly as written, one access of
 * the register's width each: relaxed atomics are never merged, split or
 * left out by the compiler, and on x86 they are plain moves.  The DMA
 * registers are 64 bits wide and take one 8-byte access.
 */
static __u32 edu_read32(struct vmm *vmm, unsigned int reg)
{
	return __atomic_load_n((__u32 *)(vmm->bar0 + reg), __ATOMIC_RELAXED);
}

static void edu_write32(struct vmm *vmm, unsigned int reg, __u32 value)
{
	__atomic_store_n((__u32 *)(vmm->bar0 + reg), value, __ATOMIC_RELAXED);
}

static __u64 edu_read64(struct vmm *vmm, unsigned int reg)
{
	return __atomic_load_n((__u64 *)(vmm->bar0 + reg), __ATOMIC_RELAXED);
}

static void edu_write64(struct vmm *vmm, unsigned int reg, __u64 value)
{
	__atomic_store_n((__u64 *)(vmm->bar0 + reg), value, __ATOMIC_RELAXED);
}

static bool enable_bus_master(struct vmm *vmm)
{
	off_t where = vmm->config_offset + PCI_COMMAND;
	__u16 command;

	if (pread(vmm->device_fd, &command, sizeof(command), where) !=
	    sizeof(command))
		return check(false, "read the PCI command register");
	command |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(vmm->device_fd, &command, sizeof(command), where) !=
	    sizeof(command))
		return check(false, "write the PCI command register");
	command = 0;
	if (pread(vmm->device_fd, &command, sizeof(command), where) !=
	    sizeof(command))
		return check(false, "read the PCI command register back");
	return check(command & PCI_COMMAND_MASTER,
		     "bus mastering is on (PCI_COMMAND_MASTER, through the VFIO config region)");
}

static bool edu_alive(struct vmm *vmm)
{
	__u32 id = edu_read32(vmm, EDU_REG_ID);
	__u32 probe = 0x5a5aa5a5;

	say("   edu ID register: 0x%08x\n", id);
	if (!check((id & 0xff) == EDU_ID_MAGIC, "BAR0 answers with edu's ID"))
		return false;
	edu_write32(vmm, EDU_REG_LIVENESS, probe);
	return check(edu_read32(vmm, EDU_REG_LIVENESS) == ~probe,
		     "the liveness register inverts what was written");
}

/*
 * One transfer of the DMA engine.  Returns false if it did not finish in
 * time; edu reports no error for a transfer the IOMMU refused, which is
 * why the data itself is checked.
 */
static bool edu_dma(struct vmm *vmm, __u64 src, __u64 dst, bool to_ram)
{
	unsigned int waited_ms;

	edu_write64(vmm, EDU_REG_DMA_SRC, src);
	edu_write64(vmm, EDU_REG_DMA_DST, dst);
	edu_write64(vmm, EDU_REG_DMA_COUNT, TRANSFER_BYTES);
	edu_write64(vmm, EDU_REG_DMA_CMD,
		    EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
	for (waited_ms = 0; waited_ms < DMA_TIMEOUT_MS; waited_ms += 5) {
		if (!(edu_read64(vmm, EDU_REG_DMA_CMD) & EDU_DMA_START))
			return true;
		sleep_ms(5);
	}
	return false;
}

static void fill_pattern(__u8 *buffer, unsigned int seed)
{
	unsigned int i;

	for (i = 0; i < BUFFER_BYTES; i++)
		buffer[i] = (__u8)(i * 7 + seed * 31 + (i >> 8));
}

/* How many of the @len bytes at @buffer are not @value */
static unsigned int count_not(const __u8 *buffer, size_t len, __u8 value)
{
	unsigned int bad = 0;
	size_t i;

	for (i = 0; i < len; i++)
		bad += buffer[i] != value;
	return bad;
}

static unsigned int count_mismatches(const __u8 *a, const __u8 *b,
				     size_t len)
{
	unsigned int bad = 0;
	size_t i;

	for (i = 0; i < len; i++)
		bad += a[i] != b[i];
	return bad;
}

/*
 * The round trip a VMM's device model would see: the device reads the
 * source buffer through the IOMMU into its own memory, then writes it out
 * to the destination buffer, again through the IOMMU.
 */
/* ---- The VMM's address space ---------------------------------------------- */

static int map_buffer(struct vmm *vmm, __u8 *buffer, __u64 iova)
{
	if (vmm->path == PATH_CONTAINER)
		return vfio_type1_map(vmm->container_fd, buffer, iova,
				      BUFFER_BYTES);
	return iommufd_map_fixed(vmm->iommufd, vmm->ioas_id, buffer,
				 BUFFER_BYTES, iova);
}

static int unmap_buffer(struct vmm *vmm, __u64 iova, __u64 *unmapped)
{
	if (vmm->path == PATH_CONTAINER)
		return vfio_type1_unmap(vmm->container_fd, iova, BUFFER_BYTES,
					unmapped);
	return iommufd_unmap(vmm->iommufd, vmm->ioas_id, iova, BUFFER_BYTES,
			     unmapped);
}

/* The name of the map or unmap call of the VMM's path */
static const char *map_call(struct vmm *vmm, bool unmap)
{
	if (vmm->path == PATH_CONTAINER)
		return unmap ? "VFIO_IOMMU_UNMAP_DMA" : "VFIO_IOMMU_MAP_DMA";
	return unmap ? "IOMMU_IOAS_UNMAP" : "IOMMU_IOAS_MAP";
}

static void dma_round_trip(struct vmm *vmm, unsigned int seed)
{
	unsigned int bad;

	fill_pattern(vmm->src, seed);
	memset(vmm->dst, 0, BUFFER_BYTES);
	say("   source filled with pattern %u, destination zeroed\n", seed);

	if (!check(edu_dma(vmm, IOVA_SRC, EDU_BUFFER_ADDR, false),
		   "edu DMA: source IOVA 0x100000 -> device buffer (2048 bytes)"))
		return;
	if (!check(edu_dma(vmm, EDU_BUFFER_ADDR, IOVA_DST, true),
		   "edu DMA: device buffer -> destination IOVA 0x200000 (2048 bytes)"))
		return;
	bad = count_mismatches(vmm->src, vmm->dst, TRANSFER_BYTES);
	say("   %u of %d bytes differ\n", bad, TRANSFER_BYTES);
	check(!bad, "every byte arrived in the destination buffer");
	check(!count_not(vmm->dst + TRANSFER_BYTES,
			 BUFFER_BYTES - TRANSFER_BYTES, 0),
	      "nothing was written past the transfer");
}

/* ---- The kernel log: did the IOMMU report the refused DMA? ----------------- */

static int kernel_log_size(void)
{
	return klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
}

/*
 * Lines of the kernel log that report a DMA fault of VT-d; the last one is
 * copied to @last_fault (of @last_size bytes).
 */
static unsigned int count_dmar_faults(char *last_fault, size_t last_size)
{
	int size = kernel_log_size();
	unsigned int faults = 0;
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
		for (line = strtok(log, "\n"); line; line = strtok(NULL, "\n"))
			if (strstr(line, "DMAR") && strstr(line, "fault addr")) {
				/* Without level and time stamp, "DMAR: ..." */
				snprintf(last_fault, last_size, "%s",
					 strstr(line, "DMAR"));
				faults++;
			}
	}
	free(log);
	return faults;
}

static void dma_after_unmap(struct vmm *vmm)
{
	unsigned int faults_before, faults_after, waited_ms;
	char fault_line[512] = "";
	__u64 unmapped = 0;
	char what[64];

	step("Step 9: unmap the destination; the IOMMU must now refuse the device's writes there");
	memset(vmm->dst, 0xee, BUFFER_BYTES);
	say("   destination buffer filled with 0xee; it stays mapped in the VMM\n");
	snprintf(what, sizeof(what), "%s of IOVA 0x200000",
		 map_call(vmm, true));
	if (!check_ioctl(unmap_buffer(vmm, IOVA_DST, &unmapped), what))
		return;
	check(unmapped == BUFFER_BYTES, "4096 bytes were unmapped");

	faults_before = count_dmar_faults(fault_line, sizeof(fault_line));
	say("   %s\n",
	    "the device writes its buffer to IOVA 0x200000 once more");
	check(edu_dma(vmm, EDU_BUFFER_ADDR, IOVA_DST, true),
	      "edu finished the transfer (it cannot tell that the IOMMU dropped it)");
	check(!count_not(vmm->dst, BUFFER_BYTES, 0xee),
	      "the destination buffer is untouched: the DMA did not land");

	/* The fault interrupt is handled asynchronously */
	faults_after = faults_before;
	for (waited_ms = 0; waited_ms < FAULT_WAIT_MS; waited_ms += 50) {
		if (faults_after != faults_before)
			break;
		sleep_ms(50);
		faults_after = count_dmar_faults(fault_line,
						 sizeof(fault_line));
	}
	if (check(faults_after > faults_before,
		  "the kernel log shows a DMAR fault for the refused write"))
		say("   kernel: %s\n", fault_line);
}

/* ---- The program ----------------------------------------------------------- */

static void *alloc_buffer(void)
{
	void *buffer = mmap(NULL, BUFFER_BYTES, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return buffer == MAP_FAILED ? NULL : buffer;
}

static bool alloc_buffers(struct vmm *vmm)
{
	vmm->src = alloc_buffer();
	vmm->dst = alloc_buffer();
	return check(vmm->src && vmm->dst, "allocated two 4 KiB buffers");
}

/* Both buffers into the device's address space, however the VMM got it */
static bool map_buffers(struct vmm *vmm)
{
	char what[96];

	if (vmm->path != PATH_CONTAINER)
		say("   IOAS ID: %u\n", vmm->ioas_id);
	snprintf(what, sizeof(what), "%s source buffer at IOVA 0x100000",
		 map_call(vmm, false));
	if (!check_ioctl(map_buffer(vmm, vmm->src, IOVA_SRC), what))
		return false;
	snprintf(what, sizeof(what), "%s destination buffer at IOVA 0x200000",
		 map_call(vmm, false));
	return check_ioctl(map_buffer(vmm, vmm->dst, IOVA_DST), what);
}

static bool setup_device(struct vmm *vmm)
{
	const char *failed_step;
	char node[1024];

	step("Step 1: find the edu device (PCI 1234:11e8) and its IOMMU");
	if (!check(edu_find(vmm->bdf, sizeof(vmm->bdf)),
		   "found edu on the PCI bus"))
		return false;
	say("   PCI address: %s\n", vmm->bdf);
	show_iommu_of(vmm);

	step("Step 2: hand the device to vfio-pci through sysfs");
	failed_step = vfio_pci_take(vmm->bdf);
	if (failed_step)
		return check(false, failed_step);
	check(true, "driver_override says vfio-pci, and vfio-pci took the device");
	if (vmm->path != PATH_CDEV)
		return true;

	step("Step 3: open the device's VFIO cdev and /dev/iommu, and bind them");
	vmm->device_fd = vfio_cdev_open(vmm->bdf, node, sizeof(node));
	if (!check(vmm->device_fd >= 0, "opened the VFIO device cdev"))
		return false;
	say("   VFIO device cdev: %s\n", node);
	vmm->iommufd = open("/dev/iommu", O_RDWR);
	if (!check(vmm->iommufd >= 0, "opened /dev/iommu"))
		return false;
	say("   until bound, the device fd refuses everything else; its DMA is blocked\n");
	if (!check_ioctl(vfio_bind_iommufd(vmm->device_fd, vmm->iommufd,
					   &vmm->dev_id),
			 "VFIO_DEVICE_BIND_IOMMUFD: the device joins this iommufd"))
		return false;
	say("   the device's ID in iommufd: %u\n", vmm->dev_id);
	return true;
}

static bool setup_address_space(struct vmm *vmm)
{
	step("Step 4: create an I/O address space and map two buffers into it");
	if (!alloc_buffers(vmm))
		return false;
	if (!check_ioctl(iommufd_ioas_alloc(vmm->iommufd, &vmm->ioas_id),
			 "IOMMU_IOAS_ALLOC"))
		return false;
	return map_buffers(vmm);
}

/* IOMMU_VFIO_IOAS: which IOAS VFIO's group path uses in this context */
static int compat_ioas_get(struct vmm *vmm)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_VFIO_IOAS_GET,
	};
	int rc = ioctl(vmm->iommufd, IOMMU_VFIO_IOAS, &cmd);

	vmm->ioas_id = cmd.ioas_id;
	return rc;
}

/* The device's IOMMU group file, checked to be usable */
static bool open_group(struct vmm *vmm)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%s", vmm->group_name);
	vmm->group_fd = open(path, O_RDWR);
	if (!check(vmm->group_fd >= 0, "opened the VFIO group file"))
		return false;
	say("   VFIO group: %s\n", path);
	if (!check_ioctl(ioctl(vmm->group_fd, VFIO_GROUP_GET_STATUS, &status),
			 "VFIO_GROUP_GET_STATUS"))
		return false;
	return check(status.flags & VFIO_GROUP_FLAGS_VIABLE,
		     "the group is viable: every device in it is VFIO's");
}

static bool get_device_from_group(struct vmm *vmm)
{
	vmm->device_fd = ioctl(vmm->group_fd, VFIO_GROUP_GET_DEVICE_FD,
			       vmm->bdf);
	return check(vmm->device_fd >= 0, "VFIO_GROUP_GET_DEVICE_FD");
}

static bool setup_group(struct vmm *vmm)
{
	step("Step 3: open the IOMMU group's VFIO file; give it /dev/iommu as its container");
	if (!open_group(vmm))
		return false;
	vmm->iommufd = open("/dev/iommu", O_RDWR);
	if (!check(vmm->iommufd >= 0, "opened /dev/iommu"))
		return false;
	if (!check_ioctl(ioctl(vmm->group_fd, VFIO_GROUP_SET_CONTAINER,
			       &vmm->iommufd),
			 "VFIO_GROUP_SET_CONTAINER with the iommufd"))
		return false;

	step("Step 4: map two buffers into the IOAS VFIO made for the group");
	if (!alloc_buffers(vmm))
		return false;
	if (!check_ioctl(compat_ioas_get(vmm),
			 "IOMMU_VFIO_IOAS GET: the compatibility IOAS"))
		return false;
	if (!map_buffers(vmm))
		return false;

	step("Step 5: get the device fd from the group");
	say("   VFIO binds the device to the iommufd and attaches it to that IOAS\n");
	return get_device_from_group(vmm);
}

/*
 * Who serves /dev/vfio/vfio: iommufd answers its own ioctls there too, and
 * a context opened through that node charges pinned memory per process
 * (IOMMU_OPTION_RLIMIT_MODE 1) as VFIO's container did.  VFIO's own
 * container does not know the ioctl.
 */
static const char *container_server(struct vmm *vmm, __u64 *rlimit_mode)
{
	struct iommu_option option = {
		.size = sizeof(option),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
	};

	if (ioctl(vmm->container_fd, IOMMU_OPTION, &option))
		return "vfio";
	*rlimit_mode = option.val64;
	return "iommufd";
}

static bool setup_container(struct vmm *vmm)
{
	const char *failed, *server;
	__u64 rlimit_mode = 0;

	step("Step 3: open the IOMMU group's VFIO file; put it in a type1 container");
	if (!open_group(vmm))
		return false;
	vmm->container_fd = vfio_type1_container(vmm->group_fd, &failed);
	if (!check_ioctl(vmm->container_fd < 0 ? -1 : 0,
			 failed ? failed :
			 "/dev/vfio/vfio: API version, type1v2, the group joins, VFIO_SET_IOMMU"))
		return false;
	server = container_server(vmm, &rlimit_mode);
	say("   /dev/vfio/vfio is served by %s\n",
	    strcmp(server, "vfio") ? "iommufd (CONFIG_IOMMUFD_VFIO_CONTAINER)" :
				     "VFIO's own type1 container");
	if (vmm->expected_server)
		check(!strcmp(server, vmm->expected_server),
		      "the implementation this test expects serves it");
	if (!strcmp(server, "iommufd"))
		check(rlimit_mode == 1,
		      "iommufd charges pinned memory per process there, as type1 did");

	step("Step 4: map two buffers with VFIO_IOMMU_MAP_DMA");
	if (!alloc_buffers(vmm) || !map_buffers(vmm))
		return false;

	step("Step 5: get the device fd from the group");
	return get_device_from_group(vmm);
}

static bool attach_to_ioas(struct vmm *vmm)
{
	__u32 pt_id = vmm->ioas_id;

	step("Step 5: attach the device to the IOAS");
	say("   attaching to an IOAS makes iommufd create (or reuse) a VT-d domain for it\n");
	if (!check_ioctl(vfio_attach_pt(vmm->device_fd, &pt_id),
			 "VFIO_DEVICE_ATTACH_IOMMUFD_PT to the IOAS"))
		return false;
	vmm->auto_hwpt_id = pt_id;
	say("   the device now translates through automatic HWPT %u\n", pt_id);
	return check(pt_id != vmm->ioas_id,
		     "the kernel reported the HWPT it picked");
}

static bool setup_bar(struct vmm *vmm)
{
	step("Step 6: map BAR0 and let the device master the bus");
	return map_bar0(vmm) && enable_bus_master(vmm) && edu_alive(vmm);
}

static void replace_hwpt(struct vmm *vmm)
{
	__u32 pt_id;

	step("Step 8: allocate a HWPT of our own on the same IOAS and move the device to it");
	if (!check_ioctl(iommufd_hwpt_alloc(vmm->iommufd, vmm->dev_id,
					    vmm->ioas_id, &vmm->hwpt_id),
			 "IOMMU_HWPT_ALLOC: a paging HWPT of the IOAS"))
		return;
	say("   HWPT ID: %u; it mirrors every mapping of IOAS %u already\n",
	    vmm->hwpt_id, vmm->ioas_id);
	pt_id = vmm->hwpt_id;
	say("   %s\n   %s\n",
	    "attaching a device that is attached already replaces its HWPT",
	    "in one step: its DMA is never unblocked in between");
	if (!check_ioctl(vfio_attach_pt(vmm->device_fd, &pt_id),
			 "VFIO_DEVICE_ATTACH_IOMMUFD_PT to the new HWPT (replace)"))
		return;
	check(pt_id == vmm->hwpt_id, "the device is on the new HWPT");
	errno = 0;
	check(iommufd_destroy(vmm->iommufd, vmm->auto_hwpt_id) && errno == ENOENT,
	      "the automatic HWPT went away with its last device (ENOENT)");
	errno = 0;
	check(iommufd_destroy(vmm->iommufd, vmm->hwpt_id) && errno == EBUSY,
	      "a HWPT with a device attached cannot be destroyed (EBUSY)");
	say("   the same copy again, now through the new HWPT's page table:\n");
	dma_round_trip(vmm, 2);
}

static void teardown(struct vmm *vmm)
{
	step("Step 10: tear down in reverse order");
	if (vmm->device_fd >= 0 && vmm->dev_id) {
		check_ioctl(vfio_detach_pt(vmm->device_fd),
			    "VFIO_DEVICE_DETACH_IOMMUFD_PT: DMA is blocked again");
		if (vmm->hwpt_id)
			check_ioctl(iommufd_destroy(vmm->iommufd, vmm->hwpt_id),
				    "IOMMU_DESTROY the HWPT");
	}
	if (vmm->bar0)
		munmap((void *)vmm->bar0, vmm->bar0_size);
	if (vmm->device_fd >= 0)
		close(vmm->device_fd);
	if (vmm->group_fd >= 0) {
		check_ioctl(ioctl(vmm->group_fd, VFIO_GROUP_UNSET_CONTAINER),
			    "VFIO_GROUP_UNSET_CONTAINER");
		close(vmm->group_fd);
	}
	if (vmm->container_fd >= 0)
		close(vmm->container_fd);
	if (vmm->iommufd >= 0)
		close(vmm->iommufd);
	if (vmm->bdf[0])
		vfio_pci_release(vmm->bdf);
	say("   closed the device and the VMM's VFIO and iommufd files, gave the device back\n");
}

/* The device fd, /dev/iommu and the device's IOAS, made one way or the other */
static bool setup(struct vmm *vmm)
{
	if (!setup_device(vmm))
		return false;
	if (vmm->path == PATH_GROUP)
		return setup_group(vmm) && setup_bar(vmm);
	if (vmm->path == PATH_CONTAINER)
		return setup_container(vmm) && setup_bar(vmm);
	show_hw_info(vmm);
	return setup_address_space(vmm) && attach_to_ioas(vmm) &&
	       setup_bar(vmm);
}

/* [--group | --container[=vfio|=iommufd]] */
static bool parse_args(struct vmm *vmm, int argc, char **argv)
{
	const char *arg = argc > 1 ? argv[1] : "";

	if (argc > 2)
		return false;
	vmm->path = PATH_CDEV;
	if (!*arg)
		return true;
	if (!strcmp(arg, "--group")) {
		vmm->path = PATH_GROUP;
		return true;
	}
	if (strncmp(arg, "--container", strlen("--container")))
		return false;
	vmm->path = PATH_CONTAINER;
	arg += strlen("--container");
	if (!*arg)
		return true;
	if (strcmp(arg, "=vfio") && strcmp(arg, "=iommufd"))
		return false;
	vmm->expected_server = arg + 1;
	return true;
}

static const char *const path_titles[] = {
	[PATH_CDEV] = "",
	[PATH_GROUP] = ", by VFIO's group path",
	[PATH_CONTAINER] = ", by a VFIO type1 container program",
};

int main(int argc, char **argv)
{
	struct vmm vmm = {
		.iommufd = -1,
		.device_fd = -1,
		.group_fd = -1,
		.container_fd = -1,
	};

	if (!parse_args(&vmm, argc, argv)) {
		fprintf(stderr, "usage: %s [--group | --container[=vfio|=iommufd]]\n",
			argv[0]);
		return 2;
	}
	say("DMA through iommufd with an Intel VT-d IOMMU and QEMU's edu device%s\n",
	    path_titles[vmm.path]);
	if (setup(&vmm)) {
		step("Step 7: DMA through the device's HWPT");
		dma_round_trip(&vmm, 1);
		if (vmm.path == PATH_CDEV)
			replace_hwpt(&vmm);
		dma_after_unmap(&vmm);
	}
	teardown(&vmm);

	if (checks_failed) {
		say("\n%u check(s) FAILED\n", checks_failed);
		return 1;
	}
	say("\nall checks passed\n");
	return 0;
}
