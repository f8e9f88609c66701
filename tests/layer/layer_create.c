/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Instances and devices with the NV extensions enabled, and the NV command
 * pointers: NULL until their extension is enabled, valid after.  The KHR
 * extensions the layer enables below for its own use give the application
 * no commands (LLP_LAYER_18): their commands stay NULL unless the
 * application enabled those extensions itself.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vkt.h"

static const char *const nv_caps[] = {
	VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
};
static const char *const nv_memory[] = {
	VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
};
static const char *const nv_both[] = {
	VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
	VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
};
static const char *const nv_win32_only[] = {
	VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
};

static const char *const nv_memory_fd[] = {
	VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
	VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME,
};

/* Commands of the extensions the layer may enable below for itself. */
static const char *const layer_only_device_commands[] = {
	"vkGetMemoryFdKHR",
	"vkGetMemoryFdPropertiesKHR",
	"vkGetMemoryHostPointerPropertiesEXT",
	"vkGetImageMemoryRequirements2KHR",
	"vkGetBufferMemoryRequirements2KHR",
	"vkGetImageSparseMemoryRequirements2KHR",
};
static const char *const layer_only_instance_commands[] = {
	"vkGetPhysicalDeviceProperties2KHR",
	"vkGetPhysicalDeviceFeatures2KHR",
	"vkGetPhysicalDeviceImageFormatProperties2KHR",
	"vkGetPhysicalDeviceMemoryProperties2KHR",
	"vkGetPhysicalDeviceExternalBufferPropertiesKHR",
};

static const char *api_name(uint32_t api)
{
	static char buf[16];

	snprintf(buf, sizeof(buf), "%u.%u", VK_API_VERSION_MAJOR(api),
		 VK_API_VERSION_MINOR(api));
	return buf;
}

/*
 * On a 1.0 instance the layer enables the KHR capability extensions below.
 * The loader hands out its own trampolines for them once they reach its
 * terminator, whatever the layers answer, so the layer's own
 * vkGetInstanceProcAddr is asked, as a layer above it would.
 */
static void hidden_instance_commands(struct vkt *t, const char *api)
{
	char path[4096];
	PFN_vkGetInstanceProcAddr gipa;
	const char *dir = getenv("LAYER_BUILDDIR");
	void *so;

	snprintf(path, sizeof(path), "%s/.libs/libVkLayer_primeshare.so",
		 dir ? dir : "lib/layer");
	so = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	gipa = so ? (PFN_vkGetInstanceProcAddr)dlsym(so, "vkGetInstanceProcAddr") :
		    NULL;
	tap_ok(gipa != NULL, "api %s: the layer's vkGetInstanceProcAddr (%s)",
	       api, path);
	for (size_t i = 0; gipa && i < TU_ARRAY_SIZE(layer_only_instance_commands); i++) {
		const char *name = layer_only_instance_commands[i];

		tap_ok(!gipa(t->instance, name),
		       "api %s: the layer's %s is NULL: the application did not enable its extension (LLP_LAYER_18)",
		       api, name);
	}
	if (so)
		dlclose(so);
}

/* On a device where the application enabled VK_NV_external_memory only. */
static void hidden_commands(struct vkt *d, const char *api)
{
	for (size_t i = 0; i < TU_ARRAY_SIZE(layer_only_device_commands); i++) {
		const char *name = layer_only_device_commands[i];

		tap_ok(!vkGetDeviceProcAddr(d->device, name),
		       "api %s: %s is NULL: the application did not enable its extension (LLP_LAYER_18)",
		       api, name);
	}
}

