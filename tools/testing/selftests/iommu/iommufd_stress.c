// SPDX-License-Identifier: GPL-2.0-only
/*
 * Race stress: named scenarios, each running N threads for T seconds
 * against one iommufd, with the threads split into roles that race each
 * other on the same objects (destroy against every use of an ID, mapping
 * against attaching, fault queues against detach and close, ...).
 *
 * Every call a thread makes is counted by its result.  Each operation has
 * a set of errnos that the race may legitimately produce (ENOENT for an
 * ID destroyed meanwhile, EBUSY for an object still in use, ...); any
 * other result fails the scenario, and so does a core operation of either
 * side that never once succeeded, since then nothing raced.
 *
 * After the threads stop, each scenario undoes what its roles left and
 * checks its invariants: the context holds exactly the objects it held
 * when the scenario's setup ended, with the same fdinfo lines, and the
 * same number of pinned pages, which drops to zero once every IOAS is
 * unmapped; then it closes the context and checks that no page of its
 * buffer is pinned, VmPin and VmLck are back to their values before the
 * scenario, and no mock device is left.
 *
 *   iommufd_stress [--scenario NAME]... [--threads N] [--seconds T] [--list]
 *
 * One TAP test per scenario.  The process drops CAP_IPC_LOCK first so
 * that its pins are charged to it, which is what VmPin shows.
 */
#define _GNU_SOURCE /* strerrorname_np() */
#include <dirent.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <time.h>

#include "../kselftest.h"
#include "iommufd_helpers.h"

#define BUF_PAGES 32
#define CHUNK_PAGES 4
#define CHUNK_SIZE (CHUNK_PAGES * PAGE_SIZE)
#define NR_CHUNKS (BUF_PAGES / CHUNK_PAGES)

#define MAX_THREADS 64
#define MAX_ROLES 4
#define MAX_ALLOWED 6
/* Results are counted per errno below this, the rest in one slot */
#define ERRNO_SLOTS 134
#define UNEXPECTED_SHOWN 8
/* How long an object may stay busy once every role has stopped */
#define STUCK_MS 10000
/* How long the threads may take to end once told to stop */
#define JOIN_GRACE_S 30

#define MOCK_BUS_DEVICES "/sys/bus/iommufd_mock/devices"

/* An access that pins pages, which unmaps then revoke */
#define PIN_FLAG MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES

#define VIRT_ID 0x100
#define FIRST_PASID 0x10
#define RACE_PASIDS 4

/*
 * One kind of call a scenario makes: how often it ended in each result,
 * which errnos the race explains, and whether it must have succeeded at
 * least once for the scenario to count as raced.  That is asked of the
 * main calls of each side only: the rarer ones may see no success in a
 * short run on a loaded machine.
 */
struct stress_op {
	const char *name;
	int allowed[MAX_ALLOWED];
	bool must_succeed;
	atomic_ulong results[ERRNO_SLOTS + 1];
};

struct stress;

/*
 * One loop iteration of a role; it undoes whatever it made before it
 * returns, so that stopping between iterations leaves only the setup.
 */
typedef void (*stress_role_fn)(struct stress *s, __u64 *rng);

struct stress_scenario {
	const char *name;
	const char *summary;
	/* Build the objects the roles share; 0 or an errno */
	int (*setup)(struct stress *s);
	stress_role_fn roles[MAX_ROLES];
	/* After the threads: bring the context back to its setup state */
	int (*settle)(struct stress *s);
	struct stress_op *ops;
};

/* What the roles of the running scenario share */
struct stress {
	int fd;
	__u8 *buf;
	atomic_bool stop;
	atomic_uint unexpected;
	struct stress_op *ops;

	__u32 ioas_id;
	__u32 ioas2_id;
	__u32 stdev_id;
	__u32 idev_id;
	__u32 stdev2_id;
	__u32 idev2_id;
	__u32 hwpt_id;
	__u32 hwpt2_id;
	__u32 parent_id;
	/* destroy-vs-use: the IOAS the recreator published last */
	atomic_uint current_id;
	/* The mock device the attach roles move around, and what it moves to */
	__u32 mover_stdev_id;
	__u32 targets[4];
	unsigned int nr_targets;
	int access_fd;
	__u32 fault_id;
	int fault_fd;
	__u32 iopf_ids[3];
	struct iommufd_viommu_base viommu;
	__u32 vdev_stdev_ids[3];
	__u32 vdev_idev_ids[3];
};

static unsigned int opt_threads = 4;
static unsigned int opt_seconds = 2;

