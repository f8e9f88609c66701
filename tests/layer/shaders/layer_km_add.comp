// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
//
// layer_keyed_mutex: add one to every texel of an R32_UINT storage image.
#version 450

layout(local_size_x = 16, local_size_y = 16) in;
layout(set = 0, binding = 0, r32ui) uniform uimage2D img;

void main()
{
	ivec2 p = ivec2(gl_GlobalInvocationID.xy);
	ivec2 size = imageSize(img);

	if (p.x >= size.x || p.y >= size.y)
		return;
	imageStore(img, p, imageLoad(img, p) + uvec4(1u));
}
