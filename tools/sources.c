/*
 * sources.c - the sources of the runnel command: lines, csv, tsv, log. Each
 * parses its options, checks its files, and builds one reader per file,
 * chained so that several files read as one stream.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static rn_iter *open_file(void *ud, size_t i)
{
    cli_files *f = ud;
    const char *name = f->n ? f->names[i] : "-";
    rn_source *src = rn_source_file(name, &f->c->src);
    return src ? f->make(src, f->ud) : NULL;
}

/* Checks up front that every file can be opened, so that a typo in the last
 * of ten files is a usage error before any output, not a failure half-way. */
static void check_readable(const char *name, bool follow)
{
    if (strcmp(name, "-") == 0)
        return;
    struct stat st;
    if (stat(name, &st) != 0) {
        if (follow && errno == ENOENT)
            return; /* -f waits for the file to appear, as tail -F */
        cli_usage_error("cannot open '%s': %s", name, strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        cli_usage_error("cannot read '%s': it is a directory", name);
    /* A FIFO or a device is not opened here: opening a FIFO would take its
     * writer's bytes, and the real open would then wait forever. */
    if (!S_ISREG(st.st_mode)) {
        if (access(name, R_OK) != 0)
            cli_usage_error("cannot open '%s': %s", name, strerror(errno));
        return;
    }
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        cli_usage_error("cannot open '%s': %s", name, strerror(errno));
    close(fd);
}

rn_iter *cli_open_files(cli *c, char **names, int n,
                        rn_iter *(*make)(rn_source *src, void *ud), void *ud)
{
    for (int i = 0; i < n; i++)
        check_readable(names[i], c->src.follow);
    if (c->src.follow && n > 1)
        cli_usage_error("-f follows one file; got %d", n);
    if (c->src.follow && (n == 0 || strcmp(names[0], "-") == 0))
        cli_usage_error("-f needs a file name (stdin cannot be followed "
                        "across rotation; pipe 'tail -F' into runnel instead)");
    /* c outlives the chain: both live until the end of main(). */
    cli_files *f = &c->files;
    f->c = c;
    f->names = names;
    f->n = n;
    f->make = make;
    f->ud = ud;
    rn_chain_opts co = {0};
    co.same_fields = make != NULL && c->union_names == NULL;
    return rn_chain_new(open_file, f, n ? (size_t)n : 1, &co);
}

/* Reads "--name VALUE" or "--name=VALUE" at argv[*i]; NULL if it is not
 * that option. */
static const char *opt_value(int argc, char **argv, int *i, const char *name,
                             const char *shortname)
{
    const char *a = argv[*i];
    size_t len = strlen(name);
    if (strncmp(a, name, len) == 0 && a[len] == '=')
        return a + len + 1;
    if (strcmp(a, name) != 0 && !(shortname && strcmp(a, shortname) == 0))
        return NULL;
    if (*i + 1 >= argc)
        cli_usage_error("%s needs a value", a);
    return argv[++*i];
}

static char one_byte(const char *opt, const char *v)
{
    if (strcmp(v, "\\t") == 0 || strcmp(v, "tab") == 0)
        return '\t';
    if (strlen(v) != 1)
        cli_usage_error("%s takes one byte (or \\t), got '%s'", opt, v);
    return v[0];
}

/* Files may come before, between or after the options (as GNU tools take
 * them); "--" ends the options. Non-options are gathered here. */
static void add_file(cli *c, char *name)
{
    char **grown = realloc(c->file_list, (c->nfiles + 1) * sizeof *grown);
    if (!grown)
        cli_usage_error("out of memory");
    c->file_list = grown;
    c->file_list[c->nfiles++] = name;
}

static bool is_option(const char *a)
{
    return a[0] == '-' && a[1] != '\0';
}

/* Whether arg is an option for the source to parse; a file, or the "--"
 * that ends the options, is dealt with here. */
static bool source_option(cli *c, char *arg, bool *opts)
{
    if (!*opts || !is_option(arg)) {
        add_file(c, arg);
        return false;
    }
    if (strcmp(arg, "--") == 0) {
        *opts = false;
        return false;
    }
    return true;
}

/* Options every source takes. Returns true if argv[*i] was one. */
static bool common_option(cli *c, int argc, char **argv, int *i)
{
    (void)argc;
    if (strcmp(argv[*i], "-f") == 0 || strcmp(argv[*i], "--follow") == 0) {
        c->src.follow = 1;
        return true;
    }
    return false;
}

/* ---- lines ------------------------------------------------------------- */

static rn_iter *make_lines(rn_source *src, void *ud)
{
    return rn_lines_new(src, ud);
}

static void lines_options(cli *c, int argc, char **argv)
{
    bool opts = true;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!source_option(c, argv[i], &opts))
            continue;
        if (common_option(c, argc, argv, &i))
            continue;
        if ((v = opt_value(argc, argv, &i, "--max-line-bytes", NULL)))
            c->lines.max_line_bytes = cli_parse_size("--max-line-bytes", v);
        else if (strcmp(argv[i], "--keep-cr") == 0)
            c->lines.keep_cr = 1;
        else
            cli_usage_error("%s: unknown option '%s' (see runnel help %s)",
                            argv[0], argv[i], argv[0]);
    }
}

