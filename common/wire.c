/*
 * Wire: packs Umbra's protobuf messages into checksummed envelopes and unpacks them, with a cap
 * on the envelope's size, a budget on the memory decoding may take and the schema-version rule.
 * It owns the envelope format (docs/WIRE.md) and the table from enum wire_type to protobuf-c
 * descriptors. It does not own sockets, framing on them, retries or logging: callers send and
 * receive whole envelopes and log the codes returned here once, where they drop a message.
 */
#include "common/wire.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "common/bytes.h"
#include "common/err.h"

/* Header field offsets; see the layout in wire.h. */
enum {
    OFF_MAGIC = 0,
    OFF_VERSION = 4,
    OFF_TYPE = 5,
    OFF_FLAGS = 6,
    OFF_LENGTH = 8,
};

static const uint8_t wire_magic[4] = {'U', 'M', 'B', 'W'};

struct wire_kind {
    const char *name;
    const ProtobufCMessageDescriptor *desc;
};

/* Indexed by enum wire_type; slot 0 is unused so that a zeroed type byte is never valid. */
static const struct wire_kind wire_kinds[] = {
        [WIRE_FLOW_BATCH] = {"FlowBatch", &umbra__flow_batch__descriptor},
        [WIRE_ACK] = {"Ack", &umbra__ack__descriptor},
        [WIRE_HELLO] = {"Hello", &umbra__hello__descriptor},
        [WIRE_HEARTBEAT] = {"Heartbeat", &umbra__heartbeat__descriptor},
        [WIRE_MODEL_UPDATE] = {"ModelUpdate", &umbra__model_update__descriptor},
        [WIRE_ALERT] = {"Alert", &umbra__alert__descriptor},
        [WIRE_FLOW_RECORD] = {"FlowRecord", &umbra__flow_record__descriptor},
};

_Static_assert(sizeof(wire_kinds) / sizeof(wire_kinds[0]) == WIRE_TYPE_LAST + 1,
               "every enum wire_type needs a row in wire_kinds");
_Static_assert(WIRE_HEADER_LEN == OFF_LENGTH + 4, "header layout and WIRE_HEADER_LEN disagree");
_Static_assert(WIRE_LEN_MAX <= UINT32_MAX, "the payload length field is 32 bits");

static const struct wire_kind *kind_of(int type)
{
    if (type < WIRE_TYPE_FIRST || type > WIRE_TYPE_LAST)
        return NULL;
    return &wire_kinds[type];
}

/*
 * The schema_version field of @desc, or NULL when the message has none. Looked up by name rather
 * than listed, so the rule follows the schema: a message that gains the field gains the check.
 */
static const ProtobufCFieldDescriptor *schema_field(const ProtobufCMessageDescriptor *desc)
{
    const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field_by_name(desc, "schema_version");
    if (f == NULL || f->label == PROTOBUF_C_LABEL_REPEATED)
        return NULL;
    if (f->type != PROTOBUF_C_TYPE_ENUM && f->type != PROTOBUF_C_TYPE_UINT32)
        return NULL;
    return f;
}

/* Largest protobuf field number: tags carry it in 29 bits beside the 3-bit wire type. */
#define PROTO_FIELD_MAX ((1u << 29) - 1)

/*
 * Whether every field @m and its sub-messages kept as unknown has a valid number. protobuf-c
 * keeps unknown fields, as proto3 requires so that a newer sender's fields survive, but it also
 * takes field number 0 when spelt in two or more bytes, and numbers above PROTO_FIELD_MAX, and
 * packs either back as a different field. Neither is valid protobuf, and refusing them keeps
 * "whatever unpacks packs back to the same message" true. It recurses only as deep as the schema
 * nests messages (4 levels; umbra.proto has no recursive type).
 */
static bool unknown_fields_ok(const ProtobufCMessage *m) /* NOLINT(misc-no-recursion) */
{
    for (unsigned i = 0; i < m->n_unknown_fields; i++) {
        uint32_t tag = m->unknown_fields[i].tag;
        if (tag == 0 || tag > PROTO_FIELD_MAX)
            return false;
    }
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        /* Members at descriptor offsets of a struct protobuf-c built: typed and aligned. */
        const uint8_t *member = (const uint8_t *)m + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)((const uint8_t *)m + f->quantifier_offset);
            ProtobufCMessage *const *subs = *(ProtobufCMessage *const *const *)member;
            for (size_t j = 0; j < n; j++) {
                if (!unknown_fields_ok(subs[j]))
                    return false;
            }
        } else {
            const ProtobufCMessage *sub = *(ProtobufCMessage *const *)member;
            if (sub != NULL && !unknown_fields_ok(sub))
                return false;
        }
    }
    return true;
}

