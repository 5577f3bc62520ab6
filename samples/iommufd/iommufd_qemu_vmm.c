// SPDX-License-Identifier: GPL-2.0-only
/*
 * An unmodified VMM on iommufd: Debian's own QEMU, run in this guest,
 * passes edu through to a machine of its own with -device vfio-pci.
 *
 * That QEMU (7.2) knows only VFIO's type1 container.  In a kernel built
 * with CONFIG_IOMMUFD_VFIO_CONTAINER, /dev/vfio/vfio is an iommufd, so
 * every VFIO_IOMMU_MAP_DMA QEMU makes for its guest's RAM lands in an IOAS
 * of ours; the program checks that it does, through the fdinfo of QEMU's
 * container file.
 *
 * The inner machine never runs a CPU: QEMU starts stopped (-S) with its
 * qtest protocol on a pipe (-qtest stdio), and this program plays the
 * inner guest's driver through it: it assigns edu's BAR0 in the inner
 * PCI config space, turns memory decode and bus mastering on, writes a
 * pattern into the inner guest's RAM, and has edu copy it into its own
 * buffer and out to another guest-physical address.  edu itself is the
 * outer machine's device, so its DMA goes through this kernel's IOMMU
 * (VT-d) and the IOAS QEMU filled; every byte is compared through QEMU's
 * view of its guest's RAM.
 *
 * QEMU also maps the BAR it passes through into its container (with
 * VFIO_IOMMU_MAP_DMA of its mmap()), so that devices can reach each
 * other's BARs: iommufd turns that into a revocable dma-buf mapping of
 * the BAR.  The check: QEMU logs no failed vfio_dma_map, and edu's DMA
 * onto its own liveness register, at its inner guest-physical address,
 * lands there through the IOMMU.
 *
 * After QEMU has gone, every page it had pinned must be unpinned again
 * (/proc/vmstat's FOLL_PIN counters), and a second QEMU in the same boot
 * must do the same work.
 */
#include <signal.h>
#include <sys/wait.h>

#include "edu_vfio.h"
#include "vmm_report.h"

#define QEMU			"/usr/bin/qemu-system-x86_64"
#define QEMU_LOG		"/tmp/qemu-vmm.log"
/* The inner guest's RAM, and where edu sits on its PCI bus */
#define INNER_RAM		"64M"
#define INNER_RAM_PAGES		((64 << 20) / 4096)
#define INNER_SLOT		4
/*
 * Above the inner RAM, and below 256 MiB: edu's DMA engine drops address
 * bits above 28, and it must reach its own BAR for the P2P check
 */
#define INNER_BAR0		0x08000000ULL
/* Guest-physical source and destination of the copy, below edu's mask */
#define INNER_SRC		0x100000ULL
#define INNER_DST		0x200000ULL
#define PCI_CONFIG_ADDRESS	0xcf8
#define PCI_CONFIG_DATA		0xcfc
#define QEMU_EXIT_WAIT_MS	10000
#define RUNS			2

/* A running QEMU and the two ends of its qtest pipe */
struct qemu {
	pid_t pid;
	FILE *to;
	FILE *from;
};

/* ---- Pinned pages, from /proc/vmstat ----------------------------------- */

static long vmstat_value(const char *name)
{
	char key[64];
	long value, found = -1;
	FILE *vmstat = fopen("/proc/vmstat", "r");

	if (!vmstat)
		return -1;
	while (fscanf(vmstat, "%63s %ld", key, &value) == 2)
		if (!strcmp(key, name))
			found = value;
	fclose(vmstat);
	return found;
}

/* Pages pinned with FOLL_PIN and not unpinned yet, in the whole system */
static long pins_outstanding(void)
{
	return vmstat_value("nr_foll_pin_acquired") -
	       vmstat_value("nr_foll_pin_released");
}

/* ---- Starting and stopping QEMU ----------------------------------------- */

