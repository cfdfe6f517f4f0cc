/*
 * test_appstage.c - stages and sources an application writes: the classic
 * generator pipeline (read lines -> parse pipe log lines -> keep errors ->
 * extract codes -> count) built only from application-written stages and
 * compared with the built-in chain on the same data, at every chunk size;
 * then each light form, combinator and source on its own, error propagation,
 * free_state called exactly once, and allocation failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"
#include "support_stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rn_schema *schema_of(const char *const *names, size_t n)
{
    rn_schema *s = rn_schema_new(names, n, NULL);
    assert_non_null(s);
    return s;
}

/* ---- the header's example, compiled as it is written there ------------- */

typedef struct nonempty {
    int co;            /* coroutine state, starts at 0 */
    rn_batch in;       /* upstream's batch, kept across yields */
    size_t i;          /* its next record */
    int rc;
} nonempty;

static int nonempty_step(void *state, rn_iter *self, rn_iter *up,
                         rn_batch *out)
{
    nonempty *st = state;
    (void)self;
    RN_CO_BEGIN(st->co);
    while ((st->rc = rn_next_batch(up, &st->in)) != RN_DONE) {
        if (st->rc == RN_AGAIN) {      /* a push source needs bytes */
            RN_CO_YIELD(st->co, RN_AGAIN);
            continue;                  /* resumed: ask up again */
        }
        if (st->rc < 0)
            return st->rc;             /* up's error, passed on */
        for (st->i = 0; st->i < st->in.n; st->i++) {
            if (st->in.recs[st->i].fields[0].len == 0)
                continue;
            out->recs = &st->in.recs[st->i];   /* borrowed from up */
            out->n = 1;
            RN_CO_YIELD(st->co, RN_ROW);
        }
    }
    RN_CO_END(st->co, RN_DONE);
}

static void test_header_example(void **state)
{
    (void)state;
    size_t chunks[310];
    size_t n = strlen(tst_small_lines);
    size_t nc = tst_chunk_sizes(n, chunks);
    for (size_t c = 0; c < nc; c++) {
        rn_iter *it = tst_open_lines(tst_small_lines, n, chunks[c], NULL);
        nonempty *st = calloc(1, sizeof *st);
        it = rn_iter_new(it, nonempty_step, free, st, NULL);
        assert_non_null(it);
        assert_string_equal(rn_kind(it), "app");
        char *text;
        size_t len;
        assert_int_equal(tst_drain(it, &text, &len), RN_DONE);
        const char want[] = "one\ntwo\nfour\nfive\nsix\nseven\n";
        assert_int_equal(len, strlen(want));
        assert_memory_equal(text, want, len);
        free(text);
        rn_free(it);
    }
}

/* ---- the classic generator pipeline -------------------------------------- */

static const char *const log_names[] = {"timestamp", "level", "message"};
static const char *const code_names[] = {"code"};
static const char *const count_names[] = {"code", "count"};

/* count lines of a pipe log: errors with codes (some CRLF, some lowercase
 * "error", some whose first "Error code: " has no digits), errors without a
 * code, other levels that mention codes, lines without pipes, empty lines. */
static char *make_log(size_t count, size_t *len)
{
    char *s = malloc(count * 96 + 1);
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        int code = 100 + (int)((i * 13) % 9);
        switch (i % 7) {
        case 0:
            n += (size_t)sprintf(s + n, "2024-01-01T00:00:%02zu|ERROR|Error "
                                 "code: %d failed%s\n", i % 60, code,
                                 i % 2 ? "\r" : "");
            break;
        case 1:
            n += (size_t)sprintf(s + n, "t%zu | error |Error code: x, then "
                                 "Error code: %d\n", i, code + 50);
            break;
        case 2:
            n += (size_t)sprintf(s + n, "t%zu|INFO|Error code: 999\n", i);
            break;
        case 3:
            n += (size_t)sprintf(s + n, "t%zu|ERROR|disk full\n", i);
            break;
        case 4:
            n += (size_t)sprintf(s + n, "garbage without pipes %zu\n", i);
            break;
        case 5:
            n += (size_t)sprintf(s + n, "\n");
            break;
        default:
            n += (size_t)sprintf(s + n, "t%zu|WARN|Error code: 7|x\n", i);
            break;
        }
    }
    *len = n;
    return s;
}

/* Source: the text split at '\n' by the application, one line at a time. */
typedef struct split_src {
    const char *p, *end;
    uint64_t line, offset;
    rn_field f;
    int again_every;  /* > 0: return RN_AGAIN before every n-th record */
    int calls;
    int *freed;       /* counts free_ud calls; may be NULL */
} split_src;

static int split_next(void *ud, rn_record *out)
{
    split_src *s = ud;
    if (s->again_every > 0 && ++s->calls % s->again_every == 0)
        return RN_AGAIN;
    if (s->p >= s->end)
        return RN_DONE;
    const char *nl = memchr(s->p, '\n', (size_t)(s->end - s->p));
    const char *e = nl ? nl : s->end;
    size_t n = (size_t)(e - s->p);
    if (n && s->p[n - 1] == '\r')
        n--;
    s->f.ptr = s->p;
    s->f.len = n;
    out->fields = &s->f;
    out->nfields = 1;
    out->line = ++s->line;
    out->offset = s->offset;
    out->raw = s->f;
    s->offset += (uint64_t)(e - s->p) + (nl ? 1 : 0);
    s->p = nl ? nl + 1 : s->end;
    return RN_ROW;
}

static void split_free(void *ud)
{
    split_src *s = ud;
    if (s->freed)
        (*s->freed)++;
    free(s);
}

static rn_iter *split_source(const rn_schema *line_schema, const char *text,
                             size_t len, int again_every)
{
    split_src *s = calloc(1, sizeof *s);
    s->p = text;
    s->end = text + len;
    s->again_every = again_every;
    return rn_callback_source_new(line_schema, split_next, s, split_free,
                                  NULL);
}

static rn_field trim(const char *a, const char *b)
{
    while (a < b && (*a == ' ' || *a == '\t'))
        a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
        b--;
    rn_field f = {a, (size_t)(b - a)};
    return f;
}

