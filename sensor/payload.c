/*
 * Payload features: the per-slot records, the pools they borrow from, and the dispatch of a
 * flow's first payload bytes to the clear-text parsers. Formulas and edge cases:
 * docs/FEATURES.md.
 */
#include "sensor/payload.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/log.h"
#include "common/pool.h"
#include "common/region.h"
#include "sensor/decode.h"
#include "sensor/dns_names.h"
#include "sensor/hs_http.h"

/* X(name, counter name): why a feature was not measured, and what was read. */
#define PAYLOAD_COUNTER_LIST(X)                                                                    \
    X(PC_HIST_NONE, "bytedist_no_buffer")                                                          \
    X(PC_STREAM_NONE, "stream_no_buffer")                                                          \
    X(PC_STREAM_GAP, "stream_gap")                                                                 \
    X(PC_STREAM_FULL, "stream_full")                                                               \
    X(PC_STREAM_CUT, "stream_cut")                                                                 \
    X(PC_STREAM_MISSED, "stream_missed")                                                           \
    X(PC_META_NONE, "meta_no_record")                                                              \
    X(PC_DNS_MESSAGES, "dns_messages")                                                             \
    X(PC_HTTP_REQUESTS, "http_requests")                                                           \
    X(PC_HTTP_NOT_HTTP, "http_not_http")                                                           \
    X(PC_STREAM_UNFINISHED, "stream_unfinished")                                                   \
    X(PC_SSH_HANDSHAKES, "ssh_handshakes")                                                         \
    X(PC_TLS_CLIENT_HELLOS, "tls_client_hellos")                                                   \
    X(PC_TLS_SERVER_HELLOS, "tls_server_hellos")                                                   \
    X(PC_QUIC_CLIENT_HELLOS, "quic_client_hellos")                                                 \
    X(PC_QUIC_GAVE_UP, "quic_hello_incomplete")

enum payload_counter {
#define PC_ENUM(name, text) name,
    PAYLOAD_COUNTER_LIST(PC_ENUM)
#undef PC_ENUM
            PC_COUNT
};

static const char *const counter_names[PC_COUNT] = {
#define PC_NAME(name, text) text,
        PAYLOAD_COUNTER_LIST(PC_NAME)
#undef PC_NAME
};

/* A direction's handshake stream. */
enum stream_state {
    STREAM_IDLE = 0, /* nothing read yet */
    STREAM_OPEN,     /* a buffer is held and the handshake is arriving */
    STREAM_DONE,     /* read, or given up: nothing more to do */
};

#define BD_COMPLETE   1 /* the prefix is full: the summary below is final */
#define BD_UNMEASURED 2 /* payload came while no histogram was free */
#define BD_RAW        4 /* hist is a raw-byte buffer (the first BD_RAW_CAP bytes), not counts */

/* Most directions carry a few dozen bytes (three in four, in docs/BENCHMARKS.md's capture):
 * their bytes are kept as they are in a 64-byte buffer, and only a direction that sends more
 * moves to a 512-byte histogram. */
#define BD_RAW_CAP   64
#define DIR_HAVE_ISN 1 /* next_seq was set from the SYN */

struct payload_dir {
    uint32_t bd_bytes; /* bytes counted into the histogram */
    uint32_t hist;     /* pool id of the histogram while the prefix fills; 0 = none */
    double entropy;    /* set when BD_COMPLETE */
    double mean;
    double stddev;
    uint32_t stream;   /* pool id of the stream buffer while STREAM_OPEN */
    uint32_t next_seq; /* TCP: the next in-order sequence number of the stream */
    uint16_t stream_len;
    uint8_t state;    /* enum stream_state */
    uint8_t bd_flags; /* BD_* */
    uint8_t flags;    /* DIR_* */
};

struct payload_flow {
    struct payload_dir d[2];
    uint32_t meta; /* pool id of the metadata record; 0 = none */
    uint8_t kind;  /* enum payload_kind */
};
/* Part of the 1 KiB per flow budget: docs/BENCHMARKS.md reports it. */
_Static_assert(sizeof(struct payload_flow) == 104, "struct payload_flow: update docs");

/*
 * A histogram of one direction's prefix, dense and exact: 8-bit counts, and for the few values
 * seen 256 times or more, how many times their count wrapped. A prefix of P bytes has at most
 * P / 256 such values, so the overflow table has room for ceil(P / 256) (16 for the default
 * 4096: 290 bytes instead of the 512 of 16-bit counts). Entries are sized from the prefix.
 */
struct hist_over {
    uint8_t value;
    uint8_t wraps; /* count = low + 256 * wraps; at most 65535 / 256 */
};

struct hist {
    uint8_t low[256]; /* each value's count, mod 256 */
    uint8_t n_over;   /* entries of over[] used */
    uint8_t pad;
    struct hist_over over[]; /* over_cap entries */
};

/* Fast counting of long runs (hist_count_lanes()). */
#define HIST_LANES    4
#define HIST_LANE_MIN 512

static size_t hist_size(uint32_t prefix)
{
    return sizeof(struct hist) + (prefix + 255) / 256 * sizeof(struct hist_over);
}

struct payload {
    struct payload_config cfg;
    struct log *log;
    struct payload_flow *flows;
    struct region flows_mem;
    struct pool *hists;
    struct pool *raws;    /* BD_RAW_CAP bytes each */
    struct pool *streams; /* PAYLOAD_STREAM_CAP bytes each */
    /* Metadata records, one pool per kind, each entry just the size its kind needs (a DNS
     * record is three quarters of an SSH one, an HTTP record under half). */
    struct pool *metas[PAYLOAD_KINDS];
    struct dns_names *names;
    struct digest *digest;
    uint64_t counters[PC_COUNT];
    uint64_t dns_status[HS_DNS_STATUS_COUNT];
    uint64_t ssh_status[HS_SSH_STATUS_COUNT];
    uint64_t tls_status[HS_TLS_STATUS_COUNT];
    uint64_t quic_status[HS_QUIC_STATUS_COUNT];
    struct hs_quic *quic;
    uint8_t quic_plain[65536]; /* a decrypted Initial (a UDP payload is at most 65527 bytes) */
    uint16_t lanes[HIST_LANES][256]; /* hist_count_lanes()'s tables: all zero between calls */
};