static bool schema_ok(const ProtobufCMessage *msg)
{
    const ProtobufCFieldDescriptor *f = schema_field(msg->descriptor);
    if (f == NULL)
        return true;
    /* Enums and uint32 are both stored as 4 bytes (protobuf-c forces enums to int size). */
    uint32_t v;
    memcpy(&v, (const uint8_t *)msg + f->offset, sizeof(v));
    return v == (uint32_t)WIRE_SCHEMA_VERSION;
}

const char *wire_type_name(enum wire_type type)
{
    const struct wire_kind *k = kind_of((int)type);
    return k ? k->name : "unknown";
}

const ProtobufCMessageDescriptor *wire_descriptor(enum wire_type type)
{
    const struct wire_kind *k = kind_of((int)type);
    return k ? k->desc : NULL;
}

size_t wire_packed_size(enum wire_type type, const ProtobufCMessage *msg)
{
    const struct wire_kind *k = kind_of((int)type);
    if (k == NULL || msg == NULL || msg->descriptor != k->desc)
        return 0;
    return WIRE_OVERHEAD + protobuf_c_message_get_packed_size(msg);
}

int wire_pack(enum wire_type type, const ProtobufCMessage *msg, uint8_t *buf, size_t cap,
              size_t *len)
{
    const struct wire_kind *k = kind_of((int)type);
    if (k == NULL || msg == NULL || len == NULL || (buf == NULL && cap > 0))
        return -EINVAL;
    if (msg->descriptor != k->desc || !protobuf_c_message_check(msg))
        return -EINVAL;
    if (!schema_ok(msg))
        return UMBRA_ESCHEMA;

    size_t payload = protobuf_c_message_get_packed_size(msg);
    size_t need = WIRE_OVERHEAD + payload;
    *len = need;
    if (payload > WIRE_LEN_MAX - WIRE_OVERHEAD || need > cap)
        return -EMSGSIZE;

    size_t packed = protobuf_c_message_pack(msg, buf + WIRE_HEADER_LEN);
    if (packed != payload)
        return -EINVAL; /* only if @msg changed under us: another thread broke the contract */
    return wire_seal(type, buf, payload, cap, len);
}

int wire_seal(enum wire_type type, uint8_t *buf, size_t payload, size_t cap, size_t *len)
{
    if (kind_of((int)type) == NULL || buf == NULL || len == NULL)
        return -EINVAL;
    size_t need = WIRE_OVERHEAD + payload;
    *len = need;
    if (payload > WIRE_LEN_MAX - WIRE_OVERHEAD || need > cap)
        return -EMSGSIZE;
    memcpy(buf + OFF_MAGIC, wire_magic, sizeof(wire_magic));
    buf[OFF_VERSION] = WIRE_ENVELOPE_VERSION;
    buf[OFF_TYPE] = (uint8_t)type;
    wr_be16(buf + OFF_FLAGS, 0);
    wr_be32(buf + OFF_LENGTH, (uint32_t)payload);
    wr_be64(buf + WIRE_HEADER_LEN + payload, XXH3_64bits(buf, WIRE_HEADER_LEN + payload));
    return 0;
}

/*
 * Allocator that enforces the decoding budget. It counts every allocation, temporaries that
 * protobuf-c frees before returning included, because knowing the size of a freed block would
 * need a header in front of each block, and then only wire_free() could free a message. Counting
 * more than what is live keeps the bound safe.
 */
struct budget {
    ProtobufCAllocator *under; /* the caller's allocator, or NULL for malloc/free */
    size_t left;               /* bytes that may still be allocated */
    bool over;                 /* an allocation was refused for the budget */
    bool failed;               /* the underlying allocator returned NULL */
};

static void *budget_alloc(void *data, size_t size)
{
    struct budget *b = data;
    if (size > b->left) {
        b->over = true;
        return NULL;
    }
    b->left -= size;
    void *p;
    if (b->under != NULL)
        p = b->under->alloc(b->under->allocator_data, size);
    else
        p = malloc(size ? size : 1);
    if (p == NULL)
        b->failed = true;
    return p;
}

static void budget_free(void *data, void *p)
{
    struct budget *b = data;
    if (b->under != NULL)
        b->under->free(b->under->allocator_data, p);
    else
        free(p);
}

static size_t budget_for(size_t len)
{
    /* Saturates where size_t is 32 bits: 64 * WIRE_LEN_MAX is 2^32. */
    if (len > (SIZE_MAX - WIRE_UNPACK_MEM_BASE) / WIRE_UNPACK_MEM_FACTOR)
        return SIZE_MAX;
    return WIRE_UNPACK_MEM_FACTOR * len + WIRE_UNPACK_MEM_BASE;
}

