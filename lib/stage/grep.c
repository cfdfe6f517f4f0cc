/*
 * grep.c - keeps the records whose line (raw, else the fields joined by ',')
 * matches any of several PCRE2 patterns, with -B/-A context and "--"
 * separator records between groups that are not adjacent, as GNU grep does.
 * Before-context is copied lazily: candidates stay views into the upstream
 * batch, and only the newest `before` go into the ring's per-slot buffers
 * when the next batch is pulled. Invariants: we pull (and rewrite the ring)
 * only with our output batch empty; each record taken has room for before +
 * 2 outputs; records_out leaves out separators, so in = out + filtered.
 */
#include "base/runnel_internal.h"

#include "base/num.h"
#include "base/regex_internal.h"

#include <string.h>

#define FIELD_CAP 16384           /* output field views per batch */
#define MAX_BEFORE (1u << 20)     /* records of before-context kept */
#define MIN_SLOT_BYTES 256        /* first buffer of a ring slot */
#define MIN_SLOT_FIELDS 8
#define NUM_BYTES (2 * RN__FMT_I64_MAX) /* _line and _pattern text */

static const rn_field extra_names[3] = {
    {"_line", 5}, {"_pattern", 8}, {"_match", 6},
};
static const rn_field f_match = {"match", 5};
static const rn_field f_context = {"context", 7};
static const rn_field f_empty = {"", 0};
static const rn_field sep_raw = {"--", 2};

/* A record of before-context, copied out of an upstream batch. */
typedef struct slot {
    rn_field *f;               /* nf views into buf */
    size_t nf, fcap;
    char *buf;                 /* field bytes and raw bytes */
    size_t bcap;
    rn_field raw;              /* into buf, or {NULL, 0} */
    uint64_t line, offset, seq;
} slot;

typedef struct grep {
    rn_iter base;
    rn__regex *re;             /* nre compiled patterns */
    size_t nre;
    bool invert;
    size_t before, after;
    /* upstream */
    rn_batch ub;               /* batch being read */
    size_t upos;               /* its next record */
    uint64_t seq0;             /* input position of ub.recs[0] (0-based) */
    size_t run;                /* first record of ub after the last printed */
    /* candidates from earlier batches: the newest `before` at most */
    slot *ring;                /* before slots */
    size_t rhead, rcount;
    /* groups */
    bool printed_any;          /* a record was yielded */
    uint64_t last_seq;         /* input position of the last yielded */
    size_t after_left;         /* after-context records still to yield */
    uint64_t printed;          /* data records yielded */
    bool by_line;              /* context under pushdown: skipped lines
                                  leave gaps, so records are placed by
                                  line number, not by position */
    uint64_t last_match;       /* place of the last match (by_line) */
    /* pushdown: the patterns' literals, searched by the line reader */
    rn_field needle[RN__MAX_NEEDLES];
    char *needle_bytes;
    size_t needle_cap;
    /* a line assembled from fields, for records without raw */
    char *join;
    size_t jcap;
    /* output */
    const rn_schema *seen;     /* upstream schema ours was made for */
    rn_schema *schema;         /* ours, owned */
    rn_schema **old;           /* replaced schemas, freed at close */
    size_t nold;
    size_t up_n;               /* upstream fields per output record */
    size_t w;                  /* fields per output record */
    size_t ix[3];              /* where _line, _pattern, _match go */
    rn_field *f;               /* fcap views */
    size_t fcap;
    rn_record *r;              /* rcap records */
    char *num;                 /* rcap * NUM_BYTES */
    size_t rcap;
    size_t bcap;               /* records per output batch (<= rcap) */
    size_t k;                  /* records in the batch being built */
    size_t nsep;               /* separators among them */
} grep;

/* Where record i of the upstream batch stands in the input: its position,
 * or under context pushdown its line number (a line reader's, one input). */
static inline uint64_t seq_of(const grep *g, size_t i)
{
    return g->by_line ? g->ub.recs[i].line : g->seq0 + i;
}

/* ---- schema and output arrays -------------------------------------------- */

