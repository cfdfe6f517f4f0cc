/*
 * sink.c - writing records as text, CSV or TSV to a file descriptor.
 *
 * Output goes through one buffer that is written with write() when full, so
 * each record costs a few memcpy calls and no allocation. Every write is
 * checked: EPIPE becomes RN_EPIPE (the reader left, which a command-line tool
 * treats as a quiet end), anything else RN_EIO naming the output. Errors are
 * sticky and nothing buffered after an error is written.
 */
#include "base/runnel_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/num.h"

#define DEFAULT_BUF (64 * RN__KIB)
#define TABLE_ROWS 1000
#define MIN_BUF (4 * RN__KIB)

struct rn_sink {
    rn_allocator mem;
    int fd;
    int format;
    bool no_header;
    bool header_done;
    bool flush_each;         /* drain after every batch (followed input) */
    int status;
    char *buf;
    size_t cap, len;
    uint64_t written;        /* bytes written so far, for messages */
    rn_batch_fn batch_fn;    /* an application's sink: no fd, no buffer */
    rn_record_fn record_fn;
    void *fn_ud;
    /* The table format holds its first TABLE_ROWS records to size the
     * columns, then prints the rest with those widths. */
    bool table_fixed;        /* widths decided, rows stream out */
    const rn_schema *tschema;
    size_t tcols;            /* columns of the table */
    size_t *width;           /* display width per column */
    bool *right;             /* right-align: a numeric column */
    size_t wcap;
    char *tb;                /* held rows: bytes */
    size_t tbcap, tblen;
    size_t *toff;            /* held rows: start of each field in tb, and the
                                end of the last (nrow * (tcols + 1)) */
    size_t tocap, tolen;
    size_t nrow;
    char name[64];
    char err[RN__ERRMSG_MAX];
};

rn_sink *rn_sink_fd(int fd, const rn_sink_opts *o)
{
    rn_allocator a = rn__allocator(o ? o->allocator : NULL);
    rn_sink *s = rn__calloc(&a, sizeof *s);
    if (!s)
        return NULL;
    s->mem = a;
    s->fd = fd;
    s->format = o ? o->format : RN_FORMAT_TEXT;
    s->no_header = o && o->no_header;
    s->flush_each = o && o->flush_each;
    s->cap = o && o->buffer_size ? o->buffer_size : DEFAULT_BUF;
    if (s->cap < MIN_BUF)
        s->cap = MIN_BUF;
    s->buf = rn__alloc(&a, s->cap);
    if (!s->buf) {
        rn__free(&a, s, sizeof *s);
        return NULL;
    }
    if (o && o->name)
        snprintf(s->name, sizeof s->name, "%s", o->name);
    else if (fd == 1)
        snprintf(s->name, sizeof s->name, "<stdout>");
    else
        snprintf(s->name, sizeof s->name, "<fd %d>", fd);
    if (s->format < RN_FORMAT_TEXT || s->format > RN_FORMAT_TABLE) {
        s->status = RN_EINVAL;
        snprintf(s->err, sizeof s->err, "%s: unknown output format %d",
                 s->name, s->format);
    }
    return s;
}

static int drain(rn_sink *s)
{
    size_t off = 0;
    while (off < s->len) {
        ssize_t w = write(s->fd, s->buf + off, s->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;
            s->status = e == EPIPE ? RN_EPIPE : RN_EIO;
            snprintf(s->err, sizeof s->err, "cannot write to %s: %s",
                     s->name, strerror(e));
            s->len = 0;
            return s->status;
        }
        off += (size_t)w;
        s->written += (uint64_t)w;
    }
    s->len = 0;
    return RN_OK;
}

