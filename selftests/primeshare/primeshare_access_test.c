// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * Who may see a handle: the access mode against uids, gids, supplementary
 * groups and CAP_SYS_ADMIN, user and IPC namespaces, and the handle limits.
 * Runs as root; other users are forked children that drop to them.
 */
#include <linux/capability.h>
#include <sched.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "ps_test.h"

#define OWNER_UID 1000
#define OWNER_GID 1000
#define OTHER_UID 2000
#define OTHER_GID 2000

enum op { OP_IMPORT, OP_QUERY, OP_RELEASE, OP_FORCE, OP_LISTED };

/*
 * Do @op on @h in a fresh session.  The result is an exit status: 0 or the
 * errno; OP_LISTED gives 0 if LIST shows @h, else ENOENT.
 */
static int do_op(enum op op, __u64 h)
{
	struct primeshare_list l = { 0 };
	struct primeshare_query q;
	__u64 buf[PRIMESHARE_LIST_MAX];
	int s = pst_open(), fd, ret;
	unsigned int i;

	if (s < 0)
		return 100;
	switch (op) {
	case OP_IMPORT:
		fd = pst_import(s, h, PRIMESHARE_IMPORT_CLOEXEC);
		if (fd >= 0)
			close(fd);
		return pst_status(fd);
	case OP_QUERY:
		return pst_status(pst_query(s, h, &q));
	case OP_RELEASE:
		return pst_status(pst_release(s, h));
	case OP_FORCE:
		return pst_status(pst_release_flags(s, h,
						    PRIMESHARE_RELEASE_FORCE));
	case OP_LISTED:
		for (;;) {
			l.handles = (uintptr_t)buf;
			l.count = PRIMESHARE_LIST_MAX;
			ret = pst_ioctl(s, PRIMESHARE_IOCTL_LIST, &l);
			if (ret)
				return pst_status(ret);
			if (!l.count)
				return pst_status(-ENOENT);
			for (i = 0; i < l.count; i++)
				if (buf[i] == h)
					return 0;
		}
	}
	return 101;
}

/* Run do_op() as another user; the result as an exit status. */
static int as_user(uid_t uid, gid_t gid, int ngroups, const gid_t *groups,
		   enum op op, __u64 h)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (pst_become(uid, gid, ngroups, groups))
			_exit(102);
		_exit(do_op(op, h));
	}
	return pst_wait(pid);
}

static int drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[0].effective &= ~(1U << cap);
	data[0].permitted &= ~(1U << cap);
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/* Run do_op() as root without capability @cap. */
static int as_root_without(int cap, enum op op, __u64 h)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (drop_cap(cap))
			_exit(103);
		_exit(do_op(op, h));
	}
	return pst_wait(pid);
}

/* Run do_op() after unshare(@flags). */
static int in_new_ns(int flags, enum op op, __u64 h)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (unshare(flags))
			_exit(104);
		_exit(do_op(op, h));
	}
	return pst_wait(pid);
}

FIXTURE(acc) {
	int sess;
	int drm;
	int buf;
	long saved[3];
};

static const char *const limit_params[] = {
	"max_handles_per_session", "max_handles_per_user", "max_handles",
};

FIXTURE_SETUP(acc)
{
	int i;

	pst_require_device(_metadata);
	ASSERT_EQ(0, geteuid()) TH_LOG("these tests run as root");
	self->sess = pst_open();
	ASSERT_LE(0, self->sess);
	self->drm = pst_open_drm("vgem");
	ASSERT_LE(0, self->drm) TH_LOG("no vgem DRM node (is vgem loaded?)");
	self->buf = pst_vgem_dmabuf(self->drm, 4096);
	ASSERT_LE(0, self->buf);
	for (i = 0; i < 3; i++) {
		self->saved[i] = pst_get_param(limit_params[i]);
		ASSERT_LT(0, self->saved[i]);
	}
}

FIXTURE_TEARDOWN(acc)
{
	int i;

	for (i = 0; i < 3; i++)
		pst_set_param(limit_params[i], self->saved[i]);
	close(self->buf);
	close(self->drm);
	close(self->sess);
}

