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
#include "support_stage.h"

#include "base/runnel_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- inputs -------------------------------------------------------------- */

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
    tst_rows ref;
    tst_reference(kind, s, n, &ref);
    for (size_t ci = 0; ci < nchunks; ci++) {
        for (size_t ki = 0; ki < nks; ki++) {
            uint64_t k = ks[ki];
            size_t keep = k < ref.n ? (size_t)k : ref.n;
            tst_rows got;
            rn_iter *it = rn_tail_new(
                tst_open_reader(kind, s, n, chunks[ci], NULL), k);
            assert_int_equal(tst_collect(it, &got), RN_DONE);
            tst_expect_rows(&got, ref.r + (ref.n - keep), keep);
            rn_stats st;
            rn_stats_of(it, &st);
            assert_int_equal(st.records_in, ref.n);
            assert_int_equal(st.records_out, keep);
            assert_int_equal(st.filtered, ref.n - keep);
            const rn_record *rec;
            assert_int_equal(rn_next(it, &rec), RN_DONE);
            tst_rows_free(&got);
            rn_free(it);
        }
    }
    tst_rows_free(&ref);
}

static void test_small_every_chunk_size(void **state)
{
    (void)state;
    size_t chunks[310];
    uint64_t ks[] = {0, 1, 2, 3, 5, 6, 7, 8, 1000, UINT64_MAX};
    size_t nks = sizeof ks / sizeof *ks;
    size_t n = strlen(tst_small_csv);
    check_tail(TST_CSV, tst_small_csv, n, chunks, tst_chunk_sizes(n, chunks),
               ks, nks);
    n = strlen(tst_small_lines);
    check_tail(TST_LINES, tst_small_lines, n, chunks,
               tst_chunk_sizes(n, chunks), ks, nks);
}

static void test_many_batches(void **state)
{
    (void)state;
    size_t n;
    char *s = make_lines(5000, 30, &n);
    size_t chunks[] = {1, 7, 4096, (size_t)1 << 20};
    uint64_t ks[] = {1, 1023, 1024, 1025, 2048, 3000, 4999, 5000, 5001,
                     (uint64_t)1 << 40};
    check_tail(TST_LINES, s, n, chunks, sizeof chunks / sizeof *chunks, ks,
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
    check_tail(TST_LINES, s, n, chunks, 2, ks, sizeof ks / sizeof *ks);
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
    tst_rows ref;
    tst_reference(TST_LINES, s, n, &ref);
    rn_iter *it = rn_tail_new(rn_lines_new(rn_source_mem(s, n, &o), NULL),
                              2500);
    tst_rows got;
    assert_int_equal(tst_collect(it, &got), RN_DONE);
    tst_expect_rows(&got, ref.r + 500, 2500);
    assert_string_equal(rn_kind(it), "tail");
    tst_rows_free(&got);
    tst_rows_free(&ref);
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
    check_tail(TST_CSV, s, n, chunks, 2, ks, sizeof ks / sizeof *ks);
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
    tst_rows want;
    memset(&want, 0, sizeof want);
    for (size_t i = 0; i < NODD; i++)
        tst_rows_add(&want, &odd_recs[i]);
    uint64_t ks[] = {2, 5, 9};
    for (size_t k = 0; k < 3; k++) {
        rn_iter *it = rn_tail_new(rn__iter_new(&odd_vt, sizeof(odd), NULL,
                                               NULL), ks[k]);
        tst_rows got;
        assert_int_equal(tst_collect(it, &got), RN_DONE);
        size_t keep = ks[k] < NODD ? (size_t)ks[k] : NODD;
        tst_expect_rows(&got, want.r + NODD - keep, keep);
        tst_rows_free(&got);
        rn_free(it);
    }
    tst_rows_free(&want);
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

typedef struct alloc_input {
    const char *s;
    size_t n;
    uint64_t keep;
} alloc_input;

static rn_iter *open_tail(void *ud, const rn_source_opts *so)
{
    const alloc_input *in = ud;
    return rn_tail_new(rn_lines_new(rn_source_mem(in->s, in->n, so), NULL),
                       in->keep);
}

static void test_failing_allocator(void **state)
{
    (void)state;
    size_t n;
    char *s = make_lines(3000, 300, &n);
    uint64_t ks[] = {1, 100, 2999, 5000};
    for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++) {
        alloc_input in = {s, n, ks[ki]};
        tst_fail_each_alloc_count(open_tail, &in, 20000,
                                  ks[ki] < 3000 ? ks[ki] : 3000, true);
    }
    free(s);
}

/* ---- constant memory ----------------------------------------------------- */

static rn_iter *gen_tail(void *ud, rn_iter *up)
{
    return rn_tail_new(up, *(const uint64_t *)ud);
}

/* CSV rows of one length, with a quoted note, so memory cannot depend on
 * which rows are kept. */
static size_t peak_for(uint64_t keep, uint64_t bytes, uint64_t *records)
{
    tst_gen g = {bytes, 0, true, false};
    uint64_t out;
    rn_stats st;
    size_t peak = tst_gen_peak(gen_tail, &keep, g, &out, &st);
    assert_int_equal(out, keep);
    *records = st.records_in;
    return peak;
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
