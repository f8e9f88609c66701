// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * Faults: exporters and importers killed at random points, a session
 * closed while other threads import from it, module unload attempted while
 * the module is busy, a memory cgroup limit reached during export, and an
 * idle module unloaded and loaded again.  After each, nothing is left: the
 * live counts in debugfs are 0 and no dma-buf or descriptor remains.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>

#include "kselftest_harness.h"
#include "ps_test.h"

#define NBUFS 3
#define BOARD 64

FIXTURE(fault) {
	int drm;
	int bufs[NBUFS];
	struct pst_state before;
};

FIXTURE_SETUP(fault)
{
	int i;

	pst_require_device(_metadata);
	ASSERT_EQ(0, geteuid()) TH_LOG("these tests run as root");
	self->drm = pst_open_drm("vgem");
	ASSERT_LE(0, self->drm) TH_LOG("no vgem DRM node (is vgem loaded?)");
	for (i = 0; i < NBUFS; i++) {
		self->bufs[i] = pst_vgem_dmabuf(self->drm, 4096 << (2 * i));
		ASSERT_LE(0, self->bufs[i]);
	}
	pst_state_get(&self->before);
	ASSERT_EQ(0, self->before.sessions) TH_LOG("a session is already open");
}

FIXTURE_TEARDOWN(fault)
{
	int i;

	for (i = 0; i < NBUFS; i++)
		close(self->bufs[i]);
	close(self->drm);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- SIGKILL at random points ------------------------------------------- */

/* Shared between the test and its children. */
struct board {
	__u64 handles[BOARD];
	unsigned long exports;
	unsigned long imports;
	int failed;
	char why[120];
};

static void post(struct board *b, __u64 *rng, __u64 h)
{
	__atomic_store_n(&b->handles[pst_rand_below(rng, BOARD)], h,
			 __ATOMIC_RELAXED);
}

/*
 * A child runs until it is killed, so any exit is a failure; the first one
 * says on the board what went wrong.
 */
static int child_fail(struct board *b, const char *what, int err)
{
	if (!__atomic_exchange_n(&b->failed, 1, __ATOMIC_ACQ_REL))
		snprintf(b->why, sizeof(b->why), "%s: %s", what,
			 strerror(err));
	return 1;
}

/* Export in a loop; release some, import some, change session now and then. */
static int exporter(struct board *b, const int *bufs, int shared, __u64 rng)
{
	static const __u32 md_sizes[] = { 0, 16, 4096 };
	static char md[4096];
	__u64 mine[32] = { 0 };
	int s = shared >= 0 ? shared : pst_open(), fd, ret;
	unsigned int i = 0, k;
	__u32 flags;
	__u64 h;

	if (s < 0)
		return child_fail(b, "open", errno);
	for (;; i++) {
		flags = pst_rand_below(&rng, 3);
		ret = pst_export_md(s, bufs[pst_rand_below(&rng, NBUFS)], flags,
				    PRIMESHARE_MODE_MASK, md,
				    md_sizes[pst_rand_below(&rng, 3)], &h);
		if (ret == -ENOSPC)
			continue;
		if (ret)
			return child_fail(b, "export", -ret);
		__atomic_add_fetch(&b->exports, 1, __ATOMIC_RELAXED);
		post(b, &rng, h);
		k = pst_rand_below(&rng, 32);
		if (mine[k]) {
			/* Imported (oneshot) or still ours. */
			ret = pst_release(s, mine[k]);
			if (ret && ret != -ENOENT)
				return child_fail(b, "release", -ret);
		}
		mine[k] = h;
		if (pst_rand_below(&rng, 4) == 0) {
			fd = pst_import(s, h, 0);
			if (fd >= 0)
				close(fd);
			else if (fd != -ENOENT)
				return child_fail(b, "import", -fd);
		}
		if (shared < 0 && pst_rand_below(&rng, 64) == 0) {
			close(s);
			memset(mine, 0, sizeof(mine));
			s = pst_open();
			if (s < 0)
				return child_fail(b, "reopen", errno);
		}
	}
}

/* Import what the exporters post, with and without holds; query and list. */
static int importer(struct board *b, int shared, __u64 rng)
{
	struct primeshare_list l = { 0 };
	struct primeshare_query q;
	__u64 held[8] = { 0 }, list[64];
	int fds[8], s, fd, ret, hold;
	unsigned int k;
	__u64 h;

	memset(fds, -1, sizeof(fds));
	s = shared >= 0 ? shared : pst_open();
	if (s < 0)
		return child_fail(b, "open", errno);
	for (;;) {
		h = __atomic_load_n(&b->handles[pst_rand_below(&rng, BOARD)],
				    __ATOMIC_RELAXED);
		ret = pst_query(s, h, &q);
		if (ret && ret != -ENOENT)
			return child_fail(b, "query", -ret);
		hold = !ret && q.lifetime == PRIMESHARE_EXPORT_REFCOUNTED &&
		       pst_rand_below(&rng, 2);
		fd = pst_import(s, h, hold ? PRIMESHARE_IMPORT_HOLD : 0);
		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return child_fail(b, "import", -fd);
		__atomic_add_fetch(&b->imports, 1, __ATOMIC_RELAXED);
		k = pst_rand_below(&rng, 8);
		if (fds[k] >= 0)
			close(fds[k]);
		fds[k] = fd;
		if (hold) {
			/* A hold keeps the handle: dropping it cannot fail. */
			ret = held[k] ? pst_release(s, held[k]) : 0;
			if (ret)
				return child_fail(b, "release of a hold", -ret);
			held[k] = h;
		}
		if (pst_rand_below(&rng, 16) == 0) {
			l.cursor = 0;
			do {
				l.handles = (uintptr_t)list;
				l.count = 64;
				ret = pst_ioctl(s, PRIMESHARE_IOCTL_LIST, &l);
				if (ret)
					return child_fail(b, "list", -ret);
			} while (l.count);
		}
	}
}

TEST_F_TIMEOUT(fault, sigkill_exporters_and_importers, 600)
{
	enum { KILLS = 2000, INFLIGHT = 2 };
	struct board *b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t kids[INFLIGHT] = { 0 };
	int shared = pst_open(), status, exited = 0;
	__u64 rng = 0x5eed0001, seed;
	unsigned int k, slot;
	double start = now();

	ASSERT_NE(MAP_FAILED, b);
	ASSERT_LE(0, shared);
	for (k = 0; k < KILLS + INFLIGHT; k++) {
		slot = k % INFLIGHT;
		if (kids[slot]) {
			kill(kids[slot], SIGKILL);
			ASSERT_EQ(kids[slot], waitpid(kids[slot], &status, 0));
			if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
				/* Only a kill may end a child. */
				TH_LOG("child %u ended with status %#x", k,
				       status);
				exited++;
			}
			kids[slot] = 0;
		}
		if (k >= KILLS)
			continue;
		seed = pst_rand(&rng);
		kids[slot] = fork();
		ASSERT_LE(0, kids[slot]);
		if (kids[slot] == 0) {
			/*
			 * Half the children work in the test's own session,
			 * which their death must not end.
			 */
			int s = k % 4 >= 2 ? shared : -1;

			/* The killer must not wait for the CPU. */
			setpriority(PRIO_PROCESS, 0, 10);
			if (k % 2)
				_exit(importer(b, s, seed));
			_exit(exporter(b, self->bufs, s, seed));
		}
		usleep(pst_rand_below(&rng, 1000));
	}
	EXPECT_EQ(0, exited);
	EXPECT_EQ(0, b->failed) TH_LOG("%s", b->why);
	TH_LOG("%u children killed in %.1f s after %lu exports and %lu imports",
	       KILLS, now() - start, b->exports, b->imports);
	EXPECT_LT(KILLS, b->exports);
	EXPECT_LT(KILLS / 4, b->imports);
	/* The shared session lived through every death. */
	EXPECT_EQ(1, pst_stat("sessions"));
	close(shared);
	pst_expect_idle(_metadata, &self->before);
	munmap(b, sizeof(*b));
}

