/*
 * stages.c - the verbs that follow `then`: each builder parses its own
 * arguments (exiting with a usage error when they are wrong) and puts its
 * stage on the chain. Field lists are comma-separated; names are checked by
 * the stage itself, which lists the fields and suggests the closest.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Memory the verbs' arguments need for the life of the chain. */
static void *keep(cli *c, void *p)
{
    return cli_keep(c, p);
}

/* Splits "a,b,c" (and further arguments) into names. */
static const char **names_of(cli *c, const char *verb, char **args, int nargs,
                             size_t *n)
{
    size_t cap = 0;
    for (int i = 0; i < nargs; i++) {
        cap++;
        for (const char *p = args[i]; *p; p++)
            cap += *p == ',';
    }
    const char **out = keep(c, calloc(cap ? cap : 1, sizeof *out));
    size_t k = 0;
    for (int i = 0; i < nargs; i++) {
        char *copy = keep(c, strdup(args[i]));
        for (char *tok = copy, *next; tok; tok = next) {
            next = strchr(tok, ',');
            if (next)
                *next++ = '\0';
            if (!*tok)
                cli_usage_error("%s: empty field name in '%s'", verb, args[i]);
            out[k++] = tok;
        }
    }
    *n = k;
    return out;
}

static uint64_t count_arg(const char *verb, const char *what, const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || errno || s[0] == '-')
        cli_usage_error("%s: %s must be a whole number, got '%s'", verb, what,
                        s);
    return v;
}

static void no_more(const char *verb, int argc, char **argv, int used)
{
    if (argc > used)
        cli_usage_error("%s: unexpected argument '%s' (see runnel help %s)",
                        verb, argv[used], verb);
}

static void need(const char *verb, int argc, int n, const char *what)
{
    if (argc < n)
        cli_usage_error("%s: needs %s (see runnel help %s)", verb, what, verb);
}

/* Reports a stage that failed at construction (bad field, bad regex) as a
 * usage error now, before any output. */
static rn_iter *checked(rn_iter *it)
{
    if (it && rn_status(it) == RN_EINVAL)
        cli_usage_error("%s", rn_errmsg(it));
    return it;
}

static rn_iter *build_count(cli *c, rn_iter *up, int argc, char **argv)
{
    no_more("count", argc, argv, 1);
    c->natural_format = RN_FORMAT_CSV;
    return rn_count_new(up);
}

static rn_iter *build_filter(cli *c, rn_iter *up, int argc, char **argv)
{
    need("filter", argc, 2, "an expression");
    /* filter level == ERROR works without quotes: the words are joined. */
    size_t len = 1;
    for (int i = 1; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *expr = keep(c, calloc(1, len));
    for (int i = 1; i < argc; i++) {
        if (i > 1)
            strcat(expr, " ");
        strcat(expr, argv[i]);
    }
    return checked(rn_filter_new(up, expr));
}

static rn_iter *build_grep(cli *c, rn_iter *up, int argc, char **argv)
{
    rn_grep_opts o = {0};
    const char **pats = keep(c, calloc((size_t)argc, sizeof *pats));
    size_t np = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-i") == 0)
            o.ignore_case = 1;
        else if (strcmp(a, "-v") == 0)
            o.invert = 1;
        else if ((strcmp(a, "-A") == 0 || strcmp(a, "-B") == 0 ||
                  strcmp(a, "-C") == 0) && i + 1 < argc) {
            uint64_t n = count_arg("grep", a, argv[++i]);
            if (a[1] != 'B')
                o.after = n;
            if (a[1] != 'A')
                o.before = n;
        } else if (strcmp(a, "-e") == 0 && i + 1 < argc)
            pats[np++] = argv[++i];
        else if (a[0] == '-' && a[1])
            cli_usage_error("grep: unknown option '%s' (see runnel help grep)",
                            a);
        else
            pats[np++] = a;
    }
    if (np == 0)
        cli_usage_error("grep: needs a pattern (see runnel help grep)");
    o.patterns = pats;
    o.npatterns = np;
    c->natural_format = RN_FORMAT_TEXT;
    return checked(rn_grep_new(up, &o));
}

