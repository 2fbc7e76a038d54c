/*
 * gen_quicflow: whole QUIC connections played by a real gen_sim and read back from the frames it
 * captures with parsing written here: Ethernet/IPv4/UDP at fixed offsets, QUIC packets as RFC
 * 9000 17 lays them out, Initial keys derived here with libcrypto's HMAC-SHA256 (RFC 5869 HKDF,
 * RFC 8446 7.1 HKDF-Expand-Label, RFC 9001 5.2 labels and salt; checked against RFC 9001 A.1)
 * and Initial packets unprotected as RFC 9001 5.3-5.4 says. Nothing of gen_quic's key code is
 * used to check it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tools/gen/gen_quicflow.h"
#include "tools/gen/gen_rng.h"
#include "tools/gen/gen_script.h"
#include "tools/gen/gen_sim.h"

#define MAX_FRAMES 1024
#define DGRAM_MAX  1472 /* GEN_FRAME_MAX less Ethernet, IPv4 and UDP headers */
#define CLIENT_IP  0x0a000001u
#define SERVER_IP  0xc6120001u
#define D_CLIENT   (1 * GEN_NS_PER_MS) /* one-way delays to the tap */
#define D_SERVER   (10 * GEN_NS_PER_MS)

/* ---- capture ---- */

struct cap {
    size_t n;
    uint64_t t[MAX_FRAMES];
    uint8_t from_server[MAX_FRAMES];
    uint16_t len[MAX_FRAMES]; /* UDP payload bytes */
    uint8_t dg[MAX_FRAMES][DGRAM_MAX];
    size_t steps; /* of the script */
};

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void on_out(void *ctx, uint32_t point, uint64_t t, const uint8_t *frame, size_t len)
{
    (void)point;
    struct cap *c = ctx;
    assert_true(c->n < MAX_FRAMES);
    assert_true(len >= 42 && len <= GEN_FRAME_MAX);
    const uint8_t *ip = frame + 14, *udp = ip + 20;
    assert_int_equal(ip[9], 17);
    size_t plen = len - 42;
    assert_int_equal((size_t)(udp[4] << 8 | udp[5]), plen + 8);
    uint32_t src = be32(ip + 12);
    assert_true(src == CLIENT_IP || src == SERVER_IP);
    c->t[c->n] = t;
    c->from_server[c->n] = src == SERVER_IP;
    c->len[c->n] = (uint16_t)plen;
    memcpy(c->dg[c->n], udp + 8, plen);
    c->n++;
}

struct flow {
    struct gen_quicflow q;
    uint64_t resp[8], req[8], think[8];
};

/* Play @q in a fresh simulation; the script's rng is seeded with @seed. Returns the script's
 * gen_quicflow_script() result; the capture only when it is 0. */
static int play(struct cap *c, const struct gen_quicflow *q, uint64_t seed)
{
    memset(c, 0, offsetof(struct cap, dg));
    struct gen_rng rng;
    gen_rng_init(&rng, seed, 7);
    struct gen_script *sc = gen_script_create(gen_quicflow_bytes(q));
    assert_non_null(sc);
    int rc = gen_quicflow_script(sc, q, &rng);
    c->steps = gen_script_steps(sc);
    if (rc != 0) {
        free(sc);
        return rc;
    }
    gen_script_end(sc, GEN_END_CLIENT_FIN, 2 * GEN_NS_PER_S, false);
    struct gen_sim_config cfg = {.out = on_out, .ctx = c, .seed = 99};
    struct gen_sim *sim = gen_sim_create(&cfg);
    assert_non_null(sim);
    struct gen_flow_params p = {
            .proto = 17,
            .ep = {{.ip = CLIENT_IP, .port = 51000, .stack = &gen_stack_windows},
                   {.ip = SERVER_IP, .port = 443, .stack = &gen_stack_linux}},
            .d_ns = {D_CLIENT, D_SERVER},
            .bps = {100000000, 100000000},
            .listening = true,
            .app = &gen_script_app,
            .app_ctx = sc,
    };
    assert_non_null(gen_sess_start(sim, 0, &p));
    assert_int_equal(gen_sim_run(sim, UINT64_MAX), 0);
    assert_int_equal(gen_sim_stats(sim)->sessions_live, 0);
    gen_sim_destroy(&sim);
    return 0;
}

