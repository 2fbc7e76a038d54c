/*
 * QUIC Initial packets: header, removal of header and packet protection, frame walk; and the
 * CRYPTO stream reassembler. This module owns the libcrypto objects it fetched at create and the
 * last derived keys; it owns no packet bytes (the plaintext goes to the caller's scratch buffer)
 * and does not read the TLS inside the CRYPTO frames. Every cryptographic step is a libcrypto
 * call: HKDF through EVP_KDF, AES-128-GCM and AES-128-ECB through EVP_CIPHER; this file only lays
 * out their inputs (the HkdfLabel, the nonce, the associated data) as RFC 9001 says.
 */
#include "sensor/hs_quic.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "common/log.h"

#define SALT_LEN        20
#define SECRET_LEN      32 /* SHA-256's output: Hash.length for the Initial secrets (RFC 9001 5.2) */
#define TAG_LEN         16 /* AEAD_AES_128_GCM's tag */
#define SAMPLE_LEN      16 /* header protection sample (RFC 9001 5.4.2) */
#define PN_MAX_LEN      4
#define UDP_PAYLOAD_MAX 65535
/* CRYPTO offsets and lengths sum to at most 2^62 - 1 (RFC 9000 19.6). */
#define VARINT_MAX ((UINT64_C(1) << 62) - 1)

/* What differs between the versions read here. */
struct version_info {
    uint32_t version;
    uint8_t initial_type; /* Long Packet Type bits of an Initial */
    uint8_t salt[SALT_LEN];
    const char *key_label;
    const char *iv_label;
    const char *hp_label;
};

static const struct version_info versions[] = {
        /* RFC 9001 5.2 and 5.1. */
        {HS_QUIC_V1,
         0,
         {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
          0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a},
         "quic key",
         "quic iv",
         "quic hp"},
        /* RFC 9369 3.2 (Initial is 0b01), 3.3.1 and 3.3.2. */
        {HS_QUIC_V2,
         1,
         {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
          0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9},
         "quicv2 key",
         "quicv2 iv",
         "quicv2 hp"},
        /* draft-ietf-quic-tls-29 5.2: version 1's layout and labels with its own salt. */
        {HS_QUIC_DRAFT29,
         0,
         {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
          0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99},
         "quic key",
         "quic iv",
         "quic hp"},
};

struct hs_quic {
    EVP_KDF *hkdf;
    EVP_KDF_CTX *kdf; /* digest SHA-256 set once; mode, key, salt, info per call */
    EVP_CIPHER *gcm;
    EVP_CIPHER *ecb;
    EVP_CIPHER_CTX *aead; /* AES-128-GCM decryption; re-keyed per packet, cipher kept */
    EVP_CIPHER_CTX *hp;   /* AES-128-ECB encryption of the sample, without padding */
    /* The last keys derived, and what they were derived from. */
    bool have_keys;
    uint32_t keys_version;
    uint8_t keys_dcid_len;
    uint8_t keys_dcid[HS_QUIC_CID_MAX];
    struct hs_quic_keys keys;
};

static const char *const status_names[] = {
#define HS_QUIC_STATUS_NAME(name, counter) counter,
        HS_QUIC_STATUS_LIST(HS_QUIC_STATUS_NAME)
#undef HS_QUIC_STATUS_NAME
};

const char *hs_quic_status_name(enum hs_quic_status st)
{
    return (unsigned)st < HS_QUIC_STATUS_COUNT ? status_names[st] : "unknown";
}

static const struct version_info *find_version(uint32_t version)
{
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        if (versions[i].version == version)
            return &versions[i];
    }
    return NULL;
}

struct hs_quic *hs_quic_create(struct log *log)
{
    struct hs_quic *q = calloc(1, sizeof(*q));
    if (!q) {
        log_err(log, "hs_quic: out of memory");
        return NULL;
    }
    const char *what = "HKDF";
    q->hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (!q->hkdf || !(q->kdf = EVP_KDF_CTX_new(q->hkdf)))
        goto fail;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
            OSSL_PARAM_construct_end(),
    };
    if (EVP_KDF_CTX_set_params(q->kdf, params) != 1)
        goto fail;
    what = "AES-128-GCM";
    q->gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    if (!q->gcm || !(q->aead = EVP_CIPHER_CTX_new()) ||
        EVP_DecryptInit_ex2(q->aead, q->gcm, NULL, NULL, NULL) != 1)
        goto fail;
    what = "AES-128-ECB";
    q->ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
    if (!q->ecb || !(q->hp = EVP_CIPHER_CTX_new()) ||
        EVP_EncryptInit_ex2(q->hp, q->ecb, NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(q->hp, 0) != 1)
        goto fail;
    return q;
fail:
    log_err(log, "hs_quic: libcrypto has no usable %s", what);
    hs_quic_destroy(&q);
    return NULL;
}

