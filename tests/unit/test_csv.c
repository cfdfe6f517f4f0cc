/*
 * test_csv.c - the CSV reader against libcsv driven directly (the reference,
 * fed the whole input at once), at every chunk size from 1 byte up, on fixed
 * and random adversarial inputs; its fast path (SIMD and scalar scanners)
 * against the same reader without it, record for record, position and raw
 * view included, and against libcsv fed every line; the scanners' masks
 * against each other; RFC 4180 cases spelled out; headers, ragged rows,
 * --strict and rejects, caps, allocation failures, constant memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include "read/csv_scan.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the reference: libcsv with plain callbacks ------------------------- */

/* Records as text: fields joined by 0x1f, records ended by 0x1e, so that any
 * byte sequence in fields compares exactly. */
typedef struct text {
    char *p;
    size_t len, cap;
} text;

static void put(text *t, const void *p, size_t n)
{
    while (t->len + n + 1 > t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->p = realloc(t->p, t->cap);
    }
    if (n)
        memcpy(t->p + t->len, p, n);
    t->len += n;
    t->p[t->len] = '\0';
}

/* A record is collected, then padded to the widest so far, as the reader
 * repairs ragged rows. */
typedef struct refrec {
    text cur;
    size_t nf;
    size_t width;
    text out;
    size_t nrec;
} refrec;

static void ref_field(void *p, size_t n, void *ud)
{
    refrec *r = ud;
    if (r->nf)
        put(&r->cur, "\x1f", 1);
    put(&r->cur, p, n);
    r->nf++;
}

static void ref_row(int c, void *ud)
{
    (void)c;
    refrec *r = ud;
    if (r->nf > r->width)
        r->width = r->nf;
    put(&r->out, r->cur.p ? r->cur.p : "", r->cur.len);
    for (size_t i = r->nf; i < r->width; i++)
        put(&r->out, "\x1f", 1);
    put(&r->out, "\x1e", 1);
    r->cur.len = 0;
    r->nf = 0;
    r->nrec++;
}

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

/* Parses s with libcsv alone, the reference for the reader with no header. */
static char *reference(const char *s, size_t n, char delim, size_t *nrec)
{
    struct csv_parser p;
    csv_init(&p, 0);
    csv_set_space_func(&p, no_space);
    csv_set_delim(&p, (unsigned char)delim);
    refrec r;
    memset(&r, 0, sizeof r);
    put(&r.out, "", 0);
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        n -= 3;
    }
    csv_parse(&p, s, n, ref_field, ref_row, &r);
    csv_fini(&p, ref_field, ref_row, &r);
    csv_free(&p);
    free(r.cur.p);
    *nrec = r.nrec;
    return r.out.p;
}

/* Reads an iterator into the same text form. */
static char *collect(rn_iter *it, size_t *nrec, int *status)
{
    text t;
    memset(&t, 0, sizeof t);
    put(&t, "", 0);
    const rn_record *rec;
    int rc;
    size_t k = 0;
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        for (size_t i = 0; i < rec->nfields; i++) {
            if (i)
                put(&t, "\x1f", 1);
            put(&t, rec->fields[i].ptr, rec->fields[i].len);
        }
        put(&t, "\x1e", 1);
        k++;
    }
    *nrec = k;
    *status = rc;
    return t.p;
}

/* Every way the reader can split records: the fast path with each scanner,
 * the units without it, and libcsv for every line. */
static const int all_paths[] = {RN__CSV_AUTO,  RN__CSV_SCALAR, RN__CSV_SSE2,
                                RN__CSV_AVX2,  RN__CSV_UNITS,  RN__CSV_LIBCSV};
#define NPATHS (sizeof all_paths / sizeof *all_paths)

static void dump_input(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%02x ", (unsigned char)s[i]);
    fprintf(stderr, "\n");
}

static void expect_same_as_libcsv(const char *s, size_t n, size_t chunk,
                                  char delim)
{
    size_t want_n, got_n;
    char *want = reference(s, n, delim, &want_n);
    rn_csv_opts o = {0};
    o.no_header = 1;
    o.delimiter = delim;
    for (size_t k = 0; k < NPATHS; k++) {
        rn_iter *it = rn__csv_new_path(tst_chunked_source(s, n, chunk, NULL),
                                       &o, all_paths[k]);
        int rc;
        char *got = collect(it, &got_n, &rc);
        if (rc != RN_DONE || strcmp(want, got) != 0) {
            fprintf(stderr, "path %d, chunk %zu, input (%zu bytes):\n",
                    all_paths[k], chunk, n);
            dump_input(s, n);
            fprintf(stderr, "status %d %s\n", rc, rn_errmsg(it));
        }
        assert_int_equal(rc, RN_DONE);
        assert_int_equal(got_n, want_n);
        assert_string_equal(got, want);
        rn_free(it);
        free(got);
    }
    free(want);
}

