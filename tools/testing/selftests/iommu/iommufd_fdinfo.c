// SPDX-License-Identifier: GPL-2.0-only
/*
 * Seeing inside an iommufd: /proc/<pid>/fdinfo/<fd> lists the context's
 * account mode, its pinned pages and one line per object, each kind with
 * its own fields; and the trace events of events/iommufd/ record objects,
 * mapping calls, attachments, page requests and ioctl errors.  Each test
 * checks one kind's lines or one kind of event, field by field.
 */
#include <poll.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "iommufd_helpers.h"
#include "../kselftest_harness.h"

#define BUF_PAGES 16

/* The fdinfo of the fixture's context, read or the test fails */
#define READ_FDINFO(info) ASSERT_EQ(0, iommufd_fdinfo_read_err(self->fd, info))

#define NUM(info, id, key) iommufd_fdinfo_num(info, id, key)

FIXTURE(fdinfo)
{
	int fd;
	void *buf;
	struct iommufd_fdinfo info;
};

FIXTURE_SETUP(fdinfo)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	self->buf = iommufd_alloc_small_pages(BUF_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(fdinfo)
{
	close(self->fd);
	munmap(self->buf, BUF_SIZE);
}

TEST_F(fdinfo, new_context_has_its_two_lines_and_no_objects)
{
	READ_FDINFO(&self->info);
	EXPECT_STREQ("user", self->info.account_mode);
	EXPECT_EQ(0, self->info.pinned_pages);
	EXPECT_EQ(0, self->info.nobjects);
}

TEST_F(fdinfo, object_line_starts_with_id_type_users_refs)
{
	char fields[64];
	__u32 ioas_id;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	READ_FDINFO(&self->info);
	ASSERT_EQ(1, self->info.nobjects);
	snprintf(fields, sizeof(fields), "id=%u type=ioas users=0 refs=0 ",
		 ioas_id);
	EXPECT_EQ(0, strncmp(self->info.objects[0], fields, strlen(fields)));
}

TEST_F(fdinfo, ioas_counts_mappings_bytes_and_domains)
{
	__u64 iova = 0;
	__u32 ioas_id;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	/* Inside the mock domain's aperture, which is linked next */
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, ioas_id, self->buf,
						4 * PAGE_SIZE, APERTURE_IOVA));
	iova = APERTURE_IOVA + 4 * PAGE_SIZE;
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, ioas_id,
						self->buf + 4 * PAGE_SIZE,
						2 * PAGE_SIZE, iova));
	READ_FDINFO(&self->info);
	EXPECT_EQ(2, NUM(&self->info, ioas_id, "mappings"));
	EXPECT_EQ(6 * PAGE_SIZE, NUM(&self->info, ioas_id, "mapped_bytes"));
	EXPECT_EQ(0, NUM(&self->info, ioas_id, "domains"));
	EXPECT_EQ(0, NUM(&self->info, ioas_id, "accesses"));
	/* Nothing needs the memory pinned before a domain is linked */
	EXPECT_EQ(0, self->info.pinned_pages);
	EXPECT_EQ(0, NUM(&self->info, ioas_id, "pinned_pages"));

	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, ioas_id, NULL, NULL,
					     NULL));
	READ_FDINFO(&self->info);
	EXPECT_EQ(1, NUM(&self->info, ioas_id, "domains"));
	EXPECT_EQ(1, NUM(&self->info, ioas_id, "refs"));
	EXPECT_EQ(6, self->info.pinned_pages);
	EXPECT_EQ(6, NUM(&self->info, ioas_id, "pinned_pages"));

	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, ioas_id, iova,
					    2 * PAGE_SIZE));
	READ_FDINFO(&self->info);
	EXPECT_EQ(1, NUM(&self->info, ioas_id, "mappings"));
	EXPECT_EQ(4 * PAGE_SIZE, NUM(&self->info, ioas_id, "mapped_bytes"));
	EXPECT_EQ(4, self->info.pinned_pages);
	EXPECT_EQ(4, NUM(&self->info, ioas_id, "pinned_pages"));
}

/*
 * A copy maps pages of its source: the pins of the source's domain show in
 * both IOAS, the context counts them once.  Once no domain needs them,
 * nothing is pinned in either.
 */
