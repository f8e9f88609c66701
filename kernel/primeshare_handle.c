// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
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
 * Hold records of a refcounted handle end with it.  The dma-buf reference
 * goes with the last memory reference; the memory itself after an RCU
 * grace period.  File descriptors imported earlier hold their own
 * references to the dma-buf and are not affected.
 *
 * Locks, outermost first: a handle's import_lock (oneshot imports), a
 * session's holds_lock, a handle's lock, a session's lock.  A keyed
 * mutex's lock (primeshare_keyed_mutex.c) nests outside a session's lock
 * and is never taken with a handle's lock held.  The limits'
 * lock (primeshare_limits.c) is a leaf: it is taken with no spinlock of
 * ours held (a holds_lock may be).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/dma-buf.h>
#include <linux/file.h>
#include <linux/highmem.h>
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

#if IS_ENABLED(CONFIG_IPC_NS) && !IS_ENABLED(CONFIG_POSIX_MQUEUE) && \
	!defined(PRIMESHARE_HAVE_PUT_IPC_NS)
#error "primeshare needs CONFIG_POSIX_MQUEUE when CONFIG_IPC_NS is set"
#endif

/* The most holds a refcounted handle can have, summed over sessions. */

struct ps_stats ps_stats;
DEFINE_XARRAY(ps_handles);

static struct kmem_cache *ps_handle_cache;
static siphash_key_t ps_feistel_key __read_mostly;
static atomic64_t ps_next_seq = ATOMIC64_INIT(0);

#define PS_FEISTEL_ROUNDS 8

