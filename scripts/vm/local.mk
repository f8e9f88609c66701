# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# scripts/vm/: the VM test bed (Documentation/testing.rst).  vm-run boots
# a stock Debian kernel under QEMU with the host's root file system; the
# targets here run the tests, the fuzzer and the debug kernel in it.
#
#   make vm-check         every VM test on every kernel of VM_KERNELS
#   make fuzz             a long fuzz campaign on one kernel
#   make debug-kernel     build the debug kernel, or find it cached, in
#                         debug-kernel/
#   make deb-check        the Debian packages (debian/): built from the
#                         release tree, linted, then installed, used and
#                         purged in the VM on every kernel of VM_KERNELS
#   make vm-check-debug   primeshare.ko against it, then in one boot every
#                         VM test program and a fuzz campaign of
#                         DEBUG_FUZZ_CALLS ioctls, a kmemleak scan after
#                         them; then the debug kernel's self-test
#                         (scripts/vm/vm-debug-selftest)
#
# Any KASAN, UBSAN, lockdep, debugobjects, kmemleak or other kernel report
# fails the run.

EXTRA_DIST += \
	scripts/vm/vm-run \
	scripts/vm/vm-guest-init \
	scripts/vm/vm-tests \
	scripts/vm/vm-check \
	scripts/vm/vm-run-selftest \
	scripts/vm/vm-debug-selftest \
	scripts/vm/deb-check \
	scripts/vm/deb-guest \
	scripts/vm/build-debug-kernel \
	scripts/vm/debug-kernel.config \
	scripts/vm/provoke/Kbuild \
	scripts/vm/provoke/ps_provoke.c \
	scripts/vm/debug-provoke/Kbuild \
	scripts/vm/debug-provoke/ps_debug_provoke.c

VM_KERNELS = @VM_KERNELS@
VM_RUNNER_TESTS = yes

# Test programs vm-check runs in the guest, in this order.
vm_test_programs = $(selftest_progs) $(vm_test_lib_progs) \
	examples/consumer::$(consumer_root)$(libdir) \
	$(layer_vm_test_programs)

vm-check: ps-need-module all modules-all examples/consumer $(layer_vm_deps)
	$(AM_V_at)$(SHELL) $(top_srcdir)/scripts/vm/vm-check \
		--builddir '$(abs_top_builddir)' --kernels '$(VM_KERNELS)' \
		$(if $(filter yes,$(VM_RUNNER_TESTS)),--runner-tests) \
		-- $(addprefix $(abs_top_builddir)/,$(vm_test_programs))

.PHONY: vm-check

# make fuzz: a long campaign of the ioctl fuzzer in the VM on one kernel,
# FUZZ_KERNEL (the newest by default).  FUZZ_SEED is random when empty; the
# seed is printed either way, and a failing run prints the command that
# replays it.  The campaign ends after FUZZ_CALLS ioctls or FUZZ_SECONDS,
# whichever comes first.
FUZZ_KERNEL = $(lastword $(VM_KERNELS))
FUZZ_SEED =
FUZZ_CALLS = 10000000
FUZZ_SECONDS = 600
FUZZ_PROCS = 5
FUZZ_THREADS = 2