static rn_iter *build_lines(cli *c, rn_iter *up, int argc, char **argv)
{
    (void)up;
    lines_options(c, argc, argv);
    c->natural_format = RN_FORMAT_TEXT;
    return cli_open_files(c, c->file_list, (int)c->nfiles, make_lines,
                          &c->lines);
}

/* ---- csv and tsv ------------------------------------------------------- */

static rn_iter *make_csv(rn_source *src, void *ud)
{
    cli *c = ud;
    rn_iter *it = rn_csv_new(src, &c->csv);
    if (it && c->union_names)
        it = rn_project_new(it, (const char *const *)c->union_names,
                            c->nunion);
    return it;
}

/* Reads the header of each file before the run. Without --union, a file
 * whose fields differ from the first one's is a usage error now, before any
 * output; with it, the fields of all files, first seen first, make the
 * schema every file is mapped to. */
static void read_headers(cli *c, char **names, int n, bool do_union)
{
    if (do_union && (n == 0 || c->csv.no_header))
        cli_usage_error("--union needs files with header rows");
    rn_iter *first = NULL;
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], "-") == 0) {
            if (do_union)
                cli_usage_error("--union reads each header first, which "
                                "stdin cannot do");
            continue;
        }
        rn_iter *it = rn_csv_new(rn_source_file(names[i], &c->src), &c->csv);
        if (!it || rn_status(it) < 0)
            cli_usage_error("%s", it ? rn_errmsg(it) : "out of memory");
        const rn_schema *s = rn_schema_of(it);
        if (!do_union) {
            if (!first) {
                first = it;
                continue;
            }
            const rn_schema *f = rn_schema_of(first);
            bool same = rn_schema_count(s) == rn_schema_count(f);
            for (size_t k = 0; same && k < rn_schema_count(s); k++) {
                rn_field x = rn_schema_name(s, k), y = rn_schema_name(f, k);
                same = x.len == y.len && memcmp(x.ptr, y.ptr, x.len) == 0;
            }
            rn_free(it);
            if (!same)
                cli_usage_error("'%s' has other fields than '%s'; use --union "
                                "to read files with different headers",
                                names[i], names[0]);
            continue;
        }
        for (size_t k = 0; k < rn_schema_count(s); k++) {
            rn_field f = rn_schema_name(s, k);
            bool have = false;
            for (size_t j = 0; j < c->nunion && !have; j++)
                have = strlen(c->union_names[j]) == f.len &&
                       memcmp(c->union_names[j], f.ptr, f.len) == 0;
            if (have)
                continue;
            char **grown = realloc(c->union_names,
                                   (c->nunion + 1) * sizeof *grown);
            if (!grown)
                cli_usage_error("out of memory");
            c->union_names = grown;
            if (!(c->union_names[c->nunion] = strndup(f.ptr, f.len)))
                cli_usage_error("out of memory");
            c->nunion++;
        }
        rn_free(it);
    }
    rn_free(first);
}

