/*
 * test_filter.c - the filter stage over the CSV and log readers at every
 * chunk size, each expression against a naive reference predicate written
 * here (its own number check, strtod, byte compares); accounting; raw bytes
 * and line numbers passed through; names bound late and rebound when a
 * schema widens, upstream batches larger than ours, RN_AGAIN and upstream
 * errors passed through; errors at construction; regex match failures;
 * allocation failures; constant memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include "base/runnel_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- records as text ----------------------------------------------------- */

typedef struct text {
    char *p;
    size_t len, cap;
} text;

static void put(text *t, const void *p, size_t n)
{
    while (t->len + n + 1 > t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->p = realloc(t->p, t->cap);
    }
    if (n)
        memcpy(t->p + t->len, p, n);
    t->len += n;
    t->p[t->len] = '\0';
}

/* One record: line number, fields joined by 0x1f, 0x1d, raw bytes, 0x1e. */
static void put_rec(text *t, const rn_record *r)
{
    char num[32];
    int k = snprintf(num, sizeof num, "%llu:", (unsigned long long)r->line);
    put(t, num, (size_t)k);
    for (size_t i = 0; i < r->nfields; i++) {
        if (i)
            put(t, "\x1f", 1);
        put(t, r->fields[i].ptr, r->fields[i].len);
    }
    put(t, "\x1d", 1);
    put(t, r->raw.ptr, r->raw.len);
    put(t, "\x1e", 1);
}

/* Drains it with rn_next_batch (checking n >= 1) into text. */
static char *collect(rn_iter *it, size_t *nrec, int *status)
{
    text t;
    memset(&t, 0, sizeof t);
    put(&t, "", 0);
    rn_batch b;
    int rc;
    size_t k = 0;
    while ((rc = rn_next_batch(it, &b)) == RN_ROW) {
        assert_true(b.n >= 1 && b.n <= 1024);
        for (size_t i = 0; i < b.n; i++)
            put_rec(&t, &b.recs[i]);
        k += b.n;
    }
    *nrec = k;
    *status = rc;
    return t.p;
}

/* ---- the naive reference ------------------------------------------------- */

/* A number: [+-] (digits [. digits*] | . digits) [e [+-] digits], read with
 * strtod. Written apart from expr.c on purpose. */
static bool ref_num(rn_field f, double *d)
{
    char buf[128];
    if (f.len == 0 || f.len >= sizeof buf)
        return false;
    memcpy(buf, f.ptr, f.len);
    buf[f.len] = '\0';
    const char *s = buf;
    if (*s == '+' || *s == '-')
        s++;
    int digits = 0;
    while (*s >= '0' && *s <= '9') {
        s++;
        digits++;
    }
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            s++;
            digits++;
        }
    }
    if (!digits)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s)
        return false;
    *d = strtod(buf, NULL);
    return true;
}

static rn_field lit(const char *s)
{
    rn_field f = {s, strlen(s)};
    return f;
}

/* <0, 0, >0 as the filter compares. */
static int ref_cmp(rn_field a, rn_field b)
{
    double x, y;
    if (ref_num(a, &x) && ref_num(b, &y))
        return x < y ? -1 : x > y;
    for (size_t i = 0; i < a.len && i < b.len; i++)
        if (a.ptr[i] != b.ptr[i])
            return (unsigned char)a.ptr[i] < (unsigned char)b.ptr[i] ? -1 : 1;
    return a.len < b.len ? -1 : a.len > b.len;
}

static bool ref_eq_ci(rn_field a, rn_field b)
{
    double x, y;
    if (ref_num(a, &x) && ref_num(b, &y))
        return x == y;
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++) {
        char c = a.ptr[i], d = b.ptr[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (d >= 'A' && d <= 'Z')
            d = (char)(d + 32);
        if (c != d)
            return false;
    }
    return true;
}

static bool ref_contains(rn_field h, const char *n)
{
    size_t k = strlen(n);
    for (size_t i = 0; i + k <= h.len; i++)
        if (memcmp(h.ptr + i, n, k) == 0)
            return true;
    return k == 0;
}

/* ---- CSV: the cases ------------------------------------------------------ */

