/*
 * Test support: fills, compares, mutates and enumerates protobuf-c messages through their
 * descriptors (field offsets, quantifier offsets, labels and types), with no knowledge of any
 * particular message. It owns nothing between calls. It is not for production code: it aborts
 * on out-of-memory and trusts the messages it is given.
 */
#include "tests/unit/support/pb_walk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Messages nest messages: most helpers recurse, as deep as the schema nests (or FILL_DEPTH_MAX). */
/* NOLINTBEGIN(misc-no-recursion) */

/* Deep enough for any real schema; a recursive schema stops filling here. */
#define FILL_DEPTH_MAX 16

struct pb_path {
    char buf[PB_PATH_MAX];
    size_t len;
};

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL) {
        fputs("pb_walk: out of memory\n", stderr);
        abort();
    }
    return p;
}

/* Appends to the path and returns its old length, for path_pop(). Cut short when full. */
static size_t path_push(struct pb_path *p, const char *fmt_sep, const char *name, size_t index,
                        bool is_index)
{
    size_t old = p->len;
    size_t room = sizeof(p->buf) - p->len;
    int n;
    if (is_index)
        n = snprintf(p->buf + p->len, room, "[%zu]", index);
    else
        n = snprintf(p->buf + p->len, room, "%s%s", p->len ? fmt_sep : "", name);
    if (n > 0)
        p->len = (size_t)n < room ? p->len + (size_t)n : sizeof(p->buf) - 1;
    return old;
}

static size_t path_field(struct pb_path *p, const char *name)
{
    return path_push(p, ".", name, 0, false);
}

static size_t path_index(struct pb_path *p, size_t index)
{
    return path_push(p, "", NULL, index, true);
}

static void path_pop(struct pb_path *p, size_t old)
{
    p->len = old;
    p->buf[old] = '\0';
}

static void path_copy(const struct pb_path *p, char *out, size_t len)
{
    if (out != NULL && len > 0)
        snprintf(out, len, "%s", p->buf);
}

static void *member(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    /* The helpers that only read take const messages; the cast is confined to here. */
    return (uint8_t *)m + f->offset;
}

static void *quantifier(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    return (uint8_t *)m + f->quantifier_offset;
}

static size_t repeated_count(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    size_t n;
    memcpy(&n, quantifier(m, f), sizeof(n));
    return n;
}

static uint8_t *repeated_array(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    uint8_t *arr;
    memcpy(&arr, member(m, f), sizeof(arr));
    return arr;
}

/* Size of one element of a repeated field of @type, as protobuf-c lays arrays out. */
static size_t elem_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    default:
        return 4; /* the 32-bit integers, float and enum (forced to int size) */
    }
}

/* Whether a singular field is present: proto3 scalars always are, the rest by their quantifier. */
static bool present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t which;
        memcpy(&which, quantifier(m, f), sizeof(which));
        return which == f->id;
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING) {
        void *ptr;
        memcpy(&ptr, member(m, f), sizeof(ptr));
        if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
            return ptr != NULL && ptr != f->default_value;
        return f->type == PROTOBUF_C_TYPE_STRING || ptr != NULL;
    }
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
        protobuf_c_boolean has;
        memcpy(&has, quantifier(m, f), sizeof(has));
        return has != 0;
    }
    return true;
}

/* ---- filling ------------------------------------------------------------------------------ */

struct filler {
    uint32_t seed;
    uint64_t counter; /* one step per leaf and per repeated count: keeps values distinct */
    size_t leaves;
};

static uint64_t next_u64(struct filler *fl)
{
    uint64_t c = ++fl->counter + (uint64_t)fl->seed * 0x100000001ull;
    /* Multiplying by an odd constant is a bijection mod 2^64 and, on the low bits, mod 2^32:
     * every leaf of one fill gets a distinct value at either width, and large values exercise
     * the longer varint encodings. */
    uint64_t v = c * 0x9e3779b97f4a7c15ull;
    return v ? v : 1;
}

