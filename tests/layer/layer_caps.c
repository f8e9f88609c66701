/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * vkGetPhysicalDeviceExternalImageFormatPropertiesNV against the driver's
 * own answers, over a grid of formats, types, tilings, usages and flags:
 *
 *   handle type 0     exactly vkGetPhysicalDeviceImageFormatProperties';
 *   fd types          the driver's KHR answer for the backend's handle type
 *                     (OPAQUE_FD on the host's lavapipe 22.3, DMA_BUF on
 *                     dma-buf, HOST_ALLOCATION on prime), translated;
 *   KMT types         the same answer where /dev/primeshare is there and the
 *                     backend's memory is a dma-buf, unsupported otherwise;
 *   unsupported       VK_ERROR_FORMAT_NOT_SUPPORTED, as the loader's
 *                     stand-in answers, never VK_SUCCESS without the type
 *                     in compatibleHandleTypes;
 *   several bits      refused (VUID-...-externalHandleType-07721).
 *
 * Then the answers are held against what allocation does: DEDICATED_ONLY
 * agrees with the driver's dedicated requirement for the created image, and
 * every image reported exportable is exported with each type; and the
 * backend override of PRIMESHARE_LAYER_BACKEND gives what each backend can
 * carry here, and nothing for a backend that is not possible.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "vkt.h"

static const VkFormat formats[] = {
	VK_FORMAT_R8G8B8A8_UNORM,
	VK_FORMAT_B8G8R8A8_SRGB,
	VK_FORMAT_R16G16B16A16_SFLOAT,
	VK_FORMAT_R32_UINT,
	VK_FORMAT_R8G8B8_UNORM,
	VK_FORMAT_D32_SFLOAT,
	VK_FORMAT_D24_UNORM_S8_UINT,
	VK_FORMAT_BC1_RGB_UNORM_BLOCK,
	VK_FORMAT_ASTC_4x4_UNORM_BLOCK,
};
static const VkImageType types[] = {
	VK_IMAGE_TYPE_1D, VK_IMAGE_TYPE_2D, VK_IMAGE_TYPE_3D,
};
static const VkImageTiling tilings[] = {
	VK_IMAGE_TILING_OPTIMAL, VK_IMAGE_TILING_LINEAR,
};
static const VkImageUsageFlags usages[] = {
	VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT,
	VK_IMAGE_USAGE_SAMPLED_BIT,
	VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_SAMPLED_BIT,
	VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT,
	VK_IMAGE_USAGE_STORAGE_BIT,
};
static const VkImageCreateFlags create_flags[] = {
	0, VK_IMAGE_CREATE_MUTABLE_FORMAT_BIT,
};

static PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV get_nv;

static bool same_props(const VkImageFormatProperties *a,
		       const VkImageFormatProperties *b)
{
	return a->maxExtent.width == b->maxExtent.width &&
	       a->maxExtent.height == b->maxExtent.height &&
	       a->maxExtent.depth == b->maxExtent.depth &&
	       a->maxMipLevels == b->maxMipLevels &&
	       a->maxArrayLayers == b->maxArrayLayers &&
	       a->sampleCounts == b->sampleCounts &&
	       a->maxResourceSize == b->maxResourceSize;
}

struct combo {
	VkFormat format;
	VkImageType type;
	VkImageTiling tiling;
	VkImageUsageFlags usage;
	VkImageCreateFlags flags;
};

static const char *combo_text(const struct combo *c)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "format %d type %d tiling %d usage 0x%x flags 0x%x",
		 c->format, c->type, c->tiling, c->usage, c->flags);
	return buf;
}

/* The driver's KHR answer for one combination and KHR handle type. */
static VkResult khr_query(struct vkt *t, const struct combo *c,
			  VkExternalMemoryHandleTypeFlagBits type,
			  VkImageFormatProperties *props,
			  VkExternalMemoryProperties *emp)
{
	VkPhysicalDeviceExternalImageFormatInfo ei = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO,
		.handleType = type,
	};
	VkPhysicalDeviceImageFormatInfo2 info = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2,
		.pNext = &ei,
		.format = c->format, .type = c->type, .tiling = c->tiling,
		.usage = c->usage, .flags = c->flags,
	};
	VkExternalImageFormatProperties ep = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES,
	};
	VkImageFormatProperties2 p = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_FORMAT_PROPERTIES_2,
		.pNext = &ep,
	};
	VkResult res;

	res = vkGetPhysicalDeviceImageFormatProperties2(t->pd, &info, &p);
	*props = p.imageFormatProperties;
	*emp = ep.externalMemoryProperties;
	return res;
}

