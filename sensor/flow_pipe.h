/*
 * Flow pipe: a short software pipeline in front of the flow table. With hundreds of thousands
 * of live flows, looking up a packet's flow costs two dependent cache misses (its hash bucket,
 * then its slot), and waiting for them was most of the sensor's time. The pipe holds the last
 * FLOW_PIPE_DEPTH packets: when a packet enters, its bucket is fetched; a third of the way
 * through, its slot; two thirds, the neighbours a move on its timeout list will write; when it
 * leaves, it is accounted, by which time all are in cache. Packets leave in the order they
 * came, so the flows and events are exactly those of calling flow_table_packet() on each
 * packet; only later (by at most FLOW_PIPE_DEPTH packets, or until the next drain).
 *
 * The frame's bytes are gone once the capture callback returns, so a packet keeps only what
 * was decoded from them, and, when payload features are on, a copy of its first payload bytes
 * (up to payload_cap) in a store beside the ring. The copies are laid end to end, each on a
 * fresh cache line, so the few kilobytes the pipe holds stay in the first-level cache (fixed
 * slots of payload_cap bytes spread them over 64 KiB and 4 KiB apart, where they evicted each
 * other).
 */
#ifndef UMBRA_SENSOR_FLOW_PIPE_H
#define UMBRA_SENSOR_FLOW_PIPE_H

#include <stdint.h>

#include "sensor/decode.h"
#include "sensor/flow_table.h"

#define FLOW_PIPE_DEPTH 16 /* a power of two; a third of it is the distance between stages */

struct flow_pipe_entry {
    struct pkt pkt;
    struct flow_ref ref;
};

/* Embedded in its owner (x_init style); one thread. */
struct flow_pipe {
    struct flow_table *ft; /* borrowed */
    struct flow_pipe_entry ring[FLOW_PIPE_DEPTH];
    uint32_t head;          /* packets pushed */
    uint32_t tail;          /* packets accounted */
    uint8_t *payload_store; /* FLOW_PIPE_STORE(payload_cap) bytes, or NULL */
    uint32_t payload_cap;   /* payload bytes kept per packet; 0 = none */
    uint32_t payload_next;  /* where the next copy goes in the store */
};

/* The store for copies of at most @cap bytes: FLOW_PIPE_DEPTH of them in line-aligned places,
 * and one more for the end of the store a copy that does not fit there leaves unused. */
#define FLOW_PIPE_LINE       64u
#define FLOW_PIPE_ROUND(n)   (((size_t)(n) + FLOW_PIPE_LINE - 1) & ~(size_t)(FLOW_PIPE_LINE - 1))
#define FLOW_PIPE_STORE(cap) ((FLOW_PIPE_DEPTH + 1) * FLOW_PIPE_ROUND(cap))

/* flow_pipe_init() - an empty pipe in front of @ft that keeps no payload. */
void flow_pipe_init(struct flow_pipe *pipe, struct flow_table *ft);

/* flow_pipe_keep_payload() - keep up to @cap payload bytes of each packet in @store
 * (FLOW_PIPE_STORE(@cap) bytes, owned by the caller and kept until the pipe is drained). */
void flow_pipe_keep_payload(struct flow_pipe *pipe, uint8_t *store, uint32_t cap);

/*
 * flow_pipe_slot() - where the next packet is to be decoded, so that it need not be copied in.
 * May account the oldest packet to make room. The slot is the pipe's until flow_pipe_commit().
 */
struct pkt *flow_pipe_slot(struct flow_pipe *pipe);

/* flow_pipe_commit() - take in the packet decoded into the slot (not calling it drops it). */
void flow_pipe_commit(struct flow_pipe *pipe);

/* flow_pipe_push() - copy @pkt in: flow_pipe_slot() + copy + flow_pipe_commit(). */
void flow_pipe_push(struct flow_pipe *pipe, const struct pkt *pkt);

/* flow_pipe_drain() - account every packet still in the pipe. Call before expiring by the clock,
 * flushing, or reading the table's counters. */
void flow_pipe_drain(struct flow_pipe *pipe);

#endif
