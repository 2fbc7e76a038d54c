/*
 * Flow store: sensors' FlowBatches applied exactly once, in LMDB.
 *
 * Sensors deliver at least once: after a reconnect a batch may arrive again, and an earlier one
 * may be missing. A stream is (sensor id, stream epoch); its sequences start at 1. Per sensor id
 * the store keeps the current epoch and the high-water mark (hwm, the highest sequence applied),
 * and it keeps each applied batch's payload. A batch's payload and the hwm that says it was
 * applied are written in the same write transaction, so they become durable together: a crash
 * leaves both or neither. The caller applies many batches in one transaction and acknowledges
 * them only once flow_store_commit() has returned 0 (group commit).
 *
 * Decision for a batch (sensor, epoch, seq, oldest_held), flow_store_decide():
 *
 *   state                                      verdict      notes
 *   unknown sensor, or epoch > stored epoch    (new stream) continue below with hwm = 0
 *   epoch < stored epoch                       STALE        its stream was replaced: drop it
 *   seq <= hwm                                 DUPLICATE    durable already
 *   seq == hwm + 1                             APPLY        *gap = 0
 *   seq > hwm + 1 and oldest_held == seq       APPLY        *gap = seq - hwm - 1 batches the
 *                                                           sensor dropped at its spool cap
 *   seq > hwm + 1 and oldest_held != seq       WAIT         *expected = hwm + 1: the sensor
 *                                                           still holds an earlier batch
 *
 * The inputs are expected to have passed batch_check() (epoch != 0, 1 <= oldest_held <= seq);
 * other values still get a verdict by the table, never a crash.
 *
 * LMDB layout, in the environment at config.dir:
 *   "batches"  key: 1-byte id length, sensor id (1..64 bytes), epoch (8 bytes BE), seq (8 bytes
 *              BE); value: the FlowBatch protobuf payload (not the wire envelope).
 *   "sensors"  key: sensor id; value: format-version byte, then the fields of struct
 *              flow_store_sensor in order, 8 bytes BE each.
 * LMDB orders keys bytewise, so batches sort by id length, then id, epoch and seq.
 *
 * Threads: a struct flow_store belongs to one thread. flow_store_scan() and
 * flow_store_scan_sensors() keep no state and may run in another process (umbra-ctl) while the
 * aggregator writes: their read transaction never blocks the writer. LMDB forbids opening one
 * environment twice in a process, so they must not run in the process that has the store open.
 */
#ifndef UMBRA_AGGREGATOR_FLOW_STORE_H
#define UMBRA_AGGREGATOR_FLOW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct log;
struct flow_store;

#define FLOW_STORE_ID_MAX 64 /* bytes of a sensor id */

struct flow_store_config {
    const char *dir;   /* LMDB environment directory; created 0700 if missing (one level) */
    uint64_t map_size; /* bytes: the store's capacity; > 0, chosen by the caller */
    bool sync;         /* fsync at each commit; false (MDB_NOSYNC) only for tests and benchmarks */
};

enum flow_store_verdict {
    FLOW_STORE_APPLY,
    FLOW_STORE_DUPLICATE,
    FLOW_STORE_WAIT,
    FLOW_STORE_STALE,
    FLOW_STORE_ERROR, /* no transaction, invalid id or a storage failure (logged): do not ack */
};

/* What is stored per sensor id. Counts cover every epoch the sensor id has had. */
struct flow_store_sensor {
    uint64_t epoch;            /* current stream epoch (ns, the sensor's spool creation) */
    uint64_t hwm;              /* highest sequence applied in that epoch */
    uint64_t batches;          /* batches applied, rejected ones not included */
    uint64_t records;          /* records in those batches */
    uint64_t rejected_batches; /* batches that only moved the hwm (never valid) */
    uint64_t batches_lost;     /* gaps accepted because the sensor had dropped them */
    uint64_t last_apply_ts;    /* wall ns of the last hwm move */
};

/*
 * flow_store_create() - open (or create) the store in @cfg->dir with @cfg->map_size bytes of
 * map. @cfg is copied; @log is borrowed for the store's life.
 *
 * Returns NULL after logging why: invalid config, the directory cannot be created, or LMDB
 * refuses the environment (another process writes it, corrupt files, out of memory).
 */
struct flow_store *flow_store_create(const struct flow_store_config *cfg, struct log *log);

/* flow_store_destroy() - abort an open transaction, close, free, set *@sp = NULL. NULL-safe. */
void flow_store_destroy(struct flow_store **sp);

/*
 * flow_store_begin() - open the write transaction; nothing if it is open already.
 *
 * Returns 0, the error of a failed group not yet reported by flow_store_commit() or cleared by
 * flow_store_abort(), or a negative code after logging it (LMDB could not start a transaction).
 */
