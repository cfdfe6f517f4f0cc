/*
 * test_log.c - the log reader: each built-in format on a realistic sample
 * with malformed lines, at every chunk size from 1 byte up, field by field
 * against values written out by hand; auto-detection; regex formats; bad
 * formats; rejects; allocation failures; a large generated input against a
 * naive reference split.
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

#define MAXF 9

/* The reasons the reader gives (part of its behaviour, so spelled out). */
#define R_EMPTY "empty line"
#define R_UNKNOWN "matches no known log format"
#define R_PIPE "expected timestamp|level|message"
#define R_PRI "bad <PRI> prefix"
#define R_MONTH "expected a month name (Jan..Dec)"
#define R_DAY "expected a day of the month"
#define R_TIME "expected hh:mm:ss"
#define R_HOST "expected a host name"
#define R_PID "unclosed [pid]"
#define R_CLF "expected ip ident user [time]"
#define R_CTIME "expected [time]"
#define R_REQ "expected \"request\""
#define R_STATUS "status must be 3 digits"
#define R_BYTES "bytes must be digits or '-'"
#define R_REFAGENT "expected \"referer\" \"agent\""
#define R_NOMATCH "does not match the regex"

/* ---- samples (the same bytes as data/fixtures/log_*.log) ----------------- */

/* data/fixtures/log_pipe.log */
static const char pipe_text[] =
    "2024-03-01 12:00:00.123|ERROR|Error code: 42 (upstream)\n" /* 1 */
    "2024-03-01 12:00:01.000|INFO|user alice logged in\n" /* 2 */
    "  2024-03-01 12:00:02.500 | WARN |  disk 91% full  \n" /* 3 */
    "2024-03-01 12:00:03.000|DEBUG|query a|b|c took 3 ms\n" /* 4 */
    "\n" /* 5 */
    "just a line without separators\n" /* 6 */
    "2024-03-01 12:00:04.000|ERROR\n" /* 7 */
    "    \n" /* 8 */
    "2024-03-01 12:00:05.000||empty level\n" /* 9 */
    "2024-03-01 12:00:06.000|error|lower-case level kept as is\n" /* 10 */
    "\t2024-03-01 12:00:07.000\t|\tINFO\t|\ttabs around\t\n" /* 11 */
    "2024-03-01 12:00:08.000|FATAL|\n" /* 12 */
    "2024-03-01 12:00:09.000|INFO|crlf line\r\n" /* 13 */
    "|||\n" /* 14 */
    "2024-03-01 12:00:10.000|INFO|no final newline" /* 15 */
    ;
/* data/fixtures/log_syslog.log */
static const char syslog_text[] =
    "<34>Mar  1 12:00:00 web01 sshd[1234]: Accepted publickey for alice from 10.0.0.5 port 52311 ssh2\n" /* 1 */
    "Mar  1 12:00:01 web01 CRON[999]: (root) CMD (run-parts /etc/cron.hourly)\n" /* 2 */
    "Mar 10 08:15:42 db02 kernel: [12345.678] eth0: link up\n" /* 3 */
    "Mar 1 12:00:02 web01 systemd: Started Session 5 of user alice.\n" /* 4 */
    "Foo  1 12:00:03 web01 sshd[1]: bad month\n" /* 5 */
    "Mar  1 12:0:03 web01 sshd[1]: bad time\n" /* 6 */
    "\n" /* 7 */
    "Mar  1 12:00:04 web01 postfix/smtpd[77]: connect from unknown[10.0.0.9]\n" /* 8 */
    "Mar  1 12:00:05 web01 last message repeated 3 times\n" /* 9 */
    "Mar  1 12:00:06 web01 sshd[88 unclosed pid\n" /* 10 */
    "<13>Apr 30 23:59:59 host-2 app[42]:message without space\n" /* 11 */
    "   \n" /* 12 */
    "Mar  1 12:00:07\n" /* 13 */
    "Dec 31 00:00:00 web01 sshd[5]: : colon first\n" /* 14 */
    "Mar xx 12:00:08 web01 sshd[6]: bad day\n" /* 15 */
    "<999x>Mar  1 12:00:09 web01 sshd[7]: bad pri\n" /* 16 */
    "mar  1 12:00:10 web01 sshd[8]: lower-case month\n" /* 17 */
    ;
/* data/fixtures/log_clf.log */
static const char clf_text[] =
    "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326\n" /* 1 */
    "10.0.0.5 - - [01/Mar/2024:12:00:00 +0000] \"POST /api/login HTTP/1.1\" 401 -\n" /* 2 */
    "::1 - - [01/Mar/2024:12:00:01 +0000] \"GET /search?q=\\\"quoted\\\" HTTP/1.1\" 200 512\n" /* 3 */
    "10.0.0.6 - bob [01/Mar/2024:12:00:02 +0000] \"-\" 408 0\n" /* 4 */
    "10.0.0.7 - - [01/Mar/2024:12:00:03 +0000] \"GET / HTTP/1.1\" 20x 100\n" /* 5 */
    "10.0.0.8 - - [01/Mar/2024:12:00:04 +0000] \"GET / HTTP/1.1\" 200 12k\n" /* 6 */
    "10.0.0.9 - - 01/Mar/2024:12:00:05 +0000 \"GET / HTTP/1.1\" 200 1\n" /* 7 */
    "\n" /* 8 */
    "10.0.0.10 - - [01/Mar/2024:12:00:06 +0000] \"GET /unterminated 200 1\n" /* 9 */
    "10.0.0.11 - [01/Mar/2024:12:00:07 +0000] \"GET / HTTP/1.1\" 200 1\n" /* 10 */
    "192.168.1.1 - - [01/Mar/2024:12:00:08 +0000] \"GET /index.html HTTP/1.1\" 304 0\n" /* 11 */
    "10.0.0.12 - - [01/Mar/2024:12:00:09 +0000] \"GET /a\\\\\" 200 5\n" /* 12 */
    "   \n" /* 13 */
    "10.0.0.13 - - [01/Mar/2024:12:00:10 +0000] \"GET / HTTP/1.1\" 2000 5\n" /* 14 */
    "10.0.0.14 - - [01/Mar/2024:12:00:11 +0000] \"GET / HTTP/1.1\"\n" /* 15 */
    "10.0.0.15 - - [01/Mar/2024:12:00:12 +0000] \"GET / HTTP/1.1\" 200 5 extra fields ignored\n" /* 16 */
    ;
