/*
 * arena.h - a bump allocator for bytes that live as long as their owner, such
 * as interned group keys: many small allocations, one free at the end.
 *
 *     rn__arena a;
 *     rn__arena_init(&a, mem, 0);
 *     char *key = rn__arena_dup(&a, field.ptr, field.len);  // NULL: RN_ENOMEM
 *     ...
 *     rn__arena_free(&a);                                  // frees every key
 */
#ifndef RN_ARENA_H
#define RN_ARENA_H

#include "runnel.h"

#include <stddef.h>

/* A chunk header; the chunk's bytes follow it. Private to arena.c. */
typedef struct rn__arena_chunk rn__arena_chunk;

/* A plain struct, meant to be embedded by value. All zeroes is a valid empty
 * arena that uses malloc and 64 KiB chunks. Pointers it hands out never move
 * and stay valid until rn__arena_free(). */
typedef struct rn__arena {
    rn_allocator mem;        /* where chunks come from; filled in when zero */
    rn__arena_chunk *chunks; /* every chunk, newest bump chunk first */
    char *cur;               /* next free byte of the bump chunk */
    char *end;               /* one past the bump chunk's last byte */
    size_t chunk_size;       /* bytes per ordinary chunk; 0: 64 KiB */
    size_t bytes;            /* bytes taken from mem, headers included */
} rn__arena;

/** Makes an empty arena that takes chunks of chunk_size bytes (0: 64 KiB)
 *  from mem (NULL: malloc). Allocates nothing, so it cannot fail. */
void rn__arena_init(rn__arena *a, const rn_allocator *mem, size_t chunk_size);

/** Returns size bytes aligned to align (a power of two; 0 means 1), or NULL
 *  when memory runs out, leaving the arena as it was. A request larger than a
 *  quarter of a chunk gets a chunk of its own, so big keys waste no space in
 *  the shared chunks. size 0 returns a valid, unique pointer. The memory is
 *  not zeroed. */
void *rn__arena_alloc(rn__arena *a, size_t size, size_t align);

/** Copies n bytes from p (which may be NULL when n is 0) and appends a NUL
 *  that is not counted in n, for callers that want a C string. NULL when
 *  memory runs out. */
void *rn__arena_dup(rn__arena *a, const void *p, size_t n);

/** Bytes the arena holds from its allocator, chunk headers and unused tails
 *  included: what it costs, not what was asked for. */
size_t rn__arena_bytes(const rn__arena *a);

/** Frees every chunk and leaves an empty arena with the same allocator and
 *  chunk size, ready for reuse. Safe on a zeroed arena and when called twice. */
void rn__arena_free(rn__arena *a);

#endif /* RN_ARENA_H */
