// SPDX-License-Identifier: GPL-2.0-only
/*
 * Real DMA through iommufd, the way a VMM does it.
 *
 * Run in a guest that has an IOMMU (Intel VT-d, AMD-Vi, virtio-iommu or Arm
 * SMMUv3, as QEMU emulates them) and QEMU's "edu" PCI device (1234:11e8) at
 * any PCI address.  The program tells which IOMMU translates for edu and
 * what iommufd says it can do, hands edu to vfio-pci, opens the device's VFIO
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
 * --iommu=vtd|amd|virtio|smmuv3 also checks that this IOMMU is the one.
 *
 * edu_vfio.h describes edu; its transfers here stay well inside the
 * device's buffer and its 28-bit DMA mask.
 */
#include "edu_vfio.h"
#include "vmm_report.h"

/* IOVAs the VMM picks for its two buffers: below edu's 28-bit DMA mask */
#define IOVA_SRC		0x100000ULL
#define IOVA_DST		0x200000ULL

/* What IOMMU_GET_HW_INFO can return: one member per type this program knows */
union hw_info_data {
	struct iommu_hw_info_vtd vtd;
	struct iommu_hw_info_arm_smmuv3 smmuv3;
};

/* VT-d: ECAP.NEST, the second-stage tables can be nested under first-stage ones */
#define VTD_ECAP_NEST		0x4000000ULL	/* bit 26 */
/* SMMUv3: IDR0.S1P and IDR0.S2P, both translation stages are there */
#define SMMUV3_IDR0_S1P		0x2U		/* bit 1 */
#define SMMUV3_IDR0_S2P		0x1U		/* bit 0 */

static bool vtd_can_nest(const union hw_info_data *data)
{
	return data->vtd.ecap_reg & VTD_ECAP_NEST;
}

static bool smmuv3_can_nest(const union hw_info_data *data)
{
	__u32 both = SMMUV3_IDR0_S1P | SMMUV3_IDR0_S2P;

	return (data->smmuv3.idr[0] & both) == both;
}

/*
 * The IOMMUs QEMU emulates, as their drivers show them: the name of the
 * unit in /sys/class/iommu, the data type of IOMMU_GET_HW_INFO, and what a
 * kernel log line reporting a refused DMA contains (nothing: the IOMMU drops
 * such a DMA without a word, as QEMU's AMD-Vi does), and whether the
 * registers IOMMU_GET_HW_INFO reports say the IOMMU can nest a guest's page
 * table in one of the VMM's (NULL: the driver cannot in this kernel).
 */
struct iommu_kind {
	const char *option;		/* --iommu=<option> */
	const char *title;
	/* How its unit is named, or else the ID of the device that is its parent */
	const char *unit_prefix;
	unsigned int parent_vendor, parent_device;
	__u32 hw_info_type;
	struct fault_marks fault;	/* .text NULL: it logs none */
	bool (*can_nest)(const union hw_info_data *data);
};

static const struct iommu_kind iommu_kinds[] = {
	{
		.option = "vtd", .title = "Intel VT-d", .unit_prefix = "dmar",
		.hw_info_type = IOMMU_HW_INFO_TYPE_INTEL_VTD,
		.fault = { .text = "DMAR", .also = "fault addr" },
		.can_nest = vtd_can_nest,
	},
	{
		.option = "amd", .title = "AMD-Vi", .unit_prefix = "ivhd",
		.hw_info_type = IOMMU_HW_INFO_TYPE_DEFAULT,
	},
	{
		/*
		 * Named after the PCI device that carries it ("0000:00:01.0");
		 * its parent is the virtio device, of virtio ID 23 (an IOMMU)
		 */
		.option = "virtio", .title = "virtio-iommu",
		.parent_vendor = 0x1af4, .parent_device = 0x17,
		.hw_info_type = IOMMU_HW_INFO_TYPE_DEFAULT,
		.fault = { .text = "fault from EP" },
	},
	{
		.option = "smmuv3", .title = "Arm SMMUv3", .unit_prefix = "smmu3.",
		.hw_info_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
		.fault = { .text = "event 0x", .also = "received" },
		.can_nest = smmuv3_can_nest,
	},
};