/* Appends bytes, draining the buffer as often as needed. */
static int put(rn_sink *s, const char *p, size_t n)
{
    while (n > s->cap - s->len) {
        size_t room = s->cap - s->len;
        memcpy(s->buf + s->len, p, room);
        s->len += room;
        p += room;
        n -= room;
        if (drain(s) < 0)
            return s->status;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    return RN_OK;
}

static int putc_(rn_sink *s, char c)
{
    if (s->len == s->cap && drain(s) < 0)
        return s->status;
    s->buf[s->len++] = c;
    return RN_OK;
}

/* RFC 4180: quote only fields holding a comma, quote, CR or LF (or that
 * start or end with a space, which some readers would trim), doubling quotes. */
static int put_csv(rn_sink *s, rn_field f)
{
    bool quote = f.len && (f.ptr[0] == ' ' || f.ptr[f.len - 1] == ' ');
    for (size_t i = 0; i < f.len && !quote; i++) {
        char c = f.ptr[i];
        quote = c == ',' || c == '"' || c == '\n' || c == '\r';
    }
    if (!quote)
        return put(s, f.ptr, f.len);
    int rc = putc_(s, '"');
    size_t start = 0;
    for (size_t i = 0; i < f.len && rc == RN_OK; i++) {
        if (f.ptr[i] == '"') {
            rc = put(s, f.ptr + start, i + 1 - start);
            if (rc == RN_OK)
                rc = putc_(s, '"');
            start = i + 1;
        }
    }
    if (rc == RN_OK)
        rc = put(s, f.ptr + start, f.len - start);
    return rc == RN_OK ? putc_(s, '"') : rc;
}

/* TSV cannot quote, so the bytes that would break a row are escaped. */
static int put_tsv(rn_sink *s, rn_field f)
{
    size_t start = 0;
    int rc = RN_OK;
    for (size_t i = 0; i < f.len && rc == RN_OK; i++) {
        char c = f.ptr[i], e;
        switch (c) {
        case '\t': e = 't'; break;
        case '\n': e = 'n'; break;
        case '\r': e = 'r'; break;
        case '\\': e = '\\'; break;
        default: continue;
        }
        rc = put(s, f.ptr + start, i - start);
        if (rc == RN_OK)
            rc = putc_(s, '\\');
        if (rc == RN_OK)
            rc = putc_(s, e);
        start = i + 1;
    }
    return rc == RN_OK ? put(s, f.ptr + start, f.len - start) : rc;
}

/* A JSON string (RFC 8259): quote, backslash and control bytes escaped;
 * other bytes, UTF-8 or not, pass as they are. */
static int put_json(rn_sink *s, rn_field f)
{
    static const char hex[] = "0123456789abcdef";
    int rc = putc_(s, '"');
    size_t start = 0;
    for (size_t i = 0; i < f.len && rc == RN_OK; i++) {
        unsigned char c = (unsigned char)f.ptr[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc = put(s, f.ptr + start, i - start);
        start = i + 1;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t elen = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        }
        if (rc == RN_OK)
            rc = put(s, esc, elen);
    }
    if (rc == RN_OK)
        rc = put(s, f.ptr + start, f.len - start);
    return rc == RN_OK ? putc_(s, '"') : rc;
}

/* Whether bytes are a number as JSON writes one (RFC 8259 section 6):
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number(const char *p, size_t n)
{
    size_t i = 0;
    if (i < n && p[i] == '-')
        i++;
    if (i == n || p[i] < '0' || p[i] > '9')
        return false;
    if (p[i] == '0')
        i++;
    else
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
    if (i < n && p[i] == '.') {
        size_t d = ++i;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

/* {"name":"value",...}; fields past the schema are named _N. */
static int put_jsonl(rn_sink *s, const rn_schema *schema, const rn_field *f,
                     size_t n)
{
    int rc = putc_(s, '{');
    for (size_t i = 0; i < n && rc == RN_OK; i++) {
        if (i)
            rc = putc_(s, ',');
        rn_field name = rn_schema_name(schema, i);
        char tmp[32];
        if (!schema || i >= schema->n) {
            name.ptr = tmp;
            name.len = (size_t)snprintf(tmp, sizeof tmp, "_%zu", i + 1);
        }
        if (rc == RN_OK)
            rc = put_json(s, name);
        if (rc == RN_OK)
            rc = putc_(s, ':');
        if (rc != RN_OK)
            break;
        /* Computed numbers are JSON numbers; an empty one (the mean of no
         * values) is null. Fields as read stay strings: "08123" is an id. */
        double d;
        if (rn_schema_is_number(schema, i) && f[i].len == 0) {
            rc = put(s, "null", 4);
        } else if (rn_schema_is_number(schema, i) &&
                   json_number(f[i].ptr, f[i].len)) {
            rc = put(s, f[i].ptr, f[i].len);
        } else if (rn_schema_is_number(schema, i) &&
                   rn__parse_double(f[i].ptr, f[i].len, &d) == RN_OK &&
                   d == d && d - d == 0) {
            /* A number as the input wrote it (".5", "+1.50"): rewritten in
             * the form JSON accepts. */
            char num[RN__FMT_DOUBLE_MAX];
            rc = put(s, num, rn__fmt_double(d, num));
        } else {
            rc = put_json(s, f[i]); /* inf, nan, text: a string */
        }
    }
    if (rc == RN_OK)
        rc = putc_(s, '}');
    return rc == RN_OK ? putc_(s, '\n') : rc;
}

static int put_row(rn_sink *s, const rn_field *f, size_t n)
{
    char sep = s->format == RN_FORMAT_CSV ? ',' : '\t';
    int rc = RN_OK;
    for (size_t i = 0; i < n && rc == RN_OK; i++) {
        if (i)
            rc = putc_(s, sep);
        if (rc != RN_OK)
            break;
        switch (s->format) {
        case RN_FORMAT_CSV: rc = put_csv(s, f[i]); break;
        case RN_FORMAT_TSV: rc = put_tsv(s, f[i]); break;
        default: rc = put(s, f[i].ptr, f[i].len); break;
        }
    }
    return rc == RN_OK ? putc_(s, '\n') : rc;
}

/* ---- table ----------------------------------------------------------- */

/* Display width: UTF-8 characters, with control bytes shown as \n-style
 * escapes of two columns, so multi-line values keep the rows aligned. */
static size_t display_width(rn_field f)
{
    size_t w = 0;
    for (size_t i = 0; i < f.len; i++) {
        unsigned char c = (unsigned char)f.ptr[i];
        if (c < 0x20)
            w += 2;
        else if ((c & 0xC0) != 0x80)
            w++;
    }
    return w;
}

static int put_cell(rn_sink *s, rn_field f, size_t width, bool right,
                    bool last)
{
    size_t w = display_width(f), pad = w < width ? width - w : 0;
    int rc = RN_OK;
    if (right)
        for (size_t i = 0; i < pad && rc == RN_OK; i++)
            rc = putc_(s, ' ');
    size_t start = 0;
    for (size_t i = 0; i < f.len && rc == RN_OK; i++) {
        unsigned char c = (unsigned char)f.ptr[i];
        if (c >= 0x20)
            continue;
        char esc[2] = {'\\', c == '\n' ? 'n' : c == '\r' ? 'r'
                                          : c == '\t' ? 't' : '?'};
        rc = put(s, f.ptr + start, i - start);
        if (rc == RN_OK)
            rc = put(s, esc, 2);
        start = i + 1;
    }
    if (rc == RN_OK)
        rc = put(s, f.ptr + start, f.len - start);
    if (!right && !last)
        for (size_t i = 0; i < pad && rc == RN_OK; i++)
            rc = putc_(s, ' ');
    return rc;
}

static int put_table_row(rn_sink *s, const rn_field *f, size_t n)
{
    int rc = RN_OK;
    for (size_t i = 0; i < s->tcols && rc == RN_OK; i++) {
        rn_field v = i < n ? f[i] : (rn_field){"", 0};
        if (i)
            rc = put(s, "  ", 2);
        if (rc == RN_OK)
            rc = put_cell(s, v, s->width[i], s->right[i], i + 1 == s->tcols);
    }
    return rc == RN_OK ? putc_(s, '\n') : rc;
}

static bool grow_buf(rn_sink *s, void **buf, size_t *cap, size_t need,
                     size_t elem)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 256;
    while (ncap < need)
        ncap *= 2;
    void *nb = rn__alloc(&s->mem, ncap * elem);
    if (!nb)
        return false;
    if (*cap)
        memcpy(nb, *buf, *cap * elem);
    rn__free(&s->mem, *buf, *cap * elem);
    *buf = nb;
    *cap = ncap;
    return true;
}

