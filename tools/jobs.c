/*
 * jobs.c - the ready-made jobs, thin aliases over the general chain:
 *
 *   runnel errors [--level L] [--pattern RE] [--format F] [FILE...]
 *   runnel agg -g KEY[,KEY...] [-a AGG]... [FILE...]
 *
 * Each expands into the words of a chain (what --explain prints), which the
 * command then builds like any other. The errors job names its time field
 * "@TS@" until the log reader has decided the format; cli_job_fix() then
 * puts in the real name (timestamp, or time for access logs).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TS_MARK "@TS@"

void *cli_keep(cli *c, void *p)
{
    if (!p)
        cli_usage_error("out of memory");
    void **grown = realloc(c->kept, (c->nkept + 1) * sizeof *grown);
    if (!grown)
        cli_usage_error("out of memory");
    c->kept = grown;
    c->kept[c->nkept++] = p;
    return p;
}

void cli_keep_free(cli *c)
{
    for (size_t i = 0; i < c->nkept; i++)
        free(c->kept[i]);
    free(c->kept);
    c->kept = NULL;
    c->nkept = 0;
}

/* An argv that grows, its strings kept in c. */
typedef struct words {
    cli *c;
    char **v;
    int n;
} words;

static void add(words *w, const char *s)
{
    char **grown = realloc(w->v, (size_t)(w->n + 2) * sizeof *grown);
    char *copy = strdup(s);
    if (!grown || !copy)
        cli_usage_error("out of memory");
    w->v = grown;
    w->v[w->n++] = copy;
    w->v[w->n] = NULL;
    cli_keep(w->c, copy);
}

static int expand_errors(cli *c, int argc, char **argv, words *w)
{
    const char *level = "ERROR", *pattern = "Error code: (\\d+)";
    const char *format = NULL;
    bool follow = false;
    char **files = calloc((size_t)argc + 1, sizeof *files);
    cli_keep(c, files);
    int nf = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--level") == 0 && i + 1 < argc)
            level = argv[++i];
        else if (strcmp(a, "--pattern") == 0 && i + 1 < argc)
            pattern = argv[++i];
        else if (strcmp(a, "--format") == 0 && i + 1 < argc)
            format = argv[++i];
        else if (strcmp(a, "-f") == 0 || strcmp(a, "--follow") == 0)
            follow = true;
        else if (a[0] == '-' && a[1])
            cli_usage_error("errors: unknown option '%s' (see runnel help "
                            "errors)", a);
        else
            files[nf++] = argv[i];
    }
    add(w, "log");
    if (follow) {
        /* Ctrl-C ends the input; the final table is the answer (exit 130,
         * as for --partial-on-interrupt). main redraws on a terminal. */
        add(w, "-f");
        c->live = true;
        c->partial = true;
    }
    if (format) {
        add(w, "--format");
        add(w, format);
    }
    for (int i = 0; i < nf; i++)
        add(w, files[i]);
    if (strcmp(level, "any") != 0) {
        char f[256];
        if (strchr(level, '"') || strchr(level, '\\') || strlen(level) > 200)
            cli_usage_error("errors: --level takes a plain word");
        snprintf(f, sizeof f, "level == \"%s\"", level);
        add(w, "then");
        add(w, "filter");
        add(w, f);
    }
    add(w, "then");
    add(w, "extract");
    add(w, pattern);
    /* The code is the group named code, or else the pattern's first group,
     * which extract names "match". */
    if (!strstr(pattern, "(?<code>") && !strstr(pattern, "(?P<code>")) {
        if (strstr(pattern, "(?<") || strstr(pattern, "(?P<"))
            cli_usage_error("errors: --pattern has named groups but none "
                            "called 'code': name it (?<code>...) or use an "
                            "unnamed group");
        add(w, "then");
        add(w, "rename");
        add(w, "match=code");
    }
    add(w, "then");
    add(w, "groupby");
    add(w, "code");
    add(w, "count");
    add(w, "share");
    add(w, "first:" TS_MARK);
    add(w, "last:" TS_MARK);
    /* By count, most first; ties by code (sort is stable). */
    add(w, "then");
    add(w, "sort");
    add(w, "code");
    add(w, "then");
    add(w, "sort");
    add(w, "-nr");
    add(w, "count");
    add(w, "then");
    add(w, "rename");
    add(w, "first_" TS_MARK "=first_seen,last_" TS_MARK "=last_seen");
    c->job_needs_ts = true;
    return w->n;
}

