/*
 * alert_store: the latest revision per id, never rolled back; --since by the time of the latest
 * revision, oldest first; retention; invalid ids; a damaged stored alert stops the scan after the
 * good ones; a full map is an error the store survives. A real LMDB in a scratch directory; the
 * writer is closed before each scan (one environment per process, as in umbra-ctl's case).
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

#include "aggregator/alert_store.h"
#include "common/log.h"
#include "common/wire.h"
#include "tests/unit/support/lmdb_raw.h"
#include "tests/unit/support/tmpfile.h"

#define MAP (4u << 20)

struct fx {
    struct tmpdir dir;
    struct alert_store *st;
};

static struct alert_store *open_store(const char *dir, uint64_t map, uint64_t retention)
{
    struct alert_store_config cfg = {
            .dir = dir, .map_size = map, .retention_ns = retention, .sync = false};
    return alert_store_create(&cfg, NULL);
}

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    if (fx == NULL || tmpdir_create(&fx->dir) != 0)
        return -1;
    fx->st = open_store(fx->dir.path, MAP, 100);
    *state = fx;
    return fx->st != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    alert_store_destroy(&fx->st);
    tmpdir_remove(&fx->dir);
    free(fx);
    return 0;
}

static void put(struct alert_store *st, const char *id, uint64_t ts, uint32_t revision,
                const char *explanation)
{
    Umbra__Alert a = UMBRA__ALERT__INIT;
    a.schema_version = WIRE_SCHEMA_VERSION;
    a.id = (char *)id;
    a.ts = ts;
    a.revision = revision;
    a.kind = UMBRA__ALERT_KIND__ALERT_KIND_LATERAL_MOVEMENT;
    a.explanation = (char *)explanation;
    assert_int_equal(alert_store_put(st, &a), 0);
}

/* What a scan saw: "id/revision/ts/explanation" per alert. */
struct seen {
    char line[8][96];
    size_t n;
};

static int collect(void *ctx, const Umbra__Alert *a)
{
    struct seen *s = ctx;
    assert_true(s->n < 8);
    snprintf(s->line[s->n++], sizeof(s->line[0]), "%s/%u/%llu/%s", a->id, a->revision,
             (unsigned long long)a->ts, a->explanation);
    return 0;
}

/* Closes the writer, scans from @since, reopens the writer. */
static int scan(struct fx *fx, uint64_t since, struct seen *s)
{
    alert_store_destroy(&fx->st);
    memset(s, 0, sizeof(*s));
    struct log_config lc = {.name = "t", .level = LOG_LEVEL_INFO};
    struct log *lg = log_create(&lc);
    int rc = alert_store_scan(fx->dir.path, since, collect, s, lg);
    log_destroy(&lg);
    fx->st = open_store(fx->dir.path, MAP, 100);
    assert_non_null(fx->st);
    return rc;
}