static void exec_qemu(const char *bdf, int from_parent, int to_parent)
{
	char device[320];
	int log_fd = open(QEMU_LOG, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	snprintf(device, sizeof(device), "vfio-pci,host=%s,addr=%d.0", bdf,
		 INNER_SLOT);
	dup2(from_parent, STDIN_FILENO);
	dup2(to_parent, STDOUT_FILENO);
	if (log_fd >= 0)
		dup2(log_fd, STDERR_FILENO);
	execl(QEMU, QEMU, "-M", "q35", "-accel", "tcg", "-S",
	      "-qtest", "stdio", "-qtest-log", "/dev/null", "-m", INNER_RAM,
	      "-nodefaults",
	      "-display", "none", "-serial", "none", "-monitor", "none",
	      "-device", device, (char *)NULL);
	_exit(127);
}

static bool qemu_start(struct qemu *qemu, const char *bdf)
{
	int to_qemu[2], from_qemu[2];

	if (pipe(to_qemu) || pipe(from_qemu))
		return false;
	qemu->pid = fork();
	if (qemu->pid < 0)
		return false;
	if (!qemu->pid) {
		close(to_qemu[1]);
		close(from_qemu[0]);
		exec_qemu(bdf, to_qemu[0], from_qemu[1]);
	}
	close(to_qemu[0]);
	close(from_qemu[1]);
	qemu->to = fdopen(to_qemu[1], "w");
	qemu->from = fdopen(from_qemu[0], "r");
	return qemu->to && qemu->from;
}

/*
 * Closing the qtest pipe does not end QEMU: a signal does.  Returns
 * whether it went within QEMU_EXIT_WAIT_MS.
 */
static bool qemu_stop(struct qemu *qemu)
{
	unsigned int waited_ms;
	int status;

	if (qemu->to)
		fclose(qemu->to);
	if (qemu->from)
		fclose(qemu->from);
	kill(qemu->pid, SIGTERM);
	for (waited_ms = 0; waited_ms < QEMU_EXIT_WAIT_MS; waited_ms += 10) {
		if (waitpid(qemu->pid, &status, WNOHANG) == qemu->pid)
			return true;
		sleep_ms(10);
	}
	kill(qemu->pid, SIGKILL);
	waitpid(qemu->pid, &status, 0);
	return false;
}

/* ---- The qtest protocol: one command line, one reply line -------------- */

/*
 * Send a command; true if QEMU answered "OK", whose rest (a value, or
 * data in hex) goes to @value.  QEMU's asynchronous lines ("IRQ ...") are
 * not expected: nothing here intercepts interrupts.
 */
static bool qtest(struct qemu *qemu, char *value, size_t value_size,
		  const char *fmt, ...)
{
	static char reply[2 * 4096 + 64];
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vfprintf(qemu->to, fmt, ap);
	va_end(ap);
	fputc('\n', qemu->to);
	fflush(qemu->to);
	if (!fgets(reply, sizeof(reply), qemu->from))
		return false;
	len = strcspn(reply, "\n");
	reply[len] = 0;
	if (strncmp(reply, "OK", 2))
		return false;
	if (value)
		snprintf(value, value_size, "%s", reply[2] ? reply + 3 : "");
	return true;
}

static bool qtest_value(struct qemu *qemu, __u64 *value, const char *fmt,
			__u64 addr)
{
	char text[32];

	if (!qtest(qemu, text, sizeof(text), fmt, (unsigned long long)addr))
		return false;
	*value = strtoull(text, NULL, 16);
	return true;
}

static bool inner_readq(struct qemu *qemu, __u64 addr, __u64 *value)
{
	return qtest_value(qemu, value, "readq 0x%llx", addr);
}

static bool inner_readl(struct qemu *qemu, __u64 addr, __u32 *value)
{
	__u64 wide;

	if (!qtest_value(qemu, &wide, "readl 0x%llx", addr))
		return false;
	*value = wide;
	return true;
}

static bool inner_writeq(struct qemu *qemu, __u64 addr, __u64 value)
{
	return qtest(qemu, NULL, 0, "writeq 0x%llx 0x%llx",
		     (unsigned long long)addr, (unsigned long long)value);
}

static bool inner_writel(struct qemu *qemu, __u64 addr, __u32 value)
{
	return qtest(qemu, NULL, 0, "writel 0x%llx 0x%x",
		     (unsigned long long)addr, value);
}

/* PCI config space of the inner edu, by the 0xcf8/0xcfc ports */
static bool inner_config_write(struct qemu *qemu, unsigned int reg,
			       __u32 value)
{
	__u32 address = 0x80000000 | INNER_SLOT << 11 | (reg & 0xfc);

	return qtest(qemu, NULL, 0, "outl 0x%x 0x%x", PCI_CONFIG_ADDRESS,
		     address) &&
	       qtest(qemu, NULL, 0, "outl 0x%x 0x%x", PCI_CONFIG_DATA, value);
}

/* @len bytes at guest-physical @gpa of the inner machine, as hex */
static bool inner_write_ram(struct qemu *qemu, __u64 gpa, const __u8 *data,
			    size_t len)
{
	char *hex = malloc(2 * len + 1);
	bool ok;
	size_t i;

	if (!hex)
		return false;
	for (i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", data[i]);
	ok = qtest(qemu, NULL, 0, "write 0x%llx 0x%zx 0x%s",
		   (unsigned long long)gpa, len, hex);
	free(hex);
	return ok;
}

static bool inner_read_ram(struct qemu *qemu, __u64 gpa, __u8 *data,
			   size_t len)
{
	char *hex = malloc(2 * len + 8);
	unsigned int byte;
	bool ok;
	size_t i;

	if (!hex)
		return false;
	ok = qtest(qemu, hex, 2 * len + 8, "read 0x%llx 0x%zx",
		   (unsigned long long)gpa, len) &&
	     strlen(hex) == 2 * len + 2;
	for (i = 0; ok && i < len; i++) {
		ok = sscanf(hex + 2 + 2 * i, "%2x", &byte) == 1;
		data[i] = byte;
	}
	free(hex);
	return ok;
}

/* ---- The inner guest's driver ------------------------------------------ */

/* BAR0 where the inner guest wants it; memory decode and bus mastering on */
static bool inner_enable_edu(struct qemu *qemu)
{
	__u32 id, alive;

	if (!check(inner_config_write(qemu, PCI_BASE_ADDRESS_0, INNER_BAR0) &&
		   inner_config_write(qemu, PCI_COMMAND,
				      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER),
		   "inner PCI config: BAR0 at 0x08000000, memory decode and bus mastering on"))
		return false;
	if (!check(inner_readl(qemu, INNER_BAR0 + EDU_REG_ID, &id) &&
		   (id & 0xff) == EDU_ID_MAGIC,
		   "edu's ID register answers at the inner BAR0 (QEMU's mmap of the VFIO region)"))
		return false;
	say("   edu ID register: 0x%08x\n", id);
	return check(inner_writel(qemu, INNER_BAR0 + EDU_REG_LIVENESS,
				  0x5a5a1234) &&
		     inner_readl(qemu, INNER_BAR0 + EDU_REG_LIVENESS, &alive) &&
		     alive == (__u32)~0x5a5a1234,
		     "edu's liveness register inverts what the inner guest writes");
}

/* One DMA of @count bytes by edu's engine, polled until done */
static bool inner_edu_dma(struct qemu *qemu, __u64 src, __u64 dst,
			  __u64 count, bool to_ram)
{
	__u64 cmd = EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0);
	unsigned int waited_ms;

	if (!inner_writeq(qemu, INNER_BAR0 + EDU_REG_DMA_SRC, src) ||
	    !inner_writeq(qemu, INNER_BAR0 + EDU_REG_DMA_DST, dst) ||
	    !inner_writeq(qemu, INNER_BAR0 + EDU_REG_DMA_COUNT, count) ||
	    !inner_writeq(qemu, INNER_BAR0 + EDU_REG_DMA_CMD, cmd))
		return false;
	for (waited_ms = 0; waited_ms < EDU_DMA_TIMEOUT_MS; waited_ms += 10) {
		if (!inner_readq(qemu, INNER_BAR0 + EDU_REG_DMA_CMD, &cmd))
			return false;
		if (!(cmd & EDU_DMA_START))
			return true;
		sleep_ms(10);
	}
	return false;
}

static bool inner_round_trip(struct qemu *qemu, unsigned int run)
{
	static __u8 pattern[EDU_TRANSFER_BYTES], seen[EDU_TRANSFER_BYTES + 64];
	static const __u8 zeroes[EDU_TRANSFER_BYTES + 64];
	unsigned int i, differ = 0;
	bool arrived, contained;

	for (i = 0; i < EDU_TRANSFER_BYTES; i++)
		pattern[i] = (i * 7 + run * 31) & 0xff;
	if (!check(inner_write_ram(qemu, INNER_SRC, pattern, sizeof(pattern)) &&
		   inner_write_ram(qemu, INNER_DST, zeroes, sizeof(zeroes)),
		   "qtest: pattern into inner RAM at 0x100000, zeroes at 0x200000"))
		return false;
	if (!check(inner_edu_dma(qemu, INNER_SRC, EDU_BUFFER_ADDR,
				 EDU_TRANSFER_BYTES, false),
		   "edu DMA: inner RAM 0x100000 -> device buffer (2048 bytes)"))
		return false;
	if (!check(inner_edu_dma(qemu, EDU_BUFFER_ADDR, INNER_DST,
				 EDU_TRANSFER_BYTES, true),
		   "edu DMA: device buffer -> inner RAM 0x200000 (2048 bytes)"))
		return false;
	if (!check(inner_read_ram(qemu, INNER_DST, seen, sizeof(seen)),
		   "qtest: read the destination back"))
		return false;
	for (i = 0; i < EDU_TRANSFER_BYTES; i++)
		differ += seen[i] != pattern[i];
	say("   %u of %d bytes differ\n", differ, EDU_TRANSFER_BYTES);
	arrived = check(!differ, "every byte arrived in the inner guest's RAM");
	contained = check(!memcmp(seen + EDU_TRANSFER_BYTES, zeroes, 64),
			  "nothing was written past the transfer");
	return arrived && contained;
}

/* Whether QEMU's stderr so far has a line containing @text */
static bool qemu_logged(const char *text)
{
	char line[512];
	bool found = false;
	FILE *log = fopen(QEMU_LOG, "r");

	while (log && !found && fgets(line, sizeof(line), log))
		found = strstr(line, text);
	if (log)
		fclose(log);
	return found;
}

/*
 * Peer-to-peer: edu's buffer still holds the round trip's pattern; edu
 * copies its first word onto its own liveness register, addressed by its
 * inner guest-physical address, which only QEMU's mapping of the BAR in
 * its container makes the IOMMU translate.  The register keeps the
 * inverse of what was written.
 */
static void inner_p2p(struct qemu *qemu, unsigned int run)
{
	__u32 word = 0, alive = 0;
	unsigned int i;

	check(!qemu_logged("vfio_dma_map"),
	      "QEMU mapped edu's BAR into its container (no vfio_dma_map error in its log)");
	for (i = 0; i < sizeof(word); i++)
		word |= (__u32)((i * 7 + run * 31) & 0xff) << (8 * i);
	if (!check(inner_edu_dma(qemu, EDU_BUFFER_ADDR,
				 INNER_BAR0 + EDU_REG_LIVENESS, sizeof(word),
				 true),
		   "edu DMA: device buffer -> its own BAR0 + 0x04 (4 bytes, P2P through VT-d)"))
		return;
	inner_readl(qemu, INNER_BAR0 + EDU_REG_LIVENESS, &alive);
	say("   wrote 0x%08x by DMA, the register reads 0x%08x\n", word, alive);
	check(alive == (__u32)~word,
	      "the DMA reached the BAR: the liveness register holds its inverse");
}

/* ---- QEMU's container is an iommufd ------------------------------------ */

/* The number after @key in QEMU's fdinfo of /dev/vfio/vfio, or -1 */
static long container_fdinfo(pid_t pid, const char *key)
{
	char path[320], target[64], line[256];
	long value = -1;
	struct dirent *entry;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	fds = opendir(path);
	while (fds && (entry = readdir(fds))) {
		ssize_t len;
		FILE *info;

		snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid,
			 entry->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = 0;
		if (strcmp(target, "/dev/vfio/vfio"))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid,
			 entry->d_name);
		info = fopen(path, "r");
		while (info && fgets(line, sizeof(line), info))
			if (!strncmp(line, key, strlen(key)))
				value = strtol(line + strlen(key), NULL, 10);
		if (info)
			fclose(info);
	}
	if (fds)
		closedir(fds);
	return value;
}

