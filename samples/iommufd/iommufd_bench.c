// SPDX-License-Identifier: GPL-2.0-only
/*
 * How fast iommufd maps, copies and pins user memory, and how much kernel
 * memory a pinned page costs.
 *
 * Without arguments this is a smoke test: every measurement runs once,
 * with the smallest buffer, and every call must succeed; no time is
 * judged.  With --measure it measures, and 'make bench' runs it so on our
 * kernel and on the base tree's stock iommufd and compares the two.
 *
 * What runs depends on the machine.  Without a hardware IOMMU (q35) the
 * mock IOMMU of CONFIG_IOMMUFD_TEST provides the domains:
 *   map     IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP, 0, 1 and 2 mock domains;
 *   copy    IOMMU_IOAS_COPY of a pinned mapping into a second IOAS with 0
 *           or 1 domains, + IOMMU_IOAS_UNMAP of the copy;
 *   access  an emulated access pins and unpins a mapped range
 *           (IOMMU_TEST_OP_ACCESS_PAGES + DESTROY_ACCESS_PAGES);
 *   memory  kernel memory per pinned page with 1 and 2 domains, and of an
 *           access's pins with no domain (only iommufd keeps the pages);
 * and, through a vIOMMU of the mock driver (IOMMU_VIOMMU_TYPE_SELFTEST),
 * rows that count items instead of bytes:
 *   invalidate  IOMMU_HWPT_INVALIDATE on the vIOMMU, 1, 16 and 256 entries
 *               a call, each naming the vDEVICE of a mock device;
 *   vevent      the mock device, attached to a nested HWPT of the vIOMMU,
 *               reports 1 or 64 events (IOMMU_TEST_OP_TRIGGER_VEVENT), and
 *               one read() of the vEVENTQ takes them all, every header and
 *               event checked.
 * A kernel without vIOMMUs (stock 6.12: IOMMU_VIOMMU_ALLOC is ENOTTY, and
 * its headers lack the types) skips these rows, which have no counterpart
 * there.
 * With QEMU's edu device behind an emulated IOMMU (q35-vtd, q35-amd,
 * q35-virtio), edu is handed to vfio-pci:
 *   map     IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP with edu bound through its
 *           VFIO cdev and attached to the IOAS (automatic domain), or to
 *           a HWPT of its own; and VFIO_IOMMU_MAP_DMA + UNMAP_DMA on VFIO's
 *           type1 container with the same device and buffers;
 *   memory  kernel memory per pinned page, iommufd and type1.
 *
 * Buffers are backed by 4 KiB pages (THP off), transparent huge pages, or
 * hugetlbfs pages, and are faulted in before anything is measured, so
 * that the times are those of iommufd and not of the page allocator; in
 * an order that makes every physically contiguous run exactly one page of
 * the backing, so that both kernels map the same runs.
 *
 * Timing: a row (one operation, path, buffer and size) is a number of
 * operations that map about SAMPLE_BYTES.  Every row runs once to warm up,
 * then SAMPLES rounds run every row once each, so that a disturbance of
 * the machine spreads over all rows instead of spoiling a few; the median
 * round of each row is reported.  Each round enters every phase afresh
 * (a new iommufd context, the device bound and attached again), which is
 * also what lets the edu paths take turns on the one device.
 *
 * Every result is one line for the harness (harness/pipeline/bench/parse.py):
 *   @bench time section=S path=P backing=B bytes=N domains=D ns=T
 *          do_ns=T undo_ns=T samples=K ops=O spread=PCT all_ns=T,...
 *          all_do_ns=T,... all_gauge_ns=G,...
 *     T: nanoseconds per operation, in the median sample and in each
 *     sample (do: map, copy or pin; undo: unmap or unpin); spread:
 *     (slowest - fastest) / median.  G: nanoseconds a fixed loop took
 *     around each sample (the slower of before and after): how fast the
 *     guest's CPU ran then.  Rows that count items have items=N (entries
 *     or events per operation) instead of backing, bytes and domains; an
 *     invalidation has no undo (undo_ns=0), a vEVENTQ row's do is the
 *     triggering and its undo the read.
 *   @bench mem path=P backing=B domains=D bytes=N copies=C pages=N
 *          free=X slab=X sec_pagetables=X vmalloc=X reps=K
 *     X: bytes the kernel took while C mappings of the N-byte buffer
 *     existed, at consecutive IOVAs (median of K rounds): the drop of
 *     MemFree, and the growth of Slab, SecPageTables (IOMMU page tables)
 *     and VmallocUsed in /proc/meminfo.  pages: 4 KiB pages mapped in all.
 *   @bench info backing=B bytes=N runs=R [huge_bytes=N]
 *     R: physically contiguous runs of the buffer (-1: unknown).
 *   @bench skip S,... reason
 *     The rows of sections S (or section:path, the rows of one path) did
 *     not run on this kernel, which lacks what they measure (the reason, in
 *     words, to the end of the line); not an error.
 *   @bench error ...    @bench done errors=N
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#include "edu_vfio.h"
/* The test command of CONFIG_IOMMUFD_TEST: the header of the tree built */
#include "../../drivers/iommu/iommufd/iommufd_test.h"

#define ARRAY_SIZE(array)	(sizeof(array) / sizeof((array)[0]))

#define KIB			1024UL
#define MIB			(1024 * KIB)
#define HUGE_PAGE_BYTES		(2 * MIB)
#define CPU_PAGE_BYTES		(4 * KIB)

/*
 * IOVAs inside the mock aperture (16 MiB - 2 GiB) and, 2 MiB aligned,
 * where the emulated IOMMUs can use 2 MiB pages when the memory allows.
 */
#define IOVA_BUFFER		0x10000000ULL
#define IOVA_COPY		0x20000000ULL

#define SAMPLES			5
/* Each sample maps about this much, so small rows are timed in bulk */
#define SAMPLE_BYTES		(32 * MIB)
#define MAX_OPS_PER_SAMPLE	1024
/* ... and rows that count items (entries, events) handle about this many */
#define SAMPLE_ITEMS		16384
#define MEMORY_REPS		3
/*
 * The memory measurement maps the same buffer this often at consecutive
 * IOVAs: the growth then dwarfs what a slab cache had free already.
 */
#define MEMORY_BYTES		(1024 * MIB)
#define MAX_COPIES		64
#define SMOKE_COPIES		2
/* Long enough for the RCU-deferred frees of the last unmap to be done */
#define SETTLE_NS		200000000L
/*
 * Before timing, after a phase or a row set up what it needs: the frees
 * that setting up deferred run now, not inside the next measurement.
 */
#define QUIET_NS		20000000L
/*
 * Iterations of the loop that gauges the guest's CPU around each sample:
 * well under a millisecond under TCG, so that it costs little and yet is
 * long enough to see the host take the CPU away.
 */
#define GAUGE_LOOPS		100000UL
/* The selftest access refuses larger pins */
#define ACCESS_MAX_BYTES	(16 * MIB)

enum backing { BACKING_4K, BACKING_THP, BACKING_HUGETLB, NR_BACKINGS };

static const char *const backing_names[NR_BACKINGS] = {
	[BACKING_4K] = "4k",
	[BACKING_THP] = "thp",
	[BACKING_HUGETLB] = "hugetlb",
};

static const size_t measure_sizes[] = {
	64 * KIB, 256 * KIB, 1 * MIB, 2 * MIB, 8 * MIB, 32 * MIB, 128 * MIB,
};

