# SPDX-License-Identifier: MIT
#
# Host tests: everything that needs no module and no VM.

TESTS += \
	tests/setup-mirror.test \
	tests/uapi-header.test

EXTRA_DIST += $(TESTS) tests/tap.sh
