// SPDX-License-Identifier: GPL-2.0-only
/*
 * Peer-to-peer DMA through iommufd: one device writes into another's BAR.
 *
 * Run in a guest with Intel VT-d and two of QEMU's edu devices in IOMMU
 * groups of their own (machine q35-vtd-p2p).  A VMM that passes both to
 * its guest maps each device's MMIO into the address space of the other,
 * so that the guest's drivers can let them talk directly.  Here VFIO
 * exports device B's BAR0 as a dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF) and
 * iommufd maps it into device A's IOAS (IOMMU_IOAS_MAP_FILE); A's DMA
 * engine then writes to B's liveness register, which answers with the
 * inverse of what was written.
 *
 * That mapping is B's MMIO, which is there only while B decodes memory:
 * when the VMM's guest turns B's memory decode off (PCI_COMMAND, through
 * the VFIO config region), the mapping leaves the IOMMU before the write
 * returns, and VT-d refuses A's DMA and logs a fault; when decode is on
 * again, the mapping is back by itself.  When B's device file is closed,
 * the mapping is gone for good.  Before that, the program checks what VFIO
 * refuses to export and iommufd refuses to map, each with its errno.
 *
 * Last, a program written for VFIO's type1 container maps B's mmapped BAR
 * with VFIO_IOMMU_MAP_DMA: VFIO's own container and iommufd's
 * (CONFIG_IOMMUFD_VFIO_CONTAINER) both carry A's write to B; only iommufd
 * can take the mapping away when B's decode goes off, and only there is
 * that checked.
 *
 * It exits 0 only if every check passes.  edu_vfio.h describes edu: every
 * IOVA here is below its 28-bit DMA mask, and a transfer is 4 bytes.
 */
#include <linux/udmabuf.h>
#include <sys/wait.h>

#include "edu_vfio.h"
#include "vmm_report.h"

#define PAGE_BYTES		4096ULL
/* The VMM's page that A's DMA engine reads the values it writes from */
#define IOVA_STAGING		0x100000ULL
/* Where B's BAR0 appears in A's address space */
#define IOVA_PEER		0x4000000ULL
/* Where the mappings that must be refused are tried */
#define IOVA_SPARE		0x8000000ULL
/* An open flag no kernel knows */
#define OPEN_FLAG_UNKNOWN	0x80000000U

/* What VT-d's driver logs for a refused DMA */
static const struct fault_marks vtd_fault = {
	.text = "DMAR", .also = "fault addr",
};

/* A device the VMM passes through */
struct peer {
	const char *name;
	char bdf[256];
	char group_name[32];
	int group_fd;
	int device_fd;
	__u32 dev_id;
	struct edu_dev edu;
};

struct vmm {
	struct peer a;		/* the device that writes */
	struct peer b;		/* the device whose BAR0 is written */
	int iommufd;
	__u32 ioas_id;
	int container_fd;
	__u8 *staging;
	int dmabuf_fd;
	/* B's BAR0 as sysfs maps it (resource0): MMIO that is not VFIO's */
	int resource_fd;
	struct edu_dev b_sysfs;
};

/* ---- Finding the devices and handing them to vfio-pci --------------------- */

/*
 * Map @length bytes of file @fd (a memfd, or a dma-buf) from byte @start
 * on, readable and writeable, at exactly @iova.  Not in edu_vfio.h:
 * the benchmark builds that against stock 6.12's uAPI, which lacks
 * IOMMU_IOAS_MAP_FILE.
 */
static int iommufd_map_file_fixed(int iommufd, __u32 ioas_id, int fd,
				  __u64 start, __u64 length, __u64 iova)
{
	struct iommu_ioas_map_file map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.fd = fd,
		.start = start,
		.length = length,
		.iova = iova,
	};

	return ioctl(iommufd, IOMMU_IOAS_MAP_FILE, &map);
}

static bool find_peer(struct peer *peer, unsigned int index)
{
	char unit[64] = "none", what[96];

	snprintf(what, sizeof(what), "found edu number %u on the PCI bus",
		 index + 1);
	if (!check(edu_find_nth(index, peer->bdf, sizeof(peer->bdf)), what))
		return false;
	if (!pci_iommu_group(peer->bdf, peer->group_name,
			     sizeof(peer->group_name)))
		snprintf(peer->group_name, sizeof(peer->group_name), "none");
	pci_iommu_unit(peer->bdf, unit, sizeof(unit));
	say("   device %s: %s, IOMMU group %s, IOMMU %s\n", peer->name,
	    peer->bdf, peer->group_name, unit);
	snprintf(what, sizeof(what),
		 "device %s is behind an Intel VT-d unit (dmarN)", peer->name);
	return check(!strncmp(unit, "dmar", 4), what);
}

