/*
 * test_grep.c - the grep stage against a naive reference of GNU grep's
 * semantics (a small backtracking matcher decides matches; the lines printed and the
 * separators follow from the definition: a line prints when it is within
 * -B/-A of a selected line, "--" goes before a printed line whose previous
 * line did not print), over lines at every chunk size from 1 byte up, and
 * over more batches than one; cross-checked against the grep program when
 * there is one; log input (raw lines) and CSV with a multi-line quoted field
 * (joined fields); schemas; argument errors; allocation failures; constant
 * memory; the required-literal scan for pushdown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"
#include "support_stage.h"
#include "base/runnel_internal.h"
#include "base/regex_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N(a) (sizeof(a) / sizeof *(a))

/* ---- inputs -------------------------------------------------------------- */

static uint64_t rng;

/* Mostly quiet lines, so that groups are sometimes adjacent, sometimes far
 * apart, and sometimes overlap. */
static const char *const quiet[] = {"ok", "all good", "request served", ""};
static const char *const loud[] = {
    "ERROR disk full", "error 500 upstream", "fail over", "Failure at 12:00",
    "warn 123 slow", "x marks the spot", "critical: 9999", "info 42 ok",
    "Error code: 77", "FAIL", "nothing to see",
};

typedef struct corpus {
    char *text;                /* the lines joined by '\n' */
    size_t len;
    char **lines;              /* n NUL-terminated copies */
    size_t n;
} corpus;

static corpus make_corpus(uint64_t seed, size_t n, bool final_newline)
{
    corpus c = {NULL, 0, calloc(n ? n : 1, sizeof(char *)), n};
    size_t cap = 64 * n + 16;
    c.text = malloc(cap);
    rng = seed;
    for (size_t i = 0; i < n; i++) {
        const char *s = tst_rnd(&rng) % 100 < 72
                            ? quiet[tst_rnd(&rng) % N(quiet)]
                            : loud[tst_rnd(&rng) % N(loud)];
        c.lines[i] = strdup(s);
        size_t l = strlen(s);
        memcpy(c.text + c.len, s, l);
        c.len += l;
        if (i + 1 < n || final_newline)
            c.text[c.len++] = '\n';
    }
    return c;
}

static void free_corpus(corpus *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->lines[i]);
    free(c->lines);
    free(c->text);
}

/* ---- the reference ------------------------------------------------------- */

/* A naive matcher for the patterns used here (the subset where PCRE2 and
 * POSIX ERE agree): literals, \c, '.', [sets] with ranges and '^', the
 * quantifiers * + ? {n} {n,m}, '^' and '$' at the ends, '|' at the top
 * level only. (lib/regex.h shadows <regex.h> on the test include path.) */
static bool ci;

static bool same(char a, char b)
{
    return ci ? tolower((unsigned char)a) == tolower((unsigned char)b)
              : a == b;
}

/* Length of the atom at re; sets *ok to whether it matches c. */
static size_t atom(const char *re, char c, bool *ok)
{
    if (re[0] == '\\') {
        *ok = same(re[1], c);
        return 2;
    }
    if (re[0] == '.') {
        *ok = c != '\n';
        return 1;
    }
    if (re[0] != '[') {
        *ok = same(re[0], c);
        return 1;
    }
    size_t i = 1;
    bool neg = re[i] == '^', in = false;
    if (neg)
        i++;
    do {
        char lo = re[i], hi = lo;
        if (re[i + 1] == '-' && re[i + 2] != ']') {
            hi = re[i + 2];
            i += 2;
        }
        for (int x = (unsigned char)lo; x <= (unsigned char)hi; x++)
            in |= same((char)x, c);
        i++;
    } while (re[i] != ']');
    *ok = in != neg;
    return i + 1;
}

static bool here(const char *re, const char *end, const char *t)
{
    if (re == end)
        return true;
    if (re[0] == '$' && re + 1 == end)
        return *t == '\0';
    bool ok;
    size_t al = atom(re, 'x', &ok);
    const char *q = re + al;
    long min = 1, max = 1;
    if (q < end && (*q == '*' || *q == '+' || *q == '?')) {
        min = *q == '+';
        max = *q == '?' ? 1 : -1;
        q++;
    } else if (q < end && *q == '{') {
        char *e;
        min = max = strtol(q + 1, &e, 10);
        if (*e == ',')
            max = strtol(e + 1, &e, 10);
        q = e + 1;
    }
    long n = 0;
    while ((max < 0 || n < max) && t[n]) {
        atom(re, t[n], &ok);
        if (!ok)
            break;
        n++;
    }
    for (; n >= min; n--)
        if (here(q, end, t + n))
            return true;
    return false;
}

