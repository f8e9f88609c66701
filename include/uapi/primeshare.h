/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * primeshare: global, access-checked handles for dma-bufs.
 *
 * Every open() of /dev/primeshare is a session.  A session turns a dma-buf
 * file descriptor into a handle, a 64-bit number that another process of
 * the same IPC namespace may turn back into a dma-buf file descriptor if
 * the handle's access mode lets it.  See Documentation/uapi.rst.
 *
 * Conventions shared by every ioctl:
 *
 * - All structures are made of fixed-size types, have explicit padding and
 *   are multiples of 8 bytes, so 32-bit callers on a 64-bit kernel use the
 *   same layout.  User pointers travel as __u64.
 * - Unknown flag bits and nonzero padding fields fail with EINVAL.
 * - Structures may grow at their end in later versions.  The size encoded
 *   in the ioctl number is the caller's idea of the structure: the kernel
 *   accepts any size at least as large as the first published one, ignores
 *   nothing (bytes it does not know must be zero, or EINVAL) and writes back
 *   only as many bytes as the caller passed.
 */
#ifndef _UAPI_PRIMESHARE_H
#define _UAPI_PRIMESHARE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PRIMESHARE_UAPI_VERSION_MAJOR	1
#define PRIMESHARE_UAPI_VERSION_MINOR	2

/** PRIMESHARE_IOC_MAGIC - ioctl type byte of every primeshare ioctl */
#define PRIMESHARE_IOC_MAGIC		0xBC

/* Features reported by PRIMESHARE_IOCTL_INFO. */
/** PRIMESHARE_FEATURE_EXPORT - EXPORT, IMPORT, RELEASE and QUERY work */
#define PRIMESHARE_FEATURE_EXPORT	(1ULL << 0)
/** PRIMESHARE_FEATURE_REFCOUNTED - the refcounted lifetime is supported */
#define PRIMESHARE_FEATURE_REFCOUNTED	(1ULL << 1)
/** PRIMESHARE_FEATURE_ONESHOT - the oneshot lifetime is supported */
#define PRIMESHARE_FEATURE_ONESHOT	(1ULL << 2)
/** PRIMESHARE_FEATURE_METADATA - handles carry an opaque metadata blob */
#define PRIMESHARE_FEATURE_METADATA	(1ULL << 3)
/** PRIMESHARE_FEATURE_LIST - PRIMESHARE_IOCTL_LIST works */
#define PRIMESHARE_FEATURE_LIST		(1ULL << 4)
/** PRIMESHARE_FEATURE_FORCE_RELEASE - PRIMESHARE_RELEASE_FORCE works */
#define PRIMESHARE_FEATURE_FORCE_RELEASE	(1ULL << 5)
/** PRIMESHARE_FEATURE_LIMITS - PRIMESHARE_IOCTL_LIMITS works (1.1) */
#define PRIMESHARE_FEATURE_LIMITS	(1ULL << 6)
/**
 * PRIMESHARE_FEATURE_KEYED_MUTEX - PRIMESHARE_EXPORT_KEYED_MUTEX and the
 * KM_ACQUIRE and KM_RELEASE ioctls work (1.2)
 */
#define PRIMESHARE_FEATURE_KEYED_MUTEX	(1ULL << 7)

/**
 * struct primeshare_info - version, features and limits of the module
 * @flags: in: must be 0.
 * @version_major: out: PRIMESHARE_UAPI_VERSION_MAJOR of the running module.
 *	A change of major version means an incompatible uAPI.
 * @version_minor: out: PRIMESHARE_UAPI_VERSION_MINOR of the running module.
 * @features: out: PRIMESHARE_FEATURE_* bits.
 * @max_metadata_size: out: largest metadata blob EXPORT accepts, in bytes.
 * @max_handles_per_session: out: live handles one session may export.
 * @max_handles_per_user: out: live handles one user (real uid of the
 *	exporter) may have across all sessions, counting those of the user
 *	namespaces it owns: the limit of the caller's user namespace (see
 *	PRIMESHARE_IOCTL_LIMITS).
 * @max_handles: out: live handles the whole system may have; the last
 *	ones of them only CAP_SYS_ADMIN in the initial user namespace may
 *	use.
 * @__pad: must be 0.
 */
