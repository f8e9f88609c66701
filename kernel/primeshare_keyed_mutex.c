// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * primeshare: keyed mutexes.
 *
 * A handle exported with PRIMESHARE_EXPORT_KEYED_MUTEX carries a keyed
 * mutex, as a D3D11 resource made with D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX
 * does: free, key 0.  ACQUIRE(key) waits until the mutex is free and its
 * last release set that key, and takes it; RELEASE(key) frees it with that
 * key.  Keys pass the buffer from one party to the next without either
 * knowing the other.  A release may pass a fence (a sync_file) that
 * signals when the releaser's GPU work is done; the mutex keeps it and the
 * next acquire returns it as a new sync_file, so that GPU work is ordered
 * without a CPU wait.
 *
 * The holder is a session, as an OFD lock's owner is an open file: the
 * mutex is held until that session releases it or closes.  The release
 * finds the mutex through the session, so a holder that changed its
 * credentials or IPC namespace since, or passed the session on, still may.  A close while
 * holding abandons the mutex for good (the buffer's contents are whatever
 * the dead holder left), and every waiter and later acquirer learns it.
 * The handle's end ends the mutex too: waiters fail with ENOENT.
 *
 * Locks: a mutex's lock, then its holder session's lock (for the session's
 * list of held mutexes).  Neither is held while sleeping or allocating.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-fence.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/sync_file.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "uapi/primeshare.h"
#include "primeshare.h"

/**
 * struct ps_keyed_mutex - the keyed mutex of a handle
 * @lock: protects everything below but @wait.
 * @wait: acquirers waiting; woken at every release, abandonment and end.
 * @key: the key of the last release, 0 at export.
 * @holder: the holding session, or NULL while free.  A holder does not
 *	keep a reference to the session: it closes only after taking itself
 *	off every mutex it holds (ps_km_session_close()).
 * @node: entry in @holder's @km_held list, under @holder's lock.
 * @fence: the fence the last release passed in, or NULL (none, or it had
 *	signalled by then).
 * @takes: incremented by every take, so that an acquire failing after
 *	its take gives back its own hold only (ps_km_untake()).
 * @obj: the handle the mutex belongs to.
 * @abandoned: a holder closed its session while holding.
 * @ended: the handle has ended.
 */
struct ps_keyed_mutex {
	spinlock_t lock;	/* protects all but wait and obj */
	wait_queue_head_t wait;
	u64 key;
	struct ps_session *holder;
	struct list_head node;
	struct dma_fence *fence;
	u64 takes;
	struct ps_handle *obj;
	bool abandoned;
	bool ended;
};

/* The keyed mutex of the new handle @obj, free and with key 0. */
struct ps_keyed_mutex *ps_km_new(struct ps_handle *obj)
{
	struct ps_keyed_mutex *km;

	km = kzalloc(sizeof(*km), GFP_KERNEL_ACCOUNT);
	if (!km)
		return NULL;
	km->obj = obj;
	spin_lock_init(&km->lock);
	init_waitqueue_head(&km->wait);
	INIT_LIST_HEAD(&km->node);
	return km;
}

/* The handle's memory goes: nothing can reach the mutex any more. */
void ps_km_free(struct ps_keyed_mutex *km)
{
	if (!km)
		return;
	WARN_ON_ONCE(km->holder);
	dma_fence_put(km->fence);
	kfree(km);
}

/* Take @km off its holder's list; under @km's lock. */
static void ps_km_unhold(struct ps_keyed_mutex *km)
{
	struct ps_session *sess = km->holder;

	spin_lock(&sess->lock);
	list_del_init(&km->node);
	spin_unlock(&sess->lock);
	km->holder = NULL;
}

/*
 * The handle ended (once per handle): free the holder, fail the waiters,
 * and drop the fence now rather than with the handle's last reference.
 */
void ps_km_end(struct ps_keyed_mutex *km)
{
	struct dma_fence *fence;

	if (!km)
		return;
	spin_lock(&km->lock);
	km->ended = true;
	if (km->holder)
		ps_km_unhold(km);
	fence = km->fence;
	km->fence = NULL;
	spin_unlock(&km->lock);
	wake_up_all(&km->wait);
	dma_fence_put(fence);
}

/*
 * A closing session abandons every mutex it holds.  No ioctl of the
 * session runs any more, so the list only shrinks, by ps_km_end().
 */
void ps_km_session_close(struct ps_session *sess)
{
	struct ps_keyed_mutex *km;
	struct ps_handle *obj;
	struct dma_fence *fence;

	for (;;) {
		spin_lock(&sess->lock);
		km = list_first_entry_or_null(&sess->km_held,
					      struct ps_keyed_mutex, node);
		if (km) {
			/*
			 * On the list, so the handle has not ended and the
			 * registry's reference keeps it: ours is safe to take.
			 */
			obj = km->obj;
			kref_get(&obj->ref);
		}
		spin_unlock(&sess->lock);
		if (!km)
			break;

		fence = NULL;
		spin_lock(&km->lock);
		if (km->holder == sess) {
			ps_km_unhold(km);
			km->abandoned = true;
			fence = km->fence;
			km->fence = NULL;
			atomic64_inc(&ps_stats.km_abandoned);
		}
		spin_unlock(&km->lock);
		wake_up_all(&km->wait);
		dma_fence_put(fence);
		ps_handle_put(obj);
		cond_resched();
	}
}