static const char *const samples[] = {
    "a,b,c\n1,2,3\n",
    "a,b\n\"x,y\",z\n",
    "q\n\"say \"\"hi\"\"\"\n",
    "a,b\n\"line1\nline2\",x\n",
    "a,b\r\n\"line1\r\nline2\",x\r\n",
    "a,b\n\"\",\"\"\n,\n",
    "\xEF\xBB\xBFname,amount\nb\xC3\xA9 b\xC3\xA9,1\n",
    "a,b\nno,final newline",
    "a,b\n 1 , 2 \n",
    "a,b\n\n\n1,2\n\n",
    "a\rb\rc\n",
    "x,\"in\rquote\",y\n",
    "\"unclosed,quote\nrest",
    "a\"b,c\"d\n\"e\"f,g\n",
    "\"\"\"\",\"a\"\"\"\n",
    "trailing,\n,leading\n,\n",
    "crlf at end\r",
    "\r\n\r\n",
    "",
    "\xEF\xBB\xBF",
    "one\n",
};

static void test_same_as_libcsv_every_chunk_size(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof samples / sizeof *samples; k++) {
        size_t n = strlen(samples[k]);
        for (size_t chunk = 1; chunk <= n + 1; chunk++)
            expect_same_as_libcsv(samples[k], n, chunk, ',');
    }
}

static void test_random_inputs_same_as_libcsv(void **state)
{
    (void)state;
    const char alphabet[] = "ab,,\"\"\n\r ;";
    unsigned seed = 12345;
    char buf[300];
    for (int iter = 0; iter < 3000; iter++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 16) % sizeof buf;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        size_t chunks[] = {1, 2, 3, 7, 64, 1000};
        expect_same_as_libcsv(buf, n, chunks[iter % 6], ',');
        if (iter % 10 == 0)
            expect_same_as_libcsv(buf, n, 5, ';');
    }
}

/* ---- RFC 4180 and the documented behaviour, spelled out ----------------- */

static char *read_all(const char *s, const rn_csv_opts *o, size_t chunk,
                      int *rc, rn_iter **keep)
{
    rn_iter *it = rn_csv_new(tst_chunked_source(s, strlen(s), chunk, NULL), o);
    size_t n;
    char *got = collect(it, &n, rc);
    if (keep)
        *keep = it;
    else
        rn_free(it);
    return got;
}

static void expect_records(const char *s, const char *want, const rn_csv_opts *o)
{
    size_t n = strlen(s);
    for (size_t chunk = 1; chunk <= n + 1; chunk++) {
        int rc;
        char *got = read_all(s, o, chunk, &rc, NULL);
        assert_int_equal(rc, RN_DONE);
        assert_string_equal(got, want);
        free(got);
    }
}

#define US "\x1f"
#define RS "\x1e"

static void test_rfc4180(void **state)
{
    (void)state;
    expect_records("h1,h2\n\"a,b\",c\n", "a,b" US "c" RS, NULL);
    expect_records("h\n\"x\"\"y\"\n", "x\"y" RS, NULL);
    expect_records("h1,h2\n\"l1\nl2\",z\n", "l1\nl2" US "z" RS, NULL);
    expect_records("h1,h2\r\n\"l1\r\nl2\",z\r\n", "l1\r\nl2" US "z" RS, NULL);
    expect_records("h1,h2\n\"\",\n", US RS, NULL);
    expect_records("h1,h2\n sp , ace \n", " sp " US " ace " RS, NULL);
    expect_records("\xEF\xBB\xBFh\nx\n", "x" RS, NULL);
    expect_records("h\nlast", "last" RS, NULL);
    expect_records("h\n\n\nx\n\n", "x" RS, NULL);
    rn_csv_opts tsv = {0};
    tsv.delimiter = '\t';
    expect_records("a\tb\nx,y\t\"q\tq\"\n", "x,y" US "q\tq" RS, &tsv);
}

static void test_header_names(void **state)
{
    (void)state;
    const char *s = "a,,a,b,a,a_2\n1,2,3,4,5,6\n";
    rn_iter *it = rn_csv_new(rn_source_mem(s, strlen(s), NULL), NULL);
    /* The header is read at construction. */
    const rn_schema *sc = rn_schema_of(it);
    const char *want[] = {"a", "_2", "a_2", "b", "a_3", "a_2_2"};
    assert_int_equal(rn_schema_count(sc), 6);
    for (size_t i = 0; i < 6; i++) {
        rn_field f = rn_schema_name(sc, i);
        assert_int_equal(f.len, strlen(want[i]));
        assert_memory_equal(f.ptr, want[i], f.len);
    }
    rn_free(it);

    rn_csv_opts o = {0};
    o.no_header = 1;
    it = rn_csv_new(rn_source_mem("x,y,z\n", 6, NULL), &o);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    sc = rn_schema_of(it);
    assert_int_equal(rn_schema_count(sc), 3);
    assert_int_equal(rn_schema_find(sc, "3", 1), 2);
    rn_free(it);
}

