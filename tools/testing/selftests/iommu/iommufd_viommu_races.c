// SPDX-License-Identifier: GPL-2.0-only
/*
 * Races between the objects of the vIOMMU family and what uses them:
 * destroying a vIOMMU or vDEVICE while invalidations name it, unbinding a
 * device while it reports events and they are read, and a user destroy of
 * a vDEVICE (or a new vDEVICE) meeting the unbind of its device, which
 * leaves a tombstone.  Every race runs a bounded number of rounds; each
 * thread counts the outcomes it saw, and any outcome that must not happen
 * fails the test.  Leaks and use-after-free show in the debug profile.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "iommufd_helpers.h"

#define VIRT_ID 0x42
#define INV_TYPE IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST
#define INV_LEN sizeof(struct iommu_viommu_invalidate_selftest)

/* Outcomes that must never happen, counted, the first few printed */
static void note_unexpected(atomic_uint *unexpected, const char *what, int err)
{
	if (atomic_fetch_add(unexpected, 1) < 5)
		fprintf(stderr, "# unexpected %s: %s\n", what, strerror(err));
}

/* Let other threads run between the steps of a round */
static void let_others_run(unsigned int round)
{
	unsigned int i;

	for (i = 0; i != round % 4; i++)
		sched_yield();
}

FIXTURE(viommu_race)
{
	int fd;
	struct iommufd_viommu_base base;
};

FIXTURE_SETUP(viommu_race)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_viommu_base_err(self->fd, &self->base, NULL));
}

FIXTURE_TEARDOWN(viommu_race)
{
	close(self->fd);
}

/*
 * ---- destroy against invalidation ------------------------------------------
 *
 * Invalidators keep naming whatever vIOMMU is current, while the main
 * thread gives it a vDEVICE, takes it away, destroys the vIOMMU and makes
 * a new one.  Invalidation only looks the vIOMMU up, so every destroy must
 * succeed, and every invalidation must either be done whole or find no
 * vDEVICE or no vIOMMU.
 */

#define INVALIDATE_ROUNDS 400
#define INVALIDATORS 2

struct invalidate_race {
	int fd;
	atomic_uint viommu_id;
	atomic_bool stop;
	atomic_uint done;
	atomic_uint no_vdevice;
	atomic_uint no_viommu;
	atomic_uint unexpected;
};

static void *invalidate_loop(void *arg)
{
	struct invalidate_race *race = arg;
	struct iommu_viommu_invalidate_selftest req = {
		.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL,
		.vdev_id = VIRT_ID,
	};

	while (!atomic_load(&race->stop)) {
		__u32 num = 1;
		int err;

		err = iommufd_hwpt_invalidate_err(race->fd,
						  atomic_load(&race->viommu_id),
						  INV_TYPE, &req, INV_LEN,
						  &num);
		if (!err && num == 1)
			atomic_fetch_add(&race->done, 1);
		else if (err == EINVAL && !num)
			atomic_fetch_add(&race->no_vdevice, 1);
		else if (err == ENOENT && !num)
			atomic_fetch_add(&race->no_viommu, 1);
		else
			note_unexpected(&race->unexpected, "invalidate",
					err ? err : EIO);
	}
	return NULL;
}

