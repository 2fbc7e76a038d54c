/*
 * Pool: entries in one anonymous mapping, the free ones on a stack of ids. The stack is LIFO so
 * the entry just returned, still in cache, is the next one lent.
 */
#include "common/pool.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/region.h"

struct pool {
    const char *name;
    uint8_t *mem;
    struct region mem_map;
    size_t size; /* bytes per entry */
    uint32_t *free_ids;
    uint32_t n_free;
    struct pool_stats st;
};

struct pool *pool_create(const char *name, uint32_t entries, size_t size, struct log *log)
{
    size = (size + 15) & ~(size_t)15;
    if (size == 0 || entries > (1u << 31)) {
        log_err(log, "pool %s: %u entries of %zu bytes is not a valid size", name, entries, size);
        return NULL;
    }
    struct pool *p = calloc(1, sizeof(*p));
    if (p == NULL)
        goto oom;
    p->name = name;
    p->size = size;
    p->st.entries = entries;
    if (entries > 0) {
        p->mem = region_map(&p->mem_map, (size_t)entries * size, REGION_SMALL_PAGES);
        p->free_ids = malloc((size_t)entries * sizeof(*p->free_ids));
        if (p->mem == NULL || p->free_ids == NULL) {
            region_unmap(&p->mem_map);
            free(p->free_ids);
            free(p);
            goto oom;
        }
        /* Lowest ids on top, so a lightly used pool touches few pages. */
        for (uint32_t i = 0; i < entries; i++)
            p->free_ids[i] = entries - i;
        p->n_free = entries;
    }
    return p;
oom:
    log_err(log, "pool %s: out of memory for %u entries of %zu bytes", name, entries, size);
    return NULL;
}

void pool_destroy(struct pool **pp)
{
    struct pool *p = *pp;
    if (p == NULL)
        return;
    region_unmap(&p->mem_map);
    free(p->free_ids);
    free(p);
    *pp = NULL;
}

uint32_t pool_take(struct pool *p)
{
    if (p->n_free == 0) {
        p->st.exhausted++;
        return 0;
    }
    uint32_t id = p->free_ids[--p->n_free];
    p->st.taken++;
    if (++p->st.in_use > p->st.max_used)
        p->st.max_used = p->st.in_use;
    return id;
}

void pool_give(struct pool *p, uint32_t id)
{
    if (id == 0)
        return;
    p->free_ids[p->n_free++] = id;
    p->st.in_use--;
}

void *pool_at(const struct pool *p, uint32_t id)
{
    return p->mem + (size_t)(id - 1) * p->size;
}

void pool_stats(const struct pool *p, struct pool_stats *out)
{
    *out = p->st;
}

void pool_counters(const struct pool *p, const char *prefix,
                   void (*fn)(void *ctx, const char *name, uint64_t v), void *ctx)
{
    char name[64];
    snprintf(name, sizeof(name), "%s_in_use", prefix);
    fn(ctx, name, p->st.in_use);
    snprintf(name, sizeof(name), "%s_max_used", prefix);
    fn(ctx, name, p->st.max_used);
}

size_t pool_memory(const struct pool *p)
{
    return sizeof(*p) + p->mem_map.len + (size_t)p->st.entries * sizeof(uint32_t);
}
