/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Helpers of the layer tests: TAP output, and Vulkan instances and devices
 * with a debug messenger that counts what the validation layer reports.
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

#define VKT_LAYER PRIMESHARE_VULKAN_LAYER_NAME
#define VKT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* TAP */
void vkt_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vkt_skip(const char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vkt_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vkt_bail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
int vkt_done(void);

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

/* 0 on success; the VkResult of the failing call otherwise. */
VkResult vkt_instance(struct vkt *t, uint32_t api_version,
		      const char *const *exts, uint32_t n);
VkResult vkt_device(struct vkt *t, const char *const *exts, uint32_t n);
void vkt_destroy(struct vkt *t);

bool vkt_has_ext(const VkExtensionProperties *p, uint32_t n, const char *name);
uint32_t vkt_memory_type(struct vkt *t, uint32_t bits,
			 VkMemoryPropertyFlags want);

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
 * One message of @size bytes on a Unix socket, with up to VKT_MAX_FDS
 * descriptors (SCM_RIGHTS).  vkt_send: 0 or -1.  vkt_recv: the number of
 * descriptors that came (close-on-exec), or -1 when no whole message did
 * (any descriptors with it are closed).
 */
#define VKT_MAX_FDS 4
int vkt_send(int sock, const void *msg, size_t size, const int *fds, int nfds);
int vkt_recv(int sock, void *msg, size_t size, int *fds, int max);

VkCommandBuffer vkt_begin(struct vkt *t);
VkResult vkt_submit(struct vkt *t, VkCommandBuffer cb);

/* Open file descriptors of this process. */
int vkt_fd_count(void);
/* Mappings of this process (lines of /proc/self/maps). */
int vkt_map_count(void);
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

#endif /* VKT_H */
