// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * Keyed mutexes: KM_ACQUIRE and KM_RELEASE, every error they can give,
 * keys passed between processes, abandonment by a holder's death, the
 * fence hand-over (with vgem's fences, exported from the dma-buf as
 * sync_files), timeouts and signals, and the per-user limit.
 */
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "kselftest_harness.h"
#include "ps_test.h"

#define BUF_SIZE (64 * 1024)

static int km_acquire_t(int sess, __u64 h, __u64 key, __u64 timeout,
			__u32 flags, int *fence)
{
	struct primeshare_km_acquire a = {
		.handle = h, .key = key, .timeout_ns = timeout, .flags = flags,
		.fence_fd = -2,
	};
	int ret = pst_ioctl(sess, PRIMESHARE_IOCTL_KM_ACQUIRE, &a);

	if (fence)
		*fence = a.fence_fd;
	else if (!ret && a.fence_fd >= 0)
		close(a.fence_fd);
	return ret;
}

static int km_acquire(int sess, __u64 h, __u64 key, __u64 timeout)
{
	return km_acquire_t(sess, h, key, timeout, 0, NULL);
}

static int km_release_f(int sess, __u64 h, __u64 key, int fence)
{
	struct primeshare_km_release r = {
		.handle = h, .key = key, .fence_fd = fence,
	};

	return pst_ioctl(sess, PRIMESHARE_IOCTL_KM_RELEASE, &r);
}

static int km_release(int sess, __u64 h, __u64 key)
{
	return km_release_f(sess, h, key, -1);
}

/* 1 when @fd polls readable now (its fence has signalled), else 0. */
static int km_signalled(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

FIXTURE(km) {
	int sess;
	struct pst_vgem v;
	__u64 h;
	long km_max;
	struct pst_state before;
};

FIXTURE_SETUP(km)
{
	struct primeshare_info info = { 0 };

	pst_require_device(_metadata);
	pst_state_get(&self->before);
	self->km_max = pst_get_param("max_keyed_mutexes_per_user");
	self->sess = pst_open();
	ASSERT_LE(0, self->sess);
	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_INFO, &info));
	ASSERT_TRUE(info.features & PRIMESHARE_FEATURE_KEYED_MUTEX);
	ASSERT_EQ(0, pst_vgem_new(&self->v, BUF_SIZE)) TH_LOG("no vgem (is it loaded?)");
	ASSERT_EQ(0, pst_export(self->sess, self->v.buf,
				PRIMESHARE_EXPORT_KEYED_MUTEX,
				PRIMESHARE_MODE_OWNER | PRIMESHARE_MODE_OTHER,
				&self->h));
}

FIXTURE_TEARDOWN(km)
{
	close(self->v.buf);
	close(self->v.drm);
	close(self->sess);
	if (self->km_max > 0)
		pst_set_param("max_keyed_mutexes_per_user", self->km_max);
	pst_expect_idle(_metadata, &self->before);
}

TEST_F(km, export_flag_shows_in_query_and_keeps_the_lifetime)
{
	struct primeshare_query q;
	__u64 h;

	ASSERT_EQ(0, pst_query(self->sess, self->h, &q));
	EXPECT_EQ(PRIMESHARE_EXPORT_KEYED_MUTEX, q.attributes);
	EXPECT_EQ(0, q.lifetime);

	ASSERT_EQ(0, pst_export(self->sess, self->v.buf,
				PRIMESHARE_EXPORT_KEYED_MUTEX |
				PRIMESHARE_EXPORT_REFCOUNTED, 0, &h));
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(PRIMESHARE_EXPORT_KEYED_MUTEX, q.attributes);
	EXPECT_EQ(PRIMESHARE_EXPORT_REFCOUNTED, q.lifetime);
	EXPECT_EQ(1, q.holders);
	EXPECT_EQ(2, pst_stat("keyed_mutexes"));
	EXPECT_EQ(0, pst_release(self->sess, h));
	EXPECT_EQ(1, pst_stat("keyed_mutexes"));

	ASSERT_EQ(0, pst_export(self->sess, self->v.buf, 0, 0, &h));
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(0, q.attributes);
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(km, export_with_both_lifetimes_and_the_mutex_is_einval)
{
	EXPECT_EQ(-EINVAL, pst_export(self->sess, self->v.buf,
				      PRIMESHARE_EXPORT_FLAGS, 0, NULL));
	EXPECT_EQ(-EINVAL, pst_export(self->sess, self->v.buf,
				      PRIMESHARE_EXPORT_FLAGS << 1, 0, NULL));
	/* Its one import would end the handle, and the mutex with it. */
	EXPECT_EQ(-EINVAL, pst_export(self->sess, self->v.buf,
				      PRIMESHARE_EXPORT_ONESHOT |
				      PRIMESHARE_EXPORT_KEYED_MUTEX, 0, NULL));
}

TEST_F(km, query_with_nonzero_attributes_is_einval)
{
	struct primeshare_query q = { .handle = self->h, .attributes = 1 };

	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess, PRIMESHARE_IOCTL_QUERY, &q));
}