static const struct iommu_kind *iommu_kind_by_option(const char *option)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(iommu_kinds); i++)
		if (!strcmp(iommu_kinds[i].option, option))
			return &iommu_kinds[i];
	return NULL;
}

static bool iommu_kind_is(const struct iommu_kind *kind, const char *unit)
{
	char path[512];

	if (kind->unit_prefix)
		return !strncmp(unit, kind->unit_prefix,
				strlen(kind->unit_prefix));
	snprintf(path, sizeof(path), "/sys/class/iommu/%s/device/vendor", unit);
	if (read_sysfs_hex(path) != kind->parent_vendor)
		return false;
	snprintf(path, sizeof(path), "/sys/class/iommu/%s/device/device", unit);
	return read_sysfs_hex(path) == kind->parent_device;
}

static const struct iommu_kind *iommu_kind_of_unit(const char *unit)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(iommu_kinds); i++)
		if (iommu_kind_is(&iommu_kinds[i], unit))
			return &iommu_kinds[i];
	return NULL;
}

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
	/* --iommu: the IOMMU that must translate for the device, or NULL */
	const struct iommu_kind *expected_iommu;
	/* The IOMMU that does */
	const struct iommu_kind *iommu;
	int group_fd;
	int container_fd;
	int iommufd;
	int device_fd;
	__u32 dev_id;
	__u32 ioas_id;
	__u32 auto_hwpt_id;
	__u32 hwpt_id;
	/* From IOMMU_GET_HW_INFO: IOMMU_HW_CAP_* and the driver's data */
	__u64 capabilities;
	__u32 hw_info_type;
	union hw_info_data hw_info;
	struct edu_dev edu;
	struct edu_buffers buffers;
};

/* ---- Finding the device and handing it to vfio-pci ----------------------- */

static bool show_iommu_of(struct vmm *vmm)
{
	char unit[64] = "none";
	bool grouped;

	grouped = pci_iommu_group(vmm->bdf, vmm->group_name,
				  sizeof(vmm->group_name));
	say("   IOMMU group: %s\n", grouped ? vmm->group_name : "none");
	check(grouped, "the device sits behind an IOMMU (it has an IOMMU group)");

	pci_iommu_unit(vmm->bdf, unit, sizeof(unit));
	vmm->iommu = iommu_kind_of_unit(unit);
	say("   IOMMU: %s, %s\n", unit,
	    vmm->iommu ? vmm->iommu->title : "of a kind this program does not know");
	if (!check(vmm->iommu, "the IOMMU is one QEMU emulates"))
		return false;
	if (vmm->expected_iommu)
		return check(vmm->iommu == vmm->expected_iommu,
			     "it is the IOMMU this run expects (--iommu)");
	return true;
}

/* ---- iommufd ------------------------------------------------------------- */

static void show_hw_info_data(__u32 type, const union hw_info_data *data)
{
	const __u32 *idr = data->smmuv3.idr;

	switch (type) {
	case IOMMU_HW_INFO_TYPE_INTEL_VTD:
		say("   data: VT-d cap 0x%016llx ecap 0x%016llx\n",
		    (unsigned long long)data->vtd.cap_reg,
		    (unsigned long long)data->vtd.ecap_reg);
		break;
	case IOMMU_HW_INFO_TYPE_ARM_SMMUV3:
		say("   data: SMMUv3 IDR0-5 %08x %08x %08x %08x %08x %08x IIDR %08x AIDR %08x\n",
		    idr[0], idr[1], idr[2], idr[3], idr[4], idr[5],
		    data->smmuv3.iidr, data->smmuv3.aidr);
		break;
	default:
		say("   data: none (IOMMU_HW_INFO_TYPE_DEFAULT: no registers reported)\n");
	}
}

/*
 * IOMMU_GET_HW_INFO tells a VMM what the IOMMU behind the device can do
 * (for VT-d and SMMUv3 the registers a virtual IOMMU is modelled on), which
 * it needs before it offers the guest a virtual IOMMU.
 */