/* Our schema for upstream schema up: its names, then those of _line,
 * _pattern and _match it does not have already (grep after grep overwrites
 * them in place). Sizes the output arrays for it. */
static int set_schema(grep *g, const rn_schema *up)
{
    const rn_allocator *mem = &g->base.mem;
    size_t n = up ? up->n : 0, add = 0, ix[3];
    for (int j = 0; j < 3; j++) {
        ptrdiff_t i = rn_schema_find(up, extra_names[j].ptr,
                                     extra_names[j].len);
        ix[j] = i >= 0 ? (size_t)i : n + add++;
    }
    size_t w = n + add;
    rn_field *names = rn__alloc(mem, w * sizeof *names);
    if (!names)
        return RN_ENOMEM;
    if (n)
        memcpy(names, up->name, n * sizeof *names);
    for (int j = 0; j < 3; j++)
        if (ix[j] >= n)
            names[ix[j]] = extra_names[j];
    rn_schema *s = rn__schema_new(mem, names, w);
    rn__free(mem, names, w * sizeof *names);
    if (!s)
        return RN_ENOMEM;
    if (g->schema) {
        /* rn_schema_of() promised the old one until the iterator is freed. */
        rn_schema **old = rn__alloc(mem, (g->nold + 1) * sizeof *old);
        if (!old) {
            rn__schema_free(mem, s);
            return RN_ENOMEM;
        }
        if (g->nold)
            memcpy(old, g->old, g->nold * sizeof *old);
        rn__free(mem, g->old, g->nold * sizeof *old);
        old[g->nold++] = g->schema;
        g->old = old;
    }
    g->schema = s;
    g->base.schema = s;
    g->seen = up;
    g->up_n = n;
    g->w = w;
    memcpy(g->ix, ix, sizeof ix);

    size_t bcap = FIELD_CAP / w;
    if (bcap > RN__BATCH)
        bcap = RN__BATCH;
    if (bcap < g->before + 2)
        bcap = g->before + 2;
    if (w > SIZE_MAX / sizeof(rn_field) / bcap)
        return RN_ENOMEM;
    if (bcap * w > g->fcap) {
        rn__free(mem, g->f, g->fcap * sizeof *g->f);
        g->fcap = 0;
        g->f = rn__alloc(mem, bcap * w * sizeof *g->f);
        if (!g->f)
            return RN_ENOMEM;
        g->fcap = bcap * w;
    }
    if (bcap > g->rcap) {
        rn__free(mem, g->r, g->rcap * sizeof *g->r);
        rn__free(mem, g->num, g->rcap * NUM_BYTES);
        g->rcap = 0;
        g->r = rn__alloc(mem, bcap * sizeof *g->r);
        g->num = rn__alloc(mem, bcap * NUM_BYTES);
        if (!g->r || !g->num) {
            rn__free(mem, g->r, bcap * sizeof *g->r);
            rn__free(mem, g->num, bcap * NUM_BYTES);
            g->r = NULL;
            g->num = NULL;
            return RN_ENOMEM;
        }
        g->rcap = bcap;
    }
    g->bcap = bcap;
    return RN_OK;
}

/* ---- yielding ------------------------------------------------------------ */

/* Appends a record to the output batch, after a separator when it does not
 * follow the last record yielded. pat: the pattern that matched (1-based),
 * 0 for none. */
