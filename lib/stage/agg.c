/*
 * agg.c - aggregate states of groupby: update and format.
 *
 * Sums stay exact as a scaled int64 at the largest scale seen, as long as
 * every value is a decimal of at most 18 significant digits and the sum fits;
 * the first value that breaks this switches the group's sum, once and for
 * good, to a Kahan-Neumaier compensated double seeded with the exact sum.
 * Means divide once, correctly rounded while units and 10^scale * n are exact
 * doubles. Variance is Welford's. Nothing here links libm (the library does
 * not), so stddev's square root is computed here, correctly rounded.
 */
#include "agg.h"

#include "base/num.h"
#include "base/runnel_internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* The compensation terms below rely on each operation being rounded on its
 * own; a fused multiply-add would change them. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#define TWO53 UINT64_C(9007199254740992)

static const char *const names[RN__AGG_NKINDS] = {
    "count", "sum", "mean",   "min",      "max",  "first",
    "last",  "var", "stddev", "distinct", "mode", "share",
};

/* 10^0 .. 10^18 as int64 (10^18 < 2^63) and as exact doubles. */
static const int64_t pow10_i64[19] = {
    INT64_C(1),
    INT64_C(10),
    INT64_C(100),
    INT64_C(1000),
    INT64_C(10000),
    INT64_C(100000),
    INT64_C(1000000),
    INT64_C(10000000),
    INT64_C(100000000),
    INT64_C(1000000000),
    INT64_C(10000000000),
    INT64_C(100000000000),
    INT64_C(1000000000000),
    INT64_C(10000000000000),
    INT64_C(100000000000000),
    INT64_C(1000000000000000),
    INT64_C(10000000000000000),
    INT64_C(100000000000000000),
    INT64_C(1000000000000000000),
};

const char *rn__agg_parse(const char *spec, int *kind, const char **field,
                          size_t *flen)
{
    const char *colon = strchr(spec, ':');
    size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
    int k = -1;
    for (int i = 0; i < RN__AGG_NKINDS; i++) {
        if (strlen(names[i]) == nlen && memcmp(names[i], spec, nlen) == 0) {
            k = i;
            break;
        }
    }
    if (k < 0)
        return "unknown aggregate";
    *kind = k;
    *field = colon ? colon + 1 : spec + nlen;
    *flen = colon ? strlen(colon + 1) : 0;
    if (k == RN__AGG_COUNT || k == RN__AGG_SHARE)
        return colon ? "takes no field" : NULL;
    return *flen ? NULL : "needs a field";
}

const char *rn__agg_name(int kind)
{
    return kind >= 0 && kind < RN__AGG_NKINDS ? names[kind] : "";
}

int rn__agg_is_number(int kind)
{
    return kind != RN__AGG_FIRST && kind != RN__AGG_LAST &&
           kind != RN__AGG_MODE;
}

int rn__agg_is_numeric_input(int kind)
{
    switch (kind) {
    case RN__AGG_SUM:
    case RN__AGG_MEAN:
    case RN__AGG_MIN:
    case RN__AGG_MAX:
    case RN__AGG_VAR:
    case RN__AGG_STDDEV:
        return 1;
    default:
        return 0;
    }
}

/* ---- numbers ------------------------------------------------------------- */