struct primeshare_info {
	__u32 flags;
	__u32 version_major;
	__u32 version_minor;
	__u32 max_metadata_size;
	__u64 features;
	__u32 max_handles_per_session;
	__u32 max_handles_per_user;
	__u32 max_handles;
	__u32 __pad;
};

/*
 * Lifetimes, chosen at export.  At most one of the two flags may be set;
 * neither selects the owned lifetime.
 */
/**
 * PRIMESHARE_EXPORT_REFCOUNTED - the handle lives while any session holds
 * it.  The exporting session holds it from the start; importers add holds
 * with PRIMESHARE_IMPORT_HOLD.
 */
#define PRIMESHARE_EXPORT_REFCOUNTED	(1U << 0)
/** PRIMESHARE_EXPORT_ONESHOT - the first successful import ends the handle */
#define PRIMESHARE_EXPORT_ONESHOT	(1U << 1)
#define PRIMESHARE_EXPORT_LIFETIMES	(PRIMESHARE_EXPORT_REFCOUNTED | \
					 PRIMESHARE_EXPORT_ONESHOT)
/**
 * PRIMESHARE_EXPORT_KEYED_MUTEX - the handle carries a keyed mutex, free
 * and with key 0 at export (1.2; see struct primeshare_km_acquire).  It
 * combines with the owned and refcounted lifetimes; a oneshot handle ends
 * at its import, and its mutex with it, so that combination is EINVAL.
 */
#define PRIMESHARE_EXPORT_KEYED_MUTEX	(1U << 2)
#define PRIMESHARE_EXPORT_FLAGS		(PRIMESHARE_EXPORT_LIFETIMES | \
					 PRIMESHARE_EXPORT_KEYED_MUTEX)

/*
 * Access mode: the read bit of a class lets that class import and query.
 * Only these three bits are accepted; 0 selects the default, owner only.
 */
#define PRIMESHARE_MODE_OWNER		0400
#define PRIMESHARE_MODE_GROUP		0040
#define PRIMESHARE_MODE_OTHER		0004
#define PRIMESHARE_MODE_MASK		0444
#define PRIMESHARE_MODE_DEFAULT		PRIMESHARE_MODE_OWNER

/**
 * struct primeshare_export - make a handle for a dma-buf
 * @fd: in: a dma-buf file descriptor.  The registry takes its own
 *	reference to the dma-buf; the caller may close @fd afterwards.
 * @flags: in: PRIMESHARE_EXPORT_* flags: the lifetime, and
 *	PRIMESHARE_EXPORT_KEYED_MUTEX.
 * @mode: in: PRIMESHARE_MODE_* bits, or 0 for PRIMESHARE_MODE_DEFAULT.
 * @metadata_size: in: length of the metadata blob in bytes, 0 for none.
 * @metadata: in: user pointer to the blob; ignored when @metadata_size is 0.
 * @handle: out: the new handle, never 0 and never reused while the module
 *	stays loaded (after a reload, a number comes back only by a 2^-64
 *	chance).
 *
 * The owner of the handle is the caller's effective uid and gid.
 *
 * The handle counts against the caller's session, the system, and the
 * caller's real uid in its user namespace and in every namespace above it
 * (PRIMESHARE_IOCTL_LIMITS); its metadata bytes and its keyed mutex count
 * likewise.  A refcounted handle's first hold is a hold record of the
 * caller's.
 *
 * Errors: EBADF (@fd is not open), EINVAL (@fd is not a dma-buf, unknown
 * flags, both lifetime flags, a oneshot handle with a keyed mutex, bad
 * mode, nonzero bytes past the end of the structure the module knows),
 * E2BIG (@metadata_size above the limit),
 * ENOSPC (a handle, metadata, keyed-mutex or hold-record limit is reached,
 * or a 32-bit kernel has issued 2^32 handles), EFAULT, ENOMEM.
 */
struct primeshare_export {
	__s32 fd;
	__u32 flags;
	__u32 mode;
	__u32 metadata_size;
	__u64 metadata;
	__u64 handle;
};

