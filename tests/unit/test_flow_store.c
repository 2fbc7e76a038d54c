/*
 * flow_store: the apply-once rule (in order, duplicate, wait, accepted gap, stale and new
 * epochs), group transactions (commit, abort, several batches of a sensor in one), durability
 * across a reopen, rejected batches, the read-only scans, a full map and invalid sensor ids;
 * the payload segments: rolls, a crash between apply and commit, the bytes of an aborted group,
 * damaged payloads, and stores of another format. Every test uses a real store in a scratch
 * directory, without fsync.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aggregator/flow_store.h"
#include "common/wire.h"
#include "tests/unit/support/lmdb_raw.h"
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

/*
 * flow_store_apply() with the payload @len bytes at @payload put in a FlowBatch envelope first
 * (wire.h: 12 bytes of header before it, the XXH3 checksum after), as ingest passes it; @payload
 * NULL passes no envelope at all. The store never decodes a payload, so text will do.
 */
static int apply_env(struct flow_store *st, const char *id, uint64_t epoch, uint64_t seq,
                     uint64_t gap, const void *payload, size_t len, uint32_t records, bool rejected)
{
    if (payload == NULL)
        return flow_store_apply(st, id, epoch, seq, gap, NULL, 0, records, rejected);
    uint8_t *env = malloc(len + WIRE_OVERHEAD);
    assert_non_null(env);
    memcpy(env + WIRE_HEADER_LEN, payload, len);
    size_t elen = 0;
    assert_int_equal(wire_seal(WIRE_FLOW_BATCH, env, len, len + WIRE_OVERHEAD, &elen), 0);
    int rc = flow_store_apply(st, id, epoch, seq, gap, env, elen, records, rejected);
    free(env);
    return rc;
}

/* Records start on 4 KiB boundaries and are padded to the next (flow_store.h): a record of a
 * payload of n bytes takes REC(n) bytes, with the record's 20-byte header and the envelope's 20
 * bytes. */
#define BLOCK   4096
#define REC_HDR 20
#define REC(n)  ((((n) + REC_HDR + WIRE_OVERHEAD + BLOCK - 1) / BLOCK) * BLOCK)

/* Small segments, three blocks, so that a few short payloads roll over several of them. */
#define SEG_BYTES (3 * BLOCK)

static struct flow_store *open_small_segments(const char *dir)
{
    struct flow_store_config cfg = {
            .dir = dir, .map_size = MAP_SIZE, .sync = false, .segment_bytes = SEG_BYTES};
    return flow_store_create(&cfg, NULL);
}

/* The path of segment @no of the store in @dir (named as flow_store.h says). */
static void seg_path(const struct tmpdir *dir, uint64_t no, char *out, size_t len)
{
    char name[32];
    assert_true(snprintf(name, sizeof(name), "%016llx.seg", (unsigned long long)no) <
                (int)sizeof(name));
    assert_int_equal(tmpdir_file(dir, name, out, len), 0);
}

