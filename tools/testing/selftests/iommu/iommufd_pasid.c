// SPDX-License-Identifier: GPL-2.0-only
/*
 * PASID attachments: HWPTs allocated with IOMMU_HWPT_ALLOC_PASID, the
 * PASID test ops (attach, replace, detach, and asking the iommu core what
 * a PASID translates through), the rules between a device's RID and its
 * PASIDs, and the page requests of a PASID: delivered with the PASID,
 * answered by the kernel when that PASID, and only that one, lets go.
 *
 * The fixture's mock device supports MOCK_PASID_WIDTH bits of PASID and
 * starts on a PASID-compatible paging HWPT ("rid_hwpt"), so that its
 * PASIDs may be attached.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#include "iommufd_helpers.h"
#include "../kselftest_harness.h"

#define RECORD_SIZE sizeof(struct iommu_hwpt_pgfault)
#define ANSWER_SIZE sizeof(struct iommu_hwpt_page_response)
#define FIRST_PASID 0x10
#define OTHER_PASID 0x20
#define WIDEST_PASID ((1U << MOCK_PASID_WIDTH) - 1)

/* Answer @cookie; the byte count, or -errno */
static ssize_t answer(int fault_fd, __u32 cookie)
{
	struct iommu_hwpt_page_response response = {
		.cookie = cookie,
		.code = IOMMUFD_PAGE_RESP_SUCCESS,
	};
	ssize_t done = write(fault_fd, &response, sizeof(response));

	return done < 0 ? -errno : done;
}

/* Every record waiting in the queue; how many were read */
static unsigned int read_all(int fault_fd, struct iommu_hwpt_pgfault *records,
			     unsigned int room)
{
	ssize_t done = read(fault_fd, records, room * RECORD_SIZE);

	return done > 0 ? done / RECORD_SIZE : 0;
}

FIXTURE(pasid)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 idev_id;
	__u32 rid_hwpt_id;
	/* Paging HWPTs on the IOAS with and without IOMMU_HWPT_ALLOC_PASID */
	__u32 pasid_hwpt_id;
	__u32 plain_hwpt_id;
};

FIXTURE_SETUP(pasid)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &self->ioas_id));
	ASSERT_EQ(0, iommufd_mock_domain_flags_err(self->fd, self->ioas_id,
						   MOCK_FLAGS_DEVICE_PASID,
						   &self->stdev_id, NULL,
						   &self->idev_id));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id,
					    IOMMU_HWPT_ALLOC_PASID,
					    &self->rid_hwpt_id));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id,
					    IOMMU_HWPT_ALLOC_PASID,
					    &self->pasid_hwpt_id));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id, 0,
					    &self->plain_hwpt_id));
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &self->rid_hwpt_id));
}

FIXTURE_TEARDOWN(pasid)
{
	close(self->fd);
}

static int attach(struct _test_data_pasid *self, __u32 pasid, __u32 pt_id)
{
	return iommufd_pasid_attach_err(self->fd, self->stdev_id, pasid,
					&pt_id);
}

static int replace(struct _test_data_pasid *self, __u32 pasid, __u32 pt_id)
{
	return iommufd_pasid_replace_err(self->fd, self->stdev_id, pasid,
					 &pt_id);
}

static int on(struct _test_data_pasid *self, __u32 pasid, __u32 hwpt_id)
{
	return iommufd_pasid_check_err(self->fd, self->stdev_id, pasid,
				       hwpt_id);
}

/* ---- Allocation ---------------------------------------------------------- */

TEST_F(pasid, nest_parent_and_nested_hwpts_take_the_pasid_flag)
{
	__u32 parent_id, nested_id;

	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id,
					    IOMMU_HWPT_ALLOC_NEST_PARENT |
						    IOMMU_HWPT_ALLOC_PASID,
					    &parent_id));
	ASSERT_EQ(0, iommufd_nested_flags_err(self->fd, self->idev_id,
					      parent_id,
					      IOMMU_HWPT_ALLOC_PASID, 0,
					      &nested_id));
	EXPECT_EQ(0, attach(self, FIRST_PASID, nested_id));
	EXPECT_EQ(0, on(self, FIRST_PASID, nested_id));
}

