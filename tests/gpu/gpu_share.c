// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * gpu_share: the layer on a real GPU, between two processes, verified and
 * timed.  The program uses VK_NV_external_memory_win32 only; the layer
 * VK_LAYER_PRIMESHARE_nv_external_memory maps it onto the driver (on
 * NVIDIA's driver: the opaque-fd backend).  tests/gpu/gpu-suite runs it.
 *
 *   gpu_share check [--cycles N] [--size WxH] [--vram]
 *	TAP.  The three NV extensions are absent without the layer and
 *	listed with it; the capability answers are the driver's own
 *	OPAQUE_FD answers for OPAQUE_WIN32, and the KMT types are offered
 *	exactly where LAYER_EXPECT_KMT=1 says so.  Then N cycles (default
 *	1000) of: A (this process) makes an image exportable as
 *	OPAQUE_WIN32 in device-local memory, fills it by a compute shader
 *	with the pattern of the cycle's seed, releases it to
 *	VK_QUEUE_FAMILY_EXTERNAL and sends the fd by SCM_RIGHTS to B (this
 *	program again, started by exec, with its own instance and device);
 *	B imports it into an identical image, acquires it, copies it into
 *	a host buffer and compares every pixel.  Neither process may leak a
 *	descriptor, a mapping or GPU memory from the warm-up cycles to the
 *	end, and the Khronos validation layer (below ours in both
 *	processes) must report nothing.  --vram: the memory type must be
 *	device-local and not host-visible (video memory).
 *
 *   gpu_share bench [--runs N] [--size WxH] [--vram]
 *	No validation layer.  N times each, alternately: the share path
 *	(export, fd transfer, import, bind, first read of the whole image by
 *	a compute pass in B) and the copy path (A reads the image back into
 *	host memory, copies it into shared memory, B copies it into its
 *	staging buffer, makes its own image, uploads, first read).  Both
 *	start with A's image filled and end when B's first read is done;
 *	B verifies every pixel after each run, outside the time.  Then the
 *	read bandwidth of one compute pass over the same memory in A (the
 *	exporter) and in B (the importer), with the GPU's caches flushed by
 *	a large buffer fill before each pass, and over an image of B's own
 *	for reference.  Each run also makes the same share by hand, with
 *	KHR opaque-fd calls on a second instance and device in each process
 *	that have no layer at all, alternating with the layer's share; the
 *	import in B is timed step by step (image, import, bind, view) on both.
 *	Prints medians and the ratios.
 *
 *   gpu_share probe
 *	prints the devices an instance without layers finds (the names);
 *	exit status 0 when there is one.  tests/gpu/gpu-suite uses it to find a
 *	driver manifest that works.
 *
 * The size defaults to 1024x1024 for check and 3840x2160 for bench.
 * Exit status: 0 when everything passed, 1 otherwise, 2 for usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vkt.h"
#include "gpu_share_fill.h"
#include "gpu_share_read.h"

#define FORMAT		VK_FORMAT_R8G8B8A8_UNORM
#define USAGE		(VK_IMAGE_USAGE_TRANSFER_SRC_BIT | \
			 VK_IMAGE_USAGE_TRANSFER_DST_BIT | \
			 VK_IMAGE_USAGE_STORAGE_BIT)
#define OPAQUE		VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV
#define KMT_TYPES	(VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV | \
			 VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV)
#define ROWS		8u	/* texels per invocation of the read pass */
#define GROUP		16u	/* workgroup side of both shaders */
#define WARMUP		10u	/* cycles before the leak baseline */
#define BW_PASSES	20u	/* bandwidth passes per image */
#define MAX_RUNS	10000u

static const char *const caps_ext[] = {
	VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
};

/* Messages on the socket between A and B. */
enum op {
	OP_HELLO = 1,	/* size; B answers with its setup's status */
	OP_SHARE,	/* fd: import, verify every pixel, free */
	OP_TIME_SHARE,	/* fd: import, bind, first read; then verify */
	OP_SHM,		/* fd: the shared memory of the copy path */
	OP_TIME_COPY,	/* pixels in the shared memory: upload, first read */
	OP_BANDWIDTH,	/* fd: read passes over the import and an own image */
	OP_STATS,	/* descriptors, mappings, GPU memory, validation */
	OP_TIME_SHARE_KHR, /* as OP_TIME_SHARE, on B's device without layer */
	OP_QUIT,
};

enum { T_RECV, T_COPIED, T_BOUND, T_READ, T_MAX };
/* The steps of an import in B: image, memory (the import), bind, view. */
enum { S_CREATE, S_ALLOC, S_BIND, S_VIEW, S_MAX };

struct msg {
	uint32_t op;
	int32_t status;		/* reply: 0, or what went wrong (< 0) */
	uint32_t width, height;
	uint32_t seed;
	uint32_t memory_type;
	uint32_t dedicated;
	uint32_t mismatches;	/* reply: pixels that differ */
	uint64_t size;		/* the exporter's allocation size */
	uint8_t device_uuid[VK_UUID_SIZE];	/* hello: A's device */
	uint8_t driver_uuid[VK_UUID_SIZE];
	int64_t t[T_MAX];	/* reply: CLOCK_MONOTONIC, ns */
	int64_t step[S_MAX];	/* reply: the import's steps, ns each */
	double gbps[2];		/* reply: import, own image */
	int64_t fds, maps, gpu_bytes, rss_kib;
	uint32_t errors;	/* reply: validation errors so far */
	uint32_t pad;
};

struct image {
	VkImage image;
	VkImageView view;
	VkDeviceMemory memory;
	VkDeviceSize size;
	uint32_t type;
	int64_t step[S_MAX];	/* ns each, for the bench */
};

struct buffer {
	VkBuffer buffer;
	VkDeviceMemory memory;
	VkDeviceSize size;
	void *map;
	bool coherent;
};

struct gs {
	struct vkt t;
	uint32_t width, height;
	bool vram, dedicated, budget;
	bool khr;			/* KHR opaque fds, no layer (bench) */
	PFN_vkGetMemoryFdKHR get_fd;
	uint32_t type;			/* memory type of the shared images */
	PFN_vkGetMemoryWin32HandleNV get_handle;
	VkDescriptorSetLayout set_layout;
	VkPipelineLayout layout;
	VkPipeline fill, read;
	VkDescriptorPool dpool;
	VkDescriptorSet set;
	struct buffer sums;		/* device-local, the read pass's output */
	struct buffer host;		/* readback (A, B) and upload (B) */
	struct buffer scratch;		/* bench: flushes the GPU's caches */
	VkQueryPool queries;
	double ts_period;		/* ns per timestamp tick */
	uint64_t ts_mask;		/* the valid bits of a timestamp */
	uint8_t *shm;			/* copy path */
	size_t shm_size;
};

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "gpu_share: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

#define VK_CHECK(call) do {						\
	VkResult res_ = (call);						\
	if (res_ != VK_SUCCESS)						\
		die("%s failed: VkResult %d", #call, res_);		\
} while (0)

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint32_t pattern(uint32_t x, uint32_t y, uint32_t seed)
{
	uint32_t v = (x * 0x9E3779B1u) ^ (y * 0x85EBCA77u + seed * 0xC2B2AE3Du);

	v ^= v >> 15;
	v *= 0x2C1B3C6Du;
	v ^= v >> 12;
	v *= 0x297A2D39u;
	v ^= v >> 15;
	return v;
}

