# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# The udev rule for /dev/primeshare, installed into $(udevrulesdir)
# (configure --with-udevrulesdir).

udevrulesdir = @udevrulesdir@
dist_udevrules_DATA = udev/70-primeshare.rules
