/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * libprimeshare against the fake module and fake DRM driver of fake_ps.h:
 * what each function asks of the module, and what it makes of the answer.
 * The real module is tested in the VM; this checks the library's side of
 * the uAPI on any host.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <xf86drm.h>

#include "primeshare.h"
#include "fake_ps.h"
#include "tap.h"
#include "util.h"

#define NR(ioc) _IOC_NR(PRIMESHARE_IOCTL_##ioc)

/* Open fds, less those the fakes keep for their own bookkeeping. */
static int own_fds(void)
{
	return tu_fd_count() - fake_held_fds();
}

static int read_byte(int fd, off_t off)
{
	unsigned char c;

	return pread(fd, &c, 1, off) == 1 ? c : -1;
}

static int cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags >= 0 && (flags & FD_CLOEXEC);
}

static void test_open(void)
{
	struct primeshare *ctx = NULL;
	unsigned int major = 0, minor = 0;

	setenv("PRIMESHARE_DEVICE", fake_device_path, 1);
	TAP_EXPECT(primeshare_open(&ctx), 0, "open follows PRIMESHARE_DEVICE");
	unsetenv("PRIMESHARE_DEVICE");
	if (!ctx)
		return;
	tap_ok(primeshare_fd(ctx) >= 0 && cloexec(primeshare_fd(ctx)),
	       "the session fd is close-on-exec");
	TAP_EXPECT(primeshare_uapi_version(ctx, &major, &minor), 0,
		   "uapi_version");
	tap_ok(major == PRIMESHARE_UAPI_VERSION_MAJOR && minor == 3,
	       "... gives the module's version, minor included");
	tap_ok(primeshare_features(ctx) == fake.info.features,
	       "features gives the module's bits");
	tap_ok(primeshare_limit(ctx, PRIMESHARE_LIMIT_METADATA_SIZE) ==
			  4096 &&
	       primeshare_limit(ctx, PRIMESHARE_LIMIT_HANDLES_PER_SESSION) ==
			  4000 &&
	       primeshare_limit(ctx, PRIMESHARE_LIMIT_HANDLES_PER_USER) ==
			  16000 &&
	       primeshare_limit(ctx, PRIMESHARE_LIMIT_HANDLES) == 65000,
	       "limit gives each of the module's limits");
	fake.info.max_handles = 1;
	tap_ok(primeshare_limit(ctx, PRIMESHARE_LIMIT_HANDLES) == 65000 &&
	       fake.calls[NR(INFO)] == 1,
	       "INFO is read once, at open");
	primeshare_close(ctx);
	fake_reset();
}

