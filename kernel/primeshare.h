/* SPDX-License-Identifier: GPL-2.0-only */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * primeshare: internal declarations shared by the module's files.
 */
#ifndef _PRIMESHARE_H
#define _PRIMESHARE_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

struct dma_buf;
struct ps_keyed_mutex;
struct ipc_namespace;
struct pid;
struct user_namespace;
struct vfsmount;

/**
 * struct ps_session - one open file of /dev/primeshare
 * @ref: memory reference; handles keep their exporting session's memory
 *	so that their @exporter pointer never dangles or gets reused, and
 *	hold records keep the memory of the session they belong to.
 * @lock: protects @exports and @km_held.
 * @exports: owned and oneshot handles this session exported and that have
 *	not ended; they end when the session closes.
 * @nr_exports: live handles of any lifetime exported by this session.
 * @holds_lock: protects @holds.
 * @holds: handle sequence number -> &struct ps_hold, the refcounted
 *	handles this session holds.
 * @km_held: the keyed mutexes this session holds, under @lock.
 * @user_ns: the user namespace the session was opened in (pinned by the
 *	file's credentials; counted by ps_ns_session_get()).
 */
struct ps_session {
	struct kref ref;
	struct user_namespace *user_ns;
	spinlock_t lock;		/* protects exports, km_held */
	struct list_head exports;
	struct list_head km_held;
	atomic_t nr_exports;
	struct mutex holds_lock;	/* protects holds */
	struct xarray holds;
};

/**
 * struct ps_hold - the holds one session keeps on one refcounted handle
 * @node: entry in the handle's @holds list, under the handle's lock.
 * @obj: the handle; the record keeps a memory reference to it.
 * @sess: the session; the record keeps a memory reference to it.
 * @acct_ns: user namespace the record is charged to (pinned by the charge).
 * @acct_uid: real uid the record is charged to.
 * @count: holds kept, at least 1 while the record is on @obj's list.
 *
 * A record whose handle is dead was taken by ps_force_end(), which frees
 * it: a handle with holds ends no other way.
 * A record lives in its session's @holds and on its handle's @holds list,
 * as a SysV semaphore's undo record lives on its process and on its set,
 * so that a handle's end can find and free every record of it.
 */
struct ps_hold {
	struct list_head node;
	struct ps_handle *obj;
	struct ps_session *sess;
	struct user_namespace *acct_ns;
	kuid_t acct_uid;
	u32 count;
};

/**
 * struct ps_handle - a global handle and what it refers to
 * @ref: memory reference.  The registry owns one from export until the
 *	handle ends; lookups and hold records take their own.
 * @lock: protects @dead, @imports, @holders and @holds.
 * @dead: the handle has ended; no import may succeed any more.
 * @imports: successful imports.
 * @holders: holds kept on a refcounted handle, summed over sessions.
 * @holds: the &struct ps_hold records of a refcounted handle.
 * @import_lock: serialises the imports of a oneshot handle, so that only
 *	the import that ends it sees its contents.
 * @seq: sequence number, the key of the registry; never reused.
 * @handle: the number user space sees, a keyed permutation of @seq.
 * @size: size of the dma-buf.
 * @dmabuf: the registry's reference to the dma-buf.
 * @ns: identifies the exporter's IPC namespace (see ps_ipc_ns_get()).
 * @exporter: the exporting session.
 * @acct_ns: user namespace the handle is charged to (pinned by the charge).
 * @acct_uid: real uid of the exporter, which the handle is charged to.
 * @pid: the exporting thread group.
 * @node: entry in @exporter's exports list (owned and oneshot only).
 * @uid: owner (effective uid of the exporter).
 * @gid: group (effective gid of the exporter).
 * @mode: PRIMESHARE_MODE_* bits.
 * @lifetime: PRIMESHARE_EXPORT_REFCOUNTED, PRIMESHARE_EXPORT_ONESHOT or 0.
 * @metadata_size: length of @metadata.
 * @pid_nr: @pid in the initial pid namespace, for debugfs.
 * @metadata: the opaque blob, or NULL.
 * @km: the keyed mutex (PRIMESHARE_EXPORT_KEYED_MUTEX), or NULL.
 * @created_ns: boot-time clock at export.
 * @comm: the exporting task's name.
 * @rcu: frees the memory after a grace period.
 *
 * Everything but @dead, @imports, @holders and @holds is fixed at export,
 * so RCU readers (LIST, debugfs) may read those fields without taking a
 * reference.
 */
struct ps_handle {
	struct kref ref;
	spinlock_t lock;	/* protects dead, imports, holders, holds */
	bool dead;
	u32 imports;
	u32 holders;
	struct list_head holds;
	struct mutex import_lock;	/* serialises oneshot imports */
	unsigned long seq;
	u64 handle;
	u64 size;
	struct dma_buf *dmabuf;
	void *ns;
	struct ps_session *exporter;
	struct user_namespace *acct_ns;
	kuid_t acct_uid;
	struct pid *pid;
	struct list_head node;
	kuid_t uid;
	kgid_t gid;
	u32 mode;
	u32 lifetime;
	u32 metadata_size;
	pid_t pid_nr;
	void *metadata;
	struct ps_keyed_mutex *km;
	u64 created_ns;
	char comm[TASK_COMM_LEN];
	struct rcu_head rcu;
};

