/*
 * test_gzip_thread.c - the gzip decoder's worker thread (RN_GZIP_THREAD_ON,
 * and AUTO for files and memory): it starts only for gzip, stops and is
 * joined when the source is freed at any point (before the first block,
 * while it waits for a free block, while it inflates, after a stage stopped
 * early), it honours the stop flag, it never runs under a push source, it
 * refuses an input that asks to be called again, its byte counts and
 * progress calls stay in step with the blocks handed out, and for random
 * corruptions it gives the same bytes, codes and messages as inflating in
 * the caller's thread. test_gzip.c runs the decoder's own tests both ways.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"
#include "source/source_internal.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------- */

/* Log-like text of n bytes (malloc'd), the same for a seed. */
static char *text_bytes(size_t n, uint64_t seed)
{
    static const char *words[] = {"INFO", "WARN", "ERROR", "user", "login",
                                  "timeout", "42", "ok"};
    char *p = malloc(n + 64);
    size_t len = 0;
    while (len < n)
        len += (size_t)snprintf(p + len, 64, "2024-01-%02u|%s|%s %u\n",
                                (unsigned)(tst_rnd(&seed) % 28 + 1),
                                words[tst_rnd(&seed) % 3],
                                words[3 + tst_rnd(&seed) % 5],
                                (unsigned)(tst_rnd(&seed) % 1000));
    return p; /* only the first n bytes are used */
}

static unsigned char *gz(const void *data, size_t len, size_t *outlen)
{
    unsigned char *z = tst_gzip(data, len, outlen);
    assert_non_null(z);
    return z;
}

/* Threads of this process, from /proc/self/status. A thread just joined may
 * be counted a moment longer, so this waits up to a second for want. */
static int threads_now(int want)
{
    int n = -1;
    for (int tries = 0; tries < 1000; tries++) {
        FILE *f = fopen("/proc/self/status", "r");
        assert_non_null(f);
        char line[256];
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "Threads: %d", &n) == 1)
                break;
        fclose(f);
        if (n == want)
            break;
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    return n;
}

static bool two_cpus(void)
{
    cpu_set_t set;
    return sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) >= 2;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* 2 MB of text and its gzip, shared by the tests. */
static char *text;
static size_t text_len = 2000000;
static unsigned char *ztext;
static size_t ztext_len;

static int setup(void **state)
{
    (void)state;
    text = text_bytes(text_len, 7);
    ztext = gz(text, text_len, &ztext_len);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(text);
    free(ztext);
    return 0;
}

/* ---- when there is a thread ---------------------------------------------- */

/* Steps s once and returns the number of threads then; s must yield. */
static int threads_after_a_block(rn_source *s, int want)
{
    const char *p;
    size_t n;
    assert_int_equal(rn__source_next(s, &p, &n), RN_ROW);
    return threads_now(want);
}

static void test_which_sources_get_a_thread(void **state)
{
    (void)state;
    assert_int_equal(threads_now(1), 1);
    int auto_threads = two_cpus() ? 2 : 1;
    rn_source_opts o = {0};

    /* ON: a thread for gzip from a callback too; none for plain input. */
    o.gzip_thread = RN_GZIP_THREAD_ON;
    rn_source *s = tst_chunked_source(ztext, ztext_len, 4096, &o);
    assert_int_equal(threads_after_a_block(s, 2), 2);
    rn_source_free(s);
    assert_int_equal(threads_now(1), 1);
    s = tst_chunked_source(text, text_len, 4096, &o);
    assert_int_equal(threads_after_a_block(s, 1), 1);
    rn_source_free(s);

    /* OFF: never. */
    o.gzip_thread = RN_GZIP_THREAD_OFF;
    s = rn_source_mem(ztext, ztext_len, &o);
    assert_int_equal(threads_after_a_block(s, 1), 1);
    rn_source_free(s);

    /* AUTO: memory and regular files, read() or a descriptor; not a
     * callback, not mmap. */
    o.gzip_thread = RN_GZIP_THREAD_AUTO;
    s = rn_source_mem(ztext, ztext_len, &o);
    assert_int_equal(threads_after_a_block(s, auto_threads), auto_threads);
    rn_source_free(s);
    assert_int_equal(threads_now(1), 1);
    char *path = tst_write_temp(ztext, ztext_len);
    assert_non_null(path);
    s = rn_source_file(path, &o);
    assert_int_equal(threads_after_a_block(s, auto_threads), auto_threads);
    rn_source_free(s);
    assert_int_equal(threads_now(1), 1);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    s = rn_source_fd(fileno(f), &o);
    assert_int_equal(threads_after_a_block(s, auto_threads), auto_threads);
    rn_source_free(s);
    fclose(f);
    assert_int_equal(threads_now(1), 1);
    s = tst_chunked_source(ztext, ztext_len, 4096, &o);
    assert_int_equal(threads_after_a_block(s, 1), 1);
    rn_source_free(s);
    o.mmap = RN_MMAP_ALWAYS;
    s = rn_source_file(path, &o);
    assert_int_equal(threads_after_a_block(s, 1), 1);
    rn_source_free(s);
    unlink(path);
    free(path);
}

