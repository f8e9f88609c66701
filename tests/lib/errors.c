/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * The error convention of libprimeshare: every function given NULL or
 * invalid arguments returns the documented negative errno and leaves errno
 * as it was; failed opens leak no fd.  Calls that need a session use the
 * fake module of fake_ps.h; nothing here needs primeshare.ko.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "primeshare.h"
#include "fake_ps.h"
#include "tap.h"
#include "util.h"

static void check_open_fails(const char *path, int want, const char *what)
{
	struct primeshare *ctx = (struct primeshare *)&ctx;
	int before = tu_fd_count();

	TAP_EXPECT(primeshare_open_path(&ctx, path), want,
		   "open_path of %s fails with %s", what, strerror(-want));
	tap_ok(!ctx, "... and sets the context to NULL");
	tap_ok(tu_fd_count() == before, "... and leaks no fd");
}

static void check_open_env_fails(const char *value, int want,
				 const char *what)
{
	struct primeshare *ctx = NULL;
	int before = tu_fd_count();

	if (value)
		setenv("PRIMESHARE_DEVICE", value, 1);
	else
		unsetenv("PRIMESHARE_DEVICE");
	TAP_EXPECT(primeshare_open(&ctx), want, "open with %s fails with %s",
		   what, strerror(-want));
	tap_ok(!ctx && tu_fd_count() == before,
	       "... without a context or a leaked fd");
	unsetenv("PRIMESHARE_DEVICE");
}

