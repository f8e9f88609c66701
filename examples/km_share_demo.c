// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * km_share_demo: two unrelated processes take turns on one image, ordered
 * by nothing but its keyed mutex (VK_NV_win32_keyed_mutex), the way D3D11
 * programs ported from Windows share a surface.  The layer
 * VK_LAYER_PRIMESHARE_nv_external_memory maps the image's memory onto a
 * dma-buf, its KMT handle onto a primeshare global handle and the keyed
 * mutex onto the one primeshare.ko keeps beside the handle.
 *
 *   km_share_demo export SIZE ROUNDS OUT.png
 *	A: makes a SIZE x SIZE R32_UINT storage image exportable as
 *	OPAQUE_WIN32_KMT, prints its handle ("handle: psh-..."), and takes
 *	ROUNDS turns: each submission acquires key 0 and releases key 1.
 *	Then it acquires 0 once more, reads the image back, checks every
 *	texel against the same run computed on the CPU, and writes the
 *	picture to OUT.png.
 *
 *   km_share_demo join HANDLE SIZE ROUNDS
 *	B: imports HANDLE into the same image and takes ROUNDS turns, each
 *	acquiring key 1 and releasing key 0.
 *
 * A turn is one submission of two compute dispatches (shaders/
 * km_share_demo.comp): the first writes the next generation of the
 * cellular automaton Rule 30 into the row after the one the last turn
 * wrote, tagged with who wrote it; the second adds one to every texel's
 * count of turns.  Each generation is computed from the one before, so
 * the picture comes out right only if the 2 x ROUNDS turns ran one at a
 * time, in turn, each seeing all of the last one's writes: the picture is
 * the proof, texel for texel, and its rows alternate between A's colour
 * and B's.  The command buffers are recorded once; the shader reads the
 * turn from the image.  There is no other channel between A and B than
 * the handle, which A prints and B is given.
 *
 * Both print "key: value" lines on standard output (scripts/demo-guest
 * reads them).  Exit status: 0 on success, 1 on any failure (with a
 * message on standard error), 2 for usage errors.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "primeshare.h"
#include "primeshare_vulkan_nv.h"
#include "vkt.h"

#include "km_share_demo_spv.h"

#define FORMAT		VK_FORMAT_R32_UINT
#define HANDLE_TYPE	VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV
#define USAGE		(VK_IMAGE_USAGE_STORAGE_BIT | \
			 VK_IMAGE_USAGE_TRANSFER_SRC_BIT | \
			 VK_IMAGE_USAGE_TRANSFER_DST_BIT)

/* A texel: the cell in the low byte, the count of turns above it. */
#define LIVE		1u
#define BY_B		2u
#define WRITTEN		4u
#define CELL		0xffu
#define ONE_TURN	256u

/* The keys: A's turns acquire KEY_A, B's KEY_B; each releases the other's. */
#define KEY_A		0
#define KEY_B		1
/* How long a turn waits for the other side (B may start late). */
#define TURN_TIMEOUT_MS	120000u

#define MIN_SIZE	16u
#define MAX_SIZE	4096u
#define MAX_ROUNDS	1000000u	/* 2 x ROUNDS turns fit the count */

static const char *prog = "km_share_demo";

struct turn_push {
	uint32_t pass;
	uint32_t by_b;
};

struct side {
	struct vkt vk;
	uint32_t size, rounds;
	bool is_b;
	VkImageTiling tiling;
	VkImage image;
	VkDeviceMemory memory;
	VkDeviceSize memory_size;
	struct vkt_compute turn_pipe;
	VkCommandBuffer clear, turn, read;
	VkBuffer host;
	struct vkt_buffer_memory host_mem;
};

static const VkAccessFlags rw = VK_ACCESS_SHADER_READ_BIT |
				VK_ACCESS_SHADER_WRITE_BIT |
				VK_ACCESS_TRANSFER_READ_BIT |
				VK_ACCESS_TRANSFER_WRITE_BIT;

static const char *const device_exts[] = {
	VK_NV_EXTERNAL_MEMORY_EXTENSION_NAME,
	VK_NV_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME,
	VK_NV_WIN32_KEYED_MUTEX_EXTENSION_NAME,
};

