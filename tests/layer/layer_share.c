/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * Two processes share an image through each of the four NV handle types.
 *
 * This program is the importer (B).  For each handle type it starts an
 * exporter (A) that is not its child: a child of B forks A and exits at
 * once, and A runs this program again (exec) with --export TYPE.  A makes
 * an image with VkExternalMemoryImageCreateInfoNV, fills it by GPU commands
 * (a clear, then a copy of a gradient into part of it), releases it to the
 * external queue family in VK_IMAGE_LAYOUT_GENERAL and hands the memory
 * over a Unix socket: file descriptors by SCM_RIGHTS for OPAQUE_WIN32 and
 * D3D11_IMAGE, the bare 64-bit number for the KMT types.
 *
 *   fd types   B waits until A has exited, then imports both descriptors,
 *              each into its own image, and compares every pixel: an fd
 *              outlives its exporter.
 *   KMT types  B imports the handle twice while A lives and compares every
 *              pixel of both; for D3D11_IMAGE_KMT an image that does not
 *              match the exporter's is refused, at allocation (dedicated)
 *              and at binding.  Then A exits and a third import is refused
 *              with VK_ERROR_INVALID_EXTERNAL_HANDLE: an owned handle ends
 *              with its process.  B also looks at the handles through
 *              libprimeshare: their mode (A exports D3D11_IMAGE_KMT with
 *              PRIMESHARE_LAYER_MODE=0440) and metadata.
 *
 * Every received descriptor must be what the backend makes: a dma-buf on
 * dma-buf and prime, not one on opaque-fd.  The KMT types are tested where
 * LAYER_EXPECT_KMT=1 says they must work, and must be unsupported elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "primeshare.h"
#include "tap.h"
#include "vkt.h"

#define W 96
#define H 80

#define KMT_TYPES (VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV | \
		   VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV)

struct share_msg {
	int32_t status;		/* 0: the memory follows */
	uint32_t pid;
	uint64_t size;
	uint32_t memory_type;
	uint32_t same_handle;	/* KMT: the second request gave the same */
	uint64_t handle;	/* KMT: the global handle */
	uint32_t validation_errors;
	uint32_t pad;
};

static const char *const caps[] = {
	VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
};
static const char *const exts[] = {
	VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
	VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
};

static const struct {
	VkExternalMemoryHandleTypeFlagsNV type;
	const char *name;
} handle_types[] = {
	{ VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV, "OPAQUE_WIN32" },
	{ VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV, "OPAQUE_WIN32_KMT" },
	{ VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_BIT_NV, "D3D11_IMAGE" },
	{ VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV, "D3D11_IMAGE_KMT" },
};

static VkImage make_image(struct vkt *t, VkExternalMemoryHandleTypeFlagsNV type,
			  uint32_t width)
{
	return vkt_nv_image(t, type, width, H, VK_IMAGE_USAGE_TRANSFER_SRC_BIT |
			    VK_IMAGE_USAGE_TRANSFER_DST_BIT);
}

/* Process A ------------------------------------------------------------ */

/*
 * Export through @type, send, wait for B's word, exit.  The memory is not
 * freed: the process ends with it, as a crashing exporter would.
 */
static int exporter(int sock, VkExternalMemoryHandleTypeFlagsNV type)
{
	VkExportMemoryAllocateInfoNV exp = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV,
		.handleTypes = type,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &exp,
	};
	PFN_vkGetMemoryWin32HandleNV get_handle;
	struct share_msg msg = { .status = -1, .pid = (uint32_t)getpid() };
	VkMemoryRequirements mr;
	VkDeviceMemory mem;
	struct vkt t;
	VkImage image;
	HANDLE h[2];
	int fds[2], nfds = 0;
	char go;

	vkt_layers(true);
	if (vkt_instance(&t, VK_API_VERSION_1_1, caps, 1) != VK_SUCCESS ||
	    vkt_device(&t, exts, 2) != VK_SUCCESS)
		goto fail;
	get_handle = (PFN_vkGetMemoryWin32HandleNV)
		vkGetDeviceProcAddr(t.device, "vkGetMemoryWin32HandleNV");
	image = make_image(&t, type, W);
	if (!get_handle || !image)
		goto fail;
	vkGetImageMemoryRequirements(t.device, image, &mr);
	mai.allocationSize = mr.size;
	mai.memoryTypeIndex = vkt_memory_type(&t, mr.memoryTypeBits, 0);
	if (vkAllocateMemory(t.device, &mai, NULL, &mem) != VK_SUCCESS ||
	    vkBindImageMemory(t.device, image, mem, 0) != VK_SUCCESS)
		goto fail;
	vkt_draw_picture(&t, image);

	for (int i = 0; i < 2; i++)
		if (get_handle(t.device, mem, type, &h[i]) != VK_SUCCESS)
			goto fail;
	if (type & KMT_TYPES) {
		msg.handle = PRIMESHARE_GLOBAL_FROM_HANDLE(h[0]);
		msg.same_handle = h[0] == h[1];
	} else {
		fds[0] = PRIMESHARE_FD_FROM_HANDLE(h[0]);
		fds[1] = PRIMESHARE_FD_FROM_HANDLE(h[1]);
		nfds = 2;
	}
	msg.size = mai.allocationSize;
	msg.memory_type = mai.memoryTypeIndex;
	msg.validation_errors = vkt_validation_errors;
	msg.status = 0;
	if (tu_send(sock, &msg, sizeof(msg), fds, nfds))
		return 2;
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	/* B's word to go; or B went away. */
	if (read(sock, &go, 1) < 0)
		return 3;
	return 0;

