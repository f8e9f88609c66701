// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * gpu_share: what the process holds, the socket between A and B, and the
 * Vulkan objects both use (images, buffers, pipelines, the passes).
 */
#include "gpu_share.h"
#include "gpu_share_fill.h"
#include "gpu_share_read.h"

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

void stats(struct gs *g, struct msg *m)
{
	m->fds = tu_fd_count();
	m->maps = tu_map_count();
	m->gpu_bytes = gpu_bytes(g);
	m->rss_kib = rss_kib();
	m->errors = vkt_validation_errors;
}

/* --- socket ---------------------------------------------------------- */

int send_msg(int sock, const struct msg *m, int fd)
{
	return tu_send(sock, m, sizeof(*m), &fd, fd >= 0);
}

/* The message, and the descriptor that came with it (or -1) in *fd. */
int recv_msg(int sock, struct msg *m, int *fd)
{
	*fd = -1;
	return tu_recv(sock, m, sizeof(*m), fd, 1) < 0 ? -1 : 0;
}

/* --- Vulkan objects -------------------------------------------------- */

const char *memory_flags(VkMemoryPropertyFlags f, char *buf, size_t n)
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

struct buffer_want {
	struct gs *g;
	bool host, cached;
};

/* Host: visible and cached (or coherent), else visible; device: as images. */
static uint32_t buffer_type(struct vkt *t, uint32_t bits, void *arg)
{
	const struct buffer_want *w = arg;
	uint32_t type;

	if (!w->host)
		return image_memory_type(w->g, bits);
	type = vkt_memory_type(t, bits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
				(w->cached ? VK_MEMORY_PROPERTY_HOST_CACHED_BIT :
				 VK_MEMORY_PROPERTY_HOST_COHERENT_BIT));
	if (type == UINT32_MAX)
		type = vkt_memory_type(t, bits,
				       VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT);
	return type;
}

static void buffer_create(struct gs *g, struct buffer *b, VkDeviceSize size,
			  VkBufferUsageFlags usage, bool host, bool cached)
{
	struct buffer_want want = { g, host, cached };
	struct vkt_buffer_memory bm;
	VkPhysicalDeviceMemoryProperties mp;

	memset(b, 0, sizeof(*b));
	b->size = size;
	b->buffer = vkt_buffer_in(&g->t, size, usage, buffer_type, &want,
				  host, &bm);
	if (!b->buffer)
		tu_die("no %s buffer of %" PRIu64 " bytes",
		       host ? "host" : "device", (uint64_t)size);
	b->memory = bm.memory;
	b->map = bm.map;
	vkGetPhysicalDeviceMemoryProperties(g->t.pd, &mp);
	b->coherent = mp.memoryTypes[bm.type].propertyFlags &
		      VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
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
void buffer_sync(struct gs *g, struct buffer *b, bool flush)
{
	VkMappedMemoryRange r = {
		.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
		.memory = b->memory,
		.size = VK_WHOLE_SIZE,
	};

	if (b->coherent)
		return;
	if (flush)
		VKT_CHECK(vkFlushMappedMemoryRanges(g->t.device, 1, &r));
	else
		VKT_CHECK(vkInvalidateMappedMemoryRanges(g->t.device, 1, &r));
}

/*
 * An image of the run's size.  @external: exportable or imported as
 * OPAQUE_WIN32 through the NV structures; @import_fd >= 0 imports that
 * descriptor (which then belongs to the memory) into memory type @type,
 * with the exporter's allocation size @size (0: this image's).  Returns the VkResult of the allocation (the image is not made then).
 */
VkResult image_create(struct gs *g, struct image *im, bool external,
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
	int64_t t0 = tu_now_ns(), t1, t2, t3;
	VkResult res;

	memset(im, 0, sizeof(*im));
	if (external && g->khr) {
		ici.pNext = &khr_ext;
	} else if (external) {
		ici.pNext = &ext;
		if (dedicated)
			ext.pNext = &ded_image;
	}
	VKT_CHECK(vkCreateImage(g->t.device, &ici, NULL, &im->image));
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
	t1 = tu_now_ns();
	res = vkAllocateMemory(g->t.device, &mai, NULL, &im->memory);
	if (res != VK_SUCCESS) {
		vkDestroyImage(g->t.device, im->image, NULL);
		memset(im, 0, sizeof(*im));
		return res;
	}
	t2 = tu_now_ns();
	im->size = mai.allocationSize;
	im->type = type;
	VKT_CHECK(vkBindImageMemory(g->t.device, im->image, im->memory, 0));
	t3 = tu_now_ns();
	vci.image = im->image;
	VKT_CHECK(vkCreateImageView(g->t.device, &vci, NULL, &im->view));
	im->step[S_CREATE] = t1 - t0;
	im->step[S_ALLOC] = t2 - t1;
	im->step[S_BIND] = t3 - t2;
	im->step[S_VIEW] = tu_now_ns() - t3;
	return VK_SUCCESS;
}

void image_destroy(struct gs *g, struct image *im)
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

	VKT_CHECK(vkCreateShaderModule(g->t.device, &ci, NULL, &m));
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

	VKT_CHECK(vkCreateComputePipelines(g->t.device, VK_NULL_HANDLE, 1, &ci,
					  NULL, &p));
	vkDestroyShaderModule(g->t.device, ci.stage.module, NULL);
	return p;
}

