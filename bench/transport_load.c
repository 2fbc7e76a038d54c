/*
 * transport_load: one load-generating "sensor" for the transport benchmark
 * (bench/run_transport_bench.sh, docs/BENCHMARKS.md). It sends N synthetic flow records to one
 * aggregator and reports how long the aggregator took to acknowledge them all.
 *
 * Two modes, the same records and the same envelopes:
 *
 *   export (default)  the real sensor path: sensor/export with a spool in --spool. Every record
 *                     goes through export_record() and is sealed into the spool *before* the
 *                     clock starts (packing records is the sensor's work, not the
 *                     aggregator's); the timed part is export_drain(): batches read back from
 *                     the spool, sent within the window, acknowledged, removed.
 *   --raw             no export module: the same FlowBatch envelopes (built the same way, with
 *                     the same records, so of the same sizes) are built in memory before the
 *                     clock starts, and sent over a plain DEALER with the same CURVE keys, socket
 *                     options and window; each reply frame counts as an ack. This is the
 *                     ZeroMQ baseline: nothing but sending the bytes.
 *
 * Records: a pool of POOL_RECORDS records built once from a seeded generator, in the mix a
 * sensor exports (half OPEN records; END and a few UPDATE records with timing, both directions'
 * statistics, TCP flags and options, an SPLT of 8 to 32 packets with its two 10 x 10 Markov
 * summaries, both byte distributions; TLS hellos on most HTTPS flows, DNS on port 53, HTTP on
 * port 80). Record i is pool entry i % POOL_RECORDS with flow id FLOW_ID_BASE + i and client
 * address 10.0.0.0/8 + i, so every record is a distinct flow.
 *
 * Start barrier (several processes start together): once connected and prepared, the process
 * creates the --ready file, then waits for the --go file to exist. Times are CLOCK_MONOTONIC
 * nanoseconds, comparable between processes of one machine.
 *
 * Output, on stdout, one "name value" per line: mode, records, batches, bytes (envelope bytes
 * sent in the timed part, resends included), prepare_s, t0_ns, t1_ns, wall_s, acks, resent,
 * ack_timeouts, unacked. Exit status 0 when every batch was acknowledged, 1 otherwise, 2 on bad
 * usage.
 *
 * Usage: transport_load --endpoint EP --key FILE.key --server-key FILE.pub --name SENSOR_ID
 *                       [--records N] [--batch-records N] [--window N] [--spool DIR] [--raw]
 *                       [--ready FILE --go FILE] [--seed N] [--timeout SECONDS]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/curve_keys.h"
#include "common/log.h"
#include "common/pb_varint.h"
#include "common/transport.h"
#include "common/wire.h"
#include "sensor/export.h"

/* Distinct record templates; a multiple of any batch size up to 4096 that divides it, so that
 * batch k of the raw mode holds the same templates as batch k of the export mode. */
#define POOL_RECORDS 4096
/* Raw mode: envelopes built ahead and sent in turn. 16 batches of 1024 records cover the pool
 * four times over, so every batch sent has the size its export-mode twin has. */
#define RAW_RING 16

#define SPLT_MAX    32
#define MARKOV_BINS 10
#define MARKOV_LEN  (MARKOV_BINS * MARKOV_BINS)

/* The sensor's export defaults (sensor/sensor_config.c), except where the benchmark says. */
#define BATCH_BYTES    (1u << 20)
#define TAIL_ROOM      160
#define RECORDS_TAG    0x2a
#define OLDEST_TAG     0x41
#define OLDEST_LEN     9
#define ACK_BUF        4096
#define BASE_TS        1763856000000000000ull /* 2025-11-23 00:00 UTC, ns */
#define CONNECT_WAIT_S 20
/* Flow ids start here, so that every id packs into 5 bytes and a batch's size does not depend
 * on how far into the run it is (the raw mode resends its first batches' bytes). */
#define FLOW_ID_BASE (1ull << 28)

/* One record and everything it points to. */
struct gen_record {
    Umbra__FlowRecord rec;
    Umbra__FlowKey key;
    uint8_t caddr[4], saddr[4];
    Umbra__FlowTiming timing;
    Umbra__DirectionStats dir[2];
    Umbra__TcpInfo tcp;
    Umbra__TcpDirection tcp_dir[2];
    Umbra__Splt splt;
    uint32_t splt_len[SPLT_MAX], splt_iat[SPLT_MAX];
    protobuf_c_boolean splt_srv[SPLT_MAX];
    float len_markov[MARKOV_LEN], iat_markov[MARKOV_LEN];
    Umbra__ByteDist bd[2];
    Umbra__TlsInfo tls;
    Umbra__TlsClientHello ch;
    Umbra__TlsServerHello sh;
    uint32_t ciphers[18], exts[16], groups[4], point_fmts[1], sigalgs[10], versions[3];
    uint32_t server_exts[4];
    char *alpn[2];
    uint8_t ja3_md5[16], ja3s_md5[16];
    Umbra__DnsInfo dns;
    Umbra__DnsAnswer answers[2];
    Umbra__DnsAnswer *answer_ptrs[2];
    uint8_t answer_addr[2][4];
    Umbra__HttpInfo http;
};

