// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * primeshare_fuzz: a seeded ioctl fuzzer for /dev/primeshare.
 *
 *   primeshare_fuzz [-s SEED] [-n CALLS] [-t SECONDS] [-p PROCS] [-j THREADS]
 *                   [-P MICROSECONDS]
 *
 * PROCS worker processes of THREADS threads each make CALLS ioctls between
 * them, or fewer if SECONDS run out first (defaults: a random seed, 200000
 * calls, 120 s, 5 processes of 2 threads).  Every call is one of the seven
 * ioctls, sometimes with a wrong size, direction, number or type, on a
 * session or on some other descriptor, with a structure that is valid,
 * nearly valid (one bit flipped) or garbage, placed in writable,
 * read-only or unmapped memory or across their borders.  Its fields come
 * from pools: dma-bufs, sessions, pipes, sockets and closed numbers for
 * descriptors; handles of this worker, of the other workers, their
 * neighbours and random numbers; buffers, read-only and unmapped pages and
 * kernel addresses for pointers; limits from 0 to 2^32 - 1 and beyond for
 * LIMITS, which reads, sets and resets.  Workers also open, duplicate and
 * close sessions, make and close dma-bufs, run refcounted handles they
 * hold into PRIMESHARE_RELEASE_FORCE (after which a plain RELEASE of the
 * handle from any of their sessions must give ENOENT: hold records end
 * with their handle) and, running as root, move threads to new IPC
 * namespaces.
 *
 * The workers run as different users (root; uid 1000; uid 2000 sharing gid
 * 1000, with a low RLIMIT_NOFILE; root in its own IPC namespace; root of a
 * user namespace that uid 4000 makes, container uids 0-999 on host uids
 * 200000-200999, with its own IPC namespace for some seeds), so every
 * access rule, the per-namespace limits and EMFILE get exercised.  In its
 * user namespace a worker sets and resets the namespace's limits (it has
 * CAP_SYS_RESOURCE there; it resets them at its end) and its threads switch
 * between container uids 0-3.  Root in the initial namespace sets only
 * limits between 8 and 320 handles or holds and 4 KiB and 1 MiB of
 * metadata, which are module parameters.  Every writable module parameter
 * is lowered for the campaign so that ENOSPC comes too, and while the
 * workers run a thread of the parent writes one of them every 0 to
 * 2 x MICROSECONDS (200; 0: never), choosing 0, a small, a large or the
 * campaign's value; they are all put back at the end.
 *
 * A run fails when a call returns an error that the uAPI does not list for
 * it (ENOSPC: EXPORT, LIMITS and IMPORT with PRIMESHARE_IMPORT_HOLD only),
 * when a successful call returns something impossible, when a worker is
 * left with a descriptor it did not open, when a worker does not finish in
 * time, or when afterwards a live count in debugfs stats is not 0, a
 * dma-buf or descriptor is left behind, or a slab cache of the kernel
 * (radix_tree_node, ps_handle, kmalloc-*) holds more objects than before
 * the campaign by more than a small noise bound: nothing is live then.
 * The slab figures are printed.  The caller (vm-run) also fails the run on
 * kernel problems in dmesg.
 *
 * The seed fixes every choice each worker and the parameter thread make;
 * the interleaving of the workers is up to the scheduler.  With -p 1 -j 1
 * -P 0 a seed repeats a run call for call (handle numbers differ, being
 * random for each load).  The fuzzer re-executes itself once without
 * address space randomization, so that the same seed finds the same memory
 * layout.
 */
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/personality.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>

#include "kselftest.h"
#include "ps_test.h"

#define NR_IOCTLS	9
#define POOL		256	/* handles shared by all workers */
#define NSESS		6
#define NBUFS		8
#define NIMPORTED	16
#define NHANDLES	32
#define NMISC		6
#define PAGE		4096
#define RW_PAGES	6
/* Per-thread arena: RW_PAGES writable pages, one read-only, one PROT_NONE. */
#define ARENA_SIZE	((RW_PAGES + 2) * PAGE)
#define MAX_IOC_SIZE	((1 << _IOC_SIZEBITS) - 1)
/* An open descriptor number no worker reaches, and a negative one. */
#define CLOSED_FD	1021
/* Seconds after the deadline by which every worker must have finished. */
#define GRACE		30
/* The user namespace of the USERNS worker: its creator and its uid map. */
#define USERNS_OWNER	4000
#define USERNS_MAP	"0 200000 1000"
/* Container uids its threads switch between. */
#define USERNS_UIDS	4

static const char *const ioctl_names[NR_IOCTLS] = {
	"INFO", "EXPORT", "IMPORT", "RELEASE", "QUERY", "LIST", "LIMITS",
	"KM_ACQUIRE", "KM_RELEASE",
};

static const unsigned int ioctl_cmds[NR_IOCTLS] = {
	PRIMESHARE_IOCTL_INFO, PRIMESHARE_IOCTL_EXPORT,
	PRIMESHARE_IOCTL_IMPORT, PRIMESHARE_IOCTL_RELEASE,
	PRIMESHARE_IOCTL_QUERY, PRIMESHARE_IOCTL_LIST,
	PRIMESHARE_IOCTL_LIMITS, PRIMESHARE_IOCTL_KM_ACQUIRE,
	PRIMESHARE_IOCTL_KM_RELEASE,
};

/*
 * The errors the uAPI lists for each ioctl, 0-terminated.  IMPORT's
 * ENOSPC counts only with PRIMESHARE_IMPORT_HOLD (allowed()).  No security
 * module refuses imports where the fuzzer runs, so an LSM's error (EPERM)
 * from IMPORT is a failure here.
 */
static const int allowed_errors[NR_IOCTLS][12] = {
	{ EINVAL, EFAULT },
	{ EINVAL, E2BIG, EBADF, ENOSPC, ENOMEM, EFAULT },
	{ EINVAL, ENOENT, EACCES, ERANGE, EMFILE, ENOMEM, EFAULT, EOVERFLOW,
	  ENOSPC },
	{ EINVAL, ENOENT, EPERM, EFAULT },
	{ EINVAL, ENOENT, EACCES, EFAULT },
	{ EINVAL, ENOMEM, EFAULT },
	{ EINVAL, EPERM, ENOSPC, ENOMEM, EFAULT },
	{ EINVAL, ENOENT, EACCES, ETIMEDOUT, ENOTRECOVERABLE, EDEADLK, EINTR,
	  EMFILE, EFAULT, ENOMEM },
	{ EINVAL, ENOENT, EACCES, EPERM, EBADF, EFAULT },
};

/* errno values below this are counted one by one. */
#define MAX_ERRNO	136

/*
 * Type bytes for ioctls that are not primeshare's.  The VFS handles some
 * commands itself before the driver sees them, whatever the file (FIOCLEX,
 * FIONBIO, FIFREEZE on the device's file system...); none of those has one
 * of these types.
 */
static const unsigned char foreign_types[] = { 0xbb, 0xbd, 0x42, 0xee };

struct options {
	__u64 seed;
	unsigned long calls;
	unsigned int seconds;
	unsigned int procs;
	unsigned int threads;
	unsigned int toggle_us;
};

/* Counts of one ioctl's results. */
struct tally {
	unsigned long calls;
	unsigned long ok;
	unsigned long err[MAX_ERRNO];
};

/* Memory shared by the parent and every worker process. */
struct shared {
	__u64 pool[POOL];
	int stop;
	int failed;
	char failure[512];
	pthread_mutex_t lock;	/* process-shared: guards the totals */
	struct tally tally[NR_IOCTLS];
	unsigned long other_calls;
	unsigned long done;
	unsigned long forced;
};

enum persona { ROOT, USER_A, USER_B, ROOT_NEW_IPC, USERNS, NR_PERSONAS };

/*
 * The writable module parameters.  They are lowered for the campaign so
 * that every limit is reached, changed while it runs by the parameter
 * thread, and put back afterwards.
 */
struct param {
	const char *name;
	long campaign;
};

static const struct param params[] = {
	{ "max_handles_per_session", 24 },
	{ "max_handles_per_user", 160 },
	{ "max_handles", 400 },
	{ "reserved_handles", 40 },
	{ "max_holds_per_user", 128 },
	{ "max_holds_per_handle", 64 },
	{ "max_metadata_bytes_per_user", 256 << 10 },
	{ "max_keyed_mutexes_per_user", 96 },
};

#define NPARAMS		ARRAY_SIZE(params)

static const char *const persona_names[NR_PERSONAS] = {
	"root", "uid 1000", "uid 2000 (gid 1000, RLIMIT_NOFILE 64)",
	"root in a new IPC namespace",
	"root of uid 4000's user namespace",
};

struct proc_ctx {
	struct shared *sh;
	const struct options *opt;
	unsigned int index;
	enum persona persona;
	int new_ipc;	/* USERNS: a new IPC namespace too */
	int ready;	/* USERNS: tells the parent to write the maps */
	int go;		/* USERNS: the parent wrote them */
	int drm;
	double deadline;
};

