/*
 * Shard: which aggregator owns a host. Several aggregators split the hosts between them; a
 * sensor sends each flow record to the owner of its client address and to the owner of its
 * server address (one send when both are the same), so every two-hop path A -> B -> C is whole
 * on the owner of B, and each host's fan-out on its own owner.
 *
 * The owner is jump consistent hashing (Lamping and Veach, "A Fast, Minimal Memory, Consistent
 * Hash Algorithm", 2014) of XXH3_64bits(address bytes): every sensor computes the same owner
 * from the same ordered list of aggregators, needs no table, and when an aggregator is appended
 * to the list only about 1/n of the hosts move, all of them to the new one.
 *
 * Pure functions; any thread.
 */
#ifndef UMBRA_COMMON_SHARD_H
#define UMBRA_COMMON_SHARD_H

#include <stddef.h>
#include <stdint.h>

/* shard_jump() - bucket of @key among @buckets (0 .. @buckets - 1); 0 when @buckets is 0. */
uint32_t shard_jump(uint64_t key, uint32_t buckets);

/* shard_owner() - index of the aggregator that owns address @addr (@len bytes, 4 or 16, network
 * order) in a list of @n. */
uint32_t shard_owner(const uint8_t *addr, size_t len, uint32_t n);

#endif
