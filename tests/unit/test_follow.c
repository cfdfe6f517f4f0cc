/*
 * test_follow.c - the tail -F source. A writer thread appends numbered lines,
 * rotates the file, truncates it and then sets the stop flag, while the test
 * reads through the line reader and checks that every line arrives once, in
 * order. The writer waits on what the reader has seen (an atomic counter)
 * rather than on sleeps wherever the outcome depends on the order of events.
 * A stat() seam rotates the file at the one moment where only draining the
 * old descriptor saves the last lines. Also: stop ends an idle wait (set by a
 * thread, or by a signal handler that interrupts poll()), a file created
 * later is picked up, open errors, every block size, the sleeping fallback
 * without inotify, and failing allocations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "support.h"
#include "source/source_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LINE_LEN 12 /* "line 000001\n" */
#define WAIT_LIMIT_MS 5000

/* ---- helpers ----------------------------------------------------------- */

/* cmocka's asserts longjmp, which must not happen on a writer thread: there
 * a failed check ends the process, which fails the test all the same. */
#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: check failed: %s (errno %d)\n",        \
                    __FILE__, __LINE__, #cond, errno);                     \
            abort();                                                       \
        }                                                                  \
    } while (0)

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* A fresh directory for one test, so the files in it are all ours. */
static char *make_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = malloc(4096);
    assert_non_null(dir);
    snprintf(dir, 4096, "%s/rn_follow_XXXXXX", tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    return dir;
}

static void join_path(char *out, const char *dir, const char *name)
{
    int k = snprintf(out, 4096, "%s/%s", dir, name);
    CHECK(k > 0 && k < 4096);
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        CHECK(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

/* Appends lines *next, *next + 1, ... one write() each. */
static void write_lines(int fd, long *next, long count)
{
    char line[32];
    for (long i = 0; i < count; i++) {
        int k = snprintf(line, sizeof line, "line %06ld\n", (*next)++);
        CHECK(k == LINE_LEN);
        write_all(fd, line, LINE_LEN);
    }
}

/* Open descriptors of this process whose link starts with prefix. */
static int count_fds(const char *prefix)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
            continue;
        char link[4096];
        ssize_t n = readlinkat(dirfd(d), e->d_name, link, sizeof link - 1);
        if (n < 0)
            continue;
        link[n] = '\0';
        if (strncmp(link, prefix, strlen(prefix)) == 0)
            count++;
    }
    closedir(d);
    return count;
}

/* The number in "line 000042", or -1 when the record is not such a line. */
static long line_number(const rn_record *rec)
{
    char tmp[32];
    if (rec->nfields != 1 || rec->fields[0].len != LINE_LEN - 1)
        return -1;
    memcpy(tmp, rec->fields[0].ptr, LINE_LEN - 1);
    tmp[LINE_LEN - 1] = '\0';
    long n;
    char end;
    if (sscanf(tmp, "line %6ld%c", &n, &end) != 1)
        return -1;
    return n;
}

/* ---- the shared state of a writer thread and the reading test ----------- */

typedef struct follow_run {
    char dir[4096];
    char path[4096];
    char rotated[4096];
    volatile int stop;  /* the source's stop flag */
    atomic_long seen;   /* the highest line number the reader has seen */
    long written;       /* lines written; read after the join */
    int timed_out;      /* the writer waited in vain for the reader */
} follow_run;

static void run_init(follow_run *r, const char *dir)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    join_path(r->path, dir, "app.log");
    join_path(r->rotated, dir, "app.log.1");
    atomic_init(&r->seen, 0);
}

/* Waits until the reader has seen line n; on timeout notes it and goes on,
 * so that a broken source fails the test instead of hanging it. */
static void wait_seen(follow_run *r, long n)
{
    long deadline = now_ms() + WAIT_LIMIT_MS;
    while (atomic_load(&r->seen) < n) {
        if (now_ms() > deadline) {
            r->timed_out = 1;
            return;
        }
        sleep_ms(1);
    }
}

static void set_stop(follow_run *r)
{
    /* A sequentially consistent store: the reader sees the flag only after
     * every write() above it (a signal handler's store is ordered anyway). */
    __atomic_store_n(&r->stop, 1, __ATOMIC_SEQ_CST);
}

/* Reads it to its end. *count gets the lines and *first_bad the first line
 * number that was expected and did not come (0 when all came in order). */
