/* SPDX-License-Identifier: GPL-2.0-only */
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
struct pid;
struct vfsmount;
struct ps_user;

/**
 * struct ps_session - one open file of /dev/primeshare
 * @ref: memory reference; handles keep their exporting session's memory
 *	so that their @exporter pointer never dangles or gets reused.
 * @lock: protects @exports.
 * @exports: owned and oneshot handles this session exported and that have
 *	not ended; they end when the session closes.
 * @nr_exports: live handles of any lifetime exported by this session.
 * @holds_lock: serialises changes of @holds.
 * @holds: handle sequence number -> xa_mk_value(number of holds) for the
 *	refcounted handles this session holds.
 */
struct ps_session {
	struct kref ref;
	spinlock_t lock;		/* protects exports */
	struct list_head exports;
	atomic_t nr_exports;
	struct mutex holds_lock;	/* serialises changes of holds */
	struct xarray holds;
};

/**
 * struct ps_handle - a global handle and what it refers to
 * @ref: memory reference.  The registry owns one from export until the
 *	handle ends; lookups take short-lived ones.
 * @lock: protects @dead, @imports and @holders.
 * @dead: the handle has ended; no import may succeed any more.
 * @imports: successful imports.
 * @holders: holds kept on a refcounted handle, summed over sessions.
 * @seq: sequence number, the key of the registry; never reused.
 * @handle: the number user space sees, a keyed permutation of @seq.
 * @size: size of the dma-buf.
 * @dmabuf: the registry's reference to the dma-buf.
 * @ns_mnt: identifies the exporter's IPC namespace (see ps_current_ns()).
 * @exporter: the exporting session.
 * @user: per-user accounting of the exporter's real uid.
 * @pid: the exporting thread group.
 * @node: entry in @exporter's exports list (owned and oneshot only).
 * @uid: owner (effective uid of the exporter).
 * @gid: group (effective gid of the exporter).
 * @mode: PRIMESHARE_MODE_* bits.
 * @lifetime: PRIMESHARE_EXPORT_REFCOUNTED, PRIMESHARE_EXPORT_ONESHOT or 0.
 * @metadata_size: length of @metadata.
 * @pid_nr: @pid in the initial pid namespace, for debugfs.
 * @metadata: the opaque blob, or NULL.
 * @created_ns: boot-time clock at export.
 * @comm: the exporting task's name.
 * @rcu: frees the memory after a grace period.
 *
 * Everything but @dead, @imports and @holders is fixed at export, so RCU
 * readers (LIST, debugfs) may read those fields without taking a reference.
 */
struct ps_handle {
	struct kref ref;
	spinlock_t lock;	/* protects dead, imports, holders */
	bool dead;
	u32 imports;
	u32 holders;
	unsigned long seq;
	u64 handle;
	u64 size;
	struct dma_buf *dmabuf;
	struct vfsmount *ns_mnt;
	struct ps_session *exporter;
	struct ps_user *user;
	struct pid *pid;
	struct list_head node;
	kuid_t uid;
	kgid_t gid;
	u32 mode;
	u32 lifetime;
	u32 metadata_size;
	pid_t pid_nr;
	void *metadata;
	u64 created_ns;
	char comm[TASK_COMM_LEN];
	struct rcu_head rcu;
};

/**
 * struct ps_stats - counters shown in debugfs primeshare/stats
 * @handles: live handles.
 * @sessions: open sessions.
 * @holds: holds kept on refcounted handles.
 * @users: users with at least one live handle.
 * @exports: handles exported since load.
 * @imports: successful imports since load.
 * @ended: handles ended since load.
 */
struct ps_stats {
	atomic_t handles;
	atomic_t sessions;
	atomic_long_t holds;
	atomic_t users;
	atomic64_t exports;
	atomic64_t imports;
	atomic64_t ended;
};

extern struct ps_stats ps_stats;
extern struct xarray ps_handles;

/* Module parameters, read with READ_ONCE(). */
extern unsigned int ps_max_metadata_size;
extern unsigned int ps_max_handles_per_session;
extern unsigned int ps_max_handles_per_user;
extern unsigned int ps_max_handles;

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

int ps_copy_in(void *karg, size_t ksize, size_t minsize,
	       const void __user *uarg, size_t usize);
int ps_copy_out(void __user *uarg, size_t usize, const void *karg,
		size_t ksize);

const char *ps_lifetime_name(u32 lifetime);

void ps_debugfs_init(void);
void ps_debugfs_exit(void);

#endif /* _PRIMESHARE_H */
