/*
 * test_hash.c - the byte hash (every length in bounds, every bit matters,
 * avalanche, spread) and the table (forced collisions, growth, iteration,
 * reserve, RN_ENOMEM at every allocation with the table left usable).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "support.h"
#include "base/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: deterministic, so failures reproduce. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

/* A heap copy of exactly n bytes, so ASan flags any read past the end. */
static unsigned char *exact_copy(const void *p, size_t n)
{
    unsigned char *c = malloc(n ? n : 1);
    if (n)
        memcpy(c, p, n);
    return c;
}

static void test_hash_every_length_in_bounds(void **state)
{
    (void)state;
    unsigned char src[80];
    for (int i = 0; i < 80; i++)
        src[i] = (unsigned char)(i * 37 + 11);
    uint64_t seen[65 * 8];
    size_t nseen = 0;
    for (size_t off = 0; off < 8; off++) {
        for (size_t n = 0; n <= 64; n++) {
            unsigned char *c = exact_copy(src + off, n);
            uint64_t h = rn__hash_bytes(c, n, RN__HASH_SEED);
            /* The same bytes at another address hash the same. */
            assert_true(h == rn__hash_bytes(src + off, n, RN__HASH_SEED));
            free(c);
            if (n == 0 && off > 0)
                continue; /* the empty string is the same at any offset */
            for (size_t k = 0; k < nseen; k++)
                assert_true(seen[k] != h);
            seen[nseen++] = h;
        }
        assert_true(rn__hash_bytes(NULL, 0, RN__HASH_SEED) ==
                    rn__hash_bytes(src, 0, RN__HASH_SEED));
    }
}

static void test_hash_every_bit_matters(void **state)
{
    (void)state;
    uint64_t r = 99;
    for (size_t n = 1; n <= 64; n++) {
        unsigned char buf[64];
        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)rng_next(&r);
        uint64_t h = rn__hash_bytes(buf, n, 1);
        for (size_t bit = 0; bit < n * 8; bit++) {
            buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
            assert_true(rn__hash_bytes(buf, n, 1) != h);
            buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        }
        /* The seed matters too, and so does a trailing zero byte. */
        assert_true(rn__hash_bytes(buf, n, 2) != h);
        unsigned char z[65] = {0};
        assert_true(rn__hash_bytes(z, n, 1) != rn__hash_bytes(z, n - 1, 1));
    }
}