/* ---- a session closed under importing threads --------------------------- */

#define ROUND_HANDLES 8
#define IMPORTERS 3

struct closing {
	int sess;		/* descriptor of the session being closed */
	__u64 handles[ROUND_HANDLES];
	int stop;
	int bad;
	char why[128];
	unsigned long imports;
};

struct importer_arg {
	struct closing *c;
	__u64 rng;
};

static void closing_fail(struct closing *c, const char *what, int err)
{
	if (!__atomic_exchange_n(&c->bad, 1, __ATOMIC_ACQ_REL))
		snprintf(c->why, sizeof(c->why), "%s: %s", what,
			 strerror(err));
}

/* Round i's handle j is refcounted when j % 3 == 1 (see the test). */
static void *closing_importer(void *p)
{
	struct importer_arg *a = p;
	struct closing *c = a->c;
	__u64 held[8] = { 0 }, list[16];
	struct primeshare_list l = { 0 };
	struct primeshare_query q;
	int mine = pst_open(), s, fd, j, k, ret;
	unsigned int via;
	__u64 h;

	if (mine < 0) {
		closing_fail(c, "open", errno);
		return NULL;
	}
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		j = pst_rand_below(&a->rng, ROUND_HANDLES);
		h = __atomic_load_n(&c->handles[j], __ATOMIC_ACQUIRE);
		via = pst_rand_below(&a->rng, 4);
		if (via == 0) {
			/*
			 * Through the closing session's own descriptor: it may
			 * be closed by now, or its number reused by a session
			 * or by a dma-buf another thread imported.
			 */
			s = __atomic_load_n(&c->sess, __ATOMIC_ACQUIRE);
			fd = pst_import(s, h, j % 3 == 1 ?
					PRIMESHARE_IMPORT_HOLD : 0);
			if (fd >= 0)
				close(fd);
			else if (fd != -ENOENT && fd != -EBADF &&
				 fd != -ENOTTY)
				closing_fail(c, "import through the closing session",
					     -fd);
			continue;
		}
		if (via == 1) {
			ret = pst_query(mine, h, &q);
			if (ret && ret != -ENOENT)
				closing_fail(c, "query", -ret);
			l.cursor = 0;
			do {
				l.handles = (uintptr_t)list;
				l.count = 16;
				ret = pst_ioctl(mine, PRIMESHARE_IOCTL_LIST, &l);
			} while (!ret && l.count);
			if (ret)
				closing_fail(c, "list", -ret);
			continue;
		}
		fd = pst_import(mine, h, j % 3 == 1 ? PRIMESHARE_IMPORT_HOLD : 0);
		if (fd == -ENOENT)
			continue;
		if (fd < 0) {
			closing_fail(c, "import", -fd);
			continue;
		}
		close(fd);
		__atomic_add_fetch(&c->imports, 1, __ATOMIC_RELAXED);
		if (j % 3 == 1) {
			k = pst_rand_below(&a->rng, 8);
			ret = held[k] ? pst_release(mine, held[k]) : 0;
			if (ret)
				closing_fail(c, "release of a hold", -ret);
			held[k] = h;
		}
	}
	for (k = 0; k < 8; k++) {
		ret = held[k] ? pst_release(mine, held[k]) : 0;
		if (ret)
			closing_fail(c, "release of a hold", -ret);
	}
	close(mine);
	return NULL;
}

