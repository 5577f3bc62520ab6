// SPDX-License-Identifier: GPL-2.0-only
/*
 * The process behind the pins: what they are charged to (VmPin, and
 * RLIMIT_MEMLOCK per user or per mm, IOMMU_OPTION_RLIMIT_MODE), and what
 * fork() does to memory that is mapped into a domain.  One behaviour per
 * test.
 *
 * Each test runs in a process of its own (the harness forks for it), so a
 * test may drop capabilities or lower its rlimits without affecting others.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "iommufd_helpers.h"

/* ==== RLIMIT_MEMLOCK accounting ========================================== */

/*
 * Every pinned page shows in VmPin.  A process without CAP_IPC_LOCK is
 * also charged against its RLIMIT_MEMLOCK: per user (IOMMU_OPTION_RLIMIT_MODE
 * 0) in the user's locked page count, which /proc does not show, or per mm
 * (mode 1) in VmLck.  Pinning happens only while a domain (or an access)
 * needs the memory, so mapping without one charges nothing.
 */

#define LIMIT_PAGES 16
#define LIMIT_BYTES (LIMIT_PAGES * PAGE_SIZE)
#define MEMLOCK_BUF_SIZE (4 * LIMIT_BYTES)

/* What the pins of this process show in /proc/self/status */
struct pin_charge {
	/* VmPin and VmLck when the test started */
	long base_pin_kb;
	long base_lck_kb;
	/* Whether VmLck follows the pins too */
	bool in_vmlck;
};

FIXTURE(memlock)
{
	int fd;
	struct iommufd_domain_set domains;
	__u8 *buf;
	struct pin_charge charge;
};

FIXTURE_VARIANT(memlock)
{
	/* IOMMU_OPTION_RLIMIT_MODE: 0 per user, 1 per mm */
	__u64 rlimit_mode;
	/*
	 * Whether VmLck moves with the pins of a process without
	 * CAP_IPC_LOCK in this mode
	 */
	bool charges_vmlck;
};

FIXTURE_VARIANT_ADD(memlock, per_user)
{
	.rlimit_mode = 0,
	.charges_vmlck = false,
};

FIXTURE_VARIANT_ADD(memlock, per_mm)
{
	.rlimit_mode = 1,
	.charges_vmlck = true,
};

/* Become a process whose pins are charged against a limit of @bytes */
static int limit_memlock(size_t bytes)
{
	struct rlimit limit = { .rlim_cur = bytes, .rlim_max = bytes };
	int err = iommufd_drop_capability(CAP_IPC_LOCK);

	if (err)
		return err;
	return setrlimit(RLIMIT_MEMLOCK, &limit) ? errno : 0;
}

static long pinned_kb(void)
{
	return iommufd_proc_kb("/proc/self/status", "VmPin");
}

static long locked_kb(void)
{
	return iommufd_proc_kb("/proc/self/status", "VmLck");
}

FIXTURE_SETUP(memlock)
{
	__u64 mode = variant->rlimit_mode;

	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_SET, 0, &mode));
	ASSERT_EQ(0, iommufd_ioas_with_domains_err(self->fd, &self->domains, 1,
						   0));
	self->buf = iommufd_alloc_small_pages(MEMLOCK_BUF_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, self->buf);
	self->charge.base_pin_kb = pinned_kb();
	self->charge.base_lck_kb = locked_kb();
	self->charge.in_vmlck = variant->charges_vmlck;
	ASSERT_LE(0, self->charge.base_pin_kb);
	ASSERT_LE(0, self->charge.base_lck_kb);
}

FIXTURE_TEARDOWN(memlock)
{
	munmap(self->buf, MEMLOCK_BUF_SIZE);
	close(self->fd);
}

/* @pages pinned pages show in VmPin, and in VmLck if the charge goes there */
static bool charged(const struct __test_metadata *_metadata,
		    const struct pin_charge *charge, long pages)
{
	long pin_kb = pinned_kb() - charge->base_pin_kb;
	long lck_kb = locked_kb() - charge->base_lck_kb;
	long want_kb = pages * (long)(PAGE_SIZE / 1024);

	if (pin_kb != want_kb || lck_kb != (charge->in_vmlck ? want_kb : 0)) {
		TH_LOG("VmPin +%ld kB, VmLck +%ld kB for %ld pinned pages",
		       pin_kb, lck_kb, pages);
		return false;
	}
	return true;
}

