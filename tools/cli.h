/*
 * cli.h - what the parts of the runnel command share: the global options,
 * the ready-made jobs, and the help table. The chains themselves are built
 * by the library from the command's words (rn_pipeline_parse_argv).
 */
#ifndef RN_CLI_H
#define RN_CLI_H

#include "runnel.h"

#include <stdbool.h>

#define EXIT_DATA 1   /* a data error stopped the run */
#define EXIT_USAGE 2  /* the command line is wrong */

typedef struct cli {
    rn_source_opts src;      /* block size, mmap mode, stop, progress */
    int format;              /* enum rn_format, or -1: the chain decides */
    bool no_header;
    bool stats;              /* --stats */
    const char *rejects_path;   /* --rejects FILE */
    rn_sink *rejects;        /* writes rejected records there */
    rn_schema *rejects_schema;
    void **kept;             /* memory kept until the end of the run */
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

/* Frees what cli_keep kept. */
void cli_keep_free(cli *c);

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

/* What the command says about a source, job or verb (help.c). */
typedef struct cli_help {
    const char *name;
    const char *synopsis;    /* one line for --help */
    const char *help;        /* the page for `runnel help NAME` */
    int format;              /* the output format it makes the default
                                (enum rn_format), -1: the one before */
} cli_help;

extern const cli_help cli_sources[];
extern const cli_help cli_jobs[];
extern const cli_help cli_verbs[];
const cli_help *cli_find_help(const char *name);

/* Prints "runnel: <message>" and exits with EXIT_USAGE. */
_Noreturn void cli_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Parses a size such as 65536, 64K, 1M (binary units). Exits on error. */
size_t cli_parse_size(const char *opt, const char *text);

#endif