static const char *const meta_names[PAYLOAD_KINDS] = {
        [PAYLOAD_DNS] = "meta_dns", [PAYLOAD_HTTP] = "meta_http", [PAYLOAD_SSH] = "meta_ssh",
        [PAYLOAD_TLS] = "meta_tls", [PAYLOAD_QUIC] = "meta_quic",
};

/* Bytes a record of @kind needs: the header and its member of the union. */
static size_t meta_size(enum payload_kind kind)
{
    size_t head = offsetof(struct payload_meta, u);
    switch (kind) {
    case PAYLOAD_DNS:
        return head + sizeof(struct payload_dns);
    case PAYLOAD_HTTP:
        return head + sizeof(struct payload_http);
    case PAYLOAD_SSH:
        return head + sizeof(struct payload_ssh);
    case PAYLOAD_TLS:
        return head + sizeof(struct payload_tls);
    case PAYLOAD_QUIC:
        return head + sizeof(struct payload_quic);
    case PAYLOAD_UNKNOWN:
    case PAYLOAD_NONE:
    case PAYLOAD_KINDS:
        break;
    }
    return sizeof(struct payload_meta);
}

static size_t metas_memory(const struct payload *p)
{
    size_t n = 0;
    for (int k = PAYLOAD_DNS; k < PAYLOAD_KINDS; k++)
        n += pool_memory(p->metas[k]);
    return n;
}

struct payload *payload_create(const struct payload_config *cfg, struct log *log)
{
    if (cfg->prefix > PAYLOAD_PREFIX_MAX) {
        log_err(log, "payload: byte-distribution prefix %u over %d", cfg->prefix,
                PAYLOAD_PREFIX_MAX);
        return NULL;
    }
    struct payload *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        log_err(log, "payload: out of memory");
        return NULL;
    }
    p->cfg = *cfg;
    p->log = log;
    size_t n = cfg->max_flows ? cfg->max_flows : 1;
    p->flows = region_map(&p->flows_mem, n * sizeof(*p->flows), REGION_SMALL_PAGES);
    if (p->flows == NULL) {
        log_err(log, "payload: out of memory for %zu flows", n);
        goto fail;
    }
    p->hists = pool_create("histograms", cfg->prefix ? cfg->hist_buffers : 0,
                           hist_size(cfg->prefix), log);
    p->streams = pool_create("streams", cfg->handshakes ? cfg->stream_buffers : 0,
                             PAYLOAD_STREAM_CAP, log);
    for (int k = PAYLOAD_DNS; k < PAYLOAD_KINDS; k++) {
        p->metas[k] = pool_create(meta_names[k], cfg->handshakes ? cfg->meta_records : 0,
                                  meta_size((enum payload_kind)k), log);
        if (p->metas[k] == NULL)
            goto fail;
    }
    p->raws = pool_create("raw byte buffers", cfg->prefix ? cfg->raw_buffers : 0, BD_RAW_CAP, log);
    if (p->hists == NULL || p->raws == NULL || p->streams == NULL)
        goto fail;
    if (cfg->handshakes) {
        p->digest = digest_create(log);
        p->quic = hs_quic_create(log);
        if (p->digest == NULL || p->quic == NULL)
            goto fail;
    }
    if (cfg->handshakes && cfg->dns_names > 0) {
        p->names = dns_names_create(cfg->dns_names, cfg->seed, log);
        if (p->names == NULL)
            goto fail;
    }
    return p;
fail:
    payload_destroy(&p);
    return NULL;
}

void payload_destroy(struct payload **pp)
{
    struct payload *p = *pp;
    if (p == NULL)
        return;
    dns_names_destroy(&p->names);
    digest_destroy(&p->digest);
    hs_quic_destroy(&p->quic);
    for (int k = 0; k < PAYLOAD_KINDS; k++)
        pool_destroy(&p->metas[k]);
    pool_destroy(&p->streams);
    pool_destroy(&p->hists);
    pool_destroy(&p->raws);
    region_unmap(&p->flows_mem);
    free(p);
    *pp = NULL;
}

/* ---- byte distribution ---- */

/*
 * The summary of the counts of @n bytes. Mean and variance from exact integer sums (no rounding
 * until the last step); entropy -sum p log2 p over the byte values in order.
 */
static void counts_summary(const uint32_t count[256], uint32_t n, double *entropy, double *mean,
                           double *stddev)
{
    *entropy = *mean = *stddev = 0;
    if (n == 0)
        return;
    uint64_t s1 = 0, s2 = 0;
    double e = 0;
    for (unsigned v = 0; v < 256; v++) {
        uint64_t c = count[v];
        if (c == 0)
            continue;
        s1 += c * v;
        s2 += c * v * v;
        double q = (double)c / n;
        e -= q * log2(q);
    }
    /* n^2 var = n s2 - s1^2, exact in 64 bits: n <= 65535, s2 <= 65535 * 255^2. */
    uint64_t num = (uint64_t)n * s2 - s1 * s1;
    *entropy = e > 0 ? e : 0; /* -0 and rounding below 0 print as 0 */
    *mean = (double)s1 / n;
    *stddev = sqrt((double)num) / n;
}

static void hist_summary(const struct hist *h, uint32_t n, double *entropy, double *mean,
                         double *stddev)
{
    uint32_t count[256];
    for (unsigned v = 0; v < 256; v++)
        count[v] = h->low[v];
    for (uint8_t i = 0; i < h->n_over; i++)
        count[h->over[i].value] += 256u * h->over[i].wraps;
    counts_summary(count, n, entropy, mean, stddev);
}

