// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault queues: IOMMU_FAULT_QUEUE_ALLOC, nested HWPTs that send I/O page
 * faults to one, reading page requests from the queue's descriptor and
 * answering them, and the kernel answering what user space cannot any more
 * (detach, replace, close).
 *
 * The page requests come from IOMMU_TEST_OP_TRIGGER_IOPF: the mock device
 * raises one request, the last of its group, with the given PASID, group
 * index, permissions and address.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iommufd_helpers.h"
#include "iommufd_uffd.h"
#include "../kselftest_harness.h"

#define RECORD_SIZE sizeof(struct iommu_hwpt_pgfault)
#define ANSWER_SIZE sizeof(struct iommu_hwpt_page_response)
#define REQUEST_ADDR 0x40001000ULL
#define REQUEST_PERM (IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE)

static int fault_queue_alloc_err(int fd, __u32 flags, __u32 *fault_id,
				 int *fault_fd)
{
	struct iommu_fault_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
	};
	int err = iommufd_ioctl_err(fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd);

	if (err)
		return err;
	*fault_id = cmd.out_fault_id;
	*fault_fd = cmd.out_fault_fd;
	return 0;
}

/* The mock device behind @idev_id raises a page request of group @grpid */
static int trigger_err(int fd, __u32 idev_id, __u32 pasid, __u32 grpid)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = {
			.dev_id = idev_id,
			.pasid = pasid,
			.grpid = grpid,
			.perm = REQUEST_PERM,
			.addr = REQUEST_ADDR,
		},
	};

	return iommufd_test_cmd_err(fd, &cmd);
}

/* read() of @count bytes: the byte count, or -errno */
static ssize_t read_records(int fault_fd, struct iommu_hwpt_pgfault *records,
			    size_t count)
{
	ssize_t done = read(fault_fd, records, count);

	return done < 0 ? -errno : done;
}

/* write() of one answer: the byte count, or -errno */
static ssize_t answer(int fault_fd, __u32 cookie, __u32 code)
{
	struct iommu_hwpt_page_response response = {
		.cookie = cookie,
		.code = code,
	};
	ssize_t done = write(fault_fd, &response, sizeof(response));

	return done < 0 ? -errno : done;
}

static bool readable(int fault_fd)
{
	struct pollfd pfd = { .fd = fault_fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

/* Move the mock device @stdev_id to @pt_id, an IOAS or a HWPT */
static int move_device_err(int fd, __u32 stdev_id, __u32 pt_id)
{
	return iommufd_mock_domain_replace_err(fd, stdev_id, &pt_id);
}

/* The device raises a request of group @grpid; read its one record */
static int raise_and_read_err(int fd, __u32 idev_id, int fault_fd,
			      __u32 grpid, struct iommu_hwpt_pgfault *record)
{
	ssize_t done;
	int err;

	err = trigger_err(fd, idev_id, 1, grpid);
	if (err)
		return err;
	done = read_records(fault_fd, record, sizeof(*record));
	if (done < 0)
		return -done;
	return done == RECORD_SIZE ? 0 : EIO;
}

/*
 * A mock device, a nesting parent for it on the IOAS, a fault queue and a
 * nested HWPT that uses the queue, with the device attached to it.
 */
FIXTURE(pgfault)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 idev_id;
	__u32 parent_id;
	__u32 fault_id;
	int fault_fd;
	__u32 iopf_hwpt_id;
};

FIXTURE_SETUP(pgfault)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0,
		  iommufd_mock_device_hwpt_err(self->fd,
					       IOMMU_HWPT_ALLOC_NEST_PARENT,
					       &self->ioas_id, &self->stdev_id,
					       &self->idev_id,
					       &self->parent_id));
	ASSERT_EQ(0, fault_queue_alloc_err(self->fd, 0, &self->fault_id,
					   &self->fault_fd));
	ASSERT_EQ(0, iommufd_nested_flags_err(self->fd, self->idev_id,
					      self->parent_id, 0,
					      self->fault_id,
					      &self->iopf_hwpt_id));
	ASSERT_EQ(0, move_device_err(self->fd, self->stdev_id,
				     self->iopf_hwpt_id));
}

FIXTURE_TEARDOWN(pgfault)
{
	if (self->fault_fd >= 0)
		close(self->fault_fd);
	close(self->fd);
}