static void test_ragged_rows(void **state)
{
    (void)state;
    const char *s = "a,b,c\n1,2\n1,2,3,4,5\n9,9,9\n";
    size_t n = strlen(s);
    for (size_t chunk = 1; chunk <= n; chunk++) {
        int rc;
        rn_iter *it;
        char *got = read_all(s, NULL, chunk, &rc, &it);
        assert_int_equal(rc, RN_DONE);
        /* Short rows are padded, long ones keep extra fields as _4, _5, and
         * later rows pad to the wider schema. */
        assert_string_equal(got, "1" US "2" US RS "1" US "2" US "3" US "4" US
                                 "5" RS "9" US "9" US "9" US US RS);
        const rn_schema *sc = rn_schema_of(it);
        assert_int_equal(rn_schema_count(sc), 5);
        assert_int_equal(rn_schema_find(sc, "_5", 2), 4);
        rn_stats st;
        rn_stats_of(it, &st);
        assert_int_equal(st.fixed, 3);
        assert_int_equal(st.records_in, 3);
        assert_int_equal(st.records_out, 3);
        free(got);
        rn_free(it);
    }
}

/* Rows wider than the header replace the schema, more than once here; the
 * replaced ones are kept until the end and all memory comes back with the
 * sizes it was taken with. */
static void test_widening_rows_free_cleanly(void **state)
{
    (void)state;
    const char *s = "a\n1,2\n1,2,3\n1,2,3,4\n1,2,3,4,5\n";
    tst_alloc t = tst_alloc_init();
    rn_allocator a = tst_allocator(&t);
    rn_source_opts o = {0};
    o.allocator = &a;
    rn_iter *it = rn_csv_new(rn_source_mem(s, strlen(s), &o), NULL);
    size_t n;
    int rc;
    char *got = collect(it, &n, &rc);
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(n, 4);
    assert_int_equal(rn_schema_count(rn_schema_of(it)), 5);
    rn_free(it);
    free(got);
    assert_int_equal(t.live, 0);
    assert_int_equal(t.nlive, 0);
}

typedef struct rejects {
    size_t n;
    uint64_t lines[8];
    char reasons[8][128];
} rejects;

static void on_reject(void *ud, const char *source, uint64_t line,
                      uint64_t off, const char *reason, const char *raw,
                      size_t rawlen)
{
    (void)source;
    (void)off;
    (void)raw;
    (void)rawlen;
    rejects *r = ud;
    if (r->n < 8) {
        r->lines[r->n] = line;
        snprintf(r->reasons[r->n], sizeof r->reasons[0], "%s", reason);
    }
    r->n++;
}

static void test_strict(void **state)
{
    (void)state;
    const char *s = "a,b\n1,2\n3\n\"x\"y,z\n5,6\n\"open,7\n";
    size_t n = strlen(s);
    for (size_t chunk = 1; chunk <= n; chunk++) {
        /* Without a rejects callback: the first bad row stops the run. */
        rn_csv_opts o = {0};
        o.strict = 1;
        int rc;
        rn_iter *it;
        char *got = read_all(s, &o, chunk, &rc, &it);
        assert_int_equal(rc, RN_EPARSE);
        assert_non_null(strstr(rn_errmsg(it), "line 3"));
        assert_non_null(strstr(rn_errmsg(it), "ragged"));
        assert_string_equal(got, "1" US "2" RS);
        free(got);
        rn_free(it);

        /* With one: bad rows are rejected with their line, the rest read. */
        rejects r;
        memset(&r, 0, sizeof r);
        o.on_reject = on_reject;
        o.reject_ud = &r;
        got = read_all(s, &o, chunk, &rc, &it);
        assert_int_equal(rc, RN_DONE);
        assert_string_equal(got, "1" US "2" RS "5" US "6" RS);
        assert_int_equal(r.n, 3);
        assert_int_equal(r.lines[0], 3);
        assert_int_equal(r.lines[1], 4);
        assert_non_null(strstr(r.reasons[1], "quoting"));
        assert_int_equal(r.lines[2], 6);
        assert_non_null(strstr(r.reasons[2], "unclosed"));
        rn_stats st;
        rn_stats_of(it, &st);
        assert_int_equal(st.rejected, 3);
        free(got);
        rn_free(it);
    }
}

static void test_field_cap_bounds_memory(void **state)
{
    (void)state;
    /* An unclosed quote followed by 8 MB: the cap stops it and memory stays
     * near the cap, not the input. */
    size_t n = 8u << 20;
    char *s = malloc(n);
    memset(s, 'x', n);
    memcpy(s, "h\n\"", 3);
    for (size_t i = 100; i < n; i += 100)
        s[i] = '\n';
    tst_alloc t = tst_alloc_init();
    rn_allocator a = tst_allocator(&t);
    rn_source_opts so = {0};
    so.allocator = &a;
    rn_csv_opts o = {0};
    o.max_field_bytes = 64 * 1024;
    rn_iter *it = rn_csv_new(tst_chunked_source(s, n, 4096, &so), &o);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ETOOBIG);
    assert_non_null(strstr(rn_errmsg(it), "max_field_bytes"));
    assert_non_null(strstr(rn_errmsg(it), "line 2"));
    assert_true(t.peak < 1u << 20);
    rn_free(it);
    assert_int_equal(t.live, 0);

    /* Too many fields, in both paths. */
    rn_csv_opts f = {0};
    f.max_fields = 3;
    f.no_header = 1;
    int rc;
    char *got = read_all("1,2,3\n1,2,3,4\n", &f, 5, &rc, NULL);
    assert_int_equal(rc, RN_ETOOBIG);
    free(got);
    got = read_all("1,2,3\n\"1\",2,3,4\n", &f, 5, &rc, NULL);
    assert_int_equal(rc, RN_ETOOBIG);
    free(got);
    free(s);
}