static bool find_devices(struct vmm *vmm)
{
	step("Step 1: find two edu devices (PCI 1234:11e8) in IOMMU groups of their own");
	if (!find_peer(&vmm->a, 0) || !find_peer(&vmm->b, 1))
		return false;
	return check(strcmp(vmm->a.group_name, vmm->b.group_name),
		     "A and B are in different IOMMU groups: B's BAR is a peer of A, not a group mate");
}

static bool take_devices(struct vmm *vmm)
{
	struct peer *peers[] = { &vmm->a, &vmm->b };
	char what[64];
	size_t i;

	step("Step 2: hand both devices to vfio-pci through sysfs");
	for (i = 0; i < ARRAY_SIZE(peers); i++) {
		snprintf(what, sizeof(what), "vfio-pci took device %s",
			 peers[i]->name);
		if (!check_steps(vfio_pci_take(peers[i]->bdf), what))
			return false;
	}
	return true;
}

/* ---- The device cdevs and the IOAS --------------------------------------- */

/* Whether @fd is an iommufd: only iommufd's fdinfo has "iommufd-" keys */
static bool fd_is_iommufd(int fd)
{
	char path[64], line[256];
	bool found = false;
	FILE *info;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	info = fopen(path, "r");
	if (!info)
		return false;
	while (!found && fgets(line, sizeof(line), info))
		found = !strncmp(line, "iommufd-", strlen("iommufd-"));
	fclose(info);
	return found;
}

static bool bind_peer(struct vmm *vmm, struct peer *peer)
{
	char node[1024], what[96];

	peer->device_fd = vfio_cdev_open(peer->bdf, node, sizeof(node));
	snprintf(what, sizeof(what), "opened device %s's VFIO cdev",
		 peer->name);
	if (!check(peer->device_fd >= 0, what))
		return false;
	say("   %s\n", node);
	snprintf(what, sizeof(what),
		 "VFIO_DEVICE_BIND_IOMMUFD: device %s joins the iommufd",
		 peer->name);
	return check_ioctl(vfio_bind_iommufd(peer->device_fd, vmm->iommufd,
					     &peer->dev_id), what);
}

static bool bind_devices(struct vmm *vmm)
{
	step("Step 3: open /dev/iommu and both devices' VFIO cdevs, and bind them");
	vmm->iommufd = open("/dev/iommu", O_RDWR);
	if (!check(vmm->iommufd >= 0, "opened /dev/iommu"))
		return false;
	/* The container check at the end relies on this telling them apart */
	check(fd_is_iommufd(vmm->iommufd),
	      "its /proc/self/fdinfo shows iommufd's keys (iommufd-account-mode...)");
	if (!bind_peer(vmm, &vmm->a) || !bind_peer(vmm, &vmm->b))
		return false;
	say("   B stays unattached: its own DMA stays blocked, it is only written to\n");
	return true;
}

static bool setup_ioas(struct vmm *vmm)
{
	__u32 pt_id;

	step("Step 4: an IOAS for A with a page of the VMM's memory; attach A");
	vmm->staging = vmm_buffer_alloc();
	if (!check(vmm->staging, "allocated the staging page A reads its values from"))
		return false;
	if (!check_ioctl(iommufd_ioas_alloc(vmm->iommufd, &vmm->ioas_id),
			 "IOMMU_IOAS_ALLOC"))
		return false;
	if (!check_ioctl(iommufd_map_fixed(vmm->iommufd, vmm->ioas_id,
					   vmm->staging, PAGE_BYTES,
					   IOVA_STAGING),
			 "IOMMU_IOAS_MAP the staging page at IOVA 0x100000"))
		return false;
	pt_id = vmm->ioas_id;
	return check_ioctl(vfio_attach_pt(vmm->a.device_fd, &pt_id),
			   "VFIO_DEVICE_ATTACH_IOMMUFD_PT: A translates through the IOAS");
}

/* BAR0 mmapped, decode and bus mastering on, edu answering */
static bool open_bar(struct peer *peer)
{
	const char *failed;
	char what[96];
	__u32 id = 0;

	failed = edu_open(&peer->edu, peer->device_fd, &id);
	snprintf(what, sizeof(what),
		 "device %s: BAR0 mmapped (%zu KiB), edu ID 0x%08x, bus master",
		 peer->name, peer->edu.bar0_size / 1024, id);
	return check_steps(failed, what);
}

/* ---- Exporting B's BAR0 --------------------------------------------------- */

