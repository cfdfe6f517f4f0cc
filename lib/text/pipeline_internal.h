/*
 * pipeline_internal.h - what the three parts of the text-to-chain builder
 * share: pipeline.c (words, the `then` grammar, errors), pipeline_sources.c
 * (lines, csv, tsv, log) and pipeline_verbs.c (filter ... top).
 *
 * One call of rn_pipeline_parse*() or rn_pipeline_append*() is an rn__pp:
 * its words, where its error goes, and an arena for everything the call
 * allocates. Builders return RN_OK or the code they left in the error
 * (rn__pp_fail, rn__pp_nomem); the iterator they build goes to *it, which
 * the caller frees when any builder fails.
 */
#ifndef RN_PIPELINE_INTERNAL_H
#define RN_PIPELINE_INTERNAL_H

#include "base/arena.h"
#include "base/runnel_internal.h"

/* What a call owns until its first iterator takes it over (rn__iter_own):
 * the arena with the words and the sources' options, and the application's
 * input until a reader takes it. */
typedef struct rn__pp_own {
    rn_allocator mem;   /* where this struct and the arena come from */
    rn__arena arena;    /* the words, the file list, options, copies */
    rn_source *input;   /* rn_pipeline_opts.input until a reader takes it */
} rn__pp_own;

typedef struct rn__pp {
    rn_allocator mem;          /* the chain's allocator */
    rn__pp_own *own;           /* NULL once an iterator owns it */
    rn__arena *arena;          /* &own->arena, valid as long as the chain */
    char **w;                  /* the words, NUL-terminated, in the arena */
    int n;                     /* how many */
    const size_t *off;         /* byte offset of each word in the text, or
                                  NULL for words given as argv */
    rn_pipeline_err *err;      /* never NULL */
    const rn_pipeline_opts *opts; /* rn_pipeline_parse*: never NULL */
} rn__pp;

/* Fills p->err: RN_EINVAL, the word (-1: none) and its offset, and the
 * formatted message. Returns RN_EINVAL. */
int rn__pp_fail(rn__pp *p, int word, const char *fmt, ...) RN__PRINTF(3, 4);

/* Fills p->err with RN_ENOMEM, "out of memory". Returns RN_ENOMEM. */
int rn__pp_nomem(rn__pp *p);

/* After a constructor: NULL is RN_ENOMEM; an iterator whose construction
 * found its arguments wrong (RN_EINVAL: an unknown field, a bad regex) is
 * that error, charged to word. Anything else is RN_OK: an error adopted
 * from a failed upstream stays in the chain, as with any constructor. */
int rn__pp_checked(rn__pp *p, int word, const rn_iter *it);

/* Zeroed memory from the call's arena; NULL when memory runs out. */
void *rn__pp_alloc(rn__pp *p, size_t size);

/* A builder of the segment w[first..first+argc): argv[0] is its name.
 * Sources start with *it NULL; verbs take *it (owned: a verb that puts a
 * stage on it replaces it, a constructor that fails frees it and leaves
 * NULL). */
typedef int (*rn__pp_build_fn)(rn__pp *p, int first, int argc, char **argv,
                               rn_iter **it);

typedef struct rn__pp_entry {
    const char *name;
    rn__pp_build_fn build;
} rn__pp_entry;

/* The tables, each ended by a NULL name. */
extern const rn__pp_entry rn__pp_sources[];
extern const rn__pp_entry rn__pp_verbs[];

#endif /* RN_PIPELINE_INTERNAL_H */
