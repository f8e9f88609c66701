// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * Vulkan helpers of the test, example and benchmark programs; see vkt.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util.h"
#include "vkt.h"

VkResult vkt_device(struct vkt *t, const char *const *exts, uint32_t n)
{
	float priority = 1.0f;
	VkQueueFamilyProperties qfp[8];
	uint32_t nq = TU_ARRAY_SIZE(qfp);
	VkDeviceQueueCreateInfo qci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
		.queueCount = 1,
		.pQueuePriorities = &priority,
	};
	VkDeviceCreateInfo ci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
		.queueCreateInfoCount = 1,
		.pQueueCreateInfos = &qci,
		.enabledExtensionCount = n,
		.ppEnabledExtensionNames = exts,
	};
	VkCommandPoolCreateInfo pci = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
		.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
	};
	VkResult res;

	vkGetPhysicalDeviceQueueFamilyProperties(t->pd, &nq, qfp);
	/* A graphics queue, or else the first that can copy. */
	t->queue_family = UINT32_MAX;
	for (uint32_t i = 0; i < nq; i++) {
		if (qfp[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) {
			t->queue_family = i;
			break;
		}
		if (t->queue_family == UINT32_MAX &&
		    (qfp[i].queueFlags & (VK_QUEUE_COMPUTE_BIT |
					  VK_QUEUE_TRANSFER_BIT)))
			t->queue_family = i;
	}
	if (t->queue_family == UINT32_MAX)
		return VK_ERROR_FEATURE_NOT_PRESENT;
	qci.queueFamilyIndex = t->queue_family;
	res = vkCreateDevice(t->pd, &ci, NULL, &t->device);
	if (res != VK_SUCCESS)
		return res;
	vkGetDeviceQueue(t->device, t->queue_family, 0, &t->queue);
	pci.queueFamilyIndex = t->queue_family;
	return vkCreateCommandPool(t->device, &pci, NULL, &t->pool);
}

void vkt_destroy(struct vkt *t)
{
	PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger;

	if (t->device) {
		vkDeviceWaitIdle(t->device);
		if (t->pool)
			vkDestroyCommandPool(t->device, t->pool, NULL);
		vkDestroyDevice(t->device, NULL);
	}
	if (t->instance) {
		destroy_messenger = (PFN_vkDestroyDebugUtilsMessengerEXT)
			vkGetInstanceProcAddr(t->instance,
					      "vkDestroyDebugUtilsMessengerEXT");
		if (destroy_messenger && t->messenger)
			destroy_messenger(t->instance, t->messenger, NULL);
		vkDestroyInstance(t->instance, NULL);
	}
	memset(t, 0, sizeof(*t));
}

bool vkt_has_ext(const VkExtensionProperties *p, uint32_t n, const char *name)
{
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(p[i].extensionName, name))
			return true;
	return false;
}

VkExtensionProperties *vkt_extensions(VkPhysicalDevice pd, const char *layer,
				      uint32_t *n, VkResult *res)
{
	VkExtensionProperties *p;

	*n = 0;
	*res = pd ? vkEnumerateDeviceExtensionProperties(pd, layer, n, NULL) :
		    vkEnumerateInstanceExtensionProperties(layer, n, NULL);
	if (*res != VK_SUCCESS)
		return NULL;
	p = calloc(*n + 1, sizeof(*p));
	if (!p) {
		*res = VK_ERROR_OUT_OF_HOST_MEMORY;
		return NULL;
	}
	*res = pd ? vkEnumerateDeviceExtensionProperties(pd, layer, n, p) :
		    vkEnumerateInstanceExtensionProperties(layer, n, p);
	return p;
}

static bool vkt_lists(VkPhysicalDevice pd, const char *layer,
		      const char *name)
{
	uint32_t n;
	VkResult res;
	VkExtensionProperties *p = vkt_extensions(pd, layer, &n, &res);
	bool has = res >= 0 && p && vkt_has_ext(p, n, name);

	free(p);
	return has;
}

bool vkt_device_has(VkPhysicalDevice pd, const char *layer, const char *name)
{
	return pd && vkt_lists(pd, layer, name);
}

bool vkt_instance_has(const char *layer, const char *name)
{
	return vkt_lists(VK_NULL_HANDLE, layer, name);
}

