// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * primeshare_bench: primeshare's operations measured side by side with the
 * other ways Linux shares a buffer between processes, in one run, so that
 * the ratios between them hold whatever the machine.  Run as root inside
 * the VM with primeshare.ko and vgem loaded (make bench).
 *
 * Every operation is timed one call at a time after a warm-up; the clock's
 * own cost (measured the same way) is subtracted.  Lines starting with
 * "data " are for the plotting script; everything else is the report.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/drm_mode.h>

#include "uapi/primeshare.h"
#include "util.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define PARAMS "/sys/module/primeshare/parameters/"
#define BUF_SIZE 65536

static unsigned long iters = 20000;
static unsigned long warmup = 2000;
static bool quick;

static int sess, card, dmabuf;
static uint32_t gem;
static double clock_ns;
static unsigned long scaling_max;

/* One measured operation: called with its argument, i is the iteration. */
typedef void (*op_fn)(void *arg, unsigned long i);

static struct tu_stat measure(op_fn fn, void *arg, unsigned long n)
{
	uint64_t *s = malloc(n * sizeof(*s));
	struct tu_stat r;
	unsigned long i;

	if (!s)
		tu_die("out of memory");
	for (i = 0; i < warmup; i++)
		fn(arg, i);
	for (i = 0; i < n; i++) {
		uint64_t t = tu_now_ns();

		fn(arg, i);
		s[i] = tu_now_ns() - t;
	}
	r = tu_summarize(s, n, clock_ns);
	free(s);
	return r;
}

/* Results, kept for the ratios and the targets. */
struct row {
	const char *name;
	struct tu_stat t;
};

static struct tu_stat scaling_max_t;

static struct row rows[64];
static unsigned int nrows;

static struct tu_stat record(const char *name, struct tu_stat t)
{
	rows[nrows].name = name;
	rows[nrows++].t = t;
	tu_report_op(name, t);
	return t;
}

static double median_of(const char *name)
{
	unsigned int i;

	for (i = 0; i < nrows; i++)
		if (!strcmp(rows[i].name, name))
			return rows[i].t.median;
	return NAN;
}

static void xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	if (ioctl(fd, req, arg))
		tu_die("%s: %s", what, strerror(errno));
}

static void set_param(const char *name, unsigned long v)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%lu\n", v) < 0 || fclose(f))
		tu_die("cannot set %s", path);
}

static uint64_t export_handle(uint32_t flags, uint32_t mode, const void *md,
			      uint32_t md_size)
{
	struct primeshare_export e = {
		.fd = dmabuf, .flags = flags, .mode = mode,
		.metadata = (uintptr_t)md, .metadata_size = md_size,
	};

	xioctl(sess, PRIMESHARE_IOCTL_EXPORT, &e, "export");
	return e.handle;
}

static void release_handle(uint64_t h)
{
	struct primeshare_release r = { .handle = h };

	xioctl(sess, PRIMESHARE_IOCTL_RELEASE, &r, "release");
}

static int import_handle(int s, uint64_t h)
{
	struct primeshare_import im = {
		.handle = h, .flags = PRIMESHARE_IMPORT_CLOEXEC,
	};

	xioctl(s, PRIMESHARE_IOCTL_IMPORT, &im, "import");
	return im.fd;
}

/* ---- the operations ---------------------------------------------------- */

static void op_nothing(void *arg, unsigned long i)
{
}

static void op_syscall(void *arg, unsigned long i)
{
	syscall(SYS_getppid);
}

static void op_dup_close(void *arg, unsigned long i)
{
	close(dup(dmabuf));
}

struct getfd_arg {
	int pidfd, target;
};

static void op_pidfd_getfd(void *arg, unsigned long i)
{
	struct getfd_arg *g = arg;
	int fd = syscall(SYS_pidfd_getfd, g->pidfd, g->target, 0);

	if (fd < 0)
		tu_die("pidfd_getfd: %s", strerror(errno));
	close(fd);
}

static void op_scm_round_trip(void *arg, unsigned long i)
{
	int sock = *(int *)arg;
	char byte = 0, cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &dmabuf, sizeof(int));
	if (sendmsg(sock, &msg, 0) != 1 || read(sock, &byte, 1) != 1)
		tu_die("SCM_RIGHTS round trip failed");
}

