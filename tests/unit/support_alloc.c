/*
 * support_alloc.c - the test helpers declared in support.h. The counting
 * allocator relies on the library passing back the size it asked for.
 */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

tst_alloc tst_alloc_init(void)
{
    tst_alloc t = {0};
    t.fail_at = -1;
    return t;
}

static void *count_alloc(void *ud, size_t size)
{
    tst_alloc *t = ud;
    long call = (long)t->calls++;
    if (t->fail_at >= 0 && call >= t->fail_at) {
        t->failed = true;
        return NULL;
    }
    void *p = malloc(size ? size : 1);
    if (p) {
        t->live += size;
        t->nlive++;
        if (t->live > t->peak)
            t->peak = t->live;
    }
    return p;
}

static void count_free(void *ud, void *ptr, size_t size)
{
    tst_alloc *t = ud;
    if (!ptr)
        return;
    t->live -= size;
    t->nlive--;
    free(ptr);
}

rn_allocator tst_allocator(tst_alloc *t)
{
    rn_allocator a = {count_alloc, count_free, t};
    return a;
}

typedef struct chunked {
    const unsigned char *data;
    size_t len, pos, chunk;
} chunked;

static ptrdiff_t chunked_read(void *ud, void *buf, size_t cap)
{
    chunked *c = ud;
    size_t n = c->len - c->pos;
    if (n > c->chunk)
        n = c->chunk;
    if (n > cap)
        n = cap;
    memcpy(buf, c->data + c->pos, n);
    c->pos += n;
    return (ptrdiff_t)n;
}

static void chunked_close(void *ud)
{
    free(ud);
}

rn_source *tst_chunked_source(const void *data, size_t len, size_t chunk,
                              const rn_source_opts *opts)
{
    chunked *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->data = data;
    c->len = len;
    c->chunk = chunk ? chunk : 1;
    return rn_source_callback(chunked_read, chunked_close, c, opts);
}

int tst_drain(rn_iter *it, char **out, size_t *outlen)
{
    size_t cap = 256, len = 0;
    char *buf = malloc(cap);
    const rn_record *rec;
    int rc;
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        for (size_t i = 0; i < rec->nfields; i++) {
            size_t need = len + rec->fields[i].len + 2;
            while (need > cap)
                buf = realloc(buf, cap *= 2);
            if (rec->fields[i].len)
                memcpy(buf + len, rec->fields[i].ptr, rec->fields[i].len);
            len += rec->fields[i].len;
            buf[len++] = i + 1 < rec->nfields ? '\t' : '\n';
        }
        if (rec->nfields == 0) {
            if (len + 1 > cap)
                buf = realloc(buf, cap *= 2);
            buf[len++] = '\n';
        }
    }
    *out = buf;
    *outlen = len;
    return rc;
}

uint64_t tst_rnd(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

char *tst_write_temp(const void *data, size_t len)
{
    const char *dir = getenv("TMPDIR");
    char *path = malloc(4096);
    snprintf(path, 4096, "%s/rn_test_XXXXXX", dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        free(path);
        return NULL;
    }
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w <= 0)
            break;
        p += w;
        len -= (size_t)w;
    }
    close(fd);
    return path;
}

void *tst_gzip(const void *data, size_t len, size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, (uLong)len) + 64;
    unsigned char *out = malloc(cap);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *outlen = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}
