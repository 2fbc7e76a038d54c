/*
 * Alert store: alerts by id (latest revision) and by time in LMDB (alert_store.h has the layout).
 */
#include "aggregator/alert_store.h"

#include <errno.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/log.h"
#include "common/wire.h"

#define TIME_KEY_MAX (8 + ALERT_STORE_ID_MAX)

struct alert_store {
    MDB_env *env;
    MDB_dbi alerts, by_time;
    uint64_t retention_ns;
    struct log *log;
    char *dir;
    uint8_t *buf; /* a packed envelope */
    size_t cap;
};

/* A negative errno for LMDB's @rc, logged with what failed. */
static int lmdb_error(struct log *log, const char *dir, const char *what, int rc)
{
    if (rc == MDB_MAP_FULL) {
        log_err(log, "alert_store: dir=%s is full (%s): raise alerts.map_size", dir, what);
        return -ENOSPC;
    }
    log_err(log, "alert_store: %s failed dir=%s reason=\"%s\"", what, dir, mdb_strerror(rc));
    return rc == ENOMEM ? -ENOMEM : -EIO;
}

/* Commits @txn if @rc is 0 (*@what then names the commit, for the log), else aborts it; NULL
 * (never begun) is left alone. Returns the outcome. */
static int end_txn(MDB_txn *txn, int rc, const char **what)
{
    if (txn == NULL)
        return rc;
    if (rc != 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    *what = "mdb_txn_commit";
    return mdb_txn_commit(txn);
}

/* Opens the environment in @dir (@flags for mdb_env_open) and both databases. */
static int open_env(const char *dir, uint64_t map_size, unsigned flags, MDB_env **env,
                    MDB_dbi *alerts, MDB_dbi *by_time, struct log *log)
{
    const char *what = "mdb_env_create";
    int rc = mdb_env_create(env);
    if (rc != 0) {
        *env = NULL;
        return lmdb_error(log, dir, what, rc);
    }
    what = "mdb_env_set_maxdbs";
    rc = mdb_env_set_maxdbs(*env, 2);
    if (rc == 0 && map_size > 0) {
        what = "mdb_env_set_mapsize";
        rc = mdb_env_set_mapsize(*env, (size_t)map_size);
    }
    if (rc == 0) {
        what = "mdb_env_open";
        rc = mdb_env_open(*env, dir, flags | MDB_NOTLS, 0600);
        if (rc == ENOENT)
            rc = MDB_NOTFOUND; /* read-only, and no data.mdb: no store there */
    }
    MDB_txn *txn = NULL;
    if (rc == 0) {
        what = "mdb_txn_begin";
        rc = mdb_txn_begin(*env, NULL, flags & MDB_RDONLY, &txn);
    }
    unsigned create = (flags & MDB_RDONLY) ? 0 : MDB_CREATE;
    if (rc == 0) {
        what = "mdb_dbi_open";
        rc = mdb_dbi_open(txn, "alerts", create, alerts);
    }
    if (rc == 0)
        rc = mdb_dbi_open(txn, "by_time", create, by_time);
    rc = end_txn(txn, rc, &what);
    if (rc == 0)
        return 0;
    mdb_env_close(*env);
    *env = NULL;
    if (rc == MDB_NOTFOUND) {
        log_err(log, "alert_store: dir=%s holds no alert store", dir);
        return -ENOENT;
    }
    return lmdb_error(log, dir, what, rc);
}

struct alert_store *alert_store_create(const struct alert_store_config *cfg, struct log *log)
{
    if (cfg == NULL || cfg->dir == NULL || cfg->dir[0] == '\0' || cfg->map_size == 0) {
        log_err(log, "alert_store: invalid configuration (no directory or a zero map size)");
        return NULL;
    }
    if (mkdir(cfg->dir, 0700) != 0 && errno != EEXIST) {
        log_err(log, "alert_store: cannot create dir=%s reason=\"%s\"", cfg->dir, strerror(errno));
        return NULL;
    }
    struct alert_store *st = calloc(1, sizeof(*st));
    if (st == NULL || (st->dir = strdup(cfg->dir)) == NULL) {
        free(st);
        log_err(log, "alert_store: out of memory");
        return NULL;
    }
    st->log = log;
    st->retention_ns = cfg->retention_ns;
    if (open_env(cfg->dir, cfg->map_size, cfg->sync ? 0u : MDB_NOSYNC, &st->env, &st->alerts,
                 &st->by_time, log) != 0) {
        alert_store_destroy(&st);
        return NULL;
    }
    return st;
}

void alert_store_destroy(struct alert_store **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    struct alert_store *st = *sp;
    if (st->env != NULL)
        mdb_env_close(st->env);
    free(st->buf);
    free(st->dir);
    free(st);
    *sp = NULL;
}

static size_t time_key(uint8_t *out, uint64_t ts, const char *id, size_t id_len)
{
    wr_be64(out, ts);
    memcpy(out + 8, id, id_len);
    return 8 + id_len;
}

/* @a packed as a WIRE_ALERT envelope into st->buf; its length, or 0 (logged) if it does not. */
static size_t pack_alert(struct alert_store *st, const Umbra__Alert *a)
{
    size_t need = wire_packed_size(WIRE_ALERT, &a->base);
    if (need > st->cap) {
        uint8_t *b = realloc(st->buf, need);
        if (b == NULL) {
            log_err(st->log, "alert_store: out of memory for an alert of %zu bytes", need);
            return 0;
        }
        st->buf = b;
        st->cap = need;
    }
    size_t len = 0;
    int rc = wire_pack(WIRE_ALERT, &a->base, st->buf, st->cap, &len);
    if (rc != 0) {
        log_err(st->log, "alert_store: alert %s does not pack: %d", a->id, rc);
        return 0;
    }
    return len;
}

/* The stored revision and ts of @id, from its envelope; false if none (or unreadable). */
static bool stored_of(MDB_val *v, uint32_t *revision, uint64_t *ts)
{
    ProtobufCMessage *m = NULL;
    if (wire_unpack(WIRE_ALERT, v->mv_data, v->mv_size, WIRE_LEN_MAX, NULL, &m) != 0)
        return false;
    const Umbra__Alert *old = (const Umbra__Alert *)m;
    *revision = old->revision;
    *ts = old->ts;
    wire_free(m, NULL);
    return true;
}

int alert_store_put(struct alert_store *st, const Umbra__Alert *a)
{
    size_t id_len = a != NULL && a->id != NULL ? strlen(a->id) : 0;
    if (id_len == 0 || id_len > ALERT_STORE_ID_MAX) {
        log_err(st->log, "alert_store: put refused: an alert id of %zu bytes", id_len);
        return -EINVAL;
    }
    size_t len = pack_alert(st, a);
    if (len == 0)
        return -EINVAL;
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc != 0)
        return lmdb_error(st->log, st->dir, "mdb_txn_begin", rc);
    const char *what = "mdb_get(alerts)";
    MDB_val k = {.mv_size = id_len, .mv_data = a->id};
    MDB_val v;
    rc = mdb_get(txn, st->alerts, &k, &v);
    uint8_t tk[TIME_KEY_MAX];
    if (rc == 0) {
        uint32_t old_rev;
        uint64_t old_ts;
        if (stored_of(&v, &old_rev, &old_ts)) {
            if (old_rev > a->revision) {
                mdb_txn_abort(txn); /* never roll an alert back */
                return 0;
            }
            MDB_val old_tk = {.mv_size = time_key(tk, old_ts, a->id, id_len), .mv_data = tk};
            what = "mdb_del(by_time)";
            rc = mdb_del(txn, st->by_time, &old_tk, NULL);
            if (rc == MDB_NOTFOUND)
                rc = 0;
        } else {
            /* A damaged stored value: replaced by the new revision. Its index entry, if any,
             * stays (its time is unknown); the scan skips an entry whose time is not the
             * alert's. */
            log_warn(st->log, "alert_store: alert %s: the stored revision was damaged; replaced",
                     a->id);
        }
    } else if (rc == MDB_NOTFOUND) {
        rc = 0;
    }
    if (rc == 0) {
        what = "mdb_put(alerts)";
        MDB_val nv = {.mv_size = len, .mv_data = st->buf};
        rc = mdb_put(txn, st->alerts, &k, &nv, 0);
    }
    if (rc == 0) {
        what = "mdb_put(by_time)";
        MDB_val ntk = {.mv_size = time_key(tk, a->ts, a->id, id_len), .mv_data = tk};
        MDB_val empty = {.mv_size = 0, .mv_data = NULL};
        rc = mdb_put(txn, st->by_time, &ntk, &empty, 0);
    }
    rc = end_txn(txn, rc, &what);
    return rc == 0 ? 0 : lmdb_error(st->log, st->dir, what, rc);
}

