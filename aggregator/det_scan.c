/*
 * Scan and fan-out detector (det_scan.h).
 */
#include "aggregator/det_scan.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/pool.h"

enum { K_SCAN = 0, K_FANOUT = 1 };

struct src_state {
    uint64_t serial; /* the graph host this state belongs to; 0: unused */
    struct trw walk;
    uint32_t draft[2];      /* per kind: the alert being watched (pool id), 0 none */
    double reported[2];     /* distinct services at the last revision */
    uint64_t last_contact;  /* event ns of the last first contact */
    uint64_t fails, firsts; /* first contacts failed, seen in this episode */
};

struct det_scan {
    struct det_scan_config cfg;
    struct trw_model model;
    struct log *log;
    struct src_state *src; /* by host id, 1..max_hosts */
    uint32_t max_hosts;
    struct pool *drafts;
    struct det_scan_stats st;
};

struct det_scan *det_scan_create(const struct det_scan_config *cfg, uint32_t max_hosts,
                                 struct log *log)
{
    struct trw_model m;
    if (trw_model_init(&m, &cfg->trw) != 0 || cfg->window_buckets == 0 ||
        cfg->window_buckets > GRAPH_SKETCH_SLOTS || !(cfg->fanout_servers > 0) ||
        !(cfg->fanout_services > 0) || cfg->n_allow > GRAPH_PREFIXES_MAX) {
        log_err(log,
                "scan detector: invalid parameters (walk probabilities, a window of 1..%d "
                "buckets, fan-out thresholds above 0)",
                GRAPH_SKETCH_SLOTS);
        return NULL;
    }
    struct det_scan *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    d->cfg = *cfg;
    d->model = m;
    d->log = log;
    d->max_hosts = max_hosts;
    d->src = calloc((size_t)max_hosts + 1, sizeof(*d->src));
    d->drafts = pool_create("scan alerts", cfg->max_alerts, sizeof(struct alert_draft), log);
    if (d->src == NULL || d->drafts == NULL) {
        log_err(log, "scan detector: out of memory for %u hosts", max_hosts);
        det_scan_destroy(&d);
        return NULL;
    }
    return d;
}

void det_scan_destroy(struct det_scan **dp)
{
    if (dp == NULL || *dp == NULL)
        return;
    struct det_scan *d = *dp;
    free(d->src);
    pool_destroy(&d->drafts);
    free(d);
    *dp = NULL;
}

/* The state of host @id, made fresh when the id now belongs to another host. */
static struct src_state *state_of(struct det_scan *d, uint32_t id, const struct graph_host *h)
{
    struct src_state *st = &d->src[id];
    if (st->serial != h->serial) {
        for (int k = 0; k < 2; k++)
            pool_give(d->drafts, st->draft[k]);
        memset(st, 0, sizeof(*st));
        st->serial = h->serial;
        trw_reset(&st->walk);
    }
    return st;
}

/* End the episode: its alerts are done; the next first contact starts afresh. */
static void episode_end(struct det_scan *d, struct src_state *st)
{
    for (int k = 0; k < 2; k++) {
        pool_give(d->drafts, st->draft[k]);
        st->draft[k] = 0;
        st->reported[k] = 0;
    }
    st->fails = st->firsts = 0;
    trw_reset(&st->walk);
}

/* Distinct servers and services of host @id over the window that ends with @bucket. */
static void window_distinct(const struct det_scan *d, const struct graph *g, uint32_t id,
                            uint64_t bucket, double *servers, double *services)
{
    uint64_t first = bucket + 1 >= d->cfg.window_buckets ? bucket + 1 - d->cfg.window_buckets : 0;
    graph_distinct(g, id, first, bucket, servers, services);
}