/* Memory depends on the options only: under AUTO the peak is the same for
 * a small and a large gzip file. */
static void test_auto_constant_memory(void **state)
{
    (void)state;
    size_t sizes[2] = {1000, text_len}, peaks[2];
    for (int i = 0; i < 2; i++) {
        size_t zlen;
        unsigned char *z = gz(text, sizes[i], &zlen);
        char *path = tst_write_temp(z, zlen);
        tst_alloc ta = tst_alloc_init();
        rn_allocator a = tst_allocator(&ta);
        rn_source_opts o = {0};
        o.allocator = &a;
        rn_source *s = rn_source_file(path, &o);
        tst_buf out = {0};
        assert_int_equal(tst_source_drain(s, &out, NULL), RN_DONE);
        assert_int_equal(out.len, sizes[i]);
        rn_source_free(s);
        tst_buf_free(&out);
        assert_int_equal(ta.live, 0);
        peaks[i] = ta.peak;
        unlink(path);
        free(path);
        free(z);
    }
    assert_int_equal(peaks[0], peaks[1]);
}

/* ---- stopping it --------------------------------------------------------- */

/* Frees the source after k blocks: before the thread starts (k = 0), right
 * after a block while the worker inflates, and after a pause in which the
 * worker has filled the ring and waits. Nothing leaks, nothing hangs. */
static void test_free_at_any_point(void **state)
{
    (void)state;
    static const size_t ks[] = {0, 1, 2, 3, 4, 5, 10, 100};
    for (int pause = 0; pause < 2; pause++) {
        for (size_t i = 0; i < sizeof ks / sizeof *ks; i++) {
            tst_alloc ta = tst_alloc_init();
            rn_allocator a = tst_allocator(&ta);
            rn_source_opts o = {0};
            o.allocator = &a;
            o.block_size = 4096;
            o.gzip_thread = RN_GZIP_THREAD_ON;
            rn_source *s = rn_source_mem(ztext, ztext_len, &o);
            tst_buf out = {0};
            for (size_t k = 0; k < ks[i]; k++) {
                const char *p;
                size_t n;
                assert_int_equal(rn__source_next(s, &p, &n), RN_ROW);
                tst_buf_add(&out, p, n);
            }
            assert_memory_equal(out.p, text, out.len);
            if (pause)
                sleep_ms(20);
            rn_source_free(s);
            tst_buf_free(&out);
            assert_int_equal(ta.live, 0);
            assert_int_equal(ta.nlive, 0);
            assert_int_equal(threads_now(1), 1);
        }
    }
}

/* A stage that stops early (head) frees the chain with the worker still
 * going. */
