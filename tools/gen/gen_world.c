/*
 * World: hosts, paths and actors. Each actor has its own random stream (from the seed and the
 * actor's number), so what one host does never depends on how many others there are.
 */
#include "tools/gen/gen_world.h"

#include "tools/gen/gen_actor.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/gen/gen_dns.h"
#include "tools/gen/gen_krb.h"
#include "tools/gen/gen_script.h"
#include "tools/gen/gen_smb.h"
#include "tools/gen/gen_tls.h"

#define MS            GEN_MS
#define SEC           GEN_SEC
#define DEST_NET      0xc6120000u     /* 198.18.0.0/15 */
#define LAN_DELAY_NS  (200 * 1000ull) /* a workstation to its site's tap: one switch hop */
#define DC_DELAY_NS   (50 * 1000ull)  /* a server to the data centre's tap */
#define LAN_BPS       1000000000ull
#define DC_SERVER_BPS 10000000000ull

/* ---- hosts and paths ---- */

static const struct gen_stack *os_stack(enum gen_os os)
{
    switch (os) {
    case GEN_OS_WINDOWS:
        return &gen_stack_windows;
    case GEN_OS_MACOS:
        return &gen_stack_macos;
    default:
        return &gen_stack_linux;
    }
}

static void ip_mac(uint32_t ip, uint8_t mac[6])
{
    /* Locally administered (02:...), unique per address. */
    mac[0] = 0x02;
    mac[1] = 0x00;
    mac[2] = (uint8_t)(ip >> 24);
    mac[3] = (uint8_t)(ip >> 16);
    mac[4] = (uint8_t)(ip >> 8);
    mac[5] = (uint8_t)ip;
}

static void gateway_mac(uint32_t point, uint8_t mac[6])
{
    static const uint8_t base[6] = {0x02, 0xff, 0x00, 0x00, 0x00, 0x00};
    memcpy(mac, base, 6);
    mac[4] = (uint8_t)(point >> 8);
    mac[5] = (uint8_t)point;
}

/* An ephemeral port as the host's OS picks them: Windows counts up from 49152, Linux draws
 * from 32768-60999, macOS from 49152-65535 (their documented default ranges). */
static uint16_t ephemeral_port(struct host *h, struct gen_rng *rng)
{
    switch (h->os) {
    case GEN_OS_WINDOWS:
        h->next_port = h->next_port < 49152 || h->next_port >= 65535 ? 49152 : h->next_port + 1;
        return (uint16_t)h->next_port;
    case GEN_OS_MACOS:
        return (uint16_t)gen_rng_range(rng, 49152, 65535);
    default:
        return (uint16_t)gen_rng_range(rng, 32768, 60999);
    }
}

static void endpoint(const struct host *h, uint16_t port, struct gen_endpoint *ep)
{
    ep->ip = h->ip;
    ep->port = port;
    memcpy(ep->mac, h->mac, 6);
    ep->stack = os_stack(h->os);
}

/* The one-way delay from @h to the tap of its own point. */
static uint64_t tap_delay(const struct host *h)
{
    return h->server ? DC_DELAY_NS : LAN_DELAY_NS;
}

/* The round trip from the data centre to site @site, or 0 for the data centre itself. */
static uint64_t dc_rtt(const struct gen_scenario *sc, uint32_t site)
{
    return site < sc->nsites ? sc->sites[site].dc_rtt_ns : 0;
}

/*
 * A flow from host @c to host @s, seen at @c's point (each flow is captured once, at its
 * client's sensor). The far side's delay is the WAN between the two points: a site's dc_rtt to
 * reach the data centre, the sum of both sites' to go from one site to another through it.
 */
static void path_to_host(const struct gen_world *w, const struct host *c, const struct host *s,
                         struct gen_flow_params *p)
{
    const struct gen_scenario *sc = w->sc;
    p->point = c->site;
    p->d_ns[0] = tap_delay(c);
    if (c->site == s->site) { /* one switched network: the tap sees the server's own MAC */
        p->d_ns[1] = tap_delay(s);
        uint64_t bps = c->server && s->server ? DC_SERVER_BPS : LAN_BPS;
        p->bps[0] = p->bps[1] = bps;
        return;
    }
    gateway_mac(c->site, p->ep[1].mac);
    uint64_t rtt = dc_rtt(sc, c->site) + dc_rtt(sc, s->site);
    p->d_ns[1] = rtt / 2 > p->d_ns[0] ? rtt / 2 - p->d_ns[0] : p->d_ns[0] / 2;
    p->hops[1] = c->server || s->server ? 2 : 4;
    uint64_t bps = DC_SERVER_BPS;
    double loss = 0;
    for (int i = 0; i < 2; i++) {
        uint32_t site = (i == 0 ? c : s)->site;
        if (site < sc->nsites) {
            bps = sc->sites[site].uplink_bps < bps ? sc->sites[site].uplink_bps : bps;
            loss = sc->sites[site].loss > loss ? sc->sites[site].loss : loss;
        }
    }
    p->loss = loss;
    p->bps[0] = p->bps[1] = bps;
}

