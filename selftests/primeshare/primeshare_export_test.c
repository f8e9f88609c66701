// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * EXPORT, RELEASE, QUERY and LIST within one process: what they return and
 * every error they can give.
 */
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "ps_test.h"

#define BUF_SIZE (64 * 1024)

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

/* A page the kernel can read but not write, holding a copy of @src. */
static void *ro_copy(const void *src, size_t len)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, src, len);
	if (mprotect(p, 4096, PROT_READ))
		return NULL;
	return p;
}

TEST_F(ps, export_gives_distinct_nonzero_unguessable_handles)
{
	__u64 h[64], hi_or = 0, hi_and = ~0ULL;
	int i, j;

	for (i = 0; i < 64; i++) {
		ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h[i]));
		ASSERT_NE(0, h[i]);
		for (j = 0; j < i; j++)
			ASSERT_NE(h[j], h[i]);
		hi_or |= h[i];
		hi_and &= h[i];
	}
	/* Consecutive exports differ all over: no bit is stuck. */
	EXPECT_EQ(~0ULL, hi_or);
	EXPECT_EQ(0ULL, hi_and);
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, pst_release(self->sess, h[i]));
}

TEST_F(ps, export_bad_fd_is_ebadf)
{
	EXPECT_EQ(-EBADF, pst_export(self->sess, -1, 0, 0, NULL));
	EXPECT_EQ(-EBADF, pst_export(self->sess, 4000, 0, 0, NULL));
}

TEST_F(ps, export_non_dmabuf_is_einval)
{
	int p[2], s[2], other;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, s));
	other = pst_open();
	ASSERT_LE(0, other);
	EXPECT_EQ(-EINVAL, pst_export(self->sess, p[0], 0, 0, NULL));
	EXPECT_EQ(-EINVAL, pst_export(self->sess, s[0], 0, 0, NULL));
	EXPECT_EQ(-EINVAL, pst_export(self->sess, self->sess, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, pst_export(self->sess, other, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, pst_export(self->sess, self->drm, 0, 0, NULL));
	EXPECT_EQ(0, pst_stat("handles"));
	close(p[0]);
	close(p[1]);
	close(s[0]);
	close(s[1]);
	close(other);
}

TEST_F(ps, export_rejects_unknown_flags)
{
	EXPECT_EQ(-EINVAL, pst_export(self->sess, self->buf, 1U << 3, 0, NULL));
	EXPECT_EQ(-EINVAL, pst_export(self->sess, self->buf, 1U << 31, 0, NULL));
}

TEST_F(ps, export_rejects_two_lifetimes)
{
	EXPECT_EQ(-EINVAL, pst_export(self->sess, self->buf,
				      PRIMESHARE_EXPORT_REFCOUNTED |
				      PRIMESHARE_EXPORT_ONESHOT, 0, NULL));
}

TEST_F(ps, export_rejects_mode_bits_other_than_read)
{
	static const __u32 bad[] = { 0200, 0100, 0020, 0002, 0001, 0777,
				     01000, 0400 | 0200, 0x10000 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, pst_export(self->sess, self->buf, 0, bad[i],
					      NULL)) TH_LOG("mode %o", bad[i]);
}

TEST_F(ps, export_mode_zero_is_owner_only)
{
	struct primeshare_query q;
	__u64 h;

	ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h));
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(PRIMESHARE_MODE_OWNER, q.mode);
	ASSERT_EQ(0, pst_release(self->sess, h));
}

TEST_F(ps, export_accepts_every_valid_mode)
{
	struct primeshare_query q;
	__u32 mode;
	__u64 h;

	for (mode = 0004; mode <= 0444; mode += 0004) {
		if (mode & ~PRIMESHARE_MODE_MASK)
			continue;
		ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, mode, &h));
		ASSERT_EQ(0, pst_query(self->sess, h, &q));
		EXPECT_EQ(mode, q.mode);
		ASSERT_EQ(0, pst_release(self->sess, h));
	}
}

