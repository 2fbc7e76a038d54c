/*
 * Batch check: the semantic rules of a FlowBatch (the table in batch_check.h), one function per
 * part of a record. It owns no state and decides nothing about delivery: flow_store and ingest
 * do that with the verdict. Counting causes and logging them is the caller's.
 */
#include "aggregator/batch_check.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static const char *const cause_names[BATCH_CAUSE_COUNT] = {
        [BATCH_OK] = "ok",
        [BATCH_NO_SENSOR_ID] = "no_sensor_id",
        [BATCH_BAD_SENSOR_ID] = "bad_sensor_id",
        [BATCH_NO_SEQUENCE] = "no_sequence",
        [BATCH_NO_EPOCH] = "no_epoch",
        [BATCH_BAD_OLDEST] = "bad_oldest",
        [BATCH_TOO_MANY_RECORDS] = "too_many_records",
        [BATCH_BAD_RECORD] = "bad_record",
        [BATCH_NO_RECORDS] = "no_records",
};

const char *batch_check_cause_name(enum batch_check_cause c)
{
    if ((unsigned)c >= BATCH_CAUSE_COUNT)
        return "unknown";
    return cause_names[c];
}

/* Where a failing rule writes its reason; the record index is prefixed when there is one. */
struct why {
    char *buf;
    size_t len;
};

