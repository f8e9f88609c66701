# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# primeshare.ko through kbuild.  `make LINUX=DIR` builds against another
# kernel tree; the module lands in kernel/build/RELEASE/primeshare.ko.

LINUX = @LINUX_DIR@
KBUILD_FLAGS =

kernel_sources = \
	kernel/Kbuild \
	kernel/primeshare.h \
	kernel/primeshare_main.c \
	kernel/primeshare_handle.c \
	kernel/primeshare_limits.c \
	kernel/primeshare_debugfs.c \
	kernel/primeshare_keyed_mutex.c

EXTRA_DIST += $(kernel_sources) include/uapi/primeshare.h kernel/kbuild.sh

if ENABLE_MODULE
all-local: module
endif ENABLE_MODULE

# What needs the module (the VM targets, lint) fails at once in a tree
# configured with --disable-module, saying so.
if ENABLE_MODULE
ps-need-module:
else !ENABLE_MODULE
ps-need-module:
	@echo "make $(MAKECMDGOALS): this tree is configured with --disable-module (no module, no kselftests); run configure without it" >&2; exit 1
endif !ENABLE_MODULE
.PHONY: ps-need-module

module: ps-need-module
	+$(AM_V_GEN)$(SHELL) $(top_srcdir)/kernel/kbuild.sh '$(LINUX)' \
		'$(abs_top_srcdir)' '$(abs_top_builddir)/kernel/build' $(KBUILD_FLAGS)

# The module for every kernel vm-check boots.
modules-all: ps-need-module
	+@set -e; for k in $(VM_KERNELS); do \
		echo "  KBUILD   $$k"; \
		$(SHELL) $(top_srcdir)/kernel/kbuild.sh "/lib/modules/$$k/build" \
			'$(abs_top_srcdir)' '$(abs_top_builddir)/kernel/build' \
			$(KBUILD_FLAGS); \
	done

clean-local: clean-module
clean-module:
	-rm -rf kernel/build vm

# make install: primeshare.ko for $(LINUX) through kbuild's modules_install,
# into $(DESTDIR)$(moduleroot)/lib/modules/RELEASE/$(MODULE_INSTALL_DIR).
# depmod runs only on the system's own module tree (no DESTDIR, no
# --with-module-root); make install DEPMOD=true skips it there too.  kbuild
# signs the module only when the kernel tree has its signing certificate
# (distribution headers do not).
moduleroot = @moduleroot@
MODULE_INSTALL_DIR = updates
ps_release = sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
	'$(LINUX)/include/generated/utsrelease.h'

if ENABLE_MODULE
install-exec-local: install-module
uninstall-local: uninstall-module
endif ENABLE_MODULE

install-module: module
	@rel=$$($(ps_release)); \
	echo "  INSTALL  primeshare.ko -> $(DESTDIR)$(moduleroot)/lib/modules/$$rel/$(MODULE_INSTALL_DIR)"; \
	sign=; test -f '$(LINUX)/certs/signing_key.x509' || \
		sign=CONFIG_MODULE_SIG_ALL=; \
	PS_KBUILD_TARGET=modules_install $(SHELL) $(top_srcdir)/kernel/kbuild.sh \
		'$(LINUX)' '$(abs_top_srcdir)' '$(abs_top_builddir)/kernel/build' \
		INSTALL_MOD_PATH='$(DESTDIR)$(moduleroot)' \
		INSTALL_MOD_DIR='$(MODULE_INSTALL_DIR)' DEPMOD=true $$sign && \
	if test -z '$(DESTDIR)$(moduleroot)'; then \
		echo "  DEPMOD   $$rel"; $(DEPMOD) -a "$$rel"; \
	fi

uninstall-module:
	@rel=$$($(ps_release)); \
	dir='$(DESTDIR)$(moduleroot)'/lib/modules/$$rel/'$(MODULE_INSTALL_DIR)'; \
	echo "  RM       $$dir/primeshare.ko"; \
	for z in '' .gz .xz .zst; do rm -f "$$dir/primeshare.ko$$z"; done; \
	rmdir "$$dir" 2>/dev/null; \
	if test -z '$(DESTDIR)$(moduleroot)'; then \
		echo "  DEPMOD   $$rel"; $(DEPMOD) -a "$$rel"; \
	fi

# dkms.conf (made by configure) goes into the tarball, whose top directory
# is then a DKMS source tree.
EXTRA_DIST += dkms.conf.in dkms.conf

# distcheck installs as a user under its own prefix: the module too.
AM_DISTCHECK_CONFIGURE_FLAGS = --with-module-root='$${prefix}'

.PHONY: module modules-all clean-module install-module uninstall-module
