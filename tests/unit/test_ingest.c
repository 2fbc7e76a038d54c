/*
 * ingest: a real ROUTER on an ephemeral loopback port, served by a real libuv loop, applying
 * into a real LMDB store in a scratch directory; sensors are DEALER sockets in the same process.
 * Batches are acked OK, DUPLICATE, RETRY (with the expected sequence) or REJECTED by the
 * apply-once rule; bad input is counted and never acked, and never stops the next good batch;
 * CURVE admits only keys of the allow-list, binds each key to its sensor id, and a key removed
 * by a reload stops being applied at once; insecure mode runs without keys.
 *
 * The loop is turned with UV_RUN_NOWAIT until the expected reply arrives or a deadline passes,
 * so a broken ingest fails a test instead of hanging it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/resource.h>

#include <uv.h>
#include <zmq.h>

#include "aggregator/flow_store.h"
#include "aggregator/ingest.h"
#include "common/clock.h"
#include "common/curve_keys.h"
#include "common/log.h"
#include "common/transport.h"
#include "common/wire.h"
#include "tests/unit/support/tmpfile.h"

#define SENSOR   "branch-a"
#define EPOCH    1700000000000000000ull
#define MAP_SIZE (64u << 20)
/* Long enough for a CURVE handshake and a commit on a loaded CI machine. */
#define ACK_WAIT_MS 5000
/* How long "no reply" is waited for: ingest answers a local batch in well under a millisecond. */
#define QUIET_MS 300

#define ACK_OK        UMBRA__ACK_STATUS__ACK_STATUS_OK
#define ACK_DUPLICATE UMBRA__ACK_STATUS__ACK_STATUS_DUPLICATE
#define ACK_RETRY     UMBRA__ACK_STATUS__ACK_STATUS_RETRY
#define ACK_REJECTED  UMBRA__ACK_STATUS__ACK_STATUS_REJECTED

struct fx {
    struct tmpdir store_dir, keys_dir;
    struct curve_keypair server, sensor;
    uv_loop_t loop;
    void *ctx;
    struct log *log;
    struct flow_store *store;
    struct ingest *in;
    void *client;
};

struct ack {
    Umbra__AckStatus status;
    uint64_t seq, epoch, expected;
    char sensor_id[FLOW_STORE_ID_MAX + 1];
    char reason[256];
};

/* ---- fixture --------------------------------------------------------------------------------- */

/* Group commit: @fill 0 commits whenever the socket runs dry (the tests' default). */
static void fx_start(struct fx *f, bool curve, uint64_t silence_ns, uint64_t map_size,
                     uint32_t fill, uint64_t wait_ns)
{
    memset(f, 0, sizeof(*f));
    assert_int_equal(tmpdir_create(&f->store_dir), 0);
    assert_int_equal(tmpdir_create(&f->keys_dir), 0);
    struct log_config lc = {.name = "test_ingest", .level = LOG_LEVEL_INFO};
    f->log = log_create(&lc);
    assert_non_null(f->log);
    if (curve) {
        assert_int_equal(curve_keys_generate(&f->server, f->log), 0);
        assert_int_equal(curve_keys_generate(&f->sensor, f->log), 0);
        assert_int_equal(curve_keys_write(f->keys_dir.path, SENSOR, &f->sensor, false, f->log), 0);
    }
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->ctx = zmq_ctx_new();
    assert_non_null(f->ctx);
    struct flow_store_config sc = {.dir = f->store_dir.path, .map_size = map_size, .sync = false};
    f->store = flow_store_create(&sc, f->log);
    assert_non_null(f->store);
    static const char *const listen[] = {"tcp://127.0.0.1:*"};
    struct ingest_config ic = {
            .aggregator_id = "test",
            .listen = listen,
            .n_listen = 1,
            .own = curve ? &f->server : NULL,
            .allow_dir = f->keys_dir.path,
            .max_message = 1u << 20,
            .max_records = 16,
            .group_max = 4,
            .group_fill = fill,
            .group_wait_ns = wait_ns,
            .silence_ns = silence_ns,
            .heartbeat_ns = 0,
            .store = f->store,
    };
    f->in = ingest_create(&f->loop, f->ctx, &ic, f->log);
    assert_non_null(f->in);
    assert_non_null(ingest_endpoint(f->in, 0));
    assert_null(ingest_endpoint(f->in, 1));
}

