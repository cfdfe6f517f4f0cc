/*
 * recstore.c - compact record copies: [header][span x nfields][bytes], where
 * a span is a field's offset and length in bytes (32 bits each, so a copy
 * holds less than 4 GiB), and bytes start with raw. When every non-empty
 * field lies inside raw (the common case for lines, logs and plain CSV), raw
 * is all the bytes there are; otherwise each field's bytes follow raw.
 *
 * Invariants: a view of a copy equals the original in fields, raw (NULL
 * exactly when the original's was), line and offset; an empty field points
 * into the block. Slots round blocks up to a power of two and shrink when a
 * block is more than 8 times what its record needs, so a slot costs at most
 * about 8 times its record (or 1 KiB). Output batches take views from a pool
 * of at most 64 Ki views (or one record's worth, if wider), grown between
 * batches when batches end for want of views.
 */
#include "recstore.h"

#include "runnel_internal.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#define NO_RAW UINT32_MAX          /* rawlen of a record without raw */
#define SLOT_MIN ((size_t)128)     /* smallest slot block */
#define SLOT_SLACK ((size_t)1024)  /* blocks this small are never shrunk */
#define STORE_CHUNK (256 * RN__KIB)
#define POOL_MAX ((size_t)65536)   /* views per batch, unless one record
                                      needs more */

struct rn__reccopy {
    uint64_t line, offset;
    uint32_t nfields;
    uint32_t rawlen; /* NO_RAW: the original raw was {NULL, 0} */
};

typedef struct span {
    uint32_t off, len; /* into the bytes after the spans */
} span;

static const span *spans(const rn__reccopy *c)
{
    return (const span *)(c + 1);
}

static const char *bytes_of(const rn__reccopy *c)
{
    return (const char *)(spans(c) + c->nfields);
}

/* Whether every non-empty field lies inside raw, so that storing raw once
 * stores them all. */
static bool fields_in_raw(const rn_record *r)
{
    if (!r->raw.ptr || r->raw.len == 0)
        return false;
    uintptr_t lo = (uintptr_t)r->raw.ptr, hi = lo + r->raw.len;
    for (size_t i = 0; i < r->nfields; i++) {
        const rn_field *f = &r->fields[i];
        if (f->len == 0)
            continue;
        uintptr_t p = (uintptr_t)f->ptr;
        if (p < lo || p > hi || f->len > hi - p)
            return false;
    }
    return true;
}

/* Block size for r, or 0 when it does not fit the 32-bit spans. */
static size_t layout(const rn_record *r, bool *inside)
{
    *inside = fields_in_raw(r);
    if (r->nfields >= UINT32_MAX)
        return 0;
    size_t bytes = r->raw.ptr ? r->raw.len : 0;
    if (bytes >= UINT32_MAX)
        return 0;
    if (!*inside) {
        for (size_t i = 0; i < r->nfields; i++) {
            if (r->fields[i].len >= UINT32_MAX - bytes)
                return 0;
            bytes += r->fields[i].len;
        }
    }
    return sizeof(rn__reccopy) + r->nfields * sizeof(span) + bytes;
}

size_t rn__rec_copy_size(const rn_record *r)
{
    bool inside;
    return layout(r, &inside);
}

/* Writes the copy of r into block (big enough, aligned for the header). */
static rn__reccopy *write_copy(void *block, const rn_record *r, bool inside)
{
    rn__reccopy *c = block;
    c->line = r->line;
    c->offset = r->offset;
    c->nfields = (uint32_t)r->nfields;
    c->rawlen = r->raw.ptr ? (uint32_t)r->raw.len : NO_RAW;
    span *sp = (span *)(c + 1);
    char *bytes = (char *)(sp + r->nfields);
    size_t p = 0;
    if (r->raw.ptr && r->raw.len) {
        memcpy(bytes, r->raw.ptr, r->raw.len);
        p = r->raw.len;
    }
    for (size_t i = 0; i < r->nfields; i++) {
        const rn_field *f = &r->fields[i];
        sp[i].len = (uint32_t)f->len;
        if (f->len == 0) {
            sp[i].off = 0;
        } else if (inside) {
            sp[i].off = (uint32_t)(f->ptr - r->raw.ptr);
        } else {
            memcpy(bytes + p, f->ptr, f->len);
            sp[i].off = (uint32_t)p;
            p += f->len;
        }
    }
    return c;
}

int rn__rec_keep_failed(rn_iter *it, const char *what, int rc)
{
    if (rc == RN_ETOOBIG)
        return rn__iter_fail(it, rc,
                             "%s: a record of 4 GiB or more, or of more "
                             "than 4 billion fields, cannot be kept",
                             what);
    return rn__iter_fail(it, RN_ENOMEM, "%s: out of memory", what);
}

size_t rn__reccopy_nfields(const rn__reccopy *c)
{
    return c->nfields;
}

rn_field rn__reccopy_field(const rn__reccopy *c, size_t i)
{
    rn_field f = {"", 0};
    if (i < c->nfields) {
        const span *sp = &spans(c)[i];
        f.ptr = bytes_of(c) + sp->off;
        f.len = sp->len;
    }
    return f;
}

void rn__reccopy_view(const rn__reccopy *c, rn_record *r, rn_field *fields)
{
    const span *sp = spans(c);
    const char *bytes = bytes_of(c);
    for (size_t i = 0; i < c->nfields; i++) {
        fields[i].ptr = bytes + sp[i].off;
        fields[i].len = sp[i].len;
    }
    r->fields = fields;
    r->nfields = c->nfields;
    r->line = c->line;
    r->offset = c->offset;
    r->raw.ptr = c->rawlen == NO_RAW ? NULL : bytes;
    r->raw.len = c->rawlen == NO_RAW ? 0 : c->rawlen;
}

