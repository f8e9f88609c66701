/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Plain images and buffers on a device with NV external memory.
 *
 * The NV extensions let a program bind memory it exports or imports to any
 * image, and (through the memory alone) to any buffer.  Below the layer that
 * memory is KHR external memory of the backend's handle type, and binding
 * it to a resource not created external of that type is invalid
 * (VUID-vkBindImageMemory-memory-02728 and -02729,
 * VUID-vkBindBufferMemory-memory-02726 and -02985).  So the layer creates
 * every image without an external memory structure, and every buffer
 * without one, as external of the backend's type wherever the driver
 * supports that for its parameters (asked with
 * vkGetPhysicalDeviceImageFormatProperties2 and
 * vkGetPhysicalDeviceExternalBufferProperties).  Where the driver does not,
 * the resource is made as asked and remembered: binding it to memory the
 * layer shares is refused with VK_ERROR_VALIDATION_FAILED_EXT and a message
 * naming the rule, instead of reaching the driver.
 *
 * Resources with the program's own KHR external structure are left alone:
 * their handle types are the program's choice.
 */
#include <stdlib.h>
#include <string.h>

#include "layer.h"

/* Whether a plain image of @ci can be external of the backend's type. */
static bool nvx_image_ask_external(struct nvx_device *dev,
				   const VkImageCreateInfo *ci)
{
	const struct nvx_instance *inst = dev->instance;
	const struct nvx_physdev *pd = dev->physdev;
	VkPhysicalDeviceExternalImageFormatInfo ext = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO,
		.handleType = pd->khr_type,
	};
	VkPhysicalDeviceImageFormatInfo2 info = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2,
		.pNext = &ext,
		.format = ci->format,
		.type = ci->imageType,
		.tiling = ci->tiling,
		.usage = ci->usage,
		.flags = ci->flags,
	};
	VkExternalImageFormatProperties ext_props = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES,
	};
	VkImageFormatProperties2 props = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_FORMAT_PROPERTIES_2,
		.pNext = &ext_props,
	};

	/* A DRM format modifier image needs its modifier list to be asked. */
	if (ci->tiling == VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT ||
	    !inst->next.GetPhysicalDeviceImageFormatProperties2)
		return false;
	if (inst->next.GetPhysicalDeviceImageFormatProperties2(pd->handle,
							      &info, &props))
		return false;
	return ext_props.externalMemoryProperties.externalMemoryFeatures &
	       (VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT |
		VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT);
}

/*
 * The same, remembered: a device makes many images of few kinds, and each
 * question costs a driver query.  A small direct-mapped table of answers
 * under the device's lock, keyed by the parameters the query takes.
 */
static bool nvx_image_can_be_external(struct nvx_device *dev,
				      const VkImageCreateInfo *ci)
{
	struct nvx_external_answer key = {
		.format = ci->format, .type = ci->imageType,
		.tiling = ci->tiling, .usage = ci->usage, .flags = ci->flags,
		.known = true,
	};
	uint32_t h = ((uint32_t)key.format * 31u + key.type * 7u +
		      key.tiling * 3u) ^ key.usage * 0x9e3779b1u ^
		     key.flags * 0x85ebca77u;
	struct nvx_external_answer *slot =
		&dev->external_answers[(h >> 24) % NVX_EXTERNAL_ANSWERS];
	bool hit;

	pthread_mutex_lock(&dev->lock);
	hit = slot->known && slot->format == key.format &&
	      slot->type == key.type && slot->tiling == key.tiling &&
	      slot->usage == key.usage && slot->flags == key.flags;
	key.external = hit && slot->external;
	pthread_mutex_unlock(&dev->lock);
	if (hit)
		return key.external;
	key.external = nvx_image_ask_external(dev, ci);
	pthread_mutex_lock(&dev->lock);
	*slot = key;
	pthread_mutex_unlock(&dev->lock);
	return key.external;
}

static bool nvx_buffer_can_be_external(struct nvx_device *dev,
				       const VkBufferCreateInfo *ci)
{
	const struct nvx_instance *inst = dev->instance;
	const struct nvx_physdev *pd = dev->physdev;
	VkPhysicalDeviceExternalBufferInfo info = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_BUFFER_INFO,
		.flags = ci->flags,
		.usage = ci->usage,
		.handleType = pd->khr_type,
	};
	VkExternalBufferProperties props = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_BUFFER_PROPERTIES,
	};

	if (!inst->next.GetPhysicalDeviceExternalBufferProperties)
		return false;
	inst->next.GetPhysicalDeviceExternalBufferProperties(pd->handle, &info,
							     &props);
	return props.externalMemoryProperties.externalMemoryFeatures &
	       (VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT |
		VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT);
}