static void test_wide_records(void **state)
{
    (void)state;
    /* 100,000 columns: more than the initial field pool. */
    size_t cols = 100000;
    char *s = malloc(cols * 2 + 16);
    size_t n = 0;
    for (int row = 0; row < 3; row++) {
        for (size_t i = 0; i < cols; i++) {
            s[n++] = (char)('a' + (i + (size_t)row) % 26);
            s[n++] = i + 1 < cols ? ',' : '\n';
        }
        if (row == 0)
            s = realloc(s, cols * 6 + 16);
    }
    size_t want_n;
    char *want = reference(s, n, ',', &want_n);
    rn_csv_opts o = {0};
    o.no_header = 1;
    size_t chunks[] = {7, 4096, 1u << 20};
    for (size_t k = 0; k < 3; k++) {
        rn_iter *it = rn_csv_new(tst_chunked_source(s, n, chunks[k], NULL), &o);
        size_t got_n;
        int rc;
        char *got = collect(it, &got_n, &rc);
        assert_int_equal(rc, RN_DONE);
        assert_int_equal(got_n, 3);
        assert_string_equal(got, want);
        free(got);
        rn_free(it);
    }
    free(want);
    free(s);
}

static void test_sources(void **state)
{
    (void)state;
    /* Through a file, gzip and mmap: the same records. */
    const char *s = "id,note\n1,\"a,b\"\n2,\"multi\nline\"\n3,plain\n";
    size_t n = strlen(s);
    char *path = tst_write_temp(s, n);
    size_t gzlen;
    void *gz = tst_gzip(s, n, &gzlen);
    char *gzpath = tst_write_temp(gz, gzlen);
    const char *want = "1" US "a,b" RS "2" US "multi\nline" RS "3" US "plain" RS;
    for (int mm = RN_MMAP_NEVER; mm <= RN_MMAP_ALWAYS; mm++) {
        rn_source_opts so = {0};
        so.mmap = mm;
        so.block_size = 5;
        const char *paths[] = {path, gzpath};
        for (int i = 0; i < 2; i++) {
            rn_iter *it = rn_csv_new(rn_source_file(paths[i], &so), NULL);
            size_t k;
            int rc;
            char *got = collect(it, &k, &rc);
            assert_int_equal(rc, RN_DONE);
            assert_string_equal(got, want);
            const rn_record *rec;
            assert_int_equal(rn_next(it, &rec), RN_DONE);
            free(got);
            rn_free(it);
        }
    }
    unlink(path);
    unlink(gzpath);
    free(path);
    free(gzpath);
    free(gz);
}

static void test_record_positions(void **state)
{
    (void)state;
    const char *s = "h\n\"a\nb\"\nc\n";
    rn_iter *it = rn_csv_new(rn_source_mem(s, strlen(s), NULL), NULL);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_int_equal(rec->line, 2);
    assert_int_equal(rec->offset, 2);
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_int_equal(rec->line, 4);
    assert_int_equal(rec->offset, 8);
    rn_free(it);
}

static void test_failing_allocator(void **state)
{
    (void)state;
    size_t n;
    /* Quoted and plain rows, a long field, spanning 4 KiB blocks. */
    char *s = malloc(200000);
    n = (size_t)sprintf(s, "a,b,c\n");
    for (int i = 0; i < 2000; i++)
        n += (size_t)sprintf(s + n, i % 7 ? "%d,x,y\n" : "\"%d\",\"q,\"\"r\",z\n", i);
    memset(s + n, 'L', 20000);
    n += 20000;
    s[n++] = '\n';
    bool completed = false;
    for (long fail = 0; !completed && fail < 2000; fail++) {
        tst_alloc t = tst_alloc_init();
        t.fail_at = fail;
        rn_allocator a = tst_allocator(&t);
        rn_source_opts so = {0};
        so.allocator = &a;
        so.block_size = 4096;
        rn_iter *it = rn_csv_new(rn_source_mem(s, n, &so), NULL);
        if (it) {
            size_t k;
            int rc;
            char *got = collect(it, &k, &rc);
            if (rc == RN_DONE) {
                assert_int_equal(k, 2001);
                completed = !t.failed;
            } else {
                assert_int_equal(rc, RN_ENOMEM);
                assert_true(t.failed);
            }
            free(got);
            rn_free(it);
        } else {
            assert_true(t.failed);
        }
        assert_int_equal(t.live, 0);
        assert_int_equal(t.nlive, 0);
    }
    assert_true(completed);
    free(s);
}

