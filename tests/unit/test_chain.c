/*
 * test_chain.c - count and chain: lazy opening, one stream from many inputs,
 * errors passed on, ownership and allocation failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <stdlib.h>
#include <string.h>

typedef struct inputs {
    const char *const *text;
    size_t n;
    size_t opened;        /* how many open() calls so far */
    size_t max_open_at;   /* the largest index opened */
    const rn_allocator *mem;
} inputs;

static rn_iter *open_text(void *ud, size_t i)
{
    inputs *in = ud;
    in->opened++;
    if (i > in->max_open_at)
        in->max_open_at = i;
    rn_source_opts o = {0};
    o.allocator = in->mem;
    const char *t = in->text[i];
    if (!t)
        return rn_lines_new(rn_source_file("/nonexistent/input", &o), NULL);
    return rn_lines_new(rn_source_mem(t, strlen(t), &o), NULL);
}

static void test_chain_concatenates_lazily(void **state)
{
    (void)state;
    const char *const text[] = {"a\nb", "", "c\n", "d\ne\n"};
    inputs in = {text, 4, 0, 0, NULL};
    rn_iter *it = rn_chain_new(open_text, &in, 4, NULL);
    assert_int_equal(in.opened, 1); /* only the first, for its schema */
    assert_int_equal(rn_schema_count(rn_schema_of(it)), 1);
    rn_field name = rn_schema_name(rn_schema_of(it), 0);
    assert_int_equal(name.len, 4);
    assert_memory_equal(name.ptr, "line", 4);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_int_equal(in.opened, 1);
    char *out;
    size_t len;
    assert_int_equal(tst_drain(it, &out, &len), RN_DONE);
    /* "a" was taken above; an unterminated "b" does not join "c". */
    assert_int_equal(len, 8);
    assert_memory_equal(out, "b\nc\nd\ne\n", 8);
    assert_int_equal(in.opened, 4);
    free(out);
    rn_free(it);
}

static void test_chain_error_stops_it(void **state)
{
    (void)state;
    const char *const text[] = {"x\n", NULL, "never\n"};
    inputs in = {text, 3, 0, 0, NULL};
    rn_iter *it = rn_chain_new(open_text, &in, 3, NULL);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_int_equal(rn_next(it, &rec), RN_EIO);
    assert_non_null(strstr(rn_errmsg(it), "/nonexistent/input"));
    assert_int_equal(rn_next(it, &rec), RN_EIO);
    assert_int_equal(in.max_open_at, 1);
    rn_free(it);
}

static void test_count(void **state)
{
    (void)state;
    const char *const text[] = {"1\n2\n3\n", "4\n5"};
    inputs in = {text, 2, 0, 0, NULL};
    rn_iter *it = rn_count_new(rn_chain_new(open_text, &in, 2, NULL));
    const rn_schema *s = rn_schema_of(it);
    assert_int_equal(rn_schema_find(s, "count", 5), 0);
    assert_int_equal(rn_schema_find(s, "line", 4), -1);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_int_equal(rec->nfields, 1);
    assert_int_equal(rec->fields[0].len, 1);
    assert_memory_equal(rec->fields[0].ptr, "5", 1);
    assert_int_equal(rn_next(it, &rec), RN_DONE);
    assert_int_equal(rn_next(it, &rec), RN_DONE);
    rn_free(it);

    /* Zero records count as 0, and an upstream error is the count's error. */
    const char *const none[] = {""};
    inputs in0 = {none, 1, 0, 0, NULL};
    it = rn_count_new(rn_chain_new(open_text, &in0, 1, NULL));
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_memory_equal(rec->fields[0].ptr, "0", 1);
    rn_free(it);
    const char *const bad[] = {NULL};
    inputs inb = {bad, 1, 0, 0, NULL};
    it = rn_count_new(rn_chain_new(open_text, &inb, 1, NULL));
    assert_int_equal(rn_status(it), RN_EIO); /* known at construction */
    assert_int_equal(rn_next(it, &rec), RN_EIO);
    assert_non_null(strstr(rn_errmsg(it), "No such file"));
    rn_free(it);
}

static void test_failing_allocator(void **state)
{
    (void)state;
    const char *const text[] = {"a\nb\n", "c\n", "d"};
    bool completed = false;
    for (long fail = 0; !completed && fail < 200; fail++) {
        tst_alloc t = tst_alloc_init();
        t.fail_at = fail;
        rn_allocator a = tst_allocator(&t);
        inputs in = {text, 3, 0, 0, &a};
        rn_chain_opts co = {0};
        co.allocator = &a;
        rn_iter *it = rn_count_new(rn_chain_new(open_text, &in, 3, &co));
        if (it) {
            const rn_record *rec;
            int rc = rn_next(it, &rec);
            if (rc == RN_ROW) {
                assert_memory_equal(rec->fields[0].ptr, "4", 1);
                completed = !t.failed;
            } else {
                assert_int_equal(rc, RN_ENOMEM);
            }
            rn_free(it);
        }
        assert_int_equal(t.live, 0);
        assert_int_equal(t.nlive, 0);
    }
    assert_true(completed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_concatenates_lazily),
        cmocka_unit_test(test_chain_error_stops_it),
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_failing_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