static VkDeviceSize pixel_bytes(const struct gs *g)
{
	return (VkDeviceSize)g->width * g->height * 4;
}

/* --- what the process holds ----------------------------------------- */

static int64_t rss_kib(void)
{
	char line[256];
	int64_t v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %" SCNd64, &v) == 1)
			break;
	fclose(f);
	return v;
}

/* GPU memory this process uses in device-local heaps, or -1. */
static int64_t gpu_bytes(struct gs *g)
{
	VkPhysicalDeviceMemoryBudgetPropertiesEXT budget = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT,
	};
	VkPhysicalDeviceMemoryProperties2 mp = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2,
		.pNext = &budget,
	};
	int64_t sum = 0;

	if (!g->budget)
		return -1;
	vkGetPhysicalDeviceMemoryProperties2(g->t.pd, &mp);
	for (uint32_t i = 0; i < mp.memoryProperties.memoryHeapCount; i++)
		if (mp.memoryProperties.memoryHeaps[i].flags &
		    VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
			sum += (int64_t)budget.heapUsage[i];
	return sum;
}

static void stats(struct gs *g, struct msg *m)
{
	m->fds = vkt_fd_count();
	m->maps = vkt_map_count();
	m->gpu_bytes = gpu_bytes(g);
	m->rss_kib = rss_kib();
	m->errors = vkt_validation_errors;
}

/* --- socket ---------------------------------------------------------- */

static int send_msg(int sock, const struct msg *m, int fd)
{
	return vkt_send(sock, m, sizeof(*m), &fd, fd >= 0);
}

/* The message, and the descriptor that came with it (or -1) in *fd. */
static int recv_msg(int sock, struct msg *m, int *fd)
{
	*fd = -1;
	return vkt_recv(sock, m, sizeof(*m), fd, 1) < 0 ? -1 : 0;
}

/* --- Vulkan objects -------------------------------------------------- */

static const char *memory_flags(VkMemoryPropertyFlags f, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s",
		 f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT ? "DEVICE_LOCAL " : "",
		 f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT ? "HOST_VISIBLE " : "",
		 f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT ? "HOST_COHERENT " : "",
		 f & VK_MEMORY_PROPERTY_HOST_CACHED_BIT ? "HOST_CACHED " : "");
	if (*buf)
		buf[strlen(buf) - 1] = 0;
	else
		snprintf(buf, n, "none");
	return buf;
}

/*
 * The memory type for the shared images among @bits: device-local and not
 * host-visible (video memory) if there is one; else device-local; else
 * the first.  UINT32_MAX when --vram wants video memory and there is none.
 */
static uint32_t image_memory_type(struct gs *g, uint32_t bits)
{
	VkPhysicalDeviceMemoryProperties mp;
	uint32_t local = UINT32_MAX, any = UINT32_MAX;

	vkGetPhysicalDeviceMemoryProperties(g->t.pd, &mp);
	for (uint32_t i = 0; i < mp.memoryTypeCount; i++) {
		VkMemoryPropertyFlags f = mp.memoryTypes[i].propertyFlags;
		VkMemoryHeap *heap = &mp.memoryHeaps[mp.memoryTypes[i].heapIndex];

		if (!(bits & (1u << i)))
			continue;
		if (any == UINT32_MAX)
			any = i;
		if (!(f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) ||
		    !(heap->flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT))
			continue;
		if (!(f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT))
			return i;
		if (local == UINT32_MAX)
			local = i;
	}
	if (g->vram)
		return UINT32_MAX;
	return local != UINT32_MAX ? local : any;
}

static void buffer_create(struct gs *g, struct buffer *b, VkDeviceSize size,
			  VkBufferUsageFlags usage, bool host, bool cached)
{
	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.size = size,
		.usage = usage,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
	};
	VkPhysicalDeviceMemoryProperties mp;
	VkMemoryRequirements mr;
	VkMemoryPropertyFlags want;
	uint32_t type = UINT32_MAX;

	memset(b, 0, sizeof(*b));
	b->size = size;
	VK_CHECK(vkCreateBuffer(g->t.device, &bci, NULL, &b->buffer));
	vkGetBufferMemoryRequirements(g->t.device, b->buffer, &mr);
	if (host) {
		want = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
		       (cached ? VK_MEMORY_PROPERTY_HOST_CACHED_BIT :
				 VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
		type = vkt_memory_type(&g->t, mr.memoryTypeBits, want);
		if (type == UINT32_MAX)
			type = vkt_memory_type(&g->t, mr.memoryTypeBits,
					       VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT);
	} else {
		type = image_memory_type(g, mr.memoryTypeBits);
	}
	if (type == UINT32_MAX)
		die("no memory type for a %s buffer", host ? "host" : "device");
	vkGetPhysicalDeviceMemoryProperties(g->t.pd, &mp);
	b->coherent = mp.memoryTypes[type].propertyFlags &
		      VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
	mai.allocationSize = mr.size;
	mai.memoryTypeIndex = type;
	VK_CHECK(vkAllocateMemory(g->t.device, &mai, NULL, &b->memory));
	VK_CHECK(vkBindBufferMemory(g->t.device, b->buffer, b->memory, 0));
	if (host)
		VK_CHECK(vkMapMemory(g->t.device, b->memory, 0, VK_WHOLE_SIZE,
				     0, &b->map));
}

static void buffer_destroy(struct gs *g, struct buffer *b)
{
	if (b->buffer)
		vkDestroyBuffer(g->t.device, b->buffer, NULL);
	if (b->memory)
		vkFreeMemory(g->t.device, b->memory, NULL);
	memset(b, 0, sizeof(*b));
}

/* Make the host see the device's writes (@flush false) or the reverse. */
static void buffer_sync(struct gs *g, struct buffer *b, bool flush)
{
	VkMappedMemoryRange r = {
		.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
		.memory = b->memory,
		.size = VK_WHOLE_SIZE,
	};

	if (b->coherent)
		return;
	if (flush)
		VK_CHECK(vkFlushMappedMemoryRanges(g->t.device, 1, &r));
	else
		VK_CHECK(vkInvalidateMappedMemoryRanges(g->t.device, 1, &r));
}

/*
 * An image of the run's size.  @external: exportable or imported as
 * OPAQUE_WIN32 through the NV structures; @import_fd >= 0 imports that
 * descriptor (which then belongs to the memory) into memory type @type,
 * with the exporter's allocation size @size (0: this image's).  Returns the VkResult of the allocation (the image is not made then).
 */
