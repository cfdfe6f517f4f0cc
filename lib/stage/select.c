/*
 * select.c - select, reject and rename: stages that change which fields a
 * record has, or what they are called, never their bytes.
 *
 * As in project.c, names are resolved to upstream positions once per
 * upstream schema (a ragged CSV may widen it mid-stream), so a record costs
 * one view copy per output field; unlike project, a name upstream lacks is an
 * error. select and reject build new field arrays (so raw becomes {NULL, 0});
 * rename hands the upstream batch on untouched and only renames the schema.
 * Output schemas keep upstream's numeric flags; each one stays alive until
 * close, since records already handed out may be described by it.
 */
#include "base/runnel_internal.h"

#include <string.h>

/* Most field views one output batch holds: a batch of very wide records is
 * handed out in pieces rather than in one huge array. */
#define MAX_VIEWS ((size_t)65536)

enum sel_mode { SEL_SELECT, SEL_REJECT, SEL_RENAME };

typedef struct sel {
    rn_iter base;
    int mode;                 /* enum sel_mode */
    const char *what;         /* stage name for messages */
    rn_schema *names;         /* the names given (rename: the old ones) */
    rn_schema *new_names;     /* rename: the new names, owned */
    const rn_schema *seen;    /* upstream schema the map was made for */
    bool resolved;            /* map matches seen */
    ptrdiff_t *map;           /* output field -> upstream field */
    size_t mapcap;            /* entries allocated in map */
    size_t w;                 /* output fields per record */
    size_t per;               /* records per output batch: w * per views */
    rn_field *f;              /* per * w views */
    size_t fcap;              /* views allocated in f */
    rn_record *r;             /* RN__BATCH records (select, reject) */
    rn_schema **schemas;      /* every output schema made, owned */
    size_t nschemas, capschemas;
    rn_batch b;               /* upstream batch being handed out */
    size_t pos;               /* next record of b */
} sel;

/* ---- schemas ------------------------------------------------------------- */

static int oom(sel *s)
{
    return rn__iter_fail(&s->base, RN_ENOMEM, "%s: out of memory", s->what);
}

static bool same_schema(const rn_schema *a, const rn_field *names,
                        const unsigned char *num, size_t n)
{
    if (!a || a->n != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (a->name[i].len != names[i].len ||
            memcmp(a->name[i].ptr, names[i].ptr, names[i].len) != 0)
            return false;
        unsigned char x = a->num ? a->num[i] : 0, y = num ? num[i] : 0;
        if (x != y)
            return false;
    }
    return true;
}

/* Makes names/num the output schema unless the current one says the same. */
static int set_schema(sel *s, const rn_field *names, const unsigned char *num,
                      size_t n)
{
    if (same_schema(s->base.schema, names, num, n))
        return RN_OK;
    if (s->nschemas == s->capschemas) {
        size_t cap = s->capschemas ? s->capschemas * 2 : 4;
        rn_schema **p = rn__alloc(&s->base.mem, cap * sizeof *p);
        if (!p)
            return oom(s);
        if (s->nschemas)
            memcpy(p, s->schemas, s->nschemas * sizeof *p);
        rn__free(&s->base.mem, s->schemas, s->capschemas * sizeof *p);
        s->schemas = p;
        s->capschemas = cap;
    }
    rn_schema *sc = rn__schema_new_typed(&s->base.mem, names, num, n);
    if (!sc)
        return oom(s);
    s->schemas[s->nschemas++] = sc;
    s->base.schema = sc;
    return RN_OK;
}

/* ---- resolving names ----------------------------------------------------- */

static int grow_map(sel *s, size_t w)
{
    if (w <= s->mapcap)
        return RN_OK;
    ptrdiff_t *m = rn__alloc(&s->base.mem, w * sizeof *m);
    if (!m)
        return oom(s);
    rn__free(&s->base.mem, s->map, s->mapcap * sizeof *s->map);
    s->map = m;
    s->mapcap = w;
    return RN_OK;
}

/* Sizes the view array for w output fields. */
static int grow_views(sel *s, size_t w)
{
    size_t per = w ? MAX_VIEWS / w : RN__BATCH;
    if (per > RN__BATCH)
        per = RN__BATCH;
    if (per == 0)
        per = 1;
    size_t need = per * (w ? w : 1);
    if (need > s->fcap) {
        rn_field *f = rn__alloc(&s->base.mem, need * sizeof *f);
        if (!f)
            return oom(s);
        rn__free(&s->base.mem, s->f, s->fcap * sizeof *s->f);
        s->f = f;
        s->fcap = need;
    }
    s->per = per;
    return RN_OK;
}

/* Output names and flags for the map, in temporary arrays freed by the
 * caller; rename puts its new names in afterwards. */
