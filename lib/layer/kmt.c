/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * The KMT handle types: primeshare global handles.
 *
 * VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV and
 * VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV name memory by a
 * 64-bit primeshare handle that any process allowed by the handle's mode
 * can import, with no file descriptor passed.  The layer asks libprimeshare
 * for them:
 *
 *   export  the memory's dma-buf (vkGetMemoryFdKHR on the dma-buf backend,
 *           the layer's own on prime) goes to primeshare_export(); the
 *           handle is made on the first vkGetMemoryWin32HandleNV() of each
 *           of the two types and returned again after that.  Its lifetime
 *           is "owned": it ends when the memory is freed, its device is
 *           destroyed or its process exits.  D3D11_IMAGE_KMT handles carry
 *           the bound image's description as their metadata (image.c).
 *   import  primeshare_import() gives a new dma-buf fd, which the backend
 *           imports like any other dma-buf.
 *
 * Access mode: owner only (0400) unless PRIMESHARE_LAYER_MODE gives another
 * mode in octal, made of the read bits 0400, 0040 and 0004 (0440: owner
 * and group, 0444: everyone in the IPC namespace).
 *
 * One primeshare session per VkDevice that may use the KMT types, opened
 * with the device (nvx_kmt_open) and closed with it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "primeshare.h"
#include "layer.h"

/* Room for an encoded description; nvx_kmt_export() fails if it is short. */
#define NVX_DESC_BUFFER 1024

static pthread_once_t nvx_mode_once = PTHREAD_ONCE_INIT;
static unsigned int nvx_mode = PRIMESHARE_MODE_OWNER;

static void nvx_mode_init(void)
{
	const char *env = getenv("PRIMESHARE_LAYER_MODE");
	unsigned long v;
	char *end;

	if (!env || !*env)
		return;
	errno = 0;
	v = strtoul(env, &end, 8);
	if (errno || *end || !v || (v & ~(unsigned long)PRIMESHARE_MODE_MASK)) {
		nvx_error("PRIMESHARE_LAYER_MODE=%s is not an octal mode of the bits 0400, 0040 and 0004; using 0400",
			  env);
		return;
	}
	nvx_mode = (unsigned int)v;
	nvx_debug("KMT handles get mode %04o (PRIMESHARE_LAYER_MODE)", nvx_mode);
}

/* nvx_kmt_mode() - the access mode of the KMT handles the layer makes. */
unsigned int nvx_kmt_mode(void)
{
	pthread_once(&nvx_mode_once, nvx_mode_init);
	return nvx_mode;
}

/*
 * nvx_kmt_probe() - the KMT types this process can have: none without a
 * usable /dev/primeshare or with a HANDLE too small for a 64-bit handle;
 * D3D11_IMAGE_KMT also needs metadata of a description's size.
 */
VkExternalMemoryHandleTypeFlagsNV nvx_kmt_probe(void)
{
	VkExternalMemoryHandleTypeFlagsNV types = 0;
	struct primeshare *ps;
	uint64_t features;
	int ret;

	if (sizeof(HANDLE) < sizeof(uint64_t)) {
		nvx_debug("KMT handle types: unavailable (a HANDLE cannot hold a 64-bit handle)");
		return 0;
	}
	ret = primeshare_open(&ps);
	if (ret) {
		nvx_debug("KMT handle types: unavailable (primeshare_open: %s)",
			  strerror(-ret));
		return 0;
	}
	features = primeshare_features(ps);
	if (features & PRIMESHARE_FEATURE_EXPORT)
		types |= VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV;
	if ((features & PRIMESHARE_FEATURE_EXPORT) &&
	    (features & PRIMESHARE_FEATURE_METADATA) &&
	    primeshare_limit(ps, PRIMESHARE_LIMIT_METADATA_SIZE) >=
	    (int64_t)nvx_desc_encode(NULL, NULL, 0))
		types |= VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV;
	primeshare_close(ps);
	nvx_debug("KMT handle types: 0x%x (/dev/primeshare features 0x%llx)",
		  types, (unsigned long long)features);
	return types;
}

