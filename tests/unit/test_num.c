/*
 * test_num.c - number parsing and formatting. Every parse reads from a heap
 * copy of exactly the input's length, so ASan catches a read past the view.
 * Doubles are checked bit for bit against glibc's correctly rounded strtod,
 * and formatting against a brute-force shortest round trip.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "support.h"
#include "base/num.h"

#include <float.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

/* Parses s through a copy with no terminator and no slack after it. */
static int i64_of(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    char *c = malloc(n ? n : 1);
    memcpy(c, s, n);
    int rc = rn__parse_i64(c, n, out);
    free(c);
    return rc;
}

static int dec_of(const char *s, int64_t *units, int *scale)
{
    size_t n = strlen(s);
    char *c = malloc(n ? n : 1);
    memcpy(c, s, n);
    int rc = rn__parse_decimal(c, n, units, scale);
    free(c);
    return rc;
}

static int dbl_of(const char *s, double *out)
{
    size_t n = strlen(s);
    char *c = malloc(n ? n : 1);
    memcpy(c, s, n);
    int rc = rn__parse_double(c, n, out);
    free(c);
    return rc;
}

static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* ---- integers ------------------------------------------------------------ */

static void test_parse_i64(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int rc;
        int64_t v;
    } cases[] = {
        {"0", RN_OK, 0},
        {"-0", RN_OK, 0},
        {"+5", RN_OK, 5},
        {"007", RN_OK, 7},
        {"-123", RN_OK, -123},
        {"9223372036854775807", RN_OK, INT64_MAX},
        {"-9223372036854775808", RN_OK, INT64_MIN},
        {"+0009223372036854775807", RN_OK, INT64_MAX},
        {"9223372036854775808", RN_ERANGE, 0},
        {"-9223372036854775809", RN_ERANGE, 0},
        {"18446744073709551616", RN_ERANGE, 0},
        {"99999999999999999999999999", RN_ERANGE, 0},
        {"99999999999999999999x", RN_EPARSE, 0},
        {"", RN_EPARSE, 0},
        {"-", RN_EPARSE, 0},
        {"+", RN_EPARSE, 0},
        {"--1", RN_EPARSE, 0},
        {"+-1", RN_EPARSE, 0},
        {" 1", RN_EPARSE, 0},
        {"1 ", RN_EPARSE, 0},
        {"1.0", RN_EPARSE, 0},
        {"1e3", RN_EPARSE, 0},
        {"0x10", RN_EPARSE, 0},
        {"12a", RN_EPARSE, 0},
        {"\xd9\xa1", RN_EPARSE, 0}, /* an Arabic-Indic digit is not a digit */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 12345;
        int rc = i64_of(cases[i].s, &v);
        if (rc != cases[i].rc)
            fail_msg("\"%s\": rc %d, want %d", cases[i].s, rc, cases[i].rc);
        if (rc == RN_OK && v != cases[i].v)
            fail_msg("\"%s\": %" PRId64, cases[i].s, v);
        if (rc != RN_OK)
            assert_int_equal(v, 12345); /* untouched on error */
    }
    /* Only n bytes count. */
    int64_t v;
    assert_int_equal(rn__parse_i64("123", 2, &v), RN_OK);
    assert_int_equal(v, 12);
    assert_int_equal(rn__parse_i64(NULL, 0, &v), RN_EPARSE);
}

