/*
 * appstage.c - stages and sources an application writes: a step function
 * over its own state (rn_iter_new), the light forms filter/map/flatmap over a
 * per-record callback, the combinators take and chain_of, and sources over a
 * step function, an array of records or a record callback.
 *
 * Each is a module like the built-in ones, so the base keeps the protocol
 * (sticky status, rn_next draining, freeing the chain). Borrowing is what
 * keeps them cheap: filter_fn hands out slices of upstream's batch, map hands
 * out one record whose views point where the callback put them, and only
 * flatmap copies (into a pool reused batch after batch), because its callback
 * may emit from its stack. An upstream batch is used up before upstream is
 * stepped again, so views into it stay valid while they are handed out.
 */
#include "base/runnel_internal.h"

#include <stdio.h>
#include <string.h>

/* Message prefix "origin: line N: " for a record-level error. */
static int fail_at(rn_iter *it, int code, const rn_record *r, const char *why)
{
    const char *o = it->up && it->up->origin ? it->up->origin : "";
    if (code >= 0)
        code = RN_EMISUSE;
    return rn__iter_fail(it, code, "%s: %s%sline %llu: %s", it->vt->kind, o,
                         o[0] ? ": " : "", (unsigned long long)r->line,
                         why ? why : rn_strerror(code));
}

/* ---- rn_iter_new and rn_step_source_new ---------------------------------- */

typedef struct app {
    rn_iter base;
    rn_step_fn step;
    void (*free_state)(void *state);
    void *state;
    bool follow_up;  /* the schema is up's, followed after each step */
} app;

static int app_next(rn_iter *it, rn_batch *out)
{
    app *a = (app *)it;
    out->recs = NULL;
    out->n = 0;
    int rc = a->step(a->state, it, it->up, out);
    if (a->follow_up && it->up)
        it->schema = it->up->schema;
    if (rc == RN_ROW) {
        if ((out->n == 0 || !out->recs) && it->status < 0)
            return it->status; /* rn_fail() with nothing in hand */
        if (out->n == 0 || !out->recs)
            return rn__iter_fail(it, RN_EMISUSE,
                                 "app: step returned RN_ROW with no records");
        /* An rn_fail() with records in hand: the base yields them and
         * reports the sticky error on the next call. */
        return RN_ROW;
    }
    if (it->status < 0)
        return it->status; /* rn_fail() was called: its code wins */
    if (rc == RN_DONE || rc == RN_AGAIN)
        return rc;
    if (rc >= 0)
        return rn__iter_fail(it, RN_EMISUSE,
                             "app: step returned %d, not a status it may "
                             "return", rc);
    if (it->up && it->up->status == rc)
        return rn__iter_adopt(it, it->up, rc);
    return rn__iter_fail(it, rc, "app: %s", rn_strerror(rc));
}

static void app_close(rn_iter *it)
{
    app *a = (app *)it;
    if (a->free_state)
        a->free_state(a->state);
}

static const rn__iter_vt app_vt = {"app", app_next, app_close};

/* Fills in a new app iterator (a NULL one: the constructor failed). */
static rn_iter *app_init(app *a, rn_step_fn step,
                         void (*free_state)(void *state), void *state,
                         const rn_schema *schema)
{
    if (!a) {
        if (free_state)
            free_state(state);
        return NULL;
    }
    a->step = step;
    a->free_state = free_state;
    a->state = state;
    a->follow_up = !schema;
    if (schema)
        a->base.schema = schema;
    if (a->base.status >= 0 && !step)
        rn__iter_fail(&a->base, RN_EINVAL, "app: no step function given");
    return &a->base;
}

rn_iter *rn_iter_new(rn_iter *up, rn_step_fn step,
                     void (*free_state)(void *state), void *state,
                     const rn_schema *schema)
{
    /* NULL is an upstream constructor out of memory, never a source: a
     * chain built inside out must report RN_ENOMEM, not run without it. */
    app *a = up ? rn__iter_new(&app_vt, sizeof *a, up, NULL) : NULL;
    return app_init(a, step, free_state, state, schema);
}