TEST_F_TIMEOUT(viommu_race, destroys_racing_invalidations_all_succeed, 240)
{
	struct invalidate_race race = { .fd = self->fd };
	pthread_t threads[INVALIDATORS];
	unsigned int round, i;

	atomic_store(&race.viommu_id, self->base.viommu_id);
	for (i = 0; i != INVALIDATORS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, invalidate_loop,
					    &race));

	for (round = 0; round != INVALIDATE_ROUNDS; round++) {
		__u32 viommu_id = atomic_load(&race.viommu_id);
		__u32 vdev_id, new_id;

		ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, viommu_id,
						       self->base.idev_id,
						       VIRT_ID, &vdev_id));
		let_others_run(round);
		/* With the vDEVICE on it, the vIOMMU is in use */
		if (round % 8 == 0)
			EXPECT_EQ(EBUSY,
				  iommufd_destroy_err(self->fd, viommu_id));
		ASSERT_EQ(0, iommufd_destroy_err(self->fd, vdev_id));
		let_others_run(round + 1);
		ASSERT_EQ(0, iommufd_destroy_err(self->fd, viommu_id));
		let_others_run(round + 2);
		ASSERT_EQ(0,
			  iommufd_viommu_alloc_err(self->fd, self->base.idev_id,
						   self->base.parent_id,
						   IOMMU_VIOMMU_TYPE_SELFTEST,
						   &new_id));
		atomic_store(&race.viommu_id, new_id);
	}
	atomic_store(&race.stop, true);
	for (i = 0; i != INVALIDATORS; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));

	TH_LOG("invalidations done %u, without vDEVICE %u, without vIOMMU %u",
	       atomic_load(&race.done), atomic_load(&race.no_vdevice),
	       atomic_load(&race.no_viommu));
	EXPECT_EQ(0, atomic_load(&race.unexpected));
	/* The last vIOMMU and its parent tear down cleanly */
	EXPECT_EQ(0,
		  iommufd_destroy_err(self->fd, atomic_load(&race.viommu_id)));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.parent_id));
}

/*
 * ---- unbind against events -------------------------------------------------
 *
 * A trigger thread keeps making the current device report events, a reader
 * drains the queue, and the main thread binds a device, attaches it
 * through the vIOMMU under a virtual ID of its own, then unbinds it again.
 * Every successful report is queued or counted as lost, so once all is
 * quiet the last sequence number read is the number of reports less one.
 */

#define EVENT_ROUNDS 150
#define EVENT_DEPTH 8
#define EVENT_SIZE                              \
	(sizeof(struct iommufd_vevent_header) + \
	 sizeof(struct iommu_viommu_event_selftest))
#define FIRST_VIRT_ID 0x1000

struct event_race {
	int fd;
	int veventq_fd;
	atomic_uint idev_id;
	atomic_bool stop;
	atomic_uint reported;
	atomic_uint no_device;
	atomic_uint unexpected;
	/* The reader's view: kept by the reader thread alone */
	unsigned int events_read;
	unsigned int lost_headers;
	long last_sequence;
};

static void *trigger_loop(void *arg)
{
	struct event_race *race = arg;

	while (!atomic_load(&race->stop)) {
		int err =
			iommufd_trigger_vevent_err(race->fd,
						   atomic_load(&race->idev_id));

		if (!err)
			atomic_fetch_add(&race->reported, 1);
		else if (err == ENOENT)
			atomic_fetch_add(&race->no_device, 1);
		else
			note_unexpected(&race->unexpected, "trigger", err);
	}
	return NULL;
}

/*
 * Check and account one read's worth of events; false on anything that is
 * not a well-formed stream with rising sequence numbers
 */
static bool take_events(struct event_race *race, const __u8 *buf, ssize_t len)
{
	ssize_t off = 0;

	while (off < len) {
		const struct iommufd_vevent_header *header =
			(void *)(buf + off);
		const struct iommu_viommu_event_selftest *event;

		if (len - off < (ssize_t)sizeof(*header))
			return false;
		if ((long)header->sequence <= race->last_sequence)
			return false;
		race->last_sequence = header->sequence;
		off += sizeof(*header);
		if (header->flags == IOMMU_VEVENTQ_FLAG_LOST_EVENTS) {
			race->lost_headers++;
			continue;
		}
		if (header->flags || len - off < (ssize_t)sizeof(*event))
			return false;
		event = (void *)(buf + off);
		if (event->virt_id < FIRST_VIRT_ID ||
		    event->virt_id >= FIRST_VIRT_ID + EVENT_ROUNDS)
			return false;
		off += sizeof(*event);
		race->events_read++;
	}
	return true;
}

