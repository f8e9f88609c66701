# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors

EXTRA_DIST += \
	Documentation/gpu.rst \
	Documentation/index.rst \
	Documentation/layer.rst \
	Documentation/lifetime.rst \
	Documentation/performance.rst \
	Documentation/performance/import-scaling.png \
	Documentation/performance/import-scaling.png.license \
	Documentation/performance/operations.png \
	Documentation/performance/operations.png.license \
	Documentation/security.rst \
	Documentation/testing.rst \
	Documentation/uapi.rst
