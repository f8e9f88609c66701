// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * primeshare: per-user limits, counted per user namespace.
 *
 * What a user keeps in the module (live handles, the bytes of their
 * metadata, hold records) is counted the way kernel/ucount.c counts what a
 * user keeps in the kernel: against the pair (user namespace, real uid) of
 * the caller, then against the pair (parent namespace, owner) of that
 * namespace, and so on up to the initial user namespace.  Each level checks
 * the limit its own namespace sets, so what a user namespace holds, whatever
 * uids it maps, counts against the user who created it, and no namespace can
 * raise its users above what its ancestors allow.
 *
 * A record of a pair exists while something is charged to it and pins its
 * namespace, so the pointer that keys it cannot be reused meanwhile.  The
 * initial namespace's limits are the module parameters; another namespace's
 * are the parameters too until PRIMESHARE_IOCTL_LIMITS sets its own.  They
 * last while the namespace uses the module: while a session opened in it
 * is open or a pair of it has charges.  Sessions and pairs of a namespace
 * other than the initial one keep a reference to a small per-namespace
 * record for that; it goes, with the namespace's own limits, with the last
 * of them, so that nothing of a namespace outlives its use of the module.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "uapi/primeshare.h"
#include "primeshare.h"

/* The charges of one (user namespace, uid) pair. */
struct ps_acct {
	struct hlist_node node;
	struct user_namespace *ns;
	kuid_t uid;
	unsigned long count[PS_ACCT_NR];
};

/*
 * A namespace other than the initial one that uses the module: @refs
 * counts its open sessions and its pairs with charges; @own says whether
 * @max holds limits of its own.
 */
struct ps_ns_limits {
	struct hlist_node node;
	struct user_namespace *ns;
	unsigned long refs;
	bool own;
	unsigned long max[PS_ACCT_NR];
};

/*
 * Both tables are touched when a charge starts or ends and by LIMITS, never
 * by lookups of handles, so one lock is enough.
 */
static DEFINE_SPINLOCK(ps_acct_lock);
static DEFINE_HASHTABLE(ps_accts, 8);
static DEFINE_HASHTABLE(ps_ns_table, 8);

static unsigned long ps_acct_hash(const struct user_namespace *ns, kuid_t uid)
{
	return hash_ptr(ns, 32) ^ __kuid_val(uid);
}

/* The initial namespace's limit of @kind: a module parameter. */
static unsigned long ps_param_max(enum ps_acct_kind kind)
{
	switch (kind) {
	case PS_ACCT_HANDLES:
		return READ_ONCE(ps_max_handles_per_user);
	case PS_ACCT_METADATA:
		return READ_ONCE(ps_max_metadata_bytes_per_user);
	case PS_ACCT_HOLDS:
		return READ_ONCE(ps_max_holds_per_user);
	case PS_ACCT_KEYED_MUTEXES:
		return READ_ONCE(ps_max_keyed_mutexes_per_user);
	default:
		return 0;
	}
}

/* Under ps_acct_lock. */
static struct ps_ns_limits *ps_ns_limits_find(const struct user_namespace *ns)
{
	struct ps_ns_limits *lim;

	hash_for_each_possible(ps_ns_table, lim, node, hash_ptr(ns, 32))
		if (lim->ns == ns)
			return lim;
	return NULL;
}

/* The limits that apply to the users of @ns; under ps_acct_lock. */
static void ps_ns_max(const struct user_namespace *ns,
		      unsigned long max[PS_ACCT_NR])
{
	struct ps_ns_limits *lim = NULL;
	int k;

	if (ns != &init_user_ns)
		lim = ps_ns_limits_find(ns);
	for (k = 0; k < PS_ACCT_NR; k++)
		max[k] = lim && lim->own ? lim->max[k] : ps_param_max(k);
}

/*
 * Take a reference to @ns's record, making it from *@spare if there is
 * none (then *@spare is used up).  Under ps_acct_lock; not for the initial
 * namespace.
 */
static void ps_ns_ref(struct user_namespace *ns, struct ps_ns_limits **spare)
{
	struct ps_ns_limits *lim = ps_ns_limits_find(ns);

	if (!lim) {
		lim = *spare;
		*spare = NULL;
		lim->ns = get_user_ns(ns);
		hash_add(ps_ns_table, &lim->node, hash_ptr(ns, 32));
	}
	lim->refs++;
}

/*
 * Drop a reference to @ns's record; the record, if it was the last, for
 * ps_ns_free() once the lock is dropped.  Under ps_acct_lock.
 */
static struct ps_ns_limits *ps_ns_unref(struct user_namespace *ns)
{
	struct ps_ns_limits *lim = ps_ns_limits_find(ns);

	if (WARN_ON_ONCE(!lim) || --lim->refs)
		return NULL;
	hash_del(&lim->node);
	return lim;
}

