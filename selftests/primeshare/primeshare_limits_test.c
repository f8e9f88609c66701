// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * The limits: what users keep in the module counts per user namespace, as
 * the kernel's own per-user counts do (Documentation/security.rst).  Four
 * users cannot take the system's last handles from root, a container's
 * uids count against the user who owns the container, a namespace sets
 * limits for its own users, and metadata bytes and hold records are
 * counted.  Then every error of PRIMESHARE_IOCTL_LIMITS.
 */
#include <sched.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "ps_test.h"

#define OWNER_UID	3000
#define MAP_BASE	100000
#define NPARAMS		7

static const char *const param_names[NPARAMS] = {
	"max_handles", "reserved_handles", "max_handles_per_user",
	"max_metadata_bytes_per_user", "max_holds_per_user",
	"max_handles_per_session", "max_keyed_mutexes_per_user",
};

/* What the children of a test report, in shared memory. */
struct shared {
	int count[8];
	int ret[8];
	struct primeshare_limits lim[4];
};

FIXTURE(lim) {
	int drm;
	int buf;
	long saved[NPARAMS];
	struct shared *sh;
	struct pst_state before;
};

FIXTURE_SETUP(lim)
{
	int i;

	pst_require_device(_metadata);
	ASSERT_EQ(0, geteuid()) TH_LOG("these tests run as root");
	self->drm = pst_open_drm("vgem");
	ASSERT_LE(0, self->drm) TH_LOG("no vgem DRM node (is vgem loaded?)");
	self->buf = pst_vgem_dmabuf(self->drm, 4096);
	ASSERT_LE(0, self->buf);
	for (i = 0; i < NPARAMS; i++)
		self->saved[i] = pst_get_param(param_names[i]);
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	memset(self->sh, 0, sizeof(*self->sh));
	pst_state_get(&self->before);
}

FIXTURE_TEARDOWN(lim)
{
	int i;

	for (i = 0; i < NPARAMS; i++)
		if (self->saved[i] >= 0)
			pst_set_param(param_names[i], self->saved[i]);
	munmap(self->sh, sizeof(*self->sh));
	close(self->buf);
	close(self->drm);
}

static int pst_limits(int sess, struct primeshare_limits *l)
{
	return pst_ioctl(sess, PRIMESHARE_IOCTL_LIMITS, l);
}

/* Exports (owned) until one fails; the number made, or -errno if not ENOSPC. */
static int export_until_full(int sess, int buf, int most)
{
	int n, ret;

	for (n = 0; n < most; n++) {
		ret = pst_export(sess, buf, 0, PRIMESHARE_MODE_OWNER, NULL);
		if (ret == -ENOSPC)
			return n;
		if (ret)
			return ret;
	}
	return n;
}

/*
 * A child that becomes @uid, exports until full into *@count, tells the
 * parent through the pipe @ready and keeps its handles until the write end
 * of the pipe @hold is closed.
 */
static pid_t exporter(uid_t uid, int buf, int *count, const int ready[2],
		      const int hold[2])
{
	pid_t pid = fork();
	char c;
	int s;

	if (pid)
		return pid;
	close(hold[1]);
	if (uid && pst_become(uid, uid, 0, NULL))
		_exit(101);
	s = pst_open();
	if (s < 0)
		_exit(102);
	*count = export_until_full(s, buf, 1000);
	if (write(ready[1], "x", 1) != 1)
		_exit(103);
	/* Returns at EOF, when the parent closes its end. */
	while (read(hold[0], &c, 1) > 0)
		;
	close(s);
	_exit(0);
}

