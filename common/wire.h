/*
 * Wire: the one place Umbra packs and unpacks its protobuf messages (proto/umbra.proto).
 *
 * Every message travels in an envelope, because protobuf alone accepts a buffer cut at a field
 * boundary and much random data besides. Byte by byte (docs/WIRE.md has the details):
 *
 *   offset  size  field
 *        0     4  magic "UMBW" (0x55 0x4d 0x42 0x57)
 *        4     1  envelope version, WIRE_ENVELOPE_VERSION
 *        5     1  message type, enum wire_type
 *        6     2  flags, big-endian; none defined, must be 0
 *        8     4  payload length n, big-endian
 *       12     n  protobuf payload
 *     12+n     8  XXH3_64bits of bytes [0, 12+n), big-endian
 *
 * A receiver accepts an envelope only if every one of those checks out, the payload parses as
 * the expected message and, for messages with a schema_version field, that field equals
 * WIRE_SCHEMA_VERSION.
 *
 * Threads: no function keeps state; all are safe to call from any thread on distinct buffers.
 */
#ifndef UMBRA_COMMON_WIRE_H
#define UMBRA_COMMON_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "proto/umbra.pb-c.h"

/* Message types. The values are on the wire: never renumber, only append. */
enum wire_type {
    WIRE_FLOW_BATCH = 1,   /* Umbra__FlowBatch, sensor -> aggregator */
    WIRE_ACK = 2,          /* Umbra__Ack, aggregator -> sensor */
    WIRE_HELLO = 3,        /* Umbra__Hello, sensor -> aggregator */
    WIRE_HEARTBEAT = 4,    /* Umbra__Heartbeat, sensor -> aggregator */
    WIRE_MODEL_UPDATE = 5, /* Umbra__ModelUpdate, aggregator -> sensor */
    WIRE_ALERT = 6,        /* Umbra__Alert, aggregator -> subscribers */
    WIRE_FLOW_RECORD = 7,  /* Umbra__FlowRecord alone, e.g. one spooled or replayed record */

    WIRE_TYPE_FIRST = WIRE_FLOW_BATCH, /* for loops over every type */
    WIRE_TYPE_LAST = WIRE_FLOW_RECORD,
};

/* The one schema version this build speaks; its single source is enum SchemaVersion. */
#define WIRE_SCHEMA_VERSION UMBRA__SCHEMA_VERSION__SCHEMA_VERSION_CURRENT

#define WIRE_ENVELOPE_VERSION 1
#define WIRE_HEADER_LEN       12u
#define WIRE_TRAILER_LEN      8u
#define WIRE_OVERHEAD         (WIRE_HEADER_LEN + WIRE_TRAILER_LEN)

/*
 * Largest envelope either side handles, whatever a caller's cap says: 64 MiB is far above any
 * batch or model the design calls for and far below what the 32-bit length field allows.
 */
#define WIRE_LEN_MAX (64u << 20)

/*
 * Decoding memory budget: unpacking an envelope of len bytes may allocate at most
 * WIRE_UNPACK_MEM_FACTOR * len + WIRE_UNPACK_MEM_BASE bytes in total (temporaries included).
 * protobuf-c turns a 2-byte empty sub-message into a whole C struct (160 bytes for a
 * FlowRecord), so without a budget a hostile batch could cost ~100 times its size. Real
 * records cost about 10 times their size at worst (a sparse OPEN record: ~43 bytes on the wire,
 * ~390 bytes decoded), which leaves a wide margin under 64.
 */
#define WIRE_UNPACK_MEM_FACTOR 64u
#define WIRE_UNPACK_MEM_BASE   (64u << 10)

/*
 * wire_type_name() - "FlowBatch", "Ack", ... as in umbra.proto, for log lines.
 *
 * Returns a static string; "unknown" for a value that is not an enum wire_type. Never NULL.
 */
const char *wire_type_name(enum wire_type type);

/*
 * wire_descriptor() - the protobuf-c descriptor of @type's message.
 *
 * Returns NULL if @type is not an enum wire_type, so it doubles as a validity check.
 */
const ProtobufCMessageDescriptor *wire_descriptor(enum wire_type type);

/*
 * wire_packed_size() - bytes wire_pack() will write for @msg as @type: the envelope overhead
 * plus the protobuf payload.
 *
 * Returns 0 if @type is unknown, @msg is NULL or @msg is not a message of @type's kind. The
 * result may exceed WIRE_LEN_MAX; wire_pack() refuses such a message.
 */
size_t wire_packed_size(enum wire_type type, const ProtobufCMessage *msg);

/*
 * wire_pack() - pack @msg as @type into the envelope, at @buf.
 * @buf:  where to write; may be NULL only when @cap is 0.
 * @cap:  bytes available at @buf.
 * @len:  set to the bytes written on success, and to the bytes needed on -EMSGSIZE.
 *
 * @msg is only read. Nothing is allocated.
 *
 * Returns 0, or
 *   -EINVAL         @type unknown, @msg or @len NULL, @buf NULL with @cap > 0, @msg's descriptor
 *                   is not @type's, or @msg is inconsistent (protobuf_c_message_check() fails:
 *                   a repeated field with a count and no array, for example);
 *   UMBRA_ESCHEMA   @msg has a schema_version field and it is not WIRE_SCHEMA_VERSION (a
 *                   receiver would refuse it, so the sender finds out first);
 *   -EMSGSIZE       the envelope needs more than @cap bytes, or more than WIRE_LEN_MAX.
 * On error nothing useful is in @buf.
 */
