/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * VK_LAYER_PRIMESHARE_nv_external_memory: the loader interface.
 *
 * Version negotiation, vkGetInstanceProcAddr and vkGetDeviceProcAddr, the
 * creation and destruction of instances and devices along the loader's
 * layer chain, and the extension queries.  A program that enables none of
 * the NV extensions gets the next layer's (or the driver's) commands
 * straight from vkGetDeviceProcAddr: the layer then costs nothing per call.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layer.h"

#define PS_EXPORT __attribute__((visibility("default")))

static const VkExtensionProperties ps_instance_extensions[] = {
	{ VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	  VK_NV_EXTERNAL_MEMORY_CAPABILITIES_SPEC_VERSION },
};

static const VkExtensionProperties ps_device_extensions[] = {
	{ VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
	  VK_NV_EXTERNAL_MEMORY_SPEC_VERSION },
	{ VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
	  VK_NV_EXTERNAL_MEMORY_WIN32_SPEC_VERSION },
};

static VkResult ps_fill_properties(const VkExtensionProperties *src,
				   uint32_t n, uint32_t *pCount,
				   VkExtensionProperties *pProps)
{
	uint32_t copy;

	if (!pProps) {
		*pCount = n;
		return VK_SUCCESS;
	}
	copy = *pCount < n ? *pCount : n;
	memcpy(pProps, src, copy * sizeof(*src));
	*pCount = copy;
	return copy < n ? VK_INCOMPLETE : VK_SUCCESS;
}

