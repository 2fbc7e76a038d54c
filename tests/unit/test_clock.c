/*
 * clock: conversions and the UTC format. Expected strings computed by hand and checked with
 * `date -u -d @1357328848.512314 +%FT%T.%6NZ`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "common/clock.h"

static void test_clock_formats_utc_with_microseconds(void **state)
{
    (void)state;
    char buf[CLOCK_UTC_LEN];
    assert_int_equal(clock_format_utc(1357328848512314999ULL, buf, sizeof(buf)), 27);
    assert_string_equal(buf, "2013-01-04T19:47:28.512314Z");
    assert_int_equal(clock_format_utc(0, buf, sizeof(buf)), 27);
    assert_string_equal(buf, "1970-01-01T00:00:00.000000Z");
}

static void test_clock_format_refuses_short_buffer(void **state)
{
    (void)state;
    char buf[CLOCK_UTC_LEN - 1];
    assert_int_equal(clock_format_utc(0, buf, sizeof(buf)), -ENOSPC);
}

static void test_clock_packet_time_parts_to_ns(void **state)
{
    (void)state;
    assert_int_equal(clock_ns_from_parts(1357328848, 512314000), 1357328848512314000ULL);
    assert_int_equal(clock_ns_from_parts(-5, 10), 0);
    assert_int_equal(clock_ns_from_parts(INT64_MAX, 0), UINT64_MAX);
}

static void test_clock_monotonic_never_goes_back(void **state)
{
    (void)state;
    uint64_t prev = clock_mono_ns();
    for (int i = 0; i < 1000; i++) {
        uint64_t now = clock_mono_ns();
        assert_true(now >= prev);
        prev = now;
    }
    /* Wall time is after 2020-01-01 on any machine that runs this test. */
    assert_true(clock_wall_ns() > 1577836800ULL * CLOCK_NS_PER_SEC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_clock_formats_utc_with_microseconds),
            cmocka_unit_test(test_clock_format_refuses_short_buffer),
            cmocka_unit_test(test_clock_packet_time_parts_to_ns),
            cmocka_unit_test(test_clock_monotonic_never_goes_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
