/*
 * flow_table: each rule of docs/FLOWS.md on hand-built packets. Expected events and counts are
 * worked out by hand from the packets each test sends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "sensor/decode.h"
#include "sensor/flow_pipe.h"
#include "sensor/flow_table.h"

#define SEC CLOCK_NS_PER_SEC
#define T0  (1700000000ULL * SEC)

/* The packet path must not allocate: malloc/calloc/realloc are wrapped (-Wl,--wrap) and counted
 * while `counting` is set. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
static int counting;
static unsigned allocations;

void *__wrap_malloc(size_t n)
{
    allocations += counting;
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
    allocations += counting;
    return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
    allocations += counting;
    return __real_realloc(p, n);
}

#define MAX_EVENTS 512

struct seen_event {
    enum flow_event_type type;
    enum flow_end_reason reason;
    uint32_t seq;
    struct flow flow;
    struct flow_info info;
};

struct recorder {
    struct seen_event ev[MAX_EVENTS];
    int n;
};

static void record(void *ctx, const struct flow_event *ev)
{
    struct recorder *r = ctx;
    assert_true(r->n < MAX_EVENTS);
    r->ev[r->n].type = ev->type;
    r->ev[r->n].reason = ev->reason;
    r->ev[r->n].seq = ev->seq;
    r->ev[r->n].flow = *ev->flow;
    r->ev[r->n].info = *ev->info;
    r->n++;
}

static struct flow_table_config default_cfg(void)
{
    struct flow_table_config cfg = {
            .max_flows = 16,
            .tcp_idle_ns = 300 * SEC,
            .udp_idle_ns = 60 * SEC,
            .other_idle_ns = 60 * SEC,
            .close_linger_ns = 2 * SEC,
            .active_ns = 0,
            .frag_slots = 64,
            .hash_seed = 42,
    };
    return cfg;
}

/* A packet from 10.0.0.<a>:<sp> to 10.0.0.<b>:<dp>. */
static struct pkt mk(uint8_t proto, uint8_t a, uint16_t sp, uint8_t b, uint16_t dp, uint64_t ts,
                     uint8_t flags, uint32_t payload)
{
    struct pkt p;
    memset(&p, 0, sizeof(p));
    p.ts_ns = ts;
    p.ip_version = 4;
    p.proto = proto;
    p.src[0] = 10;
    p.src[3] = a;
    p.dst[0] = 10;
    p.dst[3] = b;
    p.sport = sp;
    p.dport = dp;
    p.tcp_flags = flags;
    uint32_t l4 = proto == 6 ? 20 : 8;
    p.payload_len = payload;
    p.l4_len = l4 + payload;
    p.ip_len = 20 + l4 + payload;
    return p;
}

static struct pkt tcp(uint8_t a, uint16_t sp, uint8_t b, uint16_t dp, uint64_t ts, uint8_t flags,
                      uint32_t payload)
{
    return mk(6, a, sp, b, dp, ts, flags, payload);
}

static struct pkt udp(uint8_t a, uint16_t sp, uint8_t b, uint16_t dp, uint64_t ts, uint32_t payload)
{
    return mk(17, a, sp, b, dp, ts, 0, payload);
}

static struct flow_table *mk_table(const struct flow_table_config *cfg, struct recorder *r)
{
    memset(r, 0, sizeof(*r));
    struct flow_table *ft = flow_table_create(cfg, record, r, NULL);
    assert_non_null(ft);
    return ft;
}

static void test_flow_table_first_sender_is_client_and_counts_each_direction(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    struct recorder r;
    struct flow_table *ft = mk_table(&cfg, &r);
    /* 10.0.0.9:5353 -> 10.0.0.1:53 (higher address first, so the key's lo side is the server). */
    struct pkt q = udp(9, 5353, 1, 53, T0, 30);
    struct pkt a = udp(1, 53, 9, 5353, T0 + 1000, 100);
    flow_table_packet(ft, &q);
    flow_table_packet(ft, &a);
    flow_table_packet(ft, &q);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);

    assert_int_equal(r.n, 2);
    assert_int_equal(r.ev[0].type, FLOW_EVENT_OPEN);
    assert_int_equal(r.ev[1].type, FLOW_EVENT_END);
    assert_int_equal(r.ev[1].reason, FLOW_END_SHUTDOWN);
    const struct flow *f = &r.ev[1].flow;
    assert_int_equal(flow_client_addr(f)[3], 9);
    assert_int_equal(flow_client_port(f), 5353);
    assert_int_equal(flow_server_addr(f)[3], 1);
    assert_int_equal(flow_server_port(f), 53);
    /* Client: 2 packets of 20 + 8 + 30 = 58 IP bytes; server: 1 of 20 + 8 + 100 = 128. */
    assert_int_equal(f->dir[FLOW_DIR_CLIENT].packets, 2);
    assert_int_equal(f->dir[FLOW_DIR_CLIENT].ip_bytes, 116);
    assert_int_equal(f->dir[FLOW_DIR_CLIENT].payload_bytes, 60);
    assert_int_equal(f->dir[FLOW_DIR_SERVER].packets, 1);
    assert_int_equal(f->dir[FLOW_DIR_SERVER].ip_bytes, 128);
    assert_int_equal(r.ev[1].info.first_ts, T0);
    assert_int_equal(f->last_ts, T0 + 1000);
    flow_table_destroy(&ft);
    assert_null(ft);
}