struct worker {
	struct proc_ctx *proc;
	unsigned int thread;
	__u64 rng;
	unsigned long budget;
	unsigned long made;
	unsigned long next_check;
	int sess[NSESS];
	int bufs[NBUFS];
	int imported[NIMPORTED];
	int misc[NMISC];
	__u64 handles[NHANDLES];
	unsigned int next_handle;
	unsigned int next_import;
	int ipc_moved;
	unsigned char *arena;
	struct tally tally[NR_IOCTLS];
	unsigned long other_calls;
	unsigned long forced;	/* held handles ended by force, then checked */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static __u32 rnd(struct worker *w, __u32 n)
{
	return pst_rand_below(&w->rng, n);
}

static int chance(struct worker *w, __u32 percent)
{
	return rnd(w, 100) < percent;
}

/* Record the first failure of the run and stop every worker. */
static void fail(struct worker *w, const char *fmt, ...)
{
	struct shared *sh = w->proc->sh;
	va_list ap;
	int n;

	pthread_mutex_lock(&sh->lock);
	if (!sh->failed) {
		sh->failed = 1;
		n = snprintf(sh->failure, sizeof(sh->failure),
			     "process %u (%s) thread %u, call %lu: ",
			     w->proc->index, persona_names[w->proc->persona],
			     w->thread, w->made);
		va_start(ap, fmt);
		vsnprintf(sh->failure + n, sizeof(sh->failure) - n, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&sh->lock);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
}

/* ---- pools ------------------------------------------------------------ */

static int pick_fd(struct worker *w, const int *fds, unsigned int n)
{
	unsigned int i, start = rnd(w, n);

	for (i = 0; i < n; i++)
		if (fds[(start + i) % n] >= 0)
			return fds[(start + i) % n];
	return -1;
}

static int pick_first(const int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			return fds[i];
	return -1;
}

static int *free_slot(int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (fds[i] < 0)
			return &fds[i];
	return NULL;
}

static void close_slot(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void remember_handle(struct worker *w, __u64 h)
{
	if (!h)
		return;
	w->handles[w->next_handle++ % NHANDLES] = h;
	__atomic_store_n(&w->proc->sh->pool[rnd(w, POOL)], h,
			 __ATOMIC_RELAXED);
}

static void remember_import(struct worker *w, int fd)
{
	int *slot = &w->imported[w->next_import++ % NIMPORTED];

	close_slot(slot);
	*slot = fd;
}

/* A descriptor for a structure's fd field: anything at all. */
static int any_fd(struct worker *w)
{
	switch (rnd(w, 10)) {
	case 0:
	case 1:
	case 2:
	case 3:
		return pick_fd(w, w->bufs, NBUFS);
	case 4:
		return pick_fd(w, w->imported, NIMPORTED);
	case 5:
		return pick_fd(w, w->sess, NSESS);
	case 6:
		return pick_fd(w, w->misc, NMISC);
	case 7:
		return CLOSED_FD;
	case 8:
		return rnd(w, 2) ? -1 : (int)pst_rand(&w->rng);
	default:
		return rnd(w, 64);
	}
}

static __u64 any_handle(struct worker *w)
{
	__u64 h;

	switch (rnd(w, 20)) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
	case 5:
	case 6:
		return w->handles[rnd(w, NHANDLES)];
	case 7:
	case 8:
	case 9:
	case 10:
	case 11:
		return __atomic_load_n(&w->proc->sh->pool[rnd(w, POOL)],
				       __ATOMIC_RELAXED);
	case 12:
	case 13:
		h = w->handles[rnd(w, NHANDLES)];
		return h + rnd(w, 5) - 2;
	case 14:
		return 0;
	case 15:
		return ~0ULL;
	default:
		return pst_rand(&w->rng);
	}
}

/* ---- memory ----------------------------------------------------------- */

static unsigned char *rw_end(struct worker *w)
{
	return w->arena + RW_PAGES * PAGE;
}

/*
 * A user pointer for a structure field.  Anything the kernel might write
 * to is either in this thread's arena or not a user address at all, so a
 * corrupted pointer can never make the kernel write over the fuzzer.
 */
static __u64 any_ptr(struct worker *w, size_t len)
{
	unsigned int room;

	if (len > 2 * PAGE)
		len = 2 * PAGE;
	room = RW_PAGES * PAGE - (len < PAGE ? len : PAGE);

	switch (rnd(w, 12)) {
	case 0:
		return 0;
	case 1:
		return 0xffff888000000000ULL + rnd(w, 1 << 20);
	case 2:
		return 0x8000000000000000ULL;
	case 3:
		return (uintptr_t)rw_end(w) + rnd(w, PAGE);	/* read-only */
	case 4:
		return (uintptr_t)rw_end(w) + PAGE + rnd(w, PAGE); /* none */
	case 5:
		return (uintptr_t)rw_end(w) - rnd(w, len + 1);	/* straddles */
	default:
		return (uintptr_t)w->arena + (rnd(w, room) & ~7u);
	}
}

static int safe_ptr(struct worker *w, __u64 p)
{
	return p < 0x10000 || p >= (1ULL << 47) ||
	       (p >= (uintptr_t)w->arena &&
		p < (uintptr_t)w->arena + ARENA_SIZE);
}

static void sanitize_ptr(struct worker *w, __u64 *p)
{
	if (!safe_ptr(w, *p))
		*p = 0xffff888000000000ULL;
}

/* ---- the ioctls --------------------------------------------------------- */

static const __u32 modes[] = { 0, 0400, 0040, 0004, 0440, 0404, 0044, 0444 };

static void fill_export(struct worker *w, struct primeshare_export *e)
{
	static const __u32 md_sizes[] = { 0, 0, 0, 1, 8, 64, 4095, 4096,
					  4097, 65536, 0xffffffff };

	e->fd = any_fd(w);
	/* Both lifetimes (3 and 7) are EINVAL; 4 to 6 carry a keyed mutex. */
	e->flags = rnd(w, 8);
	e->mode = modes[rnd(w, 8)];
	e->metadata_size = md_sizes[rnd(w, ARRAY_SIZE(md_sizes))];
	if (e->metadata_size > 4096 && chance(w, 50))
		e->metadata_size = rnd(w, 4096);
	e->metadata = any_ptr(w, e->metadata_size);
	e->handle = pst_rand(&w->rng);
}

static void fill_import(struct worker *w, struct primeshare_import *im)
{
	im->handle = any_handle(w);
	im->flags = rnd(w, 4);
	im->fd = -2;
	im->metadata_size = chance(w, 50) ? rnd(w, 5000) : 4096;
	im->metadata = chance(w, 40) ? 0 : any_ptr(w, im->metadata_size);
}

static void fill_list(struct worker *w, struct primeshare_list *l)
{
	static const __u32 counts[] = { 1, 2, 7, 64, 512, 1024, 0, 1025 };

	l->cursor = chance(w, 50) ? 0 : any_handle(w);
	l->count = counts[rnd(w, ARRAY_SIZE(counts))];
	l->handles = any_ptr(w, (size_t)l->count * 8);
}

static void fill_limits(struct worker *w, struct primeshare_limits *l)
{
	static const __u32 counts[] = { 0, 1, 4, 16, 64, 160, 1000,
					0xffffffff };
	static const __u64 bytes[] = { 0, 1, 4096, 65536, 1 << 20,
				       0xffffffffULL, 0x100000000ULL, ~0ULL };
	unsigned int r = rnd(w, 100);

	/* Counts in, limits without SET and padding are all EINVAL. */
	if (r == 0)
		l->handles = 1 + rnd(w, 100);
	else if (r == 1)
		l->holds = 1 + rnd(w, 100);
	else if (r == 2)
		l->metadata_bytes = 1 + rnd(w, 100);
	else if (r < 6)
		l->max_holds_per_user = 1 + rnd(w, 100);
	else if (r < 8)
		l->__pad = 1 << rnd(w, 32);
	else if (r < 9)
		l->__pad2 = 1 << rnd(w, 32);
	else if (r < 10)
		l->keyed_mutexes = 1 + rnd(w, 100);
	if (r < 50)
		return;
	if (r < 80) {
		l->flags = PRIMESHARE_LIMITS_SET;
		l->max_handles_per_user = counts[rnd(w, ARRAY_SIZE(counts))];
		l->max_holds_per_user = counts[rnd(w, ARRAY_SIZE(counts))];
		l->max_metadata_bytes_per_user =
			bytes[rnd(w, ARRAY_SIZE(bytes))];
		l->max_keyed_mutexes_per_user =
			counts[rnd(w, ARRAY_SIZE(counts))];
	} else if (r < 97) {
		l->flags = PRIMESHARE_LIMITS_RESET;
	} else {
		l->flags = r < 99 ? PRIMESHARE_LIMITS_SET |
				    PRIMESHARE_LIMITS_RESET : 4 << rnd(w, 28);
	}
}

static void fill_km_acquire(struct worker *w, struct primeshare_km_acquire *a)
{
	a->handle = any_handle(w);
	a->key = chance(w, 90) ? rnd(w, 3) : pst_rand(&w->rng);
	/* Short waits only: nothing here releases on anyone's behalf. */
	a->timeout_ns = chance(w, 80) ? 0 : rnd(w, 200000);
	a->flags = chance(w, 95) ? rnd(w, 2) : 1U << rnd(w, 32);
	a->fence_fd = -2;
}

static void fill_km_release(struct worker *w, struct primeshare_km_release *r)
{
	r->handle = any_handle(w);
	r->key = chance(w, 90) ? rnd(w, 3) : pst_rand(&w->rng);
	/* None, or descriptors of every kind but sync_files: EBADF, EINVAL. */
	r->fence_fd = chance(w, 85) ? -1 : chance(w, 20) ? -2 - (int)rnd(w, 4) :
		      any_fd(w);
	r->flags = chance(w, 97) ? 0 : 1U << rnd(w, 32);
}

static size_t struct_size(unsigned int nr);

/*
 * The smallest size each ioctl accepts: its first published structure's.
 * LIMITS grew in 1.2 from 48 bytes, which stay valid.
 */
static size_t struct_min_size(unsigned int nr)
{
	return nr == 6 ? offsetof(struct primeshare_limits,
				  max_keyed_mutexes_per_user) :
			 struct_size(nr);
}

static size_t struct_size(unsigned int nr)
{
	static const size_t sizes[NR_IOCTLS] = {
		sizeof(struct primeshare_info),
		sizeof(struct primeshare_export),
		sizeof(struct primeshare_import),
		sizeof(struct primeshare_release),
		sizeof(struct primeshare_query),
		sizeof(struct primeshare_list),
		sizeof(struct primeshare_limits),
		sizeof(struct primeshare_km_acquire),
		sizeof(struct primeshare_km_release),
	};

	return sizes[nr];
}

/* A valid structure for ioctl @nr in @buf, before any mutation. */
static void fill_valid(struct worker *w, unsigned int nr, void *buf)
{
	switch (nr) {
	case 0:
		break;
	case 1:
		fill_export(w, buf);
		break;
	case 2:
		fill_import(w, buf);
		break;
	case 3:
		((struct primeshare_release *)buf)->handle = any_handle(w);
		((struct primeshare_release *)buf)->flags = rnd(w, 4) == 0;
		break;
	case 4:
		((struct primeshare_query *)buf)->handle = any_handle(w);
		break;
	case 5:
		fill_list(w, buf);
		break;
	case 6:
		fill_limits(w, buf);
		break;
	case 7:
		fill_km_acquire(w, buf);
		break;
	case 8:
		fill_km_release(w, buf);
		break;
	}
}

/* Root of the initial user namespace: its limits are module parameters. */
static int initial_root(const struct worker *w)
{
	return w->proc->persona == ROOT || w->proc->persona == ROOT_NEW_IPC;
}

/*
 * Keep every pointer the kernel may write through inside the arena,
 * keyed-mutex waits short, and the limits root sets in the initial
 * namespace, which are everyone's, where the campaign still means
 * something (8 to 320 handles or holds, 4 KiB to 1 MiB of metadata); the
 * parameter thread brings the extremes.
 */
static void sanitize(struct worker *w, unsigned int nr, void *buf)
{
	struct primeshare_limits *l = buf;

	if (nr == 2)
		sanitize_ptr(w, &((struct primeshare_import *)buf)->metadata);
	else if (nr == 5)
		sanitize_ptr(w, &((struct primeshare_list *)buf)->handles);
	/*
	 * A garbage timeout is a wait of years, which only a release with
	 * the same key would end: waits stay below 1 ms.
	 */
	else if (nr == 7)
		((struct primeshare_km_acquire *)buf)->timeout_ns %= 1000000;
	if (nr != 6 || !initial_root(w) || !(l->flags & PRIMESHARE_LIMITS_SET))
		return;
	l->max_handles_per_user = 8 + l->max_handles_per_user % 313;
	l->max_holds_per_user = 8 + l->max_holds_per_user % 313;
	l->max_keyed_mutexes_per_user = 8 + l->max_keyed_mutexes_per_user % 313;
	if (l->max_metadata_bytes_per_user <= 0xffffffff)
		l->max_metadata_bytes_per_user =
			4096 + l->max_metadata_bytes_per_user %
			       ((1 << 20) - 4096 + 1);
}

enum shape { VALID, LARGER, SMALLER, WRONG_DIR, UNKNOWN_NR, FOREIGN };

struct call {
	unsigned int nr;
	enum shape shape;
	unsigned int cmd;
	size_t size;	/* bytes encoded in the command */
	unsigned char *where;
	int readable;	/* all the bytes the command covers can be read */
	int writable;	/* the kernel's part of the structure is writable */
	int fd;
	int on_session;
	int tail_dirty;
};

/*
 * Put the structure somewhere: mostly in writable memory, sometimes in the
 * read-only page or running into it, running into the unmapped page, at
 * NULL or at a kernel address.
 */
static void place(struct worker *w, struct call *c, const void *data,
		  size_t len, size_t ksize)
{
	unsigned char *ro = rw_end(w);
	unsigned int r = rnd(w, 100);

	c->readable = 1;
	if (r < 88 || len > PAGE) {
		c->where = w->arena + (rnd(w, RW_PAGES * PAGE - len + 1) &
				       (chance(w, 95) ? ~7u : ~0u));
		memcpy(c->where, data, len);
	} else if (r < 93) {
		c->where = r < 91 ? ro + rnd(w, PAGE - len + 1) :
				    ro - rnd(w, len);
		mprotect(ro, PAGE, PROT_READ | PROT_WRITE);
		memcpy(c->where, data, len);
		mprotect(ro, PAGE, PROT_READ);
	} else if (r < 96) {
		c->readable = 0;
		c->where = ro + PAGE - rnd(w, len);
		mprotect(ro, PAGE, PROT_READ | PROT_WRITE);
		memcpy(c->where, data, ro + PAGE - c->where);
		mprotect(ro, PAGE, PROT_READ);
	} else {
		c->readable = 0;
		c->where = r < 98 ? NULL : (unsigned char *)(uintptr_t)
					   0xffff888000001000ULL;
	}
	c->writable = c->where >= w->arena && c->where + ksize <= ro;
}

static void choose_command(struct worker *w, struct call *c)
{
	unsigned int r = rnd(w, 100), dir;
	size_t ksize;

	c->nr = rnd(w, NR_IOCTLS);
	ksize = struct_size(c->nr);
	c->cmd = ioctl_cmds[c->nr];
	c->size = ksize;
	c->shape = VALID;
	if (r < 84)
		return;
	if (r < 90) {
		c->shape = LARGER;
		c->size = chance(w, 80) ? ksize + 1 + rnd(w, 64) :
					  ksize + rnd(w, MAX_IOC_SIZE - ksize) + 1;
	} else if (r < 93) {
		c->shape = SMALLER;
		c->size = rnd(w, struct_min_size(c->nr));
	} else if (r < 96) {
		c->shape = WRONG_DIR;
		do
			dir = rnd(w, 4);
		while (dir == _IOC_DIR(c->cmd));
		c->cmd = _IOC(dir, PRIMESHARE_IOC_MAGIC, c->nr, ksize);
	} else if (r < 98) {
		c->shape = UNKNOWN_NR;
		c->cmd = _IOC(rnd(w, 4), PRIMESHARE_IOC_MAGIC,
			      NR_IOCTLS + rnd(w, 256 - NR_IOCTLS),
			      rnd(w, 4) ? ksize : rnd(w, MAX_IOC_SIZE + 1));
	} else {
		c->shape = FOREIGN;
		c->cmd = _IOC(rnd(w, 4), foreign_types[rnd(w, 4)], c->nr,
			      ksize);
	}
	/* Only the size changes for these two. */
	if (c->shape == LARGER || c->shape == SMALLER)
		c->cmd = _IOC(_IOC_DIR(c->cmd), PRIMESHARE_IOC_MAGIC, c->nr,
			      c->size);
}

static const char *shape_name(enum shape s)
{
	static const char *const names[] = {
		"valid", "larger", "smaller", "wrong direction",
		"unknown number", "foreign type",
	};

	return names[s];
}

/* Is @err (0 or an errno) a result the uAPI allows for @c, made with @in? */
static int allowed(const struct call *c, const void *in, int err)
{
	const int *e;

	if (!c->on_session)
		return err == EBADF || err == ENOTTY || err == EINVAL;
	switch (c->shape) {
	case FOREIGN:
	case UNKNOWN_NR:
		return err == ENOTTY;
	case WRONG_DIR:
	case SMALLER:
		return err == EINVAL;
	default:
		break;
	}
	if (!err)
		return 1;
	/* Only a new hold record counts against a limit of IMPORT's. */
	if (c->nr == 2 && err == ENOSPC)
		return !!(((const struct primeshare_import *)in)->flags &
			  PRIMESHARE_IMPORT_HOLD);
	for (e = allowed_errors[c->nr]; *e; e++)
		if (*e == err)
			return 1;
	return 0;
}

static void check_success(struct worker *w, struct call *c, const void *in)
{
	const struct primeshare_import *im = (const void *)c->where;
	const struct primeshare_query *q = (const void *)c->where;
	const struct primeshare_list *l = (const void *)c->where;
	const struct primeshare_info *info = (const void *)c->where;
	const struct primeshare_limits *lim = (const void *)c->where;
	const struct primeshare_limits *lim_in = in;
	const __u64 *hs;
	unsigned int i;
	int fdflags;

	if (!c->writable && c->nr != 3 && c->nr != 8) {
		if (c->nr == 2 && c->readable)
			close(im->fd);
		fail(w, "%s succeeded on a structure it cannot write back",
		     ioctl_names[c->nr]);
		return;
	}
	switch (c->nr) {
	case 0:
		if (info->version_major != PRIMESHARE_UAPI_VERSION_MAJOR ||
		    info->version_minor < 2 || info->features != 0xff ||
		    info->__pad)
			fail(w, "INFO gave version %u.%u features %#llx",
			     info->version_major, info->version_minor,
			     (unsigned long long)info->features);
		break;
	case 1:
		if (!((const struct primeshare_export *)c->where)->handle)
			fail(w, "EXPORT gave handle 0");
		remember_handle(w, ((const struct primeshare_export *)
				    c->where)->handle);
		break;
	case 2:
		if (im->fd < 0) {
			fail(w, "IMPORT succeeded with fd %d", im->fd);
			break;
		}
		fdflags = fcntl(im->fd, F_GETFD);
		if (fdflags < 0 ||
		    !(fdflags & FD_CLOEXEC) !=
		    !(((const struct primeshare_import *)in)->flags &
		      PRIMESHARE_IMPORT_CLOEXEC))
			fail(w, "IMPORT installed fd %d with flags %d",
			     im->fd, fdflags);
		remember_import(w, im->fd);
		break;
	case 4:
		if (q->handle != ((const struct primeshare_query *)in)->handle ||
		    (q->mode & ~PRIMESHARE_MODE_MASK) || !q->mode ||
		    q->lifetime > PRIMESHARE_EXPORT_ONESHOT ||
		    (q->attributes & ~PRIMESHARE_EXPORT_KEYED_MUTEX) ||
		    !memchr(q->exporter_comm, 0, sizeof(q->exporter_comm)))
			fail(w, "QUERY gave mode %o lifetime %u", q->mode,
			     q->lifetime);
		break;
	case 5:
		if (l->count > ((const struct primeshare_list *)in)->count) {
			fail(w, "LIST gave %u handles for %u", l->count,
			     ((const struct primeshare_list *)in)->count);
			break;
		}
		/* The structure, written last, may cover part of the array. */
		if (!l->count || l->handles < (uintptr_t)w->arena ||
		    l->handles + l->count * 8 > (uintptr_t)rw_end(w) ||
		    (l->handles < (uintptr_t)c->where + sizeof(*l) &&
		     (uintptr_t)c->where < l->handles + l->count * 8))
			break;
		hs = (const __u64 *)(uintptr_t)l->handles;
		for (i = 0; i < l->count; i++) {
			if (!hs[i])
				fail(w, "LIST gave handle 0");
			if (chance(w, 10))
				remember_handle(w, hs[i]);
		}
		if (l->cursor != hs[l->count - 1])
			fail(w, "LIST cursor is not the last handle");
		break;
	case 6:
		/* A handle's metadata is at most 4096 bytes, at every level. */
		if (lim->flags != lim_in->flags || lim->__pad ||
		    lim->__pad2 ||
		    lim->max_metadata_bytes_per_user > 0xffffffff ||
		    lim->metadata_bytes > lim->handles * 4096 ||
		    lim->keyed_mutexes > lim->handles)
			fail(w, "LIMITS %#x gave %#x, pad %u, %llu bytes for %llu handles",
			     lim_in->flags, lim->flags, lim->__pad,
			     (unsigned long long)lim->metadata_bytes,
			     (unsigned long long)lim->handles);
		break;
	case 7:
		/* No worker releases with a fence: there is none to get. */
		if (((const struct primeshare_km_acquire *)c->where)->fence_fd != -1)
			fail(w, "KM_ACQUIRE gave fence %d",
			     ((const struct primeshare_km_acquire *)
			      c->where)->fence_fd);
		break;
	}
}

static void check_failure(struct worker *w, struct call *c, int err)
{
	const struct primeshare_import *im = (const void *)c->where;

	/* ERANGE writes the structure back with no descriptor in it. */
	if (c->nr == 2 && err == ERANGE && (!c->writable || im->fd != -1))
		fail(w, "IMPORT failed with ERANGE and fd %d (%s)",
		     c->writable ? im->fd : -2,
		     c->writable ? "writable" : "not writable");
}

/*
 * The result that follows from the shape of the call alone, as -errno;
 * 0 when the shape does not decide it.
 */
static int exact_error(const struct call *c)
{
	if (c->shape == LARGER && c->tail_dirty && c->readable)
		return -EINVAL;
	if ((c->shape == VALID || (c->shape == LARGER && !c->tail_dirty)) &&
	    !c->readable)
		return -EFAULT;
	return 0;
}

static void do_ioctl(struct worker *w)
{
	__u64 words[(MAX_IOC_SIZE + 8) / 8];
	unsigned char *buf = (unsigned char *)words;
	struct call c = { 0 };
	size_t ksize, len, i;
	int fd, ret, err, want;

	choose_command(w, &c);
	ksize = struct_size(c.nr);
	len = c.size > ksize ? c.size : ksize;

	memset(buf, 0, len);
	if (chance(w, 4)) {
		for (i = 0; i < ksize; i++)
			buf[i] = pst_rand(&w->rng);
	} else {
		fill_valid(w, c.nr, buf);
		if (chance(w, 12))
			buf[rnd(w, ksize)] ^= 1 << rnd(w, 8);
	}
	sanitize(w, c.nr, buf);
	if (c.shape == LARGER && chance(w, 30)) {
		c.tail_dirty = 1;
		buf[ksize + rnd(w, c.size - ksize)] = 1 + rnd(w, 255);
	}
	place(w, &c, buf, len, ksize);

	c.on_session = 1;
	fd = pick_fd(w, w->sess, NSESS);
	if (fd < 0 || chance(w, 2)) {
		c.on_session = 0;
		switch (rnd(w, 4)) {
		case 0:
			fd = CLOSED_FD;
			break;
		case 1:
			fd = -1;
			break;
		case 2:
			fd = pick_fd(w, w->misc, NMISC);
			break;
		default:
			fd = pick_fd(w, w->bufs, NBUFS);
			break;
		}
	}

	ret = ioctl(fd, c.cmd, c.where);
	err = ret ? errno : 0;
	w->made++;
	if (!c.on_session) {
		w->other_calls++;
		if (fd < 0 ? err != EBADF : !allowed(&c, buf, err))
			fail(w, "ioctl %#x on a descriptor that is not a session gave %s",
			     c.cmd, err ? strerror(err) : "success");
		return;
	}
	w->tally[c.nr].calls++;
	if (!err)
		w->tally[c.nr].ok++;
	else if (err < MAX_ERRNO)
		w->tally[c.nr].err[err]++;
	want = exact_error(&c);
	if ((ret && ret != -1) || !allowed(&c, buf, err) ||
	    (want && err != -want)) {
		fail(w, "%s (%s%s, size %zu, cmd %#x, %s) gave %s (%d)",
		     ioctl_names[c.nr], shape_name(c.shape),
		     c.tail_dirty ? " with a nonzero tail" : "", c.size, c.cmd,
		     c.writable ? "writable" : c.readable ? "read-only" :
		     "not readable", err ? strerror(err) : "success", err);
		if (!err && c.nr == 2 && c.readable)
			close(((struct primeshare_import *)c.where)->fd);
		return;
	}
	if (!err)
		check_success(w, &c, buf);
	else
		check_failure(w, &c, err);
}

/* ---- everything else a program does with the device --------------------- */

/*
 * A well-formed call on session @fd with the structure @arg, counted and
 * checked against the uAPI as the random ones are.  0 or the errno.
 */
static int directed(struct worker *w, unsigned int nr, int fd, void *arg)
{
	struct call c = {
		.nr = nr, .shape = VALID, .cmd = ioctl_cmds[nr],
		.size = struct_size(nr), .where = arg, .readable = 1,
		.writable = 1, .fd = fd, .on_session = 1,
	};
	__u64 in[16];
	int err;

	memcpy(in, arg, c.size);
	err = ioctl(fd, c.cmd, arg) ? errno : 0;
	w->made++;
	w->tally[nr].calls++;
	if (!err)
		w->tally[nr].ok++;
	else if (err < MAX_ERRNO)
		w->tally[nr].err[err]++;
	if (!allowed(&c, in, err))
		fail(w, "%s (a call on purpose) gave %s (%d)", ioctl_names[nr],
		     err ? strerror(err) : "success", err);
	if (!err && nr == 2) {
		if (((struct primeshare_import *)arg)->fd < 0)
			fail(w, "IMPORT succeeded with fd %d",
			     ((struct primeshare_import *)arg)->fd);
		else
			remember_import(w, ((struct primeshare_import *)arg)->fd);
	}
	return err;
}

/* One hold more on @h for session @s; 0 or the errno. */
static int hold_on(struct worker *w, int s, __u64 h)
{
	struct primeshare_import im = {
		.handle = h,
		.flags = PRIMESHARE_IMPORT_HOLD |
			 (chance(w, 50) ? PRIMESHARE_IMPORT_CLOEXEC : 0),
	};

	return directed(w, 2, s, &im);
}

/* RELEASE of @h on session @s with @flags; 0 or the errno. */
static int release_on(struct worker *w, int s, __u64 h, __u32 flags)
{
	struct primeshare_release r = { .handle = h, .flags = flags };

	return directed(w, 3, s, &r);
}

/*
 * Refcounted handles ended by force while the worker holds them, a few in
 * a row: the worker exports one (or takes a hold on some other worker's),
 * adds holds from its sessions, and forces it.  Once it has ended, however
 * (this force or another), no session holds it any more: a plain RELEASE
 * from any of them, an IMPORT and a QUERY find no handle.  A force of its
 * own handle (its owner) is always allowed.
 */
static void force_cycles(struct worker *w)
{
	unsigned int n = 1 + rnd(w, 16), i, k, nheld;
	struct primeshare_export e;
	struct primeshare_import im;
	struct primeshare_query q;
	int s, held[4], err, own;
	__u64 h;

	for (i = 0; i < n; i++) {
		memset(&e, 0, sizeof(e));
		s = pick_fd(w, w->sess, NSESS);
		e.fd = pick_fd(w, w->bufs, NBUFS);
		if (s < 0)
			return;
		own = e.fd >= 0 && chance(w, 75);
		nheld = 0;
		if (own) {
			e.flags = PRIMESHARE_EXPORT_REFCOUNTED;
			e.mode = modes[rnd(w, 8)];
			if (directed(w, 1, s, &e))
				continue;
			h = e.handle;
			held[nheld++] = s;
		} else {
			h = any_handle(w);
		}
		for (k = rnd(w, 4); k < 4 && nheld < 4; k++) {
			s = pick_fd(w, w->sess, NSESS);
			if (!hold_on(w, s, h))
				held[nheld++] = s;
		}
		if (!nheld)
			continue;

		err = release_on(w, pick_fd(w, w->sess, NSESS), h,
				 PRIMESHARE_RELEASE_FORCE);
		if (err && err != ENOENT && (own || err != EPERM)) {
			fail(w, "RELEASE_FORCE of a%s refcounted handle it holds gave %s",
			     own ? "n own" : "", strerror(err));
			return;
		}
		if (err == EPERM) {
			/* Not its handle, and no CAP_SYS_ADMIN: drop the holds. */
			for (k = 0; k < nheld; k++)
				release_on(w, held[k], h, 0);
			continue;
		}
		w->forced++;
		for (k = 0; k < nheld; k++) {
			err = release_on(w, held[k], h, 0);
			if (err != ENOENT)
				fail(w, "RELEASE after RELEASE_FORCE of a handle it held gave %s",
				     err ? strerror(err) : "success");
		}
		memset(&im, 0, sizeof(im));
		im.handle = h;
		err = directed(w, 2, held[0], &im);
		if (err != ENOENT)
			fail(w, "IMPORT of a handle ended by force gave %s",
			     err ? strerror(err) : "success");
		memset(&q, 0, sizeof(q));
		q.handle = h;
		err = directed(w, 4, held[0], &q);
		if (err != ENOENT)
			fail(w, "QUERY of a handle ended by force gave %s",
			     err ? strerror(err) : "success");
		if (own)
			remember_handle(w, h);
	}
}

/*
 * A thread of the USERNS worker becomes another container uid, through
 * container root; its saved uid stays 0, so that it can come back and
 * regain the namespace's capabilities.  Only the calling thread changes:
 * the raw system call, not glibc's, which changes every thread.
 */
static void switch_uid(struct worker *w)
{
	uid_t uid = rnd(w, USERNS_UIDS);

	if (syscall(SYS_setresuid, 0, 0, 0) ||
	    (uid && syscall(SYS_setresuid, uid, uid, 0)))
		fail(w, "setresuid(%u) in the user namespace: %s", uid,
		     strerror(errno));
}

/* KM_ACQUIRE of @h with @key on session @s, no waiting; 0 or the errno. */
static int km_take(struct worker *w, int s, __u64 h, __u64 key)
{
	struct primeshare_km_acquire a = {
		.handle = h, .key = key, .fence_fd = -2,
	};
	int err = directed(w, 7, s, &a);

	/* Nothing here releases with a fence. */
	if (!err && a.fence_fd != -1)
		fail(w, "KM_ACQUIRE on purpose gave fence %d", a.fence_fd);
	return err;
}

static int km_give(struct worker *w, int s, __u64 h, __u64 key)
{
	struct primeshare_km_release r = {
		.handle = h, .key = key, .fence_fd = -1,
	};

	return directed(w, 8, s, &r);
}

/*
 * Keyed mutexes on purpose, a few in a row: the worker exports a handle
 * with one (or picks some other handle), takes the mutex from a session,
 * finds that another session cannot take it (or is the same session),
 * and releases it with a new key, which that key's acquire then takes.
 * Sometimes a fresh session takes it and closes: from then on every
 * acquire must find it abandoned.  Other workers may end the handle at
 * any time (root forces releases), so ENOENT is always possible.
 */
static void km_cycles(struct worker *w)
{
	unsigned int n = 1 + rnd(w, 8), i;
	struct primeshare_export e;
	int s, s2, fresh, err;
	__u64 h, key, next;

	for (i = 0; i < n; i++) {
		s = pick_fd(w, w->sess, NSESS);
		if (s < 0)
			return;
		memset(&e, 0, sizeof(e));
		e.fd = pick_fd(w, w->bufs, NBUFS);
		e.flags = PRIMESHARE_EXPORT_KEYED_MUTEX |
			  (chance(w, 30) ? PRIMESHARE_EXPORT_REFCOUNTED : 0);
		e.mode = modes[rnd(w, 8)];
		if (e.fd >= 0 && !directed(w, 1, s, &e)) {
			h = e.handle;
			remember_handle(w, h);
			key = 0;
		} else {
			h = any_handle(w);
			key = rnd(w, 3);
		}

		if (chance(w, 15)) {
			fresh = pst_open();
			if (fresh < 0)
				continue;
			err = km_take(w, fresh, h, key);
			close(fresh);
			if (err)
				continue;
			err = km_take(w, s, h, rnd(w, 3));
			if (err != ENOTRECOVERABLE && err != ENOENT)
				fail(w, "KM_ACQUIRE after its holder's session closed gave %s",
				     err ? strerror(err) : "success");
			continue;
		}

		if (km_take(w, s, h, key))
			continue;
		s2 = pick_fd(w, w->sess, NSESS);
		err = km_take(w, s2, h, key);
		if (err != ETIMEDOUT && err != EDEADLK && err != ENOENT)
			fail(w, "KM_ACQUIRE of a held mutex gave %s",
			     err ? strerror(err) : "success");
		next = rnd(w, 3);
		err = km_give(w, s, h, next);
		if (err && err != ENOENT)
			fail(w, "KM_RELEASE by its holder gave %s", strerror(err));
		if (err)
			continue;
		err = km_take(w, s2, h, next);
		if (!err)
			err = km_give(w, s2, h, 0);
		else if (err != ENOENT && err != ENOTRECOVERABLE && err != ETIMEDOUT)
			fail(w, "KM_ACQUIRE of the key just released gave %s",
			     strerror(err));
	}
}

static void do_action(struct worker *w)
{
	int *slot, fd;

	switch (rnd(w, 15)) {
	case 0:
	case 1:
		slot = free_slot(w->sess, NSESS);
		if (slot)
			*slot = pst_open();
		break;
	case 2:
		close_slot(&w->sess[rnd(w, NSESS)]);
		break;
	case 3:
		fd = pick_fd(w, w->sess, NSESS);
		slot = free_slot(w->sess, NSESS);
		if (fd >= 0 && slot)
			*slot = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		break;
	case 4:
	case 5:
		slot = free_slot(w->bufs, NBUFS);
		if (slot && w->proc->drm >= 0) {
			fd = pst_vgem_dmabuf(w->proc->drm,
					     PAGE * (1 + rnd(w, 16)));
			*slot = fd < 0 ? -1 : fd;
		}
		break;
	case 6:
		close_slot(&w->bufs[rnd(w, NBUFS)]);
		break;
	case 7:
	case 8:
		close_slot(&w->imported[rnd(w, NIMPORTED)]);
		break;
	case 9:
		/*
		 * Only the calling thread moves.  Container root may too: it
		 * has CAP_SYS_ADMIN in its user namespace.
		 */
		if ((w->proc->persona == ROOT ||
		     (w->proc->persona == USERNS && !geteuid())) &&
		    !w->ipc_moved && chance(w, 10)) {
			w->ipc_moved = 1;
			if (unshare(CLONE_NEWIPC))
				fail(w, "unshare(CLONE_NEWIPC): %s",
				     strerror(errno));
		}
		break;
	case 10:
		force_cycles(w);
		break;
	case 11:
		if (w->proc->persona == USERNS)
			switch_uid(w);
		break;
	case 12:
		km_cycles(w);
		break;
	default:
		fd = pick_fd(w, w->imported, NIMPORTED);
		slot = free_slot(w->bufs, NBUFS);
		if (fd >= 0 && slot)
			*slot = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		break;
	}
}

static void *worker_thread(void *p)
{
	struct worker *w = p;
	struct shared *sh = w->proc->sh;

	while (w->made < w->budget) {
		if (w->made >= w->next_check) {
			w->next_check = w->made + 256;
			if (__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE) ||
			    now() > w->proc->deadline)
				break;
		}
		/* A thread that closed every session opens one again. */
		if (free_slot(w->sess, NSESS) && pick_first(w->sess, NSESS) < 0)
			w->sess[0] = pst_open();
		if (chance(w, 3))
			do_action(w);
		else
			do_ioctl(w);
	}
	return NULL;
}

static int worker_setup(struct worker *w)
{
	unsigned int i;

	memset(w->sess, -1, sizeof(w->sess));
	memset(w->bufs, -1, sizeof(w->bufs));
	memset(w->imported, -1, sizeof(w->imported));
	memset(w->misc, -1, sizeof(w->misc));
	w->arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->arena == MAP_FAILED)
		return -1;
	if (mprotect(rw_end(w), PAGE, PROT_READ) ||
	    mprotect(rw_end(w) + PAGE, PAGE, PROT_NONE))
		return -1;
	for (i = 0; i < 2; i++)
		w->sess[i] = pst_open();
	for (i = 0; i < 4 && w->proc->drm >= 0; i++)
		w->bufs[i] = pst_vgem_dmabuf(w->proc->drm,
					     PAGE << rnd(w, 5));
	if (pipe2(&w->misc[0], O_CLOEXEC) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, &w->misc[2]))
		return -1;
	w->misc[4] = eventfd(0, EFD_CLOEXEC);
	w->misc[5] = open("/dev/null", O_RDWR | O_CLOEXEC);
	return w->sess[0] < 0 ? -1 : 0;
}