static __u64 next_random(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int pick(__u64 *rng, unsigned int n)
{
	return next_random(rng) % n;
}

/* Let other threads in between two steps of an iteration, now and then */
static void maybe_yield(__u64 *rng)
{
	unsigned int i, n = pick(rng, 4);

	for (i = 0; i != n; i++)
		sched_yield();
}

static struct stress_op *op_named(struct stress *s, const char *name)
{
	struct stress_op *op;

	for (op = s->ops; op->name; op++)
		if (!strcmp(op->name, name))
			return op;
	fprintf(stderr, "# no op %s\n", name);
	abort();
}

static bool errno_allowed(const struct stress_op *op, int err)
{
	unsigned int i;

	for (i = 0; i != MAX_ALLOWED && op->allowed[i]; i++)
		if (op->allowed[i] == err)
			return true;
	return false;
}

/* Count @err (0: success) for op @name; returns @err */
static int tally(struct stress *s, const char *name, int err)
{
	struct stress_op *op = op_named(s, name);

	atomic_fetch_add(&op->results[err >= 0 && err < ERRNO_SLOTS ?
				      err : ERRNO_SLOTS], 1);
	if (err && !errno_allowed(op, err) &&
	    atomic_fetch_add(&s->unexpected, 1) < UNEXPECTED_SHOWN)
		ksft_print_msg("unexpected: %s: %s (%d)\n", name,
			       strerror(err), err);
	return err;
}

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Every object line of the context, to see who holds what */
static void show_context(struct stress *s)
{
	struct iommufd_fdinfo *info = malloc(sizeof(*info));
	unsigned int i;

	if (info && !iommufd_fdinfo_read_err(s->fd, info))
		for (i = 0; i != info->nobjects; i++)
			ksft_print_msg("  %s\n", info->objects[i]);
	free(info);
}

/*
 * Destroy an object the calling role made: others may hold it for a
 * moment (EBUSY), after which it must go.  Once the run is over nobody
 * else has a reason to hold it: still busy STUCK_MS later, it is a leak,
 * reported with the context's objects instead of spinning forever.
 */
static int destroy_own(struct stress *s, const char *name, __u32 id)
{
	__u64 stuck_since = 0;
	int err;

	while ((err = tally(s, name, iommufd_destroy_err(s->fd, id))) == EBUSY) {
		if (!atomic_load(&s->stop)) {
			sched_yield();
			continue;
		}
		if (!stuck_since) {
			stuck_since = now_ms();
		} else if (now_ms() - stuck_since > STUCK_MS) {
			atomic_fetch_add(&s->unexpected, 1);
			ksft_print_msg("%s: ID %u still busy %u ms after the run\n",
				       name, id, STUCK_MS);
			show_context(s);
			break;
		}
		usleep(1000);
	}
	return err;
}

/* ---- destroy-vs-use ----------------------------------------------------- */

/*
 * One thread allocates an IOAS, publishes its ID and destroys it again;
 * the others use whatever ID is published, each use undone by its user.
 * The destroy may find the IOAS in use (EBUSY) and retries; a use may find
 * it gone (ENOENT), or find its ID reused by an object of another kind
 * (EINVAL; for a HWPT allocation on a paging HWPT, which wants driver
 * data then, EOPNOTSUPP).  A map on an IOAS without a domain may take an IOVA outside
 * the mock aperture, and then the domain of a HWPT or an attach cannot be
 * linked to that IOAS (EADDRINUSE).
 */
static struct stress_op destroy_ops[] = {
	{ .name = "ioas_alloc", .must_succeed = true },
	{ .name = "destroy", .allowed = { EBUSY }, .must_succeed = true },
	{ .name = "map", .allowed = { ENOENT }, .must_succeed = true },
	{ .name = "unmap", .allowed = { ENOENT } },
	{ .name = "copy", .allowed = { ENOENT } },
	{ .name = "hwpt_alloc",
	  .allowed = { ENOENT, EINVAL, EOPNOTSUPP, EADDRINUSE } },
	{ .name = "hwpt_destroy", .allowed = { EBUSY } },
	{ .name = "attach", .allowed = { ENOENT, EINVAL, EADDRINUSE } },
	{ .name = "attach_back" },
	{ .name = "access_create", .allowed = { ENOENT } },
	{ .name = "iova_ranges", .allowed = { ENOENT } },
	{ .name = "option", .allowed = { ENOENT } },
	{}
};

static int destroy_setup(struct stress *s)
{
	__u64 iova = APERTURE_IOVA;
	__u32 pt_id;
	int err;

	err = iommufd_ioas_alloc_err(s->fd, &s->ioas_id);
	if (!err)
		err = iommufd_mock_domain_err(s->fd, s->ioas_id, &s->stdev_id,
					      NULL, &s->idev_id);
	/*
	 * The device comes back to a HWPT of its own: an automatic one would
	 * go with each move and come back under another ID
	 */
	if (!err)
		err = iommufd_hwpt_alloc_err(s->fd, s->idev_id, s->ioas_id, 0,
					     &s->hwpt_id);
	pt_id = s->hwpt_id;
	if (!err)
		err = iommufd_mock_domain_replace_err(s->fd, s->stdev_id,
						      &pt_id);
	/* The source of the copies */
	if (!err)
		err = iommufd_ioas_alloc_err(s->fd, &s->ioas2_id);
	if (!err)
		err = iommufd_ioas_map_err(s->fd, s->ioas2_id, FIXED, s->buf,
					   CHUNK_SIZE, &iova);
	atomic_store(&s->current_id, NO_SUCH_ID);
	return err;
}

static void destroy_recreate(struct stress *s, __u64 *rng)
{
	__u32 ioas_id = 0;

	if (tally(s, "ioas_alloc", iommufd_ioas_alloc_err(s->fd, &ioas_id)))
		return;
	atomic_store(&s->current_id, ioas_id);
	maybe_yield(rng);
	destroy_own(s, "destroy", ioas_id);
}

static void destroy_use(struct stress *s, __u64 *rng)
{
	__u32 id = atomic_load(&s->current_id), hwpt_id = 0, pt_id;
	struct iommu_iova_range ranges[8];
	__u32 nr_ranges = ARRAY_SIZE(ranges);
	__u64 iova = 0, val = 1;
	int access_fd = -1;

	switch (pick(rng, 7)) {
	case 0:
		if (!tally(s, "map", iommufd_ioas_map_err(s->fd, id, RW, s->buf,
							  CHUNK_SIZE, &iova)))
			tally(s, "unmap", iommufd_ioas_unmap_err(s->fd, id, iova,
								 CHUNK_SIZE));
		break;
	case 1:
		if (!tally(s, "copy",
			   iommufd_ioas_copy_err(s->fd, id, s->ioas2_id, RW,
						 APERTURE_IOVA, CHUNK_SIZE,
						 &iova)))
			tally(s, "unmap", iommufd_ioas_unmap_err(s->fd, id, iova,
								 CHUNK_SIZE));
		break;
	case 2:
		if (!tally(s, "hwpt_alloc",
			   iommufd_hwpt_alloc_err(s->fd, s->idev_id, id, 0,
						  &hwpt_id)))
			destroy_own(s, "hwpt_destroy", hwpt_id);
		break;
	case 3:
		pt_id = id;
		if (tally(s, "attach",
			  iommufd_mock_domain_replace_err(s->fd, s->stdev_id,
							  &pt_id)))
			break;
		maybe_yield(rng);
		pt_id = s->hwpt_id;
		tally(s, "attach_back",
		      iommufd_mock_domain_replace_err(s->fd, s->stdev_id,
						      &pt_id));
		break;
	case 4:
		if (!tally(s, "access_create",
			   iommufd_create_access_err(s->fd, id, 0, &access_fd)))
			close(access_fd);
		break;
	case 5:
		tally(s, "iova_ranges",
		      iommufd_iova_ranges_err(s->fd, id, ranges, &nr_ranges));
		break;
	default:
		tally(s, "option",
		      iommufd_option_err(s->fd, IOMMU_OPTION_HUGE_PAGES,
					 IOMMU_OPTION_OP_SET, id, &val));
		break;
	}
}

/* Every role undid what it made: the last IOAS, vDEVICE, ... are gone */
static int nothing_to_settle(struct stress *s)
{
	return 0;
}

/* ---- map-vs-attach ------------------------------------------------------ */

/*
 * Mappers map, unmap and copy on two IOASes (each with a device attached
 * that stays, so that automatic IOVAs are inside the mock aperture) while
 * attachers move a third device between the two IOASes and two HWPTs,
 * plug and unplug mock devices, and move accesses between the IOASes.
 */
static struct stress_op map_attach_ops[] = {
	{ .name = "map", .must_succeed = true },
	{ .name = "unmap", .must_succeed = true },
	{ .name = "copy" },
	{ .name = "replace", .must_succeed = true },
	{ .name = "plug", .must_succeed = true },
	{ .name = "unplug" },
	{ .name = "access_create" },
	{ .name = "access_pin" },
	{ .name = "access_unpin", .allowed = { ENOENT } },
	{ .name = "access_replace" },
	{}
};

static int map_attach_setup(struct stress *s)
{
	__u64 iova = APERTURE_IOVA;
	int err;

	err = iommufd_ioas_alloc_err(s->fd, &s->ioas_id);
	if (!err)
		err = iommufd_ioas_alloc_err(s->fd, &s->ioas2_id);
	if (!err)
		err = iommufd_mock_domain_err(s->fd, s->ioas_id, &s->stdev_id,
					      NULL, &s->idev_id);
	if (!err)
		err = iommufd_mock_domain_err(s->fd, s->ioas2_id,
					      &s->stdev2_id, NULL,
					      &s->idev2_id);
	if (!err)
		err = iommufd_hwpt_alloc_err(s->fd, s->idev_id, s->ioas_id, 0,
					     &s->hwpt_id);
	if (!err)
		err = iommufd_hwpt_alloc_err(s->fd, s->idev2_id, s->ioas2_id, 0,
					     &s->hwpt2_id);
	if (!err)
		err = iommufd_mock_domain_err(s->fd, s->ioas_id,
					      &s->mover_stdev_id, NULL, NULL);
	/* What the accesses pin and the copies read: never unmapped */
	if (!err)
		err = iommufd_ioas_map_err(s->fd, s->ioas_id, FIXED, s->buf,
					   CHUNK_SIZE, &iova);
	s->targets[0] = s->ioas_id;
	s->targets[1] = s->ioas2_id;
	s->targets[2] = s->hwpt_id;
	s->targets[3] = s->hwpt2_id;
	s->nr_targets = 4;
	return err;
}

static void map_attach_map(struct stress *s, __u64 *rng)
{
	__u32 ioas_id = pick(rng, 2) ? s->ioas_id : s->ioas2_id;
	size_t offset = (1 + pick(rng, NR_CHUNKS - 1)) * CHUNK_SIZE;
	__u64 iova = 0;
	int err;

	if (pick(rng, 3))
		err = tally(s, "map",
			    iommufd_ioas_map_err(s->fd, ioas_id, RW,
						 s->buf + offset, CHUNK_SIZE,
						 &iova));
	else
		err = tally(s, "copy",
			    iommufd_ioas_copy_err(s->fd, ioas_id, s->ioas_id,
						  RW, APERTURE_IOVA,
						  CHUNK_SIZE, &iova));
	if (err)
		return;
	maybe_yield(rng);
	tally(s, "unmap",
	      iommufd_ioas_unmap_err(s->fd, ioas_id, iova, CHUNK_SIZE));
}

static void map_attach_access(struct stress *s, __u64 *rng)
{
	__u32 pin_id = 0;
	int access_fd = -1;

	if (tally(s, "access_create",
		  iommufd_create_access_err(s->fd, s->ioas_id, PIN_FLAG,
					    &access_fd)))
		return;
	if (!tally(s, "access_pin",
		   iommufd_access_pin_err(s->fd, access_fd, APERTURE_IOVA,
					  CHUNK_SIZE, s->buf, 0, &pin_id))) {
		maybe_yield(rng);
		tally(s, "access_unpin",
		      iommufd_access_unpin_err(s->fd, access_fd, pin_id));
	}
	tally(s, "access_replace",
	      iommufd_access_replace_err(s->fd, access_fd, s->ioas2_id));
	maybe_yield(rng);
	tally(s, "access_replace",
	      iommufd_access_replace_err(s->fd, access_fd, s->ioas_id));
	close(access_fd);
}

static void map_attach_attach(struct stress *s, __u64 *rng)
{
	__u32 pt_id, stdev_id = 0;

	switch (pick(rng, 3)) {
	case 0:
		pt_id = s->targets[pick(rng, s->nr_targets)];
		tally(s, "replace",
		      iommufd_mock_domain_replace_err(s->fd, s->mover_stdev_id,
						      &pt_id));
		break;
	case 1:
		pt_id = pick(rng, 2) ? s->ioas_id : s->ioas2_id;
		if (tally(s, "plug",
			  iommufd_mock_domain_err(s->fd, pt_id, &stdev_id,
						  NULL, NULL)))
			break;
		maybe_yield(rng);
		destroy_own(s, "unplug", stdev_id);
		break;
	default:
		map_attach_access(s, rng);
		break;
	}
}

/* The mover goes back where setup left it */
static int map_attach_settle(struct stress *s)
{
	__u32 pt_id = s->ioas_id;

	return iommufd_mock_domain_replace_err(s->fd, s->mover_stdev_id,
					       &pt_id);
}

/* ---- fault queues ------------------------------------------------------- */

/* Read what is waiting in @fault_fd and answer it; the records read */
static int read_and_answer(struct stress *s, int fault_fd)
{
	struct iommu_hwpt_pgfault records[8];
	struct iommu_hwpt_page_response response = {
		.code = IOMMUFD_PAGE_RESP_SUCCESS,
	};
	ssize_t done;
	int i, n;

	done = read(fault_fd, records, sizeof(records));
	/* An empty queue reads 0 bytes: only reads of records count */
	if (!done || tally(s, "read", done < 0 ? errno : 0))
		return 0;
	n = done / sizeof(records[0]);
	for (i = 0; i != n; i++) {
		/* Retired meanwhile by a detach, replace or close: EINVAL */
		response.cookie = records[i].cookie;
		done = write(fault_fd, &response, sizeof(response));
		tally(s, "answer", done < 0 ? errno : 0);
	}
	return n;
}

static bool queue_is_empty(int fault_fd)
{
	struct pollfd pfd = { .fd = fault_fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 0;
}

/* ---- fault-vs-detach ---------------------------------------------------- */

/*
 * A device raises page requests on its RID while a reader drains and
 * answers the queue, and a mover replaces the device between two nested
 * HWPTs that report to that queue and the nesting parent, and onto a
 * HWPT with a queue of its own that it closes while the device is on it;
 * it also plugs a second device onto one of those HWPTs, has it raise a
 * request and unplugs it, which detaches it with the request unanswered.
 */
static struct stress_op fault_detach_ops[] = {
	{ .name = "trigger", .must_succeed = true },
	{ .name = "read", .must_succeed = true },
	{ .name = "answer", .allowed = { EINVAL }, .must_succeed = true },
	{ .name = "replace", .must_succeed = true },
	{ .name = "queue_alloc" },
	{ .name = "hwpt_alloc" },
	{ .name = "hwpt_destroy" },
	{ .name = "queue_destroy" },
	{ .name = "plug" },
	{ .name = "unplug" },
	{}
};

/* A nested HWPT on the parent reporting to @fault_id */
static int iopf_hwpt_err(struct stress *s, __u32 fault_id, __u32 flags,
			 __u32 *hwpt_id)
{
	return iommufd_nested_flags_err(s->fd, s->idev_id, s->parent_id, flags,
					fault_id, hwpt_id);
}

static int fault_setup_common(struct stress *s, __u32 dev_flags,
			      __u32 hwpt_flags)
{
	unsigned int i;
	__u32 pt_id;
	int err;

	err = iommufd_ioas_alloc_err(s->fd, &s->ioas_id);
	if (!err)
		err = iommufd_mock_domain_flags_err(s->fd, s->ioas_id,
						    dev_flags, &s->stdev_id,
						    NULL, &s->idev_id);
	if (!err)
		err = iommufd_hwpt_alloc_err(s->fd, s->idev_id, s->ioas_id,
					     IOMMU_HWPT_ALLOC_NEST_PARENT |
						     hwpt_flags,
					     &s->parent_id);
	if (!err)
		err = iommufd_fault_queue_err(s->fd, &s->fault_id,
					      &s->fault_fd);
	for (i = 0; !err && i != ARRAY_SIZE(s->iopf_ids); i++)
		err = iopf_hwpt_err(s, s->fault_id, hwpt_flags,
				    &s->iopf_ids[i]);
	pt_id = s->iopf_ids[0];
	if (!err)
		err = iommufd_mock_domain_replace_err(s->fd, s->stdev_id,
						      &pt_id);
	return err;
}

static int fault_detach_setup(struct stress *s)
{
	return fault_setup_common(s, 0, 0);
}

static void fault_raise_rid(struct stress *s, __u64 *rng)
{
	tally(s, "trigger", iommufd_trigger_iopf_err(s->fd, s->idev_id, 0,
						     pick(rng, 512)));
}

static void fault_read(struct stress *s, __u64 *rng)
{
	if (!read_and_answer(s, s->fault_fd))
		sched_yield();
}

/* A queue of its own, on a HWPT the device moves to; closed under it */
static void fault_close_own_queue(struct stress *s, __u64 *rng)
{
	__u32 fault_id = 0, hwpt_id = 0, pt_id;
	int fault_fd = -1;

	if (tally(s, "queue_alloc",
		  iommufd_fault_queue_err(s->fd, &fault_id, &fault_fd)))
		return;
	if (tally(s, "hwpt_alloc", iopf_hwpt_err(s, fault_id, 0, &hwpt_id))) {
		close(fault_fd);
		destroy_own(s, "queue_destroy", fault_id);
		return;
	}
	pt_id = hwpt_id;
	tally(s, "replace",
	      iommufd_mock_domain_replace_err(s->fd, s->stdev_id, &pt_id));
	maybe_yield(rng);
	if (pick(rng, 2))
		read_and_answer(s, fault_fd);
	/* Whatever is still queued or awaiting an answer is answered now */
	close(fault_fd);
	maybe_yield(rng);
	pt_id = s->iopf_ids[0];
	tally(s, "replace",
	      iommufd_mock_domain_replace_err(s->fd, s->stdev_id, &pt_id));
	destroy_own(s, "hwpt_destroy", hwpt_id);
	destroy_own(s, "queue_destroy", fault_id);
}

/* A second device on a fault-capable HWPT, unbound with a request out */
static void fault_unplug_raising_device(struct stress *s, __u64 *rng)
{
	__u32 stdev_id = 0, idev_id = 0;

	if (tally(s, "plug",
		  iommufd_mock_domain_err(s->fd, s->iopf_ids[1], &stdev_id,
					  NULL, &idev_id)))
		return;
	tally(s, "trigger",
	      iommufd_trigger_iopf_err(s->fd, idev_id, 0, pick(rng, 512)));
	maybe_yield(rng);
	destroy_own(s, "unplug", stdev_id);
}

static void fault_move(struct stress *s, __u64 *rng)
{
	__u32 pt_id;

	switch (pick(rng, 6)) {
	case 0:
		fault_close_own_queue(s, rng);
		break;
	case 5:
		fault_unplug_raising_device(s, rng);
		break;
	case 1:
		pt_id = s->parent_id;
		tally(s, "replace",
		      iommufd_mock_domain_replace_err(s->fd, s->stdev_id,
						      &pt_id));
		break;
	default:
		pt_id = s->iopf_ids[pick(rng, ARRAY_SIZE(s->iopf_ids))];
		tally(s, "replace",
		      iommufd_mock_domain_replace_err(s->fd, s->stdev_id,
						      &pt_id));
		break;
	}
}

/*
 * Moving the RID off and back answers whatever is left; then the queue
 * must be empty
 */
static int fault_detach_settle(struct stress *s)
{
	__u32 pt_id = s->parent_id;
	int err;

	err = iommufd_mock_domain_replace_err(s->fd, s->stdev_id, &pt_id);
	pt_id = s->iopf_ids[0];
	if (!err)
		err = iommufd_mock_domain_replace_err(s->fd, s->stdev_id,
						      &pt_id);
	if (!err && !queue_is_empty(s->fault_fd)) {
		ksft_print_msg("fault queue not empty after the RID moved\n");
		err = EIO;
	}
	return err;
}

/* ---- auto-hwpt-vs-lookup ------------------------------------------------- */

/*
 * Two devices move onto an IOAS, where they share one automatic HWPT, and
 * back onto HWPTs of their own; the last to leave destroys the automatic
 * HWPT, and both may be leaving at the same moment.  The others name the
 * automatic HWPT's ID (published by the movers) in commands that look it
 * up and fail: a nested HWPT on it (it is no nesting parent) and a vIOMMU
 * on it.  Whatever the interleaving, once both devices have left nothing
 * may keep the automatic HWPT alive: the IOAS would stay busy with a HWPT
 * nobody destroys.
 */
static struct stress_op auto_hwpt_ops[] = {
	{ .name = "to_ioas", .must_succeed = true },
	{ .name = "back", .must_succeed = true },
	{ .name = "nest_on_it", .allowed = { ENOENT, EINVAL, EOPNOTSUPP } },
	{ .name = "viommu_on_it", .allowed = { ENOENT, EINVAL, EOPNOTSUPP } },
	{}
};

/* A mock device on a HWPT of its own on the IOAS of @s */
static int auto_hwpt_device_err(struct stress *s, __u32 *stdev_id,
				__u32 *idev_id, __u32 *hwpt_id)
{
	__u32 pt_id;
	int err;

	err = iommufd_mock_domain_err(s->fd, s->ioas_id, stdev_id, NULL,
				      idev_id);
	if (!err)
		err = iommufd_hwpt_alloc_err(s->fd, *idev_id, s->ioas_id, 0,
					     hwpt_id);
	pt_id = *hwpt_id;
	if (!err)
		err = iommufd_mock_domain_replace_err(s->fd, *stdev_id, &pt_id);
	return err;
}

static int auto_hwpt_setup(struct stress *s)
{
	int err;

	err = iommufd_ioas_alloc_err(s->fd, &s->ioas_id);
	if (!err)
		err = auto_hwpt_device_err(s, &s->stdev_id, &s->idev_id,
					   &s->hwpt_id);
	if (!err)
		err = auto_hwpt_device_err(s, &s->stdev2_id, &s->idev2_id,
					   &s->hwpt2_id);
	/* The IOAS the devices visit, with nothing on it between visits */
	if (!err)
		err = iommufd_ioas_alloc_err(s->fd, &s->ioas2_id);
	atomic_store(&s->current_id, NO_SUCH_ID);
	return err;
}

/* A visit of device @stdev_id to the IOAS, from and back to @home_id */
static void auto_hwpt_visit(struct stress *s, __u64 *rng, __u32 stdev_id,
			    __u32 home_id)
{
	__u32 pt_id = s->ioas2_id;
	int err;

	err = iommufd_mock_domain_replace_err(s->fd, stdev_id, &pt_id);
	if (tally(s, "to_ioas", err))
		return;
	/* The replace hands back the automatic HWPT it attached to */
	atomic_store(&s->current_id, pt_id);
	maybe_yield(rng);
	pt_id = home_id;
	err = iommufd_mock_domain_replace_err(s->fd, stdev_id, &pt_id);
	tally(s, "back", err);
}

static void auto_hwpt_move_first(struct stress *s, __u64 *rng)
{
	auto_hwpt_visit(s, rng, s->stdev_id, s->hwpt_id);
}

static void auto_hwpt_move_second(struct stress *s, __u64 *rng)
{
	auto_hwpt_visit(s, rng, s->stdev2_id, s->hwpt2_id);
}

static void auto_hwpt_lookup(struct stress *s, __u64 *rng)
{
	__u32 id = atomic_load(&s->current_id), made_id = 0;

	if (pick(rng, 2)) {
		if (!tally(s, "nest_on_it",
			   iommufd_hwpt_alloc_nested_err(s->fd, s->idev_id, id,
							 IOMMU_TEST_IOTLB_DEFAULT,
							 &made_id)))
			destroy_own(s, "nest_on_it", made_id);
	} else {
		if (!tally(s, "viommu_on_it",
			   iommufd_viommu_alloc_err(s->fd, s->idev_id, id,
						    IOMMU_VIOMMU_TYPE_SELFTEST,
						    &made_id)))
			destroy_own(s, "viommu_on_it", made_id);
	}
}

/* ---- access-vs-unmap ---------------------------------------------------- */

/*
 * An access pins and copies through chunks of the IOAS while unmappers
 * take chunks away and map them back at the same IOVA.  A pin or copy
 * finds its chunk unmapped (ENOENT) or being unmapped (EINVAL); an unmap
 * revokes the pins on its range, so an unpin may find its pin gone.
 */
static struct stress_op access_unmap_ops[] = {
	{ .name = "pin", .allowed = { ENOENT, EINVAL }, .must_succeed = true },
	{ .name = "unpin", .allowed = { ENOENT } },
	{ .name = "rw", .allowed = { ENOENT, EINVAL }, .must_succeed = true },
	{ .name = "unmap", .allowed = { ENOENT }, .must_succeed = true },
	{ .name = "remap", .allowed = { EEXIST } },
	{}
};

static __u64 chunk_iova(unsigned int chunk)
{
	return APERTURE_IOVA + (__u64)chunk * CHUNK_SIZE;
}

/* Map every chunk that is not mapped; 0 or the first unexpected errno */
static int map_all_chunks(struct stress *s)
{
	unsigned int chunk;
	int err;

	for (chunk = 0; chunk != NR_CHUNKS; chunk++) {
		err = iommufd_ioas_map_fixed_err(s->fd, s->ioas_id,
						 s->buf + chunk * CHUNK_SIZE,
						 CHUNK_SIZE, chunk_iova(chunk));
		if (err && err != EEXIST)
			return err;
	}
	return 0;
}

static int access_unmap_setup(struct stress *s)
{
	int err;

	err = iommufd_ioas_alloc_err(s->fd, &s->ioas_id);
	if (!err)
		err = iommufd_mock_domain_err(s->fd, s->ioas_id, &s->stdev_id,
					      NULL, &s->idev_id);
	if (!err)
		err = map_all_chunks(s);
	if (!err)
		err = iommufd_create_access_err(s->fd, s->ioas_id, PIN_FLAG,
						&s->access_fd);
	return err;
}

static void access_pin(struct stress *s, __u64 *rng)
{
	unsigned int chunk = pick(rng, NR_CHUNKS);
	size_t first = pick(rng, CHUNK_PAGES) * PAGE_SIZE;
	size_t length = (1 + pick(rng, CHUNK_PAGES - first / PAGE_SIZE)) *
			PAGE_SIZE;
	__u8 bytes[CHUNK_SIZE];
	__u32 pin_id = 0;

	if (pick(rng, 2)) {
		/* The kernel checks the pinned pages are these of the buffer */
		if (tally(s, "pin",
			  iommufd_access_pin_err(s->fd, s->access_fd,
						 chunk_iova(chunk) + first,
						 length,
						 s->buf + chunk * CHUNK_SIZE +
							 first,
						 pick(rng, 2) ?
							 MOCK_FLAGS_ACCESS_WRITE :
							 0,
						 &pin_id)))
			return;
		maybe_yield(rng);
		tally(s, "unpin",
		      iommufd_access_unpin_err(s->fd, s->access_fd, pin_id));
		return;
	}
	/* Write back what was read, so the buffer keeps its stamps */
	if (!tally(s, "rw", iommufd_access_rw_err(s->fd, s->access_fd,
						  chunk_iova(chunk) + first,
						  bytes, length, 0)))
		tally(s, "rw", iommufd_access_rw_err(s->fd, s->access_fd,
						     chunk_iova(chunk) + first,
						     bytes, length,
						     MOCK_ACCESS_RW_WRITE));
}

static void access_unmap(struct stress *s, __u64 *rng)
{
	unsigned int chunk = pick(rng, NR_CHUNKS);

	if (tally(s, "unmap", iommufd_ioas_unmap_err(s->fd, s->ioas_id,
						     chunk_iova(chunk),
						     CHUNK_SIZE)))
		return;
	maybe_yield(rng);
	tally(s, "remap",
	      iommufd_ioas_map_fixed_err(s->fd, s->ioas_id,
					 s->buf + chunk * CHUNK_SIZE,
					 CHUNK_SIZE, chunk_iova(chunk)));
}

/*
 * An unmap whose remap lost to another unmapper's left its chunk mapped;
 * one whose remap never came (EEXIST only) did not, so map what is missing
 */
static int access_unmap_settle(struct stress *s)
{
	return map_all_chunks(s);
}

/* ---- dirty-vs-unmap ----------------------------------------------------- */

/*
 * The mock device dirties IO pages of a dirty-tracking HWPT and readers
 * fetch (and clear) its dirty bitmap, while unmappers take chunks away
 * and map them back.  A bitmap read over a range with a hole in it reads
 * nothing (EINVAL), so reads are of one chunk or of all of them.
 */
static struct stress_op dirty_unmap_ops[] = {
	{ .name = "dirty", .must_succeed = true },
	{ .name = "get_bitmap", .allowed = { EINVAL }, .must_succeed = true },
	{ .name = "unmap", .allowed = { ENOENT }, .must_succeed = true },
	{ .name = "remap", .allowed = { EEXIST } },
	{}
};

#define DIRTY_BITS (BUF_PAGES * PAGE_SIZE / IO_PAGE_SIZE)

static int dirty_unmap_setup(struct stress *s)
{
	int err;

	err = iommufd_mock_device_hwpt_err(s->fd,
					   IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
					   &s->ioas_id, &s->stdev_id,
					   &s->idev_id, &s->hwpt_id);
	if (!err)
		err = iommufd_set_dirty_tracking_err(s->fd, s->hwpt_id, true);
	if (!err)
		err = map_all_chunks(s);
	return err;
}

static void dirty_read(struct stress *s, __u64 *rng)
{
	__u64 bitmap[DIRTY_BITS / 64];
	unsigned int chunk;
	bool whole;

	if (pick(rng, 2)) {
		memset(bitmap, 0xff, sizeof(bitmap));
		tally(s, "dirty",
		      iommufd_test_dirty_err(s->fd, s->hwpt_id, APERTURE_IOVA,
					     BUF_SIZE, IO_PAGE_SIZE, bitmap,
					     NULL));
		return;
	}
	memset(bitmap, 0, sizeof(bitmap));
	whole = !pick(rng, 4);
	chunk = pick(rng, NR_CHUNKS);
	tally(s, "get_bitmap",
	      iommufd_get_dirty_bitmap_err(s->fd, s->hwpt_id,
					   whole ? APERTURE_IOVA :
						   chunk_iova(chunk),
					   whole ? BUF_SIZE : CHUNK_SIZE,
					   IO_PAGE_SIZE, bitmap,
					   pick(rng, 4) ? 0 :
					   IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR));
}

static void dirty_unmap(struct stress *s, __u64 *rng)
{
	unsigned int chunk = pick(rng, NR_CHUNKS);

	if (tally(s, "unmap", iommufd_ioas_unmap_err(s->fd, s->ioas_id,
						     chunk_iova(chunk),
						     CHUNK_SIZE)))
		return;
	maybe_yield(rng);
	tally(s, "remap",
	      iommufd_ioas_map_fixed_err(s->fd, s->ioas_id,
					 s->buf + chunk * CHUNK_SIZE,
					 CHUNK_SIZE, chunk_iova(chunk)));
}

/* ---- invalidate-vs-vdevice ---------------------------------------------- */

/*
 * Invalidators send vIOMMU cache invalidations naming the virtual IDs of
 * three devices, while churners give those devices vDEVICEs and destroy
 * them again.  An invalidation is done whole, or stops at an entry whose
 * vDEVICE is gone (EINVAL, with the entries before it counted).
 */
static struct stress_op invalidate_ops[] = {
	{ .name = "invalidate", .allowed = { EINVAL }, .must_succeed = true },
	/* Never counted but as ERANGE: entries handled that do not add up */
	{ .name = "invalidate_count" },
	{ .name = "vdevice_alloc", .allowed = { EEXIST }, .must_succeed = true },
	{ .name = "vdevice_destroy", .must_succeed = true },
	{}
};

#define INV_TYPE IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST
#define INV_LEN sizeof(struct iommu_viommu_invalidate_selftest)

static int invalidate_setup(struct stress *s)
{
	unsigned int i;
	int err;

	err = iommufd_viommu_base_err(s->fd, &s->viommu, NULL);
	s->vdev_stdev_ids[0] = s->viommu.stdev_id;
	s->vdev_idev_ids[0] = s->viommu.idev_id;
	for (i = 1; !err && i != ARRAY_SIZE(s->vdev_idev_ids); i++)
		err = iommufd_mock_domain_err(s->fd, s->viommu.ioas_id,
					      &s->vdev_stdev_ids[i], NULL,
					      &s->vdev_idev_ids[i]);
	return err;
}

static void invalidate_send(struct stress *s, __u64 *rng)
{
	struct iommu_viommu_invalidate_selftest reqs[3];
	__u32 i, num = ARRAY_SIZE(reqs), sent = num;
	int err;

	for (i = 0; i != num; i++) {
		reqs[i].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
		reqs[i].vdev_id = VIRT_ID + pick(rng, 3);
		reqs[i].cache_id = 0;
	}
	err = tally(s, "invalidate",
		    iommufd_hwpt_invalidate_err(s->fd, s->viommu.viommu_id,
						INV_TYPE, reqs, INV_LEN,
						&num));
	/* Done whole, or up to the entry that found no vDEVICE */
	if ((!err && num != sent) || (err && num >= sent))
		tally(s, "invalidate_count", ERANGE);
}

static void invalidate_churn(struct stress *s, __u64 *rng)
{
	unsigned int dev = pick(rng, ARRAY_SIZE(s->vdev_idev_ids));
	__u32 vdev_id = 0;

	if (tally(s, "vdevice_alloc",
		  iommufd_vdevice_alloc_err(s->fd, s->viommu.viommu_id,
					    s->vdev_idev_ids[dev],
					    VIRT_ID + dev, &vdev_id)))
		return;
	maybe_yield(rng);
	destroy_own(s, "vdevice_destroy", vdev_id);
}

/* ---- pasid-vs-fault ----------------------------------------------------- */

/*
 * The device raises page requests on its RID and four PASIDs while a
 * reader answers them and changers attach, replace and detach those
 * PASIDs between two fault-capable nested HWPTs.  Two changers may pick
 * the same PASID: attach then finds it attached (EBUSY) and replace finds
 * it detached (EINVAL).
 */
static struct stress_op pasid_fault_ops[] = {
	{ .name = "trigger", .must_succeed = true },
	{ .name = "read", .must_succeed = true },
	{ .name = "answer", .allowed = { EINVAL }, .must_succeed = true },
	{ .name = "pasid_attach", .allowed = { EBUSY }, .must_succeed = true },
	{ .name = "pasid_replace", .allowed = { EINVAL },
	  .must_succeed = true },
	{ .name = "pasid_detach", .must_succeed = true },
	{}
};

static int pasid_fault_setup(struct stress *s)
{
	return fault_setup_common(s, MOCK_FLAGS_DEVICE_PASID,
				  IOMMU_HWPT_ALLOC_PASID);
}

static void pasid_raise(struct stress *s, __u64 *rng)
{
	unsigned int which = pick(rng, RACE_PASIDS + 1);
	__u32 pasid = which == RACE_PASIDS ? 0 : FIRST_PASID + which;

	tally(s, "trigger", iommufd_trigger_iopf_err(s->fd, s->idev_id, pasid,
						     pick(rng, 512)));
}

static void pasid_change(struct stress *s, __u64 *rng)
{
	__u32 pasid = FIRST_PASID + pick(rng, RACE_PASIDS);
	__u32 pt_id = s->iopf_ids[1 + pick(rng, 2)];

	switch (pick(rng, 3)) {
	case 0:
		tally(s, "pasid_attach",
		      iommufd_pasid_attach_err(s->fd, s->stdev_id, pasid,
					       &pt_id));
		break;
	case 1:
		tally(s, "pasid_replace",
		      iommufd_pasid_replace_err(s->fd, s->stdev_id, pasid,
						&pt_id));
		break;
	default:
		tally(s, "pasid_detach",
		      iommufd_pasid_detach_err(s->fd, s->stdev_id, pasid));
		break;
	}
}

/* Every PASID detached, the RID moved off and back: nothing is left */
static int pasid_fault_settle(struct stress *s)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i != RACE_PASIDS; i++)
		err = iommufd_pasid_detach_err(s->fd, s->stdev_id,
					       FIRST_PASID + i);
	return err ? err : fault_detach_settle(s);
}

