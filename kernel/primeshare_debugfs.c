// SPDX-License-Identifier: GPL-2.0-only
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

static int ps_handles_show(struct seq_file *m, void *unused)
{
	struct ps_handle *obj;
	unsigned long index;

	seq_puts(m, "# handle size uid gid mode lifetime imports holders pid comm\n");
	rcu_read_lock();
	xa_for_each(&ps_handles, index, obj) {
		if (READ_ONCE(obj->dead))
			continue;
		seq_printf(m, "%016llx %llu %u %u %04o %s %u %u %d %s\n",
			   obj->handle, obj->size,
			   from_kuid(&init_user_ns, obj->uid),
			   from_kgid(&init_user_ns, obj->gid), obj->mode,
			   ps_lifetime_name(obj->lifetime),
			   READ_ONCE(obj->imports), READ_ONCE(obj->holders),
			   obj->pid_nr, obj->comm);
	}
	rcu_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ps_handles);

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
