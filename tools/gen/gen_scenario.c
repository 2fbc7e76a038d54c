/*
 * Scenario loading. libcyaml reads the YAML shape (which keys, which are sequences) into
 * strings; this file turns each string into its typed value with the key's path in any error,
 * so that "sites[1].dc_rtt: expected a duration like 25ms, got 'fast'" says exactly what to fix.
 */
#include "tools/gen/gen_scenario.h"

#include <cyaml/cyaml.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/config.h"

/* ---- the YAML shape: every scalar a string, checked below ---- */

struct y_os {
    char *windows, *macos, *linux_;
};
struct y_site {
    char *name, *subnet, *hosts, *dc_rtt, *internet_rtt, *loss, *uplink;
    struct y_os *os;
};
struct y_server {
    char *name, *role, *os;
};
struct y_dc {
    char *subnet;
    struct y_server *servers;
    unsigned servers_count;
};
struct y_dest {
    char *name, *kind, *rtt, *weight, *ttl;
};
struct y_web {
    char *visits_per_hour, *pages_per_visit, *page_size, *asset_size, *assets_per_page, *think;
};
struct y_ntp {
    char *interval;
};
struct y_checkin {
    char *dest, *interval, *jitter, *share, *request, *response;
};
struct y_quic {
    char *share;
};
struct y_smb {
    char *sessions_per_hour, *read, *write;
};
struct y_krb {
    char *tgs_per_hour, *gpo_interval;
};
struct y_backup {
    char *at, *interval, *size;
};
struct y_admin {
    char *sessions_per_hour, *commands;
};
struct y_scanner {
    char *at, *interval, *rate;
    char **ports;
    unsigned ports_count;
};
struct y_benign {
    struct y_web *web;
    struct y_ntp *ntp;
    struct y_checkin *checkins;
    unsigned checkins_count;
    struct y_quic *quic;
    struct y_smb *smb;
    struct y_krb *kerberos;
    struct y_backup *backup;
    struct y_admin *admin;
    struct y_scanner *scanner;
};
struct y_campaign {
    char *id, *type, *host, *c2, *start, *end, *interval, *jitter, *request, *response;
    char *via, *commands, *key_gap, *think, *output, *rate, *dwell, *size;
    char **targets, **ports, **chain, **hops, **stage_from;
    unsigned targets_count, ports_count, chain_count, hops_count, stage_from_count;
};
struct y_top {
    char *name, *seed, *start, *duration, *domain;
    struct y_dc *datacenter;
    struct y_site *sites;
    unsigned sites_count;
    struct y_dest *internet;
    unsigned internet_count;
    struct y_benign *benign;
    struct y_campaign *campaigns;
    unsigned campaigns_count;
};

#define STR(key, type, member)                                                                     \
    CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, type, member, 0, 255)
#define MAP(key, type, member, fields)                                                             \
    CYAML_FIELD_MAPPING_PTR(key, CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, type, member, fields)
#define LIST(key, type, member, max)                                                               \
    CYAML_FIELD_SEQUENCE(key, CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, type, member, &str_entry,  \
                         0, max)

static const cyaml_schema_value_t str_entry = {
        CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, 255),
};

