/*
 * Flow record: fills the generated protobuf-c structs from the flow table's event, the features
 * and the payload records. Pointers only: nothing is copied or allocated.
 */
#include "sensor/flow_record.h"

#include <string.h>

#include "sensor/decode.h"

/* protobuf-c's string fields are char *; it never writes through them when packing. */
static char *str(const char *s)
{
    return (char *)(uintptr_t)s;
}

static ProtobufCBinaryData bin(const void *p, size_t n)
{
    ProtobufCBinaryData b = {n, (uint8_t *)(uintptr_t)p};
    return b;
}

static void fill_key(struct flow_record_buf *b, const struct flow_event *ev)
{
    const struct flow *f = ev->flow;
    size_t alen = f->key.ip_version == 6 ? 16 : 4;
    Umbra__FlowKey *k = &b->key;
    *k = (Umbra__FlowKey)UMBRA__FLOW_KEY__INIT;
    k->ip_proto = f->key.proto;
    k->client_addr = bin(flow_client_addr(f), alen);
    k->server_addr = bin(flow_server_addr(f), alen);
    k->client_port = flow_client_port(f);
    k->server_port = flow_server_port(f);
    size_t nv = 0;
    if (f->key.vlan != 0 || f->key.inner_vlan != 0) {
        b->vlans[nv++] = f->key.vlan;
        if (f->key.inner_vlan != 0)
            b->vlans[nv++] = f->key.inner_vlan;
    }
    k->n_vlan_ids = nv;
    k->vlan_ids = b->vlans;
    const struct pkt_tunnel_info *t = &ev->info->tunnel;
    if (t->type != PKT_TUNNEL_NONE) {
        size_t tlen = t->ip_version == 6 ? 16 : 4;
        b->tunnel = (Umbra__Tunnel)UMBRA__TUNNEL__INIT;
        b->tunnel.type = t->type == PKT_TUNNEL_GRE ? UMBRA__TUNNEL_TYPE__TUNNEL_TYPE_GRE
                                                   : UMBRA__TUNNEL_TYPE__TUNNEL_TYPE_VXLAN;
        b->tunnel.outer_client_addr = bin(t->src, tlen); /* the flow's first packet's outer */
        b->tunnel.outer_server_addr = bin(t->dst, tlen);
        b->tunnel.vni = t->id;
        k->tunnel = &b->tunnel;
    }
    b->rec.key = k;
}

static void fill_dirs(struct flow_record_buf *b, const struct flow *f,
                      const struct flow_features *ff)
{
    for (int i = 0; i < 2; i++) {
        Umbra__DirectionStats *d = &b->dir[i];
        *d = (Umbra__DirectionStats)UMBRA__DIRECTION_STATS__INIT;
        d->packets = f->dir[i].packets;
        d->ip_bytes = f->dir[i].ip_bytes;
        d->payload_bytes = f->dir[i].payload_bytes;
        if (ff != NULL) {
            const struct feat_dir *x = &ff->dir[i];
            d->payload_min = x->size_min;
            d->payload_max = x->size_max;
            d->payload_mean = x->size_mean;
            d->payload_stddev = feat_size_stddev(x);
            d->iat_min_ns = x->iat_min;
            d->iat_max_ns = x->iat_max;
            d->iat_mean_ns = x->iat_mean;
            d->iat_stddev_ns = feat_iat_stddev(x);
            d->idle_gaps = x->idle_gaps;
        }
    }
    b->rec.client = &b->dir[FLOW_DIR_CLIENT];
    b->rec.server = &b->dir[FLOW_DIR_SERVER];
}

static void fill_tcp(struct flow_record_buf *b, const struct flow_features *ff)
{
    b->tcp = (Umbra__TcpInfo)UMBRA__TCP_INFO__INIT;
    for (int i = 0; i < 2; i++) {
        const struct feat_dir *x = &ff->dir[i];
        Umbra__TcpDirection *t = &b->tcp_dir[i];
        *t = (Umbra__TcpDirection)UMBRA__TCP_DIRECTION__INIT;
        t->syn = x->tcp_flags[FEAT_SYN];
        t->fin = x->tcp_flags[FEAT_FIN];
        t->rst = x->tcp_flags[FEAT_RST];
        t->psh = x->tcp_flags[FEAT_PSH];
        t->urg = x->tcp_flags[FEAT_URG];
        t->ece = x->tcp_flags[FEAT_ECE];
        t->cwr = x->tcp_flags[FEAT_CWR];
        t->retransmissions = x->retransmits;
        t->out_of_order = x->out_of_order;
        t->zero_window = x->zero_window;
        t->keepalives = x->keepalives;
        t->initial_window = x->init_window;
        t->mss = (x->syn_optmask & PKT_TCPOPT_MSS) ? x->syn_mss : 0;
        t->window_scale = (x->syn_optmask & PKT_TCPOPT_WSCALE) ? x->syn_wscale : 0;
        t->sack_permitted = (x->syn_optmask & PKT_TCPOPT_SACK_OK) != 0;
        t->timestamps = (x->syn_optmask & PKT_TCPOPT_TS) != 0;
    }
    b->tcp.client = &b->tcp_dir[FLOW_DIR_CLIENT];
    b->tcp.server = &b->tcp_dir[FLOW_DIR_SERVER];
    b->rec.tcp = &b->tcp;
}