/* The run, on the CPU ----------------------------------------------- */

/* Rule 30: the new cell from its left neighbour, itself and its right. */
static uint32_t rule30(uint32_t l, uint32_t c, uint32_t r)
{
	return l ^ (c | r);
}

/*
 * The low bytes the image must hold after @turns turns on a @size x @size
 * image (what the shader does, one turn after the other).
 */
static uint8_t *expected_cells(uint32_t size, uint64_t turns)
{
	uint8_t *cell = calloc((size_t)size * size, 1);
	uint8_t *seed = calloc(size, 1);

	if (!cell || !seed)
		tu_die("out of memory");
	seed[size / 2] = LIVE;
	for (uint64_t t = 0; t < turns; t++) {
		uint32_t row = t % size, prev = (row + size - 1) % size;
		const uint8_t *p = t ? cell + (size_t)prev * size : seed;
		uint8_t *out = cell + (size_t)row * size;
		uint8_t tag = WRITTEN | (t % 2 ? BY_B : 0);

		for (uint32_t x = 0; x < size; x++)
			out[x] = rule30(p[(x + size - 1) % size] & LIVE,
					p[x] & LIVE,
					p[(x + 1) % size] & LIVE) | tag;
	}
	free(seed);
	return cell;
}

/* Vulkan --------------------------------------------------------------- */

/*
 * Optimal tiling if the image can be shared so, else linear; A and B ask
 * the same question and agree.
 */
static void choose_tiling(struct side *s)
{
	static const VkImageTiling tilings[] = {
		VK_IMAGE_TILING_OPTIMAL, VK_IMAGE_TILING_LINEAR,
	};
	struct vkt_share_want want = {
		.format = FORMAT,
		.usage = USAGE,
		.type = HANDLE_TYPE,
		.width = s->size,
		.height = s->size,
	};
	static const char dedicated[] =
		"only with a dedicated allocation, which this demo does not make (nv_share_demo does)";
	VkExternalImageFormatPropertiesNV p;
	char why[2][128];

	for (size_t i = 0; i < TU_ARRAY_SIZE(tilings); i++) {
		want.tiling = tilings[i];
		if (!vkt_nv_shareable(s->vk.instance, s->vk.pd, &want, &p,
				      why[i], sizeof(why[i])))
			continue;
		if (p.externalMemoryFeatures &
		    VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT_NV) {
			snprintf(why[i], sizeof(why[i]), "%s", dedicated);
			continue;
		}
		s->tiling = tilings[i];
		return;
	}
	tu_die("a %ux%u R32_UINT storage image cannot be shared as OPAQUE_WIN32_KMT here (optimal tiling: %s; linear tiling: %s).  The KMT types need /dev/primeshare (primeshare.ko); PRIMESHARE_LAYER_DEBUG=1 shows the layer's reasons",
	       s->size, s->size, why[0], why[1]);
}

static void open_device(struct side *s, const char *mode)
{
	VkResult res;

	printf("%s: pid %d, parent %d, session %d\n", mode, (int)getpid(),
	       (int)getppid(), (int)getsid(0));
	vkt_nv_program(&s->vk, prog);
	choose_tiling(s);
	res = vkt_device(&s->vk, device_exts, TU_ARRAY_SIZE(device_exts));
	if (res == VK_ERROR_EXTENSION_NOT_PRESENT)
		tu_die("the device offers no %s: is the layer %s enabled, and /dev/primeshare there (the layer offers keyed mutexes only with primeshare.ko)?",
		       VK_NV_WIN32_KEYED_MUTEX_EXTENSION_NAME,
		       PRIMESHARE_VULKAN_LAYER_NAME);
	if (res != VK_SUCCESS)
		tu_die("creating the device: %s (%d)", vkt_result_name(res),
		       res);
}