/*
 * VFIO_DEVICE_FEATURE_DMA_BUF: a dma-buf of one range of region
 * @region_index of the device behind @device_fd (@nr_ranges 0: none).
 * Returns the dma-buf's file descriptor, or -1 with errno set.
 */
static int vfio_dmabuf_export(int device_fd, __u32 region_index,
			      __u32 open_flags, __u32 flags, __u32 nr_ranges,
			      __u64 offset, __u64 length)
{
	struct vfio_device_feature_dma_buf *get;
	struct vfio_device_feature *feature;
	size_t argsz = sizeof(*feature) + sizeof(*get) +
		       sizeof(get->dma_ranges[0]);
	int fd, saved_errno;

	feature = calloc(1, argsz);
	if (!feature)
		return -1;
	feature->argsz = argsz;
	feature->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	get = (struct vfio_device_feature_dma_buf *)feature->data;
	get->region_index = region_index;
	get->open_flags = open_flags;
	get->flags = flags;
	get->nr_ranges = nr_ranges;
	get->dma_ranges[0].offset = offset;
	get->dma_ranges[0].length = length;
	fd = ioctl(device_fd, VFIO_DEVICE_FEATURE, feature);
	saved_errno = errno;
	free(feature);
	errno = saved_errno;
	return fd;
}

static bool export_bar(struct vmm *vmm)
{
	__u64 bar_bytes = vmm->b.edu.bar0_size;
	char what[128];

	step("Step 6: VFIO exports B's BAR0 as a dma-buf; iommufd maps it into A's IOAS");
	vmm->dmabuf_fd = vfio_dmabuf_export(vmm->b.device_fd,
					    VFIO_PCI_BAR0_REGION_INDEX,
					    O_RDWR | O_CLOEXEC, 0, 1, 0,
					    bar_bytes);
	snprintf(what, sizeof(what),
		 "VFIO_DEVICE_FEATURE_DMA_BUF: all %llu KiB of B's BAR0 as a dma-buf",
		 bar_bytes / 1024);
	if (!check_ioctl(vmm->dmabuf_fd < 0 ? -1 : 0, what))
		return false;
	check(fcntl(vmm->dmabuf_fd, F_GETFD) == FD_CLOEXEC,
	      "its fd is close-on-exec, as open_flags asked");
	snprintf(what, sizeof(what),
		 "IOMMU_IOAS_MAP_FILE of the dma-buf at IOVA 0x%llx",
		 IOVA_PEER);
	if (!check_ioctl(iommufd_map_file_fixed(vmm->iommufd, vmm->ioas_id,
						vmm->dmabuf_fd, 0, bar_bytes,
						IOVA_PEER), what))
		return false;
	say("   A's IOVA 0x%llx + 0x%x now leads to B's liveness register\n",
	    IOVA_PEER, EDU_REG_LIVENESS);
	return true;
}

/* ---- A writes to B --------------------------------------------------------- */

/*
 * Device A writes @value to B's liveness register as a peer does: it
 * copies the value from the VMM's staging page into its own buffer, then
 * from there to IOVA_PEER + EDU_REG_LIVENESS.  Returns whether both
 * transfers finished; edu cannot tell whether the IOMMU let them through.
 */
static bool peer_write(struct vmm *vmm, __u32 value)
{
	memcpy(vmm->staging, &value, sizeof(value));
	/* The value is in memory before A is told to read it */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return edu_dma(&vmm->a.edu, IOVA_STAGING, EDU_BUFFER_ADDR,
		       sizeof(value), false) &&
	       edu_dma(&vmm->a.edu, EDU_BUFFER_ADDR,
		       IOVA_PEER + EDU_REG_LIVENESS, sizeof(value), true);
}

/* B's liveness register, read through @view, must hold the inverse of @value */
static bool check_register(struct edu_dev *view, const char *through,
			   __u32 value, const char *meaning)
{
	__u32 seen = edu_read32(view, EDU_REG_LIVENESS);
	char what[160];

	say("   B's liveness register (through %s): 0x%08x\n", through, seen);
	snprintf(what, sizeof(what), "it reads ~0x%08x = 0x%08x: %s", value,
		 ~value, meaning);
	return check(seen == ~value, what);
}

static void check_landed(struct vmm *vmm, __u32 value)
{
	say("   A writes 0x%08x to IOVA 0x%llx\n", value,
	    IOVA_PEER + EDU_REG_LIVENESS);
	if (!check(peer_write(vmm, value),
		   "A's DMA engine finished both transfers"))
		return;
	check_register(&vmm->b.edu, "B's own VFIO mmap", value,
		       "A's write landed in B");
}