static void worker_teardown(struct worker *w)
{
	unsigned int i;

	for (i = 0; i < NSESS; i++)
		close_slot(&w->sess[i]);
	for (i = 0; i < NBUFS; i++)
		close_slot(&w->bufs[i]);
	for (i = 0; i < NIMPORTED; i++)
		close_slot(&w->imported[i]);
	for (i = 0; i < NMISC; i++)
		close_slot(&w->misc[i]);
	munmap(w->arena, ARENA_SIZE);
}

static const gid_t groups_a[] = { 1000, 3000 };
static const gid_t groups_b[] = { 1000 };

static int become(enum persona persona)
{
	struct rlimit rl = { 64, 64 };

	switch (persona) {
	case USER_A:
		return pst_become(1000, 1000, 2, groups_a);
	case USER_B:
		if (setrlimit(RLIMIT_NOFILE, &rl))
			return -errno;
		return pst_become(2000, 2000, 1, groups_b);
	case ROOT_NEW_IPC:
		return unshare(CLONE_NEWIPC) ? -errno : 0;
	default:
		return 0;
	}
}

/*
 * The USERNS worker, still single-threaded: uid USERNS_OWNER makes a user
 * namespace (and an IPC namespace), the parent maps container uids to host
 * uids from 200000 up, as for a rootless container, and the worker becomes
 * container root.  It closes the two pipe ends it was given.
 */