/* Quoted fields (delimiters, quotes, line breaks inside), empty and
 * non-numeric amounts, numbers written every way. */
static const char csv_text[] =
    "id,name,amount,category,note\n"
    "1,Alice,150,books,plain\n"
    "2,\"Bob, Jr.\",99.5,books,\"has, comma\"\n"
    "3,carol,,books,empty amount\n"
    "4,Dave,n/a,music,\"quoted \"\"n/a\"\"\"\n"
    "5,Eve,1e3,books,exponent\n"
    "6,\"Mallory\",100,books,exactly 100\n"
    "7,Nina,100.01,Books,capital B\n"
    "8,oscar,-20,music,\"multi\nline, note\"\n"
    "9,Peggy, 200,books,leading space\n"
    "10,Quinn,200 ,books,trailing space\n"
    "11,\"Rupert\",+300,film,plus sign\n"
    "12,Sybil,12.5,books,\n"
    "13,Trent,.5,music,\"\"\n"
    "14,Uma,abc,books,\"a,b,c\"\n"
    "15,Victor,1000000,books,\"big \"\"one\"\"\"\n"
    "16,Walter,inf,books,inf is a word\n"
    "17,Xena,nan,film,\"nan, too\"\n"
    "18,Yves,12.50,music,same as 12.5\n"
    "19,Zoe,0x20,books,hex is a word\n"
    "20,\"Amy\nLee\",101,books,name spans lines\n"
    "21,Ben,-0,books,negative zero\n"
    "22,,5,,\n"
    "23,Kim,\"150\",books,quoted number\n"
    "24,Lou,1e2,books,\"exp, 100\"\n"
    "25,Max,100.0001,BOOKS,upper\n";

enum { C_ID, C_NAME, C_AMOUNT, C_CAT, C_NOTE };

static bool r1(const rn_field *f)
{
    return ref_cmp(f[C_AMOUNT], lit("100")) > 0 &&
           ref_cmp(f[C_CAT], lit("books")) == 0;
}

static bool r2(const rn_field *f)
{
    return ref_cmp(f[C_AMOUNT], lit("100")) > 0 || f[C_AMOUNT].len == 0;
}

static bool r3(const rn_field *f)
{
    bool in = ref_cmp(f[C_CAT], lit("books")) == 0 ||
              ref_cmp(f[C_CAT], lit("music")) == 0;
    return !in && ref_contains(f[C_NOTE], ",");
}

static bool r4(const rn_field *f)
{
    return ref_cmp(f[C_AMOUNT], lit("12.5")) <= 0;
}

static bool r5(const rn_field *f)
{
    return f[C_NAME].len && f[C_NAME].ptr[0] >= 'A' && f[C_NAME].ptr[0] <= 'M';
}

static bool r6(const rn_field *f)
{
    return ref_cmp(f[C_CAT], lit("Books")) == 0 ||
           ref_cmp(f[C_ID], lit("20")) >= 0;
}

static bool r7(const rn_field *f)
{
    return f[C_NOTE].len != 0 && (ref_cmp(f[C_AMOUNT], lit("0")) < 0 ||
                                  ref_cmp(f[C_AMOUNT], lit("n/a")) == 0);
}

static bool r8(const rn_field *f)
{
    return ref_cmp(f[C_AMOUNT], lit("1e2")) == 0 ||
           ref_cmp(f[C_AMOUNT], lit("150")) == 0;
}

static bool r9(const rn_field *f)
{
    /* not (a or b) and not c: nots and parentheses. */
    return !(ref_contains(f[C_NOTE], "a") || ref_contains(f[C_NAME], "e")) &&
           !(f[C_CAT].len == 0);
}

static bool r10(const rn_field *f)
{
    (void)f;
    return false;
}

typedef struct ecase {
    const char *expr;
    bool (*ref)(const rn_field *f);
} ecase;

static const ecase csv_cases[] = {
    {"amount > 100 and category == \"books\"", r1},
    {"amount > 100 or amount is empty", r2},
    {"not category in (books, music) and note contains \",\"", r3},
    {"$3 <= 12.5", r4},
    {"name =~ \"^[A-M]\"", r5},
    {"category == Books or id >= 20", r6},
    {"note is not empty and (amount < 0 or amount == 'n/a')", r7},
    {"amount in (1e2, 150)", r8},
    {"not (note contains a or name contains e) and not category is empty",
     r9},
    {"amount != amount", r10},
};

