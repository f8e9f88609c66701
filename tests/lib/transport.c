/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * primeshare_send_fd(), primeshare_recv_fd() and primeshare_peer_cred()
 * between two processes: a child connects to the parent over a Unix
 * SOCK_SEQPACKET socket and sends a series of messages, good and bad; the
 * parent checks what arrives, and that nothing leaks.
 */
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "primeshare.h"
#include "tap.h"
#include "util.h"

#define BUF_SIZE 65536

static const char payload[] = "metadata for the buffer";

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 131 + (i >> 8));
}

static int make_buffer(void)
{
	unsigned char *p;
	size_t i;
	int fd = memfd_create("transport-buffer", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, BUF_SIZE))
		return -1;
	p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	for (i = 0; i < BUF_SIZE; i++)
		p[i] = pattern(i);
	munmap(p, BUF_SIZE);
	return fd;
}

static int same_bytes(int fd)
{
	unsigned char *p;
	size_t i;
	int ok = 1;

	p = mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 0;
	for (i = 0; i < BUF_SIZE && ok; i++)
		ok = p[i] == pattern(i);
	munmap(p, BUF_SIZE);
	return ok;
}

/* sendmsg() with @n copies of @fd, bypassing the library. */
static int send_raw(int sock, int fd, int n)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 32)];
	} ctl;
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	int i;

	if (n) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * n);
		for (i = 0; i < n; i++)
			memcpy(CMSG_DATA(cmsg) + i * sizeof(int), &fd,
			       sizeof(int));
	}
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/*
 * The child: connect, send every message, wait for the parent's word,
 * then hang up.  The exit status counts what went wrong.
 */
static int child(const struct sockaddr_un *addr, socklen_t len)
{
	unsigned char big[64] = { 0 };
	int sock, fd, bad = 0;
	pid_t ppid = 0;
	uid_t uid = 0;
	gid_t gid = 0;
	char c;

	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (const struct sockaddr *)addr, len))
		return 100;
	fd = make_buffer();
	if (fd < 0)
		return 101;

	bad += primeshare_peer_cred(sock, &ppid, &uid, &gid) != 0;
	bad += ppid != getppid() || uid != geteuid() || gid != getegid();

	bad += primeshare_send_fd(sock, fd, payload, sizeof(payload)) != 0;
	bad += primeshare_send_fd(sock, fd, NULL, 0) != 0;
	bad += primeshare_send_fd(sock, fd, NULL, 0) != 0;
	bad += send_raw(sock, fd, 2) != 0;
	bad += send_raw(sock, fd, 0) != 0;
	bad += send_raw(sock, fd, 30) != 0;
	bad += primeshare_send_fd(sock, fd, big, sizeof(big)) != 0;
	bad += primeshare_send_fd(sock, fd, big, 5) != 0;
	bad += primeshare_send_fd(sock, fd, payload, sizeof(payload)) != 0;
	close(fd);

	/* Hang up only when the parent has read everything. */
	bad += read(sock, &c, 1) != 1;
	close(sock);
	return bad;
}

static void check_recv(int sock, void *data, size_t *size, int want,
		       const char *what)
{
	int before = tu_fd_count();

	TAP_EXPECT(primeshare_recv_fd(sock, data, size), want, "%s", what);
	tap_ok(tu_fd_count() == before, "... and no fd is left open");
}