static int enter_userns(struct proc_ctx *pc)
{
	int ret = -1;
	char c;

	if (!pst_become(USERNS_OWNER, USERNS_OWNER, 0, NULL) &&
	    !unshare(CLONE_NEWUSER | (pc->new_ipc ? CLONE_NEWIPC : 0)) &&
	    write(pc->ready, "u", 1) == 1 && read(pc->go, &c, 1) == 1 &&
	    !setresgid(0, 0, 0) && !setresuid(0, 0, 0) && !setgroups(0, NULL))
		ret = 0;
	close(pc->ready);
	close(pc->go);
	return ret;
}

/* The parent's half: write the maps of @pid once it has unshared. */
static int map_userns(pid_t pid, int ready, int go)
{
	char c;

	if (read(ready, &c, 1) != 1 ||
	    pst_write_map(pid, "uid_map", USERNS_MAP) ||
	    pst_write_map(pid, "gid_map", USERNS_MAP))
		return -1;
	return write(go, "g", 1) == 1 ? 0 : -1;
}

/*
 * A namespace's own limits pin it and cost its creator a handle until
 * they are reset: the USERNS worker resets them before it ends, from its
 * main thread, which stayed container root.
 */
static int reset_limits(void)
{
	struct primeshare_limits l = { .flags = PRIMESHARE_LIMITS_RESET };
	int s = pst_open(), ret;

	if (s < 0)
		return -errno;
	ret = pst_ioctl(s, PRIMESHARE_IOCTL_LIMITS, &l);
	close(s);
	return ret;
}

