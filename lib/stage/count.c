/*
 * count.c - the count stage: drains its upstream a batch at a time and yields
 * one record, "count", holding the number of records in decimal.
 *
 * It never looks inside a record, so the cost is one indirect call per batch.
 */
#include "base/runnel_internal.h"

#include <stdio.h>

static const rn_field count_name = {"count", 5};
static const unsigned char count_num[1] = {1};
static const rn_schema count_schema = {1, &count_name, count_num};

typedef struct count {
    rn_iter base;
    uint64_t n;          /* records seen so far */
    bool done;           /* the result was yielded */
    char text[24];       /* n in decimal */
    rn_field f;
    rn_record r;
} count;

static int count_next(rn_iter *it, rn_batch *out)
{
    count *c = (count *)it;
    if (c->done)
        return RN_DONE;
    rn_batch b;
    int rc;
    while ((rc = rn_next_batch(it->up, &b)) == RN_ROW)
        c->n += b.n;
    it->stats.records_in = c->n;
    if (rc == RN_AGAIN)
        return rc;
    if (rc < 0)
        return rn__iter_adopt(it, it->up, rc);
    int len = snprintf(c->text, sizeof c->text, "%llu",
                       (unsigned long long)c->n);
    c->f.ptr = c->text;
    c->f.len = (size_t)len;
    c->r.fields = &c->f;
    c->r.nfields = 1;
    c->r.line = 1;
    c->done = true;
    out->recs = &c->r;
    out->n = 1;
    return RN_ROW;
}

static const rn__iter_vt count_vt = {"count", count_next, NULL};

rn_iter *rn_count_new(rn_iter *up)
{
    if (!up)
        return NULL;
    count *c = rn__iter_new(&count_vt, sizeof *c, up, NULL);
    if (!c)
        return NULL;
    c->base.schema = &count_schema;
    return &c->base;
}
