// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * Allocation failures on the paths of open, EXPORT, IMPORT and LIST, made
 * by the kernel's fault injection (CONFIG_FAILSLAB), in two ways:
 *
 * - one at a time: /proc/thread-self/fail-nth set to N makes the Nth slab
 *   allocation of the calling thread fail.  For N = 1, 2, ... the call
 *   must either fail with ENOMEM and leave nothing behind, or, where the
 *   path can do without that allocation (an xarray retries a failed
 *   atomic allocation with GFP_KERNEL), succeed; until an N past the
 *   path's last allocation lets it run untouched.
 * - all of them: with failslab's task filter, /proc/thread-self/
 *   make-it-fail makes every slab allocation of the call fail; it must
 *   fail with ENOMEM and leave nothing behind.
 *
 * "Nothing behind": the live counts of debugfs primeshare/stats, the
 * dma-bufs of the system and the descriptors of the process are as
 * before the call.  KASAN and kmemleak, on the debug kernel this runs on
 * (make vm-check-debug), watch the error paths.  The fixture sets
 * failslab's knobs for the test (reclaiming allocations included, no stack
 * dump per failure, task filter, every time) and restores them.  On a
 * kernel without fault injection every test is skipped.
 */
#include <fcntl.h>

#include "kselftest_harness.h"
#include "ps_test.h"

#define FAILSLAB	"/sys/kernel/debug/failslab"
#define MAX_NTH		200	/* more allocations than any path has */

/* failslab's knobs the tests set, and the values they set. */
static const char *const knobs[][2] = {
	{ FAILSLAB "/ignore-gfp-wait", "N" },
	{ FAILSLAB "/verbose", "0" },
	{ FAILSLAB "/task-filter", "Y" },
	{ FAILSLAB "/probability", "100" },
	{ FAILSLAB "/interval", "1" },
	{ FAILSLAB "/times", "-1" },
	{ FAILSLAB "/space", "0" },
};

#define NKNOBS ARRAY_SIZE(knobs)

FIXTURE(failnth) {
	int drm;
	int buf;
	int nth;		/* /proc/thread-self/fail-nth */
	int all;		/* /proc/thread-self/make-it-fail */
	char saved[NKNOBS][24];
	struct pst_state before;
};

static int read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n, len = strlen(text);

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	close(fd);
	return n == len ? 0 : -EIO;
}

FIXTURE_SETUP(failnth)
{
	pst_require_device(_metadata);
	ASSERT_EQ(0, geteuid()) TH_LOG("these tests run as root");
	self->nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	self->all = open("/proc/thread-self/make-it-fail",
			 O_RDWR | O_CLOEXEC);
	if (self->nth < 0 || self->all < 0 || access(FAILSLAB, F_OK))
		SKIP(return, "no fault injection (CONFIG_FAILSLAB) here");
	for (size_t i = 0; i < NKNOBS; i++) {
		ASSERT_EQ(0, read_text(knobs[i][0], self->saved[i],
				       sizeof(self->saved[i])));
		ASSERT_EQ(0, write_text(knobs[i][0], knobs[i][1]))
			TH_LOG("%s", knobs[i][0]);
	}
	self->drm = pst_open_drm("vgem");
	ASSERT_LE(0, self->drm) TH_LOG("no vgem DRM node (is vgem loaded?)");
	self->buf = pst_vgem_dmabuf(self->drm, 1 << 16);
	ASSERT_LE(0, self->buf);
	pst_state_get(&self->before);
	ASSERT_EQ(0, self->before.sessions) TH_LOG("a session is already open");
}

FIXTURE_TEARDOWN(failnth)
{
	if (self->nth < 0 || self->all < 0)
		return;
	close(self->buf);
	close(self->drm);
	close(self->nth);
	close(self->all);
	for (size_t i = 0; i < NKNOBS; i++)
		write_text(knobs[i][0], self->saved[i]);
}

/*
 * Arm fail-nth with @n; after the call, disarm() says whether the fault
 * was injected (the count ran down to 0) and makes sure no later
 * allocation of this thread fails.  Nothing may run between the two but
 * the call.
 */
static void arm(int nth, int n)
{
	char text[16];
	int len = snprintf(text, sizeof(text), "%d", n);

	if (pwrite(nth, text, len, 0) != len)
		abort();
}

static bool disarm(int nth)
{
	char text[16] = "";
	ssize_t len = pread(nth, text, sizeof(text) - 1, 0);

	if (len <= 0 || pwrite(nth, "0", 1, 0) != 1)
		abort();
	return atoi(text) == 0;
}