static int table_oom(rn_sink *s)
{
    s->status = RN_ENOMEM;
    snprintf(s->err, sizeof s->err, "%s: out of memory sizing the table",
             s->name);
    return s->status;
}

/* Prints the held rows with widths from them and the header, then lets the
 * rest stream. */
static int table_fix(rn_sink *s)
{
    if (s->table_fixed)
        return RN_OK;
    s->table_fixed = true;
    size_t nc = s->tcols;
    for (size_t c = 0; c < nc; c++) {
        rn_field name = rn_schema_name(s->tschema, c);
        s->width[c] = display_width(name);
        s->right[c] = rn_schema_is_number(s->tschema, c);
    }
    bool *allnum = s->right; /* numeric columns: flagged, or all numbers */
    for (size_t c = 0; c < nc; c++) {
        bool numeric = s->nrow > 0;
        for (size_t r = 0; r < s->nrow; r++) {
            size_t a = s->toff[r * (nc + 1) + c], b = s->toff[r * (nc + 1) + c + 1];
            rn_field f = {s->tb + a, b - a};
            size_t w = display_width(f);
            if (w > s->width[c])
                s->width[c] = w;
            double d;
            if (f.len && rn__parse_double(f.ptr, f.len, &d) != RN_OK)
                numeric = false;
        }
        allnum[c] = allnum[c] || numeric;
    }
    int rc = RN_OK;
    if (!s->no_header && s->tschema)
        rc = put_table_row(s, s->tschema->name, rn_schema_count(s->tschema));
    rn_field row[64];
    for (size_t r = 0; r < s->nrow && rc == RN_OK; r++) {
        for (size_t c = 0; c < nc && c < 64; c++) {
            size_t a = s->toff[r * (nc + 1) + c], b = s->toff[r * (nc + 1) + c + 1];
            row[c].ptr = s->tb + a;
            row[c].len = b - a;
        }
        rc = put_table_row(s, row, nc < 64 ? nc : 64);
    }
    rn__free(&s->mem, s->tb, s->tbcap);
    rn__free(&s->mem, s->toff, s->tocap * sizeof *s->toff);
    s->tb = NULL;
    s->toff = NULL;
    s->tbcap = s->tocap = s->nrow = 0;
    return rc < 0 ? s->status : RN_OK;
}

