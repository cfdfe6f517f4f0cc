/*
 * test_sort.c - sort and top against a naive reference (a stable insertion
 * sort with strtod for numbers) over CSV at every chunk size: byte-wise,
 * numeric with non-numbers last, reverse, several keys, stability; cases
 * spelled out; the max_records cap and its message; top's ties and its
 * equality with the head of a reverse numeric sort; errors; allocation
 * failures; constant memory for top with a fixed n.
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

/* A number as the library reads one: the whole field, no spaces, no hex;
 * NaN counts as not a number. */
static bool ref_number(const char *s, double *d)
{
    if (!*s || *s == ' ' || strchr(s, 'x') || strchr(s, 'X'))
        return false;
    char *end;
    double v = strtod(s, &end);
    if (*end || v != v)
        return false;
    *d = v;
    return true;
}

typedef struct order {
    const size_t *idx; /* key field positions */
    size_t nk;
    bool numeric, reverse;
} order;

static const char *field_of(const tst_row *r, size_t i)
{
    return i < r->nf ? r->f[i] : "";
}

static size_t len_of(const tst_row *r, size_t i)
{
    return i < r->nf ? r->len[i] : 0;
}

static int ref_cmp(const order *o, const tst_row *a, const tst_row *b)
{
    for (size_t k = 0; k < o->nk; k++) {
        int c;
        const char *x = field_of(a, o->idx[k]), *y = field_of(b, o->idx[k]);
        if (o->numeric) {
            double dx, dy;
            bool nx = ref_number(x, &dx), ny = ref_number(y, &dy);
            if (nx != ny)
                return nx ? -1 : 1;
            if (!nx)
                continue;
            c = dx < dy ? -1 : dx > dy;
        } else {
            size_t lx = len_of(a, o->idx[k]), ly = len_of(b, o->idx[k]);
            size_t m = lx < ly ? lx : ly;
            c = memcmp(x, y, m);
            if (!c)
                c = lx < ly ? -1 : lx > ly;
            c = c < 0 ? -1 : c > 0;
        }
        if (c)
            return o->reverse ? -c : c;
    }
    return 0;
}

/* Stable insertion sort of shallow copies. */
static tst_row *ref_sort(const tst_rows *ref, const order *o)
{
    tst_row *out = malloc((ref->n + 1) * sizeof *out);
    for (size_t i = 0; i < ref->n; i++) {
        size_t j = i;
        while (j > 0 && ref_cmp(o, &ref->r[i], &out[j - 1]) < 0) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = ref->r[i];
    }
    return out;
}

static size_t schema_index(const rn_schema *s, const char *name)
{
    ptrdiff_t i = rn_schema_find(s, name, strlen(name));
    assert_true(i >= 0);
    return (size_t)i;
}

/* ---- inputs -------------------------------------------------------------- */

static const char *const pool[] = {
    "10", "9",  "-3",  "2.5", "1e2",  "abc", "",    "007", "+4",
    "-0", "0",  "inf", "-inf", "nan", "Abc", "b",   ".5",  "100",
    "b,c", "9.0", "z\"q",
    /* Around the 7 bytes that the sort compares before the full key. */
    "abcdefg", "abcdefgh", "abcdefg\x01", "abcdefgh\x01z", "abcdefghi",
    "abcdef", "\xff", "\xff\xff\xff\xff\xff\xff\xff\xff", "abcdefgh",
};
#define NPOOL (sizeof pool / sizeof *pool)

static void put_field(char *s, size_t *n, const char *v)
{
    if (strpbrk(v, ",\"")) {
        s[(*n)++] = '"';
        for (; *v; v++) {
            if (*v == '"')
                s[(*n)++] = '"';
            s[(*n)++] = *v;
        }
        s[(*n)++] = '"';
    } else {
        *n += (size_t)sprintf(s + *n, "%s", v);
    }
}

/* id,k1,k2,k3 with keys drawn from the pool; the caller frees. */
static char *make_csv(size_t nrows, unsigned seed, size_t *len)
{
    char *s = malloc(nrows * 64 + 64);
    size_t n = (size_t)sprintf(s, "id,k1,k2,k3\n");
    for (size_t i = 0; i < nrows; i++) {
        n += (size_t)sprintf(s + n, "%zu", i);
        for (int k = 0; k < 3; k++) {
            seed = seed * 1103515245u + 12345u;
            s[n++] = ',';
            /* k3 draws from a few values only, so ties are common. */
            size_t m = k == 2 ? 4 : NPOOL;
            put_field(s, &n, pool[(seed >> 8) % m]);
        }
        s[n++] = '\n';
    }
    *len = n;
    return s;
}

