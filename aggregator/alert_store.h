/*
 * Alert store: the alerts the detectors raise, kept in LMDB for `umbra-ctl alerts --since` and
 * for dashboards that start late, with a retention policy.
 *
 * An alert that grows (a longer chain, more scanned hosts) is put again under the same id with a
 * higher revision: the store keeps its latest revision only. Each alert is stored as the wire
 * envelope the PUB socket carries (wire.h, WIRE_ALERT: header, protobuf, XXH3), so a reader
 * checks it with wire_unpack() and a damaged value is found, not decoded into nonsense.
 *
 * Layout of the directory (its own LMDB environment, apart from the flow store's):
 *   "alerts"   key: the alert id; value: the envelope of its latest revision.
 *   "by_time"  key: the latest revision's ts (8 bytes BE), then the id; value: empty. The index
 *              of --since and of expiry: an alert is listed by when it last changed.
 *
 * Retention: alert_store_expire() deletes the alerts whose latest revision is older than
 * retention_ns before the time it is given (event time, like the alerts' ts).
 *
 * Threads: a struct alert_store belongs to one thread. alert_store_scan() keeps no state and runs
 * in another process (umbra-ctl) while the aggregator writes: LMDB readers never block the
 * writer.
 */
#ifndef UMBRA_AGGREGATOR_ALERT_STORE_H
#define UMBRA_AGGREGATOR_ALERT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/umbra.pb-c.h"

struct log;
struct alert_store;

#define ALERT_STORE_ID_MAX 128 /* bytes of an alert id */

struct alert_store_config {
    const char *dir;       /* created 0700 if missing (one level) */
    uint64_t map_size;     /* bytes of LMDB map (> 0) */
    uint64_t retention_ns; /* alert_store_expire() keeps this much; 0 = keep everything */
    bool sync;             /* sync each put (false: tests) */
};

/* alert_store_create() - open or create the store; NULL after logging why (invalid config, the
 * directory, LMDB). */
struct alert_store *alert_store_create(const struct alert_store_config *cfg, struct log *log);

/* alert_store_destroy() - close, free, set *@sp = NULL. NULL-safe. */
void alert_store_destroy(struct alert_store **sp);

/*
 * alert_store_put() - store @a (its latest revision) in one transaction: replaces what is stored
 * under its id, moves its time-index entry to @a->ts. A revision lower than the stored one is
 * ignored (returns 0 and changes nothing): an alert is never rolled back.
 *
 * Returns 0, -EINVAL (no id, an id over ALERT_STORE_ID_MAX bytes, an alert that does not pack),
 * -ENOSPC (the map is full: logged "raise alerts.map_size"), or -EIO (LMDB, logged).
 */
int alert_store_put(struct alert_store *st, const Umbra__Alert *a);

/*
 * alert_store_expire() - delete the alerts whose latest revision's ts is below @now_ts -
 * retention_ns (nothing with retention 0). Returns the number deleted, or -ENOSPC/-EIO (logged).
 */
long alert_store_expire(struct alert_store *st, uint64_t now_ts);

/* Called per alert; return non-zero to stop the scan (alert_store_scan() returns it). @a is
 * valid during the call only. */
typedef int alert_store_fn(void *ctx, const Umbra__Alert *a);

/*
 * alert_store_scan() - every alert of the store in @dir whose latest revision's ts is @since_ts
 * or later, oldest first, from one read-only snapshot. For another process than the writer's
 * (LMDB forbids opening one environment twice in a process).
 *
 * Returns 0, @fn's non-zero value, or (logged) -ENOENT (no store in @dir), -EIO (LMDB, or a
 * damaged alert: its envelope does not check; the alerts before it were passed on), -ENOMEM.
 */
int alert_store_scan(const char *dir, uint64_t since_ts, alert_store_fn *fn, void *ctx,
                     struct log *log);

#endif
