/*
 * test_gzip.c - the decoder that sits on every source: gzip detection by
 * magic bytes, inflation at every chunk size, multi-member files, plain
 * pass-through without copies, truncated and corrupt input, RN_AGAIN and
 * inner errors, and out-of-memory at each allocation. Most tests run twice:
 * inflating in the caller's thread (RN_GZIP_THREAD_OFF) and in a thread of
 * its own (RN_GZIP_THREAD_ON), which must give the same bytes, codes and
 * messages. Faults (truncation, bad CRC and length, garbage after a member,
 * read errors, short reads at chosen points) are checked against what zlib
 * alone makes of the same bytes: everything decodable before the fault comes
 * out, then the error. The thread's own cases (early free, stop, push,
 * progress) are in test_gzip_thread.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "support.h"
#include "source/source_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST
#include <zlib.h>

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

/* Where the test at hand inflates: RN_GZIP_THREAD_OFF or _ON (see BOTH). */
static int mode = RN_GZIP_THREAD_OFF;

/* o (or defaults) with the test's thread mode. */
static rn_source_opts mode_opts(const rn_source_opts *o)
{
    rn_source_opts m = {0};
    if (o)
        m = *o;
    m.gzip_thread = mode;
    return m;
}

/* What zlib alone makes of in: members one after another, up to the end of
 * in or the first error, from one call with all the input. A decoder must
 * deliver exactly these bytes before it reports the end or an error, however
 * the input is cut into blocks. The caller frees the result. */
static char *ref_inflate(const void *in, size_t len, size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    z.next_in = in;
    z.avail_in = (uInt)len;
    for (;;) {
        if (n == cap)
            out = realloc(out, cap *= 2);
        z.next_out = (unsigned char *)out + n;
        z.avail_out = (uInt)(cap - n);
        int zr = inflate(&z, Z_NO_FLUSH);
        n = cap - z.avail_out;
        if (zr == Z_STREAM_END && z.avail_in > 0) {
            inflateReset(&z);
            continue;
        }
        if (zr != Z_OK || (z.avail_out > 0 && z.avail_in == 0))
            break;
    }
    inflateEnd(&z);
    *outlen = n;
    return out;
}

/* Reads input through a callback source at the given chunk size and checks
 * that exactly want comes out. */