static void test_handles(struct primeshare *ctx)
{
	static const unsigned char meta[100] = "a blob of metadata";
	unsigned char got[200];
	uint64_t h, h2, size = 0;
	struct fake_handle *fh;
	size_t msize;
	int buf, fd, before;

	buf = fake_dmabuf(8192, 7);

	fake.eintr_once = true;
	TAP_EXPECT(primeshare_export(ctx, buf, PRIMESHARE_LIFETIME_OWNED, 0,
				     meta, sizeof(meta), &h), 0,
		   "export (restarted after EINTR)");
	tap_ok(fake.last_export.fd == buf &&
	       fake.last_export.flags == 0 && fake.last_export.mode == 0 &&
	       fake.last_export.metadata_size == sizeof(meta) &&
	       fake.last_export.metadata == (uintptr_t)meta,
	       "... passes fd, lifetime, mode and metadata");
	tap_ok(h && fake_find(h), "... and returns the module's handle");

	TAP_EXPECT(primeshare_export(ctx, buf, PRIMESHARE_LIFETIME_REFCOUNTED,
				     PRIMESHARE_MODE_OWNER |
				     PRIMESHARE_MODE_GROUP,
				     NULL, 0, &h2), 0, "export refcounted");
	tap_ok(fake.last_export.flags == PRIMESHARE_EXPORT_REFCOUNTED &&
	       fake.last_export.mode == 0440 &&
	       fake.last_export.metadata == 0,
	       "... as PRIMESHARE_EXPORT_REFCOUNTED with mode 0440");

	/* Metadata sizes. */
	before = own_fds();
	msize = 10;
	TAP_EXPECT(primeshare_import(ctx, h, 0, got, &msize, NULL), -ERANGE,
		   "import with a 10-byte metadata buffer: ERANGE");
	tap_ok(msize == sizeof(meta) && own_fds() == before,
	       "... gives the size needed, installs no fd");
	msize = 0;
	TAP_EXPECT(primeshare_import(ctx, h, 0, NULL, &msize, NULL), -ERANGE,
		   "import with (NULL, 0) asks for the size: ERANGE");
	tap_ok(msize == sizeof(meta) && fake.last_import.metadata != 0,
	       "... gives the size needed");
	msize = sizeof(got);
	memset(got, 0, sizeof(got));
	fd = primeshare_import(ctx, h, PRIMESHARE_IMPORT_FLAG_CLOEXEC, got,
			       &msize, &size);
	tap_ok(fd >= 0 && msize == sizeof(meta) &&
	       !memcmp(got, meta, sizeof(meta)) && size == 8192,
	       "import returns an fd, the metadata, its size and the buffer size");
	tap_ok(fake.last_import.flags == PRIMESHARE_IMPORT_CLOEXEC &&
	       fake.last_import.metadata_size == sizeof(got),
	       "... asking with CLOEXEC and the buffer's capacity");
	tap_ok(fd >= 0 && cloexec(fd) && read_byte(fd, 100) ==
	       (unsigned char)(100 * 31 + 7),
	       "... the fd is close-on-exec and reads the exported buffer");
	if (fd >= 0)
		close(fd);
	fd = primeshare_import(ctx, h, 0, NULL, NULL, NULL);
	tap_ok(fd >= 0 && !cloexec(fd) && fake.last_import.flags == 0 &&
	       fake.last_import.metadata == 0,
	       "import without flags or metadata size asks for no metadata");
	if (fd >= 0)
		close(fd);
	msize = 0;
	fd = primeshare_import(ctx, h2, PRIMESHARE_IMPORT_FLAG_HOLD, NULL,
			       &msize, NULL);
	tap_ok(fd >= 0 && msize == 0 &&
	       fake.last_import.flags == PRIMESHARE_IMPORT_HOLD,
	       "import with HOLD of a handle without metadata");
	if (fd >= 0)
		close(fd);
	fh = fake_find(h2);
	tap_ok(fh && fh->holders == 2 && fh->imports == 1,
	       "... adds a hold");

	/* Release, revoke. */
	TAP_EXPECT(primeshare_release(ctx, h2), 0, "release drops a hold");
	tap_ok(fake.last_release.flags == 0 && fh && fh->holders == 1 &&
	       !fh->dead, "... without flags, and the handle lives on");
	TAP_EXPECT(primeshare_revoke(ctx, h2), 0, "revoke");
	tap_ok(fake.last_release.flags == PRIMESHARE_RELEASE_FORCE &&
	       fh && fh->dead,
	       "... is a release with PRIMESHARE_RELEASE_FORCE");
	TAP_EXPECT(primeshare_import(ctx, h2, 0, NULL, NULL, NULL), -ENOENT,
		   "a revoked handle cannot be imported");

	/* Oneshot. */
	TAP_EXPECT(primeshare_export(ctx, buf, PRIMESHARE_LIFETIME_ONESHOT,
				     PRIMESHARE_MODE_MASK, NULL, 0, &h2), 0,
		   "export oneshot");
	tap_ok(fake.last_export.flags == PRIMESHARE_EXPORT_ONESHOT &&
	       fake.last_export.mode == 0444,
	       "... as PRIMESHARE_EXPORT_ONESHOT with mode 0444");
	fd = primeshare_import(ctx, h2, PRIMESHARE_IMPORT_FLAG_CLOEXEC, NULL,
			       NULL, NULL);
	tap_ok(fd >= 0, "a oneshot handle imports once");
	if (fd >= 0)
		close(fd);
	TAP_EXPECT(primeshare_import(ctx, h2, 0, NULL, NULL, NULL), -ENOENT,
		   "... and not twice");

	TAP_EXPECT(primeshare_release(ctx, h), 0, "release an owned handle");
	close(buf);
}