TEST_F(lim, four_uids_leave_the_reserve_to_root)
{
	int ready[2], hold[2], i, s, total = 0, root;
	pid_t pid[4];
	char c;

	ASSERT_EQ(0, pst_set_param("max_handles", 64));
	ASSERT_EQ(0, pst_set_param("max_handles_per_user", 16));
	/* Without this parameter (before 1.1) four users fill all 64. */
	EXPECT_EQ(0, pst_set_param("reserved_handles", 8));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(hold));
	for (i = 0; i < 4; i++) {
		pid[i] = exporter(1001 + i, self->buf, &self->sh->count[i],
				  ready, hold);
		ASSERT_LE(0, pid[i]);
		ASSERT_EQ(1, read(ready[0], &c, 1));
		total += self->sh->count[i];
	}
	close(hold[0]);
	/* The users had 56 between them: 16, 16, 16 and the last 8. */
	EXPECT_EQ(16, self->sh->count[0]);
	EXPECT_EQ(8, self->sh->count[3]);
	EXPECT_EQ(56, total);

	s = pst_open();
	ASSERT_LE(0, s);
	root = export_until_full(s, self->buf, 100);
	EXPECT_EQ(8, root) TH_LOG("root could export %d of the last handles",
				  root);
	close(s);
	close(hold[1]);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, pst_wait(pid[i]));
	close(ready[0]);
	close(ready[1]);
	pst_expect_idle(_metadata, &self->before);
}

/*
 * Run @fn as the root of a new user namespace that uid OWNER_UID creates,
 * with container uids 0-4999 mapped to host uids MAP_BASE and up, as a
 * rootless container's are.  Its exit status, or -1.
 */
