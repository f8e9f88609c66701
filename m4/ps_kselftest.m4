# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# PS_KSELFTEST: where kselftest_harness.h and kselftest.h come from.
#   --with-kselftest=DIR  a directory holding both headers
# Default: they are extracted at build time from Debian's linux-source
# tarball into $(builddir)/kernel-tools, together with checkpatch.pl.
AC_DEFUN([PS_KSELFTEST], [
	AC_ARG_WITH([kselftest],
		[AS_HELP_STRING([--with-kselftest=DIR],
			[directory with kselftest_harness.h and kselftest.h (default: extract from /usr/src/linux-source-*.tar.xz)])],
		[KSELFTEST_DIR=$withval], [KSELFTEST_DIR=])
	AC_ARG_VAR([LINUX_SOURCE_TARBALL], [kernel source tarball kselftest headers and checkpatch.pl are taken from])

	AS_IF([test -z "$LINUX_SOURCE_TARBALL"], [
		for t in $(ls /usr/src/linux-source-*.tar.* 2>/dev/null | sort -V); do
			LINUX_SOURCE_TARBALL=$t
			break
		done
	])
	AC_MSG_CHECKING([for kselftest headers])
	AS_IF([test -n "$KSELFTEST_DIR"], [
		AS_IF([test -f "$KSELFTEST_DIR/kselftest_harness.h" && test -f "$KSELFTEST_DIR/kselftest.h"], [
			KSELFTEST_DIR=$(cd "$KSELFTEST_DIR" && pwd)
			AC_MSG_RESULT([$KSELFTEST_DIR])
		], [
			AC_MSG_RESULT([no])
			AC_MSG_ERROR([$KSELFTEST_DIR has no kselftest_harness.h and kselftest.h])
		])
	], [test -n "$LINUX_SOURCE_TARBALL"], [
		KSELFTEST_DIR='$(abs_top_builddir)/kernel-tools/kselftest'
		AC_MSG_RESULT([from $LINUX_SOURCE_TARBALL at build time])
	], [
		AC_MSG_RESULT([no])
		AC_MSG_ERROR([kselftest_harness.h not available.
Install Debian's kernel sources (apt-get install linux-source, or run
scripts/setup), or pass --with-kselftest=DIR.])
	])
	AC_SUBST([KSELFTEST_DIR])
])
