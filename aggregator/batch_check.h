/*
 * Batch check: what a decoded FlowBatch must satisfy, beyond what the wire envelope and
 * protobuf guarantee, before the aggregator applies it. Protobuf accepts any integer in a
 * uint32 port, any number of bytes in an address and NaN in a score; everything downstream
 * (window graph, detectors, learner) may rely on the rules below instead of checking again.
 *
 *   what                                   rule                                  cause
 *   sensor_id                              not empty                             NO_SENSOR_ID
 *   sensor_id                              at most 64 bytes, each printable      BAD_SENSOR_ID
 *                                          ASCII other than space (0x21..0x7e)
 *   sequence                               >= 1                                  NO_SEQUENCE
 *   stream_epoch                           != 0                                  NO_EPOCH
 *   oldest_held                            1 <= oldest_held <= sequence          BAD_OLDEST
 *   records                                at least one                          NO_RECORDS
 *   records                                at most limits.max_records            TOO_MANY_RECORDS
 *   each record:                                                                 BAD_RECORD
 *     event                                OPEN, UPDATE or END
 *     end_reason                           a value of enum EndReason
 *     key                                  present
 *     key.ip_proto                         <= 255
 *     key.client_addr, key.server_addr     both 4 or both 16 bytes
 *     key.client_port, key.server_port     <= 65535; 0 unless ip_proto is TCP (6),
 *                                          UDP (17) or SCTP (132)
 *     key.vlan_ids                         at most 2, each <= 4095
 *     timing                               present, first_ts != 0, and
 *                                          first_ts <= last_ts unless last_ts is 0
 *     splt (when present)                  lengths, iat_us and from_server equally
 *                                          long, at most BATCH_CHECK_SPLT_MAX
 *     splt.markov_bins                     <= BATCH_CHECK_MARKOV_BINS_MAX
 *     splt.length_markov, splt.iat_markov  each empty or markov_bins^2 long
 *     byte_dist_client/server.entropy      within [0, 8] bits per byte, not NaN
 *     scores.heads[].score, scores.anomaly within [0, 1], not NaN
 *
 * The first rule broken, in this order and by record index, is the one reported.
 *
 * Threads: no state; safe from any thread.
 */
#ifndef UMBRA_AGGREGATOR_BATCH_CHECK_H
#define UMBRA_AGGREGATOR_BATCH_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "proto/umbra.pb-c.h"

struct pb_walk_plan;
struct flow_summary;

#define BATCH_CHECK_ID_MAX          64  /* bytes of a sensor id */
#define BATCH_CHECK_SPLT_MAX        200 /* packets in a SPLT list */
#define BATCH_CHECK_MARKOV_BINS_MAX 32  /* states of a SPLT Markov summary */

enum batch_check_cause {
    BATCH_OK = 0,
    BATCH_NO_SENSOR_ID,
    BATCH_BAD_SENSOR_ID,
    BATCH_NO_SEQUENCE,
    BATCH_NO_EPOCH,
    BATCH_BAD_OLDEST,
    BATCH_TOO_MANY_RECORDS,
    BATCH_BAD_RECORD,
    BATCH_NO_RECORDS,
    BATCH_CAUSE_COUNT,
};

struct batch_check_limits {
    uint32_t max_records; /* records per batch */
};

/*
 * batch_check_cause_name() - "ok", "no_sensor_id", "bad_sensor_id", ... for counter names; a
 * static string, "unknown" for a value outside the enum. Never NULL.
 */
const char *batch_check_cause_name(enum batch_check_cause c);

/*
 * batch_check() - check @b against the table at the top of this file and @lim.
 * @why, @why_len:  receives a one-line reason naming the field, its value and, for a record,
 *                  its index ("record 17: client_addr of 5 bytes"); "" for BATCH_OK. May be
 *                  NULL with @why_len 0. Cut to fit.
 *
 * Only reads @b; allocates nothing. A NULL @b or @lim is a programmer error.
 *
 * Returns BATCH_OK (0) or the cause of the first rule broken.
 */
enum batch_check_cause batch_check(const Umbra__FlowBatch *b, const struct batch_check_limits *lim,
                                   char *why, size_t why_len);

/* What batch_check_wire() reads of a batch's header, for the caller's decision and its ack. */
struct batch_check_header {
    char sensor_id[BATCH_CHECK_ID_MAX + 1]; /* "" when the id broke its rules */
    uint64_t sequence, stream_epoch, oldest_held;
    size_t n_records;
};

/*
 * batch_check_plan_create() - the walk plan batch_check_wire() wants: FlowBatch's schema
 * compiled (pb_walk_plan_create), with only the fields the checks and the summaries read told to
 * the visitor (pb_walk_plan_only). NULL when memory runs out. Free it with pb_walk_plan_destroy().
 */
struct pb_walk_plan *batch_check_plan_create(void);

/*
 * batch_check_wire() - the checks of batch_check() on a FlowBatch's protobuf payload (@len bytes
 * at @payload, the envelope already opened by wire_open()), walked with pb_walk() instead of
 * decoded: the aggregator's path, which keeps the payload and needs no structs.
 * @plan:   batch_check_plan_create(), made once by the caller, or NULL to look fields up in the
 *          descriptors (slower, the same verdicts and summaries).
 * @hdr:    receives the header fields, also for a batch that breaks a rule (for its ack).
 * @sum:    NULL, or room for @lim->max_records summaries: record i's summary (flow_summary.h)
 *          goes to @sum[i], read in the same walk. Only a BATCH_OK batch's are all filled.
 * @cause:  receives BATCH_OK or the first rule broken, in batch_check()'s order and with its
 *          reason in @why; set only when 0 is returned.
 *
 * It gives batch_check()'s verdict for every payload protobuf-c decodes, except that it refuses
 * outright what pb_walk() refuses (see pb_walk.h: encodings no Umbra sender writes) and a
 * sensor_id with a NUL byte (protobuf-c would cut the id there). tests/unit/test_batch_check.c
 * holds the two side by side on mutated batches.
 *
 * Returns 0 (see @cause), UMBRA_EWIRE (not a well-formed FlowBatch) or UMBRA_ESCHEMA
 * (schema_version is not WIRE_SCHEMA_VERSION). Allocates nothing.
 */
int batch_check_wire(const struct pb_walk_plan *plan, const uint8_t *payload, size_t len,
                     const struct batch_check_limits *lim, struct batch_check_header *hdr,
                     struct flow_summary *sum, enum batch_check_cause *cause, char *why,
                     size_t why_len);

#endif
