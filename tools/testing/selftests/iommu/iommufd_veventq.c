// SPDX-License-Identifier: GPL-2.0-only
/*
 * vEVENTQs: IOMMU_VEVENTQ_ALLOC, and reading the events a vIOMMU's driver
 * reports from the queue's descriptor: their headers and sequence numbers,
 * what a read of any size returns, poll(), a full queue losing events and
 * saying so, and reads whose buffer faults part way.
 *
 * The events come from IOMMU_TEST_OP_TRIGGER_VEVENT: the mock device
 * reports a struct iommu_viommu_event_selftest holding its virtual ID to
 * the vIOMMU whose nested HWPT it is attached to.
 */
#include <assert.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "iommufd_helpers.h"

#define SELFTEST_EVENTS IOMMU_VEVENTQ_TYPE_SELFTEST
/* A type the mock never reports; a queue of it gets nothing */
#define OTHER_EVENTS IOMMU_VEVENTQ_TYPE_ARM_SMMUV3
#define DEPTH 4
#define VIRT_ID_A 0x1234
#define VIRT_ID_B 0x5678
#define HEADER_SIZE sizeof(struct iommufd_vevent_header)
#define EVENT_SIZE (HEADER_SIZE + sizeof(struct iommu_viommu_event_selftest))

/* One event as read: its header, and its data unless it is the marker */
struct vevent {
	struct iommufd_vevent_header header;
	struct iommu_viommu_event_selftest data;
};

static_assert(sizeof(struct vevent) == EVENT_SIZE, "events are packed");

/* read() of @count bytes: the byte count, or -errno */
static ssize_t read_events(int veventq_fd, void *buf, size_t count)
{
	ssize_t done = read(veventq_fd, buf, count);

	return done < 0 ? -errno : done;
}

/* The device behind @idev_id reports @count events; 0 or the first error */
static int trigger_n_err(int fd, __u32 idev_id, unsigned int count)
{
	unsigned int i;
	int err;

	for (i = 0; i != count; i++) {
		err = iommufd_trigger_vevent_err(fd, idev_id);
		if (err)
			return err;
	}
	return 0;
}

static bool readable(int veventq_fd)
{
	struct pollfd pfd = { .fd = veventq_fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

/*
 * The vIOMMU fixture's state, with device A attached through the vIOMMU
 * under virtual ID VIRT_ID_A, and a queue of the selftest type DEPTH
 * events deep.
 */
FIXTURE(veventq)
{
	int fd;
	struct iommufd_viommu_base base;
	__u32 nested_id;
	__u32 veventq_id;
	int veventq_fd;
};

FIXTURE_SETUP(veventq)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_viommu_base_err(self->fd, &self->base, NULL));
	ASSERT_EQ(0, iommufd_viommu_attach_err(self->fd, self->base.viommu_id,
					       self->base.stdev_id,
					       self->base.idev_id, VIRT_ID_A,
					       NULL, &self->nested_id));
	ASSERT_EQ(0, iommufd_veventq_alloc_err(self->fd, self->base.viommu_id,
					       SELFTEST_EVENTS, DEPTH,
					       &self->veventq_id,
					       &self->veventq_fd));
}

FIXTURE_TEARDOWN(veventq)
{
	if (self->veventq_fd >= 0)
		close(self->veventq_fd);
	close(self->fd);
}

/* Close a queue's descriptor (-1 afterwards) and destroy the queue */
static int drop_queue_err(int fd, __u32 veventq_id, int *veventq_fd)
{
	close(*veventq_fd);
	*veventq_fd = -1;
	return iommufd_destroy_err(fd, veventq_id);
}

/* Read exactly one whole event of device A into @event; 0 or an errno */
static int read_one_err(int veventq_fd, struct vevent *event)
{
	ssize_t done = read_events(veventq_fd, event, sizeof(*event));

	if (done < 0)
		return -done;
	return done == EVENT_SIZE ? 0 : EIO;
}

/* ---- allocation ---------------------------------------------------------- */

