/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Keyed mutexes: PRIMESHARE_IOCTL_KM_ACQUIRE and KM_RELEASE, and for a
 * caller that wants no fence, the CPU wait for it.
 */
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static int64_t libps_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Wait until the sync_file @fd signals or @deadline (monotonic, INT64_MAX
 * for none) passes: 0, -ETIMEDOUT or -errno.
 */
static int libps_fence_wait(int fd, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int64_t left;
	int ret, ms;

	for (;;) {
		if (deadline == INT64_MAX) {
			ms = -1;
		} else {
			left = deadline - libps_now_ns();
			if (left < 0)
				left = 0;
			/* Rounded up: poll() must not wake before the deadline. */
			left = (left + 999999) / 1000000;
			ms = left > 60000 ? 60000 : (int)left;
		}
		ret = poll(&p, 1, ms);
		if (ret > 0)
			return p.revents & POLLIN ? 0 : -EIO;
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret == 0 && deadline != INT64_MAX &&
		    libps_now_ns() >= deadline)
			return -ETIMEDOUT;
	}
}

static int libps_km_release(struct primeshare *ctx, uint64_t handle,
			    uint64_t key, int fence_fd)
{
	struct primeshare_km_release arg;

	memset(&arg, 0, sizeof(arg));
	arg.handle = handle;
	arg.key = key;
	arg.fence_fd = fence_fd;
	return libps_ioctl(ctx->fd, PRIMESHARE_IOCTL_KM_RELEASE, &arg);
}

PRIMESHARE_API int primeshare_keyed_mutex_acquire(struct primeshare *ctx,
						  uint64_t handle,
						  uint64_t key,
						  uint64_t timeout_ns,
						  int *fence_fd)
{
	LIBPS_KEEP_ERRNO;
	struct primeshare_km_acquire arg;
	int64_t deadline = INT64_MAX;
	int ret;

	if (!ctx)
		return -EINVAL;
	if (!(ctx->info.features & PRIMESHARE_FEATURE_KEYED_MUTEX))
		return -EOPNOTSUPP;
	if (timeout_ns != PRIMESHARE_TIMEOUT_INFINITE &&
	    timeout_ns < (uint64_t)(INT64_MAX - libps_now_ns()))
		deadline = libps_now_ns() + (int64_t)timeout_ns;

	memset(&arg, 0, sizeof(arg));
	arg.handle = handle;
	arg.key = key;
	arg.timeout_ns = timeout_ns == PRIMESHARE_TIMEOUT_INFINITE ?
			 PRIMESHARE_KM_INFINITE : timeout_ns;
	arg.flags = PRIMESHARE_KM_ACQUIRE_CLOEXEC;
	/* Restarted after a signal with the time the module says is left. */
	ret = libps_ioctl(ctx->fd, PRIMESHARE_IOCTL_KM_ACQUIRE, &arg);
	if (ret)
		return ret;
	if (fence_fd) {
		*fence_fd = arg.fence_fd;
		return 0;
	}
	if (arg.fence_fd < 0)
		return 0;

	/*
	 * The caller wants the buffer idle: wait for the last release's
	 * fence here.  Should it not signal in time, the mutex goes back
	 * as it was, same key and same fence, and the acquire times out.
	 */
	ret = libps_fence_wait(arg.fence_fd, deadline);
	if (ret && libps_km_release(ctx, handle, key, arg.fence_fd))
		ret = -EIO;
	close(arg.fence_fd);
	return ret;
}

PRIMESHARE_API int primeshare_keyed_mutex_release(struct primeshare *ctx,
						  uint64_t handle,
						  uint64_t key, int fence_fd)
{
	LIBPS_KEEP_ERRNO;

	if (!ctx)
		return -EINVAL;
	if (!(ctx->info.features & PRIMESHARE_FEATURE_KEYED_MUTEX))
		return -EOPNOTSUPP;
	if (fence_fd < -1)
		return -EBADF;
	return libps_km_release(ctx, handle, key, fence_fd);
}
