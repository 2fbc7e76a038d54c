/*
 * Protobuf walk: the wire format read against protobuf-c's descriptors, one pass, no allocation.
 * It keeps no state between calls and interprets no field: what a value means is the visitor's.
 */
#include "common/pb_walk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/err.h"
#include "common/pb_varint.h"

/* Wire types (protobuf encoding spec); 3 and 4 are groups, which protobuf-c cannot read. */
enum {
    WT_VARINT = 0,
    WT_I64 = 1,
    WT_LEN = 2,
    WT_I32 = 5,
};

#define FIELD_NUMBER_MAX ((1u << 29) - 1)
#define SEEN_WORDS       2 /* message fields tracked per message: 128, umbra.proto has <= 40 */

/* One message type of a plan: its fields by number, and the plan entry of each message field. */
struct plan_msg {
    const ProtobufCMessageDescriptor *desc;
    uint32_t n_ids;  /* by_id covers numbers below this; above, the descriptor is searched */
    uint16_t *by_id; /* field index + 1 per number, 0 for an unknown number */
    uint16_t *child; /* per field index: the plan entry of a message field's type */
};

struct pb_walk_plan {
    size_t n;
    struct plan_msg msg[PB_WALK_PLAN_TYPES];
};

struct walk {
    pb_walk_fn *fn;
    void *ctx;
    const struct pb_walk_plan *plan; /* NULL: look fields up in the descriptors */
};

static int wire_type_of(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
        return WT_I32;
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return WT_I64;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE:
        return WT_LEN;
    default:
        return WT_VARINT;
    }
}

static bool is_32bit_varint(ProtobufCType t)
{
    return t == PROTOBUF_C_TYPE_INT32 || t == PROTOBUF_C_TYPE_UINT32 ||
           t == PROTOBUF_C_TYPE_SINT32 || t == PROTOBUF_C_TYPE_ENUM;
}

/* A scalar varint field's value as protobuf-c stores it. */
static uint64_t scalar_value(ProtobufCType t, const uint8_t *p, size_t n)
{
    if (t == PROTOBUF_C_TYPE_BOOL) {
        /* protobuf-c's parse_boolean(): true when any payload bit is set, even past bit 63. */
        uint8_t any = 0;
        for (size_t i = 0; i < n; i++)
            any |= p[i] & 0x7f;
        return any != 0;
    }
    uint64_t v = pb_varint_value(p, n);
    return is_32bit_varint(t) ? (uint32_t)v : v;
}

/* Elements of a packed run of type @t, or 0 with *@ok false when the run is malformed. */
static size_t packed_count(ProtobufCType t, const uint8_t *p, size_t len, bool *ok)
{
    *ok = false;
    switch (wire_type_of(t)) {
    case WT_I32:
        if (len % 4 != 0)
            return 0;
        *ok = true;
        return len / 4;
    case WT_I64:
        if (len % 8 != 0)
            return 0;
        *ok = true;
        return len / 8;
    default:
        break;
    }
    size_t n = 0;
    if (t == PROTOBUF_C_TYPE_BOOL) {
        /* protobuf-c reads one byte per packed bool and refuses any other than 0 and 1. */
        for (size_t i = 0; i < len; i++) {
            if (p[i] > 1)
                return 0;
        }
        *ok = true;
        return len;
    }
    for (size_t off = 0; off < len; n++) {
        size_t k = pb_varint_scan(p + off, len - off);
        if (k == 0)
            return 0;
        off += k;
    }
    *ok = true;
    return n;
}

static int walk_message(const struct walk *w, const ProtobufCMessageDescriptor *desc,
                        const struct plan_msg *pm, const uint8_t *buf, size_t len, unsigned depth);

/* Calls the visitor, unless the walk is quiet (inside a message the visitor did not want). */
static int tell(const struct walk *w, enum pb_walk_event ev, const ProtobufCMessageDescriptor *desc,
                const ProtobufCFieldDescriptor *f, const struct pb_walk_value *v)
{
    return w->fn != NULL ? w->fn(w->ctx, ev, desc, f, v) : 0;
}

