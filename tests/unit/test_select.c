/*
 * test_select.c - select, reject and rename against a naive reference made
 * from the reader's own records, over CSV with quoted and ragged rows (a long
 * row widens the schema mid-stream) at every chunk size; names resolved
 * late; unknown names, collisions and other errors with their messages;
 * numeric flags kept; allocation failures; constant memory.
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

/* ---- the reference ------------------------------------------------------- */

/* A header, quoted fields with commas, quotes and a line break, a short row
 * (padded by the reader), a long row that widens the schema to _7 and _8,
 * and rows after it (padded to the new width). */
static const char input[] =
    "a,b,c,d,e,f\n"
    "1,2,3,4,5,6\n"
    "\"x,1\",\"y\"\"2\",\"multi\nline\",,e1,f1\n"
    "short,row\n"
    "7,8,9,10,11,12,13,14\n"
    "p,q,r,s,t,u\n"
    "P,Q,R,S,T,U,V\n";

/* The reader's records and its final field names. */
typedef struct refdata {
    tst_rows recs;
    char **names;
    size_t nnames;
} refdata;

static void read_reference(const char *s, size_t n, refdata *ref)
{
    rn_iter *it = rn_csv_new(rn_source_mem(s, n, NULL), NULL);
    assert_int_equal(tst_collect(it, &ref->recs), RN_DONE);
    const rn_schema *sc = rn_schema_of(it);
    ref->nnames = rn_schema_count(sc);
    ref->names = malloc(ref->nnames * sizeof *ref->names);
    for (size_t i = 0; i < ref->nnames; i++) {
        rn_field f = rn_schema_name(sc, i);
        ref->names[i] = tst_dup_bytes(f.ptr, f.len);
    }
    rn_free(it);
}

static void free_reference(refdata *ref)
{
    tst_rows_free(&ref->recs);
    for (size_t i = 0; i < ref->nnames; i++)
        free(ref->names[i]);
    free(ref->names);
}

static size_t name_index(const refdata *ref, const char *name)
{
    for (size_t i = 0; i < ref->nnames; i++)
        if (strcmp(ref->names[i], name) == 0)
            return i;
    fail_msg("no field %s in the reference", name);
    return 0;
}

static bool listed(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

/* Rows whose fields point into the reference's strings; free_shallow frees
 * only the arrays made here. */
static char empty[1] = "";

static tst_row *expected_select(const refdata *ref, const char *const *names,
                            size_t n)
{
    tst_row *out = calloc(ref->recs.n + 1, sizeof *out);
    for (size_t i = 0; i < ref->recs.n; i++) {
        const tst_row *in = &ref->recs.r[i];
        tst_row *o = &out[i];
        o->nf = n;
        o->f = malloc((n + 1) * sizeof *o->f);
        o->len = malloc((n + 1) * sizeof *o->len);
        for (size_t j = 0; j < n; j++) {
            size_t k = name_index(ref, names[j]);
            o->f[j] = k < in->nf ? in->f[k] : empty;
            o->len[j] = k < in->nf ? in->len[k] : 0;
        }
        o->line = in->line;
        o->offset = in->offset;
    }
    return out;
}

static tst_row *expected_reject(const refdata *ref, const char *const *names,
                            size_t n)
{
    tst_row *out = calloc(ref->recs.n + 1, sizeof *out);
    for (size_t i = 0; i < ref->recs.n; i++) {
        const tst_row *in = &ref->recs.r[i];
        tst_row *o = &out[i];
        o->f = malloc((in->nf + 1) * sizeof *o->f);
        o->len = malloc((in->nf + 1) * sizeof *o->len);
        for (size_t k = 0; k < in->nf; k++) {
            if (listed(ref->names[k], names, n))
                continue;
            o->f[o->nf] = in->f[k];
            o->len[o->nf++] = in->len[k];
        }
        o->line = in->line;
        o->offset = in->offset;
    }
    return out;
}

static void free_shallow(tst_row *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(r[i].f);
        free(r[i].len);
    }
    free(r);
}

static void expect_schema(const rn_iter *it, const char *const *names,
                          size_t n)
{
    const rn_schema *s = rn_schema_of(it);
    assert_int_equal(rn_schema_count(s), n);
    for (size_t i = 0; i < n; i++) {
        rn_field f = rn_schema_name(s, i);
        assert_int_equal(f.len, strlen(names[i]));
        assert_memory_equal(f.ptr, names[i], f.len);
    }
}

