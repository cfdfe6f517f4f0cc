/*
 * runnel_internal.h - what the modules of librunnel share and nobody else sees.
 *
 * Every reader and stage embeds struct rn_iter as its first member and fills a
 * vtable; every byte source embeds struct rn_source. The base functions here
 * own the protocol (sticky status, batch draining for rn_next, freeing the
 * chain), so a module's step function only produces batches.
 */
#ifndef RN_RUNNEL_INTERNAL_H
#define RN_RUNNEL_INTERNAL_H

#include "runnel.h"

#include <stdarg.h>
#include <stdbool.h>

#define RN__ERRMSG_MAX 512          /* bytes kept of an error message */
#define RN__BATCH 1024              /* records per batch a reader yields */
#define RN__KIB ((size_t)1024)
#define RN__MIB (RN__KIB * 1024)

#if defined(__GNUC__)
#define RN__PRINTF(f, a) __attribute__((format(printf, f, a)))
#define RN__LIKELY(x) __builtin_expect(!!(x), 1)
#define RN__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define RN__PRINTF(f, a)
#define RN__LIKELY(x) (x)
#define RN__UNLIKELY(x) (x)
#endif

/* ---- memory ------------------------------------------------------------ */

/* Fills in malloc/free for a NULL or zeroed allocator. */
rn_allocator rn__allocator(const rn_allocator *a);
void *rn__alloc(const rn_allocator *a, size_t size);
void *rn__calloc(const rn_allocator *a, size_t size);
void rn__free(const rn_allocator *a, void *ptr, size_t size);
/* Copies a NUL-terminated string; NULL when memory runs out. */
char *rn__strdup(const rn_allocator *a, const char *s);
void rn__strfree(const rn_allocator *a, char *s);

/* ---- schema -------------------------------------------------------------- */

struct rn_schema {
    size_t n;                 /* number of names */
    const rn_field *name;     /* n views into storage owned by the schema */
    const unsigned char *num; /* n flags: computed numbers; NULL: none */
};

/* A schema owning copies of n names; NULL when memory runs out. */
rn_schema *rn__schema_new(const rn_allocator *a, const rn_field *names,
                          size_t n);
/* The same with flags marking computed numeric fields (num may be NULL). */
rn_schema *rn__schema_new_typed(const rn_allocator *a, const rn_field *names,
                                const unsigned char *num, size_t n);
void rn__schema_free(const rn_allocator *a, rn_schema *s);

/* Finds field name in s for stage it. On failure puts it in error state
 * (RN_EINVAL) with a message that lists the fields and suggests the closest
 * name, and returns -1. what names the stage ("filter", "groupby"). */
ptrdiff_t rn__field_index(rn_iter *it, const char *what, const rn_schema *s,
                          const char *name, size_t len);
bool rn__schema_equal(const rn_schema *a, const rn_schema *b);

/* ---- iterators ----------------------------------------------------------- */

typedef struct rn__iter_vt {
    const char *kind; /* "lines", "count", ... for messages */
    /* Produces the next batch: RN_ROW with out->n >= 1, RN_DONE, RN_AGAIN or a
     * negative status (after setting the message with rn__iter_fail). A
     * module that fails with records of a batch in hand may set the error
     * (rn__iter_fail) and still return RN_ROW with them: the base hands them
     * out and reports the sticky error on the following call. */
    int (*next)(rn_iter *it, rn_batch *out);
    /* Frees what the module owns except the base and the upstream. */
    void (*close)(rn_iter *it);
} rn__iter_vt;

/* Pushdown's request (rn__want_needles, below). */
#define RN__MAX_NEEDLES 16
typedef struct rn__needles {
    const rn_field *f;         /* the needles, 1 to RN__MAX_NEEDLES */
    size_t n;
    bool ci;
    size_t before, after;      /* lines of context around a line with one */
} rn__needles;

struct rn_iter {
    const rn__iter_vt *vt;
    rn_iter *up;               /* owned upstream, freed after this one */
    rn_allocator mem;          /* inherited from the source */
    size_t size;               /* bytes allocated for the whole struct */
    const rn_schema *schema;   /* names of the fields yielded */
    const char *origin;        /* name of the source read now, for messages;
                                  readers set it, stages read up->origin */
    int status;                /* RN_OK, RN_DONE or a sticky error */
    rn_stats stats;            /* records_out kept by the base */
    rn_batch cur;              /* batch being drained by rn_next() */
    size_t pos;                /* next record of cur for rn_next() */
    char err[RN__ERRMSG_MAX];  /* message of a sticky error */
    const char *detail;        /* rn_stats_detail() text in the module's own
                                  storage, kept up to date by the module; NULL:
                                  none. A field rather than a vtable entry so
                                  that the vtables' positional initialisers
                                  stay complete (-Wmissing-field-initializers) */
    /* Pushdown (rn__want_needles): set by the modules that can take it;
     * NULL: refused. A field, not a vtable entry, for the reason above. */
    bool (*want)(rn_iter *it, const rn__needles *nd);
    void (*own_free)(void *own); /* frees own after close (rn__iter_own) */
    void *own;                 /* what the iterator keeps for the stages
                                  above it, such as the words and options
                                  of a chain built from text */
};

/* Allocates a zeroed iterator of size bytes (size >= sizeof(struct rn_iter))
 * owning up. On failure frees up and returns NULL. mem NULL: up's allocator. */
void *rn__iter_new(const rn__iter_vt *vt, size_t size, rn_iter *up,
                   const rn_allocator *mem);

/* Puts it in a sticky error state with a formatted message; returns code. */
int rn__iter_fail(rn_iter *it, int code, const char *fmt, ...)
    RN__PRINTF(3, 4);

/* Takes on an upstream's error (code and message); returns code. */
int rn__iter_adopt(rn_iter *it, const rn_iter *from, int code);

/* Makes it own p: rn_free() calls own_free(p) after it->vt->close(it), so
 * after every stage above it is gone (pipeline.c gives the first iterator
 * of a chain built from text its words and options). One per iterator: a
 * second call replaces nothing and returns false. */
bool rn__iter_own(rn_iter *it, void (*own_free)(void *own), void *p);

/* Pushdown: tells it that every record the stage above keeps has a field
 * containing one of the needles (ci: ignoring ASCII case), so that the line
 * reader under it (a lines reader, a log reader on one, or a chain of them)
 * may skip the lines that contain none of them without cutting them out.
 * With before or after, the stage also needs that many lines around each
 * line holding a needle (grep's context), which the reader cuts out too; it
 * may cut out more lines than asked, never fewer. Skipped lines still count
 * for line numbers, and as filtered. Returns true when it was taken. The
 * taker copies *nd; nd->f must outlive it. */
bool rn__want_needles(rn_iter *it, const rn__needles *nd);

#endif /* RN_RUNNEL_INTERNAL_H */
