/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * A corpus of valid NV programs under the Khronos validation layer, which
 * must report nothing: layer_corpus below | above.
 *
 * Two instances in one process, each with a device: A exports, B imports.
 * For every handle type the layer reports exportable here: an NV image
 * (dedicated where the answer says DEDICATED_ONLY, with the layer's
 * VK_NV_dedicated_allocation) on exportable memory, its handle imported
 * by B into a second NV image; a plain image and a buffer on exportable
 * memory, the buffer's memory imported by B into a plain buffer, and the
 * bytes A's GPU writes read back through B.  Then four threads do the
 * export and import cycle at once, on both devices.
 *
 * below: the validation layer between the layer and the driver checks
 * every call the layer makes.  above: between the program and the layer,
 * it checks the program's NV calls; the Linux validation layer does not
 * know VK_NV_external_memory_win32 (a Windows extension) and hides its
 * command, so above runs only what needs no win32 handle: export
 * allocations, NV and plain images and buffers on them, and dedicated
 * allocation.  Each instance first proves the validation layer is there
 * and where (vkt_probe).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "vkt.h"

#define W 64
#define H 64
#define BUF_SIZE 65536u
#define THREADS 4
#define CYCLES 25

static struct vkt a, b;			/* exporter, importer */
static bool above;			/* the validation layer above ours */
static PFN_vkGetMemoryWin32HandleNV get_handle_a;
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;

static const VkExternalMemoryHandleTypeFlagsNV all_types[] = {
	VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
	VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_BIT_NV,
	VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV,
	VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV,
};

struct kind {
	VkExternalMemoryHandleTypeFlagsNV type;
	VkImageTiling tiling;
	bool dedicated;
};

static bool is_fd(VkExternalMemoryHandleTypeFlagsNV type)
{
	return type & (VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV |
		       VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_BIT_NV);
}

/* The tiling the layer shares @type with here, and DEDICATED_ONLY. */
static bool kind_of(VkExternalMemoryHandleTypeFlagsNV type, struct kind *k)
{
	static const VkImageTiling tilings[] = {
		VK_IMAGE_TILING_OPTIMAL, VK_IMAGE_TILING_LINEAR,
	};
	PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV get =
		(PFN_vkGetPhysicalDeviceExternalImageFormatPropertiesNV)
		vkGetInstanceProcAddr(a.instance,
			"vkGetPhysicalDeviceExternalImageFormatPropertiesNV");
	const VkExternalMemoryFeatureFlagsNV need =
		VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT_NV |
		VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT_NV;

	for (size_t i = 0; get && i < TU_ARRAY_SIZE(tilings); i++) {
		VkExternalImageFormatPropertiesNV p;

		if (get(a.pd, VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_TYPE_2D,
			tilings[i], VK_IMAGE_USAGE_TRANSFER_SRC_BIT |
			VK_IMAGE_USAGE_TRANSFER_DST_BIT, 0, type, &p) ||
		    (p.externalMemoryFeatures & need) != need)
			continue;
		k->type = type;
		k->tiling = tilings[i];
		k->dedicated = p.externalMemoryFeatures &
			       VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT_NV;
		return true;
	}
	return false;
}

static VkImage nv_image(struct vkt *t, const struct kind *k, bool plain)
{
	VkDedicatedAllocationImageCreateInfoNV ded = {
		.sType = VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_IMAGE_CREATE_INFO_NV,
		.dedicatedAllocation = k->dedicated && !plain,
	};
	VkExternalMemoryImageCreateInfoNV ext = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV,
		.pNext = &ded,
		.handleTypes = k->type,
	};
	VkImageCreateInfo ici = vkt_image_info(W, H, k->tiling,
		plain ? (const void *)&ded : (const void *)&ext);
	VkImage image = VK_NULL_HANDLE;

	if (vkCreateImage(t->device, &ici, NULL, &image) != VK_SUCCESS)
		return VK_NULL_HANDLE;
	return image;
}

