// SPDX-License-Identifier: GPL-2.0-only
/*
 * Systematic failure of every allocation and user copy along an ioctl
 * sequence: run the sequence with the 1st, 2nd, 3rd ... fault site of the
 * task forced to fail (fail-nth), until a run completes without any fault
 * being injected.  After every run the context must still work, and every
 * IOAS must hold exactly the mappings whose MAP or COPY reported success:
 * a failed call leaves nothing half done.  Where mock domains are linked,
 * each of them must translate exactly those mappings, and the user pages
 * must be pinned exactly as often as those mappings need.  Leaks and
 * use-after-free show up in the debug profile (kmemleak, KASAN).
 *
 * The vIOMMU sequences build a vIOMMU on a nesting parent, and on it a
 * nested HWPT, a vDEVICE, a vEVENTQ or HW queues; before the checks above
 * everything they built is destroyed in reverse order, each destroy having
 * to succeed, so no failure may leave a dependency or a pin behind.
 *
 * The PASID sequences attach, move and detach a PASID of a mock device
 * between PASID-compatible HWPTs, one of them with a fault queue and a
 * page request raised on the PASID; teardown detaches the PASID and then
 * every HWPT they made must be destroyable.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "iommufd_helpers.h"

#define MAX_IOAS 2
#define MAX_SEGMENTS 16
#define MAX_FAULT_SITES 5000
/* Sequences with mock domains cross several hundred fault sites */
#define DOMAIN_TEST_TIMEOUT 240

/* A range of an IOAS that maps buf + buf_offset */
struct segment {
	unsigned int ioas;
	__u64 iova;
	__u64 length;
	__u64 buf_offset;
	/* The MAP that described this memory; COPY shares what it made */
	unsigned int map_serial;
};

struct segment_list {
	unsigned int count;
	struct segment items[MAX_SEGMENTS];
};

/*
 * A MAP, COPY or UNMAP at a known IOVA that failed with EFAULT: either its
 * arguments could not be read and nothing happened, or its result could
 * not be written back after it happened.  check_state() settles which.
 */
struct unsettled_call {
	bool pending;
	bool unmap;
	unsigned int ioas;
	__u64 iova;
	__u64 length;
};

/* What a vIOMMU sequence built, as far as its calls reported success */
struct viommu_objects {
	__u32 stdev_id;
	__u32 idev_id;
	__u32 viommu_id;
	__u32 nested_id;
	__u32 vdev_id;
	__u32 veventq_id;
	int veventq_fd;
	unsigned int nr_hw_queues;
	__u32 hw_queue_ids[IOMMU_TEST_HW_QUEUE_MAX];
	/* The device is attached to the nested HWPT */
	bool on_nested;
	/* The event the device reported was read as lost */
	bool event_lost;
};

/* What a PASID sequence built, as far as its calls reported success */
struct pasid_objects {
	__u32 stdev_id;
	__u32 idev_id;
	/* The device's RID was moved off its IOAS */
	bool rid_moved;
	/* A PASID attach was tried: teardown detaches it */
	bool pasid_tried;
	unsigned int nr_hwpts;
	/* Nested ones after their parents: destroyed in reverse order */
	__u32 hwpt_ids[4];
	__u32 fault_id;
	int fault_fd;
};

struct sequence_state {
	int fd;
	void *buf;
	size_t buf_size;
	int memfd;
	unsigned int nr_ioas;
	__u32 ioas[MAX_IOAS];
	struct iommufd_domain_set domains[MAX_IOAS];
	/* Bytes each IOAS maps according to the calls that succeeded */
	__u64 mapped[MAX_IOAS];
	/*
	 * A call at an automatic IOVA failed with EFAULT: whether it mapped
	 * something, and where, is unknown
	 */
	bool mapped_unknown[MAX_IOAS];
	/* What maps state->buf, as far as the calls that succeeded say */
	struct segment_list mapped_segments;
	/* What every MAP and COPY at a fixed IOVA tried to map */
	struct segment_list tried_segments;
	unsigned int last_map_serial;
	/* End of the part of buf any call was given */
	__u64 buf_used;
	struct unsettled_call unsettled;
	/* The sequence creates mock devices (see injected_error()) */
	bool uses_mock_devices;
	struct viommu_objects viommu;
	struct pasid_objects pasid;
};

/* Runs the ioctls; returns 0 or the errno of the first call that failed */
typedef int (*sequence_fn)(struct sequence_state *state);

/*
 * Let fail-nth reach sleeping allocations, quietly, including the fault
 * points of the mock IOMMU driver where they have debugfs knobs
 */
static int configure_fault_injection(void)
{
	static const char *const mock_verbose_knobs[] = {
		"/sys/kernel/debug/fail_iommufd/verbose",
		"/sys/kernel/debug/fail_iommufd_mock_map/verbose",
	};
	size_t i;

	if (iommufd_fail_nth_setup())
		return -1;
	for (i = 0; i != ARRAY_SIZE(mock_verbose_knobs); i++)
		if (iommufd_write_file(mock_verbose_knobs[i], "0") &&
		    errno != ENOENT)
			return -1;
	return 0;
}

static int add_ioas(struct sequence_state *state)
{
	unsigned int index = state->nr_ioas;
	int err = iommufd_ioas_alloc_err(state->fd, &state->ioas[index]);

	if (err)
		return err;
	state->domains[index].ioas_id = state->ioas[index];
	state->nr_ioas++;
	return 0;
}

/* Linking or unlinking a domain either happens whole or not at all */
static int add_domain(struct sequence_state *state, unsigned int index)
{
	return iommufd_link_domain(state->fd, &state->domains[index], 0);
}

