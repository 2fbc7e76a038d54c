/*
 * Generator simulation: the event queue, sessions and their TCP/UDP endpoints.
 *
 * Events are kept in one binary heap ordered by (time, insertion number), so two events at the
 * same nanosecond run in the order they were made and a run is a function of the seed alone.
 */
#include "tools/gen/gen_sim.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tools/gen/gen_buf.h"
#include "tools/gen/gen_wire.h"

/* Stacks as they look on the wire (options order and values as each OS sends them in a SYN;
 * receive buffers and initial windows are their defaults: RFC 6928's ten segments for Linux
 * and macOS, Windows 10's default of ten as well). */
const struct gen_stack gen_stack_linux = {
        .ttl = 64,
        .mss = 1460,
        .wscale = 7,
        .sack_ok = true,
        .timestamps = true,
        .syn_win = 64240,
        .rcv_buf = 64240u * 4,
        .delack_ns = 40 * GEN_NS_PER_MS,
        .init_cwnd = 10,
        .max_cwnd = 256,
};
const struct gen_stack gen_stack_windows = {
        .ttl = 128,
        .mss = 1460,
        .wscale = 8,
        .sack_ok = true,
        .timestamps = false,
        .syn_win = 64240,
        .rcv_buf = 64240u * 4,
        .delack_ns = 200 * GEN_NS_PER_MS,
        .init_cwnd = 10,
        .max_cwnd = 256,
};
const struct gen_stack gen_stack_macos = {
        .ttl = 64,
        .mss = 1460,
        .wscale = 6,
        .sack_ok = true,
        .timestamps = true,
        .syn_win = 65535,
        .rcv_buf = 131072,
        .delack_ns = 100 * GEN_NS_PER_MS,
        .init_cwnd = 10,
        .max_cwnd = 256,
};

enum ev_kind {
    EV_WAKE,    /* an actor */
    EV_EMIT,    /* a frame reaches the tap */
    EV_DELIVER, /* a frame reaches the other side */
    EV_TIMER,   /* a session timer */
};

enum timer_kind {
    TM_APP,    /* arg: the app's */
    TM_DELACK, /* arg: side */
    TM_RTO,    /* arg: side */
    TM_UP,     /* UDP flow start */
};

struct ev {
    uint64_t t;
    uint64_t order;
    void *obj;
    gen_actor_fn *fn;
    uint32_t arg;
    uint16_t gen;
    uint8_t kind;
    uint8_t timer;
};

/* A frame in flight: built when sent, written when it passes the tap, read by the receiver. */
struct frame {
    struct frame *next_free;
    struct gen_sess *s;
    uint64_t off;     /* stream offset of the first payload byte (TCP) */
    uint64_t ack_off; /* peer stream offset acknowledged (with GEN_TCP_ACK) */
    uint32_t plen;    /* payload bytes */
    uint32_t len;     /* frame bytes */
    uint32_t tsval;   /* its TSval (TCP timestamps) */
    uint32_t tag;     /* UDP: the message's tag */
    uint8_t side;     /* sender */
    uint8_t flags;    /* TCP flags */
    uint8_t fate;     /* FATE_* */
    bool ack_fin;     /* the ACK covers the peer's FIN */
    uint8_t bytes[GEN_FRAME_MAX];
};

enum { FATE_DELIVER, FATE_LOST_BEFORE_TAP, FATE_LOST_AFTER_TAP };

/* An application message, kept by its sender until acknowledged. */
struct msg {
    struct msg *next;
    uint64_t start; /* stream offset */
    uint64_t len;
    uint64_t seed;  /* random content */
    uint8_t *bytes; /* the first n bytes, owned */
    uint32_t n;
    uint32_t tag;
    uint8_t fill;
    bool delivered; /* the peer's app has been told */
};

#define OOO_MAX 4

struct side {
    /* sending (stream offsets count payload bytes only; SYN and FIN are flags) */
    uint64_t una, nxt, max, queued, recover;
    struct msg *msgs, *msgs_tail;
    uint32_t isn;
    uint32_t cwnd, ssthresh, cwnd_acc;
    uint32_t seg; /* payload bytes per full segment */
    uint32_t rto_backoff;
    uint8_t dupacks;
    uint8_t syn_tries;
    bool syn_sent, established, fin_queued, fin_sent, fin_acked, in_recovery;
    /* receiving */
    uint64_t rcv;
    uint32_t peer_isn;
    bool peer_fin;
    uint8_t nooo;
    uint8_t unacked; /* in-order segments not yet acknowledged */
    bool ack_now;    /* an ACK is owed at once (out of order, FIN, hole filled) */
    bool peer_closed_told;
    struct {
        uint64_t a, b;
    } ooo[OOO_MAX];
    uint16_t delack_gen, rto_gen;
    bool delack_armed, rto_armed;
    uint64_t next_tx; /* when its link is free again (pacing) */
    uint16_t ip_id;
    uint32_t ts_base, ts_recent;
    uint8_t wscale_rcv; /* shift applied to the windows it announces */
    uint8_t wscale_snd; /* shift the peer applies to its windows */
    uint32_t peer_wnd;  /* bytes */
    bool closed;
};

struct gen_sess {
    struct gen_sess *next_free;
    struct gen_sess *live_prev, *live_next; /* every session not yet freed */
    struct gen_sim *sim;
    struct gen_flow_params p;
    struct gen_rng rng;
    struct side side[2];
    bool ts_ok, sack_ok, ws_ok;
    bool finished, refused_told;
    uint32_t pending; /* events that name this session */
    uint64_t first_ns, last_ns, packets, bytes;
    uint64_t id;
};

#define RANDOM_POOL (1u << 20) /* a power of two */

struct gen_sim {
    struct gen_sim_config cfg;
    struct ev *heap;
    size_t nheap, capheap;
    uint64_t order;
    uint64_t now;
    bool no_new;
    struct frame *free_frames;
    struct gen_sess *free_sess;
    struct gen_sess *live;
    uint64_t frames_live;
    uint64_t sess_ids;
    struct gen_sim_stats st;
    uint8_t *pool; /* RANDOM_POOL random bytes, the source of every random payload */
};