static void test_flow_table_syn_ack_first_makes_its_sender_the_server(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    struct recorder r;
    struct flow_table *ft = mk_table(&cfg, &r);
    struct pkt sa = tcp(2, 443, 7, 40000, T0, TCP_SYN | TCP_ACK, 0);
    flow_table_packet(ft, &sa);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    const struct flow *f = &r.ev[1].flow;
    assert_int_equal(flow_server_port(f), 443);
    assert_int_equal(flow_server_addr(f)[3], 2);
    assert_int_equal(f->dir[FLOW_DIR_SERVER].packets, 1);
    flow_table_destroy(&ft);
}

static void test_flow_table_midstream_tcp_takes_lower_port_as_server(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    struct recorder r;
    struct flow_table *ft = mk_table(&cfg, &r);
    /* Picked up mid-stream: a data segment from the server (port 22) comes first. */
    struct pkt d = tcp(3, 22, 4, 51000, T0, TCP_ACK | TCP_PSH, 48);
    flow_table_packet(ft, &d);
    /* Equal ports: the first packet's destination is the server. */
    struct pkt e = tcp(5, 7000, 6, 7000, T0, TCP_ACK, 0);
    flow_table_packet(ft, &e);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    assert_int_equal(r.n, 4);
    for (int i = 0; i < r.n; i++) {
        const struct flow *f = &r.ev[i].flow;
        if (r.ev[i].type != FLOW_EVENT_END)
            continue;
        if (f->key.lo_port == 22 || f->key.hi_port == 22) {
            assert_int_equal(flow_server_port(f), 22);
            assert_int_equal(f->dir[FLOW_DIR_SERVER].packets, 1);
        } else {
            assert_int_equal(flow_server_addr(f)[3], 6);
            assert_int_equal(flow_client_addr(f)[3], 5);
        }
    }
    flow_table_destroy(&ft);
}

static void test_flow_table_idle_timeout_ends_flow_and_next_packet_starts_new_one(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    struct recorder r;
    struct flow_table *ft = mk_table(&cfg, &r);
    struct pkt a = udp(1, 1000, 2, 53, T0, 10);
    flow_table_packet(ft, &a);
    /* 59 s later: still the same flow. */
    a.ts_ns = T0 + 59 * SEC;
    flow_table_packet(ft, &a);
    assert_int_equal(r.n, 1);
    /* 61 s after that: the 60 s UDP idle timeout has passed; a new flow starts. */
    a.ts_ns = T0 + 120 * SEC;
    flow_table_packet(ft, &a);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.ev[1].type, FLOW_EVENT_END);
    assert_int_equal(r.ev[1].reason, FLOW_END_IDLE);
    assert_int_equal(r.ev[1].flow.dir[FLOW_DIR_CLIENT].packets, 2);
    assert_int_equal(r.ev[1].flow.last_ts, T0 + 59 * SEC);
    assert_int_equal(r.ev[2].type, FLOW_EVENT_OPEN);
    assert_true(r.ev[2].info.id > r.ev[1].info.id);

    /* flow_table_expire() ends it without a packet, once 60 s have passed. */
    flow_table_expire(ft, T0 + 179 * SEC);
    assert_int_equal(r.n, 3);
    flow_table_expire(ft, T0 + 181 * SEC);
    assert_int_equal(r.n, 4);
    assert_int_equal(r.ev[3].reason, FLOW_END_IDLE);
    struct flow_table_stats st;
    flow_table_stats(ft, &st);
    assert_int_equal(st.flows_created, 2);
    assert_int_equal(st.flows_ended[FLOW_END_IDLE], 2);
    assert_int_equal(st.flows_active, 0);
    flow_table_destroy(&ft);
}