static int remove_domain(struct sequence_state *state, unsigned int index)
{
	return iommufd_unlink_domain(state->fd, &state->domains[index]);
}

static void add_segment(struct segment_list *list, unsigned int index,
			__u64 iova, __u64 length, __u64 buf_offset,
			unsigned int map_serial)
{
	struct segment *seg;

	if (list->count == MAX_SEGMENTS)
		abort();
	seg = &list->items[list->count++];
	seg->ioas = index;
	seg->iova = iova;
	seg->length = length;
	seg->buf_offset = buf_offset;
	seg->map_serial = map_serial;
}

/* Forget the segments of an IOAS inside [iova, last]; returns their bytes */
static __u64 drop_segments(struct segment_list *list, unsigned int index,
			   __u64 iova, __u64 last)
{
	unsigned int i = 0;
	__u64 dropped = 0;

	while (i != list->count) {
		struct segment *seg = &list->items[i];

		if (seg->ioas != index || seg->iova < iova ||
		    seg->iova + seg->length - 1 > last) {
			i++;
			continue;
		}
		dropped += seg->length;
		*seg = list->items[--list->count];
	}
	return dropped;
}

/*
 * Add to @into what a COPY of [src_iova, src_iova + length) of IOAS @src
 * puts at dst_iova of IOAS @dst, according to what is mapped now
 */
static void copy_segments(struct sequence_state *state,
			  struct segment_list *into, unsigned int dst,
			  unsigned int src, __u64 src_iova, __u64 length,
			  __u64 dst_iova)
{
	const struct segment_list *from = &state->mapped_segments;
	unsigned int i, nr_before = from->count;
	__u64 src_last = src_iova + length - 1;

	for (i = 0; i != nr_before; i++) {
		struct segment seg = from->items[i];
		__u64 first, last;

		if (seg.ioas != src || seg.iova > src_last ||
		    seg.iova + seg.length - 1 < src_iova)
			continue;
		first = seg.iova > src_iova ? seg.iova : src_iova;
		last = seg.iova + seg.length - 1;
		if (last > src_last)
			last = src_last;
		add_segment(into, dst, dst_iova + (first - src_iova),
			    last - first + 1,
			    seg.buf_offset + (first - seg.iova),
			    seg.map_serial);
	}
}

/* An EFAULT from a call that may or may not have happened */
static void note_efault(struct sequence_state *state, unsigned int index,
			bool known_iova, bool unmap, __u64 iova, __u64 length)
{
	if (!known_iova) {
		state->mapped_unknown[index] = true;
		return;
	}
	state->unsettled.pending = true;
	state->unsettled.unmap = unmap;
	state->unsettled.ioas = index;
	state->unsettled.iova = iova;
	state->unsettled.length = length;
}

static int map_into(struct sequence_state *state, unsigned int index,
		    __u32 flags, size_t offset, size_t length, __u64 iova)
{
	__u64 mapped_iova = iova;
	int err;

	if (offset + length > state->buf_used)
		state->buf_used = offset + length;
	if (flags & IOMMU_IOAS_MAP_FIXED_IOVA)
		add_segment(&state->tried_segments, index, iova, length, offset,
			    0);
	err = iommufd_ioas_map_err(state->fd, state->ioas[index], flags,
				   (__u8 *)state->buf + offset, length,
				   &mapped_iova);
	if (!err) {
		state->mapped[index] += length;
		add_segment(&state->mapped_segments, index, mapped_iova, length,
			    offset, ++state->last_map_serial);
	} else if (err == EFAULT) {
		note_efault(state, index, flags & IOMMU_IOAS_MAP_FIXED_IOVA,
			    false, iova, length);
	}
	return err;
}

static int unmap_from(struct sequence_state *state, unsigned int index,
		      __u64 iova, __u64 length)
{
	__u64 unmapped;
	int err = iommufd_ioas_unmap_count_err(state->fd, state->ioas[index],
					       iova, length, &unmapped);

	if (!err) {
		state->mapped[index] -= unmapped;
		drop_segments(&state->mapped_segments, index, iova,
			      iova + length - 1);
	} else if (err == EFAULT) {
		note_efault(state, index, true, true, iova, length);
	}
	return err;
}

static int copy_between(struct sequence_state *state, unsigned int dst,
			unsigned int src, __u32 flags, __u64 src_iova,
			__u64 length, __u64 dst_iova)
{
	__u64 copied_iova = dst_iova;
	int err;

	if (flags & IOMMU_IOAS_MAP_FIXED_IOVA)
		copy_segments(state, &state->tried_segments, dst, src,
			      src_iova, length, dst_iova);
	err = iommufd_ioas_copy_err(state->fd, state->ioas[dst],
				    state->ioas[src], flags, src_iova, length,
				    &copied_iova);
	if (!err) {
		state->mapped[dst] += length;
		copy_segments(state, &state->mapped_segments, dst, src,
			      src_iova, length, copied_iova);
	} else if (err == EFAULT) {
		note_efault(state, dst, flags & IOMMU_IOAS_MAP_FIXED_IOVA,
			    false, dst_iova, length);
	}
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
	__u32 nr_ranges = ARRAY_SIZE(ranges);
	int err;

	err = add_ioas(state);
	if (!err)
		err = map_into(state, 0, RW, 0, 0x10000, 0);
	if (!err)
		err = map_into(state, 0, FIXED, 0x1000, 0x4000, 0x40000000);
	if (!err)
		err = iommufd_iova_ranges_err(state->fd, state->ioas[0], ranges,
					      &nr_ranges);
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
		err = map_into(state, 0, FIXED, 0, 0x8000, 0x100000);
	if (!err)
		err = map_into(state, 0, FIXED, 0x8000, 0x8000, 0x108000);
	/* Spans both source mappings */
	if (!err)
		err = copy_between(state, 1, 0, FIXED, 0x104000, 0x8000,
				   0x200000);
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
	int err;

	err = add_ioas(state);
	if (!err)
		err = iommufd_ioas_allow_iovas_err(state->fd, state->ioas[0],
						   ranges, ARRAY_SIZE(ranges));
	if (!err)
		err = map_into(state, 0, RW, 0, 0x200000, 0);
	return err;
}