/* The new fault line must be VT-d's report of A's write to the peer page */
static void check_fault_logged(struct vmm *vmm, unsigned int before)
{
	char line[512] = "", device[32], address[64];
	unsigned int after;

	after = fault_lines_wait(&vtd_fault, before, line, sizeof(line));
	if (!check(after > before, "the kernel log shows a DMAR fault"))
		return;
	say("   kernel: %s\n", line);
	/* The driver prints "[bus:dev.fn]" and the page of the address */
	snprintf(device, sizeof(device), "[%s]", strchr(vmm->a.bdf, ':') + 1);
	snprintf(address, sizeof(address), "fault addr 0x%llx", IOVA_PEER);
	check(strstr(line, device) && strstr(line, address),
	      "it reports A's write to the page B's register was mapped at");
}

/* A's write of @value must be refused by the IOMMU, with a fault logged */
static void check_refused(struct vmm *vmm, __u32 value)
{
	unsigned int before, wait_ms;
	char line[512];

	wait_ms = fault_ratelimit_ms(&vtd_fault);
	if (wait_ms) {
		say("   (a fault was logged just now: waiting %u ms out the rate limit)\n",
		    wait_ms);
		sleep_ms(wait_ms);
	}
	before = fault_lines(&vtd_fault, line, sizeof(line), NULL);
	say("   A writes 0x%08x to IOVA 0x%llx\n", value,
	    IOVA_PEER + EDU_REG_LIVENESS);
	check(peer_write(vmm, value),
	      "A's DMA engine finished (it cannot tell that the IOMMU dropped the write)");
	check_fault_logged(vmm, before);
}

/* B's memory decode on or off, through B's VFIO config region */
static bool set_decode(struct peer *peer, bool on)
{
	__u16 command = 0;
	const char *failed;
	char what[128];

	failed = edu_update_command(&peer->edu, on ? PCI_COMMAND_MEMORY : 0,
				    on ? 0 : PCI_COMMAND_MEMORY, &command);
	snprintf(what, sizeof(what),
		 "PCI_COMMAND_MEMORY %s on device %s (VFIO config region)",
		 on ? "set" : "cleared", peer->name);
	if (!check_steps(failed, what))
		return false;
	return check(!!(command & PCI_COMMAND_MEMORY) == on,
		     "the command register reads back so");
}

static void decode_off_and_on(struct vmm *vmm, __u32 landed, __u32 refused,
			      __u32 again)
{
	say("   the mapping must leave the IOMMU before the config write returns\n");
	if (!set_decode(&vmm->b, false))
		return;
	check_refused(vmm, refused);
	say("   B decodes memory again: the mapping must come back by itself\n");
	if (!set_decode(&vmm->b, true))
		return;
	check_register(&vmm->b.edu, "B's own VFIO mmap", landed,
		       "the refused write never reached B");
	check_landed(vmm, again);
}

/* ---- What VFIO and iommufd refuse ------------------------------------------ */

/* One export VFIO must refuse */
struct export_refusal {
	const char *what;
	__u32 region_index;
	__u32 open_flags;
	__u32 flags;
	__u32 nr_ranges;
	__u64 offset;
	__u64 length;
	int errno_expected;
};

static void export_refusals(struct vmm *vmm)
{
	__u64 bar_bytes = vmm->b.edu.bar0_size;
	const struct export_refusal refusals[] = {
		{ "flags other than 0", VFIO_PCI_BAR0_REGION_INDEX, O_RDWR,
		  1, 1, 0, PAGE_BYTES, EINVAL },
		{ "no range (nr_ranges 0)", VFIO_PCI_BAR0_REGION_INDEX,
		  O_RDWR, 0, 0, 0, PAGE_BYTES, EINVAL },
		{ "the expansion ROM region", VFIO_PCI_ROM_REGION_INDEX,
		  O_RDWR, 0, 1, 0, PAGE_BYTES, ENODEV },
		{ "the config space region", VFIO_PCI_CONFIG_REGION_INDEX,
		  O_RDWR, 0, 1, 0, PAGE_BYTES, ENODEV },
		{ "a range that starts off a page", VFIO_PCI_BAR0_REGION_INDEX,
		  O_RDWR, 0, 1, 0x10, PAGE_BYTES, EINVAL },
		{ "a range of a length off a page", VFIO_PCI_BAR0_REGION_INDEX,
		  O_RDWR, 0, 1, 0, 0x10, EINVAL },
		{ "an empty range", VFIO_PCI_BAR0_REGION_INDEX, O_RDWR, 0, 1,
		  0, 0, EINVAL },
		{ "a range past the end of BAR0", VFIO_PCI_BAR0_REGION_INDEX,
		  O_RDWR, 0, 1, bar_bytes - PAGE_BYTES, 2 * PAGE_BYTES,
		  EINVAL },
		{ "an open flag no kernel knows", VFIO_PCI_BAR0_REGION_INDEX,
		  O_RDWR | OPEN_FLAG_UNKNOWN, 0, 1, 0, PAGE_BYTES,
		  EINVAL },
	};
	const struct export_refusal *refusal;
	char what[128];
	size_t i;
	int fd;

	step("Step 9: what VFIO_DEVICE_FEATURE_DMA_BUF refuses to export");
	for (i = 0; i < ARRAY_SIZE(refusals); i++) {
		refusal = &refusals[i];
		fd = vfio_dmabuf_export(vmm->b.device_fd,
					refusal->region_index,
					refusal->open_flags, refusal->flags,
					refusal->nr_ranges, refusal->offset,
					refusal->length);
		snprintf(what, sizeof(what), "%s: %s", refusal->what,
			 strerrorname_np(refusal->errno_expected));
		check_errno(fd < 0 ? -1 : 0, refusal->errno_expected, what);
		if (fd >= 0)
			close(fd);
	}
}

