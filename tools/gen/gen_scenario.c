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
    char *name, *kind, *rtt, *weight;
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
struct y_benign {
    struct y_web *web;
    struct y_ntp *ntp;
    struct y_checkin *checkins;
    unsigned checkins_count;
};
struct y_campaign {
    char *id, *type, *host, *c2, *start, *end, *interval, *jitter, *request, *response;
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
        STR("name", struct y_dest, name),
        STR("kind", struct y_dest, kind),
        STR("rtt", struct y_dest, rtt),
        STR("weight", struct y_dest, weight),
        CYAML_FIELD_END,
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
static const cyaml_schema_field_t benign_fields[] = {
        CYAML_FIELD_MAPPING_PTR("web", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct y_benign,
                                web, web_fields),
        CYAML_FIELD_MAPPING_PTR("ntp", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct y_benign,
                                ntp, ntp_fields),
        CYAML_FIELD_SEQUENCE("checkins", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct y_benign,
                             checkins, &checkin_schema, 0, GEN_CHECKINS_MAX),
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

static const char *const role_names[GEN_ROLE_COUNT] = {"dc", "file", "web", "db", "jump", "backup"};
static const char *const os_names[GEN_OS_COUNT] = {"windows", "macos", "linux"};
static const char *const kind_names[GEN_DEST_COUNT] = {"web", "cdn", "service"};
static const char *const campaign_names[GEN_CAMPAIGN_COUNT] = {"beacon"};

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

/* ---- sections ---- */

static void load_site(struct ld *ld, const struct y_site *y, long i, struct gen_site *s)
{
    char w[96];
#define W(key) (where(w, sizeof w, "sites", i, key), w)
    get_name(ld, W("name"), y->name, NULL, s->name);
    get_subnet(ld, W("subnet"), y->subnet, &s->net, &s->prefix);
    uint64_t hosts;
    uint64_t room = s->prefix ? (1ull << (32 - s->prefix)) - 20 : 1;
    get_uint(ld, W("hosts"), y->hosts, 10, 1, room, &hosts);
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

    sc->ncampaigns = y->campaigns_count;
    for (unsigned i = 0; i < y->campaigns_count; i++) {
        const struct y_campaign *yc = &y->campaigns[i];
        struct gen_campaign *c = &sc->campaigns[i];
        where(w, sizeof w, "campaigns", i, "id");
        get_name(ld, w, yc->id, NULL, c->id);
        where(w, sizeof w, "campaigns", i, "type");
        if (yc->type == NULL)
            fail(ld, w, "missing");
        c->type = (enum gen_campaign_type)get_enum(ld, w, yc->type, campaign_names,
                                                   GEN_CAMPAIGN_COUNT, 0);
        where(w, sizeof w, "campaigns", i, "host");
        get_name(ld, w, yc->host, NULL, c->host);
        where(w, sizeof w, "campaigns", i, "c2");
        get_name(ld, w, yc->c2, NULL, c->c2);
        where(w, sizeof w, "campaigns", i, "start");
        get_dur(ld, w, yc->start, 0, &c->start_ns);
        where(w, sizeof w, "campaigns", i, "end");
        get_dur(ld, w, yc->end, sc->duration_ns, &c->end_ns);
        if (!ld->failed && c->end_ns <= c->start_ns)
            fail(ld, w, "must be after start");
        where(w, sizeof w, "campaigns", i, "interval");
        get_dur(ld, w, yc->interval, 60 * 1000000000ull, &c->interval_ns);
        if (!ld->failed && c->interval_ns < 100000000ull)
            fail(ld, w, "must be at least 100ms");
        where(w, sizeof w, "campaigns", i, "jitter");
        get_num(ld, w, yc->jitter, 0.1, 0, 0.9, &c->jitter);
        where(w, sizeof w, "campaigns", i, "request");
        get_size(ld, w, yc->request, 300, &c->request);
        where(w, sizeof w, "campaigns", i, "response");
        get_size(ld, w, yc->response, 150, &c->response);
    }
}

/* Names that refer to other entries: checked once everything is loaded. */
static void check_refs(struct ld *ld, struct gen_scenario *sc)
{
    char w[96];
    for (size_t i = 0; i < sc->ncheckins && !ld->failed; i++) {
        size_t j = 0;
        while (j < sc->ndests && strcmp(sc->dests[j].name, sc->checkins[i].dest) != 0)
            j++;
        where(w, sizeof w, "benign.checkins", (long)i, "dest");
        if (j == sc->ndests)
            fail(ld, w, "'%s' is not in internet", sc->checkins[i].dest);
    }
    for (size_t i = 0; i < sc->ncampaigns && !ld->failed; i++) {
        const struct gen_campaign *c = &sc->campaigns[i];
        size_t j = 0;
        while (j < sc->ndests && strcmp(sc->dests[j].name, c->c2) != 0)
            j++;
        where(w, sizeof w, "campaigns", (long)i, "c2");
        if (j == sc->ndests)
            fail(ld, w, "'%s' is not in internet", c->c2);
        /* "SITE-N": workstation N (from 1) of SITE */
        const char *dash = strrchr(c->host, '-');
        bool ok = false;
        if (dash != NULL) {
            char *end;
            unsigned long n = strtoul(dash + 1, &end, 10);
            for (size_t k = 0; k < sc->nsites && !ok; k++)
                ok = strlen(sc->sites[k].name) == (size_t)(dash - c->host) &&
                     strncmp(sc->sites[k].name, c->host, (size_t)(dash - c->host)) == 0 &&
                     *end == '\0' && n >= 1 && n <= sc->sites[k].hosts;
        }
        where(w, sizeof w, "campaigns", (long)i, "host");
        if (!ok)
            fail(ld, w,
                 "'%s' is not a workstation: expected SITE-N with N from 1 to the "
                 "site's hosts",
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