/* Generator: "ts|LEVEL|msg" into three fields; other lines are skipped. */
typedef struct parse_st {
    int co;
    int rc;
    rn_batch in;
    size_t i;
    rn_field f[3];
    rn_record rec;
} parse_st;

static int parse_step(void *state, rn_iter *self, rn_iter *up, rn_batch *out)
{
    parse_st *st = state;
    (void)self;
    RN_CO_BEGIN(st->co);
    while ((st->rc = rn_next_batch(up, &st->in)) != RN_DONE) {
        if (st->rc == RN_AGAIN) {
            RN_CO_YIELD(st->co, RN_AGAIN);
            continue;
        }
        if (st->rc < 0)
            return st->rc;
        for (st->i = 0; st->i < st->in.n; st->i++) {
            const rn_record *r = &st->in.recs[st->i];
            if (r->nfields < 1)
                continue;
            const char *p = r->fields[0].ptr, *e = p + r->fields[0].len;
            const char *a = r->fields[0].len ? memchr(p, '|', (size_t)(e - p))
                                             : NULL;
            const char *b = a ? memchr(a + 1, '|', (size_t)(e - a - 1)) : NULL;
            if (!b)
                continue;
            st->f[0] = trim(p, a);
            st->f[1] = trim(a + 1, b);
            st->f[2] = trim(b + 1, e);
            st->rec.fields = st->f;
            st->rec.nfields = 3;
            st->rec.line = r->line;
            st->rec.offset = r->offset;
            st->rec.raw = r->raw;
            out->recs = &st->rec;
            out->n = 1;
            RN_CO_YIELD(st->co, RN_ROW);
        }
    }
    RN_CO_END(st->co, RN_DONE);
}

static int ieq(rn_field f, const char *s)
{
    size_t n = strlen(s);
    if (f.len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = f.ptr[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c != s[i])
            return 0;
    }
    return 1;
}

/* level == ERROR, ignoring case as the built-in filter does for "level". */
static int keep_errors(void *ud, const rn_schema *s, const rn_record *r)
{
    (void)ud;
    ptrdiff_t i = rn_schema_find(s, "level", 5);
    return i >= 0 && (size_t)i < r->nfields && ieq(r->fields[i], "ERROR");
}

/* The digits after the first "Error code: " that has some, copied to the
 * stack (emit copies them). */
static int extract_code(void *ud, const rn_schema *s, const rn_record *r,
                        rn_emit_fn emit, void *ctx)
{
    (void)ud;
    static const char key[] = "Error code: ";
    const size_t klen = sizeof key - 1;
    ptrdiff_t i = rn_schema_find(s, "message", 7);
    if (i < 0 || (size_t)i >= r->nfields)
        return RN_OK;
    rn_field m = r->fields[i];
    for (size_t at = 0; at + klen <= m.len; at++) {
        if (memcmp(m.ptr + at, key, klen) != 0)
            continue;
        size_t d = at + klen, e = d;
        while (e < m.len && m.ptr[e] >= '0' && m.ptr[e] <= '9')
            e++;
        if (e == d || e - d >= 32)
            continue;
        char buf[32];
        memcpy(buf, m.ptr + d, e - d);
        rn_field f = {buf, e - d};
        return emit(ctx, &f, 1);
    }
    return RN_OK;
}

/* Counting stage: a table of codes, yielded at the end in first-seen order. */
#define MAX_CODES 64
typedef struct count_st {
    int co;
    int rc;
    rn_batch in;
    size_t ng;
    char code[MAX_CODES][32];
    uint64_t n[MAX_CODES];
    char text[MAX_CODES][24];
    rn_field f[MAX_CODES][2];
    rn_record rec[MAX_CODES];
} count_st;

static int count_step(void *state, rn_iter *self, rn_iter *up, rn_batch *out)
{
    count_st *st = state;
    RN_CO_BEGIN(st->co);
    while ((st->rc = rn_next_batch(up, &st->in)) != RN_DONE) {
        if (st->rc == RN_AGAIN) {
            RN_CO_YIELD(st->co, RN_AGAIN);
            continue;
        }
        if (st->rc < 0)
            return st->rc;
        for (size_t k = 0; k < st->in.n; k++) {
            rn_field c = st->in.recs[k].fields[0];
            size_t g = 0;
            while (g < st->ng && !rn_field_eq(c, st->code[g]))
                g++;
            if (g == st->ng) {
                if (g == MAX_CODES || c.len >= sizeof st->code[0])
                    return rn_fail(self, RN_ETOOBIG,
                                   "count: line %llu: more than %d codes",
                                   (unsigned long long)st->in.recs[k].line,
                                   MAX_CODES);
                memcpy(st->code[g], c.ptr, c.len);
                st->code[g][c.len] = 0;
                st->ng++;
            }
            st->n[g]++;
        }
    }
    for (size_t g = 0; g < st->ng; g++) {
        int len = snprintf(st->text[g], sizeof st->text[g], "%llu",
                           (unsigned long long)st->n[g]);
        st->f[g][0].ptr = st->code[g];
        st->f[g][0].len = strlen(st->code[g]);
        st->f[g][1].ptr = st->text[g];
        st->f[g][1].len = (size_t)len;
        st->rec[g].fields = st->f[g];
        st->rec[g].nfields = 2;
        st->rec[g].line = g + 1;
    }
    if (st->ng > 0) {
        out->recs = st->rec;
        out->n = st->ng;
        RN_CO_YIELD(st->co, RN_ROW);
    }
    RN_CO_END(st->co, RN_DONE);
}

typedef struct schemas {
    rn_schema *line, *log, *code, *count;
} schemas;

static schemas schemas_new(void)
{
    static const char *const line_names[] = {"line"};
    schemas s = {schema_of(line_names, 1), schema_of(log_names, 3),
                 schema_of(code_names, 1), schema_of(count_names, 2)};
    return s;
}

static void schemas_free(schemas *s)
{
    rn_schema_free(s->line, NULL);
    rn_schema_free(s->log, NULL);
    rn_schema_free(s->code, NULL);
    rn_schema_free(s->count, NULL);
}