static int seq_map_file(struct sequence_state *state)
{
	__u64 iova = 0;
	int err;

	err = add_ioas(state);
	if (!err) {
		err = iommufd_ioas_map_file_err(state->fd, state->ioas[0], RW,
						state->memfd, 0, SZ_2M, &iova);
		if (!err)
			state->mapped[0] += SZ_2M;
	}
	return err;
}

/*
 * Files mapped into two IOAS, one with a domain, then taken over by the
 * process that owns them already: the ioctl still locks every IOAS and
 * walks every mapping, and must fail cleanly wherever a fault hits it.
 * (A real change of process is iommufd_change_process's, which fails
 * every fault site of one in its new process.)
 */
static int seq_map_file_and_change_process(struct sequence_state *state)
{
	__u64 iova = 0;
	int err;

	err = add_ioas(state);
	if (!err)
		err = add_ioas(state);
	if (!err)
		err = add_domain(state, 0);
	if (!err) {
		err = iommufd_ioas_map_file_err(state->fd, state->ioas[0], RW,
						state->memfd, 0, SZ_2M, &iova);
		if (!err)
			state->mapped[0] += SZ_2M;
	}
	if (!err) {
		iova = 0;
		err = iommufd_ioas_map_file_err(state->fd, state->ioas[1], RW,
						state->memfd, 0, SZ_1M, &iova);
		if (!err)
			state->mapped[1] += SZ_1M;
	}
	if (!err)
		err = iommufd_change_process_err(state->fd);
	return err;
}

static int seq_map_with_one_domain(struct sequence_state *state)
{
	int err;

	err = add_ioas(state);
	if (!err)
		err = add_domain(state, 0);
	if (!err)
		err = map_into(state, 0, FIXED, 0, 0x10000, APERTURE_IOVA);
	/* Right after the first one, of other memory */
	if (!err)
		err = map_into(state, 0, FIXED, 0x20000, 0x8000,
			       APERTURE_IOVA + 0x10000);
	if (!err)
		err = unmap_from(state, 0, APERTURE_IOVA, 0x10000);
	return err;
}

static int seq_map_with_two_domains(struct sequence_state *state)
{
	int err;

	err = add_ioas(state);
	if (!err)
		err = add_domain(state, 0);
	if (!err)
		err = add_domain(state, 0);
	if (!err)
		err = map_into(state, 0, FIXED, 0, 0x10000, APERTURE_IOVA);
	if (!err)
		err = map_into(state, 0, FIXED, 0x40000, 0x3000,
			       APERTURE_IOVA + 0x100000);
	return err;
}

/*
 * Batches of eight pages of the fixture's scattered memory into two
 * domains: most of each batch is mapped straight from its pinned list, and
 * a fault in the second batch, or in either domain, must undo the first.
 */
static int seq_map_in_small_batches(struct sequence_state *state)
{
	int err;

	err = iommufd_set_temp_memory_limit_err(state->fd, 64);
	if (!err)
		err = add_ioas(state);
	if (!err)
		err = add_domain(state, 0);
	if (!err)
		err = add_domain(state, 0);
	if (!err)
		err = map_into(state, 0, FIXED, 0, 0x10000, APERTURE_IOVA);
	if (!err)
		err = unmap_from(state, 0, APERTURE_IOVA, 0x10000);
	return err;
}

static int seq_domains_linked_to_mappings(struct sequence_state *state)
{
	int err;

	err = add_ioas(state);
	if (!err)
		err = map_into(state, 0, FIXED, 0, 0x10000, APERTURE_IOVA);
	if (!err)
		err = map_into(state, 0, FIXED, 0x10000, 0x4000,
			       APERTURE_IOVA + 0x20000);
	if (!err)
		err = map_into(state, 0, FIXED, 0x30000, 0x1000,
			       APERTURE_IOVA + 0x40000);
	/* Each one filled from every mapping */
	if (!err)
		err = add_domain(state, 0);
	if (!err)
		err = add_domain(state, 0);
	return err;
}

static int seq_copy_with_domains(struct sequence_state *state)
{
	int err;

	err = add_ioas(state);
	if (!err)
		err = add_ioas(state);
	if (!err)
		err = add_domain(state, 0);
	if (!err)
		err = add_domain(state, 1);
	if (!err)
		err = map_into(state, 0, FIXED, 0, 0x8000, APERTURE_IOVA);
	if (!err)
		err = map_into(state, 0, FIXED, 0x8000, 0x8000,
			       APERTURE_IOVA + 0x8000);
	/* Across both source mappings, into the other IOAS */
	if (!err)
		err = copy_between(state, 1, 0, FIXED, APERTURE_IOVA + 0x4000,
				   0x8000, APERTURE_IOVA + 0x100000);
	if (!err)
		err = copy_between(state, 0, 0, FIXED, APERTURE_IOVA, 0x10000,
				   APERTURE_IOVA + 0x200000);
	return err;
}

