/*
 * Export: batches, spool, DEALER sockets, acks and replay (see export.h and docs/PROTOCOL.md).
 *
 * A batch is built in place as its envelope: the records are appended one by one after the
 * envelope header as protobuf field 5 (FlowBatch.records), each packed by protobuf-c straight
 * into the buffer; sealing appends the batch's own fields, packed by protobuf-c from a FlowBatch
 * without records (protobuf concatenation merges messages, so the result parses as one
 * FlowBatch), and then the envelope. Nothing is packed twice and nothing is allocated.
 *
 * oldest_held is the one field that changes after sealing: it is the last field of the
 * payload, fixed64, and each send writes the spool's oldest sequence into it and re-seals the
 * envelope (a checksum over the batch, far cheaper than packing it again).
 *
 * A batch is sent only once the spool's synced mark covers it (spool.h): the spool is written
 * without fsync, so a power cut takes it back to its last sync, numbering included; had the
 * aggregator seen a batch the cut took back, the spool would give its sequence to a new batch
 * and the aggregator would answer that one DUPLICATE, and the sensor would delete it. So when a
 * stream could send but its next batch is not synced yet, export_poll() syncs: one fsync covers
 * every batch sealed since the last, so a busy sensor syncs in groups, and the rate is bounded
 * (SYNC_GAP_NS, SYNC_SHARE).
 */
#include "sensor/export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>
#include <zmq.h>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/pb_varint.h"
#include "common/shard.h"
#include "common/transport.h"
#include "common/wire.h"
#include "sensor/spool.h"

/* Room after the records for the batch's own fields: sensor id (64), five varints, the tags. */
#define TAIL_ROOM 160
/* FlowBatch.records is field 5, length-delimited: tag (5 << 3) | 2. */
#define RECORDS_TAG 0x2a
/* oldest_held: field 8, fixed64: tag (8 << 3) | 1, then 8 bytes little-endian. */
#define OLDEST_TAG 0x41
#define OLDEST_LEN 9
/* Acks are a few dozen bytes; anything near this is not an ack. */
#define ACK_BUF 4096
/*
 * A sync made for sending comes at most once per export_poll() and no sooner than SYNC_GAP_NS
 * after the previous sync ended, nor sooner than SYNC_SHARE times that sync's own duration: at
 * most 100 per second, and at most a tenth of the polling thread's time in fsync however slow
 * the disk (a 50 ms fsync allows the next after 450 ms). A batch then waits for the network at
 * most a gap plus a sync longer than it used to. Syncs every spool.sync_interval come on top.
 */
#define SYNC_GAP_NS (10 * CLOCK_NS_PER_MS)
#define SYNC_SHARE  9

struct stream {
    uint32_t idx;
    char what[96]; /* "aggregator 0 (tcp://...)" for logs */
    void *sock;
    void *mon;
    bool up;              /* handshake done and not disconnected since */
    bool ever_up;         /* for "connected" versus "reconnected" */
    bool hello_due;       /* this connection's Hello is not sent yet: no batch goes before it */
    uint64_t cursor;      /* next sequence to send */
    uint64_t replay_end;  /* sequences below it were spooled before this connection */
    uint64_t progress_ns; /* last ack that moved things, or the first send into an empty window */
    uint64_t retry_seq;   /* the last RETRY acted on, and when: later RETRYs for it are echoes */
    uint64_t retry_ns;
    double tokens; /* replay budget, bytes */
    uint64_t tokens_ns;
    uint64_t next_heartbeat_ns;
    uint64_t last_acked;

    /* The open batch: envelope header, then records from WIRE_HEADER_LEN to used. */
    uint8_t *buf;
    size_t used;
    uint32_t n_records;
    uint64_t opened_ns;
    uint64_t dropped_seen; /* spool's dropped_records when the previous batch was sealed */

    /* Counters. */
    uint64_t records, checksum, records_refused, records_lost;
    uint64_t batches_sealed, batches_sent, batches_resent, bytes_sent, send_blocked;
    uint64_t acks_ok, acks_duplicate, acks_rejected, acks_retry, acks_bad, ack_timeouts;
    uint64_t heartbeats, connects, disconnects, auth_failures, protocol_failures;
    uint64_t handshake_failures; /* closed by the aggregator during the handshake, no detail */
};

