/*
 * pb_walk: hand-encoded protobuf (the encoding rules of the protobuf spec, worked out byte by byte
 * in the comments) against umbra.proto's descriptors. Each test states what the visitor must see
 * or which rule refuses the bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "common/err.h"
#include "common/pb_walk.h"
#include "proto/umbra.pb-c.h"

#define MAX_EVENTS 32

/* What the visitor saw, in order. */
struct seen {
    size_t n;
    struct {
        enum pb_walk_event ev;
        uint32_t id;
        uint64_t u;
        size_t len, count;
    } e[MAX_EVENTS];
    int stop_at; /* return 7 at this event index; -1 never */
    bool quiet;  /* answer every PB_WALK_ENTER with PB_WALK_QUIET */
};

static int record(void *ctx, enum pb_walk_event ev, const ProtobufCMessageDescriptor *msg,
                  const ProtobufCFieldDescriptor *f, const struct pb_walk_value *v)
{
    (void)msg;
    struct seen *s = ctx;
    assert_true(s->n < MAX_EVENTS);
    s->e[s->n].ev = ev;
    s->e[s->n].id = f->id;
    s->e[s->n].u = v->u;
    s->e[s->n].len = v->len;
    s->e[s->n].count = v->count;
    if ((int)s->n++ == s->stop_at)
        return 7;
    return s->quiet && ev == PB_WALK_ENTER ? PB_WALK_QUIET : 0;
}

/* A fresh record of events; @quiet answers every ENTER with PB_WALK_QUIET. */
static void seen_init(struct seen *s, bool quiet)
{
    memset(s, 0, sizeof(*s));
    s->stop_at = -1;
    s->quiet = quiet;
}

static int walk(const ProtobufCMessageDescriptor *d, const uint8_t *b, size_t n, struct seen *s)
{
    seen_init(s, false);
    return pb_walk(d, b, n, record, s);
}

#define WALK(desc, s, ...)                                                                         \
    walk(&(desc), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), (s))