TEST_F(veventq, new_queue_has_an_id_and_a_read_only_cloexec_descriptor)
{
	__u8 byte = 0;

	EXPECT_NE(0, self->veventq_id);
	EXPECT_LE(0, self->veventq_fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(self->veventq_fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(-1, write(self->veventq_fd, &byte, 1));
	EXPECT_EQ(EBADF, errno);
}

TEST_F(veventq, unknown_flags_or_nonzero_reserved_are_eopnotsupp)
{
	struct iommu_veventq_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = self->base.viommu_id,
		.type = OTHER_EVENTS,
		.veventq_depth = 1,
	};

	cmd.flags = 1;
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_ioctl_err(self->fd, IOMMU_VEVENTQ_ALLOC, &cmd));
	cmd.flags = 0;
	cmd.__reserved = 1;
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_ioctl_err(self->fd, IOMMU_VEVENTQ_ALLOC, &cmd));
}

TEST_F(veventq, default_type_is_eopnotsupp)
{
	int veventq_fd;

	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_veventq_alloc_err(self->fd, self->base.viommu_id,
					    IOMMU_VEVENTQ_TYPE_DEFAULT, 1, NULL,
					    &veventq_fd));
}

TEST_F(veventq, depth_of_zero_is_einval)
{
	int veventq_fd;

	EXPECT_EQ(EINVAL,
		  iommufd_veventq_alloc_err(self->fd, self->base.viommu_id,
					    OTHER_EVENTS, 0, NULL,
					    &veventq_fd));
}

TEST_F(veventq, viommu_id_naming_no_viommu_is_enoent)
{
	const __u32 ids[] = { 0, NO_SUCH_ID, self->base.parent_id,
			      self->veventq_id };
	unsigned int i;
	int veventq_fd;

	for (i = 0; i != ARRAY_SIZE(ids); i++)
		EXPECT_EQ(ENOENT, iommufd_veventq_alloc_err(self->fd, ids[i],
							    OTHER_EVENTS, 1,
							    NULL, &veventq_fd));
}

TEST_F(veventq, second_queue_of_a_type_is_eexist)
{
	int veventq_fd;

	EXPECT_EQ(EEXIST,
		  iommufd_veventq_alloc_err(self->fd, self->base.viommu_id,
					    SELFTEST_EVENTS, DEPTH, NULL,
					    &veventq_fd));
	/* Whatever its depth */
	EXPECT_EQ(EEXIST,
		  iommufd_veventq_alloc_err(self->fd, self->base.viommu_id,
					    SELFTEST_EVENTS, 1, NULL,
					    &veventq_fd));
}

TEST_F(veventq, refused_queue_leaves_no_descriptor_behind)
{
	int veventq_fd, before, after;

	before = dup(0);
	ASSERT_LE(0, before);
	ASSERT_EQ(0, close(before));
	ASSERT_EQ(EEXIST,
		  iommufd_veventq_alloc_err(self->fd, self->base.viommu_id,
					    SELFTEST_EVENTS, DEPTH, NULL,
					    &veventq_fd));
	after = dup(0);
	EXPECT_EQ(before, after);
	close(after);
}

TEST_F(veventq, queues_of_other_types_get_no_selftest_events)
{
	__u32 other_id;
	struct vevent event;
	int other_fd;

	ASSERT_EQ(0, iommufd_veventq_alloc_err(self->fd, self->base.viommu_id,
					       OTHER_EVENTS, DEPTH, &other_id,
					       &other_fd));
	ASSERT_EQ(0, iommufd_trigger_vevent_err(self->fd, self->base.idev_id));
	EXPECT_EQ(0, read_events(other_fd, &event, sizeof(event)));
	EXPECT_EQ(0, read_one_err(self->veventq_fd, &event));
	close(other_fd);
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, other_id));
}

TEST_F(veventq, queue_is_busy_while_its_descriptor_is_open)
{
	int veventq_fd;

	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->veventq_id));
	EXPECT_EQ(EBUSY, iommufd_destroy_err(self->fd, self->base.viommu_id));
	ASSERT_EQ(0, close(self->veventq_fd));
	self->veventq_fd = -1;
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->veventq_id));
	/* Its type is free for a new queue on the vIOMMU */
	ASSERT_EQ(0, iommufd_veventq_alloc_err(self->fd, self->base.viommu_id,
					       SELFTEST_EVENTS, 1, NULL,
					       &veventq_fd));
	close(veventq_fd);
}

