# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# PS_INSTALL_DIRS: where make install puts what is not a program.
#   --with-module-root=DIR   root of the module tree: primeshare.ko goes to
#                            DIR/lib/modules/RELEASE/updates (kbuild's
#                            INSTALL_MOD_PATH); default: the system's own
#                            /lib/modules, where depmod is run after install
#   --with-udevrulesdir=DIR  udev rules directory (default:
#                            ${prefix}/lib/udev/rules.d)
AC_DEFUN([PS_INSTALL_DIRS], [
	AC_ARG_WITH([module-root],
		[AS_HELP_STRING([--with-module-root=DIR],
			[install primeshare.ko under DIR/lib/modules/RELEASE/updates (default: the system's /lib/modules)])],
		[moduleroot=$withval], [moduleroot=])
	AS_CASE([$moduleroot],
		[no], [AC_MSG_ERROR([--without-module-root makes no sense; use make install DESTDIR=DIR to stage])],
		[yes|/], [moduleroot=])
	AC_SUBST([moduleroot])

	AC_ARG_WITH([udevrulesdir],
		[AS_HELP_STRING([--with-udevrulesdir=DIR],
			[install the udev rule into DIR (default: ${prefix}/lib/udev/rules.d)])],
		[udevrulesdir=$withval], [udevrulesdir='${prefix}/lib/udev/rules.d'])
	AS_CASE([$udevrulesdir],
		[yes|no], [AC_MSG_ERROR([--with-udevrulesdir needs a directory])])
	AC_SUBST([udevrulesdir])

	AC_ARG_VAR([DEPMOD], [depmod, run by make install and uninstall on the system's module tree])
	AC_PATH_PROG([DEPMOD], [depmod], [depmod], [$PATH:/sbin:/usr/sbin])
])
