/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * VK_LAYER_PRIMESHARE_nv_external_memory: internal declarations.
 *
 * The layer implements VK_NV_external_memory_capabilities,
 * VK_NV_external_memory and VK_NV_external_memory_win32 on top of the
 * driver's KHR external memory, choosing a backend per physical device.
 * Nothing here leaves the shared object except the loader entry points
 * defined in layer.c.
 */
#ifndef PRIMESHARE_LAYER_H
#define PRIMESHARE_LAYER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* The layer calls nothing by its exported name, only through pointers. */
#define VK_NO_PROTOTYPES
#include "primeshare_vulkan_nv.h"
#include <vulkan/vk_layer.h>

#define NVX_LAYER_NAME "VK_LAYER_PRIMESHARE_nv_external_memory"

#define NVX_NV_FD_TYPES (VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV | \
			 VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_BIT_NV)
#define NVX_NV_KMT_TYPES (VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV | \
			  VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV)
#define NVX_NV_ALL_TYPES (NVX_NV_FD_TYPES | NVX_NV_KMT_TYPES)

#define NVX_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Logging: nvx_debug() only with PRIMESHARE_LAYER_DEBUG=1, nvx_error() always. */
bool nvx_debug_enabled(void);
void nvx_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define nvx_debug(...) do { if (nvx_debug_enabled()) nvx_log(__VA_ARGS__); } while (0)
#define nvx_error(...) nvx_log(__VA_ARGS__)

enum nvx_backend {
	NVX_BACKEND_NONE,
	NVX_BACKEND_DMABUF,
	NVX_BACKEND_PRIME,
	NVX_BACKEND_OPAQUE_FD,
};

const char *nvx_backend_name(enum nvx_backend backend);

/* What one physical device offers, gathered once from the driver. */
struct nvx_physdev {
	VkPhysicalDevice handle;
	uint32_t api_version;		/* min(instance, driver) */
	VkExtensionProperties *exts;	/* the driver's device extensions */
	uint32_t ext_count;
	bool native_nv;			/* the driver implements the whole NV family */
	bool native_nv_memory;		/* ... and VK_NV_external_memory */
	bool native_nv_win32;		/* ... and VK_NV_external_memory_win32 */
	bool has_ext_memory;		/* VK_KHR_external_memory */
	bool has_ext_memory_fd;		/* VK_KHR_external_memory_fd */
	bool has_dma_buf;		/* VK_EXT_external_memory_dma_buf */
	bool has_host;			/* VK_EXT_external_memory_host */
	bool has_dedicated;		/* VK_KHR_dedicated_allocation */
	bool has_mem_req2;		/* VK_KHR_get_memory_requirements2 */
	bool has_bind2;			/* VK_KHR_bind_memory2 or 1.1 */
	bool has_uuids;			/* the two UUIDs below are known */
	uint8_t driver_uuid[VK_UUID_SIZE];
	uint8_t device_uuid[VK_UUID_SIZE];
	/* prime: minImportedHostPointerAlignment, and the DRM node used. */
	VkDeviceSize host_align;
	char drm_node[64];
	enum nvx_backend backend;
	/* The KHR handle type the backend uses for the NV types, or 0. */
	VkExternalMemoryHandleTypeFlagBits khr_type;
	/* The NV types the backend can carry at all (KMT needs primeshare). */
	VkExternalMemoryHandleTypeFlagsNV nv_types;
};

struct nvx_instance {
	VkInstance handle;
	uint32_t api_version;		/* the application's, 1.0 if none */
	bool nv_caps_enabled;		/* the application enabled the NV caps */
	bool nv_caps_down;		/* ... and the name was passed down */
	bool khr_caps2;			/* ImageFormatProperties2 usable */
	/* Instance extensions the layer enabled below, not the app. */
	const char *added[2];
	unsigned int nadded;

	struct {
		PFN_vkGetInstanceProcAddr GetInstanceProcAddr;
		PFN_vkDestroyInstance DestroyInstance;
		PFN_vkEnumerateDeviceExtensionProperties
			EnumerateDeviceExtensionProperties;
		PFN_vkGetPhysicalDeviceProperties GetPhysicalDeviceProperties;
		PFN_vkGetPhysicalDeviceProperties2 GetPhysicalDeviceProperties2;
		PFN_vkGetPhysicalDeviceImageFormatProperties
			GetPhysicalDeviceImageFormatProperties;
		PFN_vkGetPhysicalDeviceImageFormatProperties2
			GetPhysicalDeviceImageFormatProperties2;
		PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV
			GetPhysicalDeviceExternalImageFormatPropertiesNV;
		PFN_vkGetPhysicalDeviceExternalBufferProperties
			GetPhysicalDeviceExternalBufferProperties;
	} next;