TEST_F(memlock, rlimit_mode_reads_back)
{
	__u64 mode = UINT64_MAX;

	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_GET, 0, &mode));
	EXPECT_EQ(variant->rlimit_mode, mode);
}

TEST_F(memlock, rlimit_mode_cannot_change_once_objects_exist)
{
	__u64 mode = !variant->rlimit_mode;

	EXPECT_EQ(EBUSY, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					    IOMMU_OPTION_OP_SET, 0, &mode));
}

TEST_F(memlock, rlimit_mode_needs_cap_sys_resource)
{
	__u64 mode = variant->rlimit_mode;
	int fd;

	ASSERT_EQ(0, iommufd_drop_capability(CAP_SYS_RESOURCE));
	fd = iommufd_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(EPERM, iommufd_option_err(fd, IOMMU_OPTION_RLIMIT_MODE,
					    IOMMU_OPTION_OP_SET, 0, &mode));
	mode = 2;
	EXPECT_EQ(EPERM, iommufd_option_err(fd, IOMMU_OPTION_RLIMIT_MODE,
					    IOMMU_OPTION_OP_SET, 0, &mode));
	close(fd);
}

TEST_F(memlock, rlimit_mode_beyond_1_is_einval)
{
	__u64 mode = 2;
	int fd = iommufd_open();

	ASSERT_LE(0, fd);
	EXPECT_EQ(EINVAL, iommufd_option_err(fd, IOMMU_OPTION_RLIMIT_MODE,
					     IOMMU_OPTION_OP_SET, 0, &mode));
	close(fd);
}

TEST_F(memlock, pins_of_a_privileged_process_show_in_vmpin_only)
{
	__u64 iova = APERTURE_IOVA;

	/* With CAP_IPC_LOCK nothing is charged against a limit */
	self->charge.in_vmlck = false;
	ASSERT_EQ(0,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf, MEMLOCK_BUF_SIZE, &iova));
	EXPECT_TRUE(charged(_metadata, &self->charge,
			    MEMLOCK_BUF_SIZE / PAGE_SIZE));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    iova, MEMLOCK_BUF_SIZE));
	EXPECT_TRUE(charged(_metadata, &self->charge, 0));
}

TEST_F(memlock, map_past_the_limit_is_enomem_and_charges_nothing)
{
	__u64 iova = APERTURE_IOVA;

	ASSERT_EQ(0, limit_memlock(LIMIT_BYTES));
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf,
					  LIMIT_BYTES - PAGE_SIZE, &iova));
	EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES - 1));

	/* Two more pages do not fit, nor does a much bigger map */
	iova = APERTURE_IOVA + SZ_1M;
	EXPECT_EQ(ENOMEM, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					       FIXED, self->buf + LIMIT_BYTES,
					       2 * PAGE_SIZE, &iova));
	EXPECT_EQ(ENOMEM, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					       FIXED, self->buf + LIMIT_BYTES,
					       2 * LIMIT_BYTES, &iova));
	EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES - 1));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf + LIMIT_BYTES,
					    2 * LIMIT_BYTES, 0));
	EXPECT_EQ(ENOENT,
		  iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id, iova,
					 2 * PAGE_SIZE));

	/* The last page does */
	EXPECT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf + LIMIT_BYTES,
					  PAGE_SIZE, &iova));
	EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES));
}

TEST_F(memlock, unmap_gives_the_charge_back_exactly)
{
	unsigned int round;
	__u64 iova;

	ASSERT_EQ(0, limit_memlock(LIMIT_BYTES));
	for (round = 0; round != 8; round++) {
		/* Different memory each round, exactly the limit */
		__u8 *va = self->buf + (round % 4) * LIMIT_BYTES;

		iova = 0;
		ASSERT_EQ(0,
			  iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					       RW, va, LIMIT_BYTES, &iova));
		EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES));
		ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd,
						    self->domains.ioas_id, iova,
						    LIMIT_BYTES));
		EXPECT_TRUE(charged(_metadata, &self->charge, 0));
	}
}

TEST_F(memlock, copy_shares_the_charge_of_its_source)
{
	__u64 iova = APERTURE_IOVA, copy_iova = 0;

	ASSERT_EQ(0, limit_memlock(LIMIT_BYTES));
	ASSERT_EQ(0,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf, LIMIT_BYTES, &iova));
	ASSERT_EQ(0, iommufd_ioas_copy_err(self->fd, self->domains.ioas_id,
					   self->domains.ioas_id, RW, iova,
					   LIMIT_BYTES, &copy_iova));
	EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    iova, LIMIT_BYTES));
	EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    copy_iova, LIMIT_BYTES));
	EXPECT_TRUE(charged(_metadata, &self->charge, 0));
}