static rn_iter *build_extract(cli *c, rn_iter *up, int argc, char **argv)
{
    (void)c;
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
        cli_usage_error("extract: usage: extract [FIELD] REGEX [--keep]");
    const char *field = np == 2 ? pos[0] : NULL;
    const char *regex = np == 2 ? pos[1] : pos[0];
    return checked(rn_extract_new(up, field, regex, keep_rows));
}

static rn_iter *build_select(cli *c, rn_iter *up, int argc, char **argv)
{
    need(argv[0], argc, 2, "field names");
    size_t n;
    const char **names = names_of(c, argv[0], argv + 1, argc - 1, &n);
    if (strcmp(argv[0], "select") == 0)
        return checked(rn_select_new(up, names, n));
    return checked(rn_reject_new(up, names, n));
}

static rn_iter *build_rename(cli *c, rn_iter *up, int argc, char **argv)
{
    need("rename", argc, 2, "OLD=NEW pairs");
    size_t n;
    const char **pairs = names_of(c, "rename", argv + 1, argc - 1, &n);
    const char **olds = keep(c, calloc(n, sizeof *olds));
    const char **news = keep(c, calloc(n, sizeof *news));
    for (size_t i = 0; i < n; i++) {
        char *eq = strchr(pairs[i], '=');
        if (!eq || eq == pairs[i] || !eq[1])
            cli_usage_error("rename: '%s' is not OLD=NEW", pairs[i]);
        *eq = '\0';
        olds[i] = pairs[i];
        news[i] = eq + 1;
    }
    return checked(rn_rename_new(up, olds, news, n));
}

static rn_iter *build_n(cli *c, rn_iter *up, int argc, char **argv)
{
    (void)c;
    const char *verb = argv[0];
    need(verb, argc, 2, "a count");
    uint64_t n = count_arg(verb, "the count", argv[1]);
    if (strcmp(verb, "sample") == 0) {
        uint64_t seed = 0;
        if (argc >= 4 && strcmp(argv[2], "--seed") == 0)
            seed = count_arg(verb, "the seed", argv[3]);
        else
            no_more(verb, argc, argv, 2);
        return checked(rn_sample_new(up, n, seed));
    }
    no_more(verb, argc, argv, 2);
    if (strcmp(verb, "head") == 0)
        return checked(rn_head_new(up, n));
    if (strcmp(verb, "skip") == 0)
        return checked(rn_skip_new(up, n));
    return checked(rn_tail_new(up, n));
}

static rn_iter *build_uniq(cli *c, rn_iter *up, int argc, char **argv)
{
    size_t max = 0;
    char **rest = keep(c, calloc((size_t)argc, sizeof *rest));
    int nrest = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--max-keys") == 0 && i + 1 < argc)
            max = (size_t)count_arg("uniq", "--max-keys", argv[++i]);
        else
            rest[nrest++] = argv[i];
    }
    size_t n = 0;
    const char **names = nrest ? names_of(c, "uniq", rest, nrest, &n) : NULL;
    return checked(rn_uniq_new(up, names, n, max));
}

/* An aggregate spec: count, share, or NAME:FIELD. */
static int is_agg(const char *s)
{
    return strcmp(s, "count") == 0 || strcmp(s, "share") == 0 ||
           strchr(s, ':') != NULL;
}