/* A hostile or broken capture: one packet stamped decades ahead, then time goes on as before.
 * Idle timeouts must keep working for the flows after it (the future flow ends at shutdown). */
static void test_flow_table_future_stamped_packet_does_not_stop_idle_timeouts(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    struct recorder r;
    struct flow_table *ft = mk_table(&cfg, &r);
    struct pkt a = udp(1, 1000, 2, 53, T0, 0);
    struct pkt b = udp(3, 1000, 2, 53, T0 + 2000000000ULL * SEC, 0);
    struct pkt c = udp(4, 1000, 2, 53, T0 + 1000 * SEC, 0);
    flow_table_packet(ft, &a);
    flow_table_packet(ft, &b);
    /* C at 1000 s, 1200 s, 1400 s: 200 s gaps, beyond the 60 s UDP timeout: three flows. */
    for (int i = 0; i < 3; i++) {
        flow_table_packet(ft, &c);
        c.ts_ns += 200 * SEC;
    }
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    int c_flows = 0;
    int c_idle = 0;
    int a_idle = 0;
    for (int i = 0; i < r.n; i++) {
        if (r.ev[i].type != FLOW_EVENT_END)
            continue;
        if (flow_client_addr(&r.ev[i].flow)[3] == 4) {
            c_flows++;
            c_idle += r.ev[i].reason == FLOW_END_IDLE;
        }
        if (flow_client_addr(&r.ev[i].flow)[3] == 1)
            a_idle += r.ev[i].reason == FLOW_END_IDLE;
    }
    assert_int_equal(c_flows, 3);
    assert_int_equal(c_idle, 2);
    assert_int_equal(a_idle, 1);
    flow_table_destroy(&ft);
}

static void test_flow_table_tcp_and_udp_have_their_own_idle_timeouts(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    struct recorder r;
    struct flow_table *ft = mk_table(&cfg, &r);
    struct pkt t = tcp(1, 1000, 2, 80, T0, TCP_ACK, 0);
    struct pkt u = udp(1, 1000, 2, 80, T0, 0);
    flow_table_packet(ft, &t);
    flow_table_packet(ft, &u);
    flow_table_expire(ft, T0 + 100 * SEC);
    /* UDP (60 s) ended; TCP (300 s) still live. */
    assert_int_equal(r.n, 3);
    assert_int_equal(r.ev[2].flow.key.proto, 17);
    flow_table_expire(ft, T0 + 301 * SEC);
    assert_int_equal(r.n, 4);
    assert_int_equal(r.ev[3].flow.key.proto, 6);
    flow_table_destroy(&ft);
}

static void test_flow_table_active_timeout_emits_updates_with_running_counts(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    cfg.active_ns = 10 * SEC;
    struct recorder r;
    struct flow_table *ft = mk_table(&cfg, &r);
    /* One packet every 4 s from T0 to T0 + 24 s: updates at 12 s and 24 s (the first packet at
     * or after each 10 s since the last report). */
    for (int i = 0; i <= 6; i++) {
        struct pkt p = tcp(1, 5000, 2, 443, T0 + (uint64_t)i * 4 * SEC, TCP_ACK, 100);
        flow_table_packet(ft, &p);
    }
    assert_int_equal(r.n, 3);
    assert_int_equal(r.ev[1].type, FLOW_EVENT_UPDATE);
    assert_int_equal(r.ev[1].flow.dir[FLOW_DIR_CLIENT].packets, 4);
    assert_int_equal(r.ev[1].flow.last_ts, T0 + 12 * SEC);
    assert_int_equal(r.ev[2].type, FLOW_EVENT_UPDATE);
    assert_int_equal(r.ev[2].flow.dir[FLOW_DIR_CLIENT].packets, 7);
    /* Each event of the flow is numbered (FlowRecord.update_seq): OPEN 0, then 1, 2, and the
     * END after them. A second flow starts again at 0, even in a reused slot. */
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    struct pkt q = tcp(3, 5001, 2, 443, T0 + 30 * SEC, TCP_ACK, 100);
    flow_table_packet(ft, &q);
    assert_int_equal(r.n, 5);
    for (int i = 0; i < 4; i++)
        assert_int_equal(r.ev[i].seq, (uint32_t)i);
    assert_int_equal(r.ev[3].type, FLOW_EVENT_END);
    assert_int_equal(r.ev[4].type, FLOW_EVENT_OPEN);
    assert_int_equal(r.ev[4].seq, 0);
    flow_table_destroy(&ft);
}