static int table_write(rn_sink *s, const rn_schema *schema, const rn_batch *b)
{
    if (!s->tschema) {
        s->tschema = schema;
        /* Wide records are shown in their first 64 columns; the table is for
         * reading at a terminal, other formats carry everything. */
        s->tcols = schema ? rn_schema_count(schema) : 0;
        if (s->tcols > 64)
            s->tcols = 64;
        if (!grow_buf(s, (void **)&s->width, &s->wcap, s->tcols + 1,
                      sizeof *s->width) ||
            !(s->right = rn__calloc(&s->mem, s->tcols + 1)))
            return table_oom(s);
    }
    size_t nc = s->tcols;
    for (size_t i = 0; i < b->n; i++) {
        const rn_record *r = &b->recs[i];
        if (r->nfields == 0)
            continue; /* separators mean nothing in a table */
        if (s->table_fixed) {
            if (put_table_row(s, r->fields, r->nfields) < 0)
                return s->status;
            continue;
        }
        size_t bytes = 0;
        for (size_t c = 0; c < nc && c < r->nfields; c++)
            bytes += r->fields[c].len;
        if (!grow_buf(s, (void **)&s->tb, &s->tbcap, s->tblen + bytes, 1) ||
            !grow_buf(s, (void **)&s->toff, &s->tocap,
                      (s->nrow + 1) * (nc + 1), sizeof *s->toff))
            return table_oom(s);
        size_t *off = s->toff + s->nrow * (nc + 1);
        for (size_t c = 0; c < nc; c++) {
            off[c] = s->tblen;
            if (c < r->nfields && r->fields[c].len) {
                memcpy(s->tb + s->tblen, r->fields[c].ptr, r->fields[c].len);
                s->tblen += r->fields[c].len;
            }
        }
        off[nc] = s->tblen;
        s->nrow++;
        if (s->nrow == TABLE_ROWS && table_fix(s) < 0)
            return s->status;
    }
    return RN_OK;
}

static rn_sink *callback_sink(rn_batch_fn bf, rn_record_fn rf, void *ud,
                              const rn_sink_opts *o)
{
    rn_allocator a = rn__allocator(o ? o->allocator : NULL);
    rn_sink *s = rn__calloc(&a, sizeof *s);
    if (!s)
        return NULL;
    s->mem = a;
    s->fd = -1;
    s->batch_fn = bf;
    s->record_fn = rf;
    s->fn_ud = ud;
    snprintf(s->name, sizeof s->name, "<callback>");
    if (!bf && !rf) {
        s->status = RN_EINVAL;
        snprintf(s->err, sizeof s->err, "no callback given");
    }
    return s;
}

rn_sink *rn_sink_batches(rn_batch_fn fn, void *ud, const rn_sink_opts *o)
{
    return callback_sink(fn, NULL, ud, o);
}

rn_sink *rn_sink_records(rn_record_fn fn, void *ud, const rn_sink_opts *o)
{
    return callback_sink(NULL, fn, ud, o);
}

/* An application's callback asked to stop. */
static int callback_failed(rn_sink *s, int rc)
{
    s->status = rc < 0 ? rc : RN_EMISUSE;
    snprintf(s->err, sizeof s->err, "%s: the callback stopped the run: %s",
             s->name, rn_strerror(s->status));
    return s->status;
}

