/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * The few objects of a device the layer must remember beyond its records
 * of shared memory and NV images: plain resources the driver would not make
 * external (external.c), and the resources and memory of NV dedicated
 * allocations (dedicated.c).  A short list under the device's lock: only
 * such objects are on it, and it is searched only when one of its kinds
 * can matter.
 */
#include <stdlib.h>

#include "layer.h"

struct nvx_track {
	struct nvx_track *next;
	enum nvx_track_kind kind;
	uint64_t handle;
	uint64_t object;	/* NVX_TRACK_DEDICATED_MEMORY: for which */
	bool object_buffer;	/* ... and whether that is a buffer */
};

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
	t->next = dev->tracks;
	dev->tracks = t;
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

	if (!dev->tracks || !handle)
		return false;
	pthread_mutex_lock(&dev->lock);
	for (t = dev->tracks; t; t = t->next) {
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

	if (!dev->tracks || !handle)
		return;
	pthread_mutex_lock(&dev->lock);
	for (p = &dev->tracks; *p; p = &(*p)->next) {
		if ((*p)->kind == kind && (*p)->handle == handle) {
			gone = *p;
			*p = gone->next;
			break;
		}
	}
	pthread_mutex_unlock(&dev->lock);
	free(gone);
}

void nvx_device_forget_tracks(struct nvx_device *dev)
{
	struct nvx_track *t, *next;

	for (t = dev->tracks; t; t = next) {
		next = t->next;
		free(t);
	}
	dev->tracks = NULL;
}
