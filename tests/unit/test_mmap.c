/*
 * test_mmap.c - the sliding-window mmap source: blocks concatenate to the
 * file at every window size, no block exceeds a window, only one window is
 * mapped at a time, the descriptor is closed, gzip files inflate, and
 * out-of-memory at each allocation is reported without leaks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "support.h"
#include "source/source_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static char *random_bytes(size_t n)
{
    char *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        p[i] = (char)(rng_state & 0xff);
    }
    /* Not the gzip magic: these files must pass through as they are. */
    if (n)
        p[0] = 'x';
    return p;
}

static size_t page_size(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    return ps > 0 ? (size_t)ps : 4096;
}

/* The window the source must use for a requested one. */
static size_t expected_window(size_t asked)
{
    size_t page = page_size();
    size_t w = asked ? asked : 1024 * 1024;
    return (w + page - 1) / page * page;
}

static const size_t sizes[] = {0, 1, 4095, 4096, 4097, 3 * 1000 * 1000 + 17};
static const size_t windows[] = {4096, 8192, 0, 5000};

static void test_sizes_and_windows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        char *data = random_bytes(sizes[i]);
        char *path = tst_write_temp(data, sizes[i]);
        assert_non_null(path);
        for (size_t j = 0; j < sizeof windows / sizeof *windows; j++) {
            size_t w = expected_window(windows[j]);
            rn_source_opts o = {0};
            o.mmap = RN_MMAP_ALWAYS;
            o.mmap_window = windows[j];
            rn_source *s = rn_source_file(path, &o);
            assert_non_null(s);
            tst_buf out = {0};
            assert_int_equal(tst_source_drain(s, &out, path), RN_DONE);
            assert_int_equal(out.len, sizes[i]);
            if (sizes[i])
                assert_memory_equal(out.p, data, sizes[i]);
            assert_true(out.max_block <= w);
            /* One block per window: the file really was mapped, not read
             * in block_size pieces. */
            assert_int_equal(out.blocks, (sizes[i] + w - 1) / w);
            assert_int_equal(rn_source_bytes_read(s), sizes[i]);
            assert_int_equal(rn_source_status(s), RN_DONE);
            rn_source_free(s);
            assert_int_equal(tst_mappings_of(path), 0);
            tst_buf_free(&out);
        }
        unlink(path);
        free(path);
        free(data);
    }
}

/* At the source itself: every block but the last is a full window, the
 * previous window is unmapped before the next, and close closes the fd. */
static void test_direct(void **state)
{
    (void)state;
    size_t size = 10 * 8192 + 100;
    char *data = random_bytes(size);
    char *path = tst_write_temp(data, size);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    rn_source_opts o = {0};
    o.mmap_window = 8192;
    rn_source *s = rn__mmap_new(fd, size, "direct", &o);
    assert_non_null(s);
    assert_int_equal(tst_mappings_of(path), 0);
    const char *p;
    size_t n, at = 0;
    int rc;
    while ((rc = rn__source_next(s, &p, &n)) == RN_ROW) {
        assert_int_equal(n, size - at < 8192 ? size - at : 8192);
        assert_memory_equal(p, data + at, n);
        at += n;
        assert_int_equal(s->raw_bytes, at);
        assert_int_equal(tst_mappings_of(path), 1);
    }
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(at, size);
    assert_int_equal(tst_mappings_of(path), 0);
    assert_int_equal(rn__source_next(s, &p, &n), RN_DONE);
    rn_source_free(s);
    errno = 0;
    assert_int_equal(fcntl(fd, F_GETFD), -1);
    assert_int_equal(errno, EBADF);
    unlink(path);
    free(path);
    free(data);
}

/* A file that shrinks while it is read: with the mmap source, truncated
 * between windows, it ends where its data now ends (no SIGBUS); at a page
 * boundary, and to less than what was already handed out. With read() (the
 * default) any truncation simply ends the input early. */
