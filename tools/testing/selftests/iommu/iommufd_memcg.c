// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory a process makes iommufd allocate is charged to its memory cgroup.
 *
 * Each test runs its work in a child process that moves itself into a
 * fresh cgroup v2 group of its own, and reads the group's memory.current
 * around the calls: objects, mappings, the mock domain's page table and
 * queued vEVENTs must all show up there, and go when the descriptor is
 * closed.  The flood tests give the group a small memory.max and show that
 * iommufd's allocations end in ENOMEM or in the memory cgroup's OOM killer
 * taking the flooding process, nothing outside the group, and that nothing
 * stays charged (no page stays pinned) once the process has gone.
 *
 * The memory controller counts in batches of pages per CPU, so every
 * threshold here is a large multiple of what one object costs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

#include "iommufd_helpers.h"
#include "../kselftest_harness.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define SZ_1K 1024L

/* Work a test's child runs inside the group; returns its exit status */
typedef int (*cgroup_work_fn)(const char *group, void *arg);

/* Exit statuses of the children, so that the parent can tell them apart */
enum {
	CHILD_OK = 0,
	CHILD_SETUP_FAILED = 10,
	CHILD_NOT_CHARGED,
	CHILD_NOT_UNCHARGED,
	CHILD_NO_ENOMEM,
	CHILD_WRONG_ERRNO,
};

static int write_text(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return iommufd_write_file(path, text);
}

/* A number a cgroup file holds, alone or after @key; -1 if not there */
static long long read_cgroup_num(const char *group, const char *file,
				 const char *key)
{
	char path[PATH_MAX], name[64];
	long long value = -1, num;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", group, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!key) {
		if (fscanf(f, "%lld", &num) == 1)
			value = num;
	} else {
		while (fscanf(f, "%63s %lld", name, &num) == 2) {
			if (!strcmp(name, key)) {
				value = num;
				break;
			}
		}
	}
	fclose(f);
	return value;
}

static long long memory_current(const char *group)
{
	return read_cgroup_num(group, "memory.current", NULL);
}

