/*
 * make_capture: builds the large capture of the flow-tracking benchmark (docs/BENCHMARKS.md)
 * from a few small real captures. It owns nothing of the sensor and links only libpcap.
 *
 * The inputs are loaded into memory once (they are a few MB). Each input's times are made
 * monotonic, start at 0, and any gap longer than --max-gap is shortened to it, so that a capture
 * assembled over years still keeps its flows live under the sensor's idle timeouts. The output
 * is a sequence of copies; a copy is one pass over one input, with every IPv4 address rewritten
 * into 10.0.0.0/8 and the low 32 bits of every IPv6 address rewritten, both from (copy number,
 * index of the original address in its input). Distinct original addresses stay distinct and no
 * two copies share an address, so every copy's flows are new flows. Inputs get equal shares of
 * the packets (a copy of the input with the fewest packets so far is scheduled next). Copy k
 * starts k * spacing after copy 0, where spacing = mean copy span / --concurrent, so that on
 * average K copies are sending at once; the copies are merged by time with a heap of one cursor
 * per live copy, so memory is the inputs plus 17 bytes per copy (one copy per pass over an input),
 * whatever the size of the output, and timestamps never go backwards.
 *
 * Checksums: the IPv4 header checksum is recomputed; TCP, UDP and ICMPv6 checksums are adjusted
 * for the new addresses (RFC 1624), so a valid one stays valid and a wrong one (loopback capture
 * with checksum offload) stays wrong. Not rewritten: addresses inside ICMP error payloads, ARP,
 * and the L4 checksum of a packet whose IPv6 routing header names another final destination.
 * Frames that are not IPv4/IPv6 over Ethernet (with up to any number of 802.1Q/802.1ad tags),
 * or that are cut before the end of their IP header, are left out: every frame written belongs
 * to a flow.
 *
 * It also estimates the peak number of flows a flow table holds while reading the output, from
 * each input's flows (first and last packet, FIN both ways or RST) and the sensor's default
 * timeouts: 300 s idle for TCP, 60 s for UDP and others, 2 s after FIN both ways or RST.
 *
 * Same options and inputs, same output bytes.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#define NS_PER_SEC 1000000000ULL
/* 2023-11-14T22:13:20Z: a fixed start so that the output does not depend on the inputs' dates. */
#define OUT_EPOCH_NS (1700000000ULL * NS_PER_SEC)
/* The sensor's defaults (sensor/sensor_config.c), for the live-flow estimate only. */
#define TCP_IDLE_NS   (300 * NS_PER_SEC)
#define UDP_IDLE_NS   (60 * NS_PER_SEC)
#define OTHER_IDLE_NS (60 * NS_PER_SEC)
#define LINGER_NS     (2 * NS_PER_SEC)
/* Resolution of the per-input live-flow profile, and points at which the total is evaluated. */
#define PROFILE_STEP_NS (NS_PER_SEC / 10)
#define ESTIMATE_POINTS 8192
/* Copies' IPv4 addresses stay inside 10.0.0.0/8. */
#define V4_BASE  0x0A000000u
#define V4_SPACE (1u << 24)
/* The inputs are held in memory: refuse more than this in total. */
#define MAX_INPUT_BYTES (1ULL << 31)
#define MAX_INPUTS      64

enum { PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMPV6 = 58 };

/* One kept frame of an input. */
struct frame {
    uint64_t ts;     /* ns since the input's first kept frame, gaps shortened */
    uint64_t off;    /* of the bytes in input->data */
    uint32_t caplen; /* bytes */
    uint32_t len;    /* bytes on the wire */
    uint32_t src;    /* index of the source address among the input's addresses */
    uint32_t dst;
    uint16_t l3;    /* offset of the IP header */
    uint16_t l4sum; /* offset of the TCP/UDP/ICMPv6 checksum to adjust; 0 = none */
    uint8_t ipv;    /* 4 or 6 */
    uint8_t udp;    /* the checksum is UDP's: 0 means "none" and stays 0 */
};

/* A flow of an input, for the distinct-flow count and the live-flow estimate. */
struct flow {
    uint64_t key[2]; /* canonical: lower (address index, port) end first; key[1] != 0 if used */
    uint64_t first;  /* ns */
    uint64_t last;
    uint8_t proto;
    uint8_t fin; /* bit 0: FIN from the lower end, bit 1: from the other */
    uint8_t rst;
};

