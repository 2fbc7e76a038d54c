/*
 * Flow store: owns the LMDB environment that holds applied batches and the per-sensor stream
 * state, the one write transaction that groups batches between begin and commit, and the rule
 * that decides whether a batch is new. It does not decode or validate batches (batch_check and
 * ingest do), does not talk to sensors and does not expire old batches.
 */
#include "aggregator/flow_store.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"

/* The "sensors" value: a format-version byte, then each field as 8 bytes big-endian. */
#define SENSOR_VAL_VERSION 1
#define SENSOR_VAL_FIELDS  7
#define SENSOR_VAL_LEN     (1 + SENSOR_VAL_FIELDS * 8)
_Static_assert(sizeof(struct flow_store_sensor) == SENSOR_VAL_FIELDS * sizeof(uint64_t),
               "a new field of struct flow_store_sensor needs a place in the stored value");

#define BATCH_KEY_MAX (1 + FLOW_STORE_ID_MAX + 8 + 8)

struct flow_store {
    MDB_env *env;
    MDB_dbi batches;
    MDB_dbi sensors;
    MDB_txn *txn;  /* the write transaction between begin and commit/abort; NULL if none */
    MDB_txn *rtxn; /* flow_store_sensor_get()'s, kept reset between calls; NULL until first */
    int failed;    /* why the group's transaction was dropped; 0 once commit or abort reports it */
    uint64_t map_size;
    char *dir;
    struct log *log;
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

/* Logs a failed LMDB call on the write path and maps its code. */
static int store_error(struct flow_store *st, const char *what, int rc)
{
    if (rc == MDB_MAP_FULL) {
        log_err(st->log,
                "flow_store: flow store full: raise store.map_size dir=%s map_size=%" PRIu64
                " (%s failed, transaction dropped)",
                st->dir, st->map_size, what);
        return -ENOSPC;
    }
    log_err(st->log, "flow_store: %s failed dir=%s reason=\"%s\" (transaction dropped)", what,
            st->dir, mdb_strerror(rc));
    return rc > 0 ? -rc : -EIO;
}

/* LMDB leaves a write transaction unusable after a failed put, so the whole group goes. */
static int txn_failed(struct flow_store *st, const char *what, int rc)
{
    mdb_txn_abort(st->txn);
    st->txn = NULL;
    st->failed = store_error(st, what, rc);
    return st->failed;
}

static int open_dbis(struct flow_store *st)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc != 0)
        return rc;
    rc = mdb_dbi_open(txn, "batches", MDB_CREATE, &st->batches);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "sensors", MDB_CREATE, &st->sensors);
    if (rc != 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    return mdb_txn_commit(txn);
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
        goto out_free;
    }
    st->log = log;
    st->map_size = cfg->map_size;
    const char *what = "mdb_env_create";
    int rc = mdb_env_create(&st->env);
    if (rc != 0)
        goto out_log;
    what = "mdb_env_set_maxdbs";
    rc = mdb_env_set_maxdbs(st->env, 2);
    if (rc != 0)
        goto out_close_env;
    what = "mdb_env_set_mapsize";
    rc = mdb_env_set_mapsize(st->env, (size_t)cfg->map_size);
    if (rc != 0)
        goto out_close_env;
    /* MDB_NOTLS: sensor_get's read transaction lives beside the write one in this thread. */
    unsigned flags = MDB_NOTLS | (cfg->sync ? 0u : MDB_NOSYNC);
    what = "mdb_env_open";
    rc = mdb_env_open(st->env, cfg->dir, flags, 0600);
    if (rc != 0)
        goto out_close_env;
    what = "opening the databases";
    rc = open_dbis(st);
    if (rc != 0)
        goto out_close_env;
    return st;

out_close_env:
    mdb_env_close(st->env);
out_log:
    log_err(log, "flow_store: %s failed dir=%s map_size=%" PRIu64 " reason=\"%s\"", what, cfg->dir,
            cfg->map_size, mdb_strerror(rc));
out_free:
    if (st != NULL)
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
    if (st->rtxn != NULL)
        mdb_txn_abort(st->rtxn);
    mdb_env_close(st->env);
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

