/*
 * pipeline_sources.c - the sources of a chain built from text: lines, csv,
 * tsv and log. Each parses its options, checks its files up front (so that
 * a typo in the last of ten files is an error before any output, not a
 * failure half-way), and builds one reader per file, chained so that
 * several files read as one stream.
 *
 * The chain opens its files lazily, one after the other: what it needs for
 * that (the file list, the readers' options, the application's input) is a
 * struct src in the call's arena, which the chain's first iterator owns.
 * Messages are the runnel command's, word for word.
 */
#include "pipeline_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct src {
    rn__pp_own *own;      /* its input goes to the reader of "-" */
    rn_allocator mem;     /* so.allocator points here */
    rn_source_opts so;    /* for every file opened */
    rn_lines_opts lines;  /* lines, and the lines under log */
    rn_csv_opts csv;
    rn_log_opts log;
    bool is_csv;          /* readers are csv (else lines) */
    char **files;         /* the file words, in order */
    int *fword;           /* the index of each among the call's words */
    int nfiles;
    int follow_word;      /* where -f was, or -1 */
    char **uni;           /* --union: every file's fields; NULL: none */
    size_t nuni, unicap;
} src;

/* ---- the chain of files ------------------------------------------------------ */

static rn_iter *make_reader(src *c, rn_source *s)
{
    if (!c->is_csv)
        return rn_lines_new(s, &c->lines);
    rn_iter *it = rn_csv_new(s, &c->csv);
    if (it && c->uni)
        it = rn_project_new(it, (const char *const *)c->uni, c->nuni);
    return it;
}

static rn_iter *open_file(void *ud, size_t i)
{
    src *c = ud;
    const char *name = c->nfiles ? c->files[i] : "-";
    rn_source *s;
    if (strcmp(name, "-") == 0 && c->own->input) {
        s = c->own->input; /* the reader takes it over */
        c->own->input = NULL;
    } else {
        s = rn_source_file(name, &c->so);
    }
    return s ? make_reader(c, s) : NULL;
}