/* A flow from host @c to internet destination @d, seen at @c's point. */
static void path_to_internet(const struct gen_world *w, const struct host *c, const struct dest *d,
                             struct gen_flow_params *p)
{
    const struct gen_scenario *sc = w->sc;
    p->ep[1].ip = d->ip;
    gateway_mac(c->site, p->ep[1].mac);
    p->ep[1].stack = &gen_stack_linux; /* most of the web's servers */
    p->point = c->site;
    uint64_t rtt = 15 * MS;
    p->loss = 0.0005;
    uint64_t bps = 1000000000ull;
    if (c->site < sc->nsites) {
        rtt = sc->sites[c->site].internet_rtt_ns;
        p->loss = sc->sites[c->site].loss;
        bps = sc->sites[c->site].uplink_bps;
    }
    rtt += d->cfg->extra_rtt_ns;
    p->d_ns[0] = tap_delay(c);
    p->d_ns[1] = rtt / 2 > p->d_ns[0] ? rtt / 2 - p->d_ns[0] : p->d_ns[0];
    p->hops[1] = d->hops;
    p->bps[0] = bps;
    p->bps[1] = bps;
}

void actor_flow(struct actor *a, uint32_t target, uint8_t proto, uint16_t sport, uint16_t dport,
                struct gen_flow_params *p)
{
    struct gen_world *w = a->w;
    struct host *c = &w->hosts[a->host];
    *p = (struct gen_flow_params){
            .proto = proto, .label = a->label, .hop = a->hop, .listening = true, .syn_retries = 2};
    endpoint(c, sport ? sport : ephemeral_port(c, &a->rng), &p->ep[0]);
    if (target < w->sc->ndests) {
        p->ep[1].port = dport;
        path_to_internet(w, c, &w->dests[target], p);
    } else {
        endpoint(&w->hosts[target - w->sc->ndests], dport, &p->ep[1]);
        path_to_host(w, c, &w->hosts[target - w->sc->ndests], p);
    }
}

int actor_start(struct actor *a, const struct gen_flow_params *p)
{
    if (gen_sess_start(a->w->sim, gen_sim_now(a->w->sim), p) != NULL)
        return 0;
    free(p->app_ctx);
    return -ENOMEM;
}

void actor_target_name(const struct gen_world *w, uint32_t target, char *buf, size_t cap)
{
    if (target < w->sc->ndests)
        snprintf(buf, cap, "%s", w->dests[target].cfg->name);
    else
        snprintf(buf, cap, "%s.%s", w->hosts[target - w->sc->ndests].name, w->sc->domain);
}

/* ---- time of day ---- */

/* Relative activity of an office network by hour (UTC taken as local time): quiet at night,
 * a morning ramp, a lunch dip, an evening tail; weekends a tenth of weekdays. */
static double diurnal(const struct gen_world *w, uint64_t t_ns)
{
    static const double hour_weight[24] = {0.05, 0.04, 0.03, 0.03, 0.03, 0.05, 0.10, 0.30,
                                           0.70, 0.95, 1.00, 1.00, 0.80, 0.90, 1.00, 1.00,
                                           0.95, 0.80, 0.50, 0.30, 0.20, 0.15, 0.10, 0.07};
    uint64_t unix_s = (w->sc->start_unix_ns + t_ns) / SEC;
    uint64_t day = unix_s / 86400;
    unsigned hour = (unsigned)(unix_s % 86400 / 3600);
    unsigned weekday = (unsigned)((day + 3) % 7); /* 1970-01-01 was a Thursday: 0 = Monday */
    return hour_weight[hour] * (weekday >= 5 ? 0.1 : 1.0);
}

/* The next time of a Poisson process of @per_hour events an hour at the busiest time, thinned
 * by the time of day (Lewis and Shedler's method). UINT64_MAX when past the end. */
uint64_t actor_next_activity(struct actor *a, uint64_t from, double per_hour)
{
    const struct gen_world *w = a->w;
    if (per_hour <= 0)
        return UINT64_MAX;
    double mean_ns = 3600.0 * SEC / per_hour;
    uint64_t t = from;
    for (;;) {
        t += (uint64_t)gen_rng_exp(&a->rng, mean_ns) + 1;
        if (t >= w->sc->duration_ns)
            return UINT64_MAX;
        if (gen_rng_unit(&a->rng) < diurnal(w, t))
            return t;
    }
}