static VkExternalMemoryFeatureFlagsNV nv_features(VkExternalMemoryFeatureFlags f)
{
	VkExternalMemoryFeatureFlagsNV nv = 0;

	if (f & VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT)
		nv |= VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT_NV;
	if (f & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT)
		nv |= VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT_NV;
	if (f & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT)
		nv |= VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT_NV;
	return nv;
}

#define FD_TYPES (VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV | \
		  VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_BIT_NV)
#define KMT_TYPES (VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV | \
		   VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV)

/* The backend under test, and what it carries. */
static bool prime_backend, kmt_types;

/* The layer's answer for a fd or KMT type, worked out from the KHR one. */
static VkExternalMemoryFeatureFlagsNV expect_features(VkExternalMemoryFeatureFlags f)
{
	if (!prime_backend)
		return nv_features(f);
	/* prime: the layer exports by importing host memory. */
	if ((f & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT) &&
	    !(f & VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT))
		return VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT_NV |
		       VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT_NV;
	return 0;
}

static VkExternalMemoryHandleTypeFlagsNV expect_types(VkExternalMemoryHandleTypeFlags t,
	VkExternalMemoryHandleTypeFlagBits khr_type)
{
	VkExternalMemoryHandleTypeFlagsNV all = FD_TYPES | (kmt_types ? KMT_TYPES : 0);

	return prime_backend || (t & khr_type) ? all : 0;
}

static void grid(struct vkt *t, VkExternalMemoryHandleTypeFlagBits khr_type)
{
	unsigned int total = 0, zero_bad = 0, fd_bad = 0, kmt_bad = 0;
	unsigned int supported = 0, exportable = 0, dedicated = 0;

	size_t n = TU_ARRAY_SIZE(formats) * TU_ARRAY_SIZE(types) *
		   TU_ARRAY_SIZE(tilings) * TU_ARRAY_SIZE(usages) *
		   TU_ARRAY_SIZE(create_flags);

	for (size_t k = 0; k < n; k++) {
		struct combo c;
		size_t r = k;
		VkImageFormatProperties plain, kp = { 0 };
		VkExternalImageFormatPropertiesNV nv;
		VkExternalMemoryProperties emp = { 0 };
		VkResult pres, nres, kres;

#define PICK(a) ((a)[r % TU_ARRAY_SIZE(a)]); r /= TU_ARRAY_SIZE(a)
		c.flags = PICK(create_flags);
		c.usage = PICK(usages);
		c.tiling = PICK(tilings);
		c.type = PICK(types);
		c.format = PICK(formats);
#undef PICK
		total++;
		pres = vkGetPhysicalDeviceImageFormatProperties(t->pd,
			c.format, c.type, c.tiling, c.usage, c.flags, &plain);

		/* Handle type 0. */
		memset(&nv, 0xa5, sizeof(nv));
		nres = get_nv(t->pd, c.format, c.type, c.tiling, c.usage,
			      c.flags, 0, &nv);
		if (nres != pres ||
		    (pres == VK_SUCCESS &&
		     (!same_props(&nv.imageFormatProperties, &plain) ||
		      nv.externalMemoryFeatures || nv.compatibleHandleTypes ||
		      nv.exportFromImportedHandleTypes))) {
			if (!zero_bad++)
				tap_diag("type 0 differs: %s: %d vs %d",
					 combo_text(&c), nres, pres);
		}

		/* The fd types. */
		kres = khr_type ? khr_query(t, &c, khr_type, &kp, &emp) :
				  VK_ERROR_FORMAT_NOT_SUPPORTED;
		if (kres == VK_SUCCESS)
			supported++;
		for (uint32_t bit = 1; bit <= 8; bit <<= 1) {
			bool fd = bit & FD_TYPES;
			bool carried = fd || kmt_types;
			VkExternalMemoryFeatureFlagsNV feat =
				expect_features(emp.externalMemoryFeatures);
			bool bad;

			memset(&nv, 0xa5, sizeof(nv));
			nres = get_nv(t->pd, c.format, c.type, c.tiling,
				      c.usage, c.flags, bit, &nv);
			if (carried && kres == VK_SUCCESS && feat) {
				VkExternalMemoryHandleTypeFlagsNV compat =
					expect_types(emp.compatibleHandleTypes,
						     khr_type) | bit;
				VkExternalMemoryHandleTypeFlagsNV from =
					expect_types(emp.exportFromImportedHandleTypes,
						     khr_type);

				bad = nres != VK_SUCCESS ||
				      !same_props(&nv.imageFormatProperties, &kp) ||
				      nv.externalMemoryFeatures != feat ||
				      nv.compatibleHandleTypes != compat ||
				      nv.exportFromImportedHandleTypes != from;
				if (bit == 1 && !bad &&
				    (nv.externalMemoryFeatures &
				     VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT_NV))
					exportable++;
				if (bit == 1 && !bad &&
				    (nv.externalMemoryFeatures &
				     VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT_NV))
					dedicated++;
			} else {
				/*
				 * Unsupported: VK_ERROR_FORMAT_NOT_SUPPORTED,
				 * never a VK_SUCCESS whose compatibleHandleTypes
				 * would have to hold the type.
				 */
				bad = nres != VK_ERROR_FORMAT_NOT_SUPPORTED;
			}
			if (bad && fd && !fd_bad++)
				tap_diag("type 0x%x differs: %s: %d (KHR %d) features 0x%x compat 0x%x from 0x%x",
					 bit, combo_text(&c), nres, kres,
					 nv.externalMemoryFeatures,
					 nv.compatibleHandleTypes,
					 nv.exportFromImportedHandleTypes);
			if (bad && !fd && !kmt_bad++)
				tap_diag("type 0x%x differs: %s: %d", bit,
					 combo_text(&c), nres);
		}
	}

	tap_ok(!zero_bad,
	       "handle type 0: identical to vkGetPhysicalDeviceImageFormatProperties (%u of %u combinations differ)",
	       zero_bad, total);
	tap_ok(!fd_bad,
	       "OPAQUE_WIN32 and D3D11_IMAGE: the driver's KHR answer for handle type 0x%x, translated (%u differ)",
	       khr_type, fd_bad);
	tap_diag("%u of %u combinations shareable, %u exportable, %u dedicated-only",
		 supported, total, exportable, dedicated);
	if (kmt_types)
		tap_ok(!kmt_bad,
		       "KMT types: the same answer as the fd types, with /dev/primeshare (%u differ)",
		       kmt_bad);
	else
		tap_ok(!kmt_bad,
		       "KMT types: unsupported without /dev/primeshare or a dma-buf backend (%u differ)",
		       kmt_bad);
}

