/*
 * flow_record: the END record of tests/data/tls12-zeek-sample.pcap's one TLS flow, built by the
 * real capture, decode, flow table, features and payload modules, packed by protobuf-c and read
 * back. Expected values from tshark 4.0 on the same file:
 *   tshark -r tls12-zeek-sample.pcap -T fields -e ip.src -e tcp.srcport -e tcp.len
 *     10.0.0.80:56637 sent 13 packets, 713 payload bytes; 68.233.76.12:443 sent 9, 6036.
 *   tshark ... -e tls.handshake.ja3 -e tls.handshake.ja3s -e tls.handshake.ciphersuite
 *     ja3 bd9c99b3a0f752c3ab8b052a79e9de3e (80 suites offered), ja3s
 *     c253ec3ad88e42f8da4032682892f9a0, chosen suite 0x0004.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "sensor/capture.h"
#include "sensor/decode.h"
#include "sensor/flow_record.h"
#include "sensor/flow_table.h"

#define DATA(name) UMBRA_TEST_DATA_DIR "/" name

struct run {
    struct flow_table *ft;
    struct features *fs;
    struct payload *pl;
    struct flow_record_buf buf;
    uint8_t packed[65536];
    size_t packed_len;
    int ends;
};

static void on_packet(void *ctx, uint32_t slot, int dir, const struct flow *f,
                      const struct pkt *pkt, bool first)
{
    struct run *r = ctx;
    features_packet(r->fs, slot, dir, f, pkt, first);
    payload_packet(r->pl, slot, dir, f, pkt, first);
}

static void on_event(void *ctx, const struct flow_event *ev)
{
    struct run *r = ctx;
    if (ev->type != FLOW_EVENT_END)
        return;
    flow_record_fill(&r->buf, ev, r->fs, r->pl);
    size_t n = protobuf_c_message_get_packed_size(&r->buf.rec.base);
    assert_true(n <= sizeof(r->packed));
    r->packed_len = protobuf_c_message_pack(&r->buf.rec.base, r->packed);
    assert_int_equal(r->packed_len, n);
    r->ends++;
    payload_flow_end(r->pl, ev->slot);
}

static void on_frame(void *ctx, const struct capture_frame *f)
{
    struct run *r = ctx;
    struct pkt p;
    if (decode_frame(f, &p) == DECODE_OK)
        flow_table_packet(r->ft, &p);
}

static void hex_is(ProtobufCBinaryData b, const char *want)
{
    char hex[2 * 16 + 1];
    assert_int_equal(b.len, 16);
    digest_hex(b.data, b.len, hex);
    assert_string_equal(hex, want);
}

/* Runs @capture through the real modules; @r ends with the packed record of its last END. */
static void run_capture(struct run *r, const char *capture)
{
    memset(r, 0, sizeof(*r));
    struct features_config xc = {.max_flows = 16, .splt_len = 50};
    struct payload_config pc = {.max_flows = 16,
                                .prefix = 4096,
                                .hist_buffers = 8,
                                .raw_buffers = 8,
                                .handshakes = true,
                                .stream_buffers = 4,
                                .meta_records = 4,
                                .dns_names = 16};
    r->fs = features_create(&xc, NULL);
    r->pl = payload_create(&pc, NULL);
    struct flow_table_config fc = {.max_flows = 16,
                                   .tcp_idle_ns = 300000000000ULL,
                                   .udp_idle_ns = 60000000000ULL,
                                   .other_idle_ns = 60000000000ULL,
                                   .frag_slots = 4,
                                   .on_packet = on_packet,
                                   .packet_ctx = r};
    r->ft = flow_table_create(&fc, on_event, r, NULL);
    assert_non_null(r->fs);
    assert_non_null(r->pl);
    assert_non_null(r->ft);
    struct capture_config cc = {.mode = CAPTURE_OFFLINE, .source = capture};
    struct capture *cap = capture_create(&cc, on_frame, r, NULL);
    assert_non_null(cap);
    assert_int_equal(capture_run(cap, 0), 0);
    flow_table_flush(r->ft, FLOW_END_SHUTDOWN);
    capture_destroy(&cap);
    flow_table_destroy(&r->ft);
    payload_destroy(&r->pl);
    features_destroy(&r->fs);
}

