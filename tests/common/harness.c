// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * The layer tests' harness over vkt.c: instances with a debug messenger
 * that counts what the validation layer reports, the layer selection of
 * VK_INSTANCE_LAYERS, and what the tests expect of the environment; see
 * vkt.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "vkt.h"

unsigned int vkt_validation_errors;
unsigned int vkt_validation_warnings;
static bool vkt_validation_on;
static bool vkt_quiet;	/* a provoked error: not shown */

bool vkt_validation_active(void)
{
	return vkt_validation_on;
}

/*
 * What the probes of vkt_instance() found: instances made with the
 * validation layer asked for, those where it answered, and of those with
 * the layer and VK_NV_external_memory_capabilities, where it sat below the
 * layer or above it.
 */
static unsigned int vkt_probed, vkt_live, vkt_below, vkt_above;
static bool vkt_want_above;	/* vkt_validation_above() */
static char vkt_last_id[256];

void vkt_validation_above(bool above)
{
	vkt_want_above = above;
}

void vkt_check_validation(const char *what)
{
	if (!vkt_validation_on) {
		tap_skip("VK_LAYER_KHRONOS_validation not installed",
			 "%s: no validation errors", what);
		return;
	}
	tap_ok(vkt_probed && vkt_live == vkt_probed,
	       "%s: the validation layer really ran on every instance (it reported a provoked error on %u of %u)",
	       what, vkt_live, vkt_probed);
	if ((vkt_below || vkt_above) && !vkt_want_above)
		tap_ok(!vkt_above,
		       "%s: the validation layer sat below primeshare's, as VK_INSTANCE_LAYERS asks (below on %u, above on %u instances)",
		       what, vkt_below, vkt_above);
	else if (vkt_below || vkt_above)
		tap_ok(!vkt_below,
		       "%s: the validation layer sat above primeshare's, as asked (above on %u, below on %u instances)",
		       what, vkt_above, vkt_below);
	tap_ok(vkt_validation_errors == 0 && vkt_validation_warnings == 0,
	       "%s: no validation errors or warnings (%u errors, %u warnings)",
	       what, vkt_validation_errors, vkt_validation_warnings);
}

/*
 * Whether validation runs on @t, and where.  An image format query with
 * usage 0 is invalid: the validation layer must report it.  The same
 * query through vkGetPhysicalDeviceExternalImageFormatPropertiesNV is
 * answered by primeshare's layer, which asks the driver with
 * vkGetPhysicalDeviceImageFormatProperties2: a validation layer below it
 * reports that command's VUID, one above it the NV command's.  The
 * provoked errors are not counted.
 */
static void vkt_probe(struct vkt *t, bool nv_caps)
{
	unsigned int errors = vkt_validation_errors;
	const char *layers = getenv("VK_INSTANCE_LAYERS");
	VkExternalImageFormatPropertiesNV np;
	VkImageFormatProperties p;

	if (!vkt_validation_on || !layers ||
	    !strstr(layers, "VK_LAYER_KHRONOS_validation"))
		return;
	vkt_probed++;
	vkt_quiet = true;
	vkGetPhysicalDeviceImageFormatProperties(t->pd, VK_FORMAT_R8G8B8A8_UNORM,
						 VK_IMAGE_TYPE_2D,
						 VK_IMAGE_TILING_OPTIMAL, 0, 0, &p);
	if (vkt_validation_errors > errors)
		vkt_live++;
	if (nv_caps && strstr(layers, VKT_LAYER)) {
		vkt_last_id[0] = 0;
		vkt_nv_caps(t, 0, VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
			    &np);
		if (strstr(vkt_last_id, "ExternalImageFormatPropertiesNV"))
			vkt_above++;
		else if (strstr(vkt_last_id, "ImageFormatInfo2") ||
			 strstr(vkt_last_id, "ImageFormatProperties2"))
			vkt_below++;
	}
	vkt_quiet = false;
	vkt_validation_errors = errors;
}

