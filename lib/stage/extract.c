/*
 * extract.c - runs a PCRE2 regex on one field of each record and appends the
 * named groups as fields that are views into that field (no copy; valid as
 * long as the record's other views). Without named groups it adds "match":
 * the first group, or the whole match. Invariants: we pull only with our
 * output batch empty; the field to match and the check that no group hides
 * an upstream field are redone whenever the upstream schema changes; records
 * that do not match are dropped as filtered (or kept, groups empty), so in =
 * out + filtered. New fields make raw {NULL, 0}: text output shows them.
 */
#include "base/runnel_internal.h"

#include "base/regex_internal.h"

#include <string.h>

#define FIELD_CAP 16384           /* output field views per batch */

static const rn_field f_empty = {"", 0};
static const rn_field match_name = {"match", 5};

typedef struct extract {
    rn_iter base;
    rn__regex re;
    bool keep;                 /* keep records that do not match */
    char *field;               /* the field asked for, owned; NULL: default */
    uint32_t nent;             /* groups that fill fields */
    uint32_t *gnum;            /* their numbers, descending (then gfld) */
    uint32_t *gfld;            /* the added field each fills */
    rn_field *gname;           /* ng names of the added fields */
    size_t ng;
    /* upstream */
    rn_batch ub;               /* batch being read */
    size_t upos;               /* its next record */
    /* output */
    const rn_schema *seen;     /* upstream schema ours was made for */
    rn_schema *schema;         /* ours, owned */
    rn_schema **old;           /* replaced schemas, freed at close */
    size_t nold;
    ptrdiff_t src;             /* upstream field matched */
    size_t up_n;               /* upstream fields per output record */
    size_t w;                  /* up_n + ng */
    rn_field *f;               /* fcap views */
    size_t fcap;
    rn_record *r;              /* rcap records */
    size_t rcap, bcap;         /* allocated, and per batch */
} extract;

/* ---- schema -------------------------------------------------------------- */

/* Resolves the field to match in up and builds our schema: up's names then
 * the groups'. RN_EINVAL (message set) for a name up lacks or a group that
 * would hide one of up's fields; RN_ENOMEM. */
static int set_schema(extract *x, const rn_schema *up)
{
    rn_iter *it = &x->base;
    const rn_allocator *mem = &it->mem;
    size_t n = up ? up->n : 0;
    if (x->field) {
        x->src = rn__field_index(it, "extract", up, x->field,
                                 strlen(x->field));
        if (x->src < 0)
            return RN_EINVAL;
    } else {
        ptrdiff_t i = rn_schema_find(up, "message", 7);
        if (i < 0)
            i = rn_schema_find(up, "line", 4);
        x->src = i >= 0 ? i : 0; /* no fields: an empty subject */
    }
    for (size_t j = 0; j < x->ng; j++)
        if (rn_schema_find(up, x->gname[j].ptr, x->gname[j].len) >= 0)
            return rn__iter_fail(it, RN_EINVAL,
                                 "extract: group '%.*s' would hide field "
                                 "'%.*s'", (int)x->gname[j].len,
                                 x->gname[j].ptr, (int)x->gname[j].len,
                                 x->gname[j].ptr);
    size_t w = n + x->ng;
    rn_field *names = rn__alloc(mem, w * sizeof *names);
    if (!names)
        return RN_ENOMEM;
    if (n)
        memcpy(names, up->name, n * sizeof *names);
    memcpy(names + n, x->gname, x->ng * sizeof *names);
    rn_schema *s = rn__schema_new(mem, names, w);
    rn__free(mem, names, w * sizeof *names);
    if (!s)
        return RN_ENOMEM;
    if (x->schema) {
        /* rn_schema_of() promised the old one until the iterator is freed. */
        rn_schema **old = rn__alloc(mem, (x->nold + 1) * sizeof *old);
        if (!old) {
            rn__schema_free(mem, s);
            return RN_ENOMEM;
        }
        if (x->nold)
            memcpy(old, x->old, x->nold * sizeof *old);
        rn__free(mem, x->old, x->nold * sizeof *old);
        old[x->nold++] = x->schema;
        x->old = old;
    }
    x->schema = s;
    it->schema = s;
    x->seen = up;
    x->up_n = n;
    x->w = w;

    size_t bcap = FIELD_CAP / w;
    if (bcap > RN__BATCH)
        bcap = RN__BATCH;
    if (bcap == 0)
        bcap = 1;
    if (bcap * w > x->fcap) {
        rn__free(mem, x->f, x->fcap * sizeof *x->f);
        x->fcap = 0;
        x->f = rn__alloc(mem, bcap * w * sizeof *x->f);
        if (!x->f)
            return RN_ENOMEM;
        x->fcap = bcap * w;
    }
    if (bcap > x->rcap) {
        rn__free(mem, x->r, x->rcap * sizeof *x->r);
        x->rcap = 0;
        x->r = rn__alloc(mem, bcap * sizeof *x->r);
        if (!x->r)
            return RN_ENOMEM;
        x->rcap = bcap;
    }
    x->bcap = bcap;
    return RN_OK;
}

