/*
 * The aggregator's option table: names, types, ranges, defaults and one line of help per option,
 * and where the CURVE key files are when only a key directory is given. It owns no state;
 * loading and validation are common/config's.
 */
#include "aggregator/aggregator_config.h"

#include <errno.h>
#include <stdio.h>

#include "common/curve_keys.h"
#include "common/log.h"
#include "common/wire.h"

static const struct config_enum_name log_levels[] = {
        {"error", LOG_LEVEL_ERROR},
        {"warn", LOG_LEVEL_WARN},
        {"info", LOG_LEVEL_INFO},
        {"debug", LOG_LEVEL_DEBUG},
        {NULL, 0},
};

#define OFF(field)  offsetof(struct aggregator_config, field)
#define SIZE(field) sizeof(((struct aggregator_config *)0)->field)

#define NS_SEC 1000000000LL
#define NS_MIN (60 * NS_SEC)
#define NS_DAY (86400 * NS_SEC)
#define MIB    (1LL << 20)
#define GIB    (1LL << 30)
#define TIB    (1LL << 40)

static const struct config_option aggregator_options[] = {
        {.key = "aggregator.id",
         .type = CONFIG_STRING,
         .offset = OFF(id),
         .size = SIZE(id),
         .def = "aggregator",
         .help = "name of this aggregator in logs"},
        {.key = "ingest.listen",
         .type = CONFIG_STRLIST,
         .offset = OFF(listen),
         .size = AGGREGATOR_LISTEN_MAX,
         .def = "tcp://*:7730",
         .help = "ZeroMQ endpoints the sensors connect to (--listen, repeatable)"},
        /* 4 KiB holds a Hello and a small batch; WIRE_LEN_MAX is what the wire code handles. A
         * peer that sends more is disconnected by ZeroMQ itself (counted as a disconnect). */
        {.key = "ingest.max_message",
         .type = CONFIG_SIZE,
         .offset = OFF(max_message),
         .min = 4096,
         .max = WIRE_LEN_MAX,
         .def = "16MiB",
         .help = "largest message a sensor may send; a larger one drops its connection"},
        {.key = "ingest.max_records",
         .type = CONFIG_INT,
         .offset = OFF(max_records),
         .min = 1,
         .max = 1 << 20,
         .def = "65536",
         .help = "records per batch; a batch with more is acknowledged REJECTED"},
        /* One commit (two syncs) per group: at 256 batches, a disk that syncs in 5 ms still takes
         * 50k batches/s. The ack slots are preallocated, so the cap also bounds that memory. */
        {.key = "ingest.group_commit",
         .type = CONFIG_INT,
         .offset = OFF(group_commit),
         .min = 1,
         .max = 4096,
         .def = "256",
         .help = "batches applied per group (one commit: segments, then the LMDB index, each "
                 "synced) before they are acknowledged"},
        /* Under load the socket runs dry every few messages, and each group was a commit of about
         * three batches. 32 batches or 8 ms per commit: ingest rose from about 720,000 to about
         * 830,000 records/s in the transport benchmark (docs/BENCHMARKS.md). */
        {.key = "ingest.group_fill",
         .type = CONFIG_INT,
         .offset = OFF(group_fill),
         .min = 1,
         .max = 4096,
         .def = "32",
         .help = "a group of fewer messages waits for more (up to ingest.group_wait) before it "
                 "commits; 1 commits whenever the socket runs dry"},
        {.key = "ingest.group_wait",
         .type = CONFIG_DURATION,
         .offset = OFF(group_wait),
         .min = 0,
         .max = NS_SEC,
         .def = "8ms",
         .help = "longest a group waits to fill, from its first message: the most an "
                 "acknowledgement is held back (0 = never wait)"},
        {.key = "ingest.silence_timeout",
         .type = CONFIG_DURATION,
         .offset = OFF(silence_timeout),
         .min = NS_SEC,
         .max = NS_DAY,
         .def = "60s",
         .help = "a sensor with no message for this long is logged and counted as silent"},
        {.key = "ingest.zmq_heartbeat",
         .type = CONFIG_DURATION,
         .offset = OFF(zmq_heartbeat),
         .min = 0,
         .max = 10 * NS_MIN,
         .def = "5s",
         .help = "ZMTP ping interval; a connection silent for three of them is dropped (0 = off)"},
        {.key = "store.dir",
         .type = CONFIG_STRING,
         .offset = OFF(store_dir),
         .size = SIZE(store_dir),
         .def = "umbra-data",
         .help = "directory of the flow store (--data): LMDB index and payload segments; "
                 "created if missing"},
        /* The map holds the index and the sensor states only (the payloads are in segment files
         * beside it), about 100 bytes per stored batch. LMDB maps the file sparsely: the size
         * is a ceiling, not an allocation, so 8 GiB (some 80 million batches) costs nothing
         * until used; raise it when "index full" is logged. */
        {.key = "store.map_size",
         .type = CONFIG_SIZE,
         .offset = OFF(store_map_size),
         .min = MIB,
         .max = 16 * TIB,
         .def = "8GiB",
         .help = "largest size of the flow store's LMDB index (about 100 bytes per batch; "
                 "payloads are not in it); the file grows only as data arrives"},
        {.key = "store.sync",
         .type = CONFIG_BOOL,
         .offset = OFF(store_sync),
         .def = "true",
         .help = "fsync each group commit (payload segments, then the index) before "
                 "acknowledging it; false loses acked batches on a crash (tests only)"},
        {.key = "curve.secret_key",
         .type = CONFIG_STRING,
         .offset = OFF(curve_secret),
         .size = SIZE(curve_secret),
         .help = "this aggregator's key pair file (umbra-ctl keygen); default "
                 "KEYS_DIR/aggregator.key"},
        {.key = "curve.allow_dir",
         .type = CONFIG_STRING,
         .offset = OFF(curve_allow),
         .size = SIZE(curve_allow),
         .help = "directory of the sensors' NAME.pub files; NAME is the sensor id the key may "
                 "send as; default KEYS_DIR/sensors"},
        {.key = "curve.keys_dir",
         .type = CONFIG_STRING,
         .offset = OFF(curve_keys),
         .size = SIZE(curve_keys),
         .help = "key directory (--keys) holding aggregator.key and sensors/"},
        {.key = "curve.insecure",
         .type = CONFIG_BOOL,
         .offset = OFF(curve_insecure),
         .def = "false",
         .help = "no CURVE: plain TCP, unauthenticated and unencrypted (a lab only; --insecure)"},
        {.key = "detect.enabled",
         .type = CONFIG_BOOL,
         .offset = OFF(detect_enabled),
         .def = "true",
         .help = "run the window graph and the detectors on every applied batch"},
        {.key = "detect.internal",
         .type = CONFIG_STRLIST,
         .offset = OFF(detect_internal),
         .size = 32,
         .def = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7",
         .help = "the organisation's own networks (CIDR): lateral movement is between them"},
        {.key = "detect.scan.allow",
         .type = CONFIG_STRLIST,
         .offset = OFF(scan_allow),
         .size = 32,
         .help = "sources (CIDR) never judged as scanning or fanning out: a known vulnerability "
                 "scanner"},
        {.key = "detect.lateral.allow",
         .type = CONFIG_STRLIST,
         .offset = OFF(lateral_allow),
         .size = 32,
         .help = "sources (CIDR) whose admin connections are never taken as lateral movement: "
                 "the admins' jump hosts"},
        {.key = "detect.lateral.hop_time",
         .type = CONFIG_DURATION,
         .offset = OFF(lateral_hop),
         .min = NS_SEC,
         .max = 7 * NS_DAY,
         .def = "1h",
         .help = "longest time from an admin connection arriving on a host to one leaving it "
                 "that still makes a hop"},
        {.key = "alerts.dir",
         .type = CONFIG_STRING,
         .offset = OFF(alerts_dir),
         .size = SIZE(alerts_dir),
         .help = "directory of the alert store (LMDB); default STORE_DIR/alerts"},
        {.key = "alerts.retention",
         .type = CONFIG_DURATION,
         .offset = OFF(alerts_retention),
         .min = 0,
         .max = 3650 * NS_DAY,
         .def = "30d",
         .help = "alerts whose latest revision is older than this are deleted (0 = keep all)"},
        {.key = "alerts.json",
         .type = CONFIG_STRING,
         .offset = OFF(alerts_json),
         .size = SIZE(alerts_json),
         .help = "write each alert revision as a JSON line to this file (appended), or - for "
                 "stdout; empty: none"},
        {.key = "log.level",
         .type = CONFIG_ENUM,
         .offset = OFF(log_level),
         .names = log_levels,
         .def = "info",
         .help = "least severe level logged: error, warn, info or debug"},
};

static const struct config_schema aggregator_schema = {
        .name = "aggregator",
        .struct_size = sizeof(struct aggregator_config),
        .opts = aggregator_options,
        .n_opts = sizeof(aggregator_options) / sizeof(aggregator_options[0]),
};

const struct config_schema *aggregator_config_schema(void)
{
    return &aggregator_schema;
}

int aggregator_config_key_paths(const struct aggregator_config *cfg, char *secret, char *allow,
                                size_t cap)
{
    int rc = curve_keys_path(secret, cap, cfg->curve_secret, cfg->curve_keys, "aggregator.key");
    if (rc == 0)
        rc = curve_keys_path(allow, cap, cfg->curve_allow, cfg->curve_keys, "sensors");
    if (rc != 0) {
        secret[0] = '\0';
        allow[0] = '\0';
    }
    return rc;
}
