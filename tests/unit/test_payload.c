/*
 * payload: the byte distribution and the dispatch of payload to the clear-text parsers, on
 * hand-built packets. Expected values are worked out by hand in the comments.
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
#include "sensor/payload.h"

#define T0 (1700000000ULL * CLOCK_NS_PER_SEC)

struct counters {
    const char *name;
    uint64_t value;
};

static void find_counter(void *ctx, const char *name, uint64_t v)
{
    struct counters *c = ctx;
    if (strcmp(name, c->name) == 0)
        c->value = v;
}

static uint64_t counter(const struct payload *p, const char *name)
{
    struct counters c = {name, UINT64_MAX};
    payload_counters(p, find_counter, &c);
    assert_true(c.value != UINT64_MAX); /* the counter exists */
    return c.value;
}

static struct payload *mk(uint32_t prefix, uint32_t hists, uint32_t raws)
{
    struct payload_config cfg = {.max_flows = 4,
                                 .prefix = prefix,
                                 .hist_buffers = hists,
                                 .raw_buffers = raws,
                                 .handshakes = true,
                                 .stream_buffers = 2,
                                 .meta_records = 2,
                                 .dns_names = 16,
                                 .seed = 1};
    struct payload *p = payload_create(&cfg, NULL);
    assert_non_null(p);
    return p;
}

/* A flow 10.0.0.1:40000 (client) -> 10.0.0.2:@sport. */
static struct flow mkflow(uint8_t proto, uint16_t server_port, uint8_t server_last)
{
    struct flow f;
    memset(&f, 0, sizeof(f));
    f.key.proto = proto;
    f.key.ip_version = 4;
    f.key.lo_addr[0] = 10;
    f.key.lo_addr[3] = 1;
    f.key.hi_addr[0] = 10;
    f.key.hi_addr[3] = server_last;
    f.key.lo_port = 40000;
    f.key.hi_port = server_port;
    f.client_is_lo = 1;
    return f;
}

static struct pkt mkpkt(uint8_t proto, uint8_t flags, uint32_t seq, const void *data, uint32_t len)
{
    struct pkt p;
    memset(&p, 0, sizeof(p));
    p.ts_ns = T0;
    p.ip_version = 4;
    p.proto = proto;
    p.tcp_flags = flags;
    p.tcp_seq = seq;
    p.payload = data;
    p.payload_len = len;
    p.payload_caplen = len;
    return p;
}

static void assert_bd(const struct payload *p, uint32_t slot, int dir, uint32_t bytes,
                      double entropy, double mean, double stddev)
{
    struct payload_bytedist bd;
    payload_bytedist(p, slot, dir, &bd);
    assert_int_equal(bd.bytes, bytes);
    assert_true(fabs(bd.entropy - entropy) < 1e-9);
    assert_true(fabs(bd.mean - mean) < 1e-9);
    assert_true(fabs(bd.stddev - stddev) < 1e-9);
}

static void feed(struct payload *p, uint32_t slot, int dir, const struct flow *f, struct pkt pk,
                 bool first)
{
    payload_packet(p, slot, dir, f, &pk, first);
}

/* "aabb": two values twice each. p = 1/2 each: entropy = -2 * 1/2 log2 1/2 = 1 bit.
 * mean = (97 * 2 + 98 * 2) / 4 = 97.5; deviations +-0.5, so stddev = 0.5. */
static void test_payload_bytedist_two_values(void **state)
{
    (void)state;
    struct payload *p = mk(4096, 4, 4);
    struct flow f = mkflow(17, 9999, 2);
    feed(p, 0, FLOW_DIR_CLIENT, &f, mkpkt(17, 0, 0, "aabb", 4), true);
    assert_bd(p, 0, FLOW_DIR_CLIENT, 4, 1.0, 97.5, 0.5);
    assert_bd(p, 0, FLOW_DIR_SERVER, 0, 0, 0, 0);
    payload_flow_end(p, 0);
    assert_int_equal(counter(p, "bytedist_buffers_in_use"), 0);
    payload_destroy(&p);
    assert_null(p);
}

/* Prefix 6 over "abcd" + "efgh": the bytes a..f count, g and h do not. Six values once each:
 * entropy log2 6 = 2.5849625007; mean (97 + ... + 102) / 6 = 99.5; variance
 * (2.5^2 + 1.5^2 + 0.5^2) * 2 / 6 = 17.5 / 6 = 2.916667, stddev 1.7078251277. Four bytes are
 * kept raw; once the prefix is complete, the buffer goes back to the pool. */