rn_iter *rn_step_source_new(const rn_schema *schema, rn_step_fn step,
                            void (*free_state)(void *state), void *state,
                            const rn_allocator *allocator)
{
    rn_allocator m = rn__allocator(allocator);
    app *a = rn__iter_new(&app_vt, sizeof *a, NULL, &m);
    rn_iter *it = app_init(a, step, free_state, state, schema);
    if (it && it->status >= 0 && !schema)
        rn__iter_fail(it, RN_EINVAL, "app: a source needs a schema");
    return it;
}

int rn_fail(rn_iter *self, int code, const char *fmt, ...)
{
    if (!self || self->vt != &app_vt)
        return RN_EMISUSE;
    if (code >= 0)
        code = RN_EMISUSE;
    va_list ap;
    va_start(ap, fmt);
    if (fmt)
        vsnprintf(self->err, sizeof self->err, fmt, ap);
    else
        snprintf(self->err, sizeof self->err, "app: %s", rn_strerror(code));
    va_end(ap);
    self->status = code;
    return code;
}

/* ---- an upstream batch consumed a record at a time ------------------------ */

/* The light forms walk up's batch in place; upstream is stepped only when
 * the batch is used up. */
typedef struct cursor {
    rn_batch b;  /* up's current batch */
    size_t pos;  /* its next record */
} cursor;

/* Makes sure c has a record: RN_ROW, or up's RN_DONE, RN_AGAIN or error
 * (adopted). */
static int cursor_fill(rn_iter *it, cursor *c)
{
    if (c->pos < c->b.n)
        return RN_ROW;
    c->pos = 0;
    int rc = rn_next_batch(it->up, &c->b);
    if (rc != RN_ROW) {
        c->b.n = 0;
        return rc < 0 && rc != RN_AGAIN ? rn__iter_adopt(it, it->up, rc)
                                        : rc;
    }
    it->schema = it->up->schema;
    return RN_ROW;
}

/* ---- filter_fn ---------------------------------------------------------- */

typedef struct filter_fn {
    rn_iter base;
    rn_keep_fn keep;
    void *ud;
    cursor c;
    rn_record r[RN__BATCH];
} filter_fn;

static int filter_fn_next(rn_iter *it, rn_batch *out)
{
    filter_fn *f = (filter_fn *)it;
    for (;;) {
        int rc = cursor_fill(it, &f->c);
        if (rc != RN_ROW)
            return rc;
        size_t k = 0;
        while (f->c.pos < f->c.b.n && k < RN__BATCH) {
            const rn_record *rec = &f->c.b.recs[f->c.pos];
            int v = f->keep(f->ud, it->up->schema, rec);
            if (RN__UNLIKELY(v < 0)) {
                /* Not counted as taken: in = out + filtered still holds. */
                fail_at(it, v, rec, NULL);
                break;
            }
            f->c.pos++;
            it->stats.records_in++;
            if (v > 0)
                f->r[k++] = *rec;
            else
                it->stats.filtered++;
        }
        if (k > 0) {
            out->recs = f->r;
            out->n = k;
            return RN_ROW; /* an error set above follows on the next call */
        }
        if (it->status < 0)
            return it->status;
    }
}

static const rn__iter_vt filter_fn_vt = {"filter_fn", filter_fn_next, NULL};

rn_iter *rn_filter_fn_new(rn_iter *up, rn_keep_fn keep, void *ud)
{
    if (!up)
        return NULL;
    filter_fn *f = rn__iter_new(&filter_fn_vt, sizeof *f, up, NULL);
    if (!f)
        return NULL;
    f->keep = keep;
    f->ud = ud;
    if (!keep && f->base.status >= 0)
        rn__iter_fail(&f->base, RN_EINVAL, "filter_fn: no callback given");
    return &f->base;
}

/* ---- map ----------------------------------------------------------------- */

typedef struct map {
    rn_iter base;
    rn_map_fn fn;
    void *ud;
    const rn_schema *out_schema;
    cursor c;
    size_t w;            /* output fields */
    rn_field *f;         /* w views (at least one allocated) */
    rn_record r;
} map;