/* The records of the CSV, read without a filter, kept as text per record. */
typedef struct refrec {
    rn_field f[5];
    char *text;         /* put_rec() form */
} refrec;

typedef struct refset {
    refrec r[64];
    size_t n;
    char *store;        /* the whole unfiltered text, which f points into */
} refset;

static void read_reference(refset *rs, const char *s, size_t len)
{
    memset(rs, 0, sizeof *rs);
    rn_iter *it = rn_csv_new(rn_source_mem(s, len, NULL), NULL);
    const rn_record *r;
    int rc;
    text all;
    memset(&all, 0, sizeof all);
    size_t starts[64], flen[64][5], fpos[64][5];
    while ((rc = rn_next(it, &r)) == RN_ROW) {
        assert_true(rs->n < 64);
        assert_int_equal(r->nfields, 5);
        text one;
        memset(&one, 0, sizeof one);
        put_rec(&one, r);
        rs->r[rs->n].text = one.p;
        starts[rs->n] = all.len;
        for (size_t i = 0; i < 5; i++) {
            fpos[rs->n][i] = all.len;
            flen[rs->n][i] = r->fields[i].len;
            put(&all, r->fields[i].ptr, r->fields[i].len);
        }
        rs->n++;
    }
    assert_int_equal(rc, RN_DONE);
    rn_free(it);
    (void)starts;
    rs->store = all.p;
    for (size_t k = 0; k < rs->n; k++)
        for (size_t i = 0; i < 5; i++) {
            rs->r[k].f[i].ptr = all.p + fpos[k][i];
            rs->r[k].f[i].len = flen[k][i];
        }
}

static void free_reference(refset *rs)
{
    for (size_t k = 0; k < rs->n; k++)
        free(rs->r[k].text);
    free(rs->store);
}

static void expect_csv(const refset *rs, const ecase *c, size_t chunk)
{
    text want;
    memset(&want, 0, sizeof want);
    put(&want, "", 0);
    size_t kept = 0;
    for (size_t k = 0; k < rs->n; k++)
        if (c->ref(rs->r[k].f)) {
            put(&want, rs->r[k].text, strlen(rs->r[k].text));
            kept++;
        }
    rn_iter *it = rn_filter_new(
        rn_csv_new(tst_chunked_source(csv_text, sizeof csv_text - 1, chunk,
                                      NULL),
                   NULL),
        c->expr);
    size_t n;
    int rc;
    char *got = collect(it, &n, &rc);
    if (rc != RN_DONE || strcmp(got, want.p) != 0)
        fprintf(stderr, "%s (chunk %zu): %s\nwant:\n%s\ngot:\n%s\n", c->expr,
                chunk, rn_errmsg(it), want.p, got);
    assert_int_equal(rc, RN_DONE);
    assert_string_equal(got, want.p);
    rn_stats st;
    rn_stats_of(it, &st);
    assert_int_equal(st.records_in, rs->n);
    assert_int_equal(st.records_out, kept);
    assert_int_equal(st.filtered, rs->n - kept);
    /* After the end, the end again. */
    rn_batch b;
    assert_int_equal(rn_next_batch(it, &b), RN_DONE);
    rn_free(it);
    free(got);
    free(want.p);
}

static void test_csv_every_chunk_size(void **state)
{
    (void)state;
    refset rs;
    read_reference(&rs, csv_text, sizeof csv_text - 1);
    assert_int_equal(rs.n, 25);
    for (size_t c = 0; c < sizeof csv_cases / sizeof *csv_cases; c++) {
        /* The reference keeps some records and drops others. */
        size_t kept = 0;
        for (size_t k = 0; k < rs.n; k++)
            kept += csv_cases[c].ref(rs.r[k].f);
        if (csv_cases[c].ref != r10)
            assert_true(kept > 0 && kept < rs.n);
        for (size_t chunk = 1; chunk <= sizeof csv_text; chunk++)
            expect_csv(&rs, &csv_cases[c], chunk);
        expect_csv(&rs, &csv_cases[c], 4096);
        expect_csv(&rs, &csv_cases[c], 1u << 20);
    }
    free_reference(&rs);
}