/** PRIMESHARE_IMPORT_CLOEXEC - the new file descriptor is close-on-exec */
#define PRIMESHARE_IMPORT_CLOEXEC	(1U << 0)
/** PRIMESHARE_IMPORT_HOLD - add a hold on a refcounted handle */
#define PRIMESHARE_IMPORT_HOLD		(1U << 1)
#define PRIMESHARE_IMPORT_FLAGS		(PRIMESHARE_IMPORT_CLOEXEC | \
					 PRIMESHARE_IMPORT_HOLD)

/**
 * struct primeshare_import - open the dma-buf behind a handle
 * @handle: in: the handle.
 * @flags: in: PRIMESHARE_IMPORT_* flags.
 * @fd: out: a new file descriptor of the dma-buf, installed only when the
 *	call succeeds; -1 after a failure that wrote the structure back.
 * @size: out: size of the dma-buf in bytes.
 * @metadata: in: user pointer to a buffer for the metadata blob, or 0 to
 *	not receive it.
 * @metadata_size: in: capacity of @metadata in bytes.  out: length of the
 *	handle's metadata, also when the call fails with ERANGE.
 * @__pad: must be 0.
 *
 * Every importer receives the same open file of the dma-buf, so every
 * importer gets the access mode the dma-buf was created with.  The file
 * is installed through the kernel's file-receiving path, as SCM_RIGHTS
 * does, so a security module may refuse it; then nothing is installed, no
 * hold is added and a oneshot handle stays live.  Imports of a oneshot
 * handle are serialised, and only the one that installs a descriptor (and
 * so ends the handle) writes the structure and the metadata back: one that
 * finds the handle ended fails with ENOENT, one whose install fails (EMFILE,
 * a security module) with that error, and either leaves the structure and
 * the metadata buffer as they were passed.
 * A new hold of a session on a handle is a hold record of the caller's.
 *
 * Errors: ENOENT (no such handle in the caller's IPC namespace, or it has
 * ended), EACCES (the mode does not let the caller import), ERANGE
 * (@metadata is too small; nothing is installed), EINVAL (unknown flags,
 * PRIMESHARE_IMPORT_HOLD on a handle that is not refcounted, nonzero
 * padding), EOVERFLOW (PRIMESHARE_IMPORT_HOLD on a handle that already has
 * 2^32 - 2 holds), ENOSPC (PRIMESHARE_IMPORT_HOLD: the caller's limit of
 * hold records), EPERM or another error of a security module, EMFILE,
 * EFAULT, ENOMEM.
 */
struct primeshare_import {
	__u64 handle;
	__u32 flags;
	__s32 fd;
	__u64 size;
	__u64 metadata;
	__u32 metadata_size;
	__u32 __pad;
};

/**
 * PRIMESHARE_RELEASE_FORCE - end the handle whatever its lifetime, as
 * ipcrm does: allowed to the handle's owner (the caller's effective uid is
 * the handle's uid) and to CAP_SYS_ADMIN in the user namespace that owns
 * the handle's IPC namespace.  Every hold on it is dropped, with every
 * session's hold record.
 */
#define PRIMESHARE_RELEASE_FORCE	(1U << 0)
#define PRIMESHARE_RELEASE_FLAGS	PRIMESHARE_RELEASE_FORCE

/**
 * struct primeshare_release - end a handle or drop a hold on it
 * @handle: in: the handle.
 * @flags: in: PRIMESHARE_RELEASE_* flags.
 * @__pad: must be 0.
 *
 * Without flags: for an owned or oneshot handle, only the exporting
 * session may release it, and the handle ends.  For a refcounted handle,
 * the calling session drops one of its holds, and the handle ends with its
 * last hold.  With PRIMESHARE_RELEASE_FORCE the handle ends at once.
 * Ending a handle stops new imports only: file descriptors already
 * imported stay valid.
 *
 * Errors: ENOENT (no such handle, or it has ended), EPERM (without flags:
 * the caller neither exported an owned or oneshot handle nor holds a
 * refcounted one; with PRIMESHARE_RELEASE_FORCE: the caller neither owns
 * the handle nor has CAP_SYS_ADMIN), EINVAL (unknown flags, nonzero
 * padding), EFAULT.
 */
