// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * Race stress: handles released while many threads import, query, list,
 * hold and force-release them, and the handle table growing to thousands
 * of handles and shrinking again while readers walk it.  Every answer must
 * be one the uAPI allows at that moment, handles that stay live must stay
 * visible throughout, and nothing may be left afterwards.
 */
#include <pthread.h>
#include <time.h>

#include "kselftest_harness.h"
#include "ps_test.h"

#define STABLE 32
#define MODE PRIMESHARE_MODE_MASK

FIXTURE(race) {
	int drm;
	int bufs[3];		/* one per lifetime, told apart by size */
	int stable_sess;
	__u64 stable[STABLE];
	struct pst_state before;
};

/* The size of the dma-buf exported with each lifetime. */
static __u64 size_of(__u32 lifetime)
{
	return 4096ULL << (2 * lifetime);
}

FIXTURE_SETUP(race)
{
	int i;

	pst_require_device(_metadata);
	ASSERT_EQ(0, geteuid()) TH_LOG("these tests run as root");
	self->drm = pst_open_drm("vgem");
	ASSERT_LE(0, self->drm) TH_LOG("no vgem DRM node (is vgem loaded?)");
	for (i = 0; i < 3; i++) {
		self->bufs[i] = pst_vgem_dmabuf(self->drm, size_of(i));
		ASSERT_LE(0, self->bufs[i]);
	}
	pst_state_get(&self->before);
	ASSERT_EQ(0, self->before.sessions) TH_LOG("a session is already open");
	/* Handles that stay live for the whole test. */
	self->stable_sess = pst_open();
	ASSERT_LE(0, self->stable_sess);
	for (i = 0; i < STABLE; i++)
		ASSERT_EQ(0, pst_export(self->stable_sess, self->bufs[i % 2],
					i % 2, MODE, &self->stable[i]));
}

FIXTURE_TEARDOWN(race)
{
	int i;

	if (self->stable_sess >= 0)
		close(self->stable_sess);
	for (i = 0; i < 3; i++)
		close(self->bufs[i]);
	close(self->drm);
}

/* What the threads of one test share. */
struct arena {
	const __u64 *stable;
	__u64 slots[64];	/* handles being raced on */
	unsigned int nslots;
	int stop;
	int bad;
	char why[160];
	unsigned long imports;
	unsigned long walks;
};

struct racer {
	struct arena *a;
	__u64 rng;
	int sess;
	__u64 held[16];
};

static void race_fail(struct arena *a, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_exchange_n(&a->bad, 1, __ATOMIC_ACQ_REL))
		return;
	va_start(ap, fmt);
	vsnprintf(a->why, sizeof(a->why), fmt, ap);
	va_end(ap);
}

static int cmp_u64(const void *x, const void *y)
{
	__u64 a = *(const __u64 *)x, b = *(const __u64 *)y;

	return a < b ? -1 : a > b;
}

/*
 * Walk LIST to the end in random steps.  Handles live throughout the walk
 * are all seen; none is seen twice.
 */
static void walk(struct racer *r)
{
	static __thread __u64 seen[16384];
	struct primeshare_list l = { 0 };
	unsigned int n = 0, i, k;
	int ret;

	do {
		l.handles = (uintptr_t)(seen + n);
		l.count = 1 + pst_rand_below(&r->rng, 64);
		if (n + l.count > 16384) {
			race_fail(r->a, "LIST returned more than 16384 handles");
			return;
		}
		ret = pst_ioctl(r->sess, PRIMESHARE_IOCTL_LIST, &l);
		if (ret) {
			race_fail(r->a, "LIST: %s", strerror(-ret));
			return;
		}
		n += l.count;
	} while (l.count);
	qsort(seen, n, sizeof(seen[0]), cmp_u64);
	for (i = 1; i < n; i++)
		if (seen[i] == seen[i - 1])
			race_fail(r->a, "LIST returned %llx twice",
				  (unsigned long long)seen[i]);
	for (k = 0; k < STABLE; k++)
		if (!bsearch(&r->a->stable[k], seen, n, sizeof(seen[0]),
			     cmp_u64))
			race_fail(r->a, "LIST missed a live handle");
	__atomic_add_fetch(&r->a->walks, 1, __ATOMIC_RELAXED);
}