TEST_F(km, keys_pass_the_mutex_on)
{
	int fence;

	/* Free with key 0 at export, and no fence. */
	ASSERT_EQ(0, km_acquire_t(self->sess, self->h, 0, 0, 0, &fence));
	EXPECT_EQ(-1, fence);
	EXPECT_EQ(0, km_release(self->sess, self->h, 1));
	/* Released with 1: an acquire of 0 waits, of 1 takes it. */
	EXPECT_EQ(-ETIMEDOUT, km_acquire(self->sess, self->h, 0, 0));
	EXPECT_EQ(0, km_acquire(self->sess, self->h, 1, 0));
	EXPECT_EQ(0, km_release(self->sess, self->h, ~0ULL));
	EXPECT_EQ(0, km_acquire(self->sess, self->h, ~0ULL, 1000000));
	EXPECT_EQ(0, km_release(self->sess, self->h, 0));
}

TEST_F(km, acquire_counts_in_debugfs)
{
	long n = pst_stat("km_acquires_total");
	int other = pst_open();

	ASSERT_LE(0, n);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, km_acquire(self->sess, self->h, 0, 0));
	EXPECT_EQ(-ETIMEDOUT, km_acquire(other, self->h, 0, 0));
	EXPECT_EQ(0, km_release(self->sess, self->h, 0));
	EXPECT_EQ(n + 1, pst_stat("km_acquires_total"));
	close(other);
}

TEST_F(km, held_by_one_session_times_out_for_another)
{
	int other = pst_open();

	ASSERT_LE(0, other);
	ASSERT_EQ(0, km_acquire(self->sess, self->h, 0, 0));
	EXPECT_EQ(-ETIMEDOUT, km_acquire(other, self->h, 0, 0));
	EXPECT_EQ(-ETIMEDOUT, km_acquire(other, self->h, 0, 1000000));
	EXPECT_EQ(-EPERM, km_release(other, self->h, 0));
	EXPECT_EQ(0, km_release(self->sess, self->h, 0));
	EXPECT_EQ(0, km_acquire(other, self->h, 0, 0));
	EXPECT_EQ(-EPERM, km_release(self->sess, self->h, 0));
	EXPECT_EQ(0, km_release(other, self->h, 0));
	close(other);
}

TEST_F(km, acquire_twice_in_one_session_is_edeadlk)
{
	ASSERT_EQ(0, km_acquire(self->sess, self->h, 0, 0));
	EXPECT_EQ(-EDEADLK, km_acquire(self->sess, self->h, 0, 0));
	/* Whatever the key: the session would wait for itself. */
	EXPECT_EQ(-EDEADLK, km_acquire(self->sess, self->h, 5,
				       PRIMESHARE_KM_INFINITE));
	EXPECT_EQ(0, km_release(self->sess, self->h, 0));
}

TEST_F(km, release_of_a_free_mutex_is_eperm)
{
	EXPECT_EQ(-EPERM, km_release(self->sess, self->h, 0));
	/* The failed release changed nothing: key 0 still takes it. */
	EXPECT_EQ(0, km_acquire(self->sess, self->h, 0, 0));
	EXPECT_EQ(0, km_release(self->sess, self->h, 0));
}