TEST_F(pgfault, new_queue_has_an_id_and_a_close_on_exec_descriptor)
{
	EXPECT_NE(0, self->fault_id);
	EXPECT_LE(0, self->fault_fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(self->fault_fd, F_GETFD) & FD_CLOEXEC);
}

TEST_F(pgfault, queue_with_unknown_flags_is_eopnotsupp)
{
	__u32 fault_id;
	int fault_fd;

	EXPECT_EQ(EOPNOTSUPP, fault_queue_alloc_err(self->fd, 1, &fault_id,
						    &fault_fd));
}

TEST_F(pgfault, queue_is_busy_while_its_descriptor_or_a_hwpt_uses_it)
{
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->fault_id));
	ASSERT_EQ(0, close(self->fault_fd));
	self->fault_fd = -1;
	/* The nested HWPT still depends on it */
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->fault_id));
	ASSERT_EQ(0, move_device_err(self->fd, self->stdev_id,
				     self->ioas_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->iopf_hwpt_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->fault_id));
}

TEST_F(pgfault, nested_hwpt_naming_no_fault_queue_is_enoent)
{
	__u32 hwpt_id;

	EXPECT_EQ(ENOENT, iommufd_nested_flags_err(self->fd, self->idev_id,
						   self->parent_id, 0,
						   0x7fffffff, &hwpt_id));
	/* An ID of another kind names no fault queue either */
	EXPECT_EQ(ENOENT, iommufd_nested_flags_err(self->fd, self->idev_id,
						   self->parent_id, 0,
						   self->ioas_id, &hwpt_id));
}

TEST_F(pgfault, fault_queue_on_a_nest_parent_is_eopnotsupp)
{
	__u32 hwpt_id;

	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_hwpt_alloc_err(self->fd, self->idev_id,
					 self->ioas_id,
					 IOMMU_HWPT_ALLOC_NEST_PARENT |
						 IOMMU_HWPT_FAULT_ID_VALID,
					 &hwpt_id));
}

TEST_F(pgfault, request_is_read_with_the_device_and_its_fields)
{
	struct iommu_hwpt_pgfault record;

	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 7, 3));
	ASSERT_EQ(RECORD_SIZE, read_records(self->fault_fd, &record,
					    sizeof(record)));
	EXPECT_EQ(IOMMU_PGFAULT_FLAGS_PASID_VALID |
			  IOMMU_PGFAULT_FLAGS_LAST_PAGE,
		  record.flags);
	EXPECT_EQ(self->idev_id, record.dev_id);
	EXPECT_EQ(7, record.pasid);
	EXPECT_EQ(3, record.grpid);
	EXPECT_EQ(REQUEST_PERM, record.perm);
	EXPECT_EQ(REQUEST_ADDR, record.addr);
	EXPECT_EQ(0, record.__reserved);
	EXPECT_EQ(ANSWER_SIZE, answer(self->fault_fd, record.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));
}

TEST_F(pgfault, request_without_a_pasid_has_no_pasid_flag)
{
	struct iommu_hwpt_pgfault record;

	/* IOMMU_NO_PASID is 0 */
	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 0, 1));
	ASSERT_EQ(RECORD_SIZE, read_records(self->fault_fd, &record,
					    sizeof(record)));
	EXPECT_EQ(IOMMU_PGFAULT_FLAGS_LAST_PAGE, record.flags);
	EXPECT_EQ(ANSWER_SIZE, answer(self->fault_fd, record.cookie,
				      IOMMUFD_PAGE_RESP_INVALID));
}

TEST_F(pgfault, answered_cookie_cannot_be_answered_again)
{
	struct iommu_hwpt_pgfault record;

	ASSERT_EQ(0, raise_and_read_err(self->fd, self->idev_id, self->fault_fd,
					1, &record));
	EXPECT_EQ(ANSWER_SIZE, answer(self->fault_fd, record.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));
	EXPECT_EQ(-EINVAL, answer(self->fault_fd, record.cookie,
				  IOMMUFD_PAGE_RESP_SUCCESS));
}