static void test_query(struct primeshare *ctx)
{
	struct primeshare_desc *desc = NULL;
	uint64_t h = 0;
	int buf = fake_dmabuf(12345, 3);

	primeshare_export(ctx, buf, PRIMESHARE_LIFETIME_REFCOUNTED, 0044,
			  "xyz", 3, &h);
	close(buf);
	TAP_EXPECT(primeshare_query(ctx, h, &desc), 0, "query");
	if (!desc)
		return;
	tap_ok(primeshare_desc_handle(desc) == h &&
	       primeshare_desc_size(desc) == 12345 &&
	       primeshare_desc_mode(desc) == 0044 &&
	       primeshare_desc_uid(desc) == 1234 &&
	       primeshare_desc_gid(desc) == 5678 &&
	       primeshare_desc_lifetime(desc) ==
			PRIMESHARE_LIFETIME_REFCOUNTED &&
	       primeshare_desc_metadata_size(desc) == 3 &&
	       primeshare_desc_imports(desc) == 0 &&
	       primeshare_desc_holders(desc) == 1 &&
	       primeshare_desc_exporter_pid(desc) == 4321 &&
	       primeshare_desc_age_ns(desc) == 987654321,
	       "the description has every field of the answer");
	tap_ok(!strcmp(primeshare_desc_exporter_comm(desc),
		       "sixteen-chars-xy"),
	       "a 16-character exporter name comes out NUL-terminated");
	primeshare_desc_free(desc);
	primeshare_revoke(ctx, h);
}

/*
 * Keyed mutexes: the flags the library sends, the fence it hands over or
 * waits for itself, and the mutex put back as it was when that wait times
 * out.  The fake's fences are eventfds: readable once written.
 */