/* The application's pipeline over any line iterator. */
static rn_iter *app_pipeline(rn_iter *lines, const schemas *s)
{
    rn_iter *it = rn_iter_new(lines, parse_step, free,
                              calloc(1, sizeof(parse_st)), s->log);
    it = rn_filter_fn_new(it, keep_errors, NULL);
    it = rn_flatmap_new(it, s->code, extract_code, NULL);
    return rn_iter_new(it, count_step, free, calloc(1, sizeof(count_st)),
                       s->count);
}

static rn_iter *builtin_pipeline(rn_source *src)
{
    static const char *const keys[] = {"code"};
    rn_log_opts lo = {0};
    lo.format = "pipe";
    rn_iter *it = rn_log_new(rn_lines_new(src, NULL), &lo);
    it = rn_filter_new(it, "level == ERROR");
    it = rn_extract_new(it, "message", "Error code: (?<code>\\d+)", 0);
    return rn_count_by_new(it, keys, 1, NULL);
}

typedef struct pair {
    char *code, *count;
} pair;

static int pair_cmp(const void *a, const void *b)
{
    return strcmp(((const pair *)a)->code, ((const pair *)b)->code);
}

/* (code, count) rows of it, by name, sorted by code; returns how many. */
static size_t table_of(rn_iter *it, pair **out)
{
    const rn_schema *sc = rn_schema_of(it);
    ptrdiff_t ci = rn_schema_find(sc, "code", 4);
    ptrdiff_t ni = rn_schema_find(sc, "count", 5);
    assert_true(ci >= 0 && ni >= 0);
    tst_rows rows;
    assert_int_equal(tst_collect(it, &rows), RN_DONE);
    pair *p = calloc(rows.n + 1, sizeof *p);
    for (size_t i = 0; i < rows.n; i++) {
        p[i].code = tst_dup_bytes(rows.r[i].f[ci], rows.r[i].len[ci]);
        p[i].count = tst_dup_bytes(rows.r[i].f[ni], rows.r[i].len[ni]);
    }
    size_t n = rows.n;
    tst_rows_free(&rows);
    qsort(p, n, sizeof *p, pair_cmp);
    *out = p;
    return n;
}

static void pairs_free(pair *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].code);
        free(p[i].count);
    }
    free(p);
}

static void expect_same_table(rn_iter *app, rn_iter *ref, size_t want_groups)
{
    pair *a, *b;
    size_t na = table_of(app, &a), nb = table_of(ref, &b);
    assert_int_equal(na, nb);
    if (want_groups)
        assert_int_equal(na, want_groups);
    for (size_t i = 0; i < na; i++) {
        assert_string_equal(a[i].code, b[i].code);
        assert_string_equal(a[i].count, b[i].count);
    }
    pairs_free(a, na);
    pairs_free(b, nb);
}

static void test_classic_pipeline_app_source(void **state)
{
    (void)state;
    schemas s = schemas_new();
    size_t len;
    char *text = make_log(5000, &len);
    int agains[] = {0, 3};
    for (size_t k = 0; k < 2; k++) {
        rn_iter *app = app_pipeline(split_source(s.line, text, len,
                                                 agains[k]), &s);
        tst_expect_schema(app, count_names, 2);
        if (agains[k]) {
            /* RN_AGAIN from the source passes up through every stage; the
             * caller comes back and the result is the same. */
            tst_rows rows;
            memset(&rows, 0, sizeof rows);
            const rn_record *rec;
            int rc, nagain = 0;
            while ((rc = rn_next(app, &rec)) != RN_DONE) {
                if (rc == RN_AGAIN) {
                    nagain++;
                    continue;
                }
                assert_int_equal(rc, RN_ROW);
                tst_rows_add(&rows, rec);
            }
            assert_true(nagain > 1000);
            assert_int_equal(rows.n, 18);
            tst_rows_free(&rows);
            rn_free(app);
            continue;
        }
        rn_iter *ref = builtin_pipeline(rn_source_mem(text, len, NULL));
        /* Codes 100..108 from ERROR lines and 150..158 from "error" lines. */
        expect_same_table(app, ref, 18);
        rn_free(app);
        rn_free(ref);
    }
    free(text);
    schemas_free(&s);
}

static void test_classic_pipeline_every_chunk_size(void **state)
{
    (void)state;
    schemas s = schemas_new();
    size_t len;
    char *text = make_log(16, &len);
    size_t chunks[310];
    size_t nc = tst_chunk_sizes(len, chunks);
    for (size_t c = 0; c < nc; c++) {
        rn_iter *app = app_pipeline(tst_open_lines(text, len, chunks[c], NULL),
                                    &s);
        rn_iter *ref = builtin_pipeline(
            tst_chunked_source(text, len, chunks[c], NULL));
        expect_same_table(app, ref, 0);
        rn_free(app);
        rn_free(ref);
    }
    free(text);
    schemas_free(&s);
}

typedef struct app_ud {
    const char *text;
    size_t len;
    schemas s;
} app_ud;

static rn_iter *open_app_pipeline(void *ud, const rn_source_opts *so)
{
    app_ud *u = ud;
    return app_pipeline(rn_lines_new(rn_source_mem(u->text, u->len, so),
                                     NULL), &u->s);
}

static void test_classic_pipeline_each_alloc_fails(void **state)
{
    (void)state;
    app_ud u;
    char *text = make_log(3000, &u.len);
    u.text = text;
    u.s = schemas_new();
    tst_fail_each_alloc_count(open_app_pipeline, &u, 200, 18, true);
    schemas_free(&u.s);
    free(text);
}

/* ---- rn_iter_new: errors, rn_fail, free_state ---------------------------- */

typedef struct probe {
    int co;
    int calls;         /* step calls */
    int *freed;        /* free_state calls, counted by the test */
    int mode;          /* what the step does; see probe_step */
    rn_field f;
    rn_record r[3];
} probe;

static void probe_free(void *state)
{
    probe *p = state;
    (*p->freed)++;
    free(p);
}

