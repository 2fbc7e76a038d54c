/*
 * Pool: a fixed number of fixed-size entries, reserved at creation and lent out by index, for
 * per-flow working memory that only some flows need at a time (a byte histogram while a prefix
 * fills, a stream buffer while a handshake arrives). Taking and returning an entry is O(1) and
 * allocates nothing. The memory is mapped lazily by the kernel, so entries never lent cost no
 * resident memory. One thread.
 */
#ifndef UMBRA_COMMON_POOL_H
#define UMBRA_COMMON_POOL_H

#include <stddef.h>
#include <stdint.h>

struct log;
struct pool;

struct pool_stats {
    uint32_t entries;   /* capacity */
    uint32_t in_use;    /* lent now */
    uint32_t max_used;  /* high-water mark of in_use */
    uint64_t taken;     /* entries lent */
    uint64_t exhausted; /* requests refused because every entry was lent */
};

/* pool_create() - @entries of @size bytes (rounded up to 16). @name is for logs (static). NULL
 * after logging why. A pool of 0 entries is valid: every request is refused. */
struct pool *pool_create(const char *name, uint32_t entries, size_t size, struct log *log);
void pool_destroy(struct pool **pp);

/* pool_take() - an entry's id (1..entries), or 0 when all are lent (counted). The entry's bytes
 * are whatever its last user left: clear what you need. */
uint32_t pool_take(struct pool *p);
/* pool_give() - return entry @id (0 is ignored). */
void pool_give(struct pool *p, uint32_t id);
/* pool_at() - the bytes of entry @id (1..entries). */
void *pool_at(const struct pool *p, uint32_t id);

void pool_stats(const struct pool *p, struct pool_stats *out);
/* pool_counters() - "@prefix_in_use" and "@prefix_max_used" to @fn, as the sensor's counters
 * name them. */
void pool_counters(const struct pool *p, const char *prefix,
                   void (*fn)(void *ctx, const char *name, uint64_t v), void *ctx);
/* pool_memory() - bytes reserved (address space; resident only as entries are used). */
size_t pool_memory(const struct pool *p);

#endif