TEST_F(veventq, struct_size_rules)
{
	struct {
		struct iommu_veventq_alloc cmd;
		__u32 tail;
	} big = {
		.cmd = {
			.viommu_id = self->base.viommu_id,
			.type = OTHER_EVENTS,
			.veventq_depth = 1,
		},
	};

	/* The first version ended with out_veventq_fd */
	big.cmd.size = offsetof(struct iommu_veventq_alloc, __reserved) - 1;
	EXPECT_EQ(EINVAL,
		  iommufd_ioctl_err(self->fd, IOMMU_VEVENTQ_ALLOC, &big.cmd));
	big.cmd.size = sizeof(big);
	big.tail = 1;
	EXPECT_EQ(E2BIG,
		  iommufd_ioctl_err(self->fd, IOMMU_VEVENTQ_ALLOC, &big.cmd));
	big.tail = 0;
	ASSERT_EQ(0,
		  iommufd_ioctl_err(self->fd, IOMMU_VEVENTQ_ALLOC, &big.cmd));
	close(big.cmd.out_veventq_fd);
}

/* ---- reporting ---------------------------------------------------------- */

TEST_F(veventq, event_without_a_queue_of_its_type_is_eopnotsupp)
{
	ASSERT_EQ(0, drop_queue_err(self->fd, self->veventq_id,
				    &self->veventq_fd));
	EXPECT_EQ(EOPNOTSUPP,
		  iommufd_trigger_vevent_err(self->fd, self->base.idev_id));
}

TEST_F(veventq, device_not_attached_through_the_viommu_reports_nothing)
{
	__u32 stdev2_id, idev2_id, pt_id;
	struct vevent event;

	/* On the IOAS, without a vDEVICE, then with one */
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->base.ioas_id,
					     &stdev2_id, NULL, &idev2_id));
	EXPECT_EQ(ENOENT, iommufd_trigger_vevent_err(self->fd, idev2_id));
	ASSERT_EQ(0, iommufd_vdevice_alloc_err(self->fd, self->base.viommu_id,
					       idev2_id, VIRT_ID_B, NULL));
	EXPECT_EQ(ENOENT, iommufd_trigger_vevent_err(self->fd, idev2_id));
	/* Nor does device A once moved back to the IOAS */
	pt_id = self->base.ioas_id;
	ASSERT_EQ(0,
		  iommufd_mock_domain_replace_err(self->fd, self->base.stdev_id,
						  &pt_id));
	EXPECT_EQ(ENOENT,
		  iommufd_trigger_vevent_err(self->fd, self->base.idev_id));
	EXPECT_EQ(0, read_events(self->veventq_fd, &event, sizeof(event)));
}

TEST_F(veventq, dev_id_naming_no_device_is_enoent)
{
	EXPECT_EQ(ENOENT, iommufd_trigger_vevent_err(self->fd, NO_SUCH_ID));
	EXPECT_EQ(ENOENT,
		  iommufd_trigger_vevent_err(self->fd, self->base.stdev_id));
}

TEST_F(veventq, event_carries_the_virt_id_of_its_device)
{
	struct vevent event;

	ASSERT_EQ(0, iommufd_trigger_vevent_err(self->fd, self->base.idev_id));
	ASSERT_EQ(EVENT_SIZE,
		  read_events(self->veventq_fd, &event, sizeof(event)));
	EXPECT_EQ(0, event.header.flags);
	EXPECT_EQ(0, event.header.sequence);
	EXPECT_EQ(VIRT_ID_A, event.data.virt_id);
}

TEST_F(veventq, events_of_two_devices_name_each_its_own)
{
	__u32 stdev2_id, idev2_id;
	struct vevent events[3];

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->base.ioas_id,
					     &stdev2_id, NULL, &idev2_id));
	ASSERT_EQ(0, iommufd_viommu_attach_err(self->fd, self->base.viommu_id,
					       stdev2_id, idev2_id, VIRT_ID_B,
					       NULL, NULL));
	ASSERT_EQ(0, iommufd_trigger_vevent_err(self->fd, idev2_id));
	ASSERT_EQ(0, iommufd_trigger_vevent_err(self->fd, self->base.idev_id));
	ASSERT_EQ(0, iommufd_trigger_vevent_err(self->fd, idev2_id));
	ASSERT_EQ(sizeof(events),
		  read_events(self->veventq_fd, events, sizeof(events)));
	EXPECT_EQ(VIRT_ID_B, events[0].data.virt_id);
	EXPECT_EQ(VIRT_ID_A, events[1].data.virt_id);
	EXPECT_EQ(VIRT_ID_B, events[2].data.virt_id);
	EXPECT_EQ(2, events[2].header.sequence);
}