/* ---- DNS ---- */

/* Active Directory's DNS gives the A records hosts register for themselves a TTL of 20
 * minutes (1200 s, the DnsUpdate default). */
#define AD_HOST_TTL_S 1200

static bool dns_cached(struct host *h, uint32_t target, uint64_t now)
{
    for (int i = 0; i < GEN_DNS_CACHE; i++)
        if (h->dns[i].target == target + 1 && h->dns[i].expires > now)
            return true;
    return false;
}

static void dns_remember(struct host *h, uint32_t target, uint64_t expires)
{
    for (int i = 0; i < GEN_DNS_CACHE; i++)
        if (h->dns[i].target == target + 1) {
            h->dns[i].expires = expires;
            return;
        }
    h->dns[h->dns_next].target = target + 1;
    h->dns[h->dns_next].expires = expires;
    h->dns_next = (h->dns_next + 1) % GEN_DNS_CACHE;
}

static uint32_t target_ttl(const struct gen_world *w, uint32_t target)
{
    return target < w->sc->ndests ? w->dests[target].cfg->ttl_s : AD_HOST_TTL_S;
}

static uint32_t target_ip(const struct gen_world *w, uint32_t target)
{
    return target < w->sc->ndests ? w->dests[target].ip : w->hosts[target - w->sc->ndests].ip;
}

static void lookup_done(struct gen_sess *s, void *owner, uint64_t cookie)
{
    (void)s;
    struct actor *a = owner;
    struct gen_world *w = a->w;
    uint32_t target = (uint32_t)(cookie >> 32);
    uint32_t action = (uint32_t)cookie;
    uint64_t now = gen_sim_now(w->sim);
    dns_remember(&w->hosts[a->host], target, now + (uint64_t)target_ttl(w, target) * SEC);
    a->go(a, target, action);
}

/* The resolver is the host's domain controller (as in an Active Directory network); a domain
 * controller resolves with itself, so its lookups do not cross the wire. */
void actor_resolve(struct actor *a, uint32_t target, uint32_t action)
{
    struct gen_world *w = a->w;
    struct host *h = &w->hosts[a->host];
    uint64_t now = gen_sim_now(w->sim);
    uint32_t dc = w->dcs[a->host % w->ndcs];
    if (dns_cached(h, target, now) || (h->server && h->role == GEN_ROLE_DC)) {
        a->go(a, target, action);
        return;
    }
    char name[2 * GEN_NAME_MAX + 2];
    actor_target_name(w, target, name, sizeof name);
    uint8_t q[512], r[512];
    /* Windows and macOS stub resolvers send EDNS0 queries; the answer carries the address
     * with the record's TTL. */
    struct gen_dns_query query = {
            .id = (uint16_t)gen_rng_next(&a->rng), .name = name, .qtype = GEN_DNS_A, .edns = true};
    struct gen_dns_addr addr;
    gen_dns_addr_v4(&addr, target_ip(w, target), target_ttl(w, target));
    struct gen_dns_answer answer = {.addrs = &addr, .n_addrs = 1};
    size_t qn = gen_dns_query(q, sizeof q, &query, NULL);
    size_t rn = gen_dns_response(r, sizeof r, &query, &answer, NULL);
    struct gen_script *sc = gen_script_create(qn + rn);
    if (qn == 0 || rn == 0 || sc == NULL) {
        free(sc);
        return;
    }
    /* The resolver answers its own zone and its cache in well under a millisecond; other names
     * cost one or more internet round trips. */
    uint64_t resolve_ns = target >= w->sc->ndests || gen_rng_chance(&a->rng, 0.6)
                                  ? (uint64_t)gen_rng_range(&a->rng, 100, 800) * 1000
                                  : (uint64_t)gen_rng_lognormal(&a->rng, 25.0 * MS, 0.6);
    (void)gen_script_add(sc, GEN_CLIENT, GEN_FILL_BYTES, q, qn, qn, 0, false);
    (void)gen_script_add(sc, GEN_SERVER, GEN_FILL_BYTES, r, rn, rn, resolve_ns, false);
    gen_script_end(sc, GEN_END_CLIENT_FIN, 0, false);
    gen_script_on_done(sc, lookup_done, a, (uint64_t)target << 32 | action);
    struct gen_flow_params p;
    actor_flow(a, target_host(w, dc), 17, 0, 53, &p);
    p.label = a->dns_label;
    p.app = &gen_script_app;
    p.app_ctx = sc;
    (void)actor_start(a, &p);
}

/* ---- TLS conversations ---- */