/* Pipelines, descriptors, the sums buffer and the readback buffer. */
void setup_objects(struct gs *g, bool bench)
{
	VkDescriptorSetLayoutBinding bindings[] = {
		{ 0, VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, 1,
		  VK_SHADER_STAGE_COMPUTE_BIT, NULL },
		{ 1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
		  VK_SHADER_STAGE_COMPUTE_BIT, NULL },
	};
	VkDescriptorSetLayoutCreateInfo sci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
		.bindingCount = TU_ARRAY_SIZE(bindings),
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
		.poolSizeCount = TU_ARRAY_SIZE(sizes),
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

	VKT_CHECK(vkCreateDescriptorSetLayout(g->t.device, &sci, NULL,
					     &g->set_layout));
	VKT_CHECK(vkCreatePipelineLayout(g->t.device, &lci, NULL, &g->layout));
	g->fill = pipeline(g, gpu_share_fill_spv, sizeof(gpu_share_fill_spv));
	g->read = pipeline(g, gpu_share_read_spv, sizeof(gpu_share_read_spv));
	VKT_CHECK(vkCreateDescriptorPool(g->t.device, &pci, NULL, &g->dpool));
	dai.descriptorPool = g->dpool;
	VKT_CHECK(vkAllocateDescriptorSets(g->t.device, &dai, &g->set));
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
	VKT_CHECK(vkCreateQueryPool(g->t.device, &qci, NULL, &g->queries));
	vkGetPhysicalDeviceProperties(g->t.pd, &props);
	g->ts_period = props.limits.timestampPeriod;
	vkGetPhysicalDeviceQueueFamilyProperties(g->t.pd, &nq, NULL);
	qfp = calloc(nq, sizeof(*qfp));
	if (!qfp)
		tu_die("out of memory");
	vkGetPhysicalDeviceQueueFamilyProperties(g->t.pd, &nq, qfp);
	bits = g->t.queue_family < nq ?
	       qfp[g->t.queue_family].timestampValidBits : 0;
	free(qfp);
	if (!bits)
		tu_die("the queue family has no timestamps: no bandwidth figures");
	g->ts_mask = bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
}

void teardown_objects(struct gs *g)
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

	vkUpdateDescriptorSets(g->t.device, TU_ARRAY_SIZE(w), w, 0, NULL);
}

void barrier(VkCommandBuffer cb, VkImage image,
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

void submit(struct gs *g, VkCommandBuffer cb)
{
	VKT_CHECK(vkt_submit(&g->t, cb));
}

/* Release @im, written by a compute shader, to VK_QUEUE_FAMILY_EXTERNAL. */
void release(struct gs *g, VkCommandBuffer cb, struct image *im)
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
void fill(struct gs *g, struct image *im, uint32_t seed,
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
void acquire(struct gs *g, VkCommandBuffer cb, struct image *im)
{
	barrier(cb, im->image, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, 0,
		VK_PIPELINE_STAGE_TRANSFER_BIT |
		VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
		VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_SHADER_READ_BIT,
		VK_IMAGE_LAYOUT_GENERAL, VK_QUEUE_FAMILY_EXTERNAL,
		g->t.queue_family);
}

/* The first read: one compute pass over the whole image. */
void first_read(struct gs *g, VkCommandBuffer cb, struct image *im)
{
	bind_image(g, im);
	dispatch(g, cb, g->read, 0, ROWS);
}

/*
 * Copy @im (GENERAL, readable) into the host buffer and wait for it, so
 * the host sees the pixels; the image is left in TRANSFER_SRC_OPTIMAL.
 */
void readback(struct gs *g, struct image *im)
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
uint32_t verify(struct gs *g, struct image *im, uint32_t seed)
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
double bandwidth(struct gs *g, struct image *im)
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
	VKT_CHECK(vkGetQueryPoolResults(g->t.device, g->queries, 0,
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
