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
	VkImageView view;
	VkDescriptorSetLayout dsl;
	VkPipelineLayout layout;
	VkPipeline pipeline;
	VkDescriptorPool dpool;
	VkDescriptorSet set;
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

static void km_pipeline(struct km_gpu *g)
{
	VkDevice d = g->t.device;
	VkDescriptorSetLayoutBinding b = {
		.binding = 0,
		.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE,
		.descriptorCount = 1,
		.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
	};
	VkDescriptorSetLayoutCreateInfo dslci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
		.bindingCount = 1, .pBindings = &b,
	};
	VkShaderModuleCreateInfo smci = {
		.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
		.codeSize = sizeof(layer_km_add_spv),
		.pCode = layer_km_add_spv,
	};
	VkDescriptorPoolSize ps = { VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, 1 };
	VkDescriptorPoolCreateInfo dpci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
		.maxSets = 1, .poolSizeCount = 1, .pPoolSizes = &ps,
	};
	VkImageViewCreateInfo vci = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
		.image = g->image, .viewType = VK_IMAGE_VIEW_TYPE_2D,
		.format = VK_FORMAT_R32_UINT,
		.subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 },
	};
	VkPipelineLayoutCreateInfo plci = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
		.setLayoutCount = 1,
	};
	VkComputePipelineCreateInfo cpci = {
		.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
		.stage = {
			.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
			.stage = VK_SHADER_STAGE_COMPUTE_BIT, .pName = "main",
		},
	};
	VkDescriptorSetAllocateInfo dsai = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
		.descriptorSetCount = 1,
	};
	VkDescriptorImageInfo dii = { .imageLayout = VK_IMAGE_LAYOUT_GENERAL };
	VkWriteDescriptorSet w = {
		.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
		.descriptorCount = 1,
		.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE,
		.pImageInfo = &dii,
	};
	VkShaderModule sm;

	VKT_CHECK(vkCreateImageView(d, &vci, NULL, &g->view));
	VKT_CHECK(vkCreateDescriptorSetLayout(d, &dslci, NULL, &g->dsl));
	plci.pSetLayouts = &g->dsl;
	VKT_CHECK(vkCreatePipelineLayout(d, &plci, NULL, &g->layout));
	VKT_CHECK(vkCreateShaderModule(d, &smci, NULL, &sm));
	cpci.stage.module = sm;
	cpci.layout = g->layout;
	VKT_CHECK(vkCreateComputePipelines(d, VK_NULL_HANDLE, 1, &cpci, NULL,
					   &g->pipeline));
	vkDestroyShaderModule(d, sm, NULL);
	VKT_CHECK(vkCreateDescriptorPool(d, &dpci, NULL, &g->dpool));
	dsai.descriptorPool = g->dpool;
	dsai.pSetLayouts = &g->dsl;
	VKT_CHECK(vkAllocateDescriptorSets(d, &dsai, &g->set));
	dii.imageView = g->view;
	w.dstSet = g->set;
	vkUpdateDescriptorSets(d, 1, &w, 0, NULL);
}

/*
 * The image's ownership comes from the other process and goes back to it:
 * a queue family transfer from and to VK_QUEUE_FAMILY_EXTERNAL around
 * everything a command buffer does, in VK_IMAGE_LAYOUT_GENERAL.  The first
 * command buffer of A starts from VK_IMAGE_LAYOUT_UNDEFINED instead.
 */
static void km_barrier(struct km_gpu *g, VkCommandBuffer cb, bool acquire,
		       bool undefined, VkAccessFlags access)
{
	VkImageMemoryBarrier bar = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
		.srcAccessMask = acquire ? 0 : access,
		.dstAccessMask = acquire ? access : 0,
		.oldLayout = undefined ? VK_IMAGE_LAYOUT_UNDEFINED :
					 VK_IMAGE_LAYOUT_GENERAL,
		.newLayout = VK_IMAGE_LAYOUT_GENERAL,
		.srcQueueFamilyIndex = acquire && !undefined ?
			VK_QUEUE_FAMILY_EXTERNAL : acquire ?
			VK_QUEUE_FAMILY_IGNORED : g->t.queue_family,
		.dstQueueFamilyIndex = acquire ? (undefined ?
			VK_QUEUE_FAMILY_IGNORED : g->t.queue_family) :
			VK_QUEUE_FAMILY_EXTERNAL,
		.image = g->image,
		.subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 },
	};

	vkCmdPipelineBarrier(cb, acquire ? VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT :
			     VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
			     acquire ? VK_PIPELINE_STAGE_ALL_COMMANDS_BIT :
			     VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0, NULL,
			     0, NULL, 1, &bar);
}

