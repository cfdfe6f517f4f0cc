/*
 * test_pushdown.c - grep's literals pushed into the line reader: the same
 * records and line numbers as a naive reference at every chunk size, lines
 * spanning blocks included, and proof that lines were skipped rather than
 * cut out (the reader counts them as filtered), with and without case (-i).
 * Cases that must not push down (-v, no literal) still give the right
 * answer; with context (-B, -A), the output with pushdown is that of grep
 * seeing every line, at every chunk size. Then filter's literals, pushed through a log reader: the
 * same records as with pushdown refused (a reject callback refuses it), for
 * equalities with and without case, in-lists, contains, and and or, and
 * none pushed where a number or an operand without a literal forbids it.
 * Last, max_line_bytes holds for the lines pushdown skips as for the rest.
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

/* Lines of varying length, some holding "code: 503" or "code: 42", some
 * long enough to span many small blocks, a last line without '\n'. */
static char *make_text(size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    char *s = malloc(cap);
    unsigned seed = 99;
    for (int i = 0; i < 2000; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = (seed >> 16) % 100;
        size_t pad = r < 3 ? 700 : (seed >> 8) % 40;
        for (size_t k = 0; k < pad; k++)
            s[n++] = (char)('a' + (k + (size_t)i) % 26);
        if (r < 20)
            n += (size_t)sprintf(s + n, " Error code: 503 x");
        else if (r < 25)
            n += (size_t)sprintf(s + n, " Error code: 42");
        else if (r < 27)
            n += (size_t)sprintf(s + n, " Error code: 5"); /* a prefix only */
        s[n++] = r == 50 ? '\r' : 'z';
        s[n++] = '\n';
    }
    n += (size_t)sprintf(s + n, "last Error code: 503");
    *len = n;
    return s;
}

/* The reference: line numbers of lines matching any of the substrings. */
static size_t reference(const char *s, size_t n, const char *const *subs,
                        size_t nsubs, uint64_t *lines)
{
    size_t k = 0, line = 1, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '\n')
            continue;
        if (i == n && start == n)
            break;
        size_t len = i - start;
        char *l = strndup(s + start, len);
        for (size_t j = 0; j < nsubs; j++)
            if (strstr(l, subs[j])) {
                lines[k++] = line;
                break;
            }
        free(l);
        line++;
        start = i + 1;
    }
    return k;
}

static void run(const char *s, size_t n, size_t chunk, const char *const *pats,
                size_t npats, const char *const *subs, size_t nsubs,
                int ignore_case, size_t before, bool expect_push)
{
    uint64_t *want = malloc(3000 * sizeof *want);
    size_t nwant = reference(s, n, subs, nsubs, want);
    rn_grep_opts o = {0};
    o.patterns = pats;
    o.npatterns = npats;
    o.ignore_case = ignore_case;
    o.before = before;
    rn_iter *lines = rn_lines_new(tst_chunked_source(s, n, chunk, NULL), NULL);
    rn_iter *it = rn_grep_new(lines, &o);
    assert_int_equal(rn_status(it), RN_OK);
    const rn_record *rec;
    size_t k = 0;
    int rc;
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        if (before) {
            if (rec->nfields == 0)
                continue; /* separator */
            if (rec->fields[rec->nfields - 1].len != 5) /* "match" only */
                continue;
        }
        assert_true(k < nwant);
        assert_int_equal(rec->line, want[k]);
        k++;
    }
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(k, nwant);
    rn_stats st;
    rn_stats_of(rn_upstream(it), &st);
    if (expect_push) {
        assert_true(st.filtered > 0);
        assert_int_equal(st.records_in, st.records_out + st.filtered);
    } else {
        assert_int_equal(st.filtered, 0);
    }
    rn_free(it);
    free(want);
}