/* ---- select, reject, rename over every chunk size ------------------------ */

typedef struct nameset {
    const char *names[8];
    size_t n;
} nameset;

static void test_select_every_chunk_size(void **state)
{
    (void)state;
    size_t n = strlen(input);
    refdata ref;
    read_reference(input, n, &ref);
    assert_int_equal(ref.nnames, 8); /* widened by the long tst_row */
    static const nameset sets[] = {
        {{"c", "a"}, 2},
        {{"f"}, 1},
        {{"a", "a", "b"}, 3},
        {{"e", "b", "d", "f", "c", "a"}, 6},
    };
    size_t chunks[310];
    size_t nchunks = tst_chunk_sizes(n, chunks);
    for (size_t si = 0; si < sizeof sets / sizeof *sets; si++) {
        const nameset *ns = &sets[si];
        tst_row *want = expected_select(&ref, ns->names, ns->n);
        for (size_t ci = 0; ci < nchunks; ci++) {
            rn_iter *it = rn_select_new(
                rn_csv_new(tst_chunked_source(input, n, chunks[ci], NULL),
                           NULL),
                ns->names, ns->n);
            assert_int_equal(rn_status(it), RN_OK);
            expect_schema(it, ns->names, ns->n);
            tst_rows got;
            assert_int_equal(tst_collect(it, &got), RN_DONE);
            tst_expect_rows(&got, want, ref.recs.n);
            expect_schema(it, ns->names, ns->n);
            rn_stats st;
            rn_stats_of(it, &st);
            assert_int_equal(st.records_in, ref.recs.n);
            assert_int_equal(st.records_out, ref.recs.n);
            tst_rows_free(&got);
            rn_free(it);
        }
        free_shallow(want, ref.recs.n);
    }
    free_reference(&ref);
}

static void test_reject_every_chunk_size(void **state)
{
    (void)state;
    size_t n = strlen(input);
    refdata ref;
    read_reference(input, n, &ref);
    static const nameset sets[] = {
        {{"a"}, 1},
        {{"b", "d"}, 2},
        {{"a", "b", "c", "d", "e"}, 5},
        {{"f", "f"}, 2},
        {{NULL}, 0},
    };
    size_t chunks[310];
    size_t nchunks = tst_chunk_sizes(n, chunks);
    for (size_t si = 0; si < sizeof sets / sizeof *sets; si++) {
        const nameset *ns = &sets[si];
        tst_row *want = expected_reject(&ref, ns->names, ns->n);
        const char *left[8];
        size_t nleft = 0;
        for (size_t k = 0; k < ref.nnames; k++)
            if (!listed(ref.names[k], ns->names, ns->n))
                left[nleft++] = ref.names[k];
        for (size_t ci = 0; ci < nchunks; ci++) {
            rn_iter *it = rn_reject_new(
                rn_csv_new(tst_chunked_source(input, n, chunks[ci], NULL),
                           NULL),
                ns->names, ns->n);
            assert_int_equal(rn_status(it), RN_OK);
            tst_rows got;
            assert_int_equal(tst_collect(it, &got), RN_DONE);
            tst_expect_rows(&got, want, ref.recs.n);
            expect_schema(it, left, nleft);
            tst_rows_free(&got);
            rn_free(it);
        }
        free_shallow(want, ref.recs.n);
    }
    free_reference(&ref);
}

static void test_rename_every_chunk_size(void **state)
{
    (void)state;
    size_t n = strlen(input);
    refdata ref;
    read_reference(input, n, &ref);
    static const struct {
        const char *old[4], *new_[4];
        size_t n;
        const char *schema[8];
    } cases[] = {
        {{"a"}, {"x"}, 1, {"x", "b", "c", "d", "e", "f", "_7", "_8"}},
        {{"a", "b"}, {"b", "a"}, 2, {"b", "a", "c", "d", "e", "f", "_7", "_8"}},
        {{"f", "c"},
         {"g", "cc"},
         2,
         {"a", "b", "cc", "d", "e", "g", "_7", "_8"}},
        {{"a"}, {"a"}, 1, {"a", "b", "c", "d", "e", "f", "_7", "_8"}},
        {{NULL}, {NULL}, 0, {"a", "b", "c", "d", "e", "f", "_7", "_8"}},
    };
    size_t chunks[310];
    size_t nchunks = tst_chunk_sizes(n, chunks);
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        for (size_t ci = 0; ci < nchunks; ci++) {
            rn_iter *it = rn_rename_new(
                rn_csv_new(tst_chunked_source(input, n, chunks[ci], NULL),
                           NULL),
                cases[k].old, cases[k].new_, cases[k].n);
            assert_int_equal(rn_status(it), RN_OK);
            /* Before any step: the header's six fields, renamed. */
            expect_schema(it, cases[k].schema, 6);
            tst_rows got;
            assert_int_equal(tst_collect(it, &got), RN_DONE);
            /* Records unchanged, raw included. */
            tst_expect_rows(&got, ref.recs.r, ref.recs.n);
            expect_schema(it, cases[k].schema, 8);
            tst_rows_free(&got);
            rn_free(it);
        }
    }
    free_reference(&ref);
}