static VkBuffer plain_buffer(struct vkt *t)
{
	return vkt_buffer(t, BUF_SIZE, NULL);
}

/*
 * Memory for @mr on @t: exportable as @k->type (@h NULL) or imported from
 * *@h; dedicated to @image when it is not null.
 */
static VkResult memory(struct vkt *t, const struct kind *k,
		       const VkMemoryRequirements *mr, VkImage image,
		       const HANDLE *h, VkDeviceMemory *mem)
{
	VkDedicatedAllocationMemoryAllocateInfoNV ded = {
		.sType = VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_MEMORY_ALLOCATE_INFO_NV,
		.image = image,
	};
	VkExportMemoryWin32HandleInfoNV win32 = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.pNext = image ? &ded : NULL,
	};
	VkExportMemoryAllocateInfoNV exp = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV,
		.pNext = above ? (image ? (const void *)&ded : NULL) :
			 (const void *)&win32,
		.handleTypes = k->type,
	};
	VkImportMemoryWin32HandleInfoNV imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.pNext = image ? &ded : NULL,
		.handleType = k->type,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &exp,
		.allocationSize = mr->size,
		.memoryTypeIndex = vkt_memory_type(t, mr->memoryTypeBits, 0),
	};

	if (h) {
		imp.handle = *h;
		mai.pNext = &imp;
	}
	*mem = VK_NULL_HANDLE;
	return vkAllocateMemory(t->device, &mai, NULL, mem);
}

static void drop_handle(const struct kind *k, HANDLE h)
{
	if (is_fd(k->type) && PRIMESHARE_FD_FROM_HANDLE(h) >= 0)
		close(PRIMESHARE_FD_FROM_HANDLE(h));
}

/*
 * One share of an NV image: A's image on exportable memory, and (below)
 * B's image on memory imported from its handle.  0 when all went well.
 */
static int share_image(const struct kind *k)
{
	VkImage ia = nv_image(&a, k, false), ib = VK_NULL_HANDLE;
	VkDeviceMemory ma = VK_NULL_HANDLE, mb = VK_NULL_HANDLE;
	VkMemoryRequirements mr;
	HANDLE h = NULL;
	int bad = 1;

	if (!ia)
		return 1;
	vkGetImageMemoryRequirements(a.device, ia, &mr);
	if (memory(&a, k, &mr, k->dedicated ? ia : VK_NULL_HANDLE, NULL, &ma) ||
	    vkBindImageMemory(a.device, ia, ma, 0))
		goto out;
	if (above) {
		bad = 0;
		goto out;
	}
	if (get_handle_a(a.device, ma, k->type, &h))
		goto out;
	ib = nv_image(&b, k, false);
	if (!ib || memory(&b, k, &mr, k->dedicated ? ib : VK_NULL_HANDLE, &h,
			  &mb)) {
		drop_handle(k, h);
		goto out;
	}
	bad = vkBindImageMemory(b.device, ib, mb, 0) != VK_SUCCESS;
out:
	vkDestroyImage(b.device, ib, NULL);
	vkFreeMemory(b.device, mb, NULL);
	vkDestroyImage(a.device, ia, NULL);
	vkFreeMemory(a.device, ma, NULL);
	return bad;
}

