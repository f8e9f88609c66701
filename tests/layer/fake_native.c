/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * VK_LAYER_PRIMESHARE_test_native_nv: a test layer that plays a driver
 * implementing the NV external memory family natively.  Put below the
 * primeshare layer, it lets the tests check that the primeshare layer
 * steps aside for such a driver.
 *
 * It answers vkGetPhysicalDeviceExternalImageFormatPropertiesNV with
 * marked values (maxArrayLayers FAKE_LAYERS), lists the two NV device
 * extensions, returns FAKE_HANDLE from vkGetMemoryWin32HandleNV, and passes
 * everything else on.  One instance and one device at a time.
 *
 * With FAKE_NATIVE_NO_WIN32 set when the instance is made it plays a driver
 * with VK_NV_external_memory but without VK_NV_external_memory_win32: it
 * lists only the first, has no vkGetMemoryWin32HandleNV, refuses a device
 * with the second (VK_ERROR_EXTENSION_NOT_PRESENT), and refuses an
 * allocation whose chain holds a structure of it (as no driver without the
 * extension can take one), saying so on stderr.
 *
 * With FAKE_NO_EXTERNAL_IMAGES set it plays no NV driver at all, only one
 * that can make no image external: vkGetPhysicalDeviceImageFormatProperties2
 * with an external handle type answers VK_ERROR_FORMAT_NOT_SUPPORTED, and
 * everything else passes on.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VK_NO_PROTOTYPES
#include "primeshare_vulkan_nv.h"
#include <vulkan/vk_layer.h>

#define FAKE_LAYERS 77
#define FAKE_HANDLE ((HANDLE)(intptr_t)0x5ec7e7)
#define EXPORT __attribute__((visibility("default")))
#define VKT_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static PFN_vkGetInstanceProcAddr next_gipa;
static PFN_vkGetDeviceProcAddr next_gdpa;
static PFN_vkEnumerateDeviceExtensionProperties next_enum;
static VkInstance fake_instance;
static bool fake_no_win32;
static bool fake_no_external;
static PFN_vkAllocateMemory next_alloc;

static const VkExtensionProperties fake_exts[] = {
	{ VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME, 1 },
	{ VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME, 1 },
};

