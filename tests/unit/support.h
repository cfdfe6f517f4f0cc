/*
 * support.h - helpers shared by the unit tests: a counting allocator that can
 * fail the N-th allocation, a source that delivers bytes in chunks of a chosen
 * size, a buffer that a source drains into, and small utilities. Include
 * after cmocka's prerequisites.
 */
#ifndef RN_TEST_SUPPORT_H
#define RN_TEST_SUPPORT_H

#include "runnel.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* The next splitmix64 value from *state: a fixed sequence for a seed. */
uint64_t tst_rnd(uint64_t *state);

/* Writes len bytes to a new temporary file; returns its malloc'd path. */
char *tst_write_temp(const void *data, size_t len);

/* gzip-compresses data (one member) into a malloc'd buffer. */
void *tst_gzip(const void *data, size_t len, size_t *outlen);

/* Bytes received from a source, with the blocks they came in. */
typedef struct tst_buf {
    char *p;
    size_t len, cap;
    size_t blocks;    /* blocks received */
    size_t max_block; /* the largest block */
} tst_buf;

/* Appends one block of n bytes to b. */
void tst_buf_add(tst_buf *b, const char *p, size_t n);
void tst_buf_free(tst_buf *b);

/* Lines of /proc/self/maps that map path: its windows mapped right now. */
int tst_mappings_of(const char *path);

/* Steps s to its end, appending every block to out (each must carry at least
 * one byte); returns the final code. With path (or NULL), also checks after
 * every 64th block that exactly one window of that file is mapped. */
int tst_source_drain(rn_source *s, tst_buf *out, const char *path);

/* Fault injection for the byte-source tests: a source over data (the
 * internal block interface) whose blocks end at every multiple of chunk
 * (0: no limit) and at each offset in cuts (short reads at chosen points),
 * that answers RN_AGAIN before every block when again is set, and that fails
 * with fail_code once it has delivered fail_at bytes (when fail_code is
 * nonzero), with the message "faulty: read failed at byte N: REASON". */
typedef struct tst_fault {
    size_t chunk;          /* most bytes per block; 0: all that is left */
    const size_t *cuts;    /* offsets where a block must end, any order */
    size_t ncuts;          /* their number */
    size_t fail_at;        /* bytes delivered before the failure */
    int fail_code;         /* RN_EIO or another negative status; 0: none */
    bool again;            /* RN_AGAIN before each block, as push sources */
} tst_fault;

/* The fault source under the gzip decoder (rn__decode_new with opts, whose
 * allocator it uses too). data must outlive it. NULL when memory runs out. */
rn_source *tst_fault_source(const void *data, size_t len, const tst_fault *f,
                            const rn_source_opts *opts);

#endif
