/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * A stand-in for primeshare.ko and for a DRM driver, so the host tests can
 * drive libprimeshare without either.  The test program defines ioctl():
 * the library's calls (and libdrm's) reach it before the C library's, and
 * it answers for two memfds, the fake device and the fake DRM node, and
 * passes every other fd to the real system call.
 *
 * The fake module keeps handles in an array: a handle's LIST cursor is its
 * index + 1.  Its dma-bufs are memfds: an import returns a dup() of the
 * exported fd, so both sides share one open file, as with a real dma-buf.
 */
#ifndef TESTS_LIB_FAKE_PS_H
#define TESTS_LIB_FAKE_PS_H

#include <stdbool.h>
#include <stdint.h>

#include "uapi/primeshare.h"

#define FAKE_MAX_HANDLES	1024
#define FAKE_MAX_GEMS		64

struct fake_handle {
	uint64_t handle;
	int fd;			/* the dma-buf, our own dup */
	uint32_t lifetime;
	uint32_t mode;
	uint64_t size;
	unsigned char metadata[4096];
	uint32_t metadata_size;
	unsigned int imports;
	unsigned int holders;
	bool dead;
	/* The keyed mutex: held or free, its key, its fence (our dup or -1). */
	bool km;
	bool km_held;
	uint64_t km_key;
	int km_fence;
};

struct fake_gem {
	int drm_fd;
	uint32_t gem_handle;
	int fd;			/* the buffer as a dma-buf, our own dup */
	bool used;
};

struct fake_state {
	/* What PRIMESHARE_IOCTL_INFO answers. */
	struct primeshare_info info;

	/* The next ioctl of this _IOC_NR fails with fail_errno (0: none). */
	int fail_nr;
	int fail_errno;
	/* The next fake ioctl, whatever it is, fails once with EINTR. */
	bool eintr_once;

	/* Calls and the last arguments seen, for the tests to check. */
	unsigned int calls[16];
	struct primeshare_export last_export;
	struct primeshare_import last_import;
	struct primeshare_release last_release;
	struct primeshare_list last_list;
	struct primeshare_km_acquire last_km_acquire;
	struct primeshare_km_release last_km_release;

	struct fake_handle handles[FAKE_MAX_HANDLES];
	unsigned int nhandles;

	/* The fake DRM driver. */
	bool drm_fail_fd_to_handle;
	uint32_t last_handle_to_fd_flags;
	unsigned int gem_closes;
	uint32_t next_gem;
	struct fake_gem gems[FAKE_MAX_GEMS];
};

extern struct fake_state fake;

/* Path of the fake /dev/primeshare and of the fake DRM node. */
extern char fake_device_path[64];
extern char fake_drm_path[64];

/* Make both memfds and reset the state; 0 or -1. */
int fake_setup(void);
/* Close every fd the fakes hold. */
void fake_teardown(void);
/* Forget every handle and GEM buffer and count from zero again. */
void fake_reset(void);

/*
 * Give @dmabuf_fd a GEM handle in the DRM file @drm_fd, as a driver's
 * buffer creation would; 0 on failure.
 */
uint32_t fake_drm_add(int drm_fd, int dmabuf_fd);
/* The GEM buffers still open in @drm_fd. */
unsigned int fake_drm_live(int drm_fd);

/* The fds the fakes keep open for their handles and GEM buffers. */
int fake_held_fds(void);

/* The fake handle of @handle, or NULL. */
struct fake_handle *fake_find(uint64_t handle);

/* A memfd of @size bytes filled with a pattern from @seed, or -1. */
int fake_dmabuf(size_t size, unsigned int seed);

#endif /* TESTS_LIB_FAKE_PS_H */