/* A value's count wrapped past 255 @k more times: add them to its overflow entry. The table
 * cannot fill: it has an entry for every 256 bytes of prefix. */
static void hist_wrap(struct hist *h, uint8_t v, uint8_t k)
{
    for (uint8_t i = 0; i < h->n_over; i++) {
        if (h->over[i].value == v) {
            h->over[i].wraps = (uint8_t)(h->over[i].wraps + k);
            return;
        }
    }
    h->over[h->n_over].value = v;
    h->over[h->n_over].wraps = k;
    h->n_over++;
}

/*
 * Counting straight into the 8-bit table costs a store-to-load forwarding delay whenever a
 * byte value repeats within a few bytes (text, padding), which is most of the time in clear
 * payload. A long run is counted instead into HIST_LANES 16-bit tables kept zeroed in struct
 * payload, one per byte position mod HIST_LANES, so neighbouring bytes never wait on each
 * other, and the lanes are then added into the histogram in one pass the compiler vectorises.
 * Below HIST_LANE_MIN bytes that pass costs more than it saves. Measured on 1460-byte runs
 * (ns per byte, direct / lanes): random bytes 0.33 / 0.38, HTTP text 0.62 / 0.53, zeros
 * 1.72 / 0.53. Each lane takes at most
 * 65535 / HIST_LANES counts per call, well inside 16 bits.
 */
static void hist_count_lanes(struct hist *h, uint16_t (*lane)[256], const uint8_t *b, uint32_t n)
{
    uint32_t i = 0;
    for (; i + HIST_LANES <= n; i += HIST_LANES) {
        lane[0][b[i]]++;
        lane[1][b[i + 1]]++;
        lane[2][b[i + 2]]++;
        lane[3][b[i + 3]]++;
    }
    for (; i < n; i++)
        lane[0][b[i]]++;
    uint16_t carry[256];
    uint16_t any = 0;
    for (unsigned v = 0; v < 256; v++) {
        uint32_t c = (uint32_t)h->low[v] + lane[0][v] + lane[1][v] + lane[2][v] + lane[3][v];
        lane[0][v] = lane[1][v] = lane[2][v] = lane[3][v] = 0;
        h->low[v] = (uint8_t)c;
        carry[v] = (uint16_t)(c >> 8);
        any |= carry[v];
    }
    if (any == 0)
        return;
    for (unsigned v = 0; v < 256; v++) {
        if (carry[v] != 0)
            hist_wrap(h, (uint8_t)v, (uint8_t)carry[v]);
    }
}

static void hist_count(struct payload *p, struct hist *h, const uint8_t *b, uint32_t n)
{
    if (n >= HIST_LANE_MIN) {
        hist_count_lanes(h, p->lanes, b, n);
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (++h->low[b[i]] == 0)
            hist_wrap(h, b[i], 1);
    }
}

/* The summary of a raw-byte buffer's @n bytes. */
static void raw_summary(const uint8_t *b, uint32_t n, double *entropy, double *mean, double *stddev)
{
    uint32_t count[256] = {0};
    for (uint32_t i = 0; i < n; i++)
        count[b[i]]++;
    counts_summary(count, n, entropy, mean, stddev);
}

static void bytedist_give(struct payload *p, struct payload_dir *d)
{
    pool_give((d->bd_flags & BD_RAW) ? p->raws : p->hists, d->hist);
    d->hist = 0;
    d->bd_flags &= (uint8_t)~BD_RAW;
}

static void bytedist_unmeasured(struct payload *p, struct payload_dir *d)
{
    if (d->hist != 0)
        bytedist_give(p, d);
    d->bd_bytes = 0; /* the bytes counted so far went with the buffer */
    d->bd_flags |= BD_UNMEASURED;
    p->counters[PC_HIST_NONE]++;
}

static void bytedist_packet(struct payload *p, struct payload_dir *d, const struct pkt *pkt)
{
    if (d->bd_flags & (BD_COMPLETE | BD_UNMEASURED) || pkt->payload_caplen == 0)
        return;
    uint32_t room = p->cfg.prefix - d->bd_bytes;
    uint32_t n = pkt->payload_caplen < room ? pkt->payload_caplen : room;
    if (d->hist == 0 && n <= BD_RAW_CAP) {
        d->hist = pool_take(p->raws);
        if (d->hist != 0)
            d->bd_flags |= BD_RAW;
    }
    if ((d->bd_flags & BD_RAW) && d->bd_bytes + n <= BD_RAW_CAP) {
        memcpy((uint8_t *)pool_at(p->raws, d->hist) + d->bd_bytes, pkt->payload, n);
        d->bd_bytes += n;
    } else {
        if (d->hist == 0 || (d->bd_flags & BD_RAW)) {
            /* Counts from here on: a histogram, with the raw bytes so far counted in. */
            uint32_t id = pool_take(p->hists);
            if (id == 0) {
                bytedist_unmeasured(p, d);
                return;
            }
            struct hist *h = pool_at(p->hists, id);
            memset(h, 0, sizeof(*h));
            if (d->bd_flags & BD_RAW) {
                hist_count(p, h, pool_at(p->raws, d->hist), d->bd_bytes);
                bytedist_give(p, d);
            }
            d->hist = id;
        }
        hist_count(p, pool_at(p->hists, d->hist), pkt->payload, n);
        d->bd_bytes += n;
    }
    if (d->bd_bytes == p->cfg.prefix) {
        if (d->bd_flags & BD_RAW)
            raw_summary(pool_at(p->raws, d->hist), d->bd_bytes, &d->entropy, &d->mean, &d->stddev);
        else
            hist_summary(pool_at(p->hists, d->hist), d->bd_bytes, &d->entropy, &d->mean,
                         &d->stddev);
        d->bd_flags |= BD_COMPLETE;
        bytedist_give(p, d);
    }
}