/* ---- events ---- */

static bool ev_before(const struct ev *a, const struct ev *b)
{
    return a->t < b->t || (a->t == b->t && a->order < b->order);
}

static int ev_push(struct gen_sim *sim, struct ev e)
{
    if (sim->nheap == sim->capheap) {
        size_t cap = sim->capheap ? sim->capheap * 2 : 4096;
        struct ev *h = realloc(sim->heap, cap * sizeof *h);
        if (h == NULL)
            return -ENOMEM;
        sim->heap = h;
        sim->capheap = cap;
    }
    e.order = sim->order++;
    size_t i = sim->nheap++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!ev_before(&e, &sim->heap[parent]))
            break;
        sim->heap[i] = sim->heap[parent];
        i = parent;
    }
    sim->heap[i] = e;
    return 0;
}

static struct ev ev_pop(struct gen_sim *sim)
{
    struct ev top = sim->heap[0];
    struct ev last = sim->heap[--sim->nheap];
    size_t i = 0;
    size_t n = sim->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && ev_before(&sim->heap[c + 1], &sim->heap[c]))
            c++;
        if (!ev_before(&sim->heap[c], &last))
            break;
        sim->heap[i] = sim->heap[c];
        i = c;
    }
    if (n > 0)
        sim->heap[i] = last;
    return top;
}

/* A session event; a failure to queue one is out-of-memory, which ends the run. */
static int sess_event(struct gen_sess *s, uint64_t t, uint8_t kind, void *obj, uint8_t timer,
                      uint32_t arg, uint16_t gen)
{
    struct ev e = {.t = t, .kind = kind, .obj = obj, .timer = timer, .arg = arg, .gen = gen};
    int rc = ev_push(s->sim, e);
    if (rc == 0)
        s->pending++;
    return rc;
}

/* ---- the simulation ---- */

struct gen_sim *gen_sim_create(const struct gen_sim_config *cfg)
{
    struct gen_sim *sim = calloc(1, sizeof *sim);
    if (sim == NULL)
        return NULL;
    sim->cfg = *cfg;
    sim->pool = malloc(RANDOM_POOL);
    if (sim->pool == NULL) {
        free(sim);
        return NULL;
    }
    struct gen_rng rng;
    gen_rng_init(&rng, cfg->seed, 0x9001000000000000ull);
    gen_rng_fill(&rng, sim->pool, RANDOM_POOL);
    return sim;
}

static void free_msgs(struct side *sd)
{
    struct msg *m = sd->msgs;
    while (m != NULL) {
        struct msg *next = m->next;
        free(m->bytes);
        free(m);
        m = next;
    }
    sd->msgs = sd->msgs_tail = NULL;
}

void gen_sim_destroy(struct gen_sim **simp)
{
    struct gen_sim *sim = *simp;
    if (sim == NULL)
        return;
    /* Frames still queued, then sessions still live (a run stopped early). */
    for (size_t i = 0; i < sim->nheap; i++) {
        struct ev *e = &sim->heap[i];
        if (e->kind == EV_EMIT || e->kind == EV_DELIVER) {
            struct frame *f = e->obj;
            f->next_free = sim->free_frames;
            sim->free_frames = f;
        }
    }
    free(sim->heap);
    free(sim->pool);
    while (sim->live != NULL) {
        struct gen_sess *s = sim->live;
        sim->live = s->live_next;
        free_msgs(&s->side[0]);
        free_msgs(&s->side[1]);
        free(s->p.app_ctx);
        free(s);
    }
    while (sim->free_frames != NULL) {
        struct frame *f = sim->free_frames;
        sim->free_frames = f->next_free;
        free(f);
    }
    while (sim->free_sess != NULL) {
        struct gen_sess *s = sim->free_sess;
        sim->free_sess = s->next_free;
        free(s);
    }
    free(sim);
    *simp = NULL;
}

uint64_t gen_sim_now(const struct gen_sim *sim)
{
    return sim->now;
}

const struct gen_sim_stats *gen_sim_stats(const struct gen_sim *sim)
{
    return &sim->st;
}

void gen_sim_stop_new(struct gen_sim *sim)
{
    sim->no_new = true;
}

int gen_sim_wake(struct gen_sim *sim, uint64_t t, gen_actor_fn *fn, void *actor, uint32_t arg)
{
    if (sim->no_new)
        return -ECANCELED;
    struct ev e = {
            .t = t < sim->now ? sim->now : t, .kind = EV_WAKE, .obj = actor, .fn = fn, .arg = arg};
    return ev_push(sim, e);
}

/* ---- frames ---- */

static struct frame *frame_get(struct gen_sim *sim)
{
    struct frame *f = sim->free_frames;
    if (f != NULL) {
        sim->free_frames = f->next_free;
    } else {
        f = malloc(sizeof *f);
        if (f == NULL)
            return NULL;
    }
    if (++sim->frames_live > sim->st.frames_peak)
        sim->st.frames_peak = sim->frames_live;
    return f;
}

static void frame_put(struct gen_sim *sim, struct frame *f)
{
    f->next_free = sim->free_frames;
    sim->free_frames = f;
    sim->frames_live--;
}

/* ---- sessions ---- */

void *gen_sess_app_ctx(const struct gen_sess *s)
{
    return s->p.app_ctx;
}

struct gen_rng *gen_sess_rng(struct gen_sess *s)
{
    return &s->rng;
}

struct gen_sim *gen_sess_sim(struct gen_sess *s)
{
    return s->sim;
}

uint64_t gen_sess_rtt_ns(const struct gen_sess *s)
{
    return 2 * (s->p.d_ns[0] + s->p.d_ns[1]);
}

static uint32_t seg_payload(const struct gen_sess *s, int side)
{
    /* The peer's MSS, less the timestamp option every segment carries once it is on. */
    uint32_t mss = s->p.ep[side ^ 1].stack->mss;
    if (s->p.ep[side].stack->mss < mss)
        mss = s->p.ep[side].stack->mss;
    return s->ts_ok ? mss - 12 : mss;
}

