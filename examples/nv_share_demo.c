// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * nv_share_demo: one image shared between two unrelated processes through
 * VK_NV_external_memory_win32 and a KMT handle, the way a program ported
 * from Windows does it.  The program uses the NV extensions only; the layer
 * VK_LAYER_PRIMESHARE_nv_external_memory maps them onto dma-bufs and the
 * KMT handle onto a primeshare global handle.
 *
 *   nv_share_demo render
 *	creates a 256x256 RGBA8 image exportable as OPAQUE_WIN32_KMT, draws
 *	the demo's picture into it by GPU commands (a clear of the whole
 *	image, then a copy of the figure from a buffer), leaves it in
 *	VK_IMAGE_LAYOUT_GENERAL released to VK_QUEUE_FAMILY_EXTERNAL, prints
 *	the handle ("handle: psh-...") and keeps the memory alive until its
 *	standard input ends or a signal comes: the handle is owned, so it
 *	ends with its exporter.
 *
 *   nv_share_demo receive HANDLE OUT.png
 *	imports HANDLE into an identical image, acquires it from the
 *	external queue family, copies it into a buffer, compares every pixel
 *	with the picture (drawn again here from the same rules), prints
 *	"verified N pixels" and the time from the start of the import to the
 *	end of the comparison, and writes what it received to OUT.png.
 *
 * Both print "key: value" lines on standard output for scripts/demo-guest.
 * Exit status: 0 on success, 1 on any failure (with a message on standard
 * error), 2 for usage errors.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "primeshare.h"
#include "primeshare_vulkan_nv.h"
#include "vkt.h"

/* The image and its picture. */
#define WIDTH		256u
#define HEIGHT		256u
#define FORMAT		VK_FORMAT_R8G8B8A8_UNORM
#define FORMAT_NAME	"VK_FORMAT_R8G8B8A8_UNORM"
#define HANDLE_TYPE	VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV
#define USAGE		(VK_IMAGE_USAGE_TRANSFER_SRC_BIT | \
			 VK_IMAGE_USAGE_TRANSFER_DST_BIT)

/* The figure, copied over the cleared image; the clear shows as a frame. */
#define FIG_X		16u
#define FIG_Y		16u
#define FIG_W		(WIDTH - 2 * FIG_X)
#define FIG_H		(HEIGHT - 2 * FIG_Y)

/* The letters "PS", 5x7 cells of CELL pixels each, centred. */
#define CELL		14u
#define GLYPH_W		5u
#define GLYPH_H		7u
#define TEXT_W		((2 * GLYPH_W + 1) * CELL)
#define TEXT_H		(GLYPH_H * CELL)
#define TEXT_X		((WIDTH - TEXT_W) / 2)
#define TEXT_Y		((HEIGHT - TEXT_H) / 2)

/* Rings around the centre, RING pixels wide, out to radius RINGS_R. */
#define RING		12u
#define RINGS_R		108u

struct rgba {
	uint8_t r, g, b, a;
};

/* The clear colour (a navy frame), as bytes and as the clear's floats. */
static const struct rgba frame_color = { 24, 40, 72, 255 };
static const struct rgba paper_color = { 240, 232, 216, 255 };
static const struct rgba letter_color = { 255, 255, 255, 255 };
static const struct rgba ring_colors[] = {
	{ 192, 32, 48, 255 },	/* crimson */
	{ 208, 96, 16, 255 },	/* orange */
	{ 176, 144, 0, 255 },	/* gold */
	{ 48, 144, 48, 255 },	/* green */
	{ 16, 128, 144, 255 },	/* teal */
	{ 32, 80, 176, 255 },	/* blue */
	{ 96, 48, 160, 255 },	/* violet */
	{ 160, 32, 128, 255 },	/* magenta */
	{ 64, 64, 64, 255 },	/* charcoal */
};

static const char *const glyphs[2][GLYPH_H] = {
	{ "#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    " },
	{ " ####", "#    ", "#    ", " ### ", "    #", "    #", "#### " },
};

