/*
 * pipeline_verbs.c - the verbs that follow `then` in a chain built from
 * text: each parses its own words and puts its stage on the chain. Field
 * lists are comma-separated; names are checked by the stage itself, which
 * lists the fields and suggests the closest. A stage that refuses its
 * arguments at construction (a bad field, regex or expression) is an error
 * of the parse, before any record is read.
 *
 * Arrays and copies the verbs make live in the call's arena, which the
 * chain keeps: the stages copy what they keep, but nothing here relies on
 * it. Messages are the runnel command's, word for word.
 */
#include "pipeline_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Splits "a,b,c" (and further words) into names. args[i] is word
 * wi[i] of the call (NULL wi: word first + i); *word_of (may be NULL) gets
 * the word of each name. */
static int names_of(rn__pp *p, const char *verb, int first, const int *wi,
                    char **args, int nargs, const char ***out, int **word_of,
                    size_t *n)
{
    size_t cap = 0;
    for (int i = 0; i < nargs; i++) {
        cap++;
        for (const char *q = args[i]; *q; q++)
            cap += *q == ',';
    }
    const char **names = rn__pp_alloc(p, (cap ? cap : 1) * sizeof *names);
    int *words = rn__pp_alloc(p, (cap ? cap : 1) * sizeof *words);
    if (!names || !words)
        return rn__pp_nomem(p);
    size_t k = 0;
    for (int i = 0; i < nargs; i++) {
        int word = wi ? wi[i] : first + i;
        char *copy = rn__arena_dup(p->arena, args[i], strlen(args[i]));
        if (!copy)
            return rn__pp_nomem(p);
        for (char *tok = copy, *next; tok; tok = next) {
            next = strchr(tok, ',');
            if (next)
                *next++ = '\0';
            if (!*tok)
                return rn__pp_fail(p, word, "%s: empty field name in '%s'",
                                   verb, args[i]);
            words[k] = word;
            names[k++] = tok;
        }
    }
    *out = names;
    if (word_of)
        *word_of = words;
    *n = k;
    return RN_OK;
}

static int count_arg(rn__pp *p, int word, const char *verb, const char *what,
                     const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || errno || s[0] == '-')
        return rn__pp_fail(p, word, "%s: %s must be a whole number, got "
                           "'%s'", verb, what, s);
    *out = v;
    return RN_OK;
}

static int no_more(rn__pp *p, int first, const char *verb, int argc,
                   char **argv, int used)
{
    if (argc > used)
        return rn__pp_fail(p, first + used, "%s: unexpected argument '%s' "
                           "(see runnel help %s)", verb, argv[used], verb);
    return RN_OK;
}

static int need(rn__pp *p, int first, const char *verb, int argc, int n,
                const char *what)
{
    if (argc < n)
        return rn__pp_fail(p, first, "%s: needs %s (see runnel help %s)",
                           verb, what, verb);
    return RN_OK;
}

/* Puts the stage just built on the chain and checks it (see
 * rn__pp_checked). */
static int put(rn__pp *p, int first, rn_iter **it, rn_iter *stage)
{
    *it = stage;
    return rn__pp_checked(p, first, stage);
}

static int build_count(rn__pp *p, int first, int argc, char **argv,
                       rn_iter **it)
{
    int rc = no_more(p, first, "count", argc, argv, 1);
    if (rc != RN_OK)
        return rc;
    *it = rn_count_new(*it);
    return *it ? RN_OK : rn__pp_nomem(p);
}

static int build_filter(rn__pp *p, int first, int argc, char **argv,
                        rn_iter **it)
{
    int rc = need(p, first, "filter", argc, 2, "an expression");
    if (rc != RN_OK)
        return rc;
    /* filter level == ERROR works without quotes: the words are joined. */
    size_t len = 1;
    for (int i = 1; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *expr = rn__pp_alloc(p, len);
    if (!expr)
        return rn__pp_nomem(p);
    size_t k = 0;
    for (int i = 1; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (i > 1)
            expr[k++] = ' ';
        memcpy(expr + k, argv[i], n);
        k += n;
    }
    return put(p, first, it, rn_filter_new(*it, expr));
}

static int build_grep(rn__pp *p, int first, int argc, char **argv,
                      rn_iter **it)
{
    rn_grep_opts o = {0};
    const char **pats = rn__pp_alloc(p, (size_t)argc * sizeof *pats);
    if (!pats)
        return rn__pp_nomem(p);
    size_t np = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-i") == 0) {
            o.ignore_case = 1;
        } else if (strcmp(a, "-v") == 0) {
            o.invert = 1;
        } else if ((strcmp(a, "-A") == 0 || strcmp(a, "-B") == 0 ||
                    strcmp(a, "-C") == 0) && i + 1 < argc) {
            uint64_t n;
            i++;
            int rc = count_arg(p, first + i, "grep", a, argv[i], &n);
            if (rc != RN_OK)
                return rc;
            if (a[1] != 'B')
                o.after = (size_t)n;
            if (a[1] != 'A')
                o.before = (size_t)n;
        } else if (strcmp(a, "-e") == 0 && i + 1 < argc) {
            pats[np++] = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            return rn__pp_fail(p, first + i, "grep: unknown option '%s' (see "
                               "runnel help grep)", a);
        } else {
            pats[np++] = a;
        }
    }
    if (np == 0)
        return rn__pp_fail(p, first, "grep: needs a pattern (see runnel help "
                           "grep)");
    o.patterns = pats;
    o.npatterns = np;
    return put(p, first, it, rn_grep_new(*it, &o));
}

