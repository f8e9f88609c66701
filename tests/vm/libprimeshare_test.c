// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * libprimeshare against the real module: every call, its error paths, the
 * DRM PRIME helpers on vgem and the fd transport helpers.
 */
#include <signal.h>
#include <sys/socket.h>
#include <time.h>

#include "kselftest_harness.h"
#include "primeshare.h"
#include "ps_test.h"

#define PAGE 4096

/* Writes @byte into the whole of a dma-buf through mmap. */
static int fill(int fd, size_t size, unsigned char byte)
{
	unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
				MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	memset(p, byte, size);
	munmap(p, size);
	return 0;
}

/* 1 when every byte of the dma-buf is @byte, 0 when not, -errno. */
static int holds(int fd, size_t size, unsigned char byte)
{
	unsigned char *p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	size_t i;
	int ok = 1;

	if (p == MAP_FAILED)
		return -errno;
	for (i = 0; i < size; i++)
		if (p[i] != byte)
			ok = 0;
	munmap(p, size);
	return ok;
}

FIXTURE(lib) {
	struct primeshare *ctx;
	int drm;
	int buf;
};

FIXTURE_SETUP(lib)
{
	pst_require_device(_metadata);
	ASSERT_EQ(0, primeshare_open(&self->ctx));
	self->drm = pst_open_drm("vgem");
	ASSERT_LE(0, self->drm);
	self->buf = pst_vgem_dmabuf(self->drm, 4 * PAGE);
	ASSERT_LE(0, self->buf);
}

FIXTURE_TEARDOWN(lib)
{
	close(self->buf);
	close(self->drm);
	primeshare_close(self->ctx);
}

TEST(open_reads_info)
{
	struct primeshare_info info = { 0 };
	struct primeshare *ctx;
	unsigned int major, minor;
	int raw = pst_open();

	pst_require_device(_metadata);
	ASSERT_LE(0, raw);
	ASSERT_EQ(0, pst_ioctl(raw, PRIMESHARE_IOCTL_INFO, &info));
	close(raw);

	ASSERT_EQ(0, primeshare_open(&ctx));
	ASSERT_EQ(0, primeshare_uapi_version(ctx, &major, &minor));
	EXPECT_EQ(info.version_major, major);
	EXPECT_EQ(info.version_minor, minor);
	EXPECT_EQ(info.features, primeshare_features(ctx));
	EXPECT_EQ(info.max_metadata_size,
		  primeshare_limit(ctx, PRIMESHARE_LIMIT_METADATA_SIZE));
	EXPECT_EQ(info.max_handles_per_session,
		  primeshare_limit(ctx, PRIMESHARE_LIMIT_HANDLES_PER_SESSION));
	EXPECT_EQ(info.max_handles_per_user,
		  primeshare_limit(ctx, PRIMESHARE_LIMIT_HANDLES_PER_USER));
	EXPECT_EQ(info.max_handles,
		  primeshare_limit(ctx, PRIMESHARE_LIMIT_HANDLES));
	EXPECT_EQ(-EINVAL, primeshare_limit(ctx, 99));
	/* The session is close-on-exec. */
	EXPECT_EQ(FD_CLOEXEC, fcntl(primeshare_fd(ctx), F_GETFD) & FD_CLOEXEC);
	primeshare_close(ctx);
}

TEST(open_env_and_paths)
{
	struct primeshare *ctx = NULL;
	int fds = pst_count_fds();

	pst_require_device(_metadata);
	setenv("PRIMESHARE_DEVICE", "/dev/null", 1);
	EXPECT_EQ(-ENOTTY, primeshare_open(&ctx));
	setenv("PRIMESHARE_DEVICE", "/nonexistent/primeshare", 1);
	EXPECT_EQ(-ENOENT, primeshare_open(&ctx));
	setenv("PRIMESHARE_DEVICE", PST_DEVICE, 1);
	ASSERT_EQ(0, primeshare_open(&ctx));
	primeshare_close(ctx);
	unsetenv("PRIMESHARE_DEVICE");
	EXPECT_EQ(-ENOTTY, primeshare_open_path(&ctx, "/dev/zero"));
	EXPECT_EQ(fds, pst_count_fds());
}