static unsigned int isqrt(unsigned int v)
{
	unsigned int r = 0, bit = 1u << 30;

	while (bit > v)
		bit >>= 2;
	while (bit) {
		if (v >= r + bit) {
			v -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

static bool in_letter(unsigned int x, unsigned int y)
{
	unsigned int cx, cy, g;

	if (x < TEXT_X || x >= TEXT_X + TEXT_W ||
	    y < TEXT_Y || y >= TEXT_Y + TEXT_H)
		return false;
	cx = (x - TEXT_X) / CELL;
	cy = (y - TEXT_Y) / CELL;
	/* Each lit cell is a block with a 2-pixel gap to the next. */
	if ((x - TEXT_X) % CELL >= CELL - 2 || (y - TEXT_Y) % CELL >= CELL - 2)
		return false;
	if (cx == GLYPH_W)
		return false;	/* between the letters */
	g = cx > GLYPH_W;
	if (g)
		cx -= GLYPH_W + 1;
	return glyphs[g][cy][cx] == '#';
}

/* What pixel (x, y) of the shared image must be. */
static struct rgba expected(unsigned int x, unsigned int y)
{
	int dx = (int)x - (int)(WIDTH / 2), dy = (int)y - (int)(HEIGHT / 2);
	unsigned int d;

	if (x < FIG_X || x >= FIG_X + FIG_W || y < FIG_Y || y >= FIG_Y + FIG_H)
		return frame_color;
	if (in_letter(x, y))
		return letter_color;
	d = isqrt((unsigned int)(dx * dx + dy * dy));
	if (d >= RINGS_R)
		return paper_color;
	return ring_colors[d / RING % TU_ARRAY_SIZE(ring_colors)];
}

/* ------------------------------------------------------------------ */

/*
 * What a process holds: the instance, device, queue and command pool
 * (struct vkt, the Vulkan helpers the tests, examples and benchmarks
 * share: tests/common/vkt.h), and the shared image.
 */
struct demo {
	struct vkt vk;
	PFN_vkGetMemoryWin32HandleNV get_handle;
	VkImageTiling tiling;
	bool dedicated;		/* DEDICATED_ONLY */
	bool nv_dedicated_ext;	/* VK_NV_dedicated_allocation enabled */
	VkImage image;
	VkDeviceMemory memory;
	VkDeviceSize size;
	uint32_t memory_type;
};

static const char *prog = "nv_share_demo";

static double now_ms(void)
{
	return tu_now_ns() / 1e6;
}

static const char *tiling_name(VkImageTiling tiling)
{
	return tiling == VK_IMAGE_TILING_LINEAR ? "linear" : "optimal";
}

/*
 * The tiling to use: the first of optimal and linear in which an RGBA8
 * image can be both exported and imported as OPAQUE_WIN32_KMT
 * (vkGetPhysicalDeviceExternalImageFormatPropertiesNV).  The exporter and
 * the importer ask the same question, so they agree.
 */
static void choose_tiling(struct demo *d)
{
	static const VkImageTiling tilings[] = {
		VK_IMAGE_TILING_OPTIMAL, VK_IMAGE_TILING_LINEAR,
	};
	struct vkt_share_want want = {
		.format = FORMAT,
		.usage = USAGE,
		.type = HANDLE_TYPE,
		.width = WIDTH,
		.height = HEIGHT,
	};
	VkExternalImageFormatPropertiesNV p;
	char why[2][96];

	for (size_t i = 0; i < TU_ARRAY_SIZE(tilings); i++) {
		want.tiling = tilings[i];
		if (!vkt_nv_shareable(d->vk.instance, d->vk.pd, &want, &p,
				      why[i], sizeof(why[i])))
			continue;
		d->tiling = tilings[i];
		d->dedicated = p.externalMemoryFeatures &
			       VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT_NV;
		return;
	}
	tu_die("a %ux%u %s image cannot be shared as OPAQUE_WIN32_KMT here (optimal tiling: %s; linear tiling: %s).  The KMT types need /dev/primeshare (primeshare.ko) and a backend whose memory is a dma-buf; PRIMESHARE_LAYER_DEBUG=1 shows the layer's reasons",
	       WIDTH, HEIGHT, FORMAT_NAME, why[0], why[1]);
}

static void create_device(struct demo *d)
{
	const char *exts[3] = {
		VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
		VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
	};
	uint32_t n = 2;
	VkResult res;

	/*
	 * Memory that must be dedicated takes VkDedicatedAllocation*NV, the
	 * NV way; they belong to VK_NV_dedicated_allocation where the driver
	 * has it, and the layer rewrites them where it does not.
	 */
	if (d->dedicated &&
	    vkt_device_has(d->vk.pd, NULL,
			   VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME)) {
		exts[n++] = VK_NV_DEDICATED_ALLOCATION_EXTENSION_NAME;
		d->nv_dedicated_ext = true;
	}
	res = vkt_device(&d->vk, exts, n);
	if (res == VK_ERROR_EXTENSION_NOT_PRESENT)
		tu_die("the device offers no %s and %s: is the layer %s enabled?",
		       exts[0], exts[1], PRIMESHARE_VULKAN_LAYER_NAME);
	if (res != VK_SUCCESS)
		tu_die("creating the device: %s (%d)", vkt_result_name(res),
		       res);
	d->get_handle = (PFN_vkGetMemoryWin32HandleNV)
		vkGetDeviceProcAddr(d->vk.device, "vkGetMemoryWin32HandleNV");
	if (!d->get_handle)
		tu_die("vkGetMemoryWin32HandleNV is missing");
}

/*
 * The shared image and its memory: exported (@handle 0) or imported from
 * @handle.  Both sides make the same image and pick the memory type the
 * same way, so the importer's allocation matches the exporter's.
 */
static void create_shared_image(struct demo *d, HANDLE handle)
{
	VkDedicatedAllocationImageCreateInfoNV ded_image = {
		.sType = VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_IMAGE_CREATE_INFO_NV,
		.dedicatedAllocation = VK_TRUE,
	};
	VkExternalMemoryImageCreateInfoNV ext = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV,
		.pNext = d->nv_dedicated_ext ? &ded_image : NULL,
		.handleTypes = HANDLE_TYPE,
	};
	VkImageCreateInfo ici = vkt_image_info(WIDTH, HEIGHT, d->tiling, &ext);
	VkDedicatedAllocationMemoryAllocateInfoNV ded = {
		.sType = VK_STRUCTURE_TYPE_DEDICATED_ALLOCATION_MEMORY_ALLOCATE_INFO_NV,
	};
	VkExportMemoryAllocateInfoNV exp = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO_NV,
		.handleTypes = HANDLE_TYPE,
	};
	VkImportMemoryWin32HandleInfoNV imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_WIN32_HANDLE_INFO_NV,
		.handleType = HANDLE_TYPE,
		.handle = handle,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
	};
	static const char gone[] =
		": no such handle (has its exporter gone?), or this user may not import it";
	static const char no_dedicated[] =
		" (the memory must be dedicated: does the layer take VkDedicatedAllocationMemoryAllocateInfoNV?)";
	VkDevice dev = d->vk.device;
	VkMemoryRequirements mr;
	VkResult res;

	ici.format = FORMAT;
	ici.usage = USAGE;
	VKT_CHECK(vkCreateImage(dev, &ici, NULL, &d->image));
	vkGetImageMemoryRequirements(dev, d->image, &mr);
	d->size = mr.size;
	d->memory_type = vkt_memory_type(&d->vk, mr.memoryTypeBits, 0);
	if (d->memory_type == UINT32_MAX)
		tu_die("the image allows no memory type (memoryTypeBits 0x%x)",
		       mr.memoryTypeBits);
	mai.allocationSize = mr.size;
	mai.memoryTypeIndex = d->memory_type;
	mai.pNext = handle ? (void *)&imp : (void *)&exp;
	if (d->dedicated) {
		ded.image = d->image;
		if (handle)
			imp.pNext = &ded;
		else
			exp.pNext = &ded;
	}
	res = vkAllocateMemory(dev, &mai, NULL, &d->memory);
	if (res != VK_SUCCESS && handle)
		tu_die("importing the handle failed: %s (%d)%s",
		       vkt_result_name(res), res,
		       res == VK_ERROR_INVALID_EXTERNAL_HANDLE ? gone : "");
	if (res != VK_SUCCESS)
		tu_die("allocating exportable memory failed: %s (%d)%s",
		       vkt_result_name(res), res,
		       d->dedicated ? no_dedicated : "");
	VKT_CHECK(vkBindImageMemory(dev, d->image, d->memory, 0));
}