bool vkt_has_layer(const char *name)
{
	VkLayerProperties *p;
	uint32_t n = 0;
	bool found = false;

	if (vkEnumerateInstanceLayerProperties(&n, NULL) != VK_SUCCESS)
		return false;
	p = calloc(n + 1, sizeof(*p));
	if (p && vkEnumerateInstanceLayerProperties(&n, p) >= 0)
		for (uint32_t i = 0; i < n && !found; i++)
			found = !strcmp(p[i].layerName, name);
	free(p);
	return found;
}

VkResult vkt_nv_caps(struct vkt *t, VkImageUsageFlags usage,
		     VkExternalMemoryHandleTypeFlagsNV type,
		     VkExternalImageFormatPropertiesNV *p)
{
	PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV get =
		(PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV)
		vkGetInstanceProcAddr(t->instance,
			"vkGetPhysicalDeviceExternalImageFormatPropertiesNV");

	memset(p, 0, sizeof(*p));
	if (!get)
		return VK_ERROR_EXTENSION_NOT_PRESENT;
	return get(t->pd, VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_TYPE_2D,
		   VK_IMAGE_TILING_OPTIMAL, usage, 0, type, p);
}

uint32_t vkt_memory_type(struct vkt *t, uint32_t bits,
			 VkMemoryPropertyFlags want)
{
	VkPhysicalDeviceMemoryProperties mp;

	vkGetPhysicalDeviceMemoryProperties(t->pd, &mp);
	for (uint32_t i = 0; i < mp.memoryTypeCount; i++)
		if ((bits & (1u << i)) &&
		    (mp.memoryTypes[i].propertyFlags & want) == want)
			return i;
	return UINT32_MAX;
}

void vkt_nv_program(struct vkt *t, const char *name)
{
	static const char *const exts[] = {
		VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	};
	VkApplicationInfo app = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = name,
		.apiVersion = VK_API_VERSION_1_1,
	};
	VkInstanceCreateInfo ci = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pApplicationInfo = &app,
		.enabledExtensionCount = TU_ARRAY_SIZE(exts),
		.ppEnabledExtensionNames = exts,
	};
	VkPhysicalDeviceProperties props;
	uint32_t n = 1;
	VkResult res;

	res = vkCreateInstance(&ci, NULL, &t->instance);
	if (res == VK_ERROR_EXTENSION_NOT_PRESENT)
		tu_die("no Vulkan driver or layer offers %s: is the layer %s installed or enabled (VK_LAYER_PATH, VK_INSTANCE_LAYERS)?",
		       exts[0], PRIMESHARE_VULKAN_LAYER_NAME);
	if (res != VK_SUCCESS)
		tu_die("vkCreateInstance: %s (%d)", vkt_result_name(res), res);
	res = vkEnumeratePhysicalDevices(t->instance, &n, &t->pd);
	if (res < 0 || !n)
		tu_die("no Vulkan physical device (%s)", vkt_result_name(res));
	vkGetPhysicalDeviceProperties(t->pd, &props);
	printf("device: %s\n", props.deviceName);
}

VkImageCreateInfo vkt_image_info(uint32_t width, uint32_t height,
				 VkImageTiling tiling, const void *next)
{
	VkImageCreateInfo ici = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
		.pNext = next,
		.imageType = VK_IMAGE_TYPE_2D,
		.format = VK_FORMAT_R8G8B8A8_UNORM,
		.extent = { width, height, 1 },
		.mipLevels = 1,
		.arrayLayers = 1,
		.samples = VK_SAMPLE_COUNT_1_BIT,
		.tiling = tiling,
		.usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT |
			 VK_IMAGE_USAGE_TRANSFER_DST_BIT,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
		.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
	};

	return ici;
}

VkImage vkt_nv_image(struct vkt *t, VkExternalMemoryHandleTypeFlagsNV types,
		     uint32_t width, uint32_t height, VkImageUsageFlags usage)
{
	VkExternalMemoryImageCreateInfoNV ext = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV,
		.handleTypes = types,
	};
	VkImageCreateInfo ici = vkt_image_info(width, height,
					       VK_IMAGE_TILING_OPTIMAL,
					       types ? &ext : NULL);
	VkImage image = VK_NULL_HANDLE;

	ici.usage = usage;
	if (vkCreateImage(t->device, &ici, NULL, &image) != VK_SUCCESS)
		return VK_NULL_HANDLE;
	return image;
}

