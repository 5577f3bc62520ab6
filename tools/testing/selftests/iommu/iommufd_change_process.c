// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU_IOAS_CHANGE_PROCESS: a process that inherits an iommufd across
 * fork() and exec(), as a VMM does when it updates itself, takes over the
 * charge of every pinned page while the memory stays mapped in the domains.
 * One behaviour per test.
 *
 * The new process is this program, executed again with ADOPT_ARG.  It turns
 * itself into what the test asked for (a memlock limit, no CAP_IPC_LOCK,
 * another uid), calls the ioctl on the descriptor it inherited, reports the
 * errno through a pipe, and stays alive until the test closes a second
 * pipe, so that the test can read its VmPin and VmLck meanwhile.
 */
#define _GNU_SOURCE /* setresuid() */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "iommufd_helpers.h"

#define ADOPT_ARG "--adopt-iommufd"

#define FILE_PAGES 16
#define FILE_SIZE (FILE_PAGES * PAGE_SIZE)
/* The memfd holds room for several mappings of FILE_SIZE */
#define MEMFD_SIZE (4 * FILE_SIZE)
#define ANON_PAGES 4
/* A uid with a user_struct of its own, and so a per-user charge of its own */
#define OTHER_UID 4242
/* memlock_pages of a new process that keeps its inherited limit */
#define KEEP_LIMIT -1L
/* What the new process reports instead of an errno when a check failed */
#define ADOPT_BROKEN -1

/* What the new process makes of itself before it calls the ioctl */
struct adopter_setup {
	/* RLIMIT_MEMLOCK in pages, or KEEP_LIMIT */
	long memlock_pages;
	bool drop_ipc_lock;
	/* setresuid() to this uid, unless 0 */
	unsigned int uid;
	/* Fail every fault site of the ioctl in turn before it succeeds */
	bool fail_nth;
};

/* A new process that took (or tried to take) the charge */
struct adopter {
	pid_t pid;
	/* Closing it lets the new process exit */
	int release_fd;
	/* What IOMMU_IOAS_CHANGE_PROCESS returned there */
	int err;
};

/* ==== the new process ==================================================== */

/*
 * Call the ioctl with the 1st, 2nd, ... fault site failing until a call
 * meets no fault.  Every failed call must have moved nothing here: this
 * process's VmPin stays 0.  ADOPT_BROKEN reports a call that broke that
 * rule, failed with another errno, or met no fault at all.
 */
static int adopt_with_every_fault(int iommufd)
{
	unsigned int nth;

	if (iommufd_fail_nth_setup())
		return ADOPT_BROKEN;
	for (nth = 1; nth != 100; nth++) {
		bool injected;
		int err;

		if (iommufd_fail_nth_arm(nth))
			return ADOPT_BROKEN;
		err = iommufd_change_process_err(iommufd);
		injected = iommufd_fail_nth_disarm();
		/* The call has fault sites: the copy in, at least */
		if (!injected)
			return nth == 1 ? ADOPT_BROKEN : err;
		/*
		 * A fault some allocation absorbs quietly (kmemleak's own, in
		 * the debug kernel): the call went through, and the test
		 * checks that it moved everything
		 */
		if (!err)
			return 0;
		if ((err != ENOMEM && err != EFAULT) ||
		    iommufd_proc_kb("/proc/self/status", "VmPin") != 0)
			return ADOPT_BROKEN;
	}
	return ADOPT_BROKEN;
}

static int adopter_main(int argc, char **argv)
{
	struct adopter_setup setup;
	int iommufd, report_fd, release_fd;
	char byte;
	int err;

	if (argc != 9)
		return 2;
	iommufd = atoi(argv[2]);
	report_fd = atoi(argv[3]);
	release_fd = atoi(argv[4]);
	setup.memlock_pages = atol(argv[5]);
	setup.drop_ipc_lock = atoi(argv[6]);
	setup.uid = atoi(argv[7]);
	setup.fail_nth = atoi(argv[8]);

	if (setup.memlock_pages != KEEP_LIMIT) {
		struct rlimit limit = {
			.rlim_cur = setup.memlock_pages * PAGE_SIZE,
			.rlim_max = setup.memlock_pages * PAGE_SIZE,
		};

		if (setrlimit(RLIMIT_MEMLOCK, &limit))
			return 3;
	}
	if (setup.drop_ipc_lock && iommufd_drop_capability(CAP_IPC_LOCK))
		return 4;
	/* Leaving uid 0 drops every capability, CAP_IPC_LOCK too */
	if (setup.uid && setresuid(setup.uid, setup.uid, setup.uid))
		return 5;

	if (setup.fail_nth)
		err = adopt_with_every_fault(iommufd);
	else
		err = iommufd_change_process_err(iommufd);
	if (write(report_fd, &err, sizeof(err)) != sizeof(err))
		return 6;
	/* Stay until the test has looked: read() returns 0 once it closes */
	while (read(release_fd, &byte, 1) > 0)
		;
	return 0;
}