TEST_F(fdinfo, ioas_pinned_pages_are_those_of_its_own_mappings)
{
	__u32 src_id, dst_id;
	__u64 dst_iova = 0;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &src_id));
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &dst_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, src_id, NULL, NULL,
					     NULL));
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, src_id, self->buf,
						8 * PAGE_SIZE, APERTURE_IOVA));
	ASSERT_EQ(0, iommufd_ioas_copy_err(self->fd, dst_id, src_id, RW,
					   APERTURE_IOVA, 2 * PAGE_SIZE,
					   &dst_iova));
	READ_FDINFO(&self->info);
	EXPECT_EQ(8, NUM(&self->info, src_id, "pinned_pages"));
	EXPECT_EQ(2, NUM(&self->info, dst_id, "pinned_pages"));
	EXPECT_EQ(8, self->info.pinned_pages);

	/* Without the source's domain nothing pins them any more */
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, src_id, 0, UINT64_MAX));
	READ_FDINFO(&self->info);
	EXPECT_EQ(0, NUM(&self->info, src_id, "pinned_pages"));
	EXPECT_EQ(0, NUM(&self->info, dst_id, "pinned_pages"));
	EXPECT_EQ(0, self->info.pinned_pages);
}

TEST_F(fdinfo, ioas_counts_its_accesses)
{
	__u32 ioas_id;
	int access_fd;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	ASSERT_EQ(0, iommufd_create_access_err(self->fd, ioas_id, 0,
					       &access_fd));
	READ_FDINFO(&self->info);
	EXPECT_EQ(1, NUM(&self->info, ioas_id, "accesses"));
	close(access_fd);
	READ_FDINFO(&self->info);
	EXPECT_EQ(0, NUM(&self->info, ioas_id, "accesses"));
}

TEST_F(fdinfo, automatic_hwpt_names_its_ioas_and_device)
{
	__u32 ioas_id, hwpt_id, idev_id;
	char value[32];

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, ioas_id, NULL, &hwpt_id,
					     &idev_id));
	READ_FDINFO(&self->info);
	EXPECT_STREQ("hwpt_paging",
		     iommufd_fdinfo_str(&self->info, hwpt_id, "type", value,
					sizeof(value)));
	EXPECT_EQ(ioas_id, NUM(&self->info, hwpt_id, "ioas"));
	EXPECT_EQ(1, NUM(&self->info, hwpt_id, "auto"));
	EXPECT_EQ(0, NUM(&self->info, hwpt_id, "nest_parent"));
	EXPECT_EQ(1, NUM(&self->info, hwpt_id, "attachments"));
	EXPECT_EQ(hwpt_id, NUM(&self->info, idev_id, "rid"));
}

TEST_F(fdinfo, allocated_hwpt_shows_its_flags)
{
	__u32 ioas_id, idev_id, parent_id, dirty_id, pasid_id;

	ASSERT_EQ(0, iommufd_mock_device_hwpt_err(self->fd,
						  IOMMU_HWPT_ALLOC_NEST_PARENT,
						  &ioas_id, NULL, &idev_id,
						  &parent_id));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, idev_id, ioas_id,
					    IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
					    &dirty_id));
	READ_FDINFO(&self->info);
	EXPECT_EQ(0, NUM(&self->info, parent_id, "auto"));
	EXPECT_EQ(1, NUM(&self->info, parent_id, "nest_parent"));
	EXPECT_EQ(0, NUM(&self->info, parent_id, "dirty_tracking"));
	EXPECT_EQ(0, NUM(&self->info, parent_id, "attachments"));
	EXPECT_EQ(0, NUM(&self->info, dirty_id, "nest_parent"));
	EXPECT_EQ(1, NUM(&self->info, dirty_id, "dirty_tracking"));
	EXPECT_EQ(0, NUM(&self->info, dirty_id, "pasid"));

	ASSERT_EQ(0, iommufd_mock_domain_flags_err(self->fd, ioas_id,
						   MOCK_FLAGS_DEVICE_PASID,
						   NULL, NULL, &idev_id));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, idev_id, ioas_id,
					    IOMMU_HWPT_ALLOC_PASID,
					    &pasid_id));
	READ_FDINFO(&self->info);
	EXPECT_EQ(1, NUM(&self->info, pasid_id, "pasid"));
}

