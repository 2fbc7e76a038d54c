/*
 * Flow summary: the small, fixed part of a FlowRecord that the window graph and the detectors
 * read (docs/DETECTION.md, "The record summary"). batch_check_wire() fills one per record while
 * it walks a batch, so no record is decoded twice; flow_summary_of_record() fills one from a
 * decoded record (tools, tests: the two must agree).
 *
 * Addresses are kept as 16 bytes: an IPv4 address as IPv4-mapped IPv6 (::ffff:a.b.c.d, RFC 4291
 * 2.5.5.2), so one table serves both families and a v4 host is the same host whichever way it
 * is written. Names are cut to FLOW_SUMMARY_NAME_MAX bytes; a name cut short is marked.
 *
 * Counters the record holds as 64-bit stay 64-bit; TCP flag counts are capped at UINT16_MAX
 * (the detectors only ask "any" and "how many, roughly").
 */
#ifndef UMBRA_AGGREGATOR_FLOW_SUMMARY_H
#define UMBRA_AGGREGATOR_FLOW_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/umbra.pb-c.h"

#define FLOW_SUMMARY_NAME_MAX  64 /* bytes of a server or DNS name kept */
#define FLOW_SUMMARY_DNS_ADDRS 4  /* A/AAAA answers kept per record */
#define FLOW_SUMMARY_HEAD_MAX  15 /* bytes of a model head's name kept */
/* A SPLT packet of 1..this many payload bytes is "small": the size of a keystroke or its echo
 * (the sensor's ssh_keystrokes rule, docs/FEATURES.md). */
#define FLOW_SUMMARY_SMALL 128

enum flow_summary_dir { FS_CLIENT = 0, FS_SERVER = 1 };

struct flow_summary {
    uint64_t flow_id;
    uint64_t first_ts, last_ts;     /* FlowTiming, event ns */
    uint64_t syn_synack_ns;         /* FlowTiming.syn_synack_ns: 0 when no SYN-ACK was seen */
    uint64_t packets[2];            /* DirectionStats.packets, [FS_CLIENT], [FS_SERVER] */
    uint64_t bytes[2];              /* DirectionStats.payload_bytes */
    uint8_t client[16], server[16]; /* IPv4 as ::ffff:a.b.c.d */
    uint16_t client_port, server_port;
    uint16_t syn[2], rst[2]; /* TcpDirection.syn, rst; capped at UINT16_MAX */
    uint8_t ip_proto;
    uint8_t event;      /* Umbra__FlowEvent */
    uint8_t end_reason; /* Umbra__EndReason */
    bool v4;            /* the key's addresses were 4 bytes */
    bool has_tcp, has_ssh, has_scores;
    float pcr; /* FlowRecord.producer_consumer_ratio, -1..1 (0 when absent) */

    /* FlowRecord.server_name: TLS/QUIC SNI, HTTP Host, or the name DNS resolved it from. */
    char server_name[FLOW_SUMMARY_NAME_MAX + 1];
    /* DnsInfo: the query name and the addresses of its first A/AAAA answers. */
    char dns_name[FLOW_SUMMARY_NAME_MAX + 1];
    uint8_t n_dns_addr;
    uint8_t dns_addr[FLOW_SUMMARY_DNS_ADDRS][16];
    bool name_cut; /* server_name or dns_name was longer than FLOW_SUMMARY_NAME_MAX */

    /* SshInfo, after NEWKEYS. */
    uint32_t ssh_keystrokes, ssh_echoes, ssh_keystroke_size;
    uint32_t ssh_encrypted[2];

    /* SPLT: packets listed, and small client packets answered at once by a small server packet
     * (both of 1..FLOW_SUMMARY_SMALL payload bytes; empty packets are passed over). */
    uint16_t splt_n, splt_small_pairs;

    /* Scores: the anomaly score, the highest head's score and name (the first of equals). */
    uint16_t n_heads;
    float anomaly, head_max;
    char head_name[FLOW_SUMMARY_HEAD_MAX + 1];
};

/* flow_summary_cap16() - a TCP flag count as the summary keeps it (UINT16_MAX and above: the
 * cap). */
static inline uint16_t flow_summary_cap16(uint64_t x)
{
    return x > UINT16_MAX ? UINT16_MAX : (uint16_t)x;
}

/* flow_summary_addr() - @len (4 or 16) bytes at @a as the 16 bytes of a summary address. */
void flow_summary_addr(uint8_t out[16], const uint8_t *a, size_t len);

/* flow_summary_addr_str() - the address as text ("10.0.0.1", "2001:db8::1") into @buf. */
const char *flow_summary_addr_str(const uint8_t a[16], char *buf, size_t cap);

/* flow_summary_is_v4() - whether @a is an IPv4-mapped address. */
bool flow_summary_is_v4(const uint8_t a[16]);

/* flow_summary_copy_name() - a name of @len bytes into @dst (FLOW_SUMMARY_NAME_MAX + 1 bytes),
 * cut to fit, lower-cased (DNS names compare without case); true when it was cut. */
bool flow_summary_copy_name(char *dst, const char *src, size_t len);

/*
 * flow_summary_splt_add() - fold the SPLT packet @i (payload @len bytes, @from_server) into the
 * small-pair count; @state is the caller's, 0 before the first packet.
 */
void flow_summary_splt_add(struct flow_summary *s, uint32_t *state, uint32_t len, bool from_server);

/* flow_summary_head() - fold one model head's @score and @name into the highest. */
void flow_summary_head(struct flow_summary *s, float score, const char *name, size_t name_len);

/*
 * flow_summary_of_record() - the summary of a decoded record, by the rules above. Returns false
 * (and leaves @s zeroed) for a record without a key or timing, which batch_check() refuses.
 */
bool flow_summary_of_record(const Umbra__FlowRecord *r, struct flow_summary *s);

#endif
