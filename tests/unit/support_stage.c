/*
 * support_stage.c - the stage-test helpers declared in support_stage.h. The
 * record copies own every byte, so a test can hold them past the reader's
 * next step; the failing-allocator loops rebuild the pipeline from scratch
 * for each N, because a stage that saw RN_ENOMEM keeps returning it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support_stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- records collected as copies ----------------------------------------- */

char *tst_dup_bytes(const char *p, size_t n)
{
    char *d = malloc(n + 1);
    if (n)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

void tst_rows_add(tst_rows *rs, const rn_record *rec)
{
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 64;
        rs->r = realloc(rs->r, rs->cap * sizeof *rs->r);
    }
    tst_row *w = &rs->r[rs->n++];
    w->nf = rec->nfields;
    w->f = malloc((w->nf + 1) * sizeof *w->f);
    w->len = malloc((w->nf + 1) * sizeof *w->len);
    for (size_t i = 0; i < w->nf; i++) {
        w->f[i] = tst_dup_bytes(rec->fields[i].ptr, rec->fields[i].len);
        w->len[i] = rec->fields[i].len;
    }
    w->raw = rec->raw.ptr ? tst_dup_bytes(rec->raw.ptr, rec->raw.len) : NULL;
    w->rawlen = rec->raw.len;
    w->line = rec->line;
    w->offset = rec->offset;
}

int tst_collect(rn_iter *it, tst_rows *rs)
{
    memset(rs, 0, sizeof *rs);
    const rn_record *rec;
    int rc;
    while ((rc = rn_next(it, &rec)) == RN_ROW)
        tst_rows_add(rs, rec);
    return rc;
}

void tst_rows_free(tst_rows *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        for (size_t j = 0; j < rs->r[i].nf; j++)
            free(rs->r[i].f[j]);
        free(rs->r[i].f);
        free(rs->r[i].len);
        free(rs->r[i].raw);
    }
    free(rs->r);
    memset(rs, 0, sizeof *rs);
}

void tst_expect_field(rn_field f, const char *want)
{
    size_t n = strlen(want);
    if (f.len != n || (n && memcmp(f.ptr, want, n) != 0))
        fail_msg("field '%.*s', want '%s'", (int)f.len, f.ptr ? f.ptr : "",
                 want);
}

void tst_expect_schema(const rn_iter *it, const char *const *names, size_t n)
{
    const rn_schema *sc = rn_schema_of(it);
    assert_int_equal(rn_schema_count(sc), n);
    for (size_t i = 0; i < n; i++)
        tst_expect_field(rn_schema_name(sc, i), names[i]);
}

void tst_expect_row(const tst_row *g, const tst_row *w)
{
    assert_int_equal(g->nf, w->nf);
    for (size_t j = 0; j < g->nf; j++) {
        assert_int_equal(g->len[j], w->len[j]);
        assert_memory_equal(g->f[j], w->f[j], w->len[j] + 1);
    }
    assert_int_equal(g->line, w->line);
    assert_int_equal(g->offset, w->offset);
    assert_int_equal(g->raw == NULL, w->raw == NULL);
    assert_int_equal(g->rawlen, w->rawlen);
    if (g->raw)
        assert_memory_equal(g->raw, w->raw, w->rawlen);
}

void tst_expect_rows(const tst_rows *got, const tst_row *want, size_t n)
{
    assert_int_equal(got->n, n);
    for (size_t i = 0; i < n; i++)
        tst_expect_row(&got->r[i], &want[i]);
}

/* ---- readers over chunked input ------------------------------------------ */

size_t tst_chunk_sizes(size_t n, size_t *out)
{
    size_t k = 0;
    for (size_t c = 1; c <= n && c <= 300; c++)
        out[k++] = c;
    out[k++] = 7;
    out[k++] = 4096;
    out[k++] = (size_t)1 << 20;
    return k;
}

rn_iter *tst_open_lines(const char *text, size_t len, size_t chunk,
                        const rn_source_opts *so)
{
    return rn_lines_new(tst_chunked_source(text, len, chunk, so), NULL);
}

rn_iter *tst_open_reader(int kind, const char *s, size_t n, size_t chunk,
                         const rn_source_opts *o)
{
    rn_source *src = tst_chunked_source(s, n, chunk, o);
    return kind == TST_LINES ? rn_lines_new(src, NULL) : rn_csv_new(src, NULL);
}

void tst_reference(int kind, const char *s, size_t n, tst_rows *ref)
{
    rn_iter *it = tst_open_reader(kind, s, n, n + 1, NULL);
    assert_int_equal(tst_collect(it, ref), RN_DONE);
    rn_free(it);
}

/* ---- inputs -------------------------------------------------------------- */

const char tst_small_csv[] =
    "id,name,note\n"
    "1,alpha,plain\n"
    "2,\"be,ta\",\"two\nlines\"\n"
    "3,gamma,\n"
    "4,\"d\"\"q\",x\r\n"
    "5,eps,y\n"
    "6,zeta,\n";