void actor_tls(struct actor *a, uint32_t target, uint16_t port, enum gen_tls_profile profile,
               const struct exchange *x, size_t nx, uint64_t linger_ns)
{
    struct gen_world *w = a->w;
    char name[2 * GEN_NAME_MAX + 2];
    actor_target_name(w, target, name, sizeof name);
    uint8_t ch[4096], sh[1024];
    size_t chn = gen_tls_client_hello(ch, sizeof ch, profile, name, 0, &a->rng);
    size_t shn = chn ? gen_tls_server_hello13(sh, sizeof sh, ch, chn, 0, &a->rng) : 0;
    struct gen_script *sc = gen_script_create(chn + shn + 6);
    if (chn == 0 || shn == 0 || sc == NULL) {
        free(sc);
        return;
    }
    /* The server's encrypted flight: EncryptedExtensions, a certificate chain of two
     * certificates (1.5 KB each is typical of RSA-2048 chains), CertificateVerify, Finished. */
    uint64_t chain = (uint64_t)gen_rng_lognormal(&a->rng, 3000, 0.3);
    uint64_t server_ms = (uint64_t)gen_rng_range(&a->rng, 1, 5);
    (void)gen_script_add(sc, GEN_CLIENT, GEN_FILL_BYTES, ch, chn, chn, 0, false);
    (void)gen_script_add(sc, GEN_SERVER, GEN_FILL_TLS, sh, shn,
                         shn + gen_sim_tls_len(40 + chain + 264 + 36), server_ms * MS, false);
    static const uint8_t ccs[6] = {20, 3, 3, 0, 1, 1};
    (void)gen_script_add(sc, GEN_CLIENT, GEN_FILL_TLS, ccs, sizeof ccs,
                         sizeof ccs + gen_sim_tls_len(36), 0, true);
    size_t room = GEN_SCRIPT_STEPS - 3;
    for (size_t i = 0; i < nx && room >= 2; i++, room -= 2) {
        (void)gen_script_add(sc, GEN_CLIENT, GEN_FILL_TLS, NULL, 0, gen_sim_tls_len(x[i].request),
                             i == 0 ? 0 : x[i].think_ns, false);
        uint64_t resp = x[i].response;
        uint64_t think = (uint64_t)gen_rng_lognormal(&a->rng, 8.0 * MS, 0.8);
        if (i == 0)
            resp += 2 * 250; /* two NewSessionTickets ride ahead of the first answer */
        (void)gen_script_add(sc, GEN_SERVER, GEN_FILL_TLS, NULL, 0, gen_sim_tls_len(resp), think,
                             false);
    }
    gen_script_end(sc, GEN_END_CLIENT_FIN, linger_ns, true);
    struct gen_flow_params p;
    actor_flow(a, target, 6, 0, port, &p);
    p.app = &gen_script_app;
    p.app_ctx = sc;
    (void)actor_start(a, &p);
}

/* ---- SMB ---- */

/* Bytes a READ or WRITE moves at most: Windows 10 and later negotiate 8 MiB but move files in
 * 1 MiB requests (the client's default for large-MTU transfers). */
#define SMB_IO_MAX (1u << 20)
/* Sizes of SMB2 messages inside the encryption ([MS-SMB2] 2.2: 64-byte header plus each
 * body's fixed part; a CREATE grows with the file name and its create contexts). */
#define SMB_HDR        64
#define SMB_READ_REQ   (SMB_HDR + 49)
#define SMB_READ_RESP  (SMB_HDR + 16)
#define SMB_WRITE_REQ  (SMB_HDR + 48)
#define SMB_WRITE_RESP (SMB_HDR + 16)

/* One encrypted SMB message of @payload bytes into @sc. */
static void smb_add(struct gen_script *sc, struct actor *a, int side, uint64_t session,
                    uint64_t payload, uint64_t think_ns, bool no_wait)
{
    uint8_t head[64];
    size_t n = gen_smb_encrypted_head(head, sizeof head, session, payload, &a->rng);
    if (n > 0)
        (void)gen_script_add(sc, side, GEN_FILL_BYTES, head, n, n + payload, think_ns, no_wait);
}

/* A request and its answer, each encrypted; the server answers in @server_ns. */
static void smb_pair(struct gen_script *sc, struct actor *a, uint64_t session, uint64_t req,
                     uint64_t resp, uint64_t server_ns)
{
    smb_add(sc, a, GEN_CLIENT, session, req, 0, false);
    smb_add(sc, a, GEN_SERVER, session, resp, server_ns, false);
}

