/*
 * lines.c - the line reader: blocks in, one record per line out.
 *
 * Lines that lie inside a block are yielded as views into it, with no copy.
 * Only a line that spans blocks is assembled in the carry buffer, which grows
 * to the longest such line and never past max_line_bytes. Invariants:
 *  - the reader refills (which invalidates the block) only at the start of a
 *    batch (n == 0), so records never point into a block that is gone;
 *  - the carry is rewritten only at the start of a batch, after the batch that
 *    yielded the line in it has been handed out (carry_out).
 */
#include "source/source_internal.h"

#include "base/find.h"

#include <string.h>

#define DEFAULT_MAX_LINE (64 * RN__MIB)
#define MIN_CARRY (4 * RN__KIB)

static const rn_field line_name = {"line", 4};
static const rn_schema line_schema = {1, &line_name, NULL};

typedef struct lines {
    rn_iter base;
    rn_source *src;          /* owned */
    size_t max;              /* longest line accepted */
    bool keep_cr;
    bool eof;                /* the source said RN_DONE */
    bool carry_out;          /* the carry is a record of the current batch */
    const char *blk;         /* current block, valid until the next refill */
    size_t blen, bpos;       /* its length and the first unread byte */
    uint64_t blk_off;        /* decoded offset of blk[0] */
    char *carry;             /* a line that spans blocks, assembled */
    size_t clen, ccap;
    uint64_t carry_off;      /* decoded offset of carry[0] */
    uint64_t line;           /* lines yielded or skipped so far */
    /* pushdown: only lines holding one of these needles are cut out */
    rn__finder fd[RN__MAX_NEEDLES];
    size_t nneedle;
    size_t before, after;    /* context lines wanted around a hit line */
    size_t after_left;       /* lines after the last hit line still owed */
    uint64_t gen, hit_gen;   /* blocks read; the block hit[] is for */
    size_t hit[RN__MAX_NEEDLES]; /* next offset of each needle in the block,
                                    blen when none is left */
    rn_field f[RN__BATCH];
    rn_record r[RN__BATCH];
} lines;

static int too_long(lines *L, uint64_t off)
{
    return rn__iter_fail(&L->base, RN_ETOOBIG,
                         "%s: line %llu, byte %llu: line longer than the "
                         "cap of %zu bytes (max_line_bytes)",
                         L->src->name, (unsigned long long)(L->line + 1),
                         (unsigned long long)off, L->max);
}

/* Appends to the carry, growing it by doubling up to the cap. */
static int carry_append(lines *L, const char *p, size_t n)
{
    if (L->clen + n > L->max)
        return too_long(L, L->carry_off);
    if (L->clen + n > L->ccap) {
        size_t cap = L->ccap ? L->ccap : MIN_CARRY;
        while (cap < L->clen + n)
            cap *= 2;
        if (cap > L->max)
            cap = L->max;
        char *nc = rn__alloc(&L->base.mem, cap);
        if (!nc)
            return rn__iter_fail(&L->base, RN_ENOMEM,
                                 "%s: line %llu: out of memory for a line of "
                                 "%zu bytes", L->src->name,
                                 (unsigned long long)(L->line + 1),
                                 L->clen + n);
        if (L->clen)
            memcpy(nc, L->carry, L->clen);
        rn__free(&L->base.mem, L->carry, L->ccap);
        L->carry = nc;
        L->ccap = cap;
    }
    memcpy(L->carry + L->clen, p, n);
    L->clen += n;
    return RN_OK;
}

static inline void emit(lines *L, size_t i, const char *p, size_t len,
                        uint64_t off, bool ended)
{
    if (ended && !L->keep_cr && len && p[len - 1] == '\r')
        len--;
    L->f[i].ptr = p;
    L->f[i].len = len;
    L->r[i].fields = &L->f[i];
    L->r[i].nfields = 1;
    L->r[i].line = ++L->line;
    L->r[i].offset = off;
    L->r[i].raw = L->f[i];
}

static int refill(lines *L)
{
    const char *p;
    size_t len;
    int rc = rn__source_next(L->src, &p, &len);
    L->base.stats.bytes_in = rn_source_bytes_read(L->src);
    if (rc == RN_ROW) {
        L->blk_off += L->blen;
        L->blk = p;
        L->blen = len;
        L->bpos = 0;
        L->gen++;
        return rc;
    }
    if (rc == RN_DONE) {
        L->eof = true;
        return rc;
    }
    if (rc == RN_AGAIN)
        return rc;
    return rn__iter_fail(&L->base, rc, "%s", rn_source_errmsg(L->src));
}

