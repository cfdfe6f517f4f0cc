/*
 * support_source.c - the source-test helpers declared in support.h: a
 * growing buffer that also counts the blocks it was given, and a drain that
 * steps a source (the internal byte-block interface) to its end into one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"
#include "runnel_internal.h"

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
