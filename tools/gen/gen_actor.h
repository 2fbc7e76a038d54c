/*
 * Actors: what the world's behaviours share (the world's hosts and destinations, the paths
 * between them, name lookups before connections, TLS conversations, labels). gen_world.c builds
 * the world and does these; gen_benign.c and gen_attack.c make the traffic with them. Private
 * to the generator: nothing outside tools/gen/gen_{world,benign,attack}.c includes it.
 */
#ifndef UMBRA_TOOLS_GEN_ACTOR_H
#define UMBRA_TOOLS_GEN_ACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/gen/gen_scenario.h"
#include "tools/gen/gen_sim.h"
#include "tools/gen/gen_tls.h"

#define GEN_MS        GEN_NS_PER_MS
#define GEN_SEC       GEN_NS_PER_S
#define GEN_DNS_CACHE 8

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
        uint32_t target;
        uint64_t expires;
    } dns[GEN_DNS_CACHE];
    uint32_t dns_next;
    uint32_t smb_sessions; /* SMB session ids it has been given */
};

struct dest {
    uint32_t ip;
    const struct gen_dest *cfg;
    uint8_t hops;
};

/* A sweep of TCP ports over subnets, in a random order, at a rate: a campaign's targets, or
 * every site and the data centre for the vulnerability scanner. */
#define GEN_SCAN_NETS_MAX (GEN_SITES_MAX + 1)
struct scan_plan {
    uint32_t net[GEN_SCAN_NETS_MAX], prefix[GEN_SCAN_NETS_MAX];
    size_t ntargets;
    struct gen_port_range ports[GEN_PORTS_MAX];
    size_t nports;
    double rate;     /* probes per second */
    uint64_t end_ns; /* stop by then */
};

struct actor;
/* What an actor does once a name is resolved: @target as given to actor_resolve(), @action
 * the actor's own. */
typedef void actor_go_fn(struct actor *a, uint32_t target, uint32_t action);

struct actor {
    struct gen_world *w;
    uint32_t host;
    uint32_t id;
    struct gen_rng rng;
    actor_go_fn *go;
    const struct gen_label *label;     /* of its flows */
    const struct gen_label *dns_label; /* of its lookups */
    uint16_t hop;                      /* of its flows: a chain's hop number, else 0 */
    /* per kind */
    uint32_t pages_left;
    uint32_t dest;
    const struct gen_checkin *checkin;
    const struct gen_campaign *campaign;
    uint64_t done, total; /* scans: probes sent and to send; chains: hops made */
    uint64_t mul, add;    /* scans: the order of probes, a permutation of [0, total) */
    uint64_t hosts_total, ports_total;
    uint32_t scan_gen;      /* the sweep under way; a newer one stops the older one's wake-ups */
    struct scan_plan *scan; /* scanners only, allocated by their first sweep */
};

#define GEN_CAMPAIGN_LABELS 8

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
    size_t nactors, actors_cap;
    double *web_weights;               /* per destination: its weight if kind web, else 0 */
    struct gen_label *campaign_labels; /* GEN_CAMPAIGN_LABELS per campaign */
    char (*point_names)[GEN_NAME_MAX];
};

/*
 * Targets of lookups and flows: an internet destination's index (below ndests), or
 * ndests + a host's index for the network's own hosts (looked up as NAME.domain).
 */
static inline uint32_t target_host(const struct gen_world *w, uint32_t host)
{
    return (uint32_t)w->sc->ndests + host;
}

/* actor_new() - a new actor on @host with its own random stream; NULL when the world's room
 * for actors is full (a bug: gen_world sizes it). */
struct actor *actor_new(struct gen_world *w, uint32_t host, const struct gen_label *label,
                        const struct gen_label *dns_label, actor_go_fn *go);

/* actor_next_activity() - the next time of a Poisson process of @per_hour events an hour at
 * the busiest time, thinned by the time of day; UINT64_MAX when past the scenario's end. */
uint64_t actor_next_activity(struct actor *a, uint64_t from, double per_hour);

/* actor_resolve() - a->go(@target, @action) once @target's name is known to the actor's host:
 * at once when cached, else after a DNS query to its domain controller has been answered. */
void actor_resolve(struct actor *a, uint32_t target, uint32_t action);

/*
 * actor_flow() - parameters of a flow from the actor's host to @target: endpoints, the path's
 * delays, loss and rates, the sensor point (the client's), the actor's label and hop; the
 * source port is an ephemeral one of the host's OS unless @sport is given. The caller sets
 * app and app_ctx, then calls actor_start().
 */
void actor_flow(struct actor *a, uint32_t target, uint8_t proto, uint16_t sport, uint16_t dport,
                struct gen_flow_params *p);

/* actor_start() - start @p's flow now; its app_ctx (a script or shell) is freed if it cannot
 * start. Returns 0 or -ENOMEM. */
int actor_start(struct actor *a, const struct gen_flow_params *p);