static void destroy(struct demo *d)
{
	if (d->vk.device) {
		vkDeviceWaitIdle(d->vk.device);
		if (d->image)
			vkDestroyImage(d->vk.device, d->image, NULL);
		if (d->memory)
			vkFreeMemory(d->vk.device, d->memory, NULL);
	}
	vkt_destroy(&d->vk);
}

static void setup(struct demo *d, const char *mode)
{
	printf("%s: pid %d, parent %d, session %d\n", mode, (int)getpid(),
	       (int)getppid(), (int)getsid(0));
	vkt_nv_program(&d->vk, prog);
	choose_tiling(d);
	create_device(d);
}

/* render ------------------------------------------------------------ */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/*
 * Clear the whole image to the frame colour, copy the figure over its
 * middle, and hand the image over: VK_IMAGE_LAYOUT_GENERAL, released to
 * VK_QUEUE_FAMILY_EXTERNAL.
 */
static void render(struct demo *d)
{
	const float clear[4] = {
		frame_color.r / 255.0f, frame_color.g / 255.0f,
		frame_color.b / 255.0f, frame_color.a / 255.0f,
	};
	const VkOffset2D at = { FIG_X, FIG_Y };
	const VkExtent2D size = { FIG_W, FIG_H };
	struct rgba *src = calloc(FIG_W * FIG_H, sizeof(*src));
	double t0 = now_ms();

	if (!src)
		tu_die("out of memory");
	for (uint32_t y = 0; y < FIG_H; y++)
		for (uint32_t x = 0; x < FIG_W; x++)
			src[y * FIG_W + x] = expected(FIG_X + x, FIG_Y + y);
	VKT_CHECK(vkt_upload(&d->vk, d->image, clear, src, at, size));
	free(src);
	printf("rendered: clear + copy of the figure in %.1f ms; left in VK_IMAGE_LAYOUT_GENERAL, released to VK_QUEUE_FAMILY_EXTERNAL\n",
	       now_ms() - t0);
}

