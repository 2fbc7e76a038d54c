/*
 * Scenario: the YAML file that describes a network and what happens on it, loaded (libcyaml)
 * and checked into typed values. Every problem is reported as "FILE: WHERE: what is wrong",
 * WHERE being the path of the key ("sites[1].internet_rtt"); a scenario loads whole or not at
 * all. docs/SCENARIOS.md describes every key, its default and where its numbers come from.
 */
#ifndef UMBRA_TOOLS_GEN_SCENARIO_H
#define UMBRA_TOOLS_GEN_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GEN_NAME_MAX      64
#define GEN_SITE_NAME_MAX 40 /* so that SITE-N always fits a name */

enum gen_os { GEN_OS_WINDOWS, GEN_OS_MACOS, GEN_OS_LINUX, GEN_OS_COUNT };

enum gen_role {
    GEN_ROLE_DC,      /* domain controller: DNS, Kerberos, LDAP, NTP for the domain */
    GEN_ROLE_FILE,    /* file server: SMB */
    GEN_ROLE_WEB,     /* internal web server: HTTPS */
    GEN_ROLE_DB,      /* database server */
    GEN_ROLE_JUMP,    /* the admins' jump host */
    GEN_ROLE_BACKUP,  /* backup server: the others send it their backups */
    GEN_ROLE_SCANNER, /* the vulnerability scanner */
    GEN_ROLE_COUNT,
};

enum gen_dest_kind { GEN_DEST_WEB, GEN_DEST_CDN, GEN_DEST_SERVICE, GEN_DEST_COUNT };

struct gen_site {
    char name[GEN_NAME_MAX];
    uint32_t net;    /* first address of the subnet */
    uint32_t prefix; /* prefix length */
    uint32_t hosts;  /* workstations */
    double os_share[GEN_OS_COUNT];
    uint64_t dc_rtt_ns;       /* round trip from its hosts to the data centre */
    uint64_t internet_rtt_ns; /* round trip from its hosts to the internet's edge */
    double loss;              /* chance a data segment is lost on its WAN paths */
    uint64_t uplink_bps;
};

struct gen_server {
    char name[GEN_NAME_MAX];
    enum gen_role role;
    enum gen_os os;
};

struct gen_dest {
    char name[GEN_NAME_MAX];
    enum gen_dest_kind kind;
    uint64_t extra_rtt_ns; /* beyond the site's internet_rtt */
    double weight;         /* popularity among destinations of its kind */
    uint32_t ttl_s;        /* its DNS records' TTL */
};

struct gen_web {
    double visits_per_hour; /* per workstation at the busiest hour */
    double pages_per_visit; /* mean */
    uint64_t page_size;     /* median bytes */
    uint64_t asset_size;    /* median bytes */
    double assets_per_page; /* mean */
    uint64_t think_ns;      /* median time between pages */
};

struct gen_checkin {
    char dest[GEN_NAME_MAX]; /* an internet destination */
    uint64_t interval_ns;
    double jitter; /* fraction of the interval */
    double share;  /* fraction of workstations that run it */
    uint64_t request;
    uint64_t response;
};

/* Periodic-or-Poisson services of workstations and servers; 0 rates turn one off. */
struct gen_services {
    double quic_share;        /* of web page loads by QUIC-capable browsers, over HTTP/3 */
    double smb_per_hour;      /* file-server sessions per workstation at the busiest hour */
    uint64_t smb_read;        /* median bytes read in one */
    uint64_t smb_write;       /* median bytes written in one */
    double tgs_per_hour;      /* Kerberos service-ticket requests per workstation */
    uint64_t gpo_interval_ns; /* group-policy refresh: LDAP and SYSVOL reads from a DC */
    uint64_t backup_interval_ns;
    uint64_t backup_at_ns; /* first backup, since the start */
    uint64_t backup_size;  /* median bytes each server sends per backup */
    double admin_per_hour; /* admin sessions from each jump host */
    uint32_t admin_commands;
    uint64_t scanner_at_ns; /* when the vulnerability scanners sweep the sites */
    uint64_t scanner_interval_ns;
    double scanner_rate; /* probes per second */
    uint16_t scanner_ports[32];
    size_t scanner_nports;
};