TEST_F(veventq, each_viommu_gets_the_events_of_its_own_devices)
{
	__u32 stdev2_id, idev2_id, viommu2_id;
	struct vevent event;
	int veventq2_fd;

	ASSERT_EQ(0, iommufd_viommu_alloc_err(self->fd, self->base.idev_id,
					      self->base.parent_id,
					      IOMMU_VIOMMU_TYPE_SELFTEST,
					      &viommu2_id));
	ASSERT_EQ(0, iommufd_veventq_alloc_err(self->fd, viommu2_id,
					       SELFTEST_EVENTS, DEPTH, NULL,
					       &veventq2_fd));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, self->base.ioas_id,
					     &stdev2_id, NULL, &idev2_id));
	/* The same virtual ID, on the other vIOMMU */
	ASSERT_EQ(0,
		  iommufd_viommu_attach_err(self->fd, viommu2_id, stdev2_id,
					    idev2_id, VIRT_ID_A, NULL, NULL));

	ASSERT_EQ(0, iommufd_trigger_vevent_err(self->fd, idev2_id));
	EXPECT_EQ(0, read_events(self->veventq_fd, &event, sizeof(event)));
	ASSERT_EQ(0, read_one_err(veventq2_fd, &event));
	EXPECT_EQ(0, event.header.sequence);
	ASSERT_EQ(0, iommufd_trigger_vevent_err(self->fd, self->base.idev_id));
	EXPECT_EQ(0, read_events(veventq2_fd, &event, sizeof(event)));
	ASSERT_EQ(0, read_one_err(self->veventq_fd, &event));
	EXPECT_EQ(0, event.header.sequence);
	close(veventq2_fd);
}

/* ---- reading ------------------------------------------------------------ */

TEST_F(veventq, empty_queue_reads_nothing_without_blocking)
{
	struct vevent event;

	EXPECT_EQ(0, read_events(self->veventq_fd, &event, sizeof(event)));
	EXPECT_EQ(0, read_events(self->veventq_fd, &event, 0));
}

TEST_F(veventq, sequence_numbers_start_at_zero_and_go_up_by_one)
{
	struct vevent event;
	unsigned int i;

	for (i = 0; i != 3 * DEPTH; i++) {
		ASSERT_EQ(0, iommufd_trigger_vevent_err(self->fd,
							self->base.idev_id));
		ASSERT_EQ(0, read_one_err(self->veventq_fd, &event));
		EXPECT_EQ(i, event.header.sequence);
		EXPECT_EQ(0, event.header.flags);
	}
}

TEST_F(veventq, one_read_returns_as_many_whole_events_as_fit)
{
	struct vevent events[DEPTH];
	unsigned int i;

	ASSERT_EQ(0, trigger_n_err(self->fd, self->base.idev_id, 3));
	/* Room for two and a half */
	ASSERT_EQ(2 * EVENT_SIZE, read_events(self->veventq_fd, events,
					      2 * EVENT_SIZE + EVENT_SIZE / 2));
	EXPECT_EQ(0, events[0].header.sequence);
	EXPECT_EQ(1, events[1].header.sequence);
	ASSERT_EQ(EVENT_SIZE,
		  read_events(self->veventq_fd, events, sizeof(events)));
	EXPECT_EQ(2, events[0].header.sequence);

	ASSERT_EQ(0, trigger_n_err(self->fd, self->base.idev_id, DEPTH));
	ASSERT_EQ(sizeof(events),
		  read_events(self->veventq_fd, events, sizeof(events)));
	for (i = 0; i != DEPTH; i++) {
		EXPECT_EQ(3 + i, events[i].header.sequence);
		EXPECT_EQ(VIRT_ID_A, events[i].data.virt_id);
	}
}

TEST_F(veventq, buffer_smaller_than_an_event_reads_nothing_and_keeps_it)
{
	const size_t sizes[] = { 1, HEADER_SIZE, EVENT_SIZE - 1 };
	struct vevent event;
	unsigned int i;

	ASSERT_EQ(0, iommufd_trigger_vevent_err(self->fd, self->base.idev_id));
	for (i = 0; i != ARRAY_SIZE(sizes); i++)
		EXPECT_EQ(0, read_events(self->veventq_fd, &event, sizes[i]));
	EXPECT_TRUE(readable(self->veventq_fd));
	ASSERT_EQ(0, read_one_err(self->veventq_fd, &event));
	EXPECT_EQ(0, event.header.sequence);
}

