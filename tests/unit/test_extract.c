/*
 * test_extract.c - the extract stage over logs (rn_log_new on rn_lines_new)
 * at every chunk size from 1 byte up and over many batches, against a naive
 * reference (strstr for "Error code: " and the digits after it); keep mode;
 * a regex without names (its first group, or the whole match); optional and
 * repeated group names; the default field for lines, logs and CSV; unknown
 * fields, groups that would hide a field and bad regexes; allocation
 * failures; constant memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"
#include "support_stage.h"
#include "base/runnel_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof *(a))

#define CODE_RE "Error code: (?<code>\\d+)"

/* ---- input --------------------------------------------------------------- */

static uint64_t rng;

typedef struct logline {
    char ts[32], level[8], msg[128];
} logline;

typedef struct corpus {
    char *text;
    size_t len;
    logline *l;
    size_t n;
} corpus;

/* Pipe-format lines whose messages hold a code, none, a code only at the
 * second try, two codes, or near misses. */
static corpus make_log(uint64_t seed, size_t n)
{
    static const char *const levels[] = {"INFO", "ERROR", "WARN", "DEBUG"};
    corpus c = {malloc(n * 200 + 1), 0, calloc(n, sizeof(logline)), n};
    rng = seed;
    for (size_t i = 0; i < n; i++) {
        logline *l = &c.l[i];
        snprintf(l->ts, sizeof l->ts, "2024-03-01 12:%02zu:%02zu", i / 60 % 60,
                 i % 60);
        snprintf(l->level, sizeof l->level, "%s", levels[tst_rnd(&rng) % 4]);
        unsigned code = (unsigned)(tst_rnd(&rng) % 5000);
        switch (tst_rnd(&rng) % 8) {
        case 0:
            snprintf(l->msg, sizeof l->msg, "Request failed. Error code: %u "
                     "(upstream)", code);
            break;
        case 1:
            snprintf(l->msg, sizeof l->msg, "Error code: x, then Error code: "
                     "%u", code);
            break;
        case 2:
            snprintf(l->msg, sizeof l->msg, "Error code: %u and Error code: 7",
                     code);
            break;
        case 3:
            snprintf(l->msg, sizeof l->msg, "error code: %u", code);
            break;
        case 4:
            snprintf(l->msg, sizeof l->msg, "Error code: -%u", code);
            break;
        case 5:
            snprintf(l->msg, sizeof l->msg, "Error code: %u", code);
            break;
        default:
            snprintf(l->msg, sizeof l->msg, "all fine after %u ms", code);
            break;
        }
        c.len += (size_t)sprintf(c.text + c.len, "%s|%s|%s\n", l->ts,
                                 l->level, l->msg);
    }
    return c;
}

static void free_corpus(corpus *c)
{
    free(c->text);
    free(c->l);
}

/* The reference: the first "Error code: " followed by a digit, and its
 * digits. Returns false when there is none. */
static bool ref_code(const char *msg, const char **code, size_t *len)
{
    for (const char *p = msg; (p = strstr(p, "Error code: ")) != NULL; p++) {
        const char *d = p + 12, *e = d;
        while (*e >= '0' && *e <= '9')
            e++;
        if (e > d) {
            *code = d;
            *len = (size_t)(e - d);
            return true;
        }
    }
    return false;
}

/* ---- helpers ------------------------------------------------------------- */

