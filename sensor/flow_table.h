/*
 * Flow table: every live flow, keyed by its canonical bidirectional key, in slots preallocated
 * at creation. It decides which side is the client, counts packets and bytes per direction,
 * ends flows (idle timeout, TCP FIN/RST with a linger, eviction at the cap, shutdown), emits an
 * UPDATE at each active timeout, starts a new flow when a TCP port is reused, and attributes
 * later IP fragments to the flow of their first fragment.
 *
 * The packet path (flow_table_packet) allocates nothing and takes no lock; memory is fixed at
 * creation by max_flows. One thread owns a table. Time is the packets' time: the table never
 * reads a clock, so a capture file gives the same flows however fast it is read.
 *
 * The rules, in full, are in docs/FLOWS.md.
 */
#ifndef UMBRA_SENSOR_FLOW_TABLE_H
#define UMBRA_SENSOR_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensor/flow.h"

struct log;
struct pkt;

struct flow_table_config {
    uint32_t max_flows;        /* slots; at the cap the longest-idle flow is evicted */
    uint64_t tcp_idle_ns;      /* TCP flow ends after this long without a packet */
    uint64_t udp_idle_ns;      /* UDP */
    uint64_t other_idle_ns;    /* ICMP and other protocols */
    uint64_t close_linger_ns;  /* after FIN both ways or RST: wait for the last packets */
    uint64_t active_ns;        /* UPDATE every this long for a live flow; 0 = never */
    uint32_t frag_slots;       /* first fragments remembered for their later fragments */
    uint64_t hash_seed;        /* per-run seed so an attacker cannot aim at one hash chain */
    flow_packet_fn *on_packet; /* optional per-packet hook (features); NULL for none */
    void *packet_ctx;
    /* Optional: told the likely slot of a packet's flow a few packets ahead (from the flow
     * pipe), so per-slot state kept elsewhere can be fetched early too. A hint only. */
    void (*prefetch_slot)(void *ctx, uint32_t slot);
    /* Optional, later (the slot has arrived and the packet is known to belong to it): told
     * the slot and the packet's direction, so state that the slot's own lines point to (lent
     * buffers) can be fetched too. A hint only. */
    void (*prefetch_late)(void *ctx, uint32_t slot, int dir, const struct pkt *pkt);
    /* Optional: told the slot the next new flow will take (after each new flow and each
     * expiry scan), so per-slot state the first packet clears can be fetched before it comes.
     * A hint only. */
    void (*prefetch_new)(void *ctx, uint32_t slot);
};

struct flow_table_stats {
    uint64_t packets; /* packets given to the table */
    uint64_t flows_created;
    uint64_t flows_active;                /* live now */
    uint64_t flows_ended[FLOW_END_COUNT]; /* by reason; [FLOW_END_EVICTED] = evictions */
    uint64_t updates;                     /* UPDATE events */
    uint64_t port_reuse;                  /* new TCP flows started on a closed flow's key */
    uint64_t frag_attributed;             /* later fragments counted to their flow */
    uint64_t frag_unattributed;           /* later fragments whose first fragment was not seen */
    uint64_t max_active;                  /* high-water mark of flows_active */
};

struct flow_table;

/*
 * flow_table_create() - preallocate @cfg->max_flows slots and the index.
 * Events go to @sink(@ctx, event) from within flow_table_packet/expire/flush.
 * Returns NULL after logging why (max_flows of 0 or over 2^31, out of memory).
 */
struct flow_table *flow_table_create(const struct flow_table_config *cfg, flow_event_fn *sink,
                                     void *ctx, struct log *log);

/* flow_table_destroy() - free without emitting events (flush first to end the flows); NULL-safe. */
void flow_table_destroy(struct flow_table **ftp);

/*
 * A packet's key and hash, computed ahead of flow_table_packet_ref() so that the cache misses of
 * its lookup start early (see sensor/flow_pipe). The flow found is the same either way.
 */
struct flow_ref {
    struct flow_key key;
    uint64_t hash;
    bool src_is_lo;
};

/* flow_table_ref() - fill @ref for @pkt and start fetching its hash bucket. */
void flow_table_ref(const struct flow_table *ft, const struct pkt *pkt, struct flow_ref *ref);

/* flow_table_ref_prefetch() - read @ref's bucket (fetched by now) and start fetching the flow. */
void flow_table_ref_prefetch(const struct flow_table *ft, const struct flow_ref *ref);

/*
 * flow_table_ref_prefetch_links() - once the flow's slot has arrived: hand it to the
 * prefetch_late hook, and if this packet will move the flow on its timeout list, start
 * fetching the neighbours that move writes to.
 */
void flow_table_ref_prefetch_links(const struct flow_table *ft, const struct pkt *pkt,
                                   const struct flow_ref *ref);

/* flow_table_packet_ref() - flow_table_packet() with the key and hash already in @ref. */
void flow_table_packet_ref(struct flow_table *ft, const struct pkt *pkt,
                           const struct flow_ref *ref);

/*
 * flow_table_packet() - account one decoded packet: find or create its flow (OPEN), update its
 * counters and state, emit UPDATE or END as the rules say. Expires idle flows as packet time
 * advances (at most once per second of packet time). Never fails: at the cap a flow is evicted.
 */
void flow_table_packet(struct flow_table *ft, const struct pkt *pkt);

/* flow_table_expire() - end every flow idle (or lingering) past its timeout at @now_ns. */
void flow_table_expire(struct flow_table *ft, uint64_t now_ns);

/* flow_table_flush() - end every live flow with @reason (e.g. FLOW_END_SHUTDOWN). */
void flow_table_flush(struct flow_table *ft, enum flow_end_reason reason);

void flow_table_stats(const struct flow_table *ft, struct flow_table_stats *out);

/* flow_table_memory() - bytes the table holds (slots, index, fragment slots). */
size_t flow_table_memory(const struct flow_table *ft);

#endif