struct primeshare_release {
	__u64 handle;
	__u32 flags;
	__u32 __pad;
};

/**
 * struct primeshare_query - describe a handle
 * @handle: in: the handle.
 * @flags: in: must be 0.
 * @mode: out: PRIMESHARE_MODE_* bits.
 * @size: out: size of the dma-buf in bytes.
 * @uid: out: owner uid as seen from the caller's user namespace (the
 *	overflow uid when it has no mapping there).
 * @gid: out: owner gid, likewise.
 * @lifetime: out: the PRIMESHARE_EXPORT_* lifetime flags of the handle.
 * @metadata_size: out: length of the metadata blob.
 * @imports: out: successful imports so far.
 * @holders: out: holds currently kept (refcounted handles), else 0.
 * @exporter_pid: out: the exporting process in the caller's pid
 *	namespace; 0 when it is not visible there or has exited.
 * @attributes: in: must be 0.  out: PRIMESHARE_EXPORT_KEYED_MUTEX when
 *	the handle carries a keyed mutex (1.2; 0 before).
 * @age_ns: out: nanoseconds since the export (boot-time clock).
 * @exporter_comm: out: the exporting task's name at export, NUL-terminated.
 *
 * The same access rule as import applies: the mode, or CAP_IPC_OWNER in
 * the user namespace that owns the caller's IPC namespace.
 *
 * Errors: ENOENT, EACCES, EINVAL, EFAULT.
 */
struct primeshare_query {
	__u64 handle;
	__u32 flags;
	__u32 mode;
	__u64 size;
	__u32 uid;
	__u32 gid;
	__u32 lifetime;
	__u32 metadata_size;
	__u32 imports;
	__u32 holders;
	__s32 exporter_pid;
	__u32 attributes;
	__u64 age_ns;
	char exporter_comm[16];
};

/** PRIMESHARE_LIST_MAX - most handles one PRIMESHARE_IOCTL_LIST returns */
#define PRIMESHARE_LIST_MAX		1024

/**
 * struct primeshare_list - enumerate the handles the caller may import
 * @cursor: in: 0 to start, else the value the previous call returned.
 *	out: the last handle written, where the next call continues;
 *	unchanged when no handle was written.
 * @handles: in: user pointer to an array of @count __u64 handles.
 * @count: in: capacity of @handles, 1 to PRIMESHARE_LIST_MAX.
 *	out: number of handles written; 0 when the enumeration is complete.
 * @flags: in: must be 0.
 *
 * Handles come in export order.  Handles exported or ended while an
 * enumeration runs may or may not be seen; none is seen twice.
 *
 * Errors: EINVAL (bad @count or flags), EFAULT, ENOMEM.
 */
struct primeshare_list {
	__u64 cursor;
	__u64 handles;
	__u32 count;
	__u32 flags;
};

/** PRIMESHARE_LIMITS_SET - set the caller's user namespace's limits */
#define PRIMESHARE_LIMITS_SET		(1U << 0)
/** PRIMESHARE_LIMITS_RESET - the namespace goes back to the defaults */
#define PRIMESHARE_LIMITS_RESET		(1U << 1)