TEST_F(pgfault, answer_with_an_unknown_code_or_cookie_is_einval)
{
	struct iommu_hwpt_pgfault record;

	ASSERT_EQ(0, raise_and_read_err(self->fd, self->idev_id, self->fault_fd,
					1, &record));
	EXPECT_EQ(-EINVAL, answer(self->fault_fd, record.cookie, 2));
	EXPECT_EQ(-EINVAL, answer(self->fault_fd, record.cookie + 1,
				  IOMMUFD_PAGE_RESP_SUCCESS));
	/* Neither failure used up the request */
	EXPECT_EQ(ANSWER_SIZE, answer(self->fault_fd, record.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));
}

TEST_F(pgfault, empty_queue_reads_nothing_and_polls_not_readable)
{
	struct iommu_hwpt_pgfault record;

	EXPECT_FALSE(readable(self->fault_fd));
	EXPECT_EQ(0, read_records(self->fault_fd, &record, sizeof(record)));

	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 1));
	EXPECT_TRUE(readable(self->fault_fd));
	ASSERT_EQ(RECORD_SIZE, read_records(self->fault_fd, &record,
					    sizeof(record)));
	/* Read is not answered: nothing more to read, though */
	EXPECT_FALSE(readable(self->fault_fd));
	EXPECT_EQ(ANSWER_SIZE, answer(self->fault_fd, record.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));
}

TEST_F(pgfault, sizes_that_are_not_whole_records_are_espipe)
{
	struct iommu_hwpt_pgfault records[2];
	__u8 bytes[ANSWER_SIZE + 1] = {};

	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 1));
	EXPECT_EQ(-ESPIPE, read_records(self->fault_fd, records,
					RECORD_SIZE + 1));
	EXPECT_EQ(-ESPIPE, read_records(self->fault_fd, records,
					RECORD_SIZE - 1));
	EXPECT_EQ(-1, write(self->fault_fd, bytes, sizeof(bytes)));
	EXPECT_EQ(ESPIPE, errno);
	/* The request is still there for a proper read */
	EXPECT_EQ(RECORD_SIZE, read_records(self->fault_fd, records,
					    sizeof(records)));
}

TEST_F(pgfault, buffer_too_small_for_a_pending_group_is_einval)
{
	struct iommu_hwpt_pgfault record;

	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 1));
	EXPECT_EQ(-EINVAL, read_records(self->fault_fd, &record, 0));
	EXPECT_EQ(RECORD_SIZE, read_records(self->fault_fd, &record,
					    sizeof(record)));
}

TEST_F(pgfault, requests_are_read_in_order_and_answered_together)
{
	struct iommu_hwpt_pgfault records[4];
	struct iommu_hwpt_page_response answers[3];
	unsigned int i;

	for (i = 0; i != 3; i++)
		ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 10 + i));
	/* A larger buffer takes only the groups there are */
	ASSERT_EQ(3 * RECORD_SIZE, read_records(self->fault_fd, records,
						sizeof(records)));
	for (i = 0; i != 3; i++) {
		EXPECT_EQ(10 + i, records[i].grpid);
		if (i)
			EXPECT_NE(records[i - 1].cookie, records[i].cookie);
		answers[i].cookie = records[i].cookie;
		answers[i].code = IOMMUFD_PAGE_RESP_SUCCESS;
	}
	EXPECT_EQ(sizeof(answers),
		  write(self->fault_fd, answers, sizeof(answers)));
}

TEST_F(pgfault, batch_of_answers_stops_at_the_first_bad_one)
{
	struct iommu_hwpt_pgfault records[2];
	struct iommu_hwpt_page_response answers[3];

	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 1));
	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 2));
	ASSERT_EQ(2 * RECORD_SIZE, read_records(self->fault_fd, records,
						sizeof(records)));
	answers[0] = (struct iommu_hwpt_page_response){ records[0].cookie, 0 };
	answers[1] = (struct iommu_hwpt_page_response){ records[0].cookie, 0 };
	answers[2] = (struct iommu_hwpt_page_response){ records[1].cookie, 0 };
	/* The first counts; the repeat is refused; the third is not looked at */
	EXPECT_EQ(ANSWER_SIZE, write(self->fault_fd, answers, sizeof(answers)));
	EXPECT_EQ(ANSWER_SIZE, answer(self->fault_fd, records[1].cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));
}

