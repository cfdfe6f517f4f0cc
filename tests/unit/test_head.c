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
#include "support_stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- head and skip ------------------------------------------------------- */

static void check_head_skip(int kind, const char *s, size_t n,
                            const size_t *chunks, size_t nchunks)
{
    tst_rows ref;
    tst_reference(kind, s, n, &ref);
    uint64_t ks[] = {0, 1, 2, 3, 1023, 1024, 1025, 2047, 2048, 2049,
                     ref.n - 1, ref.n, ref.n + 1, UINT64_MAX};
    for (size_t ci = 0; ci < nchunks; ci++) {
        for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++) {
            uint64_t k = ks[ki];
            size_t keep = k < ref.n ? (size_t)k : ref.n;
            tst_rows got;

            rn_iter *it = rn_head_new(
                tst_open_reader(kind, s, n, chunks[ci], NULL), k);
            assert_int_equal(tst_collect(it, &got), RN_DONE);
            tst_expect_rows(&got, ref.r, keep);
            rn_stats st;
            rn_stats_of(it, &st);
            assert_int_equal(st.records_out, keep);
            assert_int_equal(st.records_in, st.records_out + st.filtered);
            const rn_record *rec;
            assert_int_equal(rn_next(it, &rec), RN_DONE);
            tst_rows_free(&got);
            rn_free(it);

            it = rn_skip_new(tst_open_reader(kind, s, n, chunks[ci], NULL), k);
            assert_int_equal(tst_collect(it, &got), RN_DONE);
            tst_expect_rows(&got, ref.r + keep, ref.n - keep);
            rn_stats_of(it, &st);
            assert_int_equal(st.records_in, ref.n);
            assert_int_equal(st.filtered, keep);
            assert_int_equal(st.records_out, ref.n - keep);
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
    size_t n = strlen(tst_small_csv);
    check_head_skip(TST_CSV, tst_small_csv, n, chunks,
                    tst_chunk_sizes(n, chunks));
    n = strlen(tst_small_lines);
    check_head_skip(TST_LINES, tst_small_lines, n, chunks,
                    tst_chunk_sizes(n, chunks));
}

static void test_many_batches(void **state)
{
    (void)state;
    size_t n;
    char *s = tst_make_lines(5000, &n);
    size_t chunks[] = {1, 3, 7, 4096, (size_t)1 << 20};
    check_head_skip(TST_LINES, s, n, chunks, sizeof chunks / sizeof *chunks);
    free(s);
}

static void test_schema_and_kind(void **state)
{
    (void)state;
    size_t n = strlen(tst_small_csv);
    rn_iter *it = rn_head_new(rn_csv_new(rn_source_mem(tst_small_csv, n, NULL),
                                         NULL), 2);
    assert_string_equal(rn_kind(it), "head");
    assert_int_equal(rn_schema_count(rn_schema_of(it)), 3);
    assert_int_equal(rn_schema_find(rn_schema_of(it), "note", 4), 2);
    rn_free(it);
    it = rn_skip_new(rn_csv_new(rn_source_mem(tst_small_csv, n, NULL), NULL),
                     2);
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
    tst_rows got;
    assert_int_equal(tst_collect(it, &got), RN_ETOOBIG);
    assert_int_equal(got.n, 2);
    assert_true(strlen(rn_errmsg(it)) > 0);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ETOOBIG);
    tst_rows_free(&got);
    rn_free(it);

    /* head stops before the error, so it never sees it. */
    it = rn_head_new(rn_lines_new(rn_source_mem(s, sizeof s, NULL), &lo), 3);
    assert_int_equal(tst_collect(it, &got), RN_DONE);
    assert_int_equal(got.n, 3);
    tst_rows_free(&got);
    rn_free(it);

    /* An upstream that failed at construction fails the stage at once. */
    it = rn_head_new(rn_lines_new(rn_source_file("/nonexistent/x", NULL),
                                  NULL), 3);
    assert_true(rn_status(it) < 0);
    assert_non_null(strstr(rn_errmsg(it), "/nonexistent/x"));
    rn_free(it);
}

/* head (which 0) or skip (which 1) as the failing-allocator and memory
 * tests run them. */
static rn_iter *head_or_skip(int which, rn_iter *up, uint64_t head,
                             uint64_t skip)
{
    return which ? rn_skip_new(up, skip) : rn_head_new(up, head);
}

typedef struct alloc_input {
    const char *s;
    size_t n;
    int which;
} alloc_input;

static rn_iter *open_stage(void *ud, const rn_source_opts *so)
{
    const alloc_input *in = ud;
    return head_or_skip(in->which, rn_lines_new(rn_source_mem(in->s, in->n, so),
                                                NULL),
                        2500, 1500);
}

static void test_failing_allocator(void **state)
{
    (void)state;
    size_t n;
    char *s = tst_make_lines(3000, &n);
    for (int which = 0; which < 2; which++) {
        alloc_input in = {s, n, which};
        tst_fail_each_alloc_count(open_stage, &in, 1000, which ? 1500 : 2500,
                                  false);
    }
    free(s);
}

/* ---- constant memory ----------------------------------------------------- */

static rn_iter *gen_stage(void *ud, rn_iter *up)
{
    return head_or_skip(*(const int *)ud, up, UINT64_MAX, 5);
}

static size_t peak_for(int which, uint64_t bytes, uint64_t *records)
{
    tst_gen g = {bytes, 0, false, false};
    rn_stats st;
    return tst_gen_peak(gen_stage, &which, g, records, &st);
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
