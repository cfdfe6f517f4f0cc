/*
 * fuzz_libcsv.h - the reference the CSV fuzz targets compare against:
 * libcsv driven directly over the whole input, as tests/unit/test_csv.c's
 * reference does, with ragged rows padded to the widest row so far and a
 * leading UTF-8 BOM dropped, as the reader does without a header. Records
 * are encoded as fz_put_record() encodes the reader's: field count, then
 * each field's length and bytes. Static, like fuzz.h.
 */
#ifndef RN_FUZZ_LIBCSV_H
#define RN_FUZZ_LIBCSV_H

#include "fuzz.h"

#include <csv.h>

/* One record as the reference encodes them. */
static inline void fz_put_record(fz_buf *b, const rn_record *r)
{
    fz_put_len(b, r->nfields);
    for (size_t k = 0; k < r->nfields; k++) {
        fz_put_len(b, r->fields[k].len);
        fz_put(b, r->fields[k].ptr, r->fields[k].len);
    }
}

typedef struct fz_libcsv {
    fz_buf cur;   /* fields of the record being read, encoded */
    size_t nf;    /* their number */
    size_t width; /* the widest record so far */
    fz_buf out;
    size_t nrec;
} fz_libcsv;

static inline void fz_libcsv_field(void *p, size_t n, void *ud)
{
    fz_libcsv *r = ud;
    fz_put_len(&r->cur, n);
    fz_put(&r->cur, p, n);
    r->nf++;
}

static inline void fz_libcsv_row(int c, void *ud)
{
    fz_libcsv *r = ud;
    (void)c;
    if (r->nf > r->width)
        r->width = r->nf;
    fz_put_len(&r->out, r->width);
    fz_put(&r->out, r->cur.p, r->cur.len);
    for (size_t i = r->nf; i < r->width; i++)
        fz_put_len(&r->out, 0);
    r->cur.len = 0;
    r->nf = 0;
    r->nrec++;
}

static inline int fz_libcsv_no_space(unsigned char c)
{
    (void)c;
    return 0;
}

/* The records libcsv reads from s[0, n) into *out (the caller frees it),
 * and how many in *nrec (NULL: not wanted). */
static inline void fz_libcsv_reference(const uint8_t *s, size_t n, char delim,
                                       char quote, fz_buf *out, size_t *nrec)
{
    struct csv_parser p;
    FZ_CHECK(csv_init(&p, 0) == 0, "csv_init");
    csv_set_space_func(&p, fz_libcsv_no_space);
    csv_set_delim(&p, (unsigned char)delim);
    csv_set_quote(&p, (unsigned char)quote);
    fz_libcsv r;
    memset(&r, 0, sizeof r);
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        n -= 3;
    }
    csv_parse(&p, s, n, fz_libcsv_field, fz_libcsv_row, &r);
    csv_fini(&p, fz_libcsv_field, fz_libcsv_row, &r);
    csv_free(&p);
    fz_buf_free(&r.cur);
    *out = r.out;
    if (nrec)
        *nrec = r.nrec;
}

#endif /* RN_FUZZ_LIBCSV_H */
