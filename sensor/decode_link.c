/*
 * Decode, link layer: owns the link-layer headers a capture can start with (Ethernet, Linux
 * cooked SLL and SLL2, raw IP, BSD null/loopback) and what Ethernet carries before IP: 802.1Q,
 * 802.1ad and pre-standard QinQ tags, LLC/SNAP, PPPoE sessions. It finds where the IP header
 * starts and which version it should be; decode_ip owns everything from there on.
 *
 * Lengths: @cap is what was captured from @p on, @wire what was on the wire (never less than
 * @cap); each header taken off shortens both, so the IP layer can check its total length
 * against the wire.
 */
#include "sensor/decode_link.h"

#include <stdbool.h>
#include <pcap/dlt.h>

#include "common/bytes.h"
#include "sensor/decode_ip.h"

enum {
    ETH_HLEN = 14,  /* destination, source, type */
    SLL_HLEN = 16,  /* packet type, ARPHRD, address length, address[8], protocol */
    SLL2_HLEN = 20, /* protocol, reserved, ifindex, ARPHRD, packet type, address length, addr[8] */
    NULL_HLEN = 4,  /* address family, in the byte order of the host that captured */
    VLAN_TAG_LEN = 4,
    LLC_SNAP_LEN = 8,   /* DSAP 0xaa, SSAP 0xaa, control 0x03, OUI[3], type (RFC 1042) */
    PPPOE_HLEN = 6,     /* version/type, code, session id, length (RFC 2516) */
    ETH_MAX_LEN = 1500, /* a type field at or below this is an 802.3 length: LLC follows */
};

enum {
    ETHERTYPE_IPV4 = 0x0800,
    ETHERTYPE_IPV6 = 0x86dd,
    ETHERTYPE_VLAN = 0x8100,       /* 802.1Q customer tag */
    ETHERTYPE_QINQ = 0x88a8,       /* 802.1ad service tag */
    ETHERTYPE_QINQ_OLD = 0x9100,   /* pre-standard QinQ, still in use */
    ETHERTYPE_PPPOE_SESS = 0x8864, /* discovery (0x8863) is not IP */
    PPP_IPV4 = 0x0021,
    PPP_IPV6 = 0x0057,
};

/* Address families in DLT_NULL/DLT_LOOP headers: AF_INET is 2 everywhere, AF_INET6 is not. */
enum {
    BSD_AF_INET = 2,
    BSD_AF_INET6_BSD = 24,     /* NetBSD, OpenBSD, BSD/OS */
    BSD_AF_INET6_FREEBSD = 28, /* FreeBSD, DragonFly */
    BSD_AF_INET6_DARWIN = 30,  /* macOS, iOS */
};

static bool is_vlan_tpid(uint16_t type)
{
    return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD;
}

static enum decode_status ip_by_ethertype(struct pkt *out, uint16_t type, const uint8_t *p,
                                          uint32_t cap, uint32_t wire)
{
    if (type == ETHERTYPE_IPV4)
        return decode_ip_v4(out, p, cap, wire);
    if (type == ETHERTYPE_IPV6)
        return decode_ip_v6(out, p, cap, wire);
    return DECODE_NOT_IP;
}

static enum decode_status pppoe_session(struct pkt *out, const uint8_t *p, uint32_t cap,
                                        uint32_t wire)
{
    if (cap < PPPOE_HLEN + 1)
        return DECODE_LINK_TRUNCATED;
    /* RFC 2516 §4: version 1 and type 1 in one byte; session data has code 0. */
    if (p[0] != 0x11 || p[1] != 0)
        return DECODE_NOT_IP;
    /* RFC 1661 §6.5: a compressed PPP protocol field is one byte, and only it is odd. */
    uint32_t hlen = PPPOE_HLEN + 1;
    uint16_t proto = p[PPPOE_HLEN];
    if ((proto & 1) == 0) {
        hlen = PPPOE_HLEN + 2;
        if (cap < hlen)
            return DECODE_LINK_TRUNCATED;
        proto = rd_be16(p + PPPOE_HLEN);
    }
    p += hlen;
    cap -= hlen;
    wire -= hlen;
    if (proto == PPP_IPV4)
        return decode_ip_v4(out, p, cap, wire);
    if (proto == PPP_IPV6)
        return decode_ip_v6(out, p, cap, wire);
    return DECODE_NOT_IP; /* LCP, IPCP, authentication... */
}

/*
 * What follows a link header whose type field held @type: VLAN tags, an LLC/SNAP header or a
 * PPPoE session header, then IP. @p is just past the type field's header.
 */
