/*
 * Flow table: owns the flow slots, the hash index, the timeout lists and the fragment memory,
 * and applies the flow rules of docs/FLOWS.md. It does not decode packets, compute features or
 * write records: packets arrive decoded, events leave through the sink.
 *
 * Layout. Slots are one array of struct flow sized at creation (hot parts; struct flow_info,
 * the cold parts, in a parallel array); slots never used yet are taken in order, freed ones
 * form a list through hash_next. The index is an array of chain heads (a power of two, at least
 * twice the slots, so chains stay short); chains link through hash_next. Each live flow is on
 * exactly one timeout list (TCP, UDP, other, closing), a doubly linked list ordered by lru_ts. A
 * flow moves to its list's tail only when its last move is at least LRU_GRANULARITY_NS old, so most
 * packets touch no other flow's memory; the price is that a flow may end up to that long after its
 * timeout. Because every flow on a list shares one timeout, expiry pops list heads and stops at the
 * first flow still live, and the longest-idle flow (for eviction) is one of the four heads.
 */
#include "sensor/flow_table.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/region.h"
#include "sensor/decode.h"

#define NIL UINT32_MAX
/* Coarseness of the timeout lists, and the interval between expiry scans, in packet time. */
#define LRU_GRANULARITY_NS CLOCK_NS_PER_SEC
/* A later fragment more than this after its first fragment is not joined to it (the usual
 * reassembly time-out of IP stacks). */
#define FRAG_MAX_AGE_NS (60 * CLOCK_NS_PER_SEC)
/* Future-stamped flows moved aside per list per expiry scan (see flow_table_expire). */
#define EXPIRE_SKIP_MAX 64
/* Flows are numbered by 32-bit slot indexes and NIL is reserved. */
#define MAX_FLOWS_LIMIT (1u << 31)

enum lru_list {
    LRU_TCP,
    LRU_UDP,
    LRU_OTHER,
    LRU_CLOSING, /* TCP flows after FIN both ways or RST, waiting out the linger */
    LRU_COUNT,
};

struct lru {
    uint32_t head; /* longest idle */
    uint32_t tail;
};

/* A first fragment, remembered so that the later fragments of its datagram find its flow. */
struct frag_slot {
    uint8_t src[16];
    uint8_t dst[16];
    uint32_t id;
    uint8_t proto;
    uint8_t dir; /* enum flow_dir_index of the datagram */
    uint8_t used;
    uint8_t pad;
    uint32_t slot;    /* the flow's slot */
    uint64_t flow_id; /* the flow's id: the slot may have been reused since */
    uint64_t ts;
};

struct flow_table {
    struct flow_table_config cfg;
    flow_event_fn *sink;
    void *ctx;
    struct log *log;
    struct flow *flows;
    struct flow_info *info; /* indexed like flows */
    uint32_t *events;       /* indexed like flows: events emitted so far (FlowRecord.update_seq);
                               apart from struct flow_info, which is full, and touched only at
                               events */
    uint32_t *buckets;
    struct region flows_mem;
    struct region info_mem;
    struct region events_mem;
    struct region buckets_mem;
    uint32_t bucket_mask;
    uint32_t free_head; /* slots freed by ended flows */
    uint32_t unused;    /* slots from here on were never used: touched only when first needed */
    struct lru lists[LRU_COUNT];
    uint64_t timeout[LRU_COUNT];
    struct frag_slot *frags;
    uint32_t frag_mask;
    uint64_t next_id;
    uint64_t next_expire_ts;
    struct flow_table_stats st;
};

static uint32_t pow2_at_least(uint64_t n)
{
    uint64_t p = 1;
    while (p < n)
        p <<= 1;
    return (uint32_t)p;
}

