/*
 * csv.c - the CSV/TSV reader: RFC 4180 records out of blocks, in batches.
 *
 * The fast path (csv_scan.c) cuts whole records out of a block along SIMD
 * bitmasks of delimiters, quotes and line ends: fields are views of the
 * block, quoted ones too, except those with doubled quotes, which are
 * unescaped into the batch's byte pool. It takes only plainly RFC 4180
 * records and declines the rest before keeping anything of them. A declined
 * record is read as units, as the reader did before the fast path: a unit
 * is a line up to '\n' (CRLF counts as one end), or up to a bare '\r', which
 * libcsv also treats as a record end. A unit with no quote character, met
 * while libcsv is not inside a record, is split at the delimiters into views
 * of the block (fast_unit); every other unit is fed to libcsv, the reference
 * parser, so libcsv alone decides how doubtful quoting works and where such
 * a record ends; its fields are copied into the byte pool. A unit holds at
 * most one record end, so each unit adds at most one record to the batch.
 * rn__csv_new_path() can turn the fast path off, or force a scanner, so that
 * tests compare the paths record for record.
 *
 * Invariants, as in lines.c: the block is refilled, the carry rewritten and
 * the pools grown only at the start of a batch (n == 0), so no yielded view
 * ever dangles. libcsv's field buffer is allocated through the chain's
 * allocator and refused past max_field_bytes, so an unclosed quote cannot
 * swallow the input.
 */
#include "source/source_internal.h"

#include "base/arena.h"
#include "csv_scan.h"
#include "base/hash.h"

#include <csv.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_MAX_FIELD (16 * RN__MIB)
#define DEFAULT_MAX_FIELDS ((size_t)100000)
#define DEFAULT_MAX_RECORD (64 * RN__MIB)
#define MIN_FIELDS ((size_t)4096)
#define MIN_CARRY (4 * RN__KIB)
#define MIN_SB (4 * RN__KIB)
#define YIELD 100 /* internal: hand out the batch, then go on */

/* Placed in front of libcsv's buffer so that its realloc and free, which get
 * no user pointer, find the reader and the allocator. */
typedef struct lbuf {
    struct csv *owner;
    size_t cap; /* usable bytes after the header */
} lbuf;

typedef struct pend_field {
    size_t off, len; /* into sb: offsets, since sb may move between batches */
} pend_field;

typedef struct csv {
    rn_iter base;
    rn_source *src;           /* owned */
    unsigned char delim, quote;
    bool has_header, strict;
    size_t max_field, max_fields, max_record;
    rn_reject_fn on_reject;
    void *reject_ud;

    struct csv_parser p;      /* libcsv, for the units the fast path skips */
    bool in_record;           /* libcsv holds part of a record */
    bool row_done;            /* set by libcsv's row callback */
    bool row_ready;           /* a libcsv record waits for room in f */
    bool cap_hit;             /* a field passed max_field_bytes in libcsv */
    bool too_many;            /* a libcsv record passed max_fields */
    uint64_t rec_line, rec_off; /* where the libcsv record began */

    const char *blk;          /* current block */
    size_t blen, bpos;
    uint64_t blk_off;         /* decoded offset of blk[0] */
    bool eof;
    char *carry;              /* one line that spans blocks */
    size_t clen, ccap, cpos;
    uint64_t carry_off;
    bool assembling;          /* the carry is still missing its line end */
    bool carry_ready;         /* the carry holds a line being consumed */
    bool bom_done;
    uint64_t line;            /* line number where the next unit starts */

    rn_record r[RN__BATCH];
    size_t n;                 /* records in the batch being built */
    rn_field *f;              /* field views of this batch */
    size_t fcap, fn;
    char *sb;                 /* libcsv field bytes: batch, then pending */
    size_t sbcap, sblen, pend_start;
    pend_field *pend;         /* fields of the libcsv record in progress */
    size_t pendcap, npend;

    int path;                 /* enum rn__csv_path: how lines are split */
    rn__csv_scan scan;        /* the fast path's scanner */

    bool header_pending;      /* the next record names the fields */
    bool priming;             /* the constructor reads just the header */
    size_t ncols;             /* fields in the schema */
    rn_schema *schema;        /* current, owned */
    rn_schema **old;          /* replaced by wider ones, freed at close */
    size_t nold, oldcap;
} csv;