static void put(grep *g, const rn_field *src, size_t nsrc, rn_field raw,
                uint64_t line, uint64_t offset, uint64_t seq, size_t pat,
                bool match)
{
    if (g->printed_any && seq != g->last_seq + 1 && (g->before || g->after)) {
        rn_record *s = &g->r[g->k];
        s->fields = g->f + g->k * g->w;
        s->nfields = 0;
        s->line = line;
        s->offset = offset;
        s->raw = sep_raw;
        g->k++;
        g->nsep++;
    }
    size_t k = g->k++;
    rn_field *f = g->f + k * g->w;
    size_t m = nsrc < g->up_n ? nsrc : g->up_n;
    if (m)
        memcpy(f, src, m * sizeof *f);
    for (size_t i = m; i < g->up_n; i++)
        f[i] = f_empty;
    char *nb = g->num + k * NUM_BYTES;
    f[g->ix[0]].ptr = nb;
    f[g->ix[0]].len = rn__fmt_i64((int64_t)line, nb);
    if (pat) {
        nb += RN__FMT_I64_MAX;
        f[g->ix[1]].ptr = nb;
        f[g->ix[1]].len = rn__fmt_i64((int64_t)pat, nb);
    } else {
        f[g->ix[1]] = f_empty;
    }
    f[g->ix[2]] = match ? f_match : f_context;
    rn_record *r = &g->r[k];
    r->fields = f;
    r->nfields = g->w;
    r->line = line;
    r->offset = offset;
    r->raw = raw;
    g->printed_any = true;
    g->last_seq = seq;
    g->printed++;
}

static void put_up(grep *g, size_t i, size_t pat, bool match)
{
    const rn_record *in = &g->ub.recs[i];
    put(g, in->fields, in->nfields, in->raw, in->line, in->offset,
        seq_of(g, i), pat, match);
    g->run = i + 1;
    g->rcount = g->rhead = 0;
}

/* Yields the before-context of record i of the upstream batch: the newest
 * `before` candidates, from the ring first, then from the batch; under
 * context pushdown only those within `before` lines of it (the reader may
 * cut out lines that are no one's context). */
static void put_before(grep *g, size_t i)
{
    size_t nb = i - g->run;
    size_t cb = nb < g->before ? nb : g->before;
    size_t cr = g->before - cb;
    if (cr > g->rcount)
        cr = g->rcount;
    uint64_t at = seq_of(g, i);
    for (size_t j = g->rcount - cr; j < g->rcount; j++) {
        const slot *s = &g->ring[(g->rhead + j) % g->before];
        if (!g->by_line || s->seq + g->before >= at)
            put(g, s->f, s->nf, s->raw, s->line, s->offset, s->seq, 0, false);
    }
    for (size_t j = i - cb; j < i; j++)
        if (!g->by_line || seq_of(g, j) + g->before >= at)
            put_up(g, j, 0, false);
}

/* ---- the ring of before-context ------------------------------------------ */

static int grow(const rn_allocator *mem, void **p, size_t *cap, size_t need,
                size_t min, size_t elem)
{
    if (need <= *cap)
        return RN_OK;
    size_t c = *cap ? *cap : min;
    while (c < need)
        c = c > SIZE_MAX / 2 / elem ? need : 2 * c;
    void *q = rn__alloc(mem, c * elem);
    if (!q)
        return RN_ENOMEM;
    rn__free(mem, *p, *cap * elem);
    *p = q;
    *cap = c;
    return RN_OK;
}

/* Copies rec into s. Fields that all lie inside raw (lines, logs) are
 * rebased into one copy of raw; else the field bytes then raw are copied. */
static int copy_rec(grep *g, slot *s, const rn_record *rec, uint64_t seq)
{
    const rn_allocator *mem = &g->base.mem;
    size_t nf = rec->nfields, bytes = 0;
    uintptr_t lo = (uintptr_t)rec->raw.ptr, hi = lo + rec->raw.len;
    bool inside = rec->raw.ptr != NULL;
    for (size_t i = 0; i < nf; i++) {
        const rn_field *f = &rec->fields[i];
        bytes += f->len;
        if (f->len && ((uintptr_t)f->ptr < lo ||
                       (uintptr_t)f->ptr + f->len > hi))
            inside = false;
    }
    bytes = inside ? rec->raw.len : bytes + rec->raw.len;
    if (grow(mem, (void **)&s->f, &s->fcap, nf, MIN_SLOT_FIELDS,
             sizeof *s->f) < 0 ||
        grow(mem, (void **)&s->buf, &s->bcap, bytes, MIN_SLOT_BYTES, 1) < 0)
        return rn__iter_fail(&g->base, RN_ENOMEM,
                             "grep: line %llu: out of memory for a record of "
                             "context (%zu bytes)",
                             (unsigned long long)rec->line, bytes);
    char *b = s->buf ? s->buf : (char *)(uintptr_t) "";
    size_t pos = 0;
    if (inside) {
        if (rec->raw.len)
            memcpy(b, rec->raw.ptr, rec->raw.len);
        for (size_t i = 0; i < nf; i++) {
            const rn_field *f = &rec->fields[i];
            s->f[i].ptr = f->len ? b + ((uintptr_t)f->ptr - lo) : b;
            s->f[i].len = f->len;
        }
        pos = rec->raw.len;
        s->raw.ptr = b;
    } else {
        for (size_t i = 0; i < nf; i++) {
            const rn_field *f = &rec->fields[i];
            if (f->len)
                memcpy(b + pos, f->ptr, f->len);
            s->f[i].ptr = b + pos;
            s->f[i].len = f->len;
            pos += f->len;
        }
        if (rec->raw.len)
            memcpy(b + pos, rec->raw.ptr, rec->raw.len);
        s->raw.ptr = rec->raw.ptr ? b + pos : NULL;
    }
    s->raw.len = rec->raw.len;
    s->nf = nf;
    s->line = rec->line;
    s->offset = rec->offset;
    s->seq = seq;
    return RN_OK;
}