TEST_F(lib, export_import_round_trip)
{
	static const char md[] = "layout: 64x64 rgba8 linear";
	char out[64];
	size_t out_size = sizeof(out);
	uint64_t handle = 0, size = 0;
	int fd;

	ASSERT_EQ(0, fill(self->buf, 4 * PAGE, 0x5a));
	ASSERT_EQ(0, primeshare_export(self->ctx, self->buf,
				       PRIMESHARE_LIFETIME_OWNED,
				       PRIMESHARE_MODE_OWNER, md, sizeof(md),
				       &handle));
	EXPECT_NE(0, handle);
	fd = primeshare_import(self->ctx, handle,
			       PRIMESHARE_IMPORT_FLAG_CLOEXEC, out, &out_size,
			       &size);
	ASSERT_LE(0, fd);
	EXPECT_EQ(4 * PAGE, size);
	EXPECT_EQ(sizeof(md), out_size);
	EXPECT_EQ(0, memcmp(md, out, sizeof(md)));
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(1, holds(fd, 4 * PAGE, 0x5a));
	close(fd);

	/* No metadata asked for, no size asked for, not close-on-exec. */
	fd = primeshare_import(self->ctx, handle, 0, NULL, NULL, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	EXPECT_EQ(0, primeshare_release(self->ctx, handle));
	EXPECT_EQ(-ENOENT, primeshare_import(self->ctx, handle, 0, NULL, NULL,
					     NULL));
}

TEST_F(lib, metadata_buffer_too_small)
{
	char md[300], out[100], big[300];
	size_t out_size = sizeof(out);
	uint64_t handle;
	int fds, next, fd;

	memset(md, 'm', sizeof(md));
	ASSERT_EQ(0, primeshare_export(self->ctx, self->buf,
				       PRIMESHARE_LIFETIME_ONESHOT,
				       PRIMESHARE_MODE_OWNER, md, sizeof(md),
				       &handle));
	fds = pst_count_fds();
	next = pst_next_fd();
	errno = 12345;
	EXPECT_EQ(-ERANGE, primeshare_import(self->ctx, handle, 0, out,
					     &out_size, NULL));
	EXPECT_EQ(12345, errno);
	EXPECT_EQ(sizeof(md), out_size);
	EXPECT_EQ(fds, pst_count_fds());
	EXPECT_EQ(next, pst_next_fd());
	/* A failed import does not use up a oneshot handle. */
	out_size = sizeof(md);
	fd = primeshare_import(self->ctx, handle, 0, big, &out_size, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, memcmp(md, big, sizeof(md)));
	close(fd);
	EXPECT_EQ(-ENOENT, primeshare_import(self->ctx, handle, 0, NULL, NULL,
					     NULL));
}

TEST_F(lib, export_errors)
{
	size_t big = primeshare_limit(self->ctx,
				      PRIMESHARE_LIMIT_METADATA_SIZE) + 1;
	char md[8], *p = calloc(1, big);
	uint64_t handle;
	int pipefd[2];

	ASSERT_NE(NULL, p);
	errno = 777;
	EXPECT_EQ(-EBADF, primeshare_export(self->ctx, 1000,
					    PRIMESHARE_LIFETIME_OWNED,
					    PRIMESHARE_MODE_OWNER, NULL, 0,
					    &handle));
	EXPECT_EQ(777, errno);
	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_EQ(-EINVAL, primeshare_export(self->ctx, pipefd[0],
					     PRIMESHARE_LIFETIME_OWNED,
					     PRIMESHARE_MODE_OWNER, NULL, 0,
					     &handle));
	close(pipefd[0]);
	close(pipefd[1]);
	EXPECT_EQ(-EINVAL, primeshare_export(self->ctx, primeshare_fd(self->ctx),
					     PRIMESHARE_LIFETIME_OWNED,
					     PRIMESHARE_MODE_OWNER, NULL, 0,
					     &handle));
	EXPECT_EQ(-EINVAL, primeshare_export(self->ctx, self->buf, 7,
					     PRIMESHARE_MODE_OWNER, NULL, 0,
					     &handle));
	EXPECT_EQ(-EINVAL, primeshare_export(self->ctx, self->buf,
					     PRIMESHARE_LIFETIME_OWNED, 0200,
					     NULL, 0, &handle));
	EXPECT_EQ(-EINVAL, primeshare_export(self->ctx, self->buf,
					     PRIMESHARE_LIFETIME_OWNED,
					     PRIMESHARE_MODE_OWNER, NULL, 8,
					     &handle));
	EXPECT_EQ(-EINVAL, primeshare_export(self->ctx, self->buf,
					     PRIMESHARE_LIFETIME_OWNED,
					     PRIMESHARE_MODE_OWNER, md, 8,
					     NULL));
	EXPECT_EQ(-E2BIG, primeshare_export(self->ctx, self->buf,
					    PRIMESHARE_LIFETIME_OWNED,
					    PRIMESHARE_MODE_OWNER, p, big,
					    &handle));
	free(p);
}

TEST_F(lib, export_limit_enospc)
{
	long old = pst_get_param("max_handles_per_session");
	uint64_t h[3];

	ASSERT_LE(0, old);
	ASSERT_EQ(0, pst_set_param("max_handles_per_session", 2));
	EXPECT_EQ(0, primeshare_export(self->ctx, self->buf,
				       PRIMESHARE_LIFETIME_OWNED,
				       PRIMESHARE_MODE_OWNER, NULL, 0, &h[0]));
	EXPECT_EQ(0, primeshare_export(self->ctx, self->buf,
				       PRIMESHARE_LIFETIME_OWNED,
				       PRIMESHARE_MODE_OWNER, NULL, 0, &h[1]));
	EXPECT_EQ(-ENOSPC, primeshare_export(self->ctx, self->buf,
					     PRIMESHARE_LIFETIME_OWNED,
					     PRIMESHARE_MODE_OWNER, NULL, 0,
					     &h[2]));
	EXPECT_EQ(0, pst_set_param("max_handles_per_session", old));
}

TEST_F(lib, import_errors)
{
	uint64_t handle;
	size_t md_size = 0;
	int fd;

	ASSERT_EQ(0, primeshare_export(self->ctx, self->buf,
				       PRIMESHARE_LIFETIME_OWNED,
				       PRIMESHARE_MODE_OWNER, NULL, 0,
				       &handle));
	EXPECT_EQ(-EINVAL, primeshare_import(self->ctx, handle,
					     PRIMESHARE_IMPORT_FLAG_HOLD, NULL,
					     NULL, NULL));
	EXPECT_EQ(-EINVAL, primeshare_import(self->ctx, handle, 1 << 7, NULL,
					     NULL, NULL));
	EXPECT_EQ(-ENOENT, primeshare_import(self->ctx, handle ^ 1, 0, NULL,
					     NULL, NULL));
	/* A zero-length buffer for a handle without metadata is fine. */
	fd = primeshare_import(self->ctx, handle, 0, NULL, &md_size, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, md_size);
	close(fd);
	EXPECT_EQ(-EINVAL, primeshare_import(NULL, handle, 0, NULL, NULL,
					     NULL));
}

TEST_F(lib, import_eacces_for_other_user)
{
	uint64_t handle;
	pid_t pid;

	ASSERT_EQ(0, primeshare_export(self->ctx, self->buf,
				       PRIMESHARE_LIFETIME_OWNED,
				       PRIMESHARE_MODE_OWNER, NULL, 0,
				       &handle));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct primeshare *ctx;
		struct primeshare_desc *d;
		int ret;

		if (pst_become(65534, 65534, 0, NULL) || primeshare_open(&ctx))
			_exit(100);
		ret = primeshare_import(ctx, handle, 0, NULL, NULL, NULL);
		if (ret != -EACCES)
			_exit(101);
		if (primeshare_query(ctx, handle, &d) != -EACCES)
			_exit(102);
		if (primeshare_release(ctx, handle) != -EPERM)
			_exit(103);
		if (primeshare_revoke(ctx, handle) != -EPERM)
			_exit(104);
		_exit(0);
	}
	EXPECT_EQ(0, pst_wait(pid));
	EXPECT_EQ(0, primeshare_release(self->ctx, handle));
}

