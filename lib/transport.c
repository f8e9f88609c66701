/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * dma-buf file descriptors over Unix sockets: one fd and a payload per
 * message, as SCM_RIGHTS.
 *
 * A message always carries at least one byte, since a Unix stream socket
 * does not deliver control data without any: when the caller has no
 * payload, one zero byte goes instead, and a receiver that asked for no
 * payload takes a one-byte message as empty.  Message boundaries, and so
 * -EMSGSIZE, need a SOCK_SEQPACKET or SOCK_DGRAM socket; a SOCK_STREAM one
 * hands out the payload as it comes.
 *
 * Errors particular to these functions: -EBADMSG when a message carries no
 * fd or more than one (every fd it carried is closed), -EMSGSIZE when its
 * payload did not fit (the fd is closed, the message is gone), -ECONNRESET
 * when receiving from a peer that has closed its end, -EPIPE when sending
 * to one.
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

/* SCM_RIGHTS room for more fds than we accept, to see extra ones. */
#define LIBPS_RECV_FDS 8

PRIMESHARE_API int primeshare_send_fd(int sock, int fd, const void *data,
				      size_t size)
{
	LIBPS_KEEP_ERRNO;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	unsigned char dummy = 0;
	struct cmsghdr *cmsg;
	struct msghdr msg;
	struct iovec iov;
	size_t total, done;
	const void *base;
	ssize_t n;

	if (sock < 0 || fd < 0)
		return -EBADF;
	if (size && !data)
		return -EINVAL;

	base = size ? data : &dummy;
	total = size ? size : 1;
	iov.iov_base = (void *)base;
	iov.iov_len = total;
	memset(&msg, 0, sizeof(msg));
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));

	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;

	/* A stream socket may take part of it: the fd went with that. */
	msg.msg_control = NULL;
	msg.msg_controllen = 0;
	for (done = (size_t)n; done < total; done += (size_t)n) {
		iov.iov_base = (char *)base + done;
		iov.iov_len = total - done;
		do {
			n = sendmsg(sock, &msg, MSG_NOSIGNAL);
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
	}
	return 0;
}

/* Close every fd of an SCM_RIGHTS block but the one kept in *keep. */
static void libps_take_fds(struct cmsghdr *cmsg, int *keep, int *count)
{
	size_t len = cmsg->cmsg_len - CMSG_LEN(0);
	size_t i;

	for (i = 0; i < len / sizeof(int); i++) {
		int fd;

		memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
		if (*keep < 0)
			*keep = fd;
		else
			close(fd);
		++*count;
	}
}

PRIMESHARE_API int primeshare_recv_fd(int sock, void *data, size_t *size)
{
	LIBPS_KEEP_ERRNO;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * LIBPS_RECV_FDS) +
			 CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	unsigned char scratch;
	struct cmsghdr *cmsg;
	struct msghdr msg;
	struct iovec iov;
	int fd = -1, nfds = 0;
	size_t cap;
	ssize_t n;

	if (sock < 0)
		return -EBADF;
	if (!size && data)
		return -EINVAL;
	cap = size ? *size : 0;
	if (cap && !data)
		return -EINVAL;

	iov.iov_base = cap ? data : &scratch;
	iov.iov_len = cap ? cap : 1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);

	do {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;

	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg))
		if (cmsg->cmsg_level == SOL_SOCKET &&
		    cmsg->cmsg_type == SCM_RIGHTS)
			libps_take_fds(cmsg, &fd, &nfds);

	/* Nothing at all: the end of the stream, the peer has gone. */
	if (n == 0 && !nfds && !(msg.msg_flags & MSG_CTRUNC))
		return -ECONNRESET;
	if (nfds != 1 || (msg.msg_flags & MSG_CTRUNC)) {
		if (fd >= 0)
			close(fd);
		return -EBADMSG;
	}
	if (msg.msg_flags & MSG_TRUNC) {
		close(fd);
		return -EMSGSIZE;
	}
	if (size)
		*size = cap ? (size_t)n : 0;
	return fd;
}

PRIMESHARE_API int primeshare_peer_cred(int sock, pid_t *pid, uid_t *uid,
					gid_t *gid)
{
	LIBPS_KEEP_ERRNO;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (sock < 0)
		return -EBADF;
	memset(&cred, 0, sizeof(cred));
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -errno;
	if (len != sizeof(cred))
		return -EPROTO;
	if (pid)
		*pid = cred.pid;
	if (uid)
		*uid = cred.uid;
	if (gid)
		*gid = cred.gid;
	return 0;
}