enum {
    P_COUNT,          /* a source: yields "0", "1", "2" then RN_DONE */
    P_PLAIN_ERROR,    /* returns RN_EPARSE without a message */
    P_FAIL,           /* rn_fail(RN_EPARSE, "...") */
    P_FAIL_WITH_ROWS, /* rn_fail and RN_ROW with two records */
    P_EMPTY_ROW,      /* RN_ROW with out->n == 0 */
    P_BAD_CODE,       /* returns 7 */
    P_PASS,           /* passes up's batches through, errors included */
    P_FAIL_THEN_DONE  /* rn_fail, then returns RN_DONE anyway */
};

static int probe_step(void *state, rn_iter *self, rn_iter *up, rn_batch *out)
{
    probe *p = state;
    static const char digits[] = "012";
    p->calls++;
    switch (p->mode) {
    case P_COUNT:
        if (p->calls > 3)
            return RN_DONE;
        p->f.ptr = digits + p->calls - 1;
        p->f.len = 1;
        p->r[0].fields = &p->f;
        p->r[0].nfields = 1;
        p->r[0].line = (uint64_t)p->calls;
        out->recs = p->r;
        out->n = 1;
        return RN_ROW;
    case P_PLAIN_ERROR:
        return RN_EPARSE;
    case P_FAIL:
        return rn_fail(self, RN_EPARSE, "probe: line %d: no '|'", 7);
    case P_FAIL_WITH_ROWS:
        p->f.ptr = "x";
        p->f.len = 1;
        p->r[0].fields = p->r[1].fields = &p->f;
        p->r[0].nfields = p->r[1].nfields = 1;
        rn_fail(self, RN_ERANGE, "probe: too large");
        out->recs = p->r;
        out->n = 2;
        return RN_ROW;
    case P_EMPTY_ROW:
        out->recs = p->r;
        out->n = 0;
        return RN_ROW;
    case P_BAD_CODE:
        return 7;
    case P_PASS:
        return rn_next_batch(up, out);
    default:
        rn_fail(self, RN_EIO, "probe: gone");
        return RN_DONE;
    }
}

static const char *const n_names[] = {"n"};

static rn_iter *probe_new(rn_iter *up, int mode, int *freed,
                          const rn_schema *s)
{
    probe *p = calloc(1, sizeof *p);
    p->mode = mode;
    p->freed = freed;
    return rn_iter_new(up, probe_step, probe_free, p, s);
}

static rn_iter *probe_source(int mode, int *freed, const rn_schema *s)
{
    probe *p = calloc(1, sizeof *p);
    p->mode = mode;
    p->freed = freed;
    return rn_step_source_new(s, probe_step, probe_free, p, NULL);
}

static void test_iter_new_source(void **state)
{
    (void)state;
    rn_schema *s = schema_of(n_names, 1);
    int freed = 0;
    rn_iter *it = probe_source(P_COUNT, &freed, s);
    assert_int_equal(rn_status(it), RN_OK);
    assert_ptr_equal(rn_schema_of(it), s);
    assert_null(rn_upstream(it));
    char *text;
    size_t len;
    assert_int_equal(tst_drain(it, &text, &len), RN_DONE);
    assert_int_equal(len, 6);
    assert_memory_equal(text, "0\n1\n2\n", 6);
    free(text);
    /* After RN_DONE the step is not called again. */
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_DONE);
    assert_int_equal(rn_next(it, &rec), RN_DONE);
    rn_stats st;
    rn_stats_of(it, &st);
    assert_int_equal(st.records_out, 3);
    assert_int_equal(freed, 0);
    rn_free(it);
    assert_int_equal(freed, 1);
    rn_schema_free(s, NULL);
}

static void expect_error(int mode, int code, const char *msg)
{
    rn_schema *s = schema_of(n_names, 1);
    int freed = 0;
    rn_iter *it = probe_source(mode, &freed, s);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), code);
    assert_string_equal(rn_errmsg(it), msg);
    assert_int_equal(rn_status(it), code);
    /* Sticky: the step is not called again. */
    rn_batch b;
    assert_int_equal(rn_next_batch(it, &b), code);
    assert_int_equal(rn_next(it, &rec), code);
    rn_free(it);
    assert_int_equal(freed, 1);
    rn_schema_free(s, NULL);
}

static void test_iter_new_errors(void **state)
{
    (void)state;
    expect_error(P_PLAIN_ERROR, RN_EPARSE, "app: malformed input");
    expect_error(P_FAIL, RN_EPARSE, "probe: line 7: no '|'");
    expect_error(P_EMPTY_ROW, RN_EMISUSE,
                 "app: step returned RN_ROW with no records");
    expect_error(P_BAD_CODE, RN_EMISUSE,
                 "app: step returned 7, not a status it may return");
    expect_error(P_FAIL_THEN_DONE, RN_EIO, "probe: gone");
}

/* Counts the step calls of an erroring stage: exactly one. */
static void test_iter_new_error_is_sticky(void **state)
{
    (void)state;
    rn_schema *s = schema_of(n_names, 1);
    int freed = 0;
    probe *p = calloc(1, sizeof *p);
    p->mode = P_FAIL;
    p->freed = &freed;
    rn_iter *it = rn_step_source_new(s, probe_step, probe_free, p, NULL);
    const rn_record *rec;
    for (int i = 0; i < 5; i++)
        assert_int_equal(rn_next(it, &rec), RN_EPARSE);
    assert_int_equal(p->calls, 1);
    rn_free(it);
    assert_int_equal(freed, 1);
    rn_schema_free(s, NULL);
}

static void test_fail_with_records_in_hand(void **state)
{
    (void)state;
    rn_schema *s = schema_of(n_names, 1);
    int freed = 0;
    rn_iter *it = probe_source(P_FAIL_WITH_ROWS, &freed, s);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    tst_expect_field(rec->fields[0], "x");
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_int_equal(rn_next(it, &rec), RN_ERANGE);
    assert_string_equal(rn_errmsg(it), "probe: too large");
    rn_free(it);
    assert_int_equal(freed, 1);
    rn_schema_free(s, NULL);
}