/* ---- stepping ------------------------------------------------------------ */

static int pull(extract *x)
{
    rn_iter *it = &x->base;
    x->ub.n = x->upos = 0;
    int rc = rn_next_batch(it->up, &x->ub);
    if (rc != RN_ROW) {
        x->ub.n = 0;
        if (rc == RN_DONE || rc == RN_AGAIN)
            return rc;
        return rn__iter_adopt(it, it->up, rc);
    }
    it->stats.records_in += x->ub.n;
    it->origin = it->up->origin;
    if (!x->schema || it->up->schema != x->seen) {
        rc = set_schema(x, it->up->schema);
        if (rc == RN_ENOMEM)
            return rn__iter_fail(it, rc, "extract: out of memory for the "
                                 "output fields");
        if (rc < 0)
            return rc;
    }
    return RN_ROW;
}

/* Matches record in and fills output record k. Returns 1 when it is to be
 * yielded, 0 when it is dropped, or a negative status. */
static int extract_one(extract *x, const rn_record *in, size_t k)
{
    rn_field subj = f_empty;
    if ((size_t)x->src < in->nfields && in->fields[x->src].ptr)
        subj = in->fields[x->src];
    int rc = rn__regex_match(&x->re, subj.ptr, subj.len);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
        char msg[120];
        rn__regex_errmsg(rc, msg, sizeof msg);
        return rn__iter_fail(&x->base,
                             rc == PCRE2_ERROR_NOMEMORY ? RN_ENOMEM
                                                        : RN_ETOOBIG,
                             "extract: %s: line %llu: regex match failed: %s",
                             x->base.origin, (unsigned long long)in->line,
                             msg);
    }
    if (rc < 0 && !x->keep)
        return 0;
    rn_field *f = x->f + k * x->w;
    size_t m = in->nfields < x->up_n ? in->nfields : x->up_n;
    if (m)
        memcpy(f, in->fields, m * sizeof *f);
    for (size_t i = m; i < x->w; i++)
        f[i] = f_empty;
    if (rc > 0) {
        const PCRE2_SIZE *ov = rn__regex_ovector(&x->re);
        rn_field *g = f + x->up_n;
        /* Descending group numbers: with a name used twice ((?J)) the
         * lowest-numbered group that is set is written last and wins. */
        for (uint32_t i = 0; i < x->nent; i++) {
            uint32_t n = x->gnum[i];
            if (n < (uint32_t)rc && ov[2 * n] != PCRE2_UNSET &&
                ov[2 * n + 1] >= ov[2 * n]) {
                g[x->gfld[i]].ptr = subj.ptr + ov[2 * n];
                g[x->gfld[i]].len = ov[2 * n + 1] - ov[2 * n];
            }
        }
    }
    rn_record *r = &x->r[k];
    r->fields = f;
    r->nfields = x->w;
    r->line = in->line;
    r->offset = in->offset;
    r->raw.ptr = NULL;
    r->raw.len = 0;
    return 1;
}

static int extract_next(rn_iter *it, rn_batch *out)
{
    extract *x = (extract *)it;
    size_t k = 0;
    int rc = RN_ROW;
    for (;;) {
        if (x->upos == x->ub.n) {
            if (k)
                break; /* yield before the pull invalidates the views */
            if ((rc = pull(x)) != RN_ROW)
                return rc;
            continue;
        }
        size_t i = x->upos, n = x->ub.n, bcap = x->bcap;
        uint64_t dropped = 0;
        for (; i < n && k < bcap; i++) {
            rc = extract_one(x, &x->ub.recs[i], k);
            if (RN__UNLIKELY(rc < 0))
                break;
            k += (size_t)rc;
            dropped += (uint64_t)(1 - rc);
        }
        x->upos = i;
        it->stats.filtered += dropped;
        if (rc < 0 || k == bcap)
            break;
    }
    if (k) {
        out->recs = x->r;
        out->n = k;
        return RN_ROW; /* an error met on the way is sticky already */
    }
    return rc;
}

