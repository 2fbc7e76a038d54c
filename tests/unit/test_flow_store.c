/*
 * flow_store: the apply-once rule (in order, duplicate, wait, accepted gap, stale and new
 * epochs), group transactions (commit, abort, several batches of a sensor in one), durability
 * across a reopen, rejected batches, the read-only scans, a full map and invalid sensor ids.
 * Every test uses a real LMDB environment in a scratch directory, without fsync.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aggregator/flow_store.h"
#include "tests/unit/support/tmpfile.h"

#define MAP_SIZE (8u << 20)

struct fx {
    struct tmpdir dir;
    struct flow_store *st;
};

static struct flow_store *open_store(const char *dir, uint64_t map_size)
{
    struct flow_store_config cfg = {.dir = dir, .map_size = map_size, .sync = false};
    return flow_store_create(&cfg, NULL);
}

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    if (fx == NULL || tmpdir_create(&fx->dir) != 0)
        return -1;
    fx->st = open_store(fx->dir.path, MAP_SIZE);
    if (fx->st == NULL)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    flow_store_destroy(&fx->st);
    tmpdir_remove(&fx->dir);
    free(fx);
    return 0;
}

/* Decides and applies one batch whose payload is the text @payload (gap from decide). */
static void apply_one(struct flow_store *st, const char *id, uint64_t epoch, uint64_t seq,
                      uint64_t oldest_held, const char *payload, uint32_t records)
{
    uint64_t expected = 99, gap = 99;
    assert_int_equal(flow_store_decide(st, id, epoch, seq, oldest_held, &expected, &gap),
                     FLOW_STORE_APPLY);
    assert_int_equal(expected, 0);
    assert_int_equal(
            flow_store_apply(st, id, epoch, seq, gap, payload, strlen(payload), records, false), 0);
}

static enum flow_store_verdict decide(struct flow_store *st, const char *id, uint64_t epoch,
                                      uint64_t seq, uint64_t oldest_held, uint64_t *expected,
                                      uint64_t *gap)
{
    uint64_t e, g;
    enum flow_store_verdict v = flow_store_decide(st, id, epoch, seq, oldest_held, &e, &g);
    if (expected != NULL)
        *expected = e;
    if (gap != NULL)
        *gap = g;
    return v;
}

static void test_flow_store_applies_batches_in_order(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "s1", 100, 1, 1, "one", 3);
    apply_one(fx->st, "s1", 100, 2, 2, "two", 4);
    assert_int_equal(flow_store_commit(fx->st), 0);
    struct flow_store_sensor s;
    assert_int_equal(flow_store_sensor_get(fx->st, "s1", &s), 0);
    assert_int_equal(s.epoch, 100);
    assert_int_equal(s.hwm, 2);
    assert_int_equal(s.batches, 2);
    assert_int_equal(s.records, 7);
    assert_int_equal(s.rejected_batches, 0);
    assert_int_equal(s.batches_lost, 0);
    assert_true(s.last_apply_ts > 0);
    assert_int_equal(flow_store_sensor_get(fx->st, "s2", &s), -ENOENT);
}

static void test_flow_store_answers_duplicate_at_or_below_hwm(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(flow_store_begin(fx->st), 0);
    for (uint64_t seq = 1; seq <= 3; seq++)
        apply_one(fx->st, "s1", 100, seq, seq, "x", 1);
    assert_int_equal(flow_store_commit(fx->st), 0);
    assert_int_equal(flow_store_begin(fx->st), 0);
    assert_int_equal(decide(fx->st, "s1", 100, 1, 1, NULL, NULL), FLOW_STORE_DUPLICATE);
    assert_int_equal(decide(fx->st, "s1", 100, 3, 2, NULL, NULL), FLOW_STORE_DUPLICATE);
    assert_int_equal(decide(fx->st, "s1", 100, 4, 4, NULL, NULL), FLOW_STORE_APPLY);
    /* Applying what decide() calls a duplicate is refused and changes nothing. */
    assert_int_equal(flow_store_apply(fx->st, "s1", 100, 3, 0, "x", 1, 1, false), -EINVAL);
    assert_int_equal(flow_store_commit(fx->st), 0);
    struct flow_store_sensor s;
    assert_int_equal(flow_store_sensor_get(fx->st, "s1", &s), 0);
    assert_int_equal(s.hwm, 3);
    assert_int_equal(s.batches, 3);
}

