/*
 * Flow JSON: turns a flow event into one JSON object per line. It owns the output stream. It
 * runs once per flow event; it is the offline output, and export over ZeroMQ does not pass
 * through it.
 */
#include "sensor/flow_json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/digest.h"
#include "common/log.h"

struct flow_json {
    FILE *out;
    bool owned;
    struct log *log;
    uint64_t pending; /* events written to the stdio buffer since the last good flush */
    uint64_t errors;  /* events lost */
};

struct flow_json *flow_json_create(const char *path, struct log *log)
{
    struct flow_json *fj = calloc(1, sizeof(*fj));
    if (fj == NULL) {
        log_err(log, "flow_json: out of memory");
        return NULL;
    }
    fj->log = log;
    if (strcmp(path, "-") == 0) {
        fj->out = stdout;
    } else {
        fj->out = fopen(path, "w");
        if (fj->out == NULL) {
            log_err(log, "flow_json: cannot open output path=%s reason=\"%s\"", path,
                    umbra_strerror(-errno));
            free(fj);
            return NULL;
        }
        fj->owned = true;
    }
    return fj;
}

void flow_json_destroy(struct flow_json **fjp)
{
    if (fjp == NULL || *fjp == NULL)
        return;
    struct flow_json *fj = *fjp;
    flow_json_flush(fj);
    if (fj->owned && fclose(fj->out) != 0 && fj->errors == 0)
        log_err(fj->log, "flow_json: close failed reason=\"%s\"", umbra_strerror(-errno));
    if (fj->errors)
        log_err(fj->log, "flow_json: events not written count=%llu",
                (unsigned long long)fj->errors);
    free(fj);
    *fjp = NULL;
}

static const char *proto_name(uint8_t proto, char *buf, size_t len)
{
    switch (proto) {
    case 6:
        return "tcp";
    case 17:
        return "udp";
    case 1:
        return "icmp";
    case 58:
        return "icmp6";
    default:
        snprintf(buf, len, "%u", proto);
        return buf;
    }
}

static const char *event_name(enum flow_event_type t)
{
    switch (t) {
    case FLOW_EVENT_OPEN:
        return "open";
    case FLOW_EVENT_UPDATE:
        return "update";
    case FLOW_EVENT_END:
        return "end";
    }
    return "unknown";
}

static const char *addr_text(const struct flow *f, const uint8_t *addr, char *buf, size_t len)
{
    int af = f->key.ip_version == 6 ? AF_INET6 : AF_INET;
    if (inet_ntop(af, addr, buf, (socklen_t)len) == NULL)
        snprintf(buf, len, "?");
    return buf;
}

/*
 * One event is built in a fixed buffer and written with one fwrite. Written by hand rather than
 * with jansson for two reasons: times must print as exact fixed-point microseconds
 * ("629503200.000040"), which a double printed by jansson cannot promise, and an OPEN event is
 * written on the packet path, which allocates nothing.
 */
/* 2.5 KiB of flow and features, 200 SPLT entries of at most 22 characters, and at most about
 * 2 KiB of handshake strings (each at most 255 characters), with room for escaping. */
#define JSON_LINE_MAX 16384

struct jbuf {
    char buf[JSON_LINE_MAX];
    size_t len;
    bool overflow;
};

static void jb_printf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void jb_printf(struct jbuf *b, const char *fmt, ...)
{
    if (b->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->buf + b->len, sizeof(b->buf) - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(b->buf) - b->len)
        b->overflow = true;
    else
        b->len += (size_t)n;
}

static void jb_key(struct jbuf *b, const char *key)
{
    jb_printf(b, "%s\"%s\":", b->len > 1 ? "," : "", key);
}

/* A JSON string: quotes, backslashes and control bytes escaped (RFC 8259, section 7). */
static void jb_strval(struct jbuf *b, const char *s)
{
    jb_printf(b, "\"");
    for (; *s != '\0' && !b->overflow; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            jb_printf(b, "\\%c", c);
        else if (c < 0x20)
            jb_printf(b, "\\u%04x", c);
        else if (c >= 0x7f) /* not ASCII: the line must stay valid UTF-8 whatever a peer sent */
            jb_printf(b, "?");
        else
            jb_printf(b, "%c", c);
    }
    jb_printf(b, "\"");
}

static void jb_str(struct jbuf *b, const char *key, const char *s)
{
    jb_key(b, key);
    jb_strval(b, s);
}