typedef struct sortcase {
    const char *keys[3];
    size_t nk;
    int numeric, reverse;
} sortcase;

static const sortcase cases[] = {
    {{"k1"}, 1, 0, 0},        {{"k1"}, 1, 0, 1},
    {{"k1"}, 1, 1, 0},        {{"k1"}, 1, 1, 1},
    {{"k3", "k1"}, 2, 0, 0},  {{"k3", "k2"}, 2, 1, 0},
    {{"k3", "k2"}, 2, 1, 1},  {{"k2", "k3", "k1"}, 3, 0, 1},
    {{"k3"}, 1, 1, 0},        {{"k3"}, 1, 0, 1},
    {{"k1", "k1"}, 2, 1, 0},
};

static void check_sort(const char *s, size_t n, const size_t *chunks,
                       size_t nchunks)
{
    tst_rows ref;
    tst_reference(TST_CSV, s, n, &ref);
    rn_iter *r = tst_open_reader(TST_CSV, s, n, n + 1, NULL);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const sortcase *sc = &cases[c];
        size_t idx[3];
        for (size_t k = 0; k < sc->nk; k++)
            idx[k] = schema_index(rn_schema_of(r), sc->keys[k]);
        order o = {idx, sc->nk, sc->numeric != 0, sc->reverse != 0};
        tst_row *want = ref_sort(&ref, &o);
        for (size_t ci = 0; ci < nchunks; ci++) {
            rn_iter *it = rn_sort_new(
                tst_open_reader(TST_CSV, s, n, chunks[ci], NULL), sc->keys,
                sc->nk, sc->numeric, sc->reverse, 0);
            assert_int_equal(rn_status(it), RN_OK);
            tst_rows got;
            assert_int_equal(tst_collect(it, &got), RN_DONE);
            tst_expect_rows(&got, want, ref.n);
            rn_stats st;
            rn_stats_of(it, &st);
            assert_int_equal(st.records_in, ref.n);
            assert_int_equal(st.records_out, ref.n);
            assert_int_equal(rn_schema_count(rn_schema_of(it)), 4);
            tst_rows_free(&got);
            rn_free(it);
        }
        free(want);
    }
    rn_free(r);
    tst_rows_free(&ref);
}

static void test_sort_small_every_chunk_size(void **state)
{
    (void)state;
    size_t n;
    char *s = make_csv(14, 3, &n);
    size_t chunks[310];
    check_sort(s, n, chunks, tst_chunk_sizes(n, chunks));
    free(s);
}

static void test_sort_many_batches(void **state)
{
    (void)state;
    size_t n;
    char *s = make_csv(5000, 11, &n);
    size_t chunks[] = {1, 7, 4096, (size_t)1 << 20};
    check_sort(s, n, chunks, sizeof chunks / sizeof *chunks);
    free(s);
}

static char *drain_text(rn_iter *it, int want_rc)
{
    char *out;
    size_t len;
    assert_int_equal(tst_drain(it, &out, &len), want_rc);
    out = realloc(out, len + 1);
    out[len] = '\0';
    return out;
}

static rn_iter *lines_of(const char *s)
{
    return rn_lines_new(rn_source_mem(s, strlen(s), NULL), NULL);
}

static void expect_sorted(const char *in, int numeric, int reverse,
                          const char *want)
{
    const char *key[] = {"line"};
    rn_iter *it = rn_sort_new(lines_of(in), key, 1, numeric, reverse, 0);
    char *out = drain_text(it, RN_DONE);
    assert_string_equal(out, want);
    free(out);
    rn_free(it);
}

