/*
 * decode: hand-built frames for every link type, network and transport case, tunnel and bad
 * input, and the real captures in tests/data. Expected values for built frames are worked out
 * by hand from the bytes written (the arithmetic is in the comments); those for captures come
 * from tshark, with the command next to them.
 *
 * Every frame is decoded from an exact-size heap copy, so ASan reports any read past caplen,
 * and twice, into a struct pkt first filled with 0x00 and then with 0xff: the two results must
 * agree field by field, which shows that no field is left as it was before the call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/capture.h"
#include "sensor/decode.h"

#define DATA(name) UMBRA_TEST_DATA_DIR "/" name

/* ---- frame builder ---------------------------------------------------------------------- */

#define FB_MAX 2048

struct fb {
    uint8_t b[FB_MAX];
    uint32_t n;
};

static void put(struct fb *f, const void *src, uint32_t len)
{
    assert_true(f->n + len <= FB_MAX);
    memcpy(f->b + f->n, src, len);
    f->n += len;
}

static void put8(struct fb *f, uint8_t v)
{
    put(f, &v, 1);
}

static void put16(struct fb *f, uint16_t v)
{
    put8(f, (uint8_t)(v >> 8));
    put8(f, (uint8_t)v);
}

static void put32(struct fb *f, uint32_t v)
{
    put16(f, (uint16_t)(v >> 16));
    put16(f, (uint16_t)v);
}

static void fill(struct fb *f, uint32_t len, uint8_t v)
{
    assert_true(f->n + len <= FB_MAX);
    memset(f->b + f->n, v, len);
    f->n += len;
}

static const uint8_t MAC_A[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t MAC_B[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};
static const uint8_t IP4_A[4] = {192, 0, 2, 1}; /* RFC 5737 documentation addresses */
static const uint8_t IP4_B[4] = {198, 51, 100, 2};
static const uint8_t IP4_OUT_A[4] = {203, 0, 113, 1}; /* tunnel endpoints */
static const uint8_t IP4_OUT_B[4] = {203, 0, 113, 2};
static const uint8_t IP6_A[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t IP6_B[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

/* 14 bytes: destination, source, type. */
static void eth(struct fb *f, uint16_t type)
{
    put(f, MAC_B, 6);
    put(f, MAC_A, 6);
    put16(f, type);
}

/* 4 bytes: TCI (PCP 3 bits, DEI 1, VID 12), then the next type. */
static void vlan_tag(struct fb *f, uint16_t tci, uint16_t next)
{
    put16(f, tci);
    put16(f, next);
}

struct ip4 {
    uint8_t ihl; /* 32-bit words, 5 when 0; options are NOPs */
    uint16_t total;
    uint16_t id;
    uint16_t frag; /* flags and offset field */
    uint8_t proto;
    const uint8_t *src; /* IP4_A when NULL */
    const uint8_t *dst; /* IP4_B when NULL */
};

static void ipv4(struct fb *f, struct ip4 h)
{
    uint8_t ihl = h.ihl ? h.ihl : 5;
    put8(f, (uint8_t)(0x40 | ihl));
    put8(f, 0); /* DSCP/ECN */
    put16(f, h.total);
    put16(f, h.id ? h.id : 0x1c46);
    put16(f, h.frag);
    put8(f, 64); /* TTL */
    put8(f, h.proto);
    put16(f, 0); /* checksum: not verified */
    put(f, h.src ? h.src : IP4_A, 4);
    put(f, h.dst ? h.dst : IP4_B, 4);
    if (ihl > 5)
        fill(f, (ihl - 5u) * 4u, 0x01);
}

/* 40 bytes; hop limit 64. */
static void ipv6(struct fb *f, uint16_t plen, uint8_t nh)
{
    put32(f, 0x60000000); /* version 6, traffic class 0, flow label 0 */
    put16(f, plen);
    put8(f, nh);
    put8(f, 64);
    put(f, IP6_A, 16);
    put(f, IP6_B, 16);
}

/* An extension header of @len bytes (a multiple of 8) in the RFC 8200 layout, zero-filled. */
static void ext6(struct fb *f, uint8_t nh, uint32_t len)
{
    put8(f, nh);
    put8(f, (uint8_t)(len / 8 - 1));
    fill(f, len - 2, 0);
}

/* 8 bytes: next header, reserved, offset (bytes, a multiple of 8) | M, identification. */
static void frag6(struct fb *f, uint8_t nh, uint16_t offset, int more, uint32_t id)
{
    put8(f, nh);
    put8(f, 0);
    put16(f, (uint16_t)(offset | (more ? 1 : 0)));
    put32(f, id);
}

/* 20 bytes; @doff in 32-bit words (the caller puts the options). */
static void tcp(struct fb *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                uint8_t doff, uint8_t flags, uint16_t win)
{
    put16(f, sport);
    put16(f, dport);
    put32(f, seq);
    put32(f, ack);
    put8(f, (uint8_t)(doff << 4));
    put8(f, flags);
    put16(f, win);
    put16(f, 0); /* checksum */
    put16(f, 0); /* urgent pointer */
}

static void udp(struct fb *f, uint16_t sport, uint16_t dport, uint16_t len)
{
    put16(f, sport);
    put16(f, dport);
    put16(f, len);
    put16(f, 0);
}

/* 8 bytes: type, code, checksum, identifier, sequence (the rest of header of an echo). */
static void icmp(struct fb *f, uint8_t type, uint8_t code, uint16_t id, uint16_t seq)
{
    put8(f, type);
    put8(f, code);
    put16(f, 0);
    put16(f, id);
    put16(f, seq);
}

/* ---- decoding ----------------------------------------------------------------------------- */

static void assert_pkt_same(const struct pkt *a, const struct pkt *b)
{
    assert_int_equal(a->ts_ns, b->ts_ns);
    assert_int_equal(a->caplen, b->caplen);
    assert_int_equal(a->wirelen, b->wirelen);
    assert_memory_equal(a->vlan, b->vlan, sizeof(a->vlan));
    assert_int_equal(a->n_vlans, b->n_vlans);
    assert_int_equal(a->ip_version, b->ip_version);
    assert_int_equal(a->proto, b->proto);
    assert_int_equal(a->ttl, b->ttl);
    assert_memory_equal(a->src, b->src, sizeof(a->src));
    assert_memory_equal(a->dst, b->dst, sizeof(a->dst));
    assert_int_equal(a->sport, b->sport);
    assert_int_equal(a->dport, b->dport);
    assert_int_equal(a->ip_len, b->ip_len);
    assert_int_equal(a->l4_len, b->l4_len);
    assert_int_equal(a->payload_len, b->payload_len);
    assert_ptr_equal(a->payload, b->payload);
    assert_int_equal(a->payload_caplen, b->payload_caplen);
    assert_int_equal(a->frag, b->frag);
    assert_int_equal(a->frag_id, b->frag_id);
    assert_int_equal(a->tcp_flags, b->tcp_flags);
    assert_int_equal(a->tcp_seq, b->tcp_seq);
    assert_int_equal(a->tcp_ack, b->tcp_ack);
    assert_int_equal(a->tcp_window, b->tcp_window);
    assert_ptr_equal(a->tcp_opts, b->tcp_opts);
    assert_int_equal(a->tcp_opts_len, b->tcp_opts_len);
    assert_int_equal(a->tcp_optmask, b->tcp_optmask);
    assert_int_equal(a->tcp_wscale, b->tcp_wscale);
    assert_int_equal(a->tcp_mss, b->tcp_mss);
    assert_int_equal(a->icmp_type, b->icmp_type);
    assert_int_equal(a->icmp_code, b->icmp_code);
    assert_int_equal(a->snap_cut, b->snap_cut);
    assert_int_equal(a->tunnel_depth, b->tunnel_depth);
    assert_int_equal(a->tunnel.type, b->tunnel.type);
    assert_int_equal(a->tunnel.ip_version, b->tunnel.ip_version);
    assert_memory_equal(a->tunnel.src, b->tunnel.src, sizeof(a->tunnel.src));
    assert_memory_equal(a->tunnel.dst, b->tunnel.dst, sizeof(a->tunnel.dst));
    assert_int_equal(a->tunnel.id, b->tunnel.id);
}

/* The decoded frame's bytes stay allocated until the next decode, so tests can check where
 * payload and tcp_opts point (as offsets into the frame, see at()). */
static uint8_t *last_copy;

static void release_copy(void)
{
    free(last_copy);
    last_copy = NULL;
}

/* Decodes @cap bytes of @f, recorded as @wire bytes on the wire. */
static enum decode_status decode_cut(const struct fb *f, int linktype, uint32_t cap, uint32_t wire,
                                     struct pkt *out)
{
    assert_true(cap <= f->n);
    release_copy();
    last_copy = malloc(cap ? cap : 1);
    assert_non_null(last_copy);
    memcpy(last_copy, f->b, cap);
    struct capture_frame frame = {.data = last_copy,
                                  .caplen = cap,
                                  .wirelen = wire,
                                  .ts_ns = 1700000000123456789ULL,
                                  .linktype = linktype};
    struct pkt other;
    memset(out, 0x00, sizeof(*out));
    memset(&other, 0xff, sizeof(other));
    enum decode_status st = decode_frame(&frame, out);
    assert_int_equal(decode_frame(&frame, &other), st);
    if (st == DECODE_OK) {
        assert_pkt_same(out, &other);
        assert_int_equal(out->ts_ns, 1700000000123456789ULL);
        assert_int_equal(out->caplen, cap);
        assert_int_equal(out->wirelen, wire);
        if (out->payload != NULL)
            assert_true(out->payload >= last_copy &&
                        out->payload + out->payload_caplen <= last_copy + cap);
        if (out->tcp_opts != NULL)
            assert_true(out->tcp_opts >= last_copy &&
                        out->tcp_opts + out->tcp_opts_len <= last_copy + cap);
    }
    return st;
}

static enum decode_status decode(const struct fb *f, int linktype, struct pkt *out)
{
    return decode_cut(f, linktype, f->n, f->n, out);
}

/* Offset of @p in the last decoded frame, -1 for NULL. */
static long at(const uint8_t *p)
{
    return p == NULL ? -1 : (long)(p - last_copy);
}

static void assert_ip4(const uint8_t *addr16, const uint8_t *ip4)
{
    static const uint8_t zero[12];
    assert_memory_equal(addr16, ip4, 4);
    assert_memory_equal(addr16 + 4, zero, 12);
}

static int teardown(void **state)
{
    (void)state;
    release_copy();
    return 0;
}

/* Ethernet + IPv4 + TCP with @payload bytes; IP total length 20 + 20 + @payload. */
static void eth_ipv4_tcp(struct fb *f, uint16_t payload)
{
    eth(f, 0x0800);
    ipv4(f, (struct ip4){.total = (uint16_t)(40 + payload), .proto = 6});
    tcp(f, 49152, 443, 0x01020304, 0x0a0b0c0d, 5, TCP_PSH | TCP_ACK, 501);
    fill(f, payload, 'x');
}

/* IPv4 + UDP 5353 -> 53 with @payload bytes (no link header). */
static void ipv4_udp(struct fb *f, uint16_t payload)
{
    ipv4(f, (struct ip4){.total = (uint16_t)(28 + payload), .proto = 17});
    udp(f, 5353, 53, (uint16_t)(8 + payload));
    fill(f, payload, 'u');
}

/* ---- link layers -------------------------------------------------------------------------- */

/* 14 + 20 + 20 + 100 = 154 bytes; IP total 140, TCP segment 120, payload at 14 + 20 + 20 = 54. */
static void test_decode_ethernet_ipv4_tcp_fills_every_field(void **state)
{
    (void)state;
    struct fb f = {0};
    eth_ipv4_tcp(&f, 100);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.ip_version, 4);
    assert_int_equal(p.proto, 6);
    assert_int_equal(p.ttl, 64);
    assert_ip4(p.src, IP4_A);
    assert_ip4(p.dst, IP4_B);
    assert_int_equal(p.sport, 49152);
    assert_int_equal(p.dport, 443);
    assert_int_equal(p.ip_len, 140);
    assert_int_equal(p.l4_len, 120);
    assert_int_equal(p.payload_len, 100);
    assert_int_equal(at(p.payload), 54);
    assert_int_equal(p.payload_caplen, 100);
    assert_int_equal(p.tcp_seq, 0x01020304);
    assert_int_equal(p.tcp_ack, 0x0a0b0c0d);
    assert_int_equal(p.tcp_flags, TCP_PSH | TCP_ACK);
    assert_int_equal(p.tcp_window, 501);
    assert_null(p.tcp_opts);
    assert_int_equal(p.tcp_opts_len, 0);
    assert_int_equal(p.frag, PKT_FRAG_NONE);
    assert_int_equal(p.frag_id, 0);
    assert_int_equal(p.n_vlans, 0);
    assert_int_equal(p.tunnel_depth, 0);
    assert_int_equal(p.tunnel.type, PKT_TUNNEL_NONE);
    assert_int_equal(p.icmp_type, 0);
    assert_false(p.snap_cut);
}

/* A 40-byte SYN in a 60-byte minimum Ethernet frame: 14 + 40 + 6 bytes of padding. */
static void test_decode_ethernet_padding_is_not_counted(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    ipv4(&f, (struct ip4){.total = 40, .proto = 6});
    tcp(&f, 40000, 22, 7, 0, 5, TCP_SYN, 64240);
    fill(&f, 6, 0);
    assert_int_equal(f.n, 60);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.ip_len, 40);
    assert_int_equal(p.l4_len, 20);
    assert_int_equal(p.payload_len, 0);
    assert_null(p.payload);
    assert_int_equal(p.payload_caplen, 0);
    assert_int_equal(p.tcp_flags, TCP_SYN);
}

/* TCI 0xa064: PCP 5 (0xa064 >> 13), DEI 0, VID 0x064 = 100. */
static void test_decode_single_vlan_tag_keeps_the_id_without_priority(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x8100);
    vlan_tag(&f, 0xa064, 0x0800);
    ipv4_udp(&f, 4);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.n_vlans, 1);
    assert_int_equal(p.vlan[0], 100);
    assert_int_equal(p.vlan[1], 0);
    assert_int_equal(p.proto, 17);
    assert_int_equal(p.ip_len, 32); /* 20 + 8 + 4 */
    assert_int_equal(at(p.payload), 14 + 4 + 20 + 8);
}