static VkResult image_create(struct gs *g, struct image *im, bool external,
			     int import_fd, uint32_t type, VkDeviceSize size)
{
	VkExternalMemoryImageCreateInfoNV ext = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV,
		.handleTypes = OPAQUE,
	};
	VkDedicatedAllocationImageCreateInfoNV ded_image = {
		.sType = VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_IMAGE_CREATE_INFO_NV,
		.dedicatedAllocation = VK_TRUE,
	};
	VkImageCreateInfo ici = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
		.imageType = VK_IMAGE_TYPE_2D,
		.format = FORMAT,
		.extent = { g->width, g->height, 1 },
		.mipLevels = 1,
		.arrayLayers = 1,
		.samples = VK_SAMPLE_COUNT_1_BIT,
		.tiling = VK_IMAGE_TILING_OPTIMAL,
		.usage = USAGE,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
		.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
	};
	VkExportMemoryAllocateInfoNV exp = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV,
		.handleTypes = OPAQUE,
	};
	VkImportMemoryWin32HandleInfoNV imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.handleType = OPAQUE,
		.handle = PRIMESHARE_HANDLE_FROM_FD(import_fd),
	};
	VkDedicatedAllocationMemoryAllocateInfoNV ded_mem = {
		.sType = VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_MEMORY_ALLOCATE_INFO_NV,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
	};
	VkImageViewCreateInfo vci = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
		.viewType = VK_IMAGE_VIEW_TYPE_2D,
		.format = FORMAT,
		.subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 },
	};
	/* The same by hand: KHR opaque fds (g->khr, no layer). */
	VkExternalMemoryImageCreateInfo khr_ext = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
	};
	VkExportMemoryAllocateInfo khr_exp = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
	};
	VkImportMemoryFdInfoKHR khr_imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
		.fd = import_fd,
	};
	VkMemoryDedicatedAllocateInfo khr_ded = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
	};
	bool dedicated = external && g->dedicated;
	VkMemoryRequirements mr;
	int64_t t0 = now_ns(), t1, t2, t3;
	VkResult res;

	memset(im, 0, sizeof(*im));
	if (external && g->khr) {
		ici.pNext = &khr_ext;
	} else if (external) {
		ici.pNext = &ext;
		if (dedicated)
			ext.pNext = &ded_image;
	}
	VK_CHECK(vkCreateImage(g->t.device, &ici, NULL, &im->image));
	vkGetImageMemoryRequirements(g->t.device, im->image, &mr);
	if (type == UINT32_MAX)
		type = image_memory_type(g, mr.memoryTypeBits);
	if (type == UINT32_MAX || !(mr.memoryTypeBits & (1u << type))) {
		vkDestroyImage(g->t.device, im->image, NULL);
		im->image = VK_NULL_HANDLE;
		return VK_ERROR_FORMAT_NOT_SUPPORTED;
	}
	if (external && g->khr) {
		mai.pNext = import_fd >= 0 ? (void *)&khr_imp : (void *)&khr_exp;
		khr_ded.image = im->image;
		if (dedicated && import_fd >= 0)
			khr_imp.pNext = &khr_ded;
		else if (dedicated)
			khr_exp.pNext = &khr_ded;
	} else if (external) {
		mai.pNext = import_fd >= 0 ? (void *)&imp : (void *)&exp;
	}
	if (dedicated && !g->khr) {
		ded_mem.image = im->image;
		if (import_fd >= 0)
			imp.pNext = &ded_mem;
		else
			exp.pNext = &ded_mem;
	}
	mai.allocationSize = size ? size : mr.size;
	mai.memoryTypeIndex = type;
	if (mai.allocationSize < mr.size) {
		vkDestroyImage(g->t.device, im->image, NULL);
		im->image = VK_NULL_HANDLE;
		return VK_ERROR_INVALID_EXTERNAL_HANDLE;
	}
	t1 = now_ns();
	res = vkAllocateMemory(g->t.device, &mai, NULL, &im->memory);
	if (res != VK_SUCCESS) {
		vkDestroyImage(g->t.device, im->image, NULL);
		memset(im, 0, sizeof(*im));
		return res;
	}
	t2 = now_ns();
	im->size = mai.allocationSize;
	im->type = type;
	VK_CHECK(vkBindImageMemory(g->t.device, im->image, im->memory, 0));
	t3 = now_ns();
	vci.image = im->image;
	VK_CHECK(vkCreateImageView(g->t.device, &vci, NULL, &im->view));
	im->step[S_CREATE] = t1 - t0;
	im->step[S_ALLOC] = t2 - t1;
	im->step[S_BIND] = t3 - t2;
	im->step[S_VIEW] = now_ns() - t3;
	return VK_SUCCESS;
}

static void image_destroy(struct gs *g, struct image *im)
{
	if (im->view)
		vkDestroyImageView(g->t.device, im->view, NULL);
	if (im->image)
		vkDestroyImage(g->t.device, im->image, NULL);
	if (im->memory)
		vkFreeMemory(g->t.device, im->memory, NULL);
	memset(im, 0, sizeof(*im));
}

static VkShaderModule shader(struct gs *g, const uint32_t *code, size_t size)
{
	VkShaderModuleCreateInfo ci = {
		.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
		.codeSize = size,
		.pCode = code,
	};
	VkShaderModule m;

	VK_CHECK(vkCreateShaderModule(g->t.device, &ci, NULL, &m));
	return m;
}

static VkPipeline pipeline(struct gs *g, const uint32_t *code, size_t size)
{
	VkComputePipelineCreateInfo ci = {
		.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
		.stage = {
			.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
			.stage = VK_SHADER_STAGE_COMPUTE_BIT,
			.module = shader(g, code, size),
			.pName = "main",
		},
		.layout = g->layout,
	};
	VkPipeline p;

	VK_CHECK(vkCreateComputePipelines(g->t.device, VK_NULL_HANDLE, 1, &ci,
					  NULL, &p));
	vkDestroyShaderModule(g->t.device, ci.stage.module, NULL);
	return p;
}

/* Pipelines, descriptors, the sums buffer and the readback buffer. */
static void setup_objects(struct gs *g, bool bench)
{
	VkDescriptorSetLayoutBinding bindings[] = {
		{ 0, VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, 1,
		  VK_SHADER_STAGE_COMPUTE_BIT, NULL },
		{ 1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
		  VK_SHADER_STAGE_COMPUTE_BIT, NULL },
	};
	VkDescriptorSetLayoutCreateInfo sci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
		.bindingCount = VKT_ARRAY_SIZE(bindings),
		.pBindings = bindings,
	};
	VkPushConstantRange push = {
		VK_SHADER_STAGE_COMPUTE_BIT, 0, 2 * sizeof(uint32_t),
	};
	VkPipelineLayoutCreateInfo lci = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
		.setLayoutCount = 1,
		.pSetLayouts = &g->set_layout,
		.pushConstantRangeCount = 1,
		.pPushConstantRanges = &push,
	};
	VkDescriptorPoolSize sizes[] = {
		{ VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, 1 },
		{ VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1 },
	};
	VkDescriptorPoolCreateInfo pci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
		.maxSets = 1,
		.poolSizeCount = VKT_ARRAY_SIZE(sizes),
		.pPoolSizes = sizes,
	};
	VkDescriptorSetAllocateInfo dai = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
		.descriptorSetCount = 1,
		.pSetLayouts = &g->set_layout,
	};
	VkQueryPoolCreateInfo qci = {
		.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
		.queryType = VK_QUERY_TYPE_TIMESTAMP,
		.queryCount = 2 * BW_PASSES,
	};
	VkDeviceSize sums = (VkDeviceSize)g->width *
			    ((g->height + ROWS - 1) / ROWS) * 4;
	VkPhysicalDeviceProperties props;
	VkQueueFamilyProperties *qfp;
	uint32_t nq = 0, bits;

	VK_CHECK(vkCreateDescriptorSetLayout(g->t.device, &sci, NULL,
					     &g->set_layout));
	VK_CHECK(vkCreatePipelineLayout(g->t.device, &lci, NULL, &g->layout));
	g->fill = pipeline(g, gpu_share_fill_spv, sizeof(gpu_share_fill_spv));
	g->read = pipeline(g, gpu_share_read_spv, sizeof(gpu_share_read_spv));
	VK_CHECK(vkCreateDescriptorPool(g->t.device, &pci, NULL, &g->dpool));
	dai.descriptorPool = g->dpool;
	VK_CHECK(vkAllocateDescriptorSets(g->t.device, &dai, &g->set));
	buffer_create(g, &g->sums, sums, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
		      false, false);
	buffer_create(g, &g->host, pixel_bytes(g),
		      VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
		      VK_BUFFER_USAGE_TRANSFER_DST_BIT, true, true);
	if (!bench)
		return;
	/* Eight times the image, at least 64 MiB, at most 512 MiB. */
	buffer_create(g, &g->scratch,
		      fmin(fmax(8.0 * pixel_bytes(g), 64 << 20), 512 << 20),
		      VK_BUFFER_USAGE_TRANSFER_DST_BIT, false, false);
	VK_CHECK(vkCreateQueryPool(g->t.device, &qci, NULL, &g->queries));
	vkGetPhysicalDeviceProperties(g->t.pd, &props);
	g->ts_period = props.limits.timestampPeriod;
	vkGetPhysicalDeviceQueueFamilyProperties(g->t.pd, &nq, NULL);
	qfp = calloc(nq, sizeof(*qfp));
	if (!qfp)
		die("out of memory");
	vkGetPhysicalDeviceQueueFamilyProperties(g->t.pd, &nq, qfp);
	bits = g->t.queue_family < nq ?
	       qfp[g->t.queue_family].timestampValidBits : 0;
	free(qfp);
	if (!bits)
		die("the queue family has no timestamps: no bandwidth figures");
	g->ts_mask = bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
}