/* A dma-buf of another exporter: udmabuf, over a page of a sealed memfd */
static int udmabuf_page(void)
{
	struct udmabuf_create create = {
		.flags = UDMABUF_FLAGS_CLOEXEC,
		.size = PAGE_BYTES,
	};
	int memfd, udmabuf, fd = -1, saved_errno;

	memfd = memfd_create("p2p-udmabuf", MFD_ALLOW_SEALING);
	if (memfd < 0)
		return -1;
	if (!ftruncate(memfd, PAGE_BYTES) &&
	    !fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		udmabuf = open("/dev/udmabuf", O_RDWR);
		if (udmabuf >= 0) {
			create.memfd = memfd;
			fd = ioctl(udmabuf, UDMABUF_CREATE, &create);
			close(udmabuf);
		}
	}
	saved_errno = errno;
	close(memfd);
	errno = saved_errno;
	return fd;
}

/* B's BAR0 as sysfs maps it, readable and writeable through vmm->b_sysfs */
static bool map_sysfs_bar(struct vmm *vmm)
{
	char path[1024];
	void *bar;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/resource0", vmm->b.bdf);
	vmm->resource_fd = open(path, O_RDWR | O_SYNC);
	if (!check(vmm->resource_fd >= 0, "opened B's sysfs resource0"))
		return false;
	bar = mmap(NULL, PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vmm->resource_fd, 0);
	if (!check(bar != MAP_FAILED, "mmapped its first page"))
		return false;
	vmm->b_sysfs = (struct edu_dev) {
		.device_fd = -1, .bar0 = bar, .bar0_size = PAGE_BYTES,
	};
	return true;
}

static void map_refusals(struct vmm *vmm)
{
	__u64 bar_bytes = vmm->b.edu.bar0_size;
	int udmabuf_fd;

	step("Step 10: what IOMMU_IOAS_MAP_FILE and IOMMU_IOAS_MAP refuse to map");
	check_errno(iommufd_map_file_fixed(vmm->iommufd, vmm->ioas_id,
					   vmm->dmabuf_fd, 0, 0, IOVA_SPARE),
		    EINVAL, "the dma-buf with length 0: EINVAL");
	check_errno(iommufd_map_file_fixed(vmm->iommufd, vmm->ioas_id,
					   vmm->dmabuf_fd, PAGE_BYTES,
					   bar_bytes, IOVA_SPARE),
		    EINVAL, "the dma-buf from page 1 on, for its whole size: EINVAL");

	udmabuf_fd = udmabuf_page();
	if (check(udmabuf_fd >= 0,
		  "UDMABUF_CREATE: a dma-buf of another exporter, over a sealed memfd")) {
		check_errno(iommufd_map_file_fixed(vmm->iommufd, vmm->ioas_id,
						   udmabuf_fd, 0, PAGE_BYTES,
						   IOVA_SPARE),
			    EOPNOTSUPP, "the udmabuf dma-buf: EOPNOTSUPP (not VFIO's)");
		close(udmabuf_fd);
	}

	say("   B's decode off: its dma-buf is revoked while that lasts\n");
	if (set_decode(&vmm->b, false)) {
		check_errno(iommufd_map_file_fixed(vmm->iommufd, vmm->ioas_id,
						   vmm->dmabuf_fd, 0,
						   PAGE_BYTES, IOVA_SPARE),
			    ENODEV, "the revoked dma-buf: ENODEV");
		set_decode(&vmm->b, true);
	}

	say("   sysfs maps the same BAR for the CPU, but that MMIO is not VFIO's:\n");
	if (map_sysfs_bar(vmm))
		check_errno(iommufd_map_fixed(vmm->iommufd, vmm->ioas_id,
					      vmm->b_sysfs.bar0, PAGE_BYTES,
					      IOVA_SPARE),
			    EFAULT, "IOMMU_IOAS_MAP of that mmap (by its address): EFAULT");

	say("   after the refusals, the peer mapping still carries A's writes:\n");
	check_landed(vmm, 0x2468ace0);
}