void hs_quic_destroy(struct hs_quic **qp)
{
    struct hs_quic *q = *qp;
    if (!q)
        return;
    EVP_CIPHER_CTX_free(q->hp);
    EVP_CIPHER_CTX_free(q->aead);
    EVP_CIPHER_free(q->ecb);
    EVP_CIPHER_free(q->gcm);
    EVP_KDF_CTX_free(q->kdf);
    EVP_KDF_free(q->hkdf);
    OPENSSL_cleanse(&q->keys, sizeof(q->keys));
    free(q);
    *qp = NULL;
}

/* HKDF-Extract(salt, ikm) (RFC 5869 2.2) into @prk (SECRET_LEN bytes). */
static int hkdf_extract(struct hs_quic *q, const uint8_t salt[SALT_LEN], const uint8_t *ikm,
                        size_t ikm_len, uint8_t *prk)
{
    /* OSSL_PARAM takes non-const buffers; libcrypto only reads these copies. */
    uint8_t s[SALT_LEN];
    uint8_t k[HS_QUIC_CID_MAX];
    memcpy(s, salt, SALT_LEN);
    if (ikm_len)
        memcpy(k, ikm, ikm_len);
    int mode = EVP_KDF_HKDF_MODE_EXTRACT_ONLY;
    OSSL_PARAM params[] = {
            OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, k, ikm_len),
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, s, SALT_LEN),
            OSSL_PARAM_construct_end(),
    };
    return EVP_KDF_derive(q->kdf, prk, SECRET_LEN, params) == 1 ? 0 : -EIO;
}

/*
 * HKDF-Expand-Label(secret, label, "", @out_len) of TLS 1.3 (RFC 8446 7.1), which RFC 9001 5.1
 * uses: HKDF-Expand with the info struct HkdfLabel { uint16 length; opaque label<7..255> =
 * "tls13 " + label; opaque context<0..255> = "" }.
 */
static int hkdf_expand_label(struct hs_quic *q, const uint8_t *secret, const char *label,
                             uint8_t *out, size_t out_len)
{
    static const char prefix[] = "tls13 ";
    size_t plen = sizeof(prefix) - 1;
    size_t llen = strlen(label);
    uint8_t info[2 + 1 + 6 + 16 + 1]; /* the longest label here is "quicv2 key" */
    if (plen + llen > 6 + 16)
        return -EINVAL;
    info[0] = (uint8_t)(out_len >> 8);
    info[1] = (uint8_t)out_len;
    info[2] = (uint8_t)(plen + llen);
    memcpy(info + 3, prefix, plen);
    memcpy(info + 3 + plen, label, llen);
    info[3 + plen + llen] = 0; /* empty context */
    uint8_t key[SECRET_LEN];
    memcpy(key, secret, SECRET_LEN);
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    OSSL_PARAM params[] = {
            OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key, SECRET_LEN),
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, 4 + plen + llen),
            OSSL_PARAM_construct_end(),
    };
    int rc = EVP_KDF_derive(q->kdf, out, out_len, params) == 1 ? 0 : -EIO;
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}

/* RFC 9001 5.2: initial_secret, then client_initial_secret, then key, iv and hp (5.1, 5.4). */
static int derive(struct hs_quic *q, const struct version_info *v, const uint8_t *dcid,
                  size_t dcid_len, struct hs_quic_keys *out)
{
    uint8_t initial[SECRET_LEN];
    uint8_t client[SECRET_LEN];
    int rc = hkdf_extract(q, v->salt, dcid, dcid_len, initial);
    if (rc == 0)
        rc = hkdf_expand_label(q, initial, "client in", client, SECRET_LEN);
    if (rc == 0)
        rc = hkdf_expand_label(q, client, v->key_label, out->key, sizeof(out->key));
    if (rc == 0)
        rc = hkdf_expand_label(q, client, v->iv_label, out->iv, sizeof(out->iv));
    if (rc == 0)
        rc = hkdf_expand_label(q, client, v->hp_label, out->hp, sizeof(out->hp));
    OPENSSL_cleanse(initial, sizeof(initial));
    OPENSSL_cleanse(client, sizeof(client));
    return rc;
}