fail:
	tu_send(sock, &msg, sizeof(msg), NULL, 0);
	return 1;
}

/* Process B ------------------------------------------------------------ */

static const char *self_exe;

/* Start A for @type, not as a child of this process; its socket end. */
static int start_exporter(VkExternalMemoryHandleTypeFlagsNV type)
{
	int sock, status;
	pid_t pid;

	pid = tu_fork_socket(&sock);
	if (pid < 0)
		tap_bail("socketpair or fork");
	if (!pid) {
		char arg_type[16], arg_fd[16];

		if (fork())
			_exit(0);
		/* A: a grandchild, adopted by init once its parent is gone. */
		fcntl(sock, F_SETFD, 0);
		snprintf(arg_type, sizeof(arg_type), "%u", type);
		snprintf(arg_fd, sizeof(arg_fd), "%d", sock);
		if (type == VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV)
			setenv("PRIMESHARE_LAYER_MODE", "0440", 1);
		execl(self_exe, self_exe, "--export", arg_type, arg_fd,
		      (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return sock;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	int ppid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f)) {
		p = strrchr(buf, ')');
		if (p)
			sscanf(p + 1, " %*c %d", &ppid);
	}
	fclose(f);
	return ppid;
}

/* Wait until process @pidfd has exited; false on timeout. */
static bool wait_exit(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	if (pidfd < 0)
		return true;	/* already gone when asked */
	return poll(&p, 1, 60000) == 1;
}

struct import {
	VkImage image;
	VkDeviceMemory memory;
};

/*
 * Import @h of @type into memory dedicated to @dedicated (or not), bound
 * to a new image of the exporter's size.  The VkResult of the allocation.
 */
static VkResult import(struct vkt *t, const struct share_msg *msg,
		       VkExternalMemoryHandleTypeFlagsNV type, HANDLE h,
		       VkImage dedicated, struct import *out)
{
	VkMemoryDedicatedAllocateInfo ded = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
		.image = dedicated,
	};
	VkImportMemoryWin32HandleInfoNV imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.pNext = dedicated ? &ded : NULL,
		.handleType = type,
		.handle = h,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &imp,
		.allocationSize = msg->size,
		.memoryTypeIndex = msg->memory_type,
	};

	out->memory = VK_NULL_HANDLE;
	return vkAllocateMemory(t->device, &mai, NULL, &out->memory);
}

static void release(struct vkt *t, struct import *im)
{
	if (im->image)
		vkDestroyImage(t->device, im->image, NULL);
	if (im->memory)
		vkFreeMemory(t->device, im->memory, NULL);
	im->image = VK_NULL_HANDLE;
	im->memory = VK_NULL_HANDLE;
}

/* Bind, compare, report; the import is released. */
static void check_pixels(struct vkt *t, struct import *im, const char *what)
{
	VkResult res = vkBindImageMemory(t->device, im->image, im->memory, 0);
	int wrong = -1;

	if (res == VK_SUCCESS)
		wrong = vkt_picture_mismatches(t, im->image, W, H, what);

	tap_ok(res == VK_SUCCESS && wrong == 0,
	       "%s: every pixel as the exporter drew it (bind %d, %d of %d wrong)",
	       what, res, wrong, W * H);
	release(t, im);
}

