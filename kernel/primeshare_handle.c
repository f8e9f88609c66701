// SPDX-License-Identifier: GPL-2.0-only
/*
 * primeshare: the handle registry.
 *
 * Every export gets the next 64-bit sequence number.  The registry is an
 * xarray keyed by sequence number, so LIST walks handles in export order
 * and lookups need no lock of ours: readers use RCU.  The number user space
 * sees is a keyed permutation of the sequence number (an eight-round
 * Feistel network over SipHash with a key drawn at load time), which makes
 * it unique for the life of the module and never 0, while IMPORT still
 * finds the entry by inverting the permutation rather than through a second
 * index.  Sequence numbers never leave the module (LIST's cursor is a
 * handle), so a caller sees handles only, in export order; eight rounds
 * rather than the four a pseudorandom permutation needs at minimum keep
 * the handles of a long run of exports unpredictable from each other.
 *
 * Life of a handle: EXPORT publishes it with one registry reference.  It
 * ends (stops accepting imports) exactly once, when whoever first sets
 * @dead under the handle's lock calls ps_handle_end(): that removes it from
 * the registry, gives back its limits and drops the registry reference.
 * The dma-buf reference goes with the last memory reference; the memory
 * itself after an RCU grace period.  File descriptors imported earlier hold
 * their own references to the dma-buf and are not affected.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/dma-buf.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/nsproxy.h>
#include <linux/pid.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "uapi/primeshare.h"
#include "primeshare.h"

/*
 * The IPC namespace of a handle is identified by its POSIX message queue
 * mount, which exists for every IPC namespace from its creation to its end.
 * A handle pins that mount, so the pointer cannot be reused by a later
 * namespace while the handle exists.  (The namespace itself cannot be
 * pinned portably: put_ipc_ns() is not exported before 6.12.)
 */
#if IS_ENABLED(CONFIG_IPC_NS) && !IS_ENABLED(CONFIG_POSIX_MQUEUE)
#error "primeshare needs CONFIG_POSIX_MQUEUE when CONFIG_IPC_NS is set"
#endif

struct ps_stats ps_stats;
DEFINE_XARRAY(ps_handles);

static struct kmem_cache *ps_handle_cache;
static siphash_key_t ps_key __read_mostly;
static atomic64_t ps_next_seq = ATOMIC64_INIT(0);

/*
 * Per-user limit: live handles by the exporter's real uid.  The table is
 * touched on export and on the end of a handle only.
 */
struct ps_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int handles;
};

static DEFINE_SPINLOCK(ps_users_lock);
static DEFINE_HASHTABLE(ps_users, 6);

#define PS_FEISTEL_ROUNDS 8

static u32 ps_round(u32 half, unsigned int round)
{
	return (u32)siphash_2u32(half, round, &ps_key);
}

static u64 ps_seq_to_handle(u64 seq)
{
	u32 l = upper_32_bits(seq), r = lower_32_bits(seq), t;
	unsigned int i;

	for (i = 0; i < PS_FEISTEL_ROUNDS; i++) {
		t = l ^ ps_round(r, i);
		l = r;
		r = t;
	}
	return (u64)l << 32 | r;
}

static u64 ps_handle_to_seq(u64 handle)
{
	u32 l = upper_32_bits(handle), r = lower_32_bits(handle), t;
	unsigned int i = PS_FEISTEL_ROUNDS;

	while (i--) {
		t = r ^ ps_round(l, i);
		r = l;
		l = t;
	}
	return (u64)l << 32 | r;
}

/* The caller's IPC namespace, as stored in ps_handle::ns_mnt. */
static struct vfsmount *ps_current_ns(void)
{
	return current->nsproxy->ipc_ns->mq_mnt;
}

const char *ps_lifetime_name(u32 lifetime)
{
	switch (lifetime) {
	case PRIMESHARE_EXPORT_REFCOUNTED:
		return "refcounted";
	case PRIMESHARE_EXPORT_ONESHOT:
		return "oneshot";
	default:
		return "owned";
	}
}