/* ==== the test side ====================================================== */

/*
 * Start a new process, executed from this program, that inherits
 * @iommufd and calls IOMMU_IOAS_CHANGE_PROCESS on it; wait for its errno.
 * 0, or -1 if it could not be started or died before reporting.
 */
static int adopter_start(int iommufd, const struct adopter_setup *setup,
			 struct adopter *adopter)
{
	int report[2], release[2];
	ssize_t got;

	if (pipe(report))
		return -1;
	if (pipe(release)) {
		close(report[0]);
		close(report[1]);
		return -1;
	}
	adopter->pid = fork();
	if (!adopter->pid) {
		char args[7][24];
		char *argv[ARRAY_SIZE(args) + 3];
		unsigned int i;

		close(report[0]);
		close(release[1]);
		/* The descriptor crosses exec(), like a VMM's does */
		if (fcntl(iommufd, F_SETFD, 0))
			_exit(126);
		snprintf(args[0], sizeof(args[0]), "%d", iommufd);
		snprintf(args[1], sizeof(args[1]), "%d", report[1]);
		snprintf(args[2], sizeof(args[2]), "%d", release[0]);
		snprintf(args[3], sizeof(args[3]), "%ld", setup->memlock_pages);
		snprintf(args[4], sizeof(args[4]), "%d", setup->drop_ipc_lock);
		snprintf(args[5], sizeof(args[5]), "%u", setup->uid);
		snprintf(args[6], sizeof(args[6]), "%d", setup->fail_nth);
		argv[0] = "/proc/self/exe";
		argv[1] = ADOPT_ARG;
		for (i = 0; i != ARRAY_SIZE(args); i++)
			argv[i + 2] = args[i];
		argv[i + 2] = NULL;
		execv(argv[0], argv);
		_exit(127);
	}
	close(report[1]);
	close(release[0]);
	adopter->release_fd = release[1];
	if (adopter->pid < 0) {
		close(report[0]);
		close(release[1]);
		return -1;
	}
	got = read(report[0], &adopter->err, sizeof(adopter->err));
	close(report[0]);
	return got == sizeof(adopter->err) ? 0 : -1;
}

/* Let the new process exit; its exit status, or -1 */
static int adopter_finish(struct adopter *adopter)
{
	int status;

	close(adopter->release_fd);
	if (waitpid(adopter->pid, &status, 0) != adopter->pid ||
	    !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* VmPin or VmLck of process @pid, in kB */
static long status_kb(pid_t pid, const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return iommufd_proc_kb(path, name);
}

/*
 * Process @pid shows @pages pinned pages above the bases, in VmPin, and in
 * VmLck when @in_vmlck
 */
static bool shows_charge(struct __test_metadata *_metadata, pid_t pid,
			 long base_pin_kb, long base_lck_kb, long pages,
			 bool in_vmlck)
{
	long pin_kb = status_kb(pid, "VmPin") - base_pin_kb;
	long lck_kb = status_kb(pid, "VmLck") - base_lck_kb;
	long want_kb = pages * (long)(PAGE_SIZE / 1024);

	if (pin_kb != want_kb || lck_kb != (in_vmlck ? want_kb : 0)) {
		TH_LOG("pid %d: VmPin +%ld kB, VmLck +%ld kB for %ld pages",
		       pid, pin_kb, lck_kb, pages);
		return false;
	}
	return true;
}

FIXTURE(change_process)
{
	int fd;
	struct iommufd_domain_set domains;
	int memfd;
	/* The memfd mapped shared, what the domains must translate to */
	__u8 *view;
	long base_pin_kb;
	long base_lck_kb;
};

FIXTURE_VARIANT(change_process)
{
	/* IOMMU_OPTION_RLIMIT_MODE: 0 per user, 1 per mm */
	__u64 rlimit_mode;
	/*
	 * Both processes lack CAP_IPC_LOCK, so their pins count against
	 * RLIMIT_MEMLOCK; with it they are only shown in VmPin
	 */
	bool limited;
	/* The charge shows in VmLck too */
	bool in_vmlck;
};

FIXTURE_VARIANT_ADD(change_process, account_none)
{
	.rlimit_mode = 0,
	.limited = false,
	.in_vmlck = false,
};

FIXTURE_VARIANT_ADD(change_process, account_user)
{
	.rlimit_mode = 0,
	.limited = true,
	.in_vmlck = false,
};

FIXTURE_VARIANT_ADD(change_process, account_mm)
{
	.rlimit_mode = 1,
	.limited = true,
	.in_vmlck = true,
};

FIXTURE_SETUP(change_process)
{
	__u64 mode = variant->rlimit_mode;

	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_SET, 0, &mode));
	ASSERT_EQ(0, iommufd_ioas_with_domains_err(self->fd, &self->domains, 1,
						   0));
	self->memfd = iommufd_memfd(MEMFD_SIZE, 0);
	ASSERT_LE(0, self->memfd);
	self->view = mmap(NULL, MEMFD_SIZE, PROT_READ | PROT_WRITE,
			  MAP_SHARED, self->memfd, 0);
	ASSERT_NE(MAP_FAILED, self->view);
	if (variant->limited)
		ASSERT_EQ(0, iommufd_drop_capability(CAP_IPC_LOCK));
	self->base_pin_kb = status_kb(getpid(), "VmPin");
	self->base_lck_kb = status_kb(getpid(), "VmLck");
	ASSERT_LE(0, self->base_pin_kb);
	ASSERT_LE(0, self->base_lck_kb);
}