TEST_F(memlock, nothing_is_charged_without_a_domain)
{
	__u32 lazy_ioas;
	__u64 iova = APERTURE_IOVA;

	ASSERT_EQ(0, limit_memlock(LIMIT_BYTES));
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &lazy_ioas));
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, lazy_ioas, FIXED, self->buf,
					  MEMLOCK_BUF_SIZE, &iova));
	EXPECT_TRUE(charged(_metadata, &self->charge, 0));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf,
					    MEMLOCK_BUF_SIZE, 0));

	/* A domain would have to pin all of it: refused, nothing kept */
	EXPECT_EQ(ENOMEM, iommufd_mock_domain_err(self->fd, lazy_ioas, NULL,
						  NULL, NULL));
	EXPECT_TRUE(charged(_metadata, &self->charge, 0));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf,
					    MEMLOCK_BUF_SIZE, 0));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, lazy_ioas, iova,
					    MEMLOCK_BUF_SIZE));
}

TEST_F(memlock, closing_the_context_gives_the_charge_back)
{
	__u64 iova = APERTURE_IOVA;

	ASSERT_EQ(0, limit_memlock(LIMIT_BYTES));
	ASSERT_EQ(0,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf, LIMIT_BYTES, &iova));
	EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_TRUE(charged(_metadata, &self->charge, 0));
}

TEST_F(memlock, map_over_a_hole_in_memory_is_efault_and_charges_nothing)
{
	const __u64 hole = LIMIT_BYTES / 2;
	__u64 iova = APERTURE_IOVA;

	ASSERT_EQ(0, limit_memlock(LIMIT_BYTES));
	ASSERT_EQ(0, munmap(self->buf + hole, PAGE_SIZE));
	EXPECT_EQ(EFAULT,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf, LIMIT_BYTES, &iova));
	EXPECT_TRUE(charged(_metadata, &self->charge, 0));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, hole, 0));
	/* The whole limit is still there to be used */
	EXPECT_EQ(0, iommufd_ioas_map_err(self->fd, self->domains.ioas_id,
					  FIXED, self->buf + LIMIT_BYTES,
					  LIMIT_BYTES, &iova));
	EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES));
}

TEST_F(memlock, file_pins_are_charged_and_given_back)
{
	int memfd = iommufd_memfd(LIMIT_BYTES, 0);

	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, limit_memlock(LIMIT_BYTES));
	ASSERT_EQ(0, iommufd_ioas_map_file_fixed_err(self->fd,
						     self->domains.ioas_id,
						     memfd, 0, LIMIT_BYTES,
						     APERTURE_IOVA));
	EXPECT_TRUE(charged(_metadata, &self->charge, LIMIT_PAGES));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    APERTURE_IOVA, LIMIT_BYTES));
	EXPECT_TRUE(charged(_metadata, &self->charge, 0));
	close(memfd);
}

TEST_F(memlock, map_file_past_the_limit_is_enomem_and_charges_nothing)
{
	int memfd = iommufd_memfd(2 * LIMIT_BYTES, 0);
	__u8 *view;

	ASSERT_LE(0, memfd);
	view = mmap(NULL, 2 * LIMIT_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
		    memfd, 0);
	ASSERT_NE(MAP_FAILED, view);
	iommufd_stamp_pages(view, 2 * LIMIT_BYTES, 0);
	ASSERT_EQ(0, limit_memlock(LIMIT_BYTES));
	EXPECT_EQ(ENOMEM,
		  iommufd_ioas_map_file_fixed_err(self->fd,
						  self->domains.ioas_id, memfd,
						  0, 2 * LIMIT_BYTES,
						  APERTURE_IOVA));
	EXPECT_TRUE(charged(_metadata, &self->charge, 0));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, view, 2 * LIMIT_BYTES,
					    0));
	EXPECT_EQ(ENOENT,
		  iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					 APERTURE_IOVA, 2 * LIMIT_BYTES));
	munmap(view, 2 * LIMIT_BYTES);
	close(memfd);
}

/* ==== fork() ============================================================= */

#define FORK_BUF_SIZE (64 * PAGE_SIZE)
#define PARENT_SEED 0x706172656e740000ull
#define CHILD_SEED 0x6368696c64000000ull

