/*
 * Test support: short capacities for a family of generator builders. Its own file so that
 * only tests linking the generator (for gen_rng) pull it in.
 */
#include <stdint.h>

#include "tests/unit/support/short_cap.h"
#include "tools/gen/gen_rng.h"

struct member {
    short_cap_family_fn *build;
    int which;
    struct gen_rng rng;
};

static size_t build_member(void *ctx, uint8_t *out, size_t cap)
{
    struct member *m = ctx;
    return m->build(m->which, out, cap, &m->rng);
}

void short_cap_check_family(short_cap_family_fn *build, int n, uint64_t seed)
{
    for (int which = 0; which < n; which++) {
        struct member m = {.build = build, .which = which};
        gen_rng_init(&m.rng, seed, 1);
        short_cap_check(build_member, &m);
    }
}
