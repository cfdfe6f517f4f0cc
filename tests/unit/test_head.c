/*
 * test_head.c - head and skip against the reader's own records (the
 * reference: a prefix or a suffix), over lines and CSV at every chunk size;
 * head ending on an endless input; counters; allocation failures; constant
 * memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- records collected as copies ----------------------------------------- */

typedef struct row {
    size_t nf;
    char **f;            /* nf copies */
    size_t *len;
    char *raw;           /* NULL when the record had none */
    size_t rawlen;
    uint64_t line, offset;
} row;

typedef struct rows {
    row *r;
    size_t n, cap;
} rows;

static char *dup_bytes(const char *p, size_t n)
{
    char *d = malloc(n + 1);
    if (n)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

static void rows_add(rows *rs, const rn_record *rec)
{
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 64;
        rs->r = realloc(rs->r, rs->cap * sizeof *rs->r);
    }
    row *w = &rs->r[rs->n++];
    w->nf = rec->nfields;
    w->f = malloc((w->nf + 1) * sizeof *w->f);
    w->len = malloc((w->nf + 1) * sizeof *w->len);
    for (size_t i = 0; i < w->nf; i++) {
        w->f[i] = dup_bytes(rec->fields[i].ptr, rec->fields[i].len);
        w->len[i] = rec->fields[i].len;
    }
    w->raw = rec->raw.ptr ? dup_bytes(rec->raw.ptr, rec->raw.len) : NULL;
    w->rawlen = rec->raw.len;
    w->line = rec->line;
    w->offset = rec->offset;
}

static int collect(rn_iter *it, rows *rs)
{
    memset(rs, 0, sizeof *rs);
    const rn_record *rec;
    int rc;
    while ((rc = rn_next(it, &rec)) == RN_ROW)
        rows_add(rs, rec);
    return rc;
}

static void rows_free(rows *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        for (size_t j = 0; j < rs->r[i].nf; j++)
            free(rs->r[i].f[j]);
        free(rs->r[i].f);
        free(rs->r[i].len);
        free(rs->r[i].raw);
    }
    free(rs->r);
    memset(rs, 0, sizeof *rs);
}

/* Same fields, positions and raw bytes. */
static void expect_rows(const rows *got, const row *want, size_t n)
{
    assert_int_equal(got->n, n);
    for (size_t i = 0; i < n; i++) {
        const row *g = &got->r[i], *w = &want[i];
        assert_int_equal(g->nf, w->nf);
        for (size_t j = 0; j < g->nf; j++) {
            assert_int_equal(g->len[j], w->len[j]);
            assert_memory_equal(g->f[j], w->f[j], w->len[j] + 1);
        }
        assert_int_equal(g->line, w->line);
        assert_int_equal(g->offset, w->offset);
        assert_int_equal(g->raw == NULL, w->raw == NULL);
        assert_int_equal(g->rawlen, w->rawlen);
        if (g->raw)
            assert_memory_equal(g->raw, w->raw, w->rawlen);
    }
}

/* Every chunk size from 1 to n (at most 300), then 7, 4096 and 1 MiB. */
static size_t chunk_sizes(size_t n, size_t *out)
{
    size_t k = 0;
    for (size_t c = 1; c <= n && c <= 300; c++)
        out[k++] = c;
    out[k++] = 7;
    out[k++] = 4096;
    out[k++] = (size_t)1 << 20;
    return k;
}

enum reader { LINES, CSV };

static rn_iter *open_reader(int kind, const char *s, size_t n, size_t chunk,
                            const rn_source_opts *o)
{
    rn_source *src = tst_chunked_source(s, n, chunk, o);
    return kind == LINES ? rn_lines_new(src, NULL) : rn_csv_new(src, NULL);
}

static void reference(int kind, const char *s, size_t n, rows *ref)
{
    rn_iter *it = open_reader(kind, s, n, n + 1, NULL);
    assert_int_equal(collect(it, ref), RN_DONE);
    rn_free(it);
}

/* ---- inputs -------------------------------------------------------------- */

static const char small_csv[] =
    "id,name,note\n"
    "1,alpha,plain\n"
    "2,\"be,ta\",\"two\nlines\"\n"
    "3,gamma,\n"
    "4,\"d\"\"q\",x\r\n"
    "5,eps,y\n"
    "6,zeta,\n";

static const char small_lines[] = "one\ntwo\r\n\nfour\nfive\nsix\nseven";

/* count lines "line N of width-ish text", a buffer the caller frees. */
static char *make_lines(size_t count, size_t *len)
{
    char *s = malloc(count * 40 + 1);
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        n += (size_t)sprintf(s + n, "line %zu %.*s\n", i, (int)(i % 17),
                             "abcdefghijklmnopq");
    *len = n;
    return s;
}

/* ---- head and skip ------------------------------------------------------- */

