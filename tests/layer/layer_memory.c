/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Export and import in one process, and the rules about NV structures:
 *
 *   - the chains the specification forbids are refused with
 *     VK_ERROR_VALIDATION_FAILED_EXT, never passed down;
 *   - an NV-exported image, cleared by the GPU, reads back the same through
 *     a second image imported from vkGetMemoryWin32HandleNV's handle;
 *   - the KMT types, where offered: one handle per memory and type, an
 *     import through it, D3D11_IMAGE_KMT only for memory with an image,
 *     unknown handles refused;
 *   - 1,000 export and import cycles of a fd type, and as many of a KMT
 *     type, leave no file descriptor, mapping, dma-buf or primeshare handle
 *     behind;
 *   - with PRIMESHARE_LAYER_DEBUG=1, releasing a shared image to the
 *     external queue family in a layout other than GENERAL is warned about.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "vkt.h"

#define W 64
#define H 64

static struct vkt t;
static PFN_vkGetMemoryWin32HandleNV get_handle;
static bool kmt;	/* the KMT types are offered here */

static VkExternalMemoryImageCreateInfoNV nv_image = {
	.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV,
	.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
};

static VkImageCreateInfo image_info(const void *next)
{
	return vkt_image_info(W, H, VK_IMAGE_TILING_OPTIMAL, next);
}

static VkImage make_image(void)
{
	VkImageCreateInfo ici = image_info(&nv_image);
	VkImage image = VK_NULL_HANDLE;

	if (vkCreateImage(t.device, &ici, NULL, &image) != VK_SUCCESS)
		tap_bail("vkCreateImage with VkExternalMemoryImageCreateInfoNV");
	return image;
}

static void forbidden_chains(VkMemoryRequirements *mr, uint32_t type)
{
	VkExternalMemoryImageCreateInfo khr_image = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO,
		.pNext = &nv_image,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
	};
	VkExternalMemoryImageCreateInfoNV kmt_image = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV,
	};
	VkExportMemoryAllocateInfoNV nv_export = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
	};
	VkExportMemoryAllocateInfo khr_export = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
		.pNext = &nv_export,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
	};
	VkExportMemoryAllocateInfoNV kmt_export = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV,
	};
	VkImportMemoryWin32HandleInfoNV two_bits = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV |
			      VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_BIT_NV,
		.handle = PRIMESHARE_HANDLE_FROM_FD(0),
	};
	VkImportMemoryWin32HandleInfoNV bad_fd = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
		.handle = PRIMESHARE_HANDLE_FROM_FD(-1),
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.allocationSize = mr->size,
		.memoryTypeIndex = type,
	};
	/* Each chain, what it is passed to, and the answer it must get. */
	const struct {
		const char *what;
		const void *chain;
		bool image;		/* vkCreateImage, else vkAllocateMemory */
		VkResult want;
	} cases[] = {
		{ "image: NV and KHR external structures together refused (00988)",
		  &khr_image, true, VK_ERROR_VALIDATION_FAILED_EXT },
		{ kmt ? "image: OPAQUE_WIN32_KMT, reported by the capabilities, accepted" :
			"image: a KMT handle type the capabilities do not report refused (00991)",
		  &kmt_image, true,
		  kmt ? VK_SUCCESS : VK_ERROR_VALIDATION_FAILED_EXT },
		{ "memory: NV and KHR export structures together refused (00640)",
		  &khr_export, false, VK_ERROR_VALIDATION_FAILED_EXT },
		{ kmt ? "memory: KMT export accepted" :
			"memory: KMT export without /dev/primeshare refused",
		  &kmt_export, false,
		  kmt ? VK_SUCCESS : VK_ERROR_VALIDATION_FAILED_EXT },
		{ "memory: import with two handle type bits refused (01327)",
		  &two_bits, false, VK_ERROR_VALIDATION_FAILED_EXT },
		{ "memory: import of fd -1 gives VK_ERROR_INVALID_EXTERNAL_HANDLE",
		  &bad_fd, false, VK_ERROR_INVALID_EXTERNAL_HANDLE },
	};
	VkDeviceMemory mem = VK_NULL_HANDLE, plain;
	VkImage image = VK_NULL_HANDLE;
	HANDLE h;
	VkResult res;

	for (size_t i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		if (cases[i].image) {
			VkImageCreateInfo ici = image_info(cases[i].chain);

			res = vkCreateImage(t.device, &ici, NULL, &image);
			if (res == VK_SUCCESS)
				vkDestroyImage(t.device, image, NULL);
		} else {
			mai.pNext = cases[i].chain;
			res = vkAllocateMemory(t.device, &mai, NULL, &mem);
			if (res == VK_SUCCESS)
				vkFreeMemory(t.device, mem, NULL);
		}
		tap_ok(res == cases[i].want, "%s (%d)", cases[i].what, res);
	}

	mai.pNext = NULL;
	if (vkAllocateMemory(t.device, &mai, NULL, &plain) != VK_SUCCESS)
		tap_bail("plain vkAllocateMemory");
	res = get_handle(t.device, plain,
			 VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV, &h);
	tap_ok(res == VK_ERROR_VALIDATION_FAILED_EXT,
	       "handle: memory allocated without export refused (01326) (%d)",
	       res);
	vkFreeMemory(t.device, plain, NULL);

	mai.pNext = &nv_export;
	if (vkAllocateMemory(t.device, &mai, NULL, &mem) != VK_SUCCESS)
		tap_bail("exportable vkAllocateMemory");
	res = get_handle(t.device, mem,
			 VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_BIT_NV, &h);
	tap_ok(res == VK_ERROR_VALIDATION_FAILED_EXT,
	       "handle: a type not in the export's handleTypes refused (01326) (%d)",
	       res);
	res = get_handle(t.device, mem,
			 VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV |
			 VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_BIT_NV, &h);
	tap_ok(res == VK_ERROR_VALIDATION_FAILED_EXT,
	       "handle: two handle types at once refused (%d)", res);
	vkFreeMemory(t.device, mem, NULL);
}

