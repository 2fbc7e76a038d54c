/*
 * Spool: the sensor's store of FlowBatch envelopes that an aggregator has not acknowledged yet,
 * one stream per aggregator, in one LMDB environment (data.mdb and lock.mdb in a directory).
 *
 * Each stream numbers its batches 1, 2, 3, ... and the numbering survives restarts. A byte cap
 * covers the batches of every stream together: when an append would go over it, the oldest batch
 * of the stream holding the most bytes is dropped (again until the new batch fits), counted and
 * logged.
 *
 * Durability: appends are not synced (MDB_NOSYNC | MDB_NOMETASYNC) so the packet path stays
 * quick. A killed process loses nothing; a power cut may lose what was appended since the last
 * spool_sync(), and the stream's numbering then goes back to what that sync wrote. Each stream's
 * synced mark (spool_stream_stats().synced) says which sequences a power cut can no longer take
 * back: a batch must not leave the sensor before the mark covers it, or a later batch could
 * reuse its sequence (docs/PROTOCOL.md, "What is durable when").
 *
 * Threads: a spool belongs to one thread at a time; it may be created in one thread and used in
 * another. Two processes must not open the same directory.
 */
#ifndef UMBRA_SENSOR_SPOOL_H
#define UMBRA_SENSOR_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct log;
struct spool;

/* Streams per spool. */
#define SPOOL_STREAMS_MAX 64
/* Longest stream name in bytes: LMDB keys stop at 511 bytes and the name goes into two keys. */
#define SPOOL_NAME_MAX 255
/* Bytes of header stored in front of each batch (records, reserved); not counted in the cap. */
#define SPOOL_HEADER_LEN 8

struct spool_config {
    const char *dir;                 /* created (0700) if missing, parent must exist; holds
                                        data.mdb and lock.mdb */
    uint64_t max_bytes;              /* cap on the bytes of stored batches, all streams */
    uint32_t n_streams;              /* 1..SPOOL_STREAMS_MAX */
    const char *const *stream_names; /* n_streams distinct names of 1..SPOOL_NAME_MAX bytes (e.g.
                                        "tcp://10.0.0.1:7000"); a stream is found again by its
                                        name after a restart */
};

struct spool_stream_stats {
    uint64_t batches, bytes;                   /* held now; bytes of batch data */
    uint64_t oldest, next_seq;                 /* oldest held seq (0 if none); next append's seq */
    uint64_t appended, removed;                /* since spool_create() */
    uint64_t dropped_batches, dropped_records; /* at the cap or on a full map, since create */
    uint64_t synced; /* highest sequence on disk: appended before the last successful
                        spool_sync() or the open; next_seq - 1 when everything is */
};

/*
 * spool_create() - open (or create) the spool in @cfg->dir. Everything in @cfg is copied.
 *
 * The LMDB map is 2 * max_bytes + 64 MiB: room for the batches, LMDB's page overhead and the
 * free pages a copy-on-write B-tree needs. Streams in the file whose names are not in @cfg are
 * logged as a warning and left alone: not readable, not counted in the cap, never dropped. If
 * the file holds more than max_bytes (the cap was lowered), the next append drops down to it.
 * What the file holds is synced once at the open, so every stream starts with its synced mark at
 * next_seq - 1 (if that sync fails it is logged and the marks start at 0).
 *
 * Returns the spool, or NULL after logging why (invalid @cfg, mkdir or LMDB failure, a file of
 * another format, out of memory).
 */
struct spool *spool_create(const struct spool_config *cfg, struct log *log);

/* spool_destroy() - sync, close, free and set *@sp to NULL. NULL-safe (also *@sp NULL). */
void spool_destroy(struct spool **sp);

/* spool_epoch() - wall-clock ns at which this spool's file was first created; kept in the file,
 * so the same after a reopen (a new file gets a new epoch). */
uint64_t spool_epoch(const struct spool *sp);

/* spool_next_seq() - the sequence @stream's next append must carry (1 for a new stream); 0 if
 * @stream is out of range. */
uint64_t spool_next_seq(const struct spool *sp, uint32_t stream);

