/*
 * test_status.c - status codes, their names and messages, and versions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <stdio.h>
#include <string.h>

static void test_every_code_has_a_name_and_message(void **state)
{
    (void)state;
    int codes[] = {
#define CODE_(name, value, msg) RN_##name,
        RN_STATUS_MAP(CODE_)
#undef CODE_
    };
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        const char *name = rn_status_name(codes[i]);
        assert_non_null(name);
        assert_int_equal(strncmp(name, "RN_", 3), 0);
        assert_string_not_equal(rn_strerror(codes[i]), "unknown status");
        /* Codes are unique. */
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(codes[i], codes[j]);
    }
    assert_string_equal(rn_status_name(RN_ENOMEM), "RN_ENOMEM");
    assert_string_equal(rn_strerror(RN_ENOMEM), "out of memory");
    assert_null(rn_status_name(12345));
    assert_string_equal(rn_strerror(-12345), "unknown status");
}

static void test_codes_are_never_renumbered(void **state)
{
    (void)state;
    /* Applications store these numbers: they are part of the ABI. */
    assert_int_equal(RN_OK, 0);
    assert_int_equal(RN_ROW, 1);
    assert_int_equal(RN_DONE, 2);
    assert_int_equal(RN_AGAIN, 3);
    assert_int_equal(RN_EIO, -1);
    assert_int_equal(RN_ENOMEM, -2);
    assert_int_equal(RN_EPARSE, -3);
    assert_int_equal(RN_ETOOBIG, -4);
    assert_int_equal(RN_EGZIP, -5);
    assert_int_equal(RN_EINVAL, -6);
    assert_int_equal(RN_EMISUSE, -7);
    assert_int_equal(RN_ERANGE, -8);
    assert_int_equal(RN_EPIPE, -9);
}

static void test_version(void **state)
{
    (void)state;
    assert_int_equal(rn_version_number(), RN_VERSION_NUMBER);
    assert_int_equal(RN_VERSION_NUMBER, RN_VERSION_MAJOR * 10000 +
                                            RN_VERSION_MINOR * 100 +
                                            RN_VERSION_PATCH);
    char v[32];
    snprintf(v, sizeof v, "%d.%d.%d", RN_VERSION_MAJOR, RN_VERSION_MINOR,
             RN_VERSION_PATCH);
    assert_string_equal(rn_version_string(), v);
}

static void test_misuse(void **state)
{
    (void)state;
    const rn_record *rec;
    rn_batch b;
    assert_int_equal(rn_next(NULL, &rec), RN_EMISUSE);
    assert_int_equal(rn_next_batch(NULL, &b), RN_EMISUSE);
    assert_int_equal(rn_status(NULL), RN_EMISUSE);
    rn_free(NULL);
    rn_source_free(NULL);
    rn_sink_free(NULL);
    assert_null(rn_lines_new(NULL, NULL));
    assert_null(rn_count_new(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_has_a_name_and_message),
        cmocka_unit_test(test_codes_are_never_renumbered),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