static int map_next(rn_iter *it, rn_batch *out)
{
    map *m = (map *)it;
    int rc = cursor_fill(it, &m->c);
    if (rc != RN_ROW)
        return rc;
    const rn_record *in = &m->c.b.recs[m->c.pos];
    for (size_t i = 0; i < m->w; i++) {
        m->f[i].ptr = "";
        m->f[i].len = 0;
    }
    rc = m->fn(m->ud, it->up->schema, in, m->f, m->w);
    if (RN__UNLIKELY(rc != RN_OK))
        return fail_at(it, rc, in, rc > 0 ? "the callback returned a "
                                            "positive value" : NULL);
    m->c.pos++;
    it->stats.records_in++;
    m->r.fields = m->f;
    m->r.nfields = m->w;
    m->r.line = in->line;
    m->r.offset = in->offset;
    m->r.raw.ptr = NULL;
    m->r.raw.len = 0;
    it->schema = m->out_schema; /* cursor_fill set up's */
    out->recs = &m->r;
    out->n = 1;
    return RN_ROW;
}

static void map_close(rn_iter *it)
{
    map *m = (map *)it;
    rn__free(&it->mem, m->f, (m->w ? m->w : 1) * sizeof *m->f);
}

static const rn__iter_vt map_vt = {"map", map_next, map_close};

rn_iter *rn_map_new(rn_iter *up, const rn_schema *out_schema, rn_map_fn fn,
                    void *ud)
{
    if (!up)
        return NULL;
    map *m = rn__iter_new(&map_vt, sizeof *m, up, NULL);
    if (!m)
        return NULL;
    m->fn = fn;
    m->ud = ud;
    m->out_schema = out_schema;
    if (!fn || !out_schema) {
        if (m->base.status >= 0)
            rn__iter_fail(&m->base, RN_EINVAL,
                          "map: no %s given", fn ? "output schema"
                                                 : "callback");
        return &m->base;
    }
    m->w = out_schema->n;
    m->base.schema = out_schema;
    m->f = rn__alloc(&m->base.mem, (m->w ? m->w : 1) * sizeof *m->f);
    if (!m->f) {
        m->w = 0; /* close() frees by w: nothing */
        rn_free(&m->base);
        return NULL;
    }
    return &m->base;
}

/* ---- flatmap ------------------------------------------------------------- */

#define FLAT_MAX_BYTES (64 * RN__MIB)   /* field bytes per input record */
#define FLAT_MAX_RECS ((size_t)1000000) /* records per input record */
#define FLAT_SOFT_BYTES RN__MIB         /* a batch ends past this much */

/* Fields are appended to pool in order, so each one's position is the sum of
 * the lengths before it: pointers are set once the batch is complete, after
 * the last growth of the pool could have moved it. */
typedef struct flatmap {
    rn_iter base;
    rn_each_fn each;
    void *ud;
    const rn_schema *out_schema;
    cursor c;
    size_t w;              /* fields per output record */
    char *pool;            /* field bytes of the batch */
    size_t plen, pcap;
    rn_field *f;           /* w views per record */
    size_t flen, fcap;
    rn_record *r;          /* records of the batch */
    size_t nrec, rcap;
    const rn_record *in;   /* input record being expanded */
    size_t mark_rec;       /* nrec and plen before it */
    size_t mark_bytes;
    int emit_err;          /* first error emit returned for it */
} flatmap;

/* Grows *p (of *cap elements of size sz) to hold need; false: no memory. */
static bool grow(const rn_allocator *a, void **p, size_t *cap, size_t need,
                 size_t sz)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = rn__alloc(a, n * sz);
    if (!q)
        return false;
    if (*cap)
        memcpy(q, *p, *cap * sz);
    rn__free(a, *p, *cap * sz);
    *p = q;
    *cap = n;
    return true;
}

