/* SPDX-License-Identifier: MIT */
/*
 * Choosing a backend for each physical device, and logging.
 *
 *   dma-buf    the driver exports and imports DMA_BUF handles
 *              (VK_EXT_external_memory_dma_buf + VK_KHR_external_memory_fd);
 *   prime      the driver imports host memory (VK_EXT_external_memory_host)
 *              and a DRM node makes dumb buffers to back it;
 *   opaque-fd  the driver has only VK_KHR_external_memory_fd: its opaque fds
 *              pass between processes using the same driver;
 *   none       no external memory at all: the NV handle types are reported
 *              unsupported.
 *
 * PRIMESHARE_LAYER_BACKEND=dma-buf|prime|opaque-fd|none overrides the
 * choice; a backend the driver cannot carry falls back to none.
 * PRIMESHARE_LAYER_DEBUG=1 logs each decision to stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <drm/drm.h>

#include "layer.h"

static pthread_once_t ps_env_once = PTHREAD_ONCE_INIT;
static bool ps_debug_on;

static void ps_env_init(void)
{
	const char *v = getenv("PRIMESHARE_LAYER_DEBUG");

	ps_debug_on = v && *v && strcmp(v, "0");
}

bool ps_debug_enabled(void)
{
	pthread_once(&ps_env_once, ps_env_init);
	return ps_debug_on;
}

void ps_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "primeshare-layer: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	/* One write, so that lines of several threads do not mix. */
	fputs(line, stderr);
}

const char *ps_backend_name(enum ps_backend backend)
{
	switch (backend) {
	case PS_BACKEND_DMABUF:
		return "dma-buf";
	case PS_BACKEND_PRIME:
		return "prime";
	case PS_BACKEND_OPAQUE_FD:
		return "opaque-fd";
	case PS_BACKEND_NONE:
		break;
	}
	return "none";
}

bool ps_has_extension(const VkExtensionProperties *props, uint32_t count,
		      const char *name)
{
	for (uint32_t i = 0; i < count; i++)
		if (!strcmp(props[i].extensionName, name))
			return true;
	return false;
}

/*
 * ps_primeshare_usable() - whether /dev/primeshare (or $PRIMESHARE_DEVICE,
 * as libprimeshare uses it) can be opened.  The KMT handle types depend on
 * it.
 */