int flow_store_begin(struct flow_store *st);

/*
 * flow_store_decide() - the verdict for one batch, by the table at the top of this file, from
 * the state inside the open transaction (so it sees batches applied earlier in it). Writes
 * nothing. Sets *@expected to hwm + 1 for WAIT and *@gap for APPLY; both are 0 otherwise.
 *
 * Returns FLOW_STORE_ERROR, logged, when no transaction is open, @sensor_id is not 1..64 bytes,
 * or the sensor's state cannot be read (then abort: the transaction may be unusable).
 */
enum flow_store_verdict flow_store_decide(struct flow_store *st, const char *sensor_id,
                                          uint64_t epoch, uint64_t seq, uint64_t oldest_held,
                                          uint64_t *expected, uint64_t *gap);

/*
 * flow_store_apply() - apply a batch that flow_store_decide() answered APPLY to (with @gap),
 * in the open transaction: store @payload (@len bytes, copied) under (sensor_id, epoch, seq),
 * set the sensor's epoch to @epoch and its hwm to @seq, add @records and @gap to its counts.
 * With @rejected no payload is stored and rejected_batches counts it: a batch that will never
 * be valid must not block the ones after it. Allocates nothing.
 *
 * Returns 0, or
 *   -EINVAL   no transaction open, invalid @sensor_id, @payload NULL with @len > 0, or the
 *             batch is not one decide() would answer APPLY to with this @gap; the transaction
 *             stays open and unchanged;
 *   -ENOSPC   the map is full ("raise store.map_size", logged);
 *   -EIO      another LMDB failure or an unreadable stored state (logged; a negative errno
 *             instead when LMDB gives one, -ENOMEM say).
 * After any error but -EINVAL the transaction has been aborted: everything since
 * flow_store_begin() is gone and none of it may be acknowledged. The group stays failed until
 * flow_store_commit() returns the same error or flow_store_abort() is called: until then
 * flow_store_begin() and flow_store_apply() return it and flow_store_decide() FLOW_STORE_ERROR.
 */
int flow_store_apply(struct flow_store *st, const char *sensor_id, uint64_t epoch, uint64_t seq,
                     uint64_t gap, const void *payload, size_t len, uint32_t records,
                     bool rejected);

/*
 * flow_store_commit() - commit the open transaction; 0 when nothing is open. When it returns 0
 * the batches are durable (fsync'd, unless config.sync is false) and may be acknowledged.
 *
 * Returns 0, -ENOSPC (map full), or -EIO or another negative errno (the disk, usually); or the
 * error of a flow_store_apply() that dropped this group. On failure everything since
 * flow_store_begin() is gone (logged) and the caller must not acknowledge any of it.
 */
int flow_store_commit(struct flow_store *st);

/* flow_store_abort() - drop everything since flow_store_begin() and forget a failed group. */
void flow_store_abort(struct flow_store *st);

/*
 * flow_store_sensor_get() - the committed state of @sensor_id into *@out (changes of the open
 * transaction are not visible).
 *
 * Returns 0, -ENOENT (no batch of that sensor was ever committed), -EINVAL (invalid id) or
 * -EIO (LMDB failure or a stored value this build cannot read, logged).
 */
int flow_store_sensor_get(struct flow_store *st, const char *sensor_id,
                          struct flow_store_sensor *out);

/* One stored batch; every pointer is valid only during the callback. */
struct flow_store_batch {
    const char *sensor_id; /* NUL-terminated */
    uint64_t epoch, seq;
    const uint8_t *payload; /* the FlowBatch protobuf payload, in LMDB's read-only map */
    size_t len;
};

/* Return non-zero to stop the scan; the scan returns that value. */
typedef int flow_store_batch_fn(void *ctx, const struct flow_store_batch *b);
typedef int flow_store_sensor_fn(void *ctx, const char *sensor_id,
                                 const struct flow_store_sensor *s);

/*
 * flow_store_scan() - call @fn for every stored batch of the store in @dir, in key order (id
 * length, id, epoch, seq), from one read-only snapshot. For another process than the writer's
 * (see the top of this file); the writer is never blocked.
 *
 * Returns 0 after the last batch, @fn's non-zero value if it stopped the scan, or (logged)
 * -ENOENT (no store in @dir), -EIO (LMDB failure or a malformed key) or another negative errno.
 */
int flow_store_scan(const char *dir, flow_store_batch_fn *fn, void *ctx, struct log *log);

/* flow_store_scan_sensors() - the same for the per-sensor states, in sensor id order. */
int flow_store_scan_sensors(const char *dir, flow_store_sensor_fn *fn, void *ctx, struct log *log);

#endif