enum gen_campaign_type {
    GEN_CAMPAIGN_BEACON,  /* C2 check-ins over TLS */
    GEN_CAMPAIGN_SHELL,   /* an interactive shell inside SSH or TLS */
    GEN_CAMPAIGN_SCAN,    /* port and host scans */
    GEN_CAMPAIGN_LATERAL, /* a chain of hosts, each reached from the one before */
    GEN_CAMPAIGN_EXFIL,   /* staging from file servers, then an upload */
    GEN_CAMPAIGN_COUNT
};

/* How a lateral hop or a shell reaches its target. */
enum gen_via { GEN_VIA_SMB, GEN_VIA_WINRM, GEN_VIA_RDP, GEN_VIA_SSH, GEN_VIA_TLS, GEN_VIA_COUNT };

#define GEN_CHAIN_MAX   8
#define GEN_PORTS_MAX   32
#define GEN_TARGETS_MAX 8

/* A port range of a scan: first..last. */
struct gen_port_range {
    uint16_t first, last;
};

struct gen_campaign {
    char id[GEN_NAME_MAX];
    enum gen_campaign_type type;
    char host[GEN_NAME_MAX]; /* the compromised host: "SITE-N" or a server's name */
    char c2[GEN_NAME_MAX];   /* an internet destination (beacon, shell over TLS, exfil) */
    uint64_t start_ns;       /* since the scenario's start */
    uint64_t end_ns;
    uint64_t interval_ns;
    double jitter;
    uint64_t request;
    uint64_t response;
    /* shell */
    enum gen_via via;
    uint32_t commands;
    uint64_t key_gap_ns;
    uint64_t think_ns;
    uint64_t output;
    /* scan */
    uint32_t target_net[GEN_TARGETS_MAX], target_prefix[GEN_TARGETS_MAX];
    size_t ntargets;
    struct gen_port_range ports[GEN_PORTS_MAX];
    size_t nports;
    double rate; /* probes per second */
    /* lateral */
    char chain[GEN_CHAIN_MAX][GEN_NAME_MAX]; /* chain[0] is host */
    enum gen_via hop_via[GEN_CHAIN_MAX - 1];
    size_t nchain;
    uint64_t dwell_ns;
    /* exfil */
    char stage_from[GEN_CHAIN_MAX][GEN_NAME_MAX];
    size_t nstage;
    uint64_t size;
};

#define GEN_SITES_MAX     64
#define GEN_SERVERS_MAX   64
#define GEN_DESTS_MAX     1024
#define GEN_CHECKINS_MAX  16
#define GEN_CAMPAIGNS_MAX 16

struct gen_scenario {
    char name[GEN_NAME_MAX];
    uint64_t seed;
    uint64_t start_unix_ns; /* wall-clock time of the capture's start */
    uint64_t duration_ns;
    char domain[GEN_NAME_MAX];
    uint32_t dc_net, dc_prefix;
    struct gen_site sites[GEN_SITES_MAX];
    size_t nsites;
    struct gen_server servers[GEN_SERVERS_MAX];
    size_t nservers;
    struct gen_dest dests[GEN_DESTS_MAX];
    size_t ndests;
    struct gen_web web;
    uint64_t ntp_interval_ns;
    struct gen_services svc;
    struct gen_checkin checkins[GEN_CHECKINS_MAX];
    size_t ncheckins;
    struct gen_campaign campaigns[GEN_CAMPAIGNS_MAX];
    size_t ncampaigns;
};

/*
 * gen_scenario_load() - read @path into @sc. Returns 0, or -EINVAL with @err (@errcap bytes)
 * saying what is wrong and where; -ENOENT and friends when the file cannot be read.
 */
int gen_scenario_load(const char *path, struct gen_scenario *sc, char *err, size_t errcap);

const char *gen_role_name(enum gen_role role);
const char *gen_os_name(enum gen_os os);
const char *gen_via_name(enum gen_via via);
const char *gen_campaign_type_name(enum gen_campaign_type t);

#endif