static const size_t smoke_sizes[] = { 64 * KIB };

/* What one run does: --measure, or the smoke test */
struct run_mode {
	bool measure;
	const size_t *sizes;
	unsigned int nr_sizes;
	unsigned int samples;
	unsigned int memory_reps;
};

static struct run_mode mode;
static void *buffers[NR_BACKINGS];
static unsigned int errors;

/*
 * Everything an operation works on.  Which members matter depends on the
 * operation: the IOAS (and the copy's destination), the access file, or
 * the type1 container.  The buffer goes to IOVA_BUFFER, or, for the
 * memory measurement's copy number @copy, @copy buffer sizes above it.
 */
struct target {
	int iommufd;
	__u32 ioas_id;
	__u32 copy_ioas_id;
	int access_fd;
	__u32 access_pin_ids[MAX_COPIES];
	int container_fd;
	void *buffer;
	unsigned int copy;
	__u64 iova;
	/* The vIOMMU rows: its mock device, the vEVENTQ, the next event's number */
	__u32 idev_id;
	__u32 viommu_id;
	int veventq_fd;
	__u32 next_sequence;
};

/*
 * One measured operation: do_op() maps, copies or pins @bytes of
 * target->buffer, undo_op() takes that back.  setup() and teardown()
 * bracket each sample, for what the operation needs in place (the
 * mapping a copy or an access works on); they are not timed.
 *
 * An operation on items has @items: its rows are the item counts there,
 * one row each (no buffer), and @bytes is the number of items instead.
 * Such an operation may have nothing to undo (no undo_op).
 */
struct operation {
	const char *section;
	const char *do_name;
	const char *undo_name;
	int (*setup)(struct target *target, size_t bytes);
	int (*do_op)(struct target *target, size_t bytes);
	int (*undo_op)(struct target *target, size_t bytes);
	void (*teardown)(struct target *target, size_t bytes);
	const size_t *items;
	unsigned int nr_items;
};

struct edu {
	char bdf[256];
	char group[32];
};

/*
 * Rows that share a target: one operation on one path, every buffer and
 * size up to @max_bytes.  enter() makes the target ready (a fresh iommufd
 * context with its domains, or the device bound and attached) and returns
 * false, reported, if it could not; leave() closes whatever it opened.
 */
struct phase {
	const char *path;
	unsigned int domains;
	const struct operation *op;
	size_t max_bytes;
	bool (*enter)(struct phase *phase);
	void (*leave)(struct phase *phase);
	struct edu *edu;
	/* Set by enter(): the target, and a device cdev or group to close */
	struct target target;
	int fd;
	bool broken;
};

struct row {
	struct phase *phase;
	enum backing backing;
	/* Bytes of the buffer, or items, per operation */
	size_t size;
	unsigned int ops;
	bool failed;
	__u64 do_ns[SAMPLES];
	__u64 undo_ns[SAMPLES];
	/* The slower gauge of the guest's CPU, before and after the sample */
	__u64 gauge_ns[SAMPLES];
};

/* Report a failed call with errno; the exit code counts them */
static bool failed(const char *what)
{
	printf("@bench error %s: %s\n", what, strerror(errno));
	errors++;
	return false;
}

static __u64 now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (__u64)now.tv_sec * 1000000000ULL + now.tv_nsec;
}

/* ---- /proc/meminfo ---------------------------------------------------------- */

/* @field of /proc/meminfo in bytes, or -1 if this kernel does not have it */
static long long meminfo_bytes(const char *field)
{
	size_t field_len = strlen(field);
	long long kib = -1;
	char line[256];
	FILE *meminfo;

	meminfo = fopen("/proc/meminfo", "r");
	if (!meminfo)
		return -1;
	while (fgets(line, sizeof(line), meminfo)) {
		if (!strncmp(line, field, field_len) &&
		    line[field_len] == ':') {
			kib = strtoll(line + field_len + 1, NULL, 10);
			break;
		}
	}
	fclose(meminfo);
	return kib < 0 ? -1 : kib * 1024;
}

struct memory_snapshot {
	long long free;
	long long slab;
	long long sec_pagetables;
	long long vmalloc;
};

/*
 * The counters behind /proc/meminfo lag behind by up to a per-CPU
 * threshold; stat_refresh folds the per-CPU differences in first.
 */
static void take_snapshot(struct memory_snapshot *snapshot)
{
	write_sysfs("/proc/sys/vm/stat_refresh", "1");
	snapshot->free = meminfo_bytes("MemFree");
	snapshot->vmalloc = meminfo_bytes("VmallocUsed");
	snapshot->slab = meminfo_bytes("Slab");
	snapshot->sec_pagetables = meminfo_bytes("SecPageTables");
}

/* ---- Buffers ---------------------------------------------------------------- */

/*
 * hugetlbfs pages come from the pool the kernel command line reserves;
 * grow it if the buffer needs more than are free.
 */
static void reserve_hugetlb_pages(size_t bytes)
{
	long long free_pages = meminfo_bytes("HugePages_Free") / 1024;
	long long total_pages = meminfo_bytes("HugePages_Total") / 1024;
	long long wanted = bytes / HUGE_PAGE_BYTES;
	char text[32];

	if (free_pages < 0 || free_pages >= wanted)
		return;
	snprintf(text, sizeof(text), "%lld",
		 total_pages + wanted - free_pages);
	if (write_sysfs("/proc/sys/vm/nr_hugepages", text))
		printf("# could not grow the hugetlbfs pool to %s pages\n", text);
}

/*
 * Fault the buffer in every other @unit first, then the rest: neighbours
 * come from allocations far apart, so no two neighbouring pages are
 * physically contiguous and every run an IOMMU could map at once is one
 * page of the backing.  A page allocator fresh from boot hands out
 * consecutive pages by chance, more in one boot than in another; this
 * makes the buffers the same in every boot.
 */
static void fault_in(char *buffer, size_t bytes, size_t unit)
{
	size_t offset;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (offset = pass * unit; offset < bytes; offset += 2 * unit)
			buffer[offset] = 1;
	memset(buffer, 0x5a, bytes);
}

#define PAGEMAP_PFN_MASK	((1ULL << 55) - 1)
#define PAGEMAP_BATCH		512

/*
 * How many physically contiguous runs of pages the buffer is, from
 * /proc/self/pagemap; -1 where the PFNs cannot be read.
 */
static long physical_runs(const char *buffer, size_t bytes)
{
	__u64 entries[PAGEMAP_BATCH], prev_pfn = 0;
	size_t first = (uintptr_t)buffer / CPU_PAGE_BYTES;
	size_t pages = bytes / CPU_PAGE_BYTES, page = 0, i;
	long runs = 0;
	ssize_t got;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -1;
	while (runs >= 0 && page < pages) {
		got = pread(fd, entries, sizeof(entries),
			    (first + page) * sizeof(entries[0]));
		if (got < (ssize_t)sizeof(entries[0])) {
			runs = -1;
			break;
		}
		for (i = 0; i < got / sizeof(entries[0]) && page < pages;
		     i++, page++) {
			__u64 pfn = entries[i] & PAGEMAP_PFN_MASK;

			if (!pfn) {
				runs = -1;
				break;
			}
			if (!page || pfn != prev_pfn + 1)
				runs++;
			prev_pfn = pfn;
		}
	}
	close(fd);
	return runs;
}

/*
 * A buffer of @bytes, 2 MiB aligned so that huge pages line up with
 * IOVA_BUFFER, faulted in.
 */