struct export
{
    const struct export_config *cfg;
    struct log *log;
    void *zctx;
    struct spool *spool;
    uint64_t epoch;
    uint32_t n;
    struct stream st[EXPORT_MAX_AGGREGATORS];
    uint8_t *scratch; /* a spooled batch read back for sending */
    size_t scratch_cap;
    size_t buf_cap;        /* an open batch's buffer */
    uint64_t next_sync_ns; /* the periodic sync (spool.sync_interval) */
    uint64_t send_sync_ns; /* the earliest sync for sending (SYNC_GAP_NS, SYNC_SHARE) */
};

static void stream_reset_batch(struct stream *s)
{
    s->used = WIRE_HEADER_LEN;
    s->n_records = 0;
}

/* Seal @s's open batch into the spool. A failure loses the batch's records: counted, logged. */
static void seal(struct export *ex, struct stream *s)
{
    if (s->n_records == 0)
        return;
    struct spool_stream_stats ss;
    spool_stream_stats(ex->spool, s->idx, &ss);
    uint64_t seq = ss.next_seq;

    Umbra__FlowBatch b = UMBRA__FLOW_BATCH__INIT;
    b.schema_version = WIRE_SCHEMA_VERSION;
    b.sensor_id = (char *)ex->cfg->sensor_id;
    b.sequence = seq;
    b.created_ts = clock_wall_ns();
    b.dropped_before = ss.dropped_records - s->dropped_seen;
    b.stream_epoch = ex->epoch;
    s->dropped_seen = ss.dropped_records;
    /* oldest_held is written by hand below, last, so that sends can find it. */
    size_t fields = protobuf_c_message_pack(&b.base, s->buf + s->used);
    size_t payload = s->used + fields - WIRE_HEADER_LEN;
    uint8_t *o = s->buf + WIRE_HEADER_LEN + payload;
    o[0] = OLDEST_TAG;
    wr_le64(o + 1, ss.oldest ? ss.oldest : seq);
    payload += OLDEST_LEN;
    size_t len;
    int rc = wire_seal(WIRE_FLOW_BATCH, s->buf, payload, ex->buf_cap, &len);
    if (rc == 0)
        rc = spool_append(ex->spool, s->idx, seq, s->buf, len, s->n_records);
    if (rc != 0) {
        s->records_lost += s->n_records;
        log_err(ex->log, "export: %s: batch %" PRIu64 " of %u records not spooled: %s", s->what,
                seq, s->n_records, umbra_strerror(rc));
    } else {
        s->batches_sealed++;
    }
    stream_reset_batch(s);
}

/* Append one packed record (@len bytes at @src, or packed from @rec when @src is NULL). */
static int append(struct export *ex, struct stream *s, const Umbra__FlowRecord *rec,
                  const uint8_t *src, size_t len)
{
    size_t need = 1 + pb_varint_size(len) + len;
    if (s->n_records > 0 && (s->used - WIRE_HEADER_LEN + need > ex->cfg->batch_bytes ||
                             s->n_records >= ex->cfg->batch_records))
        seal(ex, s);
    if (s->used - WIRE_HEADER_LEN + need > ex->cfg->batch_bytes)
        return -EMSGSIZE;
    if (s->n_records == 0)
        s->opened_ns = clock_mono_ns();
    uint8_t *p = s->buf + s->used;
    *p++ = RECORDS_TAG;
    p += pb_varint_put(p, len);
    if (src != NULL)
        memcpy(p, src, len);
    else
        protobuf_c_message_pack(&rec->base, p);
    s->used += need;
    s->n_records++;
    s->records++;
    s->checksum += XXH3_64bits(p, len);
    return 0;
}