/* ---- slots --------------------------------------------------------------- */

int rn__recslot_set(rn__recslot *s, const rn_allocator *mem,
                    const rn_record *r)
{
    bool inside;
    size_t need = layout(r, &inside);
    if (need == 0)
        return RN_ETOOBIG;
    if (s->copy && need <= s->cap &&
        (s->cap <= SLOT_SLACK || s->cap / 8 <= need)) {
        write_copy(s->copy, r, inside);
        return RN_OK;
    }
    /* A power of two, so records that grow slowly do not reallocate each
     * time; the new block is in hand before the old one goes. */
    size_t cap = SLOT_MIN;
    while (cap < need)
        cap *= 2; /* need < 4 GiB + a little: no overflow */
    void *block = rn__alloc(mem, cap);
    if (!block)
        return RN_ENOMEM;
    rn__free(mem, s->copy, s->cap);
    s->copy = write_copy(block, r, inside);
    s->cap = cap;
    return RN_OK;
}

void rn__recslot_free(rn__recslot *s, const rn_allocator *mem)
{
    rn__free(mem, s->copy, s->cap);
    s->copy = NULL;
    s->cap = 0;
}

/* ---- the append-only store ----------------------------------------------- */

void rn__recstore_init(rn__recstore *st, const rn_allocator *mem,
                       size_t chunk_size)
{
    rn__arena_init(&st->arena, mem, chunk_size ? chunk_size : STORE_CHUNK);
    st->count = 0;
}

const rn__reccopy *rn__recstore_add(rn__recstore *st, const rn_record *r)
{
    bool inside;
    size_t need = layout(r, &inside);
    if (need == 0)
        return NULL;
    void *block = rn__arena_alloc(&st->arena, need, alignof(rn__reccopy));
    if (!block)
        return NULL;
    st->count++;
    return write_copy(block, r, inside);
}

size_t rn__recstore_bytes(const rn__recstore *st)
{
    return rn__arena_bytes(&st->arena);
}

void rn__recstore_free(rn__recstore *st)
{
    rn__arena_free(&st->arena);
    st->count = 0;
}

/* ---- output batches ------------------------------------------------------ */

int rn__recout_init(rn__recout *o, const rn_allocator *mem,
                    uint64_t max_records)
{
    memset(o, 0, sizeof *o);
    o->mem = rn__allocator(mem);
    size_t cap = max_records < RN__BATCH ? (size_t)max_records : RN__BATCH;
    if (cap == 0)
        return RN_OK;
    o->recs = rn__alloc(&o->mem, cap * sizeof *o->recs);
    if (!o->recs)
        return RN_ENOMEM;
    o->reccap = cap;
    return RN_OK;
}

/* Replaces the pool by one of cap views; only between batches. */
static bool pool_resize(rn__recout *o, size_t cap)
{
    rn_field *f = rn__alloc(&o->mem, cap * sizeof *f);
    if (!f)
        return false;
    rn__free(&o->mem, o->fields, o->fcap * sizeof *o->fields);
    o->fields = f;
    o->fcap = cap;
    return true;
}

void rn__recout_begin(rn__recout *o)
{
    /* Batches cut short for want of views: a bigger pool, if one can be had
     * (failing is fine, batches just stay small). */
    if (o->short_of_fields && o->fcap < POOL_MAX)
        pool_resize(o, o->fcap * 2 < POOL_MAX ? o->fcap * 2 : POOL_MAX);
    o->short_of_fields = false;
    o->n = 0;
    o->used = 0;
}

int rn__recout_add(rn__recout *o, const rn__reccopy *c)
{
    if (o->n == o->reccap)
        return 0;
    size_t nf = c->nfields;
    if (nf > o->fcap - o->used) {
        if (o->n > 0) {
            o->short_of_fields = true;
            return 0;
        }
        /* The batch is empty, so no view points into the pool yet. The
         * first size aims at a full batch of records like this one. */
        size_t cap = nf && o->reccap > POOL_MAX / nf ? POOL_MAX
                                                      : nf * o->reccap;
        if (cap < nf)
            cap = nf;
        if (cap < o->fcap * 2 && o->fcap * 2 <= POOL_MAX)
            cap = o->fcap * 2;
        if (!pool_resize(o, cap) && !pool_resize(o, nf))
            return RN_ENOMEM;
    }
    rn__reccopy_view(c, &o->recs[o->n], o->fields ? o->fields + o->used : NULL);
    o->n++;
    o->used += nf;
    return 1;
}

void rn__recout_batch(const rn__recout *o, rn_batch *out)
{
    out->recs = o->recs;
    out->n = o->n;
}

int rn__recout_slots(rn__recout *o, const void *slots, size_t stride,
                     size_t count, size_t *given, rn_batch *out)
{
    if (*given == count)
        return RN_DONE;
    rn__recout_begin(o);
    for (; *given < count; ++*given) {
        const rn__recslot *s =
            (const void *)((const char *)slots + *given * stride);
        int rc = rn__recout_add(o, s->copy);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
    }
    rn__recout_batch(o, out);
    return RN_ROW;
}

void rn__recout_free(rn__recout *o)
{
    rn__free(&o->mem, o->recs, o->reccap * sizeof *o->recs);
    rn__free(&o->mem, o->fields, o->fcap * sizeof *o->fields);
    o->recs = NULL;
    o->fields = NULL;
    o->reccap = o->fcap = 0;
}