static void test_keyed_mutex(struct primeshare *ctx)
{
	struct primeshare_desc *desc = NULL;
	int buf = fake_dmabuf(4096, 5), fence = -2, ev, ret;
	struct fake_handle *fh;
	uint64_t h = 0, plain = 0;
	int64_t t;

	TAP_EXPECT(primeshare_export2(ctx, buf, PRIMESHARE_LIFETIME_REFCOUNTED,
				      0, PRIMESHARE_EXPORT_FLAG_KEYED_MUTEX,
				      NULL, 0, &h), 0,
		   "export2 with a keyed mutex");
	tap_ok(fake.last_export.flags == (PRIMESHARE_EXPORT_REFCOUNTED |
					  PRIMESHARE_EXPORT_KEYED_MUTEX),
	       "it asks for the lifetime and the mutex (flags %#x)",
	       fake.last_export.flags);
	TAP_EXPECT(primeshare_export2(ctx, buf, PRIMESHARE_LIFETIME_OWNED, 0,
				      2, NULL, 0, &plain), -EINVAL,
		   "export2 with an unknown flag");
	TAP_EXPECT(primeshare_export(ctx, buf, PRIMESHARE_LIFETIME_OWNED, 0,
				     NULL, 0, &plain), 0,
		   "export makes no mutex");
	tap_ok(fake.last_export.flags == 0, "export's flags are 0");
	close(buf);

	if (!primeshare_query(ctx, h, &desc)) {
		tap_ok(primeshare_desc_has_keyed_mutex(desc) == 1,
		       "the description says the handle has a mutex");
		primeshare_desc_free(desc);
	}
	if (!primeshare_query(ctx, plain, &desc)) {
		tap_ok(primeshare_desc_has_keyed_mutex(desc) == 0,
		       "and that a plain handle has none");
		primeshare_desc_free(desc);
	}
	tap_ok(primeshare_desc_has_keyed_mutex(NULL) == 0,
	       "a NULL description has no mutex");

	TAP_EXPECT(primeshare_keyed_mutex_acquire(ctx, h, 0, 0, &fence), 0,
		   "acquire key 0 of a new mutex");
	tap_ok(fence == -1, "with no fence (%d)", fence);
	tap_ok(fake.last_km_acquire.flags == PRIMESHARE_KM_ACQUIRE_CLOEXEC &&
	       fake.last_km_acquire.timeout_ns == 0 &&
	       fake.last_km_acquire.key == 0,
	       "the acquire asks for a close-on-exec fence and no wait");
	TAP_EXPECT(primeshare_keyed_mutex_acquire(ctx, plain, 0, 0, NULL),
		   -EINVAL, "acquire of a handle without a mutex");
	TAP_EXPECT(primeshare_keyed_mutex_release(ctx, h, 1, -7), -EBADF,
		   "release with fence -7");
	ev = eventfd(0, EFD_CLOEXEC);
	TAP_EXPECT(primeshare_keyed_mutex_release(ctx, h, 1, ev), 0,
		   "release with key 1 and an unsignalled fence");
	tap_ok(fake.last_km_release.fence_fd == ev &&
	       fake.last_km_release.key == 1,
	       "the release passes the key and the fence");
	TAP_EXPECT(primeshare_keyed_mutex_release(ctx, h, 1, -1), -EPERM,
		   "release of a mutex not held");

	fence = -2;
	TAP_EXPECT(primeshare_keyed_mutex_acquire(ctx, h, 1,
						  PRIMESHARE_TIMEOUT_INFINITE,
						  &fence), 0,
		   "acquire key 1, for ever");
	tap_ok(fake.last_km_acquire.timeout_ns == PRIMESHARE_KM_INFINITE,
	       "an infinite timeout reaches the module as one");
	tap_ok(fence >= 0 && cloexec(fence),
	       "the caller gets the fence, close-on-exec (%d)", fence);
	if (fence >= 0)
		close(fence);
	primeshare_keyed_mutex_release(ctx, h, 1, ev);

	/* No fence pointer: the library waits for the fence itself. */
	t = tu_now_ns();
	ret = primeshare_keyed_mutex_acquire(ctx, h, 1, 50000000, NULL);
	t = tu_now_ns() - t;
	TAP_EXPECT(ret, -ETIMEDOUT,
		   "an acquire that waits for an unsignalled fence times out");
	tap_ok(t >= 50000000, "no earlier than the timeout (%.1f ms)",
	       t / 1e6);
	fh = fake_find(h);
	tap_ok(fh && !fh->km_held && fh->km_key == 1 && fh->km_fence >= 0,
	       "and the mutex is back as it was: free, key 1, the fence kept");
	tap_ok(fake.last_km_release.key == 1 &&
	       fake.last_km_release.fence_fd >= 0,
	       "given back by a release with the same key and the fence");

	if (write(ev, &(uint64_t){ 1 }, 8) != 8)
		tap_diag("cannot signal the eventfd");
	TAP_EXPECT(primeshare_keyed_mutex_acquire(ctx, h, 1, 50000000, NULL),
		   0, "once the fence signals, the same acquire succeeds");
	fake.eintr_once = true;
	TAP_EXPECT(primeshare_keyed_mutex_release(ctx, h, 0, -1), 0,
		   "a release interrupted by a signal is made again");
	fake.eintr_once = true;
	TAP_EXPECT(primeshare_keyed_mutex_acquire(ctx, h, 0, 0, NULL), 0,
		   "so is an acquire");
	primeshare_keyed_mutex_release(ctx, h, 0, -1);
	close(ev);

	TAP_EXPECT(primeshare_keyed_mutex_acquire(NULL, h, 0, 0, NULL),
		   -EINVAL, "acquire with a NULL context");
	TAP_EXPECT(primeshare_keyed_mutex_release(NULL, h, 0, -1), -EINVAL,
		   "release with a NULL context");
	fake.info.features &= ~PRIMESHARE_FEATURE_KEYED_MUTEX;
	{
		struct primeshare *old = NULL;

		if (!primeshare_open_path(&old, fake_device_path)) {
			buf = fake_dmabuf(4096, 6);
			TAP_EXPECT(primeshare_export2(old, buf,
						      PRIMESHARE_LIFETIME_OWNED,
						      0,
						      PRIMESHARE_EXPORT_FLAG_KEYED_MUTEX,
						      NULL, 0, &plain),
				   -EOPNOTSUPP,
				   "a module without keyed mutexes: export2");
			TAP_EXPECT(primeshare_keyed_mutex_acquire(old, h, 0, 0,
								  NULL),
				   -EOPNOTSUPP, "acquire");
			TAP_EXPECT(primeshare_keyed_mutex_release(old, h, 0,
								  -1),
				   -EOPNOTSUPP, "release");
			close(buf);
			primeshare_close(old);
		}
	}
	fake.info.features |= PRIMESHARE_FEATURE_KEYED_MUTEX;
	primeshare_revoke(ctx, h);
	primeshare_revoke(ctx, plain);
}

