/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Extension enumeration with and without the layer.
 *
 * Without it, none of the three NV extensions exists on lavapipe.  With it
 * (explicit, through VK_INSTANCE_LAYERS), the layer answers queries for its
 * own name with exactly its extensions (the device ones only on instances
 * that enabled VK_NV_external_memory_capabilities) and leaves every other
 * query to the driver (LLP_LAYER_16).  With LAYER_ENV_DIR set (by
 * layer-env.sh), the implicit manifest is tried too: the loader then lists
 * the instance extension for everybody, unless PRIMESHARE_LAYER_DISABLE=1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vkt.h"


static uint32_t driver_device_ext_count;

static void without_layer(void)
{
	static const char *const caps[] = {
		VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	};
	VkExtensionProperties *p;
	struct vkt t;
	uint32_t n;
	VkResult res;

	vkt_layers(false);
	p = vkt_extensions(VK_NULL_HANDLE, NULL, &n, &res);
	tap_ok(res == VK_SUCCESS &&
	       !vkt_has_ext(p, n, VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME),
	       "without the layer: no VK_NV_external_memory_capabilities (%u instance extensions)",
	       n);
	free(p);

	res = vkt_instance(&t, VK_API_VERSION_1_1, caps, 1);
	tap_ok(res == VK_ERROR_EXTENSION_NOT_PRESENT,
	       "without the layer: enabling it fails with VK_ERROR_EXTENSION_NOT_PRESENT (%d)",
	       res);
	if (res == VK_SUCCESS)
		vkt_destroy(&t);

	res = vkt_instance(&t, VK_API_VERSION_1_1, NULL, 0);
	if (res != VK_SUCCESS)
		tap_bail("no Vulkan instance without the layer: %d", res);
	p = vkt_extensions(t.pd, NULL, &n, &res);
	tap_ok(res == VK_SUCCESS &&
	       !vkt_has_ext(p, n, VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME) &&
	       !vkt_has_ext(p, n, VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME),
	       "without the layer: the driver has no NV external memory (%u device extensions)",
	       n);
	tap_diag("driver: VK_KHR_external_memory_fd %s, VK_EXT_external_memory_dma_buf %s, VK_EXT_external_memory_host %s",
		 vkt_has_ext(p, n, VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME) ? "yes" : "no",
		 vkt_has_ext(p, n, VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME) ? "yes" : "no",
		 vkt_has_ext(p, n, VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME) ? "yes" : "no");
	driver_device_ext_count = n;
	free(p);
	/* The loader answers for a layer it knows, enabled or not. */
	res = vkEnumerateDeviceExtensionProperties(t.pd, VKT_LAYER, &n, NULL);
	tap_ok(res == VK_SUCCESS && n == 4,
	       "without the layer enabled: a query for its name still lists its 4 device extensions from the manifest (%d, %u)",
	       res, n);
	vkt_destroy(&t);
}

static void with_layer(void)
{
	static const char *const caps[] = {
		VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	};
	VkExtensionProperties *p, one;
	struct vkt t;
	uint32_t n;
	VkResult res;

	vkt_layers(true);
	tap_ok(vkt_has_layer(VKT_LAYER), "the explicit manifest is found");

	p = vkt_extensions(VK_NULL_HANDLE, VKT_LAYER, &n, &res);
	tap_ok(res == VK_SUCCESS && n == 1 &&
	       !strcmp(p[0].extensionName,
		       VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME) &&
	       p[0].specVersion == VK_NV_EXTERNAL_MEMORY_CAPABILITIES_SPEC_VERSION,
	       "the layer's instance extensions: exactly VK_NV_external_memory_capabilities (%u)",
	       n);
	free(p);

	/* Without the capabilities extension the device ones cannot be enabled. */
	res = vkt_instance(&t, VK_API_VERSION_1_1, NULL, 0);
	if (res != VK_SUCCESS)
		tap_bail("no Vulkan instance with the layer: %d", res);
	p = vkt_extensions(t.pd, VKT_LAYER, &n, &res);
	tap_ok(res == VK_SUCCESS && n == 1 &&
	       vkt_has_ext(p, n, VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME),
	       "instance without VK_NV_external_memory_capabilities: the layer lists only VK_NV_dedicated_allocation, which needs nothing else (%u)",
	       n);
	free(p);
	vkt_destroy(&t);

	res = vkt_instance(&t, VK_API_VERSION_1_1, caps, 1);
	if (res != VK_SUCCESS)
		tap_bail("no Vulkan instance with the layer: %d", res);
	p = vkt_extensions(t.pd, VKT_LAYER, &n, &res);
	tap_ok(res == VK_SUCCESS && n == 4 &&
	       vkt_has_ext(p, n, VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME) &&
	       vkt_has_ext(p, n, VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME) &&
	       vkt_has_ext(p, n, VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME) &&
	       vkt_has_ext(p, n, VK_NV_WIN32_KEYED_MUTEX_EXTENSION_NAME),
	       "the layer's device extensions: VK_NV_external_memory, VK_NV_external_memory_win32, VK_NV_dedicated_allocation and VK_NV_win32_keyed_mutex (%u)",
	       n);
	free(p);

	n = 1;
	res = vkEnumerateDeviceExtensionProperties(t.pd, VKT_LAYER, &n, &one);
	tap_ok(res == VK_INCOMPLETE && n == 1,
	       "a short buffer for the layer's list gives VK_INCOMPLETE (%d, %u)",
	       res, n);

	/* LLP_LAYER_16: a query not naming the layer is the driver's. */
	p = vkt_extensions(t.pd, NULL, &n, &res);
	tap_ok(res == VK_SUCCESS &&
	       !vkt_has_ext(p, n, VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME) &&
	       !vkt_has_ext(p, n, VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME) &&
	       n == driver_device_ext_count,
	       "the list without a layer name is exactly the driver's, explicit layer or not (%u = %u) (LLP_LAYER_16)",
	       n, driver_device_ext_count);
	free(p);

	p = vkt_extensions(VK_NULL_HANDLE, NULL, &n, &res);
	tap_ok(res == VK_SUCCESS,
	       "the loader's own instance list (the layer explicit: %s)",
	       vkt_has_ext(p, n, VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME) ?
	       "listed" : "listed under the layer only");
	free(p);
	vkt_destroy(&t);
}