const char tst_small_lines[] = "one\ntwo\r\n\nfour\nfive\nsix\nseven";

char *tst_make_lines(size_t count, size_t *len)
{
    char *s = malloc(count * 40 + 1);
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        n += (size_t)sprintf(s + n, "line %zu %.*s\n", i, (int)(i % 17),
                             "abcdefghijklmnopq");
    *len = n;
    return s;
}

ptrdiff_t tst_gen_read(void *ud, void *buf, size_t cap)
{
    tst_gen *g = ud;
    char *p = buf;
    size_t n = 0;
    if (g->i == 0 && cap > 64) {
        n = (size_t)sprintf(p, "id,cat,amount,note\n");
        g->i = 1;
    }
    while (g->left && n + 64 <= cap) {
        uint64_t v = g->spread ? (g->i * UINT64_C(2654435761)) % 1000000
                               : g->i % 1000;
        int k = g->quoted
                    ? sprintf(p + n, "%010llu,c%02u,%06llu.25,\"q,%u\"\n",
                              (unsigned long long)g->i, (unsigned)(g->i % 13),
                              (unsigned long long)v, (unsigned)(g->i % 10))
                    : sprintf(p + n, "%010llu,c%02u,%06llu.25,plain\n",
                              (unsigned long long)g->i, (unsigned)(g->i % 13),
                              (unsigned long long)v);
        g->i++;
        n += (size_t)k;
        g->left = g->left > (uint64_t)k ? g->left - (uint64_t)k : 0;
    }
    return (ptrdiff_t)n;
}

size_t tst_gen_peak(tst_stage_fn *stage, void *ud, tst_gen g, uint64_t *out,
                    rn_stats *st)
{
    tst_alloc t = tst_alloc_init();
    rn_allocator a = tst_allocator(&t);
    rn_source_opts o = {0};
    o.allocator = &a;
    rn_iter *it = stage(
        ud, rn_csv_new(rn_source_callback(tst_gen_read, NULL, &g, &o), NULL));
    rn_batch b;
    int rc;
    *out = 0;
    while ((rc = rn_next_batch(it, &b)) == RN_ROW)
        *out += b.n;
    assert_int_equal(rc, RN_DONE);
    rn_stats_of(it, st);
    rn_free(it);
    assert_int_equal(t.live, 0);
    return t.peak;
}

/* ---- allocation failures ------------------------------------------------- */

void tst_fail_each_alloc_count(tst_open_fn *open, void *ud, long max_fail,
                               size_t want, bool check_msg)
{
    bool completed = false;
    for (long fail = 0; !completed && fail < max_fail; fail++) {
        tst_alloc t = tst_alloc_init();
        t.fail_at = fail;
        rn_allocator a = tst_allocator(&t);
        rn_source_opts o = {0};
        o.allocator = &a;
        o.block_size = 4096;
        rn_iter *it = open(ud, &o);
        if (it) {
            tst_rows got;
            int rc = tst_collect(it, &got);
            if (rc == RN_DONE) {
                assert_int_equal(got.n, want);
                completed = !t.failed;
            } else {
                assert_int_equal(rc, RN_ENOMEM);
                assert_true(t.failed);
                if (check_msg)
                    assert_non_null(strstr(rn_errmsg(it), "out of memory"));
            }
            tst_rows_free(&got);
            rn_free(it);
        } else {
            assert_true(t.failed);
        }
        assert_int_equal(t.live, 0);
        assert_int_equal(t.nlive, 0);
    }
    assert_true(completed);
}

void tst_fail_each_alloc_text(tst_open_fn *open, void *ud, long max_fail,
                              const char *label)
{
    rn_iter *it = open(ud, NULL);
    char *want;
    size_t wantlen;
    assert_int_equal(tst_drain(it, &want, &wantlen), RN_DONE);
    rn_free(it);
    bool completed = false;
    for (long fail = 0; !completed && fail < max_fail; fail++) {
        tst_alloc t = tst_alloc_init();
        t.fail_at = fail;
        rn_allocator a = tst_allocator(&t);
        rn_source_opts so = {0};
        so.allocator = &a;
        so.block_size = 4096;
        it = open(ud, &so);
        if (it) {
            char *out;
            size_t outlen;
            int rc = tst_drain(it, &out, &outlen);
            if (rc == RN_DONE) {
                assert_int_equal(outlen, wantlen);
                assert_memory_equal(out, want, wantlen);
                completed = !t.failed;
            } else {
                assert_int_equal(rc, RN_ENOMEM);
                assert_true(t.failed);
            }
            free(out);
            rn_free(it);
        } else {
            assert_true(t.failed);
        }
        if (t.live || t.nlive)
            fail_msg("%s%sfailing allocation %ld: %zu bytes in %zu "
                     "allocations leaked", label ? label : "",
                     label ? ", " : "", fail, t.live, t.nlive);
    }
    assert_true(completed);
    free(want);
}