static int seq_unmap_with_domains(struct sequence_state *state)
{
	int err;

	err = add_ioas(state);
	if (!err)
		err = add_domain(state, 0);
	if (!err)
		err = map_into(state, 0, FIXED, 0, 0x4000, APERTURE_IOVA);
	if (!err)
		err = map_into(state, 0, FIXED, 0x4000, 0x4000,
			       APERTURE_IOVA + 0x8000);
	if (!err)
		err = map_into(state, 0, FIXED, 0x8000, 0x4000,
			       APERTURE_IOVA + 0x10000);
	/* The first two and the hole between them */
	if (!err)
		err = unmap_from(state, 0, APERTURE_IOVA, 0xc000);
	/* Unlinked: the rest is unpinned; linked again: pinned again */
	if (!err)
		err = remove_domain(state, 0);
	if (!err)
		err = add_domain(state, 0);
	if (!err)
		err = unmap_from(state, 0, 0, UINT64_MAX);
	return err;
}

/* ---- the vIOMMU family ------------------------------------------------- */

#define VIOMMU_VIRT_ID 0x33
#define VIOMMU_INV_TYPE IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST
#define VEVENT_SIZE (sizeof(struct iommufd_vevent_header) + \
		     sizeof(struct iommu_viommu_event_selftest))

/*
 * A mock device attached to the first IOAS, a nesting parent for it
 * (linked to the IOAS: a domain of it) and a mock vIOMMU on the parent,
 * with struct iommu_viommu_selftest data if @with_data
 */
static int add_viommu(struct sequence_state *state, bool with_data)
{
	struct iommu_viommu_selftest data = { .in_data = 0x600d };
	struct iommufd_domain_set *domains = &state->domains[0];
	struct viommu_objects *viommu = &state->viommu;
	__u32 parent_id;
	int err;

	err = add_ioas(state);
	if (!err)
		err = iommufd_mock_domain_err(state->fd, state->ioas[0],
					      &viommu->stdev_id, NULL,
					      &viommu->idev_id);
	if (!err)
		err = iommufd_hwpt_alloc_err(state->fd, viommu->idev_id,
					     state->ioas[0],
					     IOMMU_HWPT_ALLOC_NEST_PARENT,
					     &parent_id);
	if (err)
		return err;
	domains->hwpt_id[domains->count] = parent_id;
	domains->owner_id[domains->count] = parent_id;
	domains->count++;
	err = iommufd_viommu_alloc_data_err(state->fd, viommu->idev_id,
					    parent_id,
					    IOMMU_VIOMMU_TYPE_SELFTEST,
					    with_data ? &data : NULL,
					    with_data ? sizeof(data) : 0,
					    &viommu->viommu_id);
	/* The driver's answer came back */
	if (!err && with_data && data.out_data != data.in_data)
		err = EIO;
	return err;
}

/* A vDEVICE and a nested HWPT through the vIOMMU, the device moved onto it */
static int attach_through_viommu(struct sequence_state *state)
{
	struct viommu_objects *viommu = &state->viommu;
	__u32 pt_id;
	int err;

	err = iommufd_vdevice_alloc_err(state->fd, viommu->viommu_id,
					viommu->idev_id, VIOMMU_VIRT_ID,
					&viommu->vdev_id);
	if (!err)
		err = iommufd_hwpt_alloc_nested_err(state->fd, viommu->idev_id,
						    viommu->viommu_id,
						    IOMMU_TEST_IOTLB_DEFAULT,
						    &viommu->nested_id);
	if (err)
		return err;
	pt_id = viommu->nested_id;
	err = iommufd_mock_domain_replace_err(state->fd, viommu->stdev_id,
					      &pt_id);
	/*
	 * The test op writes its answer back after the replace is done, so
	 * an EFAULT may leave the device on the nested HWPT; moving it back
	 * in teardown_viommu() is right whichever HWPT it is on.
	 */
	if (!err || err == EFAULT)
		viommu->on_nested = true;
	return err;
}

static int seq_viommu_nested_and_invalidate(struct sequence_state *state)
{
	struct iommu_viommu_invalidate_selftest request = {
		.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL,
		.vdev_id = VIOMMU_VIRT_ID,
	};
	__u32 num = 1;
	int err;

	err = add_viommu(state, true);
	if (!err)
		err = map_into(state, 0, FIXED, 0, 0x4000, APERTURE_IOVA);
	if (!err)
		err = attach_through_viommu(state);
	if (!err)
		err = iommufd_hwpt_invalidate_err(state->fd,
						  state->viommu.viommu_id,
						  VIOMMU_INV_TYPE, &request,
						  sizeof(request), &num);
	if (!err)
		err = iommufd_check_dev_cache_err(state->fd,
						  state->viommu.idev_id, 0, 0);
	return err;
}

static int seq_veventq(struct sequence_state *state)
{
	struct viommu_objects *viommu = &state->viommu;
	struct {
		struct iommufd_vevent_header header;
		struct iommu_viommu_event_selftest event;
	} buf;
	ssize_t len;
	int err;

	err = add_viommu(state, false);
	if (!err)
		err = attach_through_viommu(state);
	if (!err)
		err = iommufd_veventq_alloc_err(state->fd, viommu->viommu_id,
						IOMMU_VEVENTQ_TYPE_SELFTEST, 2,
						&viommu->veventq_id,
						&viommu->veventq_fd);
	if (!err)
		err = iommufd_trigger_vevent_err(state->fd, viommu->idev_id);
	if (err)
		return err;
	len = read(viommu->veventq_fd, &buf, sizeof(buf));
	if (len < 0)
		return errno;
	/* Events are reported without waiting for memory: one may be lost */
	if (len == sizeof(buf.header) &&
	    buf.header.flags == IOMMU_VEVENTQ_FLAG_LOST_EVENTS &&
	    buf.header.sequence == 0)
		viommu->event_lost = true;
	else if (len != VEVENT_SIZE || buf.header.flags ||
		 buf.header.sequence || buf.event.virt_id != VIOMMU_VIRT_ID)
		err = EIO;
	return err;
}

