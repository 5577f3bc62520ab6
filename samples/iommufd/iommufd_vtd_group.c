// SPDX-License-Identifier: GPL-2.0-only
/*
 * Two devices of one IOMMU group through iommufd, the way a VMM assigns
 * them.
 *
 * Run in a guest with an Intel VT-d IOMMU and two of QEMU's edu devices
 * behind a conventional PCI bridge (machine q35-vtd-group).  The bridge
 * forwards their DMA under its own requester ID, so the IOMMU cannot tell
 * the two apart: they share one IOMMU group, and a group translates
 * through one domain.  A VMM opens each device's VFIO cdev and binds it to
 * its iommufd on its own (two device IDs), but must keep both on one HWPT.
 *
 * With real DMA through both devices the program shows that iommufd
 * - lets the group's DMA belong to one iommufd only;
 * - refuses to attach the second device to a HWPT other than the first's,
 *   and gives it the first's automatic HWPT when it asks for the IOAS;
 * - reserves VT-d's interrupt range in the IOAS when a device attaches,
 *   before the device can DMA: IOMMU_IOAS_IOVA_RANGES leaves it out and
 *   IOMMU_IOAS_MAP refuses it, and an IOAS that maps it already cannot
 *   take the group;
 * - moves the whole group when one device is moved to another HWPT;
 * - keeps the group attached until its last device detaches.
 * It exits 0 only if every check passes.
 */
#include "edu_vfio.h"
#include "vmm_report.h"

#define NR_DEVICES		2
/* edu devices looked at when searching for two in one group */
#define MAX_EDUS		8
/* IOVAs the VMM picks for its two buffers: below edu's 28-bit DMA mask */
#define IOVA_SRC		0x100000ULL
#define IOVA_DST		0x200000ULL
/*
 * VT-d's interrupt address range: a DMA write there is a message signalled
 * interrupt, never a memory access, so no IOVA may be mapped there.
 */
#define MSI_FIRST		0xfee00000ULL
#define MSI_LAST		0xfeefffffULL
#define MAX_RANGES		32

/* A device of the group, as the VMM holds it */
struct group_dev {
	const char *name;
	char bdf[256];
	int device_fd;
	__u32 dev_id;
	struct edu_dev edu;
};

struct vmm {
	struct group_dev devs[NR_DEVICES];
	int iommufd;
	__u32 ioas_id;
	__u32 auto_hwpt_id;
	__u32 hwpt_id;
	struct edu_buffers buffers;
	/* A new pattern for each round trip, so that no old copy can pass */
	unsigned int seed;
};

/* How the IOAS's usable IOVA meets the interrupt range */
struct msi_view {
	bool offered;	/* one usable range holds all of it */
	bool touched;	/* a usable range overlaps it */
	bool below;	/* a usable range ends right below it */
	bool above;	/* a usable range starts right above it */
};

/* ---- Finding two devices of one group -------------------------------------- */

/* Every device of IOMMU group @group, the bridge among them */
static void show_group_members(const char *group)
{
	struct dirent **entries;
	char path[128];
	int nr, i;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%s/devices",
		 group);
	nr = scandir(path, &entries, NULL, alphasort);
	if (nr < 0)
		return;
	say("   IOMMU group %s holds:", group);
	for (i = 0; i < nr; i++) {
		if (entries[i]->d_name[0] != '.')
			say(" %s", entries[i]->d_name);
		free(entries[i]);
	}
	free(entries);
	say("\n");
}

/* The first two of @nr edu devices that share a group, by index */
static bool pick_pair(char groups[][32], unsigned int nr, unsigned int *first,
		      unsigned int *second)
{
	for (*second = 1; *second < nr; (*second)++)
		for (*first = 0; *first < *second; (*first)++)
			if (strcmp(groups[*first], "none") &&
			    !strcmp(groups[*first], groups[*second]))
				return true;
	return false;
}