static rn_iter *build_csv(cli *c, rn_iter *up, int argc, char **argv)
{
    (void)up;
    bool tsv = strcmp(argv[0], "tsv") == 0, do_union = false;
    c->csv.delimiter = tsv ? '\t' : ',';
    c->csv.on_reject = c->rejects || c->stats ? cli_on_reject : NULL;
    c->csv.reject_ud = c;
    bool opts = true;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!source_option(c, argv[i], &opts))
            continue;
        if (common_option(c, argc, argv, &i))
            cli_usage_error("%s: -f works with lines and log only", argv[0]);
        if ((v = opt_value(argc, argv, &i, "--delimiter", "-d")))
            c->csv.delimiter = one_byte("--delimiter", v);
        else if ((v = opt_value(argc, argv, &i, "--quote", NULL)))
            c->csv.quote = one_byte("--quote", v);
        else if ((v = opt_value(argc, argv, &i, "--max-field-bytes", NULL)))
            c->csv.max_field_bytes = cli_parse_size("--max-field-bytes", v);
        else if ((v = opt_value(argc, argv, &i, "--max-fields", NULL)))
            c->csv.max_fields = cli_parse_size("--max-fields", v);
        else if (strcmp(argv[i], "--no-header") == 0)
            c->csv.no_header = 1;
        else if (strcmp(argv[i], "--strict") == 0)
            c->csv.strict = 1;
        else if (strcmp(argv[i], "--union") == 0)
            do_union = true;
        else
            cli_usage_error("%s: unknown option '%s' (see runnel help %s)",
                            argv[0], argv[i], argv[0]);
    }
    c->natural_format = RN_FORMAT_CSV;
    int n = (int)c->nfiles;
    for (int k = 0; k < n; k++)
        check_readable(c->file_list[k], false);
    if (do_union || (n > 1 && !c->csv.no_header))
        read_headers(c, c->file_list, n, do_union);
    return cli_open_files(c, c->file_list, n, make_csv, c);
}

/* ---- log --------------------------------------------------------------- */

static rn_iter *build_log(cli *c, rn_iter *up, int argc, char **argv)
{
    (void)up;
    c->log.format = NULL;
    bool opts = true;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!source_option(c, argv[i], &opts))
            continue;
        if (common_option(c, argc, argv, &i))
            continue;
        if ((v = opt_value(argc, argv, &i, "--format", NULL)))
            c->log.format = v;
        else if ((v = opt_value(argc, argv, &i, "--max-line-bytes", NULL)))
            c->lines.max_line_bytes = cli_parse_size("--max-line-bytes", v);
        else
            cli_usage_error("log: unknown option '%s' (see runnel help log)",
                            argv[i]);
    }
    c->natural_format = RN_FORMAT_CSV;
    c->log.on_reject = c->rejects || c->stats ? cli_on_reject : NULL;
    c->log.reject_ud = c;
    /* One log stage over all the files, so the format is decided once. */
    rn_iter *lines = cli_open_files(c, c->file_list, (int)c->nfiles,
                                    make_lines, &c->lines);
    rn_iter *it = rn_log_new(lines, &c->log);
    if (it && rn_status(it) == RN_EINVAL)
        cli_usage_error("%s", rn_errmsg(it));
    c->log_reader = it;
    return it;
}

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

void cli_sources_free(cli *c)
{
    free(c->file_list);
    for (size_t i = 0; i < c->nkept; i++)
        free(c->kept[i]);
    free(c->kept);
    for (size_t i = 0; i < c->nunion; i++)
        free(c->union_names[i]);
    free(c->union_names);
}

