/*
 * pb_json: FlowRecords built by hand and dumped with sorted keys, compared with JSON written by
 * hand from the rules in common/pb_json.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/pb_json.h"
#include "proto/umbra.pb-c.h"

/* @m as compact JSON with sorted keys; the caller frees. */
static char *dump(const ProtobufCMessage *m)
{
    json_t *j = pb_json_message(m);
    assert_non_null(j);
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(j);
    assert_non_null(s);
    return s;
}

static void assert_json(const ProtobufCMessage *m, const char *expected)
{
    char *s = dump(m);
    assert_string_equal(s, expected);
    free(s);
}

static void test_pb_json_flow_record_by_hand(void **state)
{
    (void)state;
    /* 2001:db8::1 and 2001:db8::2 (RFC 3849), tunnelled between 192.0.2.1 and 198.51.100.7
     * (RFC 5737). */
    uint8_t c6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
    uint8_t c4[4] = {192, 0, 2, 1};
    uint8_t s4[4] = {198, 51, 100, 7};
    uint32_t vlans[] = {10, 20};
    Umbra__Tunnel tun = UMBRA__TUNNEL__INIT;
    tun.type = UMBRA__TUNNEL_TYPE__TUNNEL_TYPE_GRE;
    tun.outer_client_addr = (ProtobufCBinaryData){4, c4};
    tun.outer_server_addr = (ProtobufCBinaryData){4, s4};
    Umbra__FlowKey key = UMBRA__FLOW_KEY__INIT;
    key.ip_proto = 6;
    key.client_addr = (ProtobufCBinaryData){16, c6};
    key.server_addr = (ProtobufCBinaryData){16, s6};
    key.client_port = 51234;
    key.server_port = 443;
    key.n_vlan_ids = 2;
    key.vlan_ids = vlans;
    key.tunnel = &tun;

    Umbra__FlowTiming timing = UMBRA__FLOW_TIMING__INIT;
    timing.first_ts = 1700000000123456789ull;
    timing.last_ts = 1700000001000000000ull;
    timing.syn_synack_ns = (1ull << 63) + 5; /* above INT64_MAX: a string */

    Umbra__DirectionStats client = UMBRA__DIRECTION_STATS__INIT;
    client.packets = 10;
    client.payload_mean = 12.5;
    client.payload_stddev = NAN;                                 /* not a number in JSON: null */
    Umbra__DirectionStats server = UMBRA__DIRECTION_STATS__INIT; /* set, all zero: {} */

    uint32_t lengths[] = {517, 1400, 0}; /* a zero element stays: only empty lists go */
    uint32_t iat[] = {0, 1500, 20};
    protobuf_c_boolean from_server[] = {0, 1, 1};
    float lm[] = {0.5f, 0.5f, 0.25f, 0.75f};
    float im[] = {0.1f};
    Umbra__Splt splt = UMBRA__SPLT__INIT;
    splt.n_lengths = 3;
    splt.lengths = lengths;
    splt.n_iat_us = 3;
    splt.iat_us = iat;
    splt.n_from_server = 3;
    splt.from_server = from_server;
    splt.markov_bins = 2;
    splt.n_length_markov = 4;
    splt.length_markov = lm;
    splt.n_iat_markov = 1;
    splt.iat_markov = im;

    /* MD5("") = d41d8cd98f00b204e9800998ecf8427e (RFC 1321, A.5). */
    uint8_t md5[16] = {0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04,
                       0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e};
    char *alpn[] = {"h2", "http/1.1"};
    uint32_t suites[] = {4865, 4866};
    Umbra__TlsClientHello ch = UMBRA__TLS_CLIENT_HELLO__INIT;
    ch.handshake_version = 0x0303;
    ch.sni = "example.com";
    ch.n_alpn = 2;
    ch.alpn = alpn;
    ch.n_cipher_suites = 2;
    ch.cipher_suites = suites;
    ch.grease = 1;
    ch.ja3_md5 = (ProtobufCBinaryData){16, md5};
    Umbra__TlsInfo tls = UMBRA__TLS_INFO__INIT;
    tls.client = &ch;

    Umbra__FlowRecord r = UMBRA__FLOW_RECORD__INIT;
    r.flow_id = 42;
    r.event = UMBRA__FLOW_EVENT__FLOW_EVENT_END;
    r.key = &key;
    r.timing = &timing;
    r.client = &client;
    r.server = &server;
    r.producer_consumer_ratio = -0.25;
    r.splt = &splt;
    r.tls = &tls;
    r.server_name = "example.com";

    /* Sorted keys. Left out: end_reason, update_seq (zero), tcp, byte_dist_*, ssh, dns, quic,
     * http, scores (unset), and every zero field inside. 0.1f is written as 0.1, which jansson
     * prints with 17 digits. */
    const char *expected =
            "{\"client\":{\"packets\":10,\"payload_mean\":12.5,\"payload_stddev\":null},"
            "\"event\":\"FLOW_EVENT_END\",\"flow_id\":42,"
            "\"key\":{\"client_addr\":\"2001:db8::1\",\"client_port\":51234,\"ip_proto\":6,"
            "\"server_addr\":\"2001:db8::2\",\"server_port\":443,"
            "\"tunnel\":{\"outer_client_addr\":\"192.0.2.1\",\"outer_server_addr\":"
            "\"198.51.100.7\",\"type\":\"TUNNEL_TYPE_GRE\"},\"vlan_ids\":[10,20]},"
            "\"producer_consumer_ratio\":-0.25,\"server\":{},\"server_name\":\"example.com\","
            "\"splt\":{\"from_server\":[false,true,true],\"iat_markov\":[0.10000000000000001],"
            "\"iat_us\":[0,1500,20],\"length_markov\":[0.5,0.5,0.25,0.75],"
            "\"lengths\":[517,1400,0],\"markov_bins\":2},"
            "\"timing\":{\"first_ts\":1700000000123456789,\"last_ts\":1700000001000000000,"
            "\"syn_synack_ns\":\"9223372036854775813\"},"
            "\"tls\":{\"client\":{\"alpn\":[\"h2\",\"http/1.1\"],\"cipher_suites\":[4865,4866],"
            "\"grease\":true,\"handshake_version\":771,"
            "\"ja3_md5\":\"d41d8cd98f00b204e9800998ecf8427e\",\"sni\":\"example.com\"}}}";
    assert_json(&r.base, expected);
}