TEST_F(lib, release_and_revoke)
{
	struct primeshare *other, *third;
	uint64_t handle;
	int fd;

	ASSERT_EQ(0, primeshare_open(&other));
	ASSERT_EQ(0, primeshare_export(self->ctx, self->buf,
				       PRIMESHARE_LIFETIME_REFCOUNTED,
				       PRIMESHARE_MODE_OWNER, NULL, 0,
				       &handle));
	/* Another session holds no hold: EPERM. */
	EXPECT_EQ(-EPERM, primeshare_release(other, handle));
	fd = primeshare_import(other, handle, PRIMESHARE_IMPORT_FLAG_HOLD,
			       NULL, NULL, NULL);
	ASSERT_LE(0, fd);
	close(fd);
	/* The exporter drops its hold; the other session keeps it alive. */
	EXPECT_EQ(0, primeshare_release(self->ctx, handle));
	EXPECT_EQ(-EPERM, primeshare_release(self->ctx, handle));
	fd = primeshare_import(self->ctx, handle, 0, NULL, NULL, NULL);
	ASSERT_LE(0, fd);
	close(fd);
	/* The owner revokes it from a third session, whatever holds it. */
	ASSERT_EQ(0, primeshare_open(&third));
	EXPECT_EQ(0, primeshare_revoke(third, handle));
	EXPECT_EQ(-ENOENT, primeshare_revoke(third, handle));
	primeshare_close(third);
	EXPECT_EQ(-ENOENT, primeshare_import(self->ctx, handle, 0, NULL, NULL,
					     NULL));
	EXPECT_EQ(-ENOENT, primeshare_release(other, handle));
	primeshare_close(other);
	EXPECT_EQ(0, pst_stat("holds"));
	EXPECT_EQ(0, pst_stat("keyed_mutexes"));
}

