/*
 * Ingest: the aggregator's receiving side. A ZeroMQ ROUTER, bound to every listen endpoint,
 * takes the sensors' FlowBatches, Hellos and Heartbeats in a libuv loop; batches are decoded,
 * checked (batch_check), decided and applied exactly once (flow_store), and acknowledged only
 * after the LMDB transaction that holds them has committed.
 *
 * Security. With a key pair the socket is a CURVE server and this module is also the context's
 * ZAP handler (RFC 27): a connection is admitted only if its client key is in the allow-list
 * (a directory of NAME.pub files, common/curve_keys), and its messages carry NAME as their
 * User-Id. A FlowBatch, Hello or Heartbeat is accepted only when its sensor_id equals that NAME
 * and the connection's key is still bound to NAME in the current allow-list, so a sensor cannot
 * write into another's stream, and a key removed by ingest_reload_allow() stops being applied
 * at once, even on a connection admitted earlier. Without a key pair (insecure, a lab only)
 * there is no CURVE and no ZAP, and the sensor_id of a message is trusted.
 *
 * Group commit. A group is up to group_max messages whose batches are applied in one
 * flow_store transaction, committed, and only then acknowledged: an OK ack promises durability.
 * When the socket runs dry, a group of at least group_fill messages, or one whose first message
 * came group_wait_ns ago, commits at once; a smaller, younger one waits to fill: the socket's
 * poll stops and the socket is read every quarter of group_wait_ns until the group is full
 * enough or old enough. Under load that turns many small commits (a sync each, and the loop
 * waking for every message) into few large ones; an idle sensor's batch waits at most
 * group_wait_ns more for its ack. When more input waits, the next group runs on the next loop
 * turn (a uv_idle_t), so ZAP requests, timers and signals are never starved. A failed commit
 * sends no ack for its group (the sensors resend) and ingest keeps running. ingest_destroy()
 * commits a group still filling.
 *
 * Bad input never stops ingest: each kind is counted (ingest_counters), logged at its first
 * occurrence and skipped. A message that cannot be decoded is never acknowledged (neither its
 * sensor nor its sequence can be trusted); a decoded batch that fails batch_check() is applied as
 * "rejected" (it moves the sensor's sequence on, stores nothing) and acknowledged REJECTED.
 *
 * Threads: a struct ingest, its loop, its ZeroMQ sockets and its flow store belong to one
 * thread.
 */
#ifndef UMBRA_AGGREGATOR_INGEST_H
#define UMBRA_AGGREGATOR_INGEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <uv.h>

struct log;
struct curve_keypair;
struct flow_store;
struct detect;
struct ingest;

/* Sensors remembered at once (Hello fields, last heartbeat); more are counted, not kept. */
#define INGEST_SENSORS_MAX 4096

struct ingest_config {
    const char *aggregator_id;       /* for logs; copied */
    const char *const *listen;       /* endpoints to bind, e.g. "tcp://0.0.0.0:7730"; copied */
    uint32_t n_listen;               /* at least 1 */
    const struct curve_keypair *own; /* NULL = insecure (plain TCP, lab only); copied */
    const char *allow_dir;           /* the sensors' .pub files (CURVE); copied */
    uint64_t max_message;            /* bytes, ZMQ_MAXMSGSIZE and the decode cap */
    uint32_t max_records;            /* per batch */
    uint32_t group_max;              /* batches per LMDB transaction at most (>= 1) */
    uint32_t group_fill;             /* a smaller group waits to fill, up to group_wait_ns */
    uint64_t group_wait_ns;          /* 0: commit whenever the socket runs dry */
    uint64_t silence_ns;             /* a sensor with no message for this long is silent */
    uint64_t heartbeat_ns;           /* ZMTP heartbeat interval; 0 = off */
    struct flow_store *store;        /* borrowed; must outlive the ingest */
    struct detect *detect;           /* borrowed, may be NULL: each applied batch's record
                                      * summaries go to detect_batch(), with the sensor's
                                      * table index (its window needs INGEST_SENSORS_MAX slots) */
};

