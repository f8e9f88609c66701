// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * layer_bench: the cost of the layer VK_LAYER_PRIMESHARE_nv_external_memory,
 * measured the way primeshare_bench measures (one cycle at a time after a
 * warm-up, median and 99th percentile, the clock's cost subtracted).  Run
 * inside the VM by make bench (bench/bench-guest) with VK_LAYER_PATH
 * pointing at the build tree's explicit manifest and the driver of the
 * running kernel; the layer is enabled per instance (ppEnabledLayerNames),
 * never through VK_INSTANCE_LAYERS.
 *
 *   NV path: process A allocates an image's memory exportable as
 *   OPAQUE_WIN32_KMT (VkExportMemoryAllocateInfoNV) and gets its KMT handle
 *   (vkGetMemoryWin32HandleNV); process B, with a Vulkan device of its own,
 *   imports it (VkImportMemoryWin32HandleInfoNV) and frees it; A frees its
 *   memory.  The same work by hand, on a device with the layer loaded but
 *   no NV extension enabled (pass-through only), with raw KHR calls and
 *   libprimeshare: the backend's memory (a driver dma-buf on dma-buf; a
 *   vgem dumb buffer imported as host memory on prime, as the layer does),
 *   primeshare_export(), and in B primeshare_import() and the KHR import.
 *
 *   Pass-through: vkCreateImage, vkAllocateMemory, vkBindImageMemory,
 *   vkFreeMemory, vkDestroyImage with no NV structure, on an instance with
 *   the layer enabled and on one without it, in the same process,
 *   alternating iteration by iteration.
 *
 * Lines starting with "data " are for bench-run's plots.  Exit status 0
 * when everything was measured, 1 on a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/drm_mode.h>

#include "primeshare.h"
#include "primeshare_vulkan_nv.h"
#include "vkt.h"


#define WIDTH		256u
#define HEIGHT		256u
#define FORMAT		VK_FORMAT_R8G8B8A8_UNORM
#define KMT		VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV
#define USAGE		(VK_IMAGE_USAGE_TRANSFER_SRC_BIT | \
			 VK_IMAGE_USAGE_TRANSFER_DST_BIT)
#define DMABUF		VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT
#define HOSTMEM		VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT

static unsigned long cycles = 500, passes = 5000, warmup = 50;
static double clock_ns;
/* Vulkan ------------------------------------------------------------ */

enum by_hand { HAND_NONE, HAND_DMABUF, HAND_PRIME };

struct vk {
	VkInstance inst;
	VkPhysicalDevice pd;
	VkDevice dev;
	bool nv;
	VkImageTiling tiling;
	bool dedicated;
	PFN_vkGetMemoryWin32HandleNV get_handle_nv;
	PFN_vkGetMemoryFdKHR get_fd;
	PFN_vkGetMemoryFdPropertiesKHR fd_props;
	PFN_vkGetMemoryHostPointerPropertiesEXT host_props;
	VkDeviceSize host_align;
};

/*
 * An instance and device: with the layer enabled or not, and with the NV
 * extensions (needs the layer) or the KHR ones the by-hand path uses.
 */