FIXTURE_TEARDOWN(change_process)
{
	munmap(self->view, MEMFD_SIZE);
	close(self->memfd);
	close(self->fd);
}

/* The new process a variant asks for: as limited as the test process */
static struct adopter_setup plain_adopter(bool limited)
{
	struct adopter_setup setup = {
		.memlock_pages = KEEP_LIMIT,
		.drop_ipc_lock = limited,
	};

	return setup;
}

/* This process shows @pages pinned pages above what it started with */
#define self_charged(pages)                                                    \
	shows_charge(_metadata, getpid(), self->base_pin_kb,                   \
		     self->base_lck_kb, pages, variant->in_vmlck)

/* The new process shows @pages pinned pages: it started with none */
#define adopter_charged(adopter, pages)                                        \
	shows_charge(_metadata, (adopter)->pid, 0, 0, pages, variant->in_vmlck)

/* Map FILE_SIZE of the memfd from @offset at @iova of @ioas_id */
static int map_file_at(int fd, __u32 ioas_id, int memfd, __u64 offset,
		       __u64 iova)
{
	return iommufd_ioas_map_file_fixed_err(fd, ioas_id, memfd, offset,
					       FILE_SIZE, iova);
}

TEST_F(change_process, new_process_takes_the_charge_and_dma_goes_on)
{
	struct adopter_setup setup = plain_adopter(variant->limited);
	struct adopter adopter;

	ASSERT_EQ(0, map_file_at(self->fd, self->domains.ioas_id, self->memfd,
				 0, APERTURE_IOVA));
	ASSERT_TRUE(self_charged(FILE_PAGES));

	ASSERT_EQ(0, adopter_start(self->fd, &setup, &adopter));
	EXPECT_EQ(0, adopter.err);
	EXPECT_TRUE(self_charged(0));
	EXPECT_TRUE(adopter_charged(&adopter, FILE_PAGES));
	/* Nothing was unmapped on the way */
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains,
					   APERTURE_IOVA, FILE_SIZE,
					   self->view));
	ASSERT_EQ(0, adopter_finish(&adopter));

	/* The charge left with the new process; none comes back here */
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains,
					   APERTURE_IOVA, FILE_SIZE,
					   self->view));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    APERTURE_IOVA, FILE_SIZE));
	EXPECT_TRUE(self_charged(0));
}

TEST_F(change_process, owner_calling_it_changes_nothing)
{
	ASSERT_EQ(0, map_file_at(self->fd, self->domains.ioas_id, self->memfd,
				 0, APERTURE_IOVA));
	EXPECT_EQ(0, iommufd_change_process_err(self->fd));
	EXPECT_EQ(0, iommufd_change_process_err(self->fd));
	EXPECT_TRUE(self_charged(FILE_PAGES));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains,
					   APERTURE_IOVA, FILE_SIZE,
					   self->view));
}