TEST_F(pgfault, detach_answers_what_user_space_has_not)
{
	struct iommu_hwpt_pgfault record;

	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 1));
	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 2));
	/* One read and waiting for its answer, one not read at all */
	ASSERT_EQ(RECORD_SIZE, read_records(self->fault_fd, &record,
					    sizeof(record)));

	ASSERT_EQ(0, move_device_err(self->fd, self->stdev_id,
				     self->ioas_id));
	EXPECT_EQ(-EINVAL, answer(self->fault_fd, record.cookie,
				  IOMMUFD_PAGE_RESP_SUCCESS));
	EXPECT_EQ(0, read_records(self->fault_fd, &record, sizeof(record)));
	EXPECT_FALSE(readable(self->fault_fd));
	/* Nothing holds the nested HWPT any more */
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->iopf_hwpt_id));
}

TEST_F(pgfault, replace_to_another_queue_answers_the_old_ones)
{
	struct iommu_hwpt_pgfault record, old_record;
	__u32 other_fault_id, other_hwpt_id, pt_id;
	int other_fault_fd;

	ASSERT_EQ(0, fault_queue_alloc_err(self->fd, 0, &other_fault_id,
					   &other_fault_fd));
	ASSERT_EQ(0, iommufd_nested_flags_err(self->fd, self->idev_id,
					      self->parent_id, 0,
					      other_fault_id, &other_hwpt_id));
	ASSERT_EQ(0, raise_and_read_err(self->fd, self->idev_id, self->fault_fd,
					1, &old_record));

	pt_id = other_hwpt_id;
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &pt_id));
	EXPECT_EQ(-EINVAL, answer(self->fault_fd, old_record.cookie,
				  IOMMUFD_PAGE_RESP_SUCCESS));
	/* New requests go to the new HWPT's queue only */
	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 2));
	EXPECT_EQ(0, read_records(self->fault_fd, &record, sizeof(record)));
	ASSERT_EQ(RECORD_SIZE, read_records(other_fault_fd, &record,
					    sizeof(record)));
	EXPECT_EQ(2, record.grpid);
	EXPECT_EQ(ANSWER_SIZE, answer(other_fault_fd, record.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));
	close(other_fault_fd);
}

TEST_F(pgfault, closed_descriptor_answers_everything_from_then_on)
{
	struct iommu_hwpt_pgfault record;

	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 1));
	ASSERT_EQ(0, raise_and_read_err(self->fd, self->idev_id, self->fault_fd,
					2, &record));
	ASSERT_EQ(0, close(self->fault_fd));
	self->fault_fd = -1;

	/* Still attached: a new request is answered at once, not queued */
	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 3));
	ASSERT_EQ(0, move_device_err(self->fd, self->stdev_id,
				     self->ioas_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->iopf_hwpt_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->fault_id));
}

/*
 * Groups one fault queue holds, read or not, before new ones are answered
 * at once (IOMMUFD_FAULT_MAX_DEPTH of the kernel's fault.h)
 */
#define QUEUE_MOST 4096

/* The depth the fault queue @fault_id shows in the context's fdinfo */
static long long queue_depth(int fd, __u32 fault_id)
{
	struct iommufd_fdinfo info;

	if (iommufd_fdinfo_read_err(fd, &info))
		return -1;
	return iommufd_fdinfo_num(&info, fault_id, "depth");
}

/* Read every queued record, a batch at a time; the count, or -errno */
static ssize_t drain_records(int fault_fd, __u32 *last_cookie)
{
	struct iommu_hwpt_pgfault records[64];
	ssize_t done, total = 0;

	while ((done = read_records(fault_fd, records, sizeof(records))) > 0) {
		total += done / RECORD_SIZE;
		*last_cookie = records[done / RECORD_SIZE - 1].cookie;
	}
	return done < 0 ? done : total;
}

TEST_F(pgfault, queue_nobody_reads_stays_bounded)
{
	__u32 cookie = 0;
	unsigned int i;

	for (i = 0; i != QUEUE_MOST + 16; i++)
		ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, i % 512));
	/* The 16 beyond the bound were answered as they came */
	ASSERT_EQ(QUEUE_MOST, queue_depth(self->fd, self->fault_id));

	/* Read but not answered still counts: nothing more gets in */
	ASSERT_EQ(QUEUE_MOST, drain_records(self->fault_fd, &cookie));
	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 1));
	EXPECT_EQ(0, drain_records(self->fault_fd, &cookie));
	EXPECT_EQ(QUEUE_MOST, queue_depth(self->fd, self->fault_id));

	/* One answer makes room for one request */
	ASSERT_EQ(ANSWER_SIZE, answer(self->fault_fd, cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));
	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 2));
	EXPECT_EQ(1, drain_records(self->fault_fd, &cookie));
	EXPECT_EQ(QUEUE_MOST, queue_depth(self->fd, self->fault_id));
}