/*
 * spool_append() - store one batch as @stream's next sequence.
 * @seq:      must be spool_next_seq(); the caller has already written it into the batch.
 * @data:     @len bytes, copied; may be NULL when @len is 0.
 * @records:  records in the batch, for the drop counters.
 *
 * While the batches held plus @len exceed max_bytes, the oldest batch of the stream holding the
 * most bytes (lowest index on a tie; @stream itself included) is dropped, counted in that
 * stream's dropped_batches and dropped_records, and logged; these drops commit together with the
 * batch and the stream's next sequence. If LMDB still finds its map full (page overhead beyond
 * the byte accounting), one more batch is dropped the same way, in a transaction of its own (LMDB
 * reuses freed pages only after later commits), and the append retried, up to 16 times. If not
 * even a drop can commit, the map grows by 1 MiB, at most 16 MiB per process (logged as an
 * error). Allocates nothing of its own.
 *
 * Returns 0, or
 *   -EINVAL    @stream out of range, @seq is not spool_next_seq(), or @data NULL with @len > 0;
 *   -EMSGSIZE  @len alone exceeds max_bytes: nothing stored or dropped, next_seq unchanged
 *              (logged; the caller counts the batch as dropped);
 *   -ENOSPC    the map stayed full after the retries (logged; the drops made stay made);
 *   -EIO or another negative errno on an LMDB failure (logged with mdb_strerror).
 * On any other error nothing changes.
 */
int spool_append(struct spool *sp, uint32_t stream, uint64_t seq, const void *data, size_t len,
                 uint32_t records);

/*
 * spool_read() - copy the first batch of @stream with sequence >= @from into @buf.
 * @buf, @cap:  where to copy; @buf may be NULL when @cap is 0 (to learn the size).
 * @seq:        set to the batch's sequence on 0 and on -EMSGSIZE.
 * @len:        set to the batch's length on 0 and on -EMSGSIZE.
 *
 * A damaged entry met on the way (a value shorter than its header) is logged, removed, counted
 * in spool_corrupt() and skipped. Allocates nothing of its own.
 *
 * Returns 0, or
 *   -ENOENT    no batch of @stream at or after @from;
 *   -EMSGSIZE  the batch needs more than @cap bytes (nothing copied);
 *   -EINVAL    @stream out of range, @seq or @len NULL, or @buf NULL with @cap > 0;
 *   -EIO or another negative errno on an LMDB failure (logged).
 */
int spool_read(struct spool *sp, uint32_t stream, uint64_t from, uint64_t *seq, void *buf,
               size_t cap, size_t *len);

/*
 * spool_remove() - forget @stream's batch @seq (acknowledged).
 *
 * Returns 0, or -ENOENT if it is not held (already removed or dropped: harmless), -EINVAL for
 * @stream out of range, -EIO etc. on an LMDB failure (logged).
 */
int spool_remove(struct spool *sp, uint32_t stream, uint64_t seq);

/*
 * spool_remove_below() - forget every batch of @stream with sequence < @seq, in one transaction.
 *
 * Returns how many were removed (INT_MAX if more), or -EINVAL for @stream out of range, -EIO etc.
 * on an LMDB failure (logged; nothing removed).
 */
int spool_remove_below(struct spool *sp, uint32_t stream, uint64_t seq);

/* spool_stream_stats() - @stream's numbers into @st; all zero if @stream is out of range. */
void spool_stream_stats(const struct spool *sp, uint32_t stream, struct spool_stream_stats *st);

/*
 * spool_sync() - flush everything appended so far to disk (fsync: milliseconds, not for the
 * packet path) and move every stream's synced mark to its next_seq - 1.
 *
 * Returns 0, or a negative errno (logged); the marks then stay where they were.
 */
int spool_sync(struct spool *sp);

/* spool_bytes() - bytes of batch data held now, all configured streams. */
uint64_t spool_bytes(const struct spool *sp);

/* spool_corrupt() - damaged entries found and removed since spool_create(). */
uint64_t spool_corrupt(const struct spool *sp);

#endif
