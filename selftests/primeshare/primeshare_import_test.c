// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * IMPORT and the three lifetimes: the bytes behind a handle, metadata, what
 * ending a handle does and does not do, error paths that must leak no file
 * descriptor, and a long cycle that must leak nothing at all.
 */
#include <linux/dma-buf.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "ps_test.h"

#define BUF_SIZE (64 * 1024)
#define WORDS (BUF_SIZE / 4)

FIXTURE(ps) {
	int sess;
	int drm;
	int buf;
};

FIXTURE_SETUP(ps)
{
	pst_require_device(_metadata);
	self->sess = pst_open();
	ASSERT_LE(0, self->sess) TH_LOG("open %s: %s", PST_DEVICE, strerror(errno));
	self->drm = pst_open_drm("vgem");
	ASSERT_LE(0, self->drm) TH_LOG("no vgem DRM node (is vgem loaded?)");
	self->buf = pst_vgem_dmabuf(self->drm, BUF_SIZE);
	ASSERT_LE(0, self->buf);
}

FIXTURE_TEARDOWN(ps)
{
	close(self->buf);
	close(self->drm);
	close(self->sess);
}

static int dmabuf_sync(int fd, __u64 flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	return pst_ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
}

static __u32 pattern(size_t i, __u32 seed)
{
	return seed ^ (__u32)(i * 2654435761u);
}

/* Write a pattern through a CPU mapping, bracketed by DMA_BUF_IOCTL_SYNC. */
static int write_pattern(int fd, __u32 seed)
{
	__u32 *p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			fd, 0);
	size_t i;

	if (p == MAP_FAILED)
		return -errno;
	if (dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE))
		return -EIO;
	for (i = 0; i < WORDS; i++)
		p[i] = pattern(i, seed);
	if (dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE))
		return -EIO;
	munmap(p, BUF_SIZE);
	return 0;
}

/* 0 when the buffer holds the pattern, else a positive code. */
static int check_pattern(int fd, __u32 seed)
{
	__u32 *p = mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	int ret = 0;
	size_t i;

	if (p == MAP_FAILED)
		return 1;
	if (dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ))
		return 2;
	for (i = 0; i < WORDS; i++)
		if (p[i] != pattern(i, seed)) {
			ret = 3;
			break;
		}
	dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(p, BUF_SIZE);
	return ret;
}

static ino_t inode_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