TEST_F(lib, query_describes)
{
	static const char md[] = "0123456789";
	struct primeshare_desc *d = NULL;
	char comm[16] = "";
	uint64_t handle;
	FILE *f;
	int fd;

	ASSERT_EQ(0, primeshare_export(self->ctx, self->buf,
				       PRIMESHARE_LIFETIME_REFCOUNTED,
				       PRIMESHARE_MODE_OWNER |
				       PRIMESHARE_MODE_GROUP, md, sizeof(md),
				       &handle));
	fd = primeshare_import(self->ctx, handle, PRIMESHARE_IMPORT_FLAG_HOLD,
			       NULL, NULL, NULL);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, primeshare_query(self->ctx, handle, &d));
	EXPECT_EQ(handle, primeshare_desc_handle(d));
	EXPECT_EQ(4 * PAGE, primeshare_desc_size(d));
	EXPECT_EQ(0440, primeshare_desc_mode(d));
	EXPECT_EQ(getuid(), primeshare_desc_uid(d));
	EXPECT_EQ(getgid(), primeshare_desc_gid(d));
	EXPECT_EQ(PRIMESHARE_LIFETIME_REFCOUNTED, primeshare_desc_lifetime(d));
	EXPECT_EQ(sizeof(md), primeshare_desc_metadata_size(d));
	EXPECT_EQ(1, primeshare_desc_imports(d));
	EXPECT_EQ(2, primeshare_desc_holders(d));
	EXPECT_EQ(getpid(), primeshare_desc_exporter_pid(d));
	f = fopen("/proc/self/comm", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	EXPECT_STREQ(comm, primeshare_desc_exporter_comm(d));
	EXPECT_LT(0, primeshare_desc_age_ns(d));
	EXPECT_GT(60ULL * 1000000000ULL, primeshare_desc_age_ns(d));
	primeshare_desc_free(d);
	primeshare_desc_free(NULL);
	EXPECT_EQ(-ENOENT, primeshare_query(self->ctx, handle ^ 1, &d));
	EXPECT_EQ(-EINVAL, primeshare_query(self->ctx, handle, NULL));
}

