/*
 * Features: the per-slot array of struct flow_features and its one-pass update. It owns no flow
 * lifetime: the flow table says when a slot's flow starts (first packet) and the sinks read a
 * slot's measurements at its events. Formulas and edge cases: docs/FEATURES.md.
 */
#include "sensor/features.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/pool.h"
#include "common/region.h"
#include "sensor/decode.h"

/*
 * A slot's SPLT: its first FEAT_SPLT_INLINE entries in one cache line of the slot's own (most
 * flows stop there: in docs/BENCHMARKS.md's capture, half the live flows have fewer), and the
 * rest in a record lent from a pool when the flow gets that far: the times (uint32), the
 * lengths (uint16) and the direction bits of splt_len - FEAT_SPLT_INLINE entries. A full
 * default SPLT costs what one array of 50 entries did; a short one, one line.
 */
#define FEAT_SPLT_INLINE 8

struct splt_line {
    uint64_t last_ts; /* time of the latest entry, ns */
    uint32_t rec;     /* pool id of the record of the later entries; 0 = none */
    uint8_t n;        /* entries so far (FEAT_SPLT_MAX fits) */
    uint8_t dirs;     /* direction bits of the inline entries */
    uint16_t len[FEAT_SPLT_INLINE];
    uint32_t iat[FEAT_SPLT_INLINE];
};
_Static_assert(sizeof(struct splt_line) == 64, "struct splt_line: one cache line");
_Static_assert(FEAT_SPLT_MAX <= UINT8_MAX, "struct splt_line.n");

struct features {
    struct features_config cfg;
    struct flow_features *slots;
    struct splt_line *splt; /* max_flows lines, NULL when the SPLT is off */
    struct region slots_mem, splt_mem;
    struct pool *splt_recs; /* records of the entries after the inline ones */
    uint32_t rec_entries;   /* entries a record holds */
    uint64_t splt_cut;      /* SPLTs cut short because no record was free */
};

/* Offsets in a record of @m entries: times first (4-byte aligned), then lengths, then bits. */
static size_t rec_len_off(uint32_t m)
{
    return 4u * m;
}

static size_t rec_dirs_off(uint32_t m)
{
    return 6u * m;
}

struct features *features_create(const struct features_config *cfg, struct log *log)
{
    if (cfg->splt_len > FEAT_SPLT_MAX) {
        log_err(log, "features: splt_len=%u over %d", cfg->splt_len, FEAT_SPLT_MAX);
        return NULL;
    }
    size_t n = cfg->max_flows ? cfg->max_flows : 1;
    struct features *fs = calloc(1, sizeof(*fs));
    if (fs == NULL)
        goto out_oom;
    fs->cfg = *cfg;
    fs->slots = region_map(&fs->slots_mem, n * sizeof(*fs->slots), REGION_SMALL_PAGES);
    if (fs->slots == NULL)
        goto out_free;
    if (cfg->splt_len > 0) {
        fs->splt = region_map(&fs->splt_mem, n * sizeof(*fs->splt), REGION_SMALL_PAGES);
        if (fs->splt == NULL)
            goto out_free;
        /* One record per slot at most: the pool cannot run dry, but a flow that finds it dry
         * anyway keeps its inline entries and is counted (splt_cut). */
        fs->rec_entries = cfg->splt_len > FEAT_SPLT_INLINE ? cfg->splt_len - FEAT_SPLT_INLINE : 0;
        if (fs->rec_entries > 0) {
            uint32_t m = fs->rec_entries;
            fs->splt_recs =
                    pool_create("splt records", (uint32_t)n, rec_dirs_off(m) + (m + 7) / 8, log);
            if (fs->splt_recs == NULL)
                goto out_free;
        }
    }
    return fs;

out_free:
    region_unmap(&fs->slots_mem);
    region_unmap(&fs->splt_mem);
    free(fs);
out_oom:
    log_err(log, "features: out of memory for max_flows=%u", cfg->max_flows);
    return NULL;
}