static void test_flow_store_waits_for_a_batch_the_sensor_still_holds(void **state)
{
    struct fx *fx = *state;
    uint64_t expected, gap;
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "s1", 100, 1, 1, "x", 1);
    apply_one(fx->st, "s1", 100, 2, 1, "x", 1);
    /* Batch 3 is missing and the sensor still holds it (oldest_held 3 < 5): resend from 3. */
    assert_int_equal(decide(fx->st, "s1", 100, 5, 3, &expected, &gap), FLOW_STORE_WAIT);
    assert_int_equal(expected, 3);
    assert_int_equal(gap, 0);
    assert_int_equal(decide(fx->st, "s1", 100, 5, 4, &expected, NULL), FLOW_STORE_WAIT);
    assert_int_equal(expected, 3);
    /* A new sensor's first batch must be 1 unless the sensor holds nothing earlier. */
    assert_int_equal(decide(fx->st, "s2", 7, 4, 2, &expected, NULL), FLOW_STORE_WAIT);
    assert_int_equal(expected, 1);
    /* Applying a waiting batch anyway is refused. */
    assert_int_equal(flow_store_apply(fx->st, "s1", 100, 5, 0, "x", 1, 1, false), -EINVAL);
    assert_int_equal(flow_store_commit(fx->st), 0);
}

static void test_flow_store_accepts_a_gap_the_sensor_dropped(void **state)
{
    struct fx *fx = *state;
    uint64_t expected, gap;
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "s1", 100, 1, 1, "x", 1);
    apply_one(fx->st, "s1", 100, 2, 1, "x", 1);
    /* The sensor's oldest batch is 5 itself: 3 and 4 were dropped at its spool cap. */
    assert_int_equal(decide(fx->st, "s1", 100, 5, 5, &expected, &gap), FLOW_STORE_APPLY);
    assert_int_equal(gap, 2);
    assert_int_equal(expected, 0);
    /* The gap must be the one decide() gave. */
    assert_int_equal(flow_store_apply(fx->st, "s1", 100, 5, 1, "x", 1, 1, false), -EINVAL);
    assert_int_equal(flow_store_apply(fx->st, "s1", 100, 5, gap, "five", 4, 10, false), 0);
    assert_int_equal(flow_store_commit(fx->st), 0);
    struct flow_store_sensor s;
    assert_int_equal(flow_store_sensor_get(fx->st, "s1", &s), 0);
    assert_int_equal(s.hwm, 5);
    assert_int_equal(s.batches, 3);
    assert_int_equal(s.records, 12);
    assert_int_equal(s.batches_lost, 2);
    /* A new sensor whose batches before 3 were all dropped. */
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "s2", 7, 3, 3, "x", 1);
    assert_int_equal(flow_store_commit(fx->st), 0);
    assert_int_equal(flow_store_sensor_get(fx->st, "s2", &s), 0);
    assert_int_equal(s.hwm, 3);
    assert_int_equal(s.batches_lost, 2);
}

