/*
 * Benign behaviour: what the network's people and machines do on a working day. Workstations
 * browse the web (over TLS, some of it over QUIC), look names up, keep time, check in with
 * software-update and telemetry services, read and write files on the file servers, get
 * Kerberos tickets and refresh group policy from the domain controllers. Servers are backed
 * up, admins work on servers from the jump host, and the vulnerability scanner sweeps the
 * network. The numbers and their sources are in docs/SCENARIOS.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/gen/gen_actor.h"
#include "tools/gen/gen_ntp.h"
#include "tools/gen/gen_script.h"

#define MS  GEN_MS
#define SEC GEN_SEC

static const struct gen_label label_web = {.behaviour = "web"};
static const struct gen_label label_dns = {.behaviour = "dns"};
static const struct gen_label label_ntp = {.behaviour = "ntp"};
static const struct gen_label label_checkin = {.behaviour = "checkin"};
static const struct gen_label label_smb = {.behaviour = "smb"};
static const struct gen_label label_kerberos = {.behaviour = "kerberos"};
static const struct gen_label label_gpo = {.behaviour = "gpo"};
static const struct gen_label label_backup = {.behaviour = "backup"};
static const struct gen_label label_admin = {.behaviour = "admin"};
static const struct gen_label label_scanner = {.behaviour = "scanner"};

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
    const struct host *h = &a->w->hosts[a->host];
    if (actor_quic(a, dest, h->browser, x, assets + 1, linger) == 0)
        return;
    actor_tls(a, dest, 443, h->browser, x, assets + 1, linger);
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
    actor_resolve(a, a->dest, 0);
    if (--a->pages_left > 0) {
        uint64_t think = (uint64_t)gen_rng_lognormal(&a->rng, (double)w->sc->web.think_ns, 1.0);
        (void)gen_sim_wake(sim, now + think, web_wake, a, WEB_PAGE);
    } else {
        uint64_t t = actor_next_activity(a, now, w->sc->web.visits_per_hour);
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
    actor_tls(a, dest, 443, a->w->hosts[a->host].system_tls, &x, 1,
              (uint64_t)gen_rng_range(&a->rng, 100, 2000) * MS);
}

static void checkin_wake(struct gen_sim *sim, void *actor, uint32_t arg)
{
    (void)arg;
    struct actor *a = actor;
    uint64_t now = gen_sim_now(sim);
    actor_resolve(a, a->dest, 0);
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
        struct gen_flow_params p;
        actor_flow(a, target_host(w, w->dcs[a->host % w->ndcs]), 17,
                   h->os == GEN_OS_WINDOWS ? 123 : 0, 123, &p);
        p.app = &gen_script_app;
        p.app_ctx = sc;
        (void)actor_start(a, &p);
    } else {
        free(sc);
    }
    uint64_t next = now + (uint64_t)gen_rng_jitter(&a->rng, (double)w->sc->ntp_interval_ns, 0.01);
    if (next < w->sc->duration_ns)
        (void)gen_sim_wake(sim, next, ntp_wake, a, 0);
}

/* ---- file shares ---- */

/* A server of @role picked for the actor, or UINT32_MAX when the network has none. */
static uint32_t pick_server(struct actor *a, enum gen_role role)
{
    const struct gen_world *w = a->w;
    size_t n = 0;
    for (size_t i = w->nws; i < w->nhosts; i++)
        n += w->hosts[i].role == role;
    if (n == 0)
        return UINT32_MAX;
    size_t k = (size_t)gen_rng_below(&a->rng, n);
    for (size_t i = w->nws; i < w->nhosts; i++)
        if (w->hosts[i].role == role && k-- == 0)
            return (uint32_t)i;
    return UINT32_MAX;
}

