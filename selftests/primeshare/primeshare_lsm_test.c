// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * A Linux Security Module can refuse an IMPORT: IMPORT installs its file
 * descriptor through receive_fd(), so the file_receive hook runs.  The LSM
 * is a BPF LSM program (primeshare_lsm.bpf.c) that refuses with EPERM
 * every file this test's process receives, and nothing else.
 *
 * A refused IMPORT installs no descriptor, writes -1 to arg.fd, does not
 * consume a oneshot handle and adds no hold.  The SCM_RIGHTS case shows
 * that the program is live whatever primeshare does.
 *
 * Where the BPF LSM cannot run (no kernel BTF, "bpf" not among the active
 * LSMs, the program does not load), every case is skipped with the reason.
 */
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <bpf/libbpf.h>

#include "kselftest_harness.h"
#include "ps_test.h"
#include "primeshare_lsm.skel.h"

#define BUF_SIZE (64 * 1024)
#define LSM_LIST "/sys/kernel/security/lsm"
#define KERNEL_BTF "/sys/kernel/btf/vmlinux"
/* Written by nobody: tells a structure written back from one left alone. */
#define FD_UNWRITTEN (-2)

FIXTURE(lsm) {
	struct primeshare_lsm *skel;
	char why[768];
	int sess;
	int drm;
	int buf;
};

/* libbpf's warnings (a verifier log, say) as TAP comments. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	fprintf(stderr, "# libbpf: ");
	return vfprintf(stderr, fmt, ap);
}

/* Whether the LSM "bpf" is active; why not in @why. */
static bool bpf_lsm_active(char *why, size_t len)
{
	char list[512], *tok, *save;
	ssize_t n;
	int fd;

	if (access(KERNEL_BTF, R_OK)) {
		snprintf(why, len, "no %s (%s): the kernel has no BTF",
			 KERNEL_BTF, strerror(errno));
		return false;
	}
	fd = open(LSM_LIST, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT &&
	    !mount("none", "/sys/kernel/security", "securityfs", 0, NULL))
		fd = open(LSM_LIST, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "cannot read %s: %s", LSM_LIST,
			 strerror(errno));
		return false;
	}
	n = read(fd, list, sizeof(list) - 1);
	close(fd);
	if (n < 0) {
		snprintf(why, len, "read %s: %s", LSM_LIST, strerror(errno));
		return false;
	}
	list[n] = '\0';
	list[strcspn(list, "\n")] = '\0';
	snprintf(why, len, "bpf is not among the active LSMs (%s: %s)",
		 LSM_LIST, list);
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, "bpf"))
			return true;
	return false;
}

/*
 * Open and load the program, which refuses files to this process only
 * once attached.  NULL with the reason in @why when the kernel cannot run
 * it: then every case is a skip.
 */
static struct primeshare_lsm *lsm_load(char *why, size_t len)
{
	struct primeshare_lsm *skel;
	int err;

	libbpf_set_print(libbpf_print);
	skel = primeshare_lsm__open();
	if (!skel) {
		snprintf(why, len, "opening the BPF object failed: %s",
			 strerror(errno));
		return NULL;
	}
	skel->bss->target_tgid = getpid();
	err = primeshare_lsm__load(skel);
	if (err) {
		snprintf(why, len, "loading the BPF LSM program failed: %s",
			 strerror(-err));
		primeshare_lsm__destroy(skel);
		return NULL;
	}
	return skel;
}

/*
 * The harness of older kernels runs a case after a skip in its setup, so
 * setup only notes why the BPF LSM cannot run, and every case skips.
 */
FIXTURE_SETUP(lsm)
{
	pst_require_device(_metadata);
	self->sess = -1;
	self->drm = -1;
	self->buf = -1;
	if (!bpf_lsm_active(self->why, sizeof(self->why)))
		return;
	self->skel = lsm_load(self->why, sizeof(self->why));
	if (!self->skel)
		return;
	self->sess = pst_open();
	ASSERT_LE(0, self->sess) TH_LOG("open %s: %s", PST_DEVICE, strerror(errno));
	self->drm = pst_open_drm("vgem");
	ASSERT_LE(0, self->drm) TH_LOG("no vgem DRM node (is vgem loaded?)");
	self->buf = pst_vgem_dmabuf(self->drm, BUF_SIZE);
	ASSERT_LE(0, self->buf);
}