/* data/fixtures/log_combined.log */
static const char combined_text[] =
    "93.184.216.34 - - [01/Mar/2024:12:00:00 +0000] \"GET /index.html HTTP/1.1\" 200 5120 \"https://example.com/\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n" /* 1 */
    "10.0.0.5 - alice [01/Mar/2024:12:00:01 +0000] \"POST /api/v1/items HTTP/1.1\" 201 87 \"-\" \"curl/8.5.0\"\n" /* 2 */
    "10.0.0.6 - - [01/Mar/2024:12:00:02 +0000] \"GET /favicon.ico HTTP/1.1\" 404 - \"https://example.com/a|b|c\" \"Mozilla/5.0\"\n" /* 3 */
    "10.0.0.7 - - [01/Mar/2024:12:00:03 +0000] \"GET / HTTP/1.1\" 200 12 \"-\" \"agent with \\\"quotes\\\" inside\"\n" /* 4 */
    "10.0.0.8 - - [01/Mar/2024:12:00:04 +0000] \"GET / HTTP/1.1\" 200 12\n" /* 5 */
    "10.0.0.9 - - [01/Mar/2024:12:00:05 +0000] \"GET / HTTP/1.1\" 200 12 \"-\"\n" /* 6 */
    "10.0.0.10 - - [01/Mar/2024:12:00:06 +0000] \"GET / HTTP/1.1\" abc 12 \"-\" \"x\"\n" /* 7 */
    "\n" /* 8 */
    "10.0.0.11 - - [01/Mar/2024:12:00:07 +0000] \"GET / HTTP/1.1\" 200 12 \"-\" \"x\" \"203.0.113.9\"\n" /* 9 */
    "10.0.0.12 - - [01/Mar/2024:12:00:08 +0000] \"\\x16\\x03\\x01\" 400 157 \"-\" \"-\"\n" /* 10 */
    "   \n" /* 11 */
    "2024-03-01 12:00:09|INFO|not an access log line\n" /* 12 */
    "10.0.0.13 - - [01/Mar/2024:12:00:10 +0000] \"GET / HTTP/1.1\" 200 12 \"-\" \"unterminated\n" /* 13 */
    "10.0.0.14 - - [01/Mar/2024:12:00:11 +0000] \"GET /x HTTP/2.0\" 500 0 \"\" \"\"\n" /* 14 */
    ;

typedef struct want_rec {
    unsigned line;
    const char *f[MAXF];
} want_rec;

typedef struct want_rej {
    unsigned line;
    const char *reason;
} want_rej;

typedef struct sample {
    const char *text;
    size_t len;
    const char *format;         /* name rn_log_format reports */
    const char *const *names;   /* schema */
    size_t nf;
    const want_rec *recs;
    size_t nrecs;
    const want_rej *rejs;
    size_t nrejs;
    unsigned nlines;            /* lines in the text */
} sample;

#define N(a) (sizeof(a) / sizeof *(a))
#define SAMPLE(txt, fmt, nm, recs, rejs, nlines)                            \
    {txt, sizeof txt - 1, fmt, nm, N(nm), recs, N(recs), rejs, N(rejs),     \
     nlines}

static const char *const pipe_names[] = {"timestamp", "level", "message"};
static const want_rec pipe_recs[] = {
    {1, {"2024-03-01 12:00:00.123", "ERROR", "Error code: 42 (upstream)"}},
    {2, {"2024-03-01 12:00:01.000", "INFO", "user alice logged in"}},
    {3, {"2024-03-01 12:00:02.500", "WARN", "disk 91% full"}},
    {4, {"2024-03-01 12:00:03.000", "DEBUG", "query a|b|c took 3 ms"}},
    {9, {"2024-03-01 12:00:05.000", "", "empty level"}},
    {10, {"2024-03-01 12:00:06.000", "error", "lower-case level kept as is"}},
    {11, {"2024-03-01 12:00:07.000", "INFO", "tabs around"}},
    {12, {"2024-03-01 12:00:08.000", "FATAL", ""}},
    {13, {"2024-03-01 12:00:09.000", "INFO", "crlf line"}},
    {14, {"", "", "|"}},
    {15, {"2024-03-01 12:00:10.000", "INFO", "no final newline"}},
};
static const want_rej pipe_rejs[] = {
    {5, R_EMPTY}, {6, R_PIPE}, {7, R_PIPE}, {8, R_EMPTY},
};

static const char *const syslog_names[] = {"timestamp", "host", "tag", "pid",
                                           "message"};
static const want_rec syslog_recs[] = {
    {1, {"Mar  1 12:00:00", "web01", "sshd", "1234",
         "Accepted publickey for alice from 10.0.0.5 port 52311 ssh2"}},
    {2, {"Mar  1 12:00:01", "web01", "CRON", "999",
         "(root) CMD (run-parts /etc/cron.hourly)"}},
    {3, {"Mar 10 08:15:42", "db02", "kernel", "",
         "[12345.678] eth0: link up"}},
    {4, {"Mar 1 12:00:02", "web01", "systemd", "",
         "Started Session 5 of user alice."}},
    {8, {"Mar  1 12:00:04", "web01", "postfix/smtpd", "77",
         "connect from unknown[10.0.0.9]"}},
    {9, {"Mar  1 12:00:05", "web01", "", "",
         "last message repeated 3 times"}},
    {11, {"Apr 30 23:59:59", "host-2", "app", "42",
          "message without space"}},
    {14, {"Dec 31 00:00:00", "web01", "sshd", "5", ": colon first"}},
};
static const want_rej syslog_rejs[] = {
    {5, R_MONTH}, {6, R_TIME}, {7, R_EMPTY}, {10, R_PID}, {12, R_EMPTY},
    {13, R_HOST}, {15, R_DAY}, {16, R_PRI}, {17, R_MONTH},
};

static const char *const clf_names[] = {"ip", "ident", "user", "time",
                                        "request", "status", "bytes"};