static pthread_once_t nvx_km_once = PTHREAD_ONCE_INIT;
static bool nvx_km_available;

static void nvx_km_probe(void)
{
	struct primeshare *ps;

	if (primeshare_open(&ps))
		return;
	nvx_km_available = primeshare_features(ps) &
			   PRIMESHARE_FEATURE_KEYED_MUTEX;
	primeshare_close(ps);
}

/*
 * nvx_kmt_keyed_mutex() - whether /dev/primeshare has keyed mutexes
 * (primeshare.ko 1.2), which VK_NV_win32_keyed_mutex needs.
 */
bool nvx_kmt_keyed_mutex(void)
{
	pthread_once(&nvx_km_once, nvx_km_probe);
	return nvx_km_available;
}

/* The device's session, opened now if it is not yet.  Under dev->lock. */
static int nvx_kmt_session(struct nvx_device *dev)
{
	int ret;

	if (dev->ps)
		return 0;
	ret = primeshare_open(&dev->ps);
	if (ret)
		nvx_error("cannot open /dev/primeshare: %s", strerror(-ret));
	return ret;
}

/*
 * nvx_kmt_open() - open the session of a new device that may use the KMT
 * types, so that it is there from the start (and counted from the start
 * by a program watching its descriptors).
 */
void nvx_kmt_open(struct nvx_device *dev)
{
	pthread_mutex_lock(&dev->lock);
	nvx_kmt_session(dev);
	pthread_mutex_unlock(&dev->lock);
}

static int nvx_kmt_slot(VkExternalMemoryHandleTypeFlagsNV type)
{
	return type == VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV;
}

static const char *nvx_text(uint64_t handle, char *buf)
{
	if (primeshare_handle_format(handle, buf, PRIMESHARE_HANDLE_TEXT_SIZE) < 0)
		strcpy(buf, "?");
	return buf;
}

/* The dma-buf of @m as a new fd (dma-buf backend) or the layer's (prime). */
static VkResult nvx_kmt_dmabuf(struct nvx_device *dev, struct nvx_memory *m,
			       int *fd, bool *owned)
{
	VkMemoryGetFdInfoKHR info = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR,
		.memory = m->handle,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
	};

	if (m->dmabuf_fd >= 0) {
		*fd = m->dmabuf_fd;
		*owned = false;
		return VK_SUCCESS;
	}
	if (dev->physdev->backend != NVX_BACKEND_DMABUF ||
	    !dev->next.GetMemoryFdKHR)
		return VK_ERROR_OUT_OF_HOST_MEMORY;	/* not reached */
	*owned = true;
	return dev->next.GetMemoryFdKHR(dev->handle, &info, fd);
}

/*
 * nvx_kmt_export() - the KMT handle of type @type for memory @m, made on
 * the first request.
 */