/* ---- Initial keys and unprotection, written here ---- */

static const uint8_t v1_salt[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};

struct keys {
    uint8_t key[16], iv[12], hp[16];
};

static void hmac256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len,
                    uint8_t out[32])
{
    unsigned int n = 0;
    assert_non_null(HMAC(EVP_sha256(), key, (int)key_len, msg, len, out, &n));
    assert_int_equal(n, 32);
}

/* HKDF-Expand-Label (RFC 8446 7.1) with an empty context, for outputs of at most 32 bytes:
 * one HMAC block, T(1) = HMAC(secret, HkdfLabel || 0x01). */
static void expand_label(const uint8_t secret[32], const char *label, uint8_t *out, size_t len)
{
    uint8_t info[64], t[32];
    size_t ll = strlen(label), n = 0;
    info[n++] = 0;
    info[n++] = (uint8_t)len;
    info[n++] = (uint8_t)(6 + ll);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, ll);
    n += ll;
    info[n++] = 0; /* empty context */
    info[n++] = 1; /* block counter */
    hmac256(secret, 32, info, n, t);
    memcpy(out, t, len);
}

static void derive(const uint8_t *odcid, size_t len, bool server, struct keys *k)
{
    uint8_t initial[32], secret[32];
    hmac256(v1_salt, sizeof v1_salt, odcid, len, initial); /* HKDF-Extract */
    expand_label(initial, server ? "server in" : "client in", secret, 32);
    expand_label(secret, "quic key", k->key, 16);
    expand_label(secret, "quic iv", k->iv, 12);
    expand_label(secret, "quic hp", k->hp, 16);
}

static size_t varint(const uint8_t *p, uint64_t *v)
{
    size_t n = (size_t)1 << (p[0] >> 6);
    uint64_t x = p[0] & 0x3f;
    for (size_t i = 1; i < n; i++)
        x = x << 8 | p[i];
    *v = x;
    return n;
}

/* One QUIC packet in a datagram. */
struct pkt {
    int type; /* 0 Initial, 2 Handshake (long header types); 4: short header */
    const uint8_t *p;
    size_t len;
    const uint8_t *dcid, *scid;
    size_t dcid_len, scid_len;
    size_t pn_at; /* offset of the packet number (long headers) */
};

enum { T_INITIAL = 0, T_HANDSHAKE = 2, T_SHORT = 4 };

/* Split a datagram into its packets (RFC 9000 12.2); a short header's DCID is @short_dcid
 * bytes long. Returns the count. */
static size_t walk(const uint8_t *d, size_t len, size_t short_dcid, struct pkt *out, size_t max)
{
    size_t off = 0, n = 0;
    while (off < len) {
        assert_true(n < max);
        struct pkt *k = &out[n++];
        const uint8_t *p = d + off;
        assert_true(p[0] & 0x40); /* the fixed bit, long or short (17.2, 17.3.1) */
        k->p = p;
        if (!(p[0] & 0x80)) {
            k->type = T_SHORT;
            k->dcid = p + 1;
            k->dcid_len = short_dcid;
            k->len = len - off;
            assert_true(k->len >= 1 + short_dcid + 20);
            return n;
        }
        k->type = (p[0] >> 4) & 3;
        assert_true(k->type == T_INITIAL || k->type == T_HANDSHAKE);
        assert_int_equal(be32(p + 1), 1); /* version 1 */
        size_t q = 5;
        k->dcid_len = p[q];
        k->dcid = p + q + 1;
        q += 1 + p[q];
        k->scid_len = p[q];
        k->scid = p + q + 1;
        q += 1 + p[q];
        uint64_t v;
        if (k->type == T_INITIAL) {
            q += varint(p + q, &v);
            q += (size_t)v; /* token */
        }
        q += varint(p + q, &v);
        k->pn_at = q;
        k->len = q + (size_t)v;
        assert_true(off + k->len <= len);
        off += k->len;
    }
    return n;
}

/* Unprotect an Initial (RFC 9001 5.4.1 header protection, 5.3 AEAD); the tag must verify.
 * Returns the payload's length. */
