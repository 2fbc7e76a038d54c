/*
 * Lateral movement detector (det_lateral.h).
 */
#include "aggregator/det_lateral.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/pool.h"

#define INBOUND_MAX 2 /* inbound admin connections remembered per host */

struct inbound {
    uint32_t from;        /* host id */
    uint64_t from_serial; /* that host's serial, so a reused id is not taken for it */
    uint64_t ts;          /* first packet */
    uint32_t chain;       /* the alert this arrival is part of (chain id), 0 none */
    uint64_t chain_gen;   /* that chain's generation: a chain id is reused once it ends */
    bool rare;            /* its edge was new */
    struct alert_evidence ev;
};

struct host_state {
    uint64_t serial;
    struct inbound in[INBOUND_MAX]; /* newest first */
};

/* A chain being watched: its draft, and how many of its hops were rare. */
struct chain {
    struct alert_draft d;
    uint32_t rare_hops;
    uint64_t gen; /* 0: free */
};

struct det_lateral {
    struct det_lateral_config cfg;
    struct log *log;
    struct host_state *host; /* by host id */
    uint32_t max_hosts;
    struct pool *chains;
    uint64_t gen; /* of the last chain started */
    struct det_lateral_stats st;
};

struct det_lateral *det_lateral_create(const struct det_lateral_config *cfg, uint32_t max_hosts,
                                       struct log *log)
{
    if (cfg->n_ports == 0 || cfg->n_ports > DET_LATERAL_PORTS_MAX || cfg->hop_ns == 0 ||
        cfg->n_allow > GRAPH_PREFIXES_MAX) {
        log_err(log,
                "lateral movement detector: invalid parameters (1..%d admin ports, a hop "
                "time above 0)",
                DET_LATERAL_PORTS_MAX);
        return NULL;
    }
    struct det_lateral *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    d->cfg = *cfg;
    d->log = log;
    d->max_hosts = max_hosts;
    d->host = calloc((size_t)max_hosts + 1, sizeof(*d->host));
    d->chains = pool_create("lateral chains", cfg->max_alerts, sizeof(struct chain), log);
    if (d->host == NULL || d->chains == NULL) {
        log_err(log, "lateral movement detector: out of memory for %u hosts", max_hosts);
        det_lateral_destroy(&d);
        return NULL;
    }
    return d;
}

void det_lateral_destroy(struct det_lateral **dp)
{
    if (dp == NULL || *dp == NULL)
        return;
    struct det_lateral *d = *dp;
    free(d->host);
    pool_destroy(&d->chains);
    free(d);
    *dp = NULL;
}

static bool admin_port(const struct det_lateral *d, uint16_t port)
{
    for (uint32_t i = 0; i < d->cfg.n_ports; i++) {
        if (d->cfg.ports[i] == port)
            return true;
    }
    return false;
}

static struct host_state *state_of(struct det_lateral *d, uint32_t id, const struct graph_host *h)
{
    struct host_state *st = &d->host[id];
    if (st->serial != h->serial) {
        memset(st, 0, sizeof(*st));
        st->serial = h->serial;
    }
    return st;
}

/* The newest inbound admin arrival at @a from a host other than @to, within hop_ns before @ts. */
static struct inbound *arrival(const struct det_lateral *d, const struct graph *g,
                               struct host_state *a, uint32_t to, uint64_t ts)
{
    for (int i = 0; i < INBOUND_MAX; i++) {
        struct inbound *in = &a->in[i];
        const struct graph_host *x = graph_host(g, in->from);
        if (in->ts == 0 || x == NULL || x->serial != in->from_serial || in->from == to)
            continue;
        if (in->ts <= ts && ts - in->ts <= d->cfg.hop_ns)
            return in;
    }
    return NULL;
}

/* The chain of an inbound arrival, if it is still the one the id was given to. */
static struct chain *chain_at(struct det_lateral *d, uint32_t id, uint64_t gen)
{
    struct chain *c = id != 0 ? pool_at(d->chains, id) : NULL;
    return c != NULL && c->gen == gen ? c : NULL;
}

