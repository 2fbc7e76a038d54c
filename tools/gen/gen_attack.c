/*
 * Attacks: each campaign of the scenario is an actor whose flows carry the campaign's labels
 * (malicious, its id, the ATT&CK technique, and for a chain the hop). C2 beaconing, an
 * interactive shell inside SSH or TLS, port and host scans, lateral movement from host to
 * host, and staging then exfiltration. docs/SCENARIOS.md describes their parameters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/gen/gen_actor.h"
#include "tools/gen/gen_script.h"

#define MS  GEN_MS
#define SEC GEN_SEC

/* Labels of a campaign: GEN_CAMPAIGN_LABELS slots. */
enum {
    L_MAIN,     /* the campaign's own flows */
    L_DNS,      /* its lookups */
    L_KERBEROS, /* tickets it asks for */
    L_STAGING,  /* exfil: the reads that gather the data */
    L_VIA,      /* lateral: one per way of moving, L_VIA + via (up to GEN_VIA_SSH) */
};

/* The labels of the actor's campaign. */
static const struct gen_label *labels_of(const struct actor *a)
{
    size_t c = (size_t)(a->campaign - a->w->sc->campaigns);
    return &a->w->campaign_labels[GEN_CAMPAIGN_LABELS * c];
}

/* ---- scans ---- */

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static uint64_t subnet_hosts(uint32_t prefix)
{
    return (1ull << (32 - prefix)) - 2; /* without the network and broadcast addresses */
}

static void probe(struct actor *a, uint32_t ip, uint16_t port)
{
    struct gen_world *w = a->w;
    uint32_t h = world_host_at(w, ip);
    bool exists = h != UINT32_MAX;
    if (!exists)
        h = world_host_near(w, ip); /* an unused address: the path of its subnet */
    if (h == UINT32_MAX || h == a->host)
        return; /* outside the network, or the scanner itself */
    struct gen_flow_params p;
    actor_flow(a, target_host(w, h), 6, 0, port, &p);
    p.syn_probe = true;
    p.syn_retries = 0;
    if (exists) {
        p.listening = host_listens(&w->hosts[h], port);
        p.silent = !p.listening && w->hosts[h].os == GEN_OS_WINDOWS;
    } else {
        p.ep[1].ip = ip;
        if (w->hosts[h].site == w->hosts[a->host].site)
            world_ip_mac(ip, p.ep[1].mac);
        p.silent = true;
    }
    (void)actor_start(a, &p);
}

static void scan_wake(struct gen_sim *sim, void *actor, uint32_t arg)
{
    struct actor *a = actor;
    const struct scan_plan *plan = a->scan;
    uint64_t now = gen_sim_now(sim);
    if (arg != a->scan_gen || a->done >= a->total || now >= plan->end_ns)
        return; /* an older sweep's, or this one is over */
    uint64_t i = (uint64_t)(((unsigned __int128)a->done * a->mul + a->add) % a->total);
    a->done++;
    uint64_t hi = i / a->ports_total, pi = i % a->ports_total;
    uint32_t ip = 0;
    for (size_t t = 0; t < plan->ntargets; t++) {
        uint64_t n = subnet_hosts(plan->prefix[t]);
        if (hi < n) {
            ip = plan->net[t] + 1 + (uint32_t)hi;
            break;
        }
        hi -= n;
    }
    uint16_t port = 0;
    for (size_t r = 0; r < plan->nports; r++) {
        uint64_t n = (uint64_t)plan->ports[r].last - plan->ports[r].first + 1;
        if (pi < n) {
            port = (uint16_t)(plan->ports[r].first + pi);
            break;
        }
        pi -= n;
    }
    probe(a, ip, port);
    uint64_t gap = (uint64_t)gen_rng_jitter(&a->rng, SEC / plan->rate, 0.2) + 1;
    (void)gen_sim_wake(sim, now + gap, scan_wake, a, arg);
}

