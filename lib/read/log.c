/*
 * log.c - the log reader: parses the line each upstream record starts with
 * into named fields, which are views into that line (no copy, no allocation
 * per record; the reader owns only its field and record arrays).
 * Invariants: the upstream is stepped only once its batch is used up, so the
 * views yielded stay valid until our next call; a line that does not parse
 * is counted and handed to on_reject, never yielded and never fatal; a batch
 * is yielded only when non-empty. "auto" keeps no lines: it votes on the
 * first upstream batch holding a line some format matches (at most
 * AUTO_LINES non-blank lines), so the lines before that, which no format
 * could parse, are rejected alike whatever the batching.
 */
#include "base/runnel_internal.h"

#include "base/regex_internal.h"

#include <stdio.h>
#include <string.h>

#define AUTO_LINES 64          /* non-blank lines auto-detection looks at */
#define MAX_BUILTIN_FIELDS 9   /* combined has the most fields */
#define BATCH_FIELDS 16384     /* cap on fields per batch (regex: many groups) */

enum log_fmt { F_AUTO, F_PIPE, F_SYSLOG, F_CLF, F_COMBINED, F_REGEX };

static const char *const fmt_names[] = {
    NULL, "pipe", "syslog", "clf", "combined", "regex",
};

/* ---- schemas of the built-in formats ----------------------------------- */

#define NAME(s) {s, sizeof s - 1}
static const rn_field pipe_names[] = {
    NAME("timestamp"), NAME("level"), NAME("message"),
};
static const rn_field syslog_names[] = {
    NAME("timestamp"), NAME("host"), NAME("tag"), NAME("pid"),
    NAME("message"),
};
static const rn_field clf_names[] = {
    NAME("ip"), NAME("ident"), NAME("user"), NAME("time"), NAME("request"),
    NAME("status"), NAME("bytes"), NAME("referer"), NAME("agent"),
};
#undef NAME
static const rn_schema pipe_schema = {3, pipe_names, NULL};
static const rn_schema syslog_schema = {5, syslog_names, NULL};
static const rn_schema clf_schema = {7, clf_names, NULL};
static const rn_schema combined_schema = {9, clf_names, NULL};

/* ---- reject reasons ------------------------------------------------------ */

static const char R_EMPTY[] = "empty line";
static const char R_UNKNOWN[] = "matches no known log format";
static const char R_PIPE[] = "expected timestamp|level|message";
static const char R_PRI[] = "bad <PRI> prefix";
static const char R_MONTH[] = "expected a month name (Jan..Dec)";
static const char R_DAY[] = "expected a day of the month";
static const char R_TIME[] = "expected hh:mm:ss";
static const char R_HOST[] = "expected a host name";
static const char R_PID[] = "unclosed [pid]";
static const char R_CLF[] = "expected ip ident user [time]";
static const char R_CTIME[] = "expected [time]";
static const char R_REQ[] = "expected \"request\"";
static const char R_STATUS[] = "status must be 3 digits";
static const char R_BYTES[] = "bytes must be digits or '-'";
static const char R_REFAGENT[] = "expected \"referer\" \"agent\"";
static const char R_NOMATCH[] = "does not match the regex";
static const char R_NOMEM[] = "out of memory"; /* fatal, never a reject */

/* ---- the reader ---------------------------------------------------------- */

typedef struct logr {
    rn_iter base;
    int fmt;                   /* enum log_fmt; F_AUTO until decided */
    size_t nf;                 /* fields per record once decided */
    size_t bcap;               /* records per batch */
    size_t fcap;               /* fields allocated (bcap * max fields) */
    rn_reject_fn on_reject;
    void *reject_ud;
    bool allow_pushdown;       /* pushdown even with on_reject */
    rn_batch ub;               /* upstream batch being parsed */
    size_t upos;               /* its next record */
    size_t seen;               /* auto: non-blank lines voted on */
    rn_field *f;               /* fcap field views */
    rn_record *r;              /* bcap records */
    /* regex */
    rn__regex re;              /* the pattern (regex.h); unused otherwise */
    uint32_t ngrp;             /* named group entries */
    uint32_t *gnum;            /* their group numbers, descending */
    uint32_t *gfld;            /* and the field each fills */
    rn_schema *own_schema;     /* built from the group names */
    char why[160];             /* reason of a regex match error */
} logr;

