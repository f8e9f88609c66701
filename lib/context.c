/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Contexts: one open session of /dev/primeshare, with what the module said
 * about itself when the session started.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

PRIMESHARE_API const char *primeshare_library_version(void)
{
	return PACKAGE_VERSION;
}

/* Ask the module who it is; 0 or -errno. */
static int libps_read_info(int fd, struct primeshare_info *info)
{
	int ret;

	memset(info, 0, sizeof(*info));
	ret = libps_ioctl(fd, PRIMESHARE_IOCTL_INFO, info);
	if (ret)
		return ret;
	if (info->version_major != PRIMESHARE_UAPI_VERSION_MAJOR)
		return -EPROTONOSUPPORT;
	return 0;
}

PRIMESHARE_API int primeshare_open_path(struct primeshare **ctx,
					const char *path)
{
	LIBPS_KEEP_ERRNO;
	struct primeshare *c;
	int ret;

	if (!ctx)
		return -EINVAL;
	*ctx = NULL;
	if (!path)
		return -EINVAL;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	ret = pthread_mutex_init(&c->gem_lock, NULL);
	if (ret) {
		free(c);
		return -ret;
	}

	do {
		c->fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	} while (c->fd < 0 && errno == EINTR);
	if (c->fd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = libps_read_info(c->fd, &c->info);
	if (ret)
		goto fail_close;

	*ctx = c;
	return 0;

fail_close:
	close(c->fd);
fail:
	pthread_mutex_destroy(&c->gem_lock);
	free(c);
	return ret;
}

PRIMESHARE_API int primeshare_open(struct primeshare **ctx)
{
	LIBPS_KEEP_ERRNO;
	const char *path = secure_getenv("PRIMESHARE_DEVICE");

	if (!path || !*path)
		path = PRIMESHARE_DEFAULT_DEVICE;
	return primeshare_open_path(ctx, path);
}

PRIMESHARE_API void primeshare_close(struct primeshare *ctx)
{
	LIBPS_KEEP_ERRNO;

	if (!ctx)
		return;
	/* The DRM fds are the caller's: their GEM handles stay open. */
	libps_gem_table_free(ctx);
	pthread_mutex_destroy(&ctx->gem_lock);
	close(ctx->fd);
	free(ctx);
}

PRIMESHARE_API int primeshare_fd(const struct primeshare *ctx)
{
	if (!ctx)
		return -EINVAL;
	return ctx->fd;
}

PRIMESHARE_API int primeshare_uapi_version(const struct primeshare *ctx,
					   unsigned int *major,
					   unsigned int *minor)
{
	if (!ctx)
		return -EINVAL;
	if (major)
		*major = ctx->info.version_major;
	if (minor)
		*minor = ctx->info.version_minor;
	return 0;
}

PRIMESHARE_API uint64_t primeshare_features(const struct primeshare *ctx)
{
	return ctx ? ctx->info.features : 0;
}

PRIMESHARE_API int64_t primeshare_limit(const struct primeshare *ctx,
					enum primeshare_limit_id id)
{
	if (!ctx)
		return -EINVAL;
	switch (id) {
	case PRIMESHARE_LIMIT_METADATA_SIZE:
		return ctx->info.max_metadata_size;
	case PRIMESHARE_LIMIT_HANDLES_PER_SESSION:
		return ctx->info.max_handles_per_session;
	case PRIMESHARE_LIMIT_HANDLES_PER_USER:
		return ctx->info.max_handles_per_user;
	case PRIMESHARE_LIMIT_HANDLES:
		return ctx->info.max_handles;
	}
	return -EINVAL;
}