static int32_t enum_pick(const ProtobufCEnumDescriptor *ed, uint64_t k)
{
    unsigned nonzero = 0;
    for (unsigned i = 0; i < ed->n_values; i++)
        nonzero += ed->values[i].value != 0;
    if (nonzero == 0)
        return 0;
    unsigned want = (unsigned)(k % nonzero);
    for (unsigned i = 0; i < ed->n_values; i++) {
        if (ed->values[i].value == 0)
            continue;
        if (want-- == 0)
            return ed->values[i].value;
    }
    return 0;
}

static ProtobufCMessage *fill_msg(struct filler *fl, const ProtobufCMessageDescriptor *d,
                                  unsigned depth);

/* Sets the value at @value (a member or an array element) of field @f. */
static void fill_value(struct filler *fl, const ProtobufCFieldDescriptor *f, void *value,
                       unsigned depth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t v = next_u64(fl);
        memcpy(value, &v, sizeof(v));
        break;
    }
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: {
        uint32_t v = (uint32_t)next_u64(fl);
        v = v ? v : 1;
        memcpy(value, &v, sizeof(v));
        break;
    }
    case PROTOBUF_C_TYPE_FLOAT: {
        /* Below 2^23, so every value and its .5 are exact in a float. */
        float v = (float)((uint64_t)(fl->seed % 97) * 65536 + ++fl->counter % 65536) + 0.5f;
        memcpy(value, &v, sizeof(v));
        break;
    }
    case PROTOBUF_C_TYPE_DOUBLE: {
        double v = (double)fl->seed * 1e6 + (double)++fl->counter + 0.25;
        memcpy(value, &v, sizeof(v));
        break;
    }
    case PROTOBUF_C_TYPE_BOOL: {
        protobuf_c_boolean v = 1;
        fl->counter++;
        memcpy(value, &v, sizeof(v));
        break;
    }
    case PROTOBUF_C_TYPE_ENUM: {
        int32_t v = enum_pick(f->descriptor, ++fl->counter);
        memcpy(value, &v, sizeof(v));
        break;
    }
    case PROTOBUF_C_TYPE_STRING: {
        char *s = xcalloc(1, 32);
        snprintf(s, 32, "s%u-%llu", (unsigned)fl->seed, (unsigned long long)++fl->counter);
        memcpy(value, &s, sizeof(s));
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        uint64_t c = ++fl->counter;
        ProtobufCBinaryData bd = {.len = 4 + (size_t)(c % 13)};
        bd.data = xcalloc(1, bd.len);
        for (size_t i = 0; i < bd.len; i++)
            bd.data[i] = (uint8_t)((c >> (8 * (i % 4))) ^ (i * 37) ^ fl->seed);
        memcpy(value, &bd, sizeof(bd));
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        *(ProtobufCMessage **)value = fill_msg(fl, f->descriptor, depth + 1);
        return; /* its leaves were counted inside */
    }
    }
    fl->leaves++;
}

static ProtobufCMessage *fill_msg(struct filler *fl, const ProtobufCMessageDescriptor *d,
                                  unsigned depth)
{
    if (depth > FILL_DEPTH_MAX)
        return NULL;
    ProtobufCMessage *m = xcalloc(1, d->sizeof_message);
    protobuf_c_message_init(d, m);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = 2 + (size_t)(++fl->counter % 2);
            uint8_t *arr = xcalloc(n, elem_size(f->type));
            for (size_t j = 0; j < n; j++)
                fill_value(fl, f, arr + j * elem_size(f->type), depth);
            memcpy(member(m, f), &arr, sizeof(arr));
            memcpy(quantifier(m, f), &n, sizeof(n));
            continue;
        }
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t which;
            memcpy(&which, quantifier(m, f), sizeof(which));
            if (which != 0)
                continue; /* an earlier member of this oneof is set */
            memcpy(quantifier(m, f), &f->id, sizeof(f->id));
        } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
                   f->type != PROTOBUF_C_TYPE_STRING) {
            protobuf_c_boolean has = 1;
            memcpy(quantifier(m, f), &has, sizeof(has));
        }
        fill_value(fl, f, member(m, f), depth);
    }
    return m;
}