static void test_csv_spelled_out(void **state)
{
    (void)state;
    /* The reference, checked by hand on the first case. */
    rn_iter *it = rn_filter_new(
        rn_csv_new(rn_source_mem(csv_text, sizeof csv_text - 1, NULL), NULL),
        "amount > 100 and category == \"books\"");
    const rn_record *r;
    /* " 200" and "0x20" are not numbers, and sort before "100" as bytes;
     * "200 ", "abc" and "inf" sort after it. */
    const char *want[] = {"1", "5", "10", "14", "15", "16", "20", "23"};
    size_t k = 0;
    while (rn_next(it, &r) == RN_ROW) {
        assert_true(k < sizeof want / sizeof *want);
        assert_int_equal(r->fields[0].len, strlen(want[k]));
        assert_memory_equal(r->fields[0].ptr, want[k], r->fields[0].len);
        k++;
    }
    assert_int_equal(k, sizeof want / sizeof *want);
    assert_int_equal(rn_status(it), RN_DONE);
    rn_free(it);
}

/* ---- logs ---------------------------------------------------------------- */

static const char log_text[] =
    "2024-03-01 12:00:00|ERROR|disk failed\n"
    "2024-03-01 12:00:01|INFO|ok\n"
    "2024-03-01 12:00:02|error|lower case\n"
    "not a log line\n"
    "2024-03-01 12:00:03|Error|mixed case\n"
    "2024-03-01 12:00:04|ERRORS|not the same word\n"
    "2024-03-01 12:00:05|WARN|careful\n"
    "\n"
    "2024-03-01 12:00:06| ERROR |spaces trimmed by the reader\n"
    "2024-03-01 12:00:07|ERR|short\n"
    "2024-03-01 12:00:08|ERROR|no final newline";

static void test_log_level(void **state)
{
    (void)state;
    size_t n = sizeof log_text - 1;
    /* Reference: the log reader alone, then level compared ignoring case. */
    rn_iter *ref = rn_log_new(rn_lines_new(rn_source_mem(log_text, n, NULL),
                                           NULL),
                              NULL);
    text want;
    memset(&want, 0, sizeof want);
    put(&want, "", 0);
    const rn_record *r;
    size_t total = 0, kept = 0;
    while (rn_next(ref, &r) == RN_ROW) {
        total++;
        if (ref_eq_ci(r->fields[1], lit("error"))) {
            put_rec(&want, r);
            kept++;
        }
    }
    assert_int_equal(rn_status(ref), RN_DONE);
    rn_free(ref);
    assert_int_equal(total, 9);
    assert_int_equal(kept, 5);
    size_t chunks[] = {4096, 1u << 20};
    for (size_t chunk = 1; chunk <= n + 2; chunk++) {
        size_t c = chunk <= n ? chunk : chunks[chunk - n - 1];
        rn_iter *it = rn_filter_new(
            rn_log_new(rn_lines_new(tst_chunked_source(log_text, n, c, NULL),
                                    NULL),
                       NULL),
            "level == ERROR");
        size_t got_n;
        int rc;
        char *got = collect(it, &got_n, &rc);
        assert_int_equal(rc, RN_DONE);
        assert_string_equal(got, want.p);
        /* Pushdown may let the line reader skip lines without "error" in
         * any case, unparsed, and count them as filtered (here the log
         * reader's format detection has read them all already: see
         * test_pushdown.c). Every line is accounted for once. */
        rn_stats st, lg, rd;
        rn_stats_of(it, &st);
        rn_stats_of(rn_upstream(it), &lg);
        rn_stats_of(rn_upstream(rn_upstream(it)), &rd);
        assert_int_equal(rd.records_in, 11);
        assert_int_equal(st.records_out, kept);
        assert_int_equal(rd.filtered + lg.rejected + st.filtered, 11 - kept);
        assert_int_equal(lg.records_in, rd.records_out);
        assert_int_equal(st.records_in, lg.records_out);
        free(got);
        rn_free(it);
    }
    free(want.p);
}