/* Checks that file k can be read, as the command does before it starts. */
static int check_readable(rn__pp *p, src *c, int k, bool follow)
{
    const char *name = c->files[k];
    int word = c->fword[k];
    if (strcmp(name, "-") == 0)
        return RN_OK;
    if (p->opts->no_files)
        return rn__pp_fail(p, word, "cannot open '%s': this chain reads "
                           "only its input ('-'), not files", name);
    struct stat st;
    if (stat(name, &st) != 0) {
        if (follow && errno == ENOENT)
            return RN_OK; /* -f waits for the file to appear, as tail -F */
        return rn__pp_fail(p, word, "cannot open '%s': %s", name,
                           strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return rn__pp_fail(p, word, "cannot read '%s': it is a directory",
                           name);
    /* A FIFO or a device is not opened here: opening a FIFO would take its
     * writer's bytes, and the real open would then wait forever. */
    if (!S_ISREG(st.st_mode)) {
        if (access(name, R_OK) != 0)
            return rn__pp_fail(p, word, "cannot open '%s': %s", name,
                               strerror(errno));
        return RN_OK;
    }
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rn__pp_fail(p, word, "cannot open '%s': %s", name,
                           strerror(errno));
    close(fd);
    return RN_OK;
}

/* Builds the chain of readers over c's files (stdin, or the input, for
 * none or "-"). */
static int open_files(rn__pp *p, src *c, rn_iter **it)
{
    int n = c->nfiles;
    for (int k = 0; k < n; k++) {
        int rc = check_readable(p, c, k, c->so.follow);
        if (rc != RN_OK)
            return rc;
    }
    if (c->so.follow && n > 1)
        return rn__pp_fail(p, c->fword[1], "-f follows one file; got %d", n);
    if (c->so.follow && (n == 0 || strcmp(c->files[0], "-") == 0))
        return rn__pp_fail(p, n ? c->fword[0] : c->follow_word,
                           "-f needs a file name (stdin cannot be followed "
                           "across rotation; pipe 'tail -F' into runnel "
                           "instead)");
    /* The application's input is read where stdin would be, once. */
    int dashes = n == 0;
    for (int k = 0; k < n; k++) {
        if (strcmp(c->files[k], "-") != 0)
            continue;
        if (++dashes > 1 && c->own->input)
            return rn__pp_fail(p, c->fword[k], "'-' reads the chain's input "
                               "a second time: it can be read once");
    }
    if (!dashes) {
        rn_source_free(c->own->input);
        c->own->input = NULL;
    }
    rn_chain_opts co = {0};
    co.allocator = &c->mem;
    co.same_fields = c->uni == NULL;
    *it = rn_chain_new(open_file, c, n ? (size_t)n : 1, &co);
    return *it ? RN_OK : rn__pp_nomem(p);
}

/* ---- options ----------------------------------------------------------------- */

static src *src_new(rn__pp *p, int argc)
{
    src *c = rn__pp_alloc(p, sizeof *c);
    char **files = rn__pp_alloc(p, (size_t)argc * sizeof *files);
    int *fword = rn__pp_alloc(p, (size_t)argc * sizeof *fword);
    if (!c || !files || !fword)
        return NULL;
    c->own = p->own;
    c->mem = p->mem;
    c->so = p->opts->source;
    c->so.allocator = &c->mem;
    if (c->so.name && !(c->so.name = rn__arena_dup(p->arena, c->so.name,
                                                   strlen(c->so.name))))
        return NULL;
    c->files = files;
    c->fword = fword;
    c->follow_word = -1;
    return c;
}

static bool is_option(const char *a)
{
    return a[0] == '-' && a[1] != '\0';
}

/* Whether argv[i] is an option for the source to parse. Files may come
 * before, between or after the options (as GNU tools take them) and are
 * gathered here; "--" ends the options. */
static bool source_option(src *c, int first, char **argv, int i, bool *opts)
{
    if (!*opts || !is_option(argv[i])) {
        c->fword[c->nfiles] = first + i;
        c->files[c->nfiles++] = argv[i];
        return false;
    }
    if (strcmp(argv[i], "--") == 0) {
        *opts = false;
        return false;
    }
    return true;
}

static bool is_follow(const char *a)
{
    return strcmp(a, "-f") == 0 || strcmp(a, "--follow") == 0;
}

/* Whether a is the option name (or shortname), alone or as "name=VALUE". */
static bool is_opt(const char *a, const char *name, const char *shortname)
{
    size_t len = strlen(name);
    return (strncmp(a, name, len) == 0 && (a[len] == '=' || !a[len])) ||
           (shortname && strcmp(a, shortname) == 0);
}

/* The value of the option at argv[*i] (is_opt said it is one): after its
 * '=', or the next word, which *i then points at. */
static int opt_value(rn__pp *p, int first, int argc, char **argv, int *i,
                     const char *name, const char **v)
{
    const char *a = argv[*i];
    size_t len = strlen(name);
    if (strncmp(a, name, len) == 0 && a[len] == '=') {
        *v = a + len + 1;
        return RN_OK;
    }
    if (*i + 1 >= argc)
        return rn__pp_fail(p, first + *i, "%s needs a value", a);
    *v = argv[++*i];
    return RN_OK;
}

static int one_byte(rn__pp *p, int word, const char *opt, const char *v,
                    char *out)
{
    if (strcmp(v, "\\t") == 0 || strcmp(v, "tab") == 0) {
        *out = '\t';
        return RN_OK;
    }
    if (strlen(v) != 1)
        return rn__pp_fail(p, word, "%s takes one byte (or \\t), got '%s'",
                           opt, v);
    *out = v[0];
    return RN_OK;
}

/* A size such as 65536, 64K or 1M (binary units). */
static int parse_size(rn__pp *p, int word, const char *opt, const char *text,
                      size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || errno || text[0] == '-')
        return rn__pp_fail(p, word, "%s: '%s' is not a size", opt, text);
    unsigned long long mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1024 * 1024, end++;
    else if (*end == 'g' || *end == 'G')
        mul = 1024ULL * 1024 * 1024, end++;
    if (*end || v == 0 || v > (unsigned long long)SIZE_MAX / mul)
        return rn__pp_fail(p, word, "%s: '%s' is not a size (try 65536, 64K "
                           "or 1M)", opt, text);
    *out = (size_t)(v * mul);
    return RN_OK;
}

/* --max-line-bytes, which lines and log take: returns 1 when argv[*i] was
 * it, 0 when not, or the error. */
static int max_line_bytes(rn__pp *p, src *c, int first, int argc, char **argv,
                          int *i)
{
    const char *v;
    if (!is_opt(argv[*i], "--max-line-bytes", NULL))
        return 0;
    int rc = opt_value(p, first, argc, argv, i, "--max-line-bytes", &v);
    if (rc == RN_OK)
        rc = parse_size(p, first + *i, "--max-line-bytes", v,
                        &c->lines.max_line_bytes);
    return rc == RN_OK ? 1 : rc;
}

/* ---- lines ------------------------------------------------------------------- */

static int build_lines(rn__pp *p, int first, int argc, char **argv,
                       rn_iter **it)
{
    src *c = src_new(p, argc);
    if (!c)
        return rn__pp_nomem(p);
    bool opts = true;
    for (int i = 1; i < argc; i++) {
        int rc;
        if (!source_option(c, first, argv, i, &opts))
            continue;
        if (is_follow(argv[i])) {
            c->so.follow = 1;
            c->follow_word = first + i;
        } else if ((rc = max_line_bytes(p, c, first, argc, argv, &i)) != 0) {
            if (rc < 0)
                return rc;
        } else if (strcmp(argv[i], "--keep-cr") == 0) {
            c->lines.keep_cr = 1;
        } else {
            return rn__pp_fail(p, first + i, "%s: unknown option '%s' (see "
                               "runnel help %s)", argv[0], argv[i], argv[0]);
        }
    }
    return open_files(p, c, it);
}

/* ---- csv and tsv ------------------------------------------------------------- */

static int add_union_name(rn__pp *p, src *c, rn_field f)
{
    for (size_t j = 0; j < c->nuni; j++)
        if (strlen(c->uni[j]) == f.len && memcmp(c->uni[j], f.ptr, f.len) == 0)
            return RN_OK;
    if (c->nuni == c->unicap) {
        size_t cap = c->unicap ? c->unicap * 2 : 16;
        char **grown = rn__pp_alloc(p, cap * sizeof *grown);
        if (!grown)
            return rn__pp_nomem(p);
        if (c->nuni)
            memcpy(grown, c->uni, c->nuni * sizeof *grown);
        c->uni = grown;
        c->unicap = cap;
    }
    if (!(c->uni[c->nuni] = rn__arena_dup(p->arena, f.ptr, f.len)))
        return rn__pp_nomem(p);
    c->nuni++;
    return RN_OK;
}

static bool same_names(const rn_schema *a, const rn_schema *b)
{
    if (rn_schema_count(a) != rn_schema_count(b))
        return false;
    for (size_t k = 0; k < rn_schema_count(a); k++) {
        rn_field x = rn_schema_name(a, k), y = rn_schema_name(b, k);
        if (x.len != y.len || memcmp(x.ptr, y.ptr, x.len) != 0)
            return false;
    }
    return true;
}

/* Reads the header of each file before the run. Without --union, a file
 * whose fields differ from the first one's is an error now, before any
 * output; with it, the fields of all files, first seen first, make the
 * schema every file is mapped to. */
static int read_headers(rn__pp *p, src *c, bool do_union, int union_word)
{
    int n = c->nfiles;
    if (do_union && (n == 0 || c->csv.no_header))
        return rn__pp_fail(p, union_word, "--union needs files with header "
                           "rows");
    rn_iter *first = NULL;
    int rc = RN_OK;
    for (int i = 0; i < n && rc == RN_OK; i++) {
        if (strcmp(c->files[i], "-") == 0) {
            if (do_union)
                rc = rn__pp_fail(p, c->fword[i], "--union reads each header "
                                 "first, which stdin cannot do");
            continue;
        }
        rn_iter *it = rn_csv_new(rn_source_file(c->files[i], &c->so),
                                 &c->csv);
        if (!it || rn_status(it) == RN_ENOMEM) {
            rc = rn__pp_nomem(p);
        } else if (rn_status(it) < 0) {
            rc = rn__pp_fail(p, c->fword[i], "%s", rn_errmsg(it));
        } else if (!do_union) {
            if (!first) {
                first = it;
                continue;
            }
            if (!same_names(rn_schema_of(it), rn_schema_of(first)))
                rc = rn__pp_fail(p, c->fword[i], "'%s' has other fields than "
                                 "'%s'; use --union to read files with "
                                 "different headers", c->files[i],
                                 c->files[0]);
        } else {
            const rn_schema *s = rn_schema_of(it);
            for (size_t k = 0; k < rn_schema_count(s) && rc == RN_OK; k++)
                rc = add_union_name(p, c, rn_schema_name(s, k));
        }
        rn_free(it);
    }
    rn_free(first);
    return rc;
}

static int build_csv(rn__pp *p, int first, int argc, char **argv,
                     rn_iter **it)
{
    src *c = src_new(p, argc);
    if (!c)
        return rn__pp_nomem(p);
    bool tsv = strcmp(argv[0], "tsv") == 0, do_union = false, opts = true;
    int union_word = first;
    c->is_csv = true;
    c->csv.delimiter = tsv ? '\t' : ',';
    c->csv.on_reject = p->opts->on_reject;
    c->csv.reject_ud = p->opts->reject_ud;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int rc = RN_OK;
        if (!source_option(c, first, argv, i, &opts))
            continue;
        if (is_follow(a)) {
            rc = rn__pp_fail(p, first + i, "%s: -f works with lines and log "
                             "only", argv[0]);
        } else if (is_opt(a, "--delimiter", "-d")) {
            if ((rc = opt_value(p, first, argc, argv, &i, "--delimiter",
                                &v)) == RN_OK)
                rc = one_byte(p, first + i, "--delimiter", v,
                              &c->csv.delimiter);
        } else if (is_opt(a, "--quote", NULL)) {
            if ((rc = opt_value(p, first, argc, argv, &i, "--quote", &v)) ==
                RN_OK)
                rc = one_byte(p, first + i, "--quote", v, &c->csv.quote);
        } else if (is_opt(a, "--max-field-bytes", NULL)) {
            if ((rc = opt_value(p, first, argc, argv, &i, "--max-field-bytes",
                                &v)) == RN_OK)
                rc = parse_size(p, first + i, "--max-field-bytes", v,
                                &c->csv.max_field_bytes);
        } else if (is_opt(a, "--max-fields", NULL)) {
            if ((rc = opt_value(p, first, argc, argv, &i, "--max-fields",
                                &v)) == RN_OK)
                rc = parse_size(p, first + i, "--max-fields", v,
                                &c->csv.max_fields);
        } else if (strcmp(a, "--no-header") == 0) {
            c->csv.no_header = 1;
        } else if (strcmp(a, "--strict") == 0) {
            c->csv.strict = 1;
        } else if (strcmp(a, "--union") == 0) {
            do_union = true;
            union_word = first + i;
        } else {
            rc = rn__pp_fail(p, first + i, "%s: unknown option '%s' (see "
                             "runnel help %s)", argv[0], a, argv[0]);
        }
        if (rc != RN_OK)
            return rc;
    }
    for (int k = 0; k < c->nfiles; k++) {
        int rc = check_readable(p, c, k, false);
        if (rc != RN_OK)
            return rc;
    }
    if (do_union || (c->nfiles > 1 && !c->csv.no_header)) {
        int rc = read_headers(p, c, do_union, union_word);
        if (rc != RN_OK)
            return rc;
    }
    return open_files(p, c, it);
}

