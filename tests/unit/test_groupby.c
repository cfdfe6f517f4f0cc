/*
 * test_groupby.c - groupby and count-by against a naive reference computed
 * while the test data is generated (exact integer cents for sums and means,
 * two-pass long double for variance, linear lists for distinct and mode),
 * read through the CSV reader at every chunk size for small inputs; exact
 * decimal sums and the switch to compensated doubles; modes, distinct,
 * first/last, shares, keys, skipped values, errors, caps, allocation failures and
 * constant memory; keys of every length around the short-key table's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stage/agg.h"
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- running a pipeline -------------------------------------------------- */

static rn_iter *csv_over(const char *s, size_t chunk)
{
    return rn_csv_new(tst_chunked_source(s, strlen(s), chunk, NULL), NULL);
}

/* groupby over csv text at one chunk size, drained as tab-joined lines. */
static char *run_groupby(const char *csv, size_t chunk, const char *const *keys,
                         size_t nkeys, const char *const *aggs, size_t naggs,
                         const rn_groupby_opts *o, int *rc)
{
    rn_iter *it = rn_groupby_new(csv_over(csv, chunk), keys, nkeys, aggs,
                                 naggs, o);
    assert_non_null(it);
    char *out;
    size_t len;
    *rc = tst_drain(it, &out, &len);
    out = realloc(out, len + 1);
    out[len] = '\0';
    rn_free(it);
    return out;
}

/* The same output at every chunk size from 1 byte to the whole input. */
static void expect_groupby(const char *csv, const char *const *keys,
                           size_t nkeys, const char *const *aggs, size_t naggs,
                           const char *want)
{
    size_t n = strlen(csv);
    for (size_t chunk = 1; chunk <= n + 1; chunk++) {
        int rc;
        char *got = run_groupby(csv, chunk, keys, nkeys, aggs, naggs, NULL, &rc);
        if (rc != RN_DONE || strcmp(got, want) != 0)
            fprintf(stderr, "chunk %zu: rc %d\n%s", chunk, rc, got);
        assert_int_equal(rc, RN_DONE);
        assert_string_equal(got, want);
        free(got);
    }
}

static void expect_count_by(const char *csv, const char *const *keys,
                            size_t nkeys, const char *want)
{
    size_t n = strlen(csv);
    for (size_t chunk = 1; chunk <= n + 1; chunk++) {
        rn_iter *it = rn_count_by_new(csv_over(csv, chunk), keys, nkeys, NULL);
        char *got;
        size_t len;
        int rc = tst_drain(it, &got, &len);
        assert_int_equal(rc, RN_DONE);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(got, want, len);
        free(got);
        rn_free(it);
    }
}

/* Reads number text that must be a plain decimal (no exponent). */
static double num_of(rn_field f)
{
    char buf[64];
    assert_true(f.len > 0 && f.len < sizeof buf);
    memcpy(buf, f.ptr, f.len);
    buf[f.len] = '\0';
    char *end;
    double d = strtod(buf, &end);
    assert_true(*end == '\0');
    return d;
}

static void assert_field(rn_field f, const char *want)
{
    if (f.len != strlen(want) || memcmp(f.ptr, want, f.len) != 0)
        fprintf(stderr, "field '%.*s', want '%s'\n", (int)f.len, f.ptr, want);
    assert_int_equal(f.len, strlen(want));
    assert_memory_equal(f.ptr, want, f.len);
}

/* The tests link no libm: fabsl by hand, and roots checked by squaring. */
static long double ldabs(long double x)
{
    return x < 0 ? -x : x;
}

static void assert_close(double got, long double want)
{
    long double err = ldabs((long double)got - want);
    long double tol = 1e-10L * (ldabs(want) > 1 ? ldabs(want) : 1);
    if (err > tol)
        fprintf(stderr, "got %.17g want %.17Lg\n", got, want);
    assert_true(err <= tol);
}

/* ---- the reference ------------------------------------------------------- */

typedef struct refval {
    char text[24];
    long count;
} refval; /* kept in first-seen order */

typedef struct refgroup {
    char cat[32], region[16];
    long count;                  /* records */
    long n;                      /* numeric amounts */
    long long cents;             /* their exact sum in cents */
    int scale;                   /* most decimals seen */
    long long minc, maxc;        /* least and greatest, cents */
    char mintext[24], maxtext[24];
    char first[24], last[24];
    long double *xs;             /* the numeric amounts */
    refval amounts[256];         /* distinct amount texts */
    size_t namounts;
    refval regions[4];
    size_t nregions;
} refgroup;

#define MAXG 32

typedef struct gendata {
    char *csv;
    size_t len, cap;
    size_t nrec;
    long skipped;             /* amounts that are not numbers */
    refgroup by_cat[MAXG];
    size_t ncat;
    refgroup by_both[MAXG * 3];
    size_t nboth;
} gendata;

/* As the CSV reader will see them, and as written in the file. */
static const char *const cats[] = {"Books",  "Toys, games", "Food \"fresh\"",
                                   "",       "Garden",      "\xc3\x89lectronique"};
static const char *const cats_csv[] = {"Books",  "\"Toys, games\"",
                                       "\"Food \"\"fresh\"\"\"", "",
                                       "Garden", "\xc3\x89lectronique"};
static const char *const regions[] = {"north", "south", "east"};

static void add_val(refval *v, size_t *n, size_t max, const char *text)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(v[i].text, text) == 0) {
            v[i].count++;
            return;
        }
    }
    assert_true(*n < max);
    snprintf(v[*n].text, sizeof v[*n].text, "%s", text);
    v[*n].count = 1;
    (*n)++;
}

static const char *mode_of(const refval *v, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i].count > v[best].count)
            best = i; /* strictly more: the first seen wins ties */
    return n ? v[best].text : "";
}

static refgroup *ref_group(refgroup *arr, size_t *n, size_t max,
                           const char *cat, const char *region)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(arr[i].cat, cat) == 0 &&
            (!region || strcmp(arr[i].region, region) == 0))
            return &arr[i];
    assert_true(*n < max);
    refgroup *g = &arr[(*n)++];
    memset(g, 0, sizeof *g);
    snprintf(g->cat, sizeof g->cat, "%s", cat);
    snprintf(g->region, sizeof g->region, "%s", region ? region : "");
    g->xs = malloc(sizeof *g->xs);
    return g;
}

