# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# tests/gpu/: the GPU suite (Documentation/gpu.rst).  gpu_share shares
# images between two processes through the layer, verifies and times it;
# its compute shaders are compiled by glslangValidator into C arrays.  It
# runs on lavapipe in make check (gpu-share.test, small sizes); make
# gpu-pack gathers everything a GPU machine needs into gpu-pack/
# (tests/gpu/gpu-suite), where `gpu-pack/run` runs the whole suite.
EXTRA_DIST += tests/gpu/gpu-suite tests/gpu/shaders/gpu_share_fill.comp \
	tests/gpu/shaders/gpu_share_read.comp tests/gpu/gpu-share.test
if ENABLE_GPU_SHARE
noinst_PROGRAMS += tests/gpu/gpu_share
tests_gpu_gpu_share_SOURCES = tests/gpu/gpu_share.h tests/gpu/gpu_share.c \
	tests/gpu/gpu_share_objects.c tests/gpu/gpu_share_setup.c \
	tests/gpu/gpu_share_peers.c tests/gpu/gpu_share_check.c \
	tests/gpu/gpu_share_bench.c
nodist_tests_gpu_gpu_share_SOURCES = tests/gpu/gpu_share_fill.h \
	tests/gpu/gpu_share_read.h
tests_gpu_gpu_share_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir)/tests/gpu \
	$(test_common_cppflags)
tests_gpu_gpu_share_CFLAGS = $(AM_CFLAGS) $(VULKAN_CFLAGS)
tests_gpu_gpu_share_LDADD = $(test_common_lib) $(VULKAN_LIBS) -lm
BUILT_SOURCES += tests/gpu/gpu_share_fill.h tests/gpu/gpu_share_read.h
CLEANFILES += tests/gpu/gpu_share_fill.h tests/gpu/gpu_share_read.h

tests/gpu/gpu_share_%.h: $(srcdir)/tests/gpu/shaders/gpu_share_%.comp
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(GLSLANG) -s -V \
		--target-env vulkan1.1 --vn gpu_share_$*_spv -o $@.tmp $< && \
		mv $@.tmp $@

# The generated headers, before the first compile (no dependency
# tracking yet then).
tests/gpu/gpu_share-gpu_share.$(OBJEXT): tests/gpu/gpu_share_fill.h \
	tests/gpu/gpu_share_read.h

TESTS += tests/gpu/gpu-share.test
tests/gpu/gpu-share.log: tests/gpu/gpu_share \
	lib/layer/libVkLayer_primeshare.la $(layer_test_manifests)

gpu-pack: all tests/gpu/gpu_share $(layer_vm_deps) $(check_PROGRAMS) \
		$(check_LTLIBRARIES)
	$(AM_V_at)$(SHELL) $(top_srcdir)/tests/gpu/gpu-suite pack \
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
