/*
 * Flow store: sensors' FlowBatches applied exactly once: an index and the stream state in LMDB,
 * the payloads in append-only segment files beside it.
 *
 * Sensors deliver at least once: after a reconnect a batch may arrive again, and an earlier one
 * may be missing. A stream is (sensor id, stream epoch); its sequences start at 1. Per sensor id
 * the store keeps the current epoch and the high-water mark (hwm, the highest sequence applied),
 * and it keeps each applied batch's payload. A batch's payload, its index entry and the hwm
 * that says it was applied become durable together, at flow_store_commit(): a crash leaves all
 * of them or none that is ever read. The caller applies many batches in one group and
 * acknowledges them only once flow_store_commit() has returned 0 (group commit).
 *
 * Decision for a batch (sensor, epoch, seq, oldest_held), flow_store_decide(), where
 * "announced" is the stream epoch of the sensor's last Hello (0 if none is known):
 *
 *   state                                      verdict      notes
 *   unknown sensor, or epoch == stored epoch   (continue below)
 *   epoch == announced                         (new stream) continue below with hwm = 0, even
 *                                                           for an epoch below the stored one:
 *                                                           the sensor's clock was behind when
 *                                                           its spool was made (logged once)
 *   epoch > stored epoch, announced 0          (new stream) continue below with hwm = 0
 *   epoch > stored epoch, announced other      STALE        a replaced stream coming back
 *   epoch < stored epoch, not announced        STALE        its stream was replaced: drop it
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
 * Layout of config.dir (store format 3; stores of formats 1, payloads inside LMDB, and 2, bare
 * payloads in the segments, are refused):
 *   data.mdb, lock.mdb   the LMDB environment, with three databases:
 *     "batches"  key: 1-byte id length, sensor id (1..64 bytes), epoch (8 bytes BE), seq (8 bytes
 *                BE); value (33 bytes): format byte 1, then 8 bytes BE each: segment number,
 *                offset of the record in it, envelope length, the envelope's XXH3-64 checksum
 *                (its last 8 bytes, wire.h).
 *     "sensors"  key: sensor id; value: format-version byte, then the fields of struct
 *                flow_store_sensor in order, 8 bytes BE each.
 *     "meta"     key "store"; value: store format (4 bytes BE, 3), then 8 bytes BE each: the
 *                current segment number and its committed length.
 *   NNNNNNNNNNNNNNNN.seg the segments (16 lowercase hex digits, from 1), mode 0600, append-only:
 *                records of "UMBS", envelope length (8 bytes BE), the envelope's XXH3-64 (8
 *                bytes BE), then the batch's wire envelope exactly as it arrived (wire.h: header,
 *                FlowBatch protobuf payload, checksum), so the checksum the receiver verified
 *                covers the stored bytes and nothing hashes a batch twice. Each record
 *                starts at a multiple of 4096 bytes and is padded with zeros to the next one
 *                (what O_DIRECT needs; at most 4 KiB per batch, 0.6 % of a 700 KB batch). A
 *                new segment starts when a record would take the current one past
 *                config.segment_bytes.
 * LMDB orders keys bytewise, so batches sort by id length, then id, epoch and seq.
 *
 * Durability: flow_store_apply() copies the record into the segment writer's queue
 * (seg_writer.h: its own thread writes it at the tail of the current segment, O_DIRECT where the
 * file system takes it, else through the page cache with its writeback started at once) and
 * puts the index entry into the open LMDB transaction; a failed write fails the group, at the
 * next apply or at commit. flow_store_commit() waits for the group's writes, fdatasyncs the
 * segments written in the group (a new segment's directory entry is fsync'd when it is created),
 * then commits the transaction, which records the new tail in "meta" (LMDB syncs it). Only
 * bytes below a committed tail are ever referenced, and they never change. Bytes appended by a
 * group that fails or is aborted are cut off at once, and flow_store_create() cuts off what a
 * crash left past the committed tail (and removes later segments). With config.sync false
 * nothing is synced: a crash of the machine (not of the process) may lose acknowledged batches.
 *
 * Threads: a struct flow_store belongs to one thread. flow_store_scan() and
 * flow_store_scan_sensors() keep no state and may run in another process (umbra-ctl) while the
 * aggregator writes: their read transaction never blocks the writer, and the segment bytes they
 * read lie below a committed tail, so they never change. LMDB forbids opening one environment
 * twice in a process, so they must not run in the process that has the store open. One process
 * at a time may have a store open for writing (flow_store_create() locks the directory).
 */
#ifndef UMBRA_AGGREGATOR_FLOW_STORE_H
#define UMBRA_AGGREGATOR_FLOW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct log;
struct flow_store;

#define FLOW_STORE_ID_MAX        64           /* bytes of a sensor id */
#define FLOW_STORE_SEGMENT_BYTES (256u << 20) /* default segment size, bytes */