static void test_fmt_i64_round_trips(void **state)
{
    (void)state;
    char buf[RN__FMT_I64_MAX], ref[32];
    int64_t edge[] = {0, 1, -1, 9, 10, -10, INT64_MAX, INT64_MIN, INT64_MAX - 1,
                      INT64_MIN + 1, 1000000, -999999999999};
    uint64_t r = 1;
    for (int i = 0; i < 20000; i++) {
        int64_t v;
        if (i < (int)(sizeof edge / sizeof edge[0])) {
            v = edge[i];
        } else {
            uint64_t u = rng_next(&r) >> (rng_next(&r) % 64);
            v = (int64_t)(u >> 1);
            if (i % 2)
                v = ~v; /* negative, INT64_MIN included */
        }
        size_t n = rn__fmt_i64(v, buf);
        snprintf(ref, sizeof ref, "%" PRId64, v);
        assert_int_equal(n, strlen(ref));
        assert_string_equal(buf, ref); /* NUL-terminated too */
        int64_t back;
        assert_int_equal(rn__parse_i64(buf, n, &back), RN_OK);
        assert_true(back == v);
    }
}

/* ---- exact decimals ------------------------------------------------------ */

static void test_parse_decimal(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int rc;
        int64_t units;
        int scale;
    } cases[] = {
        {"123", RN_OK, 123, 0},
        {"-1.50", RN_OK, -150, 2},
        {".5", RN_OK, 5, 1},
        {"5.", RN_OK, 5, 0},
        {"+3.25", RN_OK, 325, 2},
        {"-0.00", RN_OK, 0, 2},
        {"0", RN_OK, 0, 0},
        {"000123.4500", RN_OK, 1234500, 4},
        {"0.000000000000000001", RN_OK, 1, 18},
        {"999999999999999999", RN_OK, 999999999999999999, 0},
        {"-99999999999999999.9", RN_OK, -999999999999999999, 1},
        {"0000000000000000000000001", RN_OK, 1, 0}, /* leading zeros free */
        {"1000000000000000000", RN_ERANGE, 0, 0},   /* 19 digits */
        {"1.000000000000000000", RN_ERANGE, 0, 0},
        {"0.0000000000000000001", RN_ERANGE, 0, 0}, /* scale 19 */
        {"12345678901234567890.5", RN_ERANGE, 0, 0},
        {"12345678901234567890x", RN_EPARSE, 0, 0},
        {"1e3", RN_EPARSE, 0, 0},
        {"1E3", RN_EPARSE, 0, 0},
        {"inf", RN_EPARSE, 0, 0},
        {"nan", RN_EPARSE, 0, 0},
        {"", RN_EPARSE, 0, 0},
        {".", RN_EPARSE, 0, 0},
        {"-.", RN_EPARSE, 0, 0},
        {"+", RN_EPARSE, 0, 0},
        {"1.2.3", RN_EPARSE, 0, 0},
        {"1..2", RN_EPARSE, 0, 0},
        {" 1.5", RN_EPARSE, 0, 0},
        {"1.5 ", RN_EPARSE, 0, 0},
        {"1,5", RN_EPARSE, 0, 0},
        {"--1", RN_EPARSE, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t units = 77;
        int scale = 77;
        int rc = dec_of(cases[i].s, &units, &scale);
        if (rc != cases[i].rc)
            fail_msg("\"%s\": rc %d, want %d", cases[i].s, rc, cases[i].rc);
        if (rc == RN_OK &&
            (units != cases[i].units || scale != cases[i].scale))
            fail_msg("\"%s\": %" PRId64 " scale %d", cases[i].s, units, scale);
        if (rc != RN_OK)
            assert_true(units == 77 && scale == 77);
    }
}

/* The inline short form of rn__parse_decimal (8 bytes at a time) against
 * the byte loop, on random short strings of digits, points, signs and other
 * bytes, each in a buffer of exactly its size. */
static void test_parse_decimal_short_form(void **state)
{
    (void)state;
    const char pick[] = "0123456789.+-x \x00/:\xff";
    uint64_t seed = 11;
    for (int iter = 0; iter < 300000; iter++) {
        uint64_t x = tst_rnd(&seed);
        size_t n = (size_t)(x % 12);
        char *p = malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++) {
            unsigned k = (unsigned)((x >> (4 + 5 * i)) % 32);
            p[i] = k < 20 ? pick[k % 10] : k < 26 ? '.' : pick[k % 19];
            if (i >= 11)
                p[i] = pick[tst_rnd(&seed) % 19];
        }
        int64_t u1 = 0, u2 = 0;
        int s1 = -1, s2 = -1;
        int r1 = rn__parse_decimal(p, n, &u1, &s1);
        int r2 = rn__parse_decimal_loop(p, n, &u2, &s2);
        assert_int_equal(r1, r2);
        if (r1 == RN_OK) {
            assert_true(u1 == u2);
            assert_int_equal(s1, s2);
        }
        free(p);
    }
}