void features_destroy(struct features **fp)
{
    if (fp == NULL || *fp == NULL)
        return;
    pool_destroy(&(*fp)->splt_recs);
    region_unmap(&(*fp)->slots_mem);
    region_unmap(&(*fp)->splt_mem);
    free(*fp);
    *fp = NULL;
}

/* Welford's update: numerically stable, one pass, and the same bits for the same packets. */
static void welford(double *mean, double *m2, uint32_t n, double x)
{
    double delta = x - *mean;
    *mean += delta / n;
    *m2 += delta * (x - *mean);
}

static void count_flags(struct feat_dir *d, uint8_t flags)
{
    static const uint8_t bit[FEAT_FLAGS] = {TCP_SYN, TCP_FIN, TCP_RST, TCP_PSH,
                                            TCP_URG, TCP_ECE, TCP_CWR};
    for (int i = 0; i < FEAT_FLAGS; i++)
        d->tcp_flags[i] += (flags & bit[i]) != 0;
}

/* Sequence-number comparisons modulo 2^32 (RFC 9293, section 3.4). */
static bool seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

static bool seq_leq(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) <= 0;
}

/*
 * Retransmission, reordering and keep-alive, from sequence space alone (no record of past
 * segments): @d is the sending direction, @peer the other one (its max_ack is what the receiver
 * has acknowledged). Definitions in docs/FEATURES.md.
 */
static bool tcp_sequence(const struct features *fs, const struct flow_features *ff,
                         struct feat_dir *d, const struct feat_dir *peer, const struct pkt *pkt)
{
    uint8_t fl = pkt->tcp_flags;
    uint32_t len = pkt->payload_len + ((fl & TCP_SYN) != 0) + ((fl & TCP_FIN) != 0);
    uint32_t seq = pkt->tcp_seq;
    uint32_t end = seq + len;
    if (len == 0 || (fl & TCP_RST))
        return false;
    if (!d->have_seq || !seq_lt(seq, d->next_seq)) {
        /* New sequence space (a gap before it, if any, was lost before the sensor or is late). */
        d->have_seq = 1;
        d->next_seq = end;
        d->last_seq = seq;
        d->next_seq_ts = pkt->ts_ns;
        return false;
    }
    if (pkt->payload_len <= 1 && !(fl & (TCP_SYN | TCP_FIN)) && seq == d->next_seq - 1) {
        d->keepalives++;
        return true;
    }
    if (seq_lt(d->next_seq, end)) {
        /* Starts in old space, ends in new: a retransmission that carries new data too. */
        d->retransmits++;
        d->next_seq = end;
        d->last_seq = seq;
        d->next_seq_ts = pkt->ts_ns;
        return true;
    }
    /* Entirely old space. Acknowledged already: the receiver had it, so it was sent before.
     * Overlapping the latest new segment: a copy of it. Otherwise a hole below the latest data:
     * filled soon after that data it is reordering, later a retransmission (the sender timed
     * out or saw duplicate ACKs). */
    uint64_t rtt = ff->ack_ts != 0 ? ff->ack_ts - ff->syn_ts : fs->cfg.reorder_ns;
    bool acked = peer->have_ack && seq_leq(end, peer->max_ack);
    /* Two or more duplicate ACKs asking for exactly this segment: a fast retransmit (RFC 5681). */
    bool asked = peer->have_ack && peer->max_ack == seq && peer->dup_acks >= 2;
    bool hole = seq_leq(end, d->last_seq);
    if (hole && !acked && !asked && pkt->ts_ns >= d->next_seq_ts &&
        pkt->ts_ns - d->next_seq_ts < rtt) {
        d->out_of_order++;
        return false; /* late, but its data is seen here for the first time */
    }
    d->retransmits++;
    return true;
}

/*
 * The running RTT estimate (RFC 6298's smoothing, Karn's rule): one data segment per direction
 * at a time is timed from when the sensor sees it to when the sensor sees the peer's ACK
 * covering it. @d sends, @peer acknowledges.
 */