static rn_iter *open_log(const char *text, size_t len, size_t chunk,
                         const char *format, const rn_source_opts *so)
{
    rn_log_opts lo = {0};
    lo.format = format;
    return rn_log_new(tst_open_lines(text, len, chunk, so), &lo);
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

/* Reads an extract of CODE_RE over the log c to the end and checks it. */
static void expect_codes(rn_iter *it, const corpus *c, bool keep)
{
    static const char *const names[] = {"timestamp", "level", "message",
                                        "code"};
    const rn_record *rec;
    size_t i = 0, out = 0;
    int rc;
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        const char *code = "";
        size_t clen = 0;
        while (i < c->n && !ref_code(c->l[i].msg, &code, &clen) && !keep)
            i++;
        assert_true(i < c->n);
        const logline *l = &c->l[i];
        assert_int_equal(rec->line, i + 1);
        assert_int_equal(rec->nfields, 4);
        tst_expect_field(rec->fields[0], l->ts);
        tst_expect_field(rec->fields[1], l->level);
        tst_expect_field(rec->fields[2], l->msg);
        if (rec->fields[3].len != clen ||
            memcmp(rec->fields[3].ptr, code, clen) != 0)
            fail_msg("line %zu: code '%.*s', want '%.*s'", i + 1,
                     (int)rec->fields[3].len, rec->fields[3].ptr, (int)clen,
                     code);
        /* A view into the message, not a copy. */
        if (clen)
            assert_true(rec->fields[3].ptr >= rec->fields[2].ptr &&
                        rec->fields[3].ptr + clen <=
                            rec->fields[2].ptr + rec->fields[2].len);
        assert_null(rec->raw.ptr);
        assert_int_equal(rec->raw.len, 0);
        i++;
        out++;
    }
    assert_int_equal(rc, RN_DONE);
    while (i < c->n && !keep) {
        const char *code;
        size_t clen;
        assert_false(ref_code(c->l[i].msg, &code, &clen));
        i++;
    }
    assert_int_equal(i, c->n);
    assert_int_equal(rn_next(it, &rec), RN_DONE);
    tst_expect_schema(it, names, 4);
    rn_stats st;
    rn_stats_of(it, &st);
    assert_int_equal(st.records_in, c->n);
    assert_int_equal(st.records_out, out);
    assert_int_equal(st.filtered, c->n - out);
}

/* ---- against the reference ----------------------------------------------- */

static void test_codes_every_chunk_size(void **state)
{
    (void)state;
    corpus c = make_log(1, 24);
    for (int keep = 0; keep < 2; keep++) {
        for (size_t chunk = 1; chunk <= c.len + 1; chunk++) {
            /* Fields known at construction, or only after a step. */
            const char *fmt = chunk % 2 ? "pipe" : NULL;
            rn_iter *up = open_log(c.text, c.len, chunk, fmt, NULL);
            if (chunk % 3 == 0)
                up = late(up);
            rn_iter *it = rn_extract_new(up, NULL, CODE_RE, keep);
            assert_int_equal(rn_status(it), RN_OK);
            expect_codes(it, &c, keep);
            rn_free(it);
        }
    }
    free_corpus(&c);
}

static void test_codes_many_batches(void **state)
{
    (void)state;
    corpus c = make_log(2, 20000);
    static const size_t chunks[] = {7, 4096, 1u << 20};
    for (int keep = 0; keep < 2; keep++)
        for (size_t i = 0; i < N(chunks); i++) {
            rn_iter *it = rn_extract_new(
                open_log(c.text, c.len, chunks[i], "pipe", NULL), "message",
                CODE_RE, keep);
            expect_codes(it, &c, keep);
            rn_free(it);
        }
    /* Through rn_next_batch: batches never empty, never over 1024. */
    rn_iter *it = rn_extract_new(open_log(c.text, c.len, 4096, "pipe", NULL),
                                 NULL, CODE_RE, 0);
    rn_batch b;
    int rc;
    size_t total = 0;
    while ((rc = rn_next_batch(it, &b)) == RN_ROW) {
        assert_true(b.n >= 1 && b.n <= 1024);
        total += b.n;
    }
    assert_int_equal(rc, RN_DONE);
    rn_stats st;
    rn_stats_of(it, &st);
    assert_int_equal(st.records_out, total);
    assert_int_equal(st.records_in, st.records_out + st.filtered);
    rn_free(it);
    free_corpus(&c);
}

/* ---- regexes ------------------------------------------------------------- */

/* Runs regex over the lines of text (every chunk size) and compares the
 * tab-joined output with want. */
static void expect_lines(const char *text, const char *field,
                         const char *regex, int keep,
                         const char *const *names, size_t nnames,
                         const char *want)
{
    size_t len = strlen(text);
    for (size_t chunk = 1; chunk <= len + 1; chunk++) {
        rn_iter *it = rn_extract_new(tst_open_lines(text, len, chunk, NULL),
                                     field, regex, keep);
        tst_expect_schema(it, names, nnames);
        char *out;
        size_t outlen;
        assert_int_equal(tst_drain(it, &out, &outlen), RN_DONE);
        if (outlen != strlen(want) || memcmp(out, want, outlen) != 0)
            fail_msg("regex %s, chunk %zu: got\n%.*s\nwant\n%s", regex, chunk,
                     (int)outlen, out, want);
        free(out);
        rn_free(it);
    }
}

