# SPDX-License-Identifier: MIT
#
# kselftests of primeshare.ko.  They run in the VM (make vm-check), never on
# the host.  The harness headers come from $(KSELFTEST_DIR).

selftest_names = info vgem export import access
# The export and import tests again as 32-bit programs: the compat path.
# The harness casts pointers to uintmax_t when reporting, which -m32 warns
# about in the harness itself.
selftest_names32 = export import

# Tests of libprimeshare and of the primeshare command against the module.
# They need the library, so they are not part of the standalone kselftest
# Makefile in selftests/primeshare.
selftest_lib_progs = \
	selftests/primeshare/libprimeshare_test \
	selftests/primeshare/primeshare_cli_test

selftest_progs = \
	$(foreach t,$(selftest_names),selftests/primeshare/primeshare_$(t)_test) \
	$(foreach t,$(selftest_names32),selftests/primeshare/primeshare_$(t)_test32) \
	$(selftest_lib_progs)

noinst_PROGRAMS += \
	selftests/primeshare/primeshare_info_test \
	selftests/primeshare/primeshare_vgem_test \
	selftests/primeshare/primeshare_export_test \
	selftests/primeshare/primeshare_import_test \
	selftests/primeshare/primeshare_access_test \
	selftests/primeshare/primeshare_export_test32 \
	selftests/primeshare/primeshare_import_test32

selftest_cppflags = -I$(KSELFTEST_DIR) $(AM_CPPFLAGS) -D_GNU_SOURCE
selftest_cflags = -std=gnu11 -O2 -Wall
selftest_ldadd = -lpthread
selftest_headers = selftests/primeshare/ps_test.h

selftests_primeshare_primeshare_info_test_SOURCES = \
	selftests/primeshare/primeshare_info_test.c $(selftest_headers)
selftests_primeshare_primeshare_info_test_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_info_test_CFLAGS = $(selftest_cflags)
selftests_primeshare_primeshare_info_test_LDADD = $(selftest_ldadd)

selftests_primeshare_primeshare_vgem_test_SOURCES = \
	selftests/primeshare/primeshare_vgem_test.c $(selftest_headers)
selftests_primeshare_primeshare_vgem_test_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_vgem_test_CFLAGS = $(selftest_cflags)
selftests_primeshare_primeshare_vgem_test_LDADD = $(selftest_ldadd)

selftests_primeshare_primeshare_export_test_SOURCES = \
	selftests/primeshare/primeshare_export_test.c $(selftest_headers)
selftests_primeshare_primeshare_export_test_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_export_test_CFLAGS = $(selftest_cflags)
selftests_primeshare_primeshare_export_test_LDADD = $(selftest_ldadd)

selftests_primeshare_primeshare_import_test_SOURCES = \
	selftests/primeshare/primeshare_import_test.c $(selftest_headers)
selftests_primeshare_primeshare_import_test_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_import_test_CFLAGS = $(selftest_cflags)
selftests_primeshare_primeshare_import_test_LDADD = $(selftest_ldadd)

selftests_primeshare_primeshare_access_test_SOURCES = \
	selftests/primeshare/primeshare_access_test.c $(selftest_headers)
selftests_primeshare_primeshare_access_test_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_access_test_CFLAGS = $(selftest_cflags)
selftests_primeshare_primeshare_access_test_LDADD = $(selftest_ldadd)

selftests_primeshare_primeshare_export_test32_SOURCES = \
	selftests/primeshare/primeshare_export_test.c $(selftest_headers)
selftests_primeshare_primeshare_export_test32_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_export_test32_CFLAGS = $(selftest_cflags) -m32 -Wno-pointer-to-int-cast
selftests_primeshare_primeshare_export_test32_LDFLAGS = -m32
selftests_primeshare_primeshare_export_test32_LDADD = $(selftest_ldadd)

selftests_primeshare_primeshare_import_test32_SOURCES = \
	selftests/primeshare/primeshare_import_test.c $(selftest_headers)
selftests_primeshare_primeshare_import_test32_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_import_test32_CFLAGS = $(selftest_cflags) -m32 -Wno-pointer-to-int-cast
selftests_primeshare_primeshare_import_test32_LDFLAGS = -m32
selftests_primeshare_primeshare_import_test32_LDADD = $(selftest_ldadd)

noinst_PROGRAMS += $(selftest_lib_progs)

selftests_primeshare_libprimeshare_test_SOURCES = \
	selftests/primeshare/libprimeshare_test.c $(selftest_headers)
selftests_primeshare_libprimeshare_test_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_libprimeshare_test_CFLAGS = $(selftest_cflags)
selftests_primeshare_libprimeshare_test_LDADD = lib/libprimeshare.la $(selftest_ldadd)

selftests_primeshare_primeshare_cli_test_SOURCES = \
	selftests/primeshare/primeshare_cli_test.c $(selftest_headers)
selftests_primeshare_primeshare_cli_test_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_cli_test_CFLAGS = $(selftest_cflags)
selftests_primeshare_primeshare_cli_test_LDADD = $(selftest_ldadd)

EXTRA_DIST += selftests/primeshare/Makefile selftests/primeshare/config

# kselftest_harness.h, kselftest.h and checkpatch.pl, from linux-source.
BUILT_SOURCES += kernel-tools/source
kernel-tools/source:
	$(AM_V_GEN)$(SHELL) $(top_srcdir)/tools/extract-kernel-tools \
		'$(LINUX_SOURCE_TARBALL)' kernel-tools
clean-local: clean-kernel-tools
clean-kernel-tools:
	-rm -rf kernel-tools
.PHONY: clean-kernel-tools
