/*
 * Alert: what a detector fills in when it raises or grows an alert (a draft, fixed-size, no
 * allocation), and its protobuf form (`Alert` in proto/umbra.proto) for the store, the PUB
 * socket and the JSON lines. Detectors keep one draft per alert they watch and hand it to the
 * engine's emit function each time it changes; the same id with a higher revision is the same
 * alert grown.
 */
#ifndef UMBRA_AGGREGATOR_ALERT_H
#define UMBRA_AGGREGATOR_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggregator/flow_summary.h"
#include "proto/umbra.pb-c.h"

#define ALERT_ID_MAX       96 /* "fanout-" or "lateral-", an IPv6 address, "-", the seconds */
#define ALERT_HOSTS_MAX    16 /* a chain of 8 hops, or a scanner and a sample of its targets */
#define ALERT_EVIDENCE_MAX 16
#define ALERT_REASONS_MAX  8
#define ALERT_TEXT_MAX     512
#define ALERT_SENSOR_MAX   64

struct alert_evidence {
    char sensor_id[ALERT_SENSOR_MAX + 1];
    uint64_t flow_id, first_ts;
    uint8_t client[16], server[16];
    uint16_t client_port, server_port;
    uint8_t ip_proto;
};

struct alert_reason {
    const char *name; /* static */
    double value, threshold;
};

struct alert_draft {
    char id[ALERT_ID_MAX + 1];
    uint32_t revision;
    Umbra__AlertKind kind;
    Umbra__Severity severity;
    double score;
    uint64_t ts; /* event time of this revision: the evidence that made it */
    uint64_t first_seen, last_seen;
    uint32_t n_hosts;
    uint8_t host_addr[ALERT_HOSTS_MAX][16];
    char host_name[ALERT_HOSTS_MAX][FLOW_SUMMARY_NAME_MAX + 1];
    uint32_t n_path;
    uint32_t path[ALERT_HOSTS_MAX]; /* indices into the hosts */
    uint32_t n_evidence;
    struct alert_evidence evidence[ALERT_EVIDENCE_MAX];
    uint32_t n_reasons;
    struct alert_reason reasons[ALERT_REASONS_MAX];
    char explanation[ALERT_TEXT_MAX];
};

/* The protobuf form of a draft: every part points into this struct and the draft. */
struct alert_pb {
    Umbra__Alert a;
    Umbra__AlertHost hosts[ALERT_HOSTS_MAX], *hostp[ALERT_HOSTS_MAX];
    Umbra__Evidence ev[ALERT_EVIDENCE_MAX], *evp[ALERT_EVIDENCE_MAX];
    Umbra__Reason reasons[ALERT_REASONS_MAX], *reasonp[ALERT_REASONS_MAX];
    uint8_t addr_v4[ALERT_HOSTS_MAX + 2 * ALERT_EVIDENCE_MAX][4];
};

/* Where a detector hands a raised or grown alert: the engine stores and publishes it. */
struct alert_sink {
    void (*emit)(void *ctx, struct alert_draft *d);
    void *ctx;
};

/*
 * alert_host() - the index of @addr among @d's hosts, added (named @name, may be NULL or "") if
 * new; ALERT_HOSTS_MAX when there is no room.
 */
uint32_t alert_host(struct alert_draft *d, const uint8_t addr[16], const char *name);

/* alert_reason() - set reason @name (static) to @value against @threshold, replacing one of the
 * same name. Dropped when all ALERT_REASONS_MAX are taken. */
void alert_reason(struct alert_draft *d, const char *name, double value, double threshold);

/*
 * alert_evidence() - add the flow of @s (seen from @sensor_id) as evidence: the first
 * ALERT_EVIDENCE_MAX - 1 kept, then the latest in the last place. A flow already there is not
 * added twice.
 */
void alert_evidence(struct alert_draft *d, const char *sensor_id, const struct flow_summary *s);

/* alert_evidence_of() - @e as the evidence of the flow of @s seen from @sensor_id. */
void alert_evidence_of(struct alert_evidence *e, const char *sensor_id,
                       const struct flow_summary *s);

/* alert_pb_fill() - @pb as the Alert of @d, raised by @aggregator_id (both must outlive @pb's
 * use). IPv4 addresses are written as 4 bytes. */
void alert_pb_fill(struct alert_pb *pb, const struct alert_draft *d, const char *aggregator_id);

/* alert_kind_name() - "scan", "lateral_movement", ... (the PUB topic); "unknown" otherwise. */
const char *alert_kind_name(Umbra__AlertKind k);

/* alert_severity_name() - "info", "low", "medium", "high", "critical"; "unknown" otherwise. */
const char *alert_severity_name(Umbra__Severity s);

#endif
