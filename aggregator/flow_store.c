/*
 * Flow store: owns the store directory (the LMDB environment with the batch index, the
 * per-sensor stream state and the meta record, and the append-only segment files that hold the
 * batches' payloads), the one write transaction that groups batches between begin and commit,
 * and the rule that decides whether a batch is new. It does not decode or validate batches
 * (batch_check and ingest do), does not talk to sensors and does not expire old batches.
 *
 * Why the payloads are not in LMDB: ingest was limited by LMDB's commit, which copies each value
 * twice (mdb_put into a dirty page, then the write) and writes the dirty pages with pwritev calls
 * of up to 64 page runs, tens of MB per call. On the benchmark VM one write syscall of many MB
 * into fresh page cache gets large folios whose first touch is very slow: writing 1.4 GB into a
 * new file on the same disk, pwritev of 64 x 700 KB ran at 400 MB/s, one pwrite of 700 KB per
 * call at 2,000 MB/s (an fdatasync every 125 MB included). MDB_WRITEMAP did not help. So each
 * payload is written once, as one record [header, payload, zero padding] at the tail of the
 * current segment, by the segment writer's thread (seg_writer.h: aligned, O_DIRECT where the
 * file system allows), and LMDB keeps a 33-byte pointer to it.
 *
 * Crash safety rests on one order: a group's segment bytes (fdatasync) and a new segment's
 * directory entry (fsync of the directory) are durable before the LMDB commit that references
 * them, and that commit also records the current segment and its committed length (meta). Bytes
 * past that length were never referenced: a dropped group truncates them at once, and
 * flow_store_create() truncates them, and removes later segments, after a crash.
 */
/* O_DIRECT, Linux: see seg_open(). */
#define _GNU_SOURCE

#include "aggregator/flow_store.h"
#include "aggregator/seg_writer.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/wire.h"

/* The "sensors" value: a format-version byte, then each field as 8 bytes big-endian. */
#define SENSOR_VAL_VERSION 1
#define SENSOR_VAL_FIELDS  7
#define SENSOR_VAL_LEN     (1 + SENSOR_VAL_FIELDS * 8)
_Static_assert(sizeof(struct flow_store_sensor) == SENSOR_VAL_FIELDS * sizeof(uint64_t),
               "a new field of struct flow_store_sensor needs a place in the stored value");

#define BATCH_KEY_MAX (1 + FLOW_STORE_ID_MAX + 8 + 8)

/* Format 1 kept the payloads inside LMDB and had no meta record; format 2 kept the bare payload
 * in each segment record, with an XXH3 of its own; format 3 is this layout. */
#define STORE_FORMAT 3

/* The "meta" value under META_KEY: format (4 bytes BE), current segment, its committed length. */
#define META_KEY "store"
#define META_LEN (4 + 8 + 8)

/* The "batches" value: format byte, segment, offset of the record, envelope length, the
 * envelope's XXH3-64. */
#define BATCH_VAL_FORMAT 1
#define BATCH_VAL_LEN    (1 + 4 * 8)

/* A segment record: magic, envelope length (8 bytes BE), the envelope's XXH3-64 (8 bytes BE),
 * then the wire envelope as it arrived. The header lets a reader check a record without trusting
 * the index. Keeping the envelope, not the bare payload, lets its checksum, which the receiver
 * has just verified, stand for the stored bytes: the loop hashes each batch once, not twice. */
#define REC_MAGIC     "UMBS"
#define REC_MAGIC_LEN 4
#define REC_HDR_LEN   (REC_MAGIC_LEN + 8 + 8)

/* "%016" PRIx64 ".seg": 16 hex digits, ".seg", NUL. */
#define SEG_NAME_LEN  20
#define SEG_NAME_SIZE (SEG_NAME_LEN + 1)

struct flow_store {
    MDB_env *env;
    MDB_dbi batches;
    MDB_dbi sensors;
    MDB_dbi meta;
    MDB_txn *txn;  /* the write transaction between begin and commit/abort; NULL if none */
    MDB_txn *rtxn; /* flow_store_sensor_get()'s, kept reset between calls; NULL until first */
    int failed;    /* why the group's transaction was dropped; 0 once commit or abort reports it */
    uint64_t map_size;
    uint64_t seg_bytes; /* roll to a new segment past this many bytes */
    bool sync;          /* config.sync: fdatasync the segments, fsync the directory */
    int dir_fd;         /* the store directory, flock'd while the store is open */
    /* Appending: segment @seg, open as @fd, is @tail bytes long with this group's records. */
    int fd;
    uint64_t seg;
    uint64_t tail;
    bool dirty; /* @fd has records not yet fdatasync'd */
    /* The committed position, in meta. When the group rolled past it, @base_fd keeps that
     * segment open so that a dropped group can cut it back; -1 otherwise. */
    uint64_t base_seg;
    uint64_t base_len;
    int base_fd;
    char *dir;
    struct log *log;
    struct seg_writer *writer; /* makes the appends, off the caller's thread */
    bool direct;               /* the appends go O_DIRECT (the file system took it) */
};

/* Ids go into keys and log lines: printable ASCII without spaces keeps both unambiguous. */
static size_t id_len(const char *id)
{
    if (id == NULL)
        return 0;
    size_t n = strnlen(id, FLOW_STORE_ID_MAX + 1);
    if (n > FLOW_STORE_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (id[i] <= ' ' || id[i] > '~')
            return 0;
    }
    return n;
}

static size_t batch_key(uint8_t *k, const char *id, size_t idlen, uint64_t epoch, uint64_t seq)
{
    k[0] = (uint8_t)idlen;
    memcpy(k + 1, id, idlen);
    wr_be64(k + 1 + idlen, epoch);
    wr_be64(k + 1 + idlen + 8, seq);
    return 1 + idlen + 16;
}

static void sensor_encode(const struct flow_store_sensor *s, uint8_t *out)
{
    const uint64_t f[SENSOR_VAL_FIELDS] = {
            s->epoch,        s->hwm,          s->batches, s->records, s->rejected_batches,
            s->batches_lost, s->last_apply_ts};
    out[0] = SENSOR_VAL_VERSION;
    for (size_t i = 0; i < SENSOR_VAL_FIELDS; i++)
        wr_be64(out + 1 + 8 * i, f[i]);
}

