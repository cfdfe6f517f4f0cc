/*
 * num.c - number parsing and formatting that ignore the C locale.
 *
 * Parsers check the whole view themselves, so no other syntax (hex floats,
 * spaces) slips through. rn__parse_double rounds correctly: a significand of
 * at most 53 bits times an exact power of ten is one IEEE operation (Clinger's
 * fast path); the rest goes to strtod_l() in a per-call C locale. For the
 * fewest digits that read back, rn__fmt_double scales by powers of ten with
 * the parser's own exact arithmetic, then falls back to "%.*e" at 15-17
 * digits, each checked by parsing. There is no mutable static state.
 */
#include "num.h"

#include "runnel_internal.h"

#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fast path needs each operation rounded to double, not to a wider type
 * (x87); elsewhere every parse takes the slow path, which is still exact. */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define NUM_FAST 1
#else
#define NUM_FAST 0
#endif

#define TWO53 UINT64_C(9007199254740992)

/* Longest input the slow path copies to the stack. */
#define NUM_SLOW_MAX 400

/* Powers of ten that are exact doubles. */
static const double pow10_dbl[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static const uint64_t pow10_u64[16] = {
    UINT64_C(1),
    UINT64_C(10),
    UINT64_C(100),
    UINT64_C(1000),
    UINT64_C(10000),
    UINT64_C(100000),
    UINT64_C(1000000),
    UINT64_C(10000000),
    UINT64_C(100000000),
    UINT64_C(1000000000),
    UINT64_C(10000000000),
    UINT64_C(100000000000),
    UINT64_C(1000000000000),
    UINT64_C(10000000000000),
    UINT64_C(100000000000000),
    UINT64_C(1000000000000000),
};

/* The digit value of c, or something above 9 for any other byte. */
static inline unsigned digit(char c)
{
    return (unsigned)(unsigned char)c - '0';
}

/* ---- integers and exact decimals ------------------------------------------ */

int rn__parse_i64(const char *p, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (p[0] == '+' || p[0] == '-')) {
        neg = p[0] == '-';
        i = 1;
    }
    if (i == n)
        return RN_EPARSE;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t acc = 0;
    bool over = false;
    for (; i < n; i++) {
        unsigned d = digit(p[i]);
        if (d > 9)
            return RN_EPARSE;
        /* Keep scanning after an overflow: "99999999999999999999x" is a
         * syntax error, not a range error. */
        if (acc > (limit - d) / 10)
            over = true;
        else
            acc = acc * 10 + d;
    }
    if (over)
        return RN_ERANGE;
    if (neg)
        *out = acc > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)acc;
    else
        *out = (int64_t)acc;
    return RN_OK;
}

int rn__parse_decimal_loop(const char *p, size_t n, int64_t *units,
                           int *scale)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (p[0] == '+' || p[0] == '-')) {
        neg = p[0] == '-';
        i = 1;
    }
    uint64_t acc = 0;
    size_t sig = 0;    /* digits from the first nonzero one on */
    size_t frac = 0;   /* digits after the point */
    size_t digits = 0; /* all digits */
    bool point = false;
    for (; i < n; i++) {
        unsigned d = digit(p[i]);
        if (d <= 9) {
            digits++;
            frac += point;
            if (sig > 0 || d != 0) {
                /* Past the cap the value is not used, only the count. */
                if (++sig <= RN__DECIMAL_DIGITS)
                    acc = acc * 10 + d;
            }
        } else if (p[i] == '.' && !point) {
            point = true;
        } else {
            return RN_EPARSE;
        }
    }
    if (digits == 0)
        return RN_EPARSE;
    if (sig > RN__DECIMAL_DIGITS || frac > RN__DECIMAL_DIGITS)
        return RN_ERANGE;
    *units = neg ? -(int64_t)acc : (int64_t)acc;
    *scale = (int)frac;
    return RN_OK;
}

/* ---- doubles ---------------------------------------------------------------- */

/* Whether the n bytes at s spell word (lowercase ASCII) in any case. */
static bool same_word(const char *s, size_t n, const char *word)
{
    size_t i = 0;
    for (; i < n && word[i]; i++)
        if ((s[i] | 0x20) != word[i])
            return false;
    return i == n && word[i] == '\0';
}

static int parse_special(const char *s, size_t n, bool neg, double *out)
{
    if (same_word(s, n, "inf") || same_word(s, n, "infinity"))
        *out = neg ? -HUGE_VAL : HUGE_VAL;
    else if (same_word(s, n, "nan"))
        *out = neg ? -NAN : NAN;
    else
        return RN_EPARSE;
    return RN_OK;
}