/* The size of segment @no, or -1 if it does not exist. */
static long long seg_size(const struct tmpdir *dir, uint64_t no)
{
    char path[TMPDIR_PATH_MAX * 2];
    struct stat sb;
    seg_path(dir, no, path, sizeof(path));
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* Waits (up to 5 s) for segment @no to be @want bytes long: the store's writer thread makes the
 * appends, and only a commit waits for them. Returns the last size seen. */
static long long wait_seg_size(const struct tmpdir *dir, uint64_t no, long long want)
{
    long long size = seg_size(dir, no);
    for (int i = 0; i < 500 && size != want; i++) {
        usleep(10000);
        size = seg_size(dir, no);
    }
    return size;
}

/* Closes the fixture's store and starts again in an empty directory. */
static void fresh_dir(struct fx *fx)
{
    flow_store_destroy(&fx->st);
    tmpdir_remove(&fx->dir);
    assert_int_equal(tmpdir_create(&fx->dir), 0);
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
    assert_int_equal(flow_store_decide(st, id, epoch, 0, seq, oldest_held, &expected, &gap),
                     FLOW_STORE_APPLY);
    assert_int_equal(expected, 0);
    assert_int_equal(apply_env(st, id, epoch, seq, gap, payload, strlen(payload), records, false),
                     0);
}

/* flow_store_decide() for a sensor whose Hello announced stream epoch @announced (0: none). */
static enum flow_store_verdict decide_announced(struct flow_store *st, const char *id,
                                                uint64_t epoch, uint64_t announced, uint64_t seq,
                                                uint64_t oldest_held, uint64_t *expected,
                                                uint64_t *gap)
{
    uint64_t e, g;
    enum flow_store_verdict v =
            flow_store_decide(st, id, epoch, announced, seq, oldest_held, &e, &g);
    if (expected != NULL)
        *expected = e;
    if (gap != NULL)
        *gap = g;
    return v;
}

/* flow_store_decide() with no Hello seen. */
static enum flow_store_verdict decide(struct flow_store *st, const char *id, uint64_t epoch,
                                      uint64_t seq, uint64_t oldest_held, uint64_t *expected,
                                      uint64_t *gap)
{
    return decide_announced(st, id, epoch, 0, seq, oldest_held, expected, gap);
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
    assert_int_equal(apply_env(fx->st, "s1", 100, 3, 0, "x", 1, 1, false), -EINVAL);
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
    assert_int_equal(apply_env(fx->st, "s1", 100, 5, 0, "x", 1, 1, false), -EINVAL);
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
    assert_int_equal(apply_env(fx->st, "s1", 100, 5, 1, "x", 1, 1, false), -EINVAL);
    assert_int_equal(apply_env(fx->st, "s1", 100, 5, gap, "five", 4, 10, false), 0);
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
    assert_int_equal(apply_env(fx->st, "s1", 100, 4, 0, "x", 1, 1, false), -EINVAL);
    assert_int_equal(decide(fx->st, "s1", 200, 1, 1, NULL, NULL), FLOW_STORE_DUPLICATE);
    flow_store_abort(fx->st);
}

/*
 * A sensor whose spool was (re)made while its clock was behind has an epoch below the stored
 * one. Unannounced, that is a stale stream as before; announced by the sensor's Hello, it is
 * the sensor's live stream and starts afresh at sequence 1. The replaced, higher epoch is then
 * stale if it comes back while the sensor announces the lower one; announced again, it is the
 * live stream again.
 */
static void test_flow_store_announced_older_epoch_starts_a_new_stream(void **state)
{
    struct fx *fx = *state;
    uint64_t expected, gap;
    assert_int_equal(flow_store_begin(fx->st), 0);
    for (uint64_t seq = 1; seq <= 3; seq++)
        apply_one(fx->st, "s1", 200, seq, seq, "old", 1);
    assert_int_equal(flow_store_commit(fx->st), 0);

    assert_int_equal(flow_store_begin(fx->st), 0);
    /* Not announced: no Hello, a Hello of the stored epoch, or of yet another one. */
    assert_int_equal(decide_announced(fx->st, "s1", 100, 0, 1, 1, NULL, NULL), FLOW_STORE_STALE);
    assert_int_equal(decide_announced(fx->st, "s1", 100, 200, 1, 1, NULL, NULL), FLOW_STORE_STALE);
    assert_int_equal(decide_announced(fx->st, "s1", 100, 150, 1, 1, NULL, NULL), FLOW_STORE_STALE);
    /* Announced: a new stream, hwm 0, by the usual rules from there. */
    assert_int_equal(decide_announced(fx->st, "s1", 100, 100, 1, 1, &expected, &gap),
                     FLOW_STORE_APPLY);
    assert_int_equal(gap, 0);
    assert_int_equal(decide_announced(fx->st, "s1", 100, 100, 3, 2, &expected, NULL),
                     FLOW_STORE_WAIT);
    assert_int_equal(expected, 1);
    assert_int_equal(apply_env(fx->st, "s1", 100, 1, 0, "new", 3, 1, false), 0);
    assert_int_equal(decide_announced(fx->st, "s1", 100, 100, 1, 1, NULL, NULL),
                     FLOW_STORE_DUPLICATE);
    assert_int_equal(decide_announced(fx->st, "s1", 100, 100, 2, 2, NULL, &gap), FLOW_STORE_APPLY);
    assert_int_equal(apply_env(fx->st, "s1", 100, 2, gap, "new", 3, 1, false), 0);
    assert_int_equal(flow_store_commit(fx->st), 0);
    struct flow_store_sensor s;
    assert_int_equal(flow_store_sensor_get(fx->st, "s1", &s), 0);
    assert_int_equal(s.epoch, 100);
    assert_int_equal(s.hwm, 2);
    assert_int_equal(s.batches, 5);

    assert_int_equal(flow_store_begin(fx->st), 0);
    /* Once the lower epoch is stored, its batches need no announcement. */
    assert_int_equal(decide(fx->st, "s1", 100, 3, 3, NULL, NULL), FLOW_STORE_APPLY);
    /* The replaced epoch comes back while the sensor announces 100: stale. */
    assert_int_equal(decide_announced(fx->st, "s1", 200, 100, 4, 4, NULL, NULL), FLOW_STORE_STALE);
    assert_int_equal(decide_announced(fx->st, "s1", 200, 100, 1, 1, NULL, NULL), FLOW_STORE_STALE);
    /* With no Hello known, a higher epoch is a new stream, as it always was. */
    assert_int_equal(decide(fx->st, "s1", 200, 1, 1, NULL, NULL), FLOW_STORE_APPLY);
    /* Announced again, it is the live stream again, from its own sequence 1. */
    assert_int_equal(decide_announced(fx->st, "s1", 200, 200, 4, 4, NULL, &gap), FLOW_STORE_APPLY);
    assert_int_equal(gap, 3);
    /* A lower epoch applied without decide()'s announcement is still refused if it is not
     * next in line from hwm 0. */
    assert_int_equal(apply_env(fx->st, "s1", 50, 2, 0, "x", 1, 1, false), -EINVAL);
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
    assert_int_equal(apply_env(fx->st, "s1", 100, 2, 0, "x", 1, 1, false), -EINVAL);
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
    assert_int_equal(apply_env(fx->st, "s1", 100, 2, gap, "bad", 3, 50, true), 0);
    /* Batch 3 is not blocked by the rejected 2. */
    apply_one(fx->st, "s1", 100, 3, 3, "three", 1);
    assert_int_equal(decide(fx->st, "s1", 100, 6, 6, &expected, &gap), FLOW_STORE_APPLY);
    assert_int_equal(apply_env(fx->st, "s1", 100, 6, gap, NULL, 0, 0, true), 0);
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
    fresh_dir(fx);
    fx->st = open_store(fx->dir.path, 1u << 20);
    assert_non_null(fx->st);
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "s1", 100, 1, 1, "one", 1);
    assert_int_equal(flow_store_commit(fx->st), 0);
    long long committed = seg_size(&fx->dir, 1);
    assert_true(committed > 0);

    /* The map holds the index only: it fills with entries (about 60 bytes each here), not
     * with payload bytes, so a 1 MiB map takes some thousands of batches. */
    assert_int_equal(flow_store_begin(fx->st), 0);
    int rc = 0;
    for (uint64_t seq = 2; rc == 0 && seq < 200000; seq++)
        rc = apply_env(fx->st, "s1", 100, seq, 0, "x", 1, 1, false);
    assert_int_equal(rc, -ENOSPC);
    /* The group stays failed until commit reports it, so nothing of it can be acked. */
    assert_int_equal(decide(fx->st, "s1", 100, 3, 3, NULL, NULL), FLOW_STORE_ERROR);
    assert_int_equal(apply_env(fx->st, "s1", 100, 3, 0, "x", 1, 1, false), -ENOSPC);
    assert_int_equal(flow_store_begin(fx->st), -ENOSPC);
    assert_int_equal(flow_store_commit(fx->st), -ENOSPC);
    struct flow_store_sensor s;
    assert_int_equal(flow_store_sensor_get(fx->st, "s1", &s), 0);
    assert_int_equal(s.hwm, 1);
    assert_int_equal(s.batches, 1);
    /* The dropped group's payload bytes are cut off again. */
    assert_int_equal(seg_size(&fx->dir, 1), committed);
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
        assert_int_equal(apply_env(fx->st, bad[i], 1, 1, 0, "x", 1, 1, false), -EINVAL);
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
    /* One writer at a time: the directory is locked while the store is open. */
    assert_null(flow_store_create(&cfg, NULL));
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0700);
    flow_store_destroy(&st);
    /* tmpdir_remove() goes one level deep only. A new store has its first segment, 0600. */
    const char *files[] = {"data.mdb", "lock.mdb", "0000000000000001.seg"};
    char file[TMPDIR_PATH_MAX * 3];
    assert_true(snprintf(file, sizeof(file), "%s/%s", path, files[2]) < (int)sizeof(file));
    assert_int_equal(stat(file, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    for (size_t i = 0; i < 3; i++) {
        assert_true(snprintf(file, sizeof(file), "%s/%s", path, files[i]) < (int)sizeof(file));
        assert_int_equal(unlink(file), 0);
    }
    assert_int_equal(rmdir(path), 0);
}

/* Payloads of varied lengths for the roll test. With the 20-byte record header and the
 * envelope's 20 bytes, 12248 bytes fill a segment of three blocks exactly, 12249 and ROLL_MAX
 * bytes are records larger than a segment, 4056 bytes fill one block and 4057 take two. */
#define ROLL_N   13
#define ROLL_MAX 20000
static const size_t roll_len[ROLL_N] = {3,    4057, 30, 1,     0, ROLL_MAX, 12248,
                                        4056, 12,   12, 12249, 7, 20};

static void roll_payload(size_t i, uint8_t *out)
{
    for (size_t j = 0; j < roll_len[i]; j++)
        out[j] = (uint8_t)(i * 31 + j * 7 + 1);
}

struct roll_check {
    size_t n;
    bool bad;
};

/* Batches come in sequence order (one sensor, one epoch), so batch seq is payload seq - 1. */
static int check_roll(void *ctx, const struct flow_store_batch *b)
{
    struct roll_check *rc = ctx;
    uint8_t want[ROLL_MAX];
    size_t i = rc->n++;
    if (i >= ROLL_N || b->seq != i + 1 || b->len != roll_len[i]) {
        rc->bad = true;
        return -1;
    }
    roll_payload(i, want);
    if (b->len > 0 && memcmp(b->payload, want, b->len) != 0)
        rc->bad = true;
    return rc->bad ? -1 : 0;
}

static void apply_roll(struct flow_store *st, size_t i)
{
    uint8_t p[ROLL_MAX];
    roll_payload(i, p);
    assert_int_equal(apply_env(st, "s1", 100, i + 1, 0, p, roll_len[i], 1, false), 0);
}

static void test_flow_store_scan_returns_payloads_across_segment_rolls(void **state)
{
    struct fx *fx = *state;
    fresh_dir(fx);
    fx->st = open_small_segments(fx->dir.path);
    assert_non_null(fx->st);
    /* A roll inside a group and one at the start of the next. */
    assert_int_equal(flow_store_begin(fx->st), 0);
    for (size_t i = 0; i < 7; i++)
        apply_roll(fx->st, i);
    assert_int_equal(flow_store_commit(fx->st), 0);
    assert_int_equal(flow_store_begin(fx->st), 0);
    for (size_t i = 7; i < ROLL_N - 1; i++)
        apply_roll(fx->st, i);
    assert_int_equal(flow_store_commit(fx->st), 0);
    /* After a reopen appending goes on at the committed tail. */
    flow_store_destroy(&fx->st);
    fx->st = open_small_segments(fx->dir.path);
    assert_non_null(fx->st);
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_roll(fx->st, ROLL_N - 1);
    assert_int_equal(flow_store_commit(fx->st), 0);
    flow_store_destroy(&fx->st);

    /* No segment is larger than 64 bytes but those of the one record that is. */
    uint64_t segs = 0;
    while (seg_size(&fx->dir, segs + 1) >= 0) {
        long long size = seg_size(&fx->dir, segs + 1);
        assert_true(size <= SEG_BYTES || size == REC(12249) || size == REC(ROLL_MAX));
        assert_int_equal(size % BLOCK, 0);
        segs++;
    }
    /* By hand, in blocks: [1+2] [1+1+1] [5] [3], a commit, [1+1+1] [4] [1], a reopen, [+1]. */
    assert_int_equal(segs, 7);
    char path[TMPDIR_PATH_MAX * 2];
    struct stat sb;
    seg_path(&fx->dir, segs, path, sizeof(path));
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    struct roll_check rc = {0};
    assert_int_equal(flow_store_scan(fx->dir.path, check_roll, &rc, NULL), 0);
    assert_false(rc.bad);
    assert_int_equal(rc.n, ROLL_N);
}

/* The child of the crash test: applies two batches after the committed one, the second into a
 * new segment, and dies without committing. 0 if it got that far. */
static int child_crash(const struct tmpdir *dir)
{
    static char long_payload[BLOCK]; /* two blocks with its header: no room left in segment 1 */
    struct flow_store *st = open_small_segments(dir->path);
    if (st == NULL || flow_store_begin(st) != 0)
        return 1;
    if (apply_env(st, "s1", 100, 2, 0, "two", 3, 1, false) != 0)
        return 2;
    if (apply_env(st, "s1", 100, 3, 0, long_payload, sizeof(long_payload), 1, false) != 0)
        return 2;
    if (wait_seg_size(dir, 1, 2 * REC(3)) != 2 * REC(3) ||
        wait_seg_size(dir, 2, REC(BLOCK)) != REC(BLOCK))
        return 3;
    return 0;
}

static void test_flow_store_crash_before_commit_keeps_only_committed_batches(void **state)
{
    struct fx *fx = *state;
    fresh_dir(fx);
    fx->st = open_small_segments(fx->dir.path);
    assert_non_null(fx->st);
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "s1", 100, 1, 1, "one", 1);
    assert_int_equal(flow_store_commit(fx->st), 0);
    flow_store_destroy(&fx->st);
    long long committed = seg_size(&fx->dir, 1);
    assert_int_equal(committed, REC(3));

    /* _exit: no destroy, no abort, nothing cut off: what a kill -9 leaves. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_crash(&fx->dir));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(seg_size(&fx->dir, 1) > committed);
    assert_true(seg_size(&fx->dir, 2) > 0);

    fx->st = open_small_segments(fx->dir.path);
    assert_non_null(fx->st);
    assert_int_equal(seg_size(&fx->dir, 1), committed);
    assert_int_equal(seg_size(&fx->dir, 2), -1);
    struct flow_store_sensor s;
    assert_int_equal(flow_store_sensor_get(fx->st, "s1", &s), 0);
    assert_int_equal(s.hwm, 1);
    assert_int_equal(s.batches, 1);
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "s1", 100, 2, 2, "two again", 1);
    assert_int_equal(flow_store_commit(fx->st), 0);
    flow_store_destroy(&fx->st);

    struct seen sn = {0};
    assert_int_equal(flow_store_scan(fx->dir.path, collect, &sn, NULL), 0);
    assert_int_equal(sn.n, 2);
    assert_string_equal(sn.payload[0], "one");
    assert_int_equal(sn.seq[1], 2);
    assert_string_equal(sn.payload[1], "two again");
}

static void test_flow_store_abort_cuts_the_appended_bytes(void **state)
{
    struct fx *fx = *state;
    fresh_dir(fx);
    fx->st = open_small_segments(fx->dir.path);
    assert_non_null(fx->st);
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "s1", 100, 1, 1, "one", 1);
    assert_int_equal(flow_store_commit(fx->st), 0);
    long long committed = seg_size(&fx->dir, 1);

    /* The aborted group appends to segment 1 (one block, then two) and rolls into segment 2,
     * whose one block is as much as segment 1 had committed: segment 1 is cut back all the
     * same. */
    static char two_blocks[BLOCK];
    memset(two_blocks, 'f', sizeof(two_blocks) - 1);
    assert_int_equal(flow_store_begin(fx->st), 0);
    assert_int_equal(apply_env(fx->st, "s1", 100, 2, 0, two_blocks, sizeof(two_blocks), 1, false),
                     0);
    apply_one(fx->st, "s1", 100, 3, 3, "3rd", 1);
    assert_int_equal(wait_seg_size(&fx->dir, 1, REC(3) + REC(BLOCK)), REC(3) + REC(BLOCK));
    assert_int_equal(wait_seg_size(&fx->dir, 2, committed), committed);
    flow_store_abort(fx->st);
    assert_int_equal(seg_size(&fx->dir, 1), committed);
    assert_int_equal(seg_size(&fx->dir, 2), -1);

    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "s1", 100, 2, 2, "second", 1);
    assert_int_equal(flow_store_commit(fx->st), 0);
    assert_int_equal(seg_size(&fx->dir, 1), committed + REC(6));
    flow_store_destroy(&fx->st);

    struct seen sn = {0};
    assert_int_equal(flow_store_scan(fx->dir.path, collect, &sn, NULL), 0);
    assert_int_equal(sn.n, 2);
    assert_string_equal(sn.payload[0], "one");
    assert_int_equal(sn.seq[1], 2);
    assert_string_equal(sn.payload[1], "second");
}

