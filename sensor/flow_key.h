/*
 * Flow key: the canonical, bidirectional identity of a flow. Both directions of a conversation
 * map to the same key: the endpoint (address, port) that sorts lower is stored first, and
 * flow_key_from_pkt() says which endpoint sent the packet.
 */
#ifndef UMBRA_SENSOR_FLOW_KEY_H
#define UMBRA_SENSOR_FLOW_KEY_H

#include <stdbool.h>
#include <stdint.h>

struct pkt;

/* Hashed and compared as raw bytes: every byte, padding included, is set by flow_key_from_pkt. */
struct flow_key {
    uint8_t lo_addr[16]; /* the lower endpoint's address (IPv4: first 4 bytes, rest zero) */
    uint8_t hi_addr[16];
    uint16_t lo_port;
    uint16_t hi_port;
    uint16_t vlan;       /* outermost 802.1Q id, 0 when untagged */
    uint16_t inner_vlan; /* second tag (QinQ), 0 when none */
    uint8_t proto;       /* IP protocol number */
    uint8_t ip_version;  /* 4 or 6 */
    uint8_t pad[2];      /* always zero */
};
_Static_assert(sizeof(struct flow_key) == 44,
               "flow_key is hashed and compared as bytes: no hidden padding");

/*
 * flow_key_from_pkt() - the key of @pkt's flow. Returns true when the packet's source is the
 * key's lo endpoint. Allocation-free; reads only @pkt.
 */
bool flow_key_from_pkt(const struct pkt *pkt, struct flow_key *key);

/* flow_key_hash() - seeded 64-bit hash (XXH3) of the key. */
uint64_t flow_key_hash(const struct flow_key *key, uint64_t seed);

/* flow_key_equal() - true when both keys name the same flow. */
bool flow_key_equal(const struct flow_key *a, const struct flow_key *b);

#endif
