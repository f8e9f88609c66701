# SPDX-License-Identifier: MIT
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
	kernel/primeshare_debugfs.c

EXTRA_DIST += $(kernel_sources) include/uapi/primeshare.h \
	tests/provoke/Kbuild tests/provoke/ps_provoke.c

all-local: module

module:
	+$(AM_V_GEN)$(SHELL) $(top_srcdir)/tools/kbuild.sh '$(LINUX)' \
		'$(abs_top_srcdir)' '$(abs_top_builddir)/kernel/build' $(KBUILD_FLAGS)

# The module for every kernel vm-check boots.
modules-all:
	+@set -e; for k in $(VM_KERNELS); do \
		echo "  KBUILD   $$k"; \
		$(SHELL) $(top_srcdir)/tools/kbuild.sh "/lib/modules/$$k/build" \
			'$(abs_top_srcdir)' '$(abs_top_builddir)/kernel/build' \
			$(KBUILD_FLAGS); \
	done

clean-local: clean-module
clean-module:
	-rm -rf kernel/build vm

.PHONY: module modules-all clean-module
