/*
 * Alert drafts and their protobuf form (alert.h).
 */
#include "aggregator/alert.h"

#include <string.h>

uint32_t alert_host(struct alert_draft *d, const uint8_t addr[16], const char *name)
{
    for (uint32_t i = 0; i < d->n_hosts; i++) {
        if (memcmp(d->host_addr[i], addr, 16) == 0) {
            if (name != NULL && name[0] != '\0' && d->host_name[i][0] == '\0')
                flow_summary_copy_name(d->host_name[i], name, strlen(name));
            return i;
        }
    }
    if (d->n_hosts == ALERT_HOSTS_MAX)
        return ALERT_HOSTS_MAX;
    uint32_t i = d->n_hosts++;
    memcpy(d->host_addr[i], addr, 16);
    d->host_name[i][0] = '\0';
    if (name != NULL)
        flow_summary_copy_name(d->host_name[i], name, strlen(name));
    return i;
}

void alert_reason(struct alert_draft *d, const char *name, double value, double threshold)
{
    uint32_t i = 0;
    while (i < d->n_reasons && strcmp(d->reasons[i].name, name) != 0)
        i++;
    if (i == d->n_reasons) {
        if (d->n_reasons == ALERT_REASONS_MAX)
            return;
        d->n_reasons++;
    }
    d->reasons[i] = (struct alert_reason){name, value, threshold};
}

void alert_evidence(struct alert_draft *d, const char *sensor_id, const struct flow_summary *s)
{
    for (uint32_t i = 0; i < d->n_evidence; i++) {
        if (d->evidence[i].flow_id == s->flow_id &&
            strcmp(d->evidence[i].sensor_id, sensor_id) == 0)
            return;
    }
    uint32_t i = d->n_evidence < ALERT_EVIDENCE_MAX ? d->n_evidence++ : ALERT_EVIDENCE_MAX - 1;
    alert_evidence_of(&d->evidence[i], sensor_id, s);
}

void alert_evidence_of(struct alert_evidence *e, const char *sensor_id,
                       const struct flow_summary *s)
{
    size_t n = strnlen(sensor_id, ALERT_SENSOR_MAX);
    memcpy(e->sensor_id, sensor_id, n);
    e->sensor_id[n] = '\0';
    e->flow_id = s->flow_id;
    e->first_ts = s->first_ts;
    memcpy(e->client, s->client, 16);
    memcpy(e->server, s->server, 16);
    e->client_port = s->client_port;
    e->server_port = s->server_port;
    e->ip_proto = s->ip_proto;
}

/* An address as the wire carries it: 4 bytes for IPv4 (in @v4), else the 16. */
static ProtobufCBinaryData wire_addr(const uint8_t a[16], uint8_t v4[4])
{
    if (flow_summary_is_v4(a)) {
        memcpy(v4, a + 12, 4);
        return (ProtobufCBinaryData){4, v4};
    }
    return (ProtobufCBinaryData){16, (uint8_t *)a};
}

void alert_pb_fill(struct alert_pb *pb, const struct alert_draft *d, const char *aggregator_id)
{
    Umbra__Alert *a = &pb->a;
    *a = (Umbra__Alert)UMBRA__ALERT__INIT;
    a->schema_version = UMBRA__SCHEMA_VERSION__SCHEMA_VERSION_CURRENT;
    a->id = (char *)d->id;
    a->ts = d->ts;
    a->first_seen_ts = d->first_seen;
    a->last_seen_ts = d->last_seen;
    a->kind = d->kind;
    a->severity = d->severity;
    a->score = d->score;
    a->revision = d->revision;
    a->aggregator_id = (char *)aggregator_id;
    a->explanation = (char *)d->explanation;
    size_t v = 0;
    for (uint32_t i = 0; i < d->n_hosts; i++) {
        Umbra__AlertHost *h = &pb->hosts[i];
        *h = (Umbra__AlertHost)UMBRA__ALERT_HOST__INIT;
        h->addr = wire_addr(d->host_addr[i], pb->addr_v4[v++]);
        h->name = (char *)d->host_name[i];
        pb->hostp[i] = h;
    }
    a->n_hosts = d->n_hosts;
    a->hosts = pb->hostp;
    a->n_path = d->n_path;
    a->path = (uint32_t *)d->path;
    for (uint32_t i = 0; i < d->n_evidence; i++) {
        const struct alert_evidence *x = &d->evidence[i];
        Umbra__Evidence *e = &pb->ev[i];
        *e = (Umbra__Evidence)UMBRA__EVIDENCE__INIT;
        e->sensor_id = (char *)x->sensor_id;
        e->flow_id = x->flow_id;
        e->ip_proto = x->ip_proto;
        e->client_addr = wire_addr(x->client, pb->addr_v4[v++]);
        e->server_addr = wire_addr(x->server, pb->addr_v4[v++]);
        e->client_port = x->client_port;
        e->server_port = x->server_port;
        e->first_ts = x->first_ts;
        pb->evp[i] = e;
    }
    a->n_evidence = d->n_evidence;
    a->evidence = pb->evp;
    for (uint32_t i = 0; i < d->n_reasons; i++) {
        Umbra__Reason *r = &pb->reasons[i];
        *r = (Umbra__Reason)UMBRA__REASON__INIT;
        r->name = (char *)d->reasons[i].name;
        r->value = d->reasons[i].value;
        r->threshold = d->reasons[i].threshold;
        pb->reasonp[i] = r;
    }
    a->n_reasons = d->n_reasons;
    a->reasons = pb->reasonp;
}

const char *alert_kind_name(Umbra__AlertKind k)
{
    switch (k) {
    case UMBRA__ALERT_KIND__ALERT_KIND_FANOUT:
        return "fanout";
    case UMBRA__ALERT_KIND__ALERT_KIND_SCAN:
        return "scan";
    case UMBRA__ALERT_KIND__ALERT_KIND_LATERAL_MOVEMENT:
        return "lateral_movement";
    case UMBRA__ALERT_KIND__ALERT_KIND_BEACON:
        return "beacon";
    case UMBRA__ALERT_KIND__ALERT_KIND_SHELL:
        return "shell";
    case UMBRA__ALERT_KIND__ALERT_KIND_EXFIL:
        return "exfil";
    case UMBRA__ALERT_KIND__ALERT_KIND_MODEL_SCORE:
        return "model_score";
    default:
        return "unknown";
    }
}

const char *alert_severity_name(Umbra__Severity s)
{
    static const char *const names[] = {"unspecified", "info", "low", "medium", "high", "critical"};
    if ((unsigned)s < sizeof(names) / sizeof(names[0]) && s != 0)
        return names[s];
    return "unknown";
}