static void test_pushdown_every_chunk_size(void **state)
{
    (void)state;
    size_t n;
    char *s = make_text(&n);
    const char *pats[] = {"Error code: 503", "code: 4[0-9]"};
    const char *subs[] = {"Error code: 503", "code: 4"};
    const char *ci[] = {"error CODE: 503"};
    size_t chunks[] = {1, 2, 3, 5, 8, 13, 64, 100, 701, 4096, 65536, 1u << 20};
    for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
        run(s, n, chunks[i], pats, 1, subs, 1, 0, 0, true);
        run(s, n, chunks[i], pats, 2, subs, 2, 0, 0, true);
        /* -i: the literal is searched ignoring ASCII case. */
        run(s, n, chunks[i], ci, 1, subs, 1, 1, 0, true);
    }
    free(s);
}

static void test_no_pushdown_when_it_would_be_wrong(void **state)
{
    (void)state;
    size_t n;
    char *s = make_text(&n);
    /* No literal at all. */
    const char *alt[] = {"503|code: 42"};
    const char *altsubs[] = {"503", "code: 42"};
    run(s, n, 4096, alt, 1, altsubs, 2, 0, 0, false);
    /* -v keeps the lines without the literal. */
    const char *exact[] = {"Error code: 503"};
    rn_grep_opts o = {0};
    o.patterns = exact;
    o.npatterns = 1;
    o.invert = 1;
    rn_iter *it = rn_grep_new(rn_lines_new(rn_source_mem(s, n, NULL), NULL),
                              &o);
    const rn_record *rec;
    size_t k = 0;
    while (rn_next(it, &rec) == RN_ROW) {
        assert_null(memmem(rec->raw.ptr, rec->raw.len, exact[0],
                           strlen(exact[0])));
        k++;
    }
    assert_int_equal(rn_status(it), RN_DONE);
    assert_true(k > 1000);
    rn_stats st;
    rn_stats_of(rn_upstream(it), &st);
    assert_int_equal(st.filtered, 0);
    rn_free(it);
    free(s);
}

/* ---- filter through a log reader ----------------------------------------- */

/* A pipe log: levels in every case, trimmed or not, words that merely start
 * with ERROR, "error" in messages, numbers as messages, lines that are no log
 * line (rejected without pushdown, skipped with it), long lines, no final
 * newline. */
static char *make_log(size_t *len)
{
    static const char *const levels[] = {"ERROR", "error", "Error", " ERROR ",
                                         "ERRORS", "INFO", "WARN", "warn",
                                         "DEBUG", "INFO", "INFO", "INFO"};
    static const char *const msgs[] = {"disk full", "an error occurred",
                                       "503", "503.0", "0503", "ok",
                                       "Error code: 42", "nothing"};
    size_t cap = 1 << 20, n = 0;
    char *s = malloc(cap);
    uint64_t seed = 5;
    for (int i = 0; i < 3000; i++) {
        uint64_t r = tst_rnd(&seed);
        if (r % 41 == 0) {
            n += (size_t)sprintf(s + n, "not a log line %d\n", i);
            continue;
        }
        if (r % 43 == 0) {
            s[n++] = '\n';
            continue;
        }
        n += (size_t)sprintf(s + n, "2024-03-01 12:%02d:%02d|%s|%s", i / 60 % 60,
                             i % 60, levels[(r >> 8) % 12],
                             msgs[(r >> 16) % 8]);
        if ((r >> 24) % 50 == 0)
            for (int k = 0; k < 600; k++)
                s[n++] = (char)('a' + k % 26);
        s[n++] = '\n';
    }
    n += (size_t)sprintf(s + n, "2024-03-02 00:00:00|ERROR|disk gone");
    *len = n;
    return s;
}

static void no_rejects(void *ud, const char *source, uint64_t line,
                       uint64_t offset, const char *reason, const char *raw,
                       size_t rawlen)
{
    (void)source, (void)line, (void)offset, (void)reason, (void)raw;
    (void)rawlen;
    ++*(size_t *)ud;
}

enum { NO_REJECTS, REJECTS, ALLOW }; /* ALLOW: rejects, and pushdown too */

/* Runs the filter over the log in chunks; the records as text (line, offset,
 * fields) and the line reader's stats. With rejects on, pushdown is refused
 * (that is the reference) unless allow_pushdown says otherwise. */