/* ---- the scenarios ------------------------------------------------------ */

static const struct stress_scenario scenarios[] = {
	{
		.name = "destroy-vs-use",
		.summary = "IOMMU_DESTROY of an IOAS against every use of its ID",
		.setup = destroy_setup,
		.roles = { destroy_recreate, destroy_use },
		.settle = nothing_to_settle,
		.ops = destroy_ops,
	},
	{
		.name = "auto-hwpt-vs-lookup",
		.summary = "two devices leaving their automatic HWPT, and commands naming it",
		.setup = auto_hwpt_setup,
		.roles = { auto_hwpt_move_first, auto_hwpt_move_second,
			   auto_hwpt_lookup },
		.settle = nothing_to_settle,
		.ops = auto_hwpt_ops,
	},
	{
		.name = "map-vs-attach",
		.summary = "map/unmap/copy against attach/replace/detach and accesses",
		.setup = map_attach_setup,
		.roles = { map_attach_map, map_attach_attach },
		.settle = map_attach_settle,
		.ops = map_attach_ops,
	},
	{
		.name = "fault-vs-detach",
		.summary = "fault read/answer against replace, detach and close of the queue",
		.setup = fault_detach_setup,
		.roles = { fault_raise_rid, fault_read, fault_move },
		.settle = fault_detach_settle,
		.ops = fault_detach_ops,
	},
	{
		.name = "access-vs-unmap",
		.summary = "access pin and rw against unmap",
		.setup = access_unmap_setup,
		.roles = { access_pin, access_unmap },
		.settle = access_unmap_settle,
		.ops = access_unmap_ops,
	},
	{
		.name = "dirty-vs-unmap",
		.summary = "dirty bitmap reads against unmap",
		.setup = dirty_unmap_setup,
		.roles = { dirty_read, dirty_unmap },
		.settle = map_all_chunks,
		.ops = dirty_unmap_ops,
	},
	{
		.name = "invalidate-vs-vdevice",
		.summary = "vIOMMU cache invalidation against vDEVICE destroy",
		.setup = invalidate_setup,
		.roles = { invalidate_send, invalidate_churn },
		.settle = nothing_to_settle,
		.ops = invalidate_ops,
	},
	{
		.name = "pasid-vs-fault",
		.summary = "per-PASID attach/replace/detach against fault delivery",
		.setup = pasid_fault_setup,
		.roles = { pasid_raise, fault_read, pasid_change },
		.settle = pasid_fault_settle,
		.ops = pasid_fault_ops,
	},
};

