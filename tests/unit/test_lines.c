/*
 * test_lines.c - the line reader against a naive reference splitter, at every
 * chunk size from 1 byte up, through memory, callback, file, fd and gzip
 * sources; its caps; its errors; allocation failures; constant memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The reference: split on '\n', drop one '\r' before it, keep a final
 * unterminated line. Returns the number of lines; fills starts/lens. */
typedef struct ref_line {
    size_t start, len;
} ref_line;

static size_t ref_split(const char *s, size_t n, ref_line *out, size_t max)
{
    size_t k = 0, start = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\n')
            continue;
        size_t len = i - start;
        if (len && s[i - 1] == '\r')
            len--;
        if (k < max)
            out[k] = (ref_line){start, len};
        k++;
        start = i + 1;
    }
    if (start < n) {
        if (k < max)
            out[k] = (ref_line){start, n - start};
        k++;
    }
    return k;
}

/* Reads it to the end and checks every record against the reference. */
static void expect_lines(rn_iter *it, const char *s, size_t n)
{
    size_t want = ref_split(s, n, NULL, 0);
    ref_line *ref = malloc((want + 1) * sizeof *ref);
    ref_split(s, n, ref, want);
    const rn_record *rec;
    size_t got = 0;
    int rc;
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        assert_true(got < want);
        assert_int_equal(rec->nfields, 1);
        assert_int_equal(rec->fields[0].len, ref[got].len);
        if (ref[got].len)
            assert_memory_equal(rec->fields[0].ptr, s + ref[got].start,
                                ref[got].len);
        assert_int_equal(rec->line, got + 1);
        assert_int_equal(rec->offset, ref[got].start);
        got++;
    }
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(got, want);
    /* DONE is sticky. */
    assert_int_equal(rn_next(it, &rec), RN_DONE);
    assert_int_equal(rn_status(it), RN_DONE);
    free(ref);
}

static const char *const samples[] = {
    "",
    "\n",
    "\n\n\n",
    "a",
    "a\n",
    "a\nb",
    "a\nb\n",
    "one\r\ntwo\r\n",
    "one\r\ntwo",
    "\r\n\r\n",
    "cr\ralone\n",
    "trailing cr\r",
    "x\r\r\n",
    "mixed\nends\r\nhere\n\nand there",
    "2024-03-01 12:00:00.123|ERROR|Error code: 42\n"
    "2024-03-01 12:00:01.000|INFO|all good\n"
    "2024-03-01 12:00:02.500|WARN|disk 91%\r\n",
};

static void test_samples_every_chunk_size(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof samples / sizeof *samples; k++) {
        const char *s = samples[k];
        size_t n = strlen(s);
        for (size_t chunk = 1; chunk <= n + 1; chunk++) {
            rn_iter *it = rn_lines_new(tst_chunked_source(s, n, chunk, NULL),
                                       NULL);
            assert_non_null(it);
            expect_lines(it, s, n);
            rn_free(it);
        }
        rn_iter *it = rn_lines_new(rn_source_mem(s, n, NULL), NULL);
        expect_lines(it, s, n);
        rn_free(it);
    }
}

/* Builds text whose lines are of lengths 0..maxlen, some CRLF, in a buffer
 * the caller frees. */
static char *make_text(size_t nlines, size_t maxlen, unsigned seed,
                       size_t *outlen)
{
    size_t cap = nlines * (maxlen + 2) + 1, len = 0;
    char *s = malloc(cap);
    for (size_t i = 0; i < nlines; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t l = (seed >> 8) % (maxlen + 1);
        for (size_t j = 0; j < l; j++)
            s[len++] = (char)('a' + (j + i) % 26);
        if ((seed >> 4) % 5 == 0)
            s[len++] = '\r';
        s[len++] = '\n';
    }
    *outlen = len;
    return s;
}

static void test_long_lines_every_chunk_size(void **state)
{
    (void)state;
    size_t n;
    /* Lines much longer than small blocks, so they span many of them. */
    char *s = make_text(40, 3000, 7, &n);
    for (size_t chunk = 1; chunk <= 700; chunk += (chunk < 64 ? 1 : 37)) {
        rn_iter *it = rn_lines_new(tst_chunked_source(s, n, chunk, NULL),
                                   NULL);
        expect_lines(it, s, n);
        rn_free(it);
    }
    free(s);
}

static void test_more_than_one_batch(void **state)
{
    (void)state;
    size_t n;
    char *s = make_text(3000, 20, 3, &n); /* > 2 batches of 1024 */
    size_t chunks[] = {1, 2, 3, 5, 64, 1000, 4096, 100000};
    for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
        rn_iter *it = rn_lines_new(tst_chunked_source(s, n, chunks[i], NULL),
                                   NULL);
        expect_lines(it, s, n);
        rn_free(it);
    }
    /* Batches: every batch non-empty, and they add up. */
    rn_iter *it = rn_lines_new(rn_source_mem(s, n, NULL), NULL);
    rn_batch b;
    size_t total = 0;
    int rc;
    while ((rc = rn_next_batch(it, &b)) == RN_ROW) {
        assert_true(b.n >= 1);
        total += b.n;
    }
    assert_int_equal(rc, RN_DONE);
    ref_line ref[1];
    assert_int_equal(total, ref_split(s, n, ref, 0));
    rn_free(it);
    free(s);
}