TEST_F(km, bad_flags_are_einval)
{
	struct primeshare_km_acquire a = {
		.handle = self->h, .flags = ~PRIMESHARE_KM_ACQUIRE_FLAGS,
	};
	struct primeshare_km_release r = { .handle = self->h, .flags = 1 };
	__u32 bit;

	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess, PRIMESHARE_IOCTL_KM_ACQUIRE,
				     &a));
	for (bit = 1; bit; bit <<= 1) {
		if (bit & PRIMESHARE_KM_ACQUIRE_FLAGS)
			continue;
		a.flags = bit;
		EXPECT_EQ(-EINVAL, pst_ioctl(self->sess,
					     PRIMESHARE_IOCTL_KM_ACQUIRE, &a));
	}
	ASSERT_EQ(0, km_acquire(self->sess, self->h, 0, 0));
	for (bit = 1; bit; bit <<= 1) {
		r.flags = bit;
		EXPECT_EQ(-EINVAL, pst_ioctl(self->sess,
					     PRIMESHARE_IOCTL_KM_RELEASE, &r));
	}
	EXPECT_EQ(0, km_release(self->sess, self->h, 0));
}

/* Sizes: smaller than 1.2's is EINVAL, larger needs zeros past the end. */
TEST_F(km, structure_sizes)
{
	struct {
		struct primeshare_km_acquire a;
		__u64 tail;
	} big = { .a = { .handle = self->h } };
	struct {
		struct primeshare_km_release r;
		__u64 tail;
	} bigr = { .r = { .handle = self->h, .fence_fd = -1 } };
	unsigned long acq = PST_IOC(_IOC_READ | _IOC_WRITE, 0x07, sizeof(big));
	unsigned long rel = PST_IOC(_IOC_WRITE, 0x08, sizeof(bigr));

	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess,
				     PST_IOC(_IOC_READ | _IOC_WRITE, 0x07,
					     sizeof(big.a) - 8), &big));
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess,
				     PST_IOC(_IOC_WRITE, 0x08,
					     sizeof(bigr.r) - 8), &bigr));
	/* The wrong direction is EINVAL too. */
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess,
				     PST_IOC(_IOC_WRITE, 0x07, sizeof(big.a)),
				     &big));
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess,
				     PST_IOC(_IOC_READ | _IOC_WRITE, 0x08,
					     sizeof(bigr.r)), &bigr));

	big.tail = 1;
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess, acq, &big));
	big.tail = 0;
	big.a.fence_fd = -2;
	ASSERT_EQ(0, pst_ioctl(self->sess, acq, &big));
	EXPECT_EQ(-1, big.a.fence_fd);
	EXPECT_EQ(0, big.tail);
	bigr.tail = 1;
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess, rel, &bigr));
	bigr.tail = 0;
	EXPECT_EQ(0, pst_ioctl(self->sess, rel, &bigr));
}

TEST_F(km, unknown_and_ended_handles_are_enoent)
{
	__u64 h;

	EXPECT_EQ(-ENOENT, km_acquire(self->sess, 0, 0, 0));
	EXPECT_EQ(-ENOENT, km_acquire(self->sess, self->h ^ 1, 0, 0));
	EXPECT_EQ(-ENOENT, km_release(self->sess, 0, 0));
	EXPECT_EQ(-ENOENT, km_release(self->sess, self->h ^ 1, 0));

	ASSERT_EQ(0, pst_export(self->sess, self->v.buf,
				PRIMESHARE_EXPORT_KEYED_MUTEX, 0, &h));
	ASSERT_EQ(0, km_acquire(self->sess, h, 0, 0));
	ASSERT_EQ(0, pst_release(self->sess, h));
	/* The end freed the holder; the handle is gone for both calls. */
	EXPECT_EQ(-ENOENT, km_release(self->sess, h, 0));
	EXPECT_EQ(-ENOENT, km_acquire(self->sess, h, 0, 0));
}

TEST_F(km, a_handle_without_a_mutex_is_einval)
{
	__u64 h;

	ASSERT_EQ(0, pst_export(self->sess, self->v.buf, 0, 0, &h));
	EXPECT_EQ(-EINVAL, km_acquire(self->sess, h, 0, 0));
	EXPECT_EQ(-EINVAL, km_release(self->sess, h, 0));
	EXPECT_EQ(0, pst_release(self->sess, h));
}

/* Run @fn as user 65534 in a child: its exit status is the errno. */
static int km_as_nobody(int (*fn)(__u64), __u64 h)
{
	pid_t pid = fork();

	if (!pid) {
		if (pst_become(65534, 65534, 0, NULL))
			_exit(100);
		_exit(pst_status(fn(h)));
	}
	return pst_wait(pid);
}

