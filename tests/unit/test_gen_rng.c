/*
 * Generator randomness. Reference outputs: xoshiro256** from the state {1, 2, 3, 4} gives
 * 11520, 0, 1509978240, 1215971899390074240 (the published reference implementation, checked
 * here with an independent Python transcription of the algorithm); splitmix64 from the state 0
 * gives 0xe220a8397b1dcdaf then 0x6e789e6aa1b965f4 (the sequence Java's SplittableRandom
 * documents for seed 0).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tools/gen/gen_rng.h"

static void test_gen_rng_xoshiro_matches_the_reference_sequence(void **state)
{
    (void)state;
    struct gen_rng r = {.s = {1, 2, 3, 4}};
    assert_int_equal(gen_rng_next(&r), 11520u);
    assert_int_equal(gen_rng_next(&r), 0u);
    assert_int_equal(gen_rng_next(&r), 1509978240u);
    assert_int_equal(gen_rng_next(&r), 1215971899390074240ull);
}

static void test_gen_rng_mix_is_splitmix64(void **state)
{
    (void)state;
    assert_int_equal(gen_rng_mix(0), 0xe220a8397b1dcdafull);
    assert_int_equal(gen_rng_mix(0x9e3779b97f4a7c15ull), 0x6e789e6aa1b965f4ull);
}

static void test_gen_rng_streams_depend_on_seed_and_id_only(void **state)
{
    (void)state;
    struct gen_rng a, b, c, d;
    gen_rng_init(&a, 7, 1);
    gen_rng_init(&b, 7, 1);
    gen_rng_init(&c, 7, 2);
    gen_rng_init(&d, 8, 1);
    uint64_t va = gen_rng_next(&a);
    assert_int_equal(va, gen_rng_next(&b));
    assert_int_not_equal(va, gen_rng_next(&c));
    assert_int_not_equal(va, gen_rng_next(&d));
}

static void test_gen_rng_below_stays_in_range_and_covers_it(void **state)
{
    (void)state;
    struct gen_rng r;
    gen_rng_init(&r, 1, 1);
    int seen[7] = {0};
    for (int i = 0; i < 7000; i++) {
        uint64_t v = gen_rng_below(&r, 7);
        assert_true(v < 7);
        seen[v]++;
    }
    /* 1000 expected per value; 5 standard deviations is about 150. */
    for (int i = 0; i < 7; i++)
        assert_in_range(seen[i], 850, 1150);
    assert_int_equal(gen_rng_below(&r, 0), 0);
    assert_int_equal(gen_rng_range(&r, 5, 5), 5);
}

static void test_gen_rng_distributions_have_their_means(void **state)
{
    (void)state;
    struct gen_rng r;
    gen_rng_init(&r, 3, 9);
    const int n = 200000;
    double exp_sum = 0, norm_sum = 0, norm_sq = 0, logn_below = 0;
    for (int i = 0; i < n; i++) {
        exp_sum += gen_rng_exp(&r, 2.0);
        double x = gen_rng_normal(&r, 1.0, 3.0);
        norm_sum += x;
        norm_sq += (x - 1.0) * (x - 1.0);
        logn_below += gen_rng_lognormal(&r, 100.0, 1.0) < 100.0;
    }
    /* Means within a few standard errors (sd/sqrt(n)): exponential 2/447, normal 3/447. */
    assert_true(fabs(exp_sum / n - 2.0) < 0.03);
    assert_true(fabs(norm_sum / n - 1.0) < 0.04);
    assert_true(fabs(sqrt(norm_sq / n) - 3.0) < 0.04);
    /* Half of a log-normal lies below its median. */
    assert_true(fabs(logn_below / n - 0.5) < 0.01);
}

static void test_gen_rng_pick_follows_weights(void **state)
{
    (void)state;
    struct gen_rng r;
    gen_rng_init(&r, 5, 5);
    const double w[3] = {1, 0, 3};
    int seen[3] = {0};
    for (int i = 0; i < 40000; i++)
        seen[gen_rng_pick(&r, w, 3)]++;
    assert_int_equal(seen[1], 0);
    assert_in_range(seen[0], 9400, 10600); /* 10000 expected, sd 87 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gen_rng_xoshiro_matches_the_reference_sequence),
            cmocka_unit_test(test_gen_rng_mix_is_splitmix64),
            cmocka_unit_test(test_gen_rng_streams_depend_on_seed_and_id_only),
            cmocka_unit_test(test_gen_rng_below_stays_in_range_and_covers_it),
            cmocka_unit_test(test_gen_rng_distributions_have_their_means),
            cmocka_unit_test(test_gen_rng_pick_follows_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
