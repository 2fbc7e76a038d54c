/*
 * batch_check: a good batch passes; each rule of the table in batch_check.h is broken by one
 * change to that batch, and must give its cause and a reason that names the field (and, for a
 * record, its index: the changes are made to record 2 of 3). Every case is checked twice: on the
 * structs (batch_check) and on the bytes protobuf-c packs from them (batch_check_wire), which must
 * agree on cause and reason. Then the two are held side by side on mutated batches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "aggregator/batch_check.h"
#include "common/err.h"
#include "common/pb_walk.h"
#include "common/wire.h"
#include "tests/unit/support/batch_compare.h"

#define SPLT_CAP (BATCH_CHECK_SPLT_MAX + 1)
#define BAD      2 /* the record the tests break */

/* A valid batch of three records, every part in this struct (nothing allocated). */
struct good {
    Umbra__FlowBatch b;
    Umbra__FlowRecord rec[3];
    Umbra__FlowRecord *recp[3];
    Umbra__FlowKey key[3];
    Umbra__FlowTiming timing[3];
    uint8_t v4[2][4];
    uint8_t v6[2][16];
    uint32_t vlans[2];     /* record 1's */
    uint32_t vlans_bad[3]; /* for record 2 */
    Umbra__Splt splt;
    uint32_t lens[SPLT_CAP];
    uint32_t iats[SPLT_CAP];
    protobuf_c_boolean from[SPLT_CAP];
    float markov[4];
    Umbra__ByteDist bd[2];
    Umbra__Scores scores;
    Umbra__HeadScore head;
    Umbra__HeadScore *headp;
    char id[80];
};

static const struct batch_check_limits lim = {.max_records = 3};

static void key_v4(struct good *g, size_t i, uint32_t proto, uint32_t cport, uint32_t sport)
{
    Umbra__FlowKey *k = &g->key[i];
    *k = (Umbra__FlowKey)UMBRA__FLOW_KEY__INIT;
    k->ip_proto = proto;
    k->client_addr = (ProtobufCBinaryData){.len = 4, .data = g->v4[0]};
    k->server_addr = (ProtobufCBinaryData){.len = 4, .data = g->v4[1]};
    k->client_port = cport;
    k->server_port = sport;
}

/* Record 0: TCP OPEN over IPv4. Record 1: UDP UPDATE over IPv6 in two VLANs. Record 2: TCP END
 * with SPLT, byte distributions and scores. */
static void good_init(struct good *g)
{
    memset(g, 0, sizeof(*g));
    memcpy(g->id, "branch-7.sensor", 16);
    g->b = (Umbra__FlowBatch)UMBRA__FLOW_BATCH__INIT;
    g->b.schema_version = UMBRA__SCHEMA_VERSION__SCHEMA_VERSION_CURRENT;
    g->b.sensor_id = g->id;
    g->b.sequence = 10;
    g->b.stream_epoch = 1700000000000000000ull;
    g->b.oldest_held = 8;
    g->b.n_records = 3;
    g->b.records = g->recp;
    static const Umbra__FlowEvent ev[3] = {UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN,
                                           UMBRA__FLOW_EVENT__FLOW_EVENT_UPDATE,
                                           UMBRA__FLOW_EVENT__FLOW_EVENT_END};
    for (size_t i = 0; i < 3; i++) {
        g->rec[i] = (Umbra__FlowRecord)UMBRA__FLOW_RECORD__INIT;
        g->recp[i] = &g->rec[i];
        g->rec[i].flow_id = 1000 + i;
        g->rec[i].event = ev[i];
        g->rec[i].key = &g->key[i];
        g->timing[i] = (Umbra__FlowTiming)UMBRA__FLOW_TIMING__INIT;
        g->timing[i].first_ts = 1700000000000000000ull + i;
        g->rec[i].timing = &g->timing[i];
    }
    key_v4(g, 0, 6, 51000, 443);
    key_v4(g, 2, 6, 51001, 22);
    Umbra__FlowKey *k = &g->key[1];
    *k = (Umbra__FlowKey)UMBRA__FLOW_KEY__INIT;
    k->ip_proto = 17;
    k->client_addr = (ProtobufCBinaryData){.len = 16, .data = g->v6[0]};
    k->server_addr = (ProtobufCBinaryData){.len = 16, .data = g->v6[1]};
    k->client_port = 5353;
    k->server_port = 53;
    g->vlans[0] = 100;
    g->vlans[1] = 4095;
    k->n_vlan_ids = 2;
    k->vlan_ids = g->vlans;
    g->rec[1].end_reason = UMBRA__END_REASON__END_REASON_ACTIVE_TIMEOUT;
    g->timing[1].last_ts = g->timing[1].first_ts + 5;

    Umbra__FlowRecord *r = &g->rec[BAD];
    r->end_reason = UMBRA__END_REASON__END_REASON_FIN;
    g->timing[BAD].last_ts = g->timing[BAD].first_ts; /* one packet: equal times are fine */
    g->splt = (Umbra__Splt)UMBRA__SPLT__INIT;
    g->splt.n_lengths = g->splt.n_iat_us = g->splt.n_from_server = 3;
    g->splt.lengths = g->lens;
    g->splt.iat_us = g->iats;
    g->splt.from_server = g->from;
    g->splt.markov_bins = 2;
    g->splt.n_length_markov = 4;
    g->splt.length_markov = g->markov; /* iat_markov left empty: allowed */
    r->splt = &g->splt;
    for (size_t d = 0; d < 2; d++) {
        g->bd[d] = (Umbra__ByteDist)UMBRA__BYTE_DIST__INIT;
        g->bd[d].entropy = d == 0 ? 0.0 : 8.0; /* both bounds included */
    }
    r->byte_dist_client = &g->bd[0];
    r->byte_dist_server = &g->bd[1];
    g->scores = (Umbra__Scores)UMBRA__SCORES__INIT;
    g->head = (Umbra__HeadScore)UMBRA__HEAD_SCORE__INIT;
    g->head.score = 1.0f;
    g->headp = &g->head;
    g->scores.n_heads = 1;
    g->scores.heads = &g->headp;
    g->scores.anomaly = 0.0f;
    r->scores = &g->scores;
}

