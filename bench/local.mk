# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# bench/: the benchmarks and their runners.
#
# make bench: primeshare_bench in the VM on every kernel of VM_KERNELS,
# then layer_bench (the layer's NV path against the same work by hand, and
# its pass-through overhead) in the same VM run; reports and plots in
# bench-results/ of the build tree (bench/bench-run).  BENCH_ARGS=-q for a
# short run.
noinst_PROGRAMS += bench/primeshare_bench
bench_primeshare_bench_SOURCES = bench/primeshare_bench.c
bench_primeshare_bench_CPPFLAGS = $(AM_CPPFLAGS) $(test_common_cppflags)
bench_primeshare_bench_LDADD = $(test_common_lib) -lpthread -lm
EXTRA_DIST += bench/bench-run bench/bench-guest
BENCH_ARGS =
if ENABLE_VULKAN_LAYER
noinst_PROGRAMS += bench/layer_bench
bench_layer_bench_SOURCES = bench/layer_bench.c
bench_layer_bench_CPPFLAGS = $(AM_CPPFLAGS) $(test_common_cppflags)
bench_layer_bench_CFLAGS = $(AM_CFLAGS) $(VULKAN_CFLAGS)
bench_layer_bench_LDADD = $(test_common_lib) lib/libprimeshare.la \
	$(VULKAN_LIBS) -lm
BENCH_LAYER_DEPS = lib/layer/explicit/VkLayer_primeshare_nv_external_memory.json
endif ENABLE_VULKAN_LAYER
bench: ps-need-module all modules-all $(BENCH_LAYER_DEPS)
	$(AM_V_at)$(SHELL) $(top_srcdir)/bench/bench-run \
		--builddir '$(abs_top_builddir)' --kernels '$(VM_KERNELS)' \
		--out '$(abs_top_builddir)/bench-results' -- $(BENCH_ARGS)
clean-local: clean-bench
clean-bench:
	-rm -rf bench-results
.PHONY: bench clean-bench
