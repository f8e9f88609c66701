/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * The Vulkan helpers of the test, example and benchmark programs (vkt.c:
 * a device and its queue, memory types, images and buffers, command
 * buffers, names of results), and the layer tests' harness (harness.c:
 * instances with a debug messenger that counts what the validation layer
 * reports, the layers of VK_INSTANCE_LAYERS, what the environment
 * expects).  Both are in tests/common/libcommon.a; a program that calls
 * only vkt.c's functions links nothing of the harness.
 *
 * The tests run with the explicit manifest of the layer found through
 * VK_LAYER_PATH (tests/layer/run-tests.sh sets it up).  vkt_layers() puts
 * the layer (optionally) and the Khronos validation layer into
 * VK_INSTANCE_LAYERS, in that order, so that the layer is closest to the
 * program and the validation layer checks every call the layer makes.
 */
#ifndef VKT_H
#define VKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "primeshare_vulkan_nv.h"
#include "util.h"

#define VKT_LAYER PRIMESHARE_VULKAN_LAYER_NAME

/* Messages of severity ERROR and WARNING the validation layer sent. */
extern unsigned int vkt_validation_errors;
extern unsigned int vkt_validation_warnings;
bool vkt_validation_active(void);
struct vkt;
/*
 * Report, as tests: the validation layer ran on every instance, it sat
 * below primeshare's layer (above, after vkt_validation_above(true)), and
 * it reported no error and no warning.
 */
void vkt_check_validation(const char *what);
void vkt_validation_above(bool above);

/*
 * Provoke one error the validation layer must report (usage 0 in an image
 * format query), as a test that it is really there; not counted.
 */
void vkt_validation_selftest(struct vkt *t);

/* Select the layers of the next instances: ours or not, plus validation. */
void vkt_layers(bool with_layer);
/* The same, with layer @below (if not NULL) between ours and validation. */
void vkt_layers_with(bool with_layer, const char *below);
/*
 * Ours only, for instances whose calls other tests already validate (the
 * validation layer takes seconds to start in the VM); vkt_layers() again
 * to go back.
 */
void vkt_layers_unchecked(void);

struct vkt {
	VkInstance instance;
	VkDebugUtilsMessengerEXT messenger;
	VkPhysicalDevice pd;
	VkDevice device;
	VkQueue queue;
	uint32_t queue_family;
	VkCommandPool pool;
};

/*
 * vkt_instance() (harness): an instance with VK_EXT_debug_utils and
 * @exts, whose messenger counts the validation layer's messages.
 * vkt_device(): a device with @exts, one queue of a graphics family (or
 * else one that can copy) and a command pool.  0 on success; the VkResult
 * of the failing call otherwise.
 */
VkResult vkt_instance(struct vkt *t, uint32_t api_version,
		      const char *const *exts, uint32_t n);
VkResult vkt_device(struct vkt *t, const char *const *exts, uint32_t n);
void vkt_destroy(struct vkt *t);

/* @call, or tu_die() naming it and its result. */
#define VKT_CHECK(call) do {						\
	VkResult vkt_res_ = (call);					\
	if (vkt_res_ != VK_SUCCESS)					\
		tu_die("%s failed: %s (%d)", #call,			\
		       vkt_result_name(vkt_res_), vkt_res_);		\
} while (0)
/* The name of @res ("VK_ERROR_..."), or "VkResult" for one not listed. */
const char *vkt_result_name(VkResult res);

bool vkt_has_ext(const VkExtensionProperties *p, uint32_t n, const char *name);
/*
 * The extensions of @layer (NULL: the implementation's and the enabled
 * layers'), of device @pd or, for VK_NULL_HANDLE, of the instance: an
 * array of *@n to free(), and the VkResult of the enumeration in *@res
 * (NULL on failure).
 */
VkExtensionProperties *vkt_extensions(VkPhysicalDevice pd, const char *layer,
				      uint32_t *n, VkResult *res);
/* Whether the device (instance) extensions of @layer (NULL: all) list @name. */
bool vkt_device_has(VkPhysicalDevice pd, const char *layer, const char *name);
bool vkt_instance_has(const char *layer, const char *name);
/* Whether the loader finds instance layer @name. */
bool vkt_has_layer(const char *name);
/*
 * The NV capability answer for a 2D RGBA8 image, optimal tiling, of
 * @usage and handle type @type; VK_ERROR_EXTENSION_NOT_PRESENT if
 * vkGetPhysicalDeviceExternalImageFormatPropertiesNV is missing.
 */
VkResult vkt_nv_caps(struct vkt *t, VkImageUsageFlags usage,
		     VkExternalMemoryHandleTypeFlagsNV type,
		     VkExternalImageFormatPropertiesNV *p);
/* The first memory type of @bits with all of @want, or UINT32_MAX. */
uint32_t vkt_memory_type(struct vkt *t, uint32_t bits,
			 VkMemoryPropertyFlags want);

