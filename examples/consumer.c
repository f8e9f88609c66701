// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * A program built the way a user builds one: against the installed
 * header and library, with the flags pkg-config gives for primeshare.
 * Run in the VM (make vm-check), it prints TAP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <primeshare.h>
#include <xf86drm.h>
#include <drm_mode.h>

static int n, failed;

static void check(int ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++n, what);
	failed |= !ok;
}

/* The path of the loaded libprimeshare, from /proc/self/maps. */
static void library_path(char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		if (p && strstr(p, "libprimeshare.so")) {
			p[strcspn(p, "\n")] = '\0';
			snprintf(buf, size, "%s", p);
			break;
		}
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	struct primeshare *ps = NULL;
	uint64_t handle = 0, size = 0;
	char lib[512], text[PRIMESHARE_HANDLE_TEXT_SIZE];
	int memfd, fd;

	library_path(lib, sizeof(lib));
	printf("# library: %s\n", lib);
	check(argc < 2 || strncmp(lib, argv[1], strlen(argv[1])) == 0,
	      "the installed libprimeshare.so.1 is the one loaded");
	check(strcmp(primeshare_library_version(), "") != 0,
	      "primeshare_library_version");
	check(primeshare_open(&ps) == 0, "primeshare_open");
	if (!ps) {
		printf("1..%d\n", n);
		return 1;
	}
	/* A memfd is not a dma-buf: the module refuses it. */
	memfd = memfd_create("consumer", MFD_CLOEXEC);
	check(primeshare_export(ps, memfd, PRIMESHARE_LIFETIME_OWNED, 0400,
				NULL, 0, &handle) == -EINVAL,
	      "exporting a memfd fails with -EINVAL");
	close(memfd);

	fd = primeshare_drm_open("vgem", 0);
	check(fd >= 0, "primeshare_drm_open(\"vgem\")");
	if (fd >= 0)
		close(fd);
	/* Dumb buffers are made on the primary node, not a render node. */
	fd = drmOpenWithType("vgem", NULL, DRM_NODE_PRIMARY);
	check(fd >= 0, "libdrm opens vgem's primary node");
	if (fd >= 0) {
		struct primeshare *other;
		uint32_t gem = 0;

		check(primeshare_open(&other) == 0, "a second session");
		{
			struct drm_mode_create_dumb dumb = {
				.height = 1, .width = 4096, .bpp = 8,
			};

			check(drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB,
				       &dumb) == 0, "a vgem dumb buffer");
			gem = dumb.handle;
		}
		check(primeshare_drm_export(ps, fd, gem,
					    PRIMESHARE_LIFETIME_ONESHOT, 0400,
					    "md", 2, &handle) == 0,
		      "primeshare_drm_export");
		check(primeshare_handle_format(handle, text, sizeof(text)) ==
		      PRIMESHARE_HANDLE_TEXT_LEN, "primeshare_handle_format");
		printf("# handle %s\n", text);
		{
			char md[8];
			size_t md_size = sizeof(md);
			int dmabuf = primeshare_import(other, handle, 0, md,
						       &md_size, &size);

			check(dmabuf >= 0 && size == 4096 && md_size == 2 &&
			      !memcmp(md, "md", 2),
			      "primeshare_import in another session");
			if (dmabuf >= 0)
				close(dmabuf);
		}
		check(primeshare_import(other, handle, 0, NULL, NULL, NULL) ==
		      -ENOENT, "a oneshot handle is gone after one import");
		primeshare_close(other);
		close(fd);
	}
	primeshare_close(ps);
	printf("1..%d\n", n);
	return failed;
}