TEST_F(veventq, poll_reports_pollin_only_while_an_event_waits)
{
	struct vevent events[2];

	EXPECT_FALSE(readable(self->veventq_fd));
	ASSERT_EQ(0, trigger_n_err(self->fd, self->base.idev_id, 2));
	EXPECT_TRUE(readable(self->veventq_fd));
	ASSERT_EQ(0, read_one_err(self->veventq_fd, &events[0]));
	EXPECT_TRUE(readable(self->veventq_fd));
	ASSERT_EQ(0, read_one_err(self->veventq_fd, &events[1]));
	EXPECT_FALSE(readable(self->veventq_fd));
}

struct poll_waiter {
	int veventq_fd;
	int revents;
	int rc;
};

static void *poll_wait_run(void *arg)
{
	struct poll_waiter *waiter = arg;
	struct pollfd pfd = { .fd = waiter->veventq_fd, .events = POLLIN };

	waiter->rc = poll(&pfd, 1, 20000);
	waiter->revents = pfd.revents;
	return NULL;
}

TEST_F(veventq, poll_waiting_for_an_event_is_woken_by_it)
{
	struct poll_waiter waiter = { .veventq_fd = self->veventq_fd };
	pthread_t thread;

	ASSERT_EQ(0, pthread_create(&thread, NULL, poll_wait_run, &waiter));
	/* Give the thread time to go to sleep in poll() */
	usleep(100000);
	ASSERT_EQ(0, iommufd_trigger_vevent_err(self->fd, self->base.idev_id));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(1, waiter.rc);
	EXPECT_TRUE(waiter.revents & POLLIN);
}

/* ---- a full queue ------------------------------------------------------- */

TEST_F(veventq, overflow_ends_in_a_lost_events_header_with_the_last_number)
{
	struct {
		struct vevent events[DEPTH];
		struct iommufd_vevent_header lost;
		__u8 spare[64];
	} buf;
	const unsigned int extra = 3;
	unsigned int i;

	ASSERT_EQ(0,
		  trigger_n_err(self->fd, self->base.idev_id, DEPTH + extra));
	ASSERT_EQ(sizeof(buf.events) + HEADER_SIZE,
		  read_events(self->veventq_fd, &buf, sizeof(buf)));
	for (i = 0; i != DEPTH; i++) {
		EXPECT_EQ(0, buf.events[i].header.flags);
		EXPECT_EQ(i, buf.events[i].header.sequence);
		EXPECT_EQ(VIRT_ID_A, buf.events[i].data.virt_id);
	}
	EXPECT_EQ(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, buf.lost.flags);
	EXPECT_EQ(DEPTH + extra - 1, buf.lost.sequence);
	EXPECT_FALSE(readable(self->veventq_fd));
}

TEST_F(veventq, next_event_after_the_lost_header_continues_its_numbers)
{
	struct {
		struct vevent events[DEPTH];
		struct iommufd_vevent_header lost;
	} buf;
	struct vevent event;

	ASSERT_EQ(0, trigger_n_err(self->fd, self->base.idev_id, DEPTH + 2));
	ASSERT_EQ(sizeof(buf),
		  read_events(self->veventq_fd, &buf, sizeof(buf)));
	ASSERT_EQ(DEPTH + 1, buf.lost.sequence);
	ASSERT_EQ(0, iommufd_trigger_vevent_err(self->fd, self->base.idev_id));
	ASSERT_EQ(0, read_one_err(self->veventq_fd, &event));
	EXPECT_EQ(0, event.header.flags);
	EXPECT_EQ(DEPTH + 2, event.header.sequence);
	/* Reading made room: nothing is lost any more */
	ASSERT_EQ(0, trigger_n_err(self->fd, self->base.idev_id, DEPTH));
	ASSERT_EQ(DEPTH * EVENT_SIZE,
		  read_events(self->veventq_fd, &buf, sizeof(buf)));
	EXPECT_EQ(DEPTH + 3 + DEPTH - 1, buf.events[DEPTH - 1].header.sequence);
}