/* The other end of op_scm_round_trip: receive, close, acknowledge. */
static void scm_peer(int sock)
{
	char byte, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	int fd;

	for (;;) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
			_exit(0);
		memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
		close(fd);
		if (write(sock, &byte, 1) != 1)
			_exit(1);
	}
}

static void op_flink_open_close(void *arg, unsigned long i)
{
	struct drm_gem_open o = { .name = *(uint32_t *)arg };
	struct drm_gem_close c;

	xioctl(card, DRM_IOCTL_GEM_OPEN, &o, "GEM_OPEN");
	c.handle = o.handle;
	c.pad = 0;
	xioctl(card, DRM_IOCTL_GEM_CLOSE, &c, "GEM_CLOSE");
}

static void op_prime_to_fd_close(void *arg, unsigned long i)
{
	struct drm_prime_handle p = {
		.handle = gem, .flags = DRM_CLOEXEC | DRM_RDWR,
	};

	xioctl(card, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p, "PRIME_HANDLE_TO_FD");
	close(p.fd);
}

static void op_export_release(void *arg, unsigned long i)
{
	release_handle(export_handle(0, 0, NULL, 0));
}

static void op_import_close(void *arg, unsigned long i)
{
	close(import_handle(sess, *(uint64_t *)arg));
}

struct pick {
	const uint64_t *handles;
	unsigned long n;
	uint64_t state;
};

/* Import a pseudo-random one of many handles (xorshift). */
static void op_import_pick(void *arg, unsigned long i)
{
	struct pick *p = arg;

	p->state ^= p->state << 13;
	p->state ^= p->state >> 7;
	p->state ^= p->state << 17;
	close(import_handle(sess, p->handles[p->state % p->n]));
}

static void op_query(void *arg, unsigned long i)
{
	struct primeshare_query q = { .handle = *(uint64_t *)arg };

	xioctl(sess, PRIMESHARE_IOCTL_QUERY, &q, "query");
}

/*
 * The steps every primeshare ioctl pays, for the breakdown of an import:
 * an ioctl the module refuses at once (entry and dispatch), INFO (one
 * structure copied in and one out) and QUERY of a handle that does not
 * exist (a structure in, the permutation inverted, a registry miss).
 */
static void op_ioctl_unknown(void *arg, unsigned long i)
{
	if (ioctl(sess, _IO(PRIMESHARE_IOC_MAGIC, 0x7f)) != -1 ||
	    errno != ENOTTY)
		tu_die("an unknown ioctl number did not give ENOTTY");
}

static void op_info(void *arg, unsigned long i)
{
	struct primeshare_info in = { 0 };

	xioctl(sess, PRIMESHARE_IOCTL_INFO, &in, "info");
}

static void op_query_missing(void *arg, unsigned long i)
{
	struct primeshare_query q = { .handle = *(uint64_t *)arg };

	if (ioctl(sess, PRIMESHARE_IOCTL_QUERY, &q) != -1 || errno != ENOENT)
		tu_die("QUERY of a missing handle did not give ENOENT");
}

static void op_list(void *arg, unsigned long i)
{
	static uint64_t out[PRIMESHARE_LIST_MAX];
	struct primeshare_list l = {
		.handles = (uintptr_t)out, .count = PRIMESHARE_LIST_MAX,
	};

	xioctl(sess, PRIMESHARE_IOCTL_LIST, &l, "list");
	if (l.count != *(unsigned int *)arg)
		tu_die("list returned %u handles, expected %u", l.count,
		       *(unsigned int *)arg);
}

/* ---- setup -------------------------------------------------------------- */

static int open_vgem_card(void)
{
	char path[32], name[16];
	int i, fd;

	for (i = 0; i < 8; i++) {
		struct drm_version v = { .name = name, .name_len = 15 };

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	tu_die("no vgem card (modprobe vgem)");
	return -1;
}

static void setup(void)
{
	struct drm_mode_create_dumb d = {
		.width = BUF_SIZE / 4, .height = 1, .bpp = 32,
	};
	struct drm_prime_handle p = { .flags = DRM_CLOEXEC | DRM_RDWR };

	sess = open("/dev/primeshare", O_RDWR | O_CLOEXEC);
	if (sess < 0)
		tu_die("/dev/primeshare: %s (load primeshare.ko)", strerror(errno));
	card = open_vgem_card();
	xioctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &d, "CREATE_DUMB");
	gem = d.handle;
	p.handle = gem;
	xioctl(card, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p, "PRIME_HANDLE_TO_FD");
	dmabuf = p.fd;
	clock_ns = measure(op_nothing, NULL, iters).median;
}