void payload_bytedist(const struct payload *p, uint32_t slot, int dir, struct payload_bytedist *out)
{
    const struct payload_dir *d = &p->flows[slot].d[dir];
    memset(out, 0, sizeof(*out));
    out->bytes = d->bd_bytes;
    out->complete = (d->bd_flags & BD_COMPLETE) != 0;
    out->unmeasured = (d->bd_flags & BD_UNMEASURED) != 0;
    if (out->complete) {
        out->entropy = d->entropy;
        out->mean = d->mean;
        out->stddev = d->stddev;
    } else if (d->hist != 0 && (d->bd_flags & BD_RAW)) {
        raw_summary(pool_at(p->raws, d->hist), d->bd_bytes, &out->entropy, &out->mean,
                    &out->stddev);
    } else if (d->hist != 0) {
        hist_summary(pool_at(p->hists, d->hist), d->bd_bytes, &out->entropy, &out->mean,
                     &out->stddev);
    }
}

/* ---- metadata records ---- */

static struct payload_meta *meta_of(const struct payload *p, const struct payload_flow *pf)
{
    return pf->meta != 0 ? pool_at(p->metas[pf->kind], pf->meta) : NULL;
}

static void meta_give(struct payload *p, struct payload_flow *pf)
{
    if (pf->meta != 0)
        pool_give(p->metas[pf->kind], pf->meta);
    pf->meta = 0;
}

/* Take the flow's metadata record for @kind; on failure the flow reads nothing more. */
static struct payload_meta *meta_take(struct payload *p, struct payload_flow *pf,
                                      enum payload_kind kind)
{
    pf->meta = pool_take(p->metas[kind]);
    if (pf->meta == 0) {
        p->counters[PC_META_NONE]++;
        pf->kind = PAYLOAD_NONE;
        return NULL;
    }
    struct payload_meta *m = pool_at(p->metas[kind], pf->meta);
    memset(m, 0, meta_size(kind));
    m->kind = kind;
    pf->kind = (uint8_t)kind;
    return m;
}

const struct payload_meta *payload_meta(const struct payload *p, uint32_t slot)
{
    return meta_of(p, &p->flows[slot]);
}

/* ---- TCP streams ---- */

static void stream_close(struct payload *p, struct payload_dir *d)
{
    pool_give(p->streams, d->stream);
    d->stream = 0;
    d->state = STREAM_DONE;
}

/*
 * Add the segment's new bytes to the direction's stream. Returns true when bytes were added (the
 * parser should look again); false for a repeat, or when the stream had to be given up (state
 * DONE then, counted): a hole (a segment beyond the next expected byte), a segment cut by the
 * snap length, or a handshake longer than the buffer.
 */
static bool stream_add(struct payload *p, struct payload_dir *d, const struct pkt *pkt)
{
    /* Data on a SYN (TCP Fast Open, RFC 7413) starts after the SYN's own sequence number. */
    uint32_t seq = pkt->tcp_seq + ((pkt->tcp_flags & 0x02) ? 1u : 0u);
    if (d->state == STREAM_IDLE) {
        d->stream = pool_take(p->streams);
        if (d->stream == 0) {
            p->counters[PC_STREAM_NONE]++;
            d->state = STREAM_DONE;
            return false;
        }
        d->state = STREAM_OPEN;
        d->stream_len = 0;
        if (!(d->flags & DIR_HAVE_ISN))
            d->next_seq = seq; /* the SYN was missed: start where the data does */
    }
    uint32_t off = d->next_seq - seq; /* bytes of this segment the stream has */
    if (off > (uint32_t)INT32_MAX) {
        p->counters[PC_STREAM_GAP]++;
        stream_close(p, d);
        return false;
    }
    if (off >= pkt->payload_len)
        return false;
    if (pkt->payload_caplen < pkt->payload_len) {
        p->counters[PC_STREAM_CUT]++;
        stream_close(p, d);
        return false;
    }
    uint32_t n = pkt->payload_len - off;
    if (n > (uint32_t)PAYLOAD_STREAM_CAP - d->stream_len) {
        p->counters[PC_STREAM_FULL]++;
        stream_close(p, d);
        return false;
    }
    memcpy((uint8_t *)pool_at(p->streams, d->stream) + d->stream_len, pkt->payload + off, n);
    d->stream_len = (uint16_t)(d->stream_len + n);
    d->next_seq += n;
    return true;
}

/* Whether the stream is full: a handshake that needs more is given up. */
static bool stream_full(const struct payload_dir *d)
{
    return d->stream_len == PAYLOAD_STREAM_CAP;
}

static const uint8_t *stream_bytes(const struct payload *p, const struct payload_dir *d)
{
    return pool_at(p->streams, d->stream);
}

/* ---- DNS ---- */