static void smb_go(struct actor *a, uint32_t target, uint32_t action)
{
    (void)action;
    const struct gen_services *v = &a->w->sc->svc;
    uint32_t host = target - (uint32_t)a->w->sc->ndests;
    char sname[2 * GEN_NAME_MAX + 8];
    snprintf(sname, sizeof sname, "cifs/%s.%s", a->w->hosts[host].name, a->w->sc->domain);
    actor_kerberos(a, sname);
    /* Office documents: most sessions read, some write; sizes heavy-tailed. */
    struct smb_plan plan = {
            .share = "users",
            .read = (uint64_t)gen_rng_lognormal(&a->rng, (double)v->smb_read, 1.2),
            .write = gen_rng_chance(&a->rng, 0.4)
                             ? (uint64_t)gen_rng_lognormal(&a->rng, (double)v->smb_write, 1.2)
                             : 0,
            /* Windows keeps an idle SMB session open for about ten minutes. */
            .linger_ns = (uint64_t)gen_rng_range(&a->rng, 30, 600) * SEC,
    };
    actor_smb(a, host, &plan);
}

static void smb_wake(struct gen_sim *sim, void *actor, uint32_t arg)
{
    (void)arg;
    struct actor *a = actor;
    uint32_t fs = pick_server(a, GEN_ROLE_FILE);
    if (fs != UINT32_MAX)
        actor_resolve(a, target_host(a->w, fs), 0);
    uint64_t t = actor_next_activity(a, gen_sim_now(sim), a->w->sc->svc.smb_per_hour);
    if (t != UINT64_MAX)
        (void)gen_sim_wake(sim, t, smb_wake, a, 0);
}

/* ---- Kerberos and group policy ---- */

enum { KRB_LOGON, KRB_TGS };

static void krb_wake(struct gen_sim *sim, void *actor, uint32_t arg)
{
    struct actor *a = actor;
    struct gen_world *w = a->w;
    if (arg == KRB_LOGON) {
        actor_kerberos(a, NULL); /* the TGT at logon; tickets come on their own schedule */
        return;
    }
    /* A ticket for one of the services a workstation uses: files, intranet web, LDAP. */
    static const char *const svc[] = {"cifs", "http", "ldap"};
    static const enum gen_role role[] = {GEN_ROLE_FILE, GEN_ROLE_WEB, GEN_ROLE_DC};
    size_t k = (size_t)gen_rng_below(&a->rng, 3);
    uint32_t srv = pick_server(a, role[k]);
    if (srv != UINT32_MAX) {
        char sname[2 * GEN_NAME_MAX + 8];
        snprintf(sname, sizeof sname, "%s/%s.%s", svc[k], w->hosts[srv].name, w->sc->domain);
        actor_kerberos(a, sname);
    }
    uint64_t t = actor_next_activity(a, gen_sim_now(sim), w->sc->svc.tgs_per_hour);
    if (t != UINT64_MAX)
        (void)gen_sim_wake(sim, t, krb_wake, a, KRB_TGS);
}

static void gpo_go(struct actor *a, uint32_t target, uint32_t action)
{
    (void)action;
    uint32_t dc = target - (uint32_t)a->w->sc->ndests;
    actor_ldap(a, dc, (uint32_t)gen_rng_range(&a->rng, 3, 8));
    /* The policies' files from SYSVOL: gpt.ini, registry.pol and scripts, tens of kB. */
    struct smb_plan plan = {.share = "SYSVOL",
                            .read = (uint64_t)gen_rng_lognormal(&a->rng, 40000, 0.6),
                            .linger_ns = (uint64_t)gen_rng_range(&a->rng, 5, 60) * SEC};
    actor_smb(a, dc, &plan);
}

static void gpo_wake(struct gen_sim *sim, void *actor, uint32_t arg)
{
    (void)arg;
    struct actor *a = actor;
    struct gen_world *w = a->w;
    actor_resolve(a, target_host(w, w->dcs[a->host % w->ndcs]), 0);
    /* Windows refreshes group policy every 90 minutes plus a random offset of up to 30. */
    uint64_t iv = w->sc->svc.gpo_interval_ns;
    uint64_t next = gen_sim_now(sim) + iv + gen_rng_below(&a->rng, iv / 3 + 1);
    if (next < w->sc->duration_ns)
        (void)gen_sim_wake(sim, next, gpo_wake, a, 0);
}

/* ---- backups ---- */

