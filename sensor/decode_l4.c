/*
 * Decode, transport layer: owns the TCP, UDP, ICMP and ICMPv6 headers: ports (or the ICMP
 * stand-ins for them), TCP sequence numbers, flags, window and options, and where the payload
 * starts and how long it is. GRE and UDP to the VXLAN port go on to decode_tunnel. It does not
 * verify checksums or look inside payloads (ICMP errors quoting a packet included).
 *
 * Fragments: a later fragment has no transport header, so only the payload fields are set. A
 * first fragment has its header decoded when the minimum header fits in the fragment; its
 * lengths describe the fragment, so summing the payload of every fragment gives the datagram's.
 * Fragments are never decapsulated.
 */
#include "sensor/decode_l4.h"

#include <stdbool.h>
#include <stddef.h>

#include "common/bytes.h"
#include "sensor/decode_tunnel.h"

/* IANA protocol numbers. */
enum {
    PROTO_ICMP = 1,
    PROTO_TCP = 6,
    PROTO_UDP = 17,
    PROTO_GRE = 47,
    PROTO_ICMPV6 = 58,
};

enum {
    TCP_MIN_HLEN = 20,
    UDP_HLEN = 8,
    ICMP_HLEN = 8, /* type, code, checksum and the 4-byte rest of header (echo: id, sequence) */
};

enum {
    ICMP_ECHO_REPLY = 0,
    ICMP_ECHO_REQUEST = 8,
    ICMPV6_ECHO_REQUEST = 128,
    ICMPV6_ECHO_REPLY = 129,
};

/* Payload starting @hlen bytes into a layer with @cap bytes captured. */
static void set_payload(struct pkt *out, const uint8_t *p, uint32_t cap, uint32_t hlen,
                        uint32_t payload_len)
{
    out->payload_len = payload_len;
    if (cap > hlen) {
        out->payload = p + hlen;
        out->payload_caplen = cap - hlen;
    } else {
        out->payload = NULL;
        out->payload_caplen = 0;
    }
}

/*
 * The SYN options the features report. Walks the option list (kind, length, value; kinds 0 and
 * 1 have no length) and stops at the end of the list, at a length that does not fit, or at an
 * option with the wrong length for its kind: a malformed list keeps what came before it.
 */
static void tcp_syn_options(struct pkt *out, const uint8_t *o, uint32_t n)
{
    uint32_t i = 0;
    while (i < n && o[i] != 0) {
        if (o[i] == 1) {
            i++;
            continue;
        }
        if (i + 1 >= n || o[i + 1] < 2 || o[i + 1] > n - i)
            return;
        uint8_t kind = o[i];
        uint8_t olen = o[i + 1];
        if (kind == 2 && olen == 4) {
            out->tcp_optmask |= PKT_TCPOPT_MSS;
            out->tcp_mss = rd_be16(o + i + 2);
        } else if (kind == 3 && olen == 3) {
            out->tcp_optmask |= PKT_TCPOPT_WSCALE;
            out->tcp_wscale = o[i + 2];
        } else if (kind == 4 && olen == 2) {
            out->tcp_optmask |= PKT_TCPOPT_SACK_OK;
        } else if (kind == 8 && olen == 10) {
            out->tcp_optmask |= PKT_TCPOPT_TS;
        }
        i += olen;
    }
}

static enum decode_status tcp(struct pkt *out, const uint8_t *p, uint32_t cap, uint32_t len)
{
    if (len < TCP_MIN_HLEN || cap < TCP_MIN_HLEN)
        return DECODE_TCP_TRUNCATED;
    uint32_t hlen = (uint32_t)(p[12] >> 4) * 4u;
    if (hlen < TCP_MIN_HLEN || hlen > len)
        return DECODE_TCP_BAD_OFFSET;
    out->sport = rd_be16(p);
    out->dport = rd_be16(p + 2);
    out->tcp_seq = rd_be32(p + 4);
    out->tcp_ack = rd_be32(p + 8);
    out->tcp_flags = p[13];
    out->tcp_window = rd_be16(p + 14);
    /* Options cut by the snap length are kept as far as they were captured. */
    uint32_t opts_end = hlen < cap ? hlen : cap;
    if (opts_end > TCP_MIN_HLEN) {
        out->tcp_opts = p + TCP_MIN_HLEN;
        out->tcp_opts_len = (uint8_t)(opts_end - TCP_MIN_HLEN); /* at most 60 - 20 */
        if (out->tcp_flags & TCP_SYN)
            tcp_syn_options(out, out->tcp_opts, out->tcp_opts_len);
    }
    set_payload(out, p, cap, hlen, len - hlen);
    return DECODE_OK;
}

