/*
 * Export: the sensor's end of the transport. Flow records are packed into FlowBatches, one open
 * batch per aggregator, spooled (sensor/spool) and sent over a ZeroMQ DEALER per aggregator;
 * each batch leaves the spool when its aggregator acknowledges it. docs/PROTOCOL.md is the
 * protocol; this header says who calls what.
 *
 * Which aggregators: each record goes to the owner of its client address and to the owner of
 * its server address (common/shard), once when both are the same aggregator.
 *
 * The packet path calls export_record() only. It packs the record into the open batch, and when
 * the batch is full (by records or bytes) seals it into the spool: local disk, never the network.
 * Everything that talks to the network (sending, acks, replay, heartbeats, the time limit on
 * open batches) happens in export_poll(), which the sensor calls between slices of packets and
 * which never waits. ZeroMQ's own I/O thread does the encryption and the socket writes.
 *
 * Sending: in sequence order from a cursor, at most `window` batches beyond the oldest
 * unacknowledged one. On each (re)connection a Hello goes first and the cursor goes back to the
 * oldest batch in the spool; batches spooled before that connection are replayed at most at
 * `replay_rate` bytes per second, so a returning aggregator is not flooded and new batches still
 * get through. An ack of sequence s (OK, DUPLICATE or REJECTED) removes every batch up to s: the
 * aggregator applies a stream strictly in order. RETRY moves the cursor back to the sequence the
 * aggregator expects. No progress for `ack_timeout` with batches out: the cursor goes back too
 * (the aggregator answers DUPLICATE to what it already has).
 *
 * Durability: a batch is sent only once a spool_sync() covers it, so a power cut can never take
 * back a sequence an aggregator has seen (or the spool would give it to a new batch, which the
 * aggregator would answer DUPLICATE). When a stream has window room and its next batch is not
 * synced yet, export_poll() syncs, at most once per call and at most every 10 ms (and never
 * more than a tenth of the time, however slow the disk): one sync covers every batch sealed
 * since the last, so a busy sensor syncs in groups. The spool is also synced every sync_ns.
 *
 * One thread owns an export.
 */
#ifndef UMBRA_SENSOR_EXPORT_H
#define UMBRA_SENSOR_EXPORT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/curve_keys.h"
#include "proto/umbra.pb-c.h"

struct log;
struct export;

#define EXPORT_MAX_AGGREGATORS 16

/* Fills the sensor's counters into a heartbeat; the export adds its own (spool, sequence). */
typedef void export_heartbeat_fn(void *ctx, Umbra__Heartbeat *hb);

struct export_config {
    const char *sensor_id;
    const char *hostname; /* for Hello */
    const char *site;
    const char *version;
    const char *const *capabilities; /* Hello.capabilities */
    size_t n_capabilities;
    uint64_t start_ts; /* wall ns the sensor started */

    const char *const *endpoints; /* aggregators, in the order every sensor must list them */
    uint32_t n_endpoints;         /* 1 .. EXPORT_MAX_AGGREGATORS */
    /* CURVE: own key pair and each aggregator's public key (Z85), or own NULL for plain TCP. */
    const struct curve_keypair *own;
    const char *const *server_keys; /* n_endpoints entries when own != NULL */

    const char *spool_dir;
    uint64_t spool_max;        /* bytes, all aggregators together */
    uint64_t sync_ns;          /* spool flushed to disk at least this often (and before a
                                  batch is sent: see above) */
    uint32_t batch_records;    /* a batch is sealed at this many records */
    uint32_t batch_bytes;      /* or at this many bytes */
    uint64_t batch_delay_ns;   /* or when its first record is this old */
    uint32_t window;           /* batches sent and not yet acknowledged, per aggregator */
    uint64_t ack_timeout_ns;   /* no ack for this long: send again from the oldest */
    uint64_t replay_rate;      /* bytes per second for batches spooled before a connection */
    uint64_t heartbeat_ns;     /* Heartbeat interval */
    uint64_t zmq_heartbeat_ns; /* ZMTP PING interval: a dead link is found in 3 of these */

    export_heartbeat_fn *heartbeat_fn;
    void *heartbeat_ctx;
};

/* export_create() - open the spool, the sockets and their monitors, and connect (ZeroMQ
 * connects in the background: an aggregator that is not up yet is not an error). NULL after
 * logging why. */
struct export *export_create(const struct export_config *cfg, struct log *log);

/* export_destroy() - flush the spool to disk and close; what is not acknowledged stays in the
 * spool for the next run. NULL-safe. */
void export_destroy(struct export **exp);

/*
 * export_record() - add @rec to the open batch of each aggregator that owns one of its
 * addresses. Never touches the network, and allocates nothing itself. Once per full batch (about
 * a thousand records) it seals the batch into the spool: one local LMDB transaction, whose page
 * writes are the only system calls on this path (LMDB keeps its dirty pages for reuse). Returns
 * 0, or a negative code when a record could not be kept (too big for a batch, spool failure):
 * counted and logged.
 */
int export_record(struct export *ex, const Umbra__FlowRecord *rec);

/* export_poll() - do the network's share without waiting: monitor events, acks, sends within
 * the window and the replay rate, heartbeats, sealing batches older than the delay, spool sync.
 * The sync is an fsync (bounded above): call this between slices of packets, not per packet. */
void export_poll(struct export *ex);

/* export_flush() - seal every open batch now (end of input, shutdown). */
void export_flush(struct export *ex);

/*
 * export_drain() - keep polling until every spooled batch is acknowledged, @timeout_ns passes or
 * *@stop is set. Waits in zmq_poll (this is the end of a run, not the packet path). Returns the
 * batches still unacknowledged (they stay in the spool for the next run).
 */
uint64_t export_drain(struct export *ex, uint64_t timeout_ns, const volatile sig_atomic_t *stop);

/* export_counters() - every counter, by name ("export_<i>_records", ...). */
void export_counters(const struct export *ex, void (*fn)(void *ctx, const char *name, uint64_t v),
                     void *ctx);

#endif