static int read_all(follow_run *r, rn_iter *it, long *count, long *first_bad)
{
    const rn_record *rec;
    int rc;
    long expect = 1;
    *count = 0;
    *first_bad = 0;
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        long n = line_number(rec);
        if (n != expect && *first_bad == 0)
            *first_bad = expect;
        if (n > 0)
            expect = n + 1;
        (*count)++;
        if (n > atomic_load(&r->seen))
            atomic_store(&r->seen, n);
    }
    return rc;
}

/* ---- append, rotate, truncate, stop ------------------------------------ */

#define PRE_TRUNC_LINES 200  /* lines in the new file before the truncation */
#define POST_TRUNC_LINES 80  /* after it; fewer bytes, or it cannot be seen */

static void *scenario_writer(void *arg)
{
    follow_run *r = arg;
    long next = r->written + 1;
    int fd = open(r->path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0);

    /* Appends in bursts with short pauses, so the reader waits in between. */
    for (int b = 0; b < 10; b++) {
        write_lines(fd, &next, 50);
        sleep_ms(2);
    }
    /* A burst right before the rotation, no pause: these lines are in the
     * old file only, and the source must drain it before it switches. */
    write_lines(fd, &next, 300);
    CHECK(rename(r->path, r->rotated) == 0);
    close(fd);
    fd = open(r->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0644);
    CHECK(fd >= 0);
    for (int b = 0; b < PRE_TRUNC_LINES / 40; b++) {
        write_lines(fd, &next, 40);
        sleep_ms(2);
    }

    /* Truncation is visible only once the reader is past the new size: wait
     * until it has read the whole new file, then truncate in place and write
     * less than was there. */
    wait_seen(r, next - 1);
    CHECK(ftruncate(fd, 0) == 0);
    for (int b = 0; b < POST_TRUNC_LINES / 20; b++) {
        write_lines(fd, &next, 20);
        sleep_ms(2);
    }
    close(fd);
    r->written = next - 1;
    /* No waiting for the reader here: the lines written before the stop
     * must still all come out. */
    set_stop(r);
    return NULL;
}

/* Hides inotify from the source: with one free descriptor left, the file's
 * open() takes it and inotify_init1() fails, so the source must sleep. */
static rn_iter *open_without_inotify(const char *path, const rn_source_opts *o)
{
    struct rlimit old, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = old;
    if (low.rlim_cur > 256)
        low.rlim_cur = 256;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    int fds[256], nfds = 0;
    int fd;
    while (nfds < 256 && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
        fds[nfds++] = fd;
    assert_true(nfds > 0 && nfds < 256);
    close(fds[--nfds]);
    rn_iter *it = rn_lines_new(rn_source_file(path, o), NULL);
    while (nfds > 0)
        close(fds[--nfds]);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    return it;
}

static void run_scenario(size_t block, bool no_inotify)
{
    alarm(30); /* a source that ignores stop fails loudly, never hangs */
    char *dir = make_dir();
    follow_run *r = malloc(sizeof *r);
    assert_non_null(r);
    run_init(r, dir);

    /* Lines already in the file when following starts come out first. */
    int fd = open(r->path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    long next = 1;
    write_lines(fd, &next, 10);
    close(fd);
    r->written = next - 1;

    int inotify_before = count_fds("anon_inode:inotify");
    rn_source_opts o = {0};
    o.follow = 1;
    o.poll_ms = 20;
    o.stop = &r->stop;
    o.block_size = block;
    rn_iter *it = no_inotify ? open_without_inotify(r->path, &o)
                             : rn_lines_new(rn_source_file(r->path, &o), NULL);
    assert_non_null(it);
    assert_int_equal(rn_status(it), RN_OK);
    assert_int_equal(count_fds("anon_inode:inotify"),
                     inotify_before + (no_inotify ? 0 : 1));

    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, scenario_writer, r), 0);
    long count, first_bad;
    int rc = read_all(r, it, &count, &first_bad);
    pthread_join(th, NULL);

    assert_int_equal(rc, RN_DONE);
    assert_false(r->timed_out);
    assert_int_equal(first_bad, 0);
    assert_int_equal(count, r->written);
    assert_int_equal(atomic_load(&r->seen), r->written);
    assert_int_equal(r->written,
                     10 + 800 + PRE_TRUNC_LINES + POST_TRUNC_LINES);
    /* Done is sticky. */
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_DONE);

    rn_free(it);
    /* Every descriptor is closed: the files and inotify. */
    assert_int_equal(count_fds(dir), 0);
    assert_int_equal(count_fds("anon_inode:inotify"), inotify_before);
    unlink(r->path);
    unlink(r->rotated);
    rmdir(dir);
    free(r);
    free(dir);
    alarm(0);
}

