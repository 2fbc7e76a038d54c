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

#define GEN_NAME_MAX 64

enum gen_os { GEN_OS_WINDOWS, GEN_OS_MACOS, GEN_OS_LINUX, GEN_OS_COUNT };

enum gen_role {
    GEN_ROLE_DC,     /* domain controller: DNS, Kerberos, LDAP, NTP for the domain */
    GEN_ROLE_FILE,   /* file server: SMB */
    GEN_ROLE_WEB,    /* internal web server: HTTPS */
    GEN_ROLE_DB,     /* database server */
    GEN_ROLE_JUMP,   /* the admins' jump host */
    GEN_ROLE_BACKUP, /* backup server */
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

enum gen_campaign_type { GEN_CAMPAIGN_BEACON, GEN_CAMPAIGN_COUNT };

struct gen_campaign {
    char id[GEN_NAME_MAX];
    enum gen_campaign_type type;
    char host[GEN_NAME_MAX]; /* the compromised workstation, "SITE-N" */
    char c2[GEN_NAME_MAX];   /* an internet destination */
    uint64_t start_ns;       /* since the scenario's start */
    uint64_t end_ns;
    uint64_t interval_ns;
    double jitter;
    uint64_t request;
    uint64_t response;
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

#endif