static void test_contexts(void)
{
	struct primeshare *ctx = NULL;
	unsigned int major = 77, minor = 77;
	char dir[] = "/tmp/primeshare-errors-XXXXXX";
	char path[64];
	struct stat st;
	int fd;

	TAP_EXPECT(primeshare_open(NULL), -EINVAL, "open(NULL)");
	TAP_EXPECT(primeshare_open_path(NULL, fake_device_path), -EINVAL,
		   "open_path(NULL, path)");
	ctx = (struct primeshare *)&ctx;
	TAP_EXPECT(primeshare_open_path(&ctx, NULL), -EINVAL,
		   "open_path(&ctx, NULL)");
	tap_ok(!ctx, "... sets the context to NULL");

	check_open_fails("/nonexistent/primeshare", -ENOENT, "a missing path");
	check_open_fails("", -ENOENT, "the empty path");
	check_open_fails("/dev/null", -ENOTTY, "/dev/null");
	fd = memfd_create("not-primeshare", MFD_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	check_open_fails(path, -ENOTTY, "a regular file");
	close(fd);
	if (mkdtemp(dir)) {
		check_open_fails(dir, -EISDIR, "a directory");
		rmdir(dir);
	} else {
		tap_skip("mkdtemp failed", "open_path of a directory");
	}

	fake.info.version_major = PRIMESHARE_UAPI_VERSION_MAJOR + 1;
	check_open_fails(fake_device_path, -EPROTONOSUPPORT,
			 "a module of another uAPI major version");
	fake.info.version_major = 0;
	check_open_fails(fake_device_path, -EPROTONOSUPPORT,
			 "a module of uAPI major version 0");
	fake_reset();
	fake.fail_nr = _IOC_NR(PRIMESHARE_IOCTL_INFO);
	fake.fail_errno = EIO;
	check_open_fails(fake_device_path, -EIO,
			 "a module whose INFO fails with EIO");
	fake_reset();

	check_open_env_fails("/nonexistent/primeshare", -ENOENT,
			     "PRIMESHARE_DEVICE naming a missing file");
	check_open_env_fails("/dev/null", -ENOTTY,
			     "PRIMESHARE_DEVICE=/dev/null");
	if (stat(PRIMESHARE_DEFAULT_DEVICE, &st) && errno == ENOENT) {
		check_open_env_fails(NULL, -ENOENT,
				     "no " PRIMESHARE_DEFAULT_DEVICE);
		check_open_env_fails("", -ENOENT,
				     "an empty PRIMESHARE_DEVICE (the default)");
	} else {
		tap_skip(PRIMESHARE_DEFAULT_DEVICE " exists",
			 "open with the default device missing");
		tap_skip(PRIMESHARE_DEFAULT_DEVICE " exists",
			 "open with an empty PRIMESHARE_DEVICE");
	}

	errno = TAP_ERRNO_SENTINEL;
	primeshare_close(NULL);
	tap_ok(errno == TAP_ERRNO_SENTINEL, "close(NULL) does nothing");
	TAP_EXPECT(primeshare_fd(NULL), -EINVAL, "fd(NULL)");
	TAP_EXPECT(primeshare_uapi_version(NULL, &major, &minor), -EINVAL,
		   "uapi_version(NULL, ...)");
	tap_ok(major == 77 && minor == 77, "... writes nothing");
	TAP_EXPECT(primeshare_features(NULL), 0, "features(NULL) is 0");
	TAP_EXPECT(primeshare_limit(NULL, PRIMESHARE_LIMIT_HANDLES), -EINVAL,
		   "limit(NULL, ...)");
	tap_ok(primeshare_library_version() &&
	       !strcmp(primeshare_library_version(), PACKAGE_VERSION),
	       "library_version is " PACKAGE_VERSION);
}

/* Calls of primeshare_export() that must fail before reaching the module. */
static const struct bad_export {
	bool no_ctx, bad_fd, no_out, meta;
	bool wide;	/* needs a size_t above 32 bits */
	enum primeshare_lifetime lifetime;
	unsigned int mode;
	size_t msize;
	int want;
	const char *what;
} bad_exports[] = {
	{ .no_ctx = true, .want = -EINVAL, .what = "a NULL context" },
	{ .no_out = true, .want = -EINVAL, .what = "a NULL handle pointer" },
	{ .lifetime = (enum primeshare_lifetime)3, .want = -EINVAL,
	  .what = "an unknown lifetime" },
	{ .lifetime = (enum primeshare_lifetime)-1, .want = -EINVAL,
	  .what = "a negative lifetime" },
	{ .mode = 0666, .want = -EINVAL, .what = "write bits in the mode" },
	{ .mode = 01444, .want = -EINVAL, .what = "a sticky bit in the mode" },
	{ .msize = 8, .want = -EINVAL, .what = "NULL metadata of size 8" },
	{ .meta = true, .wide = true, .msize = (size_t)UINT64_C(0x100000000),
	  .want = -E2BIG, .what = "metadata larger than 4 GiB" },
	{ .bad_fd = true, .want = -EBADF, .what = "fd -1" },
};

/* Calls of primeshare_import() that must fail with EINVAL in the library. */
static const struct bad_import {
	bool no_ctx, meta, size;
	unsigned int flags;
	const char *what;
} bad_imports[] = {
	{ .no_ctx = true, .what = "a NULL context" },
	{ .flags = 4, .what = "an unknown flag" },
	{ .flags = ~0U, .what = "every flag bit" },
	{ .meta = true, .what = "a metadata buffer but no size" },
	{ .size = true, .what = "a NULL metadata buffer of size 8" },
};

static void test_session(void)
{
	struct primeshare *ctx = NULL, *bare = NULL;
	struct primeshare_desc *desc;
	struct primeshare_iter *it;
	unsigned char meta[8] = { 0 };
	uint64_t h = 0, size = 0;
	uint32_t gem = 0;
	size_t msize;
	int dmabuf, before;

	TAP_EXPECT(primeshare_open_path(&ctx, fake_device_path), 0,
		   "open_path of the fake module works");
	if (!ctx)
		return;
	TAP_EXPECT(primeshare_uapi_version(ctx, NULL, NULL), 0,
		   "uapi_version takes NULL for both outputs");
	TAP_EXPECT(primeshare_limit(ctx, (enum primeshare_limit_id)99),
		   -EINVAL, "limit of an unknown id");
	TAP_EXPECT(primeshare_limit(ctx, (enum primeshare_limit_id)-1),
		   -EINVAL, "limit of a negative id");

	dmabuf = fake_dmabuf(4096, 1);

	/* export: arguments the library refuses itself */
	for (size_t i = 0; i < TU_ARRAY_SIZE(bad_exports); i++) {
		const struct bad_export *e = &bad_exports[i];

		if (e->wide && SIZE_MAX <= UINT32_MAX) {
			tap_skip("size_t has 32 bits", "export with %s",
				 e->what);
			continue;
		}
		TAP_EXPECT(primeshare_export(e->no_ctx ? NULL : ctx,
					     e->bad_fd ? -1 : dmabuf,
					     e->lifetime, e->mode,
					     e->meta ? meta : NULL, e->msize,
					     e->no_out ? NULL : &h),
			   e->want, "export with %s", e->what);
	}
	TAP_EXPECT(fake.calls[_IOC_NR(PRIMESHARE_IOCTL_EXPORT)], 0,
		   "none of these reached the module");
	TAP_EXPECT(primeshare_export(ctx, 999, PRIMESHARE_LIFETIME_OWNED,
				     0, NULL, 0, &h), -EBADF,
		   "export of a closed fd: the module's EBADF");
	TAP_EXPECT(primeshare_export(ctx, dmabuf, PRIMESHARE_LIFETIME_OWNED,
				     0, meta, 5000, &h), -E2BIG,
		   "export above the metadata limit: the module's E2BIG");
	fake.fail_nr = _IOC_NR(PRIMESHARE_IOCTL_EXPORT);
	fake.fail_errno = ENOSPC;
	TAP_EXPECT(primeshare_export(ctx, dmabuf, PRIMESHARE_LIFETIME_OWNED,
				     0, NULL, 0, &h), -ENOSPC,
		   "export at a handle limit: the module's ENOSPC");
	tap_ok(h == 0, "failed exports write no handle");
	TAP_EXPECT(primeshare_export(ctx, dmabuf, PRIMESHARE_LIFETIME_OWNED,
				     0, meta, 0, &h), 0,
		   "export with metadata of size 0 ignores the pointer");

	/* import: arguments the library refuses itself */
	for (size_t i = 0; i < TU_ARRAY_SIZE(bad_imports); i++) {
		const struct bad_import *e = &bad_imports[i];

		msize = sizeof(meta);
		TAP_EXPECT(primeshare_import(e->no_ctx ? NULL : ctx, h,
					     e->flags, e->meta ? meta : NULL,
					     e->size ? &msize : NULL, NULL),
			   -EINVAL, "import with %s", e->what);
	}
	tap_ok(msize == sizeof(meta), "... leaves the size alone");
	TAP_EXPECT(fake.calls[_IOC_NR(PRIMESHARE_IOCTL_IMPORT)], 0,
		   "none of these reached the module");
	before = tu_fd_count();
	TAP_EXPECT(primeshare_import(ctx, h + 1, 0, NULL, NULL, &size),
		   -ENOENT, "import of an unknown handle: ENOENT");
	TAP_EXPECT(primeshare_import(ctx, 0, 0, NULL, NULL, &size),
		   -ENOENT, "import of handle 0: ENOENT");
	TAP_EXPECT(primeshare_import(ctx, h, PRIMESHARE_IMPORT_FLAG_HOLD,
				     NULL, NULL, &size), -EINVAL,
		   "import with HOLD of an owned handle: EINVAL");
	tap_ok(size == 0 && tu_fd_count() == before,
	       "failed imports write no size and leak no fd");

	/* release, revoke */
	TAP_EXPECT(primeshare_release(NULL, h), -EINVAL,
		   "release with a NULL context");
	TAP_EXPECT(primeshare_revoke(NULL, h), -EINVAL,
		   "revoke with a NULL context");
	TAP_EXPECT(primeshare_release(ctx, h + 1), -ENOENT,
		   "release of an unknown handle: ENOENT");
	TAP_EXPECT(primeshare_revoke(ctx, h + 1), -ENOENT,
		   "revoke of an unknown handle: ENOENT");

	/* query */
	desc = (struct primeshare_desc *)&desc;
	TAP_EXPECT(primeshare_query(NULL, h, &desc), -EINVAL,
		   "query with a NULL context");
	tap_ok(desc == NULL, "... sets the description to NULL");
	TAP_EXPECT(primeshare_query(ctx, h, NULL), -EINVAL,
		   "query with a NULL description pointer");
	desc = (struct primeshare_desc *)&desc;
	TAP_EXPECT(primeshare_query(ctx, h + 1, &desc), -ENOENT,
		   "query of an unknown handle: ENOENT");
	tap_ok(desc == NULL, "... sets the description to NULL");
	errno = TAP_ERRNO_SENTINEL;
	primeshare_desc_free(NULL);
	tap_ok(errno == TAP_ERRNO_SENTINEL, "desc_free(NULL) does nothing");
	tap_ok(primeshare_desc_handle(NULL) == 0 &&
	       primeshare_desc_size(NULL) == 0 &&
	       primeshare_desc_mode(NULL) == 0 &&
	       primeshare_desc_uid(NULL) == (uid_t)-1 &&
	       primeshare_desc_gid(NULL) == (gid_t)-1 &&
	       primeshare_desc_lifetime(NULL) ==
			PRIMESHARE_LIFETIME_OWNED &&
	       primeshare_desc_metadata_size(NULL) == 0 &&
	       primeshare_desc_imports(NULL) == 0 &&
	       primeshare_desc_holders(NULL) == 0 &&
	       primeshare_desc_exporter_pid(NULL) == 0 &&
	       !strcmp(primeshare_desc_exporter_comm(NULL), "") &&
	       primeshare_desc_age_ns(NULL) == 0,
	       "the accessors read a NULL description as zeros");

	/* iterators */
	it = (struct primeshare_iter *)&it;
	TAP_EXPECT(primeshare_iter_new(NULL, &it), -EINVAL,
		   "iter_new with a NULL context");
	tap_ok(it == NULL, "... sets the iterator to NULL");
	TAP_EXPECT(primeshare_iter_new(ctx, NULL), -EINVAL,
		   "iter_new with a NULL iterator pointer");
	TAP_EXPECT(primeshare_iter_next(NULL, &h), -EINVAL,
		   "iter_next with a NULL iterator");
	errno = TAP_ERRNO_SENTINEL;
	primeshare_iter_free(NULL);
	tap_ok(errno == TAP_ERRNO_SENTINEL, "iter_free(NULL) does nothing");
	if (primeshare_iter_new(ctx, &it) == 0) {
		TAP_EXPECT(primeshare_iter_next(it, NULL), -EINVAL,
			   "iter_next with a NULL handle pointer");
		fake.fail_nr = _IOC_NR(PRIMESHARE_IOCTL_LIST);
		fake.fail_errno = EFAULT;
		TAP_EXPECT(primeshare_iter_next(it, &size), -EFAULT,
			   "iter_next passes the module's error on");
		TAP_EXPECT(primeshare_iter_next(it, &size), 1,
			   "... and the next call goes on");
		TAP_EXPECT(primeshare_iter_next(it, &size), 0,
			   "... to the end");
		primeshare_iter_free(it);
	}

	/* A module without the optional features. */
	fake.info.features = PRIMESHARE_FEATURE_EXPORT;
	TAP_EXPECT(primeshare_open_path(&bare, fake_device_path), 0,
		   "open a module with only PRIMESHARE_FEATURE_EXPORT");
	if (bare) {
		TAP_EXPECT(primeshare_export(bare, dmabuf,
					     PRIMESHARE_LIFETIME_REFCOUNTED,
					     0, NULL, 0, &h), -EOPNOTSUPP,
			   "... refcounted export: EOPNOTSUPP");
		TAP_EXPECT(primeshare_export(bare, dmabuf,
					     PRIMESHARE_LIFETIME_ONESHOT,
					     0, NULL, 0, &h), -EOPNOTSUPP,
			   "... oneshot export: EOPNOTSUPP");
		TAP_EXPECT(primeshare_export(bare, dmabuf,
					     PRIMESHARE_LIFETIME_OWNED,
					     0, meta, 1, &h), -EOPNOTSUPP,
			   "... export with metadata: EOPNOTSUPP");
		TAP_EXPECT(primeshare_revoke(bare, h), -EOPNOTSUPP,
			   "... revoke: EOPNOTSUPP");
		it = (struct primeshare_iter *)&it;
		TAP_EXPECT(primeshare_iter_new(bare, &it), -EOPNOTSUPP,
			   "... iter_new: EOPNOTSUPP");
		tap_ok(it == NULL, "... sets the iterator to NULL");
		primeshare_close(bare);
	}

	/* DRM helpers */
	TAP_EXPECT(primeshare_drm_open(NULL, 0), -EINVAL,
		   "drm_open(NULL, 0)");
	TAP_EXPECT(primeshare_drm_open("vgem", O_WRONLY), -EINVAL,
		   "drm_open with an access mode in the flags");
	TAP_EXPECT(primeshare_drm_open("vgem", O_CREAT), -EINVAL,
		   "drm_open with O_CREAT");
	before = tu_fd_count();
	if (access("/dev/dri", F_OK)) {
		TAP_EXPECT(primeshare_drm_open("no-such-driver", 0), -ENODEV,
			   "drm_open of a missing driver without /dev/dri");
	} else {
		int r;

		errno = TAP_ERRNO_SENTINEL;
		r = primeshare_drm_open("no-such-driver", O_NONBLOCK);
		tap_ok((r == -ENODEV || r == -EACCES || r == -EPERM) &&
		       errno == TAP_ERRNO_SENTINEL,
		       "drm_open of a missing driver: ENODEV (got %d)", r);
	}
	tap_ok(tu_fd_count() == before, "... leaks no fd");

	TAP_EXPECT(primeshare_drm_export(NULL, 0, 1, PRIMESHARE_LIFETIME_OWNED,
					 0, NULL, 0, &h), -EINVAL,
		   "drm_export with a NULL context");
	TAP_EXPECT(primeshare_drm_export(ctx, 0, 1, PRIMESHARE_LIFETIME_OWNED,
					 0, NULL, 0, NULL), -EINVAL,
		   "drm_export with a NULL handle pointer");
	TAP_EXPECT(primeshare_drm_export(ctx, 0, 1, PRIMESHARE_LIFETIME_OWNED,
					 0777, NULL, 0, &h), -EINVAL,
		   "drm_export with a bad mode");
	TAP_EXPECT(primeshare_drm_export(ctx, 0, 1,
					 (enum primeshare_lifetime)9, 0, NULL,
					 0, &h), -EINVAL,
		   "drm_export with a bad lifetime");
	TAP_EXPECT(primeshare_drm_export(ctx, -1, 1,
					 PRIMESHARE_LIFETIME_OWNED, 0, NULL,
					 0, &h), -EBADF,
		   "drm_export with DRM fd -1");
	TAP_EXPECT(primeshare_drm_export(ctx, dmabuf, 1,
					 PRIMESHARE_LIFETIME_OWNED, 0, NULL,
					 0, &h), -ENOTTY,
		   "drm_export with a DRM fd that is not DRM: ENOTTY");

	TAP_EXPECT(primeshare_drm_import(NULL, 0, h, 0, &gem,
					 NULL), -EINVAL,
		   "drm_import with a NULL context");
	TAP_EXPECT(primeshare_drm_import(ctx, 0, h, 0, NULL, NULL), -EINVAL,
		   "drm_import with a NULL GEM handle pointer");
	TAP_EXPECT(primeshare_drm_import(ctx, 0, h, 8, &gem,
					 NULL), -EINVAL,
		   "drm_import with an unknown flag");
	TAP_EXPECT(primeshare_drm_import(ctx, -1, h, 0, &gem,
					 NULL), -EBADF,
		   "drm_import with DRM fd -1");
	TAP_EXPECT(primeshare_drm_import(ctx, 0, h + 1, 0,
					 &gem, NULL), -ENOENT,
		   "drm_import of an unknown handle: ENOENT");

	TAP_EXPECT(primeshare_drm_close(NULL, 0, 1), -EINVAL,
		   "drm_close with a NULL context");
	TAP_EXPECT(primeshare_drm_close(ctx, -1, 1), -EBADF,
		   "drm_close with DRM fd -1");
	TAP_EXPECT(primeshare_drm_close(ctx, 0, 1), -ENOENT,
		   "drm_close of a pair never imported: ENOENT");

	close(dmabuf);
	primeshare_close(ctx);
}

static void test_transport(void)
{
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	unsigned char buf[4];
	size_t size = sizeof(buf);
	pid_t pid = 0;

	TAP_EXPECT(primeshare_send_fd(-1, devnull, NULL, 0), -EBADF,
		   "send_fd on socket -1");
	TAP_EXPECT(primeshare_send_fd(devnull, -1, NULL, 0), -EBADF,
		   "send_fd of fd -1");
	TAP_EXPECT(primeshare_send_fd(devnull, devnull, NULL, 3), -EINVAL,
		   "send_fd with a NULL payload of size 3");
	TAP_EXPECT(primeshare_send_fd(devnull, devnull, buf, 3), -ENOTSOCK,
		   "send_fd on /dev/null: ENOTSOCK");
	TAP_EXPECT(primeshare_recv_fd(-1, buf, &size), -EBADF,
		   "recv_fd on socket -1");
	TAP_EXPECT(primeshare_recv_fd(devnull, buf, NULL), -EINVAL,
		   "recv_fd with a buffer but no size");
	TAP_EXPECT(primeshare_recv_fd(devnull, NULL, &size), -EINVAL,
		   "recv_fd with a NULL buffer of size 4");
	TAP_EXPECT(primeshare_recv_fd(devnull, buf, &size), -ENOTSOCK,
		   "recv_fd on /dev/null: ENOTSOCK");
	tap_ok(size == sizeof(buf), "... leaves the size alone");
	TAP_EXPECT(primeshare_peer_cred(-1, &pid, NULL, NULL), -EBADF,
		   "peer_cred on socket -1");
	TAP_EXPECT(primeshare_peer_cred(devnull, &pid, NULL, NULL), -ENOTSOCK,
		   "peer_cred on /dev/null: ENOTSOCK");
	tap_ok(pid == 0, "... writes nothing");
	close(devnull);
}

int main(void)
{
	int before;

	if (fake_setup()) {
		printf("Bail out! cannot make the fake device\n");
		return 1;
	}
	before = tu_fd_count();
	test_contexts();
	test_session();
	test_transport();
	fake_teardown();
	tap_ok(tu_fd_count() == before - 2,
	       "no fd is left open at the end");
	return tap_done();
}
