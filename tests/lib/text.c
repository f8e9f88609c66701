/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * The text form of handles: primeshare_handle_format() and
 * primeshare_handle_parse() round-trip every value but 0, and the parser
 * takes exactly "psh-" and 16 hex digits.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "primeshare.h"
#include "tap.h"
#include "util.h"

/* xorshift64*: a fixed sequence, so a failure can be replayed. */
static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Format, compare with printf's idea of it, parse back.  1 when right. */
static int round_trip(uint64_t h)
{
	char buf[PRIMESHARE_HANDLE_TEXT_SIZE + 8], want[32];
	uint64_t back = 0;
	int ret;

	memset(buf, '#', sizeof(buf));
	snprintf(want, sizeof(want), "psh-%016" PRIx64, h);
	errno = TAP_ERRNO_SENTINEL;
	ret = primeshare_handle_format(h, buf, PRIMESHARE_HANDLE_TEXT_SIZE);
	if (ret != PRIMESHARE_HANDLE_TEXT_LEN || strcmp(buf, want) ||
	    buf[PRIMESHARE_HANDLE_TEXT_SIZE] != '#' ||
	    errno != TAP_ERRNO_SENTINEL) {
		tap_diag("format %#" PRIx64 ": %d \"%.21s\"", h, ret, buf);
		return 0;
	}
	if (primeshare_handle_parse(buf, &back) || back != h ||
	    errno != TAP_ERRNO_SENTINEL) {
		tap_diag("parse \"%s\": %#" PRIx64, buf, back);
		return 0;
	}
	return 1;
}

static void check_parse_fails(const char *text, const char *what)
{
	uint64_t h = 42;

	TAP_EXPECT(primeshare_handle_parse(text, &h), -EINVAL,
		   "parse rejects %s", what);
	if (h != 42)
		tap_ok(0, "a rejected parse leaves the handle alone (%s)",
		       what);
}

