# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors

EXTRA_DIST += \
	Documentation/gpu.rst \
	Documentation/index.rst \
	Documentation/layer.rst \
	Documentation/lifetime.rst \
	Documentation/performance.rst \
	Documentation/reports/index.rst \
	Documentation/reports/2026-11-25-083985b-bench.rst \
	Documentation/reports/2026-11-25-09b4305-debug-kernel.rst \
	Documentation/reports/2026-11-25-09b4305-gpu-suite.rst \
	Documentation/reports/2026-12-02-8fa5a92-bench.rst \
	Documentation/reports/2026-12-02-d1ef3c2-debug-kernel.rst \
	Documentation/reports/2026-12-03-b6684ea-debug-kernel.rst \
	Documentation/reports/2026-12-03-0637bde-gpu-suite.rst \
	Documentation/reports/2026-12-04-26f2595-keyed-mutex-bench.rst \
	Documentation/reports/2026-12-04-b701142-debug-kernel.rst \
	Documentation/reports/2026-12-04-4fe3697-keyed-mutex-acceptance.rst \
	Documentation/performance/import-scaling.png \
	Documentation/performance/import-scaling.png.license \
	Documentation/performance/operations.png \
	Documentation/performance/operations.png.license \
	Documentation/security.rst \
	Documentation/testing.rst \
	Documentation/uapi.rst