int hs_quic_client_keys(struct hs_quic *q, uint32_t version, const uint8_t *dcid, size_t dcid_len,
                        struct hs_quic_keys *out)
{
    const struct version_info *v = find_version(version);
    if (!v)
        return -EPROTONOSUPPORT;
    if (dcid_len > HS_QUIC_CID_MAX)
        return -EINVAL;
    return derive(q, v, dcid, dcid_len, out);
}

/* The keys for (@v, @dcid): the last ones when they match, else derived and kept. */
static const struct hs_quic_keys *keys_for(struct hs_quic *q, const struct version_info *v,
                                           const uint8_t *dcid, size_t dcid_len)
{
    if (q->have_keys && q->keys_version == v->version && q->keys_dcid_len == dcid_len &&
        (dcid_len == 0 || memcmp(q->keys_dcid, dcid, dcid_len) == 0))
        return &q->keys;
    q->have_keys = false;
    if (derive(q, v, dcid, dcid_len, &q->keys) != 0)
        return NULL;
    q->have_keys = true;
    q->keys_version = v->version;
    q->keys_dcid_len = (uint8_t)dcid_len;
    if (dcid_len)
        memcpy(q->keys_dcid, dcid, dcid_len);
    return &q->keys;
}

/* A variable-length integer (RFC 9000 16): the first byte's two high bits give its length. */
static bool rd_varint(const uint8_t *buf, size_t len, size_t *pos, uint64_t *v)
{
    if (*pos >= len)
        return false;
    size_t n = (size_t)1 << (buf[*pos] >> 6);
    if (len - *pos < n)
        return false;
    uint64_t x = buf[*pos] & 0x3f;
    for (size_t i = 1; i < n; i++)
        x = x << 8 | buf[*pos + i];
    *pos += n;
    *v = x;
    return true;
}

static bool rd_cid(const uint8_t *buf, size_t len, size_t *pos, struct hs_quic_cid *cid,
                   enum hs_quic_status *st)
{
    if (*pos >= len) {
        *st = HS_QUIC_TRUNCATED;
        return false;
    }
    uint8_t n = buf[(*pos)++];
    /* Version 1 and 2 connection IDs are at most 20 bytes (RFC 9000 17.2). */
    if (n > HS_QUIC_CID_MAX) {
        *st = HS_QUIC_BAD_HEADER;
        return false;
    }
    if (len - *pos < n) {
        *st = HS_QUIC_TRUNCATED;
        return false;
    }
    cid->len = n;
    memcpy(cid->id, buf + *pos, n);
    *pos += n;
    return true;
}

/* ACK (RFC 9000 19.3): each range must stay at or above packet number 0. */
static enum hs_quic_status walk_ack(const uint8_t *p, size_t len, size_t *pos, bool ecn,
                                    struct hs_quic_initial *out)
{
    uint64_t largest, delay, count, first;
    if (!rd_varint(p, len, pos, &largest) || !rd_varint(p, len, pos, &delay) ||
        !rd_varint(p, len, pos, &count) || !rd_varint(p, len, pos, &first))
        return HS_QUIC_BAD_FRAME;
    if (first > largest)
        return HS_QUIC_BAD_FRAME;
    uint64_t smallest = largest - first;
    /* Each range takes two bytes at least, so the payload's end bounds this loop. */
    for (uint64_t i = 0; i < count; i++) {
        uint64_t gap, range;
        if (!rd_varint(p, len, pos, &gap) || !rd_varint(p, len, pos, &range))
            return HS_QUIC_BAD_FRAME;
        /* The next range ends gap + 2 below the current one's smallest. */
        if (smallest < 2 || gap > smallest - 2 || range > smallest - 2 - gap)
            return HS_QUIC_BAD_FRAME;
        smallest = smallest - 2 - gap - range;
    }
    if (ecn) {
        uint64_t c;
        for (int i = 0; i < 3; i++) {
            if (!rd_varint(p, len, pos, &c))
                return HS_QUIC_BAD_FRAME;
        }
    }
    out->n_ack++;
    out->ack_largest = largest;
    return HS_QUIC_OK;
}