TEST_F(change_process, context_without_mappings_succeeds)
{
	struct adopter_setup setup = plain_adopter(variant->limited);
	struct adopter adopter;

	ASSERT_EQ(0, adopter_start(self->fd, &setup, &adopter));
	EXPECT_EQ(0, adopter.err);
	EXPECT_TRUE(adopter_charged(&adopter, 0));
	ASSERT_EQ(0, adopter_finish(&adopter));
}

TEST_F(change_process, user_memory_is_einval_and_nothing_moves)
{
	struct adopter_setup setup = plain_adopter(variant->limited);
	size_t anon_size = ANON_PAGES * PAGE_SIZE;
	struct adopter adopter;
	void *anon;

	anon = iommufd_alloc_small_pages(anon_size, MAP_PRIVATE);
	ASSERT_NE(NULL, anon);
	ASSERT_EQ(0, map_file_at(self->fd, self->domains.ioas_id, self->memfd,
				 0, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->domains.ioas_id,
						anon, anon_size,
						APERTURE_IOVA + SZ_1M));

	ASSERT_EQ(0, adopter_start(self->fd, &setup, &adopter));
	EXPECT_EQ(EINVAL, adopter.err);
	EXPECT_TRUE(self_charged(FILE_PAGES + ANON_PAGES));
	EXPECT_TRUE(adopter_charged(&adopter, 0));
	ASSERT_EQ(0, adopter_finish(&adopter));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains,
					   APERTURE_IOVA, FILE_SIZE,
					   self->view));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains,
					   APERTURE_IOVA + SZ_1M, anon_size,
					   anon));
	munmap(anon, anon_size);
}

TEST_F(change_process, user_memory_is_einval_for_its_owner_too)
{
	size_t anon_size = ANON_PAGES * PAGE_SIZE;
	void *anon;

	anon = iommufd_alloc_small_pages(anon_size, MAP_PRIVATE);
	ASSERT_NE(NULL, anon);
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, self->domains.ioas_id,
						anon, anon_size,
						APERTURE_IOVA));
	EXPECT_EQ(EINVAL, iommufd_change_process_err(self->fd));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, self->domains.ioas_id,
					    APERTURE_IOVA, anon_size));
	/* Once the user memory is gone, files alone may move */
	ASSERT_EQ(0, map_file_at(self->fd, self->domains.ioas_id, self->memfd,
				 0, APERTURE_IOVA));
	EXPECT_EQ(0, iommufd_change_process_err(self->fd));
	munmap(anon, anon_size);
}

TEST_F(change_process, new_process_over_its_limit_is_enomem_and_nothing_moves)
{
	struct adopter_setup setup = plain_adopter(variant->limited);
	struct adopter adopter;

	/* Another user, so that no charge counts against its limit yet */
	if (variant->limited)
		setup.uid = OTHER_UID;
	setup.memlock_pages = FILE_PAGES - 1;
	ASSERT_EQ(0, map_file_at(self->fd, self->domains.ioas_id, self->memfd,
				 0, APERTURE_IOVA));

	ASSERT_EQ(0, adopter_start(self->fd, &setup, &adopter));
	if (!variant->limited) {
		/* CAP_IPC_LOCK: no limit applies */
		EXPECT_EQ(0, adopter.err);
		EXPECT_TRUE(adopter_charged(&adopter, FILE_PAGES));
	} else {
		EXPECT_EQ(ENOMEM, adopter.err);
		EXPECT_TRUE(self_charged(FILE_PAGES));
		EXPECT_TRUE(adopter_charged(&adopter, 0));
	}
	ASSERT_EQ(0, adopter_finish(&adopter));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains,
					   APERTURE_IOVA, FILE_SIZE,
					   self->view));
}

TEST_F(change_process, new_process_with_room_for_exactly_the_pins_succeeds)
{
	struct adopter_setup setup = plain_adopter(variant->limited);
	struct adopter adopter;

	if (variant->limited)
		setup.uid = OTHER_UID;
	setup.memlock_pages = FILE_PAGES;
	ASSERT_EQ(0, map_file_at(self->fd, self->domains.ioas_id, self->memfd,
				 0, APERTURE_IOVA));

	ASSERT_EQ(0, adopter_start(self->fd, &setup, &adopter));
	EXPECT_EQ(0, adopter.err);
	EXPECT_TRUE(self_charged(0));
	EXPECT_TRUE(adopter_charged(&adopter, FILE_PAGES));
	ASSERT_EQ(0, adopter_finish(&adopter));
}

/*
 * Per user, the same user's charge already counts against the new
 * process's limit: a VMM using all of its limit can still be updated.
 */
