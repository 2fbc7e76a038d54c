/*
 * pb_json: a protobuf-c message as JSON, walking the message descriptor (field table, offsets,
 * labels, types) rather than any generated type, so one function serves every message of
 * umbra.proto and of schemas to come. It owns no state and writes nothing: the caller dumps the
 * object. It does not parse JSON back.
 */
#include "common/pb_json.h"

#include <arpa/inet.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The address of a field's storage in a message: the C struct member protobuf-c generated. */
static const void *member(const ProtobufCMessage *m, unsigned offset)
{
    return (const uint8_t *)m + offset;
}

static size_t elem_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return sizeof(uint32_t);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return sizeof(uint64_t);
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM:
        return sizeof(int); /* protobuf-c forces every generated enum to int size */
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 0;
}

/* proto3's default values, which a field without explicit presence leaves out. */
static bool is_zero(ProtobufCType type, const void *p)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return *(const uint32_t *)p == 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return *(const uint64_t *)p == 0;
    case PROTOBUF_C_TYPE_FLOAT:
        return *(const float *)p == 0.0f;
    case PROTOBUF_C_TYPE_DOUBLE:
        return *(const double *)p == 0.0;
    case PROTOBUF_C_TYPE_BOOL:
        return *(const protobuf_c_boolean *)p == 0;
    case PROTOBUF_C_TYPE_ENUM:
        return *(const int *)p == 0;
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(const char *const *)p;
        return s == NULL || s[0] == '\0';
    }
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)p)->len == 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(const ProtobufCMessage *const *)p == NULL;
    }
    return true;
}

/* Whether field @f of @m is written (a repeated field: whether it has elements). */
static bool is_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const void *p = member(m, f->offset);
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return *(const size_t *)member(m, f->quantifier_offset) > 0;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)member(m, f->quantifier_offset) == f->id;
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
        /* As protobuf-c's packer decides: pointer fields by pointer, the others by has_. */
        if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE) {
            const void *ptr = *(const void *const *)p;
            return ptr != NULL && ptr != f->default_value;
        }
        return *(const protobuf_c_boolean *)member(m, f->quantifier_offset) != 0;
    }
    if (f->label == PROTOBUF_C_LABEL_REQUIRED)
        return true;
    return !is_zero(f->type, p);
}

/* Length of the well-formed UTF-8 sequence at @s (RFC 3629), or 0 if none starts there. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
    /* By lead byte: sequence length, smallest code point, lead pattern and its payload bits. */
    static const struct {
        size_t n;
        uint32_t min;
        unsigned char mask, lead, bits;
    } forms[] = {
            {1, 0x0, 0x80, 0x00, 0x7f},
            {2, 0x80, 0xe0, 0xc0, 0x1f},
            {3, 0x800, 0xf0, 0xe0, 0x0f},
            {4, 0x10000, 0xf8, 0xf0, 0x07},
    };
    for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
        if ((s[0] & forms[k].mask) != forms[k].lead)
            continue;
        size_t n = forms[k].n;
        if (n > left)
            return 0;
        uint32_t cp = s[0] & forms[k].bits;
        for (size_t i = 1; i < n; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i] & 0x3fu);
        }
        /* Overlong forms, surrogates and code points past Unicode are not UTF-8. */
        if (cp < forms[k].min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        return n;
    }
    return 0;
}

/*
 * Copies @s to @out (NULL: only counts), each byte that does not start a well-formed sequence
 * replaced by U+FFFD. Returns the bytes written and sets *@bad to the bytes replaced.
 */
