/*
 * push.c - push mode: the application receives the bytes itself (here from a
 * socket) and feeds them to runnel, which yields each record once it is whole.
 *
 * A child process sends a log through a socketpair in odd-sized pieces; the
 * parent recv()s whatever arrives, feeds it, and pulls what is ready. It
 * prints the ERROR lines counted per error code, as CSV, like
 *   runnel -o csv log data/app.log then filter 'level == ERROR' \
 *       then extract 'Error code: (?<code>\d+)' then count-by code
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -Ilib examples/push.c build/librunnel.a \
 *            -lcsv -lz -lpcre2-8
 * Run:   ./a.out data/app.log
 */
#include "runnel.h"

#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child: sends the file in pieces of 1 to 4096 bytes, cut anywhere. */
static int send_file(int fd, const char *path)
{
    FILE *f = fopen(path, "rb");
    char buf[4096];
    size_t want = 1, got;
    while (f && (got = fread(buf, 1, want, f)) > 0) {
        for (size_t off = 0; off < got;) {
            ssize_t k = send(fd, buf + off, got - off, 0);
            if (k < 0)
                return 1;
            off += (size_t)k;
        }
        want = want * 7 % sizeof buf + 1;
    }
    return f ? fclose(f) != 0 : 1;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "data/app.log";
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return 1;
    pid_t child = fork();
    if (child == 0) {
        close(sv[0]);
        _exit(send_file(sv[1], path));
    }
    close(sv[1]);

    static const char *const key[] = {"code"};
    rn_source *src = rn_source_push(NULL);
    rn_iter *it = rn_log_new(rn_lines_new(src, NULL), NULL); /* takes src */
    it = rn_filter_new(it, "level == ERROR");
    it = rn_extract_new(it, NULL, "Error code: (?<code>\\d+)", 0);
    it = rn_count_by_new(it, key, 1, NULL);
    rn_sink *out = rn_sink_fd(1, &(rn_sink_opts){.format = RN_FORMAT_CSV});
    if (!it || !out || child < 0)
        return 1;

    /* Feed what arrives, then pull every record that is complete, until the
     * chain needs more (RN_AGAIN). At the end of the input, signal it: the
     * rest comes out (count-by's table), then RN_DONE. */
    const rn_record *rec;
    char buf[1000];
    int rc = RN_AGAIN;
    while (rc == RN_AGAIN) {
        ssize_t got = recv(sv[0], buf, sizeof buf, 0);
        /* rn_feed copies the bytes: buf may be reused at once. */
        rc = got > 0    ? rn_feed(src, buf, (size_t)got)
             : got == 0 ? rn_feed_end(src)
                        : RN_EIO;
        if (rc != RN_OK)
            break;
        while ((rc = rn_next(it, &rec)) == RN_ROW)
            rn_sink_write(out, rn_schema_of(it), &(rn_batch){rec, 1});
    }
    int flushed = rn_sink_flush(out); /* sink errors are sticky: here */
    if (rc < 0)
        fprintf(stderr, "push: %s\n",
                rn_status(it) < 0 ? rn_errmsg(it) : rn_strerror(rc));
    else if (flushed < 0)
        fprintf(stderr, "push: %s\n", rn_sink_errmsg(out));
    int status = 1;
    waitpid(child, &status, 0);
    rn_sink_free(out);
    rn_free(it); /* frees src too */
    return rc == RN_DONE && flushed == RN_OK && status == 0 ? 0 : 1;
}