/* An upstream error returned by the step keeps upstream's message. */
static int failing_next(void *ud, rn_record *out)
{
    int *n = ud;
    static const rn_field f = {"a", 1};
    if ((*n)++ < 2) {
        out->fields = &f;
        out->nfields = 1;
        return RN_ROW;
    }
    return RN_EIO;
}

static void test_upstream_error_passes_on(void **state)
{
    (void)state;
    rn_schema *s = schema_of(n_names, 1);
    int n = 0, freed = 0;
    rn_iter *it = rn_callback_source_new(s, failing_next, &n, NULL, NULL);
    it = probe_new(it, P_PASS, &freed, NULL);
    assert_ptr_equal(rn_schema_of(it), s); /* NULL schema: up's */
    tst_rows rows;
    assert_int_equal(tst_collect(it, &rows), RN_EIO);
    assert_int_equal(rows.n, 2);
    assert_string_equal(rn_errmsg(it),
                        "callback: after record 2: input/output error");
    tst_rows_free(&rows);
    rn_free(it);
    assert_int_equal(freed, 1);
    rn_schema_free(s, NULL);
}

static void test_iter_new_bad_arguments(void **state)
{
    (void)state;
    int freed = 0;
    /* A source without a schema. */
    rn_iter *it = probe_source(P_COUNT, &freed, NULL);
    assert_non_null(it);
    assert_int_equal(rn_status(it), RN_EINVAL);
    assert_string_equal(rn_errmsg(it), "app: a source needs a schema");
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_EINVAL);
    rn_free(it);
    assert_int_equal(freed, 1);
    /* No step function: the state is still owned and freed. */
    rn_schema *s = schema_of(n_names, 1);
    probe *p = calloc(1, sizeof *p);
    p->freed = &freed;
    it = rn_step_source_new(s, NULL, probe_free, p, NULL);
    assert_int_equal(rn_status(it), RN_EINVAL);
    assert_string_equal(rn_errmsg(it), "app: no step function given");
    rn_free(it);
    assert_int_equal(freed, 2);
    /* A NULL upstream is an upstream constructor out of memory, not a
     * source: NULL, and the state is freed. */
    assert_null(probe_new(NULL, P_PASS, &freed, s));
    assert_int_equal(freed, 3);
    /* An upstream in error: the new stage starts in that error. */
    it = rn_array_source_new(NULL, NULL, 0, NULL);
    assert_int_equal(rn_status(it), RN_EINVAL);
    it = probe_new(it, P_PASS, &freed, NULL);
    assert_int_equal(rn_status(it), RN_EINVAL);
    assert_string_equal(rn_errmsg(it), "array: no schema given");
    rn_free(it);
    assert_int_equal(freed, 4);
    /* rn_fail on an iterator that rn_iter_new did not make changes nothing. */
    static const rn_record one = {NULL, 0, 1, 0, {NULL, 0}};
    it = rn_array_source_new(s, &one, 1, NULL);
    assert_int_equal(rn_fail(it, RN_EIO, "no"), RN_EMISUSE);
    assert_int_equal(rn_status(it), RN_OK);
    assert_int_equal(rn_fail(NULL, RN_EIO, "no"), RN_EMISUSE);
    rn_free(it);
    rn_schema_free(s, NULL);
}

/* free_state is called exactly once when the constructor's allocation
 * fails, and nothing leaks. */
static void test_free_state_on_constructor_failure(void **state)
{
    (void)state;
    rn_schema *s = schema_of(n_names, 1);
    static const rn_record one = {NULL, 0, 1, 0, {NULL, 0}};
    for (long fail = 0; fail < 3; fail++) {
        tst_alloc t = tst_alloc_init();
        t.fail_at = fail;
        rn_allocator a = tst_allocator(&t);
        int freed = 0;
        rn_iter *up = rn_array_source_new(s, &one, 1, &a);
        rn_iter *it = probe_new(up, P_PASS, &freed, NULL);
        if (fail <= 1) {
            assert_null(it);
            assert_int_equal(freed, 1);
        } else {
            assert_non_null(it);
            assert_int_equal(freed, 0);
            rn_free(it);
            assert_int_equal(freed, 1);
        }
        assert_int_equal(t.live, 0);
        assert_int_equal(t.nlive, 0);

        /* A step source likewise (one allocation). */
        t = tst_alloc_init();
        t.fail_at = fail;
        a = tst_allocator(&t);
        freed = 0;
        probe *p = calloc(1, sizeof *p);
        p->freed = &freed;
        it = rn_step_source_new(s, probe_step, probe_free, p, &a);
        assert_int_equal(freed, it ? 0 : 1);
        assert_true(fail > 0 || !it);
        rn_free(it);
        assert_int_equal(freed, 1);
        assert_int_equal(t.live, 0);

        /* The callback source's free_ud likewise. */
        t = tst_alloc_init();
        t.fail_at = fail;
        a = tst_allocator(&t);
        int freed_ud = 0;
        split_src *sp = calloc(1, sizeof *sp);
        sp->freed = &freed_ud;
        it = rn_callback_source_new(s, split_next, sp, split_free, &a);
        assert_int_equal(freed_ud, it ? 0 : 1);
        rn_free(it);
        assert_int_equal(freed_ud, 1);
        assert_int_equal(t.live, 0);
    }
    rn_schema_free(s, NULL);
}

/* ---- light forms ---------------------------------------------------------- */

static int keep_odd(void *ud, const rn_schema *s, const rn_record *r)
{
    int *fail_line = ud;
    (void)s;
    if (fail_line && r->line == (uint64_t)*fail_line)
        return RN_EPARSE;
    return (r->line % 2) == 1;
}

