/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Plain images and buffers bound to memory shared through the NV
 * extensions.
 *
 * The NV extensions let a program bind exportable or imported memory to
 * an image made without VkExternalMemoryImageCreateInfoNV, and to any
 * buffer.  Below the layer that memory is KHR external memory, which may
 * only be bound to resources created external of its handle type
 * (VUID-vkBindImageMemory-memory-02728, -02729,
 * VUID-vkBindBufferMemory-memory-02726, -02985): the layer makes them so.
 * The validation layer below checks every call; the data written through
 * the exporter's buffer must read back through the importer's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "vkt.h"

#define SIZE 65536u
#define W 64
#define H 64

static struct vkt t;
static PFN_vkGetMemoryWin32HandleNV get_handle;
static PFN_vkBindBufferMemory2 bind_buffer2;

/* The KHR handle type the expected backend puts below NV memory. */
static VkExternalMemoryHandleTypeFlagBits backend_type(void)
{
	const char *b = vkt_expected_backend();

	if (!strcmp(b, "dma-buf"))
		return VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
	if (!strcmp(b, "prime"))
		return VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;
	return VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
}

/* Whether the driver can make the plain image external of that type. */
static bool driver_external_image(const VkImageCreateInfo *ici)
{
	VkPhysicalDeviceExternalImageFormatInfo ext = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO,
		.handleType = backend_type(),
	};
	VkPhysicalDeviceImageFormatInfo2 info = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2,
		.pNext = &ext,
		.format = ici->format,
		.type = ici->imageType,
		.tiling = ici->tiling,
		.usage = ici->usage,
		.flags = ici->flags,
	};
	VkExternalImageFormatProperties ep = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES,
	};
	VkImageFormatProperties2 props = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_FORMAT_PROPERTIES_2,
		.pNext = &ep,
	};

	return vkGetPhysicalDeviceImageFormatProperties2(t.pd, &info, &props) ==
		       VK_SUCCESS &&
	       (ep.externalMemoryProperties.externalMemoryFeatures &
		(VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT |
		 VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT));
}

static bool can_be_external;	/* the plain image of plain_image() */

static VkImage plain_image(void)
{
	VkImageCreateInfo ici = vkt_image_info(W, H, VK_IMAGE_TILING_OPTIMAL,
					       NULL);
	VkImage image = VK_NULL_HANDLE;

	can_be_external = driver_external_image(&ici);
	if (vkCreateImage(t.device, &ici, NULL, &image) != VK_SUCCESS)
		tap_bail("vkCreateImage of a plain image");
	return image;
}

static VkBuffer plain_buffer(void)
{
	VkBuffer buffer = vkt_buffer(&t, SIZE, NULL);

	if (!buffer)
		tap_bail("vkCreateBuffer of a plain buffer");
	return buffer;
}

/* Memory for @mr, exportable (@h NULL) or imported from *@h. */
static VkResult shared_memory(const VkMemoryRequirements *mr, HANDLE *h,
			      VkDeviceMemory *mem)
{
	VkExportMemoryAllocateInfoNV exp = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
	};
	VkImportMemoryWin32HandleInfoNV imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &exp,
		.allocationSize = mr->size,
		.memoryTypeIndex = vkt_memory_type(&t, mr->memoryTypeBits, 0),
	};
	VkResult res;

	if (h) {
		imp.handle = *h;
		mai.pNext = &imp;
	}
	res = vkAllocateMemory(t.device, &mai, NULL, mem);
	if (res != VK_SUCCESS && h)
		close(PRIMESHARE_FD_FROM_HANDLE(*h));
	return res;
}

static void images(void)
{
	VkImage a = plain_image(), b = plain_image();
	VkDeviceMemory exported = VK_NULL_HANDLE, imported = VK_NULL_HANDLE;
	VkMemoryRequirements mr;
	HANDLE h = NULL;
	VkResult res;

	vkGetImageMemoryRequirements(t.device, a, &mr);
	res = shared_memory(&mr, NULL, &exported);
	if (res == VK_SUCCESS)
		res = vkBindImageMemory(t.device, a, exported, 0);
	if (!can_be_external) {
		/* The driver cannot: refused, never an invalid bind below. */
		tap_ok(res == VK_ERROR_VALIDATION_FAILED_EXT,
		       "a plain image the driver cannot make external of the backend's type 0x%x: binding it to NV-exportable memory is refused (VUID-vkBindImageMemory-memory-02728) (%d)",
		       backend_type(), res);
		vkDestroyImage(t.device, a, NULL);
		vkDestroyImage(t.device, b, NULL);
		vkFreeMemory(t.device, exported, NULL);
		return;
	}
	tap_ok(res == VK_SUCCESS,
	       "a plain image binds to NV-exportable memory (%d)", res);
	if (res == VK_SUCCESS)
		res = get_handle(t.device, exported,
				 VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
				 &h);
	if (res == VK_SUCCESS)
		res = shared_memory(&mr, &h, &imported);
	if (res == VK_SUCCESS)
		res = vkBindImageMemory(t.device, b, imported, 0);
	tap_ok(res == VK_SUCCESS,
	       "a plain image binds to memory imported by VkImportMemoryWin32HandleInfoNV (%d)",
	       res);
	vkDestroyImage(t.device, a, NULL);
	vkDestroyImage(t.device, b, NULL);
	vkFreeMemory(t.device, imported, NULL);
	vkFreeMemory(t.device, exported, NULL);
}

