/*
 * Generator QUIC. Owns the framing of QUIC v1 long- and short-header packets and the Initial
 * packet protection of RFC 9001 5 (key derivation, AEAD, header protection), all computed with
 * libcrypto primitives. It does not build TLS messages (gen_tls does) and does not decide what
 * goes into which datagram (the scenario does).
 */
#include "tools/gen/gen_quic.h"

#include "tools/gen/gen_buf.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "tools/gen/gen_rng.h"

/* RFC 9001 5.2: the version 1 salt. */
static const uint8_t initial_salt[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34,
                                         0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
                                         0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};

enum {
    LONG_HEADER = 0x80, /* header form (RFC 9000 17.2) */
    FIXED_BIT = 0x40,
    TYPE_INITIAL = 0,
    FRAME_PADDING = 0x00,
    FRAME_ACK = 0x02,
    FRAME_CRYPTO = 0x06,
    SAMPLE_LEN = 16,      /* header protection sample (RFC 9001 5.4.2) */
    SAMPLE_OFFSET_PN = 4, /* the sample starts 4 bytes after the packet number starts */
};

/* ---- Key derivation ---- */

/* One HKDF call through EVP_KDF (RFC 5869 with SHA-256): @mode is EXTRACT_ONLY (salt and key)
 * or EXPAND_ONLY (key and info). Returns 0 or -EIO. */
static int hkdf(int mode, const uint8_t *key, size_t key_len, const uint8_t *salt, size_t salt_len,
                const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (kdf == NULL)
        return -EIO;
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (ctx == NULL)
        return -EIO;
    OSSL_PARAM params[6];
    OSSL_PARAM *p = params;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    *p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
    if (salt != NULL)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
    if (info != NULL)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    *p = OSSL_PARAM_construct_end();
    int rc = EVP_KDF_derive(ctx, out, out_len, params) == 1 ? 0 : -EIO;
    EVP_KDF_CTX_free(ctx);
    return rc;
}

/* HKDF-Expand-Label with an empty context (RFC 8446 7.1, used by RFC 9001 5.1): the info is
 * struct { uint16 length; opaque label<7..255> = "tls13 " + label; opaque context<0..255>; }. */
static int expand_label(const uint8_t *secret, const char *label, uint8_t *out, size_t out_len)
{
    static const char prefix[] = "tls13 ";
    uint8_t info[2 + 1 + 255 + 1];
    size_t plen = sizeof(prefix) - 1;
    size_t llen = strlen(label);
    size_t n = 0;
    info[n++] = (uint8_t)(out_len >> 8);
    info[n++] = (uint8_t)out_len;
    info[n++] = (uint8_t)(plen + llen);
    memcpy(info + n, prefix, plen);
    n += plen;
    memcpy(info + n, label, llen);
    n += llen;
    info[n++] = 0;
    return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, 32, NULL, 0, info, n, out, out_len);
}

int gen_quic_initial_keys(const uint8_t *odcid, size_t odcid_len, bool from_server,
                          struct gen_quic_keys *out)
{
    if (out == NULL || odcid == NULL || odcid_len < GEN_QUIC_ODCID_MIN ||
        odcid_len > GEN_QUIC_CID_MAX)
        return -EINVAL;
    int rc = hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, odcid, odcid_len, initial_salt,
                  sizeof(initial_salt), NULL, 0, out->initial_secret, sizeof(out->initial_secret));
    if (rc == 0)
        rc = expand_label(out->initial_secret, from_server ? "server in" : "client in", out->secret,
                          sizeof(out->secret));
    if (rc == 0)
        rc = expand_label(out->secret, "quic key", out->key, sizeof(out->key));
    if (rc == 0)
        rc = expand_label(out->secret, "quic iv", out->iv, sizeof(out->iv));
    if (rc == 0)
        rc = expand_label(out->secret, "quic hp", out->hp, sizeof(out->hp));
    return rc;
}

/* ---- Packet protection ---- */

/* AEAD_AES_128_GCM over @len bytes at @text in place, authenticating @aad; the tag goes to
 * @tag. The nonce is the IV with the packet number XORed into its low bytes (RFC 9001 5.3).
 * Returns 0 or -EIO. */
static int seal(const struct gen_quic_keys *k, uint64_t pn, const uint8_t *aad, size_t aad_len,
                uint8_t *text, size_t len, uint8_t *tag)
{
    uint8_t nonce[12];
    memcpy(nonce, k->iv, sizeof(nonce));
    for (size_t i = 0; i < 8; i++)
        nonce[sizeof(nonce) - 1 - i] ^= (uint8_t)(pn >> (8 * i));
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return -EIO;
    int n = 0;
    int fin = 0;
    int ok = EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k->key, nonce) == 1 &&
             EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len) == 1 &&
             EVP_EncryptUpdate(c, text, &n, text, (int)len) == 1 &&
             EVP_EncryptFinal_ex(c, text + n, &fin) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GEN_QUIC_TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -EIO;
}

