/*
 * test_pipeline.c - chains built from text (rn_pipeline_parse and friends):
 * the word splitting, chains over an application's input (memory and push)
 * checked against the same chains built with constructors, where errors
 * point (word and byte offset), who owns the input, and a failing
 * allocator at every allocation of a parse. The command-line side (the
 * same messages as `runnel`) is tests/cli/test_pipeline.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char CSV[] = "k,amount,note\n"
                          "a,1,x\n"
                          "b,5,\"y, z\"\n"
                          "a,7,\n"
                          "c,2.5,w\n"
                          "b,x,bad\n";

static const char LOG[] = "2024-03-01 12:00:00.001|INFO|started\n"
                          "2024-03-01 12:00:01.002|ERROR|Error code: 500\n"
                          "2024-03-01 12:00:02.003|WARN|slow: 900 ms\n"
                          "2024-03-01 12:00:03.004|ERROR|Error code: 503\n"
                          "not a log line\n"
                          "2024-03-01 12:00:04.005|error|Error code: 500\n";

/* Options whose input is a memory source over text. */
static rn_pipeline_opts over(const char *text)
{
    rn_pipeline_opts o;
    memset(&o, 0, sizeof o);
    o.input = rn_source_mem(text, strlen(text), NULL);
    return o;
}

/* Drains it into a string (fields joined by tabs), frees it, and returns
 * the text, which the caller frees; *rc the final status. */
static char *drain(rn_iter *it, int *rc)
{
    char *out;
    size_t len;
    assert_non_null(it);
    *rc = tst_drain(it, &out, &len);
    out = realloc(out, len + 1);
    out[len] = '\0';
    rn_free(it);
    return out;
}

static void assert_same(rn_iter *from_text, rn_iter *built)
{
    int rc1, rc2;
    char *a = drain(from_text, &rc1);
    char *b = drain(built, &rc2);
    assert_int_equal(rc1, RN_DONE);
    assert_int_equal(rc2, RN_DONE);
    assert_string_equal(a, b);
    assert_true(strlen(a) > 0);
    free(a);
    free(b);
}

/* The error a parse of text gives, over an empty input (taken over and
 * freed by the failed call) and no files. */
static rn_pipeline_err parse_err(const char *text)
{
    rn_pipeline_err err;
    rn_pipeline_opts o = over("");
    o.no_files = 1;
    rn_iter *it = rn_pipeline_parse(text, &o, &err);
    assert_null(it);
    return err;
}

/* ---- words --------------------------------------------------------------- */

static void test_words(void **state)
{
    (void)state;
    /* Unknown names come back in the message: the word as it was split. */
    rn_pipeline_err e = parse_err("'a b'\"c\\\"d\\\\\"e\\ f");
    assert_int_equal(e.code, RN_EINVAL);
    assert_string_equal(e.msg, "unknown source 'a bc\"d\\e f' (see runnel "
                               "--help)");
    assert_int_equal(e.word, 0);
    assert_int_equal(e.offset, 0);

    /* Blanks of every kind separate; the offset is the word's first byte. */
    e = parse_err(" \tlines\n then\r\v\f 'x y'z ");
    assert_string_equal(e.msg, "unknown verb 'x yz' (see runnel --help)");
    assert_int_equal(e.word, 2);
    assert_int_equal(e.offset, 17);

    /* In '...' a backslash is a backslash; in "..." others stay too. */
    e = parse_err("'a\\b' ");
    assert_string_equal(e.msg, "unknown source 'a\\b' (see runnel --help)");
    e = parse_err("\"a\\b\\'\"");
    assert_string_equal(e.msg, "unknown source 'a\\b\\'' (see runnel --help)");

    /* A backslash-newline is nothing, outside quotes and in "...". */
    e = parse_err("lines \\\n then \\\na\\\nb\"c\\\nd\"'e\\\nf'");
    assert_string_equal(e.msg, "unknown verb 'abcde\\\nf' (see runnel --help)");
    assert_int_equal(e.word, 2);
    assert_int_equal(e.offset, 16);

    /* Empty quotes make an empty word; nothing else is special. */
    e = parse_err("''");
    assert_string_equal(e.msg, "unknown source '' (see runnel --help)");
    e = parse_err("lines then $HOME;|&#~*");
    assert_string_equal(e.msg, "unknown verb '$HOME;|&#~*' (see runnel "
                               "--help)");
    assert_int_equal(e.offset, 11);

    /* Unclosed quotes: the word they open, at the quote's offset. */
    e = parse_err("lines then filter 'amount > 1");
    assert_int_equal(e.code, RN_EINVAL);
    assert_int_equal(e.word, 3);
    assert_int_equal(e.offset, 18);
    assert_string_equal(e.msg, "unclosed ' quote at byte 18");
    e = parse_err("lines then grep ab\"c\\\"");
    assert_int_equal(e.word, 3);
    assert_int_equal(e.offset, 18);
    assert_string_equal(e.msg, "unclosed \" quote at byte 18");
    e = parse_err("lines x\\");
    assert_int_equal(e.word, 1);
    assert_int_equal(e.offset, 7);

    /* No words at all; a quoted then still separates. */
    e = parse_err(" \n ");
    assert_int_equal(e.code, RN_EINVAL);
    assert_int_equal(e.word, -1);
    rn_pipeline_opts o = over("a\nb\nc\n");
    rn_iter *it = rn_pipeline_parse("lines 'then' count", &o, NULL);
    int rc;
    char *out = drain(it, &rc);
    assert_int_equal(rc, RN_DONE);
    assert_string_equal(out, "3\n");
    free(out);
}