static int flat_emit(void *ctx, const rn_field *f, size_t n)
{
    flatmap *m = ctx;
    if (m->emit_err)
        return m->emit_err;
    int rc = RN_OK;
    size_t bytes = 0;
    if (n > m->w)
        rc = RN_EINVAL;
    else if (!f && n > 0)
        rc = RN_EINVAL;
    for (size_t i = 0; rc == RN_OK && i < n; i++)
        bytes += f[i].len; /* fields of one record cannot wrap a size_t */
    if (rc == RN_OK && (m->nrec - m->mark_rec >= FLAT_MAX_RECS ||
                        bytes > FLAT_MAX_BYTES -
                                    (m->plen - m->mark_bytes)))
        rc = RN_ETOOBIG;
    if (rc == RN_OK &&
        (!grow(&m->base.mem, (void **)&m->pool, &m->pcap, m->plen + bytes,
               1) ||
         !grow(&m->base.mem, (void **)&m->f, &m->fcap, m->flen + m->w,
               sizeof *m->f) ||
         !grow(&m->base.mem, (void **)&m->r, &m->rcap, m->nrec + 1,
               sizeof *m->r)))
        rc = RN_ENOMEM;
    if (rc != RN_OK) {
        m->emit_err = rc;
        return rc;
    }
    for (size_t i = 0; i < m->w; i++) {
        size_t len = i < n ? f[i].len : 0;
        if (len)
            memcpy(m->pool + m->plen, f[i].ptr, len);
        m->plen += len;
        m->f[m->flen].ptr = NULL; /* set when the batch is complete */
        m->f[m->flen++].len = len;
    }
    rn_record *r = &m->r[m->nrec++];
    r->fields = NULL;
    r->nfields = m->w;
    r->line = m->in->line;
    r->offset = m->in->offset;
    r->raw.ptr = NULL;
    r->raw.len = 0;
    return RN_OK;
}

static int flat_fail(flatmap *m, int rc, const rn_record *in)
{
    static const char *const why[] = {
        "RN_EINVAL: emit was given more fields than the output schema has",
        "RN_ETOOBIG: one input record emitted more than 1 million records "
        "or 64 MiB",
    };
    const char *w = NULL;
    if (rc == m->emit_err && rc == RN_EINVAL)
        w = why[0];
    else if (rc == m->emit_err && rc == RN_ETOOBIG)
        w = why[1];
    else if (rc > 0)
        w = "the callback returned a positive value";
    return fail_at(&m->base, rc, in, w);
}

static int flatmap_next(rn_iter *it, rn_batch *out)
{
    flatmap *m = (flatmap *)it;
    m->plen = m->flen = m->nrec = 0;
    int rc = RN_ROW;
    while (m->nrec < RN__BATCH && m->plen < FLAT_SOFT_BYTES) {
        rc = cursor_fill(it, &m->c);
        if (rc != RN_ROW)
            break;
        m->in = &m->c.b.recs[m->c.pos];
        m->mark_rec = m->nrec;
        m->mark_bytes = m->plen;
        size_t mark_f = m->flen;
        m->emit_err = RN_OK;
        rc = m->each(m->ud, it->up->schema, m->in, flat_emit, m);
        if (rc == RN_OK && m->emit_err)
            rc = m->emit_err; /* the callback dropped emit's error */
        if (RN__UNLIKELY(rc != RN_OK)) {
            /* Drop what this input emitted; yield what came before. */
            m->nrec = m->mark_rec;
            m->plen = m->mark_bytes;
            m->flen = mark_f;
            rc = flat_fail(m, rc, m->in);
            break;
        }
        m->c.pos++;
        it->stats.records_in++;
    }
    it->schema = m->out_schema; /* cursor_fill set up's */
    if (m->nrec == 0)
        return rc == RN_ROW ? RN_DONE : rc; /* RN_ROW here cannot happen */
    const char *p = m->pool;
    for (size_t i = 0; i < m->flen; i++) {
        m->f[i].ptr = p;
        p += m->f[i].len;
    }
    for (size_t k = 0; k < m->nrec; k++)
        m->r[k].fields = m->f + k * m->w;
    out->recs = m->r;
    out->n = m->nrec;
    return RN_ROW; /* an error set above follows on the next call */
}

