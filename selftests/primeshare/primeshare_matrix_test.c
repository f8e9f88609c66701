// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * The access matrix: every kind of caller against every mode, for IMPORT,
 * QUERY, LIST, RELEASE and PRIMESHARE_RELEASE_FORCE, each cell checked
 * against the rule of Documentation/security.rst:
 *
 * - a handle of another IPC namespace does not exist (ENOENT, not listed);
 * - exactly one class applies: owner if the effective uid is the handle's,
 *   else group if the effective gid or a supplementary gid is the handle's,
 *   else other (real, saved and filesystem ids play no part);
 * - the class's read bit, or CAP_IPC_OWNER in the user namespace owning the
 *   caller's IPC namespace, admits IMPORT, QUERY and LIST (else EACCES);
 * - RELEASE without flags from a session that neither exported nor holds
 *   the handle is EPERM;
 * - PRIMESHARE_RELEASE_FORCE needs the owner's effective uid or that
 *   CAP_SYS_ADMIN (else EPERM).
 *
 * Callers "with" or "without CAP_SYS_ADMIN" below gain or lose both
 * overrides, CAP_IPC_OWNER and CAP_SYS_ADMIN (primeshare_access_test keeps
 * them apart).
 *
 * Then a container whose administrator rules its own namespace only, and a
 * million random guesses by another user that find nothing.
 */
#include <linux/capability.h>
#include <sched.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>

#include "kselftest_harness.h"
#include "ps_test.h"

#define OWNER_UID 1000
#define OWNER_GID 1000

static const __u32 modes[] = { 0, 0400, 0040, 0004, 0440, 0404, 0044, 0444 };
#define NMODES 8
#define NLIFETIMES 2	/* owned and refcounted; oneshot would be used up */
#define NHANDLES (NMODES * NLIFETIMES)

enum op { IMPORT, QUERY, LISTED, RELEASE, NOPS };
static const char *const op_names[] = { "IMPORT", "QUERY", "LIST", "RELEASE" };

struct caller {
	const char *name;
	uid_t ruid, euid, suid;
	int fsuid;		/* -1: the effective uid */
	gid_t rgid, egid;
	int ngroups;
	gid_t groups[2];
	int sys_admin;		/* root without it, or a user with it */
	int newns;		/* CLONE_NEW* flags, after taking the ids */
	int newipc;		/* CLONE_NEWIPC while still root */
};

/*
 * The callers, by their ids in the initial user namespace.  A user
 * namespace a caller creates changes none of them (it only maps them).
 */
static const struct caller callers[] = {
	{ "owner", 1000, 1000, 1000, -1, 1000, 1000 },
	{ "owner with another gid", 1000, 1000, 1000, -1, 3000, 3000 },
	{ "group member by effective gid", 2000, 2000, 2000, -1, 1000, 1000 },
	{ "group member by supplementary gid", 2000, 2000, 2000, -1, 2000,
	  2000, 2, { 4000, 1000 } },
	{ "real gid only in the group", 2000, 2000, 2000, -1, 1000, 2000 },
	{ "other user", 2000, 2000, 2000, -1, 2000, 2000 },
	{ "real uid only the owner's", 1000, 2000, 2000, -1, 2000, 2000 },
	{ "saved and filesystem uid the owner's", 2000, 2000, 1000, 1000, 2000,
	  2000 },
	{ "root", 0, 0, 0, -1, 0, 0 },
	{ "root without CAP_SYS_ADMIN", 0, 0, 0, -1, 0, 0, 0, { 0 }, 1 },
	{ "other user with CAP_SYS_ADMIN", 2000, 2000, 2000, -1, 2000, 2000, 0,
	  { 0 }, 1 },
	{ "owner in its own user namespace", 1000, 1000, 1000, -1, 1000, 1000,
	  0, { 0 }, 0, CLONE_NEWUSER },
	{ "other user, root of its own user namespace", 2000, 2000, 2000, -1,
	  2000, 2000, 0, { 0 }, 0, CLONE_NEWUSER },
	{ "root in its own user namespace", 0, 0, 0, -1, 0, 0, 0, { 0 }, 0,
	  CLONE_NEWUSER },
	{ "root in another IPC namespace", 0, 0, 0, -1, 0, 0, 0, { 0 }, 0, 0,
	  1 },
	{ "owner in its own user and IPC namespaces", 1000, 1000, 1000, -1,
	  1000, 1000, 0, { 0 }, 0, CLONE_NEWUSER | CLONE_NEWIPC },
};

