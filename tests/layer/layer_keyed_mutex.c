/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * VK_NV_win32_keyed_mutex between two processes.
 *
 * This program is B.  It starts A (itself again, with --export), which
 * makes a SIZE x SIZE R32_UINT storage image with memory exported as an
 * OPAQUE_WIN32_KMT handle on a device with VK_NV_win32_keyed_mutex, and
 * sends the handle, once.  Then they pass the image back and forth ROUNDS
 * times each by keys 0 -> 1 -> 0: A's submissions acquire 0 and release
 * with 1, B's acquire 1 and release with 0, and each adds one to every
 * texel by a compute dispatch.  Nothing else orders them: no semaphore,
 * no socket, no wait for the queue.  A's first submission clears the
 * image; at the end A acquires 0 once more and reads every texel back,
 * which must be 2 x ROUNDS.
 *
 * Then B takes part without Vulkan, with a new A: it imports the handle with
 * libprimeshare, maps the dma-buf and adds one to every texel on the CPU
 * between primeshare_keyed_mutex_acquire() and _release(), as a D3D11
 * device does on Windows; A's image is linear for that.
 *
 * Then: an acquire of a key nobody releases returns VK_TIMEOUT after its
 * timeout, with nothing submitted; and once A has exited (its handle, and
 * so the mutex, ended) an acquire fails at once with VK_ERROR_DEVICE_LOST.
 * Without /dev/primeshare (LAYER_EXPECT_KMT unset) the device cannot have
 * the extension: vkCreateDevice says VK_ERROR_EXTENSION_NOT_PRESENT.
 *
 * LAYER_KM_SIZE (default 256) and LAYER_KM_ROUNDS (default 200) size the
 * run; the acceptance run is 1024 and 10000.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "primeshare.h"
#include "tap.h"
#include "vkt.h"

#include "layer_km_add.h"

#define KM_TIMEOUT_MS 120000u

struct km_msg {
	int32_t status;		/* 0: ready */
	uint32_t memory_type;
	uint64_t handle;
	uint64_t size;
	uint64_t offset;	/* the linear image's layout in the memory */
	uint64_t row_pitch;
	uint32_t mismatches;	/* the final check, in A's last message */
	uint32_t validation_errors;
	uint32_t lowest, highest;	/* texel values seen there */
};

static const char *const exts[] = {
	VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
	VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
	VK_NV_WIN32_KEYED_MUTEX_EXTENSION_NAME,
};

static uint32_t size = 256, rounds = 200;

/* The image, its memory and the compute pipeline that adds one. */
struct km_gpu {
	struct vkt t;
	VkImage image;
	VkDeviceMemory memory;
	struct vkt_compute add_one;
	VkCommandBuffer add, first, read;
	VkBuffer host;
	struct vkt_buffer_memory host_mem;
};

static VkImage km_image(struct vkt *t)
{
	VkExternalMemoryImageCreateInfoNV ext = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV,
	};
	VkImageCreateInfo ici = vkt_image_info(size, size,
					       VK_IMAGE_TILING_LINEAR, &ext);
	VkImage image = VK_NULL_HANDLE;

	ici.format = VK_FORMAT_R32_UINT;
	ici.usage = VK_IMAGE_USAGE_STORAGE_BIT |
		    VK_IMAGE_USAGE_TRANSFER_SRC_BIT |
		    VK_IMAGE_USAGE_TRANSFER_DST_BIT;
	if (vkCreateImage(t->device, &ici, NULL, &image) != VK_SUCCESS)
		return VK_NULL_HANDLE;
	return image;
}

static void km_barrier(struct km_gpu *g, VkCommandBuffer cb, bool acquire,
		       bool undefined, VkAccessFlags access)
{
	vkt_external_barrier(&g->t, cb, g->image, acquire, undefined, access);
}

static void km_add(struct km_gpu *g, VkCommandBuffer cb)
{
	VkMemoryBarrier mb = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_SHADER_READ_BIT |
				 VK_ACCESS_SHADER_WRITE_BIT,
	};

	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
			     VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &mb,
			     0, NULL, 0, NULL);
	vkt_compute_bind(&g->add_one, cb);
	vkCmdDispatch(cb, (size + 15) / 16, (size + 15) / 16, 1);
}

static const VkAccessFlags km_rw = VK_ACCESS_SHADER_READ_BIT |
				  VK_ACCESS_SHADER_WRITE_BIT |
				  VK_ACCESS_TRANSFER_READ_BIT |
				  VK_ACCESS_TRANSFER_WRITE_BIT;

