# SPDX-License-Identifier: MIT
#
# kselftests of primeshare.ko.  They run in the VM (make vm-check), never on
# the host.  The harness headers come from $(KSELFTEST_DIR).

selftest_progs = \
	selftests/primeshare/primeshare_info_test \
	selftests/primeshare/primeshare_vgem_test

noinst_PROGRAMS += $(selftest_progs)

selftest_cppflags = -I$(KSELFTEST_DIR) $(AM_CPPFLAGS) -D_GNU_SOURCE
selftest_cflags = -std=gnu11 -O2 -Wall
selftest_ldadd = -lpthread

selftests_primeshare_primeshare_info_test_SOURCES = \
	selftests/primeshare/primeshare_info_test.c selftests/primeshare/ps_test.h
selftests_primeshare_primeshare_info_test_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_info_test_CFLAGS = $(selftest_cflags)
selftests_primeshare_primeshare_info_test_LDADD = $(selftest_ldadd)

selftests_primeshare_primeshare_vgem_test_SOURCES = \
	selftests/primeshare/primeshare_vgem_test.c selftests/primeshare/ps_test.h
selftests_primeshare_primeshare_vgem_test_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_vgem_test_CFLAGS = $(selftest_cflags)
selftests_primeshare_primeshare_vgem_test_LDADD = $(selftest_ldadd)

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
