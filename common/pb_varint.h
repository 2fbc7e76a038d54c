/*
 * Protobuf base-128 varints on byte buffers: the one definition for the code that writes
 * protobuf by hand (the exporter appending packed records to a batch) and the code that reads it
 * without protobuf-c (pb_walk, the benchmark's raw sink). The caller checks bounds as these say.
 */
#ifndef UMBRA_COMMON_PB_VARINT_H
#define UMBRA_COMMON_PB_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define PB_VARINT_MAX 10 /* bytes of the longest varint, a 64-bit value */

/* pb_varint_size() - bytes pb_varint_put() writes for @v: 1 to PB_VARINT_MAX. */
static inline size_t pb_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* pb_varint_put() - write @v at @p (room for pb_varint_size(@v) bytes); returns the bytes. */
static inline size_t pb_varint_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/*
 * pb_varint_scan() - bytes of the varint at @p, looking at no more than @max bytes nor
 * PB_VARINT_MAX; 0 if it does not end within them.
 */
static inline size_t pb_varint_scan(const uint8_t *p, size_t max)
{
    if (max > PB_VARINT_MAX)
        max = PB_VARINT_MAX;
    for (size_t i = 0; i < max; i++) {
        if ((p[i] & 0x80) == 0)
            return i + 1;
    }
    return 0;
}

/* pb_varint_value() - the value of the @n-byte varint at @p; bits beyond 64 fall off, as in
 * protobuf-c. */
static inline uint64_t pb_varint_value(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
    return v;
}

#endif
