/*
 * test_faults.c - fault injection under every reader and both main jobs.
 *
 * A callback source serves a fixture (data/fixtures, the tests run from the
 * top of the tree) with short reads at chosen offsets and, optionally, fails
 * with EIO once it has served k bytes. For every k and every reader (lines,
 * CSV, TSV, each log format and auto):
 *  - short reads anywhere give exactly the records of one plain read;
 *  - a read error at byte k ends the run with RN_EIO and a message naming
 *    byte k; the records before it come out first, in order, each exactly
 *    as an unbroken read gives it, and none is lost: every record whose
 *    line ended before byte k is among them.
 * Then the failing allocator at every allocation of the log job (lines, log,
 * filter, extract, count-by) and the CSV job (csv, groupby): NULL or
 * RN_ENOMEM, the right answer when nothing failed, and nothing leaked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "support.h"
#include "runnel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the faulty callback source ---------------------------------------- */

typedef struct served {
    const char *data;
    size_t len, pos;
    size_t cut;        /* a read never crosses this offset (0: none) */
    size_t chunk;      /* at most this many bytes per read (0: any) */
    size_t fail_at;    /* fail once this many bytes were served */
    bool fail;
} served;

static ptrdiff_t serve(void *ud, void *buf, size_t cap)
{
    served *s = ud;
    if (s->fail && s->pos >= s->fail_at) {
        errno = EIO;
        return RN_EIO;
    }
    size_t end = s->len;
    if (s->fail && s->fail_at < end)
        end = s->fail_at;
    if (s->cut > s->pos && s->cut < end)
        end = s->cut;
    if (s->chunk && end - s->pos > s->chunk)
        end = s->pos + s->chunk;
    if (end - s->pos > cap)
        end = s->pos + cap;
    memcpy(buf, s->data + s->pos, end - s->pos);
    ptrdiff_t n = (ptrdiff_t)(end - s->pos);
    s->pos = end;
    return n;
}

/* ---- readers ------------------------------------------------------------ */

typedef struct reader {
    const char *name;
    const char *fixture;
    rn_iter *(*make)(rn_source *src, const char *arg);
    const char *arg;
} reader;

static rn_iter *make_lines(rn_source *src, const char *arg)
{
    (void)arg;
    return rn_lines_new(src, NULL);
}

static rn_iter *make_csv(rn_source *src, const char *arg)
{
    rn_csv_opts o = {0};
    o.delimiter = arg[0];
    return rn_csv_new(src, &o);
}

static rn_iter *make_log(rn_source *src, const char *arg)
{
    rn_log_opts o = {0};
    o.format = arg;
    return rn_log_new(rn_lines_new(src, NULL), &o);
}

static const reader readers[] = {
    {"lines", "data/fixtures/crlf.txt", make_lines, NULL},
    {"lines, no final newline", "data/fixtures/no_final_newline.txt",
     make_lines, NULL},
    {"csv, quoted", "data/fixtures/quoted.csv", make_csv, ","},
    {"csv, ragged", "data/fixtures/ragged.csv", make_csv, ","},
    {"csv, bad quotes", "data/fixtures/bad_quotes.csv", make_csv, ","},
    {"tsv", "data/fixtures/tabs.tsv", make_csv, "\t"},
    {"log pipe", "data/fixtures/log_pipe.log", make_log, "pipe"},
    {"log syslog", "data/fixtures/log_syslog.log", make_log, "syslog"},
    {"log clf", "data/fixtures/log_clf.log", make_log, "clf"},
    {"log combined", "data/fixtures/log_combined.log", make_log, "combined"},
    {"log auto", "data/fixtures/log_combined.log", make_log, "auto"},
};

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (the tests run from the top of the tree)",
                 path);
    char *p = malloc(1 << 20);
    assert_non_null(p);
    *len = fread(p, 1, 1 << 20, f);
    fclose(f);
    assert_true(*len > 0 && *len < (1 << 20));
    return p;
}