static void close_socket(void **sock)
{
    if (*sock != NULL)
        zmq_close(*sock);
    *sock = NULL;
}

static void fx_stop(struct fx *f)
{
    close_socket(&f->client);
    ingest_destroy(&f->in);
    assert_null(f->in);
    flow_store_destroy(&f->store);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    assert_int_equal(zmq_ctx_term(f->ctx), 0);
    log_destroy(&f->log);
    tmpdir_remove(&f->store_dir);
    tmpdir_remove(&f->keys_dir);
}

/* A DEALER connected to the ingest: CURVE with @kp when given, plain otherwise. */
static void *connect_client(struct fx *f, const struct curve_keypair *kp)
{
    void *s = zmq_socket(f->ctx, ZMQ_DEALER);
    assert_non_null(s);
    int zero = 0;
    assert_int_equal(zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero)), 0);
    if (kp != NULL)
        assert_int_equal(transport_curve_client(s, kp, f->server.public_z85, "test", f->log), 0);
    assert_int_equal(zmq_connect(s, ingest_endpoint(f->in, 0)), 0);
    return s;
}

/* A started fixture in *@state; with a client on the sensor's key (none when insecure) when
 * @connect. */
static int fx_setup_map(void **state, bool curve, uint64_t silence_ns, bool connect,
                        uint64_t map_size)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    fx_start(f, curve, silence_ns, map_size, 0, 0);
    if (connect)
        f->client = connect_client(f, curve ? &f->sensor : NULL);
    *state = f;
    return 0;
}

static int fx_setup(void **state, bool curve, uint64_t silence_ns, bool connect)
{
    return fx_setup_map(state, curve, silence_ns, connect, MAP_SIZE);
}

/* A store so small that one large batch fills it. */
static int setup_small_store(void **state)
{
    return fx_setup_map(state, true, 60 * CLOCK_NS_PER_SEC, true, 1u << 20);
}

static int setup_sensor(void **state)
{
    return fx_setup(state, true, 60 * CLOCK_NS_PER_SEC, true);
}

static int setup_no_client(void **state)
{
    return fx_setup(state, true, 60 * CLOCK_NS_PER_SEC, false);
}

static int setup_insecure(void **state)
{
    return fx_setup(state, false, 60 * CLOCK_NS_PER_SEC, true);
}

/* Groups that wait to fill: fewer than FILL batches wait up to FILL_WAIT_MS from the first. */
#define FILL         3
#define FILL_WAIT_MS 2000

static int setup_filling(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    fx_start(f, true, 60 * CLOCK_NS_PER_SEC, MAP_SIZE, FILL, FILL_WAIT_MS * CLOCK_NS_PER_MS);
    f->client = connect_client(f, &f->sensor);
    *state = f;
    return 0;
}

/* A silence timeout short enough to pass within a test. */
static int setup_quick_silence(void **state)
{
    return fx_setup(state, true, 100 * CLOCK_NS_PER_MS, true);
}

static int teardown(void **state)
{
    fx_stop(*state);
    free(*state);
    return 0;
}

static void nap(void)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

/* ---- counters -------------------------------------------------------------------------------- */

struct find {
    const char *name;
    uint64_t v;
    bool found;
};

static void find_cb(void *ctx, const char *name, uint64_t v)
{
    struct find *q = ctx;
    if (strcmp(q->name, name) == 0) {
        q->v = v;
        q->found = true;
    }
}

static uint64_t counter(const struct fx *f, const char *name)
{
    struct find q = {.name = name};
    ingest_counters(f->in, find_cb, &q);
    if (!q.found)
        fail_msg("no counter %s", name);
    return q.v;
}

/* ---- messages -------------------------------------------------------------------------------- */

