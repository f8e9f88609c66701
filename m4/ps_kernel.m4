# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# PS_KERNEL: find the kernel build tree the module is built against.
#   --with-linux=DIR     a configured kernel build tree (has Makefile and
#                        include/generated/utsrelease.h); default: the
#                        highest /lib/modules/*/build
# Also records every kernel with an image in /boot and a build tree, the
# set `make vm-check` runs on (override with make VM_KERNELS="...").
AC_DEFUN([PS_KERNEL], [
	AC_ARG_WITH([linux],
		[AS_HELP_STRING([--with-linux=DIR],
			[kernel build tree to build primeshare.ko against (default: highest /lib/modules/*/build)])],
		[LINUX_DIR=$withval], [LINUX_DIR=])
	AS_CASE([$LINUX_DIR],
		[no], [AC_MSG_ERROR([--without-linux: to build without the kernel module, configure with --disable-module])],
		[yes], [LINUX_DIR=])

	AC_MSG_CHECKING([for a kernel build tree])
	AS_IF([test -z "$LINUX_DIR"], [
		for d in $(ls -d /lib/modules/*/build 2>/dev/null | sort -V); do
			test -f "$d/Makefile" && LINUX_DIR=$(readlink -f "$d")
		done
	])
	AS_IF([test -z "$LINUX_DIR"], [
		AC_MSG_RESULT([none])
		AC_MSG_ERROR([no kernel build tree found in /lib/modules/*/build.
Install the headers of a kernel (on Debian: apt-get install linux-headers-amd64,
or run scripts/setup), or pass --with-linux=DIR.])
	])
	AS_IF([test ! -f "$LINUX_DIR/Makefile" || test ! -f "$LINUX_DIR/include/generated/utsrelease.h"], [
		AC_MSG_RESULT([$LINUX_DIR])
		AC_MSG_ERROR([$LINUX_DIR is not a configured kernel build tree (no Makefile or include/generated/utsrelease.h)])
	])
	LINUX_RELEASE=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$LINUX_DIR/include/generated/utsrelease.h")
	AC_MSG_RESULT([$LINUX_DIR ($LINUX_RELEASE)])

	AC_MSG_CHECKING([for kernels the VM can boot])
	VM_KERNELS=
	for img in $(ls /boot/vmlinuz-* 2>/dev/null | sort -V); do
		rel=${img#/boot/vmlinuz-}
		test -f "/lib/modules/$rel/build/Makefile" && VM_KERNELS="$VM_KERNELS $rel"
	done
	VM_KERNELS=${VM_KERNELS# }
	AC_MSG_RESULT([${VM_KERNELS:-none}])

	AC_SUBST([LINUX_DIR])
	AC_SUBST([LINUX_RELEASE])
	AC_SUBST([VM_KERNELS])
])
