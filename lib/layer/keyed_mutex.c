/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * VK_NV_win32_keyed_mutex over primeshare's keyed mutexes.
 *
 * A VkWin32KeyedMutexAcquireReleaseInfoNV chained to a VkSubmitInfo (or
 * VkSubmitInfo2) names memory objects, keys to acquire before the batch
 * runs and keys to release with when it has completed.  The memory objects
 * are those shared by a KMT handle (kmt.c) that carries a keyed mutex: the
 * layer exports its KMT handles with one on devices that enabled the
 * extension, and an importer uses the mutex of the handle it imported.
 *
 * The submission, on the application's thread:
 *
 *   acquire  for every batch, every acquire, in order: KM_ACQUIRE with the
 *            entry's timeout (0xFFFFFFFF, INFINITE, waits for ever) through
 *            libprimeshare, which also waits for the last release's fence,
 *            so the buffer is idle when the batch is submitted.  The
 *            specification names no result for an acquire that fails
 *            (vkQueueSubmit returns VK_SUCCESS, VK_ERROR_OUT_OF_HOST_MEMORY,
 *            VK_ERROR_OUT_OF_DEVICE_MEMORY, VK_ERROR_DEVICE_LOST,
 *            VK_ERROR_UNKNOWN and VK_ERROR_VALIDATION_FAILED): a timeout
 *            returns VK_TIMEOUT ("a wait operation has not completed in the
 *            specified time", the specification's success code for it),
 *            an abandoned mutex (its holder died: its contents are lost,
 *            D3D's WAIT_ABANDONED) or one whose handle ended
 *            VK_ERROR_DEVICE_LOST.  Either way nothing of the call is
 *            submitted and the mutexes it took are given back as they
 *            were.
 *   submit   the batches go down with the keyed-mutex structure taken out
 *            of their chains (the driver has no such extension), the
 *            application's fence with them.
 *   release  when some batch releases, a fence of the layer's goes with
 *            the batches (or, when the application gave one, with an
 *            empty batch after them), and a thread of the device's waits
 *            for that fence, then makes each KM_RELEASE: off the application's
 *            thread, and only once the work is done.  An acquire of a
 *            mutex with a release still pending first waits for it, so
 *            that a process may take back what it just released.
 *
 * The mutexes belong to the device's primeshare session: closing it (the
 * device is destroyed, the process exits) while holding one abandons it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "primeshare.h"
#include "layer.h"

/* One KM_RELEASE to make once a fence has signalled. */
struct nvx_km_release {
	uint64_t handle;
	uint64_t key;
};

/* A submission's releases, waiting for its fence. */
struct nvx_km_job {
	struct nvx_km_job *next;
	VkFence fence;
	uint32_t count;
	struct nvx_km_release rel[];
};

/* The device's release thread, its queue of jobs and its spare fences. */
struct nvx_km {
	pthread_mutex_t lock;	/* protects everything below */
	pthread_cond_t cond;	/* a job queued or done, or stop */
	pthread_t thread;
	bool started, stop;
	struct nvx_km_job *head, **tail;
	VkFence *spare;
	uint32_t nspare, spare_alloc;
};

static bool nvx_km_pending(struct nvx_km *km, uint64_t handle)
{
	for (struct nvx_km_job *j = km->head; j; j = j->next)
		for (uint32_t i = 0; i < j->count; i++)
			if (j->rel[i].handle == handle)
				return true;
	return false;
}

static void nvx_km_do_releases(struct nvx_device *dev, struct nvx_km_job *j)
{
	char text[PRIMESHARE_HANDLE_TEXT_SIZE];

	for (uint32_t i = 0; i < j->count; i++) {
		int ret = primeshare_keyed_mutex_release(dev->ps,
							 j->rel[i].handle,
							 j->rel[i].key, -1);

		if (ret) {
			primeshare_handle_format(j->rel[i].handle, text,
						 sizeof(text));
			nvx_error("vkQueueSubmit: releasing the keyed mutex of KMT handle %s with key %llu: %s%s",
				  text, (unsigned long long)j->rel[i].key,
				  strerror(-ret), ret == -EPERM ?
				  " (not acquired by a submission of this device)" : "");
		} else {
			nvx_debug("keyed mutex released with key %llu",
				  (unsigned long long)j->rel[i].key);
		}
	}
}

/* The release thread: wait for each job's fence, then release. */
static void *nvx_km_thread(void *arg)
{
	struct nvx_device *dev = arg;
	struct nvx_km *km = dev->km;
	struct nvx_km_job *j;
	VkResult res;

	pthread_mutex_lock(&km->lock);
	for (;;) {
		while (!km->head && !km->stop)
			pthread_cond_wait(&km->cond, &km->lock);
		if (!km->head)
			break;
		j = km->head;
		pthread_mutex_unlock(&km->lock);

		res = dev->next.WaitForFences(dev->handle, 1, &j->fence,
					      VK_TRUE, UINT64_MAX);
		if (res != VK_SUCCESS)
			nvx_error("keyed mutex: waiting for a submission: %d; releasing anyway",
				  res);
		nvx_km_do_releases(dev, j);
		dev->next.ResetFences(dev->handle, 1, &j->fence);

		pthread_mutex_lock(&km->lock);
		km->head = j->next;
		if (!km->head)
			km->tail = &km->head;
		if (km->nspare < km->spare_alloc)
			km->spare[km->nspare++] = j->fence;
		else
			dev->next.DestroyFence(dev->handle, j->fence, NULL);
		free(j);
		pthread_cond_broadcast(&km->cond);
	}
	pthread_mutex_unlock(&km->lock);
	return NULL;
}

/* The device's state, made with the device (nvx_km_init). */
int nvx_km_init(struct nvx_device *dev)
{
	struct nvx_km *km = calloc(1, sizeof(*km));

	if (!km)
		return -ENOMEM;
	pthread_mutex_init(&km->lock, NULL);
	pthread_cond_init(&km->cond, NULL);
	km->tail = &km->head;
	km->spare_alloc = 8;
	km->spare = calloc(km->spare_alloc, sizeof(*km->spare));
	if (!km->spare) {
		free(km);
		return -ENOMEM;
	}
	dev->km = km;
	return 0;
}

/*
 * Before the device goes: the pending releases are made (the application
 * waited for its work, so their fences have signalled) and the thread
 * ends.
 */
void nvx_km_fini(struct nvx_device *dev)
{
	struct nvx_km *km = dev->km;

	if (!km)
		return;
	pthread_mutex_lock(&km->lock);
	km->stop = true;
	pthread_cond_broadcast(&km->cond);
	pthread_mutex_unlock(&km->lock);
	if (km->started)
		pthread_join(km->thread, NULL);
	for (uint32_t i = 0; i < km->nspare; i++)
		dev->next.DestroyFence(dev->handle, km->spare[i], NULL);
	free(km->spare);
	pthread_cond_destroy(&km->cond);
	pthread_mutex_destroy(&km->lock);
	free(km);
	dev->km = NULL;
}

/* A fence for a job: a spare one, or a new one. */
static VkResult nvx_km_fence(struct nvx_device *dev, VkFence *fence)
{
	VkFenceCreateInfo ci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	struct nvx_km *km = dev->km;

	pthread_mutex_lock(&km->lock);
	*fence = km->nspare ? km->spare[--km->nspare] : VK_NULL_HANDLE;
	pthread_mutex_unlock(&km->lock);
	if (*fence)
		return VK_SUCCESS;
	return dev->next.CreateFence(dev->handle, &ci, NULL, fence);
}

static void nvx_km_queue(struct nvx_device *dev, struct nvx_km_job *j)
{
	struct nvx_km *km = dev->km;
	int ret = 0;

	pthread_mutex_lock(&km->lock);
	if (!km->started) {
		ret = pthread_create(&km->thread, NULL, nvx_km_thread, dev);
		km->started = !ret;
	}
	if (!ret) {
		*km->tail = j;
		km->tail = &j->next;
		pthread_cond_broadcast(&km->cond);
	}
	pthread_mutex_unlock(&km->lock);
	if (ret) {
		/* No thread: wait here, as a driver without threads would. */
		nvx_error("keyed mutex: no release thread (%s); waiting in vkQueueSubmit",
			  strerror(ret));
		dev->next.WaitForFences(dev->handle, 1, &j->fence, VK_TRUE,
					UINT64_MAX);
		nvx_km_do_releases(dev, j);
		dev->next.DestroyFence(dev->handle, j->fence, NULL);
		free(j);
	}
}

/* Wait until no release of @handle is pending. */
static void nvx_km_drain(struct nvx_device *dev, uint64_t handle)
{
	struct nvx_km *km = dev->km;

	pthread_mutex_lock(&km->lock);
	while (nvx_km_pending(km, handle))
		pthread_cond_wait(&km->cond, &km->lock);
	pthread_mutex_unlock(&km->lock);
}

/* The keyed-mutex handle of @memory, or 0 with a message. */
static uint64_t nvx_km_handle(struct nvx_device *dev, VkDeviceMemory memory)
{
	struct nvx_memory *m = nvx_memory_find(dev, memory);
	uint64_t h = 0;

	if (m) {
		pthread_mutex_lock(&dev->lock);
		h = m->km_handle;
		pthread_mutex_unlock(&dev->lock);
	}
	if (!h)
		nvx_error("vkQueueSubmit: VkWin32KeyedMutexAcquireReleaseInfoNV names memory 0x%llx, which has no keyed mutex: only memory imported by a KMT handle with one, or memory with a KMT handle made by vkGetMemoryWin32HandleNV on this device, has one",
			  (unsigned long long)memory);
	return h;
}

/* What the layer took in one vkQueueSubmit, to give back on failure. */
struct nvx_km_taken {
	uint64_t handle;
	uint64_t key;
};

static VkResult nvx_km_result(int ret, uint64_t handle, uint64_t key,
			      uint32_t ms)
{
	char text[PRIMESHARE_HANDLE_TEXT_SIZE];

	primeshare_handle_format(handle, text, sizeof(text));
	switch (ret) {
	case -ETIMEDOUT:
		nvx_debug("vkQueueSubmit: keyed mutex of %s, key %llu: not released within %u ms",
			  text, (unsigned long long)key, ms);
		return VK_TIMEOUT;
	case -ENOTRECOVERABLE:
		nvx_error("vkQueueSubmit: the keyed mutex of KMT handle %s is abandoned: a holder exited while holding it, and the memory's contents are lost; make the memory anew",
			  text);
		return VK_ERROR_DEVICE_LOST;
	case -ENOENT:
		nvx_error("vkQueueSubmit: KMT handle %s has ended (its exporter freed the memory or exited): its keyed mutex is gone",
			  text);
		return VK_ERROR_DEVICE_LOST;
	case -EDEADLK:
		nvx_error("vkQueueSubmit: the keyed mutex of KMT handle %s is acquired already by this device and not released",
			  text);
		return VK_ERROR_VALIDATION_FAILED_EXT;
	default:
		nvx_error("vkQueueSubmit: acquiring the keyed mutex of KMT handle %s: %s",
			  text, strerror(-ret));
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	}
}

/*
 * Acquire what one keyed-mutex structure asks for, appending to @taken;
 * on failure the caller gives back what is in @taken.
 */
static VkResult nvx_km_acquire(struct nvx_device *dev,
			       const VkWin32KeyedMutexAcquireReleaseInfoNV *km,
			       struct nvx_km_taken *taken, uint32_t *ntaken)
{
	for (uint32_t i = 0; i < km->acquireCount; i++) {
		uint32_t ms = km->pAcquireTimeoutMilliseconds[i];
		uint64_t key = km->pAcquireKeys[i];
		uint64_t h = nvx_km_handle(dev, km->pAcquireSyncs[i]);
		uint64_t ns = ms == UINT32_MAX ? PRIMESHARE_TIMEOUT_INFINITE :
			      (uint64_t)ms * 1000000;
		int ret;

		if (!h)
			return VK_ERROR_VALIDATION_FAILED_EXT;
		nvx_km_drain(dev, h);
		ret = primeshare_keyed_mutex_acquire(dev->ps, h, key, ns, NULL);
		if (ret)
			return nvx_km_result(ret, h, key, ms);
		taken[*ntaken].handle = h;
		taken[(*ntaken)++].key = key;
		nvx_debug("vkQueueSubmit: keyed mutex acquired with key %llu",
			  (unsigned long long)key);
	}
	return VK_SUCCESS;
}

/* The batches of one submission, as the layer sees both submit commands. */
struct nvx_km_batches {
	uint32_t count;
	const void *items;	/* VkSubmitInfo or VkSubmitInfo2 */
	size_t size;		/* of one item */
};

static const VkWin32KeyedMutexAcquireReleaseInfoNV *
nvx_km_info(const struct nvx_km_batches *b, uint32_t i)
{
	const VkBaseInStructure *s = (const void *)
		((const char *)b->items + i * b->size);

	return nvx_chain_find(s->pNext,
		VK_STRUCTURE_TYPE_WIN32_KEYED_MUTEX_ACQUIRE_RELEASE_INFO_NV);
}

static void nvx_km_give_back(struct nvx_device *dev,
			     const struct nvx_km_taken *taken, uint32_t n)
{
	/* The fences were waited for: given back with none, same key. */
	while (n--)
		primeshare_keyed_mutex_release(dev->ps, taken[n].handle,
					       taken[n].key, -1);
}

/*
 * The job of the releases of every batch, or NULL when there are none
 * (*@res says whether that is a failure).
 */
static struct nvx_km_job *nvx_km_job(struct nvx_device *dev,
				     const struct nvx_km_batches *b,
				     VkResult *res)
{
	const VkWin32KeyedMutexAcquireReleaseInfoNV *km;
	struct nvx_km_job *j;
	uint32_t n = 0, k = 0;

	*res = VK_SUCCESS;
	for (uint32_t i = 0; i < b->count; i++) {
		km = nvx_km_info(b, i);
		n += km ? km->releaseCount : 0;
	}
	if (!n)
		return NULL;
	j = calloc(1, sizeof(*j) + n * sizeof(j->rel[0]));
	if (!j) {
		*res = VK_ERROR_OUT_OF_HOST_MEMORY;
		return NULL;
	}
	for (uint32_t i = 0; i < b->count; i++) {
		km = nvx_km_info(b, i);
		for (uint32_t r = 0; km && r < km->releaseCount; r++) {
			uint64_t h = nvx_km_handle(dev, km->pReleaseSyncs[r]);

			if (!h) {
				free(j);
				*res = VK_ERROR_VALIDATION_FAILED_EXT;
				return NULL;
			}
			j->rel[k].handle = h;
			j->rel[k++].key = km->pReleaseKeys[r];
		}
	}
	j->count = k;
	*res = nvx_km_fence(dev, &j->fence);
	if (*res != VK_SUCCESS) {
		free(j);
		return NULL;
	}
	return j;
}

/*
 * Copies of the batches, the keyed-mutex structure taken out of each chain
 * that has one; *@chains holds the copied chains.
 */
static void *nvx_km_strip(const struct nvx_km_batches *b,
			  struct nvx_chain **chains)
{
	static const VkStructureType drop[] = {
		VK_STRUCTURE_TYPE_WIN32_KEYED_MUTEX_ACQUIRE_RELEASE_INFO_NV,
	};
	char *copies = malloc(b->count * b->size);

	*chains = calloc(b->count, sizeof(**chains));
	if (!copies || !*chains) {
		free(copies);
		free(*chains);
		return NULL;
	}
	for (uint32_t i = 0; i < b->count; i++) {
		const void *item = (const char *)b->items + i * b->size;

		if (nvx_km_info(b, i)) {
			nvx_chain_copy(&(*chains)[i], item, b->size, drop, 1);
			memcpy(copies + i * b->size, (*chains)[i].head, b->size);
		} else {
			memcpy(copies + i * b->size, item, b->size);
		}
	}
	return copies;
}

typedef VkResult (*nvx_km_down_fn)(struct nvx_device *dev, VkQueue queue,
				   uint32_t count, const void *items,
				   VkFence fence);

static VkResult nvx_km_down1(struct nvx_device *dev, VkQueue queue,
			     uint32_t count, const void *items, VkFence fence)
{
	return dev->next.QueueSubmit(queue, count, items, fence);
}

static VkResult nvx_km_down2(struct nvx_device *dev, VkQueue queue,
			     uint32_t count, const void *items, VkFence fence)
{
	return dev->next.QueueSubmit2(queue, count, items, fence);
}

static VkResult nvx_km_down2_khr(struct nvx_device *dev, VkQueue queue,
				 uint32_t count, const void *items,
				 VkFence fence)
{
	return dev->next.QueueSubmit2KHR(queue, count, items, fence);
}

/*
 * A submission some batch of which has a keyed-mutex structure: acquire,
 * submit the stripped batches, queue the releases.  Kept whole: the three
 * steps share what must be undone when a later one fails.
 */
static VkResult nvx_km_submit(struct nvx_device *dev, VkQueue queue,
			      const struct nvx_km_batches *b, VkFence fence,
			      nvx_km_down_fn down)
{
	const VkWin32KeyedMutexAcquireReleaseInfoNV *km;
	struct nvx_km_taken *taken;
	struct nvx_km_job *job;
	struct nvx_chain *chains;
	uint32_t ntaken = 0, nacq = 0;
	void *copies;
	VkResult res;

	for (uint32_t i = 0; i < b->count; i++) {
		km = nvx_km_info(b, i);
		nacq += km ? km->acquireCount : 0;
	}
	taken = calloc(nacq ? nacq : 1, sizeof(*taken));
	copies = nvx_km_strip(b, &chains);
	if (!taken || !copies) {
		res = VK_ERROR_OUT_OF_HOST_MEMORY;
		goto out;
	}
	job = nvx_km_job(dev, b, &res);
	if (res != VK_SUCCESS)
		goto out;

	for (uint32_t i = 0; i < b->count && res == VK_SUCCESS; i++) {
		km = nvx_km_info(b, i);
		if (km)
			res = nvx_km_acquire(dev, km, taken, &ntaken);
	}
	/*
	 * The layer's fence goes with the batches where the application gave
	 * none, else with an empty batch after them: both signal once the
	 * batches are done.
	 */
	if (res == VK_SUCCESS)
		res = down(dev, queue, b->count, copies,
			   job && !fence ? job->fence : fence);
	if (res == VK_SUCCESS && job && fence) {
		VkSubmitInfo empty = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO };

		res = dev->next.QueueSubmit(queue, 1, &empty, job->fence);
	}
	if (res != VK_SUCCESS) {
		nvx_km_give_back(dev, taken, ntaken);
		if (job) {
			dev->next.DestroyFence(dev->handle, job->fence, NULL);
			free(job);
		}
		goto out;
	}
	if (job)
		nvx_km_queue(dev, job);
out:
	free(taken);
	free(copies);
	free(chains);
	return res;
}