static void test_flow_table_fin_both_ways_ends_after_linger_with_last_ack(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    struct recorder r;
    struct flow_table *ft = mk_table(&cfg, &r);
    struct pkt p[] = {
            tcp(1, 40000, 2, 80, T0, TCP_SYN, 0),
            tcp(2, 80, 1, 40000, T0 + 1000, TCP_SYN | TCP_ACK, 0),
            tcp(1, 40000, 2, 80, T0 + 2000, TCP_ACK, 0),
            tcp(1, 40000, 2, 80, T0 + 3000, TCP_FIN | TCP_ACK, 0),
            tcp(2, 80, 1, 40000, T0 + 4000, TCP_FIN | TCP_ACK, 0),
            tcp(1, 40000, 2, 80, T0 + 5000, TCP_ACK, 0), /* the last ACK, within the linger */
    };
    for (size_t i = 0; i < 6; i++)
        flow_table_packet(ft, &p[i]);
    flow_table_expire(ft, T0 + SEC); /* linger (2 s) not over */
    assert_int_equal(r.n, 1);
    flow_table_expire(ft, T0 + 3 * SEC);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.ev[1].reason, FLOW_END_FIN);
    assert_int_equal(r.ev[1].flow.dir[FLOW_DIR_CLIENT].packets, 4);
    assert_int_equal(r.ev[1].flow.dir[FLOW_DIR_SERVER].packets, 2);
    flow_table_destroy(&ft);
}

static void test_flow_table_rst_ends_flow_with_reason_rst(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    struct recorder r;
    struct flow_table *ft = mk_table(&cfg, &r);
    struct pkt syn = tcp(1, 40001, 2, 81, T0, TCP_SYN, 0);
    struct pkt rst = tcp(2, 81, 1, 40001, T0 + 309000, TCP_RST | TCP_ACK, 0);
    flow_table_packet(ft, &syn);
    flow_table_packet(ft, &rst);
    flow_table_expire(ft, T0 + 3 * SEC);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.ev[1].reason, FLOW_END_RST);
    assert_int_equal(r.ev[1].flow.dir[FLOW_DIR_SERVER].packets, 1);
    flow_table_destroy(&ft);
}

static void test_flow_table_new_syn_after_close_starts_new_flow(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    struct recorder r;
    struct flow_table *ft = mk_table(&cfg, &r);
    struct pkt syn = tcp(1, 40002, 2, 82, T0, TCP_SYN, 0);
    struct pkt rst = tcp(2, 82, 1, 40002, T0 + 1000, TCP_RST | TCP_ACK, 0);
    struct pkt syn2 = tcp(1, 40002, 2, 82, T0 + 2000, TCP_SYN, 0);
    flow_table_packet(ft, &syn);
    /* A retransmitted SYN on a live flow is the same flow. */
    flow_table_packet(ft, &syn);
    flow_table_packet(ft, &rst);
    /* Within the linger, but a new SYN: the port is reused by a new connection. */
    flow_table_packet(ft, &syn2);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.ev[1].type, FLOW_EVENT_END);
    assert_int_equal(r.ev[1].reason, FLOW_END_RST);
    assert_int_equal(r.ev[1].flow.dir[FLOW_DIR_CLIENT].packets, 2);
    assert_int_equal(r.ev[2].type, FLOW_EVENT_OPEN);
    struct flow_table_stats st;
    flow_table_stats(ft, &st);
    assert_int_equal(st.port_reuse, 1);
    assert_int_equal(st.flows_created, 2);
    flow_table_destroy(&ft);
}

static void test_flow_table_evicts_longest_idle_when_full(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    cfg.max_flows = 3;
    struct recorder r;
    struct flow_table *ft = mk_table(&cfg, &r);
    /* Flows A, B, C at 0 s, 2 s, 4 s; A gets another packet at 6 s; D at 8 s evicts B. */
    struct pkt a = udp(1, 1, 2, 2, T0, 0);
    struct pkt b = udp(1, 3, 2, 4, T0 + 2 * SEC, 0);
    struct pkt c = udp(1, 5, 2, 6, T0 + 4 * SEC, 0);
    struct pkt d = udp(1, 7, 2, 8, T0 + 8 * SEC, 0);
    flow_table_packet(ft, &a);
    flow_table_packet(ft, &b);
    flow_table_packet(ft, &c);
    a.ts_ns = T0 + 6 * SEC;
    flow_table_packet(ft, &a);
    flow_table_packet(ft, &d);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.ev[3].type, FLOW_EVENT_END);
    assert_int_equal(r.ev[3].reason, FLOW_END_EVICTED);
    assert_int_equal(r.ev[3].flow.key.lo_port, 3);
    assert_int_equal(r.ev[4].type, FLOW_EVENT_OPEN);
    struct flow_table_stats st;
    flow_table_stats(ft, &st);
    assert_int_equal(st.flows_ended[FLOW_END_EVICTED], 1);
    assert_int_equal(st.flows_active, 3);
    assert_int_equal(st.max_active, 3);
    flow_table_destroy(&ft);
}