/* ---- Attach and detach --------------------------------------------------- */

TEST_F(pasid, attach_reaches_the_core_and_detach_empties_it)
{
	__u32 pt_id = self->pasid_hwpt_id;

	EXPECT_EQ(0, on(self, FIRST_PASID, 0));
	ASSERT_EQ(0, iommufd_pasid_attach_err(self->fd, self->stdev_id,
					      FIRST_PASID, &pt_id));
	EXPECT_EQ(self->pasid_hwpt_id, pt_id);
	EXPECT_EQ(0, on(self, FIRST_PASID, self->pasid_hwpt_id));
	/* The RID is not touched */
	EXPECT_EQ(0, on(self, 0, self->rid_hwpt_id));
	EXPECT_EQ(0, iommufd_pasid_detach_err(self->fd, self->stdev_id,
					      FIRST_PASID));
	EXPECT_EQ(0, on(self, FIRST_PASID, 0));
}

TEST_F(pasid, pasids_are_attached_each_on_its_own)
{
	ASSERT_EQ(0, attach(self, FIRST_PASID, self->pasid_hwpt_id));
	ASSERT_EQ(0, attach(self, OTHER_PASID, self->rid_hwpt_id));
	EXPECT_EQ(0, on(self, FIRST_PASID, self->pasid_hwpt_id));
	EXPECT_EQ(0, on(self, OTHER_PASID, self->rid_hwpt_id));
	EXPECT_EQ(0, iommufd_pasid_detach_err(self->fd, self->stdev_id,
					      FIRST_PASID));
	EXPECT_EQ(0, on(self, OTHER_PASID, self->rid_hwpt_id));
}

TEST_F(pasid, second_attach_of_a_pasid_is_ebusy)
{
	ASSERT_EQ(0, attach(self, FIRST_PASID, self->pasid_hwpt_id));
	EXPECT_EQ(EBUSY, attach(self, FIRST_PASID, self->pasid_hwpt_id));
	EXPECT_EQ(EBUSY, attach(self, FIRST_PASID, self->rid_hwpt_id));
	/* One detach undoes the one attachment: nothing was counted */
	EXPECT_EQ(0, iommufd_pasid_detach_err(self->fd, self->stdev_id,
					      FIRST_PASID));
	EXPECT_EQ(0, on(self, FIRST_PASID, 0));
}

TEST_F(pasid, detaching_a_pasid_that_is_not_attached_is_harmless)
{
	EXPECT_EQ(0, iommufd_pasid_detach_err(self->fd, self->stdev_id,
					      FIRST_PASID));
	EXPECT_EQ(0, on(self, FIRST_PASID, 0));
}

TEST_F(pasid, hwpt_without_the_pasid_flag_is_einval)
{
	EXPECT_EQ(EINVAL, attach(self, FIRST_PASID, self->plain_hwpt_id));
	EXPECT_EQ(0, on(self, FIRST_PASID, 0));
}

TEST_F(pasid, ioas_is_einval_as_automatic_hwpts_lack_the_flag)
{
	EXPECT_EQ(EINVAL, attach(self, FIRST_PASID, self->ioas_id));
	EXPECT_EQ(0, on(self, FIRST_PASID, 0));
}

TEST_F(pasid, pasid_beyond_the_device_width_is_einval)
{
	EXPECT_EQ(EINVAL, attach(self, WIDEST_PASID + 1, self->pasid_hwpt_id));
	EXPECT_EQ(0, attach(self, WIDEST_PASID, self->pasid_hwpt_id));
	EXPECT_EQ(0, on(self, WIDEST_PASID, self->pasid_hwpt_id));
}

TEST_F(pasid, device_without_pasid_support_is_einval)
{
	__u32 pt_id = self->pasid_hwpt_id;
	__u32 stdev_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &stdev_id, NULL, NULL));
	/* Its RID may use a PASID-compatible HWPT all the same */
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, stdev_id,
						     &self->rid_hwpt_id));

	EXPECT_EQ(EINVAL, iommufd_pasid_attach_err(self->fd, stdev_id, 1,
						   &pt_id));
}