static bool find_devices(struct vmm *vmm)
{
	char bdf[256], groups[MAX_EDUS][32], unit[64] = "none";
	unsigned int nr, first = 0, second = 0;

	step("Step 1: find two edu devices (PCI 1234:11e8) that share an IOMMU group");
	for (nr = 0; nr < MAX_EDUS && edu_find_nth(nr, bdf, sizeof(bdf));
	     nr++) {
		if (!pci_iommu_group(bdf, groups[nr], sizeof(groups[nr])))
			snprintf(groups[nr], sizeof(groups[nr]), "none");
		say("   edu at %s, IOMMU group %s\n", bdf, groups[nr]);
	}
	if (!check(pick_pair(groups, nr, &first, &second) &&
		   edu_find_nth(first, vmm->devs[0].bdf,
				sizeof(vmm->devs[0].bdf)) &&
		   edu_find_nth(second, vmm->devs[1].bdf,
				sizeof(vmm->devs[1].bdf)),
		   "two edu devices are in one IOMMU group"))
		return false;
	say("   device A: %s, device B: %s\n", vmm->devs[0].bdf,
	    vmm->devs[1].bdf);
	show_group_members(groups[first]);
	say("   %s\n   %s\n",
	    "the IOMMU cannot tell A's DMA from B's (here a PCI bridge forwards both",
	    "under its own requester ID): the group translates through one domain");

	pci_iommu_unit(vmm->devs[0].bdf, unit, sizeof(unit));
	say("   IOMMU: %s\n", unit);
	return check(!strncmp(unit, "dmar", 4),
		     "that IOMMU is an Intel VT-d unit (dmarN)");
}

static bool take_devices(struct vmm *vmm)
{
	char what[128];
	int i;

	step("Step 2: hand both devices to vfio-pci through sysfs");
	say("   the bridge keeps no driver: no kernel driver may use the group's DMA\n");
	for (i = 0; i < NR_DEVICES; i++) {
		snprintf(what, sizeof(what),
			 "device %s: driver_override says vfio-pci, and vfio-pci took it",
			 vmm->devs[i].name);
		if (!check_steps(vfio_pci_take(vmm->devs[i].bdf), what))
			return false;
	}
	return true;
}

/* ---- Binding each device ---------------------------------------------------- */

static bool open_cdevs(struct vmm *vmm)
{
	char node[1024], what[128];
	int i;

	for (i = 0; i < NR_DEVICES; i++) {
		struct group_dev *dev = &vmm->devs[i];

		dev->device_fd = vfio_cdev_open(dev->bdf, node, sizeof(node));
		snprintf(what, sizeof(what), "opened device %s's VFIO cdev",
			 dev->name);
		if (!check(dev->device_fd >= 0, what))
			return false;
		say("   %s\n", node);
	}
	vmm->iommufd = open("/dev/iommu", O_RDWR);
	return check(vmm->iommufd >= 0, "opened /dev/iommu");
}

static bool bind_device(struct vmm *vmm, struct group_dev *dev)
{
	char what[128];

	snprintf(what, sizeof(what),
		 "VFIO_DEVICE_BIND_IOMMUFD: device %s joins the iommufd",
		 dev->name);
	if (!check_ioctl(vfio_bind_iommufd(dev->device_fd, vmm->iommufd,
					   &dev->dev_id), what))
		return false;
	say("   device %s's ID in iommufd: %u\n", dev->name, dev->dev_id);
	return true;
}

/* B's binding to another iommufd, while A's is in place */
static void bind_elsewhere(struct vmm *vmm)
{
	int other_iommufd = open("/dev/iommu", O_RDWR);
	__u32 dev_id;

	if (!check(other_iommufd >= 0, "opened /dev/iommu a second time"))
		return;
	check_errno(vfio_bind_iommufd(vmm->devs[1].device_fd, other_iommufd,
				      &dev_id),
		    EPERM,
		    "binding B to that second iommufd is refused (EPERM): A's binding made the first one own the group's DMA");
	close(other_iommufd);
}

