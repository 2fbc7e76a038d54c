/*
 * DNS: the clear-text fields of one DNS message (RFC 1035): the question's name and type, the
 * response code, and the A, AAAA and CNAME answers with their TTLs. Used to name the hosts
 * behind addresses. Bounded and length-checked: a malformed message is refused with a reason,
 * never read past its end. Allocation-free and stateless.
 */
#ifndef UMBRA_SENSOR_HS_DNS_H
#define UMBRA_SENSOR_HS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HS_DNS_NAME_MAX    256 /* 255 octets of name in text form, and a NUL (RFC 1035 3.1) */
#define HS_DNS_ANSWERS_MAX 8   /* answers kept; the rest are counted in answers_total */
#define HS_DNS_JUMPS_MAX   16  /* compression pointers followed in one name */

enum hs_dns_type {
    HS_DNS_A = 1,
    HS_DNS_CNAME = 5,
    HS_DNS_AAAA = 28,
};

struct hs_dns_answer {
    uint16_t type;               /* HS_DNS_A, HS_DNS_AAAA or HS_DNS_CNAME */
    uint32_t ttl;                /* seconds */
    uint8_t addr[16];            /* A: 4 bytes, AAAA: 16 */
    uint8_t addr_len;            /* 4, 16, or 0 for CNAME */
    char cname[HS_DNS_NAME_MAX]; /* CNAME: the canonical name; "" otherwise */
};

struct hs_dns_msg {
    uint16_t id;
    bool response;               /* QR bit */
    uint8_t rcode;               /* response code (0 NOERROR, 3 NXDOMAIN, ...) */
    uint16_t qtype;              /* the first question's type */
    char qname[HS_DNS_NAME_MAX]; /* the first question's name, dotted, no final dot; "" = root */
    uint16_t answers_total;      /* answer records in the message */
    uint16_t n_answers;          /* A/AAAA/CNAME answers kept below */
    struct hs_dns_answer answers[HS_DNS_ANSWERS_MAX];
};

/* X(name, counter name): why a message was refused. */
#define HS_DNS_STATUS_LIST(X)                                                                      \
    X(HS_DNS_OK, "ok")                                                                             \
    X(HS_DNS_TRUNCATED, "dns_truncated")                                                           \
    X(HS_DNS_NO_QUESTION, "dns_no_question")                                                       \
    X(HS_DNS_BAD_NAME, "dns_bad_name")                                                             \
    X(HS_DNS_BAD_POINTER, "dns_bad_pointer")                                                       \
    X(HS_DNS_BAD_RDATA, "dns_bad_rdata")

enum hs_dns_status {
#define HS_DNS_STATUS_ENUM(name, counter) name,
    HS_DNS_STATUS_LIST(HS_DNS_STATUS_ENUM)
#undef HS_DNS_STATUS_ENUM
            HS_DNS_STATUS_COUNT
};

/*
 * hs_dns_parse() - parse the DNS message in @buf (@len bytes: a UDP payload, or a TCP payload
 * after its 2-byte length). Fills @out and returns HS_DNS_OK, or the reason it gave up (then
 * @out holds what was read before). Answers of other types are skipped, not refused.
 */
enum hs_dns_status hs_dns_parse(const uint8_t *buf, size_t len, struct hs_dns_msg *out);

/* hs_dns_status_name() - the counter name; "unknown" out of range. */
const char *hs_dns_status_name(enum hs_dns_status st);

#endif
