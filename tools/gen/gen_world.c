/*
 * World: hosts, paths and actors. Each actor has its own random stream (from the seed and the
 * actor's number), so what one host does never depends on how many others there are.
 */
#include "tools/gen/gen_world.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/gen/gen_dns.h"
#include "tools/gen/gen_ntp.h"
#include "tools/gen/gen_script.h"
#include "tools/gen/gen_tls.h"

#define MS            GEN_NS_PER_MS
#define SEC           GEN_NS_PER_S
#define DNS_CACHE     8
#define DEST_NET      0xc6120000u     /* 198.18.0.0/15 */
#define LAN_DELAY_NS  (200 * 1000ull) /* a workstation to its site's tap: one switch hop */
#define CLIENT_BPS    1000000000ull
#define DC_SERVER_BPS 10000000000ull

struct host {
    char name[GEN_NAME_MAX];
    uint32_t ip;
    uint8_t mac[6];
    uint32_t site; /* the sensor point it sits behind; nsites for the data centre */
    enum gen_os os;
    enum gen_role role; /* servers only */
    bool server;
    enum gen_tls_profile browser;
    enum gen_tls_profile system_tls; /* the OS's own TLS client (check-ins) */
    uint32_t next_port;
    struct {
        uint32_t dest;
        uint64_t expires;
    } dns[DNS_CACHE];
    uint32_t dns_next;
};

struct dest {
    uint32_t ip;
    const struct gen_dest *cfg;
    uint32_t ttl_s;
    uint8_t hops;
};

struct actor;
/* What an actor does once a name is resolved: @action is the actor's own. */
typedef void actor_go_fn(struct actor *a, uint32_t dest, uint32_t action);

struct actor {
    struct gen_world *w;
    uint32_t host;
    uint32_t id;
    struct gen_rng rng;
    actor_go_fn *go;
    const struct gen_label *label;     /* of its flows */
    const struct gen_label *dns_label; /* of its lookups */
    /* per kind */
    uint32_t pages_left;
    uint32_t dest;
    const struct gen_checkin *checkin;
    const struct gen_campaign *campaign;
};

struct gen_world {
    const struct gen_scenario *sc;
    struct gen_sim *sim;
    struct host *hosts;
    size_t nhosts;
    size_t nws; /* workstations: hosts[0, nws) */
    struct dest *dests;
    uint32_t *dcs; /* host indexes of the domain controllers */
    size_t ndcs;
    struct actor *actors;
    size_t nactors;
    double *web_weights;               /* per destination: its weight if kind web, else 0 */
    struct gen_label *campaign_labels; /* two per campaign: its flows, its lookups */
    char (*point_names)[GEN_NAME_MAX];
};

static const struct gen_label label_web = {.behaviour = "web"};
static const struct gen_label label_dns = {.behaviour = "dns"};
static const struct gen_label label_ntp = {.behaviour = "ntp"};
static const struct gen_label label_checkin = {.behaviour = "checkin"};

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

/* A flow from host @c to data-centre server @s, seen at @c's point. */
static void path_to_server(const struct gen_world *w, const struct host *c, const struct host *s,
                           uint16_t sport, uint16_t dport, struct gen_flow_params *p)
{
    const struct gen_scenario *sc = w->sc;
    endpoint(c, sport, &p->ep[0]);
    endpoint(s, dport, &p->ep[1]);
    p->point = c->site;
    if (c->site < sc->nsites) {
        const struct gen_site *site = &sc->sites[c->site];
        gateway_mac(c->site, p->ep[1].mac);
        p->d_ns[0] = LAN_DELAY_NS;
        p->d_ns[1] = site->dc_rtt_ns / 2 > LAN_DELAY_NS ? site->dc_rtt_ns / 2 - LAN_DELAY_NS
                                                        : LAN_DELAY_NS / 2;
        p->hops[1] = 2;
        p->loss = site->loss;
        p->bps[0] = site->uplink_bps;
        p->bps[1] = site->uplink_bps;
    } else {
        p->d_ns[0] = p->d_ns[1] = 50 * 1000; /* one data-centre switch */
        p->bps[0] = p->bps[1] = DC_SERVER_BPS;
    }
}

