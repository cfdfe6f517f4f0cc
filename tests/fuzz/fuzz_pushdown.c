/*
 * fuzz_pushdown.c - pushdown against no pushdown. A filter or grep over a
 * line reader (alone, under a log reader, or a chain of either) is run twice
 * on the same text: once so that the stage may push its literals down to
 * the line reader, which then skips the lines holding none of them unparsed,
 * and once with pushdown refused. The records that come out must be the
 * same, byte for byte (line number, offset, every field, raw); only the
 * counters may differ, and they must still add up.
 *
 * The reference run is the same chain with one stage that refuses pushdown
 * and changes nothing else:
 *  - over a log reader: the same format with an on_reject callback (a log
 *    reader that must report every reject parses every line, so it passes
 *    no pushdown on). The callback only counts, so the records are those
 *    of the log reader without one.
 *  - over a bare line reader, one of two, chosen by the input:
 *    a log reader with format "regex:(?s)\A(?<line>.*)\z" and an on_reject
 *    callback: dot-all and absolute anchors match every byte string (no UTF
 *    mode, so no byte is invalid), so every line becomes one record whose
 *    only field, named "line" like the line reader's, is the whole line,
 *    with the line's number, offset and raw; the schema is the line
 *    reader's, so the expression binds alike. Or rn_filter_fn_new() keeping
 *    everything, which hands on the line reader's own records and, having
 *    no pushdown hook, refuses it.
 * Either way the reference's line reader must end with nothing filtered,
 * which shows that pushdown really was refused there.
 *
 * The input: a 9-byte header (reader, stage, options, four chunk sizes, a
 * line cap, where a chain cuts the text, the length of the spec), then the
 * spec: a program that builds the expression or grep patterns from tables
 * of forms that pushdown treats specially (level == WORD with its case,
 * "contains", in-lists, and/or/not, 5 against 5.0, literals from the input)
 * or, by a header bit, the spec's bytes taken as the expression or as
 * newline-separated patterns; then the text, as is or with bytes >= 0xe0
 * standing for fragments of log lines, so that literals are found often.
 *
 * A regex that cannot decide (PCRE2's match limits) stops a filter or grep
 * with an error; with pushdown the line that does so may be skipped, so
 * when the reference stopped there the pushdown run only has to start with
 * the reference's records. Every other error (a line past max_line_bytes,
 * a bad expression) must be the same in both runs.
 */
#include "fuzz.h"

enum { HDR = 9, MAX_INPUT = 1 << 16, MAX_PARTS = 3, MAX_PATS = 4 };

/* ---- readers ------------------------------------------------------------- */

enum { R_LINES, R_PIPE, R_SYSLOG, R_CLF, R_COMBINED, R_AUTO, R_REGEX_A,
       R_REGEX_B };

static const char *const formats[] = {
    NULL, "pipe", "syslog", "clf", "combined", "auto",
    /* a field named level: == and in ignore case on it */
    "regex:^(?<level>[A-Za-z]+)[ \\t]+(?<message>.*)$",
    /* an optional group: unset, it is an empty field */
    "regex:(?<key>\\w+)=(?<value>\\S*)(?: (?<level>\\w+))?",
};

static const char line_regex[] = "regex:(?s)\\A(?<line>.*)\\z";

/* Field operands per reader: names and positions, and one name no reader
 * has (an error at construction, in both runs alike). */
static const char *const lines_fields[] = {"line", "$1", "$2", "${line}"};
static const char *const pipe_fields[] = {"timestamp", "level", "message",
                                          "$2", "$3", "${level}"};
static const char *const syslog_fields[] = {"timestamp", "host", "tag", "pid",
                                            "message", "$2", "$5"};
static const char *const clf_fields[] = {"ip", "user", "time", "request",
                                         "status", "bytes", "$6", "$5"};
static const char *const combined_fields[] = {"request", "status", "bytes",
                                              "referer", "agent", "$9"};
