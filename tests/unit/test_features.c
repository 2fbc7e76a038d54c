/*
 * features: each measurement on hand-built packet sequences; the expected values are worked out
 * by hand in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "common/clock.h"
#include "sensor/decode.h"
#include "sensor/features.h"

#define MS CLOCK_NS_PER_MS
#define T0 (1700000000ULL * CLOCK_NS_PER_SEC)

static struct features *mk_splt(uint32_t n, bool empty, bool resent)
{
    struct features_config cfg = {.max_flows = 4,
                                  .reorder_ns = 3 * MS,
                                  .splt_len = n,
                                  .splt_empty = empty,
                                  .splt_resent = resent};
    struct features *fs = features_create(&cfg, NULL);
    assert_non_null(fs);
    return fs;
}

static struct features *mk(uint64_t idle_gap_ns)
{
    struct features_config cfg = {.max_flows = 4, .idle_gap_ns = idle_gap_ns, .reorder_ns = 3 * MS};
    struct features *fs = features_create(&cfg, NULL);
    assert_non_null(fs);
    return fs;
}

static struct pkt seg(uint64_t ts, uint8_t flags, uint32_t payload, uint16_t window)
{
    struct pkt p;
    memset(&p, 0, sizeof(p));
    p.ts_ns = ts;
    p.proto = 6;
    p.tcp_flags = flags;
    p.payload_len = payload;
    p.tcp_window = window;
    return p;
}

static void feed(struct features *fs, int dir, const struct pkt *p, bool first)
{
    struct flow f;
    memset(&f, 0, sizeof(f));
    features_packet(fs, 1, dir, &f, p, first);
}

/* Client payloads 0, 100, 200, 300 at 0, 10, 30, 60 ms.
 * Sizes: mean (0+100+200+300)/4 = 150; deviations -150 -50 50 150; population variance
 * (22500+2500+2500+22500)/4 = 12500; stddev sqrt(12500) = 111.8034.
 * Gaps: 10, 20, 30 ms; mean 20 ms; variance (100+0+100)/3 = 66.667 ms^2; stddev 8.1650 ms. */
static void test_features_size_and_interarrival_statistics(void **state)
{
    (void)state;
    struct features *fs = mk(0);
    const uint64_t t[] = {0, 10, 30, 60};
    for (int i = 0; i < 4; i++) {
        struct pkt p = seg(T0 + t[i] * MS, TCP_ACK, (uint32_t)(100 * i), 1000);
        feed(fs, FLOW_DIR_CLIENT, &p, i == 0);
    }
    const struct feat_dir *d = &features_get(fs, 1)->dir[FLOW_DIR_CLIENT];
    assert_int_equal(d->packets, 4);
    assert_int_equal(d->size_min, 0);
    assert_int_equal(d->size_max, 300);
    assert_true(fabs(d->size_mean - 150.0) < 1e-9);
    assert_true(fabs(feat_size_stddev(d) - 111.80339887) < 1e-6);
    assert_int_equal(d->iat_min, 10 * MS);
    assert_int_equal(d->iat_max, 30 * MS);
    assert_true(fabs(d->iat_mean - 20.0 * MS) < 1e-3);
    assert_true(fabs(feat_iat_stddev(d) - 8.16496581 * MS) < 1.0);
    /* Nothing in the other direction. */
    assert_int_equal(features_get(fs, 1)->dir[FLOW_DIR_SERVER].packets, 0);
    features_destroy(&fs);
    assert_null(fs);
}

/* Fewer than two values: stddev 0; fewer than two gaps: jitter 0. */
static void test_features_single_packet_has_zero_spread(void **state)
{
    (void)state;
    struct features *fs = mk(0);
    struct pkt p = seg(T0, TCP_SYN, 0, 64240);
    feed(fs, FLOW_DIR_CLIENT, &p, true);
    const struct feat_dir *d = &features_get(fs, 1)->dir[FLOW_DIR_CLIENT];
    assert_true(feat_size_stddev(d) == 0.0);
    assert_true(feat_iat_stddev(d) == 0.0);
    assert_int_equal(d->iat_max, 0);
    features_destroy(&fs);
}

