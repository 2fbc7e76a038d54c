/*
 * transport_probe: a hostile or broken peer for the end-to-end transport tests. It connects a
 * DEALER to an aggregator (with CURVE keys or without) and sends one kind of bad message, some
 * number of times, then reports on stdout what it sent and what came back:
 *
 *   sent KIND N
 *   replies M
 *   handshake ok|failed|none
 *
 * Kinds: garbage (random bytes), truncated (a valid FlowBatch envelope cut short), checksum (one
 * payload byte flipped), multipart (a valid batch followed by a second frame), unknown-type (a
 * valid envelope whose type byte is 99), empty (a zero-length frame), oversized (SIZE bytes,
 * --size), bad-record (a well-formed batch whose record has a 5-byte address), foreign-id (a
 * valid batch in the name of another sensor, --sensor-id), valid (a valid batch: for the checks
 * that a refused peer gets nothing applied).
 *
 * Usage: transport_probe ENDPOINT KIND [--count N] [--size BYTES] [--sensor-id ID]
 *                        [--key FILE.key --server-key FILE.pub] [--wait-ms MS]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "common/clock.h"
#include "common/curve_keys.h"
#include "common/transport.h"
#include "common/wire.h"

struct probe {
    const char *endpoint;
    const char *kind;
    long count;
    long size;
    const char *sensor_id;
    const char *key;
    const char *server_key;
    long wait_ms;
};

static int usage(void)
{
    fprintf(stderr, "usage: transport_probe ENDPOINT KIND [--count N] [--size BYTES] "
                    "[--sensor-id ID] [--key FILE --server-key FILE] [--wait-ms MS]\n");
    return 2;
}

/* A FlowBatch envelope with one record; @bad_addr gives the record a 5-byte client address. */
static size_t make_batch(uint8_t *buf, size_t cap, const char *sensor_id, uint64_t seq,
                         bool bad_addr)
{
    static uint8_t a4[4] = {10, 0, 0, 1}, b4[4] = {10, 0, 0, 2}, a5[5] = {1, 2, 3, 4, 5};
    Umbra__FlowKey key = UMBRA__FLOW_KEY__INIT;
    key.ip_proto = 6;
    key.client_addr = (ProtobufCBinaryData){bad_addr ? 5 : 4, bad_addr ? a5 : a4};
    key.server_addr = (ProtobufCBinaryData){4, b4};
    key.client_port = 40000;
    key.server_port = 443;
    Umbra__FlowTiming t = UMBRA__FLOW_TIMING__INIT;
    t.first_ts = 1700000000000000000ull;
    Umbra__FlowRecord r = UMBRA__FLOW_RECORD__INIT;
    r.flow_id = 1;
    r.event = UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN;
    r.key = &key;
    r.timing = &t;
    Umbra__FlowRecord *rp = &r;
    Umbra__FlowBatch b = UMBRA__FLOW_BATCH__INIT;
    b.schema_version = WIRE_SCHEMA_VERSION;
    b.sensor_id = (char *)sensor_id;
    b.sequence = seq;
    b.stream_epoch = 1;
    b.oldest_held = seq;
    b.n_records = 1;
    b.records = &rp;
    size_t len = 0;
    if (wire_pack(WIRE_FLOW_BATCH, &b.base, buf, cap, &len) != 0)
        return 0;
    return len;
}

