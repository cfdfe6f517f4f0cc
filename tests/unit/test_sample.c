/*
 * test_sample.c - sample: n or fewer records, all from the input, in input
 * order, copied exactly; the same sample for a seed whatever the chunk size;
 * seed 0 repeating; uniform inclusion over many fixed seeds (a chi-square
 * bound that fixed seeds make deterministic); allocation failures; constant
 * memory for a fixed n.
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

/* ---- inputs -------------------------------------------------------------- */

static const char small_csv[] =
    "id,name,note\n"
    "1,alpha,plain\n"
    "2,\"be,ta\",\"two\nlines\"\n"
    "3,gamma,\n"
    "4,\"d\"\"q\",x\r\n"
    "5,eps,y\n"
    "6,zeta,\n"
    "7,eta,z\n"
    "8,theta,\n";

/* The sample must be a subsequence of the reference: exact copies, in input
 * order. Returns the reference indexes chosen, in a buffer the caller frees. */
static size_t *expect_subsequence(const tst_rows *got, const tst_rows *ref)
{
    size_t *pick = malloc((got->n + 1) * sizeof *pick);
    size_t j = 0;
    for (size_t i = 0; i < got->n; i++) {
        while (j < ref->n && ref->r[j].offset != got->r[i].offset)
            j++;
        assert_true(j < ref->n);
        tst_expect_row(&got->r[i], &ref->r[j]);
        pick[i] = j++;
    }
    return pick;
}

static void check_sample(int kind, const char *s, size_t n,
                         const size_t *chunks, size_t nchunks)
{
    tst_rows ref;
    tst_reference(kind, s, n, &ref);
    uint64_t ks[] = {0, 1, 2, 3, ref.n / 2, ref.n - 1, ref.n, ref.n + 1,
                     UINT64_MAX};
    uint64_t seeds[] = {0, 1, 42};
    for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++) {
        for (size_t si = 0; si < 3; si++) {
            size_t keep = ks[ki] < ref.n ? (size_t)ks[ki] : ref.n;
            size_t *first = NULL;
            for (size_t ci = 0; ci < nchunks; ci++) {
                rn_iter *it = rn_sample_new(
                    tst_open_reader(kind, s, n, chunks[ci], NULL), ks[ki],
                    seeds[si]);
                tst_rows got;
                assert_int_equal(tst_collect(it, &got), RN_DONE);
                assert_int_equal(got.n, keep);
                size_t *pick = expect_subsequence(&got, &ref);
                /* The same records for the same seed, however the input
                 * was cut. */
                if (!first)
                    first = pick;
                else {
                    assert_memory_equal(pick, first, keep * sizeof *pick);
                    free(pick);
                }
                rn_stats st;
                rn_stats_of(it, &st);
                assert_int_equal(st.records_in, ref.n);
                assert_int_equal(st.records_out, keep);
                assert_int_equal(st.filtered, ref.n - keep);
                tst_rows_free(&got);
                rn_free(it);
            }
            free(first);
        }
    }
    tst_rows_free(&ref);
}

static void test_small_every_chunk_size(void **state)
{
    (void)state;
    size_t chunks[310];
    size_t n = strlen(small_csv);
    check_sample(TST_CSV, small_csv, n, chunks, tst_chunk_sizes(n, chunks));
}

static void test_many_batches(void **state)
{
    (void)state;
    size_t n;
    char *s = tst_make_lines(5000, &n);
    size_t chunks[] = {1, 7, 4096, (size_t)1 << 20};
    check_sample(TST_LINES, s, n, chunks, sizeof chunks / sizeof *chunks);
    free(s);
}

/* The positions (0-based) a sample of k from lines "0".."m-1" picked. */
static size_t sample_positions(const char *s, size_t n, uint64_t k,
                               uint64_t seed, size_t *pos)
{
    rn_iter *it = rn_sample_new(rn_lines_new(rn_source_mem(s, n, NULL), NULL),
                                k, seed);
    const rn_record *rec;
    size_t got = 0;
    int rc;
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        char num[32];
        assert_true(rec->fields[0].len < sizeof num);
        memcpy(num, rec->fields[0].ptr, rec->fields[0].len);
        num[rec->fields[0].len] = '\0';
        pos[got++] = (size_t)strtoul(num, NULL, 10);
    }
    assert_int_equal(rc, RN_DONE);
    rn_free(it);
    return got;
}

