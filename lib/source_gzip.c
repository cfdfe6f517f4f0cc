/*
 * source_gzip.c - the decoder on every source: gzip is inflated, anything else
 * passes through with the inner source's own pointers (no buffer, no copy).
 * Detection is by the magic bytes 0x1f 0x8b only; one byte is stashed while
 * the second is awaited, so one-byte inner blocks work. Inflation writes
 * straight into the block handed out, so each output byte is written once.
 * Members are inflated one after another; other bytes after a member, or an
 * end inside one, are RN_EGZIP with the compressed offset. All state lives in
 * the struct, so RN_AGAIN can be passed up anywhere and the next call resumes.
 */
#include "runnel_internal.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Lets z_stream.next_in point at const input without casts. */
#define ZLIB_CONST
#include <zlib.h>

#define GZ_MAGIC0 0x1f
#define GZ_MAGIC1 0x8b

enum gz_state {
    GZ_DETECT = 0, /* fewer than two bytes seen: gzip or not is open */
    GZ_STASHED,    /* plain; the stashed byte went out, the block's rest next */
    GZ_PLAIN,      /* plain: inner blocks are forwarded as they are */
    GZ_INFLATE     /* gzip */
};

typedef struct gz_src {
    rn_source base;
    int state;                /* enum gz_state */
    unsigned char stash;      /* a lone first byte 0x1f, until the next one */
    bool stashed;             /* stash holds that byte */
    const unsigned char *in;  /* inner bytes not yet given to zlib */
    size_t nin;               /* their number */
    const unsigned char *rest; /* inner block queued behind the stash */
    size_t nrest;             /* its length */
    z_stream z;               /* zlib's stream; zalloc goes through base.mem */
    bool z_ready;             /* inflateInit2 succeeded: inflateEnd at close */
    bool out_full;            /* the last inflate filled out: call it again */
    bool member_end;          /* a member ended and no next one started yet */
    unsigned char *out;       /* output buffer, handed out as the block */
    size_t cap;               /* its size: block_size */
    uint64_t fed;             /* compressed bytes given to zlib so far */
    uint64_t member_start;    /* compressed offset where this member starts */
    int pending;              /* error to return after the block in hand */
} gz_src;

/* ---- zlib's memory through the chain's allocator ------------------------ */

/* zlib's free does not say how big the block was, while rn_allocator wants
 * the size back: keep it in a header aligned like any allocation. */
typedef union zhdr {
    size_t size;
    max_align_t align;
} zhdr;

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    rn_source *s = opaque;
    if (size && items > (SIZE_MAX - sizeof(zhdr)) / size)
        return Z_NULL;
    size_t total = (size_t)items * size + sizeof(zhdr);
    zhdr *h = rn__alloc(&s->mem, total);
    if (!h)
        return Z_NULL;
    h->size = total;
    return h + 1;
}

static void z_free(voidpf opaque, voidpf p)
{
    rn_source *s = opaque;
    if (!p)
        return;
    zhdr *h = (zhdr *)p - 1;
    rn__free(&s->mem, h, h->size);
}

/* ---- errors --------------------------------------------------------------- */

/* Takes on the inner source's error, message included: the user should see
 * why the file could not be read, not merely that the decoder stopped. */
static int adopt(gz_src *g, int rc)
{
    memcpy(g->base.err, g->base.inner->err, sizeof g->base.err);
    g->base.err[sizeof g->base.err - 1] = '\0';
    return rc;
}

/* Compressed bytes zlib has consumed: the offset of its next input byte. */
static uint64_t consumed(const gz_src *g)
{
    return g->fed - g->z.avail_in;
}

/* Fails with msg, but when decompressed bytes are already in the buffer
 * hands them out first: what came before a corrupt spot is good data, as zcat
 * shows it too. The message is written now, the code returned on the next
 * call. */
static int gz_fail(gz_src *g, const char **p, size_t *n, int code,
                   const char *msg)
{
    rn__source_msg(&g->base, "%s", msg);
    size_t olen = g->cap - g->z.avail_out;
    if (olen == 0)
        return code;
    g->pending = code;
    *p = (const char *)g->out;
    *n = olen;
    return RN_ROW;
}