ProtobufCMessage *pb_fill(const ProtobufCMessageDescriptor *desc, uint32_t seed, size_t *n_leaves)
{
    struct filler fl = {.seed = seed};
    ProtobufCMessage *m = fill_msg(&fl, desc, 0);
    if (n_leaves != NULL)
        *n_leaves = fl.leaves;
    return m;
}

void pb_free_filled(ProtobufCMessage *msg)
{
    if (msg != NULL)
        protobuf_c_message_free_unpacked(msg, NULL);
}

/* ---- walking leaves ----------------------------------------------------------------------- */

/* Called for each leaf with a pointer to its value; returns true to stop the walk. */
typedef bool leaf_fn(void *ctx, const ProtobufCFieldDescriptor *f, void *value,
                     const struct pb_path *path);

struct walker {
    leaf_fn *fn;
    void *ctx;
    struct pb_path path;
    bool stopped;
};

static void walk_msg(struct walker *w, const ProtobufCMessage *m);

static void walk_value(struct walker *w, const ProtobufCFieldDescriptor *f, void *value)
{
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        ProtobufCMessage *sub = *(ProtobufCMessage **)value;
        if (sub != NULL)
            walk_msg(w, sub);
        return;
    }
    if (w->fn(w->ctx, f, value, &w->path))
        w->stopped = true;
}

static void walk_msg(struct walker *w, const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields && !w->stopped; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        size_t mark = path_field(&w->path, f->name);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = repeated_count(m, f);
            uint8_t *arr = repeated_array(m, f);
            for (size_t j = 0; j < n && !w->stopped; j++) {
                size_t imark = path_index(&w->path, j);
                walk_value(w, f, arr + j * elem_size(f->type));
                path_pop(&w->path, imark);
            }
        } else if (present(m, f)) {
            walk_value(w, f, member(m, f));
        }
        path_pop(&w->path, mark);
    }
}

static void walk(const ProtobufCMessage *m, leaf_fn *fn, void *ctx)
{
    struct walker w = {.fn = fn, .ctx = ctx};
    walk_msg(&w, m);
}

static bool count_leaf(void *ctx, const ProtobufCFieldDescriptor *f, void *value,
                       const struct pb_path *path)
{
    (void)f;
    (void)value;
    (void)path;
    (*(size_t *)ctx)++;
    return false;
}

size_t pb_count_leaves(const ProtobufCMessage *msg)
{
    size_t n = 0;
    walk(msg, count_leaf, &n);
    return n;
}

struct find_leaf {
    size_t target;
    size_t seen;
    bool found;
    const ProtobufCFieldDescriptor *field;
    void *value;
    char path[PB_PATH_MAX];
};

static bool find_leaf_cb(void *ctx, const ProtobufCFieldDescriptor *f, void *value,
                         const struct pb_path *path)
{
    struct find_leaf *fd = ctx;
    if (fd->seen++ != fd->target)
        return false;
    fd->found = true;
    fd->field = f;
    fd->value = value;
    snprintf(fd->path, sizeof(fd->path), "%s", path->buf);
    return true;
}

int pb_leaf_path(const ProtobufCMessage *msg, size_t index, char *path, size_t len)
{
    struct find_leaf fd = {.target = index};
    walk(msg, find_leaf_cb, &fd);
    if (!fd.found)
        return -ENOENT;
    if (path != NULL && len > 0)
        snprintf(path, len, "%s", fd.path);
    return 0;
}

static int32_t enum_other(const ProtobufCEnumDescriptor *ed, int32_t v)
{
    for (unsigned i = 0; i < ed->n_values; i++) {
        if (ed->values[i].value == v && ed->n_values > 1)
            return ed->values[(i + 1) % ed->n_values].value;
    }
    return v + 1; /* not a listed value: any other value differs */
}

