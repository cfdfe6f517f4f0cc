/*
 * fuzz_gzip.c - the gzip decoder under the line reader. Two runs per input:
 *  1. the raw input as the stream (gzip when it starts with the magic bytes,
 *     else plain), from memory and in chunks: no crash, no leak;
 *  2. the input after a 6-byte header, deflated here with zlib (level,
 *     strategy, one or two members as the header says), then truncated
 *     and/or one byte corrupted at positions the header gives, read in
 *     chunks. Oracles: an intact stream gives back exactly the input's lines
 *     and RN_DONE; a truncated one (not at a member boundary) ends in
 *     RN_EGZIP after lines that are a prefix of the input's.
 * Lines are read with keep_cr, so that joining them with '\n' rebuilds the
 * input exactly.
 */
#include "fuzz.h"

#include <zlib.h>

/* Collects lines as "line\n". */
static void join(void *ud, const rn_schema *s, const rn_record *r, size_t i)
{
    fz_buf *b = ud;
    (void)s;
    (void)i;
    FZ_CHECK(r->nfields == 1, "a line with %zu fields", r->nfields);
    fz_put(b, r->fields[0].ptr, r->fields[0].len);
    fz_put(b, "\n", 1);
}

/* Appends one gzip member of p[0..n) to out. */
static void deflate_member(fz_buf *out, const uint8_t *p, size_t n, int level,
                           int strategy)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    FZ_CHECK(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, strategy) ==
                 Z_OK, "deflateInit2");
    size_t bound = deflateBound(&z, (uLong)n) + 32;
    fz_put(out, NULL, 0);
    size_t at = out->len;
    for (size_t i = 0; i < bound; i++) /* grow, then write in place */
        fz_put(out, "", 1);
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out->p + at;
    z.avail_out = (uInt)bound;
    FZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate");
    out->len = at + z.total_out;
    deflateEnd(&z);
}

static int read_lines(const uint8_t *z, size_t zlen, size_t chunk,
                      unsigned mix, fz_buf *got)
{
    fz_chunks c;
    size_t sizes[3] = {chunk, chunk * 3 + 1, 1};
    rn_lines_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.keep_cr = 1;
    rn_iter *it = rn_lines_new(fz_chunked(&c, z, zlen, sizes, 3, NULL), &lo);
    FZ_CHECK(it != NULL, "rn_lines_new: out of memory");
    int rc = fz_drain(it, mix, join, got);
    rn_free(it);
    return rc;
}

static int is_prefix(const fz_buf *a, const fz_buf *b)
{
    return a->len <= b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* 1. The raw input. */
    rn_iter *it = rn_lines_new(rn_source_mem(data, size, NULL), NULL);
    if (it) {
        fz_drain(it, size ? data[0] : 0, NULL, NULL);
        rn_free(it);
    }
    size_t chunk = size ? (size_t)data[size - 1] % 17 + 1 : 1;
    fz_buf got;
    memset(&got, 0, sizeof got);
    read_lines(data, size, chunk, 0x5a, &got);
    fz_buf_free(&got);

    /* 2. Deflated here, then damaged. */
    if (size < 6)
        return 0;
    unsigned mode = data[0];
    size_t cut = (size_t)data[1] | (size_t)data[2] << 8;
    size_t bad = (size_t)data[3] | (size_t)data[4] << 8;
    uint8_t flip = data[5];
    const uint8_t *p = data + 6;
    size_t n = size - 6;
    int level = (int)(mode % 10);
    int strategy = (mode >> 4) & 1 ? Z_FILTERED
                   : (mode >> 5) & 1 ? Z_HUFFMAN_ONLY : Z_DEFAULT_STRATEGY;
    int two = (mode >> 6) & 1;
    int damage = mode >> 7; /* 0: truncate only, 1: corrupt as well */

    fz_buf z;
    memset(&z, 0, sizeof z);
    size_t half = two ? n / 2 : n;
    deflate_member(&z, p, half, level, strategy);
    size_t first = z.len;
    if (two)
        deflate_member(&z, p + half, n - half, level, strategy);

    /* The input's lines as the reader gives them back. */
    fz_buf want;
    memset(&want, 0, sizeof want);
    fz_put(&want, p, n);
    if (n && p[n - 1] != '\n')
        fz_put(&want, "\n", 1);

    /* Intact: exactly the input. */
    memset(&got, 0, sizeof got);
    int rc = read_lines((const uint8_t *)z.p, z.len, chunk, mode, &got);
    FZ_CHECK(rc == RN_DONE && got.len == want.len &&
                 (got.len == 0 || memcmp(got.p, want.p, got.len) == 0),
             "intact stream of %zu bytes (%zu in): rc %d, %zu bytes out, "
             "want %zu", z.len, n, rc, got.len, want.len);
    fz_buf_free(&got);

    /* Truncated at cut, and corrupted at bad when damage says so. */
    size_t zlen = z.len;
    if (zlen > 2) {
        cut = 2 + cut % (zlen - 2); /* keeps the magic, loses >= 1 byte */
        if (damage)
            z.p[bad % zlen] ^= (char)(flip ? flip : 1);
        memset(&got, 0, sizeof got);
        rc = read_lines((const uint8_t *)z.p, cut, chunk, mode ^ 0xff, &got);
        if (!damage || bad % zlen >= cut) {
            if (two && cut == first) {
                /* A whole first member: a complete stream of the first
                 * half, whose last line may lack its '\n'. */
                fz_buf want1;
                memset(&want1, 0, sizeof want1);
                fz_put(&want1, p, half);
                if (half && p[half - 1] != '\n')
                    fz_put(&want1, "\n", 1);
                FZ_CHECK(rc == RN_DONE && got.len == want1.len &&
                             is_prefix(&got, &want1),
                         "cut after the first member (%zu of %zu): rc %d, "
                         "%zu bytes out, want %zu", cut, zlen, rc, got.len,
                         want1.len);
                fz_buf_free(&want1);
            } else {
                FZ_CHECK(rc == RN_EGZIP,
                         "truncated at %zu of %zu (first member %zu): rc %d",
                         cut, zlen, first, rc);
                FZ_CHECK(is_prefix(&got, &want),
                         "truncated at %zu of %zu: %zu bytes out, not a "
                         "prefix", cut, zlen, got.len);
            }
        }
        fz_buf_free(&got);
        /* Corrupted whole: anything but a crash or a leak. */
        if (damage) {
            memset(&got, 0, sizeof got);
            read_lines((const uint8_t *)z.p, zlen, chunk, mode, &got);
            fz_buf_free(&got);
        }
    }
    fz_buf_free(&want);
    fz_buf_free(&z);
    return 0;
}