/* ---- pushdown --------------------------------------------------------- */

/* The first needle hit at or after pos in the block, or end. Each needle's
 * next hit is remembered for the block, so each is searched once per hit. */
static size_t next_hit(lines *L, const char *b, size_t pos, size_t end)
{
    if (L->hit_gen != L->gen) {
        L->hit_gen = L->gen;
        for (size_t i = 0; i < L->nneedle; i++)
            L->hit[i] = 0;
    }
    size_t best = end;
    for (size_t i = 0; i < L->nneedle; i++) {
        if (L->hit[i] < pos || (L->hit[i] == 0 && pos == 0)) {
            const char *h = rn__finder_find(&L->fd[i], b + pos, end - pos);
            L->hit[i] = h ? (size_t)(h - b) : end;
        }
        if (L->hit[i] < best)
            best = L->hit[i];
    }
    return best;
}

/* Whether an assembled line holds a needle. */
static bool wanted(const lines *L, const char *p, size_t n)
{
    for (size_t i = 0; i < L->nneedle; i++)
        if (rn__finder_find(&L->fd[i], p, n))
            return true;
    return false;
}

/* Whether pushdown must cut out a line that hit says holds a needle or not,
 * and the after-context owed from there on: a line with a needle, then
 * `after` lines; with before-context wanted, a line it cannot tell about
 * (one assembled in the carry, whose neighbours are gone) is cut out too. */
static bool keep_line(lines *L, bool hit)
{
    if (hit) {
        L->after_left = L->after;
        return true;
    }
    if (L->after_left) {
        L->after_left--;
        return true;
    }
    return L->before > 0;
}

/* The start of the k-th line before the line starting at ls (just past a
 * '\n'), not before pos (a line start): the before-context of a hit. */
static size_t back_lines(const char *b, size_t pos, size_t ls, size_t k)
{
    size_t at = ls;
    for (; k && at > pos; k--) {
        const char *nl = at - 1 > pos ? memrchr(b + pos, '\n', at - 1 - pos)
                                      : NULL;
        at = nl ? (size_t)(nl - b) + 1 : pos;
    }
    return at;
}

/* Lines skipped by pushdown: counted, never cut out. */
static void skipped(lines *L, uint64_t k)
{
    L->line += k;
    L->base.stats.records_in += k;
    L->base.stats.filtered += k;
}

/* The start of the first line in b[pos, ls) longer than the cap ('\r'
 * counted, '\n' not), or ls; ls is just past a '\n'. Skipped lines are held
 * to the cap as cut ones are, so that RN_ETOOBIG does not depend on
 * pushdown (nor on where the blocks end: a line in the carry is checked
 * whether wanted or not). */
static size_t first_too_long(const lines *L, const char *b, size_t pos,
                             size_t ls)
{
    /* Such a line takes at least max + 2 bytes with its '\n'. */
    if (ls - pos - 1 <= L->max)
        return ls;
    while (pos < ls) {
        const char *q = memchr(b + pos, '\n', ls - pos);
        size_t len = (size_t)(q - (b + pos));
        if (len > L->max)
            return pos;
        pos += len + 1;
    }
    return ls;
}

