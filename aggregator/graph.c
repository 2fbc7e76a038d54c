/*
 * Graph: hosts and edges in fixed pools (common/pool), found through open-addressing indexes of
 * ids (linear probing, deletion by backward shift, so no tombstones pile up as the sweep
 * forgets entries), and per-source sketch rings for distinct counts.
 */
#include "aggregator/graph.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "common/hll.h"
#include "common/log.h"
#include "common/pool.h"

struct host_ent {
    struct graph_host pub;
    uint64_t hash;
    uint32_t sketch; /* sketch set id in the sketch pool, 0 none */
    bool used;
};

struct edge_ent {
    struct graph_edge pub;
    uint64_t hash;
    bool used;
};

/* One bucket's sketches of a source. */
struct sketch_slot {
    uint64_t bucket; /* which bucket it holds; UINT64_MAX: empty */
    struct hll *servers, *services;
};

struct sketch_set {
    struct sketch_slot slot[GRAPH_SKETCH_SLOTS];
};

/* An index of ids by hash: 2^k slots of (id, upper hash bits), linear probing. */
struct index {
    uint32_t *id;
    uint32_t mask;
};

struct graph {
    struct graph_config cfg;
    struct log *log;
    struct pool *hosts, *edges, *sketches;
    struct index host_ix, edge_ix;
    uint8_t *hll_mem; /* the sketch pool's sketches: 2 per slot per set */
    size_t hll_size;
    struct graph_stats st;
    uint64_t serial; /* of the last host added */
};

/* ---- the index ----------------------------------------------------------------------------- */

static int index_init(struct index *ix, uint32_t entries)
{
    uint32_t n = 16;
    while (n < entries * 2u && n < (1u << 31))
        n <<= 1;
    ix->id = calloc(n, sizeof(*ix->id));
    ix->mask = n - 1;
    return ix->id != NULL ? 0 : -ENOMEM;
}

typedef bool index_match_fn(const struct graph *g, uint32_t id, const void *key);
typedef uint64_t index_hash_fn(const struct graph *g, uint32_t id);

static uint32_t index_find(const struct graph *g, const struct index *ix, uint64_t h,
                           index_match_fn *match, const void *key, uint32_t *slot)
{
    uint32_t i = (uint32_t)h & ix->mask;
    while (ix->id[i] != 0) {
        if (match(g, ix->id[i], key)) {
            *slot = i;
            return ix->id[i];
        }
        i = (i + 1) & ix->mask;
    }
    *slot = i; /* the empty slot where it would go */
    return GRAPH_NONE;
}

/* Remove the id at @slot: later entries of its probe run move back into the gap (Knuth 6.4,
 * Algorithm R), so every entry stays reachable from its home slot. */
static void index_remove(const struct graph *g, struct index *ix, uint32_t slot,
                         index_hash_fn *hash)
{
    uint32_t gap = slot;
    uint32_t i = (slot + 1) & ix->mask;
    while (ix->id[i] != 0) {
        uint32_t home = (uint32_t)hash(g, ix->id[i]) & ix->mask;
        /* Move it if its home is not within (gap, i], cyclically. */
        bool stays = gap <= i ? (home > gap && home <= i) : (home > gap || home <= i);
        if (!stays) {
            ix->id[gap] = ix->id[i];
            gap = i;
        }
        i = (i + 1) & ix->mask;
    }
    ix->id[gap] = 0;
}

/* ---- hosts ----------------------------------------------------------------------------------- */

static struct host_ent *host_at(const struct graph *g, uint32_t id)
{
    return pool_at(g->hosts, id);
}

static struct edge_ent *edge_at(const struct graph *g, uint32_t id)
{
    return pool_at(g->edges, id);
}

static bool host_match(const struct graph *g, uint32_t id, const void *key)
{
    return memcmp(host_at(g, id)->pub.addr, key, 16) == 0;
}

static uint64_t host_hash_of(const struct graph *g, uint32_t id)
{
    return host_at(g, id)->hash;
}

static uint64_t addr_hash(const uint8_t addr[16])
{
    return XXH3_64bits(addr, 16);
}

bool graph_prefix_match(const struct graph_prefix *p, uint32_t n, const uint8_t addr[16])
{
    for (uint32_t i = 0; i < n; i++) {
        unsigned whole = p[i].len / 8, rest = p[i].len % 8;
        if (memcmp(addr, p[i].addr, whole) != 0)
            continue;
        if (rest == 0 || ((addr[whole] ^ p[i].addr[whole]) & (uint8_t)(0xff << (8 - rest))) == 0)
            return true;
    }
    return false;
}