/* ---- chains over the application's input ---------------------------------- */

static void test_lines(void **state)
{
    (void)state;
    rn_pipeline_opts o = over(LOG);
    rn_pipeline_err err;
    rn_iter *a = rn_pipeline_parse("lines then grep -i -e error then skip 1 "
                                   "then select line", &o, &err);
    assert_non_null(a);
    assert_int_equal(err.code, RN_OK);
    assert_int_equal(err.word, -1);
    assert_string_equal(err.msg, "");

    const char *const pats[] = {"error"};
    rn_grep_opts g = {0};
    g.patterns = pats;
    g.npatterns = 1;
    g.ignore_case = 1;
    const char *const line[] = {"line"};
    rn_iter *b = rn_lines_new(rn_source_mem(LOG, strlen(LOG), NULL), NULL);
    b = rn_select_new(rn_skip_new(rn_grep_new(b, &g), 1), line, 1);
    assert_same(a, b);
}

static void test_csv(void **state)
{
    (void)state;
    rn_pipeline_opts o = over(CSV);
    rn_iter *a = rn_pipeline_parse(
        "csv then filter amount '>' 1 then groupby k count sum:amount "
        "then sort -nr count then rename sum_amount=total", &o, NULL);

    const char *const keys[] = {"k"}, *const aggs[] = {"count", "sum:amount"};
    const char *const by[] = {"count"};
    const char *const old[] = {"sum_amount"}, *const nw[] = {"total"};
    rn_iter *b = rn_csv_new(rn_source_mem(CSV, strlen(CSV), NULL), NULL);
    b = rn_filter_new(b, "amount > 1");
    b = rn_groupby_new(b, keys, 1, aggs, 2, NULL);
    b = rn_sort_new(b, by, 1, 1, 1, 0);
    b = rn_rename_new(b, old, nw, 1);
    assert_same(a, b);

    /* tsv and the csv options. */
    const char *tsv = "1\t2\n3\t4\n";
    o = over(tsv);
    a = rn_pipeline_parse("tsv --no-header then select 2 then uniq 2 --max-keys 9",
                          &o, NULL);
    rn_csv_opts co = {0};
    co.delimiter = '\t';
    co.no_header = 1;
    const char *const two[] = {"2"};
    b = rn_csv_new(rn_source_mem(tsv, strlen(tsv), NULL), &co);
    b = rn_uniq_new(rn_select_new(b, two, 1), two, 1, 9);
    assert_same(a, b);

    o = over("a;b\n'x;y';2\n");
    a = rn_pipeline_parse("csv -d ';' --quote=\"'\" then top 1 b then count",
                          &o, NULL);
    int rc;
    char *out = drain(a, &rc);
    assert_int_equal(rc, RN_DONE);
    assert_string_equal(out, "1\n");
    free(out);
}

