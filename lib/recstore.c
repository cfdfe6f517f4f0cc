/*
 * recstore.c - record copies in one block each: [rn_record][rn_field x n]
 * [bytes]. The views in the copy point into its own bytes, so a kept record
 * is yielded by handing out the rn_record at the start of the block.
 *
 * Invariants: a copy's fields, raw and line/offset equal the original's in
 * content; an empty field points into the block (never dangles, never NULL
 * unless the original raw was NULL). Slots round their blocks up to a power
 * of two and shrink when a block is more than 8 times what its record needs,
 * so a slot costs at most about 8 times its record plus 1 KiB.
 */
#include "recstore.h"

#include "runnel_internal.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#define SLOT_MIN ((size_t)128)   /* smallest slot block */
#define SLOT_SLACK ((size_t)1024) /* blocks this small are never shrunk */
#define STORE_CHUNK (256 * RN__KIB)

/* Whether every non-empty field lies inside raw, so that storing raw once
 * stores them all (lines, log lines and unquoted CSV rows). */
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

/* Bytes after the views: raw alone, or every field then raw. 0 with *ok
 * false on overflow. */
static size_t byte_count(const rn_record *r, bool inside, bool *ok)
{
    *ok = true;
    if (inside)
        return r->raw.len;
    size_t n = r->raw.len;
    for (size_t i = 0; i < r->nfields; i++) {
        if (r->fields[i].len > SIZE_MAX - n) {
            *ok = false;
            return 0;
        }
        n += r->fields[i].len;
    }
    return n;
}

static size_t layout(const rn_record *r, bool *inside)
{
    *inside = fields_in_raw(r);
    bool ok;
    size_t bytes = byte_count(r, *inside, &ok);
    size_t head = sizeof(rn_record);
    if (!ok || r->nfields > (SIZE_MAX - head) / sizeof(rn_field))
        return 0;
    head += r->nfields * sizeof(rn_field);
    if (bytes > SIZE_MAX - head)
        return 0;
    return head + bytes;
}

size_t rn__rec_copy_size(const rn_record *r)
{
    bool inside;
    return layout(r, &inside);
}

/* Writes the copy of r into block (big enough, aligned for rn_record). */
static rn_record *write_copy(void *block, const rn_record *r, bool inside)
{
    rn_record *c = block;
    rn_field *f = (rn_field *)(c + 1);
    char *bytes = (char *)(f + r->nfields);
    *c = *r;
    c->fields = f;
    if (inside) {
        memcpy(bytes, r->raw.ptr, r->raw.len);
        for (size_t i = 0; i < r->nfields; i++) {
            f[i].len = r->fields[i].len;
            f[i].ptr = f[i].len ? bytes + (r->fields[i].ptr - r->raw.ptr)
                                : bytes;
        }
        c->raw.ptr = bytes;
        return c;
    }
    char *p = bytes;
    for (size_t i = 0; i < r->nfields; i++) {
        f[i].ptr = p;
        f[i].len = r->fields[i].len;
        if (f[i].len) {
            memcpy(p, r->fields[i].ptr, f[i].len);
            p += f[i].len;
        }
    }
    if (r->raw.ptr) {
        if (r->raw.len)
            memcpy(p, r->raw.ptr, r->raw.len);
        c->raw.ptr = p;
    }
    return c;
}

int rn__recslot_set(rn__recslot *s, const rn_allocator *mem,
                    const rn_record *r)
{
    bool inside;
    size_t need = layout(r, &inside);
    if (need == 0)
        return RN_ETOOBIG;
    if (s->rec && need <= s->cap &&
        (s->cap <= SLOT_SLACK || s->cap / 8 <= need)) {
        write_copy(s->rec, r, inside);
        return RN_OK;
    }
    /* A power of two, so records that grow slowly do not reallocate each
     * time; the new block is in hand before the old one goes. */
    size_t cap = SLOT_MIN;
    while (cap < need && cap <= SIZE_MAX / 2)
        cap *= 2;
    if (cap < need)
        cap = need;
    void *block = rn__alloc(mem, cap);
    if (!block)
        return RN_ENOMEM;
    rn__free(mem, s->rec, s->cap);
    s->rec = write_copy(block, r, inside);
    s->cap = cap;
    return RN_OK;
}

void rn__recslot_free(rn__recslot *s, const rn_allocator *mem)
{
    rn__free(mem, s->rec, s->cap);
    s->rec = NULL;
    s->cap = 0;
}

void rn__recstore_init(rn__recstore *st, const rn_allocator *mem,
                       size_t chunk_size)
{
    rn__arena_init(&st->arena, mem, chunk_size ? chunk_size : STORE_CHUNK);
    st->count = 0;
}

const rn_record *rn__recstore_add(rn__recstore *st, const rn_record *r)
{
    bool inside;
    size_t need = layout(r, &inside);
    if (need == 0)
        return NULL;
    void *block = rn__arena_alloc(&st->arena, need, alignof(rn_record));
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