/* batch_check_wire() on the batch packed by protobuf-c: its cause, its reason in @why. */
static enum batch_check_cause wire_cause(const Umbra__FlowBatch *b,
                                         const struct batch_check_limits *l, char *why,
                                         size_t why_len, struct batch_check_header *hdr)
{
    static uint8_t buf[64 << 10];
    size_t n = protobuf_c_message_get_packed_size(&b->base);
    assert_true(n <= sizeof(buf));
    protobuf_c_message_pack(&b->base, buf);
    static struct pb_walk_plan *plan; /* made once for the process; the OS frees it */
    if (plan == NULL)
        plan = batch_check_plan_create();
    assert_non_null(plan);
    enum batch_check_cause c = BATCH_CAUSE_COUNT, c2 = BATCH_CAUSE_COUNT;
    assert_int_equal(batch_check_wire(plan, buf, n, l, hdr, NULL, &c, why, why_len), 0);
    /* Without the plan: the same. */
    char why2[128];
    struct batch_check_header hdr2;
    assert_int_equal(batch_check_wire(NULL, buf, n, l, &hdr2, NULL, &c2, why2, sizeof(why2)), 0);
    assert_int_equal(c2, c);
    assert_string_equal(why2, why);
    return c;
}

/* Both paths give @g the same cause and reason; returns the cause, the reason in @why. */
static enum batch_check_cause both_paths(const struct good *g, const struct batch_check_limits *l,
                                         char *why, size_t why_len)
{
    enum batch_check_cause got = batch_check(&g->b, l, why, why_len);
    char wwhy[128];
    struct batch_check_header hdr;
    enum batch_check_cause wgot = wire_cause(&g->b, l, wwhy, sizeof(wwhy), &hdr);
    if (wgot != got || strcmp(wwhy, why) != 0)
        print_error("structs: %s \"%s\"; wire: %s \"%s\"\n", batch_check_cause_name(got), why,
                    batch_check_cause_name(wgot), wwhy);
    assert_int_equal(wgot, got);
    assert_string_equal(wwhy, why);
    assert_int_equal(hdr.sequence, g->b.sequence);
    assert_int_equal(hdr.n_records, g->b.n_records);
    return got;
}

/* @g must fail with @cause and a reason containing @needle. */
static void expect_bad(const struct good *g, enum batch_check_cause cause, const char *needle)
{
    char why[128];
    enum batch_check_cause got = both_paths(g, &lim, why, sizeof(why));
    if (got != cause || strstr(why, needle) == NULL)
        print_error("cause %s, reason \"%s\"; wanted %s with \"%s\"\n", batch_check_cause_name(got),
                    why, batch_check_cause_name(cause), needle);
    assert_int_equal(got, cause);
    assert_non_null(strstr(why, needle));
}

static void expect_ok(const struct good *g)
{
    char why[128];
    enum batch_check_cause got = both_paths(g, &lim, why, sizeof(why));
    if (got != BATCH_OK)
        print_error("reason \"%s\"\n", why);
    assert_int_equal(got, BATCH_OK);
    assert_string_equal(why, "");
}