static void ps_ns_free(struct ps_ns_limits *lim)
{
	if (lim) {
		put_user_ns(lim->ns);
		kfree(lim);
	}
}

/* Under ps_acct_lock. */
static struct ps_acct *ps_acct_find(const struct user_namespace *ns,
				    kuid_t uid)
{
	struct ps_acct *acct;

	hash_for_each_possible(ps_accts, acct, node, ps_acct_hash(ns, uid))
		if (acct->ns == ns && uid_eq(acct->uid, uid))
			return acct;
	return NULL;
}

static bool ps_acct_empty(const struct ps_acct *acct)
{
	int k;

	for (k = 0; k < PS_ACCT_NR; k++)
		if (acct->count[k])
			return false;
	return true;
}

static void ps_acct_free(struct ps_acct *acct)
{
	atomic_dec(&ps_stats.users);
	put_user_ns(acct->ns);
	kfree(acct);
}

/*
 * Take @amount off the pair (@ns, @uid) and every level above it, up to
 * and including @stop (NULL: the whole chain).
 */
static void ps_acct_sub(struct user_namespace *ns, kuid_t uid,
			const unsigned long amount[PS_ACCT_NR],
			struct user_namespace *stop)
{
	struct user_namespace *next;
	struct ps_ns_limits *lim;
	struct ps_acct *acct;
	kuid_t next_uid;
	bool done;
	int k;

	do {
		spin_lock(&ps_acct_lock);
		acct = ps_acct_find(ns, uid);
		if (WARN_ON_ONCE(!acct)) {
			spin_unlock(&ps_acct_lock);
			return;
		}
		for (k = 0; k < PS_ACCT_NR; k++)
			acct->count[k] -= amount[k];
		lim = NULL;
		if (ps_acct_empty(acct)) {
			hash_del(&acct->node);
			if (ns != &init_user_ns)
				lim = ps_ns_unref(ns);
		} else {
			acct = NULL;
		}
		spin_unlock(&ps_acct_lock);

		/* ns stays pinned by the record until it is freed. */
		done = ns == stop || ns == &init_user_ns;
		next = ns->parent;
		next_uid = ns->owner;
		ps_ns_free(lim);
		if (acct)
			ps_acct_free(acct);
		ns = next;
		uid = next_uid;
	} while (!done);
}

/*
 * Charge one level: find or make the record of (@ns, @uid) and add
 * @amount if every count stays within the limits of @ns.  0, -ENOSPC or
 * -ENOMEM.
 */
static int ps_acct_add_one(struct user_namespace *ns, kuid_t uid,
			   const unsigned long amount[PS_ACCT_NR])
{
	struct ps_ns_limits *lim = NULL, *lim_spare = NULL;
	unsigned long max[PS_ACCT_NR];
	struct ps_acct *acct, *spare = NULL;
	int k, ret = 0;

	spin_lock(&ps_acct_lock);
	acct = ps_acct_find(ns, uid);
	if (!acct) {
		spin_unlock(&ps_acct_lock);
		/*
		 * Records are shared by every handle of the pair, so they are
		 * not charged to the memory cgroup of whoever came first.
		 */
		spare = kzalloc(sizeof(*spare), GFP_KERNEL);
		if (ns != &init_user_ns)
			lim_spare = kzalloc(sizeof(*lim_spare), GFP_KERNEL);
		if (!spare || (ns != &init_user_ns && !lim_spare)) {
			kfree(spare);
			kfree(lim_spare);
			return -ENOMEM;
		}
		spin_lock(&ps_acct_lock);
		acct = ps_acct_find(ns, uid);
		if (!acct) {
			acct = spare;
			spare = NULL;
			acct->ns = get_user_ns(ns);
			acct->uid = uid;
			hash_add(ps_accts, &acct->node, ps_acct_hash(ns, uid));
			atomic_inc(&ps_stats.users);
			if (ns != &init_user_ns)
				ps_ns_ref(ns, &lim_spare);
		}
	}
	ps_ns_max(ns, max);
	/* Only what grows is checked: a lowered limit stops only its kind. */
	for (k = 0; k < PS_ACCT_NR; k++)
		if (amount[k] && (amount[k] > max[k] ||
				  acct->count[k] > max[k] - amount[k]))
			ret = -ENOSPC;
	if (!ret)
		for (k = 0; k < PS_ACCT_NR; k++)
			acct->count[k] += amount[k];
	if (ps_acct_empty(acct)) {
		hash_del(&acct->node);
		spare = acct;
		if (ns != &init_user_ns)
			lim = ps_ns_unref(ns);
	}
	spin_unlock(&ps_acct_lock);
	if (spare && spare->ns)
		ps_acct_free(spare);
	else
		kfree(spare);
	ps_ns_free(lim);
	kfree(lim_spare);
	return ret;
}

