/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * The text form of a handle: "psh-" and the 64-bit value as exactly 16
 * hex digits, most significant first.  Formatting writes lowercase digits;
 * parsing takes either case and nothing else: no blanks, no sign, no "0x",
 * no fewer or more digits, nothing after them.
 */
#include "internal.h"

#define LIBPS_TEXT_PREFIX		"psh-"
#define LIBPS_TEXT_PREFIX_LEN	(sizeof(LIBPS_TEXT_PREFIX) - 1)
#define LIBPS_TEXT_DIGITS		16

_Static_assert(LIBPS_TEXT_PREFIX_LEN + LIBPS_TEXT_DIGITS ==
	       PRIMESHARE_HANDLE_TEXT_LEN, "the text form has a fixed length");

PRIMESHARE_API int primeshare_handle_format(uint64_t handle, char *buf,
					    size_t size)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	if (!buf || !handle)
		return -EINVAL;
	if (size < PRIMESHARE_HANDLE_TEXT_SIZE)
		return -ENOSPC;

	for (i = 0; i < LIBPS_TEXT_PREFIX_LEN; i++)
		buf[i] = LIBPS_TEXT_PREFIX[i];
	for (i = 0; i < LIBPS_TEXT_DIGITS; i++) {
		unsigned int shift = 4 * (LIBPS_TEXT_DIGITS - 1 - i);

		buf[LIBPS_TEXT_PREFIX_LEN + i] = digits[(handle >> shift) & 0xf];
	}
	buf[PRIMESHARE_HANDLE_TEXT_LEN] = '\0';
	return PRIMESHARE_HANDLE_TEXT_LEN;
}

/* The value of one hex digit in either case, or -1. */
static int libps_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

PRIMESHARE_API int primeshare_handle_parse(const char *text, uint64_t *handle)
{
	uint64_t value = 0;
	size_t i;

	if (!text || !handle)
		return -EINVAL;

	/* Each test stops at the first mismatch, so a short string is safe. */
	for (i = 0; i < LIBPS_TEXT_PREFIX_LEN; i++)
		if (text[i] != LIBPS_TEXT_PREFIX[i])
			return -EINVAL;
	for (i = 0; i < LIBPS_TEXT_DIGITS; i++) {
		int v = libps_hex_value(text[LIBPS_TEXT_PREFIX_LEN + i]);

		if (v < 0)
			return -EINVAL;
		value = value << 4 | (uint64_t)v;
	}
	if (text[PRIMESHARE_HANDLE_TEXT_LEN] != '\0' || !value)
		return -EINVAL;

	*handle = value;
	return 0;
}