static enum hs_quic_status walk_crypto(const uint8_t *p, size_t len, size_t *pos,
                                       struct hs_quic_initial *out)
{
    uint64_t offset, n;
    if (!rd_varint(p, len, pos, &offset) || !rd_varint(p, len, pos, &n) || len - *pos < n ||
        offset + n > VARINT_MAX)
        return HS_QUIC_BAD_FRAME;
    if (out->crypto_total < UINT16_MAX)
        out->crypto_total++;
    if (out->n_crypto < HS_QUIC_CRYPTO_MAX) {
        struct hs_quic_crypto_frame *f = &out->crypto[out->n_crypto++];
        f->offset = offset;
        f->len = (uint32_t)n; /* n <= len, a datagram's size */
        f->data = p + *pos;
    }
    *pos += (size_t)n;
    return HS_QUIC_OK;
}

/*
 * The frames of an Initial's plaintext. Only PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE of
 * the transport may appear there (RFC 9000 12.4, Table 3); anything else is refused. Frame types
 * are varints in their shortest form (12.4), so every allowed one is a single byte below 0x40.
 */
static enum hs_quic_status walk_frames(const uint8_t *p, size_t len, struct hs_quic_initial *out)
{
    if (len == 0)
        return HS_QUIC_BAD_FRAME; /* a packet with no frame (RFC 9000 12.4) */
    size_t pos = 0;
    while (pos < len) {
        uint8_t type = p[pos++];
        enum hs_quic_status st = HS_QUIC_OK;
        uint64_t v;
        switch (type) {
        case 0x00: /* PADDING */
            out->padding++;
            break;
        case 0x01: /* PING */
            out->n_ping++;
            break;
        case 0x02: /* ACK */
        case 0x03: /* ACK with ECN counts */
            st = walk_ack(p, len, &pos, type == 0x03, out);
            break;
        case 0x06: /* CRYPTO */
            st = walk_crypto(p, len, &pos, out);
            break;
        case 0x1c: /* CONNECTION_CLOSE of the transport (0x1d, the application's, is not allowed) */
            if (!rd_varint(p, len, &pos, &out->close_error) || !rd_varint(p, len, &pos, &v) ||
                !rd_varint(p, len, &pos, &v) || len - pos < v)
                return HS_QUIC_BAD_FRAME;
            pos += (size_t)v;
            out->closed = true;
            break;
        default:
            return HS_QUIC_FRAME_NOT_ALLOWED;
        }
        if (st != HS_QUIC_OK)
            return st;
    }
    return HS_QUIC_OK;
}

/* The long header up to the Packet Number: fills @out, sets *@pn_off and *@length. */
static enum hs_quic_status read_header(const uint8_t *d, size_t len, struct hs_quic_initial *out,
                                       const struct version_info **vp, size_t *pn_off,
                                       uint64_t *length)
{
    if (len < 1)
        return HS_QUIC_TRUNCATED;
    if (!(d[0] & 0x80))
        return HS_QUIC_NOT_INITIAL; /* a short header: 1-RTT */
    if (len < 5)
        return HS_QUIC_TRUNCATED;
    out->version = (uint32_t)d[1] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 8 | d[4];
    if (out->version == 0)
        return HS_QUIC_NOT_INITIAL; /* Version Negotiation (RFC 9000 17.2.1) */
    const struct version_info *v = find_version(out->version);
    if (!v)
        return HS_QUIC_UNKNOWN_VERSION;
    /* The type bits are version-specific (RFC 9369 3.2), hence read after the version. The
     * fixed bit is not checked: a client may grease it (RFC 9287). */
    if (((d[0] >> 4) & 3) != v->initial_type)
        return HS_QUIC_NOT_INITIAL;
    size_t pos = 5;
    enum hs_quic_status st = HS_QUIC_TRUNCATED;
    if (!rd_cid(d, len, &pos, &out->dcid, &st) || !rd_cid(d, len, &pos, &out->scid, &st))
        return st;
    if (!rd_varint(d, len, &pos, &out->token_len) || len - pos < out->token_len)
        return HS_QUIC_TRUNCATED;
    pos += (size_t)out->token_len;
    if (!rd_varint(d, len, &pos, length))
        return HS_QUIC_TRUNCATED;
    /* The sample starts 4 bytes into the Packet Number field (RFC 9001 5.4.2). */
    if (*length < PN_MAX_LEN + SAMPLE_LEN)
        return HS_QUIC_BAD_HEADER;
    if (len - pos < *length)
        return HS_QUIC_TRUNCATED;
    *vp = v;
    *pn_off = pos;
    return HS_QUIC_OK;
}