	pthread_mutex_t lock;		/* protects physdevs */
	struct nvx_physdev *physdevs;
	uint32_t physdev_count;
};

struct nvx_memory;
struct nvx_image;
struct nvx_km;
struct nvx_track;

#define NVX_TRACK_BUCKETS 256
#define NVX_EXTERNAL_ANSWERS 64

/* Whether images of these parameters can be external (external.c). */
struct nvx_external_answer {
	uint32_t format, type, tiling, usage, flags;
	bool known, external;
};
struct primeshare;

struct nvx_device {
	VkDevice handle;
	struct nvx_instance *instance;
	const struct nvx_physdev *physdev;
	bool nv_memory;			/* layer implements VK_NV_external_memory */
	bool nv_win32;			/* ... and VK_NV_external_memory_win32 */
	/*
	 * ... VK_NV_dedicated_allocation.  Wherever the layer hooks a
	 * device (nv_memory or nv_dedicated) it takes the NV dedicated
	 * structures out and translates them.
	 */
	bool nv_dedicated;
	bool nv_keyed_mutex;		/* ... and VK_NV_win32_keyed_mutex */
	bool khr_dedicated;		/* VkMemoryDedicatedAllocateInfo usable */
	/* Device extensions the layer enabled below, not the app. */
	const char *added[8];
	unsigned int nadded;

	struct {
		PFN_vkGetDeviceProcAddr GetDeviceProcAddr;
		PFN_vkDestroyDevice DestroyDevice;
		PFN_vkCreateImage CreateImage;
		PFN_vkDestroyImage DestroyImage;
		PFN_vkCreateBuffer CreateBuffer;
		PFN_vkDestroyBuffer DestroyBuffer;
		PFN_vkBindBufferMemory BindBufferMemory;
		PFN_vkBindBufferMemory2 BindBufferMemory2;
		PFN_vkBindBufferMemory2 BindBufferMemory2KHR;
		PFN_vkAllocateMemory AllocateMemory;
		PFN_vkFreeMemory FreeMemory;
		PFN_vkBindImageMemory BindImageMemory;
		PFN_vkBindImageMemory2 BindImageMemory2;
		PFN_vkBindImageMemory2 BindImageMemory2KHR;
		PFN_vkGetImageMemoryRequirements GetImageMemoryRequirements;
		PFN_vkGetBufferMemoryRequirements GetBufferMemoryRequirements;
		PFN_vkGetImageSubresourceLayout GetImageSubresourceLayout;
		PFN_vkGetImageDrmFormatModifierPropertiesEXT
			GetImageDrmFormatModifierPropertiesEXT;
		PFN_vkGetMemoryFdKHR GetMemoryFdKHR;
		PFN_vkGetMemoryHostPointerPropertiesEXT
			GetMemoryHostPointerPropertiesEXT;
		PFN_vkCmdPipelineBarrier CmdPipelineBarrier;
		PFN_vkQueueSubmit QueueSubmit;
		PFN_vkQueueSubmit2 QueueSubmit2;
		PFN_vkQueueSubmit2 QueueSubmit2KHR;
		PFN_vkCreateFence CreateFence;
		PFN_vkDestroyFence DestroyFence;
		PFN_vkWaitForFences WaitForFences;
		PFN_vkResetFences ResetFences;
	} next;

	pthread_mutex_t lock;		/* protects memories, images, ps */
	struct nvx_memory *memories;	/* allocations the layer shares */
	struct nvx_image *images;	/* images made with NV external memory */
	/* Other objects the layer remembers (track.c): a hash table. */
	struct nvx_track *tracks[NVX_TRACK_BUCKETS];
	_Atomic unsigned int ntracks;
	struct nvx_external_answer external_answers[NVX_EXTERNAL_ANSWERS];
	struct primeshare *ps;		/* KMT: the session, opened on first use */
	struct nvx_km *km;		/* keyed mutexes: the release thread */
	int drm_fd;			/* prime: the dumb buffer node, or -1 */
};

/*
 * An allocation the layer shares: exportable through
 * VkExportMemoryAllocateInfoNV, or imported through
 * VkImportMemoryWin32HandleInfoNV.  Fields after @handle change only under
 * the device's lock.
 */