static int sensor_decode(const MDB_val *v, struct flow_store_sensor *s)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size != SENSOR_VAL_LEN || p[0] != SENSOR_VAL_VERSION)
        return -EIO;
    uint64_t f[SENSOR_VAL_FIELDS];
    for (size_t i = 0; i < SENSOR_VAL_FIELDS; i++)
        f[i] = rd_be64(p + 1 + 8 * i);
    *s = (struct flow_store_sensor){.epoch = f[0],
                                    .hwm = f[1],
                                    .batches = f[2],
                                    .records = f[3],
                                    .rejected_batches = f[4],
                                    .batches_lost = f[5],
                                    .last_apply_ts = f[6]};
    return 0;
}

/* 0, -ENOENT (zeroed *s) or -EIO (logged). */
static int sensor_read(struct flow_store *st, MDB_txn *txn, const char *id, size_t idlen,
                       struct flow_store_sensor *s)
{
    MDB_val k = {.mv_size = idlen, .mv_data = (void *)id};
    MDB_val v;
    memset(s, 0, sizeof(*s));
    int rc = mdb_get(txn, st->sensors, &k, &v);
    if (rc == MDB_NOTFOUND)
        return -ENOENT;
    if (rc != 0) {
        log_err(st->log, "flow_store: mdb_get(sensors) failed dir=%s sensor=%s reason=\"%s\"",
                st->dir, id, mdb_strerror(rc));
        return -EIO;
    }
    if (sensor_decode(&v, s) < 0) {
        log_err(st->log, "flow_store: unreadable sensor state dir=%s sensor=%s len=%zu", st->dir,
                id, v.mv_size);
        return -EIO;
    }
    return 0;
}

static void seg_name(char *out, uint64_t no)
{
    snprintf(out, SEG_NAME_SIZE, "%016" PRIx64 ".seg", no);
}