/* Dump what a worker has open that it should not. */
static void show_fds(void)
{
	char path[300], target[256];
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	ssize_t n;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = 0;
		ksft_print_msg("  fd %s -> %s\n", e->d_name, target);
	}
	closedir(d);
}

static void add_tally(struct tally *to, const struct tally *from)
{
	unsigned int i;

	to->calls += from->calls;
	to->ok += from->ok;
	for (i = 0; i < MAX_ERRNO; i++)
		to->err[i] += from->err[i];
}

/* One worker process; its exit status says whether it could run. */
static int run_process(struct proc_ctx *pc, unsigned long calls)
{
	const struct options *opt = pc->opt;
	struct worker *w = calloc(opt->threads, sizeof(*w));
	pthread_t *tids = calloc(opt->threads, sizeof(*tids));
	unsigned int i, j;
	int fds_before, ret;
	char msg[128];

	if (!w || !tids)
		return 2;
	/* Only root can make vgem buffers: open the node before dropping. */
	pc->drm = pst_open_drm("vgem");
	if (pc->persona == USERNS && enter_userns(pc))
		return 4;
	fds_before = pst_count_fds();
	for (i = 0; i < opt->threads; i++) {
		w[i].proc = pc;
		w[i].thread = i;
		w[i].rng = opt->seed ^ (0x1000003ULL * (pc->index + 1)) ^
			   (0x10000000bULL * (i + 1));
		pst_rand(&w[i].rng);
		w[i].budget = calls / opt->threads +
			      (i < calls % opt->threads);
		if (worker_setup(&w[i]))
			return 3;
	}
	if (become(pc->persona))
		return 4;
	for (i = 0; i < opt->threads; i++)
		if (pthread_create(&tids[i], NULL, worker_thread, &w[i]))
			return 5;
	for (i = 0; i < opt->threads; i++)
		pthread_join(tids[i], NULL);
	for (i = 0; i < opt->threads; i++)
		worker_teardown(&w[i]);
	ret = pc->persona == USERNS ? reset_limits() : 0;
	if (ret)
		fail(&w[0], "LIMITS RESET at the end gave %s", strerror(-ret));

	pthread_mutex_lock(&pc->sh->lock);
	for (i = 0; i < opt->threads; i++) {
		for (j = 0; j < NR_IOCTLS; j++)
			add_tally(&pc->sh->tally[j], &w[i].tally[j]);
		pc->sh->other_calls += w[i].other_calls;
		pc->sh->forced += w[i].forced;
		pc->sh->done += w[i].made;
	}
	pthread_mutex_unlock(&pc->sh->lock);

	if (pst_count_fds() != fds_before) {
		snprintf(msg, sizeof(msg), "%d descriptors open after the run, %d before",
			 pst_count_fds(), fds_before);
		fail(&w[0], "%s", msg);
		show_fds();
	}
	if (pc->drm >= 0)
		close(pc->drm);
	return 0;
}

