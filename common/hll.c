/*
 * HyperLogLog (hll.h has the method and its error).
 */
#include "common/hll.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct hll {
    unsigned p;
    size_t m;
    uint8_t reg[]; /* m registers: the largest rank seen per register */
};

size_t hll_bytes(unsigned p)
{
    if (p < HLL_P_MIN || p > HLL_P_MAX)
        return 0;
    return sizeof(struct hll) + ((size_t)1 << p);
}

struct hll *hll_init(void *mem, size_t cap, unsigned p)
{
    size_t need = hll_bytes(p);
    if (mem == NULL || need == 0 || cap < need || ((uintptr_t)mem % _Alignof(struct hll)) != 0)
        return NULL;
    struct hll *h = mem;
    h->p = p;
    h->m = (size_t)1 << p;
    memset(h->reg, 0, h->m);
    return h;
}

struct hll *hll_create(unsigned p)
{
    size_t n = hll_bytes(p);
    void *mem = n > 0 ? malloc(n) : NULL;
    struct hll *h = hll_init(mem, n, p);
    if (h == NULL)
        free(mem);
    return h;
}

void hll_destroy(struct hll **hp)
{
    if (hp == NULL)
        return;
    free(*hp);
    *hp = NULL;
}

void hll_clear(struct hll *h)
{
    memset(h->reg, 0, h->m);
}

void hll_add(struct hll *h, uint64_t hash)
{
    size_t i = (size_t)(hash >> (64 - h->p));
    /* The bit below the p shifted-in zeros bounds the rank at 64 - p + 1 and keeps clz defined. */
    uint64_t rest = (hash << h->p) | (UINT64_C(1) << (h->p - 1));
    uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);
    if (rank > h->reg[i])
        h->reg[i] = rank;
}

/* The bias constant alpha_m of the paper, for m registers. */
static double alpha(size_t m)
{
    switch (m) {
    case 16:
        return 0.673;
    case 32:
        return 0.697;
    case 64:
        return 0.709;
    default:
        return 0.7213 / (1.0 + 1.079 / (double)m);
    }
}

double hll_estimate(const struct hll *h)
{
    double sum = 0.0;
    size_t zeros = 0;
    for (size_t i = 0; i < h->m; i++) {
        sum += ldexp(1.0, -(int)h->reg[i]);
        zeros += h->reg[i] == 0;
    }
    double m = (double)h->m;
    double e = alpha(h->m) * m * m / sum;
    if (e <= 2.5 * m && zeros > 0)
        e = m * log(m / (double)zeros); /* linear counting: exact-ish while registers are free */
    return e;
}

int hll_merge(struct hll *dst, const struct hll *src)
{
    if (dst->p != src->p)
        return -EINVAL;
    for (size_t i = 0; i < dst->m; i++)
        dst->reg[i] = src->reg[i] > dst->reg[i] ? src->reg[i] : dst->reg[i];
    return 0;
}

unsigned hll_precision(const struct hll *h)
{
    return h->p;
}

uint8_t hll_register(const struct hll *h, size_t i)
{
    return i < h->m ? h->reg[i] : 0;
}