#define NCALLERS ((int)ARRAY_SIZE(callers))

/* ---- the documented rule ------------------------------------------------ */

static int elsewhere(const struct caller *c)
{
	return c->newipc || (c->newns & CLONE_NEWIPC);
}

/* CAP_SYS_ADMIN in the user namespace owning the initial IPC namespace. */
static int admin(const struct caller *c)
{
	if (c->newns & CLONE_NEWUSER)
		return 0;
	return c->euid == 0 ? !c->sys_admin : c->sys_admin;
}

static __u32 class_bit(const struct caller *c)
{
	int i;

	if (c->euid == OWNER_UID)
		return PRIMESHARE_MODE_OWNER;
	if (c->egid == OWNER_GID)
		return PRIMESHARE_MODE_GROUP;
	for (i = 0; i < c->ngroups; i++)
		if (c->groups[i] == OWNER_GID)
			return PRIMESHARE_MODE_GROUP;
	return PRIMESHARE_MODE_OTHER;
}

/* The answer the rule gives: 0 or -errno; for LISTED, 1 or 0. */
static int expected(const struct caller *c, __u32 mode, enum op op)
{
	int admitted = ((mode ?: PRIMESHARE_MODE_DEFAULT) & class_bit(c)) ||
		       admin(c);

	if (op == LISTED)
		return admitted && !elsewhere(c);
	if (elsewhere(c))
		return -ENOENT;
	if (op == RELEASE)
		return -EPERM;
	return admitted ? 0 : -EACCES;
}

static int expected_force(const struct caller *c)
{
	if (elsewhere(c))
		return -ENOENT;
	return c->euid == OWNER_UID || admin(c) ? 0 : -EPERM;
}

/* ---- callers ------------------------------------------------------------ */

/* Access (IMPORT, QUERY, LIST) and removal (FORCE) overrides. */
static const __u32 pst_overrides = 1U << CAP_IPC_OWNER | 1U << CAP_SYS_ADMIN;