struct options {
    const char *endpoint, *key_file, *server_key_file, *name, *spool, *ready, *go, *dump;
    uint64_t records;
    uint32_t batch_records, window;
    uint64_t seed;
    uint64_t timeout_s;
    bool raw;
};

struct result {
    uint64_t records, batches, bytes, acks, resent, ack_timeouts, unacked;
    uint64_t t0, t1;
    double prepare_s;
};

/* ---- the records ----------------------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t rng_below(uint64_t *s, uint32_t n)
{
    return (uint32_t)(rng_next(s) % n);
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

static char *str(const char *s)
{
    return (char *)(uintptr_t)s;
}

static const char *const snis[] = {
        "www.example.com",
        "login.microsoftonline.com",
        "outlook.office365.com",
        "update.googleapis.com",
        "api.github.com",
        "cdn.jsdelivr.net",
        "teams.microsoft.com",
        "intranet.corp.example",
        "s3.eu-west-1.amazonaws.com",
        "clients4.google.com",
        "ocsp.digicert.com",
        "slack.com",
};
static const char *const ja4s[] = {
        "t13d1516h2_8daaf6152771_02713d6af862",
        "t13d1715h2_5b57614c22b0_3d5424432f57",
        "t12d1209h1_c4e4c1a0b0b0_90b1b4b2c6a7",
};
static const char *const dns_names[] = {
        "wpad.corp.example",
        "time.windows.com",
        "fileserver01.corp.example",
        "www.example.com",
        "_ldap._tcp.dc._msdcs.corp.example",
};
static const char *const agents[] = {
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36",
        "Microsoft-CryptoAPI/10.0",
        "curl/7.88.1",
};

/* Markov summary of @n binned values: row-normalised transition counts, as the sensor sends. */
static void markov(const uint32_t *v, size_t n, uint32_t (*bin)(uint32_t), float *out)
{
    memset(out, 0, MARKOV_LEN * sizeof(*out));
    for (size_t i = 1; i < n; i++)
        out[bin(v[i - 1]) * MARKOV_BINS + bin(v[i])] += 1.0f;
    for (size_t r = 0; r < MARKOV_BINS; r++) {
        float sum = 0;
        for (size_t c = 0; c < MARKOV_BINS; c++)
            sum += out[r * MARKOV_BINS + c];
        for (size_t c = 0; sum > 0 && c < MARKOV_BINS; c++)
            out[r * MARKOV_BINS + c] /= sum;
    }
}

static uint32_t len_bin(uint32_t len)
{
    uint32_t b = len / 150;
    return b < MARKOV_BINS ? b : MARKOV_BINS - 1;
}

static uint32_t iat_bin(uint32_t us)
{
    uint32_t b = 0;
    while (us > 1 && b < MARKOV_BINS - 1) {
        us >>= 2;
        b++;
    }
    return b;
}

static void fill_dir(Umbra__DirectionStats *d, uint64_t *s, uint64_t dur_ns, bool big)
{
    *d = (Umbra__DirectionStats)UMBRA__DIRECTION_STATS__INIT;
    d->packets = 2 + rng_below(s, big ? 400 : 30);
    d->payload_bytes = d->packets * (big ? 900 : 60) + rng_below(s, 5000);
    d->ip_bytes = d->payload_bytes + 52 * d->packets;
    d->payload_min = 0;
    d->payload_max = big ? 1448 : 200 + rng_below(s, 400);
    d->payload_mean = (double)d->payload_bytes / (double)d->packets;
    d->payload_stddev = d->payload_mean * (0.3 + rng_unit(s));
    d->iat_min_ns = 1000 + rng_below(s, 50000);
    d->iat_max_ns = dur_ns / 2 + rng_below(s, 1000000);
    d->iat_mean_ns = (double)dur_ns / (double)d->packets;
    d->iat_stddev_ns = d->iat_mean_ns * (0.5 + rng_unit(s));
    d->idle_gaps = rng_below(s, 4) == 0 ? rng_below(s, 3) : 0;
}

static void fill_tcp(struct gen_record *g, uint64_t *s)
{
    g->tcp = (Umbra__TcpInfo)UMBRA__TCP_INFO__INIT;
    for (int i = 0; i < 2; i++) {
        Umbra__TcpDirection *t = &g->tcp_dir[i];
        *t = (Umbra__TcpDirection)UMBRA__TCP_DIRECTION__INIT;
        t->syn = 1;
        t->fin = 1;
        t->rst = rng_below(s, 10) == 0;
        t->psh = 1 + rng_below(s, 20);
        t->retransmissions = rng_below(s, 5) == 0 ? rng_below(s, 8) : 0;
        t->out_of_order = rng_below(s, 20) == 0;
        t->initial_window = i == 0 ? 64240 : 65160;
        t->mss = 1460;
        t->window_scale = i == 0 ? 7 : 13;
        t->sack_permitted = true;
        t->timestamps = rng_below(s, 3) != 0;
    }
    g->tcp.client = &g->tcp_dir[0];
    g->tcp.server = &g->tcp_dir[1];
    g->rec.tcp = &g->tcp;
}