static void jb_u64(struct jbuf *b, const char *key, uint64_t v)
{
    jb_key(b, key);
    jb_printf(b, "%llu", (unsigned long long)v);
}

/* Seconds since the epoch with exactly six decimals: the precision the output promises. */
static void jb_ts(struct jbuf *b, const char *key, uint64_t ns)
{
    jb_key(b, key);
    jb_printf(b, "%llu.%06llu", (unsigned long long)(ns / CLOCK_NS_PER_SEC),
              (unsigned long long)(ns % CLOCK_NS_PER_SEC / CLOCK_NS_PER_US));
}

static void jb_dir(struct jbuf *b, const char *side, const struct flow_dir_counters *c)
{
    char key[32];
    snprintf(key, sizeof(key), "%s_packets", side);
    jb_u64(b, key, c->packets);
    snprintf(key, sizeof(key), "%s_ip_bytes", side);
    jb_u64(b, key, c->ip_bytes);
    snprintf(key, sizeof(key), "%s_payload_bytes", side);
    jb_u64(b, key, c->payload_bytes);
}

/* A measured real value: fixed decimals, so the same packets always print the same text. */
static void jb_real(struct jbuf *b, const char *key, double v, int decimals)
{
    jb_key(b, key);
    jb_printf(b, "%.*f", decimals, v);
}

static void jb_feat_dir(struct jbuf *b, const char *side, const struct feat_dir *d)
{
    static const char *const flag_names[FEAT_FLAGS] = {"syn", "fin", "rst", "psh",
                                                       "urg", "ece", "cwr"};
    char key[48];
#define JB_KEY(name) (snprintf(key, sizeof(key), "%s_%s", side, name), key)
    jb_u64(b, JB_KEY("size_min"), d->size_min);
    jb_u64(b, JB_KEY("size_max"), d->size_max);
    jb_real(b, JB_KEY("size_mean"), d->size_mean, 3);
    jb_real(b, JB_KEY("size_stddev"), feat_size_stddev(d), 3);
    jb_real(b, JB_KEY("iat_min_us"), (double)d->iat_min / 1e3, 3);
    jb_real(b, JB_KEY("iat_max_us"), (double)d->iat_max / 1e3, 3);
    jb_real(b, JB_KEY("iat_mean_us"), d->iat_mean / 1e3, 3);
    jb_real(b, JB_KEY("iat_stddev_us"), feat_iat_stddev(d) / 1e3, 3);
    jb_u64(b, JB_KEY("idle_gaps"), d->idle_gaps);
    for (int i = 0; i < FEAT_FLAGS; i++)
        jb_u64(b, JB_KEY(flag_names[i]), d->tcp_flags[i]);
    jb_u64(b, JB_KEY("retransmits"), d->retransmits);
    jb_u64(b, JB_KEY("out_of_order"), d->out_of_order);
    jb_u64(b, JB_KEY("keepalives"), d->keepalives);
    jb_u64(b, JB_KEY("zero_window"), d->zero_window);
    jb_u64(b, JB_KEY("init_window"), d->init_window);
    /* The SYN's options; -1 where the option (or the SYN) was not seen. */
    jb_key(b, JB_KEY("mss"));
    jb_printf(b, "%d", (d->syn_optmask & PKT_TCPOPT_MSS) ? d->syn_mss : -1);
    jb_key(b, JB_KEY("wscale"));
    jb_printf(b, "%d", (d->syn_optmask & PKT_TCPOPT_WSCALE) ? d->syn_wscale : -1);
    jb_u64(b, JB_KEY("sack_ok"), (d->syn_optmask & PKT_TCPOPT_SACK_OK) != 0);
    jb_u64(b, JB_KEY("tcp_timestamps"), (d->syn_optmask & PKT_TCPOPT_TS) != 0);
#undef JB_KEY
}

/* "splt":[[length,microseconds,direction],...], direction 0 client->server, 1 the reverse. */
static void jb_splt(struct jbuf *b, const struct feat_splt *sp)
{
    jb_key(b, "splt");
    jb_printf(b, "[");
    for (uint32_t i = 0; i < sp->n; i++)
        jb_printf(b, "%s[%u,%u,%d]", i ? "," : "", sp->lengths[i], sp->iat_us[i],
                  feat_splt_from_server(sp, i) ? 1 : 0);
    jb_printf(b, "]");
}