static void *alloc_buffer(enum backing backing, size_t bytes)
{
	size_t unit = backing == BACKING_4K ? CPU_PAGE_BYTES : HUGE_PAGE_BYTES;
	long long huge_before, huge_after;
	uintptr_t aligned;
	void *addr;

	if (backing == BACKING_HUGETLB) {
		reserve_hugetlb_pages(bytes);
		addr = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (addr == MAP_FAILED)
			return NULL;
		aligned = (uintptr_t)addr;
	} else {
		addr = mmap(NULL, bytes + HUGE_PAGE_BYTES,
			    PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (addr == MAP_FAILED)
			return NULL;
		aligned = ((uintptr_t)addr + HUGE_PAGE_BYTES - 1) &
			  ~(uintptr_t)(HUGE_PAGE_BYTES - 1);
		if (madvise((void *)aligned, bytes,
			    backing == BACKING_THP ? MADV_HUGEPAGE :
						     MADV_NOHUGEPAGE))
			printf("# madvise for the %s buffer: %s\n",
			       backing_names[backing], strerror(errno));
	}
	huge_before = meminfo_bytes("AnonHugePages");
	fault_in((char *)aligned, bytes, unit);
	huge_after = meminfo_bytes("AnonHugePages");
	printf("@bench info backing=%s bytes=%zu runs=%ld",
	       backing_names[backing], bytes,
	       physical_runs((char *)aligned, bytes));
	if (backing == BACKING_THP)
		printf(" huge_bytes=%lld", huge_after - huge_before);
	printf("\n");
	return (void *)aligned;
}

/* Whole huge pages, so that even the smoke test's buffers can have THPs */
static bool alloc_buffers(size_t bytes)
{
	size_t rounded = (bytes + HUGE_PAGE_BYTES - 1) & ~(HUGE_PAGE_BYTES - 1);
	enum backing backing;

	for (backing = 0; backing < NR_BACKINGS; backing++) {
		buffers[backing] = alloc_buffer(backing, rounded);
		if (!buffers[backing]) {
			printf("# cannot allocate the %s buffer\n",
			       backing_names[backing]);
			return failed("mmap");
		}
	}
	return true;
}

/* ---- Measuring -------------------------------------------------------------- */

static int compare_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static int compare_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static void pause_ns(long ns)
{
	struct timespec pause = { .tv_nsec = ns };

	nanosleep(&pause, NULL);
}

/*
 * A fixed piece of CPU work, timed.  Under TCG the guest runs only while
 * the host gives its QEMU threads a CPU, and anything else busy on the
 * host slows every operation of the guest for a while.  The harness uses
 * this to tell the samples taken at full speed from the others.
 */
static __u64 cpu_gauge_ns(void)
{
	unsigned long i, sink = 0;
	__u64 start = now_ns();

	for (i = 0; i < GAUGE_LOOPS; i++) {
		sink += i;
		/* An empty barrier: the compiler may not fold the loop away */
		asm volatile("" : "+r" (sink));
	}
	return now_ns() - start;
}

/* Small rows repeat within a sample, so every sample takes about as long */
static unsigned int ops_per_sample(const struct operation *op, size_t size)
{
	size_t ops = (op->items ? SAMPLE_ITEMS : SAMPLE_BYTES) / size;

	if (!mode.measure || !ops)
		return 1;
	return ops > MAX_OPS_PER_SAMPLE ? MAX_OPS_PER_SAMPLE : ops;
}

/* One do + undo, if there is one; false (reported) if either failed */
static bool do_and_undo(const struct operation *op, struct target *target,
			size_t bytes, __u64 *do_ns, __u64 *undo_ns)
{
	__u64 start = now_ns(), middle;

	if (op->do_op(target, bytes))
		return failed(op->do_name);
	middle = now_ns();
	*do_ns += middle - start;
	if (!op->undo_op)
		return true;
	if (op->undo_op(target, bytes))
		return failed(op->undo_name);
	*undo_ns += now_ns() - middle;
	return true;
}

/* One sample of @row into @sample; a negative @sample warms up only */
static void sample_row(struct row *row, int sample)
{
	const struct operation *op = row->phase->op;
	struct target *target = &row->phase->target;
	__u64 do_ns = 0, undo_ns = 0, gauge_before, gauge_after;
	unsigned int i;

	target->buffer = buffers[row->backing];
	target->copy = 0;
	target->iova = IOVA_BUFFER;
	if (op->setup) {
		if (op->setup(target, row->size)) {
			row->failed = !failed("setup of a row");
			return;
		}
		pause_ns(QUIET_NS);
	}
	gauge_before = cpu_gauge_ns();
	for (i = 0; i < row->ops && !row->failed; i++)
		row->failed = !do_and_undo(op, target, row->size, &do_ns,
					   &undo_ns);
	gauge_after = cpu_gauge_ns();
	if (op->teardown)
		op->teardown(target, row->size);
	if (sample >= 0) {
		row->do_ns[sample] = do_ns;
		row->undo_ns[sample] = undo_ns;
		row->gauge_ns[sample] = gauge_before > gauge_after ?
					gauge_before : gauge_after;
	}
}

/* @values (per sample, for @ops operations) as a list per operation */
static void print_list(const char *name, const __u64 *values,
		       unsigned int ops)
{
	unsigned int sample;

	printf(" %s=", name);
	for (sample = 0; sample < mode.samples; sample++)
		printf("%s%llu", sample ? "," : "",
		       (unsigned long long)(values[sample] / ops));
}

/* The median sample, its split into do and undo, and every sample */
static void report_row(const struct row *row)
{
	unsigned int sample, median = 0, n = mode.samples;
	__u64 total[SAMPLES], sorted[SAMPLES];
	double spread;

	for (sample = 0; sample < n; sample++) {
		total[sample] = row->do_ns[sample] + row->undo_ns[sample];
		sorted[sample] = total[sample];
	}
	qsort(sorted, n, sizeof(sorted[0]), compare_u64);
	for (sample = 0; sample < n; sample++)
		if (total[sample] == sorted[n / 2])
			median = sample;
	spread = total[median] ?
		 100.0 * (sorted[n - 1] - sorted[0]) / total[median] : 0;
	printf("@bench time section=%s path=%s", row->phase->op->section,
	       row->phase->path);
	if (row->phase->op->items)
		printf(" items=%zu", row->size);
	else
		printf(" backing=%s bytes=%zu domains=%u",
		       backing_names[row->backing], row->size,
		       row->phase->domains);
	printf(" ns=%llu do_ns=%llu undo_ns=%llu samples=%u ops=%u spread=%.1f",
	       (unsigned long long)(total[median] / row->ops),
	       (unsigned long long)(row->do_ns[median] / row->ops),
	       (unsigned long long)(row->undo_ns[median] / row->ops), n,
	       row->ops, spread);
	print_list("all_ns", total, row->ops);
	print_list("all_do_ns", row->do_ns, row->ops);
	print_list("all_gauge_ns", row->gauge_ns, 1);
	printf("\n");
}

/* At most how many rows @phase has */
static unsigned int max_rows(const struct phase *phase)
{
	return phase->op->items ? phase->op->nr_items :
				  NR_BACKINGS * mode.nr_sizes;
}

static unsigned int add_rows(struct row *rows, struct phase *phase)
{
	const struct operation *op = phase->op;
	unsigned int nr_rows = 0, i;
	enum backing backing;

	for (i = 0; op->items && i < op->nr_items; i++)
		rows[nr_rows++] = (struct row) {
			.phase = phase,
			.size = op->items[i],
			.ops = ops_per_sample(op, op->items[i]),
		};
	for (backing = 0; !op->items && backing < NR_BACKINGS; backing++)
		for (i = 0; i < mode.nr_sizes; i++) {
			if (mode.sizes[i] > phase->max_bytes)
				continue;
			rows[nr_rows++] = (struct row) {
				.phase = phase,
				.backing = backing,
				.size = mode.sizes[i],
				.ops = ops_per_sample(op, mode.sizes[i]),
			};
		}
	return nr_rows;
}

/* Enter @phase; a phase that cannot be entered once is not tried again */
static bool enter_phase(struct phase *phase)
{
	phase->target = (struct target) {
		.iommufd = -1, .access_fd = -1, .container_fd = -1,
		.veventq_fd = -1,
	};
	phase->fd = -1;
	if (!phase->broken && !phase->enter(phase))
		phase->broken = true;
	pause_ns(QUIET_NS);
	return !phase->broken;
}

/*
 * Every row of @phases: a warm-up round, then mode.samples rounds in
 * which every phase is entered, runs each of its rows once, and is left.
 */
static void measure_phases(struct phase *phases, unsigned int nr_phases)
{
	unsigned int nr_rows = 0, room = 0, i, p;
	struct row *rows;
	int sample;

	for (p = 0; p < nr_phases; p++)
		room += max_rows(&phases[p]);
	rows = calloc(room, sizeof(*rows));
	if (!rows) {
		failed("calloc");
		return;
	}
	for (p = 0; p < nr_phases; p++)
		nr_rows += add_rows(rows + nr_rows, &phases[p]);

	for (sample = mode.measure ? -1 : 0; sample < (int)mode.samples;
	     sample++) {
		for (p = 0; p < nr_phases; p++) {
			bool entered = enter_phase(&phases[p]);

			for (i = 0; i < nr_rows; i++) {
				if (rows[i].phase != &phases[p])
					continue;
				rows[i].failed |= !entered;
				if (!rows[i].failed)
					sample_row(&rows[i], sample);
			}
			phases[p].leave(&phases[p]);
		}
	}
	for (i = 0; i < nr_rows; i++)
		if (!rows[i].failed)
			report_row(&rows[i]);
	free(rows);
}

/* ---- Kernel memory per pinned page -------------------------------------------- */

static void select_copy(struct target *target, unsigned int copy,
			size_t bytes)
{
	target->copy = copy;
	target->iova = IOVA_BUFFER + (__u64)copy * bytes;
}

/* @step on copies [0, @copies); returns how many succeeded, in order */
static unsigned int on_copies(int (*step)(struct target *target, size_t bytes),
			      struct target *target, size_t bytes,
			      unsigned int copies)
{
	unsigned int copy;

	for (copy = 0; copy < copies; copy++) {
		select_copy(target, copy, bytes);
		if (step && step(target, bytes))
			break;
	}
	return copy;
}

static void teardown_copies(const struct operation *op, struct target *target,
			    size_t bytes, unsigned int copies)
{
	unsigned int copy;

	for (copy = 0; op->teardown && copy < copies; copy++) {
		select_copy(target, copy, bytes);
		op->teardown(target, bytes);
	}
}

/*
 * Kernel memory taken while @copies mappings (or pins) of the same
 * faulted-in buffer exist, at consecutive IOVAs: the user pages exist
 * already, so what the kernel allocates is the mappings' bookkeeping,
 * page lists and IOMMU page tables.  Returns false if a call failed.
 */
static bool memory_rep(const struct operation *op, struct target *target,
		       size_t bytes, unsigned int copies,
		       struct memory_snapshot *growth)
{
	struct memory_snapshot before = {}, during = {};
	unsigned int done, undone, set_up;
	bool ok;

	set_up = on_copies(op->setup, target, bytes, copies);
	ok = set_up == copies || failed("setup of the memory measurement");
	if (ok) {
		pause_ns(SETTLE_NS);
		take_snapshot(&before);
		done = on_copies(op->do_op, target, bytes, copies);
		take_snapshot(&during);
		ok = done == copies ||
		     failed("mapping for the memory measurement");
		undone = on_copies(op->undo_op, target, bytes, done);
		ok = (undone == done ||
		      failed("unmapping after the memory measurement")) && ok;
	}
	teardown_copies(op, target, bytes, set_up);
	growth->free = before.free - during.free;
	growth->slab = during.slab - before.slab;
	/* Kernels without a counter read -1 twice: no growth */
	growth->sec_pagetables = during.sec_pagetables - before.sec_pagetables;
	growth->vmalloc = during.vmalloc - before.vmalloc;
	return ok;
}

static long long median_of(long long *values, unsigned int count)
{
	qsort(values, count, sizeof(values[0]), compare_ll);
	return values[count / 2];
}

/*
 * Each round in a freshly entered phase: an IOMMU driver may keep page
 * tables an unmap left empty (VT-d does, unless an unmap covers a whole
 * table), which a second round in the same domain would not count.
 */
static void measure_memory(struct phase *phase, const char *path,
			   enum backing backing, size_t bytes)
{
	long long free_drop[MEMORY_REPS], slab_growth[MEMORY_REPS];
	long long table_growth[MEMORY_REPS], vmalloc_growth[MEMORY_REPS];
	unsigned int rep, reps = mode.memory_reps, copies = SMOKE_COPIES;
	struct target *target = &phase->target;
	struct memory_snapshot growth;
	bool ok = true;

	if (mode.measure)
		copies = MEMORY_BYTES / bytes;
	if (copies > MAX_COPIES)
		copies = MAX_COPIES;
	for (rep = 0; rep < reps && ok; rep++) {
		ok = enter_phase(phase);
		target->buffer = buffers[backing];
		ok = ok && memory_rep(phase->op, target, bytes, copies, &growth);
		phase->leave(phase);
		free_drop[rep] = growth.free;
		slab_growth[rep] = growth.slab;
		table_growth[rep] = growth.sec_pagetables;
		vmalloc_growth[rep] = growth.vmalloc;
	}
	if (!ok)
		return;
	printf("@bench mem path=%s backing=%s domains=%u bytes=%zu copies=%u pages=%zu",
	       path, backing_names[backing], phase->domains, bytes, copies,
	       copies * bytes / CPU_PAGE_BYTES);
	printf(" free=%lld slab=%lld sec_pagetables=%lld vmalloc=%lld reps=%u\n",
	       median_of(free_drop, reps), median_of(slab_growth, reps),
	       median_of(table_growth, reps), median_of(vmalloc_growth, reps),
	       reps);
}

/* Each backing, with the largest size @phase's rows use */
static void measure_memory_of(struct phase *phase, const char *path)
{
	size_t bytes = mode.sizes[mode.nr_sizes - 1];
	enum backing backing;

	if (bytes > phase->max_bytes)
		bytes = phase->max_bytes;
	for (backing = 0; backing < NR_BACKINGS; backing++)
		measure_memory(phase, path, backing, bytes);
}

/* ---- Operations: iommufd ---------------------------------------------------- */

static int ioas_map(struct target *target, size_t bytes)
{
	return iommufd_map_fixed(target->iommufd, target->ioas_id,
				 target->buffer, bytes, target->iova);
}

static int unmap_exactly(int iommufd, __u32 ioas_id, __u64 iova, size_t bytes)
{
	__u64 unmapped = 0;

	if (iommufd_unmap(iommufd, ioas_id, iova, bytes, &unmapped))
		return -1;
	if (unmapped != bytes) {
		errno = EIO;
		return -1;
	}
	return 0;
}

static int ioas_unmap(struct target *target, size_t bytes)
{
	return unmap_exactly(target->iommufd, target->ioas_id, target->iova,
			     bytes);
}

static void ioas_unmap_quietly(struct target *target, size_t bytes)
{
	if (ioas_unmap(target, bytes))
		failed("IOMMU_IOAS_UNMAP after the row");
}

static int ioas_copy(struct target *target, size_t bytes)
{
	struct iommu_ioas_copy copy = {
		.size = sizeof(copy),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.dst_ioas_id = target->copy_ioas_id,
		.src_ioas_id = target->ioas_id,
		.length = bytes,
		.dst_iova = IOVA_COPY,
		.src_iova = target->iova,
	};

	return ioctl(target->iommufd, IOMMU_IOAS_COPY, &copy);
}

static int ioas_unmap_copy(struct target *target, size_t bytes)
{
	return unmap_exactly(target->iommufd, target->copy_ioas_id, IOVA_COPY,
			     bytes);
}

/* The selftest access pins for writing; no user pointer skips its check */
static int access_pin(struct target *target, size_t bytes)
{
	struct iommu_test_cmd pin = {
		.size = sizeof(pin),
		.op = IOMMU_TEST_OP_ACCESS_PAGES,
		.id = target->access_fd,
		.access_pages = {
			.flags = MOCK_FLAGS_ACCESS_WRITE,
			.iova = target->iova,
			.length = bytes,
		},
	};
	int rc = ioctl(target->iommufd, IOMMU_TEST_CMD, &pin);

	target->access_pin_ids[target->copy] =
		pin.access_pages.out_access_pages_id;
	return rc;
}

static int access_unpin(struct target *target, size_t bytes)
{
	/* The pin's ID names its range */
	(void)bytes;
	struct iommu_test_cmd unpin = {
		.size = sizeof(unpin),
		.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
		.id = target->access_fd,
		.destroy_access_pages.access_pages_id =
			target->access_pin_ids[target->copy],
	};

	return ioctl(target->iommufd, IOMMU_TEST_CMD, &unpin);
}

static const struct operation map_operation = {
	.section = "map",
	.do_name = "IOMMU_IOAS_MAP",
	.undo_name = "IOMMU_IOAS_UNMAP",
	.do_op = ioas_map,
	.undo_op = ioas_unmap,
};

static const struct operation copy_operation = {
	.section = "copy",
	.do_name = "IOMMU_IOAS_COPY",
	.undo_name = "IOMMU_IOAS_UNMAP of the copy",
	.setup = ioas_map,
	.do_op = ioas_copy,
	.undo_op = ioas_unmap_copy,
	.teardown = ioas_unmap_quietly,
};

static const struct operation access_operation = {
	.section = "access",
	.do_name = "IOMMU_TEST_OP_ACCESS_PAGES",
	.undo_name = "IOMMU_TEST_OP_DESTROY_ACCESS_PAGES",
	.setup = ioas_map,
	.do_op = access_pin,
	.undo_op = access_unpin,
	.teardown = ioas_unmap_quietly,
};

static int type1_map(struct target *target, size_t bytes)
{
	return vfio_type1_map(target->container_fd, target->buffer,
			      target->iova, bytes);
}

static int type1_unmap(struct target *target, size_t bytes)
{
	__u64 unmapped;

	if (vfio_type1_unmap(target->container_fd, target->iova, bytes,
			     &unmapped))
		return -1;
	if (unmapped != bytes) {
		errno = EIO;
		return -1;
	}
	return 0;
}

static const struct operation type1_operation = {
	.section = "map",
	.do_name = "VFIO_IOMMU_MAP_DMA",
	.undo_name = "VFIO_IOMMU_UNMAP_DMA",
	.do_op = type1_map,
	.undo_op = type1_unmap,
};

/* The device file first: only its closing takes the device out of iommufd */
static void leave_phase(struct phase *phase)
{
	struct target *target = &phase->target;

	if (phase->fd >= 0)
		close(phase->fd);
	if (target->container_fd >= 0)
		close(target->container_fd);
	if (target->access_fd >= 0)
		close(target->access_fd);
	if (target->veventq_fd >= 0)
		close(target->veventq_fd);
	if (target->iommufd >= 0)
		close(target->iommufd);
	phase->fd = -1;
	target->container_fd = -1;
	target->access_fd = -1;
	target->veventq_fd = -1;
	target->iommufd = -1;
}

/* ---- The mock IOMMU ----------------------------------------------------------- */

/*
 * A mock device attached to @ioas_id: its first domain (an automatic one).
 * *@idev_id: its iommufd device; *@stdev_id, unless NULL: the selftest
 * object that stands for the mock device.
 */
static int mock_device_add(int iommufd, __u32 ioas_id, __u32 *idev_id,
			   __u32 *stdev_id)
{
	struct iommu_test_cmd add = {
		.size = sizeof(add),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = ioas_id,
	};
	int rc = ioctl(iommufd, IOMMU_TEST_CMD, &add);

	*idev_id = add.mock_domain.out_idev_id;
	if (stdev_id)
		*stdev_id = add.mock_domain.out_stdev_id;
	return rc;
}

/*
 * A fresh iommufd context with an IOAS and @domains mock domains linked to
 * it.  Mock devices attached to one IOAS share its automatic domain, so
 * further domains are HWPTs allocated for the first device.
 */
static bool mock_context(struct target *target, unsigned int domains)
{
	__u32 idev_id, hwpt_id;
	unsigned int i;

	target->iommufd = open("/dev/iommu", O_RDWR);
	if (target->iommufd < 0)
		return failed("open /dev/iommu");
	if (iommufd_ioas_alloc(target->iommufd, &target->ioas_id))
		return failed("IOMMU_IOAS_ALLOC");
	if (!domains)
		return true;
	if (mock_device_add(target->iommufd, target->ioas_id, &idev_id, NULL))
		return failed("IOMMU_TEST_OP_MOCK_DOMAIN");
	for (i = 1; i < domains; i++)
		if (iommufd_hwpt_alloc(target->iommufd, idev_id,
				       target->ioas_id, &hwpt_id))
			return failed("IOMMU_HWPT_ALLOC for a mock device");
	return true;
}

static bool enter_mock_map(struct phase *phase)
{
	return mock_context(&phase->target, phase->domains);
}

/* The source IOAS has a domain, so the pages are pinned before the copy */
static bool enter_mock_copy(struct phase *phase)
{
	struct target *target = &phase->target;
	__u32 idev_id;

	if (!mock_context(target, 1))
		return false;
	if (iommufd_ioas_alloc(target->iommufd, &target->copy_ioas_id))
		return failed("IOMMU_IOAS_ALLOC");
	if (phase->domains && mock_device_add(target->iommufd,
					      target->copy_ioas_id, &idev_id,
					      NULL))
		return failed("IOMMU_TEST_OP_MOCK_DOMAIN");
	return true;
}

static bool enter_mock_access(struct phase *phase)
{
	struct target *target = &phase->target;
	struct iommu_test_cmd create = {
		.size = sizeof(create),
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.create_access.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
	};

	if (!mock_context(target, phase->domains))
		return false;
	create.id = target->ioas_id;
	if (ioctl(target->iommufd, IOMMU_TEST_CMD, &create))
		return failed("IOMMU_TEST_OP_CREATE_ACCESS");
	target->access_fd = create.create_access.out_access_fd;
	return true;
}

static struct phase mock_phase(const struct operation *op,
			       unsigned int domains,
			       bool (*enter)(struct phase *phase),
			       size_t max_bytes)
{
	return (struct phase) {
		.path = "mock",
		.domains = domains,
		.op = op,
		.max_bytes = max_bytes,
		.enter = enter,
		.leave = leave_phase,
	};
}

/* The mock phases, in the order each round runs them */
enum {
	MOCK_MAP_0, MOCK_MAP_1, MOCK_MAP_2, MOCK_COPY_0, MOCK_COPY_1,
	MOCK_ACCESS_0, MOCK_ACCESS_1, NR_MOCK_PHASES
};

static void mock_part(void)
{
	struct phase phases[NR_MOCK_PHASES] = {
		[MOCK_MAP_0] = mock_phase(&map_operation, 0, enter_mock_map,
					  SIZE_MAX),
		[MOCK_MAP_1] = mock_phase(&map_operation, 1, enter_mock_map,
					  SIZE_MAX),
		[MOCK_MAP_2] = mock_phase(&map_operation, 2, enter_mock_map,
					  SIZE_MAX),
		[MOCK_COPY_0] = mock_phase(&copy_operation, 0, enter_mock_copy,
					   SIZE_MAX),
		[MOCK_COPY_1] = mock_phase(&copy_operation, 1, enter_mock_copy,
					   SIZE_MAX),
		[MOCK_ACCESS_0] = mock_phase(&access_operation, 0,
					     enter_mock_access,
					     ACCESS_MAX_BYTES),
		[MOCK_ACCESS_1] = mock_phase(&access_operation, 1,
					     enter_mock_access,
					     ACCESS_MAX_BYTES),
	};

	printf("# mock IOMMU (CONFIG_IOMMUFD_TEST): map with 0, 1, 2 domains, copy, access\n");
	measure_phases(phases, NR_MOCK_PHASES);
	printf("# kernel memory per pinned page: mock domains, access pins\n");
	measure_memory_of(&phases[MOCK_MAP_1], "mock");
	measure_memory_of(&phases[MOCK_MAP_2], "mock");
	/* Without a domain only iommufd itself keeps the access's pages */
	measure_memory_of(&phases[MOCK_ACCESS_0], "access");
}

/* ---- The mock IOMMU's vIOMMU -------------------------------------------------- */

/* The rows of this part, as a skip names them */
#define VIOMMU_SECTIONS		"invalidate,vevent"

/*
 * Built against a kernel's headers without the mock driver's vIOMMU (stock
 * 6.12 has neither vIOMMUs nor vEVENTQs), the program has no such rows.
 */
#if defined(IOMMU_VIOMMU_TYPE_SELFTEST) && defined(IOMMU_VEVENTQ_TYPE_SELFTEST)

/* The ID the guest knows the mock device by on its vIOMMU */
#define VIRT_ID			0x42
#define MAX_INVALIDATE_ENTRIES	256
/* The largest batch of events; the vEVENTQ holds exactly that many */
#define MAX_EVENT_BATCH		64

static const size_t invalidate_entries[] = { 1, 16, MAX_INVALIDATE_ENTRIES };
static const size_t event_batches[] = { 1, MAX_EVENT_BATCH };

/* Every call's entries: the first ones of this array */
static struct iommu_viommu_invalidate_selftest invalidations[MAX_INVALIDATE_ENTRIES];

/*
 * What read() returns of each event of the mock vIOMMU: header, then data,
 * back to back (both are made of __u32s, so the struct has no padding)
 */
struct vevent_record {
	struct iommufd_vevent_header header;
	struct iommu_viommu_event_selftest event;
};

/* Room for one event more than a batch, so that a surplus one shows */
static struct vevent_record records[MAX_EVENT_BATCH + 1];

/*
 * A kernel without vIOMMUs does not know the ioctl at all (ENOTTY); one
 * that has them refuses the empty request for what it is.
 */
static bool viommu_alloc_known(int iommufd)
{
	struct iommu_viommu_alloc probe = { .size = sizeof(probe) };

	return !ioctl(iommufd, IOMMU_VIOMMU_ALLOC, &probe) || errno != ENOTTY;
}

/*
 * A fresh context with a mock device attached to an IOAS, a nesting parent
 * HWPT for it, a vIOMMU on that, and a vDEVICE: the device as the guest
 * knows it, by VIRT_ID.  *@stdev_id: the selftest object of the device.
 */
static bool viommu_context(struct target *target, __u32 *stdev_id)
{
	struct iommu_hwpt_alloc parent = {
		.size = sizeof(parent),
		.flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
		.data_type = IOMMU_HWPT_DATA_NONE,
	};
	struct iommu_viommu_alloc viommu = {
		.size = sizeof(viommu),
		.type = IOMMU_VIOMMU_TYPE_SELFTEST,
	};
	struct iommu_vdevice_alloc vdevice = {
		.size = sizeof(vdevice),
		.virt_id = VIRT_ID,
	};

	if (!mock_context(target, 0))
		return false;
	if (mock_device_add(target->iommufd, target->ioas_id,
			    &target->idev_id, stdev_id))
		return failed("IOMMU_TEST_OP_MOCK_DOMAIN");
	parent.dev_id = target->idev_id;
	parent.pt_id = target->ioas_id;
	if (ioctl(target->iommufd, IOMMU_HWPT_ALLOC, &parent))
		return failed("IOMMU_HWPT_ALLOC of a nesting parent");
	viommu.dev_id = target->idev_id;
	viommu.hwpt_id = parent.out_hwpt_id;
	if (ioctl(target->iommufd, IOMMU_VIOMMU_ALLOC, &viommu))
		return failed("IOMMU_VIOMMU_ALLOC");
	target->viommu_id = viommu.out_viommu_id;
	vdevice.viommu_id = target->viommu_id;
	vdevice.dev_id = target->idev_id;
	if (ioctl(target->iommufd, IOMMU_VDEVICE_ALLOC, &vdevice))
		return failed("IOMMU_VDEVICE_ALLOC");
	return true;
}

static bool enter_viommu(struct phase *phase)
{
	__u32 stdev_id;

	return viommu_context(&phase->target, &stdev_id);
}

/*
 * The device reports events through the vIOMMU whose nested HWPT it is
 * attached to, into the vEVENTQ of their type; numbered from 0.
 */
static bool enter_viommu_events(struct phase *phase)
{
	struct target *target = &phase->target;
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc nested = {
		.size = sizeof(nested),
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};
	struct iommu_test_cmd replace = {
		.size = sizeof(replace),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	};
	struct iommu_veventq_alloc veventq = {
		.size = sizeof(veventq),
		.type = IOMMU_VEVENTQ_TYPE_SELFTEST,
		.veventq_depth = MAX_EVENT_BATCH,
	};

	if (!viommu_context(target, &replace.id))
		return false;
	nested.dev_id = target->idev_id;
	nested.pt_id = target->viommu_id;
	if (ioctl(target->iommufd, IOMMU_HWPT_ALLOC, &nested))
		return failed("IOMMU_HWPT_ALLOC of a nested HWPT on the vIOMMU");
	replace.mock_domain_replace.pt_id = nested.out_hwpt_id;
	if (ioctl(target->iommufd, IOMMU_TEST_CMD, &replace))
		return failed("IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE to the nested HWPT");
	veventq.viommu_id = target->viommu_id;
	if (ioctl(target->iommufd, IOMMU_VEVENTQ_ALLOC, &veventq))
		return failed("IOMMU_VEVENTQ_ALLOC");
	target->veventq_fd = veventq.out_veventq_fd;
	target->next_sequence = 0;
	return true;
}

/* The first @entries of invalidations[], all carried out */
static int viommu_invalidate(struct target *target, size_t entries)
{
	struct iommu_hwpt_invalidate invalidate = {
		.size = sizeof(invalidate),
		.hwpt_id = target->viommu_id,
		.data_uptr = (uintptr_t)invalidations,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
		.entry_len = sizeof(invalidations[0]),
		.entry_num = entries,
	};

	if (ioctl(target->iommufd, IOMMU_HWPT_INVALIDATE, &invalidate))
		return -1;
	if (invalidate.entry_num != entries) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/*
 * After each sample, untimed: the cache entries the calls named were
 * cleared in the device, so the entries reached it through its vDEVICE.
 */
static void check_invalidated(struct target *target, size_t entries)
{
	struct iommu_test_cmd check = {
		.size = sizeof(check),
		.op = IOMMU_TEST_OP_DEV_CHECK_CACHE,
		.id = target->idev_id,
	};
	size_t i;

	for (i = 0; i < entries && i <= MOCK_DEV_CACHE_ID_MAX; i++) {
		check.check_dev_cache.id = invalidations[i].cache_id;
		if (ioctl(target->iommufd, IOMMU_TEST_CMD, &check))
			failed("IOMMU_TEST_OP_DEV_CHECK_CACHE after invalidating");
	}
}

static int vevent_trigger(struct target *target, size_t events)
{
	struct iommu_test_cmd trigger = {
		.size = sizeof(trigger),
		.op = IOMMU_TEST_OP_TRIGGER_VEVENT,
		.trigger_vevent.dev_id = target->idev_id,
	};
	size_t i;

	for (i = 0; i < events; i++)
		if (ioctl(target->iommufd, IOMMU_TEST_CMD, &trigger))
			return -1;
	return 0;
}

/*
 * One read() takes the whole batch: exactly @events events, none lost,
 * numbered on from the last batch, each from the device by its VIRT_ID.
 */
static int vevent_read(struct target *target, size_t events)
{
	ssize_t got = read(target->veventq_fd, records, sizeof(records));
	const struct vevent_record *record;
	size_t i;

	if (got < 0)
		return -1;
	if ((size_t)got != events * sizeof(records[0])) {
		printf("# the vEVENTQ read %zd bytes, not %zu events of %zu\n",
		       got, events, sizeof(records[0]));
		errno = EIO;
		return -1;
	}
	for (i = 0; i < events; i++) {
		record = &records[i];
		if (record->header.flags ||
		    record->header.sequence != target->next_sequence ||
		    record->event.virt_id != VIRT_ID) {
			printf("# event %zu of %zu: flags %#x, sequence %u (not %u),",
			       i, events, record->header.flags,
			       record->header.sequence, target->next_sequence);
			printf(" virt_id %#x (not %#x)\n", record->event.virt_id,
			       VIRT_ID);
			errno = EIO;
			return -1;
		}
		target->next_sequence = (target->next_sequence + 1) & INT_MAX;
	}
	return 0;
}

static const struct operation invalidate_operation = {
	.section = "invalidate",
	.do_name = "IOMMU_HWPT_INVALIDATE of the vIOMMU",
	.do_op = viommu_invalidate,
	.teardown = check_invalidated,
	.items = invalidate_entries,
	.nr_items = ARRAY_SIZE(invalidate_entries),
};

static const struct operation vevent_operation = {
	.section = "vevent",
	.do_name = "IOMMU_TEST_OP_TRIGGER_VEVENT",
	.undo_name = "read() of the vEVENTQ",
	.do_op = vevent_trigger,
	.undo_op = vevent_read,
	.items = event_batches,
	.nr_items = ARRAY_SIZE(event_batches),
};

static struct phase viommu_phase(const struct operation *op,
				 bool (*enter)(struct phase *phase))
{
	return (struct phase) {
		.path = "viommu",
		.op = op,
		.max_bytes = SIZE_MAX,
		.enter = enter,
		.leave = leave_phase,
	};
}

enum { VIOMMU_INVALIDATE, VIOMMU_VEVENT, NR_VIOMMU_PHASES };

static void viommu_part(void)
{
	struct phase phases[NR_VIOMMU_PHASES] = {
		[VIOMMU_INVALIDATE] = viommu_phase(&invalidate_operation,
						   enter_viommu),
		[VIOMMU_VEVENT] = viommu_phase(&vevent_operation,
					       enter_viommu_events),
	};
	unsigned int i;
	bool known;
	int iommufd;

	iommufd = open("/dev/iommu", O_RDWR);
	if (iommufd < 0) {
		failed("open /dev/iommu");
		return;
	}
	known = viommu_alloc_known(iommufd);
	close(iommufd);
	if (!known) {
		printf("@bench skip %s %s\n", VIOMMU_SECTIONS,
		       "this kernel has no IOMMU_VIOMMU_ALLOC (ENOTTY)");
		return;
	}
	/* The entries go round the device's cache */
	for (i = 0; i < MAX_INVALIDATE_ENTRIES; i++)
		invalidations[i] = (struct iommu_viommu_invalidate_selftest) {
			.vdev_id = VIRT_ID,
			.cache_id = i % (MOCK_DEV_CACHE_ID_MAX + 1),
		};
	printf("# mock vIOMMU: IOMMU_HWPT_INVALIDATE of 1, 16, 256 entries;\n");
	printf("# vEVENTQ events in batches of 1, 64\n");
	measure_phases(phases, NR_VIOMMU_PHASES);
}

#else

static void viommu_part(void)
{
	printf("@bench skip %s %s\n", VIOMMU_SECTIONS,
	       "built against a uAPI without the mock driver's vIOMMU and vEVENTQ");
}

#endif

/* ---- edu behind an IOMMU: through iommufd and through VFIO type1 ------------ */

/* edu's cdev bound to a fresh iommufd with an IOAS; *@dev_id: its ID */
static bool open_cdev(struct phase *phase, __u32 *dev_id)
{
	struct target *target = &phase->target;
	char node[1024];

	phase->fd = vfio_cdev_open(phase->edu->bdf, node, sizeof(node));
	if (phase->fd < 0)
		return failed("open the VFIO device cdev");
	target->iommufd = open("/dev/iommu", O_RDWR);
	if (target->iommufd < 0)
		return failed("open /dev/iommu");
	if (vfio_bind_iommufd(phase->fd, target->iommufd, dev_id))
		return failed("VFIO_DEVICE_BIND_IOMMUFD");
	if (iommufd_ioas_alloc(target->iommufd, &target->ioas_id))
		return failed("IOMMU_IOAS_ALLOC");
	return true;
}

static bool enter_cdev_auto(struct phase *phase)
{
	__u32 dev_id, pt_id;

	if (!open_cdev(phase, &dev_id))
		return false;
	pt_id = phase->target.ioas_id;
	if (vfio_attach_pt(phase->fd, &pt_id))
		return failed("VFIO_DEVICE_ATTACH_IOMMUFD_PT to the IOAS");
	return true;
}

static bool enter_cdev_hwpt(struct phase *phase)
{
	__u32 dev_id, hwpt_id;

	if (!open_cdev(phase, &dev_id))
		return false;
	if (iommufd_hwpt_alloc(phase->target.iommufd, dev_id,
			       phase->target.ioas_id, &hwpt_id))
		return failed("IOMMU_HWPT_ALLOC");
	if (vfio_attach_pt(phase->fd, &hwpt_id))
		return failed("VFIO_DEVICE_ATTACH_IOMMUFD_PT to the HWPT");
	return true;
}

/*
 * The legacy way: the group joins a type1 container, whose VFIO_SET_IOMMU
 * makes a domain and attaches the group to it.  It works once the cdev of
 * the previous phase is closed.
 */
static bool enter_type1(struct phase *phase)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct target *target = &phase->target;
	const char *step;
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%s", phase->edu->group);
	phase->fd = open(path, O_RDWR);
	if (phase->fd < 0)
		return failed("open the VFIO group");
	if (ioctl(phase->fd, VFIO_GROUP_GET_STATUS, &status))
		return failed("VFIO_GROUP_GET_STATUS");
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EBUSY;
		return failed("the VFIO group is not viable");
	}
	target->container_fd = vfio_type1_container(phase->fd, &step);
	if (target->container_fd < 0)
		return failed(step);
	return true;
}

