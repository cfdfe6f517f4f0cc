/*
 * fuzz_pipeline.c - the chain parser on arbitrary text: rn_pipeline_parse()
 * over a fixed small sample in memory (CSV when the text starts with csv,
 * TSV with tsv, else a log that lines and log both read), run to the end;
 * and the same text as verbs on a log reader (rn_pipeline_append()).
 * Files are refused (no_files), so the harness never touches the disk or
 * stdin, and -f, which needs a file, is always an error: nothing can wait.
 * Inputs over 4 KiB are skipped to bound the work per input. Checks: no
 * crash, no leak, the stepping rules (fz_drain), and a consistent error: a
 * NULL chain has RN_EINVAL or RN_ENOMEM, a one-line message, and a word and
 * offset inside the text; a chain has RN_OK and no message.
 */
#include "fuzz.h"

static const char CSV[] = "k,amount,note,level\n"
                          "a,1,x,INFO\n"
                          "b,5,\"y, z\",ERROR\n"
                          "a,7,,error\n"
                          "c,2.5,w\n"
                          "b,x,bad,WARN,extra\n";

static const char TSV[] = "k\tv\n"
                          "a\t1\n"
                          "b\t\t\n"
                          "a\t3\n";

static const char LOG[] = "2024-03-01 12:00:00.001|INFO|started\n"
                          "2024-03-01 12:00:01.002|ERROR|Error code: 500\n"
                          "2024-03-01 12:00:02.003|WARN|slow: 900 ms\n"
                          "not a log line\n"
                          "\n"
                          "2024-03-01 12:00:04.005|error|Error code: 503\n";

static void check_err(const rn_pipeline_err *e, const char *text)
{
    FZ_CHECK(e->code == RN_EINVAL || e->code == RN_ENOMEM, "code %d",
             e->code);
    size_t len = strnlen(e->msg, sizeof e->msg);
    FZ_CHECK(len > 0 && len < sizeof e->msg, "message of %zu bytes", len);
    /* One line, but for the line breaks of the words it quotes. */
    FZ_CHECK(memchr(e->msg, '\n', len) == NULL || strchr(text, '\n'),
             "message of two lines: %s", e->msg);
    FZ_CHECK(e->word >= -1, "word %d", e->word);
    FZ_CHECK(e->offset <= strlen(text), "offset %zu past the text (%zu)",
             e->offset, strlen(text));
    FZ_CHECK(e->word >= 0 || e->offset == 0, "offset %zu without a word",
             e->offset);
}

static void run(rn_iter *it, const rn_pipeline_err *e, const char *text,
                unsigned mix)
{
    if (!it) {
        check_err(e, text);
        return;
    }
    FZ_CHECK(e->code == RN_OK && e->msg[0] == '\0' && e->word == -1,
             "a chain with error %d '%s'", e->code, e->msg);
    (void)fz_drain(it, mix, NULL, NULL);
    rn_free(it);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = malloc(size + 1);
    FZ_CHECK(text != NULL, "out of memory in the harness");
    if (size)
        memcpy(text, data, size);
    text[size] = '\0';
    unsigned mix = 0;
    for (size_t i = 0; i < size; i++)
        mix = mix * 31 + data[i];

    const char *p = text;
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    const char *sample = strncmp(p, "csv", 3) == 0   ? CSV
                         : strncmp(p, "tsv", 3) == 0 ? TSV
                                                     : LOG;
    size_t rejects = 0;
    rn_pipeline_opts o;
    memset(&o, 0, sizeof o);
    o.no_files = 1;
    o.on_reject = fz_on_reject;
    o.reject_ud = &rejects;
    o.source.block_size = 1 + mix % 64;
    o.input = rn_source_mem(sample, strlen(sample), &o.source);
    rn_pipeline_err e;
    run(rn_pipeline_parse(text, &o, &e), &e, text, mix);

    /* The same words as verbs on a log reader. */
    rn_iter *up = rn_log_new(rn_lines_new(rn_source_mem(LOG, strlen(LOG),
                                                        &o.source), NULL),
                             NULL);
    run(rn_pipeline_append(up, text, &e), &e, text, mix >> 8);
    free(text);
    return 0;
}