VkResult nvx_kmt_export(struct nvx_device *dev, struct nvx_memory *m,
			VkExternalMemoryHandleTypeFlagsNV type, uint64_t *handle)
{
	unsigned char meta[NVX_DESC_BUFFER];
	char text[PRIMESHARE_HANDLE_TEXT_SIZE];
	int slot = nvx_kmt_slot(type), fd = -1, ret;
	struct nvx_image_desc desc;
	size_t meta_size = 0;
	VkImage image;
	VkDeviceSize offset;
	uint64_t made, other;
	VkResult res;
	bool owned;

	pthread_mutex_lock(&dev->lock);
	*handle = m->kmt[slot];
	image = m->image;
	offset = m->image_offset;
	ret = *handle ? 0 : nvx_kmt_session(dev);
	pthread_mutex_unlock(&dev->lock);
	if (*handle)
		return VK_SUCCESS;
	if (ret)
		return VK_ERROR_OUT_OF_HOST_MEMORY;

	if (slot) {
		if (!image) {
			nvx_error("vkGetMemoryWin32HandleNV: D3D11_IMAGE_KMT handle of memory 0x%llx, which no image is bound or dedicated to: bind the image first",
				  (unsigned long long)m->handle);
			return VK_ERROR_VALIDATION_FAILED_EXT;
		}
		res = nvx_image_describe(dev, image, offset, &desc);
		if (res != VK_SUCCESS)
			return res;
		meta_size = nvx_desc_encode(&desc, meta, sizeof(meta));
		if (!meta_size) {
			nvx_error("vkGetMemoryWin32HandleNV: the image description needs %zu bytes, more than the %d the layer has room for",
				  nvx_desc_encode(NULL, NULL, 0), NVX_DESC_BUFFER);
			return VK_ERROR_OUT_OF_HOST_MEMORY;
		}
	}

	res = nvx_kmt_dmabuf(dev, m, &fd, &owned);
	if (res != VK_SUCCESS)
		return res;
	/* With VK_NV_win32_keyed_mutex every KMT handle has a keyed mutex. */
	ret = primeshare_export2(dev->ps, fd, PRIMESHARE_LIFETIME_OWNED,
				 nvx_kmt_mode(), dev->nv_keyed_mutex ?
				 PRIMESHARE_EXPORT_FLAG_KEYED_MUTEX : 0,
				 meta_size ? meta : NULL, meta_size, &made);
	if (owned)
		close(fd);
	if (ret) {
		nvx_error("vkGetMemoryWin32HandleNV: primeshare_export: %s",
			  strerror(-ret));
		return ret == -ENOSPC || ret == -EMFILE ?
			VK_ERROR_TOO_MANY_OBJECTS : VK_ERROR_OUT_OF_HOST_MEMORY;
	}

	/* Another thread may have been quicker: keep one handle. */
	pthread_mutex_lock(&dev->lock);
	other = m->kmt[slot];
	if (!other)
		m->kmt[slot] = made;
	/* The memory's keyed mutex is its first handle's. */
	if (!other && dev->nv_keyed_mutex && !m->km_handle)
		m->km_handle = made;
	pthread_mutex_unlock(&dev->lock);
	if (other) {
		primeshare_release(dev->ps, made);
		made = other;
	}
	*handle = made;
	nvx_debug("vkGetMemoryWin32HandleNV: memory 0x%llx: KMT handle %s, mode %04o%s",
		  (unsigned long long)m->handle, nvx_text(made, text),
		  nvx_kmt_mode(), slot ? ", with the image description" : "");
	return VK_SUCCESS;
}

/* Whether @handle carries a keyed mutex (the description says so). */
static bool nvx_kmt_has_km(struct nvx_device *dev, uint64_t handle)
{
	struct primeshare_desc *d;
	bool has;

	if (primeshare_query(dev->ps, handle, &d))
		return false;
	has = primeshare_desc_has_keyed_mutex(d);
	primeshare_desc_free(d);
	return has;
}

/*
 * nvx_kmt_import() - open KMT handle @handle: a new dma-buf fd in @fd, its
 * size in @size, for D3D11_IMAGE_KMT the exporter's image description in
 * @desc (to free), and on a device with VK_NV_win32_keyed_mutex in
 * @km_handle the handle if it has a keyed mutex, else 0.
 */
