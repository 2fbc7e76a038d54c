/*
 * digest: the published test vectors of MD5 (RFC 1321 A.5) and SHA-256 (FIPS 180-2 B.1),
 * hashed twice in a row to show the reused context starts clean.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/digest.h"

static void test_digest_md5_rfc1321_vectors(void **state)
{
    (void)state;
    struct digest *d = digest_create(NULL);
    assert_non_null(d);
    uint8_t out[DIGEST_MD5_LEN];
    char hex[2 * DIGEST_MD5_LEN + 1];
    for (int round = 0; round < 2; round++) {
        assert_int_equal(digest_md5(d, "", 0, out), 0);
        digest_hex(out, sizeof(out), hex);
        assert_string_equal(hex, "d41d8cd98f00b204e9800998ecf8427e");
        assert_int_equal(digest_md5(d, "abc", 3, out), 0);
        digest_hex(out, sizeof(out), hex);
        assert_string_equal(hex, "900150983cd24fb0d6963f7d28e17f72");
        const char *alpha = "abcdefghijklmnopqrstuvwxyz";
        assert_int_equal(digest_md5(d, alpha, strlen(alpha), out), 0);
        digest_hex(out, sizeof(out), hex);
        assert_string_equal(hex, "c3fcd3d76192e4007dfb496cca67e13b");
    }
    digest_destroy(&d);
    assert_null(d);
    digest_destroy(&d); /* NULL-safe */
}

static void test_digest_sha256_fips_vector(void **state)
{
    (void)state;
    struct digest *d = digest_create(NULL);
    assert_non_null(d);
    uint8_t out[DIGEST_SHA256_LEN];
    char hex[2 * DIGEST_SHA256_LEN + 1];
    assert_int_equal(digest_sha256(d, "abc", 3, out), 0);
    digest_hex(out, sizeof(out), hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    digest_destroy(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_digest_md5_rfc1321_vectors),
            cmocka_unit_test(test_digest_sha256_fips_vector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
