/*
 * wire: every message in umbra.proto survives pack/unpack with every field intact, the
 * comparison that says so cannot miss a change, and no truncated, damaged, foreign, oversized or
 * random buffer gets through unpack (or crashes it, or leaks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "common/err.h"
#include "common/wire.h"
#include "tests/unit/support/pb_walk.h"

/* Every message type in umbra.proto. test_every_reachable_message_is_listed keeps it complete. */
static const ProtobufCMessageDescriptor *const all_messages[] = {
        &umbra__tunnel__descriptor,
        &umbra__flow_key__descriptor,
        &umbra__flow_timing__descriptor,
        &umbra__direction_stats__descriptor,
        &umbra__tcp_direction__descriptor,
        &umbra__tcp_info__descriptor,
        &umbra__splt__descriptor,
        &umbra__byte_dist__descriptor,
        &umbra__tls_client_hello__descriptor,
        &umbra__tls_server_hello__descriptor,
        &umbra__tls_info__descriptor,
        &umbra__ssh_info__descriptor,
        &umbra__ssh_algorithms__descriptor,
        &umbra__http_info__descriptor,
        &umbra__dns_answer__descriptor,
        &umbra__dns_info__descriptor,
        &umbra__quic_info__descriptor,
        &umbra__head_score__descriptor,
        &umbra__scores__descriptor,
        &umbra__flow_record__descriptor,
        &umbra__flow_batch__descriptor,
        &umbra__ack__descriptor,
        &umbra__hello__descriptor,
        &umbra__counter__descriptor,
        &umbra__heartbeat__descriptor,
        &umbra__model_head__descriptor,
        &umbra__normaliser__descriptor,
        &umbra__anomaly_model__descriptor,
        &umbra__model_update__descriptor,
        &umbra__alert_host__descriptor,
        &umbra__evidence__descriptor,
        &umbra__reason__descriptor,
        &umbra__alert__descriptor,
};
#define N_MESSAGES (sizeof(all_messages) / sizeof(all_messages[0]))

/* Generous for tests; real callers take their cap from configuration. */
#define TEST_MAX_LEN (1u << 20)

/* ---- helpers ------------------------------------------------------------------------------ */

static const uint8_t magic[4] = {'U', 'M', 'B', 'W'};

/* xorshift64*: a fixed, portable sequence, so a failing random case can be replayed. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

/*
 * An envelope written from the layout in docs/WIRE.md, independently of wire.c, so the tests
 * check the documented format and can build envelopes wire_pack() refuses to.
 */
static size_t seal(uint8_t *out, uint8_t version, uint8_t type, uint16_t flags,
                   const uint8_t *payload, size_t plen)
{
    memcpy(out, magic, sizeof(magic));
    out[4] = version;
    out[5] = type;
    out[6] = (uint8_t)(flags >> 8);
    out[7] = (uint8_t)flags;
    put_be32(out + 8, (uint32_t)plen);
    if (plen > 0)
        memcpy(out + 12, payload, plen);
    put_be64(out + 12 + plen, XXH3_64bits(out, 12 + plen));
    return 12 + plen + 8;
}

/* Recomputes the trailer after a test edits header or payload bytes on purpose. */
static void reseal(uint8_t *buf, size_t len)
{
    put_be64(buf + len - 8, XXH3_64bits(buf, len - 8));
}

static void set_schema(ProtobufCMessage *msg, uint32_t v)
{
    const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, "schema_version");
    if (f != NULL)
        memcpy((uint8_t *)msg + f->offset, &v, sizeof(v));
}

static bool has_schema(const ProtobufCMessageDescriptor *d)
{
    return protobuf_c_message_descriptor_get_field_by_name(d, "schema_version") != NULL;
}

/* A filled message of @type, valid to pack: its schema_version (if any) is current. */
static ProtobufCMessage *filled(enum wire_type type, uint32_t seed)
{
    ProtobufCMessage *m = pb_fill(wire_descriptor(type), seed, NULL);
    set_schema(m, WIRE_SCHEMA_VERSION);
    return m;
}

/* Packs @msg into a new buffer; asserts success. */
static uint8_t *pack_new(enum wire_type type, const ProtobufCMessage *msg, size_t *len)
{
    size_t need = wire_packed_size(type, msg);
    assert_true(need > WIRE_OVERHEAD);
    uint8_t *buf = malloc(need);
    assert_non_null(buf);
    assert_int_equal(wire_pack(type, msg, buf, need, len), 0);
    assert_int_equal(*len, need);
    return buf;
}

/* Unpack must fail: a negative code and no message. */
static void assert_unpack_fails(enum wire_type type, const uint8_t *buf, size_t len)
{
    ProtobufCMessage *out = (ProtobufCMessage *)&out; /* any non-NULL value; must be reset */
    int rc = wire_unpack(type, buf, len, TEST_MAX_LEN, NULL, &out);
    if (rc == 0)
        wire_free(out, NULL);
    assert_true(rc < 0);
    assert_null(out);
}

/* An allocator that counts, and fails from its fail_at-th call on. */
struct counting {
    size_t calls;
    size_t frees;
    size_t bytes;
    size_t fail_at;
};

static void *counting_alloc(void *data, size_t size)
{
    struct counting *c = data;
    if (c->calls >= c->fail_at)
        return NULL;
    c->calls++;
    c->bytes += size;
    return malloc(size);
}

static void counting_free(void *data, void *p)
{
    struct counting *c = data;
    c->frees++;
    free(p);
}

/* ---- the walker itself -------------------------------------------------------------------- */

static void test_every_reachable_message_is_listed(void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *reach[128];
    bool used[N_MESSAGES] = {false};
    for (int t = WIRE_TYPE_FIRST; t <= WIRE_TYPE_LAST; t++) {
        size_t n = pb_reachable(wire_descriptor((enum wire_type)t), reach, 128);
        assert_true(n <= 128);
        for (size_t i = 0; i < n; i++) {
            size_t j = 0;
            while (j < N_MESSAGES && all_messages[j] != reach[i])
                j++;
            if (j == N_MESSAGES)
                fail_msg("%s is reachable but not in all_messages", reach[i]->name);
            used[j] = true;
        }
    }
    /* And nothing in the schema is unreachable from what goes on the wire. */
    for (size_t j = 0; j < N_MESSAGES; j++) {
        if (!used[j])
            fail_msg("%s is not reachable from any wire type", all_messages[j]->name);
    }
}