static void test_payload_bytedist_prefix_spans_packets(void **state)
{
    (void)state;
    struct payload *p = mk(6, 4, 4);
    struct flow f = mkflow(17, 9999, 2);
    feed(p, 0, FLOW_DIR_SERVER, &f, mkpkt(17, 0, 0, "abcd", 4), true);
    assert_int_equal(counter(p, "bytedist_raw_buffers_in_use"), 1);
    feed(p, 0, FLOW_DIR_SERVER, &f, mkpkt(17, 0, 0, "efgh", 4), false);
    assert_int_equal(counter(p, "bytedist_raw_buffers_in_use"), 0);
    feed(p, 0, FLOW_DIR_SERVER, &f, mkpkt(17, 0, 0, "zzzz", 4), false); /* past the prefix */
    assert_bd(p, 0, FLOW_DIR_SERVER, 6, 2.5849625007, 99.5, 1.7078251277);
    struct payload_bytedist bd;
    payload_bytedist(p, 0, FLOW_DIR_SERVER, &bd);
    assert_true(bd.complete);
    payload_destroy(&p);
}

/* 256 bytes 0..255 once each: uniform, entropy exactly 8; mean 127.5; variance
 * (256^2 - 1) / 12 = 5461.25, stddev 73.9002706355. */
static void test_payload_bytedist_uniform(void **state)
{
    (void)state;
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    struct payload *p = mk(4096, 4, 4);
    struct flow f = mkflow(6, 443, 2);
    feed(p, 1, FLOW_DIR_CLIENT, &f, mkpkt(6, 0x18, 1, all, 256), true);
    assert_bd(p, 1, FLOW_DIR_CLIENT, 256, 8.0, 127.5, 73.9002706355);
    payload_destroy(&p);
}

/* A 1500-byte packet is counted through the lane tables (HIST_LANE_MIN is 512): 1000 zero
 * bytes then 500 bytes of 'A' (65), which also wrap the 8-bit counts (1000 = 3 * 256 + 232,
 * 500 = 256 + 244). p = 2/3 and 1/3: entropy = -(2/3 log2 2/3 + 1/3 log2 1/3) = 0.9182958341;
 * mean 65 * 500 / 1500 = 21.6666666667; variance 65^2 * (1/3)(2/3) = 938.8888889,
 * stddev 30.6412938514. A second such packet in the other order, and the prefix (4096) still
 * open: 2000 zeros and 1000 'A' keep those shares, so the same figures over 3000 bytes. */
static void test_payload_bytedist_long_packets_wrap(void **state)
{
    (void)state;
    static uint8_t a[1500], b[1500];
    memset(a, 0, 1000);
    memset(a + 1000, 'A', 500);
    memset(b, 'A', 500);
    memset(b + 500, 0, 1000);
    struct payload *p = mk(4096, 4, 4);
    struct flow f = mkflow(6, 443, 2);
    feed(p, 1, FLOW_DIR_SERVER, &f, mkpkt(6, 0x18, 1, a, 1500), true);
    assert_bd(p, 1, FLOW_DIR_SERVER, 1500, 0.9182958341, 21.6666666667, 30.6412938514);
    feed(p, 1, FLOW_DIR_SERVER, &f, mkpkt(6, 0x18, 1501, b, 1500), false);
    assert_bd(p, 1, FLOW_DIR_SERVER, 3000, 0.9182958341, 21.6666666667, 30.6412938514);
    payload_destroy(&p);
}

/* Five 200-byte packets of 180 zeros and 20 bytes of value 2, counted one byte at a time (under
 * 512 bytes a packet): the zeros' 8-bit count wraps three times (900 = 3 * 256 + 132). Of 1000
 * bytes, 900 are 0 and 100 are 2: p = 0.9, 0.1; entropy = -(0.9 log2 0.9 + 0.1 log2 0.1) =
 * 0.4689955936; mean = 200 / 1000 = 0.2; E[x^2] = 400 / 1000 = 0.4; variance 0.4 - 0.04 =
 * 0.36; stddev 0.6. */
static void test_payload_bytedist_short_packets_wrap(void **state)
{
    (void)state;
    uint8_t a[200];
    memset(a, 0, 180);
    memset(a + 180, 2, 20);
    struct payload *p = mk(4096, 4, 4);
    struct flow f = mkflow(17, 68, 67);
    for (int i = 0; i < 5; i++)
        feed(p, 1, FLOW_DIR_CLIENT, &f, mkpkt(17, 0, 0, a, sizeof(a)), i == 0);
    assert_bd(p, 1, FLOW_DIR_CLIENT, 1000, 0.4689955936, 0.2, 0.6);
    payload_destroy(&p);
}

