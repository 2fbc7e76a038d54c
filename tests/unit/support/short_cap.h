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

#endif
