/*
 * Detection engine (detect.h): window, graph, detectors, and where alerts go.
 */
#include "aggregator/detect.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aggregator/alert.h"
#include "aggregator/alert_store.h"
#include "common/log.h"
#include "common/pb_json.h"

#define NS_SEC 1000000000ull

struct detect {
    struct detect_config cfg;
    char aggregator_id[64];
    struct log *log;
    struct window *win;
    struct graph *graph;
    struct det_scan *scan;
    struct det_lateral *lateral;
    uint64_t last_sweep; /* watermark at the last sweep and expiry */
    struct {
        uint64_t raised, revised, store_failures, json_failures, sensors_over_limit;
    } st;
    bool logged_store, logged_json;
};

void detect_config_default(struct detect_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->aggregator_id = "aggregator";
    cfg->window = (struct window_config){
            .bucket_ns = 60 * NS_SEC,
            .n_buckets = 60,
            .lateness_ns = 120 * NS_SEC,
            .idle_ns = 30 * NS_SEC,
            .future_ns = 600 * NS_SEC,
            .max_sensors = 4096,
    };
    cfg->graph = (struct graph_config){
            .max_hosts = 1u << 18, .max_edges = 1u << 21, .max_sources = 1u << 14, .hll_p = 8};
    static const char *const internal[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                           "fc00::/7"};
    for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
        graph_prefix_parse(internal[i], &cfg->graph.internal[cfg->graph.n_internal++]);
    cfg->graph_retention_ns = 86400 * NS_SEC;
    cfg->scan = (struct det_scan_config){
            .trw = {.theta0 = 0.8, .theta1 = 0.2, .alpha = 0.01, .beta = 0.99},
            .window_buckets = 5,
            .fanout_servers = 50,
            .fanout_services = 100,
            .quiet_ns = 600 * NS_SEC,
            .max_alerts = 1024,
    };
    static const uint16_t admin[] = {22, 135, 445, 3389, 5900, 5985, 5986};
    memcpy(cfg->lateral.ports, admin, sizeof(admin));
    cfg->lateral.n_ports = sizeof(admin) / sizeof(admin[0]);
    cfg->lateral.hop_ns = 3600 * NS_SEC;
    cfg->lateral.max_alerts = 1024;
}

struct detect *detect_create(const struct detect_config *cfg, struct log *log)
{
    struct detect *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        log_err(log, "detect: out of memory");
        return NULL;
    }
    d->cfg = *cfg;
    d->log = log;
    snprintf(d->aggregator_id, sizeof(d->aggregator_id), "%s",
             cfg->aggregator_id != NULL ? cfg->aggregator_id : "aggregator");
    d->win = window_create(&cfg->window, &(struct window_ops){0}, log);
    d->graph = graph_create(&cfg->graph, log);
    d->scan = det_scan_create(&cfg->scan, cfg->graph.max_hosts, log);
    d->lateral = det_lateral_create(&cfg->lateral, cfg->graph.max_hosts, log);
    if (d->win == NULL || d->graph == NULL || d->scan == NULL || d->lateral == NULL) {
        detect_destroy(&d); /* each part logged why */
        return NULL;
    }
    return d;
}

void detect_destroy(struct detect **dp)
{
    if (dp == NULL || *dp == NULL)
        return;
    struct detect *d = *dp;
    window_destroy(&d->win);
    graph_destroy(&d->graph);
    det_scan_destroy(&d->scan);
    det_lateral_destroy(&d->lateral);
    free(d);
    *dp = NULL;
}

/* Where the detectors' alerts go: the store, then the JSON stream. */
static void emit(void *ctx, struct alert_draft *a)
{
    struct detect *d = ctx;
    if (a->revision == 0)
        d->st.raised++;
    else
        d->st.revised++;
    struct alert_pb pb;
    alert_pb_fill(&pb, a, d->aggregator_id);
    log_info(d->log, "alert %s rev %u (%s, %s): %s", a->id, a->revision, alert_kind_name(a->kind),
             alert_severity_name(a->severity), a->explanation);
    if (d->cfg.store != NULL && alert_store_put(d->cfg.store, &pb.a) != 0) {
        d->st.store_failures++; /* logged by the store */
    }
    if (d->cfg.json == NULL)
        return;
    json_t *j = pb_json_message(&pb.a.base);
    char *line = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    if (line == NULL || fprintf(d->cfg.json, "%s\n", line) < 0 || fflush(d->cfg.json) != 0) {
        d->st.json_failures++;
        if (!d->logged_json) {
            d->logged_json = true;
            log_err(d->log,
                    "detect: alert %s not written as JSON (later failures are only "
                    "counted)",
                    a->id);
        }
    }
    free(line);
    json_decref(j);
}

