/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
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
 * takes ownership of the descriptor, as Vulkan fd imports do (the caller's
 * descriptor number is closed); a failed one leaves it with the caller.
 *
 * VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV and
 * VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV (the global types):
 * the HANDLE carries a primeshare global handle (the 64-bit value of
 * libprimeshare, see primeshare(7)), cast through uintptr_t (see
 * PRIMESHARE_HANDLE_FROM_GLOBAL()).  Any process of the same IPC namespace
 * that the handle's access mode allows may import it; it is not a file
 * descriptor and is never closed.  A HANDLE of a 32-bit program cannot hold
 * every 64-bit value, so the layer reports the KMT types unsupported there.
 * These types need /dev/primeshare and a backend whose memory is a dma-buf
 * (dma-buf or prime, not opaque-fd); where either is missing,
 * vkGetPhysicalDeviceExternalImageFormatPropertiesNV reports them
 * unsupported.
 *
 *   - vkGetMemoryWin32HandleNV() makes the handle on its first call for a
 *     memory object and type and returns the same value on every later
 *     call.  The handle is "owned": it ends when the memory is freed, its
 *     device is destroyed or the exporting process exits; an import after
 *     that fails with VK_ERROR_INVALID_EXTERNAL_HANDLE, as does one that
 *     the handle's mode does not allow.
 *   - The mode is 0400 (the exporter's user only) unless the environment
 *     variable PRIMESHARE_LAYER_MODE of the exporting process gives another
 *     one in octal, made of 0400 (owner), 0040 (group) and 0004 (others):
 *     0440 lets the exporter's group import, 0444 everyone.
 *   - A D3D11_IMAGE_KMT handle also carries the description of the image
 *     bound (or dedicated) to the memory when the handle is made, so the
 *     image must be bound first.  The description holds the image's
 *     creation parameters (format, type, extent, mip levels, array layers,
 *     samples, tiling, usage, flags), its offset in the memory and, as far
 *     as the driver tells, its layout: the DRM format modifier and plane
 *     layouts of linear and modifier images, or for optimal tiling the
 *     driver's and device's UUIDs and the memory size.  An importing image
 *     that differs in any of them is refused with a message naming what
 *     differs: by vkAllocateMemory() with VK_ERROR_INVALID_EXTERNAL_HANDLE
 *     when the memory is dedicated to it, otherwise by vkBindImageMemory()
 *     or vkBindImageMemory2() with VK_ERROR_VALIDATION_FAILED_EXT.
 *   - D3D11_IMAGE, the fd type, has no place for a description: its imports
 *     are not checked.
 *
 * Backends
 * --------
 *
 * The layer picks, per physical device, the first of:
 *
 *   dma-buf    the driver has VK_EXT_external_memory_dma_buf: its own
 *              dma-bufs carry the memory;
 *   prime      the driver imports host memory (VK_EXT_external_memory_host)
 *              and a DRM node makes dumb buffers (vgem, virtio-gpu): the
 *              layer allocates a dumb buffer, exports it by PRIME, maps it
 *              and gives the mapping to the driver; imports map the dma-buf
 *              the same way.  Host memory cannot be a dedicated allocation,
 *              and what the driver refuses for host memory is reported
 *              unsupported;
 *   opaque-fd  the driver has only VK_KHR_external_memory_fd: the fd types
 *              carry its opaque fds, which only the same driver can import,
 *              and the KMT types are unsupported.
 *
 * Environment of the layer:
 *
 *   PRIMESHARE_LAYER_BACKEND=dma-buf|prime|opaque-fd|none|auto
 *       another backend than the automatic choice; one that is not
 *       possible gives none, so nothing is shared.
 *   PRIMESHARE_LAYER_DEBUG=1
 *       log each decision (backend, KMT types, handles) to stderr.
 *   PRIMESHARE_LAYER_MODE=0440
 *       the access mode of the KMT handles made (above).
 *   PRIMESHARE_LAYER_DRM_DEVICE=/dev/dri/cardN
 *       the DRM node of the prime backend (a primary node: render nodes
 *       make no dumb buffers).
 *   PRIMESHARE_LAYER_DISABLE=1
 *       turn the implicit layer off.
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