FIXTURE_TEARDOWN(lsm)
{
	/* Detaches the program too. */
	if (self->skel)
		primeshare_lsm__destroy(self->skel);
	if (self->buf >= 0)
		close(self->buf);
	if (self->drm >= 0)
		close(self->drm);
	if (self->sess >= 0)
		close(self->sess);
}

static long denials(struct primeshare_lsm *skel)
{
	return __atomic_load_n(&skel->bss->denials, __ATOMIC_RELAXED);
}

static ino_t inode_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

/* IMPORT through @im, closing a descriptor it installed: 0 or -errno. */
static int import_close(int sess, struct primeshare_import *im)
{
	int ret;

	im->fd = FD_UNWRITTEN;
	ret = pst_ioctl(sess, PRIMESHARE_IOCTL_IMPORT, im);
	if (!ret && im->fd >= 0)
		close(im->fd);
	return ret;
}

/* Send one byte with @fd in SCM_RIGHTS: 0 or -errno. */
static int send_fd(int sock, int fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	char byte = 'x';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;

	memset(&ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

/*
 * Receive one byte and the descriptor sent with it: *@fd is -1 when none
 * came, *@flags the msg_flags.  0 or -errno.
 */
static int recv_fd(int sock, int *fd, int *flags)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	if (n != 1)
		return -EIO;
	*flags = msg.msg_flags;
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

/*
 * The control: the program refuses a dma-buf passed over a socket to this
 * process, which has nothing to do with primeshare.  Were this to fail,
 * the other cases would prove nothing.
 */
TEST_F(lsm, scm_rights_refused_while_attached)
{
	int sv[2], fd, flags, fds, next;

	if (!self->skel)
		SKIP(return, "%s", self->why);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, primeshare_lsm__attach(self->skel));
	fds = pst_count_fds();
	next = pst_next_fd();
	ASSERT_EQ(0, send_fd(sv[0], self->buf));
	ASSERT_EQ(0, recv_fd(sv[1], &fd, &flags));
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(MSG_CTRUNC, flags & MSG_CTRUNC);
	EXPECT_EQ(1, denials(self->skel));
	EXPECT_EQ(fds, pst_count_fds());
	EXPECT_EQ(next, pst_next_fd());
	if (fd >= 0)
		close(fd);

	primeshare_lsm__detach(self->skel);
	ASSERT_EQ(0, send_fd(sv[0], self->buf));
	ASSERT_EQ(0, recv_fd(sv[1], &fd, &flags));
	EXPECT_LE(0, fd);
	EXPECT_EQ(0, flags & MSG_CTRUNC);
	EXPECT_EQ(inode_of(self->buf), inode_of(fd));
	EXPECT_EQ(1, denials(self->skel));
	if (fd >= 0)
		close(fd);
	close(sv[0]);
	close(sv[1]);
}

TEST_F(lsm, import_refused_installs_no_fd)
{
	struct primeshare_import im = { 0 };
	struct primeshare_query q;
	int fds, next, ret;
	__u64 h;

	if (!self->skel)
		SKIP(return, "%s", self->why);
	ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h));
	ASSERT_EQ(0, primeshare_lsm__attach(self->skel));
	fds = pst_count_fds();
	next = pst_next_fd();
	im.handle = h;
	im.flags = PRIMESHARE_IMPORT_CLOEXEC;
	ret = import_close(self->sess, &im);
	EXPECT_EQ(-EPERM, ret) TH_LOG("IMPORT did not run the file_receive hook");
	EXPECT_EQ(-1, im.fd);
	EXPECT_EQ(fds, pst_count_fds());
	EXPECT_EQ(next, pst_next_fd());
	EXPECT_EQ(1, denials(self->skel));
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(0, q.imports);

	/* Detaching closes the link's descriptor. */
	primeshare_lsm__detach(self->skel);
	next = pst_next_fd();
	im.fd = FD_UNWRITTEN;
	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_IMPORT, &im));
	EXPECT_EQ(next, im.fd);
	EXPECT_EQ(inode_of(self->buf), inode_of(im.fd));
	close(im.fd);
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_F(lsm, refused_import_leaves_oneshot_handle)
{
	struct primeshare_import im = { 0 };
	struct primeshare_query q;
	int fd;
	__u64 h;

	if (!self->skel)
		SKIP(return, "%s", self->why);
	ASSERT_EQ(0, pst_export(self->sess, self->buf,
				PRIMESHARE_EXPORT_ONESHOT, 0, &h));
	ASSERT_EQ(0, primeshare_lsm__attach(self->skel));
	im.handle = h;
	EXPECT_EQ(-EPERM, import_close(self->sess, &im));
	/* A oneshot import that installs nothing writes nothing back. */
	EXPECT_EQ(FD_UNWRITTEN, im.fd);
	EXPECT_EQ(0, im.size);
	EXPECT_EQ(1, denials(self->skel));
	/* The handle is still there. */
	EXPECT_EQ(0, pst_query(self->sess, h, &q));

	primeshare_lsm__detach(self->skel);
	fd = pst_import(self->sess, h, PRIMESHARE_IMPORT_CLOEXEC);
	EXPECT_LE(0, fd);
	EXPECT_EQ(inode_of(self->buf), inode_of(fd));
	if (fd >= 0)
		close(fd);
	/* That import consumed it. */
	EXPECT_EQ(-ENOENT, pst_import(self->sess, h, 0));
	EXPECT_EQ(-ENOENT, pst_query(self->sess, h, &q));
}

