// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * Test-only module for the debug kernel's self-test (scripts/vm/vm-debug-selftest):
 * loading it with what=CASE commits one deliberate error that one of the
 * debug kernel's checkers must report, so a clean debug run means the
 * checkers were there to look.  It is never installed.
 *
 *   kasan   read a kmalloc'd object after kfree()        -> KASAN
 *   ubsan   shift an int by more than its width           -> UBSAN
 *   lockdep take two mutexes in both orders               -> lockdep
 *   odebug  kfree() an object holding a pending timer     -> debugobjects
 *   leak    drop the only pointer to a kmalloc'd object   -> kmemleak
 */
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timer.h>

static char *what = "";
module_param(what, charp, 0444);
MODULE_PARM_DESC(what, "kasan, ubsan, lockdep, odebug or leak");

static DEFINE_MUTEX(ps_lock_a);
static DEFINE_MUTEX(ps_lock_b);

struct ps_timed {
	struct timer_list timer;
};

static void ps_timer_fn(struct timer_list *t)
{
}

static noinline int ps_use_after_free(void)
{
	char *volatile p = kmalloc(32, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	kfree(p);
	return READ_ONCE(p[8]);
}

static noinline int ps_bad_shift(void)
{
	volatile int shift = 40;

	return 1 << shift;
}

static noinline void ps_lock_inversion(void)
{
	mutex_lock(&ps_lock_a);
	mutex_lock(&ps_lock_b);
	mutex_unlock(&ps_lock_b);
	mutex_unlock(&ps_lock_a);

	mutex_lock(&ps_lock_b);
	mutex_lock(&ps_lock_a);
	mutex_unlock(&ps_lock_a);
	mutex_unlock(&ps_lock_b);
}

static noinline int ps_free_active_timer(void)
{
	struct ps_timed *t = kzalloc(sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	timer_setup(&t->timer, ps_timer_fn, 0);
	mod_timer(&t->timer, jiffies + 3600 * HZ);
	kfree(t);	/* debugobjects deactivates the timer and reports */
	return 0;
}

static noinline int ps_leak(void)
{
	void *volatile p = kmalloc(256, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	memset(p, 0x5a, 256);
	p = NULL;
	return 0;
}

static int __init ps_debug_provoke_init(void)
{
	pr_info("ps_debug_provoke: provoking '%s'\n", what);
	if (!strcmp(what, "kasan"))
		pr_info("ps_debug_provoke: read %d\n", ps_use_after_free());
	else if (!strcmp(what, "ubsan"))
		pr_info("ps_debug_provoke: shifted %d\n", ps_bad_shift());
	else if (!strcmp(what, "lockdep"))
		ps_lock_inversion();
	else if (!strcmp(what, "odebug"))
		return ps_free_active_timer();
	else if (!strcmp(what, "leak"))
		return ps_leak();
	else
		return -EINVAL;
	return 0;
}

static void __exit ps_debug_provoke_exit(void)
{
}

module_init(ps_debug_provoke_init);
module_exit(ps_debug_provoke_exit);

MODULE_DESCRIPTION("Deliberate errors for the debug kernel's self-test");
MODULE_LICENSE("GPL");
