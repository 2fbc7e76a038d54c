/*
 * Generator DNS messages. This module owns the DNS wire format the generator emits: headers,
 * questions, CNAME/A/AAAA/SOA/OPT records and name compression. It does not own transport (the
 * caller puts the message in a UDP datagram) nor any notion of zones or caches: the caller says
 * what the answer holds.
 *
 * Written from RFC 1035 (4.1 message format, 4.1.4 compression, 3.3 RR data), RFC 3596 (AAAA),
 * RFC 6891 (OPT) and RFC 2308 (negative answers).
 */
#include "tools/gen/gen_dns.h"

#include "tools/gen/gen_buf.h"

#include <string.h>

#define HDR_LEN    12
#define CLASS_IN   1
#define FLAG_QR    0x8000
#define FLAG_RD    0x0100
#define FLAG_RA    0x0080
#define PTR_MARK   0xc0   /* RFC 1035 4.1.4: the top two bits of a length byte mark a pointer */
#define PTR_MAX    0x3fff /* a pointer holds a 14-bit offset */
#define LABELS_MAX 127    /* a 253-character name has at most 127 one-character labels */
#define SEEN_MAX   128    /* label offsets remembered for compression */

/* A message being written, and the labels in it that later names may point at. */
struct msg {
    struct gen_buf b;
    uint16_t seen[SEEN_MAX]; /* offsets of labels already in the message */
    size_t nseen;
};

/* A dotted name split into labels: label i is text[off[i]..off[i]+len[i]). */
struct name {
    const char *text;
    uint8_t off[LABELS_MAX + 1];
    uint8_t len[LABELS_MAX + 1];
    size_t n;
};

/*
 * Split @text into labels. RFC 1035 2.3.4: labels of 1..63 octets, 255 octets on the wire,
 * which is 253 characters of dotted text once the length bytes and the root are counted. "" and
 * "." are the root. Returns 0, or -1 for an invalid name.
 */
