/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * libprimeshare internals, shared by the files of lib/ and by nothing else.
 */
#ifndef PRIMESHARE_INTERNAL_H
#define PRIMESHARE_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "config.h"
#include "primeshare.h"
#include "uapi/primeshare.h"

/*
 * Marks the definitions of the public API.  The library is built with
 * -fvisibility=hidden, so everything else stays inside it; the version
 * script (libprimeshare.map) then gives each public symbol its version.
 */
#define PRIMESHARE_API __attribute__((visibility("default")))

/* One (DRM fd, GEM handle) pair imported by the DRM helpers. */
struct libps_gem_ref {
	int drm_fd;
	uint32_t gem_handle;
	unsigned long count;
};

struct primeshare {
	int fd;
	struct primeshare_info info;

	/* The DRM helpers' import counts, under gem_lock. */
	pthread_mutex_t gem_lock;
	struct libps_gem_ref *gem_refs;
	size_t gem_count;
	size_t gem_alloc;
};

/*
 * The library never changes errno: a function that may make a system call
 * starts with LIBPS_KEEP_ERRNO, which puts errno back when the function
 * returns, whatever path it takes.  The return value is computed before
 * the cleanup runs, so "return -errno;" still works.
 */
static inline void libps_restore_errno(const int *saved)
{
	errno = *saved;
}

#define LIBPS_KEEP_ERRNO \
	const int libps_saved_errno __attribute__((cleanup(libps_restore_errno))) = \
		errno

/* ioctl() as 0 or -errno, restarted when a signal interrupts it. */
static inline int libps_ioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

/* A pointer as the __u64 the uAPI carries. */
static inline uint64_t libps_ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* The uAPI lifetime flags of @lifetime, or -EINVAL. */
int libps_lifetime_to_flags(enum primeshare_lifetime lifetime);

/* The lifetime of uAPI lifetime flags. */
enum primeshare_lifetime libps_flags_to_lifetime(uint32_t flags);

/* The PRIMESHARE_IMPORT_* flags of library import flags, or -EINVAL. */
int libps_import_flags(unsigned int flags);

/*
 * The argument checks of primeshare_export(), shared with
 * primeshare_drm_export() so that it fails before touching the DRM device.
 * @fd is not checked.  0 or -errno.
 */
int libps_export_check(const struct primeshare *ctx,
		       enum primeshare_lifetime lifetime, unsigned int mode,
		       const void *metadata, size_t metadata_size,
		       const uint64_t *handle);

/* Frees the DRM helpers' table; closes no GEM handle. */
void libps_gem_table_free(struct primeshare *ctx);

#endif /* PRIMESHARE_INTERNAL_H */
