/*
 * Fuzz target for the packet decoder (sensor/decode*). The first byte of an input is a
 * selector: its low three bits pick a link type from the ones the decoder supports, bit 3 makes
 * the record claim fewer wire bytes than it holds (a corrupt file), and the high four bits add
 * 128 wire bytes each, as if the snap length had cut the frame. The rest is the frame. libFuzzer
 * and the replay driver both hand over a buffer of the input's exact size, so ASan reports any
 * read past the frame. After DECODE_OK the properties callers rely on are checked; a broken one
 * aborts, so libFuzzer reports it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/dlt.h>

#include "sensor/capture.h"
#include "sensor/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Indexed by the selector's low three bits; the seed names in corpus/decode/ start with these. */
static const int links[8] = {
        DLT_EN10MB,     /* 0 eth */
        DLT_LINUX_SLL,  /* 1 sll */
        DLT_LINUX_SLL2, /* 2 sll2 */
        DLT_RAW,        /* 3 raw */
        DLT_IPV4,       /* 4 ipv4 */
        DLT_IPV6,       /* 5 ipv6 */
        DLT_NULL,       /* 6 null */
        DLT_LOOP,       /* 7 loop */
};

static int within(const uint8_t *p, uint32_t len, const uint8_t *base, uint32_t caplen)
{
    return p >= base && len <= caplen && (size_t)(p - base) <= caplen - len;
}

static void check(const struct pkt *p, const struct capture_frame *f)
{
    uint32_t wire = f->wirelen > f->caplen ? f->wirelen : f->caplen;
    if (p->ip_version != 4 && p->ip_version != 6)
        abort();
    if (p->ip_len > wire || p->l4_len > p->ip_len || p->payload_len > p->l4_len)
        abort();
    if (p->payload_caplen > p->payload_len)
        abort();
    if (p->payload == NULL ? p->payload_caplen != 0
                           : p->payload_caplen == 0 ||
                                     !within(p->payload, p->payload_caplen, f->data, f->caplen))
        abort();
    if (p->tcp_opts == NULL
                ? p->tcp_opts_len != 0
                : p->tcp_opts_len > 40 || !within(p->tcp_opts, p->tcp_opts_len, f->data, f->caplen))
        abort();
    if (p->n_vlans > PKT_MAX_VLANS || p->tunnel_depth > DECODE_MAX_TUNNELS)
        abort();
    if ((p->tunnel_depth == 0) != (p->tunnel.type == PKT_TUNNEL_NONE))
        abort();
    if (p->snap_cut != (f->caplen < f->wirelen))
        abort();
    if (p->frag == PKT_FRAG_LATER && (p->sport != 0 || p->dport != 0 || p->tcp_flags != 0))
        abort();
    if (p->frag == PKT_FRAG_NONE && p->frag_id != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size - 1 > UINT32_MAX / 2)
        return 0;
    uint8_t sel = data[0];
    uint32_t caplen = (uint32_t)(size - 1);
    uint32_t wirelen = caplen + (uint32_t)(sel >> 4) * 128u;
    if (sel & 0x08)
        wirelen = caplen / 2;
    struct capture_frame frame = {
            .data = data + 1,
            .caplen = caplen,
            .wirelen = wirelen,
            .ts_ns = 1,
            .linktype = links[sel & 0x07],
    };

    struct pkt a;
    struct pkt b;
    memset(&a, 0x00, sizeof(a));
    memset(&b, 0xff, sizeof(b));
    enum decode_status st = decode_frame(&frame, &a);
    if ((unsigned)st >= DECODE_STATUS_COUNT || decode_frame(&frame, &b) != st)
        abort();
    if (decode_status_name(st) == NULL || decode_status_meaning(st) == NULL)
        abort();
    if (st != DECODE_OK)
        return 0;
    check(&a, &frame);
    /* Nothing may depend on what the struct held before the call. */
    if (a.ip_len != b.ip_len || a.payload_len != b.payload_len || a.payload != b.payload ||
        a.sport != b.sport || a.dport != b.dport || a.tcp_opts != b.tcp_opts ||
        memcmp(a.src, b.src, sizeof(a.src)) != 0 || memcmp(a.vlan, b.vlan, sizeof(a.vlan)) != 0 ||
        a.tunnel.type != b.tunnel.type || a.tunnel.id != b.tunnel.id ||
        memcmp(a.tunnel.src, b.tunnel.src, sizeof(a.tunnel.src)) != 0)
        abort();
    return 0;
}