/* Gaps of 0.5 s, 1.5 s and 3 s with a 1 s threshold: two idle gaps. */
static void test_features_counts_gaps_longer_than_the_threshold(void **state)
{
    (void)state;
    struct features *fs = mk(1000 * MS);
    const uint64_t t[] = {0, 500, 2000, 5000};
    for (int i = 0; i < 4; i++) {
        struct pkt p = seg(T0 + t[i] * MS, TCP_ACK, 10, 1000);
        feed(fs, FLOW_DIR_SERVER, &p, i == 0);
    }
    assert_int_equal(features_get(fs, 1)->dir[FLOW_DIR_SERVER].idle_gaps, 2);
    features_destroy(&fs);
}

/* SYN at 0, SYN-ACK at 2 ms, ACK at 3 ms: 2 ms, 1 ms, and 3 ms for the handshake RTT. Flags:
 * client SYN 1, ACK-only 2 (not counted), FIN 1, PSH 1; server SYN 1, RST 1, and a zero window
 * on a plain ACK (counted) but not on the RST (not counted). Initial windows from the first
 * segment each way. */
static void test_features_handshake_flags_and_windows(void **state)
{
    (void)state;
    struct features *fs = mk(0);
    struct pkt c1 = seg(T0, TCP_SYN, 0, 64240);
    struct pkt s1 = seg(T0 + 2 * MS, TCP_SYN | TCP_ACK, 0, 65160);
    struct pkt c2 = seg(T0 + 3 * MS, TCP_ACK, 0, 502);
    struct pkt c3 = seg(T0 + 4 * MS, TCP_ACK | TCP_PSH, 100, 502);
    struct pkt s2 = seg(T0 + 5 * MS, TCP_ACK, 0, 0);
    struct pkt c4 = seg(T0 + 6 * MS, TCP_ACK | TCP_FIN, 0, 502);
    struct pkt s3 = seg(T0 + 7 * MS, TCP_RST, 0, 0);
    feed(fs, FLOW_DIR_CLIENT, &c1, true);
    feed(fs, FLOW_DIR_SERVER, &s1, false);
    feed(fs, FLOW_DIR_CLIENT, &c2, false);
    feed(fs, FLOW_DIR_CLIENT, &c3, false);
    feed(fs, FLOW_DIR_SERVER, &s2, false);
    feed(fs, FLOW_DIR_CLIENT, &c4, false);
    feed(fs, FLOW_DIR_SERVER, &s3, false);
    const struct flow_features *ff = features_get(fs, 1);
    assert_int_equal(feat_syn_synack_ns(ff), 2 * MS);
    assert_int_equal(feat_synack_ack_ns(ff), 1 * MS);
    assert_int_equal(feat_handshake_rtt_ns(ff), 3 * MS);
    const struct feat_dir *c = &ff->dir[FLOW_DIR_CLIENT];
    const struct feat_dir *s = &ff->dir[FLOW_DIR_SERVER];
    assert_int_equal(c->tcp_flags[FEAT_SYN], 1);
    assert_int_equal(c->tcp_flags[FEAT_FIN], 1);
    assert_int_equal(c->tcp_flags[FEAT_PSH], 1);
    assert_int_equal(c->tcp_flags[FEAT_RST], 0);
    assert_int_equal(s->tcp_flags[FEAT_SYN], 1);
    assert_int_equal(s->tcp_flags[FEAT_RST], 1);
    assert_int_equal(s->zero_window, 1);
    assert_int_equal(c->zero_window, 0);
    assert_int_equal(c->init_window, 64240);
    assert_int_equal(s->init_window, 65160);
    features_destroy(&fs);
}

/* The options of each direction's first SYN are kept; a later SYN (retransmitted, other
 * options) does not replace them. */