static enum decode_status udp(struct pkt *out, const uint8_t *p, uint32_t cap, uint32_t len)
{
    if (len < UDP_HLEN || cap < UDP_HLEN)
        return DECODE_UDP_TRUNCATED;
    uint32_t ulen = rd_be16(p + 4);
    /* Bytes between the UDP length and the IP length are not UDP's. A first fragment carries
     * only part of the datagram the UDP length counts: its UDP bytes end with the fragment.
     * Length 0 (RFC 2675 jumbograms) is not followed. */
    if (ulen < UDP_HLEN || (ulen > len && out->frag == PKT_FRAG_NONE))
        return DECODE_UDP_BAD_LENGTH;
    if (ulen > len)
        ulen = len;
    out->sport = rd_be16(p);
    out->dport = rd_be16(p + 2);
    if (cap > ulen)
        cap = ulen;
    set_payload(out, p, cap, UDP_HLEN, ulen - UDP_HLEN);
    if (out->dport == VXLAN_PORT && out->frag == PKT_FRAG_NONE)
        return decode_tunnel_vxlan(out, p + UDP_HLEN, cap - UDP_HLEN, ulen - UDP_HLEN);
    return DECODE_OK;
}

static enum decode_status icmp(struct pkt *out, const uint8_t *p, uint32_t cap, uint32_t len)
{
    if (len < ICMP_HLEN || cap < ICMP_HLEN)
        return DECODE_ICMP_TRUNCATED;
    uint8_t type = p[0];
    out->icmp_type = type;
    out->icmp_code = p[1];
    bool echo;
    if (out->proto == PROTO_ICMP)
        echo = type == ICMP_ECHO_REQUEST || type == ICMP_ECHO_REPLY;
    else
        echo = type == ICMPV6_ECHO_REQUEST || type == ICMPV6_ECHO_REPLY;
    if (echo) {
        /* The identifier, on both sides, so that a request and its reply share a flow key. */
        out->sport = rd_be16(p + 4);
        out->dport = out->sport;
    } else {
        out->sport = type;
        out->dport = p[1];
    }
    set_payload(out, p, cap, ICMP_HLEN, len - ICMP_HLEN);
    return DECODE_OK;
}

/* The smallest header of @proto that decode_l4 decodes, 0 for the others. */
static uint32_t min_hlen(uint8_t proto)
{
    switch (proto) {
    case PROTO_TCP:
        return TCP_MIN_HLEN;
    case PROTO_UDP:
        return UDP_HLEN;
    case PROTO_ICMP:
    case PROTO_ICMPV6:
        return ICMP_HLEN;
    default:
        return 0;
    }
}

enum decode_status decode_l4(struct pkt *out, const uint8_t *p, uint32_t cap, uint32_t len)
{
    out->l4_len = len;
    out->sport = 0;
    out->dport = 0;
    out->tcp_flags = 0;
    out->tcp_seq = 0;
    out->tcp_ack = 0;
    out->tcp_window = 0;
    out->tcp_opts = NULL;
    out->tcp_opts_len = 0;
    out->tcp_optmask = 0;
    out->tcp_wscale = 0;
    out->tcp_mss = 0;
    out->icmp_type = 0;
    out->icmp_code = 0;
    /* Until a header says otherwise, everything after the IP headers is payload: this is what
     * later fragments, first fragments too short for their header and other protocols keep. */
    set_payload(out, p, cap, 0, len);

    if (out->frag == PKT_FRAG_LATER)
        return DECODE_OK;
    if (out->frag == PKT_FRAG_FIRST && len < min_hlen(out->proto))
        return DECODE_OK;
    switch (out->proto) {
    case PROTO_TCP:
        return tcp(out, p, cap, len);
    case PROTO_UDP:
        return udp(out, p, cap, len);
    case PROTO_ICMP:
    case PROTO_ICMPV6:
        return icmp(out, p, cap, len);
    case PROTO_GRE:
        if (out->frag == PKT_FRAG_NONE)
            return decode_tunnel_gre(out, p, cap, len);
        return DECODE_OK;
    default:
        return DECODE_OK;
    }
}