static void test_iter(struct primeshare *ctx)
{
	struct primeshare_iter *it = NULL;
	unsigned int i, n = 600, seen = 0, in_order = 1;
	uint64_t h;
	int buf = fake_dmabuf(4096, 0), ret;

	fake_reset();
	for (i = 0; i < n; i++)
		primeshare_export(ctx, buf, PRIMESHARE_LIFETIME_OWNED, 0, NULL,
				  0, &h);
	close(buf);
	/* A few ended handles are skipped. */
	fake.handles[0].dead = true;
	fake.handles[256].dead = true;
	fake.handles[599].dead = true;

	TAP_EXPECT(primeshare_iter_new(ctx, &it), 0, "iter_new");
	if (!it)
		return;
	tap_ok(fake.calls[NR(LIST)] == 0, "... asks nothing yet");
	for (i = 1; i < n; i++) {
		if (fake.handles[i].dead)
			continue;
		errno = TAP_ERRNO_SENTINEL;
		ret = primeshare_iter_next(it, &h);
		if (ret != 1 || h != fake.handles[i].handle ||
		    errno != TAP_ERRNO_SENTINEL) {
			in_order = 0;
			break;
		}
		seen++;
	}
	tap_ok(in_order && seen == n - 3,
	       "iter_next gives every live handle once, in order (%u)",
	       seen);
	TAP_EXPECT(primeshare_iter_next(it, &h), 0, "... then 0");
	TAP_EXPECT(primeshare_iter_next(it, &h), 0, "... and 0 again");
	tap_ok(fake.last_list.count == 256 && fake.last_list.flags == 0,
	       "LIST is asked for batches of 256");
	tap_ok(fake.calls[NR(LIST)] == 4,
	       "600 handles take 3 batches and one empty answer (%u calls)",
	       fake.calls[NR(LIST)]);
	primeshare_iter_free(it);

	/* The error path: a LIST failure is reported, the next call resumes. */
	it = NULL;
	primeshare_iter_new(ctx, &it);
	seen = 0;
	for (i = 0; i < 256; i++)
		seen += primeshare_iter_next(it, &h) == 1;
	fake.fail_nr = NR(LIST);
	fake.fail_errno = ENOMEM;
	TAP_EXPECT(primeshare_iter_next(it, &h), -ENOMEM,
		   "iter_next passes a LIST failure on at a batch boundary");
	while (primeshare_iter_next(it, &h) == 1)
		seen++;
	tap_ok(seen == n - 3, "... and resumes with nothing lost (%u)",
	       seen);
	primeshare_iter_free(it);
	fake_reset();
}

