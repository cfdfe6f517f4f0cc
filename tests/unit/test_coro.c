/*
 * test_coro.c - the public coroutine macros (RN_CO_BEGIN, RN_CO_YIELD,
 * RN_CO_END): a generator resumes where it yielded, keeps its state in its
 * struct, and returns its end value on every call after the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <string.h>

/* Yields the words of a text one call at a time, and for each word its
 * length: two yields per word, resumed inside a loop. */
typedef struct words {
    int co;              /* coroutine state: starts at 0 */
    const char *p;       /* where the next word starts */
    const char *word;    /* the current word */
    size_t len;
    size_t yields;       /* how often a value was yielded */
} words;

static int words_next(words *w, const char **out, size_t *len)
{
    RN_CO_BEGIN(w->co);
    while (*w->p) {
        while (*w->p == ' ')
            w->p++;
        if (!*w->p)
            break;
        w->word = w->p;
        while (*w->p && *w->p != ' ')
            w->p++;
        w->len = (size_t)(w->p - w->word);
        *out = w->word;
        *len = w->len;
        w->yields++;
        RN_CO_YIELD(w->co, RN_ROW);
        /* Resumed here: the length of the same word, a second value. */
        *out = NULL;
        *len = w->len;
        w->yields++;
        RN_CO_YIELD(w->co, RN_ROW);
    }
    RN_CO_END(w->co, RN_DONE);
}

static void test_generator_resumes_where_it_yielded(void **state)
{
    (void)state;
    words w = {0, "  one two   three ", NULL, 0, 0};
    const char *want[] = {"one", "two", "three"};
    const char *out;
    size_t len;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(words_next(&w, &out, &len), RN_ROW);
        assert_int_equal(len, strlen(want[i]));
        assert_memory_equal(out, want[i], len);
        assert_int_equal(words_next(&w, &out, &len), RN_ROW);
        assert_null(out);
        assert_int_equal(len, strlen(want[i]));
    }
    assert_int_equal(words_next(&w, &out, &len), RN_DONE);
    /* The end is sticky: every later call returns it without running. */
    assert_int_equal(words_next(&w, &out, &len), RN_DONE);
    assert_int_equal(words_next(&w, &out, &len), RN_DONE);
    assert_int_equal(w.yields, 6);
}

static void test_empty_generator(void **state)
{
    (void)state;
    words w = {0, "   ", NULL, 0, 0};
    const char *out;
    size_t len;
    assert_int_equal(words_next(&w, &out, &len), RN_DONE);
    assert_int_equal(words_next(&w, &out, &len), RN_DONE);
    assert_int_equal(w.yields, 0);
}

static void test_two_generators_are_independent(void **state)
{
    (void)state;
    words a = {0, "x y", NULL, 0, 0}, b = {0, "long words here", NULL, 0, 0};
    const char *out;
    size_t len;
    assert_int_equal(words_next(&a, &out, &len), RN_ROW); /* x */
    assert_int_equal(words_next(&b, &out, &len), RN_ROW); /* long */
    assert_int_equal(len, 4);
    assert_int_equal(words_next(&a, &out, &len), RN_ROW); /* len of x */
    assert_int_equal(len, 1);
    assert_int_equal(words_next(&a, &out, &len), RN_ROW); /* y */
    assert_memory_equal(out, "y", 1);
    assert_int_equal(words_next(&b, &out, &len), RN_ROW); /* len of long */
    assert_int_equal(len, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator_resumes_where_it_yielded),
        cmocka_unit_test(test_empty_generator),
        cmocka_unit_test(test_two_generators_are_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