static void test_batch_check_passes_a_good_batch(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    expect_ok(&g);
    assert_int_equal(batch_check(&g.b, &lim, NULL, 0), BATCH_OK);
}

static void test_batch_check_names_causes(void **state)
{
    (void)state;
    assert_string_equal(batch_check_cause_name(BATCH_OK), "ok");
    assert_string_equal(batch_check_cause_name(BATCH_NO_SENSOR_ID), "no_sensor_id");
    assert_string_equal(batch_check_cause_name(BATCH_BAD_RECORD), "bad_record");
    assert_string_equal(batch_check_cause_name(BATCH_NO_RECORDS), "no_records");
    assert_string_equal(batch_check_cause_name(BATCH_CAUSE_COUNT), "unknown");
    for (int c = 0; c < BATCH_CAUSE_COUNT; c++)
        assert_string_not_equal(batch_check_cause_name(c), "unknown");
}

static void test_batch_check_wants_a_sensor_id(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    g.id[0] = '\0';
    expect_bad(&g, BATCH_NO_SENSOR_ID, "sensor_id");
    g.b.sensor_id = NULL;
    expect_bad(&g, BATCH_NO_SENSOR_ID, "sensor_id");
}

static void test_batch_check_refuses_long_or_unprintable_sensor_id(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    memset(g.id, 'a', 65);
    g.id[65] = '\0';
    expect_bad(&g, BATCH_BAD_SENSOR_ID, "sensor_id over 64");
    g.id[64] = '\0';
    expect_ok(&g);
    good_init(&g);
    g.id[6] = ' ';
    expect_bad(&g, BATCH_BAD_SENSOR_ID, "sensor_id byte 6 is 0x20");
    g.id[6] = '\x7f';
    expect_bad(&g, BATCH_BAD_SENSOR_ID, "0x7f");
    g.id[6] = '\xc3'; /* UTF-8 is not printable ASCII */
    expect_bad(&g, BATCH_BAD_SENSOR_ID, "0xc3");
}

static void test_batch_check_wants_a_sequence(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    g.b.sequence = 0;
    expect_bad(&g, BATCH_NO_SEQUENCE, "sequence 0");
}

static void test_batch_check_wants_an_epoch(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    g.b.stream_epoch = 0;
    expect_bad(&g, BATCH_NO_EPOCH, "stream_epoch 0");
}

static void test_batch_check_wants_oldest_held_within_sequence(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    g.b.oldest_held = 0;
    expect_bad(&g, BATCH_BAD_OLDEST, "oldest_held 0 with sequence 10");
    g.b.oldest_held = 11;
    expect_bad(&g, BATCH_BAD_OLDEST, "oldest_held 11");
    g.b.oldest_held = 10;
    expect_ok(&g);
    g.b.oldest_held = 1;
    expect_ok(&g);
}

static void test_batch_check_wants_one_to_max_records(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    g.b.n_records = 0;
    expect_bad(&g, BATCH_NO_RECORDS, "no records");
    good_init(&g);
    struct batch_check_limits two = {.max_records = 2};
    char why[128];
    assert_int_equal(both_paths(&g, &two, why, sizeof(why)), BATCH_TOO_MANY_RECORDS);
    assert_string_equal(why, "3 records, limit 2");
}

static void test_batch_check_wants_a_known_event(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    g.rec[BAD].event = UMBRA__FLOW_EVENT__FLOW_EVENT_UNSPECIFIED;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: event 0");
    g.rec[BAD].event = (Umbra__FlowEvent)4;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: event 4");
}

static void test_batch_check_wants_a_known_end_reason(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    g.rec[BAD].end_reason = (Umbra__EndReason)7;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: end_reason 7");
    g.rec[BAD].end_reason = (Umbra__EndReason)-1;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: end_reason -1");
}

static void test_batch_check_wants_a_key(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    g.rec[BAD].key = NULL;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: no key");
}

static void test_batch_check_wants_ip_proto_in_a_byte(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    g.key[BAD].ip_proto = 256;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: ip_proto 256");
}

static void test_batch_check_wants_matching_address_lengths(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    g.key[BAD].client_addr.len = 5;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: client_addr of 5 bytes");
    good_init(&g);
    g.key[BAD].server_addr = (ProtobufCBinaryData){.len = 16, .data = g.v6[1]};
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: server_addr of 16 bytes with client_addr of 4");
    g.key[BAD].client_addr = (ProtobufCBinaryData){.len = 16, .data = g.v6[0]};
    expect_ok(&g);
    g.key[BAD].client_addr.len = 0;
    g.key[BAD].server_addr.len = 0;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: client_addr of 0 bytes");
}