struct flow_store_config {
    const char *dir;   /* store directory; created 0700 if missing (one level) */
    uint64_t map_size; /* bytes: the LMDB map, which holds the index and the sensor states only
                        * (about 100 bytes per stored batch); > 0, chosen by the caller */
    bool sync;         /* fdatasync/fsync at each commit; false (no sync at all, MDB_NOSYNC) only
                        * for tests and benchmarks */
    uint64_t segment_bytes; /* roll to a new segment file when a record would take the current
                             * one past this; a larger payload gets a segment of its own;
                             * 0 = FLOW_STORE_SEGMENT_BYTES (tests set it small) */
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
 * LMDB map. @cfg is copied; @log is borrowed for the store's life. Recovers from a crash: the
 * current segment is cut back to its committed length and later segments are removed.
 *
 * Returns NULL after logging why: invalid config, the directory cannot be created, another
 * process has the store open for writing, the store is of another format (one made by an older
 * or a newer build: no migration exists), the current segment is missing or shorter than its
 * committed length, or LMDB refuses the environment (corrupt files, out of memory).
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
 * @announced: the stream epoch the sensor's Hello announced, 0 if none is known. The caller
 * must have authenticated the Hello as the sensor's (CURVE binds the sensor id to its key).
 *
 * Returns FLOW_STORE_ERROR, logged, when no transaction is open, @sensor_id is not 1..64 bytes,
 * or the sensor's state cannot be read (then abort: the transaction may be unusable).
 */
enum flow_store_verdict flow_store_decide(struct flow_store *st, const char *sensor_id,
                                          uint64_t epoch, uint64_t announced, uint64_t seq,
                                          uint64_t oldest_held, uint64_t *expected, uint64_t *gap);

/*
 * flow_store_apply() - apply a batch that flow_store_decide() answered APPLY to (with @gap),
 * in the open transaction: append @envelope (@len bytes, copied: the batch's whole wire envelope,
 * which wire_open() has checked; its checksum is taken, not recomputed) to the current segment
 * and index it under (sensor_id, epoch, seq), set the sensor's epoch to @epoch and its
 * hwm to @seq, add @records and @gap to its counts. Nothing of it is durable or visible to a
 * scan before flow_store_commit(). With @rejected no payload is stored and rejected_batches
 * counts it: a batch that will never be valid must not block the ones after it. Allocates
 * nothing.
 *
 * Returns 0, or
 *   -EINVAL   no transaction open, invalid @sensor_id, @envelope NULL or shorter than
 *             WIRE_OVERHEAD (for a batch not @rejected, whose envelope is ignored), or the
 *             batch is not one decide() would answer APPLY to with this @gap; the transaction
 *             stays open and unchanged;
 *   -ENOSPC   the LMDB map is full ("raise store.map_size", logged) or the disk is ("disk
 *             full", logged);
 *   -EIO      another LMDB or segment write failure or an unreadable stored state (logged; a
 *             negative errno instead when the call gives one, -ENOMEM say).
 * After any error but -EINVAL the transaction has been aborted: everything since
 * flow_store_begin() is gone and none of it may be acknowledged. The group stays failed until
 * flow_store_commit() returns the same error or flow_store_abort() is called: until then
 * flow_store_begin() and flow_store_apply() return it and flow_store_decide() FLOW_STORE_ERROR.
 */
int flow_store_apply(struct flow_store *st, const char *sensor_id, uint64_t epoch, uint64_t seq,
                     uint64_t gap, const void *envelope, size_t len, uint32_t records,
                     bool rejected);

/*
 * flow_store_commit() - make the group durable: fdatasync the segments it appended to, then
 * commit the LMDB transaction with the new segment tail; 0 when nothing is open. When it
 * returns 0 the batches are durable (synced, unless config.sync is false) and may be
 * acknowledged; not before.
 *
 * Returns 0, -ENOSPC (map or disk full), or -EIO or another negative errno (the disk, usually);
 * or the error of a flow_store_apply() that dropped this group. On failure everything since
 * flow_store_begin() is gone (logged; its segment bytes are cut off) and the caller must not
 * acknowledge any of it.
 */
int flow_store_commit(struct flow_store *st);

/* flow_store_abort() - drop everything since flow_store_begin() (the transaction, and the
 * segment bytes appended since, which are cut off) and forget a failed group. */
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
    const uint8_t *payload; /* the FlowBatch protobuf payload, read from its segment, its
                             * envelope checked (wire_open(): XXH3-64 and header), in the
                             * scan's buffer */
    size_t len;
};

/* Return non-zero to stop the scan; the scan returns that value. */
typedef int flow_store_batch_fn(void *ctx, const struct flow_store_batch *b);
typedef int flow_store_sensor_fn(void *ctx, const char *sensor_id,
                                 const struct flow_store_sensor *s);

/*
 * flow_store_scan() - call @fn for every stored batch of the store in @dir, in key order (id
 * length, id, epoch, seq), from one read-only snapshot of the index. For another process than
 * the writer's (see the top of this file); the writer is never blocked. Allocates a buffer as
 * large as the largest payload.
 *
 * Returns 0 after the last batch, @fn's non-zero value if it stopped the scan, or (logged)
 * -ENOENT (no store in @dir), -EIO (LMDB failure, a store of another format, a malformed key
 * or index value, or a damaged batch: its segment missing or too short, its record header, its
 * envelope or its XXH3-64 wrong; the log names the segment and offset), -ENOMEM, or another
 * negative errno.
 * The batches before a damaged one have been passed to @fn.
 */
int flow_store_scan(const char *dir, flow_store_batch_fn *fn, void *ctx, struct log *log);

/* flow_store_scan_sensors() - the same for the per-sensor states, in sensor id order. */
int flow_store_scan_sensors(const char *dir, flow_store_sensor_fn *fn, void *ctx, struct log *log);

#endif
