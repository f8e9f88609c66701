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
#   --with-modulesloaddir=DIR  where the modules-load.d file that loads
#                            the module at boot goes (default:
#                            ${prefix}/lib/modules-load.d);
#                            --disable-autoload installs none
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

	dnl modules-load.d(5): systemd-modules-load reads ${prefix}/lib/modules-load.d
	dnl for /usr and /usr/local.
	AC_ARG_ENABLE([autoload],
		[AS_HELP_STRING([--disable-autoload],
			[do not install the modules-load.d file that loads primeshare.ko at boot])],
		[], [enable_autoload=yes])
	AC_ARG_WITH([modulesloaddir],
		[AS_HELP_STRING([--with-modulesloaddir=DIR],
			[install the modules-load.d file into DIR (default: ${prefix}/lib/modules-load.d)])],
		[modulesloaddir=$withval], [modulesloaddir='${prefix}/lib/modules-load.d'])
	AS_CASE([$modulesloaddir],
		[yes], [AC_MSG_ERROR([--with-modulesloaddir needs a directory])],
		[no], [enable_autoload=no])
	AC_SUBST([modulesloaddir])
	AM_CONDITIONAL([ENABLE_AUTOLOAD], [test "x$enable_autoload" != xno])

	AC_ARG_VAR([DEPMOD], [depmod, run by make install and uninstall on the system's module tree])
	AC_PATH_PROG([DEPMOD], [depmod], [depmod], [$PATH:/sbin:/usr/sbin])
])