TEST_F(lsm, refused_hold_leaves_holders)
{
	struct primeshare_import im = { 0 };
	struct primeshare_query q;
	__u32 holders, imports;
	__u64 h;

	if (!self->skel)
		SKIP(return, "%s", self->why);
	ASSERT_EQ(0, pst_export(self->sess, self->buf,
				PRIMESHARE_EXPORT_REFCOUNTED, 0, &h));
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	holders = q.holders;
	imports = q.imports;
	ASSERT_EQ(0, primeshare_lsm__attach(self->skel));
	im.handle = h;
	im.flags = PRIMESHARE_IMPORT_HOLD | PRIMESHARE_IMPORT_CLOEXEC;
	EXPECT_EQ(-EPERM, import_close(self->sess, &im));
	EXPECT_EQ(-1, im.fd);
	EXPECT_EQ(1, denials(self->skel));
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(holders, q.holders);
	EXPECT_EQ(imports, q.imports);

	primeshare_lsm__detach(self->skel);
	EXPECT_EQ(0, import_close(self->sess, &im));
	EXPECT_LE(0, im.fd);
	ASSERT_EQ(0, pst_query(self->sess, h, &q));
	EXPECT_EQ(holders + 1, q.holders);
	EXPECT_EQ(imports + 1, q.imports);
	EXPECT_EQ(0, pst_release_flags(self->sess, h,
				       PRIMESHARE_RELEASE_FORCE));
}

/* Attaching and detaching leaves nothing behind: imports work. */
TEST_F(lsm, import_works_after_detach)
{
	struct primeshare_import im = { 0 };
	__u64 h;

	if (!self->skel)
		SKIP(return, "%s", self->why);
	ASSERT_EQ(0, pst_export(self->sess, self->buf, 0, 0, &h));
	ASSERT_EQ(0, primeshare_lsm__attach(self->skel));
	primeshare_lsm__detach(self->skel);
	im.handle = h;
	ASSERT_EQ(0, pst_ioctl(self->sess, PRIMESHARE_IOCTL_IMPORT, &im));
	EXPECT_LE(0, im.fd);
	EXPECT_EQ(inode_of(self->buf), inode_of(im.fd));
	close(im.fd);
	EXPECT_EQ(0, denials(self->skel));
	EXPECT_EQ(0, pst_release(self->sess, h));
}

TEST_HARNESS_MAIN
