/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * The prime backend: memory for drivers that import host memory
 * (VK_EXT_external_memory_host) but have no dma-buf of their own.
 *
 * An exportable allocation becomes a dumb buffer of a DRM node that makes
 * them (vgem, virtio-gpu, ...), exported as a dma-buf by PRIME; the layer
 * maps the dma-buf and gives the mapping to the driver as host memory
 * (VkImportMemoryHostPointerInfoEXT).  An import maps the dma-buf it is
 * given the same way.  The dma-buf's file descriptor and its mapping stay
 * with the layer's record of the memory until vkFreeMemory: the fd for
 * handing out more handles, the mapping because the driver uses it.
 *
 * Dumb buffers need a primary node (/dev/dri/cardN): render nodes do not
 * allow DRM_IOCTL_MODE_CREATE_DUMB.  The first process to open a primary
 * node that has no master becomes its DRM master, which would keep a
 * compositor started later from driving that GPU's displays: the layer
 * drops the master role at once after every open, and never holds it.
 * The node is vgem's where vgem is loaded (it drives no display); else the
 * first primary node that makes dumb buffers and exports them.
 * PRIMESHARE_LAYER_DRM_DEVICE names the node to use instead.
 *
 * The mapping is CPU memory shared with every other importer of the
 * dma-buf; the driver reads and writes it without DMA_BUF_IOCTL_SYNC, so
 * the backend needs a coherent mapping, as vgem and virtio-gpu give on x86.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "config.h"
#include "layer.h"

static void nvx_gem_close(int drm_fd, uint32_t handle)
{
#ifdef HAVE_DRMCLOSEBUFFERHANDLE
	drmCloseBufferHandle(drm_fd, handle);
#else
	struct drm_gem_close arg = { .handle = handle };

	drmIoctl(drm_fd, DRM_IOCTL_GEM_CLOSE, &arg);
#endif
}

/*
 * Whether @fd is a DRM node that makes dumb buffers and exports them.
 * DRM_CAP_DUMB_BUFFER is answered only by drivers with modesetting, which
 * vgem is not: so the node is asked for a small dumb buffer instead.
 */
static bool nvx_prime_node_usable(int fd)
{
	struct drm_mode_create_dumb create = {
		.width = 1024, .height = 1, .bpp = 32,
	};
	uint64_t prime = 0;

	if (drmGetCap(fd, DRM_CAP_PRIME, &prime) ||
	    !(prime & DRM_PRIME_CAP_EXPORT))
		return false;
	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return false;
	nvx_gem_close(fd, create.handle);
	return true;
}

/*
 * Whether the node at @path is vgem's, from sysfs, without opening it:
 * vgem's device is the platform (or faux) device named "vgem".
 */
static bool nvx_prime_is_vgem(const char *path)
{
	const char *name = strrchr(path, '/');
	char link[128], *dev;
	bool vgem;

	snprintf(link, sizeof(link), "/sys/class/drm/%s/device",
		 name ? name + 1 : path);
	dev = realpath(link, NULL);
	name = dev ? strrchr(dev, '/') : NULL;
	vgem = name && !strcmp(name + 1, "vgem");
	free(dev);
	return vgem;
}

/*
 * Open @path as the layer uses it: never as DRM master.  Opening made the
 * layer master if the node had none; it gives that up before anything else.
 */
static int nvx_prime_open_node(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	if (drmIsMaster(fd)) {
		if (drmDropMaster(fd)) {
			nvx_error("prime: %s: cannot drop the DRM master role that opening it gave (%s); not using it",
				  path, strerror(errno));
			close(fd);
			return -EBUSY;
		}
		nvx_debug("prime: %s: dropped the DRM master role that opening it gave",
			  path);
	}
	return fd;
}

/*
 * @vgem_only: only vgem's node will do (the first pass of the search,
 * which opens no other node).
 */
static int nvx_prime_try(const char *path, bool vgem_only)
{
	int fd;

	if (vgem_only && !nvx_prime_is_vgem(path))
		return -ENODEV;
	fd = nvx_prime_open_node(path);
	if (fd < 0)
		return fd;
	if (!nvx_prime_node_usable(fd)) {
		close(fd);
		return -ENODEV;
	}
	return fd;
}