static size_t utf8_fix(const char *s, size_t len, char *out, size_t *bad)
{
    static const char replacement[3] = {'\xef', '\xbf', '\xbd'}; /* U+FFFD */
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0;
    *bad = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_len(u + i, len - i);
        if (n == 0) {
            if (out != NULL)
                memcpy(out + o, replacement, sizeof(replacement));
            o += sizeof(replacement);
            (*bad)++;
            i++;
        } else {
            if (out != NULL)
                memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    return o;
}

/* jansson refuses a string that is not UTF-8, and a sensor's strings come off the network (SNI,
 * banners, DNS names). */
static json_t *text_json(const char *s)
{
    size_t len = strlen(s);
    size_t bad;
    size_t fixed_len = utf8_fix(s, len, NULL, &bad);
    if (bad == 0)
        return json_stringn(s, len);
    char *fixed = malloc(fixed_len);
    if (fixed == NULL)
        return NULL;
    utf8_fix(s, len, fixed, &bad);
    json_t *j = json_stringn(fixed, fixed_len);
    free(fixed);
    return j;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static json_t *bytes_json(const ProtobufCFieldDescriptor *f, const ProtobufCBinaryData *b)
{
    if (ends_with(f->name, "addr") && (b->len == 4 || b->len == 16)) {
        char text[INET6_ADDRSTRLEN];
        if (inet_ntop(b->len == 4 ? AF_INET : AF_INET6, b->data, text, sizeof(text)) != NULL)
            return json_string(text);
    }
    static const char hex[] = "0123456789abcdef";
    char *s = malloc(2 * b->len + 1);
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < b->len; i++) {
        s[2 * i] = hex[b->data[i] >> 4];
        s[2 * i + 1] = hex[b->data[i] & 0xf];
    }
    s[2 * b->len] = '\0';
    json_t *j = json_string(s);
    free(s);
    return j;
}

/*
 * A float widened to double prints its binary expansion (0.1f as 0.100000001490116...); the
 * shortest decimal that reads back as the same float is what was meant, and at most
 * FLT_DECIMAL_DIG (9) digits always read back.
 */
static double float_decimal(float v)
{
    char buf[32];
    for (int digits = 1; digits <= FLT_DECIMAL_DIG; digits++) {
        snprintf(buf, sizeof(buf), "%.*g", digits, (double)v);
        if (strtof(buf, NULL) == v)
            break;
    }
    return strtod(buf, NULL);
}

static json_t *real_json(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *enum_json(const ProtobufCFieldDescriptor *f, int v)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
    return ev ? json_string(ev->name) : json_integer(v);
}

/*
 * value_json(), repeated_json() and pb_json_message() recurse only as deep as the schema nests
 * messages (umbra.proto: 4 levels, no recursive type).
 */
/* NOLINTNEXTLINE(misc-no-recursion) */
static json_t *value_json(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_integer(*(const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t v = *(const uint64_t *)p;
        if (v <= INT64_MAX)
            return json_integer((json_int_t)v);
        char digits[24];
        snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
        return json_string(digits);
    }
    case PROTOBUF_C_TYPE_FLOAT: {
        float v = *(const float *)p;
        return isfinite(v) ? json_real(float_decimal(v)) : json_null();
    }
    case PROTOBUF_C_TYPE_DOUBLE:
        return real_json(*(const double *)p);
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_ENUM:
        return enum_json(f, *(const int *)p);
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(const char *const *)p;
        return text_json(s ? s : "");
    }
    case PROTOBUF_C_TYPE_BYTES:
        return bytes_json(f, p);
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)p;
        return sub ? pb_json_message(sub) : json_null();
    }
    }
    return json_null();
}

/* NOLINTNEXTLINE(misc-no-recursion) */
static json_t *repeated_json(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    size_t n = *(const size_t *)member(m, f->quantifier_offset);
    const uint8_t *elems = *(const uint8_t *const *)member(m, f->offset);
    size_t size = elem_size(f->type);
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        if (json_array_append_new(arr, value_json(f, elems + i * size)) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return arr;
}

json_t *pb_json_message(const ProtobufCMessage *m) /* NOLINT(misc-no-recursion) */
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    json_t *obj = json_object();
    if (obj == NULL)
        return NULL;
    /* protobuf-c lists fields by number: the object keeps that order (jansson keeps insertion
     * order unless dumped with JSON_SORT_KEYS). */
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!is_present(m, f))
            continue;
        json_t *v = f->label == PROTOBUF_C_LABEL_REPEATED ? repeated_json(m, f)
                                                          : value_json(f, member(m, f->offset));
        /* json_object_set_new() takes v, and frees it on failure; a NULL v fails it too. */
        if (json_object_set_new(obj, f->name, v) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}