/* ---- sections ----------------------------------------------------------- */

static void bench_baselines(void)
{
	struct getfd_arg g;
	struct drm_gem_flink fl = { .handle = gem };
	int sv[2];
	pid_t child;

	printf("\nper operation (ns)                              median        p99\n");
	record("syscall (getppid)", measure(op_syscall, NULL, iters));
	record("dup + close", measure(op_dup_close, NULL, iters));

	/* A child holds the dma-buf; the parent takes copies of its fd. */
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	g.pidfd = syscall(SYS_pidfd_open, child, 0);
	if (g.pidfd < 0)
		tu_die("pidfd_open: %s", strerror(errno));
	g.target = dmabuf;
	record("pidfd_getfd + close", measure(op_pidfd_getfd, &g, iters));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(g.pidfd);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		tu_die("socketpair: %s", strerror(errno));
	child = fork();
	if (child == 0) {
		close(sv[0]);
		scm_peer(sv[1]);
	}
	close(sv[1]);
	record("SCM_RIGHTS round trip (2 processes)",
	       measure(op_scm_round_trip, &sv[0], iters / 4));
	close(sv[0]);
	waitpid(child, NULL, 0);

	xioctl(card, DRM_IOCTL_GEM_FLINK, &fl, "GEM_FLINK");
	record("GEM flink name open + close (vgem)",
	       measure(op_flink_open_close, &fl.name, iters));
	record("PRIME handle-to-fd + close (vgem)",
	       measure(op_prime_to_fd_close, NULL, iters));
}

static void bench_primeshare(void)
{
	static const char *const other = "import + close (another process)";
	uint64_t h, *many;
	unsigned int i, n1000 = 1000;
	int pipefd[2];
	pid_t child;

	record("primeshare export + release",
	       measure(op_export_release, NULL, iters));
	h = export_handle(0, PRIMESHARE_MODE_OWNER, NULL, 0);
	record("primeshare import + close (same process)",
	       measure(op_import_close, &h, iters));
	record("primeshare query", measure(op_query, &h, iters));
	record("primeshare ioctl of an unknown number",
	       measure(op_ioctl_unknown, NULL, iters));
	record("primeshare info", measure(op_info, NULL, iters));
	{
		/* Not a handle of this load: its sequence number is far off. */
		uint64_t missing = h ^ 0x5a5a5a5a00000000ull;

		record("primeshare query of a missing handle",
		       measure(op_query_missing, &missing, iters));
	}

	/* Another process, with its own session, imports the handle. */
	if (pipe(pipefd))
		tu_die("pipe: %s", strerror(errno));
	child = fork();
	if (child == 0) {
		struct tu_stat t;
		int s = open("/dev/primeshare", O_RDWR | O_CLOEXEC);

		if (s < 0)
			_exit(1);
		close(sess);
		sess = s;
		t = measure(op_import_close, &h, iters);
		if (write(pipefd[1], &t, sizeof(t)) != sizeof(t))
			_exit(1);
		_exit(0);
	}
	close(pipefd[1]);
	{
		struct tu_stat t;

		if (read(pipefd[0], &t, sizeof(t)) != sizeof(t))
			tu_die("the importing process failed");
		record(other, t);
	}
	close(pipefd[0]);
	waitpid(child, NULL, 0);
	release_handle(h);

	many = calloc(n1000, sizeof(*many));
	if (!many)
		tu_die("out of memory");
	for (i = 0; i < n1000; i++)
		many[i] = export_handle(0, 0, NULL, 0);
	record("primeshare list of 1,000 handles (one call)",
	       measure(op_list, &n1000, iters / 20));
	for (i = 0; i < n1000; i++)
		release_handle(many[i]);
	free(many);
}

/* ---- keyed mutexes --------------------------------------------------- */

struct km_arg {
	int sess;
	uint64_t h;
};

