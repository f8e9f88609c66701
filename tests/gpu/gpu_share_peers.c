// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/* gpu_share: B, the importer, and A's side of the socket to it. */
#include "gpu_share.h"

/* --- B, the importer ------------------------------------------------- */

static int32_t import(struct gs *g, struct image *im, int fd, struct msg *m)
{
	VkResult res;

	if (fd < 0)
		return -EBADF;
	res = image_create(g, im, true, fd, m->memory_type, m->size);
	if (res != VK_SUCCESS) {
		fprintf(stderr, "gpu_share: import: VkResult %d\n", res);
		close(fd);	/* a failed import leaves it with us */
		return -EIO;
	}
	return 0;
}

/* import(), then acquire the image from VK_QUEUE_FAMILY_EXTERNAL. */
static int32_t import_acquired(struct gs *g, struct image *im, int fd,
			       struct msg *m)
{
	VkCommandBuffer cb;
	int32_t status = import(g, im, fd, m);

	if (status)
		return status;
	cb = vkt_begin(&g->t);
	acquire(g, cb, im);
	submit(g, cb);
	return 0;
}

static void b_share(struct gs *g, struct msg *m, int fd)
{
	struct image im;

	m->status = import_acquired(g, &im, fd, m);
	if (m->status)
		return;
	m->mismatches = verify(g, &im, m->seed);
	image_destroy(g, &im);
}

static void b_time_share(struct gs *g, struct msg *m, int fd)
{
	VkCommandBuffer cb;
	struct image im;

	m->t[T_RECV] = tu_now_ns();
	m->t[T_COPIED] = m->t[T_RECV];
	m->status = import(g, &im, fd, m);
	if (m->status)
		return;
	m->t[T_BOUND] = tu_now_ns();
	memcpy(m->step, im.step, sizeof(m->step));
	cb = vkt_begin(&g->t);
	acquire(g, cb, &im);
	first_read(g, cb, &im);
	submit(g, cb);
	m->t[T_READ] = tu_now_ns();
	m->mismatches = verify(g, &im, m->seed);
	image_destroy(g, &im);
}

static void b_time_copy(struct gs *g, struct msg *m)
{
	VkBufferImageCopy copy = {
		.imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
		.imageExtent = { g->width, g->height, 1 },
	};
	VkCommandBuffer cb;
	struct image im;

	m->t[T_RECV] = tu_now_ns();
	if (!g->shm) {
		m->status = -EINVAL;
		return;
	}
	memcpy(g->host.map, g->shm, pixel_bytes(g));
	buffer_sync(g, &g->host, true);
	m->t[T_COPIED] = tu_now_ns();
	if (image_create(g, &im, false, -1, UINT32_MAX, 0) != VK_SUCCESS) {
		m->status = -ENOMEM;
		return;
	}
	m->t[T_BOUND] = tu_now_ns();
	cb = vkt_begin(&g->t);
	barrier(cb, im.image, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, 0,
		VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
		VK_IMAGE_LAYOUT_UNDEFINED, VK_QUEUE_FAMILY_IGNORED,
		VK_QUEUE_FAMILY_IGNORED);
	vkCmdCopyBufferToImage(cb, g->host.buffer, im.image,
			       VK_IMAGE_LAYOUT_GENERAL, 1, &copy);
	barrier(cb, im.image, VK_PIPELINE_STAGE_TRANSFER_BIT,
		VK_ACCESS_TRANSFER_WRITE_BIT,
		VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
		VK_PIPELINE_STAGE_TRANSFER_BIT,
		VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT,
		VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED,
		VK_QUEUE_FAMILY_IGNORED);
	first_read(g, cb, &im);
	submit(g, cb);
	m->t[T_READ] = tu_now_ns();
	m->mismatches = verify(g, &im, m->seed);
	image_destroy(g, &im);
}

static void b_bandwidth(struct gs *g, struct msg *m, int fd)
{
	struct image im, own;

	m->status = import_acquired(g, &im, fd, m);
	if (m->status)
		return;
	m->gbps[0] = bandwidth(g, &im);
	m->mismatches = verify(g, &im, m->seed);
	image_destroy(g, &im);
	if (image_create(g, &own, false, -1, UINT32_MAX, 0) != VK_SUCCESS) {
		m->status = -ENOMEM;
		return;
	}
	fill(g, &own, m->seed, false);
	m->gbps[1] = bandwidth(g, &own);
	image_destroy(g, &own);
}

