/*
 * Flow key: builds the canonical bidirectional key from a decoded packet, hashes and compares
 * it. It owns no state. The ordering rule (lower (address, port) first) only makes the key
 * direction-free; which side is the client is the flow table's decision.
 */
#include "sensor/flow_key.h"

#include <string.h>
#include <xxhash.h>

#include "sensor/decode.h"

/* Compares the endpoints (address, then port) of a packet's source and destination. */
static int endpoint_cmp(const struct pkt *p)
{
    int c = memcmp(p->src, p->dst, sizeof(p->src));
    if (c != 0)
        return c;
    return (int)p->sport - (int)p->dport;
}

bool flow_key_from_pkt(const struct pkt *pkt, struct flow_key *key)
{
    bool src_is_lo = endpoint_cmp(pkt) <= 0;
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
    return memcmp(a, b, sizeof(*a)) == 0;
}