/* ---- parsers: NULL on success, else a static reason ---------------------- */

static inline bool is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

static inline bool is_blank_byte(char c)
{
    return c == ' ' || c == '\t';
}

static inline rn_field view(const char *a, const char *b)
{
    rn_field f = {a, (size_t)(b - a)};
    return f;
}

static inline rn_field trimmed(const char *a, const char *b)
{
    while (a < b && is_blank_byte(*a))
        a++;
    while (b > a && is_blank_byte(b[-1]))
        b--;
    return view(a, b);
}

static bool is_blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_blank_byte(p[i]))
            return false;
    return true;
}

/* timestamp|level|message, split at the first two '|'. */
static inline const char *parse_pipe(const char *p, size_t n, rn_field *f)
{
    const char *e = p + n;
    const char *a = n ? memchr(p, '|', n) : NULL;
    if (RN__UNLIKELY(!a))
        return R_PIPE;
    const char *b = memchr(a + 1, '|', (size_t)(e - (a + 1)));
    if (RN__UNLIKELY(!b))
        return R_PIPE;
    f[0] = trimmed(p, a);
    f[1] = trimmed(a + 1, b);
    f[2] = trimmed(b + 1, e);
    return NULL;
}

static bool is_month(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int i = 0; i < 36; i += 3)
        if (s[0] == months[i] && s[1] == months[i + 1] &&
            s[2] == months[i + 2])
            return true;
    return false;
}

/* RFC 3164: [<PRI>]Mmm dd hh:mm:ss host tag[pid]: message. A line whose
 * word after the host is not followed by '[' or ':' has no tag: its message
 * is everything after the host ("last message repeated 2 times"). */
static const char *parse_syslog(const char *p, size_t n, rn_field *f)
{
    const char *s = p, *e = p + n;
    if (s < e && *s == '<') {
        const char *d = s + 1;
        while (d < e && is_digit(*d) && d - s <= 3)
            d++;
        if (d == s + 1 || d == e || *d != '>')
            return R_PRI;
        s = d + 1;
    }
    if (e - s < 4 || !is_month(s) || s[3] != ' ')
        return R_MONTH;
    const char *ts = s;
    s += 4;
    if (s < e && *s == ' ')
        s++; /* "Mar  1": the day is space-padded */
    const char *d = s;
    while (s < e && s - d < 2 && is_digit(*s))
        s++;
    if (s == d || s == e || *s != ' ')
        return R_DAY;
    s++;
    if (e - s < 8 || !is_digit(s[0]) || !is_digit(s[1]) || s[2] != ':' ||
        !is_digit(s[3]) || !is_digit(s[4]) || s[5] != ':' ||
        !is_digit(s[6]) || !is_digit(s[7]) || (e - s > 8 && s[8] != ' '))
        return R_TIME;
    s += 8;
    f[0] = view(ts, s);
    if (s == e || s + 1 == e || s[1] == ' ')
        return R_HOST;
    s++;
    const char *h = memchr(s, ' ', (size_t)(e - s));
    if (!h)
        h = e;
    f[1] = view(s, h);
    s = h < e ? h + 1 : e;
    const char *t = s;
    while (t < e && *t != '[' && *t != ':' && *t != ' ')
        t++;
    const char *m;
    if (t < e && *t == '[') {
        const char *q = memchr(t + 1, ']', (size_t)(e - (t + 1)));
        if (!q)
            return R_PID;
        f[2] = view(s, t);
        f[3] = view(t + 1, q);
        m = q + 1;
        if (m < e && *m == ':')
            m++;
    } else if (t < e && *t == ':') {
        f[2] = view(s, t);
        f[3] = view(t, t);
        m = t + 1;
    } else {
        f[2] = view(s, s);
        f[3] = view(s, s);
        f[4] = view(s, e); /* no tag: the message follows the host */
        return NULL;
    }
    if (m < e && *m == ' ')
        m++;
    f[4] = view(m, e);
    return NULL;
}

/* A "quoted" field starting at s; a quote preceded by an odd number of
 * backslashes is data (kept as it is). Returns the byte after the closing
 * quote, or NULL. */
static const char *quoted(const char *s, const char *e, rn_field *f)
{
    if (s == e || *s != '"')
        return NULL;
    const char *q = s + 1;
    for (;;) {
        q = memchr(q, '"', (size_t)(e - q));
        if (!q)
            return NULL;
        size_t bs = 0;
        while (q - bs > s + 1 && q[-1 - (ptrdiff_t)bs] == '\\')
            bs++;
        if (bs % 2 == 0)
            break;
        q++;
    }
    *f = view(s + 1, q);
    return q + 1;
}