/* 802.1ad service tag 200 (0x00c8) outside, 802.1Q customer tag 100 (with DEI: 0x1064) inside. */
static void test_decode_qinq_keeps_outer_tag_first(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x88a8);
    vlan_tag(&f, 0x00c8, 0x8100);
    vlan_tag(&f, 0x1064, 0x0800);
    ipv4_udp(&f, 0);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.n_vlans, 2);
    assert_int_equal(p.vlan[0], 200);
    assert_int_equal(p.vlan[1], 100);
    assert_int_equal(p.sport, 5353);
}

/* Three tags as in vlan-qinqinq-zeek.pcap (30, 20, 10), the outer one the old 0x9100 TPID. */
static void test_decode_triple_tag_keeps_all_three(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x9100);
    vlan_tag(&f, 30, 0x8100);
    vlan_tag(&f, 20, 0x8100);
    vlan_tag(&f, 10, 0x86dd);
    ipv6(&f, 8, 17);
    udp(&f, 1000, 2000, 8);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.n_vlans, 3);
    assert_int_equal(p.vlan[0], 30);
    assert_int_equal(p.vlan[1], 20);
    assert_int_equal(p.vlan[2], 10);
    assert_int_equal(p.ip_version, 6);
    assert_int_equal(p.ip_len, 48); /* 40 + 8 */
}

/* Tags past PKT_MAX_VLANS (3) are followed but not kept; past DECODE_MAX_VLAN_TAGS (8), refused. */
static void test_decode_follows_deeper_tags_up_to_the_limit(void **state)
{
    (void)state;
    struct pkt p;
    for (uint16_t tags = 4; tags <= DECODE_MAX_VLAN_TAGS + 1; tags++) {
        struct fb f = {0};
        eth(&f, 0x8100);
        for (uint16_t i = 1; i <= tags; i++)
            vlan_tag(&f, i, i < tags ? 0x8100 : 0x0800);
        ipv4_udp(&f, 0);
        if (tags <= DECODE_MAX_VLAN_TAGS) {
            assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
            assert_int_equal(p.n_vlans, PKT_MAX_VLANS);
            assert_int_equal(p.vlan[2], 3);
            assert_int_equal(p.sport, 5353);
        } else {
            assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_VLAN_TOO_DEEP);
        }
    }
}

/* PPPoE session (RFC 2516): ver/type 0x11, code 0, session 0x0001, length = 2 + IP length. */
static void pppoe(struct fb *f, uint16_t ppp_proto, uint16_t ip_len)
{
    put8(f, 0x11);
    put8(f, 0x00);
    put16(f, 0x0001);
    put16(f, (uint16_t)(2 + ip_len));
    put16(f, ppp_proto);
}

/* PPPoE over a tag, IPv4 TCP: 14 + 4 + 8 + 40; TCP ports at 14 + 4 + 8 + 20 = 46. */
static void test_decode_pppoe_session_carries_ipv4_and_ipv6(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x8100);
    vlan_tag(&f, 7, 0x8864);
    pppoe(&f, 0x0021, 40);
    ipv4(&f, (struct ip4){.total = 40, .proto = 6});
    tcp(&f, 1234, 80, 1, 0, 5, TCP_SYN, 1024);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.n_vlans, 1);
    assert_int_equal(p.vlan[0], 7);
    assert_int_equal(p.ip_version, 4);
    assert_int_equal(p.ip_len, 40);
    assert_int_equal(p.sport, 1234);
    assert_int_equal(p.dport, 80);

    /* PPP 0x0057: IPv6 + ICMPv6 echo request id 0x0102: 14 + 8 + 40 + 8. */
    struct fb g = {0};
    eth(&g, 0x8864);
    pppoe(&g, 0x0057, 48);
    ipv6(&g, 8, 58);
    icmp(&g, 128, 0, 0x0102, 1);
    assert_int_equal(decode(&g, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.ip_version, 6);
    assert_int_equal(p.proto, 58);
    assert_int_equal(p.sport, 0x0102);
    assert_int_equal(p.ip_len, 48);
}

/* LCP (0xc021) in a session, and the discovery stage (0x8863), are not IP. */
static void test_decode_pppoe_control_and_discovery_are_not_ip(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x8864);
    pppoe(&f, 0xc021, 10);
    fill(&f, 10, 0);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_NOT_IP);

    struct fb g = {0};
    eth(&g, 0x8863);
    put8(&g, 0x11);
    put8(&g, 0x09); /* PADI */
    fill(&g, 30, 0);
    assert_int_equal(decode(&g, DLT_EN10MB, &p), DECODE_NOT_IP);
}

/* 802.3 length field 48, then LLC/SNAP aa aa 03 00 00 00 08 00 (RFC 1042), as in
 * snaplen-tcp-zeek.pcap: IP starts at 14 + 8 = 22. */
static void test_decode_llc_snap_carries_ipv4(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 48);
    static const uint8_t snap[8] = {0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00};
    put(&f, snap, sizeof(snap));
    ipv4(&f, (struct ip4){.total = 40, .proto = 6});
    tcp(&f, 12345, 80, 100, 0, 5, TCP_SYN, 8192);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.ip_len, 40);
    assert_int_equal(p.sport, 12345);

    /* STP: LLC 42 42 03, not SNAP. */
    struct fb g = {0};
    eth(&g, 38);
    put8(&g, 0x42);
    put8(&g, 0x42);
    put8(&g, 0x03);
    fill(&g, 35, 0);
    assert_int_equal(decode(&g, DLT_EN10MB, &p), DECODE_NOT_IP);
}

/* ARP, LLDP, IPX, MPLS and PPPoE discovery EtherTypes. */
static void test_decode_non_ip_ethertypes_are_not_ip(void **state)
{
    (void)state;
    static const uint16_t types[] = {0x0806, 0x88cc, 0x8137, 0x8847, 0x8863, 0x88e5};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        struct fb f = {0};
        eth(&f, types[i]);
        fill(&f, 46, 0);
        struct pkt p;
        assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_NOT_IP);
    }
}

/* Linux cooked v1 (16 bytes): packet type 0 (to us), ARPHRD_ETHER 1, address length 6, address
 * padded to 8, protocol at offset 14. */
static void sll(struct fb *f, uint16_t proto)
{
    put16(f, 0);
    put16(f, 1);
    put16(f, 6);
    put(f, MAC_A, 6);
    put16(f, 0);
    put16(f, proto);
}