/* ---- a scripted upstream ------------------------------------------------- */

/* Yields records i = 0..total-1 with fields a = i, b = "c" or "x", and from
 * record widen on a third field c = "x" under a wider schema (a new pointer,
 * as a ragged CSV does). Its schema is NULL until the first batch. Batches
 * have sizes from a list (some above RN__BATCH); RN_AGAIN comes between
 * batches when asked, and an error after fail_after records. */
typedef struct script {
    rn_iter base;
    size_t total, widen, i, fail_after;
    const size_t *sizes;
    size_t nsizes, si;
    bool again, said_again;
    rn_schema *s2, *s3;
    char (*num)[16];
    rn_field *f;
    rn_record *r;
} script;

static int script_next(rn_iter *it, rn_batch *out)
{
    script *s = (script *)it;
    if (s->again && !s->said_again && s->i) {
        s->said_again = true;
        return RN_AGAIN;
    }
    s->said_again = false;
    if (s->i >= s->fail_after)
        return rn__iter_fail(it, RN_EIO, "script: the disk is on fire");
    if (s->i >= s->total)
        return RN_DONE;
    size_t n = s->sizes[s->si++ % s->nsizes];
    if (n > s->total - s->i)
        n = s->total - s->i;
    if (s->i < s->widen && s->i + n > s->widen)
        n = s->widen - s->i; /* one schema per batch */
    if (s->i + n > s->fail_after)
        n = s->fail_after - s->i;
    it->schema = s->i >= s->widen ? s->s3 : s->s2;
    for (size_t k = 0; k < n; k++) {
        size_t i = s->i + k;
        rn_field *f = s->f + 3 * k;
        int len = snprintf(s->num[k], sizeof s->num[k], "%zu", i);
        f[0].ptr = s->num[k];
        f[0].len = (size_t)len;
        f[1].ptr = i % 3 ? "x" : "c";
        f[1].len = 1;
        f[2].ptr = "x";
        f[2].len = 1;
        s->r[k].fields = f;
        s->r[k].nfields = i >= s->widen ? 3 : 2;
        s->r[k].line = i + 1;
        s->r[k].offset = i;
        s->r[k].raw.ptr = s->num[k];
        s->r[k].raw.len = (size_t)len;
    }
    s->i += n;
    out->recs = s->r;
    out->n = n;
    return RN_ROW;
}

#define SCRIPT_MAX 5000

static void script_close(rn_iter *it)
{
    script *s = (script *)it;
    rn__schema_free(&it->mem, s->s2);
    rn__schema_free(&it->mem, s->s3);
    free(s->num);
    free(s->f);
    free(s->r);
}

static const rn__iter_vt script_vt = {"script", script_next, script_close};

static rn_iter *script_new(size_t total, size_t widen, const size_t *sizes,
                           size_t nsizes, bool again, size_t fail_after)
{
    script *s = rn__iter_new(&script_vt, sizeof *s, NULL, NULL);
    s->total = total;
    s->widen = widen;
    s->sizes = sizes;
    s->nsizes = nsizes;
    s->again = again;
    s->fail_after = fail_after;
    rn_field names[3] = {{"a", 1}, {"b", 1}, {"c", 1}};
    s->s2 = rn__schema_new(&s->base.mem, names, 2);
    s->s3 = rn__schema_new(&s->base.mem, names, 3);
    s->num = malloc(SCRIPT_MAX * sizeof *s->num);
    s->f = malloc(3 * SCRIPT_MAX * sizeof *s->f);
    s->r = calloc(SCRIPT_MAX, sizeof *s->r);
    s->base.schema = NULL;
    return &s->base;
}

/* The reference for "b == c or a >= 7000 or a < 3" on the script: c is the
 * string "c" before the schema widens and the field (always "x") after. */
static bool script_ref(size_t i, size_t widen)
{
    const char *b = i % 3 ? "x" : "c";
    const char *c = i >= widen ? "x" : "c";
    return strcmp(b, c) == 0 || i >= 7000 || i < 3;
}