struct flow_table *flow_table_create(const struct flow_table_config *cfg, flow_event_fn *sink,
                                     void *ctx, struct log *log)
{
    if (cfg->max_flows == 0 || cfg->max_flows > MAX_FLOWS_LIMIT / 2) {
        log_err(log, "flow_table: max_flows=%u out of range [1, %u]", cfg->max_flows,
                MAX_FLOWS_LIMIT / 2);
        return NULL;
    }
    struct flow_table *ft = calloc(1, sizeof(*ft));
    if (ft == NULL)
        goto out_oom;
    ft->cfg = *cfg;
    ft->sink = sink;
    ft->ctx = ctx;
    ft->log = log;
    uint32_t nbuckets = pow2_at_least(2ULL * cfg->max_flows);
    uint32_t nfrags = pow2_at_least(cfg->frag_slots ? cfg->frag_slots : 1);
    ft->flows = region_map(&ft->flows_mem, (size_t)cfg->max_flows * sizeof(*ft->flows),
                           REGION_HUGE_PAGES);
    ft->info = region_map(&ft->info_mem, (size_t)cfg->max_flows * sizeof(*ft->info),
                          REGION_HUGE_PAGES);
    ft->events = region_map(&ft->events_mem, (size_t)cfg->max_flows * sizeof(*ft->events),
                            REGION_SMALL_PAGES);
    ft->buckets = region_map(&ft->buckets_mem, (size_t)nbuckets * sizeof(*ft->buckets),
                             REGION_HUGE_PAGES);
    ft->frags = calloc(nfrags, sizeof(*ft->frags));
    if (ft->flows == NULL || ft->info == NULL || ft->events == NULL || ft->buckets == NULL ||
        ft->frags == NULL)
        goto out_free;
    ft->bucket_mask = nbuckets - 1;
    ft->frag_mask = nfrags - 1;
    memset(ft->buckets, 0xff, (size_t)nbuckets * sizeof(*ft->buckets));
    ft->free_head = NIL;
    ft->unused = 0;
    for (int l = 0; l < LRU_COUNT; l++)
        ft->lists[l].head = ft->lists[l].tail = NIL;
    ft->timeout[LRU_TCP] = cfg->tcp_idle_ns;
    ft->timeout[LRU_UDP] = cfg->udp_idle_ns;
    ft->timeout[LRU_OTHER] = cfg->other_idle_ns;
    ft->timeout[LRU_CLOSING] = cfg->close_linger_ns;
    ft->next_id = 1;
    log_info(log, "flow_table: created max_flows=%u buckets=%u frag_slots=%u memory_bytes=%zu",
             cfg->max_flows, nbuckets, nfrags, flow_table_memory(ft));
    return ft;

out_free:
    region_unmap(&ft->flows_mem);
    region_unmap(&ft->info_mem);
    region_unmap(&ft->events_mem);
    region_unmap(&ft->buckets_mem);
    free(ft->frags);
    free(ft);
out_oom:
    log_err(log, "flow_table: out of memory for max_flows=%u", cfg->max_flows);
    return NULL;
}

void flow_table_destroy(struct flow_table **ftp)
{
    if (ftp == NULL || *ftp == NULL)
        return;
    struct flow_table *ft = *ftp;
    region_unmap(&ft->flows_mem);
    region_unmap(&ft->info_mem);
    region_unmap(&ft->events_mem);
    region_unmap(&ft->buckets_mem);
    free(ft->frags);
    free(ft);
    *ftp = NULL;
}

static void lru_unlink(struct flow_table *ft, uint32_t idx)
{
    struct flow *f = &ft->flows[idx];
    struct lru *l = &ft->lists[f->lru_list];
    uint32_t next = ft->info[idx].lru_next;
    if (f->lru_prev != NIL)
        ft->info[f->lru_prev].lru_next = next;
    else
        l->head = next;
    if (next != NIL)
        ft->flows[next].lru_prev = f->lru_prev;
    else
        l->tail = f->lru_prev;
}

static void lru_append(struct flow_table *ft, uint32_t idx, enum lru_list list, uint64_t ts)
{
    struct flow *f = &ft->flows[idx];
    struct lru *l = &ft->lists[list];
    f->lru_list = (uint8_t)list;
    f->lru_ts = ts;
    ft->info[idx].lru_next = NIL;
    f->lru_prev = l->tail;
    if (l->tail != NIL)
        ft->info[l->tail].lru_next = idx;
    else
        l->head = idx;
    l->tail = idx;
}