struct gen_sess *gen_sess_start(struct gen_sim *sim, uint64_t t, const struct gen_flow_params *p)
{
    struct gen_sess *s = sim->free_sess;
    if (s != NULL)
        sim->free_sess = s->next_free;
    else if ((s = malloc(sizeof *s)) == NULL)
        return NULL;
    memset(s, 0, sizeof *s);
    s->sim = sim;
    s->p = *p;
    s->id = sim->sess_ids++;
    gen_rng_init(&s->rng, sim->cfg.seed, 0x5e55000000000000ull ^ s->id);
    for (int i = 0; i < 2; i++) {
        struct side *sd = &s->side[i];
        sd->isn = (uint32_t)gen_rng_next(&s->rng);
        sd->ip_id = (uint16_t)gen_rng_next(&s->rng);
        sd->ts_base = (uint32_t)gen_rng_next(&s->rng);
        sd->cwnd = p->ep[i].stack->init_cwnd;
        sd->ssthresh = UINT32_MAX;
    }
    if (t < sim->now)
        t = sim->now;
    if (sess_event(s, t, EV_TIMER, s, TM_UP, 0, 0) != 0) {
        free(s);
        return NULL;
    }
    if (++sim->st.sessions_live > sim->st.sessions_peak)
        sim->st.sessions_peak = sim->st.sessions_live;
    s->live_next = sim->live;
    if (sim->live != NULL)
        sim->live->live_prev = s;
    sim->live = s;
    return s;
}

static void sess_free(struct gen_sess *s)
{
    struct gen_sim *sim = s->sim;
    if (s->p.app && s->p.app->done)
        s->p.app->done(s);
    free(s->p.app_ctx);
    s->p.app_ctx = NULL;
    if (s->packets > 0 && sim->cfg.flow_done != NULL) {
        const struct gen_endpoint *c = &s->p.ep[0], *v = &s->p.ep[1];
        struct gen_flow_info fi = {
                .src_ip = c->ip,
                .dst_ip = v->ip,
                .sport = c->port,
                .dport = v->port,
                .proto = s->p.proto,
                .point = s->p.point,
                .first_ns = s->first_ns,
                .last_ns = s->last_ns,
                .packets = s->packets,
                .bytes = s->bytes,
                .label = s->p.label,
                .hop = s->p.hop,
        };
        sim->cfg.flow_done(sim->cfg.ctx, &fi);
        sim->st.flows++;
    }
    free_msgs(&s->side[0]);
    free_msgs(&s->side[1]);
    sim->st.sessions_live--;
    if (s->live_prev != NULL)
        s->live_prev->live_next = s->live_next;
    else
        sim->live = s->live_next;
    if (s->live_next != NULL)
        s->live_next->live_prev = s->live_prev;
    s->next_free = sim->free_sess;
    sim->free_sess = s;
}

/* An event naming @s has been handled: the last one of a finished session frees it. */
static void sess_unref(struct gen_sess *s)
{
    if (--s->pending == 0 && s->finished)
        sess_free(s);
}

/* The flow is over: nothing more is received; it is freed once its last event is handled. */
static void sess_finish(struct gen_sess *s)
{
    s->finished = true;
    if (s->pending == 0)
        sess_free(s);
}

/* ---- frame building ---- */

/* Random bytes [@off, @off + @n) of the stream @seed: a window of the run's random pool that
 * starts at an offset drawn from @seed, so any range can be made again on its own (a
 * retransmission carries the bytes of the original) at the cost of a memcpy: making payload
 * bytes is most of the generator's work. Two messages may share bytes of the pool; a sensor
 * of encrypted traffic sees high-entropy bytes either way. */
static void random_at(const uint8_t *pool, uint64_t seed, uint64_t off, uint8_t *out, uint64_t n)
{
    uint64_t at = (gen_rng_mix(seed) + off) & (RANDOM_POOL - 1);
    while (n > 0) {
        uint64_t k = RANDOM_POOL - at < n ? RANDOM_POOL - at : n;
        memcpy(out, pool + at, k);
        out += k;
        n -= k;
        at = 0;
    }
}

/* Bytes [@off, @off + @n) of a message. Random content is a function of the message's seed
 * and the offset alone, so a retransmission carries the same bytes as the original. */
static void msg_copy(const uint8_t *pool, const struct msg *m, uint64_t off, uint8_t *out,
                     uint64_t n)
{
    uint64_t end = off + n;
    while (off < end) {
        uint64_t k = end - off; /* bytes of the current piece to copy */
        if (off < m->n) {
            k = m->n - off < k ? m->n - off : k;
            memcpy(out, m->bytes + off, k);
        } else if (m->fill == GEN_FILL_TLS) {
            /* Records of at most 16384 + 17 bytes of body (TLS 1.3: plaintext, content type,
             * 16-byte tag), each behind a 5-byte header (23, 0x0303, length), laid from the
             * end of the given bytes. */
            const uint64_t full = 5 + 16401;
            uint64_t rel = off - m->n, total = m->len - m->n;
            uint64_t rec = rel / full, in = rel % full;
            uint64_t rec_len = total - rec * full < full ? total - rec * full : full;
            if (in < 5) {
                uint8_t hdr[5] = {23, 3, 3, (uint8_t)((rec_len - 5) >> 8), (uint8_t)(rec_len - 5)};
                k = 5 - in < k ? 5 - in : k;
                memcpy(out, hdr + in, k);
            } else {
                k = rec_len - in < k ? rec_len - in : k;
                random_at(pool, m->seed, off, out, k);
            }
        } else {
            random_at(pool, m->seed, off, out, k);
        }
        out += k;
        off += k;
    }
}

/* Payload bytes [@off, @off + @n) of @side's stream, across messages. */
static void stream_copy(const uint8_t *pool, const struct side *sd, uint64_t off, uint8_t *out,
                        uint64_t n)
{
    for (const struct msg *m = sd->msgs; m != NULL && n > 0; m = m->next) {
        if (off >= m->start + m->len)
            continue;
        uint64_t in = off - m->start;
        uint64_t k = m->len - in < n ? m->len - in : n;
        msg_copy(pool, m, in, out, k);
        out += k;
        off += k;
        n -= k;
    }
}