TEST_F(pgfault, request_on_a_hwpt_without_a_queue_reaches_no_queue)
{
	struct iommu_hwpt_pgfault record;
	__u32 pt_id;

	ASSERT_EQ(0, iommufd_hwpt_alloc_nested_err(self->fd, self->idev_id,
						   self->parent_id,
						   IOMMU_TEST_IOTLB_DEFAULT,
						   &pt_id));
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, self->stdev_id,
						     &pt_id));
	/* The core answers it; the test op succeeds as upstream's does */
	EXPECT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 1));
	EXPECT_EQ(0, read_records(self->fault_fd, &record, sizeof(record)));
}

TEST_F(pgfault, request_from_an_unknown_device_is_enoent)
{
	EXPECT_EQ(ENOENT, trigger_err(self->fd, 0x7fffffff, 1, 1));
	EXPECT_EQ(ENOENT, trigger_err(self->fd, self->ioas_id, 1, 1));
}

TEST_F(pgfault, closing_the_context_with_requests_pending_is_clean)
{
	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 1));
	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 2));
	/*
	 * The queue's descriptor keeps the context alive: close the context
	 * first, so that the device is detached by closing the queue last.
	 */
	ASSERT_EQ(0, close(self->fd));
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
}

/* A read() of one record on another thread, into @buffer */
struct background_read {
	pthread_t thread;
	int fault_fd;
	void *buffer;
	ssize_t result;
};

static void *background_read_run(void *arg)
{
	struct background_read *reader = arg;

	reader->result = read_records(reader->fault_fd, reader->buffer,
				      RECORD_SIZE);
	return NULL;
}

/*
 * A reader whose buffer never arrives (here: a page userfaultfd holds
 * back) must not keep the queue's lock: the fault path of every device
 * on the IOMMU, and a detach, would wait for it.
 */
TEST_F(pgfault, reader_stuck_in_its_buffer_stalls_no_delivery_or_detach)
{
	struct background_read reader = { .fault_fd = self->fault_fd };
	struct iommu_hwpt_pgfault record;
	struct uffd_page page = { .uffd = -1 };
	__u32 other_stdev_id, other_idev_id;

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->ioas_id,
					     &other_stdev_id, NULL,
					     &other_idev_id));
	ASSERT_EQ(0, move_device_err(self->fd, other_stdev_id,
				     self->iopf_hwpt_id));
	ASSERT_EQ(0, uffd_page_missing_err(&page));

	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 1));
	reader.buffer = page.addr;
	ASSERT_EQ(0, pthread_create(&reader.thread, NULL, background_read_run,
				    &reader));
	/* The reader is now inside its copy to user space */
	ASSERT_EQ(0, uffd_page_wait_blocked_err(&page, 10000));

	/* Another device's request is delivered and can be read meanwhile */
	ASSERT_EQ(0, trigger_err(self->fd, other_idev_id, 1, 2));
	ASSERT_EQ(RECORD_SIZE, read_records(self->fault_fd, &record,
					    sizeof(record)));
	EXPECT_EQ(other_idev_id, record.dev_id);
	EXPECT_EQ(2, record.grpid);
	EXPECT_EQ(ANSWER_SIZE, answer(self->fault_fd, record.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));
	/* And the device whose request the reader holds can be detached */
	ASSERT_EQ(0, move_device_err(self->fd, self->stdev_id,
				     self->ioas_id));

	ASSERT_EQ(0, uffd_page_release_err(&page));
	ASSERT_EQ(0, pthread_join(reader.thread, NULL));
	/* It got its record, whose request the detach has answered since */
	ASSERT_EQ(RECORD_SIZE, reader.result);
	memcpy(&record, page.addr, sizeof(record));
	EXPECT_EQ(self->idev_id, record.dev_id);
	EXPECT_EQ(1, record.grpid);
	EXPECT_EQ(-EINVAL, answer(self->fault_fd, record.cookie,
				  IOMMUFD_PAGE_RESP_SUCCESS));
	uffd_page_close(&page);
}