TEST_F(ps, import_opens_the_same_dmabuf)
{
	struct primeshare_import im = { 0 };
	__u64 h;

	ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h));
	im.handle = h;
	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_IMPORT, &im));
	EXPECT_LE(0, im.fd);
	EXPECT_NE(self->buf, im.fd);
	EXPECT_EQ(BUF_SIZE, im.size);
	EXPECT_EQ(0, im.metadata_size);
	EXPECT_EQ(inode_of(self->buf), inode_of(im.fd));
	ASSERT_EQ(0, write_pattern(self->buf, 0xabc));
	EXPECT_EQ(0, check_pattern(im.fd, 0xabc));
	close(im.fd);
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(ps, import_close_on_exec_flag)
{
	int fd;
	__u64 h;

	ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h));
	fd = pst_import(self->sess, h, PRIMESHARE_IMPORT_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	close(fd);
	fd = pst_import(self->sess, h, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fcntl(fd, F_GETFD));
	close(fd);
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(ps, import_unknown_handle_is_enoent)
{
	EXPECT_EQ(-ENOENT, pst_import(self->sess, 0, 0));
	EXPECT_EQ(-ENOENT, pst_import(self->sess, 1, 0));
	EXPECT_EQ(-ENOENT, pst_import(self->sess, ~0ULL, 0));
}

TEST_F(ps, import_rejects_flags_padding_and_bad_sizes)
{
	struct primeshare_import im;
	int fds = pst_count_fds(), next = pst_next_fd();
	__u64 h, r;

	ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h));
	ASSERT_EQ(0, pst_export(self->sess, self->buf,
				PRIMESHARE_EXPORT_ONESHOT, 0, &r));
	EXPECT_EQ(-EINVAL, pst_import(self->sess, h, 1U << 2));
	EXPECT_EQ(-EINVAL, pst_import(self->sess, h, 1U << 31));
	/* HOLD is for refcounted handles only. */
	EXPECT_EQ(-EINVAL, pst_import(self->sess, h, PRIMESHARE_IMPORT_HOLD));
	EXPECT_EQ(-EINVAL, pst_import(self->sess, r, PRIMESHARE_IMPORT_HOLD));
	im = (struct primeshare_import){ .handle = h, .__pad = 1 };
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess, PRIMESHARE_IOCTL_IMPORT, &im));
	im = (struct primeshare_import){ .handle = h };
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess,
				     PST_IOC(_IOC_READ | _IOC_WRITE, 2, 32), &im));
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess,
				     PST_IOC(_IOC_WRITE, 2, sizeof(im)), &im));
	EXPECT_EQ(-EFAULT, pst_ioctl(self->sess, PRIMESHARE_IOCTL_IMPORT,
				     (void *)8));
	EXPECT_EQ(fds, pst_count_fds());
	EXPECT_EQ(next, pst_next_fd());
	/* The oneshot handle was not used up by the failures. */
	im = (struct primeshare_import){ .handle = r };
	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_IMPORT, &im));
	close(im.fd);
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(ps, import_larger_zeroed_struct_is_accepted)
{
	struct {
		struct primeshare_import im;
		__u64 tail;
	} big = { 0 };
	__u64 h;

	ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h));
	big.im.handle = h;
	ASSERT_EQ(0, pst_ioctl(self->sess,
			       PST_IOC(_IOC_READ | _IOC_WRITE, 2, sizeof(big)),
			       &big));
	EXPECT_EQ(0, big.tail);
	close(big.im.fd);
	big.tail = 7;
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess,
				     PST_IOC(_IOC_READ | _IOC_WRITE, 2,
					     sizeof(big)), &big));
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(ps, import_returns_metadata)
{
	struct primeshare_import im;
	char md[100], out[200];
	int i;
	__u64 h;

	for (i = 0; i < 100; i++)
		md[i] = (char)(i * 7 + 1);
	ASSERT_EQ(0, pst_export_md(self->sess, self->buf, 0, 0, md,
				   sizeof(md), &h));

	memset(out, 0xee, sizeof(out));
	im = (struct primeshare_import){
		.handle = h, .metadata = (uintptr_t)out, .metadata_size = 100,
	};
	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_IMPORT, &im));
	EXPECT_EQ(100, im.metadata_size);
	EXPECT_EQ(0, memcmp(md, out, 100));
	close(im.fd);

	memset(out, 0xee, sizeof(out));
	im = (struct primeshare_import){
		.handle = h, .metadata = (uintptr_t)out, .metadata_size = 200,
	};
	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_IMPORT, &im));
	EXPECT_EQ(100, im.metadata_size);
	EXPECT_EQ(0, memcmp(md, out, 100));
	EXPECT_EQ((char)0xee, out[100]);
	close(im.fd);

	/* No buffer: the length is reported, nothing is copied. */
	im = (struct primeshare_import){ .handle = h, .metadata_size = 50 };
	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_IMPORT, &im));
	EXPECT_EQ(100, im.metadata_size);
	close(im.fd);
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(ps, import_short_metadata_buffer_is_erange_and_installs_nothing)
{
	struct primeshare_import im;
	struct primeshare_query q;
	char md[64] = "x", out[64];
	int fds = pst_count_fds(), next = pst_next_fd();
	__u64 h;

	ASSERT_EQ(0, pst_export_md(self->sess, self->buf,
				   PRIMESHARE_EXPORT_ONESHOT, 0, md,
				   sizeof(md), &h));
	memset(out, 0xee, sizeof(out));
	im = (struct primeshare_import){
		.handle = h, .metadata = (uintptr_t)out, .metadata_size = 63,
	};
	EXPECT_EQ(-ERANGE, pst_ioctl(self->sess, PRIMESHARE_IOCTL_IMPORT, &im));
	EXPECT_EQ(64, im.metadata_size);
	EXPECT_EQ(-1, im.fd);
	EXPECT_EQ((char)0xee, out[0]);
	EXPECT_EQ(fds, pst_count_fds());
	EXPECT_EQ(next, pst_next_fd());
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(0, q.imports);
	/* Retried with the size reported: works, and the oneshot is used. */
	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_IMPORT, &im));
	EXPECT_EQ(0, memcmp(md, out, 64));
	close(im.fd);
	EXPECT_EQ(-ENOENT, pst_import(self->sess, h, 0));
}