/*
 * nvx_bind_external_check() - refuse binding resource @handle to @memory
 * when the memory is shared by the layer and the resource could not be
 * made external.  @where names the command, @vuid the rule.
 */
VkResult nvx_bind_external_check(struct nvx_device *dev, uint64_t handle,
				 bool buffer, VkDeviceMemory memory,
				 const char *where)
{
	bool refused = nvx_track_find(dev, buffer ?
				      NVX_TRACK_UNSHAREABLE_BUFFER :
				      NVX_TRACK_UNSHAREABLE_IMAGE,
				      handle, NULL, NULL) &&
		       nvx_memory_find(dev, memory);

	if (!refused)
		return VK_SUCCESS;
	nvx_error("%s: the %s 0x%llx cannot be bound to memory exported or imported through the NV extensions: the driver cannot create it external of handle type 0x%x, the type that memory has below the layer (backend %s) (%s)",
		  where, buffer ? "buffer" : "image", (unsigned long long)handle,
		  dev->physdev->khr_type, nvx_backend_name(dev->physdev->backend),
		  buffer ? "VUID-vkBindBufferMemory-memory-02726" :
			   "VUID-vkBindImageMemory-memory-02728");
	return VK_ERROR_VALIDATION_FAILED_EXT;
}

/*
 * nvx_image_plain() - vkCreateImage of an image without NV or KHR external
 * structures on a device with NV external memory: external of the
 * backend's type where the driver allows it.
 */
VkResult nvx_image_plain(struct nvx_device *dev, const VkImageCreateInfo *ci,
			 const VkAllocationCallbacks *alloc, VkImage *image)
{
	VkExternalMemoryImageCreateInfo khr = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO,
		.handleTypes = dev->physdev->khr_type,
	};
	struct nvx_chain chain;
	VkResult res;

	/*
	 * An image of a swapchain takes the swapchain's memory, never the
	 * layer's, and may not carry external handle types
	 * (VUID-VkImageSwapchainCreateInfoKHR-swapchain-00995).
	 */
	if (!dev->physdev->khr_type ||
	    nvx_chain_find(ci->pNext,
			   VK_STRUCTURE_TYPE_IMAGE_SWAPCHAIN_CREATE_INFO_KHR))
		return dev->next.CreateImage(dev->handle, ci, alloc, image);
	if (nvx_image_can_be_external(dev, ci)) {
		nvx_chain_copy(&chain, ci, sizeof(*ci), NULL, 0);
		nvx_chain_insert(&chain, &khr);
		res = dev->next.CreateImage(dev->handle,
					    (const VkImageCreateInfo *)chain.head,
					    alloc, image);
		/*
		 * The query knows nothing of the rest of the chain (a format
		 * list, say): where the driver still refuses the external
		 * image, the image is made as asked.
		 */
		if (res == VK_SUCCESS || res == VK_ERROR_OUT_OF_HOST_MEMORY)
			return res;
		nvx_debug("vkCreateImage: format %d: refused external (%d); made as asked",
			  ci->format, res);
	}
	res = dev->next.CreateImage(dev->handle, ci, alloc, image);
	if (res == VK_SUCCESS) {
		nvx_debug("vkCreateImage: format %d tiling %d usage 0x%x: the driver cannot make it external; it cannot hold shared memory",
			  ci->format, ci->tiling, ci->usage);
		nvx_track_add(dev, NVX_TRACK_UNSHAREABLE_IMAGE,
			      (uint64_t)*image, 0, false);
	}
	return res;
}

/*
 * A buffer on a device with NV external memory or NV dedicated allocation
 * by the layer: VkDedicatedAllocationBufferCreateInfoNV taken out,
 * external of the backend's type where it can be.
 */
static VkResult nvx_create_buffer(struct nvx_device *dev,
				  const VkBufferCreateInfo *ci,
				  const VkAllocationCallbacks *alloc,
				  VkBuffer *buffer)
{
	static const VkStructureType drop =
		VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_BUFFER_CREATE_INFO_NV;
	VkExternalMemoryBufferCreateInfo khr = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
	};
	bool external = dev->nv_memory && dev->physdev->khr_type &&
		!nvx_chain_find(ci->pNext,
			VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO);
	bool dropping = nvx_chain_find(ci->pNext, drop);
	bool unshareable = false;
	struct nvx_chain chain;
	VkResult res;

	if (external && !nvx_buffer_can_be_external(dev, ci)) {
		external = false;
		unshareable = true;
	}
	if (!external && !dropping) {
		res = dev->next.CreateBuffer(dev->handle, ci, alloc, buffer);
	} else {
		nvx_chain_copy(&chain, ci, sizeof(*ci), &drop, dropping ? 1 : 0);
		if (external) {
			khr.handleTypes = dev->physdev->khr_type;
			nvx_chain_insert(&chain, &khr);
		}
		res = dev->next.CreateBuffer(dev->handle,
			(const VkBufferCreateInfo *)chain.head, alloc, buffer);
	}
	if (res == VK_SUCCESS && unshareable)
		nvx_track_add(dev, NVX_TRACK_UNSHAREABLE_BUFFER,
			      (uint64_t)*buffer, 0, false);
	return res;
}

