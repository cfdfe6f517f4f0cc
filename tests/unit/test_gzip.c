/*
 * test_gzip.c - the decoder that sits on every source: gzip detection by
 * magic bytes, inflation at every chunk size, multi-member files, plain
 * pass-through without copies, truncated and corrupt input, RN_AGAIN and
 * inner errors, and out-of-memory at each allocation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "support.h"
#include "runnel_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------- */

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static char *random_bytes(size_t n)
{
    char *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (char)(rng() & 0xff);
    return p;
}

/* Log-like lines: compressible but not trivially. */
static char *text_bytes(size_t n)
{
    static const char *words[] = {"INFO", "WARN", "ERROR", "user", "login",
                                  "GET /index.html", "timeout", "42", "ok"};
    char *p = malloc(n + 64);
    size_t len = 0;
    while (len < n) {
        len += (size_t)snprintf(p + len, 64, "2024-01-%02u|%s|%s %u\n",
                                (unsigned)(rng() % 28 + 1),
                                words[rng() % 3], words[3 + rng() % 6],
                                (unsigned)(rng() % 1000));
    }
    return p; /* only the first n bytes are used */
}

static unsigned char *gz(const void *data, size_t len, size_t *outlen)
{
    unsigned char *z = tst_gzip(data, len, outlen);
    assert_non_null(z);
    return z;
}

/* Concatenates a and b into a malloc'd buffer. */
static char *cat2(const void *a, size_t na, const void *b, size_t nb)
{
    char *p = malloc(na + nb + 1);
    memcpy(p, a, na);
    memcpy(p + na, b, nb);
    return p;
}

static const size_t big_chunks[] = {1000, 4096, 65536, 1 << 20};

/* Reads input through a callback source at the given chunk size and checks
 * that exactly want comes out. */
static void expect_output(const void *in, size_t inlen, size_t chunk,
                          const rn_source_opts *o, const void *want,
                          size_t wantlen)
{
    rn_source *s = tst_chunked_source(in, inlen, chunk, o);
    assert_non_null(s);
    tst_buf out = {0};
    int rc = tst_source_drain(s, &out, NULL);
    if (rc != RN_DONE)
        fail_msg("chunk %zu: rc %d: %s", chunk, rc, rn_source_errmsg(s));
    assert_int_equal(out.len, wantlen);
    if (wantlen)
        assert_memory_equal(out.p, want, wantlen);
    rn_source_free(s);
    tst_buf_free(&out);
}

/* Every chunk size 1..64 and the large ones. */
static void expect_all_chunks(const void *in, size_t inlen, const void *want,
                              size_t wantlen)
{
    for (size_t c = 1; c <= 64; c++)
        expect_output(in, inlen, c, NULL, want, wantlen);
    for (size_t i = 0; i < sizeof big_chunks / sizeof *big_chunks; i++)
        expect_output(in, inlen, big_chunks[i], NULL, want, wantlen);
}

static void roundtrip(const void *data, size_t len)
{
    size_t zlen;
    unsigned char *z = gz(data, len, &zlen);
    expect_all_chunks(z, zlen, data, len);
    free(z);
}

/* ---- round trips --------------------------------------------------------- */

static void test_roundtrip_small(void **state)
{
    (void)state;
    roundtrip("", 0);
    roundtrip("x", 1);
    roundtrip("\x1f", 1);
    roundtrip("\x1f\x8b", 2);
    const char *t = "hello, gzip\nsecond line\r\nthird";
    roundtrip(t, strlen(t));
}

static void test_roundtrip_text(void **state)
{
    (void)state;
    size_t n = 300000;
    char *t = text_bytes(n);
    roundtrip(t, n);
    free(t);
}

static void test_roundtrip_random(void **state)
{
    (void)state;
    size_t n = 3 * 1000 * 1000;
    char *r = random_bytes(n);
    roundtrip(r, n);
    free(r);
}

static void test_roundtrip_compressible(void **state)
{
    (void)state;
    size_t n = 5 * 1000 * 1000;
    char *p = malloc(n);
    memset(p, 'a', n);
    roundtrip(p, n);
    free(p);
}