static void emit(struct flow_table *ft, enum flow_event_type type, enum flow_end_reason reason,
                 uint32_t idx)
{
    struct flow_event ev = {.type = type,
                            .reason = reason,
                            .flow = &ft->flows[idx],
                            .info = &ft->info[idx],
                            .slot = idx,
                            .seq = ft->events[idx]++};
    ft->sink(ft->ctx, &ev);
}

/* Emits END, then takes the flow out of the index and its list and frees the slot. */
static void flow_end(struct flow_table *ft, uint32_t idx, enum flow_end_reason reason)
{
    struct flow *f = &ft->flows[idx];
    emit(ft, FLOW_EVENT_END, reason, idx);

    uint32_t *link = &ft->buckets[ft->info[idx].bucket];
    while (*link != idx)
        link = &ft->flows[*link].hash_next;
    *link = f->hash_next;
    lru_unlink(ft, idx);

    f->hash_next = ft->free_head;
    ft->free_head = idx;
    ft->info[idx].id = 0;
    ft->st.flows_active--;
    ft->st.flows_ended[reason]++;
}

/* The longest-idle live flow: the head of one of the timeout lists. */
static uint32_t longest_idle(const struct flow_table *ft)
{
    uint32_t best = NIL;
    for (int l = 0; l < LRU_COUNT; l++) {
        uint32_t h = ft->lists[l].head;
        if (h != NIL && (best == NIL || ft->flows[h].last_ts < ft->flows[best].last_ts))
            best = h;
    }
    return best;
}

/* Starts fetching the slot slot_alloc() will return next (unless it must evict), so that a new
 * flow's first packet, which writes all of its state, does not wait for each line in turn. */
static void prefetch_next_slot(const struct flow_table *ft)
{
    uint32_t idx = ft->free_head;
    if (idx == NIL && ft->unused < ft->cfg.max_flows)
        idx = ft->unused;
    if (idx == NIL)
        return;
    __builtin_prefetch(&ft->flows[idx], 1);
    __builtin_prefetch((const char *)&ft->flows[idx] + 64, 1);
    __builtin_prefetch(&ft->info[idx], 1);
    if (ft->cfg.prefetch_new != NULL)
        ft->cfg.prefetch_new(ft->cfg.packet_ctx, idx);
}

static uint32_t slot_alloc(struct flow_table *ft)
{
    if (ft->free_head == NIL && ft->unused < ft->cfg.max_flows)
        return ft->unused++;
    if (ft->free_head == NIL)
        flow_end(ft, longest_idle(ft), FLOW_END_EVICTED);
    uint32_t idx = ft->free_head;
    ft->free_head = ft->flows[idx].hash_next;
    return idx;
}

static enum lru_list list_for_proto(uint8_t proto)
{
    switch (proto) {
    case 6:
        return LRU_TCP;
    case 17:
        return LRU_UDP;
    default:
        return LRU_OTHER;
    }
}

/*
 * Whether the packet's source is the client of a new flow. The first packet's sender is the
 * client, except for TCP picked up after its SYN: a SYN-ACK comes from the server, and a segment
 * without SYN is taken to go towards the lower (usually well-known) port.
 */