TEST_F(fdinfo, nested_hwpt_names_parent_and_fault_queue)
{
	__u32 ioas_id, stdev_id, idev_id, parent_id, fault_id, nested_id;
	char value[32];
	int fault_fd;

	ASSERT_EQ(0, iommufd_mock_device_hwpt_err(self->fd,
						  IOMMU_HWPT_ALLOC_NEST_PARENT,
						  &ioas_id, &stdev_id, &idev_id,
						  &parent_id));
	ASSERT_EQ(0, iommufd_fault_queue_err(self->fd, &fault_id, &fault_fd));
	ASSERT_EQ(0, iommufd_nested_flags_err(self->fd, idev_id, parent_id, 0,
					      fault_id, &nested_id));
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, stdev_id,
						     &nested_id));
	READ_FDINFO(&self->info);
	EXPECT_STREQ("hwpt_nested",
		     iommufd_fdinfo_str(&self->info, nested_id, "type", value,
					sizeof(value)));
	EXPECT_EQ(parent_id, NUM(&self->info, nested_id, "parent"));
	EXPECT_EQ(fault_id, NUM(&self->info, nested_id, "fault"));
	EXPECT_EQ(0, NUM(&self->info, nested_id, "viommu"));
	EXPECT_EQ(1, NUM(&self->info, nested_id, "attachments"));
	EXPECT_EQ(nested_id, NUM(&self->info, idev_id, "rid"));
	EXPECT_EQ(0, NUM(&self->info, parent_id, "attachments"));
	close(fault_fd);
}

TEST_F(fdinfo, device_shows_bus_name_and_each_pasid)
{
	__u32 ioas_id, stdev_id, idev_id, rid_id, pasid_id, pt_id;
	char value[64];

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	ASSERT_EQ(0, iommufd_mock_domain_flags_err(self->fd, ioas_id,
						   MOCK_FLAGS_DEVICE_PASID,
						   &stdev_id, NULL, &idev_id));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, idev_id, ioas_id,
					    IOMMU_HWPT_ALLOC_PASID, &rid_id));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, idev_id, ioas_id,
					    IOMMU_HWPT_ALLOC_PASID, &pasid_id));
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, stdev_id,
						     &rid_id));
	READ_FDINFO(&self->info);
	EXPECT_STREQ("iommufd_mock",
		     iommufd_fdinfo_str(&self->info, idev_id, "bus", value,
					sizeof(value)));
	EXPECT_EQ(0, strncmp("iommufd_mock",
			     iommufd_fdinfo_str(&self->info, idev_id, "dev",
						value, sizeof(value)),
			     strlen("iommufd_mock")));
	EXPECT_EQ(rid_id, NUM(&self->info, idev_id, "rid"));
	EXPECT_STREQ("-", iommufd_fdinfo_str(&self->info, idev_id, "pasids",
					     value, sizeof(value)));

	pt_id = pasid_id;
	ASSERT_EQ(0, iommufd_pasid_attach_err(self->fd, stdev_id, 1, &pt_id));
	pt_id = rid_id;
	ASSERT_EQ(0, iommufd_pasid_attach_err(self->fd, stdev_id, 7, &pt_id));
	READ_FDINFO(&self->info);
	snprintf(value, sizeof(value), "1:%u,7:%u", pasid_id, rid_id);
	EXPECT_STREQ(value, iommufd_fdinfo_str(&self->info, idev_id, "pasids",
					       value + 32, 32));
	EXPECT_EQ(1, NUM(&self->info, pasid_id, "attachments"));
	EXPECT_EQ(2, NUM(&self->info, rid_id, "attachments"));

	ASSERT_EQ(0, iommufd_pasid_detach_err(self->fd, stdev_id, 1));
	READ_FDINFO(&self->info);
	snprintf(value, sizeof(value), "7:%u", rid_id);
	EXPECT_STREQ(value, iommufd_fdinfo_str(&self->info, idev_id, "pasids",
					       value + 32, 32));
	EXPECT_EQ(0, NUM(&self->info, pasid_id, "attachments"));
}