static void flatmap_close(rn_iter *it)
{
    flatmap *m = (flatmap *)it;
    rn__free(&it->mem, m->pool, m->pcap);
    rn__free(&it->mem, m->f, m->fcap * sizeof *m->f);
    rn__free(&it->mem, m->r, m->rcap * sizeof *m->r);
}

static const rn__iter_vt flatmap_vt = {"flatmap", flatmap_next,
                                       flatmap_close};

rn_iter *rn_flatmap_new(rn_iter *up, const rn_schema *out_schema,
                        rn_each_fn each, void *ud)
{
    if (!up)
        return NULL;
    flatmap *m = rn__iter_new(&flatmap_vt, sizeof *m, up, NULL);
    if (!m)
        return NULL;
    m->each = each;
    m->ud = ud;
    m->out_schema = out_schema;
    if (!each || !out_schema) {
        if (m->base.status >= 0)
            rn__iter_fail(&m->base, RN_EINVAL, "flatmap: no %s given",
                          each ? "output schema" : "callback");
        return &m->base;
    }
    m->w = out_schema->n;
    m->base.schema = out_schema;
    return &m->base;
}

/* ---- take and chain_of --------------------------------------------------- */

rn_iter *rn_take_new(rn_iter *up, uint64_t n)
{
    return rn_head_new(up, n);
}

/* chain_of sits on an rn_chain_new() chain that opens its[i] by handing it
 * over; the iterators not handed over yet stay in this stage's array, which
 * frees them (rn_chain_new has no hook to free its ud). */
typedef struct chain_of {
    rn_iter base;
    rn_iter **its;       /* n slots; NULL once handed to the chain */
    size_t n;
} chain_of;

static rn_iter *chain_of_open(void *ud, size_t i)
{
    chain_of *c = ud;
    rn_iter *it = c->its[i];
    c->its[i] = NULL;
    return it;
}

static int chain_of_next(rn_iter *it, rn_batch *out)
{
    int rc = rn_next_batch(it->up, out);
    const rn_stats *s = &it->up->stats;
    it->stats.records_in = s->records_in;
    it->stats.filtered = s->filtered;
    it->stats.rejected = s->rejected;
    it->stats.fixed = s->fixed;
    it->stats.bytes_in = s->bytes_in;
    it->schema = it->up->schema;
    it->origin = it->up->origin;
    if (rc < 0 && rc != RN_AGAIN)
        return rn__iter_adopt(it, it->up, rc);
    return rc;
}

static void free_slots(const rn_allocator *a, rn_iter **its, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rn_free(its[i]);
    rn__free(a, its, (n ? n : 1) * sizeof *its);
}

static void chain_of_close(rn_iter *it)
{
    chain_of *c = (chain_of *)it;
    free_slots(&it->mem, c->its, c->n);
}

static const rn__iter_vt chain_of_vt = {"chain-of", chain_of_next,
                                        chain_of_close};

rn_iter *rn_chain_of(rn_iter *const *its, size_t n)
{
    bool ok = n == 0 || its;
    for (size_t i = 0; ok && i < n; i++)
        ok = its[i] != NULL;
    if (!ok) {
        for (size_t i = 0; its && i < n; i++)
            rn_free(its[i]);
        return NULL;
    }
    rn_allocator a = n ? its[0]->mem : rn__allocator(NULL);
    rn_iter **slots = rn__alloc(&a, (n ? n : 1) * sizeof *slots);
    if (!slots) {
        for (size_t i = 0; i < n; i++)
            rn_free(its[i]);
        return NULL;
    }
    if (n)
        memcpy(slots, its, n * sizeof *slots);
    /* The chain's open() needs the stage's address before the chain exists:
     * the stage is made first with no upstream, then given the chain. */
    chain_of *c = rn__iter_new(&chain_of_vt, sizeof *c, NULL, &a);
    if (!c) {
        free_slots(&a, slots, n);
        return NULL;
    }
    c->its = slots;
    c->n = n;
    rn_chain_opts o = {&a, 0};
    rn_iter *ch = rn_chain_new(chain_of_open, c, n, &o);
    if (!ch) {
        rn_free(&c->base);
        return NULL;
    }
    c->base.up = ch;
    c->base.schema = ch->schema;
    c->base.origin = ch->origin;
    if (ch->status < 0)
        rn__iter_adopt(&c->base, ch, ch->status);
    return &c->base;
}

