/*
 * test_uniq.c - uniq against a naive reference (a quadratic scan for an
 * earlier record with the same key fields) over CSV with quoted fields at
 * every chunk size; one key, several, all fields; keys that a plain join
 * would confuse; the max_keys cap and its message; unknown names; allocation
 * failures; constant memory while the keys are few.
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

/* ---- the reference ------------------------------------------------------- */

static size_t schema_index(const rn_schema *s, const char *name)
{
    ptrdiff_t i = rn_schema_find(s, name, strlen(name));
    assert_true(i >= 0);
    return (size_t)i;
}

static bool same_field(const tst_row *a, const tst_row *b, size_t i)
{
    size_t al = i < a->nf ? a->len[i] : 0, bl = i < b->nf ? b->len[i] : 0;
    return al == bl && (al == 0 || memcmp(a->f[i], b->f[i], al) == 0);
}

static bool same_key(const tst_row *a, const tst_row *b, const size_t *idx,
                     size_t n)
{
    if (n == 0) {
        if (a->nf != b->nf)
            return false;
        for (size_t i = 0; i < a->nf; i++)
            if (!same_field(a, b, i))
                return false;
        return true;
    }
    for (size_t k = 0; k < n; k++)
        if (!same_field(a, b, idx[k]))
            return false;
    return true;
}

/* The first record of each key, as shallow copies of the reference rows. */
static tst_row *expected_uniq(const tst_rows *ref, const size_t *idx, size_t n,
                          size_t *count)
{
    tst_row *out = malloc((ref->n + 1) * sizeof *out);
    size_t k = 0;
    for (size_t i = 0; i < ref->n; i++) {
        size_t j = 0;
        while (j < i && !same_key(&ref->r[j], &ref->r[i], idx, n))
            j++;
        if (j == i)
            out[k++] = ref->r[i];
    }
    *count = k;
    return out;
}

/* Quoted keys with commas, so that joining fields with ',' would merge
 * ("a,", "b") with ("a", ",b"); empty fields; a CRLF row. */
static const char small_csv[] =
    "k,v,w\n"
    "\"a,\",b,1\n"
    "a,\",b\",2\n"
    "\"a,\",b,3\n"
    "a,\",b\",1\n"
    ",,1\n"
    ",,1\n"
    "x,,\r\n"
    "x,y,1\n"
    "\"a,\",b,1\n";

typedef struct keyset {
    const char *names[4];
    size_t n;
} keyset;

static const keyset keysets[] = {
    {{"k"}, 1},
    {{"v"}, 1},
    {{"w"}, 1},
    {{"k", "v"}, 2},
    {{"v", "k"}, 2},
    {{"k", "w"}, 2},
    {{"k", "v", "w"}, 3},
    {{NULL}, 0},
};

static void check_uniq(const char *s, size_t n, const size_t *chunks,
                       size_t nchunks)
{
    tst_rows ref;
    tst_reference(TST_CSV, s, n, &ref);
    rn_iter *r = tst_open_reader(TST_CSV, s, n, n + 1, NULL);
    for (size_t ki = 0; ki < sizeof keysets / sizeof *keysets; ki++) {
        const keyset *ks = &keysets[ki];
        size_t idx[4], count;
        for (size_t k = 0; k < ks->n; k++)
            idx[k] = schema_index(rn_schema_of(r), ks->names[k]);
        tst_row *want = expected_uniq(&ref, idx, ks->n, &count);
        for (size_t ci = 0; ci < nchunks; ci++) {
            rn_iter *it = rn_uniq_new(
                tst_open_reader(TST_CSV, s, n, chunks[ci], NULL), ks->names,
                ks->n, 0);
            assert_int_equal(rn_status(it), RN_OK);
            tst_rows got;
            assert_int_equal(tst_collect(it, &got), RN_DONE);
            tst_expect_rows(&got, want, count);
            rn_stats st;
            rn_stats_of(it, &st);
            assert_int_equal(st.records_in, ref.n);
            assert_int_equal(st.records_out, count);
            assert_int_equal(st.filtered, ref.n - count);
            assert_int_equal(rn_schema_count(rn_schema_of(it)), 3);
            tst_rows_free(&got);
            rn_free(it);
        }
        free(want);
    }
    rn_free(r);
    tst_rows_free(&ref);
}

static void test_small_every_chunk_size(void **state)
{
    (void)state;
    size_t chunks[310];
    size_t n = strlen(small_csv);
    check_uniq(small_csv, n, chunks, tst_chunk_sizes(n, chunks));
}

static void test_spelled_out(void **state)
{
    (void)state;
    size_t n = strlen(small_csv);
    const char *k[] = {"k", "v"};
    rn_iter *it = rn_uniq_new(rn_csv_new(rn_source_mem(small_csv, n, NULL),
                                         NULL), k, 2, 0);
    char *out;
    size_t len;
    assert_int_equal(tst_drain(it, &out, &len), RN_DONE);
    const char want[] = "a,\tb\t1\na\t,b\t2\n\t\t1\nx\t\t\nx\ty\t1\n";
    assert_int_equal(len, sizeof want - 1);
    assert_memory_equal(out, want, len);
    assert_string_equal(rn_kind(it), "uniq");
    free(out);
    rn_free(it);
}

