/*
 * Generator QUIC connections. Owns the shape of one HTTP/3 connection on the wire: which packets
 * go into which datagram, how large each is, and which datagram waits for which. It protects no
 * packet and writes no TLS message itself (gen_quic and gen_tls do), and plays nothing: the
 * script it fills is played by gen_script in a gen_sim session.
 *
 * The connection is laid out first in a plan on the stack, so that one that does not fit leaves
 * the script as it was, then copied into the script step by step.
 */
#include "tools/gen/gen_quicflow.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "tools/gen/gen_buf.h"
#include "tools/gen/gen_quic.h"
#include "tools/gen/gen_rng.h"
#include "tools/gen/gen_script.h"
#include "tools/gen/gen_sim.h"

enum {
    /* Datagram sizes (UDP payload). */
    CHROME_DGRAM = 1250,  /* quiche kDefaultMaxPacketSize: all of Chrome's before PMTUD */
    FIREFOX_DGRAM = 1357, /* neqo PATH_MTU_V4: its IPv6 size of 1337 plus the 20 IPv4 saves */
    SERVER_DGRAM = 1252,  /* 1280 (the IPv6 minimum MTU, what a server assumes of a new path)
                           * less IPv4's 20 and UDP's 8 header bytes */
    DGRAM_MAX = GEN_FRAME_MAX - 14 - 20 - 8, /* what gen_sim carries: Ethernet, IPv4, UDP */
    /* Connection ids. */
    CID_LEN = 8,          /* Chrome's first Destination Connection ID; the server's ids */
    FIREFOX_SCID_LEN = 3, /* neqo_glue creates its client with RandomConnectionIdGenerator(3) */
    /* Packets. */
    PN_LEN = 2, /* packet number bytes of the Handshake and 1-RTT packets sized here */
    TAG = GEN_QUIC_TAG_LEN,
    STREAM_HDR = 8, /* STREAM frame: type, stream id, offset and length varints */
    ACK_FRAME = 6,  /* type, Largest Acknowledged, ACK Delay, Range Count, First Range */
    FINISHED = 36,  /* TLS Finished with SHA-256: 4-byte header and 32 bytes verify_data */
    MIN_CARRY = 16, /* a Handshake packet carries at least this much, or waits */
    /* Recovery. */
    AMPLIFICATION = 3, /* RFC 9000 8.1 */
    INIT_CWND = 10,    /* RFC 9002 7.2: min(10 * 1252, max(14720, 2 * 1252)) bytes */
    ACK_EVERY = 2,     /* RFC 9000 13.2.2: an ACK at least every second ack-eliciting packet */
    /* The plan's store: datagrams with an Initial are stored whole (up to 4 client Initials
     * for a 4 kB hello, the server's first datagram, the client's ACK and Finished ones), the
     * others by their header: at most 49 bytes (long header, two 20-byte ids). */
    LONG_STEPS_MAX = 8,
    PREFIX_MAX = 64,
    STORE_MAX = LONG_STEPS_MAX * DGRAM_MAX + GEN_SCRIPT_STEPS * PREFIX_MAX,
    XFER_MAX = GEN_SCRIPT_STEPS / 2, /* an exchange takes two steps at least */
};

/* RFC 9000 18.2: max_ack_delay's default, which Chrome and Firefox keep: how long a receiver
 * holds the ACK of a single ack-eliciting packet. */
#define MAX_ACK_DELAY_NS (25 * GEN_NS_PER_MS)

struct pstep {
    uint64_t len;
    uint64_t think_ns;
    uint32_t at; /* offset of its given bytes in the store */
    uint32_t n;
    uint8_t side;
    bool no_wait;
};

struct plan {
    struct pstep steps[GEN_SCRIPT_STEPS];
    size_t nsteps;
    size_t room; /* steps the script has left */
    size_t used; /* store bytes */
    bool over;   /* a step did not fit */
    uint8_t store[STORE_MAX];
};

/* What the server sends in one go, and the request before it. */
struct xfer {
    uint64_t req;       /* request stream bytes; 0: sent with the handshake, or none */
    uint64_t think_ns;  /* before the request */
    uint64_t resp;      /* response stream bytes */
    uint64_t server_ns; /* from the request's arrival to the response */
    size_t first_round, nrounds;
};