TEST_F(lib, iterator_sees_every_handle_once)
{
	enum { N = 600 };
	uint64_t *h = calloc(N, sizeof(*h)), got;
	unsigned int i, n = 0, extra = 0;
	struct primeshare_iter *it;
	long old = pst_get_param("max_handles_per_session");
	int ret;

	ASSERT_NE(NULL, h);
	ASSERT_EQ(0, pst_set_param("max_handles_per_session", 100000));
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, primeshare_export(self->ctx, self->buf,
					       PRIMESHARE_LIFETIME_OWNED,
					       PRIMESHARE_MODE_OWNER, NULL, 0,
					       &h[i]));
	ASSERT_EQ(0, primeshare_iter_new(self->ctx, &it));
	/* Export order: our handles come in the order they were made. */
	while ((ret = primeshare_iter_next(it, &got)) == 1) {
		if (n < N && got == h[n])
			n++;
		else
			extra++;
	}
	EXPECT_EQ(0, ret);
	EXPECT_EQ(N, n);
	EXPECT_EQ(0, extra);
	/* The end is sticky. */
	EXPECT_EQ(0, primeshare_iter_next(it, &got));
	primeshare_iter_free(it);
	primeshare_iter_free(NULL);
	EXPECT_EQ(-EINVAL, primeshare_iter_new(self->ctx, NULL));
	EXPECT_EQ(0, pst_set_param("max_handles_per_session", old));
	free(h);
}

/*
 * In a child running as @uid, walk the handles: 0 when neither @a nor @b
 * is among them, else a code saying what went wrong.
 */
static int list_as(uid_t uid, uint64_t a, uint64_t b)
{
	struct primeshare_iter *it;
	struct primeshare *ctx;
	uint64_t g;
	pid_t pid = fork();
	int ret;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (pst_become(uid, uid, 0, NULL) || primeshare_open(&ctx) ||
		    primeshare_iter_new(ctx, &it))
			_exit(100);
		while ((ret = primeshare_iter_next(it, &g)) == 1)
			if (g == a || g == b)
				_exit(101);
		_exit(ret == 0 ? 0 : 102);
	}
	return pst_wait(pid);
}

TEST_F(lib, iterator_skips_what_caller_cannot_import)
{
	struct primeshare_iter *it;
	uint64_t mine, theirs, got;
	int ret, seen_mine = 0, seen_theirs = 0, sv[2];
	pid_t pid;

	ASSERT_EQ(0, primeshare_export(self->ctx, self->buf,
				       PRIMESHARE_LIFETIME_OWNED,
				       PRIMESHARE_MODE_OWNER, NULL, 0, &mine));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct primeshare *ctx;
		uint64_t h;
		char c;

		close(sv[0]);
		if (pst_become(65534, 65534, 0, NULL) || primeshare_open(&ctx))
			_exit(100);
		if (primeshare_export(ctx, self->buf, PRIMESHARE_LIFETIME_OWNED,
				      PRIMESHARE_MODE_OWNER, NULL, 0, &h))
			_exit(101);
		if (write(sv[1], &h, sizeof(h)) != sizeof(h))
			_exit(102);
		/* Keep the handle until the parent has listed. */
		if (read(sv[1], &c, 1) < 0)
			_exit(103);
		_exit(0);
	}
	close(sv[1]);
	ASSERT_EQ(sizeof(theirs), read(sv[0], &theirs, sizeof(theirs)));
	/* Root (CAP_SYS_ADMIN) sees the other user's handle... */
	ASSERT_EQ(0, primeshare_iter_new(self->ctx, &it));
	while ((ret = primeshare_iter_next(it, &got)) == 1) {
		seen_mine += got == mine;
		seen_theirs += got == theirs;
	}
	EXPECT_EQ(0, ret);
	EXPECT_EQ(1, seen_mine);
	EXPECT_EQ(1, seen_theirs);
	primeshare_iter_free(it);
	/* ... a third user sees neither. */
	EXPECT_EQ(0, list_as(4242, mine, theirs));
	close(sv[0]);
	EXPECT_EQ(0, pst_wait(pid));
}