static VkResult export_memory(VkMemoryRequirements *mr, uint32_t type,
			      VkExternalMemoryHandleTypeFlagsNV types,
			      VkDeviceMemory *mem)
{
	/* Other structures around the NV ones: the layer must keep them. */
	VkMemoryAllocateFlagsInfo flags_after = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO,
	};
	VkExportMemoryWin32HandleInfoNV win32 = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.pNext = &flags_after,
		.dwAccess = 0x80000000u,	/* GENERIC_READ, ignored */
	};
	VkExportMemoryAllocateInfoNV exp = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV,
		.pNext = &win32,
		.handleTypes = types,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &exp,
		.allocationSize = mr->size,
		.memoryTypeIndex = type,
	};

	return vkAllocateMemory(t.device, &mai, NULL, mem);
}

static VkResult import_memory(VkMemoryRequirements *mr, uint32_t type,
			      HANDLE h, VkDeviceMemory *mem)
{
	VkMemoryAllocateFlagsInfo flags_before = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO,
	};
	VkImportMemoryWin32HandleInfoNV imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
		.handle = h,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &flags_before,
		.allocationSize = mr->size,
		.memoryTypeIndex = type,
	};

	flags_before.pNext = &imp;
	return vkAllocateMemory(t.device, &mai, NULL, mem);
}

static void clear_and_read(VkImage a, VkImage b, uint32_t *pixels)
{
	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.size = W * H * 4,
		.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT,
	};
	VkImageSubresourceRange range = {
		VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1,
	};
	VkImageMemoryBarrier bar[2] = { {
		.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
		.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
		.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
		.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
		.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.image = a,
		.subresourceRange = range,
	}, {
		.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
		.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT,
		.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
		.newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
		.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.image = b,
		.subresourceRange = range,
	} };
	VkImageMemoryBarrier to_general = bar[0];
	/* Exact in 8 bits: no rounding differences between drivers. */
	VkClearColorValue color = {
		.float32 = { 1.0f, 128 / 255.0f, 0.0f, 1.0f },
	};
	VkBufferImageCopy copy = {
		.imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
		.imageExtent = { W, H, 1 },
	};
	VkMemoryRequirements mr;
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
	};
	VkDeviceMemory bmem;
	VkCommandBuffer cb;
	VkBuffer buf;
	void *map;

	vkCreateBuffer(t.device, &bci, NULL, &buf);
	vkGetBufferMemoryRequirements(t.device, buf, &mr);
	mai.allocationSize = mr.size;
	mai.memoryTypeIndex = vkt_memory_type(&t, mr.memoryTypeBits,
		VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
		VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
	vkAllocateMemory(t.device, &mai, NULL, &bmem);
	vkBindBufferMemory(t.device, buf, bmem, 0);

	/* Clear through image a, leave it in GENERAL. */
	cb = vkt_begin(&t);
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
			     VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, NULL, 0,
			     NULL, 1, &bar[0]);
	vkCmdClearColorImage(cb, a, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
			     &color, 1, &range);
	to_general.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
	to_general.dstAccessMask = VK_ACCESS_MEMORY_READ_BIT;
	to_general.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
	to_general.newLayout = VK_IMAGE_LAYOUT_GENERAL;
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
			     VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0, NULL,
			     0, NULL, 1, &to_general);
	vkt_submit(&t, cb);

	/*
	 * Read through image b, bound to the imported memory.  Its first
	 * barrier must start from UNDEFINED, the layout the validation layer
	 * knows it in; the two-process test does the proper hand-over
	 * (GENERAL, through the external queue family).
	 */
	cb = vkt_begin(&t);
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
			     VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, NULL, 0,
			     NULL, 1, &bar[1]);
	vkCmdCopyImageToBuffer(cb, b, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
			       buf, 1, &copy);
	vkt_submit(&t, cb);

	vkMapMemory(t.device, bmem, 0, VK_WHOLE_SIZE, 0, &map);
	memcpy(pixels, map, W * H * 4);
	vkUnmapMemory(t.device, bmem);
	vkDestroyBuffer(t.device, buf, NULL);
	vkFreeMemory(t.device, bmem, NULL);
}