void actor_smb(struct actor *a, uint32_t host, const struct smb_plan *plan)
{
    struct gen_world *w = a->w;
    struct host *srv = &w->hosts[host];
    struct gen_script *sc = gen_script_create(8192 + 64 * GEN_SCRIPT_STEPS);
    uint8_t buf[4096];
    if (sc == NULL)
        return;
    uint64_t now = w->sc->start_unix_ns + gen_sim_now(w->sim);
    /* Windows numbers sessions from a per-server counter in the upper half. */
    uint64_t session = (uint64_t)(++srv->smb_sessions) << 32 | (gen_rng_next(&a->rng) & 0xffff);
    uint64_t us = 1000;
    uint8_t guid[GEN_SMB_GUID_LEN];
    for (size_t i = 0; i < sizeof guid; i++)
        guid[i] = (uint8_t)gen_rng_mix(srv->ip * 31u + i); /* a server keeps one GUID */
    size_t n = gen_smb_negotiate_request(buf, sizeof buf, 0, &a->rng);
    (void)gen_script_add(sc, GEN_CLIENT, GEN_FILL_BYTES, buf, n, n, 0, false);
    n = gen_smb_negotiate_response(buf, sizeof buf, 0, guid, now, &a->rng);
    (void)gen_script_add(sc, GEN_SERVER, GEN_FILL_BYTES, buf, n, n, 200 * us, false);
    /* Kerberos AP-REQ of a Windows client: 1.5 to 2.5 kB; the AP-REP about 150 bytes. */
    n = gen_smb_session_setup_request(buf, sizeof buf, 1, 0,
                                      (size_t)gen_rng_range(&a->rng, 1500, 2500), &a->rng);
    (void)gen_script_add(sc, GEN_CLIENT, GEN_FILL_BYTES, buf, n, n, 100 * us, false);
    n = gen_smb_session_setup_response(buf, sizeof buf, 1, session,
                                       (size_t)gen_rng_range(&a->rng, 140, 170), &a->rng);
    (void)gen_script_add(sc, GEN_SERVER, GEN_FILL_BYTES, buf, n, n, 1000 * us, false);
    n = gen_smb_tree_connect_request(buf, sizeof buf, 2, session, srv->name, plan->share, &a->rng);
    (void)gen_script_add(sc, GEN_CLIENT, GEN_FILL_BYTES, buf, n, n, 100 * us, false);
    n = gen_smb_tree_connect_response(buf, sizeof buf, 2, session, 1 + srv->smb_sessions % 7,
                                      (plan->pipe ? GEN_SMB_SHARE_PIPE : 0) | GEN_SMB_SHARE_ENCRYPT,
                                      &a->rng);
    (void)gen_script_add(sc, GEN_SERVER, GEN_FILL_BYTES, buf, n, n, 200 * us, false);
    /* Open the file or pipe: CREATE with its contexts, and its answer. */
    smb_pair(sc, a, session, gen_rng_range(&a->rng, 200, 400), gen_rng_range(&a->rng, 150, 250),
             300 * us);
    /* Reads and writes in requests of at most SMB_IO_MAX, as many as the script holds. */
    uint64_t left[2] = {plan->read, plan->write};
    size_t room = GEN_SCRIPT_STEPS - gen_script_steps(sc) - 2 * plan->rpc - 2;
    for (int dir = 0; dir < 2; dir++) {
        uint64_t io = SMB_IO_MAX;
        while (left[dir] / io > room / 4 && io < GEN_SMB_STREAM_MAX / 2)
            io *= 2; /* a big file in fewer, larger requests: the script has room for ~60 */
        while (left[dir] > 0 && room >= 2) {
            uint64_t chunk = left[dir] < io ? left[dir] : io;
            if (dir == 0)
                smb_pair(sc, a, session, SMB_READ_REQ, SMB_READ_RESP + chunk, 100 * us);
            else
                smb_pair(sc, a, session, SMB_WRITE_REQ + chunk, SMB_WRITE_RESP, 300 * us);
            left[dir] -= chunk;
            room -= 2;
        }
    }
    /* RPC over the pipe (svcctl, samr, ...): requests and answers of a few hundred bytes. */
    for (uint32_t i = 0; i < plan->rpc && room >= 2; i++, room -= 2)
        smb_pair(sc, a, session, gen_rng_range(&a->rng, 150, 600), gen_rng_range(&a->rng, 100, 400),
                 500 * us);
    /* CLOSE, then LOGOFF with the TCP close. */
    smb_pair(sc, a, session, SMB_HDR + 24, SMB_HDR + 60, 100 * us);
    gen_script_end(sc, GEN_END_CLIENT_FIN, plan->linger_ns, false);
    struct gen_flow_params p;
    actor_flow(a, target_host(w, host), 6, 0, 445, &p);
    p.app = &gen_script_app;
    p.app_ctx = sc;
    (void)actor_start(a, &p);
}

/* ---- Kerberos ---- */