/* ---- libcsv's memory ----------------------------------------------------- */

static void *lbuf_realloc(void *ptr, size_t size)
{
    /* ptr is never NULL: the buffer is seeded at construction. */
    lbuf *h = (lbuf *)ptr - 1;
    csv *c = h->owner;
    if (size <= h->cap)
        return ptr; /* grown ahead of time: libcsv asks 128 bytes at a time */
    if (size > c->max_field + 1) {
        c->cap_hit = true;
        return NULL;
    }
    size_t cap = h->cap * 2;
    if (cap < size)
        cap = size;
    if (cap > c->max_field + 1)
        cap = c->max_field + 1;
    lbuf *nh = rn__alloc(&c->base.mem, sizeof *nh + cap);
    if (!nh)
        return NULL;
    nh->owner = c;
    nh->cap = cap;
    memcpy(nh + 1, ptr, h->cap);
    rn__free(&c->base.mem, h, sizeof *h + h->cap);
    return nh + 1;
}

static void lbuf_free(void *ptr)
{
    if (!ptr)
        return;
    lbuf *h = (lbuf *)ptr - 1;
    rn__free(&h->owner->base.mem, h, sizeof *h + h->cap);
}

static int no_space(unsigned char ch)
{
    (void)ch;
    return 0; /* spaces are data: libcsv would trim them otherwise */
}

/* ---- errors and rejects -------------------------------------------------- */

static int fail_at(csv *c, int code, uint64_t line, const char *what)
{
    return rn__iter_fail(&c->base, code, "%s: line %llu: %s", c->src->name,
                         (unsigned long long)line, what);
}

/* A record --strict refuses: a reject when someone listens, else an error. */
static int refuse(csv *c, uint64_t line, uint64_t off, const char *reason,
                  const char *raw, size_t rawlen)
{
    if (!c->on_reject)
        return fail_at(c, RN_EPARSE, line, reason);
    c->base.stats.rejected++;
    c->on_reject(c->reject_ud, c->src->name, line, off, reason, raw, rawlen);
    return RN_OK;
}

/* ---- pools --------------------------------------------------------------- */

static bool grow(const rn_allocator *mem, void **buf, size_t *cap, size_t need,
                 size_t elem, size_t keep)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap *= 2;
    void *nb = rn__alloc(mem, ncap * elem);
    if (!nb)
        return false;
    if (keep)
        memcpy(nb, *buf, keep * elem);
    rn__free(mem, *buf, *cap * elem);
    *buf = nb;
    *cap = ncap;
    return true;
}

static int oom(csv *c)
{
    return rn__iter_fail(&c->base, RN_ENOMEM, "%s: line %llu: out of memory",
                         c->src->name, (unsigned long long)c->line);
}

/* ---- schema -------------------------------------------------------------- */

/* Names fields from a header row (or numbers them, without one): an empty
 * name becomes "_N", a repeated one "name_2", "name_3"... Extra columns of a
 * ragged row extend the schema the same way. */