static bool ref_match(const char *re, const char *text, bool icase)
{
    ci = icase;
    for (const char *a = re;;) {
        const char *b = a;
        while (*b && *b != '|')
            b += *b == '\\' ? 2 : 1;
        if (*a == '^') {
            if (here(a + 1, b, text))
                return true;
        } else {
            for (const char *t = text;; t++) {
                if (here(a, b, t))
                    return true;
                if (!*t)
                    break;
            }
        }
        if (!*b)
            return false;
        a = b + 1;
    }
}

typedef struct ref_item {
    long idx;                  /* line index; -1: separator */
    size_t pat;                /* first pattern matched (1-based) or 0 */
    bool match;                /* selected (not context) */
} ref_item;

/* Fills out (room for 2n items) and returns how many. */
static size_t ref_grep(char *const *lines, size_t n, const rn_grep_opts *o,
                       ref_item *out)
{
    size_t *pat = calloc(n + 1, sizeof *pat);
    bool *sel = calloc(n + 1, 1), *print = calloc(n + 1, 1);
    for (size_t i = 0; i < n; i++) {
        for (size_t p = 0; p < o->npatterns && !pat[i]; p++)
            if (ref_match(o->patterns[p], lines[i], o->ignore_case))
                pat[i] = p + 1;
        sel[i] = o->invert ? pat[i] == 0 : pat[i] != 0;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (sel[j] && i + o->before >= j && i <= j + o->after)
                print[i] = true;
    size_t k = 0;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (!print[i])
            continue;
        if (any && !print[i - 1] && (o->before || o->after))
            out[k++] = (ref_item){-1, 0, false};
        out[k++] = (ref_item){(long)i, o->invert ? 0 : pat[i], sel[i]};
        any = true;
    }
    free(pat);
    free(sel);
    free(print);
    return k;
}

/* ---- helpers ------------------------------------------------------------- */

/* Checks the extra fields at ix (of w) of a data record against item r. */
static void expect_extras(const rn_record *rec, size_t ix, const ref_item *r)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", r->idx + 1);
    tst_expect_field(rec->fields[ix], buf);
    if (r->pat)
        snprintf(buf, sizeof buf, "%zu", r->pat);
    else
        buf[0] = '\0';
    tst_expect_field(rec->fields[ix + 1], buf);
    tst_expect_field(rec->fields[ix + 2], r->match ? "match" : "context");
}

/* Reads a grep over lines to the end and compares with the reference. */
static void expect_grep(rn_iter *it, const corpus *c, const rn_grep_opts *o)
{
    static const char *const names[] = {"line", "_line", "_pattern",
                                        "_match"};
    ref_item *ref = malloc((2 * c->n + 1) * sizeof *ref);
    size_t nref = ref_grep(c->lines, c->n, o, ref), k = 0, data = 0;
    const rn_record *rec;
    int rc;
    assert_int_equal(rn_status(it), RN_OK);
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        if (k >= nref)
            fail_msg("more records than the %zu expected", nref);
        const ref_item *r = &ref[k++];
        if (r->idx < 0) {
            if (rec->nfields != 0)
                fail_msg("item %zu: want a separator, got line %llu", k - 1,
                         (unsigned long long)rec->line);
            assert_int_equal(rec->raw.len, 2);
            assert_memory_equal(rec->raw.ptr, "--", 2);
            continue;
        }
        data++;
        if (rec->nfields != 4)
            fail_msg("item %zu: want line %ld, got %zu fields (line %llu)",
                     k - 1, r->idx + 1, rec->nfields,
                     (unsigned long long)rec->line);
        assert_int_equal(rec->line, (uint64_t)r->idx + 1);
        tst_expect_field(rec->fields[0], c->lines[r->idx]);
        assert_non_null(rec->raw.ptr);
        tst_expect_field(rec->raw, c->lines[r->idx]);
        expect_extras(rec, 1, r);
    }
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(k, nref);
    assert_int_equal(rn_next(it, &rec), RN_DONE);
    tst_expect_schema(it, names, 4);
    rn_stats st, ust;
    rn_stats_of(it, &st);
    rn_stats_of(rn_upstream(it), &ust);
    /* With pushdown the line reader below skips lines grep never sees: the
     * two stages together account for every line. */
    assert_int_equal(st.records_in + ust.filtered, c->n);
    assert_int_equal(st.records_out, data);
    assert_int_equal(st.filtered + ust.filtered, c->n - data);
    free(ref);
}