/* One histogram for two flows: the second flow's direction is unmeasured, and counted. */
static void test_payload_bytedist_pool_exhausted(void **state)
{
    (void)state;
    struct payload *p = mk(4096, 1, 0);
    struct flow f = mkflow(17, 9999, 2);
    feed(p, 0, FLOW_DIR_CLIENT, &f, mkpkt(17, 0, 0, "x", 1), true);
    feed(p, 1, FLOW_DIR_CLIENT, &f, mkpkt(17, 0, 0, "y", 1), true);
    struct payload_bytedist bd;
    payload_bytedist(p, 1, FLOW_DIR_CLIENT, &bd);
    assert_int_equal(bd.bytes, 0);
    assert_true(bd.unmeasured);
    assert_int_equal(counter(p, "bytedist_no_buffer"), 1);
    /* The first flow ends: its histogram is free again for the next flow in slot 1. */
    payload_flow_end(p, 0);
    feed(p, 1, FLOW_DIR_CLIENT, &f, mkpkt(17, 0, 0, "y", 1), true);
    payload_bytedist(p, 1, FLOW_DIR_CLIENT, &bd);
    assert_int_equal(bd.bytes, 1);
    payload_destroy(&p);
}

/* 40 + 40 + 20 bytes: the first 40 are kept raw (64-byte buffer), the next 40 overflow it, so
 * all 80 move into a histogram, which takes the last 20 too. Bytes: 40 x 'a', 40 x 'b', 20 x
 * 'c': p = 0.4, 0.4, 0.2; entropy = -(2 * 0.4 log2 0.4 + 0.2 log2 0.2) = 1.5219280949;
 * mean = (40*97 + 40*98 + 20*99) / 100 = 97.8; variance = (40*0.8^2 + 40*0.2^2 + 20*1.2^2)/100
 * = 0.56, stddev 0.7483314774. Without a free histogram the direction is unmeasured and its
 * raw buffer goes back. */
static void test_payload_bytedist_raw_then_histogram(void **state)
{
    (void)state;
    uint8_t a[40], b[40], c[20];
    memset(a, 'a', sizeof(a));
    memset(b, 'b', sizeof(b));
    memset(c, 'c', sizeof(c));
    struct payload *p = mk(4096, 1, 1);
    struct flow f = mkflow(17, 9999, 2);
    feed(p, 0, FLOW_DIR_CLIENT, &f, mkpkt(17, 0, 0, a, 40), true);
    assert_int_equal(counter(p, "bytedist_raw_buffers_in_use"), 1);
    assert_int_equal(counter(p, "bytedist_buffers_in_use"), 0);
    assert_bd(p, 0, FLOW_DIR_CLIENT, 40, 0, 97, 0);
    feed(p, 0, FLOW_DIR_CLIENT, &f, mkpkt(17, 0, 0, b, 40), false);
    assert_int_equal(counter(p, "bytedist_raw_buffers_in_use"), 0);
    assert_int_equal(counter(p, "bytedist_buffers_in_use"), 1);
    feed(p, 0, FLOW_DIR_CLIENT, &f, mkpkt(17, 0, 0, c, 20), false);
    assert_bd(p, 0, FLOW_DIR_CLIENT, 100, 1.5219280949, 97.8, 0.7483314774);
    /* The server direction gets the raw buffer back, then needs a histogram: none is free. */
    feed(p, 0, FLOW_DIR_SERVER, &f, mkpkt(17, 0, 0, a, 40), false);
    feed(p, 0, FLOW_DIR_SERVER, &f, mkpkt(17, 0, 0, b, 40), false);
    struct payload_bytedist bd;
    payload_bytedist(p, 0, FLOW_DIR_SERVER, &bd);
    assert_true(bd.unmeasured);
    assert_int_equal(bd.bytes, 0); /* nothing is reported for it, not a partial count */
    assert_int_equal(counter(p, "bytedist_no_buffer"), 1);
    assert_int_equal(counter(p, "bytedist_raw_buffers_in_use"), 0);
    payload_flow_end(p, 0);
    assert_int_equal(counter(p, "bytedist_buffers_in_use"), 0);
    payload_destroy(&p);
}

/* Counts past 255 wrap into the overflow table and stay exact. 600 x 'a', 300 x 'b', 100 x 'c'
 * in packets of 100: p = 0.6, 0.3, 0.1; entropy = -(0.6 log2 0.6 + 0.3 log2 0.3 + 0.1 log2 0.1)
 * = 1.2954618442; mean = (600*97 + 300*98 + 100*99) / 1000 = 97.5; variance = (600 * 0.5^2 +
 * 300 * 0.5^2 + 100 * 1.5^2) / 1000 = 0.45, stddev 0.6708203932. Then a prefix of 65535 bytes
 * all 'z' (122): its count wraps 255 times; entropy 0, mean 122, stddev 0. */
