/*
 * source_read.c - blocks from read() on a file descriptor: files, pipes,
 * terminals and stdin.
 *
 * One buffer of block_size bytes is refilled on each call; the previous block
 * is therefore invalid after the call, as the source protocol allows. 128 KiB
 * is the default because larger reads from the page cache measured slower on
 * our machines (README, "Performance").
 */
#include "source_internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

typedef struct read_src {
    rn_source base;
    int fd;
    bool close_fd;   /* false for stdin and rn_source_fd() */
    char *buf;
    size_t cap;
} read_src;

static int read_next(rn_source *s, const char **p, size_t *n)
{
    read_src *r = (read_src *)s;
    ssize_t got;
    do
        got = read(r->fd, r->buf, r->cap);
    while (got < 0 && errno == EINTR);
    if (got == 0)
        return RN_DONE;
    if (got < 0)
        return rn__source_fail(s, RN_EIO, "read failed at byte %llu: %s",
                               (unsigned long long)s->raw_bytes,
                               strerror(errno));
    s->raw_bytes += (uint64_t)got;
    *p = r->buf;
    *n = (size_t)got;
    return RN_ROW;
}

static void read_close(rn_source *s)
{
    read_src *r = (read_src *)s;
    rn__free(&s->mem, r->buf, r->cap);
    if (r->close_fd && r->fd >= 0)
        close(r->fd);
}

static const rn__source_vt read_vt = {read_next, read_close};

rn_source *rn__read_new(int fd, bool close_fd, const char *name,
                        const rn_source_opts *o)
{
    read_src *r = rn__source_new(&read_vt, sizeof *r, name,
                                 o ? o->allocator : NULL, NULL);
    if (!r) {
        if (close_fd)
            close(fd);
        return NULL;
    }
    r->fd = fd;
    r->close_fd = close_fd;
    r->cap = rn__block_size(o);
    r->buf = rn__alloc(&r->base.mem, r->cap);
    if (!r->buf) {
        r->cap = 0;
        rn_source_free(&r->base);
        return NULL;
    }
    return &r->base;
}