static void test_decode_sll_carries_ipv4_and_reinserted_vlan_tags(void **state)
{
    (void)state;
    struct fb f = {0};
    sll(&f, 0x0800);
    ipv4_udp(&f, 10);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_LINUX_SLL, &p), DECODE_OK);
    assert_int_equal(p.ip_len, 38); /* 20 + 8 + 10 */
    assert_int_equal(at(p.payload), 16 + 20 + 8);
    assert_int_equal(p.payload_len, 10);

    /* libpcap puts a stripped tag back after the cooked header with protocol 0x8100. */
    struct fb g = {0};
    sll(&g, 0x8100);
    vlan_tag(&g, 42, 0x0800);
    ipv4_udp(&g, 0);
    assert_int_equal(decode(&g, DLT_LINUX_SLL, &p), DECODE_OK);
    assert_int_equal(p.n_vlans, 1);
    assert_int_equal(p.vlan[0], 42);

    struct fb h = {0};
    sll(&h, 0x0806);
    fill(&h, 28, 0);
    assert_int_equal(decode(&h, DLT_LINUX_SLL, &p), DECODE_NOT_IP);
}

/* Linux cooked v2 (20 bytes): protocol first, reserved, ifindex, ARPHRD, packet type, address
 * length, address[8]; IPv6 + UDP at 20. */
static void test_decode_sll2_carries_ipv6(void **state)
{
    (void)state;
    struct fb f = {0};
    put16(&f, 0x86dd);
    put16(&f, 0);
    put32(&f, 2); /* ifindex */
    put16(&f, 1); /* ARPHRD_ETHER */
    put8(&f, 4);  /* outgoing */
    put8(&f, 6);
    put(&f, MAC_A, 6);
    put16(&f, 0);
    ipv6(&f, 20, 17);
    udp(&f, 546, 547, 20);
    fill(&f, 12, 0);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_LINUX_SLL2, &p), DECODE_OK);
    assert_int_equal(p.ip_version, 6);
    assert_memory_equal(p.src, IP6_A, 16);
    assert_memory_equal(p.dst, IP6_B, 16);
    assert_int_equal(p.sport, 546);
    assert_int_equal(p.ip_len, 60);      /* 40 + 20 */
    assert_int_equal(p.payload_len, 12); /* 20 - 8 */
    assert_int_equal(at(p.payload), 20 + 40 + 8);
}

/* DLT_RAW picks the version from the first nibble; DLT_IPV4 and DLT_IPV6 insist on theirs. */
static void test_decode_raw_ip_link_types(void **state)
{
    (void)state;
    struct fb v4 = {0};
    ipv4_udp(&v4, 2);
    struct fb v6 = {0};
    ipv6(&v6, 8, 17);
    udp(&v6, 1, 2, 8);
    struct pkt p;
    assert_int_equal(decode(&v4, DLT_RAW, &p), DECODE_OK);
    assert_int_equal(p.ip_version, 4);
    assert_int_equal(p.ip_len, 30);
    assert_int_equal(at(p.payload), 28);
    assert_int_equal(decode(&v6, DLT_RAW, &p), DECODE_OK);
    assert_int_equal(p.ip_version, 6);
    assert_int_equal(p.ip_len, 48);
    assert_int_equal(decode(&v4, DLT_IPV4, &p), DECODE_OK);
    assert_int_equal(decode(&v6, DLT_IPV6, &p), DECODE_OK);
    assert_int_equal(decode(&v6, DLT_IPV4, &p), DECODE_IP_BAD_VERSION);
    assert_int_equal(decode(&v4, DLT_IPV6, &p), DECODE_IP_TRUNCATED); /* 30 < 40 bytes */

    v4.b[0] = 0x55; /* version 5 */
    assert_int_equal(decode(&v4, DLT_RAW, &p), DECODE_IP_BAD_VERSION);
    struct fb empty = {0};
    assert_int_equal(decode(&empty, DLT_RAW, &p), DECODE_IP_TRUNCATED);
}

/* BSD null/loop: a 4-byte family, little- or big-endian. AF_INET 2; AF_INET6 24, 28 or 30. */
static void null_frame(struct fb *f, const uint8_t fam[4], int v6)
{
    put(f, fam, 4);
    if (v6) {
        ipv6(f, 8, 17);
        udp(f, 7, 7, 8);
    } else {
        ipv4_udp(f, 0);
    }
}

static void test_decode_null_and_loop_take_either_byte_order(void **state)
{
    (void)state;
    static const struct {
        uint8_t fam[4];
        int v6;
    } ok[] = {
            {{2, 0, 0, 0}, 0},  /* little-endian host, AF_INET */
            {{0, 0, 0, 2}, 0},  /* network order */
            {{24, 0, 0, 0}, 1}, /* NetBSD/OpenBSD AF_INET6 */
            {{0, 0, 0, 28}, 1}, /* FreeBSD */
            {{30, 0, 0, 0}, 1}, /* Darwin */
    };
    static const int types[] = {DLT_NULL, DLT_LOOP};
    struct pkt p;
    for (size_t t = 0; t < 2; t++) {
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
            struct fb f = {0};
            null_frame(&f, ok[i].fam, ok[i].v6);
            assert_int_equal(decode(&f, types[t], &p), DECODE_OK);
            assert_int_equal(p.ip_version, ok[i].v6 ? 6 : 4);
            assert_int_equal(at(p.payload), -1); /* no payload */
        }
    }
    static const uint8_t unix_fam[4] = {1, 0, 0, 0};
    static const uint8_t both_ends[4] = {2, 0, 0, 2};
    static const uint8_t inet[4] = {2, 0, 0, 0};
    struct fb f = {0};
    null_frame(&f, unix_fam, 0);
    assert_int_equal(decode(&f, DLT_NULL, &p), DECODE_NOT_IP);
    struct fb g = {0};
    null_frame(&g, both_ends, 0);
    assert_int_equal(decode(&g, DLT_LOOP, &p), DECODE_NOT_IP);
    struct fb h = {0};
    null_frame(&h, inet, 1); /* AF_INET with an IPv6 packet behind it */
    assert_int_equal(decode(&h, DLT_NULL, &p), DECODE_IP_BAD_VERSION);
    struct fb s = {0};
    put(&s, inet, 3);
    assert_int_equal(decode(&s, DLT_NULL, &p), DECODE_LINK_TRUNCATED);
}

static void test_decode_unknown_link_type_is_unsupported(void **state)
{
    (void)state;
    struct fb f = {0};
    eth_ipv4_tcp(&f, 0);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_IEEE802_11, &p), DECODE_LINK_UNSUPPORTED);
    assert_int_equal(decode(&f, DLT_PPP, &p), DECODE_LINK_UNSUPPORTED);
}

/* Each link header one byte short; a VLAN tag, LLC/SNAP and PPPoE header cut. */
static void test_decode_short_link_headers_are_link_truncated(void **state)
{
    (void)state;
    struct fb f = {0};
    eth_ipv4_tcp(&f, 0);
    struct pkt p;
    assert_int_equal(decode_cut(&f, DLT_EN10MB, 13, 13, &p), DECODE_LINK_TRUNCATED);
    assert_int_equal(decode_cut(&f, DLT_LINUX_SLL, 15, 15, &p), DECODE_LINK_TRUNCATED);
    assert_int_equal(decode_cut(&f, DLT_LINUX_SLL2, 19, 19, &p), DECODE_LINK_TRUNCATED);
    assert_int_equal(decode_cut(&f, DLT_EN10MB, 0, 0, &p), DECODE_LINK_TRUNCATED);

    struct fb v = {0};
    eth(&v, 0x8100);
    vlan_tag(&v, 5, 0x0800);
    assert_int_equal(decode_cut(&v, DLT_EN10MB, 17, 17, &p), DECODE_LINK_TRUNCATED);
    /* The tag whole but nothing after it: the IP header is what is missing. */
    assert_int_equal(decode(&v, DLT_EN10MB, &p), DECODE_IP_TRUNCATED);

    struct fb s = {0};
    eth(&s, 46);
    put8(&s, 0xaa);
    put8(&s, 0xaa);
    put8(&s, 0x03);
    put8(&s, 0);
    assert_int_equal(decode(&s, DLT_EN10MB, &p), DECODE_LINK_TRUNCATED);

    struct fb o = {0};
    eth(&o, 0x8864);
    pppoe(&o, 0x0021, 0);
    assert_int_equal(decode_cut(&o, DLT_EN10MB, 14 + 7, 60, &p), DECODE_LINK_TRUNCATED);
}

/* ---- IPv4 --------------------------------------------------------------------------------- */

/* IHL 7: 8 bytes of options; TCP at 14 + 28 = 42, total 28 + 20 + 5 = 53. */
static void test_decode_ipv4_options_are_skipped_by_ihl(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    ipv4(&f, (struct ip4){.ihl = 7, .total = 53, .proto = 6});
    tcp(&f, 5000, 6000, 1, 2, 5, TCP_ACK, 100);
    fill(&f, 5, 'p');
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.ip_len, 53);
    assert_int_equal(p.l4_len, 25); /* 53 - 28 */
    assert_int_equal(p.sport, 5000);
    assert_int_equal(p.payload_len, 5);
    assert_int_equal(at(p.payload), 14 + 28 + 20);
}

/* A UDP datagram of 8 + 100 bytes in two fragments: the first (MF, offset 0) holds the UDP
 * header and 32 bytes (IP total 20 + 40), the later one (offset 40 = 5 units) the other 68. */
static void test_decode_ipv4_first_fragment_has_ports_later_does_not(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    ipv4(&f, (struct ip4){.total = 60, .id = 0xbeef, .frag = 0x2000, .proto = 17});
    udp(&f, 4000, 53, 108);
    fill(&f, 32, 'a');
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.frag, PKT_FRAG_FIRST);
    assert_int_equal(p.frag_id, 0xbeef);
    assert_int_equal(p.sport, 4000);
    assert_int_equal(p.dport, 53);
    assert_int_equal(p.ip_len, 60);
    assert_int_equal(p.l4_len, 40);
    assert_int_equal(p.payload_len, 32); /* the fragment's UDP bytes, 40 - 8, not 108 - 8 */

    struct fb g = {0};
    eth(&g, 0x0800);
    ipv4(&g, (struct ip4){.total = 88, .id = 0xbeef, .frag = 5, .proto = 17});
    fill(&g, 68, 'b');
    assert_int_equal(decode(&g, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.frag, PKT_FRAG_LATER);
    assert_int_equal(p.frag_id, 0xbeef);
    assert_int_equal(p.proto, 17);
    assert_int_equal(p.sport, 0);
    assert_int_equal(p.dport, 0);
    assert_int_equal(p.ip_len, 88);
    assert_int_equal(p.l4_len, 68);
    assert_int_equal(p.payload_len, 68);
    assert_int_equal(at(p.payload), 34);

    /* DF alone (0x4000) is not a fragment. */
    struct fb h = {0};
    eth(&h, 0x0800);
    ipv4(&h, (struct ip4){.total = 28, .frag = 0x4000, .proto = 17});
    udp(&h, 1, 2, 8);
    assert_int_equal(decode(&h, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.frag, PKT_FRAG_NONE);
    assert_int_equal(p.frag_id, 0);
}

/* A first fragment too short for the TCP header (12 bytes) decodes to IP, like a later one. */
static void test_decode_first_fragment_without_whole_header_has_no_ports(void **state)
{
    (void)state;
    struct fb f = {0};
    ipv4(&f, (struct ip4){.total = 32, .frag = 0x2000, .proto = 6});
    fill(&f, 12, 0x11);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_RAW, &p), DECODE_OK);
    assert_int_equal(p.frag, PKT_FRAG_FIRST);
    assert_int_equal(p.sport, 0);
    assert_int_equal(p.payload_len, 12);
    assert_int_equal(p.tcp_flags, 0);
}

