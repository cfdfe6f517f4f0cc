/*
 * verbs.c - the sources and verbs of the runnel command, each a builder that
 * parses its own arguments and puts its stage on the chain.
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
static void check_readable(const char *name)
{
    if (strcmp(name, "-") == 0)
        return;
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        cli_usage_error("cannot open '%s': %s", name, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
        cli_usage_error("cannot read '%s': it is a directory", name);
    close(fd);
}

rn_iter *cli_open_files(cli *c, char **names, int n,
                        rn_iter *(*make)(rn_source *src, void *ud), void *ud)
{
    for (int i = 0; i < n; i++)
        check_readable(names[i]);
    /* c outlives the chain: both live until the end of main(). */
    cli_files *f = &c->files;
    f->c = c;
    f->names = names;
    f->n = n;
    f->make = make;
    f->ud = ud;
    return rn_chain_new(open_file, f, n ? (size_t)n : 1, NULL);
}

/* ---- lines ------------------------------------------------------------- */

static rn_iter *make_lines(rn_source *src, void *ud)
{
    return rn_lines_new(src, ud);
}

static rn_iter *build_lines(cli *c, rn_iter *up, int argc, char **argv)
{
    (void)up;
    rn_lines_opts *lo = &c->lines;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strcmp(argv[i], "--max-line-bytes") == 0 && i + 1 < argc) {
            lo->max_line_bytes = cli_parse_size(argv[i], argv[i + 1]);
            i++;
        } else if (strcmp(argv[i], "--keep-cr") == 0) {
            lo->keep_cr = 1;
        } else {
            cli_usage_error("lines: unknown option '%s' (see runnel help "
                            "lines)", argv[i]);
        }
    }
    c->natural_format = RN_FORMAT_TEXT;
    return cli_open_files(c, argv + i, argc - i, make_lines, lo);
}

/* ---- count ------------------------------------------------------------- */

static rn_iter *build_count(cli *c, rn_iter *up, int argc, char **argv)
{
    if (argc > 1)
        cli_usage_error("count: takes no arguments, got '%s'", argv[1]);
    c->natural_format = RN_FORMAT_CSV;
    return rn_count_new(up);
}

const cli_verb cli_verbs[] = {
    {"lines", true, "one record per line (LF or CRLF), field 'line'",
     "usage: runnel lines [--max-line-bytes N] [--keep-cr] [FILE...]\n"
     "\n"
     "Yields one record per line, without its '\\n' or '\\r\\n'. A last line\n"
     "without '\\n' is a line. Several files are read one after the other as\n"
     "one stream; none or '-' means stdin; gzip input is inflated.\n"
     "\n"
     "  --max-line-bytes N  longest line accepted (default 64M); a longer\n"
     "                      line stops the run with an error naming it\n"
     "  --keep-cr           keep the '\\r' of CRLF line ends\n"
     "\n"
     "Example:\n"
     "  runnel lines access.log.gz then count\n",
     build_lines},
    {"count", false, "one record: the number of records",
     "usage: ... then count\n"
     "\n"
     "Yields one record with one field, 'count': how many records reached it.\n"
     "\n"
     "Example:\n"
     "  runnel lines app.log then count\n",
     build_count},
    {NULL, false, NULL, NULL, NULL},
};

const cli_verb *cli_find_verb(const char *name)
{
    for (const cli_verb *v = cli_verbs; v->name; v++)
        if (strcmp(v->name, name) == 0)
            return v;
    return NULL;
}
