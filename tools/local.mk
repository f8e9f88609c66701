# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors

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
	tools/lint \
	tools/demo-guest \
	tools/demo-host \
	tools/build.sh

EXTRA_DIST += $(tools_scripts)

VM_KERNELS = @VM_KERNELS@
VM_RUNNER_TESTS = yes

# Test programs vm-check runs in the guest, in this order.
vm_test_programs = $(selftest_progs) \
	tests/consumer/consumer::$(consumer_root)$(libdir) \
	$(layer_vm_test_programs)

vm-check: ps-need-module all modules-all tests/consumer/consumer $(layer_vm_deps)
	$(AM_V_at)$(SHELL) $(top_srcdir)/tools/vm-check \
		--builddir '$(abs_top_builddir)' --kernels '$(VM_KERNELS)' \
		$(if $(filter yes,$(VM_RUNNER_TESTS)),--runner-tests) \
		-- $(addprefix $(abs_top_builddir)/,$(vm_test_programs))

.PHONY: vm-check

# The demo (README command 1, tools/run-demo): in the VM on the default
# kernel, with primeshare.ko loaded, nv-share-demo renders a picture into an
# image exported through VK_NV_external_memory_win32 as a KMT handle, and an
# unrelated process imports, verifies and saves it (tools/demo-guest).
# tools/demo-host shows the run and saves the picture in demo/received.png.
DEMO_KERNEL = $(lastword $(VM_KERNELS))
if ENABLE_VULKAN_LAYER
noinst_PROGRAMS += tools/nv-share-demo
tools_nv_share_demo_SOURCES = tools/nv_share_demo.c
tools_nv_share_demo_CFLAGS = $(AM_CFLAGS) $(VULKAN_CFLAGS) $(LIBPNG_CFLAGS)
tools_nv_share_demo_LDADD = lib/libprimeshare.la $(VULKAN_LIBS) $(LIBPNG_LIBS)

demo: ps-need-module all modules-all \
		lib/layer/explicit/VkLayer_primeshare_nv_external_memory.json
	$(AM_V_at)$(SHELL) $(top_srcdir)/tools/demo-host \
		--out '$(abs_top_builddir)/demo' -- \
		$(SHELL) $(abs_top_srcdir)/tools/vm-run --kernel '$(DEMO_KERNEL)' \
		--cache '$(abs_top_builddir)/vm' --timeout 300 \
		--module '$(abs_top_builddir)/kernel/build/$(DEMO_KERNEL)/primeshare.ko' \
		-- $(abs_top_srcdir)/tools/demo-guest '$(abs_top_builddir)'
else !ENABLE_VULKAN_LAYER
demo:
	@echo "make demo: needs the Vulkan layer; configure without --disable-vulkan-layer" >&2; exit 1
endif !ENABLE_VULKAN_LAYER

clean-local: clean-demo
clean-demo:
	-rm -rf demo

.PHONY: demo clean-demo

# make lint: checkpatch --strict on the kernel-style C, sparse (C=2) with
# W=1 for every kernel in VM_KERNELS, kernel-doc -Wall on the module's
# sources and the uAPI header.  Fails on any finding; see tools/lint.
# libprimeshare_test is a client of the userspace library, whose interface
# speaks <stdint.h> types; checkpatch would ask for kernel types there.
lint_selftest_sources = $(foreach p,$(filter-out %/libprimeshare_test,\
	$(selftest_progs) $(selftest_debug_progs)),$($(subst -,_,$(subst /,_,$(p)))_SOURCES))
lint_checkpatch_files = \
	$(filter %.c %.h %/Kbuild,$(kernel_sources)) \
	include/uapi/primeshare.h \
	$(sort $(filter %.c %.h,$(lint_selftest_sources))) \
	selftests/primeshare/primeshare_lsm.bpf.c \
	tests/provoke/ps_provoke.c
lint_kernel_doc_files = \
	$(filter %.c %.h,$(kernel_sources)) \
	include/uapi/primeshare.h

lint: ps-need-module kernel-tools/source
	$(AM_V_at)$(SHELL) $(top_srcdir)/tools/lint \
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

# The primeshare command (ipcs/ipcrm for handles), installed.
bin_PROGRAMS = tools/primeshare
tools_primeshare_SOURCES = tools/primeshare.c
tools_primeshare_LDADD = lib/libprimeshare.la
# Its bash completion, installed as bash-completion looks it up: by the
# command's name.
bashcompletiondir = @bashcompletiondir@
dist_bashcompletion_DATA = tools/bash-completion/primeshare