/* Small output buffers put every block edge inside matches and members. */
static void test_small_block_sizes(void **state)
{
    (void)state;
    size_t n = 20000;
    char *t = text_bytes(n);
    size_t zlen;
    unsigned char *z = gz(t, n, &zlen);
    static const size_t bs[] = {1, 2, 3, 7, 64, 1000};
    static const size_t chunks[] = {1, 5, 64, 100000};
    for (size_t i = 0; i < sizeof bs / sizeof *bs; i++) {
        for (size_t j = 0; j < sizeof chunks / sizeof *chunks; j++) {
            rn_source_opts o = {0};
            o.block_size = bs[i];
            rn_source *s = tst_chunked_source(z, zlen, chunks[j], &o);
            tst_buf out = {0};
            assert_int_equal(tst_source_drain(s, &out, NULL), RN_DONE);
            assert_int_equal(out.len, n);
            assert_memory_equal(out.p, t, n);
            assert_true(out.max_block <= bs[i]);
            rn_source_free(s);
            tst_buf_free(&out);
        }
    }
    free(z);
    free(t);
}

/* Output blocks are filled across input blocks: tiny input chunks must not
 * turn into tiny output blocks. */
static void test_blocks_are_full(void **state)
{
    (void)state;
    size_t n = 1000000;
    char *t = text_bytes(n);
    size_t zlen;
    unsigned char *z = gz(t, n, &zlen);
    rn_source_opts o = {0};
    o.block_size = 4096;
    rn_source *s = tst_chunked_source(z, zlen, 7, &o);
    tst_buf out = {0};
    assert_int_equal(tst_source_drain(s, &out, NULL), RN_DONE);
    assert_int_equal(out.len, n);
    assert_int_equal(out.blocks, (n + 4095) / 4096);
    rn_source_free(s);
    tst_buf_free(&out);
    free(z);
    free(t);
}

/* ---- multi-member -------------------------------------------------------- */

static void test_multi_member(void **state)
{
    (void)state;
    const char *a = "first member\n", *b = "second member\n";
    char *c = text_bytes(50000);
    size_t na = strlen(a), nb = strlen(b), nc = 50000;
    size_t za, zb, zc, ze;
    unsigned char *ga = gz(a, na, &za), *gb = gz(b, nb, &zb);
    unsigned char *gc = gz(c, nc, &zc), *ge = gz("", 0, &ze);

    char *two = cat2(ga, za, gb, zb);
    char *two_plain = cat2(a, na, b, nb);
    expect_all_chunks(two, za + zb, two_plain, na + nb);

    char *three = cat2(two, za + zb, gc, zc);
    char *three_plain = cat2(two_plain, na + nb, c, nc);
    expect_all_chunks(three, za + zb + zc, three_plain, na + nb + nc);

    /* Empty members at the start, in the middle and at the end. */
    char *e1 = cat2(ge, ze, ga, za);
    char *e2 = cat2(e1, ze + za, ge, ze);
    char *e3 = cat2(e2, ze + za + ze, gb, zb);
    char *e4 = cat2(e3, ze + za + ze + zb, ge, ze);
    expect_all_chunks(e4, 3 * ze + za + zb, two_plain, na + nb);
    expect_all_chunks(ge, ze, "", 0);

    /* Tiny output buffers: members end exactly where a block fills up. */
    static const size_t bs[] = {1, 2, 13};
    for (size_t i = 0; i < sizeof bs / sizeof *bs; i++) {
        rn_source_opts o = {0};
        o.block_size = bs[i];
        for (size_t k = 1; k <= 20; k += 3) {
            expect_output(three, za + zb + zc, k, &o, three_plain,
                          na + nb + nc);
            expect_output(e4, 3 * ze + za + zb, k, &o, two_plain, na + nb);
        }
    }

    free(two), free(two_plain), free(three), free(three_plain);
    free(e1), free(e2), free(e3), free(e4);
    free(ga), free(gb), free(gc), free(ge), free(c);
}

/* ---- plain input --------------------------------------------------------- */