typedef struct gen {
    uint64_t left, i;
} gen;

static ptrdiff_t gen_read(void *ud, void *buf, size_t cap)
{
    gen *g = ud;
    char *p = buf;
    size_t n = 0;
    if (g->i == 0 && cap > 32) {
        n = (size_t)sprintf(p, "id,cat,amount,note\n");
        g->i = 1;
    }
    while (g->left && n + 80 <= cap) {
        int k = g->i % 20 ? sprintf(p + n, "%llu,c%llu,%llu.25,plain\n",
                                    (unsigned long long)g->i,
                                    (unsigned long long)(g->i % 13),
                                    (unsigned long long)(g->i % 1000))
                          : sprintf(p + n, "%llu,\"c, %llu\",1,\"q\"\"\n\"\n",
                                    (unsigned long long)g->i,
                                    (unsigned long long)(g->i % 13));
        g->i++;
        n += (size_t)k;
        g->left = g->left > (uint64_t)k ? g->left - (uint64_t)k : 0;
    }
    return (ptrdiff_t)n;
}

static size_t peak_for(uint64_t bytes, uint64_t *records)
{
    tst_alloc t = tst_alloc_init();
    rn_allocator a = tst_allocator(&t);
    rn_source_opts o = {0};
    o.allocator = &a;
    gen g = {bytes, 0};
    rn_iter *it = rn_count_new(
        rn_csv_new(rn_source_callback(gen_read, NULL, &g, &o), NULL));
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    *records = strtoull(rec->fields[0].ptr, NULL, 10);
    rn_free(it);
    assert_int_equal(t.live, 0);
    return t.peak;
}

static void test_constant_memory(void **state)
{
    (void)state;
    uint64_t small_n, big_n;
    size_t small = peak_for(1u << 20, &small_n);
    size_t big = peak_for(50u << 20, &big_n);
    assert_true(big_n > 40 * small_n);
    assert_int_equal(small, big);
}

/* ---- the fast path against the reader without it ------------------------ */

/* Rejects as text, in the order they come. */
typedef struct reject_log {
    text t;
    bool raw; /* with the raw bytes */
} reject_log;

static void log_reject(void *ud, const char *source, uint64_t line,
                       uint64_t off, const char *reason, const char *raw,
                       size_t rawlen)
{
    reject_log *l = ud;
    char head[256];
    int k = snprintf(head, sizeof head, "reject %s %llu %llu %s", source,
                     (unsigned long long)line, (unsigned long long)off,
                     reason);
    put(&l->t, head, (size_t)k);
    if (l->raw) {
        k = snprintf(head, sizeof head, " %zu:", rawlen);
        put(&l->t, head, (size_t)k);
        put(&l->t, raw, rawlen);
    }
    put(&l->t, "\n", 1);
}

/* Everything a run shows, as text: each record's line, offset, raw view
 * (with_raw) and fields, length-prefixed; the final status, message,
 * counters and field names; then the rejects. */
static char *transcript(const char *s, size_t n, size_t chunk,
                        const rn_csv_opts *opts, int path, bool with_raw)
{
    rn_csv_opts o = *opts;
    reject_log rl;
    memset(&rl, 0, sizeof rl);
    put(&rl.t, "", 0);
    rl.raw = with_raw;
    if (o.on_reject) {
        o.on_reject = log_reject;
        o.reject_ud = &rl;
    }
    rn_iter *it =
        rn__csv_new_path(tst_chunked_source(s, n, chunk, NULL), &o, path);
    assert_non_null(it);
    text t;
    memset(&t, 0, sizeof t);
    put(&t, "", 0);
    char buf[640];
    const rn_record *rec;
    int rc, k;
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        k = snprintf(buf, sizeof buf, "L%llu O%llu N%zu",
                     (unsigned long long)rec->line,
                     (unsigned long long)rec->offset, rec->nfields);
        put(&t, buf, (size_t)k);
        if (with_raw) {
            if (rec->raw.ptr) {
                k = snprintf(buf, sizeof buf, " R%zu:", rec->raw.len);
                put(&t, buf, (size_t)k);
                put(&t, rec->raw.ptr, rec->raw.len);
            } else {
                assert_int_equal(rec->raw.len, 0);
                put(&t, " R-", 3);
            }
        }
        for (size_t i = 0; i < rec->nfields; i++) {
            k = snprintf(buf, sizeof buf, " %zu:", rec->fields[i].len);
            put(&t, buf, (size_t)k);
            put(&t, rec->fields[i].ptr, rec->fields[i].len);
        }
        put(&t, "\n", 1);
    }
    rn_stats st;
    rn_stats_of(it, &st);
    k = snprintf(buf, sizeof buf,
                 "END %d [%s] in %llu out %llu fixed %llu rejected %llu\n",
                 rc, rn_errmsg(it), (unsigned long long)st.records_in,
                 (unsigned long long)st.records_out,
                 (unsigned long long)st.fixed,
                 (unsigned long long)st.rejected);
    put(&t, buf, (size_t)k);
    const rn_schema *sc = rn_schema_of(it);
    for (size_t i = 0; i < rn_schema_count(sc); i++) {
        rn_field f = rn_schema_name(sc, i);
        put(&t, f.ptr, f.len);
        put(&t, ",", 1);
    }
    put(&t, "\n", 1);
    put(&t, rl.t.p, rl.t.len);
    free(rl.t.p);
    rn_free(it);
    return t.p;
}