TEST_F(change_process, same_user_at_its_limit_is_not_charged_twice)
{
	struct rlimit limit = { .rlim_cur = FILE_SIZE, .rlim_max = FILE_SIZE };
	struct adopter_setup setup = plain_adopter(variant->limited);
	struct adopter adopter;

	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &limit));
	ASSERT_EQ(0, map_file_at(self->fd, self->domains.ioas_id, self->memfd,
				 0, APERTURE_IOVA));

	ASSERT_EQ(0, adopter_start(self->fd, &setup, &adopter));
	EXPECT_EQ(0, adopter.err);
	EXPECT_TRUE(self_charged(0));
	EXPECT_TRUE(adopter_charged(&adopter, FILE_PAGES));
	ASSERT_EQ(0, adopter_finish(&adopter));
}

TEST_F(change_process, old_owner_can_pin_again_once_its_charge_moved)
{
	struct rlimit limit = { .rlim_cur = FILE_SIZE, .rlim_max = FILE_SIZE };
	struct adopter_setup setup = plain_adopter(variant->limited);
	struct adopter adopter;

	if (variant->limited)
		setup.uid = OTHER_UID;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &limit));
	ASSERT_EQ(0, map_file_at(self->fd, self->domains.ioas_id, self->memfd,
				 0, APERTURE_IOVA));
	if (variant->limited)
		EXPECT_EQ(ENOMEM,
			  map_file_at(self->fd, self->domains.ioas_id,
				      self->memfd, FILE_SIZE,
				      APERTURE_IOVA + SZ_1M));

	ASSERT_EQ(0, adopter_start(self->fd, &setup, &adopter));
	EXPECT_EQ(0, adopter.err);
	EXPECT_EQ(0, map_file_at(self->fd, self->domains.ioas_id, self->memfd,
				 FILE_SIZE, APERTURE_IOVA + SZ_1M));
	EXPECT_TRUE(self_charged(FILE_PAGES));
	EXPECT_TRUE(adopter_charged(&adopter, FILE_PAGES));
	ASSERT_EQ(0, adopter_finish(&adopter));
}

/*
 * A mapping no domain needs pins nothing, yet it moves too: the pins it
 * gets later are charged to the new process.
 */
TEST_F(change_process, later_pins_are_charged_to_the_new_process)
{
	struct adopter_setup setup = plain_adopter(variant->limited);
	struct iommufd_domain_set later = {};
	struct adopter adopter;

	ASSERT_EQ(0, iommufd_ioas_with_domains_err(self->fd, &later, 0, 0));
	ASSERT_EQ(0, map_file_at(self->fd, later.ioas_id, self->memfd, 0,
				 APERTURE_IOVA));
	ASSERT_TRUE(self_charged(0));

	ASSERT_EQ(0, adopter_start(self->fd, &setup, &adopter));
	EXPECT_EQ(0, adopter.err);
	EXPECT_TRUE(adopter_charged(&adopter, 0));
	ASSERT_EQ(0, iommufd_link_domain(self->fd, &later, 0));
	EXPECT_TRUE(self_charged(0));
	EXPECT_TRUE(adopter_charged(&adopter, FILE_PAGES));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &later, APERTURE_IOVA,
					   FILE_SIZE, self->view));
	/* Unlinking gives the charge back to the new process */
	ASSERT_EQ(0, iommufd_unlink_domain(self->fd, &later));
	EXPECT_TRUE(adopter_charged(&adopter, 0));
	ASSERT_EQ(0, adopter_finish(&adopter));
	EXPECT_TRUE(self_charged(0));
}

/*
 * Two IOAS, one of which holds a copy of the other's mapping: the shared
 * pages are pinned once, so they are charged once.
 */