static void test_sort_spelled_out(void **state)
{
    (void)state;
    const char *in = "3\n10\n2\nx\n-1\n\n1e1\nnan\n2.0\n";
    expect_sorted(in, 1, 0, "-1\n2\n2.0\n3\n10\n1e1\nx\n\nnan\n");
    expect_sorted(in, 1, 1, "10\n1e1\n3\n2\n2.0\n-1\nx\n\nnan\n");
    expect_sorted(in, 0, 0, "\n-1\n10\n1e1\n2\n2.0\n3\nnan\nx\n");
    expect_sorted(in, 0, 1, "x\nnan\n3\n2.0\n2\n1e1\n10\n-1\n\n");
    expect_sorted("", 0, 0, "");
    expect_sorted("b\na\n", 0, 0, "a\nb\n");
    /* Byte-wise means bytes: 0xc3 sorts after 'z', a prefix first. */
    expect_sorted("\xc3\xa9\nz\nab\na\n", 0, 0, "a\nab\nz\n\xc3\xa9\n");

    /* Several keys, stable: ties keep input order. */
    const char *csv = "g,v,id\nb,2,1\na,2,2\nb,1,3\na,2,4\nb,10,5\na,x,6\n";
    const char *keys[] = {"g", "v"};
    rn_iter *it = rn_sort_new(rn_csv_new(rn_source_mem(csv, strlen(csv), NULL),
                                         NULL), keys, 2, 0, 0, 0);
    char *out = drain_text(it, RN_DONE);
    assert_string_equal(out, "a\t2\t2\na\t2\t4\na\tx\t6\nb\t1\t3\nb\t10\t5\n"
                             "b\t2\t1\n");
    free(out);
    assert_string_equal(rn_kind(it), "sort");
    rn_free(it);
    /* numeric applies to every key: g has no numbers, so it ties. */
    it = rn_sort_new(rn_csv_new(rn_source_mem(csv, strlen(csv), NULL), NULL),
                     keys, 2, 1, 0, 0);
    out = drain_text(it, RN_DONE);
    assert_string_equal(out, "b\t1\t3\nb\t2\t1\na\t2\t2\na\t2\t4\nb\t10\t5\n"
                             "a\tx\t6\n");
    free(out);
    rn_free(it);
    const char *keys2[] = {"v", "id"};
    it = rn_sort_new(rn_csv_new(rn_source_mem(csv, strlen(csv), NULL), NULL),
                     keys2, 2, 1, 1, 0);
    out = drain_text(it, RN_DONE);
    assert_string_equal(out, "b\t10\t5\na\t2\t4\na\t2\t2\nb\t2\t1\nb\t1\t3\n"
                             "a\tx\t6\n");
    free(out);
    rn_free(it);
}

/* lines of "7", left of them. */
typedef struct ones {
    uint64_t left;
} ones;

static ptrdiff_t ones_read(void *ud, void *buf, size_t cap)
{
    ones *g = ud;
    char *p = buf;
    size_t n = 0;
    while (g->left && n + 2 <= cap) {
        p[n++] = '7';
        p[n++] = '\n';
        g->left--;
    }
    return (ptrdiff_t)n;
}

static void test_sort_cap(void **state)
{
    (void)state;
    const char *key[] = {"line"};
    rn_iter *it = rn_sort_new(lines_of("5\n4\n3\n2\n1\n"), key, 1, 1, 0, 5);
    char *out = drain_text(it, RN_DONE);
    assert_string_equal(out, "1\n2\n3\n4\n5\n");
    free(out);
    rn_free(it);

    size_t chunks[] = {1, 3, 4096};
    for (size_t ci = 0; ci < 3; ci++) {
        const char *in = "6\n5\n4\n3\n2\n1\n0\n";
        it = rn_sort_new(rn_lines_new(tst_chunked_source(in, strlen(in),
                                                         chunks[ci], NULL),
                                      NULL),
                         key, 1, 1, 0, 5);
        const rn_record *rec;
        assert_int_equal(rn_next(it, &rec), RN_ETOOBIG);
        assert_string_equal(rn_errmsg(it),
                            "sort: more than 5 records; sort holds a bounded "
                            "result: put it after groupby, head or uniq, or "
                            "raise --max-records");
        assert_int_equal(rn_next(it, &rec), RN_ETOOBIG);
        rn_free(it);
    }
    /* The default cap: a million records, and not one more. */
    for (uint64_t lines = 1000000; lines <= 1000001; lines++) {
        ones g = {lines};
        it = rn_sort_new(rn_lines_new(rn_source_callback(ones_read, NULL, &g,
                                                         NULL),
                                      NULL),
                         key, 1, 1, 0, 0);
        rn_batch b;
        int rc;
        uint64_t got = 0;
        while ((rc = rn_next_batch(it, &b)) == RN_ROW)
            got += b.n;
        if (lines == 1000000) {
            assert_int_equal(rc, RN_DONE);
            assert_int_equal(got, lines);
        } else {
            assert_int_equal(rc, RN_ETOOBIG);
            assert_int_equal(got, 0);
            assert_non_null(strstr(rn_errmsg(it),
                                   "sort: more than 1000000 records"));
        }
        rn_free(it);
    }
}