/**
 * ps_acct_charge() - charge a user and every namespace level above it
 * @ns: the user namespace to start at.
 * @uid: the user in @ns.
 * @amount: what to charge, by &enum ps_acct_kind.
 *
 * Return: 0, -ENOSPC when a level's limit would be exceeded, -ENOMEM.
 * Nothing stays charged on failure.
 */
int ps_acct_charge(struct user_namespace *ns, kuid_t uid,
		   const unsigned long amount[PS_ACCT_NR])
{
	struct user_namespace *level = ns;
	kuid_t level_uid = uid;
	int ret;

	for (;;) {
		ret = ps_acct_add_one(level, level_uid, amount);
		if (ret)
			break;
		if (level == &init_user_ns)
			return 0;
		level_uid = level->owner;
		level = level->parent;
	}
	/* Undo the levels below the one that failed. */
	if (level != ns) {
		struct user_namespace *prev = ns;

		while (prev->parent != level)
			prev = prev->parent;
		ps_acct_sub(ns, uid, amount, prev);
	}
	return ret;
}

/**
 * ps_acct_uncharge() - give back what ps_acct_charge() took
 * @ns: the namespace passed to ps_acct_charge().
 * @uid: the uid passed to ps_acct_charge().
 * @amount: the amounts passed to ps_acct_charge().
 */
void ps_acct_uncharge(struct user_namespace *ns, kuid_t uid,
		      const unsigned long amount[PS_ACCT_NR])
{
	ps_acct_sub(ns, uid, amount, NULL);
}

/* What is charged to (@ns, @uid) itself, nested namespaces included. */
static void ps_acct_read(const struct user_namespace *ns, kuid_t uid,
			 unsigned long count[PS_ACCT_NR])
{
	struct ps_acct *acct;
	int k;

	spin_lock(&ps_acct_lock);
	acct = ps_acct_find(ns, uid);
	for (k = 0; k < PS_ACCT_NR; k++)
		count[k] = acct ? acct->count[k] : 0;
	spin_unlock(&ps_acct_lock);
}

/**
 * ps_ns_session_get() - count a session opened in the caller's namespace
 *
 * Return: the namespace to give to ps_ns_session_put(), or an ERR_PTR
 * (-ENOMEM).
 */
struct user_namespace *ps_ns_session_get(void)
{
	struct user_namespace *ns = current_user_ns();
	struct ps_ns_limits *spare;

	if (ns == &init_user_ns)
		return ns;
	spare = kzalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
	if (!spare)
		return ERR_PTR(-ENOMEM);
	spin_lock(&ps_acct_lock);
	ps_ns_ref(ns, &spare);
	spin_unlock(&ps_acct_lock);
	kfree(spare);
	return ns;
}

/**
 * ps_ns_session_put() - a session counted by ps_ns_session_get() closed
 * @ns: what ps_ns_session_get() returned.
 */
void ps_ns_session_put(struct user_namespace *ns)
{
	struct ps_ns_limits *lim;

	if (ns == &init_user_ns)
		return;
	spin_lock(&ps_acct_lock);
	lim = ps_ns_unref(ns);
	spin_unlock(&ps_acct_lock);
	ps_ns_free(lim);
}

/*
 * Give @ns limits of its own (@max), or with @max NULL the defaults again;
 * the kinds in @keep (bits of enum ps_acct_kind) keep the limit in force,
 * read under the same lock as the change.  The session making the call was
 * opened in @ns, so @ns has a record.
 */
static void ps_ns_limits_set(struct user_namespace *ns,
			     const unsigned long *max, unsigned int keep)
{
	unsigned long now[PS_ACCT_NR];
	struct ps_ns_limits *lim;
	int k;

	spin_lock(&ps_acct_lock);
	lim = ps_ns_limits_find(ns);
	if (!WARN_ON_ONCE(!lim)) {
		ps_ns_max(ns, now);
		lim->own = max;
		for (k = 0; k < PS_ACCT_NR; k++)
			lim->max[k] = !max ? 0 : keep & BIT(k) ? now[k] : max[k];
	}
	spin_unlock(&ps_acct_lock);
}

#define PRIMESHARE_LIMITS_FLAGS	(PRIMESHARE_LIMITS_SET | PRIMESHARE_LIMITS_RESET)

static int ps_limits_check(const struct primeshare_limits *arg,
			   struct user_namespace *ns)
{
	if ((arg->flags & ~PRIMESHARE_LIMITS_FLAGS) || arg->__pad ||
	    arg->__pad2 ||
	    (arg->flags & PRIMESHARE_LIMITS_FLAGS) == PRIMESHARE_LIMITS_FLAGS)
		return -EINVAL;
	if (!(arg->flags & PRIMESHARE_LIMITS_SET) &&
	    (arg->max_handles_per_user || arg->max_holds_per_user ||
	     arg->max_metadata_bytes_per_user ||
	     arg->max_keyed_mutexes_per_user))
		return -EINVAL;
	if ((arg->flags & PRIMESHARE_LIMITS_RESET) && ns == &init_user_ns)
		return -EINVAL;
	if (arg->flags && !ns_capable(ns, CAP_SYS_RESOURCE))
		return -EPERM;
	return 0;
}

