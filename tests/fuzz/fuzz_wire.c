/*
 * Fuzz target for common/wire and the protobuf-c code generated from umbra.proto. Each input is
 * tried three ways: as an envelope, unpacked as every message type; as the payload of a valid
 * envelope of every type, so that mutations get past the checksum into protobuf-c, the memory
 * budget and the schema-version check; and raw, through protobuf_c_message_unpack() of every
 * type's descriptor. Whatever wire_unpack() accepts must pack again, unpack again and pack to
 * the same bytes the second time; a broken invariant aborts, so libFuzzer reports it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "common/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A receiver's cap, large next to any input libFuzzer makes (4 KiB by default). */
#define FUZZ_MAX_LEN (1u << 20)

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* @payload in an envelope of @type as docs/WIRE.md lays it out; @out holds size + overhead. */
static size_t seal(uint8_t *out, enum wire_type type, const uint8_t *payload, size_t size)
{
    static const uint8_t magic[4] = {'U', 'M', 'B', 'W'};
    memcpy(out, magic, sizeof(magic));
    out[4] = WIRE_ENVELOPE_VERSION;
    out[5] = (uint8_t)type;
    out[6] = 0;
    out[7] = 0;
    put_be32(out + 8, (uint32_t)size);
    if (size > 0)
        memcpy(out + WIRE_HEADER_LEN, payload, size);
    uint64_t h = XXH3_64bits(out, WIRE_HEADER_LEN + size);
    put_be32(out + WIRE_HEADER_LEN + size, (uint32_t)(h >> 32));
    put_be32(out + WIRE_HEADER_LEN + size + 4, (uint32_t)h);
    return size + WIRE_OVERHEAD;
}

/* Packs @msg into a new buffer; aborts if wire_pack() refuses what wire_unpack() accepted. */
static uint8_t *repack(enum wire_type type, const ProtobufCMessage *msg, size_t *len)
{
    size_t need = wire_packed_size(type, msg);
    uint8_t *buf = malloc(need ? need : 1);
    if (buf == NULL || need == 0 || wire_pack(type, msg, buf, need, len) != 0 || *len != need)
        abort();
    return buf;
}

static void check_round_trip(enum wire_type type, const ProtobufCMessage *msg)
{
    size_t len1;
    size_t len2;
    uint8_t *first = repack(type, msg, &len1);
    ProtobufCMessage *again = NULL;
    if (wire_unpack(type, first, len1, len1, NULL, &again) != 0)
        abort();
    uint8_t *second = repack(type, again, &len2);
    /* After one trip the encoding is canonical, so it must not change again. */
    if (len1 != len2 || memcmp(first, second, len1) != 0)
        abort();
    wire_free(again, NULL);
    free(first);
    free(second);
}

static void unpack_as(enum wire_type type, const uint8_t *buf, size_t len)
{
    ProtobufCMessage *msg = NULL;
    int rc = wire_unpack(type, buf, len, FUZZ_MAX_LEN, NULL, &msg);
    if ((rc == 0) != (msg != NULL) || rc > 0)
        abort();
    if (rc == 0) {
        check_round_trip(type, msg);
        wire_free(msg, NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum wire_type peeked;
    if (wire_peek_type(data, size, &peeked) == 0 && wire_descriptor(peeked) == NULL)
        abort();

    uint8_t *sealed = malloc(size + WIRE_OVERHEAD);
    if (sealed == NULL)
        return 0;
    for (int t = WIRE_TYPE_FIRST; t <= WIRE_TYPE_LAST; t++) {
        enum wire_type type = (enum wire_type)t;
        unpack_as(type, data, size);
        size_t len = seal(sealed, type, data, size);
        unpack_as(type, sealed, len);

        ProtobufCMessage *raw = protobuf_c_message_unpack(wire_descriptor(type), NULL, size, data);
        if (raw != NULL)
            protobuf_c_message_free_unpacked(raw, NULL);
    }
    free(sealed);
    return 0;
}