static void expect_output(const void *in, size_t inlen, size_t chunk,
                          const rn_source_opts *o, const void *want,
                          size_t wantlen)
{
    rn_source_opts m = mode_opts(o);
    rn_source *s = tst_chunked_source(in, inlen, chunk, &m);
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
            rn_source_opts o = mode_opts(NULL);
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
    rn_source_opts o = mode_opts(NULL);
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
 * whole: decoded data before a bad spot is delivered, not dropped. Beyond
 * that it must be exactly what zlib alone decodes of the same bytes. */
static void expect_error(const void *in, size_t inlen, size_t chunk, int code,
                         const char *needle, bool at_end, const void *want,
                         size_t wantlen, bool whole)
{
    rn_source_opts m = mode_opts(NULL);
    rn_source *s = tst_chunked_source(in, inlen, chunk, &m);
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
    size_t reflen;
    char *ref = ref_inflate(in, inlen, &reflen);
    if (out.len != reflen)
        fail_msg("chunk %zu: %zu bytes out, zlib alone makes %zu", chunk,
                 out.len, reflen);
    free(ref);
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
    static const size_t chunks[] = {1, 2, 3, 4, 5, 6, 7, 8, 64, 4096, 1 << 20};
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
        for (size_t j = 0; j < sizeof chunks / sizeof *chunks; j++)
            expect_error(z, cut, chunks[j], RN_EGZIP, "truncated gzip stream",
                         false, t, n, true);
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
    static const size_t chunks[] = {1,  2,  3,  4,  5,  6,   7,    8,
                                    9,  10, 11, 12, 13, 16, 64, 4096,
                                    1 << 20};
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
    rn_source_opts o = mode_opts(NULL);
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

/* ---- faults of the inner source ------------------------------------------ */

/* Reads in through a fault source f in the test's mode and checks that the
 * final code is code (and sticky), the message is exactly msg (unless NULL),
 * the bytes out are exactly want, and raw compressed bytes were read. */
static void expect_fault(const void *in, size_t len, const tst_fault *f,
                         const rn_source_opts *o, int code, const char *msg,
                         const void *want, size_t wantlen, uint64_t raw)
{
    rn_source_opts m = mode_opts(o);
    rn_source *s = tst_fault_source(in, len, f, &m);
    assert_non_null(s);
    tst_buf out = {0};
    int rc = tst_source_drain(s, &out, NULL);
    if (rc != code)
        fail_msg("chunk %zu, fail at %zu: rc %d, want %d: %s", f->chunk,
                 f->fail_at, rc, code, rn_source_errmsg(s));
    if (msg && strcmp(rn_source_errmsg(s), msg) != 0)
        fail_msg("chunk %zu: message '%s', want '%s'", f->chunk,
                 rn_source_errmsg(s), msg);
    const char *p;
    size_t n;
    assert_int_equal(rn__source_next(s, &p, &n), code);
    if (out.len != wantlen)
        fail_msg("chunk %zu, fail at %zu: %zu bytes out, want %zu", f->chunk,
                 f->fail_at, out.len, wantlen);
    if (wantlen)
        assert_memory_equal(out.p, want, wantlen);
    assert_int_equal(rn_source_bytes_read(s), raw);
    rn_source_free(s);
    tst_buf_free(&out);
}

/* The inner source answers RN_AGAIN before every block: the decoder passes
 * it up from any state and resumes where it stopped (in the caller's thread:
 * a gzip thread cannot wait, see test_gzip_thread.c). */
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
            tst_fault f = {0};
            f.chunk = chunks[j];
            f.again = true;
            rn_source *s = tst_fault_source(in, inlen, &f, NULL);
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

/* A read that fails with EIO mid-stream: in the header, in the deflate
 * data, in the trailer and right after it. Everything zlib can decode from
 * the bytes before the failure comes out, then the inner source's own
 * message; plain input comes out up to the failure. */
static void test_read_error(void **state)
{
    (void)state;
    size_t n = 30000;
    char *t = text_bytes(n);
    size_t zlen;
    unsigned char *z = gz(t, n, &zlen);
    const size_t at[] = {0, 1, 2, 3, 9, 10, 11, 100, zlen / 2,
                         zlen - 8, zlen - 5, zlen - 1, zlen};
    static const size_t chunks[] = {1, 2, 3, 5, 7, 64, 4096, 0};
    for (int gzip = 0; gzip < 2; gzip++) {
        const void *in = gzip ? (const void *)z : (const void *)t;
        size_t inlen = gzip ? zlen : n;
        for (size_t i = 0; i < sizeof at / sizeof *at; i++) {
            size_t wantlen = at[i];
            char *want = gzip ? ref_inflate(z, at[i], &wantlen) : NULL;
            char msg[128];
            snprintf(msg, sizeof msg, "faulty: read failed at byte %zu: %s",
                     at[i], strerror(EIO));
            for (size_t j = 0; j < sizeof chunks / sizeof *chunks; j++) {
                tst_fault f = {0};
                f.chunk = chunks[j];
                f.fail_at = at[i];
                f.fail_code = RN_EIO;
                expect_fault(in, inlen, &f, NULL, RN_EIO, msg,
                             gzip ? want : t, wantlen, at[i]);
            }
            free(want);
        }
    }
    free(z);
    free(t);
}

/* Short reads at chosen points: inside the header, at its end, inside and
 * around the trailer, at the boundary between two members, one byte into
 * the next member. */
static void test_short_reads(void **state)
{
    (void)state;
    size_t na = 20000, nb = 5000;
    char *a = text_bytes(na), *b = text_bytes(nb);
    size_t za, zb;
    unsigned char *ga = gz(a, na, &za), *gb = gz(b, nb, &zb);
    char *in = cat2(ga, za, gb, zb), *plain = cat2(a, na, b, nb);
    size_t len = za + zb;
    const size_t cuts[] = {1, 2, 3, 4, 9, 10, 11, 12, za - 8, za - 7,
                           za - 4, za - 1, za, za + 1, za + 2, za + 10,
                           len - 8, len - 4, len - 1};
    static const size_t chunks[] = {0, 1, 2, 7, 4096};
    static const size_t bs[] = {0, 7, 4096};
    for (size_t j = 0; j < sizeof chunks / sizeof *chunks; j++) {
        for (size_t k = 0; k < sizeof bs / sizeof *bs; k++) {
            rn_source_opts o = {0};
            o.block_size = bs[k];
            tst_fault f = {0};
            f.chunk = chunks[j];
            f.cuts = cuts;
            f.ncuts = sizeof cuts / sizeof *cuts;
            expect_fault(in, len, &f, &o, RN_DONE, NULL, plain, na + nb, len);
        }
    }
    /* One short read alone at each point. */
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        tst_fault f = {0};
        f.cuts = &cuts[i];
        f.ncuts = 1;
        expect_fault(in, len, &f, NULL, RN_DONE, NULL, plain, na + nb, len);
    }
    free(in), free(plain), free(ga), free(gb), free(a), free(b);
}

/* Through the line reader: the lines before a cut come out, the line cut
 * short does not, and the error names the compressed offset of the cut. */
static void test_truncated_records(void **state)
{
    (void)state;
    size_t n = 200000;
    char *t = text_bytes(n);
    t[n - 1] = '\n';
    size_t zlen;
    unsigned char *z = gz(t, n, &zlen);
    const size_t cuts[] = {zlen / 4, zlen / 2, zlen - 20, zlen - 8, zlen - 1};
    static const size_t chunks[] = {3, 4096, 0};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        size_t reflen;
        char *ref = ref_inflate(z, cuts[i], &reflen);
        size_t whole = reflen;
        while (whole > 0 && ref[whole - 1] != '\n')
            whole--;
        assert_true(whole > 0);
        char needle[96];
        snprintf(needle, sizeof needle,
                 "truncated gzip stream: input ends at compressed byte %zu",
                 cuts[i]);
        for (size_t j = 0; j < sizeof chunks / sizeof *chunks; j++) {
            rn_source_opts o = mode_opts(NULL);
            o.block_size = 4096;
            tst_fault f = {0};
            f.chunk = chunks[j];
            rn_iter *it = rn_lines_new(tst_fault_source(z, cuts[i], &f, &o),
                                       NULL);
            char *out;
            size_t outlen;
            assert_int_equal(tst_drain(it, &out, &outlen), RN_EGZIP);
            if (!strstr(rn_errmsg(it), needle))
                fail_msg("'%s' lacks '%s'", rn_errmsg(it), needle);
            assert_int_equal(outlen, whole);
            assert_memory_equal(out, ref, whole);
            free(out);
            rn_free(it);
        }
        free(ref);
    }
    free(z);
    free(t);
}

