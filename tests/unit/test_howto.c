/*
 * test_howto.c - the how-to at the top of lib/runnel.h, compiled and run, so
 * that the header's example can never drift from the library.
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
#include <unistd.h>

static void test_howto(void **state)
{
    (void)state;
    const char *text = "one\ntwo\nthree\n";
    char *path = tst_write_temp(text, strlen(text));
    char printed[64];
    FILE *mem = fmemopen(printed, sizeof printed, "w");

    /* --- the example from runnel.h, with "app.log" and stdout replaced --- */
    rn_source *src = rn_source_file(path, NULL);
    rn_iter *it = rn_lines_new(src, NULL);
    it = rn_count_new(it);
    const rn_record *rec;
    int rc;
    while ((rc = rn_next(it, &rec)) == RN_ROW)
        fprintf(mem, "%.*s\n", (int)rec->fields[0].len, rec->fields[0].ptr);
    if (rc < 0)
        fprintf(stderr, "%s\n", rn_errmsg(it));
    rn_free(it);
    /* --- end of the example --- */

    fclose(mem);
    assert_int_equal(rc, RN_DONE);
    assert_string_equal(printed, "3\n");
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_howto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