static void test_unnamed_groups(void **state)
{
    (void)state;
    static const char text[] = "took 35ms\nno time\ncode: 12 then 40ms\n";
    static const char *const names[] = {"line", "match"};
    /* The first group... */
    expect_lines(text, NULL, "code: (\\d+)", 0, names, 2,
                 "code: 12 then 40ms\t12\n");
    expect_lines(text, NULL, "(\\d+)(ms)", 0, names, 2,
                 "took 35ms\t35\ncode: 12 then 40ms\t40\n");
    /* ...or the whole match. */
    expect_lines(text, NULL, "\\d+ms", 0, names, 2,
                 "took 35ms\t35ms\ncode: 12 then 40ms\t40ms\n");
    expect_lines(text, "line", "\\d+ms", 1, names, 2,
                 "took 35ms\t35ms\nno time\t\ncode: 12 then 40ms\t40ms\n");
    /* An unset first group is empty. */
    expect_lines(text, NULL, "(x)?time", 0, names, 2, "no time\t\n");
}

static void test_named_groups(void **state)
{
    (void)state;
    static const char text[] = "y\nxy\nz\nb2 a1\n";
    /* Optional groups left unset are empty; fields in group order. */
    static const char *const ab[] = {"line", "a", "b"};
    expect_lines(text, NULL, "(?<a>x)?(?<b>y)", 0, ab, 3,
                 "y\t\ty\nxy\tx\ty\n");
    static const char *const ba[] = {"line", "b", "a"};
    expect_lines(text, NULL, "(?<b>x)?(?<a>y)", 1, ba, 3,
                 "y\t\ty\nxy\tx\ty\nz\t\t\nb2 a1\t\t\n");
    /* A name used twice ((?J)) is one field, whichever group is set. */
    static const char *const n[] = {"line", "n"};
    expect_lines(text, NULL, "(?J)(?<n>a\\d)|(?<n>b\\d)", 0, n, 2,
                 "b2 a1\tb2\n");
    expect_lines(text, NULL, "(?J)(?<n>a\\d)$|(?<n>b\\d)$", 0, n, 2,
                 "b2 a1\ta1\n");
    /* Both set: the lowest-numbered group wins, as PCRE2's by-name
     * lookup and the log reader's regex format have it. */
    expect_lines(text, NULL, "(?J)(?<n>b\\d) (?<n>a\\d)", 0, n, 2,
                 "b2 a1\tb2\n");
    /* Unnamed groups beside named ones add nothing. */
    static const char *const w[] = {"line", "w"};
    expect_lines(text, NULL, "(\\w)(?<w>\\d)", 0, w, 2, "b2 a1\t2\n");
}

/* The schema assertion above needs the names in order; this one has them
 * as the regex orders its groups, not by name. */
static void test_group_order(void **state)
{
    (void)state;
    rn_iter *it = rn_extract_new(tst_open_lines("ab\n", 3, 1, NULL), NULL,
                                 "(?<zz>a)(?<aa>b)", 0);
    static const char *const names[] = {"line", "zz", "aa"};
    tst_expect_schema(it, names, 3);
    char *out;
    size_t outlen;
    assert_int_equal(tst_drain(it, &out, &outlen), RN_DONE);
    assert_int_equal(outlen, 7);
    assert_memory_equal(out, "ab\ta\tb\n", 7);
    free(out);
    rn_free(it);
}

/* ---- the field matched --------------------------------------------------- */