/* A flow from host @c to internet destination @d, seen at @c's point. */
static void path_to_internet(const struct gen_world *w, const struct host *c, const struct dest *d,
                             uint16_t sport, uint16_t dport, struct gen_flow_params *p)
{
    const struct gen_scenario *sc = w->sc;
    endpoint(c, sport, &p->ep[0]);
    p->ep[1].ip = d->ip;
    p->ep[1].port = dport;
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
    p->d_ns[0] = c->server ? 50 * 1000 : LAN_DELAY_NS;
    p->d_ns[1] = rtt / 2 > p->d_ns[0] ? rtt / 2 - p->d_ns[0] : p->d_ns[0];
    p->hops[1] = d->hops;
    p->bps[0] = bps;
    p->bps[1] = bps;
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
static uint64_t next_activity(struct actor *a, uint64_t from, double per_hour)
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

static bool dns_cached(struct host *h, uint32_t dest, uint64_t now)
{
    for (int i = 0; i < DNS_CACHE; i++)
        if (h->dns[i].dest == dest + 1 && h->dns[i].expires > now)
            return true;
    return false;
}

static void dns_remember(struct host *h, uint32_t dest, uint64_t expires)
{
    for (int i = 0; i < DNS_CACHE; i++)
        if (h->dns[i].dest == dest + 1) {
            h->dns[i].expires = expires;
            return;
        }
    h->dns[h->dns_next].dest = dest + 1;
    h->dns[h->dns_next].expires = expires;
    h->dns_next = (h->dns_next + 1) % DNS_CACHE;
}

static void lookup_done(struct gen_sess *s, void *owner, uint64_t cookie)
{
    (void)s;
    struct actor *a = owner;
    struct gen_world *w = a->w;
    uint32_t dest = (uint32_t)(cookie >> 32);
    uint32_t action = (uint32_t)cookie;
    uint64_t now = gen_sim_now(w->sim);
    dns_remember(&w->hosts[a->host], dest, now + (uint64_t)w->dests[dest].ttl_s * SEC);
    a->go(a, dest, action);
}

/*
 * Resolve destination @dest for actor @a, then a->go(@dest, @action): at once when the host
 * has the name cached, else after a query to its domain controller (the hosts' resolver, as in
 * an Active Directory network) has been answered.
 */
static void resolve(struct actor *a, uint32_t dest, uint32_t action)
{
    struct gen_world *w = a->w;
    struct host *h = &w->hosts[a->host];
    uint64_t now = gen_sim_now(w->sim);
    if (dns_cached(h, dest, now)) {
        a->go(a, dest, action);
        return;
    }
    const struct dest *d = &w->dests[dest];
    const struct host *dc = &w->hosts[w->dcs[a->host % w->ndcs]];
    uint8_t q[512], r[512];
    /* Windows and macOS stub resolvers send EDNS0 queries; the answer carries the address
     * with the record's TTL. */
    struct gen_dns_query query = {.id = (uint16_t)gen_rng_next(&a->rng),
                                  .name = d->cfg->name,
                                  .qtype = GEN_DNS_A,
                                  .edns = true};
    struct gen_dns_addr addr;
    gen_dns_addr_v4(&addr, d->ip, d->ttl_s);
    struct gen_dns_answer answer = {.addrs = &addr, .n_addrs = 1};
    size_t qn = gen_dns_query(q, sizeof q, &query, NULL);
    size_t rn = gen_dns_response(r, sizeof r, &query, &answer, NULL);
    struct gen_script *sc = gen_script_create(qn + rn);
    if (qn == 0 || rn == 0 || sc == NULL) {
        free(sc);
        return;
    }
    /* The resolver answers from its cache in well under a millisecond, or after asking the
     * internet: a recursive lookup costs one or more internet round trips. */
    uint64_t resolve_ns = gen_rng_chance(&a->rng, 0.6)
                                  ? (uint64_t)gen_rng_range(&a->rng, 100, 800) * 1000
                                  : (uint64_t)gen_rng_lognormal(&a->rng, 25.0 * MS, 0.6);
    (void)gen_script_add(sc, GEN_CLIENT, GEN_FILL_BYTES, q, qn, qn, 0, false);
    (void)gen_script_add(sc, GEN_SERVER, GEN_FILL_BYTES, r, rn, rn, resolve_ns, false);
    gen_script_end(sc, GEN_END_CLIENT_FIN, 0, false);
    gen_script_on_done(sc, lookup_done, a, (uint64_t)dest << 32 | action);
    struct gen_flow_params p = {.proto = 17,
                                .app = &gen_script_app,
                                .app_ctx = sc,
                                .label = a->dns_label,
                                .listening = true};
    path_to_server(w, h, dc, ephemeral_port(h, &a->rng), 53, &p);
    if (gen_sess_start(w->sim, now, &p) == NULL)
        free(sc);
}

/* ---- TLS conversations ---- */

struct exchange {
    uint64_t request;  /* plaintext bytes */
    uint64_t response; /* plaintext bytes */
    uint64_t think_ns; /* before the request */
};

/*
 * A TLS 1.3 connection from actor @a's host to @dest on port 443: the handshake, then each
 * exchange, then @linger_ns of idle and a close_notify with the client's FIN.
 */
static void tls_connect(struct actor *a, uint32_t dest, enum gen_tls_profile profile,
                        const struct exchange *x, size_t nx, uint64_t linger_ns)
{
    struct gen_world *w = a->w;
    struct host *h = &w->hosts[a->host];
    const struct dest *d = &w->dests[dest];
    uint8_t ch[4096], sh[1024];
    size_t chn = gen_tls_client_hello(ch, sizeof ch, profile, d->cfg->name, 0, &a->rng);
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
    for (size_t i = 0; i < nx; i++) {
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
    struct gen_flow_params p = {.proto = 6,
                                .app = &gen_script_app,
                                .app_ctx = sc,
                                .label = a->label,
                                .listening = true,
                                .syn_retries = 2};
    path_to_internet(w, h, d, ephemeral_port(h, &a->rng), 443, &p);
    if (gen_sess_start(w->sim, gen_sim_now(w->sim), &p) == NULL)
        free(sc);
}

/* ---- web browsing ---- */

enum { WEB_VISIT, WEB_PAGE };

static void web_go(struct actor *a, uint32_t dest, uint32_t action)
{
    (void)action;
    const struct gen_web *web = &a->w->sc->web;
    struct exchange x[GEN_SCRIPT_STEPS / 2 - 4];
    size_t assets = (size_t)gen_rng_exp(&a->rng, web->assets_per_page);
    if (assets > sizeof x / sizeof x[0] - 1)
        assets = sizeof x / sizeof x[0] - 1;
    x[0].request = gen_rng_range(&a->rng, 300, 700);
    x[0].response = (uint64_t)gen_rng_lognormal(&a->rng, (double)web->page_size, 1.0) + 200;
    x[0].think_ns = 0;
    for (size_t i = 1; i <= assets; i++) {
        x[i].request = gen_rng_range(&a->rng, 200, 500);
        x[i].response = (uint64_t)gen_rng_lognormal(&a->rng, (double)web->asset_size, 1.5) + 100;
        x[i].think_ns = (uint64_t)gen_rng_range(&a->rng, 1, 30) * MS;
    }
    /* Browsers keep an idle HTTP/2 connection a while before closing it. */
    uint64_t linger = (uint64_t)gen_rng_range(&a->rng, 5, 60) * SEC;
    tls_connect(a, dest, a->w->hosts[a->host].browser, x, assets + 1, linger);
}

static void web_wake(struct gen_sim *sim, void *actor, uint32_t arg)
{
    struct actor *a = actor;
    struct gen_world *w = a->w;
    uint64_t now = gen_sim_now(sim);
    if (arg == WEB_VISIT) {
        a->dest = (uint32_t)gen_rng_pick(&a->rng, w->web_weights, w->sc->ndests);
        double mean = w->sc->web.pages_per_visit;
        /* Geometric number of pages with that mean. */
        a->pages_left = 1;
        while (gen_rng_unit(&a->rng) > 1.0 / mean && a->pages_left < 1000)
            a->pages_left++;
    }
    resolve(a, a->dest, 0);
    if (--a->pages_left > 0) {
        uint64_t think = (uint64_t)gen_rng_lognormal(&a->rng, (double)w->sc->web.think_ns, 1.0);
        (void)gen_sim_wake(sim, now + think, web_wake, a, WEB_PAGE);
    } else {
        uint64_t t = next_activity(a, now, w->sc->web.visits_per_hour);
        if (t != UINT64_MAX)
            (void)gen_sim_wake(sim, t, web_wake, a, WEB_VISIT);
    }
}

/* ---- check-ins ---- */

static void checkin_go(struct actor *a, uint32_t dest, uint32_t action)
{
    (void)action;
    const struct gen_checkin *c = a->checkin;
    struct exchange x = {
            .request = (uint64_t)gen_rng_jitter(&a->rng, (double)c->request, 0.1),
            .response = (uint64_t)gen_rng_jitter(&a->rng, (double)c->response, 0.1),
    };
    tls_connect(a, dest, a->w->hosts[a->host].system_tls, &x, 1,
                (uint64_t)gen_rng_range(&a->rng, 100, 2000) * MS);
}

static void checkin_wake(struct gen_sim *sim, void *actor, uint32_t arg)
{
    (void)arg;
    struct actor *a = actor;
    uint64_t now = gen_sim_now(sim);
    resolve(a, a->dest, 0);
    uint64_t next = now + (uint64_t)gen_rng_jitter(&a->rng, (double)a->checkin->interval_ns,
                                                   a->checkin->jitter);
    if (next < a->w->sc->duration_ns)
        (void)gen_sim_wake(sim, next, checkin_wake, a, 0);
}

/* ---- NTP ---- */

static void ntp_wake(struct gen_sim *sim, void *actor, uint32_t arg)
{
    (void)arg;
    struct actor *a = actor;
    struct gen_world *w = a->w;
    struct host *h = &w->hosts[a->host];
    const struct host *dc = &w->hosts[w->dcs[a->host % w->ndcs]];
    uint64_t now = gen_sim_now(sim);
    uint64_t wall = w->sc->start_unix_ns + now;
    uint8_t q[64], r[64];
    size_t qn = gen_ntp_request(q, sizeof q, wall, &a->rng);
    size_t rn = gen_ntp_reply(r, sizeof r, q, qn, wall + 2 * MS, wall + 2 * MS + 30000, &a->rng);
    struct gen_script *sc = gen_script_create(qn + rn);
    if (qn > 0 && rn > 0 && sc != NULL) {
        (void)gen_script_add(sc, GEN_CLIENT, GEN_FILL_BYTES, q, qn, qn, 0, false);
        (void)gen_script_add(sc, GEN_SERVER, GEN_FILL_BYTES, r, rn, rn, 30000, false);
        gen_script_end(sc, GEN_END_CLIENT_FIN, 0, false);
        /* Windows' time service sends from port 123; other clients from an ephemeral port. */
        uint16_t sport = h->os == GEN_OS_WINDOWS ? 123 : ephemeral_port(h, &a->rng);
        struct gen_flow_params p = {.proto = 17,
                                    .app = &gen_script_app,
                                    .app_ctx = sc,
                                    .label = &label_ntp,
                                    .listening = true};
        path_to_server(w, h, dc, sport, 123, &p);
        if (gen_sess_start(sim, now, &p) == NULL)
            free(sc);
    } else {
        free(sc);
    }
    uint64_t next = now + (uint64_t)gen_rng_jitter(&a->rng, (double)w->sc->ntp_interval_ns, 0.01);
    if (next < w->sc->duration_ns)
        (void)gen_sim_wake(sim, next, ntp_wake, a, 0);
}

/* ---- campaigns ---- */

static void beacon_go(struct actor *a, uint32_t dest, uint32_t action)
{
    (void)action;
    const struct gen_campaign *c = a->campaign;
    struct exchange x = {
            .request = (uint64_t)gen_rng_jitter(&a->rng, (double)c->request, 0.05),
            .response = (uint64_t)gen_rng_jitter(&a->rng, (double)c->response, 0.05),
    };
    /* A beacon reconnects each time (HTTP keep-alive off), and its Windows HTTP stack is the
     * system's (WinINet over Schannel). */
    tls_connect(a, dest, a->w->hosts[a->host].system_tls, &x, 1,
                (uint64_t)gen_rng_range(&a->rng, 1, 50) * MS);
}

static void beacon_wake(struct gen_sim *sim, void *actor, uint32_t arg)
{
    (void)arg;
    struct actor *a = actor;
    uint64_t now = gen_sim_now(sim);
    resolve(a, a->dest, 0);
    uint64_t next = now + (uint64_t)gen_rng_jitter(&a->rng, (double)a->campaign->interval_ns,
                                                   a->campaign->jitter);
    if (next < a->campaign->end_ns && next < a->w->sc->duration_ns)
        (void)gen_sim_wake(sim, next, beacon_wake, a, 0);
}

/* ---- building ---- */

static uint32_t find_dest(const struct gen_scenario *sc, const char *name)
{
    for (size_t i = 0; i < sc->ndests; i++)
        if (strcmp(sc->dests[i].name, name) == 0)
            return (uint32_t)i;
    return 0; /* the scenario was checked: every name resolves */
}

static uint32_t find_host(const struct gen_world *w, const char *name)
{
    for (size_t i = 0; i < w->nhosts; i++)
        if (strcmp(w->hosts[i].name, name) == 0)
            return (uint32_t)i;
    return 0;
}

static struct actor *new_actor(struct gen_world *w, uint32_t host, const struct gen_label *label,
                               const struct gen_label *dns_label, actor_go_fn *go)
{
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
        /* Record TTLs as such names have them: CDNs short, services long. */
        d->ttl_s = d->cfg->kind == GEN_DEST_CDN ? 60 : d->cfg->kind == GEN_DEST_WEB ? 300 : 3600;
        d->hops = (uint8_t)(10 + gen_rng_mix(i) % 10);
        w->web_weights[i] = d->cfg->kind == GEN_DEST_WEB ? d->cfg->weight : 0;
    }
    return 0;
}

static int build_actors(struct gen_world *w)
{
    const struct gen_scenario *sc = w->sc;
    size_t n = w->nhosts * (2 + sc->ncheckins) + sc->ncampaigns;
    w->actors = calloc(n, sizeof *w->actors);
    w->campaign_labels =
            calloc(2 * (sc->ncampaigns ? sc->ncampaigns : 1), sizeof(struct gen_label));
    if (w->actors == NULL || w->campaign_labels == NULL)
        return -ENOMEM;
    bool any_web = false;
    for (size_t i = 0; i < sc->ndests; i++)
        any_web |= w->web_weights[i] > 0;
    for (uint32_t h = 0; h < w->nhosts; h++) {
        const struct host *host = &w->hosts[h];
        if (!host->server && any_web && sc->web.visits_per_hour > 0) {
            struct actor *a = new_actor(w, h, &label_web, &label_dns, web_go);
            uint64_t t = next_activity(a, 0, sc->web.visits_per_hour);
            if (t != UINT64_MAX)
                (void)gen_sim_wake(w->sim, t, web_wake, a, WEB_VISIT);
        }
        if (host->role != GEN_ROLE_DC || !host->server) {
            struct actor *a = new_actor(w, h, &label_ntp, &label_dns, NULL);
            (void)gen_sim_wake(w->sim, gen_rng_below(&a->rng, sc->ntp_interval_ns), ntp_wake, a, 0);
        }
        for (size_t c = 0; c < sc->ncheckins && !host->server; c++) {
            struct actor *a = new_actor(w, h, &label_checkin, &label_dns, checkin_go);
            if (gen_rng_unit(&a->rng) >= sc->checkins[c].share)
                continue;
            a->checkin = &sc->checkins[c];
            a->dest = find_dest(sc, sc->checkins[c].dest);
            (void)gen_sim_wake(w->sim, gen_rng_below(&a->rng, a->checkin->interval_ns),
                               checkin_wake, a, 0);
        }
    }
    for (size_t c = 0; c < sc->ncampaigns; c++) {
        const struct gen_campaign *camp = &sc->campaigns[c];
        struct gen_label *flows = &w->campaign_labels[2 * c], *dns = flows + 1;
        *flows = (struct gen_label){.behaviour = "beacon",
                                    .technique = "T1071.001",
                                    .campaign = camp->id,
                                    .malicious = true};
        *dns = (struct gen_label){.behaviour = "dns",
                                  .technique = "T1071.001",
                                  .campaign = camp->id,
                                  .malicious = true};
        struct actor *a = new_actor(w, find_host(w, camp->host), flows, dns, beacon_go);
        a->campaign = camp;
        a->dest = find_dest(sc, camp->c2);
        (void)gen_sim_wake(w->sim, camp->start_ns, beacon_wake, a, 0);
    }
    return 0;
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
    for (size_t i = 0; i < w->nhosts; i++)
        if (w->hosts[i].ip == ip)
            return w->hosts[i].name;
    for (size_t i = 0; i < w->sc->ndests; i++)
        if (w->dests[i].ip == ip)
            return w->dests[i].cfg->name;
    return NULL;
}
