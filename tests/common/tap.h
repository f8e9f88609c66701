/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Minimal TAP for the C host tests: one "ok N - what" or "not ok N - what"
 * line per check, the plan at the end, exit status 1 if anything failed.
 * Every line is flushed at once, so a fork() duplicates nothing.  Also
 * what several tests need: counting open fds, checking errno is kept.
 */
#ifndef TESTS_COMMON_TAP_H
#define TESTS_COMMON_TAP_H

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

__attribute__((format(printf, 2, 3)))
static inline int tap_check(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!cond)
		tap_failed = 1;
	return cond;
}

__attribute__((format(printf, 1, 2)))
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

__attribute__((format(printf, 2, 3)))
static inline void tap_skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	printf("ok %d - ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	fflush(stdout);
	return tap_failed;
}

/* The number of open fds of this process, or -1. */
static inline int tap_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

/* A value errno never takes, set before a call to see that it stays. */
#define TAP_ERRNO_SENTINEL 0x5eed

/*
 * Check that EXPR, called with errno set to the sentinel, gives WANT and
 * leaves errno alone.  WANT is a negative errno value or a result.
 */
#define TAP_EXPECT(expr, want, ...) do {				\
	long tap_ret_;							\
	int tap_errno_;							\
									\
	errno = TAP_ERRNO_SENTINEL;					\
	tap_ret_ = (long)(expr);					\
	tap_errno_ = errno;						\
	if (!tap_check(tap_ret_ == (long)(want) &&			\
		       tap_errno_ == TAP_ERRNO_SENTINEL, __VA_ARGS__))	\
		tap_diag("%s: got %ld (%s), want %ld; errno %s",	\
			 #expr, tap_ret_,				\
			 tap_ret_ < 0 ? strerror((int)-tap_ret_) : "-",	\
			 (long)(want),					\
			 tap_errno_ == TAP_ERRNO_SENTINEL ?		\
			 "kept" : "changed");				\
} while (0)

#endif /* TESTS_COMMON_TAP_H */