static void backup_go(struct actor *a, uint32_t target, uint32_t action)
{
    (void)action;
    const struct gen_services *v = &a->w->sc->svc;
    /* The backup agent streams its data to the storage daemon (Bacula's port 9103) over TLS,
     * as backup products encrypt their transport, and gets a short status back; a full run is
     * one long connection. */
    struct exchange x[2] = {
            {.request = gen_rng_range(&a->rng, 200, 400),
             .response = gen_rng_range(&a->rng, 50, 100)},
            {.request = (uint64_t)gen_rng_lognormal(&a->rng, (double)v->backup_size, 0.5),
             .response = gen_rng_range(&a->rng, 50, 200)},
    };
    actor_tls(a, target, 9103, a->w->hosts[a->host].system_tls, x, 2, 0);
}

static void backup_wake(struct gen_sim *sim, void *actor, uint32_t arg)
{
    (void)arg;
    struct actor *a = actor;
    actor_resolve(a, a->dest, 0);
    uint64_t next = gen_sim_now(sim) + a->w->sc->svc.backup_interval_ns;
    if (next < a->w->sc->duration_ns)
        (void)gen_sim_wake(sim, next, backup_wake, a, 0);
}

/* ---- admins on the jump host ---- */

static void admin_go(struct actor *a, uint32_t target, uint32_t action)
{
    (void)action;
    const struct gen_services *v = &a->w->sc->svc;
    uint32_t host = target - (uint32_t)a->w->sc->ndests;
    bool windows = a->w->hosts[host].os == GEN_OS_WINDOWS;
    struct remote_session rs = {
            .via = windows ? GEN_VIA_RDP : GEN_VIA_SSH,
            .commands = (uint32_t)gen_rng_range(&a->rng, 1, 2 * (uint64_t)v->admin_commands),
            /* Admins type fast and know what they do. */
            .key_gap_ns = 150 * MS,
            .think_ns = 6 * SEC,
            .output = 2000,
    };
    actor_remote(a, target, &rs);
}

static void admin_wake(struct gen_sim *sim, void *actor, uint32_t arg)
{
    (void)arg;
    struct actor *a = actor;
    struct gen_world *w = a->w;
    size_t nservers = w->nhosts - w->nws;
    uint32_t srv = (uint32_t)(w->nws + gen_rng_below(&a->rng, nservers));
    if (srv != a->host)
        actor_resolve(a, target_host(w, srv), 0);
    uint64_t t = actor_next_activity(a, gen_sim_now(sim), w->sc->svc.admin_per_hour);
    if (t != UINT64_MAX)
        (void)gen_sim_wake(sim, t, admin_wake, a, 0);
}

/* ---- the vulnerability scanner ---- */

static void scanner_wake(struct gen_sim *sim, void *actor, uint32_t arg)
{
    (void)arg;
    struct actor *a = actor;
    struct gen_world *w = a->w;
    const struct gen_services *v = &w->sc->svc;
    struct scan_plan plan = {.rate = v->scanner_rate, .end_ns = w->sc->duration_ns};
    for (size_t i = 0; i < w->sc->nsites && plan.ntargets < GEN_SCAN_NETS_MAX; i++) {
        plan.net[plan.ntargets] = w->sc->sites[i].net;
        plan.prefix[plan.ntargets++] = w->sc->sites[i].prefix;
    }
    if (plan.ntargets < GEN_SCAN_NETS_MAX) {
        plan.net[plan.ntargets] = w->sc->dc_net;
        plan.prefix[plan.ntargets++] = w->sc->dc_prefix;
    }
    for (size_t i = 0; i < v->scanner_nports; i++)
        plan.ports[plan.nports++] =
                (struct gen_port_range){v->scanner_ports[i], v->scanner_ports[i]};
    actor_scan(a, &plan);
    uint64_t next = gen_sim_now(sim) + v->scanner_interval_ns;
    if (next < w->sc->duration_ns)
        (void)gen_sim_wake(sim, next, scanner_wake, a, 0);
}

/* ---- building ---- */

size_t gen_benign_actors(const struct gen_world *w)
{
    /* Per host: web, NTP, check-ins, SMB, Kerberos, group policy; per server: backup, admin,
     * scanner. */
    return w->nhosts * (6 + w->sc->ncheckins + 3);
}

static uint32_t find_role(const struct gen_world *w, enum gen_role role)
{
    for (size_t i = w->nws; i < w->nhosts; i++)
        if (w->hosts[i].role == role)
            return (uint32_t)i;
    return UINT32_MAX;
}