static void test_flow_store_refuses_stale_epoch_and_restarts_on_new_one(void **state)
{
    struct fx *fx = *state;
    uint64_t gap;
    assert_int_equal(flow_store_begin(fx->st), 0);
    for (uint64_t seq = 1; seq <= 3; seq++)
        apply_one(fx->st, "s1", 100, seq, seq, "old", 1);
    assert_int_equal(decide(fx->st, "s1", 99, 4, 4, NULL, NULL), FLOW_STORE_STALE);
    /* A newer epoch is a new stream: its sequence starts again at 1. */
    assert_int_equal(decide(fx->st, "s1", 200, 1, 1, NULL, &gap), FLOW_STORE_APPLY);
    assert_int_equal(gap, 0);
    assert_int_equal(decide(fx->st, "s1", 200, 2, 2, NULL, &gap), FLOW_STORE_APPLY);
    assert_int_equal(gap, 1);
    apply_one(fx->st, "s1", 200, 1, 1, "new", 2);
    assert_int_equal(flow_store_commit(fx->st), 0);
    struct flow_store_sensor s;
    assert_int_equal(flow_store_sensor_get(fx->st, "s1", &s), 0);
    assert_int_equal(s.epoch, 200);
    assert_int_equal(s.hwm, 1);
    assert_int_equal(s.batches, 4); /* counts span epochs */
    assert_int_equal(s.records, 5);
    assert_int_equal(flow_store_begin(fx->st), 0);
    assert_int_equal(decide(fx->st, "s1", 100, 4, 4, NULL, NULL), FLOW_STORE_STALE);
    assert_int_equal(flow_store_apply(fx->st, "s1", 100, 4, 0, "x", 1, 1, false), -EINVAL);
    assert_int_equal(decide(fx->st, "s1", 200, 1, 1, NULL, NULL), FLOW_STORE_DUPLICATE);
    flow_store_abort(fx->st);
}

static void test_flow_store_sees_earlier_batches_of_the_same_txn(void **state)
{
    struct fx *fx = *state;
    struct flow_store_sensor s;
    assert_int_equal(flow_store_begin(fx->st), 0);
    assert_int_equal(flow_store_begin(fx->st), 0); /* already open: nothing */
    apply_one(fx->st, "s1", 100, 1, 1, "one", 1);
    assert_int_equal(decide(fx->st, "s1", 100, 1, 1, NULL, NULL), FLOW_STORE_DUPLICATE);
    apply_one(fx->st, "s1", 100, 2, 2, "two", 1);
    /* sensor_get() reads committed state only. */
    assert_int_equal(flow_store_sensor_get(fx->st, "s1", &s), -ENOENT);
    assert_int_equal(flow_store_commit(fx->st), 0);
    assert_int_equal(flow_store_sensor_get(fx->st, "s1", &s), 0);
    assert_int_equal(s.hwm, 2);
    assert_int_equal(flow_store_commit(fx->st), 0); /* nothing open */
}

static void test_flow_store_abort_forgets_the_whole_txn(void **state)
{
    struct fx *fx = *state;
    struct flow_store_sensor s;
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "s1", 100, 1, 1, "one", 1);
    assert_int_equal(flow_store_commit(fx->st), 0);
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "s1", 100, 2, 2, "two", 1);
    apply_one(fx->st, "s1", 100, 3, 3, "three", 1);
    apply_one(fx->st, "s2", 5, 1, 1, "other", 1);
    flow_store_abort(fx->st);
    assert_int_equal(flow_store_sensor_get(fx->st, "s1", &s), 0);
    assert_int_equal(s.hwm, 1);
    assert_int_equal(s.batches, 1);
    assert_int_equal(flow_store_sensor_get(fx->st, "s2", &s), -ENOENT);
    /* Without a transaction nothing is decided or applied. */
    assert_int_equal(decide(fx->st, "s1", 100, 2, 2, NULL, NULL), FLOW_STORE_ERROR);
    assert_int_equal(flow_store_apply(fx->st, "s1", 100, 2, 0, "x", 1, 1, false), -EINVAL);
    assert_int_equal(flow_store_begin(fx->st), 0);
    assert_int_equal(decide(fx->st, "s1", 100, 2, 2, NULL, NULL), FLOW_STORE_APPLY);
    flow_store_abort(fx->st);
    flow_store_abort(fx->st); /* nothing open: nothing */
}

/* Collects what a scan returns. */
struct seen {
    size_t n;
    char id[16][FLOW_STORE_ID_MAX + 1];
    uint64_t epoch[16], seq[16];
    char payload[16][16];
    int stop_after; /* 0: never stop */
};

