/*
 * HyperLogLog: the number of distinct items in a stream, estimated in a fixed 2^p bytes,
 * whatever the stream's length (Flajolet, Fusy, Gandouet, Meunier, "HyperLogLog: the analysis
 * of a near-optimal cardinality estimation algorithm", 2007). The window graph counts distinct
 * peers and ports per host and per bucket with it, where exact sets would grow with a scan.
 *
 * The caller hashes each item (XXH3-64 of its bytes, say) and adds the hash: the top p bits pick
 * a register, which keeps the largest rank (1 + leading zeros) of the remaining bits seen. The
 * standard error of the estimate is about 1.04 / sqrt(2^p): 1.6 % at p = 12 (4 KiB). Below
 * 2.5 * 2^p the estimate is linear counting over the empty registers, which is close to exact
 * for small counts. With 64-bit hashes no large-range correction is needed.
 *
 * Two sketches of the same p merge into the sketch of the union (hll_merge()): a window's count
 * is the merge of its buckets' sketches.
 *
 * Threads: a sketch belongs to one thread. Nothing is allocated but at hll_create().
 */
#ifndef UMBRA_COMMON_HLL_H
#define UMBRA_COMMON_HLL_H

#include <stddef.h>
#include <stdint.h>

#define HLL_P_MIN 4
#define HLL_P_MAX 16

struct hll;

/* hll_create() - an empty sketch of 2^@p registers; NULL if @p is outside [HLL_P_MIN, HLL_P_MAX]
 * or memory runs out. */
struct hll *hll_create(unsigned p);

/*
 * hll_bytes() - bytes an in-place sketch of precision @p takes (0 for a @p out of range);
 * hll_init() - an empty sketch placed in @mem (@cap bytes, aligned for a pointer), for owners
 * that keep many sketches in one reserved block (the graph's per-source sketches). NULL when
 * @p is out of range or @cap is too small. Such a sketch is never passed to hll_destroy().
 */
size_t hll_bytes(unsigned p);
struct hll *hll_init(void *mem, size_t cap, unsigned p);

/* hll_destroy() - free, set *@hp = NULL. NULL-safe. */
void hll_destroy(struct hll **hp);

/* hll_clear() - empty the sketch (a bucket's slot reused). */
void hll_clear(struct hll *h);

/* hll_add() - count the item whose 64-bit hash is @hash. */
void hll_add(struct hll *h, uint64_t hash);

/* hll_estimate() - the estimated number of distinct items added (0 for an empty sketch). */
double hll_estimate(const struct hll *h);

/* hll_merge() - make @dst the sketch of both streams. Returns 0, or -EINVAL if their p differ
 * (nothing changes then). */
int hll_merge(struct hll *dst, const struct hll *src);

/* hll_precision() - p; hll_register() - register @i (< 2^p), for tests and inspection. */
unsigned hll_precision(const struct hll *h);
uint8_t hll_register(const struct hll *h, size_t i);

#endif
