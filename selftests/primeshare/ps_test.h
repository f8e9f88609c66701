/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the primeshare selftests.
 */
#ifndef PS_TEST_H
#define PS_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/drm_mode.h>

#include "uapi/primeshare.h"

#define PS_DEVICE "/dev/primeshare"

/* An ioctl number of primeshare's type with a chosen size and direction. */
#define PS_IOC(dir, nr, size) _IOC(dir, PRIMESHARE_IOC_MAGIC, nr, size)

/* ioctl() returning -errno, so a test can compare against one value. */
static inline int ps_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

/* Open the first DRM card node whose driver is @name; -1 when none. */
static inline int ps_open_drm(const char *name)
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
static inline int ps_vgem_dmabuf(int drm, uint64_t size)
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

/* Number of open file descriptors of this process. */
static inline int ps_count_fds(void)
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

#endif /* PS_TEST_H */