fuzz: ps-need-module all $(selftest_fuzz)$(EXEEXT)
	+$(AM_V_at)set -e; k='$(FUZZ_KERNEL)'; \
	test -n "$$k" || { echo "fuzz: no kernel (set FUZZ_KERNEL)" >&2; exit 2; }; \
	echo "  KBUILD   $$k"; \
	$(SHELL) $(top_srcdir)/kernel/kbuild.sh "/lib/modules/$$k/build" \
		'$(abs_top_srcdir)' '$(abs_top_builddir)/kernel/build' \
		$(KBUILD_FLAGS); \
	seed='$(FUZZ_SEED)'; \
	test -n "$$seed" || seed=0x$$(od -An -N8 -tx8 /dev/urandom | tr -d ' '); \
	args="-s $$seed -n $(FUZZ_CALLS) -t $(FUZZ_SECONDS) -p $(FUZZ_PROCS) -j $(FUZZ_THREADS)"; \
	replay="make fuzz FUZZ_KERNEL=$$k FUZZ_SEED=$$seed FUZZ_CALLS=$(FUZZ_CALLS) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_PROCS=$(FUZZ_PROCS) FUZZ_THREADS=$(FUZZ_THREADS)"; \
	echo "  FUZZ     $$k: $$args"; \
	$(SHELL) $(top_srcdir)/scripts/vm/vm-run --kernel "$$k" \
		--cache '$(abs_top_builddir)/vm' \
		--timeout $$(( $(FUZZ_SECONDS) + 120 )) \
		--module "$(abs_top_builddir)/kernel/build/$$k/primeshare.ko" \
		-- '$(abs_top_builddir)/$(selftest_fuzz)' $$args || \
	{ echo "fuzz: FAILED on $$k with seed $$seed; replay: $$replay"; exit 1; }; \
	echo "fuzz: passed on $$k with seed $$seed"

.PHONY: fuzz

# The debug kernel (Documentation/testing.rst, "The debug kernel").

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
# no: skip scripts/vm/vm-debug-selftest.
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
	$(AM_V_at)$(SHELL) $(top_srcdir)/scripts/vm/build-debug-kernel \
		--cache '$(DEBUG_KERNEL_CACHE)' --jobs '$(DEBUG_KERNEL_JOBS)' \
		$(if $(LINUX_SOURCE_TARBALL),--tarball '$(LINUX_SOURCE_TARBALL)')

vm-check-debug: ps-need-module all debug-kernel $(debug_test_targets) $(layer_vm_deps)
	$(AM_V_at)set -e; dk='$(debug_kernel_current)'; \
	rel=$$(cat "$$dk/release"); \
	echo "  KBUILD   $$rel"; \
	$(SHELL) $(top_srcdir)/kernel/kbuild.sh "$$dk/obj" '$(abs_top_srcdir)' \
		'$(abs_top_builddir)/kernel/build' $(KBUILD_FLAGS); \
	$(if $(debug_fuzz_prog),\
		echo "  FUZZ     $(DEBUG_FUZZ_CALLS) calls with seed $(DEBUG_FUZZ_SEED)";,\
		echo "  FUZZ     none: this tree builds no $(DEBUG_FUZZ_PROGRAM)";) \
	start=$$(date +%s); status=0; \
	{ VM_TIMEOUT='$(VM_DEBUG_TIMEOUT)' $(SHELL) $(top_srcdir)/scripts/vm/vm-check \
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
		$(SHELL) $(top_srcdir)/scripts/vm/vm-debug-selftest \
			--builddir '$(abs_top_builddir)' --kernel-dir "$$dk" \
			>debug-selftest.tap; \
		cat debug-selftest.tap; \
		if grep -q '^not ok' debug-selftest.tap; then status=1; fi; \
		rm -f debug-selftest.tap; \
	fi; \
	exit $$status

CLEANFILES += vm-check-debug.log

clean-local: clean-debug-kernel-tests
clean-debug-kernel-tests:
	-rm -rf vm/debug-provoke
# The kernel build takes long: only `make clean-debug-kernel` removes it.
clean-debug-kernel:
	-rm -rf '$(DEBUG_KERNEL_CACHE)'

.PHONY: debug-kernel vm-check-debug clean-debug-kernel clean-debug-kernel-tests

# make deb-check (scripts/vm/deb-check): the library tests it runs on the
# installed library are the VM test program built here.
deb-check: ps-need-module all
	$(AM_V_at)$(SHELL) $(top_srcdir)/scripts/vm/deb-check \
		--builddir '$(abs_top_builddir)' --kernels '$(VM_KERNELS)'

.PHONY: deb-check
