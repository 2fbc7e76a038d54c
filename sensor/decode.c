/*
 * Decode: the entry point of the packet decoder and the names of its statuses. It owns what
 * belongs to the frame as a whole (times, lengths, the snap-length flag, resetting the fields
 * every packet must define) and leaves the headers to one file per layer: decode_link
 * (Ethernet, cooked, raw, null), decode_ip (IPv4, IPv6), decode_l4 (TCP, UDP, ICMP) and
 * decode_tunnel (GRE, VXLAN). It keeps no state, allocates nothing and logs nothing: the
 * caller counts the statuses.
 */
#include "sensor/decode.h"

#include <string.h>

#include "sensor/capture.h"
#include "sensor/decode_link.h"

static const char *const status_names[] = {
#define DECODE_STATUS_NAME(name, counter, meaning) counter,
        DECODE_STATUS_LIST(DECODE_STATUS_NAME)
#undef DECODE_STATUS_NAME
};

static const char *const status_meanings[] = {
#define DECODE_STATUS_MEANING(name, counter, meaning) meaning,
        DECODE_STATUS_LIST(DECODE_STATUS_MEANING)
#undef DECODE_STATUS_MEANING
};

_Static_assert(sizeof(status_names) / sizeof(status_names[0]) == DECODE_STATUS_COUNT,
               "one name per status");

enum decode_status decode_frame(const struct capture_frame *frame, struct pkt *out)
{
    uint32_t cap = frame->caplen;
    /* A record claiming fewer wire bytes than it holds is corrupt; the bytes are real. */
    uint32_t wire = frame->wirelen > cap ? frame->wirelen : cap;

    /* Only what every path must define; each layer sets its own fields (no whole-struct
     * memset per packet). */
    out->ts_ns = frame->ts_ns;
    out->caplen = frame->caplen;
    out->wirelen = frame->wirelen;
    out->snap_cut = frame->caplen < frame->wirelen;
    out->n_vlans = 0;
    memset(out->vlan, 0, sizeof(out->vlan));
    out->tunnel_depth = 0;
    /* 40 bytes, but the flow table copies it whole, so no byte may be left undefined. */
    memset(&out->tunnel, 0, sizeof(out->tunnel));
    return decode_link_frame(out, frame->linktype, frame->data, cap, wire);
}

const char *decode_status_name(enum decode_status status)
{
    if ((unsigned)status >= DECODE_STATUS_COUNT)
        return "unknown";
    return status_names[status];
}

const char *decode_status_meaning(enum decode_status status)
{
    if ((unsigned)status >= DECODE_STATUS_COUNT)
        return "unknown";
    return status_meanings[status];
}