TEST_F(pasid, hwpt_with_a_pasid_attached_cannot_be_destroyed)
{
	ASSERT_EQ(0, attach(self, FIRST_PASID, self->pasid_hwpt_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->pasid_hwpt_id));
	ASSERT_EQ(0, iommufd_pasid_detach_err(self->fd, self->stdev_id,
					      FIRST_PASID));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->pasid_hwpt_id));
}

TEST_F(pasid, closing_the_context_with_pasids_attached_is_clean)
{
	ASSERT_EQ(0, attach(self, FIRST_PASID, self->pasid_hwpt_id));
	ASSERT_EQ(0, attach(self, OTHER_PASID, self->pasid_hwpt_id));
	/* The teardown closes the context; the debug profile watches */
}

/* ---- The RID and the PASIDs ---------------------------------------------- */

TEST_F(pasid, rid_on_a_plain_hwpt_keeps_pasids_off)
{
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &self->plain_hwpt_id));
	EXPECT_EQ(EINVAL, attach(self, FIRST_PASID, self->pasid_hwpt_id));
	EXPECT_EQ(0, on(self, FIRST_PASID, 0));
}

TEST_F(pasid, rid_cannot_leave_for_a_plain_hwpt_while_a_pasid_is_on)
{
	__u32 pt_id = self->plain_hwpt_id;

	ASSERT_EQ(0, attach(self, FIRST_PASID, self->pasid_hwpt_id));
	EXPECT_EQ(EINVAL, iommufd_mock_domain_replace_err(self->fd,
							  self->stdev_id,
							  &pt_id));
	EXPECT_EQ(0, on(self, 0, self->rid_hwpt_id));
	ASSERT_EQ(0, iommufd_pasid_detach_err(self->fd, self->stdev_id,
					      FIRST_PASID));
	EXPECT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &pt_id));
}

/* ---- Replace ------------------------------------------------------------- */

TEST_F(pasid, replace_of_a_pasid_that_is_not_attached_is_einval)
{
	EXPECT_EQ(EINVAL, replace(self, FIRST_PASID, self->pasid_hwpt_id));
	EXPECT_EQ(0, on(self, FIRST_PASID, 0));
}

TEST_F(pasid, replace_moves_the_pasid_and_reports_the_hwpt)
{
	__u32 pt_id = self->rid_hwpt_id;

	ASSERT_EQ(0, attach(self, FIRST_PASID, self->pasid_hwpt_id));
	ASSERT_EQ(0, iommufd_pasid_replace_err(self->fd, self->stdev_id,
					       FIRST_PASID, &pt_id));
	EXPECT_EQ(self->rid_hwpt_id, pt_id);
	EXPECT_EQ(0, on(self, FIRST_PASID, self->rid_hwpt_id));
	/* The HWPT left behind has no dependent any more */
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->pasid_hwpt_id));
	/* Onto the HWPT it is on already: nothing to do */
	EXPECT_EQ(0, replace(self, FIRST_PASID, self->rid_hwpt_id));
	EXPECT_EQ(0, on(self, FIRST_PASID, self->rid_hwpt_id));
}

TEST_F(pasid, replace_keeps_the_rules_of_attach)
{
	ASSERT_EQ(0, attach(self, FIRST_PASID, self->pasid_hwpt_id));
	EXPECT_EQ(EINVAL, replace(self, FIRST_PASID, self->plain_hwpt_id));
	EXPECT_EQ(EINVAL, replace(self, FIRST_PASID, self->ioas_id));
	EXPECT_EQ(0, on(self, FIRST_PASID, self->pasid_hwpt_id));
}

TEST_F(pasid, replace_the_driver_refuses_leaves_the_old_domain)
{
	__u32 parent_id, nested_id;

	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id,
					    IOMMU_HWPT_ALLOC_NEST_PARENT,
					    &parent_id));
	ASSERT_EQ(0, iommufd_nested_flags_err(self->fd, self->idev_id,
					      parent_id,
					      IOMMU_HWPT_ALLOC_PASID, 0,
					      &nested_id));
	ASSERT_EQ(0, attach(self, IOMMU_TEST_PASID_RESERVED,
			    self->pasid_hwpt_id));
	EXPECT_EQ(ENOMEM, replace(self, IOMMU_TEST_PASID_RESERVED, nested_id));
	EXPECT_EQ(0, on(self, IOMMU_TEST_PASID_RESERVED, self->pasid_hwpt_id));
	/* The attachment that failed to come holds nothing */
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, nested_id));
}