static void vk_open(struct vk *v, bool layer, bool nv)
{
	const char *layers[] = { PRIMESHARE_VULKAN_LAYER_NAME };
	const char *iexts[] = { VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME };
	const char *dexts[8];
	uint32_t ndext = 0, n = 1, qf = 0;
	float prio = 1.0f;
	VkApplicationInfo app = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = "layer_bench",
		.apiVersion = VK_API_VERSION_1_1,
	};
	VkInstanceCreateInfo ici = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pApplicationInfo = &app,
		.enabledLayerCount = layer,
		.ppEnabledLayerNames = layers,
		.enabledExtensionCount = nv,
		.ppEnabledExtensionNames = iexts,
	};
	VkDeviceQueueCreateInfo qci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
		.queueCount = 1,
		.pQueuePriorities = &prio,
	};
	VkDeviceCreateInfo dci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
		.queueCreateInfoCount = 1,
		.pQueueCreateInfos = &qci,
		.ppEnabledExtensionNames = dexts,
	};
	VkResult res;

	memset(v, 0, sizeof(*v));
	v->nv = nv;
	v->tiling = VK_IMAGE_TILING_OPTIMAL;
	res = vkCreateInstance(&ici, NULL, &v->inst);
	if (res != VK_SUCCESS)
		tu_die("vkCreateInstance (layer %s, NV %s): %d%s", layer ? "on" : "off",
		       nv ? "on" : "off", res,
		       res == VK_ERROR_LAYER_NOT_PRESENT ?
		       " (the layer is not found: VK_LAYER_PATH?)" : "");
	res = vkEnumeratePhysicalDevices(v->inst, &n, &v->pd);
	if (res < 0 || !n)
		tu_die("no Vulkan physical device (%d)", res);
	if (nv) {
		dexts[ndext++] = VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME;
		dexts[ndext++] = VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME;
	} else {
		static const char *const want[] = {
			VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME,
			VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME,
			VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME,
		};

		for (size_t i = 0; i < TU_ARRAY_SIZE(want); i++)
			if (vkt_device_has(v->pd, NULL, want[i]))
				dexts[ndext++] = want[i];
	}
	dci.enabledExtensionCount = ndext;
	qci.queueFamilyIndex = qf;
	res = vkCreateDevice(v->pd, &dci, NULL, &v->dev);
	if (res != VK_SUCCESS)
		tu_die("vkCreateDevice (layer %s, NV %s): %d", layer ? "on" : "off",
		       nv ? "on" : "off", res);
	if (nv) {
		static const VkImageTiling tilings[] = {
			VK_IMAGE_TILING_OPTIMAL, VK_IMAGE_TILING_LINEAR,
		};
		struct vkt_share_want want = {
			.format = FORMAT,
			.usage = USAGE,
			.type = KMT,
			.width = WIDTH,
			.height = HEIGHT,
		};
		VkExternalImageFormatPropertiesNV p;
		char why[96];
		bool ok = false;

		v->get_handle_nv = (PFN_vkGetMemoryWin32HandleNV)
			vkGetDeviceProcAddr(v->dev, "vkGetMemoryWin32HandleNV");
		if (!v->get_handle_nv)
			tu_die("the NV commands are missing: is the layer loaded?");
		for (size_t i = 0; i < TU_ARRAY_SIZE(tilings) && !ok; i++) {
			want.tiling = tilings[i];
			if (!vkt_nv_shareable(v->inst, v->pd, &want, &p, why,
					      sizeof(why)))
				continue;
			ok = true;
			v->tiling = tilings[i];
			v->dedicated = p.externalMemoryFeatures &
				       VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT_NV;
		}
		if (!ok)
			tu_die("an RGBA8 image cannot be shared as OPAQUE_WIN32_KMT here (linear tiling, the last tried: %s; primeshare.ko? PRIMESHARE_LAYER_DEBUG=1 tells why)",
			       why);
	} else {
		VkPhysicalDeviceExternalMemoryHostPropertiesEXT hp = {
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT,
		};
		VkPhysicalDeviceProperties2 p2 = {
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
			.pNext = &hp,
		};

		vkGetPhysicalDeviceProperties2(v->pd, &p2);
		v->host_align = hp.minImportedHostPointerAlignment;
		v->get_fd = (PFN_vkGetMemoryFdKHR)
			vkGetDeviceProcAddr(v->dev, "vkGetMemoryFdKHR");
		v->fd_props = (PFN_vkGetMemoryFdPropertiesKHR)
			vkGetDeviceProcAddr(v->dev, "vkGetMemoryFdPropertiesKHR");
		v->host_props = (PFN_vkGetMemoryHostPointerPropertiesEXT)
			vkGetDeviceProcAddr(v->dev, "vkGetMemoryHostPointerPropertiesEXT");
	}
}

