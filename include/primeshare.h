/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * libprimeshare: global, access-checked handles for dma-bufs.
 *
 * A thin C library over /dev/primeshare (see primeshare(7) and
 * Documentation/uapi.rst), with helpers for DRM PRIME buffers and for
 * passing dma-buf file descriptors over Unix sockets.
 *
 * Error convention, for every function of this header that returns int:
 * 0 or a non-negative result on success, a negative errno value on failure.
 * errno is not used.  Functions returning pointers are accessors of objects
 * the caller already has and cannot fail.
 *
 * Thread safety: the library has no global state.  A context may be used
 * from several threads at once; an iterator or a description belongs to one
 * thread at a time.  Every file descriptor the library opens for itself is
 * close-on-exec.
 */
#ifndef PRIMESHARE_H
#define PRIMESHARE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Device opened by primeshare_open() unless PRIMESHARE_DEVICE is set. */
#define PRIMESHARE_DEFAULT_DEVICE "/dev/primeshare"

/** Length of the text form of a handle, without the terminating NUL. */
#define PRIMESHARE_HANDLE_TEXT_LEN 20

/** Buffer size for primeshare_handle_format(). */
#define PRIMESHARE_HANDLE_TEXT_SIZE (PRIMESHARE_HANDLE_TEXT_LEN + 1)

/*
 * Access mode of a handle (primeshare_export()): a class's read bit lets
 * that class import.  The values are the module's; a program that also
 * includes the uAPI header gets the same definitions.
 */
#define PRIMESHARE_MODE_OWNER		0400
#define PRIMESHARE_MODE_GROUP		0040
#define PRIMESHARE_MODE_OTHER		0004
#define PRIMESHARE_MODE_MASK		0444

/* Feature bits of primeshare_features(), as the module reports them. */
#define PRIMESHARE_FEATURE_EXPORT	(1ULL << 0)
#define PRIMESHARE_FEATURE_REFCOUNTED	(1ULL << 1)
#define PRIMESHARE_FEATURE_ONESHOT	(1ULL << 2)
#define PRIMESHARE_FEATURE_METADATA	(1ULL << 3)
#define PRIMESHARE_FEATURE_LIST		(1ULL << 4)
#define PRIMESHARE_FEATURE_FORCE_RELEASE	(1ULL << 5)
#define PRIMESHARE_FEATURE_LIMITS	(1ULL << 6)
#define PRIMESHARE_FEATURE_KEYED_MUTEX	(1ULL << 7)

/** A timeout of primeshare_keyed_mutex_acquire() that never expires. */
#define PRIMESHARE_TIMEOUT_INFINITE	UINT64_MAX

/** An open session of /dev/primeshare. */
struct primeshare;

/** A snapshot of one handle's description (primeshare_query()). */
struct primeshare_desc;

/** An enumeration of the handles the caller may import. */
struct primeshare_iter;

/** How long a handle lives; chosen at export. */
enum primeshare_lifetime {
	/** Until the exporting context releases it or is closed. */
	PRIMESHARE_LIFETIME_OWNED = 0,
	/** While any context holds it; the exporter starts with one hold. */
	PRIMESHARE_LIFETIME_REFCOUNTED = 1,
	/** Until the first successful import. */
	PRIMESHARE_LIFETIME_ONESHOT = 2,
};

/** Flags of primeshare_export2(). */
enum primeshare_export_flags {
	/** The handle carries a keyed mutex, free and with key 0. */
	PRIMESHARE_EXPORT_FLAG_KEYED_MUTEX = 1 << 0,
};

/** Flags of primeshare_import() and primeshare_drm_import(). */
enum primeshare_import_flags {
	/** The new file descriptor is close-on-exec. */
	PRIMESHARE_IMPORT_FLAG_CLOEXEC = 1 << 0,
	/** Add a hold on a refcounted handle. */
	PRIMESHARE_IMPORT_FLAG_HOLD = 1 << 1,
};

/** Limits reported by the module (primeshare_limit()). */
enum primeshare_limit_id {
	PRIMESHARE_LIMIT_METADATA_SIZE,
	PRIMESHARE_LIMIT_HANDLES_PER_SESSION,
	PRIMESHARE_LIMIT_HANDLES_PER_USER,
	PRIMESHARE_LIMIT_HANDLES,
};

/* Library version, as a string such as "0.1.0". */
const char *primeshare_library_version(void);