static uint32_t ts_now(const struct gen_sess *s, int side)
{
    return s->side[side].ts_base + (uint32_t)(s->sim->now / GEN_NS_PER_MS);
}

/* TCP options (RFC 793, 2018, 7323) as their kind and length bytes. */
enum {
    OPT_MSS = 0x0204,       /* MSS, length 4 */
    OPT_SACK_PERM = 0x0402, /* SACK permitted, length 2 */
    OPT_NOP_NOP = 0x0101,   /* two NOPs, aligning what follows */
    OPT_NOP_WS = 0x010303,  /* NOP, window scale, length 3 (the shift follows) */
    OPT_TS = 0x080a,        /* timestamps, length 10 */
    OPT_SACK = 5,           /* SACK blocks; length 2 + 8 per block */
};

/* The timestamps option's kind, length, TSval and TSecr. */
static void put_ts(struct gen_buf *b, uint32_t tsval, uint32_t tsecr)
{
    gen_buf_be(b, OPT_TS, 2);
    gen_buf_be(b, tsval, 4);
    gen_buf_be(b, tsecr, 4);
}

/* Options of a SYN or SYN-ACK, in the order the stack sends them. */
static uint8_t syn_options(const struct gen_sess *s, int side, uint8_t *o)
{
    const struct gen_stack *st = s->p.ep[side].stack;
    bool syn_ack = side == GEN_SERVER;
    bool ts = st->timestamps && (!syn_ack || s->ts_ok);
    bool sack = st->sack_ok && (!syn_ack || s->sack_ok);
    bool ws = st->wscale != 0xff && (!syn_ack || s->ws_ok);
    struct gen_buf b;
    gen_buf_init(&b, o, GEN_WIRE_TCP_OPT_MAX);
    gen_buf_be(&b, OPT_MSS, 2);
    gen_buf_be(&b, st->mss, 2);
    if (st == &gen_stack_linux) {
        /* Linux: MSS, SACK_PERM, TS, NOP, WS */
        if (sack)
            gen_buf_be(&b, OPT_SACK_PERM, 2);
        if (ts || sack) {
            if (!sack || !ts)
                gen_buf_be(&b, OPT_NOP_NOP, 2);
            if (ts)
                put_ts(&b, ts_now(s, side), syn_ack ? s->side[side].ts_recent : 0);
        }
        if (ws)
            gen_buf_be(&b, OPT_NOP_WS << 8 | st->wscale, 4);
    } else {
        /* Windows and macOS: MSS, NOP, WS, NOP, NOP, [TS,] SACK_PERM, padding */
        if (ws)
            gen_buf_be(&b, OPT_NOP_WS << 8 | st->wscale, 4);
        if (ts) {
            gen_buf_be(&b, OPT_NOP_NOP, 2);
            put_ts(&b, ts_now(s, side), syn_ack ? s->side[side].ts_recent : 0);
        }
        if (sack) {
            if (!ts)
                gen_buf_be(&b, OPT_NOP_NOP, 2);
            gen_buf_be(&b, OPT_SACK_PERM, 2);
        }
    }
    gen_buf_zeros(&b, (4 - b.len % 4) % 4); /* end of options */
    return (uint8_t)b.len;
}

/* Fill a frame's headers. */
static void frame_hdr(struct gen_sess *s, int side, struct gen_wire_hdr *h)
{
    const struct gen_endpoint *me = &s->p.ep[side], *peer = &s->p.ep[side ^ 1];
    memset(h, 0, offsetof(struct gen_wire_hdr, opt));
    memcpy(h->src_mac, me->mac, 6);
    memcpy(h->dst_mac, peer->mac, 6);
    h->src_ip = me->ip;
    h->dst_ip = peer->ip;
    h->sport = me->port;
    h->dport = peer->port;
    h->proto = s->p.proto;
    h->ip_id = s->side[side].ip_id++;
    uint32_t hops = s->p.hops[side];
    h->ttl = (uint8_t)(me->stack->ttl > hops ? me->stack->ttl - hops : 1);
    h->dont_fragment = 1;
}

/* Time the frame reaches the tap, with the sender's link spacing its frames. */
static uint64_t frame_departs(struct gen_sess *s, int side, uint32_t len)
{
    struct side *sd = &s->side[side];
    uint64_t t = s->sim->now > sd->next_tx ? s->sim->now : sd->next_tx;
    uint64_t bps = s->p.bps[side] ? s->p.bps[side] : 100000000ull;
    sd->next_tx = t + (uint64_t)(len + 24) * 8 * GEN_NS_PER_S / bps; /* + preamble, IFG, FCS */
    return t + s->p.d_ns[side];
}

static int frame_send(struct gen_sess *s, struct frame *f)
{
    uint64_t t = frame_departs(s, f->side, f->len);
    return sess_event(s, t, EV_EMIT, f, 0, 0, 0);
}