/*
 * ingest_create() - bind the ROUTER to every endpoint of @cfg, start the ZAP handler (CURVE),
 * the socket monitor and the silence timer on @loop. @zmq_ctx is borrowed and must outlive the
 * ingest; with CURVE it must have no other ZAP handler (inproc://zeromq.zap.01). @log is
 * borrowed for the ingest's life.
 *
 * Returns NULL after logging why: invalid @cfg (no endpoint, group_max 0), out of memory, a
 * socket option refused, an endpoint that cannot be bound (in use, bad address), the ZAP
 * endpoint already bound, or a libuv handle that cannot start.
 */
struct ingest *ingest_create(uv_loop_t *loop, void *zmq_ctx, const struct ingest_config *cfg,
                             struct log *log);

/*
 * ingest_destroy() - stop, close the sockets and the libuv handles, free, set *@ip = NULL.
 * NULL-safe. Nothing half-done is committed: a group is always finished (committed and acked)
 * within the loop callback that started it, so none is open between callbacks. Runs @loop
 * (UV_RUN_NOWAIT) until its handles are closed; call it outside uv_run(), after closing any
 * handle whose callback could use the ingest.
 */
void ingest_destroy(struct ingest **ip);

/*
 * ingest_reload_allow() - re-read the allow directory (SIGHUP). New connections are checked
 * against the new list at once, and so are the messages of connections admitted earlier.
 * Logs the number of keys before and after. Nothing to do, 0, when insecure.
 *
 * Returns 0, or -ENOMEM (logged; the old list stays in force).
 */
int ingest_reload_allow(struct ingest *in);

/* ingest_counter_fn - receives one counter: its name (valid during the call) and value. */
typedef void ingest_counter_fn(void *ctx, const char *name, uint64_t v);

/*
 * ingest_counters() - call @fn once per counter, always the same names in the same order:
 *   messages                   every message read, good or bad
 *   batches_applied, records_applied, batches_duplicate, batches_retry, batches_stale,
 *   batches_rejected, records_rejected (failed batch_check, acked REJECTED),
 *   batches_lost               sequences skipped because the sensor had dropped them
 *   batches_unacked            not acked because the store failed in their group
 *   malformed_<cause>          frames, wire, checksum, schema, too_big, sensor_id: not decoded,
 *                              not acked
 *   invalid_<cause>            per batch_check cause (batch_check_cause_name())
 *   unauthorised, unknown_type, hellos, heartbeats, acks_sent, acks_failed (peer gone or its
 *   queue full), commits, commit_failures, store_failures, zap_allowed, zap_denied,
 *   connections_accepted, disconnects (a peer that sends more than max_message is disconnected
 *   by ZeroMQ itself and shows only here), handshakes_succeeded, handshake_failed_auth,
 *   handshake_failed_protocol (e.g. plain TCP at a CURVE server), handshake_failed_other,
 *   sensors_known, sensors_silent (now), sensors_over_limit.
 */
void ingest_counters(const struct ingest *in, ingest_counter_fn *fn, void *ctx);

/*
 * ingest_print_sensors() - one line per known sensor to @f: id, host, site, version, seconds
 * since its last message, its last heartbeat's counters, and whether it is silent.
 */
void ingest_print_sensors(const struct ingest *in, FILE *f);

/*
 * ingest_endpoint() - the endpoint actually bound for listen entry @i (ZMQ_LAST_ENDPOINT: a
 * wildcard port such as "tcp://127.0.0.1:*" shows the port the kernel chose), or NULL when @i
 * is out of range. Lives as long as @in.
 */
const char *ingest_endpoint(const struct ingest *in, uint32_t i);

/* ingest_curve() - whether connections are CURVE-authenticated (not insecure). */
bool ingest_curve(const struct ingest *in);

/* ingest_allowed_keys() - keys in the current allow-list; 0 when insecure. */
size_t ingest_allowed_keys(const struct ingest *in);

#endif