VkBuffer vkt_buffer(struct vkt *t, VkDeviceSize size, const void *next)
{
	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.pNext = next,
		.size = size,
		.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
			 VK_BUFFER_USAGE_TRANSFER_DST_BIT,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	VkBuffer buffer = VK_NULL_HANDLE;

	if (vkCreateBuffer(t->device, &bci, NULL, &buffer) != VK_SUCCESS)
		return VK_NULL_HANDLE;
	return buffer;
}

VkBuffer vkt_buffer_in(struct vkt *t, VkDeviceSize size,
		       VkBufferUsageFlags usage, vkt_pick_type *pick, void *arg,
		       bool map, struct vkt_buffer_memory *out)
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
	VkMemoryRequirements mr;
	VkBuffer buf = VK_NULL_HANDLE;

	memset(out, 0, sizeof(*out));
	out->type = UINT32_MAX;
	if (vkCreateBuffer(t->device, &bci, NULL, &buf) != VK_SUCCESS)
		return VK_NULL_HANDLE;
	vkGetBufferMemoryRequirements(t->device, buf, &mr);
	mai.allocationSize = mr.size;
	mai.memoryTypeIndex = pick(t, mr.memoryTypeBits, arg);
	if (mai.memoryTypeIndex == UINT32_MAX ||
	    vkAllocateMemory(t->device, &mai, NULL, &out->memory) != VK_SUCCESS)
		goto fail;
	if (vkBindBufferMemory(t->device, buf, out->memory, 0) != VK_SUCCESS ||
	    (map && vkMapMemory(t->device, out->memory, 0, VK_WHOLE_SIZE, 0,
				&out->map) != VK_SUCCESS))
		goto fail;
	out->type = mai.memoryTypeIndex;
	return buf;
fail:
	if (out->memory)
		vkFreeMemory(t->device, out->memory, NULL);
	memset(out, 0, sizeof(*out));
	vkDestroyBuffer(t->device, buf, NULL);
	return VK_NULL_HANDLE;
}

static uint32_t vkt_pick_host(struct vkt *t, uint32_t bits, void *arg)
{
	(void)arg;
	return vkt_memory_type(t, bits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
				     VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
}

VkBuffer vkt_host_buffer(struct vkt *t, VkDeviceSize size,
			 VkBufferUsageFlags usage, VkDeviceMemory *mem,
			 void **map)
{
	struct vkt_buffer_memory bm;
	VkBuffer buf = vkt_buffer_in(t, size, usage, vkt_pick_host, NULL,
				     true, &bm);

	*mem = bm.memory;
	*map = bm.map;
	return buf;
}

uint32_t vkt_picture(uint32_t x, uint32_t y)
{
	if (x >= VKT_PIC_X && x < VKT_PIC_X + VKT_PIC_W &&
	    y >= VKT_PIC_Y && y < VKT_PIC_Y + VKT_PIC_H)
		return 0xff000000u | ((x ^ y) & 0xff) << 16 | (y & 0xff) << 8 |
		       (x & 0xff);
	return 0xff604020u;
}

VkResult vkt_upload(struct vkt *t, VkImage image, const float clear[4],
		    const void *pixels, VkOffset2D at, VkExtent2D size)
{
	VkImageSubresourceRange range = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 };
	VkImageMemoryBarrier bar = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
		.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
		.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
		.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
		.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.image = image,
		.subresourceRange = range,
	};
	VkBufferImageCopy copy = {
		.bufferRowLength = size.width,
		.imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
		.imageOffset = { at.x, at.y, 0 },
		.imageExtent = { size.width, size.height, 1 },
	};
	VkDeviceSize bytes = (VkDeviceSize)size.width * size.height * 4;
	VkClearColorValue color;
	VkDeviceMemory smem;
	VkCommandBuffer cb;
	VkBuffer staging;
	void *map;
	VkResult res;

	memcpy(color.float32, clear, sizeof(color.float32));
	staging = vkt_host_buffer(t, bytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
				  &smem, &map);
	if (!staging)
		return VK_ERROR_OUT_OF_DEVICE_MEMORY;
	memcpy(map, pixels, bytes);
	cb = vkt_begin(t);
	if (!cb) {
		res = VK_ERROR_OUT_OF_HOST_MEMORY;
		goto out;
	}
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
			     VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, NULL, 0,
			     NULL, 1, &bar);
	vkCmdClearColorImage(cb, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
			     &color, 1, &range);
	bar.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
	bar.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
			     VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, NULL, 0,
			     NULL, 1, &bar);
	vkCmdCopyBufferToImage(cb, staging, image,
			       VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &copy);
	/* Hand over: GENERAL, released to the external queue family. */
	bar.dstAccessMask = 0;
	bar.newLayout = VK_IMAGE_LAYOUT_GENERAL;
	bar.srcQueueFamilyIndex = t->queue_family;
	bar.dstQueueFamilyIndex = VK_QUEUE_FAMILY_EXTERNAL;
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
			     VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0, NULL,
			     0, NULL, 1, &bar);
	res = vkt_submit(t, cb);