TEST_F(lib, errno_is_never_changed)
{
	struct primeshare_desc *d;
	uint64_t handle = 0x1234;

	errno = 4321;
	EXPECT_EQ(-ENOENT, primeshare_import(self->ctx, handle, 0, NULL, NULL,
					     NULL));
	EXPECT_EQ(-ENOENT, primeshare_release(self->ctx, handle));
	EXPECT_EQ(-ENOENT, primeshare_revoke(self->ctx, handle));
	EXPECT_EQ(-ENOENT, primeshare_query(self->ctx, handle, &d));
	EXPECT_EQ(-ENODEV, primeshare_drm_open("no-such-driver", 0));
	EXPECT_EQ(4321, errno);
}

TEST_F(lib, drm_open_finds_vgem)
{
	struct drm_version v = { 0 };
	char name[32] = "";
	int fd = primeshare_drm_open("vgem", 0);

	ASSERT_LE(0, fd);
	v.name = name;
	v.name_len = sizeof(name) - 1;
	ASSERT_EQ(0, ioctl(fd, DRM_IOCTL_VERSION, &v));
	EXPECT_STREQ("vgem", name);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	EXPECT_EQ(-ENODEV, primeshare_drm_open("no-such-driver", 0));
	EXPECT_EQ(-EINVAL, primeshare_drm_open(NULL, 0));
}

/* 0 when @gem is a live GEM handle of @drm (it can be exported). */
static int gem_alive(int drm, uint32_t gem)
{
	struct drm_prime_handle prime = {
		.handle = gem, .flags = DRM_CLOEXEC,
	};

	if (ioctl(drm, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime))
		return -errno;
	close(prime.fd);
	return 0;
}

TEST_F(lib, drm_same_gem_handle_is_counted)
{
	struct drm_mode_create_dumb create = {
		.width = 1024, .height = 4, .bpp = 8,
	};
	struct drm_gem_close gclose = { 0 };
	struct drm_prime_handle prime = { .flags = DRM_CLOEXEC | DRM_RDWR };
	uint32_t a = 0, b = 0;
	uint64_t handle, size = 0;
	int drm2, fd;

	ASSERT_EQ(0, ioctl(self->drm, DRM_IOCTL_MODE_CREATE_DUMB, &create));
	ASSERT_EQ(0, primeshare_drm_export(self->ctx, self->drm, create.handle,
					   PRIMESHARE_LIFETIME_OWNED,
					   PRIMESHARE_MODE_OWNER, NULL, 0,
					   &handle));
	gclose.handle = create.handle;
	ASSERT_EQ(0, ioctl(self->drm, DRM_IOCTL_GEM_CLOSE, &gclose));

	/* Import twice into a second DRM fd: one GEM handle, counted. */
	drm2 = primeshare_drm_open("vgem", 0);
	ASSERT_LE(0, drm2);
	ASSERT_EQ(0, primeshare_drm_import(self->ctx, drm2, handle, 0, &a,
					   &size));
	EXPECT_EQ(4096, size);
	ASSERT_EQ(0, primeshare_drm_import(self->ctx, drm2, handle, 0, &b,
					   NULL));
	EXPECT_EQ(a, b);
	EXPECT_EQ(0, primeshare_drm_close(self->ctx, drm2, a));
	/* Still imported once: the GEM handle must still work. */
	EXPECT_EQ(0, gem_alive(drm2, a));
	EXPECT_EQ(0, primeshare_drm_close(self->ctx, drm2, b));
	EXPECT_EQ(-ENOENT, gem_alive(drm2, a));
	EXPECT_EQ(-ENOENT, primeshare_drm_close(self->ctx, drm2, a));

	/* The bytes are shared: write through one import, read another. */
	ASSERT_EQ(0, primeshare_drm_import(self->ctx, drm2, handle, 0, &a,
					   NULL));
	fd = primeshare_import(self->ctx, handle, 0, NULL, NULL, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fill(fd, 4096, 0xa5));
	prime.handle = a;
	ASSERT_EQ(0, ioctl(drm2, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime));
	EXPECT_EQ(1, holds(prime.fd, 4096, 0xa5));
	close(prime.fd);
	close(fd);
	EXPECT_EQ(0, primeshare_drm_close(self->ctx, drm2, a));
	EXPECT_EQ(-ENOENT, primeshare_drm_import(self->ctx, drm2,
						 handle ^ 1, 0, &a, NULL));
	close(drm2);
	EXPECT_EQ(-EBADF, primeshare_drm_export(self->ctx, -1, 1,
						PRIMESHARE_LIFETIME_OWNED,
						PRIMESHARE_MODE_OWNER, NULL,
						0, &handle));
}