/* Build and send a TCP segment of @side: @flags, payload [@off, @off + @plen). */
static int tcp_segment(struct gen_sess *s, int side, uint8_t flags, uint64_t off, uint32_t plen,
                       bool sack_blocks)
{
    struct gen_sim *sim = s->sim;
    struct side *sd = &s->side[side];
    struct frame *f = frame_get(sim);
    if (f == NULL)
        return -ENOMEM;
    struct gen_wire_hdr h;
    frame_hdr(s, side, &h);
    bool syn = flags & GEN_TCP_SYN;
    h.seq = sd->isn + (syn ? 0 : 1) + (uint32_t)off;
    if (flags & GEN_TCP_FIN)
        h.seq = sd->isn + 1 + (uint32_t)sd->queued;
    else if (sd->fin_sent && off >= sd->queued)
        h.seq++; /* after its FIN, which took one sequence number */
    if ((flags & GEN_TCP_RST) && !sd->syn_sent && side == GEN_SERVER)
        h.seq = 0; /* the answer of a closed port to a SYN (RFC 793 p. 36) */
    h.flags = flags;
    if (flags & GEN_TCP_ACK)
        h.ack = sd->peer_isn + 1 + (uint32_t)sd->rcv + (sd->peer_fin ? 1 : 0);
    const struct gen_stack *st = s->p.ep[side].stack;
    uint32_t wnd = st->rcv_buf;
    if (flags & GEN_TCP_RST)
        h.win = 0;
    else if (syn)
        h.win = st->syn_win;
    else
        h.win = (uint16_t)((wnd >> sd->wscale_rcv) > 65535 ? 65535 : wnd >> sd->wscale_rcv);
    f->tsval = ts_now(s, side);
    if (syn) {
        h.opt_len = syn_options(s, side, h.opt);
    } else if (!(flags & GEN_TCP_RST)) {
        struct gen_buf b;
        gen_buf_init(&b, h.opt, sizeof h.opt);
        if (s->ts_ok) {
            gen_buf_be(&b, OPT_NOP_NOP, 2);
            put_ts(&b, f->tsval, sd->ts_recent);
        }
        if (sack_blocks && s->sack_ok && sd->nooo > 0) {
            size_t k = sd->nooo;
            size_t room = (sizeof h.opt - b.len - 4) / 8;
            if (k > room)
                k = room;
            gen_buf_be(&b, OPT_NOP_NOP, 2);
            gen_buf_be(&b, OPT_SACK, 1);
            gen_buf_be(&b, 2 + 8 * k, 1);
            for (size_t i = 0; i < k; i++) {
                gen_buf_be(&b, sd->peer_isn + 1 + (uint32_t)sd->ooo[i].a, 4);
                gen_buf_be(&b, sd->peer_isn + 1 + (uint32_t)sd->ooo[i].b, 4);
            }
        }
        h.opt_len = (uint8_t)b.len;
    }
    size_t hl = gen_wire_hdr_len(&h);
    if (plen > 0)
        stream_copy(s->sim->pool, sd, off, f->bytes + hl, plen);
    f->len = (uint32_t)gen_wire_finish(&h, f->bytes, plen);
    f->s = s;
    f->side = (uint8_t)side;
    f->flags = flags;
    f->off = off;
    f->plen = plen;
    f->ack_off = sd->rcv;
    f->ack_fin = sd->peer_fin;
    f->tag = 0;
    f->fate = FATE_DELIVER;
    if (plen > 0 && s->p.loss > 0 && gen_rng_chance(&s->rng, s->p.loss)) {
        f->fate = gen_rng_chance(&s->rng, 0.5) ? FATE_LOST_BEFORE_TAP : FATE_LOST_AFTER_TAP;
        sim->st.lost++;
    }
    if (flags & GEN_TCP_ACK) {
        /* Whatever carries an ACK acknowledges all received so far. */
        sd->unacked = 0;
        sd->ack_now = false;
        if (sd->delack_armed) {
            sd->delack_armed = false;
            sd->delack_gen++;
        }
    }
    return frame_send(s, f);
}

static uint64_t rto_ns(const struct gen_sess *s, const struct side *sd)
{
    /* RFC 6298 with the 200 ms floor Linux uses, doubled per consecutive time-out. */
    uint64_t rto = gen_sess_rtt_ns(s) * 2 + 10 * GEN_NS_PER_MS;
    if (rto < 200 * GEN_NS_PER_MS)
        rto = 200 * GEN_NS_PER_MS;
    return rto << (sd->rto_backoff < 6 ? sd->rto_backoff : 6);
}

static int arm_rto(struct gen_sess *s, int side)
{
    struct side *sd = &s->side[side];
    sd->rto_gen++;
    sd->rto_armed = true;
    uint64_t t = s->sim->now + rto_ns(s, sd);
    return sess_event(s, t, EV_TIMER, s, TM_RTO, (uint32_t)side, sd->rto_gen);
}

static int tcp_send_syn(struct gen_sess *s)
{
    struct side *c = &s->side[GEN_CLIENT];
    c->syn_sent = true;
    c->syn_tries++;
    int rc = tcp_segment(s, GEN_CLIENT, GEN_TCP_SYN, 0, 0, false);
    if (rc == 0)
        rc = arm_rto(s, GEN_CLIENT);
    return rc;
}

/* Send what the window allows, then a FIN if the side has closed and all is sent. */
static int tcp_output(struct gen_sess *s, int side)
{
    struct side *sd = &s->side[side];
    if (!sd->established || s->finished)
        return 0;
    uint64_t wnd = (uint64_t)sd->cwnd * sd->seg;
    if (wnd > sd->peer_wnd)
        wnd = sd->peer_wnd;
    bool sent = false;
    int rc = 0;
    while (sd->nxt < sd->queued && sd->nxt - sd->una < wnd) {
        uint64_t n = sd->queued - sd->nxt;
        if (n > sd->seg)
            n = sd->seg;
        if (n > wnd - (sd->nxt - sd->una))
            n = wnd - (sd->nxt - sd->una);
        /* PSH where a message ends inside the segment, as stacks set it on a send's last
         * segment. */
        uint8_t flags = GEN_TCP_ACK;
        for (const struct msg *m = sd->msgs; m != NULL; m = m->next) {
            uint64_t e = m->start + m->len;
            if (e > sd->nxt && e <= sd->nxt + n) {
                flags |= GEN_TCP_PSH;
                break;
            }
        }
        bool retrans = sd->nxt < sd->max;
        rc = tcp_segment(s, side, flags, sd->nxt, (uint32_t)n, false);
        if (rc != 0)
            return rc;
        if (retrans)
            s->sim->st.retransmits++;
        sd->nxt += n;
        if (sd->nxt > sd->max)
            sd->max = sd->nxt;
        sent = true;
    }
    if (sd->fin_queued && !sd->fin_sent && sd->nxt == sd->queued) {
        rc = tcp_segment(s, side, GEN_TCP_FIN | GEN_TCP_ACK, sd->nxt, 0, false);
        if (rc != 0)
            return rc;
        sd->fin_sent = true;
        sent = true;
    }
    if (sent && !sd->rto_armed)
        rc = arm_rto(s, side);
    return rc;
}

