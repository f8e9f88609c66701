// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * TAP for the C tests; see tap.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "tap.h"

static unsigned int tap_count, tap_failed;

static void tap_vline(const char *prefix, const char *fmt, va_list ap,
		      const char *suffix)
{
	fputs(prefix, stdout);
	vprintf(fmt, ap);
	fputs(suffix, stdout);
	putchar('\n');
	fflush(stdout);
}

bool tap_ok(bool cond, const char *fmt, ...)
{
	char prefix[32];
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	snprintf(prefix, sizeof(prefix), "%sok %u - ", cond ? "" : "not ",
		 tap_count);
	va_start(ap, fmt);
	tap_vline(prefix, fmt, ap, "");
	va_end(ap);
	return cond;
}

void tap_skip(const char *why, const char *fmt, ...)
{
	char prefix[32], suffix[256];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "ok %u - ", ++tap_count);
	snprintf(suffix, sizeof(suffix), " # SKIP %s", why);
	va_start(ap, fmt);
	tap_vline(prefix, fmt, ap, suffix);
	va_end(ap);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline("# ", fmt, ap, "");
	va_end(ap);
}

void tap_bail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline("Bail out! ", fmt, ap, "");
	va_end(ap);
	exit(1);
}

int tap_done(void)
{
	printf("1..%u\n", tap_count);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}