static struct phase edu_phase(const char *path, const struct operation *op,
			      bool (*enter)(struct phase *phase),
			      struct edu *edu)
{
	return (struct phase) {
		.path = path,
		.domains = 1,
		.op = op,
		.max_bytes = SIZE_MAX,
		.enter = enter,
		.leave = leave_phase,
		.edu = edu,
	};
}

enum { EDU_AUTO, EDU_HWPT, EDU_TYPE1, NR_EDU_PHASES };

/*
 * Whether a HWPT of its own can hold the device's mappings; if not, why
 * (an errno).  6.12's virtio-iommu driver gives a paging domain its
 * aperture and page sizes at the first attach only, so maps into a HWPT
 * allocated before that fail (our tree patches the driver; stock does
 * not).  Tried with the largest mapping the rows make, from the 4 KiB
 * buffer: a kernel that cannot has no such path, a skip and not an error
 * (the report says which kernel skipped it, and why).
 */
static int hwpt_path_error(struct phase *phase)
{
	size_t bytes = mode.sizes[mode.nr_sizes - 1];
	int error = 0;

	/* A phase that cannot even be entered is the measurement's to report */
	if (enter_phase(phase) &&
	    iommufd_map_fixed(phase->target.iommufd, phase->target.ioas_id,
			      buffers[BACKING_4K], bytes, IOVA_BUFFER))
		error = errno;
	phase->leave(phase);
	return error;
}