static void fill_splt(struct gen_record *g, uint64_t *s)
{
    uint32_t n = 8 + rng_below(s, SPLT_MAX - 8 + 1);
    for (uint32_t i = 0; i < n; i++) {
        g->splt_srv[i] = (i % 3) != 0;
        g->splt_len[i] = g->splt_srv[i] ? 100 + rng_below(s, 1348) : 20 + rng_below(s, 500);
        g->splt_iat[i] = i == 0 ? 0 : rng_below(s, 200000);
    }
    Umbra__Splt *p = &g->splt;
    *p = (Umbra__Splt)UMBRA__SPLT__INIT;
    p->n_lengths = p->n_iat_us = p->n_from_server = n;
    p->lengths = g->splt_len;
    p->iat_us = g->splt_iat;
    p->from_server = g->splt_srv;
    markov(g->splt_len, n, len_bin, g->len_markov);
    markov(g->splt_iat, n, iat_bin, g->iat_markov);
    p->markov_bins = MARKOV_BINS;
    p->n_length_markov = p->n_iat_markov = MARKOV_LEN;
    p->length_markov = g->len_markov;
    p->iat_markov = g->iat_markov;
    g->rec.splt = p;
}

static void fill_tls(struct gen_record *g, uint64_t *s)
{
    static const uint32_t ciphers[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c,
                                       0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
                                       0x009d, 0x002f, 0x0035, 0x000a, 0x00ff, 0xc00a};
    static const uint32_t exts[] = {0,  23, 65281, 10, 11, 35, 16,    5,
                                    13, 18, 51,    45, 43, 27, 17513, 21};
    static const uint32_t groups[] = {29, 23, 24, 25};
    static const uint32_t sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805,
                                       0x0501, 0x0806, 0x0601, 0x0201, 0x0203};
    static const uint32_t versions[] = {0x0304, 0x0303, 0x0302};
    static const uint32_t server_exts[] = {43, 51, 41, 0};
    Umbra__TlsClientHello *h = &g->ch;
    *h = (Umbra__TlsClientHello)UMBRA__TLS_CLIENT_HELLO__INIT;
    h->record_version = 0x0301;
    h->handshake_version = 0x0303;
    const char *sni = snis[rng_below(s, sizeof(snis) / sizeof(snis[0]))];
    h->sni = str(sni);
    g->alpn[0] = str("h2");
    g->alpn[1] = str("http/1.1");
    h->n_alpn = 2;
    h->alpn = g->alpn;
    memcpy(g->ciphers, ciphers, sizeof(ciphers));
    h->n_cipher_suites = 12 + rng_below(s, 7);
    h->cipher_suites = g->ciphers;
    memcpy(g->exts, exts, sizeof(exts));
    h->n_extensions = 10 + rng_below(s, 7);
    h->extensions = g->exts;
    memcpy(g->groups, groups, sizeof(groups));
    h->n_supported_groups = 4;
    h->supported_groups = g->groups;
    g->point_fmts[0] = 0;
    h->n_ec_point_formats = 1;
    h->ec_point_formats = g->point_fmts;
    memcpy(g->sigalgs, sigalgs, sizeof(sigalgs));
    h->n_signature_algorithms = 8 + rng_below(s, 3);
    h->signature_algorithms = g->sigalgs;
    memcpy(g->versions, versions, sizeof(versions));
    h->n_supported_versions = 2 + rng_below(s, 2);
    h->supported_versions = g->versions;
    h->grease = rng_below(s, 2);
    for (size_t i = 0; i < 16; i++)
        g->ja3_md5[i] = (uint8_t)rng_next(s);
    h->ja3_md5 = (ProtobufCBinaryData){16, g->ja3_md5};
    h->ja4 = str(ja4s[rng_below(s, sizeof(ja4s) / sizeof(ja4s[0]))]);
    h->session_ticket = rng_below(s, 4) == 0;

    Umbra__TlsServerHello *sh = &g->sh;
    *sh = (Umbra__TlsServerHello)UMBRA__TLS_SERVER_HELLO__INIT;
    sh->version = 0x0303;
    sh->selected_version = 0x0304;
    sh->cipher_suite = 0x1302;
    memcpy(g->server_exts, server_exts, sizeof(server_exts));
    sh->n_extensions = 2;
    sh->extensions = g->server_exts;
    sh->alpn = str("h2");
    for (size_t i = 0; i < 16; i++)
        g->ja3s_md5[i] = (uint8_t)rng_next(s);
    sh->ja3s_md5 = (ProtobufCBinaryData){16, g->ja3s_md5};
    g->tls = (Umbra__TlsInfo)UMBRA__TLS_INFO__INIT;
    g->tls.client = h;
    g->tls.server = sh;
    g->rec.tls = &g->tls;
    g->rec.server_name = str(sni);
}