/* Submitted again before the last run is known to be done. */
static VkCommandBuffer km_commands(struct km_gpu *g)
{
	VkCommandBuffer cb = vkt_begin_flags(&g->t,
		VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT);

	if (!cb)
		tu_die("cannot allocate a command buffer");
	return cb;
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
	vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, g->pipeline);
	vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, g->layout,
				0, 1, &g->set, 0, NULL);
	vkCmdDispatch(cb, (size + 15) / 16, (size + 15) / 16, 1);
}

static const VkAccessFlags km_rw = VK_ACCESS_SHADER_READ_BIT |
				  VK_ACCESS_SHADER_WRITE_BIT |
				  VK_ACCESS_TRANSFER_READ_BIT |
				  VK_ACCESS_TRANSFER_WRITE_BIT;

/* A command buffer that adds one, between the ownership transfers. */
static VkCommandBuffer km_add_commands(struct km_gpu *g)
{
	VkCommandBuffer cb = km_commands(g);

	km_barrier(g, cb, true, false, km_rw);
	km_add(g, cb);
	km_barrier(g, cb, false, false, km_rw);
	VKT_CHECK(vkEndCommandBuffer(cb));
	return cb;
}


/* The three command buffers: add one; clear; read back. */
static void km_record(struct km_gpu *g, bool exporter)
{
	VkClearColorValue zero = { .uint32 = { 0 } };
	VkImageSubresourceRange range = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 };
	VkBufferImageCopy copy = {
		.imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
		.imageExtent = { size, size, 1 },
	};
	VkBufferMemoryBarrier hb = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
		.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.size = VK_WHOLE_SIZE,
	};
	VkAccessFlags rw = VK_ACCESS_SHADER_READ_BIT |
			   VK_ACCESS_SHADER_WRITE_BIT |
			   VK_ACCESS_TRANSFER_READ_BIT |
			   VK_ACCESS_TRANSFER_WRITE_BIT;

	g->add = km_add_commands(g);
	if (!exporter)
		return;

	g->first = km_commands(g);
	km_barrier(g, g->first, true, true, rw);
	vkCmdClearColorImage(g->first, g->image, VK_IMAGE_LAYOUT_GENERAL,
			     &zero, 1, &range);
	km_barrier(g, g->first, false, false, rw);
	VKT_CHECK(vkEndCommandBuffer(g->first));

	g->read = km_commands(g);
	km_barrier(g, g->read, true, false, rw);
	hb.buffer = g->host;
	vkCmdCopyImageToBuffer(g->read, g->image, VK_IMAGE_LAYOUT_GENERAL,
			       g->host, 1, &copy);
	vkCmdPipelineBarrier(g->read, VK_PIPELINE_STAGE_TRANSFER_BIT,
			     VK_PIPELINE_STAGE_HOST_BIT, 0, 0, NULL, 1, &hb, 0,
			     NULL);
	km_barrier(g, g->read, false, false, rw);
	VKT_CHECK(vkEndCommandBuffer(g->read));
}

/*
 * One submission of @cb between an acquire of @acq (timeout @ms) and a
 * release with @rel; @fence may be VK_NULL_HANDLE.
 */
static VkResult km_submit(struct km_gpu *g, VkCommandBuffer cb, uint64_t acq,
			  uint32_t ms, uint64_t rel, VkFence fence)
{
	VkWin32KeyedMutexAcquireReleaseInfoNV km = {
		.sType = VK_STRUCTURE_TYPE_WIN32_KEYED_MUTEX_ACQUIRE_RELEASE_INFO_NV,
		.acquireCount = 1,
		.pAcquireSyncs = &g->memory,
		.pAcquireKeys = &acq,
		.pAcquireTimeoutMilliseconds = &ms,
		.releaseCount = 1,
		.pReleaseSyncs = &g->memory,
		.pReleaseKeys = &rel,
	};
	VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.pNext = &km,
		.commandBufferCount = 1,
		.pCommandBuffers = &cb,
	};

	return vkQueueSubmit(g->t.queue, 1, &si, fence);
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
	vkDestroyPipeline(d, g->pipeline, NULL);
	vkDestroyPipelineLayout(d, g->layout, NULL);
	vkDestroyDescriptorPool(d, g->dpool, NULL);
	vkDestroyDescriptorSetLayout(d, g->dsl, NULL);
	vkDestroyImageView(d, g->view, NULL);
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
	km_pipeline(&g);
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
	km_pipeline(&g);
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

	if ((e = getenv("LAYER_KM_SIZE")))
		size = (uint32_t)strtoul(e, NULL, 10);
	if ((e = getenv("LAYER_KM_ROUNDS")))
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