static void extract_close(rn_iter *it)
{
    extract *x = (extract *)it;
    const rn_allocator *mem = &it->mem;
    rn__free(mem, x->f, x->fcap * sizeof *x->f);
    rn__free(mem, x->r, x->rcap * sizeof *x->r);
    for (size_t i = 0; i < x->nold; i++)
        rn__schema_free(mem, x->old[i]);
    rn__free(mem, x->old, x->nold * sizeof *x->old);
    rn__schema_free(mem, x->schema);
    rn__free(mem, x->gnum, 2 * (size_t)x->nent * sizeof *x->gnum);
    rn__free(mem, x->gname, x->nent * sizeof *x->gname);
    rn__strfree(mem, x->field);
    rn__regex_free(&x->re);
}

static const rn__iter_vt extract_vt = {"extract", extract_next,
                                       extract_close};

/* ---- construction -------------------------------------------------------- */

/* The fields the regex adds: its named groups in group-number order, a name
 * used by several groups ((?J)) once, at its first group; without names, one
 * field "match" for group 1, or for the whole match (group 0). */
static int set_groups(extract *x)
{
    const rn_allocator *mem = &x->base.mem;
    pcre2_code *code = x->re.code;
    uint32_t count = 0, esize = 0, caps = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
    pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &caps);
    uint32_t nent = count ? count : 1;
    x->gnum = rn__alloc(mem, 2 * (size_t)nent * sizeof *x->gnum);
    x->gname = rn__alloc(mem, nent * sizeof *x->gname);
    if (!x->gnum || !x->gname) {
        rn__free(mem, x->gnum, 2 * (size_t)nent * sizeof *x->gnum);
        rn__free(mem, x->gname, nent * sizeof *x->gname);
        x->gnum = NULL;
        x->gname = NULL;
        return RN_ENOMEM;
    }
    x->nent = nent; /* close frees by it */
    x->gfld = x->gnum + nent;
    if (!count) {
        x->gnum[0] = caps ? 1 : 0;
        x->gfld[0] = 0;
        x->gname[0] = match_name;
        x->ng = 1;
        return RN_OK;
    }
    /* The name table is sorted by name; order its entries by group number
     * (insertion sort: construction only, and count is small). gname holds
     * the entries meanwhile. */
    for (uint32_t i = 0; i < count; i++) {
        PCRE2_SPTR e = table + (size_t)i * esize;
        uint32_t g = (uint32_t)e[0] << 8 | e[1], j = i;
        for (; j > 0 && x->gnum[j - 1] > g; j--) {
            x->gnum[j] = x->gnum[j - 1];
            x->gname[j] = x->gname[j - 1];
        }
        x->gnum[j] = g;
        x->gname[j].ptr = (const char *)e + 2;
        x->gname[j].len = strlen((const char *)e + 2);
    }
    size_t nf = 0;
    for (uint32_t i = 0; i < count; i++) {
        rn_field nm = x->gname[i];
        size_t j = 0;
        while (j < nf && !(x->gname[j].len == nm.len &&
                           memcmp(x->gname[j].ptr, nm.ptr, nm.len) == 0))
            j++;
        if (j == nf)
            x->gname[nf++] = nm; /* nf <= i: only seen entries move */
        x->gfld[i] = (uint32_t)j;
    }
    x->ng = nf;
    /* extract_one walks the groups from the highest number down. */
    for (uint32_t i = 0, j = count - 1; i < j; i++, j--) {
        uint32_t g = x->gnum[i], fl = x->gfld[i];
        x->gnum[i] = x->gnum[j];
        x->gfld[i] = x->gfld[j];
        x->gnum[j] = g;
        x->gfld[j] = fl;
    }
    return RN_OK;
}

rn_iter *rn_extract_new(rn_iter *up, const char *field, const char *regex,
                        int keep)
{
    if (!up)
        return NULL;
    extract *x = rn__iter_new(&extract_vt, sizeof *x, up, NULL);
    if (!x)
        return NULL;
    rn_iter *it = &x->base;
    it->schema = NULL; /* ours is built from up's */
    if (it->status < 0)
        return it; /* the upstream's error was adopted */
    x->keep = keep != 0;
    if (!regex) {
        rn__iter_fail(it, RN_EINVAL, "extract: no regex given");
        return it;
    }
    if (field && !(x->field = rn__strdup(&it->mem, field)))
        goto oom;
    char why[128];
    size_t off;
    int rc = rn__regex_compile(&x->re, &it->mem, regex, 0, why, sizeof why,
                               &off);
    if (rc == RN_ENOMEM)
        goto oom;
    if (rc < 0) {
        rn__iter_fail(it, RN_EINVAL, "extract: bad regex at offset %zu: %s: %s",
                      off, why, regex);
        return it;
    }
    if (set_groups(x) < 0)
        goto oom;
    if (up->schema) {
        rc = set_schema(x, up->schema);
        if (rc == RN_ENOMEM)
            goto oom;
    }
    return it;
oom:
    rn_free(it);
    return NULL;
}
