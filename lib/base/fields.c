/*
 * fields.c - finding a field by name for a stage, and saying what to type
 * instead when it is not there.
 *
 * The message lists the fields (the first 20) and suggests the one with the
 * smallest edit distance, when that distance is small enough to be a typo.
 * This runs once per stage and schema, never per record.
 */
#include "runnel_internal.h"

#include <stdio.h>
#include <string.h>

/* Levenshtein distance, capped at 255 and for names up to 63 bytes, which is
 * all a suggestion needs. */
static unsigned distance(const char *a, size_t al, const char *b, size_t bl)
{
    if (al > 63 || bl > 63)
        return 255;
    unsigned row[64];
    for (size_t j = 0; j <= bl; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= al; i++) {
        unsigned diag = row[0];
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= bl; j++) {
            unsigned up = row[j];
            unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
            unsigned best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[bl];
}

ptrdiff_t rn__field_index(rn_iter *it, const char *what, const rn_schema *s,
                          const char *name, size_t len)
{
    ptrdiff_t i = rn_schema_find(s, name, len);
    if (i >= 0)
        return i;
    char list[256];
    size_t k = 0;
    list[0] = '\0';
    size_t n = rn_schema_count(s);
    unsigned best = 255;
    size_t besti = 0;
    for (size_t j = 0; j < n; j++) {
        rn_field f = rn_schema_name(s, j);
        if (j < 20 && k < sizeof list - 1) {
            int w = snprintf(list + k, sizeof list - k, "%s%.*s",
                             j ? ", " : "", (int)f.len, f.ptr);
            k = w < 0 ? k : k + (size_t)w;
            if (k >= sizeof list)
                k = sizeof list - 1;
        }
        unsigned d = distance(name, len, f.ptr, f.len);
        if (d < best) {
            best = d;
            besti = j;
        }
    }
    char hint[96] = "";
    /* A typo is a few edits, relative to the length of the name. */
    if (n && best <= 2 + len / 4 && best < len) {
        rn_field f = rn_schema_name(s, besti);
        snprintf(hint, sizeof hint, "; did you mean '%.*s'?", (int)f.len,
                 f.ptr);
    }
    rn__iter_fail(it, RN_EINVAL, "%s: no field '%.*s' (fields: %s%s)%s", what,
                  (int)len, name, n ? list : "none", n > 20 ? ", ..." : "",
                  hint);
    return -1;
}