static const char *const p_error[] = {"error"};
static const char *const p_three[] = {"error", "fail", "^x"};
static const char *const p_digits[] = {"[0-9]{3}", "warn|crit"};
static const char *const p_empty_line[] = {"^$"};
static const char *const p_ok_end[] = {"ok$", "o"};

typedef struct patset {
    const char *const *p;
    size_t n;
} patset;

static const patset patsets[] = {
    {p_error, 1}, {p_three, 3}, {p_digits, 2}, {p_empty_line, 1},
    {p_ok_end, 2},
};

static rn_grep_opts gopts(const patset *ps, int icase, int invert,
                          size_t before, size_t after)
{
    rn_grep_opts o = {ps->p, ps->n, icase, invert, before, after};
    return o;
}

/* An upstream whose fields are known only after its first step (a log
 * reader on a push source that has no bytes yet, say). */
static int late_next(rn_iter *it, rn_batch *out)
{
    int rc = rn_next_batch(it->up, out);
    it->schema = it->up->schema;
    if (rc < 0)
        return rn__iter_adopt(it, it->up, rc);
    return rc;
}

static const rn__iter_vt late_vt = {"late", late_next, NULL};

static rn_iter *late(rn_iter *up)
{
    rn_iter *it = rn__iter_new(&late_vt, sizeof *it, up, NULL);
    if (it)
        it->schema = NULL;
    return it;
}

/* Odd chunk sizes read through an upstream whose fields come late. */
static void run_chunks(const corpus *c, const rn_grep_opts *o,
                       const size_t *chunks, size_t nchunks)
{
    for (size_t i = 0; i < nchunks; i++) {
        rn_iter *up = tst_open_lines(c->text, c->len, chunks[i], NULL);
        if (chunks[i] % 2)
            up = late(up);
        rn_iter *it = rn_grep_new(up, o);
        if (chunks[i] % 2)
            assert_null(rn_schema_of(it));
        assert_non_null(it);
        expect_grep(it, c, o);
        rn_free(it);
    }
}

/* ---- against the reference ----------------------------------------------- */

static void test_every_chunk_size(void **state)
{
    (void)state;
    corpus c = make_corpus(1, 48, false);
    size_t *chunks = malloc((c.len + 4) * sizeof *chunks);
    size_t nch = 0;
    for (size_t s = 1; s <= c.len + 1; s++)
        chunks[nch++] = s;
    chunks[nch++] = 4096;
    chunks[nch++] = 1u << 20;
    const rn_grep_opts os[] = {
        gopts(&patsets[0], 0, 0, 0, 0), gopts(&patsets[1], 1, 0, 2, 1),
        gopts(&patsets[1], 1, 1, 1, 2), gopts(&patsets[2], 0, 0, 3, 3),
        gopts(&patsets[3], 0, 0, 1, 0),
    };
    for (size_t i = 0; i < N(os); i++)
        run_chunks(&c, &os[i], chunks, nch);
    free(chunks);
    free_corpus(&c);
}

/* Every combination of -i, -v, -B, -A and pattern set, at a few chunk
 * sizes (1 byte: one line per batch, so every record crosses the ring). */
static void test_option_matrix(void **state)
{
    (void)state;
    corpus c = make_corpus(2, 300, true);
    static const size_t chunks[] = {1, 3, 7, 64, 4096, 1u << 20};
    static const size_t bs[] = {0, 1, 2, 3, 7};
    static const size_t as[] = {0, 1, 2, 5};
    for (size_t p = 0; p < N(patsets); p++)
        for (int ic = 0; ic < 2; ic++)
            for (int inv = 0; inv < 2; inv++)
                for (size_t b = 0; b < N(bs); b++)
                    for (size_t a = 0; a < N(as); a++) {
                        rn_grep_opts o = gopts(&patsets[p], ic, inv, bs[b],
                                               as[a]);
                        run_chunks(&c, &o, chunks, N(chunks));
                    }
    free_corpus(&c);
}

/* Many upstream batches, and context longer than a batch: the ring holds
 * records of several earlier batches, and the output batch grows to hold
 * before + 2 records. */
