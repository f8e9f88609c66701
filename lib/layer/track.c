/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * The few objects of a device the layer must remember beyond its records
 * of shared memory and NV images: plain resources the driver would not make
 * external (external.c), and the resources and memory of NV dedicated
 * allocations (dedicated.c).  A hash table of NVX_TRACK_BUCKETS lists
 * under the device's lock, keyed by handle; an atomic count lets the many
 * calls on a device with nothing on it skip the lock.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "layer.h"

struct nvx_track {
	struct nvx_track *next;
	enum nvx_track_kind kind;
	uint64_t handle;
	uint64_t object;	/* NVX_TRACK_DEDICATED_MEMORY: for which */
	bool object_buffer;	/* ... and whether that is a buffer */
};

static unsigned int nvx_track_bucket(uint64_t handle)
{
	handle ^= handle >> 29;
	handle *= 0x9e3779b97f4a7c15ull;
	return (unsigned int)(handle >> 56) % NVX_TRACK_BUCKETS;
}

void nvx_track_add(struct nvx_device *dev, enum nvx_track_kind kind,
		   uint64_t handle, uint64_t object, bool object_buffer)
{
	struct nvx_track *t = calloc(1, sizeof(*t));

	if (!t)
		return;
	t->kind = kind;
	t->handle = handle;
	t->object = object;
	t->object_buffer = object_buffer;
	pthread_mutex_lock(&dev->lock);
	t->next = dev->tracks[nvx_track_bucket(handle)];
	dev->tracks[nvx_track_bucket(handle)] = t;
	atomic_fetch_add_explicit(&dev->ntracks, 1, memory_order_relaxed);
	pthread_mutex_unlock(&dev->lock);
}

/*
 * nvx_track_find() - whether @handle is on the list as @kind; for
 * dedicated memory, the object it is dedicated to in @object and
 * @object_buffer (either may be NULL).
 */
bool nvx_track_find(struct nvx_device *dev, enum nvx_track_kind kind,
		    uint64_t handle, uint64_t *object, bool *object_buffer)
{
	struct nvx_track *t;
	bool found = false;

	if (!handle ||
	    !atomic_load_explicit(&dev->ntracks, memory_order_relaxed))
		return false;
	pthread_mutex_lock(&dev->lock);
	for (t = dev->tracks[nvx_track_bucket(handle)]; t; t = t->next) {
		if (t->kind == kind && t->handle == handle) {
			if (object)
				*object = t->object;
			if (object_buffer)
				*object_buffer = t->object_buffer;
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&dev->lock);
	return found;
}

void nvx_track_forget(struct nvx_device *dev, enum nvx_track_kind kind,
		      uint64_t handle)
{
	struct nvx_track **p, *gone = NULL;

	if (!handle ||
	    !atomic_load_explicit(&dev->ntracks, memory_order_relaxed))
		return;
	pthread_mutex_lock(&dev->lock);
	for (p = &dev->tracks[nvx_track_bucket(handle)]; *p; p = &(*p)->next) {
		if ((*p)->kind == kind && (*p)->handle == handle) {
			gone = *p;
			*p = gone->next;
			atomic_fetch_sub_explicit(&dev->ntracks, 1,
						  memory_order_relaxed);
			break;
		}
	}
	pthread_mutex_unlock(&dev->lock);
	free(gone);
}

void nvx_device_forget_tracks(struct nvx_device *dev)
{
	struct nvx_track *t, *next;

	for (unsigned int b = 0; b < NVX_TRACK_BUCKETS; b++) {
		for (t = dev->tracks[b]; t; t = next) {
			next = t->next;
			free(t);
		}
		dev->tracks[b] = NULL;
	}
	atomic_store(&dev->ntracks, 0);
}
