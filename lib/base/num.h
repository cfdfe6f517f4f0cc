/*
 * num.h - locale-independent parsing and formatting of numbers in byte views
 * (not NUL-terminated). Parsers read exactly n bytes, never more, and accept
 * no surrounding spaces: trimming is the caller's decision.
 *
 * Sums try the exact decimal first and fall back to doubles:
 *
 *     int64_t units;
 *     int scale;
 *     double d;
 *     int rc = rn__parse_decimal(f.ptr, f.len, &units, &scale);  // "1.50"
 *     if (rc == RN_ERANGE)
 *         rc = rn__parse_double(f.ptr, f.len, &d);   // too many digits
 *     else if (rc == RN_EPARSE)
 *         rc = rn__parse_double(f.ptr, f.len, &d);   // "1e3", "nan"
 */
#ifndef RN_NUM_H
#define RN_NUM_H

#include "runnel.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Most significant digits and most digits after the point that
 * rn__parse_decimal accepts: 10^18 - 1 fits in an int64_t with room to add. */
#define RN__DECIMAL_DIGITS 18

/* Buffer sizes the formatters need, their NUL included. */
#define RN__FMT_I64_MAX 21
#define RN__FMT_DECIMAL_MAX 24
#define RN__FMT_DOUBLE_MAX 32

/** Parses an optional '+' or '-' followed by one or more ASCII digits.
 *  Returns RN_OK and sets *out; RN_EPARSE for anything else (empty, spaces, a
 *  point); RN_ERANGE for a well-formed integer outside int64_t. */
int rn__parse_i64(const char *p, size_t n, int64_t *out);

/** Parses an exact decimal, [+-]digits[.digits] with at least one digit
 *  ("123", "-1.50", ".5", "5.", "+3.25"), as *units / 10^*scale, where *scale
 *  is the number of digits after the point (-1.50 gives -150 and 2). Returns
 *  RN_OK; RN_ERANGE when it has more than RN__DECIMAL_DIGITS significant
 *  digits or digits after the point (use doubles then); RN_EPARSE for
 *  anything else, exponents ("1e3") included. *units and *scale are set only
 *  on RN_OK. */
static inline int rn__parse_decimal(const char *p, size_t n, int64_t *units,
                                    int *scale);

/* rn__parse_decimal() one byte at a time, for any input; it is what the
 * inline version calls for what its short form does not cover. */
int rn__parse_decimal_loop(const char *p, size_t n, int64_t *units,
                           int *scale);

/** Parses what rn__parse_decimal accepts plus an exponent (1e-3, 2E+10), and
 *  inf, infinity and nan in any case, all with an optional sign, into the
 *  correctly rounded double. Overflow gives +-inf and underflow 0 or a
 *  subnormal, with RN_OK. Returns RN_EPARSE for anything else (hex floats,
 *  spaces, "") and for inputs of 400 bytes or more that need the slow path.
 *  Returns RN_ENOMEM only if the C library cannot make a C locale. */
int rn__parse_double(const char *p, size_t n, double *out);

/** Writes v in decimal to buf (RN__FMT_I64_MAX bytes or more) followed by a
 *  NUL; returns the length without the NUL. */
size_t rn__fmt_i64(int64_t v, char *buf);

/** Writes units / 10^scale to buf (RN__FMT_DECIMAL_MAX bytes or more) with
 *  exactly scale digits after the point ("-1.50", "0.05", "7"), followed by a
 *  NUL; returns the length without the NUL. scale must be in [0, 20]; a scale
 *  outside is clamped to that range (a caller bug, but the buffer is never
 *  overrun). */
size_t rn__fmt_decimal(int64_t units, int scale, char *buf);

/** Writes the shortest decimal that rn__parse_double reads back as exactly v
 *  (the same bits; -0 prints "-0") to buf (RN__FMT_DOUBLE_MAX bytes or more),
 *  followed by a NUL; returns the length without the NUL. Plain notation for
 *  magnitudes from 1e-5 up to below 1e15 ("12345678.9", "10000000",
 *  "0.00012"), integers without ".0"; exponent notation otherwise ("1e+20",
 *  "2.5e-7"). NaN prints "nan", infinities "inf" and "-inf". */
size_t rn__fmt_double(double v, char *buf);