static void jb_features(struct jbuf *b, const struct flow *f, const struct flow_features *ff)
{
    jb_feat_dir(b, "client", &ff->dir[FLOW_DIR_CLIENT]);
    jb_feat_dir(b, "server", &ff->dir[FLOW_DIR_SERVER]);
    jb_real(b, "pcr", feat_pcr(f), 6);
    jb_real(b, "syn_synack_us", (double)feat_syn_synack_ns(ff) / 1e3, 3);
    jb_real(b, "synack_ack_us", (double)feat_synack_ack_ns(ff) / 1e3, 3);
    jb_real(b, "handshake_rtt_us", (double)feat_handshake_rtt_ns(ff) / 1e3, 3);
    jb_real(b, "rtt_us", (double)feat_rtt_ns(ff) / 1e3, 3);
}

static void jb_bytedist(struct jbuf *b, const char *side, const struct payload_bytedist *bd)
{
    char key[48];
#define JB_KEY(name) (snprintf(key, sizeof(key), "%s_%s", side, name), key)
    jb_u64(b, JB_KEY("bytedist_bytes"), bd->bytes);
    if (bd->unmeasured)
        jb_u64(b, JB_KEY("bytedist_unmeasured"), 1);
    if (bd->bytes > 0) {
        jb_real(b, JB_KEY("entropy"), bd->entropy, 6);
        jb_real(b, JB_KEY("byte_mean"), bd->mean, 6);
        jb_real(b, JB_KEY("byte_stddev"), bd->stddev, 6);
    }
#undef JB_KEY
}

static void jb_dns(struct jbuf *b, const struct payload_dns *d)
{
    char a[INET6_ADDRSTRLEN];
    if (!d->have_query && !d->have_response)
        return;
    jb_str(b, "dns_query", d->qname);
    jb_u64(b, "dns_qtype", d->qtype);
    if (!d->have_response)
        return;
    jb_u64(b, "dns_rcode", d->rcode);
    jb_u64(b, "dns_answers_total", d->answers_total);
    jb_key(b, "dns_answers");
    jb_printf(b, "[");
    for (uint8_t i = 0; i < d->n_answers; i++) {
        const struct payload_dns_answer *x = &d->answers[i];
        jb_printf(b, "%s{\"type\":%u,\"ttl\":%u", i ? "," : "", x->type, x->ttl);
        if (x->addr_len != 0) {
            int af = x->addr_len == 16 ? AF_INET6 : AF_INET;
            if (inet_ntop(af, x->addr, a, sizeof(a)) == NULL)
                snprintf(a, sizeof(a), "?");
            jb_str(b, "addr", a);
        } else {
            jb_str(b, "cname", payload_dns_cname(d, i));
        }
        jb_printf(b, "}");
    }
    jb_printf(b, "]");
}

static void jb_md5(struct jbuf *b, const char *key, const uint8_t md5[16])
{
    char hex[2 * 16 + 1];
    digest_hex(md5, 16, hex);
    jb_str(b, key, hex);
}

static void jb_ssh(struct jbuf *b, const struct payload_ssh *s)
{
    if (s->banner[FLOW_DIR_CLIENT][0] != '\0')
        jb_str(b, "ssh_client_banner", s->banner[FLOW_DIR_CLIENT]);
    if (s->banner[FLOW_DIR_SERVER][0] != '\0')
        jb_str(b, "ssh_server_banner", s->banner[FLOW_DIR_SERVER]);
    if (s->have_hassh[FLOW_DIR_CLIENT])
        jb_md5(b, "hassh", s->hassh[FLOW_DIR_CLIENT]);
    if (s->have_hassh[FLOW_DIR_SERVER])
        jb_md5(b, "hassh_server", s->hassh[FLOW_DIR_SERVER]);
    if (s->have_algs) {
        const struct hs_ssh_algs *a = &s->algs;
        jb_str(b, "ssh_kex", a->kex.name);
        jb_str(b, "ssh_host_key", a->hostkey.name);
        jb_str(b, "ssh_cipher_c2s", a->enc_c2s.name);
        jb_str(b, "ssh_cipher_s2c", a->enc_s2c.name);
        jb_str(b, "ssh_mac_c2s", a->mac_c2s.name);
        jb_str(b, "ssh_mac_s2c", a->mac_s2c.name);
        jb_str(b, "ssh_compression_c2s", a->comp_c2s.name);
        jb_str(b, "ssh_compression_s2c", a->comp_s2c.name);
    }
    if (s->encrypted[FLOW_DIR_CLIENT] || s->encrypted[FLOW_DIR_SERVER]) {
        jb_u64(b, "ssh_client_encrypted_packets", s->enc_packets[FLOW_DIR_CLIENT]);
        jb_u64(b, "ssh_server_encrypted_packets", s->enc_packets[FLOW_DIR_SERVER]);
        jb_u64(b, "ssh_keystrokes", s->client_small);
        jb_u64(b, "ssh_echoes", s->echoes);
        jb_u64(b, "ssh_keystroke_size", payload_ssh_keystroke_size(s));
    }
}