TEST_F(ps, import_efault_leaks_no_fd_and_uses_nothing_up)
{
	struct primeshare_import im;
	struct primeshare_query q;
	int fds = pst_count_fds(), next = pst_next_fd();
	char md[16] = "meta";
	void *ro;
	__u64 h;

	ASSERT_EQ(0, pst_export_md(self->sess, self->buf,
				   PRIMESHARE_EXPORT_ONESHOT, 0, md,
				   sizeof(md), &h));
	/* The metadata buffer is not writable. */
	im = (struct primeshare_import){
		.handle = h, .metadata = 8, .metadata_size = 16,
	};
	EXPECT_EQ(-EFAULT, pst_ioctl(self->sess, PRIMESHARE_IOCTL_IMPORT, &im));
	EXPECT_EQ(fds, pst_count_fds());
	EXPECT_EQ(next, pst_next_fd());

	/* The structure itself is readable but not writable. */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	im = (struct primeshare_import){ .handle = h };
	memcpy(ro, &im, sizeof(im));
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, pst_ioctl(self->sess, PRIMESHARE_IOCTL_IMPORT, ro));
	EXPECT_EQ(fds, pst_count_fds());
	EXPECT_EQ(next, pst_next_fd());
	munmap(ro, 4096);

	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(0, q.imports);
	im = (struct primeshare_import){ .handle = h };
	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_IMPORT, &im));
	close(im.fd);
	EXPECT_EQ(fds, pst_count_fds());
	EXPECT_EQ(next, pst_next_fd());
}

TEST_F(ps, import_without_free_fd_is_emfile)
{
	struct rlimit old, lim;
	struct primeshare_query q;
	__u64 h;
	int fd;

	ASSERT_EQ(0, pst_export(self->sess, self->buf,
				PRIMESHARE_EXPORT_ONESHOT, 0, &h));
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	fd = dup(0);
	ASSERT_LE(0, fd);
	close(fd);
	/* Every descriptor below @fd is taken. */
	lim = old;
	lim.rlim_cur = fd;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &lim));
	EXPECT_EQ(-EMFILE, pst_import(self->sess, h, 0));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(0, q.imports);
	fd = pst_import(self->sess, h, 0);
	EXPECT_LE(0, fd);
	close(fd);
}

TEST_F(ps, owned_handle_ends_with_its_session_but_imported_fds_stay)
{
	int exp = pst_open(), fd;
	__u64 h;

	ASSERT_LE(0, exp);
	ASSERT_EQ(0, write_pattern(self->buf, 0x1111));
	ASSERT_EQ(0, pst_export(exp, self->buf, 0, 0, &h));
	fd = pst_import(self->sess, h, PRIMESHARE_IMPORT_CLOEXEC);
	ASSERT_LE(0, fd);
	close(exp);
	EXPECT_EQ(-ENOENT, pst_import(self->sess, h, 0));
	EXPECT_EQ(0, check_pattern(fd, 0x1111));
	close(fd);
}

TEST_F(ps, exporter_death_ends_owned_handle_and_fds_keep_the_bytes)
{
	int p[2], q[2], fd, buf;
	__u64 h = 0;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(q));
	buf = pst_vgem_dmabuf(self->drm, BUF_SIZE);
	ASSERT_LE(0, buf);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int s = pst_open();

		if (s < 0 || write_pattern(buf, 0xdead))
			_exit(1);
		if (pst_export(s, buf, 0, 0, &h))
			_exit(2);
		close(buf);
		if (write(p[1], &h, sizeof(h)) != sizeof(h))
			_exit(3);
		/* Stay until the parent has imported once. */
		if (read(q[0], &c, 1) != 1)
			_exit(4);
		_exit(0);
	}
	close(buf);
	ASSERT_EQ(sizeof(h), read(p[0], &h, sizeof(h)));
	fd = pst_import(self->sess, h, PRIMESHARE_IMPORT_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, write(q[1], "x", 1));
	ASSERT_EQ(0, pst_wait(pid));
	EXPECT_EQ(-ENOENT, pst_import(self->sess, h, 0));
	EXPECT_EQ(0, check_pattern(fd, 0xdead));
	close(fd);
	EXPECT_EQ(0, pst_stat("handles"));
}