/* ---- the inline part of rn__parse_decimal ------------------------------------ */

/* The short form most numbers in data take, at most 8 bytes after the sign
 * ("1250.64"), is read 8 bytes at a time without a branch per digit (whose
 * mispredicted loop exit cost more than the rest of the parse), and inline,
 * so that a hot loop (groupby's sums) pays no call for it. Little-endian
 * only; elsewhere every input takes rn__parse_decimal_loop(). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    defined(__GNUC__)
#define RN__NUM_SWAR 1

#define RN__NUM_BYTES(b) (UINT64_C(0x0101010101010101) * (b))

/* The n bytes at p (1 <= n <= 8) in the low n bytes, p[0] lowest, the rest
 * zero. Two loads that may overlap: an overlapping byte is the same byte. */
static inline uint64_t rn__num_load_short(const char *p, size_t n)
{
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + n - 4, 4);
        return (uint64_t)lo | (uint64_t)hi << (8 * (n - 4));
    }
    uint64_t x = (unsigned char)p[0];
    if (n > 1)
        x |= (uint64_t)(unsigned char)p[1] << 8;
    if (n > 2)
        x |= (uint64_t)(unsigned char)p[2] << 16;
    return x;
}

/* digits[.digits] in n bytes, 1 <= n <= 8, without its sign: 0 with the
 * digits' value and how many are after the point, or -1 for anything else.
 * So few digits cannot be out of range. */
static inline int rn__num_decimal_short(const char *p, size_t n,
                                        uint64_t *value, int *frac)
{
    uint64_t used = n == 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * n)) - 1;
    /* Digits become 0..9; the point's byte becomes zero in t. */
    uint64_t v = rn__num_load_short(p, n) ^ RN__NUM_BYTES(0x30);
    uint64_t t = v ^ RN__NUM_BYTES(0x1e);
    uint64_t dots = ~(((t & RN__NUM_BYTES(0x7f)) + RN__NUM_BYTES(0x7f)) | t |
                      RN__NUM_BYTES(0x7f)) &
                    used;
    if (dots & (dots - 1))
        return -1; /* two points */
    /* Every used byte but the point must be 0..9: below 0x80, and not
     * reaching 0x80 when 0x76 is added. */
    uint64_t dot = dots ? (dots >> 7) * 0xff : 0;
    uint64_t d = v & used & ~dot;
    if ((d & RN__NUM_BYTES(0x80)) |
        (((d & RN__NUM_BYTES(0x7f)) + RN__NUM_BYTES(0x76)) &
         RN__NUM_BYTES(0x80)))
        return -1;
    size_t k = n, nd = n; /* the point's position; the digits */
    if (dots) {
        k = (size_t)__builtin_ctzll(dots) / 8;
        nd = n - 1;
        /* Close the gap: the bytes above the point move down one. */
        uint64_t below = (UINT64_C(1) << (8 * k)) - 1;
        d = (d & below) | ((d >> 8) & ~below);
    }
    if (nd == 0)
        return -1; /* "." */
    /* The digits, first one lowest, moved up so that leading zeros fill
     * the bottom, then joined pairwise into 2, 4 and 8-digit numbers. */
    d <<= 8 * (8 - nd);
    d = (d * 10 + (d >> 8)) & UINT64_C(0x00ff00ff00ff00ff);
    d = (d * 100 + (d >> 16)) & UINT64_C(0x0000ffff0000ffff);
    d = (d * 10000 + (d >> 32)) & UINT64_C(0x00000000ffffffff);
    *value = d;
    *frac = (int)(n - k - (dots != 0));
    return 0;
}
#else
#define RN__NUM_SWAR 0
#endif

static inline int rn__parse_decimal(const char *p, size_t n, int64_t *units,
                                    int *scale)
{
#if RN__NUM_SWAR
    size_t i = n > 0 && (p[0] == '+' || p[0] == '-');
    if (i < n && n - i <= 8) {
        uint64_t v;
        int f;
        if (rn__num_decimal_short(p + i, n - i, &v, &f) != 0)
            return RN_EPARSE;
        *units = i && p[0] == '-' ? -(int64_t)v : (int64_t)v;
        *scale = f;
        return RN_OK;
    }
#endif
    return rn__parse_decimal_loop(p, n, units, scale);
}

#endif /* RN_NUM_H */