static size_t pack(enum wire_type t, const ProtobufCMessage *m, uint8_t *buf, size_t cap)
{
    size_t len = 0;
    assert_int_equal(wire_pack(t, m, buf, cap, &len), 0);
    return len;
}

/* A FlowBatch of @n_records valid OPEN records (n_records 0 makes an invalid batch). */
static size_t make_batch(uint8_t *buf, size_t cap, const char *sensor, uint64_t epoch, uint64_t seq,
                         uint64_t oldest, size_t n_records)
{
    static uint8_t cli[4] = {10, 0, 0, 1}, srv[4] = {10, 0, 0, 2};
    Umbra__FlowKey key = UMBRA__FLOW_KEY__INIT;
    key.ip_proto = 6;
    key.client_addr = (ProtobufCBinaryData){sizeof(cli), cli};
    key.server_addr = (ProtobufCBinaryData){sizeof(srv), srv};
    key.client_port = 50000;
    key.server_port = 443;
    Umbra__FlowTiming timing = UMBRA__FLOW_TIMING__INIT;
    timing.first_ts = EPOCH + seq;
    timing.last_ts = EPOCH + seq;
    Umbra__FlowRecord rec = UMBRA__FLOW_RECORD__INIT;
    rec.event = UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN;
    rec.key = &key;
    rec.timing = &timing;
    Umbra__FlowRecord *recs[4] = {&rec, &rec, &rec, &rec};
    assert_true(n_records <= 4);
    Umbra__FlowBatch b = UMBRA__FLOW_BATCH__INIT;
    b.schema_version = WIRE_SCHEMA_VERSION;
    b.sensor_id = (char *)sensor;
    b.sequence = seq;
    b.created_ts = EPOCH;
    b.stream_epoch = epoch;
    b.oldest_held = oldest;
    b.n_records = n_records;
    b.records = recs;
    return pack(WIRE_FLOW_BATCH, &b.base, buf, cap);
}

static void send_bytes(void *s, const void *buf, size_t len)
{
    assert_int_equal(zmq_send(s, buf, len, 0), (int)len);
}

static void send_batch(void *s, const char *sensor, uint64_t epoch, uint64_t seq, uint64_t oldest)
{
    uint8_t buf[4096];
    send_bytes(s, buf, make_batch(buf, sizeof(buf), sensor, epoch, seq, oldest, 1));
}

/* Turn the loop until @s has a message or @ms pass; true with *@out filled from the Ack. */
static bool wait_ack(struct fx *f, void *s, struct ack *out, int ms)
{
    uint64_t deadline = clock_mono_ns() + (uint64_t)ms * CLOCK_NS_PER_MS;
    uint8_t buf[2048];
    while (clock_mono_ns() < deadline) {
        uv_run(&f->loop, UV_RUN_NOWAIT);
        int n = zmq_recv(s, buf, sizeof(buf), ZMQ_DONTWAIT);
        if (n < 0) {
            nap();
            continue;
        }
        ProtobufCMessage *m;
        assert_int_equal(wire_unpack(WIRE_ACK, buf, (size_t)n, sizeof(buf), NULL, &m), 0);
        const Umbra__Ack *a = (const Umbra__Ack *)m;
        out->status = a->status;
        out->seq = a->sequence;
        out->epoch = a->stream_epoch;
        out->expected = a->expected;
        snprintf(out->sensor_id, sizeof(out->sensor_id), "%s", a->sensor_id);
        snprintf(out->reason, sizeof(out->reason), "%s", a->reason);
        wire_free(m, NULL);
        return true;
    }
    return false;
}

static void expect_ack(struct fx *f, void *s, Umbra__AckStatus status, uint64_t seq,
                       struct ack *out)
{
    struct ack a;
    if (!wait_ack(f, s, &a, ACK_WAIT_MS))
        fail_msg("no ack for sequence %llu", (unsigned long long)seq);
    assert_int_equal(a.status, status);
    assert_int_equal(a.seq, seq);
    if (out != NULL)
        *out = a;
}

