/*
 * hash.h - a fast 64-bit hash of byte strings and an open-addressing table
 * from byte-string keys to uint32_t values (for example group ids).
 *
 * The table does not own its keys: the caller keeps the bytes alive (interns
 * them in an arena) for as long as the table lives. It has no delete. How to
 * count distinct keys whose bytes outlive the table:
 *
 *     rn__hmap m;
 *     if (rn__hmap_init(&m, mem, 0) != RN_OK) ...
 *     uint64_t h = rn__hash_bytes(key, len, RN__HASH_SEED);
 *     uint32_t *v;
 *     bool found;
 *     if (rn__hmap_put(&m, key, len, h, &v, &found) != RN_OK) ...  // ENOMEM
 *     if (!found)
 *         *v = next_id++;
 *     ...
 *     rn__hmap_free(&m);
 */
#ifndef RN_HASH_H
#define RN_HASH_H

#include "runnel.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A seed for callers with no reason to pick another. */
#define RN__HASH_SEED UINT64_C(0x2f6b1d6e85c3a941)

/** Hashes n bytes at p (p may be NULL when n is 0). Deterministic for a given
 *  seed within one build; not meant for storage across versions or machines
 *  of different byte order. Not resistant to deliberate flooding. */
uint64_t rn__hash_bytes(const void *p, size_t n, uint64_t seed);

/* One slot of the table. Public so that iteration can hand out entries. */
typedef struct rn__hmap_slot {
    uint64_t hash;   /* the full hash the caller gave for key */
    const void *key; /* borrowed key bytes; NULL marks an empty slot */
    size_t len;      /* key length in bytes */
    uint32_t value;  /* the caller's value, 0 when first inserted */
} rn__hmap_slot;

/* A plain struct, meant to be embedded by value. All zeroes is a valid empty
 * table that uses malloc. */
typedef struct rn__hmap {
    rn_allocator mem;     /* where the slot array comes from */
    rn__hmap_slot *slots; /* cap slots; NULL while cap is 0 */
    size_t cap;           /* 0 or a power of two */
    size_t count;         /* occupied slots */
    size_t limit;         /* most entries before the table must grow */
} rn__hmap;

/** Makes an empty table sized for expected entries (0: allocate nothing
 *  until the first put). mem NULL: malloc. Returns RN_OK, or RN_ENOMEM leaving
 *  a valid empty table (rn__hmap_free() is still allowed). */
int rn__hmap_init(rn__hmap *m, const rn_allocator *mem, size_t expected);

/** Looks key up. hash must be what was given for the same bytes at put.
 *  Returns a pointer to the stored value, valid until the next put or
 *  reserve, or NULL when key is absent. */
uint32_t *rn__hmap_find(const rn__hmap *m, const void *key, size_t len,
                        uint64_t hash);

/** Finds key or inserts it with value 0, growing the table if needed; the
 *  table keeps the pointer key (not a copy; a NULL key of length 0 is kept
 *  as a pointer to a static ""). Sets *value to the value's slot
 *  (valid until the next put or reserve) and *found to whether key was there
 *  already. Returns RN_OK, or RN_ENOMEM with the table unchanged and usable
 *  (*value and *found are then not set). A key that is found never fails. */
int rn__hmap_put(rn__hmap *m, const void *key, size_t len, uint64_t hash,
                 uint32_t **value, bool *found);

/** Grows the table so that it holds n entries in all without growing again,
 *  so that puts up to that count cannot fail. RN_OK or RN_ENOMEM (unchanged). */
int rn__hmap_reserve(rn__hmap *m, size_t n);

/** Number of entries. */
size_t rn__hmap_count(const rn__hmap *m);

/** Bytes the table holds from its allocator. */
size_t rn__hmap_bytes(const rn__hmap *m);

/** Visits the entries, in no particular order. Start with *pos = 0; each call
 *  returns the next occupied slot, or NULL after the last one. The slots are
 *  valid until the next put or reserve; do not put while iterating.
 *
 *      size_t pos = 0;
 *      const rn__hmap_slot *s;
 *      while ((s = rn__hmap_next(m, &pos)) != NULL)
 *          use(s->key, s->len, s->value);
 */
const rn__hmap_slot *rn__hmap_next(const rn__hmap *m, size_t *pos);

/** Frees the slot array (not the keys) and leaves an empty table with the
 *  same allocator. Safe twice. */
void rn__hmap_free(rn__hmap *m);

#endif /* RN_HASH_H */