static int collect(void *ctx, const struct flow_store_batch *b)
{
    struct seen *sn = ctx;
    if (sn->n == 16 || b->len >= sizeof(sn->payload[0]))
        return -1;
    memcpy(sn->id[sn->n], b->sensor_id, strlen(b->sensor_id) + 1);
    sn->epoch[sn->n] = b->epoch;
    sn->seq[sn->n] = b->seq;
    memcpy(sn->payload[sn->n], b->payload, b->len);
    sn->payload[sn->n][b->len] = '\0';
    sn->n++;
    return sn->stop_after != 0 && (int)sn->n == sn->stop_after ? 7 : 0;
}

static void test_flow_store_keeps_hwm_and_payloads_across_reopen(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "s1", 100, 1, 1, "one", 1);
    apply_one(fx->st, "s1", 100, 2, 2, "two", 2);
    assert_int_equal(flow_store_commit(fx->st), 0);
    flow_store_destroy(&fx->st);
    assert_null(fx->st);
    flow_store_destroy(&fx->st); /* NULL-safe */

    /* The writer is closed, so this process may open the environment read-only. */
    struct seen sn = {0};
    assert_int_equal(flow_store_scan(fx->dir.path, collect, &sn, NULL), 0);
    assert_int_equal(sn.n, 2);
    assert_string_equal(sn.payload[0], "one");
    assert_string_equal(sn.payload[1], "two");

    fx->st = open_store(fx->dir.path, MAP_SIZE);
    assert_non_null(fx->st);
    struct flow_store_sensor s;
    assert_int_equal(flow_store_sensor_get(fx->st, "s1", &s), 0);
    assert_int_equal(s.epoch, 100);
    assert_int_equal(s.hwm, 2);
    assert_int_equal(s.records, 3);
    assert_int_equal(flow_store_begin(fx->st), 0);
    assert_int_equal(decide(fx->st, "s1", 100, 2, 2, NULL, NULL), FLOW_STORE_DUPLICATE);
    apply_one(fx->st, "s1", 100, 3, 3, "three", 1);
    assert_int_equal(flow_store_commit(fx->st), 0);
}

static void test_flow_store_rejected_batch_moves_hwm_without_payload(void **state)
{
    struct fx *fx = *state;
    uint64_t expected, gap;
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "s1", 100, 1, 1, "one", 1);
    assert_int_equal(decide(fx->st, "s1", 100, 2, 2, &expected, &gap), FLOW_STORE_APPLY);
    assert_int_equal(flow_store_apply(fx->st, "s1", 100, 2, gap, "bad", 3, 50, true), 0);
    /* Batch 3 is not blocked by the rejected 2. */
    apply_one(fx->st, "s1", 100, 3, 3, "three", 1);
    assert_int_equal(decide(fx->st, "s1", 100, 6, 6, &expected, &gap), FLOW_STORE_APPLY);
    assert_int_equal(flow_store_apply(fx->st, "s1", 100, 6, gap, NULL, 0, 0, true), 0);
    assert_int_equal(flow_store_commit(fx->st), 0);
    struct flow_store_sensor s;
    assert_int_equal(flow_store_sensor_get(fx->st, "s1", &s), 0);
    assert_int_equal(s.hwm, 6);
    assert_int_equal(s.batches, 2);
    assert_int_equal(s.records, 2);
    assert_int_equal(s.rejected_batches, 2);
    assert_int_equal(s.batches_lost, 2);
    flow_store_destroy(&fx->st);
    struct seen sn = {0};
    assert_int_equal(flow_store_scan(fx->dir.path, collect, &sn, NULL), 0);
    assert_int_equal(sn.n, 2);
    assert_int_equal(sn.seq[0], 1);
    assert_int_equal(sn.seq[1], 3);
}

/* What the child of the scan test expects: LMDB orders keys bytewise, so the one-byte ids come
 * before the two-byte ones; within a sensor, epoch then sequence. */
static const struct {
    const char *id;
    uint64_t epoch, seq;
    const char *payload;
} scan_expect[] = {
        {"a", 5, 1, "a5/1"},        {"a", 5, 2, "a5/2"},    {"mm", 9, 1, "mm9/1"},
        {"mm", 10, 1, "mm10/1"},    {"zz", 300, 1, "zz/1"}, {"zz", 300, 2, "zz/2"},
        {"zz", 300, 256, "zz/256"},
};