/* Distinct addresses of one family: open addressing, the index is the order of first sight. */
struct addr_set {
    uint8_t *addrs; /* n * width bytes */
    uint32_t *slots;
    uint32_t n;
    uint32_t mask;
    uint32_t width; /* 4 or 16 */
};

struct input {
    const char *path;
    uint8_t *data;
    uint64_t data_len;
    uint64_t data_cap;
    struct frame *frames;
    uint64_t n;
    uint64_t cap;
    uint64_t read;    /* frames in the file */
    uint64_t skipped; /* not IP over Ethernet, or cut */
    uint64_t span;    /* ns, after shortening gaps */
    uint32_t snaplen;
    struct addr_set v4;
    struct addr_set v6;
    uint64_t flows;
    uint32_t *profile; /* flows live PROFILE_STEP_NS * i after the copy's start */
    uint64_t profile_len;
};

struct options {
    const char *out;
    uint64_t packets;
    uint64_t concurrent;
    uint64_t max_gap_ns;
    uint64_t weight[MAX_INPUTS]; /* share of the packets; 1 each unless --weights */
};

/* Where one live copy is in its input. */
struct cursor {
    uint64_t ts; /* output time of the next frame, ns */
    uint32_t copy;
    uint32_t pos;
};

struct plan {
    uint8_t *input_of; /* input of each copy */
    uint64_t copies;
    uint64_t spacing; /* ns between copy starts */
    uint64_t end;     /* ns of the last frame after copy 0's first */
    uint64_t v4_block;
    uint64_t v6_block;
};

static void die_oom(void)
{
    fprintf(stderr, "make_capture: out of memory\n");
    exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (p == NULL)
        die_oom();
    return p;
}

static void *grow(void *p, uint64_t *cap, uint64_t need, size_t size)
{
    if (need <= *cap)
        return p;
    uint64_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    p = realloc(p, (size_t)(c * size));
    if (p == NULL)
        die_oom();
    *cap = c;
    return p;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* splitmix64's finaliser: enough mixing for tables of a few hundred thousand entries. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < n; i++)
        h = mix64(h ^ p[i]);
    return h;
}

static void addr_set_init(struct addr_set *s, uint32_t width, uint64_t max_entries)
{
    uint64_t n = 16;
    while (n < 2 * max_entries)
        n *= 2;
    s->width = width;
    s->mask = (uint32_t)(n - 1);
    s->n = 0;
    s->slots = xcalloc((size_t)n, sizeof(*s->slots)); /* 0 = empty, else index + 1 */
    s->addrs = xcalloc((size_t)max_entries ? (size_t)max_entries : 1, width);
}

static uint32_t addr_set_index(struct addr_set *s, const uint8_t *a)
{
    uint32_t i = (uint32_t)hash_bytes(a, s->width) & s->mask;
    while (s->slots[i] != 0) {
        uint32_t idx = s->slots[i] - 1;
        if (memcmp(s->addrs + (size_t)idx * s->width, a, s->width) == 0)
            return idx;
        i = (i + 1) & s->mask;
    }
    memcpy(s->addrs + (size_t)s->n * s->width, a, s->width);
    s->slots[i] = ++s->n;
    return s->n - 1;
}

static void addr_set_free(struct addr_set *s)
{
    free(s->addrs);
    free(s->slots);
}

/* What parse_ip() learns of a frame besides its struct frame fields. */
struct l4_info {
    uint8_t proto;
    bool has_ports;
    uint16_t sport;
    uint16_t dport;
    uint8_t tcp_flags;
    bool later_fragment; /* counted to its first fragment's flow, as the sensor does */
};

/* Fills ports, flags and the checksum offset from the L4 header at @l4 (first fragment only). */
static void parse_l4(const uint8_t *b, uint32_t caplen, uint32_t l4, struct frame *f,
                     struct l4_info *li)
{
    uint32_t sum = 0;
    if ((li->proto == PROTO_TCP || li->proto == PROTO_UDP) && caplen >= l4 + 4) {
        li->has_ports = true;
        li->sport = rd16(b + l4);
        li->dport = rd16(b + l4 + 2);
    }
    if (li->proto == PROTO_TCP) {
        sum = l4 + 16;
        if (caplen >= l4 + 14)
            li->tcp_flags = b[l4 + 13];
    } else if (li->proto == PROTO_UDP) {
        sum = l4 + 6;
        f->udp = 1;
    } else if (li->proto == PROTO_ICMPV6) {
        sum = l4 + 2;
    }
    /* An ICMPv4 checksum does not cover the addresses: nothing to adjust. */
    if (sum != 0 && sum + 2 <= caplen && sum <= UINT16_MAX)
        f->l4sum = (uint16_t)sum;
}