static void rtt_on_data(struct feat_dir *d, const struct pkt *pkt, bool resent)
{
    if (resent) {
        d->rtt_probe_ts = 0; /* Karn: an ACK after a resend cannot say which copy it answers */
        return;
    }
    if (d->rtt_probe_ts == 0 && pkt->payload_len > 0) {
        d->rtt_probe_ts = pkt->ts_ns;
        d->rtt_probe_end = pkt->tcp_seq + pkt->payload_len;
    }
}

static void rtt_on_ack(struct feat_dir *d, const struct pkt *pkt)
{
    if (d->rtt_probe_ts == 0 || !seq_leq(d->rtt_probe_end, pkt->tcp_ack) ||
        pkt->ts_ns < d->rtt_probe_ts)
        return;
    double r = (double)(pkt->ts_ns - d->rtt_probe_ts);
    d->srtt = d->rtt_samples == 0 ? r : d->srtt + (r - d->srtt) / 8; /* alpha = 1/8 */
    d->rtt_samples++;
    d->rtt_probe_ts = 0;
}

/* TCP measurements of one segment; returns true when it repeats sequence space sent before. */
static bool tcp_update(const struct features *fs, struct flow_features *ff, struct feat_dir *d,
                       int dir, const struct pkt *pkt)
{
    uint8_t fl = pkt->tcp_flags;
    count_flags(d, fl);
    if (!d->seen_tcp) {
        d->seen_tcp = 1;
        d->init_window = pkt->tcp_window;
    }
    if (pkt->tcp_window == 0 && !(fl & (TCP_SYN | TCP_RST)))
        d->zero_window++;
    bool resent = tcp_sequence(fs, ff, d, &ff->dir[!dir], pkt);
    if (!(fl & (TCP_SYN | TCP_RST)))
        rtt_on_data(d, pkt, resent);
    if (fl & TCP_ACK)
        rtt_on_ack(&ff->dir[!dir], pkt);
    if (fl & TCP_ACK) {
        if (!d->have_ack || seq_lt(d->max_ack, pkt->tcp_ack)) {
            d->max_ack = pkt->tcp_ack;
            d->dup_acks = 0;
        } else if (pkt->tcp_ack == d->max_ack && pkt->payload_len == 0 &&
                   !(fl & (TCP_SYN | TCP_FIN | TCP_RST)) && d->dup_acks < UINT16_MAX) {
            d->dup_acks++;
        }
        d->have_ack = 1;
    }
    if ((fl & TCP_SYN) && !d->seen_syn) {
        d->seen_syn = 1;
        d->syn_optmask = pkt->tcp_optmask;
        d->syn_mss = pkt->tcp_mss;
        d->syn_wscale = pkt->tcp_wscale;
    }
    /* The handshake: the first SYN, the first SYN-ACK after it, the first ACK after that. */
    if (dir == FLOW_DIR_CLIENT && (fl & (TCP_SYN | TCP_ACK)) == TCP_SYN && ff->syn_ts == 0)
        ff->syn_ts = pkt->ts_ns;
    else if (dir == FLOW_DIR_SERVER && (fl & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK) &&
             ff->syn_ts != 0 && ff->synack_ts == 0 && pkt->ts_ns >= ff->syn_ts)
        ff->synack_ts = pkt->ts_ns;
    else if (dir == FLOW_DIR_CLIENT && (fl & (TCP_SYN | TCP_ACK)) == TCP_ACK &&
             ff->synack_ts != 0 && ff->ack_ts == 0 && pkt->ts_ns >= ff->synack_ts)
        ff->ack_ts = pkt->ts_ns;
    return resent;
}

