#!/bin/bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# Set up the machine if needed, then configure and build in build/ (or
# $PRIMESHARE_BUILDDIR).  Used by run-demo and run-tests; prints the
# build directory on its last line.
set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${PRIMESHARE_BUILDDIR:-$srcdir/build}

"$srcdir/tools/setup.sh" >&2
if [ ! -x "$srcdir/configure" ]; then
	echo "build: generating configure" >&2
	(cd "$srcdir" && autoreconf -fi >&2)
fi
mkdir -p "$builddir"
cd "$builddir"
if [ ! -f Makefile ]; then
	echo "build: configuring in $builddir" >&2
	"$srcdir/configure" -q >&2
fi
make -s -j"$(nproc)" >&2
echo "$builddir"