/* Every fault under the failing allocator: each allocation failure is
 * RN_ENOMEM with nothing leaked, and once none fails the fault comes out as
 * it does with plenty of memory. */
static void test_faults_failing_allocator(void **state)
{
    (void)state;
    size_t n = 100000;
    char *t = text_bytes(n);
    size_t zlen;
    unsigned char *z = gz(t, n, &zlen);
    unsigned char *badcrc = malloc(zlen);
    memcpy(badcrc, z, zlen);
    badcrc[zlen - 8] ^= 0x55;
    struct {
        const unsigned char *in;
        size_t len, fail_at;
        int fail_code, code;
    } cases[] = {
        {z, zlen, 0, 0, RN_DONE},
        {z, zlen, zlen / 2, RN_EIO, RN_EIO},
        {z, zlen / 2, 0, 0, RN_EGZIP},
        {badcrc, zlen, 0, 0, RN_EGZIP},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        size_t wantlen;
        char *want = ref_inflate(cases[c].in,
                                 cases[c].fail_code ? cases[c].fail_at
                                                    : cases[c].len,
                                 &wantlen);
        bool finished = false;
        for (long fa = 0; !finished; fa++) {
            assert_true(fa < 1000);
            tst_alloc ta = tst_alloc_init();
            ta.fail_at = fa;
            rn_allocator a = tst_allocator(&ta);
            rn_source_opts o = mode_opts(NULL);
            o.allocator = &a;
            o.block_size = 8192;
            tst_fault f = {0};
            f.chunk = 1000;
            f.fail_at = cases[c].fail_at;
            f.fail_code = cases[c].fail_code;
            rn_source *s = tst_fault_source(cases[c].in, cases[c].len, &f, &o);
            if (s) {
                tst_buf out = {0};
                int rc = tst_source_drain(s, &out, NULL);
                assert_true(out.len <= wantlen);
                if (out.len)
                    assert_memory_equal(out.p, want, out.len);
                if (ta.failed) {
                    assert_int_equal(rc, RN_ENOMEM);
                    assert_true(strlen(rn_source_errmsg(s)) > 0);
                } else {
                    assert_int_equal(rc, cases[c].code);
                    assert_int_equal(out.len, wantlen);
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
        free(want);
    }
    free(badcrc);
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
            rn_source_opts o = mode_opts(NULL);
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

/* Memory does not grow with the input: the same peak for 1 MB and 50 MB,
 * through the source alone and through a line reader. */
static void test_constant_memory(void **state)
{
    (void)state;
    static unsigned char *z[2];
    static size_t zlen[2];
    static const size_t sizes[2] = {1000000, 50000000};
    size_t peaks[2][2];
    for (int i = 0; i < 2; i++) {
        if (!z[i]) {
            /* Made once for both modes; freed at exit. */
            char *t = text_bytes(sizes[i]);
            z[i] = gz(t, sizes[i], &zlen[i]);
            free(t);
        }
        for (int lines = 0; lines < 2; lines++) {
            tst_alloc ta = tst_alloc_init();
            rn_allocator a = tst_allocator(&ta);
            rn_source_opts o = mode_opts(NULL);
            o.allocator = &a;
            rn_source *s = rn_source_mem(z[i], zlen[i], &o);
            if (lines) {
                rn_iter *it = rn_count_new(rn_lines_new(s, NULL));
                const rn_record *rec;
                assert_int_equal(rn_next(it, &rec), RN_ROW);
                assert_int_equal(rn_next(it, &rec), RN_DONE);
                rn_free(it);
            } else {
                const char *p;
                size_t k, total = 0;
                int rc;
                while ((rc = rn__source_next(s, &p, &k)) == RN_ROW)
                    total += k;
                assert_int_equal(rc, RN_DONE);
                assert_int_equal(total, sizes[i]);
                rn_source_free(s);
            }
            assert_int_equal(ta.live, 0);
            peaks[lines][i] = ta.peak;
        }
    }
    assert_int_equal(peaks[0][0], peaks[0][1]);
    assert_int_equal(peaks[1][0], peaks[1][1]);
}

/* Each test in both modes: test_x_off inflates in the caller's thread,
 * test_x_thread in a thread of its own. */
#define BOTH(t)                                                              \
    static void t##_off(void **state)                                        \
    {                                                                        \
        mode = RN_GZIP_THREAD_OFF;                                           \
        t(state);                                                            \
    }                                                                        \
    static void t##_thread(void **state)                                     \
    {                                                                        \
        mode = RN_GZIP_THREAD_ON;                                            \
        t(state);                                                            \
    }
#define BOTH_TESTS(t) cmocka_unit_test(t##_off), cmocka_unit_test(t##_thread)

BOTH(test_roundtrip_small)
BOTH(test_roundtrip_text)
BOTH(test_roundtrip_random)
BOTH(test_roundtrip_compressible)
BOTH(test_small_block_sizes)
BOTH(test_blocks_are_full)
BOTH(test_multi_member)
BOTH(test_plain_passthrough)
BOTH(test_truncated)
BOTH(test_corrupt)
BOTH(test_garbage_after_member)
BOTH(test_no_decompress)
BOTH(test_read_error)
BOTH(test_short_reads)
BOTH(test_truncated_records)
BOTH(test_failing_allocator)
BOTH(test_faults_failing_allocator)
BOTH(test_constant_memory)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH_TESTS(test_roundtrip_small),
        BOTH_TESTS(test_roundtrip_text),
        BOTH_TESTS(test_roundtrip_random),
        BOTH_TESTS(test_roundtrip_compressible),
        BOTH_TESTS(test_small_block_sizes),
        BOTH_TESTS(test_blocks_are_full),
        BOTH_TESTS(test_multi_member),
        BOTH_TESTS(test_plain_passthrough),
        cmocka_unit_test(test_plain_zero_copy),
        BOTH_TESTS(test_truncated),
        BOTH_TESTS(test_corrupt),
        BOTH_TESTS(test_garbage_after_member),
        BOTH_TESTS(test_no_decompress),
        cmocka_unit_test(test_again_resumes),
        BOTH_TESTS(test_read_error),
        BOTH_TESTS(test_short_reads),
        BOTH_TESTS(test_truncated_records),
        BOTH_TESTS(test_failing_allocator),
        BOTH_TESTS(test_faults_failing_allocator),
        BOTH_TESTS(test_constant_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
