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
#include <string.h>

#include "aggregator/flow_summary.h"
#include "common/err.h"
#include "common/pb_varint.h"
#include "common/pb_walk.h"

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

/*
 * What the rules read of one record, whichever way it was decoded: from protobuf-c's structs
 * (facts_of_record) or from the wire (the walk below). One set of rules serves both.
 */
struct facts {
    int32_t event, end_reason;
    bool has_key, has_timing, has_splt, has_bd_client, has_bd_server, has_scores;
    uint32_t ip_proto, client_port, server_port;
    size_t client_addr_len, server_addr_len;
    size_t n_vlan;
    uint32_t vlan[2]; /* the first two; more than two fails before any value is looked at */
    uint64_t first_ts, last_ts;
    size_t n_lengths, n_iat_us, n_from_server, n_length_markov, n_iat_markov;
    uint32_t markov_bins;
    double entropy_client, entropy_server;
    size_t n_heads, bad_head; /* bad_head: index of the first head out of range, or SIZE_MAX */
    float bad_head_score, anomaly;
};

static bool unit_ok(float x)
{
    return x >= 0.0f && x <= 1.0f;
}

static bool key_ok(const struct facts *k, size_t i, struct why *w)
{
    if (!k->has_key)
        return fail(w, "record %zu: no key", i);
    if (k->ip_proto > 255)
        return fail(w, "record %zu: ip_proto %u", i, k->ip_proto);
    size_t cl = k->client_addr_len;
    size_t sl = k->server_addr_len;
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
    if (k->n_vlan > 2)
        return fail(w, "record %zu: %zu vlan_ids", i, k->n_vlan);
    for (size_t j = 0; j < k->n_vlan; j++) {
        if (k->vlan[j] > 4095)
            return fail(w, "record %zu: vlan_ids[%zu] %u", i, j, k->vlan[j]);
    }
    return true;
}