static const char *const auto_fields[] = {"message", "$1", "$2", "$3",
                                          "$5"};
static const char *const regex_a_fields[] = {"level", "message", "$1",
                                             "$2"};
static const char *const regex_b_fields[] = {"key", "value", "level", "$3"};

typedef struct field_set {
    const char *const *names;
    size_t n;
} field_set;

#define SET(a) {a, sizeof a / sizeof *a}
static const field_set field_sets[] = {
    SET(lines_fields), SET(pipe_fields), SET(syslog_fields),
    SET(clf_fields), SET(combined_fields), SET(auto_fields),
    SET(regex_a_fields), SET(regex_b_fields),
};
#undef SET

/* ---- the spec ------------------------------------------------------------ */

/* Literal operands as written in an expression: words (a string unless
 * they name a field), strings, numbers (compared by value: never pushed),
 * and strings that look like numbers (literals "5" and "5.0" are numbers
 * too, so never pushed either). */
static const char *const literals[] = {
    "ERROR", "error", "Error", "INFO", "info", "WARN", "warn", "debug",
    "\"ERROR\"", "'error'", "\"Error code: 503\"", "\"x\"", "\"a b\"",
    "5", "5.0", "05", "\"5\"", "\"5.0\"", "-5", ".5", "5e0", "503",
    "\"503\"", "\"GET\"", "\"/\"", "\"-\"", "\"|\"", "\":\"", "\"\\\"\"",
    "\"\\\\\"", "\"\\t\"", "\"\\n\"", "\"\xc3\xa9\"", "\"\xc3\x89\"", "\"\"",
    "x", "level", "message", "line", "\"inf\"", "\" x\"", "\"r\\d\"",
};

static const char *const regexes[] = {
    "\"ERR\"", "\"^E\"", "\"(?i)error\"", "\"[0-9]+\"", "\"x$\"", "\"\"",
    "\"(a|aa)*c\"",
};

/* grep patterns: literals, literals inside regex syntax, and patterns
 * without a required literal (no pushdown). */
static const char *const patterns[] = {
    "ERROR", "error", "Error code: 503", "code: [0-9]+", "ERR(OR)?", "E.R",
    "^[0-9]{4}-", "x+y", "a\\.b", "\\|ERROR\\|", "(?i)error", "warn|info",
    "GET /", "5\\.0", "\xc3\xa9", "\xc3\x89", "[ \\t]x", "x{2}", "ab*c",
    "\\d+", "a\\+b", "\\QERR\\E", "503$", "(?:ab)+x", "E\\x52R", "r\\",
};

/* Reads the spec one byte at a time; past its end, zeros. */
typedef struct spec {
    const uint8_t *p;
    size_t n, pos;
} spec;

static unsigned next(spec *s)
{
    return s->pos < s->n ? s->p[s->pos++] : 0;
}

static void put(fz_buf *b, const char *s)
{
    fz_put(b, s, strlen(s));
}

/* A string literal of up to 15 bytes of the spec, escaped for the lexer. A
 * NUL would end the expression: it becomes '0'. */
static void raw_string(spec *s, fz_buf *b)
{
    size_t k = next(s) % 16;
    put(b, "\"");
    for (size_t i = 0; i < k; i++) {
        char c = (char)next(s);
        if (c == '"' || c == '\\')
            fz_put(b, "\\", 1);
        if (c == '\0')
            c = '0';
        fz_put(b, &c, 1);
    }
    put(b, "\"");
}

static void literal(spec *s, fz_buf *b)
{
    unsigned k = next(s);
    size_t n = sizeof literals / sizeof *literals;
    if (k % 4 == 3)
        raw_string(s, b);
    else
        put(b, literals[(k / 4) % n]);
}

static void field(spec *s, const field_set *fs, fz_buf *b)
{
    unsigned k = next(s);
    put(b, k == 255 ? "nosuch" : fs->names[k % fs->n]);
}

