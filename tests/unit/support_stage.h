/*
 * support_stage.h - helpers shared by the stage tests: records collected as
 * owned copies (so they outlive the reader's buffers) and compared field by
 * field with a reference, the chunk sizes every reader test runs, a reader
 * over a chunked source, small sample inputs, a generator of fixed-width CSV
 * for the constant-memory tests, and the loops that fail each allocation of
 * a pipeline in turn. Include after cmocka and support.h.
 */
#ifndef RN_TEST_SUPPORT_STAGE_H
#define RN_TEST_SUPPORT_STAGE_H

#include "support.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- records collected as copies ----------------------------------------- */

/* One record, copied. Each field copy is NUL-terminated. */
typedef struct tst_row {
    size_t nf;
    char **f;            /* nf copies */
    size_t *len;
    char *raw;           /* NULL when the record had none */
    size_t rawlen;
    uint64_t line, offset;
} tst_row;

typedef struct tst_rows {
    tst_row *r;
    size_t n, cap;
} tst_rows;

/* A malloc'd NUL-terminated copy of n bytes at p. */
char *tst_dup_bytes(const char *p, size_t n);
/* Appends a copy of rec to rs. */
void tst_rows_add(tst_rows *rs, const rn_record *rec);
/* Reads it to its end into a fresh rs; returns the final status. rs holds
 * the records before an error too; free it with tst_rows_free either way. */
int tst_collect(rn_iter *it, tst_rows *rs);
void tst_rows_free(tst_rows *rs);

/* f holds exactly the bytes of want; fails with both shown. */
void tst_expect_field(rn_field f, const char *want);
/* The field names of it are exactly the n names. */
void tst_expect_schema(const rn_iter *it, const char *const *names, size_t n);

/* g equals w: fields, positions and raw bytes. */
void tst_expect_row(const tst_row *g, const tst_row *w);
/* got holds exactly the n rows of want, each as tst_expect_row checks. */
void tst_expect_rows(const tst_rows *got, const tst_row *want, size_t n);

/* ---- readers over chunked input ------------------------------------------ */

/* Every chunk size from 1 to n (at most 300), then 7, 4096 and 1 MiB: out
 * needs room for 303. Returns how many. */
size_t tst_chunk_sizes(size_t n, size_t *out);

/* A lines reader over text delivered chunk bytes at a time. */
rn_iter *tst_open_lines(const char *text, size_t len, size_t chunk,
                        const rn_source_opts *so);

enum tst_reader { TST_LINES, TST_CSV };

/* A lines or CSV reader (kind) over s delivered chunk bytes at a time. */
rn_iter *tst_open_reader(int kind, const char *s, size_t n, size_t chunk,
                         const rn_source_opts *o);
/* The reader's own records for s, read in one chunk: the reference. */
void tst_reference(int kind, const char *s, size_t n, tst_rows *ref);

/* ---- inputs -------------------------------------------------------------- */

/* Seven CSV rows with a header: quoted commas and line breaks, doubled
 * quotes, a CRLF row and empty last fields. */
extern const char tst_small_csv[];
/* Seven lines: a CRLF, an empty line, no newline at the end. */
extern const char tst_small_lines[];

/* count lines "line N " then N % 17 letters, in a buffer the caller frees. */
char *tst_make_lines(size_t count, size_t *len);

/* A callback source of CSV "id,cat,amount,note" then rows of one length, so
 * memory cannot depend on which rows come; left counts the bytes still to
 * give. Zeroed options give note "plain" and amount id % 1000. */
typedef struct tst_gen {
    uint64_t left, i; /* bytes left to give; the next row's id */
    bool quoted;      /* note is a quoted "q,N" instead of plain */
    bool spread;      /* amount is a hash of the id below 1000000 */
} tst_gen;

ptrdiff_t tst_gen_read(void *ud, void *buf, size_t cap);

/* Builds the stage under test over up (taking ownership of it); ud is the
 * test's own. */
typedef rn_iter *tst_stage_fn(void *ud, rn_iter *up);

/* Runs stage over a CSV reader of g with a counting allocator to its end,
 * which must be RN_DONE with nothing leaked; *out receives the records out
 * and *st the stage's counters. Returns the peak live bytes. */
size_t tst_gen_peak(tst_stage_fn *stage, void *ud, tst_gen g, uint64_t *out,
                    rn_stats *st);

/* ---- allocation failures ------------------------------------------------- */

/* Builds the whole pipeline under test, source included, with source options
 * so (NULL: defaults); ud is the test's own. */
typedef rn_iter *tst_open_fn(void *ud, const rn_source_opts *so);

/* Fails allocation N of open's pipeline (block size 4096) for N = 0, 1, ...
 * below max_fail until a run completes with no refusal, which must happen.
 * A run either ends RN_DONE with want records (collected) or RN_ENOMEM after
 * a refusal, with "out of memory" in its message when check_msg; a pipeline
 * that could not be built must have seen a refusal. Nothing may leak. */
void tst_fail_each_alloc_count(tst_open_fn *open, void *ud, long max_fail,
                               size_t want, bool check_msg);

/* The same, but a completed run's tst_drain text must equal that of a run
 * with default options, and a leak fails with a message that label (if not
 * NULL) leads. */
void tst_fail_each_alloc_text(tst_open_fn *open, void *ud, long max_fail,
                              const char *label);

#endif