static bool parse_ipv4(const uint8_t *b, uint32_t caplen, uint32_t l3, struct frame *f,
                       struct l4_info *li)
{
    if (caplen < l3 + 20 || b[l3] >> 4 != 4)
        return false;
    uint32_t ihl = (uint32_t)(b[l3] & 0x0f) * 4;
    if (ihl < 20 || caplen < l3 + ihl)
        return false;
    f->ipv = 4;
    li->proto = b[l3 + 9];
    if ((rd16(b + l3 + 6) & 0x1fff) == 0)
        parse_l4(b, caplen, l3 + ihl, f, li);
    else
        li->later_fragment = true;
    return true;
}

static bool parse_ipv6(const uint8_t *b, uint32_t caplen, uint32_t l3, struct frame *f,
                       struct l4_info *li)
{
    if (caplen < l3 + 40 || b[l3] >> 4 != 6)
        return false;
    f->ipv = 6;
    uint8_t nh = b[l3 + 6];
    uint32_t l4 = l3 + 40;
    /* Hop-by-hop, routing, destination options, fragment, AH: walk to the upper layer. */
    for (;;) {
        if (nh == 0 || nh == 43 || nh == 60 || nh == 51) {
            if (caplen < l4 + 2)
                break;
            uint32_t hlen =
                    nh == 51 ? ((uint32_t)b[l4 + 1] + 2) * 4 : ((uint32_t)b[l4 + 1] + 1) * 8;
            nh = b[l4];
            l4 += hlen;
        } else if (nh == 44) {
            if (caplen < l4 + 8)
                break;
            bool later = (rd16(b + l4 + 2) & 0xfff8) != 0;
            nh = b[l4];
            l4 += 8;
            if (later) {
                li->proto = nh;
                li->later_fragment = true;
                return true;
            }
        } else {
            li->proto = nh;
            parse_l4(b, caplen, l4, f, li);
            return true;
        }
    }
    li->proto = nh;
    return true;
}

static uint64_t flow_hash(const uint64_t key[2])
{
    return mix64(key[0] ^ mix64(key[1]));
}

/* Finds or adds the flow of @key in the open-addressing table @t of @mask + 1 entries. */
static struct flow *flow_find(struct flow *t, uint64_t mask, const uint64_t key[2], bool *added)
{
    uint64_t i = flow_hash(key) & mask;
    while (t[i].key[1] != 0) {
        if (t[i].key[0] == key[0] && t[i].key[1] == key[1]) {
            *added = false;
            return &t[i];
        }
        i = (i + 1) & mask;
    }
    t[i].key[0] = key[0];
    t[i].key[1] = key[1];
    *added = true;
    return &t[i];
}

/* Counts the frame to its flow: (address index, port) ends ordered so both directions match. */
static void flow_account(struct input *in, struct flow *t, uint64_t mask, const struct frame *f,
                         const struct l4_info *li)
{
    uint64_t a = (uint64_t)f->src << 16 | (li->has_ports ? li->sport : 0);
    uint64_t b = (uint64_t)f->dst << 16 | (li->has_ports ? li->dport : 0);
    bool from_lower = a <= b;
    uint64_t key[2] = {from_lower ? a : b, from_lower ? b : a};
    /* key[1] carries the family and protocol, and is never 0: 0 marks an empty entry. */
    key[1] |= (uint64_t)f->ipv << 56 | (uint64_t)li->proto << 48 | 1ULL << 63;
    bool added;
    struct flow *fl = flow_find(t, mask, key, &added);
    if (added) {
        fl->first = f->ts;
        fl->proto = li->proto;
        in->flows++;
    }
    fl->last = f->ts;
    if (li->proto == PROTO_TCP) {
        if (li->tcp_flags & 0x01)
            fl->fin |= from_lower ? 1 : 2;
        if (li->tcp_flags & 0x04)
            fl->rst = 1;
    }
}

