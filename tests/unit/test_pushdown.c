/*
 * test_pushdown.c - grep's literals pushed into the line reader: the same
 * records and line numbers as a naive reference at every chunk size, lines
 * spanning blocks included, and proof that lines were skipped rather than
 * cut out (the reader counts them as filtered). Cases that must not push
 * down (context, -v, -i with letters) still give the right answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lines of varying length, some holding "code: 503" or "code: 42", some
 * long enough to span many small blocks, a last line without '\n'. */
static char *make_text(size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    char *s = malloc(cap);
    unsigned seed = 99;
    for (int i = 0; i < 2000; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = (seed >> 16) % 100;
        size_t pad = r < 3 ? 700 : (seed >> 8) % 40;
        for (size_t k = 0; k < pad; k++)
            s[n++] = (char)('a' + (k + (size_t)i) % 26);
        if (r < 20)
            n += (size_t)sprintf(s + n, " Error code: 503 x");
        else if (r < 25)
            n += (size_t)sprintf(s + n, " Error code: 42");
        else if (r < 27)
            n += (size_t)sprintf(s + n, " Error code: 5"); /* a prefix only */
        s[n++] = r == 50 ? '\r' : 'z';
        s[n++] = '\n';
    }
    n += (size_t)sprintf(s + n, "last Error code: 503");
    *len = n;
    return s;
}

/* The reference: line numbers of lines matching any of the substrings. */
static size_t reference(const char *s, size_t n, const char *const *subs,
                        size_t nsubs, uint64_t *lines)
{
    size_t k = 0, line = 1, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '\n')
            continue;
        if (i == n && start == n)
            break;
        size_t len = i - start;
        char *l = strndup(s + start, len);
        for (size_t j = 0; j < nsubs; j++)
            if (strstr(l, subs[j])) {
                lines[k++] = line;
                break;
            }
        free(l);
        line++;
        start = i + 1;
    }
    return k;
}

static void run(const char *s, size_t n, size_t chunk, const char *const *pats,
                size_t npats, const char *const *subs, size_t nsubs,
                int ignore_case, size_t before, bool expect_push)
{
    uint64_t *want = malloc(3000 * sizeof *want);
    size_t nwant = reference(s, n, subs, nsubs, want);
    rn_grep_opts o = {0};
    o.patterns = pats;
    o.npatterns = npats;
    o.ignore_case = ignore_case;
    o.before = before;
    rn_iter *lines = rn_lines_new(tst_chunked_source(s, n, chunk, NULL), NULL);
    rn_iter *it = rn_grep_new(lines, &o);
    assert_int_equal(rn_status(it), RN_OK);
    const rn_record *rec;
    size_t k = 0;
    int rc;
    while ((rc = rn_next(it, &rec)) == RN_ROW) {
        if (before) {
            if (rec->nfields == 0)
                continue; /* separator */
            if (rec->fields[rec->nfields - 1].len != 5) /* "match" only */
                continue;
        }
        assert_true(k < nwant);
        assert_int_equal(rec->line, want[k]);
        k++;
    }
    assert_int_equal(rc, RN_DONE);
    assert_int_equal(k, nwant);
    rn_stats st;
    rn_stats_of(rn_upstream(it), &st);
    if (expect_push) {
        assert_true(st.filtered > 0);
        assert_int_equal(st.records_in, st.records_out + st.filtered);
    } else {
        assert_int_equal(st.filtered, 0);
    }
    rn_free(it);
    free(want);
}

static void test_pushdown_every_chunk_size(void **state)
{
    (void)state;
    size_t n;
    char *s = make_text(&n);
    const char *pats[] = {"Error code: 503", "code: 4[0-9]"};
    const char *subs[] = {"Error code: 503", "code: 4"};
    size_t chunks[] = {1, 2, 3, 5, 8, 13, 64, 100, 701, 4096, 65536, 1u << 20};
    for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
        run(s, n, chunks[i], pats, 1, subs, 1, 0, 0, true);
        run(s, n, chunks[i], pats, 2, subs, 2, 0, 0, true);
    }
    free(s);
}

static void test_no_pushdown_when_it_would_be_wrong(void **state)
{
    (void)state;
    size_t n;
    char *s = make_text(&n);
    const char *pats[] = {"error CODE: 503"};
    const char *subs[] = {"Error code: 503"};
    /* -i with letters: the literal cannot be searched as is. */
    run(s, n, 7, pats, 1, subs, 1, 1, 0, false);
    /* Context needs the lines around a match. */
    const char *exact[] = {"Error code: 503"};
    run(s, n, 7, exact, 1, subs, 1, 0, 2, false);
    /* No literal at all. */
    const char *alt[] = {"503|code: 42"};
    const char *altsubs[] = {"503", "code: 42"};
    run(s, n, 7, alt, 1, altsubs, 2, 0, 0, false);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pushdown_every_chunk_size),
        cmocka_unit_test(test_no_pushdown_when_it_would_be_wrong),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