/* Every slab allocation of this thread fails while @on. */
static void fail_all(int all, bool on)
{
	if (pwrite(all, on ? "1" : "0", 1, 0) != 1)
		abort();
}

/* Nothing changed since @base: live counts, dma-bufs, descriptors. */
static bool same_state(const struct pst_state *base)
{
	struct pst_state now;

	pst_state_get(&now);
	return now.handles == base->handles && now.holds == base->holds &&
	       now.users == base->users && now.sessions == base->sessions &&
	       now.dmabufs == base->dmabufs && now.fds == base->fds &&
	       now.next_fd == base->next_fd;
}

/*
 * One call under test: @call returns its result (>= 0) or -1 with errno
 * set; @undo takes a success back.
 */
struct op {
	int (*call)(struct op *op);
	void (*undo)(struct op *op);
	int sess;
	int fd;
	__u64 handle;
	__u32 flags;
	const void *md;
	__u32 md_size;
	struct primeshare_list list;
	__u64 out[16];
};

/*
 * Both ways of failing @op, from the state it is in now.  First one
 * allocation at a time, which also counts the allocations on the path;
 * then all at once, which must give ENOMEM unless the path allocates
 * nothing; then once without failures, whose success is left in place.
 * Logs what happened; returns the number of allocations on the path, or
 * -1 after a wrong result.
 */
static int sweep(struct __test_metadata *_metadata, int nth, int all,
		 const char *what, struct op *op)
{
	int n, failed = 0, tolerated = 0, ret = -1, err = 0;
	struct pst_state base;
	bool hit;

	pst_state_get(&base);
	for (n = 1; n <= MAX_NTH; n++) {
		arm(nth, n);
		ret = op->call(op);
		err = errno;
		hit = disarm(nth);
		if (ret >= 0)
			op->undo(op);
		if (!hit)
			break;
		if (ret >= 0) {
			tolerated++;	/* a failure the path survives */
			continue;
		}
		if (err != ENOMEM) {
			TH_LOG("%s: allocation %d failed: errno %d (%s), not ENOMEM",
			       what, n, err, strerror(err));
			return -1;
		}
		if (!same_state(&base)) {
			TH_LOG("%s: allocation %d failed, something was left",
			       what, n);
			return -1;
		}
		failed++;
	}
	if (n > MAX_NTH || ret < 0) {
		TH_LOG("%s: no success within %d allocations (errno %d)",
		       what, MAX_NTH, ret < 0 ? err : 0);
		return -1;
	}
	if (!same_state(&base)) {
		TH_LOG("%s: undoing a success left something", what);
		return -1;
	}

	fail_all(all, true);
	ret = op->call(op);
	err = ret < 0 ? errno : 0;
	fail_all(all, false);
	if (ret >= 0)
		op->undo(op);
	if (n == 1 ? ret < 0 : ret >= 0 || err != ENOMEM) {
		TH_LOG("%s: every allocation failing: %d, errno %d (%s)",
		       what, ret, err, strerror(err));
		return -1;
	}
	if (!same_state(&base)) {
		TH_LOG("%s: every allocation failing: something was left",
		       what);
		return -1;
	}

	if (op->call(op) < 0) {
		TH_LOG("%s: fails without injected failures: errno %d", what,
		       errno);
		return -1;
	}
	TH_LOG("%s: %d allocations; each failing: %d ENOMEM, %d survived",
	       what, n - 1, failed, tolerated);
	TH_LOG("%s: all failing: %s; nothing left", what,
	       n == 1 ? "success (none to fail)" : "ENOMEM");
	return n - 1;
}

static int open_call(struct op *op)
{
	op->fd = pst_open();
	return op->fd;
}

static void close_fd(struct op *op)
{
	close(op->fd);
}

static int export_call(struct op *op)
{
	int ret = pst_export_md(op->sess, op->fd, op->flags, 0, op->md,
				op->md_size, &op->handle);

	errno = ret < 0 ? -ret : 0;
	return ret < 0 ? -1 : 0;
}

static void export_undo(struct op *op)
{
	pst_release(op->sess, op->handle);
}

static int import_call(struct op *op)
{
	int ret = pst_import(op->sess, op->handle, op->flags);

	errno = ret < 0 ? -ret : 0;
	op->fd = ret;
	return ret < 0 ? -1 : ret;
}

static void import_undo(struct op *op)
{
	close(op->fd);
	if (op->flags & PRIMESHARE_IMPORT_HOLD)
		pst_release(op->sess, op->handle);
}