static const want_rec clf_recs[] = {
    {1, {"127.0.0.1", "-", "frank", "10/Oct/2000:13:55:36 -0700",
         "GET /apache_pb.gif HTTP/1.0", "200", "2326"}},
    {2, {"10.0.0.5", "-", "-", "01/Mar/2024:12:00:00 +0000",
         "POST /api/login HTTP/1.1", "401", "-"}},
    {3, {"::1", "-", "-", "01/Mar/2024:12:00:01 +0000",
         "GET /search?q=\\\"quoted\\\" HTTP/1.1", "200", "512"}},
    {4, {"10.0.0.6", "-", "bob", "01/Mar/2024:12:00:02 +0000", "-", "408",
         "0"}},
    {11, {"192.168.1.1", "-", "-", "01/Mar/2024:12:00:08 +0000",
          "GET /index.html HTTP/1.1", "304", "0"}},
    {12, {"10.0.0.12", "-", "-", "01/Mar/2024:12:00:09 +0000", "GET /a\\\\",
          "200", "5"}},
    {16, {"10.0.0.15", "-", "-", "01/Mar/2024:12:00:12 +0000",
          "GET / HTTP/1.1", "200", "5"}},
};
static const want_rej clf_rejs[] = {
    {5, R_STATUS}, {6, R_BYTES}, {7, R_CTIME}, {8, R_EMPTY}, {9, R_REQ},
    {10, R_CTIME}, {13, R_EMPTY}, {14, R_STATUS}, {15, R_STATUS},
};

static const char *const combined_names[] = {
    "ip", "ident", "user", "time", "request", "status", "bytes", "referer",
    "agent"};
static const want_rec combined_recs[] = {
    {1, {"93.184.216.34", "-", "-", "01/Mar/2024:12:00:00 +0000",
         "GET /index.html HTTP/1.1", "200", "5120", "https://example.com/",
         "Mozilla/5.0 (X11; Linux x86_64)"}},
    {2, {"10.0.0.5", "-", "alice", "01/Mar/2024:12:00:01 +0000",
         "POST /api/v1/items HTTP/1.1", "201", "87", "-", "curl/8.5.0"}},
    {3, {"10.0.0.6", "-", "-", "01/Mar/2024:12:00:02 +0000",
         "GET /favicon.ico HTTP/1.1", "404", "-", "https://example.com/a|b|c",
         "Mozilla/5.0"}},
    {4, {"10.0.0.7", "-", "-", "01/Mar/2024:12:00:03 +0000", "GET / HTTP/1.1",
         "200", "12", "-", "agent with \\\"quotes\\\" inside"}},
    {9, {"10.0.0.11", "-", "-", "01/Mar/2024:12:00:07 +0000",
         "GET / HTTP/1.1", "200", "12", "-", "x"}},
    {10, {"10.0.0.12", "-", "-", "01/Mar/2024:12:00:08 +0000",
          "\\x16\\x03\\x01", "400", "157", "-", "-"}},
    {14, {"10.0.0.14", "-", "-", "01/Mar/2024:12:00:11 +0000",
          "GET /x HTTP/2.0", "500", "0", "", ""}},
};
static const want_rej combined_rejs[] = {
    {5, R_REFAGENT}, {6, R_REFAGENT}, {7, R_STATUS}, {8, R_EMPTY},
    {11, R_EMPTY},   {12, R_CTIME},   {13, R_REFAGENT},
};

static const sample samples[] = {
    SAMPLE(pipe_text, "pipe", pipe_names, pipe_recs, pipe_rejs, 15),
    SAMPLE(syslog_text, "syslog", syslog_names, syslog_recs, syslog_rejs,
           17),
    SAMPLE(clf_text, "clf", clf_names, clf_recs, clf_rejs, 16),
    SAMPLE(combined_text, "combined", combined_names, combined_recs,
           combined_rejs, 14),
};

/* ---- helpers ------------------------------------------------------------- */

/* Start offsets and contents (without "\n" or "\r\n") of the lines of text,
 * split the naive way. Returns the number of lines. */
typedef struct ref_line {
    size_t start, len;
} ref_line;

static size_t ref_lines(const char *s, size_t n, ref_line *out, size_t max)
{
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '\n')
            continue;
        if (i == n && start == n)
            break;
        size_t len = i - start;
        if (i < n && len && s[i - 1] == '\r')
            len--;
        if (k < max)
            out[k] = (ref_line){start, len};
        k++;
        start = i + 1;
    }
    return k;
}

typedef struct rej_entry {
    uint64_t line, offset;
    char reason[128];
    char *raw;
    size_t rawlen;
} rej_entry;

typedef struct rej_log {
    size_t n, cap;
    rej_entry *r;
} rej_log;

static void on_reject(void *ud, const char *source, uint64_t line,
                      uint64_t offset, const char *reason, const char *raw,
                      size_t rawlen)
{
    rej_log *log = ud;
    assert_non_null(source);
    assert_non_null(reason);
    assert_non_null(raw);
    if (log->n == log->cap) {
        log->cap = log->cap ? 2 * log->cap : 16;
        log->r = realloc(log->r, log->cap * sizeof *log->r);
    }
    rej_entry *e = &log->r[log->n++];
    e->line = line;
    e->offset = offset;
    snprintf(e->reason, sizeof e->reason, "%s", reason);
    e->raw = malloc(rawlen + 1);
    memcpy(e->raw, raw, rawlen);
    e->rawlen = rawlen;
}

static void rej_log_free(rej_log *log)
{
    for (size_t i = 0; i < log->n; i++)
        free(log->r[i].raw);
    free(log->r);
    memset(log, 0, sizeof *log);
}

static rn_iter *open_log(const char *text, size_t len, size_t chunk,
                         const char *format, rej_log *rl,
                         const rn_source_opts *so)
{
    rn_log_opts o = {0};
    o.format = format;
    if (rl) {
        o.on_reject = on_reject;
        o.reject_ud = rl;
    }
    return rn_log_new(rn_lines_new(tst_chunked_source(text, len, chunk, so),
                                   NULL),
                      &o);
}

/* Reads it to the end and checks records, stats, rejects and format against
 * the sample. */