static VKAPI_ATTR VkResult VKAPI_CALL fake_CreateInstance(
	const VkInstanceCreateInfo *ci, const VkAllocationCallbacks *alloc,
	VkInstance *out)
{
	VkLayerInstanceCreateInfo *l = (VkLayerInstanceCreateInfo *)ci->pNext;
	const char *names[64];
	VkInstanceCreateInfo down = *ci;
	PFN_vkCreateInstance create;
	VkResult res;

	while (l && !(l->sType == VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO &&
		      l->function == VK_LAYER_LINK_INFO))
		l = (VkLayerInstanceCreateInfo *)l->pNext;
	if (!l || ci->enabledExtensionCount > 64)
		return VK_ERROR_INITIALIZATION_FAILED;
	next_gipa = l->u.pLayerInfo->pfnNextGetInstanceProcAddr;
	l->u.pLayerInfo = l->u.pLayerInfo->pNext;
	create = (PFN_vkCreateInstance)next_gipa(VK_NULL_HANDLE, "vkCreateInstance");
	fake_no_win32 = getenv("FAKE_NATIVE_NO_WIN32") != NULL;
	fake_no_external = getenv("FAKE_NO_EXTERNAL_IMAGES") != NULL;

	/* "The driver" consumes the NV name itself. */
	down.enabledExtensionCount = 0;
	down.ppEnabledExtensionNames = names;
	for (uint32_t i = 0; i < ci->enabledExtensionCount; i++)
		if (strcmp(ci->ppEnabledExtensionNames[i],
			   VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME))
			names[down.enabledExtensionCount++] =
				ci->ppEnabledExtensionNames[i];
	res = create(&down, alloc, out);
	if (res == VK_SUCCESS) {
		fake_instance = *out;
		next_enum = (PFN_vkEnumerateDeviceExtensionProperties)
			next_gipa(*out, "vkEnumerateDeviceExtensionProperties");
	}
	return res;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_CreateDevice(VkPhysicalDevice pd,
	const VkDeviceCreateInfo *ci, const VkAllocationCallbacks *alloc,
	VkDevice *out)
{
	VkLayerDeviceCreateInfo *l = (VkLayerDeviceCreateInfo *)ci->pNext;
	const char *names[64];
	VkDeviceCreateInfo down = *ci;
	PFN_vkCreateDevice create;
	VkResult res;

	while (l && !(l->sType == VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO &&
		      l->function == VK_LAYER_LINK_INFO))
		l = (VkLayerDeviceCreateInfo *)l->pNext;
	if (!l || ci->enabledExtensionCount > 64)
		return VK_ERROR_INITIALIZATION_FAILED;
	next_gdpa = l->u.pLayerInfo->pfnNextGetDeviceProcAddr;
	create = (PFN_vkCreateDevice)
		l->u.pLayerInfo->pfnNextGetInstanceProcAddr(fake_instance,
							    "vkCreateDevice");
	l->u.pLayerInfo = l->u.pLayerInfo->pNext;
	down.enabledExtensionCount = 0;
	down.ppEnabledExtensionNames = names;
	for (uint32_t i = 0; i < ci->enabledExtensionCount; i++) {
		const char *e = ci->ppEnabledExtensionNames[i];

		if (fake_no_win32 &&
		    !strcmp(e, VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME))
			return VK_ERROR_EXTENSION_NOT_PRESENT;
		if (strncmp(e, "VK_NV_external_memory", 21))
			names[down.enabledExtensionCount++] = e;
	}
	res = create(pd, &down, alloc, out);
	if (res == VK_SUCCESS)
		next_alloc = (PFN_vkAllocateMemory)next_gdpa(*out,
							     "vkAllocateMemory");
	return res;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_EnumerateDeviceExtensionProperties(
	VkPhysicalDevice pd, const char *layer, uint32_t *count,
	VkExtensionProperties *props)
{
	VkExtensionProperties all[256];
	uint32_t n = 200, total;
	VkResult res;

	if (layer)
		return next_enum(pd, layer, count, props);
	res = next_enum(pd, NULL, &n, all);
	if (res < 0)
		return res;
	total = n;
	for (uint32_t i = 0; i < (fake_no_win32 ? 1 : 2); i++) {
		bool dup = false;

		for (uint32_t j = 0; j < n; j++)
			dup |= !strcmp(all[j].extensionName,
				       fake_exts[i].extensionName);
		if (!dup)
			all[total++] = fake_exts[i];
	}
	if (!props) {
		*count = total;
		return VK_SUCCESS;
	}
	n = *count < total ? *count : total;
	memcpy(props, all, n * sizeof(*props));
	*count = n;
	return n < total ? VK_INCOMPLETE : VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_GetPhysicalDeviceExternalImageFormatPropertiesNV(
	VkPhysicalDevice pd, VkFormat format, VkImageType type,
	VkImageTiling tiling, VkImageUsageFlags usage, VkImageCreateFlags flags,
	VkExternalMemoryHandleTypeFlagsNV handle_type,
	VkExternalImageFormatPropertiesNV *out)
{
	(void)pd, (void)format, (void)type, (void)tiling, (void)usage,
	(void)flags;
	memset(out, 0, sizeof(*out));
	out->imageFormatProperties.maxArrayLayers = FAKE_LAYERS;
	out->imageFormatProperties.maxMipLevels = 1;
	out->imageFormatProperties.maxExtent = (VkExtent3D){ 1, 1, 1 };
	out->imageFormatProperties.sampleCounts = VK_SAMPLE_COUNT_1_BIT;
	if (handle_type)
		out->externalMemoryFeatures =
			VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT_NV |
			VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT_NV;
	out->compatibleHandleTypes = handle_type;
	return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_GetMemoryWin32HandleNV(
	VkDevice device, VkDeviceMemory memory,
	VkExternalMemoryHandleTypeFlagsNV type, HANDLE *handle)
{
	(void)device, (void)memory, (void)type;
	*handle = FAKE_HANDLE;
	return VK_SUCCESS;
}

/* Without the win32 extension its structures cannot be taken. */
static VKAPI_ATTR VkResult VKAPI_CALL fake_AllocateMemory(VkDevice device,
	const VkMemoryAllocateInfo *ai, const VkAllocationCallbacks *alloc,
	VkDeviceMemory *out)
{
	const VkBaseInStructure *s;

	for (s = ai->pNext; s && fake_no_win32; s = s->pNext) {
		if (s->sType == VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV ||
		    s->sType == VK_STRUCTURE_TYPE_EXPORT_MEMORY_WIN32_HANDLE_INFO_NV) {
			fprintf(stderr, "fake native driver: a VK_NV_external_memory_win32 structure (%d) reached a driver without that extension\n",
				(int)s->sType);
			return VK_ERROR_VALIDATION_FAILED_EXT;
		}
	}
	return next_alloc(device, ai, alloc, out);
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL fake_GetDeviceProcAddr(
	VkDevice device, const char *name)
{
	if (!strcmp(name, "vkGetDeviceProcAddr"))
		return (PFN_vkVoidFunction)fake_GetDeviceProcAddr;
	if (fake_no_external)
		return next_gdpa(device, name);
	if (!strcmp(name, "vkGetMemoryWin32HandleNV"))
		return fake_no_win32 ? NULL :
		       (PFN_vkVoidFunction)fake_GetMemoryWin32HandleNV;
	if (!strcmp(name, "vkAllocateMemory") && fake_no_win32)
		return (PFN_vkVoidFunction)fake_AllocateMemory;
	return next_gdpa(device, name);
}

static VKAPI_ATTR VkResult VKAPI_CALL fake_GetPhysicalDeviceImageFormatProperties2(
	VkPhysicalDevice pd, const VkPhysicalDeviceImageFormatInfo2 *info,
	VkImageFormatProperties2 *props)
{
	PFN_vkGetPhysicalDeviceImageFormatProperties2 next =
		(PFN_vkGetPhysicalDeviceImageFormatProperties2)next_gipa(
			fake_instance, "vkGetPhysicalDeviceImageFormatProperties2");
	const VkBaseInStructure *s;

	for (s = info->pNext; s; s = s->pNext)
		if (s->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO &&
		    ((const VkPhysicalDeviceExternalImageFormatInfo *)s)->handleType)
			return VK_ERROR_FORMAT_NOT_SUPPORTED;
	return next(pd, info, props);
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL fake_GetInstanceProcAddr(
	VkInstance instance, const char *name)
{
	static const struct {
		const char *name;
		PFN_vkVoidFunction fn;
	} table[] = {
#define E(n) { "vk" #n, (PFN_vkVoidFunction)fake_##n }
		E(GetInstanceProcAddr),
		E(GetDeviceProcAddr),
		E(CreateInstance),
		E(CreateDevice),
		E(EnumerateDeviceExtensionProperties),
		E(GetPhysicalDeviceExternalImageFormatPropertiesNV),
		E(GetMemoryWin32HandleNV),
#undef E
	};

	if (fake_no_win32 && !strcmp(name, "vkGetMemoryWin32HandleNV"))
		return next_gipa ? next_gipa(instance, name) : NULL;
	if (fake_no_external) {
		if (!strcmp(name, "vkGetPhysicalDeviceImageFormatProperties2") ||
		    !strcmp(name, "vkGetPhysicalDeviceImageFormatProperties2KHR"))
			return (PFN_vkVoidFunction)
				fake_GetPhysicalDeviceImageFormatProperties2;
		if (strcmp(name, "vkGetInstanceProcAddr") &&
		    strcmp(name, "vkCreateInstance") &&
		    strcmp(name, "vkCreateDevice"))
			return next_gipa ? next_gipa(instance, name) : NULL;
	}
	for (size_t i = 0; i < VKT_COUNT(table); i++)
		if (!strcmp(name, table[i].name))
			return table[i].fn;
	return next_gipa ? next_gipa(instance, name) : NULL;
}

EXPORT VKAPI_ATTR VkResult VKAPI_CALL
vkNegotiateLoaderLayerInterfaceVersion(VkNegotiateLayerInterface *v)
{
	if (v->loaderLayerInterfaceVersion > 2)
		v->loaderLayerInterfaceVersion = 2;
	v->pfnGetInstanceProcAddr = fake_GetInstanceProcAddr;
	v->pfnGetDeviceProcAddr = fake_GetDeviceProcAddr;
	v->pfnGetPhysicalDeviceProcAddr = NULL;
	return VK_SUCCESS;
}