/* ---- log --------------------------------------------------------------------- */

static int build_log(rn__pp *p, int first, int argc, char **argv,
                     rn_iter **it)
{
    src *c = src_new(p, argc);
    if (!c)
        return rn__pp_nomem(p);
    bool opts = true;
    int format_word = first;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int rc;
        if (!source_option(c, first, argv, i, &opts))
            continue;
        if (is_follow(argv[i])) {
            c->so.follow = 1;
            c->follow_word = first + i;
        } else if (is_opt(argv[i], "--format", NULL)) {
            rc = opt_value(p, first, argc, argv, &i, "--format", &v);
            if (rc != RN_OK)
                return rc;
            c->log.format = v;
            format_word = first + i;
        } else if ((rc = max_line_bytes(p, c, first, argc, argv, &i)) != 0) {
            if (rc < 0)
                return rc;
        } else {
            return rn__pp_fail(p, first + i, "log: unknown option '%s' (see "
                               "runnel help log)", argv[i]);
        }
    }
    c->log.on_reject = p->opts->on_reject;
    c->log.reject_ud = p->opts->reject_ud;
    c->log.allow_pushdown = p->opts->allow_pushdown;
    /* One log reader over all the files, so the format is decided once. */
    rn_iter *lines = NULL;
    int rc = open_files(p, c, &lines);
    if (rc != RN_OK)
        return rc;
    *it = rn_log_new(lines, &c->log);
    return rn__pp_checked(p, format_word, *it);
}

const rn__pp_entry rn__pp_sources[] = {
    {"lines", build_lines},
    {"csv", build_csv},
    {"tsv", build_csv},
    {"log", build_log},
    {NULL, NULL},
};