/* A command buffer that adds one, between the ownership transfers. */
static VkCommandBuffer km_add_commands(struct km_gpu *g)
{
	VkCommandBuffer cb = vkt_begin_shared(&g->t);

	km_barrier(g, cb, true, false, km_rw);
	km_add(g, cb);
	km_barrier(g, cb, false, false, km_rw);
	VKT_CHECK(vkEndCommandBuffer(cb));
	return cb;
}

/* The three command buffers: add one; clear; read back. */
static void km_record(struct km_gpu *g, bool exporter)
{
	g->add = km_add_commands(g);
	if (!exporter)
		return;
	g->first = vkt_shared_clear(&g->t, g->image);
	g->read = vkt_shared_read(&g->t, g->image, size, size, g->host);
}

static VkResult km_submit(struct km_gpu *g, VkCommandBuffer cb, uint64_t acq,
			  uint32_t ms, uint64_t rel, VkFence fence)
{
	return vkt_km_submit(&g->t, cb, g->memory, acq, ms, rel, fence);
}

static void km_destroy(struct km_gpu *g)
{
	VkDevice d = g->t.device;

	if (!d)
		return;
	vkDeviceWaitIdle(d);
	if (g->host) {
		vkDestroyBuffer(d, g->host, NULL);
		vkFreeMemory(d, g->host_mem.memory, NULL);
	}
	vkt_compute_destroy(&g->t, &g->add_one);
	vkDestroyImage(d, g->image, NULL);
	vkFreeMemory(d, g->memory, NULL);
	vkt_destroy(&g->t);
}

static uint32_t km_host_type(struct vkt *t, uint32_t bits, void *arg)
{
	(void)arg;
	return vkt_memory_type(t, bits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
			       VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
}

/* Process A ------------------------------------------------------------ */

static int km_exporter(int sock)
{
	VkExportMemoryAllocateInfoNV exp = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &exp,
	};
	VkImageSubresource sub = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0 };
	struct km_msg msg = { .status = -1 };
	PFN_vkGetMemoryWin32HandleNV get_handle;
	struct km_gpu g = { 0 };
	VkSubresourceLayout sl;
	VkMemoryRequirements mr;
	const uint32_t *px;
	HANDLE h;
	char byte;

	vkt_layers(true);
	if (vkt_nv_open(&g.t, VK_API_VERSION_1_1, exts, 3) != VK_SUCCESS)
		goto fail;
	get_handle = (PFN_vkGetMemoryWin32HandleNV)
		vkGetDeviceProcAddr(g.t.device, "vkGetMemoryWin32HandleNV");
	g.image = km_image(&g.t);
	if (!get_handle || !g.image)
		goto fail;
	vkGetImageMemoryRequirements(g.t.device, g.image, &mr);
	mai.allocationSize = mr.size;
	mai.memoryTypeIndex = vkt_memory_type(&g.t, mr.memoryTypeBits, 0);
	if (vkAllocateMemory(g.t.device, &mai, NULL, &g.memory) != VK_SUCCESS ||
	    vkBindImageMemory(g.t.device, g.image, g.memory, 0) != VK_SUCCESS ||
	    get_handle(g.t.device, g.memory,
		       VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV,
		       &h) != VK_SUCCESS)
		goto fail;
	vkGetImageSubresourceLayout(g.t.device, g.image, &sub, &sl);
	g.host = vkt_buffer_in(&g.t, (VkDeviceSize)size * size * 4,
			       VK_BUFFER_USAGE_TRANSFER_DST_BIT, km_host_type,
			       NULL, true, &g.host_mem);
	if (!g.host)
		goto fail;
	vkt_compute_init(&g.t, &g.add_one, g.image, VK_FORMAT_R32_UINT,
			 layer_km_add_spv, sizeof(layer_km_add_spv), 0);
	km_record(&g, true);

	msg.handle = PRIMESHARE_GLOBAL_FROM_HANDLE(h);
	msg.size = mai.allocationSize;
	msg.memory_type = mai.memoryTypeIndex;
	msg.offset = sl.offset;
	msg.row_pitch = sl.rowPitch;
	msg.status = 0;
	if (tu_send(sock, &msg, sizeof(msg), NULL, 0))
		return 2;

	/*
	 * The clear, released with key 0 again: the next acquire of 0 is
	 * this process's own, which waits for that release to be made.
	 */
	if (km_submit(&g, g.first, 0, KM_TIMEOUT_MS, 0, VK_NULL_HANDLE) !=
	    VK_SUCCESS)
		goto fail;
	for (uint32_t i = 0; i < rounds; i++)
		if (km_submit(&g, g.add, 0, KM_TIMEOUT_MS, 1,
			      VK_NULL_HANDLE) != VK_SUCCESS)
			goto fail;
	/* B's last release was with key 0: read back once it is done. */
	if (km_submit(&g, g.read, 0, KM_TIMEOUT_MS, 0, VK_NULL_HANDLE) !=
	    VK_SUCCESS || vkQueueWaitIdle(g.t.queue) != VK_SUCCESS)
		goto fail;
	px = g.host_mem.map;
	msg.mismatches = 0;
	msg.lowest = UINT32_MAX;
	for (uint32_t i = 0; i < size * size; i++) {
		msg.mismatches += px[i] != 2 * rounds;
		if (px[i] < msg.lowest)
			msg.lowest = px[i];
		if (px[i] > msg.highest)
			msg.highest = px[i];
	}
	msg.validation_errors = vkt_validation_errors;
	if (tu_send(sock, &msg, sizeof(msg), NULL, 0))
		return 2;
	/*
	 * B's word to go, after its last tests of the live handle: the
	 * handle ends with the memory (and this process).
	 */
	if (read(sock, &byte, 1) < 0)
		return 3;
	km_destroy(&g);
	return 0;