static void fill_dns(struct gen_record *g, uint64_t *s)
{
    Umbra__DnsInfo *d = &g->dns;
    *d = (Umbra__DnsInfo)UMBRA__DNS_INFO__INIT;
    const char *name = dns_names[rng_below(s, sizeof(dns_names) / sizeof(dns_names[0]))];
    d->query_name = str(name);
    d->qtype = 1;
    size_t n = 1 + rng_below(s, 2);
    for (size_t i = 0; i < n; i++) {
        Umbra__DnsAnswer *a = &g->answers[i];
        *a = (Umbra__DnsAnswer)UMBRA__DNS_ANSWER__INIT;
        a->name = str(name);
        a->type = 1;
        a->ttl_s = 300;
        g->answer_addr[i][0] = 10;
        g->answer_addr[i][1] = (uint8_t)rng_next(s);
        g->answer_addr[i][2] = (uint8_t)rng_next(s);
        g->answer_addr[i][3] = (uint8_t)rng_next(s);
        a->addr = (ProtobufCBinaryData){4, g->answer_addr[i]};
        g->answer_ptrs[i] = a;
    }
    d->n_answers = n;
    d->answers = g->answer_ptrs;
    g->rec.dns = d;
}

static void fill_http(struct gen_record *g, uint64_t *s)
{
    g->http = (Umbra__HttpInfo)UMBRA__HTTP_INFO__INIT;
    g->http.method = str("GET");
    g->http.host = str(snis[rng_below(s, sizeof(snis) / sizeof(snis[0]))]);
    g->http.user_agent = str(agents[rng_below(s, sizeof(agents) / sizeof(agents[0]))]);
    g->rec.http = &g->http;
    g->rec.server_name = g->http.host;
}

/* Template @g: half OPEN, the rest END (one in ten of them UPDATE) with every feature. */
static void gen_template(struct gen_record *g, uint64_t *s)
{
    static const uint32_t tcp_ports[] = {443, 443, 443, 443, 443, 80, 22, 445, 3389, 8080};
    static const uint32_t udp_ports[] = {53, 53, 53, 123, 443, 5353};
    memset(g, 0, sizeof(*g));
    g->rec = (Umbra__FlowRecord)UMBRA__FLOW_RECORD__INIT;
    bool tcp = rng_below(s, 4) != 0;
    g->key = (Umbra__FlowKey)UMBRA__FLOW_KEY__INIT;
    g->key.ip_proto = tcp ? 6 : 17;
    g->caddr[0] = 10;
    g->saddr[0] = 10;
    g->saddr[1] = (uint8_t)rng_below(s, 4);
    g->saddr[2] = (uint8_t)rng_next(s);
    g->saddr[3] = (uint8_t)(1 + rng_below(s, 254));
    g->key.client_addr = (ProtobufCBinaryData){4, g->caddr};
    g->key.server_addr = (ProtobufCBinaryData){4, g->saddr};
    g->key.client_port = 32768 + rng_below(s, 28232);
    g->key.server_port = tcp ? tcp_ports[rng_below(s, 10)] : udp_ports[rng_below(s, 6)];
    g->rec.key = &g->key;
    g->timing = (Umbra__FlowTiming)UMBRA__FLOW_TIMING__INIT;
    g->timing.first_ts = BASE_TS + rng_next(s) % (3600 * CLOCK_NS_PER_SEC);
    g->rec.timing = &g->timing;
    g->rec.event = UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN;
    if (rng_below(s, 2) == 0) {
        g->timing.last_ts = g->timing.first_ts;
        return;
    }
    bool update = rng_below(s, 10) == 0;
    g->rec.event =
            update ? UMBRA__FLOW_EVENT__FLOW_EVENT_UPDATE : UMBRA__FLOW_EVENT__FLOW_EVENT_END;
    g->rec.end_reason = update ? UMBRA__END_REASON__END_REASON_ACTIVE_TIMEOUT
                        : tcp  ? UMBRA__END_REASON__END_REASON_FIN
                               : UMBRA__END_REASON__END_REASON_IDLE;
    g->rec.update_seq = update ? 1 + rng_below(s, 5) : 0;
    uint64_t dur = 1000000 + rng_next(s) % (120 * CLOCK_NS_PER_SEC);
    g->timing.last_ts = g->timing.first_ts + dur;
    bool big = rng_below(s, 5) == 0;
    fill_dir(&g->dir[0], s, dur, false);
    fill_dir(&g->dir[1], s, dur, big);
    g->rec.client = &g->dir[0];
    g->rec.server = &g->dir[1];
    double cb = (double)g->dir[0].payload_bytes, sb = (double)g->dir[1].payload_bytes;
    g->rec.producer_consumer_ratio = (cb - sb) / (cb + sb);
    if (tcp) {
        g->timing.syn_synack_ns = 200000 + rng_below(s, 30000000);
        g->timing.synack_ack_ns = 20000 + rng_below(s, 2000000);
        g->timing.handshake_rtt_ns = g->timing.syn_synack_ns + g->timing.synack_ack_ns;
        g->timing.rtt_ns = g->timing.handshake_rtt_ns + rng_below(s, 5000000);
        fill_tcp(g, s);
    }
    fill_splt(g, s);
    for (int i = 0; i < 2; i++) {
        Umbra__ByteDist *d = &g->bd[i];
        *d = (Umbra__ByteDist)UMBRA__BYTE_DIST__INIT;
        d->bytes = g->dir[i].payload_bytes < 4096 ? g->dir[i].payload_bytes : 4096;
        d->entropy = 4.0 + 4.0 * rng_unit(s);
        d->mean = 60.0 + 70.0 * rng_unit(s);
        d->stddev = 50.0 + 30.0 * rng_unit(s);
    }
    g->rec.byte_dist_client = &g->bd[0];
    g->rec.byte_dist_server = &g->bd[1];
    if (tcp && g->key.server_port == 443 && rng_below(s, 10) < 8)
        fill_tls(g, s);
    else if (!tcp && g->key.server_port == 53)
        fill_dns(g, s);
    else if (tcp && g->key.server_port == 80)
        fill_http(g, s);
}