static void test_late_binding_and_big_batches(void **state)
{
    (void)state;
    const size_t sizes_a[] = {3000, 1, 1024, 1025, 7, 2500};
    const size_t sizes_b[] = {1};
    const size_t sizes_c[] = {SCRIPT_MAX};
    struct {
        const size_t *sizes;
        size_t n;
        bool again;
    } runs[] = {{sizes_a, 6, false}, {sizes_a, 6, true}, {sizes_b, 1, true},
                {sizes_c, 1, false}};
    size_t total = 7500, widen = 4321;
    for (size_t k = 0; k < sizeof runs / sizeof *runs; k++) {
        rn_iter *up = script_new(total, widen, runs[k].sizes, runs[k].n,
                                 runs[k].again, SIZE_MAX);
        rn_iter *it = rn_filter_new(up, "b == c or a >= 7000 or a < 3");
        /* Unknown fields: nothing to check until the first batch. */
        assert_int_equal(rn_status(it), RN_OK);
        assert_null(rn_schema_of(it));
        size_t next = 0, agains = 0;
        rn_batch b;
        int rc;
        while ((rc = rn_next_batch(it, &b)) == RN_ROW || rc == RN_AGAIN) {
            if (rc == RN_AGAIN) {
                agains++;
                continue;
            }
            assert_true(b.n >= 1 && b.n <= RN__BATCH);
            assert_non_null(rn_schema_of(it));
            for (size_t i = 0; i < b.n; i++) {
                while (!script_ref(next, widen))
                    next++;
                char num[16];
                snprintf(num, sizeof num, "%zu", next);
                assert_int_equal(b.recs[i].fields[0].len, strlen(num));
                assert_memory_equal(b.recs[i].fields[0].ptr, num, strlen(num));
                assert_int_equal(b.recs[i].line, next + 1);
                assert_int_equal(b.recs[i].raw.len, strlen(num));
                next++;
            }
        }
        assert_int_equal(rc, RN_DONE);
        while (next < total && !script_ref(next, widen))
            next++;
        assert_int_equal(next, total);
        assert_true(runs[k].again ? agains > 0 : agains == 0);
        assert_int_equal(rn_schema_count(rn_schema_of(it)), 3);
        rn_stats st;
        rn_stats_of(it, &st);
        assert_int_equal(st.records_in, total);
        assert_int_equal(st.records_in, st.records_out + st.filtered);
        rn_free(it);
    }

    /* An unknown field is found at the first batch. */
    rn_iter *it = rn_filter_new(script_new(10, 5, sizes_b, 1, false, SIZE_MAX),
                                "d > 1");
    assert_int_equal(rn_status(it), RN_OK);
    rn_batch b;
    assert_int_equal(rn_next_batch(it, &b), RN_EINVAL);
    assert_non_null(strstr(rn_errmsg(it), "filter: no field 'd'"));
    assert_int_equal(rn_next_batch(it, &b), RN_EINVAL);
    rn_free(it);

    /* A position past a record's fields reads as empty. */
    it = rn_filter_new(script_new(10, 5, sizes_b, 1, false, SIZE_MAX),
                       "$3 == x");
    size_t n;
    int rc;
    char *got = collect(it, &n, &rc);
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(n, 5);
    free(got);
    rn_free(it);

    /* An upstream error is passed on with its message, after the records
     * before it. */
    it = rn_filter_new(script_new(100, 100, sizes_a, 6, false, 50), "a >= 0");
    got = collect(it, &n, &rc);
    assert_int_equal(rc, RN_EIO);
    assert_int_equal(n, 50);
    assert_string_equal(rn_errmsg(it), "script: the disk is on fire");
    free(got);
    rn_free(it);
}

/* ---- errors at construction and regex failures --------------------------- */

