/*
 * Sensor: wires capture -> decode -> flow table -> JSON output and export, and owns the decode
 * counters.
 * It makes no decision of its own about packets: each stage does, and this file only passes
 * results along and reports them.
 */
#include "sensor/sensor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/clock.h"
#include "common/curve_keys.h"
#include "common/err.h"
#include "common/log.h"
#include "sensor/capture.h"
#include "sensor/decode.h"
#include "sensor/export.h"
#include "sensor/features.h"
#include "sensor/flow_json.h"
#include "sensor/flow_pipe.h"
#include "sensor/flow_record.h"
#include "sensor/flow_table.h"
#include "sensor/payload.h"
#include "sensor/sensor_config.h"

/* Frames per slice: enough to amortise the loop, few enough to see signals promptly. */
#define SENSOR_SLICE 4096

struct sensor {
    const struct sensor_config *cfg;
    struct sensor_signals sig;
    struct log *log;
    bool live;
    struct capture *cap;
    struct flow_table *ft;
    struct features *feat;
    struct payload *pl;    /* NULL with features off */
    uint8_t *pipe_payload; /* the pipe's payload copies */
    struct flow_json *json;
    struct flow_pipe pipe;
    uint64_t decode[DECODE_STATUS_COUNT];

    /* Export, when aggregators are configured. */
    struct export *ex;
    struct flow_record_buf *rec; /* the record being exported (large: built in place) */
    struct export_config xcfg;
    struct curve_keypair keys;
    char server_keys[EXPORT_MAX_AGGREGATORS][CURVE_KEY_Z85_LEN + 1];
    const char *server_key_ptrs[EXPORT_MAX_AGGREGATORS];
    const char *capabilities[2];
    char hostname[256];
    uint64_t start_ts;
    uint64_t unacked; /* batches left in the spool when the run ended */
};

static void on_event(void *ctx, const struct flow_event *ev)
{
    struct sensor *s = ctx;
    if (s->json != NULL)
        flow_json_write(s->json, ev, s->feat, s->pl);
    if (s->ex != NULL) {
        flow_record_fill(s->rec, ev, s->feat, s->pl);
        export_record(s->ex, &s->rec->rec);
    }
    if (ev->type == FLOW_EVENT_END && s->pl != NULL)
        payload_flow_end(s->pl, ev->slot);
    if (ev->type == FLOW_EVENT_END && s->feat != NULL)
        features_flow_end(s->feat, ev->slot);
}

/* The flow table's packet hook: the measurements that need every packet, then those that read
 * payload. */
static void on_packet(void *ctx, uint32_t slot, int dir, const struct flow *f,
                      const struct pkt *pkt, bool first)
{
    struct sensor *s = ctx;
    features_packet(s->feat, slot, dir, f, pkt, first);
    payload_packet(s->pl, slot, dir, f, pkt, first);
}

static void on_prefetch(void *ctx, uint32_t slot)
{
    struct sensor *s = ctx;
    features_prefetch(s->feat, slot);
    payload_prefetch(s->pl, slot);
}

static void on_prefetch_new(void *ctx, uint32_t slot)
{
    struct sensor *s = ctx;
    features_prefetch_new(s->feat, slot);
    payload_prefetch(s->pl, slot);
}

static void on_prefetch_late(void *ctx, uint32_t slot, int dir, const struct pkt *pkt)
{
    struct sensor *s = ctx;
    features_prefetch_late(s->feat, slot, dir);
    payload_prefetch_late(s->pl, slot, dir, pkt);
}

static void on_frame(void *ctx, const struct capture_frame *frame)
{
    struct sensor *s = ctx;
    /* Decoded straight into the pipe: a packet that does not decode is simply not committed. */
    struct pkt *pkt = flow_pipe_slot(&s->pipe);
    enum decode_status st = decode_frame(frame, pkt);
    s->decode[st]++;
    if (st == DECODE_OK)
        flow_pipe_commit(&s->pipe);
}