static void test_fill_sets_every_field_at_every_depth(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_MESSAGES; i++) {
        size_t leaves = 0;
        char path[PB_PATH_MAX];
        ProtobufCMessage *a = pb_fill(all_messages[i], 7, &leaves);
        if (!pb_all_set(a, path, sizeof(path)))
            fail_msg("%s: %s not set", all_messages[i]->name, path);
        assert_true(leaves > 0);
        assert_int_equal(pb_count_leaves(a), leaves);

        ProtobufCMessage *same = pb_fill(all_messages[i], 7, NULL);
        ProtobufCMessage *other = pb_fill(all_messages[i], 8, NULL);
        assert_true(pb_equal(a, same, path, sizeof(path)));
        assert_false(pb_equal(a, other, path, sizeof(path)));
        pb_free_filled(a);
        pb_free_filled(same);
        pb_free_filled(other);
    }
}

static void test_equal_reports_missing_submessage_and_changed_count(void **state)
{
    (void)state;
    char diff[PB_PATH_MAX];
    Umbra__FlowBatch *a = (Umbra__FlowBatch *)pb_fill(&umbra__flow_batch__descriptor, 3, NULL);
    Umbra__FlowBatch *b = (Umbra__FlowBatch *)pb_fill(&umbra__flow_batch__descriptor, 3, NULL);

    Umbra__TlsInfo *tls = b->records[1]->tls;
    b->records[1]->tls = NULL;
    assert_false(pb_equal(&a->base, &b->base, diff, sizeof(diff)));
    assert_string_equal(diff, "records[1].tls");
    b->records[1]->tls = tls;
    assert_true(pb_equal(&a->base, &b->base, diff, sizeof(diff)));
    assert_string_equal(diff, "");

    b->records[0]->key->n_vlan_ids--;
    assert_false(pb_equal(&a->base, &b->base, diff, sizeof(diff)));
    assert_string_equal(diff, "records[0].key.vlan_ids");
    b->records[0]->key->n_vlan_ids++;

    ProtobufCMessage *ack = pb_fill(&umbra__ack__descriptor, 3, NULL);
    assert_false(pb_equal(&a->base, ack, diff, sizeof(diff)));
    assert_string_equal(diff, "<type>");
    pb_free_filled(ack);
    pb_free_filled(&a->base);
    pb_free_filled(&b->base);
}

/*
 * Ack{sequence 42} followed by field 99 (varint 1), a field from some later schema: tag
 * (99 << 3 | 0) = 792 = varint 98 06.
 */
static const uint8_t ack_with_new_field[] = {0x10, 0x2a, 0x98, 0x06, 0x01};

static void test_equal_reports_unknown_fields(void **state)
{
    (void)state;
    char diff[PB_PATH_MAX];
    ProtobufCMessage *plain =
            protobuf_c_message_unpack(&umbra__ack__descriptor, NULL, 2, ack_with_new_field);
    ProtobufCMessage *newer = protobuf_c_message_unpack(
            &umbra__ack__descriptor, NULL, sizeof(ack_with_new_field), ack_with_new_field);
    assert_non_null(plain);
    assert_non_null(newer);
    assert_int_equal(newer->n_unknown_fields, 1);
    assert_false(pb_equal(plain, newer, diff, sizeof(diff)));
    assert_string_equal(diff, "<unknown>");
    protobuf_c_message_free_unpacked(plain, NULL);
    protobuf_c_message_free_unpacked(newer, NULL);
}

/* ---- round trips -------------------------------------------------------------------------- */

static void test_every_message_round_trips_through_protobuf(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_MESSAGES; i++) {
        char diff[PB_PATH_MAX];
        ProtobufCMessage *a = pb_fill(all_messages[i], (uint32_t)i + 1, NULL);
        size_t size = protobuf_c_message_get_packed_size(a);
        uint8_t *buf = malloc(size);
        assert_non_null(buf);
        assert_int_equal(protobuf_c_message_pack(a, buf), size);
        ProtobufCMessage *b = protobuf_c_message_unpack(all_messages[i], NULL, size, buf);
        assert_non_null(b);
        if (!pb_equal(a, b, diff, sizeof(diff)))
            fail_msg("%s: %s differs after a round trip", all_messages[i]->name, diff);
        assert_true(pb_all_set(b, diff, sizeof(diff)));
        protobuf_c_message_free_unpacked(b, NULL);
        pb_free_filled(a);
        free(buf);
    }
}

static void test_every_wire_type_round_trips_through_the_envelope(void **state)
{
    (void)state;
    for (int t = WIRE_TYPE_FIRST; t <= WIRE_TYPE_LAST; t++) {
        enum wire_type type = (enum wire_type)t;
        char diff[PB_PATH_MAX];
        size_t len;
        ProtobufCMessage *a = filled(type, (uint32_t)t);
        uint8_t *buf = pack_new(type, a, &len);

        enum wire_type peeked;
        assert_int_equal(wire_peek_type(buf, len, &peeked), 0);
        assert_int_equal(peeked, type);

        ProtobufCMessage *b = NULL;
        assert_int_equal(wire_unpack(type, buf, len, len, NULL, &b), 0);
        assert_non_null(b);
        assert_ptr_equal(b->descriptor, wire_descriptor(type));
        if (!pb_equal(a, b, diff, sizeof(diff)))
            fail_msg("%s: %s differs after a round trip", wire_type_name(type), diff);
        assert_true(pb_all_set(b, diff, sizeof(diff)));
        wire_free(b, NULL);
        pb_free_filled(a);
        free(buf);
    }
}

/*
 * For every message type, a change to any single leaf of a decoded copy is reported at that
 * leaf's path: the comparison behind the round-trip tests cannot pass silently.
 */
static void test_equal_catches_a_change_in_every_leaf(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_MESSAGES; i++) {
        const ProtobufCMessageDescriptor *d = all_messages[i];
        ProtobufCMessage *a = pb_fill(d, (uint32_t)i + 100, NULL);
        size_t size = protobuf_c_message_get_packed_size(a);
        uint8_t *buf = malloc(size);
        assert_non_null(buf);
        assert_int_equal(protobuf_c_message_pack(a, buf), size);
        size_t leaves = pb_count_leaves(a);
        for (size_t leaf = 0; leaf < leaves; leaf++) {
            char want[PB_PATH_MAX];
            char diff[PB_PATH_MAX];
            ProtobufCMessage *copy = protobuf_c_message_unpack(d, NULL, size, buf);
            assert_non_null(copy);
            assert_true(pb_equal(a, copy, NULL, 0));
            assert_int_equal(pb_leaf_path(copy, leaf, want, sizeof(want)), 0);
            assert_int_equal(pb_mutate_leaf(copy, leaf), 0);
            if (pb_equal(a, copy, diff, sizeof(diff)))
                fail_msg("%s: change to %s not detected", d->name, want);
            assert_string_equal(diff, want);
            protobuf_c_message_free_unpacked(copy, NULL);
        }
        assert_int_equal(pb_mutate_leaf(a, leaves), -ENOENT);
        assert_int_equal(pb_leaf_path(a, leaves, NULL, 0), -ENOENT);
        pb_free_filled(a);
        free(buf);
    }
}