static void vk_close(struct vk *v)
{
	vkDestroyDevice(v->dev, NULL);
	vkDestroyInstance(v->inst, NULL);
}

static uint32_t first_type(uint32_t bits)
{
	for (uint32_t i = 0; i < 32; i++)
		if (bits & (1u << i))
			return i;
	tu_die("no memory type");
}

/* The shared image: NV external (@types NV) or KHR external (@types KHR). */
static VkImage make_image(struct vk *v, VkImageTiling tiling, uint32_t types)
{
	VkExternalMemoryImageCreateInfoNV nv = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV,
		.handleTypes = types,
	};
	VkExternalMemoryImageCreateInfo khr = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO,
		.handleTypes = types,
	};
	VkImageCreateInfo ici = vkt_image_info(WIDTH, HEIGHT, tiling,
					       !types ? NULL :
					       v->nv ? (void *)&nv : (void *)&khr);
	VkImage img;

	ici.format = FORMAT;
	ici.usage = USAGE;
	VKT_CHECK(vkCreateImage(v->dev, &ici, NULL, &img));
	return img;
}

/* One shared allocation, either side. */
struct shared {
	VkImage image;
	VkDeviceMemory mem;
	uint64_t handle;	/* KMT / primeshare handle */
	int dmabuf;		/* prime by hand: the dma-buf mapped */
	void *map;
	size_t map_size;
};

/* NV path ------------------------------------------------------------ */

static void nv_alloc(struct vk *v, struct shared *s, HANDLE import)
{
	VkDedicatedAllocationMemoryAllocateInfoNV ded = {
		.sType = VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_MEMORY_ALLOCATE_INFO_NV,
	};
	VkExportMemoryAllocateInfoNV exp = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV,
		.handleTypes = KMT,
	};
	VkImportMemoryWin32HandleInfoNV imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.handleType = KMT,
		.handle = import,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = import ? (void *)&imp : (void *)&exp,
	};
	VkMemoryRequirements mr;
	VkResult res;

	s->image = make_image(v, v->tiling, KMT);
	vkGetImageMemoryRequirements(v->dev, s->image, &mr);
	mai.allocationSize = mr.size;
	mai.memoryTypeIndex = first_type(mr.memoryTypeBits);
	if (v->dedicated) {
		ded.image = s->image;
		if (import)
			imp.pNext = &ded;
		else
			exp.pNext = &ded;
	}
	res = vkAllocateMemory(v->dev, &mai, NULL, &s->mem);
	if (res != VK_SUCCESS)
		tu_die("NV %s: vkAllocateMemory: %d", import ? "import" : "export", res);
	VKT_CHECK(vkBindImageMemory(v->dev, s->image, s->mem, 0));
	if (!import) {
		HANDLE h = NULL;

		VKT_CHECK(v->get_handle_nv(v->dev, s->mem, KMT, &h));
		s->handle = PRIMESHARE_GLOBAL_FROM_HANDLE(h);
	}
}

static void free_shared(struct vk *v, struct shared *s)
{
	vkFreeMemory(v->dev, s->mem, NULL);
	vkDestroyImage(v->dev, s->image, NULL);
	if (s->map)
		munmap(s->map, s->map_size);
	if (s->dmabuf >= 0)
		close(s->dmabuf);
}

/* By hand ------------------------------------------------------------ */

static struct primeshare *psh;
static int drm_card = -1;

static int open_dumb_card(void)
{
	char path[32];

	for (int i = 0; i < 16; i++) {
		struct drm_mode_create_dumb c = { .width = 64, .height = 64, .bpp = 32 };
		struct drm_mode_destroy_dumb d = { 0 };
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &c)) {
			d.handle = c.handle;
			ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &d);
			return fd;
		}
		close(fd);
	}
	tu_die("prime by hand: no DRM node makes dumb buffers");
}