int main(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	unsigned char buf[256];
	int lsock, sock, fd, status, start, flags, r;
	pid_t pid, cpid = 0;
	uid_t uid = 0;
	gid_t gid = 0;
	socklen_t len;
	size_t size;
	int pair[2];

	start = tu_fd_count();

	/* An abstract address: nothing to clean up in the file system. */
	snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1,
		 "primeshare-lib-transport-%d", (int)getpid());
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			  strlen(addr.sun_path + 1));
	lsock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (lsock < 0 || bind(lsock, (struct sockaddr *)&addr, len) ||
	    listen(lsock, 1)) {
		printf("Bail out! cannot listen on a Unix socket\n");
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("Bail out! fork\n");
		return 1;
	}
	if (pid == 0) {
		close(lsock);
		exit(child(&addr, len));
	}
	sock = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	close(lsock);
	if (sock < 0) {
		printf("Bail out! accept\n");
		return 1;
	}

	TAP_EXPECT(primeshare_peer_cred(sock, &cpid, &uid, &gid), 0,
		   "peer_cred works on the accepted socket");
	tap_ok(cpid == pid && uid == geteuid() && gid == getegid(),
	       "... and gives the child's pid, uid and gid");
	TAP_EXPECT(primeshare_peer_cred(sock, NULL, NULL, NULL), 0,
		   "peer_cred takes NULL for every output");

	/* 1: a buffer and a payload */
	memset(buf, 0, sizeof(buf));
	size = sizeof(buf);
	errno = TAP_ERRNO_SENTINEL;
	fd = primeshare_recv_fd(sock, buf, &size);
	tap_ok(fd >= 0 && errno == TAP_ERRNO_SENTINEL,
	       "recv_fd receives an fd (%d)", fd);
	tap_ok(size == sizeof(payload) && !memcmp(buf, payload, size),
	       "... with the whole payload");
	flags = fd >= 0 ? fcntl(fd, F_GETFD) : 0;
	tap_ok(flags >= 0 && (flags & FD_CLOEXEC),
	       "... and close-on-exec set");
	tap_ok(fd >= 0 && same_bytes(fd),
	       "the receiver reads the sender's %d bytes", BUF_SIZE);
	if (fd >= 0)
		close(fd);

	/* 2, 3: no payload */
	errno = TAP_ERRNO_SENTINEL;
	fd = primeshare_recv_fd(sock, NULL, NULL);
	tap_ok(fd >= 0 && errno == TAP_ERRNO_SENTINEL,
	       "a message sent without payload arrives with no buffer");
	if (fd >= 0)
		close(fd);
	size = sizeof(buf);
	buf[0] = 0xaa;
	fd = primeshare_recv_fd(sock, buf, &size);
	tap_ok(fd >= 0 && size == 1 && buf[0] == 0,
	       "... and as one zero byte to a receiver with room");
	if (fd >= 0)
		close(fd);

	/* 4, 5, 6: not exactly one fd */
	size = sizeof(buf);
	check_recv(sock, buf, &size, -EBADMSG,
		   "two fds in one message: EBADMSG");
	size = sizeof(buf);
	check_recv(sock, buf, &size, -EBADMSG,
		   "a message without fd: EBADMSG");
	size = sizeof(buf);
	check_recv(sock, buf, &size, -EBADMSG,
		   "thirty fds, more than fit: EBADMSG");

	/* 7, 8: payload too large */
	size = 16;
	check_recv(sock, buf, &size, -EMSGSIZE,
		   "64 bytes into a 16-byte buffer: EMSGSIZE");
	tap_ok(size == 16, "... leaves the size alone");
	size = 0;
	check_recv(sock, NULL, &size, -EMSGSIZE,
		   "5 bytes into no buffer: EMSGSIZE");

	/* 9: and the socket still works */
	size = sizeof(buf);
	fd = primeshare_recv_fd(sock, buf, &size);
	tap_ok(fd >= 0 && size == sizeof(payload),
	       "after the errors a good message still arrives");
	if (fd >= 0)
		close(fd);

	/* The child hangs up. */
	r = write(sock, "k", 1) == 1;
	waitpid(pid, &status, 0);
	tap_ok(r && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "the child's sends and peer_cred worked (status %d)",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	size = sizeof(buf);
	check_recv(sock, buf, &size, -ECONNRESET,
		   "recv_fd from a peer that closed: ECONNRESET");
	fd = make_buffer();
	TAP_EXPECT(primeshare_send_fd(sock, fd, payload, sizeof(payload)),
		   -EPIPE, "send_fd to a peer that closed: EPIPE, no SIGPIPE");
	close(sock);

	/* A stream socket: the fd rides on the first byte. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0) {
		int got;

		TAP_EXPECT(primeshare_send_fd(pair[0], fd, NULL, 0), 0,
			   "send_fd over a stream socket");
		size = 0;
		errno = TAP_ERRNO_SENTINEL;
		got = primeshare_recv_fd(pair[1], NULL, &size);
		tap_ok(got >= 0 && size == 0 && same_bytes(got) &&
		       errno == TAP_ERRNO_SENTINEL,
		       "... arrives with the buffer and no payload");
		if (got >= 0)
			close(got);
		close(pair[0]);
		close(pair[1]);
	}
	close(fd);

	tap_ok(tu_fd_count() == start, "no fd is left open at the end");
	return tap_done();
}