TEST_F(change_process, every_ioas_moves_and_shared_pages_count_once)
{
	struct adopter_setup setup = plain_adopter(variant->limited);
	struct iommufd_domain_set other = {};
	__u64 copy_iova = APERTURE_IOVA + SZ_1M;
	struct adopter adopter;

	ASSERT_EQ(0, iommufd_ioas_with_domains_err(self->fd, &other, 1, 0));
	ASSERT_EQ(0, map_file_at(self->fd, self->domains.ioas_id, self->memfd,
				 0, APERTURE_IOVA));
	ASSERT_EQ(0, map_file_at(self->fd, other.ioas_id, self->memfd,
				 FILE_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_ioas_copy_err(self->fd, other.ioas_id,
					   self->domains.ioas_id, FIXED,
					   APERTURE_IOVA, FILE_SIZE,
					   &copy_iova));
	ASSERT_TRUE(self_charged(2 * FILE_PAGES));

	ASSERT_EQ(0, adopter_start(self->fd, &setup, &adopter));
	EXPECT_EQ(0, adopter.err);
	EXPECT_TRUE(self_charged(0));
	EXPECT_TRUE(adopter_charged(&adopter, 2 * FILE_PAGES));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &self->domains,
					   APERTURE_IOVA, FILE_SIZE,
					   self->view));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &other, APERTURE_IOVA,
					   FILE_SIZE, self->view + FILE_SIZE));
	EXPECT_EQ(0, iommufd_check_domains(self->fd, &other, copy_iova,
					   FILE_SIZE, self->view));
	/* Unmapping one of the two mappings of the shared pages keeps them */
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, other.ioas_id, copy_iova,
					    FILE_SIZE));
	EXPECT_TRUE(adopter_charged(&adopter, 2 * FILE_PAGES));
	ASSERT_EQ(0, adopter_finish(&adopter));
}

TEST_F(change_process, user_memory_in_any_ioas_fails_the_whole_move)
{
	struct adopter_setup setup = plain_adopter(variant->limited);
	size_t anon_size = ANON_PAGES * PAGE_SIZE;
	struct iommufd_domain_set other = {};
	struct adopter adopter;
	void *anon;

	anon = iommufd_alloc_small_pages(anon_size, MAP_PRIVATE);
	ASSERT_NE(NULL, anon);
	ASSERT_EQ(0, iommufd_ioas_with_domains_err(self->fd, &other, 1, 0));
	ASSERT_EQ(0, map_file_at(self->fd, self->domains.ioas_id, self->memfd,
				 0, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, other.ioas_id, anon,
						anon_size, APERTURE_IOVA));

	ASSERT_EQ(0, adopter_start(self->fd, &setup, &adopter));
	EXPECT_EQ(EINVAL, adopter.err);
	EXPECT_TRUE(self_charged(FILE_PAGES + ANON_PAGES));
	EXPECT_TRUE(adopter_charged(&adopter, 0));
	ASSERT_EQ(0, adopter_finish(&adopter));
	munmap(anon, anon_size);
}

/* Whichever allocation or copy fails, the move happens whole or not at all */
TEST_F(change_process, failing_at_every_fault_site_moves_nothing)
{
	struct adopter_setup setup = plain_adopter(variant->limited);
	struct adopter adopter;

	if (iommufd_fail_nth_setup())
		SKIP(return, "fault injection (fail-nth) is not available");
	setup.fail_nth = true;
	ASSERT_EQ(0, map_file_at(self->fd, self->domains.ioas_id, self->memfd,
				 0, APERTURE_IOVA));

	ASSERT_EQ(0, adopter_start(self->fd, &setup, &adopter));
	EXPECT_EQ(0, adopter.err);
	EXPECT_TRUE(self_charged(0));
	EXPECT_TRUE(adopter_charged(&adopter, FILE_PAGES));
	ASSERT_EQ(0, adopter_finish(&adopter));
}

/* ==== the ioctl's struct ================================================= */

TEST(change_process_struct_rules)
{
	struct {
		struct iommu_ioas_change_process cmd;
		__u64 extension;
	} cmd = {};
	int fd = iommufd_open();

	ASSERT_LE(0, fd);
	cmd.cmd.size = sizeof(cmd.cmd) - 1;
	EXPECT_EQ(EINVAL, iommufd_ioctl_err(fd, IOMMU_IOAS_CHANGE_PROCESS,
					    &cmd));
	cmd.cmd.size = sizeof(cmd.cmd);
	cmd.cmd.__reserved = 1;
	EXPECT_EQ(EOPNOTSUPP, iommufd_ioctl_err(fd, IOMMU_IOAS_CHANGE_PROCESS,
						&cmd));
	cmd.cmd.__reserved = 0;
	EXPECT_EQ(0, iommufd_ioctl_err(fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd));
	/* A longer struct from a newer user space: its extra bytes must be 0 */
	cmd.cmd.size = sizeof(cmd);
	cmd.extension = 1;
	EXPECT_EQ(E2BIG, iommufd_ioctl_err(fd, IOMMU_IOAS_CHANGE_PROCESS,
					   &cmd));
	cmd.extension = 0;
	EXPECT_EQ(0, iommufd_ioctl_err(fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd));
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], ADOPT_ARG))
		return adopter_main(argc, argv);
	return test_harness_run(argc, argv);
}
