// SPDX-License-Identifier: GPL-2.0-only
/*
 * PASID attach through VFIO's device cdev, on emulated VT-d.
 *
 * A VMM that wants to give a guest's PASIDs their own address spaces
 * allocates HWPTs with IOMMU_HWPT_ALLOC_PASID and attaches them with
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT and the VFIO_DEVICE_ATTACH_PASID flag.
 * This program walks that path with QEMU's edu device (1234:11e8) behind a
 * VT-d IOMMU in scalable mode, the mode whose PASID tables can hold a
 * domain per PASID.  edu has no PASID capability, so IOMMU_GET_HW_INFO
 * must report a PASID width of 0 and every PASID attach must be refused,
 * with the errno the kernel picks for a PASID beyond the device's width
 * (EINVAL); detaching a PASID that is not attached does nothing.  The
 * uAPI's size and flag rules are checked on the way.  Meanwhile the RID
 * sits on the PASID-capable HWPT and real DMA through it must keep working,
 * before and after the refused PASID calls.  It exits 0 only if every
 * check passes.
 */
#include "edu_vfio.h"
#include "vmm_report.h"

#define IOVA_SRC		0x100000ULL
#define IOVA_DST		0x200000ULL

/* The PASID the program asks for: any non-zero one would do */
#define VMM_PASID		1

/* The sizes of the two structs before they grew @pasid */
#define ATTACH_SIZE_V1		12
#define DETACH_SIZE_V1		8

/* VT-d extended capability bits (VT-d spec, 11.4.3) */
#define VTD_ECAP_PASID_SHIFT	40
#define VTD_ECAP_SMTS_SHIFT	43

static bool ecap_has(__u64 ecap, unsigned int shift)
{
	return (ecap >> shift) & 1;
}

struct vmm {
	char bdf[256];
	int iommufd;
	int device_fd;
	__u32 dev_id;
	__u32 ioas_id;
	__u32 pasid_hwpt_id;	/* paging, IOMMU_HWPT_ALLOC_PASID */
	__u32 pasid_hwpt2_id;	/* a second one, to replace with */
	bool rid_attached;
	struct edu_dev edu;
	struct edu_buffers buffers;
};

/* ---- The calls this program is about -------------------------------------- */

/* A paging HWPT of @ioas_id for @dev_id, allocated with @flags */
static int hwpt_alloc_flags(struct vmm *vmm, __u32 flags, __u32 *hwpt_id)
{
	struct iommu_hwpt_alloc alloc = {
		.size = sizeof(alloc),
		.flags = flags,
		.dev_id = vmm->dev_id,
		.pt_id = vmm->ioas_id,
		.data_type = IOMMU_HWPT_DATA_NONE,
	};
	int rc = ioctl(vmm->iommufd, IOMMU_HWPT_ALLOC, &alloc);

	*hwpt_id = alloc.out_hwpt_id;
	return rc;
}

/*
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT with @flags, PASID @pasid and @argsz (0:
 * the whole struct); attaching an attached PASID again is a replace.
 */
static int attach_pt_raw(struct vmm *vmm, __u32 argsz, __u32 flags,
			 __u32 pasid, __u32 *pt_id)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = argsz ? argsz : sizeof(attach),
		.flags = flags,
		.pt_id = *pt_id,
		.pasid = pasid,
	};
	int rc = ioctl(vmm->device_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);

	*pt_id = attach.pt_id;
	return rc;
}

static int detach_pt_raw(struct vmm *vmm, __u32 argsz, __u32 flags,
			 __u32 pasid)
{
	struct vfio_device_detach_iommufd_pt detach = {
		.argsz = argsz ? argsz : sizeof(detach),
		.flags = flags,
		.pasid = pasid,
	};

	return ioctl(vmm->device_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);
}

static int attach_pasid(struct vmm *vmm, __u32 pasid, __u32 hwpt_id)
{
	return attach_pt_raw(vmm, 0, VFIO_DEVICE_ATTACH_PASID, pasid,
			     &hwpt_id);
}

static int detach_pasid(struct vmm *vmm, __u32 pasid)
{
	return detach_pt_raw(vmm, 0, VFIO_DEVICE_DETACH_PASID, pasid);
}

/* ---- Steps ------------------------------------------------------------------ */

static bool setup_device(struct vmm *vmm)
{
	const char *failed_step;
	char node[1024];

	step("Step 1: find edu, hand it to vfio-pci, bind its cdev to /dev/iommu");
	if (!check(edu_find(vmm->bdf, sizeof(vmm->bdf)),
		   "found edu on the PCI bus"))
		return false;
	say("   PCI address: %s\n", vmm->bdf);
	failed_step = vfio_pci_take(vmm->bdf);
	if (failed_step)
		return check(false, failed_step);
	check(true, "vfio-pci took the device");
	vmm->device_fd = vfio_cdev_open(vmm->bdf, node, sizeof(node));
	if (!check(vmm->device_fd >= 0, "opened the VFIO device cdev"))
		return false;
	vmm->iommufd = open("/dev/iommu", O_RDWR);
	if (!check(vmm->iommufd >= 0, "opened /dev/iommu"))
		return false;
	return check_ioctl(vfio_bind_iommufd(vmm->device_fd, vmm->iommufd,
					     &vmm->dev_id),
			   "VFIO_DEVICE_BIND_IOMMUFD");
}