void vkt_validation_selftest(struct vkt *t)
{
	unsigned int before = vkt_validation_errors;
	VkImageFormatProperties p;

	if (!vkt_validation_on) {
		tap_skip("VK_LAYER_KHRONOS_validation not installed",
			 "the validation layer reports errors");
		return;
	}
	tap_diag("an invalid query on purpose (usage 0):");
	vkGetPhysicalDeviceImageFormatProperties(t->pd, VK_FORMAT_R8G8B8A8_UNORM,
						 VK_IMAGE_TYPE_2D,
						 VK_IMAGE_TILING_OPTIMAL, 0, 0, &p);
	tap_ok(vkt_validation_errors > before,
	       "the validation layer is active and reports errors");
	vkt_validation_errors = before;
}

static bool vkt_have_validation(void)
{
	return !getenv("VKT_NO_VALIDATION") &&
	       vkt_has_layer("VK_LAYER_KHRONOS_validation");
}

void vkt_layers_with(bool with_layer, const char *below)
{
	char value[256];

	unsetenv("VK_INSTANCE_LAYERS");
	vkt_validation_on = vkt_have_validation();
	snprintf(value, sizeof(value), "%s%s%s%s%s",
		 with_layer ? VKT_LAYER ":" : "",
		 below ? below : "", below ? ":" : "",
		 vkt_validation_on ? "VK_LAYER_KHRONOS_validation" : "", "");
	/* No trailing separator. */
	if (*value && value[strlen(value) - 1] == ':')
		value[strlen(value) - 1] = 0;
	if (*value)
		setenv("VK_INSTANCE_LAYERS", value, 1);
}

void vkt_layers(bool with_layer)
{
	vkt_layers_with(with_layer, NULL);
}

void vkt_layers_unchecked(void)
{
	setenv("VK_INSTANCE_LAYERS", VKT_LAYER, 1);
}

static VKAPI_ATTR VkBool32 VKAPI_CALL vkt_message(
	VkDebugUtilsMessageSeverityFlagBitsEXT severity,
	VkDebugUtilsMessageTypeFlagsEXT types,
	const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
	(void)types, (void)user;
	/* The loader reports through the messenger too: a refused create. */
	if (data->pMessageIdName &&
	    !strcmp(data->pMessageIdName, "Loader Message")) {
		if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT)
			tap_diag("loader: %s", data->pMessage);
		return VK_FALSE;
	}
	if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
		vkt_validation_errors++;
		snprintf(vkt_last_id, sizeof(vkt_last_id), "%s",
			 data->pMessageIdName ? data->pMessageIdName : "");
		if (!vkt_quiet)
			tap_diag("validation error: %s", data->pMessage);
	} else if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
		vkt_validation_warnings++;
		tap_diag("validation warning: %s", data->pMessage);
	}
	return VK_FALSE;
}

VkResult vkt_instance(struct vkt *t, uint32_t api_version,
		      const char *const *exts, uint32_t n)
{
	VkDebugUtilsMessengerCreateInfoEXT mci = {
		.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
		.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT |
				   VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT,
		.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
			       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
			       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
		.pfnUserCallback = vkt_message,
	};
	VkApplicationInfo app = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = "primeshare layer test",
		.apiVersion = api_version,
	};
	VkInstanceCreateInfo ci = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pNext = &mci,
		.pApplicationInfo = &app,
	};
	PFN_vkCreateDebugUtilsMessengerEXT create_messenger;
	const char *names[16];
	uint32_t count = 1;
	bool nv_caps = false;
	VkResult res;

	memset(t, 0, sizeof(*t));
	if (n > TU_ARRAY_SIZE(names) - 1)
		return VK_ERROR_TOO_MANY_OBJECTS;
	names[0] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
	for (uint32_t i = 0; i < n; i++)
		names[count++] = exts[i];
	ci.enabledExtensionCount = count;
	ci.ppEnabledExtensionNames = names;
	res = vkCreateInstance(&ci, NULL, &t->instance);
	if (res != VK_SUCCESS)
		return res;

	create_messenger = (PFN_vkCreateDebugUtilsMessengerEXT)
		vkGetInstanceProcAddr(t->instance, "vkCreateDebugUtilsMessengerEXT");
	if (create_messenger)
		create_messenger(t->instance, &mci, NULL, &t->messenger);

	count = 1;
	res = vkEnumeratePhysicalDevices(t->instance, &count, &t->pd);
	if (res < 0 || !count) {
		vkt_destroy(t);
		return res < 0 ? res : VK_ERROR_INITIALIZATION_FAILED;
	}
	for (uint32_t i = 0; i < n; i++)
		nv_caps = nv_caps ||
			  !strcmp(exts[i], VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME);
	vkt_probe(t, nv_caps);
	return VK_SUCCESS;
}