static void test_flow_table_vlan_separates_flows(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    struct recorder r;
    struct flow_table *ft = mk_table(&cfg, &r);
    struct pkt p = udp(1, 1000, 2, 2000, T0, 0);
    flow_table_packet(ft, &p);
    p.n_vlans = 1;
    p.vlan[0] = 100;
    flow_table_packet(ft, &p);
    p.n_vlans = 2;
    p.vlan[1] = 7;
    flow_table_packet(ft, &p);
    struct flow_table_stats st;
    flow_table_stats(ft, &st);
    assert_int_equal(st.flows_created, 3);
    assert_int_equal(r.ev[1].flow.key.vlan, 100);
    assert_int_equal(r.ev[2].flow.key.inner_vlan, 7);
    flow_table_destroy(&ft);
}

static void test_flow_table_ipv6_endpoints(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    struct recorder r;
    struct flow_table *ft = mk_table(&cfg, &r);
    struct pkt p = tcp(0, 50000, 0, 443, T0, TCP_SYN, 0);
    p.ip_version = 6;
    memset(p.src, 0, 16);
    memset(p.dst, 0, 16);
    p.src[0] = 0x20;
    p.src[1] = 0x01;
    p.src[15] = 2;
    p.dst[0] = 0x20;
    p.dst[1] = 0x01;
    p.dst[15] = 1;
    p.ip_len = 60;
    flow_table_packet(ft, &p);
    struct pkt back = p;
    memcpy(back.src, p.dst, 16);
    memcpy(back.dst, p.src, 16);
    back.sport = 443;
    back.dport = 50000;
    back.tcp_flags = TCP_SYN | TCP_ACK;
    flow_table_packet(ft, &back);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    assert_int_equal(r.n, 2);
    const struct flow *f = &r.ev[1].flow;
    assert_int_equal(flow_client_addr(f)[15], 2);
    assert_int_equal(f->dir[FLOW_DIR_SERVER].packets, 1);
    assert_int_equal(f->dir[FLOW_DIR_CLIENT].ip_bytes, 60);
    flow_table_destroy(&ft);
}

static void test_flow_table_tunnelled_packets_key_on_inner_and_record_tunnel(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    struct recorder r;
    struct flow_table *ft = mk_table(&cfg, &r);
    /* The inner packet 10.0.0.1:4000 -> 10.0.0.2:80 arrives in VXLAN 4242 between 192.0.2.1
     * and 192.0.2.2; its answer too. One flow, keyed by the inner packet, tunnel recorded. */
    struct pkt p = tcp(1, 4000, 2, 80, T0, TCP_SYN, 0);
    p.tunnel.type = PKT_TUNNEL_VXLAN;
    p.tunnel.ip_version = 4;
    p.tunnel.src[0] = 192;
    p.tunnel.src[2] = 2;
    p.tunnel.src[3] = 1;
    p.tunnel.dst[0] = 192;
    p.tunnel.dst[2] = 2;
    p.tunnel.dst[3] = 2;
    p.tunnel.id = 4242;
    struct pkt back = tcp(2, 80, 1, 4000, T0 + 1000, TCP_SYN | TCP_ACK, 0);
    back.tunnel = p.tunnel;
    flow_table_packet(ft, &p);
    flow_table_packet(ft, &back);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.ev[1].info.tunnel.type, PKT_TUNNEL_VXLAN);
    assert_int_equal(r.ev[1].info.tunnel.id, 4242);
    assert_int_equal(r.ev[1].info.tunnel.src[3], 1);
    assert_int_equal(flow_client_port(&r.ev[1].flow), 4000);
    assert_int_equal(r.ev[1].flow.dir[FLOW_DIR_SERVER].packets, 1);
    flow_table_destroy(&ft);
}