static void ref_add(refgroup *g, const char *amount, bool isnum,
                    long long cents, int scale, const char *region)
{
    if (g->count == 0)
        snprintf(g->first, sizeof g->first, "%s", amount);
    snprintf(g->last, sizeof g->last, "%s", amount);
    g->count++;
    add_val(g->amounts, &g->namounts, 256, amount);
    add_val(g->regions, &g->nregions, 4, region);
    if (!isnum)
        return;
    if (g->n == 0 || cents < g->minc) {
        g->minc = cents;
        snprintf(g->mintext, sizeof g->mintext, "%s", amount);
    }
    if (g->n == 0 || cents > g->maxc) {
        g->maxc = cents;
        snprintf(g->maxtext, sizeof g->maxtext, "%s", amount);
    }
    g->xs = realloc(g->xs, (size_t)(g->n + 1) * sizeof *g->xs);
    g->xs[g->n++] = (long double)cents / 100;
    g->cents += cents;
    if (scale > g->scale)
        g->scale = scale;
}

/* cents written with scale decimals (cents must be a multiple). */
static void fmt_cents(char *buf, size_t cap, long long cents, int scale)
{
    long long a = cents < 0 ? -cents : cents;
    const char *sign = cents < 0 ? "-" : "";
    if (scale == 0)
        snprintf(buf, cap, "%s%lld", sign, a / 100);
    else if (scale == 1)
        snprintf(buf, cap, "%s%lld.%lld", sign, a / 100, a % 100 / 10);
    else
        snprintf(buf, cap, "%s%lld.%02lld", sign, a / 100, a % 100);
}

static unsigned rnd(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 16;
}

static void append(gendata *d, const char *s)
{
    size_t n = strlen(s);
    if (d->len + n + 1 > d->cap) {
        d->cap = (d->len + n + 1) * 2;
        d->csv = realloc(d->csv, d->cap);
    }
    memcpy(d->csv + d->len, s, n + 1);
    d->len += n;
}

/* nrec rows of id, category, amount, region: amounts empty, "n/a",
 * integers, one or two decimals, negative and positive. */
static gendata *generate(size_t nrec, unsigned seed)
{
    gendata *d = calloc(1, sizeof *d);
    append(d, "id,category,amount,region\n");
    for (size_t i = 0; i < nrec; i++) {
        size_t c = rnd(&seed) % 6;
        const char *region = regions[rnd(&seed) % 3];
        unsigned r = rnd(&seed) % 100;
        char amount[24];
        long long cents = 0;
        int scale = 0;
        bool isnum = true;
        if (r < 8) {
            amount[0] = '\0';
            isnum = false;
        } else if (r < 13) {
            strcpy(amount, "n/a");
            isnum = false;
        } else {
            long long base = (long long)(rnd(&seed) % 61) - 30;
            scale = (int)(rnd(&seed) % 3);
            cents = base * (scale == 0 ? 100 : scale == 1 ? 50 : 37);
            fmt_cents(amount, sizeof amount, cents, scale);
        }
        if (!isnum)
            d->skipped++;
        char line[128];
        snprintf(line, sizeof line, "%zu,%s,%s,%s\n", i, cats_csv[c], amount,
                 region);
        append(d, line);
        ref_add(ref_group(d->by_cat, &d->ncat, MAXG, cats[c], NULL), amount,
                isnum, cents, scale, region);
        ref_add(ref_group(d->by_both, &d->nboth, MAXG * 3, cats[c], region),
                amount, isnum, cents, scale, region);
    }
    d->nrec = nrec;
    return d;
}

static void gen_free(gendata *d)
{
    for (size_t i = 0; i < d->ncat; i++)
        free(d->by_cat[i].xs);
    for (size_t i = 0; i < d->nboth; i++)
        free(d->by_both[i].xs);
    free(d->csv);
    free(d);
}

static const char *const all_aggs[] = {
    "count",         "sum:amount",    "mean:amount",     "min:amount",
    "max:amount",    "first:amount",  "last:amount",     "var:amount",
    "stddev:amount", "distinct:amount", "mode:amount",   "distinct:region",
    "mode:region",   "share"};
#define NAGGS (sizeof all_aggs / sizeof *all_aggs)
static const char *const key_cat[] = {"category"};
static const char *const key_both[] = {"category", "region"};

/* count / total to 4 decimals, half up, in integers (total is small). */
static void fmt_share(char *buf, size_t cap, long count, size_t total)
{
    unsigned long long u =
        ((unsigned long long)count * 20000 + total) / (2 * total);
    snprintf(buf, cap, "%llu.%04llu", u / 10000, u % 10000);
}

/* Checks one output record against its reference group; total is the
 * number of records over all groups. */
static void check_group(const rn_record *rec, const refgroup *g, size_t nkeys,
                        size_t total)
{
    assert_int_equal(rec->nfields, nkeys + NAGGS);
    const rn_field *f = rec->fields;
    assert_field(f[0], g->cat);
    if (nkeys == 2)
        assert_field(f[1], g->region);
    f += nkeys;
    char buf[64];
    snprintf(buf, sizeof buf, "%ld", g->count);
    assert_field(f[0], buf);
    if (g->n == 0) {
        for (int i = 1; i <= 4; i++)
            assert_field(f[i], "");
    } else {
        fmt_cents(buf, sizeof buf, g->cents, g->scale);
        assert_field(f[1], buf);
        /* Both operands are exact doubles: the quotient is the correctly
         * rounded mean, which the output must read back as exactly. */
        double mean = (double)g->cents / (100.0 * (double)g->n);
        assert_true(memchr(f[2].ptr, 'e', f[2].len) == NULL);
        assert_true(num_of(f[2]) == mean);
        assert_field(f[3], g->mintext);
        assert_field(f[4], g->maxtext);
    }
    assert_field(f[5], g->first);
    assert_field(f[6], g->last);
    if (g->n < 2) {
        assert_field(f[7], "");
        assert_field(f[8], "");
    } else {
        long double m = 0, ss = 0;
        for (long i = 0; i < g->n; i++)
            m += g->xs[i];
        m /= g->n;
        for (long i = 0; i < g->n; i++)
            ss += (g->xs[i] - m) * (g->xs[i] - m);
        long double var = ss / (g->n - 1);
        assert_close(num_of(f[7]), var);
        double sd = num_of(f[8]);
        assert_true(sd >= 0);
        assert_close(sd * sd, var);
    }
    snprintf(buf, sizeof buf, "%zu", g->namounts);
    assert_field(f[9], buf);
    assert_field(f[10], mode_of(g->amounts, g->namounts));
    snprintf(buf, sizeof buf, "%zu", g->nregions);
    assert_field(f[11], buf);
    assert_field(f[12], mode_of(g->regions, g->nregions));
    fmt_share(buf, sizeof buf, g->count, total);
    assert_field(f[13], buf);
}