TEST_F(fdinfo, fault_queue_counts_unread_and_awaiting_requests)
{
	__u32 ioas_id, stdev_id, idev_id, parent_id, fault_id, nested_id;
	struct iommu_hwpt_pgfault record;
	struct iommu_hwpt_page_response response = {
		.code = IOMMUFD_PAGE_RESP_SUCCESS,
	};
	int fault_fd;

	ASSERT_EQ(0, iommufd_mock_device_hwpt_err(self->fd,
						  IOMMU_HWPT_ALLOC_NEST_PARENT,
						  &ioas_id, &stdev_id, &idev_id,
						  &parent_id));
	ASSERT_EQ(0, iommufd_fault_queue_err(self->fd, &fault_id, &fault_fd));
	ASSERT_EQ(0, iommufd_nested_flags_err(self->fd, idev_id, parent_id, 0,
					      fault_id, &nested_id));
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, stdev_id,
						     &nested_id));
	READ_FDINFO(&self->info);
	EXPECT_EQ(0, NUM(&self->info, fault_id, "depth"));
	EXPECT_EQ(0, NUM(&self->info, fault_id, "unread"));
	/* The descriptor and the nested HWPT */
	EXPECT_EQ(2, NUM(&self->info, fault_id, "refs"));

	ASSERT_EQ(0, iommufd_trigger_iopf_err(self->fd, idev_id, 1, 1));
	ASSERT_EQ(0, iommufd_trigger_iopf_err(self->fd, idev_id, 1, 2));
	READ_FDINFO(&self->info);
	EXPECT_EQ(2, NUM(&self->info, fault_id, "depth"));
	EXPECT_EQ(2, NUM(&self->info, fault_id, "unread"));
	EXPECT_EQ(0, NUM(&self->info, fault_id, "awaiting"));

	ASSERT_EQ(sizeof(record), read(fault_fd, &record, sizeof(record)));
	READ_FDINFO(&self->info);
	EXPECT_EQ(2, NUM(&self->info, fault_id, "depth"));
	EXPECT_EQ(1, NUM(&self->info, fault_id, "unread"));
	EXPECT_EQ(1, NUM(&self->info, fault_id, "awaiting"));

	response.cookie = record.cookie;
	ASSERT_EQ(sizeof(response),
		  write(fault_fd, &response, sizeof(response)));
	READ_FDINFO(&self->info);
	EXPECT_EQ(1, NUM(&self->info, fault_id, "depth"));
	EXPECT_EQ(0, NUM(&self->info, fault_id, "awaiting"));
	close(fault_fd);
}

TEST_F(fdinfo, viommu_vdevice_and_veventq_lines)
{
	struct iommufd_viommu_base base;
	__u32 vdev_id, nested_id, veventq_id;
	int veventq_fd;

	ASSERT_EQ(0, iommufd_viommu_base_err(self->fd, &base, NULL));
	ASSERT_EQ(0, iommufd_veventq_alloc_err(self->fd, base.viommu_id,
					       IOMMU_VEVENTQ_TYPE_SELFTEST, 4,
					       &veventq_id, &veventq_fd));
	ASSERT_EQ(0, iommufd_viommu_attach_err(self->fd, base.viommu_id,
					       base.stdev_id, base.idev_id,
					       0x99, &vdev_id, &nested_id));
	READ_FDINFO(&self->info);
	EXPECT_EQ(IOMMU_VIOMMU_TYPE_SELFTEST,
		  NUM(&self->info, base.viommu_id, "viommu_type"));
	EXPECT_EQ(base.parent_id, NUM(&self->info, base.viommu_id, "hwpt"));
	EXPECT_EQ(1, NUM(&self->info, base.viommu_id, "vdevices"));
	EXPECT_EQ(base.viommu_id, NUM(&self->info, vdev_id, "viommu"));
	EXPECT_EQ(base.idev_id, NUM(&self->info, vdev_id, "device"));
	EXPECT_EQ(0x99, NUM(&self->info, vdev_id, "virt_id"));
	EXPECT_EQ(base.viommu_id, NUM(&self->info, nested_id, "viommu"));
	EXPECT_EQ(base.viommu_id, NUM(&self->info, veventq_id, "viommu"));
	EXPECT_EQ(IOMMU_VEVENTQ_TYPE_SELFTEST,
		  NUM(&self->info, veventq_id, "event_type"));
	EXPECT_EQ(4, NUM(&self->info, veventq_id, "depth"));
	EXPECT_EQ(0, NUM(&self->info, veventq_id, "unread"));

	ASSERT_EQ(0, iommufd_trigger_vevent_err(self->fd, base.idev_id));
	READ_FDINFO(&self->info);
	EXPECT_EQ(1, NUM(&self->info, veventq_id, "unread"));
	EXPECT_EQ(0, NUM(&self->info, veventq_id, "lost"));
	close(veventq_fd);
}

