/*
 * Decode: one captured frame into a struct pkt (link layer to transport layer), or the reason it
 * cannot be decoded. Stateless and allocation-free: the caller owns the struct pkt and counts the
 * results. The struct pkt points into the frame's bytes, so it is valid only as long as they are
 * (the capture callback).
 *
 * Link types: Ethernet (802.1Q/802.1ad tags up to DECODE_MAX_VLAN_TAGS deep, the outer
 * PKT_MAX_VLANS kept; LLC/SNAP; PPPoE sessions), Linux cooked (SLL, SLL2), raw IPv4/IPv6, BSD
 * null/loopback. Network: IPv4 (options, fragments), IPv6 (extension headers, fragments).
 * Transport: TCP, UDP, ICMP, ICMPv6; other IP protocols decode with ports 0. Tunnels: GRE (IPv4,
 * IPv6, transparent Ethernet) and VXLAN (UDP port 4789) are decapsulated, up to
 * DECODE_MAX_TUNNELS deep: the inner packet is the packet, the outermost tunnel is kept in
 * pkt.tunnel. docs/DECODE.md gives every rule and status.
 */
#ifndef UMBRA_SENSOR_DECODE_H
#define UMBRA_SENSOR_DECODE_H

#include <stdbool.h>
#include <stdint.h>

struct capture_frame;

#define PKT_MAX_VLANS 3 /* tags kept (outermost first); deeper ones are followed, not kept */
#define VXLAN_PORT    4789

/* Decoder limits: past them a frame is refused with the status named. */
#define DECODE_MAX_VLAN_TAGS 8 /* tags followed in one Ethernet header; more: VLAN_TOO_DEEP */
#define DECODE_MAX_IPV6_EXT  8 /* IPv6 extension headers followed; more: IPV6_BAD_EXT */
#define DECODE_MAX_TUNNELS   2 /* tunnels decapsulated; a third: TUNNEL_TOO_DEEP */

/* TCP flag bits as in the header's flags byte. */
enum {
    TCP_FIN = 0x01,
    TCP_SYN = 0x02,
    TCP_RST = 0x04,
    TCP_PSH = 0x08,
    TCP_ACK = 0x10,
    TCP_URG = 0x20,
    TCP_ECE = 0x40,
    TCP_CWR = 0x80,
};

enum pkt_tcpopt {
    PKT_TCPOPT_MSS = 0x1,     /* kind 2 */
    PKT_TCPOPT_WSCALE = 0x2,  /* kind 3 */
    PKT_TCPOPT_SACK_OK = 0x4, /* kind 4 */
    PKT_TCPOPT_TS = 0x8,      /* kind 8 */
};

enum pkt_frag {
    PKT_FRAG_NONE = 0,  /* a whole datagram */
    PKT_FRAG_FIRST = 1, /* offset 0, more fragments follow: ports are present */
    PKT_FRAG_LATER = 2, /* offset > 0: no transport header; ports are 0 */
};

enum pkt_tunnel {
    PKT_TUNNEL_NONE = 0,
    PKT_TUNNEL_GRE = 1,
    PKT_TUNNEL_VXLAN = 2,
};

/* The outer header of a decapsulated packet (only the outermost tunnel is kept). */
struct pkt_tunnel_info {
    uint8_t type;       /* enum pkt_tunnel */
    uint8_t ip_version; /* of the outer header: 4 or 6 */
    uint8_t src[16];    /* outer source; IPv4 in the first 4 bytes, the rest zero */
    uint8_t dst[16];
    uint32_t id; /* VXLAN VNI (24 bits) or GRE key (0 when absent) */
};

/*
 * After DECODE_OK every field and every byte of the arrays is defined. Fields of a layer the
 * packet does not have are 0 or NULL: vlan[i] for i >= n_vlans, tunnel.* when tunnel.type is
 * PKT_TUNNEL_NONE, tcp_* unless a TCP header was decoded, icmp_* unless ICMP or ICMPv6, frag_id
 * unless a fragment, payload when no payload byte was captured. After any other status the
 * struct is partly filled and must not be read.
 */

struct pkt {
    uint64_t ts_ns;
    uint32_t caplen;  /* bytes captured of the frame */
    uint32_t wirelen; /* bytes of the frame on the wire */

    /* 802.1Q/802.1ad VLAN ids (12 bits) of the capture's own link layer, outermost first; tags
     * of an Ethernet frame inside a tunnel are followed but not kept. */
    uint16_t vlan[PKT_MAX_VLANS];
    uint8_t n_vlans; /* tags kept: min(tags seen, PKT_MAX_VLANS) */

    uint8_t ip_version; /* 4 or 6 */
    uint8_t proto;      /* transport protocol: after IPv6 extension headers */
    uint8_t ttl;        /* IPv4 TTL or IPv6 hop limit */
    uint8_t src[16];    /* IPv4 in the first 4 bytes, the rest zero */
    uint8_t dst[16];
    uint16_t sport; /* TCP/UDP ports; ICMP echo: both the identifier, other ICMP: sport = type,
                       dport = code; 0 for later fragments and other protocols */
    uint16_t dport;