static void expect_no_ack(struct fx *f, void *s)
{
    struct ack a;
    if (wait_ack(f, s, &a, QUIET_MS))
        fail_msg("unexpected ack: status %d sequence %llu", (int)a.status,
                 (unsigned long long)a.seq);
}

/* Turn the loop until counter @name reaches @min or the deadline passes. */
static void wait_counter(struct fx *f, const char *name, uint64_t min)
{
    uint64_t deadline = clock_mono_ns() + ACK_WAIT_MS * CLOCK_NS_PER_MS;
    while (counter(f, name) < min && clock_mono_ns() < deadline) {
        uv_run(&f->loop, UV_RUN_NOWAIT);
        nap();
    }
    if (counter(f, name) < min)
        fail_msg("%s stayed at %llu, expected at least %llu (messages %llu)", name,
                 (unsigned long long)counter(f, name), (unsigned long long)min,
                 (unsigned long long)counter(f, "messages"));
}

/* ---- shorthands ------------------------------------------------------------------------------ */

/* Sends SENSOR's batch @seq of stream EPOCH on the client, the sensor still holding everything
 * from @oldest on, and expects an ack with @status for it. */
static struct ack exchange(struct fx *f, uint64_t seq, uint64_t oldest, Umbra__AckStatus status)
{
    struct ack a;
    send_batch(f->client, SENSOR, EPOCH, seq, oldest);
    expect_ack(f, f->client, status, seq, &a);
    return a;
}

/* Sends @m, a message of type @t, on the client. */
static void send_msg(struct fx *f, enum wire_type t, const ProtobufCMessage *m)
{
    uint8_t buf[4096];
    send_bytes(f->client, buf, pack(t, m, buf, sizeof(buf)));
}

struct want {
    const char *name;
    uint64_t v;
};

static void expect_counters_n(const struct fx *f, const struct want *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t got = counter(f, w[i].name);
        if (got != w[i].v)
            fail_msg("%s is %llu, expected %llu", w[i].name, (unsigned long long)got,
                     (unsigned long long)w[i].v);
    }
}

/* expect_counters(f, {"name", value}, ...): each counter named holds exactly its value. */
#define expect_counters(f, ...)                                                                    \
    expect_counters_n((f), (const struct want[]){__VA_ARGS__},                                     \
                      sizeof((const struct want[]){__VA_ARGS__}) / sizeof(struct want))