# make bench: primeshare-bench in the VM on every kernel of VM_KERNELS,
# reports and plots in bench/ (tools/bench-run).  BENCH_ARGS=-q for a
# short run.
noinst_PROGRAMS += tools/primeshare-bench
tools_primeshare_bench_SOURCES = tools/primeshare_bench.c
tools_primeshare_bench_LDADD = -lpthread -lm
EXTRA_DIST += tools/bench-run
EXTRA_DIST += tools/bench-guest
BENCH_ARGS =
# layer-bench (the layer's NV path against the same work by hand, and its
# pass-through overhead) runs in the same VM run, after primeshare-bench.
if ENABLE_VULKAN_LAYER
noinst_PROGRAMS += tools/layer-bench
tools_layer_bench_SOURCES = tools/layer_bench.c
tools_layer_bench_CFLAGS = $(AM_CFLAGS) $(VULKAN_CFLAGS)
tools_layer_bench_LDADD = lib/libprimeshare.la $(VULKAN_LIBS) -lm
BENCH_LAYER_DEPS = lib/layer/explicit/VkLayer_primeshare_nv_external_memory.json
endif ENABLE_VULKAN_LAYER
bench: ps-need-module all modules-all $(BENCH_LAYER_DEPS)
	$(AM_V_at)$(SHELL) $(top_srcdir)/tools/bench-run \
		--builddir '$(abs_top_builddir)' --kernels '$(VM_KERNELS)' \
		--out '$(abs_top_builddir)/bench' -- $(BENCH_ARGS)
clean-local: clean-bench
clean-bench:
	-rm -rf bench
.PHONY: bench clean-bench

# The GPU suite (issue: the layer on a real GPU).  gpu-share shares images
# between two processes through the layer, verifies and times it; its
# compute shaders are compiled by glslangValidator into C arrays.  It runs
# on lavapipe in make check (tests/layer/gpu-share.test, small sizes);
# make gpu-pack gathers everything a GPU machine needs into gpu-pack/
# (tools/gpu-suite), where `gpu-pack/run` runs the whole suite.
EXTRA_DIST += tools/gpu-suite tools/shaders/gpu_share_fill.comp \
	tools/shaders/gpu_share_read.comp tests/layer/gpu-share.test
if ENABLE_GPU_SHARE
noinst_PROGRAMS += tools/gpu-share
tools_gpu_share_SOURCES = tools/gpu_share.c tests/layer/vkt.c \
	tests/layer/vkt.h
nodist_tools_gpu_share_SOURCES = tools/gpu_share_fill.h \
	tools/gpu_share_read.h
tools_gpu_share_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir)/tools \
	-I$(top_srcdir)/tests/layer
tools_gpu_share_CFLAGS = $(AM_CFLAGS) $(VULKAN_CFLAGS)
tools_gpu_share_LDADD = $(VULKAN_LIBS) -lm
BUILT_SOURCES += tools/gpu_share_fill.h tools/gpu_share_read.h
CLEANFILES += tools/gpu_share_fill.h tools/gpu_share_read.h

tools/gpu_share_%.h: $(srcdir)/tools/shaders/gpu_share_%.comp
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(GLSLANG) -s -V \
		--target-env vulkan1.1 --vn gpu_share_$*_spv -o $@.tmp $< && \
		mv $@.tmp $@

# The generated headers, before the first compile (no dependency
# tracking yet then).
tools/gpu_share-gpu_share.$(OBJEXT): tools/gpu_share_fill.h \
	tools/gpu_share_read.h

TESTS += tests/layer/gpu-share.test
tests/layer/gpu-share.log: tools/gpu-share \
	lib/layer/libVkLayer_primeshare.la $(layer_test_manifests)

gpu-pack: all tools/gpu-share $(layer_vm_deps) $(check_PROGRAMS) \
		$(check_LTLIBRARIES)
	$(AM_V_at)$(SHELL) $(top_srcdir)/tools/gpu-suite pack \
		--srcdir '$(abs_top_srcdir)' --builddir '$(abs_top_builddir)' \
		--out '$(abs_top_builddir)/gpu-pack'
else !ENABLE_GPU_SHARE
gpu-pack:
	@echo "make gpu-pack: needs the Vulkan layer and glslangValidator (apt-get install glslang-tools), then configure again" >&2; exit 1
endif !ENABLE_GPU_SHARE
clean-local: clean-gpu-pack
clean-gpu-pack:
	-rm -rf gpu-pack
.PHONY: gpu-pack clean-gpu-pack