static uint64_t magnitude(int64_t v)
{
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

/* units / 10^scale correctly rounded: one exact division when units is an
 * exact double, else through the decimal text and the correct parser. */
static double decimal_to_double(int64_t units, int scale)
{
    if (magnitude(units) <= TWO53)
        return (double)units / (double)pow10_i64[scale];
    char buf[RN__FMT_DECIMAL_MAX];
    size_t n = rn__fmt_decimal(units, scale, buf);
    double d;
    if (rn__parse_double(buf, n, &d) != RN_OK)
        d = (double)units / (double)pow10_i64[scale];
    return d;
}

bool rn__agg_num_parse_other(rn__agg_num *v, const char *p, size_t n)
{
    v->exact = false;
    /* NaN is a marker of missing data more often than a value, and it
     * would poison min, max, sums and means alike. */
    if (rn__parse_double(p, n, &v->d) != RN_OK || isnan(v->d))
        return false;
    v->have_d = true;
    return true;
}

double rn__agg_num_double(rn__agg_num *v)
{
    if (!v->have_d) {
        if (magnitude(v->units) <= TWO53 ||
            rn__parse_double(v->p, v->n, &v->d) != RN_OK)
            v->d = (double)v->units / (double)pow10_i64[v->scale];
        v->have_d = true;
    }
    return v->d;
}

/* *a *= 10^k, false on overflow (k in 1..18). */
static bool scale_up(int64_t *a, int k)
{
    int64_t m = pow10_i64[k];
    if (*a > INT64_MAX / m || *a < INT64_MIN / m)
        return false;
    *a *= m;
    return true;
}

/* Adds units/10^scale to the exact sum, or returns false leaving it as it
 * was when the result would not fit. */
static bool exact_add(rn__agg_sum *s, int64_t u, int scale)
{
    int64_t acc = s->units;
    int32_t sc = s->scale;
    if (scale > sc) {
        if (acc != 0 && !scale_up(&acc, scale - sc))
            return false;
        sc = scale;
    } else if (scale < sc) {
        if (!scale_up(&u, sc - scale))
            return false;
    }
    if ((u > 0 && acc > INT64_MAX - u) || (u < 0 && acc < INT64_MIN - u))
        return false;
    s->units = acc + u;
    s->scale = sc;
    return true;
}

static double dabs(double x)
{
    return x < 0 ? -x : x;
}

void rn__agg_sum_add_any(rn__agg_sum *s, rn__agg_num *v)
{
    s->n++;
    if (!s->inexact) {
        if (v->exact && exact_add(s, v->units, v->scale))
            return;
        s->s = decimal_to_double(s->units, s->scale);
        s->c = 0;
        s->inexact = true;
    }
    /* Neumaier's variant: the compensation also catches the case where
     * the new value is larger than the running sum. */
    double x = rn__agg_num_double(v);
    double t = s->s + x;
    if (dabs(s->s) >= dabs(x))
        s->c += (s->s - t) + x;
    else
        s->c += (x - t) + s->s;
    s->s = t;
}

/* The inexact sum; an infinite s makes c NaN, and s is the answer then. */
static double inexact_total(const rn__agg_sum *s)
{
    return s->s - s->s == 0 ? s->s + s->c : s->s;
}

size_t rn__agg_sum_format(const rn__agg_sum *s, char *buf)
{
    if (s->n == 0) {
        buf[0] = '\0';
        return 0;
    }
    if (!s->inexact)
        return rn__fmt_decimal(s->units, s->scale, buf);
    return rn__fmt_double(inexact_total(s), buf);
}

size_t rn__agg_mean_format(const rn__agg_sum *s, char *buf)
{
    if (s->n == 0) {
        buf[0] = '\0';
        return 0;
    }
    double m;
    if (s->inexact) {
        m = inexact_total(s) / (double)s->n;
    } else if (magnitude(s->units) <= TWO53 &&
               s->n <= TWO53 / (uint64_t)pow10_i64[s->scale]) {
        /* Both operands are exact doubles, so the one division rounds the
         * true mean correctly. */
        m = (double)s->units /
            (double)(s->n * (uint64_t)pow10_i64[s->scale]);
    } else {
        m = decimal_to_double(s->units, s->scale) / (double)s->n;
    }
    return rn__fmt_double(m, buf);
}

/* One decimal digit of a long division: floor(10 * *r / d), leaving the
 * remainder in *r. 10 * *r may not fit in 64 bits, so *r is added ten times
 * modulo d instead; *r < d keeps every step in range. */
static unsigned share_digit(uint64_t *r, uint64_t d)
{
    uint64_t acc = 0, x = *r;
    unsigned q = 0;
    for (int i = 0; i < 10; i++) {
        if (acc >= d - x) {
            acc -= d - x;
            q++;
        } else {
            acc += x;
        }
    }
    *r = acc;
    return q;
}

size_t rn__agg_share_format(uint64_t count, uint64_t total, char *buf)
{
    if (total == 0) {
        buf[0] = '\0';
        return 0;
    }
    if (count >= total) {
        memcpy(buf, "1.0000", 7); /* count > total cannot happen; be sure */
        return 6;
    }
    /* Exact integer long division, so the rounding is of the true quotient,
     * not of a double near it. */
    uint64_t r = count;
    unsigned units = 0;
    for (int i = 0; i < 4; i++)
        units = units * 10 + share_digit(&r, total);
    /* Round half up, as ROUND does in SQL and spreadsheets (1 of 32 is
     * 0.0313): r >= total - r is 2 * r >= total without the overflow. */
    if (r >= total - r)
        units++;
    buf[0] = units == 10000 ? '1' : '0';
    buf[1] = '.';
    for (int i = 5; i > 1; i--) {
        buf[i] = (char)('0' + units % 10);
        units /= 10;
    }
    buf[6] = '\0';
    return 6;
}

void rn__agg_welford_add(rn__agg_welford *w, double x)
{
    w->n++;
    double d = x - w->mean;
    w->mean += d / (double)w->n;
    w->m2 += d * (x - w->mean);
}

/* Square root by Newton's method from an estimate that halves the exponent
 * bits (within 6%): five steps reach full precision, the sixth settles it
 * within an ulp of the exact root. x is positive and normal. */
static double newton_root(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    b = (b >> 1) + (UINT64_C(0x3ff) << 51);
    double y;
    memcpy(&y, &b, sizeof y);
    for (int i = 0; i < 6; i++)
        y = 0.5 * (y + x / y);
    return y;
}

/* a * b as 128 bits, from four 32x32->64 partial products. */
static void mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t al = a & 0xffffffffu, ah = a >> 32;
    uint64_t bl = b & 0xffffffffu, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    *lo = (mid << 32) | (ll & 0xffffffffu);
    *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

/* Compares r * r with the 128-bit n = (hi, lo). */
static int cmp_square(uint64_t r, uint64_t hi, uint64_t lo)
{
    uint64_t h, l;
    mul64(r, r, &h, &l);
    if (h != hi)
        return h < hi ? -1 : 1;
    return l < lo ? -1 : l > lo;
}

/* The correctly rounded square root, without libm: x = m * 2^e with e even;
 * the integer root of m * 2^56 has 55 bits, two more than a double, and
 * whether it is exact is the sticky bit for rounding to nearest. Newton's
 * root only gives the integer root's first guess. */
static double root(double x)
{
    if (!(x > 0) || x > DBL_MAX)
        return x < 0 ? 0 : x; /* 0, +inf and NaN are their own roots */
    double unscale = 1;
    if (x < 0x1p-900) {
        x *= 0x1p600; /* away from subnormals; exact */
        unscale = 0x1p-300;
    }
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    int e = (int)(b >> 52) - 1075;
    uint64_t m = (b & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
    if (e & 1) {
        m <<= 1;
        e -= 1;
    }
    uint64_t hi = m >> 8, lo = m << 56;
    uint64_t r = (uint64_t)(newton_root((double)m) * 0x1p28);
    while (cmp_square(r, hi, lo) > 0)
        r--;
    while (cmp_square(r + 1, hi, lo) <= 0)
        r++;
    bool sticky = cmp_square(r, hi, lo) != 0;
    uint64_t q = r >> 2, t = r & 3;
    if (t > 2 || (t == 2 && (sticky || (q & 1))))
        q++;
    uint64_t pb = (uint64_t)(e / 2 - 26 + 1023) << 52;
    double p2;
    memcpy(&p2, &pb, sizeof p2);
    return (double)q * p2 * unscale;
}

size_t rn__agg_var_format(const rn__agg_welford *w, bool stddev, char *buf)
{
    if (w->n < 2) {
        buf[0] = '\0';
        return 0;
    }
    double v = w->m2 / (double)(w->n - 1);
    if (v < 0)
        v = 0; /* rounding cannot make a variance negative, but be sure */
    return rn__fmt_double(stddev ? root(v) : v, buf);
}

/* ---- kept bytes ------------------------------------------------------------ */

int rn__agg_bytes_set(rn__agg_bytes *b, const rn_allocator *mem,
                      const char *p, size_t n)
{
    char *dst;
    if (b->big) {
        if (n > b->cap) {
            size_t cap = b->cap * 2 > n ? b->cap * 2 : n;
            char *nb = rn__alloc(mem, cap);
            if (!nb)
                return RN_ENOMEM;
            rn__free(mem, b->big, b->cap);
            b->big = nb;
            b->cap = cap;
        }
        dst = b->big;
    } else if (n > sizeof b->small) {
        size_t cap = n < 64 ? 64 : n;
        char *nb = rn__alloc(mem, cap);
        if (!nb)
            return RN_ENOMEM;
        b->big = nb;
        b->cap = cap;
        dst = nb;
    } else {
        dst = b->small;
    }
    if (n)
        memcpy(dst, p, n);
    b->len = n;
    b->have = 1;
    return RN_OK;
}

rn_field rn__agg_bytes_get(const rn__agg_bytes *b)
{
    rn_field f = {"", 0};
    if (b->have) {
        f.ptr = b->big ? b->big : b->small;
        f.len = b->len;
    }
    return f;
}

void rn__agg_bytes_free(rn__agg_bytes *b, const rn_allocator *mem)
{
    rn__free(mem, b->big, b->cap);
    b->big = NULL;
    b->cap = 0;
    b->len = 0;
    b->have = 0;
}

int rn__agg_ext_add(rn__agg_ext *e, const rn_allocator *mem, rn__agg_num *v,
                    bool max)
{
    double d = rn__agg_num_double(v);
    if (e->b.have && !(max ? d > e->v : d < e->v))
        return RN_OK;
    int rc = rn__agg_bytes_set(&e->b, mem, v->p, v->n);
    if (rc == RN_OK)
        e->v = d;
    return rc;
}

/* ---- distinct values --------------------------------------------------------- */

/* An entry in the arena: the count (8 bytes), the value's length (8), then
 * the key the table points at: set (4), group (4), the value's bytes. */
#define ENTRY_COUNT 0
#define ENTRY_LEN 8
#define ENTRY_KEY 16
#define KEY_HEAD 8

void rn__agg_values_init(rn__agg_values *t, const rn_allocator *mem)
{
    memset(t, 0, sizeof *t);
    t->mem = rn__allocator(mem);
    rn__hmap_init(&t->map, &t->mem, 0); /* allocates nothing: cannot fail */
    rn__arena_init(&t->bytes, &t->mem, 0);
}

static int grow_entries(rn__agg_values *t)
{
    size_t cap = t->cap ? t->cap * 2 : 256;
    char **e = rn__alloc(&t->mem, cap * sizeof *e);
    if (!e)
        return RN_ENOMEM;
    if (t->count)
        memcpy(e, t->entry, t->count * sizeof *e);
    rn__free(&t->mem, t->entry, t->cap * sizeof *t->entry);
    t->entry = e;
    t->cap = cap;
    return RN_OK;
}

/* Adds a new entry for the key in scratch; the table has no entry for it. */
static int add_entry(rn__agg_values *t, size_t klen, uint64_t h, uint32_t *id)
{
    if (t->count >= UINT32_MAX)
        return RN_ETOOBIG; /* ids are uint32_t */
    int rc = rn__hmap_reserve(&t->map, t->count + 1);
    if (rc == RN_OK && t->count == t->cap)
        rc = grow_entries(t);
    if (rc != RN_OK)
        return rc;
    char *e = rn__arena_alloc(&t->bytes, ENTRY_KEY + klen, 8);
    if (!e)
        return RN_ENOMEM;
    uint64_t one = 1, vlen = klen - KEY_HEAD;
    memcpy(e + ENTRY_COUNT, &one, 8);
    memcpy(e + ENTRY_LEN, &vlen, 8);
    memcpy(e + ENTRY_KEY, t->scratch, klen);
    uint32_t *v;
    bool found;
    /* Cannot fail: the reserve above made room. */
    rc = rn__hmap_put(&t->map, e + ENTRY_KEY, klen, h, &v, &found);
    if (rc != RN_OK)
        return rc;
    *v = (uint32_t)t->count;
    t->entry[t->count] = e;
    *id = (uint32_t)t->count++;
    return RN_OK;
}

int rn__agg_values_add(rn__agg_values *t, rn__agg_set *st, uint32_t set,
                       uint32_t group, const char *p, size_t n,
                       uint64_t max_distinct)
{
    if (n > SIZE_MAX - ENTRY_KEY - KEY_HEAD)
        return RN_ENOMEM;
    size_t klen = KEY_HEAD + n;
    if (klen > t->scratch_cap) {
        size_t cap = t->scratch_cap ? t->scratch_cap : 64;
        while (cap < klen)
            cap = cap > SIZE_MAX / 2 ? klen : cap * 2;
        char *s = rn__alloc(&t->mem, cap);
        if (!s)
            return RN_ENOMEM;
        rn__free(&t->mem, t->scratch, t->scratch_cap);
        t->scratch = s;
        t->scratch_cap = cap;
    }
    memcpy(t->scratch, &set, 4);
    memcpy(t->scratch + 4, &group, 4);
    if (n)
        memcpy(t->scratch + KEY_HEAD, p, n);
    uint64_t h = rn__hash_bytes(t->scratch, klen, RN__HASH_SEED);
    const uint32_t *v = rn__hmap_find(&t->map, t->scratch, klen, h);
    uint32_t id;
    uint64_t count;
    if (v) {
        id = *v;
        char *e = t->entry[id];
        memcpy(&count, e + ENTRY_COUNT, 8);
        count++;
        memcpy(e + ENTRY_COUNT, &count, 8);
    } else {
        if (st->ndistinct >= max_distinct)
            return RN_ETOOBIG;
        int rc = add_entry(t, klen, h, &id);
        if (rc != RN_OK)
            return rc;
        count = 1;
        st->ndistinct++;
    }
    /* Entry ids grow in first-seen order, so the smaller id wins a tie. A
     * count only ever grows by one, so the mode is the old one or this. */
    if (count > st->best_count || (count == st->best_count && id < st->best)) {
        st->best = id;
        st->best_count = count;
    }
    return RN_OK;
}

rn_field rn__agg_values_get(const rn__agg_values *t, uint32_t id)
{
    rn_field f = {"", 0};
    if (id < t->count) {
        const char *e = t->entry[id];
        uint64_t vlen;
        memcpy(&vlen, e + ENTRY_LEN, 8);
        f.ptr = e + ENTRY_KEY + KEY_HEAD;
        f.len = (size_t)vlen;
    }
    return f;
}

size_t rn__agg_values_bytes(const rn__agg_values *t)
{
    return rn__hmap_bytes(&t->map) + rn__arena_bytes(&t->bytes) +
           t->cap * sizeof *t->entry + t->scratch_cap;
}

void rn__agg_values_free(rn__agg_values *t)
{
    rn__hmap_free(&t->map);
    rn__arena_free(&t->bytes);
    rn__free(&t->mem, t->entry, t->cap * sizeof *t->entry);
    rn__free(&t->mem, t->scratch, t->scratch_cap);
    t->entry = NULL;
    t->scratch = NULL;
    t->count = t->cap = t->scratch_cap = 0;
}
