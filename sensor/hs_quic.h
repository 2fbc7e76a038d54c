/*
 * QUIC: the client's Initial packets (RFC 9000 17.2.2). Their protection uses keys anyone can
 * derive from the Destination Connection ID (RFC 9001 5.2), so the sensor removes it, walks the
 * frames and hands back the CRYPTO frames, which carry the TLS ClientHello; another module parses
 * that. Versions 1 (RFC 9001), 2 (RFC 9369) and draft-29. All cryptography is OpenSSL's libcrypto
 * (HKDF, AES-128-GCM, AES-128-ECB). Bounded and length-checked: a malformed or unauthentic packet
 * is refused with a reason, never read past its end.
 *
 * Only the client's keys ("client in") are tried: a server's Initial fails to authenticate and is
 * counted as quic_decrypt_failed, which is what a sensor wants (the ClientHello is the client's).
 *
 * Cost: the keys are derived (HKDF-Extract and three HKDF-Expand-Label) once per new (version,
 * DCID), that is once per connection's first Initial packet, never per flow packet; the last
 * keys are kept, so a connection's further Initials reuse them. libcrypto allocates inside
 * EVP_KDF_derive (a few dozen small blocks per derivation, in OpenSSL 3.0); the AES calls reuse
 * the contexts made by hs_quic_create() and allocate nothing, and this module allocates nothing
 * after create.
 */
#ifndef UMBRA_SENSOR_HS_QUIC_H
#define UMBRA_SENSOR_HS_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct log;
struct hs_quic;

#define HS_QUIC_V1      0x00000001u /* RFC 9000 */
#define HS_QUIC_V2      0x6b3343cfu /* RFC 9369 */
#define HS_QUIC_DRAFT29 0xff00001du /* draft-29, still sent by old clients */

/* HS_QUIC_CRYPTO_MAX: CRYPTO frames kept per packet (Chrome sends about ten). CRYPTO_CAP: bytes
 * of CRYPTO stream reassembled (a ClientHello with a post-quantum key share is under 2 KiB). */
#define HS_QUIC_CID_MAX    20 /* connection ID bytes (RFC 9000 17.2) */
#define HS_QUIC_CRYPTO_MAX 32
#define HS_QUIC_CRYPTO_CAP 4096

struct hs_quic_cid {
    uint8_t len; /* 0..HS_QUIC_CID_MAX */
    uint8_t id[HS_QUIC_CID_MAX];
};

/* One CRYPTO frame (RFC 9000 19.6): @len bytes of the stream from @offset, at @data, which
 * points into the scratch buffer given to the parse call (valid until it is reused). */
struct hs_quic_crypto_frame {
    uint64_t offset;
    uint32_t len;
    const uint8_t *data;
};

struct hs_quic_initial {
    uint32_t version;
    struct hs_quic_cid dcid;
    struct hs_quic_cid scid;
    uint64_t token_len;   /* bytes of Retry or NEW_TOKEN token (0 on a first connection) */
    uint64_t pn;          /* packet number as sent (pn_len bytes); see hs_quic_parse_initial() */
    uint8_t pn_len;       /* 1..4 */
    uint32_t packet_len;  /* bytes of the datagram this packet takes (a coalesced packet follows) */
    uint32_t payload_len; /* plaintext bytes written to the scratch buffer */
    uint32_t padding;     /* PADDING frames (one byte each) */
    uint16_t n_ping;
    uint16_t n_ack;
    uint64_t ack_largest;  /* Largest Acknowledged of the last ACK frame */
    bool closed;           /* a CONNECTION_CLOSE frame was seen */
    uint64_t close_error;  /* its error code */
    uint16_t crypto_total; /* CRYPTO frames in the packet */
    uint16_t n_crypto;     /* the first ones, kept below (min(crypto_total, HS_QUIC_CRYPTO_MAX)) */
    struct hs_quic_crypto_frame crypto[HS_QUIC_CRYPTO_MAX];
};

/* Initial packet protection keys for one direction (AEAD_AES_128_GCM, RFC 9001 5). */
struct hs_quic_keys {
    uint8_t key[16];
    uint8_t iv[12];
    uint8_t hp[16];
};

/* X(name, counter name): why a datagram gave no Initial. */
#define HS_QUIC_STATUS_LIST(X)                                                                     \
    X(HS_QUIC_OK, "ok")                                                                            \
    X(HS_QUIC_NOT_INITIAL, "quic_not_initial")                                                     \
    X(HS_QUIC_UNKNOWN_VERSION, "quic_unknown_version")                                             \
    X(HS_QUIC_TRUNCATED, "quic_truncated")                                                         \
    X(HS_QUIC_BAD_HEADER, "quic_bad_header")                                                       \
    X(HS_QUIC_TOO_BIG, "quic_too_big")                                                             \
    X(HS_QUIC_DECRYPT_FAILED, "quic_decrypt_failed")                                               \
    X(HS_QUIC_BAD_FRAME, "quic_bad_frame")                                                         \
    X(HS_QUIC_FRAME_NOT_ALLOWED, "quic_frame_not_allowed")                                         \
    X(HS_QUIC_LIBCRYPTO_FAILED, "quic_libcrypto_failed")

enum hs_quic_status {
#define HS_QUIC_STATUS_ENUM(name, counter) name,
    HS_QUIC_STATUS_LIST(HS_QUIC_STATUS_ENUM)
#undef HS_QUIC_STATUS_ENUM
            HS_QUIC_STATUS_COUNT
};