int gen_benign_start(struct gen_world *w)
{
    const struct gen_scenario *sc = w->sc;
    const struct gen_services *v = &sc->svc;
    bool any_web = false;
    for (size_t i = 0; i < sc->ndests; i++)
        any_web |= w->web_weights[i] > 0;
    uint32_t backup = find_role(w, GEN_ROLE_BACKUP);
    struct actor *a;
    for (uint32_t h = 0; h < w->nhosts; h++) {
        const struct host *host = &w->hosts[h];
        if (!host->server && any_web && sc->web.visits_per_hour > 0 &&
            (a = actor_new(w, h, &label_web, &label_dns, web_go)) != NULL) {
            uint64_t t = actor_next_activity(a, 0, sc->web.visits_per_hour);
            if (t != UINT64_MAX)
                (void)gen_sim_wake(w->sim, t, web_wake, a, WEB_VISIT);
        }
        if ((host->role != GEN_ROLE_DC || !host->server) &&
            (a = actor_new(w, h, &label_ntp, &label_dns, NULL)) != NULL)
            (void)gen_sim_wake(w->sim, gen_rng_below(&a->rng, sc->ntp_interval_ns), ntp_wake, a, 0);
        for (size_t c = 0; c < sc->ncheckins && !host->server; c++) {
            a = actor_new(w, h, &label_checkin, &label_dns, checkin_go);
            if (a == NULL || gen_rng_unit(&a->rng) >= sc->checkins[c].share)
                continue;
            a->checkin = &sc->checkins[c];
            a->dest = world_find_dest(w, sc->checkins[c].dest);
            (void)gen_sim_wake(w->sim, gen_rng_below(&a->rng, a->checkin->interval_ns),
                               checkin_wake, a, 0);
        }
        if (!host->server && v->smb_per_hour > 0 &&
            (a = actor_new(w, h, &label_smb, &label_dns, smb_go)) != NULL) {
            uint64_t t = actor_next_activity(a, 0, v->smb_per_hour);
            if (t != UINT64_MAX)
                (void)gen_sim_wake(w->sim, t, smb_wake, a, 0);
        }
        if (!host->server && (a = actor_new(w, h, &label_kerberos, &label_dns, NULL)) != NULL) {
            /* Logon: the first activity of the day, an hour's Poisson draw. */
            uint64_t t = actor_next_activity(a, 0, 1.0);
            if (t != UINT64_MAX)
                (void)gen_sim_wake(w->sim, t, krb_wake, a, KRB_LOGON);
            t = actor_next_activity(a, 0, v->tgs_per_hour);
            if (t != UINT64_MAX)
                (void)gen_sim_wake(w->sim, t, krb_wake, a, KRB_TGS);
        }
        if (v->gpo_interval_ns > 0 && !(host->server && host->role == GEN_ROLE_DC) &&
            (a = actor_new(w, h, &label_gpo, &label_dns, gpo_go)) != NULL)
            (void)gen_sim_wake(w->sim, gen_rng_below(&a->rng, v->gpo_interval_ns), gpo_wake, a, 0);
        if (host->server && backup != UINT32_MAX && h != backup &&
            (a = actor_new(w, h, &label_backup, &label_dns, backup_go)) != NULL) {
            a->dest = target_host(w, backup);
            /* Servers start their backups a few minutes apart, as a schedule spreads them. */
            (void)gen_sim_wake(w->sim, v->backup_at_ns + (h - w->nws) * 2 * 60 * SEC, backup_wake,
                               a, 0);
        }
        if (host->server && host->role == GEN_ROLE_JUMP && v->admin_per_hour > 0 &&
            (a = actor_new(w, h, &label_admin, &label_dns, admin_go)) != NULL) {
            uint64_t t = actor_next_activity(a, 0, v->admin_per_hour);
            if (t != UINT64_MAX)
                (void)gen_sim_wake(w->sim, t, admin_wake, a, 0);
        }
        if (host->server && host->role == GEN_ROLE_SCANNER &&
            (a = actor_new(w, h, &label_scanner, &label_dns, NULL)) != NULL)
            (void)gen_sim_wake(w->sim, v->scanner_at_ns, scanner_wake, a, 0);
    }
    return 0;
}