fail:
	msg.status = -1;
	tu_send(sock, &msg, sizeof(msg), NULL, 0);
	km_destroy(&g);
	return 1;
}

/* Process B ------------------------------------------------------------ */

static int km_start(const char *self)
{
	int sock;
	pid_t pid = tu_fork_socket(&sock);
	char arg[16];

	if (pid < 0)
		tap_bail("socketpair or fork");
	if (!pid) {
		fcntl(sock, F_SETFD, 0);
		snprintf(arg, sizeof(arg), "%d", sock);
		execl(self, self, "--export", arg, (char *)NULL);
		_exit(127);
	}
	return sock;
}

static bool km_recv(int sock, struct km_msg *msg)
{
	return tu_recv(sock, msg, sizeof(*msg), NULL, 0) >= 0;
}

/* B with Vulkan: import, then ROUNDS turns; the results on the way. */
static void km_vulkan_side(int sock, const struct km_msg *msg)
{
	VkImportMemoryWin32HandleInfoNV imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV,
		.handle = PRIMESHARE_HANDLE_FROM_GLOBAL(msg->handle),
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &imp,
		.allocationSize = msg->size,
		.memoryTypeIndex = msg->memory_type,
	};
	VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	struct km_gpu g = { 0 };
	struct km_msg done;
	VkResult res = VK_SUCCESS;
	int64_t t0, took;
	uint32_t i;
	VkFence fence;

	vkt_layers(true);
	if (vkt_nv_open(&g.t, VK_API_VERSION_1_1, exts, 3) != VK_SUCCESS)
		tap_bail("B: no device with VK_NV_win32_keyed_mutex");
	g.image = km_image(&g.t);
	TAP_EXPECT(vkAllocateMemory(g.t.device, &mai, NULL, &g.memory),
		   VK_SUCCESS, "B imports the KMT handle");
	TAP_EXPECT(vkBindImageMemory(g.t.device, g.image, g.memory, 0),
		   VK_SUCCESS, "and binds its image");
	vkt_compute_init(&g.t, &g.add_one, g.image, VK_FORMAT_R32_UINT,
			 layer_km_add_spv, sizeof(layer_km_add_spv), 0);
	km_record(&g, false);

	t0 = tu_now_ns();
	for (i = 0; i < rounds && res == VK_SUCCESS; i++)
		res = km_submit(&g, g.add, 1, KM_TIMEOUT_MS, 0,
				VK_NULL_HANDLE);
	took = tu_now_ns() - t0;
	tap_ok(res == VK_SUCCESS, "B's %u submissions acquire 1 and release 0 (%s at round %u)",
	       rounds, vkt_result_name(res), i);
	tap_diag("%u rounds of %ux%u in %.2f s: %.2f ms a round trip", rounds,
		 size, size, took / 1e9, took / 1e6 / rounds);

	if (!km_recv(sock, &done))
		tap_bail("A went away");
	tap_ok(done.status == 0 && done.mismatches == 0,
	       "every texel is %u, 2 x %u additions in turn (%u texels differ; values %u to %u)",
	       2 * rounds, rounds, done.mismatches, done.lowest, done.highest);

	tap_ok(done.validation_errors == 0,
	       "A's validation layer reported nothing (%u)",
	       done.validation_errors);

	/* Key 7 is never released: the acquire times out, nothing runs. */
	VKT_CHECK(vkCreateFence(g.t.device, &fci, NULL, &fence));
	t0 = tu_now_ns();
	res = km_submit(&g, g.add, 7, 100, 0, fence);
	took = tu_now_ns() - t0;
	TAP_EXPECT(res, VK_TIMEOUT, "an acquire of a key nobody releases");
	tap_ok(took >= 100000000, "after its 100 ms timeout (%.1f ms)",
	       took / 1e6);
	tap_ok(vkGetFenceStatus(g.t.device, fence) == VK_NOT_READY,
	       "and nothing was submitted: the fence is not signalled");
	vkDestroyFence(g.t.device, fence, NULL);

	/* A exits: its handle and the mutex end with it. */
	if (write(sock, "x", 1) != 1)
		tap_diag("cannot tell A to go");
	while (wait(NULL) > 0)
		;
	res = km_submit(&g, g.add, 0, KM_TIMEOUT_MS, 0, VK_NULL_HANDLE);
	TAP_EXPECT(res, VK_ERROR_DEVICE_LOST,
		   "once the exporter has exited, an acquire fails at once");
	km_destroy(&g);
	vkt_check_validation("keyed mutexes (B)");
}

