/*
 * expr.h - boolean expressions over records: the language of rn_filter_new()
 * (see runnel.h), compiled once into a compact node array and evaluated per
 * record without allocating. Any stage may embed one:
 *
 *     rn__expr *e;
 *     int rc = rn__expr_compile(it, "filter", "amount > 100", &e);
 *     if (rc == RN_OK)                       // else RN_ENOMEM or RN_EINVAL
 *         rc = rn__expr_bind(e, it, "filter", it->up->schema);
 *     ...for each record: int v = rn__expr_eval(e, rec);   // 1, 0 or < 0
 *     rn__expr_free(e);
 *
 * Names are bound to field positions separately from compiling, because a
 * reader may learn its fields only at its first batch (log "auto") or widen
 * them mid-stream (ragged CSV): bind again whenever the schema changes.
 */
#ifndef RN_EXPR_H
#define RN_EXPR_H

#include "base/runnel_internal.h"

typedef struct rn__expr rn__expr;

/* Compiles text (syntax, literals, regexes) with it's allocator. Returns
 * RN_OK and sets *out; RN_ENOMEM; or RN_EINVAL after putting it in error
 * state with "WHAT: column C: <what was expected> near '<token>'" (C is the
 * 1-based byte column in text). *out is NULL unless RN_OK. */
int rn__expr_compile(rn_iter *it, const char *what, const char *text,
                     rn__expr **out);

/* Resolves the field names of e against s (which may be NULL: no names).
 * A bare word on the left of an operator and every $name must be a field;
 * a bare word elsewhere is a field when s has it and a string otherwise.
 * Returns RN_OK, or RN_EINVAL after rn__field_index put it in error state. */
int rn__expr_bind(rn__expr *e, rn_iter *it, const char *what,
                  const rn_schema *s);

/* Evaluates e on r (e must be bound): 1 true, 0 false, or a negative status
 * when a regex match fails for want of memory (RN_ENOMEM) or hits a PCRE2
 * limit (RN_ETOOBIG); rn__expr_why() then says why. Allocates nothing, except
 * that PCRE2's interpreter may grow its retained backtracking frames. */
int rn__expr_eval(rn__expr *e, const rn_record *r);

/* Pushdown: up to max literals such that every record e (bound) is true on
 * has a field containing one of them, ignoring ASCII case when *ci is set
 * on return. Taken from an equality of a field with a literal that is not a
 * number (numbers compare by value: 5 == 5.0), a contains, an in-list of
 * such literals, one operand of an and, or every operand of an or. Returns
 * how many; 0 when e gives none. They point into e. */
size_t rn__expr_needles(const rn__expr *e, rn_field *out, size_t max,
                        bool *ci);

/* A short reason for the last negative rn__expr_eval(). */
const char *rn__expr_why(const rn__expr *e);

/* Frees e and its compiled regexes. NULL is a no-op. */
void rn__expr_free(rn__expr *e);

#endif /* RN_EXPR_H */