int export_record(struct export *ex, const Umbra__FlowRecord *rec)
{
    uint32_t a = 0, b = 0;
    if (ex->n > 1 && rec->key != NULL) {
        a = shard_owner(rec->key->client_addr.data, rec->key->client_addr.len, ex->n);
        b = shard_owner(rec->key->server_addr.data, rec->key->server_addr.len, ex->n);
    }
    size_t len = protobuf_c_message_get_packed_size(&rec->base);
    struct stream *s = &ex->st[a];
    int rc = append(ex, s, rec, NULL, len);
    if (rc != 0) {
        s->records_refused++;
        log_err(ex->log,
                "export: a record of %zu bytes does not fit in a batch "
                "(export.batch_bytes %u); dropped",
                len, ex->cfg->batch_bytes);
        return rc;
    }
    if (b != a) {
        /* The bytes just written: the record's packed form sits at the end of @s's batch. */
        const uint8_t *src = s->buf + s->used - len;
        rc = append(ex, &ex->st[b], NULL, src, len);
        if (rc != 0)
            ex->st[b].records_refused++;
    }
    return rc;
}

/* 0, -EAGAIN when ZeroMQ cannot take it now (try again), or another code (it never will). */
static int send_hello(struct export *ex, struct stream *s)
{
    Umbra__Hello h = UMBRA__HELLO__INIT;
    h.schema_version = WIRE_SCHEMA_VERSION;
    h.sensor_id = (char *)ex->cfg->sensor_id;
    h.software_version = (char *)ex->cfg->version;
    h.hostname = (char *)ex->cfg->hostname;
    h.site = (char *)ex->cfg->site;
    h.start_ts = ex->cfg->start_ts;
    h.capabilities = (char **)ex->cfg->capabilities;
    h.n_capabilities = ex->cfg->n_capabilities;
    h.stream_epoch = ex->epoch;
    uint8_t buf[1024];
    size_t len;
    int rc = wire_pack(WIRE_HELLO, &h.base, buf, sizeof(buf), &len);
    if (rc == 0 && zmq_send(s->sock, buf, len, ZMQ_DONTWAIT) < 0)
        rc = errno == EAGAIN ? -EAGAIN : -EIO;
    return rc;
}

static void send_heartbeat(struct export *ex, struct stream *s, uint64_t now)
{
    Umbra__Heartbeat hb = UMBRA__HEARTBEAT__INIT;
    if (ex->cfg->heartbeat_fn != NULL)
        ex->cfg->heartbeat_fn(ex->cfg->heartbeat_ctx, &hb);
    struct spool_stream_stats ss;
    spool_stream_stats(ex->spool, s->idx, &ss);
    hb.sensor_id = (char *)ex->cfg->sensor_id;
    hb.ts = clock_wall_ns();
    hb.uptime_ns = hb.ts > ex->cfg->start_ts ? hb.ts - ex->cfg->start_ts : 0;
    hb.spool_bytes = ss.bytes;
    hb.spool_batches = ss.batches;
    hb.spool_dropped = ss.dropped_batches;
    hb.spool_dropped_records = ss.dropped_records;
    hb.last_acked_sequence = s->last_acked;
    hb.records_exported = s->records;
    uint8_t buf[4096];
    size_t len;
    int rc = wire_pack(WIRE_HEARTBEAT, &hb.base, buf, sizeof(buf), &len);
    if (rc == 0 && zmq_send(s->sock, buf, len, ZMQ_DONTWAIT) >= 0)
        s->heartbeats++;
    s->next_heartbeat_ns = now + ex->cfg->heartbeat_ns;
}

