/*
 * Protobuf walk: check a protobuf payload against its protobuf-c descriptor and hand each field
 * to a visitor, without building the message.
 *
 * Why: the aggregator decodes every FlowBatch only to check it and keeps the payload as it came
 * (docs/BENCHMARKS.md, transport). protobuf_c_message_unpack() allocates and initialises every
 * nested message of every record, about a quarter of the ingest time; a walk reads each byte once
 * and allocates nothing.
 *
 * What the walk refuses (UMBRA_EWIRE) is everything protobuf_c_message_unpack() refuses, and a few
 * encodings protobuf-c takes that no Umbra sender writes:
 *   - a tag that is not a varint of at most 5 bytes, field number 0 or above 2^29 - 1, wire type
 *     3, 4, 6 or 7 (groups and undefined types);
 *   - a varint longer than 10 bytes, a length that is not a varint of at most 5 bytes or runs past
 *     the end, a fixed32/fixed64 cut short;
 *   - a known field with a wire type its type cannot have (a bool too: protobuf-c reads a bool
 *     from any wire type, the walk only from a varint);
 *   - packed data whose length is not a multiple of 4 (fixed32, float) or 8 (fixed64, double),
 *     ends inside a varint, or holds a bool byte other than 0 or 1;
 *   - a singular message field given twice in one message (protobuf-c merges the two);
 *   - messages nested deeper than PB_WALK_DEPTH_MAX.
 * Unknown fields (a newer sender's) are checked as far as their wire type allows and skipped.
 * The visitor never sees one.
 *
 * Threads: no state; safe from any thread.
 */
#ifndef UMBRA_COMMON_PB_WALK_H
#define UMBRA_COMMON_PB_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#define PB_WALK_DEPTH_MAX 8 /* umbra.proto nests 4 deep; no type is recursive */

enum pb_walk_event {
    PB_WALK_FIELD,  /* one value of a scalar, string or bytes field (a repeated one: per element) */
    PB_WALK_PACKED, /* a packed run of a repeated scalar field: v->count elements in v->data */
    PB_WALK_ENTER,  /* a message field begins; its fields follow, then PB_WALK_LEAVE */
    PB_WALK_LEAVE,  /* the message field entered last ends */
};

struct pb_walk_value {
    /*
     * FIELD of a varint type: the value (uint32, int32 and enum as protobuf-c reads them: the low
     * 32 bits), bool 0 or 1; of a fixed32 or float type: the 4 bytes, little-endian, as a number;
     * of fixed64 or double: the 8 bytes likewise. Use pb_walk_float()/pb_walk_double().
     */
    uint64_t u;
    const uint8_t *data; /* FIELD of string or bytes, PACKED, ENTER: the field's bytes */
    size_t len;          /* their length */
    size_t count;        /* PACKED: elements in the run; 1 for FIELD */
};

/*
 * The visitor: @msg is the descriptor of the message the field belongs to, @f the field's.
 * Return 0 to go on; any other value stops the walk, and pb_walk() returns it, except
 * PB_WALK_QUIET in answer to PB_WALK_ENTER: the message is walked and checked all the same, but
 * the visitor hears nothing from inside it (its PB_WALK_LEAVE still comes). Most of a record is
 * of no interest to a checker, and not calling for each of its fields is most of a walk's speed.
 */
#define PB_WALK_QUIET 1

typedef int pb_walk_fn(void *ctx, enum pb_walk_event ev, const ProtobufCMessageDescriptor *msg,
                       const ProtobufCFieldDescriptor *f, const struct pb_walk_value *v);

/*
 * pb_walk() - walk @len bytes at @buf as a message of type @desc, calling @fn for each field of
 * a known number in wire order, entering message fields as they come.
 *
 * Returns 0 when every byte was walked, UMBRA_EWIRE at the first encoding the top of this file
 * refuses (the visitor may have seen fields before it), -EINVAL for a NULL @desc or @fn or a NULL
 * @buf with @len > 0, or the visitor's non-zero value.
 */
int pb_walk(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len, pb_walk_fn *fn,
            void *ctx);

/*
 * A plan: the schema under one message type compiled into direct tables (each message's fields
 * by number, each message field's type), so that a walk looks nothing up in protobuf-c's
 * descriptors. Made once, e.g. when a daemon starts; read-only afterwards, so one plan may serve
 * walks on several threads.
 */
struct pb_walk_plan;

#define PB_WALK_PLAN_TYPES 128 /* message types under one root; umbra.proto's FlowBatch has 24 */
#define PB_WALK_PLAN_IDS                                                                           \
    1024 /* field numbers tabled per type; a type with a higher one has no                         \
          * plan (umbra.proto's highest is 50) */

/* pb_walk_plan_create() - the plan for @root and every type under it; NULL if @root is NULL,
 * memory runs out, there are more than PB_WALK_PLAN_TYPES types or a field number is
 * PB_WALK_PLAN_IDS or above (the caller logs it). */
struct pb_walk_plan *pb_walk_plan_create(const ProtobufCMessageDescriptor *root);

/*
 * pb_walk_plan_only() - in messages of type @desc, the visitor wants only the fields numbered in
 * @ids (@n_ids of them): walks with @plan check the others as always but do not tell them (a
 * message field not listed is walked as if PB_WALK_QUIET had been answered, without its ENTER and
 * LEAVE). A plan's messages tell every field until this is called for them; calling it again
 * replaces the list. Call before the plan is shared between threads.
 *
 * Why: a visitor that wants two fields of a message of twelve would otherwise be called twelve
 * times per message, and on the aggregator's path those calls are most of the walk's cost.
 *
 * Returns 0, -EINVAL (NULL arguments), or -ENOENT (@desc is not in @plan or a number in @ids is
 * not one of its fields; nothing is changed).
 */
int pb_walk_plan_only(struct pb_walk_plan *plan, const ProtobufCMessageDescriptor *desc,
                      const uint32_t *ids, size_t n_ids);

/* pb_walk_plan_destroy() - free and set *@pp to NULL. NULL-safe. */
void pb_walk_plan_destroy(struct pb_walk_plan **pp);

/*
 * pb_walk_planned() - pb_walk() of a message of @plan's root type, with the same checks, events
 * and return values, looking fields up in @plan's tables (-EINVAL for a NULL @plan).
 */
int pb_walk_planned(const struct pb_walk_plan *plan, const uint8_t *buf, size_t len, pb_walk_fn *fn,
                    void *ctx);

/*
 * pb_walk_packed_next() - the next element of a PACKED run of a varint type: set *@out and return
 * true, advancing *@v (a copy the caller owns); false at the end. The run was checked by the
 * walk, so no element is malformed.
 */
bool pb_walk_packed_next(struct pb_walk_value *v, const ProtobufCFieldDescriptor *f, uint64_t *out);

float pb_walk_float(const struct pb_walk_value *v);
double pb_walk_double(const struct pb_walk_value *v);

#endif
