/*
 * cli.h - what the parts of the runnel command share: the global options and
 * the table of sources and verbs that `then` chains together.
 */
#ifndef RN_CLI_H
#define RN_CLI_H

#include "runnel.h"

#include <stdbool.h>

#define EXIT_DATA 1   /* a data error stopped the run */
#define EXIT_USAGE 2  /* the command line is wrong */

/* The files a source reads, opened one after another by the chain. */
typedef struct cli_files {
    struct cli *c;
    char **names;
    int n;
    rn_iter *(*make)(rn_source *src, void *ud);
    void *ud;
} cli_files;

typedef struct cli {
    rn_source_opts src;      /* block size, mmap mode, follow */
    rn_lines_opts lines;     /* options of the lines source */
    rn_csv_opts csv;         /* options of the csv and tsv sources */
    rn_log_opts log;         /* options of the log source */
    cli_files files;         /* what the source reads */
    char **file_list;        /* the source's file arguments, owned */
    size_t nfiles;
    int format;              /* enum rn_format, or -1: the chain decides */
    int natural_format;      /* what the last verb asks for by default */
    bool no_header;
    bool stats;              /* --stats */
    const char *rejects_path;   /* --rejects FILE */
    rn_sink *rejects;        /* writes rejected records there */
    rn_schema *rejects_schema;
    char **union_names;      /* --union: every file's fields, owned */
    size_t nunion;
    rn_iter *log_reader;     /* the log stage, for --stats */
    void **kept;             /* verb arguments kept for the chain, owned */
    size_t nkept;
    bool job_needs_ts;       /* errors: its time field is not named yet */
    const char *job_ts;      /* errors: the time field's name, once known */
    bool live;               /* errors -f: redraw the table on RN_AGAIN */
    bool explain;            /* --explain: print the chain, do not run it */
    bool partial;            /* --partial-on-interrupt */
    int progress;            /* -1 off, 0 when stderr is a terminal, 1 on */
    struct reason {          /* rejects by reason, for --stats */
        char text[96];
        uint64_t n;
    } reasons[8];
    size_t nreasons;
    uint64_t other_reasons;
} cli;

/* The reject callback for readers: writes to c->rejects (a TSV sink). */
void cli_on_reject(void *ud, const char *source, uint64_t line,
                   uint64_t offset, const char *reason, const char *raw,
                   size_t rawlen);

/* Keeps p (malloc'd) until the end of the run; exits if p is NULL. */
void *cli_keep(cli *c, void *p);

/* The ready-made jobs (jobs.c). */
bool cli_is_job(const char *name);
/* Expands argv (argv[0] the job's name) into the words of a chain, kept in
 * c; returns how many. */
int cli_expand_job(cli *c, int argc, char **argv, char ***out);
/* After the job's source is built: names its fields in the words still to
 * be built. */
void cli_job_fix(cli *c, rn_iter *source, char **argv, int argc);

/* errors -f: draws the table so far over the previous one (stdout). */
void cli_errors_redraw(cli *c, rn_iter *last);

/* Frees what the sources allocated in c. */
void cli_sources_free(cli *c);

/* A source (reads files; up is NULL) or a verb (takes up). argv[0] is the
 * verb's name; the builder parses the rest and exits with a usage error
 * itself when they are wrong. */
typedef struct cli_verb {
    const char *name;
    bool is_source;
    const char *synopsis;    /* one line for --help */
    const char *help;        /* the page for `runnel help NAME` */
    rn_iter *(*build)(cli *c, rn_iter *up, int argc, char **argv);
} cli_verb;

extern const cli_verb cli_sources[];
extern const cli_verb cli_jobs[];      /* help pages; build is NULL */
extern const cli_verb cli_verbs[];
const cli_verb *cli_find_verb(const char *name);

/* Prints "runnel: <message>" and exits with EXIT_USAGE. */
_Noreturn void cli_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Parses a size such as 65536, 64K, 1M (binary units). Exits on error. */
size_t cli_parse_size(const char *opt, const char *text);

/* Builds a reader over each file in turn (stdin for none or "-"). make
 * builds the reader for one source. Exits with a usage error if a file
 * cannot be opened. */
rn_iter *cli_open_files(cli *c, char **files, int nfiles,
                        rn_iter *(*make)(rn_source *src, void *ud), void *ud);

#endif