static void *map_aligned(int fd, size_t size, size_t align)
{
	unsigned char *area, *at, *map;
	size_t span = size + align;

	area = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		tu_die("mmap: %s", strerror(errno));
	at = (unsigned char *)(((uintptr_t)area + align - 1) & ~(uintptr_t)(align - 1));
	map = mmap(at, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (map == MAP_FAILED)
		tu_die("mmap of the dma-buf: %s", strerror(errno));
	if (at > area)
		munmap(area, at - area);
	munmap(at + size, area + span - (at + size));
	return map;
}

/* Host memory of dma-buf @s->dmabuf, mapped, as the image's memory. */
static void host_import(struct vk *v, struct shared *s, VkDeviceSize size)
{
	VkMemoryHostPointerPropertiesEXT hp = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT,
	};
	VkImportMemoryHostPointerInfoEXT imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT,
		.handleType = HOSTMEM,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &imp,
		.allocationSize = size,
	};
	size_t align = v->host_align > 4096 ? v->host_align : 4096;

	s->map_size = size;
	s->map = map_aligned(s->dmabuf, size, align);
	imp.pHostPointer = s->map;
	VKT_CHECK(v->host_props(v->dev, HOSTMEM, s->map, &hp));
	mai.memoryTypeIndex = first_type(hp.memoryTypeBits);
	VKT_CHECK(vkAllocateMemory(v->dev, &mai, NULL, &s->mem));
	VKT_CHECK(vkBindImageMemory(v->dev, s->image, s->mem, 0));
}

static VkDeviceSize host_size(struct vk *v, VkDeviceSize size)
{
	VkDeviceSize a = v->host_align > 4096 ? v->host_align : 4096;

	return (size + a - 1) / a * a;
}

/* A: the backend's memory by hand, exported with primeshare_export(). */
static void hand_export(struct vk *v, enum by_hand how, struct shared *s)
{
	VkMemoryRequirements mr;
	int fd, ret;

	s->dmabuf = -1;
	s->image = make_image(v, v->tiling, how == HAND_DMABUF ? DMABUF : HOSTMEM);
	vkGetImageMemoryRequirements(v->dev, s->image, &mr);
	if (how == HAND_DMABUF) {
		VkMemoryDedicatedAllocateInfo ded = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
			.image = s->image,
		};
		VkExportMemoryAllocateInfo exp = {
			.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
			.pNext = v->dedicated ? &ded : NULL,
			.handleTypes = DMABUF,
		};
		VkMemoryAllocateInfo mai = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
			.pNext = &exp,
			.allocationSize = mr.size,
			.memoryTypeIndex = first_type(mr.memoryTypeBits),
		};
		VkMemoryGetFdInfoKHR gi = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR,
			.handleType = DMABUF,
		};

		VKT_CHECK(vkAllocateMemory(v->dev, &mai, NULL, &s->mem));
		VKT_CHECK(vkBindImageMemory(v->dev, s->image, s->mem, 0));
		gi.memory = s->mem;
		VKT_CHECK(v->get_fd(v->dev, &gi, &fd));
	} else {
		VkDeviceSize want = host_size(v, mr.size);
		struct drm_mode_create_dumb c = {
			.width = 1024, .bpp = 32,
			.height = (uint32_t)((want + 4095) / 4096),
		};
		struct drm_prime_handle ph = { .flags = DRM_CLOEXEC | DRM_RDWR };
		struct drm_gem_close gc = { 0 };

		if (ioctl(drm_card, DRM_IOCTL_MODE_CREATE_DUMB, &c))
			tu_die("CREATE_DUMB: %s", strerror(errno));
		ph.handle = c.handle;
		ret = ioctl(drm_card, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph);
		gc.handle = c.handle;
		ioctl(drm_card, DRM_IOCTL_GEM_CLOSE, &gc);
		if (ret)
			tu_die("PRIME_HANDLE_TO_FD: %s", strerror(errno));
		s->dmabuf = ph.fd;
		host_import(v, s, want);
		fd = dup(s->dmabuf);
	}
	ret = primeshare_export(psh, fd, PRIMESHARE_LIFETIME_OWNED, 0400,
				NULL, 0, &s->handle);
	close(fd);
	if (ret)
		tu_die("primeshare_export: %s", strerror(-ret));
}