struct gap_watch {
	int fd;
	__u32 stdev_id;
	bool stop;
	unsigned int looks;
	unsigned int seen_blocked;
};

/* Ask the core over and over whether the PASID has no domain */
static void *gap_watch_run(void *arg)
{
	struct gap_watch *watch = arg;

	while (!__atomic_load_n(&watch->stop, __ATOMIC_RELAXED)) {
		if (!iommufd_pasid_check_err(watch->fd, watch->stdev_id,
					     FIRST_PASID, 0))
			watch->seen_blocked++;
		watch->looks++;
	}
	return NULL;
}

/*
 * While the PASID moves back and forth, the core never has it without a
 * domain: a replace is no detach followed by an attach.
 */
TEST_F(pasid, replace_never_leaves_the_pasid_without_a_domain)
{
	struct gap_watch watch = { .fd = self->fd, .stdev_id = self->stdev_id };
	__u32 targets[2] = { self->rid_hwpt_id, self->pasid_hwpt_id };
	pthread_t watcher;
	unsigned int i;

	ASSERT_EQ(0, attach(self, FIRST_PASID, self->pasid_hwpt_id));
	ASSERT_EQ(0, pthread_create(&watcher, NULL, gap_watch_run, &watch));
	for (i = 0; i != 2000; i++)
		ASSERT_EQ(0, replace(self, FIRST_PASID, targets[i % 2]));
	__atomic_store_n(&watch.stop, true, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(watcher, NULL));
	EXPECT_LT(0, watch.looks);
	EXPECT_EQ(0, watch.seen_blocked);
	EXPECT_EQ(0, on(self, FIRST_PASID, self->pasid_hwpt_id));
}

/* ---- Page requests of PASIDs --------------------------------------------- */

/*
 * The RID and two PASIDs each on a nested HWPT of their own with the
 * same fault queue: what detaching or moving one of them must answer, and
 * must not.
 */
FIXTURE(pasid_faults)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 idev_id;
	__u32 parent_id;
	__u32 fault_id;
	int fault_fd;
	__u32 rid_iopf_id;
	__u32 first_iopf_id;
	__u32 other_iopf_id;
	__u32 spare_iopf_id;
};

FIXTURE_SETUP(pasid_faults)
{
	__u32 *iopf_ids[] = { &self->rid_iopf_id, &self->first_iopf_id,
			      &self->other_iopf_id, &self->spare_iopf_id };
	__u32 pt_id;
	unsigned int i;

	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &self->ioas_id));
	ASSERT_EQ(0, iommufd_mock_domain_flags_err(self->fd, self->ioas_id,
						   MOCK_FLAGS_DEVICE_PASID,
						   &self->stdev_id, NULL,
						   &self->idev_id));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					    self->ioas_id,
					    IOMMU_HWPT_ALLOC_NEST_PARENT |
						    IOMMU_HWPT_ALLOC_PASID,
					    &self->parent_id));
	ASSERT_EQ(0, iommufd_fault_queue_err(self->fd, &self->fault_id,
					     &self->fault_fd));
	for (i = 0; i != ARRAY_SIZE(iopf_ids); i++)
		ASSERT_EQ(0, iommufd_nested_flags_err(self->fd, self->idev_id,
						      self->parent_id,
						      IOMMU_HWPT_ALLOC_PASID,
						      self->fault_id,
						      iopf_ids[i]));
	pt_id = self->rid_iopf_id;
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &pt_id));
	pt_id = self->first_iopf_id;
	ASSERT_EQ(0, iommufd_pasid_attach_err(self->fd, self->stdev_id,
					      FIRST_PASID, &pt_id));
	pt_id = self->other_iopf_id;
	ASSERT_EQ(0, iommufd_pasid_attach_err(self->fd, self->stdev_id,
					      OTHER_PASID, &pt_id));
}

