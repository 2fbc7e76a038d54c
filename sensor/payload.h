/*
 * Payload features: everything the sensor learns from payload bytes, per flow, in one pass:
 * the byte distribution of a prefix of each direction (entropy, mean, standard deviation) and
 * the clear-text handshakes (DNS, HTTP/1, TLS, SSH, QUIC) read by the hs_* parsers. Definitions
 * are in docs/FEATURES.md.
 *
 * Memory has two parts. Every flow slot has a small fixed record (struct payload_flow). Working
 * memory that only some flows need, and only for a while, is lent from fixed pools: a byte
 * histogram while a direction's prefix fills, a stream buffer while a handshake arrives over
 * TCP, and a metadata record for a flow that has a handshake to report. A pool that runs dry
 * refuses with a counted reason (the flow then lacks that feature) and never grows.
 *
 * Runs in the flow table's packet hook after the flow pipe, so it sees the bounded payload copy
 * the pipe keeps (sensor/flow_pipe). No allocation on the packet path.
 */
#ifndef UMBRA_SENSOR_PAYLOAD_H
#define UMBRA_SENSOR_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sensor/flow.h"
#include "sensor/hs_dns.h"
#include "sensor/hs_quic.h"
#include "sensor/hs_ssh.h"
#include "sensor/hs_tls.h"

struct log;
struct pkt;
struct payload;

#define PAYLOAD_PREFIX_MAX 65535 /* bytes of a direction's byte-distribution prefix */
#define PAYLOAD_STREAM_CAP 8192  /* bytes of a direction's TCP stream kept for its handshake */

struct payload_config {
    uint32_t max_flows;      /* slots, as the flow table's */
    uint32_t prefix;         /* byte-distribution prefix per direction, bytes; 0 = off */
    uint32_t hist_buffers;   /* 512-byte histograms lent at once */
    uint32_t raw_buffers;    /* 64-byte buffers for a direction's first bytes, lent at once */
    bool handshakes;         /* read clear-text handshakes */
    uint32_t stream_buffers; /* handshake stream buffers lent at once */
    uint32_t meta_records;   /* flows with handshake metadata at once */
    uint32_t dns_names;      /* address -> name map entries; 0 = no map */
    uint64_t seed;           /* hash seed of the name map */
};

/* What a flow's clear-text handshake turned out to be. */
enum payload_kind {
    PAYLOAD_UNKNOWN = 0, /* no payload yet */
    PAYLOAD_NONE,        /* nothing the sensor reads */
    PAYLOAD_DNS,
    PAYLOAD_HTTP,
    PAYLOAD_SSH,
    PAYLOAD_TLS,
    PAYLOAD_QUIC,
    PAYLOAD_KINDS
};

#define PAYLOAD_DNS_ANSWERS 4
#define PAYLOAD_DNS_CNAMES  256 /* bytes the CNAME targets of one response share */

struct payload_dns_answer {
    uint16_t type;
    uint8_t addr_len; /* 4, 16, or 0 for CNAME */
    uint32_t ttl;
    uint8_t addr[16];
    uint16_t cname; /* CNAME: offset of its target in payload_dns.cnames */
};

/* The flow's first query and the response to it. */
struct payload_dns {
    bool have_query;
    bool have_response;
    uint16_t id;
    uint16_t qtype;
    uint8_t rcode;
    uint8_t n_answers;      /* kept below */
    uint16_t answers_total; /* answer records in the response */
    uint16_t cnames_used;   /* bytes of cnames[] taken */
    char qname[HS_DNS_NAME_MAX];
    struct payload_dns_answer answers[PAYLOAD_DNS_ANSWERS];
    /* The CNAME targets, each ending in a NUL, in answer order: one name can be as long as
     * DNS allows, and a response whose targets add up to more has the last ones cut to fit.
     * Most answers are addresses, so one shared area keeps the record small. */
    char cnames[PAYLOAD_DNS_CNAMES];
};

/* payload_dns_cname() - answer @i's CNAME target ("" for an address). */
static inline const char *payload_dns_cname(const struct payload_dns *d, uint8_t i)
{
    return d->answers[i].addr_len == 0 ? d->cnames + d->answers[i].cname : "";
}

struct payload_http {
    char method[16];
    char host[256];
    char user_agent[256];
};

/* SSH segments of at most this many payload bytes after NEWKEYS are keystroke-sized. */
#define PAYLOAD_SSH_SMALL 128
#define PAYLOAD_SSH_SIZES 4 /* distinct keystroke sizes tracked for the most common one */