static void km_acquire(int s, uint64_t h, uint64_t key, uint64_t timeout)
{
	struct primeshare_km_acquire a = {
		.handle = h, .key = key, .timeout_ns = timeout,
	};

	xioctl(s, PRIMESHARE_IOCTL_KM_ACQUIRE, &a, "KM_ACQUIRE");
	if (a.fence_fd >= 0)
		close(a.fence_fd);
}

static void km_release(int s, uint64_t h, uint64_t key)
{
	struct primeshare_km_release r = {
		.handle = h, .key = key, .fence_fd = -1,
	};

	xioctl(s, PRIMESHARE_IOCTL_KM_RELEASE, &r, "KM_RELEASE");
}

/*
 * One round trip: this process releases with 1 and acquires 0 again,
 * which it gets once the other process has acquired 1 and released 0.
 */
static void op_km_round_trip(void *arg, unsigned long i)
{
	struct km_arg *k = arg;

	km_release(k->sess, k->h, 1);
	km_acquire(k->sess, k->h, 0, PRIMESHARE_KM_INFINITE);
}

/* The same hand-over by two eventfds, with no buffer behind it. */
static void op_eventfd_round_trip(void *arg, unsigned long i)
{
	int *efd = arg;
	uint64_t v = 1;

	if (write(efd[0], &v, 8) != 8 || read(efd[1], &v, 8) != 8)
		tu_die("eventfd round trip failed");
}

static void op_km_acquire_release(void *arg, unsigned long i)
{
	struct km_arg *k = arg;

	km_acquire(k->sess, k->h, 0, 0);
	km_release(k->sess, k->h, 0);
}

/*
 * A keyed mutex passed back and forth between two processes against two
 * eventfds doing the same hand-over, and the timeouts of an acquire of a
 * key nobody releases against what was asked.
 */
static void bench_keyed_mutex(void)
{
	static const unsigned int ms[] = { 1, 10, 100 };
	struct km_arg k = { .sess = sess };
	int efd[2];
	unsigned int i;
	pid_t child;

	printf("\nkeyed mutex (ns)                                median        p99\n");
	k.h = export_handle(PRIMESHARE_EXPORT_KEYED_MUTEX, PRIMESHARE_MODE_OWNER,
			    NULL, 0);
	record("primeshare km acquire + release (uncontended)",
	       measure(op_km_acquire_release, &k, iters));

	efd[0] = eventfd(0, EFD_CLOEXEC);
	efd[1] = eventfd(0, EFD_CLOEXEC);
	if (efd[0] < 0 || efd[1] < 0)
		tu_die("eventfd: %s", strerror(errno));
	child = fork();
	if (child == 0) {
		uint64_t v;

		for (;;) {
			if (read(efd[0], &v, 8) != 8 || write(efd[1], &v, 8) != 8)
				_exit(1);
		}
	}
	record("eventfd ping-pong round trip (2 processes)",
	       measure(op_eventfd_round_trip, efd, iters / 4));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(efd[0]);
	close(efd[1]);

	km_acquire(sess, k.h, 0, 0);
	child = fork();
	if (child == 0) {
		int s = open("/dev/primeshare", O_RDWR | O_CLOEXEC);

		if (s < 0)
			_exit(1);
		for (;;) {
			km_acquire(s, k.h, 1, PRIMESHARE_KM_INFINITE);
			km_release(s, k.h, 0);
		}
	}
	record("primeshare km round trip (2 processes)",
	       measure(op_km_round_trip, &k, iters / 4));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	km_release(sess, k.h, 0);
	release_handle(k.h);

	/* Nobody releases key 1: each acquire runs into its timeout. */
	printf("\nkeyed mutex timeouts (asked, returned after, ratio)\n");
	k.h = export_handle(PRIMESHARE_EXPORT_KEYED_MUTEX, PRIMESHARE_MODE_OWNER,
			    NULL, 0);
	for (i = 0; i < TU_ARRAY_SIZE(ms); i++) {
		unsigned int n = quick ? 3 : 20, j;
		uint64_t *t = malloc(n * sizeof(*t));
		struct tu_stat st;
		char name[64];

		if (!t)
			tu_die("out of memory");
		for (j = 0; j < n; j++) {
			struct primeshare_km_acquire a = {
				.handle = k.h, .key = 1,
				.timeout_ns = ms[i] * 1000000ull,
			};
			uint64_t t0 = tu_now_ns();

			if (ioctl(sess, PRIMESHARE_IOCTL_KM_ACQUIRE, &a) == 0 ||
			    errno != ETIMEDOUT)
				tu_die("a timed acquire did not time out: %s",
				       strerror(errno));
			t[j] = tu_now_ns() - t0;
		}
		st = tu_summarize(t, n, clock_ns);
		free(t);
		snprintf(name, sizeof(name), "km timeout %u ms", ms[i]);
		rows[nrows].name = strdup(name);
		rows[nrows++].t = st;
		printf("  %-44s %10.3f ms %6.3fx\n", name, st.median / 1e6,
		       st.median / (ms[i] * 1e6));
		printf("data km_timeout %u %.1f\n", ms[i], st.median);
	}
	release_handle(k.h);
}