/*
 * The implicit manifest, in the private search path layer-env.sh made
 * (its layer_env_implicit, done here).
 */
static void implicit(void)
{
	static const char *const caps[] = {
		VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	};
	static const char *const nv_exts[] = {
		VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
		VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
	};
	const char *env_dir = getenv("LAYER_ENV_DIR");
	char *saved[3];
	char dir[600];
	VkExtensionProperties *p;
	struct vkt t;
	uint32_t n;
	VkResult res;
	bool ok;

	if (!env_dir || !*env_dir) {
		tap_skip("LAYER_ENV_DIR not set (run through enumerate.test)",
			 "implicit layer");
		return;
	}
	saved[0] = getenv("XDG_CONFIG_HOME");
	saved[1] = getenv("VK_IMPLICIT_LAYER_PATH");
	saved[2] = getenv("VK_LOADER_LAYERS_DISABLE");
	for (int i = 0; i < 3; i++)
		saved[i] = saved[i] ? strdup(saved[i]) : NULL;
	snprintf(dir, sizeof(dir), "%s/implicit", env_dir);
	setenv("XDG_CONFIG_HOME", dir, 1);
	snprintf(dir, sizeof(dir), "%s/implicit/vulkan/implicit_layer.d",
		 env_dir);
	setenv("VK_IMPLICIT_LAYER_PATH", dir, 1);
	unsetenv("VK_LOADER_LAYERS_DISABLE");

	vkt_layers(false);
	p = vkt_extensions(VK_NULL_HANDLE, NULL, &n, &res);
	tap_ok(res == VK_SUCCESS &&
	       vkt_has_ext(p, n, VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME),
	       "implicit: the loader lists VK_NV_external_memory_capabilities");
	free(p);
	res = vkt_instance(&t, VK_API_VERSION_1_1, NULL, 0);
	tap_ok(res == VK_SUCCESS, "implicit: an instance (%d)", res);
	if (res == VK_SUCCESS) {
		p = vkt_extensions(t.pd, NULL, &n, &res);
		tap_ok(res == VK_SUCCESS &&
		       vkt_has_ext(p, n, VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME) &&
		       vkt_has_ext(p, n, VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME),
		       "implicit: the loader lists both NV device extensions, from the manifest, on any instance");
		free(p);
		vkt_destroy(&t);
	}

	/* Implicit, the layer does the work, not just the listing. */
	res = vkt_instance(&t, VK_API_VERSION_1_1, caps, 1);
	tap_ok(res == VK_SUCCESS,
	       "implicit: an instance with VK_NV_external_memory_capabilities (%d)",
	       res);
	if (res == VK_SUCCESS) {
		PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV get;
		VkExternalImageFormatPropertiesNV nv = { 0 };

		get = (PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV)
			vkGetInstanceProcAddr(t.instance,
				"vkGetPhysicalDeviceExternalImageFormatPropertiesNV");
		res = get ? get(t.pd, VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_TYPE_2D,
				VK_IMAGE_TILING_OPTIMAL,
				VK_IMAGE_USAGE_TRANSFER_SRC_BIT, 0,
				VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
				&nv) : VK_ERROR_EXTENSION_NOT_PRESENT;
		tap_ok(res == VK_SUCCESS && (nv.externalMemoryFeatures &
			VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT_NV),
		       "implicit: the layer answers the NV capability query itself (%d, features 0x%x)",
		       res, nv.externalMemoryFeatures);
		res = vkt_device(&t, nv_exts, 2);
		tap_ok(res == VK_SUCCESS &&
		       vkGetDeviceProcAddr(t.device, "vkGetMemoryWin32HandleNV"),
		       "implicit: a device with both NV extensions and vkGetMemoryWin32HandleNV (%d)",
		       res);
		vkt_destroy(&t);
	}

	setenv("PRIMESHARE_LAYER_DISABLE", "1", 1);
	p = vkt_extensions(VK_NULL_HANDLE, NULL, &n, &res);
	ok = res == VK_SUCCESS &&
	     !vkt_has_ext(p, n, VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME);
	free(p);
	res = vkt_instance(&t, VK_API_VERSION_1_1, NULL, 0);
	if (res == VK_SUCCESS) {
		p = vkt_extensions(t.pd, NULL, &n, &res);
		ok = ok && !vkt_has_ext(p, n, VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME);
		free(p);
		vkt_destroy(&t);
	}
	tap_ok(ok, "implicit: PRIMESHARE_LAYER_DISABLE=1 turns it off");
	unsetenv("PRIMESHARE_LAYER_DISABLE");

	/* Back to layer-env.sh's isolation. */
	setenv("XDG_CONFIG_HOME", saved[0] ? saved[0] : "", 1);
	setenv("VK_IMPLICIT_LAYER_PATH", saved[1] ? saved[1] : "", 1);
	if (saved[2])
		setenv("VK_LOADER_LAYERS_DISABLE", saved[2], 1);
	for (int i = 0; i < 3; i++)
		free(saved[i]);
}

int main(void)
{
	without_layer();
	with_layer();
	implicit();
	vkt_check_validation("enumeration");
	return tap_done();
}