/* The number in a segment file's name, or 0 when @name is not one. */
static uint64_t seg_number(const char *name)
{
    if (strnlen(name, SEG_NAME_SIZE) != SEG_NAME_LEN || strcmp(name + 16, ".seg") != 0)
        return 0;
    uint64_t no = 0;
    for (size_t i = 0; i < 16; i++) {
        char c = name[i];
        uint64_t d;
        if (c >= '0' && c <= '9')
            d = (uint64_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (uint64_t)(c - 'a' + 10);
        else
            return 0;
        no = no << 4 | d;
    }
    return no;
}

static void meta_encode(uint8_t *out, uint64_t seg, uint64_t len)
{
    wr_be32(out, STORE_FORMAT);
    wr_be64(out + 4, seg);
    wr_be64(out + 12, len);
}

static int read_all(int fd, uint8_t *buf, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t r = pread(fd, buf, len, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return -EIO; /* the file ends before the record does */
        buf += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* fdatasync/fsync only with config.sync: without it nothing is made durable (tests). */
static int sync_fd(const struct flow_store *st, int fd, bool data_only)
{
    if (!st->sync)
        return 0;
    int rc = data_only ? fdatasync(fd) : fsync(fd);
    return rc == 0 ? 0 : -errno;
}

/* Logs a failed LMDB call on the write path and maps its code. */
static int store_error(struct flow_store *st, const char *what, int rc)
{
    if (rc == MDB_MAP_FULL) {
        log_err(st->log,
                "flow_store: flow store index full: raise store.map_size dir=%s map_size=%" PRIu64
                " (%s failed, transaction dropped)",
                st->dir, st->map_size, what);
        return -ENOSPC;
    }
    log_err(st->log, "flow_store: %s failed dir=%s reason=\"%s\" (transaction dropped)", what,
            st->dir, mdb_strerror(rc));
    return rc > 0 ? -rc : -EIO;
}

/* Logs a failed segment call on the write path; @rc is a negative errno. */
static int seg_error(struct flow_store *st, const char *what, uint64_t seg, int rc)
{
    if (rc == -ENOSPC || rc == -EDQUOT) {
        log_err(st->log,
                "flow_store: disk full: free space in the store's file system dir=%s "
                "segment=%016" PRIx64 ".seg"
                " (%s failed, transaction dropped)",
                st->dir, seg, what);
        return -ENOSPC;
    }
    log_err(st->log,
            "flow_store: %s failed dir=%s segment=%016" PRIx64 ".seg"
            " reason=\"%s\" (transaction dropped)",
            what, st->dir, seg, umbra_strerror(rc));
    return rc;
}

/*
 * Back to the committed position: the segments this group created go and the committed one is
 * cut back to its committed length, so no byte of the group is ever referenced and the space is
 * reused. Failures are only logged: those bytes are unreferenced whatever happens, the next
 * group writes over them, and flow_store_create() cuts them again.
 */
static void seg_rewind(struct flow_store *st)
{
    /* Queued writes would land after the cut; their error, if any, changes nothing here. */
    (void)seg_writer_drain(st->writer);
    bool cut = st->tail != st->base_len;
    if (st->seg != st->base_seg) {
        char name[SEG_NAME_SIZE];
        close(st->fd);
        for (uint64_t no = st->base_seg + 1; no <= st->seg; no++) {
            seg_name(name, no);
            if (unlinkat(st->dir_fd, name, 0) != 0 && errno != ENOENT)
                log_warn(st->log, "flow_store: unlink failed dir=%s segment=%s reason=\"%s\"",
                         st->dir, name, umbra_strerror(-errno));
        }
        st->fd = st->base_fd;
        st->base_fd = -1;
        st->seg = st->base_seg;
        cut = true; /* the group may have appended to it before it rolled */
    }
    if (cut && ftruncate(st->fd, (off_t)st->base_len) != 0)
        log_warn(st->log,
                 "flow_store: ftruncate failed dir=%s segment=%016" PRIx64 ".seg len=%" PRIu64
                 " reason=\"%s\"",
                 st->dir, st->seg, st->base_len, umbra_strerror(-errno));
    st->tail = st->base_len;
    st->dirty = false;
}

/* Drops the group after a failure (logged by the caller): its transaction and its bytes. */
static int group_failed(struct flow_store *st, int rc)
{
    if (st->txn != NULL) {
        mdb_txn_abort(st->txn);
        st->txn = NULL;
    }
    seg_rewind(st);
    st->failed = rc;
    return rc;
}

/* LMDB leaves a write transaction unusable after a failed put, so the whole group goes. */
static int txn_failed(struct flow_store *st, const char *what, int rc)
{
    return group_failed(st, store_error(st, what, rc));
}

/*
 * Opens segment @name with @flags, O_DIRECT where the file system takes it (ext4, xfs; not
 * tmpfs): a direct write costs the kernel a fraction of a buffered one (seg_writer.h). Where it
 * does not, the same aligned writes go through the page cache.
 */
static int seg_open(struct flow_store *st, const char *name, int flags)
{
    int fd = openat(st->dir_fd, name, flags | O_DIRECT, 0600);
    if (fd >= 0 || errno != EINVAL) {
        st->direct = fd >= 0;
        return fd;
    }
    st->direct = false;
    return openat(st->dir_fd, name, flags, 0600);
}

/* Starts segment seg + 1. The one left is synced first: it holds records of this group. */
static int seg_roll(struct flow_store *st)
{
    /* The writes queued carry the old file's descriptor, and the sync must cover them. */
    int rc = seg_writer_drain(st->writer);
    if (rc != 0)
        return seg_error(st, "write", st->seg, rc);
    rc = st->dirty ? sync_fd(st, st->fd, true) : 0;
    if (rc != 0)
        return seg_error(st, "fdatasync", st->seg, rc);
    char name[SEG_NAME_SIZE];
    seg_name(name, st->seg + 1);
    /* A file of that number was never committed (create() and rewinds remove them). */
    int fd = seg_open(st, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return seg_error(st, "open", st->seg + 1, -errno);
    if (st->seg == st->base_seg)
        st->base_fd = st->fd;
    else
        close(st->fd);
    st->fd = fd;
    st->seg++;
    st->tail = 0;
    st->dirty = false;
    /* The commit that references the new file must not outlive its directory entry. */
    rc = sync_fd(st, st->dir_fd, false);
    if (rc != 0)
        return seg_error(st, "fsync(dir)", st->seg, rc);
    return 0;
}

/*
 * Appends one record; the index value that points at it goes into @val. Records start on a
 * SEG_WRITER_ALIGN boundary and are padded with zeros to the next one (what O_DIRECT needs);
 * nothing reads the padding: the index gives each record's offset and length.
 */
static int seg_append(struct flow_store *st, const uint8_t *env, size_t len, uint8_t *val)
{
    uint64_t need = seg_writer_pad(REC_HDR_LEN + (uint64_t)len);
    /* Every record is padded, so the tail is on a boundary already; rounding up anyway keeps a
     * damaged meta record's odd length from becoming a direct write O_DIRECT refuses. */
    uint64_t at = seg_writer_pad(st->tail);
    /* An empty segment takes any record, so a payload above the roll size gets its own. */
    if (st->tail > 0 && at + need > st->seg_bytes) {
        int rc = seg_roll(st);
        if (rc != 0)
            return rc;
        at = 0;
    }
    uint64_t hash = wire_checksum(env, len);
    uint8_t hdr[REC_HDR_LEN];
    memcpy(hdr, REC_MAGIC, REC_MAGIC_LEN);
    wr_be64(hdr + REC_MAGIC_LEN, (uint64_t)len);
    wr_be64(hdr + REC_MAGIC_LEN + 8, hash);
    struct iovec iov[2] = {{.iov_base = hdr, .iov_len = sizeof(hdr)},
                           {.iov_base = (void *)env, .iov_len = len}};
    /* Through the page cache, start the record's writeback at once, without waiting for it: by
     * the group's fdatasync most bytes are on the disk, and the commit, which holds the ingest
     * loop, waits for the tail only. */
    unsigned flags = st->sync && !st->direct ? SEG_WRITER_WRITEBACK : 0;
    int rc = seg_writer_write(st->writer, st->fd, at, iov, 2, flags);
    if (rc != 0)
        return seg_error(st, "write", st->seg, rc);
    val[0] = BATCH_VAL_FORMAT;
    wr_be64(val + 1, st->seg);
    wr_be64(val + 9, at);
    wr_be64(val + 17, (uint64_t)len);
    wr_be64(val + 25, hash);
    st->tail = at + need;
    st->dirty = true;
    return 0;
}

/* 0 with *@seg and *@len from meta (*@fresh false), or for a new store (1, 0, *@fresh true);
 * a negative code after logging a store of another format or a failure. */
static int meta_read(struct flow_store *st, MDB_txn *txn, uint64_t *seg, uint64_t *len, bool *fresh)
{
    MDB_val k = {.mv_size = sizeof(META_KEY) - 1, .mv_data = META_KEY};
    MDB_val v;
    MDB_stat bs, ss;
    int rc = mdb_get(txn, st->meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        rc = mdb_stat(txn, st->batches, &bs);
        if (rc == 0)
            rc = mdb_stat(txn, st->sensors, &ss);
        if (rc != 0)
            goto out_lmdb;
        if (bs.ms_entries > 0 || ss.ms_entries > 0) {
            log_err(st->log,
                    "flow_store: dir=%s holds a store of format 1 (payloads inside LMDB), this "
                    "build reads format %d only: move the directory away (no migration exists)",
                    st->dir, STORE_FORMAT);
            return -EPROTO;
        }
        *seg = 1;
        *len = 0;
        *fresh = true;
        return 0;
    }
    if (rc != 0)
        goto out_lmdb;
    const uint8_t *p = v.mv_data;
    if (v.mv_size < 4)
        goto out_unreadable;
    uint32_t format = rd_be32(p);
    if (format != STORE_FORMAT) {
        log_err(st->log,
                "flow_store: dir=%s holds a store of format %" PRIu32
                ", this build reads format %d only%s",
                st->dir, format, STORE_FORMAT,
                format > STORE_FORMAT ? " (made by a newer build)" : "");
        return -EPROTO;
    }
    if (v.mv_size != META_LEN || rd_be64(p + 4) == 0)
        goto out_unreadable;
    *seg = rd_be64(p + 4);
    *len = rd_be64(p + 12);
    *fresh = false;
    return 0;
out_unreadable:
    log_err(st->log, "flow_store: unreadable meta record dir=%s len=%zu", st->dir, v.mv_size);
    return -EIO;
out_lmdb:
    log_err(st->log, "flow_store: reading the meta record failed dir=%s reason=\"%s\"", st->dir,
            mdb_strerror(rc));
    return -EIO;
}

/* Removes the segments numbered above @seg: a crash left them before any commit named them. */
static int remove_later_segments(struct flow_store *st, uint64_t seg)
{
    DIR *d = opendir(st->dir);
    if (d == NULL) {
        log_err(st->log, "flow_store: opendir failed dir=%s reason=\"%s\"", st->dir,
                umbra_strerror(-errno));
        return -errno;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (seg_number(e->d_name) <= seg)
            continue;
        if (unlinkat(st->dir_fd, e->d_name, 0) != 0) {
            rc = -errno;
            log_err(st->log, "flow_store: unlink failed dir=%s segment=%s reason=\"%s\"", st->dir,
                    e->d_name, umbra_strerror(rc));
        } else {
            log_info(st->log, "flow_store: removed an uncommitted segment dir=%s segment=%s",
                     st->dir, e->d_name);
        }
    }
    closedir(d);
    return rc;
}

/* Opens segment @seg for appending at its committed length @len, cutting what lies beyond. */
static int seg_recover(struct flow_store *st, uint64_t seg, uint64_t len)
{
    char name[SEG_NAME_SIZE];
    seg_name(name, seg);
    bool created = false;
    int fd = seg_open(st, name, O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && len == 0) {
        fd = seg_open(st, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC);
        created = true;
    }
    if (fd < 0) {
        log_err(st->log, "flow_store: open failed dir=%s segment=%s reason=\"%s\"", st->dir, name,
                umbra_strerror(-errno));
        return -errno;
    }
    int rc = 0;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        rc = -errno;
        log_err(st->log, "flow_store: fstat failed dir=%s segment=%s reason=\"%s\"", st->dir, name,
                umbra_strerror(rc));
        goto out_close;
    }
    uint64_t size = (uint64_t)sb.st_size;
    if (size < len) {
        log_err(st->log,
                "flow_store: segment shorter than its committed length (damaged store) dir=%s "
                "segment=%s size=%" PRIu64 " committed=%" PRIu64,
                st->dir, name, size, len);
        rc = -EIO;
        goto out_close;
    }
    if (size > len) {
        log_info(st->log,
                 "flow_store: dropping an uncommitted tail dir=%s segment=%s bytes=%" PRIu64,
                 st->dir, name, size - len);
        if (ftruncate(fd, (off_t)len) != 0) {
            rc = -errno;
            log_err(st->log, "flow_store: ftruncate failed dir=%s segment=%s reason=\"%s\"",
                    st->dir, name, umbra_strerror(rc));
            goto out_close;
        }
    }
    rc = remove_later_segments(st, seg);
    if (rc == 0 && created)
        rc = sync_fd(st, st->dir_fd, false);
    if (rc != 0)
        goto out_close;
    st->fd = fd;
    st->seg = st->base_seg = seg;
    st->tail = st->base_len = len;
    return 0;
out_close:
    close(fd);
    return rc;
}

/* Opens the databases, checks the format and finds the append position; logs what fails. */
static int open_layout(struct flow_store *st)
{
    MDB_txn *txn;
    const char *what = "mdb_txn_begin";
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc != 0)
        goto out_log;
    what = "opening the databases";
    rc = mdb_dbi_open(txn, "batches", MDB_CREATE, &st->batches);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "sensors", MDB_CREATE, &st->sensors);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &st->meta);
    if (rc != 0)
        goto out_abort;
    uint64_t seg, len;
    bool fresh;
    int err = meta_read(st, txn, &seg, &len, &fresh);
    if (err == 0)
        err = seg_recover(st, seg, len);
    if (err != 0) {
        mdb_txn_abort(txn);
        return err;
    }
    if (fresh) {
        uint8_t mv[META_LEN];
        meta_encode(mv, seg, len);
        MDB_val k = {.mv_size = sizeof(META_KEY) - 1, .mv_data = META_KEY};
        MDB_val v = {.mv_size = sizeof(mv), .mv_data = mv};
        what = "mdb_put(meta)";
        rc = mdb_put(txn, st->meta, &k, &v, 0);
        if (rc != 0)
            goto out_abort;
    }
    what = "mdb_txn_commit";
    rc = mdb_txn_commit(txn);
    if (rc != 0)
        goto out_log;
    return 0;

out_abort:
    mdb_txn_abort(txn);
out_log:
    log_err(st->log, "flow_store: %s failed dir=%s reason=\"%s\"", what, st->dir, mdb_strerror(rc));
    return rc > 0 ? -rc : -EIO;
}