/* ---- sources: array and callback ----------------------------------------- */

typedef struct array_src {
    rn_iter base;
    const rn_record *recs;
    size_t n, pos;
} array_src;

static int array_next(rn_iter *it, rn_batch *out)
{
    array_src *s = (array_src *)it;
    if (s->pos >= s->n)
        return RN_DONE;
    size_t k = s->n - s->pos < RN__BATCH ? s->n - s->pos : RN__BATCH;
    out->recs = s->recs + s->pos;
    out->n = k;
    s->pos += k;
    it->stats.records_in += k;
    return RN_ROW;
}

static const rn__iter_vt array_vt = {"array", array_next, NULL};

rn_iter *rn_array_source_new(const rn_schema *schema, const rn_record *recs,
                             size_t n, const rn_allocator *allocator)
{
    rn_allocator a = rn__allocator(allocator);
    array_src *s = rn__iter_new(&array_vt, sizeof *s, NULL, &a);
    if (!s)
        return NULL;
    s->recs = recs;
    s->n = n;
    s->base.schema = schema;
    s->base.origin = "array";
    if (!schema)
        rn__iter_fail(&s->base, RN_EINVAL, "array: no schema given");
    else if (!recs && n > 0)
        rn__iter_fail(&s->base, RN_EINVAL,
                      "array: no records given for n = %zu", n);
    return &s->base;
}

typedef struct callback_src {
    rn_iter base;
    rn_produce_fn next;
    void (*free_ud)(void *ud);
    void *ud;
    rn_record r;
} callback_src;

static int callback_next(rn_iter *it, rn_batch *out)
{
    callback_src *s = (callback_src *)it;
    memset(&s->r, 0, sizeof s->r);
    int rc = s->next(s->ud, &s->r);
    if (rc == RN_ROW) {
        if (!s->r.fields && s->r.nfields > 0)
            return rn__iter_fail(it, RN_EMISUSE,
                                 "callback: record %llu has %zu fields but "
                                 "no field array",
                                 (unsigned long long)it->stats.records_in + 1,
                                 s->r.nfields);
        it->stats.records_in++;
        out->recs = &s->r;
        out->n = 1;
        return RN_ROW;
    }
    if (rc == RN_DONE || rc == RN_AGAIN)
        return rc;
    if (rc >= 0)
        rc = RN_EMISUSE;
    return rn__iter_fail(it, rc, "callback: after record %llu: %s",
                         (unsigned long long)it->stats.records_in,
                         rn_strerror(rc));
}

static void callback_close(rn_iter *it)
{
    callback_src *s = (callback_src *)it;
    if (s->free_ud)
        s->free_ud(s->ud);
}

static const rn__iter_vt callback_vt = {"callback", callback_next,
                                        callback_close};

rn_iter *rn_callback_source_new(const rn_schema *schema, rn_produce_fn next,
                                void *ud, void (*free_ud)(void *ud),
                                const rn_allocator *allocator)
{
    rn_allocator a = rn__allocator(allocator);
    callback_src *s = rn__iter_new(&callback_vt, sizeof *s, NULL, &a);
    if (!s) {
        if (free_ud)
            free_ud(ud);
        return NULL;
    }
    s->next = next;
    s->free_ud = free_ud;
    s->ud = ud;
    s->base.schema = schema;
    s->base.origin = "callback";
    if (!next)
        rn__iter_fail(&s->base, RN_EINVAL, "callback: no function given");
    else if (!schema)
        rn__iter_fail(&s->base, RN_EINVAL, "callback: no schema given");
    return &s->base;
}
