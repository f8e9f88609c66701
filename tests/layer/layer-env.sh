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
# driver manifests to use instead, as the VM runs do for lavapipe 25).  The
# layer's explicit manifest comes first in VK_LAYER_PATH and the system's
# explicit layers (the Khronos validation layer) after it, every manifest of
# a primeshare layer left out; the tests order VK_INSTANCE_LAYERS
# themselves.
#
# Nothing installed on the machine may change a result: the loader's other
# search paths (XDG_CONFIG_HOME, XDG_CONFIG_DIRS, XDG_DATA_HOME,
# XDG_DATA_DIRS, VK_IMPLICIT_LAYER_PATH where the loader has it) point into
# an empty directory, and VK_LOADER_LAYERS_DISABLE=~implicit~ turns off the
# implicit layers of the paths no variable moves (/etc/vulkan on Debian's
# loader).  A test of the implicit layer calls layer_env_implicit (or does
# the same): its private XDG_CONFIG_HOME, searched first, holds the build
# tree's implicit manifest, and the disable filter is lifted.
: "${top_builddir:=.}"
: "${LAYER_BUILDDIR:=$top_builddir/lib/layer}"
: "${LAYER_TESTDIR:=$top_builddir/tests/layer}"
LAYER_IMPLICIT_MANIFEST=$LAYER_BUILDDIR/test-implicit/VkLayer_primeshare_nv_external_memory.json
export LAYER_BUILDDIR LAYER_TESTDIR LAYER_IMPLICIT_MANIFEST

# layer_env_icds PATTERN: the driver manifests of the system matching it.
layer_env_icds() {
	icds=
	for d in /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d /etc/vulkan/icd.d; do
		for f in "$d"/$1; do
			[ -e "$f" ] && icds=${icds:+$icds:}$f
		done
	done
	printf '%s' "$icds"
}

# The drivers are always named: the search paths are emptied below.
if [ -n "${LAYER_ICD_FILES:-}" ]; then
	VK_ICD_FILENAMES=$LAYER_ICD_FILES
elif [ -n "${LAYER_ANY_DRIVER:-}" ]; then
	VK_ICD_FILENAMES=${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-$(layer_env_icds '*.json')}}
else
	VK_ICD_FILENAMES=$(layer_env_icds 'lvp_icd.*.json')
	[ -n "$VK_ICD_FILENAMES" ] || VK_ICD_FILENAMES=$(layer_env_icds '*.json')
fi
VK_DRIVER_FILES=$VK_ICD_FILENAMES
export VK_ICD_FILENAMES VK_DRIVER_FILES

# The private directory, one per user and build tree (tests run side by
# side: it is only ever added to): empty search paths, the implicit
# manifest, and links to the system's explicit layers other than
# primeshare's.
layer_env_manifest=$(cd "$(dirname "$LAYER_IMPLICIT_MANIFEST")" 2>/dev/null && pwd)/$(basename "$LAYER_IMPLICIT_MANIFEST")
LAYER_ENV_DIR=${TMPDIR:-/tmp}/ps-layer-env-$(id -u)-$(printf '%s' "$layer_env_manifest" | cksum | cut -d' ' -f1)
mkdir -p "$LAYER_ENV_DIR/empty" "$LAYER_ENV_DIR/explicit" \
	"$LAYER_ENV_DIR/implicit/vulkan/implicit_layer.d"
ln -sf "$layer_env_manifest" \
	"$LAYER_ENV_DIR/implicit/vulkan/implicit_layer.d/primeshare.json"
for d in /usr/share/vulkan/explicit_layer.d /usr/local/share/vulkan/explicit_layer.d /etc/vulkan/explicit_layer.d; do
	for f in "$d"/*.json; do
		[ -e "$f" ] || continue
		grep -q '"VK_LAYER_PRIMESHARE_' "$f" 2>/dev/null && continue
		ln -sf "$f" "$LAYER_ENV_DIR/explicit/$(echo "$d" | tr / _)$(basename "$f")"
	done
done
XDG_CONFIG_HOME=$LAYER_ENV_DIR/empty
XDG_CONFIG_DIRS=$LAYER_ENV_DIR/empty
XDG_DATA_HOME=$LAYER_ENV_DIR/empty
XDG_DATA_DIRS=$LAYER_ENV_DIR/empty
VK_IMPLICIT_LAYER_PATH=$LAYER_ENV_DIR/empty
VK_LOADER_LAYERS_DISABLE='~implicit~'
export LAYER_ENV_DIR XDG_CONFIG_HOME XDG_CONFIG_DIRS XDG_DATA_HOME \
	XDG_DATA_DIRS VK_IMPLICIT_LAYER_PATH VK_LOADER_LAYERS_DISABLE
unset VK_ADD_LAYER_PATH VK_ADD_IMPLICIT_LAYER_PATH VK_LOADER_LAYERS_ENABLE

# layer_env_implicit: the build tree's implicit manifest, found first.
layer_env_implicit() {
	XDG_CONFIG_HOME=$LAYER_ENV_DIR/implicit
	VK_IMPLICIT_LAYER_PATH=$LAYER_ENV_DIR/implicit/vulkan/implicit_layer.d
	export XDG_CONFIG_HOME VK_IMPLICIT_LAYER_PATH
	unset VK_LOADER_LAYERS_DISABLE
}

VK_LAYER_PATH=$LAYER_BUILDDIR/explicit:$LAYER_TESTDIR/explicit:$LAYER_ENV_DIR/explicit
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
