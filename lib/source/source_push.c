/*
 * source_push.c - the push source: the application feeds bytes, the reader
 * pulls them as blocks, and RN_AGAIN says "nothing fed yet, come back".
 *
 * Two buffers take turns. `out` holds the block handed out last, which the
 * reader (and the records it cut from it) may still point into until its
 * next call to this source; `pend` collects what rn_feed() copies meanwhile.
 * rn_feed() therefore never moves or overwrites a byte of `out`. At the next
 * `next` call the old block is released: the buffers swap and the whole of
 * `pend` goes out as one block. So each byte is copied once (in rn_feed), and
 * both buffers stay as small as the largest backlog the application lets
 * build up between pulls; that backlog is capped at PUSH_MAX bytes.
 */
#include "source_internal.h"

#include <string.h>

#define PUSH_MAX (64 * RN__MIB) /* bytes fed and not yet handed out */
#define PUSH_MIN (4 * RN__KIB)  /* smallest buffer allocated */

typedef struct push_src {
    rn_source base;
    char *out;          /* the block handed out last; untouched until next */
    size_t out_cap;
    char *pend;         /* bytes fed since, not yet handed out */
    size_t pend_len, pend_cap;
    bool ended;         /* rn_feed_end() was called */
} push_src;

static int push_next(rn_source *s, const char **p, size_t *n)
{
    push_src *ps = (push_src *)s;
    /* The caller is done with the previous block: from here on its buffer
     * may take new bytes. */
    if (ps->pend_len == 0)
        return ps->ended ? RN_DONE : RN_AGAIN;
    char *b = ps->out;
    size_t cap = ps->out_cap;
    ps->out = ps->pend;
    ps->out_cap = ps->pend_cap;
    ps->pend = b;
    ps->pend_cap = cap;
    *p = ps->out;
    *n = ps->pend_len;
    s->raw_bytes += ps->pend_len;
    ps->pend_len = 0;
    return RN_ROW;
}

static void push_close(rn_source *s)
{
    push_src *ps = (push_src *)s;
    rn__free(&s->mem, ps->out, ps->out_cap);
    rn__free(&s->mem, ps->pend, ps->pend_cap);
}

static const rn__source_vt push_vt = {push_next, push_close};

/* The push source under src (src itself, or under the gzip decoder that
 * rn_source_push() puts on top), or NULL when src is not one. */
static push_src *push_of(rn_source *src)
{
    while (src && src->inner)
        src = src->inner;
    return src && src->vt == &push_vt ? (push_src *)src : NULL;
}

/* The first error of the sources from src down, else RN_DONE when one of
 * them has ended (the decoder after a stop request), else RN_OK. */
static int chain_status(const rn_source *src)
{
    int st = RN_OK;
    for (; src; src = src->inner) {
        if (src->status < 0)
            return src->status;
        if (src->status == RN_DONE)
            st = RN_DONE;
    }
    return st;
}

rn_source *rn_source_push(const rn_source_opts *o)
{
    push_src *ps = rn__source_new(&push_vt, sizeof *ps,
                                  o && o->name ? o->name : "<push>",
                                  o ? o->allocator : NULL, NULL);
    if (!ps)
        return NULL;
    ps->base.pushed = true;
    rn_source *s = &ps->base;
    /* The gzip decoder goes on top as for files (source.c, decoded()); it
     * passes RN_AGAIN up from any state and resumes where it stopped. */
    if (!(o && o->no_decompress))
        s = rn__decode_new(s, o);
    if (s && o) {
        s->stop = o->stop;
        s->progress = o->progress;
        s->progress_ud = o->progress_ud;
    }
    return s;
}

int rn_feed(rn_source *src, const void *data, size_t len)
{
    push_src *ps = push_of(src);
    if (!ps || (len && !data))
        return RN_EMISUSE;
    int st = chain_status(src);
    if (st < 0)
        return st;
    if (ps->ended || st == RN_DONE)
        return RN_EMISUSE;
    if (len == 0)
        return RN_OK;
    if (len > PUSH_MAX - ps->pend_len)
        return RN_ETOOBIG; /* nothing taken: pull first, or feed less */
    if (len > ps->pend_cap - ps->pend_len) {
        /* pend is not handed out, so it may move; out must not. */
        size_t need = ps->pend_len + len;
        size_t cap = ps->pend_cap ? ps->pend_cap : PUSH_MIN;
        while (cap < need)
            cap *= 2;
        if (cap > PUSH_MAX)
            cap = PUSH_MAX;
        char *nb = rn__alloc(&ps->base.mem, cap);
        if (!nb)
            return RN_ENOMEM; /* nothing taken; the source is unchanged */
        if (ps->pend_len)
            memcpy(nb, ps->pend, ps->pend_len);
        rn__free(&ps->base.mem, ps->pend, ps->pend_cap);
        ps->pend = nb;
        ps->pend_cap = cap;
    }
    memcpy(ps->pend + ps->pend_len, data, len);
    ps->pend_len += len;
    return RN_OK;
}

int rn_feed_end(rn_source *src)
{
    push_src *ps = push_of(src);
    if (!ps)
        return RN_EMISUSE;
    int st = chain_status(src);
    if (st < 0)
        return st;
    if (ps->ended)
        return RN_EMISUSE;
    ps->ended = true;
    return RN_OK;
}