static void expect_sample(rn_iter *it, const sample *s, rej_log *rl)
{
    ref_line lines[64];
    size_t nlines = ref_lines(s->text, s->len, lines, 64);
    assert_int_equal(nlines, s->nlines);
    const rn_record *rec;
    size_t k = 0;
    int rc;
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        assert_true(k < s->nrecs);
        const want_rec *w = &s->recs[k];
        assert_int_equal(rec->line, w->line);
        assert_int_equal(rec->offset, lines[w->line - 1].start);
        assert_int_equal(rec->nfields, s->nf);
        for (size_t j = 0; j < s->nf; j++)
            tst_expect_field(rec->fields[j], w->f[j]);
        k++;
    }
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(k, s->nrecs);
    assert_int_equal(rn_next(it, &rec), RN_DONE); /* sticky */
    assert_string_equal(rn_log_format(it), s->format);
    tst_expect_schema(it, s->names, s->nf);
    rn_stats st;
    rn_stats_of(it, &st);
    assert_int_equal(st.records_in, s->nlines);
    assert_int_equal(st.records_out, s->nrecs);
    assert_int_equal(st.rejected, s->nrejs);
    assert_int_equal(rl->n, s->nrejs);
    for (size_t i = 0; i < s->nrejs; i++) {
        const rej_entry *e = &rl->r[i];
        const ref_line *l = &lines[s->rejs[i].line - 1];
        assert_int_equal(e->line, s->rejs[i].line);
        assert_int_equal(e->offset, l->start);
        assert_string_equal(e->reason, s->rejs[i].reason);
        assert_int_equal(e->rawlen, l->len);
        assert_memory_equal(e->raw, s->text + l->start, l->len);
    }
}

/* ---- the built-in formats ------------------------------------------------ */

static void test_formats_every_chunk_size(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(samples); i++) {
        const sample *s = &samples[i];
        /* By name, by "auto" and by default (NULL is auto). */
        const char *formats[] = {s->format, "auto", NULL};
        for (size_t fi = 0; fi < N(formats); fi++) {
            for (size_t chunk = 1; chunk <= s->len + 1; chunk++) {
                rej_log rl = {0};
                rn_iter *it = open_log(s->text, s->len, chunk, formats[fi],
                                       &rl, NULL);
                assert_non_null(it);
                assert_int_equal(rn_status(it), RN_OK);
                /* auto decides at construction, from the first lines. */
                assert_string_equal(rn_log_format(it), s->format);
                expect_sample(it, s, &rl);
                rn_free(it);
                rej_log_free(&rl);
            }
        }
        /* Through a memory source too: one block, one batch. */
        rej_log rl = {0};
        rn_log_opts o = {0};
        o.on_reject = on_reject;
        o.reject_ud = &rl;
        rn_iter *it = rn_log_new(
            rn_lines_new(rn_source_mem(s->text, s->len, NULL), NULL), &o);
        expect_sample(it, s, &rl);
        rn_free(it);
        rej_log_free(&rl);
    }
}

/* Without a callback rejects are still counted. */
static void test_rejects_counted_without_callback(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(samples); i++) {
        const sample *s = &samples[i];
        rn_iter *it = open_log(s->text, s->len, 5, s->format, NULL, NULL);
        char *out;
        size_t outlen;
        assert_int_equal(tst_drain(it, &out, &outlen), RN_DONE);
        free(out);
        rn_stats st;
        rn_stats_of(it, &st);
        assert_int_equal(st.records_in, s->nlines);
        assert_int_equal(st.rejected, s->nrejs);
        assert_int_equal(st.records_out + st.rejected, st.records_in);
        rn_free(it);
    }
}

/* clf reads combined lines too: the fields after bytes are ignored. */
static void test_clf_reads_combined_lines(void **state)
{
    (void)state;
    const char *t =
        "10.0.0.5 - alice [01/Mar/2024:12:00:01 +0000] \"GET / HTTP/1.1\" 200 "
        "87 \"-\" \"curl/8.5.0\"\n";
    rn_log_opts o = {0};
    o.format = "clf";
    rn_iter *it = rn_log_new(
        rn_lines_new(rn_source_mem(t, strlen(t), NULL), NULL), &o);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_int_equal(rec->nfields, 7);
    tst_expect_field(rec->fields[0], "10.0.0.5");
    tst_expect_field(rec->fields[2], "alice");
    tst_expect_field(rec->fields[4], "GET / HTTP/1.1");
    tst_expect_field(rec->fields[6], "87");
    assert_int_equal(rn_next(it, &rec), RN_DONE);
    rn_free(it);
}

/* ---- auto-detection ------------------------------------------------------ */

/* Lines before the first line any format matches are rejected the same way
 * at every chunk size, whatever format is picked afterwards. */
static void test_auto_garbage_first(void **state)
{
    (void)state;
    static const char text[] =
        "garbage one\n"
        "\n"
        "  \n"
        "garbage two\n"
        "Mar  1 12:00:00 web01 sshd[1]: hello\n"
        "still garbage\n"
        "Mar  1 12:00:01 web01 sshd[2]: world\n";
    static const char *const names[] = {"timestamp", "host", "tag", "pid",
                                        "message"};
    static const want_rec recs[] = {
        {5, {"Mar  1 12:00:00", "web01", "sshd", "1", "hello"}},
        {7, {"Mar  1 12:00:01", "web01", "sshd", "2", "world"}},
    };
    static const want_rej rejs[] = {
        {1, R_UNKNOWN}, {2, R_EMPTY}, {3, R_EMPTY}, {4, R_UNKNOWN},
        {6, R_MONTH},
    };
    static const sample s = SAMPLE(text, "syslog", names, recs, rejs, 7);
    for (size_t chunk = 1; chunk <= s.len + 1; chunk++) {
        rej_log rl = {0};
        rn_iter *it = open_log(s.text, s.len, chunk, NULL, &rl, NULL);
        expect_sample(it, &s, &rl);
        rn_free(it);
        rej_log_free(&rl);
    }
}

/* Nothing matches: pipe is chosen (at the end, or after 64 non-blank lines)
 * and every line is rejected, never lost. */