static void test_seeds(void **state)
{
    (void)state;
    char s[400];
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        n += (size_t)sprintf(s + n, "%d\n", i);
    size_t a[10], b[10];
    /* Seed 0 is a fixed default: runs repeat. */
    assert_int_equal(sample_positions(s, n, 10, 0, a), 10);
    assert_int_equal(sample_positions(s, n, 10, 0, b), 10);
    assert_memory_equal(a, b, sizeof a);
    /* Different seeds give different samples (for these seeds). */
    size_t differ = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        sample_positions(s, n, 10, seed, b);
        differ += memcmp(a, b, sizeof a) != 0;
        /* Strictly increasing: input order, no record twice. */
        for (int i = 1; i < 10; i++)
            assert_true(b[i] > b[i - 1]);
    }
    assert_true(differ >= 19);
}

/* Over many seeds, each position is chosen about equally often: the
 * chi-square statistic stays far below what a bias would give. Fixed seeds
 * make the outcome the same on every run, so the bound cannot flake. */
static void check_uniform(size_t m, uint64_t k, uint64_t runs)
{
    char *s = malloc(m * 8);
    size_t n = 0;
    for (size_t i = 0; i < m; i++)
        n += (size_t)sprintf(s + n, "%zu\n", i);
    uint64_t *hits = calloc(m, sizeof *hits);
    size_t pos[64];
    for (uint64_t seed = 1; seed <= runs; seed++) {
        size_t got = sample_positions(s, n, k, seed, pos);
        assert_int_equal(got, k);
        for (size_t i = 0; i < got; i++)
            hits[pos[i]]++;
    }
    double expect = (double)runs * (double)k / (double)m, chi = 0;
    for (size_t i = 0; i < m; i++) {
        double d = (double)hits[i] - expect;
        chi += d * d / expect;
        /* Each position within 10% of its share. */
        assert_true(hits[i] > 0.9 * expect && hits[i] < 1.1 * expect);
    }
    /* m - 1 degrees of freedom: the mean is m - 1; 3 (m - 1) + 20 is far
     * in the tail (p < 1e-6 for these sizes). */
    assert_true(chi < 3.0 * (double)(m - 1) + 20.0);
    free(hits);
    free(s);
}

static void test_uniform(void **state)
{
    (void)state;
    check_uniform(10, 3, 20000);  /* positions 0..9, 3 picked */
    check_uniform(10, 1, 20000);
    check_uniform(50, 5, 10000);  /* most records arrive after the first n */
}

static void test_errors_and_kind(void **state)
{
    (void)state;
    assert_null(rn_sample_new(NULL, 3, 0));
    rn_iter *it = rn_sample_new(rn_lines_new(rn_source_file("/nonexistent/s",
                                                            NULL), NULL),
                                3, 0);
    assert_true(rn_status(it) < 0);
    assert_non_null(strstr(rn_errmsg(it), "/nonexistent/s"));
    rn_free(it);
    const char *t = "a\nb\n";
    it = rn_sample_new(rn_lines_new(rn_source_mem(t, 4, NULL), NULL), 1, 0);
    assert_string_equal(rn_kind(it), "sample");
    assert_int_equal(rn_schema_count(rn_schema_of(it)), 1);
    rn_free(it);
}

typedef struct alloc_input {
    const char *s;
    size_t n;
    uint64_t keep;
} alloc_input;

static rn_iter *open_sample(void *ud, const rn_source_opts *so)
{
    const alloc_input *in = ud;
    return rn_sample_new(rn_lines_new(rn_source_mem(in->s, in->n, so), NULL),
                         in->keep, 7);
}

static void test_failing_allocator(void **state)
{
    (void)state;
    size_t n;
    char *s = tst_make_lines(3000, &n);
    uint64_t ks[] = {1, 100, 5000};
    for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++) {
        alloc_input in = {s, n, ks[ki]};
        tst_fail_each_alloc_count(open_sample, &in, 20000,
                                  ks[ki] < 3000 ? ks[ki] : 3000, false);
    }
    free(s);
}

/* ---- constant memory ----------------------------------------------------- */

static rn_iter *gen_sample(void *ud, rn_iter *up)
{
    return rn_sample_new(up, *(const uint64_t *)ud, 0);
}

static size_t peak_for(uint64_t keep, uint64_t bytes, uint64_t *records)
{
    tst_gen g = {bytes, 0, false, false};
    uint64_t out;
    rn_stats st;
    size_t peak = tst_gen_peak(gen_sample, &keep, g, &out, &st);
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
        cmocka_unit_test(test_seeds),
        cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_errors_and_kind),
        cmocka_unit_test(test_failing_allocator),
        cmocka_unit_test(test_constant_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