/* Drains it, checking each group in first-seen order. Returns the status. */
static int check_groups(rn_iter *it, const gendata *d, size_t nkeys,
                        bool use_batches)
{
    const refgroup *ref = nkeys == 2 ? d->by_both : d->by_cat;
    size_t nref = nkeys == 2 ? d->nboth : d->ncat;
    size_t k = 0;
    int rc;
    if (use_batches) {
        rn_batch b;
        while ((rc = rn_next_batch(it, &b)) == RN_ROW) {
            assert_true(b.n >= 1);
            for (size_t i = 0; i < b.n; i++, k++) {
                assert_true(k < nref);
                check_group(&b.recs[i], &ref[k], nkeys, d->nrec);
            }
        }
    } else {
        const rn_record *rec;
        while ((rc = rn_next(it, &rec)) == RN_ROW) {
            assert_true(k < nref);
            check_group(rec, &ref[k++], nkeys, d->nrec);
        }
    }
    if (rc == RN_DONE)
        assert_int_equal(k, nref);
    return rc;
}

static void check_generated(const gendata *d, size_t chunk, size_t nkeys)
{
    rn_iter *it = rn_groupby_new(
        rn_csv_new(tst_chunked_source(d->csv, d->len, chunk, NULL), NULL),
        nkeys == 2 ? key_both : key_cat, nkeys, all_aggs, NAGGS, NULL);
    assert_int_equal(rn_status(it), RN_OK);
    int rc = check_groups(it, d, nkeys, chunk % 2 == 0);
    if (rc != RN_DONE)
        fprintf(stderr, "chunk %zu: %s\n", chunk, rn_errmsg(it));
    assert_int_equal(rc, RN_DONE);
    rn_stats st;
    rn_stats_of(it, &st);
    assert_int_equal(st.records_in, d->nrec);
    assert_int_equal(st.records_out, nkeys == 2 ? d->nboth : d->ncat);
    /* One skip per value, however many aggregates read the field. */
    assert_int_equal(st.skipped, d->skipped);
    char want[128];
    snprintf(want, sizeof want, "amount: %ld values not numbers, skipped",
             d->skipped);
    assert_string_equal(rn_stats_detail(it), want);
    rn_free(it);
}

/* ---- tests --------------------------------------------------------------- */

static void test_generated_every_chunk_size(void **state)
{
    (void)state;
    gendata *d = generate(40, 7);
    for (size_t chunk = 1; chunk <= d->len + 1; chunk++)
        check_generated(d, chunk, chunk % 3 == 0 ? 2 : 1);
    gen_free(d);
}

static void test_generated_large(void **state)
{
    (void)state;
    gendata *d = generate(20000, 99);
    const size_t chunks[] = {7, 4096, 1u << 20};
    for (size_t i = 0; i < 3; i++) {
        check_generated(d, chunks[i], 1);
        check_generated(d, chunks[i], 2);
    }
    gen_free(d);
}

static void test_schema(void **state)
{
    (void)state;
    rn_iter *it = rn_groupby_new(csv_over("category,amount,region\n", 4096),
                                 key_cat, 1, all_aggs, NAGGS, NULL);
    const rn_schema *s = rn_schema_of(it);
    const char *names[] = {"category",        "count",       "sum_amount",
                           "mean_amount",     "min_amount",  "max_amount",
                           "first_amount",    "last_amount", "var_amount",
                           "stddev_amount",   "distinct_amount",
                           "mode_amount",     "distinct_region",
                           "mode_region",     "share"};
    const int num[] = {0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1};
    assert_int_equal(rn_schema_count(s), 15);
    for (size_t i = 0; i < 15; i++) {
        assert_field(rn_schema_name(s, i), names[i]);
        assert_int_equal(!!rn_schema_is_number(s, i), num[i]);
    }
    assert_string_equal(rn_kind(it), "groupby");
    assert_string_equal(rn_stats_detail(it), "");
    rn_free(it);
    it = rn_count_by_new(csv_over("category,amount,region\n", 4096), key_both,
                         2, NULL);
    s = rn_schema_of(it);
    assert_int_equal(rn_schema_count(s), 3);
    assert_field(rn_schema_name(s, 2), "count");
    assert_true(rn_schema_is_number(s, 2));
    assert_false(rn_schema_is_number(s, 0));
    assert_string_equal(rn_kind(it), "count-by");
    rn_free(it);
}

static void test_exact_decimal_sums(void **state)
{
    (void)state;
    const char *k[] = {"k"};
    const char *aggs[] = {"sum:v", "mean:v"};
    expect_groupby("k,v\na,0.1\na,0.2\nb,1.50\nb,2.25\nc,1.5\nc,2\n"
                   "d,-1.05\nd,1.05\ne,0.10\ne,5\nf,-0.5\nf,-0.25\n",
                   k, 1, aggs, 2,
                   "a\t0.3\t0.15\n"
                   "b\t3.75\t1.875\n"
                   "c\t3.5\t1.75\n"
                   "d\t0.00\t0\n"
                   "e\t5.10\t2.55\n"
                   "f\t-0.75\t-0.375\n");
    /* Eighteen digits stay exact where a double would round. */
    expect_groupby("k,v\na,123456789012345678\na,1\nb,0.000000000000000001\n"
                   "b,.5\nb,5.\nb,+2\n",
                   k, 1, aggs, 2,
                   "a\t123456789012345679\t6.172839450617284e+16\n"
                   "b\t7.500000000000000001\t1.875\n");
}