static void test_mixing_next_and_batch(void **state)
{
    (void)state;
    const char *s = "1\n2\n3\n4\n5\n";
    rn_iter *it = rn_lines_new(rn_source_mem(s, strlen(s), NULL), NULL);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_memory_equal(rec->fields[0].ptr, "1", 1);
    rn_batch b;
    assert_int_equal(rn_next_batch(it, &b), RN_ROW);
    assert_int_equal(b.n, 4); /* the rest of the first batch */
    assert_memory_equal(b.recs[0].fields[0].ptr, "2", 1);
    assert_int_equal(rn_next_batch(it, &b), RN_DONE);
    rn_free(it);
}

static void test_keep_cr(void **state)
{
    (void)state;
    const char *s = "a\r\nb\r\n";
    rn_lines_opts lo = {0};
    lo.keep_cr = 1;
    rn_iter *it = rn_lines_new(rn_source_mem(s, strlen(s), NULL), &lo);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_int_equal(rec->fields[0].len, 2);
    assert_memory_equal(rec->fields[0].ptr, "a\r", 2);
    rn_free(it);
}

static void test_line_cap(void **state)
{
    (void)state;
    /* Line 2 is 100 bytes; the cap is 50: an error naming line 2, whether
     * the line lies inside one block or spans many. */
    char s[200];
    memset(s, 'x', sizeof s);
    memcpy(s, "short\n", 6);
    s[106] = '\n';
    size_t n = 150;
    rn_lines_opts lo = {0};
    lo.max_line_bytes = 50;
    for (size_t chunk = 1; chunk <= n; chunk++) {
        rn_iter *it = rn_lines_new(tst_chunked_source(s, n, chunk, NULL), &lo);
        const rn_record *rec;
        assert_int_equal(rn_next(it, &rec), RN_ROW);
        assert_int_equal(rec->fields[0].len, 5);
        int rc;
        while ((rc = rn_next(it, &rec)) == RN_ROW)
            ;
        assert_int_equal(rc, RN_ETOOBIG);
        assert_non_null(strstr(rn_errmsg(it), "line 2"));
        assert_non_null(strstr(rn_errmsg(it), "byte 6"));
        /* Errors are sticky. */
        assert_int_equal(rn_next(it, &rec), RN_ETOOBIG);
        rn_free(it);
    }
    /* Exactly at the cap is fine. */
    lo.max_line_bytes = 100;
    rn_iter *it = rn_lines_new(tst_chunked_source(s, 107, 7, NULL), &lo);
    char *out;
    size_t outlen;
    assert_int_equal(tst_drain(it, &out, &outlen), RN_DONE);
    assert_int_equal(outlen, 107);
    free(out);
    rn_free(it);
}

static void test_file_fd_and_gzip(void **state)
{
    (void)state;
    size_t n;
    char *s = make_text(5000, 120, 11, &n);
    char *path = tst_write_temp(s, n);
    size_t gzlen;
    void *gz = tst_gzip(s, n, &gzlen);
    char *gzpath = tst_write_temp(gz, gzlen);
    size_t blocks[] = {1, 7, 4096, 0};
    for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++) {
        rn_source_opts o = {0};
        o.block_size = blocks[i];
        for (int mm = RN_MMAP_NEVER; mm <= RN_MMAP_ALWAYS; mm++) {
            o.mmap = mm;
            o.mmap_window = blocks[i];
            rn_iter *it = rn_lines_new(rn_source_file(path, &o), NULL);
            expect_lines(it, s, n);
            rn_free(it);
            it = rn_lines_new(rn_source_file(gzpath, &o), NULL);
            expect_lines(it, s, n);
            rn_free(it);
        }
        int fd = open(path, O_RDONLY);
        rn_iter *it = rn_lines_new(rn_source_fd(fd, &o), NULL);
        expect_lines(it, s, n);
        rn_free(it);
        close(fd);
    }
    /* gzip through 1-byte reads from a callback. */
    rn_iter *it = rn_lines_new(tst_chunked_source(gz, gzlen, 1, NULL), NULL);
    expect_lines(it, s, n);
    rn_free(it);
    unlink(path);
    unlink(gzpath);
    free(path);
    free(gzpath);
    free(gz);
    free(s);
}