struct conn {
    const struct gen_quicflow *q;
    struct gen_rng *rng;
    struct plan *p;
    size_t dgram;                  /* the client's datagram size */
    uint8_t odcid[CID_LEN];        /* the client's first Destination Connection ID */
    uint8_t cid[GEN_QUIC_CID_MAX]; /* the client's Source Connection ID */
    size_t cid_len;
    uint8_t sid[CID_LEN]; /* the server's Source Connection ID */
    uint8_t ch[GEN_TLS_MSG_MAX];
    size_t ch_len;
    uint64_t client_pn;   /* the client's next Initial packet number */
    uint64_t client_sent; /* bytes of the client's Initial datagrams */
    struct xfer x[XFER_MAX];
    size_t nxfer;
    uint32_t rounds[GEN_SCRIPT_STEPS]; /* datagrams of each server round trip */
    size_t nrounds;
    size_t stride; /* the client ACKs every stride-th datagram */
};

/* ---- the plan ---- */

/* A burst step: the next one follows it once sent (plan_wait() ends the burst). */
static void plan_add(struct plan *p, int side, const uint8_t *bytes, size_t n, size_t len,
                     uint64_t think_ns)
{
    if (p->nsteps == p->room || n > sizeof p->store - p->used) {
        p->over = true;
        return;
    }
    struct pstep *st = &p->steps[p->nsteps++];
    st->side = (uint8_t)side;
    st->at = (uint32_t)p->used;
    st->n = (uint32_t)n;
    st->len = len;
    st->think_ns = think_ns;
    st->no_wait = true;
    memcpy(p->store + p->used, bytes, n);
    p->used += n;
}

/* The last step ends its burst: the next one waits for its arrival. */
static void plan_wait(struct plan *p)
{
    if (p->nsteps > 0)
        p->steps[p->nsteps - 1].no_wait = false;
}

/* ---- sizes ---- */