enum flow_store_verdict flow_store_decide(struct flow_store *st, const char *sensor_id,
                                          uint64_t epoch, uint64_t seq, uint64_t oldest_held,
                                          uint64_t *expected, uint64_t *gap)
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
    if (rc == 0 && epoch < s.epoch)
        return FLOW_STORE_STALE;
    uint64_t hwm = rc == 0 && epoch == s.epoch ? s.hwm : 0;
    return by_hwm(hwm, seq, oldest_held, expected, gap);
}

int flow_store_apply(struct flow_store *st, const char *sensor_id, uint64_t epoch, uint64_t seq,
                     uint64_t gap, const void *payload, size_t len, uint32_t records, bool rejected)
{
    static const uint8_t no_bytes[1];
    if (st->failed != 0)
        return st->failed;
    size_t idlen = id_len(sensor_id);
    if (st->txn == NULL || idlen == 0 || (payload == NULL && len > 0)) {
        log_err(st->log, "flow_store: apply refused: %s",
                st->txn == NULL ? "no transaction open" : "invalid sensor id or payload");
        return -EINVAL;
    }
    struct flow_store_sensor s;
    int rc = sensor_read(st, st->txn, sensor_id, idlen, &s);
    if (rc == -EIO) {
        mdb_txn_abort(st->txn);
        st->txn = NULL;
        st->failed = -EIO;
        return -EIO;
    }
    bool known = rc == 0;
    uint64_t hwm = known && epoch == s.epoch ? s.hwm : 0;
    if ((known && epoch < s.epoch) || seq <= hwm || gap != seq - hwm - 1) {
        log_err(st->log,
                "flow_store: apply of a batch decide() would not apply sensor=%s epoch=%" PRIu64
                " seq=%" PRIu64 " gap=%" PRIu64 " stored_epoch=%" PRIu64 " hwm=%" PRIu64,
                sensor_id, epoch, seq, gap, s.epoch, hwm);
        return -EINVAL;
    }
    if (known && epoch != s.epoch)
        log_info(st->log, "flow_store: sensor %s: new stream epoch %" PRIu64 " (was %" PRIu64 ")",
                 sensor_id, epoch, s.epoch);
    if (!rejected) {
        uint8_t kb[BATCH_KEY_MAX];
        MDB_val k = {.mv_size = batch_key(kb, sensor_id, idlen, epoch, seq), .mv_data = kb};
        MDB_val v = {.mv_size = len, .mv_data = (void *)(payload != NULL ? payload : no_bytes)};
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
    /* LMDB frees the transaction whether the commit succeeds or not. */
    int rc = mdb_txn_commit(st->txn);
    st->txn = NULL;
    if (rc != 0)
        return store_error(st, "mdb_txn_commit", rc);
    return 0;
}

void flow_store_abort(struct flow_store *st)
{
    st->failed = 0;
    if (st->txn == NULL)
        return;
    mdb_txn_abort(st->txn);
    st->txn = NULL;
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
    rc = mdb_env_set_maxdbs(ro->env, 2);
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

struct scan_ctx {
    flow_store_batch_fn *batch_fn;
    flow_store_sensor_fn *sensor_fn;
    void *ctx;
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
    struct flow_store_batch b = {.sensor_id = id,
                                 .epoch = rd_be64(p + 1 + n),
                                 .seq = rd_be64(p + 1 + n + 8),
                                 .payload = v->mv_data,
                                 .len = v->mv_size};
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

static int scan_db(const char *dir, const char *name,
                   int (*visit)(const MDB_val *k, const MDB_val *v, void *arg), struct scan_ctx *sc,
                   struct log *log)
{
    struct ro_view ro;
    int rc = ro_open(&ro, dir, name, log);
    if (rc != 0) {
        ro_close(&ro);
        return rc > 0 ? 0 : rc;
    }
    rc = ro_walk(&ro, dir, name, visit, sc, log);
    if (sc->malformed)
        log_err(log, "flow_store: malformed entry dir=%s db=%s", dir, name);
    ro_close(&ro);
    return rc;
}

int flow_store_scan(const char *dir, flow_store_batch_fn *fn, void *ctx, struct log *log)
{
    struct scan_ctx sc = {.batch_fn = fn, .ctx = ctx};
    return scan_db(dir, "batches", visit_batch, &sc, log);
}

int flow_store_scan_sensors(const char *dir, flow_store_sensor_fn *fn, void *ctx, struct log *log)
{
    struct scan_ctx sc = {.sensor_fn = fn, .ctx = ctx};
    return scan_db(dir, "sensors", visit_sensor, &sc, log);
}
