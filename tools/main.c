/*
 * main.c - the runnel command: global options, help, the run.
 *
 *   runnel [GLOBAL OPTIONS] SOURCE [ARGS] [FILE...] [then VERB [ARGS]]...
 *
 * The library builds the chain from the words after the global options
 * (rn_pipeline_parse_argv), with the messages printed here; the command
 * keeps what is its own: the ready-made jobs, the output format, --stats,
 * progress, rejects and signals. The chain is built once, run once into one
 * sink, and the exit status says how it ended: 0 done (or the reader of our
 * output left), 1 a data error, 2 a usage error.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Set by SIGINT/SIGTERM while following a file: the source ends cleanly. */
static volatile int stop_requested;
static volatile sig_atomic_t following;

/* Installed before anything else, so that a signal sent as soon as the run
 * starts is not lost. Following, it asks the source to stop; otherwise the
 * default action ends the process as usual. */
static volatile sig_atomic_t partial;
static volatile sig_atomic_t interrupted;

static void on_stop(int sig)
{
    if ((following || partial) && !stop_requested) {
        stop_requested = 1;
        interrupted = sig == SIGINT;
        return;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static const char usage_text[] =
    "usage: runnel [OPTIONS] SOURCE [ARGS] [FILE...] [then VERB [ARGS]]...\n"
    "       runnel [OPTIONS] errors|agg [ARGS] [FILE...]\n"
    "\n"
    "Reads FILEs (stdin for none or '-'; gzip is detected) as records and runs\n"
    "them through each VERB in one pass, in constant memory.\n";

static const char options_text[] =
    "\nOptions:\n"
    "  -o FORMAT       table csv tsv jsonl text   --stats      counts to stderr\n"
    "  --no-header     no csv/tsv header line     --rejects F  bad records to F\n"
    "  --progress      progress line on stderr    --no-progress\n"
    "  --block-size N  bytes per read (128K)      --mmap, --no-mmap\n"
    "  --explain       a job's chain              --partial-on-interrupt\n"
    "  -h, --help      this page                  --version\n";

/* runnel help options: each global option at length. */
static const char options_help[] =
    "Options:\n"
    "  -o, --output FORMAT  table, csv, tsv, jsonl or text (default: text for\n"
    "                       lines and after grep, else a table on a terminal\n"
    "                       and csv in a pipe)\n"
    "      --no-header      no header line in csv and tsv output\n"
    "      --block-size N   bytes per read or mmap window (default 128K read,\n"
    "                       1M window; K and M suffixes)\n"
    "      --stats          print what was read, kept and rejected to stderr\n"
    "      --progress       a progress line on stderr (default: when stderr is\n"
    "                       a terminal and the run lasts over a second)\n"
    "      --no-progress    no progress line\n"
    "      --partial-on-interrupt  on Ctrl-C, end the input there and print what\n"
    "                       the stages have so far (exit 130)\n"
    "      --explain        print the chain a ready-made job expands to\n"
    "      --rejects FILE   write records that could not be parsed to FILE\n"
    "                       (TSV: source, line, offset, reason, record)\n"
    "      --mmap           map regular files instead of reading them\n"
    "      --no-mmap        read() every file (the default)\n"
    "  -h, --help           this help; `runnel help VERB` for one verb\n"
    "      --version        print the version\n"
    "\n";

static const char examples_text[] =
    "\n"
    "Examples:\n"
    "  runnel errors app.log.gz                    error codes by count\n"
    "  runnel agg -g category sales.csv            sum and mean per category\n"
    "  runnel log app.log then grep -C 2 timeout then head 20\n"
    "\n"
    "`runnel help NAME` explains a source, job, verb or `options`; see man runnel.\n"
    "Exit status: 0 success, 1 data error, 2 usage error, 130 interrupted.\n";

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

/* Two names with their one-line synopses a line, in two columns. */
static void print_pairs(FILE *out, const char *title, const cli_help *v)
{
    fprintf(out, "\n%s\n", title);
    for (; v->name; v += 2) {
        fprintf(out, "  %-9s %-27s", v->name, v->synopsis);
        if (v[1].name)
            fprintf(out, "  %-9s %s", v[1].name, v[1].synopsis);
        fputc('\n', out);
        if (!v[1].name)
            break;
    }
}

/* One screen: the grammar, sources, jobs, verbs, options, examples. */
static void print_help(FILE *out)
{
    fputs(usage_text, out);
    print_pairs(out, "Sources:", cli_sources);
    print_pairs(out, "Ready-made jobs (in place of a source and verbs):",
                cli_jobs);
    print_pairs(out, "Verbs (after `then`):", cli_verbs);
    fputs(options_text, out);
    fputs(examples_text, out);
}

static int help_verb(const char *name)
{
    if (strcmp(name, "options") == 0) {
        fputs(options_help, stdout);
        return 0;
    }
    const cli_help *v = cli_find_help(name);
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
    if (strcmp(s, "jsonl") == 0)
        return RN_FORMAT_JSONL;
    if (strcmp(s, "table") == 0)
        return RN_FORMAT_TABLE;
    cli_usage_error("-o: unknown format '%s' (table, csv, tsv, jsonl or "
                    "text)", s);
}

/* The next segment of the chain: argv[start] up to the next "then". */
static int segment_end(int argc, char **argv, int start)
{
    int i = start;
    while (i < argc && strcmp(argv[i], "then") != 0)
        i++;
    return i;
}

/* Whether the source's words w[1..n) hold the flag (short or long form),
 * read as the library reads them: options end at "--". */
static bool source_flag(char **w, int n, const char *shortname,
                        const char *name)
{
    for (int i = 1; i < n && strcmp(w[i], "--") != 0; i++)
        if (strcmp(w[i], shortname) == 0 || strcmp(w[i], name) == 0)
            return true;
    return false;
}

/* The value the source's words w[1..n) give an option ("--format F" or
 * "--format=F"; the last one counts), NULL when none. */
static const char *source_value(char **w, int n, const char *name)
{
    const char *v = NULL;
    size_t len = strlen(name);
    for (int i = 1; i < n && strcmp(w[i], "--") != 0; i++) {
        if (strncmp(w[i], name, len) == 0 && w[i][len] == '=')
            v = w[i] + len + 1;
        else if (strcmp(w[i], name) == 0 && i + 1 < n)
            v = w[++i];
    }
    return v;
}

/* The format the chain's words w[0..n) ask for by default: text after lines
 * and grep, csv after the sources and verbs that make tables (help.c). */
static int natural_format(char **w, int n)
{
    int format = RN_FORMAT_CSV;
    for (int i = 0; i < n; i = segment_end(n, w, i) + 1) {
        const cli_help *h = cli_find_help(w[i]);
        if (h && h->format >= 0)
            format = h->format;
    }
    return format;
}

/* The reader whose records the progress line counts: the log reader, or
 * the chain of files at the bottom. */
static rn_iter *reader_of(rn_iter *last)
{
    rn_iter *it = last;
    while (rn_upstream(it) && strcmp(rn_kind(it), "log") != 0)
        it = rn_upstream(it);
    return it;
}

/* A chain the library refused: its message, exit 2 (out of memory: exit
 * 1). A ready-made job after `then` is a verb the library does not know;
 * the command says what it is. w[0..n) are the words err counts in. */
static _Noreturn void chain_error(const rn_pipeline_err *err, char **w, int n)
{
    if (err->code == RN_ENOMEM) {
        fputs("runnel: out of memory\n", stderr);
        exit(EXIT_DATA);
    }
    int k = err->word;
    if (k > 0 && k < n && strcmp(w[k - 1], "then") == 0 && cli_is_job(w[k]))
        cli_usage_error("'%s' is a ready-made job and can only come first",
                        w[k]);
    cli_usage_error("%s", err->msg);
}

/* --rejects FILE: a TSV sink with one record per reject. */
static void open_rejects(cli *c)
{
    int fd = open(c->rejects_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  0644);
    if (fd < 0)
        cli_usage_error("cannot open '%s' for writing: %s", c->rejects_path,
                        strerror(errno));
    static const char *const names[] = {"source", "line", "offset", "reason",
                                        "record"};
    c->rejects_schema = rn_schema_new(names, 5, NULL);
    rn_sink_opts so = {0};
    so.format = RN_FORMAT_TSV;
    so.name = c->rejects_path;
    c->rejects = rn_sink_fd(fd, &so);
    if (!c->rejects || !c->rejects_schema)
        cli_usage_error("out of memory");
    /* The descriptor lives as long as the process; the kernel closes it. */
}

void cli_on_reject(void *ud, const char *source, uint64_t line,
                   uint64_t offset, const char *reason, const char *raw,
                   size_t rawlen)
{
    cli *c = ud;
    size_t k = 0;
    while (k < c->nreasons && strcmp(c->reasons[k].text, reason) != 0)
        k++;
    if (k == c->nreasons && k < sizeof c->reasons / sizeof *c->reasons) {
        snprintf(c->reasons[k].text, sizeof c->reasons[k].text, "%s", reason);
        c->nreasons++;
    }
    if (k < c->nreasons)
        c->reasons[k].n++;
    else
        c->other_reasons++;
    if (!c->rejects)
        return;
    char lbuf[24], obuf[24];
    rn_field f[5] = {
        {source ? source : "", source ? strlen(source) : 0},
        {lbuf, (size_t)snprintf(lbuf, sizeof lbuf, "%llu", (unsigned long long)line)},
        {obuf, (size_t)snprintf(obuf, sizeof obuf, "%llu", (unsigned long long)offset)},
        {reason, strlen(reason)},
        {raw ? raw : "", raw ? rawlen : 0},
    };
    rn_record r = {f, 5, line, offset, {NULL, 0}};
    rn_batch b = {&r, 1};
    /* A write error is sticky in the sink and reported at the end. */
    (void)rn_sink_write(c->rejects, c->rejects_schema, &b);
}

/* --stats: one line per stage, from the reader to the last verb.
 * log_format: the --format the source was given, NULL if none. */
static void print_stats(cli *c, rn_iter *last, const struct timespec *t0,
                        const char *log_format)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0->tv_sec) +
                  (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
    rn_iter *stages[64];
    size_t n = 0;
    for (rn_iter *it = last; it && n < 64; it = rn_upstream(it))
        stages[n++] = it;
    uint64_t bytes = 0;
    for (size_t k = n; k-- > 0;) {
        rn_stats st;
        rn_stats_of(stages[k], &st);
        if (st.bytes_in)
            bytes = st.bytes_in;
        const char *kind = rn_kind(stages[k]);
        if (strcmp(kind, "chain") == 0)
            kind = "read";
        fprintf(stderr, "runnel: stats: %-8s in %llu, out %llu", kind,
                (unsigned long long)st.records_in,
                (unsigned long long)st.records_out);
        if (st.filtered)
            fprintf(stderr, ", filtered %llu", (unsigned long long)st.filtered);
        if (st.rejected)
            fprintf(stderr, ", rejected %llu", (unsigned long long)st.rejected);
        if (st.fixed)
            fprintf(stderr, ", ragged rows repaired %llu",
                    (unsigned long long)st.fixed);
        if (st.skipped)
            fprintf(stderr, ", not numbers skipped %llu",
                    (unsigned long long)st.skipped);
        if (rn_stats_detail(stages[k])[0])
            fprintf(stderr, " (%s)", rn_stats_detail(stages[k]));
        if (rn_log_format(stages[k]))
            fprintf(stderr, ", format %s%s", rn_log_format(stages[k]),
                    log_format && strcmp(log_format, "auto") != 0
                        ? "" : " (auto)");
        fputc('\n', stderr);
    }
    for (size_t r = 0; r < c->nreasons; r++)
        fprintf(stderr, "runnel: stats: rejected %llu: %s\n",
                (unsigned long long)c->reasons[r].n, c->reasons[r].text);
    if (c->other_reasons)
        fprintf(stderr, "runnel: stats: rejected %llu for other reasons\n",
                (unsigned long long)c->other_reasons);
    struct rusage ru;
    long peak_kib = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
    fprintf(stderr, "runnel: stats: %llu bytes in %.3f s (%.1f MB/s), "
            "peak memory %.1f MiB\n",
            (unsigned long long)bytes, secs,
            secs > 0 ? (double)bytes / secs / 1e6 : 0.0, peak_kib / 1024.0);
}

/* The progress line: redrawn at most four times a second once the run has
 * lasted a second, on stderr, only when asked or stderr is a terminal. */
static struct {
    cli *c;
    struct timespec t0, last;
    uint64_t total;          /* bytes of all files, 0 when unknown */
    rn_iter *reader;         /* whose records are counted */
    bool shown;
} prog;

static double since(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) +
           (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static uint64_t prog_done; /* bytes of the files already finished */
static uint64_t prog_last_bytes;

static void on_progress(void *ud, uint64_t bytes)
{
    (void)ud;
    /* A new file restarts its source's count. */
    if (bytes < prog_last_bytes)
        prog_done += prog_last_bytes;
    prog_last_bytes = bytes;
    /* The clock is read every eighth block (1 MiB by default). */
    static unsigned calls;
    if (++calls % 8)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (since(&prog.t0, &now) < 1.0 || since(&prog.last, &now) < 0.25)
        return;
    prog.last = now;
    uint64_t b = prog_done + bytes;
    rn_stats st;
    rn_stats_of(prog.reader, &st);
    double secs = since(&prog.t0, &now);
    char total[64] = "";
    if (prog.total)
        snprintf(total, sizeof total, " of %.1f MB (%.0f%%)",
                 (double)prog.total / 1e6, 100.0 * (double)b / (double)prog.total);
    fprintf(stderr, "\rrunnel: %.1f MB%s, %.0f MB/s, %llu records\033[K",
            (double)b / 1e6, total, (double)b / secs / 1e6,
            (unsigned long long)st.records_in);
    prog.shown = true;
}

static void progress_start(cli *c, char **argv, int argc)
{
    bool want = c->progress > 0 || (c->progress == 0 && isatty(STDERR_FILENO));
    if (!want || c->src.follow)
        return;
    prog.c = c;
    clock_gettime(CLOCK_MONOTONIC, &prog.t0);
    /* The total is known when every file argument is a regular file. */
    uint64_t total = 0;
    bool known = false;
    for (int i = 1; i < argc && strcmp(argv[i], "then") != 0; i++) {
        struct stat st;
        if (argv[i][0] == '-')
            continue;
        if (stat(argv[i], &st) != 0 || !S_ISREG(st.st_mode)) {
            known = false;
            break;
        }
        total += (uint64_t)st.st_size;
        known = true;
    }
    prog.total = known ? total : 0;
    c->src.progress = on_progress;
}

static void progress_end(void)
{
    if (prog.shown)
        fputs("\r\033[K", stderr);
}

/* --explain: the chain as one could type it. */
static void print_chain(char **argv, int argc)
{
    fputs("runnel", stdout);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool plain = *a != '\0';
        for (const char *p = a; *p && plain; p++)
            plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "0123456789_.,:/=+-@", *p) != NULL;
        if (plain) {
            printf(" %s", a);
            continue;
        }
        fputs(" '", stdout);
        for (const char *p = a; *p; p++)
            if (*p == '\'')
                fputs("'\\''", stdout);
            else
                putchar(*p);
        putchar('\'');
    }
    putchar('\n');
}

