# SPDX-License-Identifier: MIT

tools_scripts = \
	tools/setup.sh \
	tools/kbuild.sh \
	tools/extract-kernel-tools \
	tools/vm-run \
	tools/vm-guest-init \
	tools/vm-tests \
	tools/vm-check \
	tools/vm-run-selftest \
	tools/run-demo \
	tools/run-tests \
	tools/demo-skeleton \
	tools/build.sh

EXTRA_DIST += $(tools_scripts)

VM_KERNELS = @VM_KERNELS@
VM_RUNNER_TESTS = yes

# Test programs vm-check runs in the guest, in this order.
vm_test_programs = $(selftest_progs)

vm-check: all modules-all
	$(AM_V_at)$(SHELL) $(top_srcdir)/tools/vm-check \
		--builddir '$(abs_top_builddir)' --kernels '$(VM_KERNELS)' \
		$(if $(filter yes,$(VM_RUNNER_TESTS)),--runner-tests) \
		-- $(addprefix $(abs_top_builddir)/,$(vm_test_programs))

.PHONY: vm-check

noinst_PROGRAMS += tools/pipeline-demo
tools_pipeline_demo_SOURCES = tools/pipeline_demo.c

# The demo in the VM on the default kernel (README command 1).
DEMO_KERNEL = $(lastword $(VM_KERNELS))
demo: all modules-all
	$(AM_V_at)$(SHELL) $(top_srcdir)/tools/vm-run --kernel '$(DEMO_KERNEL)' \
		--cache '$(abs_top_builddir)/vm' --timeout 300 \
		--module '$(abs_top_builddir)/kernel/build/$(DEMO_KERNEL)/primeshare.ko' \
		-- $(abs_top_srcdir)/tools/demo-skeleton $(abs_top_builddir)/tools/pipeline-demo

.PHONY: demo