static void check_head_skip(int kind, const char *s, size_t n,
                            const size_t *chunks, size_t nchunks)
{
    rows ref;
    reference(kind, s, n, &ref);
    uint64_t ks[] = {0, 1, 2, 3, 1023, 1024, 1025, 2047, 2048, 2049,
                     ref.n - 1, ref.n, ref.n + 1, UINT64_MAX};
    for (size_t ci = 0; ci < nchunks; ci++) {
        for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++) {
            uint64_t k = ks[ki];
            size_t keep = k < ref.n ? (size_t)k : ref.n;
            rows got;

            rn_iter *it = rn_head_new(open_reader(kind, s, n, chunks[ci], NULL),
                                      k);
            assert_int_equal(collect(it, &got), RN_DONE);
            expect_rows(&got, ref.r, keep);
            rn_stats st;
            rn_stats_of(it, &st);
            assert_int_equal(st.records_out, keep);
            assert_int_equal(st.records_in, st.records_out + st.filtered);
            const rn_record *rec;
            assert_int_equal(rn_next(it, &rec), RN_DONE);
            rows_free(&got);
            rn_free(it);

            it = rn_skip_new(open_reader(kind, s, n, chunks[ci], NULL), k);
            assert_int_equal(collect(it, &got), RN_DONE);
            expect_rows(&got, ref.r + keep, ref.n - keep);
            rn_stats_of(it, &st);
            assert_int_equal(st.records_in, ref.n);
            assert_int_equal(st.filtered, keep);
            assert_int_equal(st.records_out, ref.n - keep);
            rows_free(&got);
            rn_free(it);
        }
    }
    rows_free(&ref);
}

static void test_small_every_chunk_size(void **state)
{
    (void)state;
    size_t chunks[310];
    size_t n = strlen(small_csv);
    check_head_skip(CSV, small_csv, n, chunks, chunk_sizes(n, chunks));
    n = strlen(small_lines);
    check_head_skip(LINES, small_lines, n, chunks, chunk_sizes(n, chunks));
}

static void test_many_batches(void **state)
{
    (void)state;
    size_t n;
    char *s = make_lines(5000, &n);
    size_t chunks[] = {1, 3, 7, 4096, (size_t)1 << 20};
    check_head_skip(LINES, s, n, chunks, sizeof chunks / sizeof *chunks);
    free(s);
}

static void test_schema_and_kind(void **state)
{
    (void)state;
    size_t n = strlen(small_csv);
    rn_iter *it = rn_head_new(rn_csv_new(rn_source_mem(small_csv, n, NULL),
                                         NULL), 2);
    assert_string_equal(rn_kind(it), "head");
    assert_int_equal(rn_schema_count(rn_schema_of(it)), 3);
    assert_int_equal(rn_schema_find(rn_schema_of(it), "note", 4), 2);
    rn_free(it);
    it = rn_skip_new(rn_csv_new(rn_source_mem(small_csv, n, NULL), NULL), 2);
    assert_string_equal(rn_kind(it), "skip");
    assert_int_equal(rn_schema_count(rn_schema_of(it)), 3);
    rn_free(it);
    assert_null(rn_head_new(NULL, 1));
    assert_null(rn_skip_new(NULL, 1));
}

/* An endless input: "y\n" forever, counting the bytes asked for. */
typedef struct endless {
    uint64_t bytes;
} endless;

static ptrdiff_t endless_read(void *ud, void *buf, size_t cap)
{
    endless *e = ud;
    char *p = buf;
    size_t n = cap & ~(size_t)1;
    for (size_t i = 0; i < n; i += 2) {
        p[i] = 'y';
        p[i + 1] = '\n';
    }
    e->bytes += n;
    return (ptrdiff_t)n;
}

static void test_head_ends_on_endless_input(void **state)
{
    (void)state;
    uint64_t ks[] = {0, 1, 10, 5000, 100000};
    for (size_t i = 0; i < sizeof ks / sizeof *ks; i++) {
        endless e = {0};
        rn_source_opts o = {0};
        o.block_size = 4096;
        rn_iter *it = rn_head_new(
            rn_lines_new(rn_source_callback(endless_read, NULL, &e, &o), NULL),
            ks[i]);
        rn_batch b;
        uint64_t got = 0;
        int rc;
        while ((rc = rn_next_batch(it, &b)) == RN_ROW) {
            for (size_t j = 0; j < b.n; j++)
                assert_memory_equal(b.recs[j].fields[0].ptr, "y", 1);
            got += b.n;
        }
        assert_int_equal(rc, RN_DONE);
        assert_int_equal(got, ks[i]);
        /* Reading stopped within a batch and a block of the last record. */
        assert_true(e.bytes <= 2 * (ks[i] + 2048) + 2 * 4096);
        assert_int_equal(rn_next_batch(it, &b), RN_DONE);
        rn_free(it);
    }
}

