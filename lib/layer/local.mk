# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# VK_LAYER_PRIMESHARE_nv_external_memory: VK_NV_external_memory and its
# companions on Linux.  The layer is a loadable module (soname without a
# version, only the loader entry points exported), installed in $(libdir)
# with its implicit manifest in $(datadir)/vulkan/implicit_layer.d (or its
# explicit one, configure --with-layer-manifest=explicit).  Beside them it
# makes the manifests that name the library in the build tree, which the
# tests (tests/layer/local.mk), the demo and the benchmarks load.
#
# Include after lib/local.mk, which defines lib_LTLIBRARIES and the
# sources of libprimeshare.  configure defines ENABLE_VULKAN_LAYER,
# VULKAN_CFLAGS, VULKAN_LIBS and VULKAN_API_VERSION.
#
# The layer carries its own copy of libprimeshare (a convenience library
# of the same sources) rather than depending on libprimeshare.so: an
# implicit layer is loaded into every Vulkan program, containers included,
# and must not fail for want of a library.  Its version script keeps all
# but the loader's entry points inside.

EXTRA_DIST += \
	lib/layer/gen-stypes.py \
	lib/layer/layer.map \
	lib/layer/VkLayer_primeshare_nv_external_memory.json.in \
	lib/layer/VkLayer_primeshare_nv_external_memory.json.in.license \
	lib/layer/VkLayer_primeshare_nv_external_memory_explicit.json.in \
	lib/layer/VkLayer_primeshare_nv_external_memory_explicit.json.in.license

if ENABLE_VULKAN_LAYER

# The layer is a module the loader opens by the full path its manifest
# names, not a library anything links against: it goes into a directory of
# its own, $(libdir)/primeshare, not into the linker's search path.
# ("exec" in the name: installed with the binaries, by install-exec.)
vklayerexecdir = $(libdir)/primeshare
vklayerexec_LTLIBRARIES = lib/layer/libVkLayer_primeshare.la
include_HEADERS += include/primeshare_vulkan_nv.h

# libprimeshare, built again to be linked into the layer.
noinst_LTLIBRARIES = lib/layer/libprimeshare_layer.la
lib_layer_libprimeshare_layer_la_SOURCES = $(lib_libprimeshare_la_SOURCES)
lib_layer_libprimeshare_layer_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	$(LIBDRM_CFLAGS)

lib_layer_libVkLayer_primeshare_la_SOURCES = \
	lib/layer/layer.h \
	lib/layer/layer.c \
	lib/layer/map.c \
	lib/layer/chain.c \
	lib/layer/keyed_mutex.c \
	lib/layer/backend.c \
	lib/layer/caps.c \
	lib/layer/memory.c \
	lib/layer/image.c \
	lib/layer/external.c \
	lib/layer/dedicated.c \
	lib/layer/track.c \
	lib/layer/kmt.c \
	lib/layer/prime.c \
	lib/layer/handover.c
nodist_lib_layer_libVkLayer_primeshare_la_SOURCES = lib/layer/stype-sizes.h
BUILT_SOURCES += lib/layer/stype-sizes.h
CLEANFILES += lib/layer/stype-sizes.h
lib_layer_libVkLayer_primeshare_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	-I$(builddir)/lib/layer $(VULKAN_CFLAGS) $(LIBDRM_CFLAGS)

# The sizes of the registry's structures, for editing pNext chains.
$(lib_layer_libVkLayer_primeshare_la_OBJECTS): lib/layer/stype-sizes.h
lib/layer/stype-sizes.h: $(srcdir)/lib/layer/gen-stypes.py $(VULKAN_REGISTRY)
	$(AM_V_GEN)$(MKDIR_P) lib/layer && \
	$(PYTHON3) $(srcdir)/lib/layer/gen-stypes.py $(VULKAN_REGISTRY) $@.tmp && \
	mv $@.tmp $@
lib_layer_libVkLayer_primeshare_la_LIBADD = lib/layer/libprimeshare_layer.la \
	$(LIBDRM_LIBS) $(PTHREAD_LIBS)