static void fill_splt(struct flow_record_buf *b, const struct features *fs, uint32_t slot)
{
    struct feat_splt sp;
    features_splt(fs, slot, &b->splt_copy, &sp);
    Umbra__Splt *s = &b->splt;
    *s = (Umbra__Splt)UMBRA__SPLT__INIT;
    for (uint32_t i = 0; i < sp.n; i++) {
        b->splt_len[i] = sp.lengths[i];
        b->splt_iat[i] = sp.iat_us[i];
        b->splt_srv[i] = feat_splt_from_server(&sp, i);
    }
    s->n_lengths = s->n_iat_us = s->n_from_server = sp.n;
    s->lengths = b->splt_len;
    s->iat_us = b->splt_iat;
    s->from_server = b->splt_srv;
    feat_splt_markov(&sp, b->len_markov, b->iat_markov);
    s->markov_bins = FEAT_MARKOV_BINS;
    s->n_length_markov = s->n_iat_markov = FEAT_MARKOV_BINS * FEAT_MARKOV_BINS;
    s->length_markov = b->len_markov;
    s->iat_markov = b->iat_markov;
    b->rec.splt = s;
}

static void fill_features(struct flow_record_buf *b, const struct flow_event *ev,
                          const struct features *fs)
{
    const struct flow *f = ev->flow;
    const struct flow_features *ff = features_get(fs, ev->slot);
    fill_dirs(b, f, ff);
    b->timing.syn_synack_ns = feat_syn_synack_ns(ff);
    b->timing.synack_ack_ns = feat_synack_ack_ns(ff);
    b->timing.handshake_rtt_ns = feat_handshake_rtt_ns(ff);
    b->timing.rtt_ns = feat_rtt_ns(ff);
    if (f->key.proto == 6)
        fill_tcp(b, ff);
    b->rec.producer_consumer_ratio = feat_pcr(f);
    fill_splt(b, fs, ev->slot);
}

static void copy_u16(uint32_t *dst, const uint16_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
}

static Umbra__TlsClientHello *fill_client_hello(struct flow_record_buf *b,
                                                const struct hs_tls_client *c)
{
    Umbra__TlsClientHello *h = &b->ch;
    *h = (Umbra__TlsClientHello)UMBRA__TLS_CLIENT_HELLO__INIT;
    h->record_version = c->record_version;
    h->handshake_version = c->legacy_version;
    h->sni = str(c->sni);
    for (uint8_t i = 0; i < c->n_alpn.n; i++)
        b->alpn[i] = str(c->alpn[i]);
    h->n_alpn = c->n_alpn.n;
    h->alpn = b->alpn;
#define LIST(field, arr, kept)                                                                     \
    copy_u16(b->arr, c->arr, c->kept.n);                                                           \
    h->n_##field = c->kept.n;                                                                      \
    h->field = b->arr
    LIST(cipher_suites, ciphers, n_ciphers);
    LIST(extensions, exts, n_exts);
    LIST(supported_groups, groups, n_groups);
    LIST(signature_algorithms, sigalgs, n_sigalgs);
    LIST(supported_versions, versions, n_versions);
#undef LIST
    for (uint8_t i = 0; i < c->n_point_fmts.n; i++)
        b->point_fmts[i] = c->point_fmts[i];
    h->n_ec_point_formats = c->n_point_fmts.n;
    h->ec_point_formats = b->point_fmts;
    h->grease = c->grease;
    h->ja3_md5 = bin(c->ja3_md5, sizeof(c->ja3_md5));
    h->ja4 = str(c->ja4);
    h->ech = c->ech;
    h->session_ticket = c->session_ticket;
    h->psk = c->psk;
    return h;
}