static void raise_limits(unsigned long n)
{
	set_param("max_handles", n + 16);
	set_param("max_handles_per_user", n + 16);
	set_param("max_handles_per_session", n + 16);
	/* The memory section keeps n / 5 handles of 4 KiB of metadata. */
	set_param("max_metadata_bytes_per_user", (n + 16) * 4096);
}

static void bench_scaling(void)
{
	static const unsigned long sizes[] = { 1, 1000, 100000, 1000000 };
	unsigned long have = 0, k, want;
	struct tu_stat hot, hot_1 = { 0 }, hot_max = { 0 };
	struct pick p = { .state = 0x9e3779b97f4a7c15ULL };
	uint64_t *h;
	char name[64];

	want = sizes[quick ? 2 : 3];
	h = calloc(want, sizeof(*h));
	if (!h)
		tu_die("out of memory");
	raise_limits(want);
	printf("\nimport + close with many live handles (ns)\n");
	printf("  %-32s %10s %10s %10s %10s\n", "a random live handle:",
	       "median", "p99", "same handle:", "p99");
	for (k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
		struct tu_stat t;

		if (sizes[k] > want)
			break;
		while (have < sizes[k])
			h[have++] = export_handle(0, 0, NULL, 0);
		p.handles = h;
		p.n = have;
		t = measure(op_import_pick, &p, iters);
		/*
		 * The same handle every time: the registry's depth without
		 * the cache and TLB misses of touching many objects.
		 */
		hot = measure(op_import_close, &h[have - 1], iters);
		snprintf(name, sizeof(name), "%lu live handle%s", have,
			 have == 1 ? "" : "s");
		printf("  %-32s %10.0f %10.0f %10.0f %10.0f\n", name,
		       t.median, t.p99, hot.median, hot.p99);
		printf("data scaling %lu %.1f %.1f %.1f %.1f\n", have,
		       t.median, t.p99, hot.median, hot.p99);
		fflush(stdout);
		if (k == 0)
			hot_1 = hot;
		hot_max = hot;
		if (k == 0) {
			rows[nrows].name = "scaling 1";
			rows[nrows++].t = t;
		}
		scaling_max = have;
		scaling_max_t = t;
	}
	rows[nrows].name = "scaling max";
	rows[nrows++].t = scaling_max_t;
	rows[nrows].name = "scaling hot 1";
	rows[nrows++].t = hot_1;
	rows[nrows].name = "scaling hot max";
	rows[nrows++].t = hot_max;
	/* Closing the session ends them all at once. */
	close(sess);
	sess = open("/dev/primeshare", O_RDWR | O_CLOEXEC);
	free(h);
}

struct tput {
	uint64_t handle;
	double seconds;
	unsigned long ops;
};

static void *tput_thread(void *arg)
{
	struct tput *t = arg;
	int64_t end = tu_now_ns() + (int64_t)(t->seconds * 1e9);

	while (tu_now_ns() < end) {
		close(import_handle(sess, t->handle));
		t->ops++;
	}
	return NULL;
}

