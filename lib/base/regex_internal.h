/*
 * regex.h - a small PCRE2 wrapper shared by every user of PCRE2 (grep,
 * extract, log's regex: format, filter's =~ and !~): one compiled pattern with its match data, JIT-compiled when the
 * library can, every allocation routed to the chain's allocator.
 *
 *     rn__regex re;
 *     size_t off;
 *     char why[128];
 *     int rc = rn__regex_compile(&re, &it->mem, "a+b", 0, why, sizeof why,
 *                                &off);        // RN_OK, RN_ENOMEM, RN_EINVAL
 *     int m = rn__regex_match(&re, p, n);      // >= 0: a match
 *     rn__regex_free(&re);
 */
#ifndef RN_REGEX_H
#define RN_REGEX_H

#include "runnel_internal.h"

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

typedef struct rn__regex {
    const rn_allocator *mem;   /* the owner's allocator (must not move) */
    bool failed;               /* PCRE2 was refused memory */
    bool jit;                  /* the pattern was JIT-compiled */
    pcre2_general_context *gctx;
    pcre2_code *code;
    pcre2_match_data *md;      /* room for every group of the pattern */
    pcre2_match_context *mctx;
    pcre2_jit_stack *jstack;   /* JIT: room to backtrack on long lines */
} rn__regex;

/* Compiles pattern (NUL-terminated) with PCRE2 options (PCRE2_CASELESS...).
 * The struct must stay where it is until rn__regex_free: PCRE2 keeps a
 * pointer to it. Returns RN_OK; RN_ENOMEM; or RN_EINVAL for a bad pattern,
 * with PCRE2's message in why and the offset of the error in *erroff. On
 * failure the struct still needs rn__regex_free. */
int rn__regex_compile(rn__regex *re, const rn_allocator *mem,
                      const char *pattern, uint32_t options, char *why,
                      size_t whycap, size_t *erroff);

/* The same for len bytes at pattern (NULL allowed when len is 0; NUL bytes
 * are part of the pattern). */
int rn__regex_compile_n(rn__regex *re, const rn_allocator *mem,
                        const char *pattern, size_t len, uint32_t options,
                        char *why, size_t whycap, size_t *erroff);

/* rn__regex_compile_n in two steps, for a caller that inspects the compiled
 * pattern (pcre2_pattern_info on re->code) and may reject it before paying
 * for the JIT and the match data. Parse: as rn__regex_compile_n, leaving the
 * pattern compiled but not ready to match. Prepare (only after a successful
 * parse): JIT-compiles when it can and makes the match data; RN_OK or
 * RN_ENOMEM. Either way the struct then needs rn__regex_free. */
int rn__regex_parse(rn__regex *re, const rn_allocator *mem,
                    const char *pattern, size_t len, uint32_t options,
                    char *why, size_t whycap, size_t *erroff);
int rn__regex_prepare(rn__regex *re);

/* Searches n bytes at p (NULL allowed when n is 0). Returns PCRE2's code: > 0
 * on a match (one more than the highest group set; the offsets are in
 * rn__regex_ovector), PCRE2_ERROR_NOMATCH, PCRE2_ERROR_NOMEMORY, or another
 * negative code when a match or depth limit stopped the search. */
static inline int rn__regex_match(rn__regex *re, const char *p, size_t n)
{
    PCRE2_SPTR s = p ? (PCRE2_SPTR)p : (PCRE2_SPTR) "";
    return re->jit ? pcre2_jit_match(re->code, s, n, 0, 0, re->md, re->mctx)
                   : pcre2_match(re->code, s, n, 0, 0, re->md, re->mctx);
}

/* Start and end offsets of each group after a match: [2g], [2g+1]. */
static inline const PCRE2_SIZE *rn__regex_ovector(const rn__regex *re)
{
    return pcre2_get_ovector_pointer(re->md);
}

/* PCRE2's message for a negative code, in buf. */
void rn__regex_errmsg(int code, char *buf, size_t cap);

/* Frees what rn__regex_compile made (a zeroed struct is fine). */
void rn__regex_free(rn__regex *re);

/* A run of bytes that every match of pattern contains, for a prefilter that
 * searches raw blocks (memmem) before lines are cut: the longest run of plain
 * characters in the top-level sequence of the pattern. Conservative: 0 (no
 * literal) for anything it does not understand, such as alternation at the
 * top level, option settings ((?i), (?x)), verbs ((*...)) and \Q. The caller
 * knows whether it compiled caseless, in which case the literal must be
 * searched without case. Copies at most cap bytes (a prefix of a required
 * run is required too) to buf and returns how many. */
size_t rn__regex_literal(const char *pattern, char *buf, size_t cap);

#endif /* RN_REGEX_H */