TEST_F(lib, transport_passes_a_dmabuf)
{
	int sv[2], fds;
	pid_t pid;

	ASSERT_EQ(0, fill(self->buf, 4 * PAGE, 0x3c));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char tag[8] = "";
		size_t size = sizeof(tag);
		pid_t ppid;
		uid_t uid;
		int fd;

		close(sv[0]);
		fd = primeshare_recv_fd(sv[1], tag, &size);
		if (fd < 0)
			_exit(100);
		if (size != 5 || memcmp(tag, "hello", 5))
			_exit(101);
		if (holds(fd, 4 * PAGE, 0x3c) != 1)
			_exit(102);
		if (primeshare_peer_cred(sv[1], &ppid, &uid, NULL) ||
		    ppid != getppid() || uid != getuid())
			_exit(103);
		_exit(0);
	}
	close(sv[1]);
	fds = pst_count_fds();
	EXPECT_EQ(0, primeshare_send_fd(sv[0], self->buf, "hello", 5));
	EXPECT_EQ(fds, pst_count_fds());
	EXPECT_EQ(0, pst_wait(pid));
	close(sv[0]);
}

/*
 * Keyed mutexes through the library: keys pass a buffer between two
 * processes, each with its own context; the count in the buffer comes
 * out exact only if they never overlapped.
 */
TEST_F(lib, keyed_mutex_ping_pong)
{
	const int rounds = 1000;
	struct primeshare_desc *desc;
	uint32_t *p;
	uint64_t h;
	pid_t pid;
	int i;

	ASSERT_EQ(0, primeshare_export2(self->ctx, self->buf,
					PRIMESHARE_LIFETIME_OWNED, 0,
					PRIMESHARE_EXPORT_FLAG_KEYED_MUTEX,
					NULL, 0, &h));
	ASSERT_EQ(0, primeshare_query(self->ctx, h, &desc));
	EXPECT_EQ(1, primeshare_desc_has_keyed_mutex(desc));
	primeshare_desc_free(desc);
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, self->buf, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 0;
	pid = fork();
	if (!pid) {
		struct primeshare *ctx;

		if (primeshare_open(&ctx))
			_exit(1);
		for (i = 0; i < rounds; i++) {
			if (primeshare_keyed_mutex_acquire(ctx, h, 1,
							   5000000000ULL, NULL))
				_exit(2);
			p[0]++;
			if (primeshare_keyed_mutex_release(ctx, h, 0, -1))
				_exit(3);
		}
		primeshare_close(ctx);
		_exit(0);
	}
	for (i = 0; i < rounds; i++) {
		ASSERT_EQ(0, primeshare_keyed_mutex_acquire(self->ctx, h, 0,
							    5000000000ULL,
							    NULL));
		p[0]++;
		ASSERT_EQ(0, primeshare_keyed_mutex_release(self->ctx, h, 1,
							    -1));
	}
	EXPECT_EQ(0, pst_wait(pid));
	ASSERT_EQ(0, primeshare_keyed_mutex_acquire(self->ctx, h, 0, 0, NULL));
	EXPECT_EQ(2 * rounds, p[0]);
	EXPECT_EQ(-EDEADLK, primeshare_keyed_mutex_acquire(self->ctx, h, 0, 0,
							   NULL));
	EXPECT_EQ(0, primeshare_keyed_mutex_release(self->ctx, h, 0, -1));
	EXPECT_EQ(-EPERM, primeshare_keyed_mutex_release(self->ctx, h, 0, -1));
	munmap(p, PAGE);
	EXPECT_EQ(0, primeshare_release(self->ctx, h));
}