static int km_try_acquire(__u64 h)
{
	int sess = pst_open();

	return sess < 0 ? -errno : km_acquire(sess, h, 0, 0);
}

static int km_try_release(__u64 h)
{
	int sess = pst_open();

	return sess < 0 ? -errno : km_release(sess, h, 0);
}

TEST_F(km, access_is_checked_as_for_import)
{
	__u64 h;

	ASSERT_EQ(0, pst_export(self->sess, self->v.buf,
				PRIMESHARE_EXPORT_KEYED_MUTEX,
				PRIMESHARE_MODE_OWNER, &h));
	EXPECT_EQ(EACCES, km_as_nobody(km_try_acquire, h));
	EXPECT_EQ(EACCES, km_as_nobody(km_try_release, h));
	/* Mode "other" lets it take the mutex; it is free when it exits. */
	EXPECT_EQ(0, km_as_nobody(km_try_acquire, self->h));
	EXPECT_EQ(-ENOTRECOVERABLE, km_acquire(self->sess, self->h, 0, 0));
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(km, release_fence_fd_errors)
{
	int p[2];

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, km_acquire(self->sess, self->h, 0, 0));
	EXPECT_EQ(-EBADF, km_release_f(self->sess, self->h, 1, -2));
	EXPECT_EQ(-EBADF, km_release_f(self->sess, self->h, 1, 4000));
	EXPECT_EQ(-EINVAL, km_release_f(self->sess, self->h, 1, p[0]));
	EXPECT_EQ(-EINVAL, km_release_f(self->sess, self->h, 1, self->v.buf));
	/* None of them released: the session still holds it. */
	EXPECT_EQ(-EDEADLK, km_acquire(self->sess, self->h, 0, 0));
	EXPECT_EQ(0, km_release(self->sess, self->h, 1));
	close(p[0]);
	close(p[1]);
}

TEST_F(km, bad_pointers_are_efault)
{
	struct primeshare_km_acquire *ro;

	EXPECT_EQ(-EFAULT, pst_ioctl(self->sess, PRIMESHARE_IOCTL_KM_ACQUIRE,
				     NULL));
	EXPECT_EQ(-EFAULT, pst_ioctl(self->sess, PRIMESHARE_IOCTL_KM_RELEASE,
				     NULL));

	/*
	 * Readable but not writable: the acquire takes the mutex, cannot
	 * write the result, and gives the mutex back.
	 */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	*ro = (struct primeshare_km_acquire){ .handle = self->h };
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, pst_ioctl(self->sess, PRIMESHARE_IOCTL_KM_ACQUIRE,
				     ro));
	EXPECT_EQ(-EPERM, km_release(self->sess, self->h, 0));
	EXPECT_EQ(0, km_acquire(self->sess, self->h, 0, 0));
	EXPECT_EQ(0, km_release(self->sess, self->h, 0));
	munmap(ro, 4096);
}

TEST_F(km, the_release_fence_reaches_the_next_acquirer)
{
	int fence, got, other = pst_open();
	__u32 id;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, km_acquire(self->sess, self->h, 0, 0));
	fence = pst_vgem_fence(&self->v, &id);
	ASSERT_LE(0, fence) TH_LOG("vgem fence: %s", strerror(-fence));
	ASSERT_EQ(0, km_signalled(fence));
	ASSERT_EQ(0, km_release_f(self->sess, self->h, 1, fence));
	close(fence);

	ASSERT_EQ(0, km_acquire_t(other, self->h, 1, 0,
				  PRIMESHARE_KM_ACQUIRE_CLOEXEC, &got));
	ASSERT_LE(0, got);
	EXPECT_EQ(FD_CLOEXEC, fcntl(got, F_GETFD));
	EXPECT_EQ(0, km_signalled(got));
	ASSERT_EQ(0, pst_vgem_signal(&self->v, id));
	EXPECT_EQ(1, km_signalled(got));
	close(got);

	/* Released again with that fence, now signalled: no descriptor. */
	fence = -1;
	EXPECT_EQ(0, km_release(other, self->h, 2));
	ASSERT_EQ(0, km_acquire_t(self->sess, self->h, 2, 0, 0, &got));
	EXPECT_EQ(-1, got);
	close(other);
	EXPECT_EQ(0, km_release(self->sess, self->h, 0));
}