/* ---- the parent --------------------------------------------------------- */

static void print_tally(const struct shared *sh)
{
	char line[512];
	unsigned int i, e;
	int n;

	for (i = 0; i < NR_IOCTLS; i++) {
		n = snprintf(line, sizeof(line), "%-7s %7lu calls, %7lu ok",
			     ioctl_names[i], sh->tally[i].calls,
			     sh->tally[i].ok);
		for (e = 1; e < MAX_ERRNO && n < (int)sizeof(line) - 32; e++)
			if (sh->tally[i].err[e])
				n += snprintf(line + n, sizeof(line) - n,
					      ", %s %lu", strerrorname_np(e),
					      sh->tally[i].err[e]);
		ksft_print_msg("%s\n", line);
	}
	ksft_print_msg("%lu calls on descriptors that are not sessions\n",
		       sh->other_calls);
	ksft_print_msg("%lu held refcounted handles ended by force and checked\n",
		       sh->forced);
}

static void print_usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-n CALLS] [-t SECONDS] [-p PROCS] [-j THREADS] [-P MICROSECONDS]\n",
		argv0);
	exit(KSFT_FAIL);
}

static void parse(int argc, char **argv, struct options *opt)
{
	int c;

	opt->calls = 200000;
	opt->seconds = 120;
	opt->procs = NR_PERSONAS;
	opt->threads = 2;
	opt->toggle_us = 200;
	if (getrandom(&opt->seed, sizeof(opt->seed), 0) != sizeof(opt->seed))
		opt->seed = (__u64)time(NULL) * 1000003 ^ getpid();
	while ((c = getopt(argc, argv, "s:n:t:p:j:P:")) != -1) {
		switch (c) {
		case 's':
			opt->seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			opt->calls = strtoul(optarg, NULL, 0);
			break;
		case 't':
			opt->seconds = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			opt->procs = strtoul(optarg, NULL, 0);
			break;
		case 'j':
			opt->threads = strtoul(optarg, NULL, 0);
			break;
		case 'P':
			opt->toggle_us = strtoul(optarg, NULL, 0);
			break;
		default:
			print_usage(argv[0]);
		}
	}
	if (optind != argc || !opt->procs || !opt->threads || !opt->seconds ||
	    opt->procs > 64 || opt->threads > 64 || opt->toggle_us > 1000000)
		print_usage(argv[0]);
}