/*
 * Whether a 2D image as @want can be both exported and imported as the NV
 * handle type @want->type, by the answer of
 * vkGetPhysicalDeviceExternalImageFormatPropertiesNV (in *@p); if not,
 * why, in @why.
 */
struct vkt_share_want {
	VkFormat format;
	VkImageTiling tiling;
	VkImageUsageFlags usage;
	VkExternalMemoryHandleTypeFlagsNV type;
	uint32_t width, height;
};
bool vkt_nv_shareable(VkInstance instance, VkPhysicalDevice pd,
		      const struct vkt_share_want *want,
		      VkExternalImageFormatPropertiesNV *p, char *why,
		      size_t size);

/*
 * vkt_nv_program(): what an example does first: an instance of API 1.1
 * with VK_NV_external_memory_capabilities for the program @name (the
 * layer comes from the environment: VK_INSTANCE_LAYERS) and its first
 * physical device, whose name it prints as "device: NAME".  Dies with a
 * message naming what is missing.
 */
void vkt_nv_program(struct vkt *t, const char *name);

/*
 * vkt_nv_open(): an instance with VK_NV_external_memory_capabilities and
 * a device with @exts; 0 or the failing call's VkResult (nothing is left
 * open then).
 */
VkResult vkt_nv_open(struct vkt *t, uint32_t api_version,
		     const char *const *exts, uint32_t n);

/*
 * The creation parameters of a 2D RGBA8 image of @tiling with transfer
 * usage and chain @next; a buffer of @size with transfer usage (NULL
 * handle on failure).
 */
VkImageCreateInfo vkt_image_info(uint32_t width, uint32_t height,
				 VkImageTiling tiling, const void *next);
VkBuffer vkt_buffer(struct vkt *t, VkDeviceSize size, const void *next);

/*
 * A 2D RGBA8 image, optimal tiling, of @usage, made exportable (or
 * importable) as the NV handle types @types (0: a plain image).
 * VK_NULL_HANDLE on failure.
 */
VkImage vkt_nv_image(struct vkt *t, VkExternalMemoryHandleTypeFlagsNV types,
		     uint32_t width, uint32_t height, VkImageUsageFlags usage);
/*
 * A buffer of @size bytes for @usage, bound to memory of the type @pick
 * chooses among those the buffer allows (@bits; UINT32_MAX: none fits),
 * and mapped if @map.  @out: the memory, its type and the mapping.  VK_NULL_HANDLE (and nothing left) on failure.
 */
typedef uint32_t vkt_pick_type(struct vkt *t, uint32_t bits, void *arg);
struct vkt_buffer_memory {
	VkDeviceMemory memory;
	uint32_t type;
	void *map;
};
VkBuffer vkt_buffer_in(struct vkt *t, VkDeviceSize size,
		       VkBufferUsageFlags usage, vkt_pick_type *pick, void *arg,
		       bool map, struct vkt_buffer_memory *out);
/* A host-visible, coherent buffer of @size bytes, bound and mapped. */
VkBuffer vkt_host_buffer(struct vkt *t, VkDeviceSize size,
			 VkBufferUsageFlags usage, VkDeviceMemory *mem,
			 void **map);

/*
 * The picture of the two-process tests: a clear colour over the whole
 * image and a gradient copied into the rectangle VKT_PIC_{X,Y,W,H}.
 * vkt_picture() is the pixel at (x, y), as the bytes R, G, B, A of a
 * little-endian word.  vkt_draw_picture() draws it into @image (made with
 * TRANSFER_DST, at least as large as the rectangle) by GPU commands and
 * leaves the image in GENERAL, released to VK_QUEUE_FAMILY_EXTERNAL.
 */
#define VKT_PIC_X 16
#define VKT_PIC_Y 8
#define VKT_PIC_W 48
#define VKT_PIC_H 40
uint32_t vkt_picture(uint32_t x, uint32_t y);
VkResult vkt_draw_picture(struct vkt *t, VkImage image);
/*
 * How many pixels of @image (GENERAL, released by another process to
 * VK_QUEUE_FAMILY_EXTERNAL) differ from the picture, the first of them
 * shown as a TAP diagnostic after @what; -1 if it could not be read.
 */
int vkt_picture_mismatches(struct vkt *t, VkImage image, uint32_t width,
			   uint32_t height, const char *what);

/*
 * Clear @image (TRANSFER_DST usage, RGBA8) to @clear, copy the @size
 * texels @pixels (RGBA8, tightly packed) to @at, and hand the image over
 * in GENERAL, released to VK_QUEUE_FAMILY_EXTERNAL; waits for the queue.
 */
VkResult vkt_upload(struct vkt *t, VkImage image, const float clear[4],
		    const void *pixels, VkOffset2D at, VkExtent2D size);