/* LMDB would let a second writer process in, and a second appender would write over this one's
 * records: the directory is locked for as long as the store is open. */
static int lock_dir(struct flow_store *st)
{
    const char *what = "open";
    st->dir_fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st->dir_fd >= 0) {
        what = "flock";
        if (flock(st->dir_fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
    }
    int rc = -errno;
    if (rc == -EWOULDBLOCK)
        log_err(st->log, "flow_store: another process has the store open for writing dir=%s",
                st->dir);
    else
        log_err(st->log, "flow_store: %s failed dir=%s reason=\"%s\"", what, st->dir,
                umbra_strerror(rc));
    return rc;
}

static int open_env(struct flow_store *st, const struct flow_store_config *cfg)
{
    const char *what = "mdb_env_create";
    int rc = mdb_env_create(&st->env);
    if (rc != 0) {
        st->env = NULL;
        goto out_log;
    }
    what = "mdb_env_set_maxdbs";
    rc = mdb_env_set_maxdbs(st->env, 3);
    if (rc != 0)
        goto out_log;
    what = "mdb_env_set_mapsize";
    rc = mdb_env_set_mapsize(st->env, (size_t)cfg->map_size);
    if (rc != 0)
        goto out_log;
    /* MDB_NOTLS: sensor_get's read transaction lives beside the write one in this thread. */
    unsigned flags = MDB_NOTLS | (cfg->sync ? 0u : MDB_NOSYNC);
    what = "mdb_env_open";
    rc = mdb_env_open(st->env, cfg->dir, flags, 0600);
    if (rc != 0)
        goto out_log;
    return 0;
out_log:
    log_err(st->log, "flow_store: %s failed dir=%s map_size=%" PRIu64 " reason=\"%s\"", what,
            cfg->dir, cfg->map_size, mdb_strerror(rc));
    return rc > 0 ? -rc : -EIO;
}

struct flow_store *flow_store_create(const struct flow_store_config *cfg, struct log *log)
{
    if (cfg == NULL || cfg->dir == NULL || cfg->dir[0] == '\0' || cfg->map_size == 0) {
        log_err(log, "flow_store: a directory and a map_size > 0 are required");
        return NULL;
    }
    if (mkdir(cfg->dir, 0700) != 0 && errno != EEXIST) {
        log_err(log, "flow_store: mkdir failed dir=%s reason=\"%s\"", cfg->dir,
                umbra_strerror(-errno));
        return NULL;
    }
    struct flow_store *st = calloc(1, sizeof(*st));
    if (st == NULL || (st->dir = strdup(cfg->dir)) == NULL) {
        log_err(log, "flow_store: out of memory dir=%s", cfg->dir);
        free(st);
        return NULL;
    }
    st->fd = -1;
    st->base_fd = -1;
    st->dir_fd = -1;
    st->log = log;
    st->map_size = cfg->map_size;
    st->seg_bytes = cfg->segment_bytes != 0 ? cfg->segment_bytes : FLOW_STORE_SEGMENT_BYTES;
    st->sync = cfg->sync;
    if ((st->writer = seg_writer_create(log)) == NULL || lock_dir(st) != 0 ||
        open_env(st, cfg) != 0 || open_layout(st) != 0)
        goto out_close;
    log_info(log, "flow_store: segments written %s dir=%s",
             st->direct ? "O_DIRECT" : "through the page cache (no O_DIRECT on this file system)",
             st->dir);
    return st;

out_close:
    seg_writer_destroy(&st->writer);
    if (st->env != NULL)
        mdb_env_close(st->env);
    if (st->fd >= 0)
        close(st->fd);
    if (st->dir_fd >= 0)
        close(st->dir_fd);
    free(st->dir);
    free(st);
    return NULL;
}

void flow_store_destroy(struct flow_store **sp)
{
    struct flow_store *st = *sp;
    if (st == NULL)
        return;
    flow_store_abort(st);
    seg_writer_destroy(&st->writer);
    if (st->rtxn != NULL)
        mdb_txn_abort(st->rtxn);
    mdb_env_close(st->env);
    close(st->fd);
    close(st->dir_fd);
    free(st->dir);
    free(st);
    *sp = NULL;
}

int flow_store_begin(struct flow_store *st)
{
    /* A caller that missed an apply error must still not start a group that commits fine. */
    if (st->failed != 0)
        return st->failed;
    if (st->txn != NULL)
        return 0;
    assert(st->seg == st->base_seg && st->tail == st->base_len);
    int rc = mdb_txn_begin(st->env, NULL, 0, &st->txn);
    if (rc != 0) {
        st->txn = NULL;
        return store_error(st, "mdb_txn_begin", rc);
    }
    return 0;
}

static enum flow_store_verdict by_hwm(uint64_t hwm, uint64_t seq, uint64_t oldest_held,
                                      uint64_t *expected, uint64_t *gap)
{
    if (seq <= hwm)
        return FLOW_STORE_DUPLICATE;
    if (seq == hwm + 1)
        return FLOW_STORE_APPLY;
    /* The sensor holds nothing below seq, so what lies between was dropped at its spool cap
     * and will never come: waiting for it would block the stream for good. */
    if (oldest_held == seq) {
        *gap = seq - hwm - 1;
        return FLOW_STORE_APPLY;
    }
    *expected = hwm + 1;
    return FLOW_STORE_WAIT;
}

/* Whether a batch of @epoch may start a new stream over @stored (the table in flow_store.h):
 * the epoch the sensor announced always may; otherwise a newer one may unless the sensor
 * announced another. */
static bool new_stream_ok(uint64_t epoch, uint64_t stored, uint64_t announced)
{
    if (epoch == announced)
        return true;
    return epoch > stored && announced == 0;
}

enum flow_store_verdict flow_store_decide(struct flow_store *st, const char *sensor_id,
                                          uint64_t epoch, uint64_t announced, uint64_t seq,
                                          uint64_t oldest_held, uint64_t *expected, uint64_t *gap)
{
    assert(expected != NULL && gap != NULL);
    *expected = 0;
    *gap = 0;
    if (st->failed != 0)
        return FLOW_STORE_ERROR;
    size_t idlen = id_len(sensor_id);
    if (st->txn == NULL || idlen == 0) {
        log_err(st->log, "flow_store: decide refused: %s",
                st->txn == NULL ? "no transaction open" : "invalid sensor id");
        return FLOW_STORE_ERROR;
    }
    struct flow_store_sensor s;
    int rc = sensor_read(st, st->txn, sensor_id, idlen, &s);
    if (rc == -EIO)
        return FLOW_STORE_ERROR;
    if (rc == 0 && epoch != s.epoch && !new_stream_ok(epoch, s.epoch, announced))
        return FLOW_STORE_STALE;
    uint64_t hwm = rc == 0 && epoch == s.epoch ? s.hwm : 0;
    return by_hwm(hwm, seq, oldest_held, expected, gap);
}

int flow_store_apply(struct flow_store *st, const char *sensor_id, uint64_t epoch, uint64_t seq,
                     uint64_t gap, const void *envelope, size_t len, uint32_t records,
                     bool rejected)
{
    if (st->failed != 0)
        return st->failed;
    size_t idlen = id_len(sensor_id);
    bool env_ok = rejected || (envelope != NULL && len >= WIRE_OVERHEAD);
    if (st->txn == NULL || idlen == 0 || !env_ok) {
        log_err(st->log, "flow_store: apply refused: %s",
                st->txn == NULL ? "no transaction open" : "invalid sensor id or envelope");
        return -EINVAL;
    }
    struct flow_store_sensor s;
    int rc = sensor_read(st, st->txn, sensor_id, idlen, &s);
    if (rc == -EIO)
        return group_failed(st, -EIO);
    bool known = rc == 0;
    uint64_t hwm = known && epoch == s.epoch ? s.hwm : 0;
    /* An epoch below the stored one is decide()'s call: only it knows the announced epoch. */
    if (seq <= hwm || gap != seq - hwm - 1) {
        log_err(st->log,
                "flow_store: apply of a batch decide() would not apply sensor=%s epoch=%" PRIu64
                " seq=%" PRIu64 " gap=%" PRIu64 " stored_epoch=%" PRIu64 " hwm=%" PRIu64,
                sensor_id, epoch, seq, gap, s.epoch, hwm);
        return -EINVAL;
    }
    if (known && epoch < s.epoch)
        log_warn(st->log,
                 "flow_store: sensor %s started stream %" PRIu64 ", older than stored %" PRIu64
                 ": its clock was behind when its spool was created",
                 sensor_id, epoch, s.epoch);
    else if (known && epoch != s.epoch)
        log_info(st->log, "flow_store: sensor %s: new stream epoch %" PRIu64 " (was %" PRIu64 ")",
                 sensor_id, epoch, s.epoch);
    if (!rejected) {
        uint8_t val[BATCH_VAL_LEN];
        rc = seg_append(st, envelope, len, val);
        if (rc != 0)
            return group_failed(st, rc);
        uint8_t kb[BATCH_KEY_MAX];
        MDB_val k = {.mv_size = batch_key(kb, sensor_id, idlen, epoch, seq), .mv_data = kb};
        MDB_val v = {.mv_size = sizeof(val), .mv_data = val};
        rc = mdb_put(st->txn, st->batches, &k, &v, 0);
        if (rc != 0)
            return txn_failed(st, "mdb_put(batches)", rc);
        s.batches++;
        s.records += records;
    } else {
        s.rejected_batches++;
    }
    s.epoch = epoch;
    s.hwm = seq;
    s.batches_lost += gap;
    s.last_apply_ts = clock_wall_ns();
    uint8_t vb[SENSOR_VAL_LEN];
    sensor_encode(&s, vb);
    MDB_val k = {.mv_size = idlen, .mv_data = (void *)sensor_id};
    MDB_val v = {.mv_size = sizeof(vb), .mv_data = vb};
    rc = mdb_put(st->txn, st->sensors, &k, &v, 0);
    if (rc != 0)
        return txn_failed(st, "mdb_put(sensors)", rc);
    return 0;
}

int flow_store_commit(struct flow_store *st)
{
    /* The group was dropped by a failed apply: reporting it here keeps its batches unacked. */
    if (st->failed != 0) {
        int rc = st->failed;
        st->failed = 0;
        return rc;
    }
    if (st->txn == NULL)
        return 0;
    /* The records first: once LMDB has committed, the index points at them. */
    int rc = seg_writer_drain(st->writer);
    if (rc != 0)
        rc = group_failed(st, seg_error(st, "write", st->seg, rc));
    if (rc == 0 && st->dirty && (rc = sync_fd(st, st->fd, true)) != 0)
        rc = group_failed(st, seg_error(st, "fdatasync", st->seg, rc));
    if (rc == 0 && (st->seg != st->base_seg || st->tail != st->base_len)) {
        uint8_t mv[META_LEN];
        meta_encode(mv, st->seg, st->tail);
        MDB_val k = {.mv_size = sizeof(META_KEY) - 1, .mv_data = META_KEY};
        MDB_val v = {.mv_size = sizeof(mv), .mv_data = mv};
        rc = mdb_put(st->txn, st->meta, &k, &v, 0);
        if (rc != 0)
            rc = txn_failed(st, "mdb_put(meta)", rc);
    }
    if (rc != 0) {
        st->failed = 0; /* reported now */
        return rc;
    }
    /* LMDB frees the transaction whether the commit succeeds or not. */
    rc = mdb_txn_commit(st->txn);
    st->txn = NULL;
    if (rc != 0) {
        seg_rewind(st);
        return store_error(st, "mdb_txn_commit", rc);
    }
    if (st->base_fd >= 0) {
        close(st->base_fd);
        st->base_fd = -1;
    }
    st->base_seg = st->seg;
    st->base_len = st->tail;
    st->dirty = false;
    return 0;
}

void flow_store_abort(struct flow_store *st)
{
    st->failed = 0;
    if (st->txn == NULL)
        return;
    mdb_txn_abort(st->txn);
    st->txn = NULL;
    seg_rewind(st);
}

int flow_store_sensor_get(struct flow_store *st, const char *sensor_id,
                          struct flow_store_sensor *out)
{
    size_t idlen = id_len(sensor_id);
    if (idlen == 0)
        return -EINVAL;
    int rc = st->rtxn == NULL ? mdb_txn_begin(st->env, NULL, MDB_RDONLY, &st->rtxn)
                              : mdb_txn_renew(st->rtxn);
    if (rc != 0) {
        log_err(st->log, "flow_store: read transaction failed dir=%s reason=\"%s\"", st->dir,
                mdb_strerror(rc));
        if (st->rtxn != NULL) {
            mdb_txn_abort(st->rtxn);
            st->rtxn = NULL;
        }
        return -EIO;
    }
    rc = sensor_read(st, st->rtxn, sensor_id, idlen, out);
    /* Reset, not abort: the reader slot is kept and the snapshot released (writers may reuse
     * the pages it pinned). */
    mdb_txn_reset(st->rtxn);
    return rc;
}

/* A read-only view of one database of the store in @dir, for the scans. */
struct ro_view {
    MDB_env *env;
    MDB_txn *txn;
    MDB_cursor *cur;
};

static void ro_close(struct ro_view *ro)
{
    if (ro->cur != NULL)
        mdb_cursor_close(ro->cur);
    if (ro->txn != NULL)
        mdb_txn_abort(ro->txn);
    if (ro->env != NULL)
        mdb_env_close(ro->env);
}

/* 0 with a cursor, 1 when the database does not exist (an empty store), or a negative code. */
static int ro_open(struct ro_view *ro, const char *dir, const char *name, struct log *log)
{
    memset(ro, 0, sizeof(*ro));
    MDB_dbi dbi;
    const char *what = "mdb_env_create";
    int rc = mdb_env_create(&ro->env);
    if (rc != 0) {
        ro->env = NULL;
        goto out;
    }
    what = "mdb_env_set_maxdbs";
    rc = mdb_env_set_maxdbs(ro->env, 3);
    if (rc != 0)
        goto out;
    what = "mdb_env_open";
    rc = mdb_env_open(ro->env, dir, MDB_RDONLY | MDB_NOTLS, 0);
    if (rc != 0)
        goto out;
    what = "mdb_txn_begin";
    rc = mdb_txn_begin(ro->env, NULL, MDB_RDONLY, &ro->txn);
    if (rc != 0) {
        ro->txn = NULL;
        goto out;
    }
    what = "mdb_dbi_open";
    rc = mdb_dbi_open(ro->txn, name, 0, &dbi);
    if (rc == MDB_NOTFOUND)
        return 1;
    if (rc != 0)
        goto out;
    what = "mdb_cursor_open";
    rc = mdb_cursor_open(ro->txn, dbi, &ro->cur);
    if (rc != 0) {
        ro->cur = NULL;
        goto out;
    }
    return 0;
out:
    log_err(log, "flow_store: %s failed dir=%s db=%s reason=\"%s\"", what, dir, name,
            mdb_strerror(rc));
    ro_close(ro);
    memset(ro, 0, sizeof(*ro));
    return rc > 0 ? -rc : -EIO;
}

/* 0 when the store in the view's snapshot is of this build's format; -EIO (logged) if not. */
static int ro_check_format(struct ro_view *ro, const char *dir, struct log *log)
{
    MDB_dbi dbi;
    MDB_val k = {.mv_size = sizeof(META_KEY) - 1, .mv_data = META_KEY};
    MDB_val v;
    int rc = mdb_dbi_open(ro->txn, "meta", 0, &dbi);
    if (rc == 0)
        rc = mdb_get(ro->txn, dbi, &k, &v);
    if (rc == MDB_NOTFOUND) {
        log_err(log,
                "flow_store: dir=%s holds a store of format 1 (payloads inside LMDB), this build "
                "reads format %d only",
                dir, STORE_FORMAT);
        return -EIO;
    }
    if (rc != 0) {
        log_err(log, "flow_store: reading the meta record failed dir=%s reason=\"%s\"", dir,
                mdb_strerror(rc));
        return -EIO;
    }
    uint32_t format = v.mv_size >= 4 ? rd_be32(v.mv_data) : 0;
    if (format != STORE_FORMAT) {
        log_err(log,
                "flow_store: dir=%s holds a store of format %" PRIu32
                ", this build reads format %d only",
                dir, format, STORE_FORMAT);
        return -EIO;
    }
    return 0;
}

/* Runs @visit over every entry; @visit returns non-zero to stop (negative: malformed). */
static int ro_walk(struct ro_view *ro, const char *dir, const char *name,
                   int (*visit)(const MDB_val *k, const MDB_val *v, void *arg), void *arg,
                   struct log *log)
{
    MDB_val k, v;
    int rc = mdb_cursor_get(ro->cur, &k, &v, MDB_FIRST);
    while (rc == 0) {
        int stop = visit(&k, &v, arg);
        if (stop != 0)
            return stop;
        rc = mdb_cursor_get(ro->cur, &k, &v, MDB_NEXT);
    }
    if (rc == MDB_NOTFOUND)
        return 0;
    log_err(log, "flow_store: mdb_cursor_get failed dir=%s db=%s reason=\"%s\"", dir, name,
            mdb_strerror(rc));
    return -EIO;
}

/* The scan's way into the segments: one open segment and a buffer that grows to the largest
 * record read (bounded by the segment's size). */
struct seg_reader {
    const char *dir;
    struct log *log;
    int dir_fd;
    int fd; /* segment @seg, or -1 */
    uint64_t seg;
    uint64_t size; /* of that segment, when last looked at */
    uint8_t *buf;
    size_t cap;
};

static void reader_close(struct seg_reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    if (r->dir_fd >= 0)
        close(r->dir_fd);
    free(r->buf);
}

/* Segment @seg open in @r, with its size as of now; -EIO or another -errno (logged). */
static int reader_look(struct seg_reader *r, uint64_t seg)
{
    char name[SEG_NAME_SIZE];
    seg_name(name, seg);
    if (seg != r->seg) {
        if (r->fd >= 0)
            close(r->fd);
        r->seg = 0;
        r->fd = openat(r->dir_fd, name, O_RDONLY | O_CLOEXEC);
    }
    struct stat sb;
    if (r->fd < 0 || fstat(r->fd, &sb) != 0) {
        int rc = -errno;
        log_err(r->log, "flow_store: cannot read segment dir=%s segment=%s reason=\"%s\"", r->dir,
                name, umbra_strerror(rc));
        return rc == -ENOENT ? -EIO : rc;
    }
    r->seg = seg;
    r->size = (uint64_t)sb.st_size;
    return 0;
}

static bool reader_has(const struct seg_reader *r, uint64_t off, uint64_t n)
{
    return off <= r->size && r->size - off >= REC_HDR_LEN && r->size - off - REC_HDR_LEN >= n;
}

/* Room for @need bytes; the old contents need not survive. */
static int reader_reserve(struct seg_reader *r, size_t need)
{
    if (need <= r->cap)
        return 0;
    free(r->buf);
    r->buf = malloc(need);
    r->cap = r->buf != NULL ? need : 0;
    if (r->buf == NULL) {
        log_err(r->log, "flow_store: out of memory reading dir=%s bytes=%zu", r->dir, need);
        return -ENOMEM;
    }
    return 0;
}

/* Why the record at @off (an envelope of @n bytes, XXH3 @hash, by the index) cannot be used, or
 * NULL with the record in r->buf and its FlowBatch payload in *@payload, *@plen. Sets *@rc for a
 * failed read. */
static const char *reader_load(struct seg_reader *r, uint64_t off, uint64_t n, uint64_t hash,
                               const uint8_t **payload, size_t *plen, int *rc)
{
    if (!reader_has(r, off, n))
        return "segment shorter than the record";
    *rc = reader_reserve(r, (size_t)(REC_HDR_LEN + n));
    if (*rc != 0)
        return NULL;
    *rc = read_all(r->fd, r->buf, (size_t)(REC_HDR_LEN + n), off);
    if (*rc == -EIO)
        return "segment shorter than the record";
    if (*rc != 0)
        return umbra_strerror(*rc);
    if (memcmp(r->buf, REC_MAGIC, REC_MAGIC_LEN) != 0)
        return "bad record magic";
    if (rd_be64(r->buf + REC_MAGIC_LEN) != n || rd_be64(r->buf + REC_MAGIC_LEN + 8) != hash)
        return "record header disagrees with the index";
    const uint8_t *env = r->buf + REC_HDR_LEN;
    if (wire_checksum(env, (size_t)n) != hash)
        return "envelope checksum disagrees with the index";
    /* The envelope's own checks: magic, version, length, type, and its XXH3 over the bytes. */
    int wrc = wire_open(WIRE_FLOW_BATCH, env, (size_t)n, WIRE_LEN_MAX, payload, plen);
    if (wrc == UMBRA_ECHECKSUM)
        return "envelope checksum mismatch";
    if (wrc != 0)
        return "not a FlowBatch envelope";
    return NULL;
}

/* The payload the index value @v points at, checked, into *@payload; -EIO or -errno (logged). */
static int reader_get(struct seg_reader *r, const MDB_val *v, const uint8_t **payload, size_t *len)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size != BATCH_VAL_LEN || p[0] != BATCH_VAL_FORMAT) {
        log_err(r->log, "flow_store: malformed index value dir=%s len=%zu", r->dir, v->mv_size);
        return -EIO;
    }
    uint64_t seg = rd_be64(p + 1);
    uint64_t off = rd_be64(p + 9);
    uint64_t n = rd_be64(p + 17);
    uint64_t hash = rd_be64(p + 25);
    /* A segment only grows while it is read, so one that looks short is looked at again. */
    int rc = 0;
    if (seg != r->seg || !reader_has(r, off, n))
        rc = reader_look(r, seg);
    if (rc != 0)
        return rc;
    const uint8_t *pl = NULL;
    size_t plen = 0;
    const char *why = reader_load(r, off, n, hash, &pl, &plen, &rc);
    if (why != NULL) {
        log_err(r->log,
                "flow_store: damaged batch dir=%s segment=%016" PRIx64 ".seg offset=%" PRIu64
                " len=%" PRIu64 " reason=\"%s\"",
                r->dir, seg, off, n, why);
        return rc != 0 && rc != -EIO ? rc : -EIO;
    }
    if (rc != 0)
        return rc;
    *payload = pl;
    *len = plen;
    return 0;
}