/* Flipping one input bit should flip each output bit about half the time. */
static void test_hash_avalanche(void **state)
{
    (void)state;
    static const size_t lens[] = {1, 3, 4, 7, 8, 12, 16, 17, 31, 48, 64, 100};
    uint64_t r = 7;
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t n = lens[li];
        unsigned flips[64] = {0};
        unsigned trials = 0;
        for (int rep = 0; rep < 64; rep++) {
            unsigned char buf[100];
            for (size_t i = 0; i < n; i++)
                buf[i] = (unsigned char)rng_next(&r);
            uint64_t h = rn__hash_bytes(buf, n, RN__HASH_SEED);
            for (size_t bit = 0; bit < n * 8; bit++) {
                buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
                uint64_t d = h ^ rn__hash_bytes(buf, n, RN__HASH_SEED);
                buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
                for (int o = 0; o < 64; o++)
                    flips[o] += (unsigned)(d >> o) & 1;
                trials++;
            }
        }
        for (int o = 0; o < 64; o++) {
            double f = (double)flips[o] / trials;
            if (f < 0.40 || f > 0.60)
                fail_msg("length %zu: output bit %d flips %.3f of the time", n,
                         o, f);
        }
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Sequential keys must not collide and must spread over the low bits that
 * the table uses. */
static void test_hash_spread(void **state)
{
    (void)state;
    enum { N = 100000, B = 1024 };
    uint64_t *hs = malloc(N * sizeof *hs);
    unsigned buckets[B] = {0};
    char key[32];
    for (int i = 0; i < N; i++) {
        int n = snprintf(key, sizeof key, "key%d", i);
        hs[i] = rn__hash_bytes(key, (size_t)n, RN__HASH_SEED);
        buckets[hs[i] & (B - 1)]++;
    }
    /* N/B is about 98; a bucket past 3x that would mean clustering. */
    for (int b = 0; b < B; b++)
        assert_true(buckets[b] > 30 && buckets[b] < 300);
    /* No two of the 64-bit values agree (sort, then compare neighbours). */
    qsort(hs, N, sizeof *hs, cmp_u64);
    for (int i = 1; i < N; i++)
        assert_true(hs[i] != hs[i - 1]);
    free(hs);
}

static void test_hmap_basics(void **state)
{
    (void)state;
    tst_alloc t = tst_alloc_init();
    rn_allocator mem = tst_allocator(&t);
    rn__hmap m;
    assert_int_equal(rn__hmap_init(&m, &mem, 0), RN_OK);
    assert_int_equal(t.calls, 0);
    assert_null(rn__hmap_find(&m, "a", 1, 1));
    assert_int_equal(rn__hmap_count(&m), 0);

    uint32_t *v;
    bool found = true;
    uint64_t h = rn__hash_bytes("apple", 5, RN__HASH_SEED);
    assert_int_equal(rn__hmap_put(&m, "apple", 5, h, &v, &found), RN_OK);
    assert_false(found);
    assert_int_equal(*v, 0);
    *v = 42;
    /* Same bytes at another address are the same key. */
    char other[] = "apple";
    assert_int_equal(rn__hmap_put(&m, other, 5, h, &v, &found), RN_OK);
    assert_true(found);
    assert_int_equal(*v, 42);
    uint32_t *fv = rn__hmap_find(&m, other, 5, h);
    assert_non_null(fv);
    assert_int_equal(*fv, 42);
    /* Prefix is a different key. */
    assert_null(rn__hmap_find(&m, "appl", 4, h));

    /* The empty key, given as NULL or as "", is one key. */
    uint64_t he = rn__hash_bytes(NULL, 0, RN__HASH_SEED);
    assert_int_equal(rn__hmap_put(&m, NULL, 0, he, &v, &found), RN_OK);
    assert_false(found);
    *v = 7;
    assert_int_equal(rn__hmap_put(&m, "", 0, he, &v, &found), RN_OK);
    assert_true(found);
    assert_int_equal(*v, 7);
    assert_int_equal(rn__hmap_count(&m), 2);

    size_t pos = 0, visits = 0;
    const rn__hmap_slot *s;
    while ((s = rn__hmap_next(&m, &pos)) != NULL) {
        assert_true(s->value == 42 || s->value == 7);
        assert_non_null(s->key);
        visits++;
    }
    assert_int_equal(visits, 2);
    assert_int_equal(rn__hmap_bytes(&m), t.live);

    rn__hmap_free(&m);
    rn__hmap_free(&m);
    assert_int_equal(t.live, 0);
    assert_int_equal(t.nlive, 0);

    /* A zeroed table works too. */
    memset(&m, 0, sizeof m);
    assert_null(rn__hmap_find(&m, "x", 1, 3));
    assert_int_equal(rn__hmap_put(&m, "x", 1, 3, &v, &found), RN_OK);
    assert_non_null(rn__hmap_find(&m, "x", 1, 3));
    pos = 0;
    assert_non_null(rn__hmap_next(&m, &pos));
    assert_null(rn__hmap_next(&m, &pos));
    rn__hmap_free(&m);
}

/* Every key gets the same hash: the table must fall back on comparing bytes
 * and lengths, and growth must keep every colliding entry. */
static void test_hmap_forced_collisions(void **state)
{
    (void)state;
    enum { N = 600 };
    static char keys[N][12];
    rn__hmap m;
    assert_int_equal(rn__hmap_init(&m, NULL, 0), RN_OK);
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "%d", i); /* "1" vs "10" vs "100" */
        uint32_t *v;
        bool found;
        assert_int_equal(
            rn__hmap_put(&m, keys[i], strlen(keys[i]), 42, &v, &found), RN_OK);
        assert_false(found);
        *v = (uint32_t)i;
    }
    assert_int_equal(rn__hmap_count(&m), N);
    for (int i = 0; i < N; i++) {
        uint32_t *v = rn__hmap_find(&m, keys[i], strlen(keys[i]), 42);
        assert_non_null(v);
        assert_int_equal(*v, i);
        /* The right bytes with the wrong hash are not found. */
        assert_null(rn__hmap_find(&m, keys[i], strlen(keys[i]), 43));
    }
    assert_null(rn__hmap_find(&m, "600", 3, 42));
    assert_null(rn__hmap_find(&m, "", 0, 42));
    rn__hmap_free(&m);

    /* Hashes that differ only above any mask land in one bucket but are
     * still told apart by the stored hash, with no key compare needed. */
    assert_int_equal(rn__hmap_init(&m, NULL, 0), RN_OK);
    for (uint64_t i = 0; i < 100; i++) {
        uint32_t *v;
        bool found;
        assert_int_equal(rn__hmap_put(&m, "same", 4, i << 48, &v, &found),
                         RN_OK);
        assert_false(found);
        *v = (uint32_t)i;
    }
    for (uint64_t i = 0; i < 100; i++)
        assert_int_equal(*rn__hmap_find(&m, "same", 4, i << 48), i);
    rn__hmap_free(&m);
}

