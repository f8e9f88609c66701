/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * The prime backend and the DRM node it uses (in the VM on kernel 6.1,
 * where it is the expected backend; skipped elsewhere).
 *
 * The first process to open a primary node without a master becomes its
 * master; the layer must give that up at once.  With a device made and
 * memory exported (the layer's node open), this program opens vgem's
 * primary node itself: it becomes master only if nobody holds the role,
 * the layer included.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "tap.h"
#include "vkt.h"

/* vgem's primary node, opened, or -1. */
static int open_vgem(char *path, size_t size)
{
	DIR *d = opendir("/dev/dri");
	struct dirent *e;
	int fd = -1;

	while (d && fd < 0 && (e = readdir(d))) {
		drmVersionPtr v;

		if (strncmp(e->d_name, "card", 4))
			continue;
		snprintf(path, size, "/dev/dri/%s", e->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (!v || !v->name || strcmp(v->name, "vgem")) {
			close(fd);
			fd = -1;
		}
		drmFreeVersion(v);
	}
	if (d)
		closedir(d);
	return fd;
}

int main(void)
{
	static const char *const exts[] = {
		VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
		VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
	};
	VkExportMemoryAllocateInfoNV exp = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &exp,
		.allocationSize = 65536,
	};
	VkDeviceMemory mem = VK_NULL_HANDLE;
	char path[300];
	struct vkt t;
	VkResult res;
	int fd;

	if (strcmp(vkt_expected_backend(), "prime")) {
		printf("1..0 # SKIP the prime backend is not the one expected here (%s)\n",
		       vkt_expected_backend());
		return 0;
	}
	vkt_layers(true);
	res = vkt_nv_open(&t, VK_API_VERSION_1_1, exts, 2);
	if (res != VK_SUCCESS)
		tap_bail("instance and device with the NV extensions: %d", res);
	mai.memoryTypeIndex = vkt_memory_type(&t, ~0u, 0);
	res = vkAllocateMemory(t.device, &mai, NULL, &mem);
	tap_ok(res == VK_SUCCESS,
	       "prime: exportable memory, a dumb buffer of the layer's DRM node (%d)",
	       res);

	fd = open_vgem(path, sizeof(path));
	if (fd < 0)
		tap_bail("no vgem primary node in /dev/dri");
	tap_ok(drmIsMaster(fd),
	       "prime: with the layer's node open, %s opened here becomes DRM master: the layer holds no master role",
	       path);
	close(fd);

	vkFreeMemory(t.device, mem, NULL);
	vkt_destroy(&t);
	vkt_check_validation("the prime backend's node");
	return tap_done();
}