static void dns_message(struct payload *p, struct payload_flow *pf, const uint8_t *buf, size_t len,
                        uint64_t ts_ns)
{
    struct hs_dns_msg m;
    enum hs_dns_status st = hs_dns_parse(buf, len, &m);
    p->dns_status[st]++;
    if (st != HS_DNS_OK)
        return;
    p->counters[PC_DNS_MESSAGES]++;
    if (m.response && p->names != NULL)
        dns_names_add_answers(p->names, &m, ts_ns);
    struct payload_meta *meta = meta_of(p, pf);
    if (meta == NULL)
        return;
    struct payload_dns *d = &meta->u.dns;
    if (!m.response) {
        if (d->have_query)
            return;
        d->have_query = true;
        d->id = m.id;
        d->qtype = m.qtype;
        memcpy(d->qname, m.qname, sizeof(d->qname));
        return;
    }
    if (d->have_response || (d->have_query && m.id != d->id))
        return; /* a later exchange, or an answer to another query */
    d->have_response = true;
    if (!d->have_query) { /* the query was missed: the response repeats its question */
        d->id = m.id;
        d->qtype = m.qtype;
        memcpy(d->qname, m.qname, sizeof(d->qname));
    }
    d->rcode = m.rcode;
    d->answers_total = m.answers_total;
    for (uint16_t i = 0; i < m.n_answers && d->n_answers < PAYLOAD_DNS_ANSWERS; i++) {
        const struct hs_dns_answer *a = &m.answers[i];
        struct payload_dns_answer *o = &d->answers[d->n_answers++];
        o->type = a->type;
        o->ttl = a->ttl;
        o->addr_len = a->addr_len;
        memcpy(o->addr, a->addr, sizeof(o->addr));
        if (a->addr_len == 0) {
            /* The last byte of the area stays a NUL: a target that finds no room is "". */
            uint16_t at =
                    d->cnames_used < PAYLOAD_DNS_CNAMES ? d->cnames_used : PAYLOAD_DNS_CNAMES - 1;
            int n = snprintf(d->cnames + at, PAYLOAD_DNS_CNAMES - at, "%s", a->cname);
            o->cname = at;
            size_t used = at + (size_t)(n > 0 ? n : 0) + 1;
            d->cnames_used = (uint16_t)(used < PAYLOAD_DNS_CNAMES ? used : PAYLOAD_DNS_CNAMES);
        }
    }
}

/* DNS over TCP: each direction's first message, after its 2-byte length (RFC 1035 4.2.2). */
static void dns_tcp(struct payload *p, struct payload_flow *pf, struct payload_dir *d,
                    const struct pkt *pkt)
{
    if (!stream_add(p, d, pkt) || d->stream_len < 2)
        return;
    const uint8_t *b = stream_bytes(p, d);
    uint32_t n = (uint32_t)b[0] << 8 | b[1];
    if (d->stream_len < 2 + n)
        return;
    dns_message(p, pf, b + 2, n, pkt->ts_ns);
    stream_close(p, d);
}

/* ---- HTTP/1 ---- */

static void http_client(struct payload *p, struct payload_flow *pf, struct payload_dir *d,
                        const struct pkt *pkt)
{
    if (!stream_add(p, d, pkt))
        return;
    struct hs_http_request r;
    enum hs_http_status st = hs_http_parse_request(stream_bytes(p, d), d->stream_len, &r);
    if (st == HS_HTTP_INCOMPLETE)
        return; /* the request line is still arriving */
    struct payload_meta *meta = meta_of(p, pf);
    if (st == HS_HTTP_NOT_HTTP || meta == NULL) {
        p->counters[PC_HTTP_NOT_HTTP] += st == HS_HTTP_NOT_HTTP;
        stream_close(p, d);
        return;
    }
    struct payload_http *h = &meta->u.http;
    snprintf(h->method, sizeof(h->method), "%s", r.method);
    snprintf(h->host, sizeof(h->host), "%s", r.host);
    snprintf(h->user_agent, sizeof(h->user_agent), "%s", r.user_agent);
    if (r.headers_complete) {
        p->counters[PC_HTTP_REQUESTS]++;
        stream_close(p, d);
    }
}

/* ---- SSH ---- */

/* A view's bytes as text: printable ASCII kept, anything else '?' (banners may carry any byte
 * of 0x80 and above, and the JSON and protobuf strings must be valid UTF-8). */
static void view_copy(char *dst, size_t cap, const struct hs_ssh_view *v)
{
    size_t n = v->ptr == NULL ? 0 : v->len < cap - 1 ? v->len : cap - 1;
    for (size_t i = 0; i < n; i++)
        dst[i] = v->ptr[i] >= 0x20 && v->ptr[i] < 0x7f ? (char)v->ptr[i] : '?';
    dst[n] = '\0';
}

/* The negotiated algorithms, once both KEXINITs are in buffers still held. */
static void ssh_negotiate(struct payload *p, struct payload_flow *pf, struct payload_ssh *m)
{
    struct payload_dir *c = &pf->d[FLOW_DIR_CLIENT], *s = &pf->d[FLOW_DIR_SERVER];
    if (m->have_algs || c->stream == 0 || s->stream == 0)
        return;
    struct hs_ssh_side cs, ss;
    hs_ssh_parse(stream_bytes(p, c), c->stream_len, &cs);
    hs_ssh_parse(stream_bytes(p, s), s->stream_len, &ss);
    if (cs.have_kexinit && ss.have_kexinit && hs_ssh_negotiate(&cs, &ss, &m->algs) == 0)
        m->have_algs = true;
}

static void ssh_stream(struct payload *p, struct payload_flow *pf, int dir, const struct pkt *pkt)
{
    struct payload_dir *d = &pf->d[dir];
    struct payload_dir *o = &pf->d[!dir];
    struct payload_meta *meta = meta_of(p, pf);
    if (!stream_add(p, d, pkt) || meta == NULL) {
        /* Given up here: a buffer the other side kept for negotiation is of no use now. */
        if (d->state == STREAM_DONE && o->state == STREAM_DONE && o->stream != 0)
            stream_close(p, o);
        return;
    }
    struct payload_ssh *m = &meta->u.ssh;
    struct hs_ssh_side side;
    enum hs_ssh_status st = hs_ssh_parse(stream_bytes(p, d), d->stream_len, &side);
    if (side.have_banner && m->banner[dir][0] == '\0')
        view_copy(m->banner[dir], sizeof(m->banner[dir]), &side.banner);
    if (side.have_kexinit && !m->have_hassh[dir]) {
        char str[PAYLOAD_STREAM_CAP + 1]; /* a HASSH string is shorter than the stream */
        m->have_hassh[dir] = hs_ssh_hassh(&side, dir == FLOW_DIR_SERVER, p->digest, str,
                                          sizeof(str), m->hassh[dir]) == 0;
        ssh_negotiate(p, pf, m);
    }
    if (st == HS_SSH_INCOMPLETE && !stream_full(d))
        return; /* more is coming */
    p->ssh_status[st]++;
    if (st == HS_SSH_OK) {
        /* The stream began at next_seq - stream_len; the clear part ends clear_end later. */
        m->clear_end_seq[dir] = d->next_seq - d->stream_len + (uint32_t)side.clear_end;
        m->encrypted[dir] = true;
        if (dir == FLOW_DIR_CLIENT)
            p->counters[PC_SSH_HANDSHAKES]++;
    }
    /* This direction is read. Its buffer stays while the other's KEXINIT may still come, so
     * that the two lists can be negotiated; then both go back. */
    d->state = STREAM_DONE;
    ssh_negotiate(p, pf, m);
    if (m->have_algs || o->state != STREAM_OPEN) { /* an idle peer has sent nothing yet */
        for (int i = 0; i < 2; i++) {
            if (pf->d[i].state == STREAM_DONE && pf->d[i].stream != 0)
                stream_close(p, &pf->d[i]);
        }
    }
}

