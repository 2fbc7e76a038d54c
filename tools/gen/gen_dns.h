/*
 * Generator DNS messages (RFC 1035, 3596, 6891, 2308): a stub resolver's query and a recursive
 * server's answer to it, as UDP payloads. Names are given as dotted text; the writer applies
 * RFC 1035 4.1.4 compression the way real servers do, so a CNAME target or an owner name that
 * repeats part of an earlier name costs a two-byte pointer.
 *
 * Independent of the sensor on purpose (issue 5): written from the RFCs, sharing nothing with
 * the decoders it tests.
 */
#ifndef UMBRA_TOOLS_GEN_DNS_H
#define UMBRA_TOOLS_GEN_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gen_rng;

#define GEN_DNS_NAME_MAX      253  /* dotted text without the trailing dot: 255 on the wire */
#define GEN_DNS_LABEL_MAX     63   /* RFC 1035 2.3.4 */
#define GEN_DNS_CNAME_MAX     3    /* longest CNAME chain a response may carry */
#define GEN_DNS_EDNS_UDP_SIZE 1232 /* DNS Flag Day 2020: fits an IPv6 minimum MTU unfragmented */

/* Resource record types (IANA "DNS Parameters"; RFC 1035 3.2.2, 3596, 2782, 6891, 9460). */
enum gen_dns_type {
    GEN_DNS_A = 1,
    GEN_DNS_CNAME = 5,
    GEN_DNS_SOA = 6,
    GEN_DNS_PTR = 12,
    GEN_DNS_AAAA = 28,
    GEN_DNS_SRV = 33,
    GEN_DNS_OPT = 41,
    GEN_DNS_HTTPS = 65,
};

/* Response codes (RFC 1035 4.1.1). */
enum gen_dns_rcode {
    GEN_DNS_NOERROR = 0,
    GEN_DNS_SERVFAIL = 2,
    GEN_DNS_NXDOMAIN = 3,
};

/* A query: one question, class IN. The response repeats it. */
struct gen_dns_query {
    uint16_t id;
    const char *name; /* dotted, e.g. "www.example.com"; one trailing dot is accepted */
    uint16_t qtype;   /* GEN_DNS_A, _AAAA, _HTTPS, _PTR or _SRV */
    bool edns;        /* an OPT record advertising GEN_DNS_EDNS_UDP_SIZE (RFC 6891) */
};

/* One address record of an answer. */
struct gen_dns_addr {
    uint8_t addr[16]; /* network order; an A record uses the first 4 bytes */
    uint32_t ttl;     /* seconds */
};

/* The start of authority put in a negative answer's authority section (RFC 2308 2.1, 2.2). */
struct gen_dns_soa {
    const char *zone;  /* owner: the zone's apex, e.g. "example.com" */
    const char *mname; /* primary server, e.g. "ns1.example.com" */
    const char *rname; /* mailbox as a name, e.g. "hostmaster.example.com" */
    uint32_t serial;
    uint32_t refresh; /* seconds, as are the next three */
    uint32_t retry;
    uint32_t expire;
    uint32_t minimum; /* the negative-caching TTL (RFC 2308 4) */
    uint32_t ttl;     /* of the SOA record itself */
};

/* What the server answers. A zeroed struct is NOERROR with no records (NODATA). */
struct gen_dns_answer {
    uint8_t rcode;                        /* enum gen_dns_rcode */
    const char *cname[GEN_DNS_CNAME_MAX]; /* qname -> cname[0] -> cname[1] -> ... */
    size_t n_cname;                       /* at most GEN_DNS_CNAME_MAX */
    uint32_t cname_ttl;                   /* seconds, for every CNAME record */
    const struct gen_dns_addr *addrs;     /* owned by the last name of the chain */
    size_t n_addrs;                       /* needs qtype A or AAAA and rcode NOERROR */
    const struct gen_dns_soa *soa;        /* NULL, or one SOA record in authority */
};

/*
 * gen_dns_addr_v4() - fill @a with the IPv4 address @ip (host byte order, as struct
 * gen_wire_hdr holds addresses) and @ttl seconds.
 */
void gen_dns_addr_v4(struct gen_dns_addr *a, uint32_t ip, uint32_t ttl);

/*
 * gen_dns_query() - a stub resolver's query for @q into @out: header with @q->id and RD set
 * (RFC 1035 4.1.1), one question of class IN, and with @q->edns an OPT pseudo-record in the
 * additional section (UDP size 1232, version 0, no flags, no options).
 *
 * @rng is not used (a query holds no random bytes besides the id, which the caller chooses);
 * it may be NULL. Writes nothing outside @out[0..@cap).
 *
 * Return: the message length, or 0 if @q or its name is invalid (a label longer than 63, an
 * empty label, a name longer than 253), @q->qtype is not one of the five listed, or the message
 * does not fit in @cap.
 */
size_t gen_dns_query(uint8_t *out, size_t cap, const struct gen_dns_query *q, struct gen_rng *rng);

/*
 * gen_dns_response() - a recursive server's answer to @q: the same id and question, flags QR,
 * RD and RA with @a->rcode; the CNAME chain, then @a->n_addrs records of the question's type
 * (A or AAAA) owned by the chain's last name; @a->soa in the authority section; and an OPT
 * record (UDP size 1232) when the query carried one. Every name is compressed against the
 * names written before it (RFC 1035 4.1.4).
 *
 * @rng is not used and may be NULL.
 *
 * Return: the message length, or 0 if @q or @a is invalid (see gen_dns_query(); also more than
 * GEN_DNS_CNAME_MAX names in the chain, addresses with an rcode other than NOERROR or for a
 * qtype other than A and AAAA, an rcode above 15) or the message does not fit in @cap.
 */
size_t gen_dns_response(uint8_t *out, size_t cap, const struct gen_dns_query *q,
                        const struct gen_dns_answer *a, struct gen_rng *rng);

#endif