/* A word ended by one space. Returns the byte after the space, or NULL. */
static inline const char *word(const char *s, const char *e, rn_field *f)
{
    const char *q = s < e ? memchr(s, ' ', (size_t)(e - s)) : NULL;
    if (!q || q == s)
        return NULL;
    *f = view(s, q);
    return q + 1;
}

/* ip ident user [time] "request" status bytes, then for combined "referer"
 * "agent". Anything after a space past the last field is ignored (servers
 * often append fields of their own). */
static const char *parse_clf(const char *p, size_t n, rn_field *f,
                             bool combined)
{
    const char *s = p, *e = p + n;
    if (!(s = word(s, e, &f[0])) || !(s = word(s, e, &f[1])) ||
        !(s = word(s, e, &f[2])))
        return R_CLF;
    if (s == e || *s != '[')
        return R_CTIME;
    const char *q = memchr(s + 1, ']', (size_t)(e - (s + 1)));
    if (!q || q + 1 == e || q[1] != ' ')
        return R_CTIME;
    f[3] = view(s + 1, q);
    s = quoted(q + 2, e, &f[4]);
    if (!s)
        return R_REQ;
    if (s == e || *s != ' ')
        return R_STATUS;
    s++;
    if (e - s < 4 || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2]) ||
        s[3] != ' ')
        return R_STATUS;
    f[5] = view(s, s + 3);
    s += 4;
    const char *b = s;
    if (s < e && *s == '-')
        s++;
    else
        while (s < e && is_digit(*s))
            s++;
    if (s == b || (s < e && *s != ' '))
        return R_BYTES;
    f[6] = view(b, s);
    if (!combined)
        return NULL;
    if (s == e)
        return R_REFAGENT;
    s = quoted(s + 1, e, &f[7]);
    if (!s || s == e || *s != ' ')
        return R_REFAGENT;
    s = quoted(s + 1, e, &f[8]);
    if (!s || (s < e && *s != ' '))
        return R_REFAGENT;
    return NULL;
}

static const char *parse_regex(logr *L, const char *p, size_t n, rn_field *f)
{
    if (!p)
        p = "";
    int rc = rn__regex_match(&L->re, p, n);
    if (rc < 0) {
        if (rc == PCRE2_ERROR_NOMATCH)
            return R_NOMATCH;
        if (rc == PCRE2_ERROR_NOMEMORY)
            return R_NOMEM; /* no memory for backtracking frames: fatal */
        /* Match, depth or heap limits: this line is too hard for the
         * pattern, which says nothing about the next one. */
        char msg[120];
        rn__regex_errmsg(rc, msg, sizeof msg);
        snprintf(L->why, sizeof L->why, "regex match failed: %s", msg);
        return L->why;
    }
    const PCRE2_SIZE *ov = rn__regex_ovector(&L->re);
    uint32_t top = pcre2_get_ovector_count(L->re.md);
    for (size_t i = 0; i < L->nf; i++)
        f[i] = view(p, p);
    /* Descending group numbers: with duplicate names the lowest-numbered
     * group that matched is written last and wins. */
    for (uint32_t i = 0; i < L->ngrp; i++) {
        uint32_t g = L->gnum[i];
        if (g < top && g < (uint32_t)rc && ov[2 * g] != PCRE2_UNSET)
            f[L->gfld[i]] = view(p + ov[2 * g], p + ov[2 * g + 1]);
    }
    return NULL;
}

static inline const char *parse(logr *L, int fmt, const char *p, size_t n,
                                rn_field *f)
{
    switch (fmt) {
    case F_PIPE:
        return parse_pipe(p, n, f);
    case F_SYSLOG:
        return parse_syslog(p, n, f);
    case F_CLF:
        return parse_clf(p, n, f, false);
    case F_COMBINED:
        return parse_clf(p, n, f, true);
    default:
        return parse_regex(L, p, n, f);
    }
}

/* ---- stepping ------------------------------------------------------------ */

static inline rn_field line_of(const rn_record *rec)
{
    rn_field none = {"", 0};
    return rec->nfields ? rec->fields[0] : none;
}

