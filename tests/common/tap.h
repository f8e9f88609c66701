/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * TAP for the C tests (tests/lib, tests/layer, the GPU suite's check): one
 * "ok N - what" or "not ok N - what" line per check, "# ..." diagnostics,
 * the plan at the end, exit status 1 if anything failed.  Every line is
 * flushed at once, so a fork() duplicates nothing.  One counter per
 * program, in tap.c.  (The kselftests have their own, ps_test.h: they
 * build standalone in the kernel tree.)
 */
#ifndef TESTS_COMMON_TAP_H
#define TESTS_COMMON_TAP_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* A check: @cond, described by @fmt; returns @cond. */
bool tap_ok(bool cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A check that cannot be made here, for reason @why. */
void tap_skip(const char *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The run cannot go on: "Bail out! ..." and exit 1. */
void tap_bail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* The plan; the exit status of the program: 1 if a check failed. */
int tap_done(void);

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
	if (!tap_ok(tap_ret_ == (long)(want) &&				\
		    tap_errno_ == TAP_ERRNO_SENTINEL, __VA_ARGS__))	\
		tap_diag("%s: got %ld (%s), want %ld; errno %s",	\
			 #expr, tap_ret_,				\
			 tap_ret_ < 0 ? strerror((int)-tap_ret_) : "-",	\
			 (long)(want),					\
			 tap_errno_ == TAP_ERRNO_SENTINEL ?		\
			 "kept" : "changed");				\
} while (0)

#endif /* TESTS_COMMON_TAP_H */