int main(int argc, char **argv)
{
    /* A closed pipe must show up as EPIPE from write(), which ends the run
     * quietly, rather than kill us before output is accounted for. */
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    cli c;
    memset(&c, 0, sizeof c);
    c.format = -1;
    c.src.stop = &stop_requested;

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
        } else if (strcmp(a, "--stats") == 0) {
            c.stats = true;
        } else if (strcmp(a, "--rejects") == 0) {
            if (++i == argc)
                cli_usage_error("--rejects needs a file name");
            c.rejects_path = argv[i];
        } else if (strcmp(a, "--block-size") == 0) {
            if (++i == argc)
                cli_usage_error("--block-size needs a size");
            c.src.block_size = cli_parse_size(a, argv[i]);
            c.src.mmap_window = c.src.block_size;
            if (c.src.block_size > 64u << 20)
                cli_usage_error("--block-size: at most 64M");
        } else if (strcmp(a, "--explain") == 0) {
            c.explain = true;
        } else if (strcmp(a, "--partial-on-interrupt") == 0) {
            c.partial = true;
        } else if (strcmp(a, "--progress") == 0) {
            c.progress = 1;
        } else if (strcmp(a, "--no-progress") == 0) {
            c.progress = -1;
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

    if (c.rejects_path) {
        open_rejects(&c);
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    char **words = argv;
    int nwords = argc;
    if (cli_is_job(argv[i])) {
        nwords = cli_expand_job(&c, argc - i, argv + i, &words);
        i = 0;
        /* errors -f on a terminal redraws about once a second: the followed
         * file's source gives the chain back (RN_AGAIN) that often. */
        if (c.live && isatty(STDOUT_FILENO))
            c.src.tick_ms = 1000;
    } else if (c.explain) {
        cli_usage_error("--explain works with the ready-made jobs (errors, "
                        "agg); this chain is already explicit");
    }
    argc = nwords;
    argv = words;
    /* -f is known from the words before the chain is built, so that no
     * progress line is drawn while following (a file that grows has no
     * end to show progress towards). */
    int src_end = segment_end(argc, argv, i) - i;
    c.src.follow = source_flag(argv + i, src_end, "-f", "--follow");
    progress_start(&c, argv + i, argc - i);
    partial = c.partial;

    /* The library builds the chain. The errors job names its time field
     * only once the log reader has chosen a format: its source is built
     * first, then the verbs, with the name put in (cli_job_fix). */
    rn_pipeline_opts po;
    memset(&po, 0, sizeof po);
    po.source = c.src;
    po.source.follow = 0; /* the library reads -f itself, in its place */
    if (c.rejects || c.stats) {
        po.on_reject = cli_on_reject;
        po.reject_ud = &c;
        /* --stats only counts: it must not slow the run down by parsing
         * the lines pushdown would skip. --rejects wants every bad line. */
        po.allow_pushdown = !c.rejects;
    }
    int n1 = c.job_needs_ts && src_end ? src_end : argc - i;
    rn_pipeline_err err;
    rn_iter *it = rn_pipeline_parse_argv(n1, (const char *const *)argv + i,
                                         &po, &err);
    int err_base = i;
    if (it && n1 < argc - i) {
        cli_job_fix(&c, it, argv + i + n1, argc - i - n1);
        err_base = i + n1;
        it = rn_pipeline_append_argv(it, argc - err_base,
                                     (const char *const *)argv + err_base,
                                     &err);
    }
    if (!it)
        chain_error(&err, argv + err_base, argc - err_base);
    prog.reader = reader_of(it);
    if (c.explain) {
        print_chain(argv + i, argc - i);
        rn_free(it);
        cli_keep_free(&c);
        return 0;
    }
    if (rn_status(it) < 0) {
        /* Bad arguments are usage errors; a reader that already failed on
         * its data (a corrupt gzip header read while priming) is not. */
        int code = rn_status(it) == RN_EINVAL ? EXIT_USAGE : EXIT_DATA;
        fprintf(stderr, "runnel: %s\n", rn_errmsg(it));
        rn_free(it);
        return code;
    }

    /* Following ends on Ctrl-C or SIGTERM: the source sees the flag at its
     * next check and the run ends as if the input had. */
    following = c.src.follow;

    rn_sink_opts so = {0};
    so.format = c.format >= 0 ? c.format : natural_format(argv + i, argc - i);
    if (c.format < 0 && so.format == RN_FORMAT_CSV && isatty(STDOUT_FILENO))
        so.format = RN_FORMAT_TABLE;
    so.no_header = c.no_header;
    so.flush_each = c.src.follow;
    rn_sink *sink = rn_sink_fd(STDOUT_FILENO, &so);
    if (!sink) {
        rn_free(it);
        fputs("runnel: out of memory\n", stderr);
        return EXIT_DATA;
    }
    int rc;
    while ((rc = rn_run(it, sink)) == RN_AGAIN) {
        /* errors -f on a terminal: the followed file ticked. After Ctrl-C
         * the screen is cleared for the final table instead. */
        if (stop_requested) {
            fputs("\033[H\033[2J", stdout);
            fflush(stdout);
        } else {
            cli_errors_redraw(&c, it);
        }
    }
    int status = 0;
    if (rc == RN_EPIPE) {
        status = 0; /* `runnel ... | head`: the reader had enough */
    } else if (rc < 0) {
        const char *msg = rn_sink_errmsg(sink);
        fprintf(stderr, "runnel: %s\n", msg[0] ? msg : rn_errmsg(it));
        status = EXIT_DATA;
    }
    if (c.rejects && rn_sink_flush(c.rejects) < 0 && status == 0) {
        fprintf(stderr, "runnel: %s\n", rn_sink_errmsg(c.rejects));
        status = EXIT_DATA;
    }
    progress_end();
    if (c.stats)
        print_stats(&c, it, &t0, source_value(argv + i, src_end, "--format"));
    if (interrupted && c.partial && status == 0)
        status = 128 + SIGINT; /* what the shell shows for Ctrl-C */
    rn_sink_free(sink);
    rn_free(it);
    rn_sink_free(c.rejects);
    rn_schema_free(c.rejects_schema, NULL);
    cli_keep_free(&c);
    return status;
}