/* Appends a packet to the slot's SPLT while there is room. */
static void splt_add(struct features *fs, uint32_t slot, int dir, const struct pkt *pkt)
{
    struct splt_line *l = &fs->splt[slot];
    uint32_t i = l->n;
    if (i >= fs->cfg.splt_len)
        return;
    /* Lengths over 65535 (IPv6 jumbograms, offloaded segments) are kept as 65535. */
    uint16_t len = pkt->payload_len > UINT16_MAX ? UINT16_MAX : (uint16_t)pkt->payload_len;
    uint64_t gap = i > 0 && pkt->ts_ns > l->last_ts ? pkt->ts_ns - l->last_ts : 0;
    uint64_t us = gap / 1000;
    uint32_t iat = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    if (i < FEAT_SPLT_INLINE) {
        l->len[i] = len;
        l->iat[i] = iat;
        if (dir == FLOW_DIR_SERVER)
            l->dirs |= (uint8_t)(1u << i);
    } else {
        if (l->rec == 0) {
            l->rec = pool_take(fs->splt_recs);
            if (l->rec == 0) {
                fs->splt_cut++;
                l->n = (uint8_t)fs->cfg.splt_len; /* full: nothing more is added */
                return;
            }
            /* Times and lengths are written before they are read; only the bits are or-ed. */
            memset((uint8_t *)pool_at(fs->splt_recs, l->rec) + rec_dirs_off(fs->rec_entries), 0,
                   (fs->rec_entries + 7) / 8);
        }
        uint8_t *rec = pool_at(fs->splt_recs, l->rec);
        uint32_t j = i - FEAT_SPLT_INLINE;
        ((uint32_t *)rec)[j] = iat;
        ((uint16_t *)(rec + rec_len_off(fs->rec_entries)))[j] = len;
        if (dir == FLOW_DIR_SERVER)
            rec[rec_dirs_off(fs->rec_entries) + j / 8] |= (uint8_t)(1u << (j % 8));
    }
    if (i == 0 || pkt->ts_ns > l->last_ts)
        l->last_ts = pkt->ts_ns;
    l->n = (uint8_t)(i + 1);
}

/* Gives back the slot's record, if it holds one, and empties its SPLT. */
static void splt_clear(struct features *fs, uint32_t slot)
{
    struct splt_line *l = &fs->splt[slot];
    pool_give(fs->splt_recs, l->rec);
    memset(l, 0, sizeof(*l));
}

void features_flow_end(struct features *fs, uint32_t slot)
{
    if (fs->splt != NULL)
        splt_clear(fs, slot);
}

static uint32_t markov_bin(uint32_t v, uint32_t width)
{
    uint32_t b = v / width;
    return b < FEAT_MARKOV_BINS ? b : FEAT_MARKOV_BINS - 1;
}

/* Counts transitions, then divides each row by its total (McGrew and Anderson's summary of the
 * SPLT; the counts are exact integers, so the probabilities are the same bits every time). */
static void markov(const struct feat_splt *sp, bool lengths, float out[])
{
    uint32_t counts[FEAT_MARKOV_BINS * FEAT_MARKOV_BINS] = {0};
    for (uint32_t i = 1; i < sp->n; i++) {
        uint32_t from = lengths ? markov_bin(sp->lengths[i - 1], FEAT_MARKOV_LEN_BIN)
                                : markov_bin(sp->iat_us[i - 1], FEAT_MARKOV_TIME_BIN_US);
        uint32_t to = lengths ? markov_bin(sp->lengths[i], FEAT_MARKOV_LEN_BIN)
                              : markov_bin(sp->iat_us[i], FEAT_MARKOV_TIME_BIN_US);
        counts[from * FEAT_MARKOV_BINS + to]++;
    }
    for (uint32_t r = 0; r < FEAT_MARKOV_BINS; r++) {
        uint32_t total = 0;
        for (uint32_t c = 0; c < FEAT_MARKOV_BINS; c++)
            total += counts[r * FEAT_MARKOV_BINS + c];
        for (uint32_t c = 0; c < FEAT_MARKOV_BINS; c++)
            out[r * FEAT_MARKOV_BINS + c] =
                    total ? (float)counts[r * FEAT_MARKOV_BINS + c] / (float)total : 0.0f;
    }
}