TEST_F(veventq, lost_events_header_needs_room_for_a_header_only)
{
	struct iommufd_vevent_header lost;
	struct vevent events[DEPTH];

	ASSERT_EQ(0, trigger_n_err(self->fd, self->base.idev_id, DEPTH + 1));
	ASSERT_EQ(sizeof(events),
		  read_events(self->veventq_fd, events, sizeof(events)));
	EXPECT_TRUE(readable(self->veventq_fd));
	EXPECT_EQ(0, read_events(self->veventq_fd, &lost, HEADER_SIZE - 1));
	ASSERT_EQ(HEADER_SIZE,
		  read_events(self->veventq_fd, &lost, HEADER_SIZE));
	EXPECT_EQ(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, lost.flags);
	EXPECT_EQ(DEPTH, lost.sequence);
	EXPECT_FALSE(readable(self->veventq_fd));
}

TEST_F(veventq, event_queued_after_a_loss_replaces_the_lost_header)
{
	struct vevent events[DEPTH + 1];
	unsigned int i;

	ASSERT_EQ(0, trigger_n_err(self->fd, self->base.idev_id, DEPTH + 2));
	/* Make room for one, then have it taken */
	ASSERT_EQ(0, read_one_err(self->veventq_fd, &events[0]));
	ASSERT_EQ(0, iommufd_trigger_vevent_err(self->fd, self->base.idev_id));
	/* The last event's number shows the gap; no header says it */
	ASSERT_EQ(DEPTH * EVENT_SIZE,
		  read_events(self->veventq_fd, events, sizeof(events)));
	for (i = 0; i != DEPTH - 1; i++) {
		EXPECT_EQ(0, events[i].header.flags);
		EXPECT_EQ(1 + i, events[i].header.sequence);
	}
	EXPECT_EQ(0, events[DEPTH - 1].header.flags);
	EXPECT_EQ(DEPTH + 2, events[DEPTH - 1].header.sequence);
	EXPECT_EQ(VIRT_ID_A, events[DEPTH - 1].data.virt_id);
}

TEST_F(veventq, queue_of_depth_one)
{
	struct {
		struct vevent event;
		struct iommufd_vevent_header lost;
	} buf;

	ASSERT_EQ(0, drop_queue_err(self->fd, self->veventq_id,
				    &self->veventq_fd));
	ASSERT_EQ(0, iommufd_veventq_alloc_err(self->fd, self->base.viommu_id,
					       SELFTEST_EVENTS, 1,
					       &self->veventq_id,
					       &self->veventq_fd));
	ASSERT_EQ(0, trigger_n_err(self->fd, self->base.idev_id, 5));
	ASSERT_EQ(sizeof(buf),
		  read_events(self->veventq_fd, &buf, sizeof(buf)));
	EXPECT_EQ(0, buf.event.header.sequence);
	EXPECT_EQ(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, buf.lost.flags);
	EXPECT_EQ(4, buf.lost.sequence);
}

/* ---- reads whose buffer faults ------------------------------------------ */

/*
 * A buffer whose first @readable_bytes end at a page that cannot be
 * written: what a read copies past them faults
 */
struct faulting_buf {
	__u8 *pages;
	__u8 *start;
};

static int faulting_buf_init(struct faulting_buf *buf, size_t readable_bytes)
{
	buf->pages = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf->pages == MAP_FAILED)
		return -1;
	if (mprotect(buf->pages + PAGE_SIZE, PAGE_SIZE, PROT_NONE))
		return -1;
	buf->start = buf->pages + PAGE_SIZE - readable_bytes;
	return 0;
}

TEST_F(veventq, read_faulting_in_the_second_event_returns_the_first)
{
	struct faulting_buf buf;
	struct vevent events[2];

	/* The second event's data lands on the inaccessible page */
	ASSERT_EQ(0, faulting_buf_init(&buf, EVENT_SIZE + HEADER_SIZE + 2));
	ASSERT_EQ(0, trigger_n_err(self->fd, self->base.idev_id, 3));
	ASSERT_EQ(EVENT_SIZE,
		  read_events(self->veventq_fd, buf.start, 3 * EVENT_SIZE));
	memcpy(&events[0], buf.start, EVENT_SIZE);
	EXPECT_EQ(0, events[0].header.sequence);
	EXPECT_EQ(VIRT_ID_A, events[0].data.virt_id);
	/* The rest waits, in order */
	ASSERT_EQ(2 * EVENT_SIZE,
		  read_events(self->veventq_fd, events, sizeof(events)));
	EXPECT_EQ(1, events[0].header.sequence);
	EXPECT_EQ(VIRT_ID_A, events[0].data.virt_id);
	EXPECT_EQ(2, events[1].header.sequence);
	munmap(buf.pages, 2 * PAGE_SIZE);
}