static int build_extract(rn__pp *p, int first, int argc, char **argv,
                         rn_iter **it)
{
    int keep_rows = 0;
    const char *pos[3] = {NULL, NULL, NULL};
    int np = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--keep") == 0)
            keep_rows = 1;
        else if (np < 3)
            pos[np++] = argv[i];
    }
    if (np == 0 || np > 2)
        return rn__pp_fail(p, first, "extract: usage: extract [FIELD] REGEX "
                           "[--keep]");
    const char *field = np == 2 ? pos[0] : NULL;
    const char *regex = np == 2 ? pos[1] : pos[0];
    return put(p, first, it, rn_extract_new(*it, field, regex, keep_rows));
}

static int build_select(rn__pp *p, int first, int argc, char **argv,
                        rn_iter **it)
{
    int rc = need(p, first, argv[0], argc, 2, "field names");
    if (rc != RN_OK)
        return rc;
    const char **names;
    size_t n;
    rc = names_of(p, argv[0], first + 1, NULL, argv + 1, argc - 1, &names,
                  NULL, &n);
    if (rc != RN_OK)
        return rc;
    if (strcmp(argv[0], "select") == 0)
        return put(p, first, it, rn_select_new(*it, names, n));
    return put(p, first, it, rn_reject_new(*it, names, n));
}

static int build_rename(rn__pp *p, int first, int argc, char **argv,
                        rn_iter **it)
{
    int rc = need(p, first, "rename", argc, 2, "OLD=NEW pairs");
    if (rc != RN_OK)
        return rc;
    const char **pairs;
    int *word;
    size_t n;
    rc = names_of(p, "rename", first + 1, NULL, argv + 1, argc - 1, &pairs,
                  &word, &n);
    if (rc != RN_OK)
        return rc;
    const char **olds = rn__pp_alloc(p, n * sizeof *olds);
    const char **news = rn__pp_alloc(p, n * sizeof *news);
    if (!olds || !news)
        return rn__pp_nomem(p);
    for (size_t i = 0; i < n; i++) {
        char *eq = strchr(pairs[i], '=');
        if (!eq || eq == pairs[i] || !eq[1])
            return rn__pp_fail(p, word[i], "rename: '%s' is not OLD=NEW",
                               pairs[i]);
        *eq = '\0';
        olds[i] = pairs[i];
        news[i] = eq + 1;
    }
    return put(p, first, it, rn_rename_new(*it, olds, news, n));
}

/* head, skip, tail and sample. */
static int build_n(rn__pp *p, int first, int argc, char **argv, rn_iter **it)
{
    const char *verb = argv[0];
    uint64_t n, seed = 0;
    int rc = need(p, first, verb, argc, 2, "a count");
    if (rc == RN_OK)
        rc = count_arg(p, first + 1, verb, "the count", argv[1], &n);
    if (rc != RN_OK)
        return rc;
    if (strcmp(verb, "sample") == 0) {
        if (argc >= 4 && strcmp(argv[2], "--seed") == 0)
            rc = count_arg(p, first + 3, verb, "the seed", argv[3], &seed);
        else
            rc = no_more(p, first, verb, argc, argv, 2);
        if (rc != RN_OK)
            return rc;
        return put(p, first, it, rn_sample_new(*it, n, seed));
    }
    if ((rc = no_more(p, first, verb, argc, argv, 2)) != RN_OK)
        return rc;
    if (strcmp(verb, "head") == 0)
        return put(p, first, it, rn_head_new(*it, n));
    if (strcmp(verb, "skip") == 0)
        return put(p, first, it, rn_skip_new(*it, n));
    return put(p, first, it, rn_tail_new(*it, n));
}

/* The words of a verb other than its options, and where each is. */
typedef struct rest {
    char **w;
    int *wi;
    int n;
} rest;

static int rest_new(rn__pp *p, int argc, rest *r)
{
    r->n = 0;
    r->w = rn__pp_alloc(p, (size_t)argc * sizeof *r->w);
    r->wi = rn__pp_alloc(p, (size_t)argc * sizeof *r->wi);
    return r->w && r->wi ? RN_OK : rn__pp_nomem(p);
}

static void rest_add(rest *r, char *word, int at)
{
    r->wi[r->n] = at;
    r->w[r->n++] = word;
}

static int rest_names(rn__pp *p, const char *verb, rest *r,
                      const char ***names, size_t *n)
{
    return names_of(p, verb, 0, r->wi, r->w, r->n, names, NULL, n);
}