void detect_batch(struct detect *d, uint32_t sensor, const char *sensor_id,
                  const struct flow_summary *s, size_t n, uint64_t now)
{
    if (sensor >= d->cfg.window.max_sensors) {
        d->st.sensors_over_limit++;
        return;
    }
    const struct alert_sink sink = {emit, d};
    for (size_t i = 0; i < n; i++) {
        const struct flow_summary *r = &s[i];
        uint64_t ts = r->event == UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN || r->last_ts < r->first_ts
                              ? r->first_ts
                              : r->last_ts;
        uint64_t bucket;
        int place = window_observe(d->win, sensor, ts, now, &bucket);
        if (place != WINDOW_ON_TIME && place != WINDOW_LATE)
            continue; /* counted by the window */
        /* The flow's own bucket for its distinct counts: where its first packet was. */
        uint64_t flow_bucket = window_bucket(d->win, r->first_ts);
        struct graph_visit v;
        graph_observe(d->graph, r, flow_bucket, &v);
        det_scan_observe(d->scan, d->graph, &v, r, flow_bucket, sensor_id, &sink);
        det_lateral_observe(d->lateral, d->graph, &v, r, sensor_id, &sink);
    }
}

void detect_tick(struct detect *d, uint64_t now)
{
    uint64_t wm = window_advance(d->win, now);
    /* Once per bucket width of watermark progress: cheap enough, and memory stays flat. The
     * alerts' times are event times too, so their retention runs on the same clock: a replayed
     * capture's alerts are not expired by the wall clock. */
    if (wm < d->last_sweep + d->cfg.window.bucket_ns)
        return;
    d->last_sweep = wm;
    if (wm > d->cfg.graph_retention_ns)
        graph_sweep(d->graph, wm - d->cfg.graph_retention_ns);
    if (d->cfg.store != NULL)
        alert_store_expire(d->cfg.store, wm); /* failures are logged by the store */
}

void detect_counters(const struct detect *d, detect_counter_fn *fn, void *ctx)
{
    struct window_stats ws;
    struct graph_stats gs;
    struct det_scan_stats ss;
    struct det_lateral_stats ls;
    window_stats(d->win, &ws);
    graph_stats(d->graph, &gs);
    det_scan_stats(d->scan, &ss);
    det_lateral_stats(d->lateral, &ls);
    fn(ctx, "window_on_time", ws.on_time);
    fn(ctx, "window_late", ws.late);
    fn(ctx, "window_too_late", ws.too_late);
    fn(ctx, "window_future", ws.future);
    fn(ctx, "window_buckets_closed", ws.closed);
    fn(ctx, "graph_hosts", gs.hosts);
    fn(ctx, "graph_edges", gs.edges);
    fn(ctx, "graph_sources", gs.sources);
    fn(ctx, "graph_hosts_dropped", gs.hosts_dropped);
    fn(ctx, "graph_edges_dropped", gs.edges_dropped);
    fn(ctx, "graph_sketch_pool_exhausted", gs.sketch_pool_exhausted);
    fn(ctx, "graph_hosts_forgotten", gs.hosts_forgotten);
    fn(ctx, "graph_edges_forgotten", gs.edges_forgotten);
    fn(ctx, "graph_memory_bytes", gs.memory);
    fn(ctx, "scan_first_contacts", ss.first_contacts);
    fn(ctx, "lateral_admin_flows", ls.admin_flows);
    fn(ctx, "lateral_hops", ls.hops);
    fn(ctx, "alerts_raised", d->st.raised);
    fn(ctx, "alerts_revised", d->st.revised);
    fn(ctx, "alerts_dropped", ss.alerts_dropped + ls.alerts_dropped);
    fn(ctx, "alerts_store_failures", d->st.store_failures);
    fn(ctx, "alerts_json_failures", d->st.json_failures);
    fn(ctx, "sensors_over_limit", d->st.sensors_over_limit);
}
