/*
 * source_follow.c - a source that follows a file by path, like tail -F.
 *
 * The file is read() into one block_size buffer; at its end the source waits
 * (inotify plus poll() with a poll_ms timeout, or a plain sleep when inotify
 * is unavailable) and then checks the path again with stat(), since inotify
 * events can be missed or land on a file we no longer hold. Invariants:
 *  - a block is handed out as soon as read() gives bytes; the source waits
 *    only when its descriptor is at the end and the path shows nothing new;
 *  - a rotated file is read to its end before the new one is opened, and its
 *    descriptor stays open until then, so the new file cannot reuse its inode
 *    number and pass for it;
 *  - once *stop is seen, the bytes already in the files are still delivered
 *    (up to the sizes seen then) and nothing more is waited for.
 */
#include "source_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_POLL_MS 200u
#define FILE_EVENTS (IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF)
#define DIR_EVENTS (IN_CREATE | IN_MOVED_TO | IN_ONLYDIR)

enum follow_state {
    FS_ABSENT,  /* no file open: open the path at each check */
    FS_READING, /* reading the file we opened; at its end, check the path */
    FS_DRAINING /* the path names another file: finish ours, then switch */
};

typedef struct follow_src {
    rn_source base;
    enum follow_state state;
    char *path;                /* the followed path, owned */
    char *dir;                 /* its directory, watched for a new file */
    int fd;                    /* the open file; -1 in FS_ABSENT */
    dev_t dev;                 /* identity of the open file, to see rotation */
    ino_t ino;
    bool regular;              /* a regular file: truncation can be seen */
    uint64_t off;              /* bytes read from the open file: its offset */
    uint64_t limit;            /* after stop, read no further; else max */
    bool stopping;             /* *stop was seen: catch up, then RN_DONE */
    const volatile int *stop;  /* may be NULL */
    int timeout_ms;            /* longest wait between checks */
    int nfd;                   /* inotify descriptor; -1: sleep instead */
    int wd_file;               /* watch on the open file; -1 when none */
    char *buf;                 /* cap bytes, refilled on each call */
    size_t cap;
    char last;                 /* the last byte handed out, '\n' at first */
    bool need_nl;              /* end the line the old file left open */
    unsigned tick_ms;          /* RN_AGAIN at least this often; 0: never */
    struct timespec last_tick; /* when RN_AGAIN was last returned */
    bool stop_ticked;          /* the tick for a newly seen stop was given */
} follow_src;

/* The directory part of path ("." when there is none), copied. */
static char *dir_of(const rn_allocator *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *from = slash ? path : ".";
    size_t len = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    char *d = rn__alloc(a, len + 1);
    if (d) {
        memcpy(d, from, len);
        d[len] = '\0';
    }
    return d;
}

/* Gives up on inotify after an error on its descriptor: polling a broken
 * descriptor would return at once, every time, and spin. */
static void drop_inotify(follow_src *f)
{
    if (f->nfd >= 0)
        close(f->nfd);
    f->nfd = -1;
    f->wd_file = -1;
}

static void watch_file(follow_src *f)
{
    if (f->nfd < 0)
        return;
    /* After the watched inode is gone the kernel has removed the watch
     * already and this fails with EINVAL, which is harmless. */
    if (f->wd_file >= 0)
        (void)inotify_rm_watch(f->nfd, f->wd_file);
    /* The watch goes on whatever the path names now, which may already be a
     * newer file than the one we opened; the stat() after every wakeup and
     * the poll timeout cover that window. */
    f->wd_file = inotify_add_watch(f->nfd, f->path, FILE_EVENTS);
}

/* After stop, bounds what is still read from the open file to what it holds
 * now, so a writer that outpaces us cannot delay the end forever. */
static void set_limit(follow_src *f)
{
    struct stat st;
    if (!f->stopping || f->fd < 0 || !f->regular)
        return;
    f->limit = fstat(f->fd, &st) == 0 ? (uint64_t)st.st_size : f->off;
}

/* Opens the file at the path from offset 0. Returns 0, or -1 with *err set
 * to the errno (EISDIR for a directory, which read() could never follow). */