/* One request and its response in a conversation, in plaintext bytes. */
struct exchange {
    uint64_t request;
    uint64_t response;
    uint64_t think_ns; /* before the request */
};

/* actor_tls() - a TLS 1.3 connection from the actor's host to @target:@port with @profile's
 * hello: the handshake, each exchange, @linger_ns idle and a close_notify with the client's
 * FIN. */
void actor_tls(struct actor *a, uint32_t target, uint16_t port, enum gen_tls_profile profile,
               const struct exchange *x, size_t nx, uint64_t linger_ns);

/* What an SMB session does after NEGOTIATE, SESSION_SETUP and TREE_CONNECT. */
struct smb_plan {
    const char *share; /* "users", "SYSVOL", "ADMIN$", "IPC$" */
    bool pipe;         /* a named-pipe share (IPC$) */
    uint64_t read;     /* file bytes read */
    uint64_t write;    /* file bytes written */
    uint32_t rpc;      /* RPC request/response pairs on the pipe */
    uint64_t linger_ns;
};

/* actor_smb() - an SMB 3.1.1 session (encrypted share) from the actor's host to host @host. */
void actor_smb(struct actor *a, uint32_t host, const struct smb_plan *plan);

/* actor_kerberos() - a Kerberos exchange with the host's domain controller over TCP 88: an
 * AS exchange (a TGT) when @sname is NULL, else a TGS exchange for @sname ("cifs/fs1..."). */
void actor_kerberos(struct actor *a, const char *sname);

/* actor_user() - the account the actor's host acts as ("user7", or "fs1$" for a server). */
void actor_user(const struct actor *a, char *buf, size_t cap);

/* host_listens() - whether @h accepts connections on TCP @port (by its role and OS). */
bool host_listens(const struct host *h, uint16_t port);

/* world_ip_mac() - the MAC address of the interface with address @ip. */
void world_ip_mac(uint32_t ip, uint8_t mac[6]);

/* actor_scan() - probe every port of @plan on every address of its subnets (half-open: SYN,
 * then RST to a SYN-ACK), one probe each 1/rate seconds. Open ports answer by host_listens();
 * Windows hosts drop probes of closed ports (their firewall), others reset them; addresses
 * with no host stay silent. Replaces any scan the actor was making. */
void actor_scan(struct actor *a, const struct scan_plan *plan);

/* An interactive session on a host: SSH to Unix-likes, RDP to Windows. */
struct remote_session {
    enum gen_via via; /* GEN_VIA_SSH or GEN_VIA_RDP */
    uint32_t commands;
    uint64_t key_gap_ns;
    uint64_t think_ns;
    uint64_t output;
    bool reverse; /* the typist is at the server's end (a reverse shell through a tunnel) */
};

/* actor_remote() - an interactive session from the actor's host to @target (an internet
 * destination or target_host()): SSH, RDP or a shell inside TLS, as @rs->via says. */
void actor_remote(struct actor *a, uint32_t target, const struct remote_session *rs);

/* actor_winrm() - PowerShell remoting to host @host: Kerberos over HTTP on 5985, then
 * @exchanges sealed SOAP requests and answers. */
void actor_winrm(struct actor *a, uint32_t host, uint32_t exchanges);

/* actor_quic() - a web visit over HTTP/3 when the browser speaks it and the visit draws QUIC
 * (benign.quic.share). Returns 0 when it went over QUIC, else nonzero (the caller uses TLS). */
int actor_quic(struct actor *a, uint32_t target, enum gen_tls_profile profile,
               const struct exchange *x, size_t nx, uint64_t linger_ns);

/* actor_ldap() - an LDAP session with domain controller @dc: a SASL bind, then @searches
 * sealed searches and their results. */
void actor_ldap(struct actor *a, uint32_t dc, uint32_t searches);

/* actor_target_name() - the name @target is looked up by ("fs1.corp.example"). */
void actor_target_name(const struct gen_world *w, uint32_t target, char *buf, size_t cap);

/* world_find_host() - the index of the host called @name, or UINT32_MAX. */
uint32_t world_find_host(const struct gen_world *w, const char *name);

/* world_find_dest() - the index of internet destination @name, or UINT32_MAX. */
uint32_t world_find_dest(const struct gen_world *w, const char *name);

/* world_host_at() - the index of the host with address @ip, or UINT32_MAX. */
uint32_t world_host_at(const struct gen_world *w, uint32_t ip);

/* world_host_near() - a host on the subnet (a site's or the data centre's) that holds @ip,
 * whose paths a packet to @ip takes; UINT32_MAX when @ip is on none of them. */
uint32_t world_host_near(const struct gen_world *w, uint32_t ip);

/* Behaviours: queue the first wake-ups of every benign actor / of every campaign. */
int gen_benign_start(struct gen_world *w);
int gen_attack_start(struct gen_world *w);

/* How many actors each needs at most, to size the world. */
size_t gen_benign_actors(const struct gen_world *w);
size_t gen_attack_actors(const struct gen_world *w);

#endif