static bool bind_devices(struct vmm *vmm)
{
	step("Step 3: open both VFIO cdevs and one /dev/iommu; bind each device");
	if (!open_cdevs(vmm) || !bind_device(vmm, &vmm->devs[0]))
		return false;
	bind_elsewhere(vmm);
	if (!bind_device(vmm, &vmm->devs[1]))
		return false;
	return check(vmm->devs[0].dev_id != vmm->devs[1].dev_id,
		     "each device has an ID of its own, though they share a group");
}

/* ---- The address space ------------------------------------------------------ */

/* The IOAS's usable IOVA, shown, and how it meets the interrupt range */
static bool view_msi_range(struct vmm *vmm, struct msi_view *view)
{
	struct iommu_iova_range ranges[MAX_RANGES];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = vmm->ioas_id,
		.num_iovas = MAX_RANGES,
		.allowed_iovas = (__u64)(unsigned long)ranges,
	};
	unsigned int i;

	*view = (struct msi_view) {};
	if (!check_ioctl(ioctl(vmm->iommufd, IOMMU_IOAS_IOVA_RANGES, &cmd),
			 "IOMMU_IOAS_IOVA_RANGES: the IOVA the VMM may map"))
		return false;
	say("   usable:");
	for (i = 0; i < cmd.num_iovas; i++) {
		say(" 0x%llx-0x%llx", (unsigned long long)ranges[i].start,
		    (unsigned long long)ranges[i].last);
		view->offered |= ranges[i].start <= MSI_FIRST &&
				 ranges[i].last >= MSI_LAST;
		view->touched |= ranges[i].start <= MSI_LAST &&
				 ranges[i].last >= MSI_FIRST;
		view->below |= ranges[i].last == MSI_FIRST - 1;
		view->above |= ranges[i].start == MSI_LAST + 1;
	}
	say("\n");
	return true;
}

static bool setup_ioas(struct vmm *vmm)
{
	struct msi_view view;

	step("Step 4: create an I/O address space and map two buffers into it");
	if (!check_ioctl(iommufd_ioas_alloc(vmm->iommufd, &vmm->ioas_id),
			 "IOMMU_IOAS_ALLOC"))
		return false;
	say("   IOAS ID: %u\n", vmm->ioas_id);
	if (!check(edu_buffers_alloc(&vmm->buffers, IOVA_SRC, IOVA_DST),
		   "allocated two 4 KiB buffers"))
		return false;
	if (!check_ioctl(iommufd_map_fixed(vmm->iommufd, vmm->ioas_id,
					   vmm->buffers.src,
					   EDU_VMM_BUFFER_BYTES, IOVA_SRC),
			 "IOMMU_IOAS_MAP source buffer at IOVA 0x100000") ||
	    !check_ioctl(iommufd_map_fixed(vmm->iommufd, vmm->ioas_id,
					   vmm->buffers.dst,
					   EDU_VMM_BUFFER_BYTES, IOVA_DST),
			 "IOMMU_IOAS_MAP destination buffer at IOVA 0x200000"))
		return false;
	if (!view_msi_range(vmm, &view))
		return false;
	return check(view.offered,
		     "the interrupt range 0xfee00000-0xfeefffff is still offered: no device is attached");
}

/* ---- Attaching the group ---------------------------------------------------- */

