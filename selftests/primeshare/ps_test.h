/* SPDX-License-Identifier: GPL-2.0-only */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Helpers shared by the primeshare selftests.
 */
#ifndef PST_TEST_H
#define PST_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/drm_mode.h>
#include <drm/vgem_drm.h>
#include <linux/dma-buf.h>

/*
 * Out of tree the uAPI header is the project's include/uapi/primeshare.h;
 * in a kernel tree it is include/uapi/linux/primeshare.h, installed into
 * usr/include by `make headers` (see the Makefile).
 */
#if __has_include("uapi/primeshare.h")
#include "uapi/primeshare.h"
#else
#include <linux/primeshare.h>
#endif

#define PST_DEVICE "/dev/primeshare"

/* An ioctl number of primeshare's type with a chosen size and direction. */
#define PST_IOC(dir, nr, size) _IOC(dir, PRIMESHARE_IOC_MAGIC, nr, size)

/* ioctl() returning -errno, so a test can compare against one value. */
static inline int pst_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

/* Open the first DRM card node whose driver is @name; -1 when none. */
static inline int pst_open_drm(const char *name)
{
	char path[64], drv[32];
	int i, fd;

	for (i = 0; i < 16; i++) {
		struct drm_version v = { 0 };

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(drv, 0, sizeof(drv));
		v.name = drv;
		v.name_len = sizeof(drv) - 1;
		if (ioctl(fd, DRM_IOCTL_VERSION, &v) == 0 &&
		    strcmp(drv, name) == 0)
			return fd;
		close(fd);
	}
	return -1;
}

/*
 * Make a vgem dumb buffer of @size bytes and return a dma-buf fd for it
 * (read-write, close-on-exec), or -errno.  The GEM handle is closed: the
 * dma-buf keeps the buffer alive.
 */