bool graph_internal(const struct graph *g, const uint8_t addr[16])
{
    return graph_prefix_match(g->cfg.internal, g->cfg.n_internal, addr);
}

/* The host of @addr, added when new and @add; GRAPH_NONE when unknown or the table is full. */
static uint32_t host_get(struct graph *g, const uint8_t addr[16], uint64_t ts, bool add)
{
    uint64_t h = addr_hash(addr);
    uint32_t slot;
    uint32_t id = index_find(g, &g->host_ix, h, host_match, addr, &slot);
    if (id != GRAPH_NONE || !add)
        return id;
    id = pool_take(g->hosts);
    if (id == 0) {
        g->st.hosts_dropped++;
        return GRAPH_NONE;
    }
    struct host_ent *e = host_at(g, id);
    memset(e, 0, sizeof(*e));
    memcpy(e->pub.addr, addr, 16);
    e->pub.serial = ++g->serial;
    e->pub.internal = graph_internal(g, addr);
    e->pub.first_seen = e->pub.last_seen = ts;
    e->hash = h;
    e->used = true;
    g->host_ix.id[slot] = id;
    g->st.hosts++;
    return id;
}

uint32_t graph_find_host(const struct graph *g, const uint8_t addr[16])
{
    uint32_t slot;
    return index_find(g, &g->host_ix, addr_hash(addr), host_match, addr, &slot);
}

static void host_touch(struct host_ent *e, uint64_t ts)
{
    if (ts > e->pub.last_seen)
        e->pub.last_seen = ts;
    if (ts < e->pub.first_seen)
        e->pub.first_seen = ts;
}

static void host_name(struct graph *g, const uint8_t addr[16], const char *name, uint64_t ts)
{
    if (name[0] == '\0')
        return;
    uint32_t id = host_get(g, addr, ts, true);
    if (id == GRAPH_NONE)
        return;
    struct host_ent *e = host_at(g, id);
    host_touch(e, ts);
    if (strcmp(e->pub.name, name) != 0) {
        memcpy(e->pub.name, name, sizeof(e->pub.name));
        g->st.names_learnt++;
    }
}

/* ---- sketches -------------------------------------------------------------------------------- */

static struct sketch_set *sketch_at(const struct graph *g, uint32_t id)
{
    return pool_at(g->sketches, id);
}

/* Lend a sketch set to host @e; its sketches live at fixed places in hll_mem. */
static void sketch_lend(struct graph *g, struct host_ent *e)
{
    uint32_t id = pool_take(g->sketches);
    if (id == 0) {
        g->st.sketch_pool_exhausted++;
        return;
    }
    struct sketch_set *set = sketch_at(g, id);
    for (int i = 0; i < GRAPH_SKETCH_SLOTS; i++) {
        uint8_t *m = g->hll_mem +
                     (((size_t)(id - 1) * GRAPH_SKETCH_SLOTS + (size_t)i) * 2) * g->hll_size;
        set->slot[i].bucket = UINT64_MAX;
        set->slot[i].servers = hll_init(m, g->hll_size, g->cfg.hll_p);
        set->slot[i].services = hll_init(m + g->hll_size, g->hll_size, g->cfg.hll_p);
    }
    e->sketch = id;
    g->st.sources++;
}

static void sketch_add(struct graph *g, struct host_ent *src, uint64_t bucket,
                       const struct flow_summary *s)
{
    if (src->sketch == 0)
        sketch_lend(g, src);
    if (src->sketch == 0)
        return;
    struct sketch_slot *sl = &sketch_at(g, src->sketch)->slot[bucket % GRAPH_SKETCH_SLOTS];
    if (sl->bucket != bucket) {
        if (sl->bucket != UINT64_MAX && sl->bucket > bucket)
            return; /* a late record for a bucket the ring has moved past: not counted */
        hll_clear(sl->servers);
        hll_clear(sl->services);
        sl->bucket = bucket;
    }
    uint8_t key[19];
    memcpy(key, s->server, 16);
    key[16] = s->ip_proto;
    key[17] = (uint8_t)(s->server_port >> 8);
    key[18] = (uint8_t)s->server_port;
    hll_add(sl->servers, XXH3_64bits(key, 16));
    hll_add(sl->services, XXH3_64bits(key, sizeof(key)));
}