struct payload_ssh {
    char banner[2][HS_SSH_BANNER_MAX + 1]; /* [enum flow_dir_index], without CR LF */
    uint8_t hassh[2][16];                  /* MD5 of HASSH (client) and HASSH-server */
    bool have_hassh[2];
    bool have_algs;
    struct hs_ssh_algs algs;   /* negotiated (RFC 4253 7.1) */
    bool encrypted[2];         /* NEWKEYS seen: clear_end_seq is set */
    uint32_t clear_end_seq[2]; /* sequence number of the first encrypted byte */
    uint32_t enc_packets[2];   /* segments with payload that start at or after it */
    uint32_t client_small;     /* client encrypted segments of 1..PAYLOAD_SSH_SMALL bytes */
    uint32_t echoes;           /* small server segments right after a small client segment */
    uint16_t sizes[PAYLOAD_SSH_SIZES];
    uint32_t size_count[PAYLOAD_SSH_SIZES];
    bool after_small_client; /* the flow's previous payload segment was a small client one */
};

/* payload_ssh_keystroke_size() - the most common small client segment size (0: none). */
uint16_t payload_ssh_keystroke_size(const struct payload_ssh *s);

struct payload_tls {
    bool have_client; /* the ClientHello was read */
    bool have_server; /* the ServerHello was read (and, TLS <= 1.2, maybe the certificate) */
    struct hs_tls_client client;
    struct hs_tls_server server;
};

/* payload_tls_version() - the version the connection uses: the server's choice when its hello
 * was seen, else the highest the client offered; 0 if neither. */
uint16_t payload_tls_version(const struct payload_tls *t);

#define PAYLOAD_QUIC_INITIALS 8 /* client Initials read at most for one ClientHello */

struct payload_quic {
    uint32_t version;        /* of the first client Initial */
    struct hs_quic_cid dcid; /* its destination connection id: the Initial keys' secret */
    uint8_t initials;        /* client Initials read */
    bool have_hello;         /* the ClientHello was reassembled and read */
    struct hs_tls_client client;
};

struct payload_meta {
    enum payload_kind kind;
    union {
        struct payload_dns dns;
        struct payload_http http;
        struct payload_ssh ssh;
        struct payload_tls tls;
        struct payload_quic quic;
    } u;
};

/* One direction's byte distribution. */
struct payload_bytedist {
    uint32_t bytes;  /* payload bytes counted (0: none, or no histogram could be had) */
    double entropy;  /* bits per byte, 0..8 */
    double mean;     /* mean byte value */
    double stddev;   /* population standard deviation of the byte values */
    bool complete;   /* the prefix is full */
    bool unmeasured; /* payload was seen but no histogram was free */
};

/* payload_create() - the per-slot array and the pools. NULL after logging why. */
struct payload *payload_create(const struct payload_config *cfg, struct log *log);
void payload_destroy(struct payload **pp);

/* payload_packet() - a flow_packet_fn; @ctx is the struct payload. No allocation. */
void payload_packet(void *ctx, uint32_t slot, int dir, const struct flow *f, const struct pkt *pkt,
                    bool first);

/* payload_prefetch() - start fetching @slot's record (a flow_table_config.prefetch_slot). */
void payload_prefetch(void *ctx, uint32_t slot);

/* payload_prefetch_late() - start fetching the lent buffer the packet's bytes will be counted
 * into (a flow_table_config.prefetch_late, with @ctx the payload). */
void payload_prefetch_late(const struct payload *p, uint32_t slot, int dir, const struct pkt *pkt);

/* payload_flow_end() - the flow in @slot has ended and been reported: return what it holds. */
void payload_flow_end(struct payload *p, uint32_t slot);

/* payload_bytedist() - direction @dir's byte distribution so far (final once complete). */
void payload_bytedist(const struct payload *p, uint32_t slot, int dir,
                      struct payload_bytedist *out);

/* payload_meta() - the flow's handshake metadata, or NULL (valid until its next packet). */
const struct payload_meta *payload_meta(const struct payload *p, uint32_t slot);

/* payload_server_name() - the name of the flow's server: the TLS/QUIC SNI or HTTP Host it
 * sent, else the name the server's address was last resolved from by DNS; NULL if none. */
const char *payload_server_name(struct payload *p, uint32_t slot, const struct flow *f);

/* payload_counters() - every counter, by name, to @fn. */
void payload_counters(const struct payload *p, void (*fn)(void *ctx, const char *name, uint64_t v),
                      void *ctx);

/* payload_memory() - bytes reserved: the slot array, the pools and the name map. */
size_t payload_memory(const struct payload *p);

#endif