/* Before the upstream batch goes: the newest candidates in it join the
 * ring, pushing the oldest out. */
static int save_tail(grep *g)
{
    if (!g->before)
        return RN_OK;
    size_t n = g->ub.n, from = g->run;
    if (n - from > g->before)
        from = n - g->before;
    for (size_t j = from; j < n; j++) {
        slot *s;
        if (g->rcount < g->before) {
            s = &g->ring[(g->rhead + g->rcount++) % g->before];
        } else {
            s = &g->ring[g->rhead];
            g->rhead = (g->rhead + 1) % g->before;
        }
        int rc = copy_rec(g, s, &g->ub.recs[j], seq_of(g, j));
        if (rc < 0)
            return rc;
    }
    return RN_OK;
}

/* ---- matching ------------------------------------------------------------ */

/* Sets *pat to the first pattern (1-based) that matches rec's line, or 0. */
static int match_line(grep *g, const rn_record *rec, size_t *pat)
{
    const char *p = rec->raw.ptr;
    size_t n = rec->raw.len;
    if (!p) {
        size_t nf = rec->nfields;
        n = nf ? nf - 1 : 0;
        for (size_t i = 0; i < nf; i++)
            n += rec->fields[i].len;
        /* An empty record (one empty field) joins to "": no buffer, which
         * may not exist yet, is touched. */
        if (n == 0)
            nf = 0;
        if (grow(&g->base.mem, (void **)&g->join, &g->jcap, n, 256, 1) < 0)
            return rn__iter_fail(&g->base, RN_ENOMEM,
                                 "grep: line %llu: out of memory joining a "
                                 "record of %zu bytes",
                                 (unsigned long long)rec->line, n);
        char *j = g->join;
        for (size_t i = 0; i < nf; i++) {
            if (i)
                *j++ = ',';
            if (rec->fields[i].len)
                memcpy(j, rec->fields[i].ptr, rec->fields[i].len);
            j += rec->fields[i].len;
        }
        p = n ? g->join : "";
    }
    for (size_t i = 0; i < g->nre; i++) {
        int rc = rn__regex_match(&g->re[i], p, n);
        if (rc >= 0) {
            *pat = i + 1;
            return RN_OK;
        }
        if (RN__UNLIKELY(rc != PCRE2_ERROR_NOMATCH)) {
            char msg[120];
            rn__regex_errmsg(rc, msg, sizeof msg);
            return rn__iter_fail(&g->base,
                                 rc == PCRE2_ERROR_NOMEMORY ? RN_ENOMEM
                                                            : RN_ETOOBIG,
                                 "grep: %s: line %llu: pattern %zu: regex "
                                 "match failed: %s", g->base.origin,
                                 (unsigned long long)rec->line, i + 1, msg);
        }
    }
    *pat = 0;
    return RN_OK;
}

/* ---- stepping ------------------------------------------------------------ */