/* Header protection (RFC 9001 5.4.1, 5.4.3): AES-ECB of the 16-byte sample taken 4 bytes after
 * the packet number starts masks the low 4 bits of a long header's first byte and the packet
 * number bytes. Returns 0 or -EIO. */
static int protect_header(const uint8_t *hp, uint8_t *pkt, size_t pn_offset, unsigned pn_len)
{
    uint8_t mask[SAMPLE_LEN + 16];
    int n = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return -EIO;
    int ok = EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, hp, NULL) == 1 &&
             EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
             EVP_EncryptUpdate(c, mask, &n, pkt + pn_offset + SAMPLE_OFFSET_PN, SAMPLE_LEN) == 1 &&
             n == SAMPLE_LEN;
    EVP_CIPHER_CTX_free(c);
    if (!ok)
        return -EIO;
    pkt[0] ^= mask[0] & 0x0f;
    for (unsigned i = 0; i < pn_len; i++)
        pkt[pn_offset + i] ^= mask[1 + i];
    return 0;
}

/* ---- Writing ---- */

/* The long header up to the Length field (RFC 9000 17.2): first byte, version, connection ids
 * and, for Initial packets, the token. */
static void long_header(struct gen_buf *w, uint8_t first, const uint8_t *dcid, size_t dcid_len,
                        const uint8_t *scid, size_t scid_len)
{
    gen_buf_be(w, first, 1);
    gen_buf_be(w, GEN_QUIC_V1, 4);
    gen_buf_be(w, dcid_len, 1);
    gen_buf_bytes(w, dcid, dcid_len);
    gen_buf_be(w, scid_len, 1);
    gen_buf_bytes(w, scid, scid_len);
}

/* The fewest packet number bytes that carry @pn when nothing has been acknowledged: more than
 * twice the number of packets in flight (RFC 9000 17.1, A.2). */
static unsigned pn_bytes(uint64_t pn)
{
    uint64_t unacked = pn + 1;
    unsigned n = 1;
    while (n < 4 && unacked >= 1ull << (8 * n - 1))
        n++;
    return n;
}

static bool initial_args_ok(const struct gen_quic_initial *in)
{
    if (in->dcid_len > GEN_QUIC_CID_MAX || in->scid_len > GEN_QUIC_CID_MAX || in->pn_len > 4)
        return false;
    if ((in->dcid == NULL && in->dcid_len > 0) || (in->scid == NULL && in->scid_len > 0) ||
        (in->token == NULL && in->token_len > 0) || (in->crypto == NULL && in->crypto_len > 0))
        return false;
    /* A server's Initial carries no token (RFC 9000 17.2.2); the numbers are 62-bit. */
    if (in->from_server && in->token_len > 0)
        return false;
    return in->packet_number < 1ull << 62 && in->ack_largest < 1ull << 62 &&
           in->ack_delay < 1ull << 62 && in->crypto_offset + in->crypto_len < 1ull << 62;
}

/* The frames of an Initial (RFC 9000 19.3, 19.6, 19.1) after the packet number at @w->len. */
static void initial_frames(struct gen_buf *w, const struct gen_quic_initial *in, size_t pn_offset)
{
    size_t start = w->len;
    if (in->has_ack) {
        gen_buf_be(w, FRAME_ACK, 1);
        gen_buf_varint(w, in->ack_largest);
        gen_buf_varint(w, in->ack_delay);
        gen_buf_varint(w, 0);               /* ACK Range Count */
        gen_buf_varint(w, in->ack_largest); /* First ACK Range: every packet down to 0 */
    }
    if (in->crypto_len > 0) {
        gen_buf_be(w, FRAME_CRYPTO, 1);
        gen_buf_varint(w, in->crypto_offset);
        gen_buf_varint(w, in->crypto_len);
        gen_buf_bytes(w, in->crypto, in->crypto_len);
    }
    /* PADDING: up to pad_to with the tag counted, at least one frame in all (12.4), and
     * enough bytes after the packet number for the header protection sample (RFC 9001
     * 5.4.2: the sample needs 4 bytes of packet number and payload before it). */
    size_t want = w->len;
    if (in->pad_to > want + GEN_QUIC_TAG_LEN)
        want = in->pad_to - GEN_QUIC_TAG_LEN;
    if (want == start)
        want++;
    if (want - pn_offset < SAMPLE_OFFSET_PN)
        want = pn_offset + SAMPLE_OFFSET_PN;
    if (want > w->len) {
        size_t n = want - w->len;
        uint8_t *z = gen_buf_room(w, n);
        if (z != NULL)
            memset(z, FRAME_PADDING, n);
    }
}