/* End the chains that cannot grow any more (their last hop is over hop_ns before @ts), so their
 * ids can serve new ones. Run only when every id is taken. */
static void reclaim(struct det_lateral *d, uint64_t ts)
{
    struct pool_stats ps;
    pool_stats(d->chains, &ps);
    for (uint32_t id = 1; id <= ps.max_used; id++) {
        struct chain *c = pool_at(d->chains, id);
        if (c->gen != 0 && c->d.last_seen + d->cfg.hop_ns < ts) {
            c->gen = 0;
            pool_give(d->chains, id);
        }
    }
}

static uint32_t chain_new(struct det_lateral *d, uint64_t ts)
{
    uint32_t id = pool_take(d->chains);
    if (id == 0) {
        reclaim(d, ts);
        id = pool_take(d->chains);
    }
    return id;
}

static void explain(struct chain *c, uint64_t first_hop_ts, uint64_t ts)
{
    struct alert_draft *a = &c->d;
    char *p = a->explanation;
    size_t left = sizeof(a->explanation);
    int n = snprintf(p, left, "admin connections hop from host to host: ");
    for (uint32_t i = 0; i < a->n_path && n > 0 && (size_t)n < left; i++) {
        p += n;
        left -= (size_t)n;
        char addr[64];
        uint32_t h = a->path[i];
        flow_summary_addr_str(a->host_addr[h], addr, sizeof(addr));
        n = snprintf(p, left, "%s%s%s%s%s", i > 0 ? " -> " : "", addr,
                     a->host_name[h][0] != '\0' ? " (" : "", a->host_name[h],
                     a->host_name[h][0] != '\0' ? ")" : "");
    }
    if (n > 0 && (size_t)n < left) {
        p += n;
        left -= (size_t)n;
        snprintf(p, left, "; %u hops in %.0f s, %u of them over edges never seen before",
                 a->n_path - 1, (double)(ts - first_hop_ts) / 1e9, c->rare_hops);
    }
}

/* A hop @x -> @a -> @b: start a chain or grow the one @x -> @a belongs to. Returns its id. */
static struct chain *hop(struct det_lateral *d, const struct graph *g, struct inbound *in,
                         uint32_t a_id, const struct graph_visit *v, const struct flow_summary *s,
                         const char *sensor_id, const struct alert_sink *sink, uint32_t *idp)
{
    const struct graph_host *x = graph_host(g, in->from), *a = graph_host(g, a_id),
                            *b = graph_host(g, v->server);
    uint32_t id = in->chain;
    struct chain *c = chain_at(d, id, in->chain_gen);
    bool grow = c != NULL;
    if (!grow) {
        id = chain_new(d, s->first_ts);
        if (id == 0) {
            d->st.alerts_dropped++;
            return NULL;
        }
        c = pool_at(d->chains, id);
        memset(c, 0, sizeof(*c));
        c->gen = ++d->gen;
        struct alert_draft *al = &c->d;
        char addr[64];
        flow_summary_addr_str(x->addr, addr, sizeof(addr));
        snprintf(al->id, sizeof(al->id), "lateral-%s-%" PRIu64, addr, in->ts / 1000000000u);
        al->kind = UMBRA__ALERT_KIND__ALERT_KIND_LATERAL_MOVEMENT;
        al->first_seen = in->ts;
        al->path[al->n_path++] = alert_host(al, x->addr, x->name);
        al->path[al->n_path++] = alert_host(al, a->addr, a->name);
        al->evidence[al->n_evidence++] = in->ev;
        c->rare_hops = in->rare;
        /* The arrival now belongs to this chain: a second connection of the same hop, or a
         * hop to another host from here, grows it instead of starting another. */
        in->chain = id;
        in->chain_gen = c->gen;
        d->st.alerts_raised++;
    } else {
        /* A host already on the path closes a loop: nothing new to report. */
        *idp = id;
        for (uint32_t i = 0; i < c->d.n_path; i++) {
            if (memcmp(c->d.host_addr[c->d.path[i]], b->addr, 16) == 0)
                return c;
        }
        if (c->d.n_path == ALERT_HOSTS_MAX)
            return c;
        c->d.revision++;
        d->st.alerts_grown++;
    }
    *idp = id;
    struct alert_draft *al = &c->d;
    uint32_t bi = alert_host(al, b->addr, b->name);
    if (bi == ALERT_HOSTS_MAX)
        return c;
    al->path[al->n_path++] = bi;
    c->rare_hops += v->new_edge;
    alert_evidence(al, sensor_id, s);
    al->ts = al->last_seen = s->first_ts;
    uint32_t hops = al->n_path - 1;
    al->severity = hops >= 3 ? UMBRA__SEVERITY__SEVERITY_CRITICAL : UMBRA__SEVERITY__SEVERITY_HIGH;
    al->score = 0.5 + 0.5 * (double)c->rare_hops / (double)hops;
    alert_reason(al, "hops", hops, 2);
    alert_reason(al, "rare_hops", c->rare_hops, 0);
    alert_reason(al, "seconds_since_arrival", (double)(s->first_ts - in->ts) / 1e9,
                 (double)d->cfg.hop_ns / 1e9);
    explain(c, al->first_seen, s->first_ts);
    d->st.hops++;
    sink->emit(sink->ctx, al);
    return c;
}