static void on_monitor(struct export *ex, struct stream *s, const struct transport_event *ev,
                       uint64_t now)
{
    struct spool_stream_stats ss;
    int rc;
    switch (ev->event) {
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        spool_stream_stats(ex->spool, s->idx, &ss);
        s->up = true;
        s->connects++;
        /* Everything unacknowledged goes again, oldest first; what was spooled before this
         * moment is a replay and is paced. */
        s->cursor = ss.oldest ? ss.oldest : ss.next_seq;
        s->replay_end = ss.next_seq;
        s->progress_ns = now;
        s->tokens = 0;
        s->tokens_ns = now;
        s->next_heartbeat_ns = now;
        /* The aggregator takes the stream epoch this Hello announces as this sensor's live one
         * (docs/PROTOCOL.md): batches wait until it is out, and follow it on the connection. */
        rc = send_hello(ex, s);
        s->hello_due = rc == -EAGAIN;
        if (rc != 0)
            log_warn(ex->log, "export: %s: Hello not sent (%s)%s", s->what, umbra_strerror(rc),
                     s->hello_due ? "; batches wait for it" : "");
        log_info(ex->log, "export: %s %s; %" PRIu64 " batches (%" PRIu64 " bytes) to replay",
                 s->what, s->ever_up ? "reconnected" : "connected", ss.batches, ss.bytes);
        s->ever_up = true;
        break;
    case ZMQ_EVENT_DISCONNECTED:
        if (s->up) {
            s->disconnects++;
            log_warn(ex->log, "export: %s disconnected; spooling until it is back", s->what);
        }
        s->up = false;
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        s->auth_failures++;
        log_err(ex->log,
                "export: %s refused this sensor's key (ZAP status %u): its allow-list must hold "
                "this sensor's .pub file, named after sensor.id",
                s->what, ev->value);
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        s->protocol_failures++;
        log_err(ex->log, "export: %s: handshake failed: %s", s->what,
                transport_protocol_error_name(ev->value));
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        /* Fix (found by tests/e2e/transport.py refused): on a CURVE/plain mismatch whichever
         * side reads the other's greeting first reports the mismatch and closes; when that is
         * the aggregator, this side only sees the connection close mid-handshake (and libzmq
         * reconnects), so a sensor could run out its drain without one line saying why. Logged
         * on the first one of each stream, then counted. */
        if (s->handshake_failures++ == 0)
            log_err(ex->log,
                    "export: %s: handshake failed: the connection was closed during the "
                    "handshake (%s); check that both ends use CURVE (or both are insecure) and "
                    "that this sensor's key is allowed",
                    s->what, ev->value != 0 ? zmq_strerror((int)ev->value) : "end of stream");
        break;
    default:
        break;
    }
}

static void on_ack(struct export *ex, struct stream *s, const Umbra__Ack *a, uint64_t now)
{
    if (a->sensor_id == NULL || strcmp(a->sensor_id, ex->cfg->sensor_id) != 0 ||
        a->stream_epoch != ex->epoch) {
        s->acks_bad++;
        log_warn(ex->log, "export: %s: ack for another sensor or stream (%s, epoch %" PRIu64 ")",
                 s->what, a->sensor_id ? a->sensor_id : "", a->stream_epoch);
        return;
    }
    switch (a->status) {
    case UMBRA__ACK_STATUS__ACK_STATUS_OK:
    case UMBRA__ACK_STATUS__ACK_STATUS_DUPLICATE:
    case UMBRA__ACK_STATUS__ACK_STATUS_REJECTED:
        if (a->status == UMBRA__ACK_STATUS__ACK_STATUS_OK)
            s->acks_ok++;
        else if (a->status == UMBRA__ACK_STATUS__ACK_STATUS_DUPLICATE)
            s->acks_duplicate++;
        else {
            s->acks_rejected++;
            log_warn(ex->log, "export: %s rejected batch %" PRIu64 ": %s", s->what, a->sequence,
                     a->reason ? a->reason : "");
        }
        /* The aggregator applies a stream in order: an answer for s settles everything up to s. */
        if (spool_remove_below(ex->spool, s->idx, a->sequence + 1) > 0)
            s->progress_ns = now;
        if (a->sequence > s->last_acked)
            s->last_acked = a->sequence;
        if (s->cursor <= a->sequence)
            s->cursor = a->sequence + 1;
        break;
    case UMBRA__ACK_STATUS__ACK_STATUS_RETRY:
        s->acks_retry++;
        /* Each batch sent after a lost one brings a RETRY for the same sequence; act on the
         * first, and again only if the resend itself seems lost. */
        if (a->expected >= s->cursor ||
            (a->expected == s->retry_seq && now - s->retry_ns < ex->cfg->ack_timeout_ns))
            break;
        log_info(ex->log, "export: %s expects batch %" PRIu64 "; sending again from there", s->what,
                 a->expected);
        s->retry_seq = a->expected;
        s->retry_ns = now;
        s->cursor = a->expected;
        s->progress_ns = now;
        break;
    default:
        s->acks_bad++;
        break;
    }
}