static void test_construction_errors(void **state)
{
    (void)state;
    const char *csv = "id,amount\n1,2\n";
    size_t n = strlen(csv);
    assert_null(rn_filter_new(NULL, "x == 1"));

    /* A misspelt field, known at once from the CSV header. */
    rn_iter *it = rn_filter_new(rn_csv_new(rn_source_mem(csv, n, NULL), NULL),
                                "amout > 1");
    assert_int_equal(rn_status(it), RN_EINVAL);
    assert_non_null(strstr(rn_errmsg(it), "filter: no field 'amout'"));
    assert_non_null(strstr(rn_errmsg(it), "did you mean 'amount'"));
    const rn_record *r;
    assert_int_equal(rn_next(it, &r), RN_EINVAL);
    rn_free(it);

    /* Syntax errors name the column. */
    it = rn_filter_new(rn_csv_new(rn_source_mem(csv, n, NULL), NULL),
                       "amount >");
    assert_int_equal(rn_status(it), RN_EINVAL);
    assert_string_equal(rn_errmsg(it),
                        "filter: column 9: expected a value at the end");
    assert_int_equal(rn_next(it, &r), RN_EINVAL);
    rn_free(it);
    it = rn_filter_new(rn_csv_new(rn_source_mem(csv, n, NULL), NULL),
                       "amount =~ '(?<'");
    assert_int_equal(rn_status(it), RN_EINVAL);
    assert_non_null(strstr(rn_errmsg(it), "filter: column 11: bad regex at "
                                          "offset 3"));
    rn_free(it);

    it = rn_filter_new(rn_csv_new(rn_source_mem(csv, n, NULL), NULL), NULL);
    assert_int_equal(rn_status(it), RN_EINVAL);
    assert_string_equal(rn_errmsg(it), "filter: no expression");
    rn_free(it);

    /* An upstream that failed at construction: its error, not ours. */
    it = rn_filter_new(rn_lines_new(rn_source_file("/nonexistent/x", NULL),
                                    NULL),
                       "syntax ((( error");
    assert_true(rn_status(it) < 0);
    assert_non_null(strstr(rn_errmsg(it), "/nonexistent/x"));
    rn_free(it);

    /* Lines have one field, "line": positions and that name work. */
    it = rn_filter_new(rn_lines_new(rn_source_mem("a\nbb\nccc\n", 9, NULL),
                                    NULL),
                       "line contains b or $1 == ccc");
    char *got;
    size_t len;
    assert_int_equal(tst_drain(it, &got, &len), RN_DONE);
    assert_int_equal(len, 7);
    assert_memory_equal(got, "bb\nccc\n", 7);
    free(got);
    rn_free(it);
}

static void test_regex_match_failure(void **state)
{
    (void)state;
    /* Line 4 drives the pattern into PCRE2's match limit: the records kept
     * before it come out, then the error, naming the line. */
    char csv[512];
    int n = sprintf(csv, "v\naa\nab\naaa\n");
    memset(csv + n, 'a', 120);
    n += 120;
    n += sprintf(csv + n, "b\naaaa\n");
    for (size_t chunk = 1; chunk <= (size_t)n; chunk += 7) {
        rn_iter *it = rn_filter_new(
            rn_csv_new(tst_chunked_source(csv, (size_t)n, chunk, NULL), NULL),
            "v =~ '^(a|aa)+$'");
        const rn_record *r;
        int rc;
        size_t k = 0;
        while ((rc = rn_next(it, &r)) == RN_ROW)
            k++;
        assert_int_equal(rc, RN_ETOOBIG);
        assert_int_equal(k, 2); /* aa, aaa */
        assert_non_null(strstr(rn_errmsg(it), "filter: "));
        assert_non_null(strstr(rn_errmsg(it), "line 5: regex match failed"));
        assert_int_equal(rn_next(it, &r), RN_ETOOBIG);
        rn_stats st;
        rn_stats_of(it, &st);
        assert_int_equal(st.records_in, st.records_out + st.filtered);
        rn_free(it);
    }
}

/* ---- allocation failures ------------------------------------------------- */

