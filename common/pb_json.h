/*
 * Any protobuf-c message as a jansson JSON object, driven by the message's descriptor alone: for
 * tools that show wire messages to people (umbra-ctl) and for tests. Not for the packet path:
 * it allocates.
 *
 * Rules (close to proto3's JSON mapping, with Umbra's readings of bytes):
 * - Keys are the field names of the .proto (snake_case), in field-number order.
 * - proto3 presence: a scalar field holding its zero value, an empty string, empty bytes, an
 *   empty repeated field and an unset sub-message are left out. A set sub-message is an object
 *   even when empty. Fields with explicit presence (proto2 optional, proto3 optional, oneof
 *   members) are written when present, zero or not. Repeated fields are arrays of every element.
 * - 32-bit integers and int64/sint64/sfixed64 are JSON integers. uint64/fixed64 are JSON
 *   integers up to INT64_MAX (json_integer() takes a long long); a larger value is a string of
 *   its decimal digits, e.g. "9223372036854775813".
 * - float and double are reals; a float is first read back as the shortest decimal that gives
 *   the same float (0.1f is 0.1, not 0.100000001490116). NaN and infinities are null.
 * - Strings are JSON strings; a byte that is not part of well-formed UTF-8 becomes U+FFFD.
 * - bool is true/false. An enum is its value's name in the .proto ("FLOW_EVENT_END"), or an
 *   integer for a value the descriptor does not know.
 * - bytes: a field whose name ends in "addr" holding 4 or 16 bytes is an IPv4 or IPv6 address in
 *   text ("192.0.2.1", "2001:db8::1"); anything else, digests ("*_md5") included, is lowercase
 *   hex.
 * - Unknown fields (from a newer schema) are left out.
 */
#ifndef UMBRA_COMMON_PB_JSON_H
#define UMBRA_COMMON_PB_JSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/*
 * pb_json_message() - @m as a new JSON object (the caller owns the reference: json_decref()).
 * Returns NULL only when out of memory. Thread-safe: @m is only read.
 */
json_t *pb_json_message(const ProtobufCMessage *m);

#endif
