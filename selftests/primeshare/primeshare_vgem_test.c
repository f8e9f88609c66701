// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * The pipeline every other test builds on: a vgem dumb buffer exported with
 * PRIME is a dma-buf that can be mapped, written, synchronised and read by
 * another process.
 */
#include <linux/dma-buf.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "ps_test.h"

#define BUF_SIZE (64 * 1024)

static int dmabuf_sync(int fd, __u64 flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	return pst_ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
}

static void fill(__u32 *p, size_t n, __u32 seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = seed ^ (__u32)(i * 2654435761u);
}

static size_t first_mismatch(const __u32 *p, size_t n, __u32 seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (seed ^ (__u32)(i * 2654435761u)))
			return i;
	return n;
}

static int send_fd(int sock, int fd)
{
	char c = 'F';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -errno;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

FIXTURE(vgem) {
	int drm;
};

FIXTURE_SETUP(vgem)
{
	pst_require_device(_metadata);
	self->drm = pst_open_drm("vgem");
	ASSERT_LE(0, self->drm) TH_LOG("no vgem DRM node (is vgem loaded?)");
}

FIXTURE_TEARDOWN(vgem)
{
	close(self->drm);
}

TEST_F(vgem, prime_export_gives_a_dmabuf_of_the_right_size)
{
	int fd = pst_vgem_dmabuf(self->drm, BUF_SIZE);

	ASSERT_LE(0, fd) TH_LOG("PRIME export failed: %s", strerror(-fd));
	EXPECT_EQ(BUF_SIZE, lseek(fd, 0, SEEK_END));
	close(fd);
}

TEST_F(vgem, dmabuf_bytes_cross_processes)
{
	int fd = pst_vgem_dmabuf(self->drm, BUF_SIZE);
	int sv[2], status;
	__u32 *map;
	pid_t pid;

	ASSERT_LE(0, fd);
	map = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	fill(map, BUF_SIZE / 4, 0x5eed);
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
	munmap(map, BUF_SIZE);

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int rfd = recv_fd(sv[1]);
		__u32 *p;
		size_t bad;

		if (rfd < 0)
			_exit(10);
		p = mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, rfd, 0);
		if (p == MAP_FAILED)
			_exit(11);
		if (dmabuf_sync(rfd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ))
			_exit(12);
		bad = first_mismatch(p, BUF_SIZE / 4, 0x5eed);
		dmabuf_sync(rfd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		_exit(bad == BUF_SIZE / 4 ? 0 : 13);
	}
	ASSERT_EQ(0, send_fd(sv[0], fd));
	close(fd);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(sv[0]);
	close(sv[1]);
}

TEST_HARNESS_MAIN
