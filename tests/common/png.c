/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/* The examples' pictures (util.h): RGBA8 rows into a PNG file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <png.h>

#include "util.h"

int tu_write_png(const char *path, uint32_t width, uint32_t height,
		 const void *rgba)
{
	const unsigned char *px = rgba;
	png_structp png;
	png_infop info;
	FILE *f = fopen(path, "wb");

	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name,
			path, strerror(errno));
		return -1;
	}
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	if (!info || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		fclose(f);
		fprintf(stderr, "%s: %s: libpng could not write it\n",
			program_invocation_short_name, path);
		return -1;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB_ALPHA,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (uint32_t y = 0; y < height; y++)
		png_write_row(png, (png_const_bytep)(px + (size_t)y * width * 4));
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	if (fclose(f)) {
		fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name,
			path, strerror(errno));
		return -1;
	}
	return 0;
}