static void test_drm(struct primeshare *ctx)
{
	int drm = open(fake_drm_path, O_RDWR | O_CLOEXEC);
	int drm2 = open(fake_drm_path, O_RDWR | O_CLOEXEC);
	int buf = fake_dmabuf(4096, 9), before;
	uint32_t gem, gem_a = 0, gem_b = 0, gem_c = 0;
	uint64_t h = 0, hr = 0, size = 0;
	struct fake_handle *fh;

	gem = fake_drm_add(drm, buf);
	before = own_fds();
	TAP_EXPECT(primeshare_drm_export(ctx, drm, gem,
					 PRIMESHARE_LIFETIME_OWNED, 0, "m", 1,
					 &h), 0, "drm_export");
	tap_ok(fake.last_handle_to_fd_flags == (DRM_CLOEXEC | DRM_RDWR),
	       "... asks PRIME for a close-on-exec read-write dma-buf");
	tap_ok(h && fake.last_export.metadata_size == 1 &&
	       own_fds() == before,
	       "... exports it and closes the dma-buf fd");
	TAP_EXPECT(primeshare_drm_export(ctx, drm, gem + 100,
					 PRIMESHARE_LIFETIME_OWNED, 0, NULL, 0,
					 &h), -ENOENT,
		   "drm_export of an unknown GEM handle: PRIME's ENOENT");

	primeshare_export(ctx, buf, PRIMESHARE_LIFETIME_REFCOUNTED, 0, NULL,
			  0, &hr);
	fh = fake_find(hr);
	TAP_EXPECT(primeshare_drm_import(ctx, drm2, hr,
					 PRIMESHARE_IMPORT_FLAG_HOLD, &gem_a,
					 &size), 0, "drm_import");
	tap_ok(gem_a && size == 4096 && own_fds() == before &&
	       fake.last_import.flags ==
			(PRIMESHARE_IMPORT_CLOEXEC | PRIMESHARE_IMPORT_HOLD),
	       "... gives a GEM handle and the size, closes the dma-buf fd");
	TAP_EXPECT(primeshare_drm_import(ctx, drm2, hr, 0, &gem_b, NULL), 0,
		   "drm_import of the same buffer again");
	TAP_EXPECT(primeshare_drm_import(ctx, drm, hr, 0, &gem_c, NULL), 0,
		   "drm_import into another DRM fd");
	tap_ok(gem_a == gem_b && gem_c == gem,
	       "one buffer has one GEM handle per DRM fd");
	TAP_EXPECT(primeshare_drm_close(ctx, drm2, gem_a), 0,
		   "drm_close of the first import");
	tap_ok(fake.gem_closes == 0 && fake_drm_live(drm2) == 1,
	       "... keeps the GEM handle the second import uses");
	TAP_EXPECT(primeshare_drm_close(ctx, drm2, gem_b), 0,
		   "drm_close of the second import");
	tap_ok(fake.gem_closes == 1 && fake_drm_live(drm2) == 0,
	       "... closes the GEM handle");
	TAP_EXPECT(primeshare_drm_close(ctx, drm2, gem_b), -ENOENT,
		   "a third drm_close: ENOENT");

	/* A PRIME failure gives back the hold the import took. */
	fake.drm_fail_fd_to_handle = true;
	before = own_fds();
	TAP_EXPECT(primeshare_drm_import(ctx, drm2, hr,
					 PRIMESHARE_IMPORT_FLAG_HOLD, &gem_b,
					 NULL), -ENOMEM,
		   "drm_import when PRIME fails: its ENOMEM");
	tap_ok(fh && fh->holders == 2 && own_fds() == before,
	       "... drops the hold it took and closes the dma-buf fd");
	fake.drm_fail_fd_to_handle = false;

	/* Closing the context leaves the caller's GEM handles alone. */
	TAP_EXPECT(primeshare_drm_import(ctx, drm2, hr, 0, &gem_b, NULL), 0,
		   "drm_import once more");
	primeshare_close(ctx);
	tap_ok(fake.gem_closes == 1 && fake_drm_live(drm2) == 1,
	       "primeshare_close closes no GEM handle");
	close(buf);
	close(drm);
	close(drm2);
}

int main(void)
{
	struct primeshare *ctx = NULL;
	int start;

	if (fake_setup()) {
		printf("Bail out! cannot make the fake device\n");
		return 1;
	}
	start = tu_fd_count();
	test_open();
	if (primeshare_open_path(&ctx, fake_device_path)) {
		printf("Bail out! cannot open the fake device\n");
		return 1;
	}
	test_handles(ctx);
	test_query(ctx);
	test_keyed_mutex(ctx);
	test_iter(ctx);
	test_drm(ctx);	/* closes ctx */
	tap_ok(own_fds() == start,
	       "no fd is left open at the end");
	fake_teardown();
	return tap_done();
}