static void realm_of(const struct gen_world *w, char *buf, size_t cap)
{
    size_t i = 0;
    for (; w->sc->domain[i] != '\0' && i + 1 < cap; i++)
        buf[i] = (char)toupper((unsigned char)w->sc->domain[i]);
    buf[i] = '\0';
}

void actor_user(const struct actor *a, char *buf, size_t cap)
{
    /* One user per workstation; servers act as their machine account. */
    const struct host *h = &a->w->hosts[a->host];
    if (h->server)
        snprintf(buf, cap, "%s$", h->name);
    else
        snprintf(buf, cap, "user%u", a->host + 1);
}

void actor_kerberos(struct actor *a, const char *sname)
{
    struct gen_world *w = a->w;
    char realm[GEN_NAME_MAX], user[GEN_NAME_MAX + 8];
    realm_of(w, realm, sizeof realm);
    actor_user(a, user, sizeof user);
    /* A TGT or service ticket with its PAC is about 1 kB in a small domain, and grows with the
     * user's groups; the enc-parts and the authenticator are a few hundred bytes. */
    struct gen_krb_exchange x = {.realm = realm,
                                 .cname = user,
                                 .sname = sname,
                                 .till_ns = GEN_KRB_TILL_WINDOWS_NS,
                                 .nonce = (uint32_t)gen_rng_next(&a->rng),
                                 .ticket_len = (size_t)gen_rng_range(&a->rng, 1000, 1250),
                                 .enc_len = (size_t)gen_rng_range(&a->rng, 180, 220)};
    uint8_t req[4096], rep[4096];
    size_t qn, rn;
    if (sname == NULL) {
        qn = gen_krb_as_req(req, sizeof req, &x, &a->rng);
        x.enc_len = (size_t)gen_rng_range(&a->rng, 280, 330);
        rn = gen_krb_as_rep(rep, sizeof rep, &x, &a->rng);
    } else {
        qn = gen_krb_tgs_req(req, sizeof req, &x, &a->rng);
        x.enc_len = (size_t)gen_rng_range(&a->rng, 280, 330);
        rn = gen_krb_tgs_rep(rep, sizeof rep, &x, &a->rng);
    }
    struct gen_script *sc = gen_script_create(qn + rn);
    if (qn == 0 || rn == 0 || sc == NULL) {
        free(sc);
        return;
    }
    (void)gen_script_add(sc, GEN_CLIENT, GEN_FILL_BYTES, req, qn, qn, 0, false);
    (void)gen_script_add(sc, GEN_SERVER, GEN_FILL_BYTES, rep, rn, rn,
                         (uint64_t)gen_rng_range(&a->rng, 300, 3000) * 1000, false);
    gen_script_end(sc, GEN_END_CLIENT_FIN, 0, false);
    struct gen_flow_params p;
    actor_flow(a, target_host(w, w->dcs[a->host % w->ndcs]), 6, 0, 88, &p);
    p.app = &gen_script_app;
    p.app_ctx = sc;
    (void)actor_start(a, &p);
}

/* ---- services ---- */

bool host_listens(const struct host *h, uint16_t port)
{
    /* What each kind of host answers on, as a scan of a Windows domain finds it. */
    static const uint16_t dc[] = {53, 88, 135, 139, 389, 445, 464, 636, 3268, 3389, 5985};
    static const uint16_t file[] = {135, 139, 445, 3389, 5985};
    static const uint16_t web[] = {22, 80, 443};
    static const uint16_t db[] = {22, 1433, 5432};
    static const uint16_t jump[] = {22, 3389};
    static const uint16_t backup[] = {22, 9103};
    static const uint16_t scanner[] = {22, 443};
    static const uint16_t windows_ws[] = {135, 139, 445, 5985};
    static const uint16_t other_ws[] = {22};
    const uint16_t *list;
    size_t n;
#define USE(a) (list = (a), n = sizeof(a) / sizeof((a)[0]))
    if (!h->server)
        h->os == GEN_OS_WINDOWS ? USE(windows_ws) : USE(other_ws);
    else
        switch (h->role) {
        case GEN_ROLE_DC:
            USE(dc);
            break;
        case GEN_ROLE_FILE:
            USE(file);
            break;
        case GEN_ROLE_WEB:
            USE(web);
            break;
        case GEN_ROLE_DB:
            USE(db);
            break;
        case GEN_ROLE_JUMP:
            USE(jump);
            break;
        case GEN_ROLE_BACKUP:
            USE(backup);
            break;
        default:
            USE(scanner);
            break;
        }
#undef USE
    for (size_t i = 0; i < n; i++)
        if (list[i] == port)
            return true;
    return false;
}

void world_ip_mac(uint32_t ip, uint8_t mac[6])
{
    ip_mac(ip, mac);
}