/* The hand-built batch and everything it points to, on the test's stack. */
struct literal {
    uint8_t client_addr[4];
    uint8_t server_addr[4];
    uint32_t vlans[1];
    uint32_t suites[3];
    char sensor[sizeof("branch-a")];
    char sni[sizeof("example.com")];
    char h2[sizeof("h2")];
    char http11[sizeof("http/1.1")];
    char beacon[sizeof("beacon")];
    char *alpn[2];
    Umbra__FlowKey key;
    Umbra__FlowTiming timing;
    Umbra__DirectionStats client;
    Umbra__TlsClientHello hello;
    Umbra__TlsInfo tls;
    Umbra__HeadScore head;
    Umbra__HeadScore *heads[1];
    Umbra__Scores scores;
    Umbra__FlowRecord rec;
    Umbra__FlowRecord *recs[1];
    Umbra__FlowBatch batch;
};

/* MD5 of a JA3 string, as 16 raw bytes; any 16 bytes would do. */
static const uint8_t literal_ja3_md5[16] = {0xe7, 0xd7, 0x05, 0xa3, 0x28, 0x6e, 0x19, 0xea,
                                            0x42, 0xf5, 0x87, 0xb3, 0x44, 0xee, 0x6a, 0x35};

static void literal_init_flow(struct literal *l)
{
    static const uint8_t caddr[4] = {10, 0, 0, 1};
    static const uint8_t saddr[4] = {10, 0, 0, 2};
    memcpy(l->client_addr, caddr, sizeof(caddr));
    memcpy(l->server_addr, saddr, sizeof(saddr));
    l->vlans[0] = 100;
    l->suites[0] = 0x1301;
    l->suites[1] = 0x1302;
    l->suites[2] = 0xc02f;
    umbra__flow_key__init(&l->key);
    l->key.ip_proto = 6;
    l->key.client_addr = (ProtobufCBinaryData){sizeof(l->client_addr), l->client_addr};
    l->key.server_addr = (ProtobufCBinaryData){sizeof(l->server_addr), l->server_addr};
    l->key.client_port = 51515;
    l->key.server_port = 443;
    l->key.n_vlan_ids = 1;
    l->key.vlan_ids = l->vlans;
    umbra__flow_timing__init(&l->timing);
    l->timing.first_ts = 1700000000123456789ull;
    l->timing.last_ts = 1700000002123456789ull;
    l->timing.syn_synack_ns = 1200000;
    umbra__direction_stats__init(&l->client);
    l->client.packets = 12;
    l->client.payload_bytes = 5120;
    l->client.iat_stddev_ns = 1500.5;
}

static void literal_init_handshake_and_scores(struct literal *l)
{
    snprintf(l->sni, sizeof(l->sni), "example.com");
    snprintf(l->h2, sizeof(l->h2), "h2");
    snprintf(l->http11, sizeof(l->http11), "http/1.1");
    snprintf(l->beacon, sizeof(l->beacon), "beacon");
    l->alpn[0] = l->h2;
    l->alpn[1] = l->http11;
    umbra__tls_client_hello__init(&l->hello);
    l->hello.handshake_version = 0x0303;
    l->hello.sni = l->sni;
    l->hello.n_alpn = 2;
    l->hello.alpn = l->alpn;
    l->hello.n_cipher_suites = 3;
    l->hello.cipher_suites = l->suites;
    l->hello.ja3_md5 = (ProtobufCBinaryData){sizeof(literal_ja3_md5), (uint8_t *)literal_ja3_md5};
    umbra__tls_info__init(&l->tls);
    l->tls.client = &l->hello;
    umbra__head_score__init(&l->head);
    l->head.name = l->beacon;
    l->head.score = 0.25f;
    l->heads[0] = &l->head;
    umbra__scores__init(&l->scores);
    l->scores.model_version = 3;
    l->scores.n_heads = 1;
    l->scores.heads = l->heads;
    l->scores.anomaly = 0.125f;
}

static void literal_init(struct literal *l)
{
    literal_init_flow(l);
    literal_init_handshake_and_scores(l);
    snprintf(l->sensor, sizeof(l->sensor), "branch-a");
    umbra__flow_record__init(&l->rec);
    l->rec.flow_id = 7;
    l->rec.event = UMBRA__FLOW_EVENT__FLOW_EVENT_END;
    l->rec.end_reason = UMBRA__END_REASON__END_REASON_FIN;
    l->rec.key = &l->key;
    l->rec.timing = &l->timing;
    l->rec.client = &l->client;
    l->rec.producer_consumer_ratio = -0.5;
    l->rec.tls = &l->tls;
    l->rec.scores = &l->scores;
    l->recs[0] = &l->rec;
    umbra__flow_batch__init(&l->batch);
    l->batch.schema_version = WIRE_SCHEMA_VERSION;
    l->batch.sensor_id = l->sensor;
    l->batch.sequence = 42;
    l->batch.created_ts = 1700000003000000000ull;
    l->batch.n_records = 1;
    l->batch.records = l->recs;
}

static void check_literal_key_and_counters(const Umbra__FlowRecord *r)
{
    assert_int_equal(r->flow_id, 7);
    assert_int_equal(r->event, UMBRA__FLOW_EVENT__FLOW_EVENT_END);
    assert_int_equal(r->end_reason, UMBRA__END_REASON__END_REASON_FIN);
    assert_non_null(r->key);
    assert_int_equal(r->key->ip_proto, 6);
    assert_int_equal(r->key->client_addr.len, 4);
    assert_memory_equal(r->key->client_addr.data, ((const uint8_t[]){10, 0, 0, 1}), 4);
    assert_int_equal(r->key->server_addr.len, 4);
    assert_memory_equal(r->key->server_addr.data, ((const uint8_t[]){10, 0, 0, 2}), 4);
    assert_int_equal(r->key->client_port, 51515);
    assert_int_equal(r->key->server_port, 443);
    assert_int_equal(r->key->n_vlan_ids, 1);
    assert_int_equal(r->key->vlan_ids[0], 100);
    assert_null(r->key->tunnel);
    assert_int_equal(r->timing->first_ts, 1700000000123456789ull);
    assert_int_equal(r->timing->last_ts, 1700000002123456789ull);
    assert_int_equal(r->timing->syn_synack_ns, 1200000);
    assert_int_equal(r->timing->rtt_ns, 0);
    assert_int_equal(r->client->packets, 12);
    assert_int_equal(r->client->payload_bytes, 5120);
    assert_true(r->client->iat_stddev_ns == 1500.5);
    assert_null(r->server);
    assert_null(r->tcp);
    assert_true(r->producer_consumer_ratio == -0.5);
}