/* The shared image: exported (@handle NULL) or imported from @handle. */
static void shared_image(struct side *s, HANDLE handle)
{
	VkExternalMemoryImageCreateInfoNV ext = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO_NV,
		.handleTypes = HANDLE_TYPE,
	};
	VkImageCreateInfo ici = vkt_image_info(s->size, s->size, s->tiling,
					       &ext);
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
		.pNext = handle ? (void *)&imp : (void *)&exp,
	};
	VkDevice dev = s->vk.device;
	static const char gone[] =
		": no such handle (has its exporter gone?), or this user may not import it";
	VkMemoryRequirements mr;
	VkResult res;

	ici.format = FORMAT;
	ici.usage = USAGE;
	VKT_CHECK(vkCreateImage(dev, &ici, NULL, &s->image));
	vkGetImageMemoryRequirements(dev, s->image, &mr);
	mai.allocationSize = mr.size;
	mai.memoryTypeIndex = vkt_memory_type(&s->vk, mr.memoryTypeBits, 0);
	if (mai.memoryTypeIndex == UINT32_MAX)
		tu_die("the image allows no memory type (memoryTypeBits 0x%x)",
		       mr.memoryTypeBits);
	res = vkAllocateMemory(dev, &mai, NULL, &s->memory);
	if (res != VK_SUCCESS)
		tu_die("%s the memory failed: %s (%d)%s",
		       handle ? "importing" : "allocating exportable",
		       vkt_result_name(res), res,
		       res == VK_ERROR_INVALID_EXTERNAL_HANDLE ? gone : "");
	s->memory_size = mr.size;
	VKT_CHECK(vkBindImageMemory(dev, s->image, s->memory, 0));
	vkt_compute_init(&s->vk, &s->turn_pipe, s->image, FORMAT,
			 km_share_demo_spv, sizeof(km_share_demo_spv),
			 sizeof(struct turn_push));
}

/* One turn: the next row, then one more turn counted in every texel. */
static void record_turn(struct side *s)
{
	VkMemoryBarrier between = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_SHADER_READ_BIT |
				 VK_ACCESS_SHADER_WRITE_BIT,
	};
	struct turn_push push = { .pass = 0, .by_b = s->is_b };
	uint32_t groups = (s->size + 15) / 16;
	VkCommandBuffer cb = vkt_begin_shared(&s->vk);

	vkt_external_barrier(&s->vk, cb, s->image, true, false, rw);
	vkt_compute_bind(&s->turn_pipe, cb);
	vkCmdPushConstants(cb, s->turn_pipe.layout,
			   VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(push), &push);
	vkCmdDispatch(cb, groups, groups, 1);
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
			     VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1,
			     &between, 0, NULL, 0, NULL);
	push.pass = 1;
	vkCmdPushConstants(cb, s->turn_pipe.layout,
			   VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(push), &push);
	vkCmdDispatch(cb, groups, groups, 1);
	vkt_external_barrier(&s->vk, cb, s->image, false, false, rw);
	VKT_CHECK(vkEndCommandBuffer(cb));
	s->turn = cb;
}

/* A's first use (a clear to zero) and last (a copy to a host buffer). */
static void record_clear_and_read(struct side *s)
{
	s->host = vkt_host_buffer(&s->vk, (VkDeviceSize)s->size * s->size * 4,
				  VK_BUFFER_USAGE_TRANSFER_DST_BIT,
				  &s->host_mem.memory, &s->host_mem.map);
	if (!s->host)
		tu_die("no host-visible buffer of %u bytes",
		       s->size * s->size * 4);
	s->clear = vkt_shared_clear(&s->vk, s->image);
	s->read = vkt_shared_read(&s->vk, s->image, s->size, s->size, s->host);
}

/*
 * Submit @cb under the keyed mutex: acquire @key, release @release.  What
 * a failed acquire means, in words.
 */
static void submit(struct side *s, VkCommandBuffer cb, uint64_t key,
		   uint64_t release, uint32_t turn)
{
	VkResult res = vkt_km_submit(&s->vk, cb, s->memory, key,
				     TURN_TIMEOUT_MS, release, VK_NULL_HANDLE);

	if (res == VK_TIMEOUT)
		tu_die("turn %u: key %" PRIu64 " did not come within %u s: the other side has not taken its turn (has %s started?)",
		       turn, key, TURN_TIMEOUT_MS / 1000,
		       s->is_b ? "A" : "B");
	if (res == VK_ERROR_DEVICE_LOST)
		tu_die("turn %u: the keyed mutex was abandoned or its handle ended: the other side died holding it, or A exited",
		       turn);
	if (res != VK_SUCCESS)
		tu_die("turn %u: vkQueueSubmit: %s (%d)", turn,
		       vkt_result_name(res), res);
}

