/*
 * Flow key: builds the canonical bidirectional key from a decoded packet, hashes and compares
 * it. It owns no state. The ordering rule (lower (address, port) first) only makes the key
 * direction-free; which side is the client is the flow table's decision.
 */
#include "sensor/flow_key.h"

#include <string.h>
/* XXH3 inlined: hashing a 44-byte key is a few dozen instructions, less than the call into the
 * shared library costs on every packet. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "common/bytes.h"
#include "sensor/decode.h"

/* Whether the packet's source endpoint (address, then port) sorts at or below its destination.
 * Addresses compare as two big-endian 64-bit words, the same order as memcmp() gives, without
 * a library call on every packet. */
static bool src_sorts_first(const struct pkt *p)
{
    uint64_t s0 = rd_be64(p->src);
    uint64_t d0 = rd_be64(p->dst);
    if (s0 != d0)
        return s0 < d0;
    uint64_t s1 = rd_be64(p->src + 8);
    uint64_t d1 = rd_be64(p->dst + 8);
    if (s1 != d1)
        return s1 < d1;
    return p->sport <= p->dport;
}

bool flow_key_from_pkt(const struct pkt *pkt, struct flow_key *key)
{
    bool src_is_lo = src_sorts_first(pkt);
    const uint8_t *lo = src_is_lo ? pkt->src : pkt->dst;
    const uint8_t *hi = src_is_lo ? pkt->dst : pkt->src;
    memcpy(key->lo_addr, lo, sizeof(key->lo_addr));
    memcpy(key->hi_addr, hi, sizeof(key->hi_addr));
    key->lo_port = src_is_lo ? pkt->sport : pkt->dport;
    key->hi_port = src_is_lo ? pkt->dport : pkt->sport;
    key->vlan = pkt->n_vlans > 0 ? pkt->vlan[0] : 0;
    key->inner_vlan = pkt->n_vlans > 1 ? pkt->vlan[1] : 0;
    key->proto = pkt->proto;
    key->ip_version = pkt->ip_version;
    key->pad[0] = 0;
    key->pad[1] = 0;
    return src_is_lo;
}

uint64_t flow_key_hash(const struct flow_key *key, uint64_t seed)
{
    return XXH3_64bits_withSeed(key, sizeof(*key), seed);
}

bool flow_key_equal(const struct flow_key *a, const struct flow_key *b)
{
    /* Word by word rather than memcmp(): equality only, no ordering, on a fixed 44 bytes. */
    const unsigned char *pa = (const unsigned char *)a;
    const unsigned char *pb = (const unsigned char *)b;
    uint64_t x = 0;
    for (size_t i = 0; i + 8 <= sizeof(*a); i += 8) {
        uint64_t wa;
        uint64_t wb;
        memcpy(&wa, pa + i, 8);
        memcpy(&wb, pb + i, 8);
        x |= wa ^ wb;
    }
    uint32_t ta;
    uint32_t tb;
    memcpy(&ta, pa + 40, 4);
    memcpy(&tb, pb + 40, 4);
    return (x | (ta ^ tb)) == 0;
}
