/*
 * pipeline_errors.c - the runnel command's chain, built by the library
 * alone, for tests/cli/test_pipeline.sh to hold side by side with the
 * command: the same messages, the same exit codes, the same output.
 *
 *   pipeline_errors [-o FORMAT] TEXT        rn_pipeline_parse(TEXT)
 *   pipeline_errors [-o FORMAT] -- WORD...  rn_pipeline_parse_argv(WORDS)
 *   pipeline_errors --names                 what rn_pipeline_name() lists
 *
 * A chain the library refuses prints "runnel: " and its message on stderr
 * and exits 2 (1 when memory ran out), as the command does; a good one runs
 * into standard output in FORMAT (csv, tsv, jsonl, text, table; default
 * csv), and a data error exits 1.
 */
#include "runnel.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int format_of(const char *s)
{
    static const char *const names[] = {"text", "csv", "tsv", "jsonl",
                                        "table"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0)
            return i; /* enum rn_format has this order */
    return -1;
}

int main(int argc, char **argv)
{
    int i = 1, format = RN_FORMAT_CSV;
    if (argc == 2 && strcmp(argv[1], "--names") == 0) {
        int is_source;
        const char *name;
        for (size_t k = 0; (name = rn_pipeline_name(k, &is_source)); k++)
            printf("%s %s\n", name, is_source ? "source" : "verb");
        return 0;
    }
    if (i + 1 < argc && strcmp(argv[i], "-o") == 0) {
        format = format_of(argv[i + 1]);
        i += 2;
    }
    if (format < 0 || i >= argc) {
        fputs("usage: pipeline_errors [-o FORMAT] TEXT | -- WORD... | "
              "--names\n", stderr);
        return 2;
    }
    rn_pipeline_err err;
    rn_iter *it;
    if (strcmp(argv[i], "--") == 0)
        it = rn_pipeline_parse_argv(argc - i - 1,
                                    (const char *const *)argv + i + 1, NULL,
                                    &err);
    else
        it = rn_pipeline_parse(argv[i], NULL, &err);
    if (!it) {
        fprintf(stderr, "runnel: %s\n", err.msg);
        return err.code == RN_ENOMEM ? 1 : 2;
    }
    if (rn_status(it) < 0) {
        fprintf(stderr, "runnel: %s\n", rn_errmsg(it));
        rn_free(it);
        return 1;
    }
    rn_sink_opts so = {0};
    so.format = format;
    rn_sink *sink = rn_sink_fd(STDOUT_FILENO, &so);
    int rc = sink ? rn_run(it, sink) : RN_ENOMEM;
    if (rc < 0 && rc != RN_EPIPE) {
        const char *msg = sink ? rn_sink_errmsg(sink) : "";
        fprintf(stderr, "runnel: %s\n", msg[0] ? msg : rn_errmsg(it));
    }
    rn_sink_free(sink);
    rn_free(it);
    return rc < 0 && rc != RN_EPIPE;
}