/* The fast path with each scanner gives exactly what the reader gives
 * without it; libcsv for every line gives the same records but for the raw
 * views (it keeps none), when no cap is set (the caps' errors differ). */
static void expect_paths_agree(const char *s, size_t n, size_t chunk,
                               const rn_csv_opts *o)
{
    char *want = transcript(s, n, chunk, o, RN__CSV_UNITS, true);
    char *want_noraw = transcript(s, n, chunk, o, RN__CSV_UNITS, false);
    for (size_t k = 0; k < NPATHS; k++) {
        int path = all_paths[k];
        if (path == RN__CSV_UNITS)
            continue;
        bool lib = path == RN__CSV_LIBCSV;
        if (lib && (o->max_field_bytes || o->max_fields))
            continue;
        char *got = transcript(s, n, chunk, o, path, !lib);
        const char *cmp = lib ? want_noraw : want;
        if (strcmp(cmp, got) != 0) {
            fprintf(stderr,
                    "path %d differs: chunk %zu, delim %02x quote %02x "
                    "strict %d header %d caps %zu/%zu, input (%zu bytes):\n",
                    path, chunk, (unsigned char)o->delimiter,
                    (unsigned char)o->quote, o->strict, !o->no_header,
                    o->max_field_bytes, o->max_fields, n);
            dump_input(s, n);
            fprintf(stderr, "want:\n%s\ngot:\n%s\n", cmp, got);
        }
        assert_string_equal(got, cmp);
        free(got);
    }
    free(want);
    free(want_noraw);
}

/* The option sets the differential tests run with. */
static rn_csv_opts opts_case(int i)
{
    rn_csv_opts o;
    memset(&o, 0, sizeof o);
    switch (i) {
    case 0: /* plain, no header */
        o.no_header = 1;
        break;
    case 1: /* a header, so ragged rows widen the schema */
        break;
    case 2: /* --strict with rejects */
        o.strict = 1;
        o.on_reject = log_reject;
        break;
    case 3: /* --strict without: the first bad row stops the run */
        o.strict = 1;
        o.no_header = 1;
        break;
    case 4: /* TSV and another quote */
        o.delimiter = '\t';
        o.quote = '\'';
        o.no_header = 1;
        break;
    case 5: /* a delimiter that is a letter */
        o.delimiter = 'a';
        o.no_header = 1;
        break;
    default: /* small caps */
        o.max_field_bytes = 3;
        o.max_fields = 3;
        o.no_header = 1;
        break;
    }
    return o;
}
#define NOPTS 7

/* Samples for the paths: those above, plus records around the fast path's
 * edges (64-byte words, quotes it declines, CRs, long lines). */
static const char *const edge_samples[] = {
    "id,date,category,amount,customer,note\n"
    "1,2024-03-14,games,1250.64,c25908,query\n"
    "2,2024-04-26,\"Baby, Kids\",1495.98,c33989,queue\n"
    "3,2024-08-04,books,929.25,c02997,\"said \"\"thanks\"\"\"\n"
    "4,2024-06-10,\"kitchen\",158.93,c29283,\"two\nlines\"\n"
    "5,2024-06-10,toys,,c29283,\n",
    "\"a\"b,c\n\"x\" ,y\nq\"r,s\n\"\"\"\",\"\"\n\"open\n",
    "a,\"b\r\nc\",d\r\ne,f\rg,h\r\r\n\"\"\r",
    "0123456789012345678901234567890123456789012345678901234567890,2\n"
    "\"0123456789012345678901234567890123456789012345678901234567890\","
    "\"\n\"\n"
    "x,\"y\"\"0123456789012345678901234567890123456789012345678901234\"\n",
    "1,2,3\n1,2\n1,2,3,4\n,\n\n\"\",\"\",\"\"\n1,2,3",
    "h\n\"ends\"",
    "h\n\"ends\"\"\"",
    "h\n\"open",
    "a\tb\n'x\ty'\t''''\n'q'\tz\n",
};

