/*
 * Spool: owns the LMDB environment of unacknowledged batches and the byte accounting that keeps
 * it under its cap. It does not know what a batch holds, when to send or resend one (the
 * exporter builds, numbers and sends batches) or when to sync (the exporter calls spool_sync()).
 *
 * In the environment: one named database per stream, "stream:<name>", keyed by the 8-byte
 * big-endian sequence so that cursor order is sequence order, each value a header (records u32
 * BE, reserved u32 0) then the batch; and "meta", holding "format" (u32 BE), "epoch" (u64 BE)
 * and per stream "seq:<name>" (u64 BE, the next sequence), written in the same transaction as
 * the batch that advances it.
 *
 * Held bytes and batches per stream live in memory, counted by a cursor scan at open. A write
 * transaction works on a copy of them (the tx fields) that replaces the committed copy only once
 * LMDB has committed, so an append that fails half-way leaves memory agreeing with the file.
 */
#include "sensor/spool.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <lmdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"

#define SPOOL_FORMAT 1
/*
 * The map is 2 * max_bytes + MAP_SLACK. Twice the data because a copy-on-write B-tree keeps the
 * pages freed by the last transactions until it can reuse them and leaf pages run half full
 * after splits; the slack covers the branch pages, the free list and batches far smaller than a
 * page, whose per-entry overhead (node header and key, ~24 bytes) is not in the accounting.
 */
#define MAP_SLACK (64ull << 20)
/* Streams in the file but not in the configuration that open() counts; more are only named. */
#define FOREIGN_MAX 64
/* Batches dropped one by one on MDB_MAP_FULL before the append gives up. */
#define MAP_FULL_RETRIES 16
/*
 * When the map is so full that not even a drop can commit (every transaction needs a few fresh
 * pages to copy on write, and LMDB has no other way out), the map grows by MAP_GROW_STEP: 256
 * pages, far more than a drop's path copies and free-list update. At most MAP_GROW_MAX per
 * process, so a spool whose accounting is badly off still has a hard ceiling.
 */
#define MAP_GROW_STEP (1u << 20)
#define MAP_GROW_MAX  (16u << 20)

#define DB_PREFIX  "stream:"
#define SEQ_PREFIX "seq:"
#define SEQ_LEN    8
/* LMDB's default MDB_MAXKEYSIZE; Debian builds it unchanged. */
#define KEY_MAX 511

_Static_assert(sizeof(SEQ_PREFIX) - 1 + SPOOL_NAME_MAX <= KEY_MAX, "seq key fits an LMDB key");
_Static_assert(sizeof(DB_PREFIX) - 1 + SPOOL_NAME_MAX <= KEY_MAX, "db name fits an LMDB key");

struct stream {
    MDB_dbi dbi;
    MDB_cursor *rcur;                     /* on spool.rtxn, renewed per read */
    struct spool_stream_stats st;         /* committed */
    struct spool_stream_stats tx;         /* inside the current write transaction */
    uint64_t tx_drops, tx_drop_records;   /* dropped in the current write transaction */
    uint64_t tx_drop_first, tx_drop_last; /* their sequences */
    size_t seq_key_len;
    char seq_key[sizeof(SEQ_PREFIX) + SPOOL_NAME_MAX]; /* "seq:<name>", key in meta */
    char db_name[sizeof(DB_PREFIX) + SPOOL_NAME_MAX];  /* "stream:<name>" */
    const char *name;                                  /* inside db_name */
};

struct spool {
    MDB_env *env;
    MDB_dbi meta;
    MDB_txn *rtxn; /* read-only, reset between reads so it never pins old pages */
    struct log *log;
    char dir[PATH_MAX];
    uint64_t max_bytes;
    uint64_t bytes, tx_bytes; /* committed, and inside the current write transaction */
    uint64_t epoch;           /* wall ns */
    uint64_t corrupt;
    size_t grown; /* bytes the map has grown by since open */
    uint32_t n_streams;
    struct stream streams[];
};

static int open_reader(struct spool *sp);
static void close_reader(struct spool *sp);

UMBRA_TESTABLE struct spool *spool_create_mapped(const struct spool_config *cfg, size_t map_size,
                                                 struct log *log);

static int errno_of(int mdb_rc)
{
    if (mdb_rc > 0)
        return -mdb_rc; /* LMDB passes system errors through as errno values */
    switch (mdb_rc) {
    case 0:
        return 0;
    case MDB_NOTFOUND:
        return -ENOENT;
    case MDB_MAP_FULL:
        return -ENOSPC;
    default:
        return -EIO;
    }
}

