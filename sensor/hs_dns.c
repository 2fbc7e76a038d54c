/*
 * DNS: a bounded reader for one DNS message. It owns nothing and keeps no state: names are
 * decoded into the caller's buffers, compression pointers are followed only backwards and at
 * most HS_DNS_JUMPS_MAX times (a forward or self pointer is refused, so no loop is possible),
 * and every read is checked against the message's length.
 */
#include "sensor/hs_dns.h"

#include <string.h>

#include "common/bytes.h"

#define DNS_HDR_LEN 12

static const char *const status_names[] = {
#define HS_DNS_STATUS_NAME(name, counter) counter,
        HS_DNS_STATUS_LIST(HS_DNS_STATUS_NAME)
#undef HS_DNS_STATUS_NAME
};

const char *hs_dns_status_name(enum hs_dns_status st)
{
    return (unsigned)st < HS_DNS_STATUS_COUNT ? status_names[st] : "unknown";
}

/*
 * Decodes the name at *@pos into @name (dotted; bytes outside printable ASCII and dots inside
 * labels become '?', so the text is safe to log and print), and moves *@pos past the name as
 * it stands in the message (a pointer ends it). @name may be NULL to skip a name.
 */
static enum hs_dns_status read_name(const uint8_t *buf, size_t len, size_t *pos, char *name)
{
    size_t p = *pos;
    size_t out = 0;
    size_t end = 0; /* where the name ends in the message: set at the first pointer */
    int jumps = 0;
    for (;;) {
        if (p >= len)
            return HS_DNS_TRUNCATED;
        uint8_t l = buf[p];
        if ((l & 0xc0) == 0xc0) {
            if (p + 1 >= len)
                return HS_DNS_TRUNCATED;
            size_t target = (size_t)(rd_be16(buf + p) & 0x3fff);
            /* Only backwards (to a name already passed), and a bounded number of times. */
            if (target >= p || ++jumps > HS_DNS_JUMPS_MAX)
                return HS_DNS_BAD_POINTER;
            if (end == 0)
                end = p + 2;
            p = target;
            continue;
        }
        if (l & 0xc0)
            return HS_DNS_BAD_NAME; /* 0x40 and 0x80: extended label types, not in use */
        if (l == 0) {
            p++;
            break;
        }
        if (p + 1 + l > len)
            return HS_DNS_TRUNCATED;
        /* A dot between labels plus the label; 255 octets of name at most (RFC 1035 3.1). */
        if (out + (out ? 1 : 0) + l >= HS_DNS_NAME_MAX)
            return HS_DNS_BAD_NAME;
        if (name != NULL) {
            if (out)
                name[out] = '.';
            out += out ? 1 : 0;
            for (size_t i = 0; i < l; i++) {
                uint8_t c = buf[p + 1 + i];
                name[out + i] = (c > 0x20 && c < 0x7f && c != '.') ? (char)c : '?';
            }
        } else {
            out += (out ? 1 : 0);
        }
        out += l;
        p += 1 + (size_t)l;
    }
    if (name != NULL)
        name[out] = '\0';
    *pos = end ? end : p;
    return HS_DNS_OK;
}

/* One answer record at *@pos: kept when A, AAAA or CNAME of class IN. */
static enum hs_dns_status read_answer(const uint8_t *buf, size_t len, size_t *pos,
                                      struct hs_dns_msg *out)
{
    enum hs_dns_status st = read_name(buf, len, pos, NULL);
    if (st != HS_DNS_OK)
        return st;
    size_t p = *pos;
    if (p + 10 > len)
        return HS_DNS_TRUNCATED;
    uint16_t type = rd_be16(buf + p);
    uint16_t klass = rd_be16(buf + p + 2);
    uint32_t ttl = rd_be32(buf + p + 4);
    uint16_t rdlen = rd_be16(buf + p + 8);
    p += 10;
    if (p + rdlen > len)
        return HS_DNS_TRUNCATED;
    *pos = p + rdlen;
    if (klass != 1 || out->n_answers >= HS_DNS_ANSWERS_MAX)
        return HS_DNS_OK;
    struct hs_dns_answer *a = &out->answers[out->n_answers];
    memset(a, 0, sizeof(*a));
    a->type = type;
    a->ttl = ttl;
    if (type == HS_DNS_A || type == HS_DNS_AAAA) {
        uint8_t want = type == HS_DNS_A ? 4 : 16;
        if (rdlen != want)
            return HS_DNS_BAD_RDATA;
        memcpy(a->addr, buf + p, want);
        a->addr_len = want;
        out->n_answers++;
    } else if (type == HS_DNS_CNAME) {
        size_t q = p;
        st = read_name(buf, p + rdlen, &q, a->cname);
        if (st != HS_DNS_OK)
            return st == HS_DNS_TRUNCATED ? HS_DNS_BAD_RDATA : st;
        out->n_answers++;
    }
    return HS_DNS_OK;
}

enum hs_dns_status hs_dns_parse(const uint8_t *buf, size_t len, struct hs_dns_msg *out)
{
    memset(out, 0, offsetof(struct hs_dns_msg, answers));
    if (len < DNS_HDR_LEN)
        return HS_DNS_TRUNCATED;
    out->id = rd_be16(buf);
    out->response = (buf[2] & 0x80) != 0;
    out->rcode = buf[3] & 0x0f;
    uint16_t qdcount = rd_be16(buf + 4);
    out->answers_total = rd_be16(buf + 6);
    if (qdcount == 0)
        return HS_DNS_NO_QUESTION;
    size_t pos = DNS_HDR_LEN;
    enum hs_dns_status st = read_name(buf, len, &pos, out->qname);
    if (st != HS_DNS_OK)
        return st;
    if (pos + 4 > len)
        return HS_DNS_TRUNCATED;
    out->qtype = rd_be16(buf + pos);
    pos += 4;
    /* Further questions (in practice there are none) are skipped. */
    for (uint16_t i = 1; i < qdcount; i++) {
        if ((st = read_name(buf, len, &pos, NULL)) != HS_DNS_OK)
            return st;
        if (pos + 4 > len)
            return HS_DNS_TRUNCATED;
        pos += 4;
    }
    for (uint16_t i = 0; i < out->answers_total; i++) {
        if ((st = read_answer(buf, len, &pos, out)) != HS_DNS_OK)
            return st;
    }
    return HS_DNS_OK;
}