static bool nvx_km_any(const struct nvx_km_batches *b)
{
	for (uint32_t i = 0; i < b->count; i++)
		if (nvx_km_info(b, i))
			return true;
	return false;
}

/*
 * The three submit commands: straight down when no batch has a
 * keyed-mutex structure, else through nvx_km_submit().
 */
static VkResult nvx_km_entry(VkQueue queue, uint32_t count, const void *items,
			     size_t size, VkFence fence, nvx_km_down_fn down)
{
	struct nvx_device *dev = nvx_device_from(queue);
	struct nvx_km_batches b = {
		.count = count, .items = items, .size = size,
	};

	if (!dev)
		return VK_ERROR_INITIALIZATION_FAILED;
	if (!nvx_km_any(&b))
		return down(dev, queue, count, items, fence);
	return nvx_km_submit(dev, queue, &b, fence, down);
}

VKAPI_ATTR VkResult VKAPI_CALL nvx_QueueSubmit(VkQueue queue,
	uint32_t submitCount, const VkSubmitInfo *pSubmits, VkFence fence)
{
	return nvx_km_entry(queue, submitCount, pSubmits, sizeof(*pSubmits),
			    fence, nvx_km_down1);
}

VKAPI_ATTR VkResult VKAPI_CALL nvx_QueueSubmit2(VkQueue queue,
	uint32_t submitCount, const VkSubmitInfo2 *pSubmits, VkFence fence)
{
	return nvx_km_entry(queue, submitCount, pSubmits, sizeof(*pSubmits),
			    fence, nvx_km_down2);
}

VKAPI_ATTR VkResult VKAPI_CALL nvx_QueueSubmit2KHR(VkQueue queue,
	uint32_t submitCount, const VkSubmitInfo2 *pSubmits, VkFence fence)
{
	return nvx_km_entry(queue, submitCount, pSubmits, sizeof(*pSubmits),
			    fence, nvx_km_down2_khr);
}
