/*
 * The aggregator's configuration: the struct its parts read their settings from, and the
 * option table that loads it from YAML and from the command line (common/config).
 * `umbra-aggregator --config-reference` lists every option.
 */
#ifndef UMBRA_AGGREGATOR_AGGREGATOR_CONFIG_H
#define UMBRA_AGGREGATOR_AGGREGATOR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

/* Most endpoints ingest.listen takes: one per address family and interface is plenty. */
#define AGGREGATOR_LISTEN_MAX 16

struct aggregator_config {
    char id[64];                  /* aggregator.id: this aggregator's name in logs and acks */
    struct config_strlist listen; /* ingest.listen: ZeroMQ endpoints to bind */
    uint64_t max_message;         /* ingest.max_message: bytes */
    int64_t max_records;          /* ingest.max_records: per batch */
    int64_t group_commit;         /* ingest.group_commit: batches per LMDB transaction */
    int64_t group_fill;           /* ingest.group_fill: a smaller group waits to fill */
    uint64_t group_wait;          /* ingest.group_wait: ns a group may wait to fill */
    uint64_t silence_timeout;     /* ingest.silence_timeout: ns */
    uint64_t zmq_heartbeat;       /* ingest.zmq_heartbeat: ns, 0 = off */
    char store_dir[1024];         /* store.dir: LMDB environment directory */
    uint64_t store_map_size;      /* store.map_size: bytes */
    bool store_sync;              /* store.sync: fsync at each commit */
    char curve_secret[1024];      /* curve.secret_key: this aggregator's .key file */
    char curve_allow[1024];       /* curve.allow_dir: the sensors' .pub files */
    char curve_keys[1024];        /* curve.keys_dir: default home of the two above */
    bool curve_insecure;          /* curve.insecure: no CURVE at all (a lab only) */
    bool detect_enabled;          /* detect.enabled */
    struct config_strlist detect_internal; /* detect.internal: CIDR */
    struct config_strlist scan_allow;      /* detect.scan.allow: CIDR */
    struct config_strlist lateral_allow;   /* detect.lateral.allow: CIDR */
    uint64_t lateral_hop;                  /* detect.lateral.hop_time: ns */
    char alerts_dir[1024];                 /* alerts.dir: "" = STORE_DIR/alerts */
    uint64_t alerts_retention;             /* alerts.retention: ns, 0 = keep all */
    char alerts_json[1024];                /* alerts.json: path, "-" stdout, "" none */
    int log_level;                         /* log.level: enum log_level */
};

/* aggregator_config_schema() - the option table for struct aggregator_config. */
const struct config_schema *aggregator_config_schema(void);

/*
 * aggregator_config_key_paths() - the secret-key file and allow directory to use: the explicit
 * curve.secret_key and curve.allow_dir when set, else DIR/aggregator.key and DIR/sensors under
 * curve.keys_dir when that is set, else "". Writes NUL-terminated strings to @secret and
 * @allow (each @cap bytes).
 *
 * Returns 0, or -ENAMETOOLONG when a derived path does not fit (both are then "").
 */
int aggregator_config_key_paths(const struct aggregator_config *cfg, char *secret, char *allow,
                                size_t cap);

#endif