static void test_default_field(void **state)
{
    (void)state;
    /* Lines: "line". */
    static const char *const lw[] = {"line", "w"};
    expect_lines("alpha beta\n", NULL, "(?<w>\\w+)$", 0, lw, 2,
                 "alpha beta\tbeta\n");
    /* Logs: "message", not the first field. */
    static const char log[] = "2024-03-01 12:00:00|ERROR|disk full\n";
    for (size_t chunk = 1; chunk <= sizeof log; chunk++) {
        rn_iter *it = rn_extract_new(
            open_log(log, sizeof log - 1, chunk, chunk % 2 ? "pipe" : "auto",
                     NULL),
            NULL, "^(?<first>\\w+)", 0);
        const rn_record *rec;
        assert_int_equal(rn_next(it, &rec), RN_ROW);
        tst_expect_field(rec->fields[3], "disk");
        assert_int_equal(rn_next(it, &rec), RN_DONE);
        rn_free(it);
        /* An explicit field. */
        it = rn_extract_new(open_log(log, sizeof log - 1, chunk, "pipe", NULL),
                            "level", "^(?<first>\\w{3})", 0);
        assert_int_equal(rn_next(it, &rec), RN_ROW);
        tst_expect_field(rec->fields[3], "ERR");
        rn_free(it);
    }
    /* CSV: "message" wherever it is, else the first field. */
    static const char csv1[] = "a,message,b\n1,hello world,2\n";
    static const char csv2[] = "a,b\nfirst field,second field\n";
    const char *texts[] = {csv1, csv2};
    const char *want[] = {"world", "field"};
    const char *wantb[] = {"hello", "first"};
    for (int i = 0; i < 2; i++) {
        rn_iter *it = rn_extract_new(
            rn_csv_new(rn_source_mem(texts[i], strlen(texts[i]), NULL), NULL),
            NULL, "(?<w>\\w+)$", 0);
        const rn_record *rec;
        assert_int_equal(rn_next(it, &rec), RN_ROW);
        tst_expect_field(rec->fields[rec->nfields - 1], want[i]);
        rn_free(it);
        it = rn_extract_new(
            rn_csv_new(rn_source_mem(texts[i], strlen(texts[i]), NULL), NULL),
            NULL, "^(?<w>\\w+)", 0);
        assert_int_equal(rn_next(it, &rec), RN_ROW);
        tst_expect_field(rec->fields[rec->nfields - 1], wantb[i]);
        rn_free(it);
    }
}

/* A ragged CSV widens the schema: the output follows and keeps matching the
 * field by name. */
static void test_schema_widens(void **state)
{
    (void)state;
    static const char text[] = "a,b\nx1,y1\nx2,y2,extra\nx3,y3\n";
    for (size_t chunk = 1; chunk <= sizeof text; chunk++) {
        rn_iter *it = rn_extract_new(
            rn_csv_new(tst_chunked_source(text, sizeof text - 1, chunk, NULL),
                       NULL),
            "b", "y(?<d>\\d)", 0);
        const rn_schema *first = rn_schema_of(it);
        assert_int_equal(rn_schema_count(first), 3);
        const rn_record *rec;
        unsigned n = 0;
        while (rn_next(it, &rec) == RN_ROW) {
            const rn_schema *s = rn_schema_of(it);
            assert_int_equal(rec->nfields, rn_schema_count(s));
            char want[4];
            snprintf(want, sizeof want, "%u", ++n);
            tst_expect_field(rec->fields[rn_schema_find(s, "d", 1)], want);
        }
        assert_int_equal(n, 3);
        static const char *const wide[] = {"a", "b", "_3", "d"};
        tst_expect_schema(it, wide, 4);
        assert_int_equal(rn_schema_count(first), 3);
        rn_free(it);
    }
}

/* ---- errors -------------------------------------------------------------- */


static void expect_error(rn_iter *it, int at_once, const char *msg)
{
    assert_non_null(it);
    assert_int_equal(rn_status(it), at_once ? RN_EINVAL : RN_OK);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_EINVAL);
    if (strcmp(rn_errmsg(it), msg) != 0)
        fail_msg("message '%s', want '%s'", rn_errmsg(it), msg);
    assert_int_equal(rn_next(it, &rec), RN_EINVAL);
    rn_free(it);
}