static void ps_session_free(struct kref *ref)
{
	struct ps_session *sess = container_of(ref, struct ps_session, ref);

	xa_destroy(&sess->holds);
	mutex_destroy(&sess->holds_lock);
	kfree(sess);
}

static void ps_handle_free_rcu(struct rcu_head *rcu)
{
	kmem_cache_free(ps_handle_cache,
			container_of(rcu, struct ps_handle, rcu));
}

static void ps_handle_free(struct kref *ref)
{
	struct ps_handle *obj = container_of(ref, struct ps_handle, ref);

	dma_buf_put(obj->dmabuf);
	mntput(obj->ns_mnt);
	put_pid(obj->pid);
	kfree(obj->metadata);
	kref_put(&obj->exporter->ref, ps_session_free);
	call_rcu(&obj->rcu, ps_handle_free_rcu);
}

static void ps_handle_put(struct ps_handle *obj)
{
	kref_put(&obj->ref, ps_handle_free);
}

/*
 * Find a live handle of the caller's IPC namespace and take a reference.
 * A handle of another namespace does not exist for the caller.
 */
static struct ps_handle *ps_lookup(u64 handle)
{
	struct ps_handle *obj;
	u64 seq;

	if (!handle)
		return NULL;
	seq = ps_handle_to_seq(handle);
	if ((unsigned long)seq != seq)
		return NULL;

	rcu_read_lock();
	obj = xa_load(&ps_handles, seq);
	if (obj && (READ_ONCE(obj->dead) || obj->ns_mnt != ps_current_ns() ||
		    !kref_get_unless_zero(&obj->ref)))
		obj = NULL;
	rcu_read_unlock();
	return obj;
}

/*
 * The mode bits that apply to the caller: the owner class if its effective
 * uid owns the handle, else the group class if its effective gid or a
 * supplementary group matches, else the other class.  Like files, only one
 * class applies.
 */
static bool ps_mode_allows(const struct ps_handle *obj)
{
	const struct cred *cred = current_cred();

	if (uid_eq(cred->euid, obj->uid))
		return obj->mode & PRIMESHARE_MODE_OWNER;
	if (in_egroup_p(obj->gid))
		return obj->mode & PRIMESHARE_MODE_GROUP;
	return obj->mode & PRIMESHARE_MODE_OTHER;
}

/*
 * CAP_SYS_ADMIN in the user namespace that owns the caller's IPC namespace,
 * which is the handle's, overrides the mode.
 */
static bool ps_may_access(const struct ps_handle *obj)
{
	return ps_mode_allows(obj) ||
	       ns_capable(current->nsproxy->ipc_ns->user_ns, CAP_SYS_ADMIN);
}

/* Claim the end of a handle; true for exactly one caller. */
static bool ps_mark_dead(struct ps_handle *obj)
{
	bool first;

	spin_lock(&obj->lock);
	first = !obj->dead;
	WRITE_ONCE(obj->dead, true);
	spin_unlock(&obj->lock);
	return first;
}

static void ps_user_uncharge(struct ps_user *user)
{
	bool last;

	spin_lock(&ps_users_lock);
	last = !--user->handles;
	if (last)
		hash_del(&user->node);
	spin_unlock(&ps_users_lock);
	if (last) {
		atomic_dec(&ps_stats.users);
		kfree(user);
	}
}

/* Called once per handle, by the caller for whom ps_mark_dead() was true. */
static void ps_handle_end(struct ps_handle *obj)
{
	struct ps_session *exp = obj->exporter;

	xa_erase(&ps_handles, obj->seq);
	spin_lock(&exp->lock);
	list_del_init(&obj->node);
	spin_unlock(&exp->lock);
	atomic_dec(&exp->nr_exports);
	ps_user_uncharge(obj->user);
	atomic_dec(&ps_stats.handles);
	atomic64_inc(&ps_stats.ended);
	ps_handle_put(obj);
}

/*
 * Drop @n holds on a refcounted handle; the last one ends it.  A handle
 * that has ended before its last hold went (PRIMESHARE_RELEASE_FORCE) has
 * no holds left to drop.
 */
