/*
 * Test support: hex patterns.
 */
#include "tests/unit/support/hexpat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static int digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* The next byte of @*p: its value, or -1 for "??"; *p moves past it. -2 at the end. */
static int next_byte(const char **p)
{
    while (is_space(**p))
        (*p)++;
    if (**p == '\0')
        return -2;
    const char *s = *p;
    *p += 2;
    if (s[0] == '?' && s[1] == '?')
        return -1;
    int hi = digit(s[0]), lo = hi < 0 ? -1 : digit(s[1]);
    if (hi < 0 || lo < 0)
        fail_msg("bad hex at \"%.8s\"", s);
    return hi << 4 | lo;
}

size_t hexpat_decode(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (int v; (v = next_byte(&hex)) != -2;) {
        if (v < 0)
            fail_msg("\"??\" in bytes to decode");
        if (n == cap)
            fail_msg("more than %zu bytes of hex", cap);
        out[n++] = (uint8_t)v;
    }
    return n;
}

void hexpat_assert(const uint8_t *got, size_t len, const char *pattern)
{
    size_t n = 0;
    for (int v; (v = next_byte(&pattern)) != -2; n++) {
        if (n == len)
            fail_msg("%zu bytes, the pattern has more", len);
        if (v >= 0 && got[n] != v)
            fail_msg("byte %zu is %02x, want %02x", n, got[n], (unsigned)v);
    }
    if (n != len)
        fail_msg("%zu bytes, the pattern has %zu", len, n);
}
