/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Two processes share an image through VK_NV_external_memory_win32 with an
 * OPAQUE_WIN32 handle (a file descriptor under the layer).
 *
 * The child (A) creates an NV-exportable image, fills it by GPU commands
 * (a clear, then a copy of a gradient into part of it), releases it to the
 * external queue family in VK_IMAGE_LAYOUT_GENERAL, exports two handles and
 * passes them over a Unix socket (SCM_RIGHTS), then exits.  Only after it
 * has exited does the parent (B) import: both handles, each into its own
 * image, and compares every pixel of each with the expected pattern.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "vkt.h"

#define W 96
#define H 80

struct share_msg {
	uint64_t size;
	uint32_t memory_type;
	uint32_t width, height;
	int32_t status;		/* 0: the handles follow */
};

static const char *const caps[] = {
	VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
};
static const char *const exts[] = {
	VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
	VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
};

static VkImage make_image(struct vkt *t)
{
	return vkt_nv_image(t, VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
			    W, H, VK_IMAGE_USAGE_TRANSFER_SRC_BIT |
			    VK_IMAGE_USAGE_TRANSFER_DST_BIT);
}

/* Process A: fill, export, send, exit. */
static int exporter(int sock)
{
	VkExportMemoryAllocateInfoNV exp = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &exp,
	};
	PFN_vkGetMemoryWin32HandleNV get_handle;
	struct share_msg msg = { .status = -1 };
	VkMemoryRequirements mr;
	VkDeviceMemory mem;
	struct vkt t;
	VkImage image;
	HANDLE h[2];
	int fds[2];

	vkt_layers(true);
	if (vkt_instance(&t, VK_API_VERSION_1_1, caps, 1) != VK_SUCCESS ||
	    vkt_device(&t, exts, 2) != VK_SUCCESS)
		goto fail;
	get_handle = (PFN_vkGetMemoryWin32HandleNV)
		vkGetDeviceProcAddr(t.device, "vkGetMemoryWin32HandleNV");
	image = make_image(&t);
	if (!get_handle || !image)
		goto fail;
	vkGetImageMemoryRequirements(t.device, image, &mr);
	mai.allocationSize = mr.size;
	mai.memoryTypeIndex = vkt_memory_type(&t, mr.memoryTypeBits, 0);
	if (vkAllocateMemory(t.device, &mai, NULL, &mem) != VK_SUCCESS ||
	    vkBindImageMemory(t.device, image, mem, 0) != VK_SUCCESS)
		goto fail;

	if (vkt_draw_picture(&t, image) != VK_SUCCESS)
		goto fail;

	for (int i = 0; i < 2; i++) {
		if (get_handle(t.device, mem,
			       VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
			       &h[i]) != VK_SUCCESS)
			goto fail;
		fds[i] = PRIMESHARE_FD_FROM_HANDLE(h[i]);
	}
	msg.size = mai.allocationSize;
	msg.memory_type = mai.memoryTypeIndex;
	msg.width = W;
	msg.height = H;
	msg.status = 0;
	if (tu_send(sock, &msg, sizeof(msg), fds, 2))
		return 2;
	close(fds[0]);
	close(fds[1]);

	vkDestroyImage(t.device, image, NULL);
	vkFreeMemory(t.device, mem, NULL);
	vkt_destroy(&t);
	return vkt_validation_errors ? 3 : 0;

fail:
	tu_send(sock, &msg, sizeof(msg), NULL, 0);
	return 1;
}

/* Import @fd into a new image and count the pixels that differ. */
static int import_and_compare(struct vkt *t, const struct share_msg *msg,
			      int fd, const char *what)
{
	VkImportMemoryWin32HandleInfoNV imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV,
		.handle = PRIMESHARE_HANDLE_FROM_FD(fd),
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &imp,
		.allocationSize = msg->size,
		.memoryTypeIndex = msg->memory_type,
	};
	VkMemoryRequirements mr;
	VkDeviceMemory mem;
	VkImage image;
	int wrong;
	VkResult res;

	image = make_image(t);
	vkGetImageMemoryRequirements(t->device, image, &mr);
	tap_ok(mr.size == msg->size &&
	       (mr.memoryTypeBits & (1u << msg->memory_type)),
	       "%s: the importer's image needs the exporter's size and memory type",
	       what);
	res = vkAllocateMemory(t->device, &mai, NULL, &mem);
	tap_ok(res == VK_SUCCESS, "%s: VkImportMemoryWin32HandleInfoNV (%d)",
	       what, res);
	if (res != VK_SUCCESS) {
		close(fd);
		vkDestroyImage(t->device, image, NULL);
		return -1;
	}
	tap_ok(fcntl(fd, F_GETFD) < 0, "%s: the import took the descriptor",
	       what);
	vkBindImageMemory(t->device, image, mem, 0);

	wrong = vkt_picture_mismatches(t, image, W, H, what);
	tap_ok(!wrong, "%s: every pixel as the exporter drew it (%d of %d wrong)",
	       what, wrong, W * H);

	vkDestroyImage(t->device, image, NULL);
	vkFreeMemory(t->device, mem, NULL);
	return wrong;
}

int main(void)
{
	struct share_msg msg;
	struct vkt t;
	int sock, fds[2] = { -1, -1 }, n, status;
	pid_t pid;

	/* Fork before any Vulkan call: the two sides share nothing. */
	pid = tu_fork_socket(&sock);
	if (pid < 0)
		tap_bail("socketpair or fork");
	if (!pid) {
		/* The child speaks no TAP: its stdout is not the plan's. */
		if (!freopen("/dev/null", "w", stdout))
			_exit(4);
		_exit(exporter(sock));
	}

	n = tu_recv(sock, &msg, sizeof(msg), fds, 2);
	tap_ok(n == 2 && msg.status == 0,
	       "the exporting process sent two OPAQUE_WIN32 handles over SCM_RIGHTS (%d)",
	       n);
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "the exporting process finished cleanly, with no validation errors (status %d)",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	if (n != 2 || msg.status)
		return tap_done();

	vkt_layers(true);
	if (vkt_instance(&t, VK_API_VERSION_1_1, caps, 1) != VK_SUCCESS ||
	    vkt_device(&t, exts, 2) != VK_SUCCESS)
		tap_bail("the importing side has no device");
	import_and_compare(&t, &msg, fds[0], "first import, after the exporter exited");
	import_and_compare(&t, &msg, fds[1], "second import of the same memory");
	vkt_destroy(&t);
	vkt_check_validation("two-process round trip (importer)");
	return tap_done();
}