/* What the store holds of SENSOR's stream. */
static struct flow_store_sensor stream_state(const struct fx *f)
{
    struct flow_store_sensor s;
    assert_int_equal(flow_store_sensor_get(f->store, SENSOR, &s), 0);
    return s;
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void test_ingest_acks_in_order_duplicate_retry_and_accepted_gap(void **state)
{
    struct fx *f = *state;
    struct ack a = exchange(f, 1, 1, ACK_OK);
    assert_string_equal(a.sensor_id, SENSOR);
    assert_int_equal(a.epoch, EPOCH);

    exchange(f, 1, 1, ACK_DUPLICATE);

    /* 2 is missing and the sensor still holds it (oldest_held 2): resend from 2. */
    a = exchange(f, 3, 2, ACK_RETRY);
    assert_int_equal(a.expected, 2);
    assert_true(strlen(a.reason) > 0);

    /* Now the sensor has dropped 2 at its spool cap (oldest_held 3): the gap is accepted. */
    exchange(f, 3, 3, ACK_OK);

    /* An older stream of the same sensor is over. */
    send_batch(f->client, SENSOR, EPOCH - 1, 4, 4);
    expect_ack(f, f->client, ACK_REJECTED, 4, &a);
    assert_string_equal(a.reason, "stale stream epoch");

    expect_counters(f, {"batches_applied", 2}, {"records_applied", 2}, {"batches_duplicate", 1},
                    {"batches_retry", 1}, {"batches_lost", 1}, {"batches_stale", 1},
                    {"acks_sent", 5}, {"zap_allowed", 1}, {"connections_accepted", 1},
                    {"handshakes_succeeded", 1});
    assert_true(counter(f, "commits") >= 2);
    /* What the acks promised is committed: the stream stands at 3 with one batch lost. */
    struct flow_store_sensor s = stream_state(f);
    assert_int_equal(s.epoch, EPOCH);
    assert_int_equal(s.hwm, 3);
    assert_int_equal(s.batches, 2);
    assert_int_equal(s.batches_lost, 1);
}

static void test_ingest_group_of_many_batches_all_acked_after_commit(void **state)
{
    struct fx *f = *state;
    /* Ten batches at once, more than group_max (4): several groups, each committed, then
     * acked, and the input left over after a group continues on the next loop turn. */
    for (uint64_t seq = 1; seq <= 10; seq++)
        send_batch(f->client, SENSOR, EPOCH, seq, 1);
    for (uint64_t seq = 1; seq <= 10; seq++)
        expect_ack(f, f->client, ACK_OK, seq, NULL);
    expect_counters(f, {"batches_applied", 10});
    assert_true(counter(f, "commits") >= 3);
    assert_true(counter(f, "commits") <= 10);
}

static uint64_t ms_since(uint64_t t0)
{
    return (clock_mono_ns() - t0) / CLOCK_NS_PER_MS;
}

static void test_ingest_small_group_waits_to_fill_then_commits_once(void **state)
{
    struct fx *f = *state;
    uint64_t t0 = clock_mono_ns();
    send_batch(f->client, SENSOR, EPOCH, 1, 1);
    send_batch(f->client, SENSOR, EPOCH, 2, 1);
    /* Two batches, fewer than FILL: received and applied, but neither committed nor acked
     * before FILL_WAIT_MS has passed since the first arrived. */
    wait_counter(f, "messages", 2);
    expect_no_ack(f, f->client);
    expect_counters(f, {"commits", 0}, {"batches_applied", 0});
    expect_ack(f, f->client, ACK_OK, 1, NULL);
    assert_true(ms_since(t0) >= FILL_WAIT_MS);
    expect_ack(f, f->client, ACK_OK, 2, NULL);
    expect_counters(f, {"commits", 1}, {"batches_applied", 2});
    assert_int_equal(stream_state(f).hwm, 2);
}

static void test_ingest_group_that_fills_commits_without_waiting_out(void **state)
{
    struct fx *f = *state;
    uint64_t t0 = clock_mono_ns();
    for (uint64_t seq = 1; seq <= FILL; seq++)
        send_batch(f->client, SENSOR, EPOCH, seq, 1);
    for (uint64_t seq = 1; seq <= FILL; seq++)
        expect_ack(f, f->client, ACK_OK, seq, NULL);
    /* Read on the fill timer (every quarter of the wait), committed once FILL are in: well
     * before the wait is over. */
    assert_true(ms_since(t0) < FILL_WAIT_MS * 3 / 4);
    expect_counters(f, {"commits", 1}, {"batches_applied", FILL});
}

static void test_ingest_destroy_commits_a_group_still_filling(void **state)
{
    struct fx *f = *state;
    send_batch(f->client, SENSOR, EPOCH, 1, 1);
    wait_counter(f, "messages", 1);
    expect_counters(f, {"commits", 0});
    ingest_destroy(&f->in);
    /* The batch is in the store, committed: a sensor that resends it gets DUPLICATE. */
    struct flow_store_sensor s = stream_state(f);
    assert_int_equal(s.hwm, 1);
    assert_int_equal(s.batches, 1);
}

static void test_ingest_counts_malformed_input_without_ack_and_goes_on(void **state)
{
    struct fx *f = *state;
    send_bytes(f->client, "not an envelope", 15);
    expect_no_ack(f, f->client);
    expect_counters(f, {"malformed_wire", 1});

    uint8_t buf[4096];
    size_t len = make_batch(buf, sizeof(buf), SENSOR, EPOCH, 1, 1, 1);
    buf[WIRE_HEADER_LEN + 2] ^= 0x40; /* damaged on the way: the checksum no longer matches */
    send_bytes(f->client, buf, len);
    expect_no_ack(f, f->client);
    expect_counters(f, {"malformed_checksum", 1});

    /* Two frames where one is expected. */
    assert_int_equal(zmq_send(f->client, "a", 1, ZMQ_SNDMORE), 1);
    assert_int_equal(zmq_send(f->client, "b", 1, 0), 1);
    expect_no_ack(f, f->client);
    expect_counters(f, {"malformed_frames", 1});

    /* An Ack is not something a sensor sends. */
    Umbra__Ack ack = UMBRA__ACK__INIT;
    ack.sensor_id = SENSOR;
    send_msg(f, WIRE_ACK, &ack.base);
    expect_no_ack(f, f->client);
    expect_counters(f, {"unknown_type", 1});

    exchange(f, 1, 1, ACK_OK);
    expect_counters(f, {"messages", 5}, {"batches_applied", 1});
}

static void test_ingest_oversized_message_drops_the_connection(void **state)
{
    struct fx *f = *state;
    exchange(f, 1, 1, ACK_OK);

    /* Above max_message (1 MiB here): ZeroMQ drops the connection before ingest sees it. */
    size_t big = (1u << 20) + 1;
    uint8_t *blob = calloc(1, big);
    assert_non_null(blob);
    send_bytes(f->client, blob, big);
    free(blob);
    wait_counter(f, "disconnects", 1);
    expect_counters(f, {"messages", 1});

    /* The sensor reconnects by itself and goes on. */
    exchange(f, 2, 2, ACK_OK);
    expect_counters(f, {"messages", 2});
}

static void test_ingest_rejects_invalid_batch_and_moves_on(void **state)
{
    struct fx *f = *state;
    uint8_t buf[4096];
    struct ack a;

    /* No records: it will never be valid, so it is acked REJECTED and its sequence is used. */
    send_bytes(f->client, buf, make_batch(buf, sizeof(buf), SENSOR, EPOCH, 1, 1, 0));
    expect_ack(f, f->client, ACK_REJECTED, 1, &a);
    assert_non_null(strstr(a.reason, "no_records"));
    expect_counters(f, {"invalid_no_records", 1}, {"batches_rejected", 1});

    exchange(f, 2, 2, ACK_OK);
    expect_counters(f, {"batches_applied", 1}, {"batches_lost", 0});

    struct flow_store_sensor s = stream_state(f);
    assert_int_equal(s.hwm, 2);
    assert_int_equal(s.batches, 1);
    assert_int_equal(s.rejected_batches, 1);
}

static void test_ingest_refuses_a_key_not_in_the_allow_list(void **state)
{
    struct fx *f = *state;
    struct curve_keypair stranger;
    assert_int_equal(curve_keys_generate(&stranger, f->log), 0);
    f->client = connect_client(f, &stranger);
    send_batch(f->client, SENSOR, EPOCH, 1, 1);
    wait_counter(f, "zap_denied", 1);
    wait_counter(f, "handshake_failed_auth", 1);
    expect_no_ack(f, f->client);
    expect_counters(f, {"zap_allowed", 0}, {"messages", 0}, {"batches_applied", 0});

    /* A plain-TCP client never gets as far as ZAP: a mechanism mismatch. */
    void *plain = connect_client(f, NULL);
    send_batch(plain, SENSOR, EPOCH, 1, 1);
    wait_counter(f, "handshake_failed_protocol", 1);
    expect_no_ack(f, plain);
    expect_counters(f, {"messages", 0});
    close_socket(&plain);
}

static void test_ingest_binds_the_sensor_id_to_the_key_name(void **state)
{
    struct fx *f = *state;
    /* branch-a's key writing into branch-b's stream. */
    send_batch(f->client, "branch-b", EPOCH, 1, 1);
    expect_no_ack(f, f->client);
    expect_counters(f, {"unauthorised", 1}, {"batches_applied", 0});

    exchange(f, 1, 1, ACK_OK);
}

static void test_ingest_reload_revokes_a_connected_sensor_at_once(void **state)
{
    struct fx *f = *state;
    exchange(f, 1, 1, ACK_OK);
    assert_int_equal(ingest_allowed_keys(f->in), 1);

    char pub[TMPDIR_PATH_MAX + 32];
    assert_int_equal(tmpdir_file(&f->keys_dir, SENSOR ".pub", pub, sizeof(pub)), 0);
    assert_int_equal(unlink(pub), 0);
    assert_int_equal(ingest_reload_allow(f->in), 0);
    assert_int_equal(ingest_allowed_keys(f->in), 0);

    /* Same connection, admitted before the reload. */
    send_batch(f->client, SENSOR, EPOCH, 2, 2);
    expect_no_ack(f, f->client);
    expect_counters(f, {"unauthorised", 1}, {"batches_applied", 1});
}

/* A batch of one record whose server name is 900 KiB: most of the small store's map. */
static void send_big_batch(struct fx *f, uint64_t seq)
{
    size_t big = 900u << 10;
    char *name = malloc(big);
    assert_non_null(name);
    memset(name, 'a', big - 1);
    name[big - 1] = '\0';
    static uint8_t cli[4] = {10, 0, 0, 1}, srv[4] = {10, 0, 0, 2};
    Umbra__FlowKey key = UMBRA__FLOW_KEY__INIT;
    key.ip_proto = 6;
    key.client_addr = (ProtobufCBinaryData){sizeof(cli), cli};
    key.server_addr = (ProtobufCBinaryData){sizeof(srv), srv};
    Umbra__FlowTiming timing = UMBRA__FLOW_TIMING__INIT;
    timing.first_ts = EPOCH;
    Umbra__FlowRecord rec = UMBRA__FLOW_RECORD__INIT;
    rec.event = UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN;
    rec.key = &key;
    rec.timing = &timing;
    rec.server_name = name;
    Umbra__FlowRecord *recs[] = {&rec};
    Umbra__FlowBatch b = UMBRA__FLOW_BATCH__INIT;
    b.schema_version = WIRE_SCHEMA_VERSION;
    b.sensor_id = SENSOR;
    b.sequence = seq;
    b.stream_epoch = EPOCH;
    b.oldest_held = seq;
    b.n_records = 1;
    b.records = recs;
    size_t cap = big + 4096;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    send_bytes(f->client, buf, pack(WIRE_FLOW_BATCH, &b.base, buf, cap));
    free(buf);
    free(name);
}

static void test_ingest_store_failure_costs_one_group_only(void **state)
{
    struct fx *f = *state;
    /* Payloads go to segment files, not into the map: a file size limit makes the store's write
     * fail (EFBIG, where a full disk would give ENOSPC). */
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 1u << 20;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    send_big_batch(f, 1);
    expect_ack(f, f->client, ACK_OK, 1, NULL);
    /* The second does not fit under the limit: the group fails and is not acked. The store's
     * writer thread makes the write, so the failure surfaces when the group commits... */
    send_big_batch(f, 2);
    wait_counter(f, "commit_failures", 1);
    expect_no_ack(f, f->client);
    expect_counters(f, {"batches_applied", 1}, {"records_applied", 1});

    /* ... and the next group is stored and acked as if nothing had happened. */
    exchange(f, 2, 2, ACK_OK);
    expect_counters(f, {"batches_applied", 2}, {"commit_failures", 1});
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_DFL);
}