static void test_flow_table_later_fragments_join_their_first_fragment(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    struct recorder r;
    struct flow_table *ft = mk_table(&cfg, &r);
    /* A 3-fragment UDP datagram: first 1500, then 1500 and 500 bytes of IP. */
    struct pkt first = udp(1, 123, 2, 123, T0, 1472);
    first.frag = PKT_FRAG_FIRST;
    first.frag_id = 77;
    first.ip_len = 1500;
    struct pkt later = first;
    later.frag = PKT_FRAG_LATER;
    later.sport = later.dport = 0;
    later.payload_len = 1480;
    flow_table_packet(ft, &first);
    flow_table_packet(ft, &later);
    later.ip_len = 500;
    later.payload_len = 480;
    flow_table_packet(ft, &later);
    /* A later fragment of a datagram whose first fragment was never seen. */
    later.frag_id = 78;
    flow_table_packet(ft, &later);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    assert_int_equal(r.n, 2);
    const struct flow *f = &r.ev[1].flow;
    assert_int_equal(f->dir[FLOW_DIR_CLIENT].packets, 3);
    assert_int_equal(f->dir[FLOW_DIR_CLIENT].ip_bytes, 1500 + 1500 + 500);
    struct flow_table_stats st;
    flow_table_stats(ft, &st);
    assert_int_equal(st.frag_attributed, 2);
    assert_int_equal(st.frag_unattributed, 1);
    assert_int_equal(st.flows_created, 1);
    flow_table_destroy(&ft);
}

static void test_flow_table_flush_ends_every_flow_once(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    struct recorder r;
    struct flow_table *ft = mk_table(&cfg, &r);
    for (uint16_t i = 0; i < 10; i++) {
        struct pkt p = i % 2 ? udp(1, (uint16_t)(1000 + i), 2, 53, T0 + i, 0)
                             : tcp(1, (uint16_t)(1000 + i), 2, 80, T0 + i, TCP_SYN, 0);
        flow_table_packet(ft, &p);
    }
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    int ends = 0;
    for (int i = 0; i < r.n; i++)
        ends += r.ev[i].type == FLOW_EVENT_END && r.ev[i].reason == FLOW_END_SHUTDOWN;
    assert_int_equal(ends, 10);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    assert_int_equal(r.n, 20);
    flow_table_destroy(&ft);
}

static void noop(void *ctx, const struct flow_event *ev)
{
    (void)ctx;
    (void)ev;
}

/* The design's memory target: at most 256 bytes of table per flow, index included. */
static void test_flow_table_uses_at_most_256_bytes_per_flow(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    cfg.max_flows = 1u << 20;
    struct flow_table *ft = flow_table_create(&cfg, noop, NULL, NULL);
    assert_non_null(ft);
    assert_true(flow_table_memory(ft) / cfg.max_flows <= 256);
    flow_table_destroy(&ft);
}

static void test_flow_table_packet_path_allocates_nothing(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    cfg.max_flows = 64;
    cfg.active_ns = SEC;
    struct flow_table *ft = flow_table_create(&cfg, noop, NULL, NULL);
    counting = 1;
    allocations = 0;
    /* Creations, evictions, FIN/RST closes, timeouts, fragments: 20000 packets. */
    for (uint32_t i = 0; i < 20000; i++) {
        uint8_t flags = i % 7 == 0 ? TCP_SYN : i % 11 == 0 ? TCP_FIN : i % 13 == 0 ? TCP_RST : 0;
        struct pkt p = tcp((uint8_t)(i % 200), (uint16_t)(i % 300), 2, 443,
                           T0 + (uint64_t)i * 50000000ULL, flags, 10);
        p.frag = i % 17 == 0 ? PKT_FRAG_LATER : PKT_FRAG_NONE;
        flow_table_packet(ft, &p);
    }
    flow_table_expire(ft, T0 + 10000 * SEC);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    counting = 0;
    assert_int_equal(allocations, 0);
    flow_table_destroy(&ft);
}

/* A sequence that exercises every rule, for comparing the direct path with the pipe. */
static struct pkt mixed_packet(uint32_t i)
{
    uint8_t flags = i % 7 == 0 ? TCP_SYN : i % 11 == 0 ? TCP_FIN : i % 13 == 0 ? TCP_RST : TCP_ACK;
    struct pkt p = i % 3 ? tcp((uint8_t)(i % 23), (uint16_t)(1000 + i % 37), 2, 443,
                               T0 + (uint64_t)i * 300000000ULL, flags, i % 100)
                         : udp(2, 53, (uint8_t)(i % 19), (uint16_t)(2000 + i % 5),
                               T0 + (uint64_t)i * 300000000ULL, 40);
    if (i % 29 == 0) {
        p.frag = PKT_FRAG_FIRST;
        p.frag_id = i;
    } else if (i % 29 == 1) {
        /* The later fragment of the datagram the packet before started. */
        p = mixed_packet(i - 1);
        p.ts_ns += 1000;
        p.frag = PKT_FRAG_LATER;
        p.sport = p.dport = 0;
    }
    return p;
}