/* Tell the app about messages of @from that @to now has whole. */
static void notify_delivered(struct gen_sess *s, int from)
{
    struct side *snd = &s->side[from], *rcv = &s->side[from ^ 1];
    for (struct msg *m = snd->msgs; m != NULL && !s->finished; m = m->next) {
        if (m->delivered)
            continue;
        if (m->start + m->len > rcv->rcv)
            break;
        m->delivered = true;
        if (s->p.app && s->p.app->message)
            s->p.app->message(s, from, m->tag);
    }
}

/* Drop messages the peer has acknowledged and been told about. */
static void release_acked(struct side *sd)
{
    while (sd->msgs != NULL && sd->msgs->delivered && sd->msgs->start + sd->msgs->len <= sd->una) {
        struct msg *m = sd->msgs;
        sd->msgs = m->next;
        if (sd->msgs == NULL)
            sd->msgs_tail = NULL;
        free(m->bytes);
        free(m);
    }
}

static void ooo_add(struct side *r, uint64_t a, uint64_t b)
{
    for (uint8_t i = 0; i < r->nooo; i++) {
        if (a <= r->ooo[i].b && b >= r->ooo[i].a) {
            if (a < r->ooo[i].a)
                r->ooo[i].a = a;
            if (b > r->ooo[i].b)
                r->ooo[i].b = b;
            return;
        }
    }
    if (r->nooo < OOO_MAX) {
        /* Newest first, as RFC 2018 asks of the first SACK block. */
        memmove(&r->ooo[1], &r->ooo[0], r->nooo * sizeof r->ooo[0]);
        r->ooo[0].a = a;
        r->ooo[0].b = b;
        r->nooo++;
    }
    /* With OOO_MAX holes already, the segment is dropped; the sender will send it again. */
}

static void ooo_pull(struct side *r)
{
    bool moved = true;
    while (moved) {
        moved = false;
        for (uint8_t i = 0; i < r->nooo; i++) {
            if (r->ooo[i].a <= r->rcv) {
                if (r->ooo[i].b > r->rcv)
                    r->rcv = r->ooo[i].b;
                memmove(&r->ooo[i], &r->ooo[i + 1], (r->nooo - i - 1) * sizeof r->ooo[0]);
                r->nooo--;
                moved = true;
                break;
            }
        }
    }
}

static void tcp_options_from_syn(struct gen_sess *s)
{
    const struct gen_stack *c = s->p.ep[0].stack, *v = s->p.ep[1].stack;
    s->ts_ok = c->timestamps && v->timestamps;
    s->sack_ok = c->sack_ok && v->sack_ok;
    s->ws_ok = c->wscale != 0xff && v->wscale != 0xff;
    for (int i = 0; i < 2; i++) {
        struct side *sd = &s->side[i];
        sd->wscale_rcv = s->ws_ok ? s->p.ep[i].stack->wscale : 0;
        sd->wscale_snd = s->ws_ok ? s->p.ep[i ^ 1].stack->wscale : 0;
        uint32_t pw = s->p.ep[i ^ 1].stack->rcv_buf;
        sd->peer_wnd = s->ws_ok ? pw : (pw > 65535 ? 65535 : pw);
        sd->seg = seg_payload(s, i);
    }
}

/* The ACK half of a received segment: what @me sent that the peer now has. */
static int tcp_ack_in(struct gen_sess *s, int side, const struct frame *f)
{
    struct side *me = &s->side[side];
    int rc = 0;
    bool progress = f->ack_off > me->una;
    if (progress) {
        uint64_t n = f->ack_off - me->una;
        me->una = f->ack_off;
        if (me->nxt < me->una)
            me->nxt = me->una;
        me->dupacks = 0;
        me->rto_backoff = 0;
        if (me->in_recovery) {
            if (me->una >= me->recover) {
                me->in_recovery = false;
                me->cwnd = me->ssthresh;
            } else {
                /* A partial ACK (RFC 6582): the next hole goes out at once. */
                uint64_t k = me->max - me->una < me->seg ? me->max - me->una : me->seg;
                rc = tcp_segment(s, side, GEN_TCP_ACK, me->una, (uint32_t)k, false);
                s->sim->st.retransmits++;
            }
        } else {
            uint32_t segs = (uint32_t)((n + me->seg - 1) / me->seg);
            if (me->cwnd < me->ssthresh) {
                me->cwnd += segs; /* slow start */
            } else {
                me->cwnd_acc += segs; /* congestion avoidance: one segment per window */
                if (me->cwnd_acc >= me->cwnd) {
                    me->cwnd_acc -= me->cwnd;
                    me->cwnd++;
                }
            }
            uint32_t cap = s->p.ep[side].stack->max_cwnd;
            if (me->cwnd > cap)
                me->cwnd = cap;
        }
        release_acked(me);
    } else if (f->ack_off == me->una && f->plen == 0 && !(f->flags & GEN_TCP_FIN) &&
               me->max > me->una) {
        if (++me->dupacks == 3 && !me->in_recovery) {
            /* Fast retransmit (RFC 5681 3.2). */
            me->ssthresh = me->cwnd / 2 > 2 ? me->cwnd / 2 : 2;
            me->cwnd = me->ssthresh;
            me->in_recovery = true;
            me->recover = me->max;
            uint64_t k = me->max - me->una < me->seg ? me->max - me->una : me->seg;
            rc = tcp_segment(s, side, GEN_TCP_ACK, me->una, (uint32_t)k, false);
            s->sim->st.retransmits++;
        }
    }
    if (f->ack_fin && me->fin_sent)
        me->fin_acked = true;
    if (rc != 0)
        return rc;
    bool outstanding = me->una < me->max || (me->fin_sent && !me->fin_acked);
    if (outstanding && (progress || !me->rto_armed))
        rc = arm_rto(s, side);
    else if (!outstanding && me->rto_armed) {
        me->rto_armed = false;
        me->rto_gen++;
    }
    return rc;
}