TEST_F(fdinfo, veventq_that_overflowed_shows_lost_until_read)
{
	struct iommufd_viommu_base base;
	__u32 veventq_id;
	int veventq_fd, i;
	char events[512];

	ASSERT_EQ(0, iommufd_viommu_base_err(self->fd, &base, NULL));
	ASSERT_EQ(0, iommufd_veventq_alloc_err(self->fd, base.viommu_id,
					       IOMMU_VEVENTQ_TYPE_SELFTEST, 2,
					       &veventq_id, &veventq_fd));
	ASSERT_EQ(0, iommufd_viommu_attach_err(self->fd, base.viommu_id,
					       base.stdev_id, base.idev_id,
					       0x7, NULL, NULL));
	for (i = 0; i != 3; i++)
		ASSERT_EQ(0, iommufd_trigger_vevent_err(self->fd,
							base.idev_id));
	READ_FDINFO(&self->info);
	EXPECT_EQ(2, NUM(&self->info, veventq_id, "unread"));
	EXPECT_EQ(1, NUM(&self->info, veventq_id, "lost"));

	/* Everything read, the marker with it */
	ASSERT_LT(0, read(veventq_fd, events, sizeof(events)));
	READ_FDINFO(&self->info);
	EXPECT_EQ(0, NUM(&self->info, veventq_id, "unread"));
	EXPECT_EQ(0, NUM(&self->info, veventq_id, "lost"));
	close(veventq_fd);
}

TEST_F(fdinfo, hw_queue_shows_its_viommu_type_and_range)
{
	struct iommufd_viommu_base base;
	char value[32];
	__u32 queue_id;

	ASSERT_EQ(0, iommufd_viommu_base_err(self->fd, &base, NULL));
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, base.ioas_id,
						self->buf, BUF_SIZE,
						APERTURE_IOVA));
	/* One page: a queue must be physically contiguous */
	ASSERT_EQ(0, iommufd_hw_queue_alloc_err(self->fd, base.viommu_id, 0,
						APERTURE_IOVA + PAGE_SIZE,
						PAGE_SIZE, &queue_id));
	READ_FDINFO(&self->info);
	EXPECT_STREQ("hw_queue", iommufd_fdinfo_str(&self->info, queue_id,
						    "type", value,
						    sizeof(value)));
	EXPECT_EQ(base.viommu_id, NUM(&self->info, queue_id, "viommu"));
	EXPECT_EQ(IOMMU_HW_QUEUE_TYPE_SELFTEST,
		  NUM(&self->info, queue_id, "queue_type"));
	EXPECT_STREQ("0x1001000", iommufd_fdinfo_str(&self->info, queue_id,
						     "base_addr", value,
						     sizeof(value)));
	EXPECT_EQ(PAGE_SIZE, NUM(&self->info, queue_id, "length"));
	/* The nesting parent's domain pins the whole buffer */
	EXPECT_EQ(BUF_PAGES, NUM(&self->info, base.ioas_id, "pinned_pages"));
}

TEST_F(fdinfo, destroyed_objects_vanish)
{
	__u32 ioas_id, other_id;
	char expected[32];

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &other_id));
	READ_FDINFO(&self->info);
	EXPECT_EQ(2, self->info.nobjects);
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, ioas_id));
	READ_FDINFO(&self->info);
	ASSERT_EQ(1, self->info.nobjects);
	EXPECT_EQ(NULL, iommufd_fdinfo_object(&self->info, ioas_id));
	snprintf(expected, sizeof(expected), "id=%u ", other_id);
	EXPECT_EQ(0, strncmp(self->info.objects[0], expected,
			     strlen(expected)));
}