static void fill_tls(struct flow_record_buf *b, const struct payload_tls *t)
{
    b->tls = (Umbra__TlsInfo)UMBRA__TLS_INFO__INIT;
    if (t->have_client)
        b->tls.client = fill_client_hello(b, &t->client);
    if (t->have_server) {
        const struct hs_tls_server *s = &t->server;
        Umbra__TlsServerHello *h = &b->sh;
        *h = (Umbra__TlsServerHello)UMBRA__TLS_SERVER_HELLO__INIT;
        h->version = s->version;
        h->selected_version = s->selected_version;
        h->cipher_suite = s->cipher;
        copy_u16(b->server_exts, s->exts, s->n_exts.n);
        h->n_extensions = s->n_exts.n;
        h->extensions = b->server_exts;
        h->alpn = str(s->alpn);
        h->ja3s_md5 = bin(s->ja3s_md5, sizeof(s->ja3s_md5));
        if (s->have_cert) {
            h->cert_subject = str(s->subject);
            h->cert_issuer = str(s->issuer);
            h->cert_not_before_s = s->not_before;
            h->cert_not_after_s = s->not_after;
        }
        b->tls.server = h;
    }
    b->rec.tls = &b->tls;
}

/* QUIC: the version and the ClientHello, whose TLS fields also go in tls.client. */
static void fill_quic(struct flow_record_buf *b, const struct payload_quic *q)
{
    if (q->initials == 0)
        return;
    b->quic = (Umbra__QuicInfo)UMBRA__QUIC_INFO__INIT;
    b->quic.version = q->version;
    b->quic.dcid_len = q->dcid.len;
    if (q->have_hello) {
        const struct hs_tls_client *c = &q->client;
        b->quic.sni = str(c->sni);
        for (uint8_t i = 0; i < c->n_alpn.n; i++)
            b->alpn[i] = str(c->alpn[i]);
        b->quic.n_alpn = c->n_alpn.n;
        b->quic.alpn = b->alpn;
        b->quic.ja4 = str(c->ja4);
        b->tls = (Umbra__TlsInfo)UMBRA__TLS_INFO__INIT;
        b->tls.client = fill_client_hello(b, c);
        b->rec.tls = &b->tls;
    }
    b->rec.quic = &b->quic;
}

static void fill_ssh(struct flow_record_buf *b, const struct payload_ssh *s)
{
    Umbra__SshInfo *h = &b->ssh;
    *h = (Umbra__SshInfo)UMBRA__SSH_INFO__INIT;
    h->client_banner = str(s->banner[FLOW_DIR_CLIENT]);
    h->server_banner = str(s->banner[FLOW_DIR_SERVER]);
    if (s->have_hassh[FLOW_DIR_CLIENT])
        h->hassh_md5 = bin(s->hassh[FLOW_DIR_CLIENT], 16);
    if (s->have_hassh[FLOW_DIR_SERVER])
        h->hassh_server_md5 = bin(s->hassh[FLOW_DIR_SERVER], 16);
    if (s->have_algs) {
        Umbra__SshAlgorithms *a = &b->ssh_algs;
        *a = (Umbra__SshAlgorithms)UMBRA__SSH_ALGORITHMS__INIT;
        a->kex = str(s->algs.kex.name);
        a->host_key = str(s->algs.hostkey.name);
        a->cipher_c2s = str(s->algs.enc_c2s.name);
        a->cipher_s2c = str(s->algs.enc_s2c.name);
        a->mac_c2s = str(s->algs.mac_c2s.name);
        a->mac_s2c = str(s->algs.mac_s2c.name);
        a->compression_c2s = str(s->algs.comp_c2s.name);
        a->compression_s2c = str(s->algs.comp_s2c.name);
        h->negotiated = a;
    }
    h->client_encrypted_packets = s->enc_packets[FLOW_DIR_CLIENT];
    h->server_encrypted_packets = s->enc_packets[FLOW_DIR_SERVER];
    h->keystrokes = s->client_small;
    h->echoes = s->echoes;
    h->keystroke_size = payload_ssh_keystroke_size(s);
    b->rec.ssh = h;
}