long alert_store_expire(struct alert_store *st, uint64_t now_ts)
{
    if (st->retention_ns == 0 || now_ts <= st->retention_ns)
        return 0;
    uint64_t cut = now_ts - st->retention_ns;
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc != 0)
        return lmdb_error(st->log, st->dir, "mdb_txn_begin", rc);
    MDB_cursor *c;
    const char *what = "mdb_cursor_open";
    rc = mdb_cursor_open(txn, st->by_time, &c);
    long n = 0;
    MDB_val k, v;
    if (rc == 0) {
        what = "expiry";
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            if (k.mv_size < 8 || rd_be64(k.mv_data) >= cut)
                break;
            MDB_val id = {.mv_size = k.mv_size - 8, .mv_data = (uint8_t *)k.mv_data + 8};
            /* An entry left by a revision that replaced a damaged value does not say the
             * alert's time: the alert itself goes only if its own time is the entry's (or its
             * value cannot be read, when the entry's time is all there is). */
            MDB_val cur;
            uint32_t rev;
            uint64_t ts;
            rc = mdb_get(txn, st->alerts, &id, &cur);
            if (rc == 0 && (!stored_of(&cur, &rev, &ts) || ts == rd_be64(k.mv_data)))
                rc = mdb_del(txn, st->alerts, &id, NULL);
            if (rc != 0 && rc != MDB_NOTFOUND)
                break;
            rc = mdb_cursor_del(c, 0);
            if (rc != 0)
                break;
            n++;
        }
        if (rc == MDB_NOTFOUND)
            rc = 0;
        mdb_cursor_close(c);
    }
    rc = end_txn(txn, rc, &what);
    if (rc != 0)
        return lmdb_error(st->log, st->dir, what, rc);
    if (n > 0)
        log_info(st->log, "alert_store: %ld alerts older than %" PRIu64 " expired", n, cut);
    return n;
}