static void test_errors(void **state)
{
    (void)state;
    static const char log[] = "2024-03-01 12:00:00|ERROR|disk full\n";
    size_t len = sizeof log - 1;
    assert_null(rn_extract_new(NULL, NULL, "x", 0));
    expect_error(rn_extract_new(tst_open_lines(log, len, 3, NULL), NULL, NULL,
                                0),
                 1, "extract: no regex given");
    expect_error(rn_extract_new(tst_open_lines(log, len, 3, NULL), NULL, "a(b",
                                0),
                 1, "extract: bad regex at offset 3: missing closing "
                    "parenthesis: a(b");
    expect_error(rn_extract_new(tst_open_lines(log, len, 3, NULL), "mesage",
                                "x", 0),
                 1, "extract: no field 'mesage' (fields: line)");
    /* Known at construction for a named format... */
    expect_error(rn_extract_new(open_log(log, len, 3, "pipe", NULL), "mesage",
                                "x", 0),
                 1, "extract: no field 'mesage' (fields: timestamp, level, "
                    "message); did you mean 'message'?");
    /* ...at the first step when they are known only then. */
    expect_error(rn_extract_new(late(open_log(log, len, 3, NULL, NULL)),
                                "mesage", "x", 0),
                 0, "extract: no field 'mesage' (fields: timestamp, level, "
                    "message); did you mean 'message'?");
    expect_error(rn_extract_new(open_log(log, len, 3, "pipe", NULL), NULL,
                                "(?<level>\\w+)", 0),
                 1, "extract: group 'level' would hide field 'level'");
    expect_error(rn_extract_new(late(open_log(log, len, 3, NULL, NULL)), NULL,
                                "(?<x>.)(?<message>\\w+)", 0),
                 0, "extract: group 'message' would hide field 'message'");
    expect_error(rn_extract_new(tst_open_lines(log, len, 3, NULL), NULL,
                                "(?<line>\\w+)", 0),
                 1, "extract: group 'line' would hide field 'line'");
    /* An upstream that failed at construction: its error is adopted. */
    rn_iter *it = rn_extract_new(
        rn_lines_new(rn_source_file("/nonexistent/y", NULL), NULL), NULL, "x",
        0);
    assert_true(rn_status(it) < 0);
    assert_non_null(strstr(rn_errmsg(it), "/nonexistent/y"));
    rn_free(it);
}

/* ---- memory -------------------------------------------------------------- */

typedef struct alloc_input {
    const corpus *c;
    int keep;
} alloc_input;

static rn_iter *open_extract(void *ud, const rn_source_opts *so)
{
    const alloc_input *in = ud;
    return rn_extract_new(open_log(in->c->text, in->c->len, 5, NULL, so), NULL,
                          CODE_RE, in->keep);
}

static void test_failing_allocator(void **state)
{
    (void)state;
    corpus c = make_log(3, 40);
    for (int keep = 0; keep < 2; keep++) {
        alloc_input in = {&c, keep};
        tst_fail_each_alloc_text(open_extract, &in, 100000, NULL);
    }
    free_corpus(&c);
}

typedef struct gen {
    uint64_t left;
    uint64_t i;
} gen;

static ptrdiff_t gen_read(void *ud, void *buf, size_t cap)
{
    gen *g = ud;
    char *p = buf;
    size_t n = 0;
    while (g->left && n + 80 <= cap) {
        int k = snprintf(p + n, 80,
                         "2024-03-01 12:00:%02u|ERROR|Error code: %04u at "
                         "%010llu\n",
                         (unsigned)(g->i % 60), (unsigned)(g->i % 7 * 1000),
                         (unsigned long long)g->i);
        if (g->i % 3 == 0)
            p[n + 26] = 'e'; /* "error code": no match */
        g->i++;
        n += (size_t)k;
        g->left = g->left > (uint64_t)k ? g->left - (uint64_t)k : 0;
    }
    return (ptrdiff_t)n;
}

static size_t peak_for(uint64_t bytes, uint64_t *out)
{
    tst_alloc t = tst_alloc_init();
    rn_allocator a = tst_allocator(&t);
    rn_source_opts so = {0};
    so.allocator = &a;
    gen g = {bytes, 0};
    rn_log_opts lo = {0};
    lo.format = "pipe";
    rn_iter *it = rn_extract_new(
        rn_log_new(rn_lines_new(rn_source_callback(gen_read, NULL, &g, &so),
                                NULL),
                   &lo),
        NULL, CODE_RE, 0);
    rn_batch b;
    int rc;
    *out = 0;
    while ((rc = rn_next_batch(it, &b)) == RN_ROW)
        *out += b.n;
    assert_int_equal(rc, RN_DONE);
    rn_stats st;
    rn_stats_of(it, &st);
    assert_true(st.filtered > 0);
    rn_free(it);
    assert_int_equal(t.live, 0);
    return t.peak;
}

static void test_constant_memory(void **state)
{
    (void)state;
    uint64_t small_n, big_n;
    size_t small = peak_for(1u << 20, &small_n);
    size_t big = peak_for(20u << 20, &big_n);
    assert_true(big_n > 15 * small_n);
    assert_int_equal(small, big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_every_chunk_size),
        cmocka_unit_test(test_codes_many_batches),
        cmocka_unit_test(test_unnamed_groups),
        cmocka_unit_test(test_named_groups),
        cmocka_unit_test(test_group_order),
        cmocka_unit_test(test_default_field),
        cmocka_unit_test(test_schema_widens),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_failing_allocator),
        cmocka_unit_test(test_constant_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