static void test_many_batches(void **state)
{
    (void)state;
    corpus c = make_corpus(3, 20000, true);
    static const size_t chunks[] = {7, 4096, 1u << 20};
    static const char *const rare[] = {"x marks"};
    static const patset ps_rare = {rare, 1};
    const rn_grep_opts os[] = {
        gopts(&patsets[1], 1, 0, 3, 2),  gopts(&ps_rare, 0, 0, 1500, 0),
        gopts(&ps_rare, 0, 0, 0, 1500),  gopts(&ps_rare, 0, 0, 2000, 700),
        gopts(&patsets[0], 0, 1, 4, 4),  gopts(&ps_rare, 0, 1, 0, 0),
    };
    for (size_t i = 0; i < N(os); i++)
        run_chunks(&c, &os[i], chunks, N(chunks));
    free_corpus(&c);
}

/* The text grep prints: raw lines and "--". */
static char *render(rn_iter *it, size_t *len)
{
    size_t cap = 1024, n = 0;
    char *buf = malloc(cap);
    const rn_record *rec;
    int rc;
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        while (n + rec->raw.len + 1 > cap)
            buf = realloc(buf, cap *= 2);
        assert_non_null(rec->raw.ptr);
        memcpy(buf + n, rec->raw.ptr, rec->raw.len);
        n += rec->raw.len;
        buf[n++] = '\n';
    }
    assert_int_equal(rc, RN_DONE);
    *len = n;
    return buf;
}

/* The same answers as the grep program (GNU grep -E in the C locale), when
 * there is one. */
static void test_against_grep_program(void **state)
{
    (void)state;
    if (system("LC_ALL=C grep -E -e x /dev/null >/dev/null 2>&1; "
               "[ $? -le 1 ]") != 0) {
        skip();
        return;
    }
    corpus c = make_corpus(4, 500, true);
    char *path = tst_write_temp(c.text, c.len);
    assert_non_null(path);
    static const size_t ctx[][2] = {{0, 0}, {1, 0}, {0, 1}, {2, 3}, {5, 5}};
    for (size_t p = 0; p < N(patsets); p++)
        for (int ic = 0; ic < 2; ic++)
            for (int inv = 0; inv < 2; inv++)
                for (size_t x = 0; x < N(ctx); x++) {
                    rn_grep_opts o = gopts(&patsets[p], ic, inv, ctx[x][0],
                                           ctx[x][1]);
                    char cmd[1024];
                    int w = snprintf(cmd, sizeof cmd, "LC_ALL=C grep -E%s%s",
                                     ic ? " -i" : "", inv ? " -v" : "");
                    /* -A 0 and -B 0 make GNU grep print separators; the
                     * stage has no way to ask for that, so leave them
                     * out. */
                    if (ctx[x][0] || ctx[x][1])
                        w += snprintf(cmd + w, sizeof cmd - (size_t)w,
                                      " -B %zu -A %zu", ctx[x][0], ctx[x][1]);
                    for (size_t i = 0; i < o.npatterns; i++)
                        w += snprintf(cmd + w, sizeof cmd - (size_t)w,
                                      " -e '%s'", o.patterns[i]);
                    snprintf(cmd + w, sizeof cmd - (size_t)w, " '%s'", path);
                    FILE *f = popen(cmd, "r");
                    assert_non_null(f);
                    size_t cap = c.len * 2 + 1024, glen = 0, got;
                    char *gout = malloc(cap);
                    while ((got = fread(gout + glen, 1, cap - glen, f)) > 0)
                        glen += got;
                    pclose(f);
                    rn_iter *it = rn_grep_new(
                        rn_lines_new(rn_source_file(path, NULL), NULL), &o);
                    size_t olen;
                    char *ours = render(it, &olen);
                    if (olen != glen || memcmp(ours, gout, olen) != 0)
                        fail_msg("differs from: %s", cmd);
                    rn_free(it);
                    free(ours);
                    free(gout);
                }
    unlink(path);
    free(path);
    free_corpus(&c);
}

/* ---- other readers ------------------------------------------------------- */

/* Log records carry their line as raw: the pattern sees the '|' that the
 * fields lost, and the fields pass through. */
