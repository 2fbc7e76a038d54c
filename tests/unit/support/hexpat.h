/*
 * Test support: bytes spelled in hex, as specifications and RFCs print them. Whitespace is
 * ignored; in a pattern, "??" stands for a byte that may be anything (a random field).
 */
#ifndef UMBRA_TESTS_SUPPORT_HEXPAT_H
#define UMBRA_TESTS_SUPPORT_HEXPAT_H

#include <stddef.h>
#include <stdint.h>

/* hexpat_decode() - the bytes @hex spells into @out; fails the test on a bad digit or when
 * they do not fit @cap. Returns how many. */
size_t hexpat_decode(const char *hex, uint8_t *out, size_t cap);

/* hexpat_assert() - fail the test, naming the first differing byte, unless @got[0..@len) is
 * what @pattern spells. */
void hexpat_assert(const uint8_t *got, size_t len, const char *pattern);

#endif
