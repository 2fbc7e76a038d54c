/*
 * Ingest: the ROUTER socket the sensors send to, its ZAP handler and socket monitor, all served
 * in one libuv loop (see ingest.h for the behaviour). This module owns the sockets, the decoding
 * arena, the acks waiting for their group's commit and the in-memory table of sensors (Hello
 * fields, last heartbeat, silence). It does not own the flow store (it only drives its
 * transactions) or the ZeroMQ context, and it keeps nothing on disk itself.
 */
#include "aggregator/ingest.h"

#include <assert.h>
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>
#include <zmq.h>

#include "aggregator/batch_check.h"
#include "aggregator/detect.h"
#include "aggregator/flow_store.h"
#include "aggregator/flow_summary.h"
#include "common/clock.h"
#include "common/curve_keys.h"
#include "common/err.h"
#include "common/log.h"
#include "common/pb_walk.h"
#include "common/transport.h"
#include "common/wire.h"

/* libzmq connects every CURVE server of a context to the ZAP handler at this name (RFC 27). */
#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
/* The ZAP metadata property that carries the client's key to each of its messages, so the
 * current allow-list can be asked again per message (the User-Id alone says only the name). */
#define ZAP_KEY_PROPERTY "X-Umbra-Key"
/* A CURVE ZAP request has 7 frames; one more tells a longer request from a good one. */
#define ZAP_FRAMES 8

/* Decoding arena for Hellos and Heartbeats (batches are walked, never decoded): a block of
 * 256 KiB holds any of them; what exceeds 16 MiB after a message is given back, so one huge
 * message does not pin its memory for the life of the process. */
#define ARENA_BLOCK (256u << 10)
#define ARENA_KEEP  (16u << 20)

/* Ack reasons are short sentences; a sensor id is at most FLOW_STORE_ID_MAX bytes; the packed
 * ack (both strings, five integers, the envelope) fits in 512 bytes with room to spare. */
#define ACK_REASON_MAX 160
#define ACK_BUF_LEN    512

/* Twice the sensor table's size keeps the index's linear probes short (load factor 1/2). */
#define SENSOR_INDEX_SLOTS (2 * INGEST_SENSORS_MAX)

/* How a message that cannot be decoded failed: the counters' malformed_<name>. */
enum malformed_cause {
    MAL_FRAMES,    /* not exactly [routing id][envelope] */
    MAL_WIRE,      /* UMBRA_EWIRE: envelope or protobuf invalid */
    MAL_CHECKSUM,  /* UMBRA_ECHECKSUM */
    MAL_SCHEMA,    /* UMBRA_ESCHEMA */
    MAL_TOO_BIG,   /* -EMSGSIZE: over max_message or the decoding budget */
    MAL_SENSOR_ID, /* a Hello or Heartbeat without a usable sensor id */
    MAL_COUNT,
};

static const char *const malformed_names[MAL_COUNT] = {
        "malformed_frames", "malformed_wire",    "malformed_checksum",
        "malformed_schema", "malformed_too_big", "malformed_sensor_id",
};

/* Why a decoded message was not accepted from its connection (CURVE only). */
enum unauth_cause {
    UNAUTH_NO_IDENTITY, /* no User-Id or key property: not admitted by this ZAP handler */
    UNAUTH_MISMATCH,    /* the message's sensor_id is not the key's name */
    UNAUTH_REVOKED,     /* the key is no longer bound to that name in the allow-list */
    UNAUTH_COUNT,
};

static const char *const unauth_reasons[UNAUTH_COUNT] = {
        "the connection carries no identity from the ZAP handler",
        "sensor_id differs from the name of the connection's key",
        "the connection's key is no longer in the allow-list",
};

enum handle_bit { H_ROUTER, H_ZAP, H_MON, H_IDLE, H_TIMER, H_FILL, H_COUNT };

struct ingest_stats {
    uint64_t messages;
    uint64_t batches_applied, records_applied;
    uint64_t batches_duplicate, batches_retry, batches_stale;
    uint64_t batches_rejected, records_rejected;
    uint64_t batches_lost;    /* sequences skipped because the sensor had dropped them */
    uint64_t batches_unacked; /* not acked because the store failed in their group */
    uint64_t malformed[MAL_COUNT];
    uint64_t invalid[BATCH_CAUSE_COUNT];
    uint64_t unauthorised, unknown_type;
    uint64_t hellos, heartbeats;
    uint64_t acks_sent, acks_failed;
    uint64_t commits, commit_failures, store_failures;
    uint64_t zap_allowed, zap_denied;
    uint64_t accepted, disconnects, handshakes;
    uint64_t hs_failed_auth, hs_failed_protocol, hs_failed_other;
    uint64_t sensors_over_limit;
};

/* What the current group applied; added to the counters only when its commit succeeds (a failed
 * group is sent again by the sensors and would otherwise count twice). */
struct group_counts {
    uint64_t batches_applied, records_applied, batches_rejected, records_rejected, batches_lost;
};

/* An ack decided in the current group, sent once the group's transaction has committed. */
struct pending_ack {
    uint8_t rid[256]; /* ZeroMQ routing ids are 1..255 bytes */
    size_t rid_len;
    char sensor_id[FLOW_STORE_ID_MAX + 1];
    uint64_t seq, epoch, expected;
    Umbra__AckStatus status;
    char reason[ACK_REASON_MAX];
};

/* What is known of one sensor, from its Hellos, Heartbeats and the times of its messages. */
struct sensor_entry {
    char id[FLOW_STORE_ID_MAX + 1];
    char version[32];
    char host[64];
    char site[64];
    char caps[128];
    uint64_t stream_epoch;  /* from the last Hello */
    uint64_t last_msg_mono; /* ns, monotonic: its last message of any kind */
    bool hello_seen, hb_seen, silent;
    /* The last Heartbeat's counters worth showing an operator. */
    uint64_t hb_uptime_ns, hb_packets, hb_kernel_drops, hb_flows_active;
    uint64_t hb_spool_batches, hb_spool_dropped, hb_last_acked, hb_records_exported;
};

struct arena_block {
    struct arena_block *next;
    size_t cap, used;
    max_align_t data[]; /* cap bytes, aligned for any protobuf-c struct */
};

/* A ProtobufCAllocator that bumps a pointer; reset after each message (free is a no-op). */
struct arena {
    ProtobufCAllocator pb;
    struct arena_block *head, *cur;
};

struct ingest {
    uv_loop_t *loop;
    void *ctx;
    struct log *log;
    struct pb_walk_plan *plan; /* FlowBatch's schema compiled for batch_check_wire() */
    struct flow_store *store;
    struct detect *detect;    /* borrowed; NULL: no detection */
    struct flow_summary *sum; /* max_records summaries of the batch being handled (detect) */

    char *id;
    char *allow_dir;
    char **bound; /* ZMQ_LAST_ENDPOINT per listen entry */
    uint32_t n_bound;
    uint64_t max_message;
    uint32_t group_max;
    uint32_t group_fill;
    uint64_t group_wait_ns;
    uint64_t silence_ns;
    struct batch_check_limits limits;

    bool curve;
    struct curve_allow *allow;

    void *router, *zap, *mon;
    uv_poll_t router_poll, zap_poll, mon_poll;
    uv_idle_t idle;
    uv_timer_t timer;
    uv_timer_t fill;  /* a group waiting to fill: the socket is read on this timer, not polled */
    unsigned handles; /* bit per libuv handle initialised (enum handle_bit), closed at destroy */
    unsigned closing; /* close callbacks still to come */