static int lines_next(rn_iter *it, rn_batch *out)
{
    lines *L = (lines *)it;
    size_t n = 0;
    if (L->carry_out) {
        L->clen = 0;
        L->carry_out = false;
    }
    for (;;) {
        if (L->bpos == L->blen) {
            if (n)
                break; /* yield before the refill invalidates the block */
            if (!L->eof) {
                int rc = refill(L);
                if (rc == RN_ROW)
                    continue;
                if (rc != RN_DONE)
                    return rc;
            }
            if (L->clen == 0)
                return RN_DONE;
            if (L->nneedle && !keep_line(L, wanted(L, L->carry, L->clen))) {
                skipped(L, 1);
                L->clen = 0;
                return RN_DONE;
            }
            /* The last line has no '\n': it is a line all the same. */
            emit(L, n++, L->carry, L->clen, L->carry_off, false);
            L->carry_out = true;
            break;
        }
        const char *b = L->blk;
        size_t pos = L->bpos, end = L->blen;
        if (L->clen && !L->carry_out) {
            /* Finish the line begun in an earlier block. */
            const char *q = memchr(b + pos, '\n', end - pos);
            size_t take = q ? (size_t)(q - (b + pos)) : end - pos;
            int rc = carry_append(L, b + pos, take);
            if (rc < 0)
                return rc;
            L->bpos = pos + take + (q != NULL);
            if (q && L->nneedle &&
                !keep_line(L, wanted(L, L->carry, L->clen))) {
                skipped(L, 1);
                L->clen = 0;
            } else if (q) {
                emit(L, n++, L->carry, L->clen, L->carry_off, true);
                L->carry_out = true;
            }
            continue;
        }
        while (n < RN__BATCH) {
            size_t h = end;
            if (L->nneedle) {
                /* Skip to the line of the next needle hit, less its before-
                 * context; with no hit left, to the partial line at the
                 * end, which the carry checks, less the last `before`
                 * lines, which may be the context of a hit in the next
                 * block. Nothing is skipped while after-context is owed. */
                h = next_hit(L, b, pos, end);
                const char *nl = !L->after_left && h > pos
                                     ? memrchr(b + pos, '\n', h - pos)
                                     : NULL;
                if (nl) {
                    size_t ls = back_lines(b, pos, (size_t)(nl - b) + 1,
                                           L->before);
                    size_t bad = first_too_long(L, b, pos, ls);
                    skipped(L, rn__finder_count(&L->fd[0], b + pos,
                                                bad - pos, '\n'));
                    pos = bad;
                    if (bad < ls) {
                        /* As below: the batch first, then the error. */
                        if (n)
                            break;
                        L->bpos = pos;
                        return too_long(L, L->blk_off + pos);
                    }
                }
                if (h == end && !L->after_left && !L->before)
                    break;
            }
            const char *q = memchr(b + pos, '\n', end - pos);
            if (!q)
                break;
            size_t len = (size_t)(q - (b + pos));
            if (RN__UNLIKELY(len > L->max)) {
                if (n)
                    break; /* the lines before it come out first */
                L->bpos = pos;
                return too_long(L, L->blk_off + pos);
            }
            emit(L, n++, b + pos, len, L->blk_off + pos, true);
            if (L->nneedle)
                (void)keep_line(L, h < pos + len);
            pos += len + 1;
        }
        L->bpos = pos;
        if (n == RN__BATCH)
            break;
        if (pos < end) {
            if (n)
                break; /* the carry may be in this batch: keep the tail */
            L->carry_off = L->blk_off + pos;
            int rc = carry_append(L, b + pos, end - pos);
            if (rc < 0)
                return rc;
            L->bpos = end;
        }
    }
    it->stats.records_in += n;
    out->recs = L->r;
    out->n = n;
    return RN_ROW;
}

static void lines_close(rn_iter *it)
{
    lines *L = (lines *)it;
    rn__free(&it->mem, L->carry, L->ccap);
    rn_source_free(L->src);
}

static const rn__iter_vt lines_vt = {"lines", lines_next, lines_close};

static bool lines_want(rn_iter *it, const rn__needles *nd)
{
    lines *L = (lines *)it;
    for (size_t i = 0; i < nd->n; i++)
        rn__finder_init(&L->fd[i], nd->f[i], nd->ci);
    L->nneedle = nd->n;
    L->before = nd->before;
    L->after = nd->after;
    L->hit_gen = L->gen - 1; /* the hit cache is stale */
    return true;
}

rn_iter *rn_lines_new(rn_source *src, const rn_lines_opts *opts)
{
    if (!src)
        return NULL;
    lines *L = rn__iter_new(&lines_vt, sizeof *L, NULL, &src->mem);
    if (!L) {
        rn_source_free(src);
        return NULL;
    }
    L->src = src;
    L->base.origin = src->name;
    L->base.schema = &line_schema;
    L->max = opts && opts->max_line_bytes ? opts->max_line_bytes
                                          : DEFAULT_MAX_LINE;
    L->keep_cr = opts && opts->keep_cr;
    L->base.want = lines_want;
    if (src->status < 0)
        rn__iter_fail(&L->base, src->status, "%s", src->err);
    return &L->base;
}