static void destroy(struct side *s)
{
	VkDevice d = s->vk.device;

	if (d) {
		vkDeviceWaitIdle(d);
		if (s->host) {
			vkDestroyBuffer(d, s->host, NULL);
			vkFreeMemory(d, s->host_mem.memory, NULL);
		}
		vkt_compute_destroy(&s->vk, &s->turn_pipe);
		vkDestroyImage(d, s->image, NULL);
		vkFreeMemory(d, s->memory, NULL);
	}
	vkt_destroy(&s->vk);
}

/* The turns ------------------------------------------------------------- */

/*
 * The turns.  The clock starts once the first turn that waited for the
 * other side has been submitted (A's second, B's first), so that the time
 * is of rounds both take part in, not of the other side's start.
 */
static void take_turns(struct side *s)
{
	uint64_t mine = s->is_b ? KEY_B : KEY_A;
	uint64_t theirs = s->is_b ? KEY_A : KEY_B;
	uint32_t first = s->is_b ? 0 : 1, timed;
	int64_t t0 = tu_now_ns(), took;

	for (uint32_t i = 0; i < s->rounds; i++) {
		submit(s, s->turn, mine, theirs, 2 * i + s->is_b);
		if (i == first)
			t0 = tu_now_ns();
	}
	VKT_CHECK(vkQueueWaitIdle(s->vk.queue));
	took = tu_now_ns() - t0;
	timed = s->rounds > first + 1 ? s->rounds - first - 1 : 0;
	printf("turns: %u, each acquiring key %" PRIu64 " and releasing key %" PRIu64,
	       s->rounds, mine, theirs);
	if (timed)
		printf(", the last %u in %.2f s (%.2f ms a round trip)", timed,
		       took / 1e9, took / 1e6 / timed);
	printf("\n");
}

/* Colours of the picture: who wrote a row, and whether a cell lives. */
static uint32_t color(uint32_t cell)
{
	static const uint8_t rgb[5][3] = {
		{ 24, 24, 32 },		/* not written */
		{ 56, 32, 8 },		/* A, dead */
		{ 255, 168, 48 },	/* A, live */
		{ 8, 32, 64 },		/* B, dead */
		{ 96, 184, 255 },	/* B, live */
	};
	const uint8_t *c = rgb[!(cell & WRITTEN) ? 0 :
			       1 + 2 * !!(cell & BY_B) + (cell & LIVE)];

	return c[0] | c[1] << 8 | c[2] << 16 | 0xffu << 24;
}

/* Every texel against the CPU's run; the picture from what came back. */
static unsigned long check(struct side *s, uint32_t *rgba)
{
	uint64_t turns = 2ull * s->rounds;
	uint8_t *want = expected_cells(s->size, turns);
	const uint32_t *px = s->host_mem.map;
	unsigned long wrong = 0;

	for (uint32_t i = 0; i < s->size * s->size; i++) {
		uint32_t got = px[i], exp = want[i] | (uint32_t)turns * ONE_TURN;

		rgba[i] = color(got & CELL);
		if (got == exp)
			continue;
		if (!wrong++)
			fprintf(stderr, "%s: texel (%u,%u) is 0x%08x (%u turns, cell 0x%02x), not 0x%08x\n",
				prog, i % s->size, i / s->size, got,
				got / ONE_TURN, got & CELL, exp);
	}
	free(want);
	return wrong;
}