void actor_scan(struct actor *a, const struct scan_plan *plan)
{
    if (a->scan == NULL && (a->scan = malloc(sizeof *a->scan)) == NULL)
        return; /* out of memory: this sweep is not made */
    *a->scan = *plan;
    a->scan_gen++; /* whatever sweep was under way ends */
    a->hosts_total = 0;
    a->ports_total = 0;
    for (size_t t = 0; t < plan->ntargets; t++)
        a->hosts_total += subnet_hosts(plan->prefix[t]);
    for (size_t r = 0; r < plan->nports; r++)
        a->ports_total += (uint64_t)plan->ports[r].last - plan->ports[r].first + 1;
    a->total = a->hosts_total * a->ports_total;
    a->done = 0;
    if (a->total == 0)
        return;
    /* i -> (i * mul + add) mod total visits every probe once when mul is coprime to total:
     * a random order that needs no memory, as scanners randomise theirs. */
    do
        a->mul = 1 + gen_rng_below(&a->rng, a->total);
    while (gcd(a->mul, a->total) != 1);
    a->add = gen_rng_below(&a->rng, a->total);
    (void)gen_sim_wake(a->w->sim, gen_sim_now(a->w->sim), scan_wake, a, a->scan_gen);
}

static void scan_start(struct gen_sim *sim, void *actor, uint32_t arg)
{
    (void)sim;
    (void)arg;
    struct actor *a = actor;
    const struct gen_campaign *c = a->campaign;
    struct scan_plan plan = {
            .ntargets = c->ntargets, .nports = c->nports, .rate = c->rate, .end_ns = c->end_ns};
    memcpy(plan.net, c->target_net, sizeof c->target_net);
    memcpy(plan.prefix, c->target_prefix, sizeof c->target_prefix);
    memcpy(plan.ports, c->ports, sizeof plan.ports);
    actor_scan(a, &plan);
}

/* ---- C2 beaconing ---- */

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
    actor_tls(a, dest, 443, a->w->hosts[a->host].system_tls, &x, 1,
              (uint64_t)gen_rng_range(&a->rng, 1, 50) * MS);
}

static void beacon_wake(struct gen_sim *sim, void *actor, uint32_t arg)
{
    (void)arg;
    struct actor *a = actor;
    uint64_t now = gen_sim_now(sim);
    actor_resolve(a, a->dest, 0);
    uint64_t next = now + (uint64_t)gen_rng_jitter(&a->rng, (double)a->campaign->interval_ns,
                                                   a->campaign->jitter);
    if (next < a->campaign->end_ns)
        (void)gen_sim_wake(sim, next, beacon_wake, a, 0);
}

/* ---- interactive shells ---- */

static void shell_go(struct actor *a, uint32_t dest, uint32_t action)
{
    (void)action;
    const struct gen_campaign *c = a->campaign;
    struct remote_session rs = {.via = c->via,
                                .commands = c->commands,
                                .key_gap_ns = c->key_gap_ns,
                                .think_ns = c->think_ns,
                                .output = c->output,
                                .reverse = true};
    actor_remote(a, dest, &rs);
}

static void shell_wake(struct gen_sim *sim, void *actor, uint32_t arg)
{
    (void)sim;
    (void)arg;
    struct actor *a = actor;
    actor_resolve(a, a->dest, 0);
}

/* ---- lateral movement ---- */

static const char *const via_technique[GEN_VIA_COUNT] = {
        [GEN_VIA_SMB] = "T1021.002",   /* SMB/Windows Admin Shares (with T1569.002) */
        [GEN_VIA_WINRM] = "T1021.006", /* Windows Remote Management */
        [GEN_VIA_RDP] = "T1021.001",   /* Remote Desktop Protocol */
        [GEN_VIA_SSH] = "T1021.004",   /* SSH */
        [GEN_VIA_TLS] = "T1573.002",   /* Encrypted Channel: Asymmetric Cryptography */
};

/* The service principal a hop's Kerberos ticket is for. */
static const char *const via_service[GEN_VIA_COUNT] = {
        [GEN_VIA_SMB] = "cifs", [GEN_VIA_WINRM] = "HTTP", [GEN_VIA_RDP] = "TERMSRV"};