/* gz_fail with zlib's reason and where in the compressed stream it was. */
static int gz_zfail(gz_src *g, const char **p, size_t *n, int code,
                    const char *what, int zr)
{
    char msg[256];
    snprintf(msg, sizeof msg, "%s: %s at compressed byte %llu", what,
             g->z.msg ? g->z.msg : zError(zr),
             (unsigned long long)consumed(g));
    return gz_fail(g, p, n, code, msg);
}

/* ---- gzip ----------------------------------------------------------------- */

static int gz_start(gz_src *g)
{
    g->out = rn__alloc(&g->base.mem, g->cap);
    if (!g->out)
        return rn__source_fail(&g->base, RN_ENOMEM,
                               "out of memory for the gzip output buffer");
    g->z.zalloc = z_alloc;
    g->z.zfree = z_free;
    g->z.opaque = &g->base;
    g->z.next_in = NULL;
    g->z.avail_in = 0;
    /* 16 + MAX_WBITS: gzip wrapper only, so a zlib or raw stream after a
     * member is an error rather than a surprise. */
    int zr = inflateInit2(&g->z, 16 + MAX_WBITS);
    if (zr != Z_OK)
        return rn__source_fail(&g->base,
                               zr == Z_MEM_ERROR ? RN_ENOMEM : RN_EGZIP,
                               "cannot start the gzip decoder: %s",
                               g->z.msg ? g->z.msg : zError(zr));
    g->z_ready = true;
    g->state = GZ_INFLATE;
    return RN_OK;
}

/* Checks that the bytes zlib is about to read at the start of a member are
 * the gzip magic. zlib would reject them too, but "incorrect header check"
 * does not tell the user that a second, different stream was appended. */
static bool magic_ok(const gz_src *g)
{
    static const unsigned char magic[2] = {GZ_MAGIC0, GZ_MAGIC1};
    uint64_t at = consumed(g);
    for (size_t i = 0; i < g->z.avail_in && at + i < g->member_start + 2; i++)
        if (g->z.next_in[i] != magic[at + i - g->member_start])
            return false;
    return true;
}

static int gz_inflate(gz_src *g, const char **p, size_t *n)
{
    z_stream *z = &g->z;
    if (g->pending)
        return g->pending;
    /* cap is at most 64 MiB (rn__block_size), so it fits a uInt. */
    z->next_out = g->out;
    z->avail_out = (uInt)g->cap;
    for (;;) {
        /* zlib has taken all input it was given and has no output left to
         * write: give it more. The previous inner block may go now, because
         * zlib keeps what it still needs in its own window. */
        if (z->avail_in == 0 && !g->out_full) {
            if (g->nin == 0 && g->nrest > 0) {
                g->in = g->rest;
                g->nin = g->nrest;
                g->nrest = 0;
            }
            if (g->nin == 0) {
                size_t olen = g->cap - z->avail_out;
                const char *b;
                size_t k;
                int rc = rn__source_next(g->base.inner, &b, &k);
                if (rc != RN_ROW && olen > 0) {
                    /* Hand out what is decoded; the inner status is sticky
                     * (or RN_AGAIN, which is simply asked again). */
                    *p = (const char *)g->out;
                    *n = olen;
                    return RN_ROW;
                }
                if (rc == RN_DONE) {
                    if (g->member_end)
                        return RN_DONE;
                    return rn__source_fail(
                        &g->base, RN_EGZIP,
                        "truncated gzip stream: input ends at compressed "
                        "byte %llu",
                        (unsigned long long)consumed(g));
                }
                if (rc < 0)
                    return adopt(g, rc);
                if (rc != RN_ROW)
                    return rc;
                g->in = (const unsigned char *)b;
                g->nin = k;
            }
            /* Blocks may exceed what one z_stream call takes (uInt). */
            uInt take = g->nin > UINT_MAX ? UINT_MAX : (uInt)g->nin;
            z->next_in = g->in;
            z->avail_in = take;
            g->in += take;
            g->nin -= take;
            g->fed += take;
            if (take == 0)
                continue;
        }
        if (g->member_end) {
            /* More input after a member: it must be the next member. */
            g->member_start = consumed(g);
            int zr = inflateReset(z);
            if (zr != Z_OK)
                return gz_zfail(g, p, n, RN_EGZIP, "cannot reset inflate", zr);
            g->member_end = false;
        }
        if (RN__UNLIKELY(consumed(g) < g->member_start + 2) && !magic_ok(g)) {
            char msg[96];
            snprintf(msg, sizeof msg, "not a gzip member after byte %llu",
                     (unsigned long long)g->member_start);
            return gz_fail(g, p, n, RN_EGZIP, msg);
        }
        int zr = inflate(z, Z_NO_FLUSH);
        g->out_full = false;
        switch (zr) {
        case Z_OK:
            /* A full buffer may hide output zlib still holds back. */
            g->out_full = z->avail_out == 0;
            break;
        case Z_BUF_ERROR:
            /* No progress was possible: zlib needs input, which the top of
             * the loop fetches. */
            break;
        case Z_STREAM_END:
            g->member_end = true;
            break;
        case Z_MEM_ERROR:
            return gz_zfail(g, p, n, RN_ENOMEM, "out of memory inflating",
                            zr);
        default:
            return gz_zfail(g, p, n, RN_EGZIP, "corrupt gzip stream", zr);
        }
        if (z->avail_out == 0) {
            *p = (const char *)g->out;
            *n = g->cap;
            return RN_ROW;
        }
    }
}