static void test_decode_ipv4_ihl_below_five_is_bad_ihl(void **state)
{
    (void)state;
    struct fb f = {0};
    eth_ipv4_tcp(&f, 0);
    f.b[14] = 0x43; /* IHL 3: 12 bytes */
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_IPV4_BAD_IHL);
}

static void test_decode_ipv4_total_length_below_header_is_bad_length(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    ipv4(&f, (struct ip4){.total = 19, .proto = 6});
    fill(&f, 26, 0);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_IP_BAD_LENGTH);

    /* IHL 6 (24 bytes) with total length 22. */
    struct fb g = {0};
    eth(&g, 0x0800);
    ipv4(&g, (struct ip4){.ihl = 6, .total = 22, .proto = 6});
    fill(&g, 22, 0);
    assert_int_equal(decode(&g, DLT_EN10MB, &p), DECODE_IP_BAD_LENGTH);
}

/* Total length 200 in a 14 + 100 byte frame: more than the wire carried. */
static void test_decode_ipv4_total_length_beyond_the_wire_is_bad_length(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    ipv4(&f, (struct ip4){.total = 200, .proto = 17});
    udp(&f, 1, 2, 180);
    fill(&f, 72, 0);
    assert_int_equal(f.n, 114);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_IP_BAD_LENGTH);
    /* The same bytes as the start of a frame of 14 + 200 on the wire: a snap-length cut. */
    assert_int_equal(decode_cut(&f, DLT_EN10MB, 114, 214, &p), DECODE_OK);
    assert_true(p.snap_cut);
    assert_int_equal(p.ip_len, 200);
    /* One byte less on the wire than the IP length needs. */
    assert_int_equal(decode_cut(&f, DLT_EN10MB, 114, 213, &p), DECODE_IP_BAD_LENGTH);
}

/* Total length 0 is what TSO looks like on the sending host: the datagram is the rest of the
 * frame, 14 + 20 + 20 + 1000 - 14 = 1040. */
static void test_decode_ipv4_total_length_zero_takes_the_wire_length(void **state)
{
    (void)state;
    struct fb f = {0};
    eth_ipv4_tcp(&f, 1000);
    f.b[16] = 0;
    f.b[17] = 0;
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.ip_len, 1040);
    assert_int_equal(p.payload_len, 1000);
}

/* 19 captured bytes of an IPv4 header, 39 of IPv6, options past the capture. */
static void test_decode_ip_header_not_captured_is_ip_truncated(void **state)
{
    (void)state;
    struct fb f = {0};
    eth_ipv4_tcp(&f, 0);
    struct pkt p;
    assert_int_equal(decode_cut(&f, DLT_EN10MB, 14 + 19, 54, &p), DECODE_IP_TRUNCATED);

    struct fb g = {0};
    eth(&g, 0x86dd);
    ipv6(&g, 0, 59);
    assert_int_equal(decode_cut(&g, DLT_EN10MB, 14 + 39, 54, &p), DECODE_IP_TRUNCATED);

    struct fb h = {0};
    eth(&h, 0x0800);
    ipv4(&h, (struct ip4){.ihl = 15, .total = 60, .proto = 59});
    assert_int_equal(decode_cut(&h, DLT_EN10MB, 14 + 40, 74, &p), DECODE_IP_TRUNCATED);
}

static void test_decode_ethertype_and_ip_version_disagreeing_is_bad_version(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x86dd);
    ipv4(&f, (struct ip4){.total = 40, .proto = 6});
    fill(&f, 20, 0);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_IP_BAD_VERSION);
    struct fb g = {0};
    eth(&g, 0x0800);
    ipv6(&g, 0, 59);
    assert_int_equal(decode(&g, DLT_EN10MB, &p), DECODE_IP_BAD_VERSION);
}

/* SCTP (132), ESP (50), OSPF (89): ports 0, the IP payload is the payload. */
static void test_decode_other_protocols_have_ports_zero(void **state)
{
    (void)state;
    static const uint8_t protos[] = {132, 50, 89, 103};
    for (size_t i = 0; i < sizeof(protos); i++) {
        struct fb f = {0};
        eth(&f, 0x0800);
        ipv4(&f, (struct ip4){.total = 20 + 16, .proto = protos[i]});
        fill(&f, 16, 0x77);
        struct pkt p;
        assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
        assert_int_equal(p.proto, protos[i]);
        assert_int_equal(p.sport, 0);
        assert_int_equal(p.dport, 0);
        assert_int_equal(p.l4_len, 16);
        assert_int_equal(p.payload_len, 16);
        assert_int_equal(at(p.payload), 34);
    }
}

/* ---- IPv6 --------------------------------------------------------------------------------- */

/* 40 + hop-by-hop 8 + routing 24 + fragment 8 + UDP 8 + 20 = 108: payload length 68. The
 * fragment header has M set and offset 0: a first fragment, UDP decoded at 14 + 40 + 40. */
static void test_decode_ipv6_hop_by_hop_routing_fragment_chain(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x86dd);
    ipv6(&f, 68, 0);
    ext6(&f, 43, 8);
    ext6(&f, 44, 24);
    frag6(&f, 17, 0, 1, 0xdeadbeef);
    udp(&f, 53, 33000, 500); /* the datagram's UDP length; this fragment holds 28 of it */
    fill(&f, 20, 'd');
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.ip_version, 6);
    assert_int_equal(p.ttl, 64);
    assert_int_equal(p.proto, 17);
    assert_int_equal(p.ip_len, 108);
    assert_int_equal(p.l4_len, 28); /* 108 - 40 - 40 */
    assert_int_equal(p.frag, PKT_FRAG_FIRST);
    assert_int_equal(p.frag_id, 0xdeadbeef);
    assert_int_equal(p.sport, 53);
    assert_int_equal(p.dport, 33000);
    assert_int_equal(p.payload_len, 20);
    assert_int_equal(at(p.payload), 14 + 40 + 40 + 8);
}

/* Offset 1448 (0x05a8), no M: the last fragment; proto from the fragment header. */
static void test_decode_ipv6_later_fragment_stops_at_the_fragment_header(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x86dd);
    ipv6(&f, 8 + 30, 44);
    frag6(&f, 6, 1448, 0, 77);
    fill(&f, 30, 0x3c); /* not a header: would be a hop-by-hop header if read as one */
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.frag, PKT_FRAG_LATER);
    assert_int_equal(p.frag_id, 77);
    assert_int_equal(p.proto, 6);
    assert_int_equal(p.sport, 0);
    assert_int_equal(p.tcp_flags, 0);
    assert_int_equal(p.ip_len, 78);
    assert_int_equal(p.payload_len, 30);
    assert_int_equal(at(p.payload), 14 + 48);

    /* Offset 0 and no M: an atomic fragment (RFC 6946) is a whole datagram. */
    struct fb g = {0};
    ipv6(&g, 16, 44);
    frag6(&g, 17, 0, 0, 78);
    udp(&g, 9, 9, 8);
    assert_int_equal(decode(&g, DLT_IPV6, &p), DECODE_OK);
    assert_int_equal(p.frag, PKT_FRAG_NONE);
    assert_int_equal(p.frag_id, 0);
    assert_int_equal(p.sport, 9);
}

/* AH counts in 4-byte units minus 2: length byte 4 is (4 + 2) * 4 = 24 bytes; then destination
 * options (8) and "no next header" 59: payload length 24 + 8 + 4 = 36. */
static void test_decode_ipv6_ah_and_no_next_header(void **state)
{
    (void)state;
    struct fb f = {0};
    ipv6(&f, 36, 51);
    put8(&f, 60);
    put8(&f, 4);
    fill(&f, 22, 0);
    ext6(&f, 59, 8);
    fill(&f, 4, 0xee);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_IPV6, &p), DECODE_OK);
    assert_int_equal(p.proto, 59);
    assert_int_equal(p.sport, 0);
    assert_int_equal(p.l4_len, 4);
    assert_int_equal(at(p.payload), 40 + 32);
}

/* Mobility (135), HIP (139) and shim6 (140) use the 8-byte-unit length too. */
static void test_decode_ipv6_mobility_hip_shim6_are_skipped(void **state)
{
    (void)state;
    struct fb f = {0};
    ipv6(&f, 16 + 24 + 8 + 8, 135);
    ext6(&f, 139, 16);
    ext6(&f, 140, 24);
    ext6(&f, 17, 8);
    udp(&f, 10, 20, 8);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_IPV6, &p), DECODE_OK);
    assert_int_equal(p.proto, 17);
    assert_int_equal(p.sport, 10);
}

/* DECODE_MAX_IPV6_EXT (8) destination-options headers pass; a ninth is refused. */
static void test_decode_ipv6_too_many_extension_headers_is_bad_ext(void **state)
{
    (void)state;
    struct pkt p;
    for (unsigned n = DECODE_MAX_IPV6_EXT; n <= DECODE_MAX_IPV6_EXT + 1; n++) {
        struct fb f = {0};
        ipv6(&f, (uint16_t)(n * 8 + 8), 60);
        for (unsigned i = 0; i < n; i++)
            ext6(&f, i + 1 < n ? 60 : 17, 8);
        udp(&f, 1, 2, 8);
        assert_int_equal(decode(&f, DLT_IPV6, &p),
                         n <= DECODE_MAX_IPV6_EXT ? DECODE_OK : DECODE_IPV6_BAD_EXT);
    }
}

