# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# tests/layer/: the layer's tests.  On the host they run against lavapipe
# (make check), each test program through its NAME.test wrapper and
# layer-env.sh, which points the loader at the build tree's manifests only;
# in the VM (make vm-check) layer-vm-tests runs them against the module.

EXTRA_DIST += \
	tests/layer/VkLayer_primeshare_test_native_nv.json.in \
	tests/layer/VkLayer_primeshare_test_native_nv.json.in.license \
	tests/layer/layer-env.sh \
	tests/layer/run-tests.sh \
	tests/layer/layer-vm-tests.in \
	$(layer_tests)

# The wrappers, each running its test program; shipped either way, run
# only with the layer.
layer_tests = \
	tests/layer/enumerate.test \
	tests/layer/isolation.test \
	tests/layer/create.test \
	tests/layer/caps.test \
	tests/layer/memory.test \
	tests/layer/chain.test \
	tests/layer/plain.test \
	tests/layer/dedicated.test \
	tests/layer/dedicated-implicit.test \
	tests/layer/corpus.test \
	tests/layer/corpus-above.test \
	tests/layer/prime.test \
	tests/layer/roundtrip.test \
	tests/layer/share.test \
	tests/layer/native.test \
	tests/layer/vulkaninfo.test \
	tests/layer/exports.test \
	tests/layer/keyed-mutex.test

if ENABLE_VULKAN_LAYER

tests/layer/explicit/VkLayer_primeshare_test_native_nv.json: \
		$(srcdir)/tests/layer/VkLayer_primeshare_test_native_nv.json.in \
		Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(SED) \
		-e 's|@''FAKE_LIBRARY_PATH''@|$(abs_top_builddir)/tests/layer/.libs/libVkLayer_primeshare_test_native_nv.so|' \
		$(srcdir)/tests/layer/VkLayer_primeshare_test_native_nv.json.in > $@

# The tests in the VM (make vm-check, scripts/vm/local.mk): a script that
# knows the build tree.
tests/layer/layer-vm-tests: $(srcdir)/tests/layer/layer-vm-tests.in Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(SED) \
		-e 's|@''abs_top_srcdir''@|$(abs_top_srcdir)|' \
		-e 's|@''abs_top_builddir''@|$(abs_top_builddir)|' \
		$(srcdir)/tests/layer/layer-vm-tests.in > $@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@

# What vm-check needs built, and what it runs.
layer_vm_test_programs = tests/layer/layer-vm-tests
layer_vm_deps = tests/layer/layer-vm-tests \
	tests/layer/layer_caps tests/layer/layer_memory tests/layer/layer_chain \
	tests/layer/layer_plain tests/layer/layer_dedicated tests/layer/layer_corpus \
	tests/layer/layer_prime \
	tests/layer/layer_share \
	$(layer_km_program) \
	tests/layer/libVkLayer_primeshare_test_native_nv.la \
	lib/layer/libVkLayer_primeshare.la $(layer_test_manifests)
CLEANFILES += tests/layer/layer-vm-tests

layer_test_manifests = $(layer_build_manifests) \
	tests/layer/explicit/VkLayer_primeshare_test_native_nv.json
CLEANFILES += tests/layer/explicit/VkLayer_primeshare_test_native_nv.json

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
layer_test_cppflags = $(AM_CPPFLAGS) $(test_common_cppflags)
layer_test_cflags = $(AM_CFLAGS) $(VULKAN_CFLAGS)

check_PROGRAMS += \
	tests/layer/layer_enumerate \
	tests/layer/layer_create \
	tests/layer/layer_caps \
	tests/layer/layer_memory \
	tests/layer/layer_chain \
	tests/layer/layer_plain \
	tests/layer/layer_dedicated \
	tests/layer/layer_corpus \
	tests/layer/layer_prime \
	tests/layer/layer_roundtrip \
	tests/layer/layer_share \
	tests/layer/layer_native