/* Export with the given effective uid and gid, then become root again. */
static int export_as(int sess, int buf, uid_t uid, gid_t gid, __u32 flags,
		     __u32 mode, __u64 *h)
{
	int ret;

	if (setresgid(-1, gid, -1) || setresuid(-1, uid, -1))
		return -errno;
	ret = pst_export(sess, buf, flags, mode, h);
	if (setresuid(-1, 0, -1) || setresgid(-1, 0, -1))
		abort();
	return ret;
}

static const gid_t owner_group[] = { OWNER_GID };

TEST_F(acc, owner_mode_admits_the_owner_only)
{
	__u64 h;

	ASSERT_EQ(0, export_as(self->sess, self->buf, OWNER_UID, OWNER_GID, 0,
			       PRIMESHARE_MODE_OWNER, &h));
	EXPECT_EQ(0, as_user(OWNER_UID, OWNER_GID, 0, NULL, OP_IMPORT, h));
	EXPECT_EQ(0, as_user(OWNER_UID, OTHER_GID, 0, NULL, OP_QUERY, h));
	EXPECT_EQ(0, as_user(OWNER_UID, OWNER_GID, 0, NULL, OP_LISTED, h));
	EXPECT_EQ(EACCES, as_user(OTHER_UID, OWNER_GID, 0, NULL, OP_IMPORT, h));
	EXPECT_EQ(EACCES, as_user(OTHER_UID, OTHER_GID, 1, owner_group,
				  OP_IMPORT, h));
	EXPECT_EQ(EACCES, as_user(OTHER_UID, OTHER_GID, 0, NULL, OP_IMPORT, h));
	EXPECT_EQ(EACCES, as_user(OTHER_UID, OTHER_GID, 0, NULL, OP_QUERY, h));
	EXPECT_EQ(ENOENT, as_user(OTHER_UID, OTHER_GID, 0, NULL, OP_LISTED, h));
	/* Only the exporting session may release, whoever asks. */
	EXPECT_EQ(EPERM, as_user(OWNER_UID, OWNER_GID, 0, NULL, OP_RELEASE, h));
	EXPECT_EQ(EPERM, as_user(OTHER_UID, OTHER_GID, 0, NULL, OP_RELEASE, h));
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(acc, group_mode_admits_effective_and_supplementary_groups)
{
	__u64 h;

	ASSERT_EQ(0, export_as(self->sess, self->buf, OWNER_UID, OWNER_GID, 0,
			       PRIMESHARE_MODE_GROUP, &h));
	EXPECT_EQ(0, as_user(OTHER_UID, OWNER_GID, 0, NULL, OP_IMPORT, h));
	EXPECT_EQ(0, as_user(OTHER_UID, OTHER_GID, 1, owner_group,
			     OP_IMPORT, h));
	EXPECT_EQ(0, as_user(OTHER_UID, OTHER_GID, 1, owner_group,
			     OP_LISTED, h));
	EXPECT_EQ(EACCES, as_user(OTHER_UID, OTHER_GID, 0, NULL, OP_IMPORT, h));
	EXPECT_EQ(ENOENT, as_user(OTHER_UID, OTHER_GID, 0, NULL, OP_LISTED, h));
	/* The owner class applies to the owner, and it has no read bit. */
	EXPECT_EQ(EACCES, as_user(OWNER_UID, OWNER_GID, 0, NULL, OP_IMPORT, h));
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(acc, other_mode_admits_everyone_outside_owner_and_group)
{
	__u64 h;

	ASSERT_EQ(0, export_as(self->sess, self->buf, OWNER_UID, OWNER_GID, 0,
			       PRIMESHARE_MODE_OTHER, &h));
	EXPECT_EQ(0, as_user(OTHER_UID, OTHER_GID, 0, NULL, OP_IMPORT, h));
	EXPECT_EQ(0, as_user(OTHER_UID, OTHER_GID, 0, NULL, OP_QUERY, h));
	EXPECT_EQ(0, as_user(OTHER_UID, OTHER_GID, 0, NULL, OP_LISTED, h));
	EXPECT_EQ(EACCES, as_user(OTHER_UID, OWNER_GID, 0, NULL, OP_IMPORT, h));
	EXPECT_EQ(EACCES, as_user(OWNER_UID, OWNER_GID, 0, NULL, OP_IMPORT, h));
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(acc, all_read_bits_admit_everyone)
{
	__u64 h;

	ASSERT_EQ(0, export_as(self->sess, self->buf, OWNER_UID, OWNER_GID, 0,
			       PRIMESHARE_MODE_MASK, &h));
	EXPECT_EQ(0, as_user(OWNER_UID, OWNER_GID, 0, NULL, OP_IMPORT, h));
	EXPECT_EQ(0, as_user(OTHER_UID, OWNER_GID, 0, NULL, OP_IMPORT, h));
	EXPECT_EQ(0, as_user(OTHER_UID, OTHER_GID, 0, NULL, OP_IMPORT, h));
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(acc, cap_ipc_owner_overrides_the_mode)
{
	__u64 h;

	ASSERT_EQ(0, export_as(self->sess, self->buf, OWNER_UID, OWNER_GID, 0,
			       PRIMESHARE_MODE_OWNER, &h));
	EXPECT_EQ(0, do_op(OP_IMPORT, h));
	EXPECT_EQ(0, do_op(OP_QUERY, h));
	EXPECT_EQ(0, do_op(OP_LISTED, h));
	/* Root without CAP_IPC_OWNER is just another user... */
	EXPECT_EQ(EACCES, as_root_without(CAP_IPC_OWNER, OP_IMPORT, h));
	EXPECT_EQ(EACCES, as_root_without(CAP_IPC_OWNER, OP_QUERY, h));
	EXPECT_EQ(ENOENT, as_root_without(CAP_IPC_OWNER, OP_LISTED, h));
	/* ...and CAP_SYS_ADMIN is not the access override. */
	EXPECT_EQ(0, as_root_without(CAP_SYS_ADMIN, OP_IMPORT, h));
	EXPECT_EQ(0, as_root_without(CAP_SYS_ADMIN, OP_QUERY, h));
	EXPECT_EQ(0, as_root_without(CAP_SYS_ADMIN, OP_LISTED, h));
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(acc, force_release_needs_ownership_or_cap_sys_admin)
{
	__u64 h;

	ASSERT_EQ(0, export_as(self->sess, self->buf, OWNER_UID, OWNER_GID,
			       PRIMESHARE_EXPORT_REFCOUNTED,
			       PRIMESHARE_MODE_MASK, &h));
	EXPECT_EQ(EPERM, as_user(OTHER_UID, OWNER_GID, 0, NULL, OP_FORCE, h));
	EXPECT_EQ(EPERM, as_root_without(CAP_SYS_ADMIN, OP_FORCE, h));
	EXPECT_EQ(EPERM, in_new_ns(CLONE_NEWUSER, OP_FORCE, h));
	EXPECT_EQ(0, as_user(OWNER_UID, OTHER_GID, 0, NULL, OP_FORCE, h));
	EXPECT_EQ(ENOENT, do_op(OP_IMPORT, h));

	ASSERT_EQ(0, export_as(self->sess, self->buf, OWNER_UID, OWNER_GID, 0,
			       PRIMESHARE_MODE_OWNER, &h));
	EXPECT_EQ(0, do_op(OP_FORCE, h));
	EXPECT_EQ(ENOENT, do_op(OP_FORCE, h));
	EXPECT_EQ(-ENOENT, pst_release(self->sess, h));
	EXPECT_EQ(0, pst_stat("handles"));
	EXPECT_EQ(0, pst_stat("holds"));
}

TEST_F(acc, capabilities_of_a_child_user_namespace_do_not_count)
{
	__u64 h;

	ASSERT_EQ(0, export_as(self->sess, self->buf, OWNER_UID, OWNER_GID, 0,
			       PRIMESHARE_MODE_OWNER, &h));
	EXPECT_EQ(EACCES, in_new_ns(CLONE_NEWUSER, OP_IMPORT, h));
	EXPECT_EQ(ENOENT, in_new_ns(CLONE_NEWUSER, OP_LISTED, h));
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(acc, query_maps_owner_into_the_callers_user_namespace)
{
	int p[2], overflow = 65534;
	struct primeshare_query q;
	pid_t pid;
	FILE *f;
	__u64 h;

	f = fopen("/proc/sys/kernel/overflowuid", "r");
	if (f) {
		ASSERT_EQ(1, fscanf(f, "%d", &overflow));
		fclose(f);
	}
	ASSERT_EQ(0, export_as(self->sess, self->buf, OWNER_UID, OWNER_GID, 0,
			       PRIMESHARE_MODE_OTHER, &h));
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int s;

		if (unshare(CLONE_NEWUSER))
			_exit(1);
		s = pst_open();
		if (s < 0 || pst_query(s, h, &q))
			_exit(2);
		_exit(write(p[1], &q, sizeof(q)) == sizeof(q) ? 0 : 3);
	}
	ASSERT_EQ(0, pst_wait(pid));
	ASSERT_EQ(sizeof(q), read(p[0], &q, sizeof(q)));
	EXPECT_EQ(overflow, q.uid);
	EXPECT_EQ(overflow, q.gid);
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(OWNER_UID, q.uid);
	EXPECT_EQ(OWNER_GID, q.gid);
	EXPECT_EQ(0, pst_release(self->sess, h));
	close(p[0]);
	close(p[1]);
}

TEST_F(acc, another_ipc_namespace_sees_no_handle)
{
	__u64 h;

	ASSERT_EQ(0, pst_export(self->sess, self->buf, 0,
				PRIMESHARE_MODE_MASK, &h));
	EXPECT_EQ(ENOENT, in_new_ns(CLONE_NEWIPC, OP_IMPORT, h));
	EXPECT_EQ(ENOENT, in_new_ns(CLONE_NEWIPC, OP_QUERY, h));
	EXPECT_EQ(ENOENT, in_new_ns(CLONE_NEWIPC, OP_RELEASE, h));
	EXPECT_EQ(ENOENT, in_new_ns(CLONE_NEWIPC, OP_LISTED, h));
	EXPECT_EQ(ENOENT, in_new_ns(CLONE_NEWUSER | CLONE_NEWIPC,
				    OP_IMPORT, h));
	EXPECT_EQ(0, do_op(OP_IMPORT, h));
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(acc, handles_of_another_ipc_namespace_are_invisible)
{
	int p[2], q[2];
	pid_t pid;
	__u64 h;
	char c;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(q));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int s;

		if (unshare(CLONE_NEWIPC))
			_exit(1);
		s = pst_open();
		if (s < 0 || pst_export(s, self->buf, 0, PRIMESHARE_MODE_MASK,
					&h))
			_exit(2);
		/* Visible inside its own namespace. */
		if (do_op(OP_IMPORT, h) || do_op(OP_LISTED, h))
			_exit(3);
		/* The parent's session, carried in, still looks from here. */
		if (pst_release(self->sess, h) != -EPERM)
			_exit(4);
		if (write(p[1], &h, sizeof(h)) != sizeof(h))
			_exit(5);
		_exit(read(q[0], &c, 1) == 1 ? 0 : 6);
	}
	ASSERT_EQ(sizeof(h), read(p[0], &h, sizeof(h)));
	EXPECT_EQ(-ENOENT, pst_import(self->sess, h, 0));
	EXPECT_EQ(ENOENT, do_op(OP_QUERY, h));
	EXPECT_EQ(ENOENT, do_op(OP_LISTED, h));
	EXPECT_EQ(-ENOENT, pst_release(self->sess, h));
	ASSERT_EQ(1, write(q[1], "x", 1));
	EXPECT_EQ(0, pst_wait(pid));
	EXPECT_EQ(0, pst_stat("handles"));
}

TEST_F(acc, random_guesses_by_another_user_find_nothing)
{
	__u64 h[16];
	pid_t pid;
	int i;

	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, export_as(self->sess, self->buf, OWNER_UID,
				       OWNER_GID, 0, PRIMESHARE_MODE_OWNER,
				       &h[i]));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int s, r, found = 0;
		__u64 guess;

		if (pst_become(OTHER_UID, OTHER_GID, 0, NULL))
			_exit(1);
		s = pst_open();
		r = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (s < 0 || r < 0)
			_exit(2);
		for (i = 0; i < 100000; i++) {
			if (read(r, &guess, sizeof(guess)) != sizeof(guess))
				_exit(3);
			if (pst_import(s, guess, 0) != -ENOENT)
				found++;
		}
		/* Neighbours of a real handle are no better than chance. */
		for (i = -512; i <= 512; i++)
			if (i && pst_import(s, h[0] + i, 0) != -ENOENT)
				found++;
		_exit(found ? 10 : 0);
	}
	EXPECT_EQ(0, pst_wait(pid));
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, pst_release(self->sess, h[i]));
}

TEST_F(acc, per_session_limit_is_enospc)
{
	int other = pst_open();
	__u64 h[3];
	int i;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, pst_set_param("max_handles_per_session", 3));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h[i]));
	EXPECT_EQ(-ENOSPC, pst_export(self->sess, self->buf, 0, 0, NULL));
	EXPECT_EQ(-ENOSPC, pst_export(self->sess, self->buf,
				      PRIMESHARE_EXPORT_REFCOUNTED, 0, NULL));
	EXPECT_EQ(0, pst_export(other, self->buf, 0, 0, NULL));
	EXPECT_EQ(0, pst_release(self->sess, h[0]));
	EXPECT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h[0]));
	EXPECT_EQ(4, pst_stat("handles"));
	close(other);
}