TEST_F(fdinfo, refused_call_leaves_fdinfo_as_it_was)
{
	struct iommufd_fdinfo *after = malloc(sizeof(*after));
	__u64 iova = 0;
	__u32 ioas_id;

	ASSERT_NE(NULL, after);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, ioas_id, NULL, NULL,
					     NULL));
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, ioas_id, RW, self->buf,
					  PAGE_SIZE, &iova));
	READ_FDINFO(&self->info);
	EXPECT_EQ(EEXIST, iommufd_ioas_map_fixed_err(self->fd, ioas_id,
						     self->buf, PAGE_SIZE,
						     iova));
	READ_FDINFO(after);
	EXPECT_TRUE(iommufd_fdinfo_same(&self->info, after));
	free(after);
}

/* Pinned pages are counted the same whichever limit they are charged to */
FIXTURE(fdinfo_account)
{
	int fd;
	void *buf;
};

FIXTURE_VARIANT(fdinfo_account)
{
	__u64 rlimit_mode;
	const char *name;
};

FIXTURE_VARIANT_ADD(fdinfo_account, user)
{
	.rlimit_mode = 0,
	.name = "user",
};

FIXTURE_VARIANT_ADD(fdinfo_account, mm)
{
	.rlimit_mode = 1,
	.name = "mm",
};

FIXTURE_SETUP(fdinfo_account)
{
	__u64 mode = variant->rlimit_mode;

	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, iommufd_option_err(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_SET, 0, &mode));
	self->buf = iommufd_alloc_small_pages(BUF_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(fdinfo_account)
{
	close(self->fd);
	munmap(self->buf, BUF_SIZE);
}

TEST_F(fdinfo_account, mode_and_pinned_pages)
{
	struct iommufd_fdinfo info;
	__u32 ioas_id;
	__u64 iova = 0;

	ASSERT_EQ(0, iommufd_fdinfo_read_err(self->fd, &info));
	EXPECT_STREQ(variant->name, info.account_mode);
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	ASSERT_EQ(0, iommufd_mock_domain_err(self->fd, ioas_id, NULL, NULL,
					     NULL));
	ASSERT_EQ(0, iommufd_ioas_map_err(self->fd, ioas_id, RW, self->buf,
					  BUF_SIZE, &iova));
	ASSERT_EQ(0, iommufd_fdinfo_read_err(self->fd, &info));
	EXPECT_EQ(BUF_PAGES, info.pinned_pages);
	EXPECT_STREQ(variant->name, info.account_mode);
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, ioas_id, iova, BUF_SIZE));
	ASSERT_EQ(0, iommufd_fdinfo_read_err(self->fd, &info));
	EXPECT_EQ(0, info.pinned_pages);
}

/* ---- trace events ------------------------------------------------------- */

#define TRACEFS "/sys/kernel/tracing"
#define TRACE_EVENTS TRACEFS "/events/iommufd"
#define TRACE_MAX 64

/* The name and fields of one recorded event */
struct trace_record {
	char event[48];
	char fields[200];
};

static int trace_set(const char *file, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	return iommufd_write_file(path, value);
}

/*
 * Make tracefs usable and start afresh.  Events are not filtered by
 * process: page requests may be delivered from a kernel thread, and
 * nothing else uses iommufd in the guest while a test runs.
 */
static int trace_start(void)
{
	struct stat st;

	if (stat(TRACE_EVENTS, &st)) {
		mkdir(TRACEFS, 0755);
		if (mount("nodev", TRACEFS, "tracefs", 0, NULL) &&
		    errno != EBUSY)
			return -1;
		if (stat(TRACE_EVENTS, &st))
			return -1;
	}
	if (trace_set("tracing_on", "0") || trace_set("trace", "") ||
	    trace_set("events/iommufd/enable", "1") ||
	    trace_set("tracing_on", "1"))
		return -1;
	return 0;
}

static void trace_stop(void)
{
	trace_set("events/iommufd/enable", "0");
}

