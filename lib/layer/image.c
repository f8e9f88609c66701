/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Images made with VkExternalMemoryImageCreateInfoNV, what they are bound
 * to, and their descriptions.
 *
 * A D3D11_IMAGE_KMT handle carries, as its primeshare metadata, the
 * description of the image bound to the memory when the handle was made:
 * its creation parameters, where it is bound, and how its memory is laid
 * out as far as the driver tells (the DRM format modifier and the plane
 * layouts of linear and modifier images; for optimal tiling, whose layout
 * only the driver knows, its driver and device UUIDs and its size).  The
 * importer's image is checked against it when the memory is allocated for
 * it (a dedicated allocation: VK_ERROR_INVALID_EXTERNAL_HANDLE) or bound to
 * it (vkBindImageMemory*: VK_ERROR_VALIDATION_FAILED_EXT, the answer a layer
 * gives to invalid use, as vkBindImageMemory has no code for a bad handle).
 * Either way nothing reaches the driver and a message says which parameter
 * differs.
 *
 * The fd handle type D3D11_IMAGE has no place for a description: its
 * imports are not checked.
 *
 * The description travels as NVX_DESC_WIRE_SIZE bytes, every number
 * little-endian:
 *
 *   0    u32  magic 0x44495350 ("PSID")
 *   4    u16  version (1)
 *   6    u16  length of the whole description in bytes (272)
 *   8    u32  format, type, tiling, usage, flags, samples, width, height,
 *             depth, mipLevels, arrayLayers, number of plane layouts
 *   56   u64  DRM format modifier (DRM_FORMAT_MOD_INVALID when unknown),
 *             offset of the image in the memory, its memory requirement
 *   80   16 bytes driverUUID, 16 bytes deviceUUID (zero when unknown)
 *   112  4 x (u64 offset, size, rowPitch, arrayPitch, depthPitch)
 *
 * A later version may only append fields; a reader of version 1 reads the
 * first 272 bytes of any version.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "layer.h"

#define NVX_DESC_MAGIC 0x44495350u
#define NVX_DESC_VERSION 1

struct nvx_image {
	struct nvx_image *next;
	VkImage handle;
	VkImageCreateInfo ci;		/* pNext and queue families cleared */
	VkExternalMemoryHandleTypeFlagsNV types;
};

static void nvx_image_remember(struct nvx_device *dev, VkImage image,
			       const VkImageCreateInfo *ci,
			       VkExternalMemoryHandleTypeFlagsNV types)
{
	struct nvx_image *img = calloc(1, sizeof(*img));

	if (!img)
		return;
	img->handle = image;
	img->ci = *ci;
	img->ci.pNext = NULL;
	img->ci.queueFamilyIndexCount = 0;
	img->ci.pQueueFamilyIndices = NULL;
	img->types = types;
	pthread_mutex_lock(&dev->lock);
	img->next = dev->images;
	dev->images = img;
	pthread_mutex_unlock(&dev->lock);
}

/* The record of @image, or NULL.  Under dev->lock. */
static struct nvx_image *nvx_image_find(struct nvx_device *dev, VkImage image)
{
	struct nvx_image *img;

	for (img = dev->images; img; img = img->next)
		if (img->handle == image)
			return img;
	return NULL;
}

bool nvx_image_known(struct nvx_device *dev, VkImage image)
{
	bool found;

	pthread_mutex_lock(&dev->lock);
	found = nvx_image_find(dev, image);
	pthread_mutex_unlock(&dev->lock);
	return found;
}

void nvx_device_forget_images(struct nvx_device *dev)
{
	struct nvx_image *img, *next;

	for (img = dev->images; img; img = next) {
		next = img->next;
		free(img);
	}
	dev->images = NULL;
}

/* A device with only VK_NV_dedicated_allocation by the layer. */
static VkResult nvx_create_dedicated_only(struct nvx_device *dev,
					  const VkImageCreateInfo *ci,
					  const VkAllocationCallbacks *alloc,
					  VkImage *image)
{
	static const VkStructureType drop =
		VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_IMAGE_CREATE_INFO_NV;
	struct nvx_chain chain;

	if (!nvx_chain_find(ci->pNext, drop))
		return dev->next.CreateImage(dev->handle, ci, alloc, image);
	nvx_chain_copy(&chain, ci, sizeof(*ci), &drop, 1);
	return dev->next.CreateImage(dev->handle,
				     (const VkImageCreateInfo *)chain.head,
				     alloc, image);
}