/* After NEWKEYS: keystroke-sized client segments and the server's echoes of them. */
static void ssh_dynamics(struct payload_ssh *m, int dir, const struct pkt *pkt)
{
    bool enc = m->encrypted[dir] && pkt->tcp_seq - m->clear_end_seq[dir] < 0x80000000u;
    bool small = pkt->payload_len <= PAYLOAD_SSH_SMALL;
    bool after = m->after_small_client;
    m->after_small_client = false;
    if (!enc)
        return;
    m->enc_packets[dir]++;
    if (dir == FLOW_DIR_SERVER) {
        m->echoes += small && after;
        return;
    }
    if (!small)
        return;
    m->client_small++;
    m->after_small_client = true;
    for (int i = 0; i < PAYLOAD_SSH_SIZES; i++) {
        if (m->size_count[i] == 0 || m->sizes[i] == pkt->payload_len) {
            m->sizes[i] = (uint16_t)pkt->payload_len;
            m->size_count[i]++;
            break;
        }
    }
}

uint16_t payload_ssh_keystroke_size(const struct payload_ssh *s)
{
    int best = -1;
    for (int i = 0; i < PAYLOAD_SSH_SIZES; i++) {
        if (s->size_count[i] != 0 && (best < 0 || s->size_count[i] > s->size_count[best]))
            best = i;
    }
    return best < 0 ? 0 : s->sizes[best];
}

/* ---- TLS ---- */

static void tls_stream(struct payload *p, struct payload_flow *pf, int dir, const struct pkt *pkt)
{
    struct payload_dir *d = &pf->d[dir];
    struct payload_meta *meta = meta_of(p, pf);
    if (!stream_add(p, d, pkt) || meta == NULL)
        return;
    struct payload_tls *t = &meta->u.tls;
    enum hs_tls_status st;
    /* Each call reads the stream from its start, so a hello split over segments or records is
     * read whole once its last byte is in. */
    if (dir == FLOW_DIR_CLIENT) {
        st = hs_tls_parse_client(stream_bytes(p, d), d->stream_len, p->digest, &t->client);
        t->have_client = st == HS_TLS_OK;
    } else {
        st = hs_tls_parse_server(stream_bytes(p, d), d->stream_len, p->digest, &t->server);
        t->have_server = t->server.hello_parsed;
    }
    if (st == HS_TLS_INCOMPLETE && !stream_full(d))
        return;
    p->tls_status[st]++;
    if (dir == FLOW_DIR_CLIENT)
        p->counters[PC_TLS_CLIENT_HELLOS] += t->have_client;
    else
        p->counters[PC_TLS_SERVER_HELLOS] += t->have_server;
    stream_close(p, d);
}

/*
 * A TLS peer answers a flight only once it has all of it: when the server sends, the client's
 * hello was whole; when the client sends after the ServerHello, so was the server's flight. A
 * stream of the other side still waiting then lacks segments the sensor did not see, and would
 * hold its buffer until the flow ends: it is given up (counted). The server side needs its
 * hello read first, since a TLS 1.3 client may send early data before the ServerHello.
 */
static void tls_peer_moved_on(struct payload *p, struct payload_flow *pf, int dir)
{
    struct payload_dir *o = &pf->d[!dir];
    const struct payload_meta *meta = meta_of(p, pf);
    if (o->state != STREAM_OPEN || meta == NULL)
        return;
    if (dir == FLOW_DIR_CLIENT && !meta->u.tls.have_server)
        return;
    p->counters[PC_STREAM_MISSED]++;
    stream_close(p, o);
}

uint16_t payload_tls_version(const struct payload_tls *t)
{
    if (t->have_server)
        return t->server.selected_version ? t->server.selected_version : t->server.version;
    if (t->have_client)
        return t->client.max_version ? t->client.max_version : t->client.legacy_version;
    return 0;
}

/* ---- QUIC ---- */

_Static_assert(sizeof(struct hs_quic_crypto) <= PAYLOAD_STREAM_CAP,
               "a QUIC CRYPTO reassembly lives in a stream buffer");

/* A client datagram of a QUIC flow: decrypt its Initial, gather the CRYPTO bytes, and read the
 * ClientHello once they run from offset 0 to the end of the message. */