static size_t unprotect(const struct pkt *k, const struct keys *keys, uint8_t *payload)
{
    const uint8_t *pkt = k->p;
    size_t off = k->pn_at;
    uint8_t hdr[128];
    if (pkt == NULL || off + 4 > sizeof hdr) {
        fail();
        return 0;
    }
    uint8_t mask[16];
    int ml = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    assert_non_null(c);
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, keys->hp, NULL), 1);
    assert_int_equal(EVP_EncryptUpdate(c, mask, &ml, pkt + off + 4, 16), 1);
    EVP_CIPHER_CTX_free(c);
    memcpy(hdr, pkt, off + 4);
    hdr[0] ^= mask[0] & 0x0f;
    size_t pn_len = (size_t)(hdr[0] & 3) + 1;
    uint64_t pn = 0;
    for (size_t i = 0; i < pn_len; i++) {
        hdr[off + i] ^= mask[1 + i];
        pn = pn << 8 | hdr[off + i];
    }
    uint8_t nonce[12];
    memcpy(nonce, keys->iv, 12);
    for (size_t i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    size_t ct = k->len - off - pn_len - 16;
    int l1 = 0, l2 = 0;
    c = EVP_CIPHER_CTX_new();
    assert_non_null(c);
    assert_int_equal(EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, keys->key, nonce), 1);
    assert_int_equal(EVP_DecryptUpdate(c, NULL, &l1, hdr, (int)(off + pn_len)), 1);
    assert_int_equal(EVP_DecryptUpdate(c, payload, &l1, pkt + off + pn_len, (int)ct), 1);
    assert_int_equal(
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(pkt + off + pn_len + ct)), 1);
    assert_int_equal(EVP_DecryptFinal_ex(c, payload + l1, &l2), 1);
    EVP_CIPHER_CTX_free(c);
    return ct;
}

/* The frames of an Initial payload (RFC 9000 19): PADDING, PING, ACK and CRYPTO only. CRYPTO
 * data goes to @stream at its offset; returns whether an ACK was seen. */
static bool frames(const uint8_t *p, size_t len, uint8_t *stream, size_t cap, size_t *end)
{
    bool ack = false;
    size_t i = 0;
    while (i < len) {
        uint64_t type = p[i++], a, b, c, d;
        if (type == 0x00 || type == 0x01)
            continue;
        if (type == 0x02) {
            i += varint(p + i, &a);
            i += varint(p + i, &b);
            i += varint(p + i, &c);
            i += varint(p + i, &d);
            assert_int_equal(c, 0); /* one range in these flows */
            ack = true;
            continue;
        }
        assert_int_equal(type, 0x06);
        i += varint(p + i, &a);
        i += varint(p + i, &b);
        assert_true(a + b <= cap && i + b <= len);
        memcpy(stream + a, p + i, (size_t)b);
        if (a + b > *end)
            *end = (size_t)(a + b);
        i += (size_t)b;
    }
    return ack;
}

/* The server_name of a ClientHello handshake message (RFC 8446 4.1.2, RFC 6066 3), written
 * into @name; false if it has none. */
static bool client_hello_sni(const uint8_t *m, size_t len, char *name, size_t cap)
{
    assert_true(len > 4 + 2 + 32 + 1);
    assert_int_equal(m[0], 1);
    assert_int_equal(((size_t)m[1] << 16 | (size_t)m[2] << 8 | m[3]), len - 4);
    size_t i = 4 + 2 + 32;
    i += 1 + m[i];                           /* session id */
    i += 2 + ((size_t)m[i] << 8 | m[i + 1]); /* cipher suites */
    i += 1 + m[i];                           /* compression */
    size_t end = i + 2 + ((size_t)m[i] << 8 | m[i + 1]);
    assert_int_equal(end, len);
    for (i += 2; i + 4 <= end;) {
        size_t type = (size_t)m[i] << 8 | m[i + 1], el = (size_t)m[i + 2] << 8 | m[i + 3];
        i += 4;
        if (type == 0) {
            assert_int_equal(m[i + 2], 0); /* host_name */
            size_t nl = (size_t)m[i + 3] << 8 | m[i + 4];
            assert_true(nl < cap);
            memcpy(name, m + i + 5, nl);
            name[nl] = 0;
            return true;
        }
        i += el;
    }
    return false;
}

