/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Helpers of the layer tests; see vkt.h.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vkt.h"

static unsigned int vkt_n, vkt_failed;
unsigned int vkt_validation_errors;
unsigned int vkt_validation_warnings;
static bool vkt_validation_on;
static bool vkt_quiet;	/* a provoked error: not shown */

static void vkt_vline(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stdout);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

void vkt_ok(bool cond, const char *fmt, ...)
{
	char prefix[32];
	va_list ap;

	vkt_n++;
	if (!cond)
		vkt_failed++;
	snprintf(prefix, sizeof(prefix), "%sok %u - ", cond ? "" : "not ",
		 vkt_n);
	va_start(ap, fmt);
	vkt_vline(prefix, fmt, ap);
	va_end(ap);
}

void vkt_skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	vkt_n++;
	printf("ok %u - ", vkt_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
}

void vkt_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vkt_vline("# ", fmt, ap);
	va_end(ap);
}

void vkt_bail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vkt_vline("Bail out! ", fmt, ap);
	va_end(ap);
	exit(1);
}

int vkt_done(void)
{
	printf("1..%u\n", vkt_n);
	fflush(stdout);
	return vkt_failed ? 1 : 0;
}

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
		vkt_skip("VK_LAYER_KHRONOS_validation not installed",
			 "%s: no validation errors", what);
		return;
	}
	vkt_ok(vkt_probed && vkt_live == vkt_probed,
	       "%s: the validation layer really ran on every instance (it reported a provoked error on %u of %u)",
	       what, vkt_live, vkt_probed);
	if ((vkt_below || vkt_above) && !vkt_want_above)
		vkt_ok(!vkt_above,
		       "%s: the validation layer sat below primeshare's, as VK_INSTANCE_LAYERS asks (below on %u, above on %u instances)",
		       what, vkt_below, vkt_above);
	else if (vkt_below || vkt_above)
		vkt_ok(!vkt_below,
		       "%s: the validation layer sat above primeshare's, as asked (above on %u, below on %u instances)",
		       what, vkt_above, vkt_below);
	vkt_ok(vkt_validation_errors == 0 && vkt_validation_warnings == 0,
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
	PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV nv;
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
	nv = (PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV)
		vkGetInstanceProcAddr(t->instance,
			"vkGetPhysicalDeviceExternalImageFormatPropertiesNV");
	if (nv_caps && nv && strstr(layers, VKT_LAYER)) {
		vkt_last_id[0] = 0;
		nv(t->pd, VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_TYPE_2D,
		   VK_IMAGE_TILING_OPTIMAL, 0, 0,
		   VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV, &np);
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
		vkt_skip("VK_LAYER_KHRONOS_validation not installed",
			 "the validation layer reports errors");
		return;
	}
	vkt_diag("an invalid query on purpose (usage 0):");
	vkGetPhysicalDeviceImageFormatProperties(t->pd, VK_FORMAT_R8G8B8A8_UNORM,
						 VK_IMAGE_TYPE_2D,
						 VK_IMAGE_TILING_OPTIMAL, 0, 0, &p);
	vkt_ok(vkt_validation_errors > before,
	       "the validation layer is active and reports errors");
	vkt_validation_errors = before;
}

static bool vkt_have_validation(void)
{
	VkLayerProperties *props;
	uint32_t n = 0;
	bool found = false;

	if (getenv("VKT_NO_VALIDATION"))
		return false;
	if (vkEnumerateInstanceLayerProperties(&n, NULL) != VK_SUCCESS)
		return false;
	props = calloc(n ? n : 1, sizeof(*props));
	if (props && vkEnumerateInstanceLayerProperties(&n, props) >= 0)
		for (uint32_t i = 0; i < n; i++)
			if (!strcmp(props[i].layerName,
				    "VK_LAYER_KHRONOS_validation"))
				found = true;
	free(props);
	return found;
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
			vkt_diag("loader: %s", data->pMessage);
		return VK_FALSE;
	}
	if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
		vkt_validation_errors++;
		snprintf(vkt_last_id, sizeof(vkt_last_id), "%s",
			 data->pMessageIdName ? data->pMessageIdName : "");
		if (!vkt_quiet)
			vkt_diag("validation error: %s", data->pMessage);
	} else if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
		vkt_validation_warnings++;
		vkt_diag("validation warning: %s", data->pMessage);
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
	if (n > VKT_ARRAY_SIZE(names) - 1)
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

