/*
 * Generator simulation: a discrete-event simulation of hosts talking TCP and UDP, observed at
 * one point per site. It owns the clock, the event queue, the sessions (one per flow) with their
 * TCP endpoints, and the frames in flight.
 *
 * Time. Every event has a time in nanoseconds since the scenario's start. An endpoint acts at
 * its own time; what it sends is seen at the observation point one one-way delay later
 * (d[side]: from that side to the point) and reaches the other side d[other] after that. So a
 * capture shows the delays a real tap would: a client-side tap sees the server's answer a full
 * round trip after the request, the client's ACK to it almost at once.
 *
 * Memory. Sessions, frames and messages come from free lists that grow to the peak number in
 * use and are reused: memory follows the number of concurrent flows, never the capture's length.
 *
 * TCP (RFC 793, 5681, 6298, 7323, simplified where a tap cannot tell): three-way handshake with
 * per-profile options (MSS, window scale, SACK permitted, timestamps); slow start and
 * congestion avoidance in whole segments; delayed ACKs (every second segment, or a timer);
 * loss of data segments before or after the tap (UDP datagrams are never lost); duplicate ACKs with
 * SACK blocks; fast retransmit after three duplicates and retransmission time-outs with go-back-N;
 * FIN handshakes and resets.
 *
 * The application is a struct gen_app: callbacks told when the connection is up, when a whole
 * message from the peer has arrived, when one of its timers fires and when the peer closed. It
 * answers with gen_sess_send(), gen_sess_timer(), gen_sess_close() and gen_sess_reset().
 */
#ifndef UMBRA_TOOLS_GEN_SIM_H
#define UMBRA_TOOLS_GEN_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/gen/gen_rng.h"

#define GEN_NS_PER_MS 1000000ull
#define GEN_NS_PER_S  1000000000ull
#define GEN_FRAME_MAX 1514 /* Ethernet payload of 1500 bytes */

struct gen_sim;
struct gen_sess;

enum gen_side { GEN_CLIENT = 0, GEN_SERVER = 1 };

/* How an operating system's TCP/IP stack looks on the wire. */
struct gen_stack {
    uint8_t ttl;        /* initial TTL */
    uint16_t mss;       /* announced MSS */
    uint8_t wscale;     /* window scale shift; 0xff = option not sent */
    bool sack_ok;       /* SACK permitted sent */
    bool timestamps;    /* RFC 7323 timestamps sent */
    uint16_t syn_win;   /* window in its SYN (unscaled) */
    uint32_t rcv_buf;   /* receive window in bytes */
    uint32_t delack_ns; /* delayed-ACK timer */
    uint32_t init_cwnd; /* initial congestion window, segments */
    uint32_t max_cwnd;  /* cap on the congestion window, segments */
    bool ip_id_zero_df; /* IP ID 0 with DF on (Linux) rather than a counter */
};

extern const struct gen_stack gen_stack_linux;
extern const struct gen_stack gen_stack_windows;
extern const struct gen_stack gen_stack_macos;

/* One end of a flow. */
struct gen_endpoint {
    uint32_t ip;
    uint16_t port;
    uint8_t mac[6];
    const struct gen_stack *stack;
};

/* Where a frame goes once seen: a callback with the sensor point it belongs to. */
typedef void gen_sim_out_fn(void *ctx, uint32_t point, uint64_t t_ns, const uint8_t *frame,
                            size_t len);

/* A finished flow, for the labels file. */
struct gen_flow_info {
    uint32_t src_ip, dst_ip;
    uint16_t sport, dport;
    uint8_t proto;
    uint32_t point;
    uint64_t first_ns, last_ns; /* times of its first and last frames in the capture */
    uint64_t packets;           /* frames in the capture */
    uint64_t bytes;             /* frame bytes in the capture */
    const struct gen_label *label;
    uint16_t hop;
};

/* What a flow is, for the labels file; owned by whoever started the flow, outliving it. */
struct gen_label {
    const char *behaviour; /* "web", "dns", "beacon", ... */
    const char *technique; /* MITRE ATT&CK id for attacks, NULL for benign traffic */
    const char *campaign;  /* NULL for benign traffic */
    bool malicious;
};

typedef void gen_sim_flow_fn(void *ctx, const struct gen_flow_info *flow);

struct gen_sim_config {
    gen_sim_out_fn *out;
    gen_sim_flow_fn *flow_done;
    void *ctx;
    uint64_t seed;
};

/* The application's callbacks; any may be NULL. @dir is the side that sent the message. */
struct gen_app {
    void (*up)(struct gen_sess *s);                             /* connected (TCP) / started */
    void (*message)(struct gen_sess *s, int dir, uint32_t tag); /* a message fully arrived */
    void (*timer)(struct gen_sess *s, uint32_t arg);            /* a gen_sess_timer() fired */
    void (*peer_closed)(struct gen_sess *s, int side);          /* @side got the peer's FIN */
    void (*refused)(struct gen_sess *s);                        /* RST to SYN, or no answer */
    void (*done)(struct gen_sess *s);                           /* the flow ended; last call */
};