/* Overwrites one byte of segment 1; returns the byte that was there. */
static uint8_t poke(const struct tmpdir *dir, long long off, uint8_t value)
{
    char path[TMPDIR_PATH_MAX * 2];
    seg_path(dir, 1, path, sizeof(path));
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t old = 0;
    assert_int_equal(pread(fd, &old, 1, (off_t)off), 1);
    assert_int_equal(pwrite(fd, &value, 1, (off_t)off), 1);
    close(fd);
    return old;
}

static void test_flow_store_scan_fails_on_a_damaged_payload(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(flow_store_begin(fx->st), 0);
    apply_one(fx->st, "s1", 100, 1, 1, "one", 1);
    apply_one(fx->st, "s1", 100, 2, 2, "two", 1);
    assert_int_equal(flow_store_commit(fx->st), 0);
    flow_store_destroy(&fx->st);
    assert_int_equal(seg_size(&fx->dir, 1), 2 * REC(3));
    /* Where "two" ends: its record is the second block, the record's header and the envelope's
     * first. The envelope's checksum follows. */
    long long end = REC(3) + REC_HDR + WIRE_HEADER_LEN + 3;

    /* The last byte of "two": the batch before it is passed on, never the damaged one. */
    uint8_t old = poke(&fx->dir, end - 1, 'X');
    struct seen sn = {0};
    assert_int_equal(flow_store_scan(fx->dir.path, collect, &sn, NULL), -EIO);
    assert_int_equal(sn.n, 1);
    assert_string_equal(sn.payload[0], "one");
    /* The envelope's checksum, which the index holds too. */
    poke(&fx->dir, end - 1, old);
    old = poke(&fx->dir, end, 0);
    poke(&fx->dir, end, (uint8_t)~old);
    memset(&sn, 0, sizeof(sn));
    assert_int_equal(flow_store_scan(fx->dir.path, collect, &sn, NULL), -EIO);
    assert_int_equal(sn.n, 1);
    poke(&fx->dir, end, old);
    /* The first envelope's type, made a Hello's: its checksum covers the header. */
    old = poke(&fx->dir, REC_HDR + 5, WIRE_HELLO);
    memset(&sn, 0, sizeof(sn));
    assert_int_equal(flow_store_scan(fx->dir.path, collect, &sn, NULL), -EIO);
    assert_int_equal(sn.n, 0);
    poke(&fx->dir, REC_HDR + 5, old);
    /* The first record's magic. */
    old = poke(&fx->dir, 0, 'X');
    memset(&sn, 0, sizeof(sn));
    assert_int_equal(flow_store_scan(fx->dir.path, collect, &sn, NULL), -EIO);
    assert_int_equal(sn.n, 0);
    poke(&fx->dir, 0, old);
    memset(&sn, 0, sizeof(sn));
    assert_int_equal(flow_store_scan(fx->dir.path, collect, &sn, NULL), 0);
    assert_int_equal(sn.n, 2);

    /* A segment cut short: the scan fails, and the writer refuses the store. */
    char path[TMPDIR_PATH_MAX * 2];
    seg_path(&fx->dir, 1, path, sizeof(path));
    assert_int_equal(truncate(path, (off_t)(end - 1)), 0);
    memset(&sn, 0, sizeof(sn));
    assert_int_equal(flow_store_scan(fx->dir.path, collect, &sn, NULL), -EIO);
    assert_int_equal(sn.n, 1);
    assert_null(open_store(fx->dir.path, MAP_SIZE));
}

