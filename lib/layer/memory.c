/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Images and memory with NV external memory structures, rewritten to the
 * backend's KHR structures, and vkGetMemoryWin32HandleNV.
 *
 *   VkExternalMemoryImageCreateInfoNV     -> VkExternalMemoryImageCreateInfo
 *   VkExportMemoryAllocateInfoNV          -> VkExportMemoryAllocateInfo
 *   VkExportMemoryWin32HandleInfoNV       -> dropped (no meaning on Linux)
 *   VkImportMemoryWin32HandleInfoNV (fd)  -> VkImportMemoryFdInfoKHR
 *   VkDedicatedAllocation*NV              -> VkMemoryDedicatedAllocateInfo
 *                                            (image creation: dropped)
 *
 * The NV structures never reach the driver (or a layer below, such as the
 * validation layer).  A chain that breaks one of the specification's rules
 * about mixing them is refused with VK_ERROR_VALIDATION_FAILED_EXT and a
 * message naming the rule.
 *
 * What the memory is made of depends on the backend:
 *
 *   dma-buf, opaque-fd  the driver's: VkExportMemoryAllocateInfo and
 *                       VkImportMemoryFdInfoKHR with the backend's KHR type;
 *   prime               a dma-buf of the layer's (prime.c) whose mapping the
 *                       driver imports through VkImportMemoryHostPointerInfoEXT;
 *                       host memory cannot be a dedicated allocation, so the
 *                       dedicated structures are dropped there.
 *
 * The KMT types (kmt.c) import through primeshare into a dma-buf fd that
 * then takes the same way as an fd.  The layer keeps a record (struct
 * nvx_memory) of every allocation it shares, until vkFreeMemory.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layer.h"

static void nvx_memory_add(struct nvx_device *dev, struct nvx_memory *m)
{
	pthread_mutex_lock(&dev->lock);
	m->next = dev->memories;
	dev->memories = m;
	pthread_mutex_unlock(&dev->lock);
}

/* Unlink and return the record of @memory, or NULL. */
static struct nvx_memory *nvx_memory_take(struct nvx_device *dev,
					  VkDeviceMemory memory)
{
	struct nvx_memory **p, *m = NULL;

	pthread_mutex_lock(&dev->lock);
	for (p = &dev->memories; *p; p = &(*p)->next) {
		if ((*p)->handle == memory) {
			m = *p;
			*p = m->next;
			break;
		}
	}
	pthread_mutex_unlock(&dev->lock);
	return m;
}

/*
 * nvx_memory_find() - the record of @memory, or NULL.  The record lives
 * until vkFreeMemory of @memory, which the application may not call while
 * it uses the memory in another call.
 */
struct nvx_memory *nvx_memory_find(struct nvx_device *dev, VkDeviceMemory memory)
{
	struct nvx_memory *m;

	pthread_mutex_lock(&dev->lock);
	for (m = dev->memories; m; m = m->next)
		if (m->handle == memory)
			break;
	pthread_mutex_unlock(&dev->lock);
	return m;
}

/* Give back what the record holds, once the driver has let go. */
static void nvx_memory_destroy(struct nvx_device *dev, struct nvx_memory *m)
{
	nvx_kmt_release(dev, m);
	nvx_prime_unmap(m);
	free(m->import_desc);
	free(m);
}

void nvx_device_forget_memories(struct nvx_device *dev)
{
	struct nvx_memory *m, *next;

	for (m = dev->memories; m; m = next) {
		next = m->next;
		nvx_memory_destroy(dev, m);
	}
	dev->memories = NULL;
}

/* The NV structures of one vkAllocateMemory, and what they ask for. */
struct nvx_request {
	const VkExportMemoryAllocateInfoNV *exp;
	const VkExportMemoryWin32HandleInfoNV *exp_win32;
	const VkImportMemoryWin32HandleInfoNV *imp;
	const VkDedicatedAllocationMemoryAllocateInfoNV *nv_ded;
	const VkMemoryDedicatedAllocateInfo *khr_ded;
	VkExternalMemoryHandleTypeFlagsNV export_types, import_type;
	VkImage ded_image;	/* the dedicated image, either way */
};

