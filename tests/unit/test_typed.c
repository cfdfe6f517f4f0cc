/*
 * test_typed.c - typed access to fields: integers, doubles and exact
 * decimals read from views that are not NUL-terminated, without the C
 * locale, without trimming; edge cases of range and syntax; output left
 * untouched on failure; rn_field_eq.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <locale.h>
#include <math.h>
#include <string.h>

static rn_field view(const char *s)
{
    rn_field f = {s, strlen(s)};
    return f;
}

static void test_int(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int rc;
        int64_t v;
    } cases[] = {
        {"42", RN_OK, 42},
        {"-7", RN_OK, -7},
        {"+0", RN_OK, 0},
        {"007", RN_OK, 7},
        {"9223372036854775807", RN_OK, INT64_MAX},
        {"-9223372036854775808", RN_OK, INT64_MIN},
        {"9223372036854775808", RN_ERANGE, 0},
        {"-9223372036854775809", RN_ERANGE, 0},
        {"99999999999999999999999", RN_ERANGE, 0},
        {"", RN_EPARSE, 0},
        {"n/a", RN_EPARSE, 0},
        {" 1", RN_EPARSE, 0},
        {"1 ", RN_EPARSE, 0},
        {"1.0", RN_EPARSE, 0},
        {"1e3", RN_EPARSE, 0},
        {"0x10", RN_EPARSE, 0},
        {"-", RN_EPARSE, 0},
        {"+", RN_EPARSE, 0},
        {"--1", RN_EPARSE, 0},
        {"\xd9\xa3", RN_EPARSE, 0}, /* ARABIC-INDIC DIGIT THREE */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t v = 12345;
        int rc = rn_field_int(view(cases[i].s), &v);
        if (rc != cases[i].rc)
            fail_msg("'%s': %d, want %d", cases[i].s, rc, cases[i].rc);
        /* Written only on success. */
        assert_true(v == (rc == RN_OK ? cases[i].v : 12345));
    }
    /* Exactly len bytes are read: the view need not end in a NUL. */
    rn_field f = {"123abc", 3};
    int64_t v;
    assert_int_equal(rn_field_int(f, &v), RN_OK);
    assert_true(v == 123);
    f.len = 4;
    assert_int_equal(rn_field_int(f, &v), RN_EPARSE);
    rn_field empty = {NULL, 0}, bad = {NULL, 3};
    assert_int_equal(rn_field_int(empty, &v), RN_EPARSE);
    assert_int_equal(rn_field_int(bad, &v), RN_EINVAL);
    assert_int_equal(rn_field_int(view("5"), NULL), RN_OK);
}

static void test_double(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int rc;
        double v;
    } cases[] = {
        {"1.5", RN_OK, 1.5},
        {".5", RN_OK, 0.5},
        {"5.", RN_OK, 5.0},
        {"-2e-3", RN_OK, -0.002},
        {"+1E+2", RN_OK, 100.0},
        {"0.1", RN_OK, 0.1},
        {"1e308", RN_OK, 1e308},
        {"1e-400", RN_OK, 0.0},                /* underflow: not an error */
        {"4.9e-324", RN_OK, 4.9e-324},         /* the least subnormal */
        {"1e999", RN_ERANGE, 0},
        {"-1e999", RN_ERANGE, 0},
        {"1.8e308", RN_ERANGE, 0},
        {"nan", RN_EPARSE, 0},
        {"NaN", RN_EPARSE, 0},
        {"", RN_EPARSE, 0},
        {"n/a", RN_EPARSE, 0},
        {" 1", RN_EPARSE, 0},
        {"1 ", RN_EPARSE, 0},
        {"1,5", RN_EPARSE, 0},
        {"0x1p3", RN_EPARSE, 0},
        {"e5", RN_EPARSE, 0},
        {"1e", RN_EPARSE, 0},
        {".", RN_EPARSE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double v = 12345.0;
        int rc = rn_field_double(view(cases[i].s), &v);
        if (rc != cases[i].rc)
            fail_msg("'%s': %d, want %d", cases[i].s, rc, cases[i].rc);
        if (rc == RN_OK) {
            if (v != cases[i].v)
                fail_msg("'%s': %.17g, want %.17g", cases[i].s, v,
                         cases[i].v);
        } else {
            assert_true(v == 12345.0);
        }
    }
    double v;
    assert_int_equal(rn_field_double(view("inf"), &v), RN_OK);
    assert_true(isinf(v) && v > 0);
    assert_int_equal(rn_field_double(view("-Infinity"), &v), RN_OK);
    assert_true(isinf(v) && v < 0);
    rn_field f = {"2.5e1xyz", 5};
    assert_int_equal(rn_field_double(f, &v), RN_OK);
    assert_true(v == 25.0);
    rn_field bad = {NULL, 2};
    assert_int_equal(rn_field_double(bad, &v), RN_EINVAL);
}

