/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * VK_NV_dedicated_allocation, offered by the layer (the driver's list cannot
 * say whether the driver has it: the loader adds the implicit manifest's
 * names), as NV-era code enables it when DEDICATED_ONLY is reported.
 * dedicated-implicit.test runs the same through the implicit manifest.
 *
 * The extension is listed under the layer's name and can be enabled, with
 * the NV external memory extensions and alone; dedicated images and
 * buffers bind to their dedicated memory, exported and imported too, with
 * the validation layer below reporting nothing; and each rule of the
 * extension with no KHR twin is refused by the layer, never passed down.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "vkt.h"

static struct vkt t;

static VkImage image(bool dedicated, bool nv_external)
{
	VkDedicatedAllocationImageCreateInfoNV ded = {
		.sType = VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_IMAGE_CREATE_INFO_NV,
		.dedicatedAllocation = dedicated,
	};
	VkExternalMemoryImageCreateInfoNV ext = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV,
		.pNext = &ded,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
	};
	VkImageCreateInfo ici = vkt_image_info(64, 64, VK_IMAGE_TILING_OPTIMAL,
		nv_external ? (const void *)&ext : (const void *)&ded);
	VkImage img = VK_NULL_HANDLE;

	if (vkCreateImage(t.device, &ici, NULL, &img) != VK_SUCCESS)
		tap_bail("vkCreateImage");
	return img;
}

static VkBuffer buffer(bool dedicated)
{
	VkDedicatedAllocationBufferCreateInfoNV ded = {
		.sType = VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_BUFFER_CREATE_INFO_NV,
		.dedicatedAllocation = dedicated,
	};
	VkBuffer buf = vkt_buffer(&t, 65536, &ded);

	if (!buf)
		tap_bail("vkCreateBuffer");
	return buf;
}

/*
 * Memory of @size dedicated to @img or @buf (both may be null), exportable
 * when @exportable, imported from @import when not NULL.
 */
static VkResult memory(VkDeviceSize size, uint32_t bits, VkImage img,
		       VkBuffer buf, bool exportable, HANDLE import,
		       VkDeviceMemory *mem)
{
	VkDedicatedAllocationMemoryAllocateInfoNV ded = {
		.sType = VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_MEMORY_ALLOCATE_INFO_NV,
		.image = img,
		.buffer = buf,
	};
	VkExportMemoryAllocateInfoNV exp = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV,
		.pNext = &ded,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
	};
	VkImportMemoryWin32HandleInfoNV imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.pNext = &ded,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
		.handle = import,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = import ? (const void *)&imp :
			 exportable ? (const void *)&exp : (const void *)&ded,
		.allocationSize = size,
		.memoryTypeIndex = vkt_memory_type(&t, bits, 0),
	};

	*mem = VK_NULL_HANDLE;
	return vkAllocateMemory(t.device, &mai, NULL, mem);
}

static bool device_with(const char *const *exts, uint32_t n)
{
	VkResult res = vkt_device(&t, exts, n);

	tap_ok(res == VK_SUCCESS, "a device with %s%s (%d)",
	       exts[n - 1], n > 1 ? " and the NV external memory extensions" : "",
	       res);
	return res == VK_SUCCESS;
}

static void close_device(void)
{
	vkDestroyCommandPool(t.device, t.pool, NULL);
	vkDestroyDevice(t.device, NULL);
	t.device = VK_NULL_HANDLE;
}

/* A dedicated, exported, imported image, and a dedicated buffer. */
static void valid_use(void)
{
	PFN_vkGetMemoryWin32HandleNV get_handle = (PFN_vkGetMemoryWin32HandleNV)
		vkGetDeviceProcAddr(t.device, "vkGetMemoryWin32HandleNV");
	VkImage a = image(true, true), b = image(true, true);
	VkBuffer buf = buffer(true);
	VkDeviceMemory ma, mb, mbuf;
	VkMemoryRequirements mr;
	HANDLE h = NULL;
	VkResult res;

	vkGetImageMemoryRequirements(t.device, a, &mr);
	res = memory(mr.size, mr.memoryTypeBits, a, VK_NULL_HANDLE, true, NULL,
		     &ma);
	if (res == VK_SUCCESS)
		res = vkBindImageMemory(t.device, a, ma, 0);
	tap_ok(res == VK_SUCCESS,
	       "a dedicated NV image binds to its dedicated, exportable memory (%d)",
	       res);
	if (res == VK_SUCCESS && get_handle)
		res = get_handle(t.device, ma,
				 VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
				 &h);
	if (res == VK_SUCCESS)
		res = memory(mr.size, mr.memoryTypeBits, b, VK_NULL_HANDLE,
			     false, h, &mb);
	if (res == VK_SUCCESS)
		res = vkBindImageMemory(t.device, b, mb, 0);
	tap_ok(res == VK_SUCCESS,
	       "its handle imports as memory dedicated to a second image, which binds (%d)",
	       res);

	vkGetBufferMemoryRequirements(t.device, buf, &mr);
	res = memory(mr.size, mr.memoryTypeBits, VK_NULL_HANDLE, buf, false,
		     NULL, &mbuf);
	if (res == VK_SUCCESS)
		res = vkBindBufferMemory(t.device, buf, mbuf, 0);
	tap_ok(res == VK_SUCCESS,
	       "a dedicated buffer binds to its dedicated memory (%d)", res);
	vkDestroyImage(t.device, a, NULL);
	vkDestroyImage(t.device, b, NULL);
	vkDestroyBuffer(t.device, buf, NULL);
	vkFreeMemory(t.device, ma, NULL);
	vkFreeMemory(t.device, mb, NULL);
	vkFreeMemory(t.device, mbuf, NULL);
}