static rn_iter *build_groupby(cli *c, rn_iter *up, int argc, char **argv)
{
    rn_groupby_opts o = {0};
    bool count_by = strcmp(argv[0], "count-by") == 0;
    const char **aggs = keep(c, calloc((size_t)argc, sizeof *aggs));
    char **keyargs = keep(c, calloc((size_t)argc, sizeof *keyargs));
    size_t na = 0;
    int nk = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--max-groups") == 0 && i + 1 < argc)
            o.max_groups = (size_t)count_arg(argv[0], "--max-groups",
                                             argv[++i]);
        else if (!count_by && is_agg(argv[i]))
            aggs[na++] = argv[i];
        else if (na == 0)
            keyargs[nk++] = argv[i];
        else
            cli_usage_error("%s: '%s' is not an aggregate (count, share, "
                            "sum:F, mean:F, min:F, max:F, first:F, last:F, "
                            "var:F, stddev:F, distinct:F, mode:F)", argv[0],
                            argv[i]);
    }
    size_t nkeys = 0;
    const char **keys = nk ? names_of(c, argv[0], keyargs, nk, &nkeys) : NULL;
    c->natural_format = RN_FORMAT_CSV;
    if (count_by) {
        if (nkeys == 0)
            cli_usage_error("count-by: needs field names");
        return checked(rn_count_by_new(up, keys, nkeys, &o));
    }
    if (na == 0)
        aggs[na++] = "count";
    return checked(rn_groupby_new(up, keys, nkeys, aggs, na, &o));
}

static rn_iter *build_sort(cli *c, rn_iter *up, int argc, char **argv)
{
    int numeric = 0, reverse = 0;
    size_t max = 0;
    char **rest = keep(c, calloc((size_t)argc, sizeof *rest));
    int nrest = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-n") == 0)
            numeric = 1;
        else if (strcmp(a, "-r") == 0)
            reverse = 1;
        else if (strcmp(a, "-nr") == 0 || strcmp(a, "-rn") == 0)
            numeric = reverse = 1;
        else if (strcmp(a, "--max-records") == 0 && i + 1 < argc)
            max = (size_t)count_arg("sort", "--max-records", argv[++i]);
        else if (a[0] == '-' && a[1])
            cli_usage_error("sort: unknown option '%s'", a);
        else
            rest[nrest++] = argv[i];
    }
    if (nrest == 0)
        cli_usage_error("sort: needs field names (see runnel help sort)");
    size_t n;
    const char **keys = names_of(c, "sort", rest, nrest, &n);
    c->natural_format = RN_FORMAT_CSV;
    return checked(rn_sort_new(up, keys, n, numeric, reverse, max));
}

static rn_iter *build_top(cli *c, rn_iter *up, int argc, char **argv)
{
    need("top", argc, 3, "a count and a field");
    no_more("top", argc, argv, 3);
    uint64_t n = count_arg("top", "the count", argv[1]);
    c->natural_format = RN_FORMAT_CSV;
    return checked(rn_top_new(up, (size_t)n, argv[2]));
}

