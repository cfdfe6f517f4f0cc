/*
 * find.h - searching raw blocks (internal): a literal, with or without ASCII
 * case, and a count of one byte. The line reader's pushdown uses both to skip
 * the lines that cannot be wanted without cutting them out.
 *
 *     rn__finder f;
 *     rn__finder_init(&f, needle, true);          // ignore ASCII case
 *     const char *hit = rn__finder_find(&f, block, n);   // NULL: none
 *     uint64_t lines = rn__count_byte(block, hit - block, '\n');
 *
 * The search tests three bytes of the needle at once (the least common in
 * text, case folded by OR 0x20 when the byte is a letter and case is
 * ignored) over 32 or 16 positions per step, with AVX2 or SSE2 where the CPU
 * has them, and checks the whole needle only where both match; portable C
 * elsewhere. All paths give the same answers, which tests check.
 */
#ifndef RN_FIND_H
#define RN_FIND_H

#include "runnel.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Which implementation the finder uses: the best the CPU has, or a given one
 * (falling back when the CPU lacks it), for tests. */
enum rn__find_path { RN__FIND_AUTO, RN__FIND_SCALAR, RN__FIND_SSE2,
                     RN__FIND_AVX2 };

typedef struct rn__finder {
    const char *ptr;     /* the needle: borrowed, must outlive the finder */
    size_t len;          /* >= 1 */
    bool ci;             /* ASCII letters match either case */
    uint8_t path;        /* enum rn__find_path, resolved */
    size_t at[3];        /* offsets of the probe bytes in the needle (the
                            same offset twice or thrice in a short one) */
    uint8_t b[3];        /* the probe bytes, lower case when folded */
    uint8_t fold[3];     /* 0x20 when that probe is a folded letter, else 0 */
} rn__finder;

/* Prepares a search for needle (len >= 1). */
void rn__finder_init(rn__finder *f, rn_field needle, bool ci);

/* The same with the implementation forced (tests only). */
void rn__finder_init_path(rn__finder *f, rn_field needle, bool ci, int path);

/* The first occurrence of the needle in hay[0, n), or NULL. */
const char *rn__finder_find(const rn__finder *f, const char *hay, size_t n);

/* How many bytes of p[0, n) equal c. path as for the finder. */
uint64_t rn__count_byte(const char *p, size_t n, unsigned char c);
uint64_t rn__count_byte_path(const char *p, size_t n, unsigned char c,
                             int path);

/* rn__count_byte() with the implementation f picked: for a hot loop, which
 * need not ask the CPU again at each call. */
uint64_t rn__finder_count(const rn__finder *f, const char *p, size_t n,
                          unsigned char c);

#endif /* RN_FIND_H */