TEST_F(ps, bytes_cross_to_an_unrelated_process)
{
	int hp[2], done[2];
	pid_t a, b;
	__u64 h;
	char c;

	ASSERT_EQ(0, pipe(hp));
	ASSERT_EQ(0, pipe(done));
	/* A and B are siblings: neither is the other's child. */
	a = fork();
	ASSERT_LE(0, a);
	if (a == 0) {
		int s = pst_open(), buf = pst_vgem_dmabuf(self->drm, BUF_SIZE);

		if (s < 0 || buf < 0 || write_pattern(buf, 0xa5a5))
			_exit(1);
		if (pst_export(s, buf, 0, PRIMESHARE_MODE_OWNER, &h))
			_exit(2);
		close(buf);
		if (write(hp[1], &h, sizeof(h)) != sizeof(h))
			_exit(3);
		if (read(done[0], &c, 1) != 1)
			_exit(4);
		_exit(0);
	}
	b = fork();
	ASSERT_LE(0, b);
	if (b == 0) {
		int s = pst_open(), fd, ret;

		if (s < 0 || read(hp[0], &h, sizeof(h)) != sizeof(h))
			_exit(10);
		fd = pst_import(s, h, PRIMESHARE_IMPORT_CLOEXEC);
		if (fd < 0)
			_exit(11);
		ret = check_pattern(fd, 0xa5a5);
		if (write(done[1], "x", 1) != 1)
			_exit(12);
		_exit(ret ? 20 + ret : 0);
	}
	EXPECT_EQ(0, pst_wait(b));
	EXPECT_EQ(0, pst_wait(a));
}

TEST_F(ps, refcounted_handle_lives_while_held)
{
	int exp = pst_open(), holder = pst_open(), fd;
	struct primeshare_query q;
	__u64 h;

	ASSERT_LE(0, exp);
	ASSERT_LE(0, holder);
	ASSERT_EQ(0, pst_export(exp, self->buf, PRIMESHARE_EXPORT_REFCOUNTED,
				0, &h));
	fd = pst_import(holder, h, PRIMESHARE_IMPORT_HOLD |
			PRIMESHARE_IMPORT_CLOEXEC);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(2, q.holders);
	EXPECT_EQ(1, q.imports);
	EXPECT_EQ(2, pst_stat("holds"));

	/* The exporter goes; the holder keeps the handle alive. */
	close(exp);
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(1, q.holders);
	fd = pst_import(self->sess, h, 0);
	ASSERT_LE(0, fd);
	close(fd);
	/* Not a holder: may not release. */
	EXPECT_EQ(-EPERM, pst_release(self->sess, h));

	EXPECT_EQ(0, pst_release(holder, h));
	EXPECT_EQ(-ENOENT, pst_import(self->sess, h, 0));
	EXPECT_EQ(0, pst_stat("holds"));
	EXPECT_EQ(0, pst_stat("handles"));
	close(holder);
}

TEST_F(ps, refcounted_holds_add_up_per_session)
{
	int holder = pst_open(), fd, i;
	struct primeshare_query q;
	__u64 h;

	ASSERT_LE(0, holder);
	ASSERT_EQ(0, pst_export(self->sess, self->buf,
				PRIMESHARE_EXPORT_REFCOUNTED, 0, &h));
	for (i = 0; i < 3; i++) {
		fd = pst_import(holder, h, PRIMESHARE_IMPORT_HOLD);
		ASSERT_LE(0, fd);
		close(fd);
	}
	ASSERT_EQ(0, pst_release(self->sess, h));
	EXPECT_EQ(-EPERM, pst_release(self->sess, h));
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(3, q.holders);
	EXPECT_EQ(0, pst_release(holder, h));
	EXPECT_EQ(0, pst_release(holder, h));
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(1, q.holders);
	/* Closing drops every hold the session still has. */
	close(holder);
	EXPECT_EQ(-ENOENT, pst_query(self->sess, h, &q));
	EXPECT_EQ(0, pst_stat("holds"));
}

TEST_F(ps, refcounted_handle_without_other_holders_ends_with_exporter)
{
	int exp = pst_open();
	__u64 h;

	ASSERT_LE(0, exp);
	ASSERT_EQ(0, pst_export(exp, self->buf, PRIMESHARE_EXPORT_REFCOUNTED,
				0, &h));
	close(exp);
	EXPECT_EQ(-ENOENT, pst_import(self->sess, h, 0));
	EXPECT_EQ(0, pst_stat("handles"));
}

TEST_F(ps, oneshot_handle_ends_at_first_import)
{
	struct primeshare_query q;
	int fd;
	__u64 h;

	ASSERT_EQ(0, pst_export(self->sess, self->buf,
				PRIMESHARE_EXPORT_ONESHOT, 0, &h));
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(PRIMESHARE_EXPORT_ONESHOT, q.lifetime);
	fd = pst_import(self->sess, h, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, pst_import(self->sess, h, 0));
	EXPECT_EQ(-ENOENT, pst_query(self->sess, h, &q));
	EXPECT_EQ(-ENOENT, pst_release(self->sess, h));
	EXPECT_EQ(0, pst_stat("handles"));
	EXPECT_EQ(BUF_SIZE, lseek(fd, 0, SEEK_END));
	close(fd);
}