static void test_auto_nothing_matches(void **state)
{
    (void)state;
    static const char text[] = "nothing\n\nto see\nhere";
    static const char *const names[] = {"timestamp", "level", "message"};
    static const want_rec recs[1] = {{0, {NULL}}};
    static const want_rej rejs[] = {
        {1, R_UNKNOWN}, {2, R_EMPTY}, {3, R_UNKNOWN}, {4, R_UNKNOWN},
    };
    sample s = SAMPLE(text, "pipe", names, recs, rejs, 4);
    s.nrecs = 0;
    for (size_t chunk = 1; chunk <= s.len + 1; chunk++) {
        rej_log rl = {0};
        rn_iter *it = open_log(s.text, s.len, chunk, "auto", &rl, NULL);
        expect_sample(it, &s, &rl);
        rn_free(it);
        rej_log_free(&rl);
    }
    /* 70 garbage lines then a pipe line: after 64 the choice is pipe, so
     * lines 65..70 get pipe's reason and line 71 is a record. */
    char big[2048];
    size_t len = 0;
    for (int i = 0; i < 70; i++)
        len += (size_t)snprintf(big + len, sizeof big - len, "junk %d\n", i);
    len += (size_t)snprintf(big + len, sizeof big - len, "t|L|m\n");
    size_t chunks[] = {1, 3, 8, 64, 4096};
    for (size_t c = 0; c < N(chunks); c++) {
        rej_log rl = {0};
        rn_iter *it = open_log(big, len, chunks[c], NULL, &rl, NULL);
        const rn_record *rec;
        assert_int_equal(rn_next(it, &rec), RN_ROW);
        assert_int_equal(rec->line, 71);
        tst_expect_field(rec->fields[1], "L");
        assert_int_equal(rn_next(it, &rec), RN_DONE);
        assert_string_equal(rn_log_format(it), "pipe");
        assert_int_equal(rl.n, 70);
        for (size_t i = 0; i < 70; i++)
            assert_string_equal(rl.r[i].reason, i < 64 ? R_UNKNOWN : R_PIPE);
        rn_free(it);
        rej_log_free(&rl);
    }
}

/* An empty input leaves auto nothing to vote on: it reports pipe. */
static void test_auto_empty_input(void **state)
{
    (void)state;
    rn_iter *it = rn_log_new(rn_lines_new(rn_source_mem("", 0, NULL), NULL),
                             NULL);
    assert_string_equal(rn_log_format(it), "pipe");
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_DONE);
    assert_string_equal(rn_log_format(it), "pipe");
    rn_free(it);
}

/* Combined wins over clf on combined lines even when some lines only fit
 * clf; clf wins on lines without referer and agent. */
static void test_auto_combined_vs_clf(void **state)
{
    (void)state;
    static const char t[] =
        "1.2.3.4 - - [01/Mar/2024:12:00:00 +0000] \"GET / HTTP/1.1\" 200 1\n"
        "1.2.3.4 - - [01/Mar/2024:12:00:00 +0000] \"GET / HTTP/1.1\" 200 1 "
        "\"-\" \"ua\"\n"
        "1.2.3.4 - - [01/Mar/2024:12:00:00 +0000] \"GET / HTTP/1.1\" 200 1 "
        "\"-\" \"ua\"\n";
    rn_iter *it = rn_log_new(
        rn_lines_new(rn_source_mem(t, sizeof t - 1, NULL), NULL), NULL);
    char *out;
    size_t outlen;
    assert_int_equal(tst_drain(it, &out, &outlen), RN_DONE);
    free(out);
    assert_string_equal(rn_log_format(it), "combined");
    rn_stats st;
    rn_stats_of(it, &st);
    assert_int_equal(st.records_out, 2);
    assert_int_equal(st.rejected, 1);
    rn_free(it);

    /* The first line alone (clf only) gives clf. */
    it = rn_log_new(rn_lines_new(rn_source_mem(t, 64, NULL), NULL), NULL);
    assert_int_equal(tst_drain(it, &out, &outlen), RN_DONE);
    free(out);
    assert_string_equal(rn_log_format(it), "clf");
    rn_free(it);
}

/* ---- regex --------------------------------------------------------------- */

static void test_regex_named_groups(void **state)
{
    (void)state;
    static const char text[] =
        "2024-03-01 12:00:00 [INFO] alice: logged in\n"
        "2024-03-01 12:00:01 [ERROR] disk full\n"
        "garbage\n"
        "\n"
        "prefix 2024-03-01 12:00:02 [WARN] bob: unanchored match\n"
        "2024-03-01 12:00:03 [info] lower-case level does not match\n";
    static const char *const names[] = {"ts", "level", "user", "msg"};
    static const want_rec recs[] = {
        {1, {"2024-03-01 12:00:00", "INFO", "alice", "logged in"}},
        {2, {"2024-03-01 12:00:01", "ERROR", "", "disk full"}},
        {5, {"2024-03-01 12:00:02", "WARN", "bob", "unanchored match"}},
    };
    static const want_rej rejs[] = {
        {3, R_NOMATCH}, {4, R_EMPTY}, {6, R_NOMATCH},
    };
    static const sample s = SAMPLE(text, "regex", names, recs, rejs, 6);
    const char *fmt = "regex:(?<ts>\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d) "
                      "\\[(?<level>[A-Z]+)\\] (?:(?<user>\\w+): )?(?<msg>.*)";
    for (size_t chunk = 1; chunk <= s.len + 1; chunk++) {
        rej_log rl = {0};
        rn_iter *it = open_log(s.text, s.len, chunk, fmt, &rl, NULL);
        assert_int_equal(rn_status(it), RN_OK);
        assert_string_equal(rn_log_format(it), "regex");
        tst_expect_schema(it, names, 4);
        expect_sample(it, &s, &rl);
        rn_free(it);
        rej_log_free(&rl);
    }
}

/* Fields come in group-number order, not name order; a name repeated with
 * (?J) is one field holding the group that matched; unnamed groups are not
 * fields; a pattern that matches empty lines yields them. */
