/*
 * Window: event-time buckets, per-sensor and global watermarks, and the classes of a record's
 * time (window.h has the rules).
 */
#include "aggregator/window.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

struct sensor {
    uint64_t max_ts;       /* newest event time accepted from it */
    uint64_t last_arrival; /* monotonic ns of its last record */
    bool seen;             /* it has sent an accepted record */
};

struct window {
    struct window_config cfg;
    struct window_ops ops;
    struct log *log;
    struct sensor *s;

    bool have_head;
    uint64_t head;       /* newest bucket placed */
    uint64_t low;        /* oldest bucket placed: nothing below it was ever in the ring */
    uint64_t wm;         /* global watermark (event ns), only moves forward */
    bool have_wm;        /* a watermark exists (some sensor has sent a record) */
    uint64_t next_close; /* buckets below it have been reported closed */

    struct window_stats st;
};

struct window *window_create(const struct window_config *cfg, const struct window_ops *ops,
                             struct log *log)
{
    if (cfg == NULL || cfg->bucket_ns == 0 || cfg->n_buckets < 2 || cfg->max_sensors == 0 ||
        cfg->bucket_ns > (UINT64_C(1) << 63) / cfg->n_buckets) {
        log_err(log, "window: invalid configuration (bucket width, ring length or sensor slots)");
        return NULL;
    }
    struct window *w = calloc(1, sizeof(*w));
    struct sensor *s = calloc(cfg->max_sensors, sizeof(*s));
    if (w == NULL || s == NULL) {
        free(w);
        free(s);
        log_err(log, "window: out of memory for %u sensor slots", cfg->max_sensors);
        return NULL;
    }
    w->cfg = *cfg;
    if (ops != NULL)
        w->ops = *ops;
    w->log = log;
    w->s = s;
    return w;
}

void window_destroy(struct window **wp)
{
    if (wp == NULL || *wp == NULL)
        return;
    free((*wp)->s);
    free(*wp);
    *wp = NULL;
}

uint64_t window_bucket(const struct window *w, uint64_t ts)
{
    return ts / w->cfg.bucket_ns;
}

/* The oldest bucket the ring holds (with the head at @head). */
static uint64_t ring_start(const struct window *w, uint64_t head)
{
    uint64_t n = w->cfg.n_buckets;
    uint64_t start = head >= n - 1 ? head - (n - 1) : 0;
    return start > w->low ? start : w->low;
}

/* The head moves to @b: report the buckets that leave the ring, oldest first. */
static void move_head(struct window *w, uint64_t b)
{
    uint64_t n = w->cfg.n_buckets;
    uint64_t from = ring_start(w, w->head);
    uint64_t to = b >= n ? b - n + 1 : 0; /* the new ring starts here: below it, evicted */
    if (to > w->head + 1)
        to = w->head + 1;
    for (uint64_t x = from; x < to; x++) {
        if (w->ops.evict != NULL)
            w->ops.evict(w->ops.ctx, x);
        w->st.evicted++;
    }
    w->head = b;
    if (w->low < to)
        w->low = to;
}

int window_observe(struct window *w, uint32_t sensor, uint64_t ts, uint64_t now, uint64_t *bucket)
{
    if (sensor >= w->cfg.max_sensors)
        return -EINVAL;
    struct sensor *s = &w->s[sensor];
    s->last_arrival = now;
    /* Saturating: a watermark near the top of the clock must not wrap the bound round. */
    uint64_t ahead = w->cfg.lateness_ns + w->cfg.future_ns;
    if (w->have_wm && w->wm <= UINT64_MAX - ahead && ts > w->wm + ahead) {
        w->st.future++;
        return WINDOW_FUTURE;
    }
    uint64_t b = window_bucket(w, ts);
    if (w->have_head && b + w->cfg.n_buckets <= w->head) {
        w->st.too_late++;
        return WINDOW_TOO_LATE;
    }
    if (!s->seen || ts > s->max_ts)
        s->max_ts = ts;
    if (!s->seen) {
        s->seen = true;
        w->st.sensors_seen++;
    }
    if (!w->have_head) {
        w->have_head = true;
        w->head = w->low = b;
    } else if (b > w->head) {
        move_head(w, b);
    } else if (b < w->low) {
        w->low = b; /* inside the ring (checked above), below anything placed so far */
    }
    if (bucket != NULL)
        *bucket = b;
    if (w->have_wm && b < w->wm / w->cfg.bucket_ns) {
        w->st.late++;
        return WINDOW_LATE;
    }
    w->st.on_time++;
    return WINDOW_ON_TIME;
}

/* The watermark the sensors allow at @now, before the forward-only rule; false if none. */
static bool candidate(struct window *w, uint64_t now, uint64_t *out)
{
    bool any_active = false, any = false;
    uint64_t lowest = UINT64_MAX;
    uint32_t idle = 0;
    for (uint32_t i = 0; i < w->cfg.max_sensors; i++) {
        const struct sensor *s = &w->s[i];
        if (!s->seen)
            continue;
        any = true;
        if (now - s->last_arrival >= w->cfg.idle_ns) {
            idle++;
            continue;
        }
        uint64_t mark = s->max_ts > w->cfg.lateness_ns ? s->max_ts - w->cfg.lateness_ns : 0;
        lowest = mark < lowest ? mark : lowest;
        any_active = true;
    }
    w->st.sensors_idle = idle;
    if (!any)
        return false;
    /* Nobody is sending: the input has stopped, and every bucket that holds a record may be
     * judged, the head's included. */
    *out = any_active ? lowest : (w->head + 1) * w->cfg.bucket_ns;
    return true;
}

uint64_t window_advance(struct window *w, uint64_t now)
{
    uint64_t c;
    if (!candidate(w, now, &c))
        return w->wm;
    if (!w->have_wm || c > w->wm)
        w->wm = c;
    w->have_wm = true;
    if (!w->have_head)
        return w->wm;
    uint64_t open_from = w->wm / w->cfg.bucket_ns; /* buckets below it are closed */
    uint64_t from = ring_start(w, w->head);
    if (from < w->next_close)
        from = w->next_close;
    uint64_t to = open_from < w->head + 1 ? open_from : w->head + 1;
    for (uint64_t b = from; b < to; b++) {
        if (w->ops.close != NULL)
            w->ops.close(w->ops.ctx, b);
        w->st.closed++;
    }
    if (to > w->next_close)
        w->next_close = to;
    return w->wm;
}

bool window_span(const struct window *w, uint64_t length_ns, uint64_t *first, uint64_t *last)
{
    uint64_t width = w->cfg.bucket_ns;
    if (!w->have_head || w->next_close == 0 || length_ns == 0 || length_ns % width != 0 ||
        length_ns / width > w->cfg.n_buckets)
        return false;
    uint64_t end = w->next_close - 1;
    uint64_t start = ring_start(w, w->head);
    if (end < start)
        return false; /* every closed bucket has left the ring */
    uint64_t k = length_ns / width;
    *last = end;
    *first = end - start + 1 >= k ? end - k + 1 : start;
    return true;
}

void window_stats(const struct window *w, struct window_stats *out)
{
    *out = w->st;
    out->watermark = w->wm;
    out->head_end = w->have_head ? (w->head + 1) * w->cfg.bucket_ns : 0;
}