    /* Lengths from the headers (what was on the wire), not from what was captured. */
    uint32_t ip_len;      /* IPv4 total length; IPv6 40 + payload length (incl. ext headers) */
    uint32_t l4_len;      /* ip_len minus the IP header and IPv6 extension headers */
    uint32_t payload_len; /* TCP: l4_len - TCP header; UDP: UDP length - 8; ICMP: l4_len - 8;
                             later fragments and other protocols: l4_len (docs/DECODE.md) */

    const uint8_t *payload;  /* first captured payload byte (NULL when none was captured) */
    uint32_t payload_caplen; /* payload bytes captured: <= payload_len */

    uint8_t frag;     /* enum pkt_frag */
    uint32_t frag_id; /* IPv4 identification or IPv6 fragment id, when frag != NONE */

    /* TCP */
    uint8_t tcp_flags;
    uint32_t tcp_seq;
    uint32_t tcp_ack;
    uint16_t tcp_window;     /* unscaled */
    const uint8_t *tcp_opts; /* options bytes (captured), or NULL */
    uint8_t tcp_opts_len;    /* captured option bytes */
    /* Options of a SYN or SYN-ACK (RFC 9293, 7323, 2018), read at decode time because the
     * option bytes are not kept past the capture callback; 0 on other segments. */
    uint8_t tcp_optmask; /* PKT_TCPOPT_* present */
    uint8_t tcp_wscale;  /* window-scale shift, when PKT_TCPOPT_WSCALE */
    uint16_t tcp_mss;    /* maximum segment size, when PKT_TCPOPT_MSS */

    /* ICMP / ICMPv6 */
    uint8_t icmp_type;
    uint8_t icmp_code;

    bool snap_cut;        /* the frame was cut by the snap length (caplen < wirelen) */
    uint8_t tunnel_depth; /* tunnels decapsulated to reach this packet: 0..DECODE_MAX_TUNNELS */
    struct pkt_tunnel_info tunnel;
};

/*
 * Why a frame was not decoded. X(name, counter-name, meaning): the counter names are what the
 * sensor prints and exports.
 */
#define DECODE_STATUS_LIST(X)                                                                      \
    X(DECODE_OK, "decoded", "decoded to the transport layer (or IP for other protocols)")          \
    X(DECODE_LINK_UNSUPPORTED, "link_unsupported", "link type the sensor does not decode")         \
    X(DECODE_LINK_TRUNCATED, "link_truncated", "frame shorter than its link-layer headers")        \
    X(DECODE_NOT_IP, "not_ip", "not IPv4 or IPv6 (ARP, LLDP, STP, PPPoE discovery...)")            \
    X(DECODE_VLAN_TOO_DEEP, "vlan_too_deep", "more VLAN tags than the decoder follows")            \
    X(DECODE_IP_TRUNCATED, "ip_truncated", "fewer captured bytes than the IP header")              \
    X(DECODE_IP_BAD_VERSION, "ip_bad_version", "IP version field disagrees with the link layer")   \
    X(DECODE_IPV4_BAD_IHL, "ipv4_bad_ihl", "IPv4 header length under 20 bytes")                    \
    X(DECODE_IP_BAD_LENGTH, "ip_bad_length", "IP length below its header or beyond the frame")     \
    X(DECODE_IPV6_BAD_EXT, "ipv6_bad_ext", "IPv6 extension headers truncated or too many")         \
    X(DECODE_TCP_TRUNCATED, "tcp_truncated", "TCP header not in the packet")                       \
    X(DECODE_TCP_BAD_OFFSET, "tcp_bad_offset", "TCP data offset under 20 or past the IP payload")  \
    X(DECODE_UDP_TRUNCATED, "udp_truncated", "UDP header not in the packet")                       \
    X(DECODE_UDP_BAD_LENGTH, "udp_bad_length", "UDP length under 8 or past the IP payload")        \
    X(DECODE_ICMP_TRUNCATED, "icmp_truncated", "ICMP header not in the packet")                    \
    X(DECODE_TUNNEL_BAD, "tunnel_bad", "GRE or VXLAN header truncated or malformed")               \
    X(DECODE_TUNNEL_TOO_DEEP, "tunnel_too_deep", "tunnel inside a tunnel inside a tunnel")

enum decode_status {
#define DECODE_STATUS_ENUM(name, counter, meaning) name,
    DECODE_STATUS_LIST(DECODE_STATUS_ENUM)
#undef DECODE_STATUS_ENUM
            DECODE_STATUS_COUNT
};

/*
 * decode_frame() - decode @frame into @out.
 * Returns DECODE_OK, or the reason it was not decoded (then @out is partly filled and must not
 * be used). Never reads outside frame->data[0 .. caplen). A wirelen below caplen is taken as
 * caplen. Thread-safe (no state); allocates nothing.
 */
enum decode_status decode_frame(const struct capture_frame *frame, struct pkt *out);

/* decode_status_name() - the counter name ("tcp_bad_offset"); "unknown" if out of range. */
const char *decode_status_name(enum decode_status status);

/* decode_status_meaning() - one line for logs and docs. */
const char *decode_status_meaning(enum decode_status status);

#endif