static int set_schema(csv *c, const rn_field *names, size_t nnames,
                      size_t width)
{
    rn__arena ar;
    rn__arena_init(&ar, &c->base.mem, 0);
    rn__hmap seen;
    rn_field *out = NULL;
    size_t outcap = 0;
    int rc = RN_ENOMEM;
    if (rn__hmap_init(&seen, &c->base.mem, width) != RN_OK)
        goto done;
    if (!grow(&c->base.mem, (void **)&out, &outcap, width ? width : 1,
              sizeof *out, 0))
        goto done;
    for (size_t i = 0; i < width; i++) {
        char tmp[48];
        rn_field want;
        if (i < nnames && names[i].len) {
            want = names[i];
        } else {
            int k = snprintf(tmp, sizeof tmp, c->has_header ? "_%zu" : "%zu",
                             i + 1);
            want.ptr = tmp;
            want.len = (size_t)k;
        }
        for (unsigned dup = 1;; dup++) {
            rn_field cand = want;
            char *buf = NULL;
            if (dup > 1) {
                buf = rn__arena_alloc(&ar, want.len + 24, 1);
                if (!buf)
                    goto done;
                memcpy(buf, want.ptr, want.len);
                cand.len = want.len + (size_t)snprintf(buf + want.len, 24,
                                                       "_%u", dup);
                cand.ptr = buf;
            } else {
                cand.ptr = rn__arena_dup(&ar, want.ptr, want.len);
                if (!cand.ptr)
                    goto done;
            }
            uint64_t h = rn__hash_bytes(cand.ptr, cand.len, RN__HASH_SEED);
            uint32_t *v;
            bool found;
            if (rn__hmap_put(&seen, cand.ptr, cand.len, h, &v, &found) != RN_OK)
                goto done;
            if (!found) {
                out[i] = cand;
                break;
            }
        }
    }
    rn_schema *s = rn__schema_new(&c->base.mem, out, width);
    if (!s)
        goto done;
    if (c->schema) {
        if (!grow(&c->base.mem, (void **)&c->old, &c->oldcap, c->nold + 1,
                  sizeof *c->old, c->nold)) {
            rn__schema_free(&c->base.mem, s);
            goto done;
        }
        c->old[c->nold++] = c->schema;
    }
    c->schema = s;
    c->base.schema = s;
    c->ncols = width;
    rc = RN_OK;
done:
    rn__free(&c->base.mem, out, outcap * sizeof *out);
    rn__hmap_free(&seen);
    rn__arena_free(&ar);
    return rc == RN_OK ? rc : oom(c);
}

/* The fields f[first .. first+nf) make a record (or the header). Rows of the
 * wrong width are repaired (padded, or the schema widened) and counted, or
 * refused under --strict. f has room for ncols fields past first. */
static int finish(csv *c, size_t first, size_t nf, uint64_t line,
                  uint64_t off, const char *raw, size_t rawlen)
{
    if (c->header_pending) {
        c->header_pending = false;
        return set_schema(c, c->f + first, nf, nf);
    }
    c->base.stats.records_in++;
    if (!c->schema) {
        int rc = set_schema(c, NULL, 0, nf); /* --no-header: name 1..n */
        if (rc < 0)
            return rc;
    }
    if (nf != c->ncols) {
        if (c->strict) {
            char why[96];
            snprintf(why, sizeof why, "ragged row: %zu field%s, header has %zu",
                     nf, nf == 1 ? "" : "s", c->ncols);
            return refuse(c, line, off, why, raw, rawlen);
        }
        c->base.stats.fixed++;
        if (nf > c->ncols) {
            int rc = set_schema(c, c->schema->name, c->ncols, nf);
            if (rc < 0)
                return rc;
        }
        for (; nf < c->ncols; nf++) {
            c->f[first + nf].ptr = "";
            c->f[first + nf].len = 0;
        }
    }
    c->r[c->n].fields = c->f + first;
    c->r[c->n].nfields = nf;
    c->r[c->n].line = line;
    c->r[c->n].offset = off;
    c->r[c->n].raw.ptr = raw;
    c->r[c->n].raw.len = raw ? rawlen : 0;
    c->n++;
    c->fn = first + nf;
    return RN_OK;
}

/* ---- the slow path: libcsv ----------------------------------------------- */

static void cb_field(void *data, size_t len, void *ud)
{
    csv *c = ud;
    if (c->npend >= c->max_fields) {
        c->too_many = true;
        return;
    }
    if (c->npend == c->pendcap &&
        !grow(&c->base.mem, (void **)&c->pend, &c->pendcap, c->npend + 1,
              sizeof *c->pend, c->npend)) {
        c->too_many = true; /* reported as out of memory below */
        c->cap_hit = false;
        c->npend = SIZE_MAX;
        return;
    }
    /* Room for the bytes was made before csv_parse was called. */
    if (len)
        memcpy(c->sb + c->sblen, data, len);
    c->pend[c->npend].off = c->sblen;
    c->pend[c->npend].len = len;
    c->npend++;
    c->sblen += len;
}

static void cb_row(int term, void *ud)
{
    (void)term;
    ((csv *)ud)->row_done = true;
}

static void reset_parser(csv *c)
{
    /* What csv_fini leaves behind, without submitting anything. */
    c->p.pstate = 0;
    c->p.quoted = 0;
    c->p.spaces = 0;
    c->p.entry_pos = 0;
    c->p.status = 0;
    c->npend = 0;
    c->sblen = c->pend_start;
    c->in_record = false;
}

