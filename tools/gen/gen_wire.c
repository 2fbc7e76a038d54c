/*
 * Generator wire format. Multi-byte fields are written byte by byte in network order, so the
 * output is the same on any host.
 */
#include "tools/gen/gen_wire.h"

#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

size_t gen_wire_hdr_len(const struct gen_wire_hdr *h)
{
    size_t l4 = h->proto == 6 ? GEN_WIRE_TCP_LEN + h->opt_len : GEN_WIRE_UDP_LEN;
    return GEN_WIRE_ETH_LEN + GEN_WIRE_IP4_LEN + l4;
}

uint32_t gen_wire_csum(uint32_t sum, const uint8_t *p, size_t len)
{
    /* RFC 1071 2(B): the one's complement sum does not depend on byte order, so 32-bit words
     * are summed as the machine loads them and the folded result is swapped to network order
     * once at the end. This runs over every payload byte the generator writes. */
    uint64_t s = 0;
    size_t i = 0;
    for (; i + 4 <= len; i += 4) {
        uint32_t w;
        memcpy(&w, p + i, 4);
        s += w;
    }
    for (; i + 2 <= len; i += 2) {
        uint16_t w;
        memcpy(&w, p + i, 2);
        s += w;
    }
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    s = (s >> 8 | s << 8) & 0xffff;
#endif
    if (i < len)
        s += (uint32_t)p[i] << 8; /* an odd last byte is padded with a zero (RFC 1071) */
    s += sum;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint32_t)s;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

size_t gen_wire_finish(const struct gen_wire_hdr *h, uint8_t *frame, size_t payload_len)
{
    uint8_t *eth = frame;
    memcpy(eth, h->dst_mac, 6);
    memcpy(eth + 6, h->src_mac, 6);
    put16(eth + 12, 0x0800);

    size_t l4_len =
            (h->proto == 6 ? GEN_WIRE_TCP_LEN + h->opt_len : GEN_WIRE_UDP_LEN) + payload_len;
    uint8_t *ip = eth + GEN_WIRE_ETH_LEN;
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, (uint16_t)(GEN_WIRE_IP4_LEN + l4_len));
    put16(ip + 4, h->ip_id);
    put16(ip + 6, h->dont_fragment ? 0x4000 : 0);
    ip[8] = h->ttl;
    ip[9] = h->proto;
    put16(ip + 10, 0);
    put32(ip + 12, h->src_ip);
    put32(ip + 16, h->dst_ip);
    put16(ip + 10, fold(gen_wire_csum(0, ip, GEN_WIRE_IP4_LEN)));

    uint8_t *l4 = ip + GEN_WIRE_IP4_LEN;
    put16(l4, h->sport);
    put16(l4 + 2, h->dport);
    size_t csum_at;
    if (h->proto == 6) {
        put32(l4 + 4, h->seq);
        put32(l4 + 8, h->ack);
        l4[12] = (uint8_t)(((GEN_WIRE_TCP_LEN + h->opt_len) / 4) << 4);
        l4[13] = h->flags;
        put16(l4 + 14, h->win);
        put16(l4 + 16, 0);
        put16(l4 + 18, 0);
        memcpy(l4 + GEN_WIRE_TCP_LEN, h->opt, h->opt_len);
        csum_at = 16;
    } else {
        put16(l4 + 4, (uint16_t)l4_len);
        put16(l4 + 6, 0);
        csum_at = 6;
    }
    /* Pseudo-header (RFC 793 3.1, RFC 768): addresses, protocol, L4 length. */
    uint8_t pseudo[12];
    put32(pseudo, h->src_ip);
    put32(pseudo + 4, h->dst_ip);
    pseudo[8] = 0;
    pseudo[9] = h->proto;
    put16(pseudo + 10, (uint16_t)l4_len);
    uint16_t c = fold(gen_wire_csum(gen_wire_csum(0, pseudo, sizeof pseudo), l4, l4_len));
    if (h->proto == 17 && c == 0)
        c = 0xffff; /* UDP sends a computed zero as all ones: zero means "no checksum" */
    put16(l4 + csum_at, c);
    return GEN_WIRE_ETH_LEN + GEN_WIRE_IP4_LEN + l4_len;
}