static int build_uniq(rn__pp *p, int first, int argc, char **argv,
                      rn_iter **it)
{
    size_t max = 0;
    rest r;
    int rc = rest_new(p, argc, &r);
    if (rc != RN_OK)
        return rc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--max-keys") == 0 && i + 1 < argc) {
            uint64_t v;
            i++;
            if ((rc = count_arg(p, first + i, "uniq", "--max-keys", argv[i],
                                &v)) != RN_OK)
                return rc;
            max = (size_t)v;
        } else {
            rest_add(&r, argv[i], first + i);
        }
    }
    size_t n = 0;
    const char **names = NULL;
    if (r.n && (rc = rest_names(p, "uniq", &r, &names, &n)) != RN_OK)
        return rc;
    return put(p, first, it, rn_uniq_new(*it, names, n, max));
}

/* An aggregate spec: count, share, or NAME:FIELD. */
static bool is_agg(const char *s)
{
    return strcmp(s, "count") == 0 || strcmp(s, "share") == 0 ||
           strchr(s, ':') != NULL;
}

static int build_groupby(rn__pp *p, int first, int argc, char **argv,
                         rn_iter **it)
{
    rn_groupby_opts o = {0};
    bool count_by = strcmp(argv[0], "count-by") == 0;
    const char **aggs = rn__pp_alloc(p, (size_t)argc * sizeof *aggs);
    rest keys;
    int rc = rest_new(p, argc, &keys);
    if (rc != RN_OK)
        return rc;
    if (!aggs)
        return rn__pp_nomem(p);
    size_t na = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--max-groups") == 0 && i + 1 < argc) {
            uint64_t v;
            i++;
            if ((rc = count_arg(p, first + i, argv[0], "--max-groups",
                                argv[i], &v)) != RN_OK)
                return rc;
            o.max_groups = (size_t)v;
        } else if (!count_by && is_agg(argv[i])) {
            aggs[na++] = argv[i];
        } else if (na == 0) {
            rest_add(&keys, argv[i], first + i);
        } else {
            return rn__pp_fail(p, first + i, "%s: '%s' is not an aggregate "
                               "(count, share, sum:F, mean:F, min:F, max:F, "
                               "first:F, last:F, var:F, stddev:F, "
                               "distinct:F, mode:F)", argv[0], argv[i]);
        }
    }
    size_t nkeys = 0;
    const char **names = NULL;
    if (keys.n &&
        (rc = rest_names(p, argv[0], &keys, &names, &nkeys)) != RN_OK)
        return rc;
    if (count_by) {
        if (nkeys == 0)
            return rn__pp_fail(p, first, "count-by: needs field names");
        return put(p, first, it, rn_count_by_new(*it, names, nkeys, &o));
    }
    if (na == 0)
        aggs[na++] = "count";
    return put(p, first, it, rn_groupby_new(*it, names, nkeys, aggs, na, &o));
}

static int build_sort(rn__pp *p, int first, int argc, char **argv,
                      rn_iter **it)
{
    int numeric = 0, reverse = 0;
    size_t max = 0;
    rest r;
    int rc = rest_new(p, argc, &r);
    if (rc != RN_OK)
        return rc;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-n") == 0) {
            numeric = 1;
        } else if (strcmp(a, "-r") == 0) {
            reverse = 1;
        } else if (strcmp(a, "-nr") == 0 || strcmp(a, "-rn") == 0) {
            numeric = reverse = 1;
        } else if (strcmp(a, "--max-records") == 0 && i + 1 < argc) {
            uint64_t v;
            i++;
            if ((rc = count_arg(p, first + i, "sort", "--max-records",
                                argv[i], &v)) != RN_OK)
                return rc;
            max = (size_t)v;
        } else if (a[0] == '-' && a[1]) {
            return rn__pp_fail(p, first + i, "sort: unknown option '%s'", a);
        } else {
            rest_add(&r, argv[i], first + i);
        }
    }
    if (r.n == 0)
        return rn__pp_fail(p, first, "sort: needs field names (see runnel "
                           "help sort)");
    const char **keys;
    size_t n;
    if ((rc = rest_names(p, "sort", &r, &keys, &n)) != RN_OK)
        return rc;
    return put(p, first, it, rn_sort_new(*it, keys, n, numeric, reverse, max));
}

static int build_top(rn__pp *p, int first, int argc, char **argv,
                     rn_iter **it)
{
    uint64_t n;
    int rc = need(p, first, "top", argc, 3, "a count and a field");
    if (rc == RN_OK)
        rc = no_more(p, first, "top", argc, argv, 3);
    if (rc == RN_OK)
        rc = count_arg(p, first + 1, "top", "the count", argv[1], &n);
    if (rc != RN_OK)
        return rc;
    return put(p, first, it, rn_top_new(*it, (size_t)n, argv[2]));
}

const rn__pp_entry rn__pp_verbs[] = {
    {"filter", build_filter},
    {"grep", build_grep},
    {"extract", build_extract},
    {"select", build_select},
    {"reject", build_select},
    {"rename", build_rename},
    {"head", build_n},
    {"skip", build_n},
    {"tail", build_n},
    {"uniq", build_uniq},
    {"sample", build_n},
    {"groupby", build_groupby},
    {"count-by", build_groupby},
    {"count", build_count},
    {"sort", build_sort},
    {"top", build_top},
    {NULL, NULL},
};