static void check_shrink(size_t keep, int mode)
{
    size_t size = 10 * 8192 + 100;
    char *data = random_bytes(size);
    char *path = tst_write_temp(data, size);
    rn_source_opts o = {0};
    o.mmap = mode;
    o.mmap_window = 8192;
    o.block_size = 8192;
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    rn_source *src = mode == RN_MMAP_ALWAYS ? rn__mmap_new(fd, size, "shrink", &o)
                                            : rn_source_fd(fd, &o);
    assert_non_null(src);
    const char *p;
    size_t n, at = 0;
    int rc = rn__source_next(src, &p, &n);
    assert_int_equal(rc, RN_ROW);
    assert_memory_equal(p, data, n);
    at += n;
    assert_int_equal(truncate(path, (off_t)keep), 0);
    while ((rc = rn__source_next(src, &p, &n)) == RN_ROW) {
        assert_true(at + n <= size);
        assert_memory_equal(p, data + at, n);
        at += n;
    }
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(at, keep > 8192 ? keep : 8192);
    rn_source_free(src);
    if (mode != RN_MMAP_ALWAYS)
        close(fd);
    unlink(path);
    free(path);
    free(data);
}

static void test_file_shrinks_while_read(void **state)
{
    (void)state;
    static const size_t keeps[] = {5 * 8192, 5 * 8192 + 77, 8192, 100, 0};
    for (size_t i = 0; i < sizeof keeps / sizeof *keeps; i++) {
        check_shrink(keeps[i], RN_MMAP_ALWAYS);
        check_shrink(keeps[i], RN_MMAP_NEVER);
    }
}

/* An empty file ends at once and closes its fd; so does freeing a source
 * that was never stepped, with a window still unmapped. */
static void test_empty_and_unstepped(void **state)
{
    (void)state;
    char *path = tst_write_temp("", 0);
    int fd = open(path, O_RDONLY);
    rn_source *s = rn__mmap_new(fd, 0, "empty", NULL);
    const char *p;
    size_t n;
    assert_int_equal(rn__source_next(s, &p, &n), RN_DONE);
    assert_int_equal(s->raw_bytes, 0);
    rn_source_free(s);
    assert_int_equal(fcntl(fd, F_GETFD), -1);
    unlink(path);
    free(path);

    char *data = random_bytes(20000);
    path = tst_write_temp(data, 20000);
    fd = open(path, O_RDONLY);
    s = rn__mmap_new(fd, 20000, "held", NULL);
    assert_int_equal(rn__source_next(s, &p, &n), RN_ROW);
    assert_int_equal(n, 20000);
    assert_int_equal(tst_mappings_of(path), 1);
    rn_source_free(s);
    assert_int_equal(tst_mappings_of(path), 0);
    assert_int_equal(fcntl(fd, F_GETFD), -1);
    unlink(path);
    free(path);
    free(data);
}

/* The size given at construction bounds what is read, even if the file is
 * longer by then. */
static void test_size_from_construction(void **state)
{
    (void)state;
    char *data = random_bytes(10000);
    char *path = tst_write_temp(data, 10000);
    int fd = open(path, O_RDONLY);
    rn_source_opts o = {0};
    o.mmap_window = 4096;
    rn_source *s = rn__mmap_new(fd, 9000, "prefix", &o);
    tst_buf out = {0};
    assert_int_equal(tst_source_drain(s, &out, NULL), RN_DONE);
    assert_int_equal(out.len, 9000);
    assert_memory_equal(out.p, data, 9000);
    rn_source_free(s);
    tst_buf_free(&out);
    unlink(path);
    free(path);
    free(data);
}

/* A file that cannot be mapped (procfs has no mmap) is read with pread(),
 * up to the size given or to its real end, whichever comes first. */
