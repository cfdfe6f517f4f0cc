/*
 * test_arena.c - the bump allocator: alignment, no overlap between blocks,
 * big blocks in their own chunks, byte accounting against the counting
 * allocator, and RN_ENOMEM at every allocation with no leak.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "support.h"
#include "base/arena.h"

#include <stdlib.h>
#include <string.h>

static void test_zeroed_arena_works(void **state)
{
    (void)state;
    rn__arena a;
    memset(&a, 0, sizeof a);
    rn__arena_free(&a); /* nothing to free yet */
    char *s = rn__arena_dup(&a, "hello", 5);
    assert_non_null(s);
    assert_string_equal(s, "hello");
    assert_true(rn__arena_bytes(&a) >= 64 * 1024);
    rn__arena_free(&a);
    assert_int_equal(rn__arena_bytes(&a), 0);
    rn__arena_free(&a); /* twice */
    /* Still usable after a free. */
    assert_non_null(rn__arena_alloc(&a, 10, 8));
    rn__arena_free(&a);
}

static void test_dup_terminates_and_copies(void **state)
{
    (void)state;
    tst_alloc t = tst_alloc_init();
    rn_allocator mem = tst_allocator(&t);
    rn__arena a;
    rn__arena_init(&a, &mem, 256);
    assert_int_equal(t.calls, 0); /* init allocates nothing */

    char *e = rn__arena_dup(&a, NULL, 0);
    assert_non_null(e);
    assert_int_equal(e[0], '\0');

    const char bin[] = {'a', '\0', 'b'};
    char *b = rn__arena_dup(&a, bin, 3);
    assert_memory_equal(b, bin, 3);
    assert_int_equal(b[3], '\0');
    assert_ptr_not_equal(b, bin);

    /* Empty requests still get distinct pointers. */
    void *z1 = rn__arena_alloc(&a, 0, 1);
    void *z2 = rn__arena_alloc(&a, 0, 1);
    assert_non_null(z1);
    assert_ptr_not_equal(z1, z2);

    rn__arena_free(&a);
    assert_int_equal(t.live, 0);
    assert_int_equal(t.nlive, 0);
}

static void test_alignment_and_no_overlap(void **state)
{
    (void)state;
    tst_alloc t = tst_alloc_init();
    rn_allocator mem = tst_allocator(&t);
    rn__arena a;
    rn__arena_init(&a, &mem, 1024);
    enum { N = 3000 };
    unsigned char **ptrs = calloc(N, sizeof *ptrs);
    size_t *sizes = calloc(N, sizeof *sizes);
    uint64_t r = 12345;
    for (int i = 0; i < N; i++) {
        r = r * 6364136223846793005u + 1442695040888963407u;
        size_t align = (size_t)1 << ((r >> 33) % 13); /* 1 .. 4096 */
        size_t size = (r >> 45) % 300;
        if (i % 97 == 0)
            size = 5000 + (r >> 50); /* bigger than a chunk */
        unsigned char *p = rn__arena_alloc(&a, size, align);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % align, 0);
        /* Writing every byte lets ASan catch a block past its chunk. */
        memset(p, i & 0xff, size);
        ptrs[i] = p;
        sizes[i] = size;
    }
    /* No block was overwritten by a later one. */
    for (int i = 0; i < N; i++)
        for (size_t j = 0; j < sizes[i]; j++)
            assert_int_equal(ptrs[i][j], i & 0xff);
    assert_int_equal(rn__arena_bytes(&a), t.live);
    rn__arena_free(&a);
    assert_int_equal(t.live, 0);
    assert_int_equal(t.nlive, 0);
    free(ptrs);
    free(sizes);
}