static int in_container(int (*fn)(FIXTURE_DATA(lim) * self),
			FIXTURE_DATA(lim) * self)
{
	int ready[2], go[2], ret;
	pid_t pid;
	char c;

	if (pipe(ready) || pipe(go))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (pst_become(OWNER_UID, OWNER_UID, 0, NULL) ||
		    unshare(CLONE_NEWUSER))
			_exit(110);
		if (write(ready[1], "n", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(111);
		if (setresgid(0, 0, 0) || setresuid(0, 0, 0) ||
		    setgroups(0, NULL))
			_exit(112);
		_exit(fn(self));
	}
	ret = read(ready[0], &c, 1) == 1 &&
	      !pst_write_map(pid, "uid_map", "0 100000 5000") &&
	      !pst_write_map(pid, "gid_map", "0 100000 5000") &&
	      write(go[1], "m", 1) == 1 ? pst_wait(pid) : -1;
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	return ret;
}

/* In the container: uids 1-4 export until full, together. */
static int four_container_uids(FIXTURE_DATA(lim) * self)
{
	int ready[2], hold[2], i;
	pid_t pid[4];
	char c;

	if (pipe(ready) || pipe(hold))
		return 120;
	for (i = 0; i < 4; i++) {
		pid[i] = exporter(1 + i, self->buf, &self->sh->count[i],
				  ready, hold);
		if (pid[i] < 0 || read(ready[0], &c, 1) != 1)
			return 121;
	}
	close(hold[1]);
	for (i = 0; i < 4; i++)
		if (pst_wait(pid[i]))
			return 123;
	return 0;
}

TEST_F(lim, container_uids_count_against_its_owner)
{
	int total = 0, i;

	ASSERT_EQ(0, pst_set_param("max_handles_per_user", 16));
	ASSERT_EQ(0, in_container(four_container_uids, self));
	for (i = 0; i < 4; i++)
		total += self->sh->count[i];
	/*
	 * Host uids 100001-100004 exported, but the container is uid
	 * 3000's: 16 in all, not 16 each.
	 */
	EXPECT_EQ(16, self->sh->count[0]);
	EXPECT_EQ(16, total) TH_LOG("the container's uids made %d %d %d %d",
				    self->sh->count[0], self->sh->count[1],
				    self->sh->count[2], self->sh->count[3]);
	pst_expect_idle(_metadata, &self->before);
}

/* A session of the host, which the container inherits. */
static int host_sess = -1;

/*
 * In the container: its root lowers the per-user limit to 4 and uid 5
 * finds it; an ordinary uid may not set limits, nor may anyone through
 * the host's session; then the container raises its limit above the
 * owner's, which still applies; it resets them; and limits set last only
 * while the namespace uses the module.
 */
static int own_limits(FIXTURE_DATA(lim) * self)
{
	struct primeshare_limits l = { 0 };
	struct shared *sh = self->sh;
	int ready[2], hold[2], s;
	pid_t pid;
	char c;

	s = pst_open();
	if (s < 0 || pipe(ready) || pipe(hold))
		return 130;
	sh->ret[0] = pst_limits(s, &sh->lim[0]);
	l.flags = PRIMESHARE_LIMITS_SET;
	l.max_handles_per_user = 4;
	l.max_holds_per_user = 100;
	l.max_metadata_bytes_per_user = 1 << 20;
	sh->ret[1] = pst_limits(s, &l);
	sh->lim[1] = l;

	pid = exporter(5, self->buf, &sh->count[0], ready, hold);
	if (pid < 0 || read(ready[0], &c, 1) != 1)
		return 131;
	close(hold[1]);
	if (pst_wait(pid))
		return 132;

	pid = fork();
	if (pid == 0) {
		struct primeshare_limits u = l;

		if (pst_become(6, 6, 0, NULL))
			_exit(101);
		_exit(pst_status(pst_limits(s, &u)));
	}
	sh->ret[2] = pst_wait(pid);
	sh->ret[5] = pst_limits(host_sess, &l);

	/* Above the owner's 10 (one of which the record itself takes). */
	l.flags = PRIMESHARE_LIMITS_SET;
	l.max_handles_per_user = 1000;
	l.handles = 0;
	l.holds = 0;
	l.metadata_bytes = 0;
	sh->ret[3] = pst_limits(s, &l);
	close(ready[0]);
	close(ready[1]);
	if (pipe(ready) || pipe(hold))
		return 133;
	pid = exporter(5, self->buf, &sh->count[1], ready, hold);
	if (pid < 0 || read(ready[0], &c, 1) != 1)
		return 134;
	close(hold[1]);
	if (pst_wait(pid))
		return 135;

	memset(&l, 0, sizeof(l));
	l.flags = PRIMESHARE_LIMITS_RESET;
	sh->ret[4] = pst_limits(s, &l);
	sh->lim[2] = l;

	/* The namespace's last session closes: its own limits go with it. */
	l.flags = PRIMESHARE_LIMITS_SET;
	l.max_handles_per_user = 3;
	if (pst_limits(s, &l))
		return 136;
	close(s);
	s = pst_open();
	if (s < 0)
		return 137;
	memset(&l, 0, sizeof(l));
	sh->ret[6] = pst_limits(s, &l);
	sh->lim[3] = l;
	close(s);
	return 0;
}

TEST_F(lim, namespace_sets_limits_for_its_users)
{
	struct primeshare_limits l = { 0 };
	struct shared *sh = self->sh;
	int s;

	ASSERT_EQ(0, pst_set_param("max_handles_per_user", 10));
	host_sess = pst_open();
	ASSERT_LE(0, host_sess);
	ASSERT_EQ(0, in_container(own_limits, self));
	close(host_sess);
	/* The defaults are the module's parameters. */
	EXPECT_EQ(0, sh->ret[0]);
	EXPECT_EQ(10, sh->lim[0].max_handles_per_user);
	EXPECT_EQ(0, sh->ret[1]);
	EXPECT_EQ(4, sh->lim[1].max_handles_per_user);
	EXPECT_EQ(100, sh->lim[1].max_holds_per_user);
	EXPECT_EQ(1 << 20, sh->lim[1].max_metadata_bytes_per_user);
	EXPECT_EQ(4, sh->count[0]);
	EXPECT_EQ(EPERM, sh->ret[2]);
	EXPECT_EQ(-EPERM, sh->ret[5]);
	EXPECT_EQ(0, sh->ret[3]);
	/* The owner's 10 in the initial namespace still apply. */
	EXPECT_EQ(10, sh->count[1]);
	EXPECT_EQ(0, sh->ret[4]);
	EXPECT_EQ(10, sh->lim[2].max_handles_per_user);
	EXPECT_EQ(0, sh->ret[6]);
	EXPECT_EQ(10, sh->lim[3].max_handles_per_user);

	/* The host's view is its own. */
	s = pst_open();
	ASSERT_LE(0, s);
	ASSERT_EQ(0, pst_limits(s, &l));
	EXPECT_EQ(10, l.max_handles_per_user);
	EXPECT_EQ(0, l.handles);
	close(s);
	pst_expect_idle(_metadata, &self->before);
}

TEST_F(lim, metadata_bytes_count)
{
	static char md[4096];
	struct primeshare_limits l = { 0 };
	int s;

	ASSERT_EQ(0, pst_set_param("max_metadata_bytes_per_user", 8192));
	s = pst_open();
	ASSERT_LE(0, s);
	EXPECT_EQ(0, pst_export_md(s, self->buf, 0, 0, md, 4096, NULL));
	EXPECT_EQ(0, pst_export_md(s, self->buf, 0, 0, md, 4096, NULL));
	EXPECT_EQ(-ENOSPC, pst_export_md(s, self->buf, 0, 0, md, 1, NULL));
	EXPECT_EQ(0, pst_export(s, self->buf, 0, 0, NULL));
	ASSERT_EQ(0, pst_limits(s, &l));
	EXPECT_EQ(3, l.handles);
	EXPECT_EQ(8192, l.metadata_bytes);
	EXPECT_EQ(8192, l.max_metadata_bytes_per_user);
	close(s);
	pst_expect_idle(_metadata, &self->before);
}

TEST_F(lim, hold_records_count)
{
	struct primeshare_limits l = { 0 };
	__u64 h[3];
	int a, b, fd, i;

	ASSERT_EQ(0, pst_set_param("max_holds_per_user", 3));
	a = pst_open();
	b = pst_open();
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	/* A refcounted handle's first hold is its exporter's record. */
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pst_export(a, self->buf,
					PRIMESHARE_EXPORT_REFCOUNTED, 0, &h[i]));
	fd = pst_import(b, h[0], PRIMESHARE_IMPORT_HOLD);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(-ENOSPC, pst_export(a, self->buf,
				      PRIMESHARE_EXPORT_REFCOUNTED, 0, &h[2]));
	EXPECT_EQ(-ENOSPC, pst_import(b, h[1], PRIMESHARE_IMPORT_HOLD));
	/* Another hold of a session that has a record costs no record. */
	fd = pst_import(b, h[0], PRIMESHARE_IMPORT_HOLD);
	EXPECT_LE(0, fd);
	close(fd);
	/* Owned handles and plain imports take none. */
	EXPECT_EQ(0, pst_export(a, self->buf, 0, 0, NULL));
	fd = pst_import(b, h[1], 0);
	EXPECT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, pst_limits(a, &l));
	EXPECT_EQ(3, l.holds);
	/* A limit lowered below the count stops only its own kind. */
	ASSERT_EQ(0, pst_set_param("max_holds_per_user", 1));
	EXPECT_EQ(0, pst_export(a, self->buf, 0, 0, NULL));
	EXPECT_EQ(-ENOSPC, pst_import(b, h[1], PRIMESHARE_IMPORT_HOLD));
	ASSERT_EQ(0, pst_set_param("max_holds_per_user", 3));
	/* A record given back is free for another. */
	EXPECT_EQ(0, pst_release(b, h[0]));
	EXPECT_EQ(0, pst_release(b, h[0]));
	fd = pst_import(b, h[1], PRIMESHARE_IMPORT_HOLD);
	EXPECT_LE(0, fd);
	close(fd);
	close(a);
	close(b);
	pst_expect_idle(_metadata, &self->before);
}