/* Fill @from's memory by the GPU, copy @to's into a host buffer, compare. */
static bool same_bytes(VkBuffer from, VkBuffer to)
{
	VkDeviceMemory host_mem;
	VkBufferCopy copy = { .size = SIZE };
	VkMemoryBarrier written = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT,
	};
	VkBuffer host;
	uint32_t *map;
	VkCommandBuffer cb;
	unsigned int wrong = 0;

	host = vkt_host_buffer(&t, SIZE, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
			       &host_mem, (void **)&map);
	if (!host)
		tap_bail("a host buffer");
	memset(map, 0, SIZE);
	cb = vkt_begin(&t);
	vkCmdFillBuffer(cb, from, 0, SIZE, 0x5eedf00du);
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
			     VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &written,
			     0, NULL, 0, NULL);
	vkCmdCopyBuffer(cb, to, host, 1, &copy);
	if (vkt_submit(&t, cb) != VK_SUCCESS)
		tap_bail("the copy");
	for (uint32_t i = 0; i < SIZE / 4; i++)
		wrong += map[i] != 0x5eedf00du;
	vkDestroyBuffer(t.device, host, NULL);
	vkFreeMemory(t.device, host_mem, NULL);
	return !wrong;
}

static void buffers(void)
{
	VkBuffer a = plain_buffer(), b = plain_buffer();
	VkDeviceMemory exported = VK_NULL_HANDLE, imported = VK_NULL_HANDLE;
	VkMemoryRequirements mr;
	VkBindBufferMemoryInfo bind2 = {
		.sType = VK_STRUCTURE_TYPE_BIND_BUFFER_MEMORY_INFO,
		.buffer = b,
	};
	HANDLE h = NULL;
	VkResult res;

	vkGetBufferMemoryRequirements(t.device, a, &mr);
	res = shared_memory(&mr, NULL, &exported);
	if (res == VK_SUCCESS)
		res = vkBindBufferMemory(t.device, a, exported, 0);
	tap_ok(res == VK_SUCCESS,
	       "a buffer binds to NV-exportable memory (vkBindBufferMemory: %d)",
	       res);
	if (res == VK_SUCCESS)
		res = get_handle(t.device, exported,
				 VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
				 &h);
	if (res == VK_SUCCESS)
		res = shared_memory(&mr, &h, &imported);
	bind2.memory = imported;
	if (res == VK_SUCCESS)
		res = bind_buffer2(t.device, 1, &bind2);
	tap_ok(res == VK_SUCCESS,
	       "a buffer binds to NV-imported memory (vkBindBufferMemory2: %d)",
	       res);
	if (res == VK_SUCCESS)
		tap_ok(same_bytes(a, b),
		       "what the GPU writes through the exporter's buffer reads back through the importer's");
	vkDestroyBuffer(t.device, a, NULL);
	vkDestroyBuffer(t.device, b, NULL);
	vkFreeMemory(t.device, imported, NULL);
	vkFreeMemory(t.device, exported, NULL);
}

/*
 * Below a test layer that plays a driver which can make no image external
 * (fake_native.c, FAKE_NO_EXTERNAL_IMAGES): a plain image is created as
 * asked, binding it to NV-exportable memory is refused with the rule's
 * name, never passed down, and binding it to ordinary memory works.
 */
static void unshareable(void)
{
	static const char *const exts[] = {
		VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
		VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
	};
	VkDeviceMemory exported = VK_NULL_HANDLE, plain = VK_NULL_HANDLE;
	VkMemoryRequirements mr;
	VkImage image;
	VkResult res;

	setenv("FAKE_NO_EXTERNAL_IMAGES", "1", 1);
	vkt_layers_with(true, "VK_LAYER_PRIMESHARE_test_native_nv");
	res = vkt_nv_open(&t, VK_API_VERSION_1_1, exts, 2);
	unsetenv("FAKE_NO_EXTERNAL_IMAGES");
	if (res != VK_SUCCESS)
		tap_bail("instance and device over the test layer: %d", res);
	image = plain_image();
	vkGetImageMemoryRequirements(t.device, image, &mr);
	res = shared_memory(&mr, NULL, &exported);
	if (res == VK_SUCCESS)
		res = vkBindImageMemory(t.device, image, exported, 0);
	tap_ok(res == VK_ERROR_VALIDATION_FAILED_EXT,
	       "a driver that cannot make the image external: binding it to NV-exportable memory is refused (VUID-vkBindImageMemory-memory-02728) (%d)",
	       res);
	mai.allocationSize = mr.size;
	mai.memoryTypeIndex = vkt_memory_type(&t, mr.memoryTypeBits, 0);
	res = vkAllocateMemory(t.device, &mai, NULL, &plain);
	if (res == VK_SUCCESS)
		res = vkBindImageMemory(t.device, image, plain, 0);
	tap_ok(res == VK_SUCCESS,
	       "... and binding it to ordinary memory works (%d)", res);
	vkDestroyImage(t.device, image, NULL);
	vkFreeMemory(t.device, plain, NULL);
	vkFreeMemory(t.device, exported, NULL);
	vkt_destroy(&t);
}

int main(void)
{
	static const char *const exts[] = {
		VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
		VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
	};
	VkResult res;

	vkt_layers(true);
	res = vkt_nv_open(&t, VK_API_VERSION_1_1, exts, 2);
	if (res != VK_SUCCESS)
		tap_bail("instance and device with the NV extensions: %d", res);
	get_handle = (PFN_vkGetMemoryWin32HandleNV)
		vkGetDeviceProcAddr(t.device, "vkGetMemoryWin32HandleNV");
	bind_buffer2 = (PFN_vkBindBufferMemory2)
		vkGetDeviceProcAddr(t.device, "vkBindBufferMemory2");
	if (!get_handle || !bind_buffer2)
		tap_bail("no vkGetMemoryWin32HandleNV or vkBindBufferMemory2");
	images();
	buffers();
	vkt_destroy(&t);
	unshareable();
	vkt_check_validation("plain images and buffers on shared memory");
	return tap_done();
}