static int pull(grep *g)
{
    rn_iter *it = &g->base;
    int rc = save_tail(g);
    if (rc < 0)
        return rc;
    g->seq0 += g->ub.n;
    g->ub.n = g->upos = g->run = 0;
    rc = rn_next_batch(it->up, &g->ub);
    if (rc != RN_ROW) {
        g->ub.n = 0;
        if (rc == RN_DONE)
            g->rcount = 0; /* no match is coming for them */
        if (rc == RN_DONE || rc == RN_AGAIN)
            return rc;
        return rn__iter_adopt(it, it->up, rc);
    }
    it->stats.records_in += g->ub.n;
    it->origin = it->up->origin;
    if (!g->schema || it->up->schema != g->seen) {
        if (set_schema(g, it->up->schema) < 0)
            return rn__iter_fail(it, RN_ENOMEM,
                                 "grep: out of memory for the output of %zu "
                                 "fields", it->up->schema
                                               ? it->up->schema->n + 3
                                               : 3);
    }
    return RN_ROW;
}

static int grep_next(rn_iter *it, rn_batch *out)
{
    grep *g = (grep *)it;
    int rc = RN_ROW;
    g->k = g->nsep = 0;
    for (;;) {
        if (g->upos == g->ub.n) {
            if (g->k)
                break; /* yield before the pull invalidates the views */
            if ((rc = pull(g)) != RN_ROW)
                break;
            continue;
        }
        if (g->k + g->before + 2 > g->bcap)
            break;
        size_t i = g->upos, pat;
        if ((rc = match_line(g, &g->ub.recs[i], &pat)) < 0)
            break;
        rc = RN_ROW;
        if (g->invert ? pat == 0 : pat != 0) {
            put_before(g, i);
            put_up(g, i, g->invert ? 0 : pat, true);
            g->after_left = g->after;
            g->last_match = seq_of(g, i);
        } else if (g->after_left) {
            /* Under context pushdown the next record may lie past the
             * after-context: the lines between were skipped. */
            if (g->by_line && seq_of(g, i) > g->last_match + g->after)
                g->after_left = 0;
            else {
                put_up(g, i, 0, false);
                g->after_left--;
            }
        }
        g->upos++;
    }
    /* Records past the newest `before` candidates can no longer print. */
    size_t pend = g->rcount + (g->upos - g->run);
    if (pend > g->before)
        pend = g->before;
    it->stats.filtered = g->seq0 + g->upos - g->printed - pend;
    if (g->k) {
        /* The base adds k; separators are not records of the input. */
        it->stats.records_out -= g->nsep;
        out->recs = g->r;
        out->n = g->k;
        return RN_ROW; /* an error met on the way is sticky already */
    }
    return rc;
}

static void grep_close(rn_iter *it)
{
    grep *g = (grep *)it;
    const rn_allocator *mem = &it->mem;
    for (size_t i = 0; g->re && i < g->nre; i++)
        rn__regex_free(&g->re[i]);
    rn__free(mem, g->re, g->nre * sizeof *g->re);
    for (size_t i = 0; g->ring && i < g->before; i++) {
        rn__free(mem, g->ring[i].f, g->ring[i].fcap * sizeof *g->ring[i].f);
        rn__free(mem, g->ring[i].buf, g->ring[i].bcap);
    }
    rn__free(mem, g->ring, g->before * sizeof *g->ring);
    rn__free(mem, g->join, g->jcap);
    rn__free(mem, g->needle_bytes, g->needle_cap);
    rn__free(mem, g->f, g->fcap * sizeof *g->f);
    rn__free(mem, g->r, g->rcap * sizeof *g->r);
    rn__free(mem, g->num, g->rcap * NUM_BYTES);
    for (size_t i = 0; i < g->nold; i++)
        rn__schema_free(mem, g->old[i]);
    rn__free(mem, g->old, g->nold * sizeof *g->old);
    rn__schema_free(mem, g->schema);
}

static const rn__iter_vt grep_vt = {"grep", grep_next, grep_close};

/* ---- construction -------------------------------------------------------- */

