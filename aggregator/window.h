/*
 * Window: the event-time clock of the aggregator's graph. Records are placed in fixed buckets of
 * event time (the packets' timestamps, as the sensors measured them, not arrival time); windows
 * of several lengths (1 min, 10 min, 1 h, ...) are runs of whole buckets; a watermark says up to
 * which event time the input is taken to be complete, so a bucket behind it can be closed and
 * judged by the detectors.
 *
 * Buckets. Bucket b covers event times [b * bucket_ns, (b + 1) * bucket_ns). The caller keeps its
 * data for the last n_buckets buckets in a ring, bucket b at slot b % n_buckets. The head is the
 * newest bucket any record was placed in; buckets from head - n_buckets + 1 to head are retained.
 * When the head moves on, the buckets that fall out of the ring are reported (ops.evict) before
 * their slots are reused.
 *
 * Watermarks. Each sensor's watermark is the newest event time it has sent, minus lateness_ns:
 * records may come out of order by that much (a sensor exports a flow at its end, and its first
 * packet may be minutes older). The global watermark is the lowest of the sensors' watermarks,
 * counting only sensors heard from (by arrival, the caller's monotonic clock) within idle_ns: a
 * stalled or vanished sensor does not hold the others back. When none was heard from within
 * idle_ns, the newest event time of any sensor stands (the input has stopped; everything seen
 * may be judged). The global watermark only moves forward, at window_advance().
 *
 * Each record's event time is classified against the current watermark and head:
 *   WINDOW_ON_TIME   its bucket is still open (not behind the watermark): placed;
 *   WINDOW_LATE      its bucket is closed but still in the ring: placed all the same, so the
 *                    windows that contain it count it; a detector that judged the bucket
 *                    already will see it in its next, longer window;
 *   WINDOW_TOO_LATE  its bucket has left the ring: not placed (counted);
 *   WINDOW_FUTURE    more than future_ns beyond the global watermark plus lateness_ns: a
 *                    sensor clock that is wrong; not placed (counted), and it moves nothing.
 *
 * Closing. window_advance() computes the global watermark and reports each bucket it closes,
 * in order (ops.close): those between the previous watermark's bucket and the new one that are
 * in the ring. After a long silence only the retained ones are reported, never thousands of
 * empty ones.
 *
 * Memory: one struct per sensor slot, fixed at create. Nothing is allocated after create.
 * Threads: a struct window belongs to one thread (the ingest loop's).
 */
#ifndef UMBRA_AGGREGATOR_WINDOW_H
#define UMBRA_AGGREGATOR_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

struct log;
struct window;

struct window_config {
    uint64_t bucket_ns;   /* width of a bucket (> 0) */
    uint32_t n_buckets;   /* buckets retained, the ring (>= 2) */
    uint64_t lateness_ns; /* how far a sensor's records may come out of order */
    uint64_t idle_ns;     /* a sensor not heard from for this long does not hold the watermark */
    uint64_t future_ns;   /* records further ahead than this are refused (clock errors) */
    uint32_t max_sensors; /* sensor slots, 0 .. max_sensors - 1 (>= 1) */
};

/* What the window reports to its owner; either may be NULL. */
struct window_ops {
    void (*close)(void *ctx, uint64_t bucket); /* @bucket is now behind the watermark */
    void (*evict)(void *ctx, uint64_t bucket); /* @bucket leaves the ring: its slot is reused */
    void *ctx;
};

enum window_place {
    WINDOW_ON_TIME,
    WINDOW_LATE,
    WINDOW_TOO_LATE,
    WINDOW_FUTURE,
};

struct window_stats {
    uint64_t on_time, late, too_late, future; /* records, by window_observe()'s answer */
    uint64_t closed, evicted;                 /* buckets reported */
    uint64_t watermark;                       /* global watermark, event ns (0: none yet) */
    uint64_t head_end;                        /* end of the head bucket, event ns (0: none) */
    uint32_t sensors_seen;                    /* slots that have sent a record */
    uint32_t sensors_idle;                    /* of those, not holding the watermark at the
                                               * last window_advance() */
};

/*
 * window_create() - a window with @cfg (copied) and @ops (copied). NULL, logged on @log, for an
 * invalid config (a zero width, fewer than 2 buckets, no sensor slot, a ring longer than 2^63
 * ns) or no memory.
 */
struct window *window_create(const struct window_config *cfg, const struct window_ops *ops,
                             struct log *log);

/* window_destroy() - free, set *@wp = NULL. NULL-safe. Reports nothing. */
void window_destroy(struct window **wp);

/*
 * window_observe() - one record of sensor slot @sensor with event time @ts (ns), arriving at
 * @now (monotonic ns). Classifies it (above), moves the head for a record placed beyond it
 * (reporting the buckets that leave the ring), and moves the sensor's own watermark; the global
 * one moves only at window_advance(). *@bucket is set to the record's bucket when it is placed
 * (ON_TIME or LATE). Returns the class, or -EINVAL for a @sensor out of range (nothing moves).
 */
int window_observe(struct window *w, uint32_t sensor, uint64_t ts, uint64_t now, uint64_t *bucket);

/*
 * window_advance() - recompute the global watermark at @now (monotonic ns) and report the
 * buckets it closes. Returns the watermark (event ns; 0 while no sensor has sent anything).
 */
uint64_t window_advance(struct window *w, uint64_t now);

/* window_bucket() - the bucket of event time @ts. */
uint64_t window_bucket(const struct window *w, uint64_t ts);

/*
 * window_span() - the buckets of the window of @length_ns (a multiple of the bucket width, at
 * most the ring) that ends with the last closed bucket: *@first .. *@last, both included.
 * Returns false (nothing set) when there is no closed bucket yet or @length_ns is not such a
 * length. Runs that reach back before the ring are cut at its oldest bucket.
 */
bool window_span(const struct window *w, uint64_t length_ns, uint64_t *first, uint64_t *last);

/* window_stats() - the counters and the clock's state. */
void window_stats(const struct window *w, struct window_stats *out);

#endif