/* Finds the IP header behind Ethernet and any VLAN tags; false if the frame is not IP. */
static bool parse_frame(const uint8_t *b, uint32_t caplen, struct frame *f, struct l4_info *li)
{
    if (caplen < 14)
        return false;
    uint32_t off = 14;
    uint16_t type = rd16(b + 12);
    while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
        if (caplen < off + 4)
            return false;
        type = rd16(b + off + 2);
        off += 4;
    }
    if (off > UINT16_MAX)
        return false;
    f->l3 = (uint16_t)off;
    if (type == 0x0800)
        return parse_ipv4(b, caplen, off, f, li);
    if (type == 0x86dd)
        return parse_ipv6(b, caplen, off, f, li);
    return false;
}

static void add_frame(struct input *in, const struct pcap_pkthdr *h, const uint8_t *bytes,
                      uint64_t ts_ns)
{
    in->data = grow(in->data, &in->data_cap, in->data_len + h->caplen, 1);
    in->frames = grow(in->frames, &in->cap, in->n + 1, sizeof(*in->frames));
    struct frame *f = &in->frames[in->n++];
    memset(f, 0, sizeof(*f));
    f->ts = ts_ns;
    f->off = in->data_len;
    f->caplen = h->caplen;
    f->len = h->len;
    memcpy(in->data + in->data_len, bytes, h->caplen);
    in->data_len += h->caplen;
}

/* Reads every frame of the input; times are raw ns since the epoch here. */
static int load_frames(struct input *in)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p =
            pcap_open_offline_with_tstamp_precision(in->path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (p == NULL) {
        fprintf(stderr, "make_capture: pcap_open_offline(%s): %s\n", in->path, errbuf);
        return -1;
    }
    if (pcap_datalink(p) != DLT_EN10MB) {
        fprintf(stderr, "make_capture: %s: link type %s, only Ethernet is supported\n", in->path,
                pcap_datalink_val_to_name(pcap_datalink(p)));
        pcap_close(p);
        return -1;
    }
    in->snaplen = (uint32_t)pcap_snapshot(p);
    struct pcap_pkthdr *h;
    const u_char *bytes;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &bytes)) == 1) {
        in->read++;
        uint64_t ts = (uint64_t)h->ts.tv_sec * NS_PER_SEC + (uint64_t)h->ts.tv_usec;
        add_frame(in, h, bytes, ts);
        if (in->data_len > MAX_INPUT_BYTES) {
            fprintf(stderr, "make_capture: %s: inputs over %llu bytes\n", in->path,
                    (unsigned long long)MAX_INPUT_BYTES);
            pcap_close(p);
            return -1;
        }
    }
    if (rc == -1)
        fprintf(stderr, "make_capture: %s: read error after %llu frames (kept): %s\n", in->path,
                (unsigned long long)in->read, pcap_geterr(p));
    pcap_close(p);
    return 0;
}

/* Adds the flow's interval in the table (first packet to timeout) to the profile's difference
 * array. */
static void profile_add(int64_t *diff, uint64_t len, const struct flow *fl)
{
    uint64_t wait = fl->rst || fl->fin == 3  ? LINGER_NS
                    : fl->proto == PROTO_TCP ? TCP_IDLE_NS
                    : fl->proto == PROTO_UDP ? UDP_IDLE_NS
                                             : OTHER_IDLE_NS;
    uint64_t b0 = (fl->first + PROFILE_STEP_NS - 1) / PROFILE_STEP_NS;
    uint64_t b1 = (fl->last + wait + PROFILE_STEP_NS - 1) / PROFILE_STEP_NS;
    if (b1 > len)
        b1 = len;
    if (b0 >= b1)
        return;
    diff[b0]++;
    diff[b1]--;
}

/*
 * Keeps the IP frames, makes times monotonic from 0 with gaps of at most @max_gap_ns, indexes
 * the addresses, and counts flows into the live-flow profile.
 */