/* Import a handle that is live throughout: it cannot fail. */
static void import_stable(struct racer *r)
{
	__u64 h = r->a->stable[pst_rand_below(&r->rng, STABLE)];
	int fd = pst_import(r->sess, h, PRIMESHARE_IMPORT_CLOEXEC);

	if (fd < 0)
		race_fail(r->a, "import of a live handle: %s", strerror(-fd));
	else
		close(fd);
}

/* Drop hold @k, if any; the handle may have been force-released. */
static void drop_hold(struct racer *r, unsigned int k)
{
	int ret = r->held[k] ? pst_release(r->sess, r->held[k]) : 0;

	if (ret && ret != -ENOENT)
		race_fail(r->a, "release of a hold: %s", strerror(-ret));
	r->held[k] = 0;
}

static void race_once(struct racer *r)
{
	struct primeshare_import im = { 0 };
	struct primeshare_query q;
	unsigned int k;
	int ret, hold;
	__u64 h;

	h = __atomic_load_n(&r->a->slots[pst_rand_below(&r->rng,
							r->a->nslots)],
			    __ATOMIC_ACQUIRE);
	switch (pst_rand_below(&r->rng, 16)) {
	case 0:
		walk(r);
		return;
	case 1:
		import_stable(r);
		return;
	case 2:
		ret = pst_release_flags(r->sess, h, PRIMESHARE_RELEASE_FORCE);
		if (ret && ret != -ENOENT)
			race_fail(r->a, "forced release: %s", strerror(-ret));
		return;
	case 3:
		/* This session holds nothing of @h, or its hold went. */
		for (k = 0; k < 16; k++)
			if (r->held[k] == h)
				return;
		ret = pst_release(r->sess, h);
		if (ret != -EPERM && ret != -ENOENT)
			race_fail(r->a, "release by a stranger gave %d", ret);
		return;
	default:
		break;
	}

	ret = pst_query(r->sess, h, &q);
	if (ret == -ENOENT)
		return;
	if (ret) {
		race_fail(r->a, "query: %s", strerror(-ret));
		return;
	}
	if (q.handle != h || q.mode != MODE || q.lifetime > 2 ||
	    q.size != size_of(q.lifetime) || q.attributes) {
		race_fail(r->a, "query of %llx: mode %o lifetime %u size %llu",
			  (unsigned long long)h, q.mode, q.lifetime,
			  (unsigned long long)q.size);
		return;
	}
	hold = pst_rand_below(&r->rng, 2);
	im.handle = h;
	im.flags = hold ? PRIMESHARE_IMPORT_HOLD : 0;
	ret = pst_ioctl(r->sess, PRIMESHARE_IOCTL_IMPORT, &im);
	if (hold && q.lifetime != PRIMESHARE_EXPORT_REFCOUNTED) {
		if (ret != -EINVAL && ret != -ENOENT)
			race_fail(r->a, "hold on lifetime %u gave %d",
				  q.lifetime, ret);
		if (!ret)
			close(im.fd);
		return;
	}
	if (ret == -ENOENT)
		return;
	if (ret) {
		race_fail(r->a, "import: %s", strerror(-ret));
		return;
	}
	if (im.fd < 0 || im.size != q.size)
		race_fail(r->a, "import gave fd %d size %llu", im.fd,
			  (unsigned long long)im.size);
	else
		close(im.fd);
	__atomic_add_fetch(&r->a->imports, 1, __ATOMIC_RELAXED);
	if (hold) {
		k = pst_rand_below(&r->rng, 16);
		drop_hold(r, k);
		r->held[k] = h;
	}
}

static void *racer_thread(void *p)
{
	struct racer *r = p;
	unsigned int k;

	while (!__atomic_load_n(&r->a->stop, __ATOMIC_ACQUIRE))
		race_once(r);
	for (k = 0; k < 16; k++)
		drop_hold(r, k);
	return NULL;
}

