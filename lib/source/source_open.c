/*
 * source_open.c - the public constructors: they pick the producer (read(),
 * mmap, memory, an application's callback) for what they are given and put
 * the decoder on top, which inflates only when the magic bytes say so.
 *
 * This is the factory; source.c is the protocol every producer and decoder
 * shares. A constructor that fails still returns a source, in a sticky error
 * state, so the message reaches whoever steps the chain; NULL means out of
 * memory.
 */
#include "source_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether this process may run on two or more CPUs at once: a gzip thread
 * pays only then. */
static bool two_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return CPU_COUNT(&set) >= 2;
    return sysconf(_SC_NPROCESSORS_ONLN) >= 2;
}

/* Whether fd is a regular file: a read() of it never waits for a writer, so
 * freeing a gzip thread that reads it never waits long. Small files get the
 * thread too (it costs them some 50 us): memory must not depend on the
 * input's size, only on the options. */
static bool is_regular(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* Puts the gzip decoder on top unless the options say not to, and the
 * options every source honours on the outermost one. RN_GZIP_THREAD_AUTO is
 * settled here, where the input is known: threadable says that s may be
 * stepped from another thread without surprising anyone (no application
 * code, no allocation, no read() that waits for a writer). */
static rn_source *decoded(rn_source *s, const rn_source_opts *o,
                          bool threadable)
{
    if (s && s->status >= 0 && !(o && o->no_decompress)) {
        rn_source_opts d = {0};
        if (o)
            d = *o;
        if (d.gzip_thread == RN_GZIP_THREAD_AUTO)
            d.gzip_thread = threadable && two_cpus() ? RN_GZIP_THREAD_ON
                                                     : RN_GZIP_THREAD_OFF;
        s = rn__decode_new(s, &d);
    }
    if (s && o) {
        /* Following has its own stop: it reads what the file holds first. */
        s->stop = o->follow ? NULL : o->stop;
        s->progress = o->progress;
        s->progress_ud = o->progress_ud;
    }
    return s;
}

rn_source *rn_source_file(const char *path, const rn_source_opts *o)
{
    const rn_allocator *mem = o ? o->allocator : NULL;
    if (!path || strcmp(path, "-") == 0)
        return decoded(rn__read_new(0, false,
                                    o && o->name ? o->name : "<stdin>", o),
                       o, is_regular(0));
    const char *name = o && o->name ? o->name : path;
    if (o && o->follow) {
        rn_source *f = rn__follow_new(path, name, o);
        if (f) {
            f->progress = o->progress;
            f->progress_ud = o->progress_ud;
        }
        return f;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rn__source_failed(name, mem, RN_EIO, "cannot open '%s': %s",
                                 path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return rn__source_failed(name, mem, RN_EIO, "cannot stat '%s': %s",
                                 path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return rn__source_failed(name, mem, RN_EIO,
                                 "cannot read '%s': it is a directory", path);
    }
    if (S_ISREG(st.st_mode) && o && o->mmap == RN_MMAP_ALWAYS)
        return decoded(rn__mmap_new(fd, (uint64_t)st.st_size, name, o), o,
                       false);
    if (S_ISREG(st.st_mode))
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return decoded(rn__read_new(fd, true, name, o), o, S_ISREG(st.st_mode));
}

rn_source *rn_source_fd(int fd, const rn_source_opts *o)
{
    char name[32];
    snprintf(name, sizeof name, "<fd %d>", fd);
    return decoded(rn__read_new(fd, false, o && o->name ? o->name : name, o),
                   o, is_regular(fd));
}

/* ---- memory ----------------------------------------------------------- */

typedef struct mem_src {
    rn_source base;
    const char *data;
    size_t len;
} mem_src;

static int mem_next(rn_source *s, const char **p, size_t *n)
{
    mem_src *m = (mem_src *)s;
    if (m->len == 0)
        return RN_DONE;
    /* The whole buffer is one block: nothing to copy, nothing to refill. */
    *p = m->data;
    *n = m->len;
    s->raw_bytes += m->len;
    m->len = 0;
    return RN_ROW;
}

static const rn__source_vt mem_vt = {mem_next, NULL};

rn_source *rn_source_mem(const void *data, size_t len,
                         const rn_source_opts *o)
{
    mem_src *m = rn__source_new(&mem_vt, sizeof *m,
                                o && o->name ? o->name : "<memory>",
                                o ? o->allocator : NULL, NULL);
    if (!m)
        return NULL;
    m->data = data;
    m->len = data ? len : 0;
    return decoded(&m->base, o, true);
}

/* ---- application callback --------------------------------------------- */

typedef struct cb_src {
    rn_source base;
    rn_read_fn read;
    void (*close)(void *ud);
    void *ud;
    char *buf;
    size_t cap;
} cb_src;

static int cb_next(rn_source *s, const char **p, size_t *n)
{
    cb_src *c = (cb_src *)s;
    ptrdiff_t r = c->read(c->ud, c->buf, c->cap);
    if (r == 0)
        return RN_DONE;
    if (r < 0 || (size_t)r > c->cap) {
        int code = r < 0 ? (int)r : RN_EMISUSE;
        return rn__source_fail(s, code, "read callback failed at byte %llu: %s",
                               (unsigned long long)s->raw_bytes,
                               rn_strerror(code));
    }
    *p = c->buf;
    *n = (size_t)r;
    s->raw_bytes += (uint64_t)r;
    return RN_ROW;
}

static void cb_close(rn_source *s)
{
    cb_src *c = (cb_src *)s;
    rn__free(&s->mem, c->buf, c->cap);
    if (c->close)
        c->close(c->ud);
}

static const rn__source_vt cb_vt = {cb_next, cb_close};

rn_source *rn_source_callback(rn_read_fn read, void (*close)(void *ud),
                              void *ud, const rn_source_opts *o)
{
    const rn_allocator *mem = o ? o->allocator : NULL;
    const char *name = o && o->name ? o->name : "<callback>";
    if (!read) {
        if (close)
            close(ud);
        return rn__source_failed(name, mem, RN_EINVAL,
                                 "%s: no read callback given", name);
    }
    cb_src *c = rn__source_new(&cb_vt, sizeof *c, name, mem, NULL);
    if (!c) {
        if (close)
            close(ud);
        return NULL;
    }
    c->read = read;
    c->close = close;
    c->ud = ud;
    c->cap = rn__block_size(o);
    c->buf = rn__alloc(&c->base.mem, c->cap);
    if (!c->buf) {
        c->cap = 0;
        rn_source_free(&c->base);
        return NULL;
    }
    return decoded(&c->base, o, false);
}