static void test_compensated_beyond_18_digits(void **state)
{
    (void)state;
    const char *k[] = {"k"};
    const char *aggs[] = {"sum:v"};
    /* 20 digits are not exact decimals: Neumaier keeps the 1 that plain
     * doubles lose (1e19 + 1 - 1e19 = 0). */
    expect_groupby("k,v\na,10000000000000000000\na,1\na,-10000000000000000000\n",
                   k, 1, aggs, 1, "a\t1\n");
    /* An exact sum that would overflow int64 switches to doubles. */
    char csv[600] = "k,v\n";
    for (int i = 0; i < 11; i++)
        strcat(csv, "a,900000000000000000\n");
    expect_groupby(csv, k, 1, aggs, 1, "a\t9.9e+18\n");
    /* A value that is no exact decimal switches, seeded with the sum so far;
     * so does a scale change that no longer fits. */
    expect_groupby("k,v\na,0.1\na,1e1\na,0.2\n"
                   "b,900000000000000000\nb,0.05\n"
                   "c,900000000000000000\nc,0.5\n",
                   k, 1, aggs, 1, "a\t10.3\nb\t9e+17\nc\t900000000000000000.5\n");
    /* Many values in exponent form (inexact path), binary-exact quarters:
     * the sum is exact. */
    char *big = malloc(100000);
    strcpy(big, "k,v\n");
    size_t n = 4;
    long long cents = 0;
    for (int i = 0; i < 3000; i++) {
        n += (size_t)sprintf(big + n, "a,%d.%02de0\n", i % 997, i % 4 * 25);
        cents += (i % 997) * 100 + i % 4 * 25;
    }
    int rc;
    char *got = run_groupby(big, 4096, k, 1, aggs, 1, NULL, &rc);
    assert_int_equal(rc, RN_DONE);
    double g = strtod(got + 2, NULL);
    assert_true(g == (double)cents / 100);
    free(got);
    free(big);
}

static void test_mean_var_stddev(void **state)
{
    (void)state;
    const char *k[] = {"k"};
    const char *aggs[] = {"mean:v", "var:v", "stddev:v", "count"};
    const char *csv = "k,v\na,2\na,4\na,4\na,4\na,5\na,5\na,7\na,9\nb,3.5\n"
                      "c,x\n";
    for (size_t chunk = 1; chunk < strlen(csv) + 1; chunk += 3) {
        rn_iter *it = rn_groupby_new(csv_over(csv, chunk), k, 1, aggs, 4, NULL);
        const rn_record *r;
        assert_int_equal(rn_next(it, &r), RN_ROW);
        assert_field(r->fields[0], "a");
        assert_field(r->fields[1], "5");
        assert_close(num_of(r->fields[2]), 32.0L / 7);
        double sd = num_of(r->fields[3]);
        assert_close(sd * sd, 32.0L / 7);
        /* Only one value: no sample variance. */
        assert_int_equal(rn_next(it, &r), RN_ROW);
        assert_field(r->fields[1], "3.5");
        assert_field(r->fields[2], "");
        assert_field(r->fields[3], "");
        assert_field(r->fields[4], "1");
        /* No numbers at all. */
        assert_int_equal(rn_next(it, &r), RN_ROW);
        assert_field(r->fields[1], "");
        assert_field(r->fields[2], "");
        assert_int_equal(rn_next(it, &r), RN_DONE);
        rn_free(it);
    }
    /* stddev of a constant is 0; a large spread stays accurate. */
    const char *s[] = {"stddev:v", "var:v"};
    expect_groupby("k,v\na,1e8\na,1e8\nb,100000000.5\nb,99999999.5\n"
                   "c,1\nc,3\n",
                   k, 1, s, 2, "a\t0\t0\nb\t0.7071067811865476\t0.5\nc\t1.4142135623730951\t2\n");
}

static void test_mode_distinct_first_last(void **state)
{
    (void)state;
    const char *k[] = {"k"};
    const char *aggs[] = {"mode:v", "distinct:v", "first:v", "last:v"};
    /* a: b and a both twice; b was seen first. */
    expect_groupby("k,v\na,b\na,a\na,a\na,b\nc,x\nc,y\nc,y\nd,\nd,q\nd,\n"
                   "e,\"with, comma\"\n",
                   k, 1, aggs, 4,
                   "a\tb\t2\tb\tb\n"
                   "c\ty\t2\tx\ty\n"
                   "d\t\t2\t\t\n"
                   "e\twith, comma\t1\twith, comma\twith, comma\n");
    /* The same values in different groups are different entries, and
     * distinct and mode on one field share them. */
    const char *aggs2[] = {"distinct:v", "distinct:w", "mode:w", "mode:v"};
    expect_groupby("k,v,w\na,1,1\nb,1,2\na,1,1\nb,2,2\na,2,3\n", k, 1, aggs2, 4,
                   "a\t2\t2\t1\t1\nb\t2\t1\t2\t1\n");
    /* Long values go to heap buffers, and shrink back. */
    char csv[2000] = "k,v\n";
    strcat(csv, "a,");
    for (int i = 0; i < 300; i++)
        strcat(csv, "x");
    strcat(csv, "\na,short\n");
    char x300[301];
    memset(x300, 'x', 300);
    x300[300] = '\0';
    char want[2000];
    snprintf(want, sizeof want, "a\t%s\t2\t%s\tshort\n", x300, x300);
    expect_groupby(csv, k, 1, aggs, 4, want);
}

static void expect_share(uint64_t count, uint64_t total, const char *want)
{
    char buf[RN__AGG_FMT_MAX];
    size_t n = rn__agg_share_format(count, total, buf);
    assert_int_equal(n, strlen(want));
    assert_string_equal(buf, want);
}

/* The formatter alone, with totals no test input could reach: the long
 * division must not overflow where count * 10000 would. */
static void test_share_format(void **state)
{
    (void)state;
    const uint64_t e19 = UINT64_C(10000000000000000000);
    expect_share(0, 0, "");
    expect_share(0, 1, "0.0000");
    expect_share(1, 1, "1.0000");
    expect_share(UINT64_MAX, UINT64_MAX, "1.0000");
    expect_share(UINT64_MAX - 1, UINT64_MAX, "1.0000");
    expect_share(1, UINT64_MAX, "0.0000");
    expect_share(UINT64_MAX / 2, UINT64_MAX, "0.5000");
    expect_share(UINT64_MAX / 4, UINT64_MAX, "0.2500");
    expect_share(2717 * (e19 / 10000), e19, "0.2717");
    expect_share(27175 * (e19 / 100000), e19, "0.2718");     /* a tie: up */
    expect_share(27175 * (e19 / 100000) - 1, e19, "0.2717"); /* just below */
    expect_share(1, 3, "0.3333");
    expect_share(2, 3, "0.6667");
    expect_share(99994, 100000, "0.9999");
    expect_share(99995, 100000, "1.0000");
}