out:
	vkDestroyBuffer(t->device, staging, NULL);
	vkFreeMemory(t->device, smem, NULL);
	return res;
}

VkResult vkt_draw_picture(struct vkt *t, VkImage image)
{
	static const float clear[4] = {
		32 / 255.0f, 64 / 255.0f, 96 / 255.0f, 1.0f,
	};
	static uint32_t px[VKT_PIC_W * VKT_PIC_H];
	const VkOffset2D at = { VKT_PIC_X, VKT_PIC_Y };
	const VkExtent2D size = { VKT_PIC_W, VKT_PIC_H };

	for (uint32_t y = 0; y < VKT_PIC_H; y++)
		for (uint32_t x = 0; x < VKT_PIC_W; x++)
			px[y * VKT_PIC_W + x] =
				vkt_picture(VKT_PIC_X + x, VKT_PIC_Y + y);
	return vkt_upload(t, image, clear, px, at, size);
}

VkResult vkt_read_back(struct vkt *t, VkImage image, uint32_t width,
		       uint32_t height, void *out)
{
	VkImageSubresourceRange range = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 };
	VkImageMemoryBarrier acquire = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
		.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT,
		.oldLayout = VK_IMAGE_LAYOUT_GENERAL,
		.newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
		.srcQueueFamilyIndex = VK_QUEUE_FAMILY_EXTERNAL,
		.dstQueueFamilyIndex = t->queue_family,
		.image = image,
		.subresourceRange = range,
	};
	VkBufferMemoryBarrier host = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
		.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.size = VK_WHOLE_SIZE,
	};
	VkBufferImageCopy copy = {
		.imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
		.imageExtent = { width, height, 1 },
	};
	VkDeviceSize bytes = (VkDeviceSize)width * height * 4;
	VkDeviceMemory bmem;
	VkCommandBuffer cb;
	VkBuffer buf;
	void *map;
	VkResult res;

	buf = vkt_host_buffer(t, bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
			      &bmem, &map);
	if (!buf)
		return VK_ERROR_OUT_OF_DEVICE_MEMORY;
	cb = vkt_begin(t);
	if (!cb) {
		res = VK_ERROR_OUT_OF_HOST_MEMORY;
		goto out;
	}
	host.buffer = buf;
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
			     VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, NULL, 0,
			     NULL, 1, &acquire);
	vkCmdCopyImageToBuffer(cb, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
			       buf, 1, &copy);
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
			     VK_PIPELINE_STAGE_HOST_BIT, 0, 0, NULL, 1, &host,
			     0, NULL);
	res = vkt_submit(t, cb);
	if (res == VK_SUCCESS)
		memcpy(out, map, bytes);
out:
	vkDestroyBuffer(t->device, buf, NULL);
	vkFreeMemory(t->device, bmem, NULL);
	return res;
}

int vkt_picture_mismatches(struct vkt *t, VkImage image, uint32_t width,
			   uint32_t height, const char *what)
{
	uint32_t *px = calloc((size_t)width * height, sizeof(*px));
	int wrong = 0;

	if (!px || vkt_read_back(t, image, width, height, px) != VK_SUCCESS) {
		free(px);
		return -1;
	}
	for (uint32_t y = 0; y < height; y++) {
		for (uint32_t x = 0; x < width; x++) {
			uint32_t got = px[y * width + x];

			if (got != vkt_picture(x, y) && !wrong++)
				tap_diag("%s: pixel (%u,%u) is 0x%08x, not 0x%08x",
					 what, x, y, got, vkt_picture(x, y));
		}
	}
	free(px);
	return wrong;
}