/* Turns the completed libcsv record into a batch record. */
static int complete_row(csv *c)
{
    size_t need = c->npend > c->ncols ? c->npend : c->ncols;
    if (c->fn + need > c->fcap) {
        if (c->n) {
            c->row_ready = true;
            return YIELD;
        }
        if (!grow(&c->base.mem, (void **)&c->f, &c->fcap, c->fn + need,
                  sizeof *c->f, 0))
            return oom(c);
    }
    c->row_ready = false;
    for (size_t i = 0; i < c->npend; i++) {
        c->f[c->fn + i].ptr = c->sb + c->pend[i].off;
        c->f[c->fn + i].len = c->pend[i].len;
    }
    size_t nf = c->npend;
    c->npend = 0;
    c->pend_start = c->sblen;
    c->in_record = false;
    return finish(c, c->fn, nf, c->rec_line, c->rec_off, NULL, 0);
}

/* Checks what libcsv did with the last input; returns RN_OK, YIELD or an
 * error. ok is whether csv_parse/csv_fini took everything. */
static int after_libcsv(csv *c, bool ok, const char *raw, size_t rawlen)
{
    if (c->npend == SIZE_MAX)
        return oom(c);
    if (c->too_many) {
        char why[96];
        snprintf(why, sizeof why, "more than %zu fields (max_fields)",
                 c->max_fields);
        return fail_at(c, RN_ETOOBIG, c->rec_line, why);
    }
    if (c->cap_hit || c->p.entry_pos > c->max_field) {
        char why[128];
        snprintf(why, sizeof why,
                 "field %zu longer than the cap of %zu bytes "
                 "(max_field_bytes; an unclosed quote?)",
                 c->npend + 1, c->max_field);
        return fail_at(c, RN_ETOOBIG, c->rec_line, why);
    }
    if (!ok) {
        int e = csv_error(&c->p);
        if (e == CSV_ENOMEM)
            return oom(c);
        uint64_t line = c->rec_line, off = c->rec_off;
        reset_parser(c);
        c->base.stats.records_in++;
        return refuse(c, line, off, "malformed quoting (--strict)", raw,
                      rawlen);
    }
    if (c->row_done)
        return complete_row(c);
    c->in_record = c->p.pstate != 0;
    return RN_OK;
}

/* Makes room in sb for what the next libcsv call may submit. */
static int sb_room(csv *c, size_t more)
{
    size_t need = c->sblen + c->p.entry_pos + more + 1;
    if (need <= c->sbcap)
        return RN_OK;
    if (c->n)
        return YIELD; /* records of this batch point into sb */
    if (need - c->pend_start > c->max_record + c->max_field)
        return fail_at(c, RN_ETOOBIG, c->rec_line,
                       "record longer than the cap (max_record_bytes)");
    if (!grow(&c->base.mem, (void **)&c->sb, &c->sbcap, need, 1, c->sblen))
        return oom(c);
    return RN_OK;
}

static int slow_unit(csv *c, const char *s, size_t len, uint64_t off)
{
    if (!c->in_record) {
        c->rec_line = c->line;
        c->rec_off = off;
    }
    int rc = sb_room(c, len);
    if (rc != RN_OK)
        return rc;
    c->row_done = false;
    size_t fed = csv_parse(&c->p, s, len, cb_field, cb_row, c);
    return after_libcsv(c, fed == len, s, len);
}

/* ---- the fast path ------------------------------------------------------- */