static void test_errors_pass_through(void **state)
{
    (void)state;
    /* A line longer than the cap, after three good ones. */
    char s[300];
    memset(s, 'x', sizeof s);
    memcpy(s, "a\nb\nc\n", 6);
    rn_lines_opts lo = {0};
    lo.max_line_bytes = 100;
    rn_iter *it = rn_skip_new(rn_lines_new(rn_source_mem(s, sizeof s, NULL),
                                           &lo), 1);
    rows got;
    assert_int_equal(collect(it, &got), RN_ETOOBIG);
    assert_int_equal(got.n, 2);
    assert_true(strlen(rn_errmsg(it)) > 0);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ETOOBIG);
    rows_free(&got);
    rn_free(it);

    /* head stops before the error, so it never sees it. */
    it = rn_head_new(rn_lines_new(rn_source_mem(s, sizeof s, NULL), &lo), 3);
    assert_int_equal(collect(it, &got), RN_DONE);
    assert_int_equal(got.n, 3);
    rows_free(&got);
    rn_free(it);

    /* An upstream that failed at construction fails the stage at once. */
    it = rn_head_new(rn_lines_new(rn_source_file("/nonexistent/x", NULL),
                                  NULL), 3);
    assert_true(rn_status(it) < 0);
    assert_non_null(strstr(rn_errmsg(it), "/nonexistent/x"));
    rn_free(it);
}

static void test_failing_allocator(void **state)
{
    (void)state;
    size_t n;
    char *s = make_lines(3000, &n);
    for (int which = 0; which < 2; which++) {
        bool completed = false;
        for (long fail = 0; !completed && fail < 1000; fail++) {
            tst_alloc t = tst_alloc_init();
            t.fail_at = fail;
            rn_allocator a = tst_allocator(&t);
            rn_source_opts o = {0};
            o.allocator = &a;
            o.block_size = 4096;
            rn_iter *up = rn_lines_new(rn_source_mem(s, n, &o), NULL);
            rn_iter *it = which ? rn_skip_new(up, 1500) : rn_head_new(up, 2500);
            if (it) {
                rows got;
                int rc = collect(it, &got);
                if (rc == RN_DONE) {
                    assert_int_equal(got.n, which ? 1500 : 2500);
                    completed = !t.failed;
                } else {
                    assert_int_equal(rc, RN_ENOMEM);
                    assert_true(t.failed);
                }
                rows_free(&got);
                rn_free(it);
            } else {
                assert_true(t.failed);
            }
            assert_int_equal(t.live, 0);
            assert_int_equal(t.nlive, 0);
        }
        assert_true(completed);
    }
    free(s);
}

/* ---- constant memory ----------------------------------------------------- */

typedef struct gen {
    uint64_t left, i;
} gen;

/* CSV rows of one length, so memory cannot depend on which rows come. */
static ptrdiff_t gen_read(void *ud, void *buf, size_t cap)
{
    gen *g = ud;
    char *p = buf;
    size_t n = 0;
    if (g->i == 0 && cap > 64) {
        n = (size_t)sprintf(p, "id,cat,amount,note\n");
        g->i = 1;
    }
    while (g->left && n + 64 <= cap) {
        int k = sprintf(p + n, "%010llu,c%02u,%06llu.25,plain\n",
                        (unsigned long long)g->i, (unsigned)(g->i % 13),
                        (unsigned long long)(g->i % 1000));
        g->i++;
        n += (size_t)k;
        g->left = g->left > (uint64_t)k ? g->left - (uint64_t)k : 0;
    }
    return (ptrdiff_t)n;
}

static size_t peak_for(int which, uint64_t bytes, uint64_t *records)
{
    tst_alloc t = tst_alloc_init();
    rn_allocator a = tst_allocator(&t);
    rn_source_opts o = {0};
    o.allocator = &a;
    gen g = {bytes, 0};
    rn_iter *up = rn_csv_new(rn_source_callback(gen_read, NULL, &g, &o), NULL);
    rn_iter *it = which ? rn_skip_new(up, 5) : rn_head_new(up, UINT64_MAX);
    rn_batch b;
    int rc;
    *records = 0;
    while ((rc = rn_next_batch(it, &b)) == RN_ROW)
        *records += b.n;
    assert_int_equal(rc, RN_DONE);
    rn_free(it);
    assert_int_equal(t.live, 0);
    return t.peak;
}

static void test_constant_memory(void **state)
{
    (void)state;
    for (int which = 0; which < 2; which++) {
        uint64_t small_n, big_n;
        size_t small = peak_for(which, 1u << 20, &small_n);
        size_t big = peak_for(which, 20u << 20, &big_n);
        assert_true(big_n > 19 * small_n);
        assert_int_equal(small, big);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_every_chunk_size),
        cmocka_unit_test(test_many_batches),
        cmocka_unit_test(test_schema_and_kind),
        cmocka_unit_test(test_head_ends_on_endless_input),
        cmocka_unit_test(test_errors_pass_through),
        cmocka_unit_test(test_failing_allocator),
        cmocka_unit_test(test_constant_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
