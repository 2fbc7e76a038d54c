/*
 * Fuzz target for the aggregator's batch path: each input is a FlowBatch payload, checked by
 * walking it (batch_check_wire, common/pb_walk) and by decoding it with protobuf-c in a valid
 * envelope and running batch_check on the structs. What the walk accepts, protobuf-c must decode
 * to the same verdict, reason and header; the walk may refuse more (pb_walk.h says what). With
 * and without a compiled plan the walk gives the same answers. A
 * broken invariant aborts, so libFuzzer reports it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator/batch_check.h"
#include "common/pb_walk.h"
#include "common/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_LEN (1u << 20)

/* Whether @data holds @b's sensor id followed by a NUL byte: protobuf-c keeps a string only up
 * to its first NUL, so its id is shorter than the one on the wire. */
static bool id_cut_at_nul(const uint8_t *data, size_t size, const Umbra__FlowBatch *b)
{
    size_t n = strlen(b->sensor_id);
    for (size_t i = 0; i + n < size; i++) {
        if (memcmp(data + i, b->sensor_id, n) == 0 && data[i + n] == 0)
            return true;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct batch_check_limits lim = {.max_records = 64};
    if (size > FUZZ_MAX_LEN - WIRE_OVERHEAD)
        return 0;
    struct batch_check_header hdr;
    enum batch_check_cause wc;
    char wwhy[160], why[160];
    static struct pb_walk_plan *plan;
    if (plan == NULL && (plan = pb_walk_plan_create(&umbra__flow_batch__descriptor)) == NULL)
        abort();
    int wrc = batch_check_wire(plan, data, size, &lim, &hdr, &wc, wwhy, sizeof(wwhy));
    if (wrc > 0)
        abort();
    /* The plan only speeds the walk up: without it, the same verdict and reason. */
    struct batch_check_header hdr2;
    enum batch_check_cause wc2 = BATCH_CAUSE_COUNT;
    char why2[160];
    int wrc2 = batch_check_wire(NULL, data, size, &lim, &hdr2, &wc2, why2, sizeof(why2));
    if (wrc2 != wrc || (wrc == 0 && (wc2 != wc || strcmp(why2, wwhy) != 0)))
        abort();
    if (wrc != 0)
        return 0;

    uint8_t *env = malloc(size + WIRE_OVERHEAD);
    if (env == NULL)
        abort();
    if (size > 0)
        memcpy(env + WIRE_HEADER_LEN, data, size);
    size_t len;
    if (wire_seal(WIRE_FLOW_BATCH, env, size, size + WIRE_OVERHEAD, &len) != 0)
        abort();
    ProtobufCMessage *m = NULL;
    int urc = wire_unpack(WIRE_FLOW_BATCH, env, len, FUZZ_MAX_LEN, NULL, &m);
    free(env);
    if (urc == -EMSGSIZE || urc == -ENOMEM)
        return 0; /* protobuf-c's memory budget, which a walk does not need */
    if (urc != 0)
        abort(); /* the walk accepted what protobuf-c refuses */
    const Umbra__FlowBatch *b = (const Umbra__FlowBatch *)m;
    enum batch_check_cause c = batch_check(b, &lim, why, sizeof(why));
    if (wc == BATCH_BAD_SENSOR_ID && c != BATCH_BAD_SENSOR_ID && id_cut_at_nul(data, size, b)) {
        wire_free(m, NULL);
        return 0; /* protobuf-c cut the id at a NUL; the walk refuses the whole id */
    }
    if (c != wc || strcmp(why, wwhy) != 0 || hdr.sequence != b->sequence ||
        hdr.stream_epoch != b->stream_epoch || hdr.oldest_held != b->oldest_held ||
        hdr.n_records != b->n_records)
        abort();
    if (c != BATCH_NO_SENSOR_ID && c != BATCH_BAD_SENSOR_ID && strcmp(hdr.sensor_id, b->sensor_id))
        abort();
    wire_free(m, NULL);
    return 0;
}