static int fast_unit(csv *c, const char *s, size_t len, uint64_t off)
{
    if (len == 0)
        return RN_OK; /* an empty line is not a record (as in libcsv) */
    const char *end = s + len;
    for (;;) {
        size_t k = c->fn, lim = c->fcap;
        const char *p = s;
        bool full = false;
        for (;;) {
            if (k == lim) {
                full = true;
                break;
            }
            const char *d = memchr(p, c->delim, (size_t)(end - p));
            const char *e = d ? d : end;
            c->f[k].ptr = p;
            c->f[k].len = (size_t)(e - p);
            k++;
            if (!d)
                break;
            p = d + 1;
        }
        size_t nf = k - c->fn;
        if (!full && c->fn + (nf > c->ncols ? nf : c->ncols) <= c->fcap) {
            if (nf > c->max_fields) {
                char why[96];
                snprintf(why, sizeof why, "more than %zu fields (max_fields)",
                         c->max_fields);
                return fail_at(c, RN_ETOOBIG, c->line, why);
            }
            for (size_t i = c->fn; i < k; i++)
                if (RN__UNLIKELY(c->f[i].len > c->max_field)) {
                    char why[96];
                    snprintf(why, sizeof why,
                             "field %zu longer than the cap of %zu bytes "
                             "(max_field_bytes)", i - c->fn + 1, c->max_field);
                    return fail_at(c, RN_ETOOBIG, c->line, why);
                }
            return finish(c, c->fn, nf, c->line, off, s, len);
        }
        /* Out of field slots: a fresh batch (fn == 0) may grow them. */
        if (c->n)
            return YIELD;
        size_t need = c->fn + nf + c->ncols; /* slots are absolute */
        if (full) {
            if (c->fcap > c->max_fields) {
                char why[96];
                snprintf(why, sizeof why, "more than %zu fields (max_fields)",
                         c->max_fields);
                return fail_at(c, RN_ETOOBIG, c->line, why);
            }
            need = c->fcap * 2;
            if (need > c->max_fields + 1 + c->ncols)
                need = c->max_fields + 1 + c->ncols;
        }
        if (!grow(&c->base.mem, (void **)&c->f, &c->fcap, need, sizeof *c->f,
                  0))
            return oom(c);
    }
}

/* ---- the fast path: whole records ------------------------------------------ */

#define DECLINE 101 /* internal: the next record is for the units below */

/* Cuts records out of d[*pos, len) with the scanner (csv_scan.c) up to the
 * last line end in it (all of it when last) and finishes them into the
 * batch. Returns RN_OK when that is done, YIELD when the batch must go out
 * first, DECLINE when the record at *pos is one the fast path leaves to the
 * units below (libcsv, or the caps' errors), or an error. */
static int fast_records(csv *c, const char *d, size_t len, size_t *pos,
                        uint64_t base_off, bool last)
{
    size_t lim = len;
    if (!last) {
        const char *nl = memrchr(d + *pos, '\n', len - *pos);
        if (!nl)
            return RN_OK;
        lim = (size_t)(nl - d) + 1;
    }
    for (;;) {
        if (c->n == RN__BATCH)
            return YIELD;
        rn__csv_cutter io;
        io.d = d;
        io.lim = lim;
        io.last = last;
        io.base_off = base_off;
        io.f = c->f;
        io.fcap = c->fcap;
        io.ncols = c->schema ? c->ncols : 0;
        io.max_fields = c->max_fields;
        io.max_field = c->max_field;
        io.sb = c->sb;
        io.sbcap = c->sbcap;
        io.r = c->r + c->n;
        io.maxrec = RN__BATCH - c->n;
        io.pos = *pos;
        io.line = c->line;
        io.fn = c->fn;
        io.sblen = c->sblen;
        rn__csv_cut_records(&c->scan, &io);
        /* Records of ncols fields are complete as cut: finish() would only
         * count them. */
        c->n += io.nrec;
        c->base.stats.records_in += io.nrec;
        c->fn = io.fn;
        /* An odd record's fields are its own until finish() keeps it (a
         * refused one must not hold slots: a fresh batch would then find
         * no room and no way to grow). */
        if (io.stop == RN__CUT_ODD)
            c->fn = io.odd.first;
        *pos = io.pos;
        c->line = io.line;
        /* libcsv has no record in progress, so nothing is pending in sb. */
        c->sblen = c->pend_start = io.sblen;
        if (io.stop == RN__CUT_ODD) {
            const rn__csv_cut *o = &io.odd;
            int rc = finish(c, o->first, o->nf, o->line, base_off + o->start,
                            o->quoted ? NULL : d + o->start,
                            o->quoted ? 0 : o->rawlen);
            if (rc < 0)
                return rc;
        }
        switch (io.stop) {
        case RN__CUT_END:
            return RN_OK;
        case RN__CUT_DECLINE:
            return DECLINE;
        case RN__CUT_ROOM_F:
            /* fast_unit or libcsv grows the pool for a fresh batch. */
            return c->n ? YIELD : DECLINE;
        case RN__CUT_ROOM_SB:
            if (c->n)
                return YIELD; /* records of this batch point into sb */
            if (!grow(&c->base.mem, (void **)&c->sb, &c->sbcap,
                      io.need < MIN_SB ? MIN_SB : io.need, 1, c->sblen))
                return oom(c);
            break;
        default: /* RN__CUT_FULL, RN__CUT_ODD: the schema may have grown */
            break;
        }
    }
}

