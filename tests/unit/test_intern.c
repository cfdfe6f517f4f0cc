/*
 * test_intern.c - string interning: dense first-seen ids, stable copies
 * across growth, binary and empty keys, byte accounting, and RN_ENOMEM at
 * every allocation with the interner unchanged and usable.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "support.h"
#include "base/intern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_ids_are_dense_in_first_seen_order(void **state)
{
    (void)state;
    tst_alloc t = tst_alloc_init();
    rn_allocator mem = tst_allocator(&t);
    rn__interner in;
    assert_int_equal(rn__intern_init(&in, &mem), RN_OK);
    static const char *words[] = {"b", "a", "b", "c", "a", "ab", "", "c", ""};
    static const uint32_t want[] = {0, 1, 0, 2, 1, 3, 4, 2, 4};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        uint32_t id = 99;
        char buf[8];
        strcpy(buf, words[i]); /* a fresh address each time */
        assert_int_equal(rn__intern(&in, buf, strlen(buf), &id), RN_OK);
        assert_int_equal(id, want[i]);
    }
    assert_int_equal(rn__intern_count(&in), 5);
    rn_field f = rn__intern_get(&in, 3);
    assert_int_equal(f.len, 2);
    assert_memory_equal(f.ptr, "ab", 2);
    assert_int_equal(f.ptr[2], '\0');
    f = rn__intern_get(&in, 4);
    assert_int_equal(f.len, 0);
    assert_non_null(f.ptr);
    assert_int_equal(f.ptr[0], '\0');
    /* NULL with length 0 is the empty string too. */
    uint32_t id;
    assert_int_equal(rn__intern(&in, NULL, 0, &id), RN_OK);
    assert_int_equal(id, 4);
    /* Ids never handed out give an empty view. */
    f = rn__intern_get(&in, 5);
    assert_null(f.ptr);
    assert_int_equal(f.len, 0);
    f = rn__intern_get(&in, UINT32_MAX);
    assert_null(f.ptr);

    assert_int_equal(rn__intern_bytes(&in), t.live);
    rn__intern_free(&in);
    assert_int_equal(t.live, 0);
    assert_int_equal(t.nlive, 0);
    rn__intern_free(&in); /* twice */
    assert_int_equal(rn__intern_count(&in), 0);
    /* Usable again after a free. */
    assert_int_equal(rn__intern(&in, "z", 1, &id), RN_OK);
    assert_int_equal(id, 0);
    rn__intern_free(&in);
    assert_int_equal(t.live, 0);
}

static void test_binary_keys(void **state)
{
    (void)state;
    rn__interner in;
    rn__intern_init(&in, NULL);
    const char a[] = {'x', '\0', 'y'};
    const char b[] = {'x', '\0', 'z'};
    uint32_t ia, ib, ix;
    assert_int_equal(rn__intern(&in, a, 3, &ia), RN_OK);
    assert_int_equal(rn__intern(&in, b, 3, &ib), RN_OK);
    assert_int_equal(rn__intern(&in, a, 1, &ix), RN_OK); /* "x" */
    assert_int_not_equal(ia, ib);
    assert_int_not_equal(ia, ix);
    assert_memory_equal(rn__intern_get(&in, ib).ptr, b, 3);
    rn__intern_free(&in);
}

/* Copies handed out early keep their address while the table, the id array
 * and the arena grow many times over. */