/* A comma-decimal locale, when the system has one, changes nothing. */
static void test_locale_free(void **state)
{
    (void)state;
    static const char *const locales[] = {"de_DE.UTF-8", "de_DE.utf8",
                                          "fr_FR.UTF-8", "C.UTF-8"};
    const char *got = NULL;
    for (size_t i = 0; !got && i < sizeof locales / sizeof *locales; i++)
        got = setlocale(LC_NUMERIC, locales[i]);
    double v;
    int64_t u;
    int sc;
    assert_int_equal(rn_field_double(view("1.25"), &v), RN_OK);
    assert_true(v == 1.25);
    assert_int_equal(rn_field_double(view("1,25"), &v), RN_EPARSE);
    assert_int_equal(rn_field_decimal(view("1.25"), &u, &sc), RN_OK);
    assert_true(u == 125 && sc == 2);
    setlocale(LC_NUMERIC, "C");
}

static void test_decimal(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int rc;
        int64_t units;
        int scale;
    } cases[] = {
        {"-1.50", RN_OK, -150, 2},
        {"7", RN_OK, 7, 0},
        {"+3.25", RN_OK, 325, 2},
        {".5", RN_OK, 5, 1},
        {"5.", RN_OK, 5, 0},
        {"0.000000000000000001", RN_OK, 1, 18},
        {"999999999999999999", RN_OK, INT64_C(999999999999999999), 0},
        {"1234567890123456789", RN_ERANGE, 0, 0},
        {"0.0000000000000000001", RN_ERANGE, 0, 0},
        {"1e3", RN_EPARSE, 0, 0},
        {"inf", RN_EPARSE, 0, 0},
        {"", RN_EPARSE, 0, 0},
        {"n/a", RN_EPARSE, 0, 0},
        {" 1", RN_EPARSE, 0, 0},
        {"1.2.3", RN_EPARSE, 0, 0},
        {".", RN_EPARSE, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t u = 12345;
        int sc = 99;
        int rc = rn_field_decimal(view(cases[i].s), &u, &sc);
        if (rc != cases[i].rc)
            fail_msg("'%s': %d, want %d", cases[i].s, rc, cases[i].rc);
        if (rc == RN_OK) {
            assert_true(u == cases[i].units);
            assert_int_equal(sc, cases[i].scale);
        } else {
            assert_true(u == 12345);
            assert_int_equal(sc, 99);
        }
    }
}

static void test_eq(void **state)
{
    (void)state;
    rn_field f = {"ERRORS", 5};
    assert_int_equal(rn_field_eq(f, "ERROR"), 1);
    assert_int_equal(rn_field_eq(f, "ERRORS"), 0);
    assert_int_equal(rn_field_eq(f, "error"), 0);
    assert_int_equal(rn_field_eq(f, "ERR"), 0);
    assert_int_equal(rn_field_eq(f, ""), 0);
    assert_int_equal(rn_field_eq(f, NULL), 0);
    rn_field empty = {NULL, 0};
    assert_int_equal(rn_field_eq(empty, ""), 1);
    assert_int_equal(rn_field_eq(empty, "x"), 0);
    rn_field bad = {NULL, 2};
    assert_int_equal(rn_field_eq(bad, "ab"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_double),
        cmocka_unit_test(test_locale_free),
        cmocka_unit_test(test_decimal),
        cmocka_unit_test(test_eq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
