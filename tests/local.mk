# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# Host tests: everything that needs no module and no VM.

TESTS += \
	tests/setup-mirror.test \
	tests/uapi-header.test \
	tests/version.test \
	tests/cli.test \
	tests/man-pages.test

# TESTS also lists compiled programs: only the scripts are sources.
EXTRA_DIST += $(filter %.test,$(TESTS)) tests/tap.sh

# libprimeshare on the host: C programs that print TAP themselves, and the
# ABI check.  lib-errors and lib-mock link a fake module and DRM driver
# (tests/fake-ps.c) that answers the library's ioctl()s in place of the
# kernel; -export-dynamic lets its ioctl() stand in for the C library's.
lib_host_tests = \
	tests/lib-text \
	tests/lib-errors \
	tests/lib-transport \
	tests/lib-mock
check_PROGRAMS += $(lib_host_tests)
TESTS += $(lib_host_tests) tests/lib-abi.test

tests_lib_text_SOURCES = tests/lib-text.c tests/tap.h
tests_lib_text_LDADD = lib/libprimeshare.la

tests_lib_transport_SOURCES = tests/lib-transport.c tests/tap.h
tests_lib_transport_LDADD = lib/libprimeshare.la

lib_fake_sources = tests/fake-ps.c tests/fake-ps.h tests/tap.h
tests_lib_errors_SOURCES = tests/lib-errors.c $(lib_fake_sources)
tests_lib_errors_CFLAGS = $(AM_CFLAGS) $(LIBDRM_CFLAGS)
tests_lib_errors_LDFLAGS = -export-dynamic
tests_lib_errors_LDADD = lib/libprimeshare.la $(LIBDRM_LIBS)

tests_lib_mock_SOURCES = tests/lib-mock.c $(lib_fake_sources)
tests_lib_mock_CFLAGS = $(AM_CFLAGS) $(LIBDRM_CFLAGS)
tests_lib_mock_LDFLAGS = -export-dynamic
tests_lib_mock_LDADD = lib/libprimeshare.la $(LIBDRM_LIBS)

# lib-abi.test stages an install of the library with $(MAKE).
AM_TESTS_ENVIRONMENT += \
	MAKE='$(MAKE)'; export MAKE; \
	CC='$(CC)'; export CC; \
	PACKAGE_VERSION='$(PACKAGE_VERSION)'; export PACKAGE_VERSION; \
	pkgconfigdir='$(pkgconfigdir)'; export pkgconfigdir;

# make check-valgrind: the C host tests under memcheck; any memory error,
# definite or indirect leak, or failed test fails the target.  Each log is
# left in tests/NAME.valgrind.log.
VALGRIND = valgrind
VALGRIND_FLAGS = --quiet --error-exitcode=1 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect \
	--show-leak-kinds=definite,indirect
check-valgrind: $(lib_host_tests)
	@fail=0; pass=0; \
	for t in $(lib_host_tests); do \
		log=$$t.valgrind.log; \
		if $(LIBTOOL) --mode=execute $(VALGRIND) $(VALGRIND_FLAGS) \
			./$$t >$$log 2>&1; then \
			echo "PASS: $$t (valgrind)"; pass=$$((pass + 1)); \
		else \
			echo "FAIL: $$t (valgrind)"; sed 's/^/    /' $$log; \
			fail=$$((fail + 1)); \
		fi; \
	done; \
	echo "check-valgrind: $$pass passed, $$fail failed"; \
	test $$fail = 0
CLEANFILES += $(lib_host_tests:=.valgrind.log)
.PHONY: check-valgrind

# The consumer test: install into a staging root with make install
# DESTDIR=..., build tests/consumer/consumer.c with nothing but what
# pkg-config says for primeshare and libdrm there, and let vm-check run it
# against the module.  The rpath points into the staging root, so the
# program runs on the installed library, not the build tree's.
consumer_root = $(abs_top_builddir)/tests/consumer/root
# The staged primeshare.pc names the real prefix; its copy in pkgconfig/
# points into the staging root, as a sysroot would.
consumer_pc = PKG_CONFIG_PATH='$(consumer_root)/pkgconfig'
tests/consumer/consumer: $(top_srcdir)/tests/consumer/consumer.c \
		lib/libprimeshare.la
	$(AM_V_GEN)rm -rf '$(consumer_root)' && \
	$(MAKE) $(AM_MAKEFLAGS) install-libLTLIBRARIES install-includeHEADERS \
		install-pkgconfigDATA DESTDIR='$(consumer_root)' >/dev/null && \
	$(MKDIR_P) '$(consumer_root)/pkgconfig' && \
	$(SED) 's|^prefix=.*|prefix=$(consumer_root)$(prefix)|' \
		'$(consumer_root)$(pkgconfigdir)/primeshare.pc' \
		>'$(consumer_root)/pkgconfig/primeshare.pc' && \
	flags=$$($(consumer_pc) $(PKG_CONFIG) --cflags --libs primeshare libdrm) && \
	$(MKDIR_P) tests/consumer && \
	$(CC) -std=gnu11 -Wall -Wextra -Werror -o $@ \
		$(top_srcdir)/tests/consumer/consumer.c $$flags \
		-Wl,-rpath,'$(consumer_root)$(libdir)'
EXTRA_DIST += tests/consumer/consumer.c
clean-local: clean-consumer
clean-consumer:
	-rm -rf tests/consumer/root tests/consumer/consumer
.PHONY: clean-consumer