/* The specification's rules about the NV structures and their mixing. */
static VkResult nvx_request_check(const struct nvx_device *dev, const void *next,
				  const struct nvx_request *r)
{
	const struct nvx_physdev *pd = dev->physdev;

	if ((r->exp || r->exp_win32) &&
	    nvx_chain_find(next, VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO)) {
		nvx_error("vkAllocateMemory: VkExportMemoryAllocateInfo chained with VkExportMemoryAllocateInfoNV or VkExportMemoryWin32HandleInfoNV (VUID-VkMemoryAllocateInfo-pNext-00640)");
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	if ((r->exp_win32 || r->imp) && !dev->nv_win32) {
		nvx_error("vkAllocateMemory: a VK_NV_external_memory_win32 structure, but that extension is not enabled (VUID-VkMemoryAllocateInfo-pNext-pNext)");
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	if (r->import_type && !nvx_single_bit(r->import_type)) {
		nvx_error("vkAllocateMemory: VkImportMemoryWin32HandleInfoNV::handleType 0x%x has more than one bit set (VUID-VkImportMemoryWin32HandleInfoNV-handleType-01327)",
			  r->import_type);
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	if (r->import_type &&
	    (nvx_chain_find(next, VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR) ||
	     nvx_chain_find(next, VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT))) {
		nvx_error("vkAllocateMemory: VkImportMemoryWin32HandleInfoNV and a KHR or EXT import in one chain (VUID-VkMemoryAllocateInfo-None-06657)");
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	if (r->export_types & ~pd->nv_types) {
		nvx_error("vkAllocateMemory: export handle types 0x%x are not supported here (backend %s carries 0x%x) (as VUID-VkExportMemoryAllocateInfo-handleTypes-00656)",
			  r->export_types, nvx_backend_name(pd->backend),
			  pd->nv_types);
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	if (r->import_type & ~pd->nv_types) {
		nvx_error("vkAllocateMemory: import handle type 0x%x is not supported here (backend %s carries 0x%x)",
			  r->import_type, nvx_backend_name(pd->backend),
			  pd->nv_types);
		return VK_ERROR_INVALID_EXTERNAL_HANDLE;
	}
	if ((r->import_type & NVX_NV_FD_TYPES) &&
	    PRIMESHARE_FD_FROM_HANDLE(r->imp->handle) < 0) {
		nvx_error("vkAllocateMemory: import of handle %p: not a file descriptor",
			  r->imp->handle);
		return VK_ERROR_INVALID_EXTERNAL_HANDLE;
	}
	if ((r->import_type & NVX_NV_KMT_TYPES) && !r->imp->handle) {
		nvx_error("vkAllocateMemory: import of KMT handle 0: not a handle");
		return VK_ERROR_INVALID_EXTERNAL_HANDLE;
	}
	return VK_SUCCESS;
}

/*
 * The prime backend's half: the memory becomes host memory mapped from a
 * dma-buf, @fd for an import, a new dumb buffer for an export.
 */
static VkResult nvx_prime_prepare(struct nvx_device *dev,
				  const VkMemoryAllocateInfo *ai, int fd,
				  struct nvx_memory *m,
				  VkImportMemoryHostPointerInfoEXT *host)
{
	VkMemoryHostPointerPropertiesEXT props = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT,
	};
	VkResult res;

	if (!dev->next.GetMemoryHostPointerPropertiesEXT)
		return VK_ERROR_OUT_OF_DEVICE_MEMORY;
	if (fd >= 0)
		res = nvx_prime_map(dev, fd, ai->allocationSize, m);
	else
		res = nvx_prime_alloc(dev, ai->allocationSize, m);
	if (res != VK_SUCCESS)
		return res;
	res = dev->next.GetMemoryHostPointerPropertiesEXT(dev->handle,
		VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT, m->map,
		&props);
	if (res == VK_SUCCESS &&
	    !(props.memoryTypeBits & (1u << ai->memoryTypeIndex))) {
		nvx_error("vkAllocateMemory: memory type %u cannot hold host memory on this driver (types 0x%x can): the prime backend cannot share it",
			  ai->memoryTypeIndex, props.memoryTypeBits);
		res = fd >= 0 ? VK_ERROR_INVALID_EXTERNAL_HANDLE :
				VK_ERROR_OUT_OF_DEVICE_MEMORY;
	}
	if (res != VK_SUCCESS) {
		nvx_prime_unmap(m);
		return res;
	}
	host->handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;
	host->pHostPointer = m->map;
	return VK_SUCCESS;
}

/* Find the NV structures of @next in @r; false when it has none. */
static bool nvx_request_gather(const struct nvx_device *dev, const void *next,
			       struct nvx_request *r)
{
	/* Only the structures of what the layer provides on this device. */
	if (dev->nv_memory) {
		r->exp = nvx_chain_find(next,
			VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV);
		r->exp_win32 = nvx_chain_find(next,
			VK_STRUCTURE_TYPE_EXPORT_MEMORY_WIN32_HANDLE_INFO_NV);
		r->imp = nvx_chain_find(next,
			VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV);
	}
	r->nv_ded = nvx_chain_find(next,
		VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_MEMORY_ALLOCATE_INFO_NV);
	if (!r->exp && !r->exp_win32 && !r->imp && !r->nv_ded)
		return false;
	r->khr_ded = nvx_chain_find(next,
				    VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO);
	r->export_types = r->exp ? r->exp->handleTypes : 0;
	r->import_type = r->imp ? r->imp->handleType : 0;
	if (r->khr_ded && r->khr_ded->image)
		r->ded_image = r->khr_ded->image;
	else if (r->nv_ded && r->nv_ded->image)
		r->ded_image = r->nv_ded->image;
	return true;
}

/*
 * One vkAllocateMemory that the layer rewrites: the request, the memory
 * object it will record (none when only a dedicated allocation is
 * translated), the import's dma-buf, and the structures it chains below.
 */
struct nvx_alloc {
	struct nvx_request r;
	struct nvx_memory *m;
	int fd;			/* the import's dma-buf, or -1 */
	bool fd_ours;		/* opened by the layer (a KMT import) */
	bool prime;		/* the prime backend: host memory below */
	struct nvx_chain chain;
	VkExportMemoryAllocateInfo khr_export;
	VkImportMemoryFdInfoKHR khr_import;
	VkImportMemoryHostPointerInfoEXT host_import;
	VkMemoryDedicatedAllocateInfo khr_dedicated;
};

/* The memory object, and where an import's memory comes from. */
static VkResult nvx_alloc_source(struct nvx_device *dev,
				 const VkMemoryAllocateInfo *ai,
				 struct nvx_alloc *a)
{
	const struct nvx_request *r = &a->r;
	uint64_t kmt_size = 0;
	VkResult res;

	if (!r->export_types && !r->import_type)
		return VK_SUCCESS;
	a->m = calloc(1, sizeof(*a->m));
	if (!a->m)
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	a->m->dmabuf_fd = -1;
	a->m->export_types = r->export_types;

	if (r->import_type & NVX_NV_KMT_TYPES) {
		res = nvx_kmt_import(dev,
				     PRIMESHARE_GLOBAL_FROM_HANDLE(r->imp->handle),
				     r->import_type, &a->m->import_desc,
				     &kmt_size, &a->fd, &a->m->km_handle);
		if (res != VK_SUCCESS)
			return res;
		a->fd_ours = true;
		if (ai->allocationSize > kmt_size) {
			nvx_error("vkAllocateMemory: allocationSize %llu is larger than the %llu bytes of the KMT handle's memory",
				  (unsigned long long)ai->allocationSize,
				  (unsigned long long)kmt_size);
			return VK_ERROR_INVALID_EXTERNAL_HANDLE;
		}
	} else if (r->import_type) {
		a->fd = PRIMESHARE_FD_FROM_HANDLE(r->imp->handle);
	}
	if (a->m->import_desc && r->ded_image)
		return nvx_desc_check(dev, a->m->import_desc, r->ded_image, 0,
				      "vkAllocateMemory");
	return VK_SUCCESS;
}

/*
 * The chain for the driver: the NV structures out, their KHR (or, on
 * prime, host memory) equivalents in.
 */
static VkResult nvx_alloc_rewrite(struct nvx_device *dev,
				  const VkMemoryAllocateInfo *ai,
				  struct nvx_alloc *a)
{
	const struct nvx_physdev *pd = dev->physdev;
	const struct nvx_request *r = &a->r;
	VkMemoryAllocateInfo *down;
	VkStructureType drop[5];
	unsigned int ndrop = 0;
	VkResult res;

	if (r->exp)
		drop[ndrop++] = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV;
	if (r->exp_win32)
		drop[ndrop++] = VK_STRUCTURE_TYPE_EXPORT_MEMORY_WIN32_HANDLE_INFO_NV;
	if (r->imp)
		drop[ndrop++] = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV;
	if (r->nv_ded)
		drop[ndrop++] = VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_MEMORY_ALLOCATE_INFO_NV;
	/* Host memory is never a dedicated allocation. */
	if (a->prime && a->m && r->khr_ded)
		drop[ndrop++] = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO;
	nvx_chain_copy(&a->chain, ai, sizeof(*ai), drop, ndrop);
	down = (VkMemoryAllocateInfo *)a->chain.head;
	/*
	 * A structure newer than the layer's registry stopped the copy in
	 * front of the dedicated structure: host memory with it is invalid
	 * (VUID-VkMemoryAllocateInfo-pNext-02806), so no share on prime.
	 */
	if (a->prime && a->m && r->khr_ded &&
	    nvx_chain_find(down->pNext,
			   VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO)) {
		nvx_error("vkAllocateMemory: the prime backend cannot take VkMemoryDedicatedAllocateInfo out of this chain (a structure newer than the layer's Vulkan registry stands in front of it), and host memory cannot be dedicated (VUID-VkMemoryAllocateInfo-pNext-02806): chain the dedicated structure first, or rebuild the layer with newer headers");
		return VK_ERROR_OUT_OF_DEVICE_MEMORY;
	}

	if (a->prime && a->m) {
		res = nvx_prime_prepare(dev, ai, a->fd, a->m, &a->host_import);
		if (res != VK_SUCCESS)
			return res;
		down->allocationSize = a->m->map_size;
		nvx_chain_insert(&a->chain, &a->host_import);
	} else {
		if (r->export_types) {
			a->khr_export.handleTypes = pd->khr_type;
			nvx_chain_insert(&a->chain, &a->khr_export);
		}
		if (r->import_type) {
			a->khr_import.handleType = pd->khr_type;
			a->khr_import.fd = a->fd;
			nvx_chain_insert(&a->chain, &a->khr_import);
		}
	}
	if ((!a->prime || !a->m) && r->nv_ded &&
	    (r->nv_ded->image || r->nv_ded->buffer) && dev->khr_dedicated &&
	    !r->khr_ded) {
		a->khr_dedicated.image = r->nv_ded->image;
		a->khr_dedicated.buffer = r->nv_ded->buffer;
		nvx_chain_insert(&a->chain, &a->khr_dedicated);
	}
	return VK_SUCCESS;
}

/* The driver made @memory: record it, and keep what the import gave. */
static void nvx_alloc_commit(struct nvx_device *dev, struct nvx_alloc *a,
			     VkDeviceMemory memory, VkDeviceSize size)
{
	struct nvx_memory *m = a->m;

	/*
	 * The import took the fd: the driver's, or the layer's on prime,
	 * which keeps the dma-buf under a descriptor of its own so that the
	 * caller's number is gone, as after a driver's import.
	 */
	if (a->prime && a->fd >= 0 && !a->fd_ours) {
		m->dmabuf_fd = fcntl(a->fd, F_DUPFD_CLOEXEC, 0);
		close(a->fd);
	} else if (a->prime && a->fd >= 0) {
		m->dmabuf_fd = a->fd;
	}
	m->handle = memory;
	m->size = size;
	m->image = a->r.ded_image;
	nvx_memory_add(dev, m);
}

/* Undo nvx_alloc_source(): nothing was made. */
static void nvx_alloc_abort(struct nvx_alloc *a)
{
	if (a->fd_ours)
		close(a->fd);
	if (a->m)
		free(a->m->import_desc);
	free(a->m);
}

VKAPI_ATTR VkResult VKAPI_CALL nvx_AllocateMemory(VkDevice device,
	const VkMemoryAllocateInfo *pAllocateInfo,
	const VkAllocationCallbacks *pAllocator, VkDeviceMemory *pMemory)
{
	struct nvx_device *dev = nvx_device_from(device);
	struct nvx_alloc a = {
		.fd = -1,
		.khr_export.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
		.khr_import.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
		.host_import.sType =
			VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT,
		.khr_dedicated.sType =
			VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
	};
	const VkMemoryAllocateInfo *down;
	VkResult res;

	if (!dev)
		return VK_ERROR_INITIALIZATION_FAILED;
	if ((!dev->nv_memory && !dev->nv_dedicated) || !pAllocateInfo->pNext ||
	    !nvx_request_gather(dev, pAllocateInfo->pNext, &a.r))
		return dev->next.AllocateMemory(device, pAllocateInfo,
						pAllocator, pMemory);
	a.prime = dev->physdev->backend == NVX_BACKEND_PRIME;
	res = nvx_request_check(dev, pAllocateInfo->pNext, &a.r);
	if (res == VK_SUCCESS && a.r.nv_ded && dev->nv_dedicated)
		res = nvx_dedicated_alloc_check(dev, pAllocateInfo, a.r.nv_ded);
	if (res != VK_SUCCESS)
		return res;
	res = nvx_alloc_source(dev, pAllocateInfo, &a);
	if (res == VK_SUCCESS)
		res = nvx_alloc_rewrite(dev, pAllocateInfo, &a);
	if (res != VK_SUCCESS)
		goto fail;

	down = (const VkMemoryAllocateInfo *)a.chain.head;
	res = dev->next.AllocateMemory(device, down, pAllocator, pMemory);
	nvx_debug("vkAllocateMemory: %llu bytes%s%s, backend %s: %d",
		  (unsigned long long)down->allocationSize,
		  a.r.export_types ? ", exportable" : "",
		  a.r.import_type ? ", imported" : "",
		  nvx_backend_name(dev->physdev->backend), res);
	if (res != VK_SUCCESS) {
		if (a.m)
			nvx_prime_unmap(a.m);	/* prime: the layer's dma-buf */
		goto fail;
	}
	if (a.m)
		nvx_alloc_commit(dev, &a, *pMemory, down->allocationSize);
	if (a.r.nv_ded && dev->nv_dedicated)
		nvx_dedicated_alloc_note(dev, *pMemory, a.r.nv_ded);
	return VK_SUCCESS;

fail:
	nvx_alloc_abort(&a);
	return res;
}

VKAPI_ATTR void VKAPI_CALL nvx_FreeMemory(VkDevice device, VkDeviceMemory memory,
	const VkAllocationCallbacks *pAllocator)
{
	struct nvx_device *dev = nvx_device_from(device);
	struct nvx_memory *m = NULL;

	if (!dev)
		return;
	if (memory)
		m = nvx_memory_take(dev, memory);
	nvx_track_forget(dev, NVX_TRACK_DEDICATED_MEMORY, (uint64_t)memory);
	dev->next.FreeMemory(device, memory, pAllocator);
	/* The driver is done with the mapping: now it may go. */
	if (m)
		nvx_memory_destroy(dev, m);
}

VKAPI_ATTR VkResult VKAPI_CALL nvx_GetMemoryWin32HandleNV(VkDevice device,
	VkDeviceMemory memory, VkExternalMemoryHandleTypeFlagsNV handleType,
	HANDLE *pHandle)
{
	struct nvx_device *dev = nvx_device_from(device);
	VkMemoryGetFdInfoKHR info = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR,
		.memory = memory,
	};
	struct nvx_memory *m;
	uint64_t global;
	VkResult res;
	int fd = -1;

	if (!dev)
		return VK_ERROR_INITIALIZATION_FAILED;
	if (!dev->nv_win32) {
		/*
		 * Reached through vkGetInstanceProcAddr on a device the layer
		 * stepped aside for: the driver's own command does the work.
		 */
		PFN_vkGetMemoryWin32HandleNV native =
			(PFN_vkGetMemoryWin32HandleNV)dev->next.GetDeviceProcAddr(
				device, "vkGetMemoryWin32HandleNV");

		if (!native)
			return VK_ERROR_INITIALIZATION_FAILED;
		return native(device, memory, handleType, pHandle);
	}
	if (!nvx_single_bit(handleType)) {
		nvx_error("vkGetMemoryWin32HandleNV: handleType 0x%x is not one handle type (VUID-vkGetMemoryWin32HandleNV-handleType-requiredbitmask)",
			  handleType);
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	m = nvx_memory_find(dev, memory);
	if (!m || !(m->export_types & handleType)) {
		nvx_error("vkGetMemoryWin32HandleNV: memory was not allocated with handle type 0x%x in VkExportMemoryAllocateInfoNV::handleTypes (VUID-vkGetMemoryWin32HandleNV-handleType-01326)",
			  handleType);
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}

	if (handleType & NVX_NV_KMT_TYPES) {
		res = nvx_kmt_export(dev, m, handleType, &global);
		if (res == VK_SUCCESS)
			*pHandle = PRIMESHARE_HANDLE_FROM_GLOBAL(global);
		return res;
	}

	if (m->dmabuf_fd >= 0) {
		/* prime: a new descriptor of the layer's dma-buf. */
		fd = fcntl(m->dmabuf_fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0) {
			nvx_error("vkGetMemoryWin32HandleNV: no file descriptor left");
			return VK_ERROR_TOO_MANY_OBJECTS;
		}
	} else {
		if (!dev->next.GetMemoryFdKHR)
			return VK_ERROR_OUT_OF_HOST_MEMORY;	/* not reached */
		info.handleType = dev->physdev->khr_type;
		res = dev->next.GetMemoryFdKHR(device, &info, &fd);
		if (res != VK_SUCCESS)
			return res;
	}
	*pHandle = PRIMESHARE_HANDLE_FROM_FD(fd);
	nvx_debug("vkGetMemoryWin32HandleNV: type 0x%x: fd %d", handleType, fd);
	return VK_SUCCESS;
}
