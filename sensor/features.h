/*
 * Features: the per-flow measurements of packet dynamics that need every packet, kept in a
 * per-slot array beside the flow table and updated in one pass as packets are accounted (they
 * cannot be computed afterwards). Each feature is defined in docs/FEATURES.md; this file and
 * that page must agree.
 *
 * This first part holds what needs no payload bytes: per-direction payload-size and
 * inter-arrival statistics (Welford's running mean and variance), idle gaps, TCP flag counts,
 * zero-window segments, the initial window, and the TCP handshake times.
 */
#ifndef UMBRA_SENSOR_FEATURES_H
#define UMBRA_SENSOR_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensor/flow.h"

struct log;
struct pkt;

/* Index of struct feat_dir.tcp_flags: the order the JSON and the record use. */
enum feat_flag { FEAT_SYN, FEAT_FIN, FEAT_RST, FEAT_PSH, FEAT_URG, FEAT_ECE, FEAT_CWR, FEAT_FLAGS };

/* One direction's measurements. Sizes are transport payload bytes; times are ns. */
struct feat_dir {
    uint32_t size_min;  /* smallest payload of a packet of this direction */
    uint32_t size_max;  /* largest */
    double size_mean;   /* running mean, bytes */
    double size_m2;     /* sum of squared deviations (Welford), for the variance */
    uint64_t iat_min;   /* smallest gap between two packets of this direction, ns */
    uint64_t iat_max;   /* largest, ns */
    double iat_mean;    /* running mean, ns */
    double iat_m2;      /* Welford sum for the variance of the gaps */
    uint64_t last_ts;   /* time of the previous packet of this direction, ns */
    uint32_t packets;   /* packets seen here (the count the means are over) */
    uint32_t idle_gaps; /* gaps longer than the idle-gap threshold */
    uint32_t tcp_flags[FEAT_FLAGS];
    uint32_t zero_window;   /* TCP segments without SYN or RST advertising a zero window */
    uint16_t init_window;   /* the window field of the first TCP segment of this direction */
    uint8_t seen_tcp;       /* 1 once a TCP segment of this direction was seen */
    uint8_t syn_optmask;    /* PKT_TCPOPT_* of the direction's first SYN / SYN-ACK */
    uint16_t syn_mss;       /* its MSS option, when present */
    uint8_t syn_wscale;     /* its window-scale shift, when present */
    uint8_t seen_syn;       /* 1 once a SYN of this direction was seen */
    uint32_t retransmits;   /* segments repeating sequence space already sent (docs/FEATURES.md) */
    uint32_t out_of_order;  /* segments filling a hole shortly after the data beyond it */
    uint32_t keepalives;    /* TCP keep-alives (one byte or none, just below the next sequence) */
    uint32_t next_seq;      /* highest sequence number sent so far + 1 (snd.max) */
    uint32_t last_seq;      /* first sequence number of the segment that last advanced next_seq */
    uint32_t max_ack;       /* highest ACK number this direction sent (what it acknowledged) */
    uint8_t have_seq;       /* next_seq is set */
    uint8_t have_ack;       /* max_ack is set */
    uint16_t dup_acks;      /* pure ACKs repeating max_ack since it last advanced */
    uint64_t next_seq_ts;   /* when next_seq last advanced, ns */
    uint64_t rtt_probe_ts;  /* when the data whose ACK is awaited was sent; 0 = none awaited */
    uint32_t rtt_probe_end; /* sequence number that ACK must reach */
    uint32_t rtt_samples;   /* data/ACK pairs measured */
    double srtt;            /* smoothed time from this direction's data to the peer's ACK, ns */
};

struct flow_features {
    struct feat_dir dir[2]; /* indexed by enum flow_dir_index */
    uint64_t syn_ts;        /* the client's first SYN (without ACK), ns; 0 if not seen */
    uint64_t synack_ts;     /* the server's first SYN-ACK after it */
    uint64_t ack_ts;        /* the client's first ACK (without SYN) after the SYN-ACK */
};

/* Memory per flow is part of the design's budget (1 KiB with every feature): kept exact here
 * so a change shows, and reported in docs/FEATURES.md. */
_Static_assert(sizeof(struct feat_dir) == 176, "struct feat_dir: update docs/FEATURES.md");
_Static_assert(sizeof(struct flow_features) == 376, "struct flow_features: update docs");

struct features_config {
    uint32_t max_flows;   /* slots, as the flow table's */
    uint64_t idle_gap_ns; /* a gap between two packets of one direction longer than this counts */
    uint64_t reorder_ns;  /* a hole filled within this of the data beyond it is reordering, when
                           * the handshake RTT is unknown (with it, the RTT is the bound) */
    uint32_t splt_len;    /* packets kept in the SPLT, 0..FEAT_SPLT_MAX (0: none) */
    bool splt_empty;      /* keep zero-payload packets in the SPLT too */
    bool splt_resent;     /* keep retransmitted segments in the SPLT too */
};

