/*
 * beacon_fit: an exact period is found exactly (not a half or a third of it); jitter and missed
 * beats leave the period within 1 % and the missed share equal to what was dropped; random
 * (Poisson) arrivals do not fit; a short series with a missed beat keeps the short period; the
 * size figures of a hand-worked example; invalid input. Series are built here from a known
 * period, so the expected figures come from the construction, not from the code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>

#include "aggregator/beacon_fit.h"

#define S      1000000000.0 /* ns per second */
#define PERIOD (60 * S)

static const struct beacon_fit_params params = {.tol = 0.1, .max_missed = 0.5};

/* xorshift64*: a fixed, reproducible stream; uniform in [0, 1). */
static double uniform(uint64_t *st)
{
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return (double)((*st * UINT64_C(2685821657736338717)) >> 11) / 9007199254740992.0;
}

static void test_beacon_fit_exact_period(void **state)
{
    (void)state;
    uint64_t ts[20];
    for (size_t i = 0; i < 20; i++)
        ts[i] = (uint64_t)(1000 * S + (double)i * PERIOD);
    struct beacon_fit f;
    assert_int_equal(beacon_fit(ts, NULL, 20, &params, &f), 0);
    assert_int_equal(f.intervals, 19);
    assert_int_equal(f.fitting, 19);
    assert_true(f.period_ns == PERIOD); /* 30 s and 20 s fit too, with beats "missed" */
    assert_true(f.fit_share == 1.0);
    assert_true(f.missed_share == 0.0);
    assert_true(f.dispersion == 0.0);
    assert_true(f.size_mad_rel == -1.0);
}

static void test_beacon_fit_jitter_and_missed_beats(void **state)
{
    (void)state;
    /* Beats 0..74 of a 60 s period, each moved by up to 5 % of it; every fifth beat (4, 9, ...,
     * 74) missed: 60 events, the last at beat 73, so 59 intervals span 73 beats, and the 14
     * missed between the first and the last are 14 / 73 of them. */
    uint64_t ts[BEACON_FIT_MAX];
    uint64_t rng = 42;
    size_t n = 0;
    for (size_t beat = 0; beat < 75; beat++) {
        double jitter = (uniform(&rng) - 0.5) * 0.1 * PERIOD;
        if (beat % 5 == 4)
            continue;
        ts[n++] = (uint64_t)(5000 * S + (double)beat * PERIOD + jitter);
    }
    assert_int_equal(n, 60);
    struct beacon_fit f;
    assert_int_equal(beacon_fit(ts, NULL, n, &params, &f), 0);
    assert_int_equal(f.intervals, 59);
    assert_int_equal(f.fitting, 59);
    assert_true(fabs(f.period_ns - PERIOD) / PERIOD < 0.01);
    assert_true(fabs(f.missed_share - 14.0 / 73.0) < 1e-9);
    assert_true(f.dispersion < 0.05);
}

static void test_beacon_fit_random_arrivals_do_not_fit(void **state)
{
    (void)state;
    /* Exponential intervals with a mean of 60 s: no period explains most of them. */
    for (uint64_t seed = 1; seed <= 5; seed++) {
        uint64_t ts[60];
        uint64_t rng = seed * 7919;
        double t = 0;
        for (size_t i = 0; i < 60; i++) {
            t += -log(1.0 - uniform(&rng)) * PERIOD;
            ts[i] = (uint64_t)t;
        }
        struct beacon_fit f;
        assert_int_equal(beacon_fit(ts, NULL, 60, &params, &f), 0);
        if (f.fit_share >= 0.5)
            fail_msg("seed %llu: random arrivals fit a period of %.1f s, share %.2f",
                     (unsigned long long)seed, f.period_ns / S, f.fit_share);
    }
}

static void test_beacon_fit_short_series_with_a_missed_beat(void **state)
{
    (void)state;
    /* 0, 60, 180: 60 s with one beat missed (2 intervals, 3 beats), not 120 s fitting one. */
    const uint64_t ts[] = {0, (uint64_t)(60 * S), (uint64_t)(180 * S)};
    struct beacon_fit f;
    assert_int_equal(beacon_fit(ts, NULL, 3, &params, &f), 0);
    assert_true(f.period_ns == PERIOD);
    assert_int_equal(f.fitting, 2);
    assert_true(fabs(f.missed_share - 1.0 / 3.0) < 1e-12);
    /* With no missed beat allowed, 60 s is out (folded at 60 s the 120 s interval is two
     * beats, one missed); 120 s fits one interval and misses nothing. */
    const struct beacon_fit_params strict = {.tol = 0.1, .max_missed = 0.0};
    assert_int_equal(beacon_fit(ts, NULL, 3, &strict, &f), 0);
    assert_true(f.period_ns == 120 * S);
    assert_int_equal(f.fitting, 1);
}

static void test_beacon_fit_sizes(void **state)
{
    (void)state;
    /* Sorted 98, 100, 100, 102, 500: median 100; deviations 0, 0, 2, 2, 400: MAD 2. */
    const uint64_t ts[] = {0, 10, 20, 30, 40};
    const uint64_t sizes[] = {100, 102, 98, 100, 500};
    struct beacon_fit f;
    assert_int_equal(beacon_fit(ts, sizes, 5, &params, &f), 0);
    assert_true(f.size_median == 100.0);
    assert_true(f.size_mad_rel == 0.02);
    /* Even count: the mean of the middle two. Sorted 0, 0, 10, 30: median 5; deviations 5, 5,
     * 5, 25: MAD 5, relative 1. */
    const uint64_t sizes4[] = {30, 0, 10, 0};
    assert_int_equal(beacon_fit(ts, sizes4, 4, &params, &f), 0);
    assert_true(f.size_median == 5.0);
    assert_true(f.size_mad_rel == 1.0);
    /* A median of 0: no relative figure. */
    const uint64_t zeros[] = {0, 0, 0};
    assert_int_equal(beacon_fit(ts, zeros, 3, &params, &f), 0);
    assert_true(f.size_mad_rel == -1.0);
}

static void test_beacon_fit_invalid_input(void **state)
{
    (void)state;
    const uint64_t ts[] = {0, 10, 5};
    struct beacon_fit f;
    assert_int_equal(beacon_fit(ts, NULL, 2, &params, &f), -EINVAL);
    assert_int_equal(beacon_fit(ts, NULL, 3, &params, &f), -EINVAL); /* out of order */
    assert_int_equal(beacon_fit(NULL, NULL, 3, &params, &f), -EINVAL);
    assert_int_equal(beacon_fit(ts, NULL, 3, NULL, &f), -EINVAL);
    assert_int_equal(beacon_fit(ts, NULL, BEACON_FIT_MAX + 1, &params, &f), -EINVAL);
    assert_true(f.period_ns == 0.0);
    /* All at one time: nothing to fit, period 0. */
    const uint64_t same[] = {7, 7, 7};
    assert_int_equal(beacon_fit(same, NULL, 3, &params, &f), 0);
    assert_true(f.period_ns == 0.0);
    assert_int_equal(f.intervals, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_beacon_fit_exact_period),
            cmocka_unit_test(test_beacon_fit_jitter_and_missed_beats),
            cmocka_unit_test(test_beacon_fit_random_arrivals_do_not_fit),
            cmocka_unit_test(test_beacon_fit_short_series_with_a_missed_beat),
            cmocka_unit_test(test_beacon_fit_sizes),
            cmocka_unit_test(test_beacon_fit_invalid_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
