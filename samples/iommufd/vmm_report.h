/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How the VMM samples report: a title per step, one line per check, and a
 * count of the failed checks that decides the exit code.  A reader follows
 * the output as the story of what a VMM does and why.
 *
 * For one program each: it keeps the count in a static variable.
 */
#ifndef _SAMPLES_IOMMUFD_VMM_REPORT_H
#define _SAMPLES_IOMMUFD_VMM_REPORT_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static unsigned int checks_failed;

static inline void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static inline void step(const char *title)
{
	say("\n== %s\n", title);
}

/* Record one check */
static inline bool check(bool passed, const char *what)
{
	say("   [%s] %s\n", passed ? " ok " : "FAIL", what);
	if (!passed)
		checks_failed++;
	return passed;
}

/*
 * A sequence of steps that returned NULL, or the step that failed with
 * errno set: @what names the whole
 */
static inline bool check_steps(const char *failed, const char *what)
{
	if (failed) {
		say("   [FAIL] %s: %s\n", failed, strerror(errno));
		checks_failed++;
		return false;
	}
	say("   [ ok ] %s\n", what);
	return true;
}

/* A call that returned 0, or -1 with errno set */
static inline bool check_ioctl(int rc, const char *what)
{
	return check_steps(rc ? what : NULL, what);
}

/* A call that must fail with @expected_errno */
static inline bool check_errno(int rc, int expected_errno, const char *what)
{
	if (!rc) {
		say("   [FAIL] %s: it succeeded\n", what);
		checks_failed++;
		return false;
	}
	if (errno != expected_errno) {
		say("   [FAIL] %s: %s instead\n", what, strerror(errno));
		checks_failed++;
		return false;
	}
	say("   [ ok ] %s\n", what);
	return true;
}

/* The exit code: 0 only if every check passed */
static inline int report_result(void)
{
	if (checks_failed) {
		say("\n%u check(s) FAILED\n", checks_failed);
		return 1;
	}
	say("\nall checks passed\n");
	return 0;
}

#endif
