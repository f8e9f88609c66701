#!/bin/bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
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
# PS_KMOD_SRC names the module's directory below SRCDIR (default: kernel);
# PS_KBUILD_TARGET the kbuild target (default: modules; make install uses
# modules_install on the tree a build left in OUTBASE).
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
# Debian's headers have no vmlinux for BTF and no System.map for depmod;
# kbuild says so on every build and install (make install runs depmod).
set +e
make -s --no-print-directory -C "$kdir" M="$out" \
	PRIMESHARE_INCLUDE="$srcdir/include" "$@" \
	"${PS_KBUILD_TARGET:-modules}" 2>&1 |
	grep -v -e '^Skipping BTF generation' \
		-e "^Warning: modules_install: missing 'System.map' file"
status=${PIPESTATUS[0]}
exit "$status"
