/*
 * test_find.c - the block search of find.c against a naive reference, on
 * every implementation (portable C, SSE2, AVX2; those the CPU lacks fall back
 * and are tested as the fallback): needles of every length from 1 to 40 at
 * every position of haystacks of every length up to 200, with and without
 * ASCII case, bytes that fold to letters (OR 0x20) without being letters,
 * and the count of one byte at every length and alignment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"
#include "base/find.h"

#include <stdlib.h>
#include <string.h>

static const int paths[] = {RN__FIND_SCALAR, RN__FIND_SSE2, RN__FIND_AVX2,
                            RN__FIND_AUTO};
#define NPATHS (sizeof paths / sizeof *paths)

static unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static const char *naive(const char *h, size_t n, const char *nd, size_t m,
                         bool ci)
{
    for (size_t i = 0; m <= n && i <= n - m; i++) {
        size_t k = 0;
        while (k < m && (ci ? fold((unsigned char)h[i + k]) ==
                                  fold((unsigned char)nd[k])
                            : h[i + k] == nd[k]))
            k++;
        if (k == m)
            return h + i;
    }
    return NULL;
}

/* Every hit, in order, by restarting after each one. */
static void check_all(const char *h, size_t n, const char *nd, size_t m,
                      bool ci)
{
    rn_field f = {nd, m};
    for (size_t p = 0; p < NPATHS; p++) {
        rn__finder fd;
        rn__finder_init_path(&fd, f, ci, paths[p]);
        size_t at = 0;
        for (;;) {
            const char *want = naive(h + at, n - at, nd, m, ci);
            const char *got = rn__finder_find(&fd, h + at, n - at);
            if (want != got)
                fail_msg("path %d ci %d needle '%.*s' in %zu bytes from %zu: "
                         "want %td, got %td", paths[p], ci, (int)m, nd, n, at,
                         want ? want - h : -1, got ? got - h : -1);
            if (!got)
                break;
            at = (size_t)(got - h) + 1;
        }
    }
}

/* Haystacks of a small alphabet, so that probe bytes match often and the
 * whole-needle check decides; the needle is cut from the haystack itself,
 * then planted again near the end, so every position and the last possible
 * start are tried. */
static void test_random_against_naive(void **state)
{
    (void)state;
    static const char alpha[] = "aAbB|@`[{ eE\n";
    uint64_t seed = 7;
    char *h = malloc(256), *nd = malloc(64);
    for (size_t n = 0; n <= 200; n++) {
        for (int round = 0; round < 6; round++) {
            for (size_t i = 0; i < n; i++)
                h[i] = alpha[tst_rnd(&seed) % (sizeof alpha - 1)];
            size_t m = 1 + tst_rnd(&seed) % 40;
            if (n >= m && round % 2 == 0) {
                memcpy(nd, h + tst_rnd(&seed) % (n - m + 1), m);
                memcpy(h + n - m, nd, m); /* a hit at the very end */
            } else {
                for (size_t i = 0; i < m; i++)
                    nd[i] = alpha[tst_rnd(&seed) % (sizeof alpha - 1)];
            }
            /* Flip the case of some letters of the needle: only the caseless
             * search may still find it. */
            for (size_t i = 0; round >= 3 && i < m; i += 2)
                if ((nd[i] | 0x20) >= 'a' && (nd[i] | 0x20) <= 'z')
                    nd[i] ^= 0x20;
            check_all(h, n, nd, m, false);
            check_all(h, n, nd, m, true);
        }
    }
    free(h);
    free(nd);
}

/* '@' | 0x20 is '`' and '[' | 0x20 is '{': folding must touch letters
 * only, or "@" would find "`". */
static void test_fold_letters_only(void **state)
{
    (void)state;
    const char *h = "x`{^~ ERRor |ERROR| Error";
    check_all(h, strlen(h), "@", 1, true);
    check_all(h, strlen(h), "[", 1, true);
    check_all(h, strlen(h), "error", 5, true);
    check_all(h, strlen(h), "|error|", 7, true);
    check_all(h, strlen(h), "|error|", 7, false);
    rn__finder f;
    rn_field nd = {"@", 1};
    for (size_t p = 0; p < NPATHS; p++) {
        rn__finder_init_path(&f, nd, true, paths[p]);
        assert_null(rn__finder_find(&f, h, strlen(h)));
    }
}

/* A long haystack with rare hits, as the line reader sees it: each hit is
 * found in turn, with none missed at the 16- and 32-byte step edges. */
static void test_long_haystack(void **state)
{
    (void)state;
    size_t n = 1 << 20;
    char *h = malloc(n);
    for (size_t i = 0; i < n; i++)
        h[i] = (char)('a' + i % 23);
    size_t planted = 0;
    for (size_t at = 5; at + 5 < n; at += 997 + planted % 61, planted++)
        memcpy(h + at, planted % 2 ? "ERROR" : "error", 5);
    for (size_t p = 0; p < NPATHS; p++) {
        rn__finder f;
        rn_field nd = {"Error", 5};
        rn__finder_init_path(&f, nd, true, paths[p]);
        size_t found = 0;
        const char *at = h;
        while ((at = rn__finder_find(&f, at, (size_t)(h + n - at))) != NULL) {
            found++;
            at++;
        }
        assert_int_equal(found, planted);
        rn__finder_init_path(&f, nd, false, paths[p]);
        assert_null(rn__finder_find(&f, h, n));
    }
    free(h);
}

static void test_count_byte(void **state)
{
    (void)state;
    uint64_t seed = 3;
    size_t cap = 20000;
    char *buf = malloc(cap);
    for (size_t i = 0; i < cap; i++)
        buf[i] = tst_rnd(&seed) % 5 ? 'x' : '\n';
    buf[100] = (char)0xff; /* high bytes are not the byte counted */
    for (size_t off = 0; off < 40; off++) {
        for (size_t n = 0; off + n <= cap; n += n < 300 ? 1 : 997) {
            uint64_t want = 0;
            for (size_t i = 0; i < n; i++)
                want += buf[off + i] == '\n';
            for (size_t p = 0; p < NPATHS; p++) {
                if (rn__count_byte_path(buf + off, n, '\n', paths[p]) != want)
                    fail_msg("path %d: %zu bytes at %zu", paths[p], n, off);
                /* The same through a finder's own implementation. */
                rn__finder f;
                rn_field nd = {"x", 1};
                rn__finder_init_path(&f, nd, false, paths[p]);
                if (rn__finder_count(&f, buf + off, n, '\n') != want)
                    fail_msg("finder, path %d: %zu bytes at %zu", paths[p], n,
                             off);
            }
        }
    }
    /* Every byte the same, past the 255-step counters of the SIMD paths. */
    memset(buf, '\n', cap);
    for (size_t p = 0; p < NPATHS; p++) {
        assert_int_equal(rn__count_byte_path(buf, cap, '\n', paths[p]), cap);
        assert_int_equal(rn__count_byte_path(buf, cap, 0xff, paths[p]), 0);
    }
    assert_int_equal(rn__count_byte(buf, cap, '\n'), cap);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_against_naive),
        cmocka_unit_test(test_fold_letters_only),
        cmocka_unit_test(test_long_haystack),
        cmocka_unit_test(test_count_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