/* One known field's value at @p (@n bytes, after the tag; for WT_LEN after the length). */
static int known_field(const struct walk *w, const ProtobufCMessageDescriptor *desc,
                       const struct plan_msg *pm, const ProtobufCFieldDescriptor *f, int wt,
                       const uint8_t *p, size_t n, unsigned depth)
{
    struct pb_walk_value v = {.count = 1};
    bool repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
    int want = wire_type_of(f->type);
    if (wt != want) {
        /* The one other encoding allowed: a packed run of a repeated scalar. */
        if (!(repeated && wt == WT_LEN && want != WT_LEN))
            return UMBRA_EWIRE;
        bool ok;
        v.count = packed_count(f->type, p, n, &ok);
        if (!ok)
            return UMBRA_EWIRE;
        v.data = p;
        v.len = n;
        return tell(w, PB_WALK_PACKED, desc, f, &v);
    }
    if (w->fn == NULL && f->type != PROTOBUF_C_TYPE_MESSAGE)
        return 0; /* quiet: the bytes are checked, the value goes nowhere */
    switch (wt) {
    case WT_VARINT:
        v.u = scalar_value(f->type, p, n);
        break;
    case WT_I32:
        v.u = rd_le32(p);
        break;
    case WT_I64:
        v.u = rd_le64(p);
        break;
    default:
        v.data = p;
        v.len = n;
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            break;
        if (depth + 1 >= PB_WALK_DEPTH_MAX)
            return UMBRA_EWIRE;
        int rc = tell(w, PB_WALK_ENTER, desc, f, &v);
        if (rc != 0 && rc != PB_WALK_QUIET)
            return rc;
        const struct walk quiet = {.fn = NULL, .plan = w->plan};
        const struct plan_msg *sub = pm != NULL ? &w->plan->msg[pm->child[f - desc->fields]] : NULL;
        rc = walk_message(rc == PB_WALK_QUIET ? &quiet : w, f->descriptor, sub, p, n, depth + 1);
        if (rc != 0)
            return rc;
        return tell(w, PB_WALK_LEAVE, desc, f, &v);
    }
    return tell(w, PB_WALK_FIELD, desc, f, &v);
}

/*
 * The field with number @id. protoc-c lists a descriptor's fields by number and senders write
 * them in that order, skipping the unset ones: so look forward from the last field first (a few
 * steps), and search the ranges only for a field out of order or unknown.
 */
static const ProtobufCFieldDescriptor *field_of(const ProtobufCMessageDescriptor *desc,
                                                const ProtobufCFieldDescriptor *last, uint32_t id)
{
    const ProtobufCFieldDescriptor *f = last != NULL ? last : desc->fields;
    const ProtobufCFieldDescriptor *end = desc->fields + desc->n_fields;
    if (f < end && f->id <= id) {
        while (f < end && f->id < id)
            f++;
        if (f < end && f->id == id)
            return f;
    }
    return protobuf_c_message_descriptor_get_field(desc, id);
}