static bool fail(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(struct why *w, const char *fmt, ...)
{
    if (w->len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->buf, w->len, fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool port_ok(uint32_t proto, uint32_t port)
{
    if (port > 65535)
        return false;
    /* Only these carry ports in the key; the sensor sets 0 for every other protocol. */
    return port == 0 || proto == 6 || proto == 17 || proto == 132;
}

static bool key_ok(const Umbra__FlowKey *k, size_t i, struct why *w)
{
    if (k == NULL)
        return fail(w, "record %zu: no key", i);
    if (k->ip_proto > 255)
        return fail(w, "record %zu: ip_proto %u", i, k->ip_proto);
    size_t cl = k->client_addr.len;
    size_t sl = k->server_addr.len;
    if (cl != sl || (cl != 4 && cl != 16)) {
        if (cl != 4 && cl != 16)
            return fail(w, "record %zu: client_addr of %zu bytes", i, cl);
        return fail(w, "record %zu: server_addr of %zu bytes with client_addr of %zu", i, sl, cl);
    }
    if (!port_ok(k->ip_proto, k->client_port))
        return fail(w, "record %zu: client_port %u with ip_proto %u", i, k->client_port,
                    k->ip_proto);
    if (!port_ok(k->ip_proto, k->server_port))
        return fail(w, "record %zu: server_port %u with ip_proto %u", i, k->server_port,
                    k->ip_proto);
    if (k->n_vlan_ids > 2)
        return fail(w, "record %zu: %zu vlan_ids", i, k->n_vlan_ids);
    for (size_t j = 0; j < k->n_vlan_ids; j++) {
        if (k->vlan_ids[j] > 4095)
            return fail(w, "record %zu: vlan_ids[%zu] %u", i, j, k->vlan_ids[j]);
    }
    return true;
}

static bool timing_ok(const Umbra__FlowTiming *t, size_t i, struct why *w)
{
    if (t == NULL)
        return fail(w, "record %zu: no timing", i);
    if (t->first_ts == 0)
        return fail(w, "record %zu: first_ts 0", i);
    if (t->last_ts != 0 && t->first_ts > t->last_ts)
        return fail(w, "record %zu: first_ts %" PRIu64 " after last_ts %" PRIu64, i, t->first_ts,
                    t->last_ts);
    return true;
}

static bool markov_ok(size_t n, uint32_t bins, const char *name, size_t i, struct why *w)
{
    if (n != 0 && n != (size_t)bins * bins)
        return fail(w, "record %zu: %s of %zu with markov_bins %u", i, name, n, bins);
    return true;
}

static bool splt_ok(const Umbra__Splt *s, size_t i, struct why *w)
{
    if (s == NULL)
        return true;
    if (s->n_lengths != s->n_iat_us || s->n_lengths != s->n_from_server)
        return fail(w, "record %zu: splt lengths %zu, iat_us %zu, from_server %zu", i, s->n_lengths,
                    s->n_iat_us, s->n_from_server);
    if (s->n_lengths > BATCH_CHECK_SPLT_MAX)
        return fail(w, "record %zu: splt of %zu packets", i, s->n_lengths);
    if (s->markov_bins > BATCH_CHECK_MARKOV_BINS_MAX)
        return fail(w, "record %zu: markov_bins %u", i, s->markov_bins);
    return markov_ok(s->n_length_markov, s->markov_bins, "length_markov", i, w) &&
           markov_ok(s->n_iat_markov, s->markov_bins, "iat_markov", i, w);
}

static bool entropy_ok(const Umbra__ByteDist *d, const char *name, size_t i, struct why *w)
{
    /* Written so that NaN fails too. */
    if (d != NULL && !(d->entropy >= 0.0 && d->entropy <= 8.0))
        return fail(w, "record %zu: %s entropy %g", i, name, d->entropy);
    return true;
}

static bool unit_ok(float x)
{
    return x >= 0.0f && x <= 1.0f;
}

static bool scores_ok(const Umbra__Scores *s, size_t i, struct why *w)
{
    if (s == NULL)
        return true;
    for (size_t j = 0; j < s->n_heads; j++) {
        if (s->heads[j] == NULL || !unit_ok(s->heads[j]->score))
            return fail(w, "record %zu: heads[%zu] score %g", i, j,
                        s->heads[j] != NULL ? (double)s->heads[j]->score : 0.0);
    }
    if (!unit_ok(s->anomaly))
        return fail(w, "record %zu: anomaly score %g", i, (double)s->anomaly);
    return true;
}

static bool record_ok(const Umbra__FlowRecord *r, size_t i, struct why *w)
{
    if (r == NULL)
        return fail(w, "record %zu: missing", i);
    switch (r->event) {
    case UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN:
    case UMBRA__FLOW_EVENT__FLOW_EVENT_UPDATE:
    case UMBRA__FLOW_EVENT__FLOW_EVENT_END:
        break;
    default:
        return fail(w, "record %zu: event %d", i, (int)r->event);
    }
    /* protobuf-c keeps enum values it does not know, negative ones too. */
    int reason = (int)r->end_reason;
    if (reason < UMBRA__END_REASON__END_REASON_UNSPECIFIED ||
        reason > UMBRA__END_REASON__END_REASON_ACTIVE_TIMEOUT)
        return fail(w, "record %zu: end_reason %d", i, reason);
    return key_ok(r->key, i, w) && timing_ok(r->timing, i, w) && splt_ok(r->splt, i, w) &&
           entropy_ok(r->byte_dist_client, "byte_dist_client", i, w) &&
           entropy_ok(r->byte_dist_server, "byte_dist_server", i, w) && scores_ok(r->scores, i, w);
}

static enum batch_check_cause header_check(const Umbra__FlowBatch *b, struct why *w)
{
    const char *id = b->sensor_id;
    if (id == NULL || id[0] == '\0') {
        fail(w, "no sensor_id");
        return BATCH_NO_SENSOR_ID;
    }
    for (size_t j = 0; id[j] != '\0'; j++) {
        if (j == BATCH_CHECK_ID_MAX) {
            fail(w, "sensor_id over %d bytes", BATCH_CHECK_ID_MAX);
            return BATCH_BAD_SENSOR_ID;
        }
        if (id[j] <= ' ' || id[j] > '~') {
            fail(w, "sensor_id byte %zu is 0x%02x", j, (unsigned)(unsigned char)id[j]);
            return BATCH_BAD_SENSOR_ID;
        }
    }
    if (b->sequence == 0) {
        fail(w, "sequence 0");
        return BATCH_NO_SEQUENCE;
    }
    if (b->stream_epoch == 0) {
        fail(w, "stream_epoch 0");
        return BATCH_NO_EPOCH;
    }
    if (b->oldest_held == 0 || b->oldest_held > b->sequence) {
        fail(w, "oldest_held %" PRIu64 " with sequence %" PRIu64, b->oldest_held, b->sequence);
        return BATCH_BAD_OLDEST;
    }
    return BATCH_OK;
}

enum batch_check_cause batch_check(const Umbra__FlowBatch *b, const struct batch_check_limits *lim,
                                   char *why, size_t why_len)
{
    assert(b != NULL && lim != NULL);
    struct why w = {.buf = why, .len = why != NULL ? why_len : 0};
    if (w.len > 0)
        why[0] = '\0';
    enum batch_check_cause c = header_check(b, &w);
    if (c != BATCH_OK)
        return c;
    if (b->n_records == 0) {
        fail(&w, "no records");
        return BATCH_NO_RECORDS;
    }
    if (b->n_records > lim->max_records) {
        fail(&w, "%zu records, limit %u", b->n_records, lim->max_records);
        return BATCH_TOO_MANY_RECORDS;
    }
    for (size_t i = 0; i < b->n_records; i++) {
        if (!record_ok(b->records[i], i, &w))
            return BATCH_BAD_RECORD;
    }
    return BATCH_OK;
}