static void test_alert_store_keeps_the_latest_revision(void **state)
{
    struct fx *fx = *state;
    struct seen s;
    put(fx->st, "lm-1", 1000, 0, "A to B");
    assert_int_equal(scan(fx, 0, &s), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.line[0], "lm-1/0/1000/A to B");
    /* The alert grows: one entry, the new revision, listed at its new time. */
    put(fx->st, "lm-1", 2000, 1, "A to B to C");
    assert_int_equal(scan(fx, 0, &s), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.line[0], "lm-1/1/2000/A to B to C");
    assert_int_equal(scan(fx, 1500, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(scan(fx, 2001, &s), 0);
    assert_int_equal(s.n, 0);
    /* An older revision put again (a replay) rolls nothing back. */
    put(fx->st, "lm-1", 1000, 0, "A to B");
    assert_int_equal(scan(fx, 0, &s), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.line[0], "lm-1/1/2000/A to B to C");
}

static void test_alert_store_scans_by_time_and_expires(void **state)
{
    struct fx *fx = *state;
    struct seen s;
    put(fx->st, "a", 300, 0, "third");
    put(fx->st, "b", 100, 0, "first");
    put(fx->st, "c", 200, 0, "second");
    assert_int_equal(scan(fx, 0, &s), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.line[0], "b/0/100/first");
    assert_string_equal(s.line[1], "c/0/200/second");
    assert_string_equal(s.line[2], "a/0/300/third");
    assert_int_equal(scan(fx, 150, &s), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.line[0], "c/0/200/second");
    /* Retention 100 at 350: alerts before 250 go, b and c. */
    assert_int_equal(alert_store_expire(fx->st, 350), 2);
    assert_int_equal(alert_store_expire(fx->st, 350), 0);
    assert_int_equal(scan(fx, 0, &s), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.line[0], "a/0/300/third");
    /* The id is free again: b comes back as new. */
    put(fx->st, "b", 400, 0, "again");
    assert_int_equal(scan(fx, 0, &s), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.line[1], "b/0/400/again");
}

static void test_alert_store_refuses_bad_ids_and_missing_stores(void **state)
{
    struct fx *fx = *state;
    Umbra__Alert a = UMBRA__ALERT__INIT;
    a.schema_version = WIRE_SCHEMA_VERSION;
    assert_int_equal(alert_store_put(fx->st, &a), -EINVAL); /* the empty id */
    char id[ALERT_STORE_ID_MAX + 2];
    memset(id, 'x', sizeof(id) - 1);
    id[sizeof(id) - 1] = '\0';
    a.id = id;
    assert_int_equal(alert_store_put(fx->st, &a), -EINVAL);
    id[ALERT_STORE_ID_MAX] = '\0'; /* exactly the limit */
    assert_int_equal(alert_store_put(fx->st, &a), 0);

    struct tmpdir empty;
    assert_int_equal(tmpdir_create(&empty), 0);
    struct seen s = {0};
    assert_int_equal(alert_store_scan(empty.path, 0, collect, &s, NULL), -ENOENT);
    tmpdir_remove(&empty);
    struct alert_store_config cfg = {.dir = fx->dir.path, .map_size = 0};
    assert_null(alert_store_create(&cfg, NULL));
    assert_null(alert_store_create(NULL, NULL));
}

static void test_alert_store_scan_stops_at_a_damaged_alert(void **state)
{
    struct fx *fx = *state;
    struct seen s;
    put(fx->st, "good", 100, 0, "fine");
    alert_store_destroy(&fx->st);
    /* "bad", listed at 200, whose value is no envelope. */
    const uint8_t tk[] = {0, 0, 0, 0, 0, 0, 0, 200, 'b', 'a', 'd'};
    lmdb_raw_put(fx->dir.path, 2, "alerts", "bad", 3, "garbage", 7);
    lmdb_raw_put(fx->dir.path, 2, "by_time", tk, sizeof(tk), "", 0);
    memset(&s, 0, sizeof(s));
    assert_int_equal(alert_store_scan(fx->dir.path, 0, collect, &s, NULL), -EIO);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.line[0], "good/0/100/fine");
    /* The writer replaces it with a good revision. */
    fx->st = open_store(fx->dir.path, MAP, 100);
    assert_non_null(fx->st);
    put(fx->st, "bad", 300, 0, "mended");
    /* The entry at 200 is left, but "bad" is listed once, at its own time. */
    assert_int_equal(scan(fx, 0, &s), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.line[0], "good/0/100/fine");
    assert_string_equal(s.line[1], "bad/0/300/mended");
    /* Expiry up to 220 (retention 100) takes "good" and the stale entry at 200, never the
     * mended "bad" the stale entry still names. */
    assert_int_equal(alert_store_expire(fx->st, 320), 2);
    assert_int_equal(scan(fx, 0, &s), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.line[0], "bad/0/300/mended");
}

static void test_alert_store_full_map_is_an_error_it_survives(void **state)
{
    struct fx *fx = *state;
    alert_store_destroy(&fx->st);
    tmpdir_remove(&fx->dir);
    assert_int_equal(tmpdir_create(&fx->dir), 0);
    fx->st = open_store(fx->dir.path, 256u << 10, 0);
    assert_non_null(fx->st);
    static char text[3000];
    memset(text, 'e', sizeof(text) - 1);
    Umbra__Alert a = UMBRA__ALERT__INIT;
    a.schema_version = WIRE_SCHEMA_VERSION;
    a.explanation = text;
    char id[16];
    a.id = id;
    int rc = 0, i = 0;
    for (; i < 1000 && rc == 0; i++) {
        snprintf(id, sizeof(id), "x%d", i);
        a.ts = (uint64_t)i;
        rc = alert_store_put(fx->st, &a);
    }
    assert_int_equal(rc, -ENOSPC);
    assert_true(i > 10);
    alert_store_destroy(&fx->st);
    /* Put number i - 1 failed and left nothing; the ones before it are all there. */
    struct seen s = {0};
    assert_int_equal(alert_store_scan(fx->dir.path, (uint64_t)(i - 3), collect, &s, NULL), 0);
    assert_int_equal(s.n, 2);
    char want[32];
    snprintf(want, sizeof(want), "x%d/0/%d/", i - 2, i - 2);
    assert_memory_equal(s.line[1], want, strlen(want));
    fx->st = open_store(fx->dir.path, 256u << 10, 0);
    assert_non_null(fx->st);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
            T(test_alert_store_keeps_the_latest_revision),
            T(test_alert_store_scans_by_time_and_expires),
            T(test_alert_store_refuses_bad_ids_and_missing_stores),
            T(test_alert_store_scan_stops_at_a_damaged_alert),
            T(test_alert_store_full_map_is_an_error_it_survives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
