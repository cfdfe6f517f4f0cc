/*
 * iter.c - the iterator protocol shared by every reader and stage.
 *
 * The base owns what must be the same everywhere: the status is sticky (after
 * RN_DONE or an error every call returns it again without calling the module),
 * rn_next() drains a batch one record at a time, and rn_free() frees a chain
 * from the last stage back to the source, each link exactly once. A module's
 * next() only produces batches; RN_AGAIN is never sticky, so a push-fed chain
 * can be resumed after more bytes arrive.
 */
#include "runnel_internal.h"

#include <stdio.h>
#include <string.h>

void *rn__iter_new(const rn__iter_vt *vt, size_t size, rn_iter *up,
                   const rn_allocator *mem)
{
    rn_allocator a = mem ? rn__allocator(mem)
                         : (up ? up->mem : rn__allocator(NULL));
    rn_iter *it = rn__calloc(&a, size);
    if (!it) {
        rn_free(up);
        return NULL;
    }
    it->vt = vt;
    it->up = up;
    it->mem = a;
    it->size = size;
    it->status = RN_OK;
    it->origin = "";
    if (up) {
        it->schema = up->schema;
        it->origin = up->origin;
        /* An upstream that failed at construction fails this stage too, so
         * rn_status() on the last stage reports the first problem at once. */
        if (up->status < 0)
            rn__iter_adopt(it, up, up->status);
    }
    return it;
}

int rn__iter_fail(rn_iter *it, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->err, sizeof it->err, fmt, ap);
    va_end(ap);
    it->status = code;
    return code;
}

int rn__iter_adopt(rn_iter *it, const rn_iter *from, int code)
{
    if (it != from)
        memcpy(it->err, from->err, sizeof it->err);
    if (!it->err[0])
        snprintf(it->err, sizeof it->err, "%s", rn_strerror(code));
    it->status = code;
    return code;
}

/* Calls the module for a fresh batch and keeps the status sticky. */
static int step(rn_iter *it, rn_batch *out)
{
    int rc = it->vt->next(it, out);
    if (rc == RN_ROW) {
        it->cur = *out;
        it->stats.records_out += out->n;
        return rc;
    }
    out->recs = NULL;
    out->n = 0;
    it->cur.n = it->pos = 0;
    if (rc == RN_AGAIN)
        return rc;
    if (rc != RN_DONE && it->status >= 0) {
        /* A module that returned an error without setting a message still
         * leaves a readable one behind; a non-error code here is a bug. */
        if (rc >= 0)
            rc = RN_EMISUSE;
        rn__iter_fail(it, rc, "%s: %s", it->vt->kind, rn_strerror(rc));
    }
    it->status = rc;
    return rc;
}

int rn_next_batch(rn_iter *it, rn_batch *out)
{
    if (!it || !out)
        return RN_EMISUSE;
    if (it->pos < it->cur.n) {
        /* rn_next() stopped inside a batch: hand out the rest of it. */
        out->recs = it->cur.recs + it->pos;
        out->n = it->cur.n - it->pos;
        it->pos = it->cur.n;
        return RN_ROW;
    }
    if (it->status != RN_OK)
        return it->status;
    int rc = step(it, out);
    if (rc == RN_ROW)
        it->pos = out->n;
    return rc;
}

int rn_next(rn_iter *it, const rn_record **rec)
{
    if (!it || !rec)
        return RN_EMISUSE;
    if (it->pos < it->cur.n) {
        *rec = &it->cur.recs[it->pos++];
        return RN_ROW;
    }
    if (it->status != RN_OK)
        return it->status;
    rn_batch b;
    int rc = step(it, &b);
    if (rc == RN_ROW) {
        it->pos = 1;
        *rec = &b.recs[0];
    }
    return rc;
}

int rn_status(const rn_iter *it)
{
    return it ? it->status : RN_EMISUSE;
}

const char *rn_errmsg(const rn_iter *it)
{
    if (!it)
        return "no iterator (out of memory?)";
    return it->status < 0 ? it->err : "";
}

const rn_schema *rn_schema_of(const rn_iter *it)
{
    return it ? it->schema : NULL;
}

void rn_stats_of(const rn_iter *it, rn_stats *out)
{
    if (!out)
        return;
    if (it)
        *out = it->stats;
    else
        memset(out, 0, sizeof *out);
}

const char *rn_stats_detail(const rn_iter *it)
{
    return it && it->detail ? it->detail : "";
}

rn_iter *rn_upstream(const rn_iter *it)
{
    return it ? it->up : NULL;
}

const char *rn_kind(const rn_iter *it)
{
    return it ? it->vt->kind : "";
}

bool rn__want_needles(rn_iter *it, const rn__needles *nd)
{
    if (!it || !it->want || it->status < 0 || nd->n == 0 ||
        nd->n > RN__MAX_NEEDLES)
        return false;
    for (size_t i = 0; i < nd->n; i++)
        if (nd->f[i].len == 0)
            return false;
    return it->want(it, nd);
}

bool rn__iter_own(rn_iter *it, void (*own_free)(void *own), void *p)
{
    if (!it || it->own_free)
        return false;
    it->own_free = own_free;
    it->own = p;
    return true;
}

void rn_free(rn_iter *it)
{
    /* Iterative rather than recursive so that a chain of any length frees in
     * constant stack. */
    while (it) {
        rn_iter *up = it->up;
        rn_allocator mem = it->mem;
        if (it->vt->close)
            it->vt->close(it);
        if (it->own_free)
            it->own_free(it->own);
        rn__free(&mem, it, it->size);
        it = up;
    }
}
