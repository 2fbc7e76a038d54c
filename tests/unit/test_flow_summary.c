/*
 * flow_summary: a record carrying every part the summary reads (statistics, TCP, SSH, DNS, the
 * server name, SPLT, scores) is packed into a batch; the summary the walk fills must hold the
 * values worked out by hand below, and equal the summary of the decoded record. Then thousands
 * of mutations of that batch: whatever the walk accepts, its summaries equal the decoded ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator/batch_check.h"
#include "aggregator/flow_summary.h"
#include "common/pb_walk.h"
#include "common/wire.h"
#include "tests/unit/support/batch_compare.h"

#define N_SPLT 12

struct rich {
    Umbra__FlowBatch b;
    Umbra__FlowRecord rec, *recp;
    Umbra__FlowKey key;
    Umbra__FlowTiming timing;
    Umbra__DirectionStats st[2];
    Umbra__TcpInfo tcp;
    Umbra__TcpDirection td[2];
    Umbra__SshInfo ssh;
    Umbra__SshAlgorithms alg;
    Umbra__DnsInfo dns;
    Umbra__DnsAnswer ans[6], *ansp[6];
    Umbra__Splt splt;
    uint32_t lens[N_SPLT], iats[N_SPLT];
    protobuf_c_boolean from[N_SPLT];
    Umbra__Scores scores;
    Umbra__HeadScore head[3], *headp[3];
    uint8_t c4[4], s4[4], a4[5][4], a6[16];
};

static const char long_name[] = "Very-Long-Host-Name-That-Goes-On.And-On.Beyond-Sixty-Four-Bytes"
                                ".Example.COM";

static void rich_init(struct rich *r)
{
    memset(r, 0, sizeof(*r));
    r->b = (Umbra__FlowBatch)UMBRA__FLOW_BATCH__INIT;
    r->b.schema_version = UMBRA__SCHEMA_VERSION__SCHEMA_VERSION_CURRENT;
    r->b.sensor_id = "branch-1";
    r->b.sequence = 3;
    r->b.stream_epoch = 77;
    r->b.oldest_held = 1;
    r->b.n_records = 1;
    r->recp = &r->rec;
    r->b.records = &r->recp;

    Umbra__FlowRecord *x = &r->rec;
    *x = (Umbra__FlowRecord)UMBRA__FLOW_RECORD__INIT;
    x->flow_id = 0x123456789abcull;
    x->event = UMBRA__FLOW_EVENT__FLOW_EVENT_END;
    x->end_reason = UMBRA__END_REASON__END_REASON_RST;
    r->key = (Umbra__FlowKey)UMBRA__FLOW_KEY__INIT;
    r->key.ip_proto = 6;
    memcpy(r->c4, (uint8_t[]){10, 1, 0, 12}, 4);
    memcpy(r->s4, (uint8_t[]){198, 18, 0, 7}, 4);
    r->key.client_addr = (ProtobufCBinaryData){4, r->c4};
    r->key.server_addr = (ProtobufCBinaryData){4, r->s4};
    r->key.client_port = 50123;
    r->key.server_port = 22;
    x->key = &r->key;
    r->timing = (Umbra__FlowTiming)UMBRA__FLOW_TIMING__INIT;
    r->timing.first_ts = 1772442000000000000ull;
    r->timing.last_ts = 1772442060000000000ull;
    r->timing.syn_synack_ns = 31000000;
    x->timing = &r->timing;
    for (int d = 0; d < 2; d++) {
        r->st[d] = (Umbra__DirectionStats)UMBRA__DIRECTION_STATS__INIT;
        r->st[d].packets = d == 0 ? 420 : 9000000000ull; /* above 2^32: kept whole */
        r->st[d].ip_bytes = 1;
        r->st[d].payload_bytes = d == 0 ? 15120 : 88000;
        r->st[d].payload_mean = 3.5;
        r->td[d] = (Umbra__TcpDirection)UMBRA__TCP_DIRECTION__INIT;
        r->td[d].syn = d == 0 ? 3 : 1;
        r->td[d].rst = d == 0 ? 0 : 70000; /* capped at 65535 */
        r->td[d].psh = 5;
    }
    x->client = &r->st[0];
    x->server = &r->st[1];
    r->tcp = (Umbra__TcpInfo)UMBRA__TCP_INFO__INIT;
    r->tcp.client = &r->td[0];
    r->tcp.server = &r->td[1];
    x->tcp = &r->tcp;
    x->producer_consumer_ratio = -0.5;
    x->server_name = (char *)long_name;

    r->ssh = (Umbra__SshInfo)UMBRA__SSH_INFO__INIT;
    r->ssh.client_banner = "SSH-2.0-OpenSSH_9.2";
    r->alg = (Umbra__SshAlgorithms)UMBRA__SSH_ALGORITHMS__INIT;
    r->alg.kex = "curve25519-sha256";
    r->ssh.negotiated = &r->alg;
    r->ssh.client_encrypted_packets = 210;
    r->ssh.server_encrypted_packets = 205;
    r->ssh.keystrokes = 189;
    r->ssh.echoes = 185;
    r->ssh.keystroke_size = 36;
    x->ssh = &r->ssh;

    /* Answers: A, CNAME (no address), A, AAAA, A, A: the first four addresses are kept. */
    r->dns = (Umbra__DnsInfo)UMBRA__DNS_INFO__INIT;
    r->dns.query_name = "FS1.Corp.Example";
    static const uint32_t types[6] = {1, 5, 1, 28, 1, 1};
    for (int i = 0; i < 6; i++) {
        r->ans[i] = (Umbra__DnsAnswer)UMBRA__DNS_ANSWER__INIT;
        r->ans[i].type = types[i];
        r->ansp[i] = &r->ans[i];
    }
    int a = 0;
    for (int i = 0; i < 6; i++) {
        if (types[i] == 1) {
            memcpy(r->a4[a], (uint8_t[]){10, 0, 0, (uint8_t)(10 + a)}, 4);
            r->ans[i].addr = (ProtobufCBinaryData){4, r->a4[a]};
            a++;
        } else if (types[i] == 28) {
            r->a6[0] = 0x20;
            r->a6[1] = 0x01;
            r->a6[15] = 0x01;
            r->ans[i].addr = (ProtobufCBinaryData){16, r->a6};
        } else {
            r->ans[i].cname = "fs1.corp.example";
        }
    }
    r->dns.n_answers = 6;
    r->dns.answers = r->ansp;
    x->dns = &r->dns;

    /* Pairs worked by hand: (36c, 36s), (40c, [0s skipped], 52s), (36c, 36c, 36s): 3. The 36c
     * answered by 200s is not small; 1200s follows a server packet. */
    static const uint32_t lens[N_SPLT] = {0, 36, 36, 1200, 40, 0, 52, 36, 200, 36, 36, 36};
    static const bool from[N_SPLT] = {0, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1};
    r->splt = (Umbra__Splt)UMBRA__SPLT__INIT;
    for (int i = 0; i < N_SPLT; i++) {
        r->lens[i] = lens[i];
        r->iats[i] = (uint32_t)i * 1000;
        r->from[i] = from[i];
    }
    r->splt.n_lengths = r->splt.n_iat_us = r->splt.n_from_server = N_SPLT;
    r->splt.lengths = r->lens;
    r->splt.iat_us = r->iats;
    r->splt.from_server = r->from;
    x->splt = &r->splt;

    r->scores = (Umbra__Scores)UMBRA__SCORES__INIT;
    static const char *names[3] = {"beacon", "interactive-shell-tunnel", "scan"};
    static const float sc[3] = {0.25f, 0.75f, 0.75f};
    for (int i = 0; i < 3; i++) {
        r->head[i] = (Umbra__HeadScore)UMBRA__HEAD_SCORE__INIT;
        r->head[i].name = (char *)names[i];
        r->head[i].score = sc[i];
        r->headp[i] = &r->head[i];
    }
    r->scores.n_heads = 3;
    r->scores.heads = r->headp;
    r->scores.anomaly = 0.5f;
    x->scores = &r->scores;
}

