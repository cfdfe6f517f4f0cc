/*
 * main.c - the runnel command: global options, `then` chains, help.
 *
 *   runnel [GLOBAL OPTIONS] SOURCE [ARGS] [FILE...] [then VERB [ARGS]]...
 *
 * The chain is built once, run once into one sink, and the exit status says
 * how it ended: 0 done (or the reader of our output left), 1 a data error,
 * 2 a usage error.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: runnel [OPTIONS] SOURCE [ARGS] [FILE...] [then VERB [ARGS]]...\n"
    "\n"
    "Reads FILEs (or stdin when there is none or for '-'; gzip is detected and\n"
    "inflated), turns them into records, and runs them through each VERB in\n"
    "one pass, in constant memory.\n"
    "\n"
    "Options:\n"
    "  -o, --output FORMAT  text, csv or tsv (default: text for lines, csv\n"
    "                       otherwise)\n"
    "      --no-header      no header line in csv and tsv output\n"
    "      --block-size N   bytes per read or mmap window (default 128K read,\n"
    "                       1M window; K and M suffixes)\n"
    "      --mmap           map regular files instead of reading them\n"
    "      --no-mmap        read() every file (the default)\n"
    "  -h, --help           this help; `runnel help VERB` for one verb\n"
    "      --version        print the version\n"
    "\n";

static const char examples_text[] =
    "\n"
    "Examples:\n"
    "  runnel lines app.log                  print the lines\n"
    "  runnel lines app.log.gz then count    count lines of a gzip'd log\n"
    "  cat a.log b.log | runnel lines then count\n"
    "\n"
    "Exit status: 0 success, 1 data error, 2 usage error.\n";

void cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("runnel: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(EXIT_USAGE);
}

size_t cli_parse_size(const char *opt, const char *text)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || errno || text[0] == '-')
        cli_usage_error("%s: '%s' is not a size", opt, text);
    unsigned long long mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1024 * 1024, end++;
    else if (*end == 'g' || *end == 'G')
        mul = 1024ULL * 1024 * 1024, end++;
    if (*end || v == 0 || v > (unsigned long long)SIZE_MAX / mul)
        cli_usage_error("%s: '%s' is not a size (try 65536, 64K or 1M)", opt,
                        text);
    return (size_t)(v * mul);
}

static void print_help(FILE *out)
{
    fputs(usage_text, out);
    fputs("Sources:\n", out);
    for (const cli_verb *v = cli_verbs; v->name; v++)
        if (v->is_source)
            fprintf(out, "  %-10s %s\n", v->name, v->synopsis);
    fputs("\nVerbs (after `then`):\n", out);
    for (const cli_verb *v = cli_verbs; v->name; v++)
        if (!v->is_source)
            fprintf(out, "  %-10s %s\n", v->name, v->synopsis);
    fputs(examples_text, out);
}

static int help_verb(const char *name)
{
    const cli_verb *v = cli_find_verb(name);
    if (!v)
        cli_usage_error("no verb or source called '%s' (see runnel --help)",
                        name);
    fputs(v->help, stdout);
    return 0;
}

static int parse_format(const char *s)
{
    if (strcmp(s, "text") == 0)
        return RN_FORMAT_TEXT;
    if (strcmp(s, "csv") == 0)
        return RN_FORMAT_CSV;
    if (strcmp(s, "tsv") == 0)
        return RN_FORMAT_TSV;
    cli_usage_error("-o: unknown format '%s' (text, csv or tsv)", s);
}

/* The next segment of the chain: argv[start] up to the next "then". */
static int segment_end(int argc, char **argv, int start)
{
    int i = start;
    while (i < argc && strcmp(argv[i], "then") != 0)
        i++;
    return i;
}

int main(int argc, char **argv)
{
    /* A closed pipe must show up as EPIPE from write(), which ends the run
     * quietly, rather than kill us before output is accounted for. */
    signal(SIGPIPE, SIG_IGN);

    cli c;
    memset(&c, 0, sizeof c);
    c.format = -1;
    c.natural_format = RN_FORMAT_CSV;

    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            print_help(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("runnel %s\n", rn_version_string());
            return 0;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (++i == argc)
                cli_usage_error("%s needs a format (text, csv or tsv)", a);
            c.format = parse_format(argv[i]);
        } else if (strncmp(a, "--output=", 9) == 0) {
            c.format = parse_format(a + 9);
        } else if (strcmp(a, "--no-header") == 0) {
            c.no_header = true;
        } else if (strcmp(a, "--block-size") == 0) {
            if (++i == argc)
                cli_usage_error("--block-size needs a size");
            c.src.block_size = cli_parse_size(a, argv[i]);
            c.src.mmap_window = c.src.block_size;
            if (c.src.block_size > 64u << 20)
                cli_usage_error("--block-size: at most 64M");
        } else if (strcmp(a, "--mmap") == 0) {
            c.src.mmap = RN_MMAP_ALWAYS;
        } else if (strcmp(a, "--no-mmap") == 0) {
            c.src.mmap = RN_MMAP_NEVER;
        } else {
            cli_usage_error("unknown option '%s' (see runnel --help)", a);
        }
    }
    if (i == argc) {
        print_help(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[i], "help") == 0) {
        if (i + 1 == argc) {
            print_help(stdout);
            return 0;
        }
        return help_verb(argv[i + 1]);
    }

    rn_iter *it = NULL;
    for (int start = i; start < argc;) {
        int end = segment_end(argc, argv, start);
        if (end == start)
            cli_usage_error("'then' must be followed by a verb");
        const cli_verb *v = cli_find_verb(argv[start]);
        if (!v)
            cli_usage_error("unknown %s '%s' (see runnel --help)",
                            it ? "verb" : "source", argv[start]);
        if (!it && !v->is_source)
            cli_usage_error("'%s' is a verb: start with a source such as "
                            "'lines' (see runnel --help)", v->name);
        if (it && v->is_source)
            cli_usage_error("'%s' is a source and can only come first",
                            v->name);
        it = v->build(&c, it, end - start, argv + start);
        if (!it) {
            fputs("runnel: out of memory\n", stderr);
            return EXIT_DATA;
        }
        start = end == argc ? end : end + 1;
        if (end + 1 == argc)
            cli_usage_error("'then' must be followed by a verb");
    }
    if (rn_status(it) < 0) {
        fprintf(stderr, "runnel: %s\n", rn_errmsg(it));
        rn_free(it);
        return EXIT_USAGE;
    }

    rn_sink_opts so = {0};
    so.format = c.format >= 0 ? c.format : c.natural_format;
    so.no_header = c.no_header;
    rn_sink *sink = rn_sink_fd(STDOUT_FILENO, &so);
    if (!sink) {
        rn_free(it);
        fputs("runnel: out of memory\n", stderr);
        return EXIT_DATA;
    }
    int rc = rn_run(it, sink);
    int status = 0;
    if (rc == RN_EPIPE) {
        status = 0; /* `runnel ... | head`: the reader had enough */
    } else if (rc < 0) {
        const char *msg = rn_sink_errmsg(sink);
        fprintf(stderr, "runnel: %s\n", msg[0] ? msg : rn_errmsg(it));
        status = EXIT_DATA;
    }
    rn_sink_free(sink);
    rn_free(it);
    return status;
}
