#!/bin/bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# Install everything primeshare needs on a Debian bookworm machine:
# toolchain, Autotools, libdrm, Vulkan, QEMU, the pieces of the VM's
# initramfs, and the stock Debian kernels (6.1 from bookworm, 6.12 from
# bookworm-backports) with their headers.  Idempotent: when everything is
# present it returns in about a second and downloads nothing.
#
# The backports suite is added with the mirror URI the machine's apt sources
# already use, so no host name is written anywhere in the project.

set -euo pipefail

PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libdrm-dev libvulkan-dev vulkan-tools mesa-vulkan-drivers
	vulkan-validationlayers glslang-tools
	qemu-system-x86 busybox-static cpio kmod xz-utils zstd
	linux-source sparse perl python3 valgrind gnuplot-nox
	libpng-dev gcc-multilib
	flex bison libelf-dev bc
	clang libbpf-dev bpftool
	reuse abigail-tools
)

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# For tests: where apt's configuration and os-release are read from.
APT_ETC=${PRIMESHARE_APT_ETC:-/etc/apt}
OS_RELEASE=${PRIMESHARE_OS_RELEASE:-/etc/os-release}

print_only=0
case ${1:-} in
--print-backports-source) print_only=1 ;;
"") ;;
*) die "usage: setup.sh [--print-backports-source]" ;;
esac

if [ "$print_only" = 0 ] && [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo -E "$0" "$@"
	fi
	die "must run as root (or with sudo available) to install packages"
fi

. "$OS_RELEASE"
codename=${VERSION_CODENAME:-}
[ "$ID" = debian ] || die "this script supports Debian only (found '$ID')"
[ -n "$codename" ] || die "cannot tell the Debian release from /etc/os-release"

export DEBIAN_FRONTEND=noninteractive

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

# Print the first archive mirror URI configured for $codename itself (not
# -security, not -updates), from either deb822 .sources files or the
# one-line sources.list format.
mirror_uri() {
	local f
	for f in "$APT_ETC"/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk -v want="$codename" '
			function flush() {
				if (uris != "" && enabled && types ~ /(^| )deb( |$)/) {
					n = split(suites, s, " ")
					for (i = 1; i <= n; i++)
						if (s[i] == want) { split(uris, u, " "); print u[1]; exit }
				}
				uris = ""; suites = ""; types = ""; enabled = 1
			}
			BEGIN { enabled = 1 }
			/^[ \t]*$/ { flush(); next }
			/^#/ { next }
			tolower($1) == "uris:" { $1 = ""; uris = $0; sub(/^ +/, "", uris) }
			tolower($1) == "suites:" { $1 = ""; suites = $0 }
			tolower($1) == "types:" { $1 = ""; types = $0 }
			tolower($1) == "enabled:" { enabled = (tolower($2) != "no") }
			END { flush() }
		' "$f"
	done | head -n 1
	for f in "$APT_ETC"/sources.list "$APT_ETC"/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk -v want="$codename" '
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
				if ($(i + 1) == want) { print $i; exit }
			}
		' "$f"
	done | head -n 1
}

backports_source=$APT_ETC/sources.list.d/primeshare-backports.sources

backports_stanza() {
	local uri
	uri=$(mirror_uri | head -n 1)
	[ -n "$uri" ] || die "no apt source for '$codename' found to derive a backports mirror from"
	printf 'Types: deb\nURIs: %s\nSuites: %s-backports\nComponents: main\n' "$uri" "$codename"
	printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
}

if [ "$print_only" = 1 ]; then
	backports_stanza
	exit 0
fi

add_backports() {
	local stanza
	if apt-cache policy 2>/dev/null | grep -q "$codename-backports/main"; then
		return 0
	fi
	[ -e "$backports_source" ] && return 0
	stanza=$(backports_stanza) || exit 1
	log "adding $codename-backports from the configured mirror $(sed -n 's/^URIs: //p' <<<"$stanza")"
	printf '%s\n' "$stanza" >"$backports_source"
	NEED_UPDATE=1
}