/* What the received descriptor is must match the backend. */
static void check_fd_kind(int fd, const char *name)
{
	const char *backend = vkt_expected_backend();
	char kind[64];

	vkt_fd_kind(fd, kind, sizeof(kind));
	if (!strcmp(backend, "opaque-fd"))
		tap_ok(!*kind, "%s: the descriptor is the driver's opaque fd, not a dma-buf (%s)",
		       name, *kind ? kind : "no exp_name");
	else if (!strcmp(backend, "prime"))
		tap_ok(*kind && strcmp(kind, "udmabuf"),
		       "%s: the descriptor is a DRM PRIME dma-buf (exporter %s)",
		       name, *kind ? kind : "none");
	else
		tap_ok(*kind, "%s: the descriptor is a dma-buf of the driver (exporter %s)",
		       name, *kind ? kind : "none");
}

static void share_fd(struct vkt *t, int sock, int pidfd,
		     const struct share_msg *msg, int *fds, int nfds,
		     VkExternalMemoryHandleTypeFlagsNV type, const char *name)
{
	char what[96];
	struct import im;
	VkResult res;

	tap_ok(nfds == 2, "%s: two descriptors came over SCM_RIGHTS (%d)",
	       name, nfds);
	if (nfds != 2)
		return;
	check_fd_kind(fds[0], name);
	/* Let A go, and import only once it is gone. */
	if (write(sock, "g", 1) != 1 || !wait_exit(pidfd))
		tap_diag("%s: the exporter did not go", name);
	for (int i = 0; i < 2; i++) {
		snprintf(what, sizeof(what), "%s: import %d, after the exporter exited",
			 name, i + 1);
		im.image = make_image(t, type, W);
		res = import(t, msg, type, PRIMESHARE_HANDLE_FROM_FD(fds[i]),
			     VK_NULL_HANDLE, &im);
		tap_ok(res == VK_SUCCESS && fcntl(fds[i], F_GETFD) < 0,
		       "%s: imported, the layer took the descriptor (%d)",
		       what, res);
		if (res != VK_SUCCESS) {
			close(fds[i]);
			release(t, &im);
			continue;
		}
		check_pixels(t, &im, what);
	}
}

static void query_handle(struct primeshare *ps, uint64_t handle,
			 unsigned int mode, size_t metadata, pid_t pid,
			 const char *name)
{
	struct primeshare_desc *d;
	int ret = ps ? primeshare_query(ps, handle, &d) : -ENODEV;

	if (ret) {
		tap_ok(false, "%s: primeshare_query of the handle: %s", name,
		       strerror(-ret));
		return;
	}
	tap_ok(primeshare_desc_mode(d) == mode &&
	       primeshare_desc_lifetime(d) == PRIMESHARE_LIFETIME_OWNED &&
	       primeshare_desc_metadata_size(d) == metadata &&
	       primeshare_desc_exporter_pid(d) == pid,
	       "%s: the handle is owned by the exporter, mode %04o, %zu bytes of metadata (%04o, lifetime %d, %zu bytes, pid %d)",
	       name, mode, metadata, primeshare_desc_mode(d),
	       primeshare_desc_lifetime(d), primeshare_desc_metadata_size(d),
	       (int)primeshare_desc_exporter_pid(d));
	primeshare_desc_free(d);
}