static void test_fast_path_every_chunk_size(void **state)
{
    (void)state;
    for (int oi = 0; oi < NOPTS; oi++) {
        rn_csv_opts o = opts_case(oi);
        for (size_t k = 0; k < sizeof samples / sizeof *samples; k++) {
            size_t n = strlen(samples[k]);
            for (size_t chunk = 1; chunk <= n + 1; chunk++)
                expect_paths_agree(samples[k], n, chunk, &o);
        }
        for (size_t k = 0; k < sizeof edge_samples / sizeof *edge_samples;
             k++) {
            size_t n = strlen(edge_samples[k]);
            for (size_t chunk = 1; chunk <= n + 1; chunk++)
                expect_paths_agree(edge_samples[k], n, chunk, &o);
        }
    }
}

/* Random records: fields plain, quoted, quoted with doubled quotes or line
 * ends, or broken, of lengths that cross 64-byte words. */
static size_t random_csv(uint64_t *seed, char *buf, size_t cap, char delim,
                         char quote)
{
    size_t n = 0;
    size_t nrec = tst_rnd(seed) % 12;
    for (size_t r = 0; r < nrec && n + 1024 < cap; r++) {
        size_t nf = 1 + tst_rnd(seed) % 5;
        for (size_t f = 0; f < nf; f++) {
            uint64_t kind = tst_rnd(seed) % 16;
            size_t len = tst_rnd(seed) % 4 ? tst_rnd(seed) % 6
                                           : tst_rnd(seed) % 90;
            const char *fill = "abxyz 09";
            if (kind >= 10)
                buf[n++] = quote;
            for (size_t i = 0; i < len; i++) {
                uint64_t x = tst_rnd(seed) % 64;
                char c = fill[x % 8];
                if (kind >= 10 && x == 0) {
                    buf[n++] = quote;
                    c = quote; /* doubled */
                } else if (kind >= 13 && x == 1) {
                    c = '\n';
                } else if (kind >= 13 && x == 2) {
                    c = delim;
                } else if (kind == 15 && x == 3) {
                    c = quote; /* lone: libcsv's to judge */
                } else if (kind == 9 && x == 4) {
                    c = quote; /* inside a plain field */
                } else if (kind == 8 && x == 5) {
                    c = '\r';
                }
                buf[n++] = c;
            }
            if (kind >= 10 && tst_rnd(seed) % 16)
                buf[n++] = quote;
            if (kind == 14 && tst_rnd(seed) % 2)
                buf[n++] = 'j'; /* text after the closing quote */
            if (f + 1 < nf)
                buf[n++] = delim;
        }
        uint64_t end = tst_rnd(seed) % 8;
        if (end == 0) {
            buf[n++] = '\r';
            buf[n++] = '\n';
        } else if (end == 1) {
            buf[n++] = '\r';
        } else if (end == 2 && r + 1 == nrec) {
            /* no line end at the end */
        } else {
            buf[n++] = '\n';
        }
    }
    return n;
}

static void test_fast_path_random(void **state)
{
    (void)state;
    static char buf[8192];
    uint64_t seed = 7;
    for (int iter = 0; iter < 1500; iter++) {
        rn_csv_opts o = opts_case(iter % NOPTS);
        char delim = o.delimiter ? o.delimiter : ',';
        char quote = o.quote ? o.quote : '"';
        size_t n = random_csv(&seed, buf, sizeof buf, delim, quote);
        if (iter % 50 == 0) {
            /* Now and then, every chunk size. */
            for (size_t chunk = 1; chunk <= n + 1; chunk++)
                expect_paths_agree(buf, n, chunk, &o);
            continue;
        }
        size_t chunks[] = {1, 2, 3, 7, 63, 64, 65, 4096};
        for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++)
            expect_paths_agree(buf, n, chunks[c], &o);
        if (delim == ',' && quote == '"' && !o.max_fields)
            expect_same_as_libcsv(buf, n, 1 + (size_t)iter % 97, ',');
    }
    /* The adversarial alphabet of test_random_inputs_same_as_libcsv. */
    const char alphabet[] = "ab,,\"\"\n\r ;";
    for (int iter = 0; iter < 1500; iter++) {
        size_t n = tst_rnd(&seed) % 300;
        for (size_t i = 0; i < n; i++)
            buf[i] = alphabet[tst_rnd(&seed) % (sizeof alphabet - 1)];
        rn_csv_opts o = opts_case(iter % NOPTS);
        size_t chunks[] = {1, 5, 64, 1000};
        for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++)
            expect_paths_agree(buf, n, chunks[c], &o);
    }
}

/* Naive masks: bit j of word i when p[64 i + j] is one of the set. */
static void naive_masks(const unsigned char *p, size_t nchunks,
                        const unsigned char set[4], uint64_t *out)
{
    for (size_t i = 0; i < nchunks; i++) {
        out[i] = 0;
        for (unsigned j = 0; j < 64; j++) {
            unsigned char c = p[64 * i + j];
            if (c == set[0] || c == set[1] || c == set[2] || c == set[3])
                out[i] |= UINT64_C(1) << j;
        }
    }
}