static void device_pointers(struct vkt *t, const char *api)
{
	struct vkt d;
	VkResult res;

	/* A device without the NV extensions. */
	d = *t;
	res = vkt_device(&d, NULL, 0);
	tap_ok(res == VK_SUCCESS, "api %s: device without NV extensions (%d)",
	       api, res);
	if (res == VK_SUCCESS) {
		tap_ok(!vkGetDeviceProcAddr(d.device, "vkGetMemoryWin32HandleNV"),
		       "api %s: vkGetMemoryWin32HandleNV is NULL on that device",
		       api);
		tap_ok(vkGetDeviceProcAddr(d.device, "vkAllocateMemory") != NULL,
		       "api %s: vkAllocateMemory is there", api);
		vkDestroyCommandPool(d.device, d.pool, NULL);
		vkDestroyDevice(d.device, NULL);
	}

	/* VK_NV_external_memory alone. */
	d = *t;
	res = vkt_device(&d, nv_memory, 1);
	tap_ok(res == VK_SUCCESS, "api %s: device with VK_NV_external_memory (%d)",
	       api, res);
	if (res == VK_SUCCESS) {
		tap_ok(!vkGetDeviceProcAddr(d.device, "vkGetMemoryWin32HandleNV"),
		       "api %s: vkGetMemoryWin32HandleNV still NULL without the win32 extension",
		       api);
		vkDestroyCommandPool(d.device, d.pool, NULL);
		vkDestroyDevice(d.device, NULL);
	}

	/* The layer's own KHR extensions below stay hidden (LLP_LAYER_18). */
	d = *t;
	res = vkt_device(&d, nv_memory, 1);
	if (res == VK_SUCCESS) {
		hidden_commands(&d, api);
		vkDestroyCommandPool(d.device, d.pool, NULL);
		vkDestroyDevice(d.device, NULL);
	}
	d = *t;
	res = vkt_device(&d, nv_memory_fd, 2);
	tap_ok(res == VK_SUCCESS,
	       "api %s: device with VK_NV_external_memory and VK_KHR_external_memory_fd (%d)",
	       api, res);
	if (res == VK_SUCCESS) {
		tap_ok(vkGetDeviceProcAddr(d.device, "vkGetMemoryFdKHR") &&
		       vkGetDeviceProcAddr(d.device, "vkGetMemoryFdPropertiesKHR"),
		       "api %s: vkGetMemoryFdKHR and vkGetMemoryFdPropertiesKHR are there when the application enables VK_KHR_external_memory_fd",
		       api);
		vkDestroyCommandPool(d.device, d.pool, NULL);
		vkDestroyDevice(d.device, NULL);
	}

	/* Both. */
	d = *t;
	res = vkt_device(&d, nv_both, 2);
	tap_ok(res == VK_SUCCESS,
	       "api %s: device with VK_NV_external_memory and VK_NV_external_memory_win32 (%d)",
	       api, res);
	if (res == VK_SUCCESS) {
		tap_ok(vkGetDeviceProcAddr(d.device, "vkGetMemoryWin32HandleNV") != NULL,
		       "api %s: vkGetMemoryWin32HandleNV is there once enabled",
		       api);
		vkDestroyCommandPool(d.device, d.pool, NULL);
		vkDestroyDevice(d.device, NULL);
	}

	/* The win32 extension without the one it depends on. */
	d = *t;
	res = vkt_device(&d, nv_win32_only, 1);
	tap_ok(res != VK_SUCCESS,
	       "api %s: VK_NV_external_memory_win32 alone is refused (%d)",
	       api, res);
	if (res == VK_SUCCESS)
		vkDestroyDevice(d.device, NULL);
}

static void with_api(uint32_t api_version)
{
	const char *api = api_name(api_version);
	struct vkt t;
	VkResult res;

	/* An instance without VK_NV_external_memory_capabilities. */
	res = vkt_instance(&t, api_version, NULL, 0);
	tap_ok(res == VK_SUCCESS, "api %s: instance without NV extensions (%d)",
	       api, res);
	if (res == VK_SUCCESS) {
		tap_ok(!vkGetInstanceProcAddr(t.instance,
			"vkGetPhysicalDeviceExternalImageFormatPropertiesNV"),
		       "api %s: vkGetPhysicalDeviceExternalImageFormatPropertiesNV is NULL",
		       api);
		res = vkt_device(&t, nv_memory, 1);
		tap_ok(res != VK_SUCCESS,
		       "api %s: VK_NV_external_memory refused without the capabilities extension (%d)",
		       api, res);
		if (res == VK_SUCCESS)
			vkDestroyDevice(t.device, NULL);
		t.device = VK_NULL_HANDLE;
		vkt_destroy(&t);
	}

	res = vkt_instance(&t, api_version, nv_caps, 1);
	tap_ok(res == VK_SUCCESS,
	       "api %s: instance with VK_NV_external_memory_capabilities (%d)",
	       api, res);
	if (res != VK_SUCCESS)
		return;
	tap_ok(vkGetInstanceProcAddr(t.instance,
		"vkGetPhysicalDeviceExternalImageFormatPropertiesNV") != NULL,
	       "api %s: vkGetPhysicalDeviceExternalImageFormatPropertiesNV is there",
	       api);
	if (api_version == VK_API_VERSION_1_0)
		hidden_instance_commands(&t, api);
	if (api_version == VK_API_VERSION_1_1)
		vkt_validation_selftest(&t);
	device_pointers(&t, api);
	vkt_destroy(&t);
}

int main(void)
{
	vkt_layers(true);
	with_api(VK_API_VERSION_1_0);
	with_api(VK_API_VERSION_1_1);
	with_api(VK_API_VERSION_1_3);
	vkt_check_validation("instance and device creation");
	return tap_done();
}
