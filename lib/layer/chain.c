/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Editing a pNext chain that belongs to the application.
 *
 * The chain is const: the layer never writes to the caller's structures.
 * To drop a structure it copies every structure in front of it into a
 * struct nvx_chain and relinks the copies; structures behind the last
 * dropped one are shared, not copied.  Copying needs the size of each
 * copied structure: the table below has every structure of the Vulkan
 * registry the layer is built with (stype-sizes.h, made by gen-stypes.py
 * from vk.xml) and the NV win32 structures of primeshare_vulkan_nv.h.
 *
 * A structure the table does not know (newer than the registry) cannot be
 * copied, and the copy then stops in front of it: it and everything behind
 * it, the NV structures to drop included, reach the driver as the
 * application chained them.  The call still works, because every component
 * must skip the structures it does not support ("Valid Usage for Structure
 * Pointer Chains" in the specification), but a validation layer below may
 * report the NV structure; the layer says so once on stderr.  A chain too
 * large for struct nvx_chain is treated the same way.
 */
#include <stdatomic.h>
#include <string.h>

#include "layer.h"

struct nvx_stype_size {
	VkStructureType type;
	size_t size;
};

#define NVX_STYPE_SIZE(t, s) { t, sizeof(s) },

static const struct nvx_stype_size nvx_stype_sizes[] = {
	/* VK_NV_external_memory_win32, VK_NV_win32_keyed_mutex: platform. */
	NVX_STYPE_SIZE(VK_STRUCTURE_TYPE_EXPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		       VkExportMemoryWin32HandleInfoNV)
	NVX_STYPE_SIZE(VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		       VkImportMemoryWin32HandleInfoNV)
	NVX_STYPE_SIZE(VK_STRUCTURE_TYPE_WIN32_KEYED_MUTEX_ACQUIRE_RELEASE_INFO_NV,
		       VkWin32KeyedMutexAcquireReleaseInfoNV)
#include "stype-sizes.h"
};

static size_t nvx_stype_size(VkStructureType type)
{
	for (size_t i = 0; i < NVX_ARRAY_SIZE(nvx_stype_sizes); i++)
		if (nvx_stype_sizes[i].type == type)
			return nvx_stype_sizes[i].size;
	return 0;
}

const void *nvx_chain_find(const void *chain, VkStructureType type)
{
	const VkBaseInStructure *s;

	for (s = chain; s; s = s->pNext)
		if (s->sType == type)
			return s;
	return NULL;
}

static bool nvx_dropped(VkStructureType type, const VkStructureType *drop,
			unsigned int ndrop)
{
	for (unsigned int i = 0; i < ndrop; i++)
		if (drop[i] == type)
			return true;
	return false;
}

static void *nvx_chain_slot(struct nvx_chain *c, const void *src, size_t size)
{
	size_t at = (c->used + 15) & ~(size_t)15;
	void *dst;

	if (at > sizeof(c->bytes) || size > sizeof(c->bytes) - at)
		return NULL;
	dst = c->bytes + at;
	c->used = at + size;
	memcpy(dst, src, size);
	return dst;
}

/* A structure the copy stops at: logged, and said once on stderr. */
static void nvx_chain_unknown(VkStructureType type, size_t size)
{
	static atomic_flag warned = ATOMIC_FLAG_INIT;
	const char *why = size ? "does not fit the layer's copy of the chain" :
				 "is newer than the layer's Vulkan registry";

	if (!atomic_flag_test_and_set(&warned))
		nvx_error("pNext chain: structure type %d %s; the structures behind it, NV ones included, go to the driver as they are (it skips those it does not support); rebuild the layer with newer Vulkan headers to have them translated",
			  (int)type, why);
	else
		nvx_debug("pNext chain: structure type %d %s", (int)type, why);
}

/*
 * nvx_chain_copy() - copy @top and its chain, leaving out the structure
 * types in @drop.
 *
 * The copy of @top becomes c->head.  Structures behind the last dropped one
 * are shared, as is everything from the first structure the layer cannot
 * copy (see above).
 */
void nvx_chain_copy(struct nvx_chain *c, const void *top, size_t top_size,
		    const VkStructureType *drop, unsigned int ndrop)
{
	const VkBaseInStructure *s, *last_drop = NULL;
	VkBaseOutStructure *prev;

	c->used = 0;
	c->head = nvx_chain_slot(c, top, top_size);
	c->head->pNext = NULL;

	for (s = ((const VkBaseInStructure *)top)->pNext; s; s = s->pNext)
		if (nvx_dropped(s->sType, drop, ndrop))
			last_drop = s;

	/* Copy everything up to the last dropped structure. */
	prev = c->head;
	for (s = ((const VkBaseInStructure *)top)->pNext; s && last_drop;
	     s = s->pNext) {
		VkBaseOutStructure *copy;
		size_t size;

		if (s == last_drop) {
			s = s->pNext;
			break;
		}
		if (nvx_dropped(s->sType, drop, ndrop))
			continue;
		size = nvx_stype_size(s->sType);
		copy = size ? nvx_chain_slot(c, s, size) : NULL;
		if (!copy) {
			nvx_chain_unknown(s->sType, size);
			break;
		}
		copy->pNext = NULL;
		prev->pNext = copy;
		prev = copy;
	}
	/* Share the rest as it is. */
	prev->pNext = (VkBaseOutStructure *)(last_drop ? s :
		((const VkBaseInStructure *)top)->pNext);
}

/*
 * nvx_chain_insert() - put @st (owned by the caller, living until the call
 * down returns) right behind the head of the edited chain.
 */
void nvx_chain_insert(struct nvx_chain *c, void *st)
{
	VkBaseOutStructure *b = st;

	b->pNext = c->head->pNext;
	c->head->pNext = b;
}