static char *run_log(const char *s, size_t n, size_t chunk, const char *expr,
                     int rejects, rn_stats *rd, uint64_t *kept)
{
    size_t nrej = 0;
    rn_log_opts lo = {0};
    lo.format = chunk % 2 ? "auto" : "pipe";
    if (rejects) {
        lo.on_reject = no_rejects;
        lo.reject_ud = &nrej;
        lo.allow_pushdown = rejects == ALLOW;
    }
    rn_iter *it = rn_filter_new(
        rn_log_new(rn_lines_new(tst_chunked_source(s, n, chunk, NULL), NULL),
                   &lo),
        expr);
    if (rn_status(it) != RN_OK)
        fail_msg("'%s': %s", expr, rn_errmsg(it));
    tst_buf out = {0};
    const rn_record *rec;
    int rc;
    *kept = 0;
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        char head[64];
        int k = snprintf(head, sizeof head, "%llu@%llu:",
                         (unsigned long long)rec->line,
                         (unsigned long long)rec->offset);
        tst_buf_add(&out, head, (size_t)k);
        for (size_t f = 0; f < rec->nfields; f++) {
            tst_buf_add(&out, rec->fields[f].ptr, rec->fields[f].len);
            tst_buf_add(&out, "|", 1);
        }
        tst_buf_add(&out, "\n", 1);
        ++*kept;
    }
    assert_int_equal(rc, RN_DONE);
    tst_buf_add(&out, "", 1);
    rn_stats st, lg;
    rn_stats_of(it, &st);
    rn_stats_of(rn_upstream(it), &lg);
    rn_stats_of(rn_upstream(rn_upstream(it)), rd);
    /* Each line once: skipped by the reader, rejected, filtered or kept. */
    assert_int_equal(rd->records_in,
                     rd->filtered + lg.rejected + st.filtered + *kept);
    if (rejects)
        assert_int_equal(lg.rejected, nrej);
    rn_free(it);
    return out.p;
}

static void test_filter_through_log(void **state)
{
    (void)state;
    size_t n;
    char *s = make_log(&n);
    static const struct {
        const char *expr;
        bool push;
    } cases[] = {
        {"level == ERROR", true},                 /* any case, trimmed */
        {"level == \"Error\"", true},
        {"message == \"disk full\"", true},
        {"level in (ERROR, WARN)", true},
        {"message contains \"error\"", true},    /* with case */
        {"level == ERROR and message contains disk", true},
        {"level == WARN or message contains disk", true},
        {"timestamp > \"2024\" and level == debug", true},
        {"message == 503.00", false},             /* 503, 503.0, 0503 */
        {"level == ERROR or timestamp > \"2024-03-01 12:30\"", false},
        {"not (level != ERROR)", false},
        {"message =~ \"dis+k\"", false},
    };
    size_t chunks[] = {1, 2, 3, 7, 64, 701, 4096, 1u << 20};
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
            rn_stats ref_rd, rd;
            uint64_t ref_kept, kept;
            char *want = run_log(s, n, chunks[c], cases[i].expr, REJECTS,
                                 &ref_rd, &ref_kept);
            char *got = run_log(s, n, chunks[c], cases[i].expr, NO_REJECTS,
                                &rd, &kept);
            if (strcmp(want, got) != 0)
                fail_msg("'%s', chunk %zu: records differ", cases[i].expr,
                         chunks[c]);
            /* A callback that only counts may allow pushdown all the same. */
            rn_stats al_rd;
            uint64_t al_kept;
            char *al = run_log(s, n, chunks[c], cases[i].expr, ALLOW, &al_rd,
                               &al_kept);
            if (strcmp(want, al) != 0 || al_rd.filtered != rd.filtered)
                fail_msg("'%s', chunk %zu: allow_pushdown differs",
                         cases[i].expr, chunks[c]);
            free(al);
            assert_true(ref_kept > 0);
            assert_int_equal(ref_rd.filtered, 0);
            if (cases[i].push != (rd.filtered > 0))
                fail_msg("'%s', chunk %zu: %llu lines skipped",
                         cases[i].expr, chunks[c],
                         (unsigned long long)rd.filtered);
            free(want);
            free(got);
        }
    }
    free(s);
}

/* ---- the line cap ---------------------------------------------------------- */