FIXTURE_TEARDOWN(pasid_faults)
{
	close(self->fault_fd);
	close(self->fd);
}

/* The RID, FIRST_PASID and OTHER_PASID each raise one request */
static void raise_three(struct __test_metadata *_metadata,
			struct _test_data_pasid_faults *self)
{
	ASSERT_EQ(0, iommufd_trigger_iopf_err(self->fd, self->idev_id, 0, 1));
	ASSERT_EQ(0, iommufd_trigger_iopf_err(self->fd, self->idev_id,
					      FIRST_PASID, 2));
	ASSERT_EQ(0, iommufd_trigger_iopf_err(self->fd, self->idev_id,
					      OTHER_PASID, 3));
}

TEST_F(pasid_faults, request_on_a_pasid_carries_it)
{
	struct iommu_hwpt_pgfault record;

	ASSERT_EQ(0, iommufd_trigger_iopf_err(self->fd, self->idev_id,
					      FIRST_PASID, 5));
	ASSERT_EQ(1, read_all(self->fault_fd, &record, 1));
	EXPECT_EQ(self->idev_id, record.dev_id);
	EXPECT_EQ(FIRST_PASID, record.pasid);
	EXPECT_EQ(5, record.grpid);
	EXPECT_TRUE(record.flags & IOMMU_PGFAULT_FLAGS_PASID_VALID);
	EXPECT_EQ(ANSWER_SIZE, answer(self->fault_fd, record.cookie));
}

TEST_F(pasid_faults, detach_answers_the_read_requests_of_that_pasid_only)
{
	struct iommu_hwpt_pgfault records[4];
	unsigned int i;

	raise_three(_metadata, self);
	ASSERT_EQ(3, read_all(self->fault_fd, records, 4));
	ASSERT_EQ(0, iommufd_pasid_detach_err(self->fd, self->stdev_id,
					      FIRST_PASID));
	for (i = 0; i != 3; i++) {
		ssize_t expected = records[i].pasid == FIRST_PASID ?
					   -EINVAL : (ssize_t)ANSWER_SIZE;

		EXPECT_EQ(expected, answer(self->fault_fd, records[i].cookie));
	}
}

TEST_F(pasid_faults, detach_answers_the_unread_requests_of_that_pasid_only)
{
	struct iommu_hwpt_pgfault records[4];
	unsigned int i, n;

	raise_three(_metadata, self);
	ASSERT_EQ(0, iommufd_pasid_detach_err(self->fd, self->stdev_id,
					      FIRST_PASID));
	n = read_all(self->fault_fd, records, 4);
	ASSERT_EQ(2, n);
	for (i = 0; i != n; i++) {
		EXPECT_NE(FIRST_PASID, records[i].pasid);
		EXPECT_EQ(ANSWER_SIZE, answer(self->fault_fd,
					      records[i].cookie));
	}
}

TEST_F(pasid_faults, replace_answers_the_requests_of_the_pasid_it_moves)
{
	struct iommu_hwpt_pgfault records[4];
	__u32 pt_id = self->spare_iopf_id;
	unsigned int i;

	raise_three(_metadata, self);
	ASSERT_EQ(3, read_all(self->fault_fd, records, 4));
	ASSERT_EQ(0, iommufd_pasid_replace_err(self->fd, self->stdev_id,
					       OTHER_PASID, &pt_id));
	for (i = 0; i != 3; i++) {
		ssize_t expected = records[i].pasid == OTHER_PASID ?
					   -EINVAL : (ssize_t)ANSWER_SIZE;

		EXPECT_EQ(expected, answer(self->fault_fd, records[i].cookie));
	}
	/* Its new requests arrive through the new HWPT */
	ASSERT_EQ(0, iommufd_trigger_iopf_err(self->fd, self->idev_id,
					      OTHER_PASID, 7));
	ASSERT_EQ(1, read_all(self->fault_fd, records, 4));
	EXPECT_EQ(OTHER_PASID, records[0].pasid);
}

