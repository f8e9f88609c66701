/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Handles: export a dma-buf, import a handle, end a handle.
 */
#include <string.h>

#include "internal.h"

int libps_lifetime_to_flags(enum primeshare_lifetime lifetime)
{
	switch (lifetime) {
	case PRIMESHARE_LIFETIME_OWNED:
		return 0;
	case PRIMESHARE_LIFETIME_REFCOUNTED:
		return PRIMESHARE_EXPORT_REFCOUNTED;
	case PRIMESHARE_LIFETIME_ONESHOT:
		return PRIMESHARE_EXPORT_ONESHOT;
	}
	return -EINVAL;
}

enum primeshare_lifetime libps_flags_to_lifetime(uint32_t flags)
{
	if (flags & PRIMESHARE_EXPORT_REFCOUNTED)
		return PRIMESHARE_LIFETIME_REFCOUNTED;
	if (flags & PRIMESHARE_EXPORT_ONESHOT)
		return PRIMESHARE_LIFETIME_ONESHOT;
	return PRIMESHARE_LIFETIME_OWNED;
}

int libps_import_flags(unsigned int flags)
{
	const unsigned int known = PRIMESHARE_IMPORT_FLAG_CLOEXEC |
				   PRIMESHARE_IMPORT_FLAG_HOLD;
	int uflags = 0;

	if (flags & ~known)
		return -EINVAL;
	if (flags & PRIMESHARE_IMPORT_FLAG_CLOEXEC)
		uflags |= PRIMESHARE_IMPORT_CLOEXEC;
	if (flags & PRIMESHARE_IMPORT_FLAG_HOLD)
		uflags |= PRIMESHARE_IMPORT_HOLD;
	return uflags;
}

int libps_export_check(const struct primeshare *ctx,
		       enum primeshare_lifetime lifetime, unsigned int mode,
		       const void *metadata, size_t metadata_size,
		       const uint64_t *handle)
{
	int flags;

	if (!ctx || !handle)
		return -EINVAL;
	flags = libps_lifetime_to_flags(lifetime);
	if (flags < 0)
		return flags;
	if (mode & ~(unsigned int)PRIMESHARE_MODE_MASK)
		return -EINVAL;
	if (metadata_size && !metadata)
		return -EINVAL;
	if (metadata_size > UINT32_MAX)
		return -E2BIG;

	/* What this module cannot do fails here, not with its EINVAL. */
	if ((flags & PRIMESHARE_EXPORT_REFCOUNTED) &&
	    !(ctx->info.features & PRIMESHARE_FEATURE_REFCOUNTED))
		return -EOPNOTSUPP;
	if ((flags & PRIMESHARE_EXPORT_ONESHOT) &&
	    !(ctx->info.features & PRIMESHARE_FEATURE_ONESHOT))
		return -EOPNOTSUPP;
	if (metadata_size &&
	    !(ctx->info.features & PRIMESHARE_FEATURE_METADATA))
		return -EOPNOTSUPP;
	return 0;
}

PRIMESHARE_API int primeshare_export2(struct primeshare *ctx, int dmabuf_fd,
				      enum primeshare_lifetime lifetime,
				      unsigned int mode, unsigned int flags,
				      const void *metadata,
				      size_t metadata_size, uint64_t *handle)
{
	LIBPS_KEEP_ERRNO;
	struct primeshare_export arg;
	int ret;

	ret = libps_export_check(ctx, lifetime, mode, metadata, metadata_size,
				 handle);
	if (ret)
		return ret;
	if (flags & ~(unsigned int)PRIMESHARE_EXPORT_FLAG_KEYED_MUTEX)
		return -EINVAL;
	if ((flags & PRIMESHARE_EXPORT_FLAG_KEYED_MUTEX) &&
	    !(ctx->info.features & PRIMESHARE_FEATURE_KEYED_MUTEX))
		return -EOPNOTSUPP;
	if (dmabuf_fd < 0)
		return -EBADF;

	memset(&arg, 0, sizeof(arg));
	arg.fd = dmabuf_fd;
	arg.flags = (uint32_t)libps_lifetime_to_flags(lifetime);
	if (flags & PRIMESHARE_EXPORT_FLAG_KEYED_MUTEX)
		arg.flags |= PRIMESHARE_EXPORT_KEYED_MUTEX;
	arg.mode = mode;
	arg.metadata_size = (uint32_t)metadata_size;
	arg.metadata = metadata_size ? libps_ptr(metadata) : 0;
	ret = libps_ioctl(ctx->fd, PRIMESHARE_IOCTL_EXPORT, &arg);
	if (ret)
		return ret;
	*handle = arg.handle;
	return 0;
}

PRIMESHARE_API int primeshare_export(struct primeshare *ctx, int dmabuf_fd,
				     enum primeshare_lifetime lifetime,
				     unsigned int mode, const void *metadata,
				     size_t metadata_size, uint64_t *handle)
{
	return primeshare_export2(ctx, dmabuf_fd, lifetime, mode, 0, metadata,
				  metadata_size, handle);
}

PRIMESHARE_API int primeshare_import(struct primeshare *ctx, uint64_t handle,
				     unsigned int flags, void *metadata,
				     size_t *metadata_size, uint64_t *size)
{
	LIBPS_KEEP_ERRNO;
	struct primeshare_import arg;
	unsigned char scratch;
	int uflags, ret;

	if (!ctx)
		return -EINVAL;
	uflags = libps_import_flags(flags);
	if (uflags < 0)
		return uflags;
	if (!metadata_size && metadata)
		return -EINVAL;
	if (metadata_size && *metadata_size && !metadata)
		return -EINVAL;

	memset(&arg, 0, sizeof(arg));
	arg.handle = handle;
	arg.flags = (uint32_t)uflags;
	if (metadata_size) {
		/*
		 * The module only checks the capacity when it has a buffer
		 * address; a capacity of 0 still asks for the metadata, so
		 * it gets an address it will never write to.
		 */
		arg.metadata = libps_ptr(*metadata_size ? metadata : &scratch);
		arg.metadata_size = *metadata_size > UINT32_MAX ?
				    UINT32_MAX : (uint32_t)*metadata_size;
	}

	ret = libps_ioctl(ctx->fd, PRIMESHARE_IOCTL_IMPORT, &arg);
	if (ret) {
		if (ret == -ERANGE && metadata_size)
			*metadata_size = arg.metadata_size;
		return ret;
	}
	if (metadata_size)
		*metadata_size = arg.metadata_size;
	if (size)
		*size = arg.size;
	return arg.fd;
}

static int libps_release(struct primeshare *ctx, uint64_t handle, uint32_t flags)
{
	struct primeshare_release arg;

	if (!ctx)
		return -EINVAL;
	if ((flags & PRIMESHARE_RELEASE_FORCE) &&
	    !(ctx->info.features & PRIMESHARE_FEATURE_FORCE_RELEASE))
		return -EOPNOTSUPP;

	memset(&arg, 0, sizeof(arg));
	arg.handle = handle;
	arg.flags = flags;
	return libps_ioctl(ctx->fd, PRIMESHARE_IOCTL_RELEASE, &arg);
}

PRIMESHARE_API int primeshare_release(struct primeshare *ctx, uint64_t handle)
{
	LIBPS_KEEP_ERRNO;

	return libps_release(ctx, handle, 0);
}

PRIMESHARE_API int primeshare_revoke(struct primeshare *ctx, uint64_t handle)
{
	LIBPS_KEEP_ERRNO;

	return libps_release(ctx, handle, PRIMESHARE_RELEASE_FORCE);
}
