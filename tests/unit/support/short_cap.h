/*
 * Test support: a message builder given too little room must refuse (return 0) and write
 * nothing past the room it was given.
 */
#ifndef UMBRA_TESTS_SUPPORT_SHORT_CAP_H
#define UMBRA_TESTS_SUPPORT_SHORT_CAP_H

#include <stddef.h>
#include <stdint.h>

/* A builder under test: writes its message into @out[0..@cap), returns its length or 0. */
typedef size_t short_cap_build_fn(void *ctx, uint8_t *out, size_t cap);

/* short_cap_check() - build once with room to spare (it must succeed), then with every
 * capacity below the length that took: each must return 0 and leave the bytes from the
 * capacity on as they were. */
void short_cap_check(short_cap_build_fn *build, void *ctx);

/* A family of generator builders: number @which of them, drawing from @rng. */
struct gen_rng;
typedef size_t short_cap_family_fn(int which, uint8_t *out, size_t cap, struct gen_rng *rng);

/* short_cap_check_family() - short_cap_check() on builders 0..@n-1 of @build, each with its
 * own random stream from @seed (tests that use it link the generator for gen_rng). */
void short_cap_check_family(short_cap_family_fn *build, int n, uint64_t seed);

#endif