static void test_payload_bytedist_counts_past_255(void **state)
{
    (void)state;
    uint8_t buf[100];
    struct payload *p = mk(4096, 2, 2);
    struct flow f = mkflow(17, 9999, 2);
    for (int i = 0; i < 10; i++) {
        memset(buf, i < 6 ? 'a' : i < 9 ? 'b' : 'c', sizeof(buf));
        feed(p, 0, FLOW_DIR_CLIENT, &f, mkpkt(17, 0, 0, buf, sizeof(buf)), i == 0);
    }
    assert_bd(p, 0, FLOW_DIR_CLIENT, 1000, 1.2954618442, 97.5, 0.6708203932);
    payload_destroy(&p);

    static uint8_t z[1500];
    memset(z, 'z', sizeof(z));
    p = mk(65535, 2, 2);
    for (uint32_t sent = 0; sent < 65535; sent += sizeof(z))
        feed(p, 0, FLOW_DIR_SERVER, &f, mkpkt(17, 0, 0, z, sizeof(z)), sent == 0);
    assert_bd(p, 0, FLOW_DIR_SERVER, 65535, 0, 122, 0);
    struct payload_bytedist bd;
    payload_bytedist(p, 0, FLOW_DIR_SERVER, &bd);
    assert_true(bd.complete);
    payload_destroy(&p);
}

/* An HTTP request in two segments after the SYN (seq 1000, so data starts at 1001); the second
 * segment is sent twice. Host and User-Agent come from the reassembled request. */
static void test_payload_http_request_over_two_segments(void **state)
{
    (void)state;
    const char *a = "GET /x HTTP/1.1\r\nHo";
    const char *b = "st: example.com\r\nUser-Agent: t/1\r\n\r\n";
    struct payload *p = mk(4096, 4, 4);
    struct flow f = mkflow(6, 8080, 2);
    feed(p, 2, FLOW_DIR_CLIENT, &f, mkpkt(6, 0x02, 1000, NULL, 0), true);
    feed(p, 2, FLOW_DIR_CLIENT, &f, mkpkt(6, 0x18, 1001, a, (uint32_t)strlen(a)), false);
    assert_int_equal(counter(p, "stream_buffers_in_use"), 1);
    uint32_t seq_b = 1001 + (uint32_t)strlen(a);
    feed(p, 2, FLOW_DIR_CLIENT, &f, mkpkt(6, 0x18, seq_b, b, (uint32_t)strlen(b)), false);
    feed(p, 2, FLOW_DIR_CLIENT, &f, mkpkt(6, 0x18, seq_b, b, (uint32_t)strlen(b)), false);
    const struct payload_meta *m = payload_meta(p, 2);
    assert_non_null(m);
    assert_int_equal(m->kind, PAYLOAD_HTTP);
    assert_string_equal(m->u.http.method, "GET");
    assert_string_equal(m->u.http.host, "example.com");
    assert_string_equal(m->u.http.user_agent, "t/1");
    assert_string_equal(payload_server_name(p, 2, &f), "example.com");
    assert_int_equal(counter(p, "http_requests"), 1);
    assert_int_equal(counter(p, "stream_buffers_in_use"), 0); /* returned once read */
    payload_flow_end(p, 2);
    assert_int_equal(counter(p, "meta_records_in_use"), 0);
    payload_destroy(&p);
}

/* The first data segment after the SYN (seq 1000) starts at 1011: ten bytes were missed, so the
 * stream is given up (counted) rather than parsed from the middle. */
static void test_payload_stream_gap_gives_up(void **state)
{
    (void)state;
    const char *a = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    struct payload *p = mk(4096, 4, 4);
    struct flow f = mkflow(6, 80, 2);
    feed(p, 0, FLOW_DIR_CLIENT, &f, mkpkt(6, 0x02, 1000, NULL, 0), true);
    feed(p, 0, FLOW_DIR_CLIENT, &f, mkpkt(6, 0x18, 1011, a, (uint32_t)strlen(a)), false);
    assert_int_equal(counter(p, "stream_gap"), 1);
    assert_int_equal(counter(p, "stream_buffers_in_use"), 0);
    assert_string_equal(payload_meta(p, 0)->u.http.host, "");
    payload_destroy(&p);
}

/* A segment whose payload was cut by the snap length cannot continue the stream. */
static void test_payload_stream_cut_gives_up(void **state)
{
    (void)state;
    const char *a = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    struct payload *p = mk(4096, 4, 4);
    struct flow f = mkflow(6, 80, 2);
    struct pkt pk = mkpkt(6, 0x18, 5, a, (uint32_t)strlen(a));
    pk.payload_caplen = 10;
    feed(p, 0, FLOW_DIR_CLIENT, &f, pk, true);
    assert_int_equal(counter(p, "stream_cut"), 1);
    /* The byte distribution counts the ten bytes that were captured. */
    struct payload_bytedist bd;
    payload_bytedist(p, 0, FLOW_DIR_CLIENT, &bd);
    assert_int_equal(bd.bytes, 10);
    payload_destroy(&p);
}

/* DNS over UDP: a query for example.com (A) and its answer 93.184.216.34, TTL 3600. Bytes
 * per RFC 1035 4.1: header (id 0x1234, flags, 1 question, 1 answer), the question, and an answer
 * whose name is a pointer to offset 12 (0xc00c). */