/* A seed that differs between runs, so nobody can aim packets at one hash chain; the flows
 * found do not depend on it. */
static uint64_t hash_seed(void)
{
    uint64_t t[2] = {clock_wall_ns(), clock_mono_ns()};
    return XXH3_64bits(t, sizeof(t));
}

/* The counters go to stdout, except while JSON is streaming there: then to stderr, so that the
 * JSON lines stay whole. */
static void poll_counters(struct sensor *s)
{
    if (s->sig.counters == NULL || !*s->sig.counters)
        return;
    *s->sig.counters = 0;
    bool json_on_stdout = s->json != NULL && flow_json_on_stdout(s->json);
    sensor_print_counters(s, json_on_stdout ? stderr : stdout);
}

static void on_wait(void *ctx)
{
    struct sensor *s = ctx;
    poll_counters(s);
    /* Replaying a file at recorded speed waits here between packets: acks and sends go on. */
    if (s->ex != NULL)
        export_poll(s->ex);
}

/* The sensor's share of a Heartbeat; the export adds the spool's. */
static void fill_heartbeat(void *ctx, Umbra__Heartbeat *hb)
{
    struct sensor *s = ctx;
    struct capture_stats cs;
    struct flow_table_stats fs;
    capture_stats(s->cap, &cs);
    flow_table_stats(s->ft, &fs);
    hb->packets_read = cs.packets;
    hb->packets_dropped_kernel = cs.kernel_drop;
    uint64_t errors = 0;
    for (int i = DECODE_OK + 1; i < DECODE_STATUS_COUNT; i++)
        errors += s->decode[i];
    hb->decode_errors = errors;
    hb->flows_active = fs.flows_active;
    hb->flows_created = fs.flows_created;
    hb->flows_evicted = fs.flows_ended[FLOW_END_EVICTED];
}

/* The CURVE keys the export needs: this sensor's pair and each aggregator's public key. */
static int load_keys(struct sensor *s, const struct sensor_config *cfg, uint32_t n)
{
    const char *dir = cfg->curve_keys_dir;
    size_t n_srv = cfg->curve_server_keys.n;
    if (cfg->curve_secret_key[0] == '\0' && dir[0] == '\0') {
        log_err(s->log, "sensor: no CURVE key to export with: give --keys DIR (made with "
                        "umbra-ctl keygen) or curve.secret_key, or set curve.insecure: true for "
                        "a lab");
        return UMBRA_ECONFIG;
    }
    if (n_srv != 0 && n_srv != 1 && n_srv != n) {
        log_err(s->log,
                "sensor: curve.server_keys has %zu files for %u aggregators: give one for "
                "all or one each",
                n_srv, n);
        return UMBRA_ECONFIG;
    }
    if (n_srv == 0 && dir[0] == '\0') {
        log_err(s->log, "sensor: no aggregator public key: set curve.server_keys or --keys DIR "
                        "(with DIR/aggregator.pub)");
        return UMBRA_ECONFIG;
    }
    char path[1100], leaf[80];
    snprintf(leaf, sizeof(leaf), "%s.key", cfg->id); /* sensor.id is at most 63 bytes */
    int rc = curve_keys_path(path, sizeof(path), cfg->curve_secret_key, dir, leaf);
    if (rc == 0)
        rc = curve_keys_read_secret(path, &s->keys, s->log);
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        const char *file = n_srv == 0 ? "" : cfg->curve_server_keys.items[n_srv == 1 ? 0 : i];
        rc = curve_keys_path(path, sizeof(path), file, dir, "aggregator.pub");
        if (rc == 0)
            rc = curve_keys_read_public(path, s->server_keys[i], s->log);
        s->server_key_ptrs[i] = s->server_keys[i];
    }
    if (rc == -ENAMETOOLONG)
        log_err(s->log, "sensor: a key file path is too long");
    return rc;
}