static void same_process(VkMemoryRequirements *mr, uint32_t type)
{
	VkImage a = make_image(), b = make_image();
	VkDeviceMemory ma, mb;
	static uint32_t pixels[W * H];
	unsigned int wrong = 0;
	VkResult res;
	HANDLE h;
	int fd;

	res = export_memory(mr, type,
			    VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV |
			    VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_BIT_NV,
			    &ma);
	tap_ok(res == VK_SUCCESS,
	       "export: memory with VkExportMemoryAllocateInfoNV (OPAQUE_WIN32 | D3D11_IMAGE) and VkExportMemoryWin32HandleInfoNV (%d)",
	       res);
	if (res != VK_SUCCESS)
		return;
	vkBindImageMemory(t.device, a, ma, 0);
	res = get_handle(t.device, ma,
			 VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV, &h);
	fd = PRIMESHARE_FD_FROM_HANDLE(h);
	tap_ok(res == VK_SUCCESS && fd > 2,
	       "export: vkGetMemoryWin32HandleNV(OPAQUE_WIN32) gives a file descriptor (%d, fd %d)",
	       res, fd);
	res = import_memory(mr, type, h, &mb);
	tap_ok(res == VK_SUCCESS,
	       "import: VkImportMemoryWin32HandleInfoNV of that handle (%d)", res);
	if (res != VK_SUCCESS) {
		close(fd);
		vkFreeMemory(t.device, ma, NULL);
		return;
	}
	tap_ok(fcntl(fd, F_GETFD) < 0,
	       "import: the driver took ownership of the descriptor");
	vkBindImageMemory(t.device, b, mb, 0);
	clear_and_read(a, b, pixels);
	for (int i = 0; i < W * H; i++)
		if (pixels[i] != 0xff0080ffu)
			wrong++;
	tap_ok(!wrong, "a GPU clear through the exporter's image reads back through the importer's (%d of %d pixels wrong, first 0x%08x)",
	       wrong, W * H, pixels[0]);

	res = get_handle(t.device, ma,
			 VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_BIT_NV, &h);
	tap_ok(res == VK_SUCCESS && PRIMESHARE_FD_FROM_HANDLE(h) >= 0,
	       "export: D3D11_IMAGE gives a descriptor too (%d)", res);
	if (res == VK_SUCCESS)
		close(PRIMESHARE_FD_FROM_HANDLE(h));

	vkDestroyImage(t.device, a, NULL);
	vkDestroyImage(t.device, b, NULL);
	vkFreeMemory(t.device, ma, NULL);
	vkFreeMemory(t.device, mb, NULL);
}