/* What the IOMMU offers for PASIDs, and what the device does */
static void show_pasid_support(struct vmm *vmm)
{
	struct iommu_hw_info_vtd vtd = {};
	struct iommu_hw_info info = {
		.size = sizeof(info),
		.dev_id = vmm->dev_id,
		.data_len = sizeof(vtd),
		.data_uptr = (__u64)(unsigned long)&vtd,
	};

	step("Step 2: IOMMU_GET_HW_INFO: the IOMMU's PASID support and the device's PASID width");
	if (!check_ioctl(ioctl(vmm->iommufd, IOMMU_GET_HW_INFO, &info),
			 "IOMMU_GET_HW_INFO"))
		return;
	check(info.out_data_type == IOMMU_HW_INFO_TYPE_INTEL_VTD,
	      "an Intel VT-d IOMMU");
	say("   VT-d ecap 0x%016llx: scalable mode %s, PASID %s\n",
	    (unsigned long long)vtd.ecap_reg,
	    ecap_has(vtd.ecap_reg, VTD_ECAP_SMTS_SHIFT) ? "yes" : "no",
	    ecap_has(vtd.ecap_reg, VTD_ECAP_PASID_SHIFT) ? "yes" : "no");
	check(ecap_has(vtd.ecap_reg, VTD_ECAP_SMTS_SHIFT),
	      "the IOMMU offers scalable mode (PASID tables per device)");
	check(ecap_has(vtd.ecap_reg, VTD_ECAP_PASID_SHIFT),
	      "the IOMMU offers PASID-tagged translation");
	say("   out_max_pasid_log2 = %u, out_capabilities = 0x%llx\n",
	    info.out_max_pasid_log2,
	    (unsigned long long)info.out_capabilities);
	check(info.out_max_pasid_log2 == 0,
	      "edu has no PASID capability: its PASID width is 0");
}

static bool setup_address_space(struct vmm *vmm)
{
	step("Step 3: an IOAS with two buffers, and two HWPTs made with IOMMU_HWPT_ALLOC_PASID");
	if (!check(edu_buffers_alloc(&vmm->buffers, IOVA_SRC, IOVA_DST),
		   "allocated two 4 KiB buffers"))
		return false;
	if (!check_ioctl(iommufd_ioas_alloc(vmm->iommufd, &vmm->ioas_id),
			 "IOMMU_IOAS_ALLOC") ||
	    !check_ioctl(iommufd_map_fixed(vmm->iommufd, vmm->ioas_id,
					   vmm->buffers.src,
					   EDU_VMM_BUFFER_BYTES, IOVA_SRC),
			 "IOMMU_IOAS_MAP source buffer at IOVA 0x100000") ||
	    !check_ioctl(iommufd_map_fixed(vmm->iommufd, vmm->ioas_id,
					   vmm->buffers.dst,
					   EDU_VMM_BUFFER_BYTES, IOVA_DST),
			 "IOMMU_IOAS_MAP destination buffer at IOVA 0x200000"))
		return false;
	say("   the VT-d driver must accept the flag: a PASID can only go on such a HWPT\n");
	if (!check_ioctl(hwpt_alloc_flags(vmm, IOMMU_HWPT_ALLOC_PASID,
					  &vmm->pasid_hwpt_id),
			 "IOMMU_HWPT_ALLOC with IOMMU_HWPT_ALLOC_PASID"))
		return false;
	if (!check_ioctl(hwpt_alloc_flags(vmm, IOMMU_HWPT_ALLOC_PASID,
					  &vmm->pasid_hwpt2_id),
			 "a second one, to try a PASID replace with"))
		return false;
	say("   HWPT IDs: %u and %u\n", vmm->pasid_hwpt_id, vmm->pasid_hwpt2_id);
	return true;
}

static void dma_round_trip(struct vmm *vmm, unsigned int seed,
			   const char *what)
{
	struct edu_round_trip seen;

	edu_round_trip(&vmm->edu, &vmm->buffers, seed, &seen);
	check(seen.read_done && seen.write_done && !seen.differ &&
	      !seen.spilled, what);
	if (seen.differ)
		say("   %u of %d bytes differ\n", seen.differ,
		    EDU_TRANSFER_BYTES);
}

static bool attach_rid(struct vmm *vmm)
{
	__u32 pt_id = vmm->pasid_hwpt_id;
	const char *failed;
	__u32 id = 0;

	step("Step 4: the RID on the PASID-capable HWPT, and DMA through it");
	say("   edu's DMA carries no PASID: the RID's HWPT translates all of it\n");
	if (!check_ioctl(vfio_attach_pt(vmm->device_fd, &pt_id),
			 "VFIO_DEVICE_ATTACH_IOMMUFD_PT (RID) to the first HWPT"))
		return false;
	vmm->rid_attached = true;
	check(pt_id == vmm->pasid_hwpt_id, "the RID is on that HWPT");
	failed = edu_open(&vmm->edu, vmm->device_fd, &id);
	if (!check_steps(failed, "BAR0 mapped, edu answers, bus mastering on"))
		return false;
	dma_round_trip(vmm, 1,
		       "edu DMA through the RID's PASID-capable HWPT: every byte arrived");
	return true;
}

