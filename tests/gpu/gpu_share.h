// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * gpu_share: what its parts share (gpu_share.c says what the program does).
 *
 *   gpu_share.c          main, the probe
 *   gpu_share_objects.c  what a process holds, the socket, Vulkan objects
 *   gpu_share_setup.c    the device, its description, the memory type
 *   gpu_share_peers.c    B, the importer, and A's side of the socket
 *   gpu_share_check.c    gpu_share check
 *   gpu_share_bench.c    gpu_share bench
 */
#ifndef GPU_SHARE_H
#define GPU_SHARE_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "vkt.h"

#define FORMAT		VK_FORMAT_R8G8B8A8_UNORM
#define USAGE		(VK_IMAGE_USAGE_TRANSFER_SRC_BIT | \
			 VK_IMAGE_USAGE_TRANSFER_DST_BIT | \
			 VK_IMAGE_USAGE_STORAGE_BIT)
#define OPAQUE		VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT_NV
#define KMT_TYPES	(VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_KMT_BIT_NV | \
			 VK_EXTERNAL_MEMORY_HANDLE_TYPE_D3D11_IMAGE_KMT_BIT_NV)
#define ROWS		8u	/* texels per invocation of the read pass */
#define GROUP		16u	/* workgroup side of both shaders */
#define WARMUP		10u	/* cycles before the leak baseline */
#define BW_PASSES	20u	/* bandwidth passes per image */
#define MAX_RUNS	10000u

extern const char *const caps_ext[1];

/* Messages on the socket between A and B. */
enum op {
	OP_HELLO = 1,	/* size; B answers with its setup's status */
	OP_SHARE,	/* fd: import, verify every pixel, free */
	OP_TIME_SHARE,	/* fd: import, bind, first read; then verify */
	OP_SHM,		/* fd: the shared memory of the copy path */
	OP_TIME_COPY,	/* pixels in the shared memory: upload, first read */
	OP_BANDWIDTH,	/* fd: read passes over the import and an own image */
	OP_STATS,	/* descriptors, mappings, GPU memory, validation */
	OP_TIME_SHARE_KHR, /* as OP_TIME_SHARE, on B's device without layer */
	OP_QUIT,
};

enum { T_RECV, T_COPIED, T_BOUND, T_READ, T_MAX };
/* The steps of an import in B: image, memory (the import), bind, view. */
enum { S_CREATE, S_ALLOC, S_BIND, S_VIEW, S_MAX };

struct msg {
	uint32_t op;
	int32_t status;		/* reply: 0, or what went wrong (< 0) */
	uint32_t width, height;
	uint32_t seed;
	uint32_t memory_type;
	uint32_t dedicated;
	uint32_t mismatches;	/* reply: pixels that differ */
	uint64_t size;		/* the exporter's allocation size */
	uint8_t device_uuid[VK_UUID_SIZE];	/* hello: A's device */
	uint8_t driver_uuid[VK_UUID_SIZE];
	int64_t t[T_MAX];	/* reply: CLOCK_MONOTONIC, ns */
	int64_t step[S_MAX];	/* reply: the import's steps, ns each */
	double gbps[2];		/* reply: import, own image */
	int64_t fds, maps, gpu_bytes, rss_kib;
	uint32_t errors;	/* reply: validation errors so far */
	uint32_t pad;
};

struct image {
	VkImage image;
	VkImageView view;
	VkDeviceMemory memory;
	VkDeviceSize size;
	uint32_t type;
	int64_t step[S_MAX];	/* ns each, for the bench */
};

struct buffer {
	VkBuffer buffer;
	VkDeviceMemory memory;
	VkDeviceSize size;
	void *map;
	bool coherent;
};

