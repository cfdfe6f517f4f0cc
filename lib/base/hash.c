/*
 * hash.c - a multiply-fold byte hash and a linear-probing table.
 *
 * The hash reads 8 bytes at a time with memcpy (no alignment or aliasing
 * assumptions) and mixes with a 64x64->128-bit multiply folded by xor, which
 * spreads every input bit over both halves. Short keys, the common case for
 * group keys, cost two overlapping reads and two multiplies; reads never leave
 * [p, p + n). The table keeps a power-of-two array of slots, at most 70% full,
 * so a probe always ends at an empty slot. Each slot stores the full hash, so
 * a probe compares key bytes only when 64 bits of hash agree. There is no
 * delete, hence no tombstones: a slot with a NULL key is empty.
 */
#include "hash.h"

#include "runnel_internal.h"

#include <string.h>

/* Odd 64-bit constants with about half their bits set. */
#define HK0 UINT64_C(0x9e3779b97f4a7c15)
#define HK1 UINT64_C(0xc2b2ae3d27d4eb4f)
#define HK2 UINT64_C(0x8ebc6af09c88c6e3)
#define HK3 UINT64_C(0xd6e8feb86659fd93)

/* Multiplies a by b into 128 bits and xors the halves together. */
static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
#if defined(__SIZEOF_INT128__)
    __extension__ typedef unsigned __int128 u128;
    u128 r = (u128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    /* The same product from four 32x32->64 partial products. */
    uint64_t al = a & 0xffffffffu, ah = a >> 32;
    uint64_t bl = b & 0xffffffffu, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    uint64_t lo = (mid << 32) | (ll & 0xffffffffu);
    uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    return lo ^ hi;
#endif
}

static inline uint64_t read64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint64_t read32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

uint64_t rn__hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h = seed ^ HK0;
    uint64_t a, b;
    if (RN__LIKELY(n <= 16)) {
        /* Two reads that overlap as needed cover every byte exactly when
         * combined with the length, which the final step mixes in. */
        if (n >= 8) {
            a = read64(s);
            b = read64(s + n - 8);
        } else if (n >= 4) {
            a = read32(s);
            b = read32(s + n - 4);
        } else if (n > 0) {
            a = ((uint64_t)s[0] << 16) | ((uint64_t)s[n >> 1] << 8) | s[n - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t left = n;
        if (left > 48) {
            /* Two independent lanes let the multiplies overlap in the CPU. */
            uint64_t h2 = h ^ HK3;
            do {
                h = fold_mul(read64(s) ^ HK1, read64(s + 8) ^ h);
                h2 = fold_mul(read64(s + 16) ^ HK2, read64(s + 24) ^ h2);
                s += 32;
                left -= 32;
            } while (left > 48);
            h ^= h2;
        }
        while (left > 16) {
            h = fold_mul(read64(s) ^ HK1, read64(s + 8) ^ h);
            s += 16;
            left -= 16;
        }
        /* The last 16 bytes, overlapping the previous block when left < 16;
         * n > 16 guarantees they are inside the input. */
        a = read64(s + left - 16);
        b = read64(s + left - 8);
    }
    h = fold_mul(a ^ HK1, b ^ h);
    return fold_mul(h ^ HK2, (uint64_t)n ^ HK3);
}

/* ---- table --------------------------------------------------------------- */

/* Keys of length 0 may come as NULL, which marks empty slots, so they are
 * stored as a pointer to this byte instead. */
static const char empty_key[1] = "";

/* Entries a table of cap slots holds: 70% of cap, computed without overflow.
 * Past that, probe runs grow quickly under linear probing. */
static size_t limit_for(size_t cap)
{
    return cap / 10 * 7 + cap % 10 * 7 / 10;
}

/* Smallest power-of-two capacity that holds n entries, or 0 when the slot
 * array's size would not fit in a size_t. */
static size_t cap_for(size_t n)
{
    size_t cap = 8;
    while (limit_for(cap) < n) {
        if (cap > SIZE_MAX / 2 / sizeof(rn__hmap_slot))
            return 0;
        cap *= 2;
    }
    return cap;
}

/* Moves every entry to a new array of cap slots; the stored hashes make this
 * a pure move, with no key compares or rehashing. The zeroed array has every
 * key NULL, that is every slot empty. */
static int rehash(rn__hmap *m, size_t cap)
{
    if (!m->mem.alloc)
        m->mem = rn__allocator(NULL); /* a zeroed table: use malloc */
    rn__hmap_slot *ns = rn__calloc(&m->mem, cap * sizeof *ns);
    if (!ns)
        return RN_ENOMEM;
    size_t mask = cap - 1;
    for (size_t i = 0; i < m->cap; i++) {
        const rn__hmap_slot *s = &m->slots[i];
        if (!s->key)
            continue;
        size_t j = (size_t)s->hash & mask;
        while (ns[j].key)
            j = (j + 1) & mask;
        ns[j] = *s;
    }
    rn__free(&m->mem, m->slots, m->cap * sizeof *m->slots);
    m->slots = ns;
    m->cap = cap;
    m->limit = limit_for(cap);
    return RN_OK;
}

int rn__hmap_init(rn__hmap *m, const rn_allocator *mem, size_t expected)
{
    memset(m, 0, sizeof *m);
    m->mem = rn__allocator(mem);
    return expected ? rn__hmap_reserve(m, expected) : RN_OK;
}

int rn__hmap_reserve(rn__hmap *m, size_t n)
{
    if (n <= m->limit && m->cap)
        return RN_OK;
    size_t cap = cap_for(n);
    if (!cap)
        return RN_ENOMEM;
    return rehash(m, cap);
}

static inline bool slot_is(const rn__hmap_slot *s, const void *key, size_t len,
                           uint64_t hash)
{
    return s->hash == hash && s->len == len &&
           (len == 0 || memcmp(s->key, key, len) == 0);
}

uint32_t *rn__hmap_find(const rn__hmap *m, const void *key, size_t len,
                        uint64_t hash)
{
    if (m->count == 0)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
        rn__hmap_slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (slot_is(s, key, len, hash))
            return &s->value;
    }
}