static int seq_hw_queues(struct sequence_state *state)
{
	struct viommu_objects *viommu = &state->viommu;
	unsigned int index;
	int err;

	err = add_viommu(state, false);
	if (!err)
		err = map_into(state, 0, FIXED, 0, 0x4000, APERTURE_IOVA);
	for (index = 0; !err && index != IOMMU_TEST_HW_QUEUE_MAX; index++) {
		__u64 iova = APERTURE_IOVA + index * PAGE_SIZE;

		err = iommufd_hw_queue_alloc_err(state->fd, viommu->viommu_id,
						 index, iova, PAGE_SIZE,
						 &viommu->hw_queue_ids[index]);
		if (!err)
			viommu->nr_hw_queues++;
	}
	return err;
}

#define SEQ_PASID 0x42

/* A PASID-capable mock device on the first IOAS, and nothing else yet */
static int add_pasid_device(struct sequence_state *state)
{
	struct pasid_objects *pasid = &state->pasid;
	int err;

	err = add_ioas(state);
	if (!err)
		err = iommufd_mock_domain_flags_err(state->fd, state->ioas[0],
						    MOCK_FLAGS_DEVICE_PASID,
						    &pasid->stdev_id, NULL,
						    &pasid->idev_id);
	return err;
}

/* A paging HWPT of the first IOAS with IOMMU_HWPT_ALLOC_* @flags */
static int add_pasid_hwpt(struct sequence_state *state, __u32 flags,
			  __u32 *hwpt_id)
{
	struct pasid_objects *pasid = &state->pasid;
	int err;

	err = iommufd_hwpt_alloc_err(state->fd, pasid->idev_id, state->ioas[0],
				     flags, hwpt_id);
	if (!err)
		pasid->hwpt_ids[pasid->nr_hwpts++] = *hwpt_id;
	return err;
}

/* Move the RID to @hwpt_id, so that the device's PASIDs may be attached */
static int move_pasid_rid(struct sequence_state *state, __u32 hwpt_id)
{
	struct pasid_objects *pasid = &state->pasid;
	int err;

	err = iommufd_mock_domain_replace_err(state->fd, pasid->stdev_id,
					      &hwpt_id);
	/* The answer is written after the move: EFAULT may have moved it */
	if (!err || err == EFAULT)
		pasid->rid_moved = true;
	return err;
}

static int seq_pasid_attach_replace_detach(struct sequence_state *state)
{
	struct pasid_objects *pasid = &state->pasid;
	__u32 first_id, second_id, pt_id;
	int err;

	err = add_pasid_device(state);
	if (!err)
		err = add_pasid_hwpt(state, IOMMU_HWPT_ALLOC_PASID, &first_id);
	if (!err)
		err = add_pasid_hwpt(state, IOMMU_HWPT_ALLOC_PASID, &second_id);
	if (!err)
		err = move_pasid_rid(state, first_id);
	if (err)
		return err;
	pasid->pasid_tried = true;
	pt_id = second_id;
	err = iommufd_pasid_attach_err(state->fd, pasid->stdev_id, SEQ_PASID,
				       &pt_id);
	if (!err) {
		pt_id = first_id;
		err = iommufd_pasid_replace_err(state->fd, pasid->stdev_id,
						SEQ_PASID, &pt_id);
	}
	if (!err)
		err = iommufd_pasid_check_err(state->fd, pasid->stdev_id,
					      SEQ_PASID, first_id);
	if (!err)
		err = iommufd_pasid_detach_err(state->fd, pasid->stdev_id,
					       SEQ_PASID);
	return err;
}

static int seq_pasid_with_a_fault_queue(struct sequence_state *state)
{
	struct pasid_objects *pasid = &state->pasid;
	struct iommu_hwpt_pgfault record;
	__u32 parent_id, iopf_id, pt_id;
	ssize_t len;
	int err;

	pasid->fault_fd = -1;
	err = add_pasid_device(state);
	if (!err)
		err = add_pasid_hwpt(state,
				     IOMMU_HWPT_ALLOC_NEST_PARENT |
					     IOMMU_HWPT_ALLOC_PASID,
				     &parent_id);
	if (!err)
		err = move_pasid_rid(state, parent_id);
	if (!err)
		err = iommufd_fault_queue_err(state->fd, &pasid->fault_id,
					      &pasid->fault_fd);
	if (!err) {
		err = iommufd_nested_flags_err(state->fd, pasid->idev_id,
					       parent_id,
					       IOMMU_HWPT_ALLOC_PASID,
					       pasid->fault_id, &iopf_id);
		if (!err)
			pasid->hwpt_ids[pasid->nr_hwpts++] = iopf_id;
	}
	if (err)
		return err;
	pasid->pasid_tried = true;
	pt_id = iopf_id;
	err = iommufd_pasid_attach_err(state->fd, pasid->stdev_id, SEQ_PASID,
				       &pt_id);
	if (!err)
		err = iommufd_trigger_iopf_err(state->fd, pasid->idev_id,
					       SEQ_PASID, 1);
	if (err)
		return err;
	len = read(pasid->fault_fd, &record, sizeof(record));
	if (len < 0)
		return errno;
	/* Only a fault injected into the core's delivery loses the request */
	if (!len)
		err = ENOMEM;
	else if (len != sizeof(record) || record.pasid != SEQ_PASID)
		err = EIO;
	if (err)
		return err;
	/* Left unanswered: the move must answer it */
	pt_id = parent_id;
	err = iommufd_pasid_replace_err(state->fd, pasid->stdev_id, SEQ_PASID,
					&pt_id);
	if (!err)
		err = iommufd_pasid_detach_err(state->fd, pasid->stdev_id,
					       SEQ_PASID);
	return err;
}