static int start_racers(struct racer *r, pthread_t *t, int n,
			struct arena *a, __u64 *rng)
{
	int i;

	for (i = 0; i < n; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].a = a;
		r[i].rng = pst_rand(rng);
		r[i].sess = pst_open();
		if (r[i].sess < 0 ||
		    pthread_create(&t[i], NULL, racer_thread, &r[i]))
			return -1;
	}
	return 0;
}

static void stop_racers(struct racer *r, pthread_t *t, int n,
			struct arena *a)
{
	int i;

	__atomic_store_n(&a->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		close(r[i].sess);
	}
}

static void spin(__u64 *rng, unsigned int max)
{
	unsigned int n = pst_rand_below(rng, max);

	while (n--)
		__asm__ __volatile__("" ::: "memory");
}

TEST_F_TIMEOUT(race, release_against_import_query_and_list, 600)
{
	enum { ROUNDS = 1500, RACERS = 5, ROUND = 16 };
	struct arena a = { .stable = self->stable, .nslots = ROUND };
	struct racer r[RACERS];
	pthread_t t[RACERS];
	__u64 rng = 0x5eed0101, h;
	int i, j, s, ret;
	__u32 lifetime;

	s = pst_open();
	ASSERT_LE(0, s);
	ASSERT_EQ(0, start_racers(r, t, RACERS, &a, &rng));
	for (i = 0; i < ROUNDS && !a.bad; i++) {
		for (j = 0; j < ROUND; j++) {
			lifetime = (i + j) % 3;
			ASSERT_EQ(0, pst_export(s, self->bufs[lifetime],
						lifetime, MODE, &h));
			__atomic_store_n(&a.slots[j], h, __ATOMIC_RELEASE);
		}
		spin(&rng, 200000);
		/*
		 * The exporter's release: a oneshot handle may have been
		 * imported and any handle force-released by now.
		 */
		for (j = 0; j < ROUND; j++) {
			ret = pst_release(s, a.slots[j]);
			if (ret && ret != -ENOENT)
				race_fail(&a, "exporter's release: %s",
					  strerror(-ret));
		}
	}
	stop_racers(r, t, RACERS, &a);
	EXPECT_EQ(0, a.bad) TH_LOG("%s", a.why);
	TH_LOG("%d rounds of %d handles: %lu imports, %lu LIST walks", i,
	       ROUND, a.imports, a.walks);
	EXPECT_LT(ROUNDS, a.imports);
	EXPECT_LT(0, a.walks);
	close(s);
	EXPECT_EQ(STABLE, pst_stat("handles"));
	close(self->stable_sess);
	self->stable_sess = -1;
	pst_expect_idle(_metadata, &self->before);
}

/* ---- the table growing and shrinking ------------------------------------- */

struct grower {
	struct arena *a;
	const int *bufs;
	__u64 rng;
	int cycles;
	long peak;	/* live handles seen right after a growth */
	int bad;
	char why[96];
};

#define PER_GROWER 2500

/*
 * Export PER_GROWER handles over two sessions, then release half of them in
 * random order and close the sessions, which ends the rest.
 */
static void *grower_thread(void *p)
{
	static __thread __u64 h[PER_GROWER];
	struct grower *g = p;
	int s[2], c, i, j, ret;
	long n;
	__u64 tmp;

	for (c = 0; c < g->cycles && !g->bad; c++) {
		s[0] = pst_open();
		s[1] = pst_open();
		for (i = 0; i < PER_GROWER; i++) {
			ret = pst_export(s[i % 2], g->bufs[i % 2], i % 2, MODE,
					 &h[i]);
			if (ret) {
				g->bad = 1;
				snprintf(g->why, sizeof(g->why),
					 "export %d: %s", i, strerror(-ret));
				break;
			}
			if (i % 64 == 0)
				__atomic_store_n(&g->a->slots[pst_rand_below(&g->rng, 64)],
						 h[i], __ATOMIC_RELEASE);
		}
		n = pst_stat("handles");
		if (n > g->peak)
			g->peak = n;
		/* Shuffle, then release the first half one by one. */
		for (i = PER_GROWER - 1; i > 0; i--) {
			j = pst_rand_below(&g->rng, i + 1);
			tmp = h[i];
			h[i] = h[j];
			h[j] = tmp;
		}
		for (i = 0; i < PER_GROWER / 2 && !g->bad; i++) {
			/* Every handle is released by its own session. */
			ret = pst_release(s[0], h[i]);
			if (ret == -EPERM || ret == -ENOENT)
				ret = pst_release(s[1], h[i]);
			if (ret) {
				g->bad = 1;
				snprintf(g->why, sizeof(g->why),
					 "release: %s", strerror(-ret));
			}
		}
		close(s[0]);
		close(s[1]);
	}
	return NULL;
}

