/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * The fake primeshare module and fake DRM driver of fake_ps.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <xf86drm.h>

#include "fake_ps.h"

struct fake_state fake;
char fake_device_path[64];
char fake_drm_path[64];

static int device_fd = -1, drm_fd = -1;
static struct stat device_st, drm_st;

static void fake_default_info(void)
{
	memset(&fake.info, 0, sizeof(fake.info));
	fake.info.version_major = PRIMESHARE_UAPI_VERSION_MAJOR;
	fake.info.version_minor = 3;
	fake.info.max_metadata_size = 4096;
	fake.info.features = PRIMESHARE_FEATURE_EXPORT |
			     PRIMESHARE_FEATURE_REFCOUNTED |
			     PRIMESHARE_FEATURE_ONESHOT |
			     PRIMESHARE_FEATURE_METADATA |
			     PRIMESHARE_FEATURE_LIST |
			     PRIMESHARE_FEATURE_FORCE_RELEASE |
			     PRIMESHARE_FEATURE_KEYED_MUTEX;
	fake.info.max_handles_per_session = 4000;
	fake.info.max_handles_per_user = 16000;
	fake.info.max_handles = 65000;
}

void fake_reset(void)
{
	unsigned int i;

	for (i = 0; i < fake.nhandles; i++) {
		close(fake.handles[i].fd);
		if (fake.handles[i].km_fence >= 0)
			close(fake.handles[i].km_fence);
	}
	for (i = 0; i < FAKE_MAX_GEMS; i++)
		if (fake.gems[i].used)
			close(fake.gems[i].fd);
	memset(&fake, 0, sizeof(fake));
	fake_default_info();
	fake.next_gem = 1;
}

int fake_setup(void)
{
	device_fd = memfd_create("fake-primeshare", MFD_CLOEXEC);
	drm_fd = memfd_create("fake-drm", MFD_CLOEXEC);
	if (device_fd < 0 || drm_fd < 0 || fstat(device_fd, &device_st) ||
	    fstat(drm_fd, &drm_st))
		return -1;
	snprintf(fake_device_path, sizeof(fake_device_path),
		 "/proc/self/fd/%d", device_fd);
	snprintf(fake_drm_path, sizeof(fake_drm_path),
		 "/proc/self/fd/%d", drm_fd);
	fake_reset();
	return 0;
}

void fake_teardown(void)
{
	fake_reset();
	close(device_fd);
	close(drm_fd);
	device_fd = -1;
	drm_fd = -1;
}