static void jb_hex16(struct jbuf *b, const char *key, uint16_t v)
{
    jb_key(b, key);
    jb_printf(b, "\"0x%04x\"", v);
}

static const char *tls_version_name(uint16_t v)
{
    switch (v) {
    case 0x0300:
        return "SSLv3";
    case 0x0301:
        return "TLSv1.0";
    case 0x0302:
        return "TLSv1.1";
    case 0x0303:
        return "TLSv1.2";
    case 0x0304:
        return "TLSv1.3";
    default:
        return "unknown";
    }
}

static void jb_strs(struct jbuf *b, const char *key, const char (*v)[HS_TLS_ALPN_LEN], size_t n)
{
    jb_key(b, key);
    jb_printf(b, "[");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            jb_printf(b, ",");
        jb_strval(b, v[i]);
    }
    jb_printf(b, "]");
}

static void jb_client_hello(struct jbuf *b, const struct hs_tls_client *c)
{
    if (c->sni[0] != '\0')
        jb_str(b, "tls_sni", c->sni);
    jb_strs(b, "tls_alpn", c->alpn, c->n_alpn.n);
    jb_md5(b, "ja3", c->ja3_md5);
    jb_str(b, "ja4", c->ja4);
    jb_u64(b, "tls_client_ciphers", c->n_ciphers.total);
    jb_u64(b, "tls_client_extensions", c->n_exts.total);
    jb_u64(b, "tls_ech", c->ech);
    jb_u64(b, "tls_resumption_offered", c->psk || c->session_ticket);
}

static void jb_tls(struct jbuf *b, const struct payload_tls *t)
{
    uint16_t v = payload_tls_version(t);
    if (v == 0)
        return;
    jb_str(b, "tls_version", tls_version_name(v));
    jb_hex16(b, "tls_version_code", v);
    if (t->have_client)
        jb_client_hello(b, &t->client);
    if (t->have_server) {
        const struct hs_tls_server *s = &t->server;
        jb_hex16(b, "tls_cipher", s->cipher);
        if (s->alpn[0] != '\0')
            jb_str(b, "tls_alpn_server", s->alpn);
        jb_md5(b, "ja3s", s->ja3s_md5);
        if (s->have_cert) {
            jb_str(b, "tls_cert_subject", s->subject);
            jb_str(b, "tls_cert_issuer", s->issuer);
            jb_key(b, "tls_cert_not_before");
            jb_printf(b, "%lld", (long long)s->not_before);
            jb_key(b, "tls_cert_not_after");
            jb_printf(b, "%lld", (long long)s->not_after);
        }
    }
}

static void jb_payload(struct jbuf *b, const struct flow_event *ev, struct payload *pl)
{
    struct payload_bytedist bd;
    payload_bytedist(pl, ev->slot, FLOW_DIR_CLIENT, &bd);
    jb_bytedist(b, "client", &bd);
    payload_bytedist(pl, ev->slot, FLOW_DIR_SERVER, &bd);
    jb_bytedist(b, "server", &bd);
    const struct payload_meta *m = payload_meta(pl, ev->slot);
    if (m != NULL) {
        switch (m->kind) {
        case PAYLOAD_DNS:
            jb_dns(b, &m->u.dns);
            break;
        case PAYLOAD_HTTP:
            if (m->u.http.method[0] != '\0') {
                jb_str(b, "http_method", m->u.http.method);
                jb_str(b, "http_host", m->u.http.host);
                jb_str(b, "http_user_agent", m->u.http.user_agent);
            }
            break;
        case PAYLOAD_SSH:
            jb_ssh(b, &m->u.ssh);
            break;
        case PAYLOAD_TLS:
            jb_tls(b, &m->u.tls);
            break;
        case PAYLOAD_QUIC:
            if (m->u.quic.initials > 0)
                jb_u64(b, "quic_version", m->u.quic.version);
            if (m->u.quic.have_hello)
                jb_client_hello(b, &m->u.quic.client);
            break;
        case PAYLOAD_UNKNOWN:
        case PAYLOAD_NONE:
        case PAYLOAD_KINDS:
            break;
        }
    }
    const char *name = payload_server_name(pl, ev->slot, ev->flow);
    if (name != NULL && name[0] != '\0')
        jb_str(b, "server_name", name);
}

