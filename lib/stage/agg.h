/*
 * agg.h - the aggregates of groupby: their names, the small fixed states a
 * group keeps for each, how a value updates them and how they print.
 *
 * A state is plain data that all zeroes makes empty, so a page of groups
 * starts with one calloc. States that keep bytes (first, last, min, max) own
 * a buffer that grows to the longest value kept and is freed by
 * rn__agg_bytes_free(); distinct and mode share one table of (set, group,
 * value) entries, rn__agg_values, instead of a table per group.
 */
#ifndef RN_AGG_H
#define RN_AGG_H

#include "base/arena.h"
#include "base/hash.h"
#include "base/num.h"
#include "runnel.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes a formatted aggregate needs, its NUL included: the longest of an
 * int64, an exact decimal and a shortest-round-trip double. */
#define RN__AGG_FMT_MAX 32

enum rn__agg_kind {
    RN__AGG_COUNT,
    RN__AGG_SUM,
    RN__AGG_MEAN,
    RN__AGG_MIN,
    RN__AGG_MAX,
    RN__AGG_FIRST,
    RN__AGG_LAST,
    RN__AGG_VAR,
    RN__AGG_STDDEV,
    RN__AGG_DISTINCT,
    RN__AGG_MODE,
    RN__AGG_SHARE, /* count / records over all groups; reads no field */
    RN__AGG_NKINDS
};

/** Parses an aggregate spec, "count", "share" or "name:FIELD" (split at the
 *  first ':'). Sets *kind and the field view (*field, *flen; empty for count
 *  and share).
 *  Returns NULL, or a short static phrase saying what is wrong ("unknown
 *  aggregate", "needs a field", "takes no field") for the caller's message. */
const char *rn__agg_parse(const char *spec, int *kind, const char **field,
                          size_t *flen);

/** The aggregate's name as written in a spec ("sum"). */
const char *rn__agg_name(int kind);

/** Nonzero when the aggregate prints a computed number (the schema flag);
 *  zero for values printed as read (first, last, mode). */
int rn__agg_is_number(int kind);

/** Nonzero for the aggregates that read their field as a number and skip
 *  values that are not numbers: sum, mean, min, max, var, stddev. */
int rn__agg_is_numeric_input(int kind);

/* ---- numbers ------------------------------------------------------------- */

/* A field value read as a number, once per record and field. */
typedef struct rn__agg_num {
    const char *p;  /* the value's bytes, borrowed for the record */
    size_t n;       /* their length */
    int64_t units;  /* exact: value = units / 10^scale */
    int scale;      /* exact: digits after the point, 0..18 */
    bool exact;     /* a decimal of at most 18 significant digits */
    bool have_d;    /* d is computed (lazily: only min, max, var need it) */
    double d;       /* the value, correctly rounded */
} rn__agg_num;

/** Reads p[0..n) as a number: an exact decimal when it is one, else any
 *  number rn__parse_double takes except NaN. Returns false for anything
 *  else ("", "n/a", "nan"), which numeric aggregates skip. */
static inline bool rn__agg_num_parse(rn__agg_num *v, const char *p,
                                     size_t n);
/* The part of rn__agg_num_parse() for what is not an exact decimal. */
bool rn__agg_num_parse_other(rn__agg_num *v, const char *p, size_t n);

/** The value as a correctly rounded double (computed once). */
double rn__agg_num_double(rn__agg_num *v);

/* Sum of the numbers of a group, exact while it can be: a scaled int64 at
 * the largest scale seen, then a Kahan-Neumaier compensated double seeded
 * with the exact sum so far. Also what mean divides. */
typedef struct rn__agg_sum {
    int64_t units;  /* exact sum = units / 10^scale */
    double s;       /* inexact sum: s + c */
    double c;       /* Neumaier's running compensation */
    uint64_t n;     /* numbers added */
    int32_t scale;  /* largest scale seen (exact mode) */
    bool inexact;   /* the sum has switched to s + c */
} rn__agg_sum;

static inline void rn__agg_sum_add(rn__agg_sum *s, rn__agg_num *v);
/* rn__agg_sum_add() for every case; the inline one takes the common one. */
void rn__agg_sum_add_any(rn__agg_sum *s, rn__agg_num *v);
/** The sum: an exact decimal at the largest scale seen, or the shortest
 *  double; "" when no number was added. Returns the length. */
size_t rn__agg_sum_format(const rn__agg_sum *s, char *buf);
/** sum / n as the shortest double, correctly rounded while the sum is exact
 *  and small enough; "" when no number was added. */
size_t rn__agg_mean_format(const rn__agg_sum *s, char *buf);

/** count / total, the group's share of all records, to 4 digits after the
 *  point ("0.2717", "1.0000"), rounded from the exact quotient, half up (a
 *  double and printf would round 1/32 down and 1/20000 up); "" when total
 *  is 0. count <= total. */
size_t rn__agg_share_format(uint64_t count, uint64_t total, char *buf);

