// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
//
// gpu_share: read every texel of an RGBA8 storage image once.  Each
// invocation sums push.rows texels of one column and writes one word, so
// the pass reads the whole image and writes 1/rows of its size.
#version 450

layout(local_size_x = 16, local_size_y = 16) in;
layout(set = 0, binding = 0, rgba8) uniform readonly image2D img;
layout(set = 0, binding = 1, std430) writeonly buffer Sums {
	uint sums[];
};
layout(push_constant) uniform Push {
	uint seed;
	uint rows;
} push;

void main()
{
	ivec2 size = imageSize(img);
	uint x = gl_GlobalInvocationID.x;
	uint y0 = gl_GlobalInvocationID.y * push.rows;
	uint sum = 0u;

	if (x >= uint(size.x) || y0 >= uint(size.y))
		return;
	for (uint k = 0u; k < push.rows && y0 + k < uint(size.y); k++)
		sum += packUnorm4x8(imageLoad(img, ivec2(x, y0 + k)));
	sums[gl_GlobalInvocationID.y * uint(size.x) + x] = sum;
}
