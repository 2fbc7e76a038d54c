/*
 * Generator buffers. Expected bytes: RFC 9000 A.1's variable-length integer examples; X.690
 * 8.1.3 for definite lengths (127 is 7f, 128 is 81 80, 256 is 82 01 00) and 8.3 for INTEGER's
 * fewest two's-complement octets (128 needs a leading 00, -129 a leading ff).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/support/hexpat.h"
#include "tools/gen/gen_buf.h"

static void test_gen_buf_varints_match_rfc_9000_examples(void **state)
{
    (void)state;
    uint8_t out[32];
    struct gen_buf b;
    gen_buf_init(&b, out, sizeof out);
    gen_buf_varint(&b, 151288809941952652ull);
    gen_buf_varint(&b, 494878333);
    gen_buf_varint(&b, 15293);
    gen_buf_varint(&b, 37);
    hexpat_assert(out, gen_buf_done(&b), "c2197c5eff14e88c 9d7f3e7d 7bbd 25");
    gen_buf_varint(&b, 1ull << 62); /* does not fit 62 bits */
    assert_int_equal(gen_buf_done(&b), 0);
}

static void test_gen_buf_der_lengths_and_integers_are_minimal(void **state)
{
    (void)state;
    uint8_t out[64], body[256];
    memset(body, 0x11, sizeof body);
    struct gen_buf b;
    gen_buf_init(&b, out, sizeof out);
    gen_der_len(&b, 127);
    gen_der_len(&b, 128);
    gen_der_len(&b, 256);
    gen_der_int(&b, 0);
    gen_der_int(&b, 127);
    gen_der_int(&b, 128);
    gen_der_int(&b, -128);
    gen_der_int(&b, -129);
    hexpat_assert(out, gen_buf_done(&b), "7f 8180 820100 020100 02017f 02020080 020180 0202ff7f");

    /* A constructed value closed after 200 bytes of contents gets a two-octet length, the
     * contents moved up behind it. */
    uint8_t big[300];
    gen_buf_init(&b, big, sizeof big);
    size_t seq = gen_der_open(&b, 0x30);
    gen_buf_bytes(&b, body, 200);
    gen_der_close(&b, seq);
    assert_int_equal(gen_buf_done(&b), 3 + 200);
    hexpat_assert(big, 4, "30 81c8 11");
    assert_int_equal(big[202], 0x11);
}

static void test_gen_buf_refuses_what_does_not_fit_and_stays_refused(void **state)
{
    (void)state;
    uint8_t out[8];
    memset(out, 0xee, sizeof out);
    struct gen_buf b;
    gen_buf_init(&b, out, 4);
    gen_buf_be(&b, 0x0102, 2);
    gen_buf_le(&b, 0x0304, 2);
    hexpat_assert(out, 4, "0102 0403");
    gen_buf_be(&b, 5, 1); /* one past the capacity */
    assert_null(gen_buf_room(&b, 0));
    assert_int_equal(gen_buf_done(&b), 0);
    hexpat_assert(out + 4, 4, "eeeeeeee");

    /* A vector longer than its length field can say is an error too. */
    uint8_t big[300];
    gen_buf_init(&b, big, sizeof big);
    size_t at = gen_buf_vec_begin(&b, 1);
    gen_buf_zeros(&b, 256);
    gen_buf_vec_end(&b, at, 1);
    assert_int_equal(gen_buf_done(&b), 0);
}

static void test_gen_buf_vectors_and_patches_fill_in_their_fields(void **state)
{
    (void)state;
    uint8_t out[16];
    struct gen_buf b;
    gen_buf_init(&b, out, sizeof out);
    size_t at = gen_buf_vec_begin(&b, 2);
    gen_buf_bytes(&b, "abc", 3);
    gen_buf_vec_end(&b, at, 2);
    size_t le = b.len;
    gen_buf_le(&b, 0, 4);
    gen_buf_patch_le(&b, le, 0x11223344, 4);
    gen_buf_patch_be(&b, le, 0xaa, 1);
    hexpat_assert(out, gen_buf_done(&b), "0003 616263 aa332211");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gen_buf_varints_match_rfc_9000_examples),
            cmocka_unit_test(test_gen_buf_der_lengths_and_integers_are_minimal),
            cmocka_unit_test(test_gen_buf_refuses_what_does_not_fit_and_stays_refused),
            cmocka_unit_test(test_gen_buf_vectors_and_patches_fill_in_their_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