/* How a message's bytes are made. */
enum gen_fill {
    GEN_FILL_BYTES,  /* the given bytes */
    GEN_FILL_RANDOM, /* random bytes (ciphertext) */
    GEN_FILL_TLS,    /* TLS application-data records (type 23) with random bodies */
};

struct gen_sim_stats {
    uint64_t frames;
    uint64_t bytes;
    uint64_t flows;
    uint64_t events;
    uint64_t sessions_live;
    uint64_t sessions_peak;
    uint64_t frames_peak;
    uint64_t retransmits;
    uint64_t lost;
};

/* Parameters of a new flow. */
struct gen_flow_params {
    uint8_t proto;             /* 6 or 17 */
    struct gen_endpoint ep[2]; /* client, server */
    uint64_t d_ns[2];          /* one-way delay from each side to the tap */
    uint32_t point;            /* sensor point that sees the flow */
    uint32_t hops[2];          /* routers between each side and the tap (TTL decrements) */
    double loss;               /* chance that a data segment is lost */
    uint64_t bps[2];           /* each side's sending rate, bits/s (segment spacing) */
    bool listening;            /* false: the server answers SYN with RST */
    bool silent;               /* true: the server never answers (filtered port) */
    bool syn_probe;            /* a half-open scan: no SYN retries, RST to a SYN-ACK */
    uint8_t syn_retries;       /* SYNs resent when unanswered (the probe: none) */
    const struct gen_app *app;
    void *app_ctx; /* the app's; freed by the app in done() */
    const struct gen_label *label;
    uint16_t hop;
};

struct gen_sim *gen_sim_create(const struct gen_sim_config *cfg);
void gen_sim_destroy(struct gen_sim **simp);

/* gen_sim_now() - the time of the event being handled. */
uint64_t gen_sim_now(const struct gen_sim *sim);

/* Actors: anything that acts at times of its choosing (a host's browsing, a campaign). */
typedef void gen_actor_fn(struct gen_sim *sim, void *actor, uint32_t arg);

/* gen_sim_wake() - call @fn(@sim, @actor, @arg) at time @t (not before now). */
int gen_sim_wake(struct gen_sim *sim, uint64_t t, gen_actor_fn *fn, void *actor, uint32_t arg);

/* gen_sim_run() - handle events in time order until none is left or the next is after
 * @until_ns. Returns 0, or a negative errno on out-of-memory. */
int gen_sim_run(struct gen_sim *sim, uint64_t until_ns);

/* gen_sim_stop_new() - after this, sessions still run to their end but gen_sim_wake() refuses
 * new wake-ups; used to let flows finish after the scenario's end. */
void gen_sim_stop_new(struct gen_sim *sim);

const struct gen_sim_stats *gen_sim_stats(const struct gen_sim *sim);

/*
 * gen_sess_start() - a new flow, its first packet sent by the client at time @t (not before
 * now): a SYN for TCP; for UDP, app->up() is called at @t to send. NULL on out-of-memory.
 */
struct gen_sess *gen_sess_start(struct gen_sim *sim, uint64_t t, const struct gen_flow_params *p);

/* gen_sess_app_ctx() - the app_ctx the flow was started with. */
void *gen_sess_app_ctx(const struct gen_sess *s);

/* gen_sess_rng() - the flow's own random stream. */
struct gen_rng *gen_sess_rng(struct gen_sess *s);

/* gen_sess_sim() - the simulation the flow is in. */
struct gen_sim *gen_sess_sim(struct gen_sess *s);

/* gen_sess_rtt_ns() - the round-trip time between the two ends. */
uint64_t gen_sess_rtt_ns(const struct gen_sess *s);

/*
 * gen_sess_send() - @side sends a message of @len bytes now, made as @fill says (for
 * GEN_FILL_BYTES, @bytes is copied; @len may exceed @n, the rest is random). @tag comes back
 * in app->message() when the peer has all of it. For UDP a message is one datagram.
 */
int gen_sess_send(struct gen_sess *s, int side, enum gen_fill fill, const uint8_t *bytes, size_t n,
                  uint64_t len, uint32_t tag);

/* gen_sim_tls_len() - bytes on the wire of @plaintext bytes sent as TLS 1.3 application data
 * (GEN_FILL_TLS): records of up to 16384 bytes, each with a 5-byte header, a content-type byte
 * and a 16-byte AEAD tag. */
static inline uint64_t gen_sim_tls_len(uint64_t plaintext)
{
    uint64_t records = plaintext == 0 ? 1 : (plaintext + 16383) / 16384;
    return plaintext + records * 22;
}

/* gen_sess_timer() - app->timer(@arg) after @delay_ns, at @side's time. */
int gen_sess_timer(struct gen_sess *s, uint64_t delay_ns, uint32_t arg);

/* gen_sess_close() - @side closes: FIN after what it has queued (TCP); for UDP the flow ends
 * (datagrams already sent still reach the tap). The session may be freed before this returns
 * when called from outside its own callbacks. */
void gen_sess_close(struct gen_sess *s, int side);

/* gen_sess_reset() - @side aborts the connection with a RST now. */
void gen_sess_reset(struct gen_sess *s, int side);

#endif