struct gs {
	struct vkt t;
	uint32_t width, height;
	bool vram, dedicated, budget;
	bool khr;			/* KHR opaque fds, no layer (bench) */
	PFN_vkGetMemoryFdKHR get_fd;
	uint32_t type;			/* memory type of the shared images */
	PFN_vkGetMemoryWin32HandleNV get_handle;
	VkDescriptorSetLayout set_layout;
	VkPipelineLayout layout;
	VkPipeline fill, read;
	VkDescriptorPool dpool;
	VkDescriptorSet set;
	struct buffer sums;		/* device-local, the read pass's output */
	struct buffer host;		/* readback (A, B) and upload (B) */
	struct buffer scratch;		/* bench: flushes the GPU's caches */
	VkQueryPool queries;
	double ts_period;		/* ns per timestamp tick */
	uint64_t ts_mask;		/* the valid bits of a timestamp */
	uint8_t *shm;			/* copy path */
	size_t shm_size;
};


static inline uint32_t pattern(uint32_t x, uint32_t y, uint32_t seed)
{
	uint32_t v = (x * 0x9E3779B1u) ^ (y * 0x85EBCA77u + seed * 0xC2B2AE3Du);

	v ^= v >> 15;
	v *= 0x2C1B3C6Du;
	v ^= v >> 12;
	v *= 0x297A2D39u;
	v ^= v >> 15;
	return v;
}

static inline VkDeviceSize pixel_bytes(const struct gs *g)
{
	return (VkDeviceSize)g->width * g->height * 4;
}

extern pid_t b_pid;

/* gpu_share_objects.c */
double bandwidth(struct gs *g, struct image *im);
uint32_t verify(struct gs *g, struct image *im, uint32_t seed);
void readback(struct gs *g, struct image *im);
void first_read(struct gs *g, VkCommandBuffer cb, struct image *im);
void acquire(struct gs *g, VkCommandBuffer cb, struct image *im);
void fill(struct gs *g, struct image *im, uint32_t seed,
		 bool hand_over);
void release(struct gs *g, VkCommandBuffer cb, struct image *im);
void submit(struct gs *g, VkCommandBuffer cb);
void barrier(VkCommandBuffer cb, VkImage image,
		    VkPipelineStageFlags src_stage, VkAccessFlags src,
		    VkPipelineStageFlags dst_stage, VkAccessFlags dst,
		    VkImageLayout from, uint32_t src_family,
		    uint32_t dst_family);
void teardown_objects(struct gs *g);
void setup_objects(struct gs *g, bool bench);
void image_destroy(struct gs *g, struct image *im);
VkResult image_create(struct gs *g, struct image *im, bool external,
			     int import_fd, uint32_t type, VkDeviceSize size);
void buffer_sync(struct gs *g, struct buffer *b, bool flush);
const char *memory_flags(VkMemoryPropertyFlags f, char *buf, size_t n);
int recv_msg(int sock, struct msg *m, int *fd);
int send_msg(int sock, const struct msg *m, int fd);
void stats(struct gs *g, struct msg *m);

/* gpu_share_setup.c */
void device_ids(struct gs *g, struct msg *m);
void choose_type(struct gs *g);
void describe(struct gs *g);
void open_device_khr(struct gs *g, bool dedicated);
void open_device(struct gs *g);
VkExternalMemoryFeatureFlagsNV nv_caps(struct gs *g,
					      VkExternalMemoryHandleTypeFlagsNV type,
					      VkExternalImageFormatPropertiesNV *out);

/* gpu_share_peers.c */
int hello(struct gs *g, int sock);
int finish_importer(int sock, struct msg *m);
int export_fd(struct gs *g, struct image *im);
void ask(int sock, struct msg *m, int fd);
int start_importer(const char *self, bool bench);
int importer(int sock, bool bench);

/* gpu_share_check.c */
int cmd_check(const char *self, struct gs *g, uint32_t cycles);

/* gpu_share_bench.c */
int cmd_bench(const char *self, struct gs *g, uint32_t runs);

#endif /* GPU_SHARE_H */
