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

# What the C tests share.
test_common_cppflags = -I$(top_srcdir)/tests/common
test_tap_common = tests/common/tap.h
test_vulkan_common = tests/common/vkt.c tests/common/vkt.h

# Tests that stage an install of the library use $(MAKE).
AM_TESTS_ENVIRONMENT += \
	MAKE='$(MAKE)'; export MAKE; \
	CC='$(CC)'; export CC; \
	PACKAGE_VERSION='$(PACKAGE_VERSION)'; export PACKAGE_VERSION; \
	pkgconfigdir='$(pkgconfigdir)'; export pkgconfigdir;
