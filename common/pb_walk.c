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

/*
 * What the walk needs of one field, in 8 bytes, so that the common case (a scalar inside a
 * message the visitor did not want) reads no protobuf-c descriptor at all.
 */
enum {
    FI_KNOWN = 1,    /* a field of the message (0: an unknown number) */
    FI_MESSAGE = 2,  /* of a message type */
    FI_SINGLE = 4,   /* a singular message field: may come once per message */
    FI_PACKABLE = 8, /* a repeated scalar: may also come as a packed run (wire type 2) */
    FI_BOOL = 16,    /* of type bool */
    FI_MUTED = 32,   /* the visitor does not want it (pb_walk_plan_only): checked, not told */
};

struct field_info {
    uint8_t flags;
    uint8_t wt;     /* the wire type of one value */
    uint16_t index; /* in the descriptor's fields */
    uint16_t child; /* a message field's type: its plan entry */
    uint16_t pad;
};

/* One message type of a plan: its fields by number. */
struct plan_msg {
    const ProtobufCMessageDescriptor *desc;
    uint32_t n_ids;           /* by_id covers numbers below this: the type's highest + 1 */
    struct field_info *by_id; /* per number; flags 0 for an unknown number */
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

/*
 * The byte-per-bit mask of the high bits of the 8 bytes in @w (bit i: byte i, in memory order,
 * has its high bit set). The multiplier moves byte i's bit 7 to bit 56 + i; no two partial
 * products land on the same bit, so nothing carries into the result.
 */
static unsigned high_bits(uint64_t w)
{
    return (unsigned)(((w & UINT64_C(0x8080808080808080)) * UINT64_C(0x0002040810204081)) >> 56);
}

/*
 * How many of the 8 bytes in @w have their high bit clear. Each such byte leaves a 1 in its
 * lowest bit; the multiplier sums the eight bytes into the top one (at most 8: no carry). Not
 * __builtin_popcount: the x86-64 baseline has no POPCNT, and the libgcc call was 1 % of ingest.
 */
static size_t ends_in(uint64_t w)
{
    uint64_t ends = (~w & UINT64_C(0x8080808080808080)) >> 7;
    return (size_t)((ends * UINT64_C(0x0101010101010101)) >> 56);
}

/*
 * Elements of a packed run of varints, or 0 with *@ok false when the run is malformed: it ends
 * inside a varint, or a varint runs past PB_VARINT_MAX bytes (protobuf-c's scan_varint() refuses
 * both). An element ends at each byte whose high bit is clear, so the count is those bytes; the
 * run of continuation bytes before each is what must stay under PB_VARINT_MAX. Eight bytes at a
 * time: SPLT lists and cipher-suite lists are most of a record's packed bytes.
 */
static size_t packed_varints(const uint8_t *p, size_t len, bool *ok)
{
    size_t n = 0, run = 0, i = 0; /* run: continuation bytes since the last end */
    for (; i + 8 <= len; i += 8) {
        uint64_t w = rd_le64(p + i);
        unsigned m = high_bits(w);
        if (m == 0) {
            n += 8;
            run = 0;
            continue;
        }
        if (m == 0xff) {
            run += 8;
            if (run >= PB_VARINT_MAX)
                goto bad;
            continue;
        }
        n += ends_in(w);
        /* The bytes before the word's first end continue the previous varint; a run inside the
         * word is at most 6 bytes; the bytes after its last end begin the next. */
        if (run + (size_t)__builtin_ctz(~m) >= PB_VARINT_MAX)
            goto bad;
        unsigned inv = ~m & 0xffu; /* bit i: byte i ends a varint; not 0 here */
        run = 7 - (size_t)(31 - __builtin_clz(inv));
    }
    for (; i < len; i++) {
        if (p[i] & 0x80) {
            if (++run >= PB_VARINT_MAX)
                goto bad;
        } else {
            n++;
            run = 0;
        }
    }
    if (run != 0)
        goto bad;
    *ok = true;
    return n;
bad:
    *ok = false;
    return 0;
}

/* Elements of a packed run of a repeated scalar @fi, or 0 with *@ok false when malformed. */
static size_t packed_count(const struct field_info *fi, const uint8_t *p, size_t len, bool *ok)
{
    *ok = false;
    switch (fi->wt) {
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
    if (fi->flags & FI_BOOL) {
        /* protobuf-c reads one byte per packed bool and refuses any other than 0 and 1. */
        size_t i = 0;
        for (; i + 8 <= len; i += 8) {
            if (rd_le64(p + i) & UINT64_C(0xfefefefefefefefe))
                return 0;
        }
        for (; i < len; i++) {
            if (p[i] > 1)
                return 0;
        }
        *ok = true;
        return len;
    }
    return packed_varints(p, len, ok);
}

/* What the walk needs of field @f of @desc, for a walk without a plan and to build one. */
static struct field_info field_info_of(const ProtobufCMessageDescriptor *desc,
                                       const ProtobufCFieldDescriptor *f)
{
    struct field_info fi = {.flags = FI_KNOWN,
                            .wt = (uint8_t)wire_type_of(f->type),
                            .index = (uint16_t)(f - desc->fields)};
    bool repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        fi.flags |= repeated ? FI_MESSAGE : FI_MESSAGE | FI_SINGLE;
    else if (repeated && fi.wt != WT_LEN)
        fi.flags |= FI_PACKABLE;
    if (f->type == PROTOBUF_C_TYPE_BOOL)
        fi.flags |= FI_BOOL;
    return fi;
}

static int walk_message(const struct walk *w, const ProtobufCMessageDescriptor *desc,
                        const struct plan_msg *pm, const uint8_t *buf, size_t len, unsigned depth);

/* Calls the visitor, unless the walk is quiet (inside a message the visitor did not want). */
static int tell(const struct walk *w, enum pb_walk_event ev, const ProtobufCMessageDescriptor *desc,
                const ProtobufCFieldDescriptor *f, const struct pb_walk_value *v)
{
    return w->fn != NULL ? w->fn(w->ctx, ev, desc, f, v) : 0;
}

/* A message field's value at @p (@n bytes): entered, walked and left. */
static int message_field(const struct walk *w, const ProtobufCMessageDescriptor *desc,
                         const struct plan_msg *pm, const struct field_info *fi, const uint8_t *p,
                         size_t n, unsigned depth)
{
    const ProtobufCFieldDescriptor *f = desc->fields + fi->index;
    struct pb_walk_value v = {.data = p, .len = n, .count = 1};
    if (depth + 1 >= PB_WALK_DEPTH_MAX)
        return UMBRA_EWIRE;
    /* A muted message field is walked as if the visitor had answered PB_WALK_QUIET, and its
     * PB_WALK_ENTER and PB_WALK_LEAVE are not told either. */
    bool muted = (fi->flags & FI_MUTED) != 0;
    int rc = muted ? PB_WALK_QUIET : tell(w, PB_WALK_ENTER, desc, f, &v);
    if (rc != 0 && rc != PB_WALK_QUIET)
        return rc;
    const struct walk quiet = {.fn = NULL, .plan = w->plan};
    const struct plan_msg *sub = pm != NULL ? &w->plan->msg[fi->child] : NULL;
    rc = walk_message(rc == PB_WALK_QUIET ? &quiet : w, f->descriptor, sub, p, n, depth + 1);
    if (rc != 0 || muted)
        return rc;
    return tell(w, PB_WALK_LEAVE, desc, f, &v);
}

/* A scalar, string or bytes field's value at @p (@n bytes, after the tag; for wire type 2 after
 * the length), of the wire type the field has, told to a visitor. */
static int scalar_field(const struct walk *w, const ProtobufCMessageDescriptor *desc,
                        const struct field_info *fi, const uint8_t *p, size_t n)
{
    const ProtobufCFieldDescriptor *f = desc->fields + fi->index;
    struct pb_walk_value v = {.count = 1};
    switch (fi->wt) {
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
        break;
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

        /* An unknown field (a newer sender's): its bytes were checked above, nothing reads
         * them. A plan tables every number of the type, so one past the table is unknown. */
        struct field_info fi;
        if (pm != NULL) {
            if (id >= pm->n_ids || pm->by_id[id].flags == 0)
                continue;
            fi = pm->by_id[id];
        } else {
            const ProtobufCFieldDescriptor *f = field_of(desc, last, (uint32_t)id);
            if (f == NULL)
                continue;
            last = f;
            fi = field_info_of(desc, f);
        }
        if (fi.flags & FI_SINGLE) {
            if (fi.index < 64 * SEEN_WORDS) {
                uint64_t bit = UINT64_C(1) << (fi.index % 64);
                if (seen[fi.index / 64] & bit)
                    return UMBRA_EWIRE;
                seen[fi.index / 64] |= bit;
            }
        }
        int rc;
        if (wt == fi.wt) {
            if (fi.flags & FI_MESSAGE)
                rc = message_field(w, desc, pm, &fi, p, n, depth);
            else if (w->fn == NULL || (fi.flags & FI_MUTED))
                continue; /* quiet: the bytes are checked, the value goes nowhere */
            else
                rc = scalar_field(w, desc, &fi, p, n);
        } else {
            /* The one other encoding allowed: a packed run of a repeated scalar. */
            if (!(fi.flags & FI_PACKABLE) || wt != WT_LEN)
                return UMBRA_EWIRE;
            bool ok;
            struct pb_walk_value v = {.data = p, .len = n};
            v.count = packed_count(&fi, p, n, &ok);
            if (!ok)
                return UMBRA_EWIRE;
            rc = (fi.flags & FI_MUTED) ? 0
                                       : tell(w, PB_WALK_PACKED, desc, desc->fields + fi.index, &v);
        }
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
        if (max >= PB_WALK_PLAN_IDS || d->n_fields > UINT16_MAX)
            goto fail; /* the caller logs it; umbra.proto's numbers are all far below */
        m->n_ids = max + 1;
        m->by_id = calloc(m->n_ids, sizeof(*m->by_id));
        if (m->by_id == NULL)
            goto fail;
        for (unsigned k = 0; k < d->n_fields; k++) {
            const ProtobufCFieldDescriptor *f = &d->fields[k];
            struct field_info fi = field_info_of(d, f);
            if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                size_t c = plan_entry(pl, f->descriptor);
                if (c == PB_WALK_PLAN_TYPES)
                    goto fail;
                fi.child = (uint16_t)c;
            }
            m->by_id[f->id] = fi;
        }
    }
    return pl;
fail:
    pb_walk_plan_destroy(&pl);
    return NULL;
}

int pb_walk_plan_only(struct pb_walk_plan *plan, const ProtobufCMessageDescriptor *desc,
                      const uint32_t *ids, size_t n_ids)
{
    if (plan == NULL || desc == NULL || (ids == NULL && n_ids > 0))
        return -EINVAL;
    struct plan_msg *m = NULL;
    for (size_t i = 0; i < plan->n && m == NULL; i++) {
        if (plan->msg[i].desc == desc)
            m = &plan->msg[i];
    }
    if (m == NULL)
        return -ENOENT;
    for (size_t k = 0; k < n_ids; k++) {
        if (ids[k] >= m->n_ids || m->by_id[ids[k]].flags == 0)
            return -ENOENT;
    }
    for (uint32_t id = 0; id < m->n_ids; id++) {
        if (m->by_id[id].flags == 0)
            continue;
        bool wanted = false;
        for (size_t k = 0; k < n_ids && !wanted; k++)
            wanted = ids[k] == id;
        if (wanted)
            m->by_id[id].flags &= (uint8_t)~FI_MUTED;
        else
            m->by_id[id].flags |= FI_MUTED;
    }
    return 0;
}

void pb_walk_plan_destroy(struct pb_walk_plan **pp)
{
    if (pp == NULL || *pp == NULL)
        return;
    struct pb_walk_plan *pl = *pp;
    for (size_t i = 0; i < pl->n; i++)
        free(pl->msg[i].by_id);
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