/* ---- what every connection must show ---- */

static const uint8_t rfc_dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

static void test_gen_quicflow_test_keys_match_rfc9001_a1(void **state)
{
    (void)state;
    struct keys c, s;
    derive(rfc_dcid, sizeof rfc_dcid, false, &c);
    derive(rfc_dcid, sizeof rfc_dcid, true, &s);
    static const uint8_t ckey[16] = {0x1f, 0x36, 0x96, 0x13, 0xdd, 0x76, 0xd5, 0x46,
                                     0x77, 0x30, 0xef, 0xcb, 0xe3, 0xb1, 0xa2, 0x2d};
    static const uint8_t chp[16] = {0x9f, 0x50, 0x44, 0x9e, 0x04, 0xa0, 0xe8, 0x10,
                                    0x28, 0x3a, 0x1e, 0x99, 0x33, 0xad, 0xed, 0xd2};
    static const uint8_t siv[12] = {0x0a, 0xc1, 0x49, 0x3c, 0xa1, 0x90,
                                    0x58, 0x53, 0xb0, 0xbb, 0xa0, 0x3e};
    assert_memory_equal(c.key, ckey, 16);
    assert_memory_equal(c.hp, chp, 16);
    assert_memory_equal(s.iv, siv, 12);
}

/* What the checks of one capture learn and find. */
struct seen {
    size_t cdgram;     /* the client's datagram size */
    uint8_t odcid[8];  /* the client's first Destination Connection ID */
    uint8_t cscid[20]; /* the client's Source Connection ID */
    size_t cscid_len;
    uint8_t sid[8];      /* the server's Source Connection ID */
    size_t first_server; /* index of the server's first datagram */
    bool split;          /* the server's flight waited for the client's ACK */
    size_t server_1rtt_dgrams;
    uint64_t server_1rtt_bytes;
    size_t client_acks; /* client datagrams of one short packet under 60 bytes */
};

/* A connection id out of a packet (@src is inside the captured datagram). */
static void copy_id(uint8_t *dst, const uint8_t *src, size_t len)
{
    if (len > 0 && src != NULL)
        memcpy(dst, src, len);
}

/* 1. The client's first datagrams: padded Initials of version 1 whose CRYPTO frames, decrypted
 * with keys derived here, hold a ClientHello naming the server. */
static void check_client_hello(const struct cap *c, const struct gen_quicflow *q, struct seen *s)
{
    struct pkt pk[8] = {{0}};
    assert_true(c->n > 6);
    assert_false(c->from_server[0]);
    assert_true(c->len[0] >= 1200);
    assert_int_equal(c->dg[0][0] & 0xf0, 0xc0); /* long header, fixed bit, Initial */
    assert_int_equal(be32(c->dg[0] + 1), 1);
    assert_int_equal(walk(c->dg[0], c->len[0], 8, pk, 8), 1);
    assert_int_equal(pk[0].dcid_len, 8); /* Chrome's (and Firefox's) first DCID */
    assert_int_equal(pk[0].scid_len, s->cscid_len);
    copy_id(s->odcid, pk[0].dcid, 8);
    copy_id(s->cscid, pk[0].scid, s->cscid_len);
    struct keys ck;
    derive(s->odcid, 8, false, &ck);
    static uint8_t stream[8192], payload[DGRAM_MAX];
    size_t end = 0, i = 0;
    for (; i < c->n && !c->from_server[i]; i++) {
        assert_int_equal(c->len[i], s->cdgram); /* every Initial datagram padded alike */
        assert_int_equal(walk(c->dg[i], c->len[i], 8, pk, 8), 1);
        assert_int_equal(pk[0].type, T_INITIAL);
        size_t pl = unprotect(&pk[0], &ck, payload);
        frames(payload, pl, stream, sizeof stream, &end);
    }
    s->first_server = i;
    assert_int_equal(i, q->profile == GEN_TLS_CHROME ? 2 : 1);
    char name[256];
    assert_true(client_hello_sni(stream, end, name, sizeof name));
    assert_string_equal(name, q->sni);
}

