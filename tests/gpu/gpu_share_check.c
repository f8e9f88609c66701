// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/* gpu_share check: the extensions, the answers, and cycles of shares. */
#include "gpu_share.h"

/* --- check ------------------------------------------------------------ */

/* The three names, listed or not, on an instance with or without us. */
static void check_extensions(bool with_layer)
{
	static const char *const caps[] = {
		VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	};
	const char *how = with_layer ? "with the layer" : "without the layer";
	struct vkt t;
	bool inst, mem, win32;

	if (with_layer)
		vkt_layers_unchecked();
	else
		unsetenv("VK_INSTANCE_LAYERS");
	inst = vkt_instance_has(with_layer ? VKT_LAYER : NULL,
				VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME);
	/* The explicit layer lists its device extensions under its name. */
	if (vkt_instance(&t, VK_API_VERSION_1_1, with_layer ? caps : NULL,
			 with_layer) != VK_SUCCESS)
		tap_bail("vkCreateInstance %s", how);
	mem = vkt_device_has(t.pd, with_layer ? VKT_LAYER : NULL,
			     VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME);
	win32 = vkt_device_has(t.pd, with_layer ? VKT_LAYER : NULL,
			       VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME);
	vkt_destroy(&t);
	tap_ok(inst == with_layer, "%s: %s %s", how,
	       VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
	       inst ? "listed" : "absent");
	tap_ok(mem == with_layer, "%s: %s %s", how,
	       VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME, mem ? "listed" : "absent");
	tap_ok(win32 == with_layer, "%s: %s %s", how,
	       VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
	       win32 ? "listed" : "absent");
}

/* The driver's own answer for OPAQUE_FD on the same image. */
static VkExternalMemoryProperties khr_caps(struct gs *g)
{
	VkPhysicalDeviceExternalImageFormatInfo ext = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
	};
	VkPhysicalDeviceImageFormatInfo2 info = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2,
		.pNext = &ext,
		.format = FORMAT,
		.type = VK_IMAGE_TYPE_2D,
		.tiling = VK_IMAGE_TILING_OPTIMAL,
		.usage = USAGE,
	};
	VkExternalImageFormatProperties eprops = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES,
	};
	VkImageFormatProperties2 props = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_FORMAT_PROPERTIES_2,
		.pNext = &eprops,
	};

	if (vkGetPhysicalDeviceImageFormatProperties2(g->t.pd, &info, &props) !=
	    VK_SUCCESS)
		memset(&eprops, 0, sizeof(eprops));
	return eprops.externalMemoryProperties;
}

static void check_caps(struct gs *g)
{
	VkExternalMemoryProperties khr = khr_caps(g);
	VkExternalImageFormatPropertiesNV nv, kmt;
	VkExternalMemoryFeatureFlagsNV f = nv_caps(g, OPAQUE, &nv);
	VkExternalMemoryFeatureFlagsNV both =
		VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT_NV |
		VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT_NV;
	bool k_exp = khr.externalMemoryFeatures &
		     VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT;
	bool k_imp = khr.externalMemoryFeatures &
		     VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT;
	bool k_ded = khr.externalMemoryFeatures &
		     VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT;
	bool kmt_wanted = vkt_expect_kmt();
	VkExternalMemoryHandleTypeFlagsNV kmt_seen = 0;

	tap_diag("driver, OPAQUE_FD: features 0x%x; layer, OPAQUE_WIN32: features 0x%x, compatible 0x%x, export from imported 0x%x",
		 khr.externalMemoryFeatures, f, nv.compatibleHandleTypes,
		 nv.exportFromImportedHandleTypes);
	tap_ok((f & both) == both,
	       "OPAQUE_WIN32 is exportable and importable for a %ux%u RGBA8 storage image",
	       g->width, g->height);
	tap_ok(!!(f & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT_NV) == k_exp &&
	       !!(f & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT_NV) == k_imp &&
	       !!(f & VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT_NV) == k_ded,
	       "OPAQUE_WIN32's features are the driver's OPAQUE_FD features (exportable %d, importable %d, dedicated only %d)",
	       k_exp, k_imp, k_ded);
	for (uint32_t bit = 1; bit <= KMT_TYPES; bit <<= 1)
		if ((bit & KMT_TYPES) && nv_caps(g, bit, &kmt))
			kmt_seen |= bit;
	kmt_seen |= nv.compatibleHandleTypes & KMT_TYPES;
	tap_ok(!!kmt_seen == kmt_wanted,
	       "the KMT types are %s (%s /dev/primeshare: expected %s)",
	       kmt_seen ? "supported" : "unsupported",
	       access("/dev/primeshare", F_OK) ? "no" : "with",
	       kmt_wanted ? "supported" : "unsupported");
}

