/*
 * Scan and fan-out detector. Two tests per source host, over the graph's records:
 *
 *   scan     the threshold random walk (trw.h) over the source's first contacts: each flow that
 *            opened a new edge (client, server, protocol, port) is a first contact, a success or
 *            a failure (graph_flow_failed()) when its END arrives. The walk naming the source a
 *            scanner raises a SCAN alert. A walk that clears the source starts again, so a host
 *            that starts scanning later is still caught.
 *   fan-out  the distinct servers and distinct (server, port) services the source contacted in
 *            the last window_buckets buckets (the graph's HyperLogLog rings), against
 *            thresholds: either reached raises a FANOUT alert, whether the probes succeed or not.
 *
 * An alert grows (same id, next revision) as the source reaches more: when its distinct
 * services reach 1.5 times what the last revision said. The episode ends after quiet_ns without
 * a new first contact; the next one is a new alert. Sources in the allow-list (a known
 * vulnerability scanner) are not judged.
 *
 * Memory: one small state per host id, and max_alerts drafts, fixed at create.
 * Threads: one (the ingest loop's).
 */
#ifndef UMBRA_AGGREGATOR_DET_SCAN_H
#define UMBRA_AGGREGATOR_DET_SCAN_H

#include <stdint.h>

#include "aggregator/alert.h"
#include "aggregator/graph.h"
#include "aggregator/trw.h"

struct log;
struct det_scan;

struct det_scan_config {
    struct trw_params trw;
    uint32_t window_buckets; /* fan-out window, in buckets (1..GRAPH_SKETCH_SLOTS) */
    double fanout_servers;   /* distinct servers in the window that raise FANOUT */
    double fanout_services;  /* distinct (server, port) pairs in the window that raise FANOUT */
    uint64_t quiet_ns;       /* an episode ends after this long without a first contact */
    uint32_t max_alerts;     /* alerts watched at once */
    struct graph_prefix allow[GRAPH_PREFIXES_MAX]; /* sources never judged */
    uint32_t n_allow;
};

struct det_scan_stats {
    uint64_t first_contacts, walks_scanner, walks_benign;
    uint64_t alerts_raised, alerts_grown, alerts_dropped; /* dropped: no draft free */
};

/* det_scan_create() - a detector for a graph of @max_hosts hosts. NULL, logged, for an invalid
 * config (trw params, window out of range, thresholds not above 0) or no memory. */
struct det_scan *det_scan_create(const struct det_scan_config *cfg, uint32_t max_hosts,
                                 struct log *log);
void det_scan_destroy(struct det_scan **dp);

/*
 * det_scan_observe() - one record @s from sensor @sensor_id, as graph_observe() placed it in
 * @bucket (@v). Raised and grown alerts go to @sink.
 */
void det_scan_observe(struct det_scan *d, const struct graph *g, const struct graph_visit *v,
                      const struct flow_summary *s, uint64_t bucket, const char *sensor_id,
                      const struct alert_sink *sink);

void det_scan_stats(const struct det_scan *d, struct det_scan_stats *out);

#endif