TEST_F(ps, export_metadata_up_to_the_limit)
{
	struct primeshare_info info = { 0 };
	char *md;
	__u64 h;

	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_INFO, &info));
	ASSERT_EQ(4096, info.max_metadata_size);
	md = calloc(1, info.max_metadata_size + 1);
	ASSERT_NE(NULL, md);
	EXPECT_EQ(0, pst_export_md(self->sess, self->buf, 0, 0, md,
				   info.max_metadata_size, &h));
	EXPECT_EQ(0, pst_release(self->sess, h));
	EXPECT_EQ(-E2BIG, pst_export_md(self->sess, self->buf, 0, 0, md,
					info.max_metadata_size + 1, &h));
	EXPECT_EQ(-E2BIG, pst_export_md(self->sess, self->buf, 0, 0, md,
					~0U, &h));
	free(md);
}

TEST_F(ps, export_metadata_pointer_ignored_when_size_is_zero)
{
	__u64 h;

	EXPECT_EQ(0, pst_export_md(self->sess, self->buf, 0, 0,
				   (void *)8, 0, &h));
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(ps, export_bad_metadata_pointer_is_efault_and_leaks_nothing)
{
	long before = pst_stat("handles"), dmabufs = pst_dmabuf_count();

	EXPECT_EQ(-EFAULT, pst_export_md(self->sess, self->buf, 0, 0,
					 (void *)8, 16, NULL));
	EXPECT_EQ(before, pst_stat("handles"));
	EXPECT_EQ(dmabufs, pst_dmabuf_count());
}

TEST_F(ps, export_bad_struct_pointer_is_efault)
{
	EXPECT_EQ(-EFAULT, pst_ioctl(self->sess, PRIMESHARE_IOCTL_EXPORT,
				     (void *)8));
}

TEST_F(ps, export_unwritable_struct_is_efault_and_publishes_nothing)
{
	struct primeshare_export e = { .fd = self->buf };
	struct primeshare_list l = { 0 };
	__u64 handles[4];
	void *ro = ro_copy(&e, sizeof(e));

	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, pst_ioctl(self->sess, PRIMESHARE_IOCTL_EXPORT, ro));
	EXPECT_EQ(0, pst_stat("handles"));
	l.handles = (uintptr_t)handles;
	l.count = 4;
	EXPECT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_LIST, &l));
	EXPECT_EQ(0, l.count);
	munmap(ro, 4096);
}

TEST_F(ps, export_struct_sizes)
{
	struct {
		struct primeshare_export e;
		__u64 tail;
	} big = { .e = { .fd = self->buf } };
	__u64 h;

	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess,
				     PST_IOC(_IOC_READ | _IOC_WRITE, 1,
					     sizeof(big.e) - 8), &big));
	ASSERT_EQ(0, pst_ioctl(self->sess,
			       PST_IOC(_IOC_READ | _IOC_WRITE, 1, sizeof(big)),
			       &big));
	h = big.e.handle;
	EXPECT_EQ(0, big.tail);
	EXPECT_EQ(0, pst_release(self->sess, h));
	big.tail = 1;
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess,
				     PST_IOC(_IOC_READ | _IOC_WRITE, 1,
					     sizeof(big)), &big));
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess,
				     PST_IOC(_IOC_WRITE, 1, sizeof(big.e)),
				     &big));
}

TEST_F(ps, release_ends_the_handle)
{
	__u64 h;

	ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h));
	EXPECT_EQ(1, pst_stat("handles"));
	EXPECT_EQ(0, pst_release(self->sess, h));
	EXPECT_EQ(0, pst_stat("handles"));
	EXPECT_EQ(-ENOENT, pst_release(self->sess, h));
	EXPECT_EQ(-ENOENT, pst_import(self->sess, h, 0));
}

TEST_F(ps, release_unknown_handle_is_enoent)
{
	EXPECT_EQ(-ENOENT, pst_release(self->sess, 0));
	EXPECT_EQ(-ENOENT, pst_release(self->sess, 1));
	EXPECT_EQ(-ENOENT, pst_release(self->sess, ~0ULL));
}

