/*
 * Test support: one FlowBatch payload checked both ways the aggregator could check it, by the
 * walk (batch_check_wire, with and without a plan) and by protobuf-c's decoder with batch_check
 * on the structs, and the two answers compared. The mutation test (test_batch_check) and the
 * fuzz target (fuzz_batch_walk) share it, so both hold the walk to the same invariant.
 */
#ifndef UMBRA_TESTS_SUPPORT_BATCH_COMPARE_H
#define UMBRA_TESTS_SUPPORT_BATCH_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "aggregator/batch_check.h"

struct pb_walk_plan;

enum batch_compare_outcome {
    BATCH_COMPARE_ALIKE,         /* both decoded it: the same verdict, reason and header */
    BATCH_COMPARE_BOTH_REFUSED,  /* neither decoded it */
    BATCH_COMPARE_WALK_STRICTER, /* protobuf-c decodes what the walk refuses (pb_walk.h) */
    BATCH_COMPARE_NUL_ID,        /* protobuf-c cut the sensor id at a NUL; the walk refused it */
    BATCH_COMPARE_BUDGET,        /* the walk accepted; protobuf-c ran out of its memory budget */
    BATCH_COMPARE_MISMATCH,      /* the invariant is broken: @why says how */
};

/*
 * batch_compare() - check @payload (@len bytes, a FlowBatch's protobuf) both ways with @lim;
 * @plan is a FlowBatch plan (pb_walk_plan_create). On BATCH_COMPARE_MISMATCH @why holds a line
 * naming both answers. Allocates (the envelope, protobuf-c's message) and frees before returning.
 */
enum batch_compare_outcome batch_compare(const struct pb_walk_plan *plan, const uint8_t *payload,
                                         size_t len, const struct batch_check_limits *lim,
                                         char *why, size_t why_len);

#endif