static VkResult nvx_create_image(struct nvx_device *dev,
				 const VkImageCreateInfo *pCreateInfo,
				 const VkAllocationCallbacks *pAllocator,
				 VkImage *pImage)
{
	VkDevice device = dev->handle;
	VkExternalMemoryImageCreateInfo khr = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO,
	};
	VkStructureType drop[2];
	const VkExternalMemoryImageCreateInfoNV *nv;
	const void *nv_dedicated = NULL, *khr_app;
	const struct nvx_physdev *pd;
	struct nvx_chain chain;
	unsigned int ndrop = 0;
	VkResult res;

	if (!dev->nv_memory)
		return nvx_create_dedicated_only(dev, pCreateInfo, pAllocator,
						 pImage);
	pd = dev->physdev;
	nv = nvx_chain_find(pCreateInfo->pNext,
			    VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV);
	nv_dedicated = nvx_chain_find(pCreateInfo->pNext,
		VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_IMAGE_CREATE_INFO_NV);
	khr_app = nvx_chain_find(pCreateInfo->pNext,
				 VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO);
	if (!nv && !nv_dedicated)
		return khr_app ? dev->next.CreateImage(device, pCreateInfo,
						       pAllocator, pImage) :
				 nvx_image_plain(dev, pCreateInfo, pAllocator,
						 pImage);

	if (nv && nvx_chain_find(pCreateInfo->pNext,
				 VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO)) {
		nvx_error("vkCreateImage: VkExternalMemoryImageCreateInfoNV and VkExternalMemoryImageCreateInfo in one chain (VUID-VkImageCreateInfo-pNext-00988)");
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	if (nv && (nv->handleTypes & ~pd->nv_types)) {
		nvx_error("vkCreateImage: handle types 0x%x are not compatible handle types here (backend %s carries 0x%x) (VUID-VkImageCreateInfo-pNext-00991)",
			  nv->handleTypes, nvx_backend_name(pd->backend),
			  pd->nv_types);
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}

	if (nv)
		drop[ndrop++] = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV;
	if (nv_dedicated)
		drop[ndrop++] = VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_IMAGE_CREATE_INFO_NV;
	nvx_chain_copy(&chain, pCreateInfo, sizeof(*pCreateInfo), drop, ndrop);
	/* No NV handle types: a plain image, external if it can be. */
	if ((!nv || !nv->handleTypes) && !khr_app)
		return nvx_image_plain(dev, (const VkImageCreateInfo *)chain.head,
				       pAllocator, pImage);
	if (nv && nv->handleTypes) {
		khr.handleTypes = pd->khr_type;
		nvx_chain_insert(&chain, &khr);
	}
	res = dev->next.CreateImage(device,
				    (const VkImageCreateInfo *)chain.head,
				    pAllocator, pImage);
	if (res == VK_SUCCESS && nv && nv->handleTypes)
		nvx_image_remember(dev, *pImage, pCreateInfo, nv->handleTypes);
	return res;
}

VKAPI_ATTR VkResult VKAPI_CALL nvx_CreateImage(VkDevice device,
	const VkImageCreateInfo *pCreateInfo,
	const VkAllocationCallbacks *pAllocator, VkImage *pImage)
{
	struct nvx_device *dev = nvx_device_from(device);
	VkResult res;

	if (!dev)
		return VK_ERROR_INITIALIZATION_FAILED;
	if (!dev->nv_memory && !dev->nv_dedicated)
		return dev->next.CreateImage(device, pCreateInfo, pAllocator,
					     pImage);
	res = nvx_create_image(dev, pCreateInfo, pAllocator, pImage);
	if (res == VK_SUCCESS)
		nvx_dedicated_note(dev, (uint64_t)*pImage, false,
				   pCreateInfo->pNext);
	return res;
}

