# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# libprimeshare: the C library over /dev/primeshare.  Only the functions
# of include/primeshare.h leave the shared object (-fvisibility=hidden and
# PRIMESHARE_API), each versioned by libprimeshare.map (PRIMESHARE_1.0, 1.1).

lib_LTLIBRARIES = lib/libprimeshare.la
include_HEADERS = include/primeshare.h

lib_libprimeshare_la_SOURCES = \
	lib/internal.h \
	lib/context.c \
	lib/handle.c \
	lib/desc.c \
	lib/iter.c \
	lib/keyed_mutex.c \
	lib/text.c \
	lib/drm.c \
	lib/transport.c
lib_libprimeshare_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	$(LIBDRM_CFLAGS)
lib_libprimeshare_la_LIBADD = $(LIBDRM_LIBS) $(PTHREAD_LIBS)
lib_libprimeshare_la_LDFLAGS = -version-info 2:0:1 -no-undefined \
	-Wl,--no-undefined \
	-Wl,--version-script=$(srcdir)/lib/libprimeshare.map
EXTRA_lib_libprimeshare_la_DEPENDENCIES = lib/libprimeshare.map

pkgconfig_DATA = lib/primeshare.pc

EXTRA_DIST += lib/libprimeshare.map lib/primeshare.pc.in \
	lib/libprimeshare.abi lib/libprimeshare.abi.license

# The ABI baseline that tests/lib/abi.test compares the library with
# (abidw from abigail-tools).  Run after a deliberate ABI change; the
# translation units' paths are made relative to the source tree.
abi-baseline: lib/libprimeshare.la
	$(AM_V_GEN)abidw --headers-dir $(srcdir)/include --no-corpus-path \
		--no-comp-dir-path --no-show-locs --drop-private-types \
		lib/.libs/libprimeshare.so.1 | \
		sed "s|path='[^']*/lib/\([a-z_]*\.c\)'|path='lib/\1'|" \
		>$(srcdir)/lib/libprimeshare.abi
.PHONY: abi-baseline

# A live install (no DESTDIR) as root refreshes the dynamic linker's cache,
# so that the command runs at once; make install LDCONFIG=true skips it.
# A staged install (DESTDIR, packages) leaves that to the package's
# trigger.
LDCONFIG = ldconfig
install-exec-hook: ps-remove-la ps-ldconfig
uninstall-hook: ps-uninstall-so ps-ldconfig

# No libtool archives are installed (of the library, nor of the layer in
# $(vklayerexecdir)): nothing links against them, and distributions remove
# them.  Without them libtool's uninstall no longer
# knows the shared objects, so uninstall removes those itself.
ps-remove-la:
	@for la in $(notdir $(lib_LTLIBRARIES)); do \
		rm -f '$(DESTDIR)$(libdir)'/$$la; \
	done
	@for la in $(notdir $(vklayerexec_LTLIBRARIES)); do \
		rm -f '$(DESTDIR)$(vklayerexecdir)'/$$la; \
	done
ps-uninstall-so:
	@for la in $(notdir $(lib_LTLIBRARIES)); do \
		b=$${la%.la}; \
		rm -f '$(DESTDIR)$(libdir)'/$$b.so '$(DESTDIR)$(libdir)'/$$b.so.*; \
	done
	@for la in $(notdir $(vklayerexec_LTLIBRARIES)); do \
		rm -f '$(DESTDIR)$(vklayerexecdir)'/$${la%.la}.so; \
		rmdir '$(DESTDIR)$(vklayerexecdir)' 2>/dev/null || :; \
	done
.PHONY: ps-remove-la ps-uninstall-so
ps-ldconfig:
	@if test -z '$(DESTDIR)' && test "$$(id -u)" = 0; then \
		echo "  LDCONFIG $(libdir)"; $(LDCONFIG) || exit 1; \
	fi
.PHONY: ps-ldconfig