static void test_regex_group_order(void **state)
{
    (void)state;
    const char *t = "ba\nxy=7\n\n";
    rn_log_opts o = {0};
    o.format = "regex:(?J)(?<z>b)?(?<a>a)?(x)?(?:y=(?<v>\\d+)|q=(?<v>\\w+))?";
    rn_iter *it = rn_log_new(
        rn_lines_new(rn_source_mem(t, strlen(t), NULL), NULL), &o);
    assert_int_equal(rn_status(it), RN_OK);
    static const char *const names[] = {"z", "a", "v"};
    tst_expect_schema(it, names, 3);
    char *out;
    size_t outlen;
    assert_int_equal(tst_drain(it, &out, &outlen), RN_DONE);
    const char want[] = "b\ta\t\n\t\t7\n\t\t\n";
    assert_int_equal(outlen, sizeof want - 1);
    assert_memory_equal(out, want, outlen);
    free(out);
    rn_free(it);

    o.format = "regex:(?J)(?:y=(?<v>\\d+)|q=(?<v>\\w+))";
    t = "q=abc\ny=12\n";
    it = rn_log_new(rn_lines_new(rn_source_mem(t, strlen(t), NULL), NULL),
                    &o);
    assert_int_equal(tst_drain(it, &out, &outlen), RN_DONE);
    assert_int_equal(outlen, 7);
    assert_memory_equal(out, "abc\n12\n", 7);
    free(out);
    rn_free(it);
}

/* Many groups shrink the batch; upstream batches longer than ours are taken
 * in several steps without losing or repeating a line. */
static void test_regex_many_groups(void **state)
{
    (void)state;
    char pat[2048] = "regex:";
    size_t pl = strlen(pat);
    for (int g = 0; g < 100; g++)
        pl += (size_t)snprintf(pat + pl, sizeof pat - pl, "(?<g%d>.)?", g);
    size_t n = 3000, len = 0;
    char *text = malloc(n * 8);
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "%05zu\n", i);
    rn_log_opts o = {0};
    o.format = pat;
    rn_iter *it = rn_log_new(
        rn_lines_new(rn_source_mem(text, len, NULL), NULL), &o);
    assert_int_equal(rn_status(it), RN_OK);
    assert_int_equal(rn_schema_count(rn_schema_of(it)), 100);
    rn_batch b;
    size_t got = 0;
    int rc;
    while ((rc = rn_next_batch(it, &b)) == RN_ROW) {
        assert_true(b.n >= 1 && b.n <= 1024);
        for (size_t i = 0; i < b.n; i++, got++) {
            const rn_record *r = &b.recs[i];
            assert_int_equal(r->line, got + 1);
            assert_int_equal(r->nfields, 100);
            assert_memory_equal(r->fields[0].ptr, text + got * 6, 1);
            assert_memory_equal(r->fields[4].ptr, text + got * 6 + 4, 1);
            assert_int_equal(r->fields[5].len, 0);
        }
    }
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(got, n);
    rn_free(it);
    free(text);
}

/* A line too hard for the pattern (the match limit) is rejected with PCRE2's
 * reason and the next line is read; a long line that needs deep
 * backtracking still matches. */
static void test_regex_limits(void **state)
{
    (void)state;
    size_t n = 20000;
    char *t = malloc(n + 64);
    memset(t, 'a', 39);
    t[39] = 'b';
    size_t len = 40;
    len += (size_t)sprintf(t + len, "\naaaa\n");
    memset(t + len, 'b', n);
    len += n;
    t[len++] = '\n';
    rej_log rl = {0};
    rn_iter *it = open_log(t, len, 4096, "regex:^(?<a>(?:a+)+)$", &rl, NULL);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_int_equal(rec->line, 2);
    tst_expect_field(rec->fields[0], "aaaa");
    assert_int_equal(rn_next(it, &rec), RN_DONE);
    assert_int_equal(rl.n, 2);
    assert_int_equal(rl.r[1].line, 3);
    assert_string_equal(rl.r[1].reason, R_NOMATCH);
    assert_int_equal(rl.r[0].line, 1);
    assert_non_null(strstr(rl.r[0].reason, "regex match failed: "));
    assert_non_null(strstr(rl.r[0].reason, "limit"));
    rn_free(it);
    rej_log_free(&rl);

    it = open_log(t + 46, len - 46, 4096, "regex:(?<w>(?:a|b)+)$", &rl, NULL);
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_int_equal(rec->fields[0].len, n);
    assert_int_equal(rn_next(it, &rec), RN_DONE);
    assert_int_equal(rl.n, 0);
    rn_free(it);
    rej_log_free(&rl);
    free(t);
}

/* ---- bad formats --------------------------------------------------------- */

static void expect_bad_format(const char *format, const char *want_msg,
                              const char *want_part)
{
    rn_log_opts o = {0};
    o.format = format;
    rn_iter *it = rn_log_new(rn_lines_new(rn_source_mem("a\n", 2, NULL),
                                          NULL), &o);
    assert_non_null(it);
    assert_int_equal(rn_status(it), RN_EINVAL);
    if (want_msg)
        assert_string_equal(rn_errmsg(it), want_msg);
    if (want_part && !strstr(rn_errmsg(it), want_part))
        fail_msg("'%s' does not contain '%s'", rn_errmsg(it), want_part);
    assert_null(rn_log_format(it));
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_EINVAL);
    assert_int_equal(rn_next(it, &rec), RN_EINVAL);
    rn_free(it);
}

static void test_bad_formats(void **state)
{
    (void)state;
    expect_bad_format("x", "unknown log format 'x' (pipe, syslog, clf, "
                           "combined, regex:PATTERN or auto)", NULL);
    expect_bad_format("regex", NULL, "unknown log format 'regex'");
    expect_bad_format("PIPE", NULL, "unknown log format 'PIPE'");
    expect_bad_format("", NULL, "unknown log format ''");
    expect_bad_format("regex:(?<a>[", NULL, "bad regex at offset ");
    expect_bad_format("regex:(?<a>[", NULL, ": (?<a>[");
    expect_bad_format("regex:a)", "bad regex at offset 1: unmatched closing "
                                  "parenthesis: a)", NULL);
    expect_bad_format("regex:(\\d+)", NULL, "regex has no named groups");
    expect_bad_format("regex:", NULL, "regex has no named groups");
    /* Not a log reader, or nothing at all. */
    rn_iter *it = rn_lines_new(rn_source_mem("a", 1, NULL), NULL);
    assert_null(rn_log_format(it));
    assert_null(rn_log_format(NULL));
    assert_string_equal(rn_kind(it), "lines");
    it = rn_log_new(it, NULL);
    assert_string_equal(rn_kind(it), "log");
    rn_free(it);
    assert_null(rn_log_new(NULL, NULL));
}