/* Record @i of the stream: its template, with its own flow id and client address. */
static const Umbra__FlowRecord *record_at(struct gen_record *pool, uint64_t i)
{
    struct gen_record *g = &pool[i % POOL_RECORDS];
    uint32_t host = (uint32_t)(i % 0xffffffu) + 1;
    g->rec.flow_id = FLOW_ID_BASE + i;
    g->caddr[1] = (uint8_t)(host >> 16);
    g->caddr[2] = (uint8_t)(host >> 8);
    g->caddr[3] = (uint8_t)host;
    return &g->rec;
}

/* ---- small helpers --------------------------------------------------------------------------- */

static double mono_s(void)
{
    return (double)clock_mono_ns() / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The start barrier: say ready, wait for go. 0, or -1 after the timeout. */
static int barrier(const struct options *o)
{
    if (o->ready != NULL) {
        FILE *f = fopen(o->ready, "w");
        if (f == NULL) {
            fprintf(stderr, "transport_load: fopen(%s): %s\n", o->ready, strerror(errno));
            return -1;
        }
        fclose(f);
    }
    if (o->go == NULL)
        return 0;
    uint64_t end = clock_mono_ns() + o->timeout_s * CLOCK_NS_PER_SEC;
    while (access(o->go, F_OK) != 0) {
        if (clock_mono_ns() > end) {
            fprintf(stderr, "transport_load: %s did not appear\n", o->go);
            return -1;
        }
        sleep_ms(1);
    }
    return 0;
}

/* ---- export mode ----------------------------------------------------------------------------- */

struct export_seen {
    uint64_t connects, auth_failures, protocol_failures, records, batches_sent;
    uint64_t bytes_sent, acks_ok, acks_duplicate, acks_rejected, ack_timeouts, spool_batches;
    uint64_t records_refused, records_lost;
};

static void seen_counter(void *ctx, const char *name, uint64_t v)
{
    static const struct {
        const char *name;
        size_t off;
    } map[] = {
#define M(f) {"export_0_" #f, offsetof(struct export_seen, f)}
            M(connects),      M(auth_failures), M(protocol_failures), M(records),
            M(batches_sent),  M(bytes_sent),    M(acks_ok),           M(acks_duplicate),
            M(acks_rejected), M(ack_timeouts),  M(spool_batches),     M(records_refused),
            M(records_lost),
#undef M
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(name, map[i].name) == 0)
            *(uint64_t *)((char *)ctx + map[i].off) = v;
    }
}

static void export_seen(const struct export *ex, struct export_seen *s)
{
    memset(s, 0, sizeof(*s));
    export_counters(ex, seen_counter, s);
}

static int run_export(const struct options *o, const struct curve_keypair *own,
                      const char *server_pub, struct gen_record *pool, struct result *r,
                      struct log *log)
{
    const char *endpoints[1] = {o->endpoint};
    const char *server_keys[1] = {server_pub};
    /* A batch of batch_records records of at most 1.5 KB each fits in BATCH_BYTES; the spool
     * holds the whole run (it is sent only after the clock starts), with room to spare. */
    struct export_config cfg = {
            .sensor_id = o->name,
            .hostname = "bench",
            .site = "bench",
            .version = "transport_load",
            .start_ts = clock_wall_ns(),
            .endpoints = endpoints,
            .n_endpoints = 1,
            .own = own,
            .server_keys = server_keys,
            .spool_dir = o->spool,
            .spool_max = o->records * 2048 + (64u << 20),
            /* The spool's periodic flush is the sensor's own disk work: not in this figure. */
            .sync_ns = 3600 * CLOCK_NS_PER_SEC,
            .batch_records = o->batch_records,
            .batch_bytes = BATCH_BYTES,
            .batch_delay_ns = 3600 * CLOCK_NS_PER_SEC,
            .window = o->window,
            .ack_timeout_ns = 15 * CLOCK_NS_PER_SEC,
            .replay_rate = 32u << 20,
            .heartbeat_ns = 10 * CLOCK_NS_PER_SEC,
            .zmq_heartbeat_ns = 5 * CLOCK_NS_PER_SEC,
    };
    struct export *ex = export_create(&cfg, log);
    if (ex == NULL)
        return -1;
    int rc = -1;
    struct export_seen s;
    /* Connected first: batches sealed after the handshake are new, not a paced replay. */
    uint64_t end = clock_mono_ns() + CONNECT_WAIT_S * CLOCK_NS_PER_SEC;
    for (;;) {
        export_poll(ex);
        export_seen(ex, &s);
        if (s.connects > 0)
            break;
        if (s.auth_failures > 0 || s.protocol_failures > 0 || clock_mono_ns() > end) {
            fprintf(stderr, "transport_load: %s: no connection to %s\n", o->name, o->endpoint);
            goto out;
        }
        sleep_ms(1);
    }
    /* Everything into the spool before the clock starts: export_record() never touches the
     * network, and export_poll() is not called until the drain. */
    double p0 = mono_s();
    for (uint64_t i = 0; i < o->records; i++) {
        if (export_record(ex, record_at(pool, i)) != 0)
            goto out;
    }
    export_flush(ex);
    r->prepare_s = mono_s() - p0;
    export_seen(ex, &s);
    uint64_t sealed = s.spool_batches;
    if (barrier(o) != 0)
        goto out;
    r->t0 = clock_mono_ns();
    uint64_t left = export_drain(ex, o->timeout_s * CLOCK_NS_PER_SEC, NULL);
    r->t1 = clock_mono_ns();
    export_seen(ex, &s);
    r->records = s.records;
    r->batches = sealed;
    r->bytes = s.bytes_sent;
    r->acks = s.acks_ok + s.acks_duplicate + s.acks_rejected;
    r->resent = s.batches_sent > sealed ? s.batches_sent - sealed : 0; /* replays included */
    r->ack_timeouts = s.ack_timeouts;
    r->unacked = left;
    if (s.records_refused > 0 || s.records_lost > 0)
        fprintf(stderr, "transport_load: %s: %" PRIu64 " records refused, %" PRIu64 " lost\n",
                o->name, s.records_refused, s.records_lost);
    rc = left == 0 && s.acks_rejected == 0 ? 0 : -1;
out:
    export_destroy(&ex);
    return rc;
}