static void ps_drop_holds(struct ps_handle *obj, unsigned long n)
{
	bool end = false;

	spin_lock(&obj->lock);
	if (obj->dead) {
		spin_unlock(&obj->lock);
		return;
	}
	obj->holders -= n;
	if (!obj->holders && !obj->dead) {
		WRITE_ONCE(obj->dead, true);
		end = true;
	}
	spin_unlock(&obj->lock);
	atomic_long_sub(n, &ps_stats.holds);
	if (end)
		ps_handle_end(obj);
}

struct ps_session *ps_session_new(void)
{
	struct ps_session *sess;

	sess = kzalloc(sizeof(*sess), GFP_KERNEL_ACCOUNT);
	if (!sess)
		return NULL;
	kref_init(&sess->ref);
	spin_lock_init(&sess->lock);
	INIT_LIST_HEAD(&sess->exports);
	mutex_init(&sess->holds_lock);
	xa_init(&sess->holds);
	atomic_inc(&ps_stats.sessions);
	return sess;
}

/*
 * The last reference to the session's file is gone, so no ioctl of this
 * session runs.  Drop its holds, end the owned and oneshot handles it
 * exported, and let its refcounted handles live on with their other
 * holders.
 */
void ps_session_close(struct ps_session *sess)
{
	struct ps_handle *obj;
	unsigned long seq;
	void *entry;

	xa_for_each(&sess->holds, seq, entry) {
		rcu_read_lock();
		obj = xa_load(&ps_handles, seq);
		if (obj && !kref_get_unless_zero(&obj->ref))
			obj = NULL;
		rcu_read_unlock();
		/* Ended by PRIMESHARE_RELEASE_FORCE: its holds are gone. */
		if (!obj)
			continue;
		ps_drop_holds(obj, xa_to_value(entry));
		ps_handle_put(obj);
	}
	xa_destroy(&sess->holds);

	for (;;) {
		spin_lock(&sess->lock);
		obj = list_first_entry_or_null(&sess->exports,
					       struct ps_handle, node);
		if (obj) {
			list_del_init(&obj->node);
			kref_get(&obj->ref);
		}
		spin_unlock(&sess->lock);
		if (!obj)
			break;
		if (ps_mark_dead(obj))
			ps_handle_end(obj);
		ps_handle_put(obj);
	}

	atomic_dec(&ps_stats.sessions);
	kref_put(&sess->ref, ps_session_free);
}

/*
 * Charge one handle to the system, the exporter's real uid and the session.
 * Limits are read at each export, so lowering one at run time stops new
 * exports without touching live handles.
 */
/* The record of @uid, or NULL; under ps_users_lock. */
static struct ps_user *ps_user_find(kuid_t uid)
{
	struct ps_user *user;

	hash_for_each_possible(ps_users, user, node, __kuid_val(uid))
		if (uid_eq(user->uid, uid))
			return user;
	return NULL;
}

static int ps_charge(struct ps_session *sess, struct ps_user **userp)
{
	kuid_t uid = current_uid();
	struct ps_user *user, *spare = NULL;
	int ret = -ENOSPC;

	if (atomic_inc_return(&ps_stats.handles) > READ_ONCE(ps_max_handles))
		goto out_global;
	if (atomic_inc_return(&sess->nr_exports) >
	    READ_ONCE(ps_max_handles_per_session))
		goto out_session;

	/*
	 * A user with live handles has a record: then no allocation is
	 * needed.  Otherwise one is made outside the lock and the lookup is
	 * repeated, since another export may have made it meanwhile.
	 */
	spin_lock(&ps_users_lock);
	user = ps_user_find(uid);
	if (!user && READ_ONCE(ps_max_handles_per_user)) {
		spin_unlock(&ps_users_lock);
		spare = kzalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
		if (!spare) {
			ret = -ENOMEM;
			goto out_session;
		}
		spin_lock(&ps_users_lock);
		user = ps_user_find(uid);
	}
	if (user ? user->handles >= READ_ONCE(ps_max_handles_per_user) :
		   !READ_ONCE(ps_max_handles_per_user)) {
		spin_unlock(&ps_users_lock);
		kfree(spare);
		goto out_session;
	}
	if (!user) {
		user = spare;
		spare = NULL;
		user->uid = uid;
		hash_add(ps_users, &user->node, __kuid_val(uid));
		atomic_inc(&ps_stats.users);
	}
	user->handles++;
	spin_unlock(&ps_users_lock);
	kfree(spare);
	*userp = user;
	return 0;

out_session:
	atomic_dec(&sess->nr_exports);
out_global:
	atomic_dec(&ps_stats.handles);
	return ret;
}

