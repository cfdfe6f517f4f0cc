/*
 * chain.c - one iterator after another (itertools.chain), opened lazily.
 *
 * Only the current iterator is open, so reading a thousand files holds one
 * descriptor. The first is opened at construction so that its schema, and an
 * error such as a missing first file, are known before the first step.
 */
#include "runnel_internal.h"

typedef struct chain {
    rn_iter base;
    rn_open_fn open;
    void *ud;
    size_t n, i;         /* iterators in all; index of cur */
    rn_iter *cur;        /* owned; NULL once all are done */
} chain;

static int open_at(chain *c, size_t i)
{
    c->i = i;
    c->cur = c->open(c->ud, i);
    if (!c->cur)
        return rn__iter_fail(&c->base, RN_ENOMEM,
                             "chain: out of memory opening input %zu", i + 1);
    if (c->cur->status < 0)
        return rn__iter_adopt(&c->base, c->cur, c->cur->status);
    return RN_OK;
}

static int chain_next(rn_iter *it, rn_batch *out)
{
    chain *c = (chain *)it;
    for (;;) {
        if (!c->cur)
            return RN_DONE;
        int rc = rn_next_batch(c->cur, out);
        if (rc == RN_ROW || rc == RN_AGAIN)
            return rc;
        if (rc < 0)
            return rn__iter_adopt(it, c->cur, rc);
        rn_free(c->cur);
        c->cur = NULL;
        if (c->i + 1 >= c->n)
            return RN_DONE;
        rc = open_at(c, c->i + 1);
        if (rc < 0)
            return rc;
    }
}

static void chain_close(rn_iter *it)
{
    rn_free(((chain *)it)->cur);
}

static const rn__iter_vt chain_vt = {"chain", chain_next, chain_close};

rn_iter *rn_chain_new(rn_open_fn open, void *ud, size_t n,
                      const rn_allocator *allocator)
{
    chain *c = rn__iter_new(&chain_vt, sizeof *c, NULL, allocator);
    if (!c)
        return NULL;
    c->open = open;
    c->ud = ud;
    c->n = n;
    if (!open) {
        rn__iter_fail(&c->base, RN_EINVAL, "chain: no open function given");
        return &c->base;
    }
    if (n > 0 && open_at(c, 0) == RN_OK)
        c->base.schema = c->cur->schema;
    return &c->base;
}
