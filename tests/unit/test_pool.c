/*
 * pool: lending and returning entries, exhaustion counted, an empty pool refusing everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/pool.h"

static void test_pool_lends_until_empty_then_counts(void **state)
{
    (void)state;
    struct pool *p = pool_create("t", 3, 100, NULL);
    assert_non_null(p);
    uint32_t a = pool_take(p), b = pool_take(p), c = pool_take(p);
    assert_true(a && b && c && a != b && b != c && a != c);
    /* Entries are 100 bytes rounded up to 112 and do not overlap. */
    memset(pool_at(p, a), 1, 100);
    memset(pool_at(p, b), 2, 100);
    memset(pool_at(p, c), 3, 100);
    assert_int_equal(((uint8_t *)pool_at(p, a))[99], 1);
    assert_int_equal(((uint8_t *)pool_at(p, b))[0], 2);
    assert_int_equal(pool_take(p), 0);
    struct pool_stats st;
    pool_stats(p, &st);
    assert_int_equal(st.in_use, 3);
    assert_int_equal(st.max_used, 3);
    assert_int_equal(st.exhausted, 1);
    pool_give(p, b);
    pool_give(p, 0);                   /* ignored */
    assert_int_equal(pool_take(p), b); /* the one just returned comes back first */
    pool_give(p, a);
    pool_give(p, b);
    pool_give(p, c);
    pool_stats(p, &st);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.taken, 4);
    assert_true(pool_memory(p) >= 3 * 112);
    pool_destroy(&p);
    assert_null(p);
    pool_destroy(&p);
}

static void test_pool_of_zero_entries_refuses(void **state)
{
    (void)state;
    struct pool *p = pool_create("t", 0, 64, NULL);
    assert_non_null(p);
    assert_int_equal(pool_take(p), 0);
    pool_destroy(&p);
    assert_null(pool_create("t", 1, 0, NULL)); /* entries of no size */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_pool_lends_until_empty_then_counts),
            cmocka_unit_test(test_pool_of_zero_entries_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