void feat_splt_markov(const struct feat_splt *sp,
                      float length_markov[FEAT_MARKOV_BINS * FEAT_MARKOV_BINS],
                      float time_markov[FEAT_MARKOV_BINS * FEAT_MARKOV_BINS])
{
    markov(sp, true, length_markov);
    markov(sp, false, time_markov);
}

void features_splt(const struct features *fs, uint32_t slot, struct feat_splt_buf *buf,
                   struct feat_splt *out)
{
    memset(out, 0, sizeof(*out));
    out->lengths = buf->lengths;
    out->iat_us = buf->iat_us;
    out->dirs = buf->dirs;
    if (fs->splt == NULL)
        return;
    const struct splt_line *l = &fs->splt[slot];
    memset(buf->dirs, 0, sizeof(buf->dirs));
    uint32_t n = l->n;
    uint32_t k = n < FEAT_SPLT_INLINE ? n : FEAT_SPLT_INLINE;
    for (uint32_t i = 0; i < k; i++) {
        buf->lengths[i] = l->len[i];
        buf->iat_us[i] = l->iat[i];
    }
    buf->dirs[0] = l->dirs;
    if (l->rec != 0) {
        const uint8_t *rec = pool_at(fs->splt_recs, l->rec);
        uint32_t m = fs->rec_entries;
        for (uint32_t j = 0; k + j < n; j++) {
            uint32_t i = k + j;
            buf->iat_us[i] = ((const uint32_t *)rec)[j];
            buf->lengths[i] = ((const uint16_t *)(rec + rec_len_off(m)))[j];
            if ((rec[rec_dirs_off(m) + j / 8] >> (j % 8)) & 1)
                buf->dirs[i / 8] |= (uint8_t)(1u << (i % 8));
        }
    } else {
        n = k; /* cut short (splt_cut): the inline entries are all there is */
    }
    out->n = n;
}

void features_counters(const struct features *fs,
                       void (*fn)(void *ctx, const char *name, uint64_t v), void *ctx)
{
    fn(ctx, "splt_cut", fs->splt_cut);
    if (fs->splt_recs != NULL)
        pool_counters(fs->splt_recs, "splt_records", fn, ctx);
}

void features_packet(void *ctx, uint32_t slot, int dir, const struct flow *f, const struct pkt *pkt,
                     bool first)
{
    (void)f;
    struct features *fs = ctx;
    struct flow_features *ff = &fs->slots[slot];
    if (first)
        memset(ff, 0, sizeof(*ff));
    struct feat_dir *d = &ff->dir[dir];

    uint32_t size = pkt->payload_len;
    d->packets++;
    if (d->packets == 1 || size < d->size_min)
        d->size_min = size;
    if (size > d->size_max)
        d->size_max = size;
    welford(&d->size_mean, &d->size_m2, d->packets, (double)size);

    if (d->packets > 1) {
        /* A packet stamped before the previous one (a reordered capture) counts as a gap of 0. */
        uint64_t gap = pkt->ts_ns > d->last_ts ? pkt->ts_ns - d->last_ts : 0;
        uint32_t n = d->packets - 1; /* gaps so far */
        if (n == 1 || gap < d->iat_min)
            d->iat_min = gap;
        if (gap > d->iat_max)
            d->iat_max = gap;
        welford(&d->iat_mean, &d->iat_m2, n, (double)gap);
        if (fs->cfg.idle_gap_ns != 0 && gap > fs->cfg.idle_gap_ns)
            d->idle_gaps++;
    }
    if (d->packets == 1 || pkt->ts_ns > d->last_ts)
        d->last_ts = pkt->ts_ns;

    bool resent = false;
    if (pkt->proto == 6 && pkt->frag != PKT_FRAG_LATER)
        resent = tcp_update(fs, ff, d, dir, pkt);
    if (fs->splt != NULL) {
        if (first)
            splt_clear(fs, slot); /* empty already, unless the last flow's end was not seen */
        if ((pkt->payload_len > 0 || fs->cfg.splt_empty) && (!resent || fs->cfg.splt_resent))
            splt_add(fs, slot, dir, pkt);
    }
}