static void quic_datagram(struct payload *p, struct payload_flow *pf, const struct pkt *pkt)
{
    struct payload_dir *d = &pf->d[FLOW_DIR_CLIENT];
    struct payload_meta *meta = meta_of(p, pf);
    if (meta == NULL || d->state == STREAM_DONE)
        return;
    struct payload_quic *q = &meta->u.quic;
    struct hs_quic_initial in;
    enum hs_quic_status st;
    if (q->initials == 0)
        st = hs_quic_parse_initial(p->quic, pkt->payload, pkt->payload_caplen, p->quic_plain,
                                   sizeof(p->quic_plain), &in);
    else /* later Initials keep the first one's keys (RFC 9001 5.2) */
        st = hs_quic_parse_initial_dcid(p->quic, pkt->payload, pkt->payload_caplen, q->dcid.id,
                                        q->dcid.len, p->quic_plain, sizeof(p->quic_plain), &in);
    p->quic_status[st]++;
    if (st != HS_QUIC_OK) {
        if (q->initials == 0) { /* not QUIC after all, or not a client Initial: nothing to keep */
            meta_give(p, pf);
            pf->kind = PAYLOAD_NONE;
        }
        return;
    }
    if (q->initials++ == 0) {
        q->version = in.version;
        q->dcid = in.dcid;
        d->stream = pool_take(p->streams);
        if (d->stream == 0) {
            p->counters[PC_STREAM_NONE]++;
            d->state = STREAM_DONE;
            return;
        }
        d->state = STREAM_OPEN;
        hs_quic_crypto_init(pool_at(p->streams, d->stream));
    }
    struct hs_quic_crypto *c = pool_at(p->streams, d->stream);
    for (uint16_t i = 0; i < in.n_crypto; i++)
        hs_quic_crypto_add(c, in.crypto[i].offset, in.crypto[i].data, in.crypto[i].len);
    size_t have = hs_quic_crypto_contiguous(c);
    if (have >= 4 && c->buf[0] == 1) { /* a ClientHello: type 1, 24-bit length */
        size_t need = 4 + ((size_t)c->buf[1] << 16 | (size_t)c->buf[2] << 8 | c->buf[3]);
        if (have >= need) {
            enum hs_tls_status ts =
                    hs_tls_parse_client_hello_msg(c->buf, need, p->digest, 'q', &q->client);
            p->tls_status[ts]++;
            q->have_hello = ts == HS_TLS_OK;
            p->counters[PC_QUIC_CLIENT_HELLOS] += q->have_hello;
            stream_close(p, d);
            return;
        }
    }
    if (q->initials == PAYLOAD_QUIC_INITIALS || c->cut) {
        p->counters[PC_QUIC_GAVE_UP]++;
        stream_close(p, d);
    }
}

/* A client Initial: long header with the fixed bit (RFC 9000 17.2), a version the sensor can
 * decrypt, and the 1200 bytes a client's first datagram must have (RFC 9000 14.1). */
static bool looks_quic(const uint8_t *b, uint32_t n)
{
    if (n < 1200 || !(b[0] & 0x80)) /* the fixed bit may be greased (RFC 9287) */
        return false;
    uint32_t v = (uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 8 | b[4];
    return v == HS_QUIC_V1 || v == HS_QUIC_V2 || v == HS_QUIC_DRAFT29;
}

/* ---- dispatch ---- */

static bool is_dns_port(uint16_t port)
{
    return port == 53 || port == 5353 || port == 5355; /* DNS, mDNS, LLMNR */
}

/* An HTTP/1 request starts with a method token and a space (RFC 9110 9.3). */
static bool looks_http(const uint8_t *b, uint32_t n)
{
    static const char *const methods[] = {"GET ",     "POST ",    "HEAD ",  "PUT ",  "DELETE ",
                                          "OPTIONS ", "CONNECT ", "PATCH ", "TRACE "};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        size_t len = strlen(methods[i]);
        if (n >= len && memcmp(b, methods[i], len) == 0)
            return true;
    }
    return false;
}

/* Decide from the flow's first payload what it carries, and take a record for it. */
static void classify(struct payload *p, struct payload_flow *pf, const struct flow *f, int dir,
                     const struct pkt *pkt)
{
    const uint8_t *b = pkt->payload;
    uint32_t n = pkt->payload_caplen;
    bool dns = is_dns_port(flow_server_port(f)) || is_dns_port(flow_client_port(f));
    enum payload_kind kind = PAYLOAD_NONE;
    if (dns && (pkt->proto == 17 || pkt->proto == 6))
        kind = PAYLOAD_DNS;
    else if (pkt->proto == 17 && dir == FLOW_DIR_CLIENT && looks_quic(b, n))
        kind = PAYLOAD_QUIC;
    else if (pkt->proto == 6 && dir == FLOW_DIR_CLIENT && looks_http(b, n))
        kind = PAYLOAD_HTTP;
    else if (pkt->proto == 6 && n >= 3 && b[0] == 22 && b[1] == 3 && b[2] <= 4)
        kind = PAYLOAD_TLS; /* a handshake record of SSL 3.0 to TLS 1.3 (RFC 8446 5.1) */
    else if (pkt->proto == 6 && n >= 4 && memcmp(b, "SSH-", 4) == 0)
        kind = PAYLOAD_SSH; /* either side may speak first (RFC 4253 4.2) */
    pf->kind = (uint8_t)kind;
    if (kind != PAYLOAD_NONE)
        meta_take(p, pf, kind);
}