static int count_sensor(void *ctx, const char *id, const struct flow_store_sensor *s)
{
    int *n = ctx;
    (void)id;
    (void)s;
    (*n)++;
    return 0;
}

/* Runs in the child: 0 if the scans saw exactly the committed state. */
static int child_scan(const char *dir)
{
    struct seen sn = {0};
    if (flow_store_scan(dir, collect, &sn, NULL) != 0)
        return 1;
    size_t n = sizeof(scan_expect) / sizeof(scan_expect[0]);
    if (sn.n != n)
        return 2;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(sn.id[i], scan_expect[i].id) != 0 || sn.epoch[i] != scan_expect[i].epoch ||
            sn.seq[i] != scan_expect[i].seq || strcmp(sn.payload[i], scan_expect[i].payload) != 0)
            return 3;
    }
    struct seen first = {.stop_after = 2};
    if (flow_store_scan(dir, collect, &first, NULL) != 7 || first.n != 2)
        return 4;
    int sensors = 0;
    if (flow_store_scan_sensors(dir, count_sensor, &sensors, NULL) != 0 || sensors != 3)
        return 5;
    return 0;
}

static void test_flow_store_scan_reads_while_the_writer_is_open(void **state)
{
    struct fx *fx = *state;
    /* Applied out of key order, over two transactions. */
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "zz", 300, 1, 1, "zz/1", 1);
    apply_one(fx->st, "mm", 9, 1, 1, "mm9/1", 1);
    apply_one(fx->st, "a", 5, 1, 1, "a5/1", 1);
    apply_one(fx->st, "zz", 300, 2, 2, "zz/2", 1);
    assert_int_equal(flow_store_commit(fx->st), 0);
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "mm", 10, 1, 1, "mm10/1", 1);
    apply_one(fx->st, "a", 5, 2, 2, "a5/2", 1);
    /* 256 checks that the sequence is compared as a big-endian number, not a byte string. */
    apply_one(fx->st, "zz", 300, 256, 256, "zz/256", 1);
    assert_int_equal(flow_store_commit(fx->st), 0);
    /* Uncommitted at the time of the scan: the reader must not see it. */
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "a", 5, 3, 3, "a5/3", 1);

    /* LMDB forbids opening an environment twice in one process, and the writer's is open with
     * a write transaction in progress: umbra-ctl's situation is reproduced by scanning from a
     * forked child, which never touches the inherited environment and opens its own. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_scan(fx->dir.path));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(flow_store_commit(fx->st), 0);
}

static void test_flow_store_scan_of_missing_store_fails(void **state)
{
    struct fx *fx = *state;
    char path[TMPDIR_PATH_MAX * 2];
    assert_int_equal(tmpdir_file(&fx->dir, "absent", path, sizeof(path)), 0);
    struct seen sn = {0};
    assert_int_equal(flow_store_scan(path, collect, &sn, NULL), -ENOENT);
}

static void test_flow_store_full_map_fails_the_group(void **state)
{
    struct fx *fx = *state;
    flow_store_destroy(&fx->st);
    tmpdir_remove(&fx->dir);
    assert_int_equal(tmpdir_create(&fx->dir), 0);
    fx->st = open_store(fx->dir.path, 1u << 20);
    assert_non_null(fx->st);
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "s1", 100, 1, 1, "one", 1);
    assert_int_equal(flow_store_commit(fx->st), 0);

    size_t big_len = 2u << 20; /* twice the map */
    uint8_t *big = calloc(1, big_len);
    assert_non_null(big);
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "s1", 100, 2, 2, "two", 1);
    assert_int_equal(flow_store_apply(fx->st, "s1", 100, 3, 0, big, big_len, 1, false), -ENOSPC);
    free(big);
    /* The group stays failed until commit reports it, so nothing of it can be acked. */
    assert_int_equal(decide(fx->st, "s1", 100, 3, 3, NULL, NULL), FLOW_STORE_ERROR);
    assert_int_equal(flow_store_apply(fx->st, "s1", 100, 3, 0, "x", 1, 1, false), -ENOSPC);
    assert_int_equal(flow_store_begin(fx->st), -ENOSPC);
    assert_int_equal(flow_store_commit(fx->st), -ENOSPC);
    struct flow_store_sensor s;
    assert_int_equal(flow_store_sensor_get(fx->st, "s1", &s), 0);
    assert_int_equal(s.hwm, 1);
    assert_int_equal(s.batches, 1);
    /* The store goes on working with batches that fit. */
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "s1", 100, 2, 2, "two", 1);
    assert_int_equal(flow_store_commit(fx->st), 0);
    assert_int_equal(flow_store_sensor_get(fx->st, "s1", &s), 0);
    assert_int_equal(s.hwm, 2);
}