/* Rows whose keys repeat with several periods, over many batches. */
static char *make_csv(size_t nrows, size_t *len)
{
    char *s = malloc(nrows * 64 + 64);
    size_t n = (size_t)sprintf(s, "k,v,w\n");
    for (size_t i = 0; i < nrows; i++)
        n += (size_t)(i % 11 ? sprintf(s + n, "k%zu,v%zu,%zu\n", i % 37,
                                       i % 5, i % 1000)
                             : sprintf(s + n, "\"k%zu\",\"v,%zu\",%zu\n",
                                       i % 37, i % 3, i % 1000));
    *len = n;
    return s;
}

static void test_many_batches(void **state)
{
    (void)state;
    size_t n;
    char *s = make_csv(4000, &n);
    size_t chunks[] = {1, 7, 4096, (size_t)1 << 20};
    check_uniq(s, n, chunks, sizeof chunks / sizeof *chunks);
    free(s);
}

static void test_key_cap(void **state)
{
    (void)state;
    size_t n;
    char *s = make_csv(4000, &n);
    const char *k[] = {"w"};
    /* 1000 distinct values of w: a cap of 1000 holds, 999 does not. */
    rn_iter *it = rn_uniq_new(rn_csv_new(rn_source_mem(s, n, NULL), NULL), k,
                              1, 1000);
    tst_rows got;
    assert_int_equal(tst_collect(it, &got), RN_DONE);
    assert_int_equal(got.n, 1000);
    tst_rows_free(&got);
    rn_free(it);

    size_t chunks[] = {1, 7, 4096};
    for (size_t ci = 0; ci < 3; ci++) {
        it = rn_uniq_new(rn_csv_new(tst_chunked_source(s, n, chunks[ci], NULL),
                                    NULL), k, 1, 999);
        assert_int_equal(tst_collect(it, &got), RN_ETOOBIG);
        /* Every record up to the 1000th key came out first. */
        assert_int_equal(got.n, 999);
        assert_string_equal(rn_errmsg(it),
                            "uniq: more than 999 distinct keys; uniq keeps "
                            "every key it has seen: raise --max-keys");
        const rn_record *rec;
        assert_int_equal(rn_next(it, &rec), RN_ETOOBIG);
        tst_rows_free(&got);
        rn_free(it);
    }
    free(s);
}

static void test_errors(void **state)
{
    (void)state;
    const char *csv = "id,name\n1,x\n";
    const char *bad[] = {"name", "nmae"};
    rn_iter *it = rn_uniq_new(rn_csv_new(rn_source_mem(csv, strlen(csv), NULL),
                                         NULL), bad, 2, 0);
    assert_int_equal(rn_status(it), RN_EINVAL);
    assert_non_null(strstr(rn_errmsg(it), "uniq: no field 'nmae'"));
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_EINVAL);
    rn_free(it);
    it = rn_uniq_new(rn_csv_new(rn_source_mem(csv, strlen(csv), NULL), NULL),
                     NULL, 1, 0);
    assert_int_equal(rn_status(it), RN_EINVAL);
    rn_free(it);
    assert_null(rn_uniq_new(NULL, bad, 1, 0));
}

typedef struct alloc_input {
    const char *s;
    size_t n;
    int which;
} alloc_input;

static rn_iter *open_uniq(void *ud, const rn_source_opts *so)
{
    static const char *k1[] = {"w"}, *k2[] = {"k", "v"};
    const alloc_input *in = ud;
    rn_iter *up = rn_csv_new(rn_source_mem(in->s, in->n, so), NULL);
    return in->which == 0   ? rn_uniq_new(up, k1, 1, 0)
           : in->which == 1 ? rn_uniq_new(up, k2, 2, 0)
                            : rn_uniq_new(up, NULL, 0, 0);
}

static void test_failing_allocator(void **state)
{
    (void)state;
    size_t n;
    char *s = make_csv(3000, &n);
    for (int which = 0; which < 3; which++) {
        alloc_input in = {s, n, which};
        tst_fail_each_alloc_count(open_uniq, &in, 2000,
                                  which == 0   ? 1000
                                  : which == 1 ? 37 * 5 + 37 * 3
                                               : 3000,
                                  false);
    }
    free(s);
}

/* ---- constant memory while keys are few ---------------------------------- */

static rn_iter *gen_uniq(void *ud, rn_iter *up)
{
    static const char *k1[] = {"cat"}, *k2[] = {"note", "cat"};
    return *(const int *)ud ? rn_uniq_new(up, k2, 2, 0)
                            : rn_uniq_new(up, k1, 1, 0);
}

static size_t peak_for(int which, uint64_t bytes, uint64_t *records)
{
    tst_gen g = {bytes, 0, false, false};
    uint64_t out;
    rn_stats st;
    size_t peak = tst_gen_peak(gen_uniq, &which, g, &out, &st);
    assert_int_equal(out, 13);
    *records = st.records_in;
    return peak;
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
        cmocka_unit_test(test_spelled_out),
        cmocka_unit_test(test_many_batches),
        cmocka_unit_test(test_key_cap),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_failing_allocator),
        cmocka_unit_test(test_constant_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
