// SPDX-License-Identifier: GPL-2.0-only
/*
 * Systematic failure of every allocation and user copy along an ioctl
 * sequence: run the sequence with the 1st, 2nd, 3rd ... fault site of the
 * task forced to fail (fail-nth), until a run completes without any fault
 * being injected.  After every run the context must still work, and every
 * IOAS must hold exactly the mappings whose MAP or COPY reported success:
 * a failed call leaves nothing half done.  Leaks and use-after-free show up
 * in the debug profile (kmemleak, KASAN).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "../kselftest_harness.h"
#include "iommufd_helpers.h"

#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define MAX_IOAS 2
#define MAX_FAULT_SITES 5000

struct sequence_state {
	int fd;
	void *buf;
	size_t buf_size;
	int memfd;
	unsigned int nr_ioas;
	__u32 ioas[MAX_IOAS];
	/* Bytes each IOAS maps according to the calls that succeeded */
	__u64 mapped[MAX_IOAS];
	/*
	 * An unmap whose result could not be copied out did happen, but user
	 * space cannot know how much it removed
	 */
	bool mapped_unknown[MAX_IOAS];
};

/* Runs the ioctls; returns 0 or the errno of the first call that failed */
typedef int (*sequence_fn)(struct sequence_state *state);

static int write_knob(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY);
	ssize_t len = strlen(value);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, value, len) == len;
	close(fd);
	return ok ? 0 : -1;
}

/* Let fail-nth reach sleeping allocations, quietly */
static int configure_fault_injection(void)
{
	static const char *const knobs[][2] = {
		{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/failslab/verbose", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/min-order", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/verbose", "0" },
		{ "/sys/kernel/debug/fail_usercopy/verbose", "0" },
	};
	size_t i;

	for (i = 0; i != ARRAY_SIZE(knobs); i++)
		if (write_knob(knobs[i][0], knobs[i][1]))
			return -1;
	return 0;
}

static int arm_fault(unsigned int nth)
{
	char value[16];

	snprintf(value, sizeof(value), "%u", nth);
	return write_knob("/proc/thread-self/fail-nth", value);
}

/* Disarm; true if the armed fault was injected */
static bool disarm_fault(void)
{
	char value[16] = {};
	int fd = open("/proc/thread-self/fail-nth", O_RDWR);
	bool injected;

	if (fd < 0)
		return false;
	injected = read(fd, value, sizeof(value) - 1) > 0 && atoi(value) == 0;
	if (write(fd, "0", 1) != 1)
		injected = false;
	close(fd);
	return injected;
}

static int add_ioas(struct sequence_state *state)
{
	int err = iommufd_ioas_alloc_err(state->fd, &state->ioas[state->nr_ioas]);

	if (!err)
		state->nr_ioas++;
	return err;
}

static int map_into(struct sequence_state *state, unsigned int index,
		    __u32 flags, size_t offset, size_t length, __u64 iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = state->ioas[index],
		.user_va = (__u64)(uintptr_t)state->buf + offset,
		.length = length,
		.iova = iova,
	};
	int err = iommufd_ioctl_err(state->fd, IOMMU_IOAS_MAP, &cmd);

	if (!err)
		state->mapped[index] += length;
	return err;
}

static int unmap_from(struct sequence_state *state, unsigned int index,
		      __u64 iova, __u64 length)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = state->ioas[index],
		.iova = iova,
		.length = length,
	};
	int err = iommufd_ioctl_err(state->fd, IOMMU_IOAS_UNMAP, &cmd);

	if (!err)
		state->mapped[index] -= cmd.length;
	else if (err == EFAULT)
		state->mapped_unknown[index] = true;
	return err;
}

static int copy_between(struct sequence_state *state, unsigned int dst,
			unsigned int src, __u32 flags, __u64 src_iova,
			__u64 length, __u64 dst_iova)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = state->ioas[dst],
		.src_ioas_id = state->ioas[src],
		.length = length,
		.dst_iova = dst_iova,
		.src_iova = src_iova,
	};
	int err = iommufd_ioctl_err(state->fd, IOMMU_IOAS_COPY, &cmd);

	if (!err)
		state->mapped[dst] += length;
	return err;
}

static int seq_ioas_options(struct sequence_state *state)
{
	__u64 val = 0;
	int err;

	err = add_ioas(state);
	if (!err)
		err = iommufd_option_err(state->fd, IOMMU_OPTION_HUGE_PAGES,
					 IOMMU_OPTION_OP_SET, state->ioas[0],
					 &val);
	if (!err)
		err = iommufd_option_err(state->fd, IOMMU_OPTION_HUGE_PAGES,
					 IOMMU_OPTION_OP_GET, state->ioas[0],
					 &val);
	return err;
}

static int seq_map_and_unmap(struct sequence_state *state)
{
	struct iommu_iova_range ranges[4];
	struct iommu_ioas_iova_ranges query = {
		.size = sizeof(query),
		.num_iovas = ARRAY_SIZE(ranges),
		.allowed_iovas = (__u64)(uintptr_t)ranges,
	};
	int err;

	err = add_ioas(state);
	if (!err)
		err = map_into(state, 0, RW, 0, 0x10000, 0);
	if (!err)
		err = map_into(state, 0, IOMMU_IOAS_MAP_FIXED_IOVA | RW,
			       0x1000, 0x4000, 0x40000000);
	if (!err) {
		query.ioas_id = state->ioas[0];
		err = iommufd_ioctl_err(state->fd, IOMMU_IOAS_IOVA_RANGES,
					&query);
	}
	if (!err)
		err = unmap_from(state, 0, 0x40000000, 0x4000);
	return err;
}

