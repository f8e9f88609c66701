// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
//
// km_share_demo: one turn on the shared R32_UINT image.  A texel holds
//
//	bits 0-7   the cell: LIVE, BY_B (written in one of B's turns),
//	           WRITTEN (written at all);
//	bits 8-31  the turns made so far, the same in every texel.
//
// Pass 0 writes row (turn % height) as the next generation of Rule 30
// from the row written the turn before (wrapping around the edges; before
// turn 0, one live cell in the middle).  Pass 1 adds one turn to every
// texel.  The turn is read from the image itself, so the command buffers
// are recorded once: in pass 0 every invocation reads its own texel's
// count, and those of the current row go on.  Every address is the
// invocation's own texel or a neighbour's in the row above (none depends
// on a value read), and no invocation reads a texel another one of its
// pass writes.
#version 450

layout(local_size_x = 16, local_size_y = 16) in;
layout(set = 0, binding = 0, r32ui) uniform uimage2D img;
layout(push_constant) uniform Turn {
	uint pass;	// 0: the row, 1: the count
	uint by_b;	// 1 in B's turns
} pc;

const uint LIVE = 1u;
const uint BY_B = 2u;
const uint WRITTEN = 4u;
const uint CELL = 255u;
const uint ONE_TURN = 256u;

uint live(int x, int y, uint turn, ivec2 size)
{
	if (turn == 0u)
		return x == size.x / 2 ? 1u : 0u;
	return imageLoad(img, ivec2(x, y)).x & LIVE;
}

void main()
{
	ivec2 size = imageSize(img);
	ivec2 p = ivec2(gl_GlobalInvocationID.xy);

	if (p.x >= size.x || p.y >= size.y)
		return;
	if (pc.pass == 1u) {
		imageStore(img, p, imageLoad(img, p) + uvec4(ONE_TURN));
		return;
	}
	uint v = imageLoad(img, p).x;
	uint turn = v / ONE_TURN;

	if (p.y != int(turn % uint(size.y)))
		return;

	int prev = (p.y + size.y - 1) % size.y;
	uint l = live((p.x + size.x - 1) % size.x, prev, turn, size);
	uint c = live(p.x, prev, turn, size);
	uint r = live((p.x + 1) % size.x, prev, turn, size);
	uint cell = (l ^ (c | r)) | WRITTEN | (pc.by_b != 0u ? BY_B : 0u);

	imageStore(img, p, uvec4((v & ~CELL) | cell));
}