/* ---- upstream errors and batches ----------------------------------------- */

static void test_upstream_errors(void **state)
{
    (void)state;
    /* Failed at construction: the log reader reports it at once. */
    rn_iter *it = rn_log_new(
        rn_lines_new(rn_source_file("/nonexistent/x.log", NULL), NULL), NULL);
    assert_non_null(it);
    assert_true(rn_status(it) < 0);
    assert_non_null(strstr(rn_errmsg(it), "/nonexistent/x.log"));
    rn_free(it);
    /* Failed while reading: the error and its message are taken on, after
     * the records before it. */
    const char *t = "a|b|c\nx|y|averyveryverylongline\n";
    rn_lines_opts lo = {0};
    lo.max_line_bytes = 8;
    rn_log_opts o = {0};
    o.format = "pipe";
    it = rn_log_new(rn_lines_new(rn_source_mem(t, strlen(t), NULL), &lo), &o);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    tst_expect_field(rec->fields[2], "c");
    assert_int_equal(rn_next(it, &rec), RN_ETOOBIG);
    assert_non_null(strstr(rn_errmsg(it), "line 2"));
    assert_int_equal(rn_next(it, &rec), RN_ETOOBIG);
    rn_free(it);
}

/* A batch is never empty: 3000 rejected lines then one record give one
 * batch of one record. */
static void test_no_empty_batches(void **state)
{
    (void)state;
    size_t len = 0;
    char *t = malloc(3000 * 4 + 16);
    for (int i = 0; i < 3000; i++)
        len += (size_t)sprintf(t + len, "%s\n", i % 3 ? "bad" : "");
    len += (size_t)sprintf(t + len, "a|b|c\n");
    rn_log_opts o = {0};
    o.format = "pipe";
    rn_iter *it = rn_log_new(
        rn_lines_new(rn_source_mem(t, len, NULL), NULL), &o);
    rn_batch b;
    assert_int_equal(rn_next_batch(it, &b), RN_ROW);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.recs[0].line, 3001);
    assert_int_equal(rn_next_batch(it, &b), RN_DONE);
    rn_stats st;
    rn_stats_of(it, &st);
    assert_int_equal(st.records_in, 3001);
    assert_int_equal(st.rejected, 3000);
    assert_int_equal(st.records_out, 1);
    rn_free(it);
    free(t);
}

/* ---- allocation failures ------------------------------------------------- */

typedef struct alloc_input {
    const char *text;
    size_t len;
    const char *format;
} alloc_input;

static rn_iter *open_alloc_input(void *ud, const rn_source_opts *so)
{
    const alloc_input *in = ud;
    return open_log(in->text, in->len, 7, in->format, NULL, so);
}

/* A refused JIT compile falls back to the interpreter and still gives the
 * same answer as a run without failures. */
static void fail_each_allocation(const char *text, size_t len,
                                 const char *format)
{
    alloc_input in = {text, len, format};
    char label[256];
    snprintf(label, sizeof label, "format %s", format ? format : "NULL");
    tst_fail_each_alloc_text(open_alloc_input, &in, 10000, label);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(samples); i++) {
        fail_each_allocation(samples[i].text, samples[i].len,
                             samples[i].format);
        fail_each_allocation(samples[i].text, samples[i].len, NULL);
    }
    fail_each_allocation(pipe_text, sizeof pipe_text - 1,
                         "regex:^(?<ts>[^|]*)\\|(?<level>[^|]*)\\|(?<msg>.*)$");
    /* Backtracking-heavy, for the interpreter's heap frames. */
    fail_each_allocation(pipe_text, sizeof pipe_text - 1,
                         "regex:(?<a>(?:\\w|\\s)*?)(?<b>\\d+)\\D*$");
}

/* ---- a large generated input against a naive split ----------------------- */