/* The data and FIN half of a received segment. */
static void tcp_data_in(struct gen_sess *s, int side, const struct frame *f)
{
    struct side *me = &s->side[side];
    if (f->plen > 0) {
        uint64_t a = f->off, b = f->off + f->plen;
        if (a == me->rcv) {
            bool hole_filled = me->nooo > 0;
            me->rcv = b;
            ooo_pull(me);
            me->unacked++;
            if (hole_filled || me->unacked >= 2)
                me->ack_now = true;
        } else if (a > me->rcv) {
            ooo_add(me, a, b);
            me->ack_now = true; /* a duplicate ACK, with SACK blocks */
        } else {
            if (b > me->rcv) {
                me->rcv = b;
                ooo_pull(me);
            }
            me->ack_now = true; /* data it had: ACK at once (RFC 5681 4.2) */
        }
    }
    if ((f->flags & GEN_TCP_FIN) && !me->peer_fin) {
        if (f->off + f->plen == me->rcv)
            me->peer_fin = true;
        me->ack_now = true;
    }
}

/* @side receives frame @f from its peer. */
static int tcp_receive(struct gen_sess *s, int side, const struct frame *f)
{
    struct side *me = &s->side[side], *peer = &s->side[side ^ 1];
    const struct gen_app *app = s->p.app;
    int rc = 0;
    if (f->flags & GEN_TCP_RST) {
        if (!me->established && app && app->refused && !s->refused_told) {
            s->refused_told = true;
            app->refused(s);
        }
        sess_finish(s);
        return 0;
    }
    if (f->flags & GEN_TCP_SYN) {
        me->peer_isn = peer->isn;
        me->ts_recent = f->tsval;
        if (side == GEN_SERVER) {
            if (s->p.silent)
                return 0;
            if (!s->p.listening)
                return tcp_segment(s, side, GEN_TCP_RST | GEN_TCP_ACK, 0, 0, false);
            if (!me->syn_sent) {
                tcp_options_from_syn(s);
                me->syn_sent = true;
            }
            return tcp_segment(s, side, GEN_TCP_SYN | GEN_TCP_ACK, 0, 0, false);
        }
        if (me->established) /* a SYN-ACK sent again: ACK it again */
            return tcp_segment(s, side, GEN_TCP_ACK, me->nxt, 0, false);
        me->rto_armed = false;
        me->rto_gen++;
        me->rto_backoff = 0;
        if (s->p.syn_probe) {
            /* A half-open scan: the scanner answers the SYN-ACK with a RST. */
            rc = tcp_segment(s, side, GEN_TCP_RST, 0, 0, false);
            sess_finish(s);
            return rc;
        }
        me->established = true;
        rc = tcp_segment(s, side, GEN_TCP_ACK, 0, 0, false);
        if (rc == 0 && app && app->up)
            app->up(s);
        if (rc == 0)
            rc = tcp_output(s, side);
        return rc;
    }
    if (!me->syn_sent)
        return 0;
    if (s->ts_ok && f->off <= me->rcv)
        me->ts_recent = f->tsval;
    if (f->flags & GEN_TCP_ACK) {
        if (side == GEN_SERVER && !me->established)
            me->established = true; /* the handshake's third segment */
        rc = tcp_ack_in(s, side, f);
        if (rc != 0)
            return rc;
    }
    tcp_data_in(s, side, f);
    notify_delivered(s, side ^ 1);
    if (me->peer_fin && !me->peer_closed_told && !s->finished) {
        me->peer_closed_told = true;
        if (app && app->peer_closed)
            app->peer_closed(s, side);
        else
            gen_sess_close(s, side);
    }
    if (me->fin_acked && peer->fin_acked)
        sess_finish(s);
    if (s->finished)
        return 0;
    rc = tcp_output(s, side);
    if (rc == 0 && me->ack_now)
        rc = tcp_segment(s, side, GEN_TCP_ACK, me->nxt, 0, true);
    if (rc == 0 && me->unacked > 0 && !me->delack_armed) {
        me->delack_armed = true;
        me->delack_gen++;
        rc = sess_event(s, s->sim->now + s->p.ep[side].stack->delack_ns, EV_TIMER, s, TM_DELACK,
                        (uint32_t)side, me->delack_gen);
    }
    return rc;
}

static int tcp_rto(struct gen_sess *s, int side)
{
    struct side *sd = &s->side[side];
    sd->rto_armed = false;
    if (!sd->established) {
        if (side != GEN_CLIENT)
            return 0;
        if (s->p.syn_probe || sd->syn_tries > s->p.syn_retries) {
            if (s->p.app && s->p.app->refused && !s->refused_told) {
                s->refused_told = true;
                s->p.app->refused(s);
            }
            sess_finish(s);
            return 0;
        }
        sd->rto_backoff++;
        sd->syn_tries++;
        int rc = tcp_segment(s, side, GEN_TCP_SYN, 0, 0, false);
        if (rc == 0)
            rc = arm_rto(s, side);
        return rc;
    }
    if (sd->una >= sd->max && !(sd->fin_sent && !sd->fin_acked))
        return 0;
    /* A time-out (RFC 5681 3.1, RFC 6298 5.5): one segment of window, go back to the first
     * unacknowledged byte, back off the timer. */
    sd->rto_backoff++;
    sd->ssthresh = sd->cwnd / 2 > 2 ? sd->cwnd / 2 : 2;
    sd->cwnd = 1;
    sd->cwnd_acc = 0;
    sd->nxt = sd->una;
    sd->in_recovery = false;
    sd->dupacks = 0;
    if (sd->fin_sent && !sd->fin_acked)
        sd->fin_sent = false;
    int rc = tcp_output(s, side);
    if (rc == 0 && !sd->rto_armed)
        rc = arm_rto(s, side);
    return rc;
}

/* ---- the application's side ---- */