/*
 * Header protection off (RFC 9001 5.4.1, AES per 5.4.3): the first byte's low four bits and the
 * packet number, into @first and @pn (the datagram is not written).
 */
static enum hs_quic_status unmask(struct hs_quic *q, const struct hs_quic_keys *k, const uint8_t *d,
                                  size_t pn_off, uint8_t *first, uint8_t pn[PN_MAX_LEN],
                                  uint8_t *pn_len)
{
    uint8_t mask[SAMPLE_LEN];
    int n = 0;
    if (EVP_EncryptInit_ex2(q->hp, NULL, k->hp, NULL, NULL) != 1 ||
        EVP_EncryptUpdate(q->hp, mask, &n, d + pn_off + PN_MAX_LEN, SAMPLE_LEN) != 1 ||
        n != SAMPLE_LEN)
        return HS_QUIC_LIBCRYPTO_FAILED;
    *first = d[0] ^ (mask[0] & 0x0f);
    *pn_len = (uint8_t)((*first & 3) + 1);
    for (uint8_t i = 0; i < *pn_len; i++)
        pn[i] = d[pn_off + i] ^ mask[1 + i];
    return HS_QUIC_OK;
}

/*
 * AEAD_AES_128_GCM open (RFC 9001 5.3): the nonce is the IV XOR the packet number, the associated
 * data the header with its protection removed: @first, the datagram's bytes 1 to @pn_off, @pn.
 */
static enum hs_quic_status open_payload(struct hs_quic *q, const struct hs_quic_keys *k,
                                        const uint8_t *d, size_t pn_off, uint8_t first,
                                        const uint8_t *pn, uint8_t pn_len, size_t ct_len,
                                        uint8_t *plain)
{
    uint8_t nonce[sizeof(k->iv)];
    if (pn_len == 0 || pn_len > 4) /* the header's two bits say 1..4; stated for the compiler */
        return HS_QUIC_BAD_HEADER;
    memcpy(nonce, k->iv, sizeof(nonce));
    for (uint8_t i = 0; i < pn_len; i++)
        nonce[sizeof(nonce) - pn_len + i] ^= pn[i];
    /* The tag is copied: the control call takes a non-const pointer. */
    uint8_t tag[TAG_LEN];
    const uint8_t *ct = d + pn_off + pn_len;
    memcpy(tag, ct + ct_len, TAG_LEN);
    int n = 0;
    int fin = 0;
    if (ct_len > INT_MAX || pn_off - 1 > INT_MAX ||
        EVP_DecryptInit_ex2(q->aead, NULL, k->key, nonce, NULL) != 1 ||
        EVP_DecryptUpdate(q->aead, NULL, &n, &first, 1) != 1 ||
        EVP_DecryptUpdate(q->aead, NULL, &n, d + 1, (int)(pn_off - 1)) != 1 ||
        EVP_DecryptUpdate(q->aead, NULL, &n, pn, pn_len) != 1 ||
        EVP_DecryptUpdate(q->aead, plain, &n, ct, (int)ct_len) != 1 ||
        EVP_CIPHER_CTX_ctrl(q->aead, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, tag) != 1)
        return HS_QUIC_LIBCRYPTO_FAILED;
    /* GCM writes nothing at the end; a tag that does not verify fails here. */
    if (EVP_DecryptFinal_ex(q->aead, plain + n, &fin) != 1)
        return HS_QUIC_DECRYPT_FAILED;
    return HS_QUIC_OK;
}