static int set_sys_admin_only(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	data[0].effective = pst_overrides;
	data[0].permitted = pst_overrides;
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

static int drop_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[0].effective &= ~pst_overrides;
	data[0].permitted &= ~pst_overrides;
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/*
 * Turn this (forked, single-threaded) process into @c.  0, or a step
 * number when the system would not let it.
 */
static int become_caller(const struct caller *c)
{
	if (c->newipc && unshare(CLONE_NEWIPC))
		return 1;
	if (c->euid && c->sys_admin && prctl(PR_SET_KEEPCAPS, 1))
		return 2;
	if (setgroups(c->ngroups, c->groups) ||
	    setresgid(c->rgid, c->egid, c->egid) ||
	    setresuid(c->ruid, c->euid, c->suid))
		return 3;
	if (c->fsuid >= 0) {
		setfsuid(c->fsuid);
		if ((int)setfsuid(-1) != c->fsuid)
			return 4;
	}
	if (c->sys_admin && (c->euid ? set_sys_admin_only() :
				       drop_sys_admin()))
		return 5;
	if (c->newns && unshare(c->newns))
		return 6;
	return 0;
}

/* Is @h among the handles LIST shows this session? */
static int listed(int s, __u64 h)
{
	struct primeshare_list l = { 0 };
	__u64 buf[256];
	unsigned int i;

	do {
		l.handles = (uintptr_t)buf;
		l.count = 256;
		if (pst_ioctl(s, PRIMESHARE_IOCTL_LIST, &l))
			return -1;
		for (i = 0; i < l.count; i++)
			if (buf[i] == h)
				return 1;
	} while (l.count);
	return 0;
}

struct answers {
	int setup;		/* 0, or the step of become_caller() that failed */
	int cell[NHANDLES][NOPS];
	int force[NMODES];
};

/* In the caller's process: every operation on every handle. */
static void ask(const struct caller *c, const __u64 *access,
		const __u64 *force, struct answers *a)
{
	struct primeshare_query q;
	int s, i, fd;

	memset(a, 0, sizeof(*a));
	a->setup = become_caller(c);
	if (a->setup)
		return;
	s = pst_open();
	if (s < 0) {
		a->setup = 7;
		return;
	}
	for (i = 0; i < NHANDLES; i++) {
		fd = pst_import(s, access[i], PRIMESHARE_IMPORT_CLOEXEC);
		if (fd >= 0)
			close(fd);
		a->cell[i][IMPORT] = fd < 0 ? fd : 0;
		a->cell[i][QUERY] = pst_query(s, access[i], &q);
		a->cell[i][LISTED] = listed(s, access[i]);
		a->cell[i][RELEASE] = pst_release(s, access[i]);
	}
	for (i = 0; i < NMODES; i++)
		a->force[i] = pst_release_flags(s, force[i],
						PRIMESHARE_RELEASE_FORCE);
	close(s);
}

/* Export as the owner (effective ids only), then be root again. */
static int export_as_owner(int s, int buf, __u32 flags, __u32 mode, __u64 *h)
{
	int ret;

	if (setresgid(-1, OWNER_GID, -1) || setresuid(-1, OWNER_UID, -1))
		return -errno;
	ret = pst_export(s, buf, flags, mode, h);
	if (setresuid(-1, 0, -1) || setresgid(-1, 0, -1))
		abort();
	return ret;
}

FIXTURE(matrix) {
	int drm;
	int buf;
	struct pst_state before;
};

FIXTURE_SETUP(matrix)
{
	pst_require_device(_metadata);
	ASSERT_EQ(0, geteuid()) TH_LOG("these tests run as root");
	self->drm = pst_open_drm("vgem");
	ASSERT_LE(0, self->drm) TH_LOG("no vgem DRM node (is vgem loaded?)");
	self->buf = pst_vgem_dmabuf(self->drm, 4096);
	ASSERT_LE(0, self->buf);
	pst_state_get(&self->before);
	ASSERT_EQ(0, self->before.sessions) TH_LOG("a session is already open");
}

FIXTURE_TEARDOWN(matrix)
{
	close(self->buf);
	close(self->drm);
}

TEST_F_TIMEOUT(matrix, every_caller_against_every_mode, 300)
{
	__u64 access[NHANDLES], force[NMODES];
	struct answers *a = mmap(NULL, sizeof(*a), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int s = pst_open(), i, k, op, want, ret, cells = 0, wrong = 0;
	const struct caller *c;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, a);
	ASSERT_LE(0, s);
	for (i = 0; i < NHANDLES; i++)
		ASSERT_EQ(0, export_as_owner(s, self->buf, i / NMODES,
					     modes[i % NMODES], &access[i]));
	for (k = 0; k < NCALLERS; k++) {
		c = &callers[k];
		for (i = 0; i < NMODES; i++)
			ASSERT_EQ(0, export_as_owner(s, self->buf, 0, modes[i],
						     &force[i]));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			ask(c, access, force, a);
			_exit(0);
		}
		ASSERT_EQ(0, pst_wait(pid));
		ASSERT_EQ(0, a->setup)
			TH_LOG("%s: cannot set up the caller (step %d)",
			       c->name, a->setup);
		for (i = 0; i < NHANDLES; i++) {
			for (op = 0; op < NOPS; op++) {
				want = expected(c, modes[i % NMODES], op);
				cells++;
				if (a->cell[i][op] == want)
					continue;
				wrong++;
				TH_LOG("%s, mode %04o, %s: %s gave %d, the rule says %d",
				       c->name, modes[i % NMODES],
				       i / NMODES ? "refcounted" : "owned",
				       op_names[op], a->cell[i][op], want);
			}
		}
		for (i = 0; i < NMODES; i++) {
			want = expected_force(c);
			cells++;
			if (a->force[i] != want) {
				wrong++;
				TH_LOG("%s, mode %04o: forced release gave %d, the rule says %d",
				       c->name, modes[i], a->force[i], want);
			}
			/* What the caller did not end is still there. */
			ret = pst_release(s, force[i]);
			EXPECT_EQ(a->force[i] ? 0 : -ENOENT, ret);
		}
	}
	TH_LOG("%d callers: %d cells checked, %d against the rule", NCALLERS,
	       cells, wrong);
	EXPECT_EQ(0, wrong);
	for (i = 0; i < NHANDLES; i++)
		EXPECT_EQ(0, pst_release(s, access[i]));
	close(s);
	munmap(a, sizeof(*a));
	pst_expect_idle(_metadata, &self->before);
}