int wire_pack(enum wire_type type, const ProtobufCMessage *msg, uint8_t *buf, size_t cap,
              size_t *len);

/*
 * wire_seal() - put the envelope around a payload that is already in place: @payload bytes of
 * protobuf at @buf + WIRE_HEADER_LEN (a sender that assembles a message from parts, such as the
 * exporter appending packed records to a batch, packs nothing twice). Writes the header at @buf
 * and the checksum after the payload. The payload is not checked: the sender vouches for it.
 * @len is set to the envelope's size, WIRE_OVERHEAD + @payload, on success and on -EMSGSIZE.
 *
 * Returns 0, -EINVAL (@type unknown, @buf or @len NULL) or -EMSGSIZE (more than @cap bytes or
 * WIRE_LEN_MAX).
 */
int wire_seal(enum wire_type type, uint8_t *buf, size_t payload, size_t cap, size_t *len);

/*
 * wire_unpack() - check the envelope in @buf and decode its payload as @expect.
 * @buf, @len:  one whole envelope, exactly (trailing bytes are an error). Only read.
 * @max_len:    the caller's cap on @len, e.g. from configuration; WIRE_LEN_MAX applies too.
 * @alloc:      allocator for the decoded message, or NULL for malloc/free.
 * @out:        set to the decoded message on success, to NULL on error. The caller owns it and
 *              frees it with wire_free() and the same @alloc. Cast it to the type's struct
 *              (Umbra__FlowBatch * for WIRE_FLOW_BATCH, ...).
 *
 * Decoding allocates at most WIRE_UNPACK_MEM_FACTOR * @len + WIRE_UNPACK_MEM_BASE bytes.
 *
 * Returns 0, or
 *   -EINVAL           @expect unknown, @out NULL, or @buf NULL with @len > 0;
 *   -EMSGSIZE         @len over @max_len or WIRE_LEN_MAX, or decoding would exceed the memory
 *                     budget above;
 *   UMBRA_EWIRE       too short for an envelope, bad magic, non-zero flags, payload length
 *                     that disagrees with @len, unknown type, a type other than @expect, a
 *                     payload protobuf-c rejects, or an unknown field numbered 0 or above
 *                     2^29 - 1 (invalid protobuf that protobuf-c lets through; fields unknown
 *                     because they are newer than this build are accepted and kept);
 *   UMBRA_ESCHEMA     envelope version other than WIRE_ENVELOPE_VERSION, or a schema_version
 *                     field other than WIRE_SCHEMA_VERSION (absent counts as 0, so as other);
 *   UMBRA_ECHECKSUM   the XXH3 checksum does not match (the bytes were damaged on the way);
 *   -ENOMEM           @alloc (or malloc) failed.
 * The checks run in this order: size, magic, envelope version, payload length, checksum, then
 * flags, type, payload and schema version; so a damaged byte anywhere past the length field
 * reads as UMBRA_ECHECKSUM.
 */
int wire_unpack(enum wire_type expect, const uint8_t *buf, size_t len, size_t max_len,
                ProtobufCAllocator *alloc, ProtobufCMessage **out);

/*
 * wire_open() - check the envelope in @buf as wire_unpack() does (size, magic, versions, length,
 * checksum, flags, type == @expect) and point *@payload, *@payload_len at its protobuf payload,
 * inside @buf, without decoding it: for a receiver that walks the payload itself
 * (batch_check_wire()). Returns 0 or wire_unpack()'s codes for those checks (-EINVAL for a NULL
 * @payload or @payload_len).
 */
int wire_open(enum wire_type expect, const uint8_t *buf, size_t len, size_t max_len,
              const uint8_t **payload, size_t *payload_len);

/*
 * wire_checksum() - the XXH3 checksum an envelope carries (its last 8 bytes), not recomputed: for
 * a receiver that keeps an envelope wire_open() has checked and wants its checksum as well (the
 * flow store indexes it). 0 when @len is below WIRE_OVERHEAD or @buf is NULL.
 */
uint64_t wire_checksum(const uint8_t *buf, size_t len);

/*
 * wire_free() - free a message from wire_unpack(). @alloc must be the allocator given to
 * wire_unpack() (NULL if that was NULL). NULL-safe.
 */
void wire_free(ProtobufCMessage *msg, ProtobufCAllocator *alloc);

/*
 * wire_peek_type() - the type in @buf's envelope header, to pick what to unpack it as when one
 * socket carries several types (Hello, Heartbeat and FlowBatch share the sensor's connection).
 *
 * Looks at the header only: it does not verify the length or the checksum; wire_unpack() does.
 *
 * Returns 0 and sets *@type, or
 *   -EINVAL         @buf or @type NULL;
 *   UMBRA_EWIRE     shorter than a header, bad magic, non-zero flags or unknown type;
 *   UMBRA_ESCHEMA   envelope version other than WIRE_ENVELOPE_VERSION.
 */
int wire_peek_type(const uint8_t *buf, size_t len, enum wire_type *type);

#endif
