# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# scripts/: the README's two commands (run-demo, run-tests), the setup
# and build they share, and the static checks (make lint).  The VM test
# bed is in scripts/vm/.

EXTRA_DIST += \
	scripts/setup \
	scripts/build \
	scripts/extract-kernel-tools \
	scripts/run-demo \
	scripts/run-tests \
	scripts/demo-host \
	scripts/demo-guest \
	scripts/lint

# make lint: checkpatch --strict on the kernel-style C, sparse (C=2) with
# W=1 for every kernel in VM_KERNELS, kernel-doc -Wall on the module's
# sources and the uAPI header.  Fails on any finding; see scripts/lint.
# Of the VM tests, primeshare_cli_test is kernel-style C too;
# libprimeshare_test is a client of the userspace library, whose interface
# speaks <stdint.h> types, where checkpatch would ask for kernel types.
lint_selftest_sources = $(foreach p,$(selftest_progs) $(selftest_debug_progs) \
	tests/vm/primeshare_cli_test,$($(subst -,_,$(subst /,_,$(p)))_SOURCES))
lint_checkpatch_files = \
	$(filter %.c %.h %/Kbuild,$(kernel_sources)) \
	include/uapi/primeshare.h \
	$(sort $(filter %.c %.h,$(lint_selftest_sources))) \
	selftests/primeshare/primeshare_lsm.bpf.c \
	scripts/vm/provoke/ps_provoke.c
lint_kernel_doc_files = \
	$(filter %.c %.h,$(kernel_sources)) \
	include/uapi/primeshare.h

lint: ps-need-module kernel-tools/source
	$(AM_V_at)$(SHELL) $(top_srcdir)/scripts/lint \
		--srcdir '$(abs_top_srcdir)' \
		--outdir '$(abs_top_builddir)/kernel/lint' \
		--checkpatch '$(abs_top_builddir)/kernel-tools/checkpatch/checkpatch.pl' \
		--kernels '$(VM_KERNELS)' --linux '$(LINUX)' \
		$(addprefix --kernel-doc ,$(lint_kernel_doc_files)) \
		-- $(lint_checkpatch_files)

clean-local: clean-lint
clean-lint:
	-rm -rf kernel/lint

.PHONY: lint clean-lint