/* Welford's running mean and sum of squared deviations. */
typedef struct rn__agg_welford {
    uint64_t n;   /* numbers added */
    double mean;  /* running mean */
    double m2;    /* sum of squared deviations from the mean */
} rn__agg_welford;

void rn__agg_welford_add(rn__agg_welford *w, double x);
/** The sample variance (n - 1), or its square root when stddev; "" when
 *  fewer than two numbers were added. */
size_t rn__agg_var_format(const rn__agg_welford *w, bool stddev, char *buf);

/* ---- kept bytes ------------------------------------------------------------ */

/* A copy of one value, inline when short, else in a heap buffer that is
 * kept and reused, so replacing the value (last, min, max) allocates only
 * when a longer value than any before comes. */
typedef struct rn__agg_bytes {
    char *big;         /* heap buffer of cap bytes, or NULL */
    size_t cap;        /* bytes at big */
    size_t len;        /* bytes of the value */
    char small[23];    /* the value when len <= sizeof small and no big */
    unsigned char have; /* a value is set (it may be empty) */
} rn__agg_bytes;

/** Replaces the copy with p[0..n). RN_OK, or RN_ENOMEM leaving it as it
 *  was. */
int rn__agg_bytes_set(rn__agg_bytes *b, const rn_allocator *mem,
                      const char *p, size_t n);
/** The copy (valid until the next set or free); {"", 0} when unset. */
rn_field rn__agg_bytes_get(const rn__agg_bytes *b);
void rn__agg_bytes_free(rn__agg_bytes *b, const rn_allocator *mem);

/* The least or greatest number of a group, compared as doubles, with the
 * bytes it was written as. The first of equal values stays. */
typedef struct rn__agg_ext {
    double v;         /* the value compared */
    rn__agg_bytes b;  /* its bytes as read */
} rn__agg_ext;

/** Keeps v if it is below (max: above) the current one or the first.
 *  RN_OK or RN_ENOMEM. */
int rn__agg_ext_add(rn__agg_ext *e, const rn_allocator *mem, rn__agg_num *v,
                    bool max);

/* ---- distinct values --------------------------------------------------------- */

/* One table for every (set, group, value) triple of a groupby: a set is a
 * field that distinct or mode reads. Entries get dense ids in first-seen
 * order, each with a count; the bytes are copied once into an arena. */
typedef struct rn__agg_values {
    rn_allocator mem;
    rn__hmap map;       /* (set, group, value) -> entry id */
    rn__arena bytes;    /* entries: count, value length, then the key */
    char **entry;       /* entry id -> its bytes in the arena */
    size_t count;       /* entries */
    size_t cap;         /* room in entry */
    char *scratch;      /* the key of the value being looked up */
    size_t scratch_cap;
} rn__agg_values;

/* A group's view of one set: how many values it has and its mode. */
typedef struct rn__agg_set {
    uint64_t ndistinct;  /* distinct values in the group */
    uint64_t best_count; /* occurrences of the mode so far */
    uint32_t best;       /* entry id of the mode (valid if ndistinct) */
} rn__agg_set;

void rn__agg_values_init(rn__agg_values *t, const rn_allocator *mem);
/** Counts one occurrence of p[0..n) in set of group: a new entry adds one to
 *  st->ndistinct, which must stay at most max_distinct (else RN_ETOOBIG and
 *  nothing is added); st's mode follows (ties: the first seen). RN_OK,
 *  RN_ENOMEM or RN_ETOOBIG. */
int rn__agg_values_add(rn__agg_values *t, rn__agg_set *st, uint32_t set,
                       uint32_t group, const char *p, size_t n,
                       uint64_t max_distinct);
/** The bytes of entry id (valid until free). */
rn_field rn__agg_values_get(const rn__agg_values *t, uint32_t id);
size_t rn__agg_values_bytes(const rn__agg_values *t);
void rn__agg_values_free(rn__agg_values *t);

/* ---- inline hot paths ---------------------------------------------------- */

/* groupby calls these once per record and value: inline, so that the
 * common case (an exact decimal added at the scale the sum already has)
 * pays no call. */

static inline bool rn__agg_num_parse(rn__agg_num *v, const char *p, size_t n)
{
    if (n == 0)
        return false;
    v->p = p;
    v->n = n;
    v->have_d = false;
    if (rn__parse_decimal(p, n, &v->units, &v->scale) == RN_OK) {
        v->exact = true;
        return true;
    }
    return rn__agg_num_parse_other(v, p, n);
}

static inline void rn__agg_sum_add(rn__agg_sum *s, rn__agg_num *v)
{
    int64_t a = s->units, u = v->units;
    if (!s->inexact && v->exact && v->scale == s->scale &&
        (u >= 0 ? a <= INT64_MAX - u : a >= INT64_MIN - u)) {
        s->units = a + u;
        s->n++;
        return;
    }
    rn__agg_sum_add_any(s, v);
}

#endif /* RN_AGG_H */
