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
 * edu_vfio.h describes edu; its transfers here stay well inside the
 * device's buffer and its 28-bit DMA mask.
 */
#include <sys/klog.h>

#include "edu_vfio.h"
#include "vmm_report.h"

/* IOVAs the VMM picks for its two buffers: below edu's 28-bit DMA mask */
#define IOVA_SRC		0x100000ULL
#define IOVA_DST		0x200000ULL

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
	struct edu_dev edu;
	struct edu_buffers buffers;
};

/* ---- Finding the device and handing it to vfio-pci ----------------------- */

static void show_iommu_of(struct vmm *vmm)
{
	char unit[64] = "none";
	bool grouped;

	grouped = pci_iommu_group(vmm->bdf, vmm->group_name,
				  sizeof(vmm->group_name));
	say("   IOMMU group: %s\n", grouped ? vmm->group_name : "none");
	check(grouped, "the device sits behind an IOMMU (it has an IOMMU group)");

	pci_iommu_unit(vmm->bdf, unit, sizeof(unit));
	say("   IOMMU: %s\n", unit);
	check(!strncmp(unit, "dmar", 4),
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

/* ---- The VMM's address space ---------------------------------------------- */

static int map_buffer(struct vmm *vmm, __u8 *buffer, __u64 iova)
{
	if (vmm->path == PATH_CONTAINER)
		return vfio_type1_map(vmm->container_fd, buffer, iova,
				      EDU_VMM_BUFFER_BYTES);
	return iommufd_map_fixed(vmm->iommufd, vmm->ioas_id, buffer,
				 EDU_VMM_BUFFER_BYTES, iova);
}

static int unmap_buffer(struct vmm *vmm, __u64 iova, __u64 *unmapped)
{
	if (vmm->path == PATH_CONTAINER)
		return vfio_type1_unmap(vmm->container_fd, iova,
					EDU_VMM_BUFFER_BYTES, unmapped);
	return iommufd_unmap(vmm->iommufd, vmm->ioas_id, iova,
			     EDU_VMM_BUFFER_BYTES, unmapped);
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
	struct edu_round_trip seen;

	say("   source filled with pattern %u, destination zeroed\n", seed);
	edu_round_trip(&vmm->edu, &vmm->buffers, seed, &seen);
	if (!check(seen.read_done,
		   "edu DMA: source IOVA 0x100000 -> device buffer (2048 bytes)"))
		return;
	if (!check(seen.write_done,
		   "edu DMA: device buffer -> destination IOVA 0x200000 (2048 bytes)"))
		return;
	say("   %u of %d bytes differ\n", seen.differ, EDU_TRANSFER_BYTES);
	check(!seen.differ, "every byte arrived in the destination buffer");
	check(!seen.spilled, "nothing was written past the transfer");
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
	memset(vmm->buffers.dst, 0xee, EDU_VMM_BUFFER_BYTES);
	say("   destination buffer filled with 0xee; it stays mapped in the VMM\n");
	snprintf(what, sizeof(what), "%s of IOVA 0x200000",
		 map_call(vmm, true));
	if (!check_ioctl(unmap_buffer(vmm, IOVA_DST, &unmapped), what))
		return;
	check(unmapped == EDU_VMM_BUFFER_BYTES, "4096 bytes were unmapped");

	faults_before = count_dmar_faults(fault_line, sizeof(fault_line));
	say("   %s\n",
	    "the device writes its buffer to IOVA 0x200000 once more");
	check(edu_dma(&vmm->edu, EDU_BUFFER_ADDR, IOVA_DST, EDU_TRANSFER_BYTES,
		      true),
	      "edu finished the transfer (it cannot tell that the IOMMU dropped it)");
	check(!bytes_not(vmm->buffers.dst, EDU_VMM_BUFFER_BYTES, 0xee),
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

static bool alloc_buffers(struct vmm *vmm)
{
	return check(edu_buffers_alloc(&vmm->buffers, IOVA_SRC, IOVA_DST),
		     "allocated two 4 KiB buffers");
}

/* Both buffers into the device's address space, however the VMM got it */
static bool map_buffers(struct vmm *vmm)
{
	char what[96];

	if (vmm->path != PATH_CONTAINER)
		say("   IOAS ID: %u\n", vmm->ioas_id);
	snprintf(what, sizeof(what), "%s source buffer at IOVA 0x100000",
		 map_call(vmm, false));
	if (!check_ioctl(map_buffer(vmm, vmm->buffers.src, IOVA_SRC), what))
		return false;
	snprintf(what, sizeof(what), "%s destination buffer at IOVA 0x200000",
		 map_call(vmm, false));
	return check_ioctl(map_buffer(vmm, vmm->buffers.dst, IOVA_DST), what);
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
	const char *failed;
	__u32 id = 0;

	step("Step 6: map BAR0 and let the device master the bus");
	failed = edu_open(&vmm->edu, vmm->device_fd, &id);
	if (vmm->edu.bar0)
		say("   BAR0: %zu bytes at offset 0x%llx of the device fd, mmapped\n",
		    vmm->edu.bar0_size,
		    (unsigned long long)vmm->edu.bar0_offset);
	say("   edu ID register: 0x%08x\n", id);
	return check_steps(failed,
			   "BAR0 answers as edu's (ID, liveness), and bus mastering is on (PCI_COMMAND_MASTER, through the VFIO config region)");
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
	check_errno(iommufd_destroy(vmm->iommufd, vmm->auto_hwpt_id), ENOENT,
		    "the automatic HWPT went away with its last device (ENOENT)");
	check_errno(iommufd_destroy(vmm->iommufd, vmm->hwpt_id), EBUSY,
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
	edu_close(&vmm->edu);
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
	return report_result();
}