TEST_F(pgfault, reader_whose_buffer_goes_away_leaves_the_request_unread)
{
	struct background_read reader = { .fault_fd = self->fault_fd };
	struct iommu_hwpt_pgfault record;
	struct uffd_page page = { .uffd = -1 };

	ASSERT_EQ(0, uffd_page_missing_err(&page));
	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 4));
	reader.buffer = page.addr;
	ASSERT_EQ(0, pthread_create(&reader.thread, NULL, background_read_run,
				    &reader));
	ASSERT_EQ(0, uffd_page_wait_blocked_err(&page, 10000));
	ASSERT_EQ(0, uffd_page_fail_err(&page));
	ASSERT_EQ(0, pthread_join(reader.thread, NULL));
	EXPECT_EQ(-EFAULT, reader.result);

	/* The request was not lost: the next read gets it */
	ASSERT_EQ(RECORD_SIZE, read_records(self->fault_fd, &record,
					    sizeof(record)));
	EXPECT_EQ(4, record.grpid);
	EXPECT_EQ(ANSWER_SIZE, answer(self->fault_fd, record.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));
	uffd_page_close(&page);
}

/*
 * A second device in the IOMMU group of the fixture's device, attached
 * with it to the nested HWPT.  The iommu core keeps one attach handle for
 * the group, the first device's.
 */
static int add_group_peer_err(int fd, __u32 first_stdev_id, __u32 hwpt_id,
			      __u32 *stdev_id, __u32 *idev_id)
{
	return iommufd_mock_domain_in_group_err(fd, first_stdev_id, hwpt_id, 0,
						stdev_id, NULL, idev_id);
}

TEST_F(pgfault, request_of_a_group_peer_names_the_peer)
{
	struct iommu_hwpt_pgfault record;
	__u32 peer_stdev_id, peer_idev_id;

	ASSERT_EQ(0, add_group_peer_err(self->fd, self->stdev_id,
					self->iopf_hwpt_id, &peer_stdev_id,
					&peer_idev_id));
	ASSERT_EQ(0, raise_and_read_err(self->fd, peer_idev_id, self->fault_fd,
					1, &record));
	EXPECT_EQ(peer_idev_id, record.dev_id);
	EXPECT_EQ(ANSWER_SIZE, answer(self->fault_fd, record.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));
	ASSERT_EQ(0, raise_and_read_err(self->fd, self->idev_id, self->fault_fd,
					2, &record));
	EXPECT_EQ(self->idev_id, record.dev_id);
	EXPECT_EQ(ANSWER_SIZE, answer(self->fault_fd, record.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));
}

TEST_F(pgfault, detaching_a_group_peer_answers_its_own_requests_only)
{
	struct iommu_hwpt_pgfault records[2];
	__u32 peer_stdev_id, peer_idev_id;

	ASSERT_EQ(0, add_group_peer_err(self->fd, self->stdev_id,
					self->iopf_hwpt_id, &peer_stdev_id,
					&peer_idev_id));
	ASSERT_EQ(0, trigger_err(self->fd, peer_idev_id, 1, 1));
	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 2));
	/* Detached and unbound */
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, peer_stdev_id));

	ASSERT_EQ(RECORD_SIZE, read_records(self->fault_fd, records,
					    sizeof(records)));
	EXPECT_EQ(self->idev_id, records[0].dev_id);
	EXPECT_EQ(2, records[0].grpid);
	EXPECT_EQ(ANSWER_SIZE, answer(self->fault_fd, records[0].cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));
}