/**
 * struct ps_stats - counters shown in debugfs primeshare/stats
 * @handles: live handles.
 * @sessions: open sessions.
 * @holds: holds kept on refcounted handles.
 * @users: (user namespace, uid) pairs with something charged.
 * @exports: handles exported since load.
 * @imports: successful imports since load.
 * @ended: handles ended since load.
 * @keyed_mutexes: live keyed mutexes.
 * @km_acquires: keyed-mutex acquires since load.
 * @km_abandoned: keyed mutexes abandoned since load.
 */
struct ps_stats {
	atomic_t handles;
	atomic_t sessions;
	atomic_long_t holds;
	atomic_t users;
	atomic64_t exports;
	atomic64_t imports;
	atomic64_t ended;
	atomic_t keyed_mutexes;
	atomic64_t km_acquires;
	atomic64_t km_abandoned;
};

extern struct ps_stats ps_stats;
extern struct xarray ps_handles;

/*
 * Module parameters.  Writable ones may change at any time: every call
 * reads each one once, with READ_ONCE(), into a local.
 */
extern unsigned int ps_max_metadata_size;
extern unsigned int ps_max_handles_per_session;
extern unsigned int ps_max_handles_per_user;
extern unsigned int ps_max_metadata_bytes_per_user;
extern unsigned int ps_max_holds_per_user;
extern unsigned int ps_max_holds_per_handle;
extern unsigned int ps_max_keyed_mutexes_per_user;
extern unsigned int ps_max_handles;
extern unsigned int ps_reserved_handles;

/* The most holds a handle may have: its u32 count never wraps. */
#define PS_MAX_HOLDS	(U32_MAX - 1)

/**
 * enum ps_acct_kind - what the per-user limits count
 * @PS_ACCT_HANDLES: live handles.
 * @PS_ACCT_METADATA: bytes of the live handles' metadata.
 * @PS_ACCT_HOLDS: hold records (one per session and refcounted handle).
 * @PS_ACCT_KEYED_MUTEXES: keyed mutexes of live handles.
 * @PS_ACCT_NR: number of kinds.
 */
enum ps_acct_kind {
	PS_ACCT_HANDLES,
	PS_ACCT_METADATA,
	PS_ACCT_HOLDS,
	PS_ACCT_KEYED_MUTEXES,
	PS_ACCT_NR,
};

int ps_acct_charge(struct user_namespace *ns, kuid_t uid,
		   const unsigned long amount[PS_ACCT_NR]);
void ps_acct_uncharge(struct user_namespace *ns, kuid_t uid,
		      const unsigned long amount[PS_ACCT_NR]);
unsigned int ps_acct_max_handles(void);
void ps_acct_exit(void);
int ps_ioctl_limits(struct ps_session *sess, void __user *uarg, size_t usize);
struct user_namespace *ps_ns_session_get(void);
void ps_ns_session_put(struct user_namespace *ns);

int ps_handle_init(void);
void ps_handle_exit(void);

struct ps_session *ps_session_new(void);
void ps_session_close(struct ps_session *sess);

int ps_ioctl_export(struct ps_session *sess, void __user *uarg, size_t usize);
int ps_ioctl_import(struct ps_session *sess, void __user *uarg, size_t usize);
int ps_ioctl_release(struct ps_session *sess, void __user *uarg,
		     size_t usize);
int ps_ioctl_query(struct ps_session *sess, void __user *uarg, size_t usize);
int ps_ioctl_list(struct ps_session *sess, void __user *uarg, size_t usize);

struct ps_handle *ps_lookup(u64 handle);
bool ps_may_access(const struct ps_handle *obj);
void ps_handle_put(struct ps_handle *obj);

struct ps_keyed_mutex *ps_km_new(struct ps_handle *obj);
void ps_km_free(struct ps_keyed_mutex *km);
void ps_km_end(struct ps_keyed_mutex *km);
void ps_km_session_close(struct ps_session *sess);
int ps_ioctl_km_acquire(struct ps_session *sess, void __user *uarg,
			size_t usize);
int ps_ioctl_km_release(struct ps_session *sess, void __user *uarg,
			size_t usize);

int ps_copy_in(void *karg, size_t ksize, size_t minsize,
	       const void __user *uarg, size_t usize);
int ps_copy_out(void __user *uarg, size_t usize, const void *karg,
		size_t ksize);

const char *ps_lifetime_name(u32 lifetime);

void ps_debugfs_init(void);
void ps_debugfs_exit(void);

#endif /* _PRIMESHARE_H */