/* 63 characters: the longest DNS label. */
#define HS_LONG "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk"

static const uint8_t dns_query[] = {0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0,   0,   0,
                                    0,    0,    7,    'e',  'x', 'a', 'm', 'p', 'l', 'e',
                                    3,    'c',  'o',  'm',  0,   0,   1,   0,   1};
static const uint8_t dns_response[] = {
        0x12, 0x34, 0x81, 0x80, 0,   1, 0,   1,    0,    0, 0, 0,  7,   'e', 'x',
        'a',  'm',  'p',  'l',  'e', 3, 'c', 'o',  'm',  0, 0, 1,  0,   1,   0xc0,
        0x0c, 0,    1,    0,    1,   0, 0,   0x0e, 0x10, 0, 4, 93, 184, 216, 34};

static void test_payload_dns_query_answer_and_name_map(void **state)
{
    (void)state;
    struct payload *p = mk(4096, 4, 4);
    struct flow dns = mkflow(17, 53, 53);
    feed(p, 0, FLOW_DIR_CLIENT, &dns, mkpkt(17, 0, 0, dns_query, sizeof(dns_query)), true);
    feed(p, 0, FLOW_DIR_SERVER, &dns, mkpkt(17, 0, 0, dns_response, sizeof(dns_response)), false);
    const struct payload_meta *m = payload_meta(p, 0);
    assert_non_null(m);
    assert_int_equal(m->kind, PAYLOAD_DNS);
    assert_true(m->u.dns.have_query && m->u.dns.have_response);
    assert_string_equal(m->u.dns.qname, "example.com");
    assert_int_equal(m->u.dns.qtype, 1);
    assert_int_equal(m->u.dns.rcode, 0);
    assert_int_equal(m->u.dns.n_answers, 1);
    assert_int_equal(m->u.dns.answers[0].ttl, 3600); /* 0x00000e10 */
    const uint8_t addr[4] = {93, 184, 216, 34};
    assert_memory_equal(m->u.dns.answers[0].addr, addr, 4);

    /* A later TLS-port flow to 93.184.216.34 is named by the map. */
    struct flow web = mkflow(6, 443, 0);
    memcpy(web.key.hi_addr, addr, 4);
    feed(p, 1, FLOW_DIR_CLIENT, &web, mkpkt(6, 0x02, 7, NULL, 0), true);
    assert_string_equal(payload_server_name(p, 1, &web), "example.com");
    assert_int_equal(counter(p, "dns_messages"), 2);
    payload_destroy(&p);
}

/* Appends @name in DNS wire form (RFC 1035 3.1: length-prefixed labels, a 0 at the end) with
 * labels of at most 63 characters; returns the new end. */
static size_t put_name(uint8_t *b, size_t at, const char *name)
{
    while (*name != '\0') {
        size_t n = strcspn(name, ".");
        b[at++] = (uint8_t)n;
        memcpy(b + at, name, n);
        at += n;
        name += n + (name[n] == '.');
    }
    b[at++] = 0;
    return at;
}

/* A response to "q.test" (A) with answers: q.test CNAME X, X CNAME Y, Y A 10.0.0.9, where X is
 * 200 characters and Y 100. X takes bytes 0..200 of the shared area (with its NUL); Y gets the
 * 55 left: its first 54 characters and a NUL. */
static void test_payload_dns_cnames_share_an_area(void **state)
{
    (void)state;
    char x[201], y[101];
    /* 63 + 1 + 63 + 1 + 63 + 1 + 8 = 200 characters; 63 + 1 + 36 = 100. */
    snprintf(x, sizeof(x), "%.63s.%.63s.%.63s.%.8s", HS_LONG, HS_LONG, HS_LONG, HS_LONG);
    snprintf(y, sizeof(y), "%.63s.%.36s", HS_LONG, HS_LONG);
    assert_int_equal(strlen(x), 200);
    assert_int_equal(strlen(y), 100);
    static uint8_t b[1024];
    const uint8_t head[] = {0x43, 0x21, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0};
    memcpy(b, head, sizeof(head));
    size_t at = put_name(b, sizeof(head), "q.test");
    const uint8_t q_tail[] = {0, 1, 0, 1};
    memcpy(b + at, q_tail, 4);
    at += 4;
    const char *owner[3] = {"q.test", x, y};
    for (int i = 0; i < 3; i++) {
        at = put_name(b, at, owner[i]);
        const uint8_t rr[] = {0, i < 2 ? 5 : 1, 0, 1, 0, 0, 0, 60}; /* type, class IN, TTL 60 */
        memcpy(b + at, rr, sizeof(rr));
        at += sizeof(rr);
        size_t rdlen_at = at;
        at += 2;
        if (i < 2) {
            at = put_name(b, at, i == 0 ? x : y);
        } else {
            const uint8_t a[4] = {10, 0, 0, 9};
            memcpy(b + at, a, 4);
            at += 4;
        }
        b[rdlen_at] = (uint8_t)((at - rdlen_at - 2) >> 8);
        b[rdlen_at + 1] = (uint8_t)(at - rdlen_at - 2);
    }
    struct payload *p = mk(4096, 4, 4);
    struct flow dns = mkflow(17, 53, 53);
    feed(p, 0, FLOW_DIR_SERVER, &dns, mkpkt(17, 0, 0, b, (uint32_t)at), true);
    const struct payload_meta *m = payload_meta(p, 0);
    assert_non_null(m);
    assert_int_equal(m->u.dns.n_answers, 3);
    assert_string_equal(payload_dns_cname(&m->u.dns, 0), x);
    char y54[55];
    memcpy(y54, y, 54);
    y54[54] = '\0';
    assert_string_equal(payload_dns_cname(&m->u.dns, 1), y54);
    assert_string_equal(payload_dns_cname(&m->u.dns, 2), "");
    assert_int_equal(m->u.dns.answers[2].ttl, 60);
    payload_destroy(&p);
}

