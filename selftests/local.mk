# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# kselftests of primeshare.ko.  They run in the VM (make vm-check), never on
# the host.  The harness headers come from $(KSELFTEST_DIR).

selftest_names = info vgem export import access fault race matrix review \
	limits keyed_mutex
# The BPF LSM test, where configure found clang, bpftool and libbpf.
if ENABLE_BPF_LSM_TEST
selftest_names += lsm
endif ENABLE_BPF_LSM_TEST
# The export and import tests again as 32-bit programs: the compat path.
# The harness casts pointers to uintmax_t when reporting, which -m32 warns
# about in the harness itself.
selftest_names32 = export import keyed_mutex

# The ioctl fuzzer.  Its defaults are vm-check's short campaign: 200000
# calls, at most 120 s, a random seed that it prints.  `make fuzz` runs a
# longer one.
selftest_fuzz = selftests/primeshare/primeshare_fuzz

# Only on the debug kernel (make vm-check-debug, scripts/vm/local.mk): it
# needs fault injection, which Debian's kernels leave out.
selftest_debug_progs = selftests/primeshare/primeshare_failnth_test

selftest_progs = \
	$(foreach t,$(selftest_names),selftests/primeshare/primeshare_$(t)_test) \
	$(foreach t,$(selftest_names32),selftests/primeshare/primeshare_$(t)_test32) \
	$(selftest_fuzz)

# None of them with --disable-selftests (or --disable-module).
if ENABLE_SELFTESTS
noinst_PROGRAMS += \
	selftests/primeshare/primeshare_info_test \
	selftests/primeshare/primeshare_vgem_test \
	selftests/primeshare/primeshare_export_test \
	selftests/primeshare/primeshare_import_test \
	selftests/primeshare/primeshare_access_test \
	selftests/primeshare/primeshare_fault_test \
	selftests/primeshare/primeshare_race_test \
	selftests/primeshare/primeshare_matrix_test \
	selftests/primeshare/primeshare_review_test \
	selftests/primeshare/primeshare_limits_test \
	selftests/primeshare/primeshare_keyed_mutex_test \
	selftests/primeshare/primeshare_fuzz \
	selftests/primeshare/primeshare_failnth_test \
	selftests/primeshare/primeshare_export_test32 \
	selftests/primeshare/primeshare_import_test32 \
	selftests/primeshare/primeshare_keyed_mutex_test32
endif ENABLE_SELFTESTS

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

selftests_primeshare_primeshare_failnth_test_SOURCES = \
	selftests/primeshare/primeshare_failnth_test.c $(selftest_headers)
selftests_primeshare_primeshare_failnth_test_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_failnth_test_CFLAGS = $(selftest_cflags)
selftests_primeshare_primeshare_failnth_test_LDADD = $(selftest_ldadd)

selftests_primeshare_primeshare_fault_test_SOURCES = \
	selftests/primeshare/primeshare_fault_test.c $(selftest_headers)
selftests_primeshare_primeshare_fault_test_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_fault_test_CFLAGS = $(selftest_cflags)
selftests_primeshare_primeshare_fault_test_LDADD = $(selftest_ldadd)

selftests_primeshare_primeshare_race_test_SOURCES = \
	selftests/primeshare/primeshare_race_test.c $(selftest_headers)
selftests_primeshare_primeshare_race_test_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_race_test_CFLAGS = $(selftest_cflags)
selftests_primeshare_primeshare_race_test_LDADD = $(selftest_ldadd)

selftests_primeshare_primeshare_matrix_test_SOURCES = \
	selftests/primeshare/primeshare_matrix_test.c $(selftest_headers)
selftests_primeshare_primeshare_matrix_test_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_matrix_test_CFLAGS = $(selftest_cflags)
selftests_primeshare_primeshare_matrix_test_LDADD = $(selftest_ldadd)

# primeshare_lsm_test embeds primeshare_lsm.bpf.o through a skeleton
# that bpftool makes from it.
if ENABLE_SELFTESTS
if ENABLE_BPF_LSM_TEST
noinst_PROGRAMS += selftests/primeshare/primeshare_lsm_test
endif ENABLE_BPF_LSM_TEST
endif ENABLE_SELFTESTS
selftest_lsm_bpf = selftests/primeshare/primeshare_lsm.bpf
selftests_primeshare_primeshare_lsm_test_SOURCES = \
	selftests/primeshare/primeshare_lsm_test.c $(selftest_headers)
