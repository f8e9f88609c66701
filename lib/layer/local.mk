# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# VK_LAYER_PRIMESHARE_nv_external_memory: VK_NV_external_memory and its
# companions on Linux.  The layer is a loadable module (soname without a
# version, only the loader entry points exported), installed in $(libdir)
# with its implicit manifest in $(datadir)/vulkan/implicit_layer.d (or its
# explicit one, configure --with-layer-manifest=explicit).  Its tests (tests/layer)
# run against lavapipe, with manifests that point into the build tree.
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
	lib/layer/layer.map \
	lib/layer/VkLayer_primeshare_nv_external_memory.json.in \
	lib/layer/VkLayer_primeshare_nv_external_memory.json.in.license \
	lib/layer/VkLayer_primeshare_nv_external_memory_explicit.json.in \
	lib/layer/VkLayer_primeshare_nv_external_memory_explicit.json.in.license \
	tests/layer/VkLayer_primeshare_test_native_nv.json.in \
	tests/layer/VkLayer_primeshare_test_native_nv.json.in.license \
	tests/layer/layer-env.sh \
	tests/layer/run-tests.sh

if ENABLE_VULKAN_LAYER

lib_LTLIBRARIES += lib/layer/libVkLayer_primeshare.la
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
	lib/layer/backend.c \
	lib/layer/caps.c \
	lib/layer/memory.c \
	lib/layer/image.c \
	lib/layer/kmt.c \
	lib/layer/prime.c \
	lib/layer/handover.c
lib_layer_libVkLayer_primeshare_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	$(VULKAN_CFLAGS) $(LIBDRM_CFLAGS)
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
		-e 's|@''LAYER_LIBRARY_PATH''@|$(libdir)/libVkLayer_primeshare.so|' \
		$(srcdir)/lib/layer/VkLayer_primeshare_nv_external_memory_explicit.json.in > $@

# (The placeholders are split so that config.status leaves them alone.)
layer_manifest_subst = $(SED) \
	-e 's|@''VULKAN_API_VERSION''@|$(VULKAN_API_VERSION)|'

lib/layer/VkLayer_primeshare_nv_external_memory.json: \
		$(srcdir)/lib/layer/VkLayer_primeshare_nv_external_memory.json.in \
		Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(layer_manifest_subst) \
		-e 's|@''LAYER_LIBRARY_PATH''@|$(libdir)/libVkLayer_primeshare.so|' \
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

tests/layer/explicit/VkLayer_primeshare_test_native_nv.json: \
		$(srcdir)/tests/layer/VkLayer_primeshare_test_native_nv.json.in \
		Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(SED) \
		-e 's|@''FAKE_LIBRARY_PATH''@|$(abs_top_builddir)/tests/layer/.libs/libVkLayer_primeshare_test_native_nv.so|' \
		$(srcdir)/tests/layer/VkLayer_primeshare_test_native_nv.json.in > $@

# The tests in the VM (make vm-check, tools/local.mk): a script that knows
# the build tree.
tests/layer/layer-vm-tests: $(srcdir)/tests/layer/layer-vm-tests.in Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(SED) \
		-e 's|@''abs_top_srcdir''@|$(abs_top_srcdir)|' \
		-e 's|@''abs_top_builddir''@|$(abs_top_builddir)|' \
		$(srcdir)/tests/layer/layer-vm-tests.in > $@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@

# What vm-check needs built, and what it runs.
layer_vm_test_programs = tests/layer/layer-vm-tests
layer_vm_deps = tests/layer/layer-vm-tests \
	tests/layer/layer_caps tests/layer/layer_memory tests/layer/layer_share \
	lib/layer/libVkLayer_primeshare.la $(layer_test_manifests)
CLEANFILES += tests/layer/layer-vm-tests

layer_test_manifests = \
	lib/layer/explicit/VkLayer_primeshare_nv_external_memory.json \
	lib/layer/test-implicit/VkLayer_primeshare_nv_external_memory.json \
	tests/layer/explicit/VkLayer_primeshare_test_native_nv.json
CLEANFILES += lib/layer/VkLayer_primeshare_nv_external_memory.json \
	lib/layer/installed-explicit/VkLayer_primeshare_nv_external_memory.json \
	$(layer_test_manifests)

