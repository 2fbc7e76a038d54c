/*
 * Generator buffers: the bounded writer every message builder writes through. A write that does
 * not fit sets @err and writes nothing more, so a builder writes to its end and checks once
 * (gen_buf_done()); nothing is ever written past the capacity.
 *
 * Also the two encodings several protocols share: length-prefixed vectors with a fixed-width
 * big-endian length (TLS, SSH, DNS RDATA, Kerberos' record mark), QUIC's variable-length
 * integers (TLS's QUIC transport parameters and the QUIC packets), and DER (X.690) for the
 * certificate, Kerberos and SPNEGO.
 */
#ifndef UMBRA_TOOLS_GEN_BUF_H
#define UMBRA_TOOLS_GEN_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gen_rng;

struct gen_buf {
    uint8_t *p;
    size_t cap;
    size_t len;
    bool err; /* a write did not fit (or a value did not fit its field) */
};

/* gen_buf_init() - an empty writer over @out[0..@cap). */
void gen_buf_init(struct gen_buf *b, uint8_t *out, size_t cap);

/* gen_buf_room() - the next @n bytes, now counted as written; NULL (and err) if they do not
 * fit or an earlier write failed. */
uint8_t *gen_buf_room(struct gen_buf *b, size_t n);

/* gen_buf_done() - the bytes written, or 0 if any write failed. */
size_t gen_buf_done(const struct gen_buf *b);

void gen_buf_bytes(struct gen_buf *b, const void *src, size_t n);
void gen_buf_zeros(struct gen_buf *b, size_t n);
void gen_buf_random(struct gen_buf *b, size_t n, struct gen_rng *rng);

/* gen_buf_be(), gen_buf_le() - the low @width (1 to 8) bytes of @v, big- or little-endian. */
void gen_buf_be(struct gen_buf *b, uint64_t v, size_t width);
void gen_buf_le(struct gen_buf *b, uint64_t v, size_t width);

/* gen_buf_patch_be(), gen_buf_patch_le() - overwrite @width bytes at @at, already written. */
void gen_buf_patch_be(struct gen_buf *b, size_t at, uint64_t v, size_t width);
void gen_buf_patch_le(struct gen_buf *b, size_t at, uint64_t v, size_t width);

/*
 * gen_buf_vec_begin(), gen_buf_vec_end() - a vector behind a @width-byte big-endian length:
 * begin reserves the length and returns where it is; end fills in the byte count written since
 * (err if it does not fit @width bytes).
 */
size_t gen_buf_vec_begin(struct gen_buf *b, size_t width);
void gen_buf_vec_end(struct gen_buf *b, size_t at, size_t width);

/* gen_buf_varint_len(), gen_buf_varint() - a QUIC variable-length integer (RFC 9000 16) in
 * the shortest of 1, 2, 4 or 8 bytes; values from 2^62 on do not fit (err). */
size_t gen_buf_varint_len(uint64_t v);
void gen_buf_varint(struct gen_buf *b, uint64_t v);

/*
 * DER (X.690 8.1): gen_der_open() writes @tag and returns where the contents start;
 * gen_der_close() puts the definite length, in the fewest octets (X.690 10.1), between the tag
 * and the contents written since.
 */
size_t gen_der_open(struct gen_buf *b, uint8_t tag);
void gen_der_close(struct gen_buf *b, size_t start);

/* gen_der_len() - a definite length of @n in the fewest octets, written now. */
void gen_der_len(struct gen_buf *b, size_t n);

/* gen_der_prim() - a whole primitive value: @tag, length, @n content bytes. */
void gen_der_prim(struct gen_buf *b, uint8_t tag, const void *p, size_t n);

/* gen_der_int() - an INTEGER (tag 2) in two's complement, in the fewest octets (X.690 8.3). */
void gen_der_int(struct gen_buf *b, int64_t v);

#endif