static bool ps_name_in(const char *const *names, uint32_t count,
		       const char *name)
{
	for (uint32_t i = 0; i < count; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

/* Instance ---------------------------------------------------------------- */

static VkLayerInstanceCreateInfo *ps_instance_link(const VkInstanceCreateInfo *ci)
{
	const VkBaseInStructure *s;

	for (s = ci->pNext; s; s = s->pNext) {
		VkLayerInstanceCreateInfo *l = (VkLayerInstanceCreateInfo *)s;

		if (s->sType == VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO &&
		    l->function == VK_LAYER_LINK_INFO)
			return l;
	}
	return NULL;
}

/*
 * The instance extension list passed down: the application's, with the KHR
 * capability extensions the layer needs added (@khr), and with or without
 * VK_NV_external_memory_capabilities (@nv).
 *
 * The NV name is kept when possible: the loader gives each driver only the
 * instance extensions that driver has, so a driver without it never sees
 * it, and a driver with it (none on Linux) gets it enabled, which lets the
 * layer step aside for that driver's physical devices (see backend.c).
 */
static uint32_t ps_instance_names(const VkInstanceCreateInfo *ci,
				  const char **names, bool nv, bool khr)
{
	static const char *const khr_caps[] = {
		VK_KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2_EXTENSION_NAME,
		VK_KHR_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	};
	uint32_t n = 0;

	for (uint32_t i = 0; i < ci->enabledExtensionCount; i++) {
		const char *e = ci->ppEnabledExtensionNames[i];

		if (nv || strcmp(e, VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME))
			names[n++] = e;
	}
	for (size_t i = 0; khr && i < PS_ARRAY_SIZE(khr_caps); i++)
		if (!ps_name_in(names, n, khr_caps[i]))
			names[n++] = khr_caps[i];
	return n;
}

static VKAPI_ATTR VkResult VKAPI_CALL ps_CreateInstance(
	const VkInstanceCreateInfo *pCreateInfo,
	const VkAllocationCallbacks *pAllocator, VkInstance *pInstance)
{
	/* What to pass down, most wanted first: NV name, KHR names. */
	static const bool tries[][2] = {
		{ true, true }, { false, true }, { false, false },
	};
	VkLayerInstanceCreateInfo *link = ps_instance_link(pCreateInfo);
	const VkApplicationInfo *app = pCreateInfo->pApplicationInfo;
	PFN_vkGetInstanceProcAddr gipa;
	PFN_vkCreateInstance create;
	VkInstanceCreateInfo ci = *pCreateInfo;
	VkLayerInstanceLink *below;
	struct ps_instance *inst;
	const char **names = NULL;
	VkResult res;

	if (!link || !link->u.pLayerInfo)
		return VK_ERROR_INITIALIZATION_FAILED;
	gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
	create = (PFN_vkCreateInstance)gipa(VK_NULL_HANDLE, "vkCreateInstance");
	if (!create)
		return VK_ERROR_INITIALIZATION_FAILED;
	below = link->u.pLayerInfo->pNext;

	inst = calloc(1, sizeof(*inst));
	if (!inst)
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	pthread_mutex_init(&inst->lock, NULL);
	inst->api_version = app && app->apiVersion ? app->apiVersion :
						     VK_API_VERSION_1_0;
	inst->api_version = VK_MAKE_API_VERSION(0,
		VK_API_VERSION_MAJOR(inst->api_version),
		VK_API_VERSION_MINOR(inst->api_version), 0);
	inst->khr_caps2 = inst->api_version >= VK_API_VERSION_1_1;
	inst->nv_caps_enabled = ps_name_in(pCreateInfo->ppEnabledExtensionNames,
		pCreateInfo->enabledExtensionCount,
		VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME);

	if (!inst->nv_caps_enabled) {
		/* Nothing to do for this instance but to keep track of it. */
		link->u.pLayerInfo = below;
		res = create(pCreateInfo, pAllocator, pInstance);
		goto created;
	}

	names = calloc(pCreateInfo->enabledExtensionCount + 2, sizeof(*names));
	if (!names) {
		res = VK_ERROR_OUT_OF_HOST_MEMORY;
		goto fail;
	}
	ci.ppEnabledExtensionNames = names;
	res = VK_ERROR_EXTENSION_NOT_PRESENT;
	for (size_t i = 0; i < PS_ARRAY_SIZE(tries); i++) {
		bool nv = tries[i][0], khr = tries[i][1] && !inst->khr_caps2;

		if (i && !tries[i][1] && inst->khr_caps2)
			break;	/* nothing left to take out */
		ci.enabledExtensionCount = ps_instance_names(pCreateInfo, names,
							     nv, khr);
		link->u.pLayerInfo = below;
		res = create(&ci, pAllocator, pInstance);
		ps_debug("instance: VK_NV_external_memory_capabilities by the layer, api %u.%u, %s the NV name%s: %d",
			 VK_API_VERSION_MAJOR(inst->api_version),
			 VK_API_VERSION_MINOR(inst->api_version),
			 nv ? "with" : "without",
			 khr ? ", with the KHR capability extensions" : "", res);
		if (res != VK_ERROR_EXTENSION_NOT_PRESENT) {
			inst->nv_caps_down = nv;
			inst->khr_caps2 = inst->khr_caps2 || khr;
			break;
		}
	}
	free(names);
	names = NULL;

created:
	if (res != VK_SUCCESS)
		goto fail;

	inst->handle = *pInstance;
#define GET(f) inst->next.f = (PFN_vk##f)gipa(*pInstance, "vk" #f)
	GET(GetInstanceProcAddr);
	GET(DestroyInstance);
	GET(EnumerateDeviceExtensionProperties);
	GET(GetPhysicalDeviceProperties);
	GET(GetPhysicalDeviceImageFormatProperties);
	GET(GetPhysicalDeviceExternalImageFormatPropertiesNV);
#undef GET
	if (!inst->next.GetInstanceProcAddr)
		inst->next.GetInstanceProcAddr = gipa;
	if (inst->khr_caps2) {
		inst->next.GetPhysicalDeviceProperties2 =
			(PFN_vkGetPhysicalDeviceProperties2)gipa(*pInstance,
				inst->api_version >= VK_API_VERSION_1_1 ?
				"vkGetPhysicalDeviceProperties2" :
				"vkGetPhysicalDeviceProperties2KHR");
		inst->next.GetPhysicalDeviceImageFormatProperties2 =
			(PFN_vkGetPhysicalDeviceImageFormatProperties2)gipa(*pInstance,
				inst->api_version >= VK_API_VERSION_1_1 ?
				"vkGetPhysicalDeviceImageFormatProperties2" :
				"vkGetPhysicalDeviceImageFormatProperties2KHR");
		if (!inst->next.GetPhysicalDeviceImageFormatProperties2)
			inst->khr_caps2 = false;
	}

	if (ps_map_insert(ps_key(*pInstance), inst)) {
		inst->next.DestroyInstance(*pInstance, pAllocator);
		res = VK_ERROR_OUT_OF_HOST_MEMORY;
		goto fail;
	}
	return VK_SUCCESS;

fail:
	free(names);
	pthread_mutex_destroy(&inst->lock);
	free(inst);
	return res;
}

static VKAPI_ATTR void VKAPI_CALL ps_DestroyInstance(VkInstance instance,
	const VkAllocationCallbacks *pAllocator)
{
	struct ps_instance *inst;

	if (!instance)
		return;
	inst = ps_map_remove(ps_key(instance));
	if (!inst)
		return;
	inst->next.DestroyInstance(instance, pAllocator);
	ps_physdevs_free(inst);
	pthread_mutex_destroy(&inst->lock);
	free(inst);
}

static VKAPI_ATTR VkResult VKAPI_CALL ps_EnumerateInstanceExtensionProperties(
	const char *pLayerName, uint32_t *pPropertyCount,
	VkExtensionProperties *pProperties)
{
	if (!pLayerName || strcmp(pLayerName, PS_LAYER_NAME))
		return VK_ERROR_LAYER_NOT_PRESENT;
	return ps_fill_properties(ps_instance_extensions,
				  PS_ARRAY_SIZE(ps_instance_extensions),
				  pPropertyCount, pProperties);
}

/*
 * The layer's device extensions are added to the driver's list (unless
 * they are there already: a driver that has them, or the loader, which
 * puts the extensions of implicit layers' manifests into the list).
 */
static VKAPI_ATTR VkResult VKAPI_CALL ps_EnumerateDeviceExtensionProperties(
	VkPhysicalDevice physicalDevice, const char *pLayerName,
	uint32_t *pPropertyCount, VkExtensionProperties *pProperties)
{
	const uint32_t n = PS_ARRAY_SIZE(ps_device_extensions);
	struct ps_instance *inst = NULL;
	VkExtensionProperties *all;
	uint32_t below = 0, total;
	VkResult res;

	if (pLayerName && !strcmp(pLayerName, PS_LAYER_NAME))
		return ps_fill_properties(ps_device_extensions, n,
					  pPropertyCount, pProperties);
	if (physicalDevice)
		inst = ps_instance_from(physicalDevice);
	if (!inst)
		return pLayerName ? VK_ERROR_LAYER_NOT_PRESENT :
				    VK_ERROR_INITIALIZATION_FAILED;
	if (pLayerName)
		return inst->next.EnumerateDeviceExtensionProperties(
			physicalDevice, pLayerName, pPropertyCount, pProperties);

	res = inst->next.EnumerateDeviceExtensionProperties(physicalDevice,
							    NULL, &below, NULL);
	if (res != VK_SUCCESS)
		return res;
	all = calloc(below + n, sizeof(*all));
	if (!all)
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	res = inst->next.EnumerateDeviceExtensionProperties(physicalDevice,
							    NULL, &below, all);
	if (res < 0) {
		free(all);
		return res;
	}
	total = below;
	for (uint32_t i = 0; i < n; i++)
		if (!ps_has_extension(all, below,
				      ps_device_extensions[i].extensionName))
			all[total++] = ps_device_extensions[i];
	res = ps_fill_properties(all, total, pPropertyCount, pProperties);
	free(all);
	return res;
}

/* Device ------------------------------------------------------------------ */

static VkLayerDeviceCreateInfo *ps_device_link(const VkDeviceCreateInfo *ci)
{
	const VkBaseInStructure *s;

	for (s = ci->pNext; s; s = s->pNext) {
		VkLayerDeviceCreateInfo *l = (VkLayerDeviceCreateInfo *)s;

		if (s->sType == VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO &&
		    l->function == VK_LAYER_LINK_INFO)
			return l;
	}
	return NULL;
}

/* Add @name to @names if the driver lists it and it is not there yet. */
static bool ps_add_driver_ext(const struct ps_physdev *pd, const char **names,
			      uint32_t *n, const char *name)
{
	if (ps_name_in(names, *n, name))
		return true;
	if (!ps_has_extension(pd->exts, pd->ext_count, name))
		return false;
	names[(*n)++] = name;
	ps_debug("device: enabling %s for the backend", name);
	return true;
}

/*
 * The device extension list passed down: the layer's NV names taken out,
 * the KHR extensions the backend needs put in.
 */
static const char **ps_device_names(struct ps_device *dev,
				    const VkDeviceCreateInfo *ci, uint32_t *count)
{
	const struct ps_physdev *pd = dev->physdev;
	const char **names;
	uint32_t n = 0;
	bool v11 = pd->api_version >= VK_API_VERSION_1_1;

	names = calloc(ci->enabledExtensionCount + 8, sizeof(*names));
	if (!names)
		return NULL;
	for (uint32_t i = 0; i < ci->enabledExtensionCount; i++) {
		const char *e = ci->ppEnabledExtensionNames[i];

		if (dev->nv_memory &&
		    !strcmp(e, VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME))
			continue;
		if (dev->nv_win32 &&
		    !strcmp(e, VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME))
			continue;
		names[n++] = e;
	}

	dev->khr_dedicated = v11;
	if (dev->nv_memory && pd->backend != PS_BACKEND_NONE) {
		if (!v11) {
			ps_add_driver_ext(pd, names, &n,
					  VK_KHR_EXTERNAL_MEMORY_EXTENSION_NAME);
			if (ps_add_driver_ext(pd, names, &n,
				VK_KHR_GET_MEMORY_REQUIREMENTS_2_EXTENSION_NAME))
				dev->khr_dedicated = ps_add_driver_ext(pd, names, &n,
					VK_KHR_DEDICATED_ALLOCATION_EXTENSION_NAME);
		}
		switch (pd->backend) {
		case PS_BACKEND_DMABUF:
			ps_add_driver_ext(pd, names, &n,
					  VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
			ps_add_driver_ext(pd, names, &n,
					  VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME);
			break;
		case PS_BACKEND_PRIME:
			ps_add_driver_ext(pd, names, &n,
					  VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
			break;
		case PS_BACKEND_OPAQUE_FD:
			ps_add_driver_ext(pd, names, &n,
					  VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
			break;
		case PS_BACKEND_NONE:
			break;
		}
	}
	*count = n;
	return names;
}

static VKAPI_ATTR VkResult VKAPI_CALL ps_CreateDevice(
	VkPhysicalDevice physicalDevice, const VkDeviceCreateInfo *pCreateInfo,
	const VkAllocationCallbacks *pAllocator, VkDevice *pDevice)
{
	struct ps_instance *inst = ps_instance_from(physicalDevice);
	VkLayerDeviceCreateInfo *link = ps_device_link(pCreateInfo);
	VkDeviceCreateInfo ci = *pCreateInfo;
	PFN_vkGetInstanceProcAddr gipa;
	PFN_vkGetDeviceProcAddr gdpa;
	PFN_vkCreateDevice create;
	const char **names = NULL;
	struct ps_device *dev;
	bool want_memory, want_win32;
	VkResult res;

	if (!inst || !link || !link->u.pLayerInfo)
		return VK_ERROR_INITIALIZATION_FAILED;
	gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
	gdpa = link->u.pLayerInfo->pfnNextGetDeviceProcAddr;
	create = (PFN_vkCreateDevice)gipa(inst->handle, "vkCreateDevice");
	if (!create)
		return VK_ERROR_INITIALIZATION_FAILED;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	pthread_mutex_init(&dev->lock, NULL);
	dev->instance = inst;
	dev->drm_fd = -1;

	want_memory = ps_name_in(pCreateInfo->ppEnabledExtensionNames,
				 pCreateInfo->enabledExtensionCount,
				 VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME);
	want_win32 = ps_name_in(pCreateInfo->ppEnabledExtensionNames,
				pCreateInfo->enabledExtensionCount,
				VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME);
	if (want_win32 && !want_memory) {
		ps_error("vkCreateDevice: VK_NV_external_memory_win32 needs VK_NV_external_memory enabled too (VUID-vkCreateDevice-ppEnabledExtensionNames-01387)");
		res = VK_ERROR_EXTENSION_NOT_PRESENT;
		goto fail;
	}
	if (want_memory && !inst->nv_caps_enabled) {
		ps_error("vkCreateDevice: VK_NV_external_memory needs the instance extension VK_NV_external_memory_capabilities (VUID-vkCreateDevice-ppEnabledExtensionNames-01387)");
		res = VK_ERROR_EXTENSION_NOT_PRESENT;
		goto fail;
	}
	if (want_memory || want_win32) {
		dev->physdev = ps_physdev_get(inst, physicalDevice);
		if (!dev->physdev) {
			res = VK_ERROR_OUT_OF_HOST_MEMORY;
			goto fail;
		}
		dev->nv_memory = want_memory && !dev->physdev->native_nv_memory;
		dev->nv_win32 = want_win32 && !dev->physdev->native_nv_win32;
		if (want_memory && !dev->nv_memory)
			ps_debug("device: the driver implements VK_NV_external_memory; stepping aside");
		names = ps_device_names(dev, pCreateInfo, &ci.enabledExtensionCount);
		if (!names) {
			res = VK_ERROR_OUT_OF_HOST_MEMORY;
			goto fail;
		}
		ci.ppEnabledExtensionNames = names;
		if (dev->nv_memory)
			ps_debug("device: NV external memory by the layer%s, backend %s",
				 dev->nv_win32 ? " (with win32 handles)" : "",
				 ps_backend_name(dev->physdev->backend));
	}

	link->u.pLayerInfo = link->u.pLayerInfo->pNext;
	res = create(physicalDevice, &ci, pAllocator, pDevice);
	free(names);
	if (res != VK_SUCCESS)
		goto fail;

	dev->handle = *pDevice;
#define GET(f) dev->next.f = (PFN_vk##f)gdpa(*pDevice, "vk" #f)
	GET(GetDeviceProcAddr);
	GET(DestroyDevice);
	GET(CreateImage);
	GET(DestroyImage);
	GET(AllocateMemory);
	GET(FreeMemory);
	GET(BindImageMemory);
	GET(GetImageMemoryRequirements);
	GET(GetImageSubresourceLayout);
	GET(CmdPipelineBarrier);
	if (dev->nv_memory) {
		const struct ps_physdev *pd = dev->physdev;

		if (pd->api_version >= VK_API_VERSION_1_1)
			GET(BindImageMemory2);
		if (ps_name_in(pCreateInfo->ppEnabledExtensionNames,
			       pCreateInfo->enabledExtensionCount,
			       VK_KHR_BIND_MEMORY_2_EXTENSION_NAME))
			GET(BindImageMemory2KHR);
		if (ps_name_in(pCreateInfo->ppEnabledExtensionNames,
			       pCreateInfo->enabledExtensionCount,
			       VK_EXT_IMAGE_DRM_FORMAT_MODIFIER_EXTENSION_NAME))
			GET(GetImageDrmFormatModifierPropertiesEXT);
		if (pd->khr_type & (VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT |
				    VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT))
			GET(GetMemoryFdKHR);
		if (dev->nv_win32 && (pd->nv_types & PS_NV_KMT_TYPES))
			ps_kmt_open(dev);
		if (pd->backend == PS_BACKEND_PRIME) {
			GET(GetMemoryHostPointerPropertiesEXT);
			dev->drm_fd = ps_prime_open(pd);
			if (dev->drm_fd < 0)
				ps_error("device: cannot open %s for the prime backend: %s",
					 pd->drm_node, strerror(-dev->drm_fd));
		}
	}
#undef GET
	if (!dev->next.GetDeviceProcAddr)
		dev->next.GetDeviceProcAddr = gdpa;

	if (ps_map_insert(ps_key(*pDevice), dev)) {
		dev->next.DestroyDevice(*pDevice, pAllocator);
		res = VK_ERROR_OUT_OF_HOST_MEMORY;
		goto fail;
	}
	return VK_SUCCESS;

fail:
	ps_kmt_close(dev);
	if (dev->drm_fd >= 0)
		close(dev->drm_fd);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
	return res;
}

static VKAPI_ATTR void VKAPI_CALL ps_DestroyDevice(VkDevice device,
	const VkAllocationCallbacks *pAllocator)
{
	struct ps_device *dev;

	if (!device)
		return;
	dev = ps_map_remove(ps_key(device));
	if (!dev)
		return;
	dev->next.DestroyDevice(device, pAllocator);
	/* What the application did not free: the driver has let go now. */
	ps_device_forget_memories(dev);
	ps_device_forget_images(dev);
	ps_kmt_close(dev);
	if (dev->drm_fd >= 0)
		close(dev->drm_fd);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

/* Command lookup ---------------------------------------------------------- */

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL ps_GetDeviceProcAddr(
	VkDevice device, const char *pName);

#define PS_ENTRY(n) { "vk" #n, (PFN_vkVoidFunction)ps_##n }

struct ps_entry {
	const char *name;
	PFN_vkVoidFunction fn;
};

static PFN_vkVoidFunction ps_find(const struct ps_entry *table, size_t n,
				  const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(table[i].name, name))
			return table[i].fn;
	return NULL;
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL ps_GetInstanceProcAddr(
	VkInstance instance, const char *pName)
{
	static const struct ps_entry always[] = {
		PS_ENTRY(GetInstanceProcAddr),
		PS_ENTRY(CreateInstance),
		PS_ENTRY(DestroyInstance),
		PS_ENTRY(EnumerateInstanceExtensionProperties),
		PS_ENTRY(EnumerateDeviceExtensionProperties),
		PS_ENTRY(CreateDevice),
		PS_ENTRY(GetDeviceProcAddr),
		PS_ENTRY(DestroyDevice),
	};
	/* Device commands that pass through for devices without NV. */
	static const struct ps_entry with_nv[] = {
		PS_ENTRY(CreateImage),
		PS_ENTRY(DestroyImage),
		PS_ENTRY(AllocateMemory),
		PS_ENTRY(FreeMemory),
		PS_ENTRY(BindImageMemory),
		PS_ENTRY(GetMemoryWin32HandleNV),
	};
	struct ps_instance *inst;
	PFN_vkVoidFunction fn;

	if (!pName)
		return NULL;
	fn = ps_find(always, PS_ARRAY_SIZE(always), pName);
	if (fn)
		return fn;
	if (!instance)
		return NULL;
	inst = ps_instance_from(instance);
	if (!inst)
		return NULL;

	/* The NV commands exist only with the capabilities extension. */
	if (!strcmp(pName, "vkGetPhysicalDeviceExternalImageFormatPropertiesNV"))
		return inst->nv_caps_enabled ? (PFN_vkVoidFunction)
			ps_GetPhysicalDeviceExternalImageFormatPropertiesNV : NULL;
	if (!strcmp(pName, "vkGetMemoryWin32HandleNV") && !inst->nv_caps_enabled)
		return NULL;
	if (inst->nv_caps_enabled) {
		fn = ps_find(with_nv, PS_ARRAY_SIZE(with_nv), pName);
		if (fn)
			return fn;
	}
	return inst->next.GetInstanceProcAddr(instance, pName);
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL ps_GetDeviceProcAddr(
	VkDevice device, const char *pName)
{
	struct ps_device *dev;

	if (!pName)
		return NULL;
	if (!strcmp(pName, "vkGetDeviceProcAddr"))
		return (PFN_vkVoidFunction)ps_GetDeviceProcAddr;
	if (!device)
		return NULL;
	dev = ps_device_from(device);
	if (!dev)
		return NULL;
	if (!strcmp(pName, "vkDestroyDevice"))
		return (PFN_vkVoidFunction)ps_DestroyDevice;
	if (!strcmp(pName, "vkGetMemoryWin32HandleNV")) {
		if (dev->nv_win32)
			return (PFN_vkVoidFunction)ps_GetMemoryWin32HandleNV;
		if (!dev->nv_memory && dev->physdev &&
		    dev->physdev->native_nv_win32)
			return dev->next.GetDeviceProcAddr(device, pName);
		return NULL;
	}
	if (dev->nv_memory) {
		if (!strcmp(pName, "vkCreateImage"))
			return (PFN_vkVoidFunction)ps_CreateImage;
		if (!strcmp(pName, "vkAllocateMemory"))
			return (PFN_vkVoidFunction)ps_AllocateMemory;
		if (!strcmp(pName, "vkFreeMemory"))
			return (PFN_vkVoidFunction)ps_FreeMemory;
		if (!strcmp(pName, "vkDestroyImage"))
			return (PFN_vkVoidFunction)ps_DestroyImage;
		if (!strcmp(pName, "vkBindImageMemory"))
			return (PFN_vkVoidFunction)ps_BindImageMemory;
		if (!strcmp(pName, "vkBindImageMemory2") &&
		    dev->next.BindImageMemory2)
			return (PFN_vkVoidFunction)ps_BindImageMemory2;
		if (!strcmp(pName, "vkBindImageMemory2KHR") &&
		    dev->next.BindImageMemory2KHR)
			return (PFN_vkVoidFunction)ps_BindImageMemory2KHR;
		if (ps_debug_enabled() && !strcmp(pName, "vkCmdPipelineBarrier"))
			return (PFN_vkVoidFunction)ps_CmdPipelineBarrier;
	}
	return dev->next.GetDeviceProcAddr(device, pName);
}

/* Exported entry points --------------------------------------------------- */

/* The prototypes: layer.h defines VK_NO_PROTOTYPES. */
PS_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vkGetInstanceProcAddr(VkInstance instance, const char *pName);
PS_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vkGetDeviceProcAddr(VkDevice device, const char *pName);
PS_EXPORT VKAPI_ATTR VkResult VKAPI_CALL
vkEnumerateInstanceExtensionProperties(const char *pLayerName,
				       uint32_t *pPropertyCount,
				       VkExtensionProperties *pProperties);
PS_EXPORT VKAPI_ATTR VkResult VKAPI_CALL
vkEnumerateDeviceExtensionProperties(VkPhysicalDevice physicalDevice,
				     const char *pLayerName,
				     uint32_t *pPropertyCount,
				     VkExtensionProperties *pProperties);

PS_EXPORT VKAPI_ATTR VkResult VKAPI_CALL
vkNegotiateLoaderLayerInterfaceVersion(VkNegotiateLayerInterface *pVersionStruct)
{
	if (!pVersionStruct ||
	    pVersionStruct->sType != LAYER_NEGOTIATE_INTERFACE_STRUCT)
		return VK_ERROR_INITIALIZATION_FAILED;
	/* Version 2 is all the layer needs: it has no physical device hooks. */
	if (pVersionStruct->loaderLayerInterfaceVersion > 2)
		pVersionStruct->loaderLayerInterfaceVersion = 2;
	if (pVersionStruct->loaderLayerInterfaceVersion >= 2) {
		pVersionStruct->pfnGetInstanceProcAddr = ps_GetInstanceProcAddr;
		pVersionStruct->pfnGetDeviceProcAddr = ps_GetDeviceProcAddr;
		pVersionStruct->pfnGetPhysicalDeviceProcAddr = NULL;
	}
	ps_debug("loader interface version %u",
		 pVersionStruct->loaderLayerInterfaceVersion);
	return VK_SUCCESS;
}

/*
 * Loaders older than interface version 2 look these up by name.  Inside
 * the layer nothing calls them by these names.
 */
PS_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vkGetInstanceProcAddr(VkInstance instance, const char *pName)
{
	return ps_GetInstanceProcAddr(instance, pName);
}

PS_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vkGetDeviceProcAddr(VkDevice device, const char *pName)
{
	return ps_GetDeviceProcAddr(device, pName);
}

PS_EXPORT VKAPI_ATTR VkResult VKAPI_CALL
vkEnumerateInstanceExtensionProperties(const char *pLayerName,
				       uint32_t *pPropertyCount,
				       VkExtensionProperties *pProperties)
{
	return ps_EnumerateInstanceExtensionProperties(pLayerName,
						       pPropertyCount,
						       pProperties);
}

PS_EXPORT VKAPI_ATTR VkResult VKAPI_CALL
vkEnumerateDeviceExtensionProperties(VkPhysicalDevice physicalDevice,
				     const char *pLayerName,
				     uint32_t *pPropertyCount,
				     VkExtensionProperties *pProperties)
{
	return ps_EnumerateDeviceExtensionProperties(physicalDevice, pLayerName,
						     pPropertyCount,
						     pProperties);
}