static bool timing_ok(const struct facts *t, size_t i, struct why *w)
{
    if (!t->has_timing)
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

static bool splt_ok(const struct facts *s, size_t i, struct why *w)
{
    if (!s->has_splt)
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

static bool entropy_ok(bool present, double entropy, const char *name, size_t i, struct why *w)
{
    /* Written so that NaN fails too. */
    if (present && !(entropy >= 0.0 && entropy <= 8.0))
        return fail(w, "record %zu: %s entropy %g", i, name, entropy);
    return true;
}

static bool scores_ok(const struct facts *s, size_t i, struct why *w)
{
    if (!s->has_scores)
        return true;
    if (s->bad_head != SIZE_MAX)
        return fail(w, "record %zu: heads[%zu] score %g", i, s->bad_head,
                    (double)s->bad_head_score);
    if (!unit_ok(s->anomaly))
        return fail(w, "record %zu: anomaly score %g", i, (double)s->anomaly);
    return true;
}

static bool record_ok(const struct facts *r, size_t i, struct why *w)
{
    switch (r->event) {
    case UMBRA__FLOW_EVENT__FLOW_EVENT_OPEN:
    case UMBRA__FLOW_EVENT__FLOW_EVENT_UPDATE:
    case UMBRA__FLOW_EVENT__FLOW_EVENT_END:
        break;
    default:
        return fail(w, "record %zu: event %d", i, (int)r->event);
    }
    /* Enum values nobody knows arrive as they are, negative ones too. */
    if (r->end_reason < UMBRA__END_REASON__END_REASON_UNSPECIFIED ||
        r->end_reason > UMBRA__END_REASON__END_REASON_ACTIVE_TIMEOUT)
        return fail(w, "record %zu: end_reason %d", i, (int)r->end_reason);
    return key_ok(r, i, w) && timing_ok(r, i, w) && splt_ok(r, i, w) &&
           entropy_ok(r->has_bd_client, r->entropy_client, "byte_dist_client", i, w) &&
           entropy_ok(r->has_bd_server, r->entropy_server, "byte_dist_server", i, w) &&
           scores_ok(r, i, w);
}

static void facts_of_record(const Umbra__FlowRecord *r, struct facts *f)
{
    *f = (struct facts){.event = (int32_t)r->event, .end_reason = (int32_t)r->end_reason};
    f->bad_head = SIZE_MAX;
    const Umbra__FlowKey *k = r->key;
    if (k != NULL) {
        f->has_key = true;
        f->ip_proto = k->ip_proto;
        f->client_addr_len = k->client_addr.len;
        f->server_addr_len = k->server_addr.len;
        f->client_port = k->client_port;
        f->server_port = k->server_port;
        f->n_vlan = k->n_vlan_ids;
        for (size_t j = 0; j < k->n_vlan_ids && j < 2; j++)
            f->vlan[j] = k->vlan_ids[j];
    }
    if (r->timing != NULL) {
        f->has_timing = true;
        f->first_ts = r->timing->first_ts;
        f->last_ts = r->timing->last_ts;
    }
    const Umbra__Splt *s = r->splt;
    if (s != NULL) {
        f->has_splt = true;
        f->n_lengths = s->n_lengths;
        f->n_iat_us = s->n_iat_us;
        f->n_from_server = s->n_from_server;
        f->markov_bins = s->markov_bins;
        f->n_length_markov = s->n_length_markov;
        f->n_iat_markov = s->n_iat_markov;
    }
    if (r->byte_dist_client != NULL) {
        f->has_bd_client = true;
        f->entropy_client = r->byte_dist_client->entropy;
    }
    if (r->byte_dist_server != NULL) {
        f->has_bd_server = true;
        f->entropy_server = r->byte_dist_server->entropy;
    }
    const Umbra__Scores *sc = r->scores;
    if (sc != NULL) {
        f->has_scores = true;
        f->n_heads = sc->n_heads;
        f->anomaly = sc->anomaly;
        for (size_t j = 0; j < sc->n_heads && f->bad_head == SIZE_MAX; j++) {
            if (sc->heads[j] == NULL || !unit_ok(sc->heads[j]->score)) {
                f->bad_head = j;
                f->bad_head_score = sc->heads[j] != NULL ? sc->heads[j]->score : 0.0f;
            }
        }
    }
}

static enum batch_check_cause header_check(const char *id, size_t id_len, uint64_t sequence,
                                           uint64_t epoch, uint64_t oldest, struct why *w)
{
    if (id_len == 0) {
        fail(w, "no sensor_id");
        return BATCH_NO_SENSOR_ID;
    }
    for (size_t j = 0; j < id_len; j++) {
        if (j == BATCH_CHECK_ID_MAX) {
            fail(w, "sensor_id over %d bytes", BATCH_CHECK_ID_MAX);
            return BATCH_BAD_SENSOR_ID;
        }
        if (id[j] <= ' ' || id[j] > '~') {
            fail(w, "sensor_id byte %zu is 0x%02x", j, (unsigned)(unsigned char)id[j]);
            return BATCH_BAD_SENSOR_ID;
        }
    }
    if (sequence == 0) {
        fail(w, "sequence 0");
        return BATCH_NO_SEQUENCE;
    }
    if (epoch == 0) {
        fail(w, "stream_epoch 0");
        return BATCH_NO_EPOCH;
    }
    if (oldest == 0 || oldest > sequence) {
        fail(w, "oldest_held %" PRIu64 " with sequence %" PRIu64, oldest, sequence);
        return BATCH_BAD_OLDEST;
    }
    return BATCH_OK;
}

static enum batch_check_cause count_check(size_t n, const struct batch_check_limits *lim,
                                          struct why *w)
{
    if (n == 0) {
        fail(w, "no records");
        return BATCH_NO_RECORDS;
    }
    if (n > lim->max_records) {
        fail(w, "%zu records, limit %u", n, lim->max_records);
        return BATCH_TOO_MANY_RECORDS;
    }
    return BATCH_OK;
}

static struct why why_init(char *why, size_t why_len)
{
    struct why w = {.buf = why, .len = why != NULL ? why_len : 0};
    if (w.len > 0)
        why[0] = '\0';
    return w;
}

enum batch_check_cause batch_check(const Umbra__FlowBatch *b, const struct batch_check_limits *lim,
                                   char *why, size_t why_len)
{
    assert(b != NULL && lim != NULL);
    struct why w = why_init(why, why_len);
    const char *id = b->sensor_id != NULL ? b->sensor_id : "";
    enum batch_check_cause c =
            header_check(id, strlen(id), b->sequence, b->stream_epoch, b->oldest_held, &w);
    if (c == BATCH_OK)
        c = count_check(b->n_records, lim, &w);
    if (c != BATCH_OK)
        return c;
    for (size_t i = 0; i < b->n_records; i++) {
        if (b->records[i] == NULL) {
            fail(&w, "record %zu: missing", i);
            return BATCH_BAD_RECORD;
        }
        struct facts f;
        facts_of_record(b->records[i], &f);
        if (!record_ok(&f, i, &w))
            return BATCH_BAD_RECORD;
    }
    return BATCH_OK;
}

/* ---- the same rules on the wire bytes -------------------------------------------------------- */

struct walk_state {
    struct why *w;
    const uint8_t *id;
    size_t id_len;
    uint32_t schema;
    uint64_t sequence, epoch, oldest;
    size_t n_records;
    bool bad;        /* a record broke a rule; its reason is in *w */
    struct facts f;  /* of the record being walked */
    double *entropy; /* where the ByteDist being walked puts its entropy */
    float head_score;

    /* Summaries (NULL: none wanted): out[i] for record i < cap; sum is the current one. */
    struct flow_summary *out, *sum;
    size_t cap;
    int dir; /* FS_CLIENT or FS_SERVER: the DirectionStats or TcpDirection being walked */
    const uint8_t *addr[2];
    size_t addr_len[2];
    const uint8_t *head_name, *dns_addr;
    size_t head_name_len, dns_addr_len;
    /* A record's SPLT, kept until it ends: lengths and directions come as separate runs. */
    size_t n_len, n_from;
    uint32_t splt_len[BATCH_CHECK_SPLT_MAX];
    bool splt_from[BATCH_CHECK_SPLT_MAX];
};

/* The summary of the record that has just been walked (flow_summary.h): what the facts hold,
 * and what the walk kept aside. */
static void summary_finish(struct walk_state *s)
{
    struct flow_summary *m = s->sum;
    const struct facts *f = &s->f;
    m->event = (uint8_t)f->event;
    m->end_reason = (uint8_t)f->end_reason;
    m->ip_proto = (uint8_t)f->ip_proto;
    m->client_port = (uint16_t)f->client_port;
    m->server_port = (uint16_t)f->server_port;
    m->first_ts = f->first_ts;
    m->last_ts = f->last_ts;
    m->v4 = s->addr_len[FS_CLIENT] == 4;
    flow_summary_addr(m->client, s->addr[FS_CLIENT], s->addr_len[FS_CLIENT]);
    flow_summary_addr(m->server, s->addr[FS_SERVER], s->addr_len[FS_SERVER]);
    uint32_t st = 0;
    for (size_t i = 0; i < s->n_len && i < s->n_from; i++)
        flow_summary_splt_add(m, &st, s->splt_len[i], s->splt_from[i]);
    if (f->has_scores)
        m->anomaly = f->anomaly;
}

static void summary_start(struct walk_state *s)
{
    s->sum = NULL;
    if (s->out == NULL || s->n_records >= s->cap)
        return;
    s->sum = &s->out[s->n_records];
    memset(s->sum, 0, sizeof(*s->sum));
    s->addr[0] = s->addr[1] = NULL;
    s->addr_len[0] = s->addr_len[1] = 0;
    s->n_len = s->n_from = 0;
}

static void batch_field(struct walk_state *s, enum pb_walk_event ev, uint32_t id,
                        const struct pb_walk_value *v)
{
    if (ev == PB_WALK_FIELD) {
        switch (id) {
        case 1:
            s->schema = (uint32_t)v->u;
            break;
        case 2:
            s->id = v->data;
            s->id_len = v->len;
            break;
        case 3:
            s->sequence = v->u;
            break;
        case 7:
            s->epoch = v->u;
            break;
        case 8:
            s->oldest = v->u;
            break;
        default:
            break;
        }
        return;
    }
    if (id != 5)
        return;
    if (ev == PB_WALK_ENTER) {
        s->f = (struct facts){.bad_head = SIZE_MAX};
        summary_start(s);
        return;
    }
    if (ev == PB_WALK_LEAVE) {
        /* Only the first broken record is reported, as batch_check() does. */
        if (!s->bad && !record_ok(&s->f, s->n_records, s->w)) {
            s->bad = true;
        }
        if (s->sum != NULL && !s->bad)
            summary_finish(s);
        s->n_records++;
    }
}

/* The fields of a record the summary reads, beyond the rules' (flow_summary.h). */
static int record_summary_field(struct walk_state *s, enum pb_walk_event ev, uint32_t id,
                                const struct pb_walk_value *v)
{
    struct flow_summary *m = s->sum;
    if (ev == PB_WALK_FIELD) {
        if (id == 1)
            m->flow_id = v->u;
        else if (id == 13)
            m->pcr = (float)pb_walk_double(v);
        else if (id == 35 && flow_summary_copy_name(m->server_name, (const char *)v->data, v->len))
            m->name_cut = true;
        return 0;
    }
    if (ev != PB_WALK_ENTER)
        return 0;
    switch (id) {
    case 10: /* DirectionStats */
    case 11:
        s->dir = id == 10 ? FS_CLIENT : FS_SERVER;
        return 0;
    case 12:
        m->has_tcp = true;
        return 0;
    case 31:
        m->has_ssh = true;
        return 0;
    case 32: /* DnsInfo */
        return 0;
    default:
        return PB_WALK_QUIET;
    }
}

/* Returns PB_WALK_QUIET for the parts of a record neither the rules nor the summary read
 * (statistics, handshakes): they are walked and checked as protobuf, without a call per field. */
static int record_field(struct walk_state *s, enum pb_walk_event ev, uint32_t id,
                        const struct pb_walk_value *v)
{
    struct facts *f = &s->f;
    if (ev == PB_WALK_FIELD) {
        if (id == 2)
            f->event = (int32_t)(uint32_t)v->u;
        else if (id == 3)
            f->end_reason = (int32_t)(uint32_t)v->u;
        else if (s->sum != NULL)
            return record_summary_field(s, ev, id, v);
        return 0;
    }
    if (ev != PB_WALK_ENTER)
        return 0;
    switch (id) {
    case 5:
        f->has_key = true;
        return 0;
    case 6:
        f->has_timing = true;
        return 0;
    case 20:
        f->has_splt = true;
        return 0;
    case 21:
        f->has_bd_client = true;
        s->entropy = &f->entropy_client;
        return 0;
    case 22:
        f->has_bd_server = true;
        s->entropy = &f->entropy_server;
        return 0;
    case 40:
        f->has_scores = true;
        if (s->sum != NULL)
            s->sum->has_scores = true;
        return 0;
    default:
        return s->sum != NULL ? record_summary_field(s, ev, id, v) : PB_WALK_QUIET;
    }
}

static void vlan_add(struct facts *f, uint64_t x)
{
    if (f->n_vlan < 2)
        f->vlan[f->n_vlan] = (uint32_t)x;
    f->n_vlan++;
}

static void key_field(struct walk_state *s, enum pb_walk_event ev,
                      const ProtobufCFieldDescriptor *fd, const struct pb_walk_value *v)
{
    struct facts *f = &s->f;
    if (ev == PB_WALK_PACKED && fd->id == 6) {
        struct pb_walk_value run = *v;
        uint64_t x;
        while (pb_walk_packed_next(&run, fd, &x))
            vlan_add(f, x);
        return;
    }
    if (ev != PB_WALK_FIELD)
        return;
    switch (fd->id) {
    case 1:
        f->ip_proto = (uint32_t)v->u;
        break;
    case 2:
        f->client_addr_len = v->len;
        s->addr[FS_CLIENT] = v->data;
        s->addr_len[FS_CLIENT] = v->len;
        break;
    case 3:
        f->server_addr_len = v->len;
        s->addr[FS_SERVER] = v->data;
        s->addr_len[FS_SERVER] = v->len;
        break;
    case 4:
        f->client_port = (uint32_t)v->u;
        break;
    case 5:
        f->server_port = (uint32_t)v->u;
        break;
    case 6:
        vlan_add(f, v->u);
        break;
    default:
        break;
    }
}

/* Keep one SPLT element of run @id (1 lengths, 3 from_server) for the summary. */
static void splt_keep(struct walk_state *s, uint32_t id, uint64_t x)
{
    if (id == 1 && s->n_len < BATCH_CHECK_SPLT_MAX)
        s->splt_len[s->n_len++] = (uint32_t)x;
    else if (id == 3 && s->n_from < BATCH_CHECK_SPLT_MAX)
        s->splt_from[s->n_from++] = x != 0;
}

/*
 * A packed run of SPLT lengths (checked by the walk): most lengths of a keystroke-sized flow are
 * one-byte varints, read in place; the others are decoded (the low 32 bits, as protobuf-c).
 */
static void splt_lengths_run(struct walk_state *s, const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len && s->n_len < BATCH_CHECK_SPLT_MAX) {
        if (p[i] < 0x80) {
            s->splt_len[s->n_len++] = p[i++];
            continue;
        }
        size_t k = pb_varint_scan(p + i, len - i);
        if (k == 0)
            return; /* not a run the walk passed */
        s->splt_len[s->n_len++] = (uint32_t)pb_varint_value(p + i, k);
        i += k;
    }
}

static void splt_field(struct walk_state *s, enum pb_walk_event ev,
                       const ProtobufCFieldDescriptor *fd, const struct pb_walk_value *v)
{
    struct facts *f = &s->f;
    if (ev != PB_WALK_FIELD && ev != PB_WALK_PACKED)
        return;
    switch (fd->id) {
    case 1:
        f->n_lengths += v->count;
        break;
    case 2:
        f->n_iat_us += v->count;
        return;
    case 3:
        f->n_from_server += v->count;
        break;
    case 4:
        f->markov_bins = (uint32_t)v->u;
        return;
    case 5:
        f->n_length_markov += v->count;
        return;
    case 6:
        f->n_iat_markov += v->count;
        return;
    default:
        return;
    }
    if (s->sum == NULL)
        return;
    if (ev == PB_WALK_FIELD)
        splt_keep(s, fd->id, v->u);
    else if (fd->id == 1)
        splt_lengths_run(s, v->data, v->len);
    else
        for (size_t i = 0; i < v->len; i++)
            splt_keep(s, 3, v->data[i]); /* packed bools: one byte each, 0 or 1 (checked) */
}

static void scores_field(struct walk_state *s, enum pb_walk_event ev, uint32_t id,
                         const struct pb_walk_value *v)
{
    struct facts *f = &s->f;
    if (ev == PB_WALK_FIELD && id == 3) {
        f->anomaly = pb_walk_float(v);
    } else if (id == 2 && ev == PB_WALK_ENTER) {
        s->head_score = 0.0f; /* a HeadScore without a score field scores 0 */
        s->head_name = NULL;
        s->head_name_len = 0;
    } else if (id == 2 && ev == PB_WALK_LEAVE) {
        if (f->bad_head == SIZE_MAX && !unit_ok(s->head_score)) {
            f->bad_head = f->n_heads;
            f->bad_head_score = s->head_score;
        }
        f->n_heads++;
        if (s->sum != NULL)
            flow_summary_head(s->sum, s->head_score,
                              s->head_name != NULL ? (const char *)s->head_name : "",
                              s->head_name_len);
    }
}

/* The messages only the summary reads; called only while a summary is being filled. */
static int summary_visit(struct walk_state *s, enum pb_walk_event ev,
                         const ProtobufCMessageDescriptor *msg, uint32_t id,
                         const struct pb_walk_value *v)
{
    struct flow_summary *m = s->sum;
    if (msg == &umbra__direction_stats__descriptor && ev == PB_WALK_FIELD) {
        if (id == 1)
            m->packets[s->dir] = v->u;
        else if (id == 3)
            m->bytes[s->dir] = v->u;
    } else if (msg == &umbra__tcp_info__descriptor && ev == PB_WALK_ENTER) {
        s->dir = id == 1 ? FS_CLIENT : FS_SERVER;
    } else if (msg == &umbra__tcp_direction__descriptor && ev == PB_WALK_FIELD) {
        if (id == 1)
            m->syn[s->dir] = flow_summary_cap16(v->u);
        else if (id == 3)
            m->rst[s->dir] = flow_summary_cap16(v->u);
    } else if (msg == &umbra__flow_timing__descriptor && ev == PB_WALK_FIELD && id == 3) {
        m->syn_synack_ns = v->u;
    } else if (msg == &umbra__ssh_info__descriptor) {
        if (ev == PB_WALK_ENTER)
            return PB_WALK_QUIET; /* the negotiated algorithms */
        if (ev != PB_WALK_FIELD)
            return 0;
        if (id == 10)
            m->ssh_encrypted[FS_CLIENT] = (uint32_t)v->u;
        else if (id == 11)
            m->ssh_encrypted[FS_SERVER] = (uint32_t)v->u;
        else if (id == 12)
            m->ssh_keystrokes = (uint32_t)v->u;
        else if (id == 13)
            m->ssh_echoes = (uint32_t)v->u;
        else if (id == 14)
            m->ssh_keystroke_size = (uint32_t)v->u;
    } else if (msg == &umbra__dns_info__descriptor && ev == PB_WALK_FIELD && id == 1) {
        if (flow_summary_copy_name(m->dns_name, (const char *)v->data, v->len))
            m->name_cut = true;
    } else if (msg == &umbra__dns_info__descriptor && id == 4) {
        if (ev == PB_WALK_ENTER)
            s->dns_addr_len = 0;
        else if (ev == PB_WALK_LEAVE && m->n_dns_addr < FLOW_SUMMARY_DNS_ADDRS &&
                 (s->dns_addr_len == 4 || s->dns_addr_len == 16))
            flow_summary_addr(m->dns_addr[m->n_dns_addr++], s->dns_addr, s->dns_addr_len);
    } else if (msg == &umbra__dns_answer__descriptor && ev == PB_WALK_FIELD && id == 4) {
        s->dns_addr = v->data; /* the last one given counts, as protobuf-c keeps it */
        s->dns_addr_len = v->len;
    } else if (msg == &umbra__head_score__descriptor && ev == PB_WALK_FIELD && id == 1) {
        s->head_name = v->data;
        s->head_name_len = v->len;
    }
    return 0;
}

static int visit(void *ctx, enum pb_walk_event ev, const ProtobufCMessageDescriptor *msg,
                 const ProtobufCFieldDescriptor *fd, const struct pb_walk_value *v)
{
    struct walk_state *s = ctx;
    if (msg == &umbra__flow_record__descriptor)
        return record_field(s, ev, fd->id, v);
    if (msg == &umbra__flow_batch__descriptor)
        batch_field(s, ev, fd->id, v);
    else if (msg == &umbra__flow_key__descriptor)
        key_field(s, ev, fd, v);
    else if (msg == &umbra__flow_timing__descriptor && ev == PB_WALK_FIELD && fd->id == 1)
        s->f.first_ts = v->u;
    else if (msg == &umbra__flow_timing__descriptor && ev == PB_WALK_FIELD && fd->id == 2)
        s->f.last_ts = v->u;
    else if (msg == &umbra__splt__descriptor)
        splt_field(s, ev, fd, v);
    else if (msg == &umbra__byte_dist__descriptor && ev == PB_WALK_FIELD && fd->id == 3)
        *s->entropy = pb_walk_double(v);
    else if (msg == &umbra__scores__descriptor)
        scores_field(s, ev, fd->id, v);
    else if (msg == &umbra__head_score__descriptor && ev == PB_WALK_FIELD && fd->id == 2)
        s->head_score = pb_walk_float(v);
    /* A key's tunnel: nothing in it is checked beyond protobuf. */
    if (ev == PB_WALK_ENTER && msg == &umbra__flow_key__descriptor)
        return PB_WALK_QUIET;
    if (s->sum != NULL)
        return summary_visit(s, ev, msg, fd->id, v);
    return 0;
}

/* The fields the visitor above reads, per message type; everything else is only checked. */
struct plan_list {
    const ProtobufCMessageDescriptor *desc;
    uint32_t ids[20];
    size_t n;
};

static const struct plan_list plan_lists[] = {
        {&umbra__flow_batch__descriptor, {1, 2, 3, 5, 7, 8}, 6},
        {&umbra__flow_record__descriptor,
         {1, 2, 3, 5, 6, 10, 11, 12, 13, 20, 21, 22, 31, 32, 35, 40},
         16},
        {&umbra__flow_key__descriptor, {1, 2, 3, 4, 5, 6}, 6},
        {&umbra__flow_timing__descriptor, {1, 2, 3}, 3},
        {&umbra__direction_stats__descriptor, {1, 3}, 2},
        {&umbra__tcp_direction__descriptor, {1, 3}, 2},
        {&umbra__splt__descriptor, {1, 2, 3, 4, 5, 6}, 6},
        {&umbra__byte_dist__descriptor, {3}, 1},
        {&umbra__ssh_info__descriptor, {10, 11, 12, 13, 14}, 5},
        {&umbra__dns_info__descriptor, {1, 4}, 2},
        {&umbra__dns_answer__descriptor, {4}, 1},
        {&umbra__scores__descriptor, {2, 3}, 2},
        {&umbra__head_score__descriptor, {1, 2}, 2},
};

struct pb_walk_plan *batch_check_plan_create(void)
{
    struct pb_walk_plan *plan = pb_walk_plan_create(&umbra__flow_batch__descriptor);
    for (size_t i = 0; plan != NULL && i < sizeof(plan_lists) / sizeof(plan_lists[0]); i++) {
        const struct plan_list *l = &plan_lists[i];
        if (pb_walk_plan_only(plan, l->desc, l->ids, l->n) != 0)
            pb_walk_plan_destroy(&plan); /* the lists above do not match umbra.proto: a bug */
    }
    return plan;
}

int batch_check_wire(const struct pb_walk_plan *plan, const uint8_t *payload, size_t len,
                     const struct batch_check_limits *lim, struct batch_check_header *hdr,
                     struct flow_summary *sum, enum batch_check_cause *cause, char *why,
                     size_t why_len)
{
    assert(lim != NULL && hdr != NULL && cause != NULL);
    struct why w = why_init(why, why_len);
    struct walk_state s = {.w = &w, .out = sum, .cap = sum != NULL ? lim->max_records : 0};
    *hdr = (struct batch_check_header){0};
    *cause = BATCH_OK;
    int rc = plan != NULL ? pb_walk_planned(plan, payload, len, visit, &s)
                          : pb_walk(&umbra__flow_batch__descriptor, payload, len, visit, &s);
    if (rc != 0) {
        if (w.len > 0)
            why[0] = '\0';
        return rc;
    }
    if (s.schema != (uint32_t)UMBRA__SCHEMA_VERSION__SCHEMA_VERSION_CURRENT) {
        if (w.len > 0)
            why[0] = '\0';
        return UMBRA_ESCHEMA;
    }
    hdr->sequence = s.sequence;
    hdr->stream_epoch = s.epoch;
    hdr->oldest_held = s.oldest;
    hdr->n_records = s.n_records;
    enum batch_check_cause c =
            header_check((const char *)s.id, s.id_len, s.sequence, s.epoch, s.oldest, &w);
    if (c != BATCH_NO_SENSOR_ID && c != BATCH_BAD_SENSOR_ID) {
        memcpy(hdr->sensor_id, s.id, s.id_len);
        hdr->sensor_id[s.id_len] = '\0';
    }
    if (c == BATCH_OK)
        c = count_check(s.n_records, lim, &w);
    if (c == BATCH_OK && s.bad)
        c = BATCH_BAD_RECORD; /* its reason was written when the record ended */
    *cause = c;
    return 0;
}