size_t gen_quic_initial(uint8_t *out, size_t cap, const struct gen_quic_initial *in)
{
    struct gen_quic_keys k;
    if (out == NULL || in == NULL || !initial_args_ok(in) ||
        gen_quic_initial_keys(in->odcid, in->odcid_len, in->from_server, &k) != 0)
        return 0;
    unsigned pn_len = in->pn_len != 0 ? in->pn_len : pn_bytes(in->packet_number);
    struct gen_buf w = {.p = out, .cap = cap};
    uint8_t first = LONG_HEADER | FIXED_BIT | TYPE_INITIAL << 4 | (uint8_t)(pn_len - 1);
    long_header(&w, first, in->dcid, in->dcid_len, in->scid, in->scid_len);
    gen_buf_varint(&w, in->token_len);
    gen_buf_bytes(&w, in->token, in->token_len);
    size_t length_at = w.len;
    gen_buf_be(&w, 0, 2);
    size_t pn_offset = w.len;
    gen_buf_be(&w, in->packet_number, pn_len); /* the low bytes (RFC 9000 17.1) */
    initial_frames(&w, in, pn_offset);
    uint8_t *tag = gen_buf_room(&w, GEN_QUIC_TAG_LEN);
    if (tag == NULL)
        return 0;
    size_t length = w.len - pn_offset; /* packet number, payload and tag (17.2) */
    if (length > GEN_QUIC_LONG_MAX)
        return 0;
    out[length_at] = (uint8_t)(0x40 | length >> 8);
    out[length_at + 1] = (uint8_t)length;
    size_t hdr_len = pn_offset + pn_len;
    if (seal(&k, in->packet_number, out, hdr_len, out + hdr_len, (size_t)(tag - out) - hdr_len,
             tag) != 0 ||
        protect_header(k.hp, out, pn_offset, pn_len) != 0)
        return 0;
    return w.len;
}

size_t gen_quic_long_random(uint8_t *out, size_t cap, enum gen_quic_long_type type,
                            const uint8_t *dcid, size_t dcid_len, const uint8_t *scid,
                            size_t scid_len, size_t len, struct gen_rng *rng)
{
    if (out == NULL || (type != GEN_QUIC_0RTT && type != GEN_QUIC_HANDSHAKE) ||
        dcid_len > GEN_QUIC_CID_MAX || scid_len > GEN_QUIC_CID_MAX ||
        (dcid == NULL && dcid_len > 0) || (scid == NULL && scid_len > 0) || len > cap)
        return 0;
    size_t hdr = 1 + 4 + 1 + dcid_len + 1 + scid_len + 2; /* up to and with Length */
    if (len < hdr + SAMPLE_OFFSET_PN + SAMPLE_LEN || len - hdr > GEN_QUIC_LONG_MAX)
        return 0;
    /* The low 4 bits (reserved, packet number length) are header-protected: random on the
     * wire. */
    uint8_t low = 0;
    gen_rng_fill(rng, &low, 1);
    struct gen_buf w = {.p = out, .cap = cap};
    long_header(&w, (uint8_t)(LONG_HEADER | FIXED_BIT | type << 4 | (low & 0x0f)), dcid, dcid_len,
                scid, scid_len);
    gen_buf_be(&w, 0x4000 | (len - hdr), 2);
    gen_rng_fill(rng, out + hdr, len - hdr);
    return w.err ? 0 : len;
}

size_t gen_quic_short(uint8_t *out, size_t cap, const uint8_t *dcid, size_t dcid_len, size_t len,
                      struct gen_rng *rng)
{
    if (out == NULL || dcid_len > GEN_QUIC_CID_MAX || (dcid == NULL && dcid_len > 0) || len > cap ||
        len < 1 + dcid_len + SAMPLE_OFFSET_PN + SAMPLE_LEN)
        return 0;
    /* Spin bit, reserved bits, key phase and packet number length: random, the spin bit as
     * RFC 9000 17.4 recommends for endpoints that do not spin, the others because header
     * protection masks them. */
    gen_rng_fill(rng, out, 1);
    out[0] = (uint8_t)(FIXED_BIT | (out[0] & 0x3f));
    if (dcid_len > 0)
        memcpy(out + 1, dcid, dcid_len);
    gen_rng_fill(rng, out + 1 + dcid_len, len - 1 - dcid_len);
    return len;
}