static void mutate_value(const ProtobufCFieldDescriptor *f, void *value)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL: {
        protobuf_c_boolean v;
        memcpy(&v, value, sizeof(v));
        v = !v;
        memcpy(value, &v, sizeof(v));
        break;
    }
    case PROTOBUF_C_TYPE_ENUM: {
        int32_t v;
        memcpy(&v, value, sizeof(v));
        v = enum_other(f->descriptor, v);
        memcpy(value, &v, sizeof(v));
        break;
    }
    case PROTOBUF_C_TYPE_STRING: {
        char *s;
        memcpy(&s, value, sizeof(s));
        if (s != NULL && s[0] != '\0') {
            s[0] ^= 1;
            break;
        }
        /* Empty: may be the shared static "" (the field's default), so replace it. */
        if (s != NULL && s != f->default_value)
            free(s);
        s = xcalloc(1, 2);
        s[0] = 'x';
        memcpy(value, &s, sizeof(s));
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData bd;
        memcpy(&bd, value, sizeof(bd));
        if (bd.len > 0) {
            bd.data[0] ^= 1;
            break;
        }
        const ProtobufCBinaryData *def = f->default_value;
        if (bd.data != NULL && (def == NULL || bd.data != def->data))
            free(bd.data);
        bd.data = xcalloc(1, 1);
        bd.data[0] = 1;
        bd.len = 1;
        memcpy(value, &bd, sizeof(bd));
        break;
    }
    default:
        if (elem_size(f->type) == 8) {
            uint64_t v;
            memcpy(&v, value, sizeof(v));
            v++;
            memcpy(value, &v, sizeof(v));
        } else {
            uint32_t v;
            memcpy(&v, value, sizeof(v));
            v++;
            memcpy(value, &v, sizeof(v));
        }
        break;
    }
}

int pb_mutate_leaf(ProtobufCMessage *msg, size_t index)
{
    struct find_leaf fd = {.target = index};
    walk(msg, find_leaf_cb, &fd);
    if (!fd.found)
        return -ENOENT;
    mutate_value(fd.field, fd.value);
    return 0;
}

/* ---- comparing ---------------------------------------------------------------------------- */

static bool eq_msg(const ProtobufCMessage *a, const ProtobufCMessage *b, struct pb_path *p);

static bool eq_value(const ProtobufCFieldDescriptor *f, const void *va, const void *vb,
                     struct pb_path *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL: {
        protobuf_c_boolean a, b;
        memcpy(&a, va, sizeof(a));
        memcpy(&b, vb, sizeof(b));
        return !a == !b;
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *a, *b;
        memcpy(&a, va, sizeof(a));
        memcpy(&b, vb, sizeof(b));
        return strcmp(a ? a : "", b ? b : "") == 0;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData a, b;
        memcpy(&a, va, sizeof(a));
        memcpy(&b, vb, sizeof(b));
        return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *a = *(ProtobufCMessage *const *)va;
        const ProtobufCMessage *b = *(ProtobufCMessage *const *)vb;
        if (a == NULL || b == NULL)
            return a == b;
        return eq_msg(a, b, p);
    }
    default:
        /* Bit for bit, floats too: a round trip must not change a single bit. */
        return memcmp(va, vb, elem_size(f->type)) == 0;
    }
}

static bool eq_unknown(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    if (a->n_unknown_fields != b->n_unknown_fields)
        return false;
    for (unsigned i = 0; i < a->n_unknown_fields; i++) {
        const ProtobufCMessageUnknownField *ua = &a->unknown_fields[i];
        const ProtobufCMessageUnknownField *ub = &b->unknown_fields[i];
        if (ua->tag != ub->tag || ua->wire_type != ub->wire_type || ua->len != ub->len)
            return false;
        if (ua->len > 0 && memcmp(ua->data, ub->data, ua->len) != 0)
            return false;
    }
    return true;
}

