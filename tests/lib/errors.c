/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * The error convention of libprimeshare: every function given NULL or
 * invalid arguments returns the documented negative errno and leaves errno
 * as it was; failed opens leak no fd.  Calls that need a session use the
 * fake module of fake_ps.h; nothing here needs primeshare.ko.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "primeshare.h"
#include "fake_ps.h"
#include "tap.h"

static void check_open_fails(const char *path, int want, const char *what)
{
	struct primeshare *ctx = (struct primeshare *)&ctx;
	int before = tap_count_fds();

	TAP_EXPECT(primeshare_open_path(&ctx, path), want,
		   "open_path of %s fails with %s", what, strerror(-want));
	tap_check(!ctx, "... and sets the context to NULL");
	tap_check(tap_count_fds() == before, "... and leaks no fd");
}

static void check_open_env_fails(const char *value, int want,
				 const char *what)
{
	struct primeshare *ctx = NULL;
	int before = tap_count_fds();

	if (value)
		setenv("PRIMESHARE_DEVICE", value, 1);
	else
		unsetenv("PRIMESHARE_DEVICE");
	TAP_EXPECT(primeshare_open(&ctx), want, "open with %s fails with %s",
		   what, strerror(-want));
	tap_check(!ctx && tap_count_fds() == before,
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
	tap_check(!ctx, "... sets the context to NULL");

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
	tap_check(errno == TAP_ERRNO_SENTINEL, "close(NULL) does nothing");
	TAP_EXPECT(primeshare_fd(NULL), -EINVAL, "fd(NULL)");
	TAP_EXPECT(primeshare_uapi_version(NULL, &major, &minor), -EINVAL,
		   "uapi_version(NULL, ...)");
	tap_check(major == 77 && minor == 77, "... writes nothing");
	TAP_EXPECT(primeshare_features(NULL), 0, "features(NULL) is 0");
	TAP_EXPECT(primeshare_limit(NULL, PRIMESHARE_LIMIT_HANDLES), -EINVAL,
		   "limit(NULL, ...)");
	tap_check(primeshare_library_version() &&
		  !strcmp(primeshare_library_version(), PACKAGE_VERSION),
		  "library_version is " PACKAGE_VERSION);
}

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

	/* export */
	TAP_EXPECT(primeshare_export(NULL, dmabuf, PRIMESHARE_LIFETIME_OWNED,
				     0, NULL, 0, &h), -EINVAL,
		   "export with a NULL context");
	TAP_EXPECT(primeshare_export(ctx, dmabuf, PRIMESHARE_LIFETIME_OWNED,
				     0, NULL, 0, NULL), -EINVAL,
		   "export with a NULL handle pointer");
	TAP_EXPECT(primeshare_export(ctx, dmabuf,
				     (enum primeshare_lifetime)3, 0, NULL, 0,
				     &h), -EINVAL,
		   "export with an unknown lifetime");
	TAP_EXPECT(primeshare_export(ctx, dmabuf,
				     (enum primeshare_lifetime)-1, 0, NULL, 0,
				     &h), -EINVAL,
		   "export with a negative lifetime");
	TAP_EXPECT(primeshare_export(ctx, dmabuf, PRIMESHARE_LIFETIME_OWNED,
				     0666, NULL, 0, &h), -EINVAL,
		   "export with write bits in the mode");
	TAP_EXPECT(primeshare_export(ctx, dmabuf, PRIMESHARE_LIFETIME_OWNED,
				     01444, NULL, 0, &h), -EINVAL,
		   "export with a sticky bit in the mode");
	TAP_EXPECT(primeshare_export(ctx, dmabuf, PRIMESHARE_LIFETIME_OWNED,
				     0, NULL, 8, &h), -EINVAL,
		   "export with NULL metadata of size 8");
	TAP_EXPECT(primeshare_export(ctx, dmabuf, PRIMESHARE_LIFETIME_OWNED,
				     0, meta, (size_t)UINT32_MAX + 1, &h),
		   -E2BIG, "export with metadata larger than 4 GiB");
	TAP_EXPECT(primeshare_export(ctx, -1, PRIMESHARE_LIFETIME_OWNED,
				     0, NULL, 0, &h), -EBADF,
		   "export of fd -1");
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
	tap_check(h == 0, "failed exports write no handle");
	TAP_EXPECT(primeshare_export(ctx, dmabuf, PRIMESHARE_LIFETIME_OWNED,
				     0, meta, 0, &h), 0,
		   "export with metadata of size 0 ignores the pointer");

	/* import */
	msize = sizeof(meta);
	TAP_EXPECT(primeshare_import(NULL, h, 0, NULL, NULL, NULL), -EINVAL,
		   "import with a NULL context");
	TAP_EXPECT(primeshare_import(ctx, h, 4, NULL, NULL, NULL), -EINVAL,
		   "import with an unknown flag");
	TAP_EXPECT(primeshare_import(ctx, h, ~0U, NULL, NULL, NULL), -EINVAL,
		   "import with every flag bit");
	TAP_EXPECT(primeshare_import(ctx, h, 0, meta, NULL, NULL), -EINVAL,
		   "import with a metadata buffer but no size");
	TAP_EXPECT(primeshare_import(ctx, h, 0, NULL, &msize, NULL), -EINVAL,
		   "import with a NULL metadata buffer of size 8");
	tap_check(msize == sizeof(meta), "... leaves the size alone");
	TAP_EXPECT(fake.calls[_IOC_NR(PRIMESHARE_IOCTL_IMPORT)], 0,
		   "none of these reached the module");
	before = tap_count_fds();
	TAP_EXPECT(primeshare_import(ctx, h + 1, 0, NULL, NULL, &size),
		   -ENOENT, "import of an unknown handle: ENOENT");
	TAP_EXPECT(primeshare_import(ctx, 0, 0, NULL, NULL, &size),
		   -ENOENT, "import of handle 0: ENOENT");
	TAP_EXPECT(primeshare_import(ctx, h, PRIMESHARE_IMPORT_FLAG_HOLD,
				     NULL, NULL, &size), -EINVAL,
		   "import with HOLD of an owned handle: EINVAL");
	tap_check(size == 0 && tap_count_fds() == before,
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
	tap_check(desc == NULL, "... sets the description to NULL");
	TAP_EXPECT(primeshare_query(ctx, h, NULL), -EINVAL,
		   "query with a NULL description pointer");
	desc = (struct primeshare_desc *)&desc;
	TAP_EXPECT(primeshare_query(ctx, h + 1, &desc), -ENOENT,
		   "query of an unknown handle: ENOENT");
	tap_check(desc == NULL, "... sets the description to NULL");
	errno = TAP_ERRNO_SENTINEL;
	primeshare_desc_free(NULL);
	tap_check(errno == TAP_ERRNO_SENTINEL, "desc_free(NULL) does nothing");
	tap_check(primeshare_desc_handle(NULL) == 0 &&
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
	tap_check(it == NULL, "... sets the iterator to NULL");
	TAP_EXPECT(primeshare_iter_new(ctx, NULL), -EINVAL,
		   "iter_new with a NULL iterator pointer");
	TAP_EXPECT(primeshare_iter_next(NULL, &h), -EINVAL,
		   "iter_next with a NULL iterator");
	errno = TAP_ERRNO_SENTINEL;
	primeshare_iter_free(NULL);
	tap_check(errno == TAP_ERRNO_SENTINEL, "iter_free(NULL) does nothing");
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
		tap_check(it == NULL, "... sets the iterator to NULL");
		primeshare_close(bare);
	}

	/* DRM helpers */
	TAP_EXPECT(primeshare_drm_open(NULL, 0), -EINVAL,
		   "drm_open(NULL, 0)");
	TAP_EXPECT(primeshare_drm_open("vgem", O_WRONLY), -EINVAL,
		   "drm_open with an access mode in the flags");
	TAP_EXPECT(primeshare_drm_open("vgem", O_CREAT), -EINVAL,
		   "drm_open with O_CREAT");
	before = tap_count_fds();
	if (access("/dev/dri", F_OK)) {
		TAP_EXPECT(primeshare_drm_open("no-such-driver", 0), -ENODEV,
			   "drm_open of a missing driver without /dev/dri");
	} else {
		int r;

		errno = TAP_ERRNO_SENTINEL;
		r = primeshare_drm_open("no-such-driver", O_NONBLOCK);
		tap_check((r == -ENODEV || r == -EACCES || r == -EPERM) &&
			  errno == TAP_ERRNO_SENTINEL,
			  "drm_open of a missing driver: ENODEV (got %d)", r);
	}
	tap_check(tap_count_fds() == before, "... leaks no fd");

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
	tap_check(size == sizeof(buf), "... leaves the size alone");
	TAP_EXPECT(primeshare_peer_cred(-1, &pid, NULL, NULL), -EBADF,
		   "peer_cred on socket -1");
	TAP_EXPECT(primeshare_peer_cred(devnull, &pid, NULL, NULL), -ENOTSOCK,
		   "peer_cred on /dev/null: ENOTSOCK");
	tap_check(pid == 0, "... writes nothing");
	close(devnull);
}

int main(void)
{
	int before;

	if (fake_setup()) {
		printf("Bail out! cannot make the fake device\n");
		return 1;
	}
	before = tap_count_fds();
	test_contexts();
	test_session();
	test_transport();
	fake_teardown();
	tap_check(tap_count_fds() == before - 2,
		  "no fd is left open at the end");
	return tap_done();
}