static void reject(logr *L, const rn_record *rec, rn_field line,
                   const char *why)
{
    L->base.stats.rejected++;
    if (!L->on_reject)
        return;
    if (is_blank(line.ptr, line.len))
        why = R_EMPTY;
    L->on_reject(L->reject_ud, L->base.up ? L->base.up->origin : "", rec->line,
                 rec->offset, why,
                 line.ptr ? line.ptr : "", line.len);
}

/* Fixes the format: schema, fields per record, record slots. */
static void set_format(logr *L, int fmt)
{
    L->fmt = fmt;
    switch (fmt) {
    case F_PIPE:
        L->base.schema = &pipe_schema;
        break;
    case F_SYSLOG:
        L->base.schema = &syslog_schema;
        break;
    case F_CLF:
        L->base.schema = &clf_schema;
        break;
    case F_COMBINED:
        L->base.schema = &combined_schema;
        break;
    default:
        L->base.schema = L->own_schema;
        break;
    }
    L->nf = L->base.schema->n;
    for (size_t k = 0; k < L->bcap; k++) {
        L->r[k].fields = L->f + k * L->nf;
        L->r[k].nfields = L->nf;
    }
}

/* Auto-detection on the upstream batch from upos. Returns the index from
 * which lines are parsed with the chosen format (ub.n while undecided). */
static size_t auto_vote(logr *L)
{
    static const int order[] = {F_PIPE, F_SYSLOG, F_COMBINED, F_CLF};
    size_t votes[4] = {0}, first = SIZE_MAX, stop = L->ub.n;
    rn_field tmp[MAX_BUILTIN_FIELDS];
    for (size_t i = L->upos; i < L->ub.n && L->seen < AUTO_LINES; i++) {
        rn_field line = line_of(&L->ub.recs[i]);
        if (is_blank(line.ptr, line.len))
            continue;
        bool hit[4], any = false;
        for (int k = 0; k < 4; k++) {
            hit[k] = !parse(L, order[k], line.ptr, line.len, tmp);
            any |= hit[k];
        }
        /* clf takes combined lines too (it ignores what follows the bytes):
         * such a line votes for combined only. */
        if (hit[2])
            hit[3] = false;
        for (int k = 0; k < 4; k++)
            votes[k] += hit[k];
        if (any && first == SIZE_MAX)
            first = i;
        if (++L->seen == AUTO_LINES)
            stop = i + 1;
    }
    if (first != SIZE_MAX) {
        int best = 0;
        for (int k = 1; k < 4; k++)
            if (votes[k] > votes[best])
                best = k;
        set_format(L, order[best]);
        return first;
    }
    if (L->seen == AUTO_LINES) {
        /* Nothing matched: pipe, so every line is still rejected and
         * counted rather than lost. */
        set_format(L, F_PIPE);
        return stop;
    }
    return L->ub.n;
}

/* Votes on the rest of the upstream batch; the lines before the decision
 * match no format and are rejected as such. */
static void vote(logr *L)
{
    size_t d = auto_vote(L);
    L->base.stats.records_in += d - L->upos;
    for (size_t i = L->upos; i < d; i++) {
        rn_field line = line_of(&L->ub.recs[i]);
        reject(L, &L->ub.recs[i], line,
               is_blank(line.ptr, line.len) ? R_EMPTY : R_UNKNOWN);
    }
    L->upos = d;
}

/* At construction: decides "auto" now, so the fields are known before the
 * first step and later stages can check their names. The batch it decided
 * on stays pending (upstream views live until we pull again). A push source
 * with no bytes yet leaves the decision to the first step. */
static void prime(logr *L)
{
    rn_iter *it = &L->base;
    while (L->fmt == F_AUTO) {
        if (L->upos == L->ub.n) {
            int rc = rn_next_batch(it->up, &L->ub);
            if (rc != RN_ROW) {
                L->ub.n = L->upos = 0;
                if (rc == RN_DONE)
                    set_format(L, F_PIPE);
                else if (rc < 0)
                    rn__iter_adopt(it, it->up, rc);
                return;
            }
            L->upos = 0;
        }
        vote(L);
    }
}