/* The iommufd events recorded so far; how many, or -1 */
static int trace_collect(struct trace_record *records, int max)
{
	FILE *file = fopen(TRACEFS "/trace", "r");
	char line[512];
	int n = 0;

	if (!file)
		return -1;
	while (n < max && fgets(line, sizeof(line), file)) {
		/* After the task, CPU, flags and time: "event: fields" */
		char *event = strstr(line, ": iommufd_");
		char *fields;

		if (line[0] == '#' || !event)
			continue;
		event += 2;
		fields = strstr(event, ": ");
		if (!fields)
			continue;
		*fields = 0;
		fields += 2;
		fields[strcspn(fields, "\n")] = 0;
		snprintf(records[n].event, sizeof(records[n].event), "%s",
			 event);
		snprintf(records[n].fields, sizeof(records[n].fields), "%s",
			 fields);
		n++;
	}
	fclose(file);
	return n;
}

/*
 * Whether an event @event with exactly @fields was recorded; if not, the
 * events of that name that were are logged
 */
static bool traced(const char *event, const char *fields)
{
	struct trace_record records[TRACE_MAX];
	int n = trace_collect(records, TRACE_MAX);
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(records[i].event, event) &&
		    !strcmp(records[i].fields, fields))
			return true;
	for (i = 0; i < n; i++)
		if (!strcmp(records[i].event, event))
			ksft_print_msg("recorded %s: %s\n", records[i].event,
				       records[i].fields);
	ksft_print_msg("%d iommufd events recorded\n", n);
	return false;
}

FIXTURE(trace)
{
	int fd;
	void *buf;
	char want[200];
};

FIXTURE_SETUP(trace)
{
	self->fd = iommufd_open();
	ASSERT_LE(0, self->fd);
	self->buf = iommufd_alloc_small_pages(BUF_SIZE, MAP_PRIVATE);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, trace_start());
}

FIXTURE_TEARDOWN(trace)
{
	trace_stop();
	close(self->fd);
	munmap(self->buf, BUF_SIZE);
}

#define EXPECT_TRACED(event_name, ...)                                 \
	do {                                                           \
		const char *event = (event_name);                      \
									       \
		snprintf(self->want, sizeof(self->want), __VA_ARGS__); \
		EXPECT_TRUE(traced(event, self->want))                 \
			TH_LOG("no %s: %s", event, self->want);        \
	} while (0)

TEST_F(trace, object_alloc_and_destroy)
{
	__u32 ioas_id;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	ASSERT_EQ(0, iommufd_destroy_err(self->fd, ioas_id));
	EXPECT_TRACED("iommufd_object_alloc", "id=%u type=ioas", ioas_id);
	EXPECT_TRACED("iommufd_object_destroy", "id=%u type=ioas", ioas_id);
}

TEST_F(trace, map_copy_and_unmap)
{
	__u32 ioas_id, dst_id;
	__u64 iova = 0x100000, dst_iova = 0x200000;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &dst_id));
	ASSERT_EQ(0, iommufd_ioas_map_fixed_err(self->fd, ioas_id, self->buf,
						BUF_SIZE, iova));
	ASSERT_EQ(0, iommufd_ioas_copy_err(self->fd, dst_id, ioas_id, FIXED,
					   iova, PAGE_SIZE, &dst_iova));
	ASSERT_EQ(0, iommufd_ioas_unmap_err(self->fd, ioas_id, iova,
					    BUF_SIZE));
	EXPECT_TRACED("iommufd_ioas_map",
		      "ioas=%u iova=0x%llx length=0x%lx flags=0x%x", ioas_id,
		      (unsigned long long)iova, BUF_SIZE, FIXED);
	EXPECT_TRACED("iommufd_ioas_copy",
		      "src_ioas=%u src_iova=0x%llx dst_ioas=%u dst_iova=0x%llx length=0x%lx flags=0x%x",
		      ioas_id, (unsigned long long)iova, dst_id,
		      (unsigned long long)dst_iova, PAGE_SIZE, FIXED);
	EXPECT_TRACED("iommufd_ioas_unmap",
		      "ioas=%u iova=0x%llx length=0x%lx unmapped=0x%lx",
		      ioas_id, (unsigned long long)iova, BUF_SIZE, BUF_SIZE);
}

