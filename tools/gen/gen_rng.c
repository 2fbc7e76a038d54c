/*
 * Generator randomness. xoshiro256** and splitmix64 as published by their authors
 * (prng.di.unimi.it); the distributions by their textbook inversions.
 */
#include "tools/gen/gen_rng.h"

#include <math.h>
#include <string.h>

uint64_t gen_rng_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void gen_rng_init(struct gen_rng *r, uint64_t seed, uint64_t id)
{
    /* splitmix64 as a generator: the state walks by the golden-ratio step and each output
     * is mixed; the id is mixed first so that ids 1 and 2 do not give overlapping walks. */
    uint64_t x = seed ^ gen_rng_mix(id ^ 0x6a09e667f3bcc909ull);
    for (int i = 0; i < 4; i++) {
        r->s[i] = gen_rng_mix(x);
        x += 0x9e3779b97f4a7c15ull;
    }
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0) /* the one state xoshiro cannot leave */
        r->s[0] = 1;
}

double gen_rng_unit(struct gen_rng *r)
{
    return (double)(gen_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t gen_rng_below(struct gen_rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    /* Lemire (2019): the high half of a 64x64 product, rejecting the few low halves that
     * would make some results one more likely than others. */
    unsigned __int128 m = (unsigned __int128)gen_rng_next(r) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t threshold = -n % n;
        while (lo < threshold) {
            m = (unsigned __int128)gen_rng_next(r) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

uint64_t gen_rng_range(struct gen_rng *r, uint64_t lo, uint64_t hi)
{
    if (hi <= lo)
        return lo;
    if (hi - lo == UINT64_MAX)
        return gen_rng_next(r);
    return lo + gen_rng_below(r, hi - lo + 1);
}

int gen_rng_chance(struct gen_rng *r, double p)
{
    return gen_rng_unit(r) < p;
}

double gen_rng_exp(struct gen_rng *r, double mean)
{
    /* 1 - u is in (0, 1], so the log is finite. */
    return -mean * log(1.0 - gen_rng_unit(r));
}

double gen_rng_normal(struct gen_rng *r, double mu, double sigma)
{
    double u1 = 1.0 - gen_rng_unit(r);
    double u2 = gen_rng_unit(r);
    return mu + sigma * sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

double gen_rng_lognormal(struct gen_rng *r, double median, double sigma)
{
    return median * exp(gen_rng_normal(r, 0.0, sigma));
}

double gen_rng_pareto(struct gen_rng *r, double xm, double alpha, double cap)
{
    double x = xm / pow(1.0 - gen_rng_unit(r), 1.0 / alpha);
    return x < cap ? x : cap;
}

double gen_rng_jitter(struct gen_rng *r, double x, double frac)
{
    return x * (1.0 + frac * (2.0 * gen_rng_unit(r) - 1.0));
}

void gen_rng_fill(struct gen_rng *r, uint8_t *buf, size_t n)
{
    while (n >= 8) {
        uint64_t v = gen_rng_next(r);
        memcpy(buf, &v, 8);
        buf += 8;
        n -= 8;
    }
    if (n > 0) {
        uint64_t v = gen_rng_next(r);
        memcpy(buf, &v, n);
    }
}

size_t gen_rng_pick(struct gen_rng *r, const double *weights, size_t n)
{
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += weights[i];
    double x = gen_rng_unit(r) * total;
    for (size_t i = 0; i < n; i++) {
        if (x < weights[i])
            return i;
        x -= weights[i];
    }
    return n - 1;
}