/*
 * Take @km for @sess if it is free with @key: 0 with a reference to the
 * last release's fence in *@fence (or NULL) and the take's number in
 * *@take, -EAGAIN when it is not (yet), or the error that ends the wait.
 * Runs as the condition of the wait, so it only takes a spinlock.
 */
static int ps_km_take(struct ps_keyed_mutex *km, struct ps_session *sess,
		      u64 key, struct dma_fence **fence, u64 *take)
{
	int ret = 0;

	spin_lock(&km->lock);
	if (km->ended) {
		ret = -ENOENT;
	} else if (km->abandoned) {
		ret = -ENOTRECOVERABLE;
	} else if (km->holder == sess) {
		ret = -EDEADLK;
	} else if (km->holder || km->key != key) {
		ret = -EAGAIN;
	} else {
		km->holder = sess;
		spin_lock(&sess->lock);
		list_add_tail(&km->node, &sess->km_held);
		spin_unlock(&sess->lock);
		*fence = dma_fence_get(km->fence);
		*take = ++km->takes;
	}
	spin_unlock(&km->lock);
	return ret;
}

/* ps_km_take() as the condition of a wait: true when the wait is over. */
static bool ps_km_ready(struct ps_keyed_mutex *km, struct ps_session *sess,
			u64 key, struct dma_fence **fence, u64 *take, int *ret)
{
	*ret = ps_km_take(km, sess, key, fence, take);
	return *ret != -EAGAIN;
}

/*
 * Give back the hold of take @take, whose acquire failed after all.  The
 * session may have released it meanwhile from another thread, and taken
 * it again: then that later hold is not this call's to give back.
 */
static void ps_km_untake(struct ps_keyed_mutex *km, struct ps_session *sess,
			 u64 take)
{
	spin_lock(&km->lock);
	if (km->holder == sess && km->takes == take)
		ps_km_unhold(km);
	spin_unlock(&km->lock);
	wake_up_all(&km->wait);
}

/*
 * Wait for @km to be free with @key and take it.  The timeout is relative;
 * when a signal ends the wait, *@timeout_ns is set to what was left.
 */
static int ps_km_wait(struct ps_keyed_mutex *km, struct ps_session *sess,
		      u64 key, u64 *timeout_ns, struct dma_fence **fence,
		      u64 *take)
{
	ktime_t timeout, deadline = KTIME_MAX;
	ktime_t now;
	int ret = -EAGAIN, wret;

	/* A try is one look, with no timer. */
	if (!*timeout_ns) {
		ret = ps_km_take(km, sess, key, fence, take);
		return ret == -EAGAIN ? -ETIMEDOUT : ret;
	}
	now = ktime_get();
	if (*timeout_ns == PRIMESHARE_KM_INFINITE ||
	    *timeout_ns >= (u64)(KTIME_MAX - now)) {
		timeout = KTIME_MAX;
	} else {
		timeout = ns_to_ktime(*timeout_ns);
		deadline = ktime_add(now, timeout);
	}
	wret = wait_event_interruptible_hrtimeout(km->wait,
						  ps_km_ready(km, sess, key,
							      fence, take,
							      &ret),
						  timeout);
	if (wret == -ETIME)
		return -ETIMEDOUT;
	if (wret == -ERESTARTSYS) {
		if (deadline != KTIME_MAX)
			*timeout_ns = max_t(s64, 0,
					    ktime_to_ns(ktime_sub(deadline,
								  ktime_get())));
		return -ERESTARTSYS;
	}
	return ret;
}

/*
 * A new descriptor *@fd for a sync_file of @fence (which the call
 * consumes), reserved but not installed: *@file is for fd_install() once
 * nothing can fail any more.  *@fd is -1 and *@file NULL when there is no
 * fence to wait for.
 */
static int ps_km_fence_fd(struct dma_fence *fence, unsigned int o_flags,
			  int *fd, struct file **file)
{
	struct sync_file *sync;

	*fd = -1;
	*file = NULL;
	if (!fence || dma_fence_is_signaled(fence)) {
		dma_fence_put(fence);
		return 0;
	}
	sync = sync_file_create(fence);
	dma_fence_put(fence);
	if (!sync)
		return -ENOMEM;
	*fd = get_unused_fd_flags(o_flags);
	if (*fd < 0) {
		fput(sync->file);
		return *fd;
	}
	*file = sync->file;
	return 0;
}