/**
 * struct primeshare_limits - per-user limits of the caller's user namespace
 * @flags: in: 0 to read, PRIMESHARE_LIMITS_SET or PRIMESHARE_LIMITS_RESET.
 * @max_handles_per_user: in (SET) and out: live handles one user of the
 *	namespace may have, counting those of the namespaces it owns.
 * @max_holds_per_user: in (SET) and out: hold records (one per session
 *	and refcounted handle it holds) one user may have, likewise.
 * @__pad: must be 0.
 * @max_metadata_bytes_per_user: in (SET) and out: metadata bytes of the
 *	live handles of one user, likewise; at most 2^32 - 1.
 * @handles: out: live handles charged to the caller's real uid in its
 *	namespace.  Ignored in, so that a structure read may be passed to
 *	SET with one limit changed.
 * @holds: out: hold records charged to it likewise.  Ignored in.
 * @metadata_bytes: out: metadata bytes charged to it likewise.  Ignored
 *	in.
 * @max_keyed_mutexes_per_user: in (SET) and out: keyed mutexes of the
 *	live handles of one user, likewise (1.2).  A caller whose structure
 *	ends before this field (1.1's 48 bytes) leaves this limit as it is on
 *	SET.  The structure is 48 bytes or at least 64: a size between
 *	splits a field, and is EINVAL.
 * @__pad2: must be 0.
 * @keyed_mutexes: out: keyed mutexes charged to the caller likewise.
 *	Ignored in.
 *
 * Limits count per user namespace, as the kernel's own per-user limits
 * do: a charge to a user of a namespace is a charge to the namespace's
 * owner in its parent namespace too, up to the initial namespace, and each
 * level checks its own namespace's limits.  A namespace's limits are the
 * defaults (the module parameters, which are the initial namespace's) until
 * CAP_SYS_RESOURCE in it sets its own.  Setting them in the initial
 * namespace sets the module parameters.  Another namespace's own limits
 * last while it uses the module (an open session opened in it, or
 * something charged to one of its users), so they are set through a
 * session opened in the namespace.  Without flags the values are the
 * caller's namespace's, the counts the caller's.
 *
 * Errors: EINVAL (unknown or both flags, nonzero padding, limits
 * given without PRIMESHARE_LIMITS_SET, RESET in the initial namespace, a
 * metadata limit above 2^32 - 1), EPERM (no CAP_SYS_RESOURCE in the
 * caller's user namespace, or the session was opened in another one),
 * EFAULT.
 */
struct primeshare_limits {
	__u32 flags;
	__u32 max_handles_per_user;
	__u32 max_holds_per_user;
	__u32 __pad;
	__u64 max_metadata_bytes_per_user;
	__u64 handles;
	__u64 holds;
	__u64 metadata_bytes;
	__u32 max_keyed_mutexes_per_user;
	__u32 __pad2;
	__u64 keyed_mutexes;
};

/**
 * PRIMESHARE_KM_INFINITE - a timeout of struct primeshare_km_acquire that
 * never expires
 */
#define PRIMESHARE_KM_INFINITE		(~0ULL)

/** PRIMESHARE_KM_ACQUIRE_CLOEXEC - the fence descriptor is close-on-exec */
#define PRIMESHARE_KM_ACQUIRE_CLOEXEC	(1U << 0)
#define PRIMESHARE_KM_ACQUIRE_FLAGS	PRIMESHARE_KM_ACQUIRE_CLOEXEC

/**
 * struct primeshare_km_acquire - take the keyed mutex of a handle
 * @handle: in: a handle exported with PRIMESHARE_EXPORT_KEYED_MUTEX.
 * @key: in: the key to wait for: the mutex is taken when it is free and
 *	its last release set this key (key 0 at export).
 * @timeout_ns: in: how long to wait, in nanoseconds of the monotonic
 *	clock; 0 to only try, PRIMESHARE_KM_INFINITE to wait for ever.
 *	out: when a signal interrupts the wait (EINTR), the time that was
 *	left, so that a restarted call (SA_RESTART) waits no longer in all
 *	than the first one was asked to, as select(2) does; else unchanged.
 * @flags: in: PRIMESHARE_KM_ACQUIRE_* flags.
 * @fence_fd: out: a sync_file of the fence the last release passed in,
 *	or -1 when it passed none or it has signalled.  The caller's work
 *	on the buffer must wait for it, and closes it.  Written on success
 *	only.
 *
 * A keyed mutex is held by a session: the one that acquired it, until it
 * releases it.  The same access rule as import applies.  When the holding
 * session closes (its last file descriptor is closed, as when its process
 * dies) the mutex is abandoned, for good: every waiting and later acquire
 * fails with ENOTRECOVERABLE, as D3D's AcquireSync returns WAIT_ABANDONED,
 * and the buffer's contents are undefined.  When the handle ends, waiting
 * and later calls fail with ENOENT.  Waiters are woken in no set order.
 * A timeout past the end of the monotonic clock is an infinite one.
 *
 * Errors: ETIMEDOUT (the timeout passed, or it is 0 and the mutex is held
 * or was released with another key), ENOTRECOVERABLE (the mutex is
 * abandoned), EDEADLK (the caller's session holds the mutex already),
 * EINTR (a signal
 * arrived; see @timeout_ns), ENOENT (no such handle, or it ended while
 * waiting), EACCES, EINVAL (unknown flags, nonzero bytes past the end of
 * the structure the module knows, a handle without a keyed mutex), EMFILE,
 * EFAULT, ENOMEM.
 */
