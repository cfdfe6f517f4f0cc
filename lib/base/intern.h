/*
 * intern.h - maps byte strings to dense ids (0, 1, 2, ... in first-seen
 * order) and back, keeping one copy of each distinct string. Group-by keys,
 * uniq and distinct use it so that a key is copied once, when first seen.
 *
 *     rn__interner in;
 *     rn__intern_init(&in, mem);
 *     uint32_t id;
 *     if (rn__intern(&in, f.ptr, f.len, &id) != RN_OK) ...   // ENOMEM
 *     rn_field key = rn__intern_get(&in, id);   // valid until intern_free
 *     rn__intern_free(&in);
 */
#ifndef RN_INTERN_H
#define RN_INTERN_H

#include "arena.h"
#include "hash.h"
#include "runnel.h"

#include <stddef.h>
#include <stdint.h>

/* A plain struct, meant to be embedded by value; use after rn__intern_init. */
typedef struct rn__interner {
    rn_allocator mem; /* for the id table; the arena and map copy it too */
    rn__arena bytes;  /* the copies of the strings, NUL-terminated */
    rn__hmap map;     /* string -> id; keys point into bytes */
    rn_field *strs;   /* id -> copy; cap entries, count used */
    size_t count;     /* number of distinct strings = the next id */
    size_t cap;       /* entries allocated in strs */
} rn__interner;

/** Makes an empty interner allocating from mem (NULL: malloc). Allocates
 *  nothing yet, so it returns RN_OK; the int is kept for future sizing. */
int rn__intern_init(rn__interner *in, const rn_allocator *mem);

/** Sets *id to the id of the n bytes at p (p may be NULL when n is 0),
 *  adding a copy of them under the next id when they are new. Returns RN_OK;
 *  RN_ENOMEM when memory runs out, or RN_ETOOBIG past UINT32_MAX distinct
 *  strings; after an error *id is not set and the interner is unchanged in
 *  content (it may keep memory it reserved) and usable. */
int rn__intern(rn__interner *in, const void *p, size_t n, uint32_t *id);

/** The copy of string id: ptr is NUL-terminated (the NUL is not counted in
 *  len) and stays valid and unmoved until rn__intern_free(). An id that was
 *  never returned gives {NULL, 0}. */
rn_field rn__intern_get(const rn__interner *in, uint32_t id);

/** Number of distinct strings interned. */
size_t rn__intern_count(const rn__interner *in);

/** Bytes the interner holds from its allocator (copies, table and ids). */
size_t rn__intern_bytes(const rn__interner *in);

/** Frees everything and leaves an empty interner on the same allocator, so
 *  it is safe to call twice. */
void rn__intern_free(rn__interner *in);

#endif /* RN_INTERN_H */