static int export_open(struct sensor *s, const struct sensor_config *cfg)
{
    uint32_t n = (uint32_t)cfg->export_aggregators.n;
    if (cfg->curve_insecure) {
        log_warn(s->log, "sensor: curve.insecure is set: flow records go unauthenticated and "
                         "unencrypted; use it in a lab only");
    } else if (load_keys(s, cfg, n) != 0) {
        return UMBRA_ECONFIG;
    }
    s->rec = malloc(sizeof(*s->rec));
    if (s->rec == NULL) {
        log_err(s->log, "sensor: out of memory for the export record");
        return -ENOMEM;
    }
    if (gethostname(s->hostname, sizeof(s->hostname)) != 0)
        s->hostname[0] = '\0';
    s->hostname[sizeof(s->hostname) - 1] = '\0';
    size_t n_caps = 0;
    if (cfg->feat_enabled)
        s->capabilities[n_caps++] = "features";
    if (cfg->feat_enabled && cfg->feat_handshakes)
        s->capabilities[n_caps++] = "handshakes";
    s->start_ts = clock_wall_ns();
    s->xcfg = (struct export_config){
            .sensor_id = cfg->id,
            .hostname = s->hostname,
            .site = cfg->site,
            .version = SENSOR_VERSION,
            .capabilities = s->capabilities,
            .n_capabilities = n_caps,
            .start_ts = s->start_ts,
            .endpoints = (const char *const *)cfg->export_aggregators.items,
            .n_endpoints = n,
            .own = cfg->curve_insecure ? NULL : &s->keys,
            .server_keys = s->server_key_ptrs,
            .spool_dir = cfg->spool_dir,
            .spool_max = cfg->spool_max,
            .sync_ns = cfg->spool_sync,
            .batch_records = (uint32_t)cfg->export_batch_records,
            .batch_bytes = (uint32_t)cfg->export_batch_bytes,
            .batch_delay_ns = cfg->export_batch_delay,
            .window = (uint32_t)cfg->export_window,
            .ack_timeout_ns = cfg->export_ack_timeout,
            .replay_rate = cfg->export_replay_rate,
            .heartbeat_ns = cfg->export_heartbeat,
            .zmq_heartbeat_ns = cfg->export_zmq_heartbeat,
            .heartbeat_fn = fill_heartbeat,
            .heartbeat_ctx = s,
    };
    s->ex = export_create(&s->xcfg, s->log);
    return s->ex != NULL ? 0 : UMBRA_ECONFIG;
}