/* ---- building ---- */

uint32_t world_find_dest(const struct gen_world *w, const char *name)
{
    for (size_t i = 0; i < w->sc->ndests; i++)
        if (strcmp(w->sc->dests[i].name, name) == 0)
            return (uint32_t)i;
    return UINT32_MAX;
}

uint32_t world_find_host(const struct gen_world *w, const char *name)
{
    for (size_t i = 0; i < w->nhosts; i++)
        if (strcmp(w->hosts[i].name, name) == 0)
            return (uint32_t)i;
    return UINT32_MAX;
}

/* Addresses are laid out as build_hosts() and build_dests() number them, so the host or
 * destination at an address is found by arithmetic: this runs for both ends of every flow's
 * label and for every scan probe. */
uint32_t world_host_at(const struct gen_world *w, uint32_t ip)
{
    const struct gen_scenario *sc = w->sc;
    uint32_t first = 0;
    for (size_t s = 0; s < sc->nsites; s++) {
        uint32_t k = ip - (sc->sites[s].net + 10); /* workstation k + 1 */
        if (k < sc->sites[s].hosts)
            return first + k;
        first += sc->sites[s].hosts;
    }
    uint32_t k = ip - (sc->dc_net + 10);
    return k < sc->nservers ? first + k : UINT32_MAX;
}

uint32_t world_host_near(const struct gen_world *w, uint32_t ip)
{
    const struct gen_scenario *sc = w->sc;
    uint32_t first = 0;
    for (size_t s = 0; s < sc->nsites; s++) {
        if ((ip & ~0u << (32 - sc->sites[s].prefix)) == sc->sites[s].net)
            return first; /* every site has a workstation */
        first += sc->sites[s].hosts;
    }
    bool in_dc = (ip & ~0u << (32 - sc->dc_prefix)) == sc->dc_net;
    return in_dc && sc->nservers > 0 ? first : UINT32_MAX;
}

/* The internet destination at @ip (198.18.0.1 onwards, skipping .0 and .255), or UINT32_MAX. */
static uint32_t dest_at(const struct gen_world *w, uint32_t ip)
{
    uint32_t off = ip - DEST_NET, lo = off % 256;
    if (off >= 1u << 17 || lo == 0 || lo == 255)
        return UINT32_MAX;
    uint32_t i = off / 256 * 254 + lo - 1;
    return i < w->sc->ndests ? i : UINT32_MAX;
}

struct actor *actor_new(struct gen_world *w, uint32_t host, const struct gen_label *label,
                        const struct gen_label *dns_label, actor_go_fn *go)
{
    if (w->nactors == w->actors_cap)
        return NULL;
    struct actor *a = &w->actors[w->nactors];
    a->w = w;
    a->host = host;
    a->id = (uint32_t)w->nactors++;
    gen_rng_init(&a->rng, w->sc->seed, 0xac70000000000000ull | a->id);
    a->label = label;
    a->dns_label = dns_label;
    a->go = go;
    return a;
}

static void pick_tls(struct host *h, struct gen_rng *rng)
{
    /* Browser shares by desktop OS (StatCounter-like: Chrome and Edge lead on Windows,
     * Safari on macOS, Firefox strongest on Linux); Edge sends Chrome's hello. */
    double u = gen_rng_unit(rng);
    switch (h->os) {
    case GEN_OS_WINDOWS:
        h->browser = u < 0.8 ? GEN_TLS_CHROME : GEN_TLS_FIREFOX;
        h->system_tls = GEN_TLS_SCHANNEL;
        break;
    case GEN_OS_MACOS:
        h->browser = u < 0.55 ? GEN_TLS_SAFARI : u < 0.9 ? GEN_TLS_CHROME : GEN_TLS_FIREFOX;
        h->system_tls = GEN_TLS_SAFARI;
        break;
    default:
        h->browser = u < 0.5 ? GEN_TLS_FIREFOX : GEN_TLS_CHROME;
        h->system_tls = GEN_TLS_CURL;
        break;
    }
}

