/*
 * head.c - head (the first n records) and skip (all but the first n).
 *
 * Both hand out upstream's own batches, or a prefix or suffix of one, so a
 * record costs nothing. head never asks upstream for more once it has given
 * n records: its end is RN_DONE at once, which is what lets `head` finish on
 * an endless input. Records upstream gave but head or skip did not hand on
 * are counted as filtered, so records_in = records_out + filtered.
 */
#include "base/runnel_internal.h"

typedef struct headskip {
    rn_iter base;
    uint64_t left; /* head: records still to give; skip: still to drop */
} headskip;

static int head_next(rn_iter *it, rn_batch *out)
{
    headskip *h = (headskip *)it;
    if (h->left == 0)
        return RN_DONE;
    rn_batch b;
    int rc = rn_next_batch(it->up, &b);
    if (rc == RN_AGAIN || rc == RN_DONE)
        return rc;
    if (rc < 0)
        return rn__iter_adopt(it, it->up, rc);
    it->schema = it->up->schema;
    it->stats.records_in += b.n;
    if (b.n > h->left) {
        it->stats.filtered += b.n - h->left;
        b.n = (size_t)h->left;
    }
    h->left -= b.n;
    *out = b;
    return RN_ROW;
}

static int skip_next(rn_iter *it, rn_batch *out)
{
    headskip *h = (headskip *)it;
    for (;;) {
        rn_batch b;
        int rc = rn_next_batch(it->up, &b);
        if (rc == RN_AGAIN || rc == RN_DONE)
            return rc;
        if (rc < 0)
            return rn__iter_adopt(it, it->up, rc);
        it->schema = it->up->schema;
        it->stats.records_in += b.n;
        if (h->left >= b.n) {
            h->left -= b.n;
            it->stats.filtered += b.n;
            continue;
        }
        size_t drop = (size_t)h->left;
        h->left = 0;
        it->stats.filtered += drop;
        out->recs = b.recs + drop;
        out->n = b.n - drop;
        return RN_ROW;
    }
}

static const rn__iter_vt head_vt = {"head", head_next, NULL};
static const rn__iter_vt skip_vt = {"skip", skip_next, NULL};

static rn_iter *headskip_new(const rn__iter_vt *vt, rn_iter *up, uint64_t n)
{
    if (!up)
        return NULL;
    headskip *h = rn__iter_new(vt, sizeof *h, up, NULL);
    if (!h)
        return NULL;
    h->left = n;
    return &h->base;
}

rn_iter *rn_head_new(rn_iter *up, uint64_t n)
{
    return headskip_new(&head_vt, up, n);
}

rn_iter *rn_skip_new(rn_iter *up, uint64_t n)
{
    return headskip_new(&skip_vt, up, n);
}