/* One expression, at most depth 3 of and/or/not. */
static void expr(spec *s, const field_set *fs, fz_buf *b, int depth)
{
    unsigned op = next(s) % (depth >= 3 ? 9 : 12);
    switch (op) {
    case 0: /* field == literal */
        field(s, fs, b);
        put(b, next(s) & 1 ? " == " : " = ");
        literal(s, b);
        break;
    case 1: /* literal == field */
        literal(s, b);
        put(b, " == ");
        field(s, fs, b);
        break;
    case 2:
        field(s, fs, b);
        put(b, " contains ");
        literal(s, b);
        break;
    case 3:
    case 8: { /* in and not in */
        field(s, fs, b);
        put(b, op == 3 ? " in (" : " not in (");
        size_t k = 1 + next(s) % 4;
        for (size_t i = 0; i < k; i++) {
            if (i)
                put(b, ", ");
            literal(s, b);
        }
        put(b, ")");
        break;
    }
    case 4: /* != and <>, and two fields compared */
        field(s, fs, b);
        put(b, next(s) & 1 ? " != " : " == ");
        if (next(s) & 1)
            field(s, fs, b);
        else
            literal(s, b);
        break;
    case 5: {
        static const char *const cmp[] = {" < ", " <= ", " > ", " >= "};
        field(s, fs, b);
        put(b, cmp[next(s) % 4]);
        literal(s, b);
        break;
    }
    case 6:
        field(s, fs, b);
        put(b, next(s) & 1 ? " !~ " : " =~ ");
        if (next(s) & 1)
            raw_string(s, b);
        else
            put(b, regexes[next(s) % (sizeof regexes / sizeof *regexes)]);
        break;
    case 7:
        field(s, fs, b);
        put(b, next(s) & 1 ? " is empty" : " is not empty");
        break;
    case 9:
    case 10: { /* and, or: 2 or 3 operands */
        size_t k = 2 + next(s) % 2;
        put(b, "(");
        for (size_t i = 0; i < k; i++) {
            if (i)
                put(b, op == 9 ? " and " : " or ");
            expr(s, fs, b, depth + 1);
        }
        put(b, ")");
        break;
    }
    default:
        put(b, "not (");
        expr(s, fs, b, depth + 1);
        put(b, ")");
        break;
    }
}

/* grep options and patterns; the patterns are NUL-separated in *b, which
 * must not move once pats points into it. */
static size_t grep_spec(spec *s, int raw, fz_buf *b, rn_grep_opts *o,
                        const char **pats)
{
    memset(o, 0, sizeof o[0]);
    unsigned f = next(s);
    o->ignore_case = f & 1;
    /* -v refuses pushdown: now and then, to check it still agrees.
     * Context (0 to 3 lines each side) is pushed down with the lines around
     * each hit, and placed by line number: often. */
    o->invert = (f & 0x0e) == 0x0e;
    if (f & 0x10) {
        o->before = (f >> 1) & 3;
        o->after = (f >> 5) & 3;
    }
    size_t n = 0;
    size_t start[MAX_PATS];
    if (raw) {
        /* The rest of the spec, split at '\n'. */
        start[n++] = 0;
        while (s->pos < s->n) {
            char c = (char)next(s);
            if (c == '\n' && n < MAX_PATS) {
                fz_put(b, "", 1);
                start[n++] = b->len;
            } else if (c != '\0') {
                fz_put(b, &c, 1);
            }
        }
    } else {
        n = 1 + next(s) % 3;
        for (size_t i = 0; i < n; i++) {
            start[i] = b->len;
            unsigned k = next(s);
            if (k % 4 == 3) {
                size_t len = next(s) % 16;
                for (size_t j = 0; j < len; j++) {
                    char c = (char)next(s);
                    if (c != '\0')
                        fz_put(b, &c, 1);
                }
            } else {
                put(b, patterns[(k / 4) % (sizeof patterns /
                                           sizeof *patterns)]);
            }
            fz_put(b, "", 1);
        }
    }
    fz_put(b, "", 1);
    for (size_t i = 0; i < n; i++)
        pats[i] = b->p + start[i];
    o->patterns = pats;
    o->npatterns = n;
    return n;
}