static bool src_is_client(const struct pkt *pkt)
{
    if (pkt->proto != 6 || (pkt->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
        return true;
    if (pkt->tcp_flags & TCP_SYN)
        return false; /* SYN-ACK */
    if (pkt->sport != pkt->dport)
        return pkt->sport > pkt->dport;
    return true;
}

static uint32_t flow_create(struct flow_table *ft, const struct pkt *pkt,
                            const struct flow_key *key, uint64_t hash, bool src_is_lo)
{
    uint32_t idx = slot_alloc(ft);
    struct flow *f = &ft->flows[idx];
    struct flow_info *info = &ft->info[idx];
    memset(f, 0, sizeof(*f));
    f->key = *key;
    f->client_is_lo = (uint8_t)(src_is_client(pkt) == src_is_lo);
    f->last_ts = f->last_update_ts = pkt->ts_ns;
    info->id = ft->next_id++;
    info->first_ts = pkt->ts_ns;
    ft->events[idx] = 0;
    info->tunnel = pkt->tunnel;
    info->bucket = (uint32_t)(hash & ft->bucket_mask);
    uint32_t *bucket = &ft->buckets[hash & ft->bucket_mask];
    f->hash_next = *bucket;
    *bucket = idx;
    lru_append(ft, idx, list_for_proto(key->proto), pkt->ts_ns);
    ft->st.flows_created++;
    if (++ft->st.flows_active > ft->st.max_active)
        ft->st.max_active = ft->st.flows_active;
    return idx;
}

static uint32_t flow_lookup(const struct flow_table *ft, const struct flow_key *key, uint64_t hash)
{
    uint32_t idx = ft->buckets[hash & ft->bucket_mask];
    /* The counters' line will be written next: fetch it while the key's line is compared, so the
     * two cache misses overlap instead of following each other. */
    if (idx != NIL)
        __builtin_prefetch(&ft->flows[idx].dir, 1);
    while (idx != NIL && !flow_key_equal(&ft->flows[idx].key, key))
        idx = ft->flows[idx].hash_next;
    return idx;
}

static bool tcp_closed(const struct flow *f)
{
    return (f->tcp_close & FLOW_TCP_RST) ||
           (f->tcp_close & (FLOW_TCP_FIN_CLIENT | FLOW_TCP_FIN_SERVER)) ==
                   (FLOW_TCP_FIN_CLIENT | FLOW_TCP_FIN_SERVER);
}

static enum flow_end_reason closed_reason(const struct flow *f)
{
    return (f->tcp_close & FLOW_TCP_RST) ? FLOW_END_RST : FLOW_END_FIN;
}

static void tcp_track(struct flow_table *ft, uint32_t idx, const struct pkt *pkt, int dir)
{
    struct flow *f = &ft->flows[idx];
    uint8_t before = f->tcp_close;
    if (pkt->tcp_flags & TCP_FIN)
        f->tcp_close |= dir == FLOW_DIR_CLIENT ? FLOW_TCP_FIN_CLIENT : FLOW_TCP_FIN_SERVER;
    if (pkt->tcp_flags & TCP_RST)
        f->tcp_close |= FLOW_TCP_RST;
    if (f->tcp_close != before && f->lru_list != LRU_CLOSING && tcp_closed(f)) {
        lru_unlink(ft, idx);
        lru_append(ft, idx, LRU_CLOSING, pkt->ts_ns);
    }
}

static uint32_t frag_index(const struct flow_table *ft, const struct pkt *pkt)
{
    struct {
        uint8_t src[16];
        uint8_t dst[16];
        uint32_t id;
        uint32_t proto;
    } k;
    memcpy(k.src, pkt->src, sizeof(k.src));
    memcpy(k.dst, pkt->dst, sizeof(k.dst));
    k.id = pkt->frag_id;
    k.proto = pkt->proto;
    return (uint32_t)XXH3_64bits_withSeed(&k, sizeof(k), ft->cfg.hash_seed) & ft->frag_mask;
}

static void frag_remember(struct flow_table *ft, const struct pkt *pkt, uint32_t idx, int dir)
{
    struct frag_slot *s = &ft->frags[frag_index(ft, pkt)];
    memcpy(s->src, pkt->src, sizeof(s->src));
    memcpy(s->dst, pkt->dst, sizeof(s->dst));
    s->id = pkt->frag_id;
    s->proto = pkt->proto;
    s->dir = (uint8_t)dir;
    s->used = 1;
    s->slot = idx;
    s->flow_id = ft->info[idx].id;
    s->ts = pkt->ts_ns;
}

static void account(struct flow *f, int dir, const struct pkt *pkt)
{
    struct flow_dir_counters *c = &f->dir[dir];
    c->packets++;
    c->ip_bytes += pkt->ip_len;
    c->payload_bytes += pkt->payload_len;
    if (pkt->ts_ns > f->last_ts)
        f->last_ts = pkt->ts_ns;
}

/* A later fragment: counted to the flow of its first fragment when that one was seen. */
static void frag_later(struct flow_table *ft, const struct pkt *pkt)
{
    struct frag_slot *s = &ft->frags[frag_index(ft, pkt)];
    if (!s->used || s->id != pkt->frag_id || s->proto != pkt->proto ||
        memcmp(s->src, pkt->src, sizeof(s->src)) != 0 ||
        memcmp(s->dst, pkt->dst, sizeof(s->dst)) != 0 || ft->info[s->slot].id != s->flow_id ||
        pkt->ts_ns - s->ts > FRAG_MAX_AGE_NS) {
        ft->st.frag_unattributed++;
        return;
    }
    account(&ft->flows[s->slot], s->dir, pkt);
    if (ft->cfg.on_packet != NULL)
        ft->cfg.on_packet(ft->cfg.packet_ctx, s->slot, s->dir, &ft->flows[s->slot], pkt, false);
    ft->st.frag_attributed++;
}

void flow_table_ref(const struct flow_table *ft, const struct pkt *pkt, struct flow_ref *ref)
{
    ref->src_is_lo = flow_key_from_pkt(pkt, &ref->key);
    ref->hash = flow_key_hash(&ref->key, ft->cfg.hash_seed);
    __builtin_prefetch(&ft->buckets[ref->hash & ft->bucket_mask]);
}

void flow_table_ref_prefetch(const struct flow_table *ft, const struct flow_ref *ref)
{
    uint32_t idx = ft->buckets[ref->hash & ft->bucket_mask];
    if (idx != NIL) {
        __builtin_prefetch(&ft->flows[idx]);
        __builtin_prefetch(&ft->flows[idx].dir, 1);
        if (ft->cfg.prefetch_slot != NULL)
            ft->cfg.prefetch_slot(ft->cfg.packet_ctx, idx);
    }
}

void flow_table_ref_prefetch_links(const struct flow_table *ft, const struct pkt *pkt,
                                   const struct flow_ref *ref)
{
    uint32_t idx = ft->buckets[ref->hash & ft->bucket_mask];
    if (idx == NIL)
        return;
    const struct flow *f = &ft->flows[idx];
    /* Only the first flow of the chain: it is the one almost every packet finds. */
    if (!flow_key_equal(&f->key, &ref->key))
        return;
    if (ft->cfg.prefetch_late != NULL) {
        int dir = ref->src_is_lo == (bool)f->client_is_lo ? FLOW_DIR_CLIENT : FLOW_DIR_SERVER;
        ft->cfg.prefetch_late(ft->cfg.packet_ctx, idx, dir, pkt);
    }
    if (pkt->ts_ns < f->lru_ts + LRU_GRANULARITY_NS)
        return;
    const struct lru *l = &ft->lists[f->lru_list];
    __builtin_prefetch(&ft->info[idx], 1);
    if (f->lru_prev != NIL)
        __builtin_prefetch(&ft->info[f->lru_prev], 1);
    if (l->tail != NIL)
        __builtin_prefetch(&ft->info[l->tail], 1);
}

void flow_table_packet(struct flow_table *ft, const struct pkt *pkt)
{
    struct flow_ref ref;
    flow_table_ref(ft, pkt, &ref);
    flow_table_packet_ref(ft, pkt, &ref);
}

void flow_table_packet_ref(struct flow_table *ft, const struct pkt *pkt, const struct flow_ref *ref)
{
    ft->st.packets++;
    /* On schedule; or the capture's time went back by more than the schedule's granularity (a
     * packet stamped in the future had pushed the schedule ahead): expire now, and schedule
     * from this packet's time. */
    if (pkt->ts_ns >= ft->next_expire_ts ||
        ft->next_expire_ts - pkt->ts_ns > 2 * LRU_GRANULARITY_NS) {
        flow_table_expire(ft, pkt->ts_ns);
        ft->next_expire_ts = pkt->ts_ns + LRU_GRANULARITY_NS;
    }
    if (pkt->frag == PKT_FRAG_LATER) {
        frag_later(ft, pkt);
        return;
    }

    const struct flow_key *key = &ref->key;
    bool src_is_lo = ref->src_is_lo;
    uint64_t hash = ref->hash;
    uint32_t idx = flow_lookup(ft, key, hash);
    if (idx != NIL && pkt->proto == 6 && (pkt->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN &&
        tcp_closed(&ft->flows[idx])) {
        /* A new connection on a closed one's ports: the old flow is over, whatever its linger. */
        flow_end(ft, idx, closed_reason(&ft->flows[idx]));
        ft->st.port_reuse++;
        idx = NIL;
    }
    bool created = idx == NIL;
    if (created)
        idx = flow_create(ft, pkt, key, hash, src_is_lo);

    struct flow *f = &ft->flows[idx];
    int dir = src_is_lo == (bool)f->client_is_lo ? FLOW_DIR_CLIENT : FLOW_DIR_SERVER;
    account(f, dir, pkt);
    if (pkt->proto == 6)
        tcp_track(ft, idx, pkt, dir);
    if (pkt->frag == PKT_FRAG_FIRST)
        frag_remember(ft, pkt, idx, dir);
    if (pkt->ts_ns >= f->lru_ts + LRU_GRANULARITY_NS) {
        enum lru_list list = (enum lru_list)f->lru_list;
        lru_unlink(ft, idx);
        lru_append(ft, idx, list, pkt->ts_ns);
    }

    if (ft->cfg.on_packet != NULL)
        ft->cfg.on_packet(ft->cfg.packet_ctx, idx, dir, f, pkt, created);
    if (created) {
        emit(ft, FLOW_EVENT_OPEN, FLOW_END_NONE, idx);
        prefetch_next_slot(ft);
    }
    if (ft->cfg.active_ns != 0 && pkt->ts_ns >= f->last_update_ts &&
        pkt->ts_ns - f->last_update_ts >= ft->cfg.active_ns) {
        f->last_update_ts = pkt->ts_ns;
        ft->st.updates++;
        emit(ft, FLOW_EVENT_UPDATE, FLOW_END_NONE, idx);
    }
}

void flow_table_expire(struct flow_table *ft, uint64_t now_ns)
{
    for (int l = 0; l < LRU_COUNT; l++) {
        uint64_t timeout = ft->timeout[l];
        uint32_t idx;
        uint32_t skipped = 0;
        while ((idx = ft->lists[l].head) != NIL) {
            const struct flow *f = &ft->flows[idx];
            /* Ending a flow touches its neighbours and its chain: start on the next one's. */
            uint32_t next = ft->info[idx].lru_next;
            if (next != NIL) {
                __builtin_prefetch(&ft->flows[next]);
                __builtin_prefetch(&ft->info[next]);
                /* And the state kept elsewhere that its END will read and give back. */
                if (ft->cfg.prefetch_slot != NULL)
                    ft->cfg.prefetch_slot(ft->cfg.packet_ctx, next);
            }
            if (now_ns < f->last_ts) {
                /* Stamped later than now (the capture's time went back): it cannot be judged
                 * yet, and must not hold up the flows behind it. It goes behind them, a bounded
                 * number per scan so that a hostile capture cannot make scans long. */
                if (++skipped > EXPIRE_SKIP_MAX || idx == ft->lists[l].tail)
                    break;
                lru_unlink(ft, idx);
                lru_append(ft, idx, (enum lru_list)l, now_ns);
                continue;
            }
            /* Written as a subtraction so that a huge timeout cannot overflow. */
            if (now_ns - f->last_ts < timeout)
                break;
            flow_end(ft, idx, l == LRU_CLOSING ? closed_reason(f) : FLOW_END_IDLE);
        }
    }
    prefetch_next_slot(ft); /* the flows ended here put other slots at the free list's head */
}

void flow_table_flush(struct flow_table *ft, enum flow_end_reason reason)
{
    for (int l = 0; l < LRU_COUNT; l++) {
        while (ft->lists[l].head != NIL)
            flow_end(ft, ft->lists[l].head, reason);
    }
}

void flow_table_stats(const struct flow_table *ft, struct flow_table_stats *out)
{
    *out = ft->st;
}

size_t flow_table_memory(const struct flow_table *ft)
{
    return sizeof(*ft) +
           (size_t)ft->cfg.max_flows *
                   (sizeof(*ft->flows) + sizeof(*ft->info) + sizeof(*ft->events)) +
           ((size_t)ft->bucket_mask + 1) * sizeof(*ft->buckets) +
           ((size_t)ft->frag_mask + 1) * sizeof(*ft->frags);
}
