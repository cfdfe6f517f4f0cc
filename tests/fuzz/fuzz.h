/*
 * fuzz.h - helpers shared by the libFuzzer targets in tests/fuzz/: a source
 * that hands out bytes in chunks of sizes taken from the input, a growing
 * byte buffer, a drain that touches every byte of every record (so that
 * AddressSanitizer sees a view that points at freed or foreign memory) and
 * checks the stepping rules of runnel.h, and FZ_CHECK, which aborts with a
 * message. Everything here is static: each target is one translation unit
 * that defines LLVMFuzzerTestOneInput and nothing else global.
 */
#ifndef RN_FUZZ_H
#define RN_FUZZ_H

#include "runnel.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The entry point of every target; tests/fuzz/replay.c calls it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a finding: say which and abort, so that libFuzzer
 * saves the input and the replay fails. */
#define FZ_CHECK(cond, ...)                                                \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__,         \
                    __LINE__, #cond);                                      \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
            abort();                                                       \
        }                                                                  \
    } while (0)

/* ---- a byte buffer ------------------------------------------------------- */

typedef struct fz_buf {
    char *p;
    size_t len, cap;
} fz_buf;

static inline void fz_put(fz_buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        FZ_CHECK(np != NULL, "out of memory in the harness");
        b->p = np;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Appends a length as 8 bytes, so that encoded records compare exactly
 * whatever bytes their fields hold. */
static inline void fz_put_len(fz_buf *b, size_t n)
{
    uint64_t v = n;
    fz_put(b, &v, sizeof v);
}

static inline void fz_buf_free(fz_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- a chunked source ---------------------------------------------------- */

/* Hands out data in reads of sizes[0], sizes[1], ... (cycling, each at least
 * 1), never more than the source's buffer: the source's block_size is set to
 * the largest size so that an overread of a block is an overflow of its
 * buffer. Lives on the caller's stack; the source does not free it. */
typedef struct fz_chunks {
    const uint8_t *data;
    size_t len, pos;
    size_t sizes[8];
    size_t nsizes, next;
} fz_chunks;

static inline ptrdiff_t fz_chunks_read(void *ud, void *buf, size_t cap)
{
    fz_chunks *c = ud;
    size_t n = c->sizes[c->next++ % c->nsizes];
    if (n > cap)
        n = cap;
    if (n > c->len - c->pos)
        n = c->len - c->pos;
    if (n)
        memcpy(buf, c->data + c->pos, n);
    c->pos += n;
    return (ptrdiff_t)n;
}

/* A source over data[0..len) in chunks of the given sizes (0 becomes 1). so
 * may be NULL; its block_size is replaced. */
static inline rn_source *fz_chunked(fz_chunks *c, const uint8_t *data,
                                    size_t len, const size_t *sizes,
                                    size_t nsizes, const rn_source_opts *so)
{
    rn_source_opts o;
    if (so)
        o = *so;
    else
        memset(&o, 0, sizeof o);
    memset(c, 0, sizeof *c);
    c->data = data;
    c->len = len;
    if (nsizes == 0 || nsizes > 8)
        nsizes = 1;
    size_t maxs = 1;
    for (size_t i = 0; i < nsizes; i++) {
        c->sizes[i] = sizes ? sizes[i] : 1;
        if (c->sizes[i] == 0)
            c->sizes[i] = 1;
        if (c->sizes[i] > maxs)
            maxs = c->sizes[i];
    }
    c->nsizes = nsizes;
    o.block_size = maxs;
    return rn_source_callback(fz_chunks_read, NULL, c, &o);
}

/* ---- draining ------------------------------------------------------------ */

/* Sums every byte a record shows, so each view is read in full. */
static inline unsigned fz_touch(const rn_record *r)
{
    unsigned h = 0;
    for (size_t i = 0; i < r->nfields; i++) {
        FZ_CHECK(r->fields[i].len == 0 || r->fields[i].ptr != NULL,
                 "field %zu: NULL ptr with len %zu", i, r->fields[i].len);
        for (size_t k = 0; k < r->fields[i].len; k++)
            h = h * 31 + (unsigned char)r->fields[i].ptr[k];
    }
    FZ_CHECK(r->raw.len == 0 || r->raw.ptr != NULL, "raw: NULL ptr");
    for (size_t k = 0; k < r->raw.len; k++)
        h = h * 31 + (unsigned char)r->raw.ptr[k];
    return h;
}

/* Called for each record a drain sees, with its index. */
typedef void (*fz_rec_fn)(void *ud, const rn_schema *s, const rn_record *r,
                          size_t i);

/* Steps it to its end with rn_next_batch() and rn_next() mixed as mix's bits
 * say, touching every record and checking the stepping rules: only RN_ROW
 * with n >= 1, RN_DONE or a negative status (no push source here, so no
 * RN_AGAIN); the end and errors are sticky; an error has a message. Calls
 * fn (may be NULL) for each record. Returns the final status. */
static inline int fz_drain(rn_iter *it, unsigned mix, fz_rec_fn fn, void *ud)
{
    volatile unsigned sink = 0;
    size_t k = 0;
    int rc;
    for (unsigned step = 0;; step++) {
        if ((mix >> (step % 8)) & 1) {
            rn_batch b;
            rc = rn_next_batch(it, &b);
            if (rc != RN_ROW)
                break;
            FZ_CHECK(b.n >= 1 && b.recs != NULL, "RN_ROW with n %zu", b.n);
            for (size_t i = 0; i < b.n; i++) {
                sink += fz_touch(&b.recs[i]);
                if (fn)
                    fn(ud, rn_schema_of(it), &b.recs[i], k);
                k++;
            }
        } else {
            const rn_record *r = NULL;
            rc = rn_next(it, &r);
            if (rc != RN_ROW)
                break;
            FZ_CHECK(r != NULL, "RN_ROW without a record");
            sink += fz_touch(r);
            if (fn)
                fn(ud, rn_schema_of(it), r, k);
            k++;
        }
    }
    FZ_CHECK(rc == RN_DONE || rc < 0, "step returned %d", rc);
    if (rc < 0) {
        const char *m = rn_errmsg(it);
        FZ_CHECK(m != NULL && m[0] != '\0', "error %d without a message", rc);
        FZ_CHECK(rn_status(it) == rc, "status %d after error %d",
                 rn_status(it), rc);
    } else {
        FZ_CHECK(rn_status(it) == RN_DONE, "status %d after RN_DONE",
                 rn_status(it));
    }
    const rn_record *r;
    int again = rn_next(it, &r);
    FZ_CHECK(again == rc, "not sticky: %d then %d", rc, again);
    rn_batch b;
    again = rn_next_batch(it, &b);
    FZ_CHECK(again == rc, "not sticky (batch): %d then %d", rc, again);
    /* The schema and the stats must be readable at the end, too. */
    const rn_schema *s = rn_schema_of(it);
    for (size_t i = 0; s && i < rn_schema_count(s); i++)
        sink += (unsigned)rn_schema_name(s, i).len;
    rn_stats st;
    rn_stats_of(it, &st);
    sink += (unsigned)strlen(rn_stats_detail(it));
    (void)sink;
    return rc;
}

/* An on_reject callback that reads every byte it is shown. */
static inline void fz_on_reject(void *ud, const char *source, uint64_t line,
                                uint64_t offset, const char *reason,
                                const char *raw, size_t rawlen)
{
    volatile unsigned h = 0;
    (void)line;
    (void)offset;
    h += (unsigned)strlen(source) + (unsigned)strlen(reason);
    for (size_t i = 0; i < rawlen; i++)
        h = h * 31 + (unsigned char)raw[i];
    if (ud)
        (*(size_t *)ud)++;
    (void)h;
}

#endif