/* Many batches, each name set once, against the same reference. */
static char *make_csv(size_t nrows, size_t *len)
{
    char *s = malloc(nrows * 64 + 64);
    size_t n = (size_t)sprintf(s, "id,cat,amount,note,x,y\n");
    for (size_t i = 0; i < nrows; i++)
        n += (size_t)(i % 9 ? sprintf(s + n, "%zu,c%zu,%zu.5,plain,x%zu,y\n",
                                      i, i % 7, i % 100, i)
                            : sprintf(s + n, "%zu,\"c,%zu\",%zu,\"q\"\"\",,\n",
                                      i, i % 7, i));
    *len = n;
    return s;
}

static void test_many_batches(void **state)
{
    (void)state;
    size_t n;
    char *s = make_csv(5000, &n);
    refdata ref;
    read_reference(s, n, &ref);
    const char *sel[] = {"y", "amount"};
    const char *rej[] = {"id", "note"};
    tst_row *wsel = expected_select(&ref, sel, 2);
    tst_row *wrej = expected_reject(&ref, rej, 2);
    size_t chunks[] = {1, 7, 100, 4096, (size_t)1 << 20};
    for (size_t ci = 0; ci < sizeof chunks / sizeof *chunks; ci++) {
        tst_rows got;
        rn_iter *it = rn_select_new(
            rn_csv_new(tst_chunked_source(s, n, chunks[ci], NULL), NULL), sel,
            2);
        assert_int_equal(tst_collect(it, &got), RN_DONE);
        tst_expect_rows(&got, wsel, ref.recs.n);
        tst_rows_free(&got);
        rn_free(it);
        it = rn_reject_new(
            rn_csv_new(tst_chunked_source(s, n, chunks[ci], NULL), NULL), rej,
            2);
        assert_int_equal(tst_collect(it, &got), RN_DONE);
        tst_expect_rows(&got, wrej, ref.recs.n);
        tst_rows_free(&got);
        rn_free(it);
    }
    free_shallow(wsel, ref.recs.n);
    free_shallow(wrej, ref.recs.n);
    free_reference(&ref);
    free(s);
}

/* ---- errors -------------------------------------------------------------- */

static rn_iter *csv_of(const char *s)
{
    return rn_csv_new(rn_source_mem(s, strlen(s), NULL), NULL);
}

static void expect_error(rn_iter *it, int code, const char *msg)
{
    assert_non_null(it);
    assert_int_equal(rn_status(it), code);
    if (!strstr(rn_errmsg(it), msg))
        fail_msg("message '%s' lacks '%s'", rn_errmsg(it), msg);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), code);
    assert_int_equal(rn_next(it, &rec), code);
    rn_free(it);
}