struct primeshare_km_acquire {
	__u64 handle;
	__u64 key;
	__u64 timeout_ns;
	__u32 flags;
	__s32 fence_fd;
};

/**
 * struct primeshare_km_release - give the keyed mutex of a handle back
 * @handle: in: the handle.
 * @key: in: the key the mutex is released with: the acquire waiting for
 *	it may take it.
 * @fence_fd: in: a sync_file whose fence signals when the caller's work
 *	on the buffer is done, or -1 for none (the work is done).  The mutex
 *	keeps a reference to the fence (none if it has signalled), not the
 *	descriptor, and hands it to the next acquirer; the caller closes
 *	@fence_fd.
 * @flags: in: must be 0.
 *
 * The holding session may release whatever its credentials and IPC
 * namespace have become since it acquired: the access rule applies only
 * to a caller whose session does not hold the mutex, to tell it why.
 *
 * Errors: EPERM (the caller's session does not hold the mutex), EBADF
 * (@fence_fd is neither -1 nor open), EINVAL (@fence_fd is not a
 * sync_file, unknown flags, nonzero bytes past the end of the structure
 * the module knows, a handle without a keyed mutex), ENOENT, EACCES,
 * EFAULT.
 */
struct primeshare_km_release {
	__u64 handle;
	__u64 key;
	__s32 fence_fd;
	__u32 flags;
};

/** PRIMESHARE_IOCTL_INFO - version, features and limits */
#define PRIMESHARE_IOCTL_INFO \
	_IOWR(PRIMESHARE_IOC_MAGIC, 0x00, struct primeshare_info)
/** PRIMESHARE_IOCTL_EXPORT - make a handle for a dma-buf */
#define PRIMESHARE_IOCTL_EXPORT \
	_IOWR(PRIMESHARE_IOC_MAGIC, 0x01, struct primeshare_export)
/** PRIMESHARE_IOCTL_IMPORT - open the dma-buf behind a handle */
#define PRIMESHARE_IOCTL_IMPORT \
	_IOWR(PRIMESHARE_IOC_MAGIC, 0x02, struct primeshare_import)
/** PRIMESHARE_IOCTL_RELEASE - end a handle or drop a hold */
#define PRIMESHARE_IOCTL_RELEASE \
	_IOW(PRIMESHARE_IOC_MAGIC, 0x03, struct primeshare_release)
/** PRIMESHARE_IOCTL_QUERY - describe a handle */
#define PRIMESHARE_IOCTL_QUERY \
	_IOWR(PRIMESHARE_IOC_MAGIC, 0x04, struct primeshare_query)
/** PRIMESHARE_IOCTL_LIST - enumerate importable handles */
#define PRIMESHARE_IOCTL_LIST \
	_IOWR(PRIMESHARE_IOC_MAGIC, 0x05, struct primeshare_list)
/** PRIMESHARE_IOCTL_LIMITS - read or set per-user limits (1.1) */
#define PRIMESHARE_IOCTL_LIMITS \
	_IOWR(PRIMESHARE_IOC_MAGIC, 0x06, struct primeshare_limits)
/** PRIMESHARE_IOCTL_KM_ACQUIRE - take a handle's keyed mutex (1.2) */
#define PRIMESHARE_IOCTL_KM_ACQUIRE \
	_IOWR(PRIMESHARE_IOC_MAGIC, 0x07, struct primeshare_km_acquire)
/** PRIMESHARE_IOCTL_KM_RELEASE - give a handle's keyed mutex back (1.2) */
#define PRIMESHARE_IOCTL_KM_RELEASE \
	_IOW(PRIMESHARE_IOC_MAGIC, 0x08, struct primeshare_km_release)

#endif /* _UAPI_PRIMESHARE_H */
