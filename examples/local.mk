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
		--out '$(abs_top_builddir)/demo' -- \
		$(SHELL) $(abs_top_srcdir)/scripts/vm/vm-run --kernel '$(DEMO_KERNEL)' \
		--cache '$(abs_top_builddir)/vm' --timeout 300 \
		--module '$(abs_top_builddir)/kernel/build/$(DEMO_KERNEL)/primeshare.ko' \
		-- $(abs_top_srcdir)/scripts/demo-guest '$(abs_top_builddir)'
else !ENABLE_VULKAN_LAYER
demo:
	@echo "make demo: needs the Vulkan layer; configure without --disable-vulkan-layer" >&2; exit 1
endif !ENABLE_VULKAN_LAYER

clean-local: clean-demo
clean-demo:
	-rm -rf demo

.PHONY: demo clean-demo

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
