# SPDX-License-Identifier: MIT

EXTRA_DIST += \
	Documentation/index.rst \
	Documentation/testing.rst