/* Read until the queue is empty; false on a malformed stream or an error */
static bool drain_events(struct event_race *race)
{
	__u8 buf[EVENT_SIZE * EVENT_DEPTH + 64];
	ssize_t len;

	while ((len = read(race->veventq_fd, buf, sizeof(buf))) > 0)
		if (!take_events(race, buf, len))
			return false;
	return len == 0;
}

static void *read_loop(void *arg)
{
	struct event_race *race = arg;

	while (!atomic_load(&race->stop)) {
		if (!drain_events(race)) {
			note_unexpected(&race->unexpected, "event stream", EIO);
			break;
		}
		sched_yield();
	}
	return NULL;
}

TEST_F_TIMEOUT(viommu_race, unbind_racing_events_and_their_reader, 240)
{
	struct event_race race = { .fd = self->fd, .last_sequence = -1 };
	pthread_t trigger, reader;
	unsigned int round;
	__u32 veventq_id;

	ASSERT_EQ(0, iommufd_veventq_alloc_err(self->fd, self->base.viommu_id,
					       IOMMU_VEVENTQ_TYPE_SELFTEST,
					       EVENT_DEPTH, &veventq_id,
					       &race.veventq_fd));
	atomic_store(&race.idev_id, NO_SUCH_ID);
	ASSERT_EQ(0, pthread_create(&trigger, NULL, trigger_loop, &race));
	ASSERT_EQ(0, pthread_create(&reader, NULL, read_loop, &race));

	for (round = 0; round != EVENT_ROUNDS; round++) {
		__u32 stdev_id, idev_id, vdev_id, nested_id;

		ASSERT_EQ(0,
			  iommufd_mock_domain_err(self->fd, self->base.ioas_id,
						  &stdev_id, NULL, &idev_id));
		ASSERT_EQ(0, iommufd_viommu_attach_err(self->fd,
						       self->base.viommu_id,
						       stdev_id, idev_id,
						       FIRST_VIRT_ID + round,
						       &vdev_id, &nested_id));
		atomic_store(&race.idev_id, idev_id);
		let_others_run(round);
		ASSERT_EQ(0, iommufd_destroy_err(self->fd, stdev_id));
		EXPECT_EQ(ENOENT, iommufd_destroy_err(self->fd, vdev_id));
		ASSERT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
	}
	atomic_store(&race.stop, true);
	ASSERT_EQ(0, pthread_join(trigger, NULL));
	ASSERT_EQ(0, pthread_join(reader, NULL));
	ASSERT_TRUE(drain_events(&race));

	TH_LOG("%u reports: %u events, %u lost headers read; %u missed",
	       atomic_load(&race.reported), race.events_read, race.lost_headers,
	       atomic_load(&race.no_device));
	EXPECT_EQ(0, atomic_load(&race.unexpected));
	EXPECT_EQ((long)atomic_load(&race.reported) - 1, race.last_sequence);
	close(race.veventq_fd);
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, veventq_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->base.viommu_id));
}

/*
 * ---- user destroy against unbind -------------------------------------------
 *
 * Each round a device gets a vDEVICE, and a second thread destroys that
 * vDEVICE (or allocates one) at the moment the main thread unbinds the
 * device.  Whoever wins, the vDEVICE ID names nothing afterwards, the
 * virtual ID is free for the next round, and nothing is left holding the
 * vIOMMU.
 */

#define UNBIND_ROUNDS 150

struct unbind_race {
	int fd;
	pthread_barrier_t start;
	pthread_barrier_t done;
	atomic_bool stop;
	/* The round's job for the second thread */
	bool allocate;
	__u32 viommu_id;
	__u32 vdev_id;
	__u32 idev_id;
	/* What its call returned, and the vDEVICE it made */
	int err;
	__u32 new_vdev_id;
};