int rn__hmap_put(rn__hmap *m, const void *key, size_t len, uint64_t hash,
                 uint32_t **value, bool *found)
{
    if (RN__LIKELY(m->cap != 0)) {
        size_t mask = m->cap - 1;
        size_t i = (size_t)hash & mask;
        for (;; i = (i + 1) & mask) {
            rn__hmap_slot *s = &m->slots[i];
            if (!s->key)
                break;
            if (slot_is(s, key, len, hash)) {
                *value = &s->value;
                *found = true;
                return RN_OK;
            }
        }
        if (RN__LIKELY(m->count < m->limit)) {
            rn__hmap_slot *s = &m->slots[i];
            s->hash = hash;
            s->key = key ? key : empty_key;
            s->len = len;
            s->value = 0;
            m->count++;
            *value = &s->value;
            *found = false;
            return RN_OK;
        }
    }
    /* The key is absent and the table is full (or has no array yet). */
    int rc = rn__hmap_reserve(m, m->count + 1);
    if (rc != RN_OK)
        return rc;
    return rn__hmap_put(m, key, len, hash, value, found);
}

size_t rn__hmap_count(const rn__hmap *m)
{
    return m->count;
}

size_t rn__hmap_bytes(const rn__hmap *m)
{
    return m->cap * sizeof *m->slots;
}

const rn__hmap_slot *rn__hmap_next(const rn__hmap *m, size_t *pos)
{
    for (size_t i = *pos; i < m->cap; i++) {
        if (m->slots[i].key) {
            *pos = i + 1;
            return &m->slots[i];
        }
    }
    *pos = m->cap;
    return NULL;
}

void rn__hmap_free(rn__hmap *m)
{
    rn__free(&m->mem, m->slots, m->cap * sizeof *m->slots);
    m->slots = NULL;
    m->cap = 0;
    m->count = 0;
    m->limit = 0;
}