TEST_F(veventq, read_faulting_in_the_first_event_is_efault_and_loses_nothing)
{
	struct faulting_buf buf;
	struct vevent event;

	ASSERT_EQ(0, faulting_buf_init(&buf, HEADER_SIZE));
	ASSERT_EQ(0, trigger_n_err(self->fd, self->base.idev_id, 2));
	EXPECT_EQ(-EFAULT,
		  read_events(self->veventq_fd, buf.start, 2 * EVENT_SIZE));
	EXPECT_EQ(-EFAULT, read_events(self->veventq_fd, buf.pages + PAGE_SIZE,
				       EVENT_SIZE));
	ASSERT_EQ(0, read_one_err(self->veventq_fd, &event));
	EXPECT_EQ(0, event.header.sequence);
	ASSERT_EQ(0, read_one_err(self->veventq_fd, &event));
	EXPECT_EQ(1, event.header.sequence);
	munmap(buf.pages, 2 * PAGE_SIZE);
}

TEST_F(veventq, lost_events_header_that_faults_stays_queued)
{
	struct iommufd_vevent_header lost;
	struct vevent events[DEPTH];
	struct faulting_buf buf;

	ASSERT_EQ(0, faulting_buf_init(&buf, HEADER_SIZE / 2));
	ASSERT_EQ(0, trigger_n_err(self->fd, self->base.idev_id, DEPTH + 1));
	ASSERT_EQ(sizeof(events),
		  read_events(self->veventq_fd, events, sizeof(events)));
	EXPECT_EQ(-EFAULT,
		  read_events(self->veventq_fd, buf.start, HEADER_SIZE));
	ASSERT_EQ(HEADER_SIZE,
		  read_events(self->veventq_fd, &lost, sizeof(lost)));
	EXPECT_EQ(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, lost.flags);
	EXPECT_EQ(DEPTH, lost.sequence);
	munmap(buf.pages, 2 * PAGE_SIZE);
}

/* ---- lifetime ----------------------------------------------------------- */

TEST_F(veventq, queued_events_outlive_the_closed_iommufd)
{
	struct vevent events[2];

	ASSERT_EQ(0, trigger_n_err(self->fd, self->base.idev_id, 2));
	/* The queue's descriptor keeps the context */
	ASSERT_EQ(0, close(self->fd));
	ASSERT_EQ(sizeof(events),
		  read_events(self->veventq_fd, events, sizeof(events)));
	EXPECT_EQ(1, events[1].header.sequence);
	EXPECT_EQ(0, read_events(self->veventq_fd, events, sizeof(events)));
	EXPECT_FALSE(readable(self->veventq_fd));
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
}

TEST_F(veventq, destroying_a_queue_frees_the_events_nobody_read)
{
	struct vevent event;

	ASSERT_EQ(0, trigger_n_err(self->fd, self->base.idev_id, DEPTH + 1));
	ASSERT_EQ(0, drop_queue_err(self->fd, self->veventq_id,
				    &self->veventq_fd));
	/* And a queue whose events were read, but not its lost header */
	ASSERT_EQ(0, iommufd_veventq_alloc_err(self->fd, self->base.viommu_id,
					       SELFTEST_EVENTS, 1,
					       &self->veventq_id,
					       &self->veventq_fd));
	ASSERT_EQ(0, trigger_n_err(self->fd, self->base.idev_id, 2));
	ASSERT_EQ(0, read_one_err(self->veventq_fd, &event));
	EXPECT_TRUE(readable(self->veventq_fd));
	EXPECT_EQ(0, drop_queue_err(self->fd, self->veventq_id,
				    &self->veventq_fd));
}

TEST_F(veventq, unbinding_the_device_leaves_its_events_readable)
{
	struct vevent event;

	ASSERT_EQ(0, trigger_n_err(self->fd, self->base.idev_id, 1));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, self->base.stdev_id));
	ASSERT_EQ(0, read_one_err(self->veventq_fd, &event));
	EXPECT_EQ(VIRT_ID_A, event.data.virt_id);
	EXPECT_EQ(ENOENT,
		  iommufd_trigger_vevent_err(self->fd, self->base.idev_id));
	EXPECT_EQ(0, iommufd_destroy_err(self->fd, self->nested_id));
}

TEST_HARNESS_MAIN