static void several_bits(struct vkt *t)
{
	VkExternalImageFormatPropertiesNV nv;
	VkResult res;

	res = get_nv(t->pd, VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_TYPE_2D,
		     VK_IMAGE_TILING_OPTIMAL, VK_IMAGE_USAGE_TRANSFER_DST_BIT, 0,
		     VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV |
		     VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_BIT_NV, &nv);
	tap_ok(res == VK_ERROR_FORMAT_NOT_SUPPORTED,
	       "more than one handle type bit: refused (VUID-07721) (%d)", res);
}

/* DEDICATED_ONLY against the driver's requirement for a created image. */
static void dedicated_agrees(struct vkt *t)
{
	static const char *const exts[] = {
		VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
		VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
	};
	VkExternalMemoryImageCreateInfoNV ext = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV,
		.handleTypes = FD_TYPES | (kmt_types ? KMT_TYPES : 0),
	};
	VkImageCreateInfo ici = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
		.pNext = &ext,
		.imageType = VK_IMAGE_TYPE_2D,
		.extent = { 256, 256, 1 },
		.mipLevels = 1,
		.arrayLayers = 1,
		.samples = VK_SAMPLE_COUNT_1_BIT,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
		.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
	};
	static const struct {
		VkFormat format;
		VkImageTiling tiling;
		VkImageUsageFlags usage;
	} cases[] = {
		{ VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_TILING_OPTIMAL,
		  VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT },
		{ VK_FORMAT_B8G8R8A8_SRGB, VK_IMAGE_TILING_OPTIMAL,
		  VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_SAMPLED_BIT },
		{ VK_FORMAT_R16G16B16A16_SFLOAT, VK_IMAGE_TILING_LINEAR,
		  VK_IMAGE_USAGE_TRANSFER_SRC_BIT },
		{ VK_FORMAT_D32_SFLOAT, VK_IMAGE_TILING_OPTIMAL,
		  VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT },
	};
	PFN_vkGetMemoryWin32HandleNV get_handle;
	unsigned int checked = 0, agree = 0, exported = 0;
	VkResult res;

	res = vkt_device(t, exts, 2);
	if (res != VK_SUCCESS) {
		tap_ok(false, "device with the NV extensions (%d)", res);
		return;
	}
	get_handle = (PFN_vkGetMemoryWin32HandleNV)
		vkGetDeviceProcAddr(t->device, "vkGetMemoryWin32HandleNV");

	for (size_t i = 0; i < TU_ARRAY_SIZE(cases); i++) {
		VkExternalImageFormatPropertiesNV nv;
		VkMemoryDedicatedRequirements dr = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS,
		};
		VkMemoryRequirements2 mr = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2,
			.pNext = &dr,
		};
		VkImageMemoryRequirementsInfo2 mri = {
			.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2,
		};
		VkExportMemoryAllocateInfoNV exp = {
			.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV,
		};
		VkMemoryAllocateInfo mai = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
			.pNext = &exp,
		};
		VkDeviceMemory mem;
		VkImage image;
		HANDLE h;
		bool dedicated_only;

		res = get_nv(t->pd, cases[i].format, VK_IMAGE_TYPE_2D,
			     cases[i].tiling, cases[i].usage, 0,
			     VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
			     &nv);
		if (res != VK_SUCCESS || !(nv.externalMemoryFeatures &
			VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT_NV))
			continue;
		dedicated_only = nv.externalMemoryFeatures &
				 VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT_NV;
		ici.format = cases[i].format;
		ici.tiling = cases[i].tiling;
		ici.usage = cases[i].usage;
		if (vkCreateImage(t->device, &ici, NULL, &image) != VK_SUCCESS)
			continue;
		checked++;
		mri.image = image;
		vkGetImageMemoryRequirements2(t->device, &mri, &mr);
		if (!!dr.requiresDedicatedAllocation == dedicated_only)
			agree++;
		else
			tap_diag("format %d: DEDICATED_ONLY %d, driver requires dedicated %d",
				 cases[i].format, dedicated_only,
				 dr.requiresDedicatedAllocation);
		mai.allocationSize = mr.memoryRequirements.size;
		mai.memoryTypeIndex = vkt_memory_type(t,
			mr.memoryRequirements.memoryTypeBits, 0);
		exp.handleTypes = FD_TYPES | (kmt_types ? KMT_TYPES : 0);
		if (!dedicated_only &&
		    vkAllocateMemory(t->device, &mai, NULL, &mem) == VK_SUCCESS) {
			unsigned int got = 0;

			if (vkBindImageMemory(t->device, image, mem, 0) == VK_SUCCESS) {
				for (uint32_t bit = 1; bit <= 8; bit <<= 1) {
					if (!(exp.handleTypes & bit) ||
					    get_handle(t->device, mem, bit, &h) != VK_SUCCESS)
						continue;
					got++;
					if (bit & FD_TYPES)
						close(PRIMESHARE_FD_FROM_HANDLE(h));
				}
			}
			if (got == (unsigned int)__builtin_popcount(exp.handleTypes))
				exported++;
			vkFreeMemory(t->device, mem, NULL);
		}
		vkDestroyImage(t->device, image, NULL);
	}
	tap_ok(checked > 0 && agree == checked,
	       "DEDICATED_ONLY agrees with the driver's requirement (%u of %u images)",
	       agree, checked);
	tap_ok(checked > 0 && exported == checked,
	       "every image reported EXPORTABLE was allocated, bound and exported with each of the types 0x%x (%u of %u)",
	       FD_TYPES | (kmt_types ? KMT_TYPES : 0), exported, checked);
}