bool ps_primeshare_usable(void)
{
	const char *path = getenv("PRIMESHARE_DEVICE");
	int fd;

	if (!path || !*path)
		path = "/dev/primeshare";
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ps_debug("%s: %s: KMT handle types unavailable", path,
			 strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

/* Whether some DRM node makes dumb buffers (vgem, virtio-gpu, ...). */
static bool ps_dumb_buffer_node(void)
{
	struct dirent *de;
	bool found = false;
	DIR *dir;

	dir = opendir("/dev/dri");
	if (!dir)
		return false;
	while (!found && (de = readdir(dir))) {
		struct drm_get_cap cap = { .capability = DRM_CAP_DUMB_BUFFER };
		char path[300];
		int fd;

		if (strncmp(de->d_name, "card", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!ioctl(fd, DRM_IOCTL_GET_CAP, &cap) && cap.value) {
			ps_debug("%s makes dumb buffers", path);
			found = true;
		}
		close(fd);
	}
	closedir(dir);
	return found;
}

/*
 * Parts not in this build yet: the prime backend's allocation path, and the
 * KMT handle types (export and import through libprimeshare).  Until they
 * are, the layer neither chooses the one nor reports the other.
 */
#define PS_PRIME_IMPLEMENTED 0
#define PS_KMT_IMPLEMENTED 0

static bool ps_backend_possible(const struct ps_physdev *pd,
				enum ps_backend b)
{
	switch (b) {
	case PS_BACKEND_DMABUF:
		return pd->has_dma_buf && pd->has_ext_memory_fd;
	case PS_BACKEND_PRIME:
		return PS_PRIME_IMPLEMENTED && pd->has_host &&
		       ps_dumb_buffer_node();
	case PS_BACKEND_OPAQUE_FD:
		return pd->has_ext_memory_fd;
	case PS_BACKEND_NONE:
		break;
	}
	return true;
}

static enum ps_backend ps_backend_choose(const struct ps_physdev *pd,
					 const char *name)
{
	static const enum ps_backend order[] = {
		PS_BACKEND_DMABUF, PS_BACKEND_PRIME, PS_BACKEND_OPAQUE_FD,
	};
	const char *env = getenv("PRIMESHARE_LAYER_BACKEND");

	if (env && *env && strcmp(env, "auto")) {
		enum ps_backend want = PS_BACKEND_NONE;
		bool known = false;

		for (int b = PS_BACKEND_NONE; b <= PS_BACKEND_OPAQUE_FD; b++) {
			if (!strcmp(env, ps_backend_name(b))) {
				want = b;
				known = true;
			}
		}
		if (known && !ps_backend_possible(pd, want)) {
			ps_error("%s: backend %s requested by PRIMESHARE_LAYER_BACKEND is not possible here; using none",
				 name, env);
			return PS_BACKEND_NONE;
		}
		if (known) {
			ps_debug("%s: backend %s (PRIMESHARE_LAYER_BACKEND)",
				 name, env);
			return want;
		}
		ps_error("PRIMESHARE_LAYER_BACKEND=%s is not one of dma-buf, prime, opaque-fd, none, auto; choosing automatically",
			 env);
	}

	if (pd->has_host && !PS_PRIME_IMPLEMENTED && !pd->has_dma_buf)
		ps_debug("%s: has VK_EXT_external_memory_host, but the prime backend is not built in",
			 name);
	for (size_t i = 0; i < PS_ARRAY_SIZE(order); i++) {
		if (ps_backend_possible(pd, order[i])) {
			ps_debug("%s: backend %s", name,
				 ps_backend_name(order[i]));
			return order[i];
		}
	}
	ps_debug("%s: no external memory: backend none", name);
	return PS_BACKEND_NONE;
}

/*
 * Whether the driver itself answers vkGetPhysicalDeviceExternalImageFormat-
 * PropertiesNV.  Where it does not, the loader answers in its place and
 * refuses every non-zero handle type; a driver with the extension accepts
 * OPAQUE_WIN32 for a plain RGBA8 image.  Asked only when the instance
 * extension could be passed down, so the call is valid for the layers
 * below.
 */
static bool ps_driver_answers_nv(struct ps_instance *inst, VkPhysicalDevice pd)
{
	VkExternalImageFormatPropertiesNV props;
	VkResult res;

	if (!inst->nv_caps_down ||
	    !inst->next.GetPhysicalDeviceExternalImageFormatPropertiesNV)
		return false;
	res = inst->next.GetPhysicalDeviceExternalImageFormatPropertiesNV(pd,
		VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_TYPE_2D,
		VK_IMAGE_TILING_OPTIMAL,
		VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT |
		VK_IMAGE_USAGE_TRANSFER_DST_BIT, 0,
		VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV, &props);
	return res == VK_SUCCESS;
}

static void ps_physdev_fill(struct ps_instance *inst, struct ps_physdev *pd)
{
	VkExtensionProperties *props = NULL;
	VkPhysicalDeviceProperties dp;
	uint32_t count = 0;
	VkResult res;

	inst->next.GetPhysicalDeviceProperties(pd->handle, &dp);
	/* The version the device is used at: the lower of the two. */
	pd->api_version = VK_MAKE_API_VERSION(0,
					      VK_API_VERSION_MAJOR(dp.apiVersion),
					      VK_API_VERSION_MINOR(dp.apiVersion), 0);
	if (inst->api_version < pd->api_version)
		pd->api_version = inst->api_version;

	res = inst->next.EnumerateDeviceExtensionProperties(pd->handle, NULL,
							    &count, NULL);
	if (res == VK_SUCCESS && count) {
		props = calloc(count, sizeof(*props));
		if (props)
			res = inst->next.EnumerateDeviceExtensionProperties(
				pd->handle, NULL, &count, props);
		if (!props || res < 0)
			count = 0;
	}

#define HAS(n) ps_has_extension(props, count, n)
	/*
	 * The list cannot tell whether the driver has the NV device
	 * extensions: the loader adds those of implicit layers' manifests,
	 * this layer's included.  So they count as native only for a driver
	 * that answers the NV capability query itself.
	 */
	pd->native_nv = ps_driver_answers_nv(inst, pd->handle);
	pd->native_nv_memory = pd->native_nv &&
			       HAS(VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME);
	pd->native_nv_win32 = pd->native_nv &&
			      HAS(VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME);
	pd->has_ext_memory = HAS(VK_KHR_EXTERNAL_MEMORY_EXTENSION_NAME) ||
			     pd->api_version >= VK_API_VERSION_1_1;
	pd->has_ext_memory_fd = HAS(VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
	pd->has_dma_buf = HAS(VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME);
	pd->has_host = HAS(VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
	pd->has_dedicated = HAS(VK_KHR_DEDICATED_ALLOCATION_EXTENSION_NAME) ||
			    pd->api_version >= VK_API_VERSION_1_1;
	pd->has_mem_req2 = HAS(VK_KHR_GET_MEMORY_REQUIREMENTS_2_EXTENSION_NAME) ||
			   pd->api_version >= VK_API_VERSION_1_1;
#undef HAS
	pd->exts = props;
	pd->ext_count = count;

	/* KHR external memory needs the instance half too. */
	if (!inst->khr_caps2) {
		pd->has_ext_memory = false;
		pd->has_ext_memory_fd = false;
		pd->has_dma_buf = false;
	}
	if (!pd->has_ext_memory) {
		pd->has_ext_memory_fd = false;
		pd->has_dma_buf = false;
	}

	ps_debug("%s: driver api %u.%u, external memory:%s%s%s%s%s",
		 dp.deviceName, VK_API_VERSION_MAJOR(pd->api_version),
		 VK_API_VERSION_MINOR(pd->api_version),
		 pd->has_ext_memory_fd ? " fd" : "",
		 pd->has_dma_buf ? " dma-buf" : "",
		 pd->has_host ? " host" : "",
		 pd->native_nv ? " NV(native)" : "",
		 pd->has_ext_memory ? "" : " (none usable)");

	pd->backend = ps_backend_choose(pd, dp.deviceName);
	switch (pd->backend) {
	case PS_BACKEND_DMABUF:
	case PS_BACKEND_PRIME:
		pd->khr_type = pd->backend == PS_BACKEND_DMABUF ?
			VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT :
			VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;
		pd->nv_types = PS_NV_FD_TYPES;
		if (!PS_KMT_IMPLEMENTED)
			ps_debug("KMT handle types: not built in");
		else if (sizeof(HANDLE) >= sizeof(uint64_t) &&
			 ps_primeshare_usable())
			pd->nv_types |= PS_NV_KMT_TYPES;
		break;
	case PS_BACKEND_OPAQUE_FD:
		pd->khr_type = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
		pd->nv_types = PS_NV_FD_TYPES;
		break;
	case PS_BACKEND_NONE:
		pd->khr_type = 0;
		pd->nv_types = 0;
		break;
	}
}

#define PS_MAX_PHYSDEVS 64

/*
 * ps_physdev_get() - what the layer knows of @pd, gathered on first use.
 * Returns NULL when out of memory or past PS_MAX_PHYSDEVS devices.
 */
const struct ps_physdev *ps_physdev_get(struct ps_instance *inst,
					VkPhysicalDevice handle)
{
	struct ps_physdev *pd = NULL, *grown;

	pthread_mutex_lock(&inst->lock);
	for (uint32_t i = 0; i < inst->physdev_count; i++) {
		if (inst->physdevs[i].handle == handle) {
			pd = &inst->physdevs[i];
			goto out;
		}
	}
	/* Entries never move once handed out: the array is sized once. */
	if (!inst->physdevs) {
		inst->physdevs = calloc(PS_MAX_PHYSDEVS, sizeof(*inst->physdevs));
		if (!inst->physdevs)
			goto out;
	}
	if (inst->physdev_count >= PS_MAX_PHYSDEVS)
		goto out;
	grown = &inst->physdevs[inst->physdev_count];
	grown->handle = handle;
	ps_physdev_fill(inst, grown);
	inst->physdev_count++;
	pd = grown;
out:
	pthread_mutex_unlock(&inst->lock);
	return pd;
}

void ps_physdevs_free(struct ps_instance *inst)
{
	for (uint32_t i = 0; i < inst->physdev_count; i++)
		free(inst->physdevs[i].exts);
	free(inst->physdevs);
	inst->physdevs = NULL;
	inst->physdev_count = 0;
}