static int send_kind(void *sock, const struct probe *p, long i, uint8_t *buf, size_t cap)
{
    const char *k = p->kind;
    size_t len = make_batch(buf, cap, p->sensor_id, (uint64_t)i + 1, strcmp(k, "bad-record") == 0);
    if (strcmp(k, "garbage") == 0) {
        len = 64 + (size_t)(i % 200);
        for (size_t j = 0; j < len; j++)
            buf[j] = (uint8_t)(rand() & 0xff);
    } else if (strcmp(k, "truncated") == 0) {
        len = len / 2;
    } else if (strcmp(k, "checksum") == 0) {
        buf[WIRE_HEADER_LEN + 3] ^= 0x40;
    } else if (strcmp(k, "unknown-type") == 0) {
        buf[5] = 99;
    } else if (strcmp(k, "empty") == 0) {
        len = 0;
    } else if (strcmp(k, "oversized") == 0) {
        len = (size_t)p->size;
        if (len > cap)
            return -1;
        memset(buf, 'U', len);
    } else if (strcmp(k, "multipart") == 0) {
        if (zmq_send(sock, buf, len, ZMQ_SNDMORE) < 0)
            return -1;
        return zmq_send(sock, "tail", 4, 0) < 0 ? -1 : 0;
    } else if (strcmp(k, "valid") != 0 && strcmp(k, "bad-record") != 0 &&
               strcmp(k, "foreign-id") != 0) {
        fprintf(stderr, "transport_probe: unknown kind '%s'\n", k);
        return -2;
    }
    return zmq_send(sock, buf, len, 0) < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    struct probe p = {.endpoint = argv[1],
                      .kind = argv[2],
                      .count = 1,
                      .size = 1 << 20,
                      .sensor_id = "probe",
                      .wait_ms = 1000};
    for (int i = 3; i < argc; i++) {
        if (i + 1 >= argc)
            return usage();
        const char *o = argv[i], *v = argv[++i];
        if (strcmp(o, "--count") == 0)
            p.count = strtol(v, NULL, 10);
        else if (strcmp(o, "--size") == 0)
            p.size = strtol(v, NULL, 10);
        else if (strcmp(o, "--sensor-id") == 0)
            p.sensor_id = v;
        else if (strcmp(o, "--key") == 0)
            p.key = v;
        else if (strcmp(o, "--server-key") == 0)
            p.server_key = v;
        else if (strcmp(o, "--wait-ms") == 0)
            p.wait_ms = strtol(v, NULL, 10);
        else
            return usage();
    }
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    struct transport_opts o = {.max_message = 1 << 20, .sndhwm = 100000};
    if (transport_configure(sock, &o, "probe", NULL) != 0)
        return 1;
    if (p.key != NULL) {
        struct curve_keypair own;
        char srv[CURVE_KEY_Z85_LEN + 1];
        if (curve_keys_read_secret(p.key, &own, NULL) != 0 ||
            curve_keys_read_public(p.server_key, srv, NULL) != 0) {
            fprintf(stderr, "transport_probe: cannot read the keys\n");
            return 1;
        }
        if (transport_curve_client(sock, &own, srv, "probe", NULL) != 0)
            return 1;
    }
    void *mon = transport_monitor_open(ctx, sock, "probe", NULL);
    if (mon == NULL || zmq_connect(sock, p.endpoint) != 0) {
        fprintf(stderr, "transport_probe: cannot connect to %s\n", p.endpoint);
        return 1;
    }
    /* Wait for the handshake's outcome, so that "refused" is told apart from "too early". */
    const char *hs = "none";
    uint64_t end = clock_mono_ns() + 5000 * CLOCK_NS_PER_MS;
    while (strcmp(hs, "none") == 0 && clock_mono_ns() < end) {
        zmq_pollitem_t it = {.socket = mon, .events = ZMQ_POLLIN};
        zmq_poll(&it, 1, 50);
        struct transport_event ev;
        while (transport_monitor_read(mon, &ev) == 0) {
            if (ev.event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
                hs = "ok";
            else if (ev.event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ||
                     ev.event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                     ev.event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
                hs = "failed";
        }
    }
    size_t cap = (size_t)(p.size > (1 << 16) ? p.size : (1 << 16));
    uint8_t *buf = malloc(cap);
    long sent = 0;
    if (strcmp(hs, "ok") == 0) {
        for (long i = 0; i < p.count; i++) {
            int rc = send_kind(sock, &p, i, buf, cap);
            if (rc == -2)
                return 2;
            if (rc == 0)
                sent++;
        }
    }
    long replies = 0;
    end = clock_mono_ns() + (uint64_t)p.wait_ms * CLOCK_NS_PER_MS;
    while (clock_mono_ns() < end) {
        zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
        zmq_poll(&it, 1, 50);
        while (zmq_recv(sock, buf, cap, ZMQ_DONTWAIT) >= 0)
            replies++;
    }
    printf("sent %s %ld\nreplies %ld\nhandshake %s\n", p.kind, sent, replies, hs);
    free(buf);
    zmq_close(mon);
    zmq_socket_monitor(sock, NULL, 0);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return 0;
}