struct scan_ctx {
    flow_store_batch_fn *batch_fn;
    flow_store_sensor_fn *sensor_fn;
    void *ctx;
    struct seg_reader *reader;
    bool malformed;
};

static int visit_batch(const MDB_val *k, const MDB_val *v, void *arg)
{
    struct scan_ctx *sc = arg;
    const uint8_t *p = k->mv_data;
    char id[FLOW_STORE_ID_MAX + 1];
    size_t n = k->mv_size > 0 ? p[0] : 0;
    if (n == 0 || n > FLOW_STORE_ID_MAX || k->mv_size != 1 + n + 16) {
        sc->malformed = true;
        return -EIO;
    }
    memcpy(id, p + 1, n);
    id[n] = '\0';
    struct flow_store_batch b = {
            .sensor_id = id, .epoch = rd_be64(p + 1 + n), .seq = rd_be64(p + 1 + n + 8)};
    int rc = reader_get(sc->reader, v, &b.payload, &b.len);
    if (rc != 0)
        return rc;
    return sc->batch_fn(sc->ctx, &b);
}

static int visit_sensor(const MDB_val *k, const MDB_val *v, void *arg)
{
    struct scan_ctx *sc = arg;
    char id[FLOW_STORE_ID_MAX + 1];
    struct flow_store_sensor s;
    if (k->mv_size == 0 || k->mv_size > FLOW_STORE_ID_MAX || sensor_decode(v, &s) < 0) {
        sc->malformed = true;
        return -EIO;
    }
    memcpy(id, k->mv_data, k->mv_size);
    id[k->mv_size] = '\0';
    return sc->sensor_fn(sc->ctx, id, &s);
}