static int index_input(struct input *in, uint64_t max_gap_ns)
{
    uint64_t kept = 0, prev_raw = 0, now = 0;
    uint64_t fmask = 16;
    while (fmask < 2 * in->n)
        fmask *= 2;
    struct flow *flows = xcalloc((size_t)fmask, sizeof(*flows));
    fmask--;
    addr_set_init(&in->v4, 4, 2 * in->n);
    addr_set_init(&in->v6, 16, 2 * in->n);
    for (uint64_t i = 0; i < in->n; i++) {
        struct frame f = in->frames[i];
        struct l4_info li = {0};
        const uint8_t *b = in->data + f.off;
        if (!parse_frame(b, f.caplen, &f, &li)) {
            in->skipped++;
            continue;
        }
        /* Times: a frame earlier than the one before it (a few µs, seen in real captures)
         * gets the same time; a long gap is shortened. */
        if (kept > 0 && f.ts > prev_raw)
            now += f.ts - prev_raw < max_gap_ns ? f.ts - prev_raw : max_gap_ns;
        if (kept == 0 || f.ts > prev_raw)
            prev_raw = f.ts;
        f.ts = now;
        struct addr_set *s = f.ipv == 4 ? &in->v4 : &in->v6;
        uint32_t a = f.ipv == 4 ? 12 : 8;
        f.src = addr_set_index(s, b + f.l3 + a);
        f.dst = addr_set_index(s, b + f.l3 + a + s->width);
        if (!li.later_fragment)
            flow_account(in, flows, fmask, &f, &li);
        in->frames[kept++] = f;
    }
    in->n = kept;
    in->span = now;
    if (kept == 0) {
        fprintf(stderr, "make_capture: %s: no IPv4 or IPv6 frames over Ethernet\n", in->path);
        free(flows);
        return -1;
    }
    in->profile_len = (now + TCP_IDLE_NS + NS_PER_SEC) / PROFILE_STEP_NS + 2;
    int64_t *diff = xcalloc((size_t)in->profile_len + 1, sizeof(*diff));
    for (uint64_t i = 0; i <= fmask; i++)
        if (flows[i].key[1] != 0)
            profile_add(diff, in->profile_len, &flows[i]);
    in->profile = xcalloc((size_t)in->profile_len, sizeof(*in->profile));
    int64_t live = 0;
    for (uint64_t i = 0; i < in->profile_len; i++) {
        live += diff[i];
        in->profile[i] = (uint32_t)live;
    }
    free(diff);
    free(flows);
    return 0;
}

/* Packet shares by weight: each copy goes to the input with the fewest packets per unit of
 * weight once the copy is added (stride scheduling), so the shares hold all along the output. */
static int make_plan(struct input *ins, int nin, const struct options *o, struct plan *pl)
{
    uint64_t sched[MAX_INPUTS] = {0}, total = 0, span_sum = 0, cap = 0;
    memset(pl, 0, sizeof(*pl));
    for (int i = 0; i < nin; i++) {
        pl->v4_block = ins[i].v4.n > pl->v4_block ? ins[i].v4.n : pl->v4_block;
        pl->v6_block = ins[i].v6.n > pl->v6_block ? ins[i].v6.n : pl->v6_block;
    }
    /* Every input is used at least once, however few packets are asked for. */
    int unused = nin;
    while (total < o->packets || unused > 0) {
        int best = 0;
        for (int i = 1; i < nin; i++)
            if ((double)(sched[i] + ins[i].n) / (double)o->weight[i] <
                (double)(sched[best] + ins[best].n) / (double)o->weight[best])
                best = i;
        pl->input_of = grow(pl->input_of, &cap, pl->copies + 1, 1);
        pl->input_of[pl->copies++] = (uint8_t)best;
        unused -= sched[best] == 0;
        sched[best] += ins[best].n;
        total += ins[best].n;
        span_sum += ins[best].span;
    }
    if (pl->copies * pl->v4_block > V4_SPACE || pl->copies * pl->v6_block > UINT32_MAX ||
        pl->copies > UINT32_MAX) {
        fprintf(stderr,
                "make_capture: %llu copies of up to %llu IPv4 addresses do not fit in "
                "10.0.0.0/8: ask for fewer packets\n",
                (unsigned long long)pl->copies, (unsigned long long)pl->v4_block);
        return -1;
    }
    /* Whole microseconds, so that every copy keeps its input's exact time pattern in a
     * microsecond pcap. */
    pl->spacing = span_sum / pl->copies / o->concurrent / 1000 * 1000;
    for (uint64_t k = 0; k < pl->copies; k++) {
        uint64_t end = k * pl->spacing + ins[pl->input_of[k]].span;
        pl->end = end > pl->end ? end : pl->end;
    }
    return 0;
}

