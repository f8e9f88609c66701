/* SPDX-License-Identifier: MIT */
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
 * The KMT handle types need the primeshare registry; no backend in this
 * build offers them, so the capability query never reports them and
 * requests for them are refused here.
 */
#include <stdlib.h>
#include <string.h>

#include "layer.h"

/* An allocation made exportable through VkExportMemoryAllocateInfoNV. */
struct ps_memory {
	struct ps_memory *next;
	VkDeviceMemory handle;
	VkExternalMemoryHandleTypeFlagsNV export_types;
};

static bool ps_single_bit(uint32_t v)
{
	return v && !(v & (v - 1));
}

static bool ps_driver_has(const struct ps_device *dev, const char *ext)
{
	return ps_has_extension(dev->physdev->exts, dev->physdev->ext_count,
				ext);
}

VKAPI_ATTR VkResult VKAPI_CALL ps_CreateImage(VkDevice device,
	const VkImageCreateInfo *pCreateInfo,
	const VkAllocationCallbacks *pAllocator, VkImage *pImage)
{
	struct ps_device *dev = ps_device_from(device);
	VkExternalMemoryImageCreateInfo khr = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO,
	};
	VkStructureType drop[2];
	const VkExternalMemoryImageCreateInfoNV *nv;
	const void *nv_dedicated = NULL;
	const struct ps_physdev *pd;
	struct ps_chain chain;
	unsigned int ndrop = 0;
	VkResult res;

	if (!dev)
		return VK_ERROR_INITIALIZATION_FAILED;
	if (!dev->nv_memory)
		return dev->next.CreateImage(device, pCreateInfo, pAllocator,
					     pImage);
	pd = dev->physdev;
	nv = ps_chain_find(pCreateInfo->pNext,
			   VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV);
	if (!ps_driver_has(dev, VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME))
		nv_dedicated = ps_chain_find(pCreateInfo->pNext,
			VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_IMAGE_CREATE_INFO_NV);
	if (!nv && !nv_dedicated)
		return dev->next.CreateImage(device, pCreateInfo, pAllocator,
					     pImage);

	if (nv && ps_chain_find(pCreateInfo->pNext,
				VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO)) {
		ps_error("vkCreateImage: VkExternalMemoryImageCreateInfoNV and VkExternalMemoryImageCreateInfo in one chain (VUID-VkImageCreateInfo-pNext-00988)");
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	if (nv && (nv->handleTypes & ~pd->nv_types)) {
		ps_error("vkCreateImage: handle types 0x%x are not compatible handle types here (backend %s carries 0x%x) (VUID-VkImageCreateInfo-pNext-00991)",
			 nv->handleTypes, ps_backend_name(pd->backend),
			 pd->nv_types);
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}

	if (nv)
		drop[ndrop++] = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV;
	if (nv_dedicated)
		drop[ndrop++] = VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_IMAGE_CREATE_INFO_NV;
	res = ps_chain_copy(&chain, pCreateInfo, sizeof(*pCreateInfo), drop,
			    ndrop);
	if (res != VK_SUCCESS)
		return res;
	if (nv && nv->handleTypes) {
		khr.handleTypes = pd->khr_type;
		ps_chain_insert(&chain, &khr);
	}
	res = dev->next.CreateImage(device,
				    (const VkImageCreateInfo *)chain.head,
				    pAllocator, pImage);
	if (res == VK_SUCCESS && nv && nv->handleTypes && ps_debug_enabled())
		ps_image_remember(dev, *pImage);
	return res;
}

static void ps_memory_add(struct ps_device *dev, struct ps_memory *m)
{
	pthread_mutex_lock(&dev->lock);
	m->next = dev->memories;
	dev->memories = m;
	pthread_mutex_unlock(&dev->lock);
}