static void show_hw_info(struct vmm *vmm)
{
	union hw_info_data *data = &vmm->hw_info;
	struct iommu_hw_info info = {
		.size = sizeof(info),
		.dev_id = vmm->dev_id,
		.data_len = sizeof(*data),
		.data_uptr = (__u64)(unsigned long)data,
	};

	step("Ask iommufd what the IOMMU can do (IOMMU_GET_HW_INFO)");
	if (!check_ioctl(ioctl(vmm->iommufd, IOMMU_GET_HW_INFO, &info),
			 "IOMMU_GET_HW_INFO"))
		return;
	say("   type %u, capabilities 0x%llx, PASID width %u bits\n",
	    info.out_data_type, (unsigned long long)info.out_capabilities,
	    info.out_max_pasid_log2);
	show_hw_info_data(info.out_data_type, data);
	vmm->capabilities = info.out_capabilities;
	vmm->hw_info_type = info.out_data_type;
	if (vmm->iommu)
		check(info.out_data_type == vmm->iommu->hw_info_type,
		      "the data type is the one this IOMMU's driver reports");
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

static void dma_after_unmap(struct vmm *vmm)
{
	unsigned int faults_before = 0, faults_after, wait_ms;
	const struct iommu_kind *kind = vmm->iommu;
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

	if (kind->fault.text) {
		wait_ms = fault_ratelimit_ms(&kind->fault);
		if (wait_ms) {
			say("   (a fault was logged just now: waiting %u ms out the rate limit)\n",
			    wait_ms);
			sleep_ms(wait_ms);
		}
		faults_before = fault_lines(&kind->fault, fault_line,
					    sizeof(fault_line), NULL);
	}
	say("   %s\n",
	    "the device writes its buffer to IOVA 0x200000 once more");
	check(edu_dma(&vmm->edu, EDU_BUFFER_ADDR, IOVA_DST, EDU_TRANSFER_BYTES,
		      true),
	      "edu finished the transfer (it cannot tell that the IOMMU dropped it)");
	check(!bytes_not(vmm->buffers.dst, EDU_VMM_BUFFER_BYTES, 0xee),
	      "the destination buffer is untouched: the DMA did not land");
	if (!kind->fault.text) {
		say("   %s drops a refused DMA silently: the data is the proof\n",
		    kind->title);
		return;
	}

	faults_after = fault_lines_wait(&kind->fault, faults_before,
					fault_line, sizeof(fault_line));
	snprintf(what, sizeof(what), "the kernel log shows a %s fault",
		 kind->title);
	if (check(faults_after > faults_before, what))
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

	step("Step 1: find the edu device (PCI 1234:11e8)");
	if (!check(edu_find(vmm->bdf, sizeof(vmm->bdf)),
		   "found edu on the PCI bus"))
		return false;
	say("   PCI address: %s\n", vmm->bdf);

	step("Step 2: hand the device to vfio-pci through sysfs; which IOMMU is it behind?");
	failed_step = vfio_pci_take(vmm->bdf);
	if (failed_step)
		return check(false, failed_step);
	check(true, "driver_override says vfio-pci, and vfio-pci took the device");
	say("   %s\n   %s\n",
	    "(asked only now: an IOMMU that firmware describes per device, like",
	    "virtio-iommu in ACPI's VIOT table, takes the device when a driver binds)");
	if (!show_iommu_of(vmm))
		return false;
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
	say("   attaching to an IOAS makes iommufd create (or reuse) a domain of the %s driver\n",
	    vmm->iommu->title);
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

/*
 * A VMM that migrates its guest asks for a HWPT that records the pages its
 * devices write; iommufd must give one exactly when it says the IOMMU can
 * (IOMMU_HW_CAP_DIRTY_TRACKING), and refuse with EOPNOTSUPP otherwise.
 */
static void ask_for_dirty_tracking(struct vmm *vmm)
{
	bool capable = vmm->capabilities & IOMMU_HW_CAP_DIRTY_TRACKING;
	__u32 hwpt_id;
	int rc;

	say("   IOMMU_GET_HW_INFO said the IOMMU %s track dirty pages\n",
	    capable ? "can" : "cannot");
	rc = iommufd_hwpt_alloc_flags(vmm->iommufd, vmm->dev_id, vmm->ioas_id,
				      IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				      &hwpt_id);
	if (!capable) {
		check_errno(rc, EOPNOTSUPP,
			    "IOMMU_HWPT_ALLOC with DIRTY_TRACKING is refused (EOPNOTSUPP)");
		return;
	}
	if (check_ioctl(rc, "IOMMU_HWPT_ALLOC with DIRTY_TRACKING"))
		check_ioctl(iommufd_destroy(vmm->iommufd, hwpt_id),
			    "IOMMU_DESTROY the dirty-tracking HWPT");
}

/*
 * A VMM that gives its guest a virtual IOMMU with page tables of its own
 * first asks for a nesting parent: a HWPT the guest's tables can be nested
 * in.  Given exactly when the registers say the hardware nests (and the
 * driver knows how), refused with EOPNOTSUPP otherwise.
 */
static void ask_for_nesting_parent(struct vmm *vmm)
{
	const struct iommu_kind *kind = vmm->iommu;
	bool capable = kind->can_nest &&
		       vmm->hw_info_type == kind->hw_info_type &&
		       kind->can_nest(&vmm->hw_info);
	__u32 hwpt_id;
	int rc;

	say("   its registers say the IOMMU %s nest a guest's page tables\n",
	    capable ? "can" : "cannot");
	rc = iommufd_hwpt_alloc_flags(vmm->iommufd, vmm->dev_id, vmm->ioas_id,
				      IOMMU_HWPT_ALLOC_NEST_PARENT, &hwpt_id);
	if (!capable) {
		check_errno(rc, EOPNOTSUPP,
			    "IOMMU_HWPT_ALLOC with NEST_PARENT is refused (EOPNOTSUPP)");
		return;
	}
	if (check_ioctl(rc, "IOMMU_HWPT_ALLOC with NEST_PARENT"))
		check_ioctl(iommufd_destroy(vmm->iommufd, hwpt_id),
			    "IOMMU_DESTROY the nesting parent");
}

static void replace_hwpt(struct vmm *vmm)
{
	__u32 pt_id;

	step("Step 8: allocate a HWPT of our own on the same IOAS and move the device to it");
	say("   first, what a VMM asks for before it offers migration or a vIOMMU:\n");
	ask_for_dirty_tracking(vmm);
	ask_for_nesting_parent(vmm);
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

/* --container[=vfio|=iommufd] */
static bool parse_container(struct vmm *vmm, const char *arg)
{
	vmm->path = PATH_CONTAINER;
	arg += strlen("--container");
	if (!*arg)
		return true;
	if (strcmp(arg, "=vfio") && strcmp(arg, "=iommufd"))
		return false;
	vmm->expected_server = arg + 1;
	return true;
}

/* One option: --group, --container[=...] or --iommu=<kind> */
static bool parse_arg(struct vmm *vmm, const char *arg)
{
	if (!strncmp(arg, "--iommu=", strlen("--iommu="))) {
		vmm->expected_iommu = iommu_kind_by_option(arg + strlen("--iommu="));
		return vmm->expected_iommu;
	}
	if (vmm->path != PATH_CDEV)
		return false;
	if (!strcmp(arg, "--group")) {
		vmm->path = PATH_GROUP;
		return true;
	}
	if (!strncmp(arg, "--container", strlen("--container")))
		return parse_container(vmm, arg);
	return false;
}

static bool parse_args(struct vmm *vmm, int argc, char **argv)
{
	int i;

	vmm->path = PATH_CDEV;
	for (i = 1; i < argc; i++)
		if (!parse_arg(vmm, argv[i]))
			return false;
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
		fprintf(stderr,
			"usage: %s [--group | --container[=vfio|=iommufd]] [--iommu=vtd|amd|virtio|smmuv3]\n",
			argv[0]);
		return 2;
	}
	say("DMA through iommufd with an IOMMU and QEMU's edu device%s\n",
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