static uint64_t div_up(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

/* A long header up to and with a 2-byte Length, without a token (RFC 9000 17.2). */
static size_t long_hdr_len(size_t dcid_len, size_t scid_len)
{
    return 1 + 4 + 1 + dcid_len + 1 + scid_len + 2;
}

/* A client Initial's header: long header, an empty token's length and a 1-byte packet number
 * (what gen_quic writes for numbers below 127). */
static size_t initial_hdr_len(size_t dcid_len, size_t scid_len)
{
    return long_hdr_len(dcid_len, scid_len) + 1 + 1;
}

static size_t crypto_frame_len(uint64_t off, size_t n)
{
    return 1 + gen_buf_varint_len(off) + gen_buf_varint_len(n) + n;
}

/* The most CRYPTO data at @off that a frame fits into @room bytes. */
static size_t crypto_fit(size_t room, uint64_t off)
{
    size_t hdr = 1 + gen_buf_varint_len(off);
    if (room < hdr + 2)
        return 0;
    size_t n = room - hdr - 1;
    return n < 64 ? n : room - hdr - 2;
}

/* 1-RTT packet overhead around a STREAM frame's data, to the peer's @dcid_len-byte id. */
static size_t short_overhead(size_t dcid_len)
{
    return 1 + dcid_len + PN_LEN + STREAM_HDR + TAG;
}

/* ---- packets ---- */

/* A 1-RTT packet's first byte and Destination Connection ID into @out: what is stored of it,
 * the session fills the rest with random bytes. Returns the header's length, 0 on error. */
static size_t short_header(struct conn *c, uint8_t *out, size_t cap, const uint8_t *dcid,
                           size_t dcid_len)
{
    /* gen_quic_short()'s shortest packet; only its header is kept. */
    return gen_quic_short(out, cap, dcid, dcid_len, 1 + dcid_len + 20, c->rng) ? 1 + dcid_len : 0;
}

/* The client's Initial with only an ACK of the server's Initial, padded to @pad_to, at @out.
 * Returns its length, 0 if libcrypto fails. */
static size_t client_initial_ack(struct conn *c, uint8_t *out, size_t cap, size_t pad_to)
{
    struct gen_quic_initial in = {.odcid = c->odcid,
                                  .odcid_len = CID_LEN,
                                  .dcid = c->sid, /* the server's id from now on (7.2) */
                                  .dcid_len = CID_LEN,
                                  .scid = c->cid,
                                  .scid_len = c->cid_len,
                                  .packet_number = c->client_pn++,
                                  .has_ack = true,
                                  .ack_largest = 0,
                                  .pad_to = pad_to};
    return gen_quic_initial(out, cap, &in);
}

/* ---- the handshake ---- */

/* The ClientHello in as many padded Initial datagrams as it needs (RFC 9000 14.1). */
static int client_hello(struct conn *c)
{
    size_t hdr = initial_hdr_len(CID_LEN, c->cid_len);
    uint64_t off = 0;
    while (off < c->ch_len) {
        size_t n = crypto_fit(c->dgram - hdr - TAG, off);
        if (n > c->ch_len - off)
            n = c->ch_len - off;
        struct gen_quic_initial in = {.odcid = c->odcid,
                                      .odcid_len = CID_LEN,
                                      .dcid = c->odcid,
                                      .dcid_len = CID_LEN,
                                      .scid = c->cid,
                                      .scid_len = c->cid_len,
                                      .packet_number = c->client_pn++,
                                      .crypto = c->ch + off,
                                      .crypto_len = n,
                                      .crypto_offset = off,
                                      .pad_to = c->dgram};
        uint8_t dg[DGRAM_MAX];
        size_t len = gen_quic_initial(dg, sizeof dg, &in);
        if (len == 0)
            return -EIO;
        plan_add(c->p, GEN_CLIENT, dg, len, len, 0);
        c->client_sent += len;
        off += n;
    }
    plan_wait(c->p);
    return 0;
}

/* The client's answer to a first flight cut short by the amplification limit: its Initial ACK
 * and a Handshake ACK, whose arrival lifts the limit (RFC 9000 8.1). */
static int client_handshake_ack(struct conn *c)
{
    uint8_t dg[DGRAM_MAX];
    size_t hs = long_hdr_len(CID_LEN, c->cid_len) + PN_LEN + ACK_FRAME + TAG;
    size_t pos = client_initial_ack(c, dg, sizeof dg, c->dgram - hs);
    if (pos == 0 || gen_quic_long_random(dg + pos, sizeof dg - pos, GEN_QUIC_HANDSHAKE, c->sid,
                                         CID_LEN, c->cid, c->cid_len, hs, c->rng) == 0)
        return -EIO;
    plan_add(c->p, GEN_CLIENT, dg, pos + long_hdr_len(CID_LEN, c->cid_len), pos + hs, 0);
    plan_wait(c->p);
    return 0;
}

/*
 * The server's first flight: its Initial (ACK, ServerHello) with the first Handshake packet,
 * then Handshake packets up to the amplification limit; the rest after the client's ACK.
 * Returns 1 if the flight waited for that ACK (whose Handshake packet made the client drop its
 * Initial keys, RFC 9001 4.9.1), 0 if not, -EIO if a packet cannot be built.
 */
static int server_flight(struct conn *c)
{
    struct gen_rng *rng = c->rng;
    uint8_t sh[1024];
    size_t shn = gen_tls_server_hello13(sh, sizeof sh, c->ch, c->ch_len, GEN_TLS_QUIC, rng);
    if (shn == 0)
        return -EIO;
    /* EncryptedExtensions (ALPN, transport parameters), a chain of two certificates,
     * CertificateVerify (ECDSA P-256 or RSA-2048 signature), Finished. */
    double chain = gen_rng_lognormal(rng, 3000, 0.15);
    chain = chain < 2500 ? 2500 : chain > 4000 ? 4000 : chain;
    uint64_t ee = gen_rng_range(rng, 80, 140);
    uint64_t cv = 8 + (gen_rng_chance(rng, 0.5) ? 72 : 256);
    uint64_t total = ee + (uint64_t)chain + cv + FINISHED;

    uint64_t server_ms = c->q->server_ms < 60000 ? c->q->server_ms : 60000;
    struct gen_quic_initial in = {.from_server = true,
                                  .odcid = c->odcid,
                                  .odcid_len = CID_LEN,
                                  .dcid = c->cid,
                                  .dcid_len = c->cid_len,
                                  .scid = c->sid,
                                  .scid_len = CID_LEN,
                                  .has_ack = true,
                                  .ack_largest = c->client_pn - 1,
                                  .ack_delay = server_ms * 1000 >> 3, /* exponent 3 (18.2) */
                                  .crypto = sh,
                                  .crypto_len = shn};
    uint8_t dg[DGRAM_MAX];
    size_t pos = gen_quic_initial(dg, sizeof dg, &in);
    if (pos == 0)
        return -EIO;
    size_t hdr = long_hdr_len(c->cid_len, CID_LEN);
    uint64_t budget = AMPLIFICATION * c->client_sent, spent = 0, off = 0;
    uint64_t think = server_ms * GEN_NS_PER_MS;
    bool validated = false;
    while (off < total) {
        uint64_t cap = SERVER_DGRAM;
        if (!validated && budget - spent < cap)
            cap = budget - spent;
        size_t n = cap > pos + hdr + PN_LEN + TAG
                           ? crypto_fit((size_t)cap - pos - hdr - PN_LEN - TAG, off)
                           : 0;
        if (n > total - off)
            n = (size_t)(total - off);
        if (n < MIN_CARRY && n < total - off && pos == 0) {
            plan_wait(c->p);
            int rc = client_handshake_ack(c);
            if (rc != 0)
                return rc;
            validated = true;
            think = 0;
            continue;
        }
        size_t len = hdr + PN_LEN + crypto_frame_len(off, n) + TAG;
        if (gen_quic_long_random(dg + pos, sizeof dg - pos, GEN_QUIC_HANDSHAKE, c->cid, c->cid_len,
                                 c->sid, CID_LEN, len, rng) == 0)
            return -EIO;
        plan_add(c->p, GEN_SERVER, dg, pos + hdr, pos + len, think);
        spent += pos + len;
        think = 0;
        pos = 0;
        off += n;
    }
    plan_wait(c->p);
    return validated ? 1 : 0;
}

/* A request's datagrams, the last one waiting for its arrival. */
static void client_request(struct conn *c, uint64_t bytes, uint64_t think_ns)
{
    size_t per = c->dgram - short_overhead(CID_LEN);
    while (bytes > 0) {
        uint64_t n = bytes < per ? bytes : per;
        uint8_t hdr[PREFIX_MAX];
        size_t hn = short_header(c, hdr, sizeof hdr, c->sid, CID_LEN);
        plan_add(c->p, GEN_CLIENT, hdr, hn, n + short_overhead(CID_LEN), think_ns);
        think_ns = 0;
        bytes -= n;
    }
    plan_wait(c->p);
}

/*
 * The client's Finished datagram: Initial ACK (unless the client has already sent a Handshake
 * packet, which drops its Initial keys, RFC 9001 4.9.1), Handshake ACK and Finished, and a 1-RTT
 * packet opening the HTTP/3 control and QPACK streams with the first request if it fits; then
 * that request if it did not.
 */
static int client_finished(struct conn *c, bool with_initial)
{
    struct gen_rng *rng = c->rng;
    /* Control stream type and SETTINGS (with a GREASE setting), the QPACK encoder and decoder
     * stream types, each in a STREAM frame, and an ACK. */
    size_t ctl = (size_t)gen_rng_range(rng, 50, 90);
    uint64_t think = gen_rng_range(rng, 500, 3000) * 1000; /* certificate checks */
    size_t hs = long_hdr_len(CID_LEN, c->cid_len) + PN_LEN + ACK_FRAME +
                crypto_frame_len(0, FINISHED) + TAG;
    size_t init_max = with_initial ? initial_hdr_len(CID_LEN, c->cid_len) + 7 + TAG : 0;
    size_t shrt = 1 + CID_LEN + PN_LEN + ctl + TAG;
    struct xfer *x0 = &c->x[0];
    if (x0->req > 0 && init_max + hs + shrt + STREAM_HDR + x0->req <= c->dgram) {
        shrt += STREAM_HDR + (size_t)x0->req;
        x0->req = 0;
    }
    uint8_t dg[DGRAM_MAX];
    size_t pos = 0;
    if (with_initial && (pos = client_initial_ack(c, dg, sizeof dg, c->dgram - hs - shrt)) == 0)
        return -EIO;
    if (gen_quic_long_random(dg + pos, sizeof dg - pos, GEN_QUIC_HANDSHAKE, c->sid, CID_LEN, c->cid,
                             c->cid_len, hs, rng) == 0)
        return -EIO;
    pos += hs;
    size_t hn = short_header(c, dg + pos, sizeof dg - pos, c->sid, CID_LEN);
    plan_add(c->p, GEN_CLIENT, dg, pos + hn, pos + shrt, think);
    if (x0->req > 0)
        client_request(c, x0->req, 0);
    x0->req = 0;
    plan_wait(c->p);
    return 0;
}

/* ---- exchanges ---- */

/* Draw each exchange's sizes and times; -ENOSPC if one could never fit a script. */
static int draw_exchanges(struct conn *c)
{
    const struct gen_quicflow *q = c->q;
    struct gen_rng *rng = c->rng;
    const uint64_t most = (uint64_t)GEN_SCRIPT_STEPS * SERVER_DGRAM;
    /* The server's HANDSHAKE_DONE, NEW_TOKEN, NEW_CONNECTION_IDs and control stream go ahead
     * of the first answer (or alone, when there is none). */
    uint64_t post = gen_rng_range(rng, 120, 260);
    c->nxfer = q->nx > 0 ? q->nx : 1;
    if (c->nxfer > XFER_MAX)
        return -ENOSPC;
    if (q->nx == 0) {
        c->x[0] = (struct xfer){.resp = post};
        return 0;
    }
    for (size_t i = 0; i < q->nx; i++) {
        if (q->requests[i] > most || q->responses[i] > most)
            return -ENOSPC;
        struct xfer *x = &c->x[i];
        /* HEADERS frame around the QPACK-compressed request, STREAM frame, packet. */
        x->req = q->requests[i] + gen_rng_range(rng, 25, 40);
        x->think_ns = i == 0 || q->think_ns == NULL ? 0 : q->think_ns[i];
        /* HEADERS (status, content type, date, caching) then a DATA frame. */
        x->resp = q->responses[i] + gen_rng_range(rng, 40, 160);
        if (q->responses[i] > 0)
            x->resp += 1 + gen_buf_varint_len(q->responses[i]);
        if (i == 0)
            x->resp += post;
        x->server_ns = (uint64_t)gen_rng_lognormal(rng, 8.0 * GEN_NS_PER_MS, 0.8);
    }
    return 0;
}

/*
 * Count the steps of the exchanges and pick the ACK stride that fits them into what the plan
 * has left. The server's window starts at INIT_CWND datagrams and grows by what each round
 * delivers (slow start; with no loss it never leaves it). Returns 0 or -ENOSPC.
 */
static int fit_exchanges(struct conn *c)
{
    size_t per_s = SERVER_DGRAM - short_overhead(c->cid_len);
    size_t per_c = c->dgram - short_overhead(CID_LEN);
    uint64_t steps = c->p->nsteps + 1; /* the close */
    uint32_t cwnd = INIT_CWND, most = 0;
    c->nrounds = 0;
    for (size_t i = 0; i < c->nxfer; i++) {
        struct xfer *x = &c->x[i];
        steps += div_up(x->req, per_c);
        uint64_t left = div_up(x->resp, per_s);
        steps += left;
        if (steps > c->p->room)
            return -ENOSPC;
        x->first_round = c->nrounds;
        for (; left > 0; c->nrounds++) {
            uint32_t k = left < cwnd ? (uint32_t)left : cwnd;
            c->rounds[c->nrounds] = k;
            most = k > most ? k : most;
            left -= k;
            cwnd += k;
        }
        x->nrounds = c->nrounds - x->first_round;
    }
    /* One ACK per round trip at the least: ACK-clocking needs one. */
    for (c->stride = ACK_EVERY;; c->stride++) {
        uint64_t acks = 0;
        for (size_t r = 0; r < c->nrounds; r++)
            acks += div_up(c->rounds[r], c->stride);
        if (steps + acks <= c->p->room)
            return 0;
        if (c->stride >= most)
            return -ENOSPC;
    }
}

/* A short ACK-only packet from the client. */
static void client_ack(struct conn *c, uint64_t think_ns)
{
    uint8_t hdr[PREFIX_MAX];
    size_t hn = short_header(c, hdr, sizeof hdr, c->sid, CID_LEN);
    /* ACK frame of 5 to 8 bytes: Largest Acknowledged and ACK Delay of one or two bytes. */
    size_t len = 1 + CID_LEN + PN_LEN + (size_t)gen_rng_range(c->rng, 5, 8) + TAG;
    plan_add(c->p, GEN_CLIENT, hdr, hn, len, think_ns);
}

/*
 * A server transfer in its rounds: each round a burst of datagrams, then the client's ACKs
 * once the last one has arrived (the first of them is what releases the next round, so the
 * last ACK of a round waits for its arrival). An odd datagram at a transfer's end is
 * acknowledged after max_ack_delay, or by the client's next packet if @next_think (the time
 * from the transfer's arrival to that packet) is shorter; @next_think is then made relative
 * to the ACK sent.
 */
static void server_transfer(struct conn *c, const struct xfer *x, uint64_t *next_think)
{
    size_t per = SERVER_DGRAM - short_overhead(c->cid_len);
    uint64_t left = x->resp, think = x->server_ns;
    for (size_t r = x->first_round; r < x->first_round + x->nrounds; r++) {
        uint32_t k = c->rounds[r];
        for (uint32_t j = 0; j < k; j++) {
            uint64_t n = left < per ? left : per;
            uint8_t hdr[PREFIX_MAX];
            size_t hn = short_header(c, hdr, sizeof hdr, c->cid, c->cid_len);
            plan_add(c->p, GEN_SERVER, hdr, hn, n + short_overhead(c->cid_len), think);
            think = 0;
            left -= n;
        }
        plan_wait(c->p);
        bool last = r + 1 == x->first_round + x->nrounds;
        size_t acks = (size_t)div_up(k, c->stride);
        bool delayed = last && k % c->stride != 0;
        for (size_t a = 0; a + (delayed ? 1 : 0) < acks; a++)
            client_ack(c, 0);
        if (delayed && *next_think >= MAX_ACK_DELAY_NS) {
            client_ack(c, MAX_ACK_DELAY_NS);
            *next_think -= MAX_ACK_DELAY_NS;
        }
        if (!last)
            plan_wait(c->p);
    }
}

/* The client's CONNECTION_CLOSE (application close, H3_NO_ERROR) with an ACK, @think_ns after
 * the previous step. */
static void client_close(struct conn *c, uint64_t think_ns)
{
    uint8_t hdr[PREFIX_MAX];
    size_t hn = short_header(c, hdr, sizeof hdr, c->sid, CID_LEN);
    size_t len = 1 + CID_LEN + PN_LEN + ACK_FRAME + 4 + (size_t)gen_rng_range(c->rng, 0, 7) + TAG;
    plan_add(c->p, GEN_CLIENT, hdr, hn, len, think_ns);
    plan_wait(c->p);
}

/* ---- the connection ---- */

static int plan_connection(struct conn *c)
{
    const struct gen_quicflow *q = c->q;
    struct gen_rng *rng = c->rng;
    c->dgram = q->profile == GEN_TLS_CHROME ? CHROME_DGRAM : FIREFOX_DGRAM;
    c->cid_len = q->profile == GEN_TLS_CHROME ? 0 : FIREFOX_SCID_LEN;
    gen_rng_fill(rng, c->odcid, CID_LEN);
    gen_rng_fill(rng, c->cid, c->cid_len);
    gen_rng_fill(rng, c->sid, CID_LEN);
    c->ch_len = gen_tls_client_hello_quic(c->ch, sizeof c->ch, q->profile, q->sni, c->cid,
                                          c->cid_len, rng);
    if (c->ch_len == 0)
        return -EINVAL;
    int rc = draw_exchanges(c);
    if (rc == 0)
        rc = client_hello(c);
    if (rc == 0)
        rc = server_flight(c);
    if (rc >= 0)
        rc = client_finished(c, rc == 0);
    if (rc == 0 && c->p->over)
        rc = -ENOSPC;
    if (rc == 0)
        rc = fit_exchanges(c);
    if (rc != 0)
        return rc;
    uint64_t close_think = q->idle_ns;
    for (size_t i = 0; i < c->nxfer; i++) {
        if (c->x[i].req > 0)
            client_request(c, c->x[i].req, c->x[i].think_ns);
        server_transfer(c, &c->x[i], i + 1 < c->nxfer ? &c->x[i + 1].think_ns : &close_think);
    }
    client_close(c, close_think);
    return c->p->over ? -ENOSPC : 0;
}

int gen_quicflow_script(struct gen_script *sc, const struct gen_quicflow *q, struct gen_rng *rng)
{
    if (sc == NULL || q == NULL || rng == NULL ||
        (q->profile != GEN_TLS_CHROME && q->profile != GEN_TLS_FIREFOX) ||
        (q->nx > 0 && (q->requests == NULL || q->responses == NULL)))
        return -EINVAL;
    /* About 35 kB of stack, which the generator's single thread has to spare. */
    struct plan plan;
    struct plan *p = &plan;
    p->nsteps = 0;
    p->used = 0;
    p->over = false;
    p->room = GEN_SCRIPT_STEPS - gen_script_steps(sc);
    struct conn c = {.q = q, .rng = rng, .p = p};
    int rc = plan_connection(&c);
    for (size_t i = 0; rc == 0 && i < p->nsteps; i++) {
        const struct pstep *st = &p->steps[i];
        rc = gen_script_add(sc, st->side, GEN_FILL_BYTES, p->store + st->at, st->n, st->len,
                            st->think_ns, st->no_wait);
    }
    return rc;
}

size_t gen_quicflow_bytes(const struct gen_quicflow *q)
{
    (void)q;
    return STORE_MAX;
}