VkResult vkt_device(struct vkt *t, const char *const *exts, uint32_t n)
{
	float priority = 1.0f;
	VkQueueFamilyProperties qfp[8];
	uint32_t nq = VKT_ARRAY_SIZE(qfp);
	VkDeviceQueueCreateInfo qci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
		.queueCount = 1,
		.pQueuePriorities = &priority,
	};
	VkDeviceCreateInfo ci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
		.queueCreateInfoCount = 1,
		.pQueueCreateInfos = &qci,
		.enabledExtensionCount = n,
		.ppEnabledExtensionNames = exts,
	};
	VkCommandPoolCreateInfo pci = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
		.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
	};
	VkResult res;

	vkGetPhysicalDeviceQueueFamilyProperties(t->pd, &nq, qfp);
	for (uint32_t i = 0; i < nq; i++) {
		if (qfp[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) {
			t->queue_family = i;
			break;
		}
	}
	qci.queueFamilyIndex = t->queue_family;
	res = vkCreateDevice(t->pd, &ci, NULL, &t->device);
	if (res != VK_SUCCESS)
		return res;
	vkGetDeviceQueue(t->device, t->queue_family, 0, &t->queue);
	pci.queueFamilyIndex = t->queue_family;
	return vkCreateCommandPool(t->device, &pci, NULL, &t->pool);
}

void vkt_destroy(struct vkt *t)
{
	PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger;

	if (t->device) {
		vkDeviceWaitIdle(t->device);
		if (t->pool)
			vkDestroyCommandPool(t->device, t->pool, NULL);
		vkDestroyDevice(t->device, NULL);
	}
	if (t->instance) {
		destroy_messenger = (PFN_vkDestroyDebugUtilsMessengerEXT)
			vkGetInstanceProcAddr(t->instance,
					      "vkDestroyDebugUtilsMessengerEXT");
		if (destroy_messenger && t->messenger)
			destroy_messenger(t->instance, t->messenger, NULL);
		vkDestroyInstance(t->instance, NULL);
	}
	memset(t, 0, sizeof(*t));
}

bool vkt_has_ext(const VkExtensionProperties *p, uint32_t n, const char *name)
{
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(p[i].extensionName, name))
			return true;
	return false;
}

uint32_t vkt_memory_type(struct vkt *t, uint32_t bits,
			 VkMemoryPropertyFlags want)
{
	VkPhysicalDeviceMemoryProperties mp;

	vkGetPhysicalDeviceMemoryProperties(t->pd, &mp);
	for (uint32_t i = 0; i < mp.memoryTypeCount; i++)
		if ((bits & (1u << i)) &&
		    (mp.memoryTypes[i].propertyFlags & want) == want)
			return i;
	return UINT32_MAX;
}

VkImageCreateInfo vkt_image_info(uint32_t width, uint32_t height,
				 VkImageTiling tiling, const void *next)
{
	VkImageCreateInfo ici = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
		.pNext = next,
		.imageType = VK_IMAGE_TYPE_2D,
		.format = VK_FORMAT_R8G8B8A8_UNORM,
		.extent = { width, height, 1 },
		.mipLevels = 1,
		.arrayLayers = 1,
		.samples = VK_SAMPLE_COUNT_1_BIT,
		.tiling = tiling,
		.usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT |
			 VK_IMAGE_USAGE_TRANSFER_DST_BIT,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
		.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
	};

	return ici;
}

VkImage vkt_nv_image(struct vkt *t, VkExternalMemoryHandleTypeFlagsNV types,
		     uint32_t width, uint32_t height, VkImageUsageFlags usage)
{
	VkExternalMemoryImageCreateInfoNV ext = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV,
		.handleTypes = types,
	};
	VkImageCreateInfo ici = vkt_image_info(width, height,
					       VK_IMAGE_TILING_OPTIMAL,
					       types ? &ext : NULL);
	VkImage image = VK_NULL_HANDLE;

	ici.usage = usage;
	if (vkCreateImage(t->device, &ici, NULL, &image) != VK_SUCCESS)
		return VK_NULL_HANDLE;
	return image;
}