static void test_plain_passthrough(void **state)
{
    (void)state;
    static const struct {
        const char *p;
        size_t n;
    } cases[] = {
        {"", 0},
        {"\x1f", 1},
        {"\x8b", 1},
        {"\x1f" "abc", 4},
        {"\x1f\x1f\x8b", 3},
        {"\x8b\x1f", 2},
        {"a", 1},
        {"plain text\nwith lines\n", 22},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_all_chunks(cases[i].p, cases[i].n, cases[i].p, cases[i].n);
    char *t = text_bytes(200000);
    expect_all_chunks(t, 200000, t, 200000);
    free(t);
}

/* Plain input is forwarded with the inner source's own pointers. */
static void test_plain_zero_copy(void **state)
{
    (void)state;
    static const char data[] = "\x1fnot gzip at all";
    rn_source *s = rn_source_mem(data, sizeof data - 1, NULL);
    const char *p;
    size_t n;
    assert_int_equal(rn__source_next(s, &p, &n), RN_ROW);
    assert_ptr_equal(p, data);
    assert_int_equal(n, sizeof data - 1);
    assert_int_equal(rn__source_next(s, &p, &n), RN_DONE);
    assert_int_equal(rn__source_next(s, &p, &n), RN_DONE);
    rn_source_free(s);
}

/* ---- bad input ----------------------------------------------------------- */

/* Expects code with needle in the message (at its very end when at_end).
 * Output before the failure must be a prefix of want, and all of it when
 * whole: decoded data before a bad spot is delivered, not dropped. */
static void expect_error(const void *in, size_t inlen, size_t chunk, int code,
                         const char *needle, bool at_end, const void *want,
                         size_t wantlen, bool whole)
{
    rn_source *s = tst_chunked_source(in, inlen, chunk, NULL);
    tst_buf out = {0};
    int rc = tst_source_drain(s, &out, NULL);
    const char *msg = rn_source_errmsg(s);
    if (rc != code)
        fail_msg("chunk %zu, %zu bytes: rc %d, want %d: %s", chunk, inlen, rc,
                 code, msg);
    const char *hit = strstr(msg, needle);
    if (!hit || (at_end && strcmp(hit, needle) != 0))
        fail_msg("chunk %zu: message '%s' lacks '%s'", chunk, msg, needle);
    /* Sticky: the next call returns the same error. */
    const char *p;
    size_t n;
    assert_int_equal(rn__source_next(s, &p, &n), code);
    assert_int_equal(rn_source_status(s), code);
    assert_true(out.len <= wantlen);
    if (out.len)
        assert_memory_equal(out.p, want, out.len);
    if (whole)
        assert_int_equal(out.len, wantlen);
    rn_source_free(s);
    tst_buf_free(&out);
}

static void test_truncated(void **state)
{
    (void)state;
    size_t n = 20000;
    char *t = text_bytes(n);
    size_t zlen;
    unsigned char *z = gz(t, n, &zlen);
    static const size_t chunks[] = {1, 3, 64, 1 << 20};
    /* A cut at 1 leaves a lone 0x1f, which is plain input, not gzip. */
    for (size_t cut = 2; cut < zlen; cut += cut < 64 ? 1 : 37) {
        char needle[96];
        snprintf(needle, sizeof needle,
                 "truncated gzip stream: input ends at compressed byte %zu",
                 cut);
        for (size_t j = 0; j < sizeof chunks / sizeof *chunks; j++)
            expect_error(z, cut, chunks[j], RN_EGZIP, needle, true, t, n,
                         false);
    }
    /* Cut inside the trailer: every byte of data is out before the error. */
    for (size_t cut = zlen - 7; cut < zlen; cut++)
        expect_error(z, cut, 5, RN_EGZIP, "truncated gzip stream", false, t,
                     n, true);
    free(z);
    free(t);
}

static void test_corrupt(void **state)
{
    (void)state;
    size_t n = 20000;
    char *t = text_bytes(n);
    size_t zlen;
    unsigned char *z = gz(t, n, &zlen);
    static const size_t chunks[] = {1, 2, 64, 1 << 20};
    unsigned char *bad = malloc(zlen);
    for (size_t j = 0; j < sizeof chunks / sizeof *chunks; j++) {
        memcpy(bad, z, zlen);
        bad[zlen - 8] ^= 0x55; /* CRC-32 */
        expect_error(bad, zlen, chunks[j], RN_EGZIP,
                     "corrupt gzip stream: incorrect data check at compressed "
                     "byte", false, t, n, true);
        memcpy(bad, z, zlen);
        bad[zlen - 2] ^= 0x01; /* ISIZE */
        expect_error(bad, zlen, chunks[j], RN_EGZIP, "incorrect length check",
                     false, t, n, true);
        memcpy(bad, z, zlen);
        bad[2] = 7; /* compression method */
        expect_error(bad, zlen, chunks[j], RN_EGZIP,
                     "unknown compression method at compressed byte", false,
                     t, n, false);
        memcpy(bad, z, zlen);
        for (size_t i = 20; i < 40; i++)
            bad[i] = (unsigned char)0xff; /* deflate data */
        expect_error(bad, zlen, chunks[j], RN_EGZIP, "compressed byte", false,
                     t, n, false);
    }
    free(bad);
    free(z);
    free(t);
}

static void test_garbage_after_member(void **state)
{
    (void)state;
    const char *a = "the only real member\n";
    size_t na = strlen(a), za;
    unsigned char *ga = gz(a, na, &za);
    char want[64];
    snprintf(want, sizeof want, "not a gzip member after byte %zu", za);
    static const char *tails[] = {"hello", "\x1fx", "\x8b\x1f", "\0\0\0\0"};
    static const size_t tlen[] = {5, 2, 2, 4};
    for (size_t i = 0; i < 4; i++) {
        char *in = cat2(ga, za, tails[i], tlen[i]);
        for (size_t c = 1; c <= 8; c++)
            expect_error(in, za + tlen[i], c, RN_EGZIP, want, true, a, na,
                         true);
        expect_error(in, za + tlen[i], 1 << 20, RN_EGZIP, want, true, a, na,
                     true);
        free(in);
    }
    /* A lone 0x1f after a member is the start of a member cut short. */
    char *in = cat2(ga, za, "\x1f", 1);
    for (size_t c = 1; c <= 8; c++)
        expect_error(in, za + 1, c, RN_EGZIP, "truncated gzip stream", false,
                     a, na, true);
    free(in);
    free(ga);
}

static void test_no_decompress(void **state)
{
    (void)state;
    const char *a = "keep me compressed\n";
    size_t za;
    unsigned char *ga = gz(a, strlen(a), &za);
    rn_source_opts o = {0};
    o.no_decompress = 1;
    for (size_t c = 1; c <= 16; c++)
        expect_output(ga, za, c, &o, ga, za);
    rn_source *s = rn_source_mem(ga, za, &o);
    tst_buf out = {0};
    assert_int_equal(tst_source_drain(s, &out, NULL), RN_DONE);
    assert_int_equal(out.len, za);
    assert_memory_equal(out.p, ga, za);
    rn_source_free(s);
    tst_buf_free(&out);
    free(ga);
}

/* ---- the inner source: RN_AGAIN, errors, bytes read ---------------------- */

/* An inner source that answers RN_AGAIN before every block of `chunk` bytes
 * and fails with fail_code after fail_after bytes (when fail_code != 0). */
typedef struct again_src {
    rn_source base;
    const char *data;
    size_t len, pos, chunk;
    bool ready;
    size_t fail_after;
    int fail_code;
} again_src;

static int again_next(rn_source *s, const char **p, size_t *n)
{
    again_src *a = (again_src *)s;
    if (a->fail_code && a->pos >= a->fail_after)
        return rn__source_fail(s, a->fail_code, "disk on fire at %zu",
                               a->pos);
    if (a->pos == a->len)
        return RN_DONE;
    if (!a->ready) {
        a->ready = true;
        return RN_AGAIN;
    }
    a->ready = false;
    size_t k = a->len - a->pos < a->chunk ? a->len - a->pos : a->chunk;
    *p = a->data + a->pos;
    *n = k;
    a->pos += k;
    s->raw_bytes += k;
    return RN_ROW;
}

static const rn__source_vt again_vt = {again_next, NULL};

static rn_source *again_new(const void *data, size_t len, size_t chunk,
                            size_t fail_after, int fail_code)
{
    again_src *a = rn__source_new(&again_vt, sizeof *a, "pushed", NULL, NULL);
    assert_non_null(a);
    a->data = data;
    a->len = len;
    a->chunk = chunk;
    a->fail_after = fail_after;
    a->fail_code = fail_code;
    return rn__decode_new(&a->base, NULL);
}

static void test_again_resumes(void **state)
{
    (void)state;
    size_t n = 30000;
    char *t = text_bytes(n);
    size_t zlen;
    unsigned char *z = gz(t, n, &zlen);
    static const size_t chunks[] = {1, 2, 3, 100, 1 << 20};
    for (int gzip = 0; gzip < 2; gzip++) {
        const void *in = gzip ? (const void *)z : (const void *)t;
        size_t inlen = gzip ? zlen : n;
        for (size_t j = 0; j < sizeof chunks / sizeof *chunks; j++) {
            rn_source *s = again_new(in, inlen, chunks[j], 0, 0);
            tst_buf out = {0};
            size_t agains = 0;
            const char *p;
            size_t k;
            int rc;
            for (;;) {
                rc = rn__source_next(s, &p, &k);
                if (rc == RN_AGAIN) {
                    agains++;
                    /* Bounded: one RN_AGAIN per inner block at most. */
                    assert_true(agains <= inlen / chunks[j] + 2);
                    continue;
                }
                if (rc != RN_ROW)
                    break;
                tst_buf_add(&out, p, k);
            }
            assert_int_equal(rc, RN_DONE);
            assert_true(agains > 0);
            assert_int_equal(out.len, n);
            assert_memory_equal(out.p, t, n);
            assert_int_equal(rn_source_bytes_read(s), inlen);
            rn_source_free(s);
            tst_buf_free(&out);
        }
    }
    free(z);
    free(t);
}

static void test_inner_error(void **state)
{
    (void)state;
    size_t n = 30000;
    char *t = text_bytes(n);
    size_t zlen;
    unsigned char *z = gz(t, n, &zlen);
    static const size_t at[] = {0, 1, 2, 500};
    for (int gzip = 0; gzip < 2; gzip++) {
        for (size_t i = 0; i < sizeof at / sizeof *at; i++) {
            rn_source *s = again_new(gzip ? (const void *)z : (const void *)t,
                                     gzip ? zlen : n, 1, at[i], RN_EIO);
            tst_buf out = {0};
            int rc;
            while ((rc = tst_source_drain(s, &out, NULL)) == RN_AGAIN)
                ;
            assert_int_equal(rc, RN_EIO);
            char want[64];
            snprintf(want, sizeof want, "pushed: disk on fire at %zu", at[i]);
            assert_string_equal(rn_source_errmsg(s), want);
            assert_true(out.len <= n);
            if (out.len)
                assert_memory_equal(out.p, t, out.len);
            rn_source_free(s);
            tst_buf_free(&out);
        }
    }
    free(z);
    free(t);
}

/* ---- memory -------------------------------------------------------------- */

static void test_failing_allocator(void **state)
{
    (void)state;
    size_t n = 100000;
    char *t = text_bytes(n);
    size_t zlen;
    unsigned char *z = gz(t, n, &zlen);
    char *plain = cat2("plain", 5, t, n);
    for (int gzip = 0; gzip < 2; gzip++) {
        bool finished = false;
        for (long f = 0; !finished; f++) {
            assert_true(f < 1000);
            tst_alloc ta = tst_alloc_init();
            ta.fail_at = f;
            rn_allocator a = tst_allocator(&ta);
            rn_source_opts o = {0};
            o.allocator = &a;
            o.block_size = 8192;
            rn_source *s = gzip ? tst_chunked_source(z, zlen, 1000, &o)
                                : tst_chunked_source(plain, n + 5, 1000, &o);
            if (s) {
                tst_buf out = {0};
                int rc = tst_source_drain(s, &out, NULL);
                if (ta.failed) {
                    assert_int_equal(rc, RN_ENOMEM);
                    assert_true(strlen(rn_source_errmsg(s)) > 0);
                } else {
                    assert_int_equal(rc, RN_DONE);
                    assert_int_equal(out.len, gzip ? n : n + 5);
                    assert_memory_equal(out.p, gzip ? t : plain, out.len);
                    finished = true;
                }
                rn_source_free(s);
                tst_buf_free(&out);
            } else {
                assert_true(ta.failed);
            }
            assert_int_equal(ta.live, 0);
            assert_int_equal(ta.nlive, 0);
        }
    }
    free(plain);
    free(z);
    free(t);
}

/* Memory does not grow with the input: the same peak for 1 MB and 20 MB. */
static void test_constant_memory(void **state)
{
    (void)state;
    size_t peaks[2];
    size_t sizes[2] = {1000000, 20000000};
    for (int i = 0; i < 2; i++) {
        char *t = text_bytes(sizes[i]);
        size_t zlen;
        unsigned char *z = gz(t, sizes[i], &zlen);
        tst_alloc ta = tst_alloc_init();
        rn_allocator a = tst_allocator(&ta);
        rn_source_opts o = {0};
        o.allocator = &a;
        rn_source *s = rn_source_mem(z, zlen, &o);
        const char *p;
        size_t k, total = 0;
        int rc;
        while ((rc = rn__source_next(s, &p, &k)) == RN_ROW)
            total += k;
        assert_int_equal(rc, RN_DONE);
        assert_int_equal(total, sizes[i]);
        rn_source_free(s);
        assert_int_equal(ta.live, 0);
        peaks[i] = ta.peak;
        free(z);
        free(t);
    }
    assert_int_equal(peaks[0], peaks[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_small),
        cmocka_unit_test(test_roundtrip_text),
        cmocka_unit_test(test_roundtrip_random),
        cmocka_unit_test(test_roundtrip_compressible),
        cmocka_unit_test(test_small_block_sizes),
        cmocka_unit_test(test_blocks_are_full),
        cmocka_unit_test(test_multi_member),
        cmocka_unit_test(test_plain_passthrough),
        cmocka_unit_test(test_plain_zero_copy),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_garbage_after_member),
        cmocka_unit_test(test_no_decompress),
        cmocka_unit_test(test_again_resumes),
        cmocka_unit_test(test_inner_error),
        cmocka_unit_test(test_failing_allocator),
        cmocka_unit_test(test_constant_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