VKAPI_ATTR void VKAPI_CALL nvx_DestroyImage(VkDevice device, VkImage image,
	const VkAllocationCallbacks *pAllocator)
{
	struct nvx_device *dev = nvx_device_from(device);
	struct nvx_image **p, *gone = NULL;
	struct nvx_memory *m;

	if (!dev)
		return;
	if (image) {
		pthread_mutex_lock(&dev->lock);
		for (p = &dev->images; *p; p = &(*p)->next) {
			if ((*p)->handle == image) {
				gone = *p;
				*p = gone->next;
				break;
			}
		}
		/* A handle made later must not describe a dead image. */
		for (m = dev->memories; gone && m; m = m->next)
			if (m->image == image)
				m->image = VK_NULL_HANDLE;
		pthread_mutex_unlock(&dev->lock);
		free(gone);
	}
	nvx_track_forget(dev, NVX_TRACK_UNSHAREABLE_IMAGE, (uint64_t)image);
	nvx_track_forget(dev, NVX_TRACK_DEDICATED_IMAGE, (uint64_t)image);
	dev->next.DestroyImage(device, image, pAllocator);
}

/* Planes of a multi-planar format (VK_KHR_sampler_ycbcr_conversion), or 1. */
static uint32_t nvx_format_planes(VkFormat f)
{
	switch (f) {
	case VK_FORMAT_G8_B8_R8_3PLANE_420_UNORM:
	case VK_FORMAT_G8_B8_R8_3PLANE_422_UNORM:
	case VK_FORMAT_G8_B8_R8_3PLANE_444_UNORM:
	case VK_FORMAT_G10X6_B10X6_R10X6_3PLANE_420_UNORM_3PACK16:
	case VK_FORMAT_G10X6_B10X6_R10X6_3PLANE_422_UNORM_3PACK16:
	case VK_FORMAT_G10X6_B10X6_R10X6_3PLANE_444_UNORM_3PACK16:
	case VK_FORMAT_G12X4_B12X4_R12X4_3PLANE_420_UNORM_3PACK16:
	case VK_FORMAT_G12X4_B12X4_R12X4_3PLANE_422_UNORM_3PACK16:
	case VK_FORMAT_G12X4_B12X4_R12X4_3PLANE_444_UNORM_3PACK16:
	case VK_FORMAT_G16_B16_R16_3PLANE_420_UNORM:
	case VK_FORMAT_G16_B16_R16_3PLANE_422_UNORM:
	case VK_FORMAT_G16_B16_R16_3PLANE_444_UNORM:
		return 3;
	case VK_FORMAT_G8_B8R8_2PLANE_420_UNORM:
	case VK_FORMAT_G8_B8R8_2PLANE_422_UNORM:
	case VK_FORMAT_G10X6_B10X6R10X6_2PLANE_420_UNORM_3PACK16:
	case VK_FORMAT_G10X6_B10X6R10X6_2PLANE_422_UNORM_3PACK16:
	case VK_FORMAT_G12X4_B12X4R12X4_2PLANE_420_UNORM_3PACK16:
	case VK_FORMAT_G12X4_B12X4R12X4_2PLANE_422_UNORM_3PACK16:
	case VK_FORMAT_G16_B16R16_2PLANE_420_UNORM:
	case VK_FORMAT_G16_B16R16_2PLANE_422_UNORM:
	case VK_FORMAT_G8_B8R8_2PLANE_444_UNORM:
	case VK_FORMAT_G10X6_B10X6R10X6_2PLANE_444_UNORM_3PACK16:
	case VK_FORMAT_G12X4_B12X4R12X4_2PLANE_444_UNORM_3PACK16:
	case VK_FORMAT_G16_B16R16_2PLANE_444_UNORM:
		return 2;
	default:
		return 1;
	}
}

static bool nvx_format_depth_stencil(VkFormat f)
{
	switch (f) {
	case VK_FORMAT_D16_UNORM:
	case VK_FORMAT_X8_D24_UNORM_PACK32:
	case VK_FORMAT_D32_SFLOAT:
	case VK_FORMAT_S8_UINT:
	case VK_FORMAT_D16_UNORM_S8_UINT:
	case VK_FORMAT_D24_UNORM_S8_UINT:
	case VK_FORMAT_D32_SFLOAT_S8_UINT:
		return true;
	default:
		return false;
	}
}

/*
 * nvx_image_describe() - the description of @image bound at @offset.  The
 * image must be one of those created with VkExternalMemoryImageCreateInfoNV.
 */