static void bench_throughput(void)
{
	struct tput t[2];
	pthread_t th[2];
	uint64_t h[2];
	int threads, same, i;
	double secs = quick ? 0.3 : 1.0;

	printf("\nimport + close throughput (operations/s)\n");
	h[0] = export_handle(0, 0, NULL, 0);
	h[1] = export_handle(0, 0, NULL, 0);
	for (threads = 1; threads <= 2; threads++) {
		for (same = 1; same >= (threads == 1 ? 1 : 0); same--) {
			unsigned long total = 0;

			for (i = 0; i < threads; i++) {
				t[i].handle = h[same ? 0 : i];
				t[i].seconds = secs;
				t[i].ops = 0;
				pthread_create(&th[i], NULL, tput_thread, &t[i]);
			}
			for (i = 0; i < threads; i++) {
				pthread_join(th[i], NULL);
				total += t[i].ops;
			}
			printf("  %d thread%s, %-32s %12.0f\n", threads,
			       threads > 1 ? "s" : " ",
			       threads == 1 ? "one handle" :
			       same ? "one handle" : "a handle each",
			       total / secs);
			printf("data throughput %d %s %.0f\n", threads,
			       same ? "same" : "different", total / secs);
		}
	}
	release_handle(h[0]);
	release_handle(h[1]);
}

/* memory.current of this process's cgroup, after settling RCU frees. */
static long cgroup_memory(const char *dir)
{
	char path[256];
	long v = -1;
	FILE *f;

	usleep(200000);
	snprintf(path, sizeof(path), "%s/memory.current", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int enter_cgroup(const char *dir)
{
	FILE *f;

	mkdir("/sys/fs/cgroup", 0755);
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) &&
	    mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL))
		return -errno;
	f = fopen("/sys/fs/cgroup/cgroup.subtree_control", "w");
	if (!f)
		return -errno;
	fputs("+memory", f);
	if (fclose(f))
		return -errno;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
		f = fopen(path, "w");
		if (!f)
			return -errno;
		fprintf(f, "%d\n", getpid());
		if (fclose(f))
			return -errno;
	}
	return 0;
}

static double per_handle_bytes(const char *dir, unsigned long n,
			       uint32_t md_size)
{
	static char md[4096];
	uint64_t *h = calloc(n, sizeof(*h));
	long before, after;
	unsigned long i;
	int s;

	if (!h)
		tu_die("out of memory");
	memset(h, 0xff, n * sizeof(*h)); /* fault the array in first */
	s = sess;
	before = cgroup_memory(dir);
	for (i = 0; i < n; i++)
		h[i] = export_handle(0, 0, md_size ? md : NULL, md_size);
	after = cgroup_memory(dir);
	close(sess);
	sess = open("/dev/primeshare", O_RDWR | O_CLOEXEC);
	(void)s;
	free(h);
	return (double)(after - before) / n;
}

static void bench_memory(void)
{
	const char *dir = "/sys/fs/cgroup/primeshare_bench";
	unsigned long n = quick ? 20000 : 100000;
	double plain, with_md;
	int ret;

	printf("\nkernel memory per live handle (memory cgroup, %lu handles)\n",
	       n);
	ret = enter_cgroup(dir);
	if (ret) {
		printf("  not measured: cannot use a memory cgroup: %s\n",
		       strerror(-ret));
		return;
	}
	raise_limits(n);
	plain = per_handle_bytes(dir, n, 0);
	with_md = per_handle_bytes(dir, n / 5, 4096);
	printf("  %-44s %10.0f bytes\n", "no metadata", plain);
	printf("  %-44s %10.0f bytes\n", "4 KiB of metadata", with_md);
	printf("data memory plain %.1f\ndata memory metadata %.1f\n", plain,
	       with_md);
	rows[nrows].name = "memory plain";
	rows[nrows++].t.median = plain;
}

/* A target line: @value against @limit, "at most" unless @at_least. */
static void target(const char *what, double value, double limit,
		   bool at_least, const char *unit)
{
	tu_report_target(what, value, limit, at_least, unit, NULL);
}

