# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# The udev rule for /dev/primeshare, installed into $(udevrulesdir)
# (configure --with-udevrulesdir).

udevrulesdir = @udevrulesdir@
dist_udevrules_DATA = udev/70-primeshare.rules

# Loading the module at boot: a modules-load.d(5) file, installed into
# $(modulesloaddir) (configure --with-modulesloaddir; --disable-autoload
# installs none).
if ENABLE_AUTOLOAD
dist_modulesload_DATA = udev/modules-load.d/primeshare.conf
else
EXTRA_DIST += udev/modules-load.d/primeshare.conf
endif