static void test_fmt_decimal(void **state)
{
    (void)state;
    static const struct {
        int64_t units;
        int scale;
        const char *want;
    } cases[] = {
        {-150, 2, "-1.50"},
        {5, 2, "0.05"},
        {-5, 2, "-0.05"},
        {0, 2, "0.00"},
        {0, 0, "0"},
        {7, 0, "7"},
        {123, 3, "0.123"},
        {1234, 3, "1.234"},
        {INT64_MIN, 0, "-9223372036854775808"},
        {INT64_MIN, 18, "-9.223372036854775808"},
        {INT64_MIN, 19, "-0.9223372036854775808"},
        {INT64_MIN, 20, "-0.09223372036854775808"},
        {INT64_MAX, 20, "0.09223372036854775807"},
        {-1, 20, "-0.00000000000000000001"},
        {15, -3, "15"},            /* clamped to 0 */
        {1, 99, "0.00000000000000000001"}, /* clamped to 20 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[RN__FMT_DECIMAL_MAX];
        size_t n = rn__fmt_decimal(cases[i].units, cases[i].scale, buf);
        assert_string_equal(buf, cases[i].want);
        assert_int_equal(n, strlen(cases[i].want));
    }
    /* Whatever the exact parser accepts, the formatter gives back. */
    uint64_t r = 5;
    for (int i = 0; i < 20000; i++) {
        int64_t units = (int64_t)(rng_next(&r) % UINT64_C(1000000000000000000));
        units >>= rng_next(&r) % 60;
        if (i & 1)
            units = -units;
        int scale = (int)(rng_next(&r) % 19);
        char buf[RN__FMT_DECIMAL_MAX];
        size_t n = rn__fmt_decimal(units, scale, buf);
        int64_t u2;
        int s2;
        assert_int_equal(rn__parse_decimal(buf, n, &u2, &s2), RN_OK);
        assert_true(u2 == units);
        assert_int_equal(s2, scale);
    }
}

/* ---- doubles ------------------------------------------------------------- */

static void test_parse_double_cases(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        double v;
    } ok[] = {
        {"0", 0.0},
        {"1", 1.0},
        {"-1.5", -1.5},
        {".5", 0.5},
        {"5.", 5.0},
        {"+3.25", 3.25},
        {"1e3", 1000.0},
        {"1E3", 1000.0},
        {"1e+3", 1000.0},
        {"1e-3", 0.001},
        {"2E+10", 2e10},
        {"-2.5e-3", -0.0025},
        {".5e1", 5.0},
        {"5.e-1", 0.5},
        {"0.1", 0.1},
        {"1e22", 1e22},
        {"1e23", 1e23},
        {"1e30", 1e30},
        {"123456789012345678901234567890", 1.2345678901234568e29},
        {"9007199254740993", 9007199254740992.0}, /* a tie, to even */
        {"9007199254740995", 9007199254740996.0},
        {"1000000000000000000000", 1e21},
        {"1.7976931348623157e308", DBL_MAX},
        {"2.2250738585072014e-308", DBL_MIN},
        {"4.9406564584124654e-324", 4.9406564584124654e-324},
        {"2.4703282292062328e-324", 4.9406564584124654e-324},
        {"2.4703282292062327e-324", 0.0},
        {"1e-400", 0.0},
        {"0e999999999999", 0.0},
        {"00000.00000001", 1e-8},
        {"1.7976931348623159e308", INFINITY}, /* overflow: no error */
        {"1e400", INFINITY},
        {"-1e400", -INFINITY},
        {"inf", INFINITY},
        {"-INF", -INFINITY},
        {"+Infinity", INFINITY},
        {"iNfInItY", INFINITY},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double v = 0;
        int rc = dbl_of(ok[i].s, &v);
        if (rc != RN_OK || bits(v) != bits(ok[i].v))
            fail_msg("\"%s\": rc %d, %.17g, want %.17g", ok[i].s, rc, v,
                     ok[i].v);
    }
    double v = 1;
    assert_int_equal(dbl_of("-0", &v), RN_OK);
    assert_true(v == 0 && signbit(v));
    assert_int_equal(dbl_of("-0.0e5", &v), RN_OK);
    assert_true(v == 0 && signbit(v));
    assert_int_equal(dbl_of("nan", &v), RN_OK);
    assert_true(isnan(v));
    assert_int_equal(dbl_of("-NaN", &v), RN_OK);
    assert_true(isnan(v));

    static const char *bad[] = {
        "", "+", "-", ".", "-.", "e1", ".e1", "1e", "1e+", "1e-", "1e+-3",
        "1.2.3", "1..2", " 1", "1 ", "\t1", "1\n", "0x1p3", "0x10", "inff",
        "infinit", "in", "nan(1)", "nanx", "--1", "+-1", "1,5", "1e3.5",
        "1ee3", "1d3", "NaN ", "٣",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 12.5;
        int rc = dbl_of(bad[i], &v);
        if (rc != RN_EPARSE)
            fail_msg("\"%s\": rc %d, want RN_EPARSE", bad[i], rc);
        assert_true(v == 12.5);
    }
    /* Only n bytes count, even on the slow path. */
    assert_int_equal(rn__parse_double("1.5e1", 3, &v), RN_OK);
    assert_true(v == 1.5);
    assert_int_equal(rn__parse_double("0.30000000000000004999", 19, &v), RN_OK);
    assert_true(v == 0.30000000000000004);
    assert_int_equal(rn__parse_double(NULL, 0, &v), RN_EPARSE);
}