static void test_batch_check_wants_ports_in_range_and_only_where_they_exist(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    g.key[BAD].server_port = 65536;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: server_port 65536");
    good_init(&g);
    g.key[BAD].ip_proto = 132; /* SCTP has ports */
    expect_ok(&g);
    g.key[BAD].ip_proto = 1; /* ICMP does not */
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: client_port 51001 with ip_proto 1");
    g.key[BAD].client_port = 0;
    g.key[BAD].server_port = 0;
    expect_ok(&g);
}

static void test_batch_check_wants_at_most_two_vlans_of_12_bits(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    g.key[BAD].n_vlan_ids = 2;
    g.key[BAD].vlan_ids = g.vlans_bad;
    g.vlans_bad[0] = 0;
    g.vlans_bad[1] = 4096;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: vlan_ids[1] 4096");
    g.vlans_bad[1] = 4095;
    expect_ok(&g);
    g.key[BAD].n_vlan_ids = 3;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: 3 vlan_ids");
}

static void test_batch_check_wants_timing_with_ordered_times(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    g.rec[BAD].timing = NULL;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: no timing");
    good_init(&g);
    g.timing[BAD].first_ts = 0;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: first_ts 0");
    good_init(&g);
    g.timing[BAD].last_ts = g.timing[BAD].first_ts - 1;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: first_ts 1700000000000000002 after last_ts");
    g.timing[BAD].last_ts = 0; /* not known yet (OPEN) */
    expect_ok(&g);
}

static void test_batch_check_wants_splt_lists_equal_and_bounded(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    g.splt.n_iat_us = 2;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: splt lengths 3, iat_us 2, from_server 3");
    good_init(&g);
    g.splt.n_lengths = g.splt.n_iat_us = g.splt.n_from_server = BATCH_CHECK_SPLT_MAX;
    expect_ok(&g);
    g.splt.n_lengths = g.splt.n_iat_us = g.splt.n_from_server = BATCH_CHECK_SPLT_MAX + 1;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: splt of 201 packets");
}

static void test_batch_check_wants_square_markov_arrays(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    g.splt.n_length_markov = 3;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: length_markov of 3 with markov_bins 2");
    good_init(&g);
    g.splt.n_iat_markov = 2;
    g.splt.iat_markov = g.markov;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: iat_markov of 2 with markov_bins 2");
    good_init(&g);
    g.splt.markov_bins = 33;
    g.splt.n_length_markov = 0;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: markov_bins 33");
    g.splt.markov_bins = 0; /* no summary: both arrays empty */
    expect_ok(&g);
}

static void test_batch_check_wants_entropy_within_eight_bits(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    g.bd[0].entropy = -0.5;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: byte_dist_client entropy -0.5");
    good_init(&g);
    g.bd[1].entropy = 8.25;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: byte_dist_server entropy 8.25");
    g.bd[1].entropy = NAN;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: byte_dist_server entropy nan");
}

static void test_batch_check_wants_scores_within_unit_interval(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    g.head.score = 1.5f;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: heads[0] score 1.5");
    g.head.score = NAN;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: heads[0] score nan");
    good_init(&g);
    g.scores.anomaly = -0.25f;
    expect_bad(&g, BATCH_BAD_RECORD, "record 2: anomaly score -0.25");
}

/* xorshift64*: the mutations are the same in every run. */
static uint64_t rnd(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545F4914F6CDD1Dull;
}

/* One mutation of the payload @p (@n bytes, room for @cap): flip, set, cut, insert or repeat. */
static size_t mutate(uint8_t *p, size_t n, size_t cap, uint64_t *x)
{
    size_t at = n > 0 ? rnd(x) % n : 0;
    switch (rnd(x) % 6) {
    case 0:
        p[at] ^= (uint8_t)(1u << (rnd(x) % 8));
        return n;
    case 1: /* a byte that means something to the wire format */
        p[at] = (uint8_t)(const uint8_t[]){0x00, 0x01, 0x7f, 0x80, 0xff, 0x08,
                                           0x0a, 0x0d, 0x0f, 0x12, 0x2a, 0x3a}[rnd(x) % 12];
        return n;
    case 2:
        return at;
    case 3:
        if (n + 1 > cap)
            return n;
        memmove(p + at + 1, p + at, n - at);
        p[at] = (uint8_t)rnd(x);
        return n + 1;
    case 4: { /* repeat a stretch, as a field given twice */
        size_t len = 1 + rnd(x) % 24;
        if (at + len > n || n + len > cap)
            return n;
        memmove(p + at + len, p + at, n - at);
        return n + len;
    }
    default:
        p[at] = (uint8_t)rnd(x);
        return n;
    }
}