int flow_store_scan(const char *dir, flow_store_batch_fn *fn, void *ctx, struct log *log)
{
    struct ro_view ro;
    int rc = ro_open(&ro, dir, "batches", log);
    if (rc != 0) {
        ro_close(&ro);
        return rc > 0 ? 0 : rc;
    }
    struct seg_reader r = {.dir = dir, .log = log, .fd = -1};
    struct scan_ctx sc = {.batch_fn = fn, .ctx = ctx, .reader = &r};
    r.dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r.dir_fd < 0) {
        rc = -errno;
        log_err(log, "flow_store: open failed dir=%s reason=\"%s\"", dir, umbra_strerror(rc));
        goto out;
    }
    rc = ro_check_format(&ro, dir, log);
    if (rc != 0)
        goto out;
    rc = ro_walk(&ro, dir, "batches", visit_batch, &sc, log);
    if (sc.malformed)
        log_err(log, "flow_store: malformed entry dir=%s db=batches", dir);
out:
    reader_close(&r);
    ro_close(&ro);
    return rc;
}

int flow_store_scan_sensors(const char *dir, flow_store_sensor_fn *fn, void *ctx, struct log *log)
{
    struct scan_ctx sc = {.sensor_fn = fn, .ctx = ctx};
    struct ro_view ro;
    int rc = ro_open(&ro, dir, "sensors", log);
    if (rc != 0) {
        ro_close(&ro);
        return rc > 0 ? 0 : rc;
    }
    rc = ro_walk(&ro, dir, "sensors", visit_sensor, &sc, log);
    if (sc.malformed)
        log_err(log, "flow_store: malformed entry dir=%s db=sensors", dir);
    ro_close(&ro);
    return rc;
}