static void test_sort_errors(void **state)
{
    (void)state;
    const char *csv = "id,name\n1,x\n";
    const char *bad[] = {"id", "nmae"};
    rn_iter *it = rn_sort_new(rn_csv_new(rn_source_mem(csv, strlen(csv), NULL),
                                         NULL), bad, 2, 0, 0, 0);
    assert_int_equal(rn_status(it), RN_EINVAL);
    assert_non_null(strstr(rn_errmsg(it), "sort: no field 'nmae'"));
    assert_non_null(strstr(rn_errmsg(it), "did you mean 'name'?"));
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_EINVAL);
    rn_free(it);
    it = rn_sort_new(lines_of("a\n"), NULL, 0, 0, 0, 0);
    assert_int_equal(rn_status(it), RN_EINVAL);
    assert_string_equal(rn_errmsg(it), "sort: no key fields given");
    rn_free(it);
    it = rn_sort_new(lines_of("a\n"), NULL, 1, 0, 0, 0);
    assert_int_equal(rn_status(it), RN_EINVAL);
    rn_free(it);
    assert_null(rn_sort_new(NULL, bad, 1, 0, 0, 0));
    it = rn_sort_new(rn_lines_new(rn_source_file("/nonexistent/q", NULL),
                                  NULL), bad, 1, 0, 0, 0);
    assert_true(rn_status(it) < 0);
    assert_non_null(strstr(rn_errmsg(it), "/nonexistent/q"));
    rn_free(it);
}

/* ---- top ----------------------------------------------------------------- */

static void check_top(const char *s, size_t n, const size_t *chunks,
                      size_t nchunks)
{
    tst_rows ref;
    tst_reference(TST_CSV, s, n, &ref);
    rn_iter *r = tst_open_reader(TST_CSV, s, n, n + 1, NULL);
    const char *fields[] = {"k1", "k2", "k3"};
    size_t ns[] = {0, 1, 2, 3, 10, 1023, 1024, 1025, ref.n, ref.n + 5};
    for (size_t fi = 0; fi < 3; fi++) {
        size_t idx = schema_index(rn_schema_of(r), fields[fi]);
        order o = {&idx, 1, true, true};
        tst_row *want = ref_sort(&ref, &o);
        for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++) {
            size_t keep = ns[ni] < ref.n ? ns[ni] : ref.n;
            for (size_t ci = 0; ci < nchunks; ci++) {
                rn_iter *it = rn_top_new(
                    tst_open_reader(TST_CSV, s, n, chunks[ci], NULL), ns[ni],
                    fields[fi]);
                tst_rows got;
                assert_int_equal(tst_collect(it, &got), RN_DONE);
                tst_expect_rows(&got, want, keep);
                rn_stats st;
                rn_stats_of(it, &st);
                assert_int_equal(st.records_in, ref.n);
                assert_int_equal(st.records_out, keep);
                assert_int_equal(st.filtered, ref.n - keep);
                tst_rows_free(&got);
                rn_free(it);
            }
        }
        free(want);
    }
    rn_free(r);
    tst_rows_free(&ref);
}

static void test_top_small_every_chunk_size(void **state)
{
    (void)state;
    size_t n;
    char *s = make_csv(14, 5, &n);
    size_t chunks[310];
    check_top(s, n, chunks, tst_chunk_sizes(n, chunks));
    free(s);
}

static void test_top_many_batches(void **state)
{
    (void)state;
    size_t n;
    char *s = make_csv(3000, 17, &n);
    size_t chunks[] = {7, 4096, (size_t)1 << 20};
    check_top(s, n, chunks, sizeof chunks / sizeof *chunks);
    free(s);
}