static void read_acks(struct export *ex, struct stream *s, uint64_t now)
{
    uint8_t buf[ACK_BUF];
    for (;;) {
        int n = zmq_recv(s->sock, buf, sizeof(buf), ZMQ_DONTWAIT);
        if (n < 0)
            return;
        int more = 0;
        size_t ml = sizeof(more);
        zmq_getsockopt(s->sock, ZMQ_RCVMORE, &more, &ml);
        while (more) { /* an aggregator sends one frame per message; skip any others */
            zmq_recv(s->sock, buf, 0, 0);
            zmq_getsockopt(s->sock, ZMQ_RCVMORE, &more, &ml);
            n = -1;
        }
        ProtobufCMessage *m = NULL;
        if (n < 0 || (size_t)n > sizeof(buf) ||
            wire_unpack(WIRE_ACK, buf, (size_t)n, sizeof(buf), NULL, &m) != 0) {
            s->acks_bad++;
            log_warn(ex->log, "export: %s: a message that is not an ack; ignored", s->what);
            continue;
        }
        on_ack(ex, s, (const Umbra__Ack *)m, now);
        wire_free(m, NULL);
    }
}

/* Room for a spooled batch of @len bytes (outside the packet path: export_poll only). */
static int grow_scratch(struct export *ex, size_t len)
{
    if (len > WIRE_LEN_MAX)
        return -EMSGSIZE;
    uint8_t *p = realloc(ex->scratch, len);
    if (p == NULL) {
        log_err(ex->log, "export: out of memory for a spooled batch of %zu bytes", len);
        return -ENOMEM;
    }
    ex->scratch = p;
    ex->scratch_cap = len;
    return 0;
}

/* Send what the window, the replay rate and the socket allow, in sequence order. */
static void send_some(struct export *ex, struct stream *s, uint64_t now)
{
    const struct export_config *c = ex->cfg;
    double burst = (double)c->replay_rate;
    if (burst < (double)ex->buf_cap)
        burst = (double)ex->buf_cap;
    s->tokens += (double)(now - s->tokens_ns) * (double)c->replay_rate / 1e9;
    if (s->tokens > burst)
        s->tokens = burst;
    s->tokens_ns = now;

    struct spool_stream_stats ss;
    for (;;) {
        spool_stream_stats(ex->spool, s->idx, &ss);
        if (ss.batches == 0)
            return;
        if (s->cursor < ss.oldest)
            s->cursor = ss.oldest;
        if (s->cursor >= ss.next_seq || s->cursor - ss.oldest >= c->window)
            return;
        if (s->cursor > ss.synced)
            return; /* a power cut could still take it back: export_poll() syncs first */
        bool replay = s->cursor < s->replay_end;
        if (replay && s->tokens <= 0)
            return;
        uint64_t seq;
        size_t len;
        int rc = spool_read(ex->spool, s->idx, s->cursor, &seq, ex->scratch, ex->scratch_cap, &len);
        if (rc == -EMSGSIZE && grow_scratch(ex, len) == 0)
            continue; /* spooled by a run with a larger export.batch_bytes: read it again */
        if (rc == 0 && len < WIRE_OVERHEAD + OLDEST_LEN) {
            /* Not one of ours (the spool checks only its own header): skip it, counted. */
            log_err(ex->log,
                    "export: %s: batch %" PRIu64 " in the spool is %zu bytes, too short "
                    "for a batch; dropped",
                    s->what, seq, len);
            s->records_lost++;
            spool_remove(ex->spool, s->idx, seq);
            continue;
        }
        if (rc != 0) {
            log_err(ex->log, "export: %s: batch %" PRIu64 " unreadable from the spool: %s", s->what,
                    s->cursor, umbra_strerror(rc));
            return;
        }
        /* Bring oldest_held up to date: batches may have been dropped since this was sealed. */
        size_t payload = len - WIRE_OVERHEAD;
        wr_le64(ex->scratch + WIRE_HEADER_LEN + payload - 8, ss.oldest);
        wire_seal(WIRE_FLOW_BATCH, ex->scratch, payload, ex->scratch_cap, &len);
        if (zmq_send(s->sock, ex->scratch, len, ZMQ_DONTWAIT) < 0) {
            s->send_blocked++;
            return;
        }
        if (s->cursor == ss.oldest)
            s->progress_ns = now; /* the ack timeout counts from the first batch out */
        if (replay) {
            s->tokens -= (double)len;
            s->batches_resent++;
        }
        s->batches_sent++;
        s->bytes_sent += len;
        s->cursor = seq + 1;
    }
}