static void test_rotate_truncate(void **state)
{
    (void)state;
    run_scenario(0, false);
}

static void test_rotate_truncate_small_blocks(void **state)
{
    (void)state;
    run_scenario(7, false); /* lines straddle blocks; reads split them */
}

static void test_rotate_truncate_without_inotify(void **state)
{
    (void)state;
    run_scenario(0, true);
}

/* ---- the drain before a switch, made deterministic ---------------------- */

/* A seam: the library's stat() lands here, because a definition in the test
 * program wins over libc's (the same headers give it the same symbol, stat64
 * under _FILE_OFFSET_BITS=64). hook runs once, at the first stat() of
 * hook_path, which is the moment the source has read its file to the end
 * and looks whether the path moved on. */
static void (*hook)(void);
static const char *hook_path;

int stat(const char *restrict path, struct stat *restrict st)
{
    if (hook && hook_path && strcmp(path, hook_path) == 0) {
        void (*h)(void) = hook;
        hook = NULL;
        h();
    }
    return fstatat(AT_FDCWD, path, st, 0);
}

static follow_run *hook_run;

/* Lines land in the old file after the source's last read() of it, and the
 * file is rotated before its stat(): only a drain of the old descriptor
 * still finds lines 11..60. */
static void append_and_rotate(void)
{
    follow_run *r = hook_run;
    long next = r->written + 1;
    int fd = open(r->path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0);
    write_lines(fd, &next, 50);
    close(fd);
    CHECK(rename(r->path, r->rotated) == 0);
    fd = open(r->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0644);
    CHECK(fd >= 0);
    write_lines(fd, &next, 10);
    close(fd);
    r->written = next - 1;
}

static void test_rotation_drains_old_file(void **state)
{
    (void)state;
    alarm(30);
    char *dir = make_dir();
    follow_run *r = malloc(sizeof *r);
    assert_non_null(r);
    run_init(r, dir);
    int fd = open(r->path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    long next = 1;
    write_lines(fd, &next, 10);
    close(fd);
    r->written = next - 1;

    rn_source_opts o = {0};
    o.follow = 1;
    o.poll_ms = 20;
    o.stop = &r->stop;
    rn_iter *it = rn_lines_new(rn_source_file(r->path, &o), NULL);
    assert_non_null(it);
    hook_run = r;
    hook_path = r->path;
    hook = append_and_rotate;

    const rn_record *rec;
    int rc;
    long expect = 1;
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        assert_int_equal(line_number(rec), expect);
        if (expect++ == 70)
            r->stop = 1; /* the source then catches up and ends */
    }
    assert_int_equal(rc, RN_DONE);
    assert_null(hook); /* it ran */
    assert_int_equal(r->written, 70);
    assert_int_equal(expect, 71);

    rn_free(it);
    hook_path = NULL;
    unlink(r->path);
    unlink(r->rotated);
    rmdir(dir);
    free(r);
    free(dir);
    alarm(0);
}

/* ---- stop -------------------------------------------------------------- */

typedef struct stopper {
    volatile int *flag;
    pthread_t target;    /* with use_signal: the thread to interrupt */
    bool use_signal;
    long stopped_at;     /* now_ms() when the stop was requested */
} stopper;

static volatile int signal_stop;

static void on_usr1(int sig)
{
    (void)sig;
    signal_stop = 1;
}

static void *stopper_main(void *arg)
{
    stopper *st = arg;
    /* The reader has long been waiting by now; had it not, it would see the
     * flag at its next check all the same. */
    sleep_ms(150);
    st->stopped_at = now_ms();
    if (st->use_signal)
        pthread_kill(st->target, SIGUSR1);
    else
        __atomic_store_n(st->flag, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void run_stop(bool use_signal)
{
    alarm(30);
    char *dir = make_dir();
    char path[4096];
    join_path(path, dir, "idle.log");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    long next = 1;
    write_lines(fd, &next, 3);
    close(fd);

    volatile int flag = 0;
    signal_stop = 0;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: poll() must see EINTR */
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);

    rn_source_opts o = {0};
    o.follow = 1;
    /* With the signal, a long poll_ms proves that EINTR ends the wait. */
    o.poll_ms = use_signal ? 3000 : 20;
    o.stop = use_signal ? &signal_stop : &flag;
    rn_iter *it = rn_lines_new(rn_source_file(path, &o), NULL);
    assert_non_null(it);
    const rn_record *rec;
    for (long i = 1; i <= 3; i++) {
        assert_int_equal(rn_next(it, &rec), RN_ROW);
        assert_int_equal(line_number(rec), i);
    }

    stopper st = {&flag, pthread_self(), use_signal, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, stopper_main, &st), 0);
    int rc = rn_next(it, &rec);
    long done_at = now_ms();
    pthread_join(th, NULL);
    assert_int_equal(rc, RN_DONE);
    /* Well under poll_ms (3 s in the signal case): the stop, or the signal
     * interrupting poll(), ended the wait, not the timeout. */
    assert_true(done_at - st.stopped_at < 2500);
    assert_int_equal(rn_next(it, &rec), RN_DONE);

    rn_free(it);
    assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
    unlink(path);
    rmdir(dir);
    free(dir);
    alarm(0);
}