    struct arena arena;
    bool txn_open;     /* a flow_store transaction is open in this group */
    uint32_t group_n;  /* messages in the open group */
    uint64_t group_t0; /* monotonic ns of its first message */
    bool group_failed; /* the store failed in this group: nothing of it is acked */
    struct group_counts grp;
    struct pending_ack *acks;
    uint32_t n_acks;
    uint8_t ack_buf[ACK_BUF_LEN];

    struct sensor_entry *sensors;
    uint32_t n_sensors;
    int32_t *index; /* SENSOR_INDEX_SLOTS entries: a sensors[] position, or -1 */

    struct ingest_stats st;
    char invalid_names[BATCH_CAUSE_COUNT][48];
    /* First occurrence of each kind of bad input is logged in full; later ones only counted. */
    bool logged_malformed[MAL_COUNT];
    bool logged_invalid[BATCH_CAUSE_COUNT];
    bool logged_unauth[UNAUTH_COUNT];
    bool logged_unknown_type, logged_hs_auth, logged_hs_other, logged_poll;
    uint32_t logged_protocol[16]; /* protocol error values already logged */
    uint32_t n_logged_protocol;
};

/* ---- arena ----------------------------------------------------------------------------------- */

static void *arena_alloc(void *data, size_t size)
{
    struct arena *a = data;
    const size_t align = alignof(max_align_t);
    if (size > SIZE_MAX - align)
        return NULL;
    size = (size + align - 1) & ~(align - 1);
    for (struct arena_block *b = a->cur; b != NULL; b = b->next) {
        if (b->cap - b->used >= size) {
            void *p = (unsigned char *)b->data + b->used;
            b->used += size;
            a->cur = b;
            return p;
        }
    }
    size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
    struct arena_block *nb = malloc(sizeof(*nb) + cap);
    if (nb == NULL)
        return NULL;
    nb->next = NULL;
    nb->cap = cap;
    nb->used = size;
    struct arena_block **tail = &a->head;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = nb;
    a->cur = nb;
    return nb->data;
}

static void arena_free(void *data, void *p)
{
    /* Everything goes at once in arena_reset(). */
    (void)data;
    (void)p;
}

static void arena_reset(struct arena *a)
{
    size_t kept = 0;
    struct arena_block **link = &a->head;
    while (*link != NULL) {
        struct arena_block *b = *link;
        if (kept + b->cap > ARENA_KEEP && kept > 0) {
            *link = b->next;
            free(b);
            continue;
        }
        kept += b->cap;
        b->used = 0;
        link = &b->next;
    }
    a->cur = a->head;
}

static void arena_fini(struct arena *a)
{
    while (a->head != NULL) {
        struct arena_block *b = a->head;
        a->head = b->next;
        free(b);
    }
    a->cur = NULL;
}

/* ---- small helpers --------------------------------------------------------------------------- */

/* A copy of untrusted text fit for a log line: bytes outside printable ASCII become '?'. */
static void copy_printable(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src != NULL && src[i] != '\0' && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    dst[i] = '\0';
}

/* The batch_check rule for a sensor id, for the messages batch_check does not see. */
static bool id_ok(const char *id)
{
    size_t n = 0;
    for (; id != NULL && id[n] != '\0'; n++) {
        if (n == FLOW_STORE_ID_MAX || id[n] < 0x21 || id[n] > 0x7e)
            return false;
    }
    return n > 0;
}

static bool frame_is(zmq_msg_t *m, const char *s)
{
    size_t n = strlen(s);
    return zmq_msg_size(m) == n && memcmp(zmq_msg_data(m), s, n) == 0;
}

/* The peer's name for log lines: its User-Id under CURVE, else its address. */
static const char *peer_of(zmq_msg_t *env)
{
    const char *uid = zmq_msg_gets(env, "User-Id");
    if (uid != NULL && uid[0] != '\0')
        return uid;
    const char *addr = zmq_msg_gets(env, "Peer-Address");
    return addr != NULL ? addr : "?";
}

/*
 * Receive every frame of one message from @sock: the first @n_parts into @part (initialised by
 * the caller), the rest read and dropped. 0 with *@frames set, or -errno when no message waits.
 */