static void test_pb_json_leaves_zero_fields_out(void **state)
{
    (void)state;
    Umbra__FlowRecord r = UMBRA__FLOW_RECORD__INIT;
    assert_json(&r.base, "{}");
    /* Empty strings, bytes and lists are zero values too. */
    Umbra__FlowKey key = UMBRA__FLOW_KEY__INIT;
    key.client_addr = (ProtobufCBinaryData){0, NULL};
    key.n_vlan_ids = 0;
    r.key = &key;
    r.server_name = "";
    assert_json(&r.base, "{\"key\":{}}");
}

static void test_pb_json_uint64_above_int64_max_is_a_string(void **state)
{
    (void)state;
    Umbra__FlowRecord r = UMBRA__FLOW_RECORD__INIT;
    r.flow_id = (1ull << 63) + 5; /* 9223372036854775808 + 5 */
    assert_json(&r.base, "{\"flow_id\":\"9223372036854775813\"}");
    r.flow_id = UINT64_MAX;
    assert_json(&r.base, "{\"flow_id\":\"18446744073709551615\"}");
    r.flow_id = INT64_MAX; /* still fits json_integer() */
    assert_json(&r.base, "{\"flow_id\":9223372036854775807}");

    /* fixed64 the same way; int64 keeps its sign. */
    Umbra__Hello h = UMBRA__HELLO__INIT;
    h.feature_schema_hash = 0xffffffffffffffffull;
    assert_json(&h.base, "{\"feature_schema_hash\":\"18446744073709551615\"}");
    Umbra__TlsServerHello sh = UMBRA__TLS_SERVER_HELLO__INIT;
    sh.cert_not_before_s = -1;
    assert_json(&sh.base, "{\"cert_not_before_s\":-1}");
}

static void test_pb_json_bytes_enums_and_strings_edge_cases(void **state)
{
    (void)state;
    /* An address field of a length that is no address is hex; other bytes are hex. */
    uint8_t five[5] = {1, 2, 3, 4, 0xab};
    Umbra__AlertHost host = UMBRA__ALERT_HOST__INIT;
    host.addr = (ProtobufCBinaryData){5, five};
    assert_json(&host.base, "{\"addr\":\"01020304ab\"}");
    host.addr = (ProtobufCBinaryData){4, five};
    assert_json(&host.base, "{\"addr\":\"1.2.3.4\"}");
    Umbra__AnomalyModel am = UMBRA__ANOMALY_MODEL__INIT;
    am.blob = (ProtobufCBinaryData){4, five}; /* 4 bytes, but not an address field */
    assert_json(&am.base, "{\"blob\":\"01020304\"}");

    /* An enum value the descriptor does not know is its number. */
    Umbra__FlowRecord r = UMBRA__FLOW_RECORD__INIT;
    r.event = (Umbra__FlowEvent)99;
    assert_json(&r.base, "{\"event\":99}");

    /* A string off the wire that is not UTF-8: the bad byte becomes U+FFFD (EF BF BD). */
    r.event = UMBRA__FLOW_EVENT__FLOW_EVENT_UNSPECIFIED;
    r.server_name = "a\xff"
                    "b\xc3\xa9";
    assert_json(&r.base, "{\"server_name\":\"a\xef\xbf\xbd"
                         "b\xc3\xa9\"}");

    /* Infinities are null like NaN. */
    r.server_name = "";
    r.producer_consumer_ratio = INFINITY;
    assert_json(&r.base, "{\"producer_consumer_ratio\":null}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_pb_json_flow_record_by_hand),
            cmocka_unit_test(test_pb_json_leaves_zero_fields_out),
            cmocka_unit_test(test_pb_json_uint64_above_int64_max_is_a_string),
            cmocka_unit_test(test_pb_json_bytes_enums_and_strings_edge_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