static void test_stop_idle(void **state)
{
    (void)state;
    run_stop(false);
}

static void test_stop_by_signal(void **state)
{
    (void)state;
    run_stop(true);
}

/* ---- a file that appears later ----------------------------------------- */

typedef struct creator {
    follow_run *r;
    bool by_rename; /* build it under another name, then rename it in place */
} creator;

static void *creator_main(void *arg)
{
    creator *c = arg;
    follow_run *r = c->r;
    char tmp[4096];
    join_path(tmp, r->dir, "app.log.tmp");
    sleep_ms(50); /* let the source wait for the file first */
    int fd = open(c->by_rename ? tmp : r->path,
                  O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0644);
    CHECK(fd >= 0);
    long next = 1;
    write_lines(fd, &next, 100);
    if (c->by_rename)
        CHECK(rename(tmp, r->path) == 0);
    /* Picked up while following, not only in the last pass after stop. */
    wait_seen(r, 100);
    write_lines(fd, &next, 100);
    wait_seen(r, 200);
    close(fd);
    r->written = next - 1;
    set_stop(r);
    return NULL;
}

static void run_created_later(bool by_rename)
{
    alarm(30);
    char *dir = make_dir();
    follow_run *r = malloc(sizeof *r);
    assert_non_null(r);
    run_init(r, dir);

    rn_source_opts o = {0};
    o.follow = 1;
    o.poll_ms = 20;
    o.stop = &r->stop;
    rn_iter *it = rn_lines_new(rn_source_file(r->path, &o), NULL);
    assert_non_null(it);
    assert_int_equal(rn_status(it), RN_OK); /* ENOENT waits */

    creator c = {r, by_rename};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, creator_main, &c), 0);
    long count, first_bad;
    int rc = read_all(r, it, &count, &first_bad);
    pthread_join(th, NULL);
    assert_int_equal(rc, RN_DONE);
    assert_false(r->timed_out);
    assert_int_equal(first_bad, 0);
    assert_int_equal(count, 200);
    assert_int_equal(r->written, 200);

    rn_free(it);
    unlink(r->path);
    rmdir(dir);
    free(r);
    free(dir);
    alarm(0);
}

static void test_created_later(void **state)
{
    (void)state;
    run_created_later(false);
}

static void test_created_later_by_rename(void **state)
{
    (void)state;
    run_created_later(true);
}

/* A missing file with stop already set: nothing to wait for. */
static void test_missing_then_stop(void **state)
{
    (void)state;
    char *dir = make_dir();
    char path[4096];
    join_path(path, dir, "no/such/dir/app.log");
    volatile int flag = 1;
    rn_source_opts o = {0};
    o.follow = 1;
    o.stop = &flag;
    rn_iter *it = rn_lines_new(rn_source_file(path, &o), NULL);
    assert_non_null(it);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_DONE);
    rn_free(it);
    rmdir(dir);
    free(dir);
}

/* ---- ticks ------------------------------------------------------------- */

/* With tick_ms the chain returns RN_AGAIN while it waits on an idle file,
 * and again once when the stop is first seen; nothing is lost around the
 * ticks: lines written between them arrive in order, and after the stop the
 * rest of the file is read before RN_DONE. */
