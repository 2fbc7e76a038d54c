/*
 * Test support: generic protobuf-c message helpers driven by the descriptors, so a test covers
 * every field of every message without naming them, and a field added to umbra.proto is covered
 * the day it is added.
 *
 * A "leaf" is one scalar, string or bytes value: a singular field that is present, or one
 * element of a repeated field. Messages are not leaves; their fields are. Leaves are numbered
 * depth-first in descriptor order (by field number), repeated elements in order, from 0.
 *
 * Paths name a field as a C programmer would: "records[1].tls.client.sni", "key.vlan_ids[0]".
 *
 * Messages from pb_fill() are allocated with malloc() in the layout protobuf-c's own unpacker
 * produces, so pb_free_filled() and protobuf_c_message_free_unpacked(msg, NULL) both free them.
 * On out-of-memory these helpers abort(): they serve tests only.
 */
#ifndef UMBRA_TESTS_SUPPORT_PB_WALK_H
#define UMBRA_TESTS_SUPPORT_PB_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* Longest path the helpers build; a longer one is cut short. */
#define PB_PATH_MAX 256

/*
 * pb_fill() - a new message of @desc with every field at every depth set to a non-default value:
 * numbers distinct from each other (derived from @seed and the leaf's position), enums a valid
 * non-zero value, bools true, strings and bytes non-empty, sub-messages filled recursively (down
 * to 16 levels, which ends recursive schemas), repeated fields 2 or 3 elements. The same @desc
 * and @seed always give an equal message. *@n_leaves (if not NULL) gets the number of leaves set.
 * A oneof gets its first member set.
 */
ProtobufCMessage *pb_fill(const ProtobufCMessageDescriptor *desc, uint32_t seed, size_t *n_leaves);

/* pb_free_filled() - free a message from pb_fill() (or protobuf-c's unpacker). NULL-safe. */
void pb_free_filled(ProtobufCMessage *msg);

/* pb_count_leaves() - the number of leaves in @msg, as pb_mutate_leaf() numbers them. */
size_t pb_count_leaves(const ProtobufCMessage *msg);

/*
 * pb_equal() - deep comparison through the descriptors: same type, same presence of every
 * field, same element counts, same values (floats and doubles bit for bit, strings NULL == ""),
 * same unknown fields. On a difference writes the path of the first one to @diff (when @diff is
 * not NULL and @len > 0): the leaf's path, the repeated field's path when counts differ, the
 * sub-message's path when one side lacks it, "<type>" when the types differ, PATH.<unknown> when
 * unknown fields differ.
 */
bool pb_equal(const ProtobufCMessage *a, const ProtobufCMessage *b, char *diff, size_t len);

/*
 * pb_mutate_leaf() - change leaf @index of @msg to a different value (numbers +1 in their bits,
 * bools flipped, enums to another valid value, strings and bytes with the first byte changed).
 *
 * Returns 0, or -ENOENT if @msg has no leaf @index.
 */
int pb_mutate_leaf(ProtobufCMessage *msg, size_t index);

/* pb_leaf_path() - the path of leaf @index into @path. 0, or -ENOENT if there is no such leaf. */
int pb_leaf_path(const ProtobufCMessage *msg, size_t index, char *path, size_t len);

/*
 * pb_all_set() - true if every field of @msg at every depth holds a non-default value in the
 * sense of pb_fill() (repeated fields: at least one element, each set). Otherwise false, with
 * the path of the first unset field in @path (when not NULL).
 */
bool pb_all_set(const ProtobufCMessage *msg, char *path, size_t len);

/*
 * pb_reachable() - @root and every message type reachable from it through its fields, each
 * once, in depth-first order. Writes at most @cap descriptors to @out; returns how many there
 * are in all (which may exceed @cap).
 */
size_t pb_reachable(const ProtobufCMessageDescriptor *root, const ProtobufCMessageDescriptor **out,
                    size_t cap);

#endif