/*
 * What PRIMESHARE_LAYER_BACKEND=@name gives for a plain RGBA8 image:
 * OPAQUE_WIN32 and OPAQUE_WIN32_KMT features.
 */
static VkResult override_answer(const char *name,
				VkExternalMemoryFeatureFlagsNV *fd_features,
				VkExternalMemoryFeatureFlagsNV *kmt_features)
{
	static const char *const caps[] = {
		VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	};
	PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV get;
	VkExternalImageFormatPropertiesNV nv;
	struct vkt t;
	VkResult res;

	/* The same queries as the grid's, validated there. */
	vkt_layers_unchecked();
	setenv("PRIMESHARE_LAYER_BACKEND", name, 1);
	res = vkt_instance(&t, VK_API_VERSION_1_1, caps, 1);
	vkt_layers(true);
	if (res != VK_SUCCESS) {
		unsetenv("PRIMESHARE_LAYER_BACKEND");
		return res;
	}
	get = (PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV)
		vkGetInstanceProcAddr(t.instance,
			"vkGetPhysicalDeviceExternalImageFormatPropertiesNV");
	/* Unsupported is VK_ERROR_FORMAT_NOT_SUPPORTED: no features. */
	res = get(t.pd, VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_TYPE_2D,
		  VK_IMAGE_TILING_OPTIMAL, VK_IMAGE_USAGE_TRANSFER_SRC_BIT, 0,
		  VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV, &nv);
	*fd_features = res == VK_SUCCESS ? nv.externalMemoryFeatures : 0;
	if (res == VK_SUCCESS || res == VK_ERROR_FORMAT_NOT_SUPPORTED)
		res = get(t.pd, VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_TYPE_2D,
			  VK_IMAGE_TILING_OPTIMAL,
			  VK_IMAGE_USAGE_TRANSFER_SRC_BIT, 0,
			  VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV,
			  &nv);
	*kmt_features = res == VK_SUCCESS ? nv.externalMemoryFeatures : 0;
	if (res == VK_ERROR_FORMAT_NOT_SUPPORTED)
		res = VK_SUCCESS;
	/* The layer reads the variable when first asked about the device. */
	unsetenv("PRIMESHARE_LAYER_BACKEND");
	vkt_destroy(&t);
	return res;
}