static void test_flow_pipe_gives_the_same_events_as_the_direct_path(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    cfg.max_flows = 8; /* small enough to evict */
    cfg.active_ns = 20 * SEC;
    static struct recorder direct;
    static struct recorder piped;
    struct flow_table *a = mk_table(&cfg, &direct);
    struct flow_table *b = mk_table(&cfg, &piped);
    struct flow_pipe pipe;
    flow_pipe_init(&pipe, b);
    int compared = 0;
    for (uint32_t i = 0; i < 2000; i++) {
        struct pkt p = mixed_packet(i);
        flow_table_packet(a, &p);
        flow_pipe_push(&pipe, &p);
        /* Drain now and then, as the sensor does between slices; compare what both emitted. */
        if (i % 50 == 49 || i == 1999) {
            flow_pipe_drain(&pipe);
            assert_int_equal(direct.n, piped.n);
            for (int k = 0; k < direct.n; k++) {
                assert_int_equal(direct.ev[k].type, piped.ev[k].type);
                assert_int_equal(direct.ev[k].reason, piped.ev[k].reason);
                assert_int_equal(direct.ev[k].info.id, piped.ev[k].info.id);
                assert_memory_equal(&direct.ev[k].flow.key, &piped.ev[k].flow.key,
                                    sizeof(struct flow_key));
                assert_memory_equal(direct.ev[k].flow.dir, piped.ev[k].flow.dir,
                                    sizeof(direct.ev[k].flow.dir));
                assert_int_equal(direct.ev[k].flow.last_ts, piped.ev[k].flow.last_ts);
                compared++;
            }
            direct.n = piped.n = 0;
        }
    }
    assert_true(compared > 500);
    struct flow_table_stats sa;
    struct flow_table_stats sb;
    flow_table_stats(a, &sa);
    flow_table_stats(b, &sb);
    assert_memory_equal(&sa, &sb, sizeof(sa));
    assert_true(sa.flows_ended[FLOW_END_EVICTED] > 0);
    assert_true(sa.frag_attributed > 0);
    flow_table_destroy(&a);
    flow_table_destroy(&b);
}

/* What the pipe's payload test checks on each accounted packet. */
struct payload_check {
    uint32_t cap;
    uint32_t seen;
};

/* Payload byte j of packet i: a pattern no two nearby packets share. */
static uint8_t payload_byte(uint32_t i, uint32_t j)
{
    return (uint8_t)(i * 131u + j * 7u + 1u);
}

static uint32_t payload_len_of(uint32_t i)
{
    return (i * 37u) % 181u; /* 0 to 180, over the cap of 100 now and then */
}

static void check_payload(void *ctx, uint32_t slot, int dir, const struct flow *f,
                          const struct pkt *pkt, bool first)
{
    (void)slot, (void)dir, (void)f, (void)first;
    struct payload_check *c = ctx;
    uint32_t i = (uint32_t)((pkt->ts_ns - T0) / 1000u); /* the packet's number, from its time */
    uint32_t want = payload_len_of(i) < c->cap ? payload_len_of(i) : c->cap;
    assert_int_equal(pkt->payload_caplen, want);
    for (uint32_t j = 0; j < want; j++)
        assert_int_equal(pkt->payload[j], payload_byte(i, j));
    c->seen++;
}

/* The pipe keeps each packet's payload bytes (up to the cap) whole until the packet is
 * accounted, however the copies wrap around its store, and drops the rest. */
static void test_flow_pipe_keeps_payload_copies_whole(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    struct payload_check check = {.cap = 100};
    cfg.on_packet = check_payload;
    cfg.packet_ctx = &check;
    struct recorder r;
    struct flow_table *ft = mk_table(&cfg, &r);
    uint8_t *store = malloc(FLOW_PIPE_STORE(check.cap));
    assert_non_null(store);
    struct flow_pipe pipe;
    flow_pipe_init(&pipe, ft);
    flow_pipe_keep_payload(&pipe, store, check.cap);
    uint8_t frame[200];
    for (uint32_t i = 0; i < 3000; i++) {
        struct pkt p = udp(1, 1000, 2, 53, T0 + (uint64_t)i * 1000u, payload_len_of(i));
        for (uint32_t j = 0; j < p.payload_len; j++)
            frame[j] = payload_byte(i, j);
        p.payload = p.payload_len > 0 ? frame : NULL;
        p.payload_caplen = p.payload_len;
        flow_pipe_push(&pipe, &p);
        memset(frame, 0, sizeof(frame)); /* the frame's bytes are gone once it is pushed */
    }
    flow_pipe_drain(&pipe);
    assert_int_equal(check.seen, 3000);
    flow_table_destroy(&ft);
    free(store);
}