static enum hs_quic_status parse(struct hs_quic *q, const uint8_t *d, size_t len,
                                 const uint8_t *key_dcid, size_t key_dcid_len, uint8_t *scratch,
                                 size_t scratch_cap, struct hs_quic_initial *out)
{
    memset(out, 0, offsetof(struct hs_quic_initial, crypto));
    /* No UDP payload is longer; this bound keeps every count and length in @out in range. */
    if (len > UDP_PAYLOAD_MAX)
        return HS_QUIC_TOO_BIG;
    const struct version_info *v = NULL;
    size_t pn_off = 0;
    uint64_t length = 0;
    enum hs_quic_status st = read_header(d, len, out, &v, &pn_off, &length);
    if (st != HS_QUIC_OK)
        return st;
    out->packet_len = (uint32_t)(pn_off + length); /* <= len, a datagram's size */
    if (!key_dcid) {
        key_dcid = out->dcid.id;
        key_dcid_len = out->dcid.len;
    } else if (key_dcid_len > HS_QUIC_CID_MAX) {
        return HS_QUIC_BAD_HEADER;
    }
    const struct hs_quic_keys *k = keys_for(q, v, key_dcid, key_dcid_len);
    if (!k)
        return HS_QUIC_LIBCRYPTO_FAILED;
    uint8_t first;
    uint8_t pn[PN_MAX_LEN];
    st = unmask(q, k, d, pn_off, &first, pn, &out->pn_len);
    if (st != HS_QUIC_OK)
        return st;
    size_t ct_len = (size_t)length - out->pn_len - TAG_LEN; /* length >= 4 + 16 */
    if (ct_len > scratch_cap)
        return HS_QUIC_TOO_BIG;
    st = open_payload(q, k, d, pn_off, first, pn, out->pn_len, ct_len, scratch);
    if (st != HS_QUIC_OK)
        return st;
    for (uint8_t i = 0; i < out->pn_len; i++)
        out->pn = out->pn << 8 | pn[i];
    /* Reserved bits, known only now, must be zero (RFC 9000 17.2). */
    if (first & 0x0c)
        return HS_QUIC_BAD_HEADER;
    out->payload_len = (uint32_t)ct_len;
    return walk_frames(scratch, ct_len, out);
}

enum hs_quic_status hs_quic_parse_initial(struct hs_quic *q, const uint8_t *dgram, size_t len,
                                          uint8_t *scratch, size_t scratch_cap,
                                          struct hs_quic_initial *out)
{
    return parse(q, dgram, len, NULL, 0, scratch, scratch_cap, out);
}

enum hs_quic_status hs_quic_parse_initial_dcid(struct hs_quic *q, const uint8_t *dgram, size_t len,
                                               const uint8_t *key_dcid, size_t key_dcid_len,
                                               uint8_t *scratch, size_t scratch_cap,
                                               struct hs_quic_initial *out)
{
    return parse(q, dgram, len, key_dcid, key_dcid_len, scratch, scratch_cap, out);
}

void hs_quic_crypto_init(struct hs_quic_crypto *c)
{
    memset(c->filled, 0, sizeof(c->filled));
    c->cut = false;
}

int hs_quic_crypto_add(struct hs_quic_crypto *c, uint64_t offset, const uint8_t *data, size_t len)
{
    size_t keep = 0;
    if (offset < HS_QUIC_CRYPTO_CAP) {
        size_t room = HS_QUIC_CRYPTO_CAP - (size_t)offset;
        keep = len < room ? len : room;
    }
    if (keep) {
        memcpy(c->buf + offset, data, keep);
        /* Mark [offset, offset + keep) a word at a time. */
        for (size_t a = (size_t)offset, end = a + keep; a < end;) {
            size_t bit = a % 64;
            size_t n = end - a < 64 - bit ? end - a : 64 - bit;
            uint64_t m = n == 64 ? UINT64_MAX : ((UINT64_C(1) << n) - 1) << bit;
            c->filled[a / 64] |= m;
            a += n;
        }
    }
    if (keep < len) {
        c->cut = true;
        return -EMSGSIZE;
    }
    return 0;
}

size_t hs_quic_crypto_contiguous(const struct hs_quic_crypto *c)
{
    for (size_t w = 0; w < HS_QUIC_CRYPTO_CAP / 64; w++) {
        if (c->filled[w] == UINT64_MAX)
            continue;
        size_t b = 0;
        while (c->filled[w] >> b & 1)
            b++;
        return w * 64 + b;
    }
    return HS_QUIC_CRYPTO_CAP;
}