/* ---- a container -------------------------------------------------------- */

/*
 * A container: a user namespace, created by the host's uid 3000, that maps
 * its ids 0-4999 to 100000-104999, with its own IPC namespace.  Its uid
 * 1000 exports a handle with mode 0400.  Who may import, list and
 * force-release it.  (The creator of a user namespace holds every
 * capability in it, so the host's uid 3000 has CAP_SYS_ADMIN over the
 * container's IPC namespace too.)
 */
enum asker {
	C_ROOT,		/* the container's root: CAP_SYS_ADMIN over its ns */
	C_OWNER,	/* the container's uid 1000 */
	C_OTHER,	/* the container's uid 2000 */
	C_ROOT_NOCAP,	/* the container's root without CAP_SYS_ADMIN */
	H_ROOT,		/* the host's root, in the host's IPC namespace */
	H_ROOT_IN,	/* the host's root, joined to the container's */
	H_ROOT_IN_NOCAP,	/* same, then without CAP_SYS_ADMIN */
	H_1000_IN,	/* joined, then the host's uid 1000 */
	H_CREATOR_IN,	/* joined, then the host's uid 3000 */
	NWHO,
};

static const char *const who_names[NWHO] = {
	"container root", "container uid 1000 (owner)", "container uid 2000",
	"container root without CAP_SYS_ADMIN", "host root",
	"host root in the container's IPC namespace",
	"host root in the container's IPC namespace without CAP_SYS_ADMIN",
	"host uid 1000 in the container's IPC namespace",
	"host uid 3000 (the creator) in the container's IPC namespace",
};

/* Not asked: a forced release would end the handle for the others. */
#define UNASKED 1000

/* The rule for each: import, listed, forced release. */
static const int container_rule[NWHO][3] = {
	[C_ROOT] = { 0, 1, UNASKED },
	[C_OWNER] = { 0, 1, UNASKED },
	[C_OTHER] = { -EACCES, 0, -EPERM },
	[C_ROOT_NOCAP] = { -EACCES, 0, -EPERM },
	[H_ROOT] = { -ENOENT, 0, -ENOENT },
	[H_ROOT_IN] = { 0, 1, UNASKED },
	[H_ROOT_IN_NOCAP] = { -EACCES, 0, -EPERM },
	[H_1000_IN] = { -EACCES, 0, -EPERM },
	[H_CREATOR_IN] = { 0, 1, UNASKED },
};

struct container {
	__u64 h;
	int setup;
	int got[NWHO][3];
	int final_force;
};