static void show_container(struct qemu *qemu, long pins_before)
{
	long pinned = container_fdinfo(qemu->pid, "iommufd-pinned-pages:");

	say("   QEMU's /dev/vfio/vfio: iommufd-pinned-pages %ld\n", pinned);
	check(pinned >= INNER_RAM_PAGES,
	      "that file is an iommufd, and QEMU's VFIO_IOMMU_MAP_DMA pinned all of the inner RAM in it");
	say("   pages pinned in the system: %ld more than before QEMU\n",
	    pins_outstanding() - pins_before);
}

/* What QEMU said on stderr, for the reader */
static void show_qemu_log(void)
{
	char line[512];
	FILE *log = fopen(QEMU_LOG, "r");

	while (log && fgets(line, sizeof(line), log))
		say("   qemu: %s", line);
	if (log)
		fclose(log);
}

/* ---- The program --------------------------------------------------------- */

static void run_qemu(const char *bdf, unsigned int run)
{
	long pins_before = pins_outstanding(), pins_after = 0;
	struct qemu qemu = {};
	unsigned int waited_ms;
	char reply[64];

	say("\n== Run %u: start %s with edu passed through\n", run, QEMU);
	say("   %s -M q35 -accel tcg -S -qtest stdio -m %s -nodefaults ...\n",
	    QEMU, INNER_RAM);
	say("      -device vfio-pci,host=%s,addr=%d.0\n", bdf, INNER_SLOT);
	if (!check(qemu_start(&qemu, bdf), "QEMU started"))
		return;
	/* The first answer comes once the machine, and VFIO, are set up */
	if (check(qtest(&qemu, reply, sizeof(reply), "inl 0x%x",
			PCI_CONFIG_DATA),
		  "QEMU answers on its qtest pipe (its machine and VFIO are up)")) {
		show_container(&qemu, pins_before);
		if (inner_enable_edu(&qemu) && inner_round_trip(&qemu, run))
			inner_p2p(&qemu, run);
	}
	check(qemu_stop(&qemu), "QEMU ended on SIGTERM");
	show_qemu_log();
	for (waited_ms = 0; waited_ms < 2000; waited_ms += 50) {
		pins_after = pins_outstanding();
		if (pins_after == pins_before)
			break;
		sleep_ms(50);
	}
	say("   pages pinned in the system: %ld before QEMU, %ld after\n",
	    pins_before, pins_after);
	check(pins_after == pins_before,
	      "QEMU's exit unpinned every page it had pinned");
}

int main(void)
{
	const char *failed_step;
	char bdf[256], group[32];
	unsigned int run;

	say("An unmodified VMM on iommufd: Debian's QEMU passes edu through with vfio-pci\n");
	step("Find edu and hand it to vfio-pci");
	if (!check(edu_find(bdf, sizeof(bdf)), "found edu on the PCI bus"))
		return report_result();
	failed_step = vfio_pci_take(bdf);
	if (!check(!failed_step, failed_step ? failed_step :
		   "vfio-pci took the device"))
		return report_result();
	check(pci_iommu_group(bdf, group, sizeof(group)),
	      "it sits behind an IOMMU (it has an IOMMU group)");
	say("   %s, IOMMU group %s\n", bdf, group);
	for (run = 1; run <= RUNS; run++)
		run_qemu(bdf, run);
	vfio_pci_release(bdf);
	return report_result();
}
