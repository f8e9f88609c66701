# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# tests/: the host tests of the package as a whole (this file), and the
# helpers every test shares (tests/common: TAP for C and shell, the Vulkan
# client helpers).  Each subfolder adds its own tests: lib/ (the library
# on the host), layer/ (the layer on lavapipe), vm/ (the library and the
# command against the module, in the VM), gpu/ (the GPU suite).

TESTS += \
	tests/setup-mirror.test \
	tests/uapi-header.test \
	tests/version.test \
	tests/cli.test \
	tests/man-pages.test

# TESTS also lists compiled programs: only the scripts are sources.
EXTRA_DIST += $(filter %.test,$(TESTS)) tests/common/tap.sh

# What the C tests, the examples and the benchmarks share: one
# convenience library, never installed.  util.c (dying, time and the
# benchmarks' statistics, fd counts, messages with descriptors) and tap.c
# (TAP) need nothing; vkt.c and compute.c (Vulkan helpers) and harness.c
# (the layer tests' validation harness) need Vulkan, png.c (the examples'
# pictures) libpng.  A program links only the objects whose functions it
# calls.
noinst_LIBRARIES += tests/common/libcommon.a
tests_common_libcommon_a_SOURCES = tests/common/util.c tests/common/util.h \
	tests/common/tap.c tests/common/tap.h
tests_common_libcommon_a_CFLAGS = $(AM_CFLAGS) $(VULKAN_CFLAGS)
if ENABLE_VULKAN_LAYER
tests_common_libcommon_a_SOURCES += tests/common/vkt.c tests/common/vkt.h \
	tests/common/compute.c tests/common/harness.c tests/common/png.c
tests_common_libcommon_a_CFLAGS += $(LIBPNG_CFLAGS)
endif ENABLE_VULKAN_LAYER
EXTRA_DIST += tests/common/vkt.c tests/common/vkt.h tests/common/compute.c \
	tests/common/harness.c tests/common/png.c
test_common_cppflags = -I$(top_srcdir)/tests/common
test_common_lib = tests/common/libcommon.a

# Tests that stage an install of the library use $(MAKE).
AM_TESTS_ENVIRONMENT += \
	MAKE='$(MAKE)'; export MAKE; \
	CC='$(CC)'; export CC; \
	PACKAGE_VERSION='$(PACKAGE_VERSION)'; export PACKAGE_VERSION; \
	pkgconfigdir='$(pkgconfigdir)'; export pkgconfigdir;