static void test_filter_fn(void **state)
{
    (void)state;
    size_t n;
    char *text = tst_make_lines(3000, &n);
    size_t chunks[] = {1, 7, 4096, n + 1};
    for (size_t c = 0; c < 4; c++) {
        rn_iter *it = rn_filter_fn_new(tst_open_lines(text, n, chunks[c], NULL),
                                       keep_odd, NULL);
        assert_string_equal(rn_kind(it), "filter_fn");
        tst_rows rows;
        assert_int_equal(tst_collect(it, &rows), RN_DONE);
        assert_int_equal(rows.n, 1500);
        for (size_t i = 0; i < rows.n; i++)
            assert_int_equal(rows.r[i].line, 2 * i + 1);
        rn_stats st;
        rn_stats_of(it, &st);
        assert_int_equal(st.records_in, 3000);
        assert_int_equal(st.filtered, 1500);
        assert_int_equal(st.records_out, 1500);
        tst_rows_free(&rows);
        rn_free(it);
    }
    /* An error: the records kept before it are yielded, then the error. */
    int fail_line = 2501;
    rn_iter *it = rn_filter_fn_new(tst_open_lines(text, n, 4096, NULL),
                                   keep_odd, &fail_line);
    tst_rows rows;
    assert_int_equal(tst_collect(it, &rows), RN_EPARSE);
    assert_int_equal(rows.n, 1250);
    assert_string_equal(rn_errmsg(it),
                        "filter_fn: <callback>: line 2501: malformed input");
    tst_rows_free(&rows);
    rn_free(it);
    /* No callback. */
    it = rn_filter_fn_new(tst_open_lines(text, n, 4096, NULL), NULL, NULL);
    assert_int_equal(rn_status(it), RN_EINVAL);
    rn_free(it);
    assert_null(rn_filter_fn_new(NULL, keep_odd, NULL));
    free(text);
}

/* Upper-cases the line into the callback's own buffer (reused each call)
 * and puts its length in a second field; the third stays empty. */
typedef struct upper {
    char buf[64];
    char len[24];
    uint64_t fail_line;
} upper;

static int map_upper(void *ud, const rn_schema *in, const rn_record *r,
                     rn_field *out, size_t nout)
{
    upper *u = ud;
    (void)in;
    assert_int_equal(nout, 3);
    assert_int_equal(out[2].len, 0);
    if (r->line == u->fail_line)
        return RN_ERANGE;
    rn_field f = r->fields[0];
    size_t n = f.len < sizeof u->buf ? f.len : sizeof u->buf;
    for (size_t i = 0; i < n; i++)
        u->buf[i] = (char)(f.ptr[i] >= 'a' && f.ptr[i] <= 'z'
                               ? f.ptr[i] - 'a' + 'A' : f.ptr[i]);
    out[0].ptr = u->buf;
    out[0].len = n;
    out[1].ptr = u->len;
    out[1].len = (size_t)snprintf(u->len, sizeof u->len, "%zu", f.len);
    return RN_OK;
}

static void test_map(void **state)
{
    (void)state;
    static const char *const names[] = {"upper", "len", "empty"};
    rn_schema *s = schema_of(names, 3);
    upper u;
    memset(&u, 0, sizeof u);
    rn_iter *it = rn_map_new(tst_open_lines(tst_small_lines,
                                            strlen(tst_small_lines), 3, NULL),
                             s, map_upper, &u);
    assert_ptr_equal(rn_schema_of(it), s);
    char *text;
    size_t len;
    assert_int_equal(tst_drain(it, &text, &len), RN_DONE);
    const char want[] = "ONE\t3\t\nTWO\t3\t\n\t0\t\nFOUR\t4\t\nFIVE\t4\t\n"
                        "SIX\t3\t\nSEVEN\t5\t\n";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(text, want, len);
    free(text);
    rn_free(it);
    /* Batches hold one record, so the callback's buffer can be reused. */
    it = rn_map_new(tst_open_lines(tst_small_lines, strlen(tst_small_lines),
                                   100, NULL), s, map_upper, &u);
    rn_batch b;
    assert_int_equal(rn_next_batch(it, &b), RN_ROW);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.recs[0].line, 1);
    assert_null(b.recs[0].raw.ptr);
    rn_free(it);
    /* An error names the stage and line. */
    u.fail_line = 4;
    it = rn_map_new(tst_open_lines(tst_small_lines, strlen(tst_small_lines),
                                   100, NULL), s, map_upper, &u);
    tst_rows rows;
    assert_int_equal(tst_collect(it, &rows), RN_ERANGE);
    assert_int_equal(rows.n, 3);
    assert_string_equal(rn_errmsg(it),
                        "map: <callback>: line 4: number out of range");
    tst_rows_free(&rows);
    rn_free(it);
    it = rn_map_new(tst_open_lines("a", 1, 1, NULL), NULL, map_upper, &u);
    assert_int_equal(rn_status(it), RN_EINVAL);
    rn_free(it);
    rn_schema_free(s, NULL);
}

/* Emits one record per space-separated word, each with its index, built in
 * stack buffers; mode 1 emits two fields into a one-field schema. */
typedef struct words_ud {
    int mode;
    uint64_t ignore_error_line; /* returns RN_OK though emit failed */
} words_ud;

static int each_word(void *ud, const rn_schema *in, const rn_record *r,
                     rn_emit_fn emit, void *ctx)
{
    words_ud *w = ud;
    (void)in;
    rn_field f = r->fields[0];
    size_t i = 0, k = 0;
    while (i < f.len) {
        while (i < f.len && f.ptr[i] == ' ')
            i++;
        size_t s = i;
        while (i < f.len && f.ptr[i] != ' ')
            i++;
        if (i == s)
            break;
        char word[64], idx[24];
        size_t n = i - s < sizeof word ? i - s : sizeof word;
        memcpy(word, f.ptr + s, n);
        rn_field out[2] = {{word, n}, {idx, 0}};
        out[1].len = (size_t)snprintf(idx, sizeof idx, "%zu", k++);
        int rc = emit(ctx, out, w->mode == 1 ? 3 : 2);
        if (rc != RN_OK && r->line != w->ignore_error_line)
            return rc;
    }
    return RN_OK;
}

