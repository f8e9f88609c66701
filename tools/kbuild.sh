#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Build primeshare.ko for one kernel in its own output directory.
#
#   kbuild.sh KDIR SRCDIR OUTBASE [make arguments...]
#
# KDIR is a configured kernel build tree, SRCDIR the project's source
# directory, OUTBASE the directory under which <kernelrelease>/primeshare.ko
# is made.  Kbuild builds external modules in place, so the sources are
# linked into a directory per kernel: one tree serves every kernel and a
# read-only source tree (make distcheck) works.
#
# PS_KMOD_SRC names the module's directory below SRCDIR (default: kernel).
set -euo pipefail

kdir=$1 srcdir=$2 outbase=$3
shift 3

[ -f "$kdir/Makefile" ] ||
	{ echo "kbuild: $kdir is not a kernel build tree" >&2; exit 1; }
release=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$kdir/include/generated/utsrelease.h")
[ -n "$release" ] ||
	{ echo "kbuild: cannot read the release of $kdir" >&2; exit 1; }
out=$outbase/$release
mkdir -p "$out"
modsrc=$srcdir/${PS_KMOD_SRC:-kernel}
for f in "$modsrc"/Kbuild "$modsrc"/*.[ch]; do
	ln -sfn "$f" "$out/$(basename "$f")"
done
# Drop links whose source is gone.
for f in "$out"/*.[ch]; do
	[ -L "$f" ] && [ ! -e "$f" ] && rm -f "$f"
done
# Debian's headers have no vmlinux for BTF; kbuild says so on every build.
set +e
make -s -C "$kdir" M="$out" PRIMESHARE_INCLUDE="$srcdir/include" "$@" modules 2>&1 |
	grep -v '^Skipping BTF generation'
status=${PIPESTATUS[0]}
exit "$status"