/* ---- units ----------------------------------------------------------------- */

/* Consumes d[*pos, len): whole records through the fast path where it can,
 * else unit by unit. Stops with RN_OK when the region is used up or only a
 * line without its end remains (unless last: the end of input), YIELD when
 * the batch must go out first, or an error. */
static int units(csv *c, const char *d, size_t len, size_t *pos,
                 uint64_t base_off, bool last)
{
    while (*pos < len) {
        if (c->n == RN__BATCH || (c->priming && !c->header_pending))
            return YIELD;
        if (c->path < RN__CSV_UNITS && !c->in_record && c->bom_done &&
            !c->header_pending) {
            int rc = fast_records(c, d, len, pos, base_off, last);
            if (rc != DECLINE)
                return rc;
            /* One unit below, then the fast path again. */
        }
        const char *s = d + *pos;
        size_t rest = len - *pos;
        const char *nl = memchr(s, '\n', rest);
        if (!nl && !last)
            return RN_OK;
        size_t ulen = nl ? (size_t)(nl - s) : rest; /* content */
        size_t tlen = nl ? 1 : 0;                    /* terminator */
        const char *cr = memchr(s, '\r', ulen);
        if (cr && cr + 1 == s + ulen) {
            /* CRLF, or a CR that ends the input: one line end. */
            ulen--;
            tlen++;
        } else if (cr) {
            /* A bare CR ends a record, as libcsv has it. */
            ulen = (size_t)(cr - s);
            tlen = 1;
            nl = NULL;
        }
        if (!c->bom_done) {
            c->bom_done = true;
            if (ulen >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
                *pos += 3;
                continue;
            }
        }
        uint64_t off = base_off + *pos;
        int rc;
        if (c->in_record || c->path == RN__CSV_LIBCSV ||
            memchr(s, c->quote, ulen))
            rc = slow_unit(c, s, ulen + tlen, off);
        else
            rc = fast_unit(c, s, ulen, off);
        /* YIELD before a unit leaves it for the next batch; after one
         * (libcsv took it, its record waits for room) it is consumed. */
        if (rc == YIELD && !c->row_ready)
            return rc;
        *pos += ulen + tlen;
        if (nl)
            c->line++;
        if (rc != RN_OK)
            return rc;
    }
    return RN_OK;
}

/* ---- the step function ----------------------------------------------------- */

static int carry_append(csv *c, const char *p, size_t len)
{
    if (c->clen + len > c->max_record)
        return fail_at(c, RN_ETOOBIG, c->line,
                       "line longer than the cap (max_record_bytes)");
    if (c->clen + len > c->ccap) {
        size_t cap = c->ccap ? c->ccap : MIN_CARRY;
        while (cap < c->clen + len)
            cap *= 2;
        if (!grow(&c->base.mem, (void **)&c->carry, &c->ccap, cap, 1, c->clen))
            return oom(c);
    }
    memcpy(c->carry + c->clen, p, len);
    c->clen += len;
    return RN_OK;
}

static int refill(csv *c)
{
    const char *p;
    size_t len;
    int rc = rn__source_next(c->src, &p, &len);
    c->base.stats.bytes_in = rn_source_bytes_read(c->src);
    if (rc == RN_ROW) {
        c->blk_off += c->blen;
        c->blk = p;
        c->blen = len;
        c->bpos = 0;
        return rc;
    }
    if (rc == RN_DONE) {
        c->eof = true;
        return rc;
    }
    if (rc == RN_AGAIN)
        return rc;
    return rn__iter_fail(&c->base, rc, "%s", rn_source_errmsg(c->src));
}

