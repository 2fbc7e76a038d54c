/*
 * Test support: the walk against protobuf-c on one payload (batch_compare.h).
 */
#include "tests/unit/support/batch_compare.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/pb_walk.h"
#include "aggregator/flow_summary.h"
#include "common/wire.h"

#define REASON_MAX 160

/* Whether @p holds @b's sensor id followed by a NUL byte: protobuf-c keeps a string only up to
 * its first NUL, so its id is shorter than the one on the wire. */
static bool id_cut_at_nul(const uint8_t *p, size_t size, const Umbra__FlowBatch *b)
{
    size_t n = strlen(b->sensor_id);
    for (size_t i = 0; i + n < size; i++) {
        if (memcmp(p + i, b->sensor_id, n) == 0 && p[i + n] == 0)
            return true;
    }
    return false;
}

/* protobuf-c's decoding of @payload in a valid envelope: 0 with *@m, or wire_unpack()'s code. */
static int unpack(const uint8_t *payload, size_t len, ProtobufCMessage **m)
{
    uint8_t *env = malloc(len + WIRE_OVERHEAD);
    if (env == NULL)
        abort();
    if (len > 0)
        memcpy(env + WIRE_HEADER_LEN, payload, len);
    size_t n;
    if (wire_seal(WIRE_FLOW_BATCH, env, len, len + WIRE_OVERHEAD, &n) != 0)
        abort();
    int rc = wire_unpack(WIRE_FLOW_BATCH, env, n, n, NULL, m);
    free(env);
    return rc;
}

static enum batch_compare_outcome mismatch(char *why, size_t why_len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static enum batch_compare_outcome mismatch(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why_len > 0)
        vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return BATCH_COMPARE_MISMATCH;
}

/* Both ways decoded it: the answers must agree, but for the one documented difference. */
static enum batch_compare_outcome
compare_decoded(const uint8_t *payload, size_t len, const struct batch_check_limits *lim,
                const Umbra__FlowBatch *b, const struct batch_check_header *hdr,
                const struct flow_summary *sum, enum batch_check_cause wc, const char *wwhy,
                char *why, size_t why_len)
{
    char swhy[REASON_MAX];
    enum batch_check_cause c = batch_check(b, lim, swhy, sizeof(swhy));
    if (wc == BATCH_BAD_SENSOR_ID && c != BATCH_BAD_SENSOR_ID && id_cut_at_nul(payload, len, b))
        return BATCH_COMPARE_NUL_ID;
    if (c != wc || strcmp(swhy, wwhy) != 0)
        return mismatch(why, why_len, "structs %s \"%s\", wire %s \"%s\"",
                        batch_check_cause_name(c), swhy, batch_check_cause_name(wc), wwhy);
    if (hdr->sequence != b->sequence || hdr->stream_epoch != b->stream_epoch ||
        hdr->oldest_held != b->oldest_held || hdr->n_records != b->n_records)
        return mismatch(why, why_len, "headers differ: sequence, epoch, oldest_held or records");
    if (c != BATCH_NO_SENSOR_ID && c != BATCH_BAD_SENSOR_ID &&
        strcmp(hdr->sensor_id, b->sensor_id) != 0)
        return mismatch(why, why_len, "sensor ids differ: \"%s\" and \"%s\"", hdr->sensor_id,
                        b->sensor_id);
    /* A good batch's summaries, read during the walk, are those of the decoded records. */
    for (size_t i = 0; c == BATCH_OK && i < b->n_records; i++) {
        struct flow_summary ref;
        if (!flow_summary_of_record(b->records[i], &ref) || memcmp(&ref, &sum[i], sizeof(ref)) != 0)
            return mismatch(why, why_len,
                            "record %zu: the walk's summary differs from the "
                            "decoded record's",
                            i);
    }
    return BATCH_COMPARE_ALIKE;
}

enum batch_compare_outcome batch_compare(const struct pb_walk_plan *plan, const uint8_t *payload,
                                         size_t len, const struct batch_check_limits *lim,
                                         char *why, size_t why_len)
{
    struct batch_check_header hdr, hdr2;
    enum batch_check_cause wc = BATCH_CAUSE_COUNT, wc2 = BATCH_CAUSE_COUNT;
    char wwhy[REASON_MAX], wwhy2[REASON_MAX];
    struct flow_summary *sum = calloc(lim->max_records > 0 ? lim->max_records : 1, sizeof(*sum));
    if (sum == NULL)
        return mismatch(why, why_len, "out of memory");
    /* One walk summarises, the other does not: summarising must not change the verdict. */
    int wrc = batch_check_wire(plan, payload, len, lim, &hdr, sum, &wc, wwhy, sizeof(wwhy));
    int wrc2 = batch_check_wire(NULL, payload, len, lim, &hdr2, NULL, &wc2, wwhy2, sizeof(wwhy2));
    /* The plan only speeds the walk up: without it, the same answer. */
    if (wrc > 0 || wrc2 != wrc || (wrc == 0 && (wc2 != wc || strcmp(wwhy2, wwhy) != 0))) {
        free(sum);
        return mismatch(why, why_len, "with the plan %d %s \"%s\", without %d %s \"%s\"", wrc,
                        batch_check_cause_name(wc), wwhy, wrc2, batch_check_cause_name(wc2), wwhy2);
    }

    ProtobufCMessage *m = NULL;
    int urc = unpack(payload, len, &m);
    enum batch_compare_outcome out;
    if (wrc != 0)
        out = urc != 0 ? BATCH_COMPARE_BOTH_REFUSED : BATCH_COMPARE_WALK_STRICTER;
    else if (urc == -EMSGSIZE || urc == -ENOMEM)
        out = BATCH_COMPARE_BUDGET;
    else if (urc != 0)
        out = mismatch(why, why_len, "the walk accepted (%s) what protobuf-c refused: %s",
                       batch_check_cause_name(wc), umbra_strerror(urc));
    else
        out = compare_decoded(payload, len, lim, (const Umbra__FlowBatch *)m, &hdr, sum, wc, wwhy,
                              why, why_len);
    wire_free(m, NULL);
    free(sum);
    return out;
}