/* The NV rules without a KHR twin: refused by the layer. */
static void rules(void)
{
	VkImage ded = image(true, false), plain = image(false, false), twin;
	VkBuffer dbuf = buffer(true);
	VkDeviceMemory m = VK_NULL_HANDLE, other = VK_NULL_HANDLE;
	VkMemoryRequirements mr, br;
	VkResult res;

	vkGetImageMemoryRequirements(t.device, ded, &mr);
	vkGetBufferMemoryRequirements(t.device, dbuf, &br);

	res = memory(mr.size, mr.memoryTypeBits, ded, dbuf, false, NULL, &m);
	tap_ok(res == VK_ERROR_VALIDATION_FAILED_EXT,
	       "memory dedicated to an image and a buffer at once: refused (00649) (%d)",
	       res);
	vkFreeMemory(t.device, m, NULL);
	res = memory(mr.size, mr.memoryTypeBits, plain, VK_NULL_HANDLE, false,
		     NULL, &m);
	tap_ok(res == VK_ERROR_VALIDATION_FAILED_EXT,
	       "memory dedicated to an image not created dedicated: refused (00650) (%d)",
	       res);
	vkFreeMemory(t.device, m, NULL);
	res = memory(mr.size * 2, mr.memoryTypeBits, ded, VK_NULL_HANDLE, false,
		     NULL, &m);
	tap_ok(res == VK_ERROR_VALIDATION_FAILED_EXT,
	       "dedicated memory of another size than the image's: refused (00652) (%d)",
	       res);
	vkFreeMemory(t.device, m, NULL);

	/* Ordinary memory, and memory dedicated to the dedicated image. */
	res = memory(mr.size, mr.memoryTypeBits, VK_NULL_HANDLE, VK_NULL_HANDLE,
		     false, NULL, &other);
	if (res == VK_SUCCESS)
		res = vkBindImageMemory(t.device, ded, other, 0);
	tap_ok(res == VK_ERROR_VALIDATION_FAILED_EXT,
	       "a dedicated image bound to ordinary memory: refused (01050) (%d)",
	       res);
	res = memory(mr.size, mr.memoryTypeBits, ded, VK_NULL_HANDLE, false,
		     NULL, &m);
	if (res == VK_SUCCESS)
		res = vkBindImageMemory(t.device, plain, m, 0);
	tap_ok(res == VK_ERROR_VALIDATION_FAILED_EXT,
	       "another image bound to memory dedicated to an image: refused (01051) (%d)",
	       res);
	res = vkBindBufferMemory(t.device, dbuf, other, 0);
	tap_ok(res == VK_ERROR_VALIDATION_FAILED_EXT,
	       "a dedicated buffer bound to ordinary memory: refused (01038) (%d)",
	       res);
	twin = image(true, false);
	res = vkBindImageMemory(t.device, twin, m, 0);
	tap_ok(res == VK_ERROR_VALIDATION_FAILED_EXT,
	       "a dedicated image of identical parameters bound to another's dedicated memory: refused, which KHR dedicated allocation below could not take (%d)",
	       res);
	vkDestroyImage(t.device, twin, NULL);
	res = vkBindImageMemory(t.device, ded, m, 0);
	tap_ok(res == VK_SUCCESS,
	       "... and the dedicated image still binds to its own memory (%d)",
	       res);
	vkDestroyImage(t.device, ded, NULL);
	vkDestroyImage(t.device, plain, NULL);
	vkDestroyBuffer(t.device, dbuf, NULL);
	vkFreeMemory(t.device, m, NULL);
	vkFreeMemory(t.device, other, NULL);
	(void)br;
}

int main(void)
{
	static const char *const caps[] = {
		VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	};
	static const char *const all[] = {
		VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
		VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
		VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME,
	};
	static const char *const alone[] = {
		VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME,
	};
	VkExtensionProperties props[8];
	uint32_t n = TU_ARRAY_SIZE(props);
	bool listed = false;
	VkResult res;

	vkt_layers(true);
	res = vkt_instance(&t, VK_API_VERSION_1_1, caps, 1);
	if (res != VK_SUCCESS)
		tap_bail("instance: %d", res);
	if (vkEnumerateDeviceExtensionProperties(t.pd, VKT_LAYER, &n, props) >= 0)
		listed = vkt_has_ext(props, n,
				     VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME);
	tap_ok(listed, "the layer lists VK_NV_dedicated_allocation");
	if (device_with(all, 3)) {
		valid_use();
		rules();
		close_device();
	}
	if (device_with(alone, 1)) {
		rules();
		close_device();
	}
	vkt_destroy(&t);
	vkt_check_validation("NV dedicated allocation");
	return tap_done();
}