static void test_log_input(void **state)
{
    (void)state;
    static const char *const levels[] = {"INFO", "INFO", "DEBUG", "WARN",
                                         "ERROR", "INFO"};
    corpus c = {NULL, 0, calloc(200, sizeof(char *)), 200};
    c.text = malloc(200 * 64);
    rng = 5;
    for (size_t i = 0; i < c.n; i++) {
        char line[64];
        const char *lv = levels[tst_rnd(&rng) % N(levels)];
        int l = snprintf(line, sizeof line, "2024-03-01 12:%02zu:00|%s|msg %zu",
                         i % 60, lv, i);
        c.lines[i] = strdup(line);
        memcpy(c.text + c.len, line, (size_t)l);
        c.len += (size_t)l;
        c.text[c.len++] = '\n';
    }
    static const char *const pats[] = {"\\|ERROR\\|", "\\|WARN\\|msg 1"};
    rn_grep_opts o = {pats, 2, 0, 0, 2, 1};
    static const char *const names[] = {"timestamp", "level", "message",
                                        "_line", "_pattern", "_match"};
    ref_item *ref = malloc((2 * c.n + 1) * sizeof *ref);
    size_t nref = ref_grep(c.lines, c.n, &o, ref);
    assert_true(nref > 20);
    static const size_t chunks[] = {1, 2, 3, 5, 7, 11, 64, 100, 4096,
                                    1u << 20};
    for (size_t ch = 0; ch < N(chunks); ch++) {
        rn_log_opts lo = {0};
        lo.format = "pipe";
        rn_iter *it = rn_grep_new(
            rn_log_new(tst_open_lines(c.text, c.len, chunks[ch], NULL), &lo),
            &o);
        tst_expect_schema(it, names, 6);
        const rn_record *rec;
        size_t k = 0;
        while (rn_next(it, &rec) == RN_ROW) {
            assert_true(k < nref);
            const ref_item *r = &ref[k++];
            if (r->idx < 0) {
                assert_int_equal(rec->nfields, 0);
                continue;
            }
            assert_int_equal(rec->nfields, 6);
            tst_expect_field(rec->raw, c.lines[r->idx]);
            char want[64];
            snprintf(want, sizeof want, "2024-03-01 12:%02ld:00",
                     r->idx % 60);
            tst_expect_field(rec->fields[0], want);
            snprintf(want, sizeof want, "msg %ld", r->idx);
            tst_expect_field(rec->fields[2], want);
            assert_true(memchr(c.lines[r->idx], '|', 30) != NULL);
            expect_extras(rec, 3, r);
        }
        assert_int_equal(k, nref);
        assert_int_equal(rn_status(it), RN_DONE);
        rn_free(it);
    }
    free(ref);
    free_corpus(&c);
}

/* CSV records with a quoted field have no raw: the pattern sees the fields
 * joined by ',', line breaks inside fields included. */
static void test_csv_joined_fields(void **state)
{
    (void)state;
    static const char text[] =
        "id,msg,n\n"
        "1,hello,5\n"
        "2,\"multi\nline error\",6\n"
        "3,plain,7\n"
        "4,\"quoted, comma\",8\n"
        "5,\"say \"\"hi\"\"\",9\n"
        "6,tail,10\n";
    static const char *const names[] = {"id", "msg", "n", "_line",
                                        "_pattern", "_match"};
    /* Patterns that match only the joined form, then what prints. */
    static const char *const pats[] = {"^2,multi\nline", "4,quoted, comma,8$",
                                       "say \"hi\",9", "^6,tail,10$"};
    for (size_t chunk = 1; chunk <= sizeof text; chunk++) {
        rn_grep_opts o = {pats, N(pats), 0, 0, 0, 0};
        rn_iter *it = rn_grep_new(
            rn_csv_new(tst_chunked_source(text, sizeof text - 1, chunk, NULL),
                       NULL),
            &o);
        tst_expect_schema(it, names, 6);
        static const struct {
            const char *id, *msg, *line, *pat;
        } want[] = {
            {"2", "multi\nline error", "3", "1"},
            {"4", "quoted, comma", "6", "2"},
            {"5", "say \"hi\"", "7", "3"},
            {"6", "tail", "8", "4"},
        };
        const rn_record *rec;
        for (size_t i = 0; i < N(want); i++) {
            assert_int_equal(rn_next(it, &rec), RN_ROW);
            assert_int_equal(rec->nfields, 6);
            tst_expect_field(rec->fields[0], want[i].id);
            tst_expect_field(rec->fields[1], want[i].msg);
            tst_expect_field(rec->fields[3], want[i].line);
            tst_expect_field(rec->fields[4], want[i].pat);
            tst_expect_field(rec->fields[5], "match");
        }
        assert_int_equal(rn_next(it, &rec), RN_DONE);
        rn_free(it);

        /* With context: 1 after "hello" pulls in record 2; then a gap. */
        static const char *const hello[] = {"hello", "comma"};
        rn_grep_opts oc = {hello, 2, 0, 0, 0, 1};
        it = rn_grep_new(rn_csv_new(tst_chunked_source(text, sizeof text - 1,
                                                       chunk, NULL),
                                    NULL),
                         &oc);
        char *out;
        size_t outlen;
        assert_int_equal(tst_drain(it, &out, &outlen), RN_DONE);
        static const char expect[] =
            "1\thello\t5\t2\t1\tmatch\n"
            "2\tmulti\nline error\t6\t3\t\tcontext\n"
            "\n" /* the separator */
            "4\tquoted, comma\t8\t6\t2\tmatch\n"
            "5\tsay \"hi\"\t9\t7\t\tcontext\n";
        assert_int_equal(outlen, sizeof expect - 1);
        assert_memory_equal(out, expect, outlen);
        free(out);
        rn_free(it);
    }
}

