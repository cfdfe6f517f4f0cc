/*
 * support_source.c - the source-test helpers declared in support.h: a
 * growing buffer that also counts the blocks it was given, a drain that
 * steps a source (the internal byte-block interface) to its end into one,
 * and a source that injects faults (short reads, RN_AGAIN, read errors).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"
#include "source/source_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tst_buf_add(tst_buf *b, const char *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->blocks++;
    if (n > b->max_block)
        b->max_block = n;
}

void tst_buf_free(tst_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

int tst_mappings_of(const char *path)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[4096];
    int count = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, path))
            count++;
    fclose(f);
    return count;
}

int tst_source_drain(rn_source *s, tst_buf *out, const char *path)
{
    const char *p;
    size_t n;
    int rc;
    while ((rc = rn__source_next(s, &p, &n)) == RN_ROW) {
        assert_true(n > 0);
        tst_buf_add(out, p, n);
        if (path && out->blocks % 64 == 1)
            assert_int_equal(tst_mappings_of(path), 1);
    }
    return rc;
}

/* ---- fault injection ---------------------------------------------------- */

typedef struct fault_src {
    rn_source base;
    const char *data;
    size_t len, pos;
    tst_fault f;
    bool ready; /* RN_AGAIN was answered: the block comes now */
} fault_src;

static int fault_next(rn_source *s, const char **p, size_t *n)
{
    fault_src *fs = (fault_src *)s;
    if (fs->f.fail_code && fs->pos >= fs->f.fail_at) {
        int code = fs->f.fail_code;
        return rn__source_fail(s, code, "read failed at byte %zu: %s",
                               fs->pos,
                               code == RN_EIO ? strerror(EIO)
                                              : rn_strerror(code));
    }
    if (fs->pos == fs->len)
        return RN_DONE;
    if (fs->f.again && !fs->ready) {
        fs->ready = true;
        return RN_AGAIN;
    }
    fs->ready = false;
    size_t end = fs->len;
    if (fs->f.chunk && end - fs->pos > fs->f.chunk)
        end = fs->pos + fs->f.chunk;
    if (fs->f.fail_code && fs->f.fail_at > fs->pos && fs->f.fail_at < end)
        end = fs->f.fail_at;
    for (size_t i = 0; i < fs->f.ncuts; i++)
        if (fs->f.cuts[i] > fs->pos && fs->f.cuts[i] < end)
            end = fs->f.cuts[i];
    *p = fs->data + fs->pos;
    *n = end - fs->pos;
    fs->pos = end;
    s->raw_bytes += *n;
    return RN_ROW;
}

static const rn__source_vt fault_vt = {fault_next, NULL};

rn_source *tst_fault_source(const void *data, size_t len, const tst_fault *f,
                            const rn_source_opts *opts)
{
    fault_src *fs = rn__source_new(&fault_vt, sizeof *fs, "faulty",
                                   opts ? opts->allocator : NULL, NULL);
    if (!fs)
        return NULL;
    fs->data = data;
    fs->len = len;
    fs->f = *f;
    return rn__decode_new(&fs->base, opts);
}