static int out_names(sel *s, const rn_schema *up, size_t w, rn_field **names,
                     unsigned char **num)
{
    *names = rn__alloc(&s->base.mem, (w ? w : 1) * sizeof **names);
    *num = NULL;
    if (!*names)
        return oom(s);
    if (up && up->num) {
        *num = rn__alloc(&s->base.mem, w ? w : 1);
        if (!*num) {
            rn__free(&s->base.mem, *names, (w ? w : 1) * sizeof **names);
            *names = NULL;
            return oom(s);
        }
    }
    for (size_t i = 0; i < w; i++) {
        (*names)[i] = up->name[s->map[i]];
        if (*num)
            (*num)[i] = up->num[s->map[i]];
    }
    return RN_OK;
}

/* Checks the given names against up; sets idx[i] for each. */
static int find_all(sel *s, const rn_schema *up, const rn_schema *names,
                    ptrdiff_t *idx)
{
    for (size_t i = 0; i < names->n; i++) {
        idx[i] = rn__field_index(&s->base, s->what, up, names->name[i].ptr,
                                 names->name[i].len);
        if (idx[i] < 0)
            return RN_EINVAL;
    }
    return RN_OK;
}

static int rename_names(sel *s, const rn_schema *up, rn_field *names,
                        const ptrdiff_t *idx)
{
    size_t n = s->names->n;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            if (idx[j] == idx[i])
                return rn__iter_fail(&s->base, RN_EINVAL,
                                     "rename: '%.*s' is renamed twice",
                                     (int)s->names->name[i].len,
                                     s->names->name[i].ptr);
        names[idx[i]] = s->new_names->name[i];
    }
    /* A swap (a to b, b to a) is fine; two fields of one name are not. */
    for (size_t i = 0; i < n; i++) {
        rn_field nn = s->new_names->name[i];
        for (size_t j = 0; j < up->n; j++)
            if ((ptrdiff_t)j != idx[i] && names[j].len == nn.len &&
                memcmp(names[j].ptr, nn.ptr, nn.len) == 0)
                return rn__iter_fail(&s->base, RN_EINVAL,
                                     "rename: '%.*s' is already a field",
                                     (int)nn.len, nn.ptr);
    }
    return RN_OK;
}

/* Makes the map and the output schema for upstream schema up. */
static int resolve(sel *s, const rn_schema *up)
{
    size_t n = s->names->n, upn = rn_schema_count(up);
    ptrdiff_t *idx = rn__alloc(&s->base.mem, (n ? n : 1) * sizeof *idx);
    if (!idx)
        return oom(s);
    rn_field *names = NULL;
    unsigned char *num = NULL;
    size_t w = 0;
    int rc = find_all(s, up, s->names, idx);
    if (rc < 0)
        goto out;
    if (s->mode == SEL_SELECT) {
        w = n;
        if ((rc = grow_map(s, w)) < 0)
            goto out;
        memcpy(s->map, idx, n * sizeof *idx);
    } else if (s->mode == SEL_REJECT) {
        if ((rc = grow_map(s, upn)) < 0)
            goto out;
        for (size_t j = 0; j < upn; j++) {
            size_t i = 0;
            while (i < n && idx[i] != (ptrdiff_t)j)
                i++;
            if (i == n)
                s->map[w++] = (ptrdiff_t)j;
        }
        if (w == 0) {
            rc = rn__iter_fail(&s->base, RN_EINVAL, "reject: no fields left");
            goto out;
        }
    } else {
        w = upn;
        if ((rc = grow_map(s, w)) < 0)
            goto out;
        for (size_t j = 0; j < w; j++)
            s->map[j] = (ptrdiff_t)j;
    }
    if ((rc = out_names(s, up, w, &names, &num)) < 0)
        goto out;
    if (s->mode == SEL_RENAME && (rc = rename_names(s, up, names, idx)) < 0)
        goto out;
    if (s->mode != SEL_RENAME && (rc = grow_views(s, w)) < 0)
        goto out;
    if ((rc = set_schema(s, names, num, w)) < 0)
        goto out;
    s->w = w;
    s->seen = up;
    s->resolved = true;
out:
    rn__free(&s->base.mem, names, (w ? w : 1) * sizeof *names);
    rn__free(&s->base.mem, num, w ? w : 1);
    rn__free(&s->base.mem, idx, (n ? n : 1) * sizeof *idx);
    return rc;
}

/* ---- steps --------------------------------------------------------------- */

/* Takes the next upstream batch into s->b; RN_ROW or what to return. */
static int pull(sel *s)
{
    rn_iter *it = &s->base;
    rn_batch b;
    int rc = rn_next_batch(it->up, &b);
    if (rc == RN_AGAIN || rc == RN_DONE)
        return rc;
    if (rc < 0)
        return rn__iter_adopt(it, it->up, rc);
    s->b = b;
    s->pos = 0;
    it->stats.records_in += s->b.n;
    if (!s->resolved || it->up->schema != s->seen) {
        rc = resolve(s, it->up->schema);
        if (rc < 0)
            return rc;
    }
    return RN_ROW;
}