static void test_features_keep_the_first_syn_options(void **state)
{
    (void)state;
    struct features *fs = mk(0);
    struct pkt c1 = seg(T0, TCP_SYN, 0, 64240);
    c1.tcp_optmask = PKT_TCPOPT_MSS | PKT_TCPOPT_WSCALE;
    c1.tcp_mss = 1460;
    c1.tcp_wscale = 7;
    struct pkt c2 = c1;
    c2.ts_ns += MS;
    c2.tcp_mss = 536;
    feed(fs, FLOW_DIR_CLIENT, &c1, true);
    feed(fs, FLOW_DIR_CLIENT, &c2, false);
    const struct feat_dir *d = &features_get(fs, 1)->dir[FLOW_DIR_CLIENT];
    assert_int_equal(d->syn_optmask, PKT_TCPOPT_MSS | PKT_TCPOPT_WSCALE);
    assert_int_equal(d->syn_mss, 1460);
    assert_int_equal(d->syn_wscale, 7);
    assert_int_equal(features_get(fs, 1)->dir[FLOW_DIR_SERVER].seen_syn, 0);
    features_destroy(&fs);
}

static struct pkt data(uint64_t ts_ms, uint32_t seq, uint32_t len)
{
    struct pkt p = seg(T0 + ts_ms * MS, TCP_ACK, len, 1000);
    p.tcp_seq = seq;
    return p;
}

static struct pkt ack(uint64_t ts_ms, uint32_t ackno)
{
    struct pkt p = seg(T0 + ts_ms * MS, TCP_ACK, 0, 1000);
    p.tcp_ack = ackno;
    return p;
}

/* Client segments of 100 bytes from sequence 1000 (no handshake seen: the 3 ms reorder window
 * applies). 1000 at 0 ms, 1200 at 1 ms (1100..1199 missing), 1100 at 2 ms: a hole below the
 * latest data filled 1 ms after it, not acknowledged: out of order. 1200 again at 50 ms: a copy
 * of the latest segment: retransmission. The server then acknowledges 1300; 1000 again at
 * 60 ms is below that: retransmission. A 1-byte segment at 1299 at 70 ms: keep-alive.
 * Sequence numbers wrap: 4294967246 + 100 ends at 54, and 54 onwards is new space. */
static void test_features_retransmission_reordering_and_keepalive(void **state)
{
    (void)state;
    struct features *fs = mk(0);
    struct pkt c[] = {data(0, 1000, 100), data(1, 1200, 100), data(2, 1100, 100),
                      data(50, 1200, 100)};
    feed(fs, FLOW_DIR_CLIENT, &c[0], true);
    for (int i = 1; i < 4; i++)
        feed(fs, FLOW_DIR_CLIENT, &c[i], false);
    struct pkt a = ack(55, 1300);
    feed(fs, FLOW_DIR_SERVER, &a, false);
    struct pkt old = data(60, 1000, 100);
    struct pkt ka = data(70, 1299, 1);
    feed(fs, FLOW_DIR_CLIENT, &old, false);
    feed(fs, FLOW_DIR_CLIENT, &ka, false);
    const struct feat_dir *d = &features_get(fs, 1)->dir[FLOW_DIR_CLIENT];
    assert_int_equal(d->out_of_order, 1);
    assert_int_equal(d->retransmits, 2);
    assert_int_equal(d->keepalives, 1);

    struct pkt w1 = data(80, 4294967246u, 100);
    struct pkt w2 = data(81, 54, 100);
    feed(fs, FLOW_DIR_SERVER, &w1, false);
    feed(fs, FLOW_DIR_SERVER, &w2, false);
    assert_int_equal(features_get(fs, 1)->dir[FLOW_DIR_SERVER].retransmits, 0);
    assert_int_equal(features_get(fs, 1)->dir[FLOW_DIR_SERVER].next_seq, 154);
    features_destroy(&fs);
}

/* A hole filled later than the reorder window is a retransmission; filled within it, but after
 * two duplicate ACKs asking for exactly it, a fast retransmission (RFC 5681) too. */