static void teardown_objects(struct gs *g)
{
	if (g->queries)
		vkDestroyQueryPool(g->t.device, g->queries, NULL);
	buffer_destroy(g, &g->scratch);
	buffer_destroy(g, &g->host);
	buffer_destroy(g, &g->sums);
	if (g->dpool)
		vkDestroyDescriptorPool(g->t.device, g->dpool, NULL);
	if (g->fill)
		vkDestroyPipeline(g->t.device, g->fill, NULL);
	if (g->read)
		vkDestroyPipeline(g->t.device, g->read, NULL);
	if (g->layout)
		vkDestroyPipelineLayout(g->t.device, g->layout, NULL);
	if (g->set_layout)
		vkDestroyDescriptorSetLayout(g->t.device, g->set_layout, NULL);
	if (g->shm)
		munmap(g->shm, g->shm_size);
}

/* Point the descriptor set at @im (and the sums buffer). */
static void bind_image(struct gs *g, struct image *im)
{
	VkDescriptorImageInfo ii = {
		.imageView = im->view,
		.imageLayout = VK_IMAGE_LAYOUT_GENERAL,
	};
	VkDescriptorBufferInfo bi = {
		.buffer = g->sums.buffer,
		.range = VK_WHOLE_SIZE,
	};
	VkWriteDescriptorSet w[] = {
		{
			.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
			.dstSet = g->set,
			.dstBinding = 0,
			.descriptorCount = 1,
			.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE,
			.pImageInfo = &ii,
		}, {
			.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
			.dstSet = g->set,
			.dstBinding = 1,
			.descriptorCount = 1,
			.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
			.pBufferInfo = &bi,
		},
	};

	vkUpdateDescriptorSets(g->t.device, VKT_ARRAY_SIZE(w), w, 0, NULL);
}

static void barrier(VkCommandBuffer cb, VkImage image,
		    VkPipelineStageFlags src_stage, VkAccessFlags src,
		    VkPipelineStageFlags dst_stage, VkAccessFlags dst,
		    VkImageLayout from, uint32_t src_family,
		    uint32_t dst_family)
{
	VkImageMemoryBarrier b = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
		.srcAccessMask = src,
		.dstAccessMask = dst,
		.oldLayout = from,
		.newLayout = VK_IMAGE_LAYOUT_GENERAL,
		.srcQueueFamilyIndex = src_family,
		.dstQueueFamilyIndex = dst_family,
		.image = image,
		.subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 },
	};

	vkCmdPipelineBarrier(cb, src_stage, dst_stage, 0, 0, NULL, 0, NULL,
			     1, &b);
}

static void dispatch(struct gs *g, VkCommandBuffer cb, VkPipeline p,
		     uint32_t seed, uint32_t rows)
{
	uint32_t push[2] = { seed, rows };

	vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, p);
	vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, g->layout,
				0, 1, &g->set, 0, NULL);
	vkCmdPushConstants(cb, g->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
			   sizeof(push), push);
	vkCmdDispatch(cb, (g->width + GROUP - 1) / GROUP,
		      (g->height + GROUP * rows - 1) / (GROUP * rows), 1);
}

static void submit(struct gs *g, VkCommandBuffer cb)
{
	VK_CHECK(vkt_submit(&g->t, cb));
}

/* Release @im, written by a compute shader, to VK_QUEUE_FAMILY_EXTERNAL. */
static void release(struct gs *g, VkCommandBuffer cb, struct image *im)
{
	barrier(cb, im->image, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
		VK_ACCESS_SHADER_WRITE_BIT,
		VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0,
		VK_IMAGE_LAYOUT_GENERAL, g->t.queue_family,
		VK_QUEUE_FAMILY_EXTERNAL);
}

/*
 * Fill a new image with the pattern of @seed by the compute shader; with
 * @hand_over, hand it to VK_QUEUE_FAMILY_EXTERNAL in GENERAL.
 */
static void fill(struct gs *g, struct image *im, uint32_t seed,
		 bool hand_over)
{
	VkCommandBuffer cb = vkt_begin(&g->t);

	bind_image(g, im);
	barrier(cb, im->image, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, 0,
		VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
		VK_ACCESS_SHADER_WRITE_BIT, VK_IMAGE_LAYOUT_UNDEFINED,
		VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED);
	dispatch(g, cb, g->fill, seed, 1);
	if (hand_over)
		release(g, cb, im);
	else
		barrier(cb, im->image, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
			VK_ACCESS_SHADER_WRITE_BIT,
			VK_PIPELINE_STAGE_TRANSFER_BIT |
			VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
			VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_SHADER_READ_BIT,
			VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_IGNORED,
			VK_QUEUE_FAMILY_IGNORED);
	submit(g, cb);
}

/* Acquire an imported image from VK_QUEUE_FAMILY_EXTERNAL. */
static void acquire(struct gs *g, VkCommandBuffer cb, struct image *im)
{
	barrier(cb, im->image, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, 0,
		VK_PIPELINE_STAGE_TRANSFER_BIT |
		VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
		VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_SHADER_READ_BIT,
		VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_EXTERNAL,
		g->t.queue_family);
}

/* The first read: one compute pass over the whole image. */
static void first_read(struct gs *g, VkCommandBuffer cb, struct image *im)
{
	bind_image(g, im);
	dispatch(g, cb, g->read, 0, ROWS);
}

/*
 * Copy @im (GENERAL, readable) into the host buffer and wait for it, so
 * the host sees the pixels; the image is left in TRANSFER_SRC_OPTIMAL.
 */