TEST_F(trace, attach_replace_and_detach)
{
	__u32 ioas_id, stdev_id, idev_id, auto_id, hwpt_id, pasid_id, pt_id;

	ASSERT_EQ(0, iommufd_ioas_alloc_err(self->fd, &ioas_id));
	ASSERT_EQ(0, iommufd_mock_domain_flags_err(self->fd, ioas_id,
						   MOCK_FLAGS_DEVICE_PASID,
						   &stdev_id, &auto_id,
						   &idev_id));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, idev_id, ioas_id,
					    IOMMU_HWPT_ALLOC_PASID, &hwpt_id));
	ASSERT_EQ(0, iommufd_hwpt_alloc_err(self->fd, idev_id, ioas_id,
					    IOMMU_HWPT_ALLOC_PASID,
					    &pasid_id));
	pt_id = hwpt_id;
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, stdev_id,
						     &pt_id));
	pt_id = pasid_id;
	ASSERT_EQ(0, iommufd_pasid_attach_err(self->fd, stdev_id, 3, &pt_id));
	ASSERT_EQ(0, iommufd_pasid_detach_err(self->fd, stdev_id, 3));
	EXPECT_TRACED("iommufd_device_attach", "device=%u pasid=0 hwpt=%u",
		      idev_id, auto_id);
	EXPECT_TRACED("iommufd_device_replace", "device=%u pasid=0 hwpt=%u",
		      idev_id, hwpt_id);
	EXPECT_TRACED("iommufd_device_attach", "device=%u pasid=3 hwpt=%u",
		      idev_id, pasid_id);
	EXPECT_TRACED("iommufd_device_detach", "device=%u pasid=3 hwpt=%u",
		      idev_id, pasid_id);
}

TEST_F(trace, fault_raised_and_answered)
{
	__u32 ioas_id, stdev_id, idev_id, parent_id, fault_id, nested_id;
	struct iommu_hwpt_pgfault record;
	struct iommu_hwpt_page_response response = {
		.code = IOMMUFD_PAGE_RESP_SUCCESS,
	};
	int fault_fd;

	ASSERT_EQ(0, iommufd_mock_device_hwpt_err(self->fd,
						  IOMMU_HWPT_ALLOC_NEST_PARENT,
						  &ioas_id, &stdev_id, &idev_id,
						  &parent_id));
	ASSERT_EQ(0, iommufd_fault_queue_err(self->fd, &fault_id, &fault_fd));
	ASSERT_EQ(0, iommufd_nested_flags_err(self->fd, idev_id, parent_id, 0,
					      fault_id, &nested_id));
	ASSERT_EQ(0, iommufd_mock_domain_replace_err(self->fd, stdev_id,
						     &nested_id));
	ASSERT_EQ(0, iommufd_trigger_iopf_err(self->fd, idev_id, 1, 5));
	ASSERT_EQ(sizeof(record), read(fault_fd, &record, sizeof(record)));
	response.cookie = record.cookie;
	ASSERT_EQ(sizeof(response),
		  write(fault_fd, &response, sizeof(response)));
	/* The second one is answered by the kernel on close */
	ASSERT_EQ(0, iommufd_trigger_iopf_err(self->fd, idev_id, 1, 6));
	close(fault_fd);

	EXPECT_TRACED("iommufd_fault_raise",
		      "fault=%u device=%u pasid=1 grpid=5 addr=0x40000000",
		      fault_id, idev_id);
	EXPECT_TRACED("iommufd_fault_answer",
		      "fault=%u device=%u grpid=5 code=%u by=user", fault_id,
		      idev_id, IOMMUFD_PAGE_RESP_SUCCESS);
	EXPECT_TRACED("iommufd_fault_answer",
		      "fault=%u device=%u grpid=6 code=%u by=kernel", fault_id,
		      idev_id, IOMMUFD_PAGE_RESP_INVALID);
}

TEST_F(trace, ioctl_error_names_ioctl_and_errno)
{
	EXPECT_EQ(ENOENT, iommufd_destroy_err(self->fd, NO_SUCH_ID));
	EXPECT_TRACED("iommufd_ioctl_error", "ioctl=0x%lx nr=0x%x errno=%d",
		      (unsigned long)IOMMU_DESTROY, IOMMUFD_CMD_DESTROY,
		      ENOENT);
}

TEST_HARNESS_MAIN