/* ---- the text ------------------------------------------------------------ */

static const char *const fragments[32] = {
    "\n", "\r\n", "|", " ", "ERROR", "error", "INFO", "warn",
    "2024-03-01 12:00:00.123|", "Error code: 503", "5", "5.0", "x", "a b",
    "\xc3\xa9", "\xc3\x89", "Mar  1 12:00:00 host app[12]: ",
    "127.0.0.1 - - [01/Mar/2024:12:00:00 +0000] \"GET / HTTP/1.1\" 200 512",
    " \"http://r/\" \"agent x\"", "key=",
    "level ", "the quick brown fox jumps over the lazy dog ", "\t", "\"",
    "\\", "Error", "503", "GET", "-", ":", "\r", "ERR",
};

/* Fragments for bytes >= 0xe0; at most MAX_INPUT bytes, so that a run
 * stays fast. */
static void expand(const uint8_t *p, size_t n, fz_buf *out)
{
    for (size_t i = 0; i < n && out->len < MAX_INPUT; i++) {
        if (p[i] >= 0xe0)
            put(out, fragments[p[i] - 0xe0]);
        else
            fz_put(out, &p[i], 1);
    }
}

/* The lines a part holds: as many as '\n', plus a last one without. */
static uint64_t count_lines(const uint8_t *p, size_t n)
{
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += p[i] == '\n';
    return k + (n && p[n - 1] != '\n');
}

/* ---- one run ------------------------------------------------------------- */

typedef struct config {
    int reader;                /* R_* */
    int grep;                  /* grep rather than filter */
    int ref;                   /* the reference: pushdown refused */
    int ref_identity;          /* lines reference: filter_fn, not the regex */
    int mem;                   /* rn_source_mem rather than chunks */
    rn_lines_opts lo;
    size_t sizes[4];
    const uint8_t *text;       /* the whole text, and the parts' bounds */
    size_t cut[MAX_PARTS + 1];
    size_t nparts;
    int chain;                 /* the parts in a chain */
    int over_chain;            /* the log reader (or the reference's stage)
                                  over the chain of line readers, as the
                                  command builds it, rather than one per
                                  part inside the chain */
    fz_chunks ch[MAX_PARTS];   /* each part's source state */
    size_t rejects;            /* counted by the callback */
} config;

static int keep_all(void *ud, const rn_schema *s, const rn_record *r)
{
    (void)ud;
    (void)s;
    (void)r;
    return 1;
}

/* What goes over line reader(s) it: a log reader for the log formats; for
 * the reference, the stage that refuses pushdown (see the top). */
static rn_iter *stack(config *c, rn_iter *it)
{
    if (!it)
        return NULL;
    rn_log_opts o;
    memset(&o, 0, sizeof o);
    if (c->ref) {
        o.on_reject = fz_on_reject;
        o.reject_ud = &c->rejects;
    }
    if (c->reader != R_LINES) {
        o.format = formats[c->reader];
        return rn_log_new(it, &o);
    }
    if (!c->ref)
        return it;
    if (c->ref_identity)
        return rn_filter_fn_new(it, keep_all, NULL);
    o.format = line_regex;
    return rn_log_new(it, &o);
}

/* Part i's line reader. */
static rn_iter *open_lines(config *c, size_t i)
{
    const uint8_t *p = c->text + c->cut[i];
    size_t n = c->cut[i + 1] - c->cut[i];
    rn_source_opts so;
    memset(&so, 0, sizeof so);
    so.no_decompress = 1; /* text that starts with 1f 8b is text here */
    rn_source *src = c->mem ? rn_source_mem(p, n, &so)
                            : fz_chunked(&c->ch[i], p, n, c->sizes, 4, &so);
    return rn_lines_new(src, &c->lo);
}