TEST_F_TIMEOUT(fault, session_closed_while_threads_import, 600)
{
	enum { ROUNDS = 400 };
	static __u64 all[ROUNDS * ROUND_HANDLES];
	struct importer_arg args[IMPORTERS];
	struct closing c = { .sess = -1 };
	pthread_t t[IMPORTERS];
	__u64 rng = 0x5eed0002, h;
	int i, j, s, check;

	for (i = 0; i < IMPORTERS; i++) {
		args[i].c = &c;
		args[i].rng = pst_rand(&rng);
		ASSERT_EQ(0, pthread_create(&t[i], NULL, closing_importer,
					    &args[i]));
	}
	for (i = 0; i < ROUNDS && !c.bad; i++) {
		s = pst_open();
		ASSERT_LE(0, s);
		for (j = 0; j < ROUND_HANDLES; j++) {
			/* Owned, refcounted, oneshot, owned, ... */
			ASSERT_EQ(0, pst_export(s, self->bufs[j % NBUFS], j % 3,
						PRIMESHARE_MODE_MASK, &h));
			all[i * ROUND_HANDLES + j] = h;
			__atomic_store_n(&c.handles[j], h, __ATOMIC_RELEASE);
		}
		__atomic_store_n(&c.sess, s, __ATOMIC_RELEASE);
		usleep(pst_rand_below(&rng, 1000));
		close(s);
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < IMPORTERS; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(0, c.bad) TH_LOG("%s", c.why);
	TH_LOG("%d sessions closed under %d threads, %lu imports", ROUNDS,
	       IMPORTERS, c.imports);
	EXPECT_LT(0, c.imports);

	/* Every handle ended with its session or its last hold. */
	check = pst_open();
	ASSERT_LE(0, check);
	for (i = 0; i < ROUNDS * ROUND_HANDLES; i++)
		if (all[i])
			ASSERT_EQ(-ENOENT, pst_import(check, all[i], 0));
	close(check);
	pst_expect_idle(_metadata, &self->before);
}

/* ---- module unload ------------------------------------------------------ */

struct busy {
	const int *bufs;
	int stop;
	int bad;
	unsigned long cycles;
};

/* Sessions come and go, and each does a little of everything. */
static void *busy_worker(void *p)
{
	struct busy *b = p;
	int s, fd, ret;
	__u64 h[2];

	while (!__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE)) {
		s = pst_open();
		if (s < 0 ||
		    pst_export(s, b->bufs[0], PRIMESHARE_EXPORT_REFCOUNTED, 0,
			       &h[0]) ||
		    pst_export(s, b->bufs[1], 0, 0, &h[1])) {
			b->bad = 1;
			break;
		}
		fd = pst_import(s, h[0], PRIMESHARE_IMPORT_HOLD);
		if (fd < 0) {
			b->bad = 2;
			break;
		}
		close(fd);
		ret = pst_release(s, h[0]) || pst_release(s, h[1]);
		if (ret) {
			b->bad = 3;
			break;
		}
		close(s);
		__atomic_add_fetch(&b->cycles, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

TEST_F_TIMEOUT(fault, unload_is_refused_while_busy, 300)
{
	enum { ATTEMPTS = 1000, WORKERS = 2 };
	struct busy b = { .bufs = self->bufs };
	pthread_t t[WORKERS];
	int pin = pst_open(), i, refused = 0, ret;
	__u64 rng = 0x5eed0003;

	/* The test's own session keeps the module from ever being idle. */
	ASSERT_LE(0, pin);
	for (i = 0; i < WORKERS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, busy_worker, &b));
	for (i = 0; i < ATTEMPTS; i++) {
		ret = syscall(SYS_delete_module, "primeshare", O_NONBLOCK);
		if (ret == -1 && (errno == EWOULDBLOCK || errno == EBUSY))
			refused++;
		else
			TH_LOG("delete_module gave %d (%s)", ret,
			       strerror(errno));
		if (ret == 0)
			break;
		usleep(pst_rand_below(&rng, 500));
	}
	__atomic_store_n(&b.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	ASSERT_EQ(ATTEMPTS, refused);
	EXPECT_EQ(0, b.bad);
	EXPECT_LT(0, b.cycles);
	TH_LOG("%d unloads refused during %lu session cycles", refused,
	       b.cycles);
	EXPECT_EQ(0, access("/sys/module/primeshare", F_OK));
	close(pin);
	pst_expect_idle(_metadata, &self->before);
}

/* ---- a memory cgroup limit ---------------------------------------------- */

#define CGROOT "/sys/fs/cgroup"

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	ssize_t len = strlen(val);

	if (fd < 0)
		return -errno;
	if (write(fd, val, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

static long read_long(const char *path, const char *key)
{
	char line[256];
	size_t n = key ? strlen(key) : 0;
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!key)
			v = strtol(line, NULL, 10);
		else if (!strncmp(line, key, n) && line[n] == ' ')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

static int has_word(const char *path, const char *word)
{
	char line[512], *tok, *save;
	FILE *f = fopen(path, "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		for (tok = strtok_r(line, "\n ", &save); tok && !found;
		     tok = strtok_r(NULL, "\n ", &save))
			found = !strcmp(tok, word);
	fclose(f);
	return found;
}

/* The exporter in the cgroup and the test share this page. */
struct memcg_share {
	int phase;	/* child: 1 ready, 2 hit the limit, 3 done */
	int go;		/* test: 1 start exporting, 2 limit lifted */
	int exports;
	int err;
	int after;
};

static int wait_phase(struct memcg_share *m, int phase, double seconds)
{
	double end = now() + seconds;

	while (__atomic_load_n(&m->phase, __ATOMIC_ACQUIRE) < phase) {
		if (now() > end)
			return -1;
		usleep(1000);
	}
	return 0;
}

/*
 * The child of the memcg test.  It may not be OOM-killed (oom_score_adj
 * -1000), so when its cgroup is full the kernel's allocations for it fail
 * instead.  Every page it touches once the limit is set was touched before.
 */
static int memcg_child(struct memcg_share *m, const char *cg, int buf)
{
	static char md[4096];
	char path[256], stack[32768];
	int s, ret = 0;
	__u64 h;

	if (write_file("/proc/self/oom_score_adj", "-1000"))
		return 1;
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	if (write_file(path, "0"))
		return 2;
	s = pst_open();
	if (s < 0)
		return 3;
	memset(md, 1, sizeof(md));
	memset(stack, 0, sizeof(stack));
	__atomic_store_n(&m->phase, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&m->go, __ATOMIC_ACQUIRE))
		usleep(1000);
	while (m->exports < 100000) {
		ret = pst_export_md(s, buf, 0, 0, md, sizeof(md), &h);
		if (ret)
			break;
		m->exports++;
	}
	m->err = -ret;
	__atomic_store_n(&m->phase, 2, __ATOMIC_RELEASE);
	while (__atomic_load_n(&m->go, __ATOMIC_ACQUIRE) < 2)
		usleep(1000);
	m->after = -pst_export_md(s, buf, 0, 0, md, sizeof(md), &h);
	__atomic_store_n(&m->phase, 3, __ATOMIC_RELEASE);
	return stack[sizeof(stack) - 1];
}

TEST_F_TIMEOUT(fault, memcg_limit_makes_export_fail_with_enomem, 300)
{
	struct memcg_share *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int mounted = 0, enabled = 0, status;
	char cg[128], path[256], val[32];
	long current, handles;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, m);
	memset(m, 0, 4096);
	if (access(CGROOT "/cgroup.controllers", F_OK)) {
		if (mount("cgroup2", CGROOT, "cgroup2", 0, NULL))
			SKIP(return, "no cgroup v2 (%s)", strerror(errno));
		mounted = 1;
	}
	if (!has_word(CGROOT "/cgroup.controllers", "memory")) {
		if (mounted)
			umount(CGROOT);
		SKIP(return, "no memory controller");
	}
	if (!has_word(CGROOT "/cgroup.subtree_control", "memory")) {
		ASSERT_EQ(0, write_file(CGROOT "/cgroup.subtree_control",
					"+memory"));
		enabled = 1;
	}
	snprintf(cg, sizeof(cg), CGROOT "/primeshare-test-%d", getpid());
	ASSERT_EQ(0, mkdir(cg, 0755));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(memcg_child(m, cg, self->bufs[0]));
	ASSERT_EQ(0, wait_phase(m, 1, 30));
	snprintf(path, sizeof(path), "%s/memory.current", cg);
	current = read_long(path, NULL);
	ASSERT_LT(0, current);
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	snprintf(val, sizeof(val), "%ld", current + 256 * 1024);
	ASSERT_EQ(0, write_file(path, val));
	__atomic_store_n(&m->go, 1, __ATOMIC_RELEASE);

	EXPECT_EQ(0, wait_phase(m, 2, 120));
	EXPECT_EQ(ENOMEM, m->err);
	EXPECT_LT(0, m->exports);
	/* The failed export left nothing behind. */
	handles = pst_stat("handles");
	EXPECT_EQ(m->exports, handles);
	TH_LOG("%d exports fit in %ld bytes, then %s", m->exports,
	       current + 256 * 1024, strerror(m->err));

	/* With the limit lifted, the session works again. */
	EXPECT_EQ(0, write_file(path, "max"));
	__atomic_store_n(&m->go, 2, __ATOMIC_RELEASE);
	EXPECT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x", status);
	EXPECT_EQ(0, m->after);
	snprintf(path, sizeof(path), "%s/memory.events", cg);
	EXPECT_EQ(0, read_long(path, "oom_kill"));

	EXPECT_EQ(0, rmdir(cg));
	if (enabled)
		write_file(CGROOT "/cgroup.subtree_control", "-memory");
	if (mounted)
		umount(CGROOT);
	pst_expect_idle(_metadata, &self->before);
	munmap(m, 4096);
}

/*
 * The module built next to this program for the running kernel: vm-check
 * runs BUILDDIR/selftests/primeshare/PROGRAM and loads
 * BUILDDIR/kernel/build/RELEASE/primeshare.ko.  PRIMESHARE_MODULE names
 * another file.
 */
static int module_path(char *path, size_t size)
{
	const char *env = getenv("PRIMESHARE_MODULE");
	struct utsname u;
	char exe[PATH_MAX];
	ssize_t n;
	int i;

	if (env) {
		snprintf(path, size, "%s", env);
		return access(path, R_OK);
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0 || uname(&u))
		return -1;
	exe[n] = 0;
	for (i = 0; i < 3; i++)
		*(strrchr(exe, '/') ?: exe) = 0;
	if (snprintf(path, size, "%s/kernel/build/%s/primeshare.ko", exe,
		     u.release) >= (int)size)
		return -1;
	return access(path, R_OK);
}

/*
 * Runs last: with every session closed the module unloads (its exit checks
 * that the registry is empty, and destroying its slab cache reports any
 * handle still allocated), a descriptor imported earlier keeps working, and
 * the module loads again with the parameters it had.
 */
TEST_F_TIMEOUT(fault, idle_module_unloads_and_loads_again, 120)
{
	static const char *const params[] = {
		"max_metadata_size", "max_handles_per_session",
		"max_handles_per_user", "max_handles",
	};
	char ko[PATH_MAX], args[256] = "";
	struct primeshare_info info = { 0 };
	int s, fd, kofd, i, n = 0;
	unsigned char *p;
	__u64 h;

	if (module_path(ko, sizeof(ko)))
		SKIP(return, "primeshare.ko not found next to this program");
	for (i = 0; i < 4; i++)
		n += snprintf(args + n, sizeof(args) - n, "%s=%ld ", params[i],
			      pst_get_param(params[i]));
	kofd = open(ko, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, kofd);

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->bufs[0], 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x5a, 4096);
	munmap(p, 4096);
	s = pst_open();
	ASSERT_LE(0, s);
	ASSERT_EQ(0, pst_export(s, self->bufs[0], PRIMESHARE_EXPORT_REFCOUNTED,
				0, &h));
	fd = pst_import(s, h, PRIMESHARE_IMPORT_HOLD);
	ASSERT_LE(0, fd);
	close(s);
	ASSERT_EQ(0, pst_stat("sessions"));
	ASSERT_EQ(0, pst_stat("handles"));

	ASSERT_EQ(0, syscall(SYS_delete_module, "primeshare", O_NONBLOCK))
		TH_LOG("delete_module: %s", strerror(errno));
	EXPECT_NE(0, access("/sys/module/primeshare", F_OK));
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_NE(MAP_FAILED, p);
	if (p != MAP_FAILED) {
		EXPECT_EQ(0x5a, p[4095]);
		munmap(p, 4096);
	}
	close(fd);

	ASSERT_EQ(0, syscall(SYS_finit_module, kofd, args, 0))
		TH_LOG("finit_module %s %s: %s (no module from here on)", ko,
		       args, strerror(errno));
	close(kofd);
	s = pst_open();
	ASSERT_LE(0, s);
	EXPECT_EQ(0, pst_ioctl(s, PRIMESHARE_IOCTL_INFO, &info));
	EXPECT_EQ(0, pst_stat("exports_total"));
	EXPECT_EQ(0, pst_stat("handles"));
	close(s);
	pst_expect_idle(_metadata, &self->before);
}

TEST_HARNESS_MAIN