static int list_call(struct op *op)
{
	int ret;

	memset(&op->list, 0, sizeof(op->list));
	op->list.handles = (uintptr_t)op->out;
	op->list.count = ARRAY_SIZE(op->out);
	ret = pst_ioctl(op->sess, PRIMESHARE_IOCTL_LIST, &op->list);
	errno = ret < 0 ? -ret : 0;
	return ret < 0 ? -1 : 0;
}

static void nothing(struct op *op)
{
}

TEST_F(failnth, open_fails_cleanly)
{
	struct op op = { .call = open_call, .undo = close_fd };

	if (self->nth < 0 || self->all < 0)
		SKIP(return, "no fault injection");
	ASSERT_LT(0, sweep(_metadata, self->nth, self->all, "open", &op));
	ASSERT_LE(0, op.fd);
	EXPECT_EQ(1, pst_stat("sessions"));
	close(op.fd);
	pst_expect_idle(_metadata, &self->before);
}

TEST_F(failnth, export_fails_cleanly_for_each_lifetime)
{
	static const char md[300] = "metadata";
	static const struct {
		const char *name;
		__u32 flags;
		__u32 md_size;
	} kinds[] = {
		{ "EXPORT owned", 0, 0 },
		{ "EXPORT owned, metadata", 0, sizeof(md) },
		{ "EXPORT oneshot", PRIMESHARE_EXPORT_ONESHOT, 0 },
		{ "EXPORT refcounted, metadata", PRIMESHARE_EXPORT_REFCOUNTED,
		  sizeof(md) },
	};
	int sess = pst_open();

	if (self->nth < 0 || self->all < 0)
		SKIP(return, "no fault injection");
	ASSERT_LE(0, sess);
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		struct op op = {
			.call = export_call, .undo = export_undo,
			.sess = sess, .fd = self->buf,
			.flags = kinds[i].flags,
			.md = kinds[i].md_size ? md : NULL,
			.md_size = kinds[i].md_size,
		};

		/*
		 * No live handle before each call: the user's record is made
		 * anew each time, so its allocation is in the sweep too.
		 */
		ASSERT_LT(0, sweep(_metadata, self->nth, self->all,
				   kinds[i].name, &op));
		EXPECT_EQ(1, pst_stat("handles"));
		ASSERT_EQ(0, pst_release(sess, op.handle));
		EXPECT_EQ(0, pst_stat("handles"));
		EXPECT_EQ(0, pst_stat("users"));
	}
	close(sess);
	pst_expect_idle(_metadata, &self->before);
}

TEST_F(failnth, import_fails_cleanly_with_and_without_hold)
{
	int exp = pst_open();
	struct op op = {
		.call = import_call, .undo = import_undo, .sess = pst_open(),
	};

	if (self->nth < 0 || self->all < 0)
		SKIP(return, "no fault injection");
	ASSERT_LE(0, exp);
	ASSERT_LE(0, op.sess);
	ASSERT_EQ(0, pst_export(exp, self->buf, PRIMESHARE_EXPORT_REFCOUNTED,
				0, &op.handle));
	/* Installing the descriptor may allocate nothing at all. */
	ASSERT_LE(0, sweep(_metadata, self->nth, self->all, "IMPORT", &op));
	ASSERT_LE(0, op.fd);
	close(op.fd);
	/* A held import records the hold. */
	op.flags = PRIMESHARE_IMPORT_HOLD;
	ASSERT_LT(0, sweep(_metadata, self->nth, self->all,
			   "IMPORT with HOLD", &op));
	ASSERT_LE(0, op.fd);
	EXPECT_EQ(2, pst_stat("holds"));
	close(op.fd);
	close(op.sess);
	close(exp);
	pst_expect_idle(_metadata, &self->before);
}

TEST_F(failnth, list_fails_cleanly)
{
	struct op op = { .call = list_call, .undo = nothing };

	if (self->nth < 0 || self->all < 0)
		SKIP(return, "no fault injection");
	op.sess = pst_open();
	ASSERT_LE(0, op.sess);
	ASSERT_EQ(0, pst_export(op.sess, self->buf, 0, 0, &op.handle));
	ASSERT_LT(0, sweep(_metadata, self->nth, self->all, "LIST", &op));
	EXPECT_EQ(1, op.list.count);
	EXPECT_EQ(op.handle, op.out[0]);
	close(op.sess);
	pst_expect_idle(_metadata, &self->before);
}

TEST_HARNESS_MAIN
