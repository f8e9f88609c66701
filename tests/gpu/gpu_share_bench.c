// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/* gpu_share bench: the share path, by hand and through the layer, and the copy path. */
#include "gpu_share.h"

/* --- bench ------------------------------------------------------------ */

enum {
	P_EXPORT, P_SEND, P_IMPORT, P_ICREATE, P_IALLOC, P_IBIND, P_IVIEW,
	P_READ,
	P_HEXPORT, P_HSEND, P_HIMPORT, P_HICREATE, P_HIALLOC, P_HIBIND,
	P_HIVIEW, P_HREAD,				/* by hand */
	P_READBACK, P_TOSHM, P_NOTIFY, P_FROMSHM, P_CREATE, P_UPLOAD, /* copy */
	P_SHARE, P_HSHARE, P_COPY, P_MAX
};

static const char *const phase_names[P_MAX] = {
	[P_EXPORT] = "export (vkGetMemoryWin32HandleNV)",
	[P_SEND] = "fd to B (SCM_RIGHTS)",
	[P_IMPORT] = "import + bind in B",
	[P_ICREATE] = "  of which vkCreateImage",
	[P_IALLOC] = "  of which vkAllocateMemory (the import)",
	[P_IBIND] = "  of which vkBindImageMemory",
	[P_IVIEW] = "  of which vkCreateImageView",
	[P_READ] = "first read in B (acquire, compute pass)",
	[P_HEXPORT] = "by hand: export (vkGetMemoryFdKHR)",
	[P_HSEND] = "by hand: fd to B",
	[P_HIMPORT] = "by hand: import + bind in B",
	[P_HICREATE] = "  of which vkCreateImage",
	[P_HIALLOC] = "  of which vkAllocateMemory (the import)",
	[P_HIBIND] = "  of which vkBindImageMemory",
	[P_HIVIEW] = "  of which vkCreateImageView",
	[P_HREAD] = "by hand: first read in B",
	[P_HSHARE] = "share path by hand (KHR, no layer), total",
	[P_READBACK] = "readback in A (copy to host memory)",
	[P_TOSHM] = "A: host memory -> shared memory",
	[P_NOTIFY] = "message to B",
	[P_FROMSHM] = "B: shared memory -> staging buffer",
	[P_CREATE] = "image + memory + bind in B",
	[P_UPLOAD] = "upload + first read in B",
	[P_SHARE] = "share path, total",
	[P_COPY] = "copy path, total",
};

/*
 * One timed share from @g (the layer's device, or the by-hand one) into
 * B's matching device, its phases into @ph from @first on (export, send,
 * import, the import's three steps, read) and its total into ph[total].
 * Returns 1 when B got wrong pixels or failed.
 */
static int timed_share(struct gs *g, int sock, uint32_t seed, int record,
		       double (*ph)[MAX_RUNS], int first, int total)
{
	struct image im;
	struct msg m;
	int64_t t0, t1;
	int fd;

	if (image_create(g, &im, true, -1, g->type, 0) != VK_SUCCESS)
		tu_die("no exportable image");
	fill(g, &im, seed, true);
	memset(&m, 0, sizeof(m));
	m.op = g->khr ? OP_TIME_SHARE_KHR : OP_TIME_SHARE;
	m.seed = seed;
	m.memory_type = im.type;
	m.size = im.size;
	t0 = tu_now_ns();
	fd = export_fd(g, &im);
	t1 = tu_now_ns();
	ask(sock, &m, fd);
	image_destroy(g, &im);
	if (m.status || m.mismatches) {
		fprintf(stderr, "gpu_share: %s share: status %d, %u pixels wrong\n",
			g->khr ? "by-hand" : "layer", m.status, m.mismatches);
		return 1;
	}
	if (record < 0)
		return 0;
	ph[first][record] = (t1 - t0) / 1e3;
	ph[first + 1][record] = (m.t[T_RECV] - t1) / 1e3;
	ph[first + 2][record] = (m.t[T_BOUND] - m.t[T_RECV]) / 1e3;
	for (int s = 0; s < S_MAX; s++)
		ph[first + 3 + s][record] = m.step[s] / 1e3;
	ph[first + 3 + S_MAX][record] = (m.t[T_READ] - m.t[T_BOUND]) / 1e3;
	ph[total][record] = (m.t[T_READ] - t0) / 1e3;
	return 0;
}

