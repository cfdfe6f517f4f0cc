/*
 * recstore.h - compact copies of records that a stage keeps past its next
 * step (tail, sample, sort, top), and the batches that hand them out again.
 *
 * A copy is one block: a 24-byte header, 8 bytes per field (offset and
 * length), then the bytes: raw once when every field lies inside it (lines,
 * log lines, unquoted CSV rows), else raw then each field's bytes. Views are
 * made again only when the copy is handed out, so a kept record costs its
 * bytes plus 24 + 8 per field.
 *
 *     rn__recslot s = {0};                      // one replaceable copy
 *     if (rn__recslot_set(&s, mem, rec) != RN_OK) ...      // RN_ENOMEM
 *     rn__recslot_free(&s, mem);
 *
 *     rn__recstore st;                          // append-only, in an arena
 *     rn__recstore_init(&st, mem, 0);
 *     const rn__reccopy *c = rn__recstore_add(&st, rec);   // NULL: ENOMEM
 *     rn__recstore_free(&st);
 *
 *     rn__recout o;                             // handing copies out
 *     if (rn__recout_init(&o, mem, n) != RN_OK) ...
 *     rn__recout_begin(&o);
 *     while (more && (rc = rn__recout_add(&o, next_copy)) == 1) ...
 *     rn__recout_batch(&o, out);                // valid until the next begin
 *     rn__recout_free(&o);
 */
#ifndef RN_RECSTORE_H
#define RN_RECSTORE_H

#include "arena.h"
#include "runnel.h"

#include <stdbool.h>
#include <stddef.h>

/* A copy of a record (see above). Opaque outside recstore.c. */
typedef struct rn__reccopy rn__reccopy;

/** Bytes a copy of r takes, or 0 when it cannot be copied: 4 GiB of bytes
 *  or more, or more than UINT32_MAX fields. */
size_t rn__rec_copy_size(const rn_record *r);

/** Puts stage it (named what) in its error state after keeping a record
 *  failed with rc: RN_ENOMEM, or RN_ETOOBIG for a record too big to copy.
 *  Returns rc. */
int rn__rec_keep_failed(rn_iter *it, const char *what, int rc);

/** Number of fields of the copy. */
size_t rn__reccopy_nfields(const rn__reccopy *c);

/** Field i of the copy as a view into it; {"", 0} when i is out of range. */
rn_field rn__reccopy_field(const rn__reccopy *c, size_t i);

/** Makes *r a record over the copy, with its views written to fields
 *  (rn__reccopy_nfields(c) of them). Equal to the original in fields, raw
 *  (NULL when it was), line and offset. */
void rn__reccopy_view(const rn__reccopy *c, rn_record *r, rn_field *fields);

/* One replaceable copy in a block of its own. All zeroes is an empty slot. */
typedef struct rn__recslot {
    rn__reccopy *copy; /* NULL when empty */
    size_t cap;        /* bytes allocated for the block */
} rn__recslot;

/** Replaces the slot's copy with a copy of r (which must not point into the
 *  slot). The block is reused while it is big enough and not much bigger
 *  than needed, so a slot holds at most about 8 times what its record needs
 *  (or 1 KiB), and records of similar sizes cause no allocation. Returns
 *  RN_OK, RN_ENOMEM leaving the slot as it was, or RN_ETOOBIG (see
 *  rn__rec_copy_size). */
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

/** Adds a copy of r; returns it (unmoved until rn__recstore_free), or NULL
 *  when memory runs out or r cannot be copied, leaving the store as it was. */
const rn__reccopy *rn__recstore_add(rn__recstore *st, const rn_record *r);

/** Bytes the store holds from its allocator. */
size_t rn__recstore_bytes(const rn__recstore *st);

/** Frees every copy; the store is then empty and reusable. */
void rn__recstore_free(rn__recstore *st);

/* Output batches of copies: records and a pool of field views. */
typedef struct rn__recout {
    rn_allocator mem;
    rn_record *recs;   /* reccap records */
    size_t reccap;
    rn_field *fields;  /* fcap views */
    size_t fcap;
    size_t n, used;    /* records and views in the batch being made */
    bool short_of_fields; /* the last batch ended for want of views */
} rn__recout;

/** Sets up output batches of at most min(max_records, 1024) records.
 *  RN_OK or RN_ENOMEM (then rn__recout_free is still allowed). */
int rn__recout_init(rn__recout *o, const rn_allocator *mem,
                    uint64_t max_records);

/** Starts a new batch; the previous one is no longer valid. */
void rn__recout_begin(rn__recout *o);

/** Adds copy c to the batch: returns 1, or 0 when the batch is full (add c
 *  to the next batch), or RN_ENOMEM when views for c alone cannot be had. */
int rn__recout_add(rn__recout *o, const rn__reccopy *c);

/** The batch made since begin. */
void rn__recout_batch(const rn__recout *o, rn_batch *out);

/** Hands out the copies of an array of slots, one batch a call: slot i is
 *  the rn__recslot at the start of element i (element size stride) of
 *  slots, and *given slots are out already. Starts a new batch with the
 *  copies of slots *given, *given + 1, ... below count and advances *given
 *  past them. Returns RN_ROW with the batch in *out, RN_DONE once all count
 *  are out, or RN_ENOMEM (see rn__recout_add; the caller reports it). */
int rn__recout_slots(rn__recout *o, const void *slots, size_t stride,
                     size_t count, size_t *given, rn_batch *out);

/** Frees the batch buffers. Safe on a zeroed or freed rn__recout. */
void rn__recout_free(rn__recout *o);

#endif /* RN_RECSTORE_H */