/* The JSON lines a groupby writes through an fd sink. */
static char *groupby_jsonl(const char *csv, const char *const *keys,
                           size_t nkeys, const char *const *aggs, size_t naggs)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    rn_sink_opts so = {0};
    so.format = RN_FORMAT_JSONL;
    rn_sink *sink = rn_sink_fd(fileno(f), &so);
    rn_iter *it =
        rn_groupby_new(csv_over(csv, 4096), keys, nkeys, aggs, naggs, NULL);
    assert_int_equal(rn_run(it, sink), RN_DONE);
    rn_sink_free(sink);
    rn_free(it);
    long n = ftell(f);
    assert_true(n >= 0);
    char *out = calloc(1, (size_t)n + 1);
    rewind(f);
    assert_int_equal(fread(out, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return out;
}

static void test_share(void **state)
{
    (void)state;
    const char *k[] = {"k"};
    const char *aggs[] = {"count", "share"};
    /* Counts 2, 1, 1 of 4, in first-seen order (not sorted by share). */
    expect_groupby("k,v\nb,1\na,2\nb,3\nc,4\n", k, 1, aggs, 2,
                   "b\t2\t0.5000\na\t1\t0.2500\nc\t1\t0.2500\n");
    /* One group has it all. */
    expect_groupby("k,v\na,1\na,2\na,3\n", k, 1, aggs, 2, "a\t3\t1.0000\n");
    const char *only[] = {"share"};
    expect_groupby("k\nx\n", k, 1, only, 1, "x\t1.0000\n");
    /* Thirds; with no keys one group of 1.0000; no records: empty. */
    expect_groupby("k\na\nb\nb\n", k, 1, only, 1, "a\t0.3333\nb\t0.6667\n");
    expect_groupby("k\na\nb\n", NULL, 0, aggs, 2, "2\t1.0000\n");
    expect_groupby("k\n", NULL, 0, aggs, 2, "0\t\n");
    expect_groupby("k\n", k, 1, only, 1, "");
    /* Next to aggregates that read fields, which share does not disturb. */
    const char *mixed[] = {"sum:v", "share", "mode:v", "count"};
    expect_groupby("k,v\na,1\nb,2\na,3\nb,2\nb,x\n", k, 1, mixed, 4,
                   "a\t4\t0.4000\t1\t2\nb\t4\t0.6000\t2\t3\n");
    /* Rounding is of the exact quotient, half up: 25/92 = 0.27173...,
     * 1/32 = 0.03125 and 31/32 = 0.96875 exactly, 1/20000 = 0.00005. */
    char *csv = malloc(20000 * 2 + 8);
    strcpy(csv, "k\n");
    for (int i = 0; i < 92; i++)
        strcat(csv, i < 25 ? "a\n" : "b\n");
    expect_groupby(csv, k, 1, only, 1, "a\t0.2717\nb\t0.7283\n");
    strcpy(csv, "k\na\n");
    for (int i = 0; i < 31; i++)
        strcat(csv, "b\n");
    int rc;
    char *got = run_groupby(csv, 4096, k, 1, only, 1, NULL, &rc);
    assert_int_equal(rc, RN_DONE);
    assert_string_equal(got, "a\t0.0313\nb\t0.9688\n");
    free(got);
    char *p = csv + 2;
    for (int i = 0; i < 20000; i++) {
        memcpy(p, i == 0 ? "a\n" : "b\n", 2);
        p += 2;
    }
    *p = '\0';
    got = run_groupby(csv, 1u << 16, k, 1, only, 1, NULL, &rc);
    assert_int_equal(rc, RN_DONE);
    /* 0.99995 rounds up too: shares are rounded one by one, so they need
     * not add up to 1 and a group short of all records may show 1.0000. */
    assert_string_equal(got, "a\t0.0001\nb\t1.0000\n");
    free(got);
    free(csv);
    /* Count-by still orders by count, ties by key, whatever groupby adds. */
    expect_count_by("k,v\nb,1\na,2\nb,3\nc,4\n", k, 1, "b\t2\na\t1\nc\t1\n");
    /* The schema flags share as a computed number, so JSON prints it bare;
     * with no records it is null. */
    rn_iter *it = rn_groupby_new(csv_over("k,v\n", 4096), k, 1, mixed, 4,
                                 NULL);
    const rn_schema *s = rn_schema_of(it);
    assert_int_equal(rn_schema_count(s), 5);
    assert_field(rn_schema_name(s, 2), "share");
    assert_true(rn_schema_is_number(s, 2));
    rn_free(it);
    char *json = groupby_jsonl("k,v\nb,1\na,2\nb,3\nc,4\n", k, 1, aggs, 2);
    assert_string_equal(json, "{\"k\":\"b\",\"count\":2,\"share\":0.5000}\n"
                              "{\"k\":\"a\",\"count\":1,\"share\":0.2500}\n"
                              "{\"k\":\"c\",\"count\":1,\"share\":0.2500}\n");
    free(json);
    json = groupby_jsonl("k\n", NULL, 0, aggs, 2);
    assert_string_equal(json, "{\"count\":0,\"share\":null}\n");
    free(json);
}

static void test_min_max_keep_bytes(void **state)
{
    (void)state;
    const char *k[] = {"k"};
    const char *aggs[] = {"min:v", "max:v"};
    expect_groupby("k,v\na,1.50\na,-0.5\na,1.5\na,-.50\na,+1.500\n"
                   "b,1e3\nb,999.99\nb,inf\nb,-inf\nb,nan\n"
                   "c,12345678901234567890123\nc,1\n",
                   k, 1, aggs, 2,
                   "a\t-0.5\t1.50\n"
                   "b\t-inf\tinf\n"
                   "c\t1\t12345678901234567890123\n");
}

static void test_no_keys(void **state)
{
    (void)state;
    const char *aggs[] = {"count", "sum:v", "distinct:v", "mode:v", "first:v"};
    expect_groupby("k,v\na,1\nb,2\nc,3\nc,3\n", NULL, 0, aggs, 5,
                   "4\t9\t3\t3\t1\n");
    /* No records: one group, count 0, every aggregate empty. */
    expect_groupby("k,v\n", NULL, 0, aggs, 5, "0\t\t\t\t\n");
    /* With keys and no records: no groups. */
    const char *k[] = {"k"};
    expect_groupby("k,v\n", k, 1, aggs, 5, "");
    expect_count_by("k,v\n", k, 1, "");
    expect_count_by("k,v\n1,2\n3,4\n", NULL, 0, "2\n");
}

static void test_multiple_keys(void **state)
{
    (void)state;
    const char *k[] = {"a", "b"};
    const char *aggs[] = {"count", "sum:v"};
    /* Joined naively, ("ab","c") and ("a","bc") would be one group. */
    expect_groupby("a,b,v\nab,c,1\na,bc,2\nab,c,3\n,x,4\nx,,5\n,x,6\n,,7\n",
                   k, 2, aggs, 2,
                   "ab\tc\t2\t4\n"
                   "a\tbc\t1\t2\n"
                   "\tx\t2\t10\n"
                   "x\t\t1\t5\n"
                   "\t\t1\t7\n");
    /* Short (ragged) rows have empty fields. */
    const char *k3[] = {"v", "a", "b"};
    expect_groupby("a,b,v\n1\n1,2\n1,,\n", k3, 3, aggs, 1,
                   "\t1\t\t2\n\t1\t2\t1\n");
}

static void test_skipped_and_detail(void **state)
{
    (void)state;
    const char *k[] = {"k"};
    const char *aggs[] = {"sum:v", "min:v", "max:v", "mean:w", "count"};
    const char *csv = "k,v,w\na,1,x\na,,2\na,n/a,3\nb,nan,\nb,2,1\n";
    rn_iter *it = rn_groupby_new(csv_over(csv, 5), k, 1, aggs, 5, NULL);
    char *out;
    size_t len;
    assert_int_equal(tst_drain(it, &out, &len), RN_DONE);
    assert_int_equal(len, strlen("a\t1\t1\t1\t2.5\t3\nb\t2\t2\t2\t1\t2\n"));
    assert_memory_equal(out, "a\t1\t1\t1\t2.5\t3\nb\t2\t2\t2\t1\t2\n", len);
    rn_stats st;
    rn_stats_of(it, &st);
    assert_int_equal(st.skipped, 5);
    assert_int_equal(st.records_in, 5);
    assert_string_equal(rn_stats_detail(it),
                        "v: 3 values not numbers, skipped; "
                        "w: 2 values not numbers, skipped");
    free(out);
    rn_free(it);
    const char *one[] = {"sum:v"};
    it = rn_groupby_new(csv_over("k,v\na,1\na,-\n", 3), k, 1, one, 1, NULL);
    assert_int_equal(tst_drain(it, &out, &len), RN_DONE);
    assert_string_equal(rn_stats_detail(it), "v: 1 value not a number, skipped");
    free(out);
    rn_free(it);
    assert_string_equal(rn_stats_detail(NULL), "");
}

static void expect_error(rn_iter *it, int code, const char *const *parts,
                         size_t nparts)
{
    assert_non_null(it);
    const rn_record *rec;
    int rc = rn_next(it, &rec);
    for (size_t i = 0; i < nparts; i++) {
        if (!strstr(rn_errmsg(it), parts[i]))
            fprintf(stderr, "message: %s\n", rn_errmsg(it));
        assert_non_null(strstr(rn_errmsg(it), parts[i]));
    }
    assert_int_equal(rc, code);
    assert_int_equal(rn_next(it, &rec), code); /* sticky */
    rn_free(it);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    const char *csv = "k,amount\na,1\n";
    const char *k[] = {"k"};
    const char *bad_names[][2] = {{"avg:amount", "unknown aggregate"},
                                  {"sum", "needs a field"},
                                  {"sum:", "needs a field"},
                                  {"count:amount", "takes no field"},
                                  {"share:amount", "takes no field"},
                                  {"share:", "takes no field"},
                                  {"Sum:amount", "unknown aggregate"}};
    for (size_t i = 0; i < 7; i++) {
        const char *aggs[] = {"count", bad_names[i][0]};
        rn_iter *it = rn_groupby_new(csv_over(csv, 4096), k, 1, aggs, 2, NULL);
        /* Reported at construction, the first step returns it. */
        assert_int_equal(rn_status(it), RN_EINVAL);
        const char *parts[] = {"groupby", bad_names[i][0], bad_names[i][1],
                               "count, share, sum:F"};
        expect_error(it, RN_EINVAL, parts, 4);
    }
    /* Unknown fields, for aggregates and keys, with a suggestion. */
    const char *aggs[] = {"sum:amout"};
    const char *p1[] = {"groupby", "'amout'", "did you mean 'amount'"};
    expect_error(rn_groupby_new(csv_over(csv, 4096), k, 1, aggs, 1, NULL),
                 RN_EINVAL, p1, 3);
    const char *kk[] = {"kk"};
    const char *p2[] = {"count-by", "'kk'"};
    expect_error(rn_count_by_new(csv_over(csv, 3), kk, 1, NULL), RN_EINVAL, p2,
                 2);
    /* The lines reader's schema is known at once. */
    const char *p3[] = {"no field 'k'"};
    rn_iter *it = rn_groupby_new(
        rn_lines_new(tst_chunked_source(csv, strlen(csv), 2, NULL), NULL), k,
        1, NULL, 0, NULL);
    assert_int_equal(rn_status(it), RN_EINVAL);
    expect_error(it, RN_EINVAL, p3, 1);
    const char *p4[] = {"nothing to compute"};
    expect_error(rn_groupby_new(csv_over(csv, 4096), NULL, 0, NULL, 0, NULL),
                 RN_EINVAL, p4, 1);
    assert_null(rn_groupby_new(NULL, k, 1, aggs, 1, NULL));
    assert_null(rn_count_by_new(NULL, k, 1, NULL));
}

static ptrdiff_t failing_read(void *ud, void *buf, size_t cap)
{
    int *calls = ud;
    if ((*calls)++ == 0) {
        const char *s = "k,v\na,1\nb,2\n";
        size_t n = strlen(s) < cap ? strlen(s) : cap;
        memcpy(buf, s, n);
        return (ptrdiff_t)n;
    }
    return RN_EIO;
}

static void test_upstream_error(void **state)
{
    (void)state;
    int calls = 0;
    const char *k[] = {"k"};
    rn_iter *it = rn_count_by_new(
        rn_csv_new(rn_source_callback(failing_read, NULL, &calls, NULL), NULL),
        k, 1, NULL);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_EIO);
    assert_true(strlen(rn_errmsg(it)) > 0);
    rn_free(it);
}