/* 2. The server's first datagram: its Initial (ACK and ServerHello, decrypted with the server's
 * keys) to the client's SCID from its own new 8-byte id, and a Handshake packet. */
static void check_server_hello(const struct cap *c, struct seen *s)
{
    struct pkt pk[8] = {{0}};
    size_t f = s->first_server;
    assert_true(c->len[f] >= 1200);
    assert_int_equal(walk(c->dg[f], c->len[f], s->cscid_len, pk, 8), 2);
    assert_int_equal(pk[0].type, T_INITIAL);
    assert_int_equal(pk[1].type, T_HANDSHAKE);
    assert_int_equal(pk[0].dcid_len, s->cscid_len);
    if (s->cscid_len > 0)
        assert_memory_equal(pk[0].dcid, s->cscid, s->cscid_len);
    assert_int_equal(pk[0].scid_len, 8);
    copy_id(s->sid, pk[0].scid, 8);
    assert_memory_equal(pk[1].scid, s->sid, 8);
    struct keys sk;
    derive(s->odcid, 8, true, &sk);
    static uint8_t stream[8192], payload[DGRAM_MAX];
    size_t end = 0;
    size_t pl = unprotect(&pk[0], &sk, payload);
    assert_true(frames(payload, pl, stream, sizeof stream, &end)); /* with an ACK */
    assert_true(end > 4);
    assert_int_equal(stream[0], 2); /* ServerHello */
}

/* 3. Every datagram: its packets well framed, short headers with the fixed bit (walk()) and
 * the peer's connection id, sizes within what the sender uses. Anti-amplification (RFC 9000
 * 8.1): until a client Handshake packet reaches the server, the server has sent no more than
 * three times what has reached it. A datagram seen at the tap at t left the server at
 * t - D_SERVER; a client datagram seen at t reaches the server at t + D_SERVER. */
static void check_datagrams(const struct cap *c, struct seen *s)
{
    struct pkt pk[8] = {{0}};
    uint64_t validated = UINT64_MAX, server_sent = 0;
    for (size_t i = 0; i < c->n; i++) {
        bool srv = c->from_server[i];
        size_t np = walk(c->dg[i], c->len[i], srv ? s->cscid_len : 8, pk, 8);
        assert_true(c->len[i] <= (srv ? 1252 : s->cdgram));
        for (size_t k = 0; k < np; k++) {
            /* The client's first Initials go to its random id, all else to the peer's. */
            const uint8_t *want = srv ? s->cscid : i < s->first_server ? s->odcid : s->sid;
            assert_int_equal(pk[k].dcid_len, srv ? s->cscid_len : 8);
            if (pk[k].dcid_len > 0)
                assert_memory_equal(pk[k].dcid, want, pk[k].dcid_len);
            if (!srv && pk[k].type == T_HANDSHAKE && validated == UINT64_MAX)
                validated = c->t[i] + D_SERVER;
            if (pk[k].type != T_SHORT) {
                assert_int_equal(pk[k].scid_len, srv ? 8 : s->cscid_len);
            } else if (srv) {
                s->server_1rtt_bytes += pk[k].len;
                s->server_1rtt_dgrams++;
            } else if (np == 1 && pk[k].len < 60 && i + 1 < c->n) {
                s->client_acks++;
            }
        }
        if (!srv || c->t[i] - D_SERVER >= validated)
            continue;
        server_sent += c->len[i];
        uint64_t received = 0;
        for (size_t k = 0; k < i; k++)
            if (!c->from_server[k] && c->t[k] + D_SERVER <= c->t[i] - D_SERVER)
                received += c->len[k];
        assert_true(server_sent <= 3 * received);
    }
    assert_true(validated != UINT64_MAX);
    /* A client datagram of Initial and a short Handshake packet among the server's Handshake
     * datagrams is a split flight's ACK (a Finished makes it longer). */
    for (size_t i = s->first_server + 1; i < c->n && !s->split; i++) {
        size_t np = walk(c->dg[i], c->len[i], c->from_server[i] ? s->cscid_len : 8, pk, 8);
        if (pk[0].type == T_SHORT)
            break;
        s->split = !c->from_server[i] && np == 2 && pk[1].type == T_HANDSHAKE && pk[1].len < 64;
    }
}

