/*
 * test_tail.c - tail against the reader's own records (the reference: the
 * last n), over lines and CSV at every chunk size, n from 0 to far more than
 * the input; records of very different sizes through the same slots;
 * RN_AGAIN and errors from upstream; counters; allocation failures; constant
 * memory for a fixed n.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include "runnel_internal.h"

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

/* Lines of pseudo-random lengths from 0 to maxlen; the caller frees. */
static char *make_lines(size_t count, size_t maxlen, size_t *len)
{
    char *s = malloc(count * (maxlen + 24) + 1);
    size_t n = 0;
    unsigned seed = 12345;
    for (size_t i = 0; i < count; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t l = (seed >> 8) % (maxlen + 1);
        n += (size_t)sprintf(s + n, "%zu:", i);
        for (size_t j = 0; j < l; j++)
            s[n++] = (char)('a' + (i + j) % 26);
        s[n++] = '\n';
    }
    *len = n;
    return s;
}

/* ---- tail ---------------------------------------------------------------- */

static void check_tail(int kind, const char *s, size_t n, const size_t *chunks,
                       size_t nchunks, const uint64_t *ks, size_t nks)
{
    rows ref;
    reference(kind, s, n, &ref);
    for (size_t ci = 0; ci < nchunks; ci++) {
        for (size_t ki = 0; ki < nks; ki++) {
            uint64_t k = ks[ki];
            size_t keep = k < ref.n ? (size_t)k : ref.n;
            rows got;
            rn_iter *it = rn_tail_new(open_reader(kind, s, n, chunks[ci], NULL),
                                      k);
            assert_int_equal(collect(it, &got), RN_DONE);
            expect_rows(&got, ref.r + (ref.n - keep), keep);
            rn_stats st;
            rn_stats_of(it, &st);
            assert_int_equal(st.records_in, ref.n);
            assert_int_equal(st.records_out, keep);
            assert_int_equal(st.filtered, ref.n - keep);
            const rn_record *rec;
            assert_int_equal(rn_next(it, &rec), RN_DONE);
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
    uint64_t ks[] = {0, 1, 2, 3, 5, 6, 7, 8, 1000, UINT64_MAX};
    size_t nks = sizeof ks / sizeof *ks;
    size_t n = strlen(small_csv);
    check_tail(CSV, small_csv, n, chunks, chunk_sizes(n, chunks), ks, nks);
    n = strlen(small_lines);
    check_tail(LINES, small_lines, n, chunks, chunk_sizes(n, chunks), ks, nks);
}

static void test_many_batches(void **state)
{
    (void)state;
    size_t n;
    char *s = make_lines(5000, 30, &n);
    size_t chunks[] = {1, 7, 4096, (size_t)1 << 20};
    uint64_t ks[] = {1, 1023, 1024, 1025, 2048, 3000, 4999, 5000, 5001,
                     (uint64_t)1 << 40};
    check_tail(LINES, s, n, chunks, sizeof chunks / sizeof *chunks, ks,
               sizeof ks / sizeof *ks);
    free(s);
}

static void test_records_of_many_sizes(void **state)
{
    (void)state;
    /* Lines from 0 to 5000 bytes through a few slots: blocks grow, are
     * reused and shrink, and every copy must stay exact. */
    size_t n;
    char *s = make_lines(600, 5000, &n);
    size_t chunks[] = {1000, 4096};
    uint64_t ks[] = {1, 2, 3, 7, 64};
    check_tail(LINES, s, n, chunks, 2, ks, sizeof ks / sizeof *ks);
    free(s);
}

static void test_copies_outlive_upstream_buffers(void **state)
{
    (void)state;
    /* Tiny blocks: the reader's buffers are reused many times over before
     * tail hands anything out, so views would show other bytes. */
    size_t n;
    char *s = make_lines(3000, 40, &n);
    rn_source_opts o = {0};
    o.block_size = 64;
    rows ref;
    reference(LINES, s, n, &ref);
    rn_iter *it = rn_tail_new(rn_lines_new(rn_source_mem(s, n, &o), NULL),
                              2500);
    rows got;
    assert_int_equal(collect(it, &got), RN_DONE);
    expect_rows(&got, ref.r + 500, 2500);
    assert_string_equal(rn_kind(it), "tail");
    rows_free(&got);
    rows_free(&ref);
    rn_free(it);
    free(s);
}

/* Wide rows, and rows that widen the schema as they come (each new width
 * pads the rows after it), so output batches need more views than one
 * pool holds and records of many widths share it. */
static void test_wide_and_ragged_records(void **state)
{
    (void)state;
    size_t cap = 4 << 20, n = 0;
    char *s = malloc(cap);
    n += (size_t)sprintf(s + n, "h\n");
    for (size_t i = 0; i < 2500; i++) {
        size_t w = i < 1500 ? 1 + i % 150 : 120;
        for (size_t j = 0; j < w; j++)
            n += (size_t)sprintf(s + n, j ? ",%zu" : "%zu", i * 7 + j);
        s[n++] = '\n';
    }
    size_t chunks[] = {4096, (size_t)1 << 20};
    uint64_t ks[] = {1, 100, 1500, 2500, 3000};
    check_tail(CSV, s, n, chunks, 2, ks, sizeof ks / sizeof *ks);
    free(s);
}

/* An upstream of hand-made records that no reader makes: raw beside the
 * fields, raw empty but present, no raw, no fields at all. */
typedef struct odd {
    rn_iter base;
    bool given;
} odd;

static const char odd_bytes[] = "k=v";
static const rn_field odd_f1[] = {{"a", 1}, {"", 0}, {"bc", 2}};
static const rn_field odd_f3[] = {{"q", 1}};
static const rn_field odd_f4[] = {{NULL, 0}};
static const rn_field odd_f5[] = {{odd_bytes, 1}, {odd_bytes + 2, 1}};
static const rn_record odd_recs[] = {
    {odd_f1, 3, 1, 0, {"xyz", 3}},
    {NULL, 0, 2, 10, {"--", 2}},
    {odd_f3, 1, 3, 20, {NULL, 0}},
    {odd_f4, 1, 4, 30, {"", 0}},
    {odd_f5, 2, 5, 40, {odd_bytes, 3}},
};
#define NODD (sizeof odd_recs / sizeof *odd_recs)

static int odd_next(rn_iter *it, rn_batch *out)
{
    odd *o = (odd *)it;
    if (o->given)
        return RN_DONE;
    o->given = true;
    out->recs = odd_recs;
    out->n = NODD;
    return RN_ROW;
}

static const rn__iter_vt odd_vt = {"odd", odd_next, NULL};

static void test_unusual_records(void **state)
{
    (void)state;
    rows want;
    memset(&want, 0, sizeof want);
    for (size_t i = 0; i < NODD; i++)
        rows_add(&want, &odd_recs[i]);
    uint64_t ks[] = {2, 5, 9};
    for (size_t k = 0; k < 3; k++) {
        rn_iter *it = rn_tail_new(rn__iter_new(&odd_vt, sizeof(odd), NULL,
                                               NULL), ks[k]);
        rows got;
        assert_int_equal(collect(it, &got), RN_DONE);
        size_t keep = ks[k] < NODD ? (size_t)ks[k] : NODD;
        expect_rows(&got, want.r + NODD - keep, keep);
        rows_free(&got);
        rn_free(it);
    }
    rows_free(&want);
}

/* An upstream that answers RN_AGAIN before each batch, then ends with end. */
typedef struct script {
    rn_iter base;
    rn_record recs[3];
    rn_field f[3];
    int step, batches, end;
} script;

static int script_next(rn_iter *it, rn_batch *out)
{
    script *sc = (script *)it;
    int step = sc->step++;
    if (step % 2 == 0 && step / 2 < sc->batches)
        return RN_AGAIN;
    if (step / 2 < sc->batches) {
        out->recs = sc->recs;
        out->n = 3;
        return RN_ROW;
    }
    if (sc->end < 0)
        return rn__iter_fail(it, sc->end, "script: broken at step %d", step);
    return sc->end;
}

static const rn__iter_vt script_vt = {"script", script_next, NULL};

static rn_iter *script_new(int batches, int end)
{
    script *sc = rn__iter_new(&script_vt, sizeof *sc, NULL, NULL);
    static const char *text[3] = {"r1", "r2", "r3"};
    for (int i = 0; i < 3; i++) {
        sc->f[i].ptr = text[i];
        sc->f[i].len = 2;
        sc->recs[i].fields = &sc->f[i];
        sc->recs[i].nfields = 1;
        sc->recs[i].line = (uint64_t)i + 1;
    }
    sc->batches = batches;
    sc->end = end;
    return &sc->base;
}

static void test_again_and_errors(void **state)
{
    (void)state;
    rn_iter *it = rn_tail_new(script_new(3, RN_DONE), 4);
    const rn_record *rec;
    int agains = 0, rc;
    char got[64] = "";
    while ((rc = rn_next(it, &rec)) == RN_ROW || rc == RN_AGAIN) {
        if (rc == RN_AGAIN) {
            agains++;
            continue;
        }
        strncat(got, rec->fields[0].ptr, rec->fields[0].len);
    }
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(agains, 3);
    assert_string_equal(got, "r3r1r2r3");
    rn_free(it);

    it = rn_tail_new(script_new(2, RN_EIO), 4);
    while ((rc = rn_next(it, &rec)) == RN_AGAIN)
        ;
    assert_int_equal(rc, RN_EIO);
    assert_string_equal(rn_errmsg(it), "script: broken at step 4");
    assert_int_equal(rn_next(it, &rec), RN_EIO);
    rn_free(it);

    assert_null(rn_tail_new(NULL, 3));
    it = rn_tail_new(rn_lines_new(rn_source_file("/nonexistent/z", NULL),
                                  NULL), 3);
    assert_true(rn_status(it) < 0);
    rn_free(it);
}

static void test_failing_allocator(void **state)
{
    (void)state;
    size_t n;
    char *s = make_lines(3000, 300, &n);
    uint64_t ks[] = {1, 100, 2999, 5000};
    for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++) {
        bool completed = false;
        for (long fail = 0; !completed && fail < 20000; fail++) {
            tst_alloc t = tst_alloc_init();
            t.fail_at = fail;
            rn_allocator a = tst_allocator(&t);
            rn_source_opts o = {0};
            o.allocator = &a;
            o.block_size = 4096;
            rn_iter *it = rn_tail_new(
                rn_lines_new(rn_source_mem(s, n, &o), NULL), ks[ki]);
            if (it) {
                rows got;
                int rc = collect(it, &got);
                if (rc == RN_DONE) {
                    assert_int_equal(got.n, ks[ki] < 3000 ? ks[ki] : 3000);
                    completed = !t.failed;
                } else {
                    assert_int_equal(rc, RN_ENOMEM);
                    assert_true(t.failed);
                    assert_non_null(strstr(rn_errmsg(it), "out of memory"));
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

/* CSV rows of one length, so memory cannot depend on which rows are kept. */
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
        int k = sprintf(p + n, "%010llu,c%02u,%06llu.25,\"q,%u\"\n",
                        (unsigned long long)g->i, (unsigned)(g->i % 13),
                        (unsigned long long)(g->i % 1000),
                        (unsigned)(g->i % 10));
        g->i++;
        n += (size_t)k;
        g->left = g->left > (uint64_t)k ? g->left - (uint64_t)k : 0;
    }
    return (ptrdiff_t)n;
}

static size_t peak_for(uint64_t keep, uint64_t bytes, uint64_t *records)
{
    tst_alloc t = tst_alloc_init();
    rn_allocator a = tst_allocator(&t);
    rn_source_opts o = {0};
    o.allocator = &a;
    gen g = {bytes, 0};
    rn_iter *it = rn_tail_new(
        rn_csv_new(rn_source_callback(gen_read, NULL, &g, &o), NULL), keep);
    rn_batch b;
    int rc;
    uint64_t out = 0;
    while ((rc = rn_next_batch(it, &b)) == RN_ROW)
        out += b.n;
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(out, keep);
    rn_stats st;
    rn_stats_of(it, &st);
    *records = st.records_in;
    rn_free(it);
    assert_int_equal(t.live, 0);
    return t.peak;
}

static void test_constant_memory(void **state)
{
    (void)state;
    uint64_t ks[] = {1, 100, 5000};
    for (size_t i = 0; i < sizeof ks / sizeof *ks; i++) {
        uint64_t small_n, big_n;
        size_t small = peak_for(ks[i], 1u << 20, &small_n);
        size_t big = peak_for(ks[i], 20u << 20, &big_n);
        assert_true(big_n > 19 * small_n);
        assert_int_equal(small, big);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_every_chunk_size),
        cmocka_unit_test(test_many_batches),
        cmocka_unit_test(test_records_of_many_sizes),
        cmocka_unit_test(test_copies_outlive_upstream_buffers),
        cmocka_unit_test(test_wide_and_ragged_records),
        cmocka_unit_test(test_unusual_records),
        cmocka_unit_test(test_again_and_errors),
        cmocka_unit_test(test_failing_allocator),
        cmocka_unit_test(test_constant_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