/* In a forked child: become @who, then ask. */
static void probe(struct container *ct, enum asker who, pid_t cpid)
{
	char path[64];
	int s, fd, ns;

	if (who >= H_ROOT_IN) {
		snprintf(path, sizeof(path), "/proc/%d/ns/ipc", cpid);
		ns = open(path, O_RDONLY | O_CLOEXEC);
		if (ns < 0 || setns(ns, CLONE_NEWIPC))
			_exit(10);
		close(ns);
	}
	if (((who == C_ROOT_NOCAP || who == H_ROOT_IN_NOCAP) &&
	     drop_sys_admin()) ||
	    ((who == C_OWNER || who == H_1000_IN) &&
	     pst_become(1000, 1000, 0, NULL)) ||
	    (who == H_CREATOR_IN && pst_become(3000, 3000, 0, NULL)) ||
	    (who == C_OTHER && pst_become(2000, 2000, 0, NULL)))
		_exit(11);
	s = pst_open();
	if (s < 0)
		_exit(12);
	fd = pst_import(s, ct->h, PRIMESHARE_IMPORT_CLOEXEC);
	if (fd >= 0)
		close(fd);
	ct->got[who][0] = fd < 0 ? fd : 0;
	ct->got[who][1] = listed(s, ct->h);
	ct->got[who][2] = container_rule[who][2] == UNASKED ? UNASKED :
			  pst_release_flags(s, ct->h, PRIMESHARE_RELEASE_FORCE);
	_exit(0);
}

static int run_probe(struct container *ct, enum asker who, pid_t cpid)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		probe(ct, who, cpid);
	return pst_wait(pid);
}

/* The container's first process; its exit status is a setup step. */
static int container_main(struct container *ct, int buf, int ready, int go)
{
	enum asker who;
	int s;
	char c;

	if (pst_become(3000, 3000, 0, NULL) ||
	    unshare(CLONE_NEWUSER | CLONE_NEWIPC))
		return 1;
	if (write(ready, "n", 1) != 1 || read(go, &c, 1) != 1)
		return 2;
	/* Mapped now: become the container's root. */
	if (setresgid(0, 0, 0) || setresuid(0, 0, 0) || setgroups(0, NULL))
		return 3;
	s = pst_open();
	if (s < 0 || export_as_owner(s, buf, 0, PRIMESHARE_MODE_OWNER, &ct->h))
		return 4;
	for (who = C_ROOT; who <= C_ROOT_NOCAP; who++)
		if (run_probe(ct, who, 0))
			return 5;
	if (write(ready, "h", 1) != 1 || read(go, &c, 1) != 1)
		return 6;
	/* The host has looked: the container's root ends the handle. */
	ct->final_force = pst_release_flags(s, ct->h, PRIMESHARE_RELEASE_FORCE);
	close(s);
	return 0;
}

TEST_F_TIMEOUT(matrix, container_admin_rules_its_own_namespace_only, 120)
{
	struct container *ct = mmap(NULL, sizeof(*ct), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int ready[2], go[2], i, j, who;
	pid_t cpid;
	char c;

	ASSERT_NE(MAP_FAILED, ct);
	memset(ct, 0x7f, sizeof(*ct));
	ct->h = 0;
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	cpid = fork();
	ASSERT_LE(0, cpid);
	if (cpid == 0)
		_exit(container_main(ct, self->buf, ready[1], go[0]));
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, pst_write_map(cpid, "uid_map", "0 100000 5000"));
	ASSERT_EQ(0, pst_write_map(cpid, "gid_map", "0 100000 5000"));
	ASSERT_EQ(1, write(go[1], "m", 1));
	ASSERT_EQ(1, read(ready[0], &c, 1)) TH_LOG("the container failed");
	for (who = H_ROOT; who < NWHO; who++)
		EXPECT_EQ(0, run_probe(ct, who, cpid));
	ASSERT_EQ(1, write(go[1], "f", 1));
	EXPECT_EQ(0, pst_wait(cpid));
	for (i = 0; i < NWHO; i++) {
		const char *name = who_names[i];

		for (j = 0; j < 3; j++)
			EXPECT_EQ(container_rule[i][j], ct->got[i][j])
				TH_LOG("%s: %s", name,
				       j ? j == 1 ? "listed" : "forced release" :
				       "import");
	}
	EXPECT_EQ(0, ct->final_force);
	for (i = 0; i < 2; i++) {
		close(ready[i]);
		close(go[i]);
	}
	munmap(ct, sizeof(*ct));
	pst_expect_idle(_metadata, &self->before);
}

