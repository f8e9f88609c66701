/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Choosing a backend for each physical device, and logging.
 *
 *   dma-buf    the driver exports and imports DMA_BUF handles
 *              (VK_EXT_external_memory_dma_buf + VK_KHR_external_memory_fd);
 *   prime      the driver imports host memory (VK_EXT_external_memory_host)
 *              and a DRM node makes dumb buffers to back it;
 *   opaque-fd  the driver has only VK_KHR_external_memory_fd: its opaque fds
 *              pass between processes using the same driver;
 *   none       no external memory at all: the NV handle types are reported
 *              unsupported.
 *
 * The automatic choice is the first possible of dma-buf, prime and
 * opaque-fd.  PRIMESHARE_LAYER_BACKEND=dma-buf|prime|opaque-fd|none|auto
 * overrides it; a backend that is not possible here gives none (and a
 * message), never another backend.  PRIMESHARE_LAYER_DEBUG=1 logs each
 * decision to stderr, one line "DEVICE: backend NAME (why)" per physical
 * device.
 *
 * The KMT handle types come on top of a backend whose memory is a dma-buf
 * (dma-buf, prime) when /dev/primeshare opens (kmt.c); opaque-fd fds are
 * the driver's own objects, not dma-bufs, so they never get them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer.h"

static pthread_once_t nvx_env_once = PTHREAD_ONCE_INIT;
static bool nvx_debug_on;

static void nvx_env_init(void)
{
	const char *v = getenv("PRIMESHARE_LAYER_DEBUG");

	nvx_debug_on = v && *v && strcmp(v, "0");
}

bool nvx_debug_enabled(void)
{
	pthread_once(&nvx_env_once, nvx_env_init);
	return nvx_debug_on;
}

void nvx_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "primeshare-layer: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	/* One write, so that lines of several threads do not mix. */
	fputs(line, stderr);
}

const char *nvx_backend_name(enum nvx_backend backend)
{
	switch (backend) {
	case NVX_BACKEND_DMABUF:
		return "dma-buf";
	case NVX_BACKEND_PRIME:
		return "prime";
	case NVX_BACKEND_OPAQUE_FD:
		return "opaque-fd";
	case NVX_BACKEND_NONE:
		break;
	}
	return "none";
}

bool nvx_has_extension(const VkExtensionProperties *props, uint32_t count,
		       const char *name)
{
	for (uint32_t i = 0; i < count; i++)
		if (!strcmp(props[i].extensionName, name))
			return true;
	return false;
}

static bool nvx_backend_possible(const struct nvx_physdev *pd,
				 enum nvx_backend b, const char **why)
{
	switch (b) {
	case NVX_BACKEND_DMABUF:
		*why = "VK_EXT_external_memory_dma_buf";
		return pd->has_dma_buf && pd->has_ext_memory_fd;
	case NVX_BACKEND_PRIME:
		if (!pd->has_host) {
			*why = "no VK_EXT_external_memory_host";
			return false;
		}
		if (!pd->drm_node[0]) {
			*why = "VK_EXT_external_memory_host, but no DRM node makes dumb buffers";
			return false;
		}
		*why = "VK_EXT_external_memory_host, dumb buffers";
		return true;
	case NVX_BACKEND_OPAQUE_FD:
		*why = "VK_KHR_external_memory_fd only";
		return pd->has_ext_memory_fd;
	case NVX_BACKEND_NONE:
		break;
	}
	*why = "no external memory";
	return true;
}

static enum nvx_backend nvx_backend_choose(const struct nvx_physdev *pd,
					   const char *name)
{
	static const enum nvx_backend order[] = {
		NVX_BACKEND_DMABUF, NVX_BACKEND_PRIME, NVX_BACKEND_OPAQUE_FD,
	};
	const char *env = getenv("PRIMESHARE_LAYER_BACKEND");
	const char *why;

	if (env && *env && strcmp(env, "auto")) {
		enum nvx_backend want = NVX_BACKEND_NONE;
		bool known = false;

		for (int b = NVX_BACKEND_NONE; b <= NVX_BACKEND_OPAQUE_FD; b++) {
			if (!strcmp(env, nvx_backend_name(b))) {
				want = b;
				known = true;
			}
		}
		if (known && !nvx_backend_possible(pd, want, &why)) {
			nvx_error("%s: backend %s requested by PRIMESHARE_LAYER_BACKEND is not possible here (%s); using none",
				  name, env, why);
			nvx_debug("%s: backend none (PRIMESHARE_LAYER_BACKEND=%s not possible)",
				  name, env);
			return NVX_BACKEND_NONE;
		}
		if (known) {
			nvx_debug("%s: backend %s (PRIMESHARE_LAYER_BACKEND)",
				  name, env);
			return want;
		}
		nvx_error("PRIMESHARE_LAYER_BACKEND=%s is not one of dma-buf, prime, opaque-fd, none, auto; choosing automatically",
			  env);
	}

	for (size_t i = 0; i < NVX_ARRAY_SIZE(order); i++) {
		if (nvx_backend_possible(pd, order[i], &why)) {
			nvx_debug("%s: backend %s (%s)", name,
				  nvx_backend_name(order[i]), why);
			return order[i];
		}
		nvx_debug("%s: not backend %s: %s", name,
			  nvx_backend_name(order[i]), why);
	}
	nvx_debug("%s: backend none (no external memory)", name);
	return NVX_BACKEND_NONE;
}

