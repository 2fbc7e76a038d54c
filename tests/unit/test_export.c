/*
 * export: the real exporter and the real spool against a ROUTER socket on loopback that plays
 * the aggregator. mdb_env_sync() is wrapped (-Wl,--wrap): each successful sync of the exporter's
 * spool also copies its data file, and that copy is what a power cut at that moment would leave
 * on disk. Every batch the aggregator receives must already be in the copy (a power cut must
 * never take back a sequence the aggregator has seen); sends must sync in groups, at a bounded
 * rate; the ack time-out and the drain at the end of a run must still work.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/wire.h"
#include "sensor/export.h"
#include "sensor/spool.h"
#include "tests/unit/support/tmpfile.h"

#define SPOOL_MAX (16u << 20)
/* The exporter's minimum gap between two syncs made for sending (sensor/export.c). */
#define SYNC_GAP_NS (10 * CLOCK_NS_PER_MS)

/* ---- the wrapped mdb_env_sync: the power-cut copy ---- */

/*
 * Shared by the wrapper (in whichever thread runs the exporter) and the aggregator's checks
 * (which may run in another): the lock keeps a copy from being read while it is written.
 */
static struct {
    pthread_mutex_t lock;
    char watch[TMPDIR_PATH_MAX + 16]; /* the exporter's spool directory */
    char copy[TMPDIR_PATH_MAX + 16];  /* where its synced data file is copied */
    uint64_t syncs;                   /* successful syncs of the watched spool */
} g_sync = {.lock = PTHREAD_MUTEX_INITIALIZER};

int __real_mdb_env_sync(MDB_env *env, int force);
int __wrap_mdb_env_sync(MDB_env *env, int force);

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    FILE *out = in != NULL ? fopen(to, "wb") : NULL;
    int rc = out != NULL ? 0 : -1;
    char buf[65536];
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    if (in != NULL && ferror(in))
        rc = -1;
    if (out != NULL && fclose(out) != 0)
        rc = -1;
    if (in != NULL)
        fclose(in);
    return rc;
}

int __wrap_mdb_env_sync(MDB_env *env, int force)
{
    int rc = __real_mdb_env_sync(env, force);
    const char *path = NULL;
    /* watch changes only in setup and teardown, with no other thread running; the spool that
     * durable_next_seq() opens on the copy (lock held) is not watched. */
    if (rc != 0 || g_sync.watch[0] == '\0' || mdb_env_get_path(env, &path) != 0 ||
        strcmp(path, g_sync.watch) != 0)
        return rc;
    /* After a sync the file's bytes are the disk's: this is what a power cut leaves. */
    char from[TMPDIR_PATH_MAX + 32], to[TMPDIR_PATH_MAX + 32];
    snprintf(from, sizeof(from), "%s/data.mdb", g_sync.watch);
    snprintf(to, sizeof(to), "%s/data.mdb", g_sync.copy);
    pthread_mutex_lock(&g_sync.lock);
    if (copy_file(from, to) == 0)
        g_sync.syncs++;
    else
        rc = EIO; /* the test cannot prove anything past this point: fail loudly */
    pthread_mutex_unlock(&g_sync.lock);
    return rc;
}

static uint64_t syncs(void)
{
    pthread_mutex_lock(&g_sync.lock);
    uint64_t n = g_sync.syncs;
    pthread_mutex_unlock(&g_sync.lock);
    return n;
}

/* ---- fixture ---- */

struct agg {
    void *zctx, *router;
    char endpoint[64];
    bool ack;              /* answer batches with OK */
    uint64_t ignore_until; /* do not answer batches seen before this many were received */
    uint64_t received, max_seq;
    uint64_t not_durable; /* batches received whose sequence the last sync did not cover */
    uint64_t bad;         /* messages that are neither Hello, Heartbeat nor a FlowBatch */
};

