#include "tests/unit/support/quic_seal.h"

#include <string.h>

#include <openssl/evp.h>

const uint8_t quic_seal_dcid[QUIC_SEAL_DCID_LEN] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

struct seal_keys {
    uint32_t version;
    uint8_t type; /* Long Packet Type of an Initial */
    uint8_t key[16];
    uint8_t iv[12];
    uint8_t hp[16];
};

static const struct seal_keys keys[] = {
        /* RFC 9001 A.1, client. */
        {0x00000001,
         0,
         {0x1f, 0x36, 0x96, 0x13, 0xdd, 0x76, 0xd5, 0x46, 0x77, 0x30, 0xef, 0xcb, 0xe3, 0xb1, 0xa2,
          0x2d},
         {0xfa, 0x04, 0x4b, 0x2f, 0x42, 0xa3, 0xfd, 0x3b, 0x46, 0xfb, 0x25, 0x5c},
         {0x9f, 0x50, 0x44, 0x9e, 0x04, 0xa0, 0xe8, 0x10, 0x28, 0x3a, 0x1e, 0x99, 0x33, 0xad, 0xed,
          0xd2}},
        /* RFC 9369 A.1, client; an Initial is type 0b01 in version 2 (3.2). */
        {0x6b3343cf,
         1,
         {0x8b, 0x1a, 0x0b, 0xc1, 0x21, 0x28, 0x42, 0x90, 0xa2, 0x9e, 0x09, 0x71, 0xb5, 0xcd, 0x04,
          0x5d},
         {0x91, 0xf7, 0x3e, 0x23, 0x51, 0xd8, 0xfa, 0x91, 0x66, 0x0e, 0x90, 0x9f},
         {0x45, 0xb9, 0x5e, 0x15, 0x23, 0x5d, 0x6f, 0x45, 0xa6, 0xb1, 0x9c, 0xbc, 0xb0, 0x29, 0x4b,
          0xa9}},
};

static int gcm_seal(const struct seal_keys *k, const uint8_t *nonce, const uint8_t *aad,
                    size_t aad_len, const uint8_t *plain, size_t plain_len, uint8_t *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    int ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k->key, nonce) == 1 &&
             EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len) == 1 &&
             (plain_len == 0 || EVP_EncryptUpdate(c, out, &n, plain, (int)plain_len) == 1) &&
             EVP_EncryptFinal_ex(c, out + plain_len, &n) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, out + plain_len) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

static int ecb_mask(const struct seal_keys *k, const uint8_t *sample, uint8_t *mask)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    int ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k->hp, NULL) == 1 &&
             EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
             EVP_EncryptUpdate(c, mask, &n, sample, 16) == 1 && n == 16;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

size_t quic_seal(uint32_t version, const uint8_t *plain, size_t plain_len, uint32_t pn,
                 unsigned pn_len, unsigned reserved, uint8_t *out, size_t cap)
{
    const struct seal_keys *k = NULL;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (keys[i].version == version)
            k = &keys[i];
    }
    size_t length = pn_len + plain_len + 16;
    /* 1 + 4 + 1 + 8 + 1 + 1 + 2: first byte, version, DCID, SCID, token, Length. */
    size_t pn_off = 18;
    if (!k || pn_len < 1 || pn_len > 4 || reserved > 3 || length >= 0x4000 || length < 20 ||
        pn_off + length > cap)
        return 0;
    out[0] = (uint8_t)(0xc0 | k->type << 4 | reserved << 2 | (pn_len - 1));
    for (int i = 0; i < 4; i++)
        out[1 + i] = (uint8_t)(version >> (24 - 8 * i));
    out[5] = QUIC_SEAL_DCID_LEN;
    memcpy(out + 6, quic_seal_dcid, QUIC_SEAL_DCID_LEN);
    out[14] = 0; /* SCID */
    out[15] = 0; /* token */
    out[16] = (uint8_t)(0x40 | length >> 8);
    out[17] = (uint8_t)length;
    uint8_t nonce[12];
    memcpy(nonce, k->iv, sizeof(nonce));
    for (unsigned i = 0; i < pn_len; i++) {
        uint8_t b = (uint8_t)(pn >> (8 * (pn_len - 1 - i)));
        out[pn_off + i] = b;
        nonce[12 - pn_len + i] ^= b;
    }
    uint8_t mask[16];
    if (gcm_seal(k, nonce, out, pn_off + pn_len, plain, plain_len, out + pn_off + pn_len) != 0 ||
        ecb_mask(k, out + pn_off + 4, mask) != 0)
        return 0;
    out[0] ^= mask[0] & 0x0f;
    for (unsigned i = 0; i < pn_len; i++)
        out[pn_off + i] ^= mask[1 + i];
    return pn_off + length;
}