/* The exact but slow path for input whose syntax was already checked. A C
 * locale made per call keeps "." the decimal point whatever setlocale() the
 * application did, without touching global or thread state; glibc hands out
 * a static object for "C", so this does not allocate there. */
static int parse_slow(const char *p, size_t n, double *out)
{
    char buf[NUM_SLOW_MAX];
    if (n >= sizeof buf)
        return RN_EPARSE;
    memcpy(buf, p, n);
    buf[n] = '\0';
    locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (c == (locale_t)0)
        return RN_ENOMEM;
    int saved = errno; /* strtod reports overflow in errno; callers need not */
    char *end;
    double v = strtod_l(buf, &end, c);
    errno = saved;
    freelocale(c);
    if (end != buf + n)
        return RN_EPARSE;
    *out = v;
    return RN_OK;
}

/* w * 10^e10 when that is exact in one IEEE operation; false otherwise. */
static bool fast_scale(uint64_t w, int64_t e10, double *out)
{
    if (!NUM_FAST)
        return false;
    while (w > TWO53 && w % 10 == 0) { /* "1000000000000000000000" */
        w /= 10;
        e10++;
    }
    if (w > TWO53)
        return false;
    if (e10 >= 0 && e10 <= 22) {
        *out = (double)w * pow10_dbl[e10];
        return true;
    }
    if (e10 < 0 && e10 >= -22) {
        *out = (double)w / pow10_dbl[-e10];
        return true;
    }
    /* "1e30": move the excess power into w while w stays exact. */
    if (e10 > 22 && e10 <= 22 + 15 && w <= TWO53 / pow10_u64[e10 - 22]) {
        *out = (double)(w * pow10_u64[e10 - 22]) * 1e22;
        return true;
    }
    return false;
}

int rn__parse_double(const char *p, size_t n, double *out)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (p[0] == '+' || p[0] == '-')) {
        neg = p[0] == '-';
        i = 1;
    }
    if (i < n && digit(p[i]) > 9 && p[i] != '.')
        return parse_special(p + i, n - i, neg, out);

    /* The first 19 significant digits go into w (they fit in 64 bits); the
     * value is w * 10^e10, exactly unless a dropped digit was nonzero. */
    uint64_t w = 0;
    int nd = 0;
    int64_t e10 = 0;
    bool inexact = false, any = false;
    for (; i < n; i++) {
        unsigned d = digit(p[i]);
        if (d > 9)
            break;
        any = true;
        if (nd < 19) {
            if (w || d) {
                w = w * 10 + d;
                nd++;
            }
        } else {
            e10++;
            inexact |= d != 0;
        }
    }
    if (i < n && p[i] == '.') {
        for (i++; i < n; i++) {
            unsigned d = digit(p[i]);
            if (d > 9)
                break;
            any = true;
            if (nd < 19) {
                if (w || d) {
                    w = w * 10 + d;
                    nd++;
                }
                e10--;
            } else {
                inexact |= d != 0;
            }
        }
    }
    if (!any)
        return RN_EPARSE;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        bool eneg = false;
        if (++i < n && (p[i] == '+' || p[i] == '-'))
            eneg = p[i++] == '-';
        if (i == n)
            return RN_EPARSE;
        int64_t x = 0;
        for (; i < n; i++) {
            unsigned d = digit(p[i]);
            if (d > 9)
                return RN_EPARSE;
            if (x < 100000000) /* far past any double; saturate */
                x = x * 10 + d;
        }
        e10 += eneg ? -x : x;
    }
    if (i != n)
        return RN_EPARSE;

    double v;
    if (w == 0)
        v = 0.0; /* any exponent: "0e999999" is zero */
    else if (inexact || !fast_scale(w, e10, &v))
        return parse_slow(p, n, out);
    *out = neg ? -v : v;
    return RN_OK;
}

/* ---- formatting ------------------------------------------------------------- */