static void check_literal_handshake_and_scores(const Umbra__FlowRecord *r)
{
    assert_int_equal(r->tls->client->handshake_version, 0x0303);
    assert_string_equal(r->tls->client->sni, "example.com");
    assert_int_equal(r->tls->client->n_alpn, 2);
    assert_string_equal(r->tls->client->alpn[0], "h2");
    assert_string_equal(r->tls->client->alpn[1], "http/1.1");
    assert_int_equal(r->tls->client->n_cipher_suites, 3);
    assert_int_equal(r->tls->client->cipher_suites[0], 0x1301);
    assert_int_equal(r->tls->client->cipher_suites[1], 0x1302);
    assert_int_equal(r->tls->client->cipher_suites[2], 0xc02f);
    assert_int_equal(r->tls->client->ja3_md5.len, 16);
    assert_memory_equal(r->tls->client->ja3_md5.data, literal_ja3_md5, 16);
    assert_null(r->tls->server);
    assert_int_equal(r->scores->model_version, 3);
    assert_int_equal(r->scores->n_heads, 1);
    assert_string_equal(r->scores->heads[0]->name, "beacon");
    assert_true(r->scores->heads[0]->score == 0.25f);
    assert_true(r->scores->anomaly == 0.125f);
    assert_null(r->ssh);
    assert_null(r->dns);
    assert_null(r->quic);
}

/* A batch built by hand, checked field by field against the values put in. */
static void test_flow_batch_round_trip_keeps_literal_values(void **state)
{
    (void)state;
    struct literal l;
    literal_init(&l);

    size_t len;
    uint8_t *buf = pack_new(WIRE_FLOW_BATCH, &l.batch.base, &len);
    ProtobufCMessage *out = NULL;
    assert_int_equal(wire_unpack(WIRE_FLOW_BATCH, buf, len, TEST_MAX_LEN, NULL, &out), 0);
    const Umbra__FlowBatch *b = (const Umbra__FlowBatch *)out;
    assert_int_equal(b->schema_version, 1);
    assert_string_equal(b->sensor_id, "branch-a");
    assert_int_equal(b->sequence, 42);
    assert_int_equal(b->created_ts, 1700000003000000000ull);
    assert_int_equal(b->dropped_before, 0);
    assert_int_equal(b->n_records, 1);
    check_literal_key_and_counters(b->records[0]);
    check_literal_handshake_and_scores(b->records[0]);
    wire_free(out, NULL);
    free(buf);
}

/*
 * Ack{sensor_id "a", sequence 42, status OK} by hand: protobuf payload 0a 01 61 (field 1,
 * length-delimited, "a"), 10 2a (field 2, varint 42), 18 01 (field 3, varint 1); then the header
 * and trailer of docs/WIRE.md.
 */
static void test_envelope_is_laid_out_as_documented(void **state)
{
    (void)state;
    char sensor[] = "a";
    Umbra__Ack ack = UMBRA__ACK__INIT;
    ack.sensor_id = sensor;
    ack.sequence = 42;
    ack.status = UMBRA__ACK_STATUS__ACK_STATUS_OK;

    const uint8_t want[] = {'U', 'M', 'B',  'W',  1,   WIRE_ACK, 0,    0,    0,   0,
                            0,   7,   0x0a, 0x01, 'a', 0x10,     0x2a, 0x18, 0x01};
    uint8_t buf[64];
    size_t len = 0;
    assert_int_equal(wire_packed_size(WIRE_ACK, &ack.base), sizeof(want) + 8);
    assert_int_equal(wire_pack(WIRE_ACK, &ack.base, buf, sizeof(buf), &len), 0);
    assert_int_equal(len, sizeof(want) + 8);
    assert_memory_equal(buf, want, sizeof(want));
    uint8_t trailer[8];
    put_be64(trailer, XXH3_64bits(want, sizeof(want)));
    assert_memory_equal(buf + sizeof(want), trailer, 8);

    uint8_t sealed[64];
    assert_int_equal(seal(sealed, 1, WIRE_ACK, 0, want + 12, 7), len);
    assert_memory_equal(sealed, buf, len);

    /* wire_checksum() reads the trailer: the XXH3 computed here, nothing for a short buffer. */
    assert_true(wire_checksum(buf, len) == XXH3_64bits(want, sizeof(want)));
    assert_true(wire_checksum(buf, WIRE_OVERHEAD - 1) == 0);
    assert_true(wire_checksum(NULL, len) == 0);
}

/* ---- what unpack refuses ------------------------------------------------------------------ */

static void test_unpack_rejects_every_truncation(void **state)
{
    (void)state;
    for (int t = WIRE_TYPE_FIRST; t <= WIRE_TYPE_LAST; t++) {
        enum wire_type type = (enum wire_type)t;
        size_t len;
        ProtobufCMessage *m = filled(type, 11);
        uint8_t *full = pack_new(type, m, &len);
        for (size_t cut = 0; cut < len; cut++) {
            /* An exact-size copy, so ASan sees any read past the shortened end. */
            uint8_t *part = malloc(cut ? cut : 1);
            assert_non_null(part);
            memcpy(part, full, cut);
            assert_unpack_fails(type, part, cut);
            free(part);
        }
        pb_free_filled(m);
        free(full);
    }
}

/*
 * The reason for the envelope: protobuf accepts a payload cut at a field boundary, and reads it
 * as a shorter message. The length field and checksum refuse it.
 */
static void test_truncation_protobuf_accepts_is_refused(void **state)
{
    (void)state;
    size_t len;
    ProtobufCMessage *m = filled(WIRE_FLOW_BATCH, 5);
    uint8_t *buf = pack_new(WIRE_FLOW_BATCH, m, &len);
    size_t payload = len - WIRE_OVERHEAD;
    size_t cut = payload - 1;
    ProtobufCMessage *raw = NULL;
    while (cut > 0) {
        raw = protobuf_c_message_unpack(&umbra__flow_batch__descriptor, NULL, cut,
                                        buf + WIRE_HEADER_LEN);
        if (raw != NULL)
            break;
        cut--;
    }
    assert_non_null(raw); /* some prefix parses... */
    assert_false(pb_equal(m, raw, NULL, 0));
    protobuf_c_message_free_unpacked(raw, NULL);
    /* ...but not once it is in an envelope, however the header is patched up. */
    assert_unpack_fails(WIRE_FLOW_BATCH, buf, WIRE_HEADER_LEN + cut + WIRE_TRAILER_LEN);
    put_be32(buf + 8, (uint32_t)cut);
    memmove(buf + WIRE_HEADER_LEN + cut, buf + len - WIRE_TRAILER_LEN, WIRE_TRAILER_LEN);
    assert_unpack_fails(WIRE_FLOW_BATCH, buf, WIRE_HEADER_LEN + cut + WIRE_TRAILER_LEN);
    pb_free_filled(m);
    free(buf);
}