static void test_log(void **state)
{
    (void)state;
    rn_pipeline_opts o = over(LOG);
    rn_iter *a = rn_pipeline_parse(
        "log then filter level == error then extract message "
        "'code: (?<code>\\d+)' then count-by code", &o, NULL);
    assert_non_null(a);
    assert_string_equal(rn_kind(a), "count-by");

    const char *const code[] = {"code"};
    rn_iter *b = rn_lines_new(rn_source_mem(LOG, strlen(LOG), NULL), NULL);
    b = rn_log_new(b, NULL);
    b = rn_filter_new(b, "level == error");
    b = rn_extract_new(b, "message", "code: (?<code>\\d+)", 0);
    b = rn_count_by_new(b, code, 1, NULL);
    assert_same(a, b);

    o = over(LOG);
    a = rn_pipeline_parse("log --format pipe then tail 1 then sample 1 "
                          "--seed 3 then head 1", &o, NULL);
    int rc;
    char *out = drain(a, &rc);
    assert_int_equal(rc, RN_DONE);
    assert_string_equal(out, "2024-03-01 12:00:04.005\terror\tError code: "
                             "500\n");
    free(out);
}

static void count_reject(void *ud, const char *source, uint64_t line,
                         uint64_t offset, const char *reason, const char *raw,
                         size_t rawlen)
{
    (void)source, (void)line, (void)offset, (void)reason, (void)raw;
    (void)rawlen;
    (*(size_t *)ud)++;
}

static void test_rejects(void **state)
{
    (void)state;
    size_t n = 0;
    rn_pipeline_opts o = over(LOG);
    o.on_reject = count_reject;
    o.reject_ud = &n;
    rn_iter *it = rn_pipeline_parse("log then count", &o, NULL);
    int rc;
    char *out = drain(it, &rc);
    assert_string_equal(out, "5\n");
    assert_int_equal(n, 1);
    free(out);
    /* csv --strict: a ragged row is a reject with a callback. */
    n = 0;
    o = over("a,b\n1,2\n3\n4,5\n");
    o.on_reject = count_reject;
    o.reject_ud = &n;
    it = rn_pipeline_parse("csv --strict then count", &o, NULL);
    out = drain(it, &rc);
    assert_int_equal(rc, RN_DONE);
    assert_string_equal(out, "2\n");
    assert_int_equal(n, 1);
    free(out);
}

/* A push source as the input: bytes arrive in pieces, the chain says
 * RN_AGAIN in between, and the fields are learnt at the first steps. */
static void test_push(void **state)
{
    (void)state;
    rn_pipeline_opts o;
    memset(&o, 0, sizeof o);
    rn_source *push = rn_source_push(NULL);
    o.input = push;
    rn_pipeline_err err;
    rn_iter *it = rn_pipeline_parse("csv - then filter amount '>=' 2 then "
                                    "select note,k", &o, &err);
    assert_non_null(it);
    char got[256] = "";
    size_t len = 0;
    for (size_t pos = 0, step = 7;; pos += step) {
        const rn_record *r;
        int rc;
        while ((rc = rn_next(it, &r)) == RN_ROW)
            len += (size_t)snprintf(got + len, sizeof got - len, "%.*s|%.*s\n",
                                    (int)r->fields[0].len, r->fields[0].ptr,
                                    (int)r->fields[1].len, r->fields[1].ptr);
        if (rc == RN_DONE)
            break;
        assert_int_equal(rc, RN_AGAIN);
        if (pos >= strlen(CSV)) {
            assert_int_equal(rn_feed_end(push), RN_OK);
            continue;
        }
        size_t n = strlen(CSV) - pos < step ? strlen(CSV) - pos : step;
        assert_int_equal(rn_feed(push, CSV + pos, n), RN_OK);
    }
    assert_string_equal(got, "y, z|b\n|a\nw|c\nbad|b\n");
    rn_free(it);

    /* A field that is not there fails at the first step that knows. */
    push = rn_source_push(NULL);
    o.input = push;
    it = rn_pipeline_parse("csv then select nope", &o, &err);
    assert_non_null(it);
    assert_int_equal(rn_feed(push, CSV, strlen(CSV)), RN_OK);
    assert_int_equal(rn_feed_end(push), RN_OK);
    const rn_record *r;
    assert_int_equal(rn_next(it, &r), RN_EINVAL);
    assert_non_null(strstr(rn_errmsg(it), "no field 'nope'"));
    rn_free(it);
}