/* Long inputs: up to 399 bytes parse exactly; longer ones may be refused
 * but must never be misread. */
static void test_parse_double_long(void **state)
{
    (void)state;
    char s[1000];
    for (size_t n = 1; n < sizeof s; n += 37) {
        memset(s, '0', n);
        s[0] = '1';
        if (n > 2)
            s[1] = '.';
        s[n - 1] = '7';
        s[n] = '\0';
        double v, ref = strtod(s, NULL);
        int rc = dbl_of(s, &v);
        if (n < 400)
            assert_int_equal(rc, RN_OK);
        assert_true(rc == RN_OK || rc == RN_EPARSE);
        if (rc == RN_OK)
            assert_true(bits(v) == bits(ref));
    }
    /* Many digits, few of them significant. */
    double v;
    assert_int_equal(
        dbl_of("0.000000000000000000000000000000000000000000125", &v), RN_OK);
    assert_true(v == 1.25e-43);
}

/* Random decimal strings of every shape, compared bit for bit with strtod
 * (glibc's is correctly rounded in round-to-nearest). */
static void test_parse_double_matches_strtod(void **state)
{
    (void)state;
    uint64_t r = 2024;
    char s[64];
    for (int i = 0; i < 300000; i++) {
        size_t k = 0;
        uint64_t x = rng_next(&r);
        if (x & 1)
            s[k++] = '-';
        int ndig = 1 + (int)((x >> 1) % 25);
        int point = (int)((x >> 6) % (unsigned)(ndig + 2)) - 1;
        for (int d = 0; d < ndig; d++) {
            if (d == point)
                s[k++] = '.';
            uint64_t y = rng_next(&r);
            /* Runs of 0s and 9s make halfway and carry cases likely. */
            s[k++] = (y & 3) == 0 ? '0' : (y & 3) == 1 ? '9'
                                        : (char)('0' + (y >> 8) % 10);
        }
        if ((x >> 12) % 3 == 0) {
            int e = (int)((x >> 16) % 700) - 350;
            k += (size_t)snprintf(s + k, sizeof s - k, "e%d", e);
        }
        s[k] = '\0';
        double v, ref = strtod(s, NULL);
        int rc = rn__parse_double(s, k, &v);
        if (rc != RN_OK || bits(v) != bits(ref))
            fail_msg("\"%s\": rc %d, %.17g, want %.17g", s, rc, v, ref);
    }
}