static void test_hmap_growth_and_iteration(void **state)
{
    (void)state;
    enum { N = 200000 };
    tst_alloc t = tst_alloc_init();
    rn_allocator mem = tst_allocator(&t);
    char *keys = malloc((size_t)N * 16);
    rn__hmap m;
    assert_int_equal(rn__hmap_init(&m, &mem, 0), RN_OK);
    for (int i = 0; i < N; i++) {
        char *k = keys + (size_t)i * 16;
        int n = snprintf(k, 16, "k%d", i);
        uint32_t *v;
        bool found;
        uint64_t h = rn__hash_bytes(k, (size_t)n, RN__HASH_SEED);
        assert_int_equal(rn__hmap_put(&m, k, (size_t)n, h, &v, &found), RN_OK);
        assert_false(found);
        *v = (uint32_t)i;
        /* The load limit holds at every size. */
        assert_true(rn__hmap_count(&m) * 10 <= m.cap * 7);
    }
    assert_int_equal(rn__hmap_count(&m), N);
    for (int i = 0; i < N; i++) {
        const char *k = keys + (size_t)i * 16;
        size_t n = strlen(k);
        uint32_t *v = rn__hmap_find(&m, k, n, rn__hash_bytes(k, n, RN__HASH_SEED));
        assert_non_null(v);
        assert_int_equal(*v, i);
    }
    unsigned char *hit = calloc(N, 1);
    size_t pos = 0, visits = 0;
    const rn__hmap_slot *s;
    while ((s = rn__hmap_next(&m, &pos)) != NULL) {
        assert_true(s->value < N);
        assert_int_equal(hit[s->value], 0);
        hit[s->value] = 1;
        assert_ptr_equal(s->key, keys + (size_t)s->value * 16);
        visits++;
    }
    assert_int_equal(visits, N);
    assert_int_equal(rn__hmap_bytes(&m), t.live);
    rn__hmap_free(&m);
    assert_int_equal(t.live, 0);
    free(hit);
    free(keys);
}

