/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Enumeration: PRIMESHARE_IOCTL_LIST a batch at a time, handed out one
 * handle at a time.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Handles fetched per PRIMESHARE_IOCTL_LIST. */
#define LIBPS_ITER_BATCH 256

_Static_assert(LIBPS_ITER_BATCH <= PRIMESHARE_LIST_MAX,
	       "a batch must fit one PRIMESHARE_IOCTL_LIST");

struct primeshare_iter {
	struct primeshare *ctx;
	uint64_t cursor;	/* where the next LIST continues */
	unsigned int pos;	/* next unread entry of batch[] */
	unsigned int count;	/* entries in batch[] */
	bool done;		/* the module said the enumeration is over */
	uint64_t batch[LIBPS_ITER_BATCH];
};

PRIMESHARE_API int primeshare_iter_new(struct primeshare *ctx,
				       struct primeshare_iter **it)
{
	LIBPS_KEEP_ERRNO;
	struct primeshare_iter *i;

	if (!it)
		return -EINVAL;
	*it = NULL;
	if (!ctx)
		return -EINVAL;
	if (!(ctx->info.features & PRIMESHARE_FEATURE_LIST))
		return -EOPNOTSUPP;

	i = calloc(1, sizeof(*i));
	if (!i)
		return -ENOMEM;
	i->ctx = ctx;
	*it = i;
	return 0;
}

/* Fetch the next batch; 0 or -errno.  On failure nothing changes. */
static int libps_iter_fill(struct primeshare_iter *it)
{
	struct primeshare_list arg;
	int ret;

	memset(&arg, 0, sizeof(arg));
	arg.cursor = it->cursor;
	arg.handles = libps_ptr(it->batch);
	arg.count = LIBPS_ITER_BATCH;
	ret = libps_ioctl(it->ctx->fd, PRIMESHARE_IOCTL_LIST, &arg);
	if (ret)
		return ret;
	if (arg.count > LIBPS_ITER_BATCH)
		return -EPROTO;

	it->cursor = arg.cursor;
	it->pos = 0;
	it->count = arg.count;
	if (!arg.count)
		it->done = true;
	return 0;
}

PRIMESHARE_API int primeshare_iter_next(struct primeshare_iter *it,
					uint64_t *handle)
{
	LIBPS_KEEP_ERRNO;
	int ret;

	if (!it || !handle)
		return -EINVAL;

	if (it->pos == it->count) {
		if (it->done)
			return 0;
		ret = libps_iter_fill(it);
		if (ret)
			return ret;
		if (it->done)
			return 0;
	}
	*handle = it->batch[it->pos++];
	return 1;
}

PRIMESHARE_API void primeshare_iter_free(struct primeshare_iter *it)
{
	LIBPS_KEEP_ERRNO;

	free(it);
}