/*
 * nvx_prime_find_node() - the path of a DRM primary node that makes dumb
 * buffers and exports them, into @path.  0 or a negative errno.
 */
int nvx_prime_find_node(char *path, size_t size)
{
	const char *env = getenv("PRIMESHARE_LAYER_DRM_DEVICE");
	drmDevicePtr *devs;
	int n, fd, ret = -ENODEV;

	if (env && *env) {
		fd = nvx_prime_try(env, false);
		if (fd < 0) {
			nvx_error("PRIMESHARE_LAYER_DRM_DEVICE=%s: %s", env,
				  fd == -ENODEV ? "makes no dumb buffers" :
				  strerror(-fd));
			return fd;
		}
		close(fd);
		snprintf(path, size, "%s", env);
		nvx_debug("prime: dumb buffers from %s (PRIMESHARE_LAYER_DRM_DEVICE)",
			  path);
		return 0;
	}

	n = drmGetDevices2(0, NULL, 0);
	if (n <= 0) {
		nvx_debug("prime: no DRM device");
		return -ENODEV;
	}
	devs = calloc(n, sizeof(*devs));
	if (!devs)
		return -ENOMEM;
	n = drmGetDevices2(0, devs, n);
	/* vgem first; then any node that makes and exports dumb buffers. */
	for (int pass = 0; pass < 2 && ret; pass++) {
		for (int i = 0; i < n && ret; i++) {
			const char *node;

			if (!(devs[i]->available_nodes & (1 << DRM_NODE_PRIMARY)))
				continue;
			node = devs[i]->nodes[DRM_NODE_PRIMARY];
			fd = nvx_prime_try(node, pass == 0);
			if (fd < 0) {
				if (pass)
					nvx_debug("prime: %s: %s", node,
						  fd == -ENODEV ? "no dumb buffers or PRIME export" :
						  strerror(-fd));
				continue;
			}
			close(fd);
			snprintf(path, size, "%s", node);
			nvx_debug("prime: dumb buffers from %s%s", path,
				  pass ? "" : " (vgem)");
			ret = 0;
		}
	}
	if (n > 0)
		drmFreeDevices(devs, n);
	free(devs);
	return ret;
}

/* nvx_prime_open() - open the node of @pd for a device; fd or -errno. */
int nvx_prime_open(const struct nvx_physdev *pd)
{
	return nvx_prime_try(pd->drm_node, false);
}

static VkDeviceSize nvx_align(VkDeviceSize v, VkDeviceSize a)
{
	return (v + a - 1) / a * a;
}

/* The alignment of host memory for the driver: at least a page. */
static VkDeviceSize nvx_host_align(const struct nvx_device *dev)
{
	VkDeviceSize page = (VkDeviceSize)sysconf(_SC_PAGESIZE);
	VkDeviceSize a = dev->physdev->host_align;

	return a > page ? a : page;
}

/*
 * Map @size bytes of dma-buf @fd at an address aligned to @align (a power
 * of two, at least a page).  NULL on failure, with errno set.
 */
static void *nvx_map_aligned(int fd, size_t size, size_t align)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *area, *at, *map;
	size_t span;

	if (align <= page) {
		map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		return map == MAP_FAILED ? NULL : map;
	}
	/* Reserve room to slide to the alignment, then map over it. */
	span = size + align;
	area = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return NULL;
	at = (unsigned char *)(((uintptr_t)area + align - 1) & ~(uintptr_t)(align - 1));
	map = mmap(at, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		   fd, 0);
	if (map == MAP_FAILED) {
		int err = errno;

		munmap(area, span);
		errno = err;
		return NULL;
	}
	if (at > area)
		munmap(area, at - area);
	if (area + span > at + size)
		munmap(at + size, area + span - (at + size));
	return map;
}

/*
 * nvx_prime_map() - map dma-buf @fd for an allocation of @size bytes into
 * @m: m->map and m->map_size are set, the fd is not kept (the caller puts
 * it into m->dmabuf_fd once the import succeeded).  The mapping covers
 * @size rounded up to the host alignment, which the dma-buf must hold.
 */