static int keep_all(void *ud, const rn_schema *s, const rn_record *r)
{
    (void)ud, (void)s, (void)r;
    return 1;
}

/* The lines of a filter over a line reader capped at 16 bytes (pushdown, or
 * refused by an identity stage between them), one block for the whole
 * text, as "line:text" joined by ','; the final status and message. */
static char *run_capped(const char *text, bool push, int *rc, char *msg,
                        size_t cap)
{
    rn_lines_opts lo = {0};
    lo.max_line_bytes = 16;
    rn_iter *it = rn_lines_new(rn_source_mem(text, strlen(text), NULL), &lo);
    if (!push)
        it = rn_filter_fn_new(it, keep_all, NULL);
    it = rn_filter_new(it, "line contains \"ERROR\"");
    assert_int_equal(rn_status(it), RN_OK);
    tst_buf out = {0};
    const rn_record *rec;
    while ((*rc = rn_next(it, &rec)) == RN_ROW) {
        char head[32];
        int k = snprintf(head, sizeof head, "%llu:",
                         (unsigned long long)rec->line);
        tst_buf_add(&out, head, (size_t)k);
        tst_buf_add(&out, rec->fields[0].ptr, rec->fields[0].len);
        tst_buf_add(&out, ",", 1);
    }
    tst_buf_add(&out, "", 1);
    snprintf(msg, cap, "%s", rn_errmsg(it));
    rn_free(it);
    return out.p;
}

/* A line past max_line_bytes is RN_ETOOBIG whether pushdown skips it or not:
 * skipped lines used to escape the cap when they lay inside one block (a
 * line spanning blocks was checked in the carry), so the run went on. */
static void test_cap_holds_for_skipped_lines(void **state)
{
    (void)state;
    static const char *const texts[] = {
        /* before it a kept line: the batch, then the error */
        "ERROR 1\nzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\nERROR 2\n",
        /* the first line: the error at once */
        "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\nERROR 2\n",
        /* among skipped lines, exactly at the cap, then one past it */
        "ERROR 1\nshort\nzzzzzzzzzzzzzzzz\nzzzzzzzzzzzzzzzzz\nok\nERROR 3",
    };
    static const char *const want[] = {"1:ERROR 1,", "", "1:ERROR 1,"};
    static const char *const where[] = {"line 2, byte 8", "line 1, byte 0",
                                        "line 4, byte 31"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        for (int push = 0; push < 2; push++) {
            int rc;
            char msg[256];
            char *got = run_capped(texts[i], push, &rc, msg, sizeof msg);
            assert_string_equal(got, want[i]);
            assert_int_equal(rc, RN_ETOOBIG);
            if (!strstr(msg, where[i]))
                fail_msg("text %zu, push %d: '%s'", i, push, msg);
            free(got);
        }
    }
}

/* ---- a chain of inputs with other fields --------------------------------- */

/* Two "auto" log readers in a chain: syslog, then pipe. The filter binds $2
 * to syslog's host (with case) and its needle "ERROR" is chosen for that; on
 * the pipe input $2 is level, compared without case, so the needle must not
 * reach the second input's line reader, or "|error|" would be skipped. */
static const char *const mixed_parts[2] = {
    "Mar  1 12:00:00 host app: hello\n",
    "2024-03-01 12:00|INFO|a\n2024-03-01 12:00|error|b\n"};

static rn_iter *open_mixed(void *ud, size_t i)
{
    (void)ud;
    rn_log_opts o = {0};
    o.format = "auto";
    return rn_log_new(rn_lines_new(tst_chunked_source(mixed_parts[i],
                                                      strlen(mixed_parts[i]),
                                                      24, NULL),
                                   NULL),
                      &o);
}

static void test_chain_of_other_fields(void **state)
{
    (void)state;
    rn_iter *it = rn_filter_new(rn_chain_new(open_mixed, NULL, 2, NULL),
                                "$2 == ERROR");
    assert_int_equal(rn_status(it), RN_OK);
    const rn_record *r;
    int n = 0;
    while (rn_next(it, &r) == RN_ROW) {
        assert_int_equal(r->line, 2);
        n++;
    }
    assert_int_equal(rn_status(it), RN_DONE);
    assert_int_equal(n, 1);
    rn_free(it);
}