/* ---- raw mode -------------------------------------------------------------------------------- */

/* Batch @k (sequence k + 1) as the export module builds it: records appended as field 5, then
 * the batch's own fields, then oldest_held, then the envelope. Returns its length, 0 if it does
 * not fit. */
static size_t build_batch(const struct options *o, struct gen_record *pool, uint64_t k,
                          uint64_t n_records, uint8_t *buf, size_t cap, uint64_t epoch)
{
    size_t used = WIRE_HEADER_LEN;
    for (uint64_t j = 0; j < n_records; j++) {
        const Umbra__FlowRecord *rec = record_at(pool, k * o->batch_records + j);
        size_t len = protobuf_c_message_get_packed_size(&rec->base);
        if (used + 1 + PB_VARINT_MAX + len + TAIL_ROOM + WIRE_TRAILER_LEN > cap)
            return 0;
        buf[used++] = RECORDS_TAG;
        used += pb_varint_put(buf + used, len);
        used += protobuf_c_message_pack(&rec->base, buf + used);
    }
    Umbra__FlowBatch b = UMBRA__FLOW_BATCH__INIT;
    b.schema_version = WIRE_SCHEMA_VERSION;
    b.sensor_id = (char *)(uintptr_t)o->name;
    b.sequence = k + 1;
    b.created_ts = clock_wall_ns();
    b.stream_epoch = epoch;
    used += protobuf_c_message_pack(&b.base, buf + used);
    buf[used] = OLDEST_TAG;
    wr_le64(buf + used + 1, k + 1);
    used += OLDEST_LEN;
    size_t len;
    if (wire_seal(WIRE_FLOW_BATCH, buf, used - WIRE_HEADER_LEN, cap, &len) != 0)
        return 0;
    return len;
}