/* B without Vulkan: libprimeshare and the dma-buf's mapping. */
static void km_library_side(int sock, const struct km_msg *msg)
{
	struct dma_buf_sync sync = { 0 };
	struct primeshare *ps;
	struct km_msg done;
	uint64_t dsize;
	int fd, ret = 0;
	uint32_t i;
	char *map;

	TAP_EXPECT(primeshare_open(&ps), 0, "B opens /dev/primeshare");
	fd = primeshare_import(ps, msg->handle, PRIMESHARE_IMPORT_FLAG_CLOEXEC,
			       NULL, NULL, &dsize);
	tap_ok(fd >= 0, "B imports the KMT handle with libprimeshare (%d)", fd);
	if (fd < 0)
		tap_bail("no dma-buf");
	map = mmap(NULL, dsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		tap_bail("cannot map the dma-buf: %s", strerror(errno));

	for (i = 0; i < rounds && !ret; i++) {
		ret = primeshare_keyed_mutex_acquire(ps, msg->handle, 1,
						     KM_TIMEOUT_MS * 1000000ull,
						     NULL);
		if (ret)
			break;
		sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW;
		ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
		for (uint32_t y = 0; y < size; y++) {
			uint32_t *row = (uint32_t *)(map + msg->offset +
						     y * msg->row_pitch);

			for (uint32_t x = 0; x < size; x++)
				row[x]++;
		}
		sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
		ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
		ret = primeshare_keyed_mutex_release(ps, msg->handle, 0, -1);
	}
	tap_ok(!ret, "B's %u turns on the CPU acquire 1 and release 0 (%s at round %u)",
	       rounds, strerror(-ret), i);
	if (!km_recv(sock, &done))
		tap_bail("A went away");
	tap_ok(done.status == 0 && done.mismatches == 0,
	       "every texel is %u: Vulkan and the CPU added in turn (%u differ; values %u to %u)",
	       2 * rounds, done.mismatches, done.lowest, done.highest);
	tap_ok(done.validation_errors == 0,
	       "A's validation layer reported nothing (%u)",
	       done.validation_errors);
	if (write(sock, "x", 1) != 1)
		tap_diag("cannot tell A to go");
	while (wait(NULL) > 0)
		;
	munmap(map, dsize);
	close(fd);
	primeshare_close(ps);
}

static void km_run(bool library)
{
	struct km_msg msg;
	int sock = km_start("/proc/self/exe");

	if (!km_recv(sock, &msg) || msg.status)
		tap_bail("A could not export its image (status %d)",
			 msg.status);
	if (library)
		km_library_side(sock, &msg);
	else
		km_vulkan_side(sock, &msg);
	close(sock);
}

/* Without /dev/primeshare the extension cannot be had. */
static void km_without_module(void)
{
	struct vkt t;
	VkResult res;

	vkt_layers(true);
	res = vkt_nv_open(&t, VK_API_VERSION_1_1, exts, 3);
	TAP_EXPECT(res, VK_ERROR_EXTENSION_NOT_PRESENT,
		   "without /dev/primeshare, vkCreateDevice refuses VK_NV_win32_keyed_mutex");
	if (res == VK_SUCCESS)
		vkt_destroy(&t);
	vkt_check_validation("keyed mutexes without the module");
}

int main(int argc, char **argv)
{
	const char *e;

	e = getenv("LAYER_KM_SIZE");
	if (e)
		size = (uint32_t)strtoul(e, NULL, 10);
	e = getenv("LAYER_KM_ROUNDS");
	if (e)
		rounds = (uint32_t)strtoul(e, NULL, 10);
	if (argc == 3 && !strcmp(argv[1], "--export")) {
		/* A speaks no TAP: its stdout is not the plan's. */
		if (!freopen("/dev/null", "w", stdout))
			return 4;
		return km_exporter(atoi(argv[2]));
	}
	vkt_check_backend();
	if (!vkt_expect_kmt()) {
		km_without_module();
		return tap_done();
	}
	km_run(false);
	km_run(true);
	return tap_done();
}