static bool attach_first(struct vmm *vmm)
{
	struct group_dev *dev = &vmm->devs[0];
	__u32 pt_id = vmm->ioas_id;
	struct msi_view view;

	step("Step 5: attach device A to the IOAS");
	say("   %s\n   %s\n",
	    "before A's DMA can reach the domain, iommufd reserves in the IOAS the IOVA",
	    "that VT-d keeps for itself: its interrupt range, where a DMA write is an MSI");
	if (!check_ioctl(vfio_attach_pt(dev->device_fd, &pt_id),
			 "VFIO_DEVICE_ATTACH_IOMMUFD_PT: A to the IOAS"))
		return false;
	vmm->auto_hwpt_id = pt_id;
	say("   A translates through automatic HWPT %u, a VT-d domain made for it\n",
	    pt_id);
	if (!check(pt_id != vmm->ioas_id,
		   "the kernel reported the HWPT it made"))
		return false;
	if (!view_msi_range(vmm, &view))
		return false;
	check(!view.touched && view.below && view.above,
	      "exactly 0xfee00000-0xfeefffff is no longer offered");
	return check_errno(iommufd_map_fixed(vmm->iommufd, vmm->ioas_id,
					     vmm->buffers.src,
					     EDU_VMM_BUFFER_BYTES, MSI_FIRST),
			   EINVAL,
			   "IOMMU_IOAS_MAP at IOVA 0xfee00000 is refused (EINVAL: reserved IOVA)");
}

static bool attach_second(struct vmm *vmm)
{
	struct group_dev *dev = &vmm->devs[1];
	__u32 pt_id;

	step("Step 6: attach device B: one group, one domain");
	if (!check_ioctl(iommufd_hwpt_alloc(vmm->iommufd, dev->dev_id,
					    vmm->ioas_id, &vmm->hwpt_id),
			 "IOMMU_HWPT_ALLOC: a second paging HWPT of the same IOAS, for B"))
		return false;
	say("   HWPT ID: %u; it mirrors every mapping of IOAS %u\n",
	    vmm->hwpt_id, vmm->ioas_id);
	pt_id = vmm->hwpt_id;
	check_errno(vfio_attach_pt(dev->device_fd, &pt_id), EINVAL,
		    "attaching B to that HWPT is refused (EINVAL): B's group is on A's domain");
	pt_id = vmm->ioas_id;
	if (!check_ioctl(vfio_attach_pt(dev->device_fd, &pt_id),
			 "VFIO_DEVICE_ATTACH_IOMMUFD_PT: B to the IOAS"))
		return false;
	say("   B translates through HWPT %u\n", pt_id);
	return check(pt_id == vmm->auto_hwpt_id,
		     "B got A's automatic HWPT, the one its group is on");
}

/* ---- DMA ---------------------------------------------------------------- */

static bool open_edus(struct vmm *vmm)
{
	char what[160];
	__u32 id = 0;
	int i;

	step("Step 7: map both devices' BAR0, let them master the bus, DMA through each");
	for (i = 0; i < NR_DEVICES; i++) {
		struct group_dev *dev = &vmm->devs[i];

		snprintf(what, sizeof(what),
			 "device %s: BAR0 mmapped, bus mastering on, edu answers",
			 dev->name);
		if (!check_steps(edu_open(&dev->edu, dev->device_fd, &id),
				 what))
			return false;
		say("   device %s: edu ID register 0x%08x\n", dev->name, id);
	}
	return true;
}

/* One round trip through @dev: IOVA 0x100000 -> edu -> IOVA 0x200000 */
static bool dma_through(struct vmm *vmm, struct group_dev *dev)
{
	struct edu_round_trip seen;
	char what[160];

	edu_round_trip(&dev->edu, &vmm->buffers, ++vmm->seed, &seen);
	if (!seen.read_done || !seen.write_done)
		snprintf(what, sizeof(what),
			 "device %s: edu's DMA engine did not finish its %s",
			 dev->name, seen.read_done ? "write" : "read");
	else
		snprintf(what, sizeof(what),
			 "device %s: %u of %d bytes differ, %u written past them (pattern %u, IOVA 0x100000 -> edu -> IOVA 0x200000)",
			 dev->name, seen.differ, EDU_TRANSFER_BYTES,
			 seen.spilled, vmm->seed);
	return check(seen.read_done && seen.write_done && !seen.differ &&
		     !seen.spilled, what);
}

static bool dma_through_both(struct vmm *vmm)
{
	bool first = dma_through(vmm, &vmm->devs[0]);

	return dma_through(vmm, &vmm->devs[1]) && first;
}