static void test_head_frees_the_thread(void **state)
{
    (void)state;
    for (uint64_t n = 1; n <= 10000; n *= 10) {
        tst_alloc ta = tst_alloc_init();
        rn_allocator a = tst_allocator(&ta);
        rn_source_opts o = {0};
        o.allocator = &a;
        o.gzip_thread = RN_GZIP_THREAD_ON;
        rn_iter *it = rn_head_new(rn_lines_new(rn_source_mem(ztext, ztext_len,
                                                             &o),
                                               NULL),
                                  n);
        char *out;
        size_t outlen;
        assert_int_equal(tst_drain(it, &out, &outlen), RN_DONE);
        size_t want = 0;
        for (uint64_t k = 0; k < n; k++)
            want = (size_t)((const char *)memchr(text + want, '\n',
                                                 text_len - want) -
                            text) +
                   1;
        assert_int_equal(outlen, want);
        assert_memory_equal(out, text, want);
        free(out);
        rn_free(it);
        assert_int_equal(ta.live, 0);
        assert_int_equal(threads_now(1), 1);
    }
}

/* The stop flag ends the source at the next block, the worker still
 * running; freeing then stops it. */
static void test_stop_flag(void **state)
{
    (void)state;
    volatile int stop = 0;
    rn_source_opts o = {0};
    o.gzip_thread = RN_GZIP_THREAD_ON;
    o.block_size = 4096;
    o.stop = &stop;
    rn_source *s = tst_chunked_source(ztext, ztext_len, 1000, &o);
    const char *p;
    size_t n, total = 0;
    for (int k = 0; k < 10; k++) {
        assert_int_equal(rn__source_next(s, &p, &n), RN_ROW);
        total += n;
    }
    stop = 1;
    assert_int_equal(rn__source_next(s, &p, &n), RN_DONE);
    assert_int_equal(rn__source_next(s, &p, &n), RN_DONE);
    assert_int_equal(total, 10 * 4096);
    rn_source_free(s);
    assert_int_equal(threads_now(1), 1);
}

/* ---- where it must not run ----------------------------------------------- */

/* A push source inflates in the pulling thread even when asked for a
 * thread: rn_feed() fills it from there. */
static void test_push_never_threads(void **state)
{
    (void)state;
    rn_source_opts o = {0};
    o.gzip_thread = RN_GZIP_THREAD_ON;
    rn_source *src = rn_source_push(&o);
    rn_iter *it = rn_lines_new(src, NULL);
    size_t pos = 0, lines = 0;
    const rn_record *rec;
    int rc = RN_AGAIN;
    while (rc == RN_AGAIN) {
        size_t k = ztext_len - pos < 7777 ? ztext_len - pos : 7777;
        rc = k ? rn_feed(src, ztext + pos, k) : rn_feed_end(src);
        pos += k;
        assert_int_equal(rc, RN_OK);
        while ((rc = rn_next(it, &rec)) == RN_ROW)
            lines++;
        assert_int_equal(threads_now(1), 1);
    }
    assert_int_equal(rc, RN_DONE);
    size_t want = 0;
    for (size_t i = 0; i < text_len; i++)
        want += text[i] == '\n';
    assert_int_equal(lines, want + (text[text_len - 1] != '\n'));
    rn_free(it);
}

/* An input that answers RN_AGAIN cannot be waited for in the thread: after
 * detection (in the caller's thread, where RN_AGAIN passes up as always)
 * the worker reports RN_EMISUSE, after the blocks before it. */
static void test_again_in_thread_is_misuse(void **state)
{
    (void)state;
    rn_source_opts o = {0};
    o.gzip_thread = RN_GZIP_THREAD_ON;
    tst_fault f = {0};
    f.chunk = 100;
    f.again = true;
    rn_source *s = tst_fault_source(ztext, ztext_len, &f, &o);
    tst_buf out = {0};
    int rc;
    while ((rc = tst_source_drain(s, &out, NULL)) == RN_AGAIN)
        ;
    assert_int_equal(rc, RN_EMISUSE);
    assert_non_null(strstr(rn_source_errmsg(s),
                           "faulty: the input asked to be called again"));
    assert_true(out.len < text_len);
    if (out.len)
        assert_memory_equal(out.p, text, out.len);
    rn_source_free(s);
    tst_buf_free(&out);
}

/* ---- what the reader's side sees ----------------------------------------- */

typedef struct progress_log {
    uint64_t last;
    size_t calls;
    bool backwards;
} progress_log;

static void on_progress(void *ud, uint64_t bytes)
{
    progress_log *pl = ud;
    if (bytes < pl->last)
        pl->backwards = true;
    pl->last = bytes;
    pl->calls++;
}