static void test_unpack_rejects_every_single_byte_corruption(void **state)
{
    (void)state;
    static const uint8_t masks[] = {0x01, 0x80, 0xff};
    for (int t = WIRE_TYPE_FIRST; t <= WIRE_TYPE_LAST; t++) {
        enum wire_type type = (enum wire_type)t;
        size_t len;
        ProtobufCMessage *m = filled(type, 13);
        uint8_t *buf = pack_new(type, m, &len);
        for (size_t pos = 0; pos < len; pos++) {
            for (size_t k = 0; k < sizeof(masks); k++) {
                buf[pos] ^= masks[k];
                assert_unpack_fails(type, buf, len);
                buf[pos] ^= masks[k];
            }
        }
        /* Past the length field every damaged byte is caught by the checksum. */
        buf[len / 2] ^= 0x10;
        ProtobufCMessage *out = NULL;
        assert_int_equal(wire_unpack(type, buf, len, len, NULL, &out), UMBRA_ECHECKSUM);
        buf[len - 1] ^= 0x10;
        buf[len / 2] ^= 0x10;
        assert_int_equal(wire_unpack(type, buf, len, len, NULL, &out), UMBRA_ECHECKSUM);
        pb_free_filled(m);
        free(buf);
    }
}

static void test_unpack_rejects_random_buffers(void **state)
{
    (void)state;
    uint64_t rng = 0x5eed0001;
    uint8_t buf[600];
    for (int i = 0; i < 3000; i++) {
        size_t len = (size_t)(rng_next(&rng) % sizeof(buf));
        for (size_t j = 0; j < len; j++)
            buf[j] = (uint8_t)rng_next(&rng);
        /* Half of them with a plausible header, so the later checks are reached too. */
        if (i % 2 == 1 && len >= WIRE_HEADER_LEN) {
            memcpy(buf, magic, sizeof(magic));
            buf[4] = WIRE_ENVELOPE_VERSION;
            buf[5] = (uint8_t)(WIRE_TYPE_FIRST + i % WIRE_TYPE_LAST);
            buf[6] = 0;
            buf[7] = 0;
            if (len >= WIRE_OVERHEAD)
                put_be32(buf + 8, (uint32_t)(len - WIRE_OVERHEAD));
        }
        for (int t = WIRE_TYPE_FIRST; t <= WIRE_TYPE_LAST; t++)
            assert_unpack_fails((enum wire_type)t, buf, len);
    }
}

/*
 * Random payloads in well-formed envelopes reach protobuf-c and the schema check. Some random
 * bytes are valid protobuf, so success is allowed; a crash, a leak or a wrong code is not.
 */
static void test_unpack_survives_random_payloads_in_valid_envelopes(void **state)
{
    (void)state;
    uint64_t rng = 0x5eed0002;
    uint8_t payload[300];
    uint8_t buf[sizeof(payload) + WIRE_OVERHEAD];
    size_t ok = 0;
    for (int i = 0; i < 3000; i++) {
        size_t plen = (size_t)(rng_next(&rng) % sizeof(payload));
        for (size_t j = 0; j < plen; j++)
            payload[j] = (uint8_t)rng_next(&rng);
        /* Every fourth one starts like a FlowBatch/Hello/ModelUpdate/Alert with version 1. */
        if (i % 4 == 0 && plen >= 2) {
            payload[0] = 0x08;
            payload[1] = 0x01;
        }
        enum wire_type type = (enum wire_type)(WIRE_TYPE_FIRST + i % WIRE_TYPE_LAST);
        size_t len = seal(buf, WIRE_ENVELOPE_VERSION, (uint8_t)type, 0, payload, plen);
        ProtobufCMessage *out = NULL;
        int rc = wire_unpack(type, buf, len, TEST_MAX_LEN, NULL, &out);
        if (rc == 0) {
            assert_non_null(out);
            wire_free(out, NULL);
            ok++;
        } else {
            assert_null(out);
            assert_true(rc == UMBRA_EWIRE || rc == UMBRA_ESCHEMA);
        }
    }
    assert_true(ok > 0); /* the empty payload, at least, is a valid Ack */
}

/* Adding a field is compatible (docs/WIRE.md): a reader skips what it does not know. */
static void test_unpack_accepts_fields_it_does_not_know(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = seal(buf, WIRE_ENVELOPE_VERSION, WIRE_ACK, 0, ack_with_new_field,
                      sizeof(ack_with_new_field));
    ProtobufCMessage *out = NULL;
    assert_int_equal(wire_unpack(WIRE_ACK, buf, len, len, NULL, &out), 0);
    assert_int_equal(((Umbra__Ack *)out)->sequence, 42);
    assert_int_equal(out->n_unknown_fields, 1);
    /* And passes it on unchanged when it packs the message again. */
    uint8_t again[64];
    size_t again_len;
    assert_int_equal(wire_pack(WIRE_ACK, out, again, sizeof(again), &again_len), 0);
    assert_int_equal(again_len, len);
    assert_memory_equal(again, buf, len);
    wire_free(out, NULL);
}

/*
 * Field numbers protobuf-c lets through but cannot pack back: 0 spelt in two bytes (80 00), and
 * 2^29, one past the largest, spelt 80 80 80 80 10. Found by fuzz_wire (the first one is in its
 * corpus as regress-payload-unknown-field-zero).
 */
static void test_unpack_rejects_invalid_field_numbers(void **state)
{
    (void)state;
    static const uint8_t zero[] = {0x28, 0x01, 0x80, 0x00, 0x00};
    static const uint8_t too_big[] = {0x10, 0x2a, 0x80, 0x80, 0x80, 0x80, 0x10, 0x01};
    /* Inside a sub-message too: FlowRecord.key (field 5) holding the bad field. */
    static const uint8_t nested[] = {0x2a, 0x03, 0x80, 0x00, 0x00};
    uint8_t buf[64];
    ProtobufCMessage *out = NULL;
    size_t len = seal(buf, WIRE_ENVELOPE_VERSION, WIRE_ACK, 0, zero, sizeof(zero));
    assert_int_equal(wire_unpack(WIRE_ACK, buf, len, len, NULL, &out), UMBRA_EWIRE);
    len = seal(buf, WIRE_ENVELOPE_VERSION, WIRE_ACK, 0, too_big, sizeof(too_big));
    assert_int_equal(wire_unpack(WIRE_ACK, buf, len, len, NULL, &out), UMBRA_EWIRE);
    len = seal(buf, WIRE_ENVELOPE_VERSION, WIRE_FLOW_RECORD, 0, nested, sizeof(nested));
    assert_int_equal(wire_unpack(WIRE_FLOW_RECORD, buf, len, len, NULL, &out), UMBRA_EWIRE);
    assert_null(out);
    /* protobuf-c alone takes all three. */
    ProtobufCMessage *raw =
            protobuf_c_message_unpack(&umbra__ack__descriptor, NULL, sizeof(zero), zero);
    assert_non_null(raw);
    protobuf_c_message_free_unpacked(raw, NULL);
    raw = protobuf_c_message_unpack(&umbra__ack__descriptor, NULL, sizeof(too_big), too_big);
    assert_non_null(raw);
    protobuf_c_message_free_unpacked(raw, NULL);
    raw = protobuf_c_message_unpack(&umbra__flow_record__descriptor, NULL, sizeof(nested), nested);
    assert_non_null(raw);
    protobuf_c_message_free_unpacked(raw, NULL);
}

