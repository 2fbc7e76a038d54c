/*
 * Region: a large zeroed array for per-slot state (the flow table, the features beside it, the
 * pools), mapped from the kernel rather than the heap. Pages are zero-filled as they are first
 * touched, so a table sized for a million flows costs memory only as flows arrive, and nothing
 * is cleared at start. Regions of 2 MiB or more are 2 MiB-aligned and ask for transparent huge
 * pages: the packet path reads random slots of tens of megabytes, and with 4 KiB pages most of
 * those reads would also miss the TLB (and each first touch would fault once per 4 KiB).
 */
#ifndef UMBRA_COMMON_REGION_H
#define UMBRA_COMMON_REGION_H

#include <stddef.h>

struct region {
    void *map; /* what munmap() takes; NULL when nothing is mapped */
    size_t len;
};

enum region_pages {
    REGION_SMALL_PAGES, /* lent piecemeal (pools): huge pages would make each first touch
                         * zero and, worse, compact 2 MiB for a few hundred bytes */
    REGION_HUGE_PAGES,  /* indexed by slot, read at random on the packet path */
};

/* region_map() - @size zeroed bytes, page-aligned (2 MiB-aligned from 2 MiB with
 * REGION_HUGE_PAGES), recorded in @r; NULL if the kernel refused (errno says why). @size 0
 * maps nothing and returns NULL. */
void *region_map(struct region *r, size_t size, enum region_pages pages);

/* region_unmap() - give the bytes back; @r is then empty (an empty one is ignored). */
void region_unmap(struct region *r);

/* region_prefetch() - start fetching, for writing, every cache line of @len bytes at @p (which
 * need not be aligned). A hint: no fault, whatever @p is. */
static inline void region_prefetch(const void *p, size_t len)
{
    const char *c = p;
    for (size_t off = 0; off < len; off += 64)
        __builtin_prefetch(c + off, 1);
    __builtin_prefetch(c + len - 1, 1);
}

#endif