static void kmt_same_process(VkMemoryRequirements *mr, uint32_t type)
{
	VkImportMemoryWin32HandleInfoNV imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &imp,
		.allocationSize = mr->size,
		.memoryTypeIndex = type,
	};
	VkDeviceMemory ma, mb;
	HANDLE h1 = NULL, h2 = NULL, h3 = NULL;
	VkResult res;

	if (!kmt) {
		tap_skip("no KMT types here", "KMT: one handle per memory, an import, the rules");
		return;
	}
	res = export_memory(mr, type,
			    VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV |
			    VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV,
			    &ma);
	if (res != VK_SUCCESS) {
		tap_ok(false, "KMT: exportable memory (%d)", res);
		return;
	}
	res = get_handle(t.device, ma,
			 VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV, &h1);
	get_handle(t.device, ma,
		   VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV, &h2);
	tap_ok(res == VK_SUCCESS && h1 && h1 == h2,
	       "KMT: vkGetMemoryWin32HandleNV gives one handle per memory (%d, 0x%llx, 0x%llx)",
	       res, (unsigned long long)PRIMESHARE_GLOBAL_FROM_HANDLE(h1),
	       (unsigned long long)PRIMESHARE_GLOBAL_FROM_HANDLE(h2));
	res = get_handle(t.device, ma,
			 VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV, &h3);
	tap_ok(res == VK_ERROR_VALIDATION_FAILED_EXT,
	       "KMT: D3D11_IMAGE_KMT of memory that holds no image refused (%d)",
	       res);
	imp.handle = h1;
	res = vkAllocateMemory(t.device, &mai, NULL, &mb);
	tap_ok(res == VK_SUCCESS, "KMT: import in the same process (%d)", res);
	if (res == VK_SUCCESS)
		vkFreeMemory(t.device, mb, NULL);
	vkFreeMemory(t.device, ma, NULL);
	res = vkAllocateMemory(t.device, &mai, NULL, &mb);
	tap_ok(res == VK_ERROR_INVALID_EXTERNAL_HANDLE,
	       "KMT: the handle ended with vkFreeMemory: import refused (%d)",
	       res);
	if (res == VK_SUCCESS)
		vkFreeMemory(t.device, mb, NULL);
	imp.handle = NULL;
	res = vkAllocateMemory(t.device, &mai, NULL, &mb);
	tap_ok(res == VK_ERROR_INVALID_EXTERNAL_HANDLE,
	       "KMT: import of handle 0 refused (%d)", res);
	if (res == VK_SUCCESS)
		vkFreeMemory(t.device, mb, NULL);
}

/* What a cycle could leave behind. */
struct residue {
	int fds, maps;
	long handles, dmabufs;
};

static void residue(struct residue *r)
{
	r->fds = tu_fd_count();
	r->maps = tu_map_count();
	r->handles = vkt_primeshare_handles();
	r->dmabufs = vkt_dmabuf_count();
}

static void cycles(VkMemoryRequirements *mr, uint32_t type, unsigned int n,
		   VkExternalMemoryHandleTypeFlagsNV handle_type,
		   const char *name)
{
	bool is_kmt = handle_type & (VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV |
				     VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV);
	VkImportMemoryWin32HandleInfoNV imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.handleType = handle_type,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &imp,
		.allocationSize = mr->size,
		.memoryTypeIndex = type,
	};
	struct residue before, after;
	unsigned int done = 0;
	long peak = 0, peak_dmabufs = 0;

	residue(&before);
	for (unsigned int i = 0; i < n; i++) {
		VkDeviceMemory ma, mb;
		long live;
		HANDLE h;

		if (export_memory(mr, type, handle_type, &ma) != VK_SUCCESS)
			break;
		if (get_handle(t.device, ma, handle_type, &h) != VK_SUCCESS) {
			vkFreeMemory(t.device, ma, NULL);
			break;
		}
		imp.handle = h;
		if (vkAllocateMemory(t.device, &mai, NULL, &mb) != VK_SUCCESS) {
			if (!is_kmt)
				close(PRIMESHARE_FD_FROM_HANDLE(h));
			vkFreeMemory(t.device, ma, NULL);
			break;
		}
		live = vkt_primeshare_handles();
		if (live > peak)
			peak = live;
		live = vkt_dmabuf_count();
		if (live > peak_dmabufs)
			peak_dmabufs = live;
		vkFreeMemory(t.device, mb, NULL);
		vkFreeMemory(t.device, ma, NULL);
		done++;
	}
	residue(&after);
	tap_ok(done == n, "%s: %u export and import cycles (%u done)", name, n,
	       done);
	tap_ok(after.fds == before.fds && after.maps == before.maps,
	       "%s: no file descriptor or mapping left behind (fds %d, %d; mappings %d, %d)",
	       name, before.fds, after.fds, before.maps, after.maps);
	if (before.dmabufs < 0)
		tap_skip("no debugfs dma_buf/bufinfo here",
			 "%s: no dma-buf left behind", name);
	else
		tap_ok(after.dmabufs == before.dmabufs &&
		       (strcmp(vkt_expected_backend(), "opaque-fd") ?
			peak_dmabufs > before.dmabufs : true),
		       "%s: no dma-buf left behind (%ld before, %ld after, %ld while shared)",
		       name, before.dmabufs, after.dmabufs, peak_dmabufs);
	if (!is_kmt)
		return;
	if (before.handles < 0) {
		tap_ok(false, "%s: debugfs primeshare/stats is not readable", name);
		return;
	}
	tap_ok(after.handles == before.handles && peak == before.handles + 1,
	       "%s: primeshare handles back to %ld (%ld after, %ld while shared)",
	       name, before.handles, after.handles, peak);
}