/* Flows live at @t: the sum of the profiles of the copies started by then. */
static uint64_t live_at(const struct input *ins, const struct plan *pl, uint64_t t,
                        uint64_t longest)
{
    uint64_t live = 0;
    uint64_t hi = pl->spacing ? t / pl->spacing : pl->copies - 1;
    uint64_t lo = pl->spacing && t > longest ? (t - longest) / pl->spacing : 0;
    if (hi >= pl->copies)
        hi = pl->copies - 1;
    for (uint64_t k = lo; k <= hi; k++) {
        const struct input *in = &ins[pl->input_of[k]];
        uint64_t i = (t - k * pl->spacing) / PROFILE_STEP_NS;
        if (k * pl->spacing <= t && i < in->profile_len)
            live += in->profile[i];
    }
    return live;
}

static uint64_t estimate_peak(const struct input *ins, int nin, const struct plan *pl, uint64_t *at)
{
    uint64_t longest = 0, peak = 0;
    for (int i = 0; i < nin; i++)
        if (ins[i].profile_len * PROFILE_STEP_NS > longest)
            longest = ins[i].profile_len * PROFILE_STEP_NS;
    for (uint64_t g = 0; g <= ESTIMATE_POINTS; g++) {
        uint64_t t = (uint64_t)((double)pl->end * (double)g / ESTIMATE_POINTS);
        uint64_t live = live_at(ins, pl, t, longest);
        if (live > peak) {
            peak = live;
            *at = t;
        }
    }
    return peak;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') over the 16-bit words that changed. */
static uint16_t csum_adjust(uint16_t hc, const uint8_t *old, const uint8_t *new, size_t n)
{
    uint32_t s = (uint16_t)~hc;
    for (size_t i = 0; i < n; i += 2) {
        s += (uint16_t)~rd16(old + i);
        s += rd16(new + i);
    }
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static uint16_t ipv4_header_csum(const uint8_t *h, uint32_t len)
{
    uint32_t s = 0;
    for (uint32_t i = 0; i < len; i += 2)
        s += rd16(h + i);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* Copies frame @f of input @in into @buf with the addresses of copy @copy. */
static void rewrite(const struct input *in, const struct frame *f, const struct plan *pl,
                    uint64_t copy, uint8_t *buf)
{
    const uint8_t *orig = in->data + f->off;
    memcpy(buf, orig, f->caplen);
    uint8_t *ip = buf + f->l3;
    uint32_t src_at, dst_at; /* of the 32 bits that changed */
    if (f->ipv == 4) {
        src_at = 12;
        dst_at = 16;
        wr32(ip + 12, V4_BASE + (uint32_t)(copy * pl->v4_block + f->src));
        wr32(ip + 16, V4_BASE + (uint32_t)(copy * pl->v4_block + f->dst));
        uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4;
        wr16(ip + 10, 0);
        wr16(ip + 10, ipv4_header_csum(ip, ihl));
    } else {
        /* The low 32 bits of the source and of the destination. */
        src_at = 20;
        dst_at = 36;
        wr32(ip + 20, (uint32_t)(copy * pl->v6_block + f->src));
        wr32(ip + 36, (uint32_t)(copy * pl->v6_block + f->dst));
    }
    if (f->l4sum == 0)
        return;
    uint16_t hc = rd16(buf + f->l4sum);
    if (f->udp && hc == 0)
        return;
    hc = csum_adjust(hc, orig + f->l3 + src_at, ip + src_at, 4);
    hc = csum_adjust(hc, orig + f->l3 + dst_at, ip + dst_at, 4);
    /* RFC 768: a computed 0 is sent as all ones, since 0 means "no checksum". */
    wr16(buf + f->l4sum, f->udp && hc == 0 ? 0xffff : hc);
}

static void heap_sift_down(struct cursor *h, size_t n, size_t i)
{
    for (;;) {
        size_t m = i, l = 2 * i + 1, r = l + 1;
        if (l < n && (h[l].ts < h[m].ts || (h[l].ts == h[m].ts && h[l].copy < h[m].copy)))
            m = l;
        if (r < n && (h[r].ts < h[m].ts || (h[r].ts == h[m].ts && h[r].copy < h[m].copy)))
            m = r;
        if (m == i)
            return;
        struct cursor c = h[i];
        h[i] = h[m];
        h[m] = c;
        i = m;
    }
}

static void heap_push(struct cursor *h, size_t *n, struct cursor c)
{
    size_t i = (*n)++;
    h[i] = c;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p].ts < h[i].ts || (h[p].ts == h[i].ts && h[p].copy < h[i].copy))
            return;
        struct cursor t = h[p];
        h[p] = h[i];
        h[i] = t;
        i = p;
    }
}