static void test_decode_ipv6_extension_chain_truncated_is_bad_ext(void **state)
{
    (void)state;
    struct pkt p;
    /* A routing header of 24 bytes in a payload length of 16. */
    struct fb f = {0};
    ipv6(&f, 16, 43);
    ext6(&f, 17, 24);
    assert_int_equal(decode(&f, DLT_IPV6, &p), DECODE_IPV6_BAD_EXT);
    /* A payload of 1 byte where a hop-by-hop header should be. */
    struct fb g = {0};
    ipv6(&g, 1, 0);
    put8(&g, 17);
    assert_int_equal(decode(&g, DLT_IPV6, &p), DECODE_IPV6_BAD_EXT);
    /* A fragment header cut by the snap length after 6 of its 8 bytes. */
    struct fb h = {0};
    ipv6(&h, 16, 44);
    frag6(&h, 17, 0, 1, 5);
    udp(&h, 1, 2, 8);
    assert_int_equal(decode_cut(&h, DLT_IPV6, 46, 56, &p), DECODE_IPV6_BAD_EXT);
}

/* Payload length 100 in a frame with 20 bytes after the IPv6 header. */
static void test_decode_ipv6_payload_length_beyond_the_wire_is_bad_length(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x86dd);
    ipv6(&f, 100, 17);
    udp(&f, 1, 2, 20);
    fill(&f, 12, 0);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_IP_BAD_LENGTH);
}

/* ---- transport ---------------------------------------------------------------------------- */

/* Data offset 8: 12 option bytes (MSS 1460, NOP, window scale 7, SACK permitted, NOP, NOP);
 * payload at 14 + 20 + 32 = 66, IP total 20 + 32 + 10 = 62. */
static void test_decode_tcp_options_are_pointed_to(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    ipv4(&f, (struct ip4){.total = 62, .proto = 6});
    tcp(&f, 443, 50000, 0xfffffffe, 1, 8, TCP_SYN | TCP_ACK | TCP_ECE, 65535);
    static const uint8_t opts[12] = {2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 1, 1};
    put(&f, opts, sizeof(opts));
    fill(&f, 10, 'z');
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.tcp_flags, TCP_SYN | TCP_ACK | TCP_ECE);
    assert_int_equal(p.tcp_seq, 0xfffffffe);
    assert_int_equal(p.tcp_window, 65535);
    assert_int_equal(at(p.tcp_opts), 54);
    assert_int_equal(p.tcp_opts_len, 12);
    assert_memory_equal(p.tcp_opts, opts, 12);
    assert_int_equal(p.payload_len, 10);
    assert_int_equal(at(p.payload), 66);
    /* On a SYN the options are read: MSS 0x05b4 = 1460, shift 7, SACK permitted, no TS. */
    assert_int_equal(p.tcp_optmask, PKT_TCPOPT_MSS | PKT_TCPOPT_WSCALE | PKT_TCPOPT_SACK_OK);
    assert_int_equal(p.tcp_mss, 1460);
    assert_int_equal(p.tcp_wscale, 7);
}

/* Timestamps (kind 8, length 10) are seen; a list that breaks (length 40 past its end) keeps
 * what came before; and options on a segment without SYN are not read. */
static void test_decode_tcp_syn_options_stop_at_a_bad_length(void **state)
{
    (void)state;
    static const uint8_t opts[16] = {8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 2, 40, 0x05, 0xb4, 0, 0};
    struct pkt p;
    struct fb f = {0};
    eth(&f, 0x0800);
    ipv4(&f, (struct ip4){.total = 56, .proto = 6});
    tcp(&f, 50000, 443, 1, 0, 9, TCP_SYN, 64240);
    put(&f, opts, sizeof(opts));
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.tcp_optmask, PKT_TCPOPT_TS);
    assert_int_equal(p.tcp_mss, 0);

    struct fb g = {0};
    static const uint8_t mss[4] = {2, 4, 0x05, 0xb4};
    eth(&g, 0x0800);
    ipv4(&g, (struct ip4){.total = 44, .proto = 6});
    tcp(&g, 50000, 443, 1, 0, 6, TCP_ACK, 64240);
    put(&g, mss, sizeof(mss));
    assert_int_equal(decode(&g, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.tcp_optmask, 0);
}

static void test_decode_tcp_data_offset_out_of_range_is_bad_offset(void **state)
{
    (void)state;
    struct pkt p;
    struct fb f = {0};
    eth(&f, 0x0800);
    ipv4(&f, (struct ip4){.total = 40, .proto = 6});
    tcp(&f, 1, 2, 0, 0, 4, TCP_ACK, 0); /* 16 bytes */
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_TCP_BAD_OFFSET);

    /* Offset 6 (24 bytes) in a 20-byte segment: past the IP payload. */
    struct fb g = {0};
    eth(&g, 0x0800);
    ipv4(&g, (struct ip4){.total = 40, .proto = 6});
    tcp(&g, 1, 2, 0, 0, 6, TCP_ACK, 0);
    fill(&g, 6, 0); /* Ethernet padding, not segment bytes */
    assert_int_equal(decode(&g, DLT_EN10MB, &p), DECODE_TCP_BAD_OFFSET);
}

static void test_decode_tcp_header_not_in_the_packet_is_tcp_truncated(void **state)
{
    (void)state;
    struct pkt p;
    /* IP total 30: 10 bytes of TCP per the header. */
    struct fb f = {0};
    eth(&f, 0x0800);
    ipv4(&f, (struct ip4){.total = 30, .proto = 6});
    tcp(&f, 1, 2, 0, 0, 5, TCP_ACK, 0);
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_TCP_TRUNCATED);
    /* A whole segment on the wire with 19 of its header bytes captured. */
    struct fb g = {0};
    eth_ipv4_tcp(&g, 100);
    assert_int_equal(decode_cut(&g, DLT_EN10MB, 14 + 20 + 19, g.n, &p), DECODE_TCP_TRUNCATED);
}

/* UDP length 12 in an IP payload of 20: 8 bytes after the datagram are not UDP's. */
static void test_decode_udp_payload_comes_from_the_udp_length(void **state)
{
    (void)state;
    struct fb f = {0};
    ipv4(&f, (struct ip4){.total = 40, .proto = 17});
    udp(&f, 67, 68, 12);
    fill(&f, 12, 0x55);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_RAW, &p), DECODE_OK);
    assert_int_equal(p.l4_len, 20);
    assert_int_equal(p.payload_len, 4);
    assert_int_equal(p.payload_caplen, 4);
}

static void test_decode_udp_bad_length_and_truncated_header(void **state)
{
    (void)state;
    struct pkt p;
    struct fb f = {0};
    ipv4_udp(&f, 4);
    f.b[25] = 7; /* UDP length 7 */
    assert_int_equal(decode(&f, DLT_RAW, &p), DECODE_UDP_BAD_LENGTH);
    f.b[25] = 13; /* 13 > the IP payload of 12 */
    assert_int_equal(decode(&f, DLT_RAW, &p), DECODE_UDP_BAD_LENGTH);

    struct fb g = {0};
    ipv4(&g, (struct ip4){.total = 26, .proto = 17});
    udp(&g, 1, 2, 8);
    g.n -= 2; /* 6 bytes of UDP */
    assert_int_equal(decode(&g, DLT_RAW, &p), DECODE_UDP_TRUNCATED);
}

/* A ping and its answer: both have sport = dport = identifier 0x4d2 = 1234. */
static void test_decode_icmp_echo_request_and_reply_share_ports(void **state)
{
    (void)state;
    struct fb req = {0};
    ipv4(&req, (struct ip4){.total = 20 + 8 + 56, .proto = 1});
    icmp(&req, 8, 0, 1234, 1);
    fill(&req, 56, 0);
    struct fb rep = {0};
    ipv4(&rep, (struct ip4){.total = 20 + 8 + 56, .proto = 1, .src = IP4_B, .dst = IP4_A});
    icmp(&rep, 0, 0, 1234, 1);
    fill(&rep, 56, 0);
    struct pkt p;
    struct pkt q;
    assert_int_equal(decode(&req, DLT_RAW, &p), DECODE_OK);
    assert_int_equal(decode(&rep, DLT_RAW, &q), DECODE_OK);
    assert_int_equal(p.icmp_type, 8);
    assert_int_equal(q.icmp_type, 0);
    assert_int_equal(p.sport, 1234);
    assert_int_equal(p.dport, 1234);
    assert_int_equal(q.sport, 1234);
    assert_int_equal(q.dport, 1234);
    assert_int_equal(p.payload_len, 56);
    assert_int_equal(p.l4_len, 64);
}

/* Port unreachable: type 3, code 3 as the ports. */
static void test_decode_icmp_other_types_use_type_and_code(void **state)
{
    (void)state;
    struct fb f = {0};
    ipv4(&f, (struct ip4){.total = 20 + 8 + 28, .proto = 1});
    icmp(&f, 3, 3, 0, 0);
    ipv4_udp(&f, 0); /* the quoted packet: not decoded */
    struct pkt p;
    assert_int_equal(decode(&f, DLT_RAW, &p), DECODE_OK);
    assert_int_equal(p.sport, 3);
    assert_int_equal(p.dport, 3);
    assert_int_equal(p.icmp_code, 3);
    assert_int_equal(p.payload_len, 28);
}

/* ICMPv6 echo 128/129 by identifier; neighbour solicitation 135 code 0 by type and code. */
static void test_decode_icmpv6_echo_and_neighbour_solicitation(void **state)
{
    (void)state;
    struct pkt p;
    for (uint8_t type = 128; type <= 129; type++) {
        struct fb f = {0};
        ipv6(&f, 8, 58);
        icmp(&f, type, 0, 0xabcd, 9);
        assert_int_equal(decode(&f, DLT_IPV6, &p), DECODE_OK);
        assert_int_equal(p.sport, 0xabcd);
        assert_int_equal(p.dport, 0xabcd);
    }
    struct fb g = {0};
    ipv6(&g, 8 + 16, 58);
    icmp(&g, 135, 0, 0, 0);
    put(&g, IP6_B, 16);
    assert_int_equal(decode(&g, DLT_IPV6, &p), DECODE_OK);
    assert_int_equal(p.icmp_type, 135);
    assert_int_equal(p.sport, 135);
    assert_int_equal(p.dport, 0);
    assert_int_equal(p.payload_len, 16);
}