const cli_verb cli_verbs[] = {
    {"filter", false, "keep where EXPR is true",
     "usage: ... then filter EXPR\n"
     "\n"
     "Keeps the records for which EXPR is true. Comparisons == != < <= > >=\n"
     "(numeric when both sides are numbers, else byte-wise), =~ and !~\n"
     "(regular expressions), contains, in (a, b), is empty, is not empty,\n"
     "joined with and, or, not and parentheses. Fields by name, $name,\n"
     "${name with spaces} or $3 (1-based); strings in quotes; a bare word\n"
     "that is not a field is a string. == on a field named level ignores\n"
     "case.\n"
     "\n"
     "Examples:\n"
     "  runnel csv sales.csv then filter 'amount > 100 and category == books'\n"
     "  runnel log app.log then filter level == error\n",
     build_filter},
    {"grep", false, "matching lines, context",
     "usage: ... then grep [-i] [-v] [-A N] [-B N] [-C N] [-e PATTERN]... [PATTERN]\n"
     "\n"
     "Keeps the records whose whole line matches any PATTERN (PCRE2), with N\n"
     "records of context after (-A), before (-B) or both (-C), and '--'\n"
     "between groups, as grep does. -i ignores case; -v keeps what does not\n"
     "match. Adds the fields _line, _pattern (which pattern matched, 1-based)\n"
     "and _match (match or context). Prints lines as read by default.\n"
     "\n"
     "Example:\n"
     "  runnel log app.log then grep -i -B 3 -e error -e exception\n",
     build_grep},
    {"extract", false, "regex groups as fields",
     "usage: ... then extract [FIELD] REGEX [--keep]\n"
     "\n"
     "Runs REGEX on FIELD (default: message for logs, line for lines) and adds\n"
     "its named groups as fields. Records that do not match are dropped, or\n"
     "kept with empty fields with --keep. Without named groups, the first\n"
     "group (or the whole match) becomes the field 'match'.\n"
     "\n"
     "Example:\n"
     "  runnel log app.log then extract 'Error code: (?<code>\\d+)' then count-by code\n",
     build_extract},
    {"select", false, "keep fields, in order",
     "usage: ... then select F,...\n\nExample:\n  runnel csv sales.csv then select category,amount\n",
     build_select},
    {"reject", false, "drop fields",
     "usage: ... then reject F,...\n\nExample:\n  runnel csv sales.csv then reject note\n",
     build_select},
    {"rename", false, "rename fields",
     "usage: ... then rename OLD=NEW,...\n\nExample:\n  runnel csv sales.csv then rename amount=eur\n",
     build_rename},
    {"head", false, "first N, then stop",
     "usage: ... then head N\n\nExample:\n  runnel lines big.log then head 10\n",
     build_n},
    {"skip", false, "all but the first N",
     "usage: ... then skip N\n\nExample:\n  runnel lines file.txt then skip 1\n",
     build_n},
    {"tail", false, "the last N",
     "usage: ... then tail N\n\nExample:\n  runnel log app.log then tail 20\n",
     build_n},
    {"uniq", false, "first of each key",
     "usage: ... then uniq [F,...] [--max-keys N]\n"
     "\n"
     "Keeps the first record of each distinct combination of the fields (all\n"
     "fields when none are named). Every key seen is kept in memory, at most\n"
     "--max-keys (default 10 million).\n"
     "\nExample:\n  runnel csv sales.csv then uniq customer\n",
     build_uniq},
    {"sample", false, "random sample of N",
     "usage: ... then sample N [--seed S]\n"
     "\nReservoir sampling; the same seed gives the same sample.\n"
     "\nExample:\n  runnel csv sales.csv then sample 100\n",
     build_n},
    {"groupby", false, "aggregates per key",
     "usage: ... then groupby KEY[,KEY...] AGG... [--max-groups N]\n"
     "\n"
     "One record per group, in first-seen order: the keys, then each AGG:\n"
     "count, share (of all records), sum:F, mean:F, min:F, max:F, first:F,\n"
     "last:F, var:F, stddev:F, distinct:F, mode:F (output fields count,\n"
     "share, sum_F, mean_F, ...). Values\n"
     "that are not numbers are skipped by numeric aggregates and counted\n"
     "(see --stats). Decimal sums are exact to 18 digits.\n"
     "\n"
     "Example:\n"
     "  runnel csv sales.csv then groupby category count sum:amount mean:amount\n",
     build_groupby},
    {"count-by", false, "frequency of each key",
     "usage: ... then count-by F[,F...]\n"
     "\nThe frequency table: count per key, by count descending, ties by key.\n"
     "\nExample:\n  runnel log app.log then count-by level\n",
     build_groupby},
    {"count", false, "number of records",
     "usage: ... then count\n"
     "\n"
     "Yields one record with one field, 'count': how many records reached it.\n"
     "\n"
     "Example:\n"
     "  runnel lines app.log then count\n",
     build_count},
    {"sort", false, "sort (bounded input)",
     "usage: ... then sort [-n] [-r] F,... [--max-records N]\n"
     "\n"
     "Sorts by the fields: -n as numbers (non-numbers last), -r descending.\n"
     "Holds at most --max-records (default 1,000,000): put it after groupby,\n"
     "head or uniq.\n"
     "\nExample:\n  runnel csv s.csv then groupby category sum:amount then sort -nr sum_amount\n",
     build_sort},
    {"top", false, "N largest by a field",
     "usage: ... then top N F\n\nExample:\n  runnel csv sales.csv then top 5 amount\n",
     build_top},
    {NULL, false, NULL, NULL, NULL},
};