/* Starts a batch: views of the last one are dead, so the pools are reused
 * and libcsv's record in progress moves to the front of sb. */
static void begin_batch(csv *c)
{
    c->n = 0;
    c->fn = 0;
    if (c->pend_start) {
        size_t keep = c->sblen - c->pend_start;
        memmove(c->sb, c->sb + c->pend_start, keep);
        for (size_t i = 0; i < c->npend; i++)
            c->pend[i].off -= c->pend_start;
        c->sblen = keep;
        c->pend_start = 0;
    }
}

/* Runs until a batch is full (YIELD), the input ends (RN_DONE), the source
 * needs more (RN_AGAIN) or an error. While priming (the constructor) it
 * stops right after the header, so the schema is known before any step. */
static int run(csv *c)
{
    for (;;) {
        if (c->priming && !c->header_pending)
            return YIELD;
        int rc;
        if (c->row_ready) {
            rc = complete_row(c);
            if (rc != RN_OK)
                return rc;
            continue;
        }
        if (c->carry_ready) {
            rc = units(c, c->carry, c->clen, &c->cpos, c->carry_off, true);
            if (rc != RN_OK)
                return rc;
            c->carry_ready = false;
            c->clen = c->cpos = 0;
            continue;
        }
        if (c->bpos < c->blen) {
            rc = units(c, c->blk, c->blen, &c->bpos, c->blk_off, false);
            if (rc != RN_OK)
                return rc;
            if (c->bpos < c->blen) {
                /* A line without its end yet: it goes to the carry, which
                 * records of this batch may still point into. */
                if (c->n)
                    return YIELD;
                c->carry_off = c->blk_off + c->bpos;
                rc = carry_append(c, c->blk + c->bpos, c->blen - c->bpos);
                if (rc < 0)
                    return rc;
                c->bpos = c->blen;
                c->assembling = true;
            }
            continue;
        }
        if (c->n)
            return YIELD; /* the refill would invalidate the batch */
        if (!c->eof) {
            rc = refill(c);
            if (rc == RN_AGAIN || rc < 0)
                return rc;
            if (rc == RN_ROW && c->assembling) {
                const char *nl = memchr(c->blk, '\n', c->blen);
                size_t take = nl ? (size_t)(nl - c->blk) + 1 : c->blen;
                rc = carry_append(c, c->blk, take);
                if (rc < 0)
                    return rc;
                c->bpos = take;
                if (nl) {
                    c->assembling = false;
                    c->carry_ready = true;
                }
            }
            continue;
        }
        if (c->assembling) {
            /* The last line has no '\n'. */
            c->assembling = false;
            c->carry_ready = true;
            continue;
        }
        if (c->in_record) {
            rc = sb_room(c, 0);
            if (rc != RN_OK)
                return rc;
            c->row_done = false;
            int fr = csv_fini(&c->p, cb_field, cb_row, c);
            c->in_record = false;
            if (fr != 0 && !c->cap_hit && csv_error(&c->p) == CSV_EPARSE) {
                uint64_t line = c->rec_line, off = c->rec_off;
                reset_parser(c);
                c->base.stats.records_in++;
                rc = refuse(c, line, off,
                            "unclosed quote at the end of the input (--strict)",
                            NULL, 0);
            } else {
                rc = after_libcsv(c, fr == 0, NULL, 0);
            }
            if (rc != RN_OK)
                return rc;
            continue;
        }
        return RN_DONE;
    }
}

static int csv_next(rn_iter *it, rn_batch *out)
{
    csv *c = (csv *)it;
    begin_batch(c);
    int rc = run(c);
    /* Records before an error still go out: the error is already sticky in
     * the base, which reports it once they are drained. */
    if ((rc == RN_DONE || rc < 0) && c->n)
        rc = YIELD;
    if (rc != YIELD)
        return rc;
    out->recs = c->r;
    out->n = c->n;
    return RN_ROW;
}