/*
 * With no fence pointer the library waits for the last release's fence:
 * a vgem fence, exported from the dma-buf as a sync_file.  Unsignalled,
 * the acquire times out and puts the mutex back as it was; signalled, it
 * succeeds.
 */
TEST(keyed_mutex_library_waits_for_the_fence)
{
	struct primeshare *a, *b;
	struct pst_vgem v;
	int fence, got;
	uint32_t id;
	uint64_t h;
	int64_t t;

	pst_require_device(_metadata);
	ASSERT_EQ(0, pst_vgem_new(&v, 4 * PAGE));
	ASSERT_EQ(0, primeshare_open(&a));
	ASSERT_EQ(0, primeshare_open(&b));
	ASSERT_EQ(0, primeshare_export2(a, v.buf, PRIMESHARE_LIFETIME_OWNED,
					0, PRIMESHARE_EXPORT_FLAG_KEYED_MUTEX,
					NULL, 0, &h));
	ASSERT_EQ(0, primeshare_keyed_mutex_acquire(a, h, 0, 0, NULL));
	fence = pst_vgem_fence(&v, &id);
	ASSERT_LE(0, fence);
	ASSERT_EQ(0, primeshare_keyed_mutex_release(a, h, 1, fence));
	close(fence);

	t = pst_now_ns();
	EXPECT_EQ(-ETIMEDOUT, primeshare_keyed_mutex_acquire(b, h, 1,
							     100000000, NULL));
	t = pst_now_ns() - t;
	EXPECT_LE(100000000, t);
	TH_LOG("100 ms acquire on an unsignalled fence: %.1f ms", t / 1e6);
	/* Back as it was: free, key 1, and the fence still there. */
	ASSERT_EQ(0, primeshare_keyed_mutex_acquire(b, h, 1, 0, &got));
	ASSERT_LE(0, got);
	ASSERT_EQ(0, primeshare_keyed_mutex_release(b, h, 1, got));
	close(got);

	ASSERT_EQ(0, pst_vgem_signal(&v, id));
	EXPECT_EQ(0, primeshare_keyed_mutex_acquire(b, h, 1, 100000000, NULL));
	EXPECT_EQ(0, primeshare_keyed_mutex_release(b, h, 0, -1));
	primeshare_close(b);
	primeshare_close(a);
	close(v.buf);
	close(v.drm);
}

/* A holder's context closed by its death abandons the mutex. */
TEST_F(lib, keyed_mutex_abandoned_by_a_dead_holder)
{
	int p[2];
	uint64_t h;
	pid_t pid;
	char c;

	ASSERT_EQ(0, primeshare_export2(self->ctx, self->buf,
					PRIMESHARE_LIFETIME_OWNED,
					PRIMESHARE_MODE_OWNER,
					PRIMESHARE_EXPORT_FLAG_KEYED_MUTEX,
					NULL, 0, &h));
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	if (!pid) {
		struct primeshare *ctx;

		if (primeshare_open(&ctx) ||
		    primeshare_keyed_mutex_acquire(ctx, h, 0, 0, NULL))
			_exit(1);
		if (write(p[1], "y", 1) != 1)
			_exit(2);
		pause();
		_exit(3);
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1));
	close(p[0]);
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, pst_wait(pid));
	EXPECT_EQ(-ENOTRECOVERABLE,
		  primeshare_keyed_mutex_acquire(self->ctx, h, 0,
						 PRIMESHARE_TIMEOUT_INFINITE,
						 NULL));
	EXPECT_EQ(0, primeshare_release(self->ctx, h));
}

TEST(no_leaks_after_sessions_close)
{
	pst_require_device(_metadata);
	EXPECT_EQ(0, pst_stat("handles"));
	EXPECT_EQ(0, pst_stat("sessions"));
	EXPECT_EQ(0, pst_stat("holds"));
	EXPECT_EQ(0, pst_stat("keyed_mutexes"));
}

TEST_HARNESS_MAIN
