/*
 * intern.c - string interning on an arena and a hash table.
 *
 * Invariants: strs[id] views the arena copy of string id for id < count; the
 * map holds exactly count keys, each pointing at one of those copies, with
 * value = its id. A lookup that hits costs one hash and one probe and
 * allocates nothing. A miss first reserves everything that can fail (a map
 * slot, room in strs, the copy) and only then inserts, so an RN_ENOMEM
 * leaves no half-added string behind; at worst it keeps spare capacity.
 */
#include "intern.h"

#include "runnel_internal.h"

#include <string.h>

int rn__intern_init(rn__interner *in, const rn_allocator *mem)
{
    memset(in, 0, sizeof *in);
    in->mem = rn__allocator(mem);
    rn__arena_init(&in->bytes, &in->mem, 0);
    return rn__hmap_init(&in->map, &in->mem, 0);
}

/* Doubles the id table so that it has room for one more id. */
static int grow_strs(rn__interner *in)
{
    size_t cap = in->cap ? in->cap * 2 : 16;
    if (cap > SIZE_MAX / sizeof(rn_field))
        return RN_ENOMEM;
    rn_field *s = rn__alloc(&in->mem, cap * sizeof *s);
    if (!s)
        return RN_ENOMEM;
    if (in->count)
        memcpy(s, in->strs, in->count * sizeof *s);
    rn__free(&in->mem, in->strs, in->cap * sizeof *in->strs);
    in->strs = s;
    in->cap = cap;
    return RN_OK;
}

/* The slow path of rn__intern: p is not in the map yet. */
static int add(rn__interner *in, const void *p, size_t n, uint64_t h,
               uint32_t *id)
{
    if (in->count >= UINT32_MAX)
        return RN_ETOOBIG; /* ids are uint32_t */
    int rc = rn__hmap_reserve(&in->map, in->count + 1);
    if (rc != RN_OK)
        return rc;
    if (in->count == in->cap && (rc = grow_strs(in)) != RN_OK)
        return rc;
    char *copy = rn__arena_dup(&in->bytes, p, n);
    if (!copy)
        return RN_ENOMEM;
    uint32_t *v;
    bool found;
    /* Cannot fail: the reserve above made room for this entry. */
    rc = rn__hmap_put(&in->map, copy, n, h, &v, &found);
    if (rc != RN_OK)
        return rc;
    *v = (uint32_t)in->count;
    in->strs[in->count].ptr = copy;
    in->strs[in->count].len = n;
    *id = (uint32_t)in->count++;
    return RN_OK;
}

int rn__intern(rn__interner *in, const void *p, size_t n, uint32_t *id)
{
    uint64_t h = rn__hash_bytes(p, n, RN__HASH_SEED);
    const uint32_t *v = rn__hmap_find(&in->map, p, n, h);
    if (RN__LIKELY(v != NULL)) {
        *id = *v;
        return RN_OK;
    }
    return add(in, p, n, h, id);
}

rn_field rn__intern_get(const rn__interner *in, uint32_t id)
{
    rn_field none = {NULL, 0};
    return id < in->count ? in->strs[id] : none;
}

size_t rn__intern_count(const rn__interner *in)
{
    return in->count;
}

size_t rn__intern_bytes(const rn__interner *in)
{
    return rn__arena_bytes(&in->bytes) + rn__hmap_bytes(&in->map) +
           in->cap * sizeof *in->strs;
}

void rn__intern_free(rn__interner *in)
{
    rn__arena_free(&in->bytes);
    rn__hmap_free(&in->map);
    rn__free(&in->mem, in->strs, in->cap * sizeof *in->strs);
    in->strs = NULL;
    in->count = 0;
    in->cap = 0;
}