static void test_ticks(void **state)
{
    (void)state;
    char *dir = make_dir();
    char path[4096];
    join_path(path, dir, "app.log");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    long next = 0;
    write_lines(fd, &next, 100);
    volatile int flag = 0;
    rn_source_opts o = {0};
    o.follow = 1;
    o.stop = &flag;
    o.tick_ms = 20;
    rn_iter *it = rn_lines_new(rn_source_file(path, &o), NULL);
    assert_non_null(it);
    const rn_record *rec;
    long seen = 0, ticks = 0;
    long t0 = now_ms();
    int rc;
    /* Three rounds: read what is there until a tick, then append more. */
    for (int round = 0; round < 3; round++) {
        while ((rc = rn_next(it, &rec)) == RN_ROW) {
            char want[32];
            snprintf(want, sizeof want, "line %06ld", seen++);
            assert_int_equal(rec->fields[0].len, LINE_LEN - 1);
            assert_memory_equal(rec->fields[0].ptr, want, LINE_LEN - 1);
        }
        assert_int_equal(rc, RN_AGAIN);
        ticks++;
        if (seen == next && round < 2)
            write_lines(fd, &next, 50);
        assert_true(now_ms() - t0 < WAIT_LIMIT_MS);
    }
    /* Idle: only ticks, about every 20 ms. */
    long idle0 = now_ms();
    for (int k = 0; k < 3; k++)
        assert_int_equal(rn_next(it, &rec), RN_AGAIN);
    assert_true(now_ms() - idle0 >= 30);
    write_lines(fd, &next, 10);
    flag = 1;
    /* The stop gives one tick (maybe after a regular one), then the rest. */
    while ((rc = rn_next(it, &rec)) != RN_DONE) {
        if (rc == RN_AGAIN) {
            ticks++;
            continue;
        }
        assert_int_equal(rc, RN_ROW);
        seen++;
    }
    assert_int_equal(seen, next);
    assert_true(ticks >= 4);
    rn_free(it);
    close(fd);
    unlink(path);
    rmdir(dir);
    free(dir);
}

/* ---- errors ------------------------------------------------------------ */

static void test_open_errors(void **state)
{
    (void)state;
    char *dir = make_dir();
    char file[4096], below[4096];
    join_path(file, dir, "plain");
    join_path(below, file, "x"); /* ENOTDIR: not something waiting mends */
    int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    close(fd);

    const char *paths[] = {dir, below};
    for (size_t i = 0; i < 2; i++) {
        rn_source_opts o = {0};
        o.follow = 1;
        rn_source *s = rn_source_file(paths[i], &o);
        assert_non_null(s);
        assert_int_equal(rn_source_status(s), RN_EIO);
        assert_non_null(strstr(rn_source_errmsg(s), paths[i]));
        rn_iter *it = rn_lines_new(s, NULL);
        const rn_record *rec;
        assert_int_equal(rn_next(it, &rec), RN_EIO);
        assert_non_null(strstr(rn_errmsg(it), paths[i]));
        rn_free(it);
    }
    unlink(file);
    rmdir(dir);
    free(dir);
}

/* ---- every block size --------------------------------------------------- */

/* With stop set before the first step, the source reads what the file holds
 * and ends: the blocks must concatenate to the file at every block size. */
static void test_block_sizes(void **state)
{
    (void)state;
    static const char text[] = "alpha\nbeta\r\n\ngamma delta epsilon\n"
                               "a line without its newline";
    size_t len = sizeof text - 1;
    char *path = tst_write_temp(text, len);
    assert_non_null(path);
    volatile int flag = 1;
    for (size_t block = 0; block <= 64; block++) {
        rn_source_opts o = {0};
        o.follow = 1;
        o.stop = &flag;
        o.block_size = block;
        rn_source *s = rn_source_file(path, &o);
        assert_non_null(s);
        char got[256];
        size_t glen = 0;
        const char *p;
        size_t n;
        int rc;
        while ((rc = rn__source_next(s, &p, &n)) == RN_ROW) {
            assert_true(n > 0);
            assert_true(n <= (block ? block : 128 * 1024));
            assert_true(glen + n <= sizeof got);
            memcpy(got + glen, p, n);
            glen += n;
        }
        assert_int_equal(rc, RN_DONE);
        assert_int_equal(glen, len);
        assert_memory_equal(got, text, len);
        assert_int_equal(rn_source_bytes_read(s), len);
        assert_int_equal(rn__source_next(s, &p, &n), RN_DONE);
        rn_source_free(s);
    }
    unlink(path);
    free(path);
}

/* ---- failing allocations ------------------------------------------------ */