static int cmd_render(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char text[PRIMESHARE_HANDLE_TEXT_SIZE];
	struct demo d = { 0 };
	HANDLE h = NULL;
	char buf[256];
	VkResult res;

	/* No SA_RESTART: a signal ends the read() below. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	setup(&d, "render");
	create_shared_image(&d, NULL);
	printf("image: %ux%u %s, %s tiling, %" PRIu64 " bytes of memory%s, exportable as OPAQUE_WIN32_KMT\n",
	       WIDTH, HEIGHT, FORMAT_NAME, tiling_name(d.tiling),
	       (uint64_t)d.size, d.dedicated ? " (dedicated)" : "");
	render(&d);

	res = d.get_handle(d.vk.device, d.memory, HANDLE_TYPE, &h);
	if (res != VK_SUCCESS)
		tu_die("vkGetMemoryWin32HandleNV(OPAQUE_WIN32_KMT): %s (%d)",
		       vkt_result_name(res), res);
	if (primeshare_handle_format(PRIMESHARE_GLOBAL_FROM_HANDLE(h), text,
				     sizeof(text)) < 0)
		tu_die("vkGetMemoryWin32HandleNV gave handle %p, not a primeshare handle",
		       h);
	printf("handle: %s\n", text);
	printf("waiting: the handle lives until this process ends (end of standard input or a signal)\n");
	fflush(stdout);

	while (!stop_signal) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	destroy(&d);
	if (stop_signal)
		printf("render: stopped by signal %d, handle %s released\n",
		       (int)stop_signal, text);
	else
		printf("render: standard input ended, handle %s released\n",
		       text);
	return 0;
}

/* receive ----------------------------------------------------------- */

static int cmd_receive(const char *text, const char *out)
{
	struct rgba *px = calloc(WIDTH * HEIGHT, sizeof(*px));
	struct demo d = { 0 };
	unsigned long wrong = 0;
	uint64_t handle;
	double t0, t1;

	if (!px)
		tu_die("out of memory");
	if (primeshare_handle_parse(text, &handle))
		tu_die("'%s' is not a primeshare handle (psh- and 16 hex digits)",
		       text);
	setup(&d, "receive");

	t0 = now_ms();
	create_shared_image(&d, PRIMESHARE_HANDLE_FROM_GLOBAL(handle));
	printf("imported: %s into a %ux%u %s image, %s tiling, %" PRIu64 " bytes of memory%s\n",
	       text, WIDTH, HEIGHT, FORMAT_NAME, tiling_name(d.tiling),
	       (uint64_t)d.size, d.dedicated ? " (dedicated)" : "");
	VKT_CHECK(vkt_read_back(&d.vk, d.image, WIDTH, HEIGHT, px));
	for (uint32_t y = 0; y < HEIGHT; y++) {
		for (uint32_t x = 0; x < WIDTH; x++) {
			struct rgba want = expected(x, y), got = px[y * WIDTH + x];

			if (!memcmp(&want, &got, sizeof(want)))
				continue;
			if (!wrong++)
				fprintf(stderr, "%s: pixel (%u,%u) is %02x%02x%02x%02x, not %02x%02x%02x%02x\n",
					prog, x, y, got.r, got.g, got.b, got.a,
					want.r, want.g, want.b, want.a);
		}
	}
	t1 = now_ms();
	destroy(&d);

	if (wrong)
		printf("MISMATCH: %lu of %u pixels differ from the picture\n",
		       wrong, WIDTH * HEIGHT);
	else
		printf("verified %u pixels\n", WIDTH * HEIGHT);
	printf("time: %.1f ms from the start of the import to the end of the comparison\n",
	       t1 - t0);
	if (tu_write_png(out, WIDTH, HEIGHT, px) == 0)
		printf("picture: %s\n", out);
	else
		wrong = wrong ? wrong : 1;
	free(px);
	return wrong ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "render"))
		return cmd_render();
	if (argc == 4 && !strcmp(argv[1], "receive"))
		return cmd_receive(argv[2], argv[3]);
	fprintf(stderr,
		"usage: %s render\n"
		"       %s receive HANDLE OUT.png\n", prog, prog);
	return 2;
}