VkResult nvx_image_describe(struct nvx_device *dev, VkImage image,
			    VkDeviceSize offset, struct nvx_image_desc *desc)
{
	const struct nvx_physdev *pd = dev->physdev;
	VkImageCreateInfo ci;
	VkMemoryRequirements mr;
	struct nvx_image *img;
	uint32_t planes = 0;

	pthread_mutex_lock(&dev->lock);
	img = nvx_image_find(dev, image);
	if (img)
		ci = img->ci;
	pthread_mutex_unlock(&dev->lock);
	if (!img) {
		nvx_error("image 0x%llx was not created with VkExternalMemoryImageCreateInfoNV: the layer cannot describe it",
			  (unsigned long long)image);
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}

	memset(desc, 0, sizeof(*desc));
	desc->format = ci.format;
	desc->type = ci.imageType;
	desc->tiling = ci.tiling;
	desc->usage = ci.usage;
	desc->flags = ci.flags;
	desc->samples = ci.samples;
	desc->width = ci.extent.width;
	desc->height = ci.extent.height;
	desc->depth = ci.extent.depth;
	desc->mip_levels = ci.mipLevels;
	desc->array_layers = ci.arrayLayers;
	desc->memory_offset = offset;
	desc->drm_modifier = DRM_FORMAT_MOD_INVALID;
	if (pd->has_uuids) {
		memcpy(desc->driver_uuid, pd->driver_uuid, VK_UUID_SIZE);
		memcpy(desc->device_uuid, pd->device_uuid, VK_UUID_SIZE);
	}
	dev->next.GetImageMemoryRequirements(dev->handle, image, &mr);
	desc->memory_size = mr.size;

	if (ci.tiling == VK_IMAGE_TILING_LINEAR &&
	    !nvx_format_depth_stencil(ci.format)) {
		planes = nvx_format_planes(ci.format);
		desc->drm_modifier = DRM_FORMAT_MOD_LINEAR;
	} else if (ci.tiling == VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT &&
		   dev->next.GetImageDrmFormatModifierPropertiesEXT) {
		VkImageDrmFormatModifierPropertiesEXT mod = {
			.sType = VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_PROPERTIES_EXT,
		};

		if (dev->next.GetImageDrmFormatModifierPropertiesEXT(dev->handle,
				image, &mod) == VK_SUCCESS) {
			desc->drm_modifier = mod.drmFormatModifier;
			planes = nvx_format_planes(ci.format);
		}
	}
	for (uint32_t i = 0; i < planes && i < NVX_DESC_MAX_PLANES; i++) {
		VkImageSubresource sub = { .aspectMask = VK_IMAGE_ASPECT_COLOR_BIT };
		VkSubresourceLayout l;

		if (ci.tiling == VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT)
			sub.aspectMask = VK_IMAGE_ASPECT_MEMORY_PLANE_0_BIT_EXT << i;
		else if (planes > 1)
			sub.aspectMask = VK_IMAGE_ASPECT_PLANE_0_BIT << i;
		dev->next.GetImageSubresourceLayout(dev->handle, image, &sub, &l);
		desc->planes[i] = (struct nvx_plane_layout){
			.offset = l.offset, .size = l.size,
			.row_pitch = l.rowPitch, .array_pitch = l.arrayPitch,
			.depth_pitch = l.depthPitch,
		};
		desc->plane_count = i + 1;
	}
	return VK_SUCCESS;
}

/* Encoding -------------------------------------------------------------- */

#define NVX_DESC_WIRE_SIZE (8 + 12 * 4 + 3 * 8 + 2 * VK_UUID_SIZE + \
			    NVX_DESC_MAX_PLANES * 5 * 8)

static unsigned char *nvx_put32(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
	return p + 4;
}

static unsigned char *nvx_put64(unsigned char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
	return p + 8;
}

static const unsigned char *nvx_get32(const unsigned char *p, uint32_t *v)
{
	memcpy(v, p, 4);
	*v = le32toh(*v);
	return p + 4;
}

static const unsigned char *nvx_get64(const unsigned char *p, uint64_t *v)
{
	memcpy(v, p, 8);
	*v = le64toh(*v);
	return p + 8;
}

/* The twelve u32 fields, in their order on the wire. */
#define NVX_DESC_U32(d) { &(d)->format, &(d)->type, &(d)->tiling, \
	&(d)->usage, &(d)->flags, &(d)->samples, &(d)->width, &(d)->height, \
	&(d)->depth, &(d)->mip_levels, &(d)->array_layers, &(d)->plane_count }

