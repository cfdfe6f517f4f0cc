/*
 * test_snapshot.c - rn_groupby_snapshot: the groups so far of a groupby that
 * is still reading. A push source is fed part of a CSV; when the chain says
 * RN_AGAIN the snapshot must hold exactly the groups of the complete lines
 * fed so far (checked against a groupby run to the end on that prefix), and
 * after the end it must equal the groupby's own output. Also: count-by, an
 * empty groupby, a snapshot of something that is not a groupby, a failed
 * groupby, stages put on a snapshot, and failing allocations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "support.h"
#include "runnel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const keys[] = {"cat"};
static const char *const aggs[] = {"count", "share", "sum:n", "first:n",
                                   "last:n"};

/* A CSV of rows lines: cat is one of 7 words, n a number. */
static char *make_csv(size_t rows, size_t *len)
{
    static const char *const cats[] = {"a", "bb", "c", "dd", "e", "ff", "g"};
    size_t cap = 32 + rows * 32;
    char *p = malloc(cap);
    assert_non_null(p);
    size_t k = (size_t)snprintf(p, cap, "cat,n\n");
    uint64_t seed = 7;
    for (size_t i = 0; i < rows; i++) {
        uint64_t r = tst_rnd(&seed);
        k += (size_t)snprintf(p + k, cap - k, "%s,%d\n", cats[r % 7],
                              (int)(r >> 40) % 1000 - 300);
    }
    *len = k;
    return p;
}

/* tst_drain as a NUL-terminated string. */
static int drain(rn_iter *it, char **out, size_t *n)
{
    int rc = tst_drain(it, out, n);
    char *p = realloc(*out, *n + 1);
    assert_non_null(p);
    p[*n] = '\0';
    *out = p;
    return rc;
}

/* The groupby's output run to the end over data. */
static char *full(const char *data, size_t len)
{
    rn_iter *it = rn_groupby_new(
        rn_csv_new(rn_source_mem(data, len, NULL), NULL), keys, 1, aggs, 5,
        NULL);
    char *out;
    size_t n;
    assert_int_equal(drain(it, &out, &n), RN_DONE);
    rn_free(it);
    return out;
}

static char *snap_text(rn_iter *gb)
{
    rn_iter *s = rn_groupby_snapshot(gb);
    assert_non_null(s);
    char *out;
    size_t n;
    assert_int_equal(drain(s, &out, &n), RN_DONE);
    rn_free(s);
    return out;
}

/* Feeds data in pieces of step bytes; after each, the snapshot equals the
 * full groupby over the complete lines fed so far. */
static void check_feeding(size_t rows, size_t step)
{
    size_t len;
    char *data = make_csv(rows, &len);
    rn_source *src = rn_source_push(NULL);
    rn_iter *csv = rn_csv_new(src, NULL);
    rn_iter *gb = rn_groupby_new(csv, keys, 1, aggs, 5, NULL);
    assert_non_null(gb);
    const rn_record *rec;
    size_t fed = 0;
    size_t checks = 0;
    while (fed < len) {
        size_t n = len - fed < step ? len - fed : step;
        assert_int_equal(rn_feed(src, data + fed, n), RN_OK);
        fed += n;
        assert_int_equal(rn_next(gb, &rec), RN_AGAIN);
        /* The reader has seen the lines ended so far; the header line is
         * read before any group exists. */
        size_t done = fed;
        while (done > 0 && data[done - 1] != '\n')
            done--;
        if (done <= 6) /* "cat,n\n" */
            continue;
        char *want = full(data, done);
        char *got = snap_text(gb);
        assert_string_equal(got, want);
        free(want);
        free(got);
        checks++;
    }
    assert_true(checks > 0);
    assert_int_equal(rn_feed_end(src), RN_OK);
    char *out;
    size_t n;
    assert_int_equal(drain(gb, &out, &n), RN_DONE);
    char *want = full(data, len);
    assert_string_equal(out, want);
    /* After the end the snapshot still holds every group. */
    char *got = snap_text(gb);
    assert_string_equal(got, want);
    free(got);
    free(want);
    free(out);
    rn_free(gb);
    free(data);
}

static void test_snapshot_while_feeding(void **state)
{
    (void)state;
    check_feeding(300, 997);
    check_feeding(40, 13);
    check_feeding(2000, 65536);
}