/* ---- errors ---------------------------------------------------------------- */

static void test_error_words(void **state)
{
    (void)state;
    rn_pipeline_err err;
    rn_pipeline_opts o = over(CSV);
    /* A verb's argument is charged to its word... */
    assert_null(rn_pipeline_parse("csv then head 1 then head ten", &o, &err));
    assert_int_equal(err.code, RN_EINVAL);
    assert_int_equal(err.word, 6);
    assert_int_equal(err.offset, 26);
    assert_string_equal(err.msg, "head: the count must be a whole number, "
                                 "got 'ten'");
    /* ...a field the stage does not find, to the verb. */
    o = over(CSV);
    assert_null(rn_pipeline_parse("csv  then  groupby k sum:amout", &o, &err));
    assert_int_equal(err.word, 2);
    assert_int_equal(err.offset, 11);
    assert_string_equal(err.msg, "groupby: no field 'amout' (fields: k, "
                                 "amount, note); did you mean 'amount'?");
    /* The argv form: words, no offsets. */
    const char *const argv[] = {"csv", "then", "select", "k,,note"};
    o = over(CSV);
    assert_null(rn_pipeline_parse_argv(4, argv, &o, &err));
    assert_int_equal(err.word, 3);
    assert_int_equal(err.offset, 0);
    assert_string_equal(err.msg, "select: empty field name in 'k,,note'");
    /* A then at the end, a verb first, a source later. */
    rn_pipeline_err e = parse_err("lines then");
    assert_int_equal(e.word, 1);
    assert_string_equal(e.msg, "'then' must be followed by a verb");
    e = parse_err("head 3");
    assert_string_equal(e.msg, "'head' is a verb: start with a source such "
                               "as 'lines' (see runnel --help)");
    e = parse_err("lines then log");
    assert_int_equal(e.word, 2);
    assert_string_equal(e.msg, "'log' is a source and can only come first");
    e = parse_err("log --format 'regex:(?<a>x'");
    assert_int_equal(e.word, 2);
    assert_non_null(strstr(e.msg, "offset"));
    e = parse_err("lines --max-line-bytes=1Q");
    assert_int_equal(e.word, 1);
    assert_string_equal(e.msg, "--max-line-bytes: '1Q' is not a size (try "
                               "65536, 64K or 1M)");
    /* NULL text, no words. */
    assert_null(rn_pipeline_parse(NULL, NULL, &err));
    assert_int_equal(err.code, RN_EINVAL);
    assert_null(rn_pipeline_parse_argv(0, NULL, NULL, &err));
    assert_int_equal(err.code, RN_EINVAL);
    /* err may be NULL. */
    assert_null(rn_pipeline_parse("bogus", NULL, NULL));
}

/* The input is the chain's from the call on: freed with it, at once when
 * the chain does not read it, or when the call fails. */
static void test_input_ownership(void **state)
{
    (void)state;
    tst_alloc t = tst_alloc_init();
    rn_allocator a = tst_allocator(&t);
    rn_source_opts so = {0};
    so.allocator = &a;
    rn_pipeline_opts o;
    memset(&o, 0, sizeof o);
    rn_pipeline_err err;

    o.input = rn_source_mem(CSV, strlen(CSV), &so);
    o.no_files = 1;
    assert_null(rn_pipeline_parse("csv data.csv", &o, &err));
    assert_int_equal(err.word, 1);
    assert_string_equal(err.msg, "cannot open 'data.csv': this chain reads "
                                 "only its input ('-'), not files");
    assert_int_equal(t.nlive, 0);

    o.input = rn_source_mem(CSV, strlen(CSV), &so);
    assert_null(rn_pipeline_parse("csv - -", &o, &err));
    assert_int_equal(err.word, 2);
    assert_int_equal(t.nlive, 0);

    /* A file named, no "-": the input is freed at once. */
    char *path = tst_write_temp("p\nq\n", 4);
    char text[4200];
    snprintf(text, sizeof text, "lines '%s' then count", path);
    o.no_files = 0;
    o.input = rn_source_mem(CSV, strlen(CSV), &so);
    rn_iter *it = rn_pipeline_parse(text, &o, &err);
    assert_non_null(it);
    assert_int_equal(t.nlive, 0);
    int rc;
    char *out = drain(it, &rc);
    assert_string_equal(out, "2\n");
    free(out);

    /* The file, then the input where "-" stands. */
    snprintf(text, sizeof text, "lines '%s' - then count", path);
    o.input = rn_source_mem("r\n", 2, &so);
    it = rn_pipeline_parse(text, &o, &err);
    assert_true(t.nlive > 0);
    out = drain(it, &rc);
    assert_string_equal(out, "3\n");
    free(out);
    assert_int_equal(t.nlive, 0);

    /* Freed before it was reached. */
    o.input = rn_source_mem("r\n", 2, &so);
    it = rn_pipeline_parse(text, &o, &err);
    assert_non_null(it);
    rn_free(it);
    assert_int_equal(t.nlive, 0);
    unlink(path);
    free(path);
}

