/*
 * fuzz_csvfast.c - the CSV reader's fast path against the reader without it.
 * The first byte picks the options (delimiter, quote, strict, no_header,
 * small caps, a reject callback), the second the chunk sizes; the rest is the
 * CSV. The input is read by every path: the fast path with the best scanner,
 * with SSE2 and with the portable scanner, the units without a fast path,
 * and libcsv for every line. Each run is written down record by record (line,
 * offset, raw view, fields), with its rejects, final status, message,
 * counters and field names: every fast path must give exactly what the units
 * give, and libcsv for every line the same but for the raw views when no cap
 * is set (the caps' errors are worded differently there). Lenient runs
 * without a header are also compared with libcsv driven directly over the
 * whole input, as fuzz_csv does. Any difference aborts.
 */
#include "fuzz_libcsv.h"

#include "read/csv_scan.h"


/* ---- a run, written down ------------------------------------------------- */

typedef struct run {
    fz_buf out;    /* records, then the end */
    fz_buf rejects;
    bool raw;      /* write the raw views */
} run;

static void put_u64(fz_buf *b, uint64_t v)
{
    fz_put(b, &v, sizeof v);
}

static void put_view(fz_buf *b, const char *p, size_t n)
{
    fz_put_len(b, n);
    fz_put(b, p, n);
}

static void on_reject(void *ud, const char *source, uint64_t line,
                      uint64_t off, const char *reason, const char *raw,
                      size_t rawlen)
{
    run *r = ud;
    FZ_CHECK(rawlen == 0 || raw != NULL, "reject: NULL raw with %zu bytes",
             rawlen);
    put_view(&r->rejects, source, strlen(source));
    put_u64(&r->rejects, line);
    put_u64(&r->rejects, off);
    put_view(&r->rejects, reason, strlen(reason));
    if (r->raw)
        put_view(&r->rejects, raw, rawlen);
}

static void on_record(void *ud, const rn_schema *s, const rn_record *rec,
                      size_t i)
{
    run *r = ud;
    (void)s;
    (void)i;
    put_u64(&r->out, rec->line);
    put_u64(&r->out, rec->offset);
    if (r->raw) {
        fz_put(&r->out, rec->raw.ptr ? "R" : "-", 1);
        put_view(&r->out, rec->raw.ptr, rec->raw.len);
    }
    fz_put_len(&r->out, rec->nfields);
    for (size_t k = 0; k < rec->nfields; k++)
        put_view(&r->out, rec->fields[k].ptr, rec->fields[k].len);
}

/* Reads s with path; the run is written to *r (freed by the caller). */
static void read_path(const uint8_t *s, size_t n, const size_t *sizes,
                      const rn_csv_opts *opts, int path, bool raw, run *r,
                      unsigned mix)
{
    memset(r, 0, sizeof *r);
    r->raw = raw;
    rn_csv_opts o = *opts;
    if (o.on_reject) {
        o.on_reject = on_reject;
        o.reject_ud = r;
    }
    rn_source_opts so;
    memset(&so, 0, sizeof so);
    so.no_decompress = 1;
    fz_chunks c;
    rn_iter *it =
        rn__csv_new_path(fz_chunked(&c, s, n, sizes, 3, &so), &o, path);
    FZ_CHECK(it != NULL, "rn_csv_new: out of memory");
    int rc = fz_drain(it, mix, on_record, r);
    rn_stats st;
    rn_stats_of(it, &st);
    fz_put(&r->out, "END", 3);
    put_u64(&r->out, (uint64_t)(int64_t)rc);
    const char *m = rn_errmsg(it);
    put_view(&r->out, m, strlen(m));
    put_u64(&r->out, st.records_in);
    put_u64(&r->out, st.records_out);
    put_u64(&r->out, st.fixed);
    put_u64(&r->out, st.rejected);
    const rn_schema *sc = rn_schema_of(it);
    for (size_t i = 0; i < rn_schema_count(sc); i++) {
        rn_field f = rn_schema_name(sc, i);
        put_view(&r->out, f.ptr, f.len);
    }
    fz_put(&r->out, r->rejects.p, r->rejects.len);
    rn_free(it);
}

static void run_free(run *r)
{
    fz_buf_free(&r->out);
    fz_buf_free(&r->rejects);
}

