/*
 * Generator randomness: xoshiro256** (Blackman and Vigna), seeded through splitmix64, and the
 * few distributions the scenarios use. Every actor and every session has its own stream,
 * derived from the scenario seed and its own id (gen_rng_init()), so a capture is a function of
 * the seed alone: adding a host or reordering events elsewhere does not shift anyone's numbers.
 *
 * Independent of the sensor on purpose (issue 5): nothing here is shared with the decoders.
 */
#ifndef UMBRA_TOOLS_GEN_RNG_H
#define UMBRA_TOOLS_GEN_RNG_H

#include <stddef.h>
#include <stdint.h>

struct gen_rng {
    uint64_t s[4];
};

/* gen_rng_init() - the stream for (@seed, @id): splitmix64 over seed and id fills the state. */
void gen_rng_init(struct gen_rng *r, uint64_t seed, uint64_t id);

/* gen_rng_mix() - splitmix64's output function: a well-spread 64-bit hash of @x. */
uint64_t gen_rng_mix(uint64_t x);

/* gen_rng_next() - 64 uniformly random bits. */
static inline uint64_t gen_rng_next(struct gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5;
    uint64_t out = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return out;
}

/* gen_rng_unit() - uniform on [0, 1), 53 bits. */
double gen_rng_unit(struct gen_rng *r);

/* gen_rng_below() - uniform integer in [0, @n) (Lemire's method, no modulo bias); 0 if @n is 0. */
uint64_t gen_rng_below(struct gen_rng *r, uint64_t n);

/* gen_rng_range() - uniform integer in [@lo, @hi] (inclusive). */
uint64_t gen_rng_range(struct gen_rng *r, uint64_t lo, uint64_t hi);

/* gen_rng_chance() - true with probability @p. */
int gen_rng_chance(struct gen_rng *r, double p);

/* gen_rng_exp() - exponential with mean @mean. */
double gen_rng_exp(struct gen_rng *r, double mean);

/* gen_rng_normal() - normal with mean @mu and standard deviation @sigma (Box-Muller). */
double gen_rng_normal(struct gen_rng *r, double mu, double sigma);

/* gen_rng_lognormal() - log-normal with median @median and shape @sigma (of the log). */
double gen_rng_lognormal(struct gen_rng *r, double median, double sigma);

/* gen_rng_pareto() - Pareto with minimum @xm and tail index @alpha, capped at @cap. */
double gen_rng_pareto(struct gen_rng *r, double xm, double alpha, double cap);

/* gen_rng_jitter() - @x times a uniform factor in [1 - @frac, 1 + @frac]. */
double gen_rng_jitter(struct gen_rng *r, double x, double frac);

/* gen_rng_fill() - @n random bytes into @buf. */
void gen_rng_fill(struct gen_rng *r, uint8_t *buf, size_t n);

/* gen_rng_pick() - an index in [0, @n) with probability proportional to @weights[i]. */
size_t gen_rng_pick(struct gen_rng *r, const double *weights, size_t n);

#endif
