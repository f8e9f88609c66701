// SPDX-License-Identifier: MIT
/*
 * pipeline-demo: what the module skeleton can show.  `info` reads the
 * module's uAPI version; `serve SOCKET` makes a vgem buffer, fills it and
 * hands its dma-buf fd to whoever connects; `fetch SOCKET` receives the fd
 * and checks every byte.  Run serve and fetch as two separate processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/drm_mode.h>
#include <linux/dma-buf.h>

#include "uapi/primeshare.h"

#define BUF_SIZE (1024 * 1024)

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 10));
}

static int fail(const char *what)
{
	fprintf(stderr, "pipeline-demo: %s: %s\n", what, strerror(errno));
	return 1;
}

static int cmd_info(void)
{
	struct primeshare_info info = { 0 };
	int fd = open("/dev/primeshare", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return fail("open /dev/primeshare");
	if (ioctl(fd, PRIMESHARE_IOCTL_INFO, &info))
		return fail("PRIMESHARE_IOCTL_INFO");
	printf("primeshare.ko loaded: uAPI %u.%u, metadata up to %u bytes, "
	       "%u handles per session\n", info.version_major,
	       info.version_minor, info.max_metadata_size,
	       info.max_handles_per_session);
	close(fd);
	return 0;
}

static int open_vgem(void)
{
	char path[32], name[16];
	int i, fd;

	for (i = 0; i < 8; i++) {
		struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	errno = ENODEV;
	return -1;
}

static int listen_on(const char *path, struct sockaddr_un *addr)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	snprintf(addr->sun_path, sizeof(addr->sun_path), "%s", path);
	if (s < 0)
		return -1;
	unlink(path);
	if (bind(s, (struct sockaddr *)addr, sizeof(*addr)) || listen(s, 1)) {
		close(s);
		return -1;
	}
	return s;
}

static int cmd_serve(const char *path)
{
	struct drm_mode_create_dumb dumb = { .width = 1024, .height = BUF_SIZE / 4096, .bpp = 32 };
	struct drm_prime_handle prime = { .flags = DRM_RDWR | DRM_CLOEXEC };
	struct dma_buf_sync sync = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE };
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
	struct iovec iov = { .iov_base = "F", .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.b, .msg_controllen = sizeof(u.b) };
	struct sockaddr_un addr;
	struct cmsghdr *c;
	uint8_t *map;
	int drm, s, conn;
	size_t i;

	drm = open_vgem();
	if (drm < 0)
		return fail("no vgem device");
	if (ioctl(drm, DRM_IOCTL_MODE_CREATE_DUMB, &dumb))
		return fail("vgem dumb buffer");
	prime.handle = dumb.handle;
	if (ioctl(drm, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime))
		return fail("PRIME export");
	map = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, prime.fd, 0);
	if (map == MAP_FAILED)
		return fail("mmap dma-buf");
	ioctl(prime.fd, DMA_BUF_IOCTL_SYNC, &sync);
	for (i = 0; i < BUF_SIZE; i++)
		map[i] = pattern(i);
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE;
	ioctl(prime.fd, DMA_BUF_IOCTL_SYNC, &sync);
	printf("serve (pid %d): vgem buffer of %d bytes exported by PRIME as dma-buf fd %d, pattern written\n",
	       (int)getpid(), BUF_SIZE, prime.fd);
	fflush(stdout);

	s = listen_on(path, &addr);
	if (s < 0)
		return fail("listen");
	conn = accept4(s, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return fail("accept");
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &prime.fd, sizeof(int));
	if (sendmsg(conn, &msg, 0) != 1)
		return fail("sendmsg");
	printf("serve: dma-buf fd sent over %s (SCM_RIGHTS)\n", path);
	close(conn);
	close(s);
	unlink(path);
	return 0;
}

static int cmd_fetch(const char *path)
{
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
	char ch;
	struct iovec iov = { .iov_base = &ch, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.b, .msg_controllen = sizeof(u.b) };
	struct dma_buf_sync sync = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct cmsghdr *c;
	const uint8_t *map;
	int s, fd, tries;
	size_t i, bad = 0;
	off_t size;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	for (tries = 0; tries < 500; tries++) {
		if (!connect(s, (struct sockaddr *)&addr, sizeof(addr)))
			break;
		usleep(10000);
	}
	if (tries == 500)
		return fail("connect");
	if (recvmsg(s, &msg, MSG_CMSG_CLOEXEC) != 1)
		return fail("recvmsg");
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS) {
		errno = EPROTO;
		return fail("no fd received");
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	size = lseek(fd, 0, SEEK_END);
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return fail("mmap received dma-buf");
	ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
	for (i = 0; i < (size_t)size; i++)
		bad += map[i] != pattern(i);
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
	printf("fetch (pid %d): received dma-buf fd %d of %lld bytes; %zu of %lld bytes differ from the pattern\n",
	       (int)getpid(), fd, (long long)size, bad, (long long)size);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "info"))
		return cmd_info();
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return cmd_serve(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "fetch"))
		return cmd_fetch(argv[2]);
	fprintf(stderr, "usage: pipeline-demo info | serve SOCKET | fetch SOCKET\n");
	return 2;
}