TEST_F(ps, query_counts_imports)
{
	struct primeshare_query q;
	int i, fd;
	__u64 h;

	ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h));
	for (i = 0; i < 5; i++) {
		fd = pst_import(self->sess, h, 0);
		ASSERT_LE(0, fd);
		close(fd);
	}
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(5, q.imports);
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(ps, exporter_pid_is_zero_once_the_exporter_is_gone)
{
	struct primeshare_query q;
	int s[2];
	pid_t pid;
	__u64 h;

	ASSERT_EQ(0, pipe(s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* A refcounted handle held by the parent outlives us. */
		int sess = pst_open(), fd;

		if (sess < 0 || pst_export(sess, self->buf,
					   PRIMESHARE_EXPORT_REFCOUNTED, 0, &h))
			_exit(1);
		fd = pst_import(self->sess, h, PRIMESHARE_IMPORT_HOLD);
		if (fd < 0)
			_exit(2);
		_exit(write(s[1], &h, sizeof(h)) == sizeof(h) ? 0 : 3);
	}
	ASSERT_EQ(0, pst_wait(pid));
	ASSERT_EQ(sizeof(h), read(s[0], &h, sizeof(h)));
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(0, q.exporter_pid);
	EXPECT_EQ(1, q.holders);
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F_TIMEOUT(ps, ten_thousand_cycles_leak_nothing, 300)
{
	long handles = pst_stat("handles"), holds = pst_stat("holds");
	long sessions = pst_stat("sessions"), dmabufs = pst_dmabuf_count();
	long imports = pst_stat("imports_total");
	int fds = pst_count_fds(), i, fd, other = pst_open();
	char md[256] = "cycle";
	__u64 h;

	ASSERT_LE(0, other);
	for (i = 0; i < 10000; i++) {
		__u32 lifetime = i % 3 == 1 ? PRIMESHARE_EXPORT_REFCOUNTED :
				 i % 3 == 2 ? PRIMESHARE_EXPORT_ONESHOT : 0;
		int buf = pst_vgem_dmabuf(self->drm, 4096);

		ASSERT_LE(0, buf);
		ASSERT_EQ(0, pst_export_md(self->sess, buf, lifetime, 0, md,
					   i % 2 ? sizeof(md) : 0, &h));
		close(buf);
		fd = pst_import(other, h, lifetime ==
				PRIMESHARE_EXPORT_REFCOUNTED ?
				PRIMESHARE_IMPORT_HOLD : 0);
		ASSERT_LE(0, fd) TH_LOG("cycle %d: %s", i, strerror(-fd));
		close(fd);
		if (lifetime == PRIMESHARE_EXPORT_REFCOUNTED) {
			ASSERT_EQ(0, pst_release(other, h));
			ASSERT_EQ(0, pst_release(self->sess, h));
		} else if (!lifetime) {
			ASSERT_EQ(0, pst_release(self->sess, h));
		}
		ASSERT_EQ(-ENOENT, pst_import(other, h, 0));
	}
	close(other);
	EXPECT_EQ(handles, pst_stat("handles"));
	EXPECT_EQ(holds, pst_stat("holds"));
	EXPECT_EQ(sessions, pst_stat("sessions"));
	EXPECT_EQ(imports + 10000, pst_stat("imports_total"));
	EXPECT_EQ(dmabufs, pst_dmabuf_count());
	EXPECT_EQ(fds, pst_count_fds());
}

TEST(counts_return_to_zero_when_every_session_closes)
{
	int drm = pst_open_drm("vgem"), buf, s[3], i, fd;
	__u64 h;

	pst_require_device(_metadata);
	ASSERT_LE(0, drm);
	buf = pst_vgem_dmabuf(drm, 4096);
	ASSERT_LE(0, buf);
	for (i = 0; i < 3; i++) {
		s[i] = pst_open();
		ASSERT_LE(0, s[i]);
	}
	ASSERT_EQ(0, pst_export(s[0], buf, 0, 0044, NULL));
	ASSERT_EQ(0, pst_export(s[0], buf, PRIMESHARE_EXPORT_ONESHOT, 0, NULL));
	ASSERT_EQ(0, pst_export(s[1], buf, PRIMESHARE_EXPORT_REFCOUNTED, 0, &h));
	fd = pst_import(s[2], h, PRIMESHARE_IMPORT_HOLD);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(3, pst_stat("sessions"));
	EXPECT_EQ(3, pst_stat("handles"));
	EXPECT_EQ(2, pst_stat("holds"));
	EXPECT_EQ(1, pst_stat("users"));
	for (i = 0; i < 3; i++)
		close(s[i]);
	EXPECT_EQ(0, pst_stat("sessions"));
	EXPECT_EQ(0, pst_stat("handles"));
	EXPECT_EQ(0, pst_stat("holds"));
	EXPECT_EQ(0, pst_stat("users"));
	close(buf);
	close(drm);
}

struct race {
	int sess;
	__u64 *handle;
	int stop;
	long imported;
};

static void *race_importer(void *p)
{
	struct race *r = p;
	__u64 h;
	int fd;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		h = __atomic_load_n(r->handle, __ATOMIC_ACQUIRE);
		fd = pst_import(r->sess, h, PRIMESHARE_IMPORT_HOLD);
		if (fd >= 0) {
			close(fd);
			r->imported++;
			if (pst_release(r->sess, h))
				r->imported = -1000000;
		}
	}
	return NULL;
}

TEST_F(ps, release_racing_import_is_safe)
{
	struct race r = { .sess = pst_open() };
	pthread_t t;
	__u64 h = 0;
	int i;

	ASSERT_LE(0, r.sess);
	r.handle = &h;
	ASSERT_EQ(0, pthread_create(&t, NULL, race_importer, &r));
	for (i = 0; i < 2000; i++) {
		__u64 nh;

		ASSERT_EQ(0, pst_export(self->sess, self->buf,
					PRIMESHARE_EXPORT_REFCOUNTED, 0, &nh));
		__atomic_store_n(&h, nh, __ATOMIC_RELEASE);
		ASSERT_EQ(0, pst_release(self->sess, nh));
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	close(r.sess);
	TH_LOG("%ld imports won the race", r.imported);
	EXPECT_LE(0, r.imported);
	EXPECT_EQ(0, pst_stat("handles"));
	EXPECT_EQ(0, pst_stat("holds"));
}

struct oneshot_race {
	int sess;
	__u64 handle;
	pthread_barrier_t *go;
	int ret;
	int fd_after;
};

static void *oneshot_importer(void *p)
{
	struct oneshot_race *r = p;
	struct primeshare_import im = { .handle = r->handle, .fd = -2 };

	pthread_barrier_wait(r->go);
	r->ret = pst_ioctl(r->sess, PRIMESHARE_IOCTL_IMPORT, &im);
	r->fd_after = im.fd;
	return NULL;
}

/*
 * Two sessions import one oneshot handle at once: exactly one wins, and
 * the loser never sees the number of an fd it does not have, even when it
 * lost after the structure went back to user space.
 */
TEST_F(ps, oneshot_race_loser_gets_no_fd_number)
{
	struct oneshot_race r[2];
	pthread_barrier_t go;
	pthread_t t[2];
	int i, k, wins;

	for (k = 0; k < 2; k++) {
		r[k].sess = pst_open();
		ASSERT_LE(0, r[k].sess);
		r[k].go = &go;
	}
	for (i = 0; i < 500; i++) {
		__u64 h;

		ASSERT_EQ(0, pst_export(self->sess, self->buf,
					PRIMESHARE_EXPORT_ONESHOT, 0, &h));
		ASSERT_EQ(0, pthread_barrier_init(&go, NULL, 2));
		for (k = 0; k < 2; k++) {
			r[k].handle = h;
			ASSERT_EQ(0, pthread_create(&t[k], NULL,
						    oneshot_importer, &r[k]));
		}
		wins = 0;
		for (k = 0; k < 2; k++) {
			pthread_join(t[k], NULL);
			if (r[k].ret == 0) {
				wins++;
				EXPECT_LE(0, r[k].fd_after);
				close(r[k].fd_after);
			} else {
				EXPECT_EQ(-ENOENT, r[k].ret);
				/* Untouched (-2) or taken back (-1). */
				EXPECT_GT(0, r[k].fd_after);
			}
		}
		pthread_barrier_destroy(&go);
		ASSERT_EQ(1, wins);
	}
	for (k = 0; k < 2; k++)
		close(r[k].sess);
	EXPECT_EQ(0, pst_stat("handles"));
}

TEST_HARNESS_MAIN
