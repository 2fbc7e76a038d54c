/*
 * Detect: the aggregator's detection engine. It takes the summaries of every applied batch
 * (flow_summary.h, from the ingest walk), places each record in event time (window.h: per-sensor
 * watermarks, late and too-late records), adds it to the graph (graph.h) and hands it to the
 * detectors (det_scan.h: scanning and fan-out; det_lateral.h: lateral movement). Each alert a
 * detector raises or grows is written to the alert store (LMDB, retention) and, as one JSON line,
 * to the alert stream file (stdout or a file, for SIEMs).
 *
 * A record's event time: its first packet for an OPEN, its last for an UPDATE or END (what the
 * record reports happened then). detect_tick() moves the window's watermark on a timer, forgets
 * what the graph has not seen for graph_retention_ns and expires the stored alerts by the
 * store's retention, both against the watermark (event time, as the alerts' times are).
 *
 * Threads: a struct detect belongs to one thread (the ingest loop's).
 */
#ifndef UMBRA_AGGREGATOR_DETECT_H
#define UMBRA_AGGREGATOR_DETECT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aggregator/det_lateral.h"
#include "aggregator/det_scan.h"
#include "aggregator/flow_summary.h"
#include "aggregator/graph.h"
#include "aggregator/window.h"

struct log;
struct alert_store;
struct detect;

struct detect_config {
    const char *aggregator_id; /* Alert.aggregator_id; copied */
    struct window_config window;
    struct graph_config graph;
    uint64_t graph_retention_ns; /* hosts and edges not seen for this long are forgotten */
    struct det_scan_config scan;
    struct det_lateral_config lateral;
    struct alert_store *store; /* borrowed, may be NULL: alerts are not stored */
    FILE *json;                /* borrowed, may be NULL: one JSON line per alert revision */
};

/* detect_config_default() - the defaults docs/DETECTION.md lists (no store, no JSON). */
void detect_config_default(struct detect_config *cfg);

/* detect_create() - NULL, logged, for an invalid config or no memory. */
struct detect *detect_create(const struct detect_config *cfg, struct log *log);
void detect_destroy(struct detect **dp);

/*
 * detect_batch() - the @n summaries of one applied batch from sensor @sensor_id, arriving at
 * @now (monotonic ns). @sensor is the caller's stable number for that sensor (ingest's sensor
 * table index), below window.max_sensors; another is counted (sensors_over_limit) and skipped.
 * Alerts are stored and written before it returns.
 */
void detect_batch(struct detect *d, uint32_t sensor, const char *sensor_id,
                  const struct flow_summary *s, size_t n, uint64_t now);

/* detect_tick() - advance the watermark at @now (monotonic ns), forget the long unseen, expire
 * old alerts. */
void detect_tick(struct detect *d, uint64_t now);

/* detect_counter_fn - one counter: its name (valid during the call) and value. */
typedef void detect_counter_fn(void *ctx, const char *name, uint64_t v);

/*
 * detect_counters() - window_on_time, window_late, window_too_late, window_future,
 * window_buckets_closed, graph_hosts, graph_edges, graph_sources, graph_hosts_dropped,
 * graph_edges_dropped, graph_sketch_pool_exhausted, graph_hosts_forgotten,
 * graph_edges_forgotten, graph_memory_bytes, scan_first_contacts, lateral_admin_flows,
 * lateral_hops, alerts_raised, alerts_revised, alerts_dropped (a detector had no room),
 * alerts_store_failures, alerts_json_failures, sensors_over_limit.
 */
void detect_counters(const struct detect *d, detect_counter_fn *fn, void *ctx);

#endif