static void edu_part(void)
{
	const char *failed_step;
	int hwpt_error;
	char unit[64];
	struct edu edu;
	struct phase phases[NR_EDU_PHASES] = {
		[EDU_AUTO] = edu_phase("auto", &map_operation, enter_cdev_auto,
				       &edu),
		[EDU_HWPT] = edu_phase("hwpt", &map_operation, enter_cdev_hwpt,
				       &edu),
		[EDU_TYPE1] = edu_phase("type1", &type1_operation, enter_type1,
					&edu),
	};

	printf("# QEMU's edu device behind the machine's IOMMU, through its VFIO cdev attached\n");
	printf("# to the IOAS (auto) or to a HWPT of its own (hwpt), and through\n");
	printf("# VFIO's type1 container (type1)\n");
	if (!edu_find(edu.bdf, sizeof(edu.bdf))) {
		errno = ENODEV;
		failed("find edu (PCI 1234:11e8)");
		return;
	}
	failed_step = vfio_pci_take(edu.bdf);
	if (failed_step) {
		failed(failed_step);
		return;
	}
	/* Asked once bound: an IOMMU firmware describes per device takes it then */
	if (!pci_iommu_group(edu.bdf, edu.group, sizeof(edu.group))) {
		errno = ENODEV;
		failed("edu has no IOMMU group");
		vfio_pci_release(edu.bdf);
		return;
	}
	if (pci_iommu_unit(edu.bdf, unit, sizeof(unit)))
		printf("# edu %s, behind IOMMU %s\n", edu.bdf, unit);
	hwpt_error = hwpt_path_error(&phases[EDU_HWPT]);
	if (hwpt_error) {
		printf("@bench skip map:hwpt %s (%s)\n",
		       "a HWPT made before its first attach cannot map",
		       strerror(hwpt_error));
		phases[EDU_HWPT] = phases[EDU_TYPE1];
		measure_phases(phases, NR_EDU_PHASES - 1);
	} else {
		measure_phases(phases, NR_EDU_PHASES);
	}
	printf("# kernel memory per pinned page: iommufd and type1\n");
	measure_memory_of(&phases[EDU_AUTO], "auto");
	measure_memory_of(&phases[EDU_TYPE1], "type1");
	vfio_pci_release(edu.bdf);
}