static void *unbind_race_partner(void *arg)
{
	struct unbind_race *race = arg;

	for (;;) {
		pthread_barrier_wait(&race->start);
		if (atomic_load(&race->stop))
			break;
		if (race->allocate)
			race->err =
				iommufd_vdevice_alloc_err(race->fd,
							  race->viommu_id,
							  race->idev_id,
							  VIRT_ID,
							  &race->new_vdev_id);
		else
			race->err =
				iommufd_destroy_err(race->fd, race->vdev_id);
		pthread_barrier_wait(&race->done);
	}
	return NULL;
}

/* One round; the outcome of the partner's call counted in @outcomes */
static void unbind_round(struct __test_metadata *_metadata,
			 struct unbind_race *race, __u32 ioas_id,
			 unsigned int round, unsigned int outcomes[2])
{
	__u32 stdev_id, idev_id, vdev_id = 0;

	ASSERT_EQ(0, iommufd_mock_domain_err(race->fd, ioas_id, &stdev_id, NULL,
					     &idev_id));
	if (!race->allocate)
		ASSERT_EQ(0, iommufd_vdevice_alloc_err(race->fd,
						       race->viommu_id, idev_id,
						       VIRT_ID, &vdev_id));
	race->vdev_id = vdev_id;
	race->idev_id = idev_id;
	race->new_vdev_id = 0;
	pthread_barrier_wait(&race->start);
	let_others_run(round);
	ASSERT_EQ(0, iommufd_destroy_err(race->fd, stdev_id));
	pthread_barrier_wait(&race->done);

	/* Destroyed by the user, or by the unbind; allocated, or refused */
	ASSERT_TRUE(race->err == 0 || race->err == ENOENT);
	outcomes[race->err == 0]++;
	if (race->allocate && !race->err)
		vdev_id = race->new_vdev_id;
	if (vdev_id)
		ASSERT_EQ(ENOENT, iommufd_destroy_err(race->fd, vdev_id));
}

static void run_unbind_race(struct __test_metadata *_metadata, int fd,
			    const struct iommufd_viommu_base *base,
			    bool allocate)
{
	struct unbind_race race = {
		.fd = fd,
		.allocate = allocate,
		.viommu_id = base->viommu_id,
	};
	unsigned int outcomes[2] = {};
	unsigned int round;
	pthread_t partner;

	ASSERT_EQ(0, pthread_barrier_init(&race.start, NULL, 2));
	ASSERT_EQ(0, pthread_barrier_init(&race.done, NULL, 2));
	ASSERT_EQ(0,
		  pthread_create(&partner, NULL, unbind_race_partner, &race));
	for (round = 0; round != UNBIND_ROUNDS; round++) {
		unbind_round(_metadata, &race, base->ioas_id, round, outcomes);
		if (_metadata->exit_code)
			break;
	}
	atomic_store(&race.stop, true);
	pthread_barrier_wait(&race.start);
	ASSERT_EQ(0, pthread_join(partner, NULL));

	TH_LOG("the partner's call succeeded %u times, found nothing %u times",
	       outcomes[1], outcomes[0]);
	/* The virtual ID is free, and nothing holds the vIOMMU */
	EXPECT_EQ(0,
		  iommufd_vdevice_alloc_err(fd, base->viommu_id, base->idev_id,
					    VIRT_ID, &race.vdev_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(fd, base->viommu_id));
	EXPECT_EQ(0, iommufd_destroy_err(fd, race.vdev_id));
	EXPECT_EQ(0, iommufd_destroy_err(fd, base->viommu_id));
}

TEST_F_TIMEOUT(viommu_race, user_destroy_of_a_vdevice_racing_its_unbind, 240)
{
	run_unbind_race(_metadata, self->fd, &self->base, false);
}

TEST_F_TIMEOUT(viommu_race, new_vdevice_racing_the_unbind_of_its_device, 240)
{
	run_unbind_race(_metadata, self->fd, &self->base, true);
}

TEST_HARNESS_MAIN