void features_prefetch(void *ctx, uint32_t slot)
{
    const struct features *fs = ctx;
    /* The SPLT line now: its record's id is read at the late stage. The measurements wait for
     * the late stage too, when the direction (half of them) is known. */
    if (fs->splt != NULL)
        __builtin_prefetch(&fs->splt[slot], 1);
}

void features_prefetch_late(const struct features *fs, uint32_t slot, int dir)
{
    const struct flow_features *ff = &fs->slots[slot];
    region_prefetch(&ff->dir[dir], sizeof(struct feat_dir));
    __builtin_prefetch(&ff->syn_ts, 1);
    if (fs->splt == NULL)
        return;
    const struct splt_line *l = &fs->splt[slot];
    if (l->rec == 0 || l->n >= fs->cfg.splt_len)
        return;
    /* Where the next entry goes in the record. */
    const uint8_t *rec = pool_at(fs->splt_recs, l->rec);
    uint32_t j = l->n - FEAT_SPLT_INLINE, m = fs->rec_entries;
    __builtin_prefetch(rec + 4u * j, 1);
    __builtin_prefetch(rec + rec_len_off(m) + 2u * j, 1);
    __builtin_prefetch(rec + rec_dirs_off(m) + j / 8, 1);
}

void features_prefetch_new(const struct features *fs, uint32_t slot)
{
    region_prefetch(&fs->slots[slot], sizeof(struct flow_features));
    if (fs->splt != NULL)
        __builtin_prefetch(&fs->splt[slot], 1);
}

const struct flow_features *features_get(const struct features *fs, uint32_t slot)
{
    return &fs->slots[slot];
}

double feat_size_stddev(const struct feat_dir *d)
{
    return d->packets < 2 ? 0.0 : sqrt(d->size_m2 / d->packets);
}

double feat_iat_stddev(const struct feat_dir *d)
{
    return d->packets < 3 ? 0.0 : sqrt(d->iat_m2 / (d->packets - 1));
}

double feat_pcr(const struct flow *f)
{
    double c = (double)f->dir[FLOW_DIR_CLIENT].payload_bytes;
    double s = (double)f->dir[FLOW_DIR_SERVER].payload_bytes;
    return c + s == 0 ? 0.0 : (c - s) / (c + s);
}

uint64_t feat_syn_synack_ns(const struct flow_features *ff)
{
    return ff->synack_ts != 0 ? ff->synack_ts - ff->syn_ts : 0;
}

uint64_t feat_synack_ack_ns(const struct flow_features *ff)
{
    return ff->ack_ts != 0 ? ff->ack_ts - ff->synack_ts : 0;
}

uint64_t feat_handshake_rtt_ns(const struct flow_features *ff)
{
    return ff->ack_ts != 0 ? ff->ack_ts - ff->syn_ts : 0;
}

uint64_t feat_rtt_ns(const struct flow_features *ff)
{
    const struct feat_dir *c = &ff->dir[FLOW_DIR_CLIENT];
    const struct feat_dir *s = &ff->dir[FLOW_DIR_SERVER];
    if (c->rtt_samples == 0 || s->rtt_samples == 0)
        return 0;
    return (uint64_t)(c->srtt + s->srtt + 0.5);
}

size_t features_memory(const struct features *fs)
{
    size_t line = fs->splt != NULL ? sizeof(*fs->splt) : 0;
    return sizeof(*fs) + (size_t)fs->cfg.max_flows * (sizeof(*fs->slots) + line) +
           (fs->splt_recs != NULL ? pool_memory(fs->splt_recs) : 0);
}