VkBuffer vkt_buffer(struct vkt *t, VkDeviceSize size, const void *next)
{
	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.pNext = next,
		.size = size,
		.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
			 VK_BUFFER_USAGE_TRANSFER_DST_BIT,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	VkBuffer buffer = VK_NULL_HANDLE;

	if (vkCreateBuffer(t->device, &bci, NULL, &buffer) != VK_SUCCESS)
		return VK_NULL_HANDLE;
	return buffer;
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

VkBuffer vkt_host_buffer(struct vkt *t, VkDeviceSize size,
			 VkBufferUsageFlags usage, VkDeviceMemory *mem,
			 void **map)
{
	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.size = size,
		.usage = usage,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
	};
	VkMemoryRequirements mr;
	VkBuffer buf;

	vkCreateBuffer(t->device, &bci, NULL, &buf);
	vkGetBufferMemoryRequirements(t->device, buf, &mr);
	mai.allocationSize = mr.size;
	mai.memoryTypeIndex = vkt_memory_type(t, mr.memoryTypeBits,
		VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
		VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
	vkAllocateMemory(t->device, &mai, NULL, mem);
	vkBindBufferMemory(t->device, buf, *mem, 0);
	vkMapMemory(t->device, *mem, 0, VK_WHOLE_SIZE, 0, map);
	return buf;
}

uint32_t vkt_picture(uint32_t x, uint32_t y)
{
	if (x >= VKT_PIC_X && x < VKT_PIC_X + VKT_PIC_W &&
	    y >= VKT_PIC_Y && y < VKT_PIC_Y + VKT_PIC_H)
		return 0xff000000u | ((x ^ y) & 0xff) << 16 | (y & 0xff) << 8 |
		       (x & 0xff);
	return 0xff604020u;
}

VkResult vkt_draw_picture(struct vkt *t, VkImage image)
{
	static const float clear_rgba[4] = {
		32 / 255.0f, 64 / 255.0f, 96 / 255.0f, 1.0f,
	};
	VkImageSubresourceRange range = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 };
	VkImageMemoryBarrier bar = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
		.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
		.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
		.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
		.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.image = image,
		.subresourceRange = range,
	};
	VkBufferImageCopy copy = {
		.bufferRowLength = VKT_PIC_W,
		.imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
		.imageOffset = { VKT_PIC_X, VKT_PIC_Y, 0 },
		.imageExtent = { VKT_PIC_W, VKT_PIC_H, 1 },
	};
	VkClearColorValue color;
	VkDeviceMemory smem;
	VkCommandBuffer cb;
	VkBuffer staging;
	uint32_t *src;
	VkResult res;

	memcpy(color.float32, clear_rgba, sizeof(clear_rgba));
	staging = vkt_host_buffer(t, VKT_PIC_W * VKT_PIC_H * 4,
				  VK_BUFFER_USAGE_TRANSFER_SRC_BIT, &smem,
				  (void **)&src);
	for (uint32_t y = 0; y < VKT_PIC_H; y++)
		for (uint32_t x = 0; x < VKT_PIC_W; x++)
			src[y * VKT_PIC_W + x] =
				vkt_picture(VKT_PIC_X + x, VKT_PIC_Y + y);

	cb = vkt_begin(t);
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
			     VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, NULL, 0,
			     NULL, 1, &bar);
	vkCmdClearColorImage(cb, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
			     &color, 1, &range);
	bar.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
	bar.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
			     VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, NULL, 0,
			     NULL, 1, &bar);
	vkCmdCopyBufferToImage(cb, staging, image,
			       VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &copy);
	/* Hand over: GENERAL, released to the external queue family. */
	bar.dstAccessMask = 0;
	bar.newLayout = VK_IMAGE_LAYOUT_GENERAL;
	bar.srcQueueFamilyIndex = t->queue_family;
	bar.dstQueueFamilyIndex = VK_QUEUE_FAMILY_EXTERNAL;
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
			     VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0, NULL,
			     0, NULL, 1, &bar);
	res = vkt_submit(t, cb);
	vkDestroyBuffer(t->device, staging, NULL);
	vkFreeMemory(t->device, smem, NULL);
	return res;
}

int vkt_send(int sock, const void *msg, size_t size, const int *fds, int nfds)
{
	char control[CMSG_SPACE(VKT_MAX_FDS * sizeof(int))] = { 0 };
	struct iovec iov = { (void *)msg, size };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	struct cmsghdr *cm;

	if (nfds < 0 || nfds > VKT_MAX_FDS)
		return -1;
	if (nfds) {
		mh.msg_control = control;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)size ? 0 : -1;
}