static const struct batch_check_limits lim = {.max_records = 4};

static size_t pack(struct rich *r, uint8_t *env, size_t cap)
{
    size_t n;
    assert_int_equal(wire_pack(WIRE_FLOW_BATCH, &r->b.base, env, cap, &n), 0);
    return n;
}

static void test_flow_summary_walk_reads_every_field(void **state)
{
    (void)state;
    struct rich r;
    rich_init(&r);
    static uint8_t env[8192];
    size_t n = pack(&r, env, sizeof(env));
    struct flow_summary sum[4];
    struct batch_check_header h;
    enum batch_check_cause cause;
    char why[160];
    assert_int_equal(batch_check_wire(NULL, env + WIRE_HEADER_LEN, n - WIRE_OVERHEAD, &lim, &h, sum,
                                      &cause, why, sizeof(why)),
                     0);
    assert_int_equal(cause, BATCH_OK);
    const struct flow_summary *s = &sum[0];
    assert_int_equal(s->flow_id, 0x123456789abcull);
    assert_int_equal(s->event, 3);
    assert_int_equal(s->end_reason, 3);
    assert_int_equal(s->ip_proto, 6);
    assert_true(s->v4);
    static const uint8_t c[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 0, 12};
    assert_memory_equal(s->client, c, 16);
    char buf[64];
    assert_string_equal(flow_summary_addr_str(s->server, buf, sizeof(buf)), "198.18.0.7");
    assert_int_equal(s->client_port, 50123);
    assert_int_equal(s->server_port, 22);
    assert_int_equal(s->first_ts, 1772442000000000000ull);
    assert_int_equal(s->last_ts, 1772442060000000000ull);
    assert_int_equal(s->syn_synack_ns, 31000000);
    assert_int_equal(s->packets[FS_CLIENT], 420);
    assert_int_equal(s->packets[FS_SERVER], 9000000000ull);
    assert_int_equal(s->bytes[FS_CLIENT], 15120);
    assert_int_equal(s->bytes[FS_SERVER], 88000);
    assert_true(s->has_tcp);
    assert_int_equal(s->syn[FS_CLIENT], 3);
    assert_int_equal(s->syn[FS_SERVER], 1);
    assert_int_equal(s->rst[FS_CLIENT], 0);
    assert_int_equal(s->rst[FS_SERVER], 65535);
    assert_true(s->pcr == -0.5f);
    /* The first 64 bytes of the name (33 + 7 + 23 + the dot), lower-cased, the cut marked. */
    assert_string_equal(s->server_name,
                        "very-long-host-name-that-goes-on.and-on.beyond-sixty-four-bytes.");
    assert_true(s->name_cut);
    assert_string_equal(s->dns_name, "fs1.corp.example");
    assert_int_equal(s->n_dns_addr, 4);
    assert_string_equal(flow_summary_addr_str(s->dns_addr[0], buf, sizeof(buf)), "10.0.0.10");
    assert_string_equal(flow_summary_addr_str(s->dns_addr[1], buf, sizeof(buf)), "10.0.0.11");
    assert_string_equal(flow_summary_addr_str(s->dns_addr[2], buf, sizeof(buf)), "2001::1");
    assert_string_equal(flow_summary_addr_str(s->dns_addr[3], buf, sizeof(buf)), "10.0.0.12");
    assert_true(s->has_ssh);
    assert_int_equal(s->ssh_keystrokes, 189);
    assert_int_equal(s->ssh_echoes, 185);
    assert_int_equal(s->ssh_keystroke_size, 36);
    assert_int_equal(s->ssh_encrypted[FS_CLIENT], 210);
    assert_int_equal(s->ssh_encrypted[FS_SERVER], 205);
    assert_int_equal(s->splt_n, N_SPLT);
    assert_int_equal(s->splt_small_pairs, 3);
    assert_true(s->has_scores);
    assert_true(s->anomaly == 0.5f);
    assert_true(s->head_max == 0.75f);
    assert_int_equal(s->n_heads, 3);
    assert_string_equal(s->head_name, "interactive-she"); /* the first of equals, 15 bytes */

    struct flow_summary ref;
    assert_true(flow_summary_of_record(&r.rec, &ref));
    assert_memory_equal(&ref, s, sizeof(ref));
}