void graph_distinct(const struct graph *g, uint32_t id, uint64_t first, uint64_t last,
                    double *servers, double *services)
{
    *servers = *services = 0.0;
    const struct host_ent *e = graph_host(g, id) != NULL ? host_at(g, id) : NULL;
    if (e == NULL || e->sketch == 0 || last < first)
        return;
    const struct sketch_set *set = sketch_at(g, e->sketch);
    /* Merge into scratch sketches on the stack: at most 2^HLL_P_MAX bytes each. */
    _Alignas(16) uint8_t a[sizeof(void *) * 4 + (1u << 12)], b[sizeof(a)];
    if (g->hll_size > sizeof(a))
        return; /* graph_create() refuses such a precision */
    struct hll *ms = hll_init(a, sizeof(a), g->cfg.hll_p);
    struct hll *mp = hll_init(b, sizeof(b), g->cfg.hll_p);
    for (int i = 0; i < GRAPH_SKETCH_SLOTS; i++) {
        const struct sketch_slot *sl = &set->slot[i];
        if (sl->bucket != UINT64_MAX && sl->bucket >= first && sl->bucket <= last) {
            hll_merge(ms, sl->servers);
            hll_merge(mp, sl->services);
        }
    }
    *servers = hll_estimate(ms);
    *services = hll_estimate(mp);
}

/* ---- edges ----------------------------------------------------------------------------------- */

struct edge_key {
    uint32_t client, server;
    uint16_t port;
    uint8_t proto;
};

static bool edge_match(const struct graph *g, uint32_t id, const void *key)
{
    const struct edge_key *k = key;
    const struct graph_edge *e = &edge_at(g, id)->pub;
    return e->client == k->client && e->server == k->server && e->port == k->port &&
           e->proto == k->proto;
}

static uint64_t edge_hash_of(const struct graph *g, uint32_t id)
{
    return edge_at(g, id)->hash;
}

static uint64_t edge_hash(const struct edge_key *k)
{
    uint8_t b[11];
    memcpy(b, &k->client, 4);
    memcpy(b + 4, &k->server, 4);
    memcpy(b + 8, &k->port, 2);
    b[10] = k->proto;
    return XXH3_64bits(b, sizeof(b));
}

static uint32_t edge_get(struct graph *g, const struct edge_key *k, uint64_t ts, bool *created)
{
    uint64_t h = edge_hash(k);
    uint32_t slot;
    *created = false;
    uint32_t id = index_find(g, &g->edge_ix, h, edge_match, k, &slot);
    if (id != GRAPH_NONE)
        return id;
    id = pool_take(g->edges);
    if (id == 0) {
        g->st.edges_dropped++;
        return GRAPH_NONE;
    }
    struct edge_ent *e = edge_at(g, id);
    memset(e, 0, sizeof(*e));
    e->pub.client = k->client;
    e->pub.server = k->server;
    e->pub.port = k->port;
    e->pub.proto = k->proto;
    e->pub.first_seen = e->pub.last_seen = ts;
    e->hash = h;
    e->used = true;
    g->edge_ix.id[slot] = id;
    g->st.edges++;
    *created = true;
    return id;
}

/* ---- observing ------------------------------------------------------------------------------- */

bool graph_flow_failed(const struct flow_summary *s)
{
    if (s->ip_proto == 6)
        return s->syn[FS_CLIENT] > 0 && s->syn_synack_ns == 0 && s->bytes[FS_SERVER] == 0;
    if (s->ip_proto == 17)
        return s->packets[FS_SERVER] == 0;
    return false;
}

static float record_score(const struct flow_summary *s)
{
    return s->head_max > s->anomaly ? s->head_max : s->anomaly;
}

void graph_observe(struct graph *g, const struct flow_summary *s, uint64_t bucket,
                   struct graph_visit *v)
{
    *v = (struct graph_visit){0};
    uint64_t ts = s->first_ts;
    uint64_t last = s->last_ts > ts ? s->last_ts : ts;
    /* Names first, so a flow's server is named by its own record. */
    if (s->server_name[0] != '\0')
        host_name(g, s->server, s->server_name, last);
    for (unsigned i = 0; i < s->n_dns_addr; i++)
        host_name(g, s->dns_addr[i], s->dns_name, last);