/* The slot the table names for the next new flow. */
struct slot_hint {
    uint32_t hint; /* UINT32_MAX: none given since the free slots last changed */
    uint32_t max_flows;
    uint32_t checked;
};

static void hint_new(void *ctx, uint32_t slot)
{
    struct slot_hint *h = ctx;
    assert_true(slot < h->max_flows);
    h->hint = slot;
}

static void hint_check(void *ctx, uint32_t slot, int dir, const struct flow *f,
                       const struct pkt *pkt, bool first)
{
    (void)dir, (void)f, (void)pkt;
    struct slot_hint *h = ctx;
    if (!first)
        return;
    if (h->hint != UINT32_MAX) {
        assert_int_equal(slot, h->hint);
        h->checked++;
    }
    h->hint = UINT32_MAX;
}

static void hint_sink(void *ctx, const struct flow_event *ev)
{
    struct slot_hint *h = ctx;
    if (ev->type == FLOW_EVENT_END)
        h->hint = UINT32_MAX; /* a slot was freed: the next new flow may take that one */
}

/* The prefetch_new hint names the slot the next new flow takes, whenever it is given after the
 * free slots last changed (the table is small, so flows end and are evicted too). */
static void test_flow_table_prefetch_new_names_the_next_slot(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    cfg.max_flows = 16;
    cfg.tcp_idle_ns = cfg.udp_idle_ns = 4 * SEC; /* flows end by timeout as well as eviction */
    struct slot_hint h = {.hint = UINT32_MAX, .max_flows = cfg.max_flows};
    cfg.on_packet = hint_check;
    cfg.prefetch_new = hint_new;
    cfg.packet_ctx = &h;
    struct flow_table *ft = flow_table_create(&cfg, hint_sink, &h, NULL);
    assert_non_null(ft);
    for (uint32_t i = 0; i < 2000; i++) {
        struct pkt p = mixed_packet(i);
        flow_table_packet(ft, &p);
    }
    struct flow_table_stats st;
    flow_table_stats(ft, &st);
    assert_true(h.checked > 100);
    assert_true(st.flows_ended[FLOW_END_EVICTED] > 0);
    flow_table_destroy(&ft);
}

static void test_flow_table_refuses_zero_capacity(void **state)
{
    (void)state;
    struct flow_table_config cfg = default_cfg();
    cfg.max_flows = 0;
    assert_null(flow_table_create(&cfg, noop, NULL, NULL));
    struct flow_table *ft = NULL;
    flow_table_destroy(&ft);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_flow_table_first_sender_is_client_and_counts_each_direction),
            cmocka_unit_test(test_flow_table_syn_ack_first_makes_its_sender_the_server),
            cmocka_unit_test(test_flow_table_midstream_tcp_takes_lower_port_as_server),
            cmocka_unit_test(test_flow_table_idle_timeout_ends_flow_and_next_packet_starts_new_one),
            cmocka_unit_test(test_flow_table_future_stamped_packet_does_not_stop_idle_timeouts),
            cmocka_unit_test(test_flow_table_tcp_and_udp_have_their_own_idle_timeouts),
            cmocka_unit_test(test_flow_table_active_timeout_emits_updates_with_running_counts),
            cmocka_unit_test(test_flow_table_fin_both_ways_ends_after_linger_with_last_ack),
            cmocka_unit_test(test_flow_table_rst_ends_flow_with_reason_rst),
            cmocka_unit_test(test_flow_table_new_syn_after_close_starts_new_flow),
            cmocka_unit_test(test_flow_table_evicts_longest_idle_when_full),
            cmocka_unit_test(test_flow_table_vlan_separates_flows),
            cmocka_unit_test(test_flow_table_ipv6_endpoints),
            cmocka_unit_test(test_flow_table_tunnelled_packets_key_on_inner_and_record_tunnel),
            cmocka_unit_test(test_flow_table_later_fragments_join_their_first_fragment),
            cmocka_unit_test(test_flow_table_flush_ends_every_flow_once),
            cmocka_unit_test(test_flow_table_uses_at_most_256_bytes_per_flow),
            cmocka_unit_test(test_flow_table_packet_path_allocates_nothing),
            cmocka_unit_test(test_flow_pipe_gives_the_same_events_as_the_direct_path),
            cmocka_unit_test(test_flow_pipe_keeps_payload_copies_whole),
            cmocka_unit_test(test_flow_table_prefetch_new_names_the_next_slot),
            cmocka_unit_test(test_flow_table_refuses_zero_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