static void test_pb_walk_reads_varints_in_order(void **state)
{
    (void)state;
    struct seen s;
    /* FlowTiming: first_ts (1, varint) = 300 = 0xac 0x02; last_ts (2) = 1. */
    assert_int_equal(WALK(umbra__flow_timing__descriptor, &s, 0x08, 0xac, 0x02, 0x10, 0x01), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.e[0].ev, PB_WALK_FIELD);
    assert_int_equal(s.e[0].id, 1);
    assert_int_equal(s.e[0].u, 300);
    assert_int_equal(s.e[1].id, 2);
    assert_int_equal(s.e[1].u, 1);
    /* A ten-byte varint is the longest: 2^63 = 0x80 x9, 0x01. */
    assert_int_equal(WALK(umbra__flow_timing__descriptor, &s, 0x08, 0x80, 0x80, 0x80, 0x80, 0x80,
                          0x80, 0x80, 0x80, 0x80, 0x01),
                     0);
    assert_int_equal(s.e[0].u, UINT64_C(1) << 63);
    assert_int_equal(WALK(umbra__flow_timing__descriptor, &s, 0x08, 0x80, 0x80, 0x80, 0x80, 0x80,
                          0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
                     UMBRA_EWIRE);
}

static void test_pb_walk_cuts_32_bit_fields_as_protobuf_c_does(void **state)
{
    (void)state;
    struct seen s;
    /* FlowKey.ip_proto (1, uint32) = 2^32 + 5: 0x85 0x80 0x80 0x80 0x10; protobuf-c keeps the low
     * 32 bits, 5. */
    assert_int_equal(WALK(umbra__flow_key__descriptor, &s, 0x08, 0x85, 0x80, 0x80, 0x80, 0x10), 0);
    assert_int_equal(s.e[0].u, 5);
}

static void test_pb_walk_gives_bytes_and_fixed_values(void **state)
{
    (void)state;
    struct seen s;
    /* FlowKey.client_addr (2, bytes) = 10.0.0.1; FlowBatch.oldest_held (8, fixed64) = 0x0102. */
    assert_int_equal(WALK(umbra__flow_key__descriptor, &s, 0x12, 0x04, 10, 0, 0, 1), 0);
    assert_int_equal(s.e[0].len, 4);
    assert_int_equal(WALK(umbra__flow_batch__descriptor, &s, 0x41, 0x02, 0x01, 0, 0, 0, 0, 0, 0),
                     0);
    assert_int_equal(s.e[0].id, 8);
    assert_int_equal(s.e[0].u, 0x0102);
    /* ByteDist.entropy (3, double) = 1.5: 0x3ff8000000000000 little-endian. */
    static const uint8_t bd[] = {0x19, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f};
    struct seen t;
    seen_init(&t, false);
    assert_int_equal(pb_walk(&umbra__byte_dist__descriptor, bd, sizeof(bd), record, &t), 0);
    struct pb_walk_value v = {.u = t.e[0].u};
    assert_true(pb_walk_double(&v) == 1.5);
}

static void test_pb_walk_counts_packed_and_unpacked_elements(void **state)
{
    (void)state;
    struct seen s;
    /* Splt.lengths (1) packed: 0x0a, length 3, elements 1 and 300. */
    static const uint8_t packed[] = {0x0a, 0x03, 0x01, 0xac, 0x02};
    seen_init(&s, false);
    assert_int_equal(pb_walk(&umbra__splt__descriptor, packed, sizeof(packed), record, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.e[0].ev, PB_WALK_PACKED);
    assert_int_equal(s.e[0].count, 2);
    struct pb_walk_value run = {.data = packed + 2, .len = 3, .count = 2};
    const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(&umbra__splt__descriptor, 1);
    uint64_t x;
    assert_true(pb_walk_packed_next(&run, f, &x));
    assert_int_equal(x, 1);
    assert_true(pb_walk_packed_next(&run, f, &x));
    assert_int_equal(x, 300);
    assert_false(pb_walk_packed_next(&run, f, &x));
    /* The same elements unpacked: two fields 0x08. */
    assert_int_equal(WALK(umbra__splt__descriptor, &s, 0x08, 0x01, 0x08, 0xac, 0x02), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.e[0].ev, PB_WALK_FIELD);
    assert_int_equal(s.e[1].u, 300);
    /* length_markov (5, float) packed: 8 bytes are 2 floats, 6 are not a whole number. */
    assert_int_equal(WALK(umbra__splt__descriptor, &s, 0x2a, 0x08, 0, 0, 0x80, 0x3f, 0, 0, 0, 0),
                     0);
    assert_int_equal(s.e[0].count, 2);
    assert_int_equal(WALK(umbra__splt__descriptor, &s, 0x2a, 0x06, 0, 0, 0x80, 0x3f, 0, 0),
                     UMBRA_EWIRE);
    /* A packed run that ends inside a varint, and a packed bool byte of 2 (from_server, 3). */
    assert_int_equal(WALK(umbra__splt__descriptor, &s, 0x0a, 0x02, 0x01, 0x80), UMBRA_EWIRE);
    assert_int_equal(WALK(umbra__splt__descriptor, &s, 0x1a, 0x02, 0x01, 0x00), 0);
    assert_int_equal(s.e[0].count, 2);
    assert_int_equal(WALK(umbra__splt__descriptor, &s, 0x1a, 0x02, 0x01, 0x02), UMBRA_EWIRE);
}

/*
 * Packed varints are counted eight bytes at a time: every placement of a long varint against
 * those words, in runs of up to 40 bytes. A varint of 10 bytes (9 continuation bytes) is the
 * longest protobuf-c's scan_varint() takes, one of 11 is refused; so is a run that ends inside a
 * varint, and the count is the elements protobuf-c unpacks. protobuf-c is the oracle.
 */
static void test_pb_walk_counts_long_packed_varints_like_protobuf_c(void **state)
{
    (void)state;
    uint8_t msg[64];
    for (size_t lead = 0; lead < 17; lead++) {
        for (size_t cont = 0; cont <= 11; cont++) {
            for (size_t trail = 0; trail < 12; trail++) {
                for (int cut = 0; cut < 2; cut++) {
                    /* Splt.lengths (1), packed: lead one-byte elements, one element of cont
                     * continuation bytes and its end, trail one-byte elements; cut drops the
                     * last byte. */
                    size_t n = 0;
                    for (size_t i = 0; i < lead; i++)
                        msg[2 + n++] = (uint8_t)(i + 1);
                    for (size_t i = 0; i < cont; i++)
                        msg[2 + n++] = 0x81;
                    msg[2 + n++] = 0x01;
                    for (size_t i = 0; i < trail; i++)
                        msg[2 + n++] = 0x7f;
                    n -= (size_t)cut;
                    msg[0] = 0x0a;
                    msg[1] = (uint8_t)n;
                    Umbra__Splt *m = umbra__splt__unpack(NULL, n + 2, msg);
                    struct seen s;
                    seen_init(&s, false);
                    int rc = pb_walk(&umbra__splt__descriptor, msg, n + 2, record, &s);
                    if (m == NULL) {
                        assert_int_equal(rc, UMBRA_EWIRE);
                    } else {
                        assert_int_equal(rc, 0);
                        assert_int_equal(s.e[0].count, m->n_lengths);
                        umbra__splt__free_unpacked(m, NULL);
                    }
                }
            }
        }
    }
}

static void test_pb_walk_enters_and_leaves_messages(void **state)
{
    (void)state;
    struct seen s;
    /* FlowRecord: flow_id (1) = 9, key (5) { ip_proto (1) = 6 }, event (2) = 3. */
    assert_int_equal(WALK(umbra__flow_record__descriptor, &s, 0x08, 0x09, 0x2a, 0x02, 0x08, 0x06,
                          0x10, 0x03),
                     0);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.e[0].id, 1);
    assert_int_equal(s.e[1].ev, PB_WALK_ENTER);
    assert_int_equal(s.e[1].id, 5);
    assert_int_equal(s.e[1].len, 2);
    assert_int_equal(s.e[2].ev, PB_WALK_FIELD);
    assert_int_equal(s.e[2].u, 6);
    assert_int_equal(s.e[3].ev, PB_WALK_LEAVE);
    assert_int_equal(s.e[3].id, 5);
    assert_int_equal(s.e[4].id, 2);
    assert_int_equal(s.e[4].u, 3);
    /* The key twice: protobuf-c would merge them; the walk refuses. */
    assert_int_equal(WALK(umbra__flow_record__descriptor, &s, 0x2a, 0x00, 0x2a, 0x00), UMBRA_EWIRE);
    /* A repeated message (FlowBatch.records, 5) may come any number of times. */
    assert_int_equal(WALK(umbra__flow_batch__descriptor, &s, 0x2a, 0x00, 0x2a, 0x00), 0);
    assert_int_equal(s.n, 4);
    /* A bad field inside a message refuses the whole. */
    assert_int_equal(WALK(umbra__flow_record__descriptor, &s, 0x2a, 0x02, 0x08, 0x80), UMBRA_EWIRE);
}

static void test_pb_walk_keeps_quiet_inside_a_message_but_checks_it(void **state)
{
    (void)state;
    struct seen s;
    /* FlowRecord: key (5) { ip_proto (1) = 6 }, event (2) = 3: the key's field is not told. */
    static const uint8_t rec[] = {0x2a, 0x02, 0x08, 0x06, 0x10, 0x03};
    seen_init(&s, true);
    assert_int_equal(pb_walk(&umbra__flow_record__descriptor, rec, sizeof(rec), record, &s), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.e[0].ev, PB_WALK_ENTER);
    assert_int_equal(s.e[1].ev, PB_WALK_LEAVE);
    assert_int_equal(s.e[2].id, 2);
    /* A key cut inside its varint is refused all the same. */
    static const uint8_t bad[] = {0x2a, 0x02, 0x08, 0x86, 0x10, 0x03};
    seen_init(&s, true);
    assert_int_equal(pb_walk(&umbra__flow_record__descriptor, bad, sizeof(bad), record, &s),
                     UMBRA_EWIRE);
}

static void test_pb_walk_skips_unknown_fields_it_can_check(void **state)
{
    (void)state;
    struct seen s;
    /* FlowTiming has no field 15 (varint: tag 0x78) nor 9 (length: tag 0x4a); both skipped. */
    assert_int_equal(WALK(umbra__flow_timing__descriptor, &s, 0x78, 0x05, 0x4a, 0x02, 0xff, 0xff,
                          0x10, 0x01),
                     0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.e[0].id, 2);
    /* Field 536870911 (2^29 - 1, the largest), varint: tag 0xf8 0xff 0xff 0xff 0x0f. */
    assert_int_equal(WALK(umbra__flow_timing__descriptor, &s, 0xf8, 0xff, 0xff, 0xff, 0x0f, 0x00),
                     0);
    /* Group wire types (3, 4), type 6, field 0 and a field number of 2^29 are refused. */
    assert_int_equal(WALK(umbra__flow_timing__descriptor, &s, 0x7b, 0x7c), UMBRA_EWIRE);
    assert_int_equal(WALK(umbra__flow_timing__descriptor, &s, 0x7e, 0x00), UMBRA_EWIRE);
    assert_int_equal(WALK(umbra__flow_timing__descriptor, &s, 0x00, 0x00), UMBRA_EWIRE);
    assert_int_equal(WALK(umbra__flow_timing__descriptor, &s, 0x80, 0x00, 0x00), UMBRA_EWIRE);
    assert_int_equal(WALK(umbra__flow_timing__descriptor, &s, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00),
                     UMBRA_EWIRE);
}

static void test_pb_walk_refuses_wrong_wire_types_and_short_data(void **state)
{
    (void)state;
    struct seen s;
    /* first_ts as fixed64 (tag 0x09), client_addr as varint (0x10), a bool as fixed32. */
    assert_int_equal(WALK(umbra__flow_timing__descriptor, &s, 0x09, 1, 2, 3, 4, 5, 6, 7, 8),
                     UMBRA_EWIRE);
    assert_int_equal(WALK(umbra__flow_key__descriptor, &s, 0x10, 0x01), UMBRA_EWIRE);
    /* TcpDirection.sack_permitted (16, bool) as 32-bit: tag (16 << 3 | 5) = 0x85 0x01. */
    assert_int_equal(WALK(umbra__tcp_direction__descriptor, &s, 0x85, 0x01, 1, 0, 0, 0),
                     UMBRA_EWIRE);
    /* The same bool as a varint of two bytes, 0x80 0x01: true. */
    assert_int_equal(WALK(umbra__tcp_direction__descriptor, &s, 0x80, 0x01, 0x80, 0x01), 0);
    assert_int_equal(s.e[0].u, 1);
    /* Cut short: in a varint, in a length, in a fixed64, and a tag of six bytes. */
    assert_int_equal(WALK(umbra__flow_timing__descriptor, &s, 0x08, 0xac), UMBRA_EWIRE);
    assert_int_equal(WALK(umbra__flow_key__descriptor, &s, 0x12, 0x05, 0x01), UMBRA_EWIRE);
    assert_int_equal(WALK(umbra__flow_batch__descriptor, &s, 0x41, 1, 2, 3), UMBRA_EWIRE);
    assert_int_equal(
            WALK(umbra__flow_timing__descriptor, &s, 0x88, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00),
            UMBRA_EWIRE);
}

static void test_pb_walk_planned_sees_what_the_descriptors_see(void **state)
{
    (void)state;
    struct pb_walk_plan *plan = pb_walk_plan_create(&umbra__flow_record__descriptor);
    assert_non_null(plan);
    /* flow_id, key { ip_proto, vlan_ids packed [5, 300] }, an unknown field 15, event. */
    static const uint8_t rec[] = {0x08, 0x09, 0x2a, 0x07, 0x08, 0x06, 0x32, 0x03,
                                  0x05, 0xac, 0x02, 0x78, 0x01, 0x10, 0x03};
    struct seen a, b;
    seen_init(&a, false);
    seen_init(&b, false);
    assert_int_equal(pb_walk(&umbra__flow_record__descriptor, rec, sizeof(rec), record, &a), 0);
    assert_int_equal(pb_walk_planned(plan, rec, sizeof(rec), record, &b), 0);
    assert_int_equal(a.n, 6);
    assert_int_equal(b.n, a.n);
    assert_memory_equal(&a.e, &b.e, sizeof(a.e[0]) * a.n);
    assert_int_equal(b.e[3].ev, PB_WALK_PACKED);
    assert_int_equal(b.e[3].count, 2);
    /* The same refusals: the key twice. */
    static const uint8_t twice[] = {0x2a, 0x00, 0x2a, 0x00};
    assert_int_equal(pb_walk_planned(plan, twice, sizeof(twice), record, &b), UMBRA_EWIRE);
    assert_int_equal(pb_walk_planned(NULL, twice, sizeof(twice), record, &b), -EINVAL);
    pb_walk_plan_destroy(&plan);
    assert_null(plan);
    pb_walk_plan_destroy(&plan);
    assert_null(pb_walk_plan_create(NULL));
}

static void test_pb_walk_plan_only_tells_the_listed_fields(void **state)
{
    (void)state;
    struct pb_walk_plan *plan = pb_walk_plan_create(&umbra__flow_record__descriptor);
    assert_non_null(plan);
    /* The record: only event (2); the key: only vlan_ids (6). */
    assert_int_equal(
            pb_walk_plan_only(plan, &umbra__flow_record__descriptor, (uint32_t[]){2, 5}, 2), 0);
    assert_int_equal(pb_walk_plan_only(plan, &umbra__flow_key__descriptor, (uint32_t[]){6}, 1), 0);
    /* flow_id, key { ip_proto, vlan_ids packed [5, 300] }, event, timing { first_ts }. */
    static const uint8_t rec[] = {0x08, 0x09, 0x2a, 0x07, 0x08, 0x06, 0x32, 0x03, 0x05,
                                  0xac, 0x02, 0x10, 0x03, 0x32, 0x02, 0x08, 0x01};
    struct seen s;
    seen_init(&s, false);
    assert_int_equal(pb_walk_planned(plan, rec, sizeof(rec), record, &s), 0);
    /* ENTER key, PACKED vlan_ids, LEAVE key, event: no flow_id, no ip_proto, and timing (not
     * listed) is neither entered nor left. */
    assert_int_equal(s.n, 4);
    assert_int_equal(s.e[0].ev, PB_WALK_ENTER);
    assert_int_equal(s.e[1].ev, PB_WALK_PACKED);
    assert_int_equal(s.e[1].count, 2);
    assert_int_equal(s.e[2].ev, PB_WALK_LEAVE);
    assert_int_equal(s.e[3].id, 2);
    /* A muted message is still checked: timing with its varint cut short. */
    static const uint8_t bad[] = {0x10, 0x03, 0x32, 0x02, 0x08, 0x81};
    seen_init(&s, false);
    assert_int_equal(pb_walk_planned(plan, bad, sizeof(bad), record, &s), UMBRA_EWIRE);
    /* Numbers that are not fields, and types outside the plan, change nothing. */
    assert_int_equal(pb_walk_plan_only(plan, &umbra__flow_record__descriptor, (uint32_t[]){9}, 1),
                     -ENOENT);
    assert_int_equal(pb_walk_plan_only(plan, &umbra__ack__descriptor, NULL, 0), -ENOENT);
    assert_int_equal(pb_walk_plan_only(NULL, &umbra__ack__descriptor, NULL, 0), -EINVAL);
    seen_init(&s, false);
    assert_int_equal(pb_walk_planned(plan, rec, sizeof(rec), record, &s), 0);
    assert_int_equal(s.n, 4);
    pb_walk_plan_destroy(&plan);
}

static void test_pb_walk_stops_when_the_visitor_says_so(void **state)
{
    (void)state;
    struct seen s;
    seen_init(&s, false);
    s.stop_at = 0;
    static const uint8_t b[] = {0x08, 0x01, 0x10, 0x02};
    assert_int_equal(pb_walk(&umbra__flow_timing__descriptor, b, sizeof(b), record, &s), 7);
    assert_int_equal(s.n, 1);
    assert_int_equal(pb_walk(NULL, b, sizeof(b), record, &s), -EINVAL);
    assert_int_equal(pb_walk(&umbra__flow_timing__descriptor, NULL, 1, record, &s), -EINVAL);
    assert_int_equal(pb_walk(&umbra__flow_timing__descriptor, NULL, 0, record, &s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_pb_walk_reads_varints_in_order),
            cmocka_unit_test(test_pb_walk_cuts_32_bit_fields_as_protobuf_c_does),
            cmocka_unit_test(test_pb_walk_gives_bytes_and_fixed_values),
            cmocka_unit_test(test_pb_walk_counts_packed_and_unpacked_elements),
            cmocka_unit_test(test_pb_walk_counts_long_packed_varints_like_protobuf_c),
            cmocka_unit_test(test_pb_walk_enters_and_leaves_messages),
            cmocka_unit_test(test_pb_walk_keeps_quiet_inside_a_message_but_checks_it),
            cmocka_unit_test(test_pb_walk_skips_unknown_fields_it_can_check),
            cmocka_unit_test(test_pb_walk_refuses_wrong_wire_types_and_short_data),
            cmocka_unit_test(test_pb_walk_planned_sees_what_the_descriptors_see),
            cmocka_unit_test(test_pb_walk_plan_only_tells_the_listed_fields),
            cmocka_unit_test(test_pb_walk_stops_when_the_visitor_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