static void try_pasids(struct vmm *vmm)
{
	__u32 pt_id;
	int rc, err;

	step("Step 5: attach, replace and detach PASID 1 with the PASID flags");
	say("   iommufd decides: a PASID beyond the device's width (0 for edu) is EINVAL\n");
	rc = attach_pasid(vmm, VMM_PASID, vmm->pasid_hwpt_id);
	err = rc ? errno : 0;
	say("   the kernel answered: %s (errno %d)\n",
	    rc ? strerror(err) : "success", err);
	errno = err;
	check_errno(rc, EINVAL,
		    "VFIO_DEVICE_ATTACH_PASID, PASID 1 -> first HWPT: refused with EINVAL");
	say("   a second attach of the PASID would be a replace if the first had worked\n");
	check_errno(attach_pasid(vmm, VMM_PASID, vmm->pasid_hwpt2_id), EINVAL,
		    "VFIO_DEVICE_ATTACH_PASID, PASID 1 -> second HWPT: refused with EINVAL");
	check_ioctl(detach_pasid(vmm, VMM_PASID),
		    "VFIO_DEVICE_DETACH_PASID, PASID 1: nothing attached, nothing to do (0)");

	step("Step 6: the uAPI's rules for the extended structs");
	check_errno(attach_pasid(vmm, 0, vmm->pasid_hwpt_id), EINVAL,
		    "ATTACH_PASID of PASID 0 (IOMMU_NO_PASID, the RID's): EINVAL");
	pt_id = vmm->pasid_hwpt_id;
	check_errno(attach_pt_raw(vmm, 0, 1U << 1, VMM_PASID, &pt_id), EINVAL,
		    "an unknown attach flag: EINVAL");
	pt_id = vmm->pasid_hwpt_id;
	check_errno(attach_pt_raw(vmm, ATTACH_SIZE_V1,
				  VFIO_DEVICE_ATTACH_PASID, VMM_PASID, &pt_id),
		    EINVAL,
		    "ATTACH_PASID with an argsz that ends before @pasid: EINVAL");
	check_errno(detach_pt_raw(vmm, 0, 1U << 1, VMM_PASID), EINVAL,
		    "an unknown detach flag: EINVAL");
	check_errno(detach_pt_raw(vmm, DETACH_SIZE_V1,
				  VFIO_DEVICE_DETACH_PASID, VMM_PASID),
		    EINVAL,
		    "DETACH_PASID with an argsz that ends before @pasid: EINVAL");
	pt_id = vmm->pasid_hwpt_id;
	check_ioctl(attach_pt_raw(vmm, ATTACH_SIZE_V1, 0, 0, &pt_id),
		    "the RID attach with the old 12-byte struct still works (a replace onto the same HWPT)");
	check(pt_id == vmm->pasid_hwpt_id, "the RID is still on the first HWPT");
	if (check_ioctl(iommufd_destroy(vmm->iommufd, vmm->pasid_hwpt2_id),
			"IOMMU_DESTROY the second HWPT: no PASID is left on it"))
		vmm->pasid_hwpt2_id = 0;

	step("Step 7: the refused PASID calls left the RID's DMA alone");
	dma_round_trip(vmm, 2,
		       "edu DMA through the RID's HWPT again: every byte arrived");
}

static void teardown(struct vmm *vmm)
{
	step("Step 8: tear down");
	if (vmm->rid_attached)
		check_ioctl(vfio_detach_pt(vmm->device_fd),
			    "VFIO_DEVICE_DETACH_IOMMUFD_PT (RID)");
	if (vmm->pasid_hwpt_id)
		check_ioctl(iommufd_destroy(vmm->iommufd, vmm->pasid_hwpt_id),
			    "IOMMU_DESTROY the first HWPT");
	if (vmm->pasid_hwpt2_id)
		iommufd_destroy(vmm->iommufd, vmm->pasid_hwpt2_id);
	edu_close(&vmm->edu);
	if (vmm->device_fd >= 0)
		close(vmm->device_fd);
	if (vmm->iommufd >= 0)
		close(vmm->iommufd);
	if (vmm->bdf[0])
		vfio_pci_release(vmm->bdf);
}

int main(void)
{
	struct vmm vmm = { .iommufd = -1, .device_fd = -1 };

	say("PASID attach through VFIO's cdev, with VT-d in scalable mode and QEMU's edu device\n");
	if (setup_device(&vmm)) {
		show_pasid_support(&vmm);
		if (setup_address_space(&vmm) && attach_rid(&vmm))
			try_pasids(&vmm);
	}
	teardown(&vmm);
	return report_result();
}