/* ---- module parameters, changed under the workers' feet ----------------- */

struct toggler {
	pthread_t tid;
	__u64 rng;
	unsigned int interval_us;
	int stop;
	int error;		/* -errno of the write that failed */
	const char *failed;	/* its parameter */
	unsigned long writes;
};

/* 0, a small, a large value, about the campaign's, or the campaign's. */
static long toggle_value(struct toggler *t, const struct param *p)
{
	switch (pst_rand_below(&t->rng, 10)) {
	case 0:
	case 1:
		return 0;
	case 2:
	case 3:
		return 1 + pst_rand_below(&t->rng, 8);
	case 4:
		return 1 + pst_rand_below(&t->rng, 2 * p->campaign);
	case 5:
		return pst_rand_below(&t->rng, 2) ? 0xffffffffL :
			1L << (16 + pst_rand_below(&t->rng, 15));
	default:
		return p->campaign;
	}
}

static void *toggle_params(void *arg)
{
	struct toggler *t = arg;
	const struct param *p;
	int ret;

	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
		p = &params[pst_rand_below(&t->rng, NPARAMS)];
		ret = pst_set_param(p->name, toggle_value(t, p));
		if (ret) {
			t->error = ret;
			t->failed = p->name;
			break;
		}
		t->writes++;
		usleep(pst_rand_below(&t->rng, 2 * t->interval_us + 1));
	}
	return NULL;
}

/* ---- kernel memory -------------------------------------------------------- */

#define NSLABS		128
/*
 * How many objects a watched cache may gain over the campaign with
 * nothing live at its end: SLAB_SLACK plus 1 / SLAB_SLACK_DIV of what it
 * had.  The kernel allocates from these caches for everything, and the
 * figures move between two idle moments too: clean runs on 6.1 and 6.12
 * moved single caches by -67 to +93 objects (kmalloc-96, 2575 objects).
 * The live handles and holds at the end (none) add PER_LIVE objects each.
 */
#define SLAB_SLACK	128
#define SLAB_SLACK_DIV	32
#define PER_LIVE	8

struct slab_figures {
	unsigned int n;
	char name[NSLABS][64];
	long objs[NSLABS];
};

static int slab_watched(const char *name)
{
	return !strcmp(name, "radix_tree_node") || !strcmp(name, "ps_handle") ||
	       !strncmp(name, "kmalloc-", 8);
}

/*
 * Objects free in a CPU's slabs count as active in /proc/slabinfo; a
 * shrink of the cache (SLUB) gives them back first.
 */
static int slab_shrink(const char *name)
{
	char path[96];
	int fd, ret;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, "1", 1) == 1 ? 0 : -errno;
	close(fd);
	return ret;
}

/*
 * Active objects of the watched caches.  A cache merged into another does
 * not show in /proc/slabinfo: ps_handle then reports its alias's objects
 * from sysfs.
 */
static int slab_read(struct slab_figures *f, int shrink)
{
	char line[512], name[64];
	int found = 0;
	long objs;
	FILE *fp;

	fp = fopen("/proc/slabinfo", "r");
	if (!fp)
		return -errno;
	f->n = 0;
	while (fgets(line, sizeof(line), fp)) {
		if (sscanf(line, "%63s %ld", name, &objs) != 2 ||
		    !slab_watched(name))
			continue;
		found |= !strcmp(name, "ps_handle");
		if (shrink) {
			slab_shrink(name);
		} else if (f->n < NSLABS) {
			snprintf(f->name[f->n], sizeof(f->name[0]), "%s", name);
			f->objs[f->n++] = objs;
		}
	}
	fclose(fp);
	if (!found && f->n < NSLABS) {
		if (shrink)
			slab_shrink("ps_handle");
		fp = fopen("/sys/kernel/slab/ps_handle/objects", "r");
		if (fp && fscanf(fp, "%ld", &objs) == 1 && !shrink) {
			snprintf(f->name[f->n], sizeof(f->name[0]),
				 "ps_handle (merged)");
			f->objs[f->n++] = objs;
		}
		if (fp)
			fclose(fp);
	}
	return 0;
}

static int slab_measure(struct slab_figures *f)
{
	return slab_read(f, 1) ?: slab_read(f, 0);
}

static long slab_before(const struct slab_figures *before, const char *name)
{
	unsigned int i;

	for (i = 0; i < before->n; i++)
		if (!strcmp(before->name[i], name))
			return before->objs[i];
	return 0;
}

/* Keep in @f the smallest figure of each cache over the samples so far. */
static void slab_keep_min(struct slab_figures *f,
			  const struct slab_figures *sample)
{
	unsigned int i, j;

	for (i = 0; i < sample->n; i++) {
		for (j = 0; j < f->n; j++)
			if (!strcmp(f->name[j], sample->name[i]))
				break;
		if (j == f->n && f->n < NSLABS)
			memcpy(f->name[f->n++], sample->name[i],
			       sizeof(f->name[0]));
		else if (j == f->n || f->objs[j] <= sample->objs[i])
			continue;
		f->objs[j] = sample->objs[i];
	}
}

static long slab_bound(long before, long live)
{
	return SLAB_SLACK + before / SLAB_SLACK_DIV + PER_LIVE * live;
}

/* The number of caches that grew more than the bound; @print: say so. */
static int slab_excess(const struct slab_figures *before,
		       const struct slab_figures *after, long live, int print)
{
	long b, growth, sum_b = 0, sum_a = 0;
	unsigned int i;
	int bad = 0, over;

	for (i = 0; i < after->n; i++) {
		b = slab_before(before, after->name[i]);
		growth = after->objs[i] - b;
		over = growth > slab_bound(b, live);
		bad += over;
		if (!strncmp(after->name[i], "kmalloc-", 8)) {
			sum_b += b;
			sum_a += after->objs[i];
		}
		if (print && (over || growth || strncmp(after->name[i],
							"kmalloc-", 8)))
			ksft_print_msg("slab %-22s %8ld -> %8ld, growth %+6ld (bound %ld)%s\n",
				       after->name[i], b, after->objs[i], growth,
				       slab_bound(b, live),
				       over ? ": TOO MUCH" : "");
	}
	if (print)
		ksft_print_msg("slab %-22s %8ld -> %8ld, growth %+6ld\n",
			       "kmalloc-* together",
			       sum_b, sum_a, sum_a - sum_b);
	return bad;
}

/*
 * Wait for every worker until the deadline and a grace period have passed;
 * a worker still running then hangs.  The number of workers that did not
 * finish cleanly.
 */
