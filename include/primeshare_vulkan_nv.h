/* SPDX-License-Identifier: MIT */
/*
 * primeshare_vulkan_nv.h: compile VK_NV_external_memory_win32 on Linux.
 *
 * <vulkan/vulkan_win32.h> declares the structures and commands of
 * VK_NV_external_memory_win32 (VkImportMemoryWin32HandleInfoNV,
 * VkExportMemoryWin32HandleInfoNV, vkGetMemoryWin32HandleNV), but it needs
 * the Windows types HANDLE, DWORD, LPCWSTR, SECURITY_ATTRIBUTES, HINSTANCE,
 * HWND and HMONITOR, which Linux does not have.  Include this header instead
 * of <vulkan/vulkan_win32.h>: it supplies minimal definitions of those types
 * (unless a Windows or Wine header already did) and then includes the
 * Khronos header, so code written for Windows compiles unchanged.
 *
 * The commands themselves are provided at run time by the Vulkan layer
 * VK_LAYER_PRIMESHARE_nv_external_memory; get them with
 * vkGetDeviceProcAddr() after enabling VK_NV_external_memory_win32.
 *
 * What a HANDLE value means on Linux
 * ----------------------------------
 *
 * VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV and
 * VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_BIT_NV (the NT-handle-like
 * types): the HANDLE carries a file descriptor, cast through intptr_t (see
 * PRIMESHARE_HANDLE_FROM_FD() and PRIMESHARE_FD_FROM_HANDLE()).  It is a
 * dma-buf on the dma-buf and prime backends and the driver's opaque fd on
 * the opaque-fd backend.  Like an NT handle it is local to the process:
 * vkGetMemoryWin32HandleNV() returns a new descriptor that the caller owns
 * and must close(); passing it to another process takes a Unix socket
 * (SCM_RIGHTS).  A successful import through VkImportMemoryWin32HandleInfoNV
 * takes ownership of the descriptor, as Vulkan fd imports do; a failed one
 * leaves it with the caller.
 *
 * VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV and
 * VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV (the global types):
 * the HANDLE carries a primeshare global handle (the 64-bit value of
 * libprimeshare, see primeshare(7)), cast through uintptr_t (see
 * PRIMESHARE_HANDLE_FROM_GLOBAL()).  Any process that the handle's access
 * mode allows may import it; it is not a file descriptor and is never
 * closed.  A HANDLE of a 32-bit program cannot hold every 64-bit value, so
 * the layer reports the KMT types unsupported there.  These types need /dev/primeshare and a dma-buf capable backend;
 * where either is missing, vkGetPhysicalDeviceExternalImageFormatPropertiesNV
 * reports them unsupported.
 *
 * SECURITY_ATTRIBUTES and dwAccess of VkExportMemoryWin32HandleInfoNV have
 * no meaning on Linux and are ignored.
 */
#ifndef PRIMESHARE_VULKAN_NV_H
#define PRIMESHARE_VULKAN_NV_H

#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#if !defined(_WIN32) && !defined(_WINDEF_) && !defined(__WINE_WINDEF_H) && \
	!defined(PRIMESHARE_NO_WIN32_TYPES)
/*
 * Minimal stand-ins, layout-compatible with the Windows ABI where it
 * matters (HANDLE is pointer-sized, DWORD is 32 bits).
 */
typedef void *HANDLE;
typedef uint32_t DWORD;
typedef int BOOL;
typedef const wchar_t *LPCWSTR;
typedef struct primeshare_win32_hinstance *HINSTANCE;
typedef struct primeshare_win32_hwnd *HWND;
typedef struct primeshare_win32_hmonitor *HMONITOR;

typedef struct _SECURITY_ATTRIBUTES {
	DWORD nLength;
	void *lpSecurityDescriptor;
	BOOL bInheritHandle;
} SECURITY_ATTRIBUTES;
#endif

#include <vulkan/vulkan_win32.h>

/* The file descriptor carried by an OPAQUE_WIN32 or D3D11_IMAGE HANDLE. */
#define PRIMESHARE_FD_FROM_HANDLE(h) ((int)(intptr_t)(h))
/* A HANDLE value carrying file descriptor @fd. */
#define PRIMESHARE_HANDLE_FROM_FD(fd) ((HANDLE)(intptr_t)(fd))
/* The primeshare global handle carried by a KMT HANDLE. */
#define PRIMESHARE_GLOBAL_FROM_HANDLE(h) ((uint64_t)(uintptr_t)(h))
/* A HANDLE value carrying primeshare global handle @g. */
#define PRIMESHARE_HANDLE_FROM_GLOBAL(g) ((HANDLE)(uintptr_t)(g))

/* The layer's name, for ppEnabledLayerNames and extension queries. */
#define PRIMESHARE_VULKAN_LAYER_NAME "VK_LAYER_PRIMESHARE_nv_external_memory"

#endif /* PRIMESHARE_VULKAN_NV_H */