/* Contexts */
int primeshare_open(struct primeshare **ctx);
int primeshare_open_path(struct primeshare **ctx, const char *path);
void primeshare_close(struct primeshare *ctx);
int primeshare_fd(const struct primeshare *ctx);

/* What the module supports (read once, at open). */
int primeshare_uapi_version(const struct primeshare *ctx,
			    unsigned int *major, unsigned int *minor);
uint64_t primeshare_features(const struct primeshare *ctx);
int64_t primeshare_limit(const struct primeshare *ctx,
			 enum primeshare_limit_id id);

/* Handles */
int primeshare_export(struct primeshare *ctx, int dmabuf_fd,
		      enum primeshare_lifetime lifetime, unsigned int mode,
		      const void *metadata, size_t metadata_size,
		      uint64_t *handle);
int primeshare_export2(struct primeshare *ctx, int dmabuf_fd,
		       enum primeshare_lifetime lifetime, unsigned int mode,
		       unsigned int flags, const void *metadata,
		       size_t metadata_size, uint64_t *handle);
int primeshare_import(struct primeshare *ctx, uint64_t handle,
		      unsigned int flags, void *metadata,
		      size_t *metadata_size, uint64_t *size);
int primeshare_release(struct primeshare *ctx, uint64_t handle);
int primeshare_revoke(struct primeshare *ctx, uint64_t handle);

/* Keyed mutexes (handles exported with PRIMESHARE_EXPORT_FLAG_KEYED_MUTEX) */
int primeshare_keyed_mutex_acquire(struct primeshare *ctx, uint64_t handle,
				   uint64_t key, uint64_t timeout_ns,
				   int *fence_fd);
int primeshare_keyed_mutex_release(struct primeshare *ctx, uint64_t handle,
				   uint64_t key, int fence_fd);

/* Descriptions */
int primeshare_query(struct primeshare *ctx, uint64_t handle,
		     struct primeshare_desc **desc);
void primeshare_desc_free(struct primeshare_desc *desc);
uint64_t primeshare_desc_handle(const struct primeshare_desc *desc);
uint64_t primeshare_desc_size(const struct primeshare_desc *desc);
unsigned int primeshare_desc_mode(const struct primeshare_desc *desc);
uid_t primeshare_desc_uid(const struct primeshare_desc *desc);
gid_t primeshare_desc_gid(const struct primeshare_desc *desc);
enum primeshare_lifetime
primeshare_desc_lifetime(const struct primeshare_desc *desc);
size_t primeshare_desc_metadata_size(const struct primeshare_desc *desc);
unsigned int primeshare_desc_imports(const struct primeshare_desc *desc);
unsigned int primeshare_desc_holders(const struct primeshare_desc *desc);
pid_t primeshare_desc_exporter_pid(const struct primeshare_desc *desc);
const char *primeshare_desc_exporter_comm(const struct primeshare_desc *desc);
uint64_t primeshare_desc_age_ns(const struct primeshare_desc *desc);
int primeshare_desc_has_keyed_mutex(const struct primeshare_desc *desc);

/* Enumeration */
int primeshare_iter_new(struct primeshare *ctx, struct primeshare_iter **it);
int primeshare_iter_next(struct primeshare_iter *it, uint64_t *handle);
void primeshare_iter_free(struct primeshare_iter *it);

/* Text form: "psh-" and 16 hex digits (formatted lowercase, parsed in either case). */
int primeshare_handle_format(uint64_t handle, char *buf, size_t size);
int primeshare_handle_parse(const char *text, uint64_t *handle);

/* DRM PRIME helpers (libdrm) */
int primeshare_drm_open(const char *driver, int flags);
int primeshare_drm_export(struct primeshare *ctx, int drm_fd,
			  uint32_t gem_handle,
			  enum primeshare_lifetime lifetime, unsigned int mode,
			  const void *metadata, size_t metadata_size,
			  uint64_t *handle);
int primeshare_drm_import(struct primeshare *ctx, int drm_fd,
			  uint64_t handle, unsigned int flags,
			  uint32_t *gem_handle, uint64_t *size);
int primeshare_drm_close(struct primeshare *ctx, int drm_fd,
			 uint32_t gem_handle);

/* dma-buf file descriptors over Unix sockets (SCM_RIGHTS) */
int primeshare_send_fd(int sock, int fd, const void *data, size_t size);
int primeshare_recv_fd(int sock, void *data, size_t *size);
int primeshare_peer_cred(int sock, pid_t *pid, uid_t *uid, gid_t *gid);

#ifdef __cplusplus
}
#endif

#endif /* PRIMESHARE_H */
