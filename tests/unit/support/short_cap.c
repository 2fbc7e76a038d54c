/*
 * Test support: short capacities.
 */
#include "tests/unit/support/short_cap.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define ROOM   65536 /* more than any one message of the builders under test */
#define SLACK  4096  /* bytes past the message's length checked untouched */
#define CANARY 0xee

void short_cap_check(short_cap_build_fn *build, void *ctx)
{
    uint8_t *buf = malloc(ROOM);
    assert_non_null(buf);
    size_t need = build(ctx, buf, ROOM);
    assert_true(need > 0 && need + SLACK <= ROOM);
    for (size_t cap = 0; cap < need; cap++) {
        memset(buf, CANARY, ROOM);
        assert_int_equal(build(ctx, buf, cap), 0);
        for (size_t i = cap; i < need + SLACK; i++)
            if (buf[i] != CANARY)
                fail_msg("capacity %zu: byte %zu was written", cap, i);
    }
    free(buf);
}