static char *many_groups_csv(size_t ngroups, size_t *nrec)
{
    char *s = malloc(ngroups * 7 * 12 + 8);
    size_t n = (size_t)sprintf(s, "k\n");
    *nrec = 0;
    for (size_t rep = 0; rep < 7; rep++)
        for (size_t j = 0; j < ngroups; j++)
            if (rep < j % 7 + 1) {
                n += (size_t)sprintf(s + n, "k%zu\n", j);
                (*nrec)++;
            }
    return s;
}

static void test_caps(void **state)
{
    (void)state;
    const char *k[] = {"k"};
    const char *aggs[] = {"count", "distinct:v"};
    const char *csv = "k,v\na,1\nb,1\nc,1\na,2\nd,1\n";
    rn_groupby_opts o = {0};
    o.max_groups = 4;
    int rc;
    char *got = run_groupby(csv, 3, k, 1, aggs, 2, &o, &rc);
    assert_int_equal(rc, RN_DONE);
    assert_string_equal(got, "a\t2\t2\nb\t1\t1\nc\t1\t1\nd\t1\t1\n");
    free(got);
    o.max_groups = 3;
    const char *p1[] = {"groupby", "more than 3 groups", "max_groups"};
    expect_error(rn_groupby_new(csv_over(csv, 3), k, 1, aggs, 2, &o),
                 RN_ETOOBIG, p1, 3);
    o.max_groups = 0;
    o.max_distinct = 1;
    const char *p2[] = {"more than 1 distinct values of 'v'", "max_distinct"};
    expect_error(rn_groupby_new(csv_over(csv, 3), k, 1, aggs, 2, &o),
                 RN_ETOOBIG, p2, 2);
    /* The default cap is far away; thousands of groups pass, in batches. */
    size_t nrec;
    char *big = many_groups_csv(5000, &nrec);
    const char *cnt[] = {"count"};
    rn_iter *it = rn_groupby_new(csv_over(big, 4096), k, 1, cnt, 1, NULL);
    rn_batch b;
    size_t j = 0, batches = 0;
    while ((rc = rn_next_batch(it, &b)) == RN_ROW) {
        batches++;
        for (size_t i = 0; i < b.n; i++, j++) {
            char want[32];
            snprintf(want, sizeof want, "k%zu", j);
            assert_field(b.recs[i].fields[0], want);
            snprintf(want, sizeof want, "%zu", j % 7 + 1);
            assert_field(b.recs[i].fields[1], want);
        }
    }
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(j, 5000);
    assert_true(batches >= 5);
    rn_free(it);
    free(big);
}