VKAPI_ATTR VkResult VKAPI_CALL nvx_CreateBuffer(VkDevice device,
	const VkBufferCreateInfo *pCreateInfo,
	const VkAllocationCallbacks *pAllocator, VkBuffer *pBuffer)
{
	struct nvx_device *dev = nvx_device_from(device);
	VkResult res;

	if (!dev)
		return VK_ERROR_INITIALIZATION_FAILED;
	if (!dev->nv_memory && !dev->nv_dedicated)
		return dev->next.CreateBuffer(device, pCreateInfo, pAllocator,
					      pBuffer);
	res = nvx_create_buffer(dev, pCreateInfo, pAllocator, pBuffer);
	if (res == VK_SUCCESS)
		nvx_dedicated_note(dev, (uint64_t)*pBuffer, true,
				   pCreateInfo->pNext);
	return res;
}

VKAPI_ATTR void VKAPI_CALL nvx_DestroyBuffer(VkDevice device, VkBuffer buffer,
	const VkAllocationCallbacks *pAllocator)
{
	struct nvx_device *dev = nvx_device_from(device);

	if (!dev)
		return;
	nvx_track_forget(dev, NVX_TRACK_UNSHAREABLE_BUFFER, (uint64_t)buffer);
	nvx_track_forget(dev, NVX_TRACK_DEDICATED_BUFFER, (uint64_t)buffer);
	dev->next.DestroyBuffer(device, buffer, pAllocator);
}

VKAPI_ATTR VkResult VKAPI_CALL nvx_BindBufferMemory(VkDevice device,
	VkBuffer buffer, VkDeviceMemory memory, VkDeviceSize memoryOffset)
{
	struct nvx_device *dev = nvx_device_from(device);
	VkResult res;

	if (!dev)
		return VK_ERROR_INITIALIZATION_FAILED;
	res = nvx_dedicated_bind_check(dev, (uint64_t)buffer, true, memory,
				       memoryOffset, "vkBindBufferMemory");
	if (res == VK_SUCCESS)
		res = nvx_bind_external_check(dev, (uint64_t)buffer, true,
					      memory, "vkBindBufferMemory");
	if (res != VK_SUCCESS)
		return res;
	return dev->next.BindBufferMemory(device, buffer, memory, memoryOffset);
}

static VkResult nvx_bind_buffers(struct nvx_device *dev,
				 PFN_vkBindBufferMemory2 next, uint32_t n,
				 const VkBindBufferMemoryInfo *infos)
{
	for (uint32_t i = 0; i < n; i++) {
		VkResult res = nvx_dedicated_bind_check(dev,
			(uint64_t)infos[i].buffer, true, infos[i].memory,
			infos[i].memoryOffset, "vkBindBufferMemory2");

		if (res == VK_SUCCESS)
			res = nvx_bind_external_check(dev,
				(uint64_t)infos[i].buffer, true,
				infos[i].memory, "vkBindBufferMemory2");

		if (res != VK_SUCCESS)
			return res;
	}
	return next(dev->handle, n, infos);
}

VKAPI_ATTR VkResult VKAPI_CALL nvx_BindBufferMemory2(VkDevice device,
	uint32_t bindInfoCount, const VkBindBufferMemoryInfo *pBindInfos)
{
	struct nvx_device *dev = nvx_device_from(device);

	if (!dev || !dev->next.BindBufferMemory2)
		return VK_ERROR_INITIALIZATION_FAILED;
	return nvx_bind_buffers(dev, dev->next.BindBufferMemory2,
				bindInfoCount, pBindInfos);
}

VKAPI_ATTR VkResult VKAPI_CALL nvx_BindBufferMemory2KHR(VkDevice device,
	uint32_t bindInfoCount, const VkBindBufferMemoryInfo *pBindInfos)
{
	struct nvx_device *dev = nvx_device_from(device);

	if (!dev || !dev->next.BindBufferMemory2KHR)
		return VK_ERROR_INITIALIZATION_FAILED;
	return nvx_bind_buffers(dev, dev->next.BindBufferMemory2KHR,
				bindInfoCount, pBindInfos);
}