void payload_packet(void *ctx, uint32_t slot, int dir, const struct flow *f, const struct pkt *pkt,
                    bool first)
{
    struct payload *p = ctx;
    struct payload_flow *pf = &p->flows[slot];
    if (first) {
        payload_flow_end(p, slot); /* nothing is held by then; this only makes sure */
        memset(pf, 0, sizeof(*pf));
    }
    struct payload_dir *d = &pf->d[dir];
    if (pkt->frag == PKT_FRAG_LATER)
        return; /* no transport header: the bytes are not where the stream is */
    if (pkt->proto == 6 && (pkt->tcp_flags & 0x02) && !(d->flags & DIR_HAVE_ISN)) {
        d->next_seq = pkt->tcp_seq + 1; /* the SYN takes one sequence number */
        d->flags |= DIR_HAVE_ISN;
    }
    if (pkt->payload_caplen == 0)
        return;
    if (p->cfg.prefix != 0)
        bytedist_packet(p, d, pkt);
    if (!p->cfg.handshakes)
        return;
    if (pf->kind == PAYLOAD_UNKNOWN)
        classify(p, pf, f, dir, pkt);
    switch ((enum payload_kind)pf->kind) {
    case PAYLOAD_DNS:
        if (pkt->proto == 17)
            dns_message(p, pf, pkt->payload, pkt->payload_caplen, pkt->ts_ns);
        else if (d->state != STREAM_DONE)
            dns_tcp(p, pf, d, pkt);
        break;
    case PAYLOAD_HTTP:
        if (dir == FLOW_DIR_CLIENT && d->state != STREAM_DONE)
            http_client(p, pf, d, pkt);
        break;
    case PAYLOAD_SSH:
        if (d->state != STREAM_DONE)
            ssh_stream(p, pf, dir, pkt);
        else if (pf->meta != 0)
            ssh_dynamics(&meta_of(p, pf)->u.ssh, dir, pkt);
        break;
    case PAYLOAD_TLS:
        tls_peer_moved_on(p, pf, dir);
        if (d->state != STREAM_DONE)
            tls_stream(p, pf, dir, pkt);
        break;
    case PAYLOAD_QUIC:
        if (dir == FLOW_DIR_CLIENT)
            quic_datagram(p, pf, pkt);
        break;
    case PAYLOAD_UNKNOWN:
    case PAYLOAD_NONE:
    case PAYLOAD_KINDS:
        break;
    }
}

void payload_prefetch(void *ctx, uint32_t slot)
{
    const struct payload *p = ctx;
    region_prefetch(&p->flows[slot], sizeof(struct payload_flow));
}

void payload_prefetch_late(const struct payload *p, uint32_t slot, int dir, const struct pkt *pkt)
{
    const struct payload_dir *d = &p->flows[slot].d[dir];
    if (pkt->payload_caplen == 0)
        return;
    /* The histogram the bytes will be counted into: any of its lines. */
    if (d->hist != 0 && !(d->bd_flags & (BD_COMPLETE | BD_UNMEASURED))) {
        const struct pool *pool = (d->bd_flags & BD_RAW) ? p->raws : p->hists;
        size_t len = (d->bd_flags & BD_RAW) ? BD_RAW_CAP : hist_size(p->cfg.prefix);
        region_prefetch(pool_at(pool, d->hist), len);
    }
}

void payload_flow_end(struct payload *p, uint32_t slot)
{
    struct payload_flow *pf = &p->flows[slot];
    for (int i = 0; i < 2; i++) {
        struct payload_dir *d = &pf->d[i];
        if (d->hist != 0)
            bytedist_give(p, d);
        if (d->stream != 0) {
            /* A handshake still arriving when its flow ended (a held SSH buffer is read). */
            p->counters[PC_STREAM_UNFINISHED] += d->state == STREAM_OPEN;
            stream_close(p, d);
        }
    }
    meta_give(p, pf);
}

const char *payload_server_name(struct payload *p, uint32_t slot, const struct flow *f)
{
    const struct payload_meta *m = meta_of(p, &p->flows[slot]);
    if (m != NULL && m->kind == PAYLOAD_TLS && m->u.tls.client.sni[0] != '\0')
        return m->u.tls.client.sni;
    if (m != NULL && m->kind == PAYLOAD_QUIC && m->u.quic.client.sni[0] != '\0')
        return m->u.quic.client.sni;
    if (m != NULL && m->kind == PAYLOAD_HTTP && m->u.http.host[0] != '\0')
        return m->u.http.host;
    if (p->names == NULL)
        return NULL;
    return dns_names_find(p->names, flow_server_addr(f), f->key.ip_version == 6 ? 16 : 4);
}

void payload_counters(const struct payload *p, void (*fn)(void *ctx, const char *name, uint64_t v),
                      void *ctx)
{
    for (int i = 0; i < PC_COUNT; i++)
        fn(ctx, counter_names[i], p->counters[i]);
    for (int i = 1; i < HS_DNS_STATUS_COUNT; i++)
        fn(ctx, hs_dns_status_name((enum hs_dns_status)i), p->dns_status[i]);
    for (int i = 1; i < HS_SSH_STATUS_COUNT; i++)
        fn(ctx, hs_ssh_status_name((enum hs_ssh_status)i), p->ssh_status[i]);
    for (int i = 1; i < HS_TLS_STATUS_COUNT; i++)
        fn(ctx, hs_tls_status_name((enum hs_tls_status)i), p->tls_status[i]);
    for (int i = 1; i < HS_QUIC_STATUS_COUNT; i++)
        fn(ctx, hs_quic_status_name((enum hs_quic_status)i), p->quic_status[i]);
    pool_counters(p->hists, "bytedist_buffers", fn, ctx);
    pool_counters(p->raws, "bytedist_raw_buffers", fn, ctx);
    pool_counters(p->streams, "stream_buffers", fn, ctx);
    struct pool_stats total = {0};
    for (int k = PAYLOAD_DNS; k < PAYLOAD_KINDS; k++) {
        struct pool_stats st;
        pool_stats(p->metas[k], &st);
        total.in_use += st.in_use;
        total.max_used += st.max_used; /* an upper bound of the records held at once */
        pool_counters(p->metas[k], meta_names[k], fn, ctx);
    }
    fn(ctx, "meta_records_in_use", total.in_use);
    fn(ctx, "meta_records_max_used", total.max_used);
    if (p->names != NULL) {
        struct dns_names_stats st;
        dns_names_stats(p->names, &st);
        fn(ctx, "dns_names_inserted", st.inserted);
        fn(ctx, "dns_names_replaced", st.replaced);
        fn(ctx, "dns_names_hits", st.hits);
    }
}

size_t payload_memory(const struct payload *p)
{
    size_t n = p->cfg.max_flows ? p->cfg.max_flows : 1;
    return sizeof(*p) + n * sizeof(struct payload_flow) + pool_memory(p->hists) +
           pool_memory(p->raws) + pool_memory(p->streams) +
           (p->names != NULL ? dns_names_memory(p->names) : 0) + metas_memory(p);
}