/* A's GPU fills @from; B's GPU copies @to into a host buffer: compare. */
static bool same_bytes(VkBuffer from, VkBuffer to)
{
	VkMemoryBarrier written = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
	};
	VkBufferCopy copy = { .size = BUF_SIZE };
	VkDeviceMemory host_mem;
	VkCommandBuffer cb;
	unsigned int wrong = 0;
	uint32_t *map;
	VkBuffer host;

	host = vkt_host_buffer(&b, BUF_SIZE, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
			       &host_mem, (void **)&map);
	if (!host)
		return false;
	pthread_mutex_lock(&queue_lock);
	cb = vkt_begin(&a);
	vkCmdFillBuffer(cb, from, 0, BUF_SIZE, 0xc0ffee11u);
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
			     VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &written, 0,
			     NULL, 0, NULL);
	wrong += vkt_submit(&a, cb) != VK_SUCCESS;
	cb = vkt_begin(&b);
	vkCmdCopyBuffer(cb, to, host, 1, &copy);
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
			     VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &written, 0,
			     NULL, 0, NULL);
	wrong += vkt_submit(&b, cb) != VK_SUCCESS;
	pthread_mutex_unlock(&queue_lock);
	for (uint32_t i = 0; i < BUF_SIZE / 4; i++)
		wrong += map[i] != 0xc0ffee11u;
	vkDestroyBuffer(b.device, host, NULL);
	vkFreeMemory(b.device, host_mem, NULL);
	return !wrong;
}

/*
 * A plain image and a buffer on exportable memory of A; (below) the
 * buffer's memory imported by B into a plain buffer, the bytes compared.
 */
static int share_plain(const struct kind *k, bool compare)
{
	struct kind plain = *k;
	VkImage img;
	VkBuffer ba = plain_buffer(&a), bb = VK_NULL_HANDLE;
	VkDeviceMemory mi = VK_NULL_HANDLE, ma = VK_NULL_HANDLE,
		       mb = VK_NULL_HANDLE;
	VkMemoryRequirements mr;
	HANDLE h = NULL;
	int bad = 1;

	plain.dedicated = false;
	plain.tiling = VK_IMAGE_TILING_OPTIMAL;
	img = nv_image(&a, &plain, true);
	if (!img || !ba)
		goto out;
	vkGetImageMemoryRequirements(a.device, img, &mr);
	if (memory(&a, &plain, &mr, VK_NULL_HANDLE, NULL, &mi) ||
	    vkBindImageMemory(a.device, img, mi, 0))
		goto out;
	vkGetBufferMemoryRequirements(a.device, ba, &mr);
	if (memory(&a, &plain, &mr, VK_NULL_HANDLE, NULL, &ma) ||
	    vkBindBufferMemory(a.device, ba, ma, 0))
		goto out;
	/*
	 * A D3D11_IMAGE_KMT handle describes the image bound to its memory;
	 * buffer memory has none, and the layer refuses it such a handle.
	 */
	if (above ||
	    k->type == VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV) {
		bad = 0;
		goto out;
	}
	if (get_handle_a(a.device, ma, k->type, &h))
		goto out;
	bb = plain_buffer(&b);
	if (memory(&b, &plain, &mr, VK_NULL_HANDLE, &h, &mb)) {
		drop_handle(k, h);
		goto out;
	}
	bad = vkBindBufferMemory(b.device, bb, mb, 0) != VK_SUCCESS ||
	      (compare && !same_bytes(ba, bb));
out:
	vkDestroyBuffer(b.device, bb, NULL);
	vkFreeMemory(b.device, mb, NULL);
	vkDestroyBuffer(a.device, ba, NULL);
	vkDestroyImage(a.device, img, NULL);
	vkFreeMemory(a.device, ma, NULL);
	vkFreeMemory(a.device, mi, NULL);
	return bad;
}

static struct kind kinds[TU_ARRAY_SIZE(all_types)];
static unsigned int nkinds;

static void *worker(void *arg)
{
	uintptr_t bad = 0;

	(void)arg;
	for (unsigned int c = 0; c < CYCLES; c++)
		for (unsigned int i = 0; i < nkinds; i++)
			bad += share_image(&kinds[i]) +
			       share_plain(&kinds[i], false);
	return (void *)bad;
}

static void open_side(struct vkt *t, const char *who)
{
	static const char *const exts[] = {
		VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
		VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME,
		VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
	};
	/* Above, the Linux validation layer does not know _win32. */
	VkResult res = vkt_nv_open(t, VK_API_VERSION_1_1, exts, above ? 2 : 3);

	if (res != VK_SUCCESS)
		tap_bail("%s: instance and device: %d", who, res);
}

