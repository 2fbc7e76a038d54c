/*
 * Decode, tunnels: owns the GRE (RFC 2784, with the key and sequence fields of RFC 2890) and
 * VXLAN (RFC 7348) headers and the decapsulation limit. The inner packet replaces the outer one
 * in struct pkt; the outermost tunnel's outer addresses and id are kept in pkt.tunnel. Inner
 * headers are decoded by the same link and IP code as outer ones, bounded by the lengths the
 * outer headers give.
 */
#include "sensor/decode_tunnel.h"

#include <string.h>

#include "common/bytes.h"
#include "sensor/decode_ip.h"
#include "sensor/decode_link.h"

enum {
    GRE_MIN_HLEN = 4, /* flags and version, protocol type */
    GRE_C = 0x8000,   /* checksum and reserved1 present */
    GRE_R = 0x4000,   /* RFC 1701 routing present */
    GRE_K = 0x2000,   /* key present */
    GRE_S = 0x1000,   /* sequence number present */
    GRE_SSR = 0x0800, /* RFC 1701 strict source route */
    GRE_RECUR0 = 0x0400,
    GRE_VERSION = 0x0007,
    VXLAN_HLEN = 8,
    VXLAN_I = 0x08, /* the VNI is valid */
};

enum {
    GRE_IPV4 = 0x0800,
    GRE_IPV6 = 0x86dd,
    GRE_TEB = 0x6558, /* transparent Ethernet bridging (NVGRE, gretap) */
};

/* Counts one more tunnel; the first one's outer header is kept. */
static enum decode_status enter(struct pkt *out, uint8_t type, uint32_t id)
{
    if (out->tunnel_depth >= DECODE_MAX_TUNNELS)
        return DECODE_TUNNEL_TOO_DEEP;
    if (out->tunnel_depth == 0) {
        out->tunnel.type = type;
        out->tunnel.ip_version = out->ip_version;
        memcpy(out->tunnel.src, out->src, sizeof(out->tunnel.src));
        memcpy(out->tunnel.dst, out->dst, sizeof(out->tunnel.dst));
        out->tunnel.id = id;
    }
    out->tunnel_depth++;
    return DECODE_OK;
}

enum decode_status decode_tunnel_gre(struct pkt *out, const uint8_t *p, uint32_t cap, uint32_t len)
{
    if (cap < GRE_MIN_HLEN || len < GRE_MIN_HLEN)
        return DECODE_TUNNEL_BAD;
    uint16_t flags = rd_be16(p);
    uint16_t type = rd_be16(p + 2);
    /* Version 1 (PPTP) and payloads other than IP and Ethernet (ERSPAN, PPP, MPLS, WCCP...)
     * are real traffic the decoder does not look into: the outer packet stands. */
    if ((flags & GRE_VERSION) != 0 || (type != GRE_IPV4 && type != GRE_IPV6 && type != GRE_TEB))
        return DECODE_OK;
    /* RFC 2784 §2.3: bits 1-5 non-zero (routing, strict source route, recursion) must be
     * discarded by receivers that do not implement RFC 1701. */
    if ((flags & (GRE_R | GRE_SSR | GRE_RECUR0)) != 0)
        return DECODE_TUNNEL_BAD;
    uint32_t hlen = GRE_MIN_HLEN;
    if (flags & GRE_C)
        hlen += 4;
    uint32_t key_off = hlen;
    if (flags & GRE_K)
        hlen += 4;
    if (flags & GRE_S)
        hlen += 4;
    if (hlen > cap) /* cap <= len */
        return DECODE_TUNNEL_BAD;
    enum decode_status st = enter(out, PKT_TUNNEL_GRE, (flags & GRE_K) ? rd_be32(p + key_off) : 0);
    if (st != DECODE_OK)
        return st;
    p += hlen;
    cap -= hlen;
    len -= hlen;
    if (type == GRE_IPV4)
        return decode_ip_v4(out, p, cap, len);
    if (type == GRE_IPV6)
        return decode_ip_v6(out, p, cap, len);
    return decode_link_ether(out, p, cap, len);
}

enum decode_status decode_tunnel_vxlan(struct pkt *out, const uint8_t *p, uint32_t cap,
                                       uint32_t len)
{
    if (cap < VXLAN_HLEN || len < VXLAN_HLEN)
        return DECODE_TUNNEL_BAD;
    /* RFC 7348 §5: the I flag must be set; the other flag bits are ignored on receipt. */
    if ((p[0] & VXLAN_I) == 0)
        return DECODE_TUNNEL_BAD;
    uint32_t vni = (uint32_t)p[4] << 16 | (uint32_t)p[5] << 8 | p[6];
    enum decode_status st = enter(out, PKT_TUNNEL_VXLAN, vni);
    if (st != DECODE_OK)
        return st;
    return decode_link_ether(out, p + VXLAN_HLEN, cap - VXLAN_HLEN, len - VXLAN_HLEN);
}