static void test_errors(void **state)
{
    (void)state;
    const char *csv = "id,name,amount\n1,x,2\n";
    const char *zz[] = {"name", "zz"};
    expect_error(rn_select_new(csv_of(csv), zz, 2), RN_EINVAL,
                 "select: no field 'zz' (fields: id, name, amount)");
    const char *typo[] = {"nmae"};
    expect_error(rn_select_new(csv_of(csv), typo, 1), RN_EINVAL,
                 "did you mean 'name'?");
    expect_error(rn_reject_new(csv_of(csv), zz, 2), RN_EINVAL,
                 "reject: no field 'zz'");
    const char *all[] = {"amount", "id", "name"};
    expect_error(rn_reject_new(csv_of(csv), all, 3), RN_EINVAL,
                 "reject: no fields left");
    expect_error(rn_select_new(csv_of(csv), NULL, 0), RN_EINVAL,
                 "select: no fields given");
    const char *withnull[] = {"id", NULL};
    expect_error(rn_select_new(csv_of(csv), withnull, 2), RN_EINVAL,
                 "select: a field name is missing");
    expect_error(rn_reject_new(csv_of(csv), NULL, 1), RN_EINVAL,
                 "reject: a field name is missing");

    const char *old1[] = {"nope"}, *new1[] = {"x"};
    expect_error(rn_rename_new(csv_of(csv), old1, new1, 1), RN_EINVAL,
                 "rename: no field 'nope'");
    const char *old2[] = {"id"}, *new2[] = {"name"};
    expect_error(rn_rename_new(csv_of(csv), old2, new2, 1), RN_EINVAL,
                 "rename: 'name' is already a field");
    const char *old3[] = {"id", "name"}, *new3[] = {"k", "k"};
    expect_error(rn_rename_new(csv_of(csv), old3, new3, 2), RN_EINVAL,
                 "rename: 'k' is already a field");
    const char *old4[] = {"id", "id"}, *new4[] = {"a", "b"};
    expect_error(rn_rename_new(csv_of(csv), old4, new4, 2), RN_EINVAL,
                 "rename: 'id' is renamed twice");
    const char *old5[] = {"id"}, *new5[] = {""};
    expect_error(rn_rename_new(csv_of(csv), old5, new5, 1), RN_EINVAL,
                 "rename: empty new name for 'id'");
    expect_error(rn_rename_new(csv_of(csv), old5, NULL, 1), RN_EINVAL,
                 "rename: a field name is missing");

    /* An upstream error wins, and NULL upstream is NULL. */
    expect_error(rn_select_new(rn_lines_new(rn_source_file("/nonexistent/y",
                                                           NULL), NULL),
                               zz, 2),
                 RN_EIO, "/nonexistent/y");
    assert_null(rn_select_new(NULL, zz, 1));
    assert_null(rn_reject_new(NULL, zz, 1));
    assert_null(rn_rename_new(NULL, old1, new1, 1));
}

/* ---- names resolved at the first step ------------------------------------ */

/* An upstream whose fields are known only once it yields (as a push-fed
 * reader before its header arrives); it yields its records in one batch,
 * after one RN_AGAIN. */
typedef struct late {
    rn_iter base;
    rn_schema *names;
    rn_record recs[2];
    rn_field f[2][3];
    int step;
} late;

static int late_next(rn_iter *it, rn_batch *out)
{
    late *l = (late *)it;
    if (l->step++ == 0)
        return RN_AGAIN;
    if (l->step > 2)
        return RN_DONE;
    it->schema = l->names;
    out->recs = l->recs;
    out->n = 2;
    return RN_ROW;
}

static void late_close(rn_iter *it)
{
    late *l = (late *)it;
    rn__schema_free(&it->mem, l->names);
}

static const rn__iter_vt late_vt = {"late", late_next, late_close};

static rn_iter *late_new(void)
{
    late *l = rn__iter_new(&late_vt, sizeof *l, NULL, NULL);
    const char *names[] = {"k", "v", "w"};
    l->names = rn_schema_new(names, 3, &l->base.mem);
    l->base.schema = NULL;
    static const char *text[2][3] = {{"k1", "v1", "w1"}, {"k2", "v2", "w2"}};
    for (size_t i = 0; i < 2; i++) {
        for (size_t j = 0; j < 3; j++) {
            l->f[i][j].ptr = text[i][j];
            l->f[i][j].len = 2;
        }
        l->recs[i].fields = l->f[i];
        l->recs[i].nfields = 3;
        l->recs[i].line = i + 1;
        l->recs[i].raw.ptr = "raw";
        l->recs[i].raw.len = 3;
    }
    return &l->base;
}