struct sensor *sensor_create(const struct sensor_config *cfg, const struct sensor_signals *sig,
                             struct log *log)
{
    struct sensor *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        log_err(log, "sensor: out of memory");
        return NULL;
    }
    s->cfg = cfg;
    s->sig = *sig;
    s->log = log;
    s->live = cfg->capture_iface[0] != '\0';

    struct features_config xcfg = {
            .max_flows = (uint32_t)cfg->flow_max,
            .idle_gap_ns = cfg->feat_idle_gap,
            .reorder_ns = cfg->feat_reorder,
            .splt_len = (uint32_t)cfg->feat_splt_len,
            .splt_empty = cfg->feat_splt_empty,
            .splt_resent = cfg->feat_splt_resent,
    };
    uint32_t max_flows = (uint32_t)cfg->flow_max;
    struct payload_config pcfg = {
            .max_flows = max_flows,
            .prefix = (uint32_t)cfg->feat_bd_prefix,
            .hist_buffers = cfg->feat_bd_buffers ? (uint32_t)cfg->feat_bd_buffers : max_flows,
            /* Both directions of every flow may hold one: 128 bytes a slot at most. */
            .raw_buffers = 2 * max_flows,
            .handshakes = cfg->feat_handshakes,
            .stream_buffers = (uint32_t)cfg->feat_streams,
            .meta_records = cfg->feat_meta ? (uint32_t)cfg->feat_meta : (max_flows + 1) / 2,
            .dns_names = (uint32_t)cfg->feat_dns_names,
            .seed = hash_seed(),
    };
    if (cfg->feat_enabled) {
        s->feat = features_create(&xcfg, log);
        if (s->feat == NULL)
            goto out_free;
        s->pl = payload_create(&pcfg, log);
        if (s->pl == NULL)
            goto out_features;
    }
    struct flow_table_config fcfg = {
            .max_flows = (uint32_t)cfg->flow_max,
            .tcp_idle_ns = cfg->flow_tcp_idle,
            .udp_idle_ns = cfg->flow_udp_idle,
            .other_idle_ns = cfg->flow_other_idle,
            .close_linger_ns = cfg->flow_close_linger,
            .active_ns = cfg->flow_active,
            .frag_slots = (uint32_t)cfg->flow_frag_slots,
            .hash_seed = hash_seed(),
            .on_packet = s->feat != NULL ? on_packet : NULL,
            .packet_ctx = s,
            .prefetch_slot = s->feat != NULL ? on_prefetch : NULL,
            .prefetch_late = s->feat != NULL ? on_prefetch_late : NULL,
            .prefetch_new = s->feat != NULL ? on_prefetch_new : NULL,
    };
    s->ft = flow_table_create(&fcfg, on_event, s, log);
    if (s->ft == NULL)
        goto out_features;
    flow_pipe_init(&s->pipe, s->ft);
    /* Payload features read at most the prefix and a handshake's stream per packet. */
    uint32_t keep = pcfg.prefix;
    if (cfg->feat_handshakes && keep < PAYLOAD_STREAM_CAP)
        keep = PAYLOAD_STREAM_CAP;
    if (s->pl != NULL && keep > 0) {
        s->pipe_payload = malloc(FLOW_PIPE_STORE(keep));
        if (s->pipe_payload == NULL) {
            log_err(log, "sensor: out of memory for the pipe's payload copies");
            goto out_table;
        }
        flow_pipe_keep_payload(&s->pipe, s->pipe_payload, keep);
    }
    if (cfg->output_json[0] != '\0') {
        s->json = flow_json_create(cfg->output_json, log);
        if (s->json == NULL)
            goto out_table;
    }
    struct capture_config ccfg = {
            .mode = s->live ? CAPTURE_LIVE : CAPTURE_OFFLINE,
            .source = s->live ? cfg->capture_iface : cfg->capture_file,
            .filter = cfg->capture_filter,
            .snaplen = (uint32_t)cfg->capture_snaplen,
            .buffer_size = (uint32_t)cfg->capture_buffer,
            .promisc = cfg->capture_promisc,
            .realtime = cfg->capture_realtime,
            .poll_timeout_ms = (uint32_t)(cfg->capture_poll / CLOCK_NS_PER_MS),
            .stop_flag = sig->stop,
            .wait_fn = on_wait,
            .wait_ctx = s,
    };
    s->cap = capture_create(&ccfg, on_frame, s, log);
    if (s->cap == NULL)
        goto out_json;
    if (cfg->export_aggregators.n > 0 && export_open(s, cfg) != 0)
        goto out_capture;
    return s;

out_capture:
    export_destroy(&s->ex);
    free(s->rec);
    capture_destroy(&s->cap);
out_json:
    flow_json_destroy(&s->json);
out_table:
    flow_table_destroy(&s->ft);
    free(s->pipe_payload);
out_features:
    payload_destroy(&s->pl);
    features_destroy(&s->feat);
out_free:
    free(s);
    return NULL;
}

void sensor_destroy(struct sensor **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    struct sensor *s = *sp;
    export_destroy(&s->ex);
    free(s->rec);
    capture_destroy(&s->cap);
    flow_json_destroy(&s->json);
    flow_table_destroy(&s->ft);
    free(s->pipe_payload);
    payload_destroy(&s->pl);
    features_destroy(&s->feat);
    free(s);
    *sp = NULL;
}