static void csv_close(rn_iter *it)
{
    csv *c = (csv *)it;
    const rn_allocator *m = &it->mem;
    csv_free(&c->p);
    rn__free(m, c->carry, c->ccap);
    rn__free(m, c->f, c->fcap * sizeof *c->f);
    rn__free(m, c->sb, c->sbcap);
    rn__free(m, c->pend, c->pendcap * sizeof *c->pend);
    for (size_t i = 0; i < c->nold; i++)
        rn__schema_free(m, c->old[i]);
    rn__free(m, c->old, c->oldcap * sizeof *c->old);
    rn__schema_free(m, c->schema);
    rn_source_free(c->src);
}

static const rn__iter_vt csv_vt = {"csv", csv_next, csv_close};

int rn__csv_path_of(const rn_iter *it)
{
    if (!it || it->vt != &csv_vt)
        return -1;
    const csv *c = (const csv *)it;
    return c->path < RN__CSV_UNITS ? c->scan.kind : c->path;
}

rn_iter *rn_csv_new(rn_source *src, const rn_csv_opts *o)
{
    return rn__csv_new_path(src, o, RN__CSV_AUTO);
}

rn_iter *rn__csv_new_path(rn_source *src, const rn_csv_opts *o, int path)
{
    if (!src)
        return NULL;
    csv *c = rn__iter_new(&csv_vt, sizeof *c, NULL, &src->mem);
    if (!c) {
        rn_source_free(src);
        return NULL;
    }
    c->src = src;
    c->base.origin = src->name;
    c->delim = o && o->delimiter ? (unsigned char)o->delimiter : ',';
    c->quote = o && o->quote ? (unsigned char)o->quote : '"';
    c->has_header = !(o && o->no_header);
    c->header_pending = c->has_header;
    c->strict = o && o->strict;
    c->max_field = o && o->max_field_bytes ? o->max_field_bytes
                                           : DEFAULT_MAX_FIELD;
    c->max_fields = o && o->max_fields ? o->max_fields : DEFAULT_MAX_FIELDS;
    c->max_record = DEFAULT_MAX_RECORD;
    if (c->max_record < c->max_field)
        c->max_record = c->max_field;
    c->on_reject = o ? o->on_reject : NULL;
    c->reject_ud = o ? o->reject_ud : NULL;
    c->line = 1;
    c->path = path >= RN__CSV_AUTO && path <= RN__CSV_LIBCSV ? path
                                                            : RN__CSV_AUTO;
    rn__csv_scan_init(&c->scan, c->delim, c->quote, c->path);

    if (src->status < 0) {
        rn__iter_fail(&c->base, src->status, "%s", src->err);
        return &c->base;
    }
    if (c->delim == c->quote || c->delim == '\n' || c->delim == '\r' ||
        c->quote == '\n' || c->quote == '\r') {
        rn__iter_fail(&c->base, RN_EINVAL,
                      "%s: the delimiter and the quote must be two different "
                      "bytes other than CR and LF", src->name);
        return &c->base;
    }
    unsigned char opts = c->strict ? (CSV_STRICT | CSV_STRICT_FINI) : 0;
    lbuf *seed = rn__alloc(&c->base.mem, sizeof *seed + 256);
    if (csv_init(&c->p, opts) != 0 || !seed) {
        rn__free(&c->base.mem, seed, sizeof *seed + 256);
        rn_free(&c->base);
        return NULL;
    }
    seed->owner = c;
    seed->cap = 256;
    c->p.entry_buf = (unsigned char *)(seed + 1);
    c->p.entry_size = 256;
    csv_set_realloc_func(&c->p, lbuf_realloc);
    csv_set_free_func(&c->p, lbuf_free);
    csv_set_space_func(&c->p, no_space);
    csv_set_delim(&c->p, c->delim);
    csv_set_quote(&c->p, c->quote);
    if (!grow(&c->base.mem, (void **)&c->f, &c->fcap, MIN_FIELDS,
              sizeof *c->f, 0)) {
        rn_free(&c->base);
        return NULL;
    }
    /* Read the header now, so the field names are known before the first
     * step; a push source that has no bytes yet leaves that for later. */
    if (c->header_pending) {
        c->priming = true;
        int rc = run(c);
        c->priming = false;
        if (rc == RN_ENOMEM && c->base.status == RN_ENOMEM) {
            rn_free(&c->base);
            return NULL;
        }
        if (rc == RN_DONE)
            c->header_pending = false; /* an empty input has no fields */
    }
    return &c->base;
}