/* 4 bytes of ICMP per the IP header; then 8 on the wire with 6 captured. */
static void test_decode_truncated_icmp_is_icmp_truncated(void **state)
{
    (void)state;
    struct fb f = {0};
    ipv4(&f, (struct ip4){.total = 24, .proto = 1});
    put32(&f, 0x08000000);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_RAW, &p), DECODE_ICMP_TRUNCATED);
    struct fb g = {0};
    ipv6(&g, 8, 58);
    icmp(&g, 128, 0, 1, 1);
    assert_int_equal(decode_cut(&g, DLT_IPV6, 46, 48, &p), DECODE_ICMP_TRUNCATED);
}

/* ---- tunnels ------------------------------------------------------------------------------ */

/* Outer IPv4 (203.0.113.1 -> .2, proto 47) + GRE with key 0x01020304 (flags 0x2000, 8 bytes) +
 * inner IPv4 TCP with 10 bytes of payload: inner total 50, outer 20 + 8 + 50 = 78; inner
 * payload at 14 + 20 + 8 + 20 + 20 = 82. */
static void test_decode_gre_with_key_carrying_ipv4_tcp(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    ipv4(&f, (struct ip4){.total = 78, .proto = 47, .src = IP4_OUT_A, .dst = IP4_OUT_B});
    put16(&f, 0x2000);
    put16(&f, 0x0800);
    put32(&f, 0x01020304);
    ipv4(&f, (struct ip4){.total = 50, .proto = 6});
    tcp(&f, 33333, 22, 5, 6, 5, TCP_ACK | TCP_PSH, 300);
    fill(&f, 10, 's');
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.tunnel_depth, 1);
    assert_int_equal(p.tunnel.type, PKT_TUNNEL_GRE);
    assert_int_equal(p.tunnel.ip_version, 4);
    assert_ip4(p.tunnel.src, IP4_OUT_A);
    assert_ip4(p.tunnel.dst, IP4_OUT_B);
    assert_int_equal(p.tunnel.id, 0x01020304);
    assert_ip4(p.src, IP4_A);
    assert_ip4(p.dst, IP4_B);
    assert_int_equal(p.proto, 6);
    assert_int_equal(p.sport, 33333);
    assert_int_equal(p.dport, 22);
    assert_int_equal(p.ip_len, 50);
    assert_int_equal(p.payload_len, 10);
    assert_int_equal(at(p.payload), 82);
}

/* GRE over IPv6 with checksum and sequence (flags 0x9000: 4 + 4 + 4 = 12 bytes), no key,
 * carrying IPv6 UDP: outer payload length 12 + 48 = 60. */
static void test_decode_gre_with_checksum_and_sequence_over_ipv6(void **state)
{
    (void)state;
    struct fb f = {0};
    ipv6(&f, 60, 47);
    put16(&f, 0x9000);
    put16(&f, 0x86dd);
    put32(&f, 0);
    put32(&f, 42);
    ipv6(&f, 8, 17);
    udp(&f, 100, 200, 8);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_IPV6, &p), DECODE_OK);
    assert_int_equal(p.tunnel.type, PKT_TUNNEL_GRE);
    assert_int_equal(p.tunnel.ip_version, 6);
    assert_memory_equal(p.tunnel.src, IP6_A, 16);
    assert_int_equal(p.tunnel.id, 0);
    assert_int_equal(p.ip_version, 6);
    assert_int_equal(p.sport, 100);
    assert_int_equal(p.ip_len, 48);
}

/* GRE 0x6558 (key 5000, as NVGRE) + inner Ethernet with a VLAN tag (followed, not kept) +
 * IPv4 UDP 4 bytes: inner 14 + 4 + 32, outer total 20 + 8 + 50 = 78. */
static void test_decode_gre_transparent_ethernet(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    ipv4(&f, (struct ip4){.total = 78, .proto = 47, .src = IP4_OUT_A, .dst = IP4_OUT_B});
    put16(&f, 0x2000);
    put16(&f, 0x6558);
    put32(&f, 5000);
    eth(&f, 0x8100);
    vlan_tag(&f, 99, 0x0800);
    ipv4_udp(&f, 4);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.tunnel.type, PKT_TUNNEL_GRE);
    assert_int_equal(p.tunnel.id, 5000);
    assert_int_equal(p.n_vlans, 0);
    assert_int_equal(p.sport, 5353);
    assert_int_equal(p.ip_len, 32);
    assert_int_equal(p.payload_len, 4);
}

/* PPTP's GRE version 1 and payloads the decoder does not open (ERSPAN 0x88be) stay the outer
 * packet: proto 47, ports 0, no tunnel. */
static void test_decode_gre_not_decapsulated_stays_outer_packet(void **state)
{
    (void)state;
    static const uint16_t hdr[][2] = {{0x3001, 0x880b}, {0x0000, 0x88be}, {0x0000, 0x8847}};
    for (size_t i = 0; i < 3; i++) {
        struct fb f = {0};
        ipv4(&f, (struct ip4){.total = 20 + 4 + 16, .proto = 47});
        put16(&f, hdr[i][0]);
        put16(&f, hdr[i][1]);
        fill(&f, 16, 0);
        struct pkt p;
        assert_int_equal(decode(&f, DLT_RAW, &p), DECODE_OK);
        assert_int_equal(p.proto, 47);
        assert_int_equal(p.tunnel.type, PKT_TUNNEL_NONE);
        assert_int_equal(p.tunnel_depth, 0);
        assert_int_equal(p.payload_len, 20);
    }
}

static void test_decode_truncated_or_malformed_gre_is_tunnel_bad(void **state)
{
    (void)state;
    struct pkt p;
    /* Key flag set: 8 bytes of header, 6 in the packet. */
    struct fb f = {0};
    ipv4(&f, (struct ip4){.total = 26, .proto = 47});
    put16(&f, 0x2000);
    put16(&f, 0x0800);
    put16(&f, 0);
    assert_int_equal(decode(&f, DLT_RAW, &p), DECODE_TUNNEL_BAD);
    /* 3 bytes of GRE. */
    struct fb g = {0};
    ipv4(&g, (struct ip4){.total = 23, .proto = 47});
    fill(&g, 3, 0);
    assert_int_equal(decode(&g, DLT_RAW, &p), DECODE_TUNNEL_BAD);
    /* Routing present (RFC 1701): refused per RFC 2784 §2.3. */
    struct fb h = {0};
    ipv4(&h, (struct ip4){.total = 20 + 4 + 28, .proto = 47});
    put16(&h, 0x4000);
    put16(&h, 0x0800);
    ipv4_udp(&h, 0);
    assert_int_equal(decode(&h, DLT_RAW, &p), DECODE_TUNNEL_BAD);
}

/* Fragments are not decapsulated: a first fragment of GRE is the outer packet. */
static void test_decode_fragmented_gre_is_not_decapsulated(void **state)
{
    (void)state;
    struct fb f = {0};
    ipv4(&f, (struct ip4){.total = 20 + 4 + 28, .frag = 0x2000, .proto = 47});
    put16(&f, 0);
    put16(&f, 0x0800);
    ipv4_udp(&f, 0);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_RAW, &p), DECODE_OK);
    assert_int_equal(p.proto, 47);
    assert_int_equal(p.frag, PKT_FRAG_FIRST);
    assert_int_equal(p.tunnel.type, PKT_TUNNEL_NONE);
}

/* VXLAN: outer IPv4 UDP 51000 -> 4789, VXLAN flags 0x08, VNI 0x123456; inner Ethernet IPv4
 * UDP 5353 -> 53 with 6 bytes. Inner IP 34; inner frame 48; UDP length 8 + 8 + 48 = 64;
 * outer total 20 + 64 = 84. Inner payload at 14 + 4 + 20 + 8 + 8 + 14 + 20 + 8 = 96. */
static void test_decode_vxlan_carrying_ethernet_ipv4_udp(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x8100);
    vlan_tag(&f, 300, 0x0800);
    ipv4(&f, (struct ip4){.total = 84, .proto = 17, .src = IP4_OUT_A, .dst = IP4_OUT_B});
    udp(&f, 51000, VXLAN_PORT, 64);
    put32(&f, 0x08000000);
    put32(&f, 0x12345600);
    eth(&f, 0x0800);
    ipv4_udp(&f, 6);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_EN10MB, &p), DECODE_OK);
    assert_int_equal(p.tunnel.type, PKT_TUNNEL_VXLAN);
    assert_int_equal(p.tunnel.id, 0x123456);
    assert_ip4(p.tunnel.src, IP4_OUT_A);
    assert_ip4(p.tunnel.dst, IP4_OUT_B);
    assert_int_equal(p.n_vlans, 1); /* the capture's own tag */
    assert_int_equal(p.vlan[0], 300);
    assert_ip4(p.src, IP4_A);
    assert_int_equal(p.sport, 5353);
    assert_int_equal(p.dport, 53);
    assert_int_equal(p.ip_len, 34);
    assert_int_equal(p.payload_len, 6);
    assert_int_equal(at(p.payload), 14 + 4 + 20 + 8 + 8 + 14 + 20 + 8);
}

static void test_decode_vxlan_without_i_flag_or_short_is_tunnel_bad(void **state)
{
    (void)state;
    struct pkt p;
    struct fb f = {0};
    ipv4(&f, (struct ip4){.total = 20 + 8 + 8 + 14 + 28, .proto = 17});
    udp(&f, 1, VXLAN_PORT, 8 + 8 + 14 + 28);
    put32(&f, 0x00000000); /* I flag clear */
    put32(&f, 0x00000100);
    eth(&f, 0x0800);
    ipv4_udp(&f, 0);
    assert_int_equal(decode(&f, DLT_RAW, &p), DECODE_TUNNEL_BAD);
    struct fb g = {0};
    ipv4(&g, (struct ip4){.total = 20 + 8 + 4, .proto = 17});
    udp(&g, 1, VXLAN_PORT, 12);
    put32(&g, 0x08000000);
    assert_int_equal(decode(&g, DLT_RAW, &p), DECODE_TUNNEL_BAD);
}

/* GRE (key @key) headers nested @depth deep around IPv4 UDP. Returns the outer IP length. */
static uint16_t nested_gre(struct fb *f, unsigned depth, uint32_t key)
{
    uint16_t len = 28; /* innermost IPv4 UDP */
    for (unsigned i = 0; i < depth; i++)
        len = (uint16_t)(len + 20 + 8);
    uint16_t outer = len;
    for (unsigned i = 0; i < depth; i++) {
        ipv4(f, (struct ip4){.total = len, .proto = 47, .src = IP4_OUT_A, .dst = IP4_OUT_B});
        put16(f, 0x2000);
        put16(f, 0x0800);
        put32(f, key + i);
        len = (uint16_t)(len - 28);
    }
    ipv4_udp(f, 0);
    return outer;
}