/* In a child with PRIMESHARE_LAYER_DEBUG=1: two releases, one wrong. */
static void release_twice(void)
{
	static const char *const caps[] = {
		VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	};
	static const char *const exts[] = {
		VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
	};
	static const VkImageLayout layouts[] = {
		VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_IMAGE_LAYOUT_GENERAL,
	};
	VkExportMemoryAllocateInfoNV exp = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &exp,
	};

	if (vkt_instance(&t, VK_API_VERSION_1_1, caps, 1) != VK_SUCCESS ||
	    vkt_device(&t, exts, 1) != VK_SUCCESS)
		_exit(2);
	for (size_t i = 0; i < TU_ARRAY_SIZE(layouts); i++) {
		VkImageMemoryBarrier bar = {
			.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
			.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
			.newLayout = layouts[i],
			.srcQueueFamilyIndex = t.queue_family,
			.dstQueueFamilyIndex = VK_QUEUE_FAMILY_EXTERNAL,
			.subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 },
		};
		VkMemoryRequirements mr;
		VkDeviceMemory mem;
		VkCommandBuffer cb;

		bar.image = make_image();
		vkGetImageMemoryRequirements(t.device, bar.image, &mr);
		mai.allocationSize = mr.size;
		mai.memoryTypeIndex = vkt_memory_type(&t, mr.memoryTypeBits, 0);
		vkAllocateMemory(t.device, &mai, NULL, &mem);
		vkBindImageMemory(t.device, bar.image, mem, 0);
		cb = vkt_begin(&t);
		vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
				     VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0,
				     NULL, 0, NULL, 1, &bar);
		vkt_submit(&t, cb);
		vkDestroyImage(t.device, bar.image, NULL);
		vkFreeMemory(t.device, mem, NULL);
	}
	vkt_destroy(&t);
	_exit(vkt_validation_errors ? 3 : 0);
}

static void handover_child(void *arg)
{
	(void)arg;
	setenv("PRIMESHARE_LAYER_DEBUG", "1", 1);
	release_twice();
}

static void handover_warning(void)
{
	char out[16384], *p;
	int status, warnings = 0;

	if (tu_capture_stderr(handover_child, NULL, out, sizeof(out),
			      &status) < 0)
		tap_bail("running a child process");
	for (p = out; (p = strstr(p, "handed over in layout")); p++)
		warnings++;
	tap_ok(WIFEXITED(status) && !WEXITSTATUS(status) && warnings == 1,
	       "PRIMESHARE_LAYER_DEBUG=1: one warning for the release in TRANSFER_SRC, none for GENERAL (%d, status %d)",
	       warnings, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(void)
{
	static const char *const caps[] = {
		VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	};
	static const char *const exts[] = {
		VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
		VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
	};
	VkMemoryRequirements mr;
	uint32_t type;
	VkImage image;
	VkResult res;

	vkt_layers(true);
	vkt_check_backend();
	kmt = vkt_expect_kmt() && strcmp(vkt_expected_backend(), "opaque-fd");
	handover_warning();
	res = vkt_instance(&t, VK_API_VERSION_1_1, caps, 1);
	if (res != VK_SUCCESS)
		tap_bail("instance: %d", res);
	res = vkt_device(&t, exts, 2);
	if (res != VK_SUCCESS)
		tap_bail("device: %d", res);
	get_handle = (PFN_vkGetMemoryWin32HandleNV)
		vkGetDeviceProcAddr(t.device, "vkGetMemoryWin32HandleNV");
	if (!get_handle)
		tap_bail("no vkGetMemoryWin32HandleNV");

	image = make_image();
	vkGetImageMemoryRequirements(t.device, image, &mr);
	vkDestroyImage(t.device, image, NULL);
	type = vkt_memory_type(&t, mr.memoryTypeBits,
			       VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
	if (type == UINT32_MAX)
		type = vkt_memory_type(&t, mr.memoryTypeBits, 0);

	forbidden_chains(&mr, type);
	same_process(&mr, type);
	kmt_same_process(&mr, type);
	cycles(&mr, type, 1000,
	       VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV, "OPAQUE_WIN32");
	if (kmt)
		cycles(&mr, type, 1000,
		       VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV,
		       "OPAQUE_WIN32_KMT");
	vkt_destroy(&t);
	vkt_check_validation("export and import");
	return tap_done();
}