/* One record as text, with its offset: "offset|f1\tf2...". */
typedef struct recs {
    char **text;
    uint64_t *offset;
    size_t n, cap;
} recs;

static void recs_add(recs *r, const rn_record *rec)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->text = realloc(r->text, r->cap * sizeof *r->text);
        r->offset = realloc(r->offset, r->cap * sizeof *r->offset);
        assert_non_null(r->text);
        assert_non_null(r->offset);
    }
    size_t len = 0;
    for (size_t i = 0; i < rec->nfields; i++)
        len += rec->fields[i].len + 1;
    char *t = malloc(len + 1), *p = t;
    assert_non_null(t);
    for (size_t i = 0; i < rec->nfields; i++) {
        memcpy(p, rec->fields[i].ptr, rec->fields[i].len);
        p += rec->fields[i].len;
        *p++ = '\t';
    }
    *p = '\0';
    r->text[r->n] = t;
    r->offset[r->n++] = rec->offset;
}

static void recs_free(recs *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->text[i]);
    free(r->text);
    free(r->offset);
    memset(r, 0, sizeof *r);
}

/* Runs rd over s, collecting the records; returns the final status (the
 * construction's error when the reader failed at once). */
static int run(const reader *rd, served *s, recs *out, char *msg,
               size_t msgcap)
{
    rn_iter *it = rd->make(rn_source_callback(serve, NULL, s, NULL), rd->arg);
    assert_non_null(it);
    const rn_record *rec;
    int rc;
    while ((rc = rn_next(it, &rec)) == RN_ROW)
        recs_add(out, rec);
    snprintf(msg, msgcap, "%s", rn_errmsg(it));
    rn_free(it);
    return rc;
}

/* ---- short reads and read errors ---------------------------------------- */

static void test_short_reads_anywhere(void **state)
{
    (void)state;
    char msg[512];
    for (size_t r = 0; r < sizeof readers / sizeof *readers; r++) {
        const reader *rd = &readers[r];
        size_t len;
        char *data = slurp(rd->fixture, &len);
        recs want = {0};
        served s = {data, len, 0, 0, 0, 0, false};
        assert_int_equal(run(rd, &s, &want, msg, sizeof msg), RN_DONE);
        assert_true(want.n > 0);
        for (size_t cut = 1; cut < len; cut++) {
            for (size_t chunk = 0; chunk <= 3; chunk += 3) {
                recs got = {0};
                served t = {data, len, 0, cut, chunk, 0, false};
                assert_int_equal(run(rd, &t, &got, msg, sizeof msg), RN_DONE);
                if (got.n != want.n)
                    fail_msg("%s: cut at %zu, chunk %zu: %zu records, want "
                             "%zu", rd->name, cut, chunk, got.n, want.n);
                for (size_t i = 0; i < got.n; i++)
                    assert_string_equal(got.text[i], want.text[i]);
                recs_free(&got);
            }
        }
        recs_free(&want);
        free(data);
    }
}

static void test_read_error_at_every_byte(void **state)
{
    (void)state;
    char msg[512], byte[64];
    for (size_t r = 0; r < sizeof readers / sizeof *readers; r++) {
        const reader *rd = &readers[r];
        size_t len;
        char *data = slurp(rd->fixture, &len);
        recs want = {0};
        served s = {data, len, 0, 0, 0, 0, false};
        assert_int_equal(run(rd, &s, &want, msg, sizeof msg), RN_DONE);
        for (size_t k = 0; k <= len; k++) {
            for (size_t chunk = 0; chunk <= 5; chunk += 5) {
                recs got = {0};
                served t = {data, len, 0, 0, chunk, k, true};
                int rc = run(rd, &t, &got, msg, sizeof msg);
                if (rc != RN_EIO)
                    fail_msg("%s: EIO at byte %zu: ended with %s", rd->name,
                             k, rn_strerror(rc));
                snprintf(byte, sizeof byte, "byte %zu", k);
                if (!strstr(msg, byte))
                    fail_msg("%s: EIO at byte %zu: message '%s'", rd->name, k,
                             msg);
                /* What came out is a prefix of the unbroken run... */
                assert_true(got.n <= want.n);
                for (size_t i = 0; i < got.n; i++) {
                    assert_string_equal(got.text[i], want.text[i]);
                    assert_int_equal(got.offset[i], want.offset[i]);
                }
                /* ...holding every record that ended before byte k: the
                 * next record starts at or before k. */
                for (size_t i = 0; i + 1 < want.n; i++)
                    if (want.offset[i + 1] <= k && i >= got.n)
                        fail_msg("%s: EIO at byte %zu: record %zu (offset "
                                 "%llu) was complete but lost",
                                 rd->name, k, i,
                                 (unsigned long long)want.offset[i]);
                recs_free(&got);
            }
        }
        recs_free(&want);
        free(data);
    }
}