TEST_F(ps, release_by_another_session_is_eperm)
{
	int other = pst_open();
	__u64 h;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h));
	EXPECT_EQ(-EPERM, pst_release(other, h));
	ASSERT_EQ(0, pst_export(self->sess, self->buf,
				PRIMESHARE_EXPORT_ONESHOT, 0, &h));
	EXPECT_EQ(-EPERM, pst_release(other, h));
	EXPECT_EQ(0, pst_release(self->sess, h));
	ASSERT_EQ(0, pst_export(self->sess, self->buf,
				PRIMESHARE_EXPORT_REFCOUNTED, 0, &h));
	EXPECT_EQ(-EPERM, pst_release(other, h));
	EXPECT_EQ(0, pst_release(self->sess, h));
	EXPECT_EQ(-ENOENT, pst_release(self->sess, h));
	close(other);
}

TEST_F(ps, release_rejects_flags_padding_and_bad_sizes)
{
	struct primeshare_release r;
	__u64 h;

	ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h));
	r = (struct primeshare_release){ .handle = h, .flags = 1U << 1 };
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess, PRIMESHARE_IOCTL_RELEASE, &r));
	r = (struct primeshare_release){ .handle = h, .flags = 1U << 31 };
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess, PRIMESHARE_IOCTL_RELEASE, &r));
	r = (struct primeshare_release){ .handle = h, .__pad = 1 };
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess, PRIMESHARE_IOCTL_RELEASE, &r));
	r = (struct primeshare_release){ .handle = h };
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess, PST_IOC(_IOC_WRITE, 3, 8), &r));
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess,
				     PST_IOC(_IOC_READ | _IOC_WRITE, 3,
					     sizeof(r)), &r));
	EXPECT_EQ(-EFAULT, pst_ioctl(self->sess, PRIMESHARE_IOCTL_RELEASE,
				     (void *)8));
	EXPECT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_RELEASE, &r));
}

TEST_F(ps, force_release_by_the_owner_ends_every_lifetime)
{
	int other = pst_open(), holder = pst_open(), fd, i;
	static const __u32 lifetimes[] = {
		0, PRIMESHARE_EXPORT_ONESHOT, PRIMESHARE_EXPORT_REFCOUNTED,
	};
	__u64 h;

	ASSERT_LE(0, other);
	ASSERT_LE(0, holder);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, pst_export(self->sess, self->buf, lifetimes[i], 0,
					&h));
		if (lifetimes[i] == PRIMESHARE_EXPORT_REFCOUNTED) {
			fd = pst_import(holder, h, PRIMESHARE_IMPORT_HOLD);
			ASSERT_LE(0, fd);
			close(fd);
			EXPECT_EQ(2, pst_stat("holds"));
		}
		/* Another session of the same owner. */
		EXPECT_EQ(0, pst_release_flags(other, h,
					       PRIMESHARE_RELEASE_FORCE));
		EXPECT_EQ(-ENOENT, pst_import(other, h, 0));
		EXPECT_EQ(-ENOENT, pst_release(self->sess, h));
		EXPECT_EQ(-ENOENT, pst_release(holder, h));
		EXPECT_EQ(-ENOENT, pst_release_flags(other, h,
						     PRIMESHARE_RELEASE_FORCE));
		EXPECT_EQ(0, pst_stat("handles"));
		EXPECT_EQ(0, pst_stat("holds"));
	}
	/* The holder's session closes with a hold on an ended handle. */
	close(holder);
	close(other);
	EXPECT_EQ(0, pst_stat("holds"));
}

TEST_F(ps, closing_the_session_ends_its_handles)
{
	int other = pst_open();
	__u64 h;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, pst_export(other, self->buf, 0, 0, &h));
	ASSERT_EQ(0, pst_export(other, self->buf, 0, 0, NULL));
	ASSERT_EQ(0, pst_export(other, self->buf, PRIMESHARE_EXPORT_ONESHOT,
				0, NULL));
	EXPECT_EQ(3, pst_stat("handles"));
	close(other);
	EXPECT_EQ(0, pst_stat("handles"));
	EXPECT_EQ(-ENOENT, pst_import(self->sess, h, 0));
}