static void test_scanners_same_masks(void **state)
{
    (void)state;
    unsigned char buf[64 * 9 + 8];
    uint64_t seed = 99, want[9], got[9];
    const unsigned char delims[] = {',', '\t', ';', 'a', 0xff, 0x80, ' '};
    const unsigned char quotes[] = {'"', '\'', 0x7f, 'b', 0x81, 0x01, '"'};
    for (int iter = 0; iter < 2000; iter++) {
        size_t d = (size_t)iter % sizeof delims;
        for (size_t i = 0; i < sizeof buf; i++) {
            uint64_t x = tst_rnd(&seed);
            /* Mostly the bytes that matter and their neighbours. */
            const unsigned char pick[] = {delims[d], quotes[d], '\r', '\n',
                                          (unsigned char)(delims[d] + 1),
                                          (unsigned char)(quotes[d] - 1),
                                          (unsigned char)(x >> 8), 0};
            buf[i] = pick[x % 8];
        }
        size_t nchunks = 1 + (size_t)iter % 9;
        size_t off = (size_t)iter % 8; /* unaligned starts too */
        rn__csv_scan s;
        rn__csv_scan_init(&s, delims[d], quotes[d], RN__CSV_SCALAR);
        naive_masks(buf + off, nchunks, s.set, want);
        const int kinds[] = {RN__CSV_SCALAR, RN__CSV_SSE2, RN__CSV_AVX2,
                             RN__CSV_AUTO};
        for (size_t k = 0; k < 4; k++) {
            rn__csv_scan_init(&s, delims[d], quotes[d], kinds[k]);
            memset(got, 0xa5, sizeof got);
            s.masks(buf + off, nchunks, s.set, got);
            assert_memory_equal(got, want, nchunks * sizeof *got);
        }
    }
}

static void test_paths_chosen(void **state)
{
    (void)state;
    const char *s = "a,b\n1,2\n";
    rn_iter *it = rn__csv_new_path(rn_source_mem(s, strlen(s), NULL), NULL,
                                   RN__CSV_SCALAR);
    assert_int_equal(rn__csv_path_of(it), RN__CSV_SCALAR);
    rn_free(it);
    it = rn__csv_new_path(rn_source_mem(s, strlen(s), NULL), NULL,
                          RN__CSV_LIBCSV);
    assert_int_equal(rn__csv_path_of(it), RN__CSV_LIBCSV);
    rn_free(it);
    it = rn_csv_new(rn_source_mem(s, strlen(s), NULL), NULL);
    int kind = rn__csv_path_of(it);
#if defined(__x86_64__) && defined(__GNUC__)
    assert_int_equal(kind, __builtin_cpu_supports("avx2") ? RN__CSV_AVX2
                                                          : RN__CSV_SSE2);
#else
    assert_int_equal(kind, RN__CSV_SCALAR);
#endif
    rn_free(it);
    it = rn_count_new(rn_csv_new(rn_source_mem(s, strlen(s), NULL), NULL));
    assert_int_equal(rn__csv_path_of(it), -1); /* not a CSV reader */
    rn_free(it);
}

/* The fast path takes plainly quoted fields without copying them, and
 * unescapes doubled quotes into its own bytes. */
static void test_fast_path_views(void **state)
{
    (void)state;
    const char *s = "h1,h2,h3\n\"a,b\",\"c\"\"d\",e\n";
    size_t n = strlen(s);
    rn_iter *it = rn_csv_new(rn_source_mem(s, n, NULL), NULL);
    const rn_record *rec;
    assert_int_equal(rn_next(it, &rec), RN_ROW);
    assert_int_equal(rec->nfields, 3);
    assert_ptr_equal(rec->fields[0].ptr, s + 10);
    assert_int_equal(rec->fields[0].len, 3);
    assert_int_equal(rec->fields[1].len, 3);
    assert_memory_equal(rec->fields[1].ptr, "c\"d", 3);
    assert_ptr_equal(rec->fields[2].ptr, s + 22);
    assert_null(rec->raw.ptr); /* it has quotes: no raw view */
    assert_int_equal(rec->line, 2);
    assert_int_equal(rec->offset, 9);
    rn_free(it);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_libcsv_every_chunk_size),
        cmocka_unit_test(test_random_inputs_same_as_libcsv),
        cmocka_unit_test(test_rfc4180),
        cmocka_unit_test(test_header_names),
        cmocka_unit_test(test_ragged_rows),
        cmocka_unit_test(test_widening_rows_free_cleanly),
        cmocka_unit_test(test_strict),
        cmocka_unit_test(test_field_cap_bounds_memory),
        cmocka_unit_test(test_wide_records),
        cmocka_unit_test(test_sources),
        cmocka_unit_test(test_record_positions),
        cmocka_unit_test(test_failing_allocator),
        cmocka_unit_test(test_constant_memory),
        cmocka_unit_test(test_fast_path_every_chunk_size),
        cmocka_unit_test(test_fast_path_random),
        cmocka_unit_test(test_scanners_same_masks),
        cmocka_unit_test(test_paths_chosen),
        cmocka_unit_test(test_fast_path_views),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