struct nvx_memory {
	struct nvx_memory *next;
	VkDeviceMemory handle;
	VkExternalMemoryHandleTypeFlagsNV export_types;
	VkDeviceSize size;		/* allocationSize passed down */
	/* prime: the dma-buf, and its mapping imported as host memory. */
	int dmabuf_fd;
	void *map;
	size_t map_size;
	/* KMT handles made for this memory: OPAQUE_WIN32_KMT, D3D11_IMAGE_KMT. */
	uint64_t kmt[2];
	/* The image bound to the memory (or dedicated to it), for D3D11. */
	VkImage image;
	VkDeviceSize image_offset;
	/* Imported with a D3D11_IMAGE_KMT handle: the exporter's image. */
	struct nvx_image_desc *import_desc;
	/* The KMT handle whose keyed mutex is this memory's, or 0. */
	uint64_t km_handle;
};

/*
 * The description of a shared image stored with D3D11_IMAGE_KMT handles
 * (image.c).  It travels as a little-endian byte string of
 * NVX_DESC_WIRE_SIZE bytes (see image.c for the layout).
 */
#define NVX_DESC_MAX_PLANES 4

struct nvx_plane_layout {
	uint64_t offset, size, row_pitch, array_pitch, depth_pitch;
};

struct nvx_image_desc {
	uint32_t format, type, tiling, usage, flags, samples;
	uint32_t width, height, depth, mip_levels, array_layers;
	uint32_t plane_count;		/* layouts known, 0 for OPTIMAL */
	uint64_t drm_modifier;		/* DRM_FORMAT_MOD_INVALID: unknown */
	uint64_t memory_offset;		/* where the image is bound */
	uint64_t memory_size;		/* the image's memory requirement */
	uint8_t driver_uuid[VK_UUID_SIZE];
	uint8_t device_uuid[VK_UUID_SIZE];
	struct nvx_plane_layout planes[NVX_DESC_MAX_PLANES];
};