/* Part i in a chain: its line reader, with what goes over it unless that
 * goes over the whole chain. */
static rn_iter *open_part(void *ud, size_t i)
{
    config *c = ud;
    rn_iter *it = open_lines(c, i);
    return c->over_chain ? it : stack(c, it);
}

/* Every record, encoded so that equal encodings mean equal records. */
static void encode(void *ud, const rn_schema *s, const rn_record *r, size_t i)
{
    fz_buf *b = ud;
    (void)s;
    (void)i;
    fz_put_len(b, (size_t)r->line);
    fz_put_len(b, (size_t)r->offset);
    fz_put_len(b, r->nfields);
    for (size_t k = 0; k < r->nfields; k++) {
        fz_put_len(b, r->fields[k].len);
        fz_put(b, r->fields[k].ptr, r->fields[k].len);
    }
    fz_put_len(b, r->raw.len);
    fz_put(b, r->raw.ptr, r->raw.len);
    fz_put_len(b, SIZE_MAX); /* end of record: a prefix is a record prefix */
}

typedef struct result {
    int built, rc;             /* status after construction, at the end */
    int up_failed;             /* a stage below the top failed */
    fz_buf recs;               /* the records, encoded */
    size_t nrecs;
    rn_stats top, mid, low;    /* filter/grep; log/identity; lines/chain */
    int has_mid, has_low;
} result;

static void count_and_encode(void *ud, const rn_schema *s, const rn_record *r,
                             size_t i)
{
    result *res = ud;
    encode(&res->recs, s, r, i);
    res->nrecs++;
}

static void run(config *c, const char *ex, const rn_grep_opts *go,
                unsigned mix, result *res)
{
    memset(res, 0, sizeof *res);
    c->rejects = 0;
    rn_iter *bottom;
    if (!c->chain)
        bottom = stack(c, open_lines(c, 0));
    else if (c->over_chain)
        bottom = stack(c, rn_chain_new(open_part, c, c->nparts, NULL));
    else
        bottom = rn_chain_new(open_part, c, c->nparts, NULL);
    FZ_CHECK(bottom != NULL, "reader: out of memory");
    rn_iter *top = c->grep ? rn_grep_new(bottom, go)
                           : rn_filter_new(bottom, ex);
    FZ_CHECK(top != NULL, "stage: out of memory");
    res->built = rn_status(top);
    res->rc = fz_drain(top, mix, count_and_encode, res);
    rn_stats_of(top, &res->top);
    /* The stages below: log or identity (mid) over lines (low), or a chain
     * whose counters are the sum of its inputs' own (low). */
    rn_iter *up = rn_upstream(top);
    for (rn_iter *u = up; u; u = rn_upstream(u))
        if (rn_status(u) < 0)
            res->up_failed = 1;
    if (up && rn_upstream(up)) {
        rn_stats_of(up, &res->mid);
        rn_stats_of(rn_upstream(up), &res->low);
        res->has_mid = 1;
    } else if (up) {
        rn_stats_of(up, &res->low);
    }
    res->has_low = up != NULL;
    rn_free(top);
}

/* ---- the entry point ----------------------------------------------------- */