static bool fake_is(int fd, const struct stat *st)
{
	struct stat s;

	return fstat(fd, &s) == 0 && s.st_dev == st->st_dev &&
	       s.st_ino == st->st_ino;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

int fake_dmabuf(size_t size, unsigned int seed)
{
	unsigned char buf[4096];
	size_t done = 0, i;
	int fd = memfd_create("fake-dmabuf", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	while (done < size) {
		size_t n = size - done;

		if (n > sizeof(buf))
			n = sizeof(buf);

		for (i = 0; i < n; i++)
			buf[i] = (unsigned char)((done + i) * 31 + seed);
		if (write(fd, buf, n) != (ssize_t)n) {
			close(fd);
			return -1;
		}
		done += n;
	}
	return fd;
}

int fake_held_fds(void)
{
	unsigned int i;
	int n = fake.nhandles;

	for (i = 0; i < fake.nhandles; i++)
		n += fake.handles[i].km_fence >= 0;
	for (i = 0; i < FAKE_MAX_GEMS; i++)
		n += fake.gems[i].used;
	return n;
}

struct fake_handle *fake_find(uint64_t handle)
{
	unsigned int i;

	for (i = 0; i < fake.nhandles; i++)
		if (fake.handles[i].handle == handle)
			return &fake.handles[i];
	return NULL;
}

static struct fake_handle *fake_find_live(uint64_t handle)
{
	struct fake_handle *h = fake_find(handle);

	return h && !h->dead ? h : NULL;
}

static int fake_info(struct primeshare_info *arg)
{
	if (arg->flags || arg->__pad)
		return fail(EINVAL);
	*arg = fake.info;
	return 0;
}

static int fake_export(struct primeshare_export *arg)
{
	struct fake_handle *h;
	struct stat st;

	fake.last_export = *arg;
	if ((arg->flags & ~PRIMESHARE_EXPORT_FLAGS) ||
	    (arg->flags & PRIMESHARE_EXPORT_LIFETIMES) ==
	    PRIMESHARE_EXPORT_LIFETIMES ||
	    (arg->mode & ~PRIMESHARE_MODE_MASK))
		return fail(EINVAL);
	if (fstat(arg->fd, &st))
		return fail(EBADF);
	if (arg->metadata_size > fake.info.max_metadata_size)
		return fail(E2BIG);
	if (fake.nhandles == FAKE_MAX_HANDLES)
		return fail(ENOSPC);

	h = &fake.handles[fake.nhandles];
	memset(h, 0, sizeof(*h));
	h->fd = fcntl(arg->fd, F_DUPFD_CLOEXEC, 0);
	if (h->fd < 0)
		return -1;
	fake.nhandles++;
	/* Spread out, never 0, never reused. */
	h->handle = 0x9e3779b97f4a7c15ULL * fake.nhandles;
	h->lifetime = arg->flags & PRIMESHARE_EXPORT_LIFETIMES;
	h->km = arg->flags & PRIMESHARE_EXPORT_KEYED_MUTEX;
	h->km_fence = -1;
	h->mode = arg->mode ? arg->mode : PRIMESHARE_MODE_DEFAULT;
	h->size = (uint64_t)st.st_size;
	h->metadata_size = arg->metadata_size;
	if (arg->metadata_size)
		memcpy(h->metadata, (const void *)(uintptr_t)arg->metadata,
		       arg->metadata_size);
	h->holders = arg->flags & PRIMESHARE_EXPORT_REFCOUNTED ? 1 : 0;
	arg->handle = h->handle;
	return 0;
}

static int fake_import(struct primeshare_import *arg)
{
	struct fake_handle *h;
	int fd;

	fake.last_import = *arg;
	if ((arg->flags & ~PRIMESHARE_IMPORT_FLAGS) || arg->__pad)
		return fail(EINVAL);
	h = fake_find_live(arg->handle);
	if (!h)
		return fail(ENOENT);
	if ((arg->flags & PRIMESHARE_IMPORT_HOLD) &&
	    h->lifetime != PRIMESHARE_EXPORT_REFCOUNTED)
		return fail(EINVAL);
	arg->fd = -1;
	arg->size = h->size;
	if (arg->metadata && arg->metadata_size < h->metadata_size) {
		arg->metadata_size = h->metadata_size;
		return fail(ERANGE);
	}
	arg->metadata_size = h->metadata_size;
	fd = fcntl(h->fd, arg->flags & PRIMESHARE_IMPORT_CLOEXEC ?
		   F_DUPFD_CLOEXEC : F_DUPFD, 0);
	if (fd < 0)
		return -1;
	if (arg->metadata && h->metadata_size)
		memcpy((void *)(uintptr_t)arg->metadata, h->metadata,
		       h->metadata_size);
	arg->fd = fd;
	h->imports++;
	if (arg->flags & PRIMESHARE_IMPORT_HOLD)
		h->holders++;
	if (h->lifetime == PRIMESHARE_EXPORT_ONESHOT)
		h->dead = true;
	return 0;
}

static int fake_release(struct primeshare_release *arg)
{
	struct fake_handle *h;

	fake.last_release = *arg;
	if ((arg->flags & ~PRIMESHARE_RELEASE_FLAGS) || arg->__pad)
		return fail(EINVAL);
	h = fake_find_live(arg->handle);
	if (!h)
		return fail(ENOENT);
	if (arg->flags & PRIMESHARE_RELEASE_FORCE) {
		h->holders = 0;
		h->dead = true;
	} else if (h->lifetime == PRIMESHARE_EXPORT_REFCOUNTED) {
		if (!h->holders)
			return fail(EPERM);
		if (!--h->holders)
			h->dead = true;
	} else {
		h->dead = true;
	}
	return 0;
}

static int fake_query(struct primeshare_query *arg)
{
	struct fake_handle *h;

	if (arg->flags || arg->attributes)
		return fail(EINVAL);
	h = fake_find_live(arg->handle);
	if (!h)
		return fail(ENOENT);
	arg->attributes = h->km ? PRIMESHARE_EXPORT_KEYED_MUTEX : 0;
	arg->mode = h->mode;
	arg->size = h->size;
	arg->uid = 1234;
	arg->gid = 5678;
	arg->lifetime = h->lifetime;
	arg->metadata_size = h->metadata_size;
	arg->imports = h->imports;
	arg->holders = h->holders;
	arg->exporter_pid = 4321;
	arg->age_ns = 987654321;
	/* All 16 bytes used: no NUL for the library to rely on. */
	memcpy(arg->exporter_comm, "sixteen-chars-xy", 16);
	return 0;
}

static int fake_list(struct primeshare_list *arg)
{
	uint64_t *out = (uint64_t *)(uintptr_t)arg->handles;
	uint64_t i;
	uint32_t n = 0;

	fake.last_list = *arg;
	if (arg->flags || !arg->count || arg->count > PRIMESHARE_LIST_MAX)
		return fail(EINVAL);
	for (i = arg->cursor; i < fake.nhandles && n < arg->count; i++) {
		if (fake.handles[i].dead)
			continue;
		out[n++] = fake.handles[i].handle;
		arg->cursor = i + 1;
	}
	arg->count = n;
	return 0;
}

/* The live handle @handle with a keyed mutex, or NULL with errno set. */
static struct fake_handle *fake_km_find(uint64_t handle)
{
	struct fake_handle *h = fake_find_live(handle);

	errno = !h ? ENOENT : !h->km ? EINVAL : 0;
	return h && h->km ? h : NULL;
}

/* One session, no waiting: a mutex not free with the key times out. */
static int fake_km_acquire(struct primeshare_km_acquire *arg)
{
	struct fake_handle *h;

	fake.last_km_acquire = *arg;
	if (arg->flags & ~PRIMESHARE_KM_ACQUIRE_FLAGS)
		return fail(EINVAL);
	h = fake_km_find(arg->handle);
	if (!h)
		return -1;
	if (h->km_held || h->km_key != arg->key)
		return fail(ETIMEDOUT);
	arg->fence_fd = -1;
	if (h->km_fence >= 0) {
		arg->fence_fd = fcntl(h->km_fence, F_DUPFD_CLOEXEC, 0);
		if (arg->fence_fd < 0)
			return -1;
	}
	h->km_held = true;
	return 0;
}

/* Any descriptor stands for a sync_file (the tests use eventfds). */
static int fake_km_release(struct primeshare_km_release *arg)
{
	struct fake_handle *h;
	int fence = -1;

	fake.last_km_release = *arg;
	if (arg->flags)
		return fail(EINVAL);
	h = fake_km_find(arg->handle);
	if (!h)
		return -1;
	if (arg->fence_fd != -1) {
		fence = fcntl(arg->fence_fd, F_DUPFD_CLOEXEC, 0);
		if (fence < 0)
			return fail(EBADF);
	}
	if (!h->km_held) {
		if (fence >= 0)
			close(fence);
		return fail(EPERM);
	}
	if (h->km_fence >= 0)
		close(h->km_fence);
	h->km_fence = fence;
	h->km_key = arg->key;
	h->km_held = false;
	return 0;
}

static int fake_ps_ioctl(unsigned long request, void *arg)
{
	unsigned int nr = _IOC_NR(request);

	if (_IOC_TYPE(request) != PRIMESHARE_IOC_MAGIC)
		return fail(ENOTTY);
	if (nr < sizeof(fake.calls) / sizeof(fake.calls[0]))
		fake.calls[nr]++;
	if (fake.fail_errno && fake.fail_nr == (int)nr) {
		int err = fake.fail_errno;

		fake.fail_errno = 0;
		return fail(err);
	}
	switch (request) {
	case PRIMESHARE_IOCTL_INFO:
		return fake_info(arg);
	case PRIMESHARE_IOCTL_EXPORT:
		return fake_export(arg);
	case PRIMESHARE_IOCTL_IMPORT:
		return fake_import(arg);
	case PRIMESHARE_IOCTL_RELEASE:
		return fake_release(arg);
	case PRIMESHARE_IOCTL_QUERY:
		return fake_query(arg);
	case PRIMESHARE_IOCTL_LIST:
		return fake_list(arg);
	case PRIMESHARE_IOCTL_KM_ACQUIRE:
		return fake_km_acquire(arg);
	case PRIMESHARE_IOCTL_KM_RELEASE:
		return fake_km_release(arg);
	}
	return fail(ENOTTY);
}

static struct fake_gem *fake_gem_find(int fd, uint32_t gem_handle)
{
	unsigned int i;

	for (i = 0; i < FAKE_MAX_GEMS; i++)
		if (fake.gems[i].used && fake.gems[i].drm_fd == fd &&
		    fake.gems[i].gem_handle == gem_handle)
			return &fake.gems[i];
	return NULL;
}

uint32_t fake_drm_add(int fd, int dmabuf_fd)
{
	unsigned int i;

	for (i = 0; i < FAKE_MAX_GEMS; i++) {
		struct fake_gem *g = &fake.gems[i];

		if (g->used)
			continue;
		g->fd = fcntl(dmabuf_fd, F_DUPFD_CLOEXEC, 0);
		if (g->fd < 0)
			return 0;
		g->used = true;
		g->drm_fd = fd;
		g->gem_handle = fake.next_gem++;
		return g->gem_handle;
	}
	return 0;
}

unsigned int fake_drm_live(int fd)
{
	unsigned int i, n = 0;

	for (i = 0; i < FAKE_MAX_GEMS; i++)
		if (fake.gems[i].used && fake.gems[i].drm_fd == fd)
			n++;
	return n;
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int fake_drm_ioctl(int fd, unsigned long request, void *arg)
{
	struct drm_prime_handle *prime = arg;
	struct drm_gem_close *gc = arg;
	struct fake_gem *g;
	unsigned int i;

	switch (request) {
	case DRM_IOCTL_PRIME_FD_TO_HANDLE:
		if (fake.drm_fail_fd_to_handle)
			return fail(ENOMEM);
		/* One GEM handle per buffer and DRM file, as drivers do. */
		for (i = 0; i < FAKE_MAX_GEMS; i++) {
			g = &fake.gems[i];
			if (g->used && g->drm_fd == fd &&
			    same_file(g->fd, prime->fd)) {
				prime->handle = g->gem_handle;
				return 0;
			}
		}
		prime->handle = fake_drm_add(fd, prime->fd);
		return prime->handle ? 0 : fail(ENOMEM);
	case DRM_IOCTL_PRIME_HANDLE_TO_FD:
		fake.last_handle_to_fd_flags = prime->flags;
		g = fake_gem_find(fd, prime->handle);
		if (!g)
			return fail(ENOENT);
		prime->fd = fcntl(g->fd, prime->flags & DRM_CLOEXEC ?
				  F_DUPFD_CLOEXEC : F_DUPFD, 0);
		return prime->fd < 0 ? -1 : 0;
	case DRM_IOCTL_GEM_CLOSE:
		g = fake_gem_find(fd, gc->handle);
		if (!g)
			return fail(EINVAL);
		close(g->fd);
		memset(g, 0, sizeof(*g));
		fake.gem_closes++;
		return 0;
	}
	return fail(ENOTTY);
}

/*
 * Everyone's ioctl(): the fakes' fds are answered here, all others go to
 * the kernel.
 */
int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (device_fd >= 0 && fake_is(fd, &device_st)) {
		if (fake.eintr_once) {
			fake.eintr_once = false;
			return fail(EINTR);
		}
		return fake_ps_ioctl(request, arg);
	}
	if (drm_fd >= 0 && fake_is(fd, &drm_st)) {
		if (fake.eintr_once) {
			fake.eintr_once = false;
			return fail(EINTR);
		}
		return fake_drm_ioctl(fd, request, arg);
	}
	return (int)syscall(SYS_ioctl, fd, request, arg);
}