/* ---- detection and pass-through ------------------------------------------ */

static int gz_detect(gz_src *g, const char **p, size_t *n)
{
    for (;;) {
        const char *b;
        size_t k;
        int rc = rn__source_next(g->base.inner, &b, &k);
        if (rc == RN_DONE && g->stashed) {
            /* A lone 0x1f is a one-byte plain input. */
            g->state = GZ_PLAIN;
            *p = (const char *)&g->stash;
            *n = 1;
            return RN_ROW;
        }
        if (rc < 0)
            return adopt(g, rc);
        if (rc != RN_ROW)
            return rc;
        if (k == 0)
            continue;
        const unsigned char *u = (const unsigned char *)b;
        if (!g->stashed) {
            if (k == 1 && u[0] == GZ_MAGIC0) {
                g->stash = u[0];
                g->stashed = true;
                continue;
            }
            if (k >= 2 && u[0] == GZ_MAGIC0 && u[1] == GZ_MAGIC1) {
                g->in = u;
                g->nin = k;
                rc = gz_start(g);
                return rc < 0 ? rc : gz_inflate(g, p, n);
            }
            g->state = GZ_PLAIN;
            *p = b;
            *n = k;
            return RN_ROW;
        }
        /* The stash holds 0x1f and b follows it. */
        g->rest = u;
        g->nrest = k;
        if (u[0] == GZ_MAGIC1) {
            g->in = &g->stash;
            g->nin = 1;
            rc = gz_start(g);
            return rc < 0 ? rc : gz_inflate(g, p, n);
        }
        g->state = GZ_STASHED;
        *p = (const char *)&g->stash;
        *n = 1;
        return RN_ROW;
    }
}

static int gz_next(rn_source *s, const char **p, size_t *n)
{
    gz_src *g = (gz_src *)s;
    int rc;
    switch (g->state) {
    case GZ_PLAIN:
        rc = rn__source_next(s->inner, p, n);
        return rc < 0 ? adopt(g, rc) : rc;
    case GZ_INFLATE:
        return gz_inflate(g, p, n);
    case GZ_STASHED:
        g->state = GZ_PLAIN;
        *p = (const char *)g->rest;
        *n = g->nrest;
        g->nrest = 0;
        return RN_ROW;
    default:
        return gz_detect(g, p, n);
    }
}

static void gz_close(rn_source *s)
{
    gz_src *g = (gz_src *)s;
    if (g->z_ready)
        inflateEnd(&g->z);
    rn__free(&s->mem, g->out, g->cap);
}

static const rn__source_vt gz_vt = {gz_next, gz_close};

rn_source *rn__decode_new(rn_source *inner, const rn_source_opts *o)
{
    if (!inner)
        return NULL;
    gz_src *g = rn__source_new(&gz_vt, sizeof *g, inner->name, &inner->mem,
                               inner);
    if (!g)
        return NULL;
    g->cap = rn__block_size(o);
    return &g->base;
}