/*
 * nvx_desc_encode() - @desc as bytes into @buf; returns the length, which
 * is also the answer for a NULL @desc.  0 when @size is too small.
 */
size_t nvx_desc_encode(const struct nvx_image_desc *desc, void *buf, size_t size)
{
	unsigned char *p = buf;

	if (!desc)
		return NVX_DESC_WIRE_SIZE;
	if (size < NVX_DESC_WIRE_SIZE)
		return 0;
	{
		const uint32_t *u32[] = NVX_DESC_U32(desc);

		p = nvx_put32(p, NVX_DESC_MAGIC);
		p[0] = NVX_DESC_VERSION & 0xff;
		p[1] = NVX_DESC_VERSION >> 8;
		p[2] = NVX_DESC_WIRE_SIZE & 0xff;
		p[3] = NVX_DESC_WIRE_SIZE >> 8;
		p += 4;
		for (size_t i = 0; i < NVX_ARRAY_SIZE(u32); i++)
			p = nvx_put32(p, *u32[i]);
	}
	p = nvx_put64(p, desc->drm_modifier);
	p = nvx_put64(p, desc->memory_offset);
	p = nvx_put64(p, desc->memory_size);
	memcpy(p, desc->driver_uuid, VK_UUID_SIZE);
	p += VK_UUID_SIZE;
	memcpy(p, desc->device_uuid, VK_UUID_SIZE);
	p += VK_UUID_SIZE;
	for (int i = 0; i < NVX_DESC_MAX_PLANES; i++) {
		p = nvx_put64(p, desc->planes[i].offset);
		p = nvx_put64(p, desc->planes[i].size);
		p = nvx_put64(p, desc->planes[i].row_pitch);
		p = nvx_put64(p, desc->planes[i].array_pitch);
		p = nvx_put64(p, desc->planes[i].depth_pitch);
	}
	return NVX_DESC_WIRE_SIZE;
}

/* nvx_desc_decode() - bytes of nvx_desc_encode() back; 0 or -1. */
int nvx_desc_decode(const void *buf, size_t size, struct nvx_image_desc *desc)
{
	const unsigned char *p = buf;
	uint32_t magic;
	unsigned int version, length;

	if (size < NVX_DESC_WIRE_SIZE)
		return -1;
	p = nvx_get32(p, &magic);
	version = p[0] | p[1] << 8;
	length = p[2] | p[3] << 8;
	p += 4;
	if (magic != NVX_DESC_MAGIC || version < NVX_DESC_VERSION ||
	    length < NVX_DESC_WIRE_SIZE || length > size)
		return -1;
	memset(desc, 0, sizeof(*desc));
	{
		uint32_t *u32[] = NVX_DESC_U32(desc);

		for (size_t i = 0; i < NVX_ARRAY_SIZE(u32); i++)
			p = nvx_get32(p, u32[i]);
	}
	p = nvx_get64(p, &desc->drm_modifier);
	p = nvx_get64(p, &desc->memory_offset);
	p = nvx_get64(p, &desc->memory_size);
	memcpy(desc->driver_uuid, p, VK_UUID_SIZE);
	p += VK_UUID_SIZE;
	memcpy(desc->device_uuid, p, VK_UUID_SIZE);
	p += VK_UUID_SIZE;
	for (int i = 0; i < NVX_DESC_MAX_PLANES; i++) {
		p = nvx_get64(p, &desc->planes[i].offset);
		p = nvx_get64(p, &desc->planes[i].size);
		p = nvx_get64(p, &desc->planes[i].row_pitch);
		p = nvx_get64(p, &desc->planes[i].array_pitch);
		p = nvx_get64(p, &desc->planes[i].depth_pitch);
	}
	if (desc->plane_count > NVX_DESC_MAX_PLANES)
		return -1;
	return 0;
}

/* Checking -------------------------------------------------------------- */