static void test_flow_summary_addresses(void **state)
{
    (void)state;
    uint8_t a[16];
    char buf[64];
    flow_summary_addr(a, (const uint8_t[]){192, 0, 2, 1}, 4);
    assert_true(flow_summary_is_v4(a));
    assert_string_equal(flow_summary_addr_str(a, buf, sizeof(buf)), "192.0.2.1");
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    flow_summary_addr(a, v6, 16);
    assert_false(flow_summary_is_v4(a));
    assert_string_equal(flow_summary_addr_str(a, buf, sizeof(buf)), "2001:db8::1");
}

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Whatever the walk accepts of a mutated rich batch, its summaries equal the decoded ones
 * (batch_compare checks them); byte flips, as the fuzz target's corpus would make. */
static void test_flow_summary_agrees_on_mutations(void **state)
{
    (void)state;
    struct rich r;
    rich_init(&r);
    static uint8_t good[8192], env[8192];
    size_t n = pack(&r, good, sizeof(good));
    struct pb_walk_plan *plan = batch_check_plan_create();
    assert_non_null(plan);
    uint64_t x = 0x2545f4914f6cdd1dull;
    unsigned alike = 0;
    enum { ROUNDS = 20000 };
    for (unsigned i = 0; i < ROUNDS; i++) {
        memcpy(env, good, n);
        size_t plen = n - WIRE_OVERHEAD;
        for (unsigned k = 1 + (unsigned)(rnd(&x) % 2); k > 0; k--) {
            size_t at = WIRE_HEADER_LEN + (size_t)(rnd(&x) % plen);
            env[at] ^= (uint8_t)(1u << (rnd(&x) % 8));
        }
        char why[320];
        enum batch_compare_outcome o =
                batch_compare(plan, env + WIRE_HEADER_LEN, plen, &lim, why, sizeof(why));
        if (o == BATCH_COMPARE_MISMATCH)
            print_error("round %u: %s\n", i, why);
        assert_int_not_equal(o, BATCH_COMPARE_MISMATCH);
        alike += o == BATCH_COMPARE_ALIKE;
    }
    pb_walk_plan_destroy(&plan);
    print_message("%u of %u mutations walked alike\n", alike, ROUNDS);
    assert_true(alike > ROUNDS / 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_flow_summary_walk_reads_every_field),
            cmocka_unit_test(test_flow_summary_addresses),
            cmocka_unit_test(test_flow_summary_agrees_on_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