/* Raise or grow @kind's alert for @src, which reached @servers and @services in the window. */
static void scan_alert(struct det_scan *d, struct src_state *st, int kind,
                       const struct graph_host *src, double servers, double services,
                       const struct flow_summary *s, const char *sensor_id,
                       const struct alert_sink *sink)
{
    bool grow = st->draft[kind] != 0;
    if (grow && services < st->reported[kind] * 1.5)
        return;
    if (!grow) {
        st->draft[kind] = pool_take(d->drafts);
        if (st->draft[kind] == 0) {
            d->st.alerts_dropped++;
            return;
        }
    }
    struct alert_draft *a = pool_at(d->drafts, st->draft[kind]);
    char addr[64];
    flow_summary_addr_str(src->addr, addr, sizeof(addr));
    if (!grow) {
        memset(a, 0, sizeof(*a));
        a->kind = kind == K_SCAN ? UMBRA__ALERT_KIND__ALERT_KIND_SCAN
                                 : UMBRA__ALERT_KIND__ALERT_KIND_FANOUT;
        snprintf(a->id, sizeof(a->id), "%s-%s-%" PRIu64, kind == K_SCAN ? "scan" : "fanout", addr,
                 (uint64_t)(s->first_ts / 1000000000u));
        a->first_seen = s->first_ts;
        alert_host(a, src->addr, src->name);
        a->n_path = 0;
        d->st.alerts_raised++;
    } else {
        a->revision++;
        d->st.alerts_grown++;
    }
    st->reported[kind] = services;
    a->ts = s->last_ts > s->first_ts ? s->last_ts : s->first_ts;
    a->last_seen = a->ts;
    alert_host(a, s->server, NULL);
    alert_evidence(a, sensor_id, s);
    double fail_share = st->firsts > 0 ? (double)st->fails / (double)st->firsts : 0.0;
    alert_reason(a, "distinct_servers", servers, d->cfg.fanout_servers);
    alert_reason(a, "distinct_services", services, d->cfg.fanout_services);
    if (kind == K_SCAN) {
        alert_reason(a, "failed_first_contacts", (double)st->fails, 0);
        alert_reason(a, "walk_log_likelihood", st->walk.llr, d->model.upper);
    }
    a->severity = services >= 4 * d->cfg.fanout_services ? UMBRA__SEVERITY__SEVERITY_HIGH
                                                         : UMBRA__SEVERITY__SEVERITY_MEDIUM;
    a->score = kind == K_SCAN ? 0.5 + 0.5 * fail_share : 0.6;
    const char *name = src->name[0] != '\0' ? src->name : "no name known";
    if (kind == K_SCAN)
        snprintf(a->explanation, sizeof(a->explanation),
                 "%s (%s) is scanning: %" PRIu64 " of its %" PRIu64
                 " first contacts failed, enough for the random walk to name it a scanner; "
                 "about %.0f hosts and %.0f services reached in %u buckets",
                 addr, name, st->fails, st->firsts, servers, services, d->cfg.window_buckets);
    else
        snprintf(a->explanation, sizeof(a->explanation),
                 "%s (%s) fanned out to about %.0f hosts and %.0f services in %u buckets "
                 "(thresholds %.0f hosts, %.0f services)",
                 addr, name, servers, services, d->cfg.window_buckets, d->cfg.fanout_servers,
                 d->cfg.fanout_services);
    sink->emit(sink->ctx, a);
}

void det_scan_observe(struct det_scan *d, const struct graph *g, const struct graph_visit *v,
                      const struct flow_summary *s, uint64_t bucket, const char *sensor_id,
                      const struct alert_sink *sink)
{
    const struct graph_host *src = graph_host(g, v->client);
    if (src == NULL || v->client > d->max_hosts ||
        graph_prefix_match(d->cfg.allow, d->cfg.n_allow, src->addr))
        return;
    struct src_state *st = state_of(d, v->client, src);
    const struct graph_edge *e = graph_edge(g, v->edge);
    /* A first contact: the flow that made its edge (an edge the table had no room for counts
     * as one each time: the walk errs towards suspicion then). */
    bool first = e == NULL || e->flows <= 1;
    bool end = s->event == UMBRA__FLOW_EVENT__FLOW_EVENT_END;
    if (!first || !(v->counted || end))
        return;
    if (v->counted) {
        if (st->last_contact != 0 && s->first_ts > st->last_contact + d->cfg.quiet_ns)
            episode_end(d, st);
        if (s->first_ts > st->last_contact)
            st->last_contact = s->first_ts;
        /* The sketches are merged only for a source with enough flows to matter. */
        if (src->flows_out >= d->cfg.fanout_servers) {
            double servers, services;
            window_distinct(d, g, v->client, bucket, &servers, &services);
            if (servers >= d->cfg.fanout_servers || services >= d->cfg.fanout_services)
                scan_alert(d, st, K_FANOUT, src, servers, services, s, sensor_id, sink);
        }
    }
    if (!end)
        return;
    d->st.first_contacts++;
    st->firsts++;
    st->fails += v->failed;
    enum trw_state w = trw_observe(&st->walk, &d->model, !v->failed);
    if (w == TRW_SCANNER) {
        if (st->draft[K_SCAN] == 0)
            d->st.walks_scanner++;
        double servers, services;
        window_distinct(d, g, v->client, bucket, &servers, &services);
        scan_alert(d, st, K_SCAN, src, servers, services, s, sensor_id, sink);
    } else if (w == TRW_BENIGN) {
        d->st.walks_benign++;
        trw_reset(&st->walk);
    }
}

void det_scan_stats(const struct det_scan *d, struct det_scan_stats *out)
{
    *out = d->st;
}