/* Two tunnels decode and keep the outermost key; a third is refused. */
static void test_decode_tunnel_in_two_tunnels_is_too_deep(void **state)
{
    (void)state;
    struct pkt p;
    struct fb f = {0};
    assert_int_equal(nested_gre(&f, 2, 100), 84); /* 28 + 2 * 28 */
    assert_int_equal(f.n, 84);
    assert_int_equal(decode(&f, DLT_RAW, &p), DECODE_OK);
    assert_int_equal(p.tunnel_depth, 2);
    assert_int_equal(p.tunnel.id, 100);
    assert_int_equal(p.sport, 5353);
    assert_int_equal(p.ip_len, 28);

    struct fb g = {0};
    nested_gre(&g, 3, 100);
    assert_int_equal(decode(&g, DLT_RAW, &p), DECODE_TUNNEL_TOO_DEEP);
}

/* An inner packet longer than the outer header allows is refused like an outer one. */
static void test_decode_inner_length_beyond_the_tunnel_is_bad_length(void **state)
{
    (void)state;
    struct fb f = {0};
    ipv4(&f, (struct ip4){.total = 20 + 4 + 28, .proto = 47});
    put16(&f, 0);
    put16(&f, 0x0800);
    ipv4(&f, (struct ip4){.total = 40, .proto = 17}); /* 40 > the 28 GRE carries */
    udp(&f, 1, 2, 20);
    struct pkt p;
    assert_int_equal(decode(&f, DLT_RAW, &p), DECODE_IP_BAD_LENGTH);
}

/* ---- snap length -------------------------------------------------------------------------- */

/* 1000 bytes of payload on the wire (14 + 20 + 32 + 1000 = 1066) with the first 60 captured:
 * 6 of the 12 option bytes. The headers are whole, so the frame decodes with lengths from
 * them. Then 80 captured: options whole and 14 payload bytes (80 - 66). */
static void test_decode_snap_cut_frame_decodes_with_header_lengths(void **state)
{
    (void)state;
    struct fb f = {0};
    eth(&f, 0x0800);
    ipv4(&f, (struct ip4){.total = 1052, .proto = 6});
    tcp(&f, 443, 50001, 1, 1, 8, TCP_ACK, 1000);
    fill(&f, 12, 1);
    fill(&f, 1000, 'q');
    assert_int_equal(f.n, 1066);
    struct pkt p;
    assert_int_equal(decode_cut(&f, DLT_EN10MB, 60, 1066, &p), DECODE_OK);
    assert_true(p.snap_cut);
    assert_int_equal(p.ip_len, 1052);
    assert_int_equal(p.l4_len, 1032);
    assert_int_equal(p.payload_len, 1000);
    assert_null(p.payload);
    assert_int_equal(p.payload_caplen, 0);
    assert_int_equal(p.tcp_opts_len, 6);

    assert_int_equal(decode_cut(&f, DLT_EN10MB, 80, 1066, &p), DECODE_OK);
    assert_int_equal(p.tcp_opts_len, 12);
    assert_int_equal(at(p.payload), 66);
    assert_int_equal(p.payload_caplen, 14);
    assert_int_equal(p.payload_len, 1000);
}

/* A wire length below the captured length (a corrupt record) is taken as the captured one. */
static void test_decode_wire_length_below_caplen_is_taken_as_caplen(void **state)
{
    (void)state;
    struct fb f = {0};
    eth_ipv4_tcp(&f, 20);
    struct pkt p;
    assert_int_equal(decode_cut(&f, DLT_EN10MB, f.n, 10, &p), DECODE_OK);
    assert_false(p.snap_cut);
    assert_int_equal(p.ip_len, 60);
}

/* ---- status names ------------------------------------------------------------------------- */

static void test_decode_status_names_are_counter_names(void **state)
{
    (void)state;
    assert_string_equal(decode_status_name(DECODE_OK), "decoded");
    assert_string_equal(decode_status_name(DECODE_TCP_BAD_OFFSET), "tcp_bad_offset");
    assert_string_equal(decode_status_name(DECODE_TUNNEL_TOO_DEEP), "tunnel_too_deep");
    assert_string_equal(decode_status_name(DECODE_STATUS_COUNT), "unknown");
    assert_string_equal(decode_status_name((enum decode_status) - 1), "unknown");
    assert_string_equal(decode_status_meaning(DECODE_STATUS_COUNT), "unknown");
    for (int i = 0; i < DECODE_STATUS_COUNT; i++) {
        const char *name = decode_status_name((enum decode_status)i);
        assert_true(strlen(name) > 0);
        assert_true(strlen(decode_status_meaning((enum decode_status)i)) > 0);
        for (size_t c = 0; name[c] != '\0'; c++)
            assert_true((name[c] >= 'a' && name[c] <= 'z') || name[c] == '_' ||
                        (name[c] >= '0' && name[c] <= '9'));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(name, decode_status_name((enum decode_status)j));
    }
}

/* ---- real captures ------------------------------------------------------------------------ */

struct totals {
    uint32_t frames;
    uint32_t status[DECODE_STATUS_COUNT];
    uint32_t tcp;         /* decoded with a TCP header */
    uint32_t udp;         /* decoded with a UDP header */
    uint32_t first_frags; /* PKT_FRAG_FIRST */
    uint32_t later_frags; /* PKT_FRAG_LATER */
    uint32_t snap_cut;
    uint64_t ip_bytes;    /* sum of ip_len, decoded frames */
    uint64_t tcp_payload; /* sum of payload_len, TCP */
    uint64_t udp_payload; /* sum of payload_len, UDP */
    uint32_t by_vlans[PKT_MAX_VLANS + 1];
    uint16_t first_vlans[PKT_MAX_VLANS]; /* of the first tagged frame */
};

static void read_capture(const char *path, struct totals *t)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, err);
    if (pc == NULL)
        fail_msg("%s: %s", path, err);
    memset(t, 0, sizeof(*t));
    struct pcap_pkthdr *h;
    const u_char *bytes;
    bool tagged = false;
    while (pcap_next_ex(pc, &h, &bytes) == 1) {
        struct capture_frame frame = {.data = bytes,
                                      .caplen = h->caplen,
                                      .wirelen = h->len,
                                      .linktype = pcap_datalink(pc)};
        struct pkt p;
        enum decode_status st = decode_frame(&frame, &p);
        t->frames++;
        t->status[st]++;
        if (st != DECODE_OK)
            continue;
        t->ip_bytes += p.ip_len;
        t->snap_cut += p.snap_cut;
        t->first_frags += p.frag == PKT_FRAG_FIRST;
        t->later_frags += p.frag == PKT_FRAG_LATER;
        if (p.proto == 6 && p.frag != PKT_FRAG_LATER) {
            t->tcp++;
            t->tcp_payload += p.payload_len;
        }
        if (p.proto == 17 && p.frag != PKT_FRAG_LATER) {
            t->udp++;
            t->udp_payload += p.payload_len;
        }
        t->by_vlans[p.n_vlans]++;
        if (p.n_vlans > 0 && !tagged) {
            tagged = true;
            memcpy(t->first_vlans, p.vlan, sizeof(t->first_vlans));
        }
    }
    pcap_close(pc);
}

/*
 * The tshark numbers below come from (T = tshark -o ip.defragment:FALSE -o ipv6.defragment:FALSE):
 *   frames:        T -r F | wc -l
 *   TCP:           T -r F -Y tcp -T fields -e ip.len -e ipv6.plen -e tcp.len
 *                  (count; sum of ip.len or 40 + ipv6.plen; sum of tcp.len)
 *   UDP:           T -r F -Y udp -T fields -e ip.len -e ipv6.plen -e udp.length
 *   later frags:   T -r F -Y "ip.frag_offset>0 or ipv6.fraghdr.offset>0" -T fields -e ip.len
 *                  -e ipv6.plen
 *   first frags:   T -r F -Y "(ip.flags.mf==1 and ip.frag_offset==0) or (ipv6.fraghdr.more==1
 *                  and ipv6.fraghdr.offset==0)"
 *   cut:           T -r F -Y "frame.cap_len < frame.len" | wc -l
 *   VLAN ids:      T -r F -T fields -e vlan.id | sort | uniq -c
 */

/* tls12-zeek-sample.pcap: 22 frames, all TCP; sum ip.len 7917, sum tcp.len 6749. */
static void test_decode_tls12_capture_matches_tshark(void **state)
{
    (void)state;
    struct totals t;
    read_capture(DATA("tls12-zeek-sample.pcap"), &t);
    assert_int_equal(t.frames, 22);
    assert_int_equal(t.status[DECODE_OK], 22);
    assert_int_equal(t.tcp, 22);
    assert_int_equal(t.ip_bytes, 7917);
    assert_int_equal(t.tcp_payload, 6749);
}

/* tcp-syn-then-rst-zeek.pcap: 2 TCP, 40 + 40 bytes, no payload. */
static void test_decode_syn_then_rst_capture_matches_tshark(void **state)
{
    (void)state;
    struct totals t;
    read_capture(DATA("tcp-syn-then-rst-zeek.pcap"), &t);
    assert_int_equal(t.frames, 2);
    assert_int_equal(t.tcp, 2);
    assert_int_equal(t.ip_bytes, 80);
    assert_int_equal(t.tcp_payload, 0);
}

/* pcapng-multi-interface-zeek.pcapng: 6 UDP (DNS); ip.len 82+200+56+152+56+168 = 714;
 * sum(udp.length - 8) = 546. */
static void test_decode_pcapng_capture_matches_tshark(void **state)
{
    (void)state;
    struct totals t;
    read_capture(DATA("pcapng-multi-interface-zeek.pcapng"), &t);
    assert_int_equal(t.frames, 6);
    assert_int_equal(t.udp, 6);
    assert_int_equal(t.ip_bytes, 714);
    assert_int_equal(t.udp_payload, 546);
}

/* ipv4-truncated-suricata.pcap: one 1530-byte frame whose IP total length is 65028 (tshark:
 * "IPv4 total length exceeds packet length (1516 bytes)"). */
static void test_decode_truncated_ipv4_capture_is_bad_length(void **state)
{
    (void)state;
    struct totals t;
    read_capture(DATA("ipv4-truncated-suricata.pcap"), &t);
    assert_int_equal(t.frames, 1);
    assert_int_equal(t.status[DECODE_IP_BAD_LENGTH], 1);
}

