/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * DRM PRIME helpers: open a DRM device by driver name, export a GEM buffer
 * as a handle, import a handle as a GEM buffer.
 *
 * A DRM fd gives the same GEM handle for every import of one dma-buf, and
 * one GEM_CLOSE ends that GEM handle for all of them.  So the context
 * counts, per (DRM fd, GEM handle), the imports made through
 * primeshare_drm_import(), and primeshare_drm_close() closes the GEM handle
 * only with the last one.  The count and the GEM ioctls that depend on it
 * run under gem_lock, so a close cannot end a GEM handle that a concurrent
 * import has just been given again.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "internal.h"

/* Flags the caller may add to primeshare_drm_open()'s open(). */
#define LIBPS_DRM_OPEN_FLAGS (O_CLOEXEC | O_NONBLOCK | O_NOCTTY)

/* The driver name of an open DRM node, compared with @driver. */
static int libps_drm_is_driver(int fd, const char *driver)
{
	drmVersionPtr v = drmGetVersion(fd);
	int match;

	if (!v)
		return 0;
	match = v->name && strcmp(v->name, driver) == 0;
	drmFreeVersion(v);
	return match;
}

/*
 * Try the render node, then the primary node of one device.  Returns an
 * fd when the device is @driver's, -ENODEV when it is another driver's,
 * or the open() error when no node could be opened.
 */
static int libps_drm_try_device(drmDevicePtr dev, const char *driver, int flags)
{
	static const int order[] = { DRM_NODE_RENDER, DRM_NODE_PRIMARY };
	int ret = -ENODEV;
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int fd;

		if (!(dev->available_nodes & (1 << order[i])))
			continue;
		do {
			fd = open(dev->nodes[order[i]],
				  O_RDWR | O_CLOEXEC | flags);
		} while (fd < 0 && errno == EINTR);
		if (fd < 0) {
			ret = -errno;
			continue;
		}
		if (libps_drm_is_driver(fd, driver))
			return fd;
		/* Both nodes of a device have the same driver. */
		close(fd);
		return -ENODEV;
	}
	return ret;
}

PRIMESHARE_API int primeshare_drm_open(const char *driver, int flags)
{
	LIBPS_KEEP_ERRNO;
	drmDevicePtr *devs;
	int n, i, ret, err = 0;

	if (!driver || (flags & ~LIBPS_DRM_OPEN_FLAGS))
		return -EINVAL;

	n = drmGetDevices2(0, NULL, 0);
	if (n == -ENOENT || n == -ENODEV || n == 0)
		return -ENODEV;	/* no /dev/dri, or nothing in it */
	if (n < 0)
		return n;

	devs = calloc((size_t)n, sizeof(*devs));
	if (!devs)
		return -ENOMEM;
	n = drmGetDevices2(0, devs, n);
	if (n < 0) {
		free(devs);
		return n == -ENOENT ? -ENODEV : n;
	}

	ret = -ENODEV;
	for (i = 0; i < n; i++) {
		int fd = libps_drm_try_device(devs[i], driver, flags);

		if (fd >= 0) {
			ret = fd;
			break;
		}
		if (fd != -ENODEV && !err)
			err = fd;
	}
	drmFreeDevices(devs, n);
	free(devs);
	/*
	 * A node that could not be opened may have been the driver's: say
	 * why rather than that there is no such device.
	 */
	if (ret == -ENODEV && err)
		ret = err;
	return ret;
}

PRIMESHARE_API int primeshare_drm_export(struct primeshare *ctx, int drm_fd,
					 uint32_t gem_handle,
					 enum primeshare_lifetime lifetime,
					 unsigned int mode,
					 const void *metadata,
					 size_t metadata_size, uint64_t *handle)
{
	LIBPS_KEEP_ERRNO;
	int ret, dmabuf_fd;

	ret = libps_export_check(ctx, lifetime, mode, metadata, metadata_size,
				 handle);
	if (ret)
		return ret;
	if (drm_fd < 0)
		return -EBADF;

	if (drmPrimeHandleToFD(drm_fd, gem_handle, DRM_CLOEXEC | DRM_RDWR,
			       &dmabuf_fd))
		return -errno;
	ret = primeshare_export(ctx, dmabuf_fd, lifetime, mode, metadata,
				metadata_size, handle);
	close(dmabuf_fd);
	return ret;
}