static void test_missing_file(void **state)
{
    (void)state;
    rn_iter *it = rn_lines_new(rn_source_file("/nonexistent/x.log", NULL),
                               NULL);
    assert_non_null(it);
    assert_int_equal(rn_status(it), RN_EIO);
    assert_non_null(strstr(rn_errmsg(it), "/nonexistent/x.log"));
    assert_non_null(strstr(rn_errmsg(it), "No such file"));
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_EIO);
    rn_free(it);

    it = rn_lines_new(rn_source_file("/", NULL), NULL);
    assert_int_equal(rn_status(it), RN_EIO);
    assert_non_null(strstr(rn_errmsg(it), "directory"));
    rn_free(it);
}

static ptrdiff_t failing_read(void *ud, void *buf, size_t cap)
{
    int *calls = ud;
    if ((*calls)++ == 2)
        return RN_EIO;
    memset(buf, 'z', cap > 10 ? 10 : cap);
    ((char *)buf)[0] = '\n';
    return cap > 10 ? 10 : (ptrdiff_t)cap;
}

static void test_read_error_is_reported(void **state)
{
    (void)state;
    int calls = 0;
    rn_iter *it = rn_lines_new(
        rn_source_callback(failing_read, NULL, &calls, NULL), NULL);
    const rn_record *rec;
    int rc;
    size_t rows = 0;
    while ((rc = rn_next(it, &rec)) == RN_ROW)
        rows++;
    assert_int_equal(rc, RN_EIO);
    assert_int_equal(rows, 2); /* the lines before the failure came out */
    assert_non_null(strstr(rn_errmsg(it), "byte 20"));
    rn_free(it);
}

static void test_failing_allocator(void **state)
{
    (void)state;
    size_t n;
    char *s = make_text(300, 9000, 5, &n); /* long lines grow the carry */
    size_t gzlen;
    void *gz = tst_gzip(s, n, &gzlen);
    for (int pass = 0; pass < 2; pass++) {
        const void *in = pass ? gz : s;
        size_t inlen = pass ? gzlen : n;
        bool completed = false;
        for (long fail = 0; !completed && fail < 1000; fail++) {
            tst_alloc t = tst_alloc_init();
            t.fail_at = fail;
            rn_allocator a = tst_allocator(&t);
            rn_source_opts o = {0};
            o.allocator = &a;
            o.block_size = 4096;
            rn_iter *it = rn_lines_new(rn_source_mem(in, inlen, &o), NULL);
            if (it) {
                char *out;
                size_t outlen;
                int rc = tst_drain(it, &out, &outlen);
                if (rc == RN_DONE) {
                    completed = !t.failed;
                    assert_false(t.failed);
                } else {
                    assert_int_equal(rc, RN_ENOMEM);
                    assert_true(t.failed);
                }
                free(out);
                rn_free(it);
            } else {
                assert_true(t.failed);
            }
            assert_int_equal(t.live, 0);
            assert_int_equal(t.nlive, 0);
        }
        assert_true(completed);
    }
    free(gz);
    free(s);
}

/* An endless-looking generated input, produced on the fly so that the test
 * itself holds no more for 50 MB than for 1 MB. */
typedef struct gen {
    uint64_t left;
    uint64_t i;
} gen;

static ptrdiff_t gen_read(void *ud, void *buf, size_t cap)
{
    gen *g = ud;
    char *p = buf;
    size_t n = 0;
    while (g->left && n + 64 <= cap) {
        int k = snprintf(p + n, 64, "2024-03-01 12:00:%02u|INFO|line %010llu\n",
                         (unsigned)(g->i % 60), (unsigned long long)g->i);
        g->i++;
        n += (size_t)k;
        g->left = g->left > (uint64_t)k ? g->left - (uint64_t)k : 0;
    }
    return (ptrdiff_t)n;
}

static size_t peak_for(uint64_t bytes, uint64_t *lines)
{
    tst_alloc t = tst_alloc_init();
    rn_allocator a = tst_allocator(&t);
    rn_source_opts o = {0};
    o.allocator = &a;
    gen g = {bytes, 0};
    rn_iter *it = rn_count_new(
        rn_lines_new(rn_source_callback(gen_read, NULL, &g, &o), NULL));
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    *lines = strtoull(rec->fields[0].ptr, NULL, 10);
    assert_int_equal(rn_next(it, &rec), RN_DONE);
    rn_free(it);
    assert_int_equal(t.live, 0);
    return t.peak;
}

static void test_constant_memory(void **state)
{
    (void)state;
    uint64_t small_lines, big_lines;
    size_t small = peak_for(1u << 20, &small_lines);
    size_t big = peak_for(50u << 20, &big_lines);
    assert_true(big_lines > 40 * small_lines);
    assert_int_equal(small, big);
    assert_true(small < 1u << 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples_every_chunk_size),
        cmocka_unit_test(test_long_lines_every_chunk_size),
        cmocka_unit_test(test_more_than_one_batch),
        cmocka_unit_test(test_mixing_next_and_batch),
        cmocka_unit_test(test_keep_cr),
        cmocka_unit_test(test_line_cap),
        cmocka_unit_test(test_file_fd_and_gzip),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_read_error_is_reported),
        cmocka_unit_test(test_failing_allocator),
        cmocka_unit_test(test_constant_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
