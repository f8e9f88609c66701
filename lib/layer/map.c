/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * The layer's objects, found by dispatch key.
 *
 * Every dispatchable handle starts with a pointer to the loader's dispatch
 * table; instances share theirs with their physical devices, devices with
 * their queues and command buffers.  That pointer is the key.  A program
 * has a handful of instances and devices, so the map is a small open
 * addressing table behind one mutex.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "layer.h"

struct nvx_map_slot {
	void *key;		/* NULL: never used; NVX_TOMBSTONE: removed */
	void *object;
};

#define NVX_TOMBSTONE ((void *)(uintptr_t)1)

static pthread_mutex_t nvx_map_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nvx_map_slot *nvx_map_slots;
static size_t nvx_map_size;	/* a power of two, or 0 */
static size_t nvx_map_used;	/* live entries plus tombstones */
static size_t nvx_map_live;	/* live entries */

static size_t nvx_map_hash(const void *key)
{
	uint64_t h = (uintptr_t)key;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h;
}

static struct nvx_map_slot *nvx_map_find(const void *key)
{
	size_t mask = nvx_map_size - 1, i;

	if (!nvx_map_size)
		return NULL;
	for (i = nvx_map_hash(key) & mask; nvx_map_slots[i].key;
	     i = (i + 1) & mask)
		if (nvx_map_slots[i].key == key)
			return &nvx_map_slots[i];
	return NULL;
}

static int nvx_map_grow(void)
{
	size_t old_size = nvx_map_size, size = old_size ? old_size * 2 : 16;
	struct nvx_map_slot *old = nvx_map_slots, *slots;

	slots = calloc(size, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	nvx_map_slots = slots;
	nvx_map_size = size;
	nvx_map_used = 0;
	for (size_t i = 0; i < old_size; i++) {
		size_t j;

		if (!old[i].key || old[i].key == NVX_TOMBSTONE)
			continue;
		for (j = nvx_map_hash(old[i].key) & (size - 1); slots[j].key;
		     j = (j + 1) & (size - 1))
			;
		slots[j] = old[i];
		nvx_map_used++;
	}
	free(old);
	return 0;
}

/* nvx_map_insert() - add or replace the object of @key.  0 or -ENOMEM. */
int nvx_map_insert(void *key, void *object)
{
	struct nvx_map_slot *slot;
	int ret = 0;
	size_t i;

	pthread_mutex_lock(&nvx_map_lock);
	slot = nvx_map_find(key);
	if (slot) {
		slot->object = object;
		goto out;
	}
	if ((nvx_map_used + 1) * 2 > nvx_map_size) {
		ret = nvx_map_grow();
		if (ret)
			goto out;
	}
	/* Less than half full: there is a free slot or a tombstone. */
	i = nvx_map_hash(key) & (nvx_map_size - 1);
	while (nvx_map_slots[i].key && nvx_map_slots[i].key != NVX_TOMBSTONE)
		i = (i + 1) & (nvx_map_size - 1);
	if (!nvx_map_slots[i].key)
		nvx_map_used++;
	nvx_map_slots[i].key = key;
	nvx_map_slots[i].object = object;
	nvx_map_live++;
out:
	pthread_mutex_unlock(&nvx_map_lock);
	return ret;
}

void *nvx_map_lookup(void *key)
{
	struct nvx_map_slot *slot;
	void *object;

	pthread_mutex_lock(&nvx_map_lock);
	slot = nvx_map_find(key);
	object = slot ? slot->object : NULL;
	pthread_mutex_unlock(&nvx_map_lock);
	return object;
}

/* nvx_map_remove() - forget @key; returns its object, or NULL. */
void *nvx_map_remove(void *key)
{
	struct nvx_map_slot *slot;
	void *object = NULL;

	pthread_mutex_lock(&nvx_map_lock);
	slot = nvx_map_find(key);
	if (slot) {
		object = slot->object;
		slot->key = NVX_TOMBSTONE;
		slot->object = NULL;
		nvx_map_live--;
	}
	if (nvx_map_size && !nvx_map_live) {
		/* Nothing but tombstones left: start again. */
		free(nvx_map_slots);
		nvx_map_slots = NULL;
		nvx_map_size = 0;
		nvx_map_used = 0;
	}
	pthread_mutex_unlock(&nvx_map_lock);
	return object;
}