/* B: primeshare_import() and the KHR import of what it gives. */
static void hand_import(struct vk *v, enum by_hand how, struct shared *s,
			uint64_t handle)
{
	VkMemoryRequirements mr;
	uint64_t size;
	int fd;

	s->dmabuf = -1;
	s->map = NULL;
	fd = primeshare_import(psh, handle, 0, NULL, NULL, &size);
	if (fd < 0)
		tu_die("primeshare_import: %s", strerror(-fd));
	s->image = make_image(v, v->tiling, how == HAND_DMABUF ? DMABUF : HOSTMEM);
	vkGetImageMemoryRequirements(v->dev, s->image, &mr);
	if (how == HAND_DMABUF) {
		VkMemoryFdPropertiesKHR fp = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_FD_PROPERTIES_KHR,
		};
		VkMemoryDedicatedAllocateInfo ded = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
			.image = s->image,
		};
		VkImportMemoryFdInfoKHR imp = {
			.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
			.pNext = v->dedicated ? &ded : NULL,
			.handleType = DMABUF,
			.fd = fd,
		};
		VkMemoryAllocateInfo mai = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
			.pNext = &imp,
			.allocationSize = mr.size,
		};

		VKT_CHECK(v->fd_props(v->dev, DMABUF, fd, &fp));
		mai.memoryTypeIndex = first_type(fp.memoryTypeBits &
						 mr.memoryTypeBits);
		VKT_CHECK(vkAllocateMemory(v->dev, &mai, NULL, &s->mem));
		VKT_CHECK(vkBindImageMemory(v->dev, s->image, s->mem, 0));
	} else {
		s->dmabuf = fd;
		host_import(v, s, host_size(v, mr.size));
	}
}

/* The two processes --------------------------------------------------- */

enum cmd { CMD_NV = 1, CMD_HAND, CMD_QUIT };

struct msg {
	uint32_t cmd;
	uint32_t how;
	uint64_t handle;
};

/* B: a Vulkan device of its own; imports and frees what A sends. */
static void __attribute__((noreturn)) process_b(int sock)
{
	struct vk nv, hand;
	struct msg m;
	struct shared s;
	uint32_t ok = 1;

	tu_set_prog("layer_bench (B)");
	vk_open(&nv, true, true);
	vk_open(&hand, true, false);
	hand.tiling = nv.tiling;
	hand.dedicated = nv.dedicated;
	tu_xwrite(sock, &ok, sizeof(ok));
	for (;;) {
		tu_xread(sock, &m, sizeof(m));
		if (m.cmd == CMD_QUIT)
			break;
		memset(&s, 0, sizeof(s));
		s.dmabuf = -1;
		if (m.cmd == CMD_NV) {
			nv_alloc(&nv, &s, PRIMESHARE_HANDLE_FROM_GLOBAL(m.handle));
			free_shared(&nv, &s);
		} else {
			hand_import(&hand, m.how, &s, m.handle);
			free_shared(&hand, &s);
		}
		tu_xwrite(sock, &ok, sizeof(ok));
	}
	vk_close(&hand);
	vk_close(&nv);
	exit(0);
}

static struct vk a_nv, a_hand, a_raw;
static int sock_b;

static void cycle_nv(void)
{
	struct shared s = { .dmabuf = -1 };
	struct msg m = { .cmd = CMD_NV };
	uint32_t ok;

	nv_alloc(&a_nv, &s, NULL);
	m.handle = s.handle;
	tu_xwrite(sock_b, &m, sizeof(m));
	tu_xread(sock_b, &ok, sizeof(ok));
	free_shared(&a_nv, &s);
}

