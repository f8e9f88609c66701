/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * VK_NV_dedicated_allocation on drivers that lack it.
 *
 * NV-era code enables it where the capability query reports
 * DEDICATED_ONLY, as the NV win32 extension's own example does.  The layer
 * offers it where the driver does not have it and maps it onto KHR (1.1)
 * dedicated allocation: VkDedicatedAllocationImageCreateInfoNV and
 * VkDedicatedAllocationBufferCreateInfoNV are taken out of the creation
 * chains, VkDedicatedAllocationMemoryAllocateInfoNV becomes
 * VkMemoryDedicatedAllocateInfo (memory.c).  The KHR rules below check
 * the memory side of a binding; the rules of the NV extension that have
 * no KHR twin are the layer's to check, so nothing invalid reaches the
 * driver:
 *
 *   VUID-VkDedicatedAllocationMemoryAllocateInfoNV-image-00649  not both
 *   ...-image-00650, -buffer-00651   the object was created dedicated
 *   ...-image-00652, -buffer-00653   allocationSize is its requirement
 *   VUID-vkBindImageMemory-image-01050, vkBindBufferMemory-buffer-01038
 *                                    a dedicated object is bound only to
 *                                    its dedicated memory, at offset 0
 *   VUID-vkBindImageMemory-image-01051, vkBindBufferMemory-buffer-01039
 *                                    other objects never to memory made
 *                                    dedicated for an object
 *
 * each refused with VK_ERROR_VALIDATION_FAILED_EXT and a message naming it.
 */
#include "layer.h"

/* Record @handle if @chain marks it dedicatedAllocation VK_TRUE. */
void nvx_dedicated_note(struct nvx_device *dev, uint64_t handle, bool buffer,
			const void *chain)
{
	const VkDedicatedAllocationImageCreateInfoNV *d;

	if (!dev->nv_dedicated)
		return;
	/* The image and buffer structures have the same layout. */
	d = nvx_chain_find(chain, buffer ?
		VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_BUFFER_CREATE_INFO_NV :
		VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_IMAGE_CREATE_INFO_NV);
	if (d && d->dedicatedAllocation)
		nvx_track_add(dev, buffer ? NVX_TRACK_DEDICATED_BUFFER :
				   NVX_TRACK_DEDICATED_IMAGE, handle, 0, false);
}

VkResult nvx_dedicated_alloc_check(struct nvx_device *dev,
	const VkMemoryAllocateInfo *ai,
	const VkDedicatedAllocationMemoryAllocateInfoNV *d)
{
	VkMemoryRequirements mr;
	bool buffer = d->buffer != VK_NULL_HANDLE;
	uint64_t object = buffer ? (uint64_t)d->buffer : (uint64_t)d->image;

	if (d->image && d->buffer) {
		nvx_error("vkAllocateMemory: VkDedicatedAllocationMemoryAllocateInfoNV names both an image and a buffer (VUID-VkDedicatedAllocationMemoryAllocateInfoNV-image-00649)");
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	if (!object)
		return VK_SUCCESS;
	if (!nvx_track_find(dev, buffer ? NVX_TRACK_DEDICATED_BUFFER :
				NVX_TRACK_DEDICATED_IMAGE, object, NULL, NULL)) {
		nvx_error("vkAllocateMemory: the %s of VkDedicatedAllocationMemoryAllocateInfoNV was not created with VkDedicatedAllocation%sCreateInfoNV::dedicatedAllocation VK_TRUE (%s)",
			  buffer ? "buffer" : "image", buffer ? "Buffer" : "Image",
			  buffer ? "VUID-VkDedicatedAllocationMemoryAllocateInfoNV-buffer-00651" :
				   "VUID-VkDedicatedAllocationMemoryAllocateInfoNV-image-00650");
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	if (buffer)
		dev->next.GetBufferMemoryRequirements(dev->handle, d->buffer, &mr);
	else
		dev->next.GetImageMemoryRequirements(dev->handle, d->image, &mr);
	if (ai->allocationSize != mr.size) {
		nvx_error("vkAllocateMemory: allocationSize %llu is not the %llu bytes the dedicated %s requires (%s)",
			  (unsigned long long)ai->allocationSize,
			  (unsigned long long)mr.size, buffer ? "buffer" : "image",
			  buffer ? "VUID-VkDedicatedAllocationMemoryAllocateInfoNV-buffer-00653" :
				   "VUID-VkDedicatedAllocationMemoryAllocateInfoNV-image-00652");
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	return VK_SUCCESS;
}

void nvx_dedicated_alloc_note(struct nvx_device *dev, VkDeviceMemory memory,
	const VkDedicatedAllocationMemoryAllocateInfoNV *d)
{
	if (d->buffer)
		nvx_track_add(dev, NVX_TRACK_DEDICATED_MEMORY, (uint64_t)memory,
			      (uint64_t)d->buffer, true);
	else if (d->image)
		nvx_track_add(dev, NVX_TRACK_DEDICATED_MEMORY, (uint64_t)memory,
			      (uint64_t)d->image, false);
}

/* The NV rules of binding @handle (a buffer or an image) to @memory. */
VkResult nvx_dedicated_bind_check(struct nvx_device *dev, uint64_t handle,
				  bool buffer, VkDeviceMemory memory,
				  VkDeviceSize offset, const char *where)
{
	const char *what = buffer ? "buffer" : "image";
	bool dedicated, memory_dedicated, for_buffer = false;
	uint64_t object = 0;

	if (!dev->nv_dedicated)
		return VK_SUCCESS;
	dedicated = nvx_track_find(dev, buffer ? NVX_TRACK_DEDICATED_BUFFER :
				   NVX_TRACK_DEDICATED_IMAGE, handle, NULL, NULL);
	memory_dedicated = nvx_track_find(dev, NVX_TRACK_DEDICATED_MEMORY,
					  (uint64_t)memory, &object, &for_buffer);
	if (dedicated && memory_dedicated && !offset &&
	    (object != handle || for_buffer != buffer)) {
		/*
		 * The NV rule allows memory dedicated to another object of
		 * identical creation parameters; KHR dedicated allocation
		 * below does not, so the layer cannot pass it down.
		 */
		nvx_error("%s: the memory is dedicated to another %s: VK_NV_dedicated_allocation allows one of identical creation parameters, but the layer maps it onto KHR dedicated allocation, which needs the very object (VUID-VkBindImageMemoryInfo-memory-01509); bind each %s to memory dedicated to it",
			  where, for_buffer ? "buffer" : "image", what);
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	if (dedicated &&
	    (!memory_dedicated || object != handle || for_buffer != buffer ||
	     offset)) {
		nvx_error("%s: the %s was created with dedicatedAllocation VK_TRUE: it binds only at offset 0 to memory allocated with VkDedicatedAllocationMemoryAllocateInfoNV for it (%s)",
			  where, what, buffer ? "VUID-vkBindBufferMemory-buffer-01038" :
						"VUID-vkBindImageMemory-image-01050");
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	if (!dedicated && memory_dedicated) {
		nvx_error("%s: the memory was allocated dedicated to %s, and this %s was not created with dedicatedAllocation VK_TRUE (%s)",
			  where, for_buffer ? "a buffer" : "an image", what,
			  buffer ? "VUID-vkBindBufferMemory-buffer-01039" :
				   "VUID-vkBindImageMemory-image-01051");
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	return VK_SUCCESS;
}