/* The k-way merge: the heap holds every started copy and the next one to start. */
static int write_output(const struct input *ins, int nin, const struct plan *pl,
                        const struct options *o, uint64_t *written, uint64_t *bytes)
{
    uint32_t snaplen = 0;
    for (int i = 0; i < nin; i++)
        snaplen = ins[i].snaplen > snaplen ? ins[i].snaplen : snaplen;
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, (int)snaplen);
    if (dead == NULL)
        die_oom();
    pcap_dumper_t *d = pcap_dump_open(dead, o->out);
    if (d == NULL) {
        fprintf(stderr, "make_capture: pcap_dump_open(%s): %s\n", o->out, pcap_geterr(dead));
        pcap_close(dead);
        return -1;
    }
    uint8_t *buf = xcalloc(snaplen ? snaplen : 1, 1);
    struct cursor *heap = xcalloc((size_t)pl->copies + 1, sizeof(*heap));
    size_t n = 0;
    uint64_t next = 1;
    heap_push(heap, &n, (struct cursor){.ts = 0, .copy = 0, .pos = 0});
    while (n > 0) {
        struct cursor *c = &heap[0];
        const struct input *in = &ins[pl->input_of[c->copy]];
        const struct frame *f = &in->frames[c->pos];
        uint64_t ts = OUT_EPOCH_NS + c->ts;
        struct pcap_pkthdr h = {.caplen = f->caplen, .len = f->len};
        h.ts.tv_sec = (time_t)(ts / NS_PER_SEC);
        h.ts.tv_usec = (suseconds_t)(ts % NS_PER_SEC / 1000);
        rewrite(in, f, pl, c->copy, buf);
        pcap_dump((u_char *)d, &h, buf);
        (*written)++;
        *bytes += f->caplen;
        bool starting = c->pos == 0 && c->copy + 1 == next;
        uint64_t start = c->copy * pl->spacing;
        if (++c->pos < in->n) {
            c->ts = start + in->frames[c->pos].ts;
        } else {
            heap[0] = heap[--n];
        }
        heap_sift_down(heap, n, 0);
        if (starting && next < pl->copies) {
            heap_push(heap, &n,
                      (struct cursor){.ts = next * pl->spacing, .copy = (uint32_t)next, .pos = 0});
            next++;
        }
    }
    free(heap);
    free(buf);
    int rc = pcap_dump_flush(d);
    if (rc != 0 || ferror(pcap_dump_file(d))) {
        fprintf(stderr, "make_capture: writing %s failed: %s\n", o->out, strerror(errno));
        rc = -1;
    }
    pcap_dump_close(d);
    pcap_close(dead);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: make_capture -o OUT.pcap [options] INPUT...\n"
               "Builds a large Ethernet pcap of many distinct flows from INPUT captures (pcap or\n"
               "pcapng, Ethernet): copies of each input with rewritten addresses, interleaved.\n"
               "  -o, --output FILE       output pcap (\"-\" = stdout)\n"
               "  -n, --packets N         write at least N packets (default 10000000)\n"
               "  -k, --concurrent K      copies sending at once, on average (default 1024)\n"
               "  -g, --max-gap SECONDS   shorten longer gaps in an input to this (default 0.5)\n"
               "  -w, --weights W1,W2,..  packet share of each input (default 1 each)\n"
               "  -h, --help\n");
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
        return false;
    *out = v;
    return true;
}

