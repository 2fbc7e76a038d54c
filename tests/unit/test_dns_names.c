/*
 * dns_names: the bounded address -> name map: found after an answer, renamed by a later answer,
 * and a full set giving up its least recently answered entry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sensor/dns_names.h"

static void test_dns_names_find_rename_and_miss(void **state)
{
    (void)state;
    struct dns_names *dn = dns_names_create(16, 7, NULL);
    assert_non_null(dn);
    const uint8_t v4[4] = {192, 0, 2, 1};
    uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
    v6[15] = 1;
    dns_names_add(dn, v4, 4, "a.example", 10);
    dns_names_add(dn, v6, 16, "b.example", 11);
    assert_string_equal(dns_names_find(dn, v4, 4), "a.example");
    assert_string_equal(dns_names_find(dn, v6, 16), "b.example");
    dns_names_add(dn, v4, 4, "a.example", 12); /* the same answer again */
    dns_names_add(dn, v4, 4, "c.example", 13); /* the address now answers another name */
    assert_string_equal(dns_names_find(dn, v4, 4), "c.example");
    const uint8_t other[4] = {192, 0, 2, 2};
    assert_null(dns_names_find(dn, other, 4));
    /* The first 4 bytes of v6 are not an IPv4 address of the map. */
    assert_null(dns_names_find(dn, v6, 4));
    struct dns_names_stats st;
    dns_names_stats(dn, &st);
    assert_int_equal(st.inserted, 3);
    assert_int_equal(st.refreshed, 1);
    assert_int_equal(st.hits, 3);
    assert_int_equal(st.misses, 2);
    dns_names_destroy(&dn);
    assert_null(dn);
}

/* A map of 4 entries is one set: the fifth address replaces the least recently answered one
 * (the entry refreshed at t=50 survives, the one from t=20 goes). */
static void test_dns_names_full_set_replaces_oldest(void **state)
{
    (void)state;
    struct dns_names *dn = dns_names_create(4, 7, NULL);
    assert_non_null(dn);
    uint8_t a[5][4];
    for (int i = 0; i < 5; i++) {
        a[i][0] = 198;
        a[i][1] = 51;
        a[i][2] = 100;
        a[i][3] = (uint8_t)i;
    }
    dns_names_add(dn, a[0], 4, "n0", 10);
    dns_names_add(dn, a[1], 4, "n1", 20);
    dns_names_add(dn, a[2], 4, "n2", 30);
    dns_names_add(dn, a[3], 4, "n3", 40);
    dns_names_add(dn, a[0], 4, "n0", 50);
    dns_names_add(dn, a[4], 4, "n4", 60);
    assert_string_equal(dns_names_find(dn, a[0], 4), "n0");
    assert_null(dns_names_find(dn, a[1], 4));
    assert_string_equal(dns_names_find(dn, a[4], 4), "n4");
    struct dns_names_stats st;
    dns_names_stats(dn, &st);
    assert_int_equal(st.replaced, 1);
    dns_names_destroy(&dn);
}

static void test_dns_names_refuses_bad_sizes(void **state)
{
    (void)state;
    assert_null(dns_names_create(0, 0, NULL));
    assert_null(dns_names_create((1u << 24) + 1, 0, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_dns_names_find_rename_and_miss),
            cmocka_unit_test(test_dns_names_full_set_replaces_oldest),
            cmocka_unit_test(test_dns_names_refuses_bad_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
