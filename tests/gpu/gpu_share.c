// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * gpu_share: the layer on a real GPU, between two processes, verified and
 * timed.  The program uses VK_NV_external_memory_win32 only; the layer
 * VK_LAYER_PRIMESHARE_nv_external_memory maps it onto the driver (on
 * NVIDIA's driver: the opaque-fd backend).  tests/gpu/gpu-suite runs it.
 *
 *   gpu_share check [--cycles N] [--size WxH] [--vram]
 *	TAP.  The three NV extensions are absent without the layer and
 *	listed with it; the capability answers are the driver's own
 *	OPAQUE_FD answers for OPAQUE_WIN32, and the KMT types are offered
 *	exactly where LAYER_EXPECT_KMT=1 says so.  Then N cycles (default
 *	1000) of: A (this process) makes an image exportable as
 *	OPAQUE_WIN32 in device-local memory, fills it by a compute shader
 *	with the pattern of the cycle's seed, releases it to
 *	VK_QUEUE_FAMILY_EXTERNAL and sends the fd by SCM_RIGHTS to B (this
 *	program again, started by exec, with its own instance and device);
 *	B imports it into an identical image, acquires it, copies it into
 *	a host buffer and compares every pixel.  Neither process may leak a
 *	descriptor, a mapping or GPU memory from the warm-up cycles to the
 *	end, and the Khronos validation layer (below ours in both
 *	processes) must report nothing.  --vram: the memory type must be
 *	device-local and not host-visible (video memory).
 *
 *   gpu_share bench [--runs N] [--size WxH] [--vram]
 *	No validation layer.  N times each, alternately: the share path
 *	(export, fd transfer, import, bind, first read of the whole image by
 *	a compute pass in B) and the copy path (A reads the image back into
 *	host memory, copies it into shared memory, B copies it into its
 *	staging buffer, makes its own image, uploads, first read).  Both
 *	start with A's image filled and end when B's first read is done;
 *	B verifies every pixel after each run, outside the time.  Then the
 *	read bandwidth of one compute pass over the same memory in A (the
 *	exporter) and in B (the importer), with the GPU's caches flushed by
 *	a large buffer fill before each pass, and over an image of B's own
 *	for reference.  Each run also makes the same share by hand, with
 *	KHR opaque-fd calls on a second instance and device in each process
 *	that have no layer at all, alternating with the layer's share; the
 *	import in B is timed step by step (image, import, bind, view) on both.
 *	Prints medians and the ratios.
 *
 *   gpu_share probe
 *	prints the devices an instance without layers finds (the names);
 *	exit status 0 when there is one.  tests/gpu/gpu-suite uses it to find a
 *	driver manifest that works.
 *
 * The size defaults to 1024x1024 for check and 3840x2160 for bench.
 * Exit status: 0 when everything passed, 1 otherwise, 2 for usage errors.
 */
#include "gpu_share.h"

const char *const caps_ext[1] = {
	VK_NV_EXTERNAL_MEMORY_CAPABILITIES_EXTENSION_NAME,
};

/* --- probe ------------------------------------------------------------ */

/* The devices a plain instance (no layers) finds; 0 if there is one. */
static int cmd_probe(void)
{
	VkApplicationInfo app = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = "gpu_share probe",
		.apiVersion = VK_API_VERSION_1_1,
	};
	VkInstanceCreateInfo ci = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pApplicationInfo = &app,
	};
	VkPhysicalDevice pd[8];
	VkPhysicalDeviceProperties p;
	uint32_t n = TU_ARRAY_SIZE(pd);
	VkInstance inst;
	VkResult res;

	unsetenv("VK_INSTANCE_LAYERS");
	res = vkCreateInstance(&ci, NULL, &inst);
	if (res != VK_SUCCESS) {
		fprintf(stderr, "gpu_share: probe: vkCreateInstance: VkResult %d\n",
			res);
		return 1;
	}
	res = vkEnumeratePhysicalDevices(inst, &n, pd);
	if (res < 0)
		n = 0;
	for (uint32_t i = 0; i < n; i++) {
		vkGetPhysicalDeviceProperties(pd[i], &p);
		printf("%s\n", p.deviceName);
	}
	vkDestroyInstance(inst, NULL);
	return n ? 0 : 1;
}

/* --- main ------------------------------------------------------------- */

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
		"usage: gpu_share check [--cycles N] [--size WxH] [--vram]\n"
		"       gpu_share bench [--runs N] [--size WxH] [--vram]\n"
		"       gpu_share probe\n");
	exit(2);
}

static uint32_t number(const char *s, uint32_t lo, uint32_t hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "gpu_share: %s: not a number from %u to %u\n",
			s, lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct gs g = { .type = UINT32_MAX };
	bool bench;
	uint32_t count;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && (!strcmp(argv[1], "importer") ||
			  !strcmp(argv[1], "bench-importer")))
		return importer(number(argv[2], 0, 1 << 20),
				!strcmp(argv[1], "bench-importer"));
	if (argc == 2 && !strcmp(argv[1], "probe"))
		return cmd_probe();
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "check"))
		bench = false;
	else if (!strcmp(argv[1], "bench"))
		bench = true;
	else
		usage();
	count = bench ? 30 : 1000;
	g.width = bench ? 3840 : 1024;
	g.height = bench ? 2160 : 1024;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--vram")) {
			g.vram = true;
		} else if (i + 1 < argc &&
			   !strcmp(argv[i], bench ? "--runs" : "--cycles")) {
			count = number(argv[++i], 1,
				       bench ? MAX_RUNS : 10000000);
		} else if (i + 1 < argc && !strcmp(argv[i], "--size")) {
			char *x = strchr(argv[++i], 'x');

			if (!x)
				usage();
			*x = 0;
			g.width = number(argv[i], 1, 16384);
			g.height = number(x + 1, 1, 16384);
		} else {
			usage();
		}
	}
	return bench ? cmd_bench(argv[0], &g, count) :
		       cmd_check(argv[0], &g, count);
}