/*
 * protobuf-c with batch_check() against the walk, on thousands of mutations of a packed good
 * batch. Whatever the walk accepts, protobuf-c must decode to the same verdict, reason and
 * header; the walk may refuse more (pb_walk.h lists what), but must agree on most inputs.
 */
static void test_batch_check_wire_agrees_with_protobuf_c(void **state)
{
    (void)state;
    struct good g;
    good_init(&g);
    enum { ROUNDS = 40000 };
    static uint8_t good_env[4096], env[4096 + 64];
    size_t glen;
    assert_int_equal(wire_pack(WIRE_FLOW_BATCH, &g.b.base, good_env, sizeof(good_env), &glen), 0);
    struct pb_walk_plan *plan = batch_check_plan_create();
    assert_non_null(plan);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    unsigned seen[BATCH_COMPARE_MISMATCH + 1] = {0};
    for (unsigned i = 0; i < ROUNDS; i++) {
        memcpy(env, good_env, glen);
        size_t plen = glen - WIRE_OVERHEAD;
        for (unsigned k = 1 + (unsigned)(rnd(&x) % 3); k > 0; k--)
            plen = mutate(env + WIRE_HEADER_LEN, plen, sizeof(env) - WIRE_OVERHEAD, &x);
        char why[320];
        enum batch_compare_outcome o =
                batch_compare(plan, env + WIRE_HEADER_LEN, plen, &lim, why, sizeof(why));
        /* Inputs this small never reach protobuf-c's memory budget: that would be a mismatch too.
         */
        if (o == BATCH_COMPARE_MISMATCH || o == BATCH_COMPARE_BUDGET)
            print_error("round %u: %s\n", i, o == BATCH_COMPARE_BUDGET ? "memory budget" : why);
        assert_int_not_equal(o, BATCH_COMPARE_MISMATCH);
        assert_int_not_equal(o, BATCH_COMPARE_BUDGET);
        seen[o]++;
    }
    unsigned accepted = seen[BATCH_COMPARE_ALIKE], refused_both = seen[BATCH_COMPARE_BOTH_REFUSED];
    unsigned walk_stricter = seen[BATCH_COMPARE_WALK_STRICTER], nul_id = seen[BATCH_COMPARE_NUL_ID];
    pb_walk_plan_destroy(&plan);
    assert_null(plan);
    print_message("%u mutations: walked %u alike, both refused %u, only the walk refused %u, "
                  "NUL in the id %u\n",
                  ROUNDS, accepted, refused_both, walk_stricter, nul_id);
    /* The mutations must reach both sides of the line, and the walk's extra refusals stay rare. */
    assert_true(accepted > ROUNDS / 10);
    assert_true(refused_both > ROUNDS / 10);
    assert_true(walk_stricter < ROUNDS / 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_batch_check_passes_a_good_batch),
            cmocka_unit_test(test_batch_check_names_causes),
            cmocka_unit_test(test_batch_check_wants_a_sensor_id),
            cmocka_unit_test(test_batch_check_refuses_long_or_unprintable_sensor_id),
            cmocka_unit_test(test_batch_check_wants_a_sequence),
            cmocka_unit_test(test_batch_check_wants_an_epoch),
            cmocka_unit_test(test_batch_check_wants_oldest_held_within_sequence),
            cmocka_unit_test(test_batch_check_wants_one_to_max_records),
            cmocka_unit_test(test_batch_check_wants_a_known_event),
            cmocka_unit_test(test_batch_check_wants_a_known_end_reason),
            cmocka_unit_test(test_batch_check_wants_a_key),
            cmocka_unit_test(test_batch_check_wants_ip_proto_in_a_byte),
            cmocka_unit_test(test_batch_check_wants_matching_address_lengths),
            cmocka_unit_test(test_batch_check_wants_ports_in_range_and_only_where_they_exist),
            cmocka_unit_test(test_batch_check_wants_at_most_two_vlans_of_12_bits),
            cmocka_unit_test(test_batch_check_wants_timing_with_ordered_times),
            cmocka_unit_test(test_batch_check_wants_splt_lists_equal_and_bounded),
            cmocka_unit_test(test_batch_check_wants_square_markov_arrays),
            cmocka_unit_test(test_batch_check_wants_entropy_within_eight_bits),
            cmocka_unit_test(test_batch_check_wants_scores_within_unit_interval),
            cmocka_unit_test(test_batch_check_wire_agrees_with_protobuf_c),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