    v->client = host_get(g, s->client, ts, true);
    v->server = host_get(g, s->server, ts, true);
    if (v->client == GRAPH_NONE || v->server == GRAPH_NONE)
        return;
    struct host_ent *c = host_at(g, v->client), *sv = host_at(g, v->server);
    host_touch(c, last);
    host_touch(sv, last);
    struct edge_key k = {v->client, v->server, s->server_port, s->ip_proto};
    v->edge = edge_get(g, &k, ts, &v->new_edge);

    bool open = s->event == UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN;
    bool end = s->event == UMBRA__FLOW_EVENT__FLOW_EVENT_END;
    /* The OPEN counts the flow. An END on an edge not known before means its OPEN never came
     * (a batch the sensor dropped at its spool cap, a sensor restarted mid-flow): it counts. */
    v->counted = open || (end && v->new_edge);
    v->failed = end && graph_flow_failed(s);
    if (v->counted) {
        c->pub.flows_out++;
        sv->pub.flows_in++;
        sketch_add(g, c, bucket, s);
    }
    if (end) {
        c->pub.bytes_out += s->bytes[FS_CLIENT];
        c->pub.bytes_in += s->bytes[FS_SERVER];
        sv->pub.bytes_out += s->bytes[FS_SERVER];
        sv->pub.bytes_in += s->bytes[FS_CLIENT];
        if (v->failed)
            c->pub.failed_out++;
    }
    float score = s->has_scores ? record_score(s) : 0.0f;
    if (score > c->pub.score_max)
        c->pub.score_max = score;
    if (score > sv->pub.score_max)
        sv->pub.score_max = score;
    if (v->edge == GRAPH_NONE)
        return;
    struct graph_edge *e = &edge_at(g, v->edge)->pub;
    if (last > e->last_seen)
        e->last_seen = last;
    if (ts < e->first_seen)
        e->first_seen = ts;
    e->flows += v->counted;
    if (end) {
        e->bytes_c2s += s->bytes[FS_CLIENT];
        e->bytes_s2c += s->bytes[FS_SERVER];
        e->failed += v->failed;
    }
    if (s->has_scores) {
        e->scored++;
        e->score_sum += score;
        if (score > e->score_max)
            e->score_max = score;
    }
}

const struct graph_host *graph_host(const struct graph *g, uint32_t id)
{
    if (id == GRAPH_NONE || id > g->cfg.max_hosts)
        return NULL;
    const struct host_ent *e = host_at(g, id);
    return e->used ? &e->pub : NULL;
}

const struct graph_edge *graph_edge(const struct graph *g, uint32_t id)
{
    if (id == GRAPH_NONE || id > g->cfg.max_edges)
        return NULL;
    const struct edge_ent *e = edge_at(g, id);
    return e->used ? &e->pub : NULL;
}

/* ---- forgetting ------------------------------------------------------------------------------ */

uint32_t graph_sweep(struct graph *g, uint64_t before)
{
    struct pool_stats ps;
    pool_stats(g->edges, &ps);
    for (uint32_t id = 1; id <= ps.max_used; id++) {
        struct edge_ent *e = edge_at(g, id);
        if (!e->used || e->pub.last_seen >= before)
            continue;
        struct edge_key k = {e->pub.client, e->pub.server, e->pub.port, e->pub.proto};
        uint32_t slot;
        if (index_find(g, &g->edge_ix, e->hash, edge_match, &k, &slot) == id)
            index_remove(g, &g->edge_ix, slot, edge_hash_of);
        e->used = false;
        pool_give(g->edges, id);
        g->st.edges--;
        g->st.edges_forgotten++;
    }
    /* A host is touched whenever one of its edges is, so its edges are gone by now. */
    uint32_t n = 0;
    pool_stats(g->hosts, &ps);
    for (uint32_t id = 1; id <= ps.max_used; id++) {
        struct host_ent *e = host_at(g, id);
        if (!e->used || e->pub.last_seen >= before)
            continue;
        uint32_t slot;
        if (index_find(g, &g->host_ix, e->hash, host_match, e->pub.addr, &slot) == id)
            index_remove(g, &g->host_ix, slot, host_hash_of);
        if (e->sketch != 0) {
            pool_give(g->sketches, e->sketch);
            g->st.sources--;
        }
        e->used = false;
        pool_give(g->hosts, id);
        g->st.hosts--;
        g->st.hosts_forgotten++;
        n++;
    }
    return n;
}