static void readback(struct gs *g, struct image *im)
{
	VkCommandBuffer cb = vkt_begin(&g->t);
	VkBufferImageCopy copy = {
		.imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
		.imageExtent = { g->width, g->height, 1 },
	};
	VkBufferMemoryBarrier b = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
		.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.buffer = g->host.buffer,
		.size = VK_WHOLE_SIZE,
	};

	VkImageMemoryBarrier ib = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT |
				 VK_ACCESS_TRANSFER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT,
		.oldLayout = VK_IMAGE_LAYOUT_GENERAL,
		.newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
		.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.image = im->image,
		.subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 },
	};

	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
			     VK_PIPELINE_STAGE_TRANSFER_BIT,
			     VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, NULL, 0,
			     NULL, 1, &ib);
	vkCmdCopyImageToBuffer(cb, im->image,
			       VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
			       g->host.buffer, 1, &copy);
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
			     VK_PIPELINE_STAGE_HOST_BIT, 0, 0, NULL, 1, &b, 0,
			     NULL);
	submit(g, cb);
	buffer_sync(g, &g->host, false);
}

/* Pixels of the host buffer that are not the pattern of @seed. */
static uint32_t mismatches(struct gs *g, uint32_t seed)
{
	const uint8_t *p = g->host.map;
	uint32_t wrong = 0;

	for (uint32_t y = 0; y < g->height; y++) {
		for (uint32_t x = 0; x < g->width; x++, p += 4) {
			uint32_t want = pattern(x, y, seed);
			uint32_t got = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
				       (uint32_t)p[2] << 16 |
				       (uint32_t)p[3] << 24;

			if (got != want && wrong++ < 3)
				fprintf(stderr,
					"gpu_share: pixel (%u, %u) of seed %u: 0x%08x, want 0x%08x\n",
					x, y, seed, got, want);
		}
	}
	return wrong;
}

/* Read @im (already acquired or owned, GENERAL) back and compare. */
static uint32_t verify(struct gs *g, struct image *im, uint32_t seed)
{
	memset(g->host.map, 0, pixel_bytes(g));
	buffer_sync(g, &g->host, true);
	readback(g, im);
	return mismatches(g, seed);
}

/*
 * Read bandwidth of @im in GB/s: the median of BW_PASSES compute passes
 * over it, each after a fill of the scratch buffer that pushes the image
 * out of the GPU's caches, timed by timestamps around the pass alone.
 */
static double bandwidth(struct gs *g, struct image *im)
{
	uint64_t ts[2 * BW_PASSES];
	double ns[BW_PASSES], tmp;
	VkMemoryBarrier mb = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT |
				 VK_ACCESS_SHADER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT |
				 VK_ACCESS_SHADER_WRITE_BIT,
	};
	VkCommandBuffer cb = vkt_begin(&g->t);

	bind_image(g, im);
	vkCmdResetQueryPool(cb, g->queries, 0, 2 * BW_PASSES);
	for (uint32_t i = 0; i < BW_PASSES; i++) {
		vkCmdFillBuffer(cb, g->scratch.buffer, 0, VK_WHOLE_SIZE, i);
		vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT |
				     VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
				     VK_PIPELINE_STAGE_TRANSFER_BIT |
				     VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0,
				     1, &mb, 0, NULL, 0, NULL);
		/* Bottom of pipe: once the fill before it has finished. */
		vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
				    g->queries, 2 * i);
		dispatch(g, cb, g->read, 0, ROWS);
		vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
				    g->queries, 2 * i + 1);
		vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
				     VK_PIPELINE_STAGE_TRANSFER_BIT |
				     VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0,
				     1, &mb, 0, NULL, 0, NULL);
	}
	submit(g, cb);
	VK_CHECK(vkGetQueryPoolResults(g->t.device, g->queries, 0,
				       2 * BW_PASSES, sizeof(ts), ts,
				       sizeof(uint64_t),
				       VK_QUERY_RESULT_64_BIT |
				       VK_QUERY_RESULT_WAIT_BIT));
	for (uint32_t i = 0; i < BW_PASSES; i++)
		ns[i] = (double)((ts[2 * i + 1] - ts[2 * i]) & g->ts_mask) *
			g->ts_period;
	for (uint32_t i = 1; i < BW_PASSES; i++)
		for (uint32_t j = i; j > 0 && ns[j - 1] > ns[j]; j--)
			tmp = ns[j], ns[j] = ns[j - 1], ns[j - 1] = tmp;
	tmp = (ns[BW_PASSES / 2 - 1] + ns[BW_PASSES / 2]) / 2;
	return tmp > 0 ? (double)pixel_bytes(g) / tmp : 0;
}

/* --- setup ----------------------------------------------------------- */

/* Whether the driver (@layer NULL) or layer @layer lists device extension @name. */
static bool device_has_in(VkPhysicalDevice pd, const char *layer,
			  const char *name)
{
	VkExtensionProperties *p;
	uint32_t n = 0;
	bool has;

	if (vkEnumerateDeviceExtensionProperties(pd, layer, &n, NULL) < 0)
		return false;
	p = calloc(n + 1, sizeof(*p));
	if (!p || vkEnumerateDeviceExtensionProperties(pd, layer, &n, p) < 0)
		die("out of memory");
	has = vkt_has_ext(p, n, name);
	free(p);
	return has;
}

static bool device_has(VkPhysicalDevice pd, const char *name)
{
	return device_has_in(pd, NULL, name);
}

/*
 * The NV answer for OPAQUE_WIN32 on the run's image: exportable and
 * importable, and whether the driver wants a dedicated allocation.
 */
static VkExternalMemoryFeatureFlagsNV nv_caps(struct gs *g,
					      VkExternalMemoryHandleTypeFlagsNV type,
					      VkExternalImageFormatPropertiesNV *out)
{
	PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV get =
		(PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV)
		vkGetInstanceProcAddr(g->t.instance,
			"vkGetPhysicalDeviceExternalImageFormatPropertiesNV");
	VkExternalImageFormatPropertiesNV p = { 0 };

	if (!get)
		die("vkGetPhysicalDeviceExternalImageFormatPropertiesNV is missing: is the layer there?");
	if (get(g->t.pd, FORMAT, VK_IMAGE_TYPE_2D, VK_IMAGE_TILING_OPTIMAL,
		USAGE, 0, type, &p) != VK_SUCCESS)
		memset(&p, 0, sizeof(p));
	if (out)
		*out = p;
	return p.externalMemoryFeatures;
}

static void open_device(struct gs *g)
{
	const char *exts[4] = {
		VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
		VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
	};
	uint32_t n = 2;
	VkResult res;

	res = vkt_instance(&g->t, VK_API_VERSION_1_1, caps_ext, 1);
	if (res != VK_SUCCESS)
		die("vkCreateInstance with %s: VkResult %d (is the layer on VK_LAYER_PATH?)",
		    caps_ext[0], res);
	g->dedicated = nv_caps(g, OPAQUE, NULL) &
		       VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT_NV;
	if (g->dedicated) {
		if (!device_has(g->t.pd, VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME))
			die("the driver wants dedicated allocations for OPAQUE_WIN32 but has no %s",
			    VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME);
		exts[n++] = VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME;
	}
	g->budget = device_has(g->t.pd, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME);
	if (g->budget)
		exts[n++] = VK_EXT_MEMORY_BUDGET_EXTENSION_NAME;
	res = vkt_device(&g->t, exts, n);
	if (res != VK_SUCCESS)
		die("vkCreateDevice with the NV extensions: VkResult %d", res);
	g->get_handle = (PFN_vkGetMemoryWin32HandleNV)
		vkGetDeviceProcAddr(g->t.device, "vkGetMemoryWin32HandleNV");
	if (!g->get_handle)
		die("vkGetMemoryWin32HandleNV is missing with %s enabled",
		    VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME);
}