static enum decode_status after_type(struct pkt *out, uint16_t type, const uint8_t *p, uint32_t cap,
                                     uint32_t wire)
{
    /* Tags inside a tunnel are followed but not kept: the tunnel id names that segment. */
    bool keep = out->tunnel_depth == 0;
    for (unsigned tags = 0; is_vlan_tpid(type); tags++) {
        if (tags == DECODE_MAX_VLAN_TAGS)
            return DECODE_VLAN_TOO_DEEP;
        if (cap < VLAN_TAG_LEN)
            return DECODE_LINK_TRUNCATED;
        if (keep && out->n_vlans < PKT_MAX_VLANS)
            out->vlan[out->n_vlans++] = rd_be16(p) & 0x0fff; /* TCI without PCP and DEI */
        type = rd_be16(p + 2);
        p += VLAN_TAG_LEN;
        cap -= VLAN_TAG_LEN;
        wire -= VLAN_TAG_LEN;
    }
    if (type <= ETH_MAX_LEN) {
        /* 802.3 with LLC: IP is carried only in SNAP with the zero OUI (RFC 1042). */
        if (cap >= 3 && (p[0] != 0xaa || p[1] != 0xaa || p[2] != 0x03))
            return DECODE_NOT_IP;
        if (cap < LLC_SNAP_LEN)
            return DECODE_LINK_TRUNCATED;
        if (p[3] != 0 || p[4] != 0 || p[5] != 0)
            return DECODE_NOT_IP;
        type = rd_be16(p + 6);
        p += LLC_SNAP_LEN;
        cap -= LLC_SNAP_LEN;
        wire -= LLC_SNAP_LEN;
    }
    if (type == ETHERTYPE_PPPOE_SESS)
        return pppoe_session(out, p, cap, wire);
    return ip_by_ethertype(out, type, p, cap, wire);
}

enum decode_status decode_link_ether(struct pkt *out, const uint8_t *p, uint32_t cap, uint32_t wire)
{
    if (cap < ETH_HLEN)
        return DECODE_LINK_TRUNCATED;
    return after_type(out, rd_be16(p + 12), p + ETH_HLEN, cap - ETH_HLEN, wire - ETH_HLEN);
}

/* Linux cooked v1: the protocol field is an EtherType for every IP-carrying device type, and
 * libpcap puts back the VLAN tags the kernel took off, so the rest is as for Ethernet. */
static enum decode_status sll(struct pkt *out, const uint8_t *p, uint32_t cap, uint32_t wire)
{
    if (cap < SLL_HLEN)
        return DECODE_LINK_TRUNCATED;
    return after_type(out, rd_be16(p + 14), p + SLL_HLEN, cap - SLL_HLEN, wire - SLL_HLEN);
}

/* Linux cooked v2: the same with the protocol field first. */
static enum decode_status sll2(struct pkt *out, const uint8_t *p, uint32_t cap, uint32_t wire)
{
    if (cap < SLL2_HLEN)
        return DECODE_LINK_TRUNCATED;
    return after_type(out, rd_be16(p), p + SLL2_HLEN, cap - SLL2_HLEN, wire - SLL2_HLEN);
}

/*
 * BSD null (host byte order) and loop (network byte order). Which order a file has depends on
 * the host that wrote it, and every family value fits in one byte, so the order is told by which
 * end holds the non-zero byte; both link types accept both.
 */
static enum decode_status bsd_null(struct pkt *out, const uint8_t *p, uint32_t cap, uint32_t wire)
{
    if (cap < NULL_HLEN)
        return DECODE_LINK_TRUNCATED;
    unsigned family;
    if (p[0] == 0 && p[1] == 0 && p[2] == 0)
        family = p[3];
    else if (p[1] == 0 && p[2] == 0 && p[3] == 0)
        family = p[0];
    else
        return DECODE_NOT_IP;
    p += NULL_HLEN;
    cap -= NULL_HLEN;
    wire -= NULL_HLEN;
    switch (family) {
    case BSD_AF_INET:
        return decode_ip_v4(out, p, cap, wire);
    case BSD_AF_INET6_BSD:
    case BSD_AF_INET6_FREEBSD:
    case BSD_AF_INET6_DARWIN:
        return decode_ip_v6(out, p, cap, wire);
    default:
        return DECODE_NOT_IP;
    }
}

/* DLT_RAW: no link header; the version nibble says which IP it is. */
static enum decode_status raw_ip(struct pkt *out, const uint8_t *p, uint32_t cap, uint32_t wire)
{
    if (cap == 0)
        return DECODE_IP_TRUNCATED;
    switch (p[0] >> 4) {
    case 4:
        return decode_ip_v4(out, p, cap, wire);
    case 6:
        return decode_ip_v6(out, p, cap, wire);
    default:
        return DECODE_IP_BAD_VERSION;
    }
}

enum decode_status decode_link_frame(struct pkt *out, int linktype, const uint8_t *p, uint32_t cap,
                                     uint32_t wire)
{
    switch (linktype) {
    case DLT_EN10MB:
        return decode_link_ether(out, p, cap, wire);
    case DLT_LINUX_SLL:
        return sll(out, p, cap, wire);
    case DLT_LINUX_SLL2:
        return sll2(out, p, cap, wire);
    case DLT_RAW:
        return raw_ip(out, p, cap, wire);
    case DLT_IPV4:
        return decode_ip_v4(out, p, cap, wire);
    case DLT_IPV6:
        return decode_ip_v6(out, p, cap, wire);
    case DLT_NULL:
    case DLT_LOOP:
        return bsd_null(out, p, cap, wire);
    default:
        return DECODE_LINK_UNSUPPORTED;
    }
}