static void fill_dns(struct flow_record_buf *b, const struct payload_dns *d)
{
    Umbra__DnsInfo *h = &b->dns;
    *h = (Umbra__DnsInfo)UMBRA__DNS_INFO__INIT;
    h->query_name = str(d->qname);
    h->qtype = d->qtype;
    h->rcode = d->rcode;
    for (uint8_t i = 0; i < d->n_answers; i++) {
        const struct payload_dns_answer *x = &d->answers[i];
        Umbra__DnsAnswer *a = &b->answers[i];
        *a = (Umbra__DnsAnswer)UMBRA__DNS_ANSWER__INIT;
        a->name = str(d->qname);
        a->type = x->type;
        a->ttl_s = x->ttl;
        a->addr = bin(x->addr, x->addr_len);
        a->cname = str(payload_dns_cname(d, i));
        b->answer_ptrs[i] = a;
    }
    h->n_answers = d->n_answers;
    h->answers = b->answer_ptrs;
    b->rec.dns = h;
}

static void fill_payload(struct flow_record_buf *b, const struct flow_event *ev, struct payload *pl)
{
    for (int i = 0; i < 2; i++) {
        struct payload_bytedist bd;
        payload_bytedist(pl, ev->slot, i, &bd);
        Umbra__ByteDist *d = &b->bd[i];
        *d = (Umbra__ByteDist)UMBRA__BYTE_DIST__INIT;
        d->bytes = bd.bytes;
        d->entropy = bd.entropy;
        d->mean = bd.mean;
        d->stddev = bd.stddev;
    }
    b->rec.byte_dist_client = &b->bd[FLOW_DIR_CLIENT];
    b->rec.byte_dist_server = &b->bd[FLOW_DIR_SERVER];
    const struct payload_meta *m = payload_meta(pl, ev->slot);
    if (m != NULL) {
        switch (m->kind) {
        case PAYLOAD_DNS:
            if (m->u.dns.have_query || m->u.dns.have_response)
                fill_dns(b, &m->u.dns);
            break;
        case PAYLOAD_HTTP:
            b->http = (Umbra__HttpInfo)UMBRA__HTTP_INFO__INIT;
            b->http.method = str(m->u.http.method);
            b->http.host = str(m->u.http.host);
            b->http.user_agent = str(m->u.http.user_agent);
            b->rec.http = &b->http;
            break;
        case PAYLOAD_SSH:
            fill_ssh(b, &m->u.ssh);
            break;
        case PAYLOAD_TLS:
            fill_tls(b, &m->u.tls);
            break;
        case PAYLOAD_QUIC:
            fill_quic(b, &m->u.quic);
            break;
        case PAYLOAD_UNKNOWN:
        case PAYLOAD_NONE:
        case PAYLOAD_KINDS:
            break;
        }
    }
    const char *name = payload_server_name(pl, ev->slot, ev->flow);
    if (name != NULL)
        b->rec.server_name = str(name);
}

void flow_record_fill(struct flow_record_buf *b, const struct flow_event *ev,
                      const struct features *fs, struct payload *pl)
{
    static const Umbra__EndReason reasons[FLOW_END_COUNT] = {
            [FLOW_END_NONE] = UMBRA__END_REASON__END_REASON_UNSPECIFIED,
            [FLOW_END_IDLE] = UMBRA__END_REASON__END_REASON_IDLE,
            [FLOW_END_FIN] = UMBRA__END_REASON__END_REASON_FIN,
            [FLOW_END_RST] = UMBRA__END_REASON__END_REASON_RST,
            [FLOW_END_EVICTED] = UMBRA__END_REASON__END_REASON_EVICTED,
            [FLOW_END_SHUTDOWN] = UMBRA__END_REASON__END_REASON_SHUTDOWN,
    };
    b->rec = (Umbra__FlowRecord)UMBRA__FLOW_RECORD__INIT;
    b->rec.flow_id = ev->info->id;
    b->rec.event = (Umbra__FlowEvent)ev->type;
    b->rec.update_seq = ev->seq;
    b->rec.end_reason = ev->type == FLOW_EVENT_UPDATE ? UMBRA__END_REASON__END_REASON_ACTIVE_TIMEOUT
                                                      : reasons[ev->reason];
    fill_key(b, ev);
    b->timing = (Umbra__FlowTiming)UMBRA__FLOW_TIMING__INIT;
    b->timing.first_ts = ev->info->first_ts;
    b->timing.last_ts = ev->flow->last_ts;
    b->rec.timing = &b->timing;
    if (ev->type == FLOW_EVENT_OPEN)
        return; /* the edge only (docs/FLOWS.md) */
    if (fs != NULL)
        fill_features(b, ev, fs);
    else
        fill_dirs(b, ev->flow, NULL);
    if (pl != NULL)
        fill_payload(b, ev, pl);
}