TEST_F(acc, per_user_limit_counts_every_session_of_a_real_uid)
{
	int other = pst_open(), third = pst_open(), fd;
	struct primeshare_info info = { 0 };
	pid_t pid;
	__u64 h;

	ASSERT_LE(0, other);
	ASSERT_LE(0, third);
	ASSERT_EQ(0, pst_set_param("max_handles_per_user", 3));
	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_INFO, &info));
	EXPECT_EQ(3, info.max_handles_per_user);
	ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, NULL));
	ASSERT_EQ(0, pst_export(other, self->buf, 0, 0, NULL));
	/* A refcounted handle that outlives its session still counts. */
	ASSERT_EQ(0, pst_export(third, self->buf,
				PRIMESHARE_EXPORT_REFCOUNTED, 0, &h));
	fd = pst_import(other, h, PRIMESHARE_IMPORT_HOLD);
	ASSERT_LE(0, fd);
	close(fd);
	close(third);
	EXPECT_EQ(-ENOSPC, pst_export(self->sess, self->buf, 0, 0, NULL));
	/* The effective uid does not matter, the real one does. */
	EXPECT_EQ(-ENOSPC, export_as(self->sess, self->buf, OWNER_UID,
				     OWNER_GID, 0, 0, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int s;

		if (pst_become(OWNER_UID, OWNER_GID, 0, NULL))
			_exit(1);
		s = pst_open();
		_exit(s < 0 ? 2 : pst_status(pst_export(s, self->buf, 0, 0,
							NULL)));
	}
	EXPECT_EQ(0, pst_wait(pid));
	EXPECT_EQ(0, pst_release(other, h));
	EXPECT_EQ(0, pst_export(self->sess, self->buf, 0, 0, NULL));
	close(other);
}