static void test_top_spelled_out(void **state)
{
    (void)state;
    const char *csv = "id,v\na,5\nb,7\nc,5\nd,7\ne,x\nf,5\ng,-1\n";
    size_t len = strlen(csv);
    struct {
        size_t n;
        const char *want;
    } cases_[] = {
        {1, "b\t7\n"},
        {2, "b\t7\nd\t7\n"},
        {3, "b\t7\nd\t7\na\t5\n"},
        {5, "b\t7\nd\t7\na\t5\nc\t5\nf\t5\n"},
        {10, "b\t7\nd\t7\na\t5\nc\t5\nf\t5\ng\t-1\ne\tx\n"},
        {0, ""},
    };
    for (size_t i = 0; i < sizeof cases_ / sizeof *cases_; i++) {
        rn_iter *it = rn_top_new(rn_csv_new(rn_source_mem(csv, len, NULL),
                                            NULL), cases_[i].n, "v");
        char *out = drain_text(it, RN_DONE);
        assert_string_equal(out, cases_[i].want);
        free(out);
        assert_string_equal(rn_kind(it), "top");
        rn_free(it);
    }
}

static void test_top_errors(void **state)
{
    (void)state;
    const char *csv = "id,value\n1,2\n";
    rn_iter *it = rn_top_new(rn_csv_new(rn_source_mem(csv, strlen(csv), NULL),
                                        NULL), 3, "vlaue");
    assert_int_equal(rn_status(it), RN_EINVAL);
    assert_non_null(strstr(rn_errmsg(it), "top: no field 'vlaue'"));
    rn_free(it);
    it = rn_top_new(lines_of("1\n"), 3, NULL);
    assert_int_equal(rn_status(it), RN_EINVAL);
    assert_non_null(strstr(rn_errmsg(it), "top: "));
    rn_free(it);
    assert_null(rn_top_new(NULL, 3, "line"));
}

/* ---- allocation failures and memory -------------------------------------- */

typedef struct alloc_input {
    const char *s;
    size_t n;
    int which;
} alloc_input;

static rn_iter *open_stage(void *ud, const rn_source_opts *so)
{
    static const char *k1[] = {"k1"}, *k2[] = {"k3", "k2"};
    const alloc_input *in = ud;
    rn_iter *up = rn_csv_new(rn_source_mem(in->s, in->n, so), NULL);
    return in->which == 0   ? rn_sort_new(up, k1, 1, 0, 0, 0)
           : in->which == 1 ? rn_sort_new(up, k2, 2, 1, 1, 0)
           : in->which == 2 ? rn_sort_new(up, k1, 1, 1, 0, 3000)
           : in->which == 3 ? rn_top_new(up, 100, "k1")
                            : rn_top_new(up, 5000, "k2");
}

static void test_failing_allocator(void **state)
{
    (void)state;
    size_t n;
    char *s = make_csv(3000, 23, &n);
    for (int which = 0; which < 5; which++) {
        alloc_input in = {s, n, which};
        tst_fail_each_alloc_count(open_stage, &in, 20000,
                                  which == 3 ? 100 : 3000, true);
    }
    free(s);
}

static rn_iter *gen_top(void *ud, rn_iter *up)
{
    return rn_top_new(up, *(const size_t *)ud, "amount");
}

/* Rows of one length with amounts spread out, so memory cannot depend on
 * which rows are kept. */
static size_t peak_for(size_t keep, uint64_t bytes, uint64_t *records)
{
    tst_gen g = {bytes, 0, false, true};
    uint64_t out;
    rn_stats st;
    size_t peak = tst_gen_peak(gen_top, &keep, g, &out, &st);
    assert_int_equal(out, keep);
    *records = st.records_in;
    return peak;
}

static void test_top_constant_memory(void **state)
{
    (void)state;
    size_t ks[] = {1, 100, 5000};
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
        cmocka_unit_test(test_sort_small_every_chunk_size),
        cmocka_unit_test(test_sort_many_batches),
        cmocka_unit_test(test_sort_spelled_out),
        cmocka_unit_test(test_sort_cap),
        cmocka_unit_test(test_sort_errors),
        cmocka_unit_test(test_top_small_every_chunk_size),
        cmocka_unit_test(test_top_many_batches),
        cmocka_unit_test(test_top_spelled_out),
        cmocka_unit_test(test_top_errors),
        cmocka_unit_test(test_failing_allocator),
        cmocka_unit_test(test_top_constant_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