tests_layer_layer_enumerate_SOURCES = tests/layer/layer_enumerate.c
tests_layer_layer_enumerate_CPPFLAGS = $(layer_test_cppflags)
tests_layer_layer_enumerate_CFLAGS = $(layer_test_cflags)
tests_layer_layer_enumerate_LDADD = $(test_common_lib) $(VULKAN_LIBS)
tests_layer_layer_create_SOURCES = tests/layer/layer_create.c
tests_layer_layer_create_CPPFLAGS = $(layer_test_cppflags)
tests_layer_layer_create_CFLAGS = $(layer_test_cflags)
tests_layer_layer_create_LDADD = $(test_common_lib) $(VULKAN_LIBS)
tests_layer_layer_caps_SOURCES = tests/layer/layer_caps.c
tests_layer_layer_caps_CPPFLAGS = $(layer_test_cppflags)
tests_layer_layer_caps_CFLAGS = $(layer_test_cflags)
tests_layer_layer_caps_LDADD = $(test_common_lib) $(VULKAN_LIBS)
tests_layer_layer_memory_SOURCES = tests/layer/layer_memory.c
tests_layer_layer_memory_CPPFLAGS = $(layer_test_cppflags)
tests_layer_layer_memory_CFLAGS = $(layer_test_cflags)
tests_layer_layer_memory_LDADD = $(test_common_lib) $(VULKAN_LIBS)
tests_layer_layer_chain_SOURCES = tests/layer/layer_chain.c
tests_layer_layer_chain_CPPFLAGS = $(layer_test_cppflags)
tests_layer_layer_chain_CFLAGS = $(layer_test_cflags)
tests_layer_layer_chain_LDADD = $(test_common_lib) $(VULKAN_LIBS)
tests_layer_layer_plain_SOURCES = tests/layer/layer_plain.c
tests_layer_layer_plain_CPPFLAGS = $(layer_test_cppflags)
tests_layer_layer_plain_CFLAGS = $(layer_test_cflags)
tests_layer_layer_plain_LDADD = $(test_common_lib) $(VULKAN_LIBS)
tests_layer_layer_dedicated_SOURCES = tests/layer/layer_dedicated.c
tests_layer_layer_dedicated_CPPFLAGS = $(layer_test_cppflags)
tests_layer_layer_dedicated_CFLAGS = $(layer_test_cflags)
tests_layer_layer_dedicated_LDADD = $(test_common_lib) $(VULKAN_LIBS)
tests_layer_layer_corpus_SOURCES = tests/layer/layer_corpus.c
tests_layer_layer_corpus_CPPFLAGS = $(layer_test_cppflags)
tests_layer_layer_corpus_CFLAGS = $(layer_test_cflags) $(PTHREAD_CFLAGS)
tests_layer_layer_corpus_LDADD = $(test_common_lib) $(VULKAN_LIBS) $(PTHREAD_LIBS)
tests_layer_layer_prime_SOURCES = tests/layer/layer_prime.c
tests_layer_layer_prime_CPPFLAGS = $(layer_test_cppflags)
tests_layer_layer_prime_CFLAGS = $(layer_test_cflags) $(LIBDRM_CFLAGS)
tests_layer_layer_prime_LDADD = $(test_common_lib) $(VULKAN_LIBS) $(LIBDRM_LIBS)
tests_layer_layer_roundtrip_SOURCES = tests/layer/layer_roundtrip.c
tests_layer_layer_roundtrip_CPPFLAGS = $(layer_test_cppflags)
tests_layer_layer_roundtrip_CFLAGS = $(layer_test_cflags)
tests_layer_layer_roundtrip_LDADD = $(test_common_lib) $(VULKAN_LIBS)
tests_layer_layer_share_SOURCES = tests/layer/layer_share.c
tests_layer_layer_share_CPPFLAGS = $(layer_test_cppflags)
tests_layer_layer_share_CFLAGS = $(layer_test_cflags)
tests_layer_layer_share_LDADD = $(test_common_lib) lib/libprimeshare.la $(VULKAN_LIBS)
tests_layer_layer_native_SOURCES = tests/layer/layer_native.c
tests_layer_layer_native_CPPFLAGS = $(layer_test_cppflags)
tests_layer_layer_native_CFLAGS = $(layer_test_cflags)
tests_layer_layer_native_LDADD = $(test_common_lib) $(VULKAN_LIBS)

# The keyed-mutex test's compute shader, by glslangValidator (configure
# finds it for the GPU suite too); without it the test is not built and
# its wrapper skips.
EXTRA_DIST += tests/layer/shaders/layer_km_add.comp
if ENABLE_GPU_SHARE
layer_km_program = tests/layer/layer_keyed_mutex
check_PROGRAMS += tests/layer/layer_keyed_mutex
tests_layer_layer_keyed_mutex_SOURCES = tests/layer/layer_keyed_mutex.c
nodist_tests_layer_layer_keyed_mutex_SOURCES = tests/layer/layer_km_add.h
tests_layer_layer_keyed_mutex_CPPFLAGS = $(layer_test_cppflags) \
	-I$(top_builddir)/tests/layer
tests_layer_layer_keyed_mutex_CFLAGS = $(layer_test_cflags)
tests_layer_layer_keyed_mutex_LDADD = $(test_common_lib) lib/libprimeshare.la \
	$(VULKAN_LIBS)
BUILT_SOURCES += tests/layer/layer_km_add.h
CLEANFILES += tests/layer/layer_km_add.h
tests/layer/layer_km_add.h: $(srcdir)/tests/layer/shaders/layer_km_add.comp
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(GLSLANG) -s -V \
		--target-env vulkan1.1 --vn layer_km_add_spv -o $@.tmp $< && \
		mv $@.tmp $@
tests/layer/layer_keyed_mutex-layer_keyed_mutex.$(OBJEXT): \
	tests/layer/layer_km_add.h
endif ENABLE_GPU_SHARE

TESTS += $(layer_tests)

# The tests need the layer, the test layer and the manifests, built.
$(layer_tests:.test=.log): lib/layer/libVkLayer_primeshare.la \
	tests/layer/libVkLayer_primeshare_test_native_nv.la \
	$(layer_test_manifests)

else !ENABLE_VULKAN_LAYER

layer_vm_test_programs =
layer_vm_deps =

endif !ENABLE_VULKAN_LAYER

clean-local: clean-layer-tests
clean-layer-tests:
	-rm -rf tests/layer/explicit
.PHONY: clean-layer-tests