static void ps_uncharge(struct ps_session *sess, struct ps_user *user)
{
	ps_user_uncharge(user);
	atomic_dec(&sess->nr_exports);
	atomic_dec(&ps_stats.handles);
}

int ps_ioctl_export(struct ps_session *sess, void __user *uarg, size_t usize)
{
	struct primeshare_export arg;
	const struct cred *cred;
	struct ps_handle *obj;
	struct dma_buf *dmabuf;
	struct ps_user *user;
	u64 seq, handle;
	int ret;

	ret = ps_copy_in(&arg, sizeof(arg), sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	if ((arg.flags & ~PRIMESHARE_EXPORT_FLAGS) ||
	    (arg.flags & PRIMESHARE_EXPORT_FLAGS) == PRIMESHARE_EXPORT_FLAGS ||
	    (arg.mode & ~PRIMESHARE_MODE_MASK))
		return -EINVAL;
	if (arg.metadata_size > ps_max_metadata_size)
		return -E2BIG;

	dmabuf = dma_buf_get(arg.fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);

	ret = ps_charge(sess, &user);
	if (ret)
		goto err_dmabuf;

	ret = -ENOMEM;
	obj = kmem_cache_zalloc(ps_handle_cache, GFP_KERNEL);
	if (!obj)
		goto err_uncharge;
	if (arg.metadata_size) {
		obj->metadata = kmalloc(arg.metadata_size, GFP_KERNEL_ACCOUNT);
		if (!obj->metadata)
			goto err_free;
		if (copy_from_user(obj->metadata,
				   u64_to_user_ptr(arg.metadata),
				   arg.metadata_size)) {
			ret = -EFAULT;
			goto err_free;
		}
	}

	/* A sequence number whose handle would be 0 is skipped. */
	do {
		seq = atomic64_inc_return(&ps_next_seq);
		handle = ps_seq_to_handle(seq);
	} while (!handle);
	if ((unsigned long)seq != seq) {
		ret = -ENOSPC;
		goto err_free;
	}

	/* Reserve every slot first: nothing can fail after publishing. */
	ret = xa_reserve(&ps_handles, seq, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto err_free;
	if (arg.flags & PRIMESHARE_EXPORT_REFCOUNTED) {
		mutex_lock(&sess->holds_lock);
		ret = xa_insert(&sess->holds, seq, xa_mk_value(1),
				GFP_KERNEL_ACCOUNT);
		mutex_unlock(&sess->holds_lock);
		if (ret)
			goto err_release;
	}

	arg.handle = handle;
	ret = ps_copy_out(uarg, usize, &arg, sizeof(arg));
	if (ret)
		goto err_holds;

	kref_init(&obj->ref);
	spin_lock_init(&obj->lock);
	INIT_LIST_HEAD(&obj->node);
	obj->seq = seq;
	obj->handle = handle;
	obj->dmabuf = dmabuf;
	obj->size = dmabuf->size;
	obj->ns_mnt = mntget(ps_current_ns());
	kref_get(&sess->ref);
	obj->exporter = sess;
	obj->user = user;
	obj->pid = get_pid(task_tgid(current));
	obj->pid_nr = task_tgid_nr(current);
	cred = current_cred();
	obj->uid = cred->euid;
	obj->gid = cred->egid;
	obj->mode = arg.mode ?: PRIMESHARE_MODE_DEFAULT;
	obj->lifetime = arg.flags;
	obj->metadata_size = arg.metadata_size;
	obj->created_ns = ktime_get_boottime_ns();
	get_task_comm(obj->comm, current);
	if (obj->lifetime & PRIMESHARE_EXPORT_REFCOUNTED) {
		obj->holders = 1;
		atomic_long_inc(&ps_stats.holds);
	} else {
		spin_lock(&sess->lock);
		list_add_tail(&obj->node, &sess->exports);
		spin_unlock(&sess->lock);
	}

	/* Publish. The slot is reserved, so this cannot fail. */
	xa_store(&ps_handles, seq, obj, GFP_KERNEL);
	atomic64_inc(&ps_stats.exports);
	return 0;

err_holds:
	if (arg.flags & PRIMESHARE_EXPORT_REFCOUNTED) {
		mutex_lock(&sess->holds_lock);
		xa_erase(&sess->holds, seq);
		mutex_unlock(&sess->holds_lock);
	}
err_release:
	xa_release(&ps_handles, seq);
err_free:
	kfree(obj->metadata);
	kmem_cache_free(ps_handle_cache, obj);
err_uncharge:
	ps_uncharge(sess, user);
err_dmabuf:
	dma_buf_put(dmabuf);
	return ret;
}

/*
 * Take one more hold of @sess on @seq, in two steps so that the commit
 * cannot fail: reserve the entry (may allocate), then store the count.
 * Called with holds_lock held.
 */
static int ps_hold_reserve(struct ps_session *sess, unsigned long seq,
			   unsigned long *count)
{
	void *entry = xa_load(&sess->holds, seq);

	*count = entry ? xa_to_value(entry) : 0;
	if (*count)
		return 0;
	return xa_reserve(&sess->holds, seq, GFP_KERNEL_ACCOUNT);
}

int ps_ioctl_import(struct ps_session *sess, void __user *uarg, size_t usize)
{
	struct primeshare_import arg;
	unsigned long holds = 0;
	struct ps_handle *obj;
	bool hold, end = false;
	int fd, ret;

	ret = ps_copy_in(&arg, sizeof(arg), sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	if ((arg.flags & ~PRIMESHARE_IMPORT_FLAGS) || arg.__pad)
		return -EINVAL;
	hold = arg.flags & PRIMESHARE_IMPORT_HOLD;

	obj = ps_lookup(arg.handle);
	if (!obj)
		return -ENOENT;
	if (!ps_may_access(obj)) {
		ret = -EACCES;
		goto out;
	}
	if (hold && obj->lifetime != PRIMESHARE_EXPORT_REFCOUNTED) {
		ret = -EINVAL;
		goto out;
	}

	arg.fd = -1;
	arg.size = obj->size;
	if (arg.metadata && arg.metadata_size < obj->metadata_size) {
		arg.metadata_size = obj->metadata_size;
		ret = ps_copy_out(uarg, usize, &arg, sizeof(arg)) ?: -ERANGE;
		goto out;
	}
	arg.metadata_size = obj->metadata_size;

	fd = get_unused_fd_flags(arg.flags & PRIMESHARE_IMPORT_CLOEXEC ?
				 O_CLOEXEC : 0);
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	if (arg.metadata && obj->metadata_size &&
	    copy_to_user(u64_to_user_ptr(arg.metadata), obj->metadata,
			 obj->metadata_size)) {
		ret = -EFAULT;
		goto out_fd;
	}
	arg.fd = fd;
	ret = ps_copy_out(uarg, usize, &arg, sizeof(arg));
	if (ret)
		goto out_fd;

	if (hold) {
		mutex_lock(&sess->holds_lock);
		ret = ps_hold_reserve(sess, obj->seq, &holds);
		if (ret)
			goto out_unlock;
	}

	/*
	 * Commit: from here on nothing fails but a concurrent end or a hold
	 * count at its limit.
	 */
	spin_lock(&obj->lock);
	if (obj->dead || (hold && obj->holders == U32_MAX)) {
		ret = obj->dead ? -ENOENT : -EOVERFLOW;
		spin_unlock(&obj->lock);
		if (hold && !holds)
			xa_release(&sess->holds, obj->seq);
		goto out_unlock;
	}
	/* A count for QUERY only: it stops at its maximum. */
	if (obj->imports != U32_MAX)
		obj->imports++;
	if (hold)
		obj->holders++;
	if (obj->lifetime == PRIMESHARE_EXPORT_ONESHOT) {
		WRITE_ONCE(obj->dead, true);
		end = true;
	}
	spin_unlock(&obj->lock);

	if (hold) {
		xa_store(&sess->holds, obj->seq, xa_mk_value(holds + 1),
			 GFP_KERNEL);
		mutex_unlock(&sess->holds_lock);
		atomic_long_inc(&ps_stats.holds);
	}
	get_dma_buf(obj->dmabuf);
	fd_install(fd, obj->dmabuf->file);
	atomic64_inc(&ps_stats.imports);
	if (end)
		ps_handle_end(obj);
	ps_handle_put(obj);
	return 0;

out_unlock:
	if (hold)
		mutex_unlock(&sess->holds_lock);
	/*
	 * The structure went out with the number of an fd that is now given
	 * back: take it back too, so that a caller that closes arg.fd on
	 * failure cannot close a file it opened later.  If that write
	 * faults, EFAULT says so.
	 */
	ret = put_user(-1, &((struct primeshare_import __user *)uarg)->fd) ?:
	      ret;
out_fd:
	put_unused_fd(fd);
out:
	ps_handle_put(obj);
	return ret;
}

/*
 * End a handle for its owner or an administrator, whatever its lifetime.
 * Sessions may still list holds on it; they find it gone and skip them.
 */
static int ps_force_end(struct ps_handle *obj)
{
	unsigned long holds;

	if (!uid_eq(current_euid(), obj->uid) &&
	    !ns_capable(current->nsproxy->ipc_ns->user_ns, CAP_SYS_ADMIN))
		return -EPERM;

	spin_lock(&obj->lock);
	if (obj->dead) {
		spin_unlock(&obj->lock);
		return -ENOENT;
	}
	WRITE_ONCE(obj->dead, true);
	holds = obj->holders;
	obj->holders = 0;
	spin_unlock(&obj->lock);

	atomic_long_sub(holds, &ps_stats.holds);
	ps_handle_end(obj);
	return 0;
}

int ps_ioctl_release(struct ps_session *sess, void __user *uarg, size_t usize)
{
	struct primeshare_release arg;
	struct ps_handle *obj;
	unsigned long holds;
	void *entry;
	int ret;

	ret = ps_copy_in(&arg, sizeof(arg), sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	if ((arg.flags & ~PRIMESHARE_RELEASE_FLAGS) || arg.__pad)
		return -EINVAL;

	obj = ps_lookup(arg.handle);
	if (!obj)
		return -ENOENT;

	ret = 0;
	if (arg.flags & PRIMESHARE_RELEASE_FORCE) {
		ret = ps_force_end(obj);
	} else if (obj->lifetime == PRIMESHARE_EXPORT_REFCOUNTED) {
		mutex_lock(&sess->holds_lock);
		entry = xa_load(&sess->holds, obj->seq);
		holds = entry ? xa_to_value(entry) : 0;
		if (holds > 1)
			xa_store(&sess->holds, obj->seq, xa_mk_value(holds - 1),
				 GFP_KERNEL);
		else if (holds)
			xa_erase(&sess->holds, obj->seq);
		mutex_unlock(&sess->holds_lock);
		if (holds)
			ps_drop_holds(obj, 1);
		else
			ret = -EPERM;
	} else if (obj->exporter != sess) {
		ret = -EPERM;
	} else if (ps_mark_dead(obj)) {
		ps_handle_end(obj);
	} else {
		ret = -ENOENT;
	}
	ps_handle_put(obj);
	return ret;
}

int ps_ioctl_query(struct ps_session *sess, void __user *uarg, size_t usize)
{
	struct user_namespace *ns = current_user_ns();
	struct primeshare_query arg;
	struct ps_handle *obj;
	bool dead;
	int ret;

	ret = ps_copy_in(&arg, sizeof(arg), sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	if (arg.flags || arg.__pad)
		return -EINVAL;

	obj = ps_lookup(arg.handle);
	if (!obj)
		return -ENOENT;
	if (!ps_may_access(obj)) {
		ret = -EACCES;
		goto out;
	}

	memset(&arg, 0, sizeof(arg));
	arg.handle = obj->handle;
	spin_lock(&obj->lock);
	dead = obj->dead;
	arg.imports = obj->imports;
	arg.holders = obj->holders;
	spin_unlock(&obj->lock);
	if (dead) {
		ret = -ENOENT;
		goto out;
	}
	arg.mode = obj->mode;
	arg.size = obj->size;
	arg.uid = from_kuid_munged(ns, obj->uid);
	arg.gid = from_kgid_munged(ns, obj->gid);
	arg.lifetime = obj->lifetime;
	arg.metadata_size = obj->metadata_size;
	rcu_read_lock();
	if (pid_has_task(obj->pid, PIDTYPE_TGID))
		arg.exporter_pid = pid_vnr(obj->pid);
	rcu_read_unlock();
	arg.age_ns = ktime_get_boottime_ns() - obj->created_ns;
	memcpy(arg.exporter_comm, obj->comm, sizeof(arg.exporter_comm));
	ret = ps_copy_out(uarg, usize, &arg, sizeof(arg));
out:
	ps_handle_put(obj);
	return ret;
}

/* Entries visited between two RCU sections of a LIST walk. */
#define PS_LIST_BATCH 256

int ps_ioctl_list(struct ps_session *sess, void __user *uarg, size_t usize)
{
	struct vfsmount *ns_mnt = ps_current_ns();
	struct primeshare_list arg;
	struct ps_handle *obj;
	unsigned long index;
	unsigned int n = 0, visited = 0;
	u64 start = 0;
	bool cap;
	u64 *buf;
	int ret;

	ret = ps_copy_in(&arg, sizeof(arg), sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	if (arg.flags || !arg.count || arg.count > PRIMESHARE_LIST_MAX)
		return -EINVAL;
	/*
	 * The cursor is the last handle returned, not a sequence number:
	 * sequence numbers never leave the module, so callers cannot pair
	 * them with handles.  ps_next_seq is the last number issued.
	 */
	if (arg.cursor) {
		start = ps_handle_to_seq(arg.cursor);
		if (start >= (u64)atomic64_read(&ps_next_seq) ||
		    start >= ULONG_MAX)
			goto done;
		start++;
	}

	buf = kvmalloc_array(arg.count, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	cap = ns_capable_noaudit(current->nsproxy->ipc_ns->user_ns,
				 CAP_SYS_ADMIN);

	rcu_read_lock();
	xa_for_each_start(&ps_handles, index, obj, start) {
		if (!READ_ONCE(obj->dead) && obj->ns_mnt == ns_mnt &&
		    (cap || ps_mode_allows(obj))) {
			buf[n++] = obj->handle;
			arg.cursor = obj->handle;
			if (n == arg.count)
				break;
		}
		if (++visited % PS_LIST_BATCH == 0) {
			/* The walk resumes by index; nothing is held. */
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
	}
	rcu_read_unlock();

	if (n && copy_to_user(u64_to_user_ptr(arg.handles), buf,
			      n * sizeof(*buf)))
		ret = -EFAULT;
	kvfree(buf);
	if (ret)
		return ret;
done:
	arg.count = n;
	return ps_copy_out(uarg, usize, &arg, sizeof(arg));
}

int ps_handle_init(void)
{
	int ret;

	/* The key must not come from a pool that is not seeded yet. */
	ret = get_random_bytes_wait(&ps_key, sizeof(ps_key));
	if (ret)
		return ret;
	ps_handle_cache = KMEM_CACHE(ps_handle, SLAB_ACCOUNT);
	if (!ps_handle_cache)
		return -ENOMEM;
	return 0;
}

void ps_handle_exit(void)
{
	/* Every session is closed, so every handle has ended. */
	WARN_ON(!xa_empty(&ps_handles));
	rcu_barrier();
	kmem_cache_destroy(ps_handle_cache);
}