static void test_features_late_fill_and_duplicate_acks_are_retransmissions(void **state)
{
    (void)state;
    struct features *fs = mk(0);
    struct pkt c0 = data(0, 1000, 100);
    struct pkt c1 = data(1, 1200, 100);
    struct pkt late = data(10, 1100, 100); /* 9 ms after 1200: beyond 3 ms */
    feed(fs, FLOW_DIR_CLIENT, &c0, true);
    feed(fs, FLOW_DIR_CLIENT, &c1, false);
    feed(fs, FLOW_DIR_CLIENT, &late, false);
    assert_int_equal(features_get(fs, 1)->dir[FLOW_DIR_CLIENT].retransmits, 1);
    assert_int_equal(features_get(fs, 1)->dir[FLOW_DIR_CLIENT].out_of_order, 0);

    struct pkt d0 = data(20, 5000, 100);
    struct pkt d1 = data(20, 5200, 100);
    feed(fs, FLOW_DIR_SERVER, &d0, false);
    feed(fs, FLOW_DIR_SERVER, &d1, false);
    for (int i = 0; i < 3; i++) { /* the ACK of 5100, then two duplicates */
        struct pkt a = ack(21, 5100);
        feed(fs, FLOW_DIR_CLIENT, &a, false);
    }
    struct pkt fast = data(22, 5100, 100); /* within 3 ms of 5200, but asked for */
    feed(fs, FLOW_DIR_SERVER, &fast, false);
    assert_int_equal(features_get(fs, 1)->dir[FLOW_DIR_CLIENT].dup_acks, 2);
    assert_int_equal(features_get(fs, 1)->dir[FLOW_DIR_SERVER].retransmits, 1);
    assert_int_equal(features_get(fs, 1)->dir[FLOW_DIR_SERVER].out_of_order, 0);
    features_destroy(&fs);
}

/* The exchange: client 100 bytes at 0 ms (seq 1), server ACK at 2 ms (empty), server 500 at
 * 5 ms, client 100 again at 9 ms (seq 1: a retransmission), client 40 at 10.5 ms (seq 101).
 * Default SPLT (no empty, no retransmissions): [100, 0, c], [500, 5000, s], [40, 5500, c];
 * times are from the previous listed packet: 5 ms, then 10.5 - 5 = 5.5 ms. */
static void feed_exchange(struct features *fs)
{
    struct pkt c1 = data(0, 1, 100);
    struct pkt s1 = ack(2, 101);
    struct pkt s2 = data(5, 7000, 500);
    struct pkt c2 = data(9, 1, 100);
    struct pkt c3 = data(10, 101, 40);
    c3.ts_ns += 500 * CLOCK_NS_PER_US;
    feed(fs, FLOW_DIR_CLIENT, &c1, true);
    feed(fs, FLOW_DIR_SERVER, &s1, false);
    feed(fs, FLOW_DIR_SERVER, &s2, false);
    feed(fs, FLOW_DIR_CLIENT, &c2, false);
    feed(fs, FLOW_DIR_CLIENT, &c3, false);
}

static void test_features_splt_lists_nonempty_new_segments_with_times(void **state)
{
    (void)state;
    struct features *fs = mk_splt(50, false, false);
    feed_exchange(fs);
    struct feat_splt_buf buf;
    struct feat_splt sp;
    features_splt(fs, 1, &buf, &sp);
    assert_int_equal(sp.n, 3);
    const uint16_t len[] = {100, 500, 40};
    const uint32_t us[] = {0, 5000, 5500};
    const bool srv[] = {false, true, false};
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(sp.lengths[i], len[i]);
        assert_int_equal(sp.iat_us[i], us[i]);
        assert_int_equal(feat_splt_from_server(&sp, i), srv[i]);
    }
    features_destroy(&fs);
}