/* SET; the kinds in @keep (a 1.1 caller's structure lacks them) stay. */
static void ps_limits_set(struct user_namespace *ns,
			  const struct primeshare_limits *arg, unsigned int keep)
{
	unsigned long max[PS_ACCT_NR];

	max[PS_ACCT_HANDLES] = arg->max_handles_per_user;
	max[PS_ACCT_HOLDS] = arg->max_holds_per_user;
	max[PS_ACCT_METADATA] = arg->max_metadata_bytes_per_user;
	max[PS_ACCT_KEYED_MUTEXES] = arg->max_keyed_mutexes_per_user;
	if (ns != &init_user_ns) {
		ps_ns_limits_set(ns, max, keep);
		return;
	}
	WRITE_ONCE(ps_max_handles_per_user, arg->max_handles_per_user);
	WRITE_ONCE(ps_max_holds_per_user, arg->max_holds_per_user);
	WRITE_ONCE(ps_max_metadata_bytes_per_user,
		   (unsigned int)arg->max_metadata_bytes_per_user);
	if (!(keep & BIT(PS_ACCT_KEYED_MUTEXES)))
		WRITE_ONCE(ps_max_keyed_mutexes_per_user,
			   arg->max_keyed_mutexes_per_user);
}

/* 1.1's structure ended at metadata_bytes. */
#define PS_LIMITS_SIZE_1_1 offsetofend(struct primeshare_limits, metadata_bytes)

int ps_ioctl_limits(struct ps_session *sess, void __user *uarg, size_t usize)
{
	struct user_namespace *ns = current_user_ns();
	unsigned long max[PS_ACCT_NR], count[PS_ACCT_NR];
	struct primeshare_limits arg;
	int ret;

	/* 1.1's size or 1.2's: a size between would split a field. */
	if (usize > PS_LIMITS_SIZE_1_1 && usize < sizeof(arg))
		return -EINVAL;
	ret = ps_copy_in(&arg, sizeof(arg), PS_LIMITS_SIZE_1_1, uarg, usize);
	if (ret)
		return ret;
	ret = ps_limits_check(&arg, ns);
	if (ret)
		return ret;
	/* A namespace's limits last while its sessions and charges do. */
	if (arg.flags && sess->user_ns != ns)
		return -EPERM;
	if ((arg.flags & PRIMESHARE_LIMITS_SET) &&
	    arg.max_metadata_bytes_per_user > U32_MAX)
		return -EINVAL;

	if (arg.flags & PRIMESHARE_LIMITS_SET)
		ps_limits_set(ns, &arg, usize == PS_LIMITS_SIZE_1_1 ?
				   BIT(PS_ACCT_KEYED_MUTEXES) : 0);
	else if (arg.flags & PRIMESHARE_LIMITS_RESET)
		ps_ns_limits_set(ns, NULL, 0);

	spin_lock(&ps_acct_lock);
	ps_ns_max(ns, max);
	spin_unlock(&ps_acct_lock);
	ps_acct_read(ns, current_uid(), count);
	arg.max_handles_per_user = max[PS_ACCT_HANDLES];
	arg.max_holds_per_user = max[PS_ACCT_HOLDS];
	arg.max_metadata_bytes_per_user = max[PS_ACCT_METADATA];
	arg.max_keyed_mutexes_per_user = max[PS_ACCT_KEYED_MUTEXES];
	/* Out only: what a read returned may be passed back to SET. */
	arg.handles = count[PS_ACCT_HANDLES];
	arg.holds = count[PS_ACCT_HOLDS];
	arg.metadata_bytes = count[PS_ACCT_METADATA];
	arg.keyed_mutexes = count[PS_ACCT_KEYED_MUTEXES];
	return ps_copy_out(uarg, usize, &arg, sizeof(arg));
}

/* The per-user handle limit of the caller's namespace, for INFO. */
unsigned int ps_acct_max_handles(void)
{
	unsigned long max[PS_ACCT_NR];

	spin_lock(&ps_acct_lock);
	ps_ns_max(current_user_ns(), max);
	spin_unlock(&ps_acct_lock);
	return max[PS_ACCT_HANDLES];
}

/* Module unload: every session is closed and every handle has ended. */
void ps_acct_exit(void)
{
	WARN_ONCE(!hash_empty(ps_accts), "charges left at unload\n");
	WARN_ONCE(!hash_empty(ps_ns_table), "namespaces left at unload\n");
}