static void test_flatmap(void **state)
{
    (void)state;
    static const char *const names[] = {"word", "i"};
    rn_schema *s = schema_of(names, 2);
    words_ud w = {0, 0};
    /* A line of 3000 words spans batches; empty lines emit nothing. */
    size_t big = 3000 * 6;
    char *text = malloc(big + 64);
    size_t n = (size_t)sprintf(text, "a b\n\nc\n");
    for (size_t i = 0; i < 3000; i++)
        n += (size_t)sprintf(text + n, "w%04zu ", i);
    n += (size_t)sprintf(text + n, "\nz\n");
    size_t chunks[] = {1, 5, 4096, n + 1};
    for (size_t c = 0; c < 4; c++) {
        rn_iter *it = rn_flatmap_new(tst_open_lines(text, n, chunks[c], NULL),
                                     s, each_word, &w);
        assert_string_equal(rn_kind(it), "flatmap");
        tst_rows rows;
        assert_int_equal(tst_collect(it, &rows), RN_DONE);
        assert_int_equal(rows.n, 3 + 3000 + 1);
        assert_string_equal(rows.r[0].f[0], "a");
        assert_string_equal(rows.r[1].f[0], "b");
        assert_string_equal(rows.r[1].f[1], "1");
        assert_string_equal(rows.r[2].f[0], "c");
        assert_int_equal(rows.r[2].line, 3);
        for (size_t i = 0; i < 3000; i++) {
            char want[16];
            sprintf(want, "w%04zu", i);
            assert_string_equal(rows.r[3 + i].f[0], want);
            assert_int_equal(rows.r[3 + i].line, 4);
        }
        assert_string_equal(rows.r[3003].f[0], "z");
        rn_stats st;
        rn_stats_of(it, &st);
        assert_int_equal(st.records_in, 5);
        assert_int_equal(st.records_out, 3004);
        tst_rows_free(&rows);
        rn_free(it);
    }
    /* The whole batch is valid at once: check a batch by rn_next_batch. */
    rn_iter *it = rn_flatmap_new(tst_open_lines(text, n, n + 1, NULL), s,
                                 each_word, &w);
    rn_batch b;
    size_t total = 0;
    int rc;
    while ((rc = rn_next_batch(it, &b)) == RN_ROW) {
        for (size_t k = 0; k < b.n; k++) {
            assert_int_equal(b.recs[k].nfields, 2);
            if (total + k >= 3 && total + k < 3003) {
                char want[16];
                sprintf(want, "w%04zu", total + k - 3);
                tst_expect_field(b.recs[k].fields[0], want);
            }
        }
        total += b.n;
    }
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(total, 3004);
    rn_free(it);
    /* Too many fields: RN_EINVAL, after the records of the inputs before. */
    static const char *const one[] = {"word"};
    rn_schema *s1 = schema_of(one, 1);
    w.mode = 1;
    it = rn_flatmap_new(tst_open_lines("a\nb c\n", 6, 6, NULL), s1,
                        each_word, &w);
    tst_rows rows;
    assert_int_equal(tst_collect(it, &rows), RN_EINVAL);
    assert_int_equal(rows.n, 0);
    assert_non_null(strstr(rn_errmsg(it), "flatmap: <callback>: line 1: "
                                          "RN_EINVAL: emit was given more"));
    tst_rows_free(&rows);
    rn_free(it);
    /* A callback that drops emit's error still fails the stage. */
    w.ignore_error_line = 1;
    it = rn_flatmap_new(tst_open_lines("a\nb c\n", 6, 6, NULL), s1,
                        each_word, &w);
    assert_int_equal(tst_collect(it, &rows), RN_EINVAL);
    tst_rows_free(&rows);
    rn_free(it);
    it = rn_flatmap_new(tst_open_lines("a", 1, 1, NULL), s, NULL, NULL);
    assert_int_equal(rn_status(it), RN_EINVAL);
    rn_free(it);
    rn_schema_free(s1, NULL);
    rn_schema_free(s, NULL);
    free(text);
}

static rn_schema *word_schema;

static rn_iter *open_flatmap(void *ud, const rn_source_opts *so)
{
    static words_ud w = {0, 0};
    const char *text = ud;
    return rn_flatmap_new(rn_lines_new(rn_source_mem(text, strlen(text), so),
                                       NULL), word_schema, each_word, &w);
}

static void test_flatmap_each_alloc_fails(void **state)
{
    (void)state;
    static const char *const names[] = {"word", "i"};
    word_schema = schema_of(names, 2);
    size_t n;
    char *text = tst_make_lines(3000, &n);
    tst_fail_each_alloc_text(open_flatmap, text, 200, "flatmap");
    free(text);
    rn_schema_free(word_schema, NULL);
}

/* ---- combinators and sources ---------------------------------------------- */

static void test_take(void **state)
{
    (void)state;
    size_t n = strlen(tst_small_lines);
    rn_iter *it = rn_take_new(tst_open_lines(tst_small_lines, n, 2, NULL), 3);
    char *text;
    size_t len;
    assert_int_equal(tst_drain(it, &text, &len), RN_DONE);
    assert_int_equal(len, 9);
    assert_memory_equal(text, "one\ntwo\n\n", 9);
    free(text);
    rn_free(it);
    assert_null(rn_take_new(NULL, 1));
}

static void test_array_source(void **state)
{
    (void)state;
    rn_schema *s = schema_of(n_names, 1);
    size_t count = 2500;
    rn_record *recs = calloc(count, sizeof *recs);
    rn_field *f = calloc(count, sizeof *f);
    char (*text)[8] = calloc(count, sizeof *text);
    for (size_t i = 0; i < count; i++) {
        f[i].ptr = text[i];
        f[i].len = (size_t)sprintf(text[i], "%zu", i);
        recs[i].fields = &f[i];
        recs[i].nfields = 1;
        recs[i].line = i + 1;
    }
    tst_alloc t = tst_alloc_init();
    rn_allocator a = tst_allocator(&t);
    rn_iter *it = rn_array_source_new(s, recs, count, &a);
    assert_string_equal(rn_kind(it), "array");
    rn_batch b;
    size_t seen = 0, batches = 0;
    int rc;
    while ((rc = rn_next_batch(it, &b)) == RN_ROW) {
        assert_ptr_equal(b.recs, recs + seen); /* the application's own */
        seen += b.n;
        batches++;
    }
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(seen, count);
    assert_true(batches >= 3);
    rn_free(it);
    assert_int_equal(t.live, 0);
    /* Empty, and bad arguments. */
    it = rn_array_source_new(s, NULL, 0, NULL);
    assert_int_equal(rn_next_batch(it, &b), RN_DONE);
    rn_free(it);
    it = rn_array_source_new(s, NULL, 3, NULL);
    assert_int_equal(rn_status(it), RN_EINVAL);
    rn_free(it);
    free(recs);
    free(f);
    free(text);
    rn_schema_free(s, NULL);
}