static int wait_workers(pid_t *pids, unsigned int n, double limit,
			unsigned int grace)
{
	unsigned int left = n, i, bad = 0;
	int status;
	pid_t pid;

	while (left) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0)
			break;
		if (pid == 0) {
			if (now() > limit) {
				ksft_print_msg("%u workers hang: still running %u s late\n",
					       left, grace);
				for (i = 0; i < n; i++)
					if (pids[i] > 0)
						kill(pids[i], SIGKILL);
				return bad + left;
			}
			usleep(20000);
			continue;
		}
		for (i = 0; i < n; i++)
			if (pids[i] == pid)
				pids[i] = 0;
		left--;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			ksft_print_msg("a worker ended with status %#x\n",
				       status);
			bad++;
		}
	}
	return bad;
}

/* Fork the workers; the parent maps the user namespace of each USERNS one. */
static int start_workers(struct shared *sh, const struct options *opt,
			 pid_t *pids, double start)
{
	int ready[2], go[2], bad = 0;
	struct proc_ctx pc;
	unsigned int i;

	for (i = 0; i < opt->procs; i++) {
		pc.sh = sh;
		pc.opt = opt;
		pc.index = i;
		pc.persona = i % NR_PERSONAS;
		pc.deadline = start + opt->seconds;
		/* The seed decides which of them get an IPC namespace too. */
		pc.new_ipc = (opt->seed >> (i / NR_PERSONAS % 64)) & 1;
		if (pc.persona == USERNS && (pipe2(ready, O_CLOEXEC) ||
					     pipe2(go, O_CLOEXEC)))
			ksft_exit_fail_msg("pipe: %s\n", strerror(errno));
		pids[i] = fork();
		if (pids[i] < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
		if (pids[i] == 0) {
			if (pc.persona == USERNS) {
				close(ready[0]);
				close(go[1]);
				pc.ready = ready[1];
				pc.go = go[0];
			}
			_exit(run_process(&pc, opt->calls / opt->procs +
					  (i < opt->calls % opt->procs)));
		}
		if (pc.persona != USERNS)
			continue;
		ksft_print_msg("worker %u: %s, %s IPC namespace\n", i,
			       persona_names[USERNS],
			       pc.new_ipc ? "in a new" : "in the initial");
		close(ready[1]);
		close(go[0]);
		if (map_userns(pids[i], ready[0], go[1])) {
			ksft_print_msg("cannot map the user namespace of worker %u\n",
				       i);
			bad++;
		}
		close(ready[0]);
		close(go[1]);
	}
	return bad;
}

int main(int argc, char **argv)
{
	struct slab_figures slab_start, slab_end, slab_sample;
	struct toggler tog = { 0 };
	struct options opt;
	pthread_mutexattr_t ma;
	struct pst_state before, after;
	long saved[NPARAMS], live;
	struct shared *sh;
	pid_t pids[64];
	double start, elapsed;
	unsigned int i, try;
	int bad, idle, ret, slab_ok;

	/*
	 * Where the arenas land decides whether a corrupted pointer still
	 * points into one: without address space randomization a seed
	 * gives the same layout, and so the same run, every time.
	 */
	ret = personality(0xffffffff);
	if (ret != -1 && !(ret & ADDR_NO_RANDOMIZE) &&
	    personality(ret | ADDR_NO_RANDOMIZE) != -1)
		execv("/proc/self/exe", argv);

	parse(argc, argv, &opt);
	ksft_print_header();
	ksft_set_plan(4);
	ksft_print_msg("seed %#llx: %lu calls, at most %u s, %u processes x %u threads, -P %u\n",
		       (unsigned long long)opt.seed, opt.calls, opt.seconds,
		       opt.procs, opt.threads, opt.toggle_us);
	ksft_print_msg("replay: primeshare_fuzz -s %#llx -n %lu -t %u -p %u -j %u -P %u\n",
		       (unsigned long long)opt.seed, opt.calls, opt.seconds,
		       opt.procs, opt.threads, opt.toggle_us);
	if (access(PST_DEVICE, F_OK) && errno == ENOENT)
		ksft_exit_skip("no %s (is primeshare.ko loaded?)\n", PST_DEVICE);
	if (geteuid())
		ksft_exit_skip("the fuzzer runs as root (its workers become other users)\n");
	if (access(PST_DEVICE, R_OK | W_OK))
		ksft_exit_fail_msg("%s: %s\n", PST_DEVICE, strerror(errno));

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&sh->lock, &ma);
	pst_state_get(&before);
	for (i = 0; i < NPARAMS; i++) {
		saved[i] = pst_get_param(params[i].name);
		if (saved[i] < 0 ||
		    pst_set_param(params[i].name, params[i].campaign))
			ksft_exit_fail_msg("cannot set %s (uAPI 1.1 needed)\n",
					   params[i].name);
	}
	if (slab_measure(&slab_start))
		ksft_exit_fail_msg("/proc/slabinfo: %s\n", strerror(errno));

	start = now();
	fflush(stdout);
	fflush(stderr);
	bad = start_workers(sh, &opt, pids, start);
	tog.rng = opt.seed ^ 0x706172616d73ULL;
	tog.interval_us = opt.toggle_us;
	if (opt.toggle_us &&
	    pthread_create(&tog.tid, NULL, toggle_params, &tog))
		ksft_exit_fail_msg("pthread_create: %s\n", strerror(errno));
	bad += wait_workers(pids, opt.procs, start + opt.seconds + GRACE,
			    GRACE);
	elapsed = now() - start;
	if (opt.toggle_us) {
		__atomic_store_n(&tog.stop, 1, __ATOMIC_RELEASE);
		pthread_join(tog.tid, NULL);
	}
	for (i = 0; i < NPARAMS; i++)
		if (pst_set_param(params[i].name, saved[i]))
			ksft_print_msg("cannot put %s back to %ld\n",
				       params[i].name, saved[i]);

	print_tally(sh);
	ksft_print_msg("%lu calls in %.1f s (%.0f calls/s)%s\n", sh->done,
		       elapsed, sh->done / elapsed,
		       sh->done < opt.calls ? ", stopped by the time limit" : "");
	if (opt.toggle_us)
		ksft_print_msg("%lu writes of module parameters, one every 0-%u us\n",
			       tog.writes, 2 * opt.toggle_us);
	if (tog.error)
		ksft_print_msg("writing %s failed: %s\n", tog.failed,
			       strerror(-tog.error));
	if (sh->failed)
		ksft_print_msg("%s\n", sh->failure);
	ksft_test_result(!sh->failed && !bad && !tog.error,
			 "campaign: every result is one the uAPI allows\n");

	/* Sessions end when their last descriptor closes: nothing is left. */
	pst_state_get(&after);
	idle = !after.handles && !after.holds && !after.users &&
	       !after.sessions && !after.keyed_mutexes;
	ksft_print_msg("stats: handles %ld holds %ld users %ld sessions %ld keyed mutexes %ld\n",
		       after.handles, after.holds, after.users, after.sessions,
		       after.keyed_mutexes);
	ksft_test_result(idle, "live counts in debugfs are back to 0\n");
	if (after.dmabufs != before.dmabufs || after.fds != before.fds ||
	    after.next_fd != before.next_fd)
		ksft_print_msg("dma-bufs %ld -> %ld, fds %d -> %d\n",
			       before.dmabufs, after.dmabufs, before.fds,
			       after.fds);
	ksft_test_result(after.dmabufs == before.dmabufs &&
			 after.fds == before.fds &&
			 after.next_fd == before.next_fd,
			 "no dma-buf or descriptor is left behind\n");

	/*
	 * Handles, namespaces and what kfree_rcu() batches (up to 5 s) are
	 * freed a while after the last session closes: while some cache is
	 * above its bound, measure again every second, up to 9 s, keeping
	 * each cache's lowest figure.
	 */
	live = (after.handles > 0 ? after.handles : 0) +
	       (after.holds > 0 ? after.holds : 0);
	sync();
	slab_end.n = 0;
	for (try = 0; try < 10; try++) {
		usleep(try ? 1000000 : 200000);
		if (slab_measure(&slab_sample))
			ksft_exit_fail_msg("/proc/slabinfo: %s\n",
					   strerror(errno));
		slab_keep_min(&slab_end, &slab_sample);
		if (!slab_excess(&slab_start, &slab_end, live, 0))
			break;
	}
	slab_ok = !slab_excess(&slab_start, &slab_end, live, 1);
	ksft_test_result(slab_ok, "kernel memory: no growth beyond noise and %ld live objects\n",
			 live);

	if (ksft_get_fail_cnt())
		ksft_print_msg("FAILED with seed %#llx (make fuzz FUZZ_SEED=%#llx)\n",
			       (unsigned long long)opt.seed,
			       (unsigned long long)opt.seed);
	ksft_finished();
}
