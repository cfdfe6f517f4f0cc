/*
 * fuzz_filter.c - the filter expression compiler and evaluator on arbitrary
 * text: the input (up to its first NUL) is the expression, over a small
 * fixed CSV, a pipe log and plain lines. Building the stage must never
 * crash, whatever the text; a stage in error must say why. When the
 * expression compiles and runs to the end, "not (expr)" must keep exactly
 * the records that expr drops: the two counts add up to the input's.
 */
#include "fuzz.h"

static const char csv[] =
    "id,name,level,amount,note,when\n"
    "1,alice,INFO,12.5,\"hello, world\",2024-03-01\n"
    "2,bob,error,-3,,2024-03-02\n"
    "3,,WARN,1e3,\"two\nlines\",\n"
    "4,dave,debug,abc,x\n"
    "5,\xc3\xa9ve,Info,0007,\"say \"\"hi\"\"\",2024-02-29,extra\n"
    "6,frank,ERROR,inf, ,1999-12-31\n";

static const char logs[] =
    "2024-03-01 12:00:00.123|ERROR|Error code: 42 (upstream)\n"
    "2024-03-01 12:00:01.000|INFO|user alice logged in\n"
    "  2024-03-01 12:00:02.500 | WARN |  disk 91% full  \n"
    "2024-03-01 12:00:03.000|debug|x=1 y=2\n";

static const char text[] = "alpha\nbeta gamma\n\n42\n-1.5\nalpha beta\n";

/* Builds the reader k (0: CSV, 1: log, 2: lines) over its fixed text. */
static rn_iter *reader(int k, size_t chunk, fz_chunks *c)
{
    size_t sizes[2] = {chunk, chunk + 5};
    if (k == 0)
        return rn_csv_new(fz_chunked(c, (const uint8_t *)csv, sizeof csv - 1,
                                     sizes, 2, NULL), NULL);
    if (k == 1) {
        rn_log_opts o;
        memset(&o, 0, sizeof o);
        o.format = "pipe";
        return rn_log_new(rn_lines_new(fz_chunked(c, (const uint8_t *)logs,
                                                  sizeof logs - 1, sizes, 2,
                                                  NULL), NULL), &o);
    }
    return rn_lines_new(fz_chunked(c, (const uint8_t *)text, sizeof text - 1,
                                   sizes, 2, NULL), NULL);
}

static void count(void *ud, const rn_schema *s, const rn_record *r, size_t i)
{
    (void)s;
    (void)r;
    (void)i;
    (*(size_t *)ud)++;
}

/* The records reader k yields alone. */
static size_t total(int k)
{
    fz_chunks c;
    rn_iter *it = reader(k, 1 << 20, &c);
    FZ_CHECK(it != NULL, "reader: out of memory");
    size_t n = 0;
    FZ_CHECK(fz_drain(it, 0, count, &n) == RN_DONE, "reader %d failed", k);
    rn_free(it);
    return n;
}

/* Runs expr over reader k; returns the final status, the status after
 * construction in *built and the records kept in *kept. */
static int run(int k, const char *expr, size_t chunk, unsigned mix,
               int *built, size_t *kept)
{
    fz_chunks c;
    rn_iter *it = rn_filter_new(reader(k, chunk, &c), expr);
    FZ_CHECK(it != NULL, "rn_filter_new: out of memory");
    int st = rn_status(it);
    *built = st;
    FZ_CHECK(st == RN_OK || (st < 0 && rn_errmsg(it)[0] != '\0'),
             "status %d at construction, message '%s'", st, rn_errmsg(it));
    *kept = 0;
    int rc = fz_drain(it, mix, count, kept);
    FZ_CHECK(st == RN_OK || rc == st, "constructed in error %d, ran to %d",
             st, rc);
    rn_stats s;
    rn_stats_of(it, &s);
    if (rc == RN_DONE)
        FZ_CHECK(s.records_in == s.records_out + s.filtered &&
                     s.records_out == *kept,
                 "stats: in %llu, out %llu, filtered %llu, kept %zu",
                 (unsigned long long)s.records_in,
                 (unsigned long long)s.records_out,
                 (unsigned long long)s.filtered, *kept);
    rn_free(it);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0; /* the parser's depth, not its length, is what matters */
    char *expr = malloc(size + 1);
    FZ_CHECK(expr != NULL, "out of memory in the harness");
    if (size)
        memcpy(expr, data, size);
    expr[size] = '\0';
    char *neg = malloc(size + 8);
    FZ_CHECK(neg != NULL, "out of memory in the harness");
    snprintf(neg, size + 8, "not (%s)", expr);

    size_t chunk = size % 13 + 1;
    for (int k = 0; k < 3; k++) {
        size_t yes, no;
        int built;
        int rc = run(k, expr, chunk, (unsigned)size * 7u + (unsigned)k,
                     &built, &yes);
        if (rc != RN_DONE)
            continue;
        /* "not (...)" may pass a nesting cap that expr did not: only an
         * error at construction is allowed for it. */
        int rn = run(k, neg, chunk + 3, (unsigned)size * 5u, &built, &no);
        if (built < 0)
            continue;
        FZ_CHECK(rn == RN_DONE, "reader %d: expr ran to the end, not (expr) "
                 "gave %d: expr '%s'", k, rn, expr);
        size_t all = total(k);
        FZ_CHECK(yes + no == all,
                 "reader %d: expr keeps %zu, not (expr) keeps %zu, of %zu: "
                 "expr '%s'", k, yes, no, all, expr);
    }
    free(neg);
    free(expr);
    return 0;
}