/* ---- running one scenario ----------------------------------------------- */

struct stress_thread {
	struct stress *s;
	stress_role_fn role;
	unsigned int index;
	pthread_t tid;
	/* The kernel's ID of the thread, for its stack if it gets stuck */
	atomic_int task_id;
};

static void *stress_thread_main(void *arg)
{
	struct stress_thread *t = arg;
	__u64 rng = 0x5eed0000ULL + t->index;

	atomic_store(&t->task_id, syscall(SYS_gettid));

	while (!atomic_load_explicit(&t->s->stop, memory_order_relaxed))
		t->role(t->s, &rng);
	return NULL;
}

static unsigned int role_count(const struct stress_scenario *sc)
{
	unsigned int n = 0;

	while (n != MAX_ROLES && sc->roles[n])
		n++;
	return n;
}

static int count_mock_devices(void)
{
	DIR *dir = opendir(MOCK_BUS_DEVICES);
	struct dirent *entry;
	int n = 0;

	if (!dir)
		return -1;
	while ((entry = readdir(dir)))
		n += entry->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* Print a file of /proc/self/task/@task_id/ line by line */
static void show_task_file(int task_id, const char *name)
{
	char path[64], line[256];
	FILE *file;

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", task_id, name);
	file = fopen(path, "r");
	if (!file)
		return;
	while (fgets(line, sizeof(line), file))
		ksft_print_msg("    %s%s", line,
			       strchr(line, '\n') ? "" : "\n");
	fclose(file);
}

/*
 * Wait for @t to end; a thread still running JOIN_GRACE_S seconds after
 * the stop is stuck, in the kernel or in a loop of ours: show where, and
 * the context's objects, and give up on the program
 */
static void join_or_give_up(struct stress *s, struct stress_thread *t,
			    const struct timespec *deadline)
{
	int task_id = atomic_load(&t->task_id);

	if (!pthread_timedjoin_np(t->tid, NULL, deadline))
		return;
	ksft_print_msg("thread %u (task %d) still running after the stop\n",
		       t->index, task_id);
	show_task_file(task_id, "wchan");
	show_task_file(task_id, "stack");
	show_context(s);
	ksft_exit_fail_msg("a thread is stuck\n");
}

/* Run the roles over max(threads, roles) threads for opt_seconds */
static int run_threads(const struct stress_scenario *sc, struct stress *s)
{
	unsigned int nroles = role_count(sc);
	unsigned int n = opt_threads > nroles ? opt_threads : nroles;
	struct stress_thread threads[MAX_THREADS];
	struct timespec pause = { .tv_sec = opt_seconds }, deadline;
	unsigned int i, started;
	int err = 0;

	if (n > MAX_THREADS)
		n = MAX_THREADS;
	for (started = 0; started != n; started++) {
		threads[started] = (struct stress_thread){
			.s = s,
			.role = sc->roles[started % nroles],
			.index = started,
		};
		err = pthread_create(&threads[started].tid, NULL,
				     stress_thread_main, &threads[started]);
		if (err)
			break;
	}
	if (!err)
		nanosleep(&pause, NULL);
	atomic_store(&s->stop, true);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += JOIN_GRACE_S;
	for (i = 0; i != started; i++)
		join_or_give_up(s, &threads[i], &deadline);
	return err;
}

/* Print each op's counts by result; false if a core op never succeeded */
static bool report_ops(struct stress_op *ops)
{
	bool raced = true;
	struct stress_op *op;
	unsigned int e;

	for (op = ops; op->name; op++) {
		char line[512];
		int len = 0;
		unsigned long total = 0, count;

		for (e = 0; e <= ERRNO_SLOTS; e++) {
			count = atomic_load(&op->results[e]);
			if (!count)
				continue;
			total += count;
			if (len >= (int)sizeof(line) - 40)
				continue;
			if (!e)
				len += snprintf(line + len, sizeof(line) - len,
						" ok=%lu", count);
			else if (e < ERRNO_SLOTS && strerrorname_np(e))
				len += snprintf(line + len, sizeof(line) - len,
						" %s=%lu", strerrorname_np(e),
						count);
			else
				len += snprintf(line + len, sizeof(line) - len,
						" errno%u=%lu", e, count);
		}
		ksft_print_msg("  %-16s %8lu:%s\n", op->name, total,
			       total ? line : " never issued");
		if (op->must_succeed && !atomic_load(&op->results[0])) {
			ksft_print_msg("  %s never succeeded: nothing raced\n",
				       op->name);
			raced = false;
		}
	}
	return raced;
}

/* The objects and pinned pages of the context equal @before's */
static bool context_is_as_set_up(struct stress *s,
				 const struct iommufd_fdinfo *before)
{
	struct iommufd_fdinfo *now = malloc(sizeof(*now));
	unsigned int i;
	bool same;

	if (!now)
		return false;
	if (iommufd_fdinfo_read_err(s->fd, now)) {
		free(now);
		return false;
	}
	same = iommufd_fdinfo_same(before, now);
	if (!same) {
		ksft_print_msg("context after the run (pinned pages %ld, %ld after setup):\n",
			       now->pinned_pages, before->pinned_pages);
		for (i = 0; i != now->nobjects; i++)
			ksft_print_msg("  now:   %s\n", now->objects[i]);
		for (i = 0; i != before->nobjects; i++)
			ksft_print_msg("  setup: %s\n", before->objects[i]);
	}
	free(now);
	return same;
}

/*
 * Unmap all of every IOAS that @info lists: with no mapping left, the
 * context's charge must be back to zero
 */
static bool charge_drops_to_zero(struct stress *s,
				 const struct iommufd_fdinfo *info)
{
	struct iommufd_fdinfo *now = malloc(sizeof(*now));
	char type[16], id[16];
	bool zero = true;
	unsigned int i;
	int err;

	if (!now)
		return false;
	for (i = 0; i != info->nobjects; i++) {
		if (!iommufd_fdinfo_field(info->objects[i], "type", type,
					  sizeof(type)) ||
		    strcmp(type, "ioas") ||
		    !iommufd_fdinfo_field(info->objects[i], "id", id,
					  sizeof(id)))
			continue;
		err = iommufd_ioas_unmap_err(s->fd, strtoul(id, NULL, 10), 0,
					     UINT64_MAX);
		if (err && err != ENOENT) {
			ksft_print_msg("unmap all of IOAS %s: %s\n", id,
				       strerror(err));
			zero = false;
		}
	}
	if (iommufd_fdinfo_read_err(s->fd, now) || now->pinned_pages) {
		ksft_print_msg("%ld pages charged with nothing mapped\n",
			       now->pinned_pages);
		zero = false;
	}
	free(now);
	return zero;
}

/* With the context closed: nothing pinned, nothing charged, no device */
static bool process_is_as_before(__u8 *buf, long pin_kb, long lck_kb,
				 int devices)
{
	bool clean = true;
	long kb;
	int fd;

	fd = iommufd_open();
	if (fd < 0 || iommufd_check_refs_err(fd, buf, BUF_SIZE, 0)) {
		ksft_print_msg("pages of the buffer still pinned\n");
		clean = false;
	}
	if (fd >= 0)
		close(fd);
	kb = iommufd_proc_kb("/proc/self/status", "VmPin");
	if (kb != pin_kb) {
		ksft_print_msg("VmPin %ld kB, %ld kB before\n", kb, pin_kb);
		clean = false;
	}
	kb = iommufd_proc_kb("/proc/self/status", "VmLck");
	if (kb != lck_kb) {
		ksft_print_msg("VmLck %ld kB, %ld kB before\n", kb, lck_kb);
		clean = false;
	}
	if (count_mock_devices() != devices) {
		ksft_print_msg("%d mock devices, %d before\n",
			       count_mock_devices(), devices);
		clean = false;
	}
	return clean;
}

static void reset_ops(struct stress_op *ops)
{
	struct stress_op *op;
	unsigned int e;

	for (op = ops; op->name; op++)
		for (e = 0; e <= ERRNO_SLOTS; e++)
			atomic_store(&op->results[e], 0);
}

/* One TAP test: setup, race, settle, the checks, close, the checks */
static void run_scenario(const struct stress_scenario *sc)
{
	long pin_kb = iommufd_proc_kb("/proc/self/status", "VmPin");
	long lck_kb = iommufd_proc_kb("/proc/self/status", "VmLck");
	int devices = count_mock_devices();
	struct iommufd_fdinfo *after_setup;
	struct stress *s;
	bool ok = false;
	int err;

	ksft_print_msg("%s: %s\n", sc->name, sc->summary);
	s = calloc(1, sizeof(*s));
	after_setup = malloc(sizeof(*after_setup));
	if (!s || !after_setup)
		goto out_free;
	s->fault_fd = -1;
	s->access_fd = -1;
	s->ops = sc->ops;
	reset_ops(sc->ops);
	s->buf = iommufd_alloc_small_pages(BUF_SIZE, MAP_PRIVATE);
	s->fd = iommufd_open();
	if (!s->buf || s->fd < 0) {
		ksft_print_msg("no buffer or no %s\n", IOMMUFD_DEV_PATH);
		goto out_close;
	}
	err = sc->setup(s);
	if (!err)
		err = iommufd_fdinfo_read_err(s->fd, after_setup);
	if (err) {
		ksft_print_msg("setup: %s\n", strerror(err));
		goto out_close;
	}

	err = run_threads(sc, s);
	if (err) {
		ksft_print_msg("threads: %s\n", strerror(err));
		goto out_close;
	}
	ok = report_ops(sc->ops);
	if (atomic_load(&s->unexpected)) {
		ksft_print_msg("%u unexpected results\n",
			       atomic_load(&s->unexpected));
		ok = false;
	}
	err = sc->settle(s);
	if (err) {
		ksft_print_msg("settle: %s\n", strerror(err));
		ok = false;
	}
	if (!context_is_as_set_up(s, after_setup) ||
	    !charge_drops_to_zero(s, after_setup))
		ok = false;

out_close:
	if (s->access_fd >= 0)
		close(s->access_fd);
	if (s->fault_fd >= 0)
		close(s->fault_fd);
	if (s->fd >= 0)
		close(s->fd);
	if (s->buf && !process_is_as_before(s->buf, pin_kb, lck_kb, devices))
		ok = false;
	if (s->buf)
		munmap(s->buf, BUF_SIZE);
out_free:
	free(after_setup);
	free(s);
	ksft_test_result(ok, "%s\n", sc->name);
}

/* ---- options ------------------------------------------------------------ */

static void usage(const char *prog)
{
	fprintf(stderr,
		"%s [--scenario NAME]... [--threads N] [--seconds T] [--list]\n"
		"  --scenario may be repeated or take a comma list; default all\n",
		prog);
	exit(KSFT_FAIL);
}

static const struct stress_scenario *scenario_named(const char *name,
						    size_t len)
{
	unsigned int i;

	for (i = 0; i != ARRAY_SIZE(scenarios); i++)
		if (strlen(scenarios[i].name) == len &&
		    !strncmp(scenarios[i].name, name, len))
			return &scenarios[i];
	return NULL;
}

/* Mark each scenario of the comma list @names in @chosen; false if unknown */
static bool choose_scenarios(const char *names, bool *chosen)
{
	const struct stress_scenario *sc;

	while (*names) {
		size_t len = strcspn(names, ",");

		sc = scenario_named(names, len);
		if (!sc) {
			fprintf(stderr, "unknown scenario %.*s\n", (int)len,
				names);
			return false;
		}
		chosen[sc - scenarios] = true;
		names += len;
		names += *names == ',';
	}
	return true;
}

static unsigned int parse_count(const char *text, unsigned int max,
				const char *prog)
{
	char *end;
	unsigned long val = strtoul(text, &end, 10);

	if (*end || end == text || !val || val > max)
		usage(prog);
	return val;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 'T' },
		{ "list", no_argument, NULL, 'l' },
		{}
	};
	bool chosen[ARRAY_SIZE(scenarios)] = {};
	struct rlimit memlock = { 1UL << 30, 1UL << 30 };
	unsigned int i, plan = 0;
	bool any = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (!choose_scenarios(optarg, chosen))
				usage(argv[0]);
			any = true;
			break;
		case 't':
			opt_threads = parse_count(optarg, MAX_THREADS, argv[0]);
			break;
		case 'T':
			opt_seconds = parse_count(optarg, 24 * 3600, argv[0]);
			break;
		case 'l':
			for (i = 0; i != ARRAY_SIZE(scenarios); i++)
				printf("%-24s %s\n", scenarios[i].name,
				       scenarios[i].summary);
			return 0;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc)
		usage(argv[0]);
	for (i = 0; i != ARRAY_SIZE(scenarios); i++) {
		chosen[i] |= !any;
		plan += chosen[i];
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	if (access(IOMMUFD_DEV_PATH, F_OK))
		ksft_exit_skip("no %s\n", IOMMUFD_DEV_PATH);
	ksft_set_plan(plan);
	/* Charged pins, with room enough that the limit is never reached */
	if (setrlimit(RLIMIT_MEMLOCK, &memlock) ||
	    iommufd_drop_capability(CAP_IPC_LOCK))
		ksft_print_msg("pins may go uncharged: VmPin checks less\n");
	ksft_print_msg("%u threads (at least one per role), %u s per scenario\n",
		       opt_threads, opt_seconds);
	for (i = 0; i != ARRAY_SIZE(scenarios); i++)
		if (chosen[i])
			run_scenario(&scenarios[i]);
	ksft_finished();
}