static int name_split(struct name *nm, const char *text)
{
    if (text == NULL)
        return -1;
    size_t total = strlen(text);
    if (total > 0 && text[total - 1] == '.')
        total--; /* a fully qualified name's trailing dot is the root, not an empty label */
    if (total > GEN_DNS_NAME_MAX)
        return -1;
    nm->text = text;
    nm->n = 0;
    size_t start = 0;
    while (start < total) {
        const char *dot = memchr(text + start, '.', total - start);
        size_t end = dot ? (size_t)(dot - text) : total;
        size_t len = end - start;
        if (len == 0 || len > GEN_DNS_LABEL_MAX || nm->n == LABELS_MAX)
            return -1;
        nm->off[nm->n] = (uint8_t)start;
        nm->len[nm->n] = (uint8_t)len;
        nm->n++;
        start = end + 1;
    }
    /* "a." was trimmed above; "a.." leaves a trailing empty label, which is invalid */
    if (total > 0 && text[total - 1] == '.')
        return -1;
    return 0;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/*
 * Whether the name in the message at @off equals labels @from.. of @nm, compared without
 * regard to ASCII case (RFC 1035 2.3.3). Pointers in the message only ever point backwards
 * (this writer makes them), but the walk is bounded anyway.
 */
static int name_at_equals(const struct msg *m, size_t off, const struct name *nm, size_t from)
{
    size_t i = from;
    for (int hops = 0; hops < 255 && off < m->b.len; hops++) {
        uint8_t b = m->b.p[off];
        if ((b & PTR_MARK) == PTR_MARK) {
            if (off + 1 >= m->b.len)
                return 0;
            off = (size_t)(b & 0x3f) << 8 | m->b.p[off + 1];
            continue;
        }
        if (b == 0)
            return i == nm->n;
        if (i == nm->n || b != nm->len[i] || off + 1 + b > m->b.len)
            return 0;
        const char *t = nm->text + nm->off[i];
        for (size_t k = 0; k < b; k++) {
            if (lower((unsigned char)t[k]) != lower(m->b.p[off + 1 + k]))
                return 0;
        }
        off += 1 + (size_t)b;
        i++;
    }
    return 0;
}

static void remember(struct msg *m, size_t off)
{
    if (m->nseen < SEEN_MAX && off <= PTR_MAX)
        m->seen[m->nseen++] = (uint16_t)off;
}

/*
 * Write @nm: the labels up to the longest suffix already in the message, then a pointer to that
 * suffix (RFC 1035 4.1.4), or every label and the root when no suffix repeats.
 */
static void put_name(struct msg *m, const struct name *nm)
{
    size_t suffix = nm->n;
    size_t target = 0;
    for (size_t i = 0; i < nm->n && suffix == nm->n; i++) {
        for (size_t s = 0; s < m->nseen; s++) {
            if (name_at_equals(m, m->seen[s], nm, i)) {
                suffix = i;
                target = m->seen[s];
                break;
            }
        }
    }
    for (size_t i = 0; i < suffix; i++) {
        remember(m, m->b.len);
        gen_buf_be(&m->b, nm->len[i], 1);
        gen_buf_bytes(&m->b, nm->text + nm->off[i], nm->len[i]);
    }
    if (suffix < nm->n)
        gen_buf_be(&m->b, (uint16_t)(PTR_MARK << 8 | target), 2);
    else
        gen_buf_be(&m->b, 0, 1);
}

static int put_name_text(struct msg *m, const char *text)
{
    struct name nm;
    if (name_split(&nm, text) != 0)
        return -1;
    put_name(m, &nm);
    return 0;
}

static int qtype_ok(uint16_t t)
{
    return t == GEN_DNS_A || t == GEN_DNS_AAAA || t == GEN_DNS_HTTPS || t == GEN_DNS_PTR ||
           t == GEN_DNS_SRV;
}

static void put_header(struct msg *m, uint16_t id, uint16_t flags, uint16_t an, uint16_t ns,
                       uint16_t ar)
{
    gen_buf_be(&m->b, id, 2);
    gen_buf_be(&m->b, flags, 2);
    gen_buf_be(&m->b, 1, 2); /* QDCOUNT: one question, as every resolver sends */
    gen_buf_be(&m->b, an, 2);
    gen_buf_be(&m->b, ns, 2);
    gen_buf_be(&m->b, ar, 2);
}

static void put_question(struct msg *m, const struct name *qname, uint16_t qtype)
{
    put_name(m, qname);
    gen_buf_be(&m->b, qtype, 2);
    gen_buf_be(&m->b, CLASS_IN, 2);
}

/* RFC 6891 6.1.2: root owner, TYPE 41, CLASS = UDP payload size, TTL = extended RCODE (0),
 * version (0) and flags (DO clear), no options. */
static void put_opt(struct msg *m)
{
    gen_buf_be(&m->b, 0, 1);
    gen_buf_be(&m->b, GEN_DNS_OPT, 2);
    gen_buf_be(&m->b, GEN_DNS_EDNS_UDP_SIZE, 2);
    gen_buf_be(&m->b, 0, 4);
    gen_buf_be(&m->b, 0, 2);
}

/* The fixed part of a record; returns where RDLENGTH goes, to be patched once RDATA is out. */
static size_t put_rr_head(struct msg *m, const struct name *owner, uint16_t type, uint32_t ttl)
{
    put_name(m, owner);
    gen_buf_be(&m->b, type, 2);
    gen_buf_be(&m->b, CLASS_IN, 2);
    gen_buf_be(&m->b, ttl, 4);
    size_t at = m->b.len;
    gen_buf_be(&m->b, 0, 2);
    return at;
}

static void end_rdata(struct msg *m, size_t rdlen_at)
{
    gen_buf_vec_end(&m->b, rdlen_at, 2);
}

void gen_dns_addr_v4(struct gen_dns_addr *a, uint32_t ip, uint32_t ttl)
{
    memset(a, 0, sizeof *a);
    a->addr[0] = (uint8_t)(ip >> 24);
    a->addr[1] = (uint8_t)(ip >> 16);
    a->addr[2] = (uint8_t)(ip >> 8);
    a->addr[3] = (uint8_t)ip;
    a->ttl = ttl;
}

size_t gen_dns_query(uint8_t *out, size_t cap, const struct gen_dns_query *q, struct gen_rng *rng)
{
    (void)rng;
    struct name qname;
    if (out == NULL || q == NULL || !qtype_ok(q->qtype) || name_split(&qname, q->name) != 0)
        return 0;
    struct msg m = {0};
    gen_buf_init(&m.b, out, cap);
    put_header(&m, q->id, FLAG_RD, 0, 0, q->edns ? 1 : 0);
    put_question(&m, &qname, q->qtype);
    if (q->edns)
        put_opt(&m);
    return gen_buf_done(&m.b);
}

static int answer_ok(const struct gen_dns_query *q, const struct gen_dns_answer *a)
{
    if (a->rcode > 15 || a->n_cname > GEN_DNS_CNAME_MAX)
        return 0;
    if (a->n_addrs > 0 && (a->addrs == NULL || a->rcode != GEN_DNS_NOERROR ||
                           (q->qtype != GEN_DNS_A && q->qtype != GEN_DNS_AAAA)))
        return 0;
    /* ANCOUNT is 16 bits; far below that the message would not fit a datagram anyway */
    return a->n_addrs <= 4096;
}

static void put_soa(struct msg *m, const struct gen_dns_soa *soa)
{
    struct name zone;
    if (name_split(&zone, soa->zone) != 0) {
        m->b.err = true;
        return;
    }
    size_t at = put_rr_head(m, &zone, GEN_DNS_SOA, soa->ttl);
    if (put_name_text(m, soa->mname) != 0 || put_name_text(m, soa->rname) != 0) {
        m->b.err = true;
        return;
    }
    gen_buf_be(&m->b, soa->serial, 4);
    gen_buf_be(&m->b, soa->refresh, 4);
    gen_buf_be(&m->b, soa->retry, 4);
    gen_buf_be(&m->b, soa->expire, 4);
    gen_buf_be(&m->b, soa->minimum, 4);
    end_rdata(m, at);
}

size_t gen_dns_response(uint8_t *out, size_t cap, const struct gen_dns_query *q,
                        const struct gen_dns_answer *a, struct gen_rng *rng)
{
    (void)rng;
    struct name qname;
    if (out == NULL || q == NULL || a == NULL || !qtype_ok(q->qtype) ||
        name_split(&qname, q->name) != 0 || !answer_ok(q, a))
        return 0;
    struct msg m = {0};
    gen_buf_init(&m.b, out, cap);
    /* RD is copied from the query (RFC 1035 4.1.1), and a recursive server sets RA. */
    uint16_t flags = FLAG_QR | FLAG_RD | FLAG_RA | a->rcode;
    put_header(&m, q->id, flags, (uint16_t)(a->n_cname + a->n_addrs), a->soa ? 1 : 0,
               q->edns ? 1 : 0);
    put_question(&m, &qname, q->qtype);

    /* Each CNAME is owned by the previous name of the chain; its target then becomes a suffix
     * the next owner can point at, which is why servers order the chain this way. */
    struct name owner = qname;
    for (size_t i = 0; i < a->n_cname; i++) {
        struct name target;
        if (name_split(&target, a->cname[i]) != 0)
            return 0;
        size_t at = put_rr_head(&m, &owner, GEN_DNS_CNAME, a->cname_ttl);
        put_name(&m, &target);
        end_rdata(&m, at);
        owner = target;
    }
    size_t alen = q->qtype == GEN_DNS_A ? 4 : 16;
    for (size_t i = 0; i < a->n_addrs; i++) {
        size_t at = put_rr_head(&m, &owner, q->qtype, a->addrs[i].ttl);
        gen_buf_bytes(&m.b, a->addrs[i].addr, alen);
        end_rdata(&m, at);
    }
    if (a->soa != NULL)
        put_soa(&m, a->soa);
    if (q->edns)
        put_opt(&m);
    return gen_buf_done(&m.b);
}