/*
 * The device of the by-hand path: an instance with no layer at all, and
 * VK_KHR_external_memory_fd.  @dedicated: whether the layer's answer
 * (the driver's own, translated) asked for dedicated allocations.
 */
static void open_device_khr(struct gs *g, bool dedicated)
{
	static const char *const exts[] = {
		VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME,
	};
	char *layers = getenv("VK_INSTANCE_LAYERS");
	VkResult res;

	layers = layers ? strdup(layers) : NULL;
	unsetenv("VK_INSTANCE_LAYERS");
	res = vkt_instance(&g->t, VK_API_VERSION_1_1, NULL, 0);
	if (layers) {
		setenv("VK_INSTANCE_LAYERS", layers, 1);
		free(layers);
	}
	if (res != VK_SUCCESS)
		die("vkCreateInstance without layers: VkResult %d", res);
	res = vkt_device(&g->t, exts, 1);
	if (res != VK_SUCCESS)
		die("vkCreateDevice with %s: VkResult %d", exts[0], res);
	g->khr = true;
	g->dedicated = dedicated;
	g->get_fd = (PFN_vkGetMemoryFdKHR)vkGetDeviceProcAddr(g->t.device,
							     "vkGetMemoryFdKHR");
	if (!g->get_fd)
		die("vkGetMemoryFdKHR is missing with %s enabled", exts[0]);
}

/* "# device: ..." lines: what this run ran on. */
static void describe(struct gs *g)
{
	VkPhysicalDeviceDriverProperties drv = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES,
	};
	VkPhysicalDeviceProperties2 p = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
		.pNext = &drv,
	};
	VkPhysicalDeviceMemoryProperties mp;
	VkPhysicalDeviceProperties *pp = &p.properties;
	char flags[96];

	vkGetPhysicalDeviceProperties2(g->t.pd, &p);
	vkGetPhysicalDeviceMemoryProperties(g->t.pd, &mp);
	vkt_diag("device: %s", pp->deviceName);
	vkt_diag("driver: %s %s (Vulkan %u.%u.%u)", drv.driverName,
		 drv.driverInfo, VK_API_VERSION_MAJOR(pp->apiVersion),
		 VK_API_VERSION_MINOR(pp->apiVersion),
		 VK_API_VERSION_PATCH(pp->apiVersion));
	for (uint32_t i = 0; i < mp.memoryHeapCount; i++)
		vkt_diag("memory heap %u: %.1f GiB%s", i,
			 mp.memoryHeaps[i].size / 1073741824.0,
			 mp.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT ?
			 ", DEVICE_LOCAL" : "");
	if (g->type != UINT32_MAX)
		vkt_diag("shared images: %ux%u RGBA8, memory type %u (%s) of heap %u%s",
			 g->width, g->height, g->type,
			 memory_flags(mp.memoryTypes[g->type].propertyFlags,
				      flags, sizeof(flags)),
			 mp.memoryTypes[g->type].heapIndex,
			 g->dedicated ? ", dedicated" : "");
}

/* The memory type of the shared images, from a probe image. */
static void choose_type(struct gs *g)
{
	struct image im;

	g->type = UINT32_MAX;
	if (image_create(g, &im, true, -1, UINT32_MAX, 0) != VK_SUCCESS)
		return;
	g->type = im.type;
	image_destroy(g, &im);
}

/* A's and B's device and driver, as Vulkan identifies them. */
static void device_ids(struct gs *g, struct msg *m)
{
	VkPhysicalDeviceIDProperties id = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES,
	};
	VkPhysicalDeviceProperties2 p = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
		.pNext = &id,
	};

	vkGetPhysicalDeviceProperties2(g->t.pd, &p);
	memcpy(m->device_uuid, id.deviceUUID, VK_UUID_SIZE);
	memcpy(m->driver_uuid, id.driverUUID, VK_UUID_SIZE);
}

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

static void b_share(struct gs *g, struct msg *m, int fd)
{
	VkCommandBuffer cb;
	struct image im;

	m->status = import(g, &im, fd, m);
	if (m->status)
		return;
	cb = vkt_begin(&g->t);
	acquire(g, cb, &im);
	submit(g, cb);
	m->mismatches = verify(g, &im, m->seed);
	image_destroy(g, &im);
}

static void b_time_share(struct gs *g, struct msg *m, int fd)
{
	VkCommandBuffer cb;
	struct image im;

	m->t[T_RECV] = now_ns();
	m->t[T_COPIED] = m->t[T_RECV];
	m->status = import(g, &im, fd, m);
	if (m->status)
		return;
	m->t[T_BOUND] = now_ns();
	memcpy(m->step, im.step, sizeof(m->step));
	cb = vkt_begin(&g->t);
	acquire(g, cb, &im);
	first_read(g, cb, &im);
	submit(g, cb);
	m->t[T_READ] = now_ns();
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

	m->t[T_RECV] = now_ns();
	if (!g->shm) {
		m->status = -EINVAL;
		return;
	}
	memcpy(g->host.map, g->shm, pixel_bytes(g));
	buffer_sync(g, &g->host, true);
	m->t[T_COPIED] = now_ns();
	if (image_create(g, &im, false, -1, UINT32_MAX, 0) != VK_SUCCESS) {
		m->status = -ENOMEM;
		return;
	}
	m->t[T_BOUND] = now_ns();
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
	m->t[T_READ] = now_ns();
	m->mismatches = verify(g, &im, m->seed);
	image_destroy(g, &im);
}

static void b_bandwidth(struct gs *g, struct msg *m, int fd)
{
	VkCommandBuffer cb;
	struct image im, own;

	m->status = import(g, &im, fd, m);
	if (m->status)
		return;
	cb = vkt_begin(&g->t);
	acquire(g, cb, &im);
	submit(g, cb);
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

static int importer(int sock, bool bench)
{
	struct gs g = { .type = UINT32_MAX }, hand = { .type = UINT32_MAX };
	struct msg m, mine;
	int fd;

	if (recv_msg(sock, &m, &fd) || m.op != OP_HELLO)
		die("importer: no hello");
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
		die("importer: send: %s", strerror(errno));

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
			die("importer: send: %s", strerror(errno));
	}
	die("importer: the exporter went away");
}

/* --- A, the exporter ------------------------------------------------- */

static pid_t b_pid;