static int fields_next(rn_iter *it, rn_batch *out)
{
    sel *s = (sel *)it;
    if (s->pos == s->b.n) {
        int rc = pull(s);
        if (rc != RN_ROW)
            return rc;
    }
    size_t k = s->b.n - s->pos, w = s->w;
    if (k > s->per)
        k = s->per;
    const rn_record *in = s->b.recs + s->pos;
    bool reject = s->mode == SEL_REJECT;
    for (size_t i = 0; i < k; i++) {
        rn_field *f = s->f + i * w;
        size_t nf = in[i].nfields, j;
        for (j = 0; j < w; j++) {
            size_t m = (size_t)s->map[j];
            if (RN__LIKELY(m < nf)) {
                f[j] = in[i].fields[m];
            } else if (reject) {
                /* A row narrower than the schema (read before a ragged row
                 * widened it) keeps only the fields it has: the map is in
                 * upstream order, so they are a prefix. */
                break;
            } else {
                f[j].ptr = "";
                f[j].len = 0;
            }
        }
        s->r[i].fields = f;
        s->r[i].nfields = j;
        s->r[i].line = in[i].line;
        s->r[i].offset = in[i].offset;
        s->r[i].raw.ptr = NULL;
        s->r[i].raw.len = 0;
    }
    s->pos += k;
    out->recs = s->r;
    out->n = k;
    return RN_ROW;
}

static int rename_next(rn_iter *it, rn_batch *out)
{
    sel *s = (sel *)it;
    int rc = pull(s);
    if (rc != RN_ROW)
        return rc;
    *out = s->b;
    s->pos = s->b.n;
    return RN_ROW;
}

static void sel_close(rn_iter *it)
{
    sel *s = (sel *)it;
    const rn_allocator *m = &it->mem;
    for (size_t i = 0; i < s->nschemas; i++)
        rn__schema_free(m, s->schemas[i]);
    rn__free(m, s->schemas, s->capschemas * sizeof *s->schemas);
    rn__free(m, s->r, s->r ? RN__BATCH * sizeof *s->r : 0);
    rn__free(m, s->f, s->fcap * sizeof *s->f);
    rn__free(m, s->map, s->mapcap * sizeof *s->map);
    rn__schema_free(m, s->names);
    rn__schema_free(m, s->new_names);
}

static const rn__iter_vt select_vt = {"select", fields_next, sel_close};
static const rn__iter_vt reject_vt = {"reject", fields_next, sel_close};
static const rn__iter_vt rename_vt = {"rename", rename_next, sel_close};

/* Copies n names into a schema (which owns them); false on a NULL name. */
static bool copy_names(sel *s, const char *const *names, size_t n,
                       rn_schema **out)
{
    for (size_t i = 0; i < n; i++)
        if (!names[i])
            return false;
    *out = rn_schema_new(names, n, &s->base.mem);
    return true;
}

static rn_iter *sel_new(const rn__iter_vt *vt, int mode, rn_iter *up,
                        const char *const *names,
                        const char *const *new_names, size_t n)
{
    if (!up)
        return NULL;
    sel *s = rn__iter_new(vt, sizeof *s, up, NULL);
    if (!s)
        return NULL;
    rn_iter *it = &s->base;
    s->mode = mode;
    s->what = vt->kind;
    if (it->status < 0)
        return it;
    it->schema = NULL;
    if ((n && (!names || (mode == SEL_RENAME && !new_names))) ||
        !copy_names(s, names, n, &s->names) ||
        (mode == SEL_RENAME && !copy_names(s, new_names, n, &s->new_names))) {
        rn__iter_fail(it, RN_EINVAL, "%s: a field name is missing (NULL)",
                      s->what);
        return it;
    }
    if (!s->names || (mode == SEL_RENAME && !s->new_names))
        goto nomem;
    if (mode == SEL_SELECT && n == 0) {
        rn__iter_fail(it, RN_EINVAL, "select: no fields given");
        return it;
    }
    for (size_t i = 0; mode == SEL_RENAME && i < n; i++)
        if (s->new_names->name[i].len == 0) {
            rn__iter_fail(it, RN_EINVAL, "rename: empty new name for '%s'",
                          names[i]);
            return it;
        }
    if (mode != SEL_RENAME) {
        s->r = rn__alloc(&it->mem, RN__BATCH * sizeof *s->r);
        if (!s->r)
            goto nomem;
    }
    /* Until up's fields are known, select's are the names given. */
    if (mode == SEL_SELECT)
        it->schema = s->names;
    if (up->schema && resolve(s, up->schema) == RN_ENOMEM)
        goto nomem;
    return it;
nomem:
    rn_free(it);
    return NULL;
}

rn_iter *rn_select_new(rn_iter *up, const char *const *names, size_t n)
{
    return sel_new(&select_vt, SEL_SELECT, up, names, NULL, n);
}

rn_iter *rn_reject_new(rn_iter *up, const char *const *names, size_t n)
{
    return sel_new(&reject_vt, SEL_REJECT, up, names, NULL, n);
}

rn_iter *rn_rename_new(rn_iter *up, const char *const *old,
                       const char *const *new_names, size_t n)
{
    return sel_new(&rename_vt, SEL_RENAME, up, old, new_names, n);
}