static void test_fmt_double_cases(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {12345678.9, "12345678.9"},
        {1e7, "10000000"},
        {0.1, "0.1"},
        {1e20, "1e+20"},
        {1.5, "1.5"},
        {-2, "-2"},
        {0.0, "0"},
        {-0.0, "-0"},
        {100, "100"},
        {1e-5, "0.00001"},
        {1.5e-5, "0.000015"},
        {0.00012, "0.00012"},
        {1e-6, "1e-6"},
        {2.5e-7, "2.5e-7"},
        {123456789012345.0, "123456789012345"},
        {999999999999999.9, "999999999999999.9"},
        {1e15, "1e+15"},
        {0.30000000000000004, "0.30000000000000004"},
        {1.0 / 3, "0.3333333333333333"},
        {2.0 / 3, "0.6666666666666666"},
        {-1234.5678, "-1234.5678"},
        {9007199254740992.0, "9.007199254740992e+15"},
        {DBL_MAX, "1.7976931348623157e+308"},
        {-DBL_MAX, "-1.7976931348623157e+308"},
        {DBL_MIN, "2.2250738585072014e-308"},
        {4.9406564584124654e-324, "5e-324"},
        {1e-320, "1e-320"},
        {1e300, "1e+300"},
        {1.25e100, "1.25e+100"},
        {INFINITY, "inf"},
        {-INFINITY, "-inf"},
        {NAN, "nan"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[RN__FMT_DOUBLE_MAX];
        memset(buf, 'X', sizeof buf);
        size_t n = rn__fmt_double(cases[i].v, buf);
        if (n != strlen(cases[i].want) || strcmp(buf, cases[i].want) != 0)
            fail_msg("%.17g: got \"%.*s\", want \"%s\"", cases[i].v, (int)n, buf,
                     cases[i].want);
    }
}

/* Significant digits in s: from the first nonzero digit to the last nonzero
 * one, before any exponent. */
static int sig_digits(const char *s)
{
    int first = -1, last = -1, pos = 0;
    for (; *s && *s != 'e'; s++) {
        if (*s < '0' || *s > '9')
            continue;
        if (*s != '0') {
            if (first < 0)
                first = pos;
            last = pos;
        }
        pos++;
    }
    return first < 0 ? 0 : last - first + 1;
}

/* The fewest significant digits %.*e needs to read back as v via strtod. */
static int shortest_ref(double v)
{
    char tmp[64];
    for (int p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
        if (strtod(tmp, NULL) == v)
            return p;
    }
    return 17;
}

static void check_round_trip(double v)
{
    char buf[RN__FMT_DOUBLE_MAX + 8];
    memset(buf, 'X', sizeof buf);
    size_t n = rn__fmt_double(v, buf);
    assert_true(n < RN__FMT_DOUBLE_MAX);
    assert_int_equal(buf[n], '\0');
    assert_int_equal(buf[RN__FMT_DOUBLE_MAX], 'X'); /* nothing past the cap */
    double back;
    if (rn__parse_double(buf, n, &back) != RN_OK || bits(back) != bits(v))
        fail_msg("%.17g printed as \"%s\" reads back as %.17g", v, buf, back);
    double a = v < 0 ? -v : v;
    bool plain = a >= 1e-5 && a < 1e15;
    if (plain != (strchr(buf, 'e') == NULL) && a != 0)
        fail_msg("%.17g printed as \"%s\"", v, buf);
    if (a != 0) {
        int ref = shortest_ref(v);
        if (sig_digits(buf) > ref)
            fail_msg("%.17g printed as \"%s\", %d digits suffice", v, buf, ref);
    }
    if (strstr(buf, ".") && !strchr(buf, 'e'))
        assert_true(buf[n - 1] != '0'); /* no trailing zeros after a point */
}

