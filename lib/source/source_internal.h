/*
 * source_internal.h - what producers, decoders and readers share about byte
 * sources: the vtable, the struct every source starts with, and the
 * constructors of the concrete producers that source_open.c picks from.
 */
#ifndef RN_SOURCE_INTERNAL_H
#define RN_SOURCE_INTERNAL_H

#include "base/runnel_internal.h"

/* ---- sources ------------------------------------------------------------- */

typedef struct rn__source_vt {
    /* Delivers the next block of bytes: RN_ROW with *n > 0, RN_DONE, RN_AGAIN
     * (push sources) or a negative status after rn__source_fail. The block is
     * valid until the next call. */
    int (*next)(rn_source *s, const char **p, size_t *n);
    void (*close)(rn_source *s);
} rn__source_vt;

struct rn_source {
    const rn__source_vt *vt;
    rn_allocator mem;
    size_t size;              /* bytes allocated for the whole struct */
    char *name;               /* for messages, owned */
    int status;               /* RN_OK, RN_DONE or sticky error */
    uint64_t raw_bytes;       /* bytes taken from the file or callback */
    rn_source *inner;         /* decoders: the source they decode, owned */
    bool pushed;              /* a push source: rn_feed() fills it from the
                                 reader's own thread */
    const volatile int *stop; /* nonzero *stop: end at the next block */
    void (*progress)(void *ud, uint64_t bytes); /* after each block */
    void *progress_ud;
    char err[RN__ERRMSG_MAX];
};

/* Allocates a zeroed source of size bytes with a copy of name. On failure
 * frees inner and returns NULL. */
void *rn__source_new(const rn__source_vt *vt, size_t size, const char *name,
                     const rn_allocator *mem, rn_source *inner);

/* Steps a source, keeping its status sticky. */
int rn__source_next(rn_source *s, const char **p, size_t *n);

int rn__source_fail(rn_source *s, int code, const char *fmt, ...)
    RN__PRINTF(3, 4);

/* Writes the error message ("name: ...") without changing the status, for a
 * source that must still hand out a good block before it reports the error
 * on its next call. */
void rn__source_msg(rn_source *s, const char *fmt, ...) RN__PRINTF(2, 3);

/* A source that starts in an error state (for constructors that fail). NULL
 * when memory runs out. */
rn_source *rn__source_failed(const char *name, const rn_allocator *mem,
                             int code, const char *fmt, ...) RN__PRINTF(4, 5);

/* Default and capped block size from options. */
size_t rn__block_size(const rn_source_opts *o);

/* Sources by kind (source_read.c, source_mmap.c, source_gzip.c). */
rn_source *rn__read_new(int fd, bool close_fd, const char *name,
                        const rn_source_opts *o);
/* Maps fd (a regular file of file_size bytes) in a sliding window; on mmap
 * failure falls back to read(). Takes over fd (closes it). */
rn_source *rn__mmap_new(int fd, uint64_t file_size, const char *name,
                        const rn_source_opts *o);
/* Follows path like tail -F (source_follow.c): read() to the end, then wait
 * for more; rotation and truncation handled; never mmap, never gzip. */
rn_source *rn__follow_new(const char *path, const char *name,
                          const rn_source_opts *o);
/* Wraps inner: gzip input (by magic bytes) is inflated, anything else passes
 * through unchanged. Takes ownership of inner. */
rn_source *rn__decode_new(rn_source *inner, const rn_source_opts *o);

#endif /* RN_SOURCE_INTERNAL_H */