/* Whether every non-empty value of field i in the first rows is a number
 * (and at least one is there). strtod is safe: we never call setlocale. */
static void numeric_columns(cli *c, const char *file, bool *numeric,
                            size_t ncols)
{
    rn_iter *it = rn_csv_new(rn_source_file(file, &c->src), NULL);
    if (!it || rn_status(it) < 0)
        cli_usage_error("%s", it ? rn_errmsg(it) : "out of memory");
    size_t *seen = calloc(ncols ? ncols : 1, sizeof *seen);
    cli_keep(c, seen);
    for (size_t i = 0; i < ncols; i++)
        numeric[i] = true;
    const rn_record *rec;
    for (int row = 0; row < 100 && rn_next(it, &rec) == RN_ROW; row++) {
        for (size_t i = 0; i < ncols && i < rec->nfields; i++) {
            rn_field f = rec->fields[i];
            if (f.len == 0 || !numeric[i])
                continue;
            char buf[64];
            if (f.len >= sizeof buf) {
                numeric[i] = false;
                continue;
            }
            memcpy(buf, f.ptr, f.len);
            buf[f.len] = '\0';
            char *end;
            (void)strtod(buf, &end);
            if (*end || end == buf)
                numeric[i] = false;
            else
                seen[i]++;
        }
    }
    for (size_t i = 0; i < ncols; i++)
        numeric[i] = numeric[i] && seen[i] > 0;
    rn_free(it);
}

static int expand_agg(cli *c, int argc, char **argv, words *w)
{
    const char *keys = NULL;
    char **aggs = calloc((size_t)argc + 1, sizeof *aggs);
    char **files = calloc((size_t)argc + 1, sizeof *files);
    cli_keep(c, aggs);
    cli_keep(c, files);
    int na = 0, nf = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-g") == 0 && i + 1 < argc)
            keys = argv[++i];
        else if (strcmp(a, "-a") == 0 && i + 1 < argc)
            aggs[na++] = argv[++i];
        else if (a[0] == '-' && a[1])
            cli_usage_error("agg: unknown option '%s' (see runnel help agg)",
                            a);
        else
            files[nf++] = argv[i];
    }
    if (!keys)
        cli_usage_error("agg: needs -g KEY[,KEY...] (see runnel help agg)");
    add(w, "csv");
    for (int i = 0; i < nf; i++)
        add(w, files[i]);
    add(w, "then");
    add(w, "groupby");
    add(w, keys);
    if (na) {
        for (int i = 0; i < na; i++)
            add(w, aggs[i]);
        return w->n;
    }
    add(w, "count");
    if (nf == 0 || strcmp(files[0], "-") == 0)
        return w->n; /* stdin cannot be read twice: count only */
    /* Without -a: sum and mean of each numeric column of the first rows. */
    rn_iter *it = rn_csv_new(rn_source_file(files[0], &c->src), NULL);
    if (!it || rn_status(it) < 0)
        cli_usage_error("%s", it ? rn_errmsg(it) : "out of memory");
    const rn_schema *s = rn_schema_of(it);
    size_t ncols = rn_schema_count(s);
    bool *numeric = calloc(ncols ? ncols : 1, sizeof *numeric);
    cli_keep(c, numeric);
    numeric_columns(c, files[0], numeric, ncols);
    for (size_t i = 0; i < ncols; i++) {
        rn_field name = rn_schema_name(s, i);
        char key[512];
        snprintf(key, sizeof key, ",%s,", keys);
        char needle[300];
        snprintf(needle, sizeof needle, ",%.*s,", (int)name.len, name.ptr);
        if (!numeric[i] || strstr(key, needle))
            continue;
        char spec[300];
        snprintf(spec, sizeof spec, "sum:%.*s", (int)name.len, name.ptr);
        add(w, spec);
        snprintf(spec, sizeof spec, "mean:%.*s", (int)name.len, name.ptr);
        add(w, spec);
    }
    rn_free(it);
    return w->n;
}