static void report_ratios(void)
{
	double getfd = median_of("pidfd_getfd + close");
	double scm = median_of("SCM_RIGHTS round trip (2 processes)");
	double prime = median_of("PRIME handle-to-fd + close (vgem)");
	double imp = median_of("primeshare import + close (same process)");
	double exp = median_of("primeshare export + release");
	double dupc = median_of("dup + close");
	char what[96];
	unsigned int i;

	printf("\nratios to the baselines (median / median)\n");
	printf("  %-44s %12s %10s %11s\n", "", "pidfd_getfd", "dup+close",
	       "SCM_RIGHTS");
	for (i = 0; i < nrows; i++) {
		if (strncmp(rows[i].name, "primeshare ", 11) &&
		    strcmp(rows[i].name, "import + close (another process)"))
			continue;
		printf("  %-44s %11.2fx %9.2fx %10.3fx\n", rows[i].name,
		       rows[i].t.median / getfd, rows[i].t.median / dupc,
		       rows[i].t.median / scm);
	}

	/*
	 * What handing a file to a process costs beyond installing it:
	 * pidfd_getfd() and IMPORT both go through receive_fd() (the LSM
	 * hook file_receive), dup() does not.
	 */
	printf("\nthe receive path (median - median)\n");
	printf("  %-44s %10.0f ns\n", "pidfd_getfd + close - dup + close",
	       getfd - dupc);
	printf("  %-44s %10.0f ns\n", "import + close - pidfd_getfd + close",
	       imp - getfd);
	printf("data receive getfd_over_dup %.1f\ndata receive import_over_getfd %.1f\n",
	       getfd - dupc, imp - getfd);

	/*
	 * Where an import's time goes beyond pidfd_getfd's: steps measured
	 * on their own above.  pidfd_getfd takes its arguments in registers;
	 * an import reads and writes a structure, and receive_fd() writes the
	 * descriptor's number, each a user-memory access.
	 */
	{
		double sys = median_of("syscall (getppid)");
		double unk = median_of("primeshare ioctl of an unknown number");
		double info = median_of("primeshare info");
		double miss = median_of("primeshare query of a missing handle");

		printf("\nthe steps of a primeshare ioctl (median - median)\n");
		printf("  %-44s %10.0f ns\n",
		       "ioctl entry: unknown number - getppid", unk - sys);
		printf("  %-44s %10.0f ns\n",
		       "a structure in and out: info - unknown", info - unk);
		printf("  %-44s %10.0f ns\n",
		       "in + lookup: missing query - unknown", miss - unk);
		printf("data steps entry %.1f\ndata steps copies %.1f\ndata steps lookup %.1f\n",
		       unk - sys, info - unk, miss - unk);
	}

	printf("\ntargets (reported, never failed)\n");
	target("import + close / pidfd_getfd + close", imp / getfd, 1.2,
	       false, "x");
	target("SCM_RIGHTS round trip / import + close", scm / imp, 20,
	       true, "x");
	target("export + release / PRIME handle-to-fd + close", exp / prime,
	       2.0, false, "x");
	snprintf(what, sizeof(what), "import at %lu live / import at 1",
		 scaling_max);
	target(what, median_of("scaling max") / median_of("scaling 1"), 1.3,
	       false, "x");
	snprintf(what, sizeof(what),
		 "  the same, importing one handle: %lu / 1", scaling_max);
	target(what, median_of("scaling hot max") /
	       median_of("scaling hot 1"), 1.3, false, "x");
	target("km round trip / eventfd ping-pong round trip",
	       median_of("primeshare km round trip (2 processes)") /
	       median_of("eventfd ping-pong round trip (2 processes)"), 3.0,
	       false, "x");
	target("km acquire timeout of 10 ms: returned after / asked",
	       median_of("km timeout 10 ms") / 10e6, 1.1, false, "x");
	target("km acquire timeout of 100 ms: returned after / asked",
	       median_of("km timeout 100 ms") / 100e6, 1.1, false, "x");
	target("kernel bytes per live handle, no metadata",
	       median_of("memory plain"), 256, false, "B");
}

int main(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "qn:")) != -1) {
		switch (c) {
		case 'q':
			quick = true;
			iters = 2000;
			warmup = 200;
			break;
		case 'n':
			iters = strtoul(optarg, NULL, 10);
			warmup = iters / 10;
			break;
		default:
			fprintf(stderr, "usage: primeshare_bench [-q] [-n ITERATIONS]\n");
			return 2;
		}
	}
	if (iters < 100)
		tu_die("at least 100 iterations");
	setup();
	printf("primeshare_bench: %lu iterations per operation after %lu warm-up, clock cost %.0f ns subtracted\n",
	       iters, warmup, clock_ns);
	bench_baselines();
	bench_primeshare();
	bench_keyed_mutex();
	bench_scaling();
	bench_throughput();
	bench_memory();
	report_ratios();
	return 0;
}