/* The UUIDs and the host pointer alignment, where the driver tells them. */
static void nvx_physdev_ids(struct nvx_instance *inst, struct nvx_physdev *pd)
{
	VkPhysicalDeviceExternalMemoryHostPropertiesEXT host = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT,
	};
	VkPhysicalDeviceIDProperties id = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES,
	};
	VkPhysicalDeviceProperties2 props = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
		.pNext = &id,
	};

	if (!inst->next.GetPhysicalDeviceProperties2)
		return;
	if (pd->has_host)
		id.pNext = &host;
	inst->next.GetPhysicalDeviceProperties2(pd->handle, &props);
	memcpy(pd->driver_uuid, id.driverUUID, VK_UUID_SIZE);
	memcpy(pd->device_uuid, id.deviceUUID, VK_UUID_SIZE);
	pd->has_uuids = true;
	pd->host_align = host.minImportedHostPointerAlignment;
}

/*
 * Whether the driver itself answers vkGetPhysicalDeviceExternalImageFormat-
 * PropertiesNV.  Where it does not, the loader answers in its place and
 * refuses every non-zero handle type; a driver with the extension accepts
 * OPAQUE_WIN32 for a plain RGBA8 image.  Asked only when the instance
 * extension could be passed down, so the call is valid for the layers
 * below.
 */
static bool nvx_driver_answers_nv(struct nvx_instance *inst, VkPhysicalDevice pd)
{
	VkExternalImageFormatPropertiesNV props;
	VkResult res;

	if (!inst->nv_caps_down ||
	    !inst->next.GetPhysicalDeviceExternalImageFormatPropertiesNV)
		return false;
	res = inst->next.GetPhysicalDeviceExternalImageFormatPropertiesNV(pd,
		VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_TYPE_2D,
		VK_IMAGE_TILING_OPTIMAL,
		VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT |
		VK_IMAGE_USAGE_TRANSFER_DST_BIT, 0,
		VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV, &props);
	return res == VK_SUCCESS;
}

/* The driver's device extensions, and what they make usable. */
static void nvx_physdev_extensions(struct nvx_instance *inst,
				   struct nvx_physdev *pd)
{
	VkExtensionProperties *props = NULL;
	uint32_t count = 0;
	VkResult res;

