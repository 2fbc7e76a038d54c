/*
 * Generator buffers.
 */
#include "tools/gen/gen_buf.h"

#include <string.h>

#include "tools/gen/gen_rng.h"

void gen_buf_init(struct gen_buf *b, uint8_t *out, size_t cap)
{
    b->p = out;
    b->cap = out != NULL ? cap : 0;
    b->len = 0;
    b->err = false;
}

uint8_t *gen_buf_room(struct gen_buf *b, size_t n)
{
    if (b->err || n > b->cap - b->len) {
        b->err = true;
        return NULL;
    }
    uint8_t *at = b->p + b->len;
    b->len += n;
    return at;
}

size_t gen_buf_done(const struct gen_buf *b)
{
    return b->err ? 0 : b->len;
}

void gen_buf_bytes(struct gen_buf *b, const void *src, size_t n)
{
    uint8_t *p = gen_buf_room(b, n);
    if (p != NULL && n > 0)
        memcpy(p, src, n);
}

void gen_buf_zeros(struct gen_buf *b, size_t n)
{
    uint8_t *p = gen_buf_room(b, n);
    if (p != NULL && n > 0)
        memset(p, 0, n);
}

void gen_buf_random(struct gen_buf *b, size_t n, struct gen_rng *rng)
{
    uint8_t *p = gen_buf_room(b, n);
    if (p != NULL)
        gen_rng_fill(rng, p, n);
}

static void store_be(uint8_t *p, uint64_t v, size_t width)
{
    for (size_t i = 0; i < width; i++)
        p[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

static void store_le(uint8_t *p, uint64_t v, size_t width)
{
    for (size_t i = 0; i < width; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void gen_buf_be(struct gen_buf *b, uint64_t v, size_t width)
{
    uint8_t *p = gen_buf_room(b, width);
    if (p != NULL)
        store_be(p, v, width);
}

void gen_buf_le(struct gen_buf *b, uint64_t v, size_t width)
{
    uint8_t *p = gen_buf_room(b, width);
    if (p != NULL)
        store_le(p, v, width);
}

void gen_buf_patch_be(struct gen_buf *b, size_t at, uint64_t v, size_t width)
{
    if (!b->err && at + width <= b->len)
        store_be(b->p + at, v, width);
}

void gen_buf_patch_le(struct gen_buf *b, size_t at, uint64_t v, size_t width)
{
    if (!b->err && at + width <= b->len)
        store_le(b->p + at, v, width);
}

size_t gen_buf_vec_begin(struct gen_buf *b, size_t width)
{
    size_t at = b->len;
    gen_buf_be(b, 0, width);
    return at;
}

void gen_buf_vec_end(struct gen_buf *b, size_t at, size_t width)
{
    if (b->err)
        return;
    size_t n = b->len - at - width;
    if (width < sizeof(size_t) && n >> (8 * width) != 0) {
        b->err = true;
        return;
    }
    store_be(b->p + at, n, width);
}

size_t gen_buf_varint_len(uint64_t v)
{
    return v < 0x40 ? 1 : v < 0x4000 ? 2 : v < 0x40000000 ? 4 : 8;
}

void gen_buf_varint(struct gen_buf *b, uint64_t v)
{
    /* The two top bits of the first byte say the length: 00, 01, 10, 11 for 1, 2, 4, 8. */
    static const uint64_t mark[9] = {
            [1] = 0, [2] = 0x4000, [4] = 0x80000000u, [8] = 0xc000000000000000ull};
    if (v >> 62 != 0) {
        b->err = true;
        return;
    }
    size_t n = gen_buf_varint_len(v);
    gen_buf_be(b, v | mark[n], n);
}

/* Octets of a definite length (X.690 8.1.3): one below 128, else 0x80 | count, then the count
 * of big-endian octets. */
static size_t der_len_octets(size_t n)
{
    size_t k = 1;
    if (n >= 0x80)
        for (size_t v = n; v > 0; v >>= 8)
            k++;
    return k;
}

static void der_len_store(uint8_t *p, size_t n, size_t k)
{
    if (k == 1) {
        p[0] = (uint8_t)n;
        return;
    }
    p[0] = (uint8_t)(0x80 | (k - 1));
    store_be(p + 1, n, k - 1);
}

size_t gen_der_open(struct gen_buf *b, uint8_t tag)
{
    gen_buf_be(b, tag, 1);
    return b->len;
}

void gen_der_close(struct gen_buf *b, size_t start)
{
    if (b->err)
        return;
    size_t n = b->len - start;
    size_t k = der_len_octets(n);
    if (gen_buf_room(b, k) == NULL)
        return;
    memmove(b->p + start + k, b->p + start, n);
    der_len_store(b->p + start, n, k);
}

void gen_der_len(struct gen_buf *b, size_t n)
{
    size_t k = der_len_octets(n);
    uint8_t *p = gen_buf_room(b, k);
    if (p != NULL)
        der_len_store(p, n, k);
}

void gen_der_prim(struct gen_buf *b, uint8_t tag, const void *p, size_t n)
{
    gen_buf_be(b, tag, 1);
    gen_der_len(b, n);
    gen_buf_bytes(b, p, n);
}

void gen_der_int(struct gen_buf *b, int64_t v)
{
    uint8_t o[8];
    store_be(o, (uint64_t)v, 8);
    /* Drop a leading octet while the next one's top bit still carries the sign. */
    size_t s = 0;
    while (s < 7 && ((o[s] == 0x00 && !(o[s + 1] & 0x80)) || (o[s] == 0xff && (o[s + 1] & 0x80))))
        s++;
    gen_der_prim(b, 0x02, o + s, 8 - s);
}
