/*
 * chain.c - one iterator after another (itertools.chain), opened lazily.
 *
 * Only the current iterator is open, so reading a thousand files holds one
 * descriptor. The first is opened at construction so that its schema, and an
 * error such as a missing first file, are known before the first step.
 */
#include "base/runnel_internal.h"

#include <string.h>

typedef struct chain {
    rn_iter base;
    rn_open_fn open;
    void *ud;
    size_t n, i;         /* iterators in all; index of cur */
    rn_iter *cur;        /* owned; NULL once all are done */
    bool same_fields;    /* each must have the first one's field names */
    rn_schema *first;    /* a copy of the first one's names, owned */
    rn_stats done;       /* counters of the iterators already finished */
    rn__needles needles;    /* pushdown passed to each input as it opens;
                               .n == 0: none */
    rn_schema *needle_for;  /* the fields the needles were chosen for: an
                               input with others gets none (owned copy) */
    const rn_schema *seen; /* cur's schema the copy was made from */
    rn_schema *own;      /* copy of the current schema: outlives cur */
    rn_schema **old;     /* copies replaced by later ones, until close */
    size_t nold;
} chain;

static int open_at(chain *c, size_t i)
{
    c->i = i;
    c->cur = c->open(c->ud, i);
    if (!c->cur)
        return rn__iter_fail(&c->base, RN_ENOMEM,
                             "chain: out of memory opening input %zu", i + 1);
    c->base.origin = c->cur->origin;
    /* The stage above chose its needles for the first input's fields: "$2
     * == ERROR" on another reader's fields may mean another field, with
     * or without case. */
    if (c->needles.n && rn__schema_equal(c->needle_for, c->cur->schema))
        (void)rn__want_needles(c->cur, &c->needles);
    if (c->cur->status < 0)
        return rn__iter_adopt(&c->base, c->cur, c->cur->status);
    if (c->same_fields && i > 0 && c->cur->schema &&
        !rn__schema_equal(c->first, c->cur->schema))
        return rn__iter_fail(&c->base, RN_EINVAL,
                             "%s: other field names than the first input's "
                             "(%zu fields against %zu); use --union to merge "
                             "them", c->cur->origin,
                             rn_schema_count(c->cur->schema),
                             rn_schema_count(c->first));
    return RN_OK;
}

/* The chain's counters are those of its inputs: the finished ones plus the
 * one being read; records_out is the base's own. */
static void sum_stats(chain *c)
{
    rn_stats s = c->done;
    if (c->cur) {
        const rn_stats *k = &c->cur->stats;
        s.records_in += k->records_in;
        s.filtered += k->filtered;
        s.rejected += k->rejected;
        s.fixed += k->fixed;
        s.bytes_in += k->bytes_in;
    }
    s.records_out = c->base.stats.records_out;
    c->base.stats = s;
}

static int adopt_schema(chain *c)
{
    const rn_schema *s = c->cur->schema;
    c->seen = s;
    if (!s || rn__schema_equal(c->own, s))
        return RN_OK;
    rn_schema *copy = rn__schema_new_typed(&c->base.mem, s->name, s->num,
                                           s->n);
    rn_schema **old = copy && c->own
                          ? rn__alloc(&c->base.mem,
                                      (c->nold + 1) * sizeof *old)
                          : NULL;
    if (!copy || (c->own && !old)) {
        rn__schema_free(&c->base.mem, copy);
        return rn__iter_fail(&c->base, RN_ENOMEM, "chain: out of memory");
    }
    if (c->own) {
        /* Records already handed out may name fields by the old copy. */
        if (c->nold)
            memcpy(old, c->old, c->nold * sizeof *old);
        rn__free(&c->base.mem, c->old, c->nold * sizeof *old);
        old[c->nold++] = c->own;
        c->old = old;
    }
    c->own = copy;
    c->base.schema = copy;
    return RN_OK;
}

static void retire(chain *c)
{
    sum_stats(c);
    c->done = c->base.stats;
    rn_free(c->cur);
    c->cur = NULL;
}

static int chain_next(rn_iter *it, rn_batch *out)
{
    chain *c = (chain *)it;
    for (;;) {
        if (!c->cur)
            return RN_DONE;
        int rc = rn_next_batch(c->cur, out);
        sum_stats(c);
        /* A reader may learn or widen its schema as it reads (--no-header,
         * ragged rows): the chain shows the one of the batch in hand, as a
         * copy, since the reader is freed when its input ends. */
        if (rc == RN_ROW && c->cur->schema != c->seen &&
            adopt_schema(c) < 0)
            return RN_ENOMEM;
        if (rc == RN_ROW || rc == RN_AGAIN)
            return rc;
        if (rc < 0)
            return rn__iter_adopt(it, c->cur, rc);
        retire(c);
        if (c->i + 1 >= c->n)
            return RN_DONE;
        rc = open_at(c, c->i + 1);
        if (rc < 0)
            return rc;
    }
}

static void chain_close(rn_iter *it)
{
    chain *c = (chain *)it;
    rn_free(c->cur);
    rn__schema_free(&it->mem, c->first);
    rn__schema_free(&it->mem, c->needle_for);
    rn__schema_free(&it->mem, c->own);
    for (size_t i = 0; i < c->nold; i++)
        rn__schema_free(&it->mem, c->old[i]);
    rn__free(&it->mem, c->old, c->nold * sizeof *c->old);
}

static const rn__iter_vt chain_vt = {"chain", chain_next, chain_close};

static bool chain_want(rn_iter *it, const rn__needles *nd)
{
    chain *c = (chain *)it;
    /* Context is counted in lines of one stream, which line numbers that
     * start again with each input would break. */
    if ((nd->before || nd->after) && c->n > 1)
        return false;
    /* Inputs are alike (one kind of reader per chain): the one open now
     * answers for the rest. */
    if (!c->cur || !c->cur->schema)
        return false;
    rn_schema *f = rn__schema_new(&c->base.mem, c->cur->schema->name,
                                  c->cur->schema->n);
    if (!f || !rn__want_needles(c->cur, nd)) {
        rn__schema_free(&c->base.mem, f);
        return false;
    }
    rn__schema_free(&c->base.mem, c->needle_for);
    c->needle_for = f;
    c->needles = *nd;
    return true;
}

rn_iter *rn_chain_new(rn_open_fn open, void *ud, size_t n,
                      const rn_chain_opts *opts)
{
    chain *c = rn__iter_new(&chain_vt, sizeof *c, NULL,
                            opts ? opts->allocator : NULL);
    if (!c)
        return NULL;
    c->base.want = chain_want;
    c->open = open;
    c->ud = ud;
    c->n = n;
    c->same_fields = opts && opts->same_fields;
    if (!open) {
        rn__iter_fail(&c->base, RN_EINVAL, "chain: no open function given");
        return &c->base;
    }
    if (n > 0 && open_at(c, 0) == RN_OK) {
        if (adopt_schema(c) < 0) {
            rn_free(&c->base);
            return NULL;
        }
        if (c->same_fields && c->cur->schema) {
            const rn_schema *s = c->cur->schema;
            c->first = rn__schema_new(&c->base.mem, s->name, s->n);
            if (!c->first) {
                rn_free(&c->base);
                return NULL;
            }
        }
    }
    return &c->base;
}

