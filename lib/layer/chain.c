/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Editing a pNext chain that belongs to the application.
 *
 * The chain is const: the layer never writes to the caller's structures.
 * To drop a structure it copies every structure in front of it into a
 * struct nvx_chain and relinks the copies; structures behind the last
 * dropped one are shared, not copied.  Copying needs the size of each
 * copied structure, which comes from the table below: the structures that
 * may extend VkImageCreateInfo and VkMemoryAllocateInfo in the headers the
 * layer is built with.
 */
#include <string.h>

#include "layer.h"

struct nvx_stype_size {
	VkStructureType type;
	size_t size;
};

#define NVX_STYPE(t, s) { VK_STRUCTURE_TYPE_##t, sizeof(s) }

static const struct nvx_stype_size nvx_stype_sizes[] = {
	/* VkImageCreateInfo */
	NVX_STYPE(IMAGE_CREATE_INFO, VkImageCreateInfo),
	NVX_STYPE(EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV,
		  VkExternalMemoryImageCreateInfoNV),
	NVX_STYPE(DEDICATED_ALLOCATION_IMAGE_CREATE_INFO_NV,
		  VkDedicatedAllocationImageCreateInfoNV),
	NVX_STYPE(EXTERNAL_MEMORY_IMAGE_CREATE_INFO,
		  VkExternalMemoryImageCreateInfo),
	NVX_STYPE(IMAGE_SWAPCHAIN_CREATE_INFO_KHR, VkImageSwapchainCreateInfoKHR),
	NVX_STYPE(IMAGE_FORMAT_LIST_CREATE_INFO, VkImageFormatListCreateInfo),
	NVX_STYPE(IMAGE_STENCIL_USAGE_CREATE_INFO, VkImageStencilUsageCreateInfo),
	NVX_STYPE(IMAGE_DRM_FORMAT_MODIFIER_LIST_CREATE_INFO_EXT,
		  VkImageDrmFormatModifierListCreateInfoEXT),
	NVX_STYPE(IMAGE_DRM_FORMAT_MODIFIER_EXPLICIT_CREATE_INFO_EXT,
		  VkImageDrmFormatModifierExplicitCreateInfoEXT),
	NVX_STYPE(IMAGE_COMPRESSION_CONTROL_EXT, VkImageCompressionControlEXT),
	NVX_STYPE(VIDEO_PROFILE_LIST_INFO_KHR, VkVideoProfileListInfoKHR),
	NVX_STYPE(OPAQUE_CAPTURE_DESCRIPTOR_DATA_CREATE_INFO_EXT,
		  VkOpaqueCaptureDescriptorDataCreateInfoEXT),
	NVX_STYPE(OPTICAL_FLOW_IMAGE_FORMAT_INFO_NV,
		  VkOpticalFlowImageFormatInfoNV),
	/* VkMemoryAllocateInfo */
	NVX_STYPE(MEMORY_ALLOCATE_INFO, VkMemoryAllocateInfo),
	NVX_STYPE(EXPORT_MEMORY_ALLOCATE_INFO_NV, VkExportMemoryAllocateInfoNV),
	NVX_STYPE(EXPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		  VkExportMemoryWin32HandleInfoNV),
	NVX_STYPE(IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		  VkImportMemoryWin32HandleInfoNV),
	NVX_STYPE(DEDICATED_ALLOCATION_MEMORY_ALLOCATE_INFO_NV,
		  VkDedicatedAllocationMemoryAllocateInfoNV),
	NVX_STYPE(EXPORT_MEMORY_ALLOCATE_INFO, VkExportMemoryAllocateInfo),
	NVX_STYPE(IMPORT_MEMORY_FD_INFO_KHR, VkImportMemoryFdInfoKHR),
	NVX_STYPE(MEMORY_ALLOCATE_FLAGS_INFO, VkMemoryAllocateFlagsInfo),
	NVX_STYPE(MEMORY_DEDICATED_ALLOCATE_INFO, VkMemoryDedicatedAllocateInfo),
	NVX_STYPE(IMPORT_MEMORY_HOST_POINTER_INFO_EXT,
		  VkImportMemoryHostPointerInfoEXT),
	NVX_STYPE(MEMORY_PRIORITY_ALLOCATE_INFO_EXT,
		  VkMemoryPriorityAllocateInfoEXT),
	NVX_STYPE(MEMORY_OPAQUE_CAPTURE_ADDRESS_ALLOCATE_INFO,
		  VkMemoryOpaqueCaptureAddressAllocateInfo),
};

