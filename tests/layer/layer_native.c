/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * The layer steps aside for a driver that implements the NV family itself.
 *
 * VK_LAYER_PRIMESHARE_test_native_nv (fake_native.c), put below the layer,
 * plays such a driver: its answers are marked (maxArrayLayers 77, handle
 * 0x5ec7e7).  With it, the marked answers must reach the program; without
 * it, the layer's own.
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vkt.h"

#define FAKE "VK_LAYER_PRIMESHARE_test_native_nv"

static const char *const caps[] = {
	VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
};
static const char *const exts[] = {
	VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
	VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
};

static void run(bool native)
{
	const char *who = native ? "native driver" : "no native driver";
	PFN_vkGetMemoryWin32HandleNV get_handle;
	VkExternalImageFormatPropertiesNV nv;
	HANDLE h = NULL;
	struct vkt t;
	VkResult res;

	vkt_layers_with(true, native ? FAKE : NULL);
	res = vkt_instance(&t, VK_API_VERSION_1_1, caps, 1);
	if (res != VK_SUCCESS) {
		tap_ok(false, "%s: instance (%d)", who, res);
		return;
	}
	res = vkt_nv_caps(&t, VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
			  VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
			  &nv);
	if (native)
		tap_ok(res == VK_SUCCESS &&
		       nv.imageFormatProperties.maxArrayLayers == 77,
		       "%s: the capability query reaches the driver (maxArrayLayers %u)",
		       who, nv.imageFormatProperties.maxArrayLayers);
	else
		tap_ok(res == VK_SUCCESS &&
		       nv.imageFormatProperties.maxArrayLayers != 77 &&
		       (nv.externalMemoryFeatures &
			VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT_NV),
		       "%s: the layer answers the capability query (maxArrayLayers %u)",
		       who, nv.imageFormatProperties.maxArrayLayers);

	res = vkt_device(&t, exts, 2);
	tap_ok(res == VK_SUCCESS, "%s: device with both NV extensions (%d)",
	       who, res);
	if (res == VK_SUCCESS) {
		get_handle = (PFN_vkGetMemoryWin32HandleNV)
			vkGetDeviceProcAddr(t.device, "vkGetMemoryWin32HandleNV");
		if (native) {
			/* The fake ignores the memory: no allocation needed. */
			res = get_handle ? get_handle(t.device, VK_NULL_HANDLE,
				VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
				&h) : VK_ERROR_EXTENSION_NOT_PRESENT;
			tap_ok(res == VK_SUCCESS && h == (HANDLE)(intptr_t)0x5ec7e7,
			       "%s: vkGetMemoryWin32HandleNV is the driver's (%p)",
			       who, h);
			/* The same through the instance's dispatch. */
			get_handle = (PFN_vkGetMemoryWin32HandleNV)
				vkGetInstanceProcAddr(t.instance,
						      "vkGetMemoryWin32HandleNV");
			h = NULL;
			res = get_handle ? get_handle(t.device, VK_NULL_HANDLE,
				VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
				&h) : VK_ERROR_EXTENSION_NOT_PRESENT;
			tap_ok(res == VK_SUCCESS && h == (HANDLE)(intptr_t)0x5ec7e7,
			       "%s: vkGetMemoryWin32HandleNV from vkGetInstanceProcAddr reaches the driver (%p)",
			       who, h);
		} else {
			tap_ok(get_handle != NULL,
			       "%s: vkGetMemoryWin32HandleNV is the layer's",
			       who);
		}
	}
	vkt_destroy(&t);
}

/*
 * A driver with VK_NV_external_memory but not VK_NV_external_memory_win32:
 * the layer provides the whole family itself (win32 handles need its own
 * memory), so no NV structure reaches the driver, the capability answer is
 * the layer's, and memory exports to a handle that imports again.
 */
static void memory_only(void)
{
	const char *who = "native VK_NV_external_memory without _win32";
	VkExportMemoryAllocateInfoNV exp = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
	};
	VkImportMemoryWin32HandleInfoNV imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &exp,
		.allocationSize = 65536,
	};
	PFN_vkGetMemoryWin32HandleNV get_handle;
	VkDeviceMemory exported = VK_NULL_HANDLE, imported = VK_NULL_HANDLE;
	VkExternalImageFormatPropertiesNV nv;
	HANDLE h = NULL;
	struct vkt t;
	VkResult res;

	setenv("FAKE_NATIVE_NO_WIN32", "1", 1);
	vkt_layers_with(true, FAKE);
	res = vkt_instance(&t, VK_API_VERSION_1_1, caps, 1);
	unsetenv("FAKE_NATIVE_NO_WIN32");
	if (res != VK_SUCCESS) {
		tap_ok(false, "%s: instance (%d)", who, res);
		return;
	}
	res = vkt_nv_caps(&t, VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
			  VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
			  &nv);
	tap_ok(res == VK_SUCCESS &&
	       nv.imageFormatProperties.maxArrayLayers != 77,
	       "%s: the layer answers the capability query, for the memory it will make (maxArrayLayers %u)",
	       who, nv.imageFormatProperties.maxArrayLayers);
	res = vkt_device(&t, exts, 2);
	tap_ok(res == VK_SUCCESS, "%s: device with both NV extensions (%d)",
	       who, res);
	if (res != VK_SUCCESS) {
		vkt_destroy(&t);
		return;
	}
	get_handle = (PFN_vkGetMemoryWin32HandleNV)
		vkGetDeviceProcAddr(t.device, "vkGetMemoryWin32HandleNV");
	mai.memoryTypeIndex = vkt_memory_type(&t, ~0u, 0);
	res = vkAllocateMemory(t.device, &mai, NULL, &exported);
	if (res == VK_SUCCESS)
		res = get_handle ? get_handle(t.device, exported,
			VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV, &h) :
			VK_ERROR_EXTENSION_NOT_PRESENT;
	tap_ok(res == VK_SUCCESS && h != (HANDLE)(intptr_t)0x5ec7e7 &&
	       PRIMESHARE_FD_FROM_HANDLE(h) >= 0,
	       "%s: NV-exportable memory and the layer's vkGetMemoryWin32HandleNV (%d, %p)",
	       who, res, h);
	if (res == VK_SUCCESS) {
		imp.handle = h;
		mai.pNext = &imp;
		res = vkAllocateMemory(t.device, &mai, NULL, &imported);
		tap_ok(res == VK_SUCCESS,
		       "%s: the handle imports, and no win32 structure reaches the driver (%d)",
		       who, res);
	}
	vkFreeMemory(t.device, imported, NULL);
	vkFreeMemory(t.device, exported, NULL);
	vkt_destroy(&t);
}

int main(void)
{
	tap_ok(vkt_has_layer(FAKE), "the test layer %s is found", FAKE);
	run(false);
	run(true);
	memory_only();
	vkt_check_validation("stepping aside");
	return tap_done();
}