static int cmd_export(struct side *s, const char *out)
{
	char text[PRIMESHARE_HANDLE_TEXT_SIZE];
	PFN_vkGetMemoryWin32HandleNV get_handle;
	uint32_t *rgba;
	unsigned long wrong;
	HANDLE h = NULL;
	VkResult res;

	open_device(s, "export");
	shared_image(s, NULL);
	record_turn(s);
	record_clear_and_read(s);
	get_handle = (PFN_vkGetMemoryWin32HandleNV)
		vkGetDeviceProcAddr(s->vk.device, "vkGetMemoryWin32HandleNV");
	if (!get_handle)
		tu_die("vkGetMemoryWin32HandleNV is missing");
	res = get_handle(s->vk.device, s->memory, HANDLE_TYPE, &h);
	if (res != VK_SUCCESS)
		tu_die("vkGetMemoryWin32HandleNV(OPAQUE_WIN32_KMT): %s (%d)",
		       vkt_result_name(res), res);
	if (primeshare_handle_format(PRIMESHARE_GLOBAL_FROM_HANDLE(h), text,
				     sizeof(text)) < 0)
		tu_die("vkGetMemoryWin32HandleNV gave handle %p, not a primeshare handle",
		       h);
	printf("image: %ux%u VK_FORMAT_R32_UINT, %s tiling, %" PRIu64 " bytes of memory, exported as OPAQUE_WIN32_KMT with a keyed mutex\n",
	       s->size, s->size,
	       s->tiling == VK_IMAGE_TILING_LINEAR ? "linear" : "optimal",
	       (uint64_t)s->memory_size);
	printf("handle: %s\n", text);
	fflush(stdout);

	/* The clear, released with A's own key: A's first turn follows it. */
	submit(s, s->clear, KEY_A, KEY_A, 0);
	take_turns(s);
	/* B's last turn released A's key: then read back. */
	submit(s, s->read, KEY_A, KEY_A, 2 * s->rounds);
	VKT_CHECK(vkQueueWaitIdle(s->vk.queue));

	rgba = calloc((size_t)s->size * s->size, sizeof(*rgba));
	if (!rgba)
		tu_die("out of memory");
	wrong = check(s, rgba);
	destroy(s);
	if (wrong)
		printf("MISMATCH: %lu of %u texels differ from the run computed on the CPU\n",
		       wrong, s->size * s->size);
	else
		printf("verified: all %u texels: %u turns counted in each, %u generations of Rule 30 exact, A's and B's rows in turn\n",
		       s->size * s->size, 2 * s->rounds, 2 * s->rounds);
	if (tu_write_png(out, s->size, s->size, rgba) == 0)
		printf("picture: %s\n", out);
	else
		wrong = wrong ? wrong : 1;
	free(rgba);
	return wrong ? 1 : 0;
}

static int cmd_join(struct side *s, const char *text)
{
	uint64_t handle;

	if (primeshare_handle_parse(text, &handle))
		tu_die("'%s' is not a primeshare handle (psh- and 16 hex digits)",
		       text);
	open_device(s, "join");
	shared_image(s, PRIMESHARE_HANDLE_FROM_GLOBAL(handle));
	printf("imported: %s\n", text);
	record_turn(s);
	take_turns(s);
	destroy(s);
	return 0;
}

static bool number(const char *arg, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (*arg < '0' || *arg > '9')
		return false;
	v = strtoul(arg, &end, 10);
	if (*end || v < lo || v > hi)
		return false;
	*out = (uint32_t)v;
	return true;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: %s export SIZE ROUNDS OUT.png\n"
		"       %s join HANDLE SIZE ROUNDS\n"
		"SIZE: %u to %u (the image is SIZE x SIZE); ROUNDS: 1 to %u turns each;\n"
		"join takes the SIZE and ROUNDS that export was given\n",
		prog, prog, MIN_SIZE, MAX_SIZE, MAX_ROUNDS);
	return 2;
}

int main(int argc, char **argv)
{
	struct side s = { 0 };
	bool exporter = argc == 5 && !strcmp(argv[1], "export");
	bool joiner = argc == 5 && !strcmp(argv[1], "join");
	char **nums = exporter ? &argv[2] : &argv[3];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((!exporter && !joiner) ||
	    !number(nums[0], MIN_SIZE, MAX_SIZE, &s.size) ||
	    !number(nums[1], 1, MAX_ROUNDS, &s.rounds))
		return usage();
	s.is_b = joiner;
	return exporter ? cmd_export(&s, argv[4]) : cmd_join(&s, argv[2]);
}