static void test_copies_are_stable_across_growth(void **state)
{
    (void)state;
    enum { N = 100000 };
    tst_alloc t = tst_alloc_init();
    rn_allocator mem = tst_allocator(&t);
    rn__interner in;
    rn__intern_init(&in, &mem);
    const char *first[16];
    char key[32];
    for (int i = 0; i < N; i++) {
        int n = snprintf(key, sizeof key, "user-%d@example.org", i);
        uint32_t id;
        assert_int_equal(rn__intern(&in, key, (size_t)n, &id), RN_OK);
        assert_int_equal(id, i);
        if (i < 16)
            first[i] = rn__intern_get(&in, id).ptr;
    }
    /* A big key goes through the arena's own-chunk path. */
    size_t big_n = 300000;
    char *big = malloc(big_n);
    memset(big, 'q', big_n);
    uint32_t big_id;
    assert_int_equal(rn__intern(&in, big, big_n, &big_id), RN_OK);
    assert_int_equal(big_id, N);

    assert_int_equal(rn__intern_count(&in), N + 1);
    for (int i = 0; i < 16; i++)
        assert_ptr_equal(rn__intern_get(&in, (uint32_t)i).ptr, first[i]);
    for (int i = 0; i < N; i += 7) {
        int n = snprintf(key, sizeof key, "user-%d@example.org", i);
        uint32_t id;
        assert_int_equal(rn__intern(&in, key, (size_t)n, &id), RN_OK);
        assert_int_equal(id, i);
        rn_field f = rn__intern_get(&in, id);
        assert_int_equal(f.len, (size_t)n);
        assert_memory_equal(f.ptr, key, (size_t)n);
    }
    uint32_t again;
    assert_int_equal(rn__intern(&in, big, big_n, &again), RN_OK);
    assert_int_equal(again, big_id);
    /* Hits allocate nothing. */
    size_t calls = t.calls;
    assert_int_equal(rn__intern(&in, "user-5@example.org", 18, &again), RN_OK);
    assert_int_equal(again, 5);
    assert_int_equal(t.calls, calls);

    assert_int_equal(rn__intern_bytes(&in), t.live);
    rn__intern_free(&in);
    assert_int_equal(t.live, 0);
    assert_int_equal(t.nlive, 0);
    free(big);
}

/* Interns a list with repeats and long keys while allocation number fail_at
 * is refused. RN_ENOMEM must leave count and every earlier id intact; then the
 * allocator heals and the same interner finishes the list with the ids a
 * clean run gives. */
static void test_enomem_at_every_allocation(void **state)
{
    (void)state;
    enum { N = 400 };
    static char keys[N][200];
    static size_t lens[N];
    for (int i = 0; i < N; i++) {
        int k = i % 3 == 2 ? i / 2 : i; /* some repeats */
        lens[i] = (size_t)snprintf(keys[i], sizeof keys[i], "k%d", k);
        if (k % 50 == 0) { /* now and then a longer key */
            memset(keys[i] + lens[i], 'L', 150);
            lens[i] += 150;
        }
    }
    uint32_t want[N];
    {
        rn__interner in;
        rn__intern_init(&in, NULL);
        for (int i = 0; i < N; i++)
            assert_int_equal(rn__intern(&in, keys[i], lens[i], &want[i]), RN_OK);
        rn__intern_free(&in);
    }
    bool clean_run = false;
    for (long fail_at = 0; !clean_run; fail_at++) {
        tst_alloc t = tst_alloc_init();
        t.fail_at = fail_at;
        rn_allocator mem = tst_allocator(&t);
        rn__interner in;
        assert_int_equal(rn__intern_init(&in, &mem), RN_OK);
        bool failed = false;
        for (int i = 0; i < N; i++) {
            uint32_t id = UINT32_MAX;
            size_t before = rn__intern_count(&in);
            int rc = rn__intern(&in, keys[i], lens[i], &id);
            if (rc == RN_ENOMEM) {
                failed = true;
                assert_int_equal(id, UINT32_MAX); /* not set */
                assert_int_equal(rn__intern_count(&in), before);
                for (int j = 0; j < i; j++) {
                    rn_field f = rn__intern_get(&in, want[j]);
                    assert_int_equal(f.len, lens[j]);
                    assert_memory_equal(f.ptr, keys[j], lens[j]);
                }
                t.fail_at = -1;
                rc = rn__intern(&in, keys[i], lens[i], &id);
            }
            assert_int_equal(rc, RN_OK);
            assert_int_equal(id, want[i]);
        }
        assert_int_equal(rn__intern_bytes(&in), t.live);
        rn__intern_free(&in);
        assert_int_equal(t.live, 0);
        assert_int_equal(t.nlive, 0);
        clean_run = !failed;
        assert_true(fail_at < 1000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_are_dense_in_first_seen_order),
        cmocka_unit_test(test_binary_keys),
        cmocka_unit_test(test_copies_are_stable_across_growth),
        cmocka_unit_test(test_enomem_at_every_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