static void test_unpack_rejects_other_expected_type(void **state)
{
    (void)state;
    for (int t = WIRE_TYPE_FIRST; t <= WIRE_TYPE_LAST; t++) {
        size_t len;
        ProtobufCMessage *m = filled((enum wire_type)t, 17);
        uint8_t *buf = pack_new((enum wire_type)t, m, &len);
        for (int e = WIRE_TYPE_FIRST; e <= WIRE_TYPE_LAST; e++) {
            ProtobufCMessage *out = NULL;
            int rc = wire_unpack((enum wire_type)e, buf, len, len, NULL, &out);
            assert_int_equal(rc, e == t ? 0 : UMBRA_EWIRE);
            wire_free(out, NULL);
        }
        pb_free_filled(m);
        free(buf);
    }
}

static void test_unpack_rejects_other_schema_version(void **state)
{
    (void)state;
    int checked = 0;
    for (int t = WIRE_TYPE_FIRST; t <= WIRE_TYPE_LAST; t++) {
        enum wire_type type = (enum wire_type)t;
        if (!has_schema(wire_descriptor(type)))
            continue;
        static const uint32_t versions[] = {0, 2, 1000};
        for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
            ProtobufCMessage *m = filled(type, 19);
            set_schema(m, versions[v]);
            size_t plen = protobuf_c_message_get_packed_size(m);
            uint8_t *payload = malloc(plen);
            uint8_t *buf = malloc(plen + WIRE_OVERHEAD);
            assert_non_null(payload);
            assert_non_null(buf);
            protobuf_c_message_pack(m, payload);
            size_t len = seal(buf, WIRE_ENVELOPE_VERSION, (uint8_t)type, 0, payload, plen);
            ProtobufCMessage *out = NULL;
            assert_int_equal(wire_unpack(type, buf, len, len, NULL, &out), UMBRA_ESCHEMA);
            assert_null(out);

            /* The sender refuses to produce it in the first place. */
            size_t got = 0;
            assert_int_equal(wire_pack(type, m, buf, plen + WIRE_OVERHEAD, &got), UMBRA_ESCHEMA);
            pb_free_filled(m);
            free(payload);
            free(buf);
        }
        checked++;
    }
    assert_int_equal(checked, 4); /* FlowBatch, Hello, ModelUpdate, Alert */
}

static void test_unpack_rejects_other_envelope_version_flags_and_trailing_bytes(void **state)
{
    (void)state;
    size_t len;
    ProtobufCMessage *m = filled(WIRE_HELLO, 23);
    uint8_t *buf = pack_new(WIRE_HELLO, m, &len);
    uint8_t *longer = malloc(len + 1);
    assert_non_null(longer);
    ProtobufCMessage *out = NULL;

    buf[4] = 2;
    reseal(buf, len);
    assert_int_equal(wire_unpack(WIRE_HELLO, buf, len, len, NULL, &out), UMBRA_ESCHEMA);
    buf[4] = WIRE_ENVELOPE_VERSION;
    buf[7] = 1;
    reseal(buf, len);
    assert_int_equal(wire_unpack(WIRE_HELLO, buf, len, len, NULL, &out), UMBRA_EWIRE);
    buf[7] = 0;
    buf[5] = WIRE_TYPE_LAST + 1;
    reseal(buf, len);
    assert_int_equal(wire_unpack(WIRE_HELLO, buf, len, len, NULL, &out), UMBRA_EWIRE);
    buf[5] = 0;
    reseal(buf, len);
    assert_int_equal(wire_unpack(WIRE_HELLO, buf, len, len, NULL, &out), UMBRA_EWIRE);
    buf[5] = WIRE_HELLO;
    reseal(buf, len);
    assert_int_equal(wire_unpack(WIRE_HELLO, buf, len, len, NULL, &out), 0);
    wire_free(out, NULL);

    memcpy(longer, buf, len);
    longer[len] = 0;
    assert_int_equal(wire_unpack(WIRE_HELLO, longer, len + 1, len + 1, NULL, &out), UMBRA_EWIRE);
    assert_null(out);
    pb_free_filled(m);
    free(buf);
    free(longer);
}

static void test_unpack_refuses_envelope_over_max_len(void **state)
{
    (void)state;
    size_t len;
    ProtobufCMessage *m = filled(WIRE_FLOW_BATCH, 29);
    uint8_t *buf = pack_new(WIRE_FLOW_BATCH, m, &len);
    ProtobufCMessage *out = NULL;
    assert_int_equal(wire_unpack(WIRE_FLOW_BATCH, buf, len, len - 1, NULL, &out), -EMSGSIZE);
    assert_null(out);
    assert_int_equal(wire_unpack(WIRE_FLOW_BATCH, buf, len, 0, NULL, &out), -EMSGSIZE);
    /* WIRE_LEN_MAX holds whatever the caller's cap; the size check comes before any read. */
    assert_int_equal(
            wire_unpack(WIRE_FLOW_BATCH, buf, (size_t)WIRE_LEN_MAX + 1, SIZE_MAX, NULL, &out),
            -EMSGSIZE);
    assert_int_equal(wire_unpack(WIRE_FLOW_BATCH, buf, len, len, NULL, &out), 0);
    wire_free(out, NULL);
    pb_free_filled(m);
    free(buf);
}