/* The entry of (drm_fd, gem_handle), or NULL.  Under gem_lock. */
static struct libps_gem_ref *libps_gem_find(struct primeshare *ctx, int drm_fd,
					    uint32_t gem_handle)
{
	size_t i;

	for (i = 0; i < ctx->gem_count; i++)
		if (ctx->gem_refs[i].drm_fd == drm_fd &&
		    ctx->gem_refs[i].gem_handle == gem_handle)
			return &ctx->gem_refs[i];
	return NULL;
}

/* Room for one more entry; 0 or -ENOMEM.  Under gem_lock. */
static int libps_gem_reserve(struct primeshare *ctx)
{
	struct libps_gem_ref *refs;
	size_t alloc;

	if (ctx->gem_count < ctx->gem_alloc)
		return 0;
	alloc = ctx->gem_alloc ? 2 * ctx->gem_alloc : 16;
	refs = reallocarray(ctx->gem_refs, alloc, sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	ctx->gem_refs = refs;
	ctx->gem_alloc = alloc;
	return 0;
}

static int libps_gem_close(int drm_fd, uint32_t gem_handle)
{
#ifdef HAVE_DRMCLOSEBUFFERHANDLE
	if (drmCloseBufferHandle(drm_fd, gem_handle))
		return -errno;
#else
	struct drm_gem_close arg;

	memset(&arg, 0, sizeof(arg));
	arg.handle = gem_handle;
	if (drmIoctl(drm_fd, DRM_IOCTL_GEM_CLOSE, &arg))
		return -errno;
#endif
	return 0;
}

PRIMESHARE_API int primeshare_drm_import(struct primeshare *ctx, int drm_fd,
					 uint64_t handle, unsigned int flags,
					 uint32_t *gem_handle, uint64_t *size)
{
	LIBPS_KEEP_ERRNO;
	struct libps_gem_ref *ref;
	uint64_t bytes;
	uint32_t gem;
	int ret, dmabuf_fd;

	if (!ctx || !gem_handle)
		return -EINVAL;
	ret = libps_import_flags(flags);
	if (ret < 0)
		return ret;
	if (drm_fd < 0)
		return -EBADF;

	dmabuf_fd = primeshare_import(ctx, handle,
				      flags | PRIMESHARE_IMPORT_FLAG_CLOEXEC,
				      NULL, NULL, &bytes);
	if (dmabuf_fd < 0)
		return dmabuf_fd;

	pthread_mutex_lock(&ctx->gem_lock);
	ret = libps_gem_reserve(ctx);
	if (!ret && drmPrimeFDToHandle(drm_fd, dmabuf_fd, &gem))
		ret = -errno;
	if (!ret) {
		ref = libps_gem_find(ctx, drm_fd, gem);
		if (!ref) {
			ref = &ctx->gem_refs[ctx->gem_count++];
			ref->drm_fd = drm_fd;
			ref->gem_handle = gem;
			ref->count = 0;
		}
		ref->count++;
	}
	pthread_mutex_unlock(&ctx->gem_lock);
	close(dmabuf_fd);

	if (ret) {
		/* Give back the hold this call took; a oneshot stays used. */
		if (flags & PRIMESHARE_IMPORT_FLAG_HOLD)
			primeshare_release(ctx, handle);
		return ret;
	}
	*gem_handle = gem;
	if (size)
		*size = bytes;
	return 0;
}

PRIMESHARE_API int primeshare_drm_close(struct primeshare *ctx, int drm_fd,
					uint32_t gem_handle)
{
	LIBPS_KEEP_ERRNO;
	struct libps_gem_ref *ref;
	int ret = 0;

	if (!ctx)
		return -EINVAL;
	if (drm_fd < 0)
		return -EBADF;

	pthread_mutex_lock(&ctx->gem_lock);
	ref = libps_gem_find(ctx, drm_fd, gem_handle);
	if (!ref) {
		ret = -ENOENT;
	} else if (--ref->count == 0) {
		/*
		 * The entry goes even when the close fails: there is no
		 * GEM handle left that a retry could close.
		 */
		ret = libps_gem_close(drm_fd, gem_handle);
		*ref = ctx->gem_refs[--ctx->gem_count];
	}
	pthread_mutex_unlock(&ctx->gem_lock);
	return ret;
}

void libps_gem_table_free(struct primeshare *ctx)
{
	free(ctx->gem_refs);
	ctx->gem_refs = NULL;
	ctx->gem_count = 0;
	ctx->gem_alloc = 0;
}