# Kernels: the 6.1 line from the release itself and the newest line in
# backports.  Both are installed by their versioned package names, so the
# two can stand side by side.
kernels_present() {
	ls /boot/vmlinuz-6.1.* >/dev/null 2>&1 &&
		ls /boot/vmlinuz-6.12.* >/dev/null 2>&1 &&
		for v in /boot/vmlinuz-*; do
			v=${v#/boot/vmlinuz-}
			[ -e "/lib/modules/$v/build/Makefile" ] || exit 1
		done
}

# A second lavapipe, from backports, unpacked beside the system's (which
# the host tests keep using): the 6.12 VM tests run the layer's dma-buf
# backend on it (VK_EXT_external_memory_dma_buf, Mesa 24.1 and later).
# Programs select it with VK_ICD_FILENAMES=$LAVAPIPE_DIR/lvp_icd.json and
# LD_LIBRARY_PATH=$LAVAPIPE_DIR/lib.
LAVAPIPE_DIR=${PRIMESHARE_LAVAPIPE_DIR:-/opt/primeshare/lavapipe}
LAVAPIPE_PACKAGES=(mesa-vulkan-drivers libdrm2 libdrm-amdgpu1)

lavapipe_present() {
	[ -r "$LAVAPIPE_DIR/lvp_icd.json" ] &&
		[ -e "$LAVAPIPE_DIR/lib/libvulkan_lvp.so" ]
}

install_lavapipe() {
	local tmp p deb version
	tmp=$(mktemp -d)
	# apt downloads as its own user where it can write.
	chown _apt "$tmp" 2>/dev/null || true
	for p in "${LAVAPIPE_PACKAGES[@]}"; do
		(cd "$tmp" && apt-get download -q "$p/$codename-backports") ||
			die "cannot download $p from $codename-backports"
	done
	version=$(dpkg-deb -f "$tmp"/mesa-vulkan-drivers_*.deb Version)
	case $version in
	2[4-9].*|[3-9][0-9].*) ;;
	*) die "mesa-vulkan-drivers in $codename-backports is $version; the dma-buf backend needs 24.1 or later" ;;
	esac
	rm -rf "$LAVAPIPE_DIR"
	mkdir -p "$LAVAPIPE_DIR/root"
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$LAVAPIPE_DIR/root"
	done
	ln -s "root/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)" \
		"$LAVAPIPE_DIR/lib"
	sed "s|\"library_path\": *\"[^\"]*\"|\"library_path\": \"$LAVAPIPE_DIR/lib/libvulkan_lvp.so\"|" \
		"$LAVAPIPE_DIR/root/usr/share/vulkan/icd.d/lvp_icd.json" \
		>"$LAVAPIPE_DIR/lvp_icd.json"
	echo "$version" >"$LAVAPIPE_DIR/VERSION"
	rm -rf "$tmp"
	lavapipe_present || die "lavapipe from backports did not unpack as expected"
	log "lavapipe $version unpacked in $LAVAPIPE_DIR"
}

missing=()
for p in "${PACKAGES[@]}"; do
	installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ] && kernels_present && lavapipe_present; then
	log "everything is already installed"
	exit 0
fi

NEED_UPDATE=0
add_backports
if [ "$NEED_UPDATE" = 1 ] || [ ! -e /var/lib/apt/lists/partial ] ||
	[ -z "$(ls /var/lib/apt/lists/*_Packages 2>/dev/null | head -n 1)" ] ||
	! apt-cache policy 2>/dev/null | grep -q "$codename-backports/main"; then
	log "refreshing package lists"
	apt-get update -q
fi

# The metapackages name the current ABI of each kernel line.
dep_of() { # suite metapackage prefix
	apt-cache depends -t "$1" "$2" 2>/dev/null |
		awk -v p="$3" '$1 == "Depends:" && index($2, p) == 1 { print $2; exit }'
}
k61=$(dep_of "$codename" linux-image-amd64 linux-image-6.1)
k612=$(dep_of "$codename-backports" linux-image-amd64 linux-image-6.12)
[ -n "$k61" ] || die "cannot find the 6.1 kernel image package in $codename"
[ -n "$k612" ] || die "cannot find a 6.12 kernel image package in $codename-backports"
h61=${k61/linux-image-/linux-headers-}
h612=${k612/linux-image-/linux-headers-}

log "installing: ${missing[*]} $k61 $h61 $k612 $h612"
# The kernels' initramfs hooks are not needed (the VM builds its own), and
# linux-base/initramfs-tools work in containers, so a plain install is fine.
apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" \
	"$k61" "$h61" initramfs-tools
apt-get install -y -q --no-install-recommends -t "$codename-backports" \
	"$k612" "$h612"

kernels_present || die "kernel images or headers still missing after install"
lavapipe_present || install_lavapipe
log "done"
