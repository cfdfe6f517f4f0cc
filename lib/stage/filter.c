/*
 * filter.c - the filter stage: keeps the records for which an expression
 * (expr.c) is true.
 *
 * The expression is compiled at construction, so syntax errors and bad
 * regexes show at once; its names are bound when up's schema is known and
 * again whenever that pointer changes. Kept records are copied by value (the
 * struct, raw included) into our own array; their views still point into
 * upstream's batch, which stays valid because the upstream is stepped only
 * once its batch is used up. An upstream batch larger than ours is yielded
 * in slices. Accounting: records_in = records_out + filtered. Literals the
 * expression requires are pushed down to a line reader below (expr.h).
 */
#include "expr.h"

typedef struct filter {
    rn_iter base;
    rn__expr *e;
    const rn_schema *bound;    /* schema the names were bound to */
    bool is_bound;             /* bound at least once (the schema may be NULL) */
    rn_batch ub;               /* upstream batch being filtered */
    size_t upos;               /* its next record */
    rn_field needle[RN__MAX_NEEDLES]; /* pushdown: literals in e's pool */
    rn_record r[RN__BATCH];
} filter;

static int filter_next(rn_iter *it, rn_batch *out)
{
    filter *f = (filter *)it;
    for (;;) {
        if (f->upos == f->ub.n) {
            f->upos = 0;
            int rc = rn_next_batch(it->up, &f->ub);
            if (rc != RN_ROW) {
                f->ub.n = 0;
                if (rc == RN_AGAIN || rc == RN_DONE)
                    return rc;
                return rn__iter_adopt(it, it->up, rc);
            }
            it->schema = it->up->schema;
            if (!f->is_bound || it->up->schema != f->bound) {
                if (rn__expr_bind(f->e, it, "filter", it->up->schema) < 0)
                    return it->status;
                f->bound = it->up->schema;
                f->is_bound = true;
            }
        }
        size_t k = 0, i = f->upos;
        size_t end = f->ub.n;
        for (; i < end && k < RN__BATCH; i++) {
            const rn_record *rec = &f->ub.recs[i];
            int v = rn__expr_eval(f->e, rec);
            if (v > 0) {
                f->r[k++] = *rec;
            } else if (RN__UNLIKELY(v < 0)) {
                /* A regex that cannot decide (PCRE2's limits, memory) stops
                 * the run: dropping the record would hide it. The record is
                 * not counted as taken, so in = out + filtered still holds. */
                const char *o = it->up->origin ? it->up->origin : "";
                rn__iter_fail(it, v, "filter: %s%sline %llu: %s", o,
                              o[0] ? ": " : "", (unsigned long long)rec->line,
                              rn__expr_why(f->e));
                it->stats.records_in += i - f->upos;
                it->stats.filtered += i - f->upos - k;
                f->upos = f->ub.n = 0;
                if (k) {
                    out->recs = f->r;
                    out->n = k; /* the error follows on the next call */
                    return RN_ROW;
                }
                return v;
            }
        }
        it->stats.records_in += i - f->upos;
        it->stats.filtered += i - f->upos - k;
        f->upos = i;
        if (k) {
            out->recs = f->r;
            out->n = k;
            return RN_ROW;
        }
    }
}

static void filter_close(rn_iter *it)
{
    rn__expr_free(((filter *)it)->e);
}

static const rn__iter_vt filter_vt = {"filter", filter_next, filter_close};

rn_iter *rn_filter_new(rn_iter *up, const char *expr)
{
    if (!up)
        return NULL;
    filter *f = rn__iter_new(&filter_vt, sizeof *f, up, NULL);
    if (!f)
        return NULL;
    rn_iter *it = &f->base;
    if (it->status < 0)
        return it; /* the upstream's error was adopted */
    if (!expr) {
        rn__iter_fail(it, RN_EINVAL, "filter: no expression");
        return it;
    }
    int rc = rn__expr_compile(it, "filter", expr, &f->e);
    if (rc == RN_ENOMEM) {
        rn_free(it);
        return NULL;
    }
    if (rc < 0)
        return it;
    if (up->schema) {
        /* Known now: a misspelt field fails before any record is read. */
        if (rn__expr_bind(f->e, it, "filter", up->schema) < 0)
            return it;
        f->bound = up->schema;
        f->is_bound = true;
        /* Pushdown: the line reader below may skip the lines that hold none
         * of the literals every kept record must have (rn__expr_needles). */
        rn__needles nd = {f->needle, 0, false, 0, 0};
        nd.n = rn__expr_needles(f->e, f->needle, RN__MAX_NEEDLES, &nd.ci);
        if (nd.n)
            (void)rn__want_needles(up, &nd);
    }
    return it;
}