static bool same(const fz_buf *a, const fz_buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

static void differs(const char *what, int path, const uint8_t *s, size_t n,
                    const rn_csv_opts *o, size_t chunk)
{
    fprintf(stderr,
            "%s: path %d: delim 0x%02x quote 0x%02x strict %d header %d "
            "caps %zu/%zu chunk %zu; %zu bytes:\n",
            what, path, (unsigned char)o->delimiter, (unsigned char)o->quote,
            o->strict, !o->no_header, o->max_field_bytes, o->max_fields,
            chunk, n);
    for (size_t i = 0; i < n && i < 512; i++)
        fprintf(stderr, "%02x ", s[i]);
    fprintf(stderr, "\n");
    abort();
}

/* The fields of a run of rn__csv_new_path(), encoded as the reference. */
static void fields_only(void *ud, const rn_schema *s, const rn_record *rec,
                        size_t i)
{
    (void)s;
    (void)i;
    fz_put_record(ud, rec);
}

static void against_libcsv(const uint8_t *s, size_t n, const size_t *sizes,
                           char delim, char quote)
{
    fz_buf want;
    fz_libcsv_reference(s, n, delim, quote, &want, NULL);

    rn_csv_opts o;
    memset(&o, 0, sizeof o);
    o.no_header = 1;
    o.delimiter = delim;
    o.quote = quote;
    rn_source_opts so;
    memset(&so, 0, sizeof so);
    so.no_decompress = 1;
    fz_chunks c;
    rn_iter *it = rn__csv_new_path(fz_chunked(&c, s, n, sizes, 3, &so), &o,
                                   RN__CSV_AUTO);
    FZ_CHECK(it != NULL, "rn_csv_new: out of memory");
    fz_buf got;
    memset(&got, 0, sizeof got);
    int rc = fz_drain(it, 0x5a, fields_only, &got);
    if (rc != RN_DONE || !same(&got, &want)) {
        fprintf(stderr, "status %d (%s)\n", rc, rn_errmsg(it));
        differs("differs from libcsv", RN__CSV_AUTO, s, n, &o, sizes[0]);
    }
    rn_free(it);
    fz_buf_free(&got);
    fz_buf_free(&want);
}

/* ---- the target ------------------------------------------------------------ */

static const char delims[8] = {',', ';', '\t', '|', ' ', 'a', ',', '\0'};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned opt = data[0];
    size_t chunk = (size_t)data[1] + 1;
    const uint8_t *s = data + 2;
    size_t n = size - 2;
    size_t sizes[3] = {chunk, 1 + chunk % 3, 64 + chunk};

    rn_csv_opts o;
    memset(&o, 0, sizeof o);
    o.delimiter = delims[opt & 7];
    o.quote = (opt & 0x80) ? '\'' : 0;
    o.strict = (opt >> 3) & 1;
    o.no_header = (opt >> 4) & 1;
    if (opt & 0x20) {
        o.max_field_bytes = 1 + chunk % 8;
        o.max_fields = 1 + chunk % 5;
    }
    if (opt & 0x40)
        o.on_reject = on_reject; /* replaced by read_path's own */

    /* Too many fields would pass the default cap: not compared. */
    char delim = o.delimiter ? o.delimiter : ',';
    size_t ndelim = 0;
    for (size_t i = 0; i < n; i++)
        ndelim += s[i] == (uint8_t)delim;
    if (ndelim >= 50000)
        return 0;

    run want, want_noraw;
    read_path(s, n, sizes, &o, RN__CSV_UNITS, true, &want, opt * 7u);
    read_path(s, n, sizes, &o, RN__CSV_UNITS, false, &want_noraw, opt * 3u);
    static const int fast[] = {RN__CSV_AUTO, RN__CSV_SSE2, RN__CSV_SCALAR};
    for (size_t k = 0; k < sizeof fast / sizeof *fast; k++) {
        run got;
        read_path(s, n, sizes, &o, fast[k], true, &got, opt * 11u + 5 * k);
        if (!same(&got.out, &want.out))
            differs("fast path differs from the units", fast[k], s, n, &o,
                    chunk);
        run_free(&got);
    }
    if (!o.max_field_bytes && !o.max_fields) {
        run got;
        read_path(s, n, sizes, &o, RN__CSV_LIBCSV, false, &got, opt * 13u);
        if (!same(&got.out, &want_noraw.out))
            differs("libcsv for every line differs from the units",
                    RN__CSV_LIBCSV, s, n, &o, chunk);
        run_free(&got);
        if (o.no_header && !o.strict)
            against_libcsv(s, n, sizes, delim, o.quote ? o.quote : '"');
    }
    run_free(&want);
    run_free(&want_noraw);
    return 0;
}