TEST_F(ps, query_describes_the_handle)
{
	struct primeshare_query q;
	char md[40] = "layout", comm[32] = "";
	__u64 h, h2;
	FILE *f;

	ASSERT_EQ(0, pst_export_md(self->sess, self->buf, 0,
				   PRIMESHARE_MODE_OWNER | PRIMESHARE_MODE_OTHER,
				   md, sizeof(md), &h));
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(h, q.handle);
	EXPECT_EQ(0404, q.mode);
	EXPECT_EQ(BUF_SIZE, q.size);
	EXPECT_EQ(geteuid(), q.uid);
	EXPECT_EQ(getegid(), q.gid);
	EXPECT_EQ(0, q.lifetime);
	EXPECT_EQ(sizeof(md), q.metadata_size);
	EXPECT_EQ(0, q.imports);
	EXPECT_EQ(0, q.holders);
	EXPECT_EQ(getpid(), q.exporter_pid);
	EXPECT_EQ(0, q.attributes);
	EXPECT_GT(q.age_ns, 0);
	EXPECT_LT(q.age_ns, 60ULL * 1000000000ULL);
	f = fopen("/proc/self/comm", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = 0;
	EXPECT_STREQ(comm, q.exporter_comm);

	ASSERT_EQ(0, pst_export(self->sess, self->buf,
				PRIMESHARE_EXPORT_REFCOUNTED, 0, &h2));
	ASSERT_EQ(0, pst_query(self->sess, h2, &q));
	EXPECT_EQ(PRIMESHARE_EXPORT_REFCOUNTED, q.lifetime);
	EXPECT_EQ(1, q.holders);
	EXPECT_EQ(0, pst_release(self->sess, h2));
	EXPECT_EQ(0, pst_release(self->sess, h));
	EXPECT_EQ(-ENOENT, pst_query(self->sess, h, &q));
}

TEST_F(ps, query_errors)
{
	struct primeshare_query q;
	__u64 h;

	EXPECT_EQ(-ENOENT, pst_query(self->sess, 0, &q));
	EXPECT_EQ(-ENOENT, pst_query(self->sess, 12345, &q));
	ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h));
	memset(&q, 0, sizeof(q));
	q.handle = h;
	q.flags = 1;
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess, PRIMESHARE_IOCTL_QUERY, &q));
	q.flags = 0;
	q.attributes = 1;
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess, PRIMESHARE_IOCTL_QUERY, &q));
	q.attributes = 0;
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess,
				     PST_IOC(_IOC_READ | _IOC_WRITE, 4, 16), &q));
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess,
				     PST_IOC(_IOC_READ, 4, sizeof(q)), &q));
	EXPECT_EQ(-EFAULT, pst_ioctl(self->sess, PRIMESHARE_IOCTL_QUERY,
				     (void *)8));
	EXPECT_EQ(0, pst_release(self->sess, h));
}

/* Collect a whole LIST walk in batches of @batch. */
static int list_all(int sess, unsigned int batch, __u64 *out, int max)
{
	struct primeshare_list l = { 0 };
	__u64 buf[PRIMESHARE_LIST_MAX];
	int n = 0, ret;

	for (;;) {
		l.handles = (uintptr_t)buf;
		l.count = batch;
		ret = pst_ioctl(sess, PRIMESHARE_IOCTL_LIST, &l);
		if (ret)
			return ret;
		if (!l.count)
			return n;
		if (n + (int)l.count > max)
			return -E2BIG;
		memcpy(out + n, buf, l.count * sizeof(*buf));
		n += l.count;
	}
}

TEST_F(ps, list_walks_every_handle_once_in_export_order)
{
	__u64 h[10], got[20];
	int i, n;

	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h[i]));
	ASSERT_EQ(0, pst_release(self->sess, h[4]));

	n = list_all(self->sess, 3, got, 20);
	ASSERT_EQ(9, n);
	for (i = 0; i < 9; i++)
		EXPECT_EQ(h[i < 4 ? i : i + 1], got[i]);
	n = list_all(self->sess, PRIMESHARE_LIST_MAX, got, 20);
	EXPECT_EQ(9, n);
	n = list_all(self->sess, 1, got, 20);
	EXPECT_EQ(9, n);
	for (i = 0; i < 10; i++)
		if (i != 4)
			ASSERT_EQ(0, pst_release(self->sess, h[i]));
	EXPECT_EQ(0, list_all(self->sess, 5, got, 20));
}

/*
 * The cursor is the last handle returned, so it tells the caller nothing
 * new; a walk resumes after it even when that handle has ended since.
 */