static void check_connection(const struct cap *c, const struct gen_quicflow *q, struct seen *s)
{
    memset(s, 0, sizeof *s);
    s->cdgram = q->profile == GEN_TLS_CHROME ? 1250 : 1357;
    s->cscid_len = q->profile == GEN_TLS_CHROME ? 0 : 3;
    check_client_hello(c, q, s);
    check_server_hello(c, s);
    check_datagrams(c, s);
    /* 4. The responses are all there, and the client closes last, in a short packet. */
    uint64_t sum = 0;
    for (size_t x = 0; x < q->nx; x++)
        sum += q->responses[x];
    assert_true(s->server_1rtt_bytes >= sum);
    size_t last = c->n - 1;
    assert_false(c->from_server[last]);
    assert_int_equal(c->dg[last][0] & 0xc0, 0x40);
    assert_true(c->len[last] >= 37 && c->len[last] <= 44);
}

static void flow_init(struct flow *f, enum gen_tls_profile profile, const char *sni, size_t nx,
                      uint64_t resp)
{
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < nx; i++) {
        f->resp[i] = resp + i * 777;
        f->req[i] = 300 + i * 40;
        f->think[i] = i == 0 ? 0 : 20 * GEN_NS_PER_MS;
    }
    f->q = (struct gen_quicflow){.profile = profile,
                                 .sni = sni,
                                 .server_ms = 3,
                                 .responses = f->resp,
                                 .requests = f->req,
                                 .think_ns = f->think,
                                 .nx = nx,
                                 .idle_ns = 5 * GEN_NS_PER_S};
}

static void test_gen_quicflow_chrome_connection_reads_back(void **state)
{
    (void)state;
    struct cap *c = malloc(sizeof *c);
    struct flow f;
    flow_init(&f, GEN_TLS_CHROME, "www.example.com", 3, 20000);
    struct seen s;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        assert_int_equal(play(c, &f.q, seed), 0);
        check_connection(c, &f.q, &s);
        /* One ACK per two datagrams received: no thinning needed at this size. */
        assert_true(s.client_acks >= s.server_1rtt_dgrams / 2);
        assert_false(s.split); /* 3 x 2500 bytes of Initials leave room for any chain */
    }
    free(c);
}

static void test_gen_quicflow_firefox_connection_reads_back(void **state)
{
    (void)state;
    struct cap *c = malloc(sizeof *c);
    struct flow f;
    flow_init(&f, GEN_TLS_FIREFOX, "cdn.example.org", 2, 5000);
    struct seen s;
    int splits = 0;
    for (uint64_t seed = 1; seed <= 24; seed++) {
        assert_int_equal(play(c, &f.q, seed), 0);
        check_connection(c, &f.q, &s);
        splits += s.split;
    }
    /* 3 x 1357 bytes hold most chains but not all: both cases are played. */
    assert_true(splits > 0 && splits < 24);
    free(c);
}

static void test_gen_quicflow_handshake_only_connection_closes(void **state)
{
    (void)state;
    struct cap *c = malloc(sizeof *c);
    struct flow f;
    flow_init(&f, GEN_TLS_CHROME, "preconnect.example.com", 0, 0);
    f.q.responses = NULL;
    f.q.requests = NULL;
    struct seen s;
    assert_int_equal(play(c, &f.q, 3), 0);
    check_connection(c, &f.q, &s);
    assert_int_equal(s.server_1rtt_dgrams, 1); /* HANDSHAKE_DONE and the rest */
    free(c);
}

static void test_gen_quicflow_same_seed_same_datagrams(void **state)
{
    (void)state;
    struct cap *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    struct flow f;
    flow_init(&f, GEN_TLS_CHROME, "www.example.com", 2, 9000);
    assert_int_equal(play(a, &f.q, 42), 0);
    assert_int_equal(play(b, &f.q, 42), 0);
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->t[i], b->t[i]);
        assert_int_equal(a->len[i], b->len[i]);
        assert_memory_equal(a->dg[i], b->dg[i], a->len[i]);
    }
    assert_int_equal(play(b, &f.q, 43), 0);
    assert_memory_not_equal(a->dg[0], b->dg[0], 1250); /* another connection id, hello */
    free(a);
    free(b);
}

