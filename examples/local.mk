# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# examples/: programs that show how the library and the layer are used.
# Not installed.  The demo's Vulkan boilerplate (device, queue, buffers,
# command buffers) comes from the helpers the tests and benchmarks share,
# tests/common/libcommon.a, so that what it shows is the NV calls.

# The demo (README command 1, scripts/run-demo): in the VM on the default
# kernel, with primeshare.ko loaded, nv_share_demo renders a picture into an
# image exported through VK_NV_external_memory_win32 as a KMT handle, and an
# unrelated process imports, verifies and saves it (scripts/demo-guest).
# scripts/demo-host shows the run and saves the picture in demo/received.png.
DEMO_KERNEL = $(lastword $(VM_KERNELS))
if ENABLE_VULKAN_LAYER
noinst_PROGRAMS += examples/nv_share_demo
examples_nv_share_demo_SOURCES = examples/nv_share_demo.c
examples_nv_share_demo_CPPFLAGS = $(AM_CPPFLAGS) $(test_common_cppflags)
examples_nv_share_demo_CFLAGS = $(AM_CFLAGS) $(VULKAN_CFLAGS) $(LIBPNG_CFLAGS)
examples_nv_share_demo_LDADD = $(test_common_lib) lib/libprimeshare.la \
	$(VULKAN_LIBS) $(LIBPNG_LIBS)

demo: ps-need-module all modules-all \
		lib/layer/explicit/VkLayer_primeshare_nv_external_memory.json
	$(AM_V_at)$(SHELL) $(top_srcdir)/scripts/demo-host \
		--out '$(abs_top_builddir)/demo' \
		--about '256x256: the letters PS in white blocks on coloured rings, in a navy frame, as B received it' -- \
		$(SHELL) $(abs_top_srcdir)/scripts/vm/vm-run --kernel '$(DEMO_KERNEL)' \
		--cache '$(abs_top_builddir)/vm' --timeout 300 \
		--module '$(abs_top_builddir)/kernel/build/$(DEMO_KERNEL)/primeshare.ko' \
		-- $(abs_top_srcdir)/scripts/demo-guest '$(abs_top_builddir)'
else !ENABLE_VULKAN_LAYER
demo:
	@echo "make demo: needs the Vulkan layer; configure without --disable-vulkan-layer" >&2; exit 1
endif !ENABLE_VULKAN_LAYER

# The keyed-mutex demo (make demo-km): in the same VM, km_share_demo
# export and km_share_demo join, two unrelated processes, take turns on
# one image by its keyed mutex, DEMO_KM_ROUNDS turns each on a
# DEMO_KM_SIZE square, and A writes the picture of the run, saved in
# demo/keyed-mutex.png.  Its compute shader needs glslangValidator.
DEMO_KM_SIZE = 512
DEMO_KM_ROUNDS = 256
# With 2 x 256 turns on 512 rows, generation k is row k: the picture is
# the run from the top down; more turns wrap around.  The VM's limit: a
# round trip takes about 17 ms at 256 x 256 under TCG, 160 ms at 1024 x
# 1024.
DEMO_KM_TIMEOUT = 600
EXTRA_DIST += examples/shaders/km_share_demo.comp
if ENABLE_GPU_SHARE
noinst_PROGRAMS += examples/km_share_demo
examples_km_share_demo_SOURCES = examples/km_share_demo.c
nodist_examples_km_share_demo_SOURCES = examples/km_share_demo_spv.h
examples_km_share_demo_CPPFLAGS = $(AM_CPPFLAGS) $(test_common_cppflags) \
	-I$(top_builddir)/examples
examples_km_share_demo_CFLAGS = $(AM_CFLAGS) $(VULKAN_CFLAGS)
examples_km_share_demo_LDADD = $(test_common_lib) lib/libprimeshare.la \
	$(VULKAN_LIBS) $(LIBPNG_LIBS)
BUILT_SOURCES += examples/km_share_demo_spv.h
CLEANFILES += examples/km_share_demo_spv.h
examples/km_share_demo_spv.h: $(srcdir)/examples/shaders/km_share_demo.comp
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(GLSLANG) -s -V \
		--target-env vulkan1.1 --vn km_share_demo_spv -o $@.tmp $< && \
		mv $@.tmp $@
# BUILT_SOURCES makes the header before all, check and install only.
examples/km_share_demo-km_share_demo.$(OBJEXT): examples/km_share_demo_spv.h

demo-km: ps-need-module all modules-all \
		lib/layer/explicit/VkLayer_primeshare_nv_external_memory.json
	$(AM_V_at)$(SHELL) $(top_srcdir)/scripts/demo-host \
		--out '$(abs_top_builddir)/demo' --picture keyed-mutex.png \
		--about 'Rule 30, one generation a turn; orange rows written by A, blue rows by B' -- \
		$(SHELL) $(abs_top_srcdir)/scripts/vm/vm-run --kernel '$(DEMO_KERNEL)' \
		--cache '$(abs_top_builddir)/vm' --timeout $(DEMO_KM_TIMEOUT) \
		--module '$(abs_top_builddir)/kernel/build/$(DEMO_KERNEL)/primeshare.ko' \
		-- $(abs_top_srcdir)/scripts/demo-guest '$(abs_top_builddir)' \
		keyed-mutex $(DEMO_KM_SIZE) $(DEMO_KM_ROUNDS)
else !ENABLE_GPU_SHARE
demo-km:
	@echo "make demo-km: needs the Vulkan layer and glslangValidator (apt-get install glslang-tools), then configure again" >&2; exit 1
endif !ENABLE_GPU_SHARE

clean-local: clean-demo
clean-demo:
	-rm -rf demo

.PHONY: demo demo-km clean-demo

# The pkg-config consumer: install into a staging root with make install
# DESTDIR=..., build examples/consumer.c with nothing but what pkg-config
# says for primeshare and libdrm there; vm-check runs it against the module.
# The rpath points into the staging root, so the program runs on the
# installed library, not the build tree's.
consumer_root = $(abs_top_builddir)/examples/consumer-root
# The staged primeshare.pc names the real prefix; its copy in pkgconfig/
# points into the staging root, as a sysroot would.
consumer_pc = PKG_CONFIG_PATH='$(consumer_root)/pkgconfig'
examples/consumer: $(top_srcdir)/examples/consumer.c lib/libprimeshare.la
	$(AM_V_GEN)rm -rf '$(consumer_root)' && \
	$(MAKE) $(AM_MAKEFLAGS) install-libLTLIBRARIES install-includeHEADERS \
		install-pkgconfigDATA DESTDIR='$(consumer_root)' >/dev/null && \
	$(MKDIR_P) '$(consumer_root)/pkgconfig' && \
	$(SED) 's|^prefix=.*|prefix=$(consumer_root)$(prefix)|' \
		'$(consumer_root)$(pkgconfigdir)/primeshare.pc' \
		>'$(consumer_root)/pkgconfig/primeshare.pc' && \
	flags=$$($(consumer_pc) $(PKG_CONFIG) --cflags --libs primeshare libdrm) && \
	$(MKDIR_P) examples && \
	$(CC) -std=gnu11 -Wall -Wextra -Werror -o $@ \
		$(top_srcdir)/examples/consumer.c $$flags \
		-Wl,-rpath,'$(consumer_root)$(libdir)'
EXTRA_DIST += examples/consumer.c
clean-local: clean-consumer
clean-consumer:
	-rm -rf examples/consumer-root examples/consumer
.PHONY: clean-consumer
