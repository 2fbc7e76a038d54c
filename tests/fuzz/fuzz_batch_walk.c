/*
 * Fuzz target for the aggregator's batch path: each input is a FlowBatch payload, checked by the
 * walk (with and without a plan) and by protobuf-c with batch_check, and the answers compared
 * (tests/unit/support/batch_compare.h, shared with the mutation test in test_batch_check). A
 * broken invariant aborts, so libFuzzer reports it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/pb_walk.h"
#include "common/wire.h"
#include "tests/unit/support/batch_compare.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_LEN (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct batch_check_limits lim = {.max_records = 64};
    static struct pb_walk_plan *plan; /* made once for the process */
    if (size > FUZZ_MAX_LEN - WIRE_OVERHEAD)
        return 0;
    if (plan == NULL && (plan = batch_check_plan_create()) == NULL)
        abort();
    char why[320];
    if (batch_compare(plan, data, size, &lim, why, sizeof(why)) == BATCH_COMPARE_MISMATCH) {
        fprintf(stderr, "fuzz_batch_walk: %s\n", why);
        abort();
    }
    return 0;
}