/* ---- B goes away ------------------------------------------------------------ */

/* B decodes memory, as seen by sysfs: the config file, not VFIO's */
static bool sysfs_decode_on(struct peer *peer)
{
	char path[1024];
	__u16 command = 0;
	bool on = false;
	int fd;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/config", peer->bdf);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return false;
	if (pread(fd, &command, sizeof(command), PCI_COMMAND) ==
	    sizeof(command)) {
		on = command & PCI_COMMAND_MEMORY;
		say("   B's command register (sysfs config): 0x%04x\n",
		    command);
		command |= PCI_COMMAND_MEMORY;
		if (!on && pwrite(fd, &command, sizeof(command),
				  PCI_COMMAND) == sizeof(command))
			on = true;
	}
	close(fd);
	return on;
}

/*
 * A's IOAS still maps B's dma-buf, revoked for good: vfio-pci must not
 * wait for that mapping to go before it lets B be unbound (closing B gave
 * the dma-buf's hold on the device back).  The unbind runs in a child, so
 * that a hang fails a check instead of the whole program.
 */
static void unbind_while_mapped(struct vmm *vmm)
{
	const unsigned int limit_ms = 10000;
	unsigned int waited_ms;
	const char *failed;
	char path[1024];
	int status = -1;
	pid_t child;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver/unbind",
		 vmm->b.bdf);
	child = fork();
	if (!child)
		_exit(write_sysfs(path, vmm->b.bdf) ? 1 : 0);
	for (waited_ms = 0; child > 0 && waited_ms < limit_ms;
	     waited_ms += 50) {
		if (waitpid(child, &status, WNOHANG) == child)
			break;
		sleep_ms(50);
	}
	if (!check(child > 0 && waited_ms < limit_ms && WIFEXITED(status) &&
		   !WEXITSTATUS(status),
		   "B unbound from vfio-pci while A's IOAS still maps its dma-buf"))
		return;
	failed = vfio_pci_take(vmm->b.bdf);
	check(!failed, failed ? failed : "B bound to vfio-pci again");
}

static void close_peer(struct vmm *vmm)
{
	__u64 bar_bytes = vmm->b.edu.bar0_size, unmapped = 0;
	__u32 sentinel = 0x13579bdf;
	char what[96];

	step("Step 11: close B's device file: the mapping is revoked for good");
	edu_close(&vmm->b.edu);
	close(vmm->b.device_fd);
	vmm->b.device_fd = -1;
	say("   B's BAR0 unmapped from the VMM and its VFIO cdev closed\n");
	if (!vmm->b_sysfs.bar0)
		return;
	say("   B is watched through sysfs now; it must decode memory for that\n");
	if (!check(sysfs_decode_on(&vmm->b), "B decodes memory (set through sysfs if it did not)"))
		return;
	edu_write32(&vmm->b_sysfs, EDU_REG_LIVENESS, sentinel);
	if (!check_register(&vmm->b_sysfs, "sysfs resource0", sentinel,
			    "B answers there"))
		return;
	check_refused(vmm, 0xfeedbeef);
	check_register(&vmm->b_sysfs, "sysfs resource0", sentinel,
		       "A's write never reached B, which decodes memory");
	unbind_while_mapped(vmm);

	snprintf(what, sizeof(what),
		 "IOMMU_IOAS_UNMAP of the revoked mapping at IOVA 0x%llx",
		 IOVA_PEER);
	if (check_ioctl(iommufd_unmap(vmm->iommufd, vmm->ioas_id, IOVA_PEER,
				      bar_bytes, &unmapped), what))
		check(unmapped == bar_bytes, "all of it was unmapped");
	check_errno(iommufd_map_file_fixed(vmm->iommufd, vmm->ioas_id,
					   vmm->dmabuf_fd, 0, bar_bytes,
					   IOVA_PEER),
		    ENODEV, "IOMMU_IOAS_MAP_FILE of B's dma-buf again: ENODEV");
}