int importer(int sock, bool bench)
{
	struct gs g = { .type = UINT32_MAX }, hand = { .type = UINT32_MAX };
	struct msg m, mine;
	int fd;

	if (recv_msg(sock, &m, &fd) || m.op != OP_HELLO)
		tu_die("importer: no hello");
	if (fd >= 0)
		close(fd);
	g.width = m.width;
	g.height = m.height;
	open_device(&g);
	setup_objects(&g, bench);
	if (bench) {
		hand.width = m.width;
		hand.height = m.height;
		open_device_khr(&hand, g.dedicated);
		setup_objects(&hand, true);
	}
	mine = m;
	device_ids(&g, &mine);
	/* Opaque fds import only into the same device and driver. */
	m.status = memcmp(mine.device_uuid, m.device_uuid, VK_UUID_SIZE) ||
		   memcmp(mine.driver_uuid, m.driver_uuid, VK_UUID_SIZE) ?
		   -ENODEV : 0;
	if (send_msg(sock, &m, -1))
		tu_die("importer: send: %s", strerror(errno));

	while (!recv_msg(sock, &m, &fd)) {
		bool takes_fd = m.op == OP_SHARE || m.op == OP_TIME_SHARE ||
				m.op == OP_SHM || m.op == OP_BANDWIDTH ||
				m.op == OP_TIME_SHARE_KHR;

		if (!takes_fd && fd >= 0) {
			close(fd);
			fd = -1;
		}
		m.status = 0;
		m.mismatches = 0;
		switch (m.op) {
		case OP_SHARE:
			b_share(&g, &m, fd);
			break;
		case OP_TIME_SHARE:
			b_time_share(&g, &m, fd);
			break;
		case OP_TIME_SHARE_KHR:
			if (bench)
				b_time_share(&hand, &m, fd);
			else
				m.status = -EINVAL;
			break;
		case OP_SHM:
			if (g.shm)
				munmap(g.shm, g.shm_size);
			g.shm_size = pixel_bytes(&g);
			g.shm = mmap(NULL, g.shm_size, PROT_READ, MAP_SHARED,
				     fd, 0);
			if (g.shm == MAP_FAILED) {
				g.shm = NULL;
				m.status = -errno;
			}
			if (fd >= 0)
				close(fd);
			break;
		case OP_TIME_COPY:
			b_time_copy(&g, &m);
			break;
		case OP_BANDWIDTH:
			b_bandwidth(&g, &m, fd);
			break;
		case OP_STATS:
			break;
		case OP_QUIT:
			if (bench) {
				teardown_objects(&hand);
				vkt_destroy(&hand.t);
			}
			teardown_objects(&g);
			vkt_destroy(&g.t);
			g.budget = false;	/* no device to ask any more */
			stats(&g, &m);
			send_msg(sock, &m, -1);
			return 0;
		default:
			m.status = -EINVAL;
		}
		stats(&g, &m);
		if (send_msg(sock, &m, -1))
			tu_die("importer: send: %s", strerror(errno));
	}
	tu_die("importer: the exporter went away");
}

/* --- A, the exporter ------------------------------------------------- */

pid_t b_pid;

/* Start B: this program again, by exec, on one end of a socket pair. */
int start_importer(const char *self, bool bench)
{
	int sv[2];
	char arg[16];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		tu_die("socketpair: %s", strerror(errno));
	fflush(stdout);
	b_pid = fork();
	if (b_pid < 0)
		tu_die("fork: %s", strerror(errno));
	if (!b_pid) {
		int fd = dup(sv[1]);	/* without FD_CLOEXEC */

		snprintf(arg, sizeof(arg), "%d", fd);
		/* This very program, wherever it was found. */
		execl("/proc/self/exe", self, bench ? "bench-importer" : "importer",
		      arg, (char *)NULL);
		perror("gpu_share: exec");
		_exit(127);
	}
	close(sv[1]);
	return sv[0];
}

/* Send @m (with @fd, which is then closed here) and wait for B's reply. */
void ask(int sock, struct msg *m, int fd)
{
	uint32_t op = m->op;
	int none;

	if (send_msg(sock, m, fd))
		tu_die("send to the importer: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	if (recv_msg(sock, m, &none))
		tu_die("the importer did not answer (op %u)", op);
	if (none >= 0)
		close(none);
}

int export_fd(struct gs *g, struct image *im)
{
	VkMemoryGetFdInfoKHR info = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR,
		.memory = im->memory,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
	};
	HANDLE h = NULL;
	int fd = -1;

	if (g->khr) {
		VKT_CHECK(g->get_fd(g->t.device, &info, &fd));
		return fd;
	}
	VKT_CHECK(g->get_handle(g->t.device, im->memory, OPAQUE, &h));
	return PRIMESHARE_FD_FROM_HANDLE(h);
}

int finish_importer(int sock, struct msg *m)
{
	int status;

	memset(m, 0, sizeof(*m));
	m->op = OP_QUIT;
	ask(sock, m, -1);
	close(sock);
	if (waitpid(b_pid, &status, 0) != b_pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int hello(struct gs *g, int sock)
{
	struct msg m = {
		.op = OP_HELLO, .width = g->width, .height = g->height,
	};

	device_ids(g, &m);
	ask(sock, &m, -1);
	if (m.status == -ENODEV)
		fprintf(stderr, "gpu_share: the importer's first device is not the exporter's (device or driver UUID differ)\n");
	return m.status;
}