static void test_hmap_reserve_means_no_allocation(void **state)
{
    (void)state;
    tst_alloc t = tst_alloc_init();
    rn_allocator mem = tst_allocator(&t);
    rn__hmap m;
    assert_int_equal(rn__hmap_init(&m, &mem, 1000), RN_OK);
    size_t calls = t.calls;
    static int ids[1000];
    for (int i = 0; i < 1000; i++) {
        uint32_t *v;
        bool found;
        ids[i] = i;
        assert_int_equal(rn__hmap_put(&m, &ids[i], sizeof ids[i],
                                      (uint64_t)i * 0x9e3779b97f4a7c15u, &v,
                                      &found),
                         RN_OK);
    }
    assert_int_equal(t.calls, calls);
    assert_int_equal(rn__hmap_reserve(&m, 500), RN_OK); /* smaller: no-op */
    assert_int_equal(t.calls, calls);
    rn__hmap_free(&m);
    assert_int_equal(t.live, 0);

    /* Sizes no allocator can give fail cleanly. */
    assert_int_equal(rn__hmap_init(&m, &mem, SIZE_MAX / 2), RN_ENOMEM);
    assert_int_equal(rn__hmap_count(&m), 0);
    rn__hmap_free(&m);
    assert_int_equal(t.live, 0);
}

/* Inserts N keys with allocation number fail_at refused. An RN_ENOMEM must
 * leave the table exactly as it was; then the allocator heals and the same
 * table takes the rest. */
static void test_hmap_enomem_at_every_allocation(void **state)
{
    (void)state;
    enum { N = 300 };
    static char keys[N][12];
    for (int i = 0; i < N; i++)
        snprintf(keys[i], sizeof keys[i], "%d", i);
    bool clean_run = false;
    for (long fail_at = 0; !clean_run; fail_at++) {
        tst_alloc t = tst_alloc_init();
        t.fail_at = fail_at;
        rn_allocator mem = tst_allocator(&t);
        rn__hmap m;
        bool failed = false;
        int rc = rn__hmap_init(&m, &mem, fail_at % 2 ? 4 : 0);
        if (rc == RN_ENOMEM) {
            failed = true;
            assert_int_equal(rn__hmap_count(&m), 0);
            t.fail_at = -1;
        } else {
            assert_int_equal(rc, RN_OK);
        }
        for (int i = 0; i < N; i++) {
            size_t n = strlen(keys[i]);
            uint64_t h = rn__hash_bytes(keys[i], n, RN__HASH_SEED);
            uint32_t *v;
            bool found;
            rc = rn__hmap_put(&m, keys[i], n, h, &v, &found);
            if (rc == RN_ENOMEM) {
                failed = true;
                assert_int_equal(rn__hmap_count(&m), (size_t)i);
                assert_null(rn__hmap_find(&m, keys[i], n, h));
                for (int j = 0; j < i; j++) {
                    size_t nj = strlen(keys[j]);
                    uint32_t *vj = rn__hmap_find(
                        &m, keys[j], nj, rn__hash_bytes(keys[j], nj, RN__HASH_SEED));
                    assert_non_null(vj);
                    assert_int_equal(*vj, j);
                }
                /* A key that is already there never needs memory. */
                if (i > 0) {
                    size_t n0 = strlen(keys[0]);
                    assert_int_equal(
                        rn__hmap_put(&m, keys[0], n0,
                                     rn__hash_bytes(keys[0], n0, RN__HASH_SEED),
                                     &v, &found),
                        RN_OK);
                    assert_true(found);
                }
                t.fail_at = -1;
                rc = rn__hmap_put(&m, keys[i], n, h, &v, &found);
            }
            assert_int_equal(rc, RN_OK);
            assert_false(found);
            *v = (uint32_t)i;
        }
        assert_int_equal(rn__hmap_count(&m), N);
        rn__hmap_free(&m);
        assert_int_equal(t.live, 0);
        assert_int_equal(t.nlive, 0);
        clean_run = !failed;
        assert_true(fail_at < 1000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_every_length_in_bounds),
        cmocka_unit_test(test_hash_every_bit_matters),
        cmocka_unit_test(test_hash_avalanche),
        cmocka_unit_test(test_hash_spread),
        cmocka_unit_test(test_hmap_basics),
        cmocka_unit_test(test_hmap_forced_collisions),
        cmocka_unit_test(test_hmap_growth_and_iteration),
        cmocka_unit_test(test_hmap_reserve_means_no_allocation),
        cmocka_unit_test(test_hmap_enomem_at_every_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
