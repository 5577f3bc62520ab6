/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A page of user memory that the test controls through userfaultfd, to
 * hold a kernel copy to or from user space at the exact moment the test
 * chooses, and then to let it go on or make it fail.  Tests use it to
 * show that no lock of iommufd is held across such a copy, and what
 * happens when a copy fails after other threads changed things.
 *
 * The faults the kernel takes in copy_{to,from}_user() are only handed to
 * a userfaultfd without UFFD_USER_MODE_ONLY, which needs CAP_SYS_PTRACE
 * (or vm.unprivileged_userfaultfd): the tests run as root.
 */
#ifndef __SELFTEST_IOMMUFD_UFFD_H
#define __SELFTEST_IOMMUFD_UFFD_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

/**
 * struct uffd_page - one page watched by a userfaultfd
 * @uffd: the userfaultfd
 * @addr: the page
 * @size: its size
 * @write_protected: registered for write-protect faults rather than for
 *                   missing pages
 */
struct uffd_page {
	int uffd;
	void *addr;
	size_t size;
	bool write_protected;
};

static inline int uffd_page_open_err(struct uffd_page *page, __u64 features)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };

	page->size = sysconf(_SC_PAGESIZE);
	page->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (page->uffd < 0)
		return errno;
	if (ioctl(page->uffd, UFFDIO_API, &api))
		return errno;
	page->addr = mmap(NULL, page->size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return page->addr == MAP_FAILED ? errno : 0;
}

static inline int uffd_page_register_err(struct uffd_page *page, __u64 mode)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)page->addr, .len = page->size },
		.mode = mode,
	};

	return ioctl(page->uffd, UFFDIO_REGISTER, &reg) ? errno : 0;
}

/*
 * A page never touched: the first access to it, by user space or by a
 * kernel copy, waits until uffd_page_release() fills it with zeros.
 */
static inline int uffd_page_missing_err(struct uffd_page *page)
{
	int err = uffd_page_open_err(page, 0);

	if (!err)
		err = uffd_page_register_err(page, UFFDIO_REGISTER_MODE_MISSING);
	return err;
}

static inline int uffd_page_protect_err(struct uffd_page *page, bool protect)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = (uintptr_t)page->addr, .len = page->size },
		.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(page->uffd, UFFDIO_WRITEPROTECT, &wp) ? errno : 0;
}

/*
 * A page holding @size bytes of @contents that can be read freely, while
 * the next write to it waits until uffd_page_release() or
 * uffd_page_fail_err().
 */
static inline int uffd_page_write_protected_err(struct uffd_page *page,
						const void *contents,
						size_t size)
{
	int err = uffd_page_open_err(page, UFFD_FEATURE_PAGEFAULT_FLAG_WP);

	if (err)
		return err;
	memcpy(page->addr, contents, size);
	page->write_protected = true;
	err = uffd_page_register_err(page, UFFDIO_REGISTER_MODE_WP);
	if (!err)
		err = uffd_page_protect_err(page, true);
	return err;
}

/*
 * Wait up to @timeout_ms for an access to the page to block; 0 once one
 * has, ETIMEDOUT if none did.
 */
static inline int uffd_page_wait_blocked_err(struct uffd_page *page,
					     int timeout_ms)
{
	struct pollfd pfd = { .fd = page->uffd, .events = POLLIN };
	struct uffd_msg msg;
	int ready = poll(&pfd, 1, timeout_ms);

	if (ready <= 0)
		return ready ? errno : ETIMEDOUT;
	if (read(page->uffd, &msg, sizeof(msg)) != sizeof(msg))
		return errno ? errno : EIO;
	return msg.event == UFFD_EVENT_PAGEFAULT ? 0 : EPROTO;
}

/* Let the blocked access go on: a zero page, or the protection lifted */
static inline int uffd_page_release_err(struct uffd_page *page)
{
	struct uffdio_zeropage zero = {
		.range = { .start = (uintptr_t)page->addr, .len = page->size },
	};

	if (page->write_protected)
		return uffd_page_protect_err(page, false);
	return ioctl(page->uffd, UFFDIO_ZEROPAGE, &zero) ? errno : 0;
}

/*
 * Make the blocked access fail: the page goes away, then the waiters are
 * woken and find nothing mapped (a kernel copy returns -EFAULT).
 */
static inline int uffd_page_fail_err(struct uffd_page *page)
{
	struct uffdio_range range = {
		.start = (uintptr_t)page->addr,
		.len = page->size,
	};

	if (munmap(page->addr, page->size))
		return errno;
	page->addr = MAP_FAILED;
	return ioctl(page->uffd, UFFDIO_WAKE, &range) ? errno : 0;
}

static inline void uffd_page_close(struct uffd_page *page)
{
	if (page->addr && page->addr != MAP_FAILED)
		munmap(page->addr, page->size);
	if (page->uffd >= 0)
		close(page->uffd);
}

#endif
