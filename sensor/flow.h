/*
 * Flow: the per-flow state the flow table keeps, and the events it emits. A struct flow lives in
 * the table's preallocated slots; sinks see it only through a const pointer during an event.
 */
#ifndef UMBRA_SENSOR_FLOW_H
#define UMBRA_SENSOR_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensor/decode.h"
#include "sensor/flow_key.h"

enum flow_event_type {
    FLOW_EVENT_OPEN = 1,   /* first packet of the flow */
    FLOW_EVENT_UPDATE = 2, /* the flow is still live at an active timeout */
    FLOW_EVENT_END = 3,    /* the flow is over; its counters are final */
};

/* X(name, json-name): why a flow ended. */
#define FLOW_END_LIST(X)                                                                           \
    X(FLOW_END_NONE, "")                                                                           \
    X(FLOW_END_IDLE, "idle")                                                                       \
    X(FLOW_END_FIN, "fin")                                                                         \
    X(FLOW_END_RST, "rst")                                                                         \
    X(FLOW_END_EVICTED, "evicted")                                                                 \
    X(FLOW_END_SHUTDOWN, "shutdown")

enum flow_end_reason {
#define FLOW_END_ENUM(name, str) name,
    FLOW_END_LIST(FLOW_END_ENUM)
#undef FLOW_END_ENUM
            FLOW_END_COUNT
};

/* Directions as indexes of struct flow.dir. */
enum flow_dir_index {
    FLOW_DIR_CLIENT = 0, /* packets sent by the client */
    FLOW_DIR_SERVER = 1, /* packets sent by the server */
};

struct flow_dir_counters {
    uint64_t packets;
    uint64_t ip_bytes;      /* sum of pkt.ip_len */
    uint64_t payload_bytes; /* sum of pkt.payload_len */
};

/* TCP close bits (struct flow.tcp_close). */
enum {
    FLOW_TCP_FIN_CLIENT = 0x1,
    FLOW_TCP_FIN_SERVER = 0x2,
    FLOW_TCP_RST = 0x4,
};

/*
 * One flow, split in two by how often it is touched. struct flow is the hot part, two cache
 * lines: line 0 is what a lookup reads (key, chain, last time), line 1 what every packet updates
 * (counters, timers). struct flow_info is the cold part, read when a flow starts, moves on its
 * timeout list or is reported. Keeping the hot part to 128 bytes keeps the working set of a few
 * hundred thousand live flows within a server's last-level cache.
 */
struct flow {
    /* line 0: lookup */
    struct flow_key key;
    uint32_t hash_next;   /* next slot in the hash chain, or on the free list */
    uint8_t lru_list;     /* which timeout list the flow is on */
    uint8_t client_is_lo; /* 1 when the client is key.lo_* */
    uint8_t tcp_close;    /* FLOW_TCP_* bits seen so far */
    uint8_t pad0;
    uint32_t lru_prev; /* neighbours in the flow's timeout list */
    uint64_t last_ts;  /* ns; never goes backwards */
    /* line 1: per-packet updates */
    struct flow_dir_counters dir[2];
    uint64_t lru_ts;         /* ns; when the flow last moved to its list's tail */
    uint64_t last_update_ts; /* ns; start, or the last active-timeout UPDATE */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct flow) == 128, "struct flow is two cache lines");
_Static_assert(offsetof(struct flow, dir) == 64, "per-packet counters start line 1");

struct flow_info {
    uint64_t id;       /* unique per sensor run, from 1; 0 for a free slot */
    uint64_t first_ts; /* ns */
    uint32_t lru_next; /* next on the flow's timeout list */
    uint32_t bucket;   /* index of the hash chain the flow is on (no rehash to unlink it) */
    struct pkt_tunnel_info tunnel; /* type NONE unless the flow came through a tunnel */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct flow_info) == 64, "struct flow_info is one cache line");

struct flow_event {
    enum flow_event_type type;
    enum flow_end_reason reason;  /* FLOW_END_NONE unless type is END */
    const struct flow *flow;      /* valid during the callback only */
    const struct flow_info *info; /* the same flow's cold part; same lifetime */
    uint32_t slot;                /* the flow's slot: per-flow state kept elsewhere is indexed so */
    uint32_t seq;                 /* 0 for OPEN, +1 for each later event of the flow */
};

/*
 * Called for every packet the table counts to a flow, after the flow's counters and before any
 * event the packet causes (so an OPEN or UPDATE already includes it). @first is set for the
 * packet that created the flow: state kept per slot starts afresh then. @dir is enum
 * flow_dir_index. Later fragments come here too (no transport header: ports and flags are 0).
 */
typedef void flow_packet_fn(void *ctx, uint32_t slot, int dir, const struct flow *f,
                            const struct pkt *pkt, bool first);

/* The sink the flow table hands events to, in the packet's thread. */
typedef void flow_event_fn(void *ctx, const struct flow_event *ev);

/* flow_end_reason_name() - "idle", "fin", ...; "" for NONE, "unknown" out of range. */
const char *flow_end_reason_name(enum flow_end_reason reason);

/* flow_client_addr() / flow_server_addr() / ports: the key's endpoints by role. */
const uint8_t *flow_client_addr(const struct flow *f);
const uint8_t *flow_server_addr(const struct flow *f);
uint16_t flow_client_port(const struct flow *f);
uint16_t flow_server_port(const struct flow *f);

#endif