/* A malformed DNS message (a question cut short) is counted by its reason, and the flow keeps
 * no query. */
static void test_payload_dns_malformed_is_counted(void **state)
{
    (void)state;
    struct payload *p = mk(4096, 4, 4);
    struct flow dns = mkflow(17, 53, 53);
    feed(p, 0, FLOW_DIR_CLIENT, &dns, mkpkt(17, 0, 0, dns_query, 20), true);
    assert_int_equal(counter(p, "dns_messages"), 0);
    assert_true(counter(p, "dns_truncated") + counter(p, "dns_bad_name") == 1);
    assert_false(payload_meta(p, 0)->u.dns.have_query);
    payload_destroy(&p);
}

/* ---- SSH ---- */

static size_t put32(uint8_t *o, uint32_t v)
{
    o[0] = (uint8_t)(v >> 24);
    o[1] = (uint8_t)(v >> 16);
    o[2] = (uint8_t)(v >> 8);
    o[3] = (uint8_t)v;
    return 4;
}

/* One side's clear part (RFC 4253): banner, KEXINIT with the lists below, NEWKEYS. Packets are
 * packet_length, padding_length, payload, 4 bytes of padding. Returns the length. */
static size_t ssh_clear(uint8_t *o, const char *banner)
{
    static const char *const lists[10] = {
            "curve25519-sha256", "ssh-ed25519", "aes128-ctr", "aes128-ctr", "hmac-sha2-256",
            "hmac-sha2-256",     "none",        "none",       "",           ""};
    size_t n = strlen(banner);
    memcpy(o, banner, n);
    uint8_t pl[512];
    size_t m = 0;
    pl[m++] = 20; /* SSH_MSG_KEXINIT */
    memset(pl + m, 0xab, 16);
    m += 16;
    for (int i = 0; i < 10; i++) {
        m += put32(pl + m, (uint32_t)strlen(lists[i]));
        memcpy(pl + m, lists[i], strlen(lists[i]));
        m += strlen(lists[i]);
    }
    pl[m++] = 0;           /* first_kex_packet_follows */
    m += put32(pl + m, 0); /* reserved */
    n += put32(o + n, (uint32_t)(1 + m + 4));
    o[n++] = 4;
    memcpy(o + n, pl, m);
    n += m;
    memset(o + n, 0, 4);
    n += 4;
    n += put32(o + n, 1 + 1 + 4); /* NEWKEYS: padding_length, code 21, 4 bytes of padding */
    o[n++] = 4;
    o[n++] = 21;
    memset(o + n, 0, 4);
    return n + 4;
}

/*
 * Both sides' handshakes, then after NEWKEYS: client 36, server 36 (an echo), client 36,
 * server 36 (an echo), client 500 (not keystroke-sized), server 100 (after a large client
 * segment: no echo), client 52. Keystrokes: 36, 36, 52 = 3; echoes 2; the commonest keystroke
 * size 36 (twice). Encrypted segments: client 4, server 3. HASSH = MD5 of
 * "curve25519-sha256;aes128-ctr;hmac-sha2-256;none" = e97d07603350d1111ec2b64bf25413c9
 * (python3 hashlib); both sides list the same names, so each is what was negotiated.
 */