static void lateral_go(struct actor *a, uint32_t target, uint32_t action)
{
    struct gen_world *w = a->w;
    const struct gen_campaign *c = a->campaign;
    const struct gen_label *labels = labels_of(a);
    uint32_t host = target - (uint32_t)w->sc->ndests;
    enum gen_via via = c->hop_via[action];
    if (via_service[via] != NULL) {
        char sname[2 * GEN_NAME_MAX + 16];
        snprintf(sname, sizeof sname, "%s/%s.%s", via_service[via], w->hosts[host].name,
                 w->sc->domain);
        const struct gen_label *keep = a->label;
        a->label = &labels[L_KERBEROS];
        actor_kerberos(a, sname);
        a->label = keep;
    }
    const struct gen_label *keep = a->label;
    a->label = &labels[L_VIA + via];
    switch (via) {
    case GEN_VIA_SMB: {
        /* PsExec's way: copy the service binary to ADMIN$, then create and start the service
         * over the svcctl pipe. */
        struct smb_plan copy = {.share = "ADMIN$",
                                .write = (uint64_t)gen_rng_lognormal(&a->rng, 400000, 0.4),
                                .linger_ns = (uint64_t)gen_rng_range(&a->rng, 1, 10) * SEC};
        actor_smb(a, host, &copy);
        struct smb_plan svc = {.share = "IPC$",
                               .pipe = true,
                               .rpc = (uint32_t)gen_rng_range(&a->rng, 6, 12),
                               .linger_ns = (uint64_t)gen_rng_range(&a->rng, 1, 10) * SEC};
        actor_smb(a, host, &svc);
        break;
    }
    case GEN_VIA_WINRM:
        actor_winrm(a, host, (uint32_t)gen_rng_range(&a->rng, 4, 12));
        break;
    default: {
        struct remote_session rs = {.via = via,
                                    .commands = (uint32_t)gen_rng_range(&a->rng, 5, 25),
                                    .key_gap_ns = 200 * MS,
                                    .think_ns = 10 * SEC,
                                    .output = 1500};
        actor_remote(a, target, &rs);
        break;
    }
    }
    a->label = keep;
}

static void lateral_wake(struct gen_sim *sim, void *actor, uint32_t arg)
{
    struct actor *a = actor;
    struct gen_world *w = a->w;
    const struct gen_campaign *c = a->campaign;
    /* Hop @arg: from chain[arg] to chain[arg + 1], with the hop number in its labels. */
    a->host = world_find_host(w, c->chain[arg]);
    a->hop = (uint16_t)(arg + 1);
    actor_resolve(a, target_host(w, world_find_host(w, c->chain[arg + 1])), arg);
    /* The attacker settles on the new host a while (the dwell time) before the next hop. */
    uint64_t dwell = (uint64_t)gen_rng_lognormal(&a->rng, (double)c->dwell_ns, 0.3);
    uint64_t next = gen_sim_now(sim) + dwell;
    if (arg + 2 < c->nchain && next < c->end_ns)
        (void)gen_sim_wake(sim, next, lateral_wake, a, arg + 1);
}

/* ---- staging and exfiltration ---- */

enum { EXFIL_STAGE, EXFIL_UPLOAD };

static void exfil_go(struct actor *a, uint32_t target, uint32_t action)
{
    const struct gen_campaign *c = a->campaign;
    const struct gen_label *labels = labels_of(a);
    if (action == EXFIL_STAGE) {
        /* Gather the data from the file servers onto the host (T1039). */
        const struct gen_label *keep = a->label;
        a->label = &labels[L_STAGING];
        struct smb_plan plan = {.share = "data",
                                .read = c->size / (c->nstage ? c->nstage : 1),
                                .linger_ns = (uint64_t)gen_rng_range(&a->rng, 5, 60) * SEC};
        actor_smb(a, target - (uint32_t)a->w->sc->ndests, &plan);
        a->label = keep;
        return;
    }
    /* Upload it compressed and encrypted (an archive of office files shrinks little) in parts
     * of 16 MB, as rclone-like tools send them, over one TLS connection. */
    struct exchange x[48];
    uint64_t left = c->size, part = 16000000;
    while (left / part >= sizeof x / sizeof x[0])
        part *= 2;
    size_t n = 0;
    for (; left > 0 && n < sizeof x / sizeof x[0]; n++) {
        x[n].request = left < part ? left : part;
        x[n].response = gen_rng_range(&a->rng, 200, 600);
        x[n].think_ns = (uint64_t)gen_rng_range(&a->rng, 10, 200) * MS;
        left -= x[n].request;
    }
    actor_tls(a, target, 443, GEN_TLS_CURL, x, n, (uint64_t)gen_rng_range(&a->rng, 1, 5) * SEC);
}