nodist_selftests_primeshare_primeshare_lsm_test_SOURCES = \
	selftests/primeshare/primeshare_lsm.skel.h
selftests_primeshare_primeshare_lsm_test_CPPFLAGS = $(selftest_cppflags) \
	-I$(top_builddir)/selftests/primeshare $(LIBBPF_CFLAGS)
selftests_primeshare_primeshare_lsm_test_CFLAGS = $(selftest_cflags)
selftests_primeshare_primeshare_lsm_test_LDADD = $(LIBBPF_LIBS) $(selftest_ldadd)
$(selftests_primeshare_primeshare_lsm_test_OBJECTS): \
	selftests/primeshare/primeshare_lsm.skel.h
$(selftest_lsm_bpf).o: $(selftest_lsm_bpf).c
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(CLANG) -target bpf -O2 -g -Wall $(BPF_CPPFLAGS) -c $< -o $@
selftests/primeshare/primeshare_lsm.skel.h: $(selftest_lsm_bpf).o
	$(AM_V_GEN)$(BPFTOOL) gen skeleton $< name primeshare_lsm >$@.tmp && \
	mv $@.tmp $@
CLEANFILES += $(selftest_lsm_bpf).o selftests/primeshare/primeshare_lsm.skel.h
EXTRA_DIST += $(selftest_lsm_bpf).c

selftests_primeshare_primeshare_review_test_SOURCES = \
	selftests/primeshare/primeshare_review_test.c $(selftest_headers)
selftests_primeshare_primeshare_review_test_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_review_test_CFLAGS = $(selftest_cflags)
selftests_primeshare_primeshare_review_test_LDADD = $(selftest_ldadd)

selftests_primeshare_primeshare_limits_test_SOURCES = \
	selftests/primeshare/primeshare_limits_test.c $(selftest_headers)
selftests_primeshare_primeshare_limits_test_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_limits_test_CFLAGS = $(selftest_cflags)
selftests_primeshare_primeshare_limits_test_LDADD = $(selftest_ldadd)

selftests_primeshare_primeshare_keyed_mutex_test_SOURCES = \
	selftests/primeshare/primeshare_keyed_mutex_test.c $(selftest_headers)
selftests_primeshare_primeshare_keyed_mutex_test_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_keyed_mutex_test_CFLAGS = $(selftest_cflags)
selftests_primeshare_primeshare_keyed_mutex_test_LDADD = $(selftest_ldadd)

selftests_primeshare_primeshare_fuzz_SOURCES = \
	selftests/primeshare/primeshare_fuzz.c $(selftest_headers)
selftests_primeshare_primeshare_fuzz_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_fuzz_CFLAGS = $(selftest_cflags)
selftests_primeshare_primeshare_fuzz_LDADD = $(selftest_ldadd)

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

selftests_primeshare_primeshare_keyed_mutex_test32_SOURCES = \
	selftests/primeshare/primeshare_keyed_mutex_test.c $(selftest_headers)
selftests_primeshare_primeshare_keyed_mutex_test32_CPPFLAGS = $(selftest_cppflags)
selftests_primeshare_primeshare_keyed_mutex_test32_CFLAGS = $(selftest_cflags) -m32 -Wno-pointer-to-int-cast
selftests_primeshare_primeshare_keyed_mutex_test32_LDFLAGS = -m32
selftests_primeshare_primeshare_keyed_mutex_test32_LDADD = $(selftest_ldadd)

EXTRA_DIST += selftests/primeshare/Makefile selftests/primeshare/config \
	selftests/primeshare/settings

# kselftest_harness.h, kselftest.h and checkpatch.pl, from linux-source.
if ENABLE_SELFTESTS
BUILT_SOURCES += kernel-tools/source
endif ENABLE_SELFTESTS
kernel-tools/source: ps-need-module
	$(AM_V_GEN)$(SHELL) $(top_srcdir)/scripts/extract-kernel-tools \
		'$(LINUX_SOURCE_TARBALL)' kernel-tools
clean-local: clean-kernel-tools
clean-kernel-tools:
	-rm -rf kernel-tools
.PHONY: clean-kernel-tools