int sensor_run_slice(struct sensor *s)
{
    int rc = capture_run(s->cap, SENSOR_SLICE);
    /* Between slices nothing waits in the pipe: counters and events are up to date. */
    flow_pipe_drain(&s->pipe);
    /* Live: flows must time out even when no packet comes to advance packet time. */
    if (s->live && rc == 1)
        flow_table_expire(s->ft, clock_wall_ns());
    /* Events reach the file within a slice (live: within the poll timeout), and a write error
     * is seen now rather than at exit. */
    if (s->json != NULL)
        flow_json_flush(s->json);
    if (s->ex != NULL)
        export_poll(s->ex);
    poll_counters(s);
    return rc;
}

void sensor_finish(struct sensor *s)
{
    flow_pipe_drain(&s->pipe);
    flow_table_flush(s->ft, FLOW_END_SHUTDOWN);
    if (s->json != NULL)
        flow_json_flush(s->json);
    if (s->ex != NULL)
        s->unacked = export_drain(s->ex, s->cfg->export_drain, s->sig.abort);
}

uint64_t sensor_unacknowledged(const struct sensor *s)
{
    return s->unacked;
}

uint64_t sensor_output_errors(const struct sensor *s)
{
    return s->json != NULL ? flow_json_errors(s->json) : 0;
}

static void counter(FILE *f, const char *name, uint64_t v)
{
    fprintf(f, "  %-28s %llu\n", name, (unsigned long long)v);
}

static void named_counter(void *ctx, const char *name, uint64_t v)
{
    counter(ctx, name, v);
}

void sensor_print_counters(struct sensor *s, FILE *f)
{
    struct capture_stats cs;
    struct flow_table_stats fs;
    char name[64];
    capture_stats(s->cap, &cs);
    flow_table_stats(s->ft, &fs);

    fprintf(f, "umbra-sensor counters (%s %s, link type %s)\n", s->live ? "interface" : "file",
            s->live ? s->cfg->capture_iface : s->cfg->capture_file, capture_linktype_name(s->cap));
    counter(f, "packets_read", cs.packets);
    counter(f, "bytes_read", cs.bytes_wire);
    counter(f, "packets_cut_by_snaplen", cs.truncated);
    counter(f, "packets_time_backwards", cs.ts_backwards);
    if (s->live) {
        counter(f, "kernel_received", cs.kernel_recv);
        counter(f, "kernel_dropped", cs.kernel_drop);
        counter(f, "interface_dropped", cs.iface_drop);
    }
    counter(f, "packets_decoded", s->decode[DECODE_OK]);
    for (int i = DECODE_OK + 1; i < DECODE_STATUS_COUNT; i++) {
        snprintf(name, sizeof(name), "dropped_%s", decode_status_name((enum decode_status)i));
        counter(f, name, s->decode[i]);
    }
    counter(f, "fragments_attributed", fs.frag_attributed);
    counter(f, "fragments_unattributed", fs.frag_unattributed);
    counter(f, "flows_created", fs.flows_created);
    counter(f, "flows_active", fs.flows_active);
    counter(f, "flows_active_peak", fs.max_active);
    for (int r = FLOW_END_NONE + 1; r < FLOW_END_COUNT; r++) {
        snprintf(name, sizeof(name), "flows_ended_%s",
                 flow_end_reason_name((enum flow_end_reason)r));
        counter(f, name, fs.flows_ended[r]);
    }
    counter(f, "flows_evicted", fs.flows_ended[FLOW_END_EVICTED]);
    counter(f, "flow_updates", fs.updates);
    counter(f, "tcp_port_reuse", fs.port_reuse);
    counter(f, "flow_table_bytes", flow_table_memory(s->ft));
    if (s->feat != NULL) {
        counter(f, "features_bytes", features_memory(s->feat));
        features_counters(s->feat, named_counter, f);
    }
    if (s->pl != NULL) {
        counter(f, "payload_bytes", payload_memory(s->pl));
        payload_counters(s->pl, named_counter, f);
    }
    if (s->json != NULL)
        counter(f, "json_write_errors", flow_json_errors(s->json));
    if (s->ex != NULL)
        export_counters(s->ex, named_counter, f);
    fflush(f);
}
