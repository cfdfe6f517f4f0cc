/*
 * recstore.h - copies of records that a stage keeps past its next step (tail,
 * sample, sort, top). A copy is one block: the rn_record, its field views,
 * then the bytes the views point to, so a kept record is handed out as it is,
 * with no work per output.
 *
 * Two ways to hold copies, both bounded by what is kept:
 *
 *     rn__recslot s = {0};                     // one replaceable copy
 *     if (rn__recslot_set(&s, mem, rec) != RN_OK) ...     // RN_ENOMEM
 *     use(s.rec);                              // valid until the next set
 *     rn__recslot_free(&s, mem);
 *
 *     rn__recstore st;                         // append-only, in an arena
 *     rn__recstore_init(&st, mem, 0);
 *     const rn_record *r = rn__recstore_add(&st, rec);   // NULL: RN_ENOMEM
 *     rn__recstore_free(&st);                  // frees every copy
 */
#ifndef RN_RECSTORE_H
#define RN_RECSTORE_H

#include "arena.h"
#include "runnel.h"

#include <stddef.h>

/** Bytes a copy of r takes in one block, or 0 when that overflows size_t.
 *  When raw is present and every non-empty field lies inside it, the bytes
 *  are stored once (raw) and the fields point into that copy; otherwise the
 *  fields' bytes are stored one after another, then raw's. */
size_t rn__rec_copy_size(const rn_record *r);

/* One replaceable copy in a block of its own. All zeroes is an empty slot. */
typedef struct rn__recslot {
    rn_record *rec; /* the copy at the start of the block; NULL when empty */
    size_t cap;     /* bytes allocated for the block */
} rn__recslot;

/** Replaces the slot's copy with a copy of r (which must not be the slot's own
 *  copy). The block is reused while it is big enough and not much bigger than
 *  needed (so a slot never holds more than about 8 times what its record
 *  needs, and records of similar sizes cause no allocation). Returns RN_OK,
 *  RN_ENOMEM leaving the slot as it was, or RN_ETOOBIG when the size
 *  overflows. */
int rn__recslot_set(rn__recslot *s, const rn_allocator *mem,
                    const rn_record *r);

/** Frees the slot's block and leaves an empty slot. Safe on an empty slot. */
void rn__recslot_free(rn__recslot *s, const rn_allocator *mem);

/* An append-only store of copies packed in an arena. */
typedef struct rn__recstore {
    rn__arena arena; /* the blocks */
    size_t count;    /* copies added */
} rn__recstore;

/** Makes an empty store taking chunks of chunk_size bytes (0: 256 KiB) from
 *  mem. Allocates nothing. */
void rn__recstore_init(rn__recstore *st, const rn_allocator *mem,
                       size_t chunk_size);

/** Adds a copy of r; returns it (valid and unmoved until rn__recstore_free),
 *  or NULL when memory runs out (or the size overflows), leaving the store as
 *  it was. */
const rn_record *rn__recstore_add(rn__recstore *st, const rn_record *r);

/** Bytes the store holds from its allocator. */
size_t rn__recstore_bytes(const rn__recstore *st);

/** Frees every copy; the store is then empty and reusable. */
void rn__recstore_free(rn__recstore *st);

#endif /* RN_RECSTORE_H */