static int seq_copy(struct sequence_state *state)
{
	int err;

	err = add_ioas(state);
	if (!err)
		err = add_ioas(state);
	if (!err)
		err = map_into(state, 0, IOMMU_IOAS_MAP_FIXED_IOVA | RW, 0,
			       0x8000, 0x100000);
	if (!err)
		err = map_into(state, 0, IOMMU_IOAS_MAP_FIXED_IOVA | RW, 0x8000,
			       0x8000, 0x108000);
	/* Spans both source mappings */
	if (!err)
		err = copy_between(state, 1, 0, IOMMU_IOAS_MAP_FIXED_IOVA | RW,
				   0x104000, 0x8000, 0x200000);
	if (!err)
		err = copy_between(state, 0, 0, RW, 0x100000, 0x10000, 0);
	return err;
}

static int seq_allowed_ranges(struct sequence_state *state)
{
	struct iommu_iova_range ranges[] = {
		{ .start = 0x100000, .last = 0x1fffff },
		{ .start = 0x400000, .last = 0x7fffff },
		{ .start = 0x1000000, .last = 0x1ffffff },
	};
	struct iommu_ioas_allow_iovas allow = {
		.size = sizeof(allow),
		.num_iovas = ARRAY_SIZE(ranges),
		.allowed_iovas = (__u64)(uintptr_t)ranges,
	};
	int err;

	err = add_ioas(state);
	if (!err) {
		allow.ioas_id = state->ioas[0];
		err = iommufd_ioctl_err(state->fd, IOMMU_IOAS_ALLOW_IOVAS,
					&allow);
	}
	if (!err)
		err = map_into(state, 0, RW, 0, 0x200000, 0);
	return err;
}

static int seq_map_file(struct sequence_state *state)
{
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = RW,
		.fd = state->memfd,
		.length = 0x200000,
	};
	int err;

	err = add_ioas(state);
	if (!err) {
		cmd.ioas_id = state->ioas[0];
		err = iommufd_ioctl_err(state->fd, IOMMU_IOAS_MAP_FILE, &cmd);
		if (!err)
			state->mapped[0] += cmd.length;
	}
	return err;
}

FIXTURE(fault_injection)
{
	struct sequence_state state;
};

FIXTURE_SETUP(fault_injection)
{
	ASSERT_EQ(0, configure_fault_injection());
	self->state.buf_size = 4 << 20;
	self->state.buf = mmap(NULL, self->state.buf_size,
			       PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->state.buf);
	self->state.memfd = syscall(SYS_memfd_create, "fault-injection", 0);
	ASSERT_LE(0, self->state.memfd);
	ASSERT_EQ(0, ftruncate(self->state.memfd, 0x200000));
}

FIXTURE_TEARDOWN(fault_injection)
{
	disarm_fault();
	close(self->state.memfd);
	munmap(self->state.buf, self->state.buf_size);
}

/*
 * After a run: the context still works, and each IOAS unmaps exactly what
 * the successful calls mapped.
 */
static void check_state(struct __test_metadata *_metadata,
			struct sequence_state *state)
{
	__u32 probe_ioas;
	unsigned int i;

	for (i = 0; i != state->nr_ioas; i++) {
		struct iommu_ioas_unmap unmap_all = {
			.size = sizeof(unmap_all),
			.ioas_id = state->ioas[i],
			.length = (__u64)-1,
		};

		ASSERT_EQ(0, iommufd_ioctl_err(state->fd, IOMMU_IOAS_UNMAP,
					       &unmap_all));
		if (!state->mapped_unknown[i])
			ASSERT_EQ(state->mapped[i], unmap_all.length);
	}
	ASSERT_EQ(0, iommufd_ioas_alloc_err(state->fd, &probe_ioas));
	ASSERT_EQ(0, iommufd_destroy_err(state->fd, probe_ioas));
}

static void run_with_every_fault(struct __test_metadata *_metadata,
				 struct sequence_state *state,
				 sequence_fn sequence)
{
	unsigned int nth, faults_tolerated = 0;

	for (nth = 1; nth != MAX_FAULT_SITES; nth++) {
		bool injected;
		int err;

		state->fd = iommufd_open();
		ASSERT_LE(0, state->fd);
		state->nr_ioas = 0;
		memset(state->mapped, 0, sizeof(state->mapped));
		memset(state->mapped_unknown, 0,
		       sizeof(state->mapped_unknown));

		ASSERT_EQ(0, arm_fault(nth));
		err = sequence(state);
		injected = disarm_fault();

		if (!injected) {
			/* The sequence ran with no fault: it must succeed */
			ASSERT_EQ(0, err);
		} else if (err) {
			ASSERT_TRUE(err == ENOMEM || err == EFAULT);
		} else {
			/* The fault hit a path that may fail quietly */
			faults_tolerated++;
		}
		check_state(_metadata, state);
		ASSERT_EQ(0, close(state->fd));
		if (!injected) {
			TH_LOG("%u fault sites, %u absorbed without an error",
			       nth - 1, faults_tolerated);
			return;
		}
	}
	ASSERT_TRUE(false && "too many fault sites");
}

TEST_F(fault_injection, ioas_alloc_and_options)
{
	run_with_every_fault(_metadata, &self->state, seq_ioas_options);
}

TEST_F(fault_injection, map_ranges_and_unmap)
{
	run_with_every_fault(_metadata, &self->state, seq_map_and_unmap);
}

TEST_F(fault_injection, copy_within_and_between_ioas)
{
	run_with_every_fault(_metadata, &self->state, seq_copy);
}

TEST_F(fault_injection, allowed_ranges_and_automatic_iova)
{
	run_with_every_fault(_metadata, &self->state, seq_allowed_ranges);
}

TEST_F(fault_injection, map_file)
{
	run_with_every_fault(_metadata, &self->state, seq_map_file);
}

TEST_HARNESS_MAIN