static void test_payload_ssh_handshake_and_keystrokes(void **state)
{
    (void)state;
    uint8_t cs[600], ss[600], junk[500];
    memset(junk, 0x5a, sizeof(junk));
    size_t cn = ssh_clear(cs, "SSH-2.0-OpenSSH_9.6\r\n");
    size_t sn = ssh_clear(ss, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
    struct payload *p = mk(4096, 4, 4);
    struct flow f = mkflow(6, 22, 2);
    feed(p, 0, FLOW_DIR_CLIENT, &f, mkpkt(6, 0x02, 100, NULL, 0), true);
    feed(p, 0, FLOW_DIR_SERVER, &f, mkpkt(6, 0x12, 900, NULL, 0), false);
    /* As on the wire: the server's banner and KEXINIT, the client's whole clear part, then
     * the server's NEWKEYS (its last 10 bytes: length 4, padding length 1, code 1, padding 4),
     * which it can only send once it has the client's key exchange. */
    feed(p, 0, FLOW_DIR_SERVER, &f, mkpkt(6, 0x18, 901, ss, (uint32_t)sn - 10), false);
    feed(p, 0, FLOW_DIR_CLIENT, &f, mkpkt(6, 0x18, 101, cs, (uint32_t)cn), false);
    feed(p, 0, FLOW_DIR_SERVER, &f, mkpkt(6, 0x18, 901 + (uint32_t)sn - 10, ss + sn - 10, 10),
         false);
    uint32_t c = 101 + (uint32_t)cn, s = 901 + (uint32_t)sn;
    const uint32_t sizes[] = {36, 36, 36, 36, 500, 100, 52};
    for (int i = 0; i < 7; i++) {
        int dir = i == 6 ? FLOW_DIR_CLIENT : (i % 2 ? FLOW_DIR_SERVER : FLOW_DIR_CLIENT);
        uint32_t *seq = dir == FLOW_DIR_CLIENT ? &c : &s;
        feed(p, 0, dir, &f, mkpkt(6, 0x18, *seq, junk, sizes[i]), false);
        *seq += sizes[i];
    }
    const struct payload_meta *m = payload_meta(p, 0);
    assert_non_null(m);
    assert_int_equal(m->kind, PAYLOAD_SSH);
    const struct payload_ssh *x = &m->u.ssh;
    assert_string_equal(x->banner[FLOW_DIR_CLIENT], "SSH-2.0-OpenSSH_9.6");
    assert_string_equal(x->banner[FLOW_DIR_SERVER], "SSH-2.0-OpenSSH_9.2p1 Debian-2");
    const uint8_t hassh[16] = {0xe9, 0x7d, 0x07, 0x60, 0x33, 0x50, 0xd1, 0x11,
                               0x1e, 0xc2, 0xb6, 0x4b, 0xf2, 0x54, 0x13, 0xc9};
    assert_true(x->have_hassh[FLOW_DIR_CLIENT]);
    assert_memory_equal(x->hassh[FLOW_DIR_CLIENT], hassh, 16);
    assert_true(x->have_algs);
    assert_string_equal(x->algs.kex.name, "curve25519-sha256");
    assert_string_equal(x->algs.enc_c2s.name, "aes128-ctr");
    assert_string_equal(x->algs.mac_s2c.name, "hmac-sha2-256");
    assert_true(x->encrypted[FLOW_DIR_CLIENT] && x->encrypted[FLOW_DIR_SERVER]);
    assert_int_equal(x->enc_packets[FLOW_DIR_CLIENT], 4);
    assert_int_equal(x->enc_packets[FLOW_DIR_SERVER], 3);
    assert_int_equal(x->client_small, 3);
    assert_int_equal(x->echoes, 2);
    assert_int_equal(payload_ssh_keystroke_size(x), 36);
    assert_int_equal(counter(p, "ssh_handshakes"), 1);
    assert_int_equal(counter(p, "stream_buffers_in_use"), 0);
    payload_destroy(&p);
}

/* A ClientHello of which the sensor saw only the first 10 bytes (the record says 0x50 follow),
 * then the server answers: the client's hello was whole at the server, so the missing bytes
 * will not come, and the client's stream buffer is given up (stream_missed). */
static void test_payload_tls_stream_given_up_when_the_server_answers(void **state)
{
    (void)state;
    const uint8_t part[10] = {0x16, 0x03, 0x01, 0x00, 0x50, 0x01, 0x00, 0x00, 0x4c, 0x03};
    const uint8_t answer[5] = {0x16, 0x03, 0x03, 0x00, 0x40};
    struct payload *p = mk(4096, 4, 4);
    struct flow f = mkflow(6, 443, 2);
    feed(p, 0, FLOW_DIR_CLIENT, &f, mkpkt(6, 0x02, 1000, NULL, 0), true);
    feed(p, 0, FLOW_DIR_CLIENT, &f, mkpkt(6, 0x18, 1001, part, sizeof(part)), false);
    assert_int_equal(payload_meta(p, 0)->kind, PAYLOAD_TLS);
    assert_int_equal(counter(p, "stream_buffers_in_use"), 1);
    feed(p, 0, FLOW_DIR_SERVER, &f, mkpkt(6, 0x18, 5001, answer, sizeof(answer)), false);
    assert_int_equal(counter(p, "stream_missed"), 1);
    /* The server's own stream is open now (its record is incomplete): one buffer in use. */
    assert_int_equal(counter(p, "stream_buffers_in_use"), 1);
    payload_flow_end(p, 0);
    assert_int_equal(counter(p, "stream_buffers_in_use"), 0);
    payload_destroy(&p);
}

/* A UDP datagram that looks like a QUIC v1 Initial (long header, version 1, 1200 bytes) but
 * does not decrypt: counted, and the flow's record goes back at once rather than at its end. */
static void test_payload_quic_lookalike_gives_its_record_back(void **state)
{
    (void)state;
    static uint8_t d[1200];
    memset(d, 0x5a, sizeof(d));
    d[0] = 0xc3;
    d[1] = d[2] = d[3] = 0;
    d[4] = 1;
    d[5] = 8; /* DCID length, then 8 bytes of 0x5a; the rest cannot authenticate */
    struct payload *p = mk(4096, 4, 4);
    struct flow f = mkflow(17, 443, 2);
    feed(p, 0, FLOW_DIR_CLIENT, &f, mkpkt(17, 0, 0, d, sizeof(d)), true);
    assert_int_equal(counter(p, "meta_records_in_use"), 0);
    assert_null(payload_meta(p, 0));
    assert_true(counter(p, "quic_decrypt_failed") + counter(p, "quic_bad_header") +
                        counter(p, "quic_truncated") ==
                1);
    payload_destroy(&p);
}

/* TCP Fast Open (RFC 7413): the request rides on the SYN (seq 7000, so its data starts at
 * 7001); the stream must start with its first byte. */
static void test_payload_data_on_the_syn(void **state)
{
    (void)state;
    const char *req = "GET / HTTP/1.1\r\nHost: tfo.example\r\n\r\n";
    struct payload *p = mk(4096, 4, 4);
    struct flow f = mkflow(6, 80, 2);
    feed(p, 0, FLOW_DIR_CLIENT, &f, mkpkt(6, 0x02, 7000, req, (uint32_t)strlen(req)), true);
    assert_string_equal(payload_meta(p, 0)->u.http.host, "tfo.example");
    payload_destroy(&p);
}

/* Only the client's side of an SSH connection was captured (asymmetric routing): once it has
 * reached NEWKEYS its buffer goes back, as the server's KEXINIT will not be seen to negotiate
 * with. A banner byte outside printable ASCII is kept as '?'. */
static void test_payload_ssh_one_side_only(void **state)
{
    (void)state;
    uint8_t cs[600];
    size_t cn = ssh_clear(cs, "SSH-2.0-Open\xffSSH\r\n");
    struct payload *p = mk(4096, 4, 4);
    struct flow f = mkflow(6, 22, 2);
    feed(p, 0, FLOW_DIR_CLIENT, &f, mkpkt(6, 0x02, 100, NULL, 0), true);
    feed(p, 0, FLOW_DIR_CLIENT, &f, mkpkt(6, 0x18, 101, cs, (uint32_t)cn), false);
    const struct payload_ssh *x = &payload_meta(p, 0)->u.ssh;
    assert_true(x->encrypted[FLOW_DIR_CLIENT]);
    assert_false(x->have_algs);
    assert_string_equal(x->banner[FLOW_DIR_CLIENT], "SSH-2.0-Open?SSH");
    assert_int_equal(counter(p, "stream_buffers_in_use"), 0);
    payload_destroy(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_payload_bytedist_two_values),
            cmocka_unit_test(test_payload_bytedist_prefix_spans_packets),
            cmocka_unit_test(test_payload_bytedist_uniform),
            cmocka_unit_test(test_payload_bytedist_long_packets_wrap),
            cmocka_unit_test(test_payload_bytedist_short_packets_wrap),
            cmocka_unit_test(test_payload_bytedist_pool_exhausted),
            cmocka_unit_test(test_payload_bytedist_raw_then_histogram),
            cmocka_unit_test(test_payload_bytedist_counts_past_255),
            cmocka_unit_test(test_payload_http_request_over_two_segments),
            cmocka_unit_test(test_payload_stream_gap_gives_up),
            cmocka_unit_test(test_payload_stream_cut_gives_up),
            cmocka_unit_test(test_payload_dns_query_answer_and_name_map),
            cmocka_unit_test(test_payload_dns_cnames_share_an_area),
            cmocka_unit_test(test_payload_dns_malformed_is_counted),
            cmocka_unit_test(test_payload_ssh_handshake_and_keystrokes),
            cmocka_unit_test(test_payload_tls_stream_given_up_when_the_server_answers),
            cmocka_unit_test(test_payload_quic_lookalike_gives_its_record_back),
            cmocka_unit_test(test_payload_data_on_the_syn),
            cmocka_unit_test(test_payload_ssh_one_side_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