/* Unlink and return the record of @memory, or NULL. */
static struct ps_memory *ps_memory_take(struct ps_device *dev,
					VkDeviceMemory memory)
{
	struct ps_memory **p, *m = NULL;

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

static VkExternalMemoryHandleTypeFlagsNV ps_memory_types(struct ps_device *dev,
							 VkDeviceMemory memory)
{
	VkExternalMemoryHandleTypeFlagsNV types = 0;
	struct ps_memory *m;

	pthread_mutex_lock(&dev->lock);
	for (m = dev->memories; m; m = m->next) {
		if (m->handle == memory) {
			types = m->export_types;
			break;
		}
	}
	pthread_mutex_unlock(&dev->lock);
	return types;
}

void ps_device_forget_memories(struct ps_device *dev)
{
	struct ps_memory *m, *next;

	for (m = dev->memories; m; m = next) {
		next = m->next;
		free(m);
	}
	dev->memories = NULL;
}

VKAPI_ATTR VkResult VKAPI_CALL ps_AllocateMemory(VkDevice device,
	const VkMemoryAllocateInfo *pAllocateInfo,
	const VkAllocationCallbacks *pAllocator, VkDeviceMemory *pMemory)
{
	struct ps_device *dev = ps_device_from(device);
	VkExportMemoryAllocateInfo khr_export = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
	};
	VkImportMemoryFdInfoKHR khr_import = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
	};
	VkMemoryDedicatedAllocateInfo khr_dedicated = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
	};
	const VkExportMemoryAllocateInfoNV *exp;
	const VkExportMemoryWin32HandleInfoNV *exp_win32;
	const VkImportMemoryWin32HandleInfoNV *imp;
	const VkDedicatedAllocationMemoryAllocateInfoNV *ded = NULL;
	VkExternalMemoryHandleTypeFlagsNV export_types, import_type;
	const void *next;
	const struct ps_physdev *pd;
	struct ps_memory *record = NULL;
	VkStructureType drop[4];
	struct ps_chain chain;
	unsigned int ndrop = 0;
	VkResult res;

	if (!dev)
		return VK_ERROR_INITIALIZATION_FAILED;
	next = pAllocateInfo->pNext;
	if (!dev->nv_memory || !next)
		return dev->next.AllocateMemory(device, pAllocateInfo,
						pAllocator, pMemory);
	pd = dev->physdev;
	exp = ps_chain_find(next, VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV);
	exp_win32 = ps_chain_find(next,
		VK_STRUCTURE_TYPE_EXPORT_MEMORY_WIN32_HANDLE_INFO_NV);
	imp = ps_chain_find(next, VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV);
	if (!ps_driver_has(dev, VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME))
		ded = ps_chain_find(next,
			VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_MEMORY_ALLOCATE_INFO_NV);
	if (!exp && !exp_win32 && !imp && !ded)
		return dev->next.AllocateMemory(device, pAllocateInfo,
						pAllocator, pMemory);

	/* The specification's rules about mixing NV and KHR structures. */
	if ((exp || exp_win32) &&
	    ps_chain_find(next, VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO)) {
		ps_error("vkAllocateMemory: VkExportMemoryAllocateInfo chained with VkExportMemoryAllocateInfoNV or VkExportMemoryWin32HandleInfoNV (VUID-VkMemoryAllocateInfo-pNext-00640)");
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	if ((exp_win32 || imp) && !dev->nv_win32) {
		ps_error("vkAllocateMemory: a VK_NV_external_memory_win32 structure, but that extension is not enabled (VUID-VkMemoryAllocateInfo-pNext-pNext)");
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	import_type = imp ? imp->handleType : 0;
	if (import_type && !ps_single_bit(import_type)) {
		ps_error("vkAllocateMemory: VkImportMemoryWin32HandleInfoNV::handleType 0x%x has more than one bit set (VUID-VkImportMemoryWin32HandleInfoNV-handleType-01327)",
			 import_type);
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	if (import_type &&
	    (ps_chain_find(next, VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR) ||
	     ps_chain_find(next, VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT))) {
		ps_error("vkAllocateMemory: VkImportMemoryWin32HandleInfoNV and a KHR or EXT import in one chain (VUID-VkMemoryAllocateInfo-None-06657)");
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	export_types = exp ? exp->handleTypes : 0;
	if (export_types & ~pd->nv_types) {
		ps_error("vkAllocateMemory: export handle types 0x%x are not supported here (backend %s carries 0x%x) (as VUID-VkExportMemoryAllocateInfo-handleTypes-00656)",
			 export_types, ps_backend_name(pd->backend),
			 pd->nv_types);
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	if (import_type & ~pd->nv_types) {
		ps_error("vkAllocateMemory: import handle type 0x%x is not supported here (backend %s carries 0x%x)",
			 import_type, ps_backend_name(pd->backend),
			 pd->nv_types);
		return VK_ERROR_INVALID_EXTERNAL_HANDLE;
	}
	if ((import_type & PS_NV_FD_TYPES) &&
	    PRIMESHARE_FD_FROM_HANDLE(imp->handle) < 0) {
		ps_error("vkAllocateMemory: import of handle %p: not a file descriptor",
			 imp->handle);
		return VK_ERROR_INVALID_EXTERNAL_HANDLE;
	}

	if (exp)
		drop[ndrop++] = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV;
	if (exp_win32)
		drop[ndrop++] = VK_STRUCTURE_TYPE_EXPORT_MEMORY_WIN32_HANDLE_INFO_NV;
	if (imp)
		drop[ndrop++] = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV;
	if (ded)
		drop[ndrop++] = VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_MEMORY_ALLOCATE_INFO_NV;
	res = ps_chain_copy(&chain, pAllocateInfo, sizeof(*pAllocateInfo),
			    drop, ndrop);
	if (res != VK_SUCCESS)
		return res;

	if (export_types) {
		khr_export.handleTypes = pd->khr_type;
		ps_chain_insert(&chain, &khr_export);
		record = calloc(1, sizeof(*record));
		if (!record)
			return VK_ERROR_OUT_OF_HOST_MEMORY;
		record->export_types = export_types;
	}
	if (import_type) {
		khr_import.handleType = pd->khr_type;
		khr_import.fd = PRIMESHARE_FD_FROM_HANDLE(imp->handle);
		ps_chain_insert(&chain, &khr_import);
	}
	if (ded && (ded->image || ded->buffer) && dev->khr_dedicated &&
	    !ps_chain_find(next, VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO)) {
		khr_dedicated.image = ded->image;
		khr_dedicated.buffer = ded->buffer;
		ps_chain_insert(&chain, &khr_dedicated);
	}

	res = dev->next.AllocateMemory(device,
				       (const VkMemoryAllocateInfo *)chain.head,
				       pAllocator, pMemory);
	ps_debug("vkAllocateMemory: %llu bytes%s%s: %d",
		 (unsigned long long)pAllocateInfo->allocationSize,
		 export_types ? ", exportable" : "",
		 import_type ? ", imported" : "", res);
	if (res != VK_SUCCESS) {
		free(record);
		return res;
	}
	if (record) {
		record->handle = *pMemory;
		ps_memory_add(dev, record);
	}
	return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL ps_FreeMemory(VkDevice device, VkDeviceMemory memory,
	const VkAllocationCallbacks *pAllocator)
{
	struct ps_device *dev = ps_device_from(device);

	if (!dev)
		return;
	if (memory && dev->nv_memory)
		free(ps_memory_take(dev, memory));
	dev->next.FreeMemory(device, memory, pAllocator);
}

VKAPI_ATTR VkResult VKAPI_CALL ps_GetMemoryWin32HandleNV(VkDevice device,
	VkDeviceMemory memory, VkExternalMemoryHandleTypeFlagsNV handleType,
	HANDLE *pHandle)
{
	struct ps_device *dev = ps_device_from(device);
	VkMemoryGetFdInfoKHR info = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR,
		.memory = memory,
	};
	VkExternalMemoryHandleTypeFlagsNV types;
	VkResult res;
	int fd = -1;

	if (!dev || !dev->nv_win32)
		return VK_ERROR_INITIALIZATION_FAILED;
	if (!ps_single_bit(handleType)) {
		ps_error("vkGetMemoryWin32HandleNV: handleType 0x%x is not one handle type (VUID-vkGetMemoryWin32HandleNV-handleType-requiredbitmask)",
			 handleType);
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	types = ps_memory_types(dev, memory);
	if (!(types & handleType)) {
		ps_error("vkGetMemoryWin32HandleNV: memory was not allocated with handle type 0x%x in VkExportMemoryAllocateInfoNV::handleTypes (VUID-vkGetMemoryWin32HandleNV-handleType-01326)",
			 handleType);
		return VK_ERROR_VALIDATION_FAILED_EXT;
	}
	if (!(handleType & PS_NV_FD_TYPES) || !dev->next.GetMemoryFdKHR) {
		/* Not reachable: allocation refused such types already. */
		ps_error("vkGetMemoryWin32HandleNV: handle type 0x%x not available on backend %s",
			 handleType, ps_backend_name(dev->physdev->backend));
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	}

	info.handleType = dev->physdev->khr_type;
	res = dev->next.GetMemoryFdKHR(device, &info, &fd);
	if (res != VK_SUCCESS)
		return res;
	*pHandle = PRIMESHARE_HANDLE_FROM_FD(fd);
	ps_debug("vkGetMemoryWin32HandleNV: type 0x%x: fd %d", handleType, fd);
	return VK_SUCCESS;
}
