/*
 * hll: the register a hash lands in and the rank it leaves there, worked out by hand; estimates
 * of known counts within the paper's error (1.04 / sqrt(m): 4 standard errors allowed, the
 * hashes being fixed, so a pass or a failure is the same every run); the merge equals the
 * sketch of the union register for register; clear and invalid precisions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>
#include <xxhash.h>

#include "common/hll.h"

static uint64_t item(uint64_t i)
{
    return XXH3_64bits(&i, sizeof(i));
}

static void test_hll_register_and_rank_by_hand(void **state)
{
    (void)state;
    struct hll *h = hll_create(4);
    assert_non_null(h);
    assert_int_equal(hll_precision(h), 4);
    /* Top 4 bits 0011: register 3. The rest, shifted up by 4, is 1 << 54: 9 leading zeros,
     * rank 10. */
    hll_add(h, UINT64_C(0x3000000000000000) | (UINT64_C(1) << 50));
    assert_int_equal(hll_register(h, 3), 10);
    /* A smaller rank does not lower it: bit 59 after the shift, 4 zeros, rank 5. */
    hll_add(h, UINT64_C(0x3000000000000000) | (UINT64_C(1) << 55));
    assert_int_equal(hll_register(h, 3), 10);
    /* All 60 low bits zero: the rank stops at 64 - 4 + 1 = 61. */
    hll_add(h, UINT64_C(0xf000000000000000));
    assert_int_equal(hll_register(h, 15), 61);
    assert_int_equal(hll_register(h, 0), 0);
    assert_int_equal(hll_register(h, 16), 0); /* out of range reads as empty */
    hll_destroy(&h);
    assert_null(h);
}

static void test_hll_small_counts_are_close_to_exact(void **state)
{
    (void)state;
    struct hll *h = hll_create(12);
    assert_non_null(h);
    assert_true(hll_estimate(h) == 0.0);
    for (int k = 0; k < 1000; k++)
        hll_add(h, item(7)); /* one item, many times */
    assert_int_equal((long)lround(hll_estimate(h)), 1);
    for (uint64_t i = 0; i < 20; i++)
        hll_add(h, item(100 + i));
    assert_int_equal((long)lround(hll_estimate(h)), 21);
    hll_clear(h);
    assert_true(hll_estimate(h) == 0.0);
    hll_destroy(&h);
}

static void test_hll_estimates_within_the_standard_error(void **state)
{
    (void)state;
    static const unsigned ps[] = {8, 12, 14};
    static const uint64_t ns[] = {100, 1000, 10000, 100000, 1000000};
    for (size_t a = 0; a < sizeof(ps) / sizeof(ps[0]); a++) {
        struct hll *h = hll_create(ps[a]);
        assert_non_null(h);
        double se = 1.04 / sqrt((double)(1u << ps[a]));
        uint64_t added = 0;
        for (size_t b = 0; b < sizeof(ns) / sizeof(ns[0]); b++) {
            for (; added < ns[b]; added++)
                hll_add(h, item(added));
            double err = fabs(hll_estimate(h) - (double)ns[b]) / (double)ns[b];
            if (err > 4 * se)
                fail_msg("p=%u n=%llu: relative error %.4f over 4 x %.4f", ps[a],
                         (unsigned long long)ns[b], err, se);
        }
        hll_destroy(&h);
    }
}

static void test_hll_merge_is_the_sketch_of_the_union(void **state)
{
    (void)state;
    struct hll *a = hll_create(10), *b = hll_create(10), *u = hll_create(10);
    struct hll *other = hll_create(11);
    assert_true(a && b && u && other);
    for (uint64_t i = 0; i < 5000; i++)
        hll_add(a, item(i));
    for (uint64_t i = 2500; i < 7500; i++)
        hll_add(b, item(i));
    for (uint64_t i = 0; i < 7500; i++)
        hll_add(u, item(i));
    assert_int_equal(hll_merge(a, b), 0);
    for (size_t i = 0; i < 1024; i++)
        assert_int_equal(hll_register(a, i), hll_register(u, i));
    assert_true(hll_estimate(a) == hll_estimate(u));
    /* Different precisions do not merge, and nothing changes. */
    assert_int_equal(hll_merge(a, other), -EINVAL);
    assert_true(hll_estimate(a) == hll_estimate(u));
    hll_destroy(&a);
    hll_destroy(&b);
    hll_destroy(&u);
    hll_destroy(&other);
}

static void test_hll_refuses_invalid_precision(void **state)
{
    (void)state;
    assert_null(hll_create(HLL_P_MIN - 1));
    assert_null(hll_create(HLL_P_MAX + 1));
    struct hll *h = hll_create(HLL_P_MAX);
    assert_non_null(h);
    hll_destroy(&h);
    hll_destroy(&h);
    hll_destroy(NULL);
}

static void test_hll_in_place_behaves_like_a_created_one(void **state)
{
    (void)state;
    assert_int_equal(hll_bytes(HLL_P_MIN - 1), 0);
    size_t n = hll_bytes(8);
    assert_true(n >= 256);
    _Alignas(16) static uint8_t mem[2][512];
    memset(mem, 0xa5, sizeof(mem)); /* whatever was there before is cleared */
    assert_null(hll_init(mem[0], n - 1, 8));
    assert_null(hll_init(mem[0] + 1, n, 8));
    struct hll *a = hll_init(mem[0], sizeof(mem[0]), 8);
    struct hll *b = hll_create(8);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(hll_estimate(a) == 0.0);
    for (uint64_t i = 1; i <= 500; i++) {
        uint64_t h = i * 0x9e3779b97f4a7c15ull;
        hll_add(a, h);
        hll_add(b, h);
    }
    assert_true(hll_estimate(a) == hll_estimate(b));
    struct hll *c = hll_init(mem[1], sizeof(mem[1]), 8);
    assert_int_equal(hll_merge(c, a), 0);
    assert_true(hll_estimate(c) == hll_estimate(b));
    hll_destroy(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_hll_register_and_rank_by_hand),
            cmocka_unit_test(test_hll_small_counts_are_close_to_exact),
            cmocka_unit_test(test_hll_estimates_within_the_standard_error),
            cmocka_unit_test(test_hll_merge_is_the_sketch_of_the_union),
            cmocka_unit_test(test_hll_refuses_invalid_precision),
            cmocka_unit_test(test_hll_in_place_behaves_like_a_created_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
