# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# tests/vm/: the library and the command against the module, in the VM
# (make vm-check).  They use the kselftest harness and the selftests'
# helpers (selftests/primeshare/ps_test.h) but are not kselftests: they
# need libprimeshare and the primeshare command, which a kernel tree's
# selftests do not have.
vm_test_lib_progs = \
	tests/vm/libprimeshare_test \
	tests/vm/primeshare_cli_test

if ENABLE_SELFTESTS
noinst_PROGRAMS += $(vm_test_lib_progs)
endif ENABLE_SELFTESTS

vm_test_cppflags = $(selftest_cppflags) -I$(top_srcdir)/selftests/primeshare

tests_vm_libprimeshare_test_SOURCES = \
	tests/vm/libprimeshare_test.c $(selftest_headers)
tests_vm_libprimeshare_test_CPPFLAGS = $(vm_test_cppflags)
tests_vm_libprimeshare_test_CFLAGS = $(selftest_cflags)
tests_vm_libprimeshare_test_LDADD = lib/libprimeshare.la $(selftest_ldadd)

tests_vm_primeshare_cli_test_SOURCES = \
	tests/vm/primeshare_cli_test.c $(selftest_headers)
tests_vm_primeshare_cli_test_CPPFLAGS = $(vm_test_cppflags)
tests_vm_primeshare_cli_test_CFLAGS = $(selftest_cflags)
tests_vm_primeshare_cli_test_LDADD = $(selftest_ldadd)
