#!/bin/sh
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# Run every tests/layer/*.test and sum up their TAP, outside make (for
# example on a machine that has a GPU but not the build tree's tools).
# Needs LAYER_BUILDDIR and LAYER_TESTDIR; prints each test's TAP and one
# summary line.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
export top_srcdir
pass=0 fail=0 skip=0 bad=0
for t in "$here"/*.test; do
	name=$(basename "$t" .test)
	echo "# == $name"
	out=$(sh "$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | grep -c '^ok .*# SKIP')
	o=$(printf '%s\n' "$out" | grep -c '^ok ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok ')
	pass=$((pass + o - p)) skip=$((skip + p)) fail=$((fail + f))
	if [ $rc -ne 0 ] || ! printf '%s\n' "$out" | grep -q '^1\.\.'; then
		bad=$((bad + 1))
		echo "# $name: exit status $rc"
	fi
done
echo "# layer tests: $pass passed, $fail failed, $skip skipped, $bad programs failed"
[ $fail -eq 0 ] && [ $bad -eq 0 ]