static void test_fmt_double_round_trips(void **state)
{
    (void)state;
    uint64_t r = 77;
    for (int i = 0; i < 200000; i++) {
        uint64_t x = rng_next(&r);
        double v;
        switch (i % 6) {
        case 0: /* any bit pattern */
            v = from_bits(x);
            break;
        case 1: /* subnormals */
            v = from_bits(x & UINT64_C(0x800fffffffffffff));
            break;
        case 2: /* decimals with few digits, the common data case */
            v = (double)(int64_t)(x % 2000000 - 1000000) /
                (double)(1u << (x >> 40) % 4) / 100.0;
            break;
        case 3: /* integers up to 2^63 */
            v = (double)(int64_t)(x >> (x % 64));
            break;
        case 4: /* sums that lose digits */
            v = (double)(x % 1000) * 0.1 + (double)(x >> 50) * 0.01;
            break;
        default: /* near the plain/exponent boundaries */
            v = ((x & 1) ? 1e15 : 1e-5) * (1.0 + ((double)(x >> 11) - 4.5e15) / 1e17);
            break;
        }
        if (isnan(v))
            continue;
        check_round_trip(v);
    }
    /* The neighbours just below the plain/exponent boundaries. */
    double below_1e15 = from_bits(bits(1e15) - 1);
    double below_1em5 = from_bits(bits(1e-5) - 1);
    double edge[] = {DBL_MIN, DBL_MAX, DBL_TRUE_MIN, -DBL_TRUE_MIN,
                     below_1e15, 1e15, below_1em5, 1e-5,
                     (double)INT64_MAX, (double)INT64_MIN, 0.5, 1.0 / 3};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
        check_round_trip(edge[i]);
}

/* A locale with a decimal comma must change nothing. glibc needs the locale
 * compiled; when none is installed the test only exercises the "C" path. */
static void test_locale_independent(void **state)
{
    (void)state;
    static const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
                                  "ps_AF.UTF-8"};
    const char *set = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !set; i++)
        set = setlocale(LC_NUMERIC, names[i]);
    double v;
    assert_int_equal(dbl_of("1.5", &v), RN_OK);
    assert_true(v == 1.5);
    assert_int_equal(dbl_of("0.30000000000000004", &v), RN_OK); /* slow path */
    assert_true(v == 0.30000000000000004);
    assert_int_equal(dbl_of("1,5", &v), RN_EPARSE);
    char buf[RN__FMT_DOUBLE_MAX];
    rn__fmt_double(0.30000000000000004, buf); /* the printf path */
    assert_string_equal(buf, "0.30000000000000004");
    rn__fmt_double(1.5e-300, buf);
    assert_string_equal(buf, "1.5e-300");
    setlocale(LC_NUMERIC, "C");
    if (!set)
        print_message("no comma locale installed: checked C only\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_i64),
        cmocka_unit_test(test_fmt_i64_round_trips),
        cmocka_unit_test(test_parse_decimal),
        cmocka_unit_test(test_parse_decimal_short_form),
        cmocka_unit_test(test_fmt_decimal),
        cmocka_unit_test(test_parse_double_cases),
        cmocka_unit_test(test_parse_double_long),
        cmocka_unit_test(test_parse_double_matches_strtod),
        cmocka_unit_test(test_fmt_double_cases),
        cmocka_unit_test(test_fmt_double_round_trips),
        cmocka_unit_test(test_locale_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