static int build_hosts(struct gen_world *w)
{
    const struct gen_scenario *sc = w->sc;
    size_t n = sc->nservers;
    for (size_t i = 0; i < sc->nsites; i++)
        n += sc->sites[i].hosts;
    w->hosts = calloc(n, sizeof *w->hosts);
    w->dcs = calloc(sc->nservers, sizeof *w->dcs);
    if (w->hosts == NULL || w->dcs == NULL)
        return -ENOMEM;
    struct gen_rng rng;
    gen_rng_init(&rng, sc->seed, 0x4057000000000000ull);
    for (size_t s = 0; s < sc->nsites; s++) {
        const struct gen_site *site = &sc->sites[s];
        for (uint32_t k = 1; k <= site->hosts; k++) {
            struct host *h = &w->hosts[w->nhosts++];
            snprintf(h->name, sizeof h->name, "%.40s-%u", site->name, k);
            h->ip = site->net + 9 + k;
            h->site = (uint32_t)s;
            h->os = (enum gen_os)gen_rng_pick(&rng, site->os_share, GEN_OS_COUNT);
            ip_mac(h->ip, h->mac);
            pick_tls(h, &rng);
        }
    }
    w->nws = w->nhosts;
    for (size_t i = 0; i < sc->nservers; i++) {
        const struct gen_server *srv = &sc->servers[i];
        struct host *h = &w->hosts[w->nhosts++];
        snprintf(h->name, sizeof h->name, "%s", srv->name);
        h->ip = sc->dc_net + 10 + (uint32_t)i;
        h->site = (uint32_t)sc->nsites;
        h->os = srv->os;
        h->role = srv->role;
        h->server = true;
        ip_mac(h->ip, h->mac);
        pick_tls(h, &rng);
        if (srv->role == GEN_ROLE_DC)
            w->dcs[w->ndcs++] = (uint32_t)(w->nhosts - 1);
    }
    return 0;
}

static int build_dests(struct gen_world *w)
{
    const struct gen_scenario *sc = w->sc;
    w->dests = calloc(sc->ndests ? sc->ndests : 1, sizeof *w->dests);
    w->web_weights = calloc(sc->ndests ? sc->ndests : 1, sizeof *w->web_weights);
    if (w->dests == NULL || w->web_weights == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < sc->ndests; i++) {
        struct dest *d = &w->dests[i];
        d->cfg = &sc->dests[i];
        /* 198.18.0.1 onwards, skipping .0 and .255 of each /24. */
        d->ip = DEST_NET + (uint32_t)(i / 254) * 256 + (uint32_t)(i % 254) + 1;
        d->hops = (uint8_t)(10 + gen_rng_mix(i) % 10);
        w->web_weights[i] = d->cfg->kind == GEN_DEST_WEB ? d->cfg->weight : 0;
    }
    return 0;
}

static int build_actors(struct gen_world *w)
{
    w->actors_cap = gen_benign_actors(w) + gen_attack_actors(w);
    w->actors = calloc(w->actors_cap ? w->actors_cap : 1, sizeof *w->actors);
    w->campaign_labels = calloc(GEN_CAMPAIGN_LABELS * (w->sc->ncampaigns ? w->sc->ncampaigns : 1),
                                sizeof(struct gen_label));
    if (w->actors == NULL || w->campaign_labels == NULL)
        return -ENOMEM;
    int rc = gen_benign_start(w);
    return rc != 0 ? rc : gen_attack_start(w);
}

struct gen_world *gen_world_create(const struct gen_scenario *sc, struct gen_sim *sim, char *err,
                                   size_t errcap)
{
    struct gen_world *w = calloc(1, sizeof *w);
    if (w == NULL)
        goto out_oom;
    w->sc = sc;
    w->sim = sim;
    w->point_names = calloc(sc->nsites + 1, sizeof *w->point_names);
    if (w->point_names == NULL || build_hosts(w) != 0 || build_dests(w) != 0 ||
        build_actors(w) != 0)
        goto out_oom;
    for (size_t i = 0; i < sc->nsites; i++)
        snprintf(w->point_names[i], GEN_NAME_MAX, "%s", sc->sites[i].name);
    snprintf(w->point_names[sc->nsites], GEN_NAME_MAX, "datacenter");
    return w;
out_oom:
    snprintf(err, errcap, "out of memory building the network of '%s'", sc->name);
    gen_world_destroy(&w);
    return NULL;
}

void gen_world_destroy(struct gen_world **wp)
{
    struct gen_world *w = *wp;
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->nactors; i++)
        free(w->actors[i].scan);
    free(w->hosts);
    free(w->dcs);
    free(w->dests);
    free(w->web_weights);
    free(w->actors);
    free(w->campaign_labels);
    free(w->point_names);
    free(w);
    *wp = NULL;
}

const char *gen_world_point_name(const struct gen_world *w, uint32_t point)
{
    return point <= w->sc->nsites ? w->point_names[point] : "?";
}

uint32_t gen_world_points(const struct gen_world *w)
{
    return (uint32_t)w->sc->nsites + 1;
}

const char *gen_world_host_name(const struct gen_world *w, uint32_t ip)
{
    uint32_t h = world_host_at(w, ip);
    if (h != UINT32_MAX)
        return w->hosts[h].name;
    uint32_t d = dest_at(w, ip);
    return d != UINT32_MAX ? w->dests[d].cfg->name : NULL;
}
