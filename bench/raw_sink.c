/*
 * raw_sink: the ZeroMQ ceiling of the transport benchmark (bench/run_transport_bench.sh). It
 * stands where umbra-aggregator stands, a ROUTER bound as a CURVE server with the aggregator's
 * key pair, and does only what cannot be avoided: receive each message and answer it with an
 * Ack, so that a sender's window moves exactly as it does with an aggregator. It does not
 * verify the checksum, decode records, check, store or sync anything.
 *
 * The Ack is a real one (sensor id, sequence, stream epoch of the batch, status OK), so the
 * sensor's export module works against this sink too (the benchmark's "generator alone" runs).
 * To find those three fields it walks the payload's top-level fields, stepping over each record
 * by its length without looking inside. Hello and Heartbeat messages are counted, not answered.
 *
 * No ZAP handler is bound, so libzmq admits every CURVE client (the aggregator asks its
 * allow-list once per connection, which does not weigh on throughput).
 *
 * Runs until SIGINT or SIGTERM, then prints its counters ("name value" lines) on stdout:
 * messages, batches, bytes (envelope bytes received), acks_sent, acks_failed, unparsed.
 *
 * Usage: raw_sink --listen ENDPOINT --key FILE.key
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "common/curve_keys.h"
#include "common/log.h"
#include "common/pb_varint.h"
#include "common/transport.h"
#include "common/wire.h"

#define ACK_BUF_LEN 512

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

struct batch_id {
    char sensor_id[65];
    uint64_t sequence, epoch;
};

/* A varint at *@p below @end; false when it runs past @end or over 10 bytes. */
static bool varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    size_t n = pb_varint_scan(*p, (size_t)(end - *p));
    if (n == 0)
        return false;
    *v = pb_varint_value(*p, n);
    *p += n;
    return true;
}

/* FlowBatch fields 2 (sensor_id), 3 (sequence) and 7 (stream_epoch) of the payload at @p. */
static bool batch_id(const uint8_t *p, size_t len, struct batch_id *id)
{
    const uint8_t *end = p + len;
    memset(id, 0, sizeof(*id));
    while (p < end) {
        uint64_t tag, v;
        if (!varint(&p, end, &tag))
            return false;
        switch (tag & 7) {
        case 0:
            if (!varint(&p, end, &v))
                return false;
            if (tag >> 3 == 3)
                id->sequence = v;
            else if (tag >> 3 == 7)
                id->epoch = v;
            break;
        case 1:
            if (end - p < 8)
                return false;
            p += 8;
            break;
        case 2:
            if (!varint(&p, end, &v) || v > (uint64_t)(end - p))
                return false;
            if (tag >> 3 == 2 && v < sizeof(id->sensor_id)) {
                memcpy(id->sensor_id, p, v);
                id->sensor_id[v] = '\0';
            }
            p += v;
            break;
        case 5:
            if (end - p < 4)
                return false;
            p += 4;
            break;
        default:
            return false;
        }
    }
    return id->sensor_id[0] != '\0' && id->sequence != 0;
}

int main(int argc, char **argv)
{
    const char *listen = NULL, *key = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--listen") == 0)
            listen = argv[i + 1];
        else if (strcmp(argv[i], "--key") == 0)
            key = argv[i + 1];
    }
    if (listen == NULL || key == NULL || argc != 5) {
        fprintf(stderr, "Usage: raw_sink --listen ENDPOINT --key FILE.key\n");
        return 2;
    }
    struct log_config lcfg = {.name = "raw_sink", .level = LOG_LEVEL_WARN};
    struct log *log = log_create(&lcfg);
    struct curve_keypair own;
    if (log == NULL || curve_keys_read_secret(key, &own, log) != 0)
        return 2;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    void *zctx = zmq_ctx_new();
    void *router = zctx ? zmq_socket(zctx, ZMQ_ROUTER) : NULL;
    /* The aggregator's ROUTER options (aggregator/ingest.c, open_router()). */
    struct transport_opts o = {.max_message = 16u << 20, .heartbeat_ns = 5000000000ull};
    if (router == NULL || transport_configure(router, &o, "raw_sink", log) != 0 ||
        transport_curve_server(router, &own, "raw_sink", log) != 0 ||
        zmq_bind(router, listen) != 0) {
        fprintf(stderr, "raw_sink: cannot listen on %s: %s\n", listen, zmq_strerror(errno));
        return 2;
    }
    memset(&own, 0, sizeof(own));

    uint64_t messages = 0, batches = 0, bytes = 0, acks_sent = 0, acks_failed = 0, unparsed = 0;
    uint8_t ack_buf[ACK_BUF_LEN];
    zmq_msg_t rid, env;
    zmq_msg_init(&rid);
    zmq_msg_init(&env);
    while (!stop) {
        if (zmq_msg_recv(&rid, router, 0) < 0)
            continue; /* EINTR on a signal */
        if (!zmq_msg_more(&rid) || zmq_msg_recv(&env, router, 0) < 0) {
            unparsed++;
            continue;
        }
        while (zmq_msg_more(&env)) { /* the aggregator ignores such messages; so does this */
            zmq_msg_t extra;
            zmq_msg_init(&extra);
            zmq_msg_recv(&extra, router, 0);
            int more = zmq_msg_more(&extra);
            zmq_msg_close(&extra);
            if (!more)
                break;
        }
        messages++;
        const uint8_t *buf = zmq_msg_data(&env);
        size_t len = zmq_msg_size(&env);
        bytes += len;
        enum wire_type t;
        if (wire_peek_type(buf, len, &t) != 0 || len < WIRE_OVERHEAD) {
            unparsed++;
            continue;
        }
        if (t != WIRE_FLOW_BATCH)
            continue;
        batches++;
        struct batch_id id;
        if (!batch_id(buf + WIRE_HEADER_LEN, len - WIRE_OVERHEAD, &id)) {
            unparsed++;
            continue;
        }
        Umbra__Ack ack = UMBRA__ACK__INIT;
        ack.sensor_id = id.sensor_id;
        ack.sequence = id.sequence;
        ack.status = UMBRA__ACK_STATUS__ACK_STATUS_OK;
        ack.reason = (char *)"";
        ack.stream_epoch = id.epoch;
        size_t ack_len;
        if (wire_pack(WIRE_ACK, &ack.base, ack_buf, sizeof(ack_buf), &ack_len) != 0 ||
            zmq_send(router, zmq_msg_data(&rid), zmq_msg_size(&rid), ZMQ_SNDMORE) < 0 ||
            zmq_send(router, ack_buf, ack_len, ZMQ_DONTWAIT) < 0)
            acks_failed++;
        else
            acks_sent++;
    }
    zmq_msg_close(&rid);
    zmq_msg_close(&env);
    printf("messages %" PRIu64 "\nbatches %" PRIu64 "\nbytes %" PRIu64 "\nacks_sent %" PRIu64
           "\nacks_failed %" PRIu64 "\nunparsed %" PRIu64 "\n",
           messages, batches, bytes, acks_sent, acks_failed, unparsed);
    fflush(stdout);
    zmq_close(router);
    zmq_ctx_term(zctx);
    log_destroy(&log);
    return 0;
}