/* LIMITS as an ordinary user; -errno. */
static int limits_as_user(int sess, struct primeshare_limits *l)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (pst_become(1000, 1000, 0, NULL))
			_exit(101);
		_exit(pst_status(pst_limits(sess, l)));
	}
	return -pst_wait(pid);
}

TEST_F(lim, limits_ioctl_errors)
{
	struct primeshare_limits l, ok = { 0 };
	int s;

	s = pst_open();
	ASSERT_LE(0, s);
	ASSERT_EQ(0, pst_limits(s, &ok));
	ok.handles = 0;
	ok.holds = 0;
	ok.metadata_bytes = 0;

	l = (struct primeshare_limits){ .flags = 1U << 2 };
	EXPECT_EQ(-EINVAL, pst_limits(s, &l));
	l = (struct primeshare_limits){
		.flags = PRIMESHARE_LIMITS_SET | PRIMESHARE_LIMITS_RESET };
	EXPECT_EQ(-EINVAL, pst_limits(s, &l));
	l = (struct primeshare_limits){ .__pad = 1 };
	EXPECT_EQ(-EINVAL, pst_limits(s, &l));
	/* The counts are out only: ignored in. */
	l = (struct primeshare_limits){
		.handles = 1, .holds = 2, .metadata_bytes = 3 };
	EXPECT_EQ(0, pst_limits(s, &l));
	EXPECT_EQ(0, l.handles);
	/* Limits are read back, not given, without SET. */
	l = (struct primeshare_limits){ .max_handles_per_user = 5 };
	EXPECT_EQ(-EINVAL, pst_limits(s, &l));
	/* The initial namespace's limits are the parameters: no reset. */
	l = (struct primeshare_limits){ .flags = PRIMESHARE_LIMITS_RESET };
	EXPECT_EQ(-EINVAL, pst_limits(s, &l));
	l = ok;
	l.flags = PRIMESHARE_LIMITS_SET;
	l.max_metadata_bytes_per_user = 1ULL << 32;
	EXPECT_EQ(-EINVAL, pst_limits(s, &l));
	l = ok;
	l.flags = PRIMESHARE_LIMITS_SET;
	EXPECT_EQ(-EPERM, limits_as_user(s, &l));
	/* Reading needs no capability. */
	l = (struct primeshare_limits){ 0 };
	EXPECT_EQ(0, limits_as_user(s, &l));
	/*
	 * A structure shorter than the first version (1.1's, which ended at
	 * metadata_bytes), and a bad address.  1.1's size itself is fine.
	 */
	EXPECT_EQ(-EINVAL, pst_ioctl(s, PST_IOC(_IOC_READ | _IOC_WRITE, 0x06,
						offsetof(struct primeshare_limits,
							 max_keyed_mutexes_per_user) - 8),
				     &l));
	l = (struct primeshare_limits){ 0 };
	EXPECT_EQ(0, pst_ioctl(s, PST_IOC(_IOC_READ | _IOC_WRITE, 0x06,
					  offsetof(struct primeshare_limits,
						   max_keyed_mutexes_per_user)),
			       &l));
	EXPECT_EQ(0, l.max_keyed_mutexes_per_user);
	EXPECT_LT(0, l.max_handles_per_user);
	/* Between 1.1's 48 bytes and 1.2's 64, a field would be split. */
	l = (struct primeshare_limits){ 0 };
	EXPECT_EQ(-EINVAL, pst_ioctl(s, PST_IOC(_IOC_READ | _IOC_WRITE, 0x06,
						sizeof(l) - 8), &l));
	EXPECT_EQ(-EINVAL, pst_ioctl(s, PST_IOC(_IOC_READ | _IOC_WRITE, 0x06,
						sizeof(l) - 12), &l));
	l = (struct primeshare_limits){ 0 };
	EXPECT_EQ(-EFAULT, pst_ioctl(s, PRIMESHARE_IOCTL_LIMITS, NULL));
	EXPECT_EQ(-EINVAL, pst_ioctl(s, PST_IOC(_IOC_WRITE, 0x06, sizeof(l)),
				     &l));

	/* SET in the initial namespace sets the parameters. */
	l = ok;
	l.flags = PRIMESHARE_LIMITS_SET;
	l.max_handles_per_user = 77;
	EXPECT_EQ(0, pst_limits(s, &l));
	EXPECT_EQ(77, l.max_handles_per_user);
	EXPECT_EQ(77, pst_get_param("max_handles_per_user"));
	close(s);
	pst_expect_idle(_metadata, &self->before);
}

TEST_HARNESS_MAIN