/*
 * Whether the IOMMU kept a write of @dev to the destination buffer out:
 * edu's DMA engine does not report a write the IOMMU refused, so the
 * buffer is filled with 0xee, which the device's copy of a pattern is not.
 */
static bool write_kept_out(struct vmm *vmm, struct group_dev *dev)
{
	memset(vmm->buffers.dst, 0xee, EDU_VMM_BUFFER_BYTES);
	return edu_dma(&dev->edu, EDU_BUFFER_ADDR, IOVA_DST,
		       EDU_TRANSFER_BYTES, true) &&
	       !bytes_not(vmm->buffers.dst, EDU_VMM_BUFFER_BYTES, 0xee);
}

/* ---- Moving the group ------------------------------------------------------- */

static bool replace_group(struct vmm *vmm)
{
	__u32 pt_id = vmm->hwpt_id;

	step("Step 8: move device A to the HWPT of step 6 (a replace); B must move along");
	if (!check_ioctl(vfio_attach_pt(vmm->devs[0].device_fd, &pt_id),
			 "VFIO_DEVICE_ATTACH_IOMMUFD_PT: A, attached already, to that HWPT"))
		return false;
	check(pt_id == vmm->hwpt_id, "A is on the new HWPT");
	say("   the IOMMU switches the group's domain in one step, so B's DMA moves too\n");
	check_errno(iommufd_destroy(vmm->iommufd, vmm->auto_hwpt_id), ENOENT,
		    "the automatic HWPT is gone (ENOENT): neither A nor B is on it");
	check_errno(iommufd_destroy(vmm->iommufd, vmm->hwpt_id), EBUSY,
		    "the new HWPT cannot be destroyed while the group is on it (EBUSY)");
	say("   the same copies again, now through the new HWPT:\n");
	return dma_through_both(vmm);
}

/*
 * A second IOAS that maps the interrupt range already, with a HWPT: the
 * group cannot move there, because the range could no longer be reserved.
 */
static void replace_into_collision(struct vmm *vmm)
{
	__u32 other_ioas_id, other_hwpt_id, pt_id;

	step("Step 9: an IOAS that maps the interrupt range cannot take the group");
	if (!check_ioctl(iommufd_ioas_alloc(vmm->iommufd, &other_ioas_id),
			 "IOMMU_IOAS_ALLOC: a second IOAS"))
		return;
	if (!check_ioctl(iommufd_map_fixed(vmm->iommufd, other_ioas_id,
					   vmm->buffers.src,
					   EDU_VMM_BUFFER_BYTES, MSI_FIRST),
			 "IOMMU_IOAS_MAP at IOVA 0xfee00000 there: no device reserves it yet"))
		goto out_ioas;
	if (!check_ioctl(iommufd_hwpt_alloc(vmm->iommufd, vmm->devs[0].dev_id,
					    other_ioas_id, &other_hwpt_id),
			 "IOMMU_HWPT_ALLOC: a HWPT of the second IOAS"))
		goto out_ioas;
	pt_id = other_hwpt_id;
	check_errno(vfio_attach_pt(vmm->devs[0].device_fd, &pt_id), EADDRINUSE,
		    "moving A there is refused (EADDRINUSE): the range the group needs reserved is mapped");
	check_errno(iommufd_destroy(vmm->iommufd, vmm->hwpt_id), EBUSY,
		    "the group stayed on its HWPT, which is still busy (EBUSY)");
	dma_through_both(vmm);
	check_ioctl(iommufd_destroy(vmm->iommufd, other_hwpt_id),
		    "IOMMU_DESTROY the second IOAS's HWPT: nothing used it");
out_ioas:
	check_ioctl(iommufd_destroy(vmm->iommufd, other_ioas_id),
		    "IOMMU_DESTROY the second IOAS");
}

/* ---- Detaching one device after the other ---------------------------------- */

