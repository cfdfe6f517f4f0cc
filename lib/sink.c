/*
 * sink.c - writing records as text, CSV or TSV to a file descriptor.
 *
 * Output goes through one buffer that is written with write() when full, so
 * each record costs a few memcpy calls and no allocation. Every write is
 * checked: EPIPE becomes RN_EPIPE (the reader left, which a command-line tool
 * treats as a quiet end), anything else RN_EIO naming the output. Errors are
 * sticky and nothing buffered after an error is written.
 */
#include "runnel_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_BUF (64 * RN__KIB)
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
    if (s->format < RN_FORMAT_TEXT || s->format > RN_FORMAT_JSONL) {
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
        if (rc == RN_OK)
            rc = put_json(s, f[i]);
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

int rn_sink_write(rn_sink *s, const rn_schema *schema, const rn_batch *b)
{
    if (!s || !b)
        return RN_EMISUSE;
    if (s->status < 0)
        return s->status;
    if (s->format == RN_FORMAT_JSONL) {
        for (size_t i = 0; i < b->n; i++)
            if (put_jsonl(s, schema, b->recs[i].fields, b->recs[i].nfields) < 0)
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
        if (put_row(s, b->recs[i].fields, b->recs[i].nfields) < 0)
            return s->status;
    return s->flush_each ? drain(s) : RN_OK;
}

int rn_sink_flush(rn_sink *s)
{
    if (!s)
        return RN_EMISUSE;
    if (s->status < 0)
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
    rn__free(&a, s->buf, s->cap);
    rn__free(&a, s, sizeof *s);
}

int rn_run(rn_iter *it, rn_sink *s)
{
    if (!it || !s)
        return RN_EMISUSE;
    rn_batch b;
    int rc;
    while ((rc = rn_next_batch(it, &b)) == RN_ROW)
        if (rn_sink_write(s, rn_schema_of(it), &b) < 0)
            return s->status;
    if (rc == RN_AGAIN)
        return rn_sink_flush(s) < 0 ? s->status : RN_AGAIN;
    /* Output made before an error still goes out; the iterator's error is
     * the one reported unless the flush itself failed. */
    int fl = rn_sink_flush(s);
    if (rc < 0)
        return rc;
    return fl < 0 ? fl : RN_DONE;
}