/* Everything of the cdev part, so that the groups can be opened */
static void close_cdev_part(struct vmm *vmm)
{
	if (vmm->a.device_fd >= 0 && vmm->a.dev_id)
		check_ioctl(vfio_detach_pt(vmm->a.device_fd),
			    "VFIO_DEVICE_DETACH_IOMMUFD_PT: A's DMA is blocked again");
	edu_close(&vmm->a.edu);
	edu_close(&vmm->b.edu);
	if (vmm->a.device_fd >= 0)
		close(vmm->a.device_fd);
	if (vmm->b.device_fd >= 0)
		close(vmm->b.device_fd);
	vmm->a.device_fd = -1;
	vmm->b.device_fd = -1;
	if (vmm->dmabuf_fd >= 0)
		close(vmm->dmabuf_fd);
	vmm->dmabuf_fd = -1;
	if (vmm->iommufd >= 0)
		close(vmm->iommufd);
	vmm->iommufd = -1;
	say("   closed both device cdevs, the dma-buf and the iommufd\n");
}

/* ---- VFIO's type1 container ------------------------------------------------- */

static bool open_group(struct peer *peer)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64], what[96];

	snprintf(path, sizeof(path), "/dev/vfio/%s", peer->group_name);
	peer->group_fd = open(path, O_RDWR);
	snprintf(what, sizeof(what), "opened device %s's group %s",
		 peer->name, path);
	if (!check(peer->group_fd >= 0, what))
		return false;
	if (!check_ioctl(ioctl(peer->group_fd, VFIO_GROUP_GET_STATUS,
			       &status), "VFIO_GROUP_GET_STATUS"))
		return false;
	return check(status.flags & VFIO_GROUP_FLAGS_VIABLE,
		     "the group is viable");
}

static bool open_group_device(struct peer *peer)
{
	char what[96];

	peer->device_fd = ioctl(peer->group_fd, VFIO_GROUP_GET_DEVICE_FD,
				peer->bdf);
	snprintf(what, sizeof(what), "VFIO_GROUP_GET_DEVICE_FD for device %s",
		 peer->name);
	return check(peer->device_fd >= 0, what) && open_bar(peer);
}

/* Both groups in one type1 container, both devices' BARs mapped */
static bool setup_container(struct vmm *vmm)
{
	const char *failed;

	if (!open_group(&vmm->a) || !open_group(&vmm->b))
		return false;
	vmm->container_fd = vfio_type1_container(vmm->a.group_fd, &failed);
	if (!check_ioctl(vmm->container_fd < 0 ? -1 : 0,
			 failed ? failed :
			 "/dev/vfio/vfio: type1v2 container with A's group"))
		return false;
	if (!check_ioctl(ioctl(vmm->b.group_fd, VFIO_GROUP_SET_CONTAINER,
			       &vmm->container_fd),
			 "VFIO_GROUP_SET_CONTAINER: B's group joins it"))
		return false;
	return open_group_device(&vmm->a) && open_group_device(&vmm->b);
}

/*
 * B's BAR0 mapped once more, into a window one page longer whose last page
 * is inaccessible: a range from the BAR into that page is not all MMIO.
 */
