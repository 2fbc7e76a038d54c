/*
 * err: every code has a name and a message, Umbra's codes never collide with errno values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "common/err.h"

static void test_err_umbra_codes_have_names_and_messages(void **state)
{
    (void)state;
    assert_string_equal(umbra_err_name(UMBRA_EWIRE), "UMBRA_EWIRE");
    assert_string_equal(umbra_strerror(UMBRA_EWIRE), "malformed wire message");
    assert_string_equal(umbra_err_name(UMBRA_ECONFIG), "UMBRA_ECONFIG");
    assert_string_equal(umbra_strerror(UMBRA_ECONFIG), "invalid configuration");
    assert_string_equal(umbra_strerror(UMBRA_EFULL), "capacity reached");
#define CHECK_ENTRY(name, off, msg)                                                                \
    assert_string_equal(umbra_err_name(name), #name);                                              \
    assert_string_equal(umbra_strerror(name), msg);
    UMBRA_ERR_LIST(CHECK_ENTRY)
#undef CHECK_ENTRY
}

static void test_err_codes_sit_below_every_errno_value(void **state)
{
    (void)state;
    /* Linux errno values are below 4096 (MAX_ERRNO); Umbra's start at -30001. */
#define CHECK_RANGE(name, off, msg) assert_true((name) < -4096);
    UMBRA_ERR_LIST(CHECK_RANGE)
#undef CHECK_RANGE
}

static void test_err_describes_negated_errno_values(void **state)
{
    (void)state;
    assert_string_equal(umbra_strerror(-ENOENT), "no such file or directory");
    assert_string_equal(umbra_err_name(-ENOENT), "ENOENT");
    assert_string_equal(umbra_strerror(-EMSGSIZE), "message too long");
    assert_string_equal(umbra_strerror(EINVAL), "invalid argument");
    assert_string_equal(umbra_strerror(0), "success");
}

static void test_err_unknown_code_is_described_not_null(void **state)
{
    (void)state;
    assert_string_equal(umbra_strerror(-29999), "unknown error");
    assert_string_equal(umbra_err_name(-29999), "unknown");
    assert_string_equal(umbra_strerror(-1000000), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_err_umbra_codes_have_names_and_messages),
            cmocka_unit_test(test_err_codes_sit_below_every_errno_value),
            cmocka_unit_test(test_err_describes_negated_errno_values),
            cmocka_unit_test(test_err_unknown_code_is_described_not_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