static void share_kmt(struct vkt *t, int sock, int pidfd,
		      const struct share_msg *msg,
		      VkExternalMemoryHandleTypeFlagsNV type, const char *name)
{
	bool d3d11 = type == VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV;
	HANDLE h = PRIMESHARE_HANDLE_FROM_GLOBAL(msg->handle);
	struct primeshare *ps = NULL;
	struct import im, wrong;
	char what[96];
	VkResult res;

	tap_ok(msg->handle && msg->same_handle,
	       "%s: a handle, the same on each request (0x%016llx)", name,
	       (unsigned long long)msg->handle);
	primeshare_open(&ps);
	query_handle(ps, msg->handle, d3d11 ? 0440 : 0400, d3d11 ? 272 : 0,
		     (pid_t)msg->pid, name);
	primeshare_close(ps);

	/* The first import: dedicated to its image. */
	snprintf(what, sizeof(what), "%s: first import (dedicated)", name);
	im.image = make_image(t, type, W);
	res = import(t, msg, type, h, im.image, &im);
	tap_ok(res == VK_SUCCESS, "%s, while the exporter lives (%d)", what, res);
	if (res == VK_SUCCESS)
		check_pixels(t, &im, what);
	else
		release(t, &im);

	if (d3d11) {
		/* An image of another size is not the exporter's. */
		wrong.image = make_image(t, type, W / 2);
		res = import(t, msg, type, h, wrong.image, &wrong);
		tap_ok(res == VK_ERROR_INVALID_EXTERNAL_HANDLE,
		       "%s: memory dedicated to an image of another width refused (%d)",
		       name, res);
		release(t, &wrong);
	}

	/* The second import: bound afterwards (refused to a wrong image). */
	snprintf(what, sizeof(what), "%s: second import", name);
	im.image = make_image(t, type, W);
	res = import(t, msg, type, h, VK_NULL_HANDLE, &im);
	tap_ok(res == VK_SUCCESS, "%s (%d)", what, res);
	if (res == VK_SUCCESS && d3d11) {
		VkBindImageMemoryInfo bind = {
			.sType = VK_STRUCTURE_TYPE_BIND_IMAGE_MEMORY_INFO,
			.memory = im.memory,
		};

		wrong.image = make_image(t, type, W / 2);
		bind.image = wrong.image;
		res = vkBindImageMemory2(t->device, 1, &bind);
		tap_ok(res == VK_ERROR_VALIDATION_FAILED_EXT,
		       "%s: binding an image of another width refused (vkBindImageMemory2: %d)",
		       name, res);
		vkDestroyImage(t->device, wrong.image, NULL);
	}
	if (res == VK_SUCCESS || d3d11)
		check_pixels(t, &im, what);
	else
		release(t, &im);

	/* A goes, and its handle with it. */
	if (write(sock, "g", 1) != 1 || !wait_exit(pidfd))
		tap_diag("%s: the exporter did not go", name);
	im.image = make_image(t, type, W);
	res = import(t, msg, type, h, VK_NULL_HANDLE, &im);
	tap_ok(res == VK_ERROR_INVALID_EXTERNAL_HANDLE,
	       "%s: import after the exporter exited refused: the owned handle ended with it (%d)",
	       name, res);
	release(t, &im);
}

static void share(struct vkt *t, VkExternalMemoryHandleTypeFlagsNV type,
		  const char *name)
{
	struct share_msg msg;
	int sock, n, fds[2] = { -1, -1 }, pidfd;
	pid_t ppid;

	sock = start_exporter(type);
	n = tu_recv(sock, &msg, sizeof(msg), fds, 2);
	tap_ok(n >= 0 && msg.status == 0 && !msg.validation_errors,
	       "%s: the exporter filled, exported and sent its memory, with no validation errors (%d, status %d, %u errors)",
	       name, n, n >= 0 ? msg.status : -1,
	       n >= 0 ? msg.validation_errors : 0);
	if (n < 0 || msg.status) {
		close(sock);
		return;
	}
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)msg.pid, 0);
	ppid = parent_of((pid_t)msg.pid);
	tap_ok(ppid > 0 && ppid != getpid(),
	       "%s: the exporter (pid %u) is not a child of the importer (its parent: %d)",
	       name, msg.pid, (int)ppid);
	if (type & KMT_TYPES)
		share_kmt(t, sock, pidfd, &msg, type, name);
	else
		share_fd(t, sock, pidfd, &msg, fds, n, type, name);
	if (pidfd >= 0)
		close(pidfd);
	close(sock);
}

int main(int argc, char **argv)
{
	bool kmt = vkt_expect_kmt() &&
		   strcmp(vkt_expected_backend(), "opaque-fd");
	int fds_before, fds_after;
	struct vkt t;

	if (argc == 4 && !strcmp(argv[1], "--export")) {
		/* A speaks no TAP: its stdout is not the plan's. */
		if (!freopen("/dev/null", "w", stdout))
			return 4;
		return exporter(atoi(argv[3]), (uint32_t)strtoul(argv[2], NULL, 10));
	}
	self_exe = "/proc/self/exe";

	vkt_layers(true);
	vkt_check_backend();
	if (vkt_instance(&t, VK_API_VERSION_1_1, caps, 1) != VK_SUCCESS ||
	    vkt_device(&t, exts, 2) != VK_SUCCESS)
		tap_bail("the importing side has no device");
	vkt_validation_selftest(&t);
	fds_before = tu_fd_count();
	for (size_t i = 0; i < TU_ARRAY_SIZE(handle_types); i++) {
		if ((handle_types[i].type & KMT_TYPES) && !kmt) {
			tap_skip("no KMT types here (no /dev/primeshare or backend opaque-fd)",
				 "%s: two-process round trip", handle_types[i].name);
			continue;
		}
		share(&t, handle_types[i].type, handle_types[i].name);
	}
	fds_after = tu_fd_count();
	tap_ok(fds_after == fds_before,
	       "the importer has no descriptor left (%d before, %d after)",
	       fds_before, fds_after);
	vkt_destroy(&t);
	vkt_check_validation("two-process round trips (importer)");
	return tap_done();
}