/* The checks on the envelope that need no knowledge of the payload's type. */
static int check_envelope(const uint8_t *buf, size_t len)
{
    if (len < WIRE_OVERHEAD)
        return UMBRA_EWIRE;
    if (memcmp(buf + OFF_MAGIC, wire_magic, sizeof(wire_magic)) != 0)
        return UMBRA_EWIRE;
    if (buf[OFF_VERSION] != WIRE_ENVELOPE_VERSION)
        return UMBRA_ESCHEMA;
    uint32_t payload = rd_be32(buf + OFF_LENGTH);
    if (payload != len - WIRE_OVERHEAD)
        return UMBRA_EWIRE;
    if (rd_be64(buf + WIRE_HEADER_LEN + payload) != XXH3_64bits(buf, WIRE_HEADER_LEN + payload))
        return UMBRA_ECHECKSUM;
    if (rd_be16(buf + OFF_FLAGS) != 0)
        return UMBRA_EWIRE;
    return 0;
}

/* Every check of the envelope, for a caller that has checked its arguments. */
static int open_checked(enum wire_type expect, const uint8_t *buf, size_t len, size_t max_len)
{
    if (len > max_len || len > WIRE_LEN_MAX)
        return -EMSGSIZE;
    int rc = check_envelope(buf, len);
    if (rc != 0)
        return rc;
    if (buf[OFF_TYPE] != (uint8_t)expect)
        return UMBRA_EWIRE; /* an unknown type lands here too: it cannot equal a valid @expect */
    return 0;
}

int wire_open(enum wire_type expect, const uint8_t *buf, size_t len, size_t max_len,
              const uint8_t **payload, size_t *payload_len)
{
    if (payload == NULL || payload_len == NULL)
        return -EINVAL;
    *payload = NULL;
    *payload_len = 0;
    if (kind_of((int)expect) == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    int rc = open_checked(expect, buf, len, max_len);
    if (rc != 0)
        return rc;
    *payload = buf + WIRE_HEADER_LEN;
    *payload_len = len - WIRE_OVERHEAD;
    return 0;
}

uint64_t wire_checksum(const uint8_t *buf, size_t len)
{
    if (buf == NULL || len < WIRE_OVERHEAD)
        return 0;
    return rd_be64(buf + len - WIRE_TRAILER_LEN);
}

int wire_unpack(enum wire_type expect, const uint8_t *buf, size_t len, size_t max_len,
                ProtobufCAllocator *alloc, ProtobufCMessage **out)
{
    const struct wire_kind *k = kind_of((int)expect);
    if (out == NULL)
        return -EINVAL;
    *out = NULL;
    if (k == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    int rc = open_checked(expect, buf, len, max_len);
    if (rc != 0)
        return rc;

    struct budget b = {.under = alloc, .left = budget_for(len)};
    ProtobufCAllocator counted = {
            .alloc = budget_alloc,
            .free = budget_free,
            .allocator_data = &b,
    };
    ProtobufCMessage *msg = protobuf_c_message_unpack(k->desc, &counted, len - WIRE_OVERHEAD,
                                                      buf + WIRE_HEADER_LEN);
    if (msg == NULL) {
        if (b.over)
            return -EMSGSIZE;
        return b.failed ? -ENOMEM : UMBRA_EWIRE;
    }
    if (!unknown_fields_ok(msg)) {
        wire_free(msg, alloc);
        return UMBRA_EWIRE;
    }
    if (!schema_ok(msg)) {
        wire_free(msg, alloc);
        return UMBRA_ESCHEMA;
    }
    *out = msg;
    return 0;
}

void wire_free(ProtobufCMessage *msg, ProtobufCAllocator *alloc)
{
    if (msg == NULL)
        return;
    /* With a NULL allocator protobuf-c frees with free(), which matches budget_alloc's malloc. */
    protobuf_c_message_free_unpacked(msg, alloc);
}

int wire_peek_type(const uint8_t *buf, size_t len, enum wire_type *type)
{
    if (buf == NULL || type == NULL)
        return -EINVAL;
    if (len < WIRE_HEADER_LEN)
        return UMBRA_EWIRE;
    if (memcmp(buf + OFF_MAGIC, wire_magic, sizeof(wire_magic)) != 0)
        return UMBRA_EWIRE;
    if (buf[OFF_VERSION] != WIRE_ENVELOPE_VERSION)
        return UMBRA_ESCHEMA;
    if (rd_be16(buf + OFF_FLAGS) != 0 || kind_of(buf[OFF_TYPE]) == NULL)
        return UMBRA_EWIRE;
    *type = (enum wire_type)buf[OFF_TYPE];
    return 0;
}
