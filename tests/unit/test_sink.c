/*
 * test_sink.c - text, CSV and TSV output: quoting and escaping read back to
 * the same fields, headers, and every write error reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs lines of text through a sink of the given format into a pipe and
 * returns what came out (malloc'd). The input is small enough for the pipe. */
static char *through_sink(const char *text, int format, int no_header,
                          size_t buffer_size)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    rn_iter *it = rn_lines_new(rn_source_mem(text, strlen(text), NULL), NULL);
    rn_sink_opts so = {0};
    so.format = format;
    so.no_header = no_header;
    so.buffer_size = buffer_size;
    rn_sink *s = rn_sink_fd(fds[1], &so);
    assert_int_equal(rn_run(it, s), RN_DONE);
    rn_sink_free(s);
    rn_free(it);
    close(fds[1]);
    char *out = calloc(1, 65536);
    size_t len = 0;
    ssize_t r;
    while ((r = read(fds[0], out + len, 65535 - len)) > 0)
        len += (size_t)r;
    close(fds[0]);
    return out;
}

static void test_text(void **state)
{
    (void)state;
    char *out = through_sink("a,b\n\"q\"\n\ttab\n", RN_FORMAT_TEXT, 0, 0);
    assert_string_equal(out, "a,b\n\"q\"\n\ttab\n");
    free(out);
}

static void test_csv_quotes_only_where_needed(void **state)
{
    (void)state;
    char *out = through_sink("plain\na,b\nsay \"hi\"\n lead\nx\r\n",
                             RN_FORMAT_CSV, 0, 0);
    assert_string_equal(out, "line\nplain\n\"a,b\"\n\"say \"\"hi\"\"\"\n\" lead\"\nx\n");
    free(out);
    out = through_sink("v\n", RN_FORMAT_CSV, 1, 0);
    assert_string_equal(out, "v\n");
    free(out);
}

static void test_tsv_escapes(void **state)
{
    (void)state;
    char *out = through_sink("a\tb\nback\\slash\ncr\rx\n", RN_FORMAT_TSV, 0, 0);
    assert_string_equal(out, "line\na\\tb\nback\\\\slash\ncr\\rx\n");
    free(out);
}

static void test_small_buffer_many_records(void **state)
{
    (void)state;
    /* More output than the 4 KiB buffer: drained many times, nothing lost. */
    char *text = malloc(20001);
    for (int i = 0; i < 20000; i++)
        text[i] = i % 10 == 9 ? '\n' : (char)('a' + i % 10);
    text[20000] = '\0';
    char *out = through_sink(text, RN_FORMAT_TEXT, 0, 1);
    assert_string_equal(out, text);
    free(out);
    free(text);
}

static void test_full_disk(void **state)
{
    (void)state;
    int fd = open("/dev/full", O_WRONLY);
    if (fd < 0)
        skip();
    const char *text = "x\n";
    rn_iter *it = rn_lines_new(rn_source_mem(text, 2, NULL), NULL);
    rn_sink *s = rn_sink_fd(fd, NULL);
    assert_int_equal(rn_run(it, s), RN_EIO);
    assert_non_null(strstr(rn_sink_errmsg(s), "No space left"));
    assert_non_null(strstr(rn_sink_errmsg(s), "<fd"));
    /* Sticky. */
    assert_int_equal(rn_sink_flush(s), RN_EIO);
    rn_sink_free(s);
    rn_free(it);
    close(fd);
}

static void test_closed_pipe(void **state)
{
    (void)state;
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    close(fds[0]);
    const char *text = "x\ny\n";
    rn_iter *it = rn_lines_new(rn_source_mem(text, 4, NULL), NULL);
    rn_sink_opts so = {0};
    so.name = "the pipe";
    rn_sink *s = rn_sink_fd(fds[1], &so);
    assert_int_equal(rn_run(it, s), RN_EPIPE);
    assert_non_null(strstr(rn_sink_errmsg(s), "the pipe"));
    rn_sink_free(s);
    rn_free(it);
    close(fds[1]);
    signal(SIGPIPE, old);
}