static const cyaml_schema_field_t os_fields[] = {
        STR("windows", struct y_os, windows),
        STR("macos", struct y_os, macos),
        STR("linux", struct y_os, linux_),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t site_fields[] = {
        STR("name", struct y_site, name),
        STR("subnet", struct y_site, subnet),
        STR("hosts", struct y_site, hosts),
        STR("dc_rtt", struct y_site, dc_rtt),
        STR("internet_rtt", struct y_site, internet_rtt),
        STR("loss", struct y_site, loss),
        STR("uplink", struct y_site, uplink),
        CYAML_FIELD_MAPPING_PTR("os", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct y_site, os,
                                os_fields),
        CYAML_FIELD_END,
};
static const cyaml_schema_value_t site_schema = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_site, site_fields),
};
static const cyaml_schema_field_t server_fields[] = {
        STR("name", struct y_server, name),
        STR("role", struct y_server, role),
        STR("os", struct y_server, os),
        CYAML_FIELD_END,
};
static const cyaml_schema_value_t server_schema = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_server, server_fields),
};
static const cyaml_schema_field_t dc_fields[] = {
        STR("subnet", struct y_dc, subnet),
        CYAML_FIELD_SEQUENCE("servers", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct y_dc,
                             servers, &server_schema, 0, GEN_SERVERS_MAX),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t dest_fields[] = {
        STR("name", struct y_dest, name), STR("kind", struct y_dest, kind),
        STR("rtt", struct y_dest, rtt),   STR("weight", struct y_dest, weight),
        STR("ttl", struct y_dest, ttl),   CYAML_FIELD_END,
};
static const cyaml_schema_value_t dest_schema = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_dest, dest_fields),
};
static const cyaml_schema_field_t web_fields[] = {
        STR("visits_per_hour", struct y_web, visits_per_hour),
        STR("pages_per_visit", struct y_web, pages_per_visit),
        STR("page_size", struct y_web, page_size),
        STR("asset_size", struct y_web, asset_size),
        STR("assets_per_page", struct y_web, assets_per_page),
        STR("think", struct y_web, think),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t ntp_fields[] = {
        STR("interval", struct y_ntp, interval),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t checkin_fields[] = {
        STR("dest", struct y_checkin, dest),
        STR("interval", struct y_checkin, interval),
        STR("jitter", struct y_checkin, jitter),
        STR("share", struct y_checkin, share),
        STR("request", struct y_checkin, request),
        STR("response", struct y_checkin, response),
        CYAML_FIELD_END,
};
static const cyaml_schema_value_t checkin_schema = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_checkin, checkin_fields),
};
static const cyaml_schema_field_t quic_fields[] = {
        STR("share", struct y_quic, share),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t smb_fields[] = {
        STR("sessions_per_hour", struct y_smb, sessions_per_hour),
        STR("read", struct y_smb, read),
        STR("write", struct y_smb, write),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t krb_fields[] = {
        STR("tgs_per_hour", struct y_krb, tgs_per_hour),
        STR("gpo_interval", struct y_krb, gpo_interval),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t backup_fields[] = {
        STR("at", struct y_backup, at),
        STR("interval", struct y_backup, interval),
        STR("size", struct y_backup, size),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t admin_fields[] = {
        STR("sessions_per_hour", struct y_admin, sessions_per_hour),
        STR("commands", struct y_admin, commands),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t scanner_fields[] = {
        STR("at", struct y_scanner, at),
        STR("interval", struct y_scanner, interval),
        STR("rate", struct y_scanner, rate),
        LIST("ports", struct y_scanner, ports, GEN_PORTS_MAX),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t benign_fields[] = {
        CYAML_FIELD_MAPPING_PTR("web", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct y_benign,
                                web, web_fields),
        CYAML_FIELD_MAPPING_PTR("ntp", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct y_benign,
                                ntp, ntp_fields),
        CYAML_FIELD_SEQUENCE("checkins", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct y_benign,
                             checkins, &checkin_schema, 0, GEN_CHECKINS_MAX),
        MAP("quic", struct y_benign, quic, quic_fields),
        MAP("smb", struct y_benign, smb, smb_fields),
        MAP("kerberos", struct y_benign, kerberos, krb_fields),
        MAP("backup", struct y_benign, backup, backup_fields),
        MAP("admin", struct y_benign, admin, admin_fields),
        MAP("scanner", struct y_benign, scanner, scanner_fields),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t campaign_fields[] = {
        STR("id", struct y_campaign, id),
        STR("type", struct y_campaign, type),
        STR("host", struct y_campaign, host),
        STR("c2", struct y_campaign, c2),
        STR("start", struct y_campaign, start),
        STR("end", struct y_campaign, end),
        STR("interval", struct y_campaign, interval),
        STR("jitter", struct y_campaign, jitter),
        STR("request", struct y_campaign, request),
        STR("response", struct y_campaign, response),
        STR("via", struct y_campaign, via),
        STR("commands", struct y_campaign, commands),
        STR("key_gap", struct y_campaign, key_gap),
        STR("think", struct y_campaign, think),
        STR("output", struct y_campaign, output),
        STR("rate", struct y_campaign, rate),
        STR("dwell", struct y_campaign, dwell),
        STR("size", struct y_campaign, size),
        LIST("targets", struct y_campaign, targets, GEN_TARGETS_MAX),
        LIST("ports", struct y_campaign, ports, GEN_PORTS_MAX),
        LIST("chain", struct y_campaign, chain, GEN_CHAIN_MAX),
        LIST("hops", struct y_campaign, hops, GEN_CHAIN_MAX - 1),
        LIST("stage_from", struct y_campaign, stage_from, GEN_CHAIN_MAX),
        CYAML_FIELD_END,
};
static const cyaml_schema_value_t campaign_schema = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_campaign, campaign_fields),
};
static const cyaml_schema_field_t top_fields[] = {
        STR("name", struct y_top, name),
        STR("seed", struct y_top, seed),
        STR("start", struct y_top, start),
        STR("duration", struct y_top, duration),
        STR("domain", struct y_top, domain),
        CYAML_FIELD_MAPPING_PTR("datacenter", CYAML_FLAG_POINTER, struct y_top, datacenter,
                                dc_fields),
        CYAML_FIELD_SEQUENCE("sites", CYAML_FLAG_POINTER, struct y_top, sites, &site_schema, 1,
                             GEN_SITES_MAX),
        CYAML_FIELD_SEQUENCE("internet", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct y_top,
                             internet, &dest_schema, 0, GEN_DESTS_MAX),
        CYAML_FIELD_MAPPING_PTR("benign", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct y_top,
                                benign, benign_fields),
        CYAML_FIELD_SEQUENCE("campaigns", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct y_top,
                             campaigns, &campaign_schema, 0, GEN_CAMPAIGNS_MAX),
        CYAML_FIELD_END,
};
static const cyaml_schema_value_t top_schema = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct y_top, top_fields),
};

/* ---- errors ---- */

struct ld {
    const char *path;
    char *err;
    size_t cap;
    bool failed;
    char cyaml_msg[512]; /* libcyaml's last error line */
};

static void fail(struct ld *ld, const char *where, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void fail(struct ld *ld, const char *where, const char *fmt, ...)
{
    if (ld->failed)
        return; /* the first problem is the one to fix */
    ld->failed = true;
    int n = snprintf(ld->err, ld->cap, "%s: %s: ", ld->path, where);
    if (n < 0 || (size_t)n >= ld->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->err + n, ld->cap - (size_t)n, fmt, ap);
    va_end(ap);
}

static void on_cyaml_log(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
    struct ld *ld = ctx;
    if (level < CYAML_LOG_ERROR)
        return;
    /* libcyaml reports an error over several calls ("Load: Unexpected key: x", then the
     * backtrace with line numbers); keep them joined on one line. */
    size_t used = strlen(ld->cyaml_msg);
    if (used + 2 >= sizeof ld->cyaml_msg)
        return;
    char line[256];
    vsnprintf(line, sizeof line, fmt, args);
    for (char *p = line; *p; p++)
        if (*p == '\n')
            *p = ' ';
    snprintf(ld->cyaml_msg + used, sizeof ld->cyaml_msg - used, "%s", line);
}

/* ---- scalars ---- */

static void where(char *buf, size_t cap, const char *sect, long idx, const char *key)
{
    if (idx >= 0)
        snprintf(buf, cap, "%s[%ld].%s", sect, idx, key);
    else if (sect != NULL)
        snprintf(buf, cap, "%s.%s", sect, key);
    else
        snprintf(buf, cap, "%s", key);
}

static void get_dur(struct ld *ld, const char *w, const char *s, uint64_t def, uint64_t *out)
{
    *out = def;
    if (s != NULL && config_parse_duration(s, out) != 0)
        fail(ld, w, "expected a duration like 250ms, 30s or 2h, got '%s'", s);
}

static void get_size(struct ld *ld, const char *w, const char *s, uint64_t def, uint64_t *out)
{
    *out = def;
    if (s != NULL && config_parse_size(s, out) != 0)
        fail(ld, w, "expected a size like 1500, 40kB or 2MiB, got '%s'", s);
}

static void get_num(struct ld *ld, const char *w, const char *s, double def, double lo, double hi,
                    double *out)
{
    *out = def;
    if (s == NULL)
        return;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0)
        fail(ld, w, "expected a number, got '%s'", s);
    else if (v < lo || v > hi)
        fail(ld, w, "%s is out of range [%g, %g]", s, lo, hi);
    else
        *out = v;
}

static void get_uint(struct ld *ld, const char *w, const char *s, uint64_t def, uint64_t lo,
                     uint64_t hi, uint64_t *out)
{
    *out = def;
    if (s == NULL)
        return;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || s[0] == '-')
        fail(ld, w, "expected a whole number, got '%s'", s);
    else if (v < lo || v > hi)
        fail(ld, w, "%s is out of range [%llu, %llu]", s, (unsigned long long)lo,
             (unsigned long long)hi);
    else
        *out = v;
}

static void get_name(struct ld *ld, const char *w, const char *s, const char *def, char *out)
{
    if (s == NULL)
        s = def;
    if (s == NULL) {
        fail(ld, w, "missing");
        return;
    }
    size_t n = strlen(s);
    if (n == 0 || n >= GEN_NAME_MAX) {
        fail(ld, w, "must be 1 to %d characters, got '%s'", GEN_NAME_MAX - 1, s);
        return;
    }
    memcpy(out, s, n + 1);
}

/* "100Mbit", "1Gbit", "512kbit": link rates in bits per second (powers of 1000). */
static void get_rate(struct ld *ld, const char *w, const char *s, uint64_t def, uint64_t *out)
{
    *out = def;
    if (s == NULL)
        return;
    char *end;
    double v = strtod(s, &end);
    double mult = 0;
    if (strcmp(end, "bit") == 0)
        mult = 1;
    else if (strcmp(end, "kbit") == 0)
        mult = 1e3;
    else if (strcmp(end, "Mbit") == 0)
        mult = 1e6;
    else if (strcmp(end, "Gbit") == 0)
        mult = 1e9;
    if (end == s || mult == 0 || v <= 0 || v * mult < 1e3 || v * mult > 1e12)
        fail(ld, w, "expected a rate from 1kbit to 1000Gbit like 100Mbit, got '%s'", s);
    else
        *out = (uint64_t)(v * mult);
}

/* "10.1.0.0/24": the network (host bits must be zero) and its prefix length, 8 to 30. */
static void get_subnet(struct ld *ld, const char *w, const char *s, uint32_t *net, uint32_t *pfx)
{
    unsigned a, b, c, d, p;
    char tail;
    if (s == NULL) {
        fail(ld, w, "missing");
        return;
    }
    if (sscanf(s, "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &p, &tail) != 5 || a > 255 || b > 255 ||
        c > 255 || d > 255 || p < 8 || p > 30) {
        fail(ld, w, "expected an IPv4 subnet from /8 to /30 like 10.1.0.0/24, got '%s'", s);
        return;
    }
    uint32_t ip = a << 24 | b << 16 | c << 8 | d;
    uint32_t mask = ~0u << (32 - p);
    if (ip & ~mask) {
        fail(ld, w, "'%s' has host bits set (the network is %u.%u.%u.%u/%u)", s, (ip & mask) >> 24,
             (ip & mask) >> 16 & 255, (ip & mask) >> 8 & 255, ip & mask & 255, p);
        return;
    }
    *net = ip;
    *pfx = p;
}

static int lookup(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (s != NULL && strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static const char *const role_names[GEN_ROLE_COUNT] = {"dc",   "file",   "web",    "db",
                                                       "jump", "backup", "scanner"};
static const char *const os_names[GEN_OS_COUNT] = {"windows", "macos", "linux"};
static const char *const kind_names[GEN_DEST_COUNT] = {"web", "cdn", "service"};
static const char *const campaign_names[GEN_CAMPAIGN_COUNT] = {"beacon", "shell", "scan", "lateral",
                                                               "exfil"};
static const char *const via_names[GEN_VIA_COUNT] = {"smb", "winrm", "rdp", "ssh", "tls"};

const char *gen_via_name(enum gen_via via)
{
    return via < GEN_VIA_COUNT ? via_names[via] : "?";
}

const char *gen_campaign_type_name(enum gen_campaign_type t)
{
    return t < GEN_CAMPAIGN_COUNT ? campaign_names[t] : "?";
}

const char *gen_role_name(enum gen_role role)
{
    return role < GEN_ROLE_COUNT ? role_names[role] : "?";
}

const char *gen_os_name(enum gen_os os)
{
    return os < GEN_OS_COUNT ? os_names[os] : "?";
}

static int get_enum(struct ld *ld, const char *w, const char *s, const char *const *names, int n,
                    int def)
{
    if (s == NULL)
        return def;
    int v = lookup(s, names, n);
    if (v < 0) {
        char list[256] = "";
        for (int i = 0; i < n; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     names[i]);
        fail(ld, w, "expected one of %s, got '%s'", list, s);
        return def;
    }
    return v;
}

/* "2026-03-02T08:00:00Z" */
static void get_time(struct ld *ld, const char *w, const char *s, uint64_t *out)
{
    int y, mo, d, h, mi, sec;
    char z, tail;
    if (s == NULL) {
        *out = 1772438400ull * 1000000000ull; /* 2026-03-02T08:00:00Z, a Monday */
        return;
    }
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%c", &y, &mo, &d, &h, &mi, &sec, &z, &tail) != 7 ||
        z != 'Z' || y < 1970 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
        mi > 59 || sec > 59) {
        fail(ld, w, "expected a UTC time like 2026-03-02T08:00:00Z, got '%s'", s);
        return;
    }
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec};
    *out = (uint64_t)timegm(&tm) * 1000000000ull;
}

/* "445" or "1-1024". */
static void get_ports(struct ld *ld, const char *w, const char *s, struct gen_port_range *r)
{
    unsigned a, b;
    char tail;
    int n = sscanf(s, "%u-%u%c", &a, &b, &tail);
    if (n == 1 && strchr(s, '-') == NULL)
        b = a;
    else if (n != 2)
        a = 0;
    if (a < 1 || a > 65535 || b < a || b > 65535) {
        fail(ld, w, "expected a port like 445 or a range like 1-1024, got '%s'", s);
        return;
    }
    r->first = (uint16_t)a;
    r->last = (uint16_t)b;
}

static void get_name_list(struct ld *ld, const char *sect, long i, const char *key, char *const *ys,
                          unsigned n, char (*out)[GEN_NAME_MAX], size_t *nout)
{
    char w[96], k[48];
    for (unsigned j = 0; j < n; j++) {
        snprintf(k, sizeof k, "%s[%u]", key, j);
        where(w, sizeof w, sect, i, k);
        get_name(ld, w, ys[j], NULL, out[j]);
    }
    *nout = n;
}

/* ---- sections ---- */

static void load_site(struct ld *ld, const struct y_site *y, long i, struct gen_site *s)
{
    char w[96];
#define W(key) (where(w, sizeof w, "sites", i, key), w)
    get_name(ld, W("name"), y->name, NULL, s->name);
    /* Workstations are called SITE-N; "datacenter" is the data centre's sensor point. */
    if (!ld->failed && strlen(s->name) > GEN_SITE_NAME_MAX)
        fail(ld, W("name"), "must be at most %d characters, got '%s'", GEN_SITE_NAME_MAX, s->name);
    if (!ld->failed && strcmp(s->name, "datacenter") == 0)
        fail(ld, W("name"), "'datacenter' is the data centre's own sensor point");
    get_subnet(ld, W("subnet"), y->subnet, &s->net, &s->prefix);
    uint64_t hosts;
    /* Workstation N is the network + 9 + N, the last below the broadcast address. */
    uint64_t size = 1ull << (32 - s->prefix), room = size > 11 ? size - 11 : 0;
    if (!ld->failed && room == 0)
        fail(ld, W("subnet"), "/%u leaves no room for workstations (they start at .10)", s->prefix);
    get_uint(ld, W("hosts"), y->hosts, room < 10 ? room : 10, 1, room, &hosts);
    s->hosts = (uint32_t)hosts;
    get_dur(ld, W("dc_rtt"), y->dc_rtt, 20 * 1000000ull, &s->dc_rtt_ns);
    get_dur(ld, W("internet_rtt"), y->internet_rtt, 30 * 1000000ull, &s->internet_rtt_ns);
    get_num(ld, W("loss"), y->loss, 0.001, 0, 0.2, &s->loss);
    get_rate(ld, W("uplink"), y->uplink, 100000000ull, &s->uplink_bps);
    /* Shares of a typical enterprise desktop fleet: most Windows, some Macs, few Linux. */
    const struct y_os none = {0};
    const struct y_os *os = y->os ? y->os : &none;
    get_num(ld, W("os.windows"), os->windows, y->os ? 0 : 0.85, 0, 1, &s->os_share[GEN_OS_WINDOWS]);
    get_num(ld, W("os.macos"), os->macos, y->os ? 0 : 0.10, 0, 1, &s->os_share[GEN_OS_MACOS]);
    get_num(ld, W("os.linux"), os->linux_, y->os ? 0 : 0.05, 0, 1, &s->os_share[GEN_OS_LINUX]);
    if (!ld->failed && s->os_share[0] + s->os_share[1] + s->os_share[2] <= 0)
        fail(ld, W("os"), "at least one share must be above 0");
#undef W
}

/* The services of benign.*: defaults and their sources are in docs/SCENARIOS.md. */
static void load_services(struct ld *ld, const struct y_benign *b, struct gen_services *v)
{
    const uint64_t S = 1000000000ull;
    const struct y_quic noq = {0};
    const struct y_smb nos = {0};
    const struct y_krb nok = {0};
    const struct y_backup nob = {0};
    const struct y_admin noa = {0};
    const struct y_scanner nosc = {0};
    const struct y_quic *q = b->quic ? b->quic : &noq;
    const struct y_smb *smb = b->smb ? b->smb : &nos;
    const struct y_krb *k = b->kerberos ? b->kerberos : &nok;
    const struct y_backup *bk = b->backup ? b->backup : &nob;
    const struct y_admin *ad = b->admin ? b->admin : &noa;
    const struct y_scanner *scn = b->scanner ? b->scanner : &nosc;
    get_num(ld, "benign.quic.share", q->share, 0.3, 0, 1, &v->quic_share);
    get_num(ld, "benign.smb.sessions_per_hour", smb->sessions_per_hour, 4, 0, 3600,
            &v->smb_per_hour);
    get_size(ld, "benign.smb.read", smb->read, 2000000, &v->smb_read);
    get_size(ld, "benign.smb.write", smb->write, 200000, &v->smb_write);
    get_num(ld, "benign.kerberos.tgs_per_hour", k->tgs_per_hour, 6, 0, 3600, &v->tgs_per_hour);
    get_dur(ld, "benign.kerberos.gpo_interval", k->gpo_interval, 90 * 60 * S, &v->gpo_interval_ns);
    if (!ld->failed && v->gpo_interval_ns != 0 && v->gpo_interval_ns < 60 * S)
        fail(ld, "benign.kerberos.gpo_interval", "must be 0 (off) or at least 1m");
    get_dur(ld, "benign.backup.at", bk->at, 3600 * S, &v->backup_at_ns);
    get_dur(ld, "benign.backup.interval", bk->interval, 86400 * S, &v->backup_interval_ns);
    if (!ld->failed && v->backup_interval_ns < 60 * S)
        fail(ld, "benign.backup.interval", "must be at least 1m");
    get_size(ld, "benign.backup.size", bk->size, 200000000, &v->backup_size);
    get_num(ld, "benign.admin.sessions_per_hour", ad->sessions_per_hour, 2, 0, 3600,
            &v->admin_per_hour);
    uint64_t cmds;
    get_uint(ld, "benign.admin.commands", ad->commands, 12, 1, 10000, &cmds);
    v->admin_commands = (uint32_t)cmds;
    get_dur(ld, "benign.scanner.at", scn->at, 2 * 3600 * S, &v->scanner_at_ns);
    get_dur(ld, "benign.scanner.interval", scn->interval, 86400 * S, &v->scanner_interval_ns);
    if (!ld->failed && v->scanner_interval_ns < 60 * S)
        fail(ld, "benign.scanner.interval", "must be at least 1m");
    get_num(ld, "benign.scanner.rate", scn->rate, 50, 0.001, 1e6, &v->scanner_rate);
    /* A credentialed scanner's discovery ports: remote access, web, Windows and databases. */
    static const uint16_t def_ports[] = {21,  22,  23,   25,   53,   80,   135,  139,
                                         443, 445, 1433, 3306, 3389, 5432, 5985, 8080};
    if (scn->ports_count == 0) {
        v->scanner_nports = sizeof def_ports / sizeof def_ports[0];
        memcpy(v->scanner_ports, def_ports, sizeof def_ports);
    }
    for (unsigned i = 0; i < scn->ports_count; i++) {
        char w[64];
        uint64_t port;
        snprintf(w, sizeof w, "benign.scanner.ports[%u]", i);
        get_uint(ld, w, scn->ports[i], 0, 1, 65535, &port);
        v->scanner_ports[v->scanner_nports++] = (uint16_t)port;
    }
}

static void load_campaign(struct ld *ld, const struct y_campaign *yc, long i,
                          const struct gen_scenario *sc, struct gen_campaign *c)
{
    const uint64_t S = 1000000000ull;
    char w[96];
#define W(key) (where(w, sizeof w, "campaigns", i, key), w)
    get_name(ld, W("id"), yc->id, NULL, c->id);
    if (yc->type == NULL)
        fail(ld, W("type"), "missing");
    c->type = (enum gen_campaign_type)get_enum(ld, W("type"), yc->type, campaign_names,
                                               GEN_CAMPAIGN_COUNT, 0);
    /* Who acts: the host, or the chain's first host. */
    if (c->type == GEN_CAMPAIGN_LATERAL) {
        if (yc->chain_count < 2)
            fail(ld, W("chain"), "a lateral movement needs at least two hosts");
        get_name_list(ld, "campaigns", i, "chain", yc->chain, yc->chain_count, c->chain,
                      &c->nchain);
        if (!ld->failed)
            memcpy(c->host, c->chain[0], GEN_NAME_MAX);
    } else {
        get_name(ld, W("host"), yc->host, NULL, c->host);
    }
    bool needs_c2 = c->type == GEN_CAMPAIGN_BEACON || c->type == GEN_CAMPAIGN_EXFIL ||
                    c->type == GEN_CAMPAIGN_SHELL;
    if (needs_c2)
        get_name(ld, W("c2"), yc->c2, NULL, c->c2);
    else if (yc->c2 != NULL)
        fail(ld, W("c2"), "a %s campaign has no c2", campaign_names[c->type]);
    get_dur(ld, W("start"), yc->start, 0, &c->start_ns);
    get_dur(ld, W("end"), yc->end, sc->duration_ns, &c->end_ns);
    if (!ld->failed && c->end_ns <= c->start_ns)
        fail(ld, W("end"), "must be after start");
    get_dur(ld, W("interval"), yc->interval, 60 * S, &c->interval_ns);
    if (!ld->failed && c->interval_ns < S / 10)
        fail(ld, W("interval"), "must be at least 100ms");
    get_num(ld, W("jitter"), yc->jitter, 0.1, 0, 0.9, &c->jitter);
    get_size(ld, W("request"), yc->request, 300, &c->request);
    get_size(ld, W("response"), yc->response, 150, &c->response);
    /* shell */
    c->via = (enum gen_via)get_enum(ld, W("via"), yc->via, via_names, GEN_VIA_COUNT,
                                    c->type == GEN_CAMPAIGN_SHELL ? GEN_VIA_SSH : GEN_VIA_SMB);
    if (!ld->failed && c->type == GEN_CAMPAIGN_SHELL && c->via != GEN_VIA_SSH &&
        c->via != GEN_VIA_TLS)
        fail(ld, W("via"), "a shell runs over ssh or tls, got '%s'", yc->via);
    uint64_t cmds;
    get_uint(ld, W("commands"), yc->commands, 20, 1, 100000, &cmds);
    c->commands = (uint32_t)cmds;
    get_dur(ld, W("key_gap"), yc->key_gap, 200 * 1000000ull, &c->key_gap_ns);
    if (!ld->failed && c->key_gap_ns < 1000000ull)
        fail(ld, W("key_gap"), "must be at least 1ms");
    get_dur(ld, W("think"), yc->think, 8 * S, &c->think_ns);
    get_size(ld, W("output"), yc->output, 1500, &c->output);
    /* scan */
    for (unsigned j = 0; j < yc->targets_count; j++) {
        char k[32];
        snprintf(k, sizeof k, "targets[%u]", j);
        get_subnet(ld, W(k), yc->targets[j], &c->target_net[j], &c->target_prefix[j]);
    }
    c->ntargets = yc->targets_count;
    for (unsigned j = 0; j < yc->ports_count; j++) {
        char k[32];
        snprintf(k, sizeof k, "ports[%u]", j);
        get_ports(ld, W(k), yc->ports[j], &c->ports[j]);
    }
    c->nports = yc->ports_count;
    if (!ld->failed && c->type == GEN_CAMPAIGN_SCAN && (c->ntargets == 0 || c->nports == 0))
        fail(ld, W(c->ntargets == 0 ? "targets" : "ports"), "a scan needs targets and ports");
    get_num(ld, W("rate"), yc->rate, 10, 0.001, 1e6, &c->rate);
    /* lateral: one way for every hop, or one per hop */
    size_t hops = c->nchain > 1 ? c->nchain - 1 : 0;
    if (!ld->failed && yc->hops_count > 1 && yc->hops_count != hops)
        fail(ld, W("hops"), "give one way for every hop or one per hop (%zu), not %u", hops,
             yc->hops_count);
    for (size_t j = 0; j < hops && !ld->failed; j++) {
        char k[32];
        snprintf(k, sizeof k, "hops[%zu]", yc->hops_count > 1 ? j : 0);
        const char *v = yc->hops_count == 0 ? NULL : yc->hops[yc->hops_count > 1 ? j : 0];
        c->hop_via[j] = (enum gen_via)get_enum(ld, W(k), v, via_names, GEN_VIA_COUNT, GEN_VIA_SMB);
        if (!ld->failed && c->hop_via[j] == GEN_VIA_TLS)
            fail(ld, W(k), "a hop goes over smb, winrm, rdp or ssh");
    }
    get_dur(ld, W("dwell"), yc->dwell, 15 * 60 * S, &c->dwell_ns);
    /* exfil */
    get_name_list(ld, "campaigns", i, "stage_from", yc->stage_from, yc->stage_from_count,
                  c->stage_from, &c->nstage);
    get_size(ld, W("size"), yc->size, 100000000, &c->size);
#undef W
}

/* The host called @name: a workstation "SITE-N" (N from 1 to the site's hosts) or a server. */
static bool host_exists(const struct gen_scenario *sc, const char *name, bool servers)
{
    for (size_t k = 0; k < sc->nservers && servers; k++)
        if (strcmp(sc->servers[k].name, name) == 0)
            return true;
    const char *dash = strrchr(name, '-');
    if (dash == NULL)
        return false;
    char *end;
    unsigned long n = strtoul(dash + 1, &end, 10);
    for (size_t k = 0; k < sc->nsites; k++)
        if (strlen(sc->sites[k].name) == (size_t)(dash - name) &&
            strncmp(sc->sites[k].name, name, (size_t)(dash - name)) == 0 && *end == '\0' &&
            n >= 1 && n <= sc->sites[k].hosts)
            return true;
    return false;
}

static bool dest_exists(const struct gen_scenario *sc, const char *name)
{
    for (size_t j = 0; j < sc->ndests; j++)
        if (strcmp(sc->dests[j].name, name) == 0)
            return true;
    return false;
}

static void load_top(struct ld *ld, const struct y_top *y, struct gen_scenario *sc)
{
    char w[96];
    get_name(ld, "name", y->name, "scenario", sc->name);
    get_uint(ld, "seed", y->seed, 1, 0, UINT64_MAX, &sc->seed);
    get_time(ld, "start", y->start, &sc->start_unix_ns);
    get_dur(ld, "duration", y->duration, 600 * 1000000000ull, &sc->duration_ns);
    if (!ld->failed && (sc->duration_ns == 0 || sc->duration_ns > 366 * 86400 * 1000000000ull))
        fail(ld, "duration", "must be above 0 and at most 366d");
    get_name(ld, "domain", y->domain, "corp.example", sc->domain);

    get_subnet(ld, "datacenter.subnet", y->datacenter->subnet, &sc->dc_net, &sc->dc_prefix);
    sc->nservers = y->datacenter->servers_count;
    bool have_dc = false;
    for (unsigned i = 0; i < y->datacenter->servers_count; i++) {
        const struct y_server *ys = &y->datacenter->servers[i];
        struct gen_server *s = &sc->servers[i];
        where(w, sizeof w, "datacenter.servers", i, "name");
        get_name(ld, w, ys->name, NULL, s->name);
        where(w, sizeof w, "datacenter.servers", i, "role");
        if (ys->role == NULL)
            fail(ld, w, "missing");
        s->role = (enum gen_role)get_enum(ld, w, ys->role, role_names, GEN_ROLE_COUNT, 0);
        where(w, sizeof w, "datacenter.servers", i, "os");
        int def_os =
                s->role == GEN_ROLE_DC || s->role == GEN_ROLE_FILE ? GEN_OS_WINDOWS : GEN_OS_LINUX;
        s->os = (enum gen_os)get_enum(ld, w, ys->os, os_names, GEN_OS_COUNT, def_os);
        have_dc |= s->role == GEN_ROLE_DC;
        for (unsigned j = 0; j < i && !ld->failed; j++)
            if (strcmp(sc->servers[j].name, s->name) == 0) {
                where(w, sizeof w, "datacenter.servers", i, "name");
                fail(ld, w, "'%s' is already the name of servers[%u]", s->name, j);
            }
    }
    if (!ld->failed && !have_dc)
        fail(ld, "datacenter.servers", "needs a server with role dc (the hosts' DNS server)");

    sc->nsites = y->sites_count;
    for (unsigned i = 0; i < y->sites_count; i++) {
        load_site(ld, &y->sites[i], i, &sc->sites[i]);
        for (unsigned j = 0; j < i && !ld->failed; j++)
            if (strcmp(sc->sites[j].name, sc->sites[i].name) == 0) {
                where(w, sizeof w, "sites", i, "name");
                fail(ld, w, "'%s' is already the name of sites[%u]", sc->sites[i].name, j);
            }
    }

    sc->ndests = y->internet_count;
    for (unsigned i = 0; i < y->internet_count; i++) {
        const struct y_dest *yd = &y->internet[i];
        struct gen_dest *d = &sc->dests[i];
        where(w, sizeof w, "internet", i, "name");
        get_name(ld, w, yd->name, NULL, d->name);
        where(w, sizeof w, "internet", i, "kind");
        d->kind = (enum gen_dest_kind)get_enum(ld, w, yd->kind, kind_names, GEN_DEST_COUNT,
                                               GEN_DEST_WEB);
        where(w, sizeof w, "internet", i, "rtt");
        get_dur(ld, w, yd->rtt, 0, &d->extra_rtt_ns);
        where(w, sizeof w, "internet", i, "weight");
        get_num(ld, w, yd->weight, 1, 0, 1e9, &d->weight);
        /* Record TTLs as such names have them: CDNs short, web sites minutes, services an
         * hour. */
        uint64_t ttl_ns, def_ttl = d->kind == GEN_DEST_CDN   ? 60
                                   : d->kind == GEN_DEST_WEB ? 300
                                                             : 3600;
        where(w, sizeof w, "internet", i, "ttl");
        get_dur(ld, w, yd->ttl, def_ttl * 1000000000ull, &ttl_ns);
        if (!ld->failed && (ttl_ns < 1000000000ull || ttl_ns > 86400ull * 7 * 1000000000ull))
            fail(ld, w, "must be from 1s to 7d");
        d->ttl_s = (uint32_t)(ttl_ns / 1000000000ull);
    }

    /* Benign behaviour; defaults and their sources are in docs/SCENARIOS.md. */
    const struct y_benign nob = {0};
    const struct y_benign *b = y->benign ? y->benign : &nob;
    const struct y_web now = {0};
    const struct y_web *web = b->web ? b->web : &now;
    get_num(ld, "benign.web.visits_per_hour", web->visits_per_hour, 6, 0, 3600,
            &sc->web.visits_per_hour);
    get_num(ld, "benign.web.pages_per_visit", web->pages_per_visit, 4, 1, 1000,
            &sc->web.pages_per_visit);
    get_size(ld, "benign.web.page_size", web->page_size, 30000, &sc->web.page_size);
    get_size(ld, "benign.web.asset_size", web->asset_size, 8000, &sc->web.asset_size);
    get_num(ld, "benign.web.assets_per_page", web->assets_per_page, 8, 0, 500,
            &sc->web.assets_per_page);
    get_dur(ld, "benign.web.think", web->think, 15 * 1000000000ull, &sc->web.think_ns);
    const struct y_ntp non = {0};
    get_dur(ld, "benign.ntp.interval", (b->ntp ? b->ntp : &non)->interval, 1024 * 1000000000ull,
            &sc->ntp_interval_ns);
    if (!ld->failed && sc->ntp_interval_ns < 1000000000ull)
        fail(ld, "benign.ntp.interval", "must be at least 1s");
    sc->ncheckins = b->checkins_count;
    for (unsigned i = 0; i < b->checkins_count; i++) {
        const struct y_checkin *yc = &b->checkins[i];
        struct gen_checkin *c = &sc->checkins[i];
        where(w, sizeof w, "benign.checkins", i, "dest");
        get_name(ld, w, yc->dest, NULL, c->dest);
        where(w, sizeof w, "benign.checkins", i, "interval");
        get_dur(ld, w, yc->interval, 3600 * 1000000000ull, &c->interval_ns);
        if (!ld->failed && c->interval_ns < 1000000000ull)
            fail(ld, w, "must be at least 1s");
        where(w, sizeof w, "benign.checkins", i, "jitter");
        get_num(ld, w, yc->jitter, 0.02, 0, 0.9, &c->jitter);
        where(w, sizeof w, "benign.checkins", i, "share");
        get_num(ld, w, yc->share, 1, 0, 1, &c->share);
        where(w, sizeof w, "benign.checkins", i, "request");
        get_size(ld, w, yc->request, 800, &c->request);
        where(w, sizeof w, "benign.checkins", i, "response");
        get_size(ld, w, yc->response, 400, &c->response);
    }

    load_services(ld, b, &sc->svc);

    sc->ncampaigns = y->campaigns_count;
    for (unsigned i = 0; i < y->campaigns_count; i++)
        load_campaign(ld, &y->campaigns[i], i, sc, &sc->campaigns[i]);
}

/* Names that refer to other entries: checked once everything is loaded. */
static bool overlaps(uint32_t a, uint32_t pa, uint32_t b, uint32_t pb)
{
    uint32_t p = pa < pb ? pa : pb;
    uint32_t mask = ~0u << (32 - p);
    return (a & mask) == (b & mask);
}

static void check_refs(struct ld *ld, struct gen_scenario *sc)
{
    char w[160];
    /* Servers are the data centre's network + 10 onwards, below its broadcast address. */
    if (sc->nservers + 11 > (1ull << (32 - sc->dc_prefix)))
        fail(ld, "datacenter.subnet", "/%u has no room for %zu servers (they start at .10)",
             sc->dc_prefix, sc->nservers);
    for (size_t i = 0; i < sc->nsites && !ld->failed; i++) {
        where(w, sizeof w, "sites", (long)i, "subnet");
        if (overlaps(sc->sites[i].net, sc->sites[i].prefix, sc->dc_net, sc->dc_prefix))
            fail(ld, w, "overlaps datacenter.subnet");
        for (size_t j = 0; j < i && !ld->failed; j++)
            if (overlaps(sc->sites[i].net, sc->sites[i].prefix, sc->sites[j].net,
                         sc->sites[j].prefix))
                fail(ld, w, "overlaps sites[%zu].subnet", j);
    }
    for (size_t i = 0; i < sc->ncheckins && !ld->failed; i++) {
        where(w, sizeof w, "benign.checkins", (long)i, "dest");
        if (!dest_exists(sc, sc->checkins[i].dest))
            fail(ld, w, "'%s' is not in internet", sc->checkins[i].dest);
    }
    for (size_t i = 0; i < sc->ncampaigns && !ld->failed; i++) {
        const struct gen_campaign *c = &sc->campaigns[i];
        where(w, sizeof w, "campaigns", (long)i, "c2");
        if (c->c2[0] != '\0' && !dest_exists(sc, c->c2))
            fail(ld, w, "'%s' is not in internet", c->c2);
        for (size_t j = 0; j < c->nchain && !ld->failed; j++) {
            char k[48];
            snprintf(k, sizeof k, "chain[%zu]", j);
            where(w, sizeof w, "campaigns", (long)i, k);
            if (!host_exists(sc, c->chain[j], true))
                fail(ld, w, "'%s' is neither a workstation (SITE-N) nor a server", c->chain[j]);
            for (size_t m = 0; m < j && !ld->failed; m++)
                if (strcmp(c->chain[m], c->chain[j]) == 0)
                    fail(ld, w, "'%s' is already chain[%zu]", c->chain[j], m);
        }
        for (size_t j = 0; j < c->nstage && !ld->failed; j++) {
            char k[48];
            snprintf(k, sizeof k, "stage_from[%zu]", j);
            where(w, sizeof w, "campaigns", (long)i, k);
            if (!host_exists(sc, c->stage_from[j], true) ||
                host_exists(sc, c->stage_from[j], false))
                fail(ld, w, "'%s' is not a server", c->stage_from[j]);
        }
        where(w, sizeof w, "campaigns", (long)i, "host");
        if (!ld->failed && !host_exists(sc, c->host, true))
            fail(ld, w,
                 "'%s' is neither a workstation (SITE-N, N from 1 to the site's hosts) nor a "
                 "server",
                 c->host);
    }
}

int gen_scenario_load(const char *path, struct gen_scenario *sc, char *err, size_t errcap)
{
    struct ld ld = {.path = path, .err = err, .cap = errcap};
    err[0] = '\0';
    memset(sc, 0, sizeof *sc);
    cyaml_config_t cfg = {
            .log_fn = on_cyaml_log,
            .log_ctx = &ld,
            .mem_fn = cyaml_mem,
            .log_level = CYAML_LOG_ERROR,
            .flags = CYAML_CFG_DEFAULT,
    };
    struct y_top *y = NULL;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int rc = -errno;
        snprintf(err, errcap, "%s: cannot read: %s", path, strerror(errno));
        return rc;
    }
    fclose(f);
    cyaml_err_t ce = cyaml_load_file(path, &cfg, &top_schema, (cyaml_data_t **)&y, NULL);
    if (ce != CYAML_OK) {
        snprintf(err, errcap, "%s: %s%s%s", path, cyaml_strerror(ce), ld.cyaml_msg[0] ? ": " : "",
                 ld.cyaml_msg);
        return -EINVAL;
    }
    load_top(&ld, y, sc);
    if (!ld.failed)
        check_refs(&ld, sc);
    cyaml_free(&cfg, &top_schema, y, 0);
    return ld.failed ? -EINVAL : 0;
}