/* ---- the failing allocator under both main jobs ------------------------- */

static rn_iter *log_job(rn_source *src)
{
    static const char *const code[] = {"code"};
    rn_iter *it = rn_log_new(rn_lines_new(src, NULL), NULL);
    it = rn_filter_new(it, "level == \"ERROR\"");
    it = rn_extract_new(it, "message", "Error code: (?<code>\\d+)", 0);
    return rn_count_by_new(it, code, 1, NULL);
}

static rn_iter *csv_job(rn_source *src)
{
    static const char *const keys[] = {"category"};
    static const char *const aggs[] = {"count", "sum:amount", "mean:amount"};
    return rn_groupby_new(rn_csv_new(src, NULL), keys, 1, aggs, 3, NULL);
}

/* Every allocation of the job fails in turn: each run ends with NULL at
 * construction or RN_ENOMEM, frees everything, and the run where nothing
 * failed gives the answer. */
static void check_job_allocs(const char *path, rn_iter *(*job)(rn_source *))
{
    size_t len;
    char *data = slurp(path, &len);
    char *want;
    size_t wlen;
    rn_iter *ref = job(rn_source_mem(data, len, NULL));
    assert_int_equal(tst_drain(ref, &want, &wlen), RN_DONE);
    rn_free(ref);
    assert_true(wlen > 0);
    bool done = false;
    long k;
    for (k = 0; !done && k < 100000; k++) {
        tst_alloc t = tst_alloc_init();
        t.fail_at = k;
        rn_allocator a = tst_allocator(&t);
        rn_source_opts o = {0};
        o.allocator = &a;
        rn_iter *it = job(rn_source_mem(data, len, &o));
        if (!it) {
            assert_true(t.failed);
            assert_int_equal(t.live, 0);
            continue;
        }
        char *got;
        size_t glen;
        int rc = tst_drain(it, &got, &glen);
        if (!t.failed) {
            assert_int_equal(rc, RN_DONE);
            assert_int_equal(glen, wlen);
            assert_memory_equal(got, want, wlen);
            done = true;
        } else {
            if (rc != RN_ENOMEM)
                fail_msg("%s: allocation %ld failed: ended with %s (%s)", path,
                         k, rn_strerror(rc), rn_errmsg(it));
        }
        free(got);
        rn_free(it);
        assert_int_equal(t.live, 0);
        assert_int_equal(t.nlive, 0);
    }
    assert_true(done);
    assert_true(k > 10); /* the jobs do allocate: the loop saw failures */
    free(want);
    free(data);
}

static void test_log_job_alloc_failures(void **state)
{
    (void)state;
    check_job_allocs("data/app.log", log_job);
}

static void test_csv_job_alloc_failures(void **state)
{
    (void)state;
    check_job_allocs("data/sales.csv", csv_job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_reads_anywhere),
        cmocka_unit_test(test_read_error_at_every_byte),
        cmocka_unit_test(test_log_job_alloc_failures),
        cmocka_unit_test(test_csv_job_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