bool cli_is_job(const char *name)
{
    return strcmp(name, "errors") == 0 || strcmp(name, "agg") == 0;
}

int cli_expand_job(cli *c, int argc, char **argv, char ***out)
{
    words w = {c, NULL, 0};
    if (strcmp(argv[0], "errors") == 0)
        expand_errors(c, argc, argv, &w);
    else
        expand_agg(c, argc, argv, &w);
    cli_keep(c, w.v);
    *out = w.v;
    return w.n;
}

void cli_job_fix(cli *c, rn_iter *source, char **argv, int argc)
{
    if (!c->job_needs_ts)
        return;
    c->job_needs_ts = false;
    const rn_schema *s = rn_schema_of(source);
    const char *ts = rn_schema_find(s, "timestamp", 9) >= 0 ? "timestamp"
                     : rn_schema_find(s, "time", 4) >= 0    ? "time"
                                                            : NULL;
    if (!ts)
        cli_usage_error("errors: the log has no timestamp or time field "
                        "(format %s); a regex format can name one "
                        "(?<timestamp>...)",
                        rn_log_format(source) ? rn_log_format(source) : "?");
    c->job_ts = ts;
    for (int i = 0; i < argc; i++) {
        char *m = strstr(argv[i], TS_MARK);
        if (!m)
            continue;
        /* Every mark in the word, replaced; the word is rebuilt. */
        char buf[1024];
        size_t k = 0;
        for (const char *p = argv[i]; *p && k + 16 < sizeof buf;) {
            if (strncmp(p, TS_MARK, strlen(TS_MARK)) == 0) {
                k += (size_t)snprintf(buf + k, sizeof buf - k, "%s", ts);
                p += strlen(TS_MARK);
            } else {
                buf[k++] = *p++;
            }
        }
        buf[k] = '\0';
        char *copy = strdup(buf);
        if (!copy)
            cli_usage_error("out of memory");
        cli_keep(c, copy);
        argv[i] = copy;
    }
}

/* errors -f on a terminal: the table so far, from the groupby under last,
 * through the same sorts and renames as the chain expand_errors builds,
 * drawn over the previous one. */
void cli_errors_redraw(cli *c, rn_iter *last)
{
    rn_iter *gb = last;
    while (gb && strcmp(rn_kind(gb), "groupby") != 0)
        gb = rn_upstream(gb);
    if (!gb || !c->job_ts)
        return;
    static const char *const code[] = {"code"}, *const count[] = {"count"};
    char first[64], lastn[64];
    snprintf(first, sizeof first, "first_%s", c->job_ts);
    snprintf(lastn, sizeof lastn, "last_%s", c->job_ts);
    const char *const from[] = {first, lastn};
    static const char *const to[] = {"first_seen", "last_seen"};
    rn_iter *it = rn_groupby_snapshot(gb);
    it = rn_sort_new(it, code, 1, 0, 0, 0);
    it = rn_sort_new(it, count, 1, 1, 1, 0);
    it = rn_rename_new(it, from, to, 2);
    rn_sink_opts so = {0};
    so.format = RN_FORMAT_TABLE;
    rn_sink *sink = it ? rn_sink_fd(STDOUT_FILENO, &so) : NULL;
    if (sink) {
        fputs("\033[H\033[2J", stdout); /* home, clear the screen */
        fflush(stdout);
        rn_stats st;
        rn_stats_of(gb, &st);
        if (rn_run(it, sink) >= 0)
            printf("\n%llu matching records so far; following, Ctrl-C "
                   "ends\n", (unsigned long long)st.records_in);
        fflush(stdout);
    }
    rn_sink_free(sink);
    rn_free(it);
}