/* Log an LMDB failure once, where the spool gives up on the call, and convert its code. */
static int fail(struct spool *sp, const char *what, const struct stream *s, int mdb_rc)
{
    log_err(sp->log, "spool: %s failed dir=%s stream=\"%s\" reason=\"%s\"", what, sp->dir,
            s != NULL ? s->name : "", mdb_strerror(mdb_rc));
    return errno_of(mdb_rc);
}

static uint64_t sub_sat(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

static uint64_t key_seq(const MDB_val *k)
{
    return k->mv_size == SEQ_LEN ? rd_be64(k->mv_data) : 0;
}

static bool entry_damaged(const MDB_val *k, const MDB_val *v)
{
    return k->mv_size != SEQ_LEN || v->mv_size < SPOOL_HEADER_LEN;
}

static uint64_t value_bytes(const MDB_val *v)
{
    return v->mv_size >= SPOOL_HEADER_LEN ? v->mv_size - SPOOL_HEADER_LEN : 0;
}

static uint32_t value_records(const MDB_val *v)
{
    return v->mv_size >= SPOOL_HEADER_LEN ? rd_be32(v->mv_data) : 0;
}

static int wtxn_begin(struct spool *sp, MDB_txn **txn)
{
    int rc = mdb_txn_begin(sp->env, NULL, 0, txn);
    if (rc != 0)
        return rc;
    for (uint32_t i = 0; i < sp->n_streams; i++) {
        struct stream *s = &sp->streams[i];
        s->tx = s->st;
        s->tx_drops = 0;
        s->tx_drop_records = 0;
        s->tx_drop_first = 0;
        s->tx_drop_last = 0;
    }
    sp->tx_bytes = sp->bytes;
    return 0;
}

static int wtxn_commit(struct spool *sp, MDB_txn *txn)
{
    int rc = mdb_txn_commit(txn);
    if (rc != 0)
        return rc;
    for (uint32_t i = 0; i < sp->n_streams; i++)
        sp->streams[i].st = sp->streams[i].tx;
    sp->bytes = sp->tx_bytes;
    return 0;
}

/*
 * Delete @key (or the oldest entry when @key is NULL) from @s inside @txn and account for it.
 * MDB_NOTFOUND if there is no such entry.
 */
static int del_entry(struct spool *sp, MDB_txn *txn, struct stream *s, const MDB_val *key,
                     uint64_t *seq, uint32_t *records)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi, &cur);
    if (rc != 0)
        return rc;
    MDB_val k = {0, NULL}, v;
    if (key != NULL) {
        k = *key;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
    } else {
        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    }
    if (rc == 0) {
        uint64_t bytes = value_bytes(&v);
        *seq = key_seq(&k);
        *records = value_records(&v);
        rc = mdb_cursor_del(cur, 0);
        if (rc == 0) {
            s->tx.batches = sub_sat(s->tx.batches, 1);
            s->tx.bytes = sub_sat(s->tx.bytes, bytes);
            sp->tx_bytes = sub_sat(sp->tx_bytes, bytes);
            rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
            s->tx.oldest = rc == 0 ? key_seq(&k) : 0;
            if (rc == MDB_NOTFOUND)
                rc = 0;
        }
    }
    mdb_cursor_close(cur);
    return rc;
}

/* The stream a drop takes from: the most bytes held, the lowest index on a tie; NULL if none
 * holds a batch. */
static struct stream *largest_stream(struct spool *sp)
{
    struct stream *best = NULL;
    for (uint32_t i = 0; i < sp->n_streams; i++) {
        struct stream *s = &sp->streams[i];
        if (s->tx.batches > 0 && (best == NULL || s->tx.bytes > best->tx.bytes))
            best = s;
    }
    return best;
}

static int drop_oldest(struct spool *sp, MDB_txn *txn, struct stream *s)
{
    uint64_t seq = 0;
    uint32_t records = 0;
    int rc = del_entry(sp, txn, s, NULL, &seq, &records);
    if (rc == MDB_NOTFOUND) {
        /* Memory said batches were held and the file has none: believe the file. */
        sp->tx_bytes = sub_sat(sp->tx_bytes, s->tx.bytes);
        s->tx.batches = 0;
        s->tx.bytes = 0;
        s->tx.oldest = 0;
        return 0;
    }
    if (rc != 0)
        return rc;
    s->tx.dropped_batches++;
    s->tx.dropped_records += records;
    if (s->tx_drops++ == 0)
        s->tx_drop_first = seq;
    s->tx_drop_last = seq;
    s->tx_drop_records += records;
    return 0;
}

