# SPDX-License-Identifier: MIT

EXTRA_DIST += \
	Documentation/gpu.rst \
	Documentation/index.rst \
	Documentation/layer.rst \
	Documentation/lifetime.rst \
	Documentation/performance.rst \
	Documentation/performance/import-scaling.png \
	Documentation/performance/operations.png \
	Documentation/security.rst \
	Documentation/testing.rst \
	Documentation/uapi.rst
