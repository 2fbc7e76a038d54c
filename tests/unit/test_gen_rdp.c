/*
 * gen_rdp: the Connection Request and Connection Confirm are the [MS-RDPBCGR] layouts, with
 * the TPKT and X.224 lengths counting the cookie, and bad user names or short buffers give 0.
 *
 * Expected bytes: the specification's own examples, [MS-RDPBCGR] 4.1.1 (Client X.224 Connection
 * Request PDU, user "eltons") and 4.1.2 (Server X.224 Connection Confirm PDU), changed only
 * where this module asks for more: requestedProtocols PROTOCOL_SSL | PROTOCOL_HYBRID (3) instead
 * of the example's PROTOCOL_RDP, and a response with flags 0x1f selecting PROTOCOL_HYBRID (2)
 * instead of the example's 0 and PROTOCOL_RDP.
 *
 * Checked with tshark 4.0.17 (throwaway harness in /tmp, not in the repository): three TCP
 * connections to port 3389 (users "alice", "Administrator" and none), each with the request and
 * the confirm. `tshark -T fields -e _ws.malformed -e _ws.expert.severity -e cotp.type -e
 * rdp.rt_cookie -e rdp.neg_type -e rdp.negReq.requestedProtocols -e rdp.negRsp.flags -e
 * rdp.negReq.selectedProtocol` read back CR (0x0e) and CC (0x0d) TPDUs, "Cookie:
 * mstshash=alice" and "...=Administrator", negotiation types 1 and 2, requested protocols 3,
 * flags 0x1f and selected protocol CredSSP (2), with source reference 0x1234, no malformed
 * packet and no expert info.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tests/unit/support/hexpat.h"
#include "tools/gen/gen_rdp.h"

static void test_gen_rdp_request_matches_the_specification_example(void **state)
{
    (void)state;
    uint8_t out[128];
    size_t n = gen_rdp_connection_request(out, sizeof out, "eltons", NULL);
    /* [MS-RDPBCGR] 4.1.1 */
    hexpat_assert(out, n,
                  "03 00 002c" /* TPKT: version 3, reserved, length 44 */
                  "27"         /* X.224 length indicator 39 */
                  "e0"         /* TPDU_CONNECTION_REQUEST */
                  "0000 0000"  /* destination and source references */
                  "00"         /* class and options */
                  /* "Cookie: mstshash=eltons" CR LF */
                  "436f6f6b69653a206d737473686173683d656c746f6e73 0d0a"
                  "01"         /* RDP_NEG_REQ::type TYPE_RDP_NEG_REQ */
                  "00"         /* flags */
                  "0800"       /* length 8 */
                  "03000000"); /* requestedProtocols: SSL | HYBRID (the example has 0) */
}

static void test_gen_rdp_confirm_matches_the_specification_example(void **state)
{
    (void)state;
    uint8_t out[64];
    size_t n = gen_rdp_connection_confirm(out, sizeof out, NULL);
    /* [MS-RDPBCGR] 4.1.2 */
    hexpat_assert(out, n,
                  "03 00 0013" /* TPKT: version 3, reserved, length 19 */
                  "0e"         /* X.224 length indicator 14 */
                  "d0"         /* TPDU_CONNECTION_CONFIRM */
                  "0000"       /* destination reference */
                  "1234"       /* source reference 0x1234, as in the example */
                  "00"         /* class and options */
                  "02"         /* RDP_NEG_RSP::type TYPE_RDP_NEG_RSP */
                  "1f"         /* flags (the example has 0) */
                  "0800"       /* length 8 */
                  "02000000"); /* selectedProtocol HYBRID (the example has PROTOCOL_RDP, 0) */
}

static void test_gen_rdp_lengths_follow_the_user_name(void **state)
{
    (void)state;
    uint8_t out[512];
    /* 17 + 13 + 2 = 32 bytes of cookie: LI 6 + 32 + 8 = 46, TPKT 4 + 1 + 46 = 51 */
    size_t n = gen_rdp_connection_request(out, sizeof out, "Administrator", NULL);
    assert_int_equal(n, 51);
    assert_int_equal(out[3], 51);
    assert_int_equal(out[4], 46);
    assert_memory_equal(out + 11, "Cookie: mstshash=Administrator\r\n", 32);
    /* no user, no cookie: LI 14, TPKT 19 */
    n = gen_rdp_connection_request(out, sizeof out, NULL, NULL);
    assert_int_equal(n, 19);
    assert_int_equal(out[4], 14);
    assert_int_equal(out[11], 0x01);
    assert_int_equal(gen_rdp_connection_request(out, sizeof out, "", NULL), 19);
}

static void test_gen_rdp_longest_user_keeps_length_indicator_in_a_byte(void **state)
{
    (void)state;
    char user[GEN_RDP_USER_MAX + 2];
    memset(user, 'u', sizeof user);
    user[GEN_RDP_USER_MAX] = '\0';
    uint8_t out[512];
    size_t n = gen_rdp_connection_request(out, sizeof out, user, NULL);
    /* LI = 6 + 17 + 200 + 2 + 8 = 233 */
    assert_int_equal(n, 4 + 1 + 233);
    assert_int_equal(out[4], 233);
    user[GEN_RDP_USER_MAX] = 'u';
    user[GEN_RDP_USER_MAX + 1] = '\0';
    assert_int_equal(gen_rdp_connection_request(out, sizeof out, user, NULL), 0);
}

static void test_gen_rdp_rejects_control_characters_in_user(void **state)
{
    (void)state;
    uint8_t out[512];
    assert_int_equal(gen_rdp_connection_request(out, sizeof out, "a\r\nb", NULL), 0);
    assert_int_equal(gen_rdp_connection_request(out, sizeof out, "a\tb", NULL), 0);
    assert_int_equal(gen_rdp_connection_request(out, sizeof out, "caf\xc3\xa9", NULL), 0);
    assert_int_equal(gen_rdp_connection_request(NULL, sizeof out, "a", NULL), 0);
    assert_int_equal(gen_rdp_connection_confirm(NULL, sizeof out, NULL), 0);
}

static void test_gen_rdp_short_buffers_give_zero_and_nothing_past_cap(void **state)
{
    (void)state;
    for (size_t cap = 0; cap < 44; cap++) {
        uint8_t buf[64];
        memset(buf, 0xee, sizeof buf);
        assert_int_equal(gen_rdp_connection_request(buf, cap, "eltons", NULL), 0);
        if (cap < 19)
            assert_int_equal(gen_rdp_connection_confirm(buf, cap, NULL), 0);
        for (size_t i = 0; i < sizeof buf; i++)
            assert_int_equal(buf[i], 0xee);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gen_rdp_request_matches_the_specification_example),
            cmocka_unit_test(test_gen_rdp_confirm_matches_the_specification_example),
            cmocka_unit_test(test_gen_rdp_lengths_follow_the_user_name),
            cmocka_unit_test(test_gen_rdp_longest_user_keeps_length_indicator_in_a_byte),
            cmocka_unit_test(test_gen_rdp_rejects_control_characters_in_user),
            cmocka_unit_test(test_gen_rdp_short_buffers_give_zero_and_nothing_past_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
