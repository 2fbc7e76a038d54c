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
#include "sensor/decode.h"

struct features {
    struct features_config cfg;
    struct flow_features *slots;
};

struct features *features_create(const struct features_config *cfg, struct log *log)
{
    struct features *fs = calloc(1, sizeof(*fs));
    if (fs != NULL)
        fs->slots = calloc(cfg->max_flows ? cfg->max_flows : 1, sizeof(*fs->slots));
    if (fs == NULL || fs->slots == NULL) {
        log_err(log, "features: out of memory for max_flows=%u", cfg->max_flows);
        free(fs);
        return NULL;
    }
    fs->cfg = *cfg;
    return fs;
}

void features_destroy(struct features **fp)
{
    if (fp == NULL || *fp == NULL)
        return;
    free((*fp)->slots);
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

static void tcp_update(struct flow_features *ff, struct feat_dir *d, int dir, const struct pkt *pkt)
{
    uint8_t fl = pkt->tcp_flags;
    count_flags(d, fl);
    if (!d->seen_tcp) {
        d->seen_tcp = 1;
        d->init_window = pkt->tcp_window;
    }
    if (pkt->tcp_window == 0 && !(fl & (TCP_SYN | TCP_RST)))
        d->zero_window++;
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

    if (pkt->proto == 6 && pkt->frag != PKT_FRAG_LATER)
        tcp_update(ff, d, dir, pkt);
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

size_t features_memory(const struct features *fs)
{
    return sizeof(*fs) + (size_t)fs->cfg.max_flows * sizeof(*fs->slots);
}
