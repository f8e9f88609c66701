/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * vkGetPhysicalDeviceExternalImageFormatPropertiesNV.
 *
 * A handle type of 0 gets exactly vkGetPhysicalDeviceImageFormatProperties'
 * answer.  Any other type is asked of the driver as the backend's KHR handle
 * type through vkGetPhysicalDeviceImageFormatProperties2, and the answer is
 * translated back: what the backend can carry is what is reported, nothing
 * more.  The KMT types exist only with /dev/primeshare and a backend whose
 * memory is a dma-buf.
 *
 * The prime backend asks about VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION
 * _BIT_EXT: the layer exports by allocating a dumb buffer and importing its
 * mapping, and imports by mapping the dma-buf, so the driver's IMPORTABLE
 * means both EXPORTABLE and IMPORTABLE here.  Host memory cannot be a
 * dedicated allocation, so where the driver wants one (DEDICATED_ONLY) the
 * image cannot be shared on prime.  Whatever the driver refuses for host
 * memory (optimal tiling on many drivers) is reported unsupported.
 *
 * Unsupported means VK_ERROR_FORMAT_NOT_SUPPORTED, for a type the backend
 * cannot carry as for an image the driver cannot share: a VK_SUCCESS would
 * have to report compatibleHandleTypes with the type in it (the spec says
 * it "will always contain externalHandleType"), which tells a program that
 * checks only the result, or only that field, that it can share.  It is
 * also what the loader answers in place of a driver without the extension
 * and what the KHR query answers for an unsupported handle type.  Several
 * types at once are refused (VUID-...-externalHandleType-07721), and a
 * driver that implements the query itself answers it.
 */
#include <string.h>

#include "layer.h"

VkExternalMemoryFeatureFlagsNV nvx_features_to_nv(const struct nvx_physdev *pd,
						  VkExternalMemoryFeatureFlags f)
{
	VkExternalMemoryFeatureFlagsNV nv = 0;

	if (pd->backend == NVX_BACKEND_PRIME) {
		if ((f & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT) &&
		    !(f & VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT))
			nv = VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT_NV |
			     VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT_NV;
		return nv;
	}
	if (f & VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT)
		nv |= VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT_NV;
	if (f & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT)
		nv |= VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT_NV;
	if (f & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT)
		nv |= VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT_NV;
	return nv;
}

/*
 * The NV types carried by KHR types @t on @pd's backend.  On prime every
 * NV type is the same dma-buf, which the layer keeps for imported memory
 * too: all of them are compatible, and all can be exported again.
 */
VkExternalMemoryHandleTypeFlagsNV nvx_types_to_nv(const struct nvx_physdev *pd,
						  VkExternalMemoryHandleTypeFlags t)
{
	if (pd->backend == NVX_BACKEND_PRIME)
		return pd->nv_types;
	if (!pd->khr_type || !(t & pd->khr_type))
		return 0;
	return pd->nv_types;
}

/* The image's own answer, with no external memory features. */
static VkResult nvx_caps_plain(const struct nvx_instance *inst,
			       VkPhysicalDevice physical,
			       const VkPhysicalDeviceImageFormatInfo2 *info,
			       VkExternalImageFormatPropertiesNV *out)
{
	return inst->next.GetPhysicalDeviceImageFormatProperties(physical,
		info->format, info->type, info->tiling, info->usage,
		info->flags, &out->imageFormatProperties);
}

/* @type cannot be shared for this image here: @why says what refused it. */
static VkResult nvx_caps_unsupported(VkExternalImageFormatPropertiesNV *out,
				     VkFormat format, VkImageTiling tiling,
				     VkExternalMemoryHandleTypeFlagsNV type,
				     const struct nvx_physdev *pd, const char *why)
{
	memset(out, 0, sizeof(*out));
	nvx_debug("NV caps: format %d tiling %d, handle type 0x%x: unsupported on backend %s (%s)",
		  format, tiling, type, nvx_backend_name(pd->backend), why);
	return VK_ERROR_FORMAT_NOT_SUPPORTED;
}