/* A probe is no arrival: an admin connection that ended failed, or without a byte from its
 * client (a scanner's SYN, SYN-ACK, RST), is taken back from its server's arrivals. */
static void take_back(struct det_lateral *d, const struct graph *g, const struct graph_visit *v,
                      const struct flow_summary *s)
{
    const struct graph_host *b = graph_host(g, v->server);
    if (b == NULL || v->server > d->max_hosts || d->host[v->server].serial != b->serial)
        return;
    struct host_state *bs = &d->host[v->server];
    for (int i = 0; i < INBOUND_MAX; i++) {
        if (bs->in[i].from == v->client && bs->in[i].ts == s->first_ts)
            bs->in[i].ts = 0;
    }
}

void det_lateral_observe(struct det_lateral *d, const struct graph *g, const struct graph_visit *v,
                         const struct flow_summary *s, const char *sensor_id,
                         const struct alert_sink *sink)
{
    if (s->ip_proto != 6 || !admin_port(d, s->server_port))
        return;
    if (s->event == UMBRA__FLOW_EVENT__FLOW_EVENT_END && (v->failed || s->bytes[FS_CLIENT] == 0))
        take_back(d, g, v, s);
    if (!v->counted)
        return;
    const struct graph_host *a = graph_host(g, v->client), *b = graph_host(g, v->server);
    if (a == NULL || b == NULL || v->client == v->server || !a->internal || !b->internal ||
        v->client > d->max_hosts || v->server > d->max_hosts)
        return;
    d->st.admin_flows++;
    uint32_t chain = 0;
    const struct chain *c = NULL;
    if (!graph_prefix_match(d->cfg.allow, d->cfg.n_allow, a->addr)) {
        struct host_state *as = state_of(d, v->client, a);
        struct inbound *in = arrival(d, g, as, v->server, s->first_ts);
        if (in != NULL)
            c = hop(d, g, in, v->client, v, s, sensor_id, sink, &chain);
    }
    /* B has been arrived at, as part of A's chain if there is one. */
    struct host_state *bs = state_of(d, v->server, b);
    memmove(&bs->in[1], &bs->in[0], sizeof(bs->in[0]) * (INBOUND_MAX - 1));
    struct inbound *in = &bs->in[0];
    *in = (struct inbound){.from = v->client,
                           .from_serial = a->serial,
                           .ts = s->first_ts,
                           .chain = c != NULL ? chain : 0,
                           .chain_gen = c != NULL ? c->gen : 0,
                           .rare = v->new_edge};
    alert_evidence_of(&in->ev, sensor_id, s);
}

void det_lateral_stats(const struct det_lateral *d, struct det_lateral_stats *out)
{
    *out = d->st;
}