/* When every pattern holds a literal (rn__regex_literal) and grep keeps
 * matching lines (not -v, which keeps the lines without one), the line
 * reader below need only cut out the lines holding one of the literals and
 * the context around them; the rest it skips unparsed. Under -i the
 * literals are searched ignoring ASCII case, as PCRE2 matches without UTF
 * (a pattern that turns UTF on, with a verb, yields no literal). With
 * context, records are then placed by line number (by_line). */
static int push_down(grep *g, const rn_grep_opts *o)
{
    if (o->invert || o->npatterns > RN__MAX_NEEDLES)
        return RN_OK;
    size_t total = 0;
    for (size_t i = 0; i < o->npatterns; i++)
        total += strlen(o->patterns[i]) + 1;
    g->needle_bytes = rn__alloc(&g->base.mem, total);
    if (!g->needle_bytes)
        return RN_ENOMEM;
    g->needle_cap = total;
    size_t used = 0;
    for (size_t i = 0; i < o->npatterns; i++) {
        char *buf = g->needle_bytes + used;
        size_t n = rn__regex_literal(o->patterns[i], buf, total - used);
        if (n == 0)
            return RN_OK;
        g->needle[i].ptr = buf;
        g->needle[i].len = n;
        used += n;
    }
    rn__needles nd = {g->needle, o->npatterns, o->ignore_case != 0,
                      o->before, o->after};
    if (rn__want_needles(g->base.up, &nd))
        g->by_line = o->before || o->after;
    return RN_OK;
}

rn_iter *rn_grep_new(rn_iter *up, const rn_grep_opts *opts)
{
    if (!up)
        return NULL;
    grep *g = rn__iter_new(&grep_vt, sizeof *g, up, NULL);
    if (!g)
        return NULL;
    rn_iter *it = &g->base;
    it->schema = NULL; /* ours is built from up's */
    if (it->status < 0)
        return it; /* the upstream's error was adopted */
    if (!opts || !opts->patterns || opts->npatterns == 0) {
        rn__iter_fail(it, RN_EINVAL, "grep: no pattern given");
        return it;
    }
    for (size_t i = 0; i < opts->npatterns; i++)
        if (!opts->patterns[i]) {
            rn__iter_fail(it, RN_EINVAL, "grep: pattern %zu is NULL", i + 1);
            return it;
        }
    if (opts->before > MAX_BEFORE) {
        rn__iter_fail(it, RN_EINVAL,
                      "grep: %zu records of context before is more than the "
                      "cap of %u", opts->before, MAX_BEFORE);
        return it;
    }
    g->invert = opts->invert != 0;
    g->after = opts->after;
    if (opts->npatterns > SIZE_MAX / sizeof *g->re)
        goto oom;
    g->re = rn__calloc(&it->mem, opts->npatterns * sizeof *g->re);
    if (!g->re)
        goto oom;
    g->nre = opts->npatterns;
    uint32_t flags = opts->ignore_case ? PCRE2_CASELESS : 0;
    for (size_t i = 0; i < g->nre; i++) {
        char why[128];
        size_t off;
        int rc = rn__regex_compile(&g->re[i], &it->mem, opts->patterns[i],
                                   flags, why, sizeof why, &off);
        if (rc == RN_ENOMEM)
            goto oom;
        if (rc < 0) {
            if (g->nre > 1)
                rn__iter_fail(it, RN_EINVAL,
                              "grep: pattern %zu: bad regex at offset %zu: "
                              "%s: %s", i + 1, off, why, opts->patterns[i]);
            else
                rn__iter_fail(it, RN_EINVAL,
                              "grep: bad regex at offset %zu: %s: %s", off,
                              why, opts->patterns[i]);
            return it;
        }
    }
    if (push_down(g, opts) == RN_ENOMEM)
        goto oom;
    if (opts->before) {
        g->ring = rn__calloc(&it->mem, opts->before * sizeof *g->ring);
        if (!g->ring)
            goto oom;
        g->before = opts->before; /* close frees by it */
    }
    if (up->schema && set_schema(g, up->schema) < 0)
        goto oom;
    return it;
oom:
    rn_free(it);
    return NULL;
}