TEST_F(acc, global_limit_is_enospc)
{
	int other = pst_open();

	ASSERT_LE(0, other);
	ASSERT_EQ(0, pst_set_param("max_handles", 2));
	ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, NULL));
	ASSERT_EQ(0, pst_export(other, self->buf, 0, 0, NULL));
	EXPECT_EQ(-ENOSPC, pst_export(self->sess, self->buf, 0, 0, NULL));
	EXPECT_EQ(-ENOSPC, pst_export(other, self->buf,
				      PRIMESHARE_EXPORT_ONESHOT, 0, NULL));
	EXPECT_EQ(2, pst_stat("handles"));
	close(other);
	EXPECT_EQ(0, pst_export(self->sess, self->buf, 0, 0, NULL));
}

TEST_F(acc, zero_limits_refuse_every_export)
{
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, pst_set_param(limit_params[i], 0));
		EXPECT_EQ(-ENOSPC, pst_export(self->sess, self->buf, 0, 0,
					      NULL)) TH_LOG("%s", limit_params[i]);
		ASSERT_EQ(0, pst_set_param(limit_params[i], self->saved[i]));
	}
	EXPECT_EQ(0, pst_stat("handles"));
	EXPECT_EQ(0, pst_stat("users"));
}

TEST_F(acc, lowering_a_limit_keeps_live_handles)
{
	__u64 h[4];
	int i, fd;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h[i]));
	ASSERT_EQ(0, pst_set_param("max_handles", 1));
	EXPECT_EQ(-ENOSPC, pst_export(self->sess, self->buf, 0, 0, NULL));
	for (i = 0; i < 4; i++) {
		fd = pst_import(self->sess, h[i], 0);
		ASSERT_LE(0, fd);
		close(fd);
	}
	EXPECT_EQ(4, pst_stat("handles"));
}

TEST_HARNESS_MAIN