static void test_fallback_to_read(void **state)
{
    (void)state;
    const char *path = "/proc/self/maps";
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        skip();
    rn_source_opts o = {0};
    o.block_size = 100;
    rn_source *s = rn__mmap_new(fd, 1 << 20, "procfs", &o);
    tst_buf out = {0};
    assert_int_equal(tst_source_drain(s, &out, NULL), RN_DONE);
    assert_true(out.len > 100);
    assert_int_equal(out.max_block, 100);
    assert_int_equal(s->raw_bytes, out.len);
    /* The maps are text lines ending in a newline. */
    assert_int_equal(out.p[out.len - 1], '\n');
    assert_non_null(memchr(out.p, '-', out.len));
    rn_source_free(s);
    assert_int_equal(fcntl(fd, F_GETFD), -1);
    tst_buf_free(&out);

    /* With a size below the real one, it stops at that size. */
    fd = open(path, O_RDONLY);
    s = rn__mmap_new(fd, 250, "procfs", &o);
    assert_int_equal(tst_source_drain(s, &out, NULL), RN_DONE);
    assert_int_equal(out.len, 250);
    assert_int_equal(out.blocks, 3);
    rn_source_free(s);
    tst_buf_free(&out);
}

static char *text_bytes(size_t n)
{
    char *p = malloc(n + 64);
    size_t len = 0;
    for (unsigned i = 0; len < n; i++)
        len += (size_t)snprintf(p + len, 64, "2024-05-%02u|INFO|request %u ok\n",
                                i % 28 + 1, i * 7919u % 100000);
    return p;
}

static void test_gzip_file(void **state)
{
    (void)state;
    size_t n = 2 * 1000 * 1000;
    char *t = text_bytes(n);
    size_t zlen;
    void *z = tst_gzip(t, n, &zlen);
    assert_non_null(z);
    char *path = tst_write_temp(z, zlen);
    for (size_t j = 0; j < sizeof windows / sizeof *windows; j++) {
        rn_source_opts o = {0};
        o.mmap = RN_MMAP_ALWAYS;
        o.mmap_window = windows[j];
        rn_source *s = rn_source_file(path, &o);
        tst_buf out = {0};
        assert_int_equal(tst_source_drain(s, &out, path), RN_DONE);
        assert_int_equal(out.len, n);
        assert_memory_equal(out.p, t, n);
        assert_int_equal(rn_source_bytes_read(s), zlen);
        rn_source_free(s);
        tst_buf_free(&out);
    }
    unlink(path);
    free(path);
    free(z);
    free(t);
}

static void test_failing_allocator(void **state)
{
    (void)state;
    size_t n = 300000;
    char *t = text_bytes(n);
    size_t zlen;
    void *z = tst_gzip(t, n, &zlen);
    char *paths[2] = {tst_write_temp(t, n), tst_write_temp(z, zlen)};
    for (int gzip = 0; gzip < 2; gzip++) {
        bool finished = false;
        for (long f = 0; !finished; f++) {
            assert_true(f < 1000);
            tst_alloc ta = tst_alloc_init();
            ta.fail_at = f;
            rn_allocator a = tst_allocator(&ta);
            rn_source_opts o = {0};
            o.allocator = &a;
            o.mmap = RN_MMAP_ALWAYS;
            o.mmap_window = 65536;
            rn_source *s = rn_source_file(paths[gzip], &o);
            if (s) {
                tst_buf out = {0};
                int rc = tst_source_drain(s, &out, NULL);
                if (ta.failed) {
                    assert_int_equal(rc, RN_ENOMEM);
                } else {
                    assert_int_equal(rc, RN_DONE);
                    assert_int_equal(out.len, n);
                    assert_memory_equal(out.p, t, n);
                    finished = true;
                }
                rn_source_free(s);
                tst_buf_free(&out);
            } else {
                assert_true(ta.failed);
            }
            assert_int_equal(ta.live, 0);
            assert_int_equal(ta.nlive, 0);
            assert_int_equal(tst_mappings_of(paths[gzip]), 0);
        }
    }
    for (int i = 0; i < 2; i++) {
        unlink(paths[i]);
        free(paths[i]);
    }
    free(z);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes_and_windows),
        cmocka_unit_test(test_direct),
        cmocka_unit_test(test_file_shrinks_while_read),
        cmocka_unit_test(test_empty_and_unstepped),
        cmocka_unit_test(test_size_from_construction),
        cmocka_unit_test(test_fallback_to_read),
        cmocka_unit_test(test_gzip_file),
        cmocka_unit_test(test_failing_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
