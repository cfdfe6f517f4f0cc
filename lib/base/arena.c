/*
 * arena.c - a bump allocator over chunks taken from an rn_allocator.
 *
 * Small requests are carved from the current "bump" chunk [cur, end); when it
 * is too full, a new chunk replaces it and the old tail is abandoned (at most a
 * quarter of a chunk, since bigger requests never go through the bump chunk).
 * Requests over a quarter of a chunk get a chunk of their own, so one long key
 * does not waste the rest of a shared chunk. Every chunk, bump or own, is on
 * one singly linked list that only rn__arena_free() walks; its order does not
 * matter. Chunks record their own size because rn_allocator frees need it.
 */
#include "arena.h"

#include "runnel_internal.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#define ARENA_DEFAULT_CHUNK (64 * RN__KIB)

struct rn__arena_chunk {
    rn__arena_chunk *next; /* older chunk, or NULL */
    size_t size;           /* bytes of this allocation, header included */
};

/* The header rounded up so that the bytes after it suit any type. */
#define ARENA_HDR                                                          \
    ((sizeof(rn__arena_chunk) + alignof(max_align_t) - 1) &                \
     ~(alignof(max_align_t) - 1))

void rn__arena_init(rn__arena *a, const rn_allocator *mem, size_t chunk_size)
{
    memset(a, 0, sizeof *a);
    a->mem = rn__allocator(mem);
    a->chunk_size = chunk_size;
}

/* Bytes to skip from p to the next multiple of align (a power of two). */
static size_t pad_for(const char *p, size_t align)
{
    return (size_t)(-(uintptr_t)p & (uintptr_t)(align - 1));
}

/* Takes a chunk of total bytes from the allocator and puts it on the list. */
static char *new_chunk(rn__arena *a, size_t total)
{
    if (!a->mem.alloc)
        a->mem = rn__allocator(NULL); /* a zeroed arena: use malloc */
    rn__arena_chunk *c = rn__alloc(&a->mem, total);
    if (!c)
        return NULL;
    c->size = total;
    c->next = a->chunks;
    a->chunks = c;
    a->bytes += total;
    return (char *)c + ARENA_HDR;
}

/* The request did not fit in the bump chunk: give it its own chunk or start a
 * new bump chunk. Leaves the arena unchanged when memory runs out. */
static void *alloc_slow(rn__arena *a, size_t size, size_t align)
{
    size_t csize = a->chunk_size ? a->chunk_size : ARENA_DEFAULT_CHUNK;
    /* Chunk data is aligned for max_align_t; stricter alignment may need up to
     * align - 1 bytes of padding, which is reserved up front. */
    size_t extra = align > alignof(max_align_t) ? align - 1 : 0;
    if (size > SIZE_MAX - ARENA_HDR - extra)
        return NULL;
    size_t need = ARENA_HDR + extra + size;
    if (size + extra > csize / 4) {
        char *data = new_chunk(a, need);
        return data ? data + pad_for(data, align) : NULL;
    }
    size_t total = need > csize ? need : csize;
    char *data = new_chunk(a, total);
    if (!data)
        return NULL;
    char *p = data + pad_for(data, align);
    a->cur = p + size;
    a->end = (char *)a->chunks + total;
    return p;
}

void *rn__arena_alloc(rn__arena *a, size_t size, size_t align)
{
    if (align == 0)
        align = 1;
    if (align & (align - 1))
        return NULL; /* not a power of two: a caller bug, reported as NULL */
    if (size == 0)
        size = 1; /* so that every pointer handed out is distinct */
    if (RN__LIKELY(a->cur != NULL)) {
        size_t pad = pad_for(a->cur, align);
        size_t room = (size_t)(a->end - a->cur);
        if (RN__LIKELY(pad <= room && size <= room - pad)) {
            char *p = a->cur + pad;
            a->cur = p + size;
            return p;
        }
    }
    return alloc_slow(a, size, align);
}

void *rn__arena_dup(rn__arena *a, const void *p, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *d = rn__arena_alloc(a, n + 1, 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

size_t rn__arena_bytes(const rn__arena *a)
{
    return a->bytes;
}

void rn__arena_free(rn__arena *a)
{
    rn__arena_chunk *c = a->chunks;
    while (c) {
        rn__arena_chunk *next = c->next;
        rn__free(&a->mem, c, c->size);
        c = next;
    }
    a->chunks = NULL;
    a->cur = NULL;
    a->end = NULL;
    a->bytes = 0;
}
