/*
 * test_threads.c - no global state: two pipelines in two threads at once
 * (a log job and a CSV groupby, each with its own counting allocator) give
 * the same answers as when run alone, and free everything they allocated.
 * A third case runs the log job on gzip inflated in a thread of its own
 * (RN_GZIP_THREAD_ON), so the decoder's worker runs beside the reader and
 * beside the other pipeline. Run under helgrind or ThreadSanitizer to check
 * for races (see README).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct job {
    const char *text;
    size_t len;
    bool csv;          /* else a pipe-format log */
    bool gzip;         /* text is gzip: inflate it in a thread of its own */
    int rounds;
    char *out;         /* the answer as text (malloc'd) */
    size_t outlen;
    int rc;
    tst_alloc mem;
} job;

static rn_iter *build(job *j, rn_allocator *a)
{
    rn_source_opts o = {0};
    o.allocator = a;
    o.block_size = 4096; /* many blocks, many batches */
    o.gzip_thread = j->gzip ? RN_GZIP_THREAD_ON : RN_GZIP_THREAD_OFF;
    if (j->csv) {
        static const char *const keys[] = {"cat"};
        static const char *const aggs[] = {"count", "sum:v", "mean:v"};
        return rn_groupby_new(rn_csv_new(rn_source_mem(j->text, j->len, &o),
                                         NULL),
                              keys, 1, aggs, 3, NULL);
    }
    static const char *const by[] = {"code"};
    rn_iter *it = rn_log_new(rn_lines_new(rn_source_mem(j->text, j->len, &o),
                                          NULL),
                             NULL);
    it = rn_filter_new(it, "level == error");
    it = rn_extract_new(it, "message", "code (?<code>[0-9]+)", 0);
    return rn_count_by_new(it, by, 1, NULL);
}

static void *run_job(void *arg)
{
    job *j = arg;
    for (int r = 0; r < j->rounds; r++) {
        rn_allocator a = tst_allocator(&j->mem);
        rn_iter *it = build(j, &a);
        free(j->out);
        j->rc = tst_drain(it, &j->out, &j->outlen);
        rn_free(it);
    }
    return NULL;
}

static char *make_log(size_t lines, size_t *len)
{
    char *s = malloc(lines * 64);
    size_t n = 0;
    for (size_t i = 0; i < lines; i++)
        n += (size_t)sprintf(s + n, "2024-03-01 12:00:%02zu|%s|code %zu\n",
                             i % 60, i % 3 ? "INFO" : "error", i % 17);
    *len = n;
    return s;
}

static char *make_csv(size_t rows, size_t *len)
{
    char *s = malloc(rows * 48 + 16);
    size_t n = (size_t)sprintf(s, "cat,v\n");
    for (size_t i = 0; i < rows; i++)
        n += (size_t)sprintf(s + n, i % 9 ? "c%zu,%zu.5\n" : "\"c%zu\",x\n",
                             i % 11, i % 1000);
    *len = n;
    return s;
}

static void test_two_pipelines_at_once(void **state)
{
    (void)state;
    size_t llen, clen;
    char *log = make_log(20000, &llen), *csv = make_csv(20000, &clen);
    job alone[2] = {{log, llen, false, false, 1, NULL, 0, 0, tst_alloc_init()},
                    {csv, clen, true, false, 1, NULL, 0, 0, tst_alloc_init()}};
    run_job(&alone[0]);
    run_job(&alone[1]);
    assert_int_equal(alone[0].rc, RN_DONE);
    assert_int_equal(alone[1].rc, RN_DONE);
    assert_true(alone[0].outlen > 0 && alone[1].outlen > 0);

    job both[2] = {{log, llen, false, false, 20, NULL, 0, 0, tst_alloc_init()},
                   {csv, clen, true, false, 20, NULL, 0, 0, tst_alloc_init()}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, run_job, &both[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(both[i].rc, RN_DONE);
        assert_int_equal(both[i].outlen, alone[i].outlen);
        assert_memory_equal(both[i].out, alone[i].out, alone[i].outlen);
        /* Each pipeline's allocator saw only its own memory, all freed. */
        assert_int_equal(both[i].mem.live, 0);
        assert_int_equal(both[i].mem.nlive, 0);
        assert_true(both[i].mem.calls > 0);
        free(both[i].out);
        free(alone[i].out);
    }
    free(log);
    free(csv);
}

/* The log job on gzip with the decoder's worker thread, beside the CSV job:
 * the same answer as on the plain log, everything freed. */
static void test_gzip_thread_beside_another_pipeline(void **state)
{
    (void)state;
    size_t llen, clen, zlen;
    char *log = make_log(20000, &llen), *csv = make_csv(20000, &clen);
    char *z = tst_gzip(log, llen, &zlen);
    assert_non_null(z);
    job plain = {log, llen, false, false, 1, NULL, 0, 0, tst_alloc_init()};
    run_job(&plain);
    assert_int_equal(plain.rc, RN_DONE);

    job both[2] = {{z, zlen, false, true, 5, NULL, 0, 0, tst_alloc_init()},
                   {csv, clen, true, false, 5, NULL, 0, 0, tst_alloc_init()}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, run_job, &both[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(both[i].rc, RN_DONE);
        assert_int_equal(both[i].mem.live, 0);
        assert_int_equal(both[i].mem.nlive, 0);
    }
    assert_int_equal(both[0].outlen, plain.outlen);
    assert_memory_equal(both[0].out, plain.out, plain.outlen);
    for (int i = 0; i < 2; i++)
        free(both[i].out);
    free(plain.out);
    free(z);
    free(log);
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_pipelines_at_once),
        cmocka_unit_test(test_gzip_thread_beside_another_pipeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