/* Readers during growth: guesses, stable imports and walks. */
static void *reader_thread(void *p)
{
	struct racer *r = p;
	struct primeshare_query q;
	__u64 h;
	int ret;

	while (!__atomic_load_n(&r->a->stop, __ATOMIC_ACQUIRE)) {
		switch (pst_rand_below(&r->rng, 4)) {
		case 0:
			walk(r);
			break;
		case 1:
			import_stable(r);
			break;
		case 2:
			h = __atomic_load_n(&r->a->slots[pst_rand_below(&r->rng, 64)],
					    __ATOMIC_ACQUIRE);
			ret = pst_query(r->sess, h, &q);
			if (ret && ret != -ENOENT)
				race_fail(r->a, "query: %s", strerror(-ret));
			break;
		default:
			/* A random number is no handle. */
			ret = pst_import(r->sess, pst_rand(&r->rng), 0);
			if (ret != -ENOENT)
				race_fail(r->a, "a random guess gave %d", ret);
			if (ret >= 0)
				close(ret);
			break;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(race, table_grows_and_shrinks_under_load, 600)
{
	enum { GROWERS = 2, READERS = 3, CYCLES = 4 };
	struct arena a = { .stable = self->stable, .nslots = 64 };
	struct grower g[GROWERS];
	struct racer r[READERS];
	pthread_t gt[GROWERS], rt[READERS];
	__u64 rng = 0x5eed0102;
	long peak = 0;
	int i;

	for (i = 0; i < READERS; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].a = &a;
		r[i].rng = pst_rand(&rng);
		r[i].sess = pst_open();
		ASSERT_LE(0, r[i].sess);
		ASSERT_EQ(0, pthread_create(&rt[i], NULL, reader_thread,
					    &r[i]));
	}
	for (i = 0; i < GROWERS; i++) {
		memset(&g[i], 0, sizeof(g[i]));
		g[i].a = &a;
		g[i].bufs = self->bufs;
		g[i].rng = pst_rand(&rng);
		g[i].cycles = CYCLES;
		ASSERT_EQ(0, pthread_create(&gt[i], NULL, grower_thread,
					    &g[i]));
	}
	for (i = 0; i < GROWERS; i++) {
		pthread_join(gt[i], NULL);
		if (g[i].peak > peak)
			peak = g[i].peak;
	}
	__atomic_store_n(&a.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < READERS; i++) {
		pthread_join(rt[i], NULL);
		close(r[i].sess);
	}
	for (i = 0; i < GROWERS; i++)
		EXPECT_EQ(0, g[i].bad) TH_LOG("grower %d: %s", i, g[i].why);
	EXPECT_EQ(0, a.bad) TH_LOG("%s", a.why);
	TH_LOG("%d growers x %d cycles of %d handles, peak %ld live, %lu LIST walks",
	       GROWERS, CYCLES, PER_GROWER, peak, a.walks);
	/* At least one grower's handles and the stable ones were live. */
	EXPECT_LE(PER_GROWER + STABLE, peak);
	EXPECT_EQ(STABLE, pst_stat("handles"));
	close(self->stable_sess);
	self->stable_sess = -1;
	pst_expect_idle(_metadata, &self->before);
}

TEST_HARNESS_MAIN
