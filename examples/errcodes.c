/*
 * errcodes.c - the log job as a program: which error codes, how often.
 *
 *   cc errcodes.c $(pkg-config --cflags --libs runnel) -o errcodes
 *   ./errcodes app.log.gz
 *
 * Prints code,count as CSV, most frequent first: the same as
 *   runnel -o csv log app.log then filter 'level == ERROR' \
 *       then extract message 'Error code: (?<code>\d+)' then count-by code
 */
#include <runnel.h>

#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "-"; /* "-": stdin */
    static const char *const by[] = {"code"};

    /* Each constructor takes the iterator before it: one rn_free() at the
     * end frees the chain, and an error anywhere shows at the last stage. */
    rn_iter *it = rn_lines_new(rn_source_file(path, NULL), NULL);
    it = rn_log_new(it, NULL); /* the format is detected */
    it = rn_filter_new(it, "level == ERROR");
    it = rn_extract_new(it, "message", "Error code: (?<code>\\d+)", 0);
    it = rn_count_by_new(it, by, 1, NULL);

    rn_sink_opts so = {0};
    so.format = RN_FORMAT_CSV;
    rn_sink *out = rn_sink_fd(STDOUT_FILENO, &so);
    if (!it || !out) {
        fputs("errcodes: out of memory\n", stderr);
        return 1;
    }
    int rc = rn_run(it, out);
    if (rc < 0) {
        const char *msg = rn_sink_errmsg(out);
        fprintf(stderr, "errcodes: %s\n", msg[0] ? msg : rn_errmsg(it));
    }
    rn_sink_free(out);
    rn_free(it);
    return rc < 0 ? 1 : 0;
}