static int is_prefix(const fz_buf *a, const fz_buf *b)
{
    return a->len <= b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HDR || size > MAX_INPUT)
        return 0;
    unsigned kind = data[0], opt = data[1];
    size_t speclen = data[8];
    if (speclen > size - HDR)
        speclen = size - HDR;
    spec sp = {data + HDR, speclen, 0};
    const uint8_t *raw_text = data + HDR + speclen;
    size_t raw_len = size - HDR - speclen;

    /* data[0]: bits 0-2 the reader (R_*), 3 grep, 4 a chain, 5 the
     * identity stage as the lines reference, 6 the spec taken as text, 7
     * the text expanded. data[1]: bit 0 keep_cr, 1 a memory source (one
     * block), 2-3 both set: the line cap is data[6] % 80 + 1, 4-7 how the
     * records are stepped. data[2..5]: chunk sizes. data[7]: parts of a
     * chain, where they are cut, bit 7 the reader over the chain. data[8]:
     * bytes of spec. */
    config c;
    memset(&c, 0, sizeof c);
    c.reader = (int)(kind & 7);
    c.grep = (kind >> 3) & 1;
    c.chain = (kind >> 4) & 1;
    c.ref_identity = (kind >> 5) & 1;
    int raw_spec = (kind >> 6) & 1;
    c.lo.keep_cr = opt & 1;
    c.mem = (opt >> 1) & 1;
    if (((opt >> 2) & 3) == 3)
        c.lo.max_line_bytes = (size_t)data[6] % 80 + 1;
    /* Chunks up to 67 bytes, or blocks of 128..2048 so that the vector
     * loops of the search run over whole lines. */
    for (int i = 0; i < 4; i++)
        c.sizes[i] = data[2 + i] < 0xf0 ? (size_t)data[2 + i] % 67 + 1
                                        : (size_t)128 << (data[2 + i] % 5);

    fz_buf text = {0};
    if (kind & 0x80) {
        expand(raw_text, raw_len, &text);
        fz_put(&text, "", 0); /* not NULL when empty */
        c.text = (const uint8_t *)text.p;
        raw_len = text.len;
    } else {
        c.text = raw_text; /* exact size: a read past it is seen by ASan */
    }
    /* A chain: the text in 1..3 parts, cut near equal shares. */
    c.nparts = c.chain ? 1 + data[7] % MAX_PARTS : 1;
    /* One log reader over the chain, as the command builds it, or one per
     * input; auto-detecting readers inside a chain may each pick another
     * format, which the chain must allow for (it passes the needles on only
     * to inputs with the first one's fields). */
    c.over_chain = c.chain && (data[7] & 0x80);
    c.cut[0] = 0;
    for (size_t i = 1; i < c.nparts; i++) {
        size_t at = raw_len * i / c.nparts + (data[7] >> 2) % 7;
        c.cut[i] = at > raw_len ? raw_len : at < c.cut[i - 1] ? c.cut[i - 1]
                                                              : at;
    }
    c.cut[c.nparts] = raw_len;
    uint64_t lines_total = 0;
    for (size_t i = 0; i < c.nparts; i++)
        lines_total += count_lines(c.text + c.cut[i], c.cut[i + 1] - c.cut[i]);

    /* The expression or the patterns. */
    fz_buf ex = {0};
    rn_grep_opts go;
    const char *pats[MAX_PATS];
    if (c.grep) {
        grep_spec(&sp, raw_spec, &ex, &go, pats);
    } else if (raw_spec) {
        for (size_t i = 0; i < sp.n && sp.p[i]; i++)
            fz_put(&ex, &sp.p[i], 1);
        fz_put(&ex, "", 0);
    } else {
        expr(&sp, &field_sets[c.reader], &ex, 0);
    }
    const char *shown = c.grep ? go.patterns[0] : ex.p;

    result pd, ref;
    c.ref = 0;
    run(&c, ex.p, &go, opt >> 4, &pd);
    c.ref = 1;
    run(&c, ex.p, &go, ~opt >> 4, &ref);

    FZ_CHECK(pd.built == ref.built, "built %d with pushdown, %d without: "
             "'%s'", pd.built, ref.built, shown);
    if (ref.built == RN_OK && ref.rc < 0 && !ref.up_failed) {
        /* The reference's filter or grep stopped at a line its regex could
         * not decide; pushdown may have skipped that line. */
        FZ_CHECK(is_prefix(&ref.recs, &pd.recs),
                 "%zu records with pushdown do not start with the %zu "
                 "without (stopped with %d): '%s'", pd.nrecs, ref.nrecs,
                 ref.rc, shown);
    } else {
        FZ_CHECK(pd.rc == ref.rc, "ended with %d with pushdown (%s), %d "
                 "without: '%s'", pd.rc, pd.rc < 0 ? "error" : "done",
                 ref.rc, shown);
        FZ_CHECK(pd.recs.len == ref.recs.len &&
                     (pd.recs.len == 0 ||
                      memcmp(pd.recs.p, ref.recs.p, pd.recs.len) == 0),
                 "%zu records with pushdown, %zu without, not the same: "
                 "'%s'", pd.nrecs, ref.nrecs, shown);
    }

    /* The counters, for runs that went to the end. */
    if (pd.rc == RN_DONE && pd.has_low) {
        const rn_stats *t = &pd.top, *m = &pd.mid, *l = &pd.low;
        FZ_CHECK(t->records_in == t->filtered + t->records_out,
                 "top: in %llu, filtered %llu, out %llu",
                 (unsigned long long)t->records_in,
                 (unsigned long long)t->filtered,
                 (unsigned long long)t->records_out);
        if (c.chain && !c.over_chain && c.reader != R_LINES) {
            /* The chain's counters are its log readers': the lines the
             * line readers skipped are not among them. */
            FZ_CHECK(l->records_in <= lines_total &&
                         l->records_in == l->rejected + t->records_in,
                     "chain of logs: in %llu of %llu lines, rejected %llu, "
                     "passed %llu", (unsigned long long)l->records_in,
                     (unsigned long long)lines_total,
                     (unsigned long long)l->rejected,
                     (unsigned long long)t->records_in);
        } else {
            uint64_t rejected = pd.has_mid ? m->rejected : 0;
            FZ_CHECK(l->records_in == lines_total &&
                         l->records_in == l->filtered + rejected +
                                              t->filtered + t->records_out,
                     "lines: in %llu of %llu, filtered %llu; log rejected "
                     "%llu; top filtered %llu, out %llu: '%s'",
                     (unsigned long long)l->records_in,
                     (unsigned long long)lines_total,
                     (unsigned long long)l->filtered,
                     (unsigned long long)rejected,
                     (unsigned long long)t->filtered,
                     (unsigned long long)t->records_out, shown);
        }
    }
    if (ref.rc == RN_DONE && ref.has_low) {
        /* Nothing skipped: every line reached the stage that refused
         * pushdown (in a chain, the inputs' own counters are that stage's),
         * and the regex wrapper rejects none. */
        const rn_stats *t = &ref.top, *m = &ref.mid, *l = &ref.low;
        uint64_t rejected = ref.has_mid ? m->rejected : l->rejected;
        FZ_CHECK(l->records_in == lines_total && l->filtered == 0 &&
                     (!ref.has_mid || m->records_in == lines_total) &&
                     lines_total == rejected + t->filtered + t->records_out,
                 "reference: lines in %llu of %llu, filtered %llu, rejected "
                 "%llu; top filtered %llu, out %llu",
                 (unsigned long long)l->records_in,
                 (unsigned long long)lines_total,
                 (unsigned long long)l->filtered,
                 (unsigned long long)rejected,
                 (unsigned long long)t->filtered,
                 (unsigned long long)t->records_out);
        FZ_CHECK(c.reader != R_LINES || rejected == 0,
                 "the reference's line wrapper rejected %llu lines",
                 (unsigned long long)rejected);
        FZ_CHECK(rejected == c.rejects, "rejected %llu, callback saw %zu",
                 (unsigned long long)rejected, c.rejects);
        if (pd.rc == RN_DONE && c.reader != R_LINES) {
            /* A line pushdown skipped is not rejected: fewer or as many. */
            uint64_t pr = pd.has_mid ? pd.mid.rejected : pd.low.rejected;
            FZ_CHECK(pr <= rejected, "rejected %llu with pushdown, %llu "
                     "without", (unsigned long long)pr,
                     (unsigned long long)rejected);
        }
    }

    fz_buf_free(&pd.recs);
    fz_buf_free(&ref.recs);
    fz_buf_free(&ex);
    fz_buf_free(&text);
    return 0;
}
