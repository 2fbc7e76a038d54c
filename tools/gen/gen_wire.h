/*
 * Generator wire format: Ethernet II + IPv4 + TCP/UDP headers and their checksums, written in
 * front of a payload the caller has already placed. Written from RFC 791, 793, 768 and 1071,
 * sharing nothing with the sensor's decoders (issue 5: the generator is an independent source
 * of truth for them).
 */
#ifndef UMBRA_TOOLS_GEN_WIRE_H
#define UMBRA_TOOLS_GEN_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define GEN_WIRE_ETH_LEN     14
#define GEN_WIRE_IP4_LEN     20
#define GEN_WIRE_UDP_LEN     8
#define GEN_WIRE_TCP_LEN     20 /* without options */
#define GEN_WIRE_TCP_OPT_MAX 40

/* TCP flags (RFC 793, 3168). */
enum {
    GEN_TCP_FIN = 0x01,
    GEN_TCP_SYN = 0x02,
    GEN_TCP_RST = 0x04,
    GEN_TCP_PSH = 0x08,
    GEN_TCP_ACK = 0x10,
    GEN_TCP_URG = 0x20,
    GEN_TCP_ECE = 0x40,
    GEN_TCP_CWR = 0x80,
};

/* One packet's headers. Addresses and ports in host byte order. */
struct gen_wire_hdr {
    uint8_t src_mac[6];
    uint8_t dst_mac[6];
    uint32_t src_ip;
    uint32_t dst_ip;
    uint16_t ip_id;
    uint8_t ttl;
    uint8_t proto; /* 6 or 17 */
    uint8_t dont_fragment;
    uint16_t sport;
    uint16_t dport;
    /* TCP only */
    uint32_t seq;
    uint32_t ack;
    uint8_t flags;
    uint16_t win;
    uint8_t opt_len; /* a multiple of 4, at most GEN_WIRE_TCP_OPT_MAX */
    uint8_t opt[GEN_WIRE_TCP_OPT_MAX];
};

/* gen_wire_hdr_len() - bytes of headers in front of the payload. */
size_t gen_wire_hdr_len(const struct gen_wire_hdr *h);

/*
 * gen_wire_finish() - write @h's headers at @frame and fill in the lengths and checksums for
 * the @payload_len bytes already at @frame + gen_wire_hdr_len(@h). Returns the frame length.
 */
size_t gen_wire_finish(const struct gen_wire_hdr *h, uint8_t *frame, size_t payload_len);

/* gen_wire_csum() - the RFC 1071 ones'-complement sum of @len bytes, folded, added to @sum. */
uint32_t gen_wire_csum(uint32_t sum, const uint8_t *p, size_t len);

#endif