static u32 ps_round(u32 half, unsigned int round)
{
	return (u32)siphash_2u32(half, round, &ps_feistel_key);
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

/*
 * The IPC namespace of a handle.  Where put_ipc_ns() is exported (6.12
 * does, 6.1 does not) a handle pins the namespace itself.  Before, the namespace cannot
 * be pinned from a module, and a handle pins its POSIX message queue mount
 * instead, which exists for every IPC namespace from its creation to its
 * end, so that the pointer cannot be reused by a later namespace while the
 * handle exists.
 */
#ifdef PRIMESHARE_HAVE_PUT_IPC_NS
static void *ps_current_ns(void)
{
	return current->nsproxy->ipc_ns;
}

static void *ps_ipc_ns_get(void)
{
	return get_ipc_ns(current->nsproxy->ipc_ns);
}

static void ps_ipc_ns_put(void *ns)
{
	put_ipc_ns(ns);
}
#else
static void *ps_current_ns(void)
{
	return current->nsproxy->ipc_ns->mq_mnt;
}

static void *ps_ipc_ns_get(void)
{
	return mntget(current->nsproxy->ipc_ns->mq_mnt);
}

static void ps_ipc_ns_put(void *ns)
{
	mntput(ns);
}
#endif

/* The user namespace whose capabilities apply to the caller's handles. */
static struct user_namespace *ps_ipc_user_ns(void)
{
	return current->nsproxy->ipc_ns->user_ns;
}

/*
 * User memory pinned for writing: the pages of at most PAGE_SIZE bytes at
 * @addr, written through the kernel's mapping, which cannot fault.  Used
 * where a write must not fail after a descriptor is installed.
 */
struct ps_upin {
	struct page *pages[2];
	unsigned long addr;
	size_t len;
	int n;
};

static int ps_upin_get(struct ps_upin *u, const void __user *uptr, size_t len)
{
	unsigned long addr = (unsigned long)uptr;
	int ret;

	u->addr = addr;
	u->len = len;
	u->n = DIV_ROUND_UP(offset_in_page(addr) + len, PAGE_SIZE);
	if (WARN_ON_ONCE(len > PAGE_SIZE))
		return -EINVAL;
	ret = pin_user_pages_fast(addr & PAGE_MASK, u->n, FOLL_WRITE, u->pages);
	if (ret == u->n)
		return 0;
	if (ret > 0)
		unpin_user_pages(u->pages, ret);
	u->n = 0;
	return -EFAULT;
}

/* Write @src to the whole pinned range; memcpy_to_page() flushes caches. */
static void ps_upin_write(struct ps_upin *u, const void *src)
{
	size_t head = min_t(size_t, u->len, PAGE_SIZE - offset_in_page(u->addr));

	memcpy_to_page(u->pages[0], offset_in_page(u->addr), src, head);
	if (head < u->len)
		memcpy_to_page(u->pages[1], 0, src + head, u->len - head);
}

static void ps_upin_put(struct ps_upin *u, bool written)
{
	if (u->n)
		unpin_user_pages_dirty_lock(u->pages, u->n, written);
	u->n = 0;
}

/*
 * Install @file as a new descriptor through the kernel's receive path, so
 * that security_file_receive() lets an LSM refuse it.
 */
static int ps_receive(struct file *file, unsigned int o_flags)
{
#ifdef PRIMESHARE_RECEIVE_FD_UFD
	return receive_fd(file, NULL, o_flags);
#else
	return receive_fd(file, o_flags);
#endif
}

/*
 * Install @file and write its number to *@ufd.  Nothing can fail once the
 * descriptor is visible.
 */
#ifdef PRIMESHARE_RECEIVE_FD_UFD
static int ps_install_fd(struct file *file, int __user *ufd,
			 unsigned int o_flags)
{
	/* Writes the number before it installs the descriptor. */
	return receive_fd(file, ufd, o_flags);
}
#else
/*
 * This kernel's receive_fd() installs at once and cannot write the number
 * first, so the memory of *@ufd is pinned beforehand and written after.
 */
static int ps_install_fd(struct file *file, int __user *ufd,
			 unsigned int o_flags)
{
	struct ps_upin u;
	int fd, ret;

	ret = ps_upin_get(&u, ufd, sizeof(*ufd));
	if (ret)
		return ret;
	fd = ps_receive(file, o_flags);
	if (fd >= 0)
		ps_upin_write(&u, &fd);
	ps_upin_put(&u, fd >= 0);
	return fd;
}
#endif

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

static void ps_session_put(struct ps_session *sess)
{
	kref_put(&sess->ref, ps_session_free);
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
	ps_ipc_ns_put(obj->ns);
	put_pid(obj->pid);
	kfree(obj->metadata);
	ps_km_free(obj->km);
	mutex_destroy(&obj->import_lock);
	ps_session_put(obj->exporter);
	call_rcu(&obj->rcu, ps_handle_free_rcu);
}

void ps_handle_put(struct ps_handle *obj)
{
	kref_put(&obj->ref, ps_handle_free);
}

/*
 * Find a live handle of the caller's IPC namespace and take a reference.
 * A handle of another namespace does not exist for the caller.
 */
struct ps_handle *ps_lookup(u64 handle)
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
	if (obj && (READ_ONCE(obj->dead) || obj->ns != ps_current_ns() ||
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
 * As for SysV IPC objects, CAP_IPC_OWNER in the user namespace that owns
 * the caller's IPC namespace, which is the handle's, overrides the mode.
 * The capability is checked without an audit record first, so that an
 * ordinary user refused by the mode leaves none; a use of it is audited.
 */
bool ps_may_access(const struct ps_handle *obj)
{
	struct user_namespace *ns = ps_ipc_user_ns();

	return ps_mode_allows(obj) ||
	       (ns_capable_noaudit(ns, CAP_IPC_OWNER) &&
		ns_capable(ns, CAP_IPC_OWNER));
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

static void ps_handle_amount(const struct ps_handle *obj,
			     unsigned long amount[PS_ACCT_NR])
{
	amount[PS_ACCT_HANDLES] = 1;
	amount[PS_ACCT_METADATA] = obj->metadata_size;
	amount[PS_ACCT_HOLDS] = 0;
	amount[PS_ACCT_KEYED_MUTEXES] = !!obj->km;
}

/* Give back what ps_handle_charge() took. */
static void ps_handle_uncharge(struct ps_handle *obj)
{
	unsigned long amount[PS_ACCT_NR];

	ps_handle_amount(obj, amount);
	ps_acct_uncharge(obj->acct_ns, obj->acct_uid, amount);
	atomic_dec(&obj->exporter->nr_exports);
	atomic_dec(&ps_stats.handles);
	if (obj->km)
		atomic_dec(&ps_stats.keyed_mutexes);
}

/* Called once per handle, by the caller for whom ps_mark_dead() was true. */
static void ps_handle_end(struct ps_handle *obj)
{
	struct ps_session *exp = obj->exporter;

	xa_erase(&ps_handles, obj->seq);
	spin_lock(&exp->lock);
	list_del_init(&obj->node);
	spin_unlock(&exp->lock);
	ps_km_end(obj->km);
	ps_handle_uncharge(obj);
	atomic64_inc(&ps_stats.ended);
	ps_handle_put(obj);
}

static const unsigned long ps_hold_amount[PS_ACCT_NR] = {
	[PS_ACCT_HOLDS] = 1,
};

/*
 * A hold record of @sess for @obj with no holds yet, charged to the caller
 * and stored in the session.  Called with @sess's holds_lock held.
 */
static struct ps_hold *ps_hold_new(struct ps_session *sess,
				   struct ps_handle *obj)
{
	const struct cred *cred = current_cred();
	struct ps_hold *hold;
	int ret;

	ret = ps_acct_charge(cred->user_ns, cred->uid, ps_hold_amount);
	if (ret)
		return ERR_PTR(ret);
	hold = kzalloc(sizeof(*hold), GFP_KERNEL_ACCOUNT);
	if (!hold) {
		ret = -ENOMEM;
		goto err_uncharge;
	}
	ret = xa_insert(&sess->holds, obj->seq, hold, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto err_free;
	INIT_LIST_HEAD(&hold->node);
	kref_get(&obj->ref);
	hold->obj = obj;
	kref_get(&sess->ref);
	hold->sess = sess;
	hold->acct_ns = cred->user_ns;
	hold->acct_uid = cred->uid;
	return hold;

err_free:
	kfree(hold);
err_uncharge:
	ps_acct_uncharge(cred->user_ns, cred->uid, ps_hold_amount);
	return ERR_PTR(ret);
}

/* Free a record that is in neither its session nor its handle any more. */
static void ps_hold_free(struct ps_hold *hold)
{
	ps_acct_uncharge(hold->acct_ns, hold->acct_uid, ps_hold_amount);
	ps_handle_put(hold->obj);
	ps_session_put(hold->sess);
	kfree(hold);
}

/*
 * Add one hold of @sess on the refcounted handle @obj.  0, or -ENOENT (the
 * handle ended), -EOVERFLOW (max_holds_per_handle), -ENOSPC (the caller's limit of
 * hold records), -ENOMEM.
 */
static int ps_hold_add(struct ps_session *sess, struct ps_handle *obj)
{
	unsigned int max = min(READ_ONCE(ps_max_holds_per_handle), PS_MAX_HOLDS);
	struct ps_hold *hold;
	bool new = false;
	int ret = 0;

	mutex_lock(&sess->holds_lock);
	hold = xa_load(&sess->holds, obj->seq);
	if (!hold) {
		hold = ps_hold_new(sess, obj);
		if (IS_ERR(hold)) {
			mutex_unlock(&sess->holds_lock);
			return PTR_ERR(hold);
		}
		new = true;
	}

	spin_lock(&obj->lock);
	if (obj->dead) {
		ret = -ENOENT;
	} else if (obj->holders >= max) {
		ret = -EOVERFLOW;
	} else {
		obj->holders++;
		hold->count++;
		if (new)
			list_add_tail(&hold->node, &obj->holds);
	}
	spin_unlock(&obj->lock);

	if (ret && new)
		xa_erase(&sess->holds, obj->seq);
	mutex_unlock(&sess->holds_lock);
	if (ret && new)
		ps_hold_free(hold);
	if (!ret)
		atomic_long_inc(&ps_stats.holds);
	return ret;
}

/*
 * Drop one hold of @sess on @obj; the last hold of the handle ends it.
 * 0, -EPERM (@sess holds none) or -ENOENT (the handle was force-ended).
 */
static int ps_hold_drop(struct ps_session *sess, struct ps_handle *obj)
{
	bool end = false, last = false;
	struct ps_hold *hold;
	int ret = 0;

	mutex_lock(&sess->holds_lock);
	hold = xa_load(&sess->holds, obj->seq);
	if (!hold) {
		mutex_unlock(&sess->holds_lock);
		/* A force end may have taken the record since the lookup. */
		return READ_ONCE(obj->dead) ? -ENOENT : -EPERM;
	}

	spin_lock(&obj->lock);
	if (obj->dead) {
		/* Force-ended: ps_force_end() has the record and frees it. */
		ret = -ENOENT;
	} else {
		obj->holders--;
		last = !--hold->count;
		if (last)
			list_del_init(&hold->node);
		if (!obj->holders) {
			WRITE_ONCE(obj->dead, true);
			end = true;
		}
	}
	spin_unlock(&obj->lock);

	if (last)
		xa_erase(&sess->holds, obj->seq);
	mutex_unlock(&sess->holds_lock);
	if (ret)
		return ret;
	atomic_long_dec(&ps_stats.holds);
	if (last)
		ps_hold_free(hold);
	if (end)
		ps_handle_end(obj);
	return 0;
}

struct ps_session *ps_session_new(void)
{
	struct ps_session *sess;

	sess = kzalloc(sizeof(*sess), GFP_KERNEL_ACCOUNT);
	if (!sess)
		return NULL;
	sess->user_ns = ps_ns_session_get();
	if (IS_ERR(sess->user_ns)) {
		kfree(sess);
		return NULL;
	}
	kref_init(&sess->ref);
	spin_lock_init(&sess->lock);
	INIT_LIST_HEAD(&sess->exports);
	INIT_LIST_HEAD(&sess->km_held);
	mutex_init(&sess->holds_lock);
	xa_init(&sess->holds);
	atomic_inc(&ps_stats.sessions);
	return sess;
}

/* Drop every hold record of a closing session. */
static void ps_session_drop_holds(struct ps_session *sess)
{
	struct ps_handle *obj;
	struct ps_hold *hold;
	unsigned long seq;
	bool end, ended;
	u32 count;

	for (;;) {
		seq = 0;
		mutex_lock(&sess->holds_lock);
		hold = xa_find(&sess->holds, &seq, ULONG_MAX, XA_PRESENT);
		if (!hold) {
			mutex_unlock(&sess->holds_lock);
			break;
		}
		xa_erase(&sess->holds, seq);

		/*
		 * Under holds_lock still: ps_force_end() frees a record it
		 * took only after finding it gone from here, under this lock.
		 */
		obj = hold->obj;
		end = false;
		spin_lock(&obj->lock);
		ended = obj->dead;
		count = hold->count;
		if (!ended) {
			list_del_init(&hold->node);
			obj->holders -= count;
			if (!obj->holders) {
				WRITE_ONCE(obj->dead, true);
				end = true;
			}
		}
		spin_unlock(&obj->lock);
		mutex_unlock(&sess->holds_lock);
		/* A record the handle's force end took is freed there. */
		if (!ended) {
			atomic_long_sub(count, &ps_stats.holds);
			if (end)
				ps_handle_end(obj);
			ps_hold_free(hold);
		}
		cond_resched();
	}
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

	ps_km_session_close(sess);
	ps_session_drop_holds(sess);

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
		cond_resched();
	}

	ps_ns_session_put(sess->user_ns);
	atomic_dec(&ps_stats.sessions);
	ps_session_put(sess);
}

/*
 * The system-wide limit.  Its last ps_reserved_handles handles are for
 * CAP_SYS_ADMIN in the initial user namespace, so that whatever users do,
 * an administrator can still export (and see why the others cannot).
 */
static int ps_charge_global(void)
{
	unsigned int max = READ_ONCE(ps_max_handles);
	unsigned int reserved = min(READ_ONCE(ps_reserved_handles), max);
	unsigned int n = atomic_inc_return(&ps_stats.handles);

	if (n <= max - reserved ||
	    (n <= max && ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN)))
		return 0;
	atomic_dec(&ps_stats.handles);
	return -ENOSPC;
}

/*
 * Charge a new handle to the system, the session, and the exporter's real
 * uid in its user namespace and every namespace above (primeshare_limits.c).
 * Limits are read at each export, so lowering one at run time stops new
 * exports without touching live handles.
 */
static int ps_handle_charge(struct ps_session *sess, struct ps_handle *obj)
{
	unsigned int max_session = READ_ONCE(ps_max_handles_per_session);
	const struct cred *cred = current_cred();
	unsigned long amount[PS_ACCT_NR];
	int ret;

	/*
	 * The system's count last, so that a user at its own limit does not
	 * make others fail near the system's.
	 */
	if ((unsigned int)atomic_inc_return(&sess->nr_exports) > max_session) {
		ret = -ENOSPC;
		goto err_session;
	}
	ps_handle_amount(obj, amount);
	ret = ps_acct_charge(cred->user_ns, cred->uid, amount);
	if (ret)
		goto err_session;
	ret = ps_charge_global();
	if (ret)
		goto err_user;
	obj->acct_ns = cred->user_ns;
	obj->acct_uid = cred->uid;
	if (obj->km)
		atomic_inc(&ps_stats.keyed_mutexes);
	/* Publishing takes the session's reference; uncharging needs it. */
	obj->exporter = sess;
	return 0;

err_user:
	ps_acct_uncharge(cred->user_ns, cred->uid, amount);
err_session:
	atomic_dec(&sess->nr_exports);
	return ret;
}

/* A new handle for @arg's dma-buf and metadata, not yet charged. */
static struct ps_handle *ps_handle_new(const struct primeshare_export *arg)
{
	struct ps_handle *obj;
	int ret;

	/* The handle is the exporter's: its memory cgroup pays for it. */
	obj = kmem_cache_zalloc(ps_handle_cache, GFP_KERNEL);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	/* The reference that becomes the registry's at publishing. */
	kref_init(&obj->ref);
	spin_lock_init(&obj->lock);
	INIT_LIST_HEAD(&obj->holds);
	mutex_init(&obj->import_lock);
	INIT_LIST_HEAD(&obj->node);
	obj->dmabuf = dma_buf_get(arg->fd);
	if (IS_ERR(obj->dmabuf)) {
		ret = PTR_ERR(obj->dmabuf);
		goto err_free;
	}
	/*
	 * Not memdup_user(): its allocation is not charged to the caller's
	 * memory cgroup.
	 */
	if (arg->metadata_size) {
		ret = -ENOMEM;
		obj->metadata = kmalloc(arg->metadata_size, GFP_KERNEL_ACCOUNT);
		if (!obj->metadata)
			goto err_put;
		ret = -EFAULT;
		if (copy_from_user(obj->metadata, u64_to_user_ptr(arg->metadata),
				   arg->metadata_size))
			goto err_put;
	}
	if (arg->flags & PRIMESHARE_EXPORT_KEYED_MUTEX) {
		ret = -ENOMEM;
		obj->km = ps_km_new(obj);
		if (!obj->km)
			goto err_put;
	}
	obj->metadata_size = arg->metadata_size;
	obj->size = obj->dmabuf->size;
	obj->mode = arg->mode ?: PRIMESHARE_MODE_DEFAULT;
	obj->lifetime = arg->flags & PRIMESHARE_EXPORT_LIFETIMES;
	return obj;

err_put:
	kfree(obj->metadata);
	dma_buf_put(obj->dmabuf);
err_free:
	mutex_destroy(&obj->import_lock);
	kmem_cache_free(ps_handle_cache, obj);
	return ERR_PTR(ret);
}

/* Free a handle that was never published (nor charged). */
static void ps_handle_discard(struct ps_handle *obj)
{
	ps_km_free(obj->km);
	kfree(obj->metadata);
	dma_buf_put(obj->dmabuf);
	mutex_destroy(&obj->import_lock);
	kmem_cache_free(ps_handle_cache, obj);
}

/*
 * Give @obj its sequence number and handle and reserve its registry slot:
 * the last steps that may fail, so that publishing cannot.
 */
static int ps_handle_number(struct ps_handle *obj)
{
	u64 seq, handle;

	/* A sequence number whose handle would be 0 is skipped. */
	do {
		seq = atomic64_inc_return(&ps_next_seq);
		handle = ps_seq_to_handle(seq);
	} while (!handle);
	if ((unsigned long)seq != seq)
		return -ENOSPC;
	obj->seq = seq;
	obj->handle = handle;
	/*
	 * Registry nodes are shared by every exporter: not charged to the
	 * memory cgroup of the one that happened to allocate them.
	 */
	return xa_reserve(&ps_handles, seq, GFP_KERNEL);
}

/* Fill in what the handle takes from the exporter, then publish it. */
static void ps_handle_publish(struct ps_session *sess, struct ps_handle *obj,
			      struct ps_hold *hold)
{
	const struct cred *cred = current_cred();
	void *old;

	obj->ns = ps_ipc_ns_get();
	kref_get(&sess->ref);
	obj->pid = get_pid(task_tgid(current));
	obj->pid_nr = task_tgid_nr(current);
	obj->uid = cred->euid;
	obj->gid = cred->egid;
	obj->created_ns = ktime_get_boottime_ns();
	get_task_comm(obj->comm, current);
	if (hold) {
		obj->holders = 1;
		hold->count = 1;
		list_add_tail(&hold->node, &obj->holds);
		atomic_long_inc(&ps_stats.holds);
	} else {
		spin_lock(&sess->lock);
		list_add_tail(&obj->node, &sess->exports);
		spin_unlock(&sess->lock);
	}

	/* The slot is reserved: storing into it allocates nothing. */
	old = xa_store(&ps_handles, obj->seq, obj, GFP_KERNEL);
	WARN_ON_ONCE(xa_is_err(old));
	atomic64_inc(&ps_stats.exports);
}

static int ps_export_check(const struct primeshare_export *arg)
{
	if ((arg->flags & ~PRIMESHARE_EXPORT_FLAGS) ||
	    (arg->flags & PRIMESHARE_EXPORT_LIFETIMES) ==
	    PRIMESHARE_EXPORT_LIFETIMES ||
	    /* The import that ends a oneshot handle would end its mutex. */
	    ((arg->flags & PRIMESHARE_EXPORT_ONESHOT) &&
	     (arg->flags & PRIMESHARE_EXPORT_KEYED_MUTEX)) ||
	    (arg->mode & ~PRIMESHARE_MODE_MASK))
		return -EINVAL;
	if (arg->metadata_size > READ_ONCE(ps_max_metadata_size))
		return -E2BIG;
	return 0;
}

int ps_ioctl_export(struct ps_session *sess, void __user *uarg, size_t usize)
{
	struct primeshare_export arg;
	struct ps_hold *hold = NULL;
	struct ps_handle *obj;
	int ret;

	ret = ps_copy_in(&arg, sizeof(arg), sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	ret = ps_export_check(&arg);
	if (ret)
		return ret;

	obj = ps_handle_new(&arg);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	ret = ps_handle_charge(sess, obj);
	if (ret)
		goto err_discard;
	ret = ps_handle_number(obj);
	if (ret)
		goto err_uncharge;
	if (obj->lifetime == PRIMESHARE_EXPORT_REFCOUNTED) {
		mutex_lock(&sess->holds_lock);
		hold = ps_hold_new(sess, obj);
		mutex_unlock(&sess->holds_lock);
		if (IS_ERR(hold)) {
			ret = PTR_ERR(hold);
			goto err_release;
		}
	}

	arg.handle = obj->handle;
	ret = ps_copy_out(uarg, usize, &arg, sizeof(arg));
	if (ret)
		goto err_hold;

	ps_handle_publish(sess, obj, hold);
	return 0;

err_hold:
	if (hold) {
		mutex_lock(&sess->holds_lock);
		xa_erase(&sess->holds, obj->seq);
		mutex_unlock(&sess->holds_lock);
		/* Drops the record's reference; the handle keeps its first. */
		ps_hold_free(hold);
	}
err_release:
	xa_release(&ps_handles, obj->seq);
err_uncharge:
	ps_handle_uncharge(obj);
err_discard:
	ps_handle_discard(obj);
	return ret;
}

/*
 * Write the import's results but the descriptor to user space: size,
 * metadata and fd -1.  -ERANGE (after writing the structure) when the
 * caller's metadata buffer is too small.
 */
/*
 * Fill in the results an import writes back but the descriptor; true when
 * the caller's metadata buffer (if any) holds the handle's metadata.
 */
static bool ps_import_results(struct primeshare_import *arg,
			      const struct ps_handle *obj)
{
	bool fits = !arg->metadata || arg->metadata_size >= obj->metadata_size;

	arg->fd = -1;
	arg->size = obj->size;
	arg->metadata_size = obj->metadata_size;
	return fits;
}

static int ps_import_write(void __user *uarg, size_t usize,
			   struct primeshare_import *arg,
			   const struct ps_handle *obj)
{
	bool fits = ps_import_results(arg, obj);

	if (fits && arg->metadata && obj->metadata_size &&
	    copy_to_user(u64_to_user_ptr(arg->metadata), obj->metadata,
			 obj->metadata_size))
		return -EFAULT;
	return ps_copy_out(uarg, usize, arg, sizeof(*arg)) ?:
	       (fits ? 0 : -ERANGE);
}

/*
 * The import of an owned or refcounted handle, once it is found and the
 * caller allowed: write the results out, add the hold, install the
 * descriptor.
 */
static int ps_import_one(struct ps_session *sess, struct ps_handle *obj,
			 void __user *uarg, size_t usize,
			 struct primeshare_import *arg)
{
	struct primeshare_import __user *up = uarg;
	bool hold = arg->flags & PRIMESHARE_IMPORT_HOLD;
	int fd, ret;

	ret = ps_import_write(uarg, usize, arg, obj);
	if (ret)
		return ret;
	if (hold) {
		ret = ps_hold_add(sess, obj);
		if (ret)
			return ret;
	}
	fd = ps_install_fd(obj->dmabuf->file, &up->fd,
			   arg->flags & PRIMESHARE_IMPORT_CLOEXEC ?
			   O_CLOEXEC : 0);
	if (fd < 0) {
		if (hold)
			ps_hold_drop(sess, obj);
		return fd;
	}

	/* A count for QUERY only: it stops at its maximum. */
	spin_lock(&obj->lock);
	if (obj->imports != U32_MAX)
		obj->imports++;
	spin_unlock(&obj->lock);
	atomic64_inc(&ps_stats.imports);
	return 0;
}

/*
 * The import of a oneshot handle.  Its imports take turns under
 * import_lock, and only the one that ends the handle may see its contents:
 * the caller's structure and metadata buffer are pinned before the turn
 * (where faults happen, and a slow fault delays no other importer), the
 * descriptor is installed, and only then are they written, which cannot
 * fail.  A turn that finds the handle ended, or whose install fails,
 * writes nothing.
 */
static int ps_import_oneshot(struct ps_handle *obj, void __user *uarg,
			     struct primeshare_import *arg)
{
	/* The kernel's copy only: user memory is written in the turn. */
	bool fits = ps_import_results(arg, obj);
	bool md = fits && arg->metadata && obj->metadata_size;
	struct ps_upin ustruct, umd = { .n = 0 };
	int fd, ret;

	ret = ps_upin_get(&ustruct, uarg, sizeof(*arg));
	if (ret)
		return ret;
	if (md) {
		ret = ps_upin_get(&umd, u64_to_user_ptr(arg->metadata),
				  obj->metadata_size);
		if (ret)
			goto out_unpin;
	}
	ret = mutex_lock_killable(&obj->import_lock);
	if (ret)
		goto out_unpin;
	ret = -ENOENT;
	if (READ_ONCE(obj->dead))
		goto out_unlock;

	if (!fits) {
		ps_upin_write(&ustruct, arg);
		ret = -ERANGE;
		goto out_unlock;
	}
	fd = ps_receive(obj->dmabuf->file, arg->flags & PRIMESHARE_IMPORT_CLOEXEC ?
			O_CLOEXEC : 0);
	if (fd < 0) {
		ret = fd;
		goto out_unlock;
	}
	arg->fd = fd;
	if (md)
		ps_upin_write(&umd, obj->metadata);
	ps_upin_write(&ustruct, arg);
	ret = 0;

	spin_lock(&obj->lock);
	obj->imports++;
	spin_unlock(&obj->lock);
	atomic64_inc(&ps_stats.imports);
	if (ps_mark_dead(obj))
		ps_handle_end(obj);
out_unlock:
	mutex_unlock(&obj->import_lock);
out_unpin:
	ps_upin_put(&umd, !ret);
	ps_upin_put(&ustruct, !ret || ret == -ERANGE);
	return ret;
}

int ps_ioctl_import(struct ps_session *sess, void __user *uarg, size_t usize)
{
	struct primeshare_import arg;
	struct ps_handle *obj;
	int ret;

	ret = ps_copy_in(&arg, sizeof(arg), sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	if ((arg.flags & ~PRIMESHARE_IMPORT_FLAGS) || arg.__pad)
		return -EINVAL;

	obj = ps_lookup(arg.handle);
	if (!obj)
		return -ENOENT;
	ret = -EACCES;
	if (!ps_may_access(obj))
		goto out;
	ret = -EINVAL;
	if ((arg.flags & PRIMESHARE_IMPORT_HOLD) &&
	    obj->lifetime != PRIMESHARE_EXPORT_REFCOUNTED)
		goto out;

	if (obj->lifetime == PRIMESHARE_EXPORT_ONESHOT)
		ret = ps_import_oneshot(obj, uarg, &arg);
	else
		ret = ps_import_one(sess, obj, uarg, usize, &arg);
out:
	ps_handle_put(obj);
	return ret;
}

/*
 * End a handle for its owner or an administrator, whatever its lifetime,
 * with every hold record of it.  As for SysV IPC removal, the override is
 * CAP_SYS_ADMIN in the user namespace owning the handle's IPC namespace.
 */
static int ps_force_end(struct ps_handle *obj)
{
	struct ps_hold *hold, *tmp;
	struct ps_session *sess;
	LIST_HEAD(holds);
	u32 n;

	struct user_namespace *ns = ps_ipc_user_ns();

	/* As in ps_may_access(): only a use of the override is audited. */
	if (!uid_eq(current_euid(), obj->uid) &&
	    !(ns_capable_noaudit(ns, CAP_SYS_ADMIN) &&
	      ns_capable(ns, CAP_SYS_ADMIN)))
		return -EPERM;

	spin_lock(&obj->lock);
	if (obj->dead) {
		spin_unlock(&obj->lock);
		return -ENOENT;
	}
	WRITE_ONCE(obj->dead, true);
	n = obj->holders;
	obj->holders = 0;
	/* A dead handle's records are this function's to free. */
	list_splice_init(&obj->holds, &holds);
	spin_unlock(&obj->lock);

	atomic_long_sub(n, &ps_stats.holds);
	ps_handle_end(obj);

	list_for_each_entry_safe(hold, tmp, &holds, node) {
		sess = hold->sess;
		mutex_lock(&sess->holds_lock);
		/* A closing session may have taken it out already. */
		if (xa_load(&sess->holds, obj->seq) == hold)
			xa_erase(&sess->holds, obj->seq);
		mutex_unlock(&sess->holds_lock);
		list_del(&hold->node);
		ps_hold_free(hold);
		cond_resched();
	}
	return 0;
}

int ps_ioctl_release(struct ps_session *sess, void __user *uarg, size_t usize)
{
	struct primeshare_release arg;
	struct ps_handle *obj;
	int ret;

	ret = ps_copy_in(&arg, sizeof(arg), sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	if ((arg.flags & ~PRIMESHARE_RELEASE_FLAGS) || arg.__pad)
		return -EINVAL;

	obj = ps_lookup(arg.handle);
	if (!obj)
		return -ENOENT;

	if (arg.flags & PRIMESHARE_RELEASE_FORCE)
		ret = ps_force_end(obj);
	else if (obj->lifetime == PRIMESHARE_EXPORT_REFCOUNTED)
		ret = ps_hold_drop(sess, obj);
	else if (obj->exporter != sess)
		ret = -EPERM;
	else if (ps_mark_dead(obj))
		ps_handle_end(obj);
	else
		ret = -ENOENT;
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
	if (arg.flags || arg.attributes)
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
	arg.attributes = obj->km ? PRIMESHARE_EXPORT_KEYED_MUTEX : 0;
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
	void *ns = ps_current_ns();
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
	/* Listing is no use of the override: never audited. */
	cap = ns_capable_noaudit(ps_ipc_user_ns(), CAP_IPC_OWNER);

	rcu_read_lock();
	xa_for_each_start(&ps_handles, index, obj, start) {
		if (!READ_ONCE(obj->dead) && obj->ns == ns &&
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
	ret = get_random_bytes_wait(&ps_feistel_key, sizeof(ps_feistel_key));
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
	ps_acct_exit();
}