/* A batch of empty records: 2 bytes each on the wire, a 160-byte struct each in memory. */
static void test_unpack_refuses_batch_that_expands_past_memory_budget(void **state)
{
    (void)state;
    const size_t n = 50000;
    size_t plen = 2 + 2 * n;
    uint8_t *payload = malloc(plen);
    uint8_t *buf = malloc(plen + WIRE_OVERHEAD);
    assert_non_null(payload);
    assert_non_null(buf);
    payload[0] = 0x08; /* schema_version = 1 */
    payload[1] = 0x01;
    for (size_t i = 0; i < n; i++) {
        payload[2 + 2 * i] = 0x2a; /* field 5 (records), length-delimited */
        payload[3 + 2 * i] = 0x00; /* empty */
    }
    size_t len = seal(buf, WIRE_ENVELOPE_VERSION, WIRE_FLOW_BATCH, 0, payload, plen);
    ProtobufCMessage *out = NULL;
    assert_int_equal(wire_unpack(WIRE_FLOW_BATCH, buf, len, TEST_MAX_LEN, NULL, &out), -EMSGSIZE);
    assert_null(out);

    /* protobuf-c alone would take it, at some 8 MB for these 100 kB. */
    ProtobufCMessage *ok =
            protobuf_c_message_unpack(&umbra__flow_batch__descriptor, NULL, plen, payload);
    assert_non_null(ok); /* protobuf-c itself would have taken it */
    protobuf_c_message_free_unpacked(ok, NULL);
    free(payload);
    free(buf);
}

/* Real OPEN records, the sparsest there are, stay far inside the decoding budget. */
static void test_sparse_open_records_decode_well_within_memory_budget(void **state)
{
    (void)state;
    enum { N = 2000 };
    Umbra__FlowRecord *recs = calloc(N, sizeof(*recs));
    Umbra__FlowKey *keys = calloc(N, sizeof(*keys));
    Umbra__FlowTiming *timings = calloc(N, sizeof(*timings));
    Umbra__FlowRecord **ptrs = calloc(N, sizeof(*ptrs)); /* NOLINT(bugprone-sizeof-expression) */
    assert_true(recs && keys && timings && ptrs);
    uint8_t caddr[4] = {192, 168, 1, 20};
    uint8_t saddr[4] = {192, 168, 1, 5};
    for (size_t i = 0; i < N; i++) {
        umbra__flow_key__init(&keys[i]);
        keys[i].ip_proto = 6;
        keys[i].client_addr = (ProtobufCBinaryData){4, caddr};
        keys[i].server_addr = (ProtobufCBinaryData){4, saddr};
        keys[i].client_port = (uint32_t)(40000 + i);
        keys[i].server_port = 445;
        umbra__flow_timing__init(&timings[i]);
        timings[i].first_ts = 1700000000000000000ull + i * 1000;
        umbra__flow_record__init(&recs[i]);
        recs[i].flow_id = 100000 + i;
        recs[i].event = UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN;
        recs[i].key = &keys[i];
        recs[i].timing = &timings[i];
        ptrs[i] = &recs[i];
    }
    char sensor[] = "branch-a";
    Umbra__FlowBatch batch = UMBRA__FLOW_BATCH__INIT;
    batch.schema_version = WIRE_SCHEMA_VERSION;
    batch.sensor_id = sensor;
    batch.sequence = 1;
    batch.n_records = N;
    batch.records = ptrs;

    size_t len;
    uint8_t *buf = pack_new(WIRE_FLOW_BATCH, &batch.base, &len);
    struct counting c = {.fail_at = SIZE_MAX};
    ProtobufCAllocator alloc = {counting_alloc, counting_free, &c};
    ProtobufCMessage *out = NULL;
    assert_int_equal(wire_unpack(WIRE_FLOW_BATCH, buf, len, TEST_MAX_LEN, &alloc, &out), 0);
    /* The margin wire.h promises: a quarter of the budget factor at most. */
    assert_true(c.bytes < len * (WIRE_UNPACK_MEM_FACTOR / 4));
    wire_free(out, &alloc);
    assert_int_equal(c.calls, c.frees);
    free(buf);
    free(ptrs);
    free(timings);
    free(keys);
    free(recs);
}

static void test_unpack_uses_the_callers_allocator_and_reports_its_failure(void **state)
{
    (void)state;
    size_t len;
    ProtobufCMessage *m = filled(WIRE_MODEL_UPDATE, 31);
    uint8_t *buf = pack_new(WIRE_MODEL_UPDATE, m, &len);

    struct counting c = {.fail_at = SIZE_MAX};
    ProtobufCAllocator alloc = {counting_alloc, counting_free, &c};
    ProtobufCMessage *out = NULL;
    assert_int_equal(wire_unpack(WIRE_MODEL_UPDATE, buf, len, len, &alloc, &out), 0);
    assert_true(pb_equal(m, out, NULL, 0));
    size_t needed = c.calls;
    assert_true(needed > 1);
    wire_free(out, &alloc);
    assert_int_equal(c.frees, c.calls);

    /* Failing at each allocation in turn: -ENOMEM, and everything already taken is given back. */
    for (size_t k = 0; k < needed; k++) {
        struct counting f = {.fail_at = k};
        ProtobufCAllocator failing = {counting_alloc, counting_free, &f};
        out = NULL;
        assert_int_equal(wire_unpack(WIRE_MODEL_UPDATE, buf, len, len, &failing, &out), -ENOMEM);
        assert_null(out);
        assert_int_equal(f.frees, f.calls);
    }
    pb_free_filled(m);
    free(buf);
}

/* ---- pack --------------------------------------------------------------------------------- */

static void test_pack_reports_needed_size_when_cap_is_too_small(void **state)
{
    (void)state;
    ProtobufCMessage *m = filled(WIRE_HEARTBEAT, 37);
    size_t need = wire_packed_size(WIRE_HEARTBEAT, m);
    uint8_t *buf = malloc(need);
    assert_non_null(buf);
    for (size_t cap = 0; cap < need; cap++) {
        size_t len = 0;
        assert_int_equal(wire_pack(WIRE_HEARTBEAT, m, buf, cap, &len), -EMSGSIZE);
        assert_int_equal(len, need);
    }
    size_t len = 0;
    assert_int_equal(wire_pack(WIRE_HEARTBEAT, m, NULL, 0, &len), -EMSGSIZE);
    assert_int_equal(len, need);
    assert_int_equal(wire_pack(WIRE_HEARTBEAT, m, buf, need, &len), 0);
    assert_int_equal(len, need);
    pb_free_filled(m);
    free(buf);
}

static void test_pack_rejects_message_of_another_type_or_inconsistent(void **state)
{
    (void)state;
    uint8_t buf[4096];
    size_t len;
    ProtobufCMessage *ack = filled(WIRE_ACK, 41);
    assert_int_equal(wire_pack(WIRE_HELLO, ack, buf, sizeof(buf), &len), -EINVAL);
    assert_int_equal(wire_packed_size(WIRE_HELLO, ack), 0);
    assert_int_equal(wire_pack((enum wire_type)0, ack, buf, sizeof(buf), &len), -EINVAL);
    assert_int_equal(wire_pack((enum wire_type)(WIRE_TYPE_LAST + 1), ack, buf, sizeof(buf), &len),
                     -EINVAL);
    assert_int_equal(wire_packed_size((enum wire_type)0, ack), 0);
    assert_int_equal(wire_pack(WIRE_ACK, NULL, buf, sizeof(buf), &len), -EINVAL);
    assert_int_equal(wire_pack(WIRE_ACK, ack, buf, sizeof(buf), NULL), -EINVAL);
    assert_int_equal(wire_pack(WIRE_ACK, ack, NULL, sizeof(buf), &len), -EINVAL);
    assert_int_equal(wire_packed_size(WIRE_ACK, NULL), 0);

    /* A count without an array would crash protobuf-c's packer; it is refused instead. */
    Umbra__FlowBatch batch = UMBRA__FLOW_BATCH__INIT;
    batch.schema_version = WIRE_SCHEMA_VERSION;
    batch.n_records = 2;
    assert_int_equal(wire_pack(WIRE_FLOW_BATCH, &batch.base, buf, sizeof(buf), &len), -EINVAL);
    pb_free_filled(ack);
}