static int recv_frames(void *sock, zmq_msg_t *part, size_t n_parts, size_t *frames)
{
    size_t n = 0;
    bool more = true;
    while (more) {
        zmq_msg_t spare;
        zmq_msg_t *m = n < n_parts ? &part[n] : &spare;
        if (m == &spare)
            zmq_msg_init(&spare);
        /* Only the first frame can be missing: ZeroMQ delivers a message's frames together. */
        if (zmq_msg_recv(m, sock, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            int rc = -errno;
            if (m == &spare)
                zmq_msg_close(&spare);
            if (n == 0)
                return rc;
            break;
        }
        more = zmq_msg_more(m) != 0;
        if (m == &spare)
            zmq_msg_close(&spare);
        n++;
    }
    *frames = n;
    return 0;
}

/* ---- sensors table --------------------------------------------------------------------------- */

static size_t index_slot(const char *id)
{
    return (size_t)(XXH3_64bits(id, strlen(id)) % SENSOR_INDEX_SLOTS);
}

static struct sensor_entry *sensor_find(struct ingest *in, const char *id, size_t *slot)
{
    size_t i = index_slot(id);
    for (;;) {
        int32_t pos = in->index[i];
        if (pos < 0) {
            *slot = i;
            return NULL;
        }
        if (strcmp(in->sensors[pos].id, id) == 0)
            return &in->sensors[pos];
        i = (i + 1) % SENSOR_INDEX_SLOTS;
    }
}

/* The entry of @id (valid), created if new and there is room, its last message time set to
 * now. NULL when the table is full (counted). */
static struct sensor_entry *sensor_touch(struct ingest *in, const char *id)
{
    size_t slot;
    uint64_t now = clock_mono_ns();
    struct sensor_entry *s = sensor_find(in, id, &slot);
    if (s == NULL) {
        if (in->n_sensors == INGEST_SENSORS_MAX) {
            in->st.sensors_over_limit++;
            log_warn(in->log, "ingest: sensor table full (%d sensors): %s not tracked",
                     INGEST_SENSORS_MAX, id);
            return NULL;
        }
        s = &in->sensors[in->n_sensors];
        memset(s, 0, sizeof(*s));
        snprintf(s->id, sizeof(s->id), "%s", id);
        in->index[slot] = (int32_t)in->n_sensors++;
    } else if (s->silent) {
        log_info(in->log, "ingest: sensor %s back after %.1fs", s->id,
                 (double)(now - s->last_msg_mono) / 1e9);
        s->silent = false;
    }
    s->last_msg_mono = now;
    return s;
}

/* The stream epoch @id's last Hello announced, or 0 (no Hello seen, or the table is full). The
 * Hello passed authorised() like a batch: with CURVE only the sensor's own key can announce. */
static uint64_t announced_epoch(struct ingest *in, const char *id)
{
    size_t slot;
    const struct sensor_entry *s = sensor_find(in, id, &slot);
    return s != NULL && s->hello_seen ? s->stream_epoch : 0;
}

static void on_timer(uv_timer_t *t)
{
    struct ingest *in = t->data;
    uint64_t now = clock_mono_ns();
    for (uint32_t i = 0; i < in->n_sensors; i++) {
        struct sensor_entry *s = &in->sensors[i];
        if (s->silent || now - s->last_msg_mono < in->silence_ns)
            continue;
        s->silent = true;
        log_warn(in->log,
                 "ingest: sensor %s silent for %.1fs (last heartbeat: packets=%llu "
                 "spool_batches=%llu spool_dropped=%llu last_acked=%llu)",
                 s->id, (double)(now - s->last_msg_mono) / 1e9, (unsigned long long)s->hb_packets,
                 (unsigned long long)s->hb_spool_batches, (unsigned long long)s->hb_spool_dropped,
                 (unsigned long long)s->hb_last_acked);
    }
}

/* ---- counting bad input ---------------------------------------------------------------------- */

static void malformed(struct ingest *in, enum malformed_cause c, zmq_msg_t *env, const char *why)
{
    in->st.malformed[c]++;
    if (in->logged_malformed[c])
        return;
    in->logged_malformed[c] = true;
    log_warn(in->log, "ingest: %s from %s: %s (first one; later ones are only counted)",
             malformed_names[c], peer_of(env), why);
}

static enum malformed_cause cause_of(int rc)
{
    switch (rc) {
    case UMBRA_ECHECKSUM:
        return MAL_CHECKSUM;
    case UMBRA_ESCHEMA:
        return MAL_SCHEMA;
    case -EMSGSIZE:
        return MAL_TOO_BIG;
    default:
        return MAL_WIRE; /* UMBRA_EWIRE, and -ENOMEM whose reason the log line gives */
    }
}

/*
 * Whether a message from the connection of @env may speak for @sensor_id. Under CURVE the ZAP
 * handler put the key's allow-list name in User-Id and the key itself in a property: the name
 * must be @sensor_id, and the current allow-list must still bind the key to it.
 */
static bool authorised(struct ingest *in, zmq_msg_t *env, const char *sensor_id)
{
    if (!in->curve)
        return true;
    enum unauth_cause c;
    const char *uid = zmq_msg_gets(env, "User-Id");
    const char *key = zmq_msg_gets(env, ZAP_KEY_PROPERTY);
    uint8_t bin[CURVE_KEY_BYTES];
    if (uid == NULL || key == NULL || strlen(key) != CURVE_KEY_Z85_LEN ||
        zmq_z85_decode(bin, key) == NULL) {
        c = UNAUTH_NO_IDENTITY;
    } else if (strcmp(uid, sensor_id) != 0) {
        c = UNAUTH_MISMATCH;
    } else {
        const char *name = curve_allow_lookup(in->allow, bin);
        if (name != NULL && strcmp(name, uid) == 0)
            return true;
        c = UNAUTH_REVOKED;
    }
    in->st.unauthorised++;
    if (!in->logged_unauth[c]) {
        char id[FLOW_STORE_ID_MAX + 1];
        copy_printable(id, sizeof(id), sensor_id);
        in->logged_unauth[c] = true;
        log_warn(in->log,
                 "ingest: unauthorised message from %s as sensor_id=%s: %s (first one; later "
                 "ones are only counted)",
                 peer_of(env), id, unauth_reasons[c]);
    }
    return false;
}

/* ---- batches --------------------------------------------------------------------------------- */

static void queue_ack(struct ingest *in, zmq_msg_t *rid, const struct batch_check_header *b,
                      Umbra__AckStatus status, uint64_t expected, const char *reason)
{
    /* One message gives at most one ack, and a group is at most group_max messages. */
    assert(in->n_acks < in->group_max);
    struct pending_ack *a = &in->acks[in->n_acks++];
    a->rid_len = zmq_msg_size(rid);
    if (a->rid_len > sizeof(a->rid))
        a->rid_len = sizeof(a->rid);
    memcpy(a->rid, zmq_msg_data(rid), a->rid_len);
    snprintf(a->sensor_id, sizeof(a->sensor_id), "%s", b->sensor_id);
    a->seq = b->sequence;
    a->epoch = b->stream_epoch;
    a->expected = expected;
    a->status = status;
    snprintf(a->reason, sizeof(a->reason), "%s", reason);
}

/* The store failed inside the group: whatever it decided is void, so nothing is acked. The abort
 * also clears the store's failed state, which would otherwise refuse every later group. */
static void store_failed(struct ingest *in)
{
    in->st.store_failures++;
    in->st.batches_unacked += in->n_acks + 1;
    flow_store_abort(in->store);
    log_err(in->log,
            "ingest: flow store failed: %u batches of this group are not acknowledged "
            "(the sensors resend them)",
            in->n_acks + 1);
    in->txn_open = false;
    in->group_failed = true;
    in->n_acks = 0;
    in->grp = (struct group_counts){0};
}

static int apply(struct ingest *in, const struct batch_check_header *b, uint64_t gap,
                 const uint8_t *env_in, size_t len, bool rejected)
{
    const void *env = rejected ? NULL : env_in;
    size_t elen = rejected ? 0 : len;
    uint32_t records = rejected ? 0 : (uint32_t)b->n_records;
    int rc = flow_store_apply(in->store, b->sensor_id, b->stream_epoch, b->sequence, gap, env, elen,
                              records, rejected);
    if (rc == -EINVAL) {
        /* decide() said APPLY with this gap, so the store and this module disagree: a bug. */
        in->st.store_failures++;
        log_err(in->log,
                "ingest: flow_store_apply(%s, seq %llu) refused a batch decide() "
                "accepted; not acknowledged",
                b->sensor_id, (unsigned long long)b->sequence);
        return rc;
    }
    if (rc != 0) {
        store_failed(in); /* -ENOSPC, -EIO */
        return rc;
    }
    in->grp.batches_lost += gap;
    if (gap > 0)
        log_warn(in->log,
                 "ingest: sensor %s dropped %llu batches at its spool cap (sequences "
                 "%llu..%llu never arrive)",
                 b->sensor_id, (unsigned long long)gap, (unsigned long long)(b->sequence - gap),
                 (unsigned long long)(b->sequence - 1));
    return 0;
}

/* Decide, apply and queue the ack of a batch whose sender is authorised; @cause from batch_check
 * (BATCH_OK or a cause with a usable sensor id). */
static void decide_batch(struct ingest *in, zmq_msg_t *rid, const struct batch_check_header *b,
                         enum batch_check_cause cause, const char *why, const uint8_t *env,
                         size_t len, const struct sensor_entry *sensor)
{
    if (in->group_failed) {
        in->st.batches_unacked++;
        return;
    }
    if (!in->txn_open) {
        if (flow_store_begin(in->store) != 0) {
            in->st.store_failures++;
            in->st.batches_unacked++;
            in->group_failed = true; /* logged by the store; the next group tries again */
            return;
        }
        in->txn_open = true;
    }
    uint64_t expected = 0, gap = 0;
    char reason[ACK_REASON_MAX];
    switch (flow_store_decide(in->store, b->sensor_id, b->stream_epoch,
                              announced_epoch(in, b->sensor_id), b->sequence, b->oldest_held,
                              &expected, &gap)) {
    case FLOW_STORE_APPLY:
        if (apply(in, b, gap, env, len, cause != BATCH_OK) != 0)
            return;
        if (cause != BATCH_OK) {
            in->grp.batches_rejected++;
            in->grp.records_rejected += b->n_records;
            snprintf(reason, sizeof(reason), "invalid batch (%s): %s",
                     batch_check_cause_name(cause), why);
            queue_ack(in, rid, b, UMBRA__ACK_STATUS__ACK_STATUS_REJECTED, 0, reason);
        } else {
            in->grp.batches_applied++;
            in->grp.records_applied += b->n_records;
            queue_ack(in, rid, b, UMBRA__ACK_STATUS__ACK_STATUS_OK, 0, "");
            /* Applied once: a duplicate or a resent batch never reaches the graph twice (a
             * group whose commit then fails is resent: docs/DETECTION.md says what that
             * costs). */
            if (in->detect != NULL && sensor != NULL)
                detect_batch(in->detect, (uint32_t)(sensor - in->sensors), b->sensor_id, in->sum,
                             b->n_records, clock_mono_ns());
        }
        break;
    case FLOW_STORE_DUPLICATE:
        in->st.batches_duplicate++;
        queue_ack(in, rid, b, UMBRA__ACK_STATUS__ACK_STATUS_DUPLICATE, 0, "");
        break;
    case FLOW_STORE_WAIT:
        in->st.batches_retry++;
        snprintf(reason, sizeof(reason), "an earlier batch is missing: resend from %llu",
                 (unsigned long long)expected);
        queue_ack(in, rid, b, UMBRA__ACK_STATUS__ACK_STATUS_RETRY, expected, reason);
        break;
    case FLOW_STORE_STALE:
        in->st.batches_stale++;
        queue_ack(in, rid, b, UMBRA__ACK_STATUS__ACK_STATUS_REJECTED, 0, "stale stream epoch");
        break;
    case FLOW_STORE_ERROR:
    default:
        store_failed(in);
        break;
    }
}

static void on_batch(struct ingest *in, zmq_msg_t *rid, zmq_msg_t *env, const uint8_t *buf,
                     size_t len)
{
    /* Walked, not decoded: what is kept is the payload as it came (pb_walk.h says why). */
    const uint8_t *payload;
    size_t plen;
    struct batch_check_header b;
    enum batch_check_cause cause;
    char why[ACK_REASON_MAX - 64]; /* leaves room for the cause in the ack's reason */
    int rc = wire_open(WIRE_FLOW_BATCH, buf, len, in->max_message, &payload, &plen);
    if (rc == 0)
        rc = batch_check_wire(in->plan, payload, plen, &in->limits, &b, in->sum, &cause, why,
                              sizeof(why));
    if (rc != 0) {
        malformed(in, cause_of(rc), env, umbra_strerror(rc));
        return;
    }
    /* Without a usable sensor id there is no stream to decide in, and nobody to ack. */
    bool id_ok = cause != BATCH_NO_SENSOR_ID && cause != BATCH_BAD_SENSOR_ID;
    if (id_ok && !authorised(in, env, b.sensor_id))
        return;
    if (cause != BATCH_OK) {
        in->st.invalid[cause]++;
        if (!in->logged_invalid[cause]) {
            in->logged_invalid[cause] = true;
            log_warn(in->log, "ingest: %s from %s: %s (first one; later ones are only counted)",
                     in->invalid_names[cause], peer_of(env), why);
        }
        if (!id_ok)
            return;
    }
    /* NULL when the table is full (counted there): the batch is stored, not seen by detect. */
    const struct sensor_entry *sensor = sensor_touch(in, b.sensor_id);
    /* The store keeps the whole envelope: its checksum, verified above, covers the payload. */
    decide_batch(in, rid, &b, cause, why, buf, len, sensor);
}

/* ---- hello, heartbeat ------------------------------------------------------------------------ */

/* Decode a Hello or Heartbeat and check its sender: the decoded message, or NULL (counted).
 * *@entry is the sender's table entry, NULL when the table is full. */
static ProtobufCMessage *control_message(struct ingest *in, zmq_msg_t *env, enum wire_type t,
                                         const uint8_t *buf, size_t len,
                                         struct sensor_entry **entry)
{
    ProtobufCMessage *m;
    int rc = wire_unpack(t, buf, len, in->max_message, &in->arena.pb, &m);
    if (rc != 0) {
        malformed(in, cause_of(rc), env, umbra_strerror(rc));
        return NULL;
    }
    const char *id =
            t == WIRE_HELLO ? ((Umbra__Hello *)m)->sensor_id : ((Umbra__Heartbeat *)m)->sensor_id;
    if (!id_ok(id)) {
        malformed(in, MAL_SENSOR_ID, env, "sensor_id empty, too long or not printable");
        return NULL;
    }
    if (!authorised(in, env, id))
        return NULL;
    *entry = sensor_touch(in, id);
    return m;
}

static void on_hello(struct ingest *in, zmq_msg_t *env, const uint8_t *buf, size_t len)
{
    struct sensor_entry *s = NULL;
    const Umbra__Hello *h =
            (const Umbra__Hello *)control_message(in, env, WIRE_HELLO, buf, len, &s);
    if (h == NULL)
        return;
    in->st.hellos++;
    if (s == NULL)
        return;
    copy_printable(s->version, sizeof(s->version), h->software_version);
    copy_printable(s->host, sizeof(s->host), h->hostname);
    copy_printable(s->site, sizeof(s->site), h->site);
    size_t off = 0;
    s->caps[0] = '\0';
    for (size_t i = 0; i < h->n_capabilities && off + 1 < sizeof(s->caps); i++) {
        int n = snprintf(s->caps + off, sizeof(s->caps) - off, "%s%s", i ? "," : "",
                         h->capabilities[i]);
        if (n < 0)
            break;
        off += (size_t)n;
    }
    copy_printable(s->caps, sizeof(s->caps), s->caps);
    s->stream_epoch = h->stream_epoch;
    s->hello_seen = true;
    log_info(in->log,
             "ingest: sensor %s connected: version=%s host=%s site=%s capabilities=%s "
             "stream_epoch=%llu model_version=%llu",
             s->id, s->version, s->host, s->site, s->caps[0] ? s->caps : "-",
             (unsigned long long)h->stream_epoch, (unsigned long long)h->model_version);
}

static void on_heartbeat(struct ingest *in, zmq_msg_t *env, const uint8_t *buf, size_t len)
{
    struct sensor_entry *s = NULL;
    const Umbra__Heartbeat *h =
            (const Umbra__Heartbeat *)control_message(in, env, WIRE_HEARTBEAT, buf, len, &s);
    if (h == NULL)
        return;
    in->st.heartbeats++;
    if (s == NULL)
        return;
    s->hb_seen = true;
    s->hb_uptime_ns = h->uptime_ns;
    s->hb_packets = h->packets_read;
    s->hb_kernel_drops = h->packets_dropped_kernel;
    s->hb_flows_active = h->flows_active;
    s->hb_spool_batches = h->spool_batches;
    s->hb_spool_dropped = h->spool_dropped;
    s->hb_last_acked = h->last_acked_sequence;
    s->hb_records_exported = h->records_exported;
}

/* ---- the router: groups ---------------------------------------------------------------------- */

static void handle_message(struct ingest *in, zmq_msg_t *part, size_t frames)
{
    in->st.messages++;
    zmq_msg_t *rid = &part[0], *env = &part[1];
    if (frames != 2) {
        char why[64];
        snprintf(why, sizeof(why), "%zu frames after the routing id, expected 1", frames - 1);
        malformed(in, MAL_FRAMES, frames > 1 ? env : rid, why);
        return;
    }
    const uint8_t *buf = zmq_msg_data(env);
    size_t len = zmq_msg_size(env);
    enum wire_type t;
    int rc = wire_peek_type(buf, len, &t);
    if (rc != 0) {
        malformed(in, cause_of(rc), env, umbra_strerror(rc));
        return;
    }
    switch (t) {
    case WIRE_FLOW_BATCH:
        on_batch(in, rid, env, buf, len);
        break;
    case WIRE_HELLO:
        on_hello(in, env, buf, len);
        break;
    case WIRE_HEARTBEAT:
        on_heartbeat(in, env, buf, len);
        break;
    default:
        in->st.unknown_type++;
        if (!in->logged_unknown_type) {
            in->logged_unknown_type = true;
            log_warn(in->log,
                     "ingest: unexpected %s message from %s (first one; later ones are "
                     "only counted)",
                     wire_type_name(t), peer_of(env));
        }
        break;
    }
}

static void send_ack(struct ingest *in, const struct pending_ack *a)
{
    Umbra__Ack ack = UMBRA__ACK__INIT;
    ack.sensor_id = (char *)a->sensor_id;
    ack.sequence = a->seq;
    ack.status = a->status;
    ack.reason = (char *)a->reason;
    ack.stream_epoch = a->epoch;
    ack.expected = a->expected;
    size_t len;
    int rc = wire_pack(WIRE_ACK, &ack.base, in->ack_buf, sizeof(in->ack_buf), &len);
    if (rc != 0) {
        in->st.acks_failed++;
        log_err(in->log, "ingest: ack for %s seq %llu: wire_pack: %s", a->sensor_id,
                (unsigned long long)a->seq, umbra_strerror(rc));
        return;
    }
    /* With ZMQ_ROUTER_MANDATORY a peer that has gone fails the first frame (EHOSTUNREACH);
     * DONTWAIT turns a full queue into EAGAIN. Either way the sensor asks again. */
    if (zmq_send(in->router, a->rid, a->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(in->router, in->ack_buf, len, ZMQ_DONTWAIT) < 0) {
        in->st.acks_failed++;
        log_debug(in->log, "ingest: ack for %s seq %llu not sent: %s", a->sensor_id,
                  (unsigned long long)a->seq, zmq_strerror(errno));
        return;
    }
    in->st.acks_sent++;
}

/* Commit the group's transaction, then (only then) send its acks; the group is over. */
static void finish_group(struct ingest *in)
{
    if (in->txn_open) {
        in->txn_open = false;
        int rc = flow_store_commit(in->store);
        if (rc != 0) {
            in->st.commit_failures++;
            in->st.batches_unacked += in->n_acks;
            log_err(in->log,
                    "ingest: commit of %u batches failed: %s; none is acknowledged "
                    "(the sensors resend them)",
                    in->n_acks, umbra_strerror(rc));
            in->n_acks = 0;
        } else {
            in->st.commits++;
            in->st.batches_applied += in->grp.batches_applied;
            in->st.records_applied += in->grp.records_applied;
            in->st.batches_rejected += in->grp.batches_rejected;
            in->st.records_rejected += in->grp.records_rejected;
            in->st.batches_lost += in->grp.batches_lost;
        }
        in->grp = (struct group_counts){0};
    }
    for (uint32_t i = 0; i < in->n_acks; i++)
        send_ack(in, &in->acks[i]);
    in->n_acks = 0;
    in->group_failed = false;
    in->group_n = 0;
}

/*
 * Read and handle messages into the open group until it holds group_max or the socket runs dry;
 * then end the group (commit, acks), unless it may still wait to fill (ingest.h, group commit).
 * True when more input waits now.
 */
static bool run_group(struct ingest *in)
{
    while (in->group_n < in->group_max && transport_readable(in->router)) {
        zmq_msg_t part[2];
        size_t frames;
        zmq_msg_init(&part[0]);
        zmq_msg_init(&part[1]);
        int rc = recv_frames(in->router, part, 2, &frames);
        if (rc == 0) {
            if (in->group_n++ == 0)
                in->group_t0 = clock_mono_ns();
            handle_message(in, part, frames);
        }
        zmq_msg_close(&part[0]);
        zmq_msg_close(&part[1]);
        arena_reset(&in->arena);
        if (rc != 0)
            break;
    }
    if (in->group_n == 0)
        return false;
    if (in->group_n < in->group_fill && in->group_n < in->group_max &&
        clock_mono_ns() - in->group_t0 < in->group_wait_ns)
        return false; /* the caller lets it fill */
    finish_group(in);
    /* Sending may have consumed the socket's edge: ask again rather than wait for one. */
    return transport_readable(in->router);
}

static void on_idle(uv_idle_t *h);
static void on_fill(uv_timer_t *t);
static void on_router(uv_poll_t *h, int status, int events);

static void log_poll_error(struct ingest *in, const char *what, int status)
{
    if (in->logged_poll)
        return;
    in->logged_poll = true;
    log_err(in->log, "ingest: polling the %s socket: %s", what, uv_strerror(status));
}

/* Until the next read of a filling group: a quarter of the wait, or what is left of it (rounded
 * up: libuv counts milliseconds), so that the group commits when its wait is over, not later. */
static uint64_t fill_tick_ms(const struct ingest *in)
{
    uint64_t tick = in->group_wait_ns / 4;
    uint64_t age = clock_mono_ns() - in->group_t0;
    uint64_t left = age < in->group_wait_ns ? in->group_wait_ns - age : 0;
    uint64_t ns = left < tick ? left : tick;
    uint64_t ms = (ns + CLOCK_NS_PER_MS - 1) / CLOCK_NS_PER_MS;
    return ms > 0 ? ms : 1;
}

/*
 * One group now; if input remains, the next group runs on the next loop turn, after the other
 * handles (ZAP, timers, signals) have had theirs. A group left open to fill stops the socket's
 * poll and reads it on the fill timer instead: polled, the loop would wake for every message
 * and commit the group as small as before; on the timer, the messages that arrive meanwhile are
 * read in one go, the ZeroMQ I/O thread meanwhile runs undisturbed.
 */
static void serve_router(struct ingest *in)
{
    bool more = run_group(in);
    bool filling = in->group_n > 0;
    if (more) {
        if (!uv_is_active((uv_handle_t *)&in->idle))
            uv_idle_start(&in->idle, on_idle);
    } else if (uv_is_active((uv_handle_t *)&in->idle)) {
        uv_idle_stop(&in->idle);
    }
    if (filling) {
        if (uv_is_active((uv_handle_t *)&in->router_poll))
            uv_poll_stop(&in->router_poll);
        /* One-shot, re-armed after every read (restarting an armed timer is allowed). */
        int rc = uv_timer_start(&in->fill, on_fill, fill_tick_ms(in), 0);
        if (rc != 0) {
            /* Cannot wait: end the group now rather than leave it open. */
            log_err(in->log, "ingest: uv_timer_start(fill): %s", uv_strerror(rc));
            finish_group(in);
            filling = false;
        }
    }
    if (!filling) {
        if (uv_is_active((uv_handle_t *)&in->fill))
            uv_timer_stop(&in->fill);
        if (!uv_is_active((uv_handle_t *)&in->router_poll)) {
            int rc = uv_poll_start(&in->router_poll, UV_READABLE, on_router);
            if (rc != 0)
                log_poll_error(in, "ingest", rc);
            /* A message that came while the poll was off has signalled nobody. */
            if (!more && transport_readable(in->router) && !uv_is_active((uv_handle_t *)&in->idle))
                uv_idle_start(&in->idle, on_idle);
        }
    }
}

static void on_idle(uv_idle_t *h)
{
    serve_router(h->data);
}

static void on_fill(uv_timer_t *t)
{
    serve_router(t->data);
}

static void on_router(uv_poll_t *h, int status, int events)
{
    (void)events;
    struct ingest *in = h->data;
    if (status < 0)
        log_poll_error(in, "ingest", status);
    serve_router(in);
}

/* ---- ZAP ------------------------------------------------------------------------------------- */

static int zap_reply(struct ingest *in, zmq_msg_t *req_id, const char *code, const char *text,
                     const char *user, const char *key)
{
    /* Metadata (ZMTP property list): name length (1 byte), name, value length (4 bytes BE),
     * value. One property: the client's key, so each message can be checked again later. */
    uint8_t meta[1 + sizeof(ZAP_KEY_PROPERTY) + 4 + CURVE_KEY_Z85_LEN];
    size_t meta_len = 0;
    if (key != NULL) {
        size_t nl = strlen(ZAP_KEY_PROPERTY);
        meta[0] = (uint8_t)nl;
        memcpy(meta + 1, ZAP_KEY_PROPERTY, nl);
        uint8_t *v = meta + 1 + nl;
        v[0] = v[1] = v[2] = 0;
        v[3] = CURVE_KEY_Z85_LEN;
        memcpy(v + 4, key, CURVE_KEY_Z85_LEN);
        meta_len = 1 + nl + 4 + CURVE_KEY_Z85_LEN;
    }
    const int more = ZMQ_SNDMORE | ZMQ_DONTWAIT;
    if (zmq_send(in->zap, "1.0", 3, more) < 0 ||
        zmq_send(in->zap, req_id ? zmq_msg_data(req_id) : "", req_id ? zmq_msg_size(req_id) : 0,
                 more) < 0 ||
        zmq_send(in->zap, code, strlen(code), more) < 0 ||
        zmq_send(in->zap, text, strlen(text), more) < 0 ||
        zmq_send(in->zap, user, strlen(user), more) < 0 ||
        zmq_send(in->zap, meta, meta_len, ZMQ_DONTWAIT) < 0)
        return -errno;
    return 0;
}

/* Answer one ZAP request (frames @f, @n of them): admit a CURVE client of the umbra domain whose
 * key is in the allow-list, as the name the allow-list gives it; deny everything else. */
static void zap_answer(struct ingest *in, zmq_msg_t *f, size_t n)
{
    char addr[64] = "?";
    char key[CURVE_KEY_Z85_LEN + 1] = "-";
    const char *why = NULL, *name = NULL;
    if (n >= 4) {
        char raw[64];
        size_t al = zmq_msg_size(&f[3]) < sizeof(raw) - 1 ? zmq_msg_size(&f[3]) : sizeof(raw) - 1;
        memcpy(raw, zmq_msg_data(&f[3]), al);
        raw[al] = '\0';
        copy_printable(addr, sizeof(addr), raw);
    }
    if (n < 6 || !frame_is(&f[0], "1.0"))
        why = "malformed ZAP request";
    else if (!frame_is(&f[2], TRANSPORT_ZAP_DOMAIN))
        why = "not the umbra ZAP domain";
    else if (!frame_is(&f[5], "CURVE"))
        why = "security mechanism is not CURVE";
    else if (n != 7 || zmq_msg_size(&f[6]) != CURVE_KEY_BYTES)
        why = "malformed CURVE credentials";
    if (why == NULL) {
        const uint8_t *k = zmq_msg_data(&f[6]);
        zmq_z85_encode(key, k, CURVE_KEY_BYTES);
        name = curve_allow_lookup(in->allow, k);
        if (name == NULL)
            why = "key not in the allow-list";
    }
    int rc = name != NULL ? zap_reply(in, &f[1], "200", "OK", name, key)
                          : zap_reply(in, n >= 2 ? &f[1] : NULL, "400", why, "", NULL);
    if (rc != 0)
        log_err(in->log, "ingest: ZAP reply: %s", zmq_strerror(-rc));
    if (name != NULL) {
        in->st.zap_allowed++;
        log_debug(in->log, "ingest: ZAP allowed %s key=%s address=%s", name, key, addr);
    } else {
        in->st.zap_denied++;
        log_warn(in->log, "ingest: connection refused: %s key=%s address=%s", why, key, addr);
    }
}

static void serve_zap(struct ingest *in)
{
    while (transport_readable(in->zap)) {
        zmq_msg_t f[ZAP_FRAMES];
        size_t n = 0;
        for (size_t i = 0; i < ZAP_FRAMES; i++)
            zmq_msg_init(&f[i]);
        int rc = recv_frames(in->zap, f, ZAP_FRAMES, &n);
        if (rc == 0)
            zap_answer(in, f, n);
        for (size_t i = 0; i < ZAP_FRAMES; i++)
            zmq_msg_close(&f[i]);
        if (rc != 0)
            break;
    }
}

static void on_zap(uv_poll_t *h, int status, int events)
{
    (void)events;
    struct ingest *in = h->data;
    if (status < 0)
        log_poll_error(in, "ZAP", status);
    serve_zap(in);
}

/* ---- monitor --------------------------------------------------------------------------------- */

static void protocol_failure(struct ingest *in, const struct transport_event *ev)
{
    in->st.hs_failed_protocol++;
    for (uint32_t i = 0; i < in->n_logged_protocol; i++) {
        if (in->logged_protocol[i] == ev->value)
            return;
    }
    if (in->n_logged_protocol < sizeof(in->logged_protocol) / sizeof(in->logged_protocol[0]))
        in->logged_protocol[in->n_logged_protocol++] = ev->value;
    log_warn(in->log, "ingest: handshake failed on %s: %s (0x%x; first one of this kind)",
             ev->endpoint, transport_protocol_error_name(ev->value), (unsigned)ev->value);
}

static void on_event(struct ingest *in, const struct transport_event *ev)
{
    switch (ev->event) {
    case ZMQ_EVENT_ACCEPTED:
        in->st.accepted++;
        break;
    case ZMQ_EVENT_DISCONNECTED:
        /* Includes peers ZeroMQ dropped for a message above ZMQ_MAXMSGSIZE: they never reach
         * this module as messages, only as a disconnect. */
        in->st.disconnects++;
        break;
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        in->st.handshakes++;
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        in->st.hs_failed_auth++;
        if (!in->logged_hs_auth) {
            in->logged_hs_auth = true;
            log_warn(in->log,
                     "ingest: handshake refused by the allow-list on %s (ZAP status "
                     "%u; first one, each refusal is logged with its key)",
                     ev->endpoint, (unsigned)ev->value);
        }
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        protocol_failure(in, ev);
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        in->st.hs_failed_other++;
        if (!in->logged_hs_other) {
            in->logged_hs_other = true;
            log_warn(in->log, "ingest: handshake failed on %s: %s (first one)", ev->endpoint,
                     zmq_strerror((int)ev->value));
        }
        break;
    default:
        break;
    }
}

static void serve_monitor(struct ingest *in)
{
    for (;;) {
        struct transport_event ev;
        int rc = transport_monitor_read(in->mon, &ev);
        if (rc == 0)
            on_event(in, &ev);
        else if (rc == -EAGAIN && !transport_readable(in->mon))
            break;
    }
}

static void on_monitor(uv_poll_t *h, int status, int events)
{
    (void)events;
    struct ingest *in = h->data;
    if (status < 0)
        log_poll_error(in, "monitor", status);
    serve_monitor(in);
}

/* ---- create, destroy ------------------------------------------------------------------------- */

static int poll_socket(struct ingest *in, uv_poll_t *p, enum handle_bit bit, void *sock,
                       uv_poll_cb cb, const char *what)
{
    int fd;
    size_t len = sizeof(fd);
    if (zmq_getsockopt(sock, ZMQ_FD, &fd, &len) != 0) {
        log_err(in->log, "ingest: zmq_getsockopt(%s, ZMQ_FD): %s", what, zmq_strerror(errno));
        return -errno;
    }
    int rc = uv_poll_init(in->loop, p, fd);
    if (rc != 0) {
        log_err(in->log, "ingest: uv_poll_init(%s): %s", what, uv_strerror(rc));
        return rc;
    }
    in->handles |= 1u << bit;
    p->data = in;
    rc = uv_poll_start(p, UV_READABLE, cb);
    if (rc != 0)
        log_err(in->log, "ingest: uv_poll_start(%s): %s", what, uv_strerror(rc));
    return rc;
}

static int copy_config(struct ingest *in, const struct ingest_config *cfg)
{
    in->id = strdup(cfg->aggregator_id ? cfg->aggregator_id : "aggregator");
    in->allow_dir = strdup(cfg->allow_dir ? cfg->allow_dir : "");
    in->bound = calloc(cfg->n_listen, sizeof(*in->bound));
    in->acks = calloc(cfg->group_max, sizeof(*in->acks));
    in->sensors = calloc(INGEST_SENSORS_MAX, sizeof(*in->sensors));
    in->index = malloc(SENSOR_INDEX_SLOTS * sizeof(*in->index));
    /* Reserved once: the summaries of the largest batch allowed (detect.h). */
    if (cfg->detect != NULL)
        in->sum = calloc(cfg->max_records, sizeof(*in->sum));
    if (in->id == NULL || in->allow_dir == NULL || in->bound == NULL || in->acks == NULL ||
        in->sensors == NULL || in->index == NULL || (cfg->detect != NULL && in->sum == NULL)) {
        log_err(in->log, "ingest: out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; i < SENSOR_INDEX_SLOTS; i++)
        in->index[i] = -1;
    in->n_bound = cfg->n_listen;
    in->max_message = cfg->max_message;
    in->group_max = cfg->group_max;
    in->group_fill = cfg->group_fill;
    in->group_wait_ns = cfg->group_wait_ns;
    in->silence_ns = cfg->silence_ns;
    in->limits.max_records = cfg->max_records;
    in->store = cfg->store;
    in->detect = cfg->detect;
    in->curve = cfg->own != NULL;
    in->arena.pb.alloc = arena_alloc;
    in->arena.pb.free = arena_free;
    in->arena.pb.allocator_data = &in->arena;
    for (int c = 0; c < BATCH_CAUSE_COUNT; c++)
        snprintf(in->invalid_names[c], sizeof(in->invalid_names[c]), "invalid_%s",
                 batch_check_cause_name((enum batch_check_cause)c));
    return 0;
}

/* The ZAP handler must be bound before the router accepts its first CURVE connection: libzmq
 * lets a CURVE client in unchecked when no handler is bound. */
static int open_zap(struct ingest *in, const struct ingest_config *cfg)
{
    in->allow = curve_allow_load(cfg->allow_dir ? cfg->allow_dir : "", in->log);
    if (in->allow == NULL)
        return -ENOMEM;
    in->zap = zmq_socket(in->ctx, ZMQ_REP);
    if (in->zap == NULL) {
        log_err(in->log, "ingest: zmq_socket(ZAP): %s", zmq_strerror(errno));
        return -errno;
    }
    int zero = 0;
    zmq_setsockopt(in->zap, ZMQ_LINGER, &zero, sizeof(zero));
    if (zmq_bind(in->zap, ZAP_ENDPOINT) != 0) {
        int rc = -errno;
        log_err(in->log, "ingest: zmq_bind(%s): %s (another ZAP handler in this context?)",
                ZAP_ENDPOINT, zmq_strerror(errno));
        return rc;
    }
    return 0;
}

static int open_router(struct ingest *in, const struct ingest_config *cfg)
{
    in->router = zmq_socket(in->ctx, ZMQ_ROUTER);
    if (in->router == NULL) {
        log_err(in->log, "ingest: zmq_socket(ROUTER): %s", zmq_strerror(errno));
        return -errno;
    }
    int one = 1;
    if (zmq_setsockopt(in->router, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)) != 0) {
        log_err(in->log, "ingest: zmq_setsockopt(ZMQ_ROUTER_MANDATORY): %s", zmq_strerror(errno));
        return -errno;
    }
    struct transport_opts o = {.max_message = cfg->max_message, .heartbeat_ns = cfg->heartbeat_ns};
    int rc = transport_configure(in->router, &o, "ingest", in->log);
    if (rc == 0 && cfg->own != NULL)
        rc = transport_curve_server(in->router, cfg->own, "ingest", in->log);
    if (rc != 0)
        return rc;
    /* The monitor comes before the binds so that no connection event is missed. */
    in->mon = transport_monitor_open(in->ctx, in->router, "ingest", in->log);
    if (in->mon == NULL)
        return -EIO;
    for (uint32_t i = 0; i < cfg->n_listen; i++) {
        if (zmq_bind(in->router, cfg->listen[i]) != 0) {
            rc = -errno;
            log_err(in->log, "ingest: zmq_bind(%s): %s", cfg->listen[i], zmq_strerror(errno));
            return rc;
        }
        char ep[256];
        size_t len = sizeof(ep);
        if (zmq_getsockopt(in->router, ZMQ_LAST_ENDPOINT, ep, &len) != 0)
            snprintf(ep, sizeof(ep), "%s", cfg->listen[i]);
        in->bound[i] = strdup(ep);
        if (in->bound[i] == NULL) {
            log_err(in->log, "ingest: out of memory");
            return -ENOMEM;
        }
    }
    return 0;
}

static int start_loop(struct ingest *in)
{
    int rc = poll_socket(in, &in->router_poll, H_ROUTER, in->router, on_router, "ingest");
    if (rc == 0 && in->zap != NULL)
        rc = poll_socket(in, &in->zap_poll, H_ZAP, in->zap, on_zap, "ZAP");
    if (rc == 0)
        rc = poll_socket(in, &in->mon_poll, H_MON, in->mon, on_monitor, "monitor");
    if (rc != 0)
        return rc;
    uv_idle_init(in->loop, &in->idle);
    in->handles |= 1u << H_IDLE;
    in->idle.data = in;
    uv_timer_init(in->loop, &in->timer);
    in->handles |= 1u << H_TIMER;
    in->timer.data = in;
    uv_timer_init(in->loop, &in->fill);
    in->handles |= 1u << H_FILL;
    in->fill.data = in;
    /* Check at least twice per silence timeout, and at most once a second. */
    uint64_t ms = in->silence_ns / 2 / CLOCK_NS_PER_MS;
    ms = ms > 1000 ? 1000 : ms < 10 ? 10 : ms;
    rc = uv_timer_start(&in->timer, on_timer, ms, ms);
    if (rc != 0) {
        log_err(in->log, "ingest: uv_timer_start: %s", uv_strerror(rc));
        return rc;
    }
    /* A ZeroMQ socket signals its descriptor only for a reader that has found it empty once:
     * a message that arrived before the first read (a monitor event of the binds, a sensor
     * faster than this function) would otherwise wait for some later, unrelated wake-up. */
    serve_router(in);
    if (in->zap != NULL)
        serve_zap(in);
    serve_monitor(in);
    return 0;
}

struct ingest *ingest_create(uv_loop_t *loop, void *zmq_ctx, const struct ingest_config *cfg,
                             struct log *log)
{
    if (cfg->n_listen == 0 || cfg->listen == NULL || cfg->group_max == 0 || cfg->store == NULL ||
        cfg->max_records == 0) {
        log_err(log, "ingest: invalid configuration (no endpoint, no store, or a zero limit)");
        return NULL;
    }
    struct ingest *in = calloc(1, sizeof(*in));
    if (in == NULL) {
        log_err(log, "ingest: out of memory");
        return NULL;
    }
    in->loop = loop;
    in->ctx = zmq_ctx;
    in->log = log;
    int rc = copy_config(in, cfg);
    if (rc == 0) {
        in->plan = batch_check_plan_create();
        if (in->plan == NULL) {
            log_err(log, "ingest: out of memory for the FlowBatch walk plan");
            rc = -ENOMEM;
        }
    }
    if (rc == 0 && in->curve)
        rc = open_zap(in, cfg);
    if (rc == 0)
        rc = open_router(in, cfg);
    if (rc == 0)
        rc = start_loop(in);
    if (rc != 0) {
        ingest_destroy(&in);
        return NULL;
    }
    if (!in->curve)
        log_warn(log, "ingest: CURVE is off (insecure): the sensors' link is unauthenticated "
                      "and unencrypted, and any peer may send as any sensor; a lab only");
    return in;
}

static void on_closed(uv_handle_t *h)
{
    struct ingest *in = h->data;
    in->closing--;
}

void ingest_destroy(struct ingest **ip)
{
    struct ingest *in = ip ? *ip : NULL;
    if (in == NULL)
        return;
    /* A group still filling is committed and acknowledged: its batches are durable, whether or
     * not the acks get out before the socket closes (a sensor resends, and finds them applied). */
    if (in->group_n > 0)
        finish_group(in);
    /* Only a failed create or a misuse leaves one open now; nothing of it was acknowledged. */
    if (in->txn_open)
        flow_store_abort(in->store);
    /* The handles go before their sockets: libuv must not poll a descriptor that is gone. */
    uv_handle_t *h[H_COUNT] = {
            [H_ROUTER] = (uv_handle_t *)&in->router_poll, [H_ZAP] = (uv_handle_t *)&in->zap_poll,
            [H_MON] = (uv_handle_t *)&in->mon_poll,       [H_IDLE] = (uv_handle_t *)&in->idle,
            [H_TIMER] = (uv_handle_t *)&in->timer,        [H_FILL] = (uv_handle_t *)&in->fill,
    };
    for (int i = 0; i < H_COUNT; i++) {
        if (!(in->handles & (1u << i)))
            continue;
        h[i]->data = in;
        in->closing++;
        uv_close(h[i], on_closed);
    }
    /* Close callbacks run at the end of a loop iteration; one NOWAIT turn is usually enough. */
    while (in->closing > 0)
        uv_run(in->loop, UV_RUN_NOWAIT);
    if (in->mon != NULL)
        zmq_close(in->mon);
    if (in->router != NULL)
        zmq_close(in->router);
    if (in->zap != NULL)
        zmq_close(in->zap);
    curve_allow_destroy(&in->allow);
    pb_walk_plan_destroy(&in->plan);
    arena_fini(&in->arena);
    for (uint32_t i = 0; in->bound != NULL && i < in->n_bound; i++)
        free(in->bound[i]);
    free(in->bound);
    free(in->acks);
    free(in->sum);
    free(in->sensors);
    free(in->index);
    free(in->allow_dir);
    free(in->id);
    free(in);
    *ip = NULL;
}

/* ---- operations ------------------------------------------------------------------------------ */

int ingest_reload_allow(struct ingest *in)
{
    if (!in->curve) {
        log_info(in->log, "ingest: insecure: there is no allow-list to reload");
        return 0;
    }
    struct curve_allow *fresh = curve_allow_load(in->allow_dir, in->log);
    if (fresh == NULL || curve_allow_unreadable(fresh)) {
        log_err(in->log, "ingest: allow-list reload failed: the old list stays in force");
        int rc = fresh == NULL ? -ENOMEM : -EIO;
        curve_allow_destroy(&fresh);
        return rc;
    }
    size_t before = curve_allow_count(in->allow);
    curve_allow_destroy(&in->allow);
    in->allow = fresh;
    log_info(in->log, "ingest: allow-list reloaded from %s: keys=%zu (before: %zu) skipped=%zu",
             in->allow_dir, curve_allow_count(fresh), before, curve_allow_rejected(fresh));
    return 0;
}

void ingest_counters(const struct ingest *in, ingest_counter_fn *fn, void *ctx)
{
    const struct ingest_stats *s = &in->st;
    fn(ctx, "messages", s->messages);
    fn(ctx, "batches_applied", s->batches_applied);
    fn(ctx, "records_applied", s->records_applied);
    fn(ctx, "batches_duplicate", s->batches_duplicate);
    fn(ctx, "batches_retry", s->batches_retry);
    fn(ctx, "batches_stale", s->batches_stale);
    fn(ctx, "batches_rejected", s->batches_rejected);
    fn(ctx, "records_rejected", s->records_rejected);
    fn(ctx, "batches_lost", s->batches_lost);
    fn(ctx, "batches_unacked", s->batches_unacked);
    for (int c = 0; c < MAL_COUNT; c++)
        fn(ctx, malformed_names[c], s->malformed[c]);
    for (int c = BATCH_OK + 1; c < BATCH_CAUSE_COUNT; c++)
        fn(ctx, in->invalid_names[c], s->invalid[c]);
    fn(ctx, "unauthorised", s->unauthorised);
    fn(ctx, "unknown_type", s->unknown_type);
    fn(ctx, "hellos", s->hellos);
    fn(ctx, "heartbeats", s->heartbeats);
    fn(ctx, "acks_sent", s->acks_sent);
    fn(ctx, "acks_failed", s->acks_failed);
    fn(ctx, "commits", s->commits);
    fn(ctx, "commit_failures", s->commit_failures);
    fn(ctx, "store_failures", s->store_failures);
    fn(ctx, "zap_allowed", s->zap_allowed);
    fn(ctx, "zap_denied", s->zap_denied);
    fn(ctx, "connections_accepted", s->accepted);
    fn(ctx, "disconnects", s->disconnects);
    fn(ctx, "handshakes_succeeded", s->handshakes);
    fn(ctx, "handshake_failed_auth", s->hs_failed_auth);
    fn(ctx, "handshake_failed_protocol", s->hs_failed_protocol);
    fn(ctx, "handshake_failed_other", s->hs_failed_other);
    uint64_t silent = 0;
    for (uint32_t i = 0; i < in->n_sensors; i++)
        silent += in->sensors[i].silent;
    fn(ctx, "sensors_known", in->n_sensors);
    fn(ctx, "sensors_silent", silent);
    fn(ctx, "sensors_over_limit", s->sensors_over_limit);
}

void ingest_print_sensors(const struct ingest *in, FILE *f)
{
    uint64_t now = clock_mono_ns();
    fprintf(f, "umbra-aggregator sensors (%u known)\n", in->n_sensors);
    for (uint32_t i = 0; i < in->n_sensors; i++) {
        const struct sensor_entry *s = &in->sensors[i];
        fprintf(f, "  %s host=%s site=%s version=%s last_message=%.1fs_ago %s", s->id,
                s->hello_seen ? s->host : "?", s->hello_seen ? s->site : "?",
                s->hello_seen ? s->version : "?", (double)(now - s->last_msg_mono) / 1e9,
                s->silent ? "SILENT" : "live");
        if (s->hb_seen)
            fprintf(f,
                    " heartbeat: uptime=%.0fs packets=%llu kernel_drops=%llu flows_active=%llu "
                    "records_exported=%llu spool_batches=%llu spool_dropped=%llu "
                    "last_acked=%llu",
                    (double)s->hb_uptime_ns / 1e9, (unsigned long long)s->hb_packets,
                    (unsigned long long)s->hb_kernel_drops, (unsigned long long)s->hb_flows_active,
                    (unsigned long long)s->hb_records_exported,
                    (unsigned long long)s->hb_spool_batches,
                    (unsigned long long)s->hb_spool_dropped, (unsigned long long)s->hb_last_acked);
        else
            fprintf(f, " heartbeat: none yet");
        fputc('\n', f);
    }
}

const char *ingest_endpoint(const struct ingest *in, uint32_t i)
{
    return i < in->n_bound ? in->bound[i] : NULL;
}

bool ingest_curve(const struct ingest *in)
{
    return in->curve;
}

size_t ingest_allowed_keys(const struct ingest *in)
{
    return in->curve ? curve_allow_count(in->allow) : 0;
}
