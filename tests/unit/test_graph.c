/*
 * graph: hand-built flow sequences and the counts they must leave (worked out in the comments),
 * names learnt from SNI and DNS, failed flows, distinct counts against known sets, tables at
 * their bounds, and the sweep against a reference list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "aggregator/graph.h"

static const uint64_t T0 = 1772442000000000000ull; /* 2026-03-02T09:00:00Z */
static const uint64_t S = 1000000000ull;

static void v4(uint8_t out[16], unsigned a, unsigned b, unsigned c, unsigned d)
{
    flow_summary_addr(out, (const uint8_t[]){(uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d}, 4);
}

/* A TCP record from 10.1.0.@c:50000 to 10.0.0.@sv:@port. */
static struct flow_summary rec(unsigned c, unsigned sv, uint16_t port, uint8_t event, uint64_t ts)
{
    struct flow_summary s;
    memset(&s, 0, sizeof(s));
    s.ip_proto = 6;
    s.event = event;
    v4(s.client, 10, 1, 0, c);
    v4(s.server, 10, 0, 0, sv);
    s.client_port = 50000;
    s.server_port = port;
    s.first_ts = ts;
    s.last_ts = ts;
    s.syn[FS_CLIENT] = 1;
    return s;
}

static struct graph *make(uint32_t hosts, uint32_t edges, uint32_t sources)
{
    struct graph_config cfg = {
            .max_hosts = hosts, .max_edges = edges, .max_sources = sources, .hll_p = 10};
    assert_int_equal(graph_prefix_parse("10.0.0.0/8", &cfg.internal[0]), 0);
    cfg.n_internal = 1;
    struct graph *g = graph_create(&cfg, NULL);
    assert_non_null(g);
    return g;
}

static void test_graph_counts_a_flow_once_and_its_bytes_at_the_end(void **state)
{
    (void)state;
    struct graph *g = make(64, 64, 8);
    struct graph_visit v;
    struct flow_summary s = rec(12, 20, 445, UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN, T0);
    graph_observe(g, &s, 0, &v);
    assert_true(v.new_edge);
    assert_true(v.counted);
    assert_false(v.failed);
    uint32_t e1 = v.edge;
    /* An UPDATE, then the END: 15,000 bytes up, 2,000,000 down, answered SYN; score 0.8. */
    s.event = UMBRA__FLOW_EVENT__FLOW_EVENT_UPDATE;
    s.last_ts = T0 + 30 * S;
    s.has_scores = true;
    s.anomaly = 0.25f;
    s.head_max = 0.8f;
    graph_observe(g, &s, 3, &v);
    assert_false(v.new_edge);
    assert_false(v.counted);
    s.event = UMBRA__FLOW_EVENT__FLOW_EVENT_END;
    s.last_ts = T0 + 60 * S;
    s.syn_synack_ns = 20000000;
    s.bytes[FS_CLIENT] = 15000;
    s.bytes[FS_SERVER] = 2000000;
    s.has_scores = true;
    s.head_max = 0.5f;
    graph_observe(g, &s, 6, &v);
    assert_int_equal(v.edge, e1);
    assert_false(v.counted);
    assert_false(v.failed);
    const struct graph_edge *e = graph_edge(g, e1);
    assert_non_null(e);
    assert_int_equal(e->flows, 1);
    assert_int_equal(e->failed, 0);
    assert_int_equal(e->bytes_c2s, 15000);
    assert_int_equal(e->bytes_s2c, 2000000);
    assert_int_equal(e->first_seen, T0);
    assert_int_equal(e->last_seen, T0 + 60 * S);
    assert_int_equal(e->scored, 2);
    assert_true(e->score_max == 0.8f);
    assert_true(fabsf(e->score_sum - 1.3f) < 1e-6f);
    const struct graph_host *c = graph_host(g, e->client), *sv = graph_host(g, e->server);
    assert_int_equal(c->flows_out, 1);
    assert_int_equal(sv->flows_in, 1);
    assert_int_equal(c->bytes_out, 15000);
    assert_int_equal(sv->bytes_out, 2000000);
    assert_true(c->internal);
    /* Another port to the same server is another edge. */
    s = rec(12, 20, 3389, UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN, T0 + 70 * S);
    graph_observe(g, &s, 7, &v);
    assert_true(v.new_edge);
    assert_int_not_equal(v.edge, e1);
    struct graph_stats st;
    graph_stats(g, &st);
    assert_int_equal(st.hosts, 2);
    assert_int_equal(st.edges, 2);
    assert_int_equal(graph_host(g, e->client)->flows_out, 2);
    graph_destroy(&g);
    assert_null(g);
}

static void test_graph_failed_flows(void **state)
{
    (void)state;
    struct graph *g = make(64, 64, 8);
    struct graph_visit v;
    /* A SYN never answered, ended by the idle timeout: its END alone counts it and fails. */
    struct flow_summary s = rec(12, 21, 22, UMBRA__FLOW_EVENT__FLOW_EVENT_END, T0);
    s.syn[FS_CLIENT] = 3;
    s.packets[FS_CLIENT] = 3;
    graph_observe(g, &s, 0, &v);
    assert_true(v.counted);
    assert_true(v.failed);
    /* A SYN answered by a RST: failed. */
    s = rec(12, 22, 22, UMBRA__FLOW_EVENT__FLOW_EVENT_END, T0);
    s.rst[FS_SERVER] = 1;
    s.packets[FS_SERVER] = 1;
    assert_true(graph_flow_failed(&s));
    /* Answered with a SYN-ACK, then reset by the client: not failed. */
    s.syn_synack_ns = 1000;
    assert_false(graph_flow_failed(&s));
    /* UDP unanswered fails, answered does not; ICMP never does. */
    s = rec(12, 23, 53, UMBRA__FLOW_EVENT__FLOW_EVENT_END, T0);
    s.ip_proto = 17;
    assert_true(graph_flow_failed(&s));
    s.packets[FS_SERVER] = 1;
    assert_false(graph_flow_failed(&s));
    s.ip_proto = 1;
    s.packets[FS_SERVER] = 0;
    assert_false(graph_flow_failed(&s));
    assert_int_equal(graph_host(g, v.client)->failed_out, 1);
    graph_destroy(&g);
}

static void test_graph_learns_names(void **state)
{
    (void)state;
    struct graph *g = make(64, 64, 8);
    struct graph_visit v;
    /* A DNS answer names 10.0.0.30 and 10.0.0.31 before anyone connects to them. */
    struct flow_summary d = rec(12, 10, 53, UMBRA__FLOW_EVENT__FLOW_EVENT_END, T0);
    d.ip_proto = 17;
    memcpy(d.dns_name, "fs1.corp.example", 17);
    d.n_dns_addr = 2;
    v4(d.dns_addr[0], 10, 0, 0, 30);
    v4(d.dns_addr[1], 10, 0, 0, 31);
    graph_observe(g, &d, 0, &v);
    uint8_t a[16];
    v4(a, 10, 0, 0, 31);
    uint32_t id = graph_find_host(g, a);
    assert_int_not_equal(id, GRAPH_NONE);
    assert_string_equal(graph_host(g, id)->name, "fs1.corp.example");
    /* A TLS flow names its server by SNI; an external server is not internal. */
    struct flow_summary s = rec(12, 0, 443, UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN, T0 + S);
    v4(s.server, 198, 18, 0, 7);
    memcpy(s.server_name, "updates.example.net", 20);
    graph_observe(g, &s, 0, &v);
    const struct graph_host *h = graph_host(g, v.server);
    assert_string_equal(h->name, "updates.example.net");
    assert_false(h->internal);
    struct graph_stats st;
    graph_stats(g, &st);
    assert_int_equal(st.names_learnt, 3);
    v4(a, 10, 9, 9, 9);
    assert_int_equal(graph_find_host(g, a), GRAPH_NONE);
    graph_destroy(&g);
}

static void test_graph_distinct_counts_per_bucket_and_window(void **state)
{
    (void)state;
    struct graph *g = make(1024, 1024, 8);
    struct graph_visit v;
    /* Bucket 5: servers .1 to .100 on port 445. Bucket 6: .76 to .125 on 445 and on 139. So the
     * window 5..6 holds 125 servers and 100 + 50 + 50 - 25 = 175 (server, port) pairs; bucket 6
     * alone 50 servers and 100 pairs. */
    for (unsigned i = 1; i <= 100; i++) {
        struct flow_summary s = rec(12, 0, 445, UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN, T0);
        v4(s.server, 10, 0, 1, i);
        graph_observe(g, &s, 5, &v);
    }
    for (unsigned i = 76; i <= 125; i++) {
        for (int p = 0; p < 2; p++) {
            struct flow_summary s =
                    rec(12, 0, p ? 139 : 445, UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN, T0 + 10 * S);
            v4(s.server, 10, 0, 1, i);
            graph_observe(g, &s, 6, &v);
        }
    }
    double sv, svc;
    graph_distinct(g, v.client, 5, 6, &sv, &svc);
    /* p = 10: a standard error of 3.3 %; allow three. */
    assert_true(fabs(sv - 125) < 125 * 0.1);
    assert_true(fabs(svc - 175) < 175 * 0.1);
    graph_distinct(g, v.client, 6, 6, &sv, &svc);
    assert_true(fabs(sv - 50) < 50 * 0.1);
    assert_true(fabs(svc - 100) < 100 * 0.1);
    graph_distinct(g, v.client, 7, 9, &sv, &svc);
    assert_true(sv == 0.0 && svc == 0.0);
    /* Bucket 5 + GRAPH_SKETCH_SLOTS reuses bucket 5's slot: bucket 5 is gone. */
    struct flow_summary s = rec(12, 200, 80, UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN, T0 + 90 * S);
    graph_observe(g, &s, 5 + GRAPH_SKETCH_SLOTS, &v);
    graph_distinct(g, v.client, 5, 5, &sv, &svc);
    assert_true(sv == 0.0);
    graph_distinct(g, v.client, 5, 5 + GRAPH_SKETCH_SLOTS, &sv, &svc);
    assert_true(fabs(sv - 51) < 51 * 0.1);
    /* A late record for bucket 5 now is not counted anywhere. */
    s = rec(12, 201, 80, UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN, T0);
    graph_observe(g, &s, 5, &v);
    graph_distinct(g, v.client, 5, 5, &sv, &svc);
    assert_true(sv == 0.0);
    graph_destroy(&g);
}

static void test_graph_full_tables_refuse_and_count(void **state)
{
    (void)state;
    /* 3 hosts, 1 edge, no sketch sets. */
    struct graph *g = make(3, 1, 0);
    struct graph_visit v;
    struct flow_summary s = rec(1, 1, 80, UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN, T0);
    graph_observe(g, &s, 0, &v);
    assert_int_not_equal(v.edge, GRAPH_NONE);
    s = rec(1, 2, 80, UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN, T0);
    graph_observe(g, &s, 0, &v); /* a third host, no room for its edge */
    assert_int_not_equal(v.server, GRAPH_NONE);
    assert_int_equal(v.edge, GRAPH_NONE);
    s = rec(1, 3, 80, UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN, T0);
    graph_observe(g, &s, 0, &v); /* a fourth host: no room */
    assert_int_equal(v.server, GRAPH_NONE);
    struct graph_stats st;
    graph_stats(g, &st);
    assert_int_equal(st.hosts, 3);
    assert_int_equal(st.edges, 1);
    assert_int_equal(st.hosts_dropped, 1);
    assert_int_equal(st.edges_dropped, 1);
    assert_int_equal(st.sketch_pool_exhausted, 2);
    assert_true(st.memory > 0);
    graph_destroy(&g);
    /* Invalid limits. */
    struct graph_config bad = {.max_hosts = 4, .max_edges = 4, .max_sources = 8, .hll_p = 10};
    assert_null(graph_create(&bad, NULL));
    bad.max_sources = 1;
    bad.hll_p = 13;
    assert_null(graph_create(&bad, NULL));
}

/* Many hosts come and go; after each sweep exactly the recent ones are found, through an index
 * that has had entries removed from the middle of its probe runs. */
static void test_graph_sweep_forgets_the_old_and_keeps_the_index_whole(void **state)
{
    (void)state;
    enum { N = 600 };
    struct graph *g = make(N + 8, 2 * N, 16);
    struct graph_visit v;
    uint64_t seen[N] = {0};
    uint64_t x = 88172645463325252ull;
    for (int round = 0; round < 6; round++) {
        for (int k = 0; k < 300; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            unsigned i = (unsigned)(x % N);
            uint64_t ts = T0 + (uint64_t)(round * 1000 + k) * S;
            struct flow_summary s = rec(1, 0, 80, UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN, ts);
            v4(s.server, 10, 0, (uint8_t)(i / 200), (uint8_t)(i % 200));
            graph_observe(g, &s, 0, &v);
            seen[i] = ts;
        }
        uint64_t cut = T0 + (uint64_t)(round * 1000 + 150) * S;
        graph_sweep(g, cut);
        for (unsigned i = 0; i < N; i++) {
            uint8_t a[16];
            v4(a, 10, 0, (uint8_t)(i / 200), (uint8_t)(i % 200));
            uint32_t id = graph_find_host(g, a);
            if (seen[i] >= cut) {
                assert_int_not_equal(id, GRAPH_NONE);
                assert_int_equal(graph_host(g, id)->last_seen, seen[i]);
            } else {
                assert_int_equal(id, GRAPH_NONE);
                seen[i] = 0;
            }
        }
    }
    struct graph_stats st;
    graph_stats(g, &st);
    assert_true(st.hosts_forgotten > 0);
    assert_int_equal(st.edges, st.hosts - 1); /* one edge per server from the one client */
    graph_destroy(&g);
}

static void test_graph_prefixes(void **state)
{
    (void)state;
    struct graph_prefix p;
    assert_int_equal(graph_prefix_parse("172.16.0.0/12", &p), 0);
    assert_int_equal(p.len, 108);
    assert_int_equal(graph_prefix_parse("fd00::/8", &p), 0);
    assert_int_equal(p.len, 8);
    assert_int_equal(graph_prefix_parse("10.0.0.1", &p), 0);
    assert_int_equal(p.len, 128);
    assert_int_equal(graph_prefix_parse("10.0.0.1/8", &p), -EINVAL); /* host bits */
    assert_int_equal(graph_prefix_parse("10.0.0.0/33", &p), -EINVAL);
    assert_int_equal(graph_prefix_parse("10.0.0.0/", &p), -EINVAL);
    assert_int_equal(graph_prefix_parse("intranet/8", &p), -EINVAL);
    struct graph_config cfg = {.max_hosts = 4, .max_edges = 4, .hll_p = 4, .n_internal = 2};
    assert_int_equal(graph_prefix_parse("172.16.0.0/12", &cfg.internal[0]), 0);
    assert_int_equal(graph_prefix_parse("fd00::/8", &cfg.internal[1]), 0);
    struct graph *g = graph_create(&cfg, NULL);
    assert_non_null(g);
    uint8_t a[16];
    v4(a, 172, 31, 255, 1);
    assert_true(graph_internal(g, a));
    v4(a, 172, 32, 0, 1);
    assert_false(graph_internal(g, a));
    uint8_t b[16] = {0xfd, 0x12, [15] = 1};
    assert_true(graph_internal(g, b));
    b[0] = 0xfe;
    assert_false(graph_internal(g, b));
    graph_destroy(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_graph_counts_a_flow_once_and_its_bytes_at_the_end),
            cmocka_unit_test(test_graph_failed_flows),
            cmocka_unit_test(test_graph_learns_names),
            cmocka_unit_test(test_graph_distinct_counts_per_bucket_and_window),
            cmocka_unit_test(test_graph_full_tables_refuse_and_count),
            cmocka_unit_test(test_graph_sweep_forgets_the_old_and_keeps_the_index_whole),
            cmocka_unit_test(test_graph_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