/* Writes the decimal digits of u to buf; returns how many. */
static size_t put_u64(uint64_t u, char *buf)
{
    char tmp[20];
    size_t k = 0;
    do {
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    for (size_t i = 0; i < k; i++)
        buf[i] = tmp[k - 1 - i];
    return k;
}

/* The magnitude of v, correct for INT64_MIN too. */
static uint64_t magnitude(int64_t v)
{
    return v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
}

size_t rn__fmt_i64(int64_t v, char *buf)
{
    size_t k = 0;
    if (v < 0)
        buf[k++] = '-';
    k += put_u64(magnitude(v), buf + k);
    buf[k] = '\0';
    return k;
}

size_t rn__fmt_decimal(int64_t units, int scale, char *buf)
{
    if (scale < 0)
        scale = 0;
    if (scale > 20)
        scale = 20;
    char d[20];
    size_t nd = put_u64(magnitude(units), d);
    size_t s = (size_t)scale, k = 0;
    if (units < 0)
        buf[k++] = '-';
    if (nd <= s) {
        /* 0.0ddd: every digit is after the point (s >= 1 since nd >= 1). */
        buf[k++] = '0';
        buf[k++] = '.';
        for (size_t i = nd; i < s; i++)
            buf[k++] = '0';
        memcpy(buf + k, d, nd);
        k += nd;
    } else {
        memcpy(buf + k, d, nd - s);
        k += nd - s;
        if (s) {
            buf[k++] = '.';
            memcpy(buf + k, d + nd - s, s);
            k += s;
        }
    }
    buf[k] = '\0';
    return k;
}

/* Lays out the significant digits d[0..nd) of a value d.ddd * 10^x, plain
 * from 1e-5 up to 1e15 and in exponent notation outside; returns the length
 * and writes a NUL. */
static size_t layout(const char *d, int nd, int x, char *out)
{
    size_t k = 0;
    if (x >= 0 && x < 15) {
        for (int i = 0; i <= x; i++)
            out[k++] = i < nd ? d[i] : '0';
        if (nd > x + 1) {
            out[k++] = '.';
            for (int i = x + 1; i < nd; i++)
                out[k++] = d[i];
        }
    } else if (x < 0 && x >= -5) {
        out[k++] = '0';
        out[k++] = '.';
        for (int i = 0; i < -x - 1; i++)
            out[k++] = '0';
        for (int i = 0; i < nd; i++)
            out[k++] = d[i];
    } else {
        out[k++] = d[0];
        if (nd > 1) {
            out[k++] = '.';
            for (int i = 1; i < nd; i++)
                out[k++] = d[i];
        }
        out[k++] = 'e';
        out[k++] = x < 0 ? '-' : '+';
        k += put_u64((uint64_t)(x < 0 ? -x : x), out + k);
    }
    out[k] = '\0';
    return k;
}

/* The digits of v > 0 rounded to prec significant digits, trailing zeros
 * dropped, and its decimal exponent. printf rounds exactly; only its decimal
 * point depends on the locale, so every non-digit before the 'e' is skipped
 * rather than expected to be '.'. Returns the number of digits. */
static int sci_digits(double v, int prec, char *d, int *x)
{
    char tmp[64];
    int len = snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
    int nd = 0, i = 0;
    for (; i < len && tmp[i] != 'e'; i++)
        if (digit(tmp[i]) <= 9 && nd < 17)
            d[nd++] = tmp[i];
    bool neg = false;
    int e = 0;
    for (i++; i < len; i++) {
        if (tmp[i] == '-')
            neg = true;
        else if (digit(tmp[i]) <= 9)
            e = e * 10 + (int)digit(tmp[i]);
    }
    *x = neg ? -e : e;
    while (nd > 1 && d[nd - 1] == '0')
        nd--;
    return nd;
}

size_t rn__fmt_double(double v, char *buf)
{
    if (isnan(v)) {
        memcpy(buf, "nan", 4);
        return 3;
    }
    size_t k = 0;
    if (signbit(v)) {
        buf[k++] = '-';
        v = -v;
    }
    if (isinf(v)) {
        memcpy(buf + k, "inf", 4);
        return k + 3;
    }
    if (v == 0) {
        memcpy(buf + k, "0", 2);
        return k + 1;
    }
    if (NUM_FAST && v >= 1e-5 && v < 1e15) {
        /* The fewest digits after the point whose integer k / 10^s is v
         * again. k / 10^s is computed exactly as rn__parse_double will read
         * it back. Rounding v * 10^s finds k whenever one exists, except when
         * it needs about 16 digits, which the loop leaves to printf below. */
        for (int s = 0; s <= 20; s++) {
            double t = v * pow10_dbl[s];
            if (t >= (double)TWO53)
                break;
            uint64_t u = (uint64_t)(t + 0.5);
            if ((double)u / pow10_dbl[s] == v)
                return k + rn__fmt_decimal((int64_t)u, s, buf + k);
        }
    }
    /* For a normal double, rounding to 15 digits gives the shortest form
     * whenever it has 15 digits or fewer (a 15-digit step is wider than a
     * double's); subnormals have fewer bits, so try every length. */
    char d[17];
    int x = 0;
    for (int prec = v < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
        int nd = sci_digits(v, prec, d, &x);
        size_t len = layout(d, nd, x, buf + k);
        double back;
        if (prec == 17 || (rn__parse_double(buf + k, len, &back) == RN_OK &&
                           back == v))
            return k + len;
    }
    return k; /* not reached: 17 digits always read back */
}