/* Start B: this program again, by exec, on one end of a socket pair. */
static int start_importer(const char *self, bool bench)
{
	int sv[2];
	char arg[16];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		die("socketpair: %s", strerror(errno));
	fflush(stdout);
	b_pid = fork();
	if (b_pid < 0)
		die("fork: %s", strerror(errno));
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
static void ask(int sock, struct msg *m, int fd)
{
	uint32_t op = m->op;
	int none;

	if (send_msg(sock, m, fd))
		die("send to the importer: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	if (recv_msg(sock, m, &none))
		die("the importer did not answer (op %u)", op);
	if (none >= 0)
		close(none);
}

static int export_fd(struct gs *g, struct image *im)
{
	VkMemoryGetFdInfoKHR info = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR,
		.memory = im->memory,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
	};
	HANDLE h = NULL;
	int fd = -1;

	if (g->khr) {
		VK_CHECK(g->get_fd(g->t.device, &info, &fd));
		return fd;
	}
	VK_CHECK(g->get_handle(g->t.device, im->memory, OPAQUE, &h));
	return PRIMESHARE_FD_FROM_HANDLE(h);
}

static int finish_importer(int sock, struct msg *m)
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

static int hello(struct gs *g, int sock)
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

/* --- check ------------------------------------------------------------ */

/* Whether the instance extensions of @layer (NULL: all) include @name. */
static bool instance_has(const char *layer, const char *name)
{
	VkExtensionProperties *p;
	uint32_t n = 0;
	bool has;

	if (vkEnumerateInstanceExtensionProperties(layer, &n, NULL) < 0)
		return false;
	p = calloc(n + 1, sizeof(*p));
	if (!p || vkEnumerateInstanceExtensionProperties(layer, &n, p) < 0)
		die("out of memory");
	has = vkt_has_ext(p, n, name);
	free(p);
	return has;
}

/* The three names, listed or not, on an instance with or without us. */
static void check_extensions(bool with_layer)
{
	static const char *const caps[] = {
		VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	};
	const char *how = with_layer ? "with the layer" : "without the layer";
	struct vkt t;
	bool inst, mem, win32;

	if (with_layer)
		vkt_layers_unchecked();
	else
		unsetenv("VK_INSTANCE_LAYERS");
	inst = instance_has(with_layer ? VKT_LAYER : NULL,
			    VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME);
	/* The explicit layer lists its device extensions under its name. */
	if (vkt_instance(&t, VK_API_VERSION_1_1, with_layer ? caps : NULL,
			 with_layer) != VK_SUCCESS)
		vkt_bail("vkCreateInstance %s", how);
	mem = device_has_in(t.pd, with_layer ? VKT_LAYER : NULL,
			    VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME);
	win32 = device_has_in(t.pd, with_layer ? VKT_LAYER : NULL,
			      VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME);
	vkt_destroy(&t);
	vkt_ok(inst == with_layer, "%s: %s %s", how,
	       VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	       inst ? "listed" : "absent");
	vkt_ok(mem == with_layer, "%s: %s %s", how,
	       VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME, mem ? "listed" : "absent");
	vkt_ok(win32 == with_layer, "%s: %s %s", how,
	       VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
	       win32 ? "listed" : "absent");
}

/* The driver's own answer for OPAQUE_FD on the same image. */
static VkExternalMemoryProperties khr_caps(struct gs *g)
{
	VkPhysicalDeviceExternalImageFormatInfo ext = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
	};
	VkPhysicalDeviceImageFormatInfo2 info = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2,
		.pNext = &ext,
		.format = FORMAT,
		.type = VK_IMAGE_TYPE_2D,
		.tiling = VK_IMAGE_TILING_OPTIMAL,
		.usage = USAGE,
	};
	VkExternalImageFormatProperties eprops = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES,
	};
	VkImageFormatProperties2 props = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_FORMAT_PROPERTIES_2,
		.pNext = &eprops,
	};

	if (vkGetPhysicalDeviceImageFormatProperties2(g->t.pd, &info, &props) !=
	    VK_SUCCESS)
		memset(&eprops, 0, sizeof(eprops));
	return eprops.externalMemoryProperties;
}

static void check_caps(struct gs *g)
{
	VkExternalMemoryProperties khr = khr_caps(g);
	VkExternalImageFormatPropertiesNV nv, kmt;
	VkExternalMemoryFeatureFlagsNV f = nv_caps(g, OPAQUE, &nv);
	VkExternalMemoryFeatureFlagsNV both =
		VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT_NV |
		VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT_NV;
	bool k_exp = khr.externalMemoryFeatures &
		     VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT;
	bool k_imp = khr.externalMemoryFeatures &
		     VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT;
	bool k_ded = khr.externalMemoryFeatures &
		     VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT;
	bool kmt_wanted = vkt_expect_kmt();
	VkExternalMemoryHandleTypeFlagsNV kmt_seen = 0;

	vkt_diag("driver, OPAQUE_FD: features 0x%x; layer, OPAQUE_WIN32: features 0x%x, compatible 0x%x, export from imported 0x%x",
		 khr.externalMemoryFeatures, f, nv.compatibleHandleTypes,
		 nv.exportFromImportedHandleTypes);
	vkt_ok((f & both) == both,
	       "OPAQUE_WIN32 is exportable and importable for a %ux%u RGBA8 storage image",
	       g->width, g->height);
	vkt_ok(!!(f & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT_NV) == k_exp &&
	       !!(f & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT_NV) == k_imp &&
	       !!(f & VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT_NV) == k_ded,
	       "OPAQUE_WIN32's features are the driver's OPAQUE_FD features (exportable %d, importable %d, dedicated only %d)",
	       k_exp, k_imp, k_ded);
	for (uint32_t bit = 1; bit <= KMT_TYPES; bit <<= 1)
		if ((bit & KMT_TYPES) && nv_caps(g, bit, &kmt))
			kmt_seen |= bit;
	kmt_seen |= nv.compatibleHandleTypes & KMT_TYPES;
	vkt_ok(!!kmt_seen == kmt_wanted,
	       "the KMT types are %s (%s /dev/primeshare: expected %s)",
	       kmt_seen ? "supported" : "unsupported",
	       access("/dev/primeshare", F_OK) ? "no" : "with",
	       kmt_wanted ? "supported" : "unsupported");
}

static void report_leaks(const char *who, const struct msg *before,
			 const struct msg *after, VkDeviceSize image)
{
	int64_t gpu = after->gpu_bytes - before->gpu_bytes;
	int64_t rss = after->rss_kib - before->rss_kib;

	vkt_diag("%s: descriptors %" PRId64 " -> %" PRId64 ", mappings %"
		 PRId64 " -> %" PRId64 ", GPU memory %+" PRId64
		 " bytes, RSS %+" PRId64 " KiB", who, before->fds, after->fds,
		 before->maps, after->maps, gpu, rss);
	vkt_ok(after->fds == before->fds,
	       "%s: no descriptor leaked (%" PRId64 " before, %" PRId64 " after)",
	       who, before->fds, after->fds);
	vkt_ok(after->maps <= before->maps + 4,
	       "%s: no mapping leaked (%" PRId64 " before, %" PRId64 " after)",
	       who, before->maps, after->maps);
	if (before->gpu_bytes < 0)
		vkt_skip("no VK_EXT_memory_budget", "%s: no GPU memory leaked",
			 who);
	else
		vkt_ok(gpu < (int64_t)image,
		       "%s: no GPU memory leaked (%+" PRId64 " bytes, one image is %" PRIu64 ")",
		       who, gpu, (uint64_t)image);
	/* The cycles' pixels pass through 2 host buffers of one image each. */
	vkt_ok(rss < 16384 + (int64_t)(image / 1024),
	       "%s: resident memory did not grow (%+" PRId64 " KiB)", who, rss);
}