/* The first difference between @a (the importer) and @b, or NULL. */
static const char *nvx_desc_differs(const struct nvx_image_desc *a,
				    const struct nvx_image_desc *b,
				    uint64_t *va, uint64_t *vb)
{
	const struct {
		const char *name;
		uint64_t a, b;
	} fields[] = {
		{ "format", a->format, b->format },
		{ "imageType", a->type, b->type },
		{ "extent.width", a->width, b->width },
		{ "extent.height", a->height, b->height },
		{ "extent.depth", a->depth, b->depth },
		{ "mipLevels", a->mip_levels, b->mip_levels },
		{ "arrayLayers", a->array_layers, b->array_layers },
		{ "samples", a->samples, b->samples },
		{ "tiling", a->tiling, b->tiling },
		{ "usage", a->usage, b->usage },
		{ "flags", a->flags, b->flags },
		{ "the offset of the image in the memory", a->memory_offset,
		  b->memory_offset },
	};

	for (size_t i = 0; i < NVX_ARRAY_SIZE(fields); i++) {
		if (fields[i].a != fields[i].b) {
			*va = fields[i].a;
			*vb = fields[i].b;
			return fields[i].name;
		}
	}
	if (a->tiling == VK_IMAGE_TILING_OPTIMAL) {
		/* A layout only the driver knows: the same driver, please. */
		*va = *vb = 0;
		if (memcmp(a->driver_uuid, b->driver_uuid, VK_UUID_SIZE))
			return "driverUUID (optimal tiling is private to a driver)";
		if (memcmp(a->device_uuid, b->device_uuid, VK_UUID_SIZE))
			return "deviceUUID (optimal tiling is private to a device)";
		*va = a->memory_size;
		*vb = b->memory_size;
		return a->memory_size != b->memory_size ?
			"the size of the image's memory" : NULL;
	}
	*va = a->drm_modifier;
	*vb = b->drm_modifier;
	if (a->drm_modifier != b->drm_modifier)
		return "the DRM format modifier";
	*va = a->plane_count;
	*vb = b->plane_count;
	if (a->plane_count != b->plane_count)
		return "the number of plane layouts";
	for (uint32_t i = 0; i < a->plane_count; i++) {
		const struct nvx_plane_layout *pa = &a->planes[i], *pb = &b->planes[i];

		*va = pa->offset, *vb = pb->offset;
		if (*va != *vb)
			return "a plane's offset";
		*va = pa->row_pitch, *vb = pb->row_pitch;
		if (*va != *vb)
			return "a plane's rowPitch";
		*va = pa->array_pitch, *vb = pb->array_pitch;
		if (*va != *vb && a->array_layers > 1)
			return "a plane's arrayPitch";
		*va = pa->depth_pitch, *vb = pb->depth_pitch;
		if (*va != *vb && a->depth > 1)
			return "a plane's depthPitch";
		*va = pa->size, *vb = pb->size;
		if (*va != *vb)
			return "a plane's size";
	}
	return NULL;
}

/*
 * nvx_desc_check() - whether @image bound at @offset is the image @want
 * describes.  VK_ERROR_INVALID_EXTERNAL_HANDLE, with a message starting
 * with @where, when it is not; the caller picks the code it returns.
 */
VkResult nvx_desc_check(struct nvx_device *dev, const struct nvx_image_desc *want,
			VkImage image, VkDeviceSize offset, const char *where)
{
	struct nvx_image_desc have;
	const char *what;
	uint64_t va, vb;
	VkResult res;

	res = nvx_image_describe(dev, image, offset, &have);
	if (res != VK_SUCCESS) {
		nvx_error("%s: memory imported from a D3D11_IMAGE_KMT handle can only hold an image created with VkExternalMemoryImageCreateInfoNV",
			  where);
		return VK_ERROR_INVALID_EXTERNAL_HANDLE;
	}
	what = nvx_desc_differs(&have, want, &va, &vb);
	if (!what) {
		nvx_debug("%s: image 0x%llx matches the D3D11_IMAGE_KMT handle's description",
			  where, (unsigned long long)image);
		return VK_SUCCESS;
	}
	nvx_error("%s: image 0x%llx is not the image of the D3D11_IMAGE_KMT handle: %s is %llu here, %llu in the exporter's image",
		  where, (unsigned long long)image, what,
		  (unsigned long long)va, (unsigned long long)vb);
	return VK_ERROR_INVALID_EXTERNAL_HANDLE;
}

/* Binding --------------------------------------------------------------- */