	res = inst->next.EnumerateDeviceExtensionProperties(pd->handle, NULL,
							    &count, NULL);
	if (res == VK_SUCCESS && count) {
		props = calloc(count, sizeof(*props));
		if (props)
			res = inst->next.EnumerateDeviceExtensionProperties(
				pd->handle, NULL, &count, props);
		if (!props || res < 0)
			count = 0;
	}

#define HAS(n) nvx_has_extension(props, count, n)
	/*
	 * The list cannot tell whether the driver has the NV device
	 * extensions: the loader adds those of implicit layers' manifests,
	 * this layer's included.  So they count as native only for a driver
	 * that answers the NV capability query itself.
	 */
	pd->native_nv = nvx_driver_answers_nv(inst, pd->handle);
	pd->native_nv_memory = pd->native_nv &&
			       HAS(VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME);
	pd->native_nv_win32 = pd->native_nv &&
			      HAS(VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME);
	/*
	 * The family is the driver's only whole: win32 handles need memory
	 * the layer made, and the capability answer must be about the memory
	 * that will be made.  A driver with VK_NV_external_memory but not
	 * _win32 gets none of it; the layer provides all three.
	 */
	if (pd->native_nv && !(pd->native_nv_memory && pd->native_nv_win32)) {
		nvx_debug("the driver answers the NV capability query, but VK_NV_external_memory is %s and VK_NV_external_memory_win32 %s: the layer provides the NV family itself",
			  pd->native_nv_memory ? "there" : "missing",
			  pd->native_nv_win32 ? "there" : "missing");
		pd->native_nv = false;
		pd->native_nv_memory = false;
		pd->native_nv_win32 = false;
	}
	pd->has_ext_memory = HAS(VK_KHR_EXTERNAL_MEMORY_EXTENSION_NAME) ||
			     pd->api_version >= VK_API_VERSION_1_1;
	pd->has_ext_memory_fd = HAS(VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
	pd->has_dma_buf = HAS(VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME);
	pd->has_host = HAS(VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
	pd->has_dedicated = HAS(VK_KHR_DEDICATED_ALLOCATION_EXTENSION_NAME) ||
			    pd->api_version >= VK_API_VERSION_1_1;
	pd->has_mem_req2 = HAS(VK_KHR_GET_MEMORY_REQUIREMENTS_2_EXTENSION_NAME) ||
			   pd->api_version >= VK_API_VERSION_1_1;
	pd->has_bind2 = HAS(VK_KHR_BIND_MEMORY_2_EXTENSION_NAME) ||
			pd->api_version >= VK_API_VERSION_1_1;
#undef HAS
	pd->exts = props;
	pd->ext_count = count;

	/* KHR external memory needs the instance half too. */
	if (!inst->khr_caps2) {
		pd->has_ext_memory = false;
		pd->has_ext_memory_fd = false;
		pd->has_dma_buf = false;
	}
	if (!pd->has_ext_memory) {
		pd->has_ext_memory_fd = false;
		pd->has_dma_buf = false;
		pd->has_host = false;
	}
}

/* The KHR handle type below, and the NV types offered, for the backend. */
static void nvx_physdev_types(struct nvx_physdev *pd)
{
	switch (pd->backend) {
	case NVX_BACKEND_DMABUF:
	case NVX_BACKEND_PRIME:
		pd->khr_type = pd->backend == NVX_BACKEND_DMABUF ?
			VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT :
			VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;
		pd->nv_types = NVX_NV_FD_TYPES | nvx_kmt_probe();
		break;
	case NVX_BACKEND_OPAQUE_FD:
		pd->khr_type = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
		pd->nv_types = NVX_NV_FD_TYPES;
		nvx_debug("KMT handle types: not on backend opaque-fd (its fds are not dma-bufs)");
		break;
	case NVX_BACKEND_NONE:
		pd->khr_type = 0;
		pd->nv_types = 0;
		break;
	}
}

static void nvx_physdev_fill(struct nvx_instance *inst, struct nvx_physdev *pd)
{
	VkPhysicalDeviceProperties dp;
	const char *env;

	inst->next.GetPhysicalDeviceProperties(pd->handle, &dp);
	/* The version the device is used at: the lower of the two. */
	pd->api_version = VK_MAKE_API_VERSION(0,
					      VK_API_VERSION_MAJOR(dp.apiVersion),
					      VK_API_VERSION_MINOR(dp.apiVersion), 0);
	if (inst->api_version < pd->api_version)
		pd->api_version = inst->api_version;

	nvx_physdev_extensions(inst, pd);
	nvx_physdev_ids(inst, pd);
	/* Host pointers must be aligned as the driver says: it must say. */
	if (pd->has_host && !pd->host_align)
		pd->has_host = false;
	/*
	 * A DRM node for prime only where prime may be chosen: looking opens
	 * a primary node, and makes a small dumb buffer there.
	 */
	env = getenv("PRIMESHARE_LAYER_BACKEND");
	if (pd->has_host &&
	    (!(pd->has_dma_buf && pd->has_ext_memory_fd) ||
	     (env && !strcmp(env, "prime"))) &&
	    nvx_prime_find_node(pd->drm_node, sizeof(pd->drm_node)) < 0)
		pd->drm_node[0] = 0;

	nvx_debug("%s: driver api %u.%u, external memory:%s%s%s%s%s",
		  dp.deviceName, VK_API_VERSION_MAJOR(pd->api_version),
		  VK_API_VERSION_MINOR(pd->api_version),
		  pd->has_ext_memory_fd ? " fd" : "",
		  pd->has_dma_buf ? " dma-buf" : "",
		  pd->has_host ? " host" : "",
		  pd->native_nv ? " NV(native)" : "",
		  pd->has_ext_memory ? "" : " (none usable)");

	pd->backend = nvx_backend_choose(pd, dp.deviceName);
	nvx_physdev_types(pd);
}

#define NVX_MAX_PHYSDEVS 64

/*
 * nvx_physdev_get() - what the layer knows of @pd, gathered on first use.
 * Returns NULL when out of memory or past NVX_MAX_PHYSDEVS devices.
 */
const struct nvx_physdev *nvx_physdev_get(struct nvx_instance *inst,
					  VkPhysicalDevice handle)
{
	struct nvx_physdev *pd = NULL, *grown;

	pthread_mutex_lock(&inst->lock);
	for (uint32_t i = 0; i < inst->physdev_count; i++) {
		if (inst->physdevs[i].handle == handle) {
			pd = &inst->physdevs[i];
			goto out;
		}
	}
	/* Entries never move once handed out: the array is sized once. */
	if (!inst->physdevs) {
		inst->physdevs = calloc(NVX_MAX_PHYSDEVS, sizeof(*inst->physdevs));
		if (!inst->physdevs)
			goto out;
	}
	if (inst->physdev_count >= NVX_MAX_PHYSDEVS)
		goto out;
	grown = &inst->physdevs[inst->physdev_count];
	grown->handle = handle;
	nvx_physdev_fill(inst, grown);
	inst->physdev_count++;
	pd = grown;
out:
	pthread_mutex_unlock(&inst->lock);
	return pd;
}

void nvx_physdevs_free(struct nvx_instance *inst)
{
	for (uint32_t i = 0; i < inst->physdev_count; i++)
		free(inst->physdevs[i].exts);
	free(inst->physdevs);
	inst->physdevs = NULL;
	inst->physdev_count = 0;
}
