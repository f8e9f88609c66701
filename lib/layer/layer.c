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

#define NVX_EXPORT __attribute__((visibility("default")))

static const VkExtensionProperties nvx_instance_extensions[] = {
	{ VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	  VK_NV_EXTERNAL_MEMORY_CAPABILITIES_SPEC_VERSION },
};

static const VkExtensionProperties nvx_device_extensions[] = {
	{ VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
	  VK_NV_EXTERNAL_MEMORY_SPEC_VERSION },
	{ VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
	  VK_NV_EXTERNAL_MEMORY_WIN32_SPEC_VERSION },
	{ VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME,
	  VK_NV_DEDICATED_ALLOCATION_SPEC_VERSION },
	{ VK_NV_WIN32_KEYED_MUTEX_EXTENSION_NAME,
	  VK_NV_WIN32_KEYED_MUTEX_SPEC_VERSION },
};

static VkResult nvx_fill_properties(const VkExtensionProperties *src,
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

static bool nvx_name_in(const char *const *names, uint32_t count,
			const char *name)
{
	for (uint32_t i = 0; i < count; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

/* Instance ---------------------------------------------------------------- */

static VkLayerInstanceCreateInfo *nvx_instance_link(const VkInstanceCreateInfo *ci)
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
static uint32_t nvx_instance_names(struct nvx_instance *inst,
				   const VkInstanceCreateInfo *ci,
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
	inst->nadded = 0;
	for (size_t i = 0; khr && i < NVX_ARRAY_SIZE(khr_caps); i++) {
		if (!nvx_name_in(names, n, khr_caps[i])) {
			names[n++] = khr_caps[i];
			inst->added[inst->nadded++] = khr_caps[i];
		}
	}
	return n;
}

/* The layer's record of an instance the app asks for. */
static struct nvx_instance *nvx_instance_new(const VkInstanceCreateInfo *ci)
{
	const VkApplicationInfo *app = ci->pApplicationInfo;
	struct nvx_instance *inst = calloc(1, sizeof(*inst));
	uint32_t v;

	if (!inst)
		return NULL;
	pthread_mutex_init(&inst->lock, NULL);
	v = app && app->apiVersion ? app->apiVersion : VK_API_VERSION_1_0;
	inst->api_version = VK_MAKE_API_VERSION(0, VK_API_VERSION_MAJOR(v),
						VK_API_VERSION_MINOR(v), 0);
	inst->khr_caps2 = inst->api_version >= VK_API_VERSION_1_1;
	inst->nv_caps_enabled = nvx_name_in(ci->ppEnabledExtensionNames,
		ci->enabledExtensionCount,
		VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME);
	return inst;
}

static void nvx_instance_free(struct nvx_instance *inst)
{
	pthread_mutex_destroy(&inst->lock);
	free(inst);
}

/*
 * vkCreateInstance below, for an instance with
 * VK_NV_external_memory_capabilities: with the NV name and the KHR
 * capability extensions the layer needs, then without the NV name (no
 * driver has it), then (1.1 has them in core) without the KHR names.
 */
static VkResult nvx_instance_create_below(struct nvx_instance *inst,
					  const VkInstanceCreateInfo *app_ci,
					  const VkAllocationCallbacks *alloc,
					  PFN_vkCreateInstance create,
					  VkLayerInstanceCreateInfo *link,
					  VkLayerInstanceLink *below,
					  VkInstance *instance)
{
	static const bool tries[][2] = {
		{ true, true }, { false, true }, { false, false },
	};
	VkInstanceCreateInfo ci = *app_ci;
	const char **names;
	VkResult res = VK_ERROR_EXTENSION_NOT_PRESENT;

	names = calloc(app_ci->enabledExtensionCount + 2, sizeof(*names));
	if (!names)
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	ci.ppEnabledExtensionNames = names;
	for (size_t i = 0; i < NVX_ARRAY_SIZE(tries); i++) {
		bool nv = tries[i][0], khr = tries[i][1] && !inst->khr_caps2;

		if (i && !tries[i][1] && inst->khr_caps2)
			break;	/* nothing left to take out */
		ci.enabledExtensionCount = nvx_instance_names(inst, app_ci,
							      names, nv, khr);
		link->u.pLayerInfo = below;
		res = create(&ci, alloc, instance);
		nvx_debug("instance: VK_NV_external_memory_capabilities by the layer, api %u.%u, %s the NV name%s: %d",
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
	return res;
}

/* The commands of the instance below that the layer calls. */
static void nvx_instance_resolve(struct nvx_instance *inst,
				 PFN_vkGetInstanceProcAddr gipa)
{
	VkInstance instance = inst->handle;
	bool core11 = inst->api_version >= VK_API_VERSION_1_1;

#define GET(f) inst->next.f = (PFN_vk##f)gipa(instance, "vk" #f)
	GET(GetInstanceProcAddr);
	GET(DestroyInstance);
	GET(EnumerateDeviceExtensionProperties);
	GET(GetPhysicalDeviceProperties);
	GET(GetPhysicalDeviceImageFormatProperties);
	GET(GetPhysicalDeviceExternalImageFormatPropertiesNV);
#undef GET
	if (!inst->next.GetInstanceProcAddr)
		inst->next.GetInstanceProcAddr = gipa;
	if (!inst->khr_caps2)
		return;
	inst->next.GetPhysicalDeviceProperties2 =
		(PFN_vkGetPhysicalDeviceProperties2)gipa(instance, core11 ?
			"vkGetPhysicalDeviceProperties2" :
			"vkGetPhysicalDeviceProperties2KHR");
	inst->next.GetPhysicalDeviceImageFormatProperties2 =
		(PFN_vkGetPhysicalDeviceImageFormatProperties2)gipa(instance,
			core11 ? "vkGetPhysicalDeviceImageFormatProperties2" :
				 "vkGetPhysicalDeviceImageFormatProperties2KHR");
	inst->next.GetPhysicalDeviceExternalBufferProperties =
		(PFN_vkGetPhysicalDeviceExternalBufferProperties)gipa(instance,
			core11 ? "vkGetPhysicalDeviceExternalBufferProperties" :
				 "vkGetPhysicalDeviceExternalBufferPropertiesKHR");
	if (!inst->next.GetPhysicalDeviceImageFormatProperties2)
		inst->khr_caps2 = false;
}

static VKAPI_ATTR VkResult VKAPI_CALL nvx_CreateInstance(
	const VkInstanceCreateInfo *pCreateInfo,
	const VkAllocationCallbacks *pAllocator, VkInstance *pInstance)
{
	VkLayerInstanceCreateInfo *link = nvx_instance_link(pCreateInfo);
	PFN_vkGetInstanceProcAddr gipa;
	PFN_vkCreateInstance create;
	VkLayerInstanceLink *below;
	struct nvx_instance *inst;
	VkResult res;

	if (!link || !link->u.pLayerInfo)
		return VK_ERROR_INITIALIZATION_FAILED;
	gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
	create = (PFN_vkCreateInstance)gipa(VK_NULL_HANDLE, "vkCreateInstance");
	if (!create)
		return VK_ERROR_INITIALIZATION_FAILED;
	below = link->u.pLayerInfo->pNext;

	inst = nvx_instance_new(pCreateInfo);
	if (!inst)
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	if (inst->nv_caps_enabled) {
		res = nvx_instance_create_below(inst, pCreateInfo, pAllocator,
						create, link, below, pInstance);
	} else {
		/* Nothing to do for this instance but to keep track of it. */
		link->u.pLayerInfo = below;
		res = create(pCreateInfo, pAllocator, pInstance);
	}
	if (res != VK_SUCCESS)
		goto fail;

	inst->handle = *pInstance;
	nvx_instance_resolve(inst, gipa);
	if (nvx_map_insert(nvx_key(*pInstance), inst)) {
		inst->next.DestroyInstance(*pInstance, pAllocator);
		res = VK_ERROR_OUT_OF_HOST_MEMORY;
		goto fail;
	}
	return VK_SUCCESS;

fail:
	nvx_instance_free(inst);
	return res;
}

static VKAPI_ATTR void VKAPI_CALL nvx_DestroyInstance(VkInstance instance,
	const VkAllocationCallbacks *pAllocator)
{
	struct nvx_instance *inst;

	if (!instance)
		return;
	inst = nvx_map_remove(nvx_key(instance));
	if (!inst)
		return;
	inst->next.DestroyInstance(instance, pAllocator);
	nvx_physdevs_free(inst);
	nvx_instance_free(inst);
}

static VKAPI_ATTR VkResult VKAPI_CALL nvx_EnumerateInstanceExtensionProperties(
	const char *pLayerName, uint32_t *pPropertyCount,
	VkExtensionProperties *pProperties)
{
	if (!pLayerName || strcmp(pLayerName, NVX_LAYER_NAME))
		return VK_ERROR_LAYER_NOT_PRESENT;
	return nvx_fill_properties(nvx_instance_extensions,
				   NVX_ARRAY_SIZE(nvx_instance_extensions),
				   pPropertyCount, pProperties);
}

/*
 * The layer's own device extensions: the two NV external memory ones
 * where the instance enabled VK_NV_external_memory_capabilities (on other
 * instances enabling them fails, VUID-vkCreateDevice-ppEnabledExtension
 * Names-01387), and VK_NV_dedicated_allocation.
 */
static VkResult nvx_layer_device_extensions(struct nvx_instance *inst,
					    uint32_t *count,
					    VkExtensionProperties *props)
{
	VkExtensionProperties list[NVX_ARRAY_SIZE(nvx_device_extensions)];
	uint32_t n = 0;

	for (size_t i = 0; inst && i < NVX_ARRAY_SIZE(nvx_device_extensions); i++)
		if (inst->nv_caps_enabled ||
		    !strcmp(nvx_device_extensions[i].extensionName,
			    VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME))
			list[n++] = nvx_device_extensions[i];
	return nvx_fill_properties(list, n, count, props);
}

/*
 * The layer's device extensions, for a query that names the layer (see
 * nvx_layer_device_extensions()).  Any other query is passed down
 * untouched (LLP_LAYER_16): the loader lists an implicit layer's device
 * extensions itself, from the manifest.
 */
static VKAPI_ATTR VkResult VKAPI_CALL nvx_EnumerateDeviceExtensionProperties(
	VkPhysicalDevice physicalDevice, const char *pLayerName,
	uint32_t *pPropertyCount, VkExtensionProperties *pProperties)
{
	struct nvx_instance *inst = NULL;

	if (physicalDevice)
		inst = nvx_instance_from(physicalDevice);
	if (pLayerName && !strcmp(pLayerName, NVX_LAYER_NAME))
		return nvx_layer_device_extensions(inst, pPropertyCount,
						   pProperties);
	if (!inst)
		return pLayerName ? VK_ERROR_LAYER_NOT_PRESENT :
				    VK_ERROR_INITIALIZATION_FAILED;
	return inst->next.EnumerateDeviceExtensionProperties(physicalDevice,
		pLayerName, pPropertyCount, pProperties);
}

/* Device ------------------------------------------------------------------ */

static VkLayerDeviceCreateInfo *nvx_device_link(const VkDeviceCreateInfo *ci)
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

/*
 * Add @name to @names if the driver lists it and it is not there yet, and
 * remember it as the layer's: its commands stay hidden from the app.
 */
static bool nvx_add_driver_ext(struct nvx_device *dev, const char **names,
			       uint32_t *n, const char *name)
{
	const struct nvx_physdev *pd = dev->physdev;

	if (nvx_name_in(names, *n, name))
		return true;
	if (!nvx_has_extension(pd->exts, pd->ext_count, name))
		return false;
	names[(*n)++] = name;
	if (dev->nadded < NVX_ARRAY_SIZE(dev->added))
		dev->added[dev->nadded++] = name;
	nvx_debug("device: enabling %s for the backend", name);
	return true;
}

/*
 * The device extension list passed down: the layer's NV names taken out,
 * the KHR extensions the backend needs put in.
 */
static const char **nvx_device_names(struct nvx_device *dev,
				     const VkDeviceCreateInfo *ci, uint32_t *count)
{
	const struct nvx_physdev *pd = dev->physdev;
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
		if (dev->nv_dedicated &&
		    !strcmp(e, VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME))
			continue;
		if (dev->nv_keyed_mutex &&
		    !strcmp(e, VK_NV_WIN32_KEYED_MUTEX_EXTENSION_NAME))
			continue;
		names[n++] = e;
	}

	dev->khr_dedicated = v11;
	if (!v11 && (dev->nv_dedicated ||
		     (dev->nv_memory && pd->backend != NVX_BACKEND_NONE)) &&
	    nvx_add_driver_ext(dev, names, &n,
			       VK_KHR_GET_MEMORY_REQUIREMENTS_2_EXTENSION_NAME))
		dev->khr_dedicated = nvx_add_driver_ext(dev, names, &n,
			VK_KHR_DEDICATED_ALLOCATION_EXTENSION_NAME);
	if (dev->nv_memory && pd->backend != NVX_BACKEND_NONE) {
		if (!v11)
			nvx_add_driver_ext(dev, names, &n,
					   VK_KHR_EXTERNAL_MEMORY_EXTENSION_NAME);
		switch (pd->backend) {
		case NVX_BACKEND_DMABUF:
			nvx_add_driver_ext(dev, names, &n,
					   VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
			nvx_add_driver_ext(dev, names, &n,
					   VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME);
			break;
		case NVX_BACKEND_PRIME:
			nvx_add_driver_ext(dev, names, &n,
					   VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
			break;
		case NVX_BACKEND_OPAQUE_FD:
			nvx_add_driver_ext(dev, names, &n,
					   VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
			break;
		case NVX_BACKEND_NONE:
			break;
		}
	}
	*count = n;
	return names;
}

static struct nvx_device *nvx_device_new(struct nvx_instance *inst)
{
	struct nvx_device *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	pthread_mutex_init(&dev->lock, NULL);
	dev->instance = inst;
	dev->drm_fd = -1;
	return dev;
}

/* What nvx_device_resolve() opened, and the record itself. */
static void nvx_device_free(struct nvx_device *dev)
{
	nvx_kmt_close(dev);
	if (dev->drm_fd >= 0)
		close(dev->drm_fd);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

/*
 * Which NV extensions the layer provides on this device (the driver's own
 * it leaves alone), checked against their requirements, and the extension
 * names to pass down in @names (NULL when they are the app's).
 */
static VkResult nvx_device_choose(struct nvx_device *dev,
				  VkPhysicalDevice physical,
				  const VkDeviceCreateInfo *ci,
				  const char ***names, uint32_t *count)
{
	bool want_memory = nvx_name_in(ci->ppEnabledExtensionNames,
				       ci->enabledExtensionCount,
				       VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME);
	bool want_win32 = nvx_name_in(ci->ppEnabledExtensionNames,
				      ci->enabledExtensionCount,
				      VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME);
	bool want_dedicated = nvx_name_in(ci->ppEnabledExtensionNames,
					  ci->enabledExtensionCount,
					  VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME);
	bool want_km = nvx_name_in(ci->ppEnabledExtensionNames,
				   ci->enabledExtensionCount,
				   VK_NV_WIN32_KEYED_MUTEX_EXTENSION_NAME);

	*names = NULL;
	if (want_win32 && !want_memory) {
		nvx_error("vkCreateDevice: VK_NV_external_memory_win32 needs VK_NV_external_memory enabled too (VUID-vkCreateDevice-ppEnabledExtensionNames-01387)");
		return VK_ERROR_EXTENSION_NOT_PRESENT;
	}
	if (want_km && !want_win32) {
		nvx_error("vkCreateDevice: VK_NV_win32_keyed_mutex needs VK_NV_external_memory_win32 enabled too (VUID-vkCreateDevice-ppEnabledExtensionNames-01387)");
		return VK_ERROR_EXTENSION_NOT_PRESENT;
	}
	if (want_memory && !dev->instance->nv_caps_enabled) {
		nvx_error("vkCreateDevice: VK_NV_external_memory needs the instance extension VK_NV_external_memory_capabilities (VUID-vkCreateDevice-ppEnabledExtensionNames-01387)");
		return VK_ERROR_EXTENSION_NOT_PRESENT;
	}
	if (!want_memory && !want_win32 && !want_dedicated)
		return VK_SUCCESS;

	dev->physdev = nvx_physdev_get(dev->instance, physical);
	if (!dev->physdev)
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	dev->nv_memory = want_memory && !dev->physdev->native_nv_memory;
	dev->nv_win32 = want_win32 && !dev->physdev->native_nv_win32;
	if (want_km && dev->nv_win32) {
		/* The mutexes live in primeshare.ko, beside the KMT handles. */
		if (!(dev->physdev->nv_types & NVX_NV_KMT_TYPES) ||
		    !nvx_kmt_keyed_mutex()) {
			nvx_error("vkCreateDevice: VK_NV_win32_keyed_mutex needs /dev/primeshare with keyed mutexes (primeshare.ko of uAPI 1.2 or later, loaded, and a backend with KMT handles): %s",
				  dev->physdev->nv_types & NVX_NV_KMT_TYPES ?
				  "this module has no keyed mutexes" :
				  "no KMT handle types on this device");
			return VK_ERROR_EXTENSION_NOT_PRESENT;
		}
		dev->nv_keyed_mutex = true;
	}
	/*
	 * VK_NV_dedicated_allocation is the layer's wherever the NV family
	 * is: the driver's list cannot tell whether the driver has it, since
	 * the loader puts the implicit manifest's names into that list.  It
	 * maps onto KHR dedicated allocation, which every driver it is used
	 * with has; on a device with NV external memory by the layer the NV
	 * dedicated structures are translated either way.
	 */
	dev->nv_dedicated = want_dedicated && !dev->physdev->native_nv;
	if (dev->nv_dedicated)
		nvx_debug("device: VK_NV_dedicated_allocation by the layer, over %s dedicated allocation",
			  dev->physdev->api_version >= VK_API_VERSION_1_1 ?
			  "core 1.1" : "VK_KHR_dedicated_allocation");
	if (want_memory && !dev->nv_memory)
		nvx_debug("device: the driver implements VK_NV_external_memory; stepping aside");
	*names = nvx_device_names(dev, ci, count);
	if (!*names)
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	if (dev->nv_memory)
		nvx_debug("device: NV external memory by the layer%s, backend %s",
			  dev->nv_win32 ? " (with win32 handles)" : "",
			  nvx_backend_name(dev->physdev->backend));
	return VK_SUCCESS;
}

/*
 * The commands of the device below that the layer calls, and what the
 * backend needs open for the device's life.
 */
static void nvx_device_resolve(struct nvx_device *dev,
			       PFN_vkGetDeviceProcAddr gdpa,
			       const VkDeviceCreateInfo *ci)
{
	const struct nvx_physdev *pd = dev->physdev;
	VkDevice device = dev->handle;

#define GET(f) dev->next.f = (PFN_vk##f)gdpa(device, "vk" #f)
	GET(GetDeviceProcAddr);
	GET(DestroyDevice);
	GET(CreateImage);
	GET(DestroyImage);
	GET(CreateBuffer);
	GET(DestroyBuffer);
	GET(BindBufferMemory);
	GET(AllocateMemory);
	GET(FreeMemory);
	GET(BindImageMemory);
	GET(GetImageMemoryRequirements);
	GET(GetBufferMemoryRequirements);
	GET(GetImageSubresourceLayout);
	GET(CmdPipelineBarrier);
	if (!dev->next.GetDeviceProcAddr)
		dev->next.GetDeviceProcAddr = gdpa;
	if (!dev->nv_memory && !dev->nv_dedicated)
		return;
	if (pd->api_version >= VK_API_VERSION_1_1) {
		GET(BindImageMemory2);
		GET(BindBufferMemory2);
	}
	if (nvx_name_in(ci->ppEnabledExtensionNames, ci->enabledExtensionCount,
			VK_KHR_BIND_MEMORY_2_EXTENSION_NAME)) {
		GET(BindImageMemory2KHR);
		GET(BindBufferMemory2KHR);
	}
	if (nvx_name_in(ci->ppEnabledExtensionNames, ci->enabledExtensionCount,
			VK_EXT_IMAGE_DRM_FORMAT_MODIFIER_EXTENSION_NAME))
		GET(GetImageDrmFormatModifierPropertiesEXT);
	if (pd->khr_type & (VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT |
			    VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT))
		GET(GetMemoryFdKHR);
	if (dev->nv_win32 && (pd->nv_types & NVX_NV_KMT_TYPES))
		nvx_kmt_open(dev);
	if (dev->nv_keyed_mutex) {
		GET(QueueSubmit);
		GET(CreateFence);
		GET(DestroyFence);
		GET(WaitForFences);
		GET(ResetFences);
		if (pd->api_version >= VK_API_VERSION_1_3)
			GET(QueueSubmit2);
		if (nvx_name_in(ci->ppEnabledExtensionNames,
				ci->enabledExtensionCount,
				VK_KHR_SYNCHRONIZATION_2_EXTENSION_NAME))
			GET(QueueSubmit2KHR);
	}
	if (dev->nv_memory && pd->backend == NVX_BACKEND_PRIME) {
		GET(GetMemoryHostPointerPropertiesEXT);
		dev->drm_fd = nvx_prime_open(pd);
		if (dev->drm_fd < 0)
			nvx_error("device: cannot open %s for the prime backend: %s",
				  pd->drm_node, strerror(-dev->drm_fd));
	}
#undef GET
}

static VKAPI_ATTR VkResult VKAPI_CALL nvx_CreateDevice(
	VkPhysicalDevice physicalDevice, const VkDeviceCreateInfo *pCreateInfo,
	const VkAllocationCallbacks *pAllocator, VkDevice *pDevice)
{
	struct nvx_instance *inst = nvx_instance_from(physicalDevice);
	VkLayerDeviceCreateInfo *link = nvx_device_link(pCreateInfo);
	VkDeviceCreateInfo ci = *pCreateInfo;
	PFN_vkGetInstanceProcAddr gipa;
	PFN_vkGetDeviceProcAddr gdpa;
	PFN_vkCreateDevice create;
	const char **names;
	struct nvx_device *dev;
	VkResult res;

	if (!inst || !link || !link->u.pLayerInfo)
		return VK_ERROR_INITIALIZATION_FAILED;
	gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
	gdpa = link->u.pLayerInfo->pfnNextGetDeviceProcAddr;
	create = (PFN_vkCreateDevice)gipa(inst->handle, "vkCreateDevice");
	if (!create)
		return VK_ERROR_INITIALIZATION_FAILED;

	dev = nvx_device_new(inst);
	if (!dev)
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	res = nvx_device_choose(dev, physicalDevice, pCreateInfo, &names,
				&ci.enabledExtensionCount);
	if (res != VK_SUCCESS)
		goto fail;
	if (names)
		ci.ppEnabledExtensionNames = names;

	link->u.pLayerInfo = link->u.pLayerInfo->pNext;
	res = create(physicalDevice, &ci, pAllocator, pDevice);
	free(names);
	if (res != VK_SUCCESS)
		goto fail;

	dev->handle = *pDevice;
	nvx_device_resolve(dev, gdpa, pCreateInfo);
	if ((dev->nv_keyed_mutex && nvx_km_init(dev)) ||
	    nvx_map_insert(nvx_key(*pDevice), dev)) {
		nvx_km_fini(dev);
		dev->next.DestroyDevice(*pDevice, pAllocator);
		res = VK_ERROR_OUT_OF_HOST_MEMORY;
		goto fail;
	}
	return VK_SUCCESS;

fail:
	nvx_device_free(dev);
	return res;
}

static VKAPI_ATTR void VKAPI_CALL nvx_DestroyDevice(VkDevice device,
	const VkAllocationCallbacks *pAllocator)
{
	struct nvx_device *dev;

	if (!device)
		return;
	dev = nvx_map_remove(nvx_key(device));
	if (!dev)
		return;
	/* The pending releases, and the layer's fences, before the device. */
	nvx_km_fini(dev);
	dev->next.DestroyDevice(device, pAllocator);
	/* What the application did not free: the driver has let go now. */
	nvx_device_forget_memories(dev);
	nvx_device_forget_images(dev);
	nvx_device_forget_tracks(dev);
	nvx_device_free(dev);
}

/* Command lookup ---------------------------------------------------------- */

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL nvx_GetDeviceProcAddr(
	VkDevice device, const char *pName);

#define NVX_ENTRY(n) { "vk" #n, (PFN_vkVoidFunction)nvx_##n }

struct nvx_entry {
	const char *name;
	PFN_vkVoidFunction fn;
};

static PFN_vkVoidFunction nvx_find(const struct nvx_entry *table, size_t n,
				   const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(table[i].name, name))
			return table[i].fn;
	return NULL;
}

/*
 * The commands of the extensions the layer may enable below for itself
 * (nvx_instance_names(), nvx_device_names()).  Where the application did
 * not enable such an extension it gets none of its commands (LLP_LAYER_18).
 * Extensions without commands need no entry.
 */
static const struct {
	const char *ext, *name;
} nvx_layer_ext_commands[] = {
#define NVX_EXT_CMD(e, n) { VK_##e##_EXTENSION_NAME, "vk" #n }
	NVX_EXT_CMD(KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2, GetPhysicalDeviceFeatures2KHR),
	NVX_EXT_CMD(KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2, GetPhysicalDeviceProperties2KHR),
	NVX_EXT_CMD(KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2, GetPhysicalDeviceFormatProperties2KHR),
	NVX_EXT_CMD(KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2, GetPhysicalDeviceImageFormatProperties2KHR),
	NVX_EXT_CMD(KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2, GetPhysicalDeviceQueueFamilyProperties2KHR),
	NVX_EXT_CMD(KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2, GetPhysicalDeviceMemoryProperties2KHR),
	NVX_EXT_CMD(KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2, GetPhysicalDeviceSparseImageFormatProperties2KHR),
	NVX_EXT_CMD(KHR_EXTERNAL_MEMORY_CAPABILITIES, GetPhysicalDeviceExternalBufferPropertiesKHR),
	NVX_EXT_CMD(KHR_GET_MEMORY_REQUIREMENTS_2, GetImageMemoryRequirements2KHR),
	NVX_EXT_CMD(KHR_GET_MEMORY_REQUIREMENTS_2, GetBufferMemoryRequirements2KHR),
	NVX_EXT_CMD(KHR_GET_MEMORY_REQUIREMENTS_2, GetImageSparseMemoryRequirements2KHR),
	NVX_EXT_CMD(KHR_EXTERNAL_MEMORY_FD, GetMemoryFdKHR),
	NVX_EXT_CMD(KHR_EXTERNAL_MEMORY_FD, GetMemoryFdPropertiesKHR),
	NVX_EXT_CMD(EXT_EXTERNAL_MEMORY_HOST, GetMemoryHostPointerPropertiesEXT),
#undef NVX_EXT_CMD
};

/* Whether @name is a command of one of the extensions in @added. */
static bool nvx_hidden(const char *const *added, unsigned int nadded,
		       const char *name)
{
	if (!nadded)
		return false;
	for (size_t i = 0; i < NVX_ARRAY_SIZE(nvx_layer_ext_commands); i++)
		if (!strcmp(nvx_layer_ext_commands[i].name, name))
			return nvx_name_in(added, nadded,
					   nvx_layer_ext_commands[i].ext);
	return false;
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL nvx_GetInstanceProcAddr(
	VkInstance instance, const char *pName)
{
	static const struct nvx_entry always[] = {
		NVX_ENTRY(GetInstanceProcAddr),
		NVX_ENTRY(CreateInstance),
		NVX_ENTRY(DestroyInstance),
		NVX_ENTRY(EnumerateInstanceExtensionProperties),
		NVX_ENTRY(EnumerateDeviceExtensionProperties),
		NVX_ENTRY(CreateDevice),
		NVX_ENTRY(GetDeviceProcAddr),
		NVX_ENTRY(DestroyDevice),
	};
	/* Device commands that pass through for devices without NV. */
	static const struct nvx_entry with_nv[] = {
		NVX_ENTRY(CreateImage),
		NVX_ENTRY(DestroyImage),
		NVX_ENTRY(AllocateMemory),
		NVX_ENTRY(FreeMemory),
		NVX_ENTRY(BindImageMemory),
		NVX_ENTRY(CreateBuffer),
		NVX_ENTRY(DestroyBuffer),
		NVX_ENTRY(BindBufferMemory),
		NVX_ENTRY(GetMemoryWin32HandleNV),
	};
	struct nvx_instance *inst;
	PFN_vkVoidFunction fn;

	if (!pName)
		return NULL;
	fn = nvx_find(always, NVX_ARRAY_SIZE(always), pName);
	if (fn)
		return fn;
	if (!instance)
		return NULL;
	inst = nvx_instance_from(instance);
	if (!inst)
		return NULL;
	if (nvx_hidden(inst->added, inst->nadded, pName))
		return NULL;

	/* The NV commands exist only with the capabilities extension. */
	if (!strcmp(pName, "vkGetPhysicalDeviceExternalImageFormatPropertiesNV"))
		return inst->nv_caps_enabled ? (PFN_vkVoidFunction)
			nvx_GetPhysicalDeviceExternalImageFormatPropertiesNV : NULL;
	if (!strcmp(pName, "vkGetMemoryWin32HandleNV") && !inst->nv_caps_enabled)
		return NULL;
	if (inst->nv_caps_enabled) {
		fn = nvx_find(with_nv, NVX_ARRAY_SIZE(with_nv), pName);
		if (fn)
			return fn;
	}
	return inst->next.GetInstanceProcAddr(instance, pName);
}

/*
 * Device commands the layer takes over, each for the devices @hooked says
 * (the others get the next layer's command, at no cost per call).
 */
struct nvx_device_entry {
	const char *name;
	PFN_vkVoidFunction fn;
	bool (*hooked)(const struct nvx_device *dev);
};

/* NV external memory, or NV dedicated allocation, by the layer. */
static bool nvx_hook_nv_memory(const struct nvx_device *dev)
{
	return dev->nv_memory || dev->nv_dedicated;
}

static bool nvx_hook_bind2(const struct nvx_device *dev)
{
	return nvx_hook_nv_memory(dev) && dev->next.BindImageMemory2;
}

static bool nvx_hook_bind2_khr(const struct nvx_device *dev)
{
	return nvx_hook_nv_memory(dev) && dev->next.BindImageMemory2KHR;
}

/*
 * Buffers matter where the backend makes shared memory KHR external, and
 * for NV dedicated allocation.
 */
static bool nvx_hook_buffers(const struct nvx_device *dev)
{
	return (dev->nv_memory && dev->physdev->khr_type) || dev->nv_dedicated;
}

static bool nvx_hook_buffer_bind2(const struct nvx_device *dev)
{
	return nvx_hook_buffers(dev) && dev->next.BindBufferMemory2;
}

static bool nvx_hook_buffer_bind2_khr(const struct nvx_device *dev)
{
	return nvx_hook_buffers(dev) && dev->next.BindBufferMemory2KHR;
}

/* VK_NV_win32_keyed_mutex by the layer: the submit commands there are. */
static bool nvx_hook_km(const struct nvx_device *dev)
{
	return dev->nv_keyed_mutex;
}

static bool nvx_hook_km2(const struct nvx_device *dev)
{
	return dev->nv_keyed_mutex && dev->next.QueueSubmit2;
}

static bool nvx_hook_km2_khr(const struct nvx_device *dev)
{
	return dev->nv_keyed_mutex && dev->next.QueueSubmit2KHR;
}

/* The image layout checks at hand-over, only with PRIMESHARE_LAYER_DEBUG. */
static bool nvx_hook_debug(const struct nvx_device *dev)
{
	return dev->nv_memory && nvx_debug_enabled();
}

#define NVX_DEVICE_ENTRY(n, when) \
	{ "vk" #n, (PFN_vkVoidFunction)nvx_##n, when }

static const struct nvx_device_entry nvx_device_commands[] = {
	NVX_DEVICE_ENTRY(DestroyDevice, NULL),
	NVX_DEVICE_ENTRY(CreateImage, nvx_hook_nv_memory),
	NVX_DEVICE_ENTRY(DestroyImage, nvx_hook_nv_memory),
	NVX_DEVICE_ENTRY(AllocateMemory, nvx_hook_nv_memory),
	NVX_DEVICE_ENTRY(FreeMemory, nvx_hook_nv_memory),
	NVX_DEVICE_ENTRY(BindImageMemory, nvx_hook_nv_memory),
	NVX_DEVICE_ENTRY(BindImageMemory2, nvx_hook_bind2),
	NVX_DEVICE_ENTRY(BindImageMemory2KHR, nvx_hook_bind2_khr),
	NVX_DEVICE_ENTRY(CreateBuffer, nvx_hook_buffers),
	NVX_DEVICE_ENTRY(DestroyBuffer, nvx_hook_buffers),
	NVX_DEVICE_ENTRY(BindBufferMemory, nvx_hook_buffers),
	NVX_DEVICE_ENTRY(BindBufferMemory2, nvx_hook_buffer_bind2),
	NVX_DEVICE_ENTRY(BindBufferMemory2KHR, nvx_hook_buffer_bind2_khr),
	NVX_DEVICE_ENTRY(CmdPipelineBarrier, nvx_hook_debug),
	NVX_DEVICE_ENTRY(QueueSubmit, nvx_hook_km),
	NVX_DEVICE_ENTRY(QueueSubmit2, nvx_hook_km2),
	NVX_DEVICE_ENTRY(QueueSubmit2KHR, nvx_hook_km2_khr),
};

/*
 * vkGetMemoryWin32HandleNV: the layer's where it offers
 * VK_NV_external_memory_win32 on this device, the driver's where the
 * driver has the whole NV family itself, else none.
 */
static PFN_vkVoidFunction nvx_win32_handle_command(struct nvx_device *dev,
						   VkDevice device,
						   const char *name)
{
	if (dev->nv_win32)
		return (PFN_vkVoidFunction)nvx_GetMemoryWin32HandleNV;
	if (!dev->nv_memory && dev->physdev && dev->physdev->native_nv_win32)
		return dev->next.GetDeviceProcAddr(device, name);
	return NULL;
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL nvx_GetDeviceProcAddr(
	VkDevice device, const char *pName)
{
	const struct nvx_device_entry *e;
	struct nvx_device *dev;

	if (!pName)
		return NULL;
	if (!strcmp(pName, "vkGetDeviceProcAddr"))
		return (PFN_vkVoidFunction)nvx_GetDeviceProcAddr;
	if (!device)
		return NULL;
	dev = nvx_device_from(device);
	if (!dev)
		return NULL;
	if (!strcmp(pName, "vkGetMemoryWin32HandleNV"))
		return nvx_win32_handle_command(dev, device, pName);
	if (nvx_hidden(dev->added, dev->nadded, pName))
		return NULL;
	for (e = nvx_device_commands;
	     e < nvx_device_commands + NVX_ARRAY_SIZE(nvx_device_commands); e++)
		if (!strcmp(e->name, pName) && (!e->hooked || e->hooked(dev)))
			return e->fn;
	return dev->next.GetDeviceProcAddr(device, pName);
}

/* Exported entry points --------------------------------------------------- */

/* The prototypes: layer.h defines VK_NO_PROTOTYPES. */
NVX_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vkGetInstanceProcAddr(VkInstance instance, const char *pName);
NVX_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vkGetDeviceProcAddr(VkDevice device, const char *pName);
NVX_EXPORT VKAPI_ATTR VkResult VKAPI_CALL
vkEnumerateInstanceExtensionProperties(const char *pLayerName,
				       uint32_t *pPropertyCount,
				       VkExtensionProperties *pProperties);
NVX_EXPORT VKAPI_ATTR VkResult VKAPI_CALL
vkEnumerateDeviceExtensionProperties(VkPhysicalDevice physicalDevice,
				     const char *pLayerName,
				     uint32_t *pPropertyCount,
				     VkExtensionProperties *pProperties);

NVX_EXPORT VKAPI_ATTR VkResult VKAPI_CALL
vkNegotiateLoaderLayerInterfaceVersion(VkNegotiateLayerInterface *pVersionStruct)
{
	if (!pVersionStruct ||
	    pVersionStruct->sType != LAYER_NEGOTIATE_INTERFACE_STRUCT)
		return VK_ERROR_INITIALIZATION_FAILED;
	/* Version 2 is all the layer needs: it has no physical device hooks. */
	if (pVersionStruct->loaderLayerInterfaceVersion > 2)
		pVersionStruct->loaderLayerInterfaceVersion = 2;
	if (pVersionStruct->loaderLayerInterfaceVersion >= 2) {
		pVersionStruct->pfnGetInstanceProcAddr = nvx_GetInstanceProcAddr;
		pVersionStruct->pfnGetDeviceProcAddr = nvx_GetDeviceProcAddr;
		pVersionStruct->pfnGetPhysicalDeviceProcAddr = NULL;
	}
	nvx_debug("loader interface version %u",
		  pVersionStruct->loaderLayerInterfaceVersion);
	return VK_SUCCESS;
}

/*
 * Loaders older than interface version 2 look these up by name.  Inside
 * the layer nothing calls them by these names.
 */
NVX_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vkGetInstanceProcAddr(VkInstance instance, const char *pName)
{
	return nvx_GetInstanceProcAddr(instance, pName);
}

NVX_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vkGetDeviceProcAddr(VkDevice device, const char *pName)
{
	return nvx_GetDeviceProcAddr(device, pName);
}

NVX_EXPORT VKAPI_ATTR VkResult VKAPI_CALL
vkEnumerateInstanceExtensionProperties(const char *pLayerName,
				       uint32_t *pPropertyCount,
				       VkExtensionProperties *pProperties)
{
	return nvx_EnumerateInstanceExtensionProperties(pLayerName,
							pPropertyCount,
							pProperties);
}

NVX_EXPORT VKAPI_ATTR VkResult VKAPI_CALL
vkEnumerateDeviceExtensionProperties(VkPhysicalDevice physicalDevice,
				     const char *pLayerName,
				     uint32_t *pPropertyCount,
				     VkExtensionProperties *pProperties)
{
	return nvx_EnumerateDeviceExtensionProperties(physicalDevice, pLayerName,
						      pPropertyCount,
						      pProperties);
}