# The test layer that plays a driver with native NV external memory: a
# shared module even though it is never installed (hence -rpath).
check_LTLIBRARIES = tests/layer/libVkLayer_primeshare_test_native_nv.la
tests_layer_libVkLayer_primeshare_test_native_nv_la_SOURCES = \
	tests/layer/fake_native.c
tests_layer_libVkLayer_primeshare_test_native_nv_la_CFLAGS = $(AM_CFLAGS) \
	-fvisibility=hidden $(VULKAN_CFLAGS)
tests_layer_libVkLayer_primeshare_test_native_nv_la_LDFLAGS = -module \
	-avoid-version -shared -rpath $(abs_builddir)/tests/layer

# The test programs, each run by its tests/layer/NAME.test wrapper.
layer_test_common = tests/layer/vkt.c tests/layer/vkt.h
layer_test_cflags = $(AM_CFLAGS) $(VULKAN_CFLAGS)

check_PROGRAMS += \
	tests/layer/layer_enumerate \
	tests/layer/layer_create \
	tests/layer/layer_caps \
	tests/layer/layer_memory \
	tests/layer/layer_roundtrip \
	tests/layer/layer_share \
	tests/layer/layer_native

tests_layer_layer_enumerate_SOURCES = tests/layer/layer_enumerate.c $(layer_test_common)
tests_layer_layer_enumerate_CFLAGS = $(layer_test_cflags)
tests_layer_layer_enumerate_LDADD = $(VULKAN_LIBS)
tests_layer_layer_create_SOURCES = tests/layer/layer_create.c $(layer_test_common)
tests_layer_layer_create_CFLAGS = $(layer_test_cflags)
tests_layer_layer_create_LDADD = $(VULKAN_LIBS)
tests_layer_layer_caps_SOURCES = tests/layer/layer_caps.c $(layer_test_common)
tests_layer_layer_caps_CFLAGS = $(layer_test_cflags)
tests_layer_layer_caps_LDADD = $(VULKAN_LIBS)
tests_layer_layer_memory_SOURCES = tests/layer/layer_memory.c $(layer_test_common)
tests_layer_layer_memory_CFLAGS = $(layer_test_cflags)
tests_layer_layer_memory_LDADD = $(VULKAN_LIBS)
tests_layer_layer_roundtrip_SOURCES = tests/layer/layer_roundtrip.c $(layer_test_common)
tests_layer_layer_roundtrip_CFLAGS = $(layer_test_cflags)
tests_layer_layer_roundtrip_LDADD = $(VULKAN_LIBS)
tests_layer_layer_share_SOURCES = tests/layer/layer_share.c $(layer_test_common)
tests_layer_layer_share_CFLAGS = $(layer_test_cflags)
tests_layer_layer_share_LDADD = lib/libprimeshare.la $(VULKAN_LIBS)
tests_layer_layer_native_SOURCES = tests/layer/layer_native.c $(layer_test_common)
tests_layer_layer_native_CFLAGS = $(layer_test_cflags)
tests_layer_layer_native_LDADD = $(VULKAN_LIBS)

layer_tests = \
	tests/layer/enumerate.test \
	tests/layer/create.test \
	tests/layer/caps.test \
	tests/layer/memory.test \
	tests/layer/roundtrip.test \
	tests/layer/share.test \
	tests/layer/native.test \
	tests/layer/vulkaninfo.test \
	tests/layer/exports.test
TESTS += $(layer_tests)

# The tests need the layer, the test layer and the manifests, built.
$(layer_tests:.test=.log): lib/layer/libVkLayer_primeshare.la \
	tests/layer/libVkLayer_primeshare_test_native_nv.la \
	$(layer_test_manifests)

else !ENABLE_VULKAN_LAYER

layer_vm_test_programs =
layer_vm_deps =

endif !ENABLE_VULKAN_LAYER

EXTRA_DIST += \
	tests/layer/layer-vm-tests.in \
	tests/layer/enumerate.test \
	tests/layer/create.test \
	tests/layer/caps.test \
	tests/layer/memory.test \
	tests/layer/roundtrip.test \
	tests/layer/share.test \
	tests/layer/native.test \
	tests/layer/vulkaninfo.test \
	tests/layer/exports.test

clean-local: clean-layer
clean-layer:
	-rm -rf lib/layer/explicit lib/layer/test-implicit tests/layer/explicit
.PHONY: clean-layer
