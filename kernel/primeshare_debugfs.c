// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * primeshare: debugfs files.
 *
 * primeshare/handles: one line per live handle.
 * primeshare/stats: live counts and totals since load.
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/user_namespace.h>

#include "primeshare.h"

static struct dentry *ps_debugfs_dir;

/*
 * primeshare/handles is a seq_file iterator over ps_handles: the RCU read
 * lock is taken in ->start and dropped in ->stop, so one read() holds it
 * for a buffer's worth of lines, and a buffer that has to grow costs a
 * restart at the current handle, not a second walk of the registry.
 *
 * The position is 0 for the header line; n > 0 stands for the first handle
 * whose index (sequence number) is at least n - 1.  Once the handle at
 * index i has been shown the position is i + 1 or more, so the next read()
 * carries on after it, whatever was exported or ended in between.
 * Sequence numbers come from a 64-bit counter and never get near
 * LLONG_MAX.
 */
static struct ps_handle *ps_handles_from(u64 first, loff_t *pos)
{
	unsigned long index = first;
	struct ps_handle *obj;

	if (index != first)	/* past the last index of a 32-bit xarray */
		return NULL;
	obj = xa_find(&ps_handles, &index, ULONG_MAX, XA_PRESENT);
	*pos = (obj ? index : first) + 1;
	return obj;
}

static void *ps_handles_start(struct seq_file *m, loff_t *pos)
	__acquires(RCU)
{
	rcu_read_lock();
	if (!*pos)
		return SEQ_START_TOKEN;
	return ps_handles_from(*pos - 1, pos);
}

static void *ps_handles_next(struct seq_file *m, void *v, loff_t *pos)
{
	/* The header is at 0; the handle shown last is at *pos - 1. */
	return ps_handles_from(*pos, pos);
}

static void ps_handles_stop(struct seq_file *m, void *v)
	__releases(RCU)
{
	rcu_read_unlock();
}

/* The fields shown are fixed at export but for dead, imports and holders. */
static int ps_handles_show(struct seq_file *m, void *v)
{
	struct ps_handle *obj = v;

	if (v == SEQ_START_TOKEN) {
		seq_puts(m, "# handle size uid gid mode lifetime imports holders pid comm\n");
		return 0;
	}
	if (READ_ONCE(obj->dead))
		return 0;
	seq_printf(m, "%016llx %llu %u %u %04o %s %u %u %d %s\n",
		   obj->handle, obj->size,
		   from_kuid(&init_user_ns, obj->uid),
		   from_kgid(&init_user_ns, obj->gid), obj->mode,
		   ps_lifetime_name(obj->lifetime),
		   READ_ONCE(obj->imports), READ_ONCE(obj->holders),
		   obj->pid_nr, obj->comm);
	return 0;
}

static const struct seq_operations ps_handles_sops = {
	.start = ps_handles_start,
	.next = ps_handles_next,
	.stop = ps_handles_stop,
	.show = ps_handles_show,
};
DEFINE_SEQ_ATTRIBUTE(ps_handles);

static int ps_stats_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "handles: %d\n", atomic_read(&ps_stats.handles));
	seq_printf(m, "sessions: %d\n", atomic_read(&ps_stats.sessions));
	seq_printf(m, "holds: %ld\n", atomic_long_read(&ps_stats.holds));
	seq_printf(m, "users: %d\n", atomic_read(&ps_stats.users));
	seq_printf(m, "exports_total: %lld\n",
		   (long long)atomic64_read(&ps_stats.exports));
	seq_printf(m, "imports_total: %lld\n",
		   (long long)atomic64_read(&ps_stats.imports));
	seq_printf(m, "ended_total: %lld\n",
		   (long long)atomic64_read(&ps_stats.ended));
	seq_printf(m, "keyed_mutexes: %d\n",
		   atomic_read(&ps_stats.keyed_mutexes));
	seq_printf(m, "km_acquires_total: %lld\n",
		   (long long)atomic64_read(&ps_stats.km_acquires));
	seq_printf(m, "km_abandoned_total: %lld\n",
		   (long long)atomic64_read(&ps_stats.km_abandoned));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ps_stats);

void ps_debugfs_init(void)
{
	ps_debugfs_dir = debugfs_create_dir("primeshare", NULL);
	debugfs_create_file("handles", 0400, ps_debugfs_dir, NULL,
			    &ps_handles_fops);
	debugfs_create_file("stats", 0400, ps_debugfs_dir, NULL,
			    &ps_stats_fops);
}

void ps_debugfs_exit(void)
{
	debugfs_remove_recursive(ps_debugfs_dir);
}