/* NOLINTNEXTLINE(misc-no-recursion): bounded by PB_WALK_DEPTH_MAX */
static int walk_message(const struct walk *w, const ProtobufCMessageDescriptor *desc,
                        const struct plan_msg *pm, const uint8_t *buf, size_t len, unsigned depth)
{
    uint64_t seen[SEEN_WORDS] = {0};
    const ProtobufCFieldDescriptor *last = NULL;
    size_t off = 0;
    while (off < len) {
        uint64_t tag = buf[off];
        if (tag < 0x80) { /* fields 1..15: the common case, one byte */
            off++;
        } else {
            size_t k = pb_varint_scan(buf + off, len - off < 5 ? len - off : 5);
            if (k == 0)
                return UMBRA_EWIRE;
            tag = pb_varint_value(buf + off, k);
            off += k;
        }
        uint64_t id = tag >> 3;
        int wt = (int)(tag & 7);
        if (id == 0 || id > FIELD_NUMBER_MAX)
            return UMBRA_EWIRE;

        /* Where the value is, and its size. */
        const uint8_t *p = buf + off;
        size_t left = len - off, n;
        switch (wt) {
        case WT_VARINT:
            n = left > 0 && p[0] < 0x80 ? 1 : pb_varint_scan(p, left);
            if (n == 0)
                return UMBRA_EWIRE;
            off += n;
            break;
        case WT_I64:
        case WT_I32:
            n = wt == WT_I64 ? 8 : 4;
            if (left < n)
                return UMBRA_EWIRE;
            off += n;
            break;
        case WT_LEN: {
            size_t h = 1;
            uint64_t l = left > 0 ? p[0] : 0x80;
            if (l >= 0x80) {
                h = pb_varint_scan(p, left < 5 ? left : 5);
                if (h == 0)
                    return UMBRA_EWIRE;
                l = pb_varint_value(p, h);
            }
            if (l > left - h)
                return UMBRA_EWIRE;
            p += h;
            n = (size_t)l;
            off += h + n;
            break;
        }
        default:
            return UMBRA_EWIRE;
        }

        const ProtobufCFieldDescriptor *f;
        if (pm != NULL && id < pm->n_ids)
            f = pm->by_id[id] != 0 ? desc->fields + pm->by_id[id] - 1 : NULL;
        else
            f = field_of(desc, last, (uint32_t)id);
        if (f == NULL)
            continue; /* unknown: its bytes were checked above, nothing reads them */
        last = f;
        if (f->type == PROTOBUF_C_TYPE_MESSAGE && f->label != PROTOBUF_C_LABEL_REPEATED) {
            size_t i = (size_t)(f - desc->fields);
            if (i < 64 * SEEN_WORDS) {
                uint64_t bit = UINT64_C(1) << (i % 64);
                if (seen[i / 64] & bit)
                    return UMBRA_EWIRE;
                seen[i / 64] |= bit;
            }
        }
        int rc = known_field(w, desc, pm, f, wt, p, n, depth);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int pb_walk(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len, pb_walk_fn *fn,
            void *ctx)
{
    if (desc == NULL || fn == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    struct walk w = {.fn = fn, .ctx = ctx};
    return walk_message(&w, desc, NULL, buf, len, 0);
}

int pb_walk_planned(const struct pb_walk_plan *plan, const uint8_t *buf, size_t len, pb_walk_fn *fn,
                    void *ctx)
{
    if (plan == NULL || fn == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    struct walk w = {.fn = fn, .ctx = ctx, .plan = plan};
    return walk_message(&w, plan->msg[0].desc, &plan->msg[0], buf, len, 0);
}

/* The plan entry of @d, added if new; PB_WALK_PLAN_TYPES when the plan is full. */
static size_t plan_entry(struct pb_walk_plan *pl, const ProtobufCMessageDescriptor *d)
{
    for (size_t i = 0; i < pl->n; i++) {
        if (pl->msg[i].desc == d)
            return i;
    }
    if (pl->n == PB_WALK_PLAN_TYPES)
        return PB_WALK_PLAN_TYPES;
    pl->msg[pl->n].desc = d;
    return pl->n++;
}

struct pb_walk_plan *pb_walk_plan_create(const ProtobufCMessageDescriptor *root)
{
    if (root == NULL)
        return NULL;
    struct pb_walk_plan *pl = calloc(1, sizeof(*pl));
    if (pl == NULL)
        return NULL;
    plan_entry(pl, root);
    /* Breadth first: entries are added behind the one being filled. */
    for (size_t i = 0; i < pl->n; i++) {
        struct plan_msg *m = &pl->msg[i];
        const ProtobufCMessageDescriptor *d = m->desc;
        uint32_t max = 0;
        for (unsigned k = 0; k < d->n_fields; k++)
            max = d->fields[k].id > max ? d->fields[k].id : max;
        m->n_ids = max < PB_WALK_PLAN_IDS ? max + 1 : 0; /* sparse numbers: search instead */
        m->by_id = calloc(m->n_ids > 0 ? m->n_ids : 1, sizeof(*m->by_id));
        m->child = calloc(d->n_fields > 0 ? d->n_fields : 1, sizeof(*m->child));
        if (m->by_id == NULL || m->child == NULL)
            goto fail;
        for (unsigned k = 0; k < d->n_fields; k++) {
            const ProtobufCFieldDescriptor *f = &d->fields[k];
            if (f->id < m->n_ids)
                m->by_id[f->id] = (uint16_t)(k + 1);
            if (f->type != PROTOBUF_C_TYPE_MESSAGE)
                continue;
            size_t c = plan_entry(pl, f->descriptor);
            if (c == PB_WALK_PLAN_TYPES)
                goto fail;
            m->child[k] = (uint16_t)c;
        }
    }
    return pl;
fail:
    pb_walk_plan_destroy(&pl);
    return NULL;
}

void pb_walk_plan_destroy(struct pb_walk_plan **pp)
{
    if (pp == NULL || *pp == NULL)
        return;
    struct pb_walk_plan *pl = *pp;
    for (size_t i = 0; i < pl->n; i++) {
        free(pl->msg[i].by_id);
        free(pl->msg[i].child);
    }
    free(pl);
    *pp = NULL;
}

bool pb_walk_packed_next(struct pb_walk_value *v, const ProtobufCFieldDescriptor *f, uint64_t *out)
{
    if (v->len == 0)
        return false;
    size_t n;
    switch (wire_type_of(f->type)) {
    case WT_I32:
        n = 4;
        *out = rd_le32(v->data);
        break;
    case WT_I64:
        n = 8;
        *out = rd_le64(v->data);
        break;
    default:
        n = f->type == PROTOBUF_C_TYPE_BOOL ? 1 : pb_varint_scan(v->data, v->len);
        if (n == 0)
            return false; /* not a run the walk passed */
        *out = scalar_value(f->type, v->data, n);
        break;
    }
    if (n > v->len)
        return false;
    v->data += n;
    v->len -= n;
    return true;
}

float pb_walk_float(const struct pb_walk_value *v)
{
    uint32_t bits = (uint32_t)v->u;
    float x;
    memcpy(&x, &bits, sizeof(x));
    return x;
}

double pb_walk_double(const struct pb_walk_value *v)
{
    double x;
    memcpy(&x, &v->u, sizeof(x));
    return x;
}
