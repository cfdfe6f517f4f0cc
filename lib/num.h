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

#include <stddef.h>
#include <stdint.h>

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
int rn__parse_decimal(const char *p, size_t n, int64_t *units, int *scale);

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

#endif /* RN_NUM_H */