FIXTURE(after_fork)
{
	int fd;
	struct iommufd_domain_set domains;
	__u8 *buf;
	__u64 iova;
};

FIXTURE_VARIANT(after_fork)
{
	int share;
};

FIXTURE_VARIANT_ADD(after_fork, shared)
{
	.share = MAP_SHARED,
};

FIXTURE_VARIANT_ADD(after_fork, private)
{
	.share = MAP_PRIVATE,
};

FIXTURE_SETUP(after_fork)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_with_domains_err(self->fd, &self->domains, 1,
						   0));
	self->buf = iommufd_alloc_small_pages(FORK_BUF_SIZE, variant->share);
	ASSERT_NE(NULL, self->buf);
	iommufd_stamp_pages(self->buf, FORK_BUF_SIZE, PARENT_SEED);
	self->iova = APERTURE_IOVA;
	ASSERT_EQ(0,
		  iommufd_ioas_map_err(self->fd, self->domains.ioas_id, FIXED,
				       self->buf, FORK_BUF_SIZE, &self->iova));
}

FIXTURE_TEARDOWN(after_fork)
{
	munmap(self->buf, FORK_BUF_SIZE);
	close(self->fd);
}

/*
 * In a child: write our own stamp, then ask the domain whether it still
 * translates @iova to what this process sees at @buf.  The exit code is
 * that answer.
 */
static void child_writes_and_checks(int fd, __u32 hwpt_id, __u64 iova,
				    __u8 *buf)
{
	iommufd_stamp_pages(buf, FORK_BUF_SIZE, CHILD_SEED);
	_exit(iommufd_check_map_err(fd, hwpt_id, iova, FORK_BUF_SIZE, buf));
}

static int wait_exit_code(pid_t child)
{
	int status;

	if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(after_fork, mapping_stays_with_the_parent_after_the_child_exits)
{
	pid_t child = fork();

	ASSERT_LE(0, child);
	if (!child)
		_exit(0);
	ASSERT_EQ(0, wait_exit_code(child));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, self->iova,
					   FORK_BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, FORK_BUF_SIZE,
					    1));
	EXPECT_TRUE(iommufd_pages_carry_stamp(self->buf, FORK_BUF_SIZE,
					      PARENT_SEED));
}

TEST_F(after_fork, child_writes_reach_the_domain_only_through_shared_memory)
{
	pid_t child = fork();
	int child_check;

	ASSERT_LE(0, child);
	if (!child)
		child_writes_and_checks(self->fd, self->domains.hwpt_id[0],
					self->iova, self->buf);
	child_check = wait_exit_code(child);

	/* The domain still translates to the parent's memory */
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, self->iova,
					   FORK_BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, FORK_BUF_SIZE,
					    1));
	if (variant->share == MAP_SHARED) {
		/* One memory for both: the child saw the domain's pages */
		EXPECT_EQ(0, child_check);
		EXPECT_TRUE(iommufd_pages_carry_stamp(self->buf, FORK_BUF_SIZE,
						      CHILD_SEED));
	} else {
		/* The child got copies; the parent's pages are untouched */
		EXPECT_EQ(EINVAL, child_check);
		EXPECT_TRUE(iommufd_pages_carry_stamp(self->buf, FORK_BUF_SIZE,
						      PARENT_SEED));
	}
}

TEST_F(after_fork, parent_writes_after_fork_keep_the_pinned_pages)
{
	int to_child[2];
	pid_t child;
	char go = 0;

	ASSERT_EQ(0, pipe(to_child));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		/* Live on, sharing what fork shares, till the parent wrote */
		close(to_child[1]);
		if (read(to_child[0], &go, 1) != 1)
			_exit(2);
		_exit(iommufd_pages_carry_stamp(self->buf, FORK_BUF_SIZE,
						variant->share == MAP_SHARED ?
							CHILD_SEED :
							PARENT_SEED) ?
			      0 :
			      1);
	}
	close(to_child[0]);
	iommufd_stamp_pages(self->buf, FORK_BUF_SIZE, CHILD_SEED);
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains, self->iova,
					   FORK_BUF_SIZE, self->buf));
	EXPECT_EQ(0, iommufd_check_refs_err(self->fd, self->buf, FORK_BUF_SIZE,
					    1));
	ASSERT_EQ(1, write(to_child[1], &go, 1));
	close(to_child[1]);
	/* The child saw our writes only through shared memory */
	EXPECT_EQ(0, wait_exit_code(child));
}

TEST_HARNESS_MAIN