/*
 * Undo a PASID sequence: the PASID detached (harmless if it never got
 * attached), the RID back on the IOAS, the fault queue closed; then every
 * HWPT and the queue must go, which only works if no failure left a
 * reference behind.
 */
static void teardown_pasid(struct __test_metadata *_metadata,
			   struct sequence_state *state)
{
	struct pasid_objects *pasid = &state->pasid;
	__u32 pt_id;

	if (pasid->pasid_tried)
		ASSERT_EQ(0, iommufd_pasid_detach_err(state->fd,
						      pasid->stdev_id,
						      SEQ_PASID));
	if (pasid->rid_moved) {
		pt_id = state->ioas[0];
		ASSERT_EQ(0, iommufd_mock_domain_replace_err(state->fd,
							     pasid->stdev_id,
							     &pt_id));
	}
	while (pasid->nr_hwpts) {
		__u32 id = pasid->hwpt_ids[--pasid->nr_hwpts];

		ASSERT_EQ(0, iommufd_destroy_err(state->fd, id));
	}
	if (pasid->fault_id) {
		ASSERT_EQ(0, close(pasid->fault_fd));
		ASSERT_EQ(0, iommufd_destroy_err(state->fd, pasid->fault_id));
	}
}

/*
 * Destroy what a vIOMMU sequence built, dependents first: every destroy
 * must succeed, the vDEVICE's too (the device was not unbound).  What is
 * left is the device on its IOAS and the parent, as the checks expect.
 */
static void teardown_viommu(struct __test_metadata *_metadata,
			    struct sequence_state *state)
{
	struct viommu_objects *viommu = &state->viommu;
	__u32 pt_id;

	while (viommu->nr_hw_queues) {
		__u32 id = viommu->hw_queue_ids[--viommu->nr_hw_queues];

		ASSERT_EQ(0, iommufd_destroy_err(state->fd, id));
	}
	if (viommu->veventq_id) {
		ASSERT_EQ(0, close(viommu->veventq_fd));
		ASSERT_EQ(0, iommufd_destroy_err(state->fd,
						 viommu->veventq_id));
	}
	if (viommu->on_nested) {
		pt_id = state->ioas[0];
		ASSERT_EQ(0, iommufd_mock_domain_replace_err(state->fd,
							     viommu->stdev_id,
							     &pt_id));
	}
	if (viommu->nested_id)
		ASSERT_EQ(0, iommufd_destroy_err(state->fd,
						 viommu->nested_id));
	if (viommu->vdev_id)
		ASSERT_EQ(0, iommufd_destroy_err(state->fd, viommu->vdev_id));
	if (viommu->viommu_id)
		ASSERT_EQ(0, iommufd_destroy_err(state->fd,
						 viommu->viommu_id));
}

FIXTURE(fault_injection)
{
	struct sequence_state state;
};

FIXTURE_SETUP(fault_injection)
{
	ASSERT_EQ(0, configure_fault_injection());
	self->state.buf_size = 4 << 20;
	/* No two neighbouring pages are physical neighbours: see pin_scale */
	self->state.buf = iommufd_alloc_scattered_pages(self->state.buf_size);
	ASSERT_NE(NULL, self->state.buf);
	memset(self->state.buf, 0x5a, self->state.buf_size);
	self->state.memfd = iommufd_memfd(SZ_2M, 0);
	ASSERT_LE(0, self->state.memfd);
}

FIXTURE_TEARDOWN(fault_injection)
{
	const __u32 limit = IOMMUFD_TEST_DEFAULT_MEMORY_LIMIT;
	int fd;

	iommufd_fail_nth_disarm();
	/* seq_map_in_small_batches() shrinks what every iommufd shares */
	fd = iommufd_open();
	if (fd >= 0) {
		iommufd_set_temp_memory_limit_err(fd, limit);
		close(fd);
	}
	close(self->state.memfd);
	munmap(self->state.buf, self->state.buf_size);
}

/*
 * Settle an EFAULT at a known IOVA by unmapping its range: whether or not
 * the call happened, the range is empty afterwards, and the records say so.
 */
static void settle_unsettled_call(struct __test_metadata *_metadata,
				  struct sequence_state *state)
{
	struct unsettled_call *call = &state->unsettled;
	__u64 unmapped = 0, dropped;
	int err;

	if (!call->pending)
		return;
	err = iommufd_ioas_unmap_count_err(state->fd, state->ioas[call->ioas],
					   call->iova, call->length, &unmapped);
	ASSERT_TRUE(err == 0 || err == ENOENT);
	if (call->unmap) {
		dropped = drop_segments(&state->mapped_segments, call->ioas,
					call->iova,
					call->iova + call->length - 1);
		state->mapped[call->ioas] -= dropped;
		/*
		 * If the unmap had not happened it happens now; if it had,
		 * nothing is left (unmapping all of nothing is no error)
		 */
		if (!err)
			ASSERT_TRUE(unmapped == dropped || unmapped == 0);
	} else if (!err) {
		/* The map or copy happened, whole */
		ASSERT_EQ(call->length, unmapped);
	}
	call->pending = false;
}