static int cmd_check(const char *self, struct gs *g, uint32_t cycles)
{
	struct msg m, a0 = { 0 }, b0 = { 0 }, a1, b1;
	uint32_t bad_pixels = 0, bad_cycles = 0, done = 0;
	int sock, rc;
	int64_t t0;

	check_extensions(false);
	check_extensions(true);

	vkt_layers(true);
	open_device(g);
	choose_type(g);
	describe(g);
	vkt_validation_selftest(&g->t);
	check_caps(g);
	vkt_ok(g->type != UINT32_MAX,
	       "an OPAQUE_WIN32 image can be made in %s",
	       g->vram ? "device-local memory that is not host-visible (video memory)" :
			 "device memory");
	if (g->type == UINT32_MAX) {
		vkt_destroy(&g->t);
		return vkt_done();
	}
	setup_objects(g, false);

	sock = start_importer(self, false);
	if (hello(g, sock))
		vkt_bail("the importer could not set up");

	t0 = now_ns();
	for (uint32_t i = 0; i < cycles; i++) {
		struct image im;

		if (i == WARMUP || (i == 0 && cycles <= WARMUP)) {
			memset(&m, 0, sizeof(m));
			m.op = OP_STATS;
			ask(sock, &m, -1);
			b0 = m;
			stats(g, &a0);
		}
		if (image_create(g, &im, true, -1, g->type, 0) != VK_SUCCESS)
			vkt_bail("cycle %u: no exportable image", i);
		fill(g, &im, i + 1, true);
		memset(&m, 0, sizeof(m));
		m.op = OP_SHARE;
		m.width = g->width;
		m.height = g->height;
		m.seed = i + 1;
		m.memory_type = im.type;
		m.size = im.size;
		ask(sock, &m, export_fd(g, &im));
		image_destroy(g, &im);
		if (m.status || m.mismatches) {
			bad_cycles++;
			bad_pixels += m.mismatches;
			if (bad_cycles <= 3)
				vkt_diag("cycle %u: status %d, %u pixels wrong",
					 i, m.status, m.mismatches);
		}
		done++;
	}
	vkt_diag("%u cycles in %.3f s", done, (now_ns() - t0) / 1e9);
	vkt_ok(done == cycles && !bad_cycles,
	       "%u cycles: B imported A's fd and every pixel of every image was right (%u cycles wrong, %u pixels)",
	       cycles, bad_cycles, bad_pixels);

	memset(&m, 0, sizeof(m));
	m.op = OP_STATS;
	ask(sock, &m, -1);
	b1 = m;
	stats(g, &a1);
	report_leaks("A (exporter)", &a0, &a1, pixel_bytes(g));
	report_leaks("B (importer)", &b0, &b1, pixel_bytes(g));

	rc = finish_importer(sock, &m);
	vkt_ok(rc == 0, "B exited with status 0 (%d)", rc);
	teardown_objects(g);
	vkt_destroy(&g->t);
	vkt_check_validation("A (exporter)");
	if (vkt_validation_active())
		vkt_ok(m.errors == 0, "B (importer): no validation errors (%u)",
		       m.errors);
	else
		vkt_skip("VK_LAYER_KHRONOS_validation not installed",
			 "B (importer): no validation errors");
	return vkt_done();
}

/* --- bench ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, uint32_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

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
		die("no exportable image");
	fill(g, &im, seed, true);
	memset(&m, 0, sizeof(m));
	m.op = g->khr ? OP_TIME_SHARE_KHR : OP_TIME_SHARE;
	m.seed = seed;
	m.memory_type = im.type;
	m.size = im.size;
	t0 = now_ns();
	fd = export_fd(g, &im);
	t1 = now_ns();
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

static int cmd_bench(const char *self, struct gs *g, uint32_t runs)
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
		die("no %s memory type for an OPAQUE_WIN32 image",
		    g->vram ? "video (device-local, not host-visible)" : "");
	setup_objects(g, true);
	open_device_khr(&hand, g->dedicated);
	hand.type = g->type;	/* the same driver's memory types */
	setup_objects(&hand, true);
	sock = start_importer(self, true);
	if (hello(g, sock))
		die("the importer could not set up");

	shm = memfd_create("gpu_share", MFD_CLOEXEC);
	if (shm < 0 || ftruncate(shm, pixel_bytes(g)))
		die("memfd: %s", strerror(errno));
	g->shm_size = pixel_bytes(g);
	g->shm = mmap(NULL, g->shm_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      shm, 0);
	if (g->shm == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(g->shm, 0, g->shm_size);	/* no page faults in the runs */
	memset(&m, 0, sizeof(m));
	m.op = OP_SHM;
	ask(sock, &m, shm);
	if (m.status)
		die("the importer could not map the shared memory");

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
			die("no image");
		fill(g, &im, seed, false);
		memset(&m, 0, sizeof(m));
		m.op = OP_TIME_COPY;
		m.seed = seed;
		t0 = now_ns();
		readback(g, &im);
		t1 = now_ns();
		memcpy(g->shm, g->host.map, pixel_bytes(g));
		t2 = now_ns();
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
		die("no exportable image");
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
		med[p] = median(ph[p], runs);
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

/* --- probe ------------------------------------------------------------ */

/* The devices a plain instance (no layers) finds; 0 if there is one. */
static int cmd_probe(void)
{
	VkApplicationInfo app = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = "gpu_share probe",
		.apiVersion = VK_API_VERSION_1_1,
	};
	VkInstanceCreateInfo ci = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pApplicationInfo = &app,
	};
	VkPhysicalDevice pd[8];
	VkPhysicalDeviceProperties p;
	uint32_t n = VKT_ARRAY_SIZE(pd);
	VkInstance inst;
	VkResult res;

	unsetenv("VK_INSTANCE_LAYERS");
	res = vkCreateInstance(&ci, NULL, &inst);
	if (res != VK_SUCCESS) {
		fprintf(stderr, "gpu_share: probe: vkCreateInstance: VkResult %d\n",
			res);
		return 1;
	}
	res = vkEnumeratePhysicalDevices(inst, &n, pd);
	if (res < 0)
		n = 0;
	for (uint32_t i = 0; i < n; i++) {
		vkGetPhysicalDeviceProperties(pd[i], &p);
		printf("%s\n", p.deviceName);
	}
	vkDestroyInstance(inst, NULL);
	return n ? 0 : 1;
}

/* --- main ------------------------------------------------------------- */

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
		"usage: gpu_share check [--cycles N] [--size WxH] [--vram]\n"
		"       gpu_share bench [--runs N] [--size WxH] [--vram]\n"
		"       gpu_share probe\n");
	exit(2);
}

static uint32_t number(const char *s, uint32_t lo, uint32_t hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "gpu_share: %s: not a number from %u to %u\n",
			s, lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct gs g = { .type = UINT32_MAX };
	bool bench;
	uint32_t count;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && (!strcmp(argv[1], "importer") ||
			  !strcmp(argv[1], "bench-importer")))
		return importer(number(argv[2], 0, 1 << 20),
				!strcmp(argv[1], "bench-importer"));
	if (argc == 2 && !strcmp(argv[1], "probe"))
		return cmd_probe();
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "check"))
		bench = false;
	else if (!strcmp(argv[1], "bench"))
		bench = true;
	else
		usage();
	count = bench ? 30 : 1000;
	g.width = bench ? 3840 : 1024;
	g.height = bench ? 2160 : 1024;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--vram")) {
			g.vram = true;
		} else if (i + 1 < argc &&
			   !strcmp(argv[i], bench ? "--runs" : "--cycles")) {
			count = number(argv[++i], 1,
				       bench ? MAX_RUNS : 10000000);
		} else if (i + 1 < argc && !strcmp(argv[i], "--size")) {
			char *x = strchr(argv[++i], 'x');

			if (!x)
				usage();
			*x = 0;
			g.width = number(argv[i], 1, 16384);
			g.height = number(x + 1, 1, 16384);
		} else {
			usage();
		}
	}
	return bench ? cmd_bench(argv[0], &g, count) :
		       cmd_check(argv[0], &g, count);
}
