// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
//
// gpu_share: fill an RGBA8 storage image with the pattern of a seed.  Every
// texel gets a 32-bit hash of (x, y, seed); gpu_share.c computes the same
// function on the CPU and compares every pixel it reads back.
#version 450

layout(local_size_x = 16, local_size_y = 16) in;
layout(set = 0, binding = 0, rgba8) uniform writeonly image2D img;
layout(push_constant) uniform Push {
	uint seed;
	uint rows;
} push;

uint pattern(uint x, uint y, uint seed)
{
	uint v = (x * 0x9E3779B1u) ^ (y * 0x85EBCA77u + seed * 0xC2B2AE3Du);

	v ^= v >> 15;
	v *= 0x2C1B3C6Du;
	v ^= v >> 12;
	v *= 0x297A2D39u;
	v ^= v >> 15;
	return v;
}

void main()
{
	ivec2 size = imageSize(img);
	uvec2 p = gl_GlobalInvocationID.xy;

	if (p.x >= uint(size.x) || p.y >= uint(size.y))
		return;
	// unpackUnorm4x8 puts the lowest byte in .r: the texel's bytes in
	// memory are the little-endian bytes of the hash.  c / 255.0 stored
	// as UNORM8 is c again wherever conversion rounds to nearest (the
	// spec's "should"); a driver that does not would fail the check,
	// never pass it wrongly.
	imageStore(img, ivec2(p), unpackUnorm4x8(pattern(p.x, p.y, push.seed)));
}
