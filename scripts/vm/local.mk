# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# The debug kernel (Documentation/testing.rst, "The debug kernel").
#
#   make debug-kernel     build it, or find it cached, in debug-kernel/
#   make vm-check-debug   primeshare.ko against it, then in one boot every
#                         VM test program and a fuzz campaign of
#                         DEBUG_FUZZ_CALLS ioctls, a kmemleak scan after
#                         them; then the debug kernel's self-test
#                         (tools/vm-debug-selftest)
#
# Any KASAN, UBSAN, lockdep, debugobjects, kmemleak or other kernel report
# fails the run.

DEBUG_KERNEL_CACHE = $(abs_top_builddir)/debug-kernel
DEBUG_KERNEL_JOBS = 2
# Limit of the one boot that runs the suite and the campaign.
VM_DEBUG_TIMEOUT = 21600
# The campaign: selftests/primeshare/primeshare_fuzz, when the tree builds
# it, with this many calls and seed, within DEBUG_FUZZ_SECONDS (a campaign
# the time limit cuts short fails the run).  DEBUG_FUZZ_ARGS adds options
# in vm-tests' form, each after '::' (e.g. ::-p::4::-j::2).
DEBUG_FUZZ_PROGRAM = selftests/primeshare/primeshare_fuzz
DEBUG_FUZZ_CALLS = 1000000
DEBUG_FUZZ_SEED = 1
DEBUG_FUZZ_SECONDS = 14400
DEBUG_FUZZ_ARGS =
# no: skip tools/vm-debug-selftest.
DEBUG_SELFTEST = yes

debug_kernel_current = $(DEBUG_KERNEL_CACHE)/current
debug_fuzz_prog = $(filter $(DEBUG_FUZZ_PROGRAM)$(EXEEXT),\
	$(noinst_PROGRAMS) $(check_PROGRAMS))
# The suite without any short campaign it holds, the tests that need the
# debug kernel (fault injection); then the long campaign.
debug_test_programs = \
	$(filter-out $(DEBUG_FUZZ_PROGRAM) $(DEBUG_FUZZ_PROGRAM)::%,$(vm_test_programs)) \
	$(selftest_debug_progs) \
	$(if $(debug_fuzz_prog),$(DEBUG_FUZZ_PROGRAM)::-s::$(DEBUG_FUZZ_SEED)::-n::$(DEBUG_FUZZ_CALLS)::-t::$(DEBUG_FUZZ_SECONDS)$(DEBUG_FUZZ_ARGS))
# What the programs are made from: their names without the ::arguments.
debug_test_targets = $(foreach p,$(debug_test_programs),$(firstword $(subst ::, ,$(p))))

debug-kernel: ps-need-module
	$(AM_V_at)$(SHELL) $(top_srcdir)/tools/build-debug-kernel \
		--cache '$(DEBUG_KERNEL_CACHE)' --jobs '$(DEBUG_KERNEL_JOBS)' \
		$(if $(LINUX_SOURCE_TARBALL),--tarball '$(LINUX_SOURCE_TARBALL)')

vm-check-debug: ps-need-module all debug-kernel $(debug_test_targets) $(layer_vm_deps)
	$(AM_V_at)set -e; dk='$(debug_kernel_current)'; \
	rel=$$(cat "$$dk/release"); \
	echo "  KBUILD   $$rel"; \
	$(SHELL) $(top_srcdir)/tools/kbuild.sh "$$dk/obj" '$(abs_top_srcdir)' \
		'$(abs_top_builddir)/kernel/build' $(KBUILD_FLAGS); \
	$(if $(debug_fuzz_prog),\
		echo "  FUZZ     $(DEBUG_FUZZ_CALLS) calls with seed $(DEBUG_FUZZ_SEED)";,\
		echo "  FUZZ     none: this tree builds no $(DEBUG_FUZZ_PROGRAM)";) \
	start=$$(date +%s); status=0; \
	{ VM_TIMEOUT='$(VM_DEBUG_TIMEOUT)' $(SHELL) $(top_srcdir)/tools/vm-check \
		--builddir '$(abs_top_builddir)' --kernels "$$rel" \
		--vm-run-arg --kernel-image --vm-run-arg "$$dk/vmlinuz" \
		--vm-run-arg --modules-dir --vm-run-arg "$$dk/modules/lib/modules/$$rel" \
		--vm-run-arg --kmemleak \
		-- $(addprefix $(abs_top_builddir)/,$(debug_test_programs)) 2>&1; \
		echo "# vm-check exit status $$?"; } | tee vm-check-debug.log; \
	grep -q '^# vm-check exit status 0$$' vm-check-debug.log || status=1; \
	if grep -q 'stopped by the time limit' vm-check-debug.log; then \
		echo "vm-check-debug: the fuzz campaign ran out of time before $(DEBUG_FUZZ_CALLS) calls (raise DEBUG_FUZZ_SECONDS)"; \
		status=1; \
	fi; \
	echo "  TIME     suite on the debug kernel: $$(( $$(date +%s) - start ))s"; \
	if test '$(DEBUG_SELFTEST)' = yes; then \
		$(SHELL) $(top_srcdir)/tools/vm-debug-selftest \
			--builddir '$(abs_top_builddir)' --kernel-dir "$$dk" \
			>debug-selftest.tap; \
		cat debug-selftest.tap; \
		if grep -q '^not ok' debug-selftest.tap; then status=1; fi; \
		rm -f debug-selftest.tap; \
	fi; \
	exit $$status

EXTRA_DIST += tools/build-debug-kernel tools/debug-kernel.config \
	tools/vm-debug-selftest \
	tests/debug-provoke/Kbuild tests/debug-provoke/ps_debug_provoke.c

CLEANFILES += vm-check-debug.log

clean-local: clean-debug-kernel-tests
clean-debug-kernel-tests:
	-rm -rf vm/debug-provoke
# The kernel build takes long: only `make clean-debug-kernel` removes it.
clean-debug-kernel:
	-rm -rf '$(DEBUG_KERNEL_CACHE)'

.PHONY: debug-kernel vm-check-debug clean-debug-kernel clean-debug-kernel-tests
