// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/* gpu_share: the device, what it is, and the memory type of the shares. */
#include "gpu_share.h"

/* --- setup ----------------------------------------------------------- */

/*
 * The NV answer for OPAQUE_WIN32 on the run's image: exportable and
 * importable, and whether the driver wants a dedicated allocation.
 */
VkExternalMemoryFeatureFlagsNV nv_caps(struct gs *g,
					      VkExternalMemoryHandleTypeFlagsNV type,
					      VkExternalImageFormatPropertiesNV *out)
{
	VkExternalImageFormatPropertiesNV p;
	VkResult res = vkt_nv_caps(&g->t, USAGE, type, &p);

	/* vkt_nv_caps() asks for RGBA8, FORMAT, in optimal tiling. */
	if (res == VK_ERROR_EXTENSION_NOT_PRESENT)
		tu_die("vkGetPhysicalDeviceExternalImageFormatPropertiesNV is missing: is the layer there?");
	if (res != VK_SUCCESS)
		memset(&p, 0, sizeof(p));
	if (out)
		*out = p;
	return p.externalMemoryFeatures;
}

void open_device(struct gs *g)
{
	const char *exts[4] = {
		VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
		VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
	};
	uint32_t n = 2;
	VkResult res;

	res = vkt_instance(&g->t, VK_API_VERSION_1_1, caps_ext, 1);
	if (res != VK_SUCCESS)
		tu_die("vkCreateInstance with %s: VkResult %d (is the layer on VK_LAYER_PATH?)",
		       caps_ext[0], res);
	g->dedicated = nv_caps(g, OPAQUE, NULL) &
		       VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT_NV;
	if (g->dedicated) {
		if (!vkt_device_has(g->t.pd, NULL, VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME))
			tu_die("the driver wants dedicated allocations for OPAQUE_WIN32 but has no %s",
			       VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME);
		exts[n++] = VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME;
	}
	g->budget = vkt_device_has(g->t.pd, NULL, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME);
	if (g->budget)
		exts[n++] = VK_EXT_MEMORY_BUDGET_EXTENSION_NAME;
	res = vkt_device(&g->t, exts, n);
	if (res != VK_SUCCESS)
		tu_die("vkCreateDevice with the NV extensions: VkResult %d", res);
	g->get_handle = (PFN_vkGetMemoryWin32HandleNV)
		vkGetDeviceProcAddr(g->t.device, "vkGetMemoryWin32HandleNV");
	if (!g->get_handle)
		tu_die("vkGetMemoryWin32HandleNV is missing with %s enabled",
		       VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME);
}

/*
 * The device of the by-hand path: an instance with no layer at all, and
 * VK_KHR_external_memory_fd.  @dedicated: whether the layer's answer
 * (the driver's own, translated) asked for dedicated allocations.
 */
void open_device_khr(struct gs *g, bool dedicated)
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
		tu_die("vkCreateInstance without layers: VkResult %d", res);
	res = vkt_device(&g->t, exts, 1);
	if (res != VK_SUCCESS)
		tu_die("vkCreateDevice with %s: VkResult %d", exts[0], res);
	g->khr = true;
	g->dedicated = dedicated;
	g->get_fd = (PFN_vkGetMemoryFdKHR)vkGetDeviceProcAddr(g->t.device,
							     "vkGetMemoryFdKHR");
	if (!g->get_fd)
		tu_die("vkGetMemoryFdKHR is missing with %s enabled", exts[0]);
}

/* "# device: ..." lines: what this run ran on. */
void describe(struct gs *g)
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
	tap_diag("device: %s", pp->deviceName);
	tap_diag("driver: %s %s (Vulkan %u.%u.%u)", drv.driverName,
		 drv.driverInfo, VK_API_VERSION_MAJOR(pp->apiVersion),
		 VK_API_VERSION_MINOR(pp->apiVersion),
		 VK_API_VERSION_PATCH(pp->apiVersion));
	for (uint32_t i = 0; i < mp.memoryHeapCount; i++)
		tap_diag("memory heap %u: %.1f GiB%s", i,
			 mp.memoryHeaps[i].size / 1073741824.0,
			 mp.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT ?
			 ", DEVICE_LOCAL" : "");
	if (g->type != UINT32_MAX)
		tap_diag("shared images: %ux%u RGBA8, memory type %u (%s) of heap %u%s",
			 g->width, g->height, g->type,
			 memory_flags(mp.memoryTypes[g->type].propertyFlags,
				      flags, sizeof(flags)),
			 mp.memoryTypes[g->type].heapIndex,
			 g->dedicated ? ", dedicated" : "");
}

/* The memory type of the shared images, from a probe image. */
void choose_type(struct gs *g)
{
	struct image im;

	g->type = UINT32_MAX;
	if (image_create(g, &im, true, -1, UINT32_MAX, 0) != VK_SUCCESS)
		return;
	g->type = im.type;
	image_destroy(g, &im);
}

/* A's and B's device and driver, as Vulkan identifies them. */
void device_ids(struct gs *g, struct msg *m)
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