static void test_ingest_reload_keeps_the_list_when_the_directory_is_unreadable(void **state)
{
    struct fx *f = *state;
    exchange(f, 1, 1, ACK_OK);
    char moved[TMPDIR_PATH_MAX + 16];
    snprintf(moved, sizeof(moved), "%s.moved", f->keys_dir.path);
    assert_int_equal(rename(f->keys_dir.path, moved), 0);
    assert_true(ingest_reload_allow(f->in) < 0);
    assert_int_equal(ingest_allowed_keys(f->in), 1);
    assert_int_equal(rename(moved, f->keys_dir.path), 0);
    exchange(f, 2, 2, ACK_OK);
}

static void test_ingest_insecure_mode_works_without_keys(void **state)
{
    struct fx *f = *state;
    assert_false(ingest_curve(f->in));
    send_batch(f->client, "lab-sensor", EPOCH, 1, 1);
    expect_ack(f, f->client, ACK_OK, 1, NULL);
    expect_counters(f, {"zap_allowed", 0}, {"sensors_known", 1});
}

static void test_ingest_tracks_hello_heartbeat_and_silence(void **state)
{
    struct fx *f = *state;
    Umbra__Hello h = UMBRA__HELLO__INIT;
    char *caps[] = {"features", "handshakes"};
    h.schema_version = WIRE_SCHEMA_VERSION;
    h.sensor_id = SENSOR;
    h.software_version = "0.1.0";
    h.hostname = "h1";
    h.site = "paris";
    h.capabilities = caps;
    h.n_capabilities = 2;
    h.stream_epoch = EPOCH;
    send_msg(f, WIRE_HELLO, &h.base);
    Umbra__Heartbeat hb = UMBRA__HEARTBEAT__INIT;
    hb.sensor_id = SENSOR;
    hb.packets_read = 1234;
    hb.spool_batches = 7;
    send_msg(f, WIRE_HEARTBEAT, &hb.base);
    wait_counter(f, "heartbeats", 1);
    expect_counters(f, {"hellos", 1}, {"sensors_known", 1});

    char *text = NULL;
    size_t text_len = 0;
    FILE *mem = open_memstream(&text, &text_len);
    assert_non_null(mem);
    ingest_print_sensors(f->in, mem);
    fclose(mem);
    assert_non_null(strstr(text, SENSOR " host=h1 site=paris version=0.1.0"));
    assert_non_null(strstr(text, "packets=1234"));
    assert_non_null(strstr(text, "spool_batches=7"));
    free(text);

    /* Nothing for longer than the silence timeout, then a message again. */
    wait_counter(f, "sensors_silent", 1);
    send_msg(f, WIRE_HEARTBEAT, &hb.base);
    wait_counter(f, "heartbeats", 2);
    expect_counters(f, {"sensors_silent", 0});

    /* A heartbeat in another sensor's name is refused like a batch. */
    hb.sensor_id = "branch-b";
    send_msg(f, WIRE_HEARTBEAT, &hb.base);
    wait_counter(f, "unauthorised", 1);
    expect_counters(f, {"sensors_known", 1});
}