/* Drop until @len more bytes fit under the cap. */
static int make_room(struct spool *sp, MDB_txn *txn, size_t len)
{
    while (sp->tx_bytes + len > sp->max_bytes) {
        struct stream *s = largest_stream(sp);
        if (s == NULL)
            return 0; /* nothing left to drop; the put decides */
        int rc = drop_oldest(sp, txn, s);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int put_batch(struct spool *sp, MDB_txn *txn, struct stream *s, uint64_t seq,
                     const void *data, size_t len, uint32_t records)
{
    uint8_t kb[SEQ_LEN];
    wr_be64(kb, seq);
    MDB_val k = {sizeof(kb), kb};
    MDB_val v = {len + SPOOL_HEADER_LEN, NULL};
    /* MDB_RESERVE: the batch is copied once, straight into the map. */
    int rc = mdb_put(txn, s->dbi, &k, &v, MDB_RESERVE | MDB_APPEND);
    if (rc == MDB_KEYEXIST) /* only a foreign key sorting after ours, in a tampered file */
        rc = mdb_put(txn, s->dbi, &k, &v, MDB_RESERVE | MDB_NOOVERWRITE);
    if (rc != 0)
        return rc;
    uint8_t *p = v.mv_data;
    wr_be32(p, records);
    wr_be32(p + 4, 0);
    if (len > 0)
        memcpy(p + SPOOL_HEADER_LEN, data, len);

    uint8_t nb[SEQ_LEN];
    wr_be64(nb, seq + 1);
    MDB_val mk = {s->seq_key_len, s->seq_key};
    MDB_val mv = {sizeof(nb), nb};
    rc = mdb_put(txn, sp->meta, &mk, &mv, 0);
    if (rc != 0)
        return rc;
    s->tx.batches++;
    s->tx.bytes += len;
    sp->tx_bytes += len;
    if (s->tx.oldest == 0)
        s->tx.oldest = seq;
    s->tx.next_seq = seq + 1;
    s->tx.appended++;
    return 0;
}

static int append_once(struct spool *sp, struct stream *s, uint64_t seq, const void *data,
                       size_t len, uint32_t records)
{
    MDB_txn *txn;
    int rc = wtxn_begin(sp, &txn);
    if (rc != 0)
        return rc;
    rc = make_room(sp, txn, len);
    if (rc == 0)
        rc = put_batch(sp, txn, s, seq, data, len, records);
    if (rc != 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    return wtxn_commit(sp, txn);
}

/* After a commit: one line per stream that lost batches, so no drop goes unlogged. */
static void log_drops(struct spool *sp, const char *reason)
{
    for (uint32_t i = 0; i < sp->n_streams; i++) {
        const struct stream *s = &sp->streams[i];
        if (s->tx_drops == 0)
            continue;
        log_warn(sp->log,
                 "spool: dropped oldest batches reason=%s stream=\"%s\" batches=%" PRIu64
                 " records=%" PRIu64 " seq_first=%" PRIu64 " seq_last=%" PRIu64
                 " held_bytes=%" PRIu64 " max_bytes=%" PRIu64,
                 reason, s->name, s->tx_drops, s->tx_drop_records, s->tx_drop_first,
                 s->tx_drop_last, sp->bytes, sp->max_bytes);
    }
}

/*
 * One batch dropped for a full map, in a transaction of its own: LMDB reuses a freed page only two
 * commits later (the previous snapshot stays intact for a crash), so a drop inside the
 * transaction that found the map full could never make room for it.
 */
static int drop_for_room(struct spool *sp)
{
    MDB_txn *txn;
    int rc = wtxn_begin(sp, &txn);
    if (rc != 0)
        return rc;
    struct stream *victim = largest_stream(sp);
    rc = victim != NULL ? drop_oldest(sp, txn, victim) : MDB_MAP_FULL;
    if (rc != 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    rc = wtxn_commit(sp, txn);
    if (rc == 0)
        log_drops(sp, "map_full");
    return rc;
}

/* The way out when even a drop finds the map full (see MAP_GROW_STEP). */
static int grow_map(struct spool *sp)
{
    if (sp->grown + MAP_GROW_STEP > MAP_GROW_MAX)
        return MDB_MAP_FULL;
    MDB_envinfo info;
    int rc = mdb_env_info(sp->env, &info);
    if (rc != 0)
        return rc;
    /* LMDB remaps only with no transaction open in the process, the reader included. */
    close_reader(sp);
    rc = mdb_env_set_mapsize(sp->env, info.me_mapsize + MAP_GROW_STEP);
    int rc2 = open_reader(sp);
    if (rc != 0 || rc2 != 0)
        return rc != 0 ? rc : rc2;
    sp->grown += MAP_GROW_STEP;
    log_err(sp->log,
            "spool: LMDB map full with no page left to drop a batch, map grown dir=%s"
            " map_bytes=%zu grown_bytes=%zu grown_max=%u held_bytes=%" PRIu64,
            sp->dir, info.me_mapsize + MAP_GROW_STEP, sp->grown, MAP_GROW_MAX, sp->bytes);
    return 0;
}

int spool_append(struct spool *sp, uint32_t stream, uint64_t seq, const void *data, size_t len,
                 uint32_t records)
{
    if (stream >= sp->n_streams || (data == NULL && len > 0))
        return -EINVAL;
    struct stream *s = &sp->streams[stream];
    if (seq != s->st.next_seq)
        return -EINVAL;
    if (len > sp->max_bytes) {
        log_warn(sp->log,
                 "spool: batch larger than the cap, not stored stream=\"%s\" seq=%" PRIu64
                 " len=%zu records=%" PRIu32 " max_bytes=%" PRIu64,
                 s->name, seq, len, records, sp->max_bytes);
        return -EMSGSIZE;
    }
    int rc = append_once(sp, s, seq, data, len, records);
    for (unsigned attempt = 1; rc == MDB_MAP_FULL && attempt <= MAP_FULL_RETRIES; attempt++) {
        log_warn(sp->log,
                 "spool: LMDB map full below the cap, dropping one more batch stream=\"%s\""
                 " seq=%" PRIu64 " attempt=%u held_bytes=%" PRIu64 " max_bytes=%" PRIu64,
                 s->name, seq, attempt, sp->bytes, sp->max_bytes);
        rc = drop_for_room(sp);
        if (rc == MDB_MAP_FULL && grow_map(sp) == 0)
            rc = drop_for_room(sp);
        if (rc == 0)
            rc = append_once(sp, s, seq, data, len, records);
    }
    if (rc != 0)
        return fail(sp, "append", s, rc);
    log_drops(sp, "cap");
    return 0;
}

/*
 * Within the read transaction: the first entry of @s at or after @from. Copies the batch when it
 * fits @cap; sets *@damaged (and the key, to remove it) instead when the entry is not ours.
 */
static int read_first(struct spool *sp, struct stream *s, uint64_t from, uint64_t *seq, void *buf,
                      size_t cap, size_t *len, uint8_t *bad_key, size_t *bad_len)
{
    /* Only a failed map growth leaves no reader; try again. */
    int rc = sp->rtxn == NULL ? open_reader(sp) : 0;
    if (rc == 0)
        rc = mdb_txn_renew(sp->rtxn);
    if (rc != 0)
        return rc;
    rc = mdb_cursor_renew(sp->rtxn, s->rcur);
    if (rc == 0) {
        uint8_t kb[SEQ_LEN];
        wr_be64(kb, from);
        MDB_val k = {sizeof(kb), kb}, v;
        rc = mdb_cursor_get(s->rcur, &k, &v, MDB_SET_RANGE);
        if (rc == 0 && entry_damaged(&k, &v)) {
            memcpy(bad_key, k.mv_data, k.mv_size);
            *bad_len = k.mv_size;
        } else if (rc == 0) {
            *seq = key_seq(&k);
            *len = v.mv_size - SPOOL_HEADER_LEN;
            if (*len <= cap && *len > 0)
                memcpy(buf, (const uint8_t *)v.mv_data + SPOOL_HEADER_LEN, *len);
        }
    }
    mdb_txn_reset(sp->rtxn);
    return rc;
}

static int remove_damaged(struct spool *sp, struct stream *s, const uint8_t *key, size_t klen)
{
    MDB_txn *txn;
    int rc = wtxn_begin(sp, &txn);
    if (rc != 0)
        return rc;
    MDB_val k = {klen, (void *)key};
    uint64_t seq;
    uint32_t records;
    rc = del_entry(sp, txn, s, &k, &seq, &records);
    if (rc != 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    return wtxn_commit(sp, txn);
}

int spool_read(struct spool *sp, uint32_t stream, uint64_t from, uint64_t *seq, void *buf,
               size_t cap, size_t *len)
{
    if (stream >= sp->n_streams || seq == NULL || len == NULL || (buf == NULL && cap > 0))
        return -EINVAL;
    struct stream *s = &sp->streams[stream];
    uint8_t bad_key[KEY_MAX];
    for (;;) {
        size_t bad_len = 0;
        int rc = read_first(sp, s, from, seq, buf, cap, len, bad_key, &bad_len);
        if (rc == MDB_NOTFOUND)
            return -ENOENT;
        if (rc != 0)
            return fail(sp, "read", s, rc);
        if (bad_len == 0)
            return *len <= cap ? 0 : -EMSGSIZE;
        log_warn(sp->log,
                 "spool: damaged entry removed stream=\"%s\" key_len=%zu seq=%" PRIu64
                 " from=%" PRIu64,
                 s->name, bad_len, bad_len == SEQ_LEN ? rd_be64(bad_key) : 0, from);
        rc = remove_damaged(sp, s, bad_key, bad_len);
        if (rc != 0)
            return fail(sp, "remove damaged entry", s, rc);
        sp->corrupt++;
        /* The same @from again: the damaged entry is gone, so the search moves past it. */
    }
}

/* The start of a public call named @what that writes to @stream: its stream and a write
 * transaction, or -EINVAL for a stream that does not exist, or the logged failure to begin. */
static int begin_on_stream(struct spool *sp, uint32_t stream, const char *what, struct stream **s,
                           MDB_txn **txn)
{
    if (stream >= sp->n_streams)
        return -EINVAL;
    *s = &sp->streams[stream];
    int rc = wtxn_begin(sp, txn);
    return rc == 0 ? 0 : fail(sp, what, *s, rc);
}

int spool_remove(struct spool *sp, uint32_t stream, uint64_t seq)
{
    struct stream *s;
    MDB_txn *txn;
    int rc = begin_on_stream(sp, stream, "remove", &s, &txn);
    if (rc != 0)
        return rc;
    uint8_t kb[SEQ_LEN];
    wr_be64(kb, seq);
    MDB_val k = {sizeof(kb), kb};
    uint64_t got;
    uint32_t records;
    rc = del_entry(sp, txn, s, &k, &got, &records);
    if (rc != 0) {
        mdb_txn_abort(txn);
        return rc == MDB_NOTFOUND ? -ENOENT : fail(sp, "remove", s, rc);
    }
    s->tx.removed++;
    rc = wtxn_commit(sp, txn);
    return rc == 0 ? 0 : fail(sp, "remove", s, rc);
}

static int remove_below_txn(struct spool *sp, MDB_txn *txn, struct stream *s, uint64_t seq,
                            uint64_t *n)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi, &cur);
    if (rc != 0)
        return rc;
    MDB_val k, v;
    /* Deleting from the front: the next victim is always the first entry. */
    while ((rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) == 0 && key_seq(&k) < seq) {
        uint64_t bytes = value_bytes(&v);
        rc = mdb_cursor_del(cur, 0);
        if (rc != 0)
            break;
        s->tx.batches = sub_sat(s->tx.batches, 1);
        s->tx.bytes = sub_sat(s->tx.bytes, bytes);
        sp->tx_bytes = sub_sat(sp->tx_bytes, bytes);
        s->tx.removed++;
        (*n)++;
    }
    if (rc == 0)
        s->tx.oldest = key_seq(&k);
    else if (rc == MDB_NOTFOUND)
        s->tx.oldest = 0;
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int spool_remove_below(struct spool *sp, uint32_t stream, uint64_t seq)
{
    struct stream *s;
    MDB_txn *txn;
    int rc = begin_on_stream(sp, stream, "remove_below", &s, &txn);
    if (rc != 0)
        return rc;
    uint64_t n = 0;
    rc = remove_below_txn(sp, txn, s, seq, &n);
    if (rc != 0) {
        mdb_txn_abort(txn);
        return fail(sp, "remove_below", s, rc);
    }
    rc = wtxn_commit(sp, txn);
    if (rc != 0)
        return fail(sp, "remove_below", s, rc);
    return n > INT_MAX ? INT_MAX : (int)n;
}

uint64_t spool_epoch(const struct spool *sp)
{
    return sp->epoch;
}

uint64_t spool_next_seq(const struct spool *sp, uint32_t stream)
{
    return stream < sp->n_streams ? sp->streams[stream].st.next_seq : 0;
}

void spool_stream_stats(const struct spool *sp, uint32_t stream, struct spool_stream_stats *st)
{
    if (stream < sp->n_streams)
        *st = sp->streams[stream].st;
    else
        memset(st, 0, sizeof(*st));
}

uint64_t spool_bytes(const struct spool *sp)
{
    return sp->bytes;
}

uint64_t spool_corrupt(const struct spool *sp)
{
    return sp->corrupt;
}

int spool_sync(struct spool *sp)
{
    int rc = mdb_env_sync(sp->env, 1);
    if (rc != 0)
        return fail(sp, "mdb_env_sync", NULL, rc);
    /* Every committed transaction is on disk now, each stream's next sequence with it. */
    for (uint32_t i = 0; i < sp->n_streams; i++) {
        struct stream *s = &sp->streams[i];
        s->st.synced = s->st.next_seq - 1;
    }
    return 0;
}

/* ---- opening ---- */

static bool config_ok(const struct spool_config *cfg, struct log *log)
{
    if (cfg == NULL || cfg->dir == NULL || cfg->dir[0] == '\0' || strlen(cfg->dir) >= PATH_MAX) {
        log_err(log, "spool: no usable directory given");
        return false;
    }
    if (cfg->max_bytes == 0 || cfg->max_bytes > (SIZE_MAX - MAP_SLACK) / 2) {
        log_err(log, "spool: max_bytes out of range dir=%s max_bytes=%" PRIu64, cfg->dir,
                cfg->max_bytes);
        return false;
    }
    if (cfg->n_streams == 0 || cfg->n_streams > SPOOL_STREAMS_MAX || cfg->stream_names == NULL) {
        log_err(log, "spool: stream count out of range dir=%s n_streams=%" PRIu32 " max=%d",
                cfg->dir, cfg->n_streams, SPOOL_STREAMS_MAX);
        return false;
    }
    for (uint32_t i = 0; i < cfg->n_streams; i++) {
        const char *name = cfg->stream_names[i];
        size_t n = name != NULL ? strlen(name) : 0;
        if (n == 0 || n > SPOOL_NAME_MAX) {
            log_err(log, "spool: stream name empty or too long dir=%s stream=%" PRIu32 " max=%d",
                    cfg->dir, i, SPOOL_NAME_MAX);
            return false;
        }
        for (uint32_t j = 0; j < i; j++) {
            if (strcmp(name, cfg->stream_names[j]) == 0) {
                log_err(log, "spool: stream name given twice dir=%s stream=\"%s\"", cfg->dir, name);
                return false;
            }
        }
    }
    return true;
}

static int open_env(struct spool *sp, size_t map_size)
{
    int rc = mdb_env_create(&sp->env);
    if (rc != 0)
        return fail(sp, "mdb_env_create", NULL, rc);
    /* Configured streams, meta, and foreign streams opened one at a time to be counted. */
    rc = mdb_env_set_maxdbs(sp->env, sp->n_streams + 1 + FOREIGN_MAX);
    if (rc == 0)
        rc = mdb_env_set_mapsize(sp->env, map_size);
    if (rc == 0) {
        /* MDB_NOTLS: reader slots follow the transaction, not the thread, so a spool created
         * by one thread can be used by another. */
        rc = mdb_env_open(sp->env, sp->dir, MDB_NOSYNC | MDB_NOMETASYNC | MDB_NOTLS, 0600);
    }
    if (rc != 0) {
        int err = fail(sp, "mdb_env_open", NULL, rc);
        mdb_env_close(sp->env);
        sp->env = NULL;
        return err;
    }
    return 0;
}

/* Read or set the format and epoch, inside the set-up transaction. */
static int open_meta(struct spool *sp, MDB_txn *txn)
{
    int rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &sp->meta);
    if (rc != 0)
        return rc;
    uint8_t b[8];
    MDB_val k = {6, "format"}, v;
    rc = mdb_get(txn, sp->meta, &k, &v);
    if (rc == 0 && (v.mv_size != 4 || rd_be32(v.mv_data) != SPOOL_FORMAT)) {
        log_err(sp->log,
                "spool: the file is of another format dir=%s format=%" PRIu32 " expected=%d",
                sp->dir, v.mv_size == 4 ? rd_be32(v.mv_data) : 0, SPOOL_FORMAT);
        return MDB_INCOMPATIBLE;
    }
    if (rc == MDB_NOTFOUND) {
        wr_be32(b, SPOOL_FORMAT);
        v = (MDB_val){4, b};
        rc = mdb_put(txn, sp->meta, &k, &v, 0);
    }
    if (rc != 0)
        return rc;
    k = (MDB_val){5, "epoch"};
    rc = mdb_get(txn, sp->meta, &k, &v);
    if (rc == 0 && v.mv_size == 8) {
        sp->epoch = rd_be64(v.mv_data);
        return 0;
    }
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    sp->epoch = clock_wall_ns();
    wr_be64(b, sp->epoch);
    v = (MDB_val){8, b};
    return mdb_put(txn, sp->meta, &k, &v, 0);
}

/* Count what @s holds and find its next sequence, inside the set-up transaction. */
static int open_stream(struct spool *sp, MDB_txn *txn, struct stream *s)
{
    int rc = mdb_dbi_open(txn, s->db_name, MDB_CREATE, &s->dbi);
    if (rc != 0)
        return rc;
    MDB_cursor *cur;
    rc = mdb_cursor_open(txn, s->dbi, &cur);
    if (rc != 0)
        return rc;
    MDB_val k, v;
    uint64_t last = 0, damaged = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (s->st.batches++ == 0)
            s->st.oldest = key_seq(&k);
        s->st.bytes += value_bytes(&v);
        damaged += entry_damaged(&k, &v);
        if (key_seq(&k) > last)
            last = key_seq(&k);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND)
        return rc;
    if (damaged > 0)
        log_warn(sp->log,
                 "spool: damaged entries found, removed when read dir=%s stream=\"%s\""
                 " damaged=%" PRIu64,
                 sp->dir, s->name, damaged);

    MDB_val mk = {s->seq_key_len, s->seq_key};
    uint64_t next = 1;
    rc = mdb_get(txn, sp->meta, &mk, &v);
    if (rc == 0 && v.mv_size == SEQ_LEN)
        next = rd_be64(v.mv_data);
    else if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    /* Never reuse a number still held, whatever meta says. */
    if (last >= next)
        next = last + 1;
    s->st.next_seq = next > 0 ? next : 1;
    sp->bytes += s->st.bytes;
    return 0;
}

static bool configured(const struct spool *sp, const char *name, size_t len)
{
    for (uint32_t i = 0; i < sp->n_streams; i++) {
        const char *own = sp->streams[i].name;
        if (strlen(own) == len && memcmp(own, name, len) == 0)
            return true;
    }
    return false;
}

/* Warn about each stream in the file that the configuration no longer names. Its handle is
 * opened in a read transaction that is then aborted, which closes it again. */
static void report_foreign(struct spool *sp)
{
    MDB_txn *txn;
    MDB_dbi main_db;
    MDB_cursor *cur;
    int rc = mdb_txn_begin(sp->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0) {
        fail(sp, "scan for unconfigured streams", NULL, rc);
        return;
    }
    rc = mdb_dbi_open(txn, NULL, 0, &main_db);
    if (rc == 0)
        rc = mdb_cursor_open(txn, main_db, &cur);
    if (rc != 0) {
        mdb_txn_abort(txn);
        fail(sp, "scan for unconfigured streams", NULL, rc);
        return;
    }
    const size_t plen = sizeof(DB_PREFIX) - 1;
    unsigned opened = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char db_name[KEY_MAX + 1];
        if (k.mv_size <= plen || k.mv_size > KEY_MAX || memcmp(k.mv_data, DB_PREFIX, plen) != 0)
            continue;
        memcpy(db_name, k.mv_data, k.mv_size);
        db_name[k.mv_size] = '\0';
        if (strlen(db_name) != k.mv_size || configured(sp, db_name + plen, k.mv_size - plen))
            continue;
        MDB_dbi dbi;
        MDB_stat ms = {0};
        int orc = opened < FOREIGN_MAX ? mdb_dbi_open(txn, db_name, 0, &dbi) : MDB_DBS_FULL;
        if (orc == 0) {
            opened++;
            orc = mdb_stat(txn, dbi, &ms);
        }
        if (orc == 0)
            log_warn(sp->log,
                     "spool: stream in the file is not configured, left alone and not counted"
                     " in the cap dir=%s stream=\"%s\" batches=%zu",
                     sp->dir, db_name + plen, ms.ms_entries);
        else
            log_warn(sp->log,
                     "spool: stream in the file is not configured, left alone and not counted"
                     " in the cap dir=%s stream=\"%s\" batches=unknown reason=\"%s\"",
                     sp->dir, db_name + plen, mdb_strerror(orc));
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
}

/* The set-up transaction: meta, then every configured stream, committed together. */
static int open_streams(struct spool *sp)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(sp->env, NULL, 0, &txn);
    if (rc != 0)
        return fail(sp, "set-up transaction", NULL, rc);
    rc = open_meta(sp, txn);
    if (rc != 0) {
        mdb_txn_abort(txn);
        return fail(sp, "open meta", NULL, rc);
    }
    for (uint32_t i = 0; i < sp->n_streams; i++) {
        rc = open_stream(sp, txn, &sp->streams[i]);
        if (rc != 0) {
            mdb_txn_abort(txn);
            return fail(sp, "open stream", &sp->streams[i], rc);
        }
    }
    rc = mdb_txn_commit(txn);
    return rc == 0 ? 0 : fail(sp, "set-up commit", NULL, rc);
}

static void close_reader(struct spool *sp)
{
    for (uint32_t i = 0; i < sp->n_streams; i++) {
        if (sp->streams[i].rcur != NULL)
            mdb_cursor_close(sp->streams[i].rcur);
        sp->streams[i].rcur = NULL;
    }
    if (sp->rtxn != NULL)
        mdb_txn_abort(sp->rtxn);
    sp->rtxn = NULL;
}

/* The read transaction and its cursors, left reset; on failure none of them. */
static int open_reader(struct spool *sp)
{
    int rc = mdb_txn_begin(sp->env, NULL, MDB_RDONLY, &sp->rtxn);
    if (rc != 0) {
        sp->rtxn = NULL;
        return rc;
    }
    for (uint32_t i = 0; i < sp->n_streams && rc == 0; i++)
        rc = mdb_cursor_open(sp->rtxn, sp->streams[i].dbi, &sp->streams[i].rcur);
    if (rc != 0) {
        close_reader(sp);
        return rc;
    }
    mdb_txn_reset(sp->rtxn);
    return 0;
}

static void init_streams(struct spool *sp, const struct spool_config *cfg)
{
    for (uint32_t i = 0; i < sp->n_streams; i++) {
        struct stream *s = &sp->streams[i];
        const char *name = cfg->stream_names[i];
        /* Lengths were checked against SPOOL_NAME_MAX, which the buffers are sized for. */
        snprintf(s->db_name, sizeof(s->db_name), "%s%s", DB_PREFIX, name);
        int n = snprintf(s->seq_key, sizeof(s->seq_key), "%s%s", SEQ_PREFIX, name);
        s->seq_key_len = (size_t)n;
        s->name = s->db_name + sizeof(DB_PREFIX) - 1;
    }
}

struct spool *spool_create_mapped(const struct spool_config *cfg, size_t map_size, struct log *log)
{
    if (!config_ok(cfg, log))
        return NULL;
    struct spool *sp = calloc(1, sizeof(*sp) + cfg->n_streams * sizeof(sp->streams[0]));
    if (sp == NULL) {
        log_err(log, "spool: out of memory dir=%s", cfg->dir);
        return NULL;
    }
    sp->log = log;
    sp->max_bytes = cfg->max_bytes;
    sp->n_streams = cfg->n_streams;
    snprintf(sp->dir, sizeof(sp->dir), "%s", cfg->dir);
    init_streams(sp, cfg);
    if (mkdir(sp->dir, 0700) != 0 && errno != EEXIST) {
        log_err(log, "spool: mkdir failed dir=%s reason=\"%s\"", sp->dir, umbra_strerror(-errno));
        free(sp);
        return NULL;
    }
    if (open_env(sp, map_size) != 0) {
        free(sp);
        return NULL;
    }
    if (open_streams(sp) != 0) {
        spool_destroy(&sp);
        return NULL;
    }
    int rc = open_reader(sp);
    if (rc != 0) {
        fail(sp, "open reader", NULL, rc);
        spool_destroy(&sp);
        return NULL;
    }
    report_foreign(sp);
    /* What an earlier run left may still be in the page cache only (a killed process does not
     * sync); from here on it counts as synced. A failure is logged and leaves the marks at 0. */
    spool_sync(sp);
    log_info(log,
             "spool: opened dir=%s streams=%" PRIu32 " held_bytes=%" PRIu64 " max_bytes=%" PRIu64
             " map_bytes=%zu epoch=%" PRIu64,
             sp->dir, sp->n_streams, sp->bytes, sp->max_bytes, map_size, sp->epoch);
    return sp;
}

struct spool *spool_create(const struct spool_config *cfg, struct log *log)
{
    if (!config_ok(cfg, log))
        return NULL;
    return spool_create_mapped(cfg, (size_t)(2 * cfg->max_bytes + MAP_SLACK), log);
}

void spool_destroy(struct spool **spp)
{
    struct spool *sp = spp != NULL ? *spp : NULL;
    if (sp == NULL)
        return;
    close_reader(sp);
    if (sp->env != NULL) {
        spool_sync(sp);
        mdb_env_close(sp->env);
    }
    free(sp);
    *spp = NULL;
}