int rn_sink_write(rn_sink *s, const rn_schema *schema, const rn_batch *b)
{
    if (!s || !b)
        return RN_EMISUSE;
    if (s->status < 0)
        return s->status;
    if (s->batch_fn) {
        int rc = s->batch_fn(s->fn_ud, schema, b);
        return rc == RN_OK ? RN_OK : callback_failed(s, rc);
    }
    if (s->record_fn) {
        for (size_t i = 0; i < b->n; i++) {
            int rc = s->record_fn(s->fn_ud, schema, &b->recs[i]);
            if (rc != RN_OK)
                return callback_failed(s, rc);
        }
        return RN_OK;
    }
    if (s->format == RN_FORMAT_TABLE) {
        if (table_write(s, schema, b) < 0)
            return s->status;
        return s->flush_each ? rn_sink_flush(s) : RN_OK;
    }
    if (s->format == RN_FORMAT_TEXT) {
        /* The record as it was read when the reader kept it in one piece
         * (a log line, a grep separator); else its fields joined by tabs. */
        for (size_t i = 0; i < b->n; i++) {
            const rn_record *r = &b->recs[i];
            int rc = r->raw.ptr || r->nfields == 0
                         ? put(s, r->raw.ptr, r->raw.len)
                         : put_row(s, r->fields, r->nfields);
            if (rc == RN_OK && (r->raw.ptr || r->nfields == 0))
                rc = putc_(s, '\n');
            if (rc < 0)
                return s->status;
        }
        return s->flush_each ? drain(s) : RN_OK;
    }
    if (s->format == RN_FORMAT_JSONL) {
        for (size_t i = 0; i < b->n; i++)
            if (b->recs[i].nfields &&
                put_jsonl(s, schema, b->recs[i].fields, b->recs[i].nfields) < 0)
                return s->status;
        return s->flush_each ? drain(s) : RN_OK;
    }
    if (!s->header_done) {
        s->header_done = true;
        if (s->format != RN_FORMAT_TEXT && !s->no_header && schema &&
            put_row(s, schema->name, schema->n) < 0)
            return s->status;
    }
    for (size_t i = 0; i < b->n; i++)
        if (b->recs[i].nfields &&
            put_row(s, b->recs[i].fields, b->recs[i].nfields) < 0)
            return s->status;
    return s->flush_each ? drain(s) : RN_OK;
}

int rn_sink_flush(rn_sink *s)
{
    if (!s)
        return RN_EMISUSE;
    if (s->status < 0)
        return s->status;
    if (s->fd < 0)
        return RN_OK; /* a callback sink buffers nothing */
    if (s->format == RN_FORMAT_TABLE && s->tschema && table_fix(s) < 0)
        return s->status;
    return drain(s);
}

const char *rn_sink_errmsg(const rn_sink *s)
{
    if (!s)
        return "no sink (out of memory?)";
    return s->status < 0 ? s->err : "";
}

void rn_sink_free(rn_sink *s)
{
    if (!s)
        return;
    rn_allocator a = s->mem;
    rn__free(&a, s->tb, s->tbcap);
    rn__free(&a, s->toff, s->tocap * sizeof *s->toff);
    rn__free(&a, s->width, s->wcap * sizeof *s->width);
    if (s->right)
        rn__free(&a, s->right, s->tcols + 1);
    if (s->buf)
        rn__free(&a, s->buf, s->cap);
    rn__free(&a, s, sizeof *s);
}

int rn_run(rn_iter *it, rn_sink *s)
{
    if (!it || !s)
        return RN_EMISUSE;
    rn_batch b;
    int rc;
    bool wrote = false;
    while ((rc = rn_next_batch(it, &b)) == RN_ROW) {
        wrote = true;
        if (rn_sink_write(s, rn_schema_of(it), &b) < 0)
            return s->status;
    }
    /* No records but known fields (a CSV with only a header): the header
     * still goes out, so the output says what it would have held. */
    if (rc == RN_DONE && !wrote && rn_schema_of(it)) {
        rn_batch none = {NULL, 0};
        if (rn_sink_write(s, rn_schema_of(it), &none) < 0)
            return s->status;
    }
    if (rc == RN_AGAIN)
        return rn_sink_flush(s) < 0 ? s->status : RN_AGAIN;
    /* Output made before an error still goes out; the iterator's error is
     * the one reported unless the flush itself failed. */
    int fl = rn_sink_flush(s);
    if (rc < 0)
        return rc;
    return fl < 0 ? fl : RN_DONE;
}