TEST_F(ps, list_cursor_is_the_last_handle)
{
	struct primeshare_list l = { 0 };
	__u64 buf[4], h[3];
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h[i]));
	l.handles = (uintptr_t)buf;
	l.count = 1;
	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_LIST, &l));
	ASSERT_EQ(1, l.count);
	EXPECT_EQ(h[0], buf[0]);
	EXPECT_EQ(h[0], l.cursor);
	ASSERT_EQ(0, pst_release(self->sess, h[0]));
	l.count = 4;
	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_LIST, &l));
	ASSERT_EQ(2, l.count);
	EXPECT_EQ(h[1], buf[0]);
	EXPECT_EQ(h[2], buf[1]);
	EXPECT_EQ(h[2], l.cursor);
	/* At the end: nothing written, the cursor stays. */
	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_LIST, &l));
	EXPECT_EQ(0, l.count);
	EXPECT_EQ(h[2], l.cursor);
	for (i = 1; i < 3; i++)
		EXPECT_EQ(0, pst_release(self->sess, h[i]));
}

TEST_F(ps, list_cursor_past_the_end_is_empty)
{
	struct primeshare_list l = { 0 };
	__u64 buf[4], h;

	ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h));
	l.handles = (uintptr_t)buf;
	l.count = 4;
	l.cursor = ~0ULL;
	EXPECT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_LIST, &l));
	EXPECT_EQ(0, l.count);
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(ps, list_errors)
{
	struct primeshare_list l = { 0 };
	__u64 buf[4], h;

	ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h));
	l.handles = (uintptr_t)buf;
	l.count = 0;
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess, PRIMESHARE_IOCTL_LIST, &l));
	l.count = PRIMESHARE_LIST_MAX + 1;
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess, PRIMESHARE_IOCTL_LIST, &l));
	l.count = 4;
	l.flags = 1;
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess, PRIMESHARE_IOCTL_LIST, &l));
	l.flags = 0;
	l.handles = 8;
	EXPECT_EQ(-EFAULT, pst_ioctl(self->sess, PRIMESHARE_IOCTL_LIST, &l));
	EXPECT_EQ(-EFAULT, pst_ioctl(self->sess, PRIMESHARE_IOCTL_LIST,
				     (void *)8));
	l.handles = (uintptr_t)buf;
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess,
				     PST_IOC(_IOC_READ | _IOC_WRITE, 5, 16), &l));
	EXPECT_EQ(-EINVAL, pst_ioctl(self->sess,
				     PST_IOC(_IOC_WRITE, 5, sizeof(l)), &l));
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(ps, debugfs_lists_live_handles)
{
	char line[256], want[32];
	int found = 0;
	FILE *f;
	__u64 h;

	ASSERT_EQ(0, pst_export(self->sess, self->buf,
				PRIMESHARE_EXPORT_ONESHOT, 0044, &h));
	snprintf(want, sizeof(want), "%016llx ", (unsigned long long)h);
	f = fopen(PST_DEBUGFS "/handles", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want))) {
			found++;
			EXPECT_NE(NULL, strstr(line, " 0044 oneshot "));
		}
	fclose(f);
	EXPECT_EQ(1, found);
	EXPECT_EQ(0, pst_release(self->sess, h));
	found = 0;
	f = fopen(PST_DEBUGFS "/handles", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)))
			found++;
	fclose(f);
	EXPECT_EQ(0, found);
}

TEST_F(ps, registry_holds_its_own_dmabuf_reference)
{
	long before = pst_dmabuf_count();
	int fd;
	__u64 h;

	fd = pst_vgem_dmabuf(self->drm, BUF_SIZE);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pst_export(self->sess, fd, 0, 0, &h));
	close(fd);
	EXPECT_EQ(before + 1, pst_dmabuf_count());
	fd = pst_import(self->sess, h, PRIMESHARE_IMPORT_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(BUF_SIZE, lseek(fd, 0, SEEK_END));
	close(fd);
	EXPECT_EQ(0, pst_release(self->sess, h));
	EXPECT_EQ(before, pst_dmabuf_count());
}

TEST_HARNESS_MAIN