/* A ragged CSV widens the upstream schema mid-stream: the output schema
 * follows, every record has as many fields as the schema read after it, and
 * the old schema stays valid. */
static void test_schema_widens(void **state)
{
    (void)state;
    static const char text[] = "a,b\n1,x\n2,x,extra\n3,x\n";
    for (size_t chunk = 1; chunk <= sizeof text; chunk++) {
        static const char *const pats[] = {"x"};
        rn_grep_opts o = {pats, 1, 0, 0, 1, 0};
        rn_iter *it = rn_grep_new(
            rn_csv_new(tst_chunked_source(text, sizeof text - 1, chunk, NULL),
                       NULL),
            &o);
        const rn_schema *first = rn_schema_of(it);
        assert_int_equal(rn_schema_count(first), 5);
        const rn_record *rec;
        unsigned n = 0;
        while (rn_next(it, &rec) == RN_ROW) {
            const rn_schema *s = rn_schema_of(it);
            assert_int_equal(rec->nfields, rn_schema_count(s));
            ptrdiff_t li = rn_schema_find(s, "_line", 5);
            assert_true(li >= 2);
            char want[8];
            snprintf(want, sizeof want, "%u", n + 2);
            tst_expect_field(rec->fields[li], want);
            n++;
        }
        assert_int_equal(n, 3);
        static const char *const wide[] = {"a", "b", "_3", "_line",
                                           "_pattern", "_match"};
        tst_expect_schema(it, wide, 6);
        assert_int_equal(rn_schema_count(first), 5); /* still readable */
        rn_free(it);
    }
}

/* grep after grep: the second overwrites _line, _pattern and _match in
 * place and still matches the raw line. */
static void test_grep_after_grep(void **state)
{
    (void)state;
    static const char text[] = "a1\nb2\na3 b\nc4\n";
    static const char *const pa[] = {"a"}, *const pb[] = {"z", "b"};
    rn_grep_opts oa = {pa, 1, 0, 0, 0, 0}, ob = {pb, 2, 0, 0, 0, 0};
    rn_iter *it = rn_grep_new(
        rn_grep_new(tst_open_lines(text, sizeof text - 1, 3, NULL), &oa), &ob);
    static const char *const names[] = {"line", "_line", "_pattern",
                                        "_match"};
    tst_expect_schema(it, names, 4);
    char *out;
    size_t outlen;
    assert_int_equal(tst_drain(it, &out, &outlen), RN_DONE);
    static const char expect[] = "a3 b\t3\t2\tmatch\n";
    assert_int_equal(outlen, sizeof expect - 1);
    assert_memory_equal(out, expect, outlen);
    free(out);
    rn_free(it);
}

/* ---- errors -------------------------------------------------------------- */