static void test_failing_allocator(void **state)
{
    (void)state;
    char *s = malloc(100000);
    size_t n = (size_t)sprintf(s, "id,name,amount,category\n");
    for (int i = 0; i < 1500; i++)
        n += (size_t)sprintf(s + n, i % 5 ? "%d,n%d,%d,books\n"
                                          : "%d,\"q,%d\",%d,music\n",
                             i, i, i % 300);
    const char *expr = "(amount > 100 and category == books) or "
                       "name =~ '^q,1' or name in (n7, n8)";
    size_t want = 0;
    {
        rn_iter *it = rn_filter_new(
            rn_csv_new(rn_source_mem(s, n, NULL), NULL), expr);
        const rn_record *r;
        while (rn_next(it, &r) == RN_ROW)
            want++;
        assert_int_equal(rn_status(it), RN_DONE);
        rn_free(it);
    }
    assert_true(want > 100 && want < 1500);
    bool completed = false;
    for (long fail = 0; !completed && fail < 2000; fail++) {
        tst_alloc t = tst_alloc_init();
        t.fail_at = fail;
        rn_allocator a = tst_allocator(&t);
        rn_source_opts so = {0};
        so.allocator = &a;
        so.block_size = 4096;
        rn_iter *it = rn_filter_new(
            rn_csv_new(rn_source_mem(s, n, &so), NULL), expr);
        if (it) {
            size_t k = 0;
            const rn_record *r;
            int rc;
            while ((rc = rn_next(it, &r)) == RN_ROW)
                k++;
            if (rc == RN_DONE) {
                assert_int_equal(k, want);
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
    free(s);
}

/* ---- constant memory ----------------------------------------------------- */

typedef struct gen {
    uint64_t left, i;
} gen;

static ptrdiff_t gen_read(void *ud, void *buf, size_t cap)
{
    gen *g = ud;
    char *p = buf;
    size_t n = 0;
    if (g->i == 0 && cap > 64) {
        n = (size_t)sprintf(p, "id,amount,category,note\n");
        g->i = 1;
    }
    while (g->left && n + 80 <= cap) {
        static const char *const cats[] = {"books", "music", "film"};
        int k = g->i % 9 ? sprintf(p + n, "%llu,%llu.5,%s,plain %llu\n",
                                   (unsigned long long)g->i,
                                   (unsigned long long)(g->i % 250),
                                   cats[g->i % 3],
                                   (unsigned long long)(g->i % 97))
                         : sprintf(p + n, "%llu,,\"%s\",\"x, \"\"y\"\"\"\n",
                                   (unsigned long long)g->i, cats[g->i % 3]);
        g->i++;
        n += (size_t)k;
        g->left = g->left > (uint64_t)k ? g->left - (uint64_t)k : 0;
    }
    return (ptrdiff_t)n;
}

static size_t peak_for(uint64_t bytes, uint64_t *in, uint64_t *out)
{
    tst_alloc t = tst_alloc_init();
    rn_allocator a = tst_allocator(&t);
    rn_source_opts o = {0};
    o.allocator = &a;
    gen g = {bytes, 0};
    rn_iter *f = rn_filter_new(
        rn_csv_new(rn_source_callback(gen_read, NULL, &g, &o), NULL),
        "amount > 100 and category == \"books\" or note =~ '\"y\"$' or "
        "amount is empty and id in (9, 18, 27)");
    rn_batch b;
    int rc;
    *out = 0;
    while ((rc = rn_next_batch(f, &b)) == RN_ROW)
        *out += b.n;
    assert_int_equal(rc, RN_DONE);
    rn_stats st;
    rn_stats_of(f, &st);
    *in = st.records_in;
    assert_int_equal(st.records_out, *out);
    assert_int_equal(st.records_in, st.records_out + st.filtered);
    rn_free(f);
    assert_int_equal(t.live, 0);
    return t.peak;
}

static void test_constant_memory(void **state)
{
    (void)state;
    uint64_t in1, out1, in2, out2;
    size_t small = peak_for(1u << 20, &in1, &out1);
    size_t big = peak_for(20u << 20, &in2, &out2);
    assert_true(in2 > 15 * in1);
    assert_true(out1 > 0 && out1 < in1);
    assert_int_equal(small, big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_every_chunk_size),
        cmocka_unit_test(test_csv_spelled_out),
        cmocka_unit_test(test_log_level),
        cmocka_unit_test(test_late_binding_and_big_batches),
        cmocka_unit_test(test_construction_errors),
        cmocka_unit_test(test_regex_match_failure),
        cmocka_unit_test(test_failing_allocator),
        cmocka_unit_test(test_constant_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
