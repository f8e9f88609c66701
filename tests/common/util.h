/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * What the test, example and benchmark programs share that is not Vulkan
 * (vkt.h) nor TAP (tap.h): dying with a message, time and the benchmarks'
 * statistics and report lines, counting what a process holds, and messages
 * with descriptors on a Unix socket.
 */
#ifndef TESTS_COMMON_UTIL_H
#define TESTS_COMMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TU_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * "program: message" on standard error (stdout flushed first), exit 1.
 * The program is its name, or what tu_set_prog() gave (a child process
 * that says which it is).
 */
void tu_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void tu_set_prog(const char *name);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t tu_now_ns(void);

/* The median and 99th percentile of samples, in ns. */
struct tu_stat {
	double median, p99;
};

/*
 * Sorts the @n samples @s (ns) and returns their median and 99th
 * percentile, less @minus (the cost of reading the clock), not below 0.
 */
struct tu_stat tu_summarize(uint64_t *s, size_t n, double minus);
/* The median of @n doubles (sorted in place); NAN for none. */
double tu_median(double *v, size_t n);
/*
 * The benchmarks' report lines: an operation's row ("  name  median
 * p99", and "data op ..." for bench-run), and a target: @value against
 * @limit, at most or (@at_least) at least, in @unit; a NAN value is
 * reported as @why (or "not measured").
 */
void tu_report_op(const char *name, struct tu_stat t);
void tu_report_target(const char *what, double value, double limit,
		      bool at_least, const char *unit, const char *why);

/* Open file descriptors of this process, or -1. */
int tu_fd_count(void);
/* Mappings of this process (lines of /proc/self/maps), or -1. */
int tu_map_count(void);

/*
 * One message of @size bytes on a Unix socket, with up to TU_MAX_FDS
 * descriptors (SCM_RIGHTS).  tu_send: 0 or -1.  tu_recv: the number of
 * descriptors that came (close-on-exec), or -1 when no whole message did
 * (any descriptors with it are closed).
 */
#define TU_MAX_FDS 4
int tu_send(int sock, const void *msg, size_t size, const int *fds, int nfds);
int tu_recv(int sock, void *msg, size_t size, int *fds, int max);
/*
 * fork() with a SOCK_SEQPACKET pair between the two processes (stdout
 * flushed first): the parent gets the child's pid, the child 0, and each
 * its own end in *@sock (close-on-exec); -1 on failure.
 */
pid_t tu_fork_socket(int *sock);
/*
 * Run @child(@arg) in a child process with its stderr into @out (at most
 * @size - 1 bytes, NUL-terminated) and its stdout to /dev/null; the
 * child exits 0 when @child returns.  The length read and the child's
 * wait status in *@status, or -1.
 */
int tu_capture_stderr(void (*child)(void *arg), void *arg, char *out,
		      size_t size, int *status);
/* @n bytes to or from the other process, or tu_die(). */
void tu_xwrite(int fd, const void *p, size_t n);
void tu_xread(int fd, void *p, size_t n);

/*
 * Write @width x @height RGBA8 pixels (rows tightly packed) to the PNG
 * file @path (png.c, which needs libpng); 0, or -1 with a message on
 * standard error.
 */
int tu_write_png(const char *path, uint32_t width, uint32_t height,
		 const void *rgba);

#endif /* TESTS_COMMON_UTIL_H */
