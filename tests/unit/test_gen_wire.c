/*
 * Generator wire format. The IPv4 header checksum is checked against the worked example of
 * RFC 1071's method that is in every textbook: 4500 0073 0000 4000 4011 xxxx c0a8 0001 c0a8
 * 00c7 has checksum 0xb861. TCP and UDP checksums are checked the receiver's way (RFC 1071):
 * the ones'-complement sum over pseudo-header and segment, checksum included, is 0xffff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tools/gen/gen_wire.h"

static struct gen_wire_hdr base(uint8_t proto)
{
    struct gen_wire_hdr h;
    memset(&h, 0, sizeof h);
    h.src_ip = 0xc0a80001; /* 192.168.0.1 */
    h.dst_ip = 0xc0a800c7; /* 192.168.0.199 */
    h.ttl = 64;
    h.proto = proto;
    h.dont_fragment = 1;
    h.sport = 1234;
    h.dport = 53;
    return h;
}

static void test_gen_wire_ipv4_checksum_matches_the_textbook_header(void **state)
{
    (void)state;
    struct gen_wire_hdr h = base(17);
    uint8_t frame[256] = {0};
    /* Total length 0x73 = 115: 20 IP + 8 UDP + 87 payload. */
    size_t len = gen_wire_finish(&h, frame, 87);
    assert_int_equal(len, 14 + 115);
    const uint8_t *ip = frame + 14;
    assert_int_equal(ip[2] << 8 | ip[3], 0x73);
    assert_int_equal(ip[6], 0x40);
    assert_int_equal(ip[10] << 8 | ip[11], 0xb861);
}

static uint32_t l4_sum(const uint8_t *frame, size_t len)
{
    const uint8_t *ip = frame + 14;
    size_t l4_len = len - 34;
    uint8_t pseudo[12];
    memcpy(pseudo, ip + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = ip[9];
    pseudo[10] = (uint8_t)(l4_len >> 8);
    pseudo[11] = (uint8_t)l4_len;
    return gen_wire_csum(gen_wire_csum(0, pseudo, 12), frame + 34, l4_len);
}

static void test_gen_wire_tcp_and_udp_checksums_verify(void **state)
{
    (void)state;
    uint8_t frame[1600];
    struct gen_wire_hdr t = base(6);
    t.seq = 0x01020304;
    t.ack = 0xa0b0c0d0;
    t.flags = GEN_TCP_ACK | GEN_TCP_PSH;
    t.win = 501;
    t.opt_len = 12;
    memcpy(t.opt, "\x01\x01\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x02", 12);
    size_t hl = gen_wire_hdr_len(&t);
    assert_int_equal(hl, 14 + 20 + 32);
    for (size_t i = 0; i < 333; i++) /* odd length: the last byte is padded (RFC 1071) */
        frame[hl + i] = (uint8_t)(i * 7);
    size_t len = gen_wire_finish(&t, frame, 333);
    assert_int_equal(frame[14 + 20 + 12], 8 << 4); /* data offset: 32 bytes */
    assert_int_equal(l4_sum(frame, len), 0xffff);

    struct gen_wire_hdr u = base(17);
    hl = gen_wire_hdr_len(&u);
    memset(frame + hl, 0xab, 48);
    len = gen_wire_finish(&u, frame, 48);
    assert_int_equal(frame[34 + 4] << 8 | frame[34 + 5], 56); /* UDP length */
    assert_int_equal(l4_sum(frame, len), 0xffff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gen_wire_ipv4_checksum_matches_the_textbook_header),
            cmocka_unit_test(test_gen_wire_tcp_and_udp_checksums_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