/*
 * Acquire @image (GENERAL) from VK_QUEUE_FAMILY_EXTERNAL and copy its
 * @width x @height RGBA8 texels into @out; waits for the queue.
 */
VkResult vkt_read_back(struct vkt *t, VkImage image, uint32_t width,
		       uint32_t height, void *out);

/*
 * A one-time command buffer of the pool, begun (VK_NULL_HANDLE on
 * failure); its end, submission, wait for the queue and freeing.
 */
VkCommandBuffer vkt_begin(struct vkt *t);
/* The same with usage @flags instead of ONE_TIME_SUBMIT. */
VkCommandBuffer vkt_begin_flags(struct vkt *t, VkCommandBufferUsageFlags flags);
VkResult vkt_submit(struct vkt *t, VkCommandBuffer cb);

/* Live primeshare handles (debugfs stats), or -1 when not readable. */
long vkt_primeshare_handles(void);
/* dma-bufs of the system (debugfs dma_buf/bufinfo), or -1. */
long vkt_dmabuf_count(void);
/*
 * What file descriptor @fd is: the exporter name of a dma-buf
 * ("udmabuf", "drm", ...), or "" for something that is not a dma-buf.
 */
const char *vkt_fd_kind(int fd, char *buf, size_t size);

/*
 * The environment the tests run in (tests/layer/layer-vm-tests sets it in
 * the VM): LAYER_EXPECT_BACKEND, the backend the layer must choose
 * (default opaque-fd, the host's), and LAYER_EXPECT_KMT=1 where the KMT
 * types must be offered (/dev/primeshare present).
 */
const char *vkt_expected_backend(void);
bool vkt_expect_kmt(void);
/*
 * Two tests: the layer chose the expected backend, and offers the KMT types
 * exactly where expected, as it logs with PRIMESHARE_LAYER_DEBUG=1 in a
 * child process.  Call after vkt_layers() and before any Vulkan call.
 */
void vkt_check_backend(void);

/*
 * A compute pipeline over one storage image (set 0, binding 0, in
 * VK_IMAGE_LAYOUT_GENERAL, viewed as @format) with @push bytes of push
 * constants for the compute stage, from the SPIR-V @spv of @spv_size
 * bytes; dies on failure.  vkt_compute_bind() binds it and its image in
 * @cb.  vkt_compute_destroy() takes it apart (a zeroed one too).
 */
struct vkt_compute {
	VkImageView view;
	VkDescriptorSetLayout dsl;
	VkPipelineLayout layout;
	VkPipeline pipeline;
	VkDescriptorPool pool;
	VkDescriptorSet set;
};
void vkt_compute_init(struct vkt *t, struct vkt_compute *c, VkImage image,
		      VkFormat format, const uint32_t *spv, size_t spv_size,
		      uint32_t push);
void vkt_compute_bind(const struct vkt_compute *c, VkCommandBuffer cb);
void vkt_compute_destroy(struct vkt *t, struct vkt_compute *c);

/*
 * The ownership of @image, in VK_IMAGE_LAYOUT_GENERAL, taken from another
 * process (@acquire: a queue family transfer from VK_QUEUE_FAMILY_EXTERNAL
 * for the accesses @access) or given back to it.  @undefined, for an
 * acquire only: it starts from VK_IMAGE_LAYOUT_UNDEFINED and no queue
 * family, the first use of memory whose contents do not matter.
 */
void vkt_external_barrier(struct vkt *t, VkCommandBuffer cb, VkImage image,
			  bool acquire, bool undefined, VkAccessFlags access);

/*
 * Command buffers for an image shared with another process, recorded with
 * SIMULTANEOUS_USE (they are submitted again before this process has
 * seen their last run end): one begun and empty (dies on failure); and,
 * each between the ownership transfers of vkt_external_barrier(), the
 * image's first use, a clear to zero from
 * VK_IMAGE_LAYOUT_UNDEFINED; and a copy of its @width x @height texels
 * of 4 bytes into @buffer, made visible to the host.  Dies on failure.
 */
VkCommandBuffer vkt_begin_shared(struct vkt *t);
VkCommandBuffer vkt_shared_clear(struct vkt *t, VkImage image);
VkCommandBuffer vkt_shared_read(struct vkt *t, VkImage image, uint32_t width,
				uint32_t height, VkBuffer buffer);

/*
 * One submission of @cb between an acquire of @memory's keyed mutex with
 * @key (timeout @ms milliseconds) and a release with @release, by
 * VkWin32KeyedMutexAcquireReleaseInfoNV; @fence may be VK_NULL_HANDLE.
 * The device must have VK_NV_win32_keyed_mutex.
 */
VkResult vkt_km_submit(struct vkt *t, VkCommandBuffer cb,
		       VkDeviceMemory memory, uint64_t key, uint32_t ms,
		       uint64_t release, VkFence fence);

#endif /* VKT_H */