static int log_next(rn_iter *it, rn_batch *out)
{
    logr *L = (logr *)it;
    for (;;) {
        if (L->upos == L->ub.n) {
            int rc = rn_next_batch(it->up, &L->ub);
            if (rc != RN_ROW) {
                L->ub.n = L->upos = 0;
                if (rc == RN_DONE && L->fmt == F_AUTO)
                    set_format(L, F_PIPE);
                if (rc == RN_DONE || rc == RN_AGAIN)
                    return rc;
                return rn__iter_adopt(it, it->up, rc);
            }
            L->upos = 0;
        }
        if (RN__UNLIKELY(L->fmt == F_AUTO)) {
            vote(L);
            if (L->fmt == F_AUTO)
                continue;
        }
        const rn_record *in = L->ub.recs;
        size_t i = L->upos, end = L->ub.n, k = 0, nf = L->nf;
        int fmt = L->fmt;
        rn_field *f = L->f;
        for (; i < end && k < L->bcap; i++) {
            rn_field line = line_of(&in[i]);
            const char *why = parse(L, fmt, line.ptr, line.len, f + k * nf);
            if (RN__LIKELY(!why)) {
                L->r[k].line = in[i].line;
                L->r[k].offset = in[i].offset;
                L->r[k].raw = line;
                k++;
                continue;
            }
            if (why == R_NOMEM) {
                it->stats.records_in += i - L->upos;
                L->upos = i;
                return rn__iter_fail(it, RN_ENOMEM,
                                     "line %llu: out of memory matching the "
                                     "regex",
                                     (unsigned long long)in[i].line);
            }
            reject(L, &in[i], line, why);
        }
        it->stats.records_in += i - L->upos;
        L->upos = i;
        if (k) {
            out->recs = L->r;
            out->n = k;
            return RN_ROW;
        }
    }
}

static void log_close(rn_iter *it)
{
    logr *L = (logr *)it;
    rn__free(&it->mem, L->f, L->fcap * sizeof *L->f);
    rn__free(&it->mem, L->r, L->bcap * sizeof *L->r);
    rn__free(&it->mem, L->gnum, 2 * (size_t)L->ngrp * sizeof *L->gnum);
    rn__schema_free(&it->mem, L->own_schema);
    rn__regex_free(&L->re);
}

static const rn__iter_vt log_vt = {"log", log_next, log_close};

/* Pushdown passes through: every field is a view of its line, so a line
 * without any needle yields no wanted record. A skipped line is never
 * parsed, so a bad one among them counts as filtered, not rejected; with
 * rejects asked for (on_reject) every line is parsed, and pushdown refused,
 * unless the caller allows it (allow_pushdown). */
static bool log_want(rn_iter *it, const rn__needles *nd)
{
    logr *L = (logr *)it;
    if ((L->on_reject && !L->allow_pushdown) || L->fmt == F_AUTO)
        return false;
    /* Context counts records, and a line that is no log record is none:
     * the lines around a hit are not the records around it. */
    if (nd->before || nd->after)
        return false;
    return rn__want_needles(it->up, nd);
}

/* ---- construction -------------------------------------------------------- */

/* Compiles the pattern and builds the schema from its named groups. Returns
 * RN_OK, RN_ENOMEM, or RN_EINVAL after setting the message. */
