/*
 * region: zeroed mappings of any size, 2 MiB-aligned when huge pages are asked for and the
 * size is at least 2 MiB, given back cleanly (twice is harmless).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/region.h"

#define MIB ((size_t)1 << 20)

static void check_zeroed_and_writable(uint8_t *m, size_t size)
{
    assert_int_equal(m[0], 0);
    assert_int_equal(m[size / 2], 0);
    assert_int_equal(m[size - 1], 0);
    m[0] = 1;
    m[size - 1] = 2;
    assert_int_equal(m[0] + m[size - 1], 3);
}

static void test_region_small_is_page_aligned_and_zeroed(void **state)
{
    (void)state;
    struct region r;
    uint8_t *m = region_map(&r, 10000, REGION_HUGE_PAGES); /* under 2 MiB: plain pages */
    assert_non_null(m);
    assert_int_equal((uintptr_t)m % 4096, 0);
    assert_true(r.len >= 10000);
    check_zeroed_and_writable(m, 10000);
    region_unmap(&r);
    assert_null(r.map);
    region_unmap(&r); /* harmless */
}

static void test_region_large_huge_is_2mib_aligned(void **state)
{
    (void)state;
    struct region r;
    size_t size = 5 * MIB + 123;
    uint8_t *m = region_map(&r, size, REGION_HUGE_PAGES);
    assert_non_null(m);
    assert_int_equal((uintptr_t)m % (2 * MIB), 0);
    /* The aligned array lies inside the mapping. */
    assert_true(m >= (uint8_t *)r.map && m + size <= (uint8_t *)r.map + r.len);
    check_zeroed_and_writable(m, size);
    region_unmap(&r);

    m = region_map(&r, size, REGION_SMALL_PAGES);
    assert_non_null(m);
    assert_int_equal(r.len, size); /* no over-allocation without huge pages */
    check_zeroed_and_writable(m, size);
    region_unmap(&r);
}

static void test_region_zero_and_refused_sizes(void **state)
{
    (void)state;
    struct region r;
    assert_null(region_map(&r, 0, REGION_SMALL_PAGES));
    assert_null(r.map);
    /* More address space than any machine has: refused, nothing recorded. */
    assert_null(region_map(&r, SIZE_MAX / 2, REGION_SMALL_PAGES));
    assert_null(r.map);
    region_unmap(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_region_small_is_page_aligned_and_zeroed),
            cmocka_unit_test(test_region_large_huge_is_2mib_aligned),
            cmocka_unit_test(test_region_zero_and_refused_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