static void jb_tunnel(struct jbuf *b, const struct pkt_tunnel_info *t)
{
    char a[INET6_ADDRSTRLEN];
    int af = t->ip_version == 6 ? AF_INET6 : AF_INET;
    jb_key(b, "tunnel");
    jb_printf(b, "{\"type\":\"%s\"", t->type == PKT_TUNNEL_GRE ? "gre" : "vxlan");
    if (inet_ntop(af, t->src, a, sizeof(a)) != NULL)
        jb_printf(b, ",\"outer_src\":\"%s\"", a);
    if (inet_ntop(af, t->dst, a, sizeof(a)) != NULL)
        jb_printf(b, ",\"outer_dst\":\"%s\"", a);
    jb_printf(b, ",\"id\":%u}", t->id);
}

static void event_line(struct jbuf *b, const struct flow_event *ev, const struct features *fs,
                       struct payload *pl)
{
    uint32_t slot = ev->slot;
    const struct flow *f = ev->flow;
    char a[INET6_ADDRSTRLEN];
    char num[8];
    jb_printf(b, "{");
    jb_str(b, "event", event_name(ev->type));
    if (ev->type == FLOW_EVENT_END)
        jb_str(b, "reason", flow_end_reason_name(ev->reason));
    else if (ev->type == FLOW_EVENT_UPDATE)
        jb_str(b, "reason", "active_timeout");
    jb_u64(b, "flow_id", ev->info->id);
    jb_str(b, "proto", proto_name(f->key.proto, num, sizeof(num)));
    jb_str(b, "client_addr", addr_text(f, flow_client_addr(f), a, sizeof(a)));
    jb_u64(b, "client_port", flow_client_port(f));
    jb_str(b, "server_addr", addr_text(f, flow_server_addr(f), a, sizeof(a)));
    jb_u64(b, "server_port", flow_server_port(f));
    jb_u64(b, "vlan", f->key.vlan);
    if (f->key.inner_vlan != 0)
        jb_u64(b, "inner_vlan", f->key.inner_vlan);
    jb_ts(b, "first_ts", ev->info->first_ts);
    jb_ts(b, "last_ts", f->last_ts);
    jb_dir(b, "client", &f->dir[FLOW_DIR_CLIENT]);
    jb_dir(b, "server", &f->dir[FLOW_DIR_SERVER]);
    if (ev->info->tunnel.type != PKT_TUNNEL_NONE)
        jb_tunnel(b, &ev->info->tunnel);
    if (fs != NULL) {
        struct feat_splt_buf buf;
        struct feat_splt sp;
        jb_features(b, f, features_get(fs, slot));
        features_splt(fs, slot, &buf, &sp);
        jb_splt(b, &sp);
    }
    if (pl != NULL)
        jb_payload(b, ev, pl);
    jb_printf(b, "}\n");
}

void flow_json_write(struct flow_json *fj, const struct flow_event *ev, const struct features *fs,
                     struct payload *pl)
{
    struct jbuf b;
    b.len = 0;
    b.overflow = false;
    event_line(&b, ev, fs, pl);
    if (b.overflow) {
        /* Cannot happen with today's fields (a line is under 10 KiB: a 200-entry SPLT, an SSH or
         * TLS flow's longest strings escaped); counted if it does. */
        if (fj->errors++ == 0)
            log_err(fj->log, "flow_json: event longer than %d bytes flow_id=%llu", JSON_LINE_MAX,
                    (unsigned long long)ev->info->id);
        return;
    }
    if (fwrite(b.buf, 1, b.len, fj->out) != b.len) {
        if (fj->errors++ == 0)
            log_err(fj->log, "flow_json: cannot write event reason=\"%s\"", umbra_strerror(-errno));
        return;
    }
    fj->pending++;
}

int flow_json_flush(struct flow_json *fj)
{
    if (fflush(fj->out) == 0) {
        fj->pending = 0;
        return 0;
    }
    int rc = -errno;
    if (fj->errors == 0)
        log_err(fj->log, "flow_json: cannot write events reason=\"%s\"", umbra_strerror(rc));
    fj->errors += fj->pending;
    fj->pending = 0;
    clearerr(fj->out);
    return rc;
}

bool flow_json_on_stdout(const struct flow_json *fj)
{
    return !fj->owned;
}

uint64_t flow_json_errors(const struct flow_json *fj)
{
    return fj->errors;
}