/* With both options on, all five packets: gaps 0, 2, 3, 4 and 1.5 ms. */
static void test_features_splt_options_keep_empty_and_retransmitted(void **state)
{
    (void)state;
    struct features *fs = mk_splt(50, true, true);
    feed_exchange(fs);
    struct feat_splt_buf buf;
    struct feat_splt sp;
    features_splt(fs, 1, &buf, &sp);
    assert_int_equal(sp.n, 5);
    const uint16_t len[] = {100, 0, 500, 100, 40};
    const uint32_t us[] = {0, 2000, 3000, 4000, 1500};
    for (uint32_t i = 0; i < 5; i++) {
        assert_int_equal(sp.lengths[i], len[i]);
        assert_int_equal(sp.iat_us[i], us[i]);
    }
    features_destroy(&fs);
}

/* A new flow in slot 1 whose first packet carries @len bytes: its SPLT is that one entry. */
static void assert_new_flow_splt(struct features *fs, int dir, uint32_t len)
{
    struct feat_splt_buf buf;
    struct feat_splt sp;
    struct pkt p = data(100, 9, len);
    feed(fs, dir, &p, true);
    features_splt(fs, 1, &buf, &sp);
    assert_int_equal(sp.n, 1);
    assert_int_equal(sp.lengths[0], len);
    assert_int_equal(feat_splt_from_server(&sp, 0), dir == FLOW_DIR_SERVER);
}

/* The SPLT stops at its length; 0 turns it off; a new flow in the slot starts a new one. */
static void test_features_splt_is_bounded_and_restarts(void **state)
{
    (void)state;
    struct features *fs = mk_splt(2, false, false);
    feed_exchange(fs);
    struct feat_splt_buf buf;
    struct feat_splt sp;
    features_splt(fs, 1, &buf, &sp);
    assert_int_equal(sp.n, 2);
    assert_new_flow_splt(fs, FLOW_DIR_SERVER, 77);
    features_destroy(&fs);

    fs = mk_splt(0, false, false);
    feed_exchange(fs);
    features_splt(fs, 1, &buf, &sp);
    assert_int_equal(sp.n, 0);
    features_destroy(&fs);
    struct features_config bad = {.max_flows = 1, .splt_len = FEAT_SPLT_MAX + 1};
    assert_null(features_create(&bad, NULL));
}

static void count_in_use(void *ctx, const char *name, uint64_t v)
{
    if (strcmp(name, "splt_records_in_use") == 0)
        *(uint64_t *)ctx = v;
}

/* Thirty packets, where the first eight are kept in the slot and the rest in a lent record:
 * packet i (0-based) carries 10 + i bytes at i * 3 ms, from the server when i is odd. The
 * SPLT of length 25 keeps entries 0..24: lengths 10..34, gaps 0 then 3000 us each, directions
 * alternating. The flow's end gives the record back; the next flow in the slot starts empty. */
static void test_features_splt_spans_slot_and_record(void **state)
{
    (void)state;
    struct features *fs = mk_splt(25, false, false);
    for (uint32_t i = 0; i < 30; i++) {
        struct pkt p = data(3 * i, 1000 * i, 10 + i);
        feed(fs, (i % 2) ? FLOW_DIR_SERVER : FLOW_DIR_CLIENT, &p, i == 0);
    }
    struct feat_splt_buf buf;
    struct feat_splt sp;
    features_splt(fs, 1, &buf, &sp);
    assert_int_equal(sp.n, 25);
    for (uint32_t i = 0; i < 25; i++) {
        assert_int_equal(sp.lengths[i], 10 + i);
        assert_int_equal(sp.iat_us[i], i == 0 ? 0 : 3000);
        assert_int_equal(feat_splt_from_server(&sp, i), i % 2 == 1);
    }
    uint64_t in_use = 99;
    features_counters(fs, count_in_use, &in_use);
    assert_int_equal(in_use, 1);
    features_flow_end(fs, 1);
    features_counters(fs, count_in_use, &in_use);
    assert_int_equal(in_use, 0);
    features_splt(fs, 1, &buf, &sp);
    assert_int_equal(sp.n, 0);
    assert_new_flow_splt(fs, FLOW_DIR_CLIENT, 5);
    features_destroy(&fs);
}