static void *raw_socket(void *zctx, const struct options *o, const struct curve_keypair *own,
                        const char *server_pub, void **mon, struct log *log)
{
    void *sock = zmq_socket(zctx, ZMQ_DEALER);
    if (sock == NULL)
        return NULL;
    /* What the export module sets on its DEALER (sensor/export.c, open_stream()). */
    struct transport_opts to = {
            .max_message = ACK_BUF,
            .sndhwm = (int)o->window + 16,
            .rcvhwm = 4 * (int)o->window,
            .heartbeat_ns = 5 * CLOCK_NS_PER_SEC,
            .reconnect_ns = 100 * CLOCK_NS_PER_MS,
    };
    int one = 1;
    if (transport_configure(sock, &to, "raw", log) != 0 ||
        zmq_setsockopt(sock, ZMQ_IMMEDIATE, &one, sizeof(one)) != 0 ||
        transport_curve_client(sock, own, server_pub, "raw", log) != 0 ||
        (*mon = transport_monitor_open(zctx, sock, "raw", log)) == NULL ||
        zmq_connect(sock, o->endpoint) != 0) {
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

static int run_raw(const struct options *o, const struct curve_keypair *own, const char *server_pub,
                   struct gen_record *pool, struct result *r, struct log *log)
{
    uint64_t n_batches = (o->records + o->batch_records - 1) / o->batch_records;
    size_t cap = WIRE_HEADER_LEN + BATCH_BYTES + TAIL_ROOM + WIRE_TRAILER_LEN;
    size_t ring = n_batches < RAW_RING ? (size_t)n_batches : RAW_RING;
    uint8_t *bufs = malloc(ring * cap);
    size_t lens[RAW_RING];
    void *zctx = zmq_ctx_new();
    void *mon = NULL, *sock = NULL;
    int rc = -1;
    if (bufs == NULL || zctx == NULL) {
        fprintf(stderr, "transport_load: out of memory\n");
        goto out;
    }
    double p0 = mono_s();
    uint64_t epoch = clock_wall_ns();
    for (size_t k = 0; k < ring; k++) {
        uint64_t n = o->records - k * o->batch_records;
        lens[k] = build_batch(o, pool, k, n < o->batch_records ? n : o->batch_records,
                              bufs + k * cap, cap, epoch);
        if (lens[k] == 0) {
            fprintf(stderr, "transport_load: batch %zu does not fit %zu bytes\n", k, cap);
            goto out;
        }
    }
    r->prepare_s = mono_s() - p0;
    sock = raw_socket(zctx, o, own, server_pub, &mon, log);
    if (sock == NULL) {
        fprintf(stderr, "transport_load: raw socket to %s: %s\n", o->endpoint, zmq_strerror(errno));
        goto out;
    }
    uint64_t end = clock_mono_ns() + CONNECT_WAIT_S * CLOCK_NS_PER_SEC;
    for (bool up = false; !up;) {
        struct transport_event ev;
        while (transport_monitor_read(mon, &ev) == 0) {
            if (ev.event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
                up = true;
        }
        if (!up && clock_mono_ns() > end) {
            fprintf(stderr, "transport_load: %s: no connection to %s\n", o->name, o->endpoint);
            goto out;
        }
        if (!up)
            sleep_ms(1);
    }
    if (barrier(o) != 0)
        goto out;
    uint64_t sent = 0, acked = 0;
    uint8_t ack[ACK_BUF];
    zmq_pollitem_t item = {.socket = sock, .events = ZMQ_POLLIN};
    r->t0 = clock_mono_ns();
    end = r->t0 + o->timeout_s * CLOCK_NS_PER_SEC;
    while (acked < n_batches && clock_mono_ns() < end) {
        while (sent < n_batches && sent - acked < o->window) {
            /* The last batch may be short; the others cycle through the ring. */
            size_t k = (size_t)(sent % ring);
            size_t len = lens[k];
            if (sent == n_batches - 1 && n_batches > ring && o->records % o->batch_records != 0)
                len = build_batch(o, pool, k, o->records % o->batch_records, bufs + k * cap, cap,
                                  epoch);
            if (zmq_send(sock, bufs + k * cap, len, ZMQ_DONTWAIT) < 0)
                break;
            r->bytes += len;
            sent++;
        }
        if (zmq_poll(&item, 1, 20) <= 0)
            continue;
        while (zmq_recv(sock, ack, sizeof(ack), ZMQ_DONTWAIT) >= 0)
            acked++;
    }
    r->t1 = clock_mono_ns();
    r->records = acked >= n_batches ? o->records : acked * o->batch_records;
    r->batches = n_batches;
    r->acks = acked;
    r->unacked = n_batches - acked;
    rc = acked >= n_batches ? 0 : -1;
out:
    if (mon != NULL)
        zmq_close(mon);
    if (sock != NULL) {
        zmq_socket_monitor(sock, NULL, 0);
        zmq_close(sock);
    }
    if (zctx != NULL)
        zmq_ctx_term(zctx);
    free(bufs);
    return rc;
}

/* The first batch, as run_raw() sends it, written to o->dump. */
static int dump_batch(const struct options *o, struct gen_record *pool)
{
    size_t cap = WIRE_HEADER_LEN + BATCH_BYTES + TAIL_ROOM + WIRE_TRAILER_LEN;
    uint8_t *buf = malloc(cap);
    size_t len = buf != NULL ? build_batch(o, pool, 0, o->batch_records, buf, cap, 1) : 0;
    FILE *f = len > 0 ? fopen(o->dump, "wb") : NULL;
    int rc = -1;
    if (f == NULL)
        fprintf(stderr, "transport_load: cannot write %s: %s\n", o->dump,
                len == 0 ? "batch does not fit" : strerror(errno));
    else if (fwrite(buf, 1, len, f) != len || fclose(f) != 0)
        fprintf(stderr, "transport_load: writing %s failed\n", o->dump);
    else
        rc = 0;
    free(buf);
    return rc;
}

/* ---- main ------------------------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f, "Usage: transport_load --endpoint EP --key FILE.key --server-key FILE.pub "
               "--name SENSOR_ID\n"
               "                      [--records N] [--batch-records N] [--window N] "
               "[--spool DIR] [--raw]\n"
               "                      [--ready FILE --go FILE] [--seed N] [--timeout SECONDS]\n"
               "       transport_load --dump FILE [--batch-records N] [--name SENSOR_ID] "
               "[--seed N]\n"
               "Sends N synthetic flow records to one aggregator (export mode: through the\n"
               "sensor's export module and spool; --raw: the same envelopes over a plain DEALER)\n"
               "and prints records, bytes and the time from the first send to the last ack.\n"
               "--dump writes the first batch's envelope (as --raw sends it) to FILE instead,\n"
               "for bench/walk_bench.\n");
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    enum {
        O_EP = 256,
        O_KEY,
        O_SKEY,
        O_NAME,
        O_REC,
        O_BATCH,
        O_WIN,
        O_SPOOL,
        O_RAW,
        O_READY,
        O_GO,
        O_SEED,
        O_TIMEOUT,
        O_DUMP
    };
    static const struct option longopts[] = {
            {"endpoint", required_argument, NULL, O_EP},
            {"key", required_argument, NULL, O_KEY},
            {"server-key", required_argument, NULL, O_SKEY},
            {"name", required_argument, NULL, O_NAME},
            {"records", required_argument, NULL, O_REC},
            {"batch-records", required_argument, NULL, O_BATCH},
            {"window", required_argument, NULL, O_WIN},
            {"spool", required_argument, NULL, O_SPOOL},
            {"raw", no_argument, NULL, O_RAW},
            {"ready", required_argument, NULL, O_READY},
            {"go", required_argument, NULL, O_GO},
            {"seed", required_argument, NULL, O_SEED},
            {"timeout", required_argument, NULL, O_TIMEOUT},
            {"dump", required_argument, NULL, O_DUMP},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
    };
    *o = (struct options){
            .records = 100000, .batch_records = 1024, .window = 64, .seed = 1, .timeout_s = 300};
    uint64_t v;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_EP:
            o->endpoint = optarg;
            break;
        case O_KEY:
            o->key_file = optarg;
            break;
        case O_SKEY:
            o->server_key_file = optarg;
            break;
        case O_NAME:
            o->name = optarg;
            break;
        case O_REC:
            if (parse_u64(optarg, 1, 1ull << 40, &o->records) != 0)
                goto bad;
            break;
        case O_BATCH:
            if (parse_u64(optarg, 1, POOL_RECORDS, &v) != 0 || POOL_RECORDS % v != 0)
                goto bad;
            o->batch_records = (uint32_t)v;
            break;
        case O_WIN:
            if (parse_u64(optarg, 1, 4096, &v) != 0)
                goto bad;
            o->window = (uint32_t)v;
            break;
        case O_SPOOL:
            o->spool = optarg;
            break;
        case O_RAW:
            o->raw = true;
            break;
        case O_READY:
            o->ready = optarg;
            break;
        case O_GO:
            o->go = optarg;
            break;
        case O_SEED:
            if (parse_u64(optarg, 0, UINT64_MAX, &o->seed) != 0)
                goto bad;
            break;
        case O_TIMEOUT:
            if (parse_u64(optarg, 1, 86400, &o->timeout_s) != 0)
                goto bad;
            break;
        case O_DUMP:
            o->dump = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            goto bad;
        }
    }
    if (optind == argc && o->dump != NULL)
        return 0;
    if (optind == argc && o->endpoint != NULL && o->key_file != NULL &&
        o->server_key_file != NULL && o->name != NULL && (o->raw || o->spool != NULL))
        return 0;
bad:
    usage(stderr);
    fprintf(stderr, "(--batch-records must divide %d; export mode needs --spool)\n", POOL_RECORDS);
    return -1;
}

int main(int argc, char **argv)
{
    struct options o;
    if (parse_args(argc, argv, &o) != 0)
        return 2;
    struct log_config lcfg = {.name = "transport_load", .level = LOG_LEVEL_WARN};
    struct log *log = log_create(&lcfg);
    struct gen_record *pool = calloc(POOL_RECORDS, sizeof(*pool));
    if (log == NULL || pool == NULL) {
        fprintf(stderr, "transport_load: out of memory\n");
        return 1;
    }
    uint64_t seed = o.seed;
    for (size_t i = 0; i < POOL_RECORDS; i++)
        gen_template(&pool[i], &seed);
    if (o.dump != NULL) {
        if (o.name == NULL)
            o.name = "bench-sensor";
        int drc = dump_batch(&o, pool);
        free(pool);
        log_destroy(&log);
        return drc == 0 ? 0 : 1;
    }
    struct curve_keypair own;
    char server_pub[CURVE_KEY_Z85_LEN + 1];
    if (curve_keys_read_secret(o.key_file, &own, log) != 0 ||
        curve_keys_read_public(o.server_key_file, server_pub, log) != 0)
        return 2;

    struct result r = {0};
    int rc = o.raw ? run_raw(&o, &own, server_pub, pool, &r, log)
                   : run_export(&o, &own, server_pub, pool, &r, log);
    if (r.t0 != 0) {
        printf("mode %s\nrecords %" PRIu64 "\nbatches %" PRIu64 "\nbytes %" PRIu64
               "\nprepare_s %.6f\nt0_ns %" PRIu64 "\nt1_ns %" PRIu64 "\nwall_s %.6f\n"
               "acks %" PRIu64 "\nresent %" PRIu64 "\nack_timeouts %" PRIu64 "\nunacked %" PRIu64
               "\n",
               o.raw ? "raw" : "export", r.records, r.batches, r.bytes, r.prepare_s, r.t0, r.t1,
               (double)(r.t1 - r.t0) / 1e9, r.acks, r.resent, r.ack_timeouts, r.unacked);
    }
    memset(&own, 0, sizeof(own));
    free(pool);
    log_destroy(&log);
    return rc == 0 ? 0 : 1;
}
