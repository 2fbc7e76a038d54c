/*
 * window: bucket edges, the watermark of one sensor and of several (a slow one holds it back
 * until it goes idle, then it is let go and never moves it back), late and too-late records,
 * records from a clock far ahead, the ring's evictions, the spans of window lengths, the flush
 * when every sensor is idle, and invalid use. Every expected value is worked out by hand in
 * the comments, from the rules in window.h, with buckets of 10 s.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "aggregator/window.h"

#define S        1000000000ull /* ns per second */
#define WIDTH    (10 * S)
#define EVENTS_N 64

/* The buckets reported, in order: +b closed, -b evicted (as b + 1, to tell bucket 0 apart). */
struct seen {
    long long ev[EVENTS_N];
    size_t n;
};

static void on_close(void *ctx, uint64_t b)
{
    struct seen *s = ctx;
    assert_true(s->n < EVENTS_N);
    s->ev[s->n++] = (long long)b + 1;
}

static void on_evict(void *ctx, uint64_t b)
{
    struct seen *s = ctx;
    assert_true(s->n < EVENTS_N);
    s->ev[s->n++] = -((long long)b + 1);
}

static void expect_events(struct seen *s, const long long *want, size_t n)
{
    assert_int_equal(s->n, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(s->ev[i], want[i]);
    s->n = 0;
}

#define EXPECT(s, ...)                                                                             \
    expect_events((s), (const long long[]){__VA_ARGS__},                                           \
                  sizeof((const long long[]){__VA_ARGS__}) / sizeof(long long))

/* Lateness 5 s, idle after 30 s, future bound 60 s, three sensor slots, @n buckets. */
static struct window *make(uint32_t n, struct seen *s)
{
    struct window_config cfg = {.bucket_ns = WIDTH,
                                .n_buckets = n,
                                .lateness_ns = 5 * S,
                                .idle_ns = 30 * S,
                                .future_ns = 60 * S,
                                .max_sensors = 3};
    struct window_ops ops = {.close = on_close, .evict = on_evict, .ctx = s};
    struct window *w = window_create(&cfg, &ops, NULL);
    assert_non_null(w);
    return w;
}

static int place(struct window *w, uint32_t sensor, uint64_t ts, uint64_t now)
{
    uint64_t b = UINT64_MAX;
    int rc = window_observe(w, sensor, ts, now, &b);
    if (rc == WINDOW_ON_TIME || rc == WINDOW_LATE)
        assert_int_equal(b, ts / WIDTH);
    else
        assert_int_equal(b, UINT64_MAX); /* not placed: not set */
    return rc;
}

static void test_window_bucket_edges(void **state)
{
    (void)state;
    struct seen s = {0};
    struct window *w = make(6, &s);
    assert_int_equal(window_bucket(w, 0), 0);
    assert_int_equal(window_bucket(w, WIDTH - 1), 0);
    assert_int_equal(window_bucket(w, WIDTH), 1);
    assert_int_equal(window_bucket(w, 25 * S), 2);
    window_destroy(&w);
    assert_null(w);
}

static void test_window_one_sensor_closes_behind_its_watermark(void **state)
{
    (void)state;
    struct seen s = {0};
    struct window *w = make(6, &s);
    uint64_t first, last;
    assert_false(window_span(w, 20 * S, &first, &last)); /* nothing closed yet */
    assert_int_equal(window_advance(w, 0), 0);           /* no sensor yet: no watermark */
    assert_int_equal(place(w, 0, 1 * S, 1 * S), WINDOW_ON_TIME);
    assert_int_equal(place(w, 0, 12 * S, 2 * S), WINDOW_ON_TIME);
    assert_int_equal(place(w, 0, 25 * S, 3 * S), WINDOW_ON_TIME);
    /* Newest 25 s, lateness 5 s: watermark 20 s, so buckets 0 [0, 10) and 1 [10, 20) close. */
    assert_int_equal(window_advance(w, 3 * S), 20 * S);
    EXPECT(&s, 0 + 1, 1 + 1);
    assert_int_equal(window_advance(w, 4 * S), 20 * S); /* nothing new: nothing reported */
    assert_int_equal(s.n, 0);
    /* Spans end at the last closed bucket, 1. */
    assert_true(window_span(w, 20 * S, &first, &last));
    assert_int_equal(first, 0);
    assert_int_equal(last, 1);
    assert_true(window_span(w, 10 * S, &first, &last));
    assert_int_equal(first, 1);
    assert_int_equal(last, 1);
    assert_true(window_span(w, 60 * S, &first, &last)); /* cut at the oldest bucket placed */
    assert_int_equal(first, 0);
    assert_false(window_span(w, 70 * S, &first, &last)); /* longer than the ring */
    assert_false(window_span(w, 15 * S, &first, &last)); /* not whole buckets */
    /* 19 s is in closed bucket 1: late, placed; 20 s opens bucket 2: on time. */
    assert_int_equal(place(w, 0, 19 * S, 5 * S), WINDOW_LATE);
    assert_int_equal(place(w, 0, 20 * S, 5 * S), WINDOW_ON_TIME);
    struct window_stats st;
    window_stats(w, &st);
    assert_int_equal(st.on_time, 4);
    assert_int_equal(st.late, 1);
    assert_int_equal(st.closed, 2);
    assert_int_equal(st.watermark, 20 * S);
    assert_int_equal(st.head_end, 30 * S);
    assert_int_equal(st.sensors_seen, 1);
    window_destroy(&w);
}

static void test_window_ring_evicts_and_refuses_what_left_it(void **state)
{
    (void)state;
    struct seen s = {0};
    struct window *w = make(6, &s);
    assert_int_equal(place(w, 0, 5 * S, 0), WINDOW_ON_TIME);  /* bucket 0 */
    assert_int_equal(place(w, 0, 15 * S, 0), WINDOW_ON_TIME); /* 1 */
    assert_int_equal(place(w, 0, 25 * S, 0), WINDOW_ON_TIME); /* 2 */
    assert_int_equal(s.n, 0);
    /* Head 2 -> 6: the ring of 6 is now buckets 1..6, so bucket 0 leaves it. */
    assert_int_equal(place(w, 0, 65 * S, 0), WINDOW_ON_TIME);
    EXPECT(&s, -(0 + 1));
    assert_int_equal(place(w, 0, 9 * S, 0), WINDOW_TOO_LATE); /* bucket 0: gone */
    assert_int_equal(place(w, 0, 15 * S, 0), WINDOW_ON_TIME); /* bucket 1: still held */
    /* Head 6 -> 20: buckets 1..6 all leave, in order, and nothing between 7 and 14 is
     * reported: it never held anything. */
    assert_int_equal(place(w, 0, 200 * S, 0), WINDOW_ON_TIME);
    EXPECT(&s, -2, -3, -4, -5, -6, -7);
    assert_int_equal(place(w, 0, 149 * S, 0), WINDOW_TOO_LATE); /* 14 + 6 <= 20 */
    assert_int_equal(place(w, 0, 150 * S, 0), WINDOW_ON_TIME);  /* 15: the ring's oldest */
    struct window_stats st;
    window_stats(w, &st);
    assert_int_equal(st.too_late, 2);
    assert_int_equal(st.evicted, 7);
    window_destroy(&w);
}

static void test_window_slow_sensor_holds_the_watermark_until_idle(void **state)
{
    (void)state;
    struct seen s = {0};
    struct window *w = make(30, &s);
    assert_int_equal(place(w, 0, 60 * S, 0), WINDOW_ON_TIME);
    assert_int_equal(place(w, 1, 40 * S, 0), WINDOW_ON_TIME);
    /* min(60 - 5, 40 - 5) = 35 s: buckets 0..2 are behind it, but nothing below bucket 4
     * (40 s) was ever placed, so nothing is reported. */
    assert_int_equal(window_advance(w, 1 * S), 35 * S);
    assert_int_equal(s.n, 0);
    /* Sensor 0 goes on (100 s: within 35 + 5 + 60); sensor 1 is quiet, but heard from 20 s
     * ago, under idle (30 s), and still holds the watermark. */
    assert_int_equal(place(w, 0, 100 * S, 20 * S), WINDOW_ON_TIME);
    assert_int_equal(window_advance(w, 20 * S), 35 * S);
    assert_int_equal(s.n, 0);
    /* At 31 s sensor 1 is idle: only sensor 0 counts, 100 - 5 = 95 s. Buckets 4..8 close
     * (9 holds 95 s). */
    assert_int_equal(window_advance(w, 31 * S), 95 * S);
    EXPECT(&s, 5, 6, 7, 8, 9);
    struct window_stats st;
    window_stats(w, &st);
    assert_int_equal(st.sensors_idle, 1);
    assert_int_equal(st.sensors_seen, 2);
    /* Sensor 1 comes back with 41 s: behind the watermark, still in the ring (4 + 30 > 10). */
    assert_int_equal(place(w, 1, 41 * S, 32 * S), WINDOW_LATE);
    /* Both active again: min(95, 41 - 5 = 36) is below 95, and the watermark stays. */
    assert_int_equal(window_advance(w, 33 * S), 95 * S);
    assert_int_equal(s.n, 0);
    window_stats(w, &st);
    assert_int_equal(st.sensors_idle, 0);
    window_destroy(&w);
}

static void test_window_refuses_records_from_far_ahead(void **state)
{
    (void)state;
    struct seen s = {0};
    struct window *w = make(30, &s);
    /* Before any watermark, nothing is "ahead". */
    assert_int_equal(place(w, 0, 100 * S, 0), WINDOW_ON_TIME);
    assert_int_equal(window_advance(w, 0), 95 * S);
    /* Watermark 95 s, lateness 5 s, future 60 s: up to 160 s is accepted. */
    assert_int_equal(place(w, 1, 161 * S, 0), WINDOW_FUTURE);
    assert_int_equal(place(w, 1, 160 * S, 0), WINDOW_ON_TIME);
    struct window_stats st;
    window_stats(w, &st);
    assert_int_equal(st.future, 1);
    assert_int_equal(st.head_end, 170 * S); /* the refused record moved nothing */
    window_destroy(&w);
}

static void test_window_all_idle_closes_every_bucket_with_records(void **state)
{
    (void)state;
    struct seen s = {0};
    struct window *w = make(6, &s);
    assert_int_equal(place(w, 0, 3 * S, 0), WINDOW_ON_TIME);
    assert_int_equal(place(w, 2, 25 * S, 0), WINDOW_ON_TIME);
    assert_int_equal(window_advance(w, 10 * S), 0); /* min(0 (3 - 5, floored), 20) */
    assert_int_equal(s.n, 0);
    /* Nobody for 30 s: the end of the head bucket, 30 s; buckets 0, 1, 2 close. */
    assert_int_equal(window_advance(w, 30 * S), 30 * S);
    EXPECT(&s, 1, 2, 3);
    uint64_t first, last;
    assert_true(window_span(w, 60 * S, &first, &last));
    assert_int_equal(first, 0);
    assert_int_equal(last, 2);
    window_destroy(&w);
}

static void test_window_after_a_long_silence_closes_only_the_ring(void **state)
{
    (void)state;
    struct seen s = {0};
    struct window *w = make(6, &s);
    assert_int_equal(place(w, 0, 5 * S, 0), WINDOW_ON_TIME);
    assert_int_equal(place(w, 0, 1005 * S, 0), WINDOW_ON_TIME); /* bucket 100 */
    EXPECT(&s, -1);                                             /* bucket 0 left */
    /* Idle flush: watermark 1010 s; of buckets 0..100 only the ring's 95..100 are closed. */
    assert_int_equal(window_advance(w, 30 * S), 1010 * S);
    EXPECT(&s, 96, 97, 98, 99, 100, 101);
    window_destroy(&w);
}

static void test_window_invalid_use(void **state)
{
    (void)state;
    struct window_config cfg = {
            .bucket_ns = WIDTH, .n_buckets = 6, .idle_ns = S, .future_ns = S, .max_sensors = 2};
    struct window_config bad = cfg;
    bad.bucket_ns = 0;
    assert_null(window_create(&bad, NULL, NULL));
    bad = cfg;
    bad.n_buckets = 1;
    assert_null(window_create(&bad, NULL, NULL));
    bad = cfg;
    bad.max_sensors = 0;
    assert_null(window_create(&bad, NULL, NULL));
    bad = cfg;
    bad.bucket_ns = UINT64_C(1) << 62; /* times 6 buckets: past 2^63 ns */
    assert_null(window_create(&bad, NULL, NULL));
    assert_null(window_create(NULL, NULL, NULL));
    /* Without ops nothing is reported, and a slot out of range moves nothing. */
    struct window *w = window_create(&cfg, NULL, NULL);
    assert_non_null(w);
    assert_int_equal(window_observe(w, 2, S, 0, NULL), -EINVAL);
    assert_int_equal(window_observe(w, 1, S, 0, NULL), WINDOW_ON_TIME);
    assert_int_equal(window_observe(w, 1, 100 * S, 0, NULL), WINDOW_ON_TIME); /* evicts */
    struct window_stats st;
    window_stats(w, &st);
    assert_int_equal(st.sensors_seen, 1);
    assert_int_equal(st.evicted, 1);
    window_destroy(&w);
    window_destroy(&w);
    window_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_window_bucket_edges),
            cmocka_unit_test(test_window_one_sensor_closes_behind_its_watermark),
            cmocka_unit_test(test_window_ring_evicts_and_refuses_what_left_it),
            cmocka_unit_test(test_window_slow_sensor_holds_the_watermark_until_idle),
            cmocka_unit_test(test_window_refuses_records_from_far_ahead),
            cmocka_unit_test(test_window_all_idle_closes_every_bucket_with_records),
            cmocka_unit_test(test_window_after_a_long_silence_closes_only_the_ring),
            cmocka_unit_test(test_window_invalid_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
