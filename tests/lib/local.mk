# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# tests/lib/: libprimeshare on the host.  C programs that print TAP
# themselves, and the ABI check (abi.test).  errors and mock link a fake
# module and DRM driver (fake_ps.c) that answers the library's ioctl()s in
# place of the kernel; -export-dynamic lets its ioctl() stand in for the C
# library's.
lib_host_tests = \
	tests/lib/text \
	tests/lib/errors \
	tests/lib/transport \
	tests/lib/mock
check_PROGRAMS += $(lib_host_tests)
TESTS += $(lib_host_tests) tests/lib/abi.test

lib_test_cppflags = $(AM_CPPFLAGS) $(test_common_cppflags)

tests_lib_text_SOURCES = tests/lib/text.c
tests_lib_text_CPPFLAGS = $(lib_test_cppflags)
tests_lib_text_LDADD = $(test_common_lib) lib/libprimeshare.la

tests_lib_transport_SOURCES = tests/lib/transport.c
tests_lib_transport_CPPFLAGS = $(lib_test_cppflags)
tests_lib_transport_LDADD = $(test_common_lib) lib/libprimeshare.la

lib_fake_sources = tests/lib/fake_ps.c tests/lib/fake_ps.h
tests_lib_errors_SOURCES = tests/lib/errors.c $(lib_fake_sources)
tests_lib_errors_CPPFLAGS = $(lib_test_cppflags)
tests_lib_errors_CFLAGS = $(AM_CFLAGS) $(LIBDRM_CFLAGS)
tests_lib_errors_LDFLAGS = -export-dynamic
tests_lib_errors_LDADD = $(test_common_lib) lib/libprimeshare.la $(LIBDRM_LIBS)

tests_lib_mock_SOURCES = tests/lib/mock.c $(lib_fake_sources)
tests_lib_mock_CPPFLAGS = $(lib_test_cppflags)
tests_lib_mock_CFLAGS = $(AM_CFLAGS) $(LIBDRM_CFLAGS)
tests_lib_mock_LDFLAGS = -export-dynamic
tests_lib_mock_LDADD = $(test_common_lib) lib/libprimeshare.la $(LIBDRM_LIBS)

# make check-valgrind: the C host tests under memcheck; any memory error,
# definite or indirect leak, or failed test fails the target.  Each log is
# left in tests/lib/NAME.valgrind.log.
VALGRIND = valgrind
VALGRIND_FLAGS = --quiet --error-exitcode=1 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect \
	--show-leak-kinds=definite,indirect
check-valgrind: $(lib_host_tests)
	@fail=0; pass=0; \
	for t in $(lib_host_tests); do \
		log=$$t.valgrind.log; \
		if $(LIBTOOL) --mode=execute $(VALGRIND) $(VALGRIND_FLAGS) \
			./$$t >$$log 2>&1; then \
			echo "PASS: $$t (valgrind)"; pass=$$((pass + 1)); \
		else \
			echo "FAIL: $$t (valgrind)"; sed 's/^/    /' $$log; \
			fail=$$((fail + 1)); \
		fi; \
	done; \
	echo "check-valgrind: $$pass passed, $$fail failed"; \
	test $$fail = 0
CLEANFILES += $(lib_host_tests:=.valgrind.log)
.PHONY: check-valgrind