/* Pins a page of buf needs: one per memory object any domain maps it with */
static __u32 expected_pins(struct sequence_state *state, __u64 page_offset)
{
	unsigned int serials[MAX_SEGMENTS];
	unsigned int i, j, nr_serials = 0;

	for (i = 0; i != state->mapped_segments.count; i++) {
		const struct segment *seg = &state->mapped_segments.items[i];

		if (!state->domains[seg->ioas].count ||
		    page_offset + PAGE_SIZE <= seg->buf_offset ||
		    page_offset >= seg->buf_offset + seg->length)
			continue;
		for (j = 0; j != nr_serials; j++)
			if (serials[j] == seg->map_serial)
				break;
		if (j == nr_serials)
			serials[nr_serials++] = seg->map_serial;
	}
	return nr_serials;
}

/* Every page of the used part of buf is pinned as often as it should be */
static void check_pins(struct __test_metadata *_metadata,
		       struct sequence_state *state)
{
	__u8 *buf = state->buf;
	__u64 start = 0, end;

	while (start < state->buf_used) {
		__u32 pins = expected_pins(state, start);

		end = start + PAGE_SIZE;
		while (end < state->buf_used &&
		       expected_pins(state, end) == pins)
			end += PAGE_SIZE;
		ASSERT_EQ(0, iommufd_check_refs_err(state->fd, buf + start,
						    end - start, pins));
		start = end;
	}
}

/* Every linked domain translates what the records say is mapped */
static void check_domains_map(struct __test_metadata *_metadata,
			      struct sequence_state *state)
{
	const struct segment_list *list = &state->mapped_segments;
	__u8 *buf = state->buf;
	unsigned int i;

	for (i = 0; i != list->count; i++) {
		const struct segment *seg = &list->items[i];

		ASSERT_EQ(0, iommufd_check_domains(state->fd,
						   &state->domains[seg->ioas],
						   seg->iova, seg->length,
						   buf + seg->buf_offset));
	}
}

static bool is_mapped(struct sequence_state *state, unsigned int index,
		      __u64 iova)
{
	const struct segment_list *list = &state->mapped_segments;
	unsigned int i;

	for (i = 0; i != list->count; i++) {
		const struct segment *seg = &list->items[i];

		if (seg->ioas == index && iova >= seg->iova &&
		    iova < seg->iova + seg->length)
			return true;
	}
	return false;
}

/* How many of the domains do not answer "not that memory" for the range */
static unsigned int
domains_translating(int fd, const struct iommufd_domain_set *domains,
		    __u64 iova, __u64 length, void *va)
{
	unsigned int i, found = 0;

	for (i = 0; i != domains->count; i++)
		if (iommufd_check_map_err(fd, domains->hwpt_id[i], iova,
					  length, va) != EINVAL)
			found++;
	return found;
}

/*
 * No linked domain translates to the memory a call tried to map where the
 * records say nothing is mapped: a failed call left nothing behind.
 */
static void check_domains_hold_nothing_else(struct __test_metadata *_metadata,
					    struct sequence_state *state)
{
	const struct segment_list *list = &state->tried_segments;
	__u8 *buf = state->buf;
	unsigned int i;
	__u64 off;

	for (i = 0; i != list->count; i++) {
		const struct segment *seg = &list->items[i];
		const struct iommufd_domain_set *domains =
			&state->domains[seg->ioas];

		for (off = 0; off < seg->length; off += IO_PAGE_SIZE) {
			__u64 iova = seg->iova + off;

			if (is_mapped(state, seg->ioas, iova))
				continue;
			ASSERT_EQ(0, domains_translating(state->fd, domains,
							 iova, IO_PAGE_SIZE,
							 buf + seg->buf_offset +
								 off));
		}
	}
}

static bool any_mapping_unknown(struct sequence_state *state)
{
	unsigned int i;

	for (i = 0; i != state->nr_ioas; i++)
		if (state->mapped_unknown[i])
			return true;
	return false;
}

/*
 * After a run: the context still works, every domain maps what the calls
 * that succeeded mapped, the pages are pinned just for that, and each
 * IOAS unmaps exactly it, after which nothing is pinned any more.
 */
static void check_state(struct __test_metadata *_metadata,
			struct sequence_state *state)
{
	__u64 used = state->buf_used;
	__u32 probe_ioas;
	unsigned int i;

	settle_unsettled_call(_metadata, state);
	check_domains_map(_metadata, state);
	check_domains_hold_nothing_else(_metadata, state);
	if (!any_mapping_unknown(state))
		check_pins(_metadata, state);

	for (i = 0; i != state->nr_ioas; i++) {
		__u64 unmapped;

		ASSERT_EQ(0,
			  iommufd_ioas_unmap_count_err(state->fd,
						       state->ioas[i], 0,
						       (__u64)-1, &unmapped));
		if (!state->mapped_unknown[i])
			ASSERT_EQ(state->mapped[i], unmapped);
		drop_segments(&state->mapped_segments, i, 0, UINT64_MAX);
	}
	/* Empty IOAS, empty domains */
	check_domains_hold_nothing_else(_metadata, state);
	if (used)
		ASSERT_EQ(0, iommufd_check_refs_err(state->fd, state->buf,
						    used, 0));
	ASSERT_EQ(0, iommufd_ioas_alloc_err(state->fd, &probe_ioas));
	ASSERT_EQ(0, iommufd_destroy_err(state->fd, probe_ioas));
}

/*
 * Errors a call may fail with when a fault was injected into it.  Mock
 * devices bring more: the fault point of the mock IOMMU fails its
 * map_pages with ENOENT, and a mock device that a fault kept from getting
 * its IOMMU at probe time is refused, with ENODEV, or with EINVAL by the
 * coherency check of the bind.
 */
