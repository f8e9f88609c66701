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

struct ps_map_slot {
	void *key;		/* NULL: never used; PS_TOMBSTONE: removed */
	void *object;
};

#define PS_TOMBSTONE ((void *)(uintptr_t)1)

static pthread_mutex_t ps_map_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ps_map_slot *ps_map_slots;
static size_t ps_map_size;	/* a power of two, or 0 */
static size_t ps_map_used;	/* live entries plus tombstones */
static size_t ps_map_live;	/* live entries */

static size_t ps_map_hash(const void *key)
{
	uint64_t h = (uintptr_t)key;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h;
}

static struct ps_map_slot *ps_map_find(const void *key)
{
	size_t mask = ps_map_size - 1, i;

	if (!ps_map_size)
		return NULL;
	for (i = ps_map_hash(key) & mask; ps_map_slots[i].key;
	     i = (i + 1) & mask)
		if (ps_map_slots[i].key == key)
			return &ps_map_slots[i];
	return NULL;
}

static int ps_map_grow(void)
{
	size_t old_size = ps_map_size, size = old_size ? old_size * 2 : 16;
	struct ps_map_slot *old = ps_map_slots, *slots;

	slots = calloc(size, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	ps_map_slots = slots;
	ps_map_size = size;
	ps_map_used = 0;
	for (size_t i = 0; i < old_size; i++) {
		size_t j;

		if (!old[i].key || old[i].key == PS_TOMBSTONE)
			continue;
		for (j = ps_map_hash(old[i].key) & (size - 1); slots[j].key;
		     j = (j + 1) & (size - 1))
			;
		slots[j] = old[i];
		ps_map_used++;
	}
	free(old);
	return 0;
}

/* ps_map_insert() - add or replace the object of @key.  0 or -ENOMEM. */
int ps_map_insert(void *key, void *object)
{
	struct ps_map_slot *slot;
	int ret = 0;
	size_t i;

	pthread_mutex_lock(&ps_map_lock);
	slot = ps_map_find(key);
	if (slot) {
		slot->object = object;
		goto out;
	}
	if ((ps_map_used + 1) * 2 > ps_map_size) {
		ret = ps_map_grow();
		if (ret)
			goto out;
	}
	/* Less than half full: there is a free slot or a tombstone. */
	i = ps_map_hash(key) & (ps_map_size - 1);
	while (ps_map_slots[i].key && ps_map_slots[i].key != PS_TOMBSTONE)
		i = (i + 1) & (ps_map_size - 1);
	if (!ps_map_slots[i].key)
		ps_map_used++;
	ps_map_slots[i].key = key;
	ps_map_slots[i].object = object;
	ps_map_live++;
out:
	pthread_mutex_unlock(&ps_map_lock);
	return ret;
}

void *ps_map_lookup(void *key)
{
	struct ps_map_slot *slot;
	void *object;

	pthread_mutex_lock(&ps_map_lock);
	slot = ps_map_find(key);
	object = slot ? slot->object : NULL;
	pthread_mutex_unlock(&ps_map_lock);
	return object;
}

/* ps_map_remove() - forget @key; returns its object, or NULL. */
void *ps_map_remove(void *key)
{
	struct ps_map_slot *slot;
	void *object = NULL;

	pthread_mutex_lock(&ps_map_lock);
	slot = ps_map_find(key);
	if (slot) {
		object = slot->object;
		slot->key = PS_TOMBSTONE;
		slot->object = NULL;
		ps_map_live--;
	}
	if (ps_map_size && !ps_map_live) {
		/* Nothing but tombstones left: start again. */
		free(ps_map_slots);
		ps_map_slots = NULL;
		ps_map_size = 0;
		ps_map_used = 0;
	}
	pthread_mutex_unlock(&ps_map_lock);
	return object;
}