struct fixture {
    struct tmpdir tmp;
    char spool_dir[TMPDIR_PATH_MAX + 16];
    char *log_text;
    size_t log_len;
    FILE *log_sink;
    struct log *log;
    const char *endpoints[1];
    struct export_config cfg;
    struct export *ex;
    struct agg agg;
};

/* The next sequence of the spool a power cut would leave now: that of the last sync's copy (1
 * if the spool was never synced: a new spool would start again at 1). */
static uint64_t durable_next_seq(struct fixture *f)
{
    uint64_t next = 1;
    pthread_mutex_lock(&g_sync.lock);
    if (g_sync.syncs > 0) {
        struct spool_config sc = {.dir = g_sync.copy,
                                  .max_bytes = f->cfg.spool_max,
                                  .n_streams = 1,
                                  .stream_names = f->endpoints};
        struct spool *sp = spool_create(&sc, NULL);
        if (sp != NULL)
            next = spool_next_seq(sp, 0);
        spool_destroy(&sp);
    }
    pthread_mutex_unlock(&g_sync.lock);
    return next;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(tmpdir_create(&f->tmp), 0);
    assert_int_equal(tmpdir_file(&f->tmp, "spool", f->spool_dir, sizeof(f->spool_dir)), 0);
    pthread_mutex_lock(&g_sync.lock);
    snprintf(g_sync.watch, sizeof(g_sync.watch), "%s", f->spool_dir);
    assert_int_equal(tmpdir_file(&f->tmp, "synced", g_sync.copy, sizeof(g_sync.copy)), 0);
    assert_int_equal(mkdir(g_sync.copy, 0700), 0);
    g_sync.syncs = 0;
    pthread_mutex_unlock(&g_sync.lock);

    f->log_sink = open_memstream(&f->log_text, &f->log_len);
    assert_non_null(f->log_sink);
    struct log_config lc = {.name = "test", .level = LOG_LEVEL_INFO, .sink = f->log_sink};
    f->log = log_create(&lc);
    assert_non_null(f->log);

    struct agg *a = &f->agg;
    a->zctx = zmq_ctx_new();
    assert_non_null(a->zctx);
    a->router = zmq_socket(a->zctx, ZMQ_ROUTER);
    assert_non_null(a->router);
    int zero = 0;
    assert_int_equal(zmq_setsockopt(a->router, ZMQ_LINGER, &zero, sizeof(zero)), 0);
    assert_int_equal(zmq_bind(a->router, "tcp://127.0.0.1:*"), 0);
    size_t len = sizeof(a->endpoint);
    assert_int_equal(zmq_getsockopt(a->router, ZMQ_LAST_ENDPOINT, a->endpoint, &len), 0);
    a->ack = true;

    f->endpoints[0] = a->endpoint;
    f->cfg = (struct export_config){
            .sensor_id = "s1",
            .hostname = "test",
            .site = "lab",
            .version = "test",
            .start_ts = clock_wall_ns(),
            .endpoints = f->endpoints,
            .n_endpoints = 1,
            .spool_dir = f->spool_dir,
            .spool_max = SPOOL_MAX,
            /* Far longer than any test: every sync a test sees is one that sending asked for. */
            .sync_ns = 3600 * CLOCK_NS_PER_SEC,
            .batch_records = 1, /* each record seals the batch before it */
            .batch_bytes = 64 * 1024,
            .batch_delay_ns = 3600 * CLOCK_NS_PER_SEC,
            .window = 64,
            .ack_timeout_ns = 3600 * CLOCK_NS_PER_SEC,
            .replay_rate = 1u << 30,
            .heartbeat_ns = 3600 * CLOCK_NS_PER_SEC,
            .zmq_heartbeat_ns = CLOCK_NS_PER_SEC,
    };
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    export_destroy(&f->ex);
    zmq_close(f->agg.router);
    zmq_ctx_term(f->agg.zctx);
    log_destroy(&f->log);
    fclose(f->log_sink);
    free(f->log_text);
    pthread_mutex_lock(&g_sync.lock);
    g_sync.watch[0] = '\0';
    tmpdir_remove_path(g_sync.copy);
    pthread_mutex_unlock(&g_sync.lock);
    tmpdir_remove_path(f->spool_dir);
    tmpdir_remove(&f->tmp);
    free(f);
    return 0;
}