#define FEAT_SPLT_MAX 200

/* A flow's SPLT (sequence of packet lengths and times), read-only view. Entry i: lengths[i]
 * payload bytes, iat_us[i] microseconds since the previous entry (0 for the first),
 * from_server(i) its direction. */
struct feat_splt {
    uint32_t n;
    const uint16_t *lengths;
    const uint32_t *iat_us;
    const uint8_t *dirs; /* bit i set: entry i went server -> client */
};

/* Room for a copy of a SPLT, which features_splt() fills (the entries are kept in pieces). */
struct feat_splt_buf {
    uint16_t lengths[FEAT_SPLT_MAX];
    uint32_t iat_us[FEAT_SPLT_MAX];
    uint8_t dirs[(FEAT_SPLT_MAX + 7) / 8];
};

static inline bool feat_splt_from_server(const struct feat_splt *s, uint32_t i)
{
    return (s->dirs[i / 8] >> (i % 8)) & 1;
}

struct features;

/* features_create() - the per-slot array. Returns NULL after logging why. */
struct features *features_create(const struct features_config *cfg, struct log *log);
void features_destroy(struct features **fp);

/* features_packet() - a flow_packet_fn: @ctx is the struct features. No allocation. */
void features_packet(void *ctx, uint32_t slot, int dir, const struct flow *f, const struct pkt *pkt,
                     bool first);

/* features_prefetch() - start fetching @slot's state (a flow_table_config.prefetch_slot). */
void features_prefetch(void *ctx, uint32_t slot);

/* features_prefetch_late() - start fetching what the next packet of direction @dir of the
 * flow in @slot will write (a flow_table_config.prefetch_late, with @ctx the features). */
void features_prefetch_late(const struct features *fs, uint32_t slot, int dir);

/* features_prefetch_new() - start fetching all of @slot's state, which the first packet of the
 * flow about to take the slot will clear (a flow_table_config.prefetch_new). */
void features_prefetch_new(const struct features *fs, uint32_t slot);

/* features_get() - the measurements of the flow in @slot (valid until its next packet). */
const struct flow_features *features_get(const struct features *fs, uint32_t slot);

/* Markov summaries of an SPLT: FEAT_MARKOV_BINS x FEAT_MARKOV_BINS transition probabilities,
 * row-major, between consecutive entries' length bins (150 bytes wide) and time bins (50 ms
 * wide); the last bin takes everything beyond. A row with no transition out is all zeros. */
#define FEAT_MARKOV_BINS        10
#define FEAT_MARKOV_LEN_BIN     150
#define FEAT_MARKOV_TIME_BIN_US 50000
void feat_splt_markov(const struct feat_splt *sp,
                      float length_markov[FEAT_MARKOV_BINS * FEAT_MARKOV_BINS],
                      float time_markov[FEAT_MARKOV_BINS * FEAT_MARKOV_BINS]);

/* features_splt() - the SPLT of the flow in @slot, copied into @buf and viewed by @out (valid
 * while @buf is; n is 0 when the SPLT is off). */
void features_splt(const struct features *fs, uint32_t slot, struct feat_splt_buf *buf,
                   struct feat_splt *out);

/* features_counters() - by name, to @fn: splt_cut (SPLTs that stopped early because no record
 * was free for their later entries; the pool has one per slot, so 0 unless that changes) and
 * the record pool's use. */
void features_counters(const struct features *fs,
                       void (*fn)(void *ctx, const char *name, uint64_t v), void *ctx);

/* features_flow_end() - the flow in @slot has ended and been reported: return what it holds. */
void features_flow_end(struct features *fs, uint32_t slot);

/* Derived values, defined in docs/FEATURES.md. Population standard deviations; 0 for fewer
 * than two values. */
double feat_size_stddev(const struct feat_dir *d);
double feat_iat_stddev(const struct feat_dir *d);
/* Producer/consumer ratio: (client - server) / (client + server) payload bytes; 0 if both 0. */
double feat_pcr(const struct flow *f);
/* Handshake times in ns: SYN to SYN-ACK, SYN-ACK to ACK, and their sum; 0 when not seen. */
uint64_t feat_syn_synack_ns(const struct flow_features *ff);
uint64_t feat_synack_ack_ns(const struct flow_features *ff);
uint64_t feat_handshake_rtt_ns(const struct flow_features *ff);
/* The running RTT estimate in ns: the smoothed data-to-ACK times of both directions added
 * (client side + server side of the sensor); 0 until both directions have a sample. */
uint64_t feat_rtt_ns(const struct flow_features *ff);

/* features_memory() - bytes held (the per-slot array). */
size_t features_memory(const struct features *fs);

#endif
