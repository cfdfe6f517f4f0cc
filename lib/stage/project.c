/*
 * project.c - fields by name, in a given order (select's engine, and the
 * mapping that puts CSV files with different headers into one schema).
 *
 * Names are resolved to upstream positions once per upstream schema (which a
 * ragged CSV may widen mid-stream), so a record costs one view copy per
 * output field. A name upstream lacks yields an empty field.
 */
#include "base/runnel_internal.h"

#include <string.h>

typedef struct project {
    rn_iter base;
    rn_schema *names;          /* output schema, owned */
    const rn_schema *seen;     /* upstream schema the map was made for */
    ptrdiff_t *map;            /* output field -> upstream field or -1 */
    rn_field *f;               /* RN__BATCH * names->n views */
    rn_record r[RN__BATCH];
} project;

static void remap(project *p, const rn_schema *up)
{
    for (size_t i = 0; i < p->names->n; i++)
        p->map[i] = rn_schema_find(up, p->names->name[i].ptr,
                                   p->names->name[i].len);
    p->seen = up;
}

static int project_next(rn_iter *it, rn_batch *out)
{
    project *p = (project *)it;
    rn_batch b;
    int rc = rn_next_batch(it->up, &b);
    if (rc == RN_AGAIN || rc == RN_DONE)
        return rc;
    if (rc < 0)
        return rn__iter_adopt(it, it->up, rc);
    if (it->up->schema != p->seen)
        remap(p, it->up->schema);
    size_t w = p->names->n;
    for (size_t k = 0; k < b.n; k++) {
        const rn_record *in = &b.recs[k];
        rn_field *f = p->f + k * w;
        for (size_t i = 0; i < w; i++) {
            ptrdiff_t j = p->map[i];
            if (j >= 0 && (size_t)j < in->nfields) {
                f[i] = in->fields[j];
            } else {
                f[i].ptr = "";
                f[i].len = 0;
            }
        }
        p->r[k].fields = f;
        p->r[k].nfields = w;
        p->r[k].line = in->line;
        p->r[k].offset = in->offset;
        p->r[k].raw = in->raw;
    }
    it->stats.records_in += b.n;
    out->recs = p->r;
    out->n = b.n;
    return RN_ROW;
}

static void project_close(rn_iter *it)
{
    project *p = (project *)it;
    /* Allocated for at least one field, so that n == 0 is not special. */
    size_t w = p->names ? (p->names->n ? p->names->n : 1) : 0;
    rn__free(&it->mem, p->f, RN__BATCH * w * sizeof *p->f);
    rn__free(&it->mem, p->map, w * sizeof *p->map);
    rn__schema_free(&it->mem, p->names);
}

static const rn__iter_vt project_vt = {"project", project_next,
                                       project_close};

rn_iter *rn_project_new(rn_iter *up, const char *const *names, size_t n)
{
    if (!up)
        return NULL;
    project *p = rn__iter_new(&project_vt, sizeof *p, up, NULL);
    if (!p)
        return NULL;
    p->names = rn_schema_new(names, n, &p->base.mem);
    p->map = p->names ? rn__alloc(&p->base.mem, (n ? n : 1) * sizeof *p->map)
                      : NULL;
    p->f = p->map ? rn__alloc(&p->base.mem,
                              RN__BATCH * (n ? n : 1) * sizeof *p->f)
                  : NULL;
    if (!p->f) {
        /* close() frees by the sizes it can see: make them match. */
        if (p->map)
            rn__free(&p->base.mem, p->map, (n ? n : 1) * sizeof *p->map);
        p->map = NULL;
        rn__schema_free(&p->base.mem, p->names);
        p->names = NULL;
        rn_free(&p->base);
        return NULL;
    }
    p->base.schema = p->names;
    return &p->base;
}