/* "3,1,2": one positive integer per input; NULL gives 1 each. */
static int parse_weights(const char *list, int nin, uint64_t *w)
{
    for (int i = 0; i < nin; i++)
        w[i] = 1;
    if (list == NULL)
        return 0;
    const char *p = list;
    for (int i = 0; i < nin; i++) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno != 0 || end == p || *p == '-' || v == 0 || v > 1000000 ||
            (*end != (i + 1 < nin ? ',' : '\0'))) {
            fprintf(stderr, "make_capture: --weights '%s': expected %d positive integers\n", list,
                    nin);
            return -1;
        }
        w[i] = v;
        p = end + 1;
    }
    return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
            {"output", required_argument, NULL, 'o'},
            {"packets", required_argument, NULL, 'n'},
            {"concurrent", required_argument, NULL, 'k'},
            {"max-gap", required_argument, NULL, 'g'},
            {"weights", required_argument, NULL, 'w'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
    };
    *o = (struct options){.packets = 10000000, .concurrent = 1024, .max_gap_ns = NS_PER_SEC / 2};
    const char *weights = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "o:n:k:g:w:h", longopts, NULL)) != -1) {
        double gap;
        char *end;
        switch (c) {
        case 'o':
            o->out = optarg;
            break;
        case 'n':
            if (!parse_u64(optarg, &o->packets) || o->packets == 0)
                goto bad;
            break;
        case 'k':
            if (!parse_u64(optarg, &o->concurrent) || o->concurrent == 0)
                goto bad;
            break;
        case 'g':
            gap = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !(gap >= 0.000001 && gap <= 86400))
                goto bad;
            o->max_gap_ns = (uint64_t)llround(gap * 1e9);
            break;
        case 'w':
            weights = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (o->out == NULL || optind >= argc || argc - optind > MAX_INPUTS) {
        usage(stderr);
        return -1;
    }
    return parse_weights(weights, argc - optind, o->weight);
bad:
    fprintf(stderr, "make_capture: bad value for -%c: '%s'\n", c, optarg);
    return -1;
}

static void print_summary(FILE *out, const struct input *ins, int nin, const struct plan *pl,
                          const struct options *o, uint64_t written, uint64_t bytes)
{
    uint64_t copies[MAX_INPUTS] = {0}, flows = 0, peak_at = 0;
    for (uint64_t k = 0; k < pl->copies; k++) {
        copies[pl->input_of[k]]++;
        flows += ins[pl->input_of[k]].flows;
    }
    for (int i = 0; i < nin; i++) {
        const struct input *in = &ins[i];
        fprintf(out,
                "input %s: frames %" PRIu64 ", kept %" PRIu64 ", span %.3f s, flows %" PRIu64
                ", ipv4 addresses %u, ipv6 addresses %u, copies %" PRIu64 "\n",
                in->path, in->read, in->n, (double)in->span / 1e9, in->flows, in->v4.n, in->v6.n,
                copies[i]);
    }
    uint64_t peak = estimate_peak(ins, nin, pl, &peak_at);
    fprintf(out, "output %s\n", o->out);
    fprintf(out, "  packets_written        %" PRIu64 "\n", written);
    fprintf(out, "  bytes_captured         %" PRIu64 "\n", bytes);
    fprintf(out, "  copies                 %" PRIu64 "\n", pl->copies);
    fprintf(out, "  concurrent_copies      %" PRIu64 "\n", o->concurrent);
    fprintf(out, "  copy_spacing_s         %.6f\n", (double)pl->spacing / 1e9);
    fprintf(out, "  span_s                 %.3f\n", (double)pl->end / 1e9);
    fprintf(out, "  distinct_flows         %" PRIu64 "\n", flows);
    fprintf(out, "  live_flows_peak_est    %" PRIu64 "\n", peak);
    fprintf(out, "  live_flows_peak_at_s   %.1f\n", (double)peak_at / 1e9);
}

int main(int argc, char **argv)
{
    struct options o;
    if (parse_options(argc, argv, &o) != 0)
        return 2;
    int nin = argc - optind;
    struct input *ins = xcalloc((size_t)nin, sizeof(*ins));
    struct plan pl = {0};
    uint64_t written = 0, bytes = 0;
    int rc = 1;
    for (int i = 0; i < nin; i++) {
        ins[i].path = argv[optind + i];
        if (load_frames(&ins[i]) != 0 || index_input(&ins[i], o.max_gap_ns) != 0)
            goto out;
    }
    if (make_plan(ins, nin, &o, &pl) != 0)
        goto out;
    if (write_output(ins, nin, &pl, &o, &written, &bytes) != 0)
        goto out;
    /* With the pcap on stdout, the summary goes to stderr. */
    print_summary(strcmp(o.out, "-") == 0 ? stderr : stdout, ins, nin, &pl, &o, written, bytes);
    rc = 0;
out:
    for (int i = 0; i < nin; i++) {
        free(ins[i].data);
        free(ins[i].frames);
        free(ins[i].profile);
        addr_set_free(&ins[i].v4);
        addr_set_free(&ins[i].v6);
    }
    free(ins);
    free(pl.input_of);
    return rc;
}