static unsigned rnd(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

static char *gen_pipe(size_t nlines, size_t *outlen)
{
    static const char *const levels[] = {"INFO", "WARN", "ERROR", "DEBUG",
                                         "error", ""};
    static const char *const words[] = {"disk", "a|b", "cache", "  ", "\t",
                                        "retry", "|", "code: 42", "x"};
    char *s = malloc(nlines * 160);
    size_t len = 0;
    unsigned seed = 42;
    for (size_t i = 0; i < nlines; i++) {
        unsigned r = rnd(&seed) % 100;
        if (r < 3) {
            /* empty */
        } else if (r < 6) {
            len += (size_t)sprintf(s + len, "  \t ");
        } else if (r < 10) {
            len += (size_t)sprintf(s + len, "2024-03-01 12:00:%02u|only one",
                                   (unsigned)(i % 60));
        } else {
            len += (size_t)sprintf(s + len, "%s2024-03-01 12:%02u:%02u.%03u%s|"
                                   "%s%s%s|%s",
                                   rnd(&seed) % 7 ? "" : " ",
                                   (unsigned)(i / 60 % 60),
                                   (unsigned)(i % 60), rnd(&seed) % 1000,
                                   rnd(&seed) % 5 ? "" : "\t ",
                                   rnd(&seed) % 6 ? "" : " ",
                                   levels[rnd(&seed) % N(levels)],
                                   rnd(&seed) % 6 ? "" : "  ",
                                   rnd(&seed) % 9 ? "" : " ");
            unsigned nw = rnd(&seed) % 12;
            for (unsigned w = 0; w < nw; w++)
                len += (size_t)sprintf(s + len, "%s%s", w ? " " : "",
                                       words[rnd(&seed) % N(words)]);
        }
        if (rnd(&seed) % 10 == 0)
            s[len++] = '\r';
        s[len++] = '\n';
    }
    *outlen = len;
    return s;
}

/* The reference: the first two '|' split, spaces and tabs trimmed. */
static bool ref_pipe(const char *p, size_t n, rn_field *f)
{
    size_t cut[2], k = 0;
    for (size_t i = 0; i < n && k < 2; i++)
        if (p[i] == '|')
            cut[k++] = i;
    if (k < 2)
        return false;
    size_t a[3] = {0, cut[0] + 1, cut[1] + 1};
    size_t b[3] = {cut[0], cut[1], n};
    for (int j = 0; j < 3; j++) {
        while (a[j] < b[j] && (p[a[j]] == ' ' || p[a[j]] == '\t'))
            a[j]++;
        while (b[j] > a[j] && (p[b[j] - 1] == ' ' || p[b[j] - 1] == '\t'))
            b[j]--;
        f[j].ptr = p + a[j];
        f[j].len = b[j] - a[j];
    }
    return true;
}

static void test_generated_pipe(void **state)
{
    (void)state;
    size_t len;
    char *s = gen_pipe(3000, &len);
    size_t nl = ref_lines(s, len, NULL, 0);
    ref_line *lines = malloc(nl * sizeof *lines);
    ref_lines(s, len, lines, nl);
    size_t chunks[] = {1, 2, 3, 7, 64, 1000, 4096, 100000};
    const char *formats[] = {"pipe", NULL};
    for (size_t fi = 0; fi < N(formats); fi++)
        for (size_t c = 0; c < N(chunks); c++) {
            rn_iter *it = open_log(s, len, chunks[c], formats[fi], NULL, NULL);
            const rn_record *rec;
            size_t li = 0, nrej = 0, nrec = 0;
            int rc;
            while ((rc = rn_next(it, &rec)) == RN_ROW) {
                rn_field f[3];
                /* Skip the lines the reference rejects. */
                while (li < nl && !ref_pipe(s + lines[li].start,
                                            lines[li].len, f)) {
                    li++;
                    nrej++;
                }
                assert_true(li < nl);
                assert_int_equal(rec->line, li + 1);
                assert_int_equal(rec->offset, lines[li].start);
                assert_int_equal(rec->nfields, 3);
                for (int j = 0; j < 3; j++) {
                    assert_int_equal(rec->fields[j].len, f[j].len);
                    if (f[j].len)
                        assert_memory_equal(rec->fields[j].ptr, f[j].ptr,
                                            f[j].len);
                }
                li++;
                nrec++;
            }
            assert_int_equal(rc, RN_DONE);
            for (; li < nl; li++) {
                rn_field f[3];
                assert_false(ref_pipe(s + lines[li].start, lines[li].len, f));
                nrej++;
            }
            assert_true(nrej > 200 && nrec > 2500);
            assert_string_equal(rn_log_format(it), "pipe");
            rn_stats st;
            rn_stats_of(it, &st);
            assert_int_equal(st.records_in, nl);
            assert_int_equal(st.rejected, nrej);
            assert_int_equal(st.records_out, nrec);
            rn_free(it);
        }
    free(lines);
    free(s);
}

/* ---- constant memory ----------------------------------------------------- */

typedef struct endless {
    uint64_t left, pos;
} endless;

static const char pat[] = "2024-03-01 12:00:00.000|INFO|all good here\n"
                          "2024-03-01 12:00:00.001|ERROR|Error code: 42\n"
                          "a bad line with no separators, 40 bytes\n";

static ptrdiff_t endless_read(void *ud, void *buf, size_t cap)
{
    endless *e = ud;
    size_t n = cap < e->left ? cap : (size_t)e->left;
    char *b = buf;
    for (size_t i = 0; i < n; i++)
        b[i] = pat[(e->pos + i) % (sizeof pat - 1)];
    e->pos += n;
    e->left -= n;
    return (ptrdiff_t)n;
}

static void measure(uint64_t bytes, const char *format, size_t *peak,
                    size_t *calls)
{
    tst_alloc t = tst_alloc_init();
    rn_allocator a = tst_allocator(&t);
    rn_source_opts so = {0};
    so.allocator = &a;
    endless e = {bytes, 0};
    rn_log_opts o = {0};
    o.format = format;
    rn_iter *it = rn_log_new(
        rn_lines_new(rn_source_callback(endless_read, NULL, &e, &so), NULL),
        &o);
    rn_batch b;
    int rc;
    size_t n = 0;
    while ((rc = rn_next_batch(it, &b)) == RN_ROW)
        n += b.n;
    assert_int_equal(rc, RN_DONE);
    rn_stats st;
    rn_stats_of(it, &st);
    assert_int_equal(sizeof pat - 1, 128);
    assert_int_equal(st.records_in, bytes / 128 * 3);
    assert_int_equal(st.records_out, n);
    assert_int_equal(st.records_in, st.records_out + st.rejected);
    rn_free(it);
    assert_int_equal(t.live, 0);
    *peak = t.peak;
    *calls = t.calls;
}

/* The same memory and the same number of allocations for 1 MB and 32 MB:
 * nothing is allocated per record, PCRE2 included. */
static void test_constant_memory(void **state)
{
    (void)state;
    const char *formats[] = {
        "pipe", NULL, "syslog",
        "regex:^(?<ts>[^|]*)\\|(?<level>[^|]*)\\|(?<msg>.*)$"};
    for (size_t i = 0; i < N(formats); i++) {
        size_t p1, c1, p2, c2;
        measure(1u << 20, formats[i], &p1, &c1);
        measure(32u << 20, formats[i], &p2, &c2);
        assert_int_equal(p1, p2);
        assert_int_equal(c1, c2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats_every_chunk_size),
        cmocka_unit_test(test_rejects_counted_without_callback),
        cmocka_unit_test(test_clf_reads_combined_lines),
        cmocka_unit_test(test_auto_garbage_first),
        cmocka_unit_test(test_auto_nothing_matches),
        cmocka_unit_test(test_auto_empty_input),
        cmocka_unit_test(test_auto_combined_vs_clf),
        cmocka_unit_test(test_regex_named_groups),
        cmocka_unit_test(test_regex_group_order),
        cmocka_unit_test(test_regex_many_groups),
        cmocka_unit_test(test_regex_limits),
        cmocka_unit_test(test_bad_formats),
        cmocka_unit_test(test_upstream_errors),
        cmocka_unit_test(test_no_empty_batches),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_generated_pipe),
        cmocka_unit_test(test_constant_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