static void test_flow_record_tls_flow_round_trips(void **state)
{
    (void)state;
    static struct run r;
    run_capture(&r, DATA("tls12-zeek-sample.pcap"));
    assert_int_equal(r.ends, 1);

    Umbra__FlowRecord *rec = umbra__flow_record__unpack(NULL, r.packed_len, r.packed);
    assert_non_null(rec);
    assert_int_equal(rec->event, UMBRA__FLOW_EVENT__FLOW_EVENT_END);
    assert_int_equal(rec->key->ip_proto, 6);
    const uint8_t client[4] = {10, 0, 0, 80}, server[4] = {68, 233, 76, 12};
    assert_int_equal(rec->key->client_addr.len, 4);
    assert_memory_equal(rec->key->client_addr.data, client, 4);
    assert_memory_equal(rec->key->server_addr.data, server, 4);
    assert_int_equal(rec->key->client_port, 56637);
    assert_int_equal(rec->key->server_port, 443);
    assert_int_equal(rec->client->packets, 13);
    assert_int_equal(rec->client->payload_bytes, 713);
    assert_int_equal(rec->server->packets, 9);
    assert_int_equal(rec->server->payload_bytes, 6036);
    assert_non_null(rec->tcp);
    assert_int_equal(rec->tcp->client->syn, 1);
    /* pcr = (713 - 6036) / (713 + 6036) = -5323 / 6749 = -0.788709... */
    assert_true(rec->producer_consumer_ratio < -0.7887 && rec->producer_consumer_ratio > -0.7888);
    assert_non_null(rec->splt);
    assert_int_equal(rec->splt->n_lengths, rec->splt->n_iat_us);
    assert_int_equal(rec->splt->n_length_markov, 100);
    assert_non_null(rec->byte_dist_client);
    assert_int_equal(rec->byte_dist_client->bytes, 713); /* all of it: under 4096 */
    assert_int_equal(rec->byte_dist_server->bytes, 4096);
    assert_non_null(rec->tls);
    assert_non_null(rec->tls->client);
    hex_is(rec->tls->client->ja3_md5, "bd9c99b3a0f752c3ab8b052a79e9de3e");
    assert_int_equal(rec->tls->client->n_cipher_suites, HS_TLS_CIPHERS_MAX); /* 80 offered, cut */
    assert_int_equal(rec->tls->client->cipher_suites[0], 0xc030);
    assert_non_null(rec->tls->server);
    hex_is(rec->tls->server->ja3s_md5, "c253ec3ad88e42f8da4032682892f9a0");
    assert_int_equal(rec->tls->server->cipher_suite, 0x0004);
    umbra__flow_record__free_unpacked(rec, NULL);
}

/* A QUIC flow: version 1 and the Initial's ClientHello. tshark 4.0 on
 * quic-firefox102-initials-zeek.pcap: quic.version 0x00000001, tls.handshake.
 * extensions_server_name blog.cloudflare.com, tls.handshake.ja3
 * b719940c5ab9a3373cb4475d8143ff88, destination connection id length 9 (-e quic.dcil). */
static void test_flow_record_quic_flow_round_trips(void **state)
{
    (void)state;
    static struct run r;
    run_capture(&r, DATA("quic-firefox102-initials-zeek.pcap"));
    assert_int_equal(r.ends, 1);
    Umbra__FlowRecord *rec = umbra__flow_record__unpack(NULL, r.packed_len, r.packed);
    assert_non_null(rec);
    assert_int_equal(rec->key->ip_proto, 17);
    assert_null(rec->tcp);
    assert_non_null(rec->quic);
    assert_int_equal(rec->quic->version, 1);
    assert_string_equal(rec->quic->sni, "blog.cloudflare.com");
    assert_int_equal(rec->quic->dcid_len, 9);
    assert_true(rec->quic->ja4[0] == 'q');
    assert_non_null(rec->tls);
    assert_non_null(rec->tls->client);
    hex_is(rec->tls->client->ja3_md5, "b719940c5ab9a3373cb4475d8143ff88");
    assert_string_equal(rec->server_name, "blog.cloudflare.com");
    umbra__flow_record__free_unpacked(rec, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_flow_record_tls_flow_round_trips),
            cmocka_unit_test(test_flow_record_quic_flow_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
