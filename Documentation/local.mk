# SPDX-License-Identifier: MIT

EXTRA_DIST += \
	Documentation/index.rst \
	Documentation/layer.rst \
	Documentation/lifetime.rst \
	Documentation/security.rst \
	Documentation/testing.rst \
	Documentation/uapi.rst