static void test_count_by(void **state)
{
    (void)state;
    const char *k[] = {"k"};
    expect_count_by("k\nb\na\nc\na\nb\nd\nab\n", k, 1,
                    "a\t2\nb\t2\nab\t1\nc\t1\nd\t1\n");
    /* Field by field: "ab" < "b" although a joined form might order the
     * first field's length first. */
    const char *k2[] = {"x", "y"};
    expect_count_by("x,y\nb,a\nab,a\na,z\na,b\n\"q,r\",1\nq,\"r,1\"\nq,\"r,1\"\n",
                    k2, 2,
                    "q\tr,1\t2\na\tb\t1\na\tz\t1\nab\ta\t1\nb\ta\t1\n"
                    "q,r\t1\t1\n");
    /* Many groups: counts descending, keys ascending within a count. */
    size_t nrec;
    char *big = many_groups_csv(5000, &nrec);
    rn_iter *it = rn_count_by_new(csv_over(big, 1u << 20), k, 1, NULL);
    const rn_record *rec;
    int rc;
    size_t n = 0, total = 0;
    char prev[32] = "";
    long prevc = 1000;
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)rec->fields[0].len,
                 rec->fields[0].ptr);
        long c = (long)num_of(rec->fields[1]);
        assert_int_equal(c, atol(key + 1) % 7 + 1);
        assert_true(c < prevc || (c == prevc && strcmp(prev, key) < 0));
        prevc = c;
        strcpy(prev, key);
        n++;
        total += (size_t)c;
    }
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(n, 5000);
    assert_int_equal(total, nrec);
    rn_free(it);
    free(big);
}

static void test_failing_allocator(void **state)
{
    (void)state;
    gendata *d = generate(300, 5);
    bool completed = false;
    for (long fail = 0; !completed && fail < 5000; fail++) {
        tst_alloc t = tst_alloc_init();
        t.fail_at = fail;
        rn_allocator a = tst_allocator(&t);
        rn_source_opts so = {0};
        so.allocator = &a;
        so.block_size = 1024;
        size_t nkeys = fail % 2 ? 2 : 1;
        rn_iter *it = rn_groupby_new(
            rn_csv_new(rn_source_mem(d->csv, d->len, &so), NULL),
            nkeys == 2 ? key_both : key_cat, nkeys, all_aggs, NAGGS, NULL);
        if (it) {
            int rc = check_groups(it, d, nkeys, false);
            if (rc == RN_DONE) {
                completed = !t.failed;
            } else {
                assert_int_equal(rc, RN_ENOMEM);
                assert_true(t.failed);
            }
            rn_free(it);
        } else {
            assert_true(t.failed);
        }
        assert_int_equal(t.live, 0);
        assert_int_equal(t.nlive, 0);
    }
    assert_true(completed);
    /* count-by allocates its order at the end. */
    completed = false;
    const char *k[] = {"category"};
    for (long fail = 0; !completed && fail < 5000; fail++) {
        tst_alloc t = tst_alloc_init();
        t.fail_at = fail;
        rn_allocator a = tst_allocator(&t);
        rn_source_opts so = {0};
        so.allocator = &a;
        rn_iter *it = rn_count_by_new(
            rn_csv_new(rn_source_mem(d->csv, d->len, &so), NULL), k, 1, NULL);
        if (it) {
            char *out;
            size_t len;
            int rc = tst_drain(it, &out, &len);
            free(out);
            if (rc == RN_DONE)
                completed = !t.failed;
            else
                assert_int_equal(rc, RN_ENOMEM);
            rn_free(it);
        }
        assert_int_equal(t.live, 0);
        assert_int_equal(t.nlive, 0);
    }
    assert_true(completed);
    gen_free(d);
}

/* A fixed set of groups and values, as many rows as bytes allow. */
typedef struct gen {
    uint64_t left, i;
} gen;