static void detach_first(struct vmm *vmm)
{
	struct msi_view view;

	step("Step 10: detach device A; B stays attached");
	check_ioctl(vfio_detach_pt(vmm->devs[0].device_fd),
		    "VFIO_DEVICE_DETACH_IOMMUFD_PT: A");
	check_ioctl(vfio_detach_pt(vmm->devs[0].device_fd),
		    "detaching A again returns 0 and does nothing: VFIO knows A is detached");
	check_errno(iommufd_destroy(vmm->iommufd, vmm->hwpt_id), EBUSY,
		    "the HWPT is still busy (EBUSY): B is on it");
	if (view_msi_range(vmm, &view))
		check(!view.touched,
		      "the interrupt range stays reserved: B's IOMMU needs it");
	dma_through(vmm, &vmm->devs[1]);
	say("   %s\n   %s\n   %s\n",
	    "A's DMA cannot be blocked while B's is translated: the IOMMU cannot tell",
	    "them apart, so the group stays on the HWPT until its last device leaves,",
	    "and A's copy still works:");
	dma_through(vmm, &vmm->devs[0]);
}

static void detach_last(struct vmm *vmm)
{
	struct msi_view view;

	step("Step 11: detach device B, the group's last; its DMA is blocked again");
	check_ioctl(vfio_detach_pt(vmm->devs[1].device_fd),
		    "VFIO_DEVICE_DETACH_IOMMUFD_PT: B");
	check(write_kept_out(vmm, &vmm->devs[1]),
	      "B's write to IOVA 0x200000 does not land: the group's DMA is blocked");
	check_ioctl(iommufd_destroy(vmm->iommufd, vmm->hwpt_id),
		    "IOMMU_DESTROY of the HWPT: no device is on it any more");
	if (view_msi_range(vmm, &view))
		check(view.offered,
		      "the interrupt range is offered again: no device reserves it");
	check_ioctl(vfio_detach_pt(vmm->devs[1].device_fd),
		    "detaching B again returns 0 and does nothing");
}

/* ---- The program ------------------------------------------------------------ */

static void teardown(struct vmm *vmm)
{
	char driver[64], what[128];
	int i;

	step("Step 12: give everything back");
	for (i = 0; i < NR_DEVICES; i++) {
		edu_close(&vmm->devs[i].edu);
		if (vmm->devs[i].device_fd >= 0)
			close(vmm->devs[i].device_fd);
	}
	if (vmm->iommufd >= 0)
		close(vmm->iommufd);
	say("   closed both VFIO cdevs (each unbinds its device) and /dev/iommu\n");
	for (i = 0; i < NR_DEVICES; i++) {
		if (!vmm->devs[i].bdf[0])
			continue;
		vfio_pci_release(vmm->devs[i].bdf);
		snprintf(what, sizeof(what),
			 "device %s is free of vfio-pci again", vmm->devs[i].name);
		check(!pci_link_name(vmm->devs[i].bdf, "driver", driver,
				     sizeof(driver)), what);
	}
}

int main(int argc, char **argv)
{
	struct vmm vmm = {
		.devs = {
			{ .name = "A", .device_fd = -1 },
			{ .name = "B", .device_fd = -1 },
		},
		.iommufd = -1,
	};

	if (argc > 1) {
		fprintf(stderr, "usage: %s\n", argv[0]);
		return 2;
	}
	say("One IOMMU group, two edu devices: each bound to iommufd, on Intel VT-d\n");
	if (find_devices(&vmm) && take_devices(&vmm) && bind_devices(&vmm) &&
	    setup_ioas(&vmm) && attach_first(&vmm) && attach_second(&vmm) &&
	    open_edus(&vmm) && dma_through_both(&vmm) &&
	    replace_group(&vmm)) {
		replace_into_collision(&vmm);
		detach_first(&vmm);
		detach_last(&vmm);
	}
	teardown(&vmm);
	return report_result();
}
