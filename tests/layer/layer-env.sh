# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# The environment of the layer tests; sourced by tests/layer/*.test.
#
# LAYER_BUILDDIR: where the layer's manifests for the tests are, both
#   pointing at the layer in the build tree: explicit/ and test-implicit/;
#   default $top_builddir/lib/layer.
# LAYER_TESTDIR: where the test programs are, with the test layer's
#   manifest in explicit/; default $top_builddir/tests/layer.
#
# Only lavapipe is used when it is installed (LAYER_ANY_DRIVER=1 keeps the
# system's drivers, for a run on real hardware; LAYER_ICD_FILES names the
# driver manifests to use instead, as the VM runs do for lavapipe 25).  The layer's explicit
# manifest comes first in VK_LAYER_PATH and the system's explicit layers
# (the Khronos validation layer) after it; the tests order VK_INSTANCE_LAYERS
# themselves.
: "${top_builddir:=.}"
: "${LAYER_BUILDDIR:=$top_builddir/lib/layer}"
: "${LAYER_TESTDIR:=$top_builddir/tests/layer}"
LAYER_IMPLICIT_MANIFEST=$LAYER_BUILDDIR/test-implicit/VkLayer_primeshare_nv_external_memory.json
export LAYER_BUILDDIR LAYER_TESTDIR LAYER_IMPLICIT_MANIFEST

if [ -n "${LAYER_ICD_FILES:-}" ]; then
	VK_ICD_FILENAMES=$LAYER_ICD_FILES
	VK_DRIVER_FILES=$LAYER_ICD_FILES
	export VK_ICD_FILENAMES VK_DRIVER_FILES
elif [ -z "${LAYER_ANY_DRIVER:-}" ]; then
	lvp_icd=
	for d in /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d /etc/vulkan/icd.d; do
		for f in "$d"/lvp_icd.*.json; do
			[ -e "$f" ] && lvp_icd=${lvp_icd:+$lvp_icd:}$f
		done
	done
	if [ -n "$lvp_icd" ]; then
		VK_ICD_FILENAMES=$lvp_icd
		VK_DRIVER_FILES=$lvp_icd
		export VK_ICD_FILENAMES VK_DRIVER_FILES
	fi
fi

VK_LAYER_PATH=$LAYER_BUILDDIR/explicit:$LAYER_TESTDIR/explicit
for d in /usr/share/vulkan/explicit_layer.d /usr/local/share/vulkan/explicit_layer.d /etc/vulkan/explicit_layer.d; do
	[ -d "$d" ] && VK_LAYER_PATH=$VK_LAYER_PATH:$d
done
# LAYER_EXTRA_LAYER_PATH: more explicit layers (a validation layer kept
# elsewhere, for instance).
VK_LAYER_PATH=$VK_LAYER_PATH${LAYER_EXTRA_LAYER_PATH:+:$LAYER_EXTRA_LAYER_PATH}
export VK_LAYER_PATH
unset VK_INSTANCE_LAYERS VK_DEVICE_LAYERS PRIMESHARE_LAYER_BACKEND \
	PRIMESHARE_LAYER_DEBUG PRIMESHARE_LAYER_DISABLE

# vulkaninfo and Mesa's window-system code want a runtime directory.
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -d "${XDG_RUNTIME_DIR:-}" ]; then
	XDG_RUNTIME_DIR=${TMPDIR:-/tmp}/ps-layer-run-$(id -u)
	mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
	export XDG_RUNTIME_DIR
fi