/*
 * The override, backend by backend.  Which ones are possible follows from
 * the backend chosen here: lavapipe always has opaque fds; a driver with
 * dma-bufs (the VM's lavapipe 25) also imports host memory, so prime is
 * possible wherever dma-buf or prime was chosen (a DRM node is there).
 */
static void backend_override(const char *expected)
{
	static const char *const names[] = {
		"none", "opaque-fd", "prime", "dma-buf",
	};
	bool dmabuf = !strcmp(expected, "dma-buf");
	bool prime = dmabuf || !strcmp(expected, "prime");

	for (size_t i = 0; i < TU_ARRAY_SIZE(names); i++) {
		VkExternalMemoryFeatureFlagsNV fd = 0, kmt = 0;
		bool possible = i == 1 || (i == 2 && prime) || (i == 3 && dmabuf);
		bool want_kmt = kmt_types && i >= 2 && possible;
		VkResult res = override_answer(names[i], &fd, &kmt);

		tap_ok(res == VK_SUCCESS && !!fd == possible &&
		       !!kmt == want_kmt,
		       "PRIMESHARE_LAYER_BACKEND=%s: OPAQUE_WIN32 %s, OPAQUE_WIN32_KMT %s (%d, features 0x%x, 0x%x)",
		       names[i], possible ? "supported" : "unsupported",
		       want_kmt ? "supported" : "unsupported", res, fd, kmt);
	}
}

int main(void)
{
	static const char *const caps[] = {
		VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	};
	VkExternalMemoryHandleTypeFlagBits khr_type;
	const char *backend = vkt_expected_backend();
	struct vkt t;
	VkResult res;

	vkt_layers(true);
	vkt_check_backend();
	res = vkt_instance(&t, VK_API_VERSION_1_1, caps, 1);
	if (res != VK_SUCCESS)
		tap_bail("instance with VK_NV_external_memory_capabilities: %d", res);
	get_nv = (PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV)
		vkGetInstanceProcAddr(t.instance,
			"vkGetPhysicalDeviceExternalImageFormatPropertiesNV");
	if (!get_nv)
		tap_bail("no vkGetPhysicalDeviceExternalImageFormatPropertiesNV");

	if (!strcmp(backend, "opaque-fd"))
		khr_type = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
	else if (!strcmp(backend, "dma-buf"))
		khr_type = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
	else if (!strcmp(backend, "prime"))
		khr_type = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;
	else
		khr_type = 0;
	prime_backend = !strcmp(backend, "prime");
	kmt_types = vkt_expect_kmt() && (prime_backend ||
					 !strcmp(backend, "dma-buf"));

	grid(&t, khr_type);
	several_bits(&t);
	dedicated_agrees(&t);
	vkt_destroy(&t);
	backend_override(backend);
	vkt_check_validation("capability queries");
	return tap_done();
}