TEST_F(km, a_signalled_fence_gives_no_descriptor)
{
	int fence, got;
	__u32 id;

	ASSERT_EQ(0, km_acquire(self->sess, self->h, 0, 0));
	fence = pst_vgem_fence(&self->v, &id);
	ASSERT_LE(0, fence);
	ASSERT_EQ(0, pst_vgem_signal(&self->v, id));
	ASSERT_EQ(0, km_release_f(self->sess, self->h, 0, fence));
	close(fence);
	ASSERT_EQ(0, km_acquire_t(self->sess, self->h, 0, 0, 0, &got));
	EXPECT_EQ(-1, got);
	EXPECT_EQ(0, km_release(self->sess, self->h, 0));
}

TEST_F(km, the_fence_descriptor_is_not_cloexec_unless_asked)
{
	int fence, got, before;
	__u32 id;

	ASSERT_EQ(0, km_acquire(self->sess, self->h, 0, 0));
	fence = pst_vgem_fence(&self->v, &id);
	ASSERT_LE(0, fence);
	ASSERT_EQ(0, km_release_f(self->sess, self->h, 0, fence));
	close(fence);
	before = pst_count_fds();
	ASSERT_EQ(0, km_acquire_t(self->sess, self->h, 0, 0, 0, &got));
	ASSERT_LE(0, got);
	EXPECT_EQ(before + 1, pst_count_fds());
	EXPECT_EQ(0, fcntl(got, F_GETFD));
	close(got);
	ASSERT_EQ(0, pst_vgem_signal(&self->v, id));
	EXPECT_EQ(0, km_release(self->sess, self->h, 0));
}

/* With no descriptor free, the acquire fails and the mutex stays free. */
TEST_F(km, no_descriptor_for_the_fence_is_emfile)
{
	struct rlimit old, lim;
	int fence, got;
	__u32 id;

	ASSERT_EQ(0, km_acquire(self->sess, self->h, 0, 0));
	fence = pst_vgem_fence(&self->v, &id);
	ASSERT_LE(0, fence);
	ASSERT_EQ(0, km_release_f(self->sess, self->h, 3, fence));
	close(fence);

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	lim = old;
	lim.rlim_cur = pst_next_fd();
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &lim));
	EXPECT_EQ(-EMFILE, km_acquire_t(self->sess, self->h, 3, 0, 0, &got));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	EXPECT_EQ(-EPERM, km_release(self->sess, self->h, 0));
	ASSERT_EQ(0, km_acquire_t(self->sess, self->h, 3, 0, 0, &got));
	EXPECT_LE(0, got);
	close(got);
	ASSERT_EQ(0, pst_vgem_signal(&self->v, id));
	EXPECT_EQ(0, km_release(self->sess, self->h, 0));
}

/* A child that takes the mutex, says so on @fd, and waits to be killed. */
static pid_t km_holder(__u64 h, __u64 key, int *ready)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		int sess = pst_open();
		char c = km_acquire(sess, h, key, PRIMESHARE_KM_INFINITE) ?
			 'n' : 'y';

		if (write(p[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	*ready = p[0];
	return pid;
}

TEST_F(km, a_killed_holder_abandons_the_mutex)
{
	int ready, sess2 = pst_open();
	long abandoned = pst_stat("km_abandoned_total");
	__s64 t;
	pid_t pid;
	char c = 0;

	ASSERT_LE(0, sess2);
	pid = km_holder(self->h, 0, &ready);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(ready, &c, 1));
	ASSERT_EQ('y', c);
	close(ready);
	EXPECT_EQ(-ETIMEDOUT, km_acquire(self->sess, self->h, 0, 0));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, pst_wait(pid));
	/* At once, though the wait could be for ever. */
	t = pst_now_ns();
	EXPECT_EQ(-ENOTRECOVERABLE,
		  km_acquire(self->sess, self->h, 0, PRIMESHARE_KM_INFINITE));
	EXPECT_EQ(-ENOTRECOVERABLE,
		  km_acquire(sess2, self->h, 7, PRIMESHARE_KM_INFINITE));
	TH_LOG("abandoned acquires returned in %lld us",
	       (long long)(pst_now_ns() - t) / 1000);
	EXPECT_EQ(-EPERM, km_release(self->sess, self->h, 0));
	EXPECT_EQ(abandoned + 1, pst_stat("km_abandoned_total"));
	close(sess2);
}

