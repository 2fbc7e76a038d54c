/*
 * Region: anonymous mappings, over-allocated by one huge page so that the array can start on a
 * huge-page boundary (the kernel only backs aligned 2 MiB ranges with huge pages).
 */
#include "common/region.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

void *region_map(struct region *r, size_t size, enum region_pages pages)
{
    r->map = NULL;
    r->len = 0;
    if (size == 0)
        return NULL;
    bool huge = pages == REGION_HUGE_PAGES && size >= HUGE_PAGE;
    size_t len = huge ? size + HUGE_PAGE : size;
    void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        return NULL;
    r->map = map;
    r->len = len;
    if (!huge)
        return map;
    uintptr_t p = ((uintptr_t)map + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
#ifdef MADV_HUGEPAGE
    (void)madvise((void *)p, size, MADV_HUGEPAGE); /* a hint: without it all works the same */
#endif
    return (void *)p;
}

void region_unmap(struct region *r)
{
    if (r->map != NULL)
        munmap(r->map, r->len);
    r->map = NULL;
    r->len = 0;
}