/* ---- appending verbs ------------------------------------------------------- */

static void test_append(void **state)
{
    (void)state;
    rn_iter *base = rn_lines_new(rn_source_mem(LOG, strlen(LOG), NULL), NULL);
    rn_pipeline_err err;
    rn_iter *a = rn_pipeline_append(rn_log_new(base, NULL),
                                    "then filter level == ERROR then count",
                                    &err);
    assert_non_null(a);
    assert_int_equal(err.code, RN_OK);
    int rc;
    char *out = drain(a, &rc);
    assert_string_equal(out, "3\n");
    free(out);

    /* Any iterator, no leading then; empty text: up as it is. */
    const char *const names[] = {"v"};
    rn_schema *s = rn_schema_new(names, 1, NULL);
    rn_field f[3] = {{"3", 1}, {"1", 1}, {"2", 1}};
    rn_record r[3] = {{&f[0], 1, 1, 0, {NULL, 0}}, {&f[1], 1, 2, 0, {NULL, 0}},
                      {&f[2], 1, 3, 0, {NULL, 0}}};
    rn_iter *up = rn_array_source_new(s, r, 3, NULL);
    assert_ptr_equal(rn_pipeline_append(up, "  ", &err), up);
    a = rn_pipeline_append(up, "sort -n v then head 2", &err);
    out = drain(a, &rc);
    assert_string_equal(out, "1\n2\n");
    free(out);

    /* Errors free up; word 0 is the text's first. */
    up = rn_array_source_new(s, r, 3, NULL);
    assert_null(rn_pipeline_append(up, "then", &err));
    assert_int_equal(err.word, 0);
    assert_string_equal(err.msg, "'then' must be followed by a verb");
    up = rn_array_source_new(s, r, 3, NULL);
    assert_null(rn_pipeline_append(up, "head 1 then csv", &err));
    assert_int_equal(err.word, 3);
    assert_int_equal(err.offset, 12);
    up = rn_array_source_new(s, r, 3, NULL);
    const char *const words[] = {"select", "w"};
    assert_null(rn_pipeline_append_argv(up, 2, words, &err));
    assert_int_equal(err.word, 0);
    assert_string_equal(err.msg, "select: no field 'w' (fields: v)");
    assert_null(rn_pipeline_append(NULL, "head 1", &err));
    assert_int_equal(err.code, RN_ENOMEM);
    rn_schema_free(s, NULL);
}

static void test_names(void **state)
{
    (void)state;
    int is_source = -1;
    assert_string_equal(rn_pipeline_name(0, &is_source), "lines");
    assert_int_equal(is_source, 1);
    size_t n = 0, sources = 0;
    bool top = false;
    const char *name;
    while ((name = rn_pipeline_name(n, &is_source))) {
        sources += is_source == 1;
        top = top || strcmp(name, "top") == 0;
        n++;
    }
    assert_int_equal(sources, 4);
    assert_int_equal(n, 20);
    assert_true(top);
    assert_null(rn_pipeline_name(n, &is_source));
    assert_int_equal(is_source, 0);
    assert_null(rn_pipeline_name((size_t)-1, NULL));
}