/*
 * A child waiting in ACQUIRE of @key; when it gets the mutex it releases
 * it with @key again.  Its exit status is the errno it got.
 */
static pid_t km_waiter(__u64 h, __u64 key, __u64 timeout)
{
	pid_t pid = fork();

	if (!pid) {
		int sess = pst_open();
		int ret = km_acquire(sess, h, key, timeout);

		if (!ret)
			ret = km_release(sess, h, key);
		_exit(pst_status(ret));
	}
	return pid;
}

/* Until @pid sleeps (state S) in the kernel, or 5 s. */
static void km_until_sleeping(pid_t pid)
{
	char path[64], buf[512], *p;
	int i, fd, n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (i = 0; i < 500; i++) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return;
		usleep(10000);
	}
}

TEST_F(km, waiters_learn_of_the_abandonment)
{
	pid_t holder, w[3];
	int ready, i;
	char c;

	holder = km_holder(self->h, 0, &ready);
	ASSERT_LT(0, holder);
	ASSERT_EQ(1, read(ready, &c, 1));
	close(ready);
	for (i = 0; i < 3; i++) {
		w[i] = km_waiter(self->h, i, PRIMESHARE_KM_INFINITE);
		ASSERT_LT(0, w[i]);
		km_until_sleeping(w[i]);
	}
	ASSERT_EQ(0, kill(holder, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, pst_wait(holder));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(ENOTRECOVERABLE, pst_wait(w[i]));
}

TEST_F(km, a_closed_session_abandons_what_it_holds)
{
	int other = pst_open();

	ASSERT_LE(0, other);
	ASSERT_EQ(0, km_acquire(other, self->h, 0, 0));
	close(other);
	EXPECT_EQ(-ENOTRECOVERABLE, km_acquire(self->sess, self->h, 0, 0));
}

/* A session of a dup()ed or inherited descriptor lives on: no abandon. */
TEST_F(km, the_holder_is_the_session_not_the_process)
{
	int other = pst_open();
	pid_t pid;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, km_acquire(other, self->h, 0, 0));
	pid = fork();
	if (!pid)
		_exit(pst_status(km_release(other, self->h, 4)));
	EXPECT_EQ(0, pst_wait(pid));
	EXPECT_EQ(0, km_acquire(self->sess, self->h, 4, 0));
	EXPECT_EQ(0, km_release(self->sess, self->h, 0));
	close(other);
}

/*
 * A holder that lost the right to acquire (another user now, another IPC
 * namespace) may still release: the mutex is found through its session.
 */