/* ---- small things ------------------------------------------------------------------------- */

static void test_types_have_names_and_descriptors(void **state)
{
    (void)state;
    assert_string_equal(wire_type_name(WIRE_FLOW_BATCH), "FlowBatch");
    assert_string_equal(wire_type_name(WIRE_FLOW_RECORD), "FlowRecord");
    assert_string_equal(wire_type_name((enum wire_type)0), "unknown");
    assert_string_equal(wire_type_name((enum wire_type)(WIRE_TYPE_LAST + 1)), "unknown");
    assert_string_equal(wire_type_name((enum wire_type) - 1), "unknown");
    assert_null(wire_descriptor((enum wire_type)0));
    assert_null(wire_descriptor((enum wire_type)(WIRE_TYPE_LAST + 1)));
    for (int t = WIRE_TYPE_FIRST; t <= WIRE_TYPE_LAST; t++) {
        const ProtobufCMessageDescriptor *d = wire_descriptor((enum wire_type)t);
        assert_non_null(d);
        /* The name is the proto message's own. */
        assert_string_equal(wire_type_name((enum wire_type)t), d->short_name);
    }
    assert_int_equal(WIRE_SCHEMA_VERSION, 1);
}

static void test_peek_type_reads_only_the_header(void **state)
{
    (void)state;
    uint8_t buf[WIRE_HEADER_LEN] = {'U', 'M', 'B', 'W', 1, WIRE_ALERT, 0, 0, 0, 0, 0, 0};
    enum wire_type type = WIRE_ACK;
    assert_int_equal(wire_peek_type(buf, sizeof(buf), &type), 0);
    assert_int_equal(type, WIRE_ALERT);
    assert_int_equal(wire_peek_type(buf, sizeof(buf) - 1, &type), UMBRA_EWIRE);
    assert_int_equal(wire_peek_type(NULL, sizeof(buf), &type), -EINVAL);
    assert_int_equal(wire_peek_type(buf, sizeof(buf), NULL), -EINVAL);
    buf[5] = 0;
    assert_int_equal(wire_peek_type(buf, sizeof(buf), &type), UMBRA_EWIRE);
    buf[5] = WIRE_TYPE_LAST + 1;
    assert_int_equal(wire_peek_type(buf, sizeof(buf), &type), UMBRA_EWIRE);
    buf[5] = WIRE_ALERT;
    buf[6] = 0x80;
    assert_int_equal(wire_peek_type(buf, sizeof(buf), &type), UMBRA_EWIRE);
    buf[6] = 0;
    buf[4] = 9;
    assert_int_equal(wire_peek_type(buf, sizeof(buf), &type), UMBRA_ESCHEMA);
    buf[4] = 1;
    buf[0] = 'u';
    assert_int_equal(wire_peek_type(buf, sizeof(buf), &type), UMBRA_EWIRE);
    assert_int_equal(type, WIRE_ALERT); /* untouched on error */
}

static void test_unpack_rejects_bad_arguments(void **state)
{
    (void)state;
    uint8_t buf[32] = {0};
    ProtobufCMessage *out = (ProtobufCMessage *)&out;
    assert_int_equal(wire_unpack(WIRE_ACK, buf, sizeof(buf), sizeof(buf), NULL, NULL), -EINVAL);
    assert_int_equal(wire_unpack((enum wire_type)0, buf, sizeof(buf), sizeof(buf), NULL, &out),
                     -EINVAL);
    assert_null(out);
    assert_int_equal(wire_unpack(WIRE_ACK, NULL, 5, 100, NULL, &out), -EINVAL);
    assert_int_equal(wire_unpack(WIRE_ACK, NULL, 0, 100, NULL, &out), UMBRA_EWIRE);
    wire_free(NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_reachable_message_is_listed),
            cmocka_unit_test(test_fill_sets_every_field_at_every_depth),
            cmocka_unit_test(test_equal_reports_missing_submessage_and_changed_count),
            cmocka_unit_test(test_equal_reports_unknown_fields),
            cmocka_unit_test(test_every_message_round_trips_through_protobuf),
            cmocka_unit_test(test_every_wire_type_round_trips_through_the_envelope),
            cmocka_unit_test(test_equal_catches_a_change_in_every_leaf),
            cmocka_unit_test(test_flow_batch_round_trip_keeps_literal_values),
            cmocka_unit_test(test_envelope_is_laid_out_as_documented),
            cmocka_unit_test(test_unpack_rejects_every_truncation),
            cmocka_unit_test(test_truncation_protobuf_accepts_is_refused),
            cmocka_unit_test(test_unpack_rejects_every_single_byte_corruption),
            cmocka_unit_test(test_unpack_rejects_random_buffers),
            cmocka_unit_test(test_unpack_survives_random_payloads_in_valid_envelopes),
            cmocka_unit_test(test_unpack_accepts_fields_it_does_not_know),
            cmocka_unit_test(test_unpack_rejects_invalid_field_numbers),
            cmocka_unit_test(test_unpack_rejects_other_expected_type),
            cmocka_unit_test(test_unpack_rejects_other_schema_version),
            cmocka_unit_test(test_unpack_rejects_other_envelope_version_flags_and_trailing_bytes),
            cmocka_unit_test(test_unpack_refuses_envelope_over_max_len),
            cmocka_unit_test(test_unpack_refuses_batch_that_expands_past_memory_budget),
            cmocka_unit_test(test_sparse_open_records_decode_well_within_memory_budget),
            cmocka_unit_test(test_unpack_uses_the_callers_allocator_and_reports_its_failure),
            cmocka_unit_test(test_pack_reports_needed_size_when_cap_is_too_small),
            cmocka_unit_test(test_pack_rejects_message_of_another_type_or_inconsistent),
            cmocka_unit_test(test_types_have_names_and_descriptors),
            cmocka_unit_test(test_peek_type_reads_only_the_header),
            cmocka_unit_test(test_unpack_rejects_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