/* Before any record: no groups, but the fields are known. */
static void test_snapshot_empty(void **state)
{
    (void)state;
    rn_source *src = rn_source_push(NULL);
    rn_iter *gb = rn_groupby_new(rn_csv_new(src, NULL), keys, 1, aggs, 5,
                                 NULL);
    assert_int_equal(rn_feed(src, "cat,n\n", 6), RN_OK);
    const rn_record *rec;
    assert_int_equal(rn_next(gb, &rec), RN_AGAIN);
    rn_iter *s = rn_groupby_snapshot(gb);
    assert_non_null(s);
    assert_int_equal(rn_next(s, &rec), RN_DONE);
    const rn_schema *sc = rn_schema_of(s);
    assert_non_null(sc);
    assert_int_equal(rn_schema_count(sc), 6);
    rn_free(s);
    rn_free(gb);
}

/* count-by yields in first-seen order in a snapshot; a sort put on it
 * gives the count-by order. */
static void test_snapshot_count_by_sorted(void **state)
{
    (void)state;
    size_t len;
    char *data = make_csv(500, &len);
    rn_source *src = rn_source_push(NULL);
    rn_iter *cb = rn_count_by_new(rn_csv_new(src, NULL), keys, 1, NULL);
    assert_int_equal(rn_feed(src, data, len), RN_OK);
    const rn_record *rec;
    assert_int_equal(rn_next(cb, &rec), RN_AGAIN);
    static const char *const cat[] = {"cat"}, *const count[] = {"count"};
    rn_iter *s = rn_groupby_snapshot(cb);
    s = rn_sort_new(s, cat, 1, 0, 0, 0);
    s = rn_sort_new(s, count, 1, 1, 1, 0);
    char *got, *want;
    size_t n;
    assert_int_equal(drain(s, &got, &n), RN_DONE);
    rn_free(s);
    assert_int_equal(rn_feed_end(src), RN_OK);
    assert_int_equal(drain(cb, &want, &n), RN_DONE);
    assert_string_equal(got, want);
    free(got);
    free(want);
    rn_free(cb);
    free(data);
}

static void test_snapshot_misuse(void **state)
{
    (void)state;
    assert_null(rn_groupby_snapshot(NULL));
    rn_iter *lines = rn_lines_new(rn_source_mem("x\n", 2, NULL), NULL);
    rn_iter *s = rn_groupby_snapshot(lines);
    assert_non_null(s);
    assert_int_equal(rn_status(s), RN_EMISUSE);
    assert_non_null(strstr(rn_errmsg(s), "not a groupby"));
    rn_free(s);
    rn_free(lines);
    /* A groupby that failed (unknown field) passes its error on. */
    static const char *const bad[] = {"nope"};
    rn_iter *gb = rn_groupby_new(
        rn_csv_new(rn_source_mem("a\n1\n", 4, NULL), NULL), bad, 1, NULL, 0,
        NULL);
    s = rn_groupby_snapshot(gb);
    assert_int_equal(rn_status(s), RN_EINVAL);
    assert_non_null(strstr(rn_errmsg(s), "nope"));
    rn_free(s);
    rn_free(gb);
}

/* Every allocation of the snapshot may fail: NULL, nothing leaked, and the
 * groupby goes on unharmed. */
static void test_snapshot_alloc_failures(void **state)
{
    (void)state;
    size_t len;
    char *data = make_csv(200, &len);
    char *want = full(data, len);
    for (long k = 0;; k++) {
        tst_alloc t = tst_alloc_init();
        rn_allocator a = tst_allocator(&t);
        rn_source_opts o = {0};
        o.allocator = &a;
        rn_source *src = rn_source_push(&o);
        rn_iter *gb = rn_groupby_new(rn_csv_new(src, NULL), keys, 1, aggs, 5,
                                     NULL);
        assert_non_null(gb);
        assert_int_equal(rn_feed(src, data, len), RN_OK);
        const rn_record *rec;
        assert_int_equal(rn_next(gb, &rec), RN_AGAIN);
        t.fail_at = (long)t.calls + k;
        rn_iter *s = rn_groupby_snapshot(gb);
        bool failed = t.failed;
        t.fail_at = -1;
        if (s) {
            char *out;
            size_t n;
            assert_int_equal(drain(s, &out, &n), RN_DONE);
            assert_string_equal(out, want);
            free(out);
            rn_free(s);
        }
        assert_int_equal(rn_feed_end(src), RN_OK);
        char *out;
        size_t n;
        assert_int_equal(drain(gb, &out, &n), RN_DONE);
        assert_string_equal(out, want);
        free(out);
        rn_free(gb);
        assert_int_equal(t.live, 0);
        if (!failed)
            break;
        assert_null(s);
    }
    free(want);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_while_feeding),
        cmocka_unit_test(test_snapshot_empty),
        cmocka_unit_test(test_snapshot_count_by_sorted),
        cmocka_unit_test(test_snapshot_misuse),
        cmocka_unit_test(test_snapshot_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