static void test_flow_store_refuses_a_store_of_another_format(void **state)
{
    struct fx *fx = *state;
    /* Format 1, by an older build: the payload itself in "batches", no meta record. */
    fresh_dir(fx);
    const uint8_t key[] = {2, 's', '1', 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 1};
    lmdb_raw_put(fx->dir.path, 3, "batches", key, sizeof(key), "payload", 7);
    assert_null(open_store(fx->dir.path, MAP_SIZE));
    assert_int_equal(seg_size(&fx->dir, 1), -1); /* nothing was written */
    struct seen sn = {0};
    assert_int_equal(flow_store_scan(fx->dir.path, collect, &sn, NULL), -EIO);
    assert_int_equal(sn.n, 0);

    /* Format 2 (bare payloads in the segments), by an older build, and format 4, by a newer
     * one: the meta record as flow_store.h describes it. */
    const uint8_t other[] = {2, 4};
    for (size_t i = 0; i < sizeof(other); i++) {
        fresh_dir(fx);
        fx->st = open_store(fx->dir.path, MAP_SIZE);
        assert_non_null(fx->st);
        flow_store_destroy(&fx->st);
        uint8_t meta[20] = {0, 0, 0, other[i]};
        meta[11] = 1; /* segment 1 */
        lmdb_raw_put(fx->dir.path, 3, "meta", "store", 5, meta, sizeof(meta));
        assert_null(open_store(fx->dir.path, MAP_SIZE));
        assert_int_equal(flow_store_scan(fx->dir.path, collect, &sn, NULL), -EIO);
    }
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
            T(test_flow_store_announced_older_epoch_starts_a_new_stream),
            T(test_flow_store_sees_earlier_batches_of_the_same_txn),
            T(test_flow_store_abort_forgets_the_whole_txn),
            T(test_flow_store_keeps_hwm_and_payloads_across_reopen),
            T(test_flow_store_rejected_batch_moves_hwm_without_payload),
            T(test_flow_store_scan_reads_while_the_writer_is_open),
            T(test_flow_store_scan_of_missing_store_fails),
            T(test_flow_store_full_map_fails_the_group),
            T(test_flow_store_refuses_invalid_sensor_ids),
            T(test_flow_store_create_checks_config_and_makes_the_dir),
            T(test_flow_store_scan_returns_payloads_across_segment_rolls),
            T(test_flow_store_crash_before_commit_keeps_only_committed_batches),
            T(test_flow_store_abort_cuts_the_appended_bytes),
            T(test_flow_store_scan_fails_on_a_damaged_payload),
            T(test_flow_store_refuses_a_store_of_another_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
