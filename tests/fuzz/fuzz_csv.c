/*
 * fuzz_csv.c - the CSV reader on arbitrary bytes. The first byte picks the
 * options (delimiter, quote, strict, no_header, small caps, a reject
 * callback, memory or chunked source), the second the chunk size; the rest
 * is the CSV. Every input is read twice: once with those options (only
 * crashes, leaks and the stepping rules are checked), and once without a
 * header, lenient, with no_decompress, compared record by record against
 * libcsv driven directly over the whole input (as tests/unit/test_csv.c's
 * reference does, ragged rows padded to the widest row so far): any
 * difference aborts.
 */
#include "fuzz_libcsv.h"

/* ---- the reader --------------------------------------------------------- */

static void collect(void *ud, const rn_schema *s, const rn_record *r,
                    size_t i)
{
    (void)s;
    (void)i;
    fz_put_record(ud, r);
}

static const char delims[8] = {',', ';', '\t', '|', ' ', ':', 'a', '\0'};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned opt = data[0];
    size_t chunk = (size_t)data[1] + 1;
    const uint8_t *s = data + 2;
    size_t n = size - 2;
    char delim = delims[opt & 7];
    char quote = (opt & 0x80) ? '\'' : '"';

    /* 1. The options the first byte picks. */
    rn_csv_opts o;
    memset(&o, 0, sizeof o);
    o.delimiter = delim;
    o.quote = (opt & 0x80) ? quote : 0;
    o.strict = (opt >> 3) & 1;
    o.no_header = (opt >> 4) & 1;
    if (opt & 0x20) {
        o.max_field_bytes = 1 + chunk % 8;
        o.max_fields = 1 + chunk % 5;
    }
    size_t rejects = 0;
    if (opt & 0x40) {
        o.on_reject = fz_on_reject;
        o.reject_ud = &rejects;
    }
    fz_chunks c;
    size_t sizes[3] = {chunk, 1, chunk / 2};
    rn_source *src = (opt & 0x40) ? rn_source_mem(s, n, NULL)
                                  : fz_chunked(&c, s, n, sizes, 3, NULL);
    rn_iter *it = rn_csv_new(src, &o);
    if (it) {
        fz_drain(it, opt * 37u, NULL, NULL);
        rn_free(it);
    }

    /* 2. No header, lenient, against libcsv. A delimiter that is a line
     * end or the quote is not a CSV; too many fields would pass the
     * default cap: neither is compared. */
    if (delim == '\n' || delim == '\r' || delim == quote)
        return 0;
    size_t ndelim = 0;
    for (size_t i = 0; i < n; i++)
        ndelim += s[i] == (uint8_t)delim;
    if (ndelim >= 100000)
        return 0;
    fz_buf want;
    size_t want_n;
    fz_libcsv_reference(s, n, delim ? delim : ',', quote, &want, &want_n);
    memset(&o, 0, sizeof o);
    o.no_header = 1;
    o.delimiter = delim;
    o.quote = quote;
    rn_source_opts so;
    memset(&so, 0, sizeof so);
    so.no_decompress = 1;
    it = rn_csv_new(fz_chunked(&c, s, n, sizes, 3, &so), &o);
    FZ_CHECK(it != NULL, "rn_csv_new: out of memory");
    fz_buf got;
    memset(&got, 0, sizeof got);
    int rc = fz_drain(it, opt * 11u, collect, &got);
    if (rc != RN_DONE || got.len != want.len ||
        (got.len && memcmp(got.p, want.p, got.len) != 0)) {
        fprintf(stderr, "csv differs from libcsv: delim 0x%02x quote %c "
                        "chunk %zu status %d (%s); %zu bytes:\n",
                (unsigned char)delim, quote, chunk, rc, rn_errmsg(it), n);
        for (size_t i = 0; i < n && i < 512; i++)
            fprintf(stderr, "%02x ", s[i]);
        fprintf(stderr, "\n");
        abort();
    }
    rn_free(it);
    fz_buf_free(&want);
    fz_buf_free(&got);
    return 0;
}
