// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * Helpers of the test, example and benchmark programs; see util.h.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static const char *tu_prog;

void tu_set_prog(const char *name)
{
	tu_prog = name;
}

void tu_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", tu_prog ? tu_prog : program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

int64_t tu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int tu_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int tu_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct tu_stat tu_summarize(uint64_t *s, size_t n, double minus)
{
	struct tu_stat r = { NAN, NAN };

	if (!n)
		return r;
	qsort(s, n, sizeof(*s), tu_cmp_u64);
	r.median = s[n / 2] - minus;
	r.p99 = s[(n * 99) / 100] - minus;
	if (r.median < 0)
		r.median = 0;
	if (r.p99 < 0)
		r.p99 = 0;
	return r;
}

double tu_median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), tu_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void tu_report_op(const char *name, struct tu_stat t)
{
	printf("  %-44s %10.0f %10.0f\n", name, t.median, t.p99);
	printf("data op \"%s\" %.1f %.1f\n", name, t.median, t.p99);
	fflush(stdout);
}

void tu_report_target(const char *what, double value, double limit,
		      bool at_least, const char *unit, const char *why)
{
	const char *cmp = at_least ? ">=" : "<=";
	bool met = !isnan(value) &&
		   (at_least ? value >= limit : value <= limit);

	printf("  %-50s %9.2f%-2s (target %s %.2f%s)  %s\n", what, value,
	       unit, cmp, limit, unit,
	       isnan(value) ? (why ? why : "not measured") :
	       met ? "met" : "NOT met");
	printf("data target \"%s\" %.3f %s%.3f %s\n", what, value, cmp, limit,
	       isnan(value) ? "unmeasured" : met ? "met" : "missed");
	fflush(stdout);
}

int tu_fd_count(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

int tu_map_count(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, c;

	if (!f)
		return -1;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

int tu_send(int sock, const void *msg, size_t size, const int *fds, int nfds)
{
	char control[CMSG_SPACE(TU_MAX_FDS * sizeof(int))] = { 0 };
	struct iovec iov = { (void *)msg, size };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	struct cmsghdr *cm;

	if (nfds < 0 || nfds > TU_MAX_FDS)
		return -1;
	if (nfds) {
		mh.msg_control = control;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)size ? 0 : -1;
}

int tu_recv(int sock, void *msg, size_t size, int *fds, int max)
{
	char control[CMSG_SPACE(TU_MAX_FDS * sizeof(int))];
	int got[TU_MAX_FDS];
	struct iovec iov = { msg, size };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm;
	ssize_t len;
	int n = 0;

	len = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	if (len < 0)
		return -1;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (n > TU_MAX_FDS)
			n = TU_MAX_FDS;
		memcpy(got, CMSG_DATA(cm), n * sizeof(int));
	}
	/* What does not fit or came with a partial message is closed. */
	for (int i = 0; i < n; i++) {
		if (len == (ssize_t)size && i < max)
			fds[i] = got[i];
		else
			close(got[i]);
	}
	if (len != (ssize_t)size)
		return -1;
	return n < max ? n : max;
}

void tu_xwrite(int fd, const void *p, size_t n)
{
	if (write(fd, p, n) != (ssize_t)n)
		tu_die("write to the other process: %s", strerror(errno));
}

void tu_xread(int fd, void *p, size_t n)
{
	ssize_t r = read(fd, p, n);

	if (r != (ssize_t)n)
		tu_die("read from the other process: %s",
		       r < 0 ? strerror(errno) : "it is gone");
}

pid_t tu_fork_socket(int *sock)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[pid ? 1 : 0]);
	*sock = sv[pid ? 0 : 1];
	return pid;
}

int tu_capture_stderr(void (*child)(void *arg), void *arg, char *out,
		      size_t size, int *status)
{
	int pipefd[2];
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (!size || pipe(pipefd))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (!pid) {
		close(pipefd[0]);
		dup2(pipefd[1], 2);
		if (!freopen("/dev/null", "w", stdout))
			_exit(4);
		child(arg);
		_exit(0);
	}
	close(pipefd[1]);
	while (len < size - 1 &&
	       (n = read(pipefd[0], out + len, size - 1 - len)) > 0)
		len += n;
	out[len] = 0;
	close(pipefd[0]);
	if (waitpid(pid, status, 0) < 0)
		return -1;
	return (int)len;
}