static void report_leaks(const char *who, const struct msg *before,
			 const struct msg *after, VkDeviceSize image)
{
	int64_t gpu = after->gpu_bytes - before->gpu_bytes;
	int64_t rss = after->rss_kib - before->rss_kib;

	tap_diag("%s: descriptors %" PRId64 " -> %" PRId64 ", mappings %"
		 PRId64 " -> %" PRId64 ", GPU memory %+" PRId64
		 " bytes, RSS %+" PRId64 " KiB", who, before->fds, after->fds,
		 before->maps, after->maps, gpu, rss);
	tap_ok(after->fds == before->fds,
	       "%s: no descriptor leaked (%" PRId64 " before, %" PRId64 " after)",
	       who, before->fds, after->fds);
	tap_ok(after->maps <= before->maps + 4,
	       "%s: no mapping leaked (%" PRId64 " before, %" PRId64 " after)",
	       who, before->maps, after->maps);
	if (before->gpu_bytes < 0)
		tap_skip("no VK_EXT_memory_budget", "%s: no GPU memory leaked",
			 who);
	else
		tap_ok(gpu < (int64_t)image,
		       "%s: no GPU memory leaked (%+" PRId64 " bytes, one image is %" PRIu64 ")",
		       who, gpu, (uint64_t)image);
	/* The cycles' pixels pass through 2 host buffers of one image each. */
	tap_ok(rss < 16384 + (int64_t)(image / 1024),
	       "%s: resident memory did not grow (%+" PRId64 " KiB)", who, rss);
}

int cmd_check(const char *self, struct gs *g, uint32_t cycles)
{
	struct msg m, a0 = { 0 }, b0 = { 0 }, a1, b1;
	uint32_t bad_pixels = 0, bad_cycles = 0, done = 0;
	int sock, rc;
	int64_t t0;

	check_extensions(false);
	check_extensions(true);

	vkt_layers(true);
	open_device(g);
	choose_type(g);
	describe(g);
	vkt_validation_selftest(&g->t);
	check_caps(g);
	tap_ok(g->type != UINT32_MAX,
	       "an OPAQUE_WIN32 image can be made in %s",
	       g->vram ? "device-local memory that is not host-visible (video memory)" :
			 "device memory");
	if (g->type == UINT32_MAX) {
		vkt_destroy(&g->t);
		return tap_done();
	}
	setup_objects(g, false);

	sock = start_importer(self, false);
	if (hello(g, sock))
		tap_bail("the importer could not set up");

	t0 = tu_now_ns();
	for (uint32_t i = 0; i < cycles; i++) {
		struct image im;

		if (i == WARMUP || (i == 0 && cycles <= WARMUP)) {
			memset(&m, 0, sizeof(m));
			m.op = OP_STATS;
			ask(sock, &m, -1);
			b0 = m;
			stats(g, &a0);
		}
		if (image_create(g, &im, true, -1, g->type, 0) != VK_SUCCESS)
			tap_bail("cycle %u: no exportable image", i);
		fill(g, &im, i + 1, true);
		memset(&m, 0, sizeof(m));
		m.op = OP_SHARE;
		m.width = g->width;
		m.height = g->height;
		m.seed = i + 1;
		m.memory_type = im.type;
		m.size = im.size;
		ask(sock, &m, export_fd(g, &im));
		image_destroy(g, &im);
		if (m.status || m.mismatches) {
			bad_cycles++;
			bad_pixels += m.mismatches;
			if (bad_cycles <= 3)
				tap_diag("cycle %u: status %d, %u pixels wrong",
					 i, m.status, m.mismatches);
		}
		done++;
	}
	tap_diag("%u cycles in %.3f s", done, (tu_now_ns() - t0) / 1e9);
	tap_ok(done == cycles && !bad_cycles,
	       "%u cycles: B imported A's fd and every pixel of every image was right (%u cycles wrong, %u pixels)",
	       cycles, bad_cycles, bad_pixels);

	memset(&m, 0, sizeof(m));
	m.op = OP_STATS;
	ask(sock, &m, -1);
	b1 = m;
	stats(g, &a1);
	report_leaks("A (exporter)", &a0, &a1, pixel_bytes(g));
	report_leaks("B (importer)", &b0, &b1, pixel_bytes(g));

	rc = finish_importer(sock, &m);
	tap_ok(rc == 0, "B exited with status 0 (%d)", rc);
	teardown_objects(g);
	vkt_destroy(&g->t);
	vkt_check_validation("A (exporter)");
	if (vkt_validation_active())
		tap_ok(m.errors == 0, "B (importer): no validation errors (%u)",
		       m.errors);
	else
		tap_skip("VK_LAYER_KHRONOS_validation not installed",
			 "B (importer): no validation errors");
	return tap_done();
}