/* vlan-qinqinq-zeek.pcap: 14 TCP frames tagged 30,20,10; sum ip.len 5891, tcp.len 5143. */
static void test_decode_qinqinq_capture_matches_tshark(void **state)
{
    (void)state;
    struct totals t;
    read_capture(DATA("vlan-qinqinq-zeek.pcap"), &t);
    assert_int_equal(t.frames, 14);
    assert_int_equal(t.tcp, 14);
    assert_int_equal(t.by_vlans[3], 14);
    assert_int_equal(t.first_vlans[0], 30);
    assert_int_equal(t.first_vlans[1], 20);
    assert_int_equal(t.first_vlans[2], 10);
    assert_int_equal(t.ip_bytes, 5891);
    assert_int_equal(t.tcp_payload, 5143);
}

/* vlan-pcp-dei-zeek.pcapng: 9 TCP frames of 40 IP bytes: 3 tagged 10,20, 3 tagged 20, 3 not. */
static void test_decode_pcp_dei_capture_matches_tshark(void **state)
{
    (void)state;
    struct totals t;
    read_capture(DATA("vlan-pcp-dei-zeek.pcapng"), &t);
    assert_int_equal(t.frames, 9);
    assert_int_equal(t.tcp, 9);
    assert_int_equal(t.ip_bytes, 360);
    assert_int_equal(t.by_vlans[0], 3);
    assert_int_equal(t.by_vlans[1], 3);
    assert_int_equal(t.by_vlans[2], 3);
    assert_int_equal(t.first_vlans[0], 10);
    assert_int_equal(t.first_vlans[1], 20);
}

/* dns-ipv6-fragmented-zeek.pcap: 8 IPv6 frames. UDP: 5 (4 whole, sum(udp.length - 8) 544, plus
 * the first fragment, frame 6: plen 1440 - 8 (fragment header) - 8 (UDP) = 1424 UDP payload
 * bytes in it). Later fragments: 3 (frames 4, 7, 8; IP bytes 2292). IP bytes of the 5 UDP
 * frames 2216: 4508 in all. */
static void test_decode_ipv6_fragment_capture_matches_tshark(void **state)
{
    (void)state;
    struct totals t;
    read_capture(DATA("dns-ipv6-fragmented-zeek.pcap"), &t);
    assert_int_equal(t.frames, 8);
    assert_int_equal(t.status[DECODE_OK], 8);
    assert_int_equal(t.udp, 5);
    assert_int_equal(t.first_frags, 1);
    assert_int_equal(t.later_frags, 3);
    assert_int_equal(t.ip_bytes, 2216 + 2292);
    assert_int_equal(t.udp_payload, 544 + 1424);
}

/* ipv4-fragmented-1-zeek.pcap: first fragments frames 1 (ip.len 38, udp.length 18) and 3
 * (ip.len 324, udp.length 264); a later one, frame 2 (ip.len 136). UDP payload in the first
 * fragments: (18 - 8) + (264 - 8) = 266, the UDP length being within the fragment both times. */
static void test_decode_ipv4_fragment_capture_matches_tshark(void **state)
{
    (void)state;
    struct totals t;
    read_capture(DATA("ipv4-fragmented-1-zeek.pcap"), &t);
    assert_int_equal(t.frames, 3);
    assert_int_equal(t.udp, 2);
    assert_int_equal(t.first_frags, 2);
    assert_int_equal(t.later_frags, 1);
    assert_int_equal(t.ip_bytes, 38 + 324 + 136);
    assert_int_equal(t.udp_payload, 266);
}

/* tcp-retransmit-fast-zeek.pcap: 39 TCP frames, 21 cut at 54 bytes; the lengths still come from
 * the headers: sum ip.len 30211, sum tcp.len 28547. */
static void test_decode_snap_cut_capture_matches_tshark(void **state)
{
    (void)state;
    struct totals t;
    read_capture(DATA("tcp-retransmit-fast-zeek.pcap"), &t);
    assert_int_equal(t.frames, 39);
    assert_int_equal(t.tcp, 39);
    assert_int_equal(t.snap_cut, 21);
    assert_int_equal(t.ip_bytes, 30211);
    assert_int_equal(t.tcp_payload, 28547);
}

/* snaplen-tcp-zeek.pcap: 8 TCP frames in 802.3 + LLC/SNAP (tshark: eth:llc:ip:tcp); sum ip.len
 * 434, sum tcp.len 114. */
static void test_decode_llc_snap_capture_matches_tshark(void **state)
{
    (void)state;
    struct totals t;
    read_capture(DATA("snaplen-tcp-zeek.pcap"), &t);
    assert_int_equal(t.frames, 8);
    assert_int_equal(t.tcp, 8);
    assert_int_equal(t.ip_bytes, 434);
    assert_int_equal(t.tcp_payload, 114);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_teardown(test_decode_ethernet_ipv4_tcp_fills_every_field, teardown),
            cmocka_unit_test_teardown(test_decode_ethernet_padding_is_not_counted, teardown),
            cmocka_unit_test_teardown(test_decode_single_vlan_tag_keeps_the_id_without_priority,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_qinq_keeps_outer_tag_first, teardown),
            cmocka_unit_test_teardown(test_decode_triple_tag_keeps_all_three, teardown),
            cmocka_unit_test_teardown(test_decode_follows_deeper_tags_up_to_the_limit, teardown),
            cmocka_unit_test_teardown(test_decode_pppoe_session_carries_ipv4_and_ipv6, teardown),
            cmocka_unit_test_teardown(test_decode_pppoe_control_and_discovery_are_not_ip, teardown),
            cmocka_unit_test_teardown(test_decode_llc_snap_carries_ipv4, teardown),
            cmocka_unit_test_teardown(test_decode_non_ip_ethertypes_are_not_ip, teardown),
            cmocka_unit_test_teardown(test_decode_sll_carries_ipv4_and_reinserted_vlan_tags,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_sll2_carries_ipv6, teardown),
            cmocka_unit_test_teardown(test_decode_raw_ip_link_types, teardown),
            cmocka_unit_test_teardown(test_decode_null_and_loop_take_either_byte_order, teardown),
            cmocka_unit_test_teardown(test_decode_unknown_link_type_is_unsupported, teardown),
            cmocka_unit_test_teardown(test_decode_short_link_headers_are_link_truncated, teardown),
            cmocka_unit_test_teardown(test_decode_ipv4_options_are_skipped_by_ihl, teardown),
            cmocka_unit_test_teardown(test_decode_ipv4_first_fragment_has_ports_later_does_not,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_first_fragment_without_whole_header_has_no_ports,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_ipv4_ihl_below_five_is_bad_ihl, teardown),
            cmocka_unit_test_teardown(test_decode_ipv4_total_length_below_header_is_bad_length,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_ipv4_total_length_beyond_the_wire_is_bad_length,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_ipv4_total_length_zero_takes_the_wire_length,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_ip_header_not_captured_is_ip_truncated, teardown),
            cmocka_unit_test_teardown(
                    test_decode_ethertype_and_ip_version_disagreeing_is_bad_version, teardown),
            cmocka_unit_test_teardown(test_decode_other_protocols_have_ports_zero, teardown),
            cmocka_unit_test_teardown(test_decode_ipv6_hop_by_hop_routing_fragment_chain, teardown),
            cmocka_unit_test_teardown(test_decode_ipv6_later_fragment_stops_at_the_fragment_header,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_ipv6_ah_and_no_next_header, teardown),
            cmocka_unit_test_teardown(test_decode_ipv6_mobility_hip_shim6_are_skipped, teardown),
            cmocka_unit_test_teardown(test_decode_ipv6_too_many_extension_headers_is_bad_ext,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_ipv6_extension_chain_truncated_is_bad_ext,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_ipv6_payload_length_beyond_the_wire_is_bad_length,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_tcp_options_are_pointed_to, teardown),
            cmocka_unit_test_teardown(test_decode_tcp_syn_options_stop_at_a_bad_length, teardown),
            cmocka_unit_test_teardown(test_decode_tcp_data_offset_out_of_range_is_bad_offset,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_tcp_header_not_in_the_packet_is_tcp_truncated,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_udp_payload_comes_from_the_udp_length, teardown),
            cmocka_unit_test_teardown(test_decode_udp_bad_length_and_truncated_header, teardown),
            cmocka_unit_test_teardown(test_decode_icmp_echo_request_and_reply_share_ports,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_icmp_other_types_use_type_and_code, teardown),
            cmocka_unit_test_teardown(test_decode_icmpv6_echo_and_neighbour_solicitation, teardown),
            cmocka_unit_test_teardown(test_decode_truncated_icmp_is_icmp_truncated, teardown),
            cmocka_unit_test_teardown(test_decode_gre_with_key_carrying_ipv4_tcp, teardown),
            cmocka_unit_test_teardown(test_decode_gre_with_checksum_and_sequence_over_ipv6,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_gre_transparent_ethernet, teardown),
            cmocka_unit_test_teardown(test_decode_gre_not_decapsulated_stays_outer_packet,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_truncated_or_malformed_gre_is_tunnel_bad,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_fragmented_gre_is_not_decapsulated, teardown),
            cmocka_unit_test_teardown(test_decode_vxlan_carrying_ethernet_ipv4_udp, teardown),
            cmocka_unit_test_teardown(test_decode_vxlan_without_i_flag_or_short_is_tunnel_bad,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_tunnel_in_two_tunnels_is_too_deep, teardown),
            cmocka_unit_test_teardown(test_decode_inner_length_beyond_the_tunnel_is_bad_length,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_snap_cut_frame_decodes_with_header_lengths,
                                      teardown),
            cmocka_unit_test_teardown(test_decode_wire_length_below_caplen_is_taken_as_caplen,
                                      teardown),
            cmocka_unit_test(test_decode_status_names_are_counter_names),
            cmocka_unit_test(test_decode_tls12_capture_matches_tshark),
            cmocka_unit_test(test_decode_syn_then_rst_capture_matches_tshark),
            cmocka_unit_test(test_decode_pcapng_capture_matches_tshark),
            cmocka_unit_test(test_decode_truncated_ipv4_capture_is_bad_length),
            cmocka_unit_test(test_decode_qinqinq_capture_matches_tshark),
            cmocka_unit_test(test_decode_pcp_dei_capture_matches_tshark),
            cmocka_unit_test(test_decode_ipv6_fragment_capture_matches_tshark),
            cmocka_unit_test(test_decode_ipv4_fragment_capture_matches_tshark),
            cmocka_unit_test(test_decode_snap_cut_capture_matches_tshark),
            cmocka_unit_test(test_decode_llc_snap_capture_matches_tshark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
