/*
 * The sensor's configuration: the struct every part of the sensor reads its settings from, and
 * the option table that loads it from YAML and from the command line (common/config).
 * docs/CONFIG.md and `umbra-sensor --config-reference` list every option.
 */
#ifndef UMBRA_SENSOR_SENSOR_CONFIG_H
#define UMBRA_SENSOR_SENSOR_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"

struct sensor_config {
    char id[64];                /* sensor.id: this sensor's name in records and logs */
    char capture_file[1024];    /* capture.file: pcap/pcapng to read */
    char capture_iface[64];     /* capture.interface: interface to capture on */
    char capture_filter[1024];  /* capture.filter: BPF expression */
    int64_t capture_snaplen;    /* capture.snaplen: bytes */
    uint64_t capture_buffer;    /* capture.buffer_size: bytes */
    bool capture_promisc;       /* capture.promiscuous */
    bool capture_realtime;      /* capture.realtime: replay files at recorded speed */
    uint64_t capture_poll;      /* capture.poll_timeout: ns */
    int64_t flow_max;           /* flow.max_flows */
    uint64_t flow_tcp_idle;     /* flow.tcp_idle_timeout: ns */
    uint64_t flow_udp_idle;     /* flow.udp_idle_timeout: ns */
    uint64_t flow_other_idle;   /* flow.other_idle_timeout: ns */
    uint64_t flow_close_linger; /* flow.tcp_close_linger: ns */
    uint64_t flow_active;       /* flow.active_timeout: ns, 0 = no updates */
    int64_t flow_frag_slots;    /* flow.fragment_slots */
    bool feat_enabled;          /* features.enabled */
    uint64_t feat_idle_gap;     /* features.idle_gap: ns */
    uint64_t feat_reorder;      /* features.reorder_window: ns */
    int64_t feat_splt_len;      /* features.splt_length */
    bool feat_splt_empty;       /* features.splt_include_empty */
    bool feat_splt_resent;      /* features.splt_include_retransmits */
    int64_t feat_bd_prefix;     /* features.byte_dist_prefix: bytes */
    int64_t feat_bd_buffers;    /* features.byte_dist_buffers: 0 = from flow.max_flows */
    bool feat_handshakes;       /* features.handshakes */
    int64_t feat_streams;       /* features.stream_buffers */
    int64_t feat_meta;          /* features.metadata_records: 0 = from flow.max_flows */
    int64_t feat_dns_names;     /* features.dns_names */
    char output_json[1024];     /* output.json: path, "-" = stdout, "" = none */
    char site[64];              /* sensor.site: operator-given site name (Hello) */
    struct config_strlist export_aggregators; /* export.aggregators: ZeroMQ endpoints */
    int64_t export_batch_records;             /* export.batch_records */
    uint64_t export_batch_bytes;              /* export.batch_bytes */
    uint64_t export_batch_delay;              /* export.batch_delay: ns */
    int64_t export_window;                    /* export.window: batches in flight */
    uint64_t export_ack_timeout;              /* export.ack_timeout: ns */
    uint64_t export_replay_rate;              /* export.replay_rate: bytes per second */
    uint64_t export_heartbeat;                /* export.heartbeat_interval: ns */
    uint64_t export_zmq_heartbeat;            /* export.zmq_heartbeat: ns */
    uint64_t export_drain;                    /* export.drain_timeout: ns */
    char spool_dir[1024];                     /* spool.dir */
    uint64_t spool_max;                       /* spool.max_size: bytes */
    uint64_t spool_sync;                      /* spool.sync_interval: ns */
    char curve_keys_dir[1024];                /* curve.keys_dir */
    char curve_secret_key[1024];              /* curve.secret_key: this sensor's .key file */
    struct config_strlist curve_server_keys;  /* curve.server_keys: aggregators' .pub files */
    bool curve_insecure;                      /* curve.insecure: plain TCP (lab only) */
    int log_level;                            /* log.level: enum log_level */
};

/* sensor_config_schema() - the option table for struct sensor_config. */
const struct config_schema *sensor_config_schema(void);

#endif