int alert_store_scan(const char *dir, uint64_t since_ts, alert_store_fn *fn, void *ctx,
                     struct log *log)
{
    if (dir == NULL || fn == NULL)
        return -EINVAL;
    MDB_env *env;
    MDB_dbi alerts, by_time;
    int rc = open_env(dir, 0, MDB_RDONLY, &env, &alerts, &by_time, log);
    if (rc != 0)
        return rc;
    MDB_txn *txn;
    MDB_cursor *c = NULL;
    rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (rc == 0)
        rc = mdb_cursor_open(txn, by_time, &c);
    if (rc != 0) {
        rc = lmdb_error(log, dir, "read transaction", rc);
        goto out_env;
    }
    uint8_t start[8];
    wr_be64(start, since_ts);
    MDB_val k = {.mv_size = sizeof(start), .mv_data = start}, v;
    int mrc;
    for (mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); mrc == 0;
         mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        MDB_val id = {.mv_size = k.mv_size - 8, .mv_data = (uint8_t *)k.mv_data + 8};
        if (k.mv_size <= 8 || mdb_get(txn, alerts, &id, &v) != 0) {
            log_err(log, "alert_store: dir=%s: a time index entry without its alert", dir);
            rc = -EIO;
            break;
        }
        ProtobufCMessage *m = NULL;
        int wrc = wire_unpack(WIRE_ALERT, v.mv_data, v.mv_size, WIRE_LEN_MAX, NULL, &m);
        if (wrc != 0) {
            log_err(log, "alert_store: dir=%s: alert %.*s is damaged (%d)", dir, (int)id.mv_size,
                    (const char *)id.mv_data, wrc);
            rc = -EIO;
            break;
        }
        const Umbra__Alert *a = (const Umbra__Alert *)m;
        /* An entry left by a revision that replaced a damaged value: the alert is listed at
         * its current time, not here. */
        rc = a->ts == rd_be64(k.mv_data) ? fn(ctx, a) : 0;
        wire_free(m, NULL);
        if (rc != 0)
            break;
    }
    if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
        rc = lmdb_error(log, dir, "mdb_cursor_get", mrc);
    mdb_cursor_close(c);
    mdb_txn_abort(txn);
out_env:
    mdb_env_close(env);
    return rc;
}