/* Monitor events, acks, the batch delay and the ack time-out of @s: all but sending. */
static void service(struct export *ex, struct stream *s, uint64_t now)
{
    struct transport_event ev;
    int mrc;
    while ((mrc = transport_monitor_read(s->mon, &ev)) != -EAGAIN) {
        if (mrc == 0) /* -EPROTO: not an event; @ev holds nothing new */
            on_monitor(ex, s, &ev, now);
    }
    read_acks(ex, s, now);
    if (s->n_records > 0 && now - s->opened_ns >= ex->cfg->batch_delay_ns)
        seal(ex, s);
    if (!s->up)
        return;
    if (s->hello_due && send_hello(ex, s) != -EAGAIN)
        s->hello_due = false; /* sent, or never will be (logged at the connection) */
    struct spool_stream_stats ss;
    spool_stream_stats(ex->spool, s->idx, &ss);
    if (ss.batches > 0 && s->cursor > ss.oldest &&
        now - s->progress_ns >= ex->cfg->ack_timeout_ns) {
        s->ack_timeouts++;
        log_warn(ex->log, "export: %s: no ack for %" PRIu64 " s; sending again from batch %" PRIu64,
                 s->what, (uint64_t)((now - s->progress_ns) / CLOCK_NS_PER_SEC), ss.oldest);
        s->cursor = ss.oldest;
        s->progress_ns = now;
    }
}

/* Whether @s would send its next batch now but for the spool's synced mark. */
static bool waits_for_sync(const struct export *ex, const struct stream *s)
{
    if (!s->up || s->hello_due)
        return false;
    struct spool_stream_stats ss;
    spool_stream_stats(ex->spool, s->idx, &ss);
    uint64_t next = s->cursor > ss.oldest ? s->cursor : ss.oldest;
    return ss.batches > 0 && next < ss.next_seq && next > ss.synced &&
           next - ss.oldest < ex->cfg->window;
}

/*
 * The spool's fsync: every spool.sync_interval, and for sending, rate-limited (SYNC_GAP_NS).
 * export_poll() runs on the packet thread, but between slices of packets (sensor_run_slice) or
 * while a file replayed at recorded speed waits for its next packet, never per packet: a sync
 * delays the next slice by its duration, which the capture's kernel buffer (capture.buffer_size)
 * rides out, and SYNC_SHARE keeps a slow disk from taking more than a tenth of the thread. The
 * periodic sync has always been here; the one for sending is what makes a batch's sequence survive
 * a power cut before the aggregator can see it.
 */
static void sync_spool(struct export *ex, uint64_t now, bool for_send)
{
    if (now < ex->next_sync_ns && (!for_send || now < ex->send_sync_ns))
        return;
    uint64_t t0 = clock_mono_ns();
    int rc = spool_sync(ex->spool); /* logged by the spool */
    uint64_t end = clock_mono_ns();
    uint64_t gap = SYNC_SHARE * (end - t0);
    if (gap < SYNC_GAP_NS)
        gap = SYNC_GAP_NS;
    ex->next_sync_ns = end + ex->cfg->sync_ns;
    /* A failing disk is tried again at the periodic pace, not at every poll. */
    ex->send_sync_ns = end + (rc == 0 ? gap : ex->cfg->sync_ns);
}

void export_poll(struct export *ex)
{
    uint64_t now = clock_mono_ns();
    bool for_send = false;
    for (uint32_t i = 0; i < ex->n; i++) {
        service(ex, &ex->st[i], now);
        for_send = for_send || waits_for_sync(ex, &ex->st[i]);
    }
    sync_spool(ex, now, for_send);
    for (uint32_t i = 0; i < ex->n; i++) {
        struct stream *s = &ex->st[i];
        if (!s->up || s->hello_due)
            continue;
        send_some(ex, s, now);
        if (now >= s->next_heartbeat_ns)
            send_heartbeat(ex, s, now);
    }
}

void export_flush(struct export *ex)
{
    for (uint32_t i = 0; i < ex->n; i++)
        seal(ex, &ex->st[i]);
}

