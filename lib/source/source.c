/*
 * source.c - byte sources: the protocol every producer and decoder shares.
 *
 * A source hands out blocks (pointer and length) that stay valid until its
 * next call, so a reader can cut records out of them without copying. Its
 * status is sticky, as an iterator's is. The constructors that pick a
 * concrete producer live in source_open.c, above this file.
 */
#include "source_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_BLOCK (128 * RN__KIB)
#define MAX_BLOCK (64 * RN__MIB)

size_t rn__block_size(const rn_source_opts *o)
{
    size_t b = o && o->block_size ? o->block_size : DEFAULT_BLOCK;
    return b > MAX_BLOCK ? MAX_BLOCK : b;
}

void *rn__source_new(const rn__source_vt *vt, size_t size, const char *name,
                     const rn_allocator *mem, rn_source *inner)
{
    rn_allocator a = rn__allocator(mem);
    rn_source *s = rn__calloc(&a, size);
    char *copy = s ? rn__strdup(&a, name ? name : "<input>") : NULL;
    if (!copy) {
        rn__free(&a, s, size);
        rn_source_free(inner);
        return NULL;
    }
    s->vt = vt;
    s->mem = a;
    s->size = size;
    s->name = copy;
    s->inner = inner;
    return s;
}

int rn__source_next(rn_source *s, const char **p, size_t *n)
{
    if (s->status != RN_OK)
        return s->status;
    if (s->stop && *s->stop) {
        /* Asked to end (Ctrl-C with --partial-on-interrupt): the input ends
         * here, so every stage finishes with what it has. */
        s->status = RN_DONE;
        return RN_DONE;
    }
    int rc = s->vt->next(s, p, n);
    if (rc == RN_ROW && s->progress)
        s->progress(s->progress_ud, rn_source_bytes_read(s));
    if (rc == RN_ROW || rc == RN_AGAIN)
        return rc;
    if (rc < 0 && !s->err[0])
        rn__source_fail(s, rc, "%s", rn_strerror(rc));
    s->status = rc;
    return rc;
}

static void vset_msg(rn_source *s, const char *fmt, va_list ap)
{
    int k = snprintf(s->err, sizeof s->err, "%s: ", s->name);
    if (k < 0 || (size_t)k >= sizeof s->err)
        k = 0;
    vsnprintf(s->err + k, sizeof s->err - (size_t)k, fmt, ap);
}

void rn__source_msg(rn_source *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset_msg(s, fmt, ap);
    va_end(ap);
}

int rn__source_fail(rn_source *s, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset_msg(s, fmt, ap);
    va_end(ap);
    s->status = code;
    return code;
}

static int failed_next(rn_source *s, const char **p, size_t *n)
{
    (void)p;
    (void)n;
    return s->status;
}

static const rn__source_vt failed_vt = {failed_next, NULL};

rn_source *rn__source_failed(const char *name, const rn_allocator *mem,
                             int code, const char *fmt, ...)
{
    rn_source *s = rn__source_new(&failed_vt, sizeof *s, name, mem, NULL);
    if (!s)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    s->status = code;
    return s;
}

int rn_source_status(const rn_source *src)
{
    return src ? src->status : RN_EMISUSE;
}

const char *rn_source_errmsg(const rn_source *src)
{
    if (!src)
        return "no source (out of memory?)";
    return src->status < 0 ? src->err : "";
}

uint64_t rn_source_bytes_read(const rn_source *src)
{
    while (src && src->inner)
        src = src->inner;
    return src ? src->raw_bytes : 0;
}

void rn_source_free(rn_source *src)
{
    while (src) {
        rn_source *inner = src->inner;
        rn_allocator mem = src->mem;
        if (src->vt->close)
            src->vt->close(src);
        rn__strfree(&mem, src->name);
        rn__free(&mem, src, src->size);
        src = inner;
    }
}