/* The live handle @handle with a keyed mutex the caller may use. */
static struct ps_handle *ps_km_lookup(u64 handle)
{
	struct ps_handle *obj = ps_lookup(handle);

	if (!obj)
		return ERR_PTR(-ENOENT);
	if (!ps_may_access(obj)) {
		ps_handle_put(obj);
		return ERR_PTR(-EACCES);
	}
	if (!obj->km) {
		ps_handle_put(obj);
		return ERR_PTR(-EINVAL);
	}
	return obj;
}

int ps_ioctl_km_acquire(struct ps_session *sess, void __user *uarg,
			size_t usize)
{
	struct primeshare_km_acquire arg;
	struct dma_fence *fence = NULL;
	struct ps_handle *obj;
	struct file *file;
	u64 take = 0;
	int fd, ret;

	ret = ps_copy_in(&arg, sizeof(arg), sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	if (arg.flags & ~PRIMESHARE_KM_ACQUIRE_FLAGS)
		return -EINVAL;
	obj = ps_km_lookup(arg.handle);
	if (IS_ERR(obj))
		return PTR_ERR(obj);

	ret = ps_km_wait(obj->km, sess, arg.key, &arg.timeout_ns, &fence,
			 &take);
	if (ret == -ERESTARTSYS) {
		/* The time left, for the restart; fence_fd stays as it was. */
		if (ps_copy_out(uarg, usize, &arg, sizeof(arg)))
			ret = -EFAULT;
		goto out;
	}
	if (ret)
		goto out;

	ret = ps_km_fence_fd(fence, arg.flags & PRIMESHARE_KM_ACQUIRE_CLOEXEC ?
			     O_CLOEXEC : 0, &fd, &file);
	if (ret)
		goto err_untake;
	arg.fence_fd = fd;
	ret = ps_copy_out(uarg, usize, &arg, sizeof(arg));
	if (ret)
		goto err_fd;
	if (file)
		fd_install(fd, file);
	atomic64_inc(&ps_stats.km_acquires);
	goto out;

err_fd:
	if (file) {
		put_unused_fd(fd);
		fput(file);
	}
err_untake:
	ps_km_untake(obj->km, sess, take);
out:
	ps_handle_put(obj);
	return ret;
}

/*
 * The fence of @fd: NULL for -1 or for a fence that has signalled (there
 * is nothing to wait for, and nothing foreign stays pinned), else a
 * reference, or an error pointer.
 */
static struct dma_fence *ps_km_fence_get(int fd)
{
	struct dma_fence *fence;
	struct file *file;

	if (fd == -1)
		return NULL;
	fence = sync_file_get_fence(fd);
	if (!fence) {
		/* Which of the two it is, for the caller. */
		file = fget(fd);
		if (!file)
			return ERR_PTR(-EBADF);
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	if (dma_fence_is_signaled(fence)) {
		dma_fence_put(fence);
		return NULL;
	}
	return fence;
}

/*
 * The handle of a mutex @sess holds, found through the session, with a
 * reference: a holder may release whatever its credentials and IPC
 * namespace have become since it acquired.  NULL when it holds none.
 */
static struct ps_handle *ps_km_held(struct ps_session *sess, u64 handle)
{
	struct ps_keyed_mutex *km;
	struct ps_handle *obj = NULL;

	spin_lock(&sess->lock);
	list_for_each_entry(km, &sess->km_held, node) {
		if (km->obj->handle == handle) {
			/* Held, so not ended: the registry's reference holds. */
			obj = km->obj;
			kref_get(&obj->ref);
			break;
		}
	}
	spin_unlock(&sess->lock);
	return obj;
}

int ps_ioctl_km_release(struct ps_session *sess, void __user *uarg,
			size_t usize)
{
	struct primeshare_km_release arg;
	struct dma_fence *fence, *old;
	struct ps_keyed_mutex *km;
	struct ps_handle *obj;
	int ret;

	ret = ps_copy_in(&arg, sizeof(arg), sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	if (arg.flags)
		return -EINVAL;
	obj = ps_km_held(sess, arg.handle);
	if (!obj) {
		/* Not held here: the error says why, as for ACQUIRE. */
		obj = ps_km_lookup(arg.handle);
		if (IS_ERR(obj))
			return PTR_ERR(obj);
	}
	fence = ps_km_fence_get(arg.fence_fd);
	if (IS_ERR(fence)) {
		ret = PTR_ERR(fence);
		goto out;
	}

	km = obj->km;
	spin_lock(&km->lock);
	if (km->ended) {
		ret = -ENOENT;
	} else if (km->holder != sess) {
		ret = -EPERM;
	} else {
		ps_km_unhold(km);
		km->key = arg.key;
		old = km->fence;
		km->fence = fence;
		fence = old;
	}
	spin_unlock(&km->lock);
	if (!ret)
		wake_up_all(&km->wait);
	/* The replaced fence, or the new one when the release failed. */
	dma_fence_put(fence);
out:
	ps_handle_put(obj);
	return ret;
}