const cli_verb cli_sources[] = {
    {"lines", true, "one record per line",
     "usage: runnel lines [-f] [--max-line-bytes N] [--keep-cr] [FILE...]\n"
     "\n"
     "Yields one record per line, without its '\\n' or '\\r\\n'. A last line\n"
     "without '\\n' is a line. Several files are read one after the other as\n"
     "one stream; none or '-' means stdin; gzip input is inflated.\n"
     "\n"
     "  -f, --follow        keep reading as the file grows (tail -F: rotation\n"
     "                      and truncation followed); Ctrl-C ends it\n"
     "  --max-line-bytes N  longest line accepted (default 64M); a longer\n"
     "                      line stops the run with an error naming it\n"
     "  --keep-cr           keep the '\\r' of CRLF line ends\n"
     "\n"
     "Example:\n"
     "  runnel lines access.log.gz then count\n",
     build_lines},
    {"csv", true, "CSV, header names fields",
     "usage: runnel csv [OPTIONS] [FILE...]\n"
     "\n"
     "Reads RFC 4180 CSV: quoted fields may hold delimiters, doubled quotes and\n"
     "line breaks; CRLF or LF ends a record; a UTF-8 BOM is dropped; spaces are\n"
     "data; empty lines are skipped. The first row names the fields (empty\n"
     "names become _N, repeats name_2, name_3...). Rows shorter than the\n"
     "header get empty fields, longer ones keep extras as _N (counted in\n"
     "--stats). Files with the same header read as one stream.\n"
     "\n"
     "  -d, --delimiter C      field delimiter, one byte or \\t (default ,)\n"
     "  --quote C              quote character (default \")\n"
     "  --no-header            no header row: fields are named 1, 2, ...\n"
     "  --strict               bad quoting and ragged rows are errors (or go\n"
     "                         to --rejects FILE with their line and reason)\n"
     "  --union                files with different headers: all their fields\n"
     "  --max-field-bytes N    longest field (default 16M)\n"
     "  --max-fields N         most fields in a record (default 100000)\n"
     "\n"
     "Example:\n"
     "  runnel -o jsonl csv sales.csv\n",
     build_csv},
    {"tsv", true, "tab-separated values",
     "usage: runnel tsv [OPTIONS] [FILE...]\n"
     "\n"
     "The csv source with a tab delimiter; it takes the same options\n"
     "(see runnel help csv).\n"
     "\n"
     "Example:\n"
     "  runnel tsv --no-header data.tsv then count\n",
     build_csv},
    {"log", true, "logs: pipe, syslog, clf..",
     "usage: runnel log [-f] [--format F] [FILE...]\n"
     "\n"
     "Parses each line as a log record with named fields. Formats:\n"
     "  pipe      2024-03-01 12:00:00.123|ERROR|message: timestamp, level,\n"
     "            message\n"
     "  syslog    Mar  1 12:00:00 host tag[pid]: message: timestamp, host, tag,\n"
     "            pid, message\n"
     "  clf       Apache/nginx common: ip, ident, user, time, request, status,\n"
     "            bytes\n"
     "  combined  clf plus referer, agent\n"
     "  regex:P   a PCRE2 pattern whose named groups become the fields\n"
     "  auto      (default) the built-in format that fits the first lines\n"
     "A line that does not fit is rejected: counted in --stats and written to\n"
     "--rejects FILE, never silently dropped.\n"
     "\n"
     "  -f, --follow        keep reading as the file grows (tail -F)\n"
     "  --format F          one of the formats above\n"
     "  --max-line-bytes N  longest line accepted (default 64M)\n"
     "\n"
     "Example:\n"
     "  runnel --stats log app.log.gz then count\n",
     build_log},
    {NULL, false, NULL, NULL, NULL},
};