static int compile_regex(logr *L, const char *pattern)
{
    rn_allocator *mem = &L->base.mem;
    char msg[160];
    size_t off;
    int rc = rn__regex_parse(&L->re, mem, pattern, PCRE2_ZERO_TERMINATED, 0,
                             msg, sizeof msg, &off);
    if (rc == RN_EINVAL)
        return rn__iter_fail(&L->base, RN_EINVAL,
                             "bad regex at offset %zu: %s: %s", off, msg,
                             pattern);
    if (rc < 0)
        return rc;
    uint32_t count = 0, esize = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(L->re.code, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(L->re.code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
    pcre2_pattern_info(L->re.code, PCRE2_INFO_NAMETABLE, &table);
    if (count == 0)
        return rn__iter_fail(&L->base, RN_EINVAL,
                             "regex has no named groups: %s", pattern);
    /* Checked before the JIT and the match data are paid for. */
    if ((rc = rn__regex_prepare(&L->re)) < 0)
        return rc;
    L->gnum = rn__alloc(mem, 2 * (size_t)count * sizeof *L->gnum);
    if (L->gnum)
        L->ngrp = count; /* log_close frees by this size */
    PCRE2_SPTR *ent = rn__alloc(mem, count * sizeof *ent);
    rn_field *names = rn__alloc(mem, count * sizeof *names);
    rc = RN_ENOMEM;
    if (!L->gnum || !ent || !names)
        goto out;
    L->gfld = L->gnum + count;
    /* The name table is sorted by name; order its entries by group number
     * (insertion sort: construction only, and count is small). */
    for (uint32_t i = 0; i < count; i++) {
        PCRE2_SPTR e = table + (size_t)i * esize;
        uint32_t g = (uint32_t)e[0] << 8 | e[1], j = i;
        for (; j > 0 && L->gnum[j - 1] > g; j--) {
            L->gnum[j] = L->gnum[j - 1];
            ent[j] = ent[j - 1];
        }
        L->gnum[j] = g;
        ent[j] = e;
    }
    /* Fields in group-number order; a name repeated with (?J) is one field,
     * placed at its first group. */
    size_t nf = 0;
    for (uint32_t i = 0; i < count; i++) {
        const char *nm = (const char *)ent[i] + 2;
        uint32_t j = 0;
        while (j < i && strcmp((const char *)ent[j] + 2, nm) != 0)
            j++;
        if (j < i) {
            L->gfld[i] = L->gfld[j];
        } else {
            names[nf].ptr = nm;
            names[nf].len = strlen(nm);
            L->gfld[i] = (uint32_t)nf++;
        }
    }
    /* parse_regex walks the groups from the highest number down. */
    for (uint32_t i = 0, j = count - 1; i < j; i++, j--) {
        uint32_t g = L->gnum[i], fl = L->gfld[i];
        L->gnum[i] = L->gnum[j];
        L->gfld[i] = L->gfld[j];
        L->gnum[j] = g;
        L->gfld[j] = fl;
    }
    L->own_schema = rn__schema_new(mem, names, nf);
    if (L->own_schema)
        rc = RN_OK;
out:
    rn__free(mem, ent, count * sizeof *ent);
    rn__free(mem, names, count * sizeof *names);
    return rc;
}

rn_iter *rn_log_new(rn_iter *up, const rn_log_opts *opts)
{
    if (!up)
        return NULL;
    logr *L = rn__iter_new(&log_vt, sizeof *L, up, NULL);
    if (!L)
        return NULL;
    L->base.schema = NULL; /* unknown until the format is */
    L->base.want = log_want;
    if (opts) {
        L->on_reject = opts->on_reject;
        L->reject_ud = opts->reject_ud;
        L->allow_pushdown = opts->allow_pushdown != 0;
    }
    if (L->base.status < 0)
        return &L->base; /* the upstream's error was adopted */
    const char *fmt = opts && opts->format ? opts->format : "auto";
    int which = -1;
    size_t maxf = MAX_BUILTIN_FIELDS;
    if (strcmp(fmt, "auto") == 0)
        which = F_AUTO;
    for (int k = F_PIPE; k < F_REGEX; k++)
        if (strcmp(fmt, fmt_names[k]) == 0)
            which = k;
    if (strncmp(fmt, "regex:", 6) == 0) {
        int rc = compile_regex(L, fmt + 6);
        if (rc == RN_ENOMEM)
            goto oom;
        if (rc < 0)
            return &L->base;
        which = F_REGEX;
        maxf = L->own_schema->n;
    }
    if (which < 0) {
        rn__iter_fail(&L->base, RN_EINVAL,
                      "unknown log format '%s' (pipe, syslog, clf, combined, "
                      "regex:PATTERN or auto)", fmt);
        return &L->base;
    }
    L->bcap = BATCH_FIELDS / maxf;
    if (L->bcap > RN__BATCH)
        L->bcap = RN__BATCH;
    if (L->bcap == 0)
        L->bcap = 1;
    L->fcap = L->bcap * maxf;
    L->f = rn__alloc(&L->base.mem, L->fcap * sizeof *L->f);
    L->r = rn__calloc(&L->base.mem, L->bcap * sizeof *L->r);
    if (!L->f || !L->r)
        goto oom;
    if (which != F_AUTO)
        set_format(L, which);
    else
        prime(L);
    if (L->base.status == RN_ENOMEM)
        goto oom;
    return &L->base;
oom:
    rn_free(&L->base);
    return NULL;
}

const char *rn_log_format(const rn_iter *it)
{
    if (!it || it->vt != &log_vt)
        return NULL;
    return fmt_names[((const logr *)it)->fmt];
}