/*
 * hs_quic_create() - fetch HKDF, AES-128-GCM and AES-128-ECB and make their contexts. Returns
 * NULL after logging why (@log may be NULL; it is not kept). One thread owns the result.
 */
struct hs_quic *hs_quic_create(struct log *log);

/* hs_quic_destroy() - free and set *@qp = NULL. NULL-safe. */
void hs_quic_destroy(struct hs_quic **qp);

/*
 * hs_quic_parse_initial() - the first packet of the UDP datagram @dgram (@len bytes), when it is
 * a QUIC Initial of a known version: remove its protection with the client's Initial keys for
 * its own Destination Connection ID, write the plaintext to @scratch (@scratch_cap bytes) and
 * walk its frames into @out. Coalesced packets after the first are not read (out->packet_len
 * says where the next starts). out->pn is the packet number as sent: with no earlier packet to
 * decode it against (RFC 9000 A.3), it is the full number, as in a connection's first packets.
 *
 * Returns HS_QUIC_OK, or:
 *   HS_QUIC_NOT_INITIAL       short header, another long packet type, Version Negotiation
 *   HS_QUIC_UNKNOWN_VERSION   a long header of a version not listed above
 *   HS_QUIC_TRUNCATED         the header or the packet's Length goes past @len
 *   HS_QUIC_BAD_HEADER        a connection ID over 20 bytes, a packet too short to sample for
 *                             header protection, reserved bits set once unprotected
 *   HS_QUIC_TOO_BIG           the plaintext would not fit @scratch_cap, or @len is over
 *                             65535 (no UDP payload is)
 *   HS_QUIC_DECRYPT_FAILED    the AEAD tag does not verify (also: a server's Initial, a client
 *                             Initial sent to a DCID other than the one its keys come from)
 *   HS_QUIC_BAD_FRAME         a frame cut by the payload's end or malformed, or no frame
 *   HS_QUIC_FRAME_NOT_ALLOWED a frame other than PADDING, PING, ACK, CRYPTO, CONNECTION_CLOSE
 *   HS_QUIC_LIBCRYPTO_FAILED  libcrypto failed otherwise (not expected once created)
 * After a refusal @out holds what was read before it (the header fields; after a frame error,
 * the frames before it).
 */
enum hs_quic_status hs_quic_parse_initial(struct hs_quic *q, const uint8_t *dgram, size_t len,
                                          uint8_t *scratch, size_t scratch_cap,
                                          struct hs_quic_initial *out);

/*
 * hs_quic_parse_initial_dcid() - hs_quic_parse_initial() with the keys of @key_dcid (@key_dcid_len
 * <= HS_QUIC_CID_MAX bytes; otherwise HS_QUIC_BAD_HEADER) in place of the packet's own DCID
 * (NULL: the packet's own, as hs_quic_parse_initial()). A
 * client keeps the keys of its first DCID after the server picks a new one (RFC 9001 5.2), so its
 * later Initials decrypt only with the first DCID, which the caller remembers per flow.
 */
enum hs_quic_status hs_quic_parse_initial_dcid(struct hs_quic *q, const uint8_t *dgram, size_t len,
                                               const uint8_t *key_dcid, size_t key_dcid_len,
                                               uint8_t *scratch, size_t scratch_cap,
                                               struct hs_quic_initial *out);

/*
 * hs_quic_client_keys() - the client's Initial keys of @version for @dcid (@dcid_len <=
 * HS_QUIC_CID_MAX) into @out. 0, -EINVAL (length), -EPROTONOSUPPORT (version) or -EIO (libcrypto).
 */
int hs_quic_client_keys(struct hs_quic *q, uint32_t version, const uint8_t *dcid, size_t dcid_len,
                        struct hs_quic_keys *out);

/* hs_quic_status_name() - the counter name; "unknown" out of range. */
const char *hs_quic_status_name(enum hs_quic_status st);

/*
 * CRYPTO stream reassembly, from offset 0, into a fixed buffer: clients split the ClientHello
 * into several CRYPTO frames, out of order and over several Initial packets (Chrome). A bitmap
 * records which bytes are filled. The caller embeds the struct (4.5 KiB); nothing is allocated.
 */
struct hs_quic_crypto {
    uint8_t buf[HS_QUIC_CRYPTO_CAP];
    uint64_t filled[HS_QUIC_CRYPTO_CAP / 64]; /* bit i: buf[i] holds stream byte i */
    bool cut; /* bytes past HS_QUIC_CRYPTO_CAP were given and dropped */
};

/* hs_quic_crypto_init() - empty @c. */
void hs_quic_crypto_init(struct hs_quic_crypto *c);

/*
 * hs_quic_crypto_add() - copy @len bytes of stream at @offset into @c. Bytes already there are
 * overwritten (a retransmission carries the same bytes, RFC 9000 2.2). Returns 0, or -EMSGSIZE
 * when bytes past the capacity were dropped (and c->cut is set); the bytes before are kept.
 */
int hs_quic_crypto_add(struct hs_quic_crypto *c, uint64_t offset, const uint8_t *data, size_t len);

/* hs_quic_crypto_contiguous() - bytes filled from offset 0 without a hole. */
size_t hs_quic_crypto_contiguous(const struct hs_quic_crypto *c);

#endif