static size_t nvx_stype_size(VkStructureType type)
{
	for (size_t i = 0; i < NVX_ARRAY_SIZE(nvx_stype_sizes); i++)
		if (nvx_stype_sizes[i].type == type)
			return nvx_stype_sizes[i].size;
	return 0;
}

const void *nvx_chain_find(const void *chain, VkStructureType type)
{
	const VkBaseInStructure *s;

	for (s = chain; s; s = s->pNext)
		if (s->sType == type)
			return s;
	return NULL;
}

static bool nvx_dropped(VkStructureType type, const VkStructureType *drop,
			unsigned int ndrop)
{
	for (unsigned int i = 0; i < ndrop; i++)
		if (drop[i] == type)
			return true;
	return false;
}

static void *nvx_chain_slot(struct nvx_chain *c, const void *src, size_t size)
{
	void *dst;

	if (c->count >= NVX_CHAIN_MAX || size > sizeof(c->copies[0]))
		return NULL;
	dst = c->copies[c->count++];
	memcpy(dst, src, size);
	return dst;
}

/*
 * nvx_chain_copy() - copy @top and its chain, leaving out the structure
 * types in @drop.
 *
 * The copy of @top becomes c->head.  Returns VK_ERROR_VALIDATION_FAILED_EXT
 * (with a message) when a structure in front of a dropped one is of a type
 * the layer does not know the size of, or the chain is too long.
 */
VkResult nvx_chain_copy(struct nvx_chain *c, const void *top, size_t top_size,
			const VkStructureType *drop, unsigned int ndrop)
{
	const VkBaseInStructure *s, *last_drop = NULL;
	VkBaseOutStructure *prev;

	c->count = 0;
	c->head = nvx_chain_slot(c, top, top_size);
	if (!c->head)
		return VK_ERROR_VALIDATION_FAILED_EXT;
	c->head->pNext = NULL;

	for (s = ((const VkBaseInStructure *)top)->pNext; s; s = s->pNext)
		if (nvx_dropped(s->sType, drop, ndrop))
			last_drop = s;

	/* Copy everything up to the last dropped structure. */
	prev = c->head;
	for (s = ((const VkBaseInStructure *)top)->pNext; s && last_drop;
	     s = s->pNext) {
		VkBaseOutStructure *copy;
		size_t size;

		if (s == last_drop) {
			s = s->pNext;
			break;
		}
		if (nvx_dropped(s->sType, drop, ndrop))
			continue;
		size = nvx_stype_size(s->sType);
		copy = size ? nvx_chain_slot(c, s, size) : NULL;
		if (!copy) {
			nvx_error("cannot rewrite a pNext chain holding structure type %d in front of an NV structure; chain the NV structures first",
				  (int)s->sType);
			return VK_ERROR_VALIDATION_FAILED_EXT;
		}
		copy->pNext = NULL;
		prev->pNext = copy;
		prev = copy;
	}
	/* Share the rest as it is. */
	prev->pNext = (VkBaseOutStructure *)(last_drop ? s :
		((const VkBaseInStructure *)top)->pNext);
	return VK_SUCCESS;
}

/*
 * nvx_chain_insert() - put @st (owned by the caller, living until the call
 * down returns) right behind the head of the edited chain.
 */
void nvx_chain_insert(struct nvx_chain *c, void *st)
{
	VkBaseOutStructure *b = st;

	b->pNext = c->head->pNext;
	c->head->pNext = b;
}