TEST_F(km, a_holder_releases_whatever_it_has_become)
{
	__u64 h;
	pid_t pid;

	ASSERT_EQ(0, pst_export(self->sess, self->v.buf,
				PRIMESHARE_EXPORT_KEYED_MUTEX,
				PRIMESHARE_MODE_OWNER, &h));
	pid = fork();
	if (!pid) {
		int s = pst_open();

		if (s < 0 || km_acquire(s, h, 0, 0))
			_exit(100);
		if (pst_become(65534, 65534, 0, NULL))
			_exit(101);
		/* Not the owner any more: no acquire, but the release. */
		if (km_acquire(pst_open(), h, 0, 0) != -EACCES)
			_exit(102);
		_exit(pst_status(km_release(s, h, 1)));
	}
	EXPECT_EQ(0, pst_wait(pid));
	EXPECT_EQ(0, km_acquire(self->sess, h, 1, 0));
	EXPECT_EQ(0, km_release(self->sess, h, 0));

	pid = fork();
	if (!pid) {
		int s = pst_open();

		if (s < 0 || km_acquire(s, h, 0, 0))
			_exit(100);
		if (unshare(CLONE_NEWIPC))
			_exit(101);
		/* The handle does not exist in the new namespace... */
		if (km_acquire(pst_open(), h, 0, 0) != -ENOENT)
			_exit(102);
		/* ...but the session holds its mutex. */
		_exit(pst_status(km_release(s, h, 2)));
	}
	EXPECT_EQ(0, pst_wait(pid));
	EXPECT_EQ(0, km_acquire(self->sess, h, 2, 0));
	EXPECT_EQ(0, km_release(self->sess, h, 0));
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(km, the_handle_ending_fails_the_waiters)
{
	pid_t w;
	__u64 h;

	ASSERT_EQ(0, pst_export(self->sess, self->v.buf,
				PRIMESHARE_EXPORT_KEYED_MUTEX,
				PRIMESHARE_MODE_OWNER, &h));
	ASSERT_EQ(0, km_acquire(self->sess, h, 0, 0));
	w = km_waiter(h, 0, PRIMESHARE_KM_INFINITE);
	ASSERT_LT(0, w);
	km_until_sleeping(w);
	ASSERT_EQ(0, pst_release(self->sess, h));
	EXPECT_EQ(ENOENT, pst_wait(w));
}

TEST_F(km, a_release_wakes_the_waiter_for_its_key)
{
	pid_t w1, w2;

	ASSERT_EQ(0, km_acquire(self->sess, self->h, 0, 0));
	w1 = km_waiter(self->h, 1, PRIMESHARE_KM_INFINITE);
	w2 = km_waiter(self->h, 2, 200000000);
	ASSERT_LT(0, w1);
	ASSERT_LT(0, w2);
	km_until_sleeping(w1);
	km_until_sleeping(w2);
	ASSERT_EQ(0, km_release(self->sess, self->h, 1));
	EXPECT_EQ(0, pst_wait(w1));
	/* Key 2 was never released: its waiter only times out. */
	EXPECT_EQ(ETIMEDOUT, pst_wait(w2));
	EXPECT_EQ(0, km_acquire(self->sess, self->h, 1, 0));
	EXPECT_EQ(0, km_release(self->sess, self->h, 0));
}

/*
 * The timeout: an acquire of a key nobody releases gives ETIMEDOUT, no
 * earlier than asked.  The lateness is printed, not judged.
 */
TEST_F(km, a_timed_acquire_times_out)
{
	static const __u64 ms[] = { 1, 10, 100, 500 };
	unsigned int i;
	__s64 t, took;

	for (i = 0; i < ARRAY_SIZE(ms); i++) {
		t = pst_now_ns();
		EXPECT_EQ(-ETIMEDOUT, km_acquire(self->sess, self->h, 1,
						 ms[i] * 1000000));
		took = pst_now_ns() - t;
		EXPECT_LE((__s64)ms[i] * 1000000, took);
		TH_LOG("timeout %llu ms: returned after %.3f ms (%.2fx)",
		       (unsigned long long)ms[i], took / 1e6,
		       took / (ms[i] * 1e6));
	}
}

static void km_on_alarm(int sig)
{
	(void)sig;
}

static void km_alarm(int flags, long ms)
{
	struct sigaction sa = { .sa_handler = km_on_alarm, .sa_flags = flags };
	struct itimerval it = { .it_value = { ms / 1000, ms % 1000 * 1000 } };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

TEST_F(km, a_signal_is_eintr_with_the_time_left)
{
	struct primeshare_km_acquire a = {
		.handle = self->h, .key = 1, .timeout_ns = 5000000000ULL,
		.fence_fd = -2,
	};

	km_alarm(0, 100);
	EXPECT_EQ(-EINTR, pst_ioctl(self->sess, PRIMESHARE_IOCTL_KM_ACQUIRE,
				    &a));
	EXPECT_GT(5000000000ULL, a.timeout_ns);
	EXPECT_LT(3000000000ULL, a.timeout_ns);
	EXPECT_EQ(-2, a.fence_fd);
	TH_LOG("left after the signal: %.3f s", a.timeout_ns / 1e9);

	/* An infinite wait stays infinite. */
	a.timeout_ns = PRIMESHARE_KM_INFINITE;
	km_alarm(0, 50);
	EXPECT_EQ(-EINTR, pst_ioctl(self->sess, PRIMESHARE_IOCTL_KM_ACQUIRE,
				    &a));
	EXPECT_EQ(PRIMESHARE_KM_INFINITE, a.timeout_ns);
	signal(SIGALRM, SIG_DFL);
}

/*
 * With SA_RESTART the call restarts with the time that was left: a 3 s
 * wait interrupted after 2 s ends after about 3 s in all, not 5.
 */
TEST_F(km, a_restarted_wait_keeps_its_deadline)
{
	__s64 t, took;

	km_alarm(SA_RESTART, 2000);
	t = pst_now_ns();
	EXPECT_EQ(-ETIMEDOUT, km_acquire(self->sess, self->h, 1,
					 3000000000ULL));
	took = pst_now_ns() - t;
	signal(SIGALRM, SIG_DFL);
	EXPECT_LE(3000000000LL, took);
	EXPECT_GT(4500000000LL, took);
	TH_LOG("3 s wait, signal at 2 s: returned after %.3f s", took / 1e9);
}

/*
 * Two processes pass the mutex back and forth by keys 0 -> 1 -> 0, each
 * adding to a counter in the shared buffer while it holds the mutex: the
 * count comes out exact only if they never overlapped.
 */
TEST_F(km, two_processes_ping_pong)
{
	const int rounds = 2000;
	__u32 *p;
	pid_t pid;
	int i;

	p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->v.buf, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 0;
	pid = fork();
	if (!pid) {
		int sess = pst_open();

		for (i = 0; i < rounds; i++) {
			__u32 v;

			if (km_acquire(sess, self->h, 1, 10000000000ULL))
				_exit(1);
			v = p[0];
			usleep(i % 64 ? 0 : 100);
			p[0] = v + 1;
			if (km_release(sess, self->h, 0))
				_exit(2);
		}
		_exit(0);
	}
	for (i = 0; i < rounds; i++) {
		__u32 v;

		ASSERT_EQ(0, km_acquire(self->sess, self->h, 0,
					10000000000ULL));
		v = p[0];
		p[0] = v + 1;
		ASSERT_EQ(0, km_release(self->sess, self->h, 1));
	}
	EXPECT_EQ(0, pst_wait(pid));
	ASSERT_EQ(0, km_acquire(self->sess, self->h, 0, 10000000000ULL));
	EXPECT_EQ(2 * rounds, p[0]);
	EXPECT_EQ(0, km_release(self->sess, self->h, 0));
	munmap(p, BUF_SIZE);
}

/* Keyed mutexes count per user, with their own limit. */
TEST_F(km, the_per_user_limit)
{
	long old = pst_get_param("max_keyed_mutexes_per_user");
	struct primeshare_limits l = { 0 };
	__u64 h;

	ASSERT_LE(1, old);
	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_LIMITS, &l));
	EXPECT_EQ(old, l.max_keyed_mutexes_per_user);
	EXPECT_EQ(1, l.keyed_mutexes);

	ASSERT_EQ(0, pst_set_param("max_keyed_mutexes_per_user", 1));
	EXPECT_EQ(-ENOSPC, pst_export(self->sess, self->v.buf,
				      PRIMESHARE_EXPORT_KEYED_MUTEX, 0, NULL));
	/* A handle without one still goes. */
	ASSERT_EQ(0, pst_export(self->sess, self->v.buf, 0, 0, &h));
	EXPECT_EQ(0, pst_release(self->sess, h));

	/* SET through LIMITS, then a 1.1-sized SET that leaves it alone. */
	l = (struct primeshare_limits){ 0 };
	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_LIMITS, &l));
	EXPECT_EQ(1, l.max_keyed_mutexes_per_user);
	l.flags = PRIMESHARE_LIMITS_SET;
	l.max_keyed_mutexes_per_user = 2;
	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_LIMITS, &l));
	EXPECT_EQ(2, pst_get_param("max_keyed_mutexes_per_user"));
	l.max_keyed_mutexes_per_user = 0;
	ASSERT_EQ(0, pst_ioctl(self->sess,
			       PST_IOC(_IOC_READ | _IOC_WRITE, 0x06,
				       offsetof(struct primeshare_limits,
						max_keyed_mutexes_per_user)),
			       &l));
	EXPECT_EQ(2, pst_get_param("max_keyed_mutexes_per_user"));
	ASSERT_EQ(0, pst_export(self->sess, self->v.buf,
				PRIMESHARE_EXPORT_KEYED_MUTEX, 0, &h));
	EXPECT_EQ(-ENOSPC, pst_export(self->sess, self->v.buf,
				      PRIMESHARE_EXPORT_KEYED_MUTEX, 0, NULL));
	EXPECT_EQ(0, pst_release(self->sess, h));

	/* Limits without SET, and nonzero padding, are EINVAL. */
	l = (struct primeshare_limits){ .max_keyed_mutexes_per_user = 1 };
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess, PRIMESHARE_IOCTL_LIMITS, &l));
	l = (struct primeshare_limits){ .__pad2 = 1 };
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess, PRIMESHARE_IOCTL_LIMITS, &l));
}

TEST_HARNESS_MAIN