static VkResult nvx_bind_check(struct nvx_device *dev, VkImage image,
			       VkDeviceMemory memory, VkDeviceSize offset,
			       const char *where)
{
	struct nvx_memory *m;

	if (nvx_dedicated_bind_check(dev, (uint64_t)image, false, memory,
				     offset, where))
		return VK_ERROR_VALIDATION_FAILED_EXT;
	m = nvx_memory_find(dev, memory);
	if (!m)
		return VK_SUCCESS;
	if (nvx_bind_external_check(dev, (uint64_t)image, false, memory, where))
		return VK_ERROR_VALIDATION_FAILED_EXT;
	if (!m->import_desc)
		return VK_SUCCESS;
	if (nvx_desc_check(dev, m->import_desc, image, offset, where))
		return VK_ERROR_VALIDATION_FAILED_EXT;
	return VK_SUCCESS;
}

static void nvx_bind_note(struct nvx_device *dev, VkImage image,
			  VkDeviceMemory memory, VkDeviceSize offset)
{
	struct nvx_memory *m = nvx_memory_find(dev, memory);

	if (!m)
		return;
	pthread_mutex_lock(&dev->lock);
	m->image = image;
	m->image_offset = offset;
	pthread_mutex_unlock(&dev->lock);
}

VKAPI_ATTR VkResult VKAPI_CALL nvx_BindImageMemory(VkDevice device,
	VkImage image, VkDeviceMemory memory, VkDeviceSize memoryOffset)
{
	struct nvx_device *dev = nvx_device_from(device);
	VkResult res;

	if (!dev)
		return VK_ERROR_INITIALIZATION_FAILED;
	if (!dev->nv_memory && !dev->nv_dedicated)
		return dev->next.BindImageMemory(device, image, memory,
						 memoryOffset);
	res = nvx_bind_check(dev, image, memory, memoryOffset,
			     "vkBindImageMemory");
	if (res != VK_SUCCESS)
		return res;
	res = dev->next.BindImageMemory(device, image, memory, memoryOffset);
	if (res == VK_SUCCESS)
		nvx_bind_note(dev, image, memory, memoryOffset);
	return res;
}

static VkResult nvx_bind2(struct nvx_device *dev, PFN_vkBindImageMemory2 next,
			  uint32_t n, const VkBindImageMemoryInfo *infos)
{
	VkResult res;

	if (!dev->nv_memory && !dev->nv_dedicated)
		return next(dev->handle, n, infos);
	for (uint32_t i = 0; i < n; i++) {
		res = nvx_bind_check(dev, infos[i].image, infos[i].memory,
				     infos[i].memoryOffset, "vkBindImageMemory2");
		if (res != VK_SUCCESS)
			return res;
	}
	res = next(dev->handle, n, infos);
	if (res != VK_SUCCESS)
		return res;
	/*
	 * A disjoint image bound plane by plane has no one memory and
	 * offset: only plane 0's binding is noted, which a description of
	 * the image (D3D11_IMAGE_KMT) cannot cover anyway.
	 */
	for (uint32_t i = 0; i < n; i++) {
		const VkBindImagePlaneMemoryInfo *plane = nvx_chain_find(
			infos[i].pNext,
			VK_STRUCTURE_TYPE_BIND_IMAGE_PLANE_MEMORY_INFO);

		if (plane &&
		    plane->planeAspect != VK_IMAGE_ASPECT_PLANE_0_BIT &&
		    plane->planeAspect != VK_IMAGE_ASPECT_MEMORY_PLANE_0_BIT_EXT)
			continue;
		nvx_bind_note(dev, infos[i].image, infos[i].memory,
			      infos[i].memoryOffset);
	}
	return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL nvx_BindImageMemory2(VkDevice device,
	uint32_t bindInfoCount, const VkBindImageMemoryInfo *pBindInfos)
{
	struct nvx_device *dev = nvx_device_from(device);

	if (!dev || !dev->next.BindImageMemory2)
		return VK_ERROR_INITIALIZATION_FAILED;
	return nvx_bind2(dev, dev->next.BindImageMemory2, bindInfoCount,
			 pBindInfos);
}

VKAPI_ATTR VkResult VKAPI_CALL nvx_BindImageMemory2KHR(VkDevice device,
	uint32_t bindInfoCount, const VkBindImageMemoryInfo *pBindInfos)
{
	struct nvx_device *dev = nvx_device_from(device);

	if (!dev || !dev->next.BindImageMemory2KHR)
		return VK_ERROR_INITIALIZATION_FAILED;
	return nvx_bind2(dev, dev->next.BindImageMemory2KHR, bindInfoCount,
			 pBindInfos);
}