static void expect_error(rn_iter *it, int code, const char *msg)
{
    assert_non_null(it);
    assert_int_equal(rn_status(it), code);
    if (strcmp(rn_errmsg(it), msg) != 0)
        fail_msg("message '%s', want '%s'", rn_errmsg(it), msg);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), code);
    assert_int_equal(rn_next(it, &rec), code);
    rn_free(it);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    assert_null(rn_grep_new(NULL, NULL));
    const char *t = "x\n";
    expect_error(rn_grep_new(tst_open_lines(t, 2, 1, NULL), NULL), RN_EINVAL,
                 "grep: no pattern given");
    rn_grep_opts o = {NULL, 0, 0, 0, 0, 0};
    expect_error(rn_grep_new(tst_open_lines(t, 2, 1, NULL), &o), RN_EINVAL,
                 "grep: no pattern given");
    static const char *const bad[] = {"a(b"};
    rn_grep_opts ob = {bad, 1, 0, 0, 0, 0};
    expect_error(rn_grep_new(tst_open_lines(t, 2, 1, NULL), &ob), RN_EINVAL,
                 "grep: bad regex at offset 3: missing closing parenthesis: "
                 "a(b");
    static const char *const bad2[] = {"ok", "x{2,1}"};
    rn_grep_opts ob2 = {bad2, 2, 0, 0, 0, 0};
    expect_error(rn_grep_new(tst_open_lines(t, 2, 1, NULL), &ob2), RN_EINVAL,
                 "grep: pattern 2: bad regex at offset 5: numbers out of "
                 "order in {} quantifier: x{2,1}");
    static const char *const withnull[] = {"ok", NULL};
    rn_grep_opts on = {withnull, 2, 0, 0, 0, 0};
    expect_error(rn_grep_new(tst_open_lines(t, 2, 1, NULL), &on), RN_EINVAL,
                 "grep: pattern 2 is NULL");
    static const char *const ok[] = {"ok"};
    rn_grep_opts obig = {ok, 1, 0, 0, (size_t)1 << 21, 0};
    expect_error(rn_grep_new(tst_open_lines(t, 2, 1, NULL), &obig), RN_EINVAL,
                 "grep: 2097152 records of context before is more than the "
                 "cap of 1048576");
    /* An upstream that failed at construction: its error is adopted. */
    rn_grep_opts good = {ok, 1, 0, 0, 0, 0};
    rn_iter *it = rn_grep_new(
        rn_lines_new(rn_source_file("/nonexistent/x", NULL), NULL), &good);
    assert_true(rn_status(it) < 0);
    assert_non_null(strstr(rn_errmsg(it), "/nonexistent/x"));
    rn_free(it);
}

/* ---- memory -------------------------------------------------------------- */

typedef struct alloc_input {
    const char *text;
    size_t len;
    int which; /* 0: lines, 1: CSV */
    const rn_grep_opts *o;
} alloc_input;

static rn_iter *open_grep(void *ud, const rn_source_opts *so)
{
    const alloc_input *in = ud;
    rn_iter *it = in->which ? rn_csv_new(tst_chunked_source(in->text, in->len,
                                                            5, so), NULL)
                            : tst_open_lines(in->text, in->len, 5, so);
    return rn_grep_new(it, in->o);
}

static void test_failing_allocator(void **state)
{
    (void)state;
    corpus c = make_corpus(6, 60, true);
    static const char *const csvt =
        "a,b\n1,\"x\ny\"\n2,error\n3,z\n4,\"error\"\n";
    for (int which = 0; which < 2; which++) {
        rn_grep_opts o = gopts(&patsets[1], 1, 0, 2, 1);
        alloc_input in = {which ? csvt : c.text, which ? strlen(csvt) : c.len,
                          which, &o};
        tst_fail_each_alloc_text(open_grep, &in, 100000, NULL);
    }
    free_corpus(&c);
}

typedef struct gen {
    uint64_t left;
    uint64_t i;
} gen;

/* Lines of one length; every 97th an error, so groups come and go. */
static ptrdiff_t gen_read(void *ud, void *buf, size_t cap)
{
    gen *g = ud;
    char *p = buf;
    size_t n = 0;
    while (g->left && n + 64 <= cap) {
        int k = snprintf(p + n, 64, "2024-03-01 12:00:%02u|%s|line %010llu\n",
                         (unsigned)(g->i % 60),
                         g->i % 97 == 0 ? "ERROR" : "INFO ",
                         (unsigned long long)g->i);
        g->i++;
        n += (size_t)k;
        g->left = g->left > (uint64_t)k ? g->left - (uint64_t)k : 0;
    }
    return (ptrdiff_t)n;
}