/* ---- life ------------------------------------------------------------------------------------ */

int graph_prefix_parse(const char *text, struct graph_prefix *out)
{
    char buf[64];
    const char *slash = strchr(text, '/');
    size_t n = slash != NULL ? (size_t)(slash - text) : strlen(text);
    if (n == 0 || n >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, text, n);
    buf[n] = '\0';
    uint8_t a[16];
    unsigned max, base;
    if (inet_pton(AF_INET, buf, a) == 1) {
        flow_summary_addr(out->addr, a, 4);
        max = 32;
        base = 96;
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        max = 128;
        base = 0;
    } else {
        return -EINVAL;
    }
    unsigned long len = max;
    if (slash != NULL) {
        char *end;
        errno = 0;
        len = strtoul(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end != '\0' || errno != 0 || len > max)
            return -EINVAL;
    }
    out->len = (uint8_t)(base + len);
    /* No host bits: every bit past the length is 0. */
    for (unsigned bit = out->len; bit < 128; bit++) {
        if (out->addr[bit / 8] & (0x80u >> (bit % 8)))
            return -EINVAL;
    }
    return 0;
}

struct graph *graph_create(const struct graph_config *cfg, struct log *log)
{
    size_t hsz = hll_bytes(cfg->hll_p);
    if (cfg->max_hosts == 0 || cfg->max_edges == 0 || cfg->max_hosts > (1u << 30) ||
        cfg->max_edges > (1u << 30) || cfg->max_sources > cfg->max_hosts || hsz == 0 ||
        cfg->hll_p > 12 || cfg->n_internal > GRAPH_PREFIXES_MAX) {
        log_err(log,
                "graph: invalid limits (max_hosts %u, max_edges %u, max_sources %u, "
                "sketch precision %u: 4..12)",
                cfg->max_hosts, cfg->max_edges, cfg->max_sources, cfg->hll_p);
        return NULL;
    }
    struct graph *g = calloc(1, sizeof(*g));
    if (g == NULL)
        goto oom;
    g->cfg = *cfg;
    g->log = log;
    g->hll_size = (hsz + 15) & ~(size_t)15;
    g->hosts = pool_create("graph hosts", cfg->max_hosts, sizeof(struct host_ent), log);
    g->edges = pool_create("graph edges", cfg->max_edges, sizeof(struct edge_ent), log);
    g->sketches = pool_create("graph sketches", cfg->max_sources, sizeof(struct sketch_set), log);
    if (g->hosts == NULL || g->edges == NULL || g->sketches == NULL)
        goto fail; /* logged by the pool */
    /* Sketch memory is touched only as sets are lent: calloc of a large block maps lazily. */
    size_t n_hll = (size_t)cfg->max_sources * GRAPH_SKETCH_SLOTS * 2;
    g->hll_mem = n_hll > 0 ? aligned_alloc(16, n_hll * g->hll_size) : NULL;
    if ((n_hll > 0 && g->hll_mem == NULL) || index_init(&g->host_ix, cfg->max_hosts) != 0 ||
        index_init(&g->edge_ix, cfg->max_edges) != 0)
        goto oom;
    return g;
oom:
    log_err(log, "graph: out of memory for %u hosts, %u edges, %u sources", cfg->max_hosts,
            cfg->max_edges, cfg->max_sources);
fail:
    graph_destroy(&g);
    return NULL;
}

void graph_destroy(struct graph **gp)
{
    if (gp == NULL || *gp == NULL)
        return;
    struct graph *g = *gp;
    pool_destroy(&g->hosts);
    pool_destroy(&g->edges);
    pool_destroy(&g->sketches);
    free(g->hll_mem);
    free(g->host_ix.id);
    free(g->edge_ix.id);
    free(g);
    *gp = NULL;
}

void graph_stats(const struct graph *g, struct graph_stats *out)
{
    *out = g->st;
    out->memory = pool_memory(g->hosts) + pool_memory(g->edges) + pool_memory(g->sketches) +
                  (size_t)g->cfg.max_sources * GRAPH_SKETCH_SLOTS * 2 * g->hll_size +
                  ((size_t)g->host_ix.mask + 1 + g->edge_ix.mask + 1) * sizeof(uint32_t);
}