int gen_sess_send(struct gen_sess *s, int side, enum gen_fill fill, const uint8_t *bytes, size_t n,
                  uint64_t len, uint32_t tag)
{
    struct side *sd = &s->side[side];
    if (s->finished || sd->fin_queued || sd->closed)
        return -EPIPE;
    if (n > len)
        len = n;
    if (s->p.proto == 17) {
        struct frame *f = frame_get(s->sim);
        if (f == NULL)
            return -ENOMEM;
        struct gen_wire_hdr h;
        frame_hdr(s, side, &h);
        size_t hl = gen_wire_hdr_len(&h);
        if (len > GEN_FRAME_MAX - hl) {
            frame_put(s->sim, f);
            return -EMSGSIZE;
        }
        struct msg m = {.len = len,
                        .seed = gen_rng_next(&s->rng),
                        .bytes = (uint8_t *)bytes,
                        .n = (uint32_t)n,
                        .fill = (uint8_t)fill};
        msg_copy(s->sim->pool, &m, 0, f->bytes + hl, len);
        f->len = (uint32_t)gen_wire_finish(&h, f->bytes, len);
        f->s = s;
        f->side = (uint8_t)side;
        f->flags = 0;
        f->off = 0;
        f->plen = (uint32_t)len;
        f->tag = tag;
        f->ack_fin = false;
        /* Datagrams are not lost: the apps do not retry yet (DNS would after a second). */
        f->fate = FATE_DELIVER;
        return frame_send(s, f);
    }
    struct msg *m = calloc(1, sizeof *m);
    if (m == NULL)
        return -ENOMEM;
    if (n > 0) {
        m->bytes = malloc(n);
        if (m->bytes == NULL) {
            free(m);
            return -ENOMEM;
        }
        memcpy(m->bytes, bytes, n);
    }
    m->start = sd->queued;
    m->len = len;
    m->n = (uint32_t)n;
    m->seed = gen_rng_next(&s->rng);
    m->tag = tag;
    m->fill = (uint8_t)fill;
    if (sd->msgs_tail != NULL)
        sd->msgs_tail->next = m;
    else
        sd->msgs = m;
    sd->msgs_tail = m;
    sd->queued += len;
    return tcp_output(s, side);
}

int gen_sess_timer(struct gen_sess *s, uint64_t delay_ns, uint32_t arg)
{
    return sess_event(s, s->sim->now + delay_ns, EV_TIMER, s, TM_APP, arg, 0);
}

void gen_sess_close(struct gen_sess *s, int side)
{
    struct side *sd = &s->side[side];
    if (s->p.proto == 17) {
        sd->closed = true;
        sess_finish(s); /* UDP has no close: the flow is over when the app says so */
        return;
    }
    if (sd->fin_queued)
        return;
    sd->fin_queued = true;
    (void)tcp_output(s, side);
}

void gen_sess_reset(struct gen_sess *s, int side)
{
    struct side *sd = &s->side[side];
    if (s->finished)
        return;
    if (s->p.proto == 6)
        (void)tcp_segment(s, side, GEN_TCP_RST | GEN_TCP_ACK, sd->nxt, 0, false);
    sess_finish(s);
}

/* ---- the loop ---- */

static int on_emit(struct gen_sim *sim, struct frame *f)
{
    struct gen_sess *s = f->s;
    int rc = 0;
    if (f->fate != FATE_LOST_BEFORE_TAP) {
        sim->cfg.out(sim->cfg.ctx, s->p.point, sim->now, f->bytes, f->len);
        sim->st.frames++;
        sim->st.bytes += f->len;
        if (s->packets++ == 0)
            s->first_ns = sim->now;
        s->last_ns = sim->now;
        s->bytes += f->len;
    }
    if (f->fate == FATE_DELIVER && !s->finished)
        rc = sess_event(s, sim->now + s->p.d_ns[f->side ^ 1], EV_DELIVER, f, 0, 0, 0);
    else
        frame_put(sim, f);
    sess_unref(s);
    return rc;
}

static int on_deliver(struct gen_sim *sim, struct frame *f)
{
    struct gen_sess *s = f->s;
    int rc = 0;
    if (!s->finished) {
        if (s->p.proto == 6) {
            rc = tcp_receive(s, f->side ^ 1, f);
        } else if (s->p.app && s->p.app->message) {
            s->p.app->message(s, f->side, f->tag);
        }
    }
    frame_put(sim, f);
    sess_unref(s);
    return rc;
}

static int on_timer(struct gen_sess *s, const struct ev *e)
{
    int rc = 0;
    if (!s->finished) {
        struct side *sd = &s->side[e->arg & 1];
        switch (e->timer) {
        case TM_UP:
            if (s->p.proto == 6) {
                rc = tcp_send_syn(s);
            } else {
                s->side[0].established = s->side[1].established = true;
                if (s->p.app && s->p.app->up)
                    s->p.app->up(s);
            }
            break;
        case TM_APP:
            if (s->p.app && s->p.app->timer)
                s->p.app->timer(s, e->arg);
            break;
        case TM_DELACK:
            if (sd->delack_armed && e->gen == sd->delack_gen) {
                sd->delack_armed = false;
                if (sd->unacked > 0)
                    rc = tcp_segment(s, (int)(e->arg & 1), GEN_TCP_ACK, sd->nxt, 0, false);
            }
            break;
        case TM_RTO:
            if (sd->rto_armed && e->gen == sd->rto_gen)
                rc = tcp_rto(s, (int)(e->arg & 1));
            break;
        }
    }
    sess_unref(s);
    return rc;
}

int gen_sim_run(struct gen_sim *sim, uint64_t until_ns)
{
    while (sim->nheap > 0 && sim->heap[0].t <= until_ns) {
        struct ev e = ev_pop(sim);
        sim->now = e.t;
        sim->st.events++;
        int rc = 0;
        switch (e.kind) {
        case EV_WAKE:
            if (!sim->no_new) /* after the end, actors start nothing new */
                e.fn(sim, e.obj, e.arg);
            break;
        case EV_EMIT:
            rc = on_emit(sim, e.obj);
            break;
        case EV_DELIVER:
            rc = on_deliver(sim, e.obj);
            break;
        case EV_TIMER:
            rc = on_timer(e.obj, &e);
            break;
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}