VkResult nvx_kmt_import(struct nvx_device *dev, uint64_t handle,
			VkExternalMemoryHandleTypeFlagsNV type,
			struct nvx_image_desc **desc, uint64_t *size, int *fd,
			uint64_t *km_handle)
{
	unsigned char meta[NVX_DESC_BUFFER];
	char text[PRIMESHARE_HANDLE_TEXT_SIZE];
	size_t meta_size = sizeof(meta);
	bool want_desc = nvx_kmt_slot(type);
	int ret;

	*desc = NULL;
	pthread_mutex_lock(&dev->lock);
	ret = nvx_kmt_session(dev);
	pthread_mutex_unlock(&dev->lock);
	if (ret)
		return VK_ERROR_OUT_OF_HOST_MEMORY;

	ret = primeshare_import(dev->ps, handle, PRIMESHARE_IMPORT_FLAG_CLOEXEC,
				want_desc ? meta : NULL,
				want_desc ? &meta_size : NULL, size);
	if (ret < 0) {
		switch (ret) {
		case -ENOENT:
			nvx_error("vkAllocateMemory: KMT handle %s does not exist: never made, ended (an owned handle ends when its memory is freed or its process exits) or of another IPC namespace",
				  nvx_text(handle, text));
			return VK_ERROR_INVALID_EXTERNAL_HANDLE;
		case -EACCES:
			nvx_error("vkAllocateMemory: KMT handle %s: its mode does not let uid %u import it (the exporter sets PRIMESHARE_LAYER_MODE)",
				  nvx_text(handle, text), (unsigned int)geteuid());
			return VK_ERROR_INVALID_EXTERNAL_HANDLE;
		case -ERANGE:
			nvx_error("vkAllocateMemory: KMT handle %s: its metadata (%zu bytes) is not an image description of this layer",
				  nvx_text(handle, text), meta_size);
			return VK_ERROR_INVALID_EXTERNAL_HANDLE;
		case -EMFILE:
		case -ENFILE:
			nvx_error("vkAllocateMemory: KMT handle %s: no file descriptor left",
				  nvx_text(handle, text));
			return VK_ERROR_TOO_MANY_OBJECTS;
		case -ENOMEM:
			return VK_ERROR_OUT_OF_HOST_MEMORY;
		}
		nvx_error("vkAllocateMemory: KMT handle %s: primeshare_import: %s",
			  nvx_text(handle, text), strerror(-ret));
		return VK_ERROR_INVALID_EXTERNAL_HANDLE;
	}
	*fd = ret;
	*km_handle = dev->nv_keyed_mutex && nvx_kmt_has_km(dev, handle) ?
		     handle : 0;

	if (want_desc) {
		struct nvx_image_desc *d = malloc(sizeof(*d));

		if (!d) {
			close(*fd);
			return VK_ERROR_OUT_OF_HOST_MEMORY;
		}
		if (nvx_desc_decode(meta, meta_size, d)) {
			nvx_error("vkAllocateMemory: D3D11_IMAGE_KMT handle %s carries no image description of this layer (%zu bytes of metadata)",
				  nvx_text(handle, text), meta_size);
			free(d);
			close(*fd);
			return VK_ERROR_INVALID_EXTERNAL_HANDLE;
		}
		*desc = d;
	}
	nvx_debug("vkAllocateMemory: KMT handle %s: dma-buf fd %d of %llu bytes%s",
		  nvx_text(handle, text), *fd, (unsigned long long)*size,
		  want_desc ? ", with the image description" : "");
	return VK_SUCCESS;
}

/* nvx_kmt_release() - end the KMT handles made for @m. */
void nvx_kmt_release(struct nvx_device *dev, struct nvx_memory *m)
{
	char text[PRIMESHARE_HANDLE_TEXT_SIZE];

	for (size_t i = 0; i < NVX_ARRAY_SIZE(m->kmt); i++) {
		int ret;

		if (!m->kmt[i])
			continue;
		ret = dev->ps ? primeshare_release(dev->ps, m->kmt[i]) : -EBADF;
		if (ret)
			nvx_error("vkFreeMemory: releasing KMT handle %s: %s",
				  nvx_text(m->kmt[i], text), strerror(-ret));
		else
			nvx_debug("vkFreeMemory: KMT handle %s released",
				  nvx_text(m->kmt[i], text));
		m->kmt[i] = 0;
	}
}

/* nvx_kmt_close() - end the device's session (and any handle left). */
void nvx_kmt_close(struct nvx_device *dev)
{
	if (dev->ps)
		primeshare_close(dev->ps);
	dev->ps = NULL;
}