/* 110 kB needs 90 datagrams: with an ACK per two the script would overflow; the ACKs are
 * thinned and everything still arrives. */
static void test_gen_quicflow_large_response_thins_acks_to_fit(void **state)
{
    (void)state;
    struct cap *c = malloc(sizeof *c);
    struct flow f;
    flow_init(&f, GEN_TLS_CHROME, "video.example.com", 1, 110000);
    struct seen s;
    assert_int_equal(play(c, &f.q, 5), 0);
    check_connection(c, &f.q, &s);
    assert_true(c->steps <= GEN_SCRIPT_STEPS);
    assert_true(s.server_1rtt_dgrams >= 90);
    assert_true(s.client_acks < s.server_1rtt_dgrams / 2);
    assert_true(s.client_acks >= 4); /* one per round trip at the least: 10, 20, 40, 20+ */
    free(c);
}

static void test_gen_quicflow_refuses_what_does_not_fit(void **state)
{
    (void)state;
    struct flow f;
    flow_init(&f, GEN_TLS_FIREFOX, "big.example.com", 1, 1000000);
    struct gen_rng rng;
    gen_rng_init(&rng, 1, 1);
    struct gen_script *sc = gen_script_create(gen_quicflow_bytes(&f.q));
    assert_non_null(sc);
    assert_int_equal(gen_quicflow_script(sc, &f.q, &rng), -ENOSPC);
    assert_int_equal(gen_script_steps(sc), 0); /* left as it was */
    /* A script already nearly full has no room for even a small connection. */
    for (int i = 0; i < GEN_SCRIPT_STEPS - 5; i++)
        assert_int_equal(gen_script_add(sc, GEN_CLIENT, GEN_FILL_RANDOM, NULL, 0, 10, 0, false), 0);
    flow_init(&f, GEN_TLS_FIREFOX, "small.example.com", 1, 100);
    assert_int_equal(gen_quicflow_script(sc, &f.q, &rng), -ENOSPC);
    assert_int_equal(gen_script_steps(sc), GEN_SCRIPT_STEPS - 5);
    free(sc);
}

static void test_gen_quicflow_refuses_bad_arguments(void **state)
{
    (void)state;
    struct flow f;
    flow_init(&f, GEN_TLS_CHROME, "www.example.com", 1, 100);
    struct gen_rng rng;
    gen_rng_init(&rng, 1, 1);
    struct gen_script *sc = gen_script_create(gen_quicflow_bytes(&f.q));
    assert_non_null(sc);
    assert_int_equal(gen_quicflow_script(NULL, &f.q, &rng), -EINVAL);
    assert_int_equal(gen_quicflow_script(sc, NULL, &rng), -EINVAL);
    assert_int_equal(gen_quicflow_script(sc, &f.q, NULL), -EINVAL);
    struct gen_quicflow bad = f.q;
    bad.profile = GEN_TLS_SAFARI; /* speaks QUIC, but not a profile modelled here */
    assert_int_equal(gen_quicflow_script(sc, &bad, &rng), -EINVAL);
    bad = f.q;
    bad.responses = NULL;
    assert_int_equal(gen_quicflow_script(sc, &bad, &rng), -EINVAL);
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    bad = f.q;
    bad.sni = longname;
    assert_int_equal(gen_quicflow_script(sc, &bad, &rng), -EINVAL);
    assert_int_equal(gen_script_steps(sc), 0);
    free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gen_quicflow_test_keys_match_rfc9001_a1),
            cmocka_unit_test(test_gen_quicflow_chrome_connection_reads_back),
            cmocka_unit_test(test_gen_quicflow_firefox_connection_reads_back),
            cmocka_unit_test(test_gen_quicflow_handshake_only_connection_closes),
            cmocka_unit_test(test_gen_quicflow_same_seed_same_datagrams),
            cmocka_unit_test(test_gen_quicflow_large_response_thins_acks_to_fit),
            cmocka_unit_test(test_gen_quicflow_refuses_what_does_not_fit),
            cmocka_unit_test(test_gen_quicflow_refuses_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