TEST_F(pasid_faults, rid_detach_leaves_the_pasids_requests)
{
	struct iommu_hwpt_pgfault records[4];
	__u32 pt_id = self->parent_id;
	unsigned int i;

	raise_three(_metadata, self);
	ASSERT_EQ(3, read_all(self->fault_fd, records, 4));
	/* The RID moves off its fault-capable HWPT */
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &pt_id));
	for (i = 0; i != 3; i++) {
		ssize_t expected = records[i].flags &
						   IOMMU_PGFAULT_FLAGS_PASID_VALID ?
					   (ssize_t)ANSWER_SIZE : -EINVAL;

		EXPECT_EQ(expected, answer(self->fault_fd, records[i].cookie));
	}
}

/* ---- Races --------------------------------------------------------------- */

#define RACE_PASIDS 4
#define RACE_ROUNDS 300

struct race {
	int fd;
	int fault_fd;
	__u32 idev_id;
	bool stop;
	unsigned int raised;
};

static void *race_raise(void *arg)
{
	struct race *race = arg;
	unsigned int i = 0;

	while (!__atomic_load_n(&race->stop, __ATOMIC_RELAXED)) {
		iommufd_trigger_iopf_err(race->fd, race->idev_id,
					 FIRST_PASID + i % RACE_PASIDS,
					 i & 0x1ff);
		race->raised++;
		i++;
	}
	return NULL;
}

static void *race_answer(void *arg)
{
	struct race *race = arg;
	struct iommu_hwpt_pgfault records[8];
	unsigned int i, n;

	while (!__atomic_load_n(&race->stop, __ATOMIC_RELAXED)) {
		n = read_all(race->fault_fd, records, 8);
		/* An answer may find the request retired meanwhile */
		for (i = 0; i != n; i++)
			answer(race->fault_fd, records[i].cookie);
	}
	return NULL;
}

/* Round @round attaches @pasid, the next moves it, the next detaches it */
static int race_step(struct _test_data_pasid_faults *self,
		     unsigned int round, __u32 pasid, __u32 pt_id)
{
	switch (round % 3) {
	case 0:
		return iommufd_pasid_attach_err(self->fd, self->stdev_id,
						pasid, &pt_id);
	case 1:
		return iommufd_pasid_replace_err(self->fd, self->stdev_id,
						 pasid, &pt_id);
	default:
		return iommufd_pasid_detach_err(self->fd, self->stdev_id,
						pasid);
	}
}

/*
 * Several PASIDs of the device are attached, moved between two
 * fault-capable HWPTs and detached while requests on them are raised and
 * answered: a delivery that found an attachment must be done with it
 * before it is freed (KASAN in the debug profile watches), and at the end
 * nothing is left to answer.
 */
TEST_F(pasid_faults, deliveries_race_with_pasid_attach_replace_and_detach)
{
	struct race race = {
		.fd = self->fd,
		.fault_fd = self->fault_fd,
		.idev_id = self->idev_id,
	};
	struct pollfd pfd = { .fd = self->fault_fd, .events = POLLIN };
	__u32 targets[2] = { self->spare_iopf_id, self->first_iopf_id };
	pthread_t raiser, answerer;
	unsigned int round, p;

	ASSERT_EQ(0, iommufd_pasid_detach_err(self->fd, self->stdev_id,
					      FIRST_PASID));
	ASSERT_EQ(0, iommufd_pasid_detach_err(self->fd, self->stdev_id,
					      OTHER_PASID));
	ASSERT_EQ(0, pthread_create(&raiser, NULL, race_raise, &race));
	ASSERT_EQ(0, pthread_create(&answerer, NULL, race_answer, &race));
	for (round = 0; round != RACE_ROUNDS; round++)
		for (p = 0; p != RACE_PASIDS; p++)
			ASSERT_EQ(0, race_step(self, round, FIRST_PASID + p,
					       targets[(round + p) % 2]));
	__atomic_store_n(&race.stop, true, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(raiser, NULL));
	ASSERT_EQ(0, pthread_join(answerer, NULL));
	EXPECT_LT(0, race.raised);
	/*
	 * The last round detached every PASID; requests on a PASID without
	 * an attachment went to the RID's nested HWPT, which moving the RID
	 * answers: then nothing may be left.
	 */
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &self->parent_id));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->spare_iopf_id));
}

TEST_HARNESS_MAIN