static uint64_t held(const struct export *ex)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < ex->n; i++) {
        struct spool_stream_stats ss;
        spool_stream_stats(ex->spool, i, &ss);
        n += ss.batches;
    }
    return n;
}

uint64_t export_drain(struct export *ex, uint64_t timeout_ns, const volatile sig_atomic_t *stop)
{
    export_flush(ex);
    uint64_t end = clock_mono_ns() + timeout_ns;
    zmq_pollitem_t items[2 * EXPORT_MAX_AGGREGATORS];
    for (uint32_t i = 0; i < ex->n; i++) {
        items[2 * i] = (zmq_pollitem_t){.socket = ex->st[i].sock, .events = ZMQ_POLLIN};
        items[2 * i + 1] = (zmq_pollitem_t){.socket = ex->st[i].mon, .events = ZMQ_POLLIN};
    }
    uint64_t left = held(ex);
    if (left > 0)
        log_info(ex->log,
                 "export: waiting up to %" PRIu64 " s for %" PRIu64 " batches to be acknowledged",
                 (uint64_t)(timeout_ns / CLOCK_NS_PER_SEC), left);
    while (left > 0 && clock_mono_ns() < end && (stop == NULL || !*stop)) {
        export_poll(ex);
        /* Short waits: the replay budget refills with time, not with socket events. */
        zmq_poll(items, (int)(2 * ex->n), 20);
        left = held(ex);
    }
    spool_sync(ex->spool);
    if (left > 0)
        log_warn(ex->log,
                 "export: %" PRIu64 " batches not acknowledged; they stay in the spool "
                 "and go at the next start",
                 left);
    return left;
}

static int open_stream(struct export *ex, uint32_t i)
{
    const struct export_config *c = ex->cfg;
    struct stream *s = &ex->st[i];
    s->idx = i;
    snprintf(s->what, sizeof(s->what), "aggregator %u (%s)", i, c->endpoints[i]);
    s->buf = malloc(ex->buf_cap);
    if (s->buf == NULL) {
        log_err(ex->log, "export: out of memory for %s's batch", s->what);
        return -ENOMEM;
    }
    stream_reset_batch(s);
    struct spool_stream_stats ss;
    spool_stream_stats(ex->spool, i, &ss);
    s->dropped_seen = ss.dropped_records;
    s->cursor = ss.oldest ? ss.oldest : ss.next_seq;

    s->sock = zmq_socket(ex->zctx, ZMQ_DEALER);
    if (s->sock == NULL) {
        log_err(ex->log, "export: zmq_socket: %s", zmq_strerror(errno));
        return -errno;
    }
    struct transport_opts o = {
            .max_message = ACK_BUF,
            .sndhwm = (int)c->window + 16, /* batches in the window, Hello and heartbeats */
            .rcvhwm = 4 * (int)c->window,
            .heartbeat_ns = c->zmq_heartbeat_ns,
            .reconnect_ns = 100 * CLOCK_NS_PER_MS,
    };
    int rc = transport_configure(s->sock, &o, s->what, ex->log);
    /* Sends fail while there is no connection instead of queueing for one: the spool is the
     * queue, and the cursor only moves for batches ZeroMQ really took. */
    int one = 1;
    if (rc == 0 && zmq_setsockopt(s->sock, ZMQ_IMMEDIATE, &one, sizeof(one)) != 0)
        rc = -errno;
    if (rc == 0 && c->own != NULL)
        rc = transport_curve_client(s->sock, c->own, c->server_keys[i], s->what, ex->log);
    if (rc != 0)
        return rc;
    s->mon = transport_monitor_open(ex->zctx, s->sock, "export", ex->log);
    if (s->mon == NULL)
        return -EIO;
    if (zmq_connect(s->sock, c->endpoints[i]) != 0) {
        rc = -errno;
        log_err(ex->log, "export: zmq_connect(%s): %s", c->endpoints[i], zmq_strerror(errno));
        return rc;
    }
    if (ss.batches > 0)
        log_info(ex->log, "export: %s: %" PRIu64 " batches from an earlier run in the spool",
                 s->what, ss.batches);
    return 0;
}