int cmd_bench(const char *self, struct gs *g, uint32_t runs)
{
	struct gs hand = { .width = g->width, .height = g->height };
	static double ph[P_MAX][MAX_RUNS];
	uint32_t wrong = 0;
	struct msg m;
	double med[P_MAX], a;
	int sock, shm, rc;
	VkCommandBuffer cb;
	struct image im;

	vkt_layers_unchecked();
	open_device(g);
	choose_type(g);
	describe(g);
	if (g->type == UINT32_MAX)
		tu_die("no %s memory type for an OPAQUE_WIN32 image",
		       g->vram ? "video (device-local, not host-visible)" : "");
	setup_objects(g, true);
	open_device_khr(&hand, g->dedicated);
	hand.type = g->type;	/* the same driver's memory types */
	setup_objects(&hand, true);
	sock = start_importer(self, true);
	if (hello(g, sock))
		tu_die("the importer could not set up");

	shm = memfd_create("gpu_share", MFD_CLOEXEC);
	if (shm < 0 || ftruncate(shm, pixel_bytes(g)))
		tu_die("memfd: %s", strerror(errno));
	g->shm_size = pixel_bytes(g);
	g->shm = mmap(NULL, g->shm_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      shm, 0);
	if (g->shm == MAP_FAILED)
		tu_die("mmap: %s", strerror(errno));
	memset(g->shm, 0, g->shm_size);	/* no page faults in the runs */
	memset(&m, 0, sizeof(m));
	m.op = OP_SHM;
	ask(sock, &m, shm);
	if (m.status)
		tu_die("the importer could not map the shared memory");

	/* One run of each, not counted: first-use costs. */
	for (uint32_t r = 0; r <= runs; r++) {
		uint32_t seed = 1000 + r;
		int64_t t0, t1, t2;

		/*
		 * The share path, through the layer and by hand, which goes
		 * first alternating from run to run.
		 */
		for (int k = 0; k < 2; k++) {
			bool by_hand = (k + r) % 2;

			wrong += timed_share(by_hand ? &hand : g, sock, seed,
					     (int)r - 1, ph,
					     by_hand ? P_HEXPORT : P_EXPORT,
					     by_hand ? P_HSHARE : P_SHARE);
		}

		/* The copy path. */
		if (image_create(g, &im, false, -1, UINT32_MAX, 0) != VK_SUCCESS)
			tu_die("no image");
		fill(g, &im, seed, false);
		memset(&m, 0, sizeof(m));
		m.op = OP_TIME_COPY;
		m.seed = seed;
		t0 = tu_now_ns();
		readback(g, &im);
		t1 = tu_now_ns();
		memcpy(g->shm, g->host.map, pixel_bytes(g));
		t2 = tu_now_ns();
		ask(sock, &m, -1);
		image_destroy(g, &im);
		if (m.status || m.mismatches) {
			wrong++;
			fprintf(stderr, "gpu_share: copy run %u: status %d, %u pixels wrong\n",
				r, m.status, m.mismatches);
		}
		if (r) {
			ph[P_READBACK][r - 1] = (t1 - t0) / 1e3;
			ph[P_TOSHM][r - 1] = (t2 - t1) / 1e3;
			ph[P_NOTIFY][r - 1] = (m.t[T_RECV] - t2) / 1e3;
			ph[P_FROMSHM][r - 1] = (m.t[T_COPIED] - m.t[T_RECV]) / 1e3;
			ph[P_CREATE][r - 1] = (m.t[T_BOUND] - m.t[T_COPIED]) / 1e3;
			ph[P_UPLOAD][r - 1] = (m.t[T_READ] - m.t[T_BOUND]) / 1e3;
			ph[P_COPY][r - 1] = (m.t[T_READ] - t0) / 1e3;
		}
	}

	/* Bandwidth: the same memory in A and in B. */
	if (image_create(g, &im, true, -1, g->type, 0) != VK_SUCCESS)
		tu_die("no exportable image");
	fill(g, &im, 7, false);
	a = bandwidth(g, &im);
	cb = vkt_begin(&g->t);
	release(g, cb, &im);	/* hand it over as in the runs */
	submit(g, cb);
	memset(&m, 0, sizeof(m));
	m.op = OP_BANDWIDTH;
	m.seed = 7;
	m.memory_type = im.type;
	m.size = im.size;
	ask(sock, &m, export_fd(g, &im));
	if (m.status || m.mismatches) {
		wrong++;
		fprintf(stderr, "gpu_share: bandwidth: status %d, %u pixels wrong\n",
			m.status, m.mismatches);
	}
	for (int p = 0; p < P_MAX; p++)
		med[p] = tu_median(ph[p], runs);
	printf("# gpu_share bench: %ux%u RGBA8 (%.1f MB), %u runs of each path, medians\n",
	       g->width, g->height, pixel_bytes(g) / 1e6, runs);
	for (int p = 0; p < P_MAX; p++) {
		if (p == P_HEXPORT || p == P_READBACK || p == P_SHARE)
			printf("#\n");
		printf("%-44s %10.1f us\n", phase_names[p], med[p]);
	}
	printf("#\n");
	printf("ratio: copy path / share path               %8.2fx\n",
	       med[P_COPY] / med[P_SHARE]);
	printf("ratio: share path, layer / by hand          %8.2fx\n",
	       med[P_SHARE] / med[P_HSHARE]);
	printf("#\n");
	printf("read bandwidth, exporter A on its image      %8.1f GB/s\n", a);
	printf("read bandwidth, importer B on the same memory %7.1f GB/s\n",
	       m.gbps[0]);
	printf("read bandwidth, B on an image of its own     %8.1f GB/s\n",
	       m.gbps[1]);
	printf("ratio: importer / exporter                   %8.2f\n",
	       a > 0 ? m.gbps[0] / a : 0);
	image_destroy(g, &im);
	rc = finish_importer(sock, &m);
	teardown_objects(&hand);
	vkt_destroy(&hand.t);
	teardown_objects(g);
	vkt_destroy(&g->t);
	if (rc)
		fprintf(stderr, "gpu_share: the importer exited with status %d\n", rc);
	if (wrong)
		fprintf(stderr, "gpu_share: %u runs delivered wrong pixels\n", wrong);
	return rc || wrong ? 1 : 0;
}
