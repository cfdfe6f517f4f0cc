/*
 * tail.c - the last n records: a ring of n record copies (recstore.h slots).
 *
 * The ring grows with the input until it holds n records, so tail with an
 * n larger than the input costs only what the input holds; from then on the
 * oldest slot is overwritten, reusing its block, so memory stays that of n
 * records. At the end of upstream the ring is handed out oldest first, in
 * batches that point into the slots. Records overwritten are counted as
 * filtered: records_in = records_out + filtered.
 */
#include "base/runnel_internal.h"

#include "base/recstore.h"

#include <string.h>

typedef struct tail {
    rn_iter base;
    uint64_t n;           /* records to keep */
    rn__recslot *slots;   /* cap slots, count in use */
    size_t cap, count;
    size_t oldest;        /* slot of the oldest record once the ring is full */
    bool draining;        /* upstream is done: handing out the ring */
    size_t given;         /* records of the ring handed out */
    rn__recout out;       /* the batch being handed out */
} tail;

static int oom(tail *t)
{
    return rn__iter_fail(&t->base, RN_ENOMEM, "tail: out of memory");
}

/* Makes room for one more slot while the ring is not full yet. */
static int grow(tail *t)
{
    size_t cap = t->cap ? t->cap * 2 : 16;
    if ((uint64_t)cap > t->n)
        cap = (size_t)t->n;
    if (cap > SIZE_MAX / sizeof *t->slots || cap <= t->cap)
        return oom(t);
    rn__recslot *s = rn__alloc(&t->base.mem, cap * sizeof *s);
    if (!s)
        return oom(t);
    if (t->count)
        memcpy(s, t->slots, t->count * sizeof *s);
    memset(s + t->count, 0, (cap - t->count) * sizeof *s);
    rn__free(&t->base.mem, t->slots, t->cap * sizeof *s);
    t->slots = s;
    t->cap = cap;
    return RN_OK;
}

static int keep(tail *t, const rn_record *r)
{
    if ((uint64_t)t->count < t->n) {
        if (t->count == t->cap && grow(t) < 0)
            return RN_ENOMEM;
        int rc = rn__recslot_set(&t->slots[t->count], &t->base.mem, r);
        if (rc != RN_OK)
            return rn__rec_keep_failed(&t->base, "tail", rc);
        t->count++;
        return RN_OK;
    }
    int rc = rn__recslot_set(&t->slots[t->oldest], &t->base.mem, r);
    if (rc != RN_OK)
        return rn__rec_keep_failed(&t->base, "tail", rc);
    t->oldest = t->oldest + 1 == t->count ? 0 : t->oldest + 1;
    t->base.stats.filtered++;
    return RN_OK;
}

static int tail_next(rn_iter *it, rn_batch *out)
{
    tail *t = (tail *)it;
    while (!t->draining) {
        rn_batch b;
        int rc = rn_next_batch(it->up, &b);
        if (rc == RN_AGAIN)
            return rc;
        if (rc == RN_DONE)
            break;
        if (rc < 0)
            return rn__iter_adopt(it, it->up, rc);
        it->schema = it->up->schema;
        it->stats.records_in += b.n;
        /* Only the last n of a batch can survive it: skip copying the
         * others. */
        size_t first = 0;
        if ((uint64_t)b.n > t->n) {
            first = b.n - (size_t)t->n;
            it->stats.filtered += first;
        }
        for (size_t i = first; i < b.n; i++)
            if ((rc = keep(t, &b.recs[i])) < 0)
                return rc;
    }
    t->draining = true;
    if (t->given == t->count)
        return RN_DONE;
    rn__recout_begin(&t->out);
    size_t j = t->oldest + t->given;
    if (j >= t->count)
        j -= t->count;
    while (t->given < t->count) {
        int rc = rn__recout_add(&t->out, t->slots[j].copy);
        if (rc < 0)
            return oom(t);
        if (rc == 0)
            break;
        t->given++;
        if (++j == t->count)
            j = 0;
    }
    rn__recout_batch(&t->out, out);
    return RN_ROW;
}

static void tail_close(rn_iter *it)
{
    tail *t = (tail *)it;
    for (size_t i = 0; i < t->count; i++)
        rn__recslot_free(&t->slots[i], &it->mem);
    rn__free(&it->mem, t->slots, t->cap * sizeof *t->slots);
    rn__recout_free(&t->out);
}

static const rn__iter_vt tail_vt = {"tail", tail_next, tail_close};

rn_iter *rn_tail_new(rn_iter *up, uint64_t n)
{
    if (!up)
        return NULL;
    tail *t = rn__iter_new(&tail_vt, sizeof *t, up, NULL);
    if (!t)
        return NULL;
    t->n = n;
    if (rn__recout_init(&t->out, &t->base.mem, n) != RN_OK) {
        rn_free(&t->base);
        return NULL;
    }
    return &t->base;
}