VkResult nvx_prime_map(struct nvx_device *dev, int fd, VkDeviceSize size,
		       struct nvx_memory *m)
{
	VkDeviceSize want = nvx_align(size, nvx_host_align(dev));
	off_t have = lseek(fd, 0, SEEK_END);
	void *map;

	if (have < 0) {
		nvx_error("vkAllocateMemory: import of fd %d: not a dma-buf (%s)",
			  fd, strerror(errno));
		return VK_ERROR_INVALID_EXTERNAL_HANDLE;
	}
	if ((VkDeviceSize)have < want) {
		nvx_error("vkAllocateMemory: import of fd %d: the dma-buf has %lld bytes, the allocation needs %llu (allocationSize %llu rounded to the host alignment)",
			  fd, (long long)have, (unsigned long long)want,
			  (unsigned long long)size);
		return VK_ERROR_INVALID_EXTERNAL_HANDLE;
	}
	map = nvx_map_aligned(fd, want, nvx_host_align(dev));
	if (!map) {
		nvx_error("vkAllocateMemory: cannot map the dma-buf of fd %d: %s",
			  fd, strerror(errno));
		return errno == ENOMEM ? VK_ERROR_OUT_OF_HOST_MEMORY :
					 VK_ERROR_INVALID_EXTERNAL_HANDLE;
	}
	m->map = map;
	m->map_size = want;
	return VK_SUCCESS;
}

/*
 * nvx_prime_alloc() - a new dumb buffer of at least @size bytes as a mapped
 * dma-buf: m->dmabuf_fd, m->map and m->map_size are set.
 */
VkResult nvx_prime_alloc(struct nvx_device *dev, VkDeviceSize size,
			 struct nvx_memory *m)
{
	/* Rows of one page; the height gives the size. */
	struct drm_mode_create_dumb create = { .width = 1024, .bpp = 32 };
	VkDeviceSize want = nvx_align(size, nvx_host_align(dev));
	VkResult res;
	int fd, ret;

	if (dev->drm_fd < 0)
		return VK_ERROR_OUT_OF_DEVICE_MEMORY;
	if (want / 4096 > UINT32_MAX)
		return VK_ERROR_OUT_OF_DEVICE_MEMORY;
	create.height = (uint32_t)((want + 4095) / 4096);
	if (drmIoctl(dev->drm_fd, DRM_IOCTL_MODE_CREATE_DUMB, &create)) {
		nvx_error("vkAllocateMemory: a dumb buffer of %llu bytes on %s: %s",
			  (unsigned long long)want, dev->physdev->drm_node,
			  strerror(errno));
		return VK_ERROR_OUT_OF_DEVICE_MEMORY;
	}
	ret = drmPrimeHandleToFD(dev->drm_fd, create.handle,
				 DRM_CLOEXEC | DRM_RDWR, &fd);
	/* The dma-buf holds the buffer now; the GEM handle is not needed. */
	nvx_gem_close(dev->drm_fd, create.handle);
	if (ret) {
		nvx_error("vkAllocateMemory: PRIME export of a dumb buffer on %s: %s",
			  dev->physdev->drm_node, strerror(errno));
		return VK_ERROR_OUT_OF_DEVICE_MEMORY;
	}
	res = nvx_prime_map(dev, fd, size, m);
	if (res != VK_SUCCESS) {
		close(fd);
		return res == VK_ERROR_INVALID_EXTERNAL_HANDLE ?
			VK_ERROR_OUT_OF_DEVICE_MEMORY : res;
	}
	m->dmabuf_fd = fd;
	nvx_debug("prime: dumb buffer of %llu bytes on %s, dma-buf fd %d mapped at %p",
		  (unsigned long long)create.size, dev->physdev->drm_node, fd,
		  m->map);
	return VK_SUCCESS;
}

/* nvx_prime_unmap() - end the mapping and close the dma-buf of @m. */
void nvx_prime_unmap(struct nvx_memory *m)
{
	if (m->map)
		munmap(m->map, m->map_size);
	m->map = NULL;
	m->map_size = 0;
	if (m->dmabuf_fd >= 0)
		close(m->dmabuf_fd);
	m->dmabuf_fd = -1;
}