static void cycle_hand(enum by_hand how)
{
	struct shared s = { .dmabuf = -1 };
	struct msg m = { .cmd = CMD_HAND, .how = how };
	uint32_t ok;
	int ret;

	hand_export(&a_hand, how, &s);
	m.handle = s.handle;
	tu_xwrite(sock_b, &m, sizeof(m));
	tu_xread(sock_b, &ok, sizeof(ok));
	free_shared(&a_hand, &s);
	ret = primeshare_release(psh, s.handle);
	if (ret)
		tu_die("primeshare_release: %s", strerror(-ret));
}

/* The pass-through loop on @v: no NV structure anywhere. */
static void plain_cycle(struct vk *v)
{
	VkMemoryRequirements mr;
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
	};
	VkDeviceMemory mem;
	VkImage img = make_image(v, VK_IMAGE_TILING_OPTIMAL, 0);

	vkGetImageMemoryRequirements(v->dev, img, &mr);
	mai.allocationSize = mr.size;
	mai.memoryTypeIndex = first_type(mr.memoryTypeBits);
	VKT_CHECK(vkAllocateMemory(v->dev, &mai, NULL, &mem));
	VKT_CHECK(vkBindImageMemory(v->dev, img, mem, 0));
	vkFreeMemory(v->dev, mem, NULL);
	vkDestroyImage(v->dev, img, NULL);
}

/*
 * The backend the layer picks, from its own log: a child process (the
 * layer not yet loaded here) creates an NV device with
 * PRIMESHARE_LAYER_DEBUG=1.  Debugging stays off in the measured
 * processes, where each allocation would log.
 */