static void test_big_blocks_get_own_chunk(void **state)
{
    (void)state;
    tst_alloc t = tst_alloc_init();
    rn_allocator mem = tst_allocator(&t);
    rn__arena a;
    rn__arena_init(&a, &mem, 4096);
    char *s1 = rn__arena_alloc(&a, 16, 1);
    size_t after_first = rn__arena_bytes(&a);
    assert_true(after_first >= 4096 && after_first < 4096 + 64);

    char *big = rn__arena_alloc(&a, 1000000, 16);
    assert_non_null(big);
    memset(big, 'x', 1000000);
    /* The big block cost about its own size, not a chunk-sized multiple. */
    size_t cost = rn__arena_bytes(&a) - after_first;
    assert_true(cost >= 1000000 && cost < 1000000 + 64);

    /* Small blocks continue in the same chunk as before the big one. */
    char *s2 = rn__arena_alloc(&a, 16, 1);
    assert_ptr_equal(s2, s1 + 16);

    /* A biggish block that still fits in the bump chunk is taken from it. */
    size_t before = rn__arena_bytes(&a);
    char *mid = rn__arena_alloc(&a, 1100, 1);
    assert_ptr_equal(mid, s2 + 16);
    assert_int_equal(rn__arena_bytes(&a), before);

    /* One that no longer fits (and is over a quarter chunk) gets its own
     * chunk, and the bump chunk's remaining room is not abandoned. */
    char *mid2 = rn__arena_alloc(&a, 3000, 1);
    assert_non_null(mid2);
    assert_true(rn__arena_bytes(&a) - before < 3000 + 64);
    char *s3 = rn__arena_alloc(&a, 16, 1);
    assert_ptr_equal(s3, mid + 1100);

    /* A small block that does not fit starts a new bump chunk. */
    before = rn__arena_bytes(&a);
    for (int i = 0; i < 200; i++)
        assert_non_null(rn__arena_alloc(&a, 16, 1));
    assert_int_equal(rn__arena_bytes(&a) - before, 4096);

    /* Alignment stricter than malloc's, in an own chunk. */
    char *al = rn__arena_alloc(&a, 100000, 8192);
    assert_non_null(al);
    assert_int_equal((uintptr_t)al % 8192, 0);
    memset(al, 0, 100000);

    assert_int_equal(rn__arena_bytes(&a), t.live);
    rn__arena_free(&a);
    assert_int_equal(t.live, 0);
    assert_int_equal(t.nlive, 0);
}

static void test_bad_requests(void **state)
{
    (void)state;
    tst_alloc t = tst_alloc_init();
    rn_allocator mem = tst_allocator(&t);
    rn__arena a;
    rn__arena_init(&a, &mem, 0);
    assert_null(rn__arena_alloc(&a, 8, 3)); /* not a power of two */
    assert_null(rn__arena_alloc(&a, SIZE_MAX - 4, 8));
    assert_null(rn__arena_alloc(&a, SIZE_MAX, 1));
    assert_null(rn__arena_dup(&a, "x", SIZE_MAX));
    /* align 0 means 1. */
    assert_non_null(rn__arena_alloc(&a, 3, 0));
    rn__arena_free(&a);
    assert_int_equal(t.live, 0);
}

/* Runs a fixed mix of small, big and aligned requests with allocation
 * number fail_at refused. After the first NULL the allocator is healed and the
 * same arena must go on working; every byte handed out keeps its contents. */
static void test_enomem_at_every_allocation(void **state)
{
    (void)state;
    enum { N = 400 };
    bool saw_success_run = false;
    for (long fail_at = 0; !saw_success_run; fail_at++) {
        tst_alloc t = tst_alloc_init();
        t.fail_at = fail_at;
        rn_allocator mem = tst_allocator(&t);
        rn__arena a;
        rn__arena_init(&a, &mem, 512);
        char *ptrs[N];
        size_t sizes[N];
        bool failed = false;
        for (int i = 0; i < N; i++) {
            size_t size = i % 50 == 0 ? 2000 : (size_t)(i % 37);
            size_t align = (size_t)1 << (i % 6);
            char *p = rn__arena_alloc(&a, size, align);
            if (!p) {
                assert_true(t.failed);
                failed = true;
                t.fail_at = -1; /* heal, then retry on the same arena */
                p = rn__arena_alloc(&a, size, align);
                assert_non_null(p);
            }
            memset(p, i & 0x7f, size);
            ptrs[i] = p;
            sizes[i] = size;
        }
        for (int i = 0; i < N; i++)
            for (size_t j = 0; j < sizes[i]; j++)
                assert_int_equal(ptrs[i][j], i & 0x7f);
        assert_int_equal(rn__arena_bytes(&a), t.live);
        rn__arena_free(&a);
        assert_int_equal(t.live, 0);
        assert_int_equal(t.nlive, 0);
        if (!failed)
            saw_success_run = true;
        assert_true(fail_at < 10000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zeroed_arena_works),
        cmocka_unit_test(test_dup_terminates_and_copies),
        cmocka_unit_test(test_alignment_and_no_overlap),
        cmocka_unit_test(test_big_blocks_get_own_chunk),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_enomem_at_every_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
