/*
 * Decode, network layer: owns the IPv4 and IPv6 headers, IPv6 extension headers and the
 * fragment fields. It checks the header lengths against what was captured and the datagram
 * length against the wire, fills the addresses, lengths and fragment state of struct pkt, and
 * hands the transport bytes to decode_l4. It neither verifies the IPv4 header checksum nor
 * interprets IPv4 options or IPv6 option contents: they are skipped by their length.
 */
#include "sensor/decode_ip.h"

#include <stdbool.h>
#include <string.h>

#include "common/bytes.h"
#include "sensor/decode_l4.h"

enum {
    IPV4_MIN_HLEN = 20,
    IPV6_HLEN = 40,
    IPV4_MF = 0x2000,     /* more fragments */
    IPV4_OFFSET = 0x1fff, /* fragment offset, in 8-byte units */
    IPV6_FRAG_HLEN = 8,   /* next header, reserved, offset/flags, identification */
    IPV6_FRAG_OFFSET = 0xfff8,
    IPV6_FRAG_M = 0x0001,
};

/* IANA IPv6 extension header numbers (RFC 8200 §4, RFC 7045). */
enum {
    IP6_HOPOPTS = 0,
    IP6_ROUTING = 43,
    IP6_FRAGMENT = 44,
    IP6_AH = 51,
    IP6_DSTOPTS = 60,
    IP6_MOBILITY = 135,
    IP6_HIP = 139,
    IP6_SHIM6 = 140,
};

enum decode_status decode_ip_v4(struct pkt *out, const uint8_t *p, uint32_t cap, uint32_t wire)
{
    if (cap < IPV4_MIN_HLEN)
        return DECODE_IP_TRUNCATED;
    if (p[0] >> 4 != 4)
        return DECODE_IP_BAD_VERSION;
    uint32_t hlen = (p[0] & 0x0fu) * 4u;
    if (hlen < IPV4_MIN_HLEN)
        return DECODE_IPV4_BAD_IHL;
    /* Bytes past the total length (Ethernet padding, trailers) are not the datagram's. */
    uint32_t len = rd_be16(p + 2);
    /* 0 is what a capture on the sending host shows for a segment the NIC will split (TCP
     * segmentation offload): the datagram is then all the wire holds, as Wireshark presumes. */
    if (len == 0)
        len = wire;
    if (len < hlen || len > wire)
        return DECODE_IP_BAD_LENGTH;
    if (hlen > cap)
        return DECODE_IP_TRUNCATED; /* options not captured */

    out->ip_version = 4;
    out->ttl = p[8];
    out->proto = p[9];
    /* Each address goes in with one 16-byte store: the flow key reads it back at once in
     * 8-byte words, and a load that spans two smaller stores cannot be forwarded from them. */
    uint8_t a[16] = {0};
    memcpy(a, p + 12, 4);
    memcpy(out->src, a, 16);
    memcpy(a, p + 16, 4);
    memcpy(out->dst, a, 16);
    out->ip_len = len;

    uint16_t frag = rd_be16(p + 6);
    if ((frag & (IPV4_MF | IPV4_OFFSET)) == 0) {
        out->frag = PKT_FRAG_NONE;
        out->frag_id = 0;
    } else {
        out->frag = (frag & IPV4_OFFSET) != 0 ? PKT_FRAG_LATER : PKT_FRAG_FIRST;
        out->frag_id = rd_be16(p + 4);
    }
    if (cap > len)
        cap = len;
    return decode_l4(out, p + hlen, cap - hlen, len - hlen);
}

static bool is_ext(uint8_t nh)
{
    switch (nh) {
    case IP6_HOPOPTS:
    case IP6_ROUTING:
    case IP6_FRAGMENT:
    case IP6_AH:
    case IP6_DSTOPTS:
    case IP6_MOBILITY:
    case IP6_HIP:
    case IP6_SHIM6:
        return true;
    default:
        return false;
    }
}

/* Length of the extension header @nh at @h, of which 2 bytes are readable. */
static uint32_t ext_len(uint8_t nh, const uint8_t *h)
{
    if (nh == IP6_FRAGMENT)
        return IPV6_FRAG_HLEN;
    if (nh == IP6_AH)
        return (h[1] + 2u) * 4u; /* RFC 4302 §2.2: in 4-byte units, minus 2 */
    return (h[1] + 1u) * 8u;     /* RFC 8200 §4.3: in 8-byte units, not counting the first */
}

enum decode_status decode_ip_v6(struct pkt *out, const uint8_t *p, uint32_t cap, uint32_t wire)
{
    if (cap < IPV6_HLEN)
        return DECODE_IP_TRUNCATED;
    if (p[0] >> 4 != 6)
        return DECODE_IP_BAD_VERSION;
    /* Jumbograms (payload length 0 and a hop-by-hop jumbo option, RFC 2675) are not followed:
     * their hop-by-hop header falls outside the 40 bytes the length allows. */
    uint32_t len = IPV6_HLEN + (uint32_t)rd_be16(p + 4);
    if (len > wire)
        return DECODE_IP_BAD_LENGTH;
    if (cap > len)
        cap = len;

    out->ip_version = 6;
    out->ttl = p[7];
    memcpy(out->src, p + 8, 16);
    memcpy(out->dst, p + 24, 16);
    out->ip_len = len;
    out->frag = PKT_FRAG_NONE;
    out->frag_id = 0;

    /* Extension headers, up to the first header that is not one (the transport, ESP, "no next
     * header" 59...). Every header must be captured whole and lie inside the payload length. */
    uint8_t nh = p[6];
    uint32_t off = IPV6_HLEN;
    for (unsigned n = 0; is_ext(nh); n++) {
        if (n == DECODE_MAX_IPV6_EXT || cap - off < 2)
            return DECODE_IPV6_BAD_EXT;
        const uint8_t *h = p + off;
        uint32_t hl = ext_len(nh, h);
        if (hl > cap - off)
            return DECODE_IPV6_BAD_EXT;
        off += hl;
        if (nh == IP6_FRAGMENT) {
            uint16_t fo = rd_be16(h + 2);
            if ((fo & IPV6_FRAG_OFFSET) != 0) {
                /* A later fragment: what follows is the middle of the datagram, not headers. */
                out->frag = PKT_FRAG_LATER;
                out->frag_id = rd_be32(h + 4);
                nh = h[0];
                break;
            }
            /* Offset 0 without M is an atomic fragment (RFC 6946): a whole datagram. */
            if ((fo & IPV6_FRAG_M) != 0) {
                out->frag = PKT_FRAG_FIRST;
                out->frag_id = rd_be32(h + 4);
            }
        }
        nh = h[0];
    }
    out->proto = nh;
    return decode_l4(out, p + off, cap - off, len - off);
}