/* On a difference returns false with the path left pointing at it. */
static bool eq_msg(const ProtobufCMessage *a, const ProtobufCMessage *b, struct pb_path *p)
{
    if (a->descriptor != b->descriptor) {
        path_field(p, "<type>");
        return false;
    }
    const ProtobufCMessageDescriptor *d = a->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        size_t mark = path_field(p, f->name);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = repeated_count(a, f);
            if (n != repeated_count(b, f))
                return false;
            const uint8_t *xa = repeated_array(a, f);
            const uint8_t *xb = repeated_array(b, f);
            for (size_t j = 0; j < n; j++) {
                size_t imark = path_index(p, j);
                size_t off = j * elem_size(f->type);
                if (!eq_value(f, xa + off, xb + off, p))
                    return false;
                path_pop(p, imark);
            }
        } else {
            bool pa = present(a, f);
            if (pa != present(b, f))
                return false;
            if (pa && !eq_value(f, member(a, f), member(b, f), p))
                return false;
        }
        path_pop(p, mark);
    }
    if (!eq_unknown(a, b)) {
        path_field(p, "<unknown>");
        return false;
    }
    return true;
}

bool pb_equal(const ProtobufCMessage *a, const ProtobufCMessage *b, char *diff, size_t len)
{
    struct pb_path p = {.len = 0};
    bool eq;
    if (a == NULL || b == NULL) {
        eq = a == b;
        if (!eq)
            path_field(&p, "<type>");
    } else {
        eq = eq_msg(a, b, &p);
    }
    if (!eq)
        path_copy(&p, diff, len);
    else if (diff != NULL && len > 0)
        diff[0] = '\0';
    return eq;
}

/* ---- coverage checks ---------------------------------------------------------------------- */

static bool set_msg(const ProtobufCMessage *m, struct pb_path *p);

static bool set_value(const ProtobufCFieldDescriptor *f, const void *value, struct pb_path *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s;
        memcpy(&s, value, sizeof(s));
        return s != NULL && s[0] != '\0';
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData bd;
        memcpy(&bd, value, sizeof(bd));
        return bd.len > 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)value;
        return sub != NULL && set_msg(sub, p);
    }
    default: {
        static const uint8_t zero[8];
        return memcmp(value, zero, elem_size(f->type)) != 0;
    }
    }
}

static bool set_msg(const ProtobufCMessage *m, struct pb_path *p)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        size_t mark = path_field(p, f->name);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = repeated_count(m, f);
            if (n == 0)
                return false;
            const uint8_t *arr = repeated_array(m, f);
            for (size_t j = 0; j < n; j++) {
                size_t imark = path_index(p, j);
                if (!set_value(f, arr + j * elem_size(f->type), p))
                    return false;
                path_pop(p, imark);
            }
        } else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            /* Only one member of a oneof can be set; the others are not expected to be. */
            if (present(m, f) && !set_value(f, member(m, f), p))
                return false;
        } else if (!present(m, f) || !set_value(f, member(m, f), p)) {
            return false;
        }
        path_pop(p, mark);
    }
    return true;
}

bool pb_all_set(const ProtobufCMessage *msg, char *path, size_t len)
{
    struct pb_path p = {.len = 0};
    bool ok = set_msg(msg, &p);
    if (!ok)
        path_copy(&p, path, len);
    return ok;
}

struct reach {
    const ProtobufCMessageDescriptor **seen;
    size_t n;
    size_t cap;
};

static void reach_add(struct reach *r, const ProtobufCMessageDescriptor *d)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->seen[i] == d)
            return;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        /* An array of pointers: the size of one pointer is what is meant. */
        const ProtobufCMessageDescriptor **grown =
                realloc(r->seen, cap * sizeof(*grown)); /* NOLINT(bugprone-sizeof-expression) */
        if (grown == NULL) {
            fputs("pb_walk: out of memory\n", stderr);
            abort();
        }
        r->seen = grown;
        r->cap = cap;
    }
    r->seen[r->n++] = d;
    for (unsigned i = 0; i < d->n_fields; i++) {
        if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE)
            reach_add(r, d->fields[i].descriptor);
    }
}

size_t pb_reachable(const ProtobufCMessageDescriptor *root, const ProtobufCMessageDescriptor **out,
                    size_t cap)
{
    struct reach r = {.seen = NULL};
    reach_add(&r, root);
    for (size_t i = 0; i < r.n && i < cap; i++)
        out[i] = r.seen[i];
    size_t n = r.n;
    free(r.seen);
    return n;
}

/* NOLINTEND(misc-no-recursion) */