static void test_names_resolved_late(void **state)
{
    (void)state;
    const char *good[] = {"w", "k"};
    rn_iter *it = rn_select_new(late_new(), good, 2);
    assert_int_equal(rn_status(it), RN_OK);
    expect_schema(it, good, 2);
    char *out;
    size_t len;
    rn_batch b;
    assert_int_equal(rn_next_batch(it, &b), RN_AGAIN);
    assert_int_equal(tst_drain(it, &out, &len), RN_DONE);
    assert_int_equal(len, 12);
    assert_memory_equal(out, "w1\tk1\nw2\tk2\n", 12);
    free(out);
    rn_free(it);

    const char *bad[] = {"k", "zz"};
    it = rn_select_new(late_new(), bad, 2);
    assert_int_equal(rn_status(it), RN_OK);
    assert_int_equal(rn_next_batch(it, &b), RN_AGAIN);
    assert_int_equal(rn_status(it), RN_OK);
    assert_int_equal(rn_next_batch(it, &b), RN_EINVAL);
    expect_error(it, RN_EINVAL, "select: no field 'zz' (fields: k, v, w)");

    const char *rej[] = {"v"};
    it = rn_reject_new(late_new(), rej, 1);
    assert_int_equal(rn_next_batch(it, &b), RN_AGAIN);
    assert_int_equal(tst_drain(it, &out, &len), RN_DONE);
    assert_memory_equal(out, "k1\tw1\nk2\tw2\n", 12);
    const char *left[] = {"k", "w"};
    expect_schema(it, left, 2);
    free(out);
    rn_free(it);

    const char *old[] = {"v"}, *new_[] = {"value"};
    it = rn_rename_new(late_new(), old, new_, 1);
    assert_null(rn_schema_of(it));
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_AGAIN);
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_int_equal(rec->raw.len, 3); /* rename keeps raw */
    const char *renamed[] = {"k", "value", "w"};
    expect_schema(it, renamed, 3);
    rn_free(it);

    it = rn_rename_new(late_new(), rej, rej, 1);
    (void)rn_next_batch(it, &b);
    rn_free(it);
}

static void test_numeric_flags_and_raw(void **state)
{
    (void)state;
    const char *cnt[] = {"count", "count"};
    rn_iter *it = rn_select_new(rn_count_new(csv_of("a\n1\n2\n")), cnt, 2);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_int_equal(rec->nfields, 2);
    assert_memory_equal(rec->fields[1].ptr, "2", 1);
    assert_true(rn_schema_is_number(rn_schema_of(it), 0));
    assert_true(rn_schema_is_number(rn_schema_of(it), 1));
    rn_free(it);

    const char *old[] = {"count"}, *new_[] = {"n"};
    it = rn_rename_new(rn_count_new(csv_of("a\n1\n2\n")), old, new_, 1);
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_true(rn_schema_is_number(rn_schema_of(it), 0));
    assert_int_equal(rn_schema_find(rn_schema_of(it), "n", 1), 0);
    rn_free(it);

    /* Fields read from input stay strings; select drops raw. */
    const char *a[] = {"a"};
    it = rn_select_new(csv_of("a,b\n1,2\n"), a, 1);
    assert_false(rn_schema_is_number(rn_schema_of(it), 0));
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_null(rec->raw.ptr);
    assert_int_equal(rec->raw.len, 0);
    assert_string_equal(rn_kind(it), "select");
    rn_free(it);
    it = rn_reject_new(csv_of("a,b\n1,2\n"), a, 1);
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_null(rec->raw.ptr);
    assert_string_equal(rn_kind(it), "reject");
    rn_free(it);
}

/* ---- allocation failures and memory -------------------------------------- */

static rn_iter *make_stage(int which, rn_iter *up)
{
    static const char *names[] = {"amount", "id"};
    static const char *new_[] = {"total", "key"};
    if (which == 0)
        return rn_select_new(up, names, 2);
    if (which == 1)
        return rn_reject_new(up, names, 2);
    return rn_rename_new(up, names, new_, 2);
}

typedef struct alloc_input {
    const char *s;
    size_t n;
    int which;
} alloc_input;

static rn_iter *open_stage(void *ud, const rn_source_opts *so)
{
    const alloc_input *in = ud;
    return make_stage(in->which,
                      rn_csv_new(rn_source_mem(in->s, in->n, so), NULL));
}

static void test_failing_allocator(void **state)
{
    (void)state;
    size_t n;
    char *s = make_csv(3000, &n);
    for (int which = 0; which < 3; which++) {
        alloc_input in = {s, n, which};
        tst_fail_each_alloc_count(open_stage, &in, 1000, 3000, false);
    }
    free(s);
}

static rn_iter *gen_stage(void *ud, rn_iter *up)
{
    return make_stage(*(const int *)ud, up);
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
    for (int which = 0; which < 3; which++) {
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
        cmocka_unit_test(test_select_every_chunk_size),
        cmocka_unit_test(test_reject_every_chunk_size),
        cmocka_unit_test(test_rename_every_chunk_size),
        cmocka_unit_test(test_many_batches),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_names_resolved_late),
        cmocka_unit_test(test_numeric_flags_and_raw),
        cmocka_unit_test(test_failing_allocator),
        cmocka_unit_test(test_constant_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
