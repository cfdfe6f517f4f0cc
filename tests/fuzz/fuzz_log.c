/*
 * fuzz_log.c - the log reader on arbitrary bytes, in every format: auto,
 * pipe, syslog, clf, combined and one fixed regex with named groups. The
 * first byte picks the chunk size of the source and how the records are
 * stepped; the rest are the lines. Lines that do not match are rejected
 * through a callback that reads every byte it is shown. Checks: no crash,
 * no leak, the stepping rules, and that each record has as many fields as
 * the schema names.
 */
#include "fuzz.h"

static const char *const formats[] = {
    NULL, "auto", "pipe", "syslog", "clf", "combined",
    "regex:^(?<ts>\\d{4}-\\d\\d-\\d\\d[ T][\\d:.]+)\\s*\\|?\\s*"
    "(?<level>[A-Za-z]+)\\s+(?<msg>.*?)(?: \\((?<tag>\\w+)\\))?$",
};

static void check_width(void *ud, const rn_schema *s, const rn_record *r,
                        size_t i)
{
    (void)ud;
    FZ_CHECK(s != NULL && r->nfields == rn_schema_count(s),
             "record %zu: %zu fields, schema %zu", i, r->nfields,
             s ? rn_schema_count(s) : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned opt = data[0];
    const uint8_t *s = data + 1;
    size_t n = size - 1;
    for (size_t f = 0; f < sizeof formats / sizeof *formats; f++) {
        rn_log_opts o;
        memset(&o, 0, sizeof o);
        o.format = formats[f];
        size_t rejects = 0;
        o.on_reject = fz_on_reject;
        o.reject_ud = &rejects;
        fz_chunks c;
        size_t sizes[2] = {(opt & 63) + 1, (opt >> 6) + 1};
        rn_source *src = (f + opt) % 3 == 0
                             ? rn_source_mem(s, n, NULL)
                             : fz_chunked(&c, s, n, sizes, 2, NULL);
        rn_iter *it = rn_log_new(rn_lines_new(src, NULL), &o);
        if (!it)
            continue;
        /* Only auto reads at construction, so only auto may fail there
         * (a corrupt gzip stream); a fixed format is always accepted. */
        int st0 = rn_status(it);
        FZ_CHECK(st0 == RN_OK || (f < 2 && st0 < 0 && st0 != RN_EINVAL),
                 "format %s: status %d at construction: %s",
                 formats[f] ? formats[f] : "NULL", st0, rn_errmsg(it));
        FZ_CHECK(st0 != RN_OK || rn_log_format(it) != NULL,
                 "format %s: not decided", formats[f] ? formats[f] : "NULL");
        int rc = fz_drain(it, opt * 29u + (unsigned)f, check_width, NULL);
        rn_stats st;
        rn_stats_of(it, &st);
        FZ_CHECK(st.rejected == rejects,
                 "format %s: %llu rejected, callback saw %zu (rc %d)",
                 formats[f] ? formats[f] : "NULL",
                 (unsigned long long)st.rejected, rejects, rc);
        rn_free(it);
    }
    return 0;
}