/* ---- grep's context under pushdown ---------------------------------------- */

/* grep over a line reader in chunks, as text: each record's line and fields
 * ("--" for a separator); the reader's stats. push false puts a stage that
 * takes no pushdown between them: the reference. */
static char *run_context(const char *s, size_t n, size_t chunk,
                         const rn_grep_opts *o, bool push, rn_stats *rd)
{
    rn_iter *it = rn_lines_new(tst_chunked_source(s, n, chunk, NULL), NULL);
    rn_iter *lines = it;
    if (!push)
        it = rn_filter_fn_new(it, keep_all, NULL);
    it = rn_grep_new(it, o);
    assert_int_equal(rn_status(it), RN_OK);
    tst_buf out = {0};
    const rn_record *rec;
    int rc;
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        if (rec->nfields == 0) {
            tst_buf_add(&out, "--\n", 3);
            continue;
        }
        char head[32];
        int k = snprintf(head, sizeof head, "%llu:",
                         (unsigned long long)rec->line);
        tst_buf_add(&out, head, (size_t)k);
        for (size_t f = 0; f < rec->nfields; f++) {
            tst_buf_add(&out, rec->fields[f].ptr, rec->fields[f].len);
            tst_buf_add(&out, "|", 1);
        }
        tst_buf_add(&out, "\n", 1);
    }
    assert_int_equal(rc, RN_DONE);
    tst_buf_add(&out, "", 1);
    rn_stats_of(lines, rd);
    rn_free(it);
    return out.p;
}

/* -B and -A with pushdown: the reader cuts out the lines around each hit
 * line (and a block's last lines, which may be context for the next), grep
 * places records by line number; the output, separators included, must be
 * that of grep seeing every line, at every chunk size. */
static void test_grep_context(void **state)
{
    (void)state;
    size_t nt, nl;
    char *texts[2] = {make_text(&nt), make_log(&nl)};
    size_t lens[2] = {nt, nl};
    static const char *const pats[2][2] = {
        {"Error code: 42", "code: 5\\b"}, /* hits close together */
        {"disk", "DEBUG"},                /* hits far apart */
    };
    static const size_t ctx[][2] = {{1, 0}, {0, 1}, {2, 3}, {3, 0}, {0, 4},
                                    {5, 5}};
    size_t chunks[] = {1, 2, 3, 7, 64, 701, 4096, 1u << 20};
    for (size_t t = 0; t < 2; t++) {
        for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
            for (size_t x = 0; x < sizeof ctx / sizeof *ctx; x++) {
                for (int ci = 0; ci < 2; ci++) {
                    rn_grep_opts o = {0};
                    o.patterns = pats[t];
                    o.npatterns = ci ? 1 : 2;
                    o.ignore_case = ci;
                    o.before = ctx[x][0];
                    o.after = ctx[x][1];
                    rn_stats ref_rd, rd;
                    char *want = run_context(texts[t], lens[t], chunks[c], &o,
                                             false, &ref_rd);
                    char *got = run_context(texts[t], lens[t], chunks[c], &o,
                                            true, &rd);
                    if (strcmp(want, got) != 0)
                        fail_msg("text %zu, chunk %zu, -B %zu -A %zu, -i %d: "
                                 "records differ", t, chunks[c], o.before,
                                 o.after, ci);
                    assert_int_equal(ref_rd.filtered, 0);
                    /* Blocks of many lines: lines were skipped. */
                    if (chunks[c] >= 4096 && rd.filtered == 0)
                        fail_msg("text %zu, chunk %zu, -B %zu -A %zu: no "
                                 "line skipped", t, chunks[c], o.before,
                                 o.after);
                    free(want);
                    free(got);
                }
            }
        }
    }
    free(texts[0]);
    free(texts[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pushdown_every_chunk_size),
        cmocka_unit_test(test_no_pushdown_when_it_would_be_wrong),
        cmocka_unit_test(test_filter_through_log),
        cmocka_unit_test(test_chain_of_other_fields),
        cmocka_unit_test(test_grep_context),
        cmocka_unit_test(test_cap_holds_for_skipped_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