static size_t peak_for(uint64_t bytes, uint64_t *out, bool log)
{
    tst_alloc t = tst_alloc_init();
    rn_allocator a = tst_allocator(&t);
    rn_source_opts so = {0};
    so.allocator = &a;
    gen g = {bytes, 0};
    rn_iter *it = rn_lines_new(rn_source_callback(gen_read, NULL, &g, &so),
                               NULL);
    if (log) {
        rn_log_opts lo = {0};
        lo.format = "pipe";
        it = rn_log_new(it, &lo);
    }
    static const char *const pats[] = {"error", "exception", "fail",
                                       "critical"};
    rn_grep_opts o = {pats, 4, 1, 0, 3, 3};
    it = rn_grep_new(it, &o);
    rn_batch b;
    int rc;
    *out = 0;
    while ((rc = rn_next_batch(it, &b)) == RN_ROW)
        *out += b.n;
    assert_int_equal(rc, RN_DONE);
    rn_free(it);
    assert_int_equal(t.live, 0);
    return t.peak;
}

static void test_constant_memory(void **state)
{
    (void)state;
    for (int log = 0; log < 2; log++) {
        uint64_t small_n, big_n;
        size_t small = peak_for(1u << 20, &small_n, log);
        size_t big = peak_for(20u << 20, &big_n, log);
        assert_true(big_n > 15 * small_n);
        assert_int_equal(small, big);
    }
}

/* ---- the literal for pushdown -------------------------------------------- */

static void test_required_literal(void **state)
{
    (void)state;
    static const struct {
        const char *pattern, *want;
    } cases[] = {
        {"error", "error"},
        {"Error code: (?<code>\\d+)", "Error code: "},
        {"\\|ERROR\\|", "|ERROR|"},
        {"a|b", ""},
        {"(?i)abc", ""},
        {"abc(*ACCEPT)", ""},
        {"ab*c", "a"},
        {"xy+z", "xy"},
        {"abc?de", "ab"},
        {"[abc]def", "def"},
        {"[]x]yz", "yz"},
        {"\\d+ms", "ms"},
        {"\\pLfoo", "foo"},
        {"\\k<n>longer", "longer"},
        {"x{2}yz", "yz"},
        {"ab{0,3}c", "a"},
        {"a\\Qb\\E", ""},
        {"(?:foo|bar)baz", "baz"},
        {"(?#(comment)x", ""},
        {"^start.*end$", "start"},
        {"a{b", ""},
        {"", ""},
        {"\\x41BCD", "BCD"},
        {"foo\\.bar", "foo.bar"},
        {"(a(b)c)longest", "longest"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        char buf[64];
        size_t n = rn__regex_literal(cases[i].pattern, buf, sizeof buf);
        if (n != strlen(cases[i].want) || memcmp(buf, cases[i].want, n))
            fail_msg("'%s': got '%.*s', want '%s'", cases[i].pattern, (int)n,
                     buf, cases[i].want);
    }
    char small[3];
    assert_int_equal(rn__regex_literal("abcdef", small, 3), 3);
    assert_memory_equal(small, "abc", 3);
}

/* A record with no raw line is matched on its fields joined by ','; an
 * empty one (found by fuzzing: a groupby's group of an empty key) joins to
 * "" without touching a buffer that does not exist yet. */
static void test_empty_record_without_raw(void **state)
{
    (void)state;
    static const char *const names[] = {"k"};
    rn_schema *s = rn_schema_new(names, 1, NULL);
    rn_field empty = {"", 0}, word = {"abc", 3};
    rn_record recs[2] = {{&empty, 1, 1, 0, {NULL, 0}},
                         {&word, 1, 2, 0, {NULL, 0}}};
    static const char *const pats[] = {"^$"};
    rn_grep_opts o = {pats, 1, 0, 0, 0, 0};
    rn_iter *it = rn_grep_new(rn_array_source_new(s, recs, 2, NULL), &o);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_int_equal(rec->line, 1);
    assert_int_equal(rec->fields[0].len, 0);
    assert_int_equal(rn_next(it, &rec), RN_DONE);
    rn_free(it);
    rn_schema_free(s, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_chunk_size),
        cmocka_unit_test(test_empty_record_without_raw),
        cmocka_unit_test(test_option_matrix),
        cmocka_unit_test(test_many_batches),
        cmocka_unit_test(test_against_grep_program),
        cmocka_unit_test(test_log_input),
        cmocka_unit_test(test_csv_joined_fields),
        cmocka_unit_test(test_schema_widens),
        cmocka_unit_test(test_grep_after_grep),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_failing_allocator),
        cmocka_unit_test(test_constant_memory),
        cmocka_unit_test(test_required_literal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