static void *map_bar_then_guard(struct peer *peer, __u64 bar_bytes)
{
	struct vfio_region_info region = {
		.argsz = sizeof(region),
		.index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	void *window;

	if (ioctl(peer->device_fd, VFIO_DEVICE_GET_REGION_INFO, &region))
		return NULL;
	window = mmap(NULL, bar_bytes + PAGE_BYTES, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (window == MAP_FAILED)
		return NULL;
	if (mmap(window, bar_bytes, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, peer->device_fd,
		 region.offset) == MAP_FAILED) {
		munmap(window, bar_bytes + PAGE_BYTES);
		return NULL;
	}
	return window;
}

/* A range that leaves the BAR's mapping is refused as not memory */
static void container_refuses_partial_bar(struct vmm *vmm, __u64 bar_bytes)
{
	void *window = map_bar_then_guard(&vmm->b, bar_bytes);

	if (!check(window, "B's BAR0 mapped again, a PROT_NONE page after it"))
		return;
	check_errno(vfio_type1_map(vmm->container_fd,
				   (char *)window + bar_bytes - PAGE_BYTES,
				   IOVA_SPARE, 2 * PAGE_BYTES),
		    EFAULT,
		    "VFIO_IOMMU_MAP_DMA of BAR0's last page and the page after it: EFAULT");
	munmap(window, bar_bytes + PAGE_BYTES);
}

static void container_p2p(struct vmm *vmm)
{
	__u64 bar_bytes, unmapped = 0;
	bool by_iommufd;
	char what[128];

	step("Step 12: the same through VFIO's type1 container (/dev/vfio/vfio)");
	if (!setup_container(vmm))
		return;
	by_iommufd = fd_is_iommufd(vmm->container_fd);
	say("   /dev/vfio/vfio is served by %s (its fdinfo %s iommufd's keys)\n",
	    by_iommufd ? "iommufd (CONFIG_IOMMUFD_VFIO_CONTAINER)" :
			 "VFIO's own type1 container",
	    by_iommufd ? "has" : "lacks");
	if (!check_ioctl(vfio_type1_map(vmm->container_fd, vmm->staging,
					IOVA_STAGING, PAGE_BYTES),
			 "VFIO_IOMMU_MAP_DMA of the staging page"))
		return;
	bar_bytes = vmm->b.edu.bar0_size;
	container_refuses_partial_bar(vmm, bar_bytes);
	snprintf(what, sizeof(what),
		 "VFIO_IOMMU_MAP_DMA of B's mmapped BAR0 at IOVA 0x%llx",
		 IOVA_PEER);
	if (!check_ioctl(vfio_type1_map(vmm->container_fd, vmm->b.edu.bar0,
					IOVA_PEER, bar_bytes), what))
		return;
	check_landed(vmm, 0x31415926);
	if (by_iommufd)
		decode_off_and_on(vmm, 0x31415926, 0x27182818, 0x14142135);
	else
		say("   VFIO's own container maps the BAR by PFN and cannot revoke it:\n"
		    "   revocation is checked only where iommufd serves the container\n");
	if (check_ioctl(vfio_type1_unmap(vmm->container_fd, IOVA_PEER,
					 bar_bytes, &unmapped),
			"VFIO_IOMMU_UNMAP_DMA of B's BAR0"))
		check(unmapped == bar_bytes, "all of it was unmapped");
}

/* ---- The program ------------------------------------------------------------- */

static void teardown(struct vmm *vmm)
{
	struct peer *peers[] = { &vmm->a, &vmm->b };
	size_t i;

	step("Step 13: tear down");
	for (i = 0; i < ARRAY_SIZE(peers); i++) {
		edu_close(&peers[i]->edu);
		if (peers[i]->device_fd >= 0)
			close(peers[i]->device_fd);
	}
	for (i = 0; i < ARRAY_SIZE(peers); i++) {
		if (peers[i]->group_fd < 0)
			continue;
		check_ioctl(ioctl(peers[i]->group_fd,
				  VFIO_GROUP_UNSET_CONTAINER),
			    "VFIO_GROUP_UNSET_CONTAINER");
		close(peers[i]->group_fd);
	}
	if (vmm->container_fd >= 0)
		close(vmm->container_fd);
	if (vmm->b_sysfs.bar0)
		munmap(vmm->b_sysfs.bar0, PAGE_BYTES);
	if (vmm->resource_fd >= 0)
		close(vmm->resource_fd);
	for (i = 0; i < ARRAY_SIZE(peers); i++)
		if (peers[i]->bdf[0])
			vfio_pci_release(peers[i]->bdf);
	say("   closed every file, gave both devices back\n");
}

/* The device cdevs, the IOAS of A, and B's BAR0 mapped there */
static bool setup_cdev(struct vmm *vmm)
{
	if (!bind_devices(vmm) || !setup_ioas(vmm))
		return false;
	step("Step 5: map both BAR0s into the VMM, turn on decode and bus mastering");
	return open_bar(&vmm->a) && open_bar(&vmm->b) && export_bar(vmm);
}

int main(void)
{
	struct vmm vmm = {
		.a = { .name = "A", .group_fd = -1, .device_fd = -1 },
		.b = { .name = "B", .group_fd = -1, .device_fd = -1 },
		.iommufd = -1,
		.container_fd = -1,
		.dmabuf_fd = -1,
		.resource_fd = -1,
	};

	say("Peer-to-peer DMA through iommufd: edu A writes into edu B's BAR0, behind VT-d\n");
	if (find_devices(&vmm) && take_devices(&vmm)) {
		if (setup_cdev(&vmm)) {
			step("Step 7: A writes into B's BAR0 through the IOMMU");
			check_landed(&vmm, 0x12345678);
			step("Step 8: B's memory decode off, then on again");
			decode_off_and_on(&vmm, 0x12345678, 0x0badf00d,
					  0x600dcafe);
			export_refusals(&vmm);
			map_refusals(&vmm);
			close_peer(&vmm);
		}
		close_cdev_part(&vmm);
		container_p2p(&vmm);
	}
	teardown(&vmm);
	return report_result();
}
