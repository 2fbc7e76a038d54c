/*
 * Flow summary: the helpers the walk (batch_check.c) and the decoded path share, so the two
 * fill a summary by one set of rules.
 */
#include "aggregator/flow_summary.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void flow_summary_addr(uint8_t out[16], const uint8_t *a, size_t len)
{
    if (len == 4) {
        memcpy(out, v4_prefix, sizeof(v4_prefix));
        memcpy(out + 12, a, 4);
    } else if (len == 16) {
        memcpy(out, a, 16);
    } else {
        memset(out, 0, 16); /* batch_check refuses such a record before anyone reads it */
    }
}

bool flow_summary_is_v4(const uint8_t a[16])
{
    return memcmp(a, v4_prefix, sizeof(v4_prefix)) == 0;
}

const char *flow_summary_addr_str(const uint8_t a[16], char *buf, size_t cap)
{
    const char *r = flow_summary_is_v4(a) ? inet_ntop(AF_INET, a + 12, buf, (socklen_t)cap)
                                          : inet_ntop(AF_INET6, a, buf, (socklen_t)cap);
    if (r == NULL && cap > 0)
        snprintf(buf, cap, "?");
    return buf;
}

bool flow_summary_copy_name(char *dst, const char *src, size_t len)
{
    /* A NUL ends the name, as it does the decoded string protobuf-c hands over. */
    const char *nul = memchr(src, '\0', len);
    if (nul != NULL)
        len = (size_t)(nul - src);
    bool cut = len > FLOW_SUMMARY_NAME_MAX;
    size_t n = cut ? FLOW_SUMMARY_NAME_MAX : len;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        dst[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    memset(dst + n, 0, FLOW_SUMMARY_NAME_MAX + 1 - n);
    return cut;
}

/*
 * @state: 1 when the last non-empty packet was a small client packet (an echo may follow), else
 * 0. A server packet right after it answers it, small or not: only a small one counts.
 */
void flow_summary_splt_add(struct flow_summary *s, uint32_t *state, uint32_t len, bool from_server)
{
    if (s->splt_n < UINT16_MAX)
        s->splt_n++;
    if (len == 0)
        return;
    bool small = len <= FLOW_SUMMARY_SMALL;
    if (from_server) {
        if (*state == 1 && small && s->splt_small_pairs < UINT16_MAX)
            s->splt_small_pairs++;
        *state = 0;
    } else {
        *state = small ? 1 : 0;
    }
}

void flow_summary_head(struct flow_summary *s, float score, const char *name, size_t name_len)
{
    if (s->n_heads++ > 0 && !(score > s->head_max))
        return;
    s->head_max = score;
    const char *nul = memchr(name, '\0', name_len);
    if (nul != NULL)
        name_len = (size_t)(nul - name);
    size_t n = name_len < FLOW_SUMMARY_HEAD_MAX ? name_len : FLOW_SUMMARY_HEAD_MAX;
    memset(s->head_name, 0, sizeof(s->head_name));
    memcpy(s->head_name, name, n);
}

static void of_dns(const Umbra__DnsInfo *d, struct flow_summary *s)
{
    if (d->query_name != NULL &&
        flow_summary_copy_name(s->dns_name, d->query_name, strlen(d->query_name)))
        s->name_cut = true;
    for (size_t i = 0; i < d->n_answers && s->n_dns_addr < FLOW_SUMMARY_DNS_ADDRS; i++) {
        const Umbra__DnsAnswer *a = d->answers[i];
        if (a != NULL && (a->addr.len == 4 || a->addr.len == 16))
            flow_summary_addr(s->dns_addr[s->n_dns_addr++], a->addr.data, a->addr.len);
    }
}

static void of_stats(const Umbra__FlowRecord *r, struct flow_summary *s)
{
    const Umbra__DirectionStats *d[2] = {r->client, r->server};
    for (int i = 0; i < 2; i++) {
        if (d[i] != NULL) {
            s->packets[i] = d[i]->packets;
            s->bytes[i] = d[i]->payload_bytes;
        }
    }
    if (r->tcp != NULL) {
        s->has_tcp = true;
        const Umbra__TcpDirection *t[2] = {r->tcp->client, r->tcp->server};
        for (int i = 0; i < 2; i++) {
            if (t[i] != NULL) {
                s->syn[i] = flow_summary_cap16(t[i]->syn);
                s->rst[i] = flow_summary_cap16(t[i]->rst);
            }
        }
    }
}

static void of_ssh(const Umbra__SshInfo *h, struct flow_summary *s)
{
    s->has_ssh = true;
    s->ssh_keystrokes = h->keystrokes;
    s->ssh_echoes = h->echoes;
    s->ssh_keystroke_size = h->keystroke_size;
    s->ssh_encrypted[FS_CLIENT] = h->client_encrypted_packets;
    s->ssh_encrypted[FS_SERVER] = h->server_encrypted_packets;
}

static void of_scores(const Umbra__Scores *sc, struct flow_summary *s)
{
    s->has_scores = true;
    s->anomaly = sc->anomaly;
    for (size_t i = 0; i < sc->n_heads; i++) {
        const Umbra__HeadScore *h = sc->heads[i];
        if (h != NULL) {
            const char *name = h->name != NULL ? h->name : "";
            flow_summary_head(s, h->score, name, strlen(name));
        }
    }
}

bool flow_summary_of_record(const Umbra__FlowRecord *r, struct flow_summary *s)
{
    memset(s, 0, sizeof(*s));
    const Umbra__FlowKey *k = r->key;
    const Umbra__FlowTiming *t = r->timing;
    if (k == NULL || t == NULL)
        return false;
    s->flow_id = r->flow_id;
    s->event = (uint8_t)r->event;
    s->end_reason = (uint8_t)r->end_reason;
    s->ip_proto = (uint8_t)k->ip_proto;
    s->v4 = k->client_addr.len == 4;
    flow_summary_addr(s->client, k->client_addr.data, k->client_addr.len);
    flow_summary_addr(s->server, k->server_addr.data, k->server_addr.len);
    s->client_port = (uint16_t)k->client_port;
    s->server_port = (uint16_t)k->server_port;
    s->first_ts = t->first_ts;
    s->last_ts = t->last_ts;
    s->syn_synack_ns = t->syn_synack_ns;
    of_stats(r, s);
    s->pcr = (float)r->producer_consumer_ratio;
    if (r->server_name != NULL &&
        flow_summary_copy_name(s->server_name, r->server_name, strlen(r->server_name)))
        s->name_cut = true;
    if (r->dns != NULL)
        of_dns(r->dns, s);
    if (r->ssh != NULL)
        of_ssh(r->ssh, s);
    if (r->splt != NULL) {
        uint32_t st = 0;
        const Umbra__Splt *p = r->splt;
        for (size_t i = 0; i < p->n_lengths && i < p->n_from_server; i++)
            flow_summary_splt_add(s, &st, p->lengths[i], p->from_server[i] != 0);
    }
    if (r->scores != NULL)
        of_scores(r->scores, s);
    return true;
}
