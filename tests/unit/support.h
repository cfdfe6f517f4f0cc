/*
 * support.h - helpers shared by the unit tests: a counting allocator that can
 * fail the N-th allocation, a source that delivers bytes in chunks of a chosen
 * size, and small utilities. Include after cmocka's prerequisites.
 */
#ifndef RN_TEST_SUPPORT_H
#define RN_TEST_SUPPORT_H

#include "runnel.h"

#include <stdbool.h>
#include <stddef.h>

/* Counts live bytes and allocations; fails allocation number fail_at
 * (0-based) and every one after it when fail_at >= 0. */
typedef struct tst_alloc {
    size_t live;       /* bytes allocated and not yet freed */
    size_t peak;       /* the most live bytes at any time */
    size_t nlive;      /* allocations not yet freed */
    size_t calls;      /* allocation calls so far, failed ones included */
    long fail_at;      /* -1: never fail */
    bool failed;       /* an allocation was refused */
} tst_alloc;

/* A fresh counter that never fails. */
tst_alloc tst_alloc_init(void);
/* An allocator struct that counts into t. */
rn_allocator tst_allocator(tst_alloc *t);

/* A source over data that hands out at most chunk bytes per read callback.
 * data must outlive the source. */
rn_source *tst_chunked_source(const void *data, size_t len, size_t chunk,
                              const rn_source_opts *opts);

/* Reads a whole iterator, appending each record as its fields joined by '\t'
 * and ended by '\n' to a malloc'd buffer; returns the final status. *out and
 * *outlen receive the text (caller frees *out). */
int tst_drain(rn_iter *it, char **out, size_t *outlen);

/* Writes len bytes to a new temporary file; returns its malloc'd path. */
char *tst_write_temp(const void *data, size_t len);

/* gzip-compresses data (one member) into a malloc'd buffer. */
void *tst_gzip(const void *data, size_t len, size_t *outlen);

#endif