struct counter {
    const char *name;
    uint64_t v;
};

static void counter_fn(void *ctx, const char *name, uint64_t v)
{
    struct counter *c = ctx;
    if (strcmp(name, c->name) == 0)
        c->v = v;
}

/* The exporter's counter "export_0_<name>". */
static uint64_t counter(const struct export *ex, const char *name)
{
    char full[64];
    snprintf(full, sizeof(full), "export_0_%s", name);
    struct counter c = {.name = full, .v = UINT64_MAX};
    export_counters(ex, counter_fn, &c);
    assert_true(c.v != UINT64_MAX);
    return c.v;
}

static void send_ack(struct agg *a, zmq_msg_t *rid, const Umbra__FlowBatch *b)
{
    Umbra__Ack ack = UMBRA__ACK__INIT;
    ack.sensor_id = b->sensor_id;
    ack.sequence = b->sequence;
    ack.stream_epoch = b->stream_epoch;
    ack.status = UMBRA__ACK_STATUS__ACK_STATUS_OK;
    ack.reason = "";
    uint8_t buf[512];
    size_t len;
    if (wire_pack(WIRE_ACK, &ack.base, buf, sizeof(buf), &len) != 0 ||
        zmq_send(a->router, zmq_msg_data(rid), zmq_msg_size(rid), ZMQ_SNDMORE) < 0 ||
        zmq_send(a->router, buf, len, 0) < 0)
        a->bad++;
}

/* Receive (and answer) what has arrived; each batch is checked against the last sync's copy.
 * Counts instead of asserting: it also runs in a thread of its own. */