VkResult vkt_nv_open(struct vkt *t, uint32_t api_version,
		     const char *const *exts, uint32_t n)
{
	static const char *const caps[] = {
		VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	};
	VkResult res = vkt_instance(t, api_version, caps, 1);

	if (res == VK_SUCCESS) {
		res = vkt_device(t, exts, n);
		if (res != VK_SUCCESS) {
			t->device = VK_NULL_HANDLE;
			vkt_destroy(t);
		}
	}
	return res;
}

/* The number after @key in file @path, or -1. */
static long vkt_read_number(const char *path, const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, key);

		if (p) {
			v = strtol(p + strlen(key), NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

long vkt_primeshare_handles(void)
{
	return vkt_read_number("/sys/kernel/debug/primeshare/stats", "handles:");
}

long vkt_dmabuf_count(void)
{
	/* "Total N objects, B bytes"; "Total N devices attached" is not it. */
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	char line[256];
	long v = -1, n;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Total %ld objects", &n) == 1 &&
		    strstr(line, " objects"))
			v = n;
	fclose(f);
	return v;
}

const char *vkt_fd_kind(int fd, char *buf, size_t size)
{
	char path[64], line[256];
	FILE *f;

	snprintf(buf, size, "%s", "");
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return buf;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "exp_name:", 9)) {
			char *v = line + 9;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = 0;
			snprintf(buf, size, "%s", v);
			break;
		}
	}
	fclose(f);
	return buf;
}

const char *vkt_expected_backend(void)
{
	const char *b = getenv("LAYER_EXPECT_BACKEND");

	return b && *b ? b : "opaque-fd";
}

bool vkt_expect_kmt(void)
{
	const char *k = getenv("LAYER_EXPECT_KMT");

	return k && !strcmp(k, "1");
}

/* In the child: an instance whose first NV query makes the layer decide. */
static void vkt_backend_child(void *arg)
{
	static const char *const caps[] = {
		VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	};
	VkExternalImageFormatPropertiesNV nv;
	struct vkt t;

	(void)arg;
	setenv("PRIMESHARE_LAYER_DEBUG", "1", 1);
	/* Only the layer's log is wanted: spare the validation layer's start. */
	vkt_layers_unchecked();
	if (vkt_instance(&t, VK_API_VERSION_1_1, caps, 1) != VK_SUCCESS)
		_exit(2);
	vkt_nv_caps(&t, VK_IMAGE_USAGE_TRANSFER_SRC_BIT, 0, &nv);
	vkt_destroy(&t);
}

void vkt_check_backend(void)
{
	char log[65536], backend[32] = "?", *p;
	const char *want = vkt_expected_backend();
	bool kmt = false;
	int status;

	if (tu_capture_stderr(vkt_backend_child, NULL, log, sizeof(log),
			      &status) < 0)
		tap_bail("running a child process");

	/* "DEVICE: backend NAME (why)" and "KMT handle types: 0xN (...)". */
	p = strstr(log, ": backend ");
	if (p)
		sscanf(p + strlen(": backend "), "%31s", backend);
	p = strstr(log, "KMT handle types: 0x");
	if (p)
		kmt = strtoul(p + strlen("KMT handle types: "), NULL, 16) != 0;
	tap_ok(WIFEXITED(status) && !WEXITSTATUS(status) &&
	       !strcmp(backend, want),
	       "the layer chose backend %s (expected %s)", backend, want);
	tap_ok(kmt == vkt_expect_kmt(),
	       "KMT handle types %s (expected %s)",
	       kmt ? "offered" : "not offered",
	       vkt_expect_kmt() ? "offered" : "not offered");
}