static void test_flow_store_refuses_invalid_sensor_ids(void **state)
{
    struct fx *fx = *state;
    char long_id[FLOW_STORE_ID_MAX + 2];
    memset(long_id, 'x', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    const char *bad[] = {NULL, "", long_id, "has space", "ctl\x01", "tab\there"};
    struct flow_store_sensor s;
    assert_int_equal(flow_store_begin(fx->st), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(decide(fx->st, bad[i], 1, 1, 1, NULL, NULL), FLOW_STORE_ERROR);
        assert_int_equal(flow_store_apply(fx->st, bad[i], 1, 1, 0, "x", 1, 1, false), -EINVAL);
        assert_int_equal(flow_store_sensor_get(fx->st, bad[i], &s), -EINVAL);
    }
    /* 64 bytes is the longest valid id. */
    long_id[FLOW_STORE_ID_MAX] = '\0';
    apply_one(fx->st, long_id, 1, 1, 1, "x", 1);
    assert_int_equal(flow_store_commit(fx->st), 0);
    assert_int_equal(flow_store_sensor_get(fx->st, long_id, &s), 0);
}

static void test_flow_store_create_checks_config_and_makes_the_dir(void **state)
{
    struct fx *fx = *state;
    char path[TMPDIR_PATH_MAX * 2];
    assert_int_equal(tmpdir_file(&fx->dir, "store", path, sizeof(path)), 0);
    struct flow_store_config cfg = {.dir = path, .map_size = 0};
    assert_null(flow_store_create(&cfg, NULL));
    cfg.dir = NULL;
    cfg.map_size = MAP_SIZE;
    assert_null(flow_store_create(&cfg, NULL));
    cfg.dir = path;
    struct flow_store *st = flow_store_create(&cfg, NULL);
    assert_non_null(st);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0700);
    flow_store_destroy(&st);
    /* tmpdir_remove() goes one level deep only. */
    const char *files[] = {"data.mdb", "lock.mdb"};
    char file[TMPDIR_PATH_MAX * 3];
    for (size_t i = 0; i < 2; i++) {
        assert_true(snprintf(file, sizeof(file), "%s/%s", path, files[i]) < (int)sizeof(file));
        assert_int_equal(unlink(file), 0);
    }
    assert_int_equal(rmdir(path), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
            T(test_flow_store_applies_batches_in_order),
            T(test_flow_store_answers_duplicate_at_or_below_hwm),
            T(test_flow_store_waits_for_a_batch_the_sensor_still_holds),
            T(test_flow_store_accepts_a_gap_the_sensor_dropped),
            T(test_flow_store_refuses_stale_epoch_and_restarts_on_new_one),
            T(test_flow_store_sees_earlier_batches_of_the_same_txn),
            T(test_flow_store_abort_forgets_the_whole_txn),
            T(test_flow_store_keeps_hwm_and_payloads_across_reopen),
            T(test_flow_store_rejected_batch_moves_hwm_without_payload),
            T(test_flow_store_scan_reads_while_the_writer_is_open),
            T(test_flow_store_scan_of_missing_store_fails),
            T(test_flow_store_full_map_fails_the_group),
            T(test_flow_store_refuses_invalid_sensor_ids),
            T(test_flow_store_create_checks_config_and_makes_the_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