/* ---- guessing ------------------------------------------------------------ */

struct guesses {
	__u64 seed;
	long calls;
	long found;
	__u64 first;
	int first_ret;
	double seconds;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void count_guess(struct guesses *g, __u64 h, int ret)
{
	g->calls++;
	if (ret == -ENOENT)
		return;
	if (ret >= 0 && ret != 0)
		close(ret);
	if (!g->found++) {
		g->first = h;
		g->first_ret = ret;
	}
}

/* As uid 2000: import, query and force-release random numbers. */
static int guess(struct guesses *g, const __u64 *live, int nlive)
{
	enum { GUESSES = 1000000 };
	__u64 rng = g->seed, h;
	double start;
	int s, i, d;

	if (pst_become(2000, 2000, 0, NULL))
		return 1;
	s = pst_open();
	if (s < 0)
		return 2;
	start = now();
	for (i = 0; i < GUESSES; i++) {
		h = pst_rand(&rng);
		count_guess(g, h, pst_import(s, h, PRIMESHARE_IMPORT_CLOEXEC));
	}
	g->seconds = now() - start;
	/* Neighbours of live handles are no better than chance. */
	for (i = 0; i < nlive && i < 16; i++)
		for (d = -256; d <= 256; d++)
			if (d)
				count_guess(g, live[i] + d,
					    pst_import(s, live[i] + d, 0));
	/* Nor is any other request. */
	for (i = 0; i < GUESSES / 10; i++) {
		struct primeshare_query q;

		h = pst_rand(&rng);
		count_guess(g, h, pst_query(s, h, &q));
		h = pst_rand(&rng);
		count_guess(g, h, pst_release_flags(s, h,
						    PRIMESHARE_RELEASE_FORCE));
	}
	close(s);
	return 0;
}

TEST_F_TIMEOUT(matrix, a_million_guesses_by_another_user_find_nothing, 300)
{
	enum { LIVE = 1024 };
	static __u64 live[LIVE];
	struct guesses *g = mmap(NULL, sizeof(*g), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int s = pst_open(), i;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, g);
	ASSERT_LE(0, s);
	memset(g, 0, sizeof(*g));
	ASSERT_EQ(sizeof(g->seed), getrandom(&g->seed, sizeof(g->seed), 0));
	/* Handles of every mode, some of which uid 2000 could import. */
	for (i = 0; i < LIVE; i++)
		ASSERT_EQ(0, export_as_owner(s, self->buf, 0,
					     modes[i % NMODES], &live[i]));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(guess(g, live, LIVE));
	ASSERT_EQ(0, pst_wait(pid));
	TH_LOG("%ld guesses (seed %#llx), %d live handles", g->calls,
	       (unsigned long long)g->seed, LIVE);
	TH_LOG("the first million (imports) took %.2f s: %.0f a second",
	       g->seconds, 1000000 / g->seconds);
	EXPECT_EQ(0, g->found)
		TH_LOG("%ld found, first %llx (%d)", g->found,
		       (unsigned long long)g->first, g->first_ret);
	for (i = 0; i < LIVE; i++)
		EXPECT_EQ(0, pst_release(s, live[i]));
	close(s);
	munmap(g, sizeof(*g));
	pst_expect_idle(_metadata, &self->before);
}

TEST_HARNESS_MAIN