TEST_F(pgfault, detaching_the_first_device_keeps_the_peers_requests)
{
	struct iommu_hwpt_pgfault read_early, records[2];
	__u32 peer_stdev_id, peer_idev_id;

	ASSERT_EQ(0, add_group_peer_err(self->fd, self->stdev_id,
					self->iopf_hwpt_id, &peer_stdev_id,
					&peer_idev_id));
	ASSERT_EQ(0, raise_and_read_err(self->fd, peer_idev_id, self->fault_fd,
					1, &read_early));
	ASSERT_EQ(0, trigger_err(self->fd, peer_idev_id, 1, 2));
	ASSERT_EQ(0, trigger_err(self->fd, self->idev_id, 1, 3));
	/* The device whose attach handle the core holds goes */
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->stdev_id));

	/* The peer's requests, read or not, are still the peer's to answer */
	EXPECT_EQ(ANSWER_SIZE, answer(self->fault_fd, read_early.cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));
	ASSERT_EQ(RECORD_SIZE, read_records(self->fault_fd, records,
					    sizeof(records)));
	EXPECT_EQ(peer_idev_id, records[0].dev_id);
	EXPECT_EQ(2, records[0].grpid);
	EXPECT_EQ(ANSWER_SIZE, answer(self->fault_fd, records[0].cookie,
				      IOMMUFD_PAGE_RESP_SUCCESS));
	/* And its new ones still arrive */
	ASSERT_EQ(0, raise_and_read_err(self->fd, peer_idev_id, self->fault_fd,
					4, &records[0]));
	EXPECT_EQ(peer_idev_id, records[0].dev_id);
}

/* Requests raised and requests read and answered on other threads */
struct fault_traffic {
	int fd;
	int fault_fd;
	__u32 idev_id;
	bool stop;
	unsigned int raised;
	unsigned int answered;
};

static bool fault_traffic_stopped(struct fault_traffic *traffic)
{
	return __atomic_load_n(&traffic->stop, __ATOMIC_RELAXED);
}

static void *fault_traffic_raise(void *arg)
{
	struct fault_traffic *traffic = arg;

	while (!fault_traffic_stopped(traffic)) {
		trigger_err(traffic->fd, traffic->idev_id, 1,
			    traffic->raised & 0x1ff);
		traffic->raised++;
	}
	return NULL;
}

static void *fault_traffic_answer(void *arg)
{
	struct fault_traffic *traffic = arg;
	struct iommu_hwpt_pgfault records[8];
	ssize_t done;
	unsigned int i;

	while (!fault_traffic_stopped(traffic)) {
		done = read_records(traffic->fault_fd, records,
				    sizeof(records));
		for (i = 0; done > 0 && i != done / RECORD_SIZE; i++) {
			/* Retired meanwhile is fine too */
			if (answer(traffic->fault_fd, records[i].cookie,
				   IOMMUFD_PAGE_RESP_SUCCESS) == ANSWER_SIZE)
				traffic->answered++;
		}
	}
	return NULL;
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) +
	       (now.tv_nsec - start->tv_nsec) / 1e9;
}

/*
 * Deliveries race with the device moving between two fault-capable HWPTs
 * and off them: a delivery that found the old attachment must be done
 * with it before it is freed (KASAN in the debug profile watches).
 */
TEST_F(pgfault, deliveries_race_with_replace_and_detach)
{
	struct fault_traffic traffic = {
		.fd = self->fd,
		.fault_fd = self->fault_fd,
		.idev_id = self->idev_id,
	};
	pthread_t raiser, answerer;
	struct timespec start;
	unsigned int moves = 0;
	__u32 other_hwpt_id;
	__u32 targets[3];

	ASSERT_EQ(0, iommufd_nested_flags_err(self->fd, self->idev_id,
					      self->parent_id, 0,
					      self->fault_id, &other_hwpt_id));
	targets[0] = other_hwpt_id;
	targets[1] = self->ioas_id;
	targets[2] = self->iopf_hwpt_id;

	ASSERT_EQ(0, pthread_create(&raiser, NULL, fault_traffic_raise,
				    &traffic));
	ASSERT_EQ(0, pthread_create(&answerer, NULL, fault_traffic_answer,
				    &traffic));
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (moves < 200 || seconds_since(&start) < 2) {
		ASSERT_EQ(0, move_device_err(self->fd, self->stdev_id,
					     targets[moves % 3]));
		moves++;
		if (seconds_since(&start) > 10)
			break;
	}
	__atomic_store_n(&traffic.stop, true, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(raiser, NULL));
	ASSERT_EQ(0, pthread_join(answerer, NULL));
	EXPECT_LT(0, traffic.raised);

	/* Every request went somewhere: answered, or retired by a move */
	ASSERT_EQ(0, move_device_err(self->fd, self->stdev_id, self->ioas_id));
	EXPECT_FALSE(readable(self->fault_fd));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, other_hwpt_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->iopf_hwpt_id));
}

TEST_HARNESS_MAIN