static ptrdiff_t gen_read(void *ud, void *buf, size_t cap)
{
    gen *g = ud;
    char *p = buf;
    size_t n = 0;
    if (g->i == 0 && cap > 64) {
        n = (size_t)sprintf(p, "id,category,amount,region\n");
        g->i = 1;
    }
    while (g->left && n + 80 <= cap) {
        unsigned long long i = g->i;
        long a = (long)(i * 7919 % 1000) - 500;
        int k = i % 50 == 0
                    ? sprintf(p + n, "%llu,\"c, %llu\",n/a,r%llu\n", i, i % 13,
                              i % 3)
                    : sprintf(p + n, "%llu,\"c, %llu\",%s%ld.%02ld,r%llu\n", i,
                              i % 13, a < 0 ? "-" : "", labs(a) / 100,
                              labs(a) % 100, i % 3);
        g->i++;
        n += (size_t)k;
        g->left = g->left > (uint64_t)k ? g->left - (uint64_t)k : 0;
    }
    return (ptrdiff_t)n;
}

static size_t peak_for(uint64_t bytes, uint64_t *records)
{
    tst_alloc t = tst_alloc_init();
    rn_allocator a = tst_allocator(&t);
    rn_source_opts o = {0};
    o.allocator = &a;
    gen g = {bytes, 0};
    rn_iter *it = rn_groupby_new(
        rn_csv_new(rn_source_callback(gen_read, NULL, &g, &o), NULL), key_cat,
        1, all_aggs, NAGGS, NULL);
    const rn_record *rec;
    size_t groups = 0;
    *records = 0;
    int rc;
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        groups++;
        *records += strtoull(rec->fields[1].ptr, NULL, 10);
        /* Every amount was seen (20 of 1000 are always "n/a"). */
        assert_field(rec->fields[10], "981");
    }
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(groups, 13);
    rn_free(it);
    assert_int_equal(t.live, 0);
    return t.peak;
}

static void test_constant_memory(void **state)
{
    (void)state;
    uint64_t small_n, big_n;
    size_t small = peak_for(1u << 20, &small_n);
    size_t big = peak_for(20u << 20, &big_n);
    assert_true(big_n > 15 * small_n);
    assert_int_equal(small, big);
}

/* Keys of every length around the short-key table's (0 to 40 bytes), that
 * differ from each other in one byte at any position, or only in length,
 * with NUL and high bytes, and enough of them that the table grows several
 * times: counts per key in first-seen order, against a naive count. */
static void test_key_lengths(void **state)
{
    (void)state;
    enum { MAXK = 1200, MAXLEN = 40 };
    static char keys[MAXK][MAXLEN];
    static size_t klen[MAXK];
    size_t nk = 0;
    for (size_t len = 0; len <= MAXLEN && nk < MAXK; len++) {
        char base[MAXLEN];
        for (size_t i = 0; i < len; i++)
            base[i] = (char)("xY0\x01\xff\x80 z"[(i * 5 + len) % 8]);
        memcpy(keys[nk], base, len);
        klen[nk++] = len;
        for (size_t i = 0; i < len && nk < MAXK; i++) {
            memcpy(keys[nk], base, len);
            keys[nk][i] = (char)(keys[nk][i] ^ (i % 2 ? 0x01 : 0x40));
            klen[nk++] = len;
        }
        /* The same bytes with a NUL added: equal but for the length. */
        if (len < MAXLEN && nk < MAXK) {
            memcpy(keys[nk], base, len);
            keys[nk][len] = '\0';
            klen[nk++] = len + 1;
        }
    }
    /* Rows: key i appears 1 + i % 5 times, in a scrambled order. */
    size_t nrows = 0, order[MAXK * 5];
    for (size_t i = 0; i < nk; i++)
        for (size_t r = 0; r <= i % 5; r++)
            order[nrows++] = i;
    uint64_t seed = 3;
    for (size_t i = nrows; i > 1; i--) {
        size_t j = (size_t)(tst_rnd(&seed) % i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    char *csv = malloc(nrows * (MAXLEN + 8) + 16);
    size_t n = (size_t)sprintf(csv, "k,v\n");
    size_t seen[MAXK], nseen = 0, count[MAXK] = {0};
    bool first[MAXK] = {false};
    for (size_t r = 0; r < nrows; r++) {
        size_t i = order[r];
        memcpy(csv + n, keys[i], klen[i]);
        n += klen[i];
        n += (size_t)sprintf(csv + n, ",1\n");
        if (!first[i]) {
            first[i] = true;
            seen[nseen++] = i;
        }
        count[i]++;
    }
    /* Duplicates among the keys would merge groups: there are none. */
    for (size_t i = 0; i < nk; i++)
        for (size_t j = i + 1; j < nk; j++)
            assert_false(klen[i] == klen[j] &&
                         memcmp(keys[i], keys[j], klen[i]) == 0);
    char *want = malloc(nk * (MAXLEN + 16));
    size_t wn = 0;
    for (size_t s = 0; s < nseen; s++) {
        size_t i = seen[s];
        memcpy(want + wn, keys[i], klen[i]);
        wn += klen[i];
        wn += (size_t)sprintf(want + wn, "\t%zu\n", count[i]);
    }
    const char *k[] = {"k"};
    const char *a[] = {"count"};
    size_t chunks[] = {1, 7, 4096, n + 1};
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
        rn_iter *it = rn_groupby_new(
            rn_csv_new(tst_chunked_source(csv, n, chunks[c], NULL), NULL), k,
            1, a, 1, NULL);
        char *got;
        size_t len;
        assert_int_equal(tst_drain(it, &got, &len), RN_DONE);
        assert_int_equal(len, wn);
        assert_memory_equal(got, want, wn);
        free(got);
        rn_free(it);
    }
    free(want);
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated_every_chunk_size),
        cmocka_unit_test(test_generated_large),
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_exact_decimal_sums),
        cmocka_unit_test(test_compensated_beyond_18_digits),
        cmocka_unit_test(test_mean_var_stddev),
        cmocka_unit_test(test_mode_distinct_first_last),
        cmocka_unit_test(test_share_format),
        cmocka_unit_test(test_share),
        cmocka_unit_test(test_min_max_keep_bytes),
        cmocka_unit_test(test_no_keys),
        cmocka_unit_test(test_multiple_keys),
        cmocka_unit_test(test_skipped_and_detail),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_upstream_error),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_count_by),
        cmocka_unit_test(test_failing_allocator),
        cmocka_unit_test(test_constant_memory),
        cmocka_unit_test(test_key_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