/* ---- The program ------------------------------------------------------------ */

static void print_usage(const char *program)
{
	fprintf(stderr,
		"usage: %s [--measure] [mock] [edu]\n"
		"  without --measure: a smoke test, every call once, no timing judged\n"
		"  mock: mock IOMMU and vIOMMU rows (q35); edu (or its old name vtd):\n"
		"  edu rows, behind whatever IOMMU the machine has (q35-vtd, q35-amd,\n"
		"  q35-virtio); default: edu where edu is present, else mock\n",
		program);
	exit(2);
}

/*
 * One CPU for the whole run, the last one: device interrupts and most
 * housekeeping of the guest land on the first.
 */
static void stay_on_one_cpu(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpus > 1 ? cpus - 1 : 0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		printf("# sched_setaffinity: %s\n", strerror(errno));
}

int main(int argc, char **argv)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	bool want_mock = false, want_edu = false;
	char bdf[256];
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--measure"))
			mode.measure = true;
		else if (!strcmp(argv[i], "mock"))
			want_mock = true;
		else if (!strcmp(argv[i], "edu") || !strcmp(argv[i], "vtd"))
			want_edu = true;
		else
			print_usage(argv[0]);
	}
	if (!want_mock && !want_edu) {
		want_edu = edu_find(bdf, sizeof(bdf));
		want_mock = !want_edu;
	}
	if (mode.measure) {
		mode.sizes = measure_sizes;
		mode.nr_sizes = ARRAY_SIZE(measure_sizes);
		mode.samples = SAMPLES;
		mode.memory_reps = MEMORY_REPS;
	} else {
		mode.sizes = smoke_sizes;
		mode.nr_sizes = ARRAY_SIZE(smoke_sizes);
		mode.samples = 1;
		mode.memory_reps = 1;
	}
	/* Whole lines, each in one write: kernel messages share the console */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# iommufd_bench: %s; times are the median of %u sample(s)\n",
	       mode.measure ? "measuring" : "smoke test (no timing judged)",
	       mode.samples);
	stay_on_one_cpu();

	/* Pinned memory is charged to RLIMIT_MEMLOCK (root may raise it) */
	if (setrlimit(RLIMIT_MEMLOCK, &unlimited))
		failed("setrlimit(RLIMIT_MEMLOCK)");
	if (alloc_buffers(mode.sizes[mode.nr_sizes - 1])) {
		if (want_mock) {
			mock_part();
			viommu_part();
		}
		if (want_edu)
			edu_part();
	}
	printf("@bench done errors=%u\n", errors);
	return errors ? 1 : 0;
}