static void test_alloc_failures(void **state)
{
    (void)state;
    static const char text[] = "one\ntwo\nthree\n";
    char *path = tst_write_temp(text, sizeof text - 1);
    assert_non_null(path);
    int fds_before = count_fds("");
    volatile int flag = 1;
    bool clean = false;
    for (long fail_at = 0; !clean && fail_at < 100; fail_at++) {
        tst_alloc t = tst_alloc_init();
        t.fail_at = fail_at;
        rn_allocator a = tst_allocator(&t);
        rn_source_opts o = {0};
        o.allocator = &a;
        o.follow = 1;
        o.stop = &flag;
        o.block_size = 4; /* lines span blocks: the reader's carry grows */
        rn_iter *it = rn_lines_new(rn_source_file(path, &o), NULL);
        if (it) {
            char *out;
            size_t outlen;
            int rc = tst_drain(it, &out, &outlen);
            if (t.failed) {
                assert_true(rc == RN_DONE || rc == RN_ENOMEM);
            } else {
                assert_int_equal(rc, RN_DONE);
                assert_int_equal(outlen, sizeof text - 1);
                assert_memory_equal(out, text, outlen);
            }
            free(out);
            rn_free(it);
        } else {
            assert_true(t.failed);
        }
        clean = !t.failed;
        assert_int_equal(t.live, 0);
        assert_int_equal(t.nlive, 0);
        assert_int_equal(count_fds(""), fds_before);
    }
    assert_true(clean);
    unlink(path);
    free(path);
}

/* A line the old file leaves unfinished at a rotation, or at a truncation,
 * ends there: it does not join the first line of what comes next. */
typedef struct unfinished {
    const char *path;
    atomic_int seen;     /* lines the reader has taken */
    volatile int stop;
    bool truncate;       /* truncate in place instead of rotating */
} unfinished;

static void *unfinished_writer(void *arg)
{
    unfinished *u = arg;
    while (atomic_load(&u->seen) < 1)
        sleep_ms(5);
    sleep_ms(50); /* let the reader reach the end and wait */
    if (u->truncate) {
        int fd = open(u->path, O_WRONLY | O_TRUNC);
        write_all(fd, "b\n", 2);
        close(fd);
    } else {
        char old[4200];
        snprintf(old, sizeof old, "%s.1", u->path);
        assert_int_equal(rename(u->path, old), 0);
        int fd = open(u->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        write_all(fd, "b\n", 2);
        close(fd);
    }
    while (atomic_load(&u->seen) < 3)
        sleep_ms(5);
    u->stop = 1;
    return NULL;
}

static void run_unfinished(bool truncate)
{
    char *dir = make_dir();
    char path[4096];
    join_path(path, dir, "u.log");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write_all(fd, "a\npart", 6);
    close(fd);
    unfinished u = {path, 0, 0, truncate};
    rn_source_opts o = {0};
    o.follow = 1;
    o.poll_ms = 20;
    o.stop = &u.stop;
    rn_iter *it = rn_lines_new(rn_source_file(path, &o), NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, unfinished_writer, &u), 0);
    const char *want[] = {"a", "part", "b"};
    const rn_record *rec;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rn_next(it, &rec), RN_ROW);
        if (rec->fields[0].len != strlen(want[i]))
            fprintf(stderr, "line %d: '%.*s'\n", i, (int)rec->fields[0].len,
                    rec->fields[0].ptr);
        assert_int_equal(rec->fields[0].len, strlen(want[i]));
        assert_memory_equal(rec->fields[0].ptr, want[i], strlen(want[i]));
        atomic_fetch_add(&u.seen, 1);
    }
    assert_int_equal(rn_next(it, &rec), RN_DONE);
    pthread_join(th, NULL);
    rn_free(it);
    char old[4200];
    snprintf(old, sizeof old, "%s.1", path);
    unlink(old);
    unlink(path);
    rmdir(dir);
    free(dir);
}

static void test_unfinished_line_at_rotation(void **state)
{
    (void)state;
    alarm(30);
    run_unfinished(false);
    alarm(0);
}

static void test_unfinished_line_at_truncation(void **state)
{
    (void)state;
    alarm(30);
    run_unfinished(true);
    alarm(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rotate_truncate),
        cmocka_unit_test(test_unfinished_line_at_rotation),
        cmocka_unit_test(test_unfinished_line_at_truncation),
        cmocka_unit_test(test_rotate_truncate_small_blocks),
        cmocka_unit_test(test_rotate_truncate_without_inotify),
        cmocka_unit_test(test_rotation_drains_old_file),
        cmocka_unit_test(test_stop_idle),
        cmocka_unit_test(test_stop_by_signal),
        cmocka_unit_test(test_created_later),
        cmocka_unit_test(test_created_later_by_rename),
        cmocka_unit_test(test_missing_then_stop),
        cmocka_unit_test(test_ticks),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_block_sizes),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