/* Each test gets a fixture started by its setup: a sensor connected with its key, unless the
 * test is about something else. */
#define WITH(test, setup) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
            WITH(test_ingest_acks_in_order_duplicate_retry_and_accepted_gap, setup_sensor),
            WITH(test_ingest_group_of_many_batches_all_acked_after_commit, setup_sensor),
            WITH(test_ingest_small_group_waits_to_fill_then_commits_once, setup_filling),
            WITH(test_ingest_group_that_fills_commits_without_waiting_out, setup_filling),
            WITH(test_ingest_destroy_commits_a_group_still_filling, setup_filling),
            WITH(test_ingest_counts_malformed_input_without_ack_and_goes_on, setup_sensor),
            WITH(test_ingest_oversized_message_drops_the_connection, setup_sensor),
            WITH(test_ingest_rejects_invalid_batch_and_moves_on, setup_sensor),
            WITH(test_ingest_refuses_a_key_not_in_the_allow_list, setup_no_client),
            WITH(test_ingest_binds_the_sensor_id_to_the_key_name, setup_sensor),
            WITH(test_ingest_reload_revokes_a_connected_sensor_at_once, setup_sensor),
            WITH(test_ingest_store_failure_costs_one_group_only, setup_small_store),
            WITH(test_ingest_reload_keeps_the_list_when_the_directory_is_unreadable, setup_sensor),
            WITH(test_ingest_insecure_mode_works_without_keys, setup_insecure),
            WITH(test_ingest_tracks_hello_heartbeat_and_silence, setup_quick_silence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