/* Whether @v has exactly one bit set (one handle type). */
static inline bool nvx_single_bit(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* map.c: dispatchable handle -> layer object, keyed by dispatch key. */
static inline void *nvx_key(const void *dispatchable)
{
	return *(void *const *)dispatchable;
}

int nvx_map_insert(void *key, void *object);
void *nvx_map_lookup(void *key);
void *nvx_map_remove(void *key);

static inline struct nvx_instance *nvx_instance_from(const void *handle)
{
	return nvx_map_lookup(nvx_key(handle));
}

static inline struct nvx_device *nvx_device_from(const void *handle)
{
	return nvx_map_lookup(nvx_key(handle));
}

/* backend.c */
const struct nvx_physdev *nvx_physdev_get(struct nvx_instance *inst,
					  VkPhysicalDevice pd);
void nvx_physdevs_free(struct nvx_instance *inst);
bool nvx_has_extension(const VkExtensionProperties *props, uint32_t count,
		       const char *name);

/* caps.c */
VKAPI_ATTR VkResult VKAPI_CALL nvx_GetPhysicalDeviceExternalImageFormatPropertiesNV(
	VkPhysicalDevice physicalDevice, VkFormat format, VkImageType type,
	VkImageTiling tiling, VkImageUsageFlags usage, VkImageCreateFlags flags,
	VkExternalMemoryHandleTypeFlagsNV externalHandleType,
	VkExternalImageFormatPropertiesNV *pExternalImageFormatProperties);
VkExternalMemoryFeatureFlagsNV nvx_features_to_nv(const struct nvx_physdev *pd,
						  VkExternalMemoryFeatureFlags f);
VkExternalMemoryHandleTypeFlagsNV nvx_types_to_nv(const struct nvx_physdev *pd,
						  VkExternalMemoryHandleTypeFlags t);

/* memory.c */
VKAPI_ATTR VkResult VKAPI_CALL nvx_AllocateMemory(VkDevice device,
	const VkMemoryAllocateInfo *pAllocateInfo,
	const VkAllocationCallbacks *pAllocator, VkDeviceMemory *pMemory);
VKAPI_ATTR void VKAPI_CALL nvx_FreeMemory(VkDevice device, VkDeviceMemory memory,
	const VkAllocationCallbacks *pAllocator);
VKAPI_ATTR VkResult VKAPI_CALL nvx_GetMemoryWin32HandleNV(VkDevice device,
	VkDeviceMemory memory, VkExternalMemoryHandleTypeFlagsNV handleType,
	HANDLE *pHandle);
struct nvx_memory *nvx_memory_find(struct nvx_device *dev, VkDeviceMemory memory);
void nvx_device_forget_memories(struct nvx_device *dev);

/* image.c: the images made with NV external memory, and their binding. */
bool nvx_image_known(struct nvx_device *dev, VkImage image);
void nvx_device_forget_images(struct nvx_device *dev);
VkResult nvx_image_describe(struct nvx_device *dev, VkImage image,
			    VkDeviceSize offset, struct nvx_image_desc *desc);
size_t nvx_desc_encode(const struct nvx_image_desc *desc, void *buf, size_t size);
int nvx_desc_decode(const void *buf, size_t size, struct nvx_image_desc *desc);
VkResult nvx_desc_check(struct nvx_device *dev, const struct nvx_image_desc *want,
			VkImage image, VkDeviceSize offset, const char *where);
VKAPI_ATTR VkResult VKAPI_CALL nvx_CreateImage(VkDevice device,
	const VkImageCreateInfo *pCreateInfo,
	const VkAllocationCallbacks *pAllocator, VkImage *pImage);
VKAPI_ATTR void VKAPI_CALL nvx_DestroyImage(VkDevice device, VkImage image,
	const VkAllocationCallbacks *pAllocator);
VKAPI_ATTR VkResult VKAPI_CALL nvx_BindImageMemory(VkDevice device,
	VkImage image, VkDeviceMemory memory, VkDeviceSize memoryOffset);
VKAPI_ATTR VkResult VKAPI_CALL nvx_BindImageMemory2(VkDevice device,
	uint32_t bindInfoCount, const VkBindImageMemoryInfo *pBindInfos);
VKAPI_ATTR VkResult VKAPI_CALL nvx_BindImageMemory2KHR(VkDevice device,
	uint32_t bindInfoCount, const VkBindImageMemoryInfo *pBindInfos);

/* track.c: objects remembered beyond the records of memory and images. */
enum nvx_track_kind {
	NVX_TRACK_UNSHAREABLE_IMAGE,	/* could not be made external */
	NVX_TRACK_UNSHAREABLE_BUFFER,
	NVX_TRACK_DEDICATED_IMAGE,	/* dedicatedAllocation VK_TRUE */
	NVX_TRACK_DEDICATED_BUFFER,
	NVX_TRACK_DEDICATED_MEMORY,	/* VkDedicatedAllocationMemory...NV */
};

void nvx_track_add(struct nvx_device *dev, enum nvx_track_kind kind,
		   uint64_t handle, uint64_t object, bool object_buffer);
bool nvx_track_find(struct nvx_device *dev, enum nvx_track_kind kind,
		    uint64_t handle, uint64_t *object, bool *object_buffer);
void nvx_track_forget(struct nvx_device *dev, enum nvx_track_kind kind,
		      uint64_t handle);
void nvx_device_forget_tracks(struct nvx_device *dev);

/* dedicated.c: VK_NV_dedicated_allocation where the driver lacks it. */
void nvx_dedicated_note(struct nvx_device *dev, uint64_t handle, bool buffer,
			const void *chain);
VkResult nvx_dedicated_alloc_check(struct nvx_device *dev,
	const VkMemoryAllocateInfo *ai,
	const VkDedicatedAllocationMemoryAllocateInfoNV *d);
void nvx_dedicated_alloc_note(struct nvx_device *dev, VkDeviceMemory memory,
	const VkDedicatedAllocationMemoryAllocateInfoNV *d);
VkResult nvx_dedicated_bind_check(struct nvx_device *dev, uint64_t handle,
				  bool buffer, VkDeviceMemory memory,
				  VkDeviceSize offset, const char *where);

/* external.c: plain images and buffers made external for shared memory. */
VkResult nvx_image_plain(struct nvx_device *dev, const VkImageCreateInfo *ci,
			 const VkAllocationCallbacks *alloc, VkImage *image);
VkResult nvx_bind_external_check(struct nvx_device *dev, uint64_t handle,
				 bool buffer, VkDeviceMemory memory,
				 const char *where);
VKAPI_ATTR VkResult VKAPI_CALL nvx_CreateBuffer(VkDevice device,
	const VkBufferCreateInfo *pCreateInfo,
	const VkAllocationCallbacks *pAllocator, VkBuffer *pBuffer);
VKAPI_ATTR void VKAPI_CALL nvx_DestroyBuffer(VkDevice device, VkBuffer buffer,
	const VkAllocationCallbacks *pAllocator);
VKAPI_ATTR VkResult VKAPI_CALL nvx_BindBufferMemory(VkDevice device,
	VkBuffer buffer, VkDeviceMemory memory, VkDeviceSize memoryOffset);
VKAPI_ATTR VkResult VKAPI_CALL nvx_BindBufferMemory2(VkDevice device,
	uint32_t bindInfoCount, const VkBindBufferMemoryInfo *pBindInfos);
VKAPI_ATTR VkResult VKAPI_CALL nvx_BindBufferMemory2KHR(VkDevice device,
	uint32_t bindInfoCount, const VkBindBufferMemoryInfo *pBindInfos);

/* handover.c: the layout warning, with PRIMESHARE_LAYER_DEBUG=1 only. */
VKAPI_ATTR void VKAPI_CALL nvx_CmdPipelineBarrier(VkCommandBuffer cb,
	VkPipelineStageFlags srcStageMask, VkPipelineStageFlags dstStageMask,
	VkDependencyFlags dependencyFlags, uint32_t memoryBarrierCount,
	const VkMemoryBarrier *pMemoryBarriers,
	uint32_t bufferMemoryBarrierCount,
	const VkBufferMemoryBarrier *pBufferMemoryBarriers,
	uint32_t imageMemoryBarrierCount,
	const VkImageMemoryBarrier *pImageMemoryBarriers);

/* kmt.c: the KMT handle types, over libprimeshare. */
VkExternalMemoryHandleTypeFlagsNV nvx_kmt_probe(void);
unsigned int nvx_kmt_mode(void);
VkResult nvx_kmt_export(struct nvx_device *dev, struct nvx_memory *m,
			VkExternalMemoryHandleTypeFlagsNV type, uint64_t *handle);
VkResult nvx_kmt_import(struct nvx_device *dev, uint64_t handle,
			VkExternalMemoryHandleTypeFlagsNV type,
			struct nvx_image_desc **desc, uint64_t *size, int *fd,
			uint64_t *km_handle);
bool nvx_kmt_keyed_mutex(void);
void nvx_kmt_release(struct nvx_device *dev, struct nvx_memory *m);
void nvx_kmt_open(struct nvx_device *dev);
void nvx_kmt_close(struct nvx_device *dev);

/* keyed_mutex.c: VK_NV_win32_keyed_mutex over primeshare's keyed mutexes. */
int nvx_km_init(struct nvx_device *dev);
void nvx_km_fini(struct nvx_device *dev);
VKAPI_ATTR VkResult VKAPI_CALL nvx_QueueSubmit(VkQueue queue,
	uint32_t submitCount, const VkSubmitInfo *pSubmits, VkFence fence);
VKAPI_ATTR VkResult VKAPI_CALL nvx_QueueSubmit2(VkQueue queue,
	uint32_t submitCount, const VkSubmitInfo2 *pSubmits, VkFence fence);
VKAPI_ATTR VkResult VKAPI_CALL nvx_QueueSubmit2KHR(VkQueue queue,
	uint32_t submitCount, const VkSubmitInfo2 *pSubmits, VkFence fence);

/* prime.c: dumb buffers as dma-bufs, mapped and imported as host memory. */
int nvx_prime_find_node(char *path, size_t size);
int nvx_prime_open(const struct nvx_physdev *pd);
VkResult nvx_prime_alloc(struct nvx_device *dev, VkDeviceSize size,
			 struct nvx_memory *m);
VkResult nvx_prime_map(struct nvx_device *dev, int fd, VkDeviceSize size,
		       struct nvx_memory *m);
void nvx_prime_unmap(struct nvx_memory *m);

/* chain.c: edit a const pNext chain without touching the caller's structs. */
struct nvx_chain {
	/* Copies of the structures kept, 16-byte aligned, @used bytes. */
	_Alignas(16) unsigned char bytes[4096];
	size_t used;
	VkBaseOutStructure *head;	/* the copied top-level structure */
};

const void *nvx_chain_find(const void *chain, VkStructureType type);
void nvx_chain_copy(struct nvx_chain *c, const void *top, size_t top_size,
		    const VkStructureType *drop, unsigned int ndrop);
void nvx_chain_insert(struct nvx_chain *c, void *st);

#endif /* PRIMESHARE_LAYER_H */