/* cgroup v2 at CGROUP_ROOT with the memory controller for child groups */
static int cgroup_memory_setup_err(void)
{
	struct statfs fs;

	mkdir(CGROUP_ROOT, 0755);
	if (statfs(CGROUP_ROOT, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC) {
		if (mount("cgroup2", CGROUP_ROOT, "cgroup2", 0, NULL))
			return errno;
	}
	return write_text(CGROUP_ROOT, "cgroup.subtree_control", "+memory");
}

/*
 * Run @work in a child process inside @group; the child's wait status.
 * The child enters the group first, so everything it does is charged there.
 */
static int run_in_group(const char *group, cgroup_work_fn work, void *arg)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (write_text(group, "cgroup.procs", "0"))
			_exit(CHILD_SETUP_FAILED);
		_exit(work(group, arg));
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/*
 * Charged is what the calls of a work function added to the group; it must
 * reach @least_bytes, and close() must give back at least three quarters.
 */
static int charge_verdict(long long before, long long charged,
			  long long after_close, long long least_bytes)
{
	if (charged - before < least_bytes)
		return CHILD_NOT_CHARGED;
	if (charged - after_close < (charged - before) * 3 / 4)
		return CHILD_NOT_UNCHARGED;
	return CHILD_OK;
}

FIXTURE(memcg)
{
	char group[PATH_MAX];
};

FIXTURE_SETUP(memcg)
{
	static unsigned int groups;

	ASSERT_EQ(0, cgroup_memory_setup_err());
	snprintf(self->group, sizeof(self->group), "%s/iommufd_memcg.%d.%u",
		 CGROUP_ROOT, getpid(), groups++);
	ASSERT_EQ(0, mkdir(self->group, 0755));
}

FIXTURE_TEARDOWN(memcg)
{
	/* Fails while anything of the group's processes is left */
	EXPECT_EQ(0, rmdir(self->group));
}

/* ---- what is charged ---------------------------------------------------- */

#define MANY_OBJECTS 4096

/* MANY_OBJECTS IOASes: each an object, an ID and an empty page table */
static int alloc_objects(const char *group, void *arg)
{
	long long before, charged;
	__u32 ioas_id;
	unsigned int i;
	int fd;

	fd = iommufd_open();
	if (fd < 0)
		return CHILD_SETUP_FAILED;
	before = memory_current(group);
	for (i = 0; i != MANY_OBJECTS; i++)
		if (iommufd_ioas_alloc_err(fd, &ioas_id))
			return CHILD_SETUP_FAILED;
	charged = memory_current(group);
	close(fd);
	return charge_verdict(before, charged, memory_current(group),
			      MANY_OBJECTS * 128L);
}

TEST_F(memcg, objects_are_charged_to_the_callers_group)
{
	int status = run_in_group(self->group, alloc_objects, NULL);

	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(CHILD_OK, WEXITSTATUS(status));
}

#define MANY_MAPPINGS 4096

/* MANY_MAPPINGS mappings of one page: an area and a pages record each */
static int map_many(const char *group, void *arg)
{
	long long before, charged;
	__u32 ioas_id;
	unsigned int i;
	void *page;
	int fd;

	page = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	fd = iommufd_open();
	if (page == MAP_FAILED || fd < 0 || iommufd_ioas_alloc_err(fd, &ioas_id))
		return CHILD_SETUP_FAILED;
	before = memory_current(group);
	for (i = 0; i != MANY_MAPPINGS; i++)
		if (iommufd_ioas_map_fixed_err(fd, ioas_id, page, PAGE_SIZE,
					       APERTURE_IOVA + i * 2 * PAGE_SIZE))
			return CHILD_SETUP_FAILED;
	charged = memory_current(group);
	close(fd);
	return charge_verdict(before, charged, memory_current(group),
			      MANY_MAPPINGS * 128L);
}

TEST_F(memcg, mappings_are_charged_to_the_callers_group)
{
	int status = run_in_group(self->group, map_many, NULL);

	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(CHILD_OK, WEXITSTATUS(status));
}

#define TABLE_BYTES (256 * SZ_1M)

/*
 * What one mapping of TABLE_BYTES at @buf costs in an IOAS with a mock
 * domain or without; -1 if something failed
 */
static long long mapping_cost(const char *group, bool with_domain,
			      void *buf)
{
	long long before, charged;
	__u32 ioas_id, stdev_id;
	int fd;

	fd = iommufd_open();
	if (fd < 0 || iommufd_ioas_alloc_err(fd, &ioas_id))
		return -1;
	if (with_domain &&
	    iommufd_mock_domain_err(fd, ioas_id, &stdev_id, NULL, NULL))
		return -1;
	before = memory_current(group);
	if (iommufd_ioas_map_fixed_err(fd, ioas_id, buf, TABLE_BYTES,
				       APERTURE_IOVA))
		return -1;
	charged = memory_current(group);
	close(fd);
	return charged - before;
}

/*
 * The mock domain keeps an xarray entry per IO page of what is mapped:
 * about 1.2 MiB of nodes for TABLE_BYTES, charged like a real driver's
 * tables (iommufd maps with GFP_KERNEL_ACCOUNT).  Without a domain the
 * mapping pins nothing and has no table.
 */
static int map_into_domain(const char *group, void *arg)
{
	long long without, with;
	void *buf;

	buf = mmap(NULL, TABLE_BYTES, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED || madvise(buf, TABLE_BYTES, MADV_NOHUGEPAGE))
		return CHILD_SETUP_FAILED;
	without = mapping_cost(group, false, buf);
	with = mapping_cost(group, true, buf);
	if (without < 0 || with < 0)
		return CHILD_SETUP_FAILED;
	return with - without >= 512 * SZ_1K ? CHILD_OK : CHILD_NOT_CHARGED;
}

TEST_F(memcg, domain_page_table_is_charged_to_the_callers_group)
{
	int status = run_in_group(self->group, map_into_domain, NULL);

	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(CHILD_OK, WEXITSTATUS(status));
}

#define MANY_EVENTS 16384

/*
 * Events the driver queues are allocated in its context, not the owner's,
 * and still charged to the owner of the vEVENTQ
 */
static int queue_events(const char *group, void *arg)
{
	struct iommufd_viommu_base base;
	long long before, charged;
	__u32 veventq_id;
	int fd, veventq_fd;
	unsigned int i;

	fd = iommufd_open();
	if (fd < 0 || iommufd_viommu_base_err(fd, &base, NULL) ||
	    iommufd_viommu_attach_err(fd, base.viommu_id, base.stdev_id,
				      base.idev_id, 0x1234, NULL, NULL) ||
	    iommufd_veventq_alloc_err(fd, base.viommu_id,
				      IOMMU_VEVENTQ_TYPE_SELFTEST,
				      MANY_EVENTS, &veventq_id, &veventq_fd))
		return CHILD_SETUP_FAILED;
	before = memory_current(group);
	for (i = 0; i != MANY_EVENTS; i++)
		if (iommufd_trigger_vevent_err(fd, base.idev_id))
			return CHILD_SETUP_FAILED;
	charged = memory_current(group);
	close(veventq_fd);
	close(fd);
	return charge_verdict(before, charged, memory_current(group),
			      MANY_EVENTS * 32L);
}

TEST_F(memcg, queued_events_are_charged_to_the_queues_owner)
{
	int status = run_in_group(self->group, queue_events, NULL);

	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(CHILD_OK, WEXITSTATUS(status));
}

/* ---- floods ------------------------------------------------------------- */

/* Room the flooding child gets above what it uses when it starts */
#define FLOOD_ROOM (8 * SZ_1M)
/* Far more than FLOOD_ROOM's worth of objects and mappings */
#define FLOOD_ROUNDS 1000000

/*
 * Every page the child needs from here on is in memory already, and
 * locked: a page fault it cannot charge would otherwise be retried for
 * ever when the OOM killer finds no process it may kill.
 */
static int prefault_child(void)
{
	char stack[256 * 1024];

	memset(stack, 0, sizeof(stack));
	/* The compiler must not drop the stores to a buffer nobody reads */
	asm volatile("" : : "r"(stack) : "memory");
	return mlockall(MCL_CURRENT | MCL_FUTURE) ? errno : 0;
}

/* Give the group FLOOD_ROOM above what it is charged now */
static int limit_group(const char *group)
{
	char limit[32];

	snprintf(limit, sizeof(limit), "%lld",
		 memory_current(group) + FLOOD_ROOM);
	return write_text(group, "memory.max", limit);
}

/*
 * An IOAS and a one-page mapping per round, until a call fails: the errno
 * it failed with, 0 if none did.  The mappings go into an IOAS with a
 * mock domain, so each one pins the page and fills the domain's table.
 */
static int flood(int fd, void *page)
{
	__u32 ioas_id, first_ioas, stdev_id;
	unsigned int round;
	int err;

	err = iommufd_ioas_alloc_err(fd, &first_ioas);
	if (!err)
		err = iommufd_mock_domain_err(fd, first_ioas, &stdev_id, NULL,
					      NULL);
	for (round = 0; !err && round != FLOOD_ROUNDS; round++) {
		err = iommufd_ioas_alloc_err(fd, &ioas_id);
		if (!err)
			err = iommufd_ioas_map_fixed_err(fd, first_ioas, page,
							 PAGE_SIZE,
							 APERTURE_IOVA +
							 round * 2 * PAGE_SIZE);
	}
	return err;
}

/* @arg: non-NULL if the OOM killer may take this process */
static int flood_in_group(const char *group, void *arg)
{
	void *page;
	int fd, err;

	page = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	fd = iommufd_open();
	if (page == MAP_FAILED || fd < 0 || prefault_child())
		return CHILD_SETUP_FAILED;
	if (!arg && iommufd_write_file("/proc/self/oom_score_adj", "-1000"))
		return CHILD_SETUP_FAILED;
	if (limit_group(group))
		return CHILD_SETUP_FAILED;
	err = flood(fd, page);
	close(fd);
	if (!err)
		return CHILD_NO_ENOMEM;
	return err == ENOMEM ? CHILD_OK : CHILD_WRONG_ERRNO;
}

/* After the flooding child: nothing of it charged, the limit was met */
static void check_group_after_flood(struct __test_metadata *_metadata,
				    const char *group)
{
	EXPECT_LT(0, read_cgroup_num(group, "memory.events", "max"));
	/* No page of the child stays pinned, so none stays charged */
	EXPECT_GT(SZ_1M, memory_current(group));
}

TEST_F(memcg, flood_that_may_not_be_killed_ends_in_enomem)
{
	int status = run_in_group(self->group, flood_in_group, NULL);

	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(CHILD_OK, WEXITSTATUS(status));
	EXPECT_EQ(0, read_cgroup_num(self->group, "memory.events", "oom_kill"));
	check_group_after_flood(_metadata, self->group);
}

/* The test process itself is outside the group: the killer stays inside */
TEST_F(memcg, flood_ends_in_the_groups_oom_killer_or_enomem)
{
	int status = run_in_group(self->group, flood_in_group, "killable");
	long long kills;

	kills = read_cgroup_num(self->group, "memory.events", "oom_kill");
	if (WIFSIGNALED(status)) {
		EXPECT_EQ(SIGKILL, WTERMSIG(status));
		EXPECT_LE(1, kills);
	} else {
		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_EQ(CHILD_OK, WEXITSTATUS(status));
	}
	check_group_after_flood(_metadata, self->group);
}

TEST_HARNESS_MAIN
