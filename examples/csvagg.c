/*
 * csvagg.c - CSV category aggregation as a program: count, sum and mean of a
 * numeric column per category, quoted fields and all.
 *
 *   cc csvagg.c $(pkg-config --cflags --libs runnel) -o csvagg
 *   ./csvagg sales.csv category amount
 *
 * Prints the same as
 *   runnel -o csv csv sales.csv then groupby category count sum:amount mean:amount
 */
#include <runnel.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fputs("usage: csvagg FILE KEY FIELD\n", stderr);
        return 2;
    }
    char sum[256], mean[256];
    snprintf(sum, sizeof sum, "sum:%s", argv[3]);
    snprintf(mean, sizeof mean, "mean:%s", argv[3]);
    const char *keys[] = {argv[2]};
    const char *aggs[] = {"count", sum, mean};

    rn_iter *it = rn_csv_new(rn_source_file(argv[1], NULL), NULL);
    it = rn_groupby_new(it, keys, 1, aggs, 3, NULL);
    if (!it) {
        fputs("csvagg: out of memory\n", stderr);
        return 1;
    }
    if (rn_status(it) < 0) { /* a missing file, an unknown field... */
        fprintf(stderr, "csvagg: %s\n", rn_errmsg(it));
        rn_free(it);
        return 2;
    }
    /* Write the header, then each record as CSV, through a sink; the
     * records are also read here, one at a time. */
    rn_sink_opts so = {0};
    so.format = RN_FORMAT_CSV;
    rn_sink *out = rn_sink_fd(STDOUT_FILENO, &so);
    const rn_record *rec;
    int rc;
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        rn_batch one = {rec, 1};
        if (rn_sink_write(out, rn_schema_of(it), &one) < 0)
            break;
    }
    int fl = rn_sink_flush(out);
    if (rc < 0 || fl < 0)
        fprintf(stderr, "csvagg: %s\n",
                fl < 0 ? rn_sink_errmsg(out) : rn_errmsg(it));
    rn_sink_free(out);
    rn_free(it);
    return rc < 0 || fl < 0;
}
