/*
 * typed.c - typed access to field views for applications: integers, doubles
 * and exact decimals, read by the library's own locale-free parsers (num.c),
 * so an application's stage agrees with filter and groupby on what a number
 * is. Nothing is trimmed: a view with spaces is not a number, as in num.h.
 * Output parameters are written only on success.
 */
#include "num.h"

#include "runnel_internal.h"

#include <math.h>
#include <string.h>

int rn_field_int(rn_field f, int64_t *out)
{
    int64_t v;
    if (!f.ptr && f.len)
        return RN_EINVAL;
    int rc = rn__parse_i64(f.ptr ? f.ptr : "", f.len, &v);
    if (rc == RN_OK && out)
        *out = v;
    return rc;
}

/* True when the text spells an infinity ("inf", "-Infinity"): only then may
 * a parse give one without overflowing. */
static bool spells_inf(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == 'i' || p[i] == 'I')
            return true;
    return false;
}

int rn_field_double(rn_field f, double *out)
{
    double d;
    if (!f.ptr && f.len)
        return RN_EINVAL;
    const char *p = f.ptr ? f.ptr : "";
    int rc = rn__parse_double(p, f.len, &d);
    if (rc != RN_OK)
        return rc == RN_ENOMEM ? rc : RN_EPARSE;
    /* NaN is "not a number" by name: groupby's aggregates skip it too. */
    if (isnan(d))
        return RN_EPARSE;
    if (isinf(d) && !spells_inf(p, f.len))
        return RN_ERANGE;
    if (out)
        *out = d;
    return RN_OK;
}

int rn_field_decimal(rn_field f, int64_t *units, int *scale)
{
    int64_t u;
    int s;
    if (!f.ptr && f.len)
        return RN_EINVAL;
    int rc = rn__parse_decimal(f.ptr ? f.ptr : "", f.len, &u, &s);
    if (rc == RN_OK) {
        if (units)
            *units = u;
        if (scale)
            *scale = s;
    }
    return rc;
}

int rn_field_eq(rn_field f, const char *s)
{
    if (!s || (!f.ptr && f.len))
        return 0;
    size_t n = strlen(s);
    return n == f.len && (n == 0 || memcmp(f.ptr, s, n) == 0);
}
