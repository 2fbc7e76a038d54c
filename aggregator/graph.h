/*
 * Graph: the aggregator's picture of host-to-host behaviour, built from every sensor's flow
 * summaries (flow_summary.h). Hosts are addresses with the names the sensors learnt for them
 * (TLS/QUIC SNI and HTTP Host for a server, DNS answers for the addresses they name); edges are
 * (client, server, protocol, server port) with first and last seen, flows, failed flows,
 * bytes each way and the sensors' model scores.
 *
 * Counting. A flow is one edge visit: its OPEN record counts the flow (and is what a detector
 * reacts to at once), its END record adds the bytes (the record's totals) and says whether it
 * failed, its UPDATE and END records carry the scores. A flow whose OPEN was never seen (a
 * sensor restarted mid-flow) is counted at its END.
 *
 * A failed flow (graph_flow_failed()): TCP whose server never answered the SYN with a SYN-ACK
 * (no answer, or a RST), or UDP that the server never answered. Failed first contacts are what
 * the scan detector's random walk reads.
 *
 * Distinct counts. For the fan-out and scan detectors each source host has a ring of
 * GRAPH_SKETCH_SLOTS-bucket sketches (HyperLogLog, common/hll.h): per window bucket, one of the
 * servers it contacted and one of the (server, port) pairs. graph_distinct() merges the slots of
 * the buckets asked for. Sketches come from a pool of max_sources sets, lent to a source at its
 * first flow and returned when it is forgotten; with the pool empty a new source has no distinct
 * counts (counted: sketch_pool_exhausted) until one is returned.
 *
 * Memory is fixed at create: max_hosts hosts, max_edges edges, max_sources sketch sets, each
 * table reserved once and mapped by the kernel as it fills (common/pool.h). A full table refuses
 * what is new (counted: hosts_dropped, edges_dropped) and keeps what it has; graph_sweep()
 * forgets hosts and edges not seen for a while, which is what makes room. The counters show the
 * bound's pressure.
 *
 * Threads: a struct graph belongs to one thread (the ingest loop's).
 */
#ifndef UMBRA_AGGREGATOR_GRAPH_H
#define UMBRA_AGGREGATOR_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggregator/flow_summary.h"

struct log;
struct graph;

#define GRAPH_NONE         0u /* no host, no edge */
#define GRAPH_SKETCH_SLOTS 8  /* buckets of distinct counts kept per source */
#define GRAPH_PREFIXES_MAX 32 /* internal networks */

struct graph_prefix {
    uint8_t addr[16]; /* IPv4 as ::ffff:a.b.c.d */
    uint8_t len;      /* bits, of the 128 (an IPv4 /8 is 104) */
};

struct graph_config {
    uint32_t max_hosts, max_edges, max_sources;
    unsigned hll_p; /* precision of the distinct-count sketches (HLL_P_MIN..HLL_P_MAX) */
    struct graph_prefix internal[GRAPH_PREFIXES_MAX]; /* the organisation's own networks */
    uint32_t n_internal;
};

struct graph_host {
    uint64_t serial; /* unique per host the graph ever held: an id is reused after a sweep */
    uint8_t addr[16];
    char name[FLOW_SUMMARY_NAME_MAX + 1]; /* "" until one is learnt; the latest one learnt */
    bool internal;
    uint64_t first_seen, last_seen; /* event ns */
    uint64_t flows_out, flows_in, failed_out;
    uint64_t bytes_out, bytes_in; /* payload bytes it sent, received, over its ended flows */
    float score_max;              /* highest model score of its flows (either end) */
};

struct graph_edge {
    uint32_t client, server; /* host ids */
    uint16_t port;           /* the server's */
    uint8_t proto;
    uint64_t first_seen, last_seen; /* event ns */
    uint64_t flows, failed;
    uint64_t bytes_c2s, bytes_s2c; /* payload bytes over its ended flows */
    float score_max, score_sum;    /* over the records that carried scores */
    uint32_t scored;               /* those records */
};

/* What graph_observe() did with one summary. */
struct graph_visit {
    uint32_t client, server; /* host ids; GRAPH_NONE when the table was full */
    uint32_t edge;           /* GRAPH_NONE when the table was full */
    bool new_edge;           /* the edge was not known before this record */
    bool counted;            /* this record counted the flow (its OPEN, or an END without one) */
    bool failed;             /* an END (or RST-ended) record of a failed flow */
};

struct graph_stats {
    uint32_t hosts, edges, sources; /* in use now */
    uint64_t hosts_dropped, edges_dropped, sketch_pool_exhausted;
    uint64_t hosts_forgotten, edges_forgotten, names_learnt;
    size_t memory; /* bytes reserved */
};

/*
 * graph_prefix_parse() - "10.0.0.0/8", "fd00::/8" into @out. Returns 0, or -EINVAL (not an
 * address, a length out of range, host bits set).
 */
int graph_prefix_parse(const char *text, struct graph_prefix *out);

/* graph_create() - the tables of @cfg (copied). NULL, logged, for a config out of range (no
 * room, hll_p out of range) or no memory. */
struct graph *graph_create(const struct graph_config *cfg, struct log *log);

/* graph_destroy() - free, set *@gp = NULL. NULL-safe. */
void graph_destroy(struct graph **gp);

/* graph_flow_failed() - whether an ended flow failed (above). */
bool graph_flow_failed(const struct flow_summary *s);

/*
 * graph_observe() - one record's summary, placed in window bucket @bucket (window.h): the hosts
 * and the edge, their counters, the names it teaches, the source's distinct counts. @v is set
 * whatever happens (GRAPH_NONE where a table was full).
 */
void graph_observe(struct graph *g, const struct flow_summary *s, uint64_t bucket,
                   struct graph_visit *v);

/* graph_host() / graph_edge() - the entry of an id (valid until the next call that changes
 * the graph), NULL for GRAPH_NONE or an id not in use. */
const struct graph_host *graph_host(const struct graph *g, uint32_t id);
const struct graph_edge *graph_edge(const struct graph *g, uint32_t id);

/* graph_find_host() - the id of the host at @addr, GRAPH_NONE if unknown. */
uint32_t graph_find_host(const struct graph *g, const uint8_t addr[16]);

/* graph_prefix_match() - whether @addr is in one of the @n prefixes at @p. */
bool graph_prefix_match(const struct graph_prefix *p, uint32_t n, const uint8_t addr[16]);

/* graph_internal() - whether @addr is in one of the internal networks. */
bool graph_internal(const struct graph *g, const uint8_t addr[16]);

/*
 * graph_distinct() - distinct servers and distinct (server, port) pairs host @id contacted in
 * buckets @first..@last (at most GRAPH_SKETCH_SLOTS of them, the latest ones kept). 0 and 0 for
 * a host without sketches.
 */
void graph_distinct(const struct graph *g, uint32_t id, uint64_t first, uint64_t last,
                    double *servers, double *services);

/* graph_sweep() - forget the edges and hosts last seen before @before (event ns); a host's
 * sketches go back to the pool. Returns how many hosts were forgotten. */
uint32_t graph_sweep(struct graph *g, uint64_t before);

void graph_stats(const struct graph *g, struct graph_stats *out);

#endif