lib_layer_libVkLayer_primeshare_la_LDFLAGS = -module -avoid-version \
	-shared -no-undefined -Wl,--no-undefined \
	-Wl,--version-script=$(srcdir)/lib/layer/layer.map
EXTRA_lib_layer_libVkLayer_primeshare_la_DEPENDENCIES = lib/layer/layer.map

# The manifest that is installed names the installed library: implicit
# (loaded into every Vulkan program unless PRIMESHARE_LAYER_DISABLE is
# set) by default, explicit (loaded only where a program or
# VK_INSTANCE_LAYERS asks for it) with configure --with-layer-manifest=explicit.
if LAYER_MANIFEST_IMPLICIT
vulkan_implicit_layerdir = $(datadir)/vulkan/implicit_layer.d
vulkan_implicit_layer_DATA = lib/layer/VkLayer_primeshare_nv_external_memory.json
else
vulkan_explicit_layerdir = $(datadir)/vulkan/explicit_layer.d
vulkan_explicit_layer_DATA = lib/layer/installed-explicit/VkLayer_primeshare_nv_external_memory.json
endif

lib/layer/installed-explicit/VkLayer_primeshare_nv_external_memory.json: \
		$(srcdir)/lib/layer/VkLayer_primeshare_nv_external_memory_explicit.json.in \
		Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(layer_manifest_subst) \
		-e 's|@''LAYER_LIBRARY_PATH''@|$(vklayerexecdir)/libVkLayer_primeshare.so|' \
		$(srcdir)/lib/layer/VkLayer_primeshare_nv_external_memory_explicit.json.in > $@

# (The placeholders are split so that config.status leaves them alone.)
layer_manifest_subst = $(SED) \
	-e 's|@''VULKAN_API_VERSION''@|$(VULKAN_API_VERSION)|'

lib/layer/VkLayer_primeshare_nv_external_memory.json: \
		$(srcdir)/lib/layer/VkLayer_primeshare_nv_external_memory.json.in \
		Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(layer_manifest_subst) \
		-e 's|@''LAYER_LIBRARY_PATH''@|$(vklayerexecdir)/libVkLayer_primeshare.so|' \
		$(srcdir)/lib/layer/VkLayer_primeshare_nv_external_memory.json.in > $@

# The tests' manifests name the library in the build tree.
layer_build_library = $(abs_top_builddir)/lib/layer/.libs/libVkLayer_primeshare.so

lib/layer/explicit/VkLayer_primeshare_nv_external_memory.json: \
		$(srcdir)/lib/layer/VkLayer_primeshare_nv_external_memory_explicit.json.in \
		Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(layer_manifest_subst) \
		-e 's|@''LAYER_LIBRARY_PATH''@|$(layer_build_library)|' \
		$(srcdir)/lib/layer/VkLayer_primeshare_nv_external_memory_explicit.json.in > $@

lib/layer/test-implicit/VkLayer_primeshare_nv_external_memory.json: \
		$(srcdir)/lib/layer/VkLayer_primeshare_nv_external_memory.json.in \
		Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(layer_manifest_subst) \
		-e 's|@''LAYER_LIBRARY_PATH''@|$(layer_build_library)|' \
		$(srcdir)/lib/layer/VkLayer_primeshare_nv_external_memory.json.in > $@

# The build tree's manifests, for the tests, the demo and the benchmarks.
layer_build_manifests = \
	lib/layer/explicit/VkLayer_primeshare_nv_external_memory.json \
	lib/layer/test-implicit/VkLayer_primeshare_nv_external_memory.json
CLEANFILES += lib/layer/VkLayer_primeshare_nv_external_memory.json \
	lib/layer/installed-explicit/VkLayer_primeshare_nv_external_memory.json \
	$(layer_build_manifests)

endif ENABLE_VULKAN_LAYER

clean-local: clean-layer
clean-layer:
	-rm -rf lib/layer/explicit lib/layer/test-implicit
.PHONY: clean-layer
