/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Descriptions: a snapshot of what PRIMESHARE_IOCTL_QUERY said about one
 * handle, read through accessors so the structure can grow.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct primeshare_desc {
	struct primeshare_query q;
	/* exporter_comm, NUL-terminated whatever the module sent. */
	char comm[sizeof(((struct primeshare_query *)0)->exporter_comm) + 1];
};

PRIMESHARE_API int primeshare_query(struct primeshare *ctx, uint64_t handle,
				    struct primeshare_desc **desc)
{
	LIBPS_KEEP_ERRNO;
	struct primeshare_desc *d;
	int ret;

	if (!desc)
		return -EINVAL;
	*desc = NULL;
	if (!ctx)
		return -EINVAL;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->q.handle = handle;
	ret = libps_ioctl(ctx->fd, PRIMESHARE_IOCTL_QUERY, &d->q);
	if (ret) {
		free(d);
		return ret;
	}
	memcpy(d->comm, d->q.exporter_comm, sizeof(d->q.exporter_comm));
	d->comm[sizeof(d->comm) - 1] = '\0';
	*desc = d;
	return 0;
}

PRIMESHARE_API void primeshare_desc_free(struct primeshare_desc *desc)
{
	LIBPS_KEEP_ERRNO;

	free(desc);
}

/*
 * Accessors cannot fail: a NULL description reads as zeros, an empty name
 * and, for the owner, the ids (uid_t)-1 and (gid_t)-1, which no one has.
 */

PRIMESHARE_API uint64_t
primeshare_desc_handle(const struct primeshare_desc *desc)
{
	return desc ? desc->q.handle : 0;
}

PRIMESHARE_API uint64_t
primeshare_desc_size(const struct primeshare_desc *desc)
{
	return desc ? desc->q.size : 0;
}

PRIMESHARE_API unsigned int
primeshare_desc_mode(const struct primeshare_desc *desc)
{
	return desc ? desc->q.mode : 0;
}

PRIMESHARE_API uid_t primeshare_desc_uid(const struct primeshare_desc *desc)
{
	return desc ? (uid_t)desc->q.uid : (uid_t)-1;
}

PRIMESHARE_API gid_t primeshare_desc_gid(const struct primeshare_desc *desc)
{
	return desc ? (gid_t)desc->q.gid : (gid_t)-1;
}

PRIMESHARE_API enum primeshare_lifetime
primeshare_desc_lifetime(const struct primeshare_desc *desc)
{
	return desc ? libps_flags_to_lifetime(desc->q.lifetime) :
		      PRIMESHARE_LIFETIME_OWNED;
}

PRIMESHARE_API size_t
primeshare_desc_metadata_size(const struct primeshare_desc *desc)
{
	return desc ? desc->q.metadata_size : 0;
}

PRIMESHARE_API unsigned int
primeshare_desc_imports(const struct primeshare_desc *desc)
{
	return desc ? desc->q.imports : 0;
}

PRIMESHARE_API unsigned int
primeshare_desc_holders(const struct primeshare_desc *desc)
{
	return desc ? desc->q.holders : 0;
}

PRIMESHARE_API pid_t
primeshare_desc_exporter_pid(const struct primeshare_desc *desc)
{
	return desc ? (pid_t)desc->q.exporter_pid : 0;
}

PRIMESHARE_API const char *
primeshare_desc_exporter_comm(const struct primeshare_desc *desc)
{
	return desc ? desc->comm : "";
}

PRIMESHARE_API uint64_t
primeshare_desc_age_ns(const struct primeshare_desc *desc)
{
	return desc ? desc->q.age_ns : 0;
}

PRIMESHARE_API int
primeshare_desc_has_keyed_mutex(const struct primeshare_desc *desc)
{
	return desc && (desc->q.attributes & PRIMESHARE_EXPORT_KEYED_MUTEX);
}