/* Running RTT (RFC 6298 smoothing, alpha 1/8; Karn's rule). Client data 1..100 at 0 ms, the
 * server's ACK of 101 at 10 ms: client-side sample 10 ms. Server data at 12 ms, the client's
 * ACK at 13 ms: server-side sample 1 ms; rtt = 11 ms. Client data 101..200 at 20 ms, ACK at
 * 40 ms: sample 20 ms, srtt = 10 + (20 - 10) / 8 = 11.25 ms; rtt = 12.25 ms. Client data
 * 201..300 at 50 ms, sent again at 60 ms, ACK at 70 ms: no sample (which copy was answered?). */
static void test_features_running_rtt_from_data_and_acks(void **state)
{
    (void)state;
    struct features *fs = mk(0);
    struct pkt c1 = data(0, 1, 100);
    struct pkt a1 = ack(10, 101);
    struct pkt s1 = data(12, 5000, 50);
    struct pkt a2 = ack(13, 5050);
    feed(fs, FLOW_DIR_CLIENT, &c1, true);
    assert_int_equal(feat_rtt_ns(features_get(fs, 1)), 0); /* nothing measured yet */
    feed(fs, FLOW_DIR_SERVER, &a1, false);
    feed(fs, FLOW_DIR_SERVER, &s1, false);
    feed(fs, FLOW_DIR_CLIENT, &a2, false);
    assert_int_equal(feat_rtt_ns(features_get(fs, 1)), 11 * MS);

    struct pkt c2 = data(20, 101, 100);
    struct pkt a3 = ack(40, 201);
    feed(fs, FLOW_DIR_CLIENT, &c2, false);
    feed(fs, FLOW_DIR_SERVER, &a3, false);
    assert_int_equal(feat_rtt_ns(features_get(fs, 1)), 12250000);

    struct pkt c3 = data(50, 201, 100);
    struct pkt c3again = data(60, 201, 100);
    struct pkt a4 = ack(70, 301);
    feed(fs, FLOW_DIR_CLIENT, &c3, false);
    feed(fs, FLOW_DIR_CLIENT, &c3again, false);
    feed(fs, FLOW_DIR_SERVER, &a4, false);
    const struct flow_features *ff = features_get(fs, 1);
    assert_int_equal(ff->dir[FLOW_DIR_CLIENT].rtt_samples, 2);
    assert_int_equal(feat_rtt_ns(ff), 12250000);
    features_destroy(&fs);
}

/* Lengths 100, 200, 1500, 100 bin to 0, 1, 9, 0 (150-byte bins, 1500 and beyond in bin 9);
 * transitions 0->1, 1->9, 9->0: rows 0, 1 and 9 each have one transition, probability 1.
 * Times 0, 60, 20, 600 ms bin to 0, 1, 0, 9 (50 ms bins): 0->1, 1->0, 0->9: row 0 has two
 * transitions (to 1 and to 9), 0.5 each; row 1 one, to 0. */
static void test_features_splt_markov_summaries(void **state)
{
    (void)state;
    const uint16_t len[] = {100, 200, 1500, 100};
    const uint32_t us[] = {0, 60000, 20000, 600000};
    const uint8_t dirs[] = {0};
    struct feat_splt sp = {.n = 4, .lengths = len, .iat_us = us, .dirs = dirs};
    float lm[FEAT_MARKOV_BINS * FEAT_MARKOV_BINS];
    float tm[FEAT_MARKOV_BINS * FEAT_MARKOV_BINS];
    feat_splt_markov(&sp, lm, tm);
    float lsum = 0;
    float tsum = 0;
    for (int i = 0; i < FEAT_MARKOV_BINS * FEAT_MARKOV_BINS; i++) {
        lsum += lm[i];
        tsum += tm[i];
    }
    assert_true(lm[0 * 10 + 1] == 1.0f && lm[1 * 10 + 9] == 1.0f && lm[9 * 10 + 0] == 1.0f);
    assert_true(lsum == 3.0f);
    assert_true(tm[0 * 10 + 1] == 0.5f && tm[0 * 10 + 9] == 0.5f && tm[1 * 10 + 0] == 1.0f);
    assert_true(tsum == 2.0f);

    struct feat_splt one = {.n = 1, .lengths = len, .iat_us = us, .dirs = dirs};
    feat_splt_markov(&one, lm, tm);
    for (int i = 0; i < FEAT_MARKOV_BINS * FEAT_MARKOV_BINS; i++)
        assert_true(lm[i] == 0.0f && tm[i] == 0.0f);
}

