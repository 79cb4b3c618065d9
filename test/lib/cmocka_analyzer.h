/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * For clang-tidy only: make compile_commands.json gives the unit tests
 * -include test/lib/cmocka_analyzer.h.  A cmocka assertion fails by a
 * longjmp from inside a library function the static analyzer cannot see,
 * so the analyzer follows paths past a failed assertion and reports what
 * cannot happen there (an output read after the call that should have
 * written it failed).  Under __clang_analyzer__ the assertions the tests
 * use become a test and a call of cmocka's _fail, which never returns.
 * The tests run with cmocka's own assertions; nothing here is compiled.
 */
#ifndef TEST_CMOCKA_ANALYZER_H
#define TEST_CMOCKA_ANALYZER_H
#ifdef __clang_analyzer__

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

void _fail(const char *const file, const int line)
    __attribute__((analyzer_noreturn));
/* Opaque, as cmocka's own comparison is to the analyzer. */
int cmocka_analyzer_memeq(const void *a, const void *b, size_t n);

#define CMOCKA_ANALYZER_CHECK(c) ((c) ? (void)0 : _fail(__FILE__, __LINE__))

#undef assert_true
#undef assert_false
#undef assert_int_equal
#undef assert_int_not_equal
#undef assert_null
#undef assert_non_null
#undef assert_ptr_equal
#undef assert_memory_equal
#undef assert_memory_not_equal
#undef assert_string_equal
#define assert_true(c) CMOCKA_ANALYZER_CHECK(c)
#define assert_false(c) CMOCKA_ANALYZER_CHECK(!(c))
#define assert_int_equal(a, b) \
	CMOCKA_ANALYZER_CHECK((uintmax_t)(a) == (uintmax_t)(b))
#define assert_int_not_equal(a, b) \
	CMOCKA_ANALYZER_CHECK((uintmax_t)(a) != (uintmax_t)(b))
#define assert_null(p) CMOCKA_ANALYZER_CHECK((p) == NULL)
#define assert_non_null(p) CMOCKA_ANALYZER_CHECK((p) != NULL)
#define assert_ptr_equal(a, b) \
	CMOCKA_ANALYZER_CHECK((const void *)(a) == (const void *)(b))
#define assert_memory_equal(a, b, n) \
	CMOCKA_ANALYZER_CHECK(cmocka_analyzer_memeq(a, b, n))
#define assert_memory_not_equal(a, b, n) \
	CMOCKA_ANALYZER_CHECK(!cmocka_analyzer_memeq(a, b, n))
#define assert_string_equal(a, b) CMOCKA_ANALYZER_CHECK(strcmp(a, b) == 0)

#endif
#endif