VkCommandBuffer vkt_begin(struct vkt *t)
{
	return vkt_begin_flags(t, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
}

VkCommandBuffer vkt_begin_flags(struct vkt *t, VkCommandBufferUsageFlags flags)
{
	VkCommandBufferAllocateInfo ai = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.commandPool = t->pool,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 1,
	};
	VkCommandBufferBeginInfo bi = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = flags,
	};
	VkCommandBuffer cb;

	if (vkAllocateCommandBuffers(t->device, &ai, &cb) != VK_SUCCESS)
		return VK_NULL_HANDLE;
	vkBeginCommandBuffer(cb, &bi);
	return cb;
}

VkResult vkt_submit(struct vkt *t, VkCommandBuffer cb)
{
	VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
		.pCommandBuffers = &cb,
	};
	VkResult res;

	vkEndCommandBuffer(cb);
	res = vkQueueSubmit(t->queue, 1, &si, VK_NULL_HANDLE);
	if (res == VK_SUCCESS)
		res = vkQueueWaitIdle(t->queue);
	vkFreeCommandBuffers(t->device, t->pool, 1, &cb);
	return res;
}

bool vkt_nv_shareable(VkInstance instance, VkPhysicalDevice pd,
		      const struct vkt_share_want *want,
		      VkExternalImageFormatPropertiesNV *p, char *why,
		      size_t size)
{
	const VkExternalMemoryFeatureFlagsNV need =
		VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT_NV |
		VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT_NV;
	PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV caps;
	VkResult res;

	memset(p, 0, sizeof(*p));
	caps = (PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV)
		vkGetInstanceProcAddr(instance,
			"vkGetPhysicalDeviceExternalImageFormatPropertiesNV");
	if (!caps) {
		snprintf(why, size, "vkGetPhysicalDeviceExternalImageFormatPropertiesNV is missing");
		return false;
	}
	res = caps(pd, want->format, VK_IMAGE_TYPE_2D, want->tiling,
		   want->usage, 0, want->type, p);
	if (res != VK_SUCCESS) {
		snprintf(why, size, "%s", vkt_result_name(res));
		return false;
	}
	if ((p->externalMemoryFeatures & need) != need ||
	    !(p->compatibleHandleTypes & want->type)) {
		snprintf(why, size, "features 0x%x, compatible types 0x%x",
			 p->externalMemoryFeatures, p->compatibleHandleTypes);
		return false;
	}
	if (p->imageFormatProperties.maxExtent.width < want->width ||
	    p->imageFormatProperties.maxExtent.height < want->height) {
		snprintf(why, size, "at most %ux%u",
			 p->imageFormatProperties.maxExtent.width,
			 p->imageFormatProperties.maxExtent.height);
		return false;
	}
	return true;
}

const char *vkt_result_name(VkResult res)
{
	static const struct {
		VkResult res;
		const char *name;
	} names[] = {
#define VKT_NAME(r) { r, #r }
		VKT_NAME(VK_SUCCESS),
		VKT_NAME(VK_NOT_READY),
		VKT_NAME(VK_TIMEOUT),
		VKT_NAME(VK_INCOMPLETE),
		VKT_NAME(VK_ERROR_OUT_OF_HOST_MEMORY),
		VKT_NAME(VK_ERROR_OUT_OF_DEVICE_MEMORY),
		VKT_NAME(VK_ERROR_INITIALIZATION_FAILED),
		VKT_NAME(VK_ERROR_DEVICE_LOST),
		VKT_NAME(VK_ERROR_MEMORY_MAP_FAILED),
		VKT_NAME(VK_ERROR_LAYER_NOT_PRESENT),
		VKT_NAME(VK_ERROR_EXTENSION_NOT_PRESENT),
		VKT_NAME(VK_ERROR_FEATURE_NOT_PRESENT),
		VKT_NAME(VK_ERROR_INCOMPATIBLE_DRIVER),
		VKT_NAME(VK_ERROR_TOO_MANY_OBJECTS),
		VKT_NAME(VK_ERROR_FORMAT_NOT_SUPPORTED),
		VKT_NAME(VK_ERROR_INVALID_EXTERNAL_HANDLE),
		VKT_NAME(VK_ERROR_VALIDATION_FAILED_EXT),
#undef VKT_NAME
	};

	for (size_t i = 0; i < TU_ARRAY_SIZE(names); i++)
		if (names[i].res == res)
			return names[i].name;
	return "VkResult";
}
