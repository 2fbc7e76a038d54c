/*
 * Shard: jump consistent hashing over the list of aggregators (see shard.h for why).
 */
#include "common/shard.h"

#include <xxhash.h>

uint32_t shard_jump(uint64_t key, uint32_t buckets)
{
    if (buckets == 0)
        return 0;
    /* Lamping and Veach's loop: a linear congruential step per candidate jump; the multiplier is
     * the one from their paper (Knuth's MMIX LCG), and the division turns its top 31 bits into
     * the next bucket a key would jump to. */
    int64_t b = -1;
    int64_t j = 0;
    while (j < (int64_t)buckets) {
        b = j;
        key = key * 2862933555777941757ULL + 1;
        j = (int64_t)((double)(b + 1) * ((double)(1LL << 31) / (double)((key >> 33) + 1)));
    }
    return (uint32_t)b;
}

uint32_t shard_owner(const uint8_t *addr, size_t len, uint32_t n)
{
    /* Seed 0 on purpose: every sensor must compute the same owner for the same address. */
    return shard_jump(XXH3_64bits(addr, len), n);
}
