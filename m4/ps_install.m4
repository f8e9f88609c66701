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
#   --with-bashcompletiondir=DIR  where the command's bash completion goes
#                            (default: bash-completion's completionsdir,
#                            under ${prefix})
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

	dnl bash-completion's own directory under our prefix (its pkg-config
	dnl file names it relative to its prefix), else the usual place.
	AC_ARG_WITH([bashcompletiondir],
		[AS_HELP_STRING([--with-bashcompletiondir=DIR],
			[install the bash completion into DIR (default: bash-completion's completionsdir under ${prefix}, else ${datadir}/bash-completion/completions)])],
		[bashcompletiondir=$withval],
		[bashcompletiondir=$($PKG_CONFIG --define-variable=prefix='${prefix}' \
			--variable=completionsdir bash-completion 2>/dev/null)
		 AS_IF([test -z "$bashcompletiondir"],
			[bashcompletiondir='${datadir}/bash-completion/completions'])])
	AS_CASE([$bashcompletiondir],
		[yes|no], [AC_MSG_ERROR([--with-bashcompletiondir needs a directory])])
	AC_SUBST([bashcompletiondir])

	AC_ARG_VAR([DEPMOD], [depmod, run by make install and uninstall on the system's module tree])
	AC_PATH_PROG([DEPMOD], [depmod], [depmod], [$PATH:/sbin:/usr/sbin])
])