int main(void)
{
	static const uint64_t edges[] = {
		1, 0xf, 0x10, 0xff, 0x100, 0xffffffff, 0x100000000ULL,
		0x0123456789abcdefULL, 0xfedcba9876543210ULL,
		0x7fffffffffffffffULL, 0x8000000000000000ULL,
		0xfffffffffffffffeULL, UINT64_MAX,
	};
	static const char bad_chars[] = " \t\n-+xXgGzZ:/@`_.\x7f\x80\xff";
	char buf[64], text[64];
	unsigned int i, j, good;
	uint64_t h;
	size_t size;
	int ret;

	good = 0;
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		good += round_trip(edges[i]);
	tap_ok(good == i, "%u edge values round-trip", i);

	good = 0;
	for (i = 0; i < 64; i++)
		good += round_trip(1ULL << i) + round_trip(~(1ULL << i));
	tap_ok(good == 128,
	       "every single-bit value and its complement round-trip");

	good = 0;
	for (i = 0; i < 100000; i++) {
		h = rng();
		/* Also values with few significant digits. */
		if (i % 4 == 1)
			h >>= rng() % 64;
		good += round_trip(h ? h : 1);
	}
	tap_ok(good == i, "%u random values round-trip", i);

	ret = primeshare_handle_format(0x0123456789abcdefULL, buf, sizeof(buf));
	tap_ok(ret == 20 && !strcmp(buf, "psh-0123456789abcdef"),
	       "format writes lowercase digits and returns the length");
	TAP_EXPECT(primeshare_handle_parse("psh-0123456789ABCDEF", &h), 0,
		   "parse takes uppercase digits");
	tap_ok(h == 0x0123456789abcdefULL, "... with the right value");
	TAP_EXPECT(primeshare_handle_parse("psh-aBcDeF0000000001", &h), 0,
		   "parse takes mixed case digits");
	tap_ok(h == 0xabcdef0000000001ULL, "... with the right value");

	/* format: errors */
	TAP_EXPECT(primeshare_handle_format(0, buf, sizeof(buf)), -EINVAL,
		   "format rejects handle 0");
	TAP_EXPECT(primeshare_handle_format(1, NULL, 64), -EINVAL,
		   "format rejects a NULL buffer");
	TAP_EXPECT(primeshare_handle_format(0, NULL, 0), -EINVAL,
		   "format: handle 0 and a NULL buffer give EINVAL");
	good = 0;
	for (size = 0; size < PRIMESHARE_HANDLE_TEXT_SIZE; size++) {
		memset(buf, '#', sizeof(buf));
		errno = TAP_ERRNO_SENTINEL;
		ret = primeshare_handle_format(UINT64_MAX, buf, size);
		if (ret == -ENOSPC && errno == TAP_ERRNO_SENTINEL &&
		    buf[0] == '#' && buf[20] == '#')
			good++;
		else
			tap_diag("size %zu: %d", size, ret);
	}
	tap_ok(good == PRIMESHARE_HANDLE_TEXT_SIZE,
	       "format gives ENOSPC and writes nothing for sizes 0 to 20");
	TAP_EXPECT(primeshare_handle_format(UINT64_MAX, buf, 21), 20,
		   "format fits a buffer of PRIMESHARE_HANDLE_TEXT_SIZE");

	/* parse: errors */
	TAP_EXPECT(primeshare_handle_parse(NULL, &h), -EINVAL,
		   "parse rejects NULL text");
	TAP_EXPECT(primeshare_handle_parse("psh-0000000000000001", NULL),
		   -EINVAL, "parse rejects a NULL result pointer");
	check_parse_fails("psh-0000000000000000", "handle 0");
	check_parse_fails("", "the empty string");
	check_parse_fails("psh-", "the prefix alone");
	check_parse_fails("psh-123", "3 digits");
	check_parse_fails("psh-0123456789abcde", "15 digits");
	check_parse_fails("psh-0123456789abcdef0", "17 digits");
	check_parse_fails("psh-00000000000000000001", "20 digits");
	check_parse_fails("0123456789abcdef", "digits without the prefix");
	check_parse_fails("PSH-0123456789abcdef", "an uppercase prefix");
	check_parse_fails("Psh-0123456789abcdef", "a mixed case prefix");
	check_parse_fails("psh_0123456789abcdef", "another separator");
	check_parse_fails("psh0123456789abcdef0", "no separator");
	check_parse_fails("psh-0x23456789abcdef", "a 0x inside");
	check_parse_fails("psh-0x0123456789abcdef", "0x and 16 digits");
	check_parse_fails("0xpsh-0123456789abcdef", "a leading 0x");
	check_parse_fails("psh-+123456789abcdef", "a plus sign");
	check_parse_fails("psh--123456789abcdef", "a minus sign");
	check_parse_fails("-psh-0123456789abcdef", "a leading minus");
	check_parse_fails(" psh-0123456789abcdef", "a leading blank");
	check_parse_fails("\tpsh-0123456789abcdef", "a leading tab");
	check_parse_fails("psh- 123456789abcdef", "a blank after the prefix");
	check_parse_fails("psh-0123456789abcdef ", "a trailing blank");
	check_parse_fails("psh-0123456789abcdef\n", "a trailing newline");
	check_parse_fails("psh-0123456789abcdefg", "a trailing letter");
	check_parse_fails("psh-0123456789abcdefpsh-", "a trailing prefix");
	check_parse_fails("psh-01234567 89abcdef", "a blank inside");
	check_parse_fails("psh-0123456789abcdeg", "a g digit");
	/* U+FF10, a full-width zero, then 14 digits. */
	check_parse_fails("psh-\xef\xbc\x90\x31\x32\x33\x34\x35\x36\x37\x38\x39"
			  "abcde", "a full-width digit");
	check_parse_fails("psh-0123456789abcd\xc3\xa9", "a non-ASCII letter");

	/* Every position of the digits, with every kind of bad character. */
	good = 0;
	for (i = 0; i < 16; i++) {
		for (j = 0; j < sizeof(bad_chars) - 1; j++) {
			strcpy(text, "psh-0123456789abcdef");
			text[4 + i] = bad_chars[j];
			h = 42;
			if (primeshare_handle_parse(text, &h) == -EINVAL &&
			    h == 42)
				good++;
			else
				tap_diag("accepted \"%s\"", text);
		}
	}
	tap_ok(good == 16 * (sizeof(bad_chars) - 1),
	       "parse rejects a bad character at each of the 16 digits (%u cases)",
	       good);
	/* Every truncation and every prefix damage. */
	good = 0;
	for (i = 0; i < PRIMESHARE_HANDLE_TEXT_LEN; i++) {
		strcpy(text, "psh-0123456789abcdef");
		text[i] = '\0';
		good += primeshare_handle_parse(text, &h) == -EINVAL;
	}
	for (i = 0; i < 4; i++) {
		strcpy(text, "psh-0123456789abcdef");
		text[i] ^= 0x20;
		good += primeshare_handle_parse(text, &h) == -EINVAL;
	}
	tap_ok(good == PRIMESHARE_HANDLE_TEXT_LEN + 4,
	       "parse rejects every truncation and every damaged prefix character");

	return tap_done();
}