/* The spec's rules for externalHandleType: known bits, one of them. */
static bool nvx_caps_type_valid(VkExternalMemoryHandleTypeFlagsNV type)
{
	if (type & ~NVX_NV_ALL_TYPES) {
		nvx_error("vkGetPhysicalDeviceExternalImageFormatPropertiesNV: unknown handle type bits 0x%x (VUID-vkGetPhysicalDeviceExternalImageFormatPropertiesNV-externalHandleType-parameter)",
			  type & ~NVX_NV_ALL_TYPES);
		return false;
	}
	if (!nvx_single_bit(type)) {
		nvx_error("vkGetPhysicalDeviceExternalImageFormatPropertiesNV: handle types 0x%x: more than one bit set (VUID-vkGetPhysicalDeviceExternalImageFormatPropertiesNV-externalHandleType-07721)",
			  type);
		return false;
	}
	return true;
}

VKAPI_ATTR VkResult VKAPI_CALL nvx_GetPhysicalDeviceExternalImageFormatPropertiesNV(
	VkPhysicalDevice physicalDevice, VkFormat format, VkImageType type,
	VkImageTiling tiling, VkImageUsageFlags usage, VkImageCreateFlags flags,
	VkExternalMemoryHandleTypeFlagsNV externalHandleType,
	VkExternalImageFormatPropertiesNV *out)
{
	struct nvx_instance *inst = nvx_instance_from(physicalDevice);
	VkPhysicalDeviceExternalImageFormatInfo ext_info = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO,
	};
	VkPhysicalDeviceImageFormatInfo2 info = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2,
		.pNext = &ext_info,
		.format = format,
		.type = type,
		.tiling = tiling,
		.usage = usage,
		.flags = flags,
	};
	VkExternalImageFormatProperties ext_props = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES,
	};
	VkImageFormatProperties2 props = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_FORMAT_PROPERTIES_2,
		.pNext = &ext_props,
	};
	const VkExternalMemoryProperties *emp = &ext_props.externalMemoryProperties;
	const struct nvx_physdev *pd;
	VkResult res;

	if (!inst)
		return VK_ERROR_INITIALIZATION_FAILED;
	pd = nvx_physdev_get(inst, physicalDevice);
	if (!pd)
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	if (pd->native_nv)
		return inst->next.GetPhysicalDeviceExternalImageFormatPropertiesNV(
			physicalDevice, format, type, tiling, usage, flags,
			externalHandleType, out);
	memset(out, 0, sizeof(*out));

	if (!externalHandleType)
		return nvx_caps_plain(inst, physicalDevice, &info, out);

	if (!nvx_caps_type_valid(externalHandleType))
		return VK_ERROR_FORMAT_NOT_SUPPORTED;

	if (!(externalHandleType & pd->nv_types) ||
	    !inst->next.GetPhysicalDeviceImageFormatProperties2)
		return nvx_caps_unsupported(out, format, tiling,
					    externalHandleType, pd,
					    "a type the backend does not carry");

	ext_info.handleType = pd->khr_type;
	res = inst->next.GetPhysicalDeviceImageFormatProperties2(physicalDevice,
								 &info, &props);
	if (res == VK_ERROR_FORMAT_NOT_SUPPORTED)
		return nvx_caps_unsupported(out, format, tiling,
					    externalHandleType, pd,
					    "the driver cannot share this image as the backend's type");
	if (res != VK_SUCCESS)
		return res;

	out->externalMemoryFeatures = nvx_features_to_nv(pd,
		emp->externalMemoryFeatures);
	if (!out->externalMemoryFeatures)
		return nvx_caps_unsupported(out, format, tiling,
					    externalHandleType, pd,
					    "no feature of the driver's the backend can use");
	out->imageFormatProperties = props.imageFormatProperties;
	out->compatibleHandleTypes = nvx_types_to_nv(pd, emp->compatibleHandleTypes);
	out->exportFromImportedHandleTypes =
		nvx_types_to_nv(pd, emp->exportFromImportedHandleTypes);
	/* Every type reported must at least be compatible with itself. */
	out->compatibleHandleTypes |= externalHandleType;
	nvx_debug("NV caps: format %d tiling %d usage 0x%x, handle type 0x%x: features 0x%x compatible 0x%x export-from-imported 0x%x",
		  format, tiling, usage, externalHandleType,
		  out->externalMemoryFeatures, out->compatibleHandleTypes,
		  out->exportFromImportedHandleTypes);
	return VK_SUCCESS;
}