static void test_callback_source(void **state)
{
    (void)state;
    static const char *const line_names[] = {"line"};
    rn_schema *s = schema_of(line_names, 1);
    int freed = 0;
    split_src *sp = calloc(1, sizeof *sp);
    const char text[] = "a\r\nbb\n\nccc";
    sp->p = text;
    sp->end = text + sizeof text - 1;
    sp->freed = &freed;
    rn_iter *it = rn_callback_source_new(s, split_next, sp, split_free, NULL);
    assert_string_equal(rn_kind(it), "callback");
    tst_rows rows;
    assert_int_equal(tst_collect(it, &rows), RN_DONE);
    assert_int_equal(rows.n, 4);
    assert_string_equal(rows.r[0].f[0], "a");
    assert_string_equal(rows.r[3].f[0], "ccc");
    assert_int_equal(rows.r[3].line, 4);
    assert_int_equal(rows.r[3].offset, 7);
    tst_rows_free(&rows);
    assert_int_equal(freed, 0);
    rn_free(it);
    assert_int_equal(freed, 1);
    it = rn_callback_source_new(s, NULL, NULL, NULL, NULL);
    assert_int_equal(rn_status(it), RN_EINVAL);
    rn_free(it);
    rn_schema_free(s, NULL);
}

static rn_iter *array_of(const rn_schema *s, const rn_record *r, size_t n,
                         tst_alloc *t, rn_allocator *a)
{
    *a = tst_allocator(t);
    return rn_array_source_new(s, r, n, a);
}

static void test_chain_of(void **state)
{
    (void)state;
    rn_schema *s = schema_of(n_names, 1);
    static const rn_field f[3] = {{"x", 1}, {"y", 1}, {"z", 1}};
    rn_record r[3];
    memset(r, 0, sizeof r);
    for (int i = 0; i < 3; i++) {
        r[i].fields = &f[i];
        r[i].nfields = 1;
    }
    tst_alloc t = tst_alloc_init();
    rn_allocator a;
    rn_iter *its[3] = {array_of(s, r, 1, &t, &a), array_of(s, r + 1, 2, &t, &a),
                       array_of(s, r, 0, &t, &a)};
    rn_iter *it = rn_chain_of(its, 3);
    assert_non_null(it);
    tst_expect_schema(it, n_names, 1);
    assert_string_equal(rn_kind(it), "chain-of");
    char *text;
    size_t len;
    assert_int_equal(tst_drain(it, &text, &len), RN_DONE);
    assert_int_equal(len, 6);
    assert_memory_equal(text, "x\ny\nz\n", 6);
    free(text);
    rn_free(it);
    assert_int_equal(t.live, 0);
    /* Freed after one record: the inputs not reached are freed too. */
    for (int i = 0; i < 3; i++)
        its[i] = array_of(s, r, 3, &t, &a);
    it = rn_chain_of(its, 3);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    rn_free(it);
    assert_int_equal(t.live, 0);
    assert_int_equal(t.nlive, 0);
    /* A NULL input: NULL, and the others are freed. */
    its[0] = array_of(s, r, 1, &t, &a);
    its[1] = NULL;
    its[2] = array_of(s, r, 1, &t, &a);
    assert_null(rn_chain_of(its, 3));
    assert_int_equal(t.live, 0);
    /* An input in error ends the chain with its error. */
    its[0] = array_of(s, r, 1, &t, &a);
    its[1] = rn_array_source_new(NULL, NULL, 0, &a);
    it = rn_chain_of(its, 2);
    tst_rows rows;
    assert_int_equal(tst_collect(it, &rows), RN_EINVAL);
    assert_int_equal(rows.n, 1);
    assert_string_equal(rn_errmsg(it), "array: no schema given");
    tst_rows_free(&rows);
    rn_free(it);
    assert_int_equal(t.live, 0);
    /* None: an empty stream. */
    it = rn_chain_of(NULL, 0);
    assert_int_equal(rn_next(it, &rec), RN_DONE);
    rn_free(it);
    /* Each allocation failing in turn: NULL, nothing leaked. */
    for (long fail = 3; fail < 12; fail++) {
        t = tst_alloc_init();
        for (int i = 0; i < 3; i++)
            its[i] = array_of(s, r, 3, &t, &a);
        t.fail_at = fail;
        it = rn_chain_of(its, 3);
        if (it) {
            int rc = tst_collect(it, &rows);
            if (rc == RN_DONE)
                assert_int_equal(rows.n, 9);
            else
                assert_int_equal(rc, RN_ENOMEM);
            tst_rows_free(&rows);
            rn_free(it);
        } else {
            assert_true(t.failed);
        }
        assert_int_equal(t.live, 0);
    }
    rn_schema_free(s, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_example),
        cmocka_unit_test(test_classic_pipeline_app_source),
        cmocka_unit_test(test_classic_pipeline_every_chunk_size),
        cmocka_unit_test(test_classic_pipeline_each_alloc_fails),
        cmocka_unit_test(test_iter_new_source),
        cmocka_unit_test(test_iter_new_errors),
        cmocka_unit_test(test_iter_new_error_is_sticky),
        cmocka_unit_test(test_fail_with_records_in_hand),
        cmocka_unit_test(test_upstream_error_passes_on),
        cmocka_unit_test(test_iter_new_bad_arguments),
        cmocka_unit_test(test_free_state_on_constructor_failure),
        cmocka_unit_test(test_filter_fn),
        cmocka_unit_test(test_map),
        cmocka_unit_test(test_flatmap),
        cmocka_unit_test(test_flatmap_each_alloc_fails),
        cmocka_unit_test(test_take),
        cmocka_unit_test(test_array_source),
        cmocka_unit_test(test_callback_source),
        cmocka_unit_test(test_chain_of),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