struct export *export_create(const struct export_config *cfg, struct log *log)
{
    if (cfg->n_endpoints == 0 || cfg->n_endpoints > EXPORT_MAX_AGGREGATORS) {
        log_err(log, "export: %u aggregators; between 1 and %d are supported", cfg->n_endpoints,
                EXPORT_MAX_AGGREGATORS);
        return NULL;
    }
    struct export *ex = calloc(1, sizeof(*ex));
    if (ex == NULL) {
        log_err(log, "export: out of memory");
        return NULL;
    }
    ex->cfg = cfg;
    ex->log = log;
    ex->n = cfg->n_endpoints;
    ex->buf_cap = WIRE_HEADER_LEN + cfg->batch_bytes + TAIL_ROOM + WIRE_TRAILER_LEN;
    ex->scratch = malloc(ex->buf_cap);
    ex->scratch_cap = ex->buf_cap;
    struct spool_config scfg = {
            .dir = cfg->spool_dir,
            .max_bytes = cfg->spool_max,
            .n_streams = cfg->n_endpoints,
            .stream_names = cfg->endpoints,
    };
    ex->spool = ex->scratch != NULL ? spool_create(&scfg, log) : NULL;
    ex->zctx = zmq_ctx_new();
    if (ex->spool == NULL || ex->zctx == NULL) {
        if (ex->zctx == NULL)
            log_err(log, "export: zmq_ctx_new: %s", zmq_strerror(errno));
        goto fail;
    }
    ex->epoch = spool_epoch(ex->spool);
    for (uint32_t i = 0; i < ex->n; i++)
        if (open_stream(ex, i) != 0)
            goto fail;
    ex->next_sync_ns = clock_mono_ns() + cfg->sync_ns;
    log_info(log, "export: %u aggregator%s, CURVE %s, spool %s (stream epoch %" PRIu64 ")", ex->n,
             ex->n == 1 ? "" : "s", cfg->own != NULL ? "on" : "OFF (insecure)", cfg->spool_dir,
             ex->epoch);
    return ex;
fail:
    export_destroy(&ex);
    return NULL;
}

void export_destroy(struct export **exp)
{
    if (exp == NULL || *exp == NULL)
        return;
    struct export *ex = *exp;
    for (uint32_t i = 0; i < ex->n; i++) {
        struct stream *s = &ex->st[i];
        if (s->mon != NULL)
            zmq_close(s->mon);
        if (s->sock != NULL) {
            zmq_socket_monitor(s->sock, NULL, 0);
            zmq_close(s->sock);
        }
        free(s->buf);
    }
    if (ex->zctx != NULL)
        zmq_ctx_term(ex->zctx);
    spool_destroy(&ex->spool);
    free(ex->scratch);
    free(ex);
    *exp = NULL;
}

void export_counters(const struct export *ex, void (*fn)(void *ctx, const char *name, uint64_t v),
                     void *ctx)
{
    char name[64];
#define C(field)                                                                                   \
    do {                                                                                           \
        snprintf(name, sizeof(name), "export_%u_" #field, i);                                      \
        fn(ctx, name, s->field);                                                                   \
    } while (0)
#define S(field, value)                                                                            \
    do {                                                                                           \
        snprintf(name, sizeof(name), "export_%u_" field, i);                                       \
        fn(ctx, name, value);                                                                      \
    } while (0)
    for (uint32_t i = 0; i < ex->n; i++) {
        const struct stream *s = &ex->st[i];
        struct spool_stream_stats ss;
        spool_stream_stats(ex->spool, i, &ss);
        C(records);
        C(checksum);
        C(records_refused);
        C(records_lost);
        C(batches_sealed);
        C(batches_sent);
        C(batches_resent);
        C(bytes_sent);
        C(send_blocked);
        C(acks_ok);
        C(acks_duplicate);
        C(acks_rejected);
        C(acks_retry);
        C(acks_bad);
        C(ack_timeouts);
        C(heartbeats);
        C(connects);
        C(disconnects);
        C(auth_failures);
        C(protocol_failures);
        C(handshake_failures);
        C(last_acked);
        S("spool_batches", ss.batches);
        S("spool_bytes", ss.bytes);
        S("spool_dropped_batches", ss.dropped_batches);
        S("spool_dropped_records", ss.dropped_records);
    }
#undef C
#undef S
}