static void exfil_wake(struct gen_sim *sim, void *actor, uint32_t arg)
{
    struct actor *a = actor;
    struct gen_world *w = a->w;
    const struct gen_campaign *c = a->campaign;
    if (arg < c->nstage) {
        actor_resolve(a, target_host(w, world_find_host(w, c->stage_from[arg])), EXFIL_STAGE);
        /* One share after another, a few minutes apart. */
        uint64_t gap = (uint64_t)gen_rng_range(&a->rng, 60, 600) * SEC;
        (void)gen_sim_wake(sim, gen_sim_now(sim) + gap, exfil_wake, a, arg + 1);
        return;
    }
    /* Then the upload, after the dwell time in which the data is packed. */
    if (arg == c->nstage && c->nstage > 0) {
        uint64_t dwell = (uint64_t)gen_rng_lognormal(&a->rng, (double)c->dwell_ns, 0.3);
        (void)gen_sim_wake(sim, gen_sim_now(sim) + dwell, exfil_wake, a, arg + 1);
        return;
    }
    actor_resolve(a, a->dest, EXFIL_UPLOAD);
}

/* ---- building ---- */

size_t gen_attack_actors(const struct gen_world *w)
{
    return w->sc->ncampaigns;
}

static const char *const type_technique[GEN_CAMPAIGN_COUNT] = {
        [GEN_CAMPAIGN_BEACON] = "T1071.001", /* Application Layer Protocol: Web Protocols */
        [GEN_CAMPAIGN_SHELL] = "T1059",      /* Command and Scripting Interpreter */
        [GEN_CAMPAIGN_SCAN] = "T1046",       /* Network Service Discovery */
        [GEN_CAMPAIGN_LATERAL] = "T1021",    /* Remote Services */
        [GEN_CAMPAIGN_EXFIL] = "T1048.002",  /* Exfiltration Over Asymmetric Encrypted
                                              * Non-C2 Protocol */
};

static actor_go_fn *const type_go[GEN_CAMPAIGN_COUNT] = {
        [GEN_CAMPAIGN_BEACON] = beacon_go, [GEN_CAMPAIGN_SHELL] = shell_go,
        [GEN_CAMPAIGN_SCAN] = NULL,        [GEN_CAMPAIGN_LATERAL] = lateral_go,
        [GEN_CAMPAIGN_EXFIL] = exfil_go,
};

static gen_actor_fn *const type_wake[GEN_CAMPAIGN_COUNT] = {
        [GEN_CAMPAIGN_BEACON] = beacon_wake, [GEN_CAMPAIGN_SHELL] = shell_wake,
        [GEN_CAMPAIGN_SCAN] = scan_start,    [GEN_CAMPAIGN_LATERAL] = lateral_wake,
        [GEN_CAMPAIGN_EXFIL] = exfil_wake,
};

int gen_attack_start(struct gen_world *w)
{
    const struct gen_scenario *sc = w->sc;
    for (size_t i = 0; i < sc->ncampaigns; i++) {
        const struct gen_campaign *c = &sc->campaigns[i];
        struct gen_label *l = &w->campaign_labels[GEN_CAMPAIGN_LABELS * i];
        const char *behaviour = gen_campaign_type_name(c->type);
        const char *technique = type_technique[c->type];
        if (c->type == GEN_CAMPAIGN_SHELL && c->via == GEN_VIA_SSH)
            technique = "T1021.004";
        l[L_MAIN] = (struct gen_label){behaviour, technique, c->id, true};
        l[L_DNS] = (struct gen_label){"dns", technique, c->id, true};
        l[L_KERBEROS] = (struct gen_label){"kerberos", technique, c->id, true};
        l[L_STAGING] = (struct gen_label){"staging", "T1039", c->id, true};
        for (int v = 0; v <= GEN_VIA_SSH; v++)
            l[L_VIA + v] = (struct gen_label){behaviour, via_technique[v], c->id, true};
        struct actor *a =
                actor_new(w, world_find_host(w, c->host), &l[L_MAIN], &l[L_DNS], type_go[c->type]);
        if (a == NULL)
            return -ENOMEM;
        a->campaign = c;
        if (c->c2[0] != '\0')
            a->dest = world_find_dest(w, c->c2);
        (void)gen_sim_wake(w->sim, c->start_ns, type_wake[c->type], a, 0);
    }
    return 0;
}