static void probe_backend(char *backend, size_t size)
{
	int p[2];
	pid_t pid;
	FILE *f;
	char line[512];

	snprintf(backend, size, "unknown");
	if (pipe(p))
		tu_die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		tu_die("fork: %s", strerror(errno));
	if (!pid) {
		struct vk v;

		close(p[0]);
		dup2(p[1], 2);
		setenv("PRIMESHARE_LAYER_DEBUG", "1", 1);
		vk_open(&v, true, true);
		vk_close(&v);
		_exit(0);
	}
	close(p[1]);
	f = fdopen(p[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *b = strstr(line, "device: NV external memory by the layer");

		if (b && strstr(b, ", backend ")) {
			printf("layer log: %s", line);
			sscanf(strstr(b, ", backend ") + 10, "%31[a-z-]",
			       backend);
		} else if (strstr(line, "layer_bench")) {
			fputs(line, stderr);
		}
	}
	if (f)
		fclose(f);
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	char backend[32];
	enum by_hand how = HAND_NONE;
	uint64_t *s;
	unsigned long i, n;
	int c, sv[2], status;
	pid_t b;
	struct tu_stat raw, lay, tnv, thand;
	uint64_t t0;
	double ratio;

	while ((c = getopt(argc, argv, "qn:")) != -1) {
		switch (c) {
		case 'q':
			cycles = 200;
			passes = 2000;
			warmup = 20;
			break;
		case 'n':
			cycles = strtoul(optarg, NULL, 10);
			passes = cycles * 10;
			warmup = cycles / 10;
			break;
		default:
			fprintf(stderr, "usage: layer_bench [-q] [-n CYCLES]\n");
			return 2;
		}
	}
	if (cycles < 100)
		tu_die("at least 100 cycles");
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	t0 = tu_now_ns();
	for (i = 0; i < 1000; i++)
		tu_now_ns();
	clock_ns = (tu_now_ns() - t0) / 1000.0;

	probe_backend(backend, sizeof(backend));
	if (!strcmp(backend, "dma-buf"))
		how = HAND_DMABUF;
	else if (!strcmp(backend, "prime"))
		how = HAND_PRIME;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		tu_die("socketpair: %s", strerror(errno));
	b = fork();
	if (b < 0)
		tu_die("fork: %s", strerror(errno));
	if (!b) {
		close(sv[0]);
		if (primeshare_open(&psh))
			tu_die("primeshare_open failed: is primeshare.ko loaded?");
		if (how == HAND_PRIME)
			drm_card = open_dumb_card();
		process_b(sv[1]);
	}
	close(sv[1]);
	sock_b = sv[0];
	if ((c = primeshare_open(&psh)))
		tu_die("primeshare_open: %s (is primeshare.ko loaded?)", strerror(-c));
	if (how == HAND_PRIME)
		drm_card = open_dumb_card();
	vk_open(&a_nv, true, true);
	vk_open(&a_hand, true, false);
	vk_open(&a_raw, false, false);
	a_hand.tiling = a_nv.tiling;
	a_hand.dedicated = a_nv.dedicated;
	tu_xread(sock_b, &status, sizeof(uint32_t));

	printf("layer_bench: backend %s; %lu cycles (NV path, by hand) and %lu pass-through iterations after warm-up, clock cost %.0f ns subtracted\n",
	       backend, cycles, passes, clock_ns);
	printf("  NV path: layer enabled with the NV extensions; by hand: layer enabled, no NV extension (pass-through), raw KHR + libprimeshare%s\n",
	       how == HAND_PRIME ? " (vgem dumb buffer, PRIME, host-pointer import, as the prime backend does)" :
	       how == HAND_DMABUF ? " (VK_EXT_external_memory_dma_buf)" : "");
	printf("  image %ux%u RGBA8, %s tiling%s; processes A (pid %d) and B (pid %d)\n",
	       WIDTH, HEIGHT,
	       a_nv.tiling == VK_IMAGE_TILING_LINEAR ? "linear" : "optimal",
	       a_nv.dedicated ? ", dedicated" : "", (int)getpid(), (int)b);

	n = cycles > passes ? cycles : passes;
	s = calloc(2 * n, sizeof(*s));
	if (!s)
		tu_die("out of memory");

	printf("\nlayer, per cycle (ns)                           median        p99\n");
	/* Alternate the two paths, cycle by cycle, so that drift hits both. */
	for (i = 0; i < warmup; i++) {
		cycle_nv();
		if (how != HAND_NONE)
			cycle_hand(how);
	}
	for (i = 0; i < cycles; i++) {
		t0 = tu_now_ns();
		cycle_nv();
		s[i] = tu_now_ns() - t0;
		if (how != HAND_NONE) {
			t0 = tu_now_ns();
			cycle_hand(how);
			s[n + i] = tu_now_ns() - t0;
		}
	}
	tnv = tu_summarize(s, cycles, clock_ns);
	tu_report_op("layer NV export + KMT handle + import", tnv);
	if (how != HAND_NONE) {
		thand = tu_summarize(s + n, cycles, clock_ns);
		tu_report_op("same work by hand (KHR + libprimeshare)", thand);
	}

	for (i = 0; i < warmup * 10; i++) {
		plain_cycle(&a_raw);
		plain_cycle(&a_hand);
	}
	for (i = 0; i < passes; i++) {
		t0 = tu_now_ns();
		plain_cycle(&a_raw);
		s[i] = tu_now_ns() - t0;
		t0 = tu_now_ns();
		plain_cycle(&a_hand);
		s[n + i] = tu_now_ns() - t0;
	}
	raw = tu_summarize(s, passes, clock_ns);
	lay = tu_summarize(s + n, passes, clock_ns);
	tu_report_op("image+memory loop, no layer", raw);
	tu_report_op("image+memory loop, layer (pass-through)", lay);
	free(s);

	printf("\nlayer targets (reported, never failed)\n");
	ratio = how == HAND_NONE ? NAN : tnv.median / thand.median;
	tu_report_target("layer NV path / same work by hand", ratio, 1.1,
			 false, "x",
			 "not comparable: no dma-buf or prime backend");
	tu_report_target("layer pass-through overhead",
			 (lay.median / raw.median - 1) * 100, 2, false, "%",
			 "not measured");

	{
		struct msg m = { .cmd = CMD_QUIT };

		tu_xwrite(sock_b, &m, sizeof(m));
	}
	if (waitpid(b, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		tu_die("process B failed");
	vk_close(&a_raw);
	vk_close(&a_hand);
	vk_close(&a_nv);
	primeshare_close(psh);
	return 0;
}
