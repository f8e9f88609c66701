/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * pNext chains the layer edits: structures in front of the NV ones.
 *
 * The layer copies what sits in front of an NV structure it takes out, so
 * it must know each structure's size: it knows those of the Vulkan
 * registry it was built with.  A structure newer than that registry (here
 * one with an sType no registry has) must not make a valid call fail: the
 * calls below succeed and the memory is really exported and imported.
 * Those calls run without the validation layer, which would report the
 * made-up structure itself; the same chains with a registry structure in
 * front run with it and must be reported clean.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "vkt.h"

/* An sType from a future extension (number 1000), unknown to everybody. */
#define FUTURE_STYPE ((VkStructureType)1000999000)

struct future_info {
	VkStructureType sType;
	const void *pNext;
	uint64_t payload[6];
};

static struct vkt t;
static PFN_vkGetMemoryWin32HandleNV get_handle;

static VkResult make_image(const void *next, VkImage *image)
{
	VkImageCreateInfo ici = vkt_image_info(64, 64, VK_IMAGE_TILING_OPTIMAL,
					       next);

	return vkCreateImage(t.device, &ici, NULL, image);
}

/*
 * Image, exportable memory, handle, imported memory, each with @front
 * (@ifront for the image; their pNext set here) in front of the NV
 * structure.
 */
static void chains(VkBaseOutStructure *ifront, VkBaseOutStructure *front,
		   const char *what)
{
	VkExternalMemoryImageCreateInfoNV nv_image = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
	};
	VkExportMemoryAllocateInfoNV nv_export = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
	};
	VkImportMemoryWin32HandleInfoNV nv_import = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = front,
	};
	VkDeviceMemory exported = VK_NULL_HANDLE, imported = VK_NULL_HANDLE;
	VkImage image = VK_NULL_HANDLE;
	VkMemoryRequirements mr;
	HANDLE h = NULL;
	VkResult res;

	ifront->pNext = (VkBaseOutStructure *)&nv_image;
	res = make_image(ifront, &image);
	tap_ok(res == VK_SUCCESS,
	       "%s in front of VkExternalMemoryImageCreateInfoNV: vkCreateImage succeeds (%d)",
	       what, res);
	if (res != VK_SUCCESS)
		return;
	vkGetImageMemoryRequirements(t.device, image, &mr);
	mai.allocationSize = mr.size;
	mai.memoryTypeIndex = vkt_memory_type(&t, mr.memoryTypeBits, 0);

	front->pNext = (VkBaseOutStructure *)&nv_export;
	res = vkAllocateMemory(t.device, &mai, NULL, &exported);
	tap_ok(res == VK_SUCCESS,
	       "%s in front of VkExportMemoryAllocateInfoNV: vkAllocateMemory succeeds (%d)",
	       what, res);
	if (res == VK_SUCCESS)
		res = get_handle(t.device, exported,
				 VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
				 &h);
	tap_ok(res == VK_SUCCESS && PRIMESHARE_FD_FROM_HANDLE(h) >= 0,
	       "%s: that memory is exportable: vkGetMemoryWin32HandleNV gives a descriptor (%d)",
	       what, res);

	if (res == VK_SUCCESS) {
		nv_import.handle = h;
		front->pNext = (VkBaseOutStructure *)&nv_import;
		res = vkAllocateMemory(t.device, &mai, NULL, &imported);
		tap_ok(res == VK_SUCCESS,
		       "%s in front of VkImportMemoryWin32HandleInfoNV: the import succeeds (%d)",
		       what, res);
		if (res != VK_SUCCESS)
			close(PRIMESHARE_FD_FROM_HANDLE(h));
		else
			res = vkBindImageMemory(t.device, image, imported, 0);
		tap_ok(res == VK_SUCCESS,
		       "%s: the NV image binds to the imported memory (%d)",
		       what, res);
	}
	vkFreeMemory(t.device, imported, NULL);
	vkFreeMemory(t.device, exported, NULL);
	vkDestroyImage(t.device, image, NULL);
}

static void session(bool validated)
{
	static const char *const exts[] = {
		VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
		VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
	};
	struct future_info ifuture = { .sType = FUTURE_STYPE };
	struct future_info future = { .sType = FUTURE_STYPE };
	VkImageStencilUsageCreateInfo stencil = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_STENCIL_USAGE_CREATE_INFO,
		.stencilUsage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
	};
	VkMemoryAllocateFlagsInfo flags = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO,
	};
	VkResult res;

	if (validated)
		vkt_layers(true);
	else
		vkt_layers_unchecked();
	res = vkt_nv_open(&t, VK_API_VERSION_1_2, exts, 2);
	if (res != VK_SUCCESS)
		tap_bail("instance and device with the NV extensions: %d", res);
	get_handle = (PFN_vkGetMemoryWin32HandleNV)
		vkGetDeviceProcAddr(t.device, "vkGetMemoryWin32HandleNV");
	if (!get_handle)
		tap_bail("no vkGetMemoryWin32HandleNV");

	if (validated)
		chains((VkBaseOutStructure *)&stencil,
		       (VkBaseOutStructure *)&flags,
		       "a registry structure (VkImageStencilUsageCreateInfo, VkMemoryAllocateFlagsInfo)");
	else
		chains((VkBaseOutStructure *)&ifuture,
		       (VkBaseOutStructure *)&future,
		       "a structure newer than the layer's registry");
	vkt_destroy(&t);
}

int main(void)
{
	session(false);
	session(true);
	vkt_check_validation("registry structures in front of NV ones");
	return tap_done();
}