static void serve(struct fixture *f)
{
    struct agg *a = &f->agg;
    for (;;) {
        zmq_msg_t rid, env;
        zmq_msg_init(&rid);
        zmq_msg_init(&env);
        if (zmq_msg_recv(&rid, a->router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&rid);
            zmq_msg_close(&env);
            return;
        }
        enum wire_type t;
        ProtobufCMessage *m = NULL;
        if (zmq_msg_recv(&env, a->router, 0) < 0 ||
            wire_peek_type(zmq_msg_data(&env), zmq_msg_size(&env), &t) != 0)
            a->bad++;
        else if (t == WIRE_FLOW_BATCH && wire_unpack(t, zmq_msg_data(&env), zmq_msg_size(&env),
                                                     WIRE_LEN_MAX, NULL, &m) == 0) {
            const Umbra__FlowBatch *b = (const Umbra__FlowBatch *)m;
            if (b->sequence >= durable_next_seq(f))
                a->not_durable++;
            if (b->sequence > a->max_seq)
                a->max_seq = b->sequence;
            if (a->ack && ++a->received > a->ignore_until)
                send_ack(a, &rid, b);
            wire_free(m, NULL);
        } else if (t != WIRE_HELLO && t != WIRE_HEARTBEAT) {
            a->bad++;
        }
        zmq_msg_close(&rid);
        zmq_msg_close(&env);
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Poll the exporter and serve until @counter reaches @want, at most 10 s. */
static void run_until(struct fixture *f, const char *name, uint64_t want)
{
    uint64_t end = clock_mono_ns() + 10 * CLOCK_NS_PER_SEC;
    while (counter(f->ex, name) < want) {
        assert_true(clock_mono_ns() < end);
        export_poll(f->ex);
        serve(f);
        sleep_ms(1);
    }
}

static void start(struct fixture *f)
{
    f->ex = export_create(&f->cfg, f->log);
    assert_non_null(f->ex);
    run_until(f, "connects", 1);
}

static void record(struct fixture *f)
{
    Umbra__FlowRecord rec = UMBRA__FLOW_RECORD__INIT;
    rec.flow_id = 1;
    assert_int_equal(export_record(f->ex, &rec), 0);
}

static void test_export_sends_a_batch_only_once_a_sync_covers_it(void **state)
{
    struct fixture *f = *state;
    start(f);
    uint64_t before = syncs();
    for (int i = 0; i < 40; i++)
        record(f);
    export_flush(f->ex);
    run_until(f, "acks_ok", 40);
    assert_int_equal(f->agg.received, 40);
    assert_int_equal(f->agg.max_seq, 40);
    /* Nothing reached the aggregator that a power cut could take back... */
    assert_int_equal(f->agg.not_durable, 0);
    assert_int_equal(f->agg.bad, 0);
    /* ... and the 40 batches, sealed before the poll, went out after one sync between them. */
    assert_int_equal(syncs() - before, 1);

    /* Power cut now: the spool comes back from the last sync, and its numbering continues
     * after everything the aggregator has. */
    assert_true(durable_next_seq(f) > f->agg.max_seq);
}

static void test_export_syncs_for_sending_at_a_bounded_rate(void **state)
{
    struct fixture *f = *state;
    start(f);
    uint64_t before = syncs();
    uint64_t t0 = clock_mono_ns();
    /* A busy sensor: a batch sealed before every poll, for 300 ms. */
    while (clock_mono_ns() - t0 < 300 * CLOCK_NS_PER_MS) {
        record(f);
        export_poll(f->ex);
        serve(f);
    }
    uint64_t elapsed = clock_mono_ns() - t0;
    uint64_t n = syncs() - before;
    assert_true(n >= 1);
    assert_true(n <= 1 + elapsed / SYNC_GAP_NS);
    assert_true(f->agg.received > 0);
    assert_int_equal(f->agg.not_durable, 0);
    export_flush(f->ex);
    run_until(f, "acks_ok", f->agg.max_seq);
    assert_int_equal(f->agg.not_durable, 0);
    assert_true(durable_next_seq(f) > f->agg.max_seq);
}

static void test_export_resends_after_the_ack_timeout(void **state)
{
    struct fixture *f = *state;
    f->cfg.ack_timeout_ns = 200 * CLOCK_NS_PER_MS;
    f->agg.ignore_until = 5; /* the first sending of the five batches goes unanswered */
    start(f);
    for (int i = 0; i < 5; i++)
        record(f);
    export_flush(f->ex);
    run_until(f, "acks_ok", 5);
    assert_true(counter(f->ex, "ack_timeouts") >= 1);
    assert_int_equal(counter(f->ex, "spool_batches"), 0);
    assert_true(f->agg.received >= 10);
    assert_int_equal(f->agg.not_durable, 0);
}

struct server_thread {
    struct fixture *f;
    volatile sig_atomic_t stop;
};

static void *serve_loop(void *arg)
{
    struct server_thread *t = arg;
    while (!t->stop) {
        serve(t->f);
        sleep_ms(1);
    }
    return NULL;
}

static void test_export_drain_sends_and_waits_for_every_ack(void **state)
{
    struct fixture *f = *state;
    start(f);
    for (int i = 0; i < 20; i++)
        record(f);
    /* The aggregator answers from a thread of its own: the drain waits in zmq_poll. */
    struct server_thread t = {.f = f};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, serve_loop, &t), 0);
    uint64_t left = export_drain(f->ex, 10 * CLOCK_NS_PER_SEC, NULL);
    t.stop = 1;
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(left, 0);
    assert_int_equal(f->agg.max_seq, 20);
    assert_int_equal(f->agg.not_durable, 0);
    assert_int_equal(f->agg.bad, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
            T(test_export_sends_a_batch_only_once_a_sync_covers_it),
            T(test_export_syncs_for_sending_at_a_bounded_rate),
            T(test_export_resends_after_the_ack_timeout),
            T(test_export_drain_sends_and_waits_for_every_ack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