/* The how-to of runnel.h's section, with sales.csv a temporary file. */
static void test_howto(void **state)
{
    (void)state;
    const char *sales = "category,amount\nbooks,3\ntoys,-1\nbooks,4\n";
    char *path = tst_write_temp(sales, strlen(sales));
    char text[4200];
    snprintf(text, sizeof text, "csv %s then filter 'amount > 0' "
             "then groupby category sum:amount", path);
    char printed[64] = "";
    size_t k = 0;

    /* --- the example, with the file name and printing replaced --- */
    rn_pipeline_opts o = {0};
    rn_pipeline_err err;
    rn_iter *it = rn_pipeline_parse(text, &o, &err);
    if (!it) {
        fprintf(stderr, "runnel: %s\n", err.msg);
        fail();
    }
    const rn_record *rec;
    while (rn_next(it, &rec) == RN_ROW)
        k += (size_t)snprintf(printed + k, sizeof printed - k, "%.*s=%.*s\n",
                              (int)rec->fields[0].len, rec->fields[0].ptr,
                              (int)rec->fields[1].len, rec->fields[1].ptr);
    rn_free(it);
    /* --- end of the example --- */

    assert_string_equal(printed, "books=7\n");
    unlink(path);
    free(path);
}

/* ---- a failing allocator ---------------------------------------------------- */

/* Parses text over input (NULL: none) with allocation fail_at = 0, 1, ...
 * failing until a run completes: each attempt gives NULL with RN_ENOMEM, or
 * a chain that runs to RN_DONE or stops with RN_ENOMEM; nothing leaks. */
static void fail_each(const char *text, const char *input, const char *want)
{
    bool completed = false;
    long fail;
    for (fail = 0; !completed && fail < 5000; fail++) {
        tst_alloc t = tst_alloc_init();
        t.fail_at = fail;
        rn_allocator a = tst_allocator(&t);
        rn_pipeline_opts o;
        memset(&o, 0, sizeof o);
        o.source.allocator = &a;
        o.source.block_size = 16;
        if (input) {
            o.input = rn_source_mem(input, strlen(input), &o.source);
            if (!o.input) {
                assert_true(t.failed);
                continue;
            }
        }
        rn_pipeline_err err;
        rn_iter *it = rn_pipeline_parse(text, &o, &err);
        if (!it) {
            assert_true(t.failed);
            assert_int_equal(err.code, RN_ENOMEM);
            assert_string_equal(err.msg, "out of memory");
        } else {
            assert_int_equal(err.code, RN_OK);
            int rc;
            char *out = drain(it, &rc);
            if (rc == RN_DONE) {
                assert_string_equal(out, want);
                completed = !t.failed;
            } else {
                assert_int_equal(rc, RN_ENOMEM);
                assert_true(t.failed);
            }
            free(out);
        }
        assert_int_equal(t.live, 0);
        assert_int_equal(t.nlive, 0);
    }
    assert_true(completed);
    assert_true(fail > 5); /* the parse allocates: each step was failed */
}

static void test_failing_allocator(void **state)
{
    (void)state;
    fail_each("lines then grep -e 'code: 5' then head 1 then select line",
              LOG, "2024-03-01 12:00:01.002|ERROR|Error code: 500\n");
    fail_each("log then filter level == ERROR then extract "
              "'code: (?<code>\\d+)' then count-by code", LOG, "500\t2\n503\t1\n");
    fail_each("csv - then groupby k count sum:amount then sort -n count "
              "then rename count=n", CSV, "c\t1\t2.5\na\t2\t8\nb\t2\t5\n");

    char *p1 = tst_write_temp("a,b\n1,2\n", 8);
    char *p2 = tst_write_temp("b,c\n3,4\n", 8);
    char text[8400];
    snprintf(text, sizeof text, "csv --union %s %s then uniq then tail 5",
             p1, p2);
    fail_each(text, NULL, "1\t2\t\n\t3\t4\n");
    snprintf(text, sizeof text, "lines %s %s then count", p1, p2);
    fail_each(text, NULL, "4\n");
    unlink(p1);
    unlink(p2);
    free(p1);
    free(p2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_log),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_push),
        cmocka_unit_test(test_error_words),
        cmocka_unit_test(test_input_ownership),
        cmocka_unit_test(test_append),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_howto),
        cmocka_unit_test(test_failing_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