/*
 * VK_LAYER_PATH with every directory but primeshare's own (the build
 * tree's manifests) first: the validation layer's, wherever it was found.
 */
static void validation_first(void)
{
	const char *path = getenv("VK_LAYER_PATH");
	const char *ours[] = { getenv("LAYER_BUILDDIR"), getenv("LAYER_TESTDIR") };
	char first[8192] = "", last[8192] = "", *copy, *dir, *save;

	if (!path || !ours[0] || !ours[1])
		tap_bail("run through corpus-above.test (layer-env.sh)");
	copy = strdup(path);
	for (dir = strtok_r(copy, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		bool mine = false;

		for (int i = 0; i < 2; i++)
			mine |= !strncmp(dir, ours[i], strlen(ours[i])) &&
				!strcmp(dir + strlen(ours[i]), "/explicit");
		snprintf(mine ? last + strlen(last) : first + strlen(first),
			 sizeof(first) - strlen(mine ? last : first), "%s%s",
			 *(mine ? last : first) ? ":" : "", dir);
	}
	free(copy);
	snprintf(copy = calloc(1, sizeof(first) * 2 + 2), sizeof(first) * 2 + 2,
		 "%s:%s", first, last);
	setenv("VK_LAYER_PATH", copy, 1);
	free(copy);
}

int main(int argc, char **argv)
{
	const char *where = argc > 1 ? argv[1] : "below";
	pthread_t th[THREADS];
	uintptr_t bad = 0;

	above = !strcmp(where, "above");
	if (above)
		validation_first();
	vkt_validation_above(above);
	vkt_layers(true);
	if (!vkt_validation_active()) {
		printf("1..0 # SKIP VK_LAYER_KHRONOS_validation not installed\n");
		return 0;
	}
	open_side(&a, "exporter");
	open_side(&b, "importer");
	get_handle_a = (PFN_vkGetMemoryWin32HandleNV)
		vkGetDeviceProcAddr(a.device, "vkGetMemoryWin32HandleNV");
	tap_ok(above ? !get_handle_a : get_handle_a != NULL,
	       "%s: vkGetMemoryWin32HandleNV %s", where,
	       above ? "is hidden by the Linux validation layer above (win32 parts not run)" :
		       "is there");

	for (size_t i = 0; i < TU_ARRAY_SIZE(all_types); i++)
		if (kind_of(all_types[i], &kinds[nkinds]))
			nkinds++;
	tap_ok(nkinds > 0, "%s: %u handle types exportable and importable here",
	       where, nkinds);
	for (unsigned int i = 0; i < nkinds; i++) {
		const struct kind *k = &kinds[i];

		tap_ok(!share_image(k),
		       "%s: type 0x%x: an NV image%s %s", where, k->type,
		       k->dedicated ? " (dedicated)" : "",
		       above ? "on exportable memory" :
			       "exported by one instance, imported by another");
		tap_ok(!share_plain(k, true),
		       "%s: type 0x%x: a plain image and a buffer on exportable memory%s",
		       where, k->type, above ? "" :
		       k->type == VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV ?
		       " (a D3D11_IMAGE_KMT handle needs an image: the buffer is not imported)" :
		       ", the buffer imported by the other instance and the GPU's bytes read back through it");
	}
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < THREADS; i++) {
		void *r;

		pthread_join(th[i], &r);
		bad += (uintptr_t)r;
	}
	tap_ok(!bad, "%s: %d threads, %d cycles each of every share at once (%lu failed)",
	       where, THREADS, CYCLES, (unsigned long)bad);
	vkt_destroy(&b);
	vkt_destroy(&a);
	vkt_check_validation(above ? "the corpus, validation above" :
			     "the corpus, validation below");
	return tap_done();
}
