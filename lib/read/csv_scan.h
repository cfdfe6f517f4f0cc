/*
 * csv_scan.h - the CSV reader's fast path (internal): finds the bytes that
 * matter to CSV (the delimiter, the quote, CR and LF) 64 at a time as
 * bitmasks, with AVX2 or SSE2 where the CPU has them and portable C
 * elsewhere, and cuts whole records out of a region with those masks,
 * fields as views of the region and no copy except for quoted fields with
 * doubled quotes. It takes only records whose meaning is beyond doubt (see
 * csv_scan.c); anything else it leaves, untouched, to csv.c's libcsv path.
 *
 *     rn__csv_scan s;
 *     rn__csv_scan_init(&s, ',', '"', RN__CSV_AUTO);
 *     rn__csv_cutter io = {...};        // region, pools, caps, position
 *     rn__csv_cut_records(&s, &io);     // io.nrec records, io.stop says why
 */
#ifndef RN_CSV_SCAN_H
#define RN_CSV_SCAN_H

#include "runnel.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How the reader splits records: the fast path with the best scanner the
 * CPU has, or a given one (falling back to the next best when the CPU lacks
 * it), or without the fast path, for tests that compare the paths. */
enum rn__csv_path {
    RN__CSV_AUTO,   /* fast path, best scanner: the default */
    RN__CSV_SCALAR, /* fast path, portable C scanner */
    RN__CSV_SSE2,   /* fast path, SSE2 scanner (x86-64) */
    RN__CSV_AVX2,   /* fast path, AVX2 scanner (x86-64 with AVX2) */
    RN__CSV_UNITS,  /* no fast path: quote-free lines split with memchr,
                       every other line through libcsv */
    RN__CSV_LIBCSV  /* no fast path: every line through libcsv; records
                       then carry no raw view */
};

/** rn_csv_new() with the path forced, for tests and fuzzing only. */
rn_iter *rn__csv_new_path(rn_source *src, const rn_csv_opts *o, int path);

/** The scanner an iterator made by rn__csv_new_path() or rn_csv_new() uses:
 *  RN__CSV_SCALAR, RN__CSV_SSE2 or RN__CSV_AVX2; RN__CSV_UNITS or
 *  RN__CSV_LIBCSV when it has no fast path. */
int rn__csv_path_of(const rn_iter *it);

/* ---- the scanner --------------------------------------------------------- */

/* Sets out[i] bit j when p[64 * i + j] is one of the four bytes of set, for
 * i < nchunks. Reads exactly 64 * nchunks bytes. */
typedef void (*rn__csv_masks_fn)(const unsigned char *p, size_t nchunks,
                                 const unsigned char set[4], uint64_t *out);

typedef struct rn__csv_scan {
    unsigned char set[4];   /* delimiter, quote, CR, LF */
    int kind;               /* RN__CSV_SCALAR, _SSE2 or _AVX2 */
    rn__csv_masks_fn masks; /* the implementation of kind */
} rn__csv_scan;

/** Picks the scanner for want (RN__CSV_AUTO: the best the CPU has). */
void rn__csv_scan_init(rn__csv_scan *s, unsigned char delim,
                       unsigned char quote, int want);

/* ---- cutting records ----------------------------------------------------- */

/* Why rn__csv_cut_records() stopped. */
enum rn__csv_stop {
    RN__CUT_END,     /* no record left before lim (all of it, when last) */
    RN__CUT_FULL,    /* maxrec records were written */
    RN__CUT_ODD,     /* the record after them has not ncols fields: odd */
    RN__CUT_DECLINE, /* the record at pos is not for the fast path */
    RN__CUT_ROOM_F,  /* the record at pos needs more field slots */
    RN__CUT_ROOM_SB  /* the record at pos needs need bytes of sb in all */
};

/* A record cut out of the region that the caller must finish itself. */
typedef struct rn__csv_cut {
    size_t start;  /* region offset of its first byte */
    size_t rawlen; /* bytes before its line end (its raw view if !quoted) */
    size_t first;  /* its fields are f[first .. first + nf) */
    size_t nf;     /* number of fields */
    uint64_t line; /* line where it starts */
    bool quoted;   /* it has a quoted field, so no raw view */
} rn__csv_cut;

typedef struct rn__csv_cutter {
    /* In: the region and where the results go. */
    const char *d;        /* the region's bytes */
    size_t lim;           /* records must end at or before d + lim, which
                             is just past a LF unless last */
    bool last;            /* lim is the end of the input */
    uint64_t base_off;    /* input offset of d[0] */
    rn_field *f;          /* fcap field slots */
    size_t fcap;
    size_t ncols;         /* fields the schema has: each record takes
                             max(nf, ncols) slots, so that a short one can
                             be padded in place */
    size_t max_fields;    /* a record with more is declined */
    size_t max_field;     /* a field longer than this is declined */
    char *sb;             /* sbcap bytes for unescaped quoted fields */
    size_t sbcap;
    rn_record *r;         /* maxrec records */
    size_t maxrec;
    /* In and out. */
    size_t pos;           /* region offset of the next record */
    uint64_t line;        /* its line number */
    size_t fn;            /* slots of f used */
    size_t sblen;         /* bytes of sb used */
    /* Out. */
    size_t nrec;          /* records of ncols fields, in r[0 .. nrec) */
    int stop;             /* enum rn__csv_stop */
    size_t need;          /* RN__CUT_ROOM_SB: sb bytes wanted in all */
    rn__csv_cut odd;      /* RN__CUT_ODD: the record after r[nrec - 1],
                             which is consumed and takes its slots */
} rn__csv_cutter;

/** Cuts records from io->pos on, each to its line end (CRLF, LF or a bare
 *  CR, as libcsv ends records), skipping empty lines, into io->r (or
 *  io->odd), until one of the reasons of enum rn__csv_stop. A record's raw
 *  view is its line without the line end, or none when it has a quote.
 *  A record is taken only when it is plainly RFC 4180: a field is either
 *  free of quotes, or opens with a quote, closes with one right before a
 *  delimiter or line end, and holds only doubled quotes in between; its line
 *  end (or the input's end) is before lim; it has at most max_fields fields
 *  of at most max_field bytes. On any other record it stops with
 *  RN__CUT_DECLINE, pos at that record, which csv.c then reads as units
 *  (libcsv, or fast_unit's errors); nothing of a declined record is kept.
 *  Reads no byte outside d[pos, lim). */
void rn__csv_cut_records(const rn__csv_scan *s, rn__csv_cutter *io);

#endif /* RN_CSV_SCAN_H */