/* Bytes read and progress come from the worker's counts with each block:
 * they never go back, never pass the input, and end at all of it. */
static void test_bytes_read_and_progress(void **state)
{
    (void)state;
    progress_log pl = {0};
    rn_source_opts o = {0};
    o.gzip_thread = RN_GZIP_THREAD_ON;
    o.block_size = 4096;
    o.progress = on_progress;
    o.progress_ud = &pl;
    rn_source *s = tst_chunked_source(ztext, ztext_len, 1000, &o);
    const char *p;
    size_t n, blocks = 0;
    uint64_t last = 0;
    int rc;
    while ((rc = rn__source_next(s, &p, &n)) == RN_ROW) {
        uint64_t b = rn_source_bytes_read(s);
        assert_true(b >= last && b <= ztext_len);
        last = b;
        blocks++;
    }
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(rn_source_bytes_read(s), ztext_len);
    assert_false(pl.backwards);
    assert_int_equal(pl.calls, blocks);
    assert_true(pl.last <= ztext_len && pl.last > ztext_len / 2);
    rn_source_free(s);
}

/* Random corruptions and cuts: the thread gives what the caller's thread
 * gives, byte for byte, with the same code, message and bytes read. */
static void test_same_as_inline(void **state)
{
    (void)state;
    size_t n = 60000;
    char *t = text_bytes(n, 11);
    size_t zlen;
    unsigned char *z = gz(t, n, &zlen);
    unsigned char *bad = malloc(zlen);
    uint64_t seed = 99;
    static const size_t chunks[] = {1, 7, 4096};
    for (int round = 0; round < 300; round++) {
        memcpy(bad, z, zlen);
        size_t len = zlen;
        switch (round % 3) {
        case 0: /* a flipped byte */
            bad[tst_rnd(&seed) % zlen] ^= (unsigned char)(1 + tst_rnd(&seed) % 255);
            break;
        case 1: /* a cut */
            len = (size_t)(tst_rnd(&seed) % zlen);
            break;
        default: /* a run of garbage */
            for (size_t i = tst_rnd(&seed) % zlen, k = 0; i < zlen && k < 16;
                 i++, k++)
                bad[i] = (unsigned char)tst_rnd(&seed);
            break;
        }
        size_t chunk = chunks[round % 3 == 0 ? (round / 3) % 3 : 2];
        tst_buf out[2] = {{0}, {0}};
        int rc[2];
        char msg[2][RN__ERRMSG_MAX];
        uint64_t raw[2];
        for (int m = 0; m < 2; m++) {
            rn_source_opts o = {0};
            o.block_size = 5000;
            o.gzip_thread = m ? RN_GZIP_THREAD_ON : RN_GZIP_THREAD_OFF;
            rn_source *s = tst_chunked_source(bad, len, chunk, &o);
            rc[m] = tst_source_drain(s, &out[m], NULL);
            snprintf(msg[m], sizeof msg[m], "%s", rn_source_errmsg(s));
            raw[m] = rn_source_bytes_read(s);
            rn_source_free(s);
        }
        if (rc[0] != rc[1] || strcmp(msg[0], msg[1]) != 0)
            fail_msg("round %d: inline %d '%s', thread %d '%s'", round, rc[0],
                     msg[0], rc[1], msg[1]);
        assert_int_equal(out[0].len, out[1].len);
        if (out[0].len)
            assert_memory_equal(out[0].p, out[1].p, out[0].len);
        assert_int_equal(raw[0], raw[1]);
        tst_buf_free(&out[0]);
        tst_buf_free(&out[1]);
    }
    free(bad);
    free(z);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_which_sources_get_a_thread),
        cmocka_unit_test(test_auto_constant_memory),
        cmocka_unit_test(test_free_at_any_point),
        cmocka_unit_test(test_head_frees_the_thread),
        cmocka_unit_test(test_stop_flag),
        cmocka_unit_test(test_push_never_threads),
        cmocka_unit_test(test_again_in_thread_is_misuse),
        cmocka_unit_test(test_bytes_read_and_progress),
        cmocka_unit_test(test_same_as_inline),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