int vkt_recv(int sock, void *msg, size_t size, int *fds, int max)
{
	char control[CMSG_SPACE(VKT_MAX_FDS * sizeof(int))];
	int got[VKT_MAX_FDS];
	struct iovec iov = { msg, size };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm;
	ssize_t len;
	int n = 0;

	len = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	if (len < 0)
		return -1;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (n > VKT_MAX_FDS)
			n = VKT_MAX_FDS;
		memcpy(got, CMSG_DATA(cm), n * sizeof(int));
	}
	/* What does not fit or came with a partial message is closed. */
	for (int i = 0; i < n; i++) {
		if (len == (ssize_t)size && i < max)
			fds[i] = got[i];
		else
			close(got[i]);
	}
	if (len != (ssize_t)size)
		return -1;
	return n < max ? n : max;
}

VkCommandBuffer vkt_begin(struct vkt *t)
{
	VkCommandBufferAllocateInfo ai = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.commandPool = t->pool,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 1,
	};
	VkCommandBufferBeginInfo bi = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
	};
	VkCommandBuffer cb;

	if (vkAllocateCommandBuffers(t->device, &ai, &cb) != VK_SUCCESS)
		return VK_NULL_HANDLE;
	vkBeginCommandBuffer(cb, &bi);
	return cb;
}

VkResult vkt_submit(struct vkt *t, VkCommandBuffer cb)
{
	VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
		.pCommandBuffers = &cb,
	};
	VkResult res;

	vkEndCommandBuffer(cb);
	res = vkQueueSubmit(t->queue, 1, &si, VK_NULL_HANDLE);
	if (res == VK_SUCCESS)
		res = vkQueueWaitIdle(t->queue);
	vkFreeCommandBuffers(t->device, t->pool, 1, &cb);
	return res;
}

int vkt_fd_count(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

int vkt_map_count(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, c;

	if (!f)
		return -1;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
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
static void vkt_backend_child(int out)
{
	static const char *const caps[] = {
		VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	};
	PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV get;
	VkExternalImageFormatPropertiesNV nv;
	struct vkt t;

	dup2(out, 2);
	if (!freopen("/dev/null", "w", stdout))
		_exit(4);
	setenv("PRIMESHARE_LAYER_DEBUG", "1", 1);
	/* Only the layer's log is wanted: spare the validation layer's start. */
	vkt_layers_unchecked();
	if (vkt_instance(&t, VK_API_VERSION_1_1, caps, 1) != VK_SUCCESS)
		_exit(2);
	get = (PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV)
		vkGetInstanceProcAddr(t.instance,
			"vkGetPhysicalDeviceExternalImageFormatPropertiesNV");
	if (get)
		get(t.pd, VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_TYPE_2D,
		    VK_IMAGE_TILING_OPTIMAL, VK_IMAGE_USAGE_TRANSFER_SRC_BIT, 0,
		    0, &nv);
	vkt_destroy(&t);
	_exit(0);
}

void vkt_check_backend(void)
{
	char log[65536], backend[32] = "?", *p;
	const char *want = vkt_expected_backend();
	int pipefd[2], status;
	bool kmt = false;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(pipefd))
		vkt_bail("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		vkt_bail("fork");
	if (!pid) {
		close(pipefd[0]);
		vkt_backend_child(pipefd[1]);
	}
	close(pipefd[1]);
	while (len < sizeof(log) - 1 &&
	       (n = read(pipefd[0], log + len, sizeof(log) - 1 - len)) > 0)
		len += n;
	log[len] = 0;
	close(pipefd[0]);
	waitpid(pid, &status, 0);

	/* "DEVICE: backend NAME (why)" and "KMT handle types: 0xN (...)". */
	p = strstr(log, ": backend ");
	if (p)
		sscanf(p + strlen(": backend "), "%31s", backend);
	p = strstr(log, "KMT handle types: 0x");
	if (p)
		kmt = strtoul(p + strlen("KMT handle types: "), NULL, 16) != 0;
	vkt_ok(WIFEXITED(status) && !WEXITSTATUS(status) &&
	       !strcmp(backend, want),
	       "the layer chose backend %s (expected %s)", backend, want);
	vkt_ok(kmt == vkt_expect_kmt(),
	       "KMT handle types %s (expected %s)",
	       kmt ? "offered" : "not offered",
	       vkt_expect_kmt() ? "offered" : "not offered");
}