static void test_iterator_error_flushes_output_first(void **state)
{
    (void)state;
    /* A line over the cap stops the run, but the line before it is out. */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    const char *text = "ok\nthis line is too long\n";
    rn_lines_opts lo = {0};
    lo.max_line_bytes = 5;
    rn_iter *it = rn_lines_new(rn_source_mem(text, strlen(text), NULL), &lo);
    rn_sink *s = rn_sink_fd(fds[1], NULL);
    assert_int_equal(rn_run(it, s), RN_ETOOBIG);
    close(fds[1]);
    char buf[64] = {0};
    assert_int_equal(read(fds[0], buf, sizeof buf - 1), 3);
    assert_string_equal(buf, "ok\n");
    close(fds[0]);
    rn_sink_free(s);
    rn_free(it);
}

static void test_failing_allocator(void **state)
{
    (void)state;
    for (long fail = 0; fail < 3; fail++) {
        tst_alloc t = tst_alloc_init();
        t.fail_at = fail;
        rn_allocator a = tst_allocator(&t);
        rn_sink_opts so = {0};
        so.allocator = &a;
        rn_sink *s = rn_sink_fd(1, &so);
        if (fail < 2)
            assert_null(s);
        else
            assert_non_null(s);
        rn_sink_free(s);
        assert_int_equal(t.live, 0);
    }
}

typedef struct seen {
    size_t batches, records, bytes;
    int stop_after; /* records; 0: never */
} seen;

static int on_batch(void *ud, const rn_schema *schema, const rn_batch *b)
{
    seen *s = ud;
    assert_int_equal(rn_schema_find(schema, "line", 4), 0);
    s->batches++;
    s->records += b->n;
    return RN_OK;
}

static int on_record(void *ud, const rn_schema *schema, const rn_record *r)
{
    (void)schema;
    seen *s = ud;
    s->records++;
    s->bytes += r->fields[0].len;
    if (s->stop_after && s->records == (size_t)s->stop_after)
        return RN_EINVAL;
    return RN_OK;
}

static void test_callback_sinks(void **state)
{
    (void)state;
    const char *text = "aa\nbbb\nc\n";
    seen s = {0, 0, 0, 0};
    rn_iter *it = rn_lines_new(rn_source_mem(text, strlen(text), NULL), NULL);
    rn_sink *k = rn_sink_batches(on_batch, &s, NULL);
    assert_int_equal(rn_run(it, k), RN_DONE);
    assert_int_equal(s.records, 3);
    assert_true(s.batches >= 1);
    rn_sink_free(k);
    rn_free(it);

    seen r = {0, 0, 0, 0};
    it = rn_lines_new(rn_source_mem(text, strlen(text), NULL), NULL);
    k = rn_sink_records(on_record, &r, NULL);
    assert_int_equal(rn_run(it, k), RN_DONE);
    assert_int_equal(r.records, 3);
    assert_int_equal(r.bytes, 6);
    rn_sink_free(k);
    rn_free(it);

    /* A callback that refuses stops the run with its code. */
    seen q = {0, 0, 0, 2};
    it = rn_lines_new(rn_source_mem(text, strlen(text), NULL), NULL);
    k = rn_sink_records(on_record, &q, NULL);
    assert_int_equal(rn_run(it, k), RN_EINVAL);
    assert_int_equal(q.records, 2);
    assert_non_null(strstr(rn_sink_errmsg(k), "callback"));
    rn_sink_free(k);
    rn_free(it);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_csv_quotes_only_where_needed),
        cmocka_unit_test(test_tsv_escapes),
        cmocka_unit_test(test_small_buffer_many_records),
        cmocka_unit_test(test_full_disk),
        cmocka_unit_test(test_closed_pipe),
        cmocka_unit_test(test_iterator_error_flushes_output_first),
        cmocka_unit_test(test_failing_allocator),
        cmocka_unit_test(test_callback_sinks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