static int open_path(follow_src *f, int *err)
{
    int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    struct stat st;
    int bad = fstat(fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (bad) {
        *err = bad;
        close(fd);
        return -1;
    }
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->regular = S_ISREG(st.st_mode);
    f->off = 0;
    f->limit = UINT64_MAX;
    f->state = FS_READING;
    set_limit(f);
    watch_file(f);
    return 0;
}

static void close_file(follow_src *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    f->state = FS_ABSENT;
}

/* Reads the next bytes of the open file: RN_ROW with a block, RN_DONE at its
 * end for now (or at the stop limit), or RN_EIO. O_NONBLOCK makes a FIFO at
 * the path report EAGAIN instead of blocking where *stop cannot be seen. */
static int read_block(follow_src *f, const char **p, size_t *n)
{
    if (f->off >= f->limit)
        return RN_DONE;
    size_t want = f->cap;
    if (f->limit - f->off < want)
        want = (size_t)(f->limit - f->off);
    ssize_t got;
    do
        got = read(f->fd, f->buf, want);
    while (got < 0 && errno == EINTR);
    if (got == 0 || (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
        return RN_DONE;
    if (got < 0)
        return rn__source_fail(&f->base, RN_EIO,
                               "read failed at byte %llu: %s",
                               (unsigned long long)f->off, strerror(errno));
    f->off += (uint64_t)got;
    f->base.raw_bytes += (uint64_t)got;
    f->last = f->buf[got - 1];
    *p = f->buf;
    *n = (size_t)got;
    return RN_ROW;
}

/* At the end of the open file: does the path name another file now, or was
 * ours truncated? Returns 1 when there is something new to read, 0 when
 * not, or a negative status. */
static int check_path(follow_src *f)
{
    struct stat st;
    if (stat(f->path, &st) == 0 &&
        (st.st_dev != f->dev || st.st_ino != f->ino)) {
        /* Lines written just before the rename may have landed after our
         * last read(), so the old descriptor is read to its end first. */
        f->state = FS_DRAINING;
        return 1;
    }
    /* A missing path (between rename and create) changes nothing: the old
     * file may still be written through descriptors open on it. */
    if (f->regular && fstat(f->fd, &st) == 0 &&
        (uint64_t)st.st_size < f->off) {
        /* Truncated in place (copytruncate): start again, as tail does. */
        if (lseek(f->fd, 0, SEEK_SET) != 0)
            return rn__source_fail(&f->base, RN_EIO,
                                   "cannot rewind after truncation: %s",
                                   strerror(errno));
        f->off = 0;
        f->need_nl = f->last != '\n';
        set_limit(f);
        return 1;
    }
    return 0;
}

/* Empties the inotify queue: the events only say "look again", and the
 * stat() after the wakeup decides what they meant. */
static void drain_events(follow_src *f)
{
    _Alignas(struct inotify_event) char ev[4096];
    for (;;) {
        ssize_t r = read(f->nfd, ev, sizeof ev);
        if (r > 0 || (r < 0 && errno == EINTR))
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        drop_inotify(f);
        return;
    }
}

/* Waits until inotify reports a change, the timeout passes or a signal
 * arrives; each of these returns to the caller's checks, *stop first. */
static void wait_change(follow_src *f)
{
    if (f->nfd >= 0) {
        struct pollfd pfd = {f->nfd, POLLIN, 0};
        int r = poll(&pfd, 1, f->timeout_ms);
        if (r > 0 && (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)))
            drop_inotify(f);
        else if (r > 0)
            drain_events(f);
        else if (r < 0 && errno != EINTR)
            drop_inotify(f);
        return;
    }
    struct timespec ts = {f->timeout_ms / 1000,
                          (long)(f->timeout_ms % 1000) * 1000000L};
    (void)nanosleep(&ts, NULL); /* EINTR ends it early, as it should */
}

/* Whether a tick is due: tick_ms passed since the last one, or a stop was
 * just seen (so the application can get ready for the end of the run). */
static bool tick_due(follow_src *f)
{
    if (!f->tick_ms)
        return false;
    if (f->stopping && !f->stop_ticked) {
        f->stop_ticked = true;
        return true;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ms = (int64_t)(now.tv_sec - f->last_tick.tv_sec) * 1000 +
                 (now.tv_nsec - f->last_tick.tv_nsec) / 1000000;
    if (ms < (int64_t)f->tick_ms)
        return false;
    f->last_tick = now;
    return true;
}

static int follow_next(rn_source *s, const char **p, size_t *n)
{
    follow_src *f = (follow_src *)s;
    for (;;) {
        if (f->need_nl) {
            /* A line the old file left unfinished ends with it rather than
             * run into the first line of the new one (tail -F joins them). */
            f->need_nl = false;
            f->last = '\n';
            *p = "\n";
            *n = 1;
            return RN_ROW;
        }
        if (!f->stopping && f->stop && *f->stop) {
            f->stopping = true;
            set_limit(f);
        }
        if (tick_due(f))
            return RN_AGAIN; /* the next call goes on from here */
        if (f->state == FS_ABSENT) {
            int err;
            if (open_path(f, &err) != 0) {
                /* Not there yet (or not readable yet): tail -F waits. */
                if (f->stopping)
                    return RN_DONE;
                wait_change(f);
                continue;
            }
        }
        int rc = read_block(f, p, n);
        if (rc != RN_DONE)
            return rc;
        if (f->state == FS_DRAINING) {
            close_file(f);
            f->need_nl = f->last != '\n';
            continue; /* open the new file at once: it may be written fast */
        }
        rc = check_path(f);
        if (rc < 0)
            return rc;
        if (rc > 0)
            continue;
        /* Caught up. After stop this is the end; before it, a stop that
         * arrives during the wait gets one more catch-up pass above, so
         * nothing written before it is lost. */
        if (f->stopping)
            return RN_DONE;
        wait_change(f);
    }
}

static void follow_close(rn_source *s)
{
    follow_src *f = (follow_src *)s;
    close_file(f);
    drop_inotify(f); /* closing the descriptor removes its watches */
    rn__free(&s->mem, f->buf, f->cap);
    rn__strfree(&s->mem, f->path);
    rn__strfree(&s->mem, f->dir);
}

static const rn__source_vt follow_vt = {follow_next, follow_close};

rn_source *rn__follow_new(const char *path, const char *name,
                          const rn_source_opts *o)
{
    const rn_allocator *mem = o ? o->allocator : NULL;
    follow_src *f = rn__source_new(&follow_vt, sizeof *f, name, mem, NULL);
    if (!f)
        return NULL;
    f->state = FS_ABSENT;
    f->last = '\n';
    f->fd = -1;
    f->nfd = -1;
    f->wd_file = -1;
    f->limit = UINT64_MAX;
    f->stop = o ? o->stop : NULL;
    unsigned ms = o && o->poll_ms ? o->poll_ms : DEFAULT_POLL_MS;
    f->timeout_ms = ms > INT_MAX ? INT_MAX : (int)ms;
    f->tick_ms = o ? o->tick_ms : 0;
    if (f->tick_ms && (unsigned)f->timeout_ms > f->tick_ms)
        f->timeout_ms = (int)f->tick_ms; /* wake up in time for a tick */
    clock_gettime(CLOCK_MONOTONIC, &f->last_tick);
    f->path = rn__strdup(&f->base.mem, path);
    f->dir = dir_of(&f->base.mem, path);
    f->cap = rn__block_size(o);
    f->buf = rn__alloc(&f->base.mem, f->cap);
    if (!f->path || !f->dir || !f->buf) {
        rn_source_free(&f->base);
        return NULL;
    }

    int err;
    if (open_path(f, &err) != 0 && err != ENOENT) {
        rn_source_free(&f->base);
        if (err == EISDIR)
            return rn__source_failed(name, mem, RN_EIO,
                                     "cannot read '%s': it is a directory",
                                     path);
        return rn__source_failed(name, mem, RN_EIO, "cannot open '%s': %s",
                                 path, strerror(err));
    }
    /* Without inotify (the per-user instance limit is easy to reach) the
     * source sleeps poll_ms between checks instead. A file created between
     * the failed open above and the directory watch is not missed: the first
     * step tries to open it again before it waits. */
    f->nfd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (f->nfd >= 0) {
        (void)inotify_add_watch(f->nfd, f->dir, DIR_EVENTS);
        if (f->fd >= 0)
            watch_file(f);
    }
    return &f->base;
}