static inline int pst_vgem_dmabuf(int drm, uint64_t size)
{
	struct drm_mode_create_dumb create = {
		.width = 1024, .bpp = 8, .height = (size + 1023) / 1024,
	};
	struct drm_prime_handle prime = { 0 };
	struct drm_gem_close gclose = { 0 };
	int ret;

	if (ioctl(drm, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return -errno;
	prime.handle = create.handle;
	prime.flags = DRM_RDWR | DRM_CLOEXEC;
	ret = ioctl(drm, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime) ? -errno : prime.fd;
	gclose.handle = create.handle;
	ioctl(drm, DRM_IOCTL_GEM_CLOSE, &gclose);
	return ret;
}

/*
 * A vgem buffer of @size bytes that keeps its GEM handle, for fences on
 * it: the DRM node, the handle and a dma-buf (read-write, close-on-exec).
 */
struct pst_vgem {
	int drm;
	__u32 gem;
	int buf;
};

static inline int pst_vgem_new(struct pst_vgem *v, uint64_t size)
{
	struct drm_mode_create_dumb create = {
		.width = 1024, .bpp = 8, .height = (size + 1023) / 1024,
	};
	struct drm_prime_handle prime = { 0 };

	v->buf = -1;
	v->drm = pst_open_drm("vgem");
	if (v->drm < 0)
		return -ENODEV;
	if (ioctl(v->drm, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return -errno;
	v->gem = create.handle;
	prime.handle = v->gem;
	prime.flags = DRM_RDWR | DRM_CLOEXEC;
	if (ioctl(v->drm, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime))
		return -errno;
	v->buf = prime.fd;
	return 0;
}

/*
 * An unsignalled vgem write fence on the buffer, as a sync_file from the
 * dma-buf: *@fence_id signals it (vgem signals it itself after 10 s).
 */
static inline int pst_vgem_fence(struct pst_vgem *v, __u32 *fence_id)
{
	struct drm_vgem_fence_attach att = {
		.handle = v->gem, .flags = VGEM_FENCE_WRITE,
	};
	struct dma_buf_export_sync_file exp = { .flags = DMA_BUF_SYNC_READ };

	if (ioctl(v->drm, DRM_IOCTL_VGEM_FENCE_ATTACH, &att))
		return -errno;
	*fence_id = att.out_fence;
	if (ioctl(v->buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp))
		return -errno;
	return exp.fd;
}

static inline int pst_vgem_signal(struct pst_vgem *v, __u32 fence_id)
{
	struct drm_vgem_fence_signal sig = { .fence = fence_id };

	return pst_ioctl(v->drm, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig);
}

/* The monotonic clock in nanoseconds. */
static inline int64_t pst_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Number of open file descriptors of this process. */
static inline int pst_count_fds(void)
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
	return n - 1; /* the directory's own fd */
}

/*
 * The descriptor number the next open() would get.  A number reserved but
 * never installed does not show in /proc/self/fd, so leak checks compare
 * this as well as pst_count_fds().
 */
static inline int pst_next_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

#define PST_DEBUGFS "/sys/kernel/debug/primeshare"
#define PST_PARAMS "/sys/module/primeshare/parameters"

static inline int pst_open(void)
{
	return open(PST_DEVICE, O_RDWR | O_CLOEXEC);
}

/* EXPORT with every input given; the handle lands in *@handle. */
static inline int pst_export_md(int sess, int fd, __u32 flags, __u32 mode,
				const void *md, __u32 md_size, __u64 *handle)
{
	struct primeshare_export e = {
		.fd = fd, .flags = flags, .mode = mode,
		.metadata_size = md_size, .metadata = (uintptr_t)md,
	};
	int ret = pst_ioctl(sess, PRIMESHARE_IOCTL_EXPORT, &e);

	if (!ret && handle)
		*handle = e.handle;
	return ret;
}

static inline int pst_export(int sess, int fd, __u32 flags, __u32 mode,
			     __u64 *handle)
{
	return pst_export_md(sess, fd, flags, mode, NULL, 0, handle);
}

/* IMPORT without metadata; the new fd or -errno. */
static inline int pst_import(int sess, __u64 handle, __u32 flags)
{
	struct primeshare_import im = { .handle = handle, .flags = flags };
	int ret = pst_ioctl(sess, PRIMESHARE_IOCTL_IMPORT, &im);

	return ret ? ret : im.fd;
}

static inline int pst_release_flags(int sess, __u64 handle, __u32 flags)
{
	struct primeshare_release r = { .handle = handle, .flags = flags };

	return pst_ioctl(sess, PRIMESHARE_IOCTL_RELEASE, &r);
}

static inline int pst_release(int sess, __u64 handle)
{
	return pst_release_flags(sess, handle, 0);
}

static inline int pst_query(int sess, __u64 handle, struct primeshare_query *q)
{
	memset(q, 0, sizeof(*q));
	q->handle = handle;
	return pst_ioctl(sess, PRIMESHARE_IOCTL_QUERY, q);
}

/* A value from debugfs primeshare/stats, or -1. */
static inline long pst_stat(const char *key)
{
	char line[128];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen(PST_DEBUGFS "/stats", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/* Number of dma-bufs in the system, from debugfs dma_buf/bufinfo. */
static inline long pst_dmabuf_count(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");

	if (!f)
		return -1;
	/* "Total N devices attached" lines come before "Total N objects". */
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " objects") &&
		    sscanf(line, "Total %ld objects", &v) == 1)
			break;
	fclose(f);
	return v;
}

static inline long pst_get_param(const char *name)
{
	char path[128], buf[32] = "";
	int fd, n;

	snprintf(path, sizeof(path), PST_PARAMS "/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

static inline int pst_set_param(const char *name, long value)
{
	char path[128], buf[32];
	int fd, n, len;

	snprintf(path, sizeof(path), PST_PARAMS "/%s", name);
	len = snprintf(buf, sizeof(buf), "%ld\n", value);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	close(fd);
	return n == len ? 0 : -EIO;
}

/*
 * Become another user in a forked child: supplementary groups first, then
 * gid, then uid (which drops every capability).  0 or -errno.
 */
static inline int pst_become(uid_t uid, gid_t gid, int ngroups,
			     const gid_t *groups)
{
	if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		return -errno;
	return 0;
}

/*
 * Write @map to /proc/@pid/@file (uid_map, gid_map) of a child that made
 * a user namespace; 0 or -errno.
 */
static inline int pst_write_map(pid_t pid, const char *file, const char *map)
{
	char path[64];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, map, strlen(map)) != (ssize_t)strlen(map))
		ret = -errno;
	close(fd);
	return ret;
}

/* Wait for @pid; its exit status, or 128 + signal, or -1. */
static inline int pst_wait(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/*
 * Result of an ioctl in a child, as an exit status: 0 for success, else
 * the errno (all below 128).
 */
static inline int pst_status(int ret)
{
	return ret < 0 ? -ret : 0;
}

/*
 * A small deterministic generator (splitmix64): tests that make random
 * choices take their seed from the command line or print it, so a failing
 * run can be repeated.
 */
static inline __u64 pst_rand(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number below @n (n > 0) from pst_rand(). */
static inline __u32 pst_rand_below(__u64 *state, __u32 n)
{
	return (__u32)(((pst_rand(state) >> 32) * n) >> 32);
}

/*
 * What a test must leave as it found it: the live counts of debugfs stats
 * (all of them 0 once every session is closed), the dma-bufs of the system
 * and the descriptors of this process.
 */
struct pst_state {
	long handles;
	long holds;
	long users;
	long sessions;
	long keyed_mutexes;
	long dmabufs;
	int fds;
	int next_fd;
};

static inline void pst_state_get(struct pst_state *st)
{
	st->handles = pst_stat("handles");
	st->holds = pst_stat("holds");
	st->users = pst_stat("users");
	st->sessions = pst_stat("sessions");
	st->keyed_mutexes = pst_stat("keyed_mutexes");
	st->dmabufs = pst_dmabuf_count();
	st->fds = pst_count_fds();
	st->next_fd = pst_next_fd();
}

#ifdef __KSELFTEST_HARNESS_H
/*
 * Every session is closed: the live counts are 0, and the dma-bufs and
 * descriptors are those of @before, taken when the test started.
 */
static inline void pst_expect_idle(struct __test_metadata *_metadata,
				   const struct pst_state *before)
{
	struct pst_state now;

	pst_state_get(&now);
	EXPECT_EQ(0, now.handles);
	EXPECT_EQ(0, now.holds);
	EXPECT_EQ(0, now.users);
	EXPECT_EQ(0, now.sessions);
	EXPECT_EQ(0, now.keyed_mutexes);
	EXPECT_EQ(before->dmabufs, now.dmabufs);
	EXPECT_EQ(before->fds, now.fds);
	EXPECT_EQ(before->next_fd, now.next_fd);
}
#endif

#ifdef __KSELFTEST_HARNESS_H
/*
 * SKIP the calling test when primeshare.ko is not loaded (no device node),
 * giving the reason.  Call it first in every FIXTURE_SETUP() and TEST().
 * It leaves through the harness's longjmp(), as a failed ASSERT does: the
 * test body does not run and, from a fixture setup, the teardown does not
 * either (6.1's harness would run the body after a plain SKIP(return) in a
 * setup).
 */
static inline void pst_require_device(struct __test_metadata *_metadata)
{
	if (access(PST_DEVICE, F_OK) && errno == ENOENT)
		SKIP(longjmp(_metadata->env, 1),
		     "no %s (is primeshare.ko loaded?)", PST_DEVICE);
}
#endif

#endif /* PST_TEST_H */