static bool injected_error(struct sequence_state *state, int err)
{
	if (err == ENOMEM || err == EFAULT)
		return true;
	return state->uses_mock_devices &&
	       (err == ENOENT || err == ENODEV || err == EINVAL);
}

static void run_with_every_fault(struct __test_metadata *_metadata,
				 struct sequence_state *state,
				 sequence_fn sequence, bool uses_mock_devices)
{
	unsigned int nth, faults_tolerated = 0;

	state->uses_mock_devices = uses_mock_devices;
	for (nth = 1; nth != MAX_FAULT_SITES; nth++) {
		bool injected;
		int err;

		state->fd = iommufd_open();
		ASSERT_LE(0, state->fd);
		state->nr_ioas = 0;
		memset(state->domains, 0, sizeof(state->domains));
		memset(state->mapped, 0, sizeof(state->mapped));
		memset(state->mapped_unknown, 0,
		       sizeof(state->mapped_unknown));
		state->mapped_segments.count = 0;
		state->tried_segments.count = 0;
		state->last_map_serial = 0;
		state->buf_used = 0;
		memset(&state->unsettled, 0, sizeof(state->unsettled));
		memset(&state->viommu, 0, sizeof(state->viommu));
		memset(&state->pasid, 0, sizeof(state->pasid));

		ASSERT_EQ(0, iommufd_fail_nth_arm(nth));
		err = sequence(state);
		injected = iommufd_fail_nth_disarm();

		if (!injected) {
			/* The sequence ran with no fault: it must succeed */
			ASSERT_EQ(0, err);
		} else if (err) {
			if (!injected_error(state, err))
				TH_LOG("fault %u: errno %d", nth, err);
			ASSERT_TRUE(injected_error(state, err));
		} else {
			/* The fault hit a path that may fail quietly */
			faults_tolerated++;
		}
		/* Only an injected fault may lose an event */
		if (!injected)
			ASSERT_FALSE(state->viommu.event_lost);
		teardown_viommu(_metadata, state);
		teardown_pasid(_metadata, state);
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
	run_with_every_fault(_metadata, &self->state, seq_ioas_options, false);
}

TEST_F(fault_injection, map_ranges_and_unmap)
{
	run_with_every_fault(_metadata, &self->state, seq_map_and_unmap, false);
}

TEST_F(fault_injection, copy_within_and_between_ioas)
{
	run_with_every_fault(_metadata, &self->state, seq_copy, false);
}

TEST_F(fault_injection, allowed_ranges_and_automatic_iova)
{
	run_with_every_fault(_metadata, &self->state, seq_allowed_ranges,
			     false);
}

TEST_F(fault_injection, map_file)
{
	run_with_every_fault(_metadata, &self->state, seq_map_file, false);
}

TEST_F_TIMEOUT(fault_injection, map_file_and_change_process,
	       DOMAIN_TEST_TIMEOUT)
{
	run_with_every_fault(_metadata, &self->state,
			     seq_map_file_and_change_process, true);
}

TEST_F_TIMEOUT(fault_injection, map_into_one_domain, DOMAIN_TEST_TIMEOUT)
{
	run_with_every_fault(_metadata, &self->state, seq_map_with_one_domain,
			     true);
}

TEST_F_TIMEOUT(fault_injection, map_into_two_domains, DOMAIN_TEST_TIMEOUT)
{
	run_with_every_fault(_metadata, &self->state, seq_map_with_two_domains,
			     true);
}

TEST_F_TIMEOUT(fault_injection, map_in_small_batches, DOMAIN_TEST_TIMEOUT)
{
	run_with_every_fault(_metadata, &self->state, seq_map_in_small_batches,
			     true);
}

TEST_F_TIMEOUT(fault_injection, domains_linked_to_existing_mappings,
	       DOMAIN_TEST_TIMEOUT)
{
	run_with_every_fault(_metadata, &self->state,
			     seq_domains_linked_to_mappings, true);
}

TEST_F_TIMEOUT(fault_injection, copy_between_ioas_with_domains,
	       DOMAIN_TEST_TIMEOUT)
{
	run_with_every_fault(_metadata, &self->state, seq_copy_with_domains,
			     true);
}

TEST_F_TIMEOUT(fault_injection, unmap_and_relink_with_domains,
	       DOMAIN_TEST_TIMEOUT)
{
	run_with_every_fault(_metadata, &self->state, seq_unmap_with_domains,
			     true);
}

TEST_F_TIMEOUT(fault_injection, viommu_nested_hwpt_vdevice_and_invalidation,
	       DOMAIN_TEST_TIMEOUT)
{
	run_with_every_fault(_metadata, &self->state,
			     seq_viommu_nested_and_invalidate, true);
}

TEST_F_TIMEOUT(fault_injection, veventq_and_an_event, DOMAIN_TEST_TIMEOUT)
{
	run_with_every_fault(_metadata, &self->state, seq_veventq, true);
}

TEST_F_TIMEOUT(fault_injection, hw_queues, DOMAIN_TEST_TIMEOUT)
{
	run_with_every_fault(_metadata, &self->state, seq_hw_queues, true);
}

TEST_F_TIMEOUT(fault_injection, pasid_attach_replace_and_detach,
	       DOMAIN_TEST_TIMEOUT)
{
	run_with_every_fault(_metadata, &self->state,
			     seq_pasid_attach_replace_detach, true);
}

TEST_F_TIMEOUT(fault_injection, pasid_with_a_fault_queue, DOMAIN_TEST_TIMEOUT)
{
	run_with_every_fault(_metadata, &self->state,
			     seq_pasid_with_a_fault_queue, true);
}

TEST_HARNESS_MAIN