/* No SYN seen (picked up mid-stream): no handshake times. */
static void test_features_no_handshake_without_syn(void **state)
{
    (void)state;
    struct features *fs = mk(0);
    struct pkt s1 = seg(T0, TCP_SYN | TCP_ACK, 0, 65160);
    struct pkt c2 = seg(T0 + MS, TCP_ACK, 0, 502);
    feed(fs, FLOW_DIR_SERVER, &s1, true);
    feed(fs, FLOW_DIR_CLIENT, &c2, false);
    const struct flow_features *ff = features_get(fs, 1);
    assert_int_equal(feat_handshake_rtt_ns(ff), 0);
    assert_int_equal(feat_syn_synack_ns(ff), 0);
    features_destroy(&fs);
}

/* A new flow in a reused slot starts from zero. */
static void test_features_first_packet_resets_the_slot(void **state)
{
    (void)state;
    struct features *fs = mk(0);
    struct pkt p = seg(T0, TCP_SYN, 500, 1000);
    feed(fs, FLOW_DIR_CLIENT, &p, true);
    feed(fs, FLOW_DIR_CLIENT, &p, false);
    p.payload_len = 7;
    p.tcp_flags = TCP_ACK;
    feed(fs, FLOW_DIR_CLIENT, &p, true);
    const struct feat_dir *d = &features_get(fs, 1)->dir[FLOW_DIR_CLIENT];
    assert_int_equal(d->packets, 1);
    assert_int_equal(d->size_max, 7);
    assert_int_equal(d->tcp_flags[FEAT_SYN], 0);
    features_destroy(&fs);
}

/* PCR = (client - server) / (client + server) payload bytes: 600 and 200 give 400 / 800 = 0.5;
 * 0 and 0 give 0. */
static void test_features_producer_consumer_ratio(void **state)
{
    (void)state;
    struct flow f;
    memset(&f, 0, sizeof(f));
    assert_true(feat_pcr(&f) == 0.0);
    f.dir[FLOW_DIR_CLIENT].payload_bytes = 600;
    f.dir[FLOW_DIR_SERVER].payload_bytes = 200;
    assert_true(fabs(feat_pcr(&f) - 0.5) < 1e-12);
    f.dir[FLOW_DIR_CLIENT].payload_bytes = 0;
    assert_true(fabs(feat_pcr(&f) + 1.0) < 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_features_size_and_interarrival_statistics),
            cmocka_unit_test(test_features_single_packet_has_zero_spread),
            cmocka_unit_test(test_features_counts_gaps_longer_than_the_threshold),
            cmocka_unit_test(test_features_handshake_flags_and_windows),
            cmocka_unit_test(test_features_keep_the_first_syn_options),
            cmocka_unit_test(test_features_retransmission_reordering_and_keepalive),
            cmocka_unit_test(test_features_late_fill_and_duplicate_acks_are_retransmissions),
            cmocka_unit_test(test_features_splt_lists_nonempty_new_segments_with_times),
            cmocka_unit_test(test_features_splt_options_keep_empty_and_retransmitted),
            cmocka_unit_test(test_features_splt_is_bounded_and_restarts),
            cmocka_unit_test(test_features_splt_spans_slot_and_record),
            cmocka_unit_test(test_features_running_rtt_from_data_and_acks),
            cmocka_unit_test(test_features_splt_markov_summaries),
            cmocka_unit_test(test_features_no_handshake_without_syn),
            cmocka_unit_test(test_features_first_packet_resets_the_slot),
            cmocka_unit_test(test_features_producer_consumer_ratio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
