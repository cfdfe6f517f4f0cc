/*
 * fuzz_lines.c - the line reader against a model written here. A 6-byte
 * header picks max_line_bytes (1..256, or the default), keep_cr, the way
 * records are stepped and four chunk sizes for the source; the rest is the
 * text. The model splits at '\n' (a last line without one is a line),
 * drops a '\r' before the '\n' unless keep_cr, and expects RN_ETOOBIG at
 * the first line longer than the cap (its '\r' counted, its '\n' not), after
 * every line before it. Checked per record: bytes, line number, byte offset,
 * raw equal to the field.
 */
#include "fuzz.h"

typedef struct model {
    const uint8_t *p;  /* the text */
    size_t n;
    size_t pos;        /* start of the next expected line */
    uint64_t line;     /* lines checked so far */
    int keep_cr;
} model;

/* The next line of the model: start, length without '\n' (with '\r'), and
 * whether a '\n' ended it. False at the end of the text. */
static int next_line(const model *m, size_t pos, size_t *len, int *ended)
{
    if (pos >= m->n)
        return 0;
    const uint8_t *q = memchr(m->p + pos, '\n', m->n - pos);
    *len = q ? (size_t)(q - (m->p + pos)) : m->n - pos;
    *ended = q != NULL;
    return 1;
}

static void check(void *ud, const rn_schema *s, const rn_record *r, size_t i)
{
    model *m = ud;
    (void)s;
    size_t len;
    int ended;
    FZ_CHECK(next_line(m, m->pos, &len, &ended), "record %zu past the end", i);
    size_t want = len;
    if (ended && !m->keep_cr && want && m->p[m->pos + want - 1] == '\r')
        want--;
    FZ_CHECK(r->nfields == 1, "record %zu: %zu fields", i, r->nfields);
    FZ_CHECK(r->fields[0].len == want &&
                 (want == 0 || memcmp(r->fields[0].ptr, m->p + m->pos, want) == 0),
             "line %zu: %zu bytes, want %zu", i + 1, r->fields[0].len, want);
    FZ_CHECK(r->line == m->line + 1, "line %zu numbered %llu", i + 1,
             (unsigned long long)r->line);
    FZ_CHECK(r->offset == m->pos, "line %zu at offset %llu, want %zu", i + 1,
             (unsigned long long)r->offset, m->pos);
    FZ_CHECK(r->raw.len == r->fields[0].len &&
                 (r->raw.len == 0 || memcmp(r->raw.ptr, r->fields[0].ptr,
                                            r->raw.len) == 0),
             "line %zu: raw differs from the field", i + 1);
    m->line++;
    m->pos += len + (size_t)ended;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 6)
        return 0;
    size_t max = data[0] ? (size_t)data[0] : 0; /* 0: the default cap */
    int keep_cr = data[1] & 1;
    unsigned mix = data[1] >> 1;
    size_t sizes[4];
    for (int i = 0; i < 4; i++)
        sizes[i] = (size_t)data[2 + i] % 67 + 1;
    const uint8_t *p = data + 6;
    size_t n = size - 6;

    model m;
    memset(&m, 0, sizeof m);
    m.p = p;
    m.n = n;
    m.keep_cr = keep_cr;
    /* Where the model stops: the first line past the cap, if any. */
    size_t stop = 0, len;
    int ended;
    uint64_t before = 0;
    int too_big = 0;
    while (next_line(&m, stop, &len, &ended)) {
        if (max && len > max) {
            too_big = 1;
            break;
        }
        stop += len + (size_t)ended;
        before++;
    }

    rn_lines_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.max_line_bytes = max;
    lo.keep_cr = keep_cr;
    rn_source_opts so;
    memset(&so, 0, sizeof so);
    so.no_decompress = 1; /* text that starts with 1f 8b is text here */
    fz_chunks c;
    rn_iter *it = rn_lines_new(fz_chunked(&c, p, n, sizes, 4, &so), &lo);
    FZ_CHECK(it != NULL, "rn_lines_new: out of memory");
    int rc = fz_drain(it, mix, check, &m);
    FZ_CHECK(rc == (too_big ? RN_ETOOBIG : RN_DONE),
             "status %d (%s), want %s; max %zu", rc, rn_errmsg(it),
             too_big ? "RN_ETOOBIG" : "RN_DONE", max);
    FZ_CHECK(m.line == before, "%llu lines, want %llu (max %zu)",
             (unsigned long long)m.line, (unsigned long long)before, max);
    rn_stats st;
    rn_stats_of(it, &st);
    FZ_CHECK(st.records_in == before && st.records_out == before,
             "stats: in %llu, out %llu, want %llu",
             (unsigned long long)st.records_in,
             (unsigned long long)st.records_out, (unsigned long long)before);
    FZ_CHECK(rc == RN_DONE ? st.bytes_in == n : st.bytes_in <= n,
             "bytes_in %llu of %zu", (unsigned long long)st.bytes_in, n);
    rn_free(it);
    return 0;
}
